/* Recovery plan manager (§4.9): one phase per failed pod instance, rebuilt every cycle from the
 * task view; finished phases are kept as history until the scheduler restarts. */
#include <stdlib.h>
#include <string.h>
#include "core/plan/plan.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "core/util/strmap.h"

#define RECOVERY_STEP_IMPL "com.mesosphere.sdk.scheduler.recovery.RecoveryStep"

struct sdk_recovery {
    sdk_plan *plan;
    sdk_backoff *backoff;
    sdk_recovery_override_fn override;
    void *override_arg;
};

sdk_recovery *sdk_recovery_new(sdk_backoff *backoff) {
    sdk_recovery *r = sdk_xcalloc(1, sizeof *r);
    /* reported as "serial" until the first rebuild (§4.9) */
    r->plan = sdk_plan_new("recovery", SDK_STRATEGY_SERIAL);
    r->backoff = backoff;
    return r;
}

void sdk_recovery_free(sdk_recovery *r) {
    if (!r) return;
    sdk_plan_free(r->plan);
    free(r);
}

void sdk_recovery_set_override(sdk_recovery *r, sdk_recovery_override_fn fn, void *arg) {
    r->override = fn;
    r->override_arg = arg;
}

sdk_plan *sdk_recovery_plan(sdk_recovery *r) { return r->plan; }

static bool launchable(sdk_plan *const *plans, size_t n, const char *task_name) {
    for (size_t i = 0; i < n; i++)
        if (sdk_plan_launches_task(plans[i], task_name)) return true;
    return false;
}

static bool failed_state(sdk_tstate s) {
    switch (s) {
    case SDK_TSTATE_FINISHED: case SDK_TSTATE_FAILED: case SDK_TSTATE_KILLED: case SDK_TSTATE_ERROR:
    case SDK_TSTATE_GONE: case SDK_TSTATE_DROPPED: case SDK_TSTATE_LOST: case SDK_TSTATE_UNREACHABLE:
    case SDK_TSTATE_GONE_BY_OPERATOR:
        return true;
    default:
        return false;
    }
}

static bool perm_failed(const sdk_task_view *t) {
    return t->permanently_failed || (t->has_status && t->state == SDK_TSTATE_GONE_BY_OPERATOR);
}

static const sdk_pod_spec *find_pod(const sdk_spec *s, const char *type) {
    for (size_t i = 0; type && i < s->n_pods; i++)
        if (strcmp(s->pods[i].type, type) == 0) return &s->pods[i];
    return NULL;
}

static const sdk_task_spec *find_task(const sdk_pod_spec *p, const char *name) {
    for (size_t i = 0; name && i < p->n_tasks; i++)
        if (strcmp(p->tasks[i].name, name) == 0) return &p->tasks[i];
    return NULL;
}

static long phase_for(const sdk_plan *p, const char *pod_instance) {
    for (size_t i = 0; i < p->n_phases; i++)
        if (p->phases[i]->pod_instance && strcmp(p->phases[i]->pod_instance, pod_instance) == 0) return (long)i;
    return -1;
}

static sdk_recovery_type phase_type(const sdk_phase *ph) {
    for (size_t i = 0; i < ph->n_steps; i++)
        if (ph->steps[i]->recovery != SDK_RECOVERY_NONE) return ph->steps[i]->recovery;
    return SDK_RECOVERY_NONE;
}

static void remove_phase(sdk_plan *p, size_t i) {
    sdk_phase_free(p->phases[i]);
    memmove(&p->phases[i], &p->phases[i + 1], (p->n_phases - i - 1) * sizeof *p->phases);
    p->n_phases--;
}

/* True when an unfinished step of another recovery phase works on this pod instance: a custom
 * recovery (plugin override) that restarts other pods owns them until its step completes, so
 * the kill it sends is not mistaken for a new failure. */
static bool covered_elsewhere(const sdk_plan *p, const char *instance) {
    for (size_t i = 0; i < p->n_phases; i++) {
        const sdk_phase *ph = p->phases[i];
        if (ph->pod_instance && !strcmp(ph->pod_instance, instance)) continue;
        for (size_t j = 0; j < ph->n_steps; j++) {
            const sdk_step *st = ph->steps[j];
            if (st->pod_instance && !strcmp(st->pod_instance, instance) && st->status != SDK_STATUS_COMPLETE)
                return true;
        }
    }
    return false;
}

/* Builds (or not) the recovery of one pod instance. */
static void recover_instance(sdk_recovery *r, const sdk_pod_spec *pod, int64_t index,
                             const sdk_task_views *tv, sdk_plan *const *plans, size_t n_plans,
                             size_t n_higher) {
    char *instance = sdk_asprintf_new("%s-%lld", pod->type, (long long)index);
    size_t n_failed = 0, n_pf = 0;
    bool essential_failed = false;
    /* failed[t] per pod task (spec order) */
    bool *failed = sdk_xcalloc(pod->n_tasks + 1, sizeof *failed);
    bool *launched = sdk_xcalloc(pod->n_tasks + 1, sizeof *launched);
    for (size_t i = 0; i < tv->n; i++) {
        const sdk_task_view *t = &tv->v[i];
        if (!t->pod_type || strcmp(t->pod_type, pod->type) != 0 || t->pod_index != index || !t->task) continue;
        const sdk_task_spec *ts = find_task(pod, t->task);
        if (!ts || ts->goal != SDK_GOAL_RUNNING || t->override == SDK_OVERRIDE_DECOMMISSIONED) continue;
        size_t ti = (size_t)(ts - pod->tasks);
        launched[ti] = t->task_id && *t->task_id;
        if (!launchable(plans, n_plans, t->name)) continue;
        bool f = perm_failed(t) || (t->has_status && failed_state(t->state));
        if (!f) continue;
        failed[ti] = true;
        n_failed++;
        n_pf += perm_failed(t);
        essential_failed |= ts->essential;
    }
    if (n_failed == 0 || (n_pf && n_pf != n_failed)) goto out; /* nothing failed, or mixed: skip */
    sdk_recovery_type type = n_pf ? SDK_RECOVERY_PERMANENT : SDK_RECOVERY_TRANSIENT;
    if (type == SDK_RECOVERY_TRANSIENT && covered_elsewhere(r->plan, instance)) goto out;

    long existing = phase_for(r->plan, instance);
    if (existing >= 0) {
        sdk_phase *ph = r->plan->phases[existing];
        bool done = sdk_phase_status(ph) == SDK_STATUS_COMPLETE;
        bool escalate = phase_type(ph) == SDK_RECOVERY_TRANSIENT && type == SDK_RECOVERY_PERMANENT;
        if (!done && !escalate) goto out;
    }

    const char **tasks = sdk_xcalloc(pod->n_tasks + 1, sizeof *tasks);
    size_t n = 0;
    bool hold = false;
    for (size_t t = 0; t < pod->n_tasks; t++) {
        const sdk_task_spec *ts = &pod->tasks[t];
        char *full = sdk_asprintf_new("%s-%s", instance, ts->name);
        bool delayed = sdk_backoff_is_delayed(r->backoff, full);
        /* A task no plan launches any more stays down (it was killed for that) even when an
         * essential sibling's failure relaunches the rest of the pod. */
        bool planned = launchable(plans, n_plans, full);
        free(full);
        if (essential_failed) {
            if (ts->goal != SDK_GOAL_RUNNING || !launched[t] || !planned) continue;
            if (delayed) hold = true; /* nothing relaunches while any pod task is delayed */
            tasks[n++] = ts->name;
        } else if (failed[t]) {
            if (delayed) hold = true;
            tasks[n++] = ts->name;
        }
    }
    if (n == 0) {
        free(tasks);
        goto out;
    }

    sdk_plan_ctx ctx = {.tasks = NULL, .target_config_id = NULL, .backoff = r->backoff};
    sdk_step *probe = sdk_step_for_pod_new(pod, index, tasks, n, &ctx);
    /* a higher-priority plan working on the same pod tasks blocks the recovery this cycle */
    bool blocked = false;
    for (size_t i = 0; i < n_higher && !blocked; i++)
        for (size_t a = 0; a < plans[i]->n_phases && !blocked; a++)
            for (size_t b = 0; b < plans[i]->phases[a]->n_steps && !blocked; b++) {
                sdk_step *s = plans[i]->phases[a]->steps[b];
                if ((s->status == SDK_STATUS_PREPARED || s->status == SDK_STATUS_STARTING) && sdk_step_conflicts(s, probe))
                    blocked = true;
            }
    if (blocked) {
        sdk_step_free(probe);
        free(tasks);
        goto out;
    }

    /* A crash-looping pod waits out its backoff as a DELAYED step (shown on the plan and by
     * /v1/health); it turns PENDING by itself when the delay is over. */
    if (hold) {
        probe->status = SDK_STATUS_DELAYED;
        for (size_t i = 0; i < probe->n_tasks; i++) probe->tasks[i].status = SDK_STATUS_DELAYED;
    }
    sdk_phase *ph = NULL;
    if (!hold && r->override && r->override(r->override_arg, pod->type, index, type, tasks, n, &ph) == 0 && ph) {
        sdk_step_free(probe);
    } else {
        ph = sdk_phase_new(probe->name, SDK_STRATEGY_SERIAL);
        probe->recovery = type;
        free(probe->impl);
        probe->impl = sdk_xstrdup(RECOVERY_STEP_IMPL);
        sdk_phase_add_step_take(ph, probe);
    }
    free(ph->pod_instance);
    ph->pod_instance = sdk_xstrdup(instance);
    for (size_t i = 0; i < ph->n_steps; i++)
        if (ph->steps[i]->recovery == SDK_RECOVERY_NONE && ph->steps[i]->kind == SDK_STEP_POD)
            ph->steps[i]->recovery = type;
    existing = phase_for(r->plan, instance);
    if (existing >= 0) remove_phase(r->plan, (size_t)existing);
    sdk_plan_add_phase_take(r->plan, ph);
    SDK_INFO("recovery", "%s: %s recovery of %zu task(s)", instance, sdk_recovery_type_name(type), n);
    free(tasks);
out:
    free(failed);
    free(launched);
    free(instance);
}

int sdk_recovery_update(sdk_recovery *r, const sdk_spec *spec, const sdk_task_views *tv,
                        sdk_plan *const *plans, size_t n_plans, size_t n_higher) {
    r->plan->strat.kind = SDK_STRATEGY_PARALLEL;
    if (!tv || !spec) return 0;
    if (n_higher > n_plans) n_higher = n_plans;
    /* Called on every event: only pod instances with a failed task need work, so find those
     * first (one pass) instead of examining every instance against every task. */
    sdk_strmap seen;
    sdk_strmap_init(&seen);
    char **keys = NULL;
    size_t n_keys = 0;
    for (size_t i = 0; i < tv->n; i++) {
        const sdk_task_view *t = &tv->v[i];
        if (!t->pod_type || !(perm_failed(t) || (t->has_status && failed_state(t->state)))) continue;
        char *key = sdk_asprintf_new("%s-%lld", t->pod_type, (long long)t->pod_index);
        bool created = false;
        sdk_strmap_slot(&seen, key, &created);
        if (!created) { free(key); continue; }
        keys = sdk_xrealloc(keys, (n_keys + 1) * sizeof *keys);
        keys[n_keys++] = key;
        const sdk_pod_spec *pod = find_pod(spec, t->pod_type);
        if (!pod || t->pod_index < 0 || t->pod_index >= pod->count) continue;
        recover_instance(r, pod, t->pod_index, tv, plans, n_plans, n_higher);
    }
    sdk_strmap_free(&seen);
    for (size_t i = 0; i < n_keys; i++) free(keys[i]);
    free(keys);
    return 0;
}
