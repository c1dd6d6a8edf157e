/* Decommission plan (§4.10) and uninstall plan (§4.11), both made of generic steps whose status
 * the caller sets as it performs the step's action. */
#include <stdlib.h>
#include <string.h>
#include "core/plan/plan.h"
#include "core/util/str.h"

#define KILL_IMPL "com.mesosphere.sdk.scheduler.decommission.TriggerDecommissionStep"
#define ERASE_IMPL "com.mesosphere.sdk.scheduler.decommission.EraseTaskStateStep"
#define CLEANUP_IMPL "com.mesosphere.sdk.scheduler.uninstall.ResourceCleanupStep"
#define TASK_KILL_IMPL "com.mesosphere.sdk.scheduler.uninstall.TaskKillStep"
#define TLS_IMPL "com.mesosphere.sdk.scheduler.uninstall.TLSCleanupStep"
#define DEREGISTER_IMPL "com.mesosphere.sdk.scheduler.plan.DeregisterStep"

typedef struct instance {
    const char *type;
    int64_t index;
    long spec_pos;     /* -1: pod type absent from the spec */
} instance;

static int cmp_instance(const void *a, const void *b) {
    const instance *x = a, *y = b;
    bool ux = x->spec_pos < 0, uy = y->spec_pos < 0;
    if (ux != uy) return ux ? -1 : 1;                     /* unknown types first */
    if (ux) {
        int c = strcmp(x->type, y->type);                 /* alphabetically */
        if (c) return c;
    } else if (x->spec_pos != y->spec_pos) {
        return x->spec_pos > y->spec_pos ? -1 : 1;        /* reverse spec order */
    }
    return x->index > y->index ? -1 : x->index < y->index ? 1 : 0; /* highest index first */
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool contains(const char **v, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0) return true;
    return false;
}

int sdk_decommission_plan_new(const sdk_spec *spec, const sdk_task_views *tv, sdk_plan **out) {
    *out = NULL;
    if (!tv || tv->n == 0) return 0;
    instance *inst = sdk_xcalloc(tv->n, sizeof *inst);
    size_t n_inst = 0;
    for (size_t i = 0; i < tv->n; i++) {
        const sdk_task_view *t = &tv->v[i];
        if (!t->pod_type || !t->name) continue;
        long pos = -1;
        int64_t count = 0;
        for (size_t p = 0; spec && p < spec->n_pods; p++)
            if (strcmp(spec->pods[p].type, t->pod_type) == 0) {
                pos = (long)p;
                count = spec->pods[p].count;
            }
        if (pos >= 0 && t->pod_index < count) continue;
        bool dup = false;
        for (size_t k = 0; k < n_inst && !dup; k++)
            dup = strcmp(inst[k].type, t->pod_type) == 0 && inst[k].index == t->pod_index;
        if (!dup) inst[n_inst++] = (instance){t->pod_type, t->pod_index, pos};
    }
    if (n_inst == 0) {
        free(inst);
        return 0;
    }
    qsort(inst, n_inst, sizeof *inst, cmp_instance);
    sdk_plan *plan = sdk_plan_new("decommission", SDK_STRATEGY_SERIAL);
    const char **names = sdk_xcalloc(tv->n, sizeof *names);
    const char **rids = NULL;
    for (size_t k = 0; k < n_inst; k++) {
        size_t nn = 0, nr = 0, cap_r = 0;
        for (size_t i = 0; i < tv->n; i++) {
            const sdk_task_view *t = &tv->v[i];
            if (!t->pod_type || !t->name || strcmp(t->pod_type, inst[k].type) != 0 || t->pod_index != inst[k].index)
                continue;
            if (!contains(names, nn, t->name)) names[nn++] = t->name;
            for (size_t r = 0; r < t->n_resource_ids; r++) {
                if (!t->resource_ids[r] || contains(rids, nr, t->resource_ids[r])) continue;
                if (nr == cap_r) {
                    cap_r = cap_r ? cap_r * 2 : 8;
                    rids = sdk_xrealloc(rids, cap_r * sizeof *rids);
                }
                rids[nr++] = t->resource_ids[r];
            }
        }
        qsort(names, nn, sizeof *names, cmp_str);
        char *phase_name = sdk_asprintf_new("%s-%lld", inst[k].type, (long long)inst[k].index);
        sdk_phase *ph = sdk_phase_new(phase_name, SDK_STRATEGY_SERIAL);
        free(phase_name);
        for (size_t i = 0; i < nn; i++) {
            char *sn = sdk_asprintf_new("kill-%s", names[i]);
            sdk_phase_add_step_take(ph, sdk_step_generic_new(sn, KILL_IMPL, SDK_ACTION_DECOMMISSION_KILL, names[i], SDK_STATUS_PENDING));
            free(sn);
        }
        for (size_t i = 0; i < nr; i++) {
            char *sn = sdk_asprintf_new("unreserve-%s", rids[i]);
            sdk_phase_add_step_take(ph, sdk_step_generic_new(sn, CLEANUP_IMPL, SDK_ACTION_UNRESERVE, rids[i], SDK_STATUS_PENDING));
            free(sn);
        }
        for (size_t i = 0; i < nn; i++) {
            char *sn = sdk_asprintf_new("erase-%s", names[i]);
            sdk_phase_add_step_take(ph, sdk_step_generic_new(sn, ERASE_IMPL, SDK_ACTION_ERASE, names[i], SDK_STATUS_PENDING));
            free(sn);
        }
        sdk_plan_add_phase_take(plan, ph);
    }
    free(rids);
    free(names);
    free(inst);
    *out = plan;
    return 0;
}

int sdk_uninstall_plan_new(const sdk_task_views *tv, sdk_plan **out) {
    sdk_plan *plan = sdk_plan_new("deploy", SDK_STRATEGY_DEPENDENCY);
    size_t n = tv ? tv->n : 0;
    bool tls = false;

    sdk_phase *kill = sdk_phase_new("kill-tasks", SDK_STRATEGY_PARALLEL);
    for (size_t i = 0; i < n; i++) {
        const sdk_task_view *t = &tv->v[i];
        tls |= t->transport_encryption;
        if (!t->task_id || !*t->task_id) continue; /* stubs were never launched */
        char *sn = sdk_asprintf_new("kill-task-%s", t->task_id);
        sdk_phase_add_step_take(kill, sdk_step_generic_new(sn, TASK_KILL_IMPL, SDK_ACTION_KILL_TASK, t->task_id, SDK_STATUS_PENDING));
        free(sn);
    }
    sdk_plan_add_phase_take(plan, kill);

    const char **hosts = n ? sdk_xcalloc(n, sizeof *hosts) : NULL;
    size_t nh = 0;
    for (size_t i = 0; i < n; i++) {
        const char *h = tv->v[i].hostname ? tv->v[i].hostname : "unknown";
        if (tv->v[i].n_resource_ids && !contains(hosts, nh, h)) hosts[nh++] = h;
    }
    if (nh) qsort(hosts, nh, sizeof *hosts, cmp_str);
    const char **rids = NULL;
    size_t cap_r = 0;
    for (size_t h = 0; h < nh; h++) {
        char *pn = sdk_asprintf_new("unreserve-resources-%s", hosts[h]);
        sdk_phase *ph = sdk_phase_new(pn, SDK_STRATEGY_PARALLEL);
        free(pn);
        size_t nr = 0;
        for (size_t i = 0; i < n; i++) {
            const sdk_task_view *t = &tv->v[i];
            if (strcmp(t->hostname ? t->hostname : "unknown", hosts[h]) != 0) continue;
            for (size_t r = 0; r < t->n_resource_ids; r++) {
                if (!t->resource_ids[r] || contains(rids, nr, t->resource_ids[r])) continue;
                if (nr == cap_r) {
                    cap_r = cap_r ? cap_r * 2 : 8;
                    rids = sdk_xrealloc(rids, cap_r * sizeof *rids);
                }
                rids[nr++] = t->resource_ids[r];
                char *sn = sdk_asprintf_new("unreserve-%s", t->resource_ids[r]);
                sdk_phase_add_step_take(ph, sdk_step_generic_new(sn, CLEANUP_IMPL, SDK_ACTION_UNRESERVE, t->resource_ids[r], SDK_STATUS_PENDING));
                free(sn);
            }
        }
        sdk_plan_add_phase_take(plan, ph);
    }
    free(rids);
    free(hosts);

    if (tls) {
        sdk_phase *ph = sdk_phase_new("tls-cleanup", SDK_STRATEGY_SERIAL);
        sdk_phase_add_step_take(ph, sdk_step_generic_new("tls-cleanup", TLS_IMPL, SDK_ACTION_TLS_CLEANUP, NULL, SDK_STATUS_PENDING));
        sdk_plan_add_phase_take(plan, ph);
    }
    sdk_phase *dereg = sdk_phase_new("deregister-service", SDK_STRATEGY_SERIAL);
    sdk_phase_add_step_take(dereg, sdk_step_generic_new("deregister", DEREGISTER_IMPL, SDK_ACTION_DEREGISTER, NULL, SDK_STATUS_PENDING));
    sdk_plan_add_phase_take(plan, dereg);
    for (size_t i = 0; i + 1 < plan->n_phases; i++) sdk_plan_add_dep(plan, plan->n_phases - 1, i);
    *out = plan;
    return 0;
}
