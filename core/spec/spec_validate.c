/* Config-update validators (sdk-behaviour.md §5.3, the rules that make sense without DC/OS) and
 * pod equivalence (§5.2). Messages use the dcos-commons form of §5.1 step 4 so that operators
 * and tools reading the deploy plan's errors see the same text shape. */
#include "core/spec/spec.h"
#include "core/mapping/mapping.h"
#include "core/util/str.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNS_LABEL_MAX 63

static void transition(sdk_errors *errs, bool *fatal, bool is_fatal, const char *field,
                       const char *from, const char *to, const char *msg) {
    sdk_errors_addf(errs, "Field: '%s'; Transition: '%s' => '%s'; Message: '%s'; Fatal: %s", field,
                    from ? from : "", to ? to : "", msg, is_fatal ? "true" : "false");
    if (is_fatal) *fatal = true;
}
static void value_err(sdk_errors *errs, const char *field, const char *value, const char *msg) {
    sdk_errors_addf(errs, "Field: '%s'; Value: '%s'; Message: '%s'; Fatal: false", field,
                    value ? value : "", msg);
}

/* True when the pod's tasks use host ports: no networks, or a network with port mapping. */
static bool uses_host_ports(const sdk_pod_spec *p) {
    if (p->n_networks == 0) return true;
    for (size_t i = 0; i < p->n_networks; i++)
        if (sdk_streq(p->networks[i].name, "mesos-bridge")) return true;
    return false;
}

static char *volume_desc_new(const sdk_volume_spec *v, size_t n) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        sdk_buf_printf(&b, "%s%s:%s:%lld", i ? ", " : "", v[i].path ? v[i].path : "",
                       v[i].type == SDK_VOLUME_MOUNT ? "MOUNT" : "ROOT", (long long)v[i].size_mb);
        for (size_t j = 0; j < v[i].n_profiles; j++)
            sdk_buf_printf(&b, "%s%s", j ? "," : ":", v[i].profiles[j]);
    }
    sdk_buf_putc(&b, ']');
    return sdk_buf_take(&b);
}

static bool volumes_equal(const sdk_resource_set *a, const sdk_resource_set *b) {
    size_t na = a ? a->n_volumes : 0, nb = b ? b->n_volumes : 0;
    if (na != nb) return false;
    for (size_t i = 0; i < na; i++) {
        const sdk_volume_spec *x = &a->volumes[i], *y = &b->volumes[i];
        if (!sdk_streq(x->path, y->path) || x->type != y->type || x->size_mb != y->size_mb ||
            x->n_profiles != y->n_profiles)
            return false;
        for (size_t j = 0; j < x->n_profiles; j++)
            if (!sdk_streq(x->profiles[j], y->profiles[j])) return false;
    }
    return true;
}

static void check_limits(const sdk_pod_spec *p, sdk_errors *errs) {
    for (size_t i = 0; i < p->n_tasks; i++) {
        const sdk_task_spec *t = &p->tasks[i];
        const sdk_resource_set *rs = sdk_pod_resource_set(p, t->resource_set);
        if (!rs) continue;
        struct { const char *name; const sdk_limit *l; double req; } lim[] = {
            { "cpus", &rs->cpus_limit, rs->cpus }, { "memory", &rs->memory_limit, rs->memory_mb } };
        for (size_t k = 0; k < 2; k++) {
            if (!lim[k].l->has || lim[k].l->unlimited || lim[k].l->value >= lim[k].req) continue;
            char *field = sdk_asprintf_new("%s.%s.resource-limits.%s", p->type, t->name, lim[k].name);
            char *val = sdk_asprintf_new("%g", lim[k].l->value);
            char *msg = sdk_asprintf_new("%s limit %g is less than the requested %g", lim[k].name,
                                         lim[k].l->value, lim[k].req);
            value_err(errs, field, val, msg);
            free(field); free(val); free(msg);
        }
    }
}

void sdk_spec_validate_update(const sdk_spec *old, const sdk_spec *cand, bool deploy_completed,
                              sdk_errors *errs, bool *fatal) {
    *fatal = false;
    if (!cand) return;

    /* ServiceNameCannotContainDoubleUnderscores */
    if (cand->name && strstr(cand->name, "__"))
        value_err(errs, "service.name", cand->name, "Service name may not contain double underscores");

    /* ServiceNameCannotBreakDNS: first install only (later changes are only worth a warning). */
    if (!old && cand->name) {
        size_t len = 0;
        for (const char *c = cand->name; *c; c++) len += *c != '/';
        if (len > DNS_LABEL_MAX) {
            char *msg = sdk_asprintf_new("Service name without slashes is %zu characters; it must "
                                         "be at most %d to fit in a DNS label", len, DNS_LABEL_MAX);
            value_err(errs, "service.name", cand->name, msg);
            free(msg);
        }
    }

    /* ResourceLimitsMustExceedRequestedResources */
    for (size_t i = 0; i < cand->n_pods; i++) check_limits(&cand->pods[i], errs);

    /* The pod-instance limit (README "Limits"): the parser enforces it on svc.yml, this catches
     * counts a plugin set (spec mutation) and the sum over pod types. */
    int64_t total = 0;
    for (size_t i = 0; i < cand->n_pods; i++) total += cand->pods[i].count;
    if (total > sdk_spec_max_pods()) {
        char value[32], *msg = sdk_asprintf_new("%lld pod instances in total is more than the limit "
                                                "of %lld (raise it with --max-pods N)",
                                                (long long)total, (long long)sdk_spec_max_pods());
        snprintf(value, sizeof value, "%lld", (long long)total);
        value_err(errs, "pods.count", value, msg);
        free(msg);
    }

    if (!old) return;

    /* UserCannotChange (fatal): pod users are the service user in this model. */
    if (!sdk_streq(old->user, cand->user))
        transition(errs, fatal, true, "user", old->user, cand->user,
                   "The service user cannot be changed after installation");

    /* PodSpecsCannotShrink */
    for (size_t i = 0; i < old->n_pods; i++) {
        const sdk_pod_spec *op = &old->pods[i];
        const sdk_pod_spec *np = sdk_spec_pod(cand, op->type);
        if (!np) {
            if (!op->allow_decommission) {
                char *msg = sdk_asprintf_new("Pod type '%s' cannot be removed: its current spec does "
                                             "not set allow-decommission", op->type);
                transition(errs, fatal, false, op->type, op->type, "", msg);
                free(msg);
            }
            continue;
        }
        if (np->count < op->count && !np->allow_decommission) {
            char *field = sdk_asprintf_new("%s.count", op->type);
            char *from = sdk_asprintf_new("%lld", (long long)op->count);
            char *to = sdk_asprintf_new("%lld", (long long)np->count);
            char *msg = sdk_asprintf_new("Pod count of '%s' cannot decrease without "
                                         "allow-decommission: true", op->type);
            transition(errs, fatal, false, field, from, to, msg);
            free(field); free(from); free(to); free(msg);
        }
        /* PreReservationCannotChange */
        if (!sdk_streq(op->pre_reserved_role, np->pre_reserved_role)) {
            char *field = sdk_asprintf_new("%s.pre-reserved-role", op->type);
            transition(errs, fatal, false, field, op->pre_reserved_role, np->pre_reserved_role,
                       "The pre-reserved role of a pod cannot change");
            free(field);
        }
        /* PodSpecsCannotChangeNetworkRegime */
        if (uses_host_ports(op) != uses_host_ports(np)) {
            char *field = sdk_asprintf_new("%s.networks", op->type);
            transition(errs, fatal, false, field, uses_host_ports(op) ? "host ports" : "no host ports",
                       uses_host_ports(np) ? "host ports" : "no host ports",
                       "A pod cannot move between networks that use host ports and networks that "
                       "do not");
            free(field);
        }
    }
    for (size_t i = 0; i < cand->n_pods; i++) {
        const sdk_pod_spec *np = &cand->pods[i];
        for (size_t j = 0; j < np->n_networks; j++) {
            const sdk_network_spec *n = &np->networks[j];
            if (n->n_port_mappings && !sdk_mapping_network_maps_ports(n->name)) {
                char *field = sdk_asprintf_new("%s.networks.%s", np->type, n->name);
                value_err(errs, field, n->name, "Port mappings are only supported on mesos-bridge");
                free(field);
            }
        }
    }

    /* Role: unchanged -> TaskVolumesCannotChange; changed before the first completed deploy ->
     * fatal; changed after -> migration path, no volume check. */
    char *old_role = sdk_spec_role_new(old), *new_role = sdk_spec_role_new(cand);
    if (strcmp(old_role, new_role) != 0) {
        if (!deploy_completed)
            transition(errs, fatal, true, "role", old_role, new_role,
                       "The service role cannot change before the deploy plan has completed");
    } else {
        for (size_t i = 0; i < old->n_pods; i++) {
            const sdk_pod_spec *op = &old->pods[i];
            const sdk_pod_spec *np = sdk_spec_pod(cand, op->type);
            if (!np) continue;
            for (size_t k = 0; k < op->n_tasks; k++) {
                const sdk_task_spec *ot = &op->tasks[k];
                const sdk_task_spec *nt = sdk_pod_task(np, ot->name);
                if (!nt) continue;
                const sdk_resource_set *ors = sdk_pod_resource_set(op, ot->resource_set);
                const sdk_resource_set *nrs = sdk_pod_resource_set(np, nt->resource_set);
                if (volumes_equal(ors, nrs)) continue;
                char *field = sdk_asprintf_new("%s-%s.volumes", op->type, ot->name);
                char *from = volume_desc_new(ors ? ors->volumes : NULL, ors ? ors->n_volumes : 0);
                char *to = volume_desc_new(nrs ? nrs->volumes : NULL, nrs ? nrs->n_volumes : 0);
                transition(errs, fatal, false, field, from, to,
                           "Task volumes cannot change after installation");
                free(field); free(from); free(to);
            }
        }
    }
    free(old_role);
    free(new_role);
}

/* A deep copy of p with every field that does not force a restart cleared (§5.2), wrapped in a
 * spec so sdk_spec_equal can compare it. */
static sdk_spec *restart_relevant_new(const sdk_pod_spec *p) {
    sdk_spec wrap = { 0 };
    wrap.pods = (sdk_pod_spec *)p;
    wrap.n_pods = 1;
    sdk_spec *s = sdk_spec_dup(&wrap);
    sdk_pod_spec *q = &s->pods[0];
    q->count = 0;
    q->allow_decommission = false;
    free(q->placement);
    q->placement = NULL;
    for (size_t i = 0; i < q->n_resource_sets; i++) {
        sdk_resource_set *rs = &q->resource_sets[i];
        rs->cpus_limit = rs->memory_limit = (sdk_limit){ 0 };
        for (size_t j = 0; j < rs->n_ports; j++) {
            sdk_port_spec *pt = &rs->ports[j];
            free(pt->env_key); free(pt->vip_prefix); free(pt->ranges);
            pt->env_key = pt->vip_prefix = NULL;
            pt->ranges = NULL;
            pt->n_ranges = 0;
            pt->advertise = false;
            pt->vip_port = 0;
        }
    }
    return s;
}

bool sdk_pod_equivalent(const sdk_pod_spec *a, const sdk_pod_spec *b) {
    if (!a || !b) return a == b;
    sdk_spec *x = restart_relevant_new(a), *y = restart_relevant_new(b);
    bool eq = sdk_spec_equal(x, y);
    sdk_spec_free(x);
    sdk_spec_free(y);
    return eq;
}
