/* Spec <-> JSON, the stored form of a configuration (Configurations/<uuid>) and the body of
 * GET /v1/configurations/{id}. Top-level keys follow dcos-commons (sdk-behaviour.md §6.4):
 * name, role (derived, ignored on input), principal, web-url, zookeeper, user, pod-specs,
 * plans. Every field is always written (null when absent), in a fixed order, so
 * to_json(from_json(to_json(s))) is byte-identical to to_json(s). Numbers are written by
 * jansson with 17 significant digits, which round-trips doubles exactly.
 */
#include "core/spec/spec.h"
#include "core/util/str.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ writer */

static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }
static void set(json_t *o, const char *k, json_t *v) { json_object_set_new(o, k, v); }

static json_t *w_strv(char *const *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, jstr(v[i]));
    return a;
}
static json_t *w_kv(const sdk_kv *kv, size_t n) {
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) set(o, kv[i].key, jstr(kv[i].value));
    return o;
}
static json_t *w_volume(const sdk_volume_spec *v) {
    json_t *o = json_object();
    set(o, "path", jstr(v->path));
    set(o, "type", json_string(v->type == SDK_VOLUME_MOUNT ? "MOUNT" : "ROOT"));
    set(o, "size", json_integer(v->size_mb));
    set(o, "profiles", w_strv(v->profiles, v->n_profiles));
    return o;
}
static json_t *w_volumes(const sdk_volume_spec *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, w_volume(&v[i]));
    return a;
}
static json_t *w_limit(const sdk_limit *l) {
    if (!l->has) return json_null();
    return l->unlimited ? json_string("unlimited") : json_real(l->value);
}
static json_t *w_port(const sdk_port_spec *p) {
    json_t *o = json_object();
    set(o, "name", jstr(p->name));
    set(o, "port", json_integer(p->port));
    set(o, "env-key", jstr(p->env_key));
    set(o, "advertise", json_boolean(p->advertise));
    set(o, "vip-prefix", jstr(p->vip_prefix));
    set(o, "vip-port", json_integer(p->vip_port));
    json_t *r = json_array();
    for (size_t i = 0; i < p->n_ranges; i++) {
        json_t *e = json_object();
        set(e, "begin", json_integer(p->ranges[i].begin));
        set(e, "end", json_integer(p->ranges[i].end));
        json_array_append_new(r, e);
    }
    set(o, "ranges", r);
    return o;
}
static json_t *w_rs(const sdk_resource_set *rs) {
    json_t *o = json_object();
    set(o, "id", jstr(rs->id));
    set(o, "implicit", json_boolean(rs->implicit));
    set(o, "cpus", json_real(rs->cpus));
    set(o, "gpus", json_real(rs->gpus));
    set(o, "memory", json_real(rs->memory_mb));
    set(o, "cpus-limit", w_limit(&rs->cpus_limit));
    set(o, "memory-limit", w_limit(&rs->memory_limit));
    json_t *ports = json_array();
    for (size_t i = 0; i < rs->n_ports; i++) json_array_append_new(ports, w_port(&rs->ports[i]));
    set(o, "ports", ports);
    set(o, "volumes", w_volumes(rs->volumes, rs->n_volumes));
    return o;
}
static json_t *w_check(const sdk_check_spec *k, bool health) {
    if (!k->present) return json_null();
    json_t *o = json_object();
    set(o, "cmd", jstr(k->cmd));
    set(o, "interval", json_integer(k->interval_s));
    set(o, "timeout", json_integer(k->timeout_s));
    set(o, "delay", json_integer(k->delay_s));
    if (health) {
        set(o, "grace-period", json_integer(k->grace_period_s));
        set(o, "max-consecutive-failures", json_integer(k->max_consecutive_failures));
    }
    return o;
}
static const char *vis_name(sdk_visibility v) {
    return v == SDK_VIS_FRAMEWORK ? "FRAMEWORK" : v == SDK_VIS_EXTERNAL ? "EXTERNAL" : "CLUSTER";
}
static json_t *w_task(const sdk_task_spec *t) {
    json_t *o = json_object();
    set(o, "name", jstr(t->name));
    set(o, "goal", json_string(sdk_goal_name(t->goal)));
    set(o, "cmd", jstr(t->cmd));
    set(o, "essential", json_boolean(t->essential));
    set(o, "env", w_kv(t->env, t->n_env));
    json_t *cfgs = json_array();
    for (size_t i = 0; i < t->n_configs; i++) {
        json_t *c = json_object();
        set(c, "name", jstr(t->configs[i].name));
        set(c, "template", jstr(t->configs[i].template_path));
        set(c, "template-content", jstr(t->configs[i].template_content));
        set(c, "dest", jstr(t->configs[i].dest));
        json_array_append_new(cfgs, c);
    }
    set(o, "config-files", cfgs);
    set(o, "resource-set", jstr(t->resource_set));
    set(o, "health-check", w_check(&t->health_check, true));
    set(o, "readiness-check", w_check(&t->readiness_check, false));
    set(o, "discovery-prefix", jstr(t->discovery_prefix));
    set(o, "discovery-visibility", json_string(vis_name(t->discovery_visibility)));
    set(o, "labels", w_kv(t->labels, t->n_labels));
    set(o, "kill-grace-period", json_integer(t->kill_grace_period_s));
    set(o, "ipc-mode", jstr(t->ipc_mode));
    set(o, "shm-size", json_integer(t->shm_size_mb));
    json_t *te = json_array();
    for (size_t i = 0; i < t->n_transport_encryption; i++) {
        json_t *e = json_object();
        set(e, "name", jstr(t->transport_encryption[i]));
        set(e, "type", jstr(t->transport_encryption_types[i]));
        json_array_append_new(te, e);
    }
    set(o, "transport-encryption", te);
    return o;
}
static json_t *w_u32v(const uint32_t *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_integer(v[i]));
    return a;
}
static json_t *w_pod(const sdk_spec *s, const sdk_pod_spec *p) {
    json_t *o = json_object();
    set(o, "type", jstr(p->type));
    set(o, "user", jstr(s->user));
    set(o, "count", json_integer(p->count));
    set(o, "allow-decommission", json_boolean(p->allow_decommission));
    set(o, "placement", jstr(p->placement));
    set(o, "image", jstr(p->image));
    set(o, "pre-reserved-role", jstr(p->pre_reserved_role));
    json_t *nets = json_array();
    for (size_t i = 0; i < p->n_networks; i++) {
        const sdk_network_spec *n = &p->networks[i];
        json_t *e = json_object();
        set(e, "name", jstr(n->name));
        set(e, "host-ports", w_u32v(n->host_ports, n->n_port_mappings));
        set(e, "container-ports", w_u32v(n->container_ports, n->n_port_mappings));
        set(e, "labels", jstr(n->labels));
        json_array_append_new(nets, e);
    }
    set(o, "networks", nets);
    json_t *rl = json_array();
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const sdk_rlimit_spec *r = &p->rlimits[i];
        json_t *e = json_object();
        set(e, "name", jstr(r->name));
        set(e, "soft", r->unlimited ? json_null() : json_integer(r->soft));
        set(e, "hard", r->unlimited ? json_null() : json_integer(r->hard));
        json_array_append_new(rl, e);
    }
    set(o, "rlimits", rl);
    set(o, "uris", w_strv(p->uris, p->n_uris));
    set(o, "volumes", w_volumes(p->volumes, p->n_volumes));
    json_t *hv = json_array();
    for (size_t i = 0; i < p->n_host_volumes; i++) {
        json_t *e = json_object();
        set(e, "host-path", jstr(p->host_volumes[i].host_path));
        set(e, "container-path", jstr(p->host_volumes[i].container_path));
        set(e, "mode", json_string(p->host_volumes[i].read_only ? "RO" : "RW"));
        json_array_append_new(hv, e);
    }
    set(o, "host-volumes", hv);
    json_t *ev = json_array();
    for (size_t i = 0; i < p->n_external_volumes; i++) {
        const sdk_external_volume_spec *x = &p->external_volumes[i];
        json_t *e = json_object();
        set(e, "name", jstr(x->name));
        set(e, "type", jstr(x->type));
        set(e, "container-path", jstr(x->container_path));
        set(e, "driver-name", jstr(x->driver_name));
        set(e, "driver-options", jstr(x->driver_options));
        set(e, "volume-name", jstr(x->volume_name));
        set(e, "volume-mode", json_string(x->read_only ? "RO" : "RW"));
        json_array_append_new(ev, e);
    }
    set(o, "external-volumes", ev);
    json_t *sec = json_array();
    for (size_t i = 0; i < p->n_secrets; i++) {
        json_t *e = json_object();
        set(e, "name", jstr(p->secrets[i].name));
        set(e, "secret", jstr(p->secrets[i].secret));
        set(e, "env-key", jstr(p->secrets[i].env_key));
        set(e, "file", jstr(p->secrets[i].file));
        json_array_append_new(sec, e);
    }
    set(o, "secrets", sec);
    set(o, "share-pid-namespace", json_boolean(p->share_pid_namespace));
    set(o, "seccomp-unconfined", json_boolean(p->seccomp_unconfined));
    set(o, "seccomp-profile-name", jstr(p->seccomp_profile_name));
    set(o, "ipc-mode", jstr(p->ipc_mode));
    set(o, "shm-size", json_integer(p->shm_size_mb));
    json_t *rss = json_array();
    for (size_t i = 0; i < p->n_resource_sets; i++) json_array_append_new(rss, w_rs(&p->resource_sets[i]));
    set(o, "resource-sets", rss);
    json_t *ts = json_array();
    for (size_t i = 0; i < p->n_tasks; i++) json_array_append_new(ts, w_task(&p->tasks[i]));
    set(o, "task-specs", ts);
    return o;
}
static json_t *w_plan(const sdk_plan_spec *pl) {
    json_t *o = json_object();
    set(o, "name", jstr(pl->name));
    set(o, "strategy", json_string(sdk_strategy_name(pl->strategy)));
    json_t *phs = json_array();
    for (size_t i = 0; i < pl->n_phases; i++) {
        const sdk_phase_spec *ph = &pl->phases[i];
        json_t *p = json_object();
        set(p, "name", jstr(ph->name));
        set(p, "pod", jstr(ph->pod));
        set(p, "strategy", json_string(sdk_strategy_name(ph->strategy)));
        if (!ph->has_steps) {
            set(p, "steps", json_null());
        } else {
            json_t *es = json_array();
            for (size_t j = 0; j < ph->n_entries; j++) {
                const sdk_step_entry *en = &ph->entries[j];
                json_t *e = json_object();
                set(e, "index", json_integer(en->index));
                json_t *steps = json_array();
                for (size_t k = 0; k < en->n_steps; k++) {
                    json_t *names = json_array();
                    for (char **t = en->steps[k]; t && *t; t++) json_array_append_new(names, json_string(*t));
                    json_array_append_new(steps, names);
                }
                set(e, "steps", steps);
                json_array_append_new(es, e);
            }
            set(p, "steps", es);
        }
        json_array_append_new(phs, p);
    }
    set(o, "phases", phs);
    return o;
}

char *sdk_spec_to_json_new(const sdk_spec *s) {
    json_t *o = json_object();
    char *role = sdk_spec_role_new(s);
    set(o, "name", jstr(s->name));
    set(o, "role", json_string(role));
    free(role);
    set(o, "principal", jstr(s->principal));
    set(o, "web-url", jstr(s->web_url));
    set(o, "zookeeper", jstr(s->zookeeper));
    set(o, "user", jstr(s->user));
    json_t *pods = json_array();
    for (size_t i = 0; i < s->n_pods; i++) json_array_append_new(pods, w_pod(s, &s->pods[i]));
    set(o, "pod-specs", pods);
    json_t *plans = json_array();
    for (size_t i = 0; i < s->n_plans; i++) json_array_append_new(plans, w_plan(&s->plans[i]));
    set(o, "plans", plans);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text) abort(); /* only on out of memory */
    char *out = sdk_xstrdup(text);
    free(text);
    return out;
}

/* ------------------------------------------------------------------ reader */

typedef struct {
    sdk_errors *errs;
    sdk_buf path;  /* JSON path of the object being read, "$.pod-specs[0]" */
} jr;

static size_t push_key(jr *r, const char *k) {
    size_t old = r->path.len;
    sdk_buf_printf(&r->path, ".%s", k);
    return old;
}
static size_t push_idx(jr *r, size_t i) {
    size_t old = r->path.len;
    sdk_buf_printf(&r->path, "[%zu]", i);
    return old;
}
static void pop(jr *r, size_t old) { r->path.len = old; r->path.data[old] = 0; }

__attribute__((format(printf, 3, 4)))
static void jerr(jr *r, const char *key, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    if (key) sdk_errors_addf(r->errs, "%s.%s: %s", r->path.data, key, msg);
    else sdk_errors_addf(r->errs, "%s: %s", r->path.data, msg);
    free(msg);
}

static void r_str(jr *r, json_t *o, const char *k, bool req, char **out) {
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) {
        if (req) jerr(r, k, "missing (expected a string)");
        return;
    }
    if (!json_is_string(v)) { jerr(r, k, "expected a string"); return; }
    *out = sdk_xstrdup(json_string_value(v));
}
static void r_int(jr *r, json_t *o, const char *k, int64_t min, int64_t max, int64_t *out) {
    json_t *v = json_object_get(o, k);
    if (!v) { jerr(r, k, "missing (expected an integer)"); return; }
    if (!json_is_integer(v)) { jerr(r, k, "expected an integer"); return; }
    json_int_t x = json_integer_value(v);
    if (x < min || x > max) { jerr(r, k, "out of range (%lld)", (long long)x); return; }
    *out = x;
}
static void r_u32(jr *r, json_t *o, const char *k, uint32_t *out) {
    int64_t x = 0;
    r_int(r, o, k, 0, UINT32_MAX, &x);
    *out = (uint32_t)x;
}
static void r_num(jr *r, json_t *o, const char *k, double *out) {
    json_t *v = json_object_get(o, k);
    if (!v || !json_is_number(v)) { jerr(r, k, "expected a number"); return; }
    *out = json_number_value(v);
}
static void r_bool(jr *r, json_t *o, const char *k, bool *out) {
    json_t *v = json_object_get(o, k);
    if (!v || !json_is_boolean(v)) { jerr(r, k, "expected true or false"); return; }
    *out = json_is_true(v);
}
/* The array under k, or NULL (error reported) when it is not an array. */
static json_t *r_arr(jr *r, json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    if (!v || !json_is_array(v)) { jerr(r, k, "expected an array"); return NULL; }
    return v;
}
static void r_strv(jr *r, json_t *o, const char *k, char ***out, size_t *n) {
    json_t *a = r_arr(r, o, k);
    if (!a || json_array_size(a) == 0) return;
    *out = sdk_xcalloc(json_array_size(a), sizeof(char *));
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        if (!json_is_string(e)) {
            size_t old = push_key(r, k);
            jerr(r, NULL, "element %zu: expected a string", i);
            pop(r, old);
            continue;
        }
        (*out)[(*n)++] = sdk_xstrdup(json_string_value(e));
    }
}
static void r_kv(jr *r, json_t *o, const char *k, sdk_kv **out, size_t *n) {
    json_t *v = json_object_get(o, k);
    if (!v || !json_is_object(v)) { jerr(r, k, "expected an object"); return; }
    if (json_object_size(v) == 0) return;
    *out = sdk_xcalloc(json_object_size(v), sizeof **out);
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        if (!json_is_string(val)) {
            size_t old = push_key(r, k);
            jerr(r, key, "expected a string");
            pop(r, old);
            continue;
        }
        (*out)[(*n)++] = (sdk_kv){ sdk_xstrdup(key), sdk_xstrdup(json_string_value(val)) };
    }
}

/* Iterates the objects of array `a` (under key k): pushes the element path and sets e. */
#define FOR_OBJS(r, a, i, e, ...) do { \
        size_t i; json_t *e; \
        json_array_foreach((a), i, e) { \
            size_t old_ = push_idx((r), i); \
            if (!json_is_object(e)) jerr((r), NULL, "expected an object"); \
            else { __VA_ARGS__ } \
            pop((r), old_); \
        } } while (0)

static void r_volume(jr *r, json_t *o, sdk_volume_spec *v) {
    r_str(r, o, "path", true, &v->path);
    char *type = NULL;
    r_str(r, o, "type", true, &type);
    if (type && !strcmp(type, "MOUNT")) v->type = SDK_VOLUME_MOUNT;
    else if (type && strcmp(type, "ROOT")) jerr(r, "type", "expected ROOT or MOUNT");
    free(type);
    r_int(r, o, "size", 1, INT64_MAX, &v->size_mb);
    r_strv(r, o, "profiles", &v->profiles, &v->n_profiles);
}
static void r_volumes(jr *r, json_t *o, const char *k, sdk_volume_spec **out, size_t *n) {
    json_t *a = r_arr(r, o, k);
    if (!a || !json_array_size(a)) return;
    *out = sdk_xcalloc(json_array_size(a), sizeof **out);
    size_t old = push_key(r, k);
    FOR_OBJS(r, a, i, e, { r_volume(r, e, &(*out)[(*n)++]); });
    pop(r, old);
}
static void r_limit(jr *r, json_t *o, const char *k, sdk_limit *l) {
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) return;
    if (json_is_string(v) && !strcmp(json_string_value(v), "unlimited")) *l = (sdk_limit){ true, true, 0 };
    else if (json_is_number(v)) *l = (sdk_limit){ true, false, json_number_value(v) };
    else jerr(r, k, "expected a number, \"unlimited\" or null");
}
static void r_rs(jr *r, json_t *o, sdk_resource_set *rs) {
    r_str(r, o, "id", true, &rs->id);
    r_bool(r, o, "implicit", &rs->implicit);
    r_num(r, o, "cpus", &rs->cpus);
    r_num(r, o, "gpus", &rs->gpus);
    r_num(r, o, "memory", &rs->memory_mb);
    r_limit(r, o, "cpus-limit", &rs->cpus_limit);
    r_limit(r, o, "memory-limit", &rs->memory_limit);
    json_t *a = r_arr(r, o, "ports");
    if (a && json_array_size(a)) {
        rs->ports = sdk_xcalloc(json_array_size(a), sizeof *rs->ports);
        size_t old = push_key(r, "ports");
        FOR_OBJS(r, a, i, e, {
            sdk_port_spec *p = &rs->ports[rs->n_ports++];
            r_str(r, e, "name", true, &p->name);
            r_u32(r, e, "port", &p->port);
            r_str(r, e, "env-key", false, &p->env_key);
            r_bool(r, e, "advertise", &p->advertise);
            r_str(r, e, "vip-prefix", false, &p->vip_prefix);
            r_u32(r, e, "vip-port", &p->vip_port);
            json_t *ra = r_arr(r, e, "ranges");
            if (ra && json_array_size(ra)) {
                p->ranges = sdk_xcalloc(json_array_size(ra), sizeof *p->ranges);
                size_t old2 = push_key(r, "ranges");
                FOR_OBJS(r, ra, j, re, {
                    sdk_port_range *pr = &p->ranges[p->n_ranges++];
                    r_u32(r, re, "begin", &pr->begin);
                    r_u32(r, re, "end", &pr->end);
                });
                pop(r, old2);
            }
        });
        pop(r, old);
    }
    r_volumes(r, o, "volumes", &rs->volumes, &rs->n_volumes);
}
static void r_check(jr *r, json_t *o, const char *k, bool health, sdk_check_spec *c) {
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) return;
    if (!json_is_object(v)) { jerr(r, k, "expected an object or null"); return; }
    size_t old = push_key(r, k);
    c->present = true;
    r_str(r, v, "cmd", true, &c->cmd);
    r_int(r, v, "interval", 0, INT64_MAX, &c->interval_s);
    r_int(r, v, "timeout", 0, INT64_MAX, &c->timeout_s);
    r_int(r, v, "delay", 0, INT64_MAX, &c->delay_s);
    if (health) {
        r_int(r, v, "grace-period", 0, INT64_MAX, &c->grace_period_s);
        r_int(r, v, "max-consecutive-failures", 1, INT64_MAX, &c->max_consecutive_failures);
    }
    pop(r, old);
}
static void r_task(jr *r, json_t *o, sdk_task_spec *t) {
    r_str(r, o, "name", true, &t->name);
    char *g = NULL;
    r_str(r, o, "goal", true, &g);
    if (g) {
        if (!strcmp(g, "RUNNING")) t->goal = SDK_GOAL_RUNNING;
        else if (!strcmp(g, "FINISH")) t->goal = SDK_GOAL_FINISH;
        /* old stored specs may say FINISHED, which meant ONCE (sdk-behaviour.md §1.15) */
        else if (!strcmp(g, "ONCE") || !strcmp(g, "FINISHED")) t->goal = SDK_GOAL_ONCE;
        else jerr(r, "goal", "unknown goal '%s'", g);
    }
    free(g);
    r_str(r, o, "cmd", true, &t->cmd);
    r_bool(r, o, "essential", &t->essential);
    r_kv(r, o, "env", &t->env, &t->n_env);
    json_t *a = r_arr(r, o, "config-files");
    if (a && json_array_size(a)) {
        t->configs = sdk_xcalloc(json_array_size(a), sizeof *t->configs);
        size_t old = push_key(r, "config-files");
        FOR_OBJS(r, a, i, e, {
            sdk_config_spec *c = &t->configs[t->n_configs++];
            r_str(r, e, "name", true, &c->name);
            r_str(r, e, "template", true, &c->template_path);
            r_str(r, e, "template-content", false, &c->template_content);
            r_str(r, e, "dest", true, &c->dest);
        });
        pop(r, old);
    }
    r_str(r, o, "resource-set", true, &t->resource_set);
    r_check(r, o, "health-check", true, &t->health_check);
    r_check(r, o, "readiness-check", false, &t->readiness_check);
    r_str(r, o, "discovery-prefix", false, &t->discovery_prefix);
    char *vis = NULL;
    r_str(r, o, "discovery-visibility", true, &vis);
    if (vis) {
        if (!strcmp(vis, "FRAMEWORK")) t->discovery_visibility = SDK_VIS_FRAMEWORK;
        else if (!strcmp(vis, "EXTERNAL")) t->discovery_visibility = SDK_VIS_EXTERNAL;
        else if (strcmp(vis, "CLUSTER")) jerr(r, "discovery-visibility", "unknown visibility '%s'", vis);
    }
    free(vis);
    r_kv(r, o, "labels", &t->labels, &t->n_labels);
    r_int(r, o, "kill-grace-period", 0, 3600, &t->kill_grace_period_s);
    r_str(r, o, "ipc-mode", false, &t->ipc_mode);
    r_int(r, o, "shm-size", 0, INT64_MAX, &t->shm_size_mb);
    a = r_arr(r, o, "transport-encryption");
    if (a && json_array_size(a)) {
        size_t n = json_array_size(a);
        t->transport_encryption = sdk_xcalloc(n, sizeof(char *));
        t->transport_encryption_types = sdk_xcalloc(n, sizeof(char *));
        size_t old = push_key(r, "transport-encryption");
        FOR_OBJS(r, a, i, e, {
            size_t k = t->n_transport_encryption++;
            r_str(r, e, "name", true, &t->transport_encryption[k]);
            r_str(r, e, "type", true, &t->transport_encryption_types[k]);
        });
        pop(r, old);
    }
}
static void r_u32v(jr *r, json_t *o, const char *k, uint32_t **out, size_t *n) {
    json_t *a = r_arr(r, o, k);
    *n = 0;
    if (!a || !json_array_size(a)) return;
    *out = sdk_xcalloc(json_array_size(a), sizeof **out);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 65535) {
            size_t old = push_key(r, k);
            jerr(r, NULL, "element %zu: expected a port number", i);
            pop(r, old);
            continue;
        }
        (*out)[(*n)++] = (uint32_t)json_integer_value(e);
    }
}
static void r_pod(jr *r, json_t *o, sdk_pod_spec *p) {
    r_str(r, o, "type", true, &p->type);
    r_int(r, o, "count", 0, INT32_MAX, &p->count);
    r_bool(r, o, "allow-decommission", &p->allow_decommission);
    r_str(r, o, "placement", false, &p->placement);
    r_str(r, o, "image", false, &p->image);
    r_str(r, o, "pre-reserved-role", true, &p->pre_reserved_role);
    json_t *a = r_arr(r, o, "networks");
    if (a && json_array_size(a)) {
        p->networks = sdk_xcalloc(json_array_size(a), sizeof *p->networks);
        size_t old = push_key(r, "networks");
        FOR_OBJS(r, a, i, e, {
            sdk_network_spec *n = &p->networks[p->n_networks++];
            size_t nh = 0, nc = 0;
            r_str(r, e, "name", true, &n->name);
            r_u32v(r, e, "host-ports", &n->host_ports, &nh);
            r_u32v(r, e, "container-ports", &n->container_ports, &nc);
            if (nh != nc) jerr(r, "container-ports", "must have as many entries as host-ports");
            n->n_port_mappings = nh < nc ? nh : nc;
            r_str(r, e, "labels", false, &n->labels);
        });
        pop(r, old);
    }
    a = r_arr(r, o, "rlimits");
    if (a && json_array_size(a)) {
        p->rlimits = sdk_xcalloc(json_array_size(a), sizeof *p->rlimits);
        size_t old = push_key(r, "rlimits");
        FOR_OBJS(r, a, i, e, {
            sdk_rlimit_spec *rl = &p->rlimits[p->n_rlimits++];
            r_str(r, e, "name", true, &rl->name);
            json_t *soft = json_object_get(e, "soft");
            if (!soft || json_is_null(soft)) {
                rl->unlimited = true;
                rl->soft = rl->hard = -1;
            } else {
                r_int(r, e, "soft", 0, INT64_MAX, &rl->soft);
                r_int(r, e, "hard", 0, INT64_MAX, &rl->hard);
            }
        });
        pop(r, old);
    }
    r_strv(r, o, "uris", &p->uris, &p->n_uris);
    r_volumes(r, o, "volumes", &p->volumes, &p->n_volumes);
    a = r_arr(r, o, "host-volumes");
    if (a && json_array_size(a)) {
        p->host_volumes = sdk_xcalloc(json_array_size(a), sizeof *p->host_volumes);
        size_t old = push_key(r, "host-volumes");
        FOR_OBJS(r, a, i, e, {
            sdk_host_volume_spec *h = &p->host_volumes[p->n_host_volumes++];
            char *mode = NULL;
            r_str(r, e, "host-path", true, &h->host_path);
            r_str(r, e, "container-path", true, &h->container_path);
            r_str(r, e, "mode", true, &mode);
            h->read_only = mode && !strcmp(mode, "RO");
            free(mode);
        });
        pop(r, old);
    }
    a = r_arr(r, o, "external-volumes");
    if (a && json_array_size(a)) {
        p->external_volumes = sdk_xcalloc(json_array_size(a), sizeof *p->external_volumes);
        size_t old = push_key(r, "external-volumes");
        FOR_OBJS(r, a, i, e, {
            sdk_external_volume_spec *x = &p->external_volumes[p->n_external_volumes++];
            char *mode = NULL;
            r_str(r, e, "name", true, &x->name);
            r_str(r, e, "type", true, &x->type);
            r_str(r, e, "container-path", false, &x->container_path);
            r_str(r, e, "driver-name", false, &x->driver_name);
            r_str(r, e, "driver-options", false, &x->driver_options);
            r_str(r, e, "volume-name", false, &x->volume_name);
            r_str(r, e, "volume-mode", true, &mode);
            x->read_only = mode && !strcmp(mode, "RO");
            free(mode);
        });
        pop(r, old);
    }
    a = r_arr(r, o, "secrets");
    if (a && json_array_size(a)) {
        p->secrets = sdk_xcalloc(json_array_size(a), sizeof *p->secrets);
        size_t old = push_key(r, "secrets");
        FOR_OBJS(r, a, i, e, {
            sdk_secret_spec *s = &p->secrets[p->n_secrets++];
            r_str(r, e, "name", true, &s->name);
            r_str(r, e, "secret", true, &s->secret);
            r_str(r, e, "env-key", false, &s->env_key);
            r_str(r, e, "file", false, &s->file);
        });
        pop(r, old);
    }
    r_bool(r, o, "share-pid-namespace", &p->share_pid_namespace);
    r_bool(r, o, "seccomp-unconfined", &p->seccomp_unconfined);
    r_str(r, o, "seccomp-profile-name", false, &p->seccomp_profile_name);
    r_str(r, o, "ipc-mode", false, &p->ipc_mode);
    r_int(r, o, "shm-size", 0, INT64_MAX, &p->shm_size_mb);
    a = r_arr(r, o, "resource-sets");
    if (a && json_array_size(a)) {
        p->resource_sets = sdk_xcalloc(json_array_size(a), sizeof *p->resource_sets);
        size_t old = push_key(r, "resource-sets");
        FOR_OBJS(r, a, i, e, { r_rs(r, e, &p->resource_sets[p->n_resource_sets++]); });
        pop(r, old);
    }
    a = r_arr(r, o, "task-specs");
    if (a && json_array_size(a)) {
        p->tasks = sdk_xcalloc(json_array_size(a), sizeof *p->tasks);
        size_t old = push_key(r, "task-specs");
        FOR_OBJS(r, a, i, e, { r_task(r, e, &p->tasks[p->n_tasks++]); });
        pop(r, old);
    }
}

static bool strategy_by_name(const char *s, sdk_strategy *out) {
    for (int k = SDK_STRATEGY_SERIAL; k <= SDK_STRATEGY_DEPENDENCY_CANARY; k++)
        if (!strcmp(s, sdk_strategy_name((sdk_strategy)k))) { *out = (sdk_strategy)k; return true; }
    return false;
}
static void r_strategy(jr *r, json_t *o, sdk_strategy *out) {
    char *s = NULL;
    r_str(r, o, "strategy", true, &s);
    if (s && !strategy_by_name(s, out)) jerr(r, "strategy", "unknown strategy '%s'", s);
    free(s);
}
static void r_entry(jr *r, json_t *e, sdk_step_entry *en) {
    r_int(r, e, "index", -1, INT64_MAX, &en->index);
    json_t *steps = r_arr(r, e, "steps");
    if (!steps || !json_array_size(steps)) return;
    en->steps = sdk_xcalloc(json_array_size(steps), sizeof *en->steps);
    size_t old = push_key(r, "steps");
    size_t k;
    json_t *names;
    json_array_foreach(steps, k, names) {
        size_t n = json_is_array(names) ? json_array_size(names) : 0;
        char **v = sdk_xcalloc(n + 1, sizeof *v);
        en->steps[en->n_steps++] = v;
        if (!json_is_array(names)) {
            size_t o2 = push_idx(r, k);
            jerr(r, NULL, "expected an array of task names");
            pop(r, o2);
            continue;
        }
        size_t m = 0, j;
        json_t *t;
        json_array_foreach(names, j, t) {
            if (json_is_string(t)) v[m++] = sdk_xstrdup(json_string_value(t));
            else {
                size_t o2 = push_idx(r, k);
                jerr(r, NULL, "element %zu: expected a task name", j);
                pop(r, o2);
            }
        }
    }
    pop(r, old);
}
static void r_plan(jr *r, json_t *o, sdk_plan_spec *pl) {
    r_str(r, o, "name", true, &pl->name);
    r_strategy(r, o, &pl->strategy);
    json_t *a = r_arr(r, o, "phases");
    if (!a || !json_array_size(a)) return;
    pl->phases = sdk_xcalloc(json_array_size(a), sizeof *pl->phases);
    size_t old = push_key(r, "phases");
    FOR_OBJS(r, a, i, e, {
        sdk_phase_spec *ph = &pl->phases[pl->n_phases++];
        r_str(r, e, "name", true, &ph->name);
        r_str(r, e, "pod", true, &ph->pod);
        r_strategy(r, e, &ph->strategy);
        json_t *st = json_object_get(e, "steps");
        if (st && !json_is_null(st)) {
            ph->has_steps = true;
            json_t *es = r_arr(r, e, "steps");
            if (es && json_array_size(es)) {
                ph->entries = sdk_xcalloc(json_array_size(es), sizeof *ph->entries);
                size_t old2 = push_key(r, "steps");
                FOR_OBJS(r, es, j, en, { r_entry(r, en, &ph->entries[ph->n_entries++]); });
                pop(r, old2);
            }
        }
    });
    pop(r, old);
}

int sdk_spec_from_json(const char *json, sdk_spec **out, sdk_errors *errs) {
    *out = NULL;
    json_error_t jerr_;
    json_t *root = json_loads(json ? json : "", JSON_REJECT_DUPLICATES, &jerr_);
    if (!root) {
        sdk_errors_addf(errs, "spec JSON:%d:%d: %s", jerr_.line, jerr_.column, jerr_.text);
        return SDK_EINVAL;
    }
    jr r = { .errs = errs };
    sdk_buf_init(&r.path);
    sdk_buf_puts(&r.path, "$");
    size_t n0 = errs->n;
    sdk_spec *s = sdk_xcalloc(1, sizeof *s);
    if (!json_is_object(root)) {
        jerr(&r, NULL, "expected an object");
    } else {
        r_str(&r, root, "name", true, &s->name);
        r_str(&r, root, "principal", true, &s->principal);
        r_str(&r, root, "web-url", false, &s->web_url);
        r_str(&r, root, "zookeeper", true, &s->zookeeper);
        r_str(&r, root, "user", true, &s->user);
        json_t *a = r_arr(&r, root, "pod-specs");
        if (a && json_array_size(a)) {
            s->pods = sdk_xcalloc(json_array_size(a), sizeof *s->pods);
            size_t old = push_key(&r, "pod-specs");
            FOR_OBJS(&r, a, i, e, { r_pod(&r, e, &s->pods[s->n_pods++]); });
            pop(&r, old);
        }
        a = r_arr(&r, root, "plans");
        if (a && json_array_size(a)) {
            s->plans = sdk_xcalloc(json_array_size(a), sizeof *s->plans);
            size_t old = push_key(&r, "plans");
            FOR_OBJS(&r, a, i, e, { r_plan(&r, e, &s->plans[s->n_plans++]); });
            pop(&r, old);
        }
    }
    json_decref(root);
    sdk_buf_free(&r.path);
    if (errs->n > n0) {
        sdk_spec_free(s);
        return SDK_EINVAL;
    }
    *out = s;
    return 0;
}
