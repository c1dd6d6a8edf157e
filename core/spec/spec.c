/* Lifecycle (free, deep copy, deep equality) and lookups of the spec model of spec.h. */
#include "core/spec/spec.h"
#include "core/util/str.h"
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- free */

static void free_strv(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}
static void free_kvs(sdk_kv *kv, size_t n) {
    for (size_t i = 0; i < n; i++) { free(kv[i].key); free(kv[i].value); }
    free(kv);
}
static void free_volume(sdk_volume_spec *v) {
    free(v->path);
    free_strv(v->profiles, v->n_profiles);
}
static void free_volumes(sdk_volume_spec *v, size_t n) {
    for (size_t i = 0; i < n; i++) free_volume(&v[i]);
    free(v);
}
static void free_port(sdk_port_spec *p) {
    free(p->name); free(p->env_key); free(p->vip_prefix); free(p->ranges);
}
static void free_rs(sdk_resource_set *r) {
    free(r->id);
    for (size_t i = 0; i < r->n_ports; i++) free_port(&r->ports[i]);
    free(r->ports);
    free_volumes(r->volumes, r->n_volumes);
}
static void free_check(sdk_check_spec *c) { free(c->cmd); }
static void free_task(sdk_task_spec *t) {
    free(t->name); free(t->cmd);
    free_kvs(t->env, t->n_env);
    for (size_t i = 0; i < t->n_configs; i++) {
        free(t->configs[i].name); free(t->configs[i].template_path);
        free(t->configs[i].template_content); free(t->configs[i].dest);
    }
    free(t->configs);
    free(t->resource_set);
    free_check(&t->health_check); free_check(&t->readiness_check);
    free(t->discovery_prefix);
    free_kvs(t->labels, t->n_labels);
    free(t->ipc_mode);
    free_strv(t->transport_encryption, t->n_transport_encryption);
    free_strv(t->transport_encryption_types, t->n_transport_encryption);
}
static void free_pod(sdk_pod_spec *p) {
    free(p->type); free(p->placement); free(p->image); free(p->pre_reserved_role);
    for (size_t i = 0; i < p->n_networks; i++) {
        free(p->networks[i].name); free(p->networks[i].host_ports);
        free(p->networks[i].container_ports); free(p->networks[i].labels);
    }
    free(p->networks);
    for (size_t i = 0; i < p->n_rlimits; i++) free(p->rlimits[i].name);
    free(p->rlimits);
    free_strv(p->uris, p->n_uris);
    free_volumes(p->volumes, p->n_volumes);
    for (size_t i = 0; i < p->n_host_volumes; i++) {
        free(p->host_volumes[i].host_path); free(p->host_volumes[i].container_path);
    }
    free(p->host_volumes);
    for (size_t i = 0; i < p->n_external_volumes; i++) {
        sdk_external_volume_spec *e = &p->external_volumes[i];
        free(e->name); free(e->type); free(e->container_path); free(e->driver_name);
        free(e->driver_options); free(e->volume_name);
    }
    free(p->external_volumes);
    for (size_t i = 0; i < p->n_secrets; i++) {
        sdk_secret_spec *s = &p->secrets[i];
        free(s->name); free(s->secret); free(s->env_key); free(s->file);
    }
    free(p->secrets);
    free(p->seccomp_profile_name); free(p->ipc_mode);
    for (size_t i = 0; i < p->n_resource_sets; i++) free_rs(&p->resource_sets[i]);
    free(p->resource_sets);
    for (size_t i = 0; i < p->n_tasks; i++) free_task(&p->tasks[i]);
    free(p->tasks);
}
static void free_entry(sdk_step_entry *e) {
    for (size_t i = 0; i < e->n_steps; i++) {
        if (!e->steps[i]) continue;
        for (char **t = e->steps[i]; *t; t++) free(*t);
        free(e->steps[i]);
    }
    free(e->steps);
}
static void free_plan(sdk_plan_spec *pl) {
    free(pl->name);
    for (size_t i = 0; i < pl->n_phases; i++) {
        sdk_phase_spec *ph = &pl->phases[i];
        free(ph->name); free(ph->pod);
        for (size_t j = 0; j < ph->n_entries; j++) free_entry(&ph->entries[j]);
        free(ph->entries);
    }
    free(pl->phases);
}

void sdk_spec_free(sdk_spec *s) {
    if (!s) return;
    free(s->name); free(s->web_url); free(s->principal); free(s->zookeeper); free(s->user);
    for (size_t i = 0; i < s->n_pods; i++) free_pod(&s->pods[i]);
    free(s->pods);
    for (size_t i = 0; i < s->n_plans; i++) free_plan(&s->plans[i]);
    free(s->plans);
    free(s);
}

/* ---------------------------------------------------------------- dup */

#define DUPS(f) (d->f = sdk_xstrdup(s->f))
/* New array of n copies of elements, each deep-copied by fn; NULL when n == 0. */
#define DUP_ARR(dst, src, n, type, fn) do { \
        (dst) = NULL; \
        if ((n) > 0) { (dst) = sdk_xcalloc((n), sizeof(type)); \
            for (size_t i_ = 0; i_ < (n); i_++) fn(&(dst)[i_], &(src)[i_]); } } while (0)

static char **dup_strv(char *const *v, size_t n) {
    if (n == 0) return NULL;
    char **d = sdk_xcalloc(n, sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = sdk_xstrdup(v[i]);
    return d;
}
static void *dup_mem(const void *p, size_t n) {
    if (!p || n == 0) return NULL;
    void *d = sdk_xmalloc(n);
    memcpy(d, p, n);
    return d;
}
static void dup_kv(sdk_kv *d, const sdk_kv *s) { DUPS(key); DUPS(value); }
static void dup_volume(sdk_volume_spec *d, const sdk_volume_spec *s) {
    *d = *s; DUPS(path); d->profiles = dup_strv(s->profiles, s->n_profiles);
}
static void dup_port(sdk_port_spec *d, const sdk_port_spec *s) {
    *d = *s; DUPS(name); DUPS(env_key); DUPS(vip_prefix);
    d->ranges = dup_mem(s->ranges, s->n_ranges * sizeof *s->ranges);
}
static void dup_rs(sdk_resource_set *d, const sdk_resource_set *s) {
    *d = *s; DUPS(id);
    DUP_ARR(d->ports, s->ports, s->n_ports, sdk_port_spec, dup_port);
    DUP_ARR(d->volumes, s->volumes, s->n_volumes, sdk_volume_spec, dup_volume);
}
static void dup_check(sdk_check_spec *d, const sdk_check_spec *s) { *d = *s; DUPS(cmd); }
static void dup_config(sdk_config_spec *d, const sdk_config_spec *s) {
    DUPS(name); DUPS(template_path); DUPS(template_content); DUPS(dest);
}
static void dup_task(sdk_task_spec *d, const sdk_task_spec *s) {
    *d = *s; DUPS(name); DUPS(cmd); DUPS(resource_set); DUPS(discovery_prefix); DUPS(ipc_mode);
    DUP_ARR(d->env, s->env, s->n_env, sdk_kv, dup_kv);
    DUP_ARR(d->configs, s->configs, s->n_configs, sdk_config_spec, dup_config);
    DUP_ARR(d->labels, s->labels, s->n_labels, sdk_kv, dup_kv);
    dup_check(&d->health_check, &s->health_check);
    dup_check(&d->readiness_check, &s->readiness_check);
    d->transport_encryption = dup_strv(s->transport_encryption, s->n_transport_encryption);
    d->transport_encryption_types = dup_strv(s->transport_encryption_types, s->n_transport_encryption);
}
static void dup_network(sdk_network_spec *d, const sdk_network_spec *s) {
    *d = *s; DUPS(name); DUPS(labels);
    d->host_ports = dup_mem(s->host_ports, s->n_port_mappings * sizeof(uint32_t));
    d->container_ports = dup_mem(s->container_ports, s->n_port_mappings * sizeof(uint32_t));
}
static void dup_rlimit(sdk_rlimit_spec *d, const sdk_rlimit_spec *s) { *d = *s; DUPS(name); }
static void dup_host_volume(sdk_host_volume_spec *d, const sdk_host_volume_spec *s) {
    *d = *s; DUPS(host_path); DUPS(container_path);
}
static void dup_ext_volume(sdk_external_volume_spec *d, const sdk_external_volume_spec *s) {
    *d = *s; DUPS(name); DUPS(type); DUPS(container_path); DUPS(driver_name);
    DUPS(driver_options); DUPS(volume_name);
}
static void dup_secret(sdk_secret_spec *d, const sdk_secret_spec *s) {
    DUPS(name); DUPS(secret); DUPS(env_key); DUPS(file);
}
static void dup_pod(sdk_pod_spec *d, const sdk_pod_spec *s) {
    *d = *s; DUPS(type); DUPS(placement); DUPS(image); DUPS(pre_reserved_role);
    DUPS(seccomp_profile_name); DUPS(ipc_mode);
    DUP_ARR(d->networks, s->networks, s->n_networks, sdk_network_spec, dup_network);
    DUP_ARR(d->rlimits, s->rlimits, s->n_rlimits, sdk_rlimit_spec, dup_rlimit);
    d->uris = dup_strv(s->uris, s->n_uris);
    DUP_ARR(d->volumes, s->volumes, s->n_volumes, sdk_volume_spec, dup_volume);
    DUP_ARR(d->host_volumes, s->host_volumes, s->n_host_volumes, sdk_host_volume_spec, dup_host_volume);
    DUP_ARR(d->external_volumes, s->external_volumes, s->n_external_volumes,
            sdk_external_volume_spec, dup_ext_volume);
    DUP_ARR(d->secrets, s->secrets, s->n_secrets, sdk_secret_spec, dup_secret);
    DUP_ARR(d->resource_sets, s->resource_sets, s->n_resource_sets, sdk_resource_set, dup_rs);
    DUP_ARR(d->tasks, s->tasks, s->n_tasks, sdk_task_spec, dup_task);
}
static void dup_entry(sdk_step_entry *d, const sdk_step_entry *s) {
    *d = *s;
    d->steps = NULL;
    if (s->n_steps == 0) return;
    d->steps = sdk_xcalloc(s->n_steps, sizeof *d->steps);
    for (size_t i = 0; i < s->n_steps; i++) {
        size_t n = 0;
        while (s->steps[i] && s->steps[i][n]) n++;
        d->steps[i] = sdk_xcalloc(n + 1, sizeof(char *));
        for (size_t j = 0; j < n; j++) d->steps[i][j] = sdk_xstrdup(s->steps[i][j]);
    }
}
static void dup_phase(sdk_phase_spec *d, const sdk_phase_spec *s) {
    *d = *s; DUPS(name); DUPS(pod);
    DUP_ARR(d->entries, s->entries, s->n_entries, sdk_step_entry, dup_entry);
}
static void dup_plan(sdk_plan_spec *d, const sdk_plan_spec *s) {
    *d = *s; DUPS(name);
    DUP_ARR(d->phases, s->phases, s->n_phases, sdk_phase_spec, dup_phase);
}

sdk_spec *sdk_spec_dup(const sdk_spec *s) {
    if (!s) return NULL;
    sdk_spec *d = sdk_xcalloc(1, sizeof *d);
    *d = *s;
    DUPS(name); DUPS(web_url); DUPS(principal); DUPS(zookeeper); DUPS(user);
    DUP_ARR(d->pods, s->pods, s->n_pods, sdk_pod_spec, dup_pod);
    DUP_ARR(d->plans, s->plans, s->n_plans, sdk_plan_spec, dup_plan);
    return d;
}

/* ---------------------------------------------------------------- equal */

#define EQS(f) sdk_streq(a->f, b->f)
#define EQN(f) (a->f == b->f)
/* Typed element-wise equality of two arrays of n elements, through the comparator fn. */
#define DEFINE_EQ_ARR(name, T, fn) \
    static bool name(const T *a, const T *b, size_t n) { \
        for (size_t i = 0; i < n; i++) if (!fn(&a[i], &b[i])) return false; \
        return true; }
#define EQ_ARR(fa, fb, n, fn) fn##_arr((fa), (fb), (n))

static bool eq_strv(char *const *a, char *const *b, size_t n) {
    for (size_t i = 0; i < n; i++) if (!sdk_streq(a[i], b[i])) return false;
    return true;
}
static bool eq_kv(const sdk_kv *a, const sdk_kv *b) { return EQS(key) && EQS(value); }
static bool eq_volume(const sdk_volume_spec *a, const sdk_volume_spec *b) {
    return EQS(path) && EQN(type) && EQN(size_mb) && EQN(n_profiles) &&
           eq_strv(a->profiles, b->profiles, a->n_profiles);
}
DEFINE_EQ_ARR(eq_volume_arr, sdk_volume_spec, eq_volume)
DEFINE_EQ_ARR(eq_kv_arr, sdk_kv, eq_kv)
static bool eq_range(const sdk_port_range *a, const sdk_port_range *b) {
    return EQN(begin) && EQN(end);
}
DEFINE_EQ_ARR(eq_range_arr, sdk_port_range, eq_range)
static bool eq_port(const sdk_port_spec *a, const sdk_port_spec *b) {
    return EQS(name) && EQN(port) && EQS(env_key) && EQN(advertise) && EQS(vip_prefix) &&
           EQN(vip_port) && EQN(n_ranges) && EQ_ARR(a->ranges, b->ranges, a->n_ranges, eq_range);
}
DEFINE_EQ_ARR(eq_port_arr, sdk_port_spec, eq_port)
static bool eq_limit(const sdk_limit *a, const sdk_limit *b) {
    if (a->has != b->has) return false;
    if (!a->has) return true;
    if (a->unlimited != b->unlimited) return false;
    return a->unlimited || a->value == b->value;
}
static bool eq_rs(const sdk_resource_set *a, const sdk_resource_set *b) {
    return EQS(id) && EQN(implicit) && EQN(cpus) && EQN(gpus) && EQN(memory_mb) &&
           eq_limit(&a->cpus_limit, &b->cpus_limit) && eq_limit(&a->memory_limit, &b->memory_limit) &&
           EQN(n_ports) && EQ_ARR(a->ports, b->ports, a->n_ports, eq_port) &&
           EQN(n_volumes) && EQ_ARR(a->volumes, b->volumes, a->n_volumes, eq_volume);
}
DEFINE_EQ_ARR(eq_rs_arr, sdk_resource_set, eq_rs)
static bool eq_check(const sdk_check_spec *a, const sdk_check_spec *b) {
    if (a->present != b->present) return false;
    if (!a->present) return true;
    return EQS(cmd) && EQN(interval_s) && EQN(timeout_s) && EQN(delay_s) && EQN(grace_period_s) &&
           EQN(max_consecutive_failures);
}
static bool eq_config(const sdk_config_spec *a, const sdk_config_spec *b) {
    return EQS(name) && EQS(template_path) && EQS(template_content) && EQS(dest);
}
DEFINE_EQ_ARR(eq_config_arr, sdk_config_spec, eq_config)
static bool eq_task(const sdk_task_spec *a, const sdk_task_spec *b) {
    return EQS(name) && EQN(goal) && EQS(cmd) && EQN(essential) &&
           EQN(n_env) && EQ_ARR(a->env, b->env, a->n_env, eq_kv) &&
           EQN(n_configs) && EQ_ARR(a->configs, b->configs, a->n_configs, eq_config) &&
           EQS(resource_set) && eq_check(&a->health_check, &b->health_check) &&
           eq_check(&a->readiness_check, &b->readiness_check) && EQS(discovery_prefix) &&
           EQN(discovery_visibility) &&
           EQN(n_labels) && EQ_ARR(a->labels, b->labels, a->n_labels, eq_kv) &&
           EQN(kill_grace_period_s) && EQS(ipc_mode) && EQN(shm_size_mb) &&
           EQN(n_transport_encryption) &&
           eq_strv(a->transport_encryption, b->transport_encryption, a->n_transport_encryption) &&
           eq_strv(a->transport_encryption_types, b->transport_encryption_types,
                   a->n_transport_encryption);
}
DEFINE_EQ_ARR(eq_task_arr, sdk_task_spec, eq_task)
static bool eq_u32v(const uint32_t *a, const uint32_t *b, size_t n) {
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}
static bool eq_network(const sdk_network_spec *a, const sdk_network_spec *b) {
    return EQS(name) && EQN(n_port_mappings) &&
           eq_u32v(a->host_ports, b->host_ports, a->n_port_mappings) &&
           eq_u32v(a->container_ports, b->container_ports, a->n_port_mappings) && EQS(labels);
}
DEFINE_EQ_ARR(eq_network_arr, sdk_network_spec, eq_network)
static bool eq_rlimit(const sdk_rlimit_spec *a, const sdk_rlimit_spec *b) {
    return EQS(name) && EQN(unlimited) && (a->unlimited || (EQN(soft) && EQN(hard)));
}
DEFINE_EQ_ARR(eq_rlimit_arr, sdk_rlimit_spec, eq_rlimit)
static bool eq_host_volume(const sdk_host_volume_spec *a, const sdk_host_volume_spec *b) {
    return EQS(host_path) && EQS(container_path) && EQN(read_only);
}
DEFINE_EQ_ARR(eq_host_volume_arr, sdk_host_volume_spec, eq_host_volume)
static bool eq_ext_volume(const sdk_external_volume_spec *a, const sdk_external_volume_spec *b) {
    return EQS(name) && EQS(type) && EQS(container_path) && EQS(driver_name) &&
           EQS(driver_options) && EQS(volume_name) && EQN(read_only);
}
DEFINE_EQ_ARR(eq_ext_volume_arr, sdk_external_volume_spec, eq_ext_volume)
static bool eq_secret(const sdk_secret_spec *a, const sdk_secret_spec *b) {
    return EQS(name) && EQS(secret) && EQS(env_key) && EQS(file);
}
DEFINE_EQ_ARR(eq_secret_arr, sdk_secret_spec, eq_secret)
static bool eq_pod(const sdk_pod_spec *a, const sdk_pod_spec *b) {
    return EQS(type) && EQN(count) && EQN(allow_decommission) && EQS(placement) && EQS(image) &&
           EQS(pre_reserved_role) &&
           EQN(n_networks) && EQ_ARR(a->networks, b->networks, a->n_networks, eq_network) &&
           EQN(n_rlimits) && EQ_ARR(a->rlimits, b->rlimits, a->n_rlimits, eq_rlimit) &&
           EQN(n_uris) && eq_strv(a->uris, b->uris, a->n_uris) &&
           EQN(n_volumes) && EQ_ARR(a->volumes, b->volumes, a->n_volumes, eq_volume) &&
           EQN(n_host_volumes) &&
           EQ_ARR(a->host_volumes, b->host_volumes, a->n_host_volumes, eq_host_volume) &&
           EQN(n_external_volumes) &&
           EQ_ARR(a->external_volumes, b->external_volumes, a->n_external_volumes, eq_ext_volume) &&
           EQN(n_secrets) && EQ_ARR(a->secrets, b->secrets, a->n_secrets, eq_secret) &&
           EQN(share_pid_namespace) && EQN(seccomp_unconfined) && EQS(seccomp_profile_name) &&
           EQS(ipc_mode) && EQN(shm_size_mb) &&
           EQN(n_resource_sets) &&
           EQ_ARR(a->resource_sets, b->resource_sets, a->n_resource_sets, eq_rs) &&
           EQN(n_tasks) && EQ_ARR(a->tasks, b->tasks, a->n_tasks, eq_task);
}
DEFINE_EQ_ARR(eq_pod_arr, sdk_pod_spec, eq_pod)
static bool eq_entry(const sdk_step_entry *a, const sdk_step_entry *b) {
    if (!EQN(index) || !EQN(n_steps)) return false;
    for (size_t i = 0; i < a->n_steps; i++) {
        char **x = a->steps[i], **y = b->steps[i];
        size_t j = 0;
        for (; x[j] && y[j]; j++) if (strcmp(x[j], y[j]) != 0) return false;
        if (x[j] || y[j]) return false;
    }
    return true;
}
DEFINE_EQ_ARR(eq_entry_arr, sdk_step_entry, eq_entry)
static bool eq_phase(const sdk_phase_spec *a, const sdk_phase_spec *b) {
    return EQS(name) && EQS(pod) && EQN(strategy) && EQN(has_steps) && EQN(n_entries) &&
           EQ_ARR(a->entries, b->entries, a->n_entries, eq_entry);
}
DEFINE_EQ_ARR(eq_phase_arr, sdk_phase_spec, eq_phase)
static bool eq_plan(const sdk_plan_spec *a, const sdk_plan_spec *b) {
    return EQS(name) && EQN(strategy) && EQN(n_phases) &&
           EQ_ARR(a->phases, b->phases, a->n_phases, eq_phase);
}
DEFINE_EQ_ARR(eq_plan_arr, sdk_plan_spec, eq_plan)

bool sdk_spec_equal(const sdk_spec *a, const sdk_spec *b) {
    if (!a || !b) return a == b;
    return EQS(name) && EQS(web_url) && EQS(principal) && EQS(zookeeper) && EQS(user) &&
           EQN(n_pods) && EQ_ARR(a->pods, b->pods, a->n_pods, eq_pod) &&
           EQN(n_plans) && EQ_ARR(a->plans, b->plans, a->n_plans, eq_plan);
}

/* ---------------------------------------------------------------- lookups */

const sdk_pod_spec *sdk_spec_pod(const sdk_spec *s, const char *type) {
    if (!s || !type) return NULL;
    for (size_t i = 0; i < s->n_pods; i++)
        if (sdk_streq(s->pods[i].type, type)) return &s->pods[i];
    return NULL;
}
const sdk_task_spec *sdk_pod_task(const sdk_pod_spec *p, const char *name) {
    if (!p || !name) return NULL;
    for (size_t i = 0; i < p->n_tasks; i++)
        if (sdk_streq(p->tasks[i].name, name)) return &p->tasks[i];
    return NULL;
}
const sdk_resource_set *sdk_pod_resource_set(const sdk_pod_spec *p, const char *id) {
    if (!p || !id) return NULL;
    for (size_t i = 0; i < p->n_resource_sets; i++)
        if (sdk_streq(p->resource_sets[i].id, id)) return &p->resource_sets[i];
    return NULL;
}
const sdk_plan_spec *sdk_spec_plan(const sdk_spec *s, const char *name) {
    if (!s || !name) return NULL;
    for (size_t i = 0; i < s->n_plans; i++)
        if (sdk_streq(s->plans[i].name, name)) return &s->plans[i];
    return NULL;
}

const char *sdk_goal_name(sdk_goal g) {
    switch (g) {
    case SDK_GOAL_RUNNING: return "RUNNING";
    case SDK_GOAL_FINISH: return "FINISH";
    case SDK_GOAL_ONCE: return "ONCE";
    }
    return "UNKNOWN";
}
const char *sdk_strategy_name(sdk_strategy s) {
    switch (s) {
    case SDK_STRATEGY_SERIAL: return "serial";
    case SDK_STRATEGY_PARALLEL: return "parallel";
    case SDK_STRATEGY_SERIAL_CANARY: return "serial-canary";
    case SDK_STRATEGY_PARALLEL_CANARY: return "parallel-canary";
    case SDK_STRATEGY_DEPENDENCY: return "dependency";
    case SDK_STRATEGY_DEPENDENCY_CANARY: return "dependency-canary";
    }
    return "unknown";
}

/* Shared by both splitters: `sep` between pairs, `kvsep` between key and value; `strict`:
 * the value may not be empty and may not contain kvsep (driver options). */
static int split_pairs_new(const char *text, char sep, char kvsep, bool strict, const char *what,
                           sdk_kv **out, size_t *n, char **err) {
    *out = NULL;
    *n = 0;
    *err = NULL;
    if (!text || !*text) return 0;
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == sep;
    sdk_kv *kv = sdk_xcalloc(cap, sizeof *kv);
    size_t k = 0;
    char *copy = sdk_xstrdup(text), *s = copy;
    for (;;) {
        char *end = strchr(s, sep);
        if (end) *end = 0;
        char *mid = strchr(s, kvsep);
        if (!*s && strict) {
            /* "a=b;" : empty options are dropped, as Java's split drops trailing empties */
        } else if (!mid) {
            *err = sdk_asprintf_new("%s '%s' has no '%c' (expected key%cvalue pairs separated by '%c')", what, s,
                                    kvsep, kvsep, sep);
        } else if (strict && (!mid[1] || strchr(mid + 1, kvsep))) {
            *err = sdk_asprintf_new("%s '%s' must be exactly key%cvalue", what, s, kvsep);
        } else {
            *mid = 0;
            for (size_t i = 0; i < k && !*err; i++)
                if (!strcmp(kv[i].key, s)) *err = sdk_asprintf_new("duplicate %s key '%s'", what, s);
            if (!*err) kv[k++] = (sdk_kv){ sdk_xstrdup(s), sdk_xstrdup(mid + 1) };
        }
        if (*err || !end) break;
        s = end + 1;
    }
    free(copy);
    if (*err) {
        for (size_t i = 0; i < k; i++) { free(kv[i].key); free(kv[i].value); }
        free(kv);
        return SDK_EINVAL;
    }
    if (!k) { free(kv); kv = NULL; }
    *out = kv;
    *n = k;
    return 0;
}

int sdk_labels_csv_split_new(const char *csv, sdk_kv **out, size_t *n, char **err) {
    return split_pairs_new(csv, ',', ':', false, "label", out, n, err);
}

int sdk_driver_options_split_new(const char *s, sdk_kv **out, size_t *n, char **err) {
    return split_pairs_new(s, ';', '=', true, "driver option", out, n, err);
}

char *sdk_name_escape_slashes_new(const char *name) {
    const char *n = name ? name : "";
    if (*n == '/') n++;
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    for (; *n; n++) {
        if (*n == '/') sdk_buf_puts(&b, "__");
        else sdk_buf_putc(&b, *n);
    }
    return sdk_buf_take(&b);
}

char *sdk_spec_role_new(const sdk_spec *s) {
    char *esc = sdk_name_escape_slashes_new(s ? s->name : NULL);
    char *role = sdk_asprintf_new("%s-role", esc);
    free(esc);
    return role;
}

char *sdk_pod_role_new(const sdk_spec *s, const sdk_pod_spec *p) {
    char *role = sdk_spec_role_new(s);
    const char *pre = p ? p->pre_reserved_role : NULL;
    if (!pre || !*pre || strcmp(pre, "*") == 0) return role;
    char *r = sdk_asprintf_new("%s/%s", pre, role);
    free(role);
    return r;
}
