/* The host table and the core-side wrappers (core/plugin/plugin.h), driven by an in-process test
 * plugin ("full") that uses every hook and host function, over the in-memory backend. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/plugin/loader.h"
#include "core/plugin/memory_backend.h"
#include "core/plugin/plugin.h"

/* ---- the test plugin ----------------------------------------------------------------------- */

typedef struct full_state {
    const sdk_host_api *api;
    sdk_plugin_host *host;
    int mode;
    char init_alpha[64];
    uint32_t init_count;
    sdk_plugin_decision decision;
    int estate_rc;
    int endpoint_dup_rc;
    char q_pod[32], q_host[64], q_attr[64], q_task[64];
    uint32_t q_index, q_ntasks;
    char last_status[64], last_ip[64];
    int timer_fired;
    void *timer_arg;
    int cmd_done, cmd_exit;
    char cmd_out[128];
    bool fini_ran_flag;
} full_state;

static int full_init(const sdk_host_api *api, sdk_plugin_host *host, void **state,
                     sdk_plugin_errors *errs) {
    (void)errs;
    full_state *s = calloc(1, sizeof *s);
    s->api = api;
    s->host = host;
    const char *a = api->option(host, "ALPHA");
    snprintf(s->init_alpha, sizeof s->init_alpha, "%s", a ? a : "(null)");
    s->init_count = api->option_count(host);
    *state = s;
    return 0;
}

static void full_fini(void *state) { free(state); }

static int full_mutate(void *state, sdk_plugin_spec *spec, sdk_plugin_errors *errs) {
    full_state *s = state;
    const sdk_host_api *a = s->api;
    int rc = 0;
    rc |= a->spec_set_env(spec, NULL, NULL, "GREETING", "hi");
    rc |= a->spec_set_env(spec, "node", NULL, "NODE_ONLY", "1");
    rc |= a->spec_set_env(spec, "node", "server", "TASK_ONLY", "x");
    rc |= a->spec_set_env(spec, "node", "server", "EXISTING", "replaced");
    rc |= a->spec_pod_set_count(spec, "node", 5);
    rc |= a->spec_task_set_cmd(spec, "node", "server", "./run --fast");
    rc |= a->spec_pod_add_placement(spec, "node", "hostname", "UNIQUE", NULL);
    rc |= a->spec_pod_add_placement(spec, "flat", "@zone", "GROUP_BY", "3");
    rc |= a->spec_pod_add_placement(spec, "nested", "rack", "LIKE", "r[12]");
    rc |= a->spec_pod_add_placement(spec, "text", "rack", "IS", "a:b");
    if (rc != 0) {
        a->error(errs, "a mutator failed");
        return SDK_PLUGIN_EFAILED;
    }
    /* errors the host must report without changing anything */
    if (a->spec_set_env(spec, "node", NULL, "1BAD", "v") != SDK_PLUGIN_EINVAL) return -100;
    if (a->spec_set_env(spec, NULL, "server", "K", "v") != SDK_PLUGIN_EINVAL) return -101;
    if (a->spec_pod_set_count(spec, "nope", 1) != SDK_PLUGIN_ENOENT) return -102;
    if (a->spec_pod_set_count(spec, "node", -1) != SDK_PLUGIN_EINVAL) return -103;
    if (s->mode == 1) {
        a->error(errs, "refusing: %s", "the spec has no seed nodes");
        return SDK_PLUGIN_EFAILED;
    }
    return 0;
}

static int full_validate(void *state, const sdk_plugin_spec *old_spec,
                         const sdk_plugin_spec *new_spec, sdk_plugin_errors *errs) {
    full_state *s = state;
    const sdk_host_api *a = s->api;
    /* mutators are refused outside mutate_spec */
    s->estate_rc = a->spec_pod_set_count((sdk_plugin_spec *)new_spec, "node", 9);
    if (!old_spec) return 0;
    int64_t before = 0, after = 0;
    a->spec_pod_get_count(old_spec, "node", &before);
    a->spec_pod_get_count(new_spec, "node", &after);
    if (after < before)
        a->error(errs, "pods.node.count: %lld => %lld: nodes cannot be removed",
                 (long long)before, (long long)after);
    const char *dc_old = a->spec_task_env(old_spec, "node", "server", "DC");
    const char *dc_new = a->spec_task_env(new_spec, "node", "server", "DC");
    if (dc_old && (!dc_new || strcmp(dc_old, dc_new) != 0))
        a->error(errs, "DC: '%s' => '%s': the data center cannot change", dc_old,
                 dc_new ? dc_new : "");
    return 0;
}

static int full_plans(void *state, const sdk_plugin_spec *spec, sdk_plugin_plans *plans,
                      sdk_plugin_errors *errs) {
    (void)spec;
    (void)errs;
    full_state *s = state;
    const sdk_host_api *a = s->api;
    sdk_plugin_plan *pl = NULL;
    sdk_plugin_phase *ph = NULL;
    const char *sidecar[] = {"sidecar"}, *server[] = {"server"}, *both[] = {"server", "sidecar"};
    switch (s->mode) {
    case 0:
        if (a->plan_add(plans, "cleanup", SDK_PLUGIN_STRATEGY_SERIAL, &pl)) return -1;
        if (a->phase_add(pl, "clean", "node", SDK_PLUGIN_STRATEGY_PARALLEL, &ph)) return -2;
        if (a->step_add(ph, 0, server, 1)) return -3;
        if (a->step_add(ph, -1, sidecar, 1)) return -4;
        if (a->step_add(ph, 0, both, 2)) return -5;
        if (a->phase_add(pl, "clean", "node", SDK_PLUGIN_STRATEGY_SERIAL, NULL) != SDK_PLUGIN_EEXIST)
            return -6;
        if (a->plan_remove(plans, "deploy") != SDK_PLUGIN_EINVAL) return -7;
        return 0;
    case 2:
        if (a->plan_add(plans, "broken", SDK_PLUGIN_STRATEGY_SERIAL, &pl)) return -1;
        if (a->phase_add(pl, "p", "node", SDK_PLUGIN_STRATEGY_SERIAL, &ph)) return -2;
        return a->step_add(ph, 0, (const char *[]){"nosuchtask"}, 1);
    case 3:
        return 0; /* looks only */
    case 4:
        if (a->plan_get(plans, "deploy", &pl)) return -1;
        return a->phase_add(pl, "extra", "flat", SDK_PLUGIN_STRATEGY_SERIAL_CANARY, NULL);
    }
    return 0;
}

static int full_recovery(void *state, const sdk_plugin_spec *spec, const char *pod,
                         uint32_t index, sdk_plugin_recovery_type type, sdk_plugin_recovery *rec) {
    full_state *s = state;
    const sdk_host_api *a = s->api;
    if (type != SDK_PLUGIN_RECOVERY_PERMANENT || strcmp(pod, "node") != 0) return 0;
    char task[64];
    snprintf(task, sizeof task, "node-%u-server", index);
    const char *ip = a->task_ip(s->host, task);
    if (!ip) return 0; /* no known IP: default recovery */
    const char *server[] = {s->mode == 5 ? "ghost" : "server"};
    sdk_plugin_recovery_step *st = NULL;
    if (a->recovery_set_phase(rec, "permanent-node-failure-recovery", SDK_PLUGIN_STRATEGY_SERIAL))
        return -1;
    int rc = a->recovery_step_add(rec, "node", index, server, 1, SDK_PLUGIN_RECOVERY_PERMANENT,
                                  &st);
    if (rc) return rc;
    char suffix[128];
    snprintf(suffix, sizeof suffix, " -Dcassandra.replace_address=%s", ip);
    if (a->recovery_step_cmd_suffix(st, "server", suffix)) return -2;
    if (a->recovery_step_env(st, "server", "REPLACING", "true")) return -3;
    int64_t count = 0;
    a->spec_pod_get_count(spec, "node", &count);
    for (int64_t i = 0; i < count; i++)
        if ((uint32_t)i != index &&
            a->recovery_step_add(rec, "node", (uint32_t)i, server, 1,
                                 SDK_PLUGIN_RECOVERY_TRANSIENT, NULL))
            return -5;
    return 0;
}

static int full_predecom(void *state, const char *pod, uint32_t index,
                         sdk_plugin_decision *decision, sdk_plugin_errors *reason) {
    full_state *s = state;
    *decision = s->decision;
    if (s->decision == SDK_PLUGIN_DECOMMISSION_VETO)
        s->api->error(reason, "%s-%u still holds the only replica of keyspace ks", pod, index);
    return 0;
}

static int reply(full_state *s, sdk_plugin_response *resp, const char *body) {
    s->api->response_set_content_type(resp, "text/plain");
    return s->api->response_set_body(resp, body, strlen(body));
}

static int r_thing(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    full_state *s = state;
    const sdk_host_api *a = s->api;
    char buf[256];
    size_t blen = 0;
    const char *body = a->request_body(req, &blen);
    const char *v = a->request_query(req, "verbose"), *h = a->request_header(req, "x-trace");
    snprintf(buf, sizeof buf, "%s %s name=%s op=%s verbose=%s trace=%s body=%.*s",
             a->request_method(req), a->request_path(req), a->request_param(req, "name"),
             a->request_param(req, "op") ? a->request_param(req, "op") : "-", v ? v : "-",
             h ? h : "-", (int)blen, body);
    return reply(s, resp, buf);
}

static int r_special(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    full_state *s = state;
    s->api->response_set_status(resp, 202);
    return reply(s, resp, "special");
}

static void slow_done(void *state, uint64_t id, void *arg) {
    full_state *s = state;
    s->timer_fired++;
    s->timer_arg = arg;
    (void)id;
    sdk_plugin_response *resp = arg;
    reply(s, resp, "finally");
    s->api->response_finish(resp);
}

static int r_slow(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    full_state *s = state;
    if (s->api->timer_start(s->host, 100, slow_done, resp, NULL)) return -1;
    return s->api->response_suspend(resp);
}

static int r_quick_async(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    full_state *s = state;
    s->api->response_suspend(resp);
    reply(s, resp, "suspended and finished at once");
    return s->api->response_finish(resp);
}

static int r_hold(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    full_state *s = state;
    return s->api->response_suspend(resp); /* never finished by the plugin */
}

static int r_fail(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    reply(state, resp, "partial");
    return SDK_PLUGIN_EFAILED;
}

static const sdk_plugin_route ROUTES[] = {
    {"GET", "/v1/things/{name}", r_thing},
    {"GET", "/v1/things/special", r_special},
    {"PUT", "/v1/things/{name}/op/{op}", r_thing},
    {"DELETE", "/v1/things/{name}", r_thing},
    {"GET", "/v1/slow", r_slow},
    {"GET", "/v1/quick", r_quick_async},
    {"GET", "/v1/hold", r_hold},
    {"GET", "/v1/fail", r_fail},
};

static int full_endpoints(void *state, sdk_plugin_endpoints *out) {
    full_state *s = state;
    if (s->api->endpoint_add(out, "alpha", "text/plain", "A", 1)) return -1;
    if (s->api->endpoint_add(out, "beta", "application/json", "{\"b\": 2}", 8)) return -2;
    s->endpoint_dup_rc = s->api->endpoint_add(out, "alpha", "text/plain", "again", 5);
    return 0;
}

static int full_placement(void *state, const sdk_plugin_placement_query *q, bool *pass,
                          sdk_plugin_errors *reason) {
    full_state *s = state;
    snprintf(s->q_pod, sizeof s->q_pod, "%s", q->pod_type);
    snprintf(s->q_host, sizeof s->q_host, "%s", q->agent_hostname);
    s->q_index = q->pod_index;
    s->q_ntasks = q->n_agent_tasks;
    snprintf(s->q_attr, sizeof s->q_attr, "%s=%s", q->n_attributes ? q->attributes[0].key : "",
             q->n_attributes ? q->attributes[0].value : "");
    snprintf(s->q_task, sizeof s->q_task, "%s", q->n_agent_tasks ? q->agent_tasks[0] : "");
    *pass = strcmp(q->agent_hostname, "bad-host") != 0;
    if (!*pass) s->api->error(reason, "agent %s is reserved for tests", q->agent_hostname);
    return 0;
}

static void full_status(void *state, const sdk_plugin_task_status *st) {
    full_state *s = state;
    snprintf(s->last_status, sizeof s->last_status, "%s %s", st->task_name, st->state);
    snprintf(s->last_ip, sizeof s->last_ip, "%s", st->ip ? st->ip : "-");
}

static const sdk_plugin_option OPTS[] = {
    {"ALPHA", "a-default", "first"},
    {"BETA", "b-default", "second"},
    {"GAMMA", "g-default", "third"},
};

static const sdk_plugin_descriptor FULL = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "full",
    .version = "t",
    .spec_template = "name: {{NAME}}\n",
    .options = OPTS,
    .n_options = 3,
    .routes = ROUTES,
    .n_routes = sizeof ROUTES / sizeof ROUTES[0],
    .init = full_init,
    .fini = full_fini,
    .mutate_spec = full_mutate,
    .validate_config = full_validate,
    .plans = full_plans,
    .recovery_override = full_recovery,
    .pre_decommission = full_predecom,
    .endpoints = full_endpoints,
    .placement = full_placement,
    .task_status = full_status,
};

/* ---- fixtures ------------------------------------------------------------------------------ */

static const char *SPEC_YAML =
    "name: svc\n"
    "pods:\n"
    "  node:\n"
    "    count: 3\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: ./run\n"
    "        cpus: 1\n"
    "        memory: 256\n"
    "        env:\n"
    "          EXISTING: original\n"
    "          DC: dc1\n"
    "      sidecar:\n"
    "        goal: ONCE\n"
    "        cmd: ./side\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "  flat:\n"
    "    count: 1\n"
    "    placement: '[\"hostname\", \"UNIQUE\"]'\n"
    "    tasks:\n"
    "      t:\n"
    "        goal: RUNNING\n"
    "        cmd: x\n"
    "        cpus: 1\n"
    "  nested:\n"
    "    count: 1\n"
    "    placement: '[[\"hostname\", \"UNIQUE\"], [\"@zone\", \"IS\", \"z1\"]]'\n"
    "    tasks:\n"
    "      t:\n"
    "        goal: RUNNING\n"
    "        cmd: x\n"
    "        cpus: 1\n"
    "  text:\n"
    "    count: 1\n"
    "    placement: 'hostname:UNIQUE'\n"
    "    tasks:\n"
    "      t:\n"
    "        goal: RUNNING\n"
    "        cmd: x\n"
    "        cpus: 1\n";

static sdk_spec *parse_spec(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_spec *s = NULL;
    int rc = sdk_spec_parse(SPEC_YAML, strlen(SPEC_YAML), "test.yml", NULL, &s, &e);
    if (rc != 0) sdk_errors_print(&e, "test.yml");
    CHECK_INT(rc, 0);
    sdk_errors_free(&e);
    return s;
}

typedef struct env {
    sdk_memory_backend *m;
    sdk_plugin_lib *lib;
    sdk_plugin_instance *in;
    full_state *st;
    sdk_errors e;
} env;

static void env_open(env *t) {
    memset(t, 0, sizeof *t);
    sdk_errors_init(&t->e);
    t->m = sdk_memory_backend_new();
    CHECK_INT(sdk_plugin_lib_static(&FULL, "full.so", &t->lib, &t->e), 0);
    sdk_kv envv[] = {{"BETA", "b-env"}, {"HOME", "/root"}};
    sdk_kv over[] = {{"GAMMA", "g-cli"}};
    sdk_kv *opts = NULL;
    size_t n = 0;
    CHECK_INT(sdk_plugin_options_merge_new(t->lib, envv, 2, over, 1, &opts, &n, &t->e), 0);
    sdk_plugin_backend be = sdk_memory_backend_vtable(t->m);
    CHECK_INT(sdk_plugin_instance_new(t->lib, &be, opts, n, &t->in, &t->e), 0);
    sdk_plugin_kv_free(opts, n);
    sdk_plugin_lib_close(t->lib);
    t->st = t->in ? sdk_plugin_instance_state(t->in) : NULL;
}

static void env_close(env *t) {
    sdk_plugin_instance_free(t->in);
    sdk_memory_backend_free(t->m);
    sdk_errors_free(&t->e);
}

static const sdk_pod_spec *pod(const sdk_spec *s, const char *type) { return sdk_spec_pod(s, type); }
static const char *task_env(const sdk_spec *s, const char *p, const char *t, const char *k) {
    const sdk_task_spec *ts = sdk_pod_task(sdk_spec_pod(s, p), t);
    for (size_t i = 0; ts && i < ts->n_env; i++)
        if (strcmp(ts->env[i].key, k) == 0) return ts->env[i].value;
    return NULL;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_options_layering(void) {
    env t;
    env_open(&t);
    if (!t.st) return;
    CHECK_STR(t.st->init_alpha, "a-default");
    CHECK_INT(t.st->init_count, 4); /* ALPHA BETA GAMMA HOME */
    const sdk_host_api *a = t.st->api;
    CHECK_STR(a->option(t.st->host, "BETA"), "b-env");  /* env beats default */
    CHECK_STR(a->option(t.st->host, "GAMMA"), "g-cli"); /* -o beats default */
    CHECK_STR(a->option(t.st->host, "HOME"), "/root");  /* any env var is visible */
    CHECK(a->option(t.st->host, "MISSING") == NULL);
    const char *k = NULL, *v = NULL;
    CHECK_INT(a->option_at(t.st->host, 0, &k, &v), 0);
    CHECK_STR(k, "ALPHA");
    CHECK_INT(a->option_at(t.st->host, 4, &k, &v), SDK_PLUGIN_ENOENT);
    CHECK_STR(sdk_plugin_default_spec(t.in), "name: {{NAME}}\n");
    env_close(&t);

    /* -o with a bad key: refused, nothing produced */
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_kv bad[] = {{"9LIVES", "x"}};
    sdk_kv *out = (sdk_kv *)1;
    size_t n = 7;
    CHECK_INT(sdk_plugin_options_merge_new(NULL, NULL, 0, bad, 1, &out, &n, &e), SDK_EINVAL);
    CHECK(out == (sdk_kv *)1 && n == 7);
    CHECK_CONTAINS(e.n ? e.msgs[0] : "", "-o '9LIVES=x': bad option name");
    sdk_errors_free(&e);
}

static void test_properties(void) {
    env t;
    env_open(&t);
    if (!t.st) return;
    const sdk_host_api *a = t.st->api;
    sdk_plugin_host *h = t.st->host;
    char *v = NULL;
    size_t len = 0;
    CHECK_INT(a->property_get(h, "seed-ip", &v, &len), SDK_PLUGIN_ENOENT);
    CHECK_INT(a->property_set(h, "seed-ip", "10.0.0.1", 8), 0);
    CHECK_INT(a->property_get(h, "seed-ip", &v, &len), 0);
    CHECK_STR(v, "10.0.0.1");
    CHECK_INT(len, 8);
    a->free(v);
    CHECK_INT(a->property_set(h, "seed-ip", "\0bin", 4), 0); /* binary values keep their length */
    CHECK_INT(a->property_get(h, "seed-ip", &v, &len), 0);
    CHECK_INT(len, 4);
    CHECK(v && memcmp(v, "\0bin", 4) == 0);
    a->free(v);
    CHECK_INT(a->property_set(h, "bad key/with slash", "x", 1), SDK_PLUGIN_EINVAL);
    CHECK_INT(a->property_delete(h, "seed-ip"), 0);
    CHECK_INT(a->property_delete(h, "seed-ip"), SDK_PLUGIN_ENOENT);
    env_close(&t);
}

static void test_mutate_spec(void) {
    env t;
    env_open(&t);
    sdk_spec *s = parse_spec();
    if (!t.st || !s) return;
    CHECK_INT(sdk_plugin_mutate_spec(t.in, &s, &t.e), 0);
    CHECK_INT(t.e.n, 0);
    CHECK_STR(task_env(s, "node", "server", "GREETING"), "hi");
    CHECK_STR(task_env(s, "flat", "t", "GREETING"), "hi");
    CHECK_STR(task_env(s, "node", "sidecar", "NODE_ONLY"), "1");
    CHECK(task_env(s, "flat", "t", "NODE_ONLY") == NULL);
    CHECK_STR(task_env(s, "node", "server", "TASK_ONLY"), "x");
    CHECK(task_env(s, "node", "sidecar", "TASK_ONLY") == NULL);
    CHECK_STR(task_env(s, "node", "server", "EXISTING"), "replaced");
    CHECK_INT(pod(s, "node")->count, 5);
    CHECK_STR(sdk_pod_task(pod(s, "node"), "server")->cmd, "./run --fast");
    CHECK_STR(pod(s, "node")->placement, "[[\"hostname\",\"UNIQUE\"]]");
    CHECK_STR(pod(s, "flat")->placement,
              "[[\"hostname\", \"UNIQUE\"],[\"@zone\",\"GROUP_BY\",\"3\"]]");
    CHECK_STR(pod(s, "nested")->placement,
              "[[\"hostname\", \"UNIQUE\"], [\"@zone\", \"IS\", \"z1\"],[\"rack\",\"LIKE\",\"r[12]\"]]");
    CHECK_STR(pod(s, "text")->placement, "hostname:UNIQUE,rack:IS:a\\:b");
    sdk_spec_free(s);
    env_close(&t);
}

static void test_failed_mutation_changes_nothing(void) {
    env t;
    env_open(&t);
    sdk_spec *s = parse_spec();
    if (!t.st || !s) return;
    sdk_spec *orig = sdk_spec_dup(s);
    sdk_spec *before_ptr = s;
    t.st->mode = 1;
    CHECK_INT(sdk_plugin_mutate_spec(t.in, &s, &t.e), SDK_EINVAL);
    CHECK(s == before_ptr);
    CHECK(sdk_spec_equal(s, orig));
    CHECK(task_env(s, "node", "server", "GREETING") == NULL);
    CHECK_INT(t.e.n, 1);
    CHECK_STR(t.e.n ? t.e.msgs[0] : "", "plugin 'full': refusing: the spec has no seed nodes");
    sdk_spec_free(orig);
    sdk_spec_free(s);
    env_close(&t);
}

static void test_validate_config(void) {
    env t;
    env_open(&t);
    sdk_spec *old = parse_spec(), *cand = parse_spec();
    if (!t.st || !old || !cand) return;
    /* first install: no old spec, nothing to compare */
    CHECK_INT(sdk_plugin_validate_config(t.in, NULL, cand, &t.e), 0);
    CHECK_INT(t.st->estate_rc, SDK_PLUGIN_ESTATE); /* mutators refused outside mutate_spec */
    CHECK_INT(pod(cand, "node")->count, 3);
    CHECK_INT(sdk_plugin_validate_config(t.in, old, cand, &t.e), 0);
    ((sdk_pod_spec *)pod(cand, "node"))->count = 2;
    sdk_task_spec *srv = (sdk_task_spec *)sdk_pod_task(pod(cand, "node"), "server");
    for (size_t i = 0; i < srv->n_env; i++)
        if (strcmp(srv->env[i].key, "DC") == 0) {
            free(srv->env[i].value);
            srv->env[i].value = strdup("dc2");
        }
    CHECK_INT(sdk_plugin_validate_config(t.in, old, cand, &t.e), SDK_EINVAL);
    CHECK_INT(t.e.n, 2);
    CHECK_STR(t.e.n > 0 ? t.e.msgs[0] : "",
              "plugin 'full': pods.node.count: 3 => 2: nodes cannot be removed");
    CHECK_STR(t.e.n > 1 ? t.e.msgs[1] : "",
              "plugin 'full': DC: 'dc1' => 'dc2': the data center cannot change");
    sdk_spec_free(old);
    sdk_spec_free(cand);
    env_close(&t);
}

static void test_plan_generation(void) {
    env t;
    env_open(&t);
    sdk_spec *s = parse_spec();
    if (!t.st || !s) return;
    CHECK_INT(s->n_plans, 0);
    /* a hook that changes nothing leaves the spec's plans alone (default deploy stays implicit) */
    t.st->mode = 3;
    CHECK_INT(sdk_plugin_generate_plans(t.in, s, &t.e), 0);
    CHECK_INT(s->n_plans, 0);

    /* refused builder calls fail the hook even when the plugin ignores the return codes */
    t.st->mode = 0;
    CHECK_INT(sdk_plugin_generate_plans(t.in, s, &t.e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&t.e, "plugin 'full': plan_remove: the deploy plan cannot be removed"));
    CHECK(sdk_errors_contains(&t.e, "plugin 'full': plan 'cleanup': phase 'clean' already exists"));
    CHECK_INT(s->n_plans, 0);
    env_close(&t);
    sdk_spec_free(s);
}

/* A plugin whose plans hook is clean (no refused calls) to check the produced plan specs. */
static int clean_plans(void *state, const sdk_plugin_spec *spec, sdk_plugin_plans *plans,
                       sdk_plugin_errors *errs) {
    (void)spec;
    (void)errs;
    full_state *s = state;
    const sdk_host_api *a = s->api;
    sdk_plugin_plan *pl = NULL;
    sdk_plugin_phase *ph = NULL;
    const char *sidecar[] = {"sidecar"}, *server[] = {"server"}, *both[] = {"server", "sidecar"};
    if (a->plans_count(plans) != 1 || strcmp(a->plans_name(plans, 0), "deploy") != 0) return -9;
    if (a->plan_add(plans, "cleanup", SDK_PLUGIN_STRATEGY_PARALLEL, &pl)) return -1;
    if (a->phase_add(pl, "clean", "node", SDK_PLUGIN_STRATEGY_PARALLEL, &ph)) return -2;
    if (a->step_add(ph, 0, server, 1)) return -3;
    if (a->step_add(ph, -1, sidecar, 1)) return -4;
    if (a->step_add(ph, 0, both, 2)) return -5;
    if (a->step_add(ph, 2, NULL, 0)) return -6; /* `2: []` */
    return 0;
}

static void test_plan_builders_produce_plan_specs(void) {
    sdk_plugin_descriptor d = FULL;
    d.plans = clean_plans;
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_plugin_lib *lib = NULL;
    CHECK_INT(sdk_plugin_lib_static(&d, "clean.so", &lib, &e), 0);
    sdk_plugin_instance *in = NULL;
    CHECK_INT(sdk_plugin_instance_new(lib, NULL, NULL, 0, &in, &e), 0);
    sdk_plugin_lib_close(lib);
    sdk_spec *s = parse_spec();
    if (!in || !s) return;
    CHECK_INT(sdk_plugin_generate_plans(in, s, &e), 0);
    CHECK_INT(e.n, 0);
    CHECK_INT(s->n_plans, 2);
    const sdk_plan_spec *dep = sdk_spec_plan(s, "deploy");
    CHECK(dep != NULL);
    if (dep) {
        CHECK_INT(dep->strategy, SDK_STRATEGY_SERIAL);
        CHECK_INT(dep->n_phases, 4); /* one per pod type, in spec order */
        CHECK_STR(dep->phases[0].name, "node");
        CHECK_STR(dep->phases[3].pod, "text");
        CHECK(!dep->phases[0].has_steps);
    }
    const sdk_plan_spec *cl = sdk_spec_plan(s, "cleanup");
    CHECK(cl != NULL);
    if (cl && cl->n_phases == 1) {
        const sdk_phase_spec *ph = &cl->phases[0];
        CHECK_INT(cl->strategy, SDK_STRATEGY_PARALLEL);
        CHECK_STR(ph->name, "clean");
        CHECK_STR(ph->pod, "node");
        CHECK_INT(ph->strategy, SDK_STRATEGY_PARALLEL);
        CHECK(ph->has_steps);
        CHECK_INT(ph->n_entries, 3);
        if (ph->n_entries == 3) {
            CHECK_INT(ph->entries[0].index, 0);
            CHECK_INT(ph->entries[0].n_steps, 2); /* [[server], [server, sidecar]] */
            CHECK_STR(ph->entries[0].steps[0][0], "server");
            CHECK(ph->entries[0].steps[0][1] == NULL);
            CHECK_STR(ph->entries[0].steps[1][1], "sidecar");
            CHECK_INT(ph->entries[1].index, -1);
            CHECK_STR(ph->entries[1].steps[0][0], "sidecar");
            CHECK_INT(ph->entries[2].index, 2);
            CHECK_INT(ph->entries[2].n_steps, 0);
        }
    }
    sdk_spec_free(s);
    sdk_plugin_instance_free(in);
    sdk_errors_free(&e);
}

static void test_plan_errors_change_nothing(void) {
    env t;
    env_open(&t);
    sdk_spec *s = parse_spec();
    if (!t.st || !s) return;
    t.st->mode = 2;
    CHECK_INT(sdk_plugin_generate_plans(t.in, s, &t.e), SDK_EINVAL);
    CHECK_INT(s->n_plans, 0);
    CHECK_CONTAINS(t.e.n ? t.e.msgs[0] : "",
                   "plugin 'full': phase 'p': step for node-0 names unknown task 'nosuchtask'");
    /* appending a phase to the default deploy plan materialises it */
    sdk_errors_free(&t.e);
    sdk_errors_init(&t.e);
    t.st->mode = 4;
    CHECK_INT(sdk_plugin_generate_plans(t.in, s, &t.e), 0);
    CHECK_INT(s->n_plans, 1);
    if (s->n_plans == 1) {
        CHECK_INT(s->plans[0].n_phases, 5);
        CHECK_STR(s->plans[0].phases[4].name, "extra");
        CHECK_INT(s->plans[0].phases[4].strategy, SDK_STRATEGY_SERIAL_CANARY);
    }
    sdk_spec_free(s);
    env_close(&t);
}

static void test_recovery_override(void) {
    env t;
    env_open(&t);
    sdk_spec *s = parse_spec();
    if (!t.st || !s) return;
    sdk_recovery_phase_spec *ph = (sdk_recovery_phase_spec *)1;
    /* transient: default recovery */
    CHECK_INT(sdk_plugin_recovery_override(t.in, s, "node", 1, SDK_PLUGIN_RECOVERY_TRANSIENT, &ph,
                                           &t.e), 0);
    CHECK(ph == NULL);
    /* permanent without a known IP: default recovery */
    CHECK_INT(sdk_plugin_recovery_override(t.in, s, "node", 1, SDK_PLUGIN_RECOVERY_PERMANENT, &ph,
                                           &t.e), 0);
    CHECK(ph == NULL);
    sdk_memory_backend_set_task(t.m, "node", 1, "node-1-server", "TASK_LOST", "10.0.0.7", "a1");
    CHECK_INT(sdk_plugin_recovery_override(t.in, s, "node", 1, SDK_PLUGIN_RECOVERY_PERMANENT, &ph,
                                           &t.e), 0);
    CHECK_INT(t.e.n, 0);
    CHECK(ph != NULL);
    if (ph) {
        CHECK_STR(ph->name, "permanent-node-failure-recovery");
        CHECK_INT(ph->strategy, SDK_STRATEGY_SERIAL);
        CHECK_INT(ph->n_steps, 3);
        if (ph->n_steps == 3) {
            CHECK_STR(ph->steps[0].pod, "node");
            CHECK_INT(ph->steps[0].index, 1);
            CHECK_INT(ph->steps[0].type, SDK_PLUGIN_RECOVERY_PERMANENT);
            CHECK_INT(ph->steps[0].n_tasks, 1);
            CHECK_STR(ph->steps[0].tasks[0], "server");
            CHECK_INT(ph->steps[0].n_overrides, 1);
            if (ph->steps[0].n_overrides == 1) {
                CHECK_STR(ph->steps[0].overrides[0].task, "server");
                CHECK_STR(ph->steps[0].overrides[0].cmd_suffix,
                          " -Dcassandra.replace_address=10.0.0.7");
                CHECK_INT(ph->steps[0].overrides[0].n_env, 1);
                CHECK_STR(ph->steps[0].overrides[0].env[0].key, "REPLACING");
            }
            CHECK_INT(ph->steps[1].index, 0);
            CHECK_INT(ph->steps[1].type, SDK_PLUGIN_RECOVERY_TRANSIENT);
            CHECK_INT(ph->steps[2].index, 2);
            CHECK_INT(ph->steps[2].n_overrides, 0);
        }
    }
    sdk_recovery_phase_spec_free(ph);
    /* a wrongly built phase: error, no phase */
    t.st->mode = 5;
    ph = (sdk_recovery_phase_spec *)1;
    CHECK_INT(sdk_plugin_recovery_override(t.in, s, "node", 1, SDK_PLUGIN_RECOVERY_PERMANENT, &ph,
                                           &t.e), SDK_EINVAL);
    CHECK(ph == NULL);
    CHECK_CONTAINS(t.e.n ? t.e.msgs[0] : "",
                   "plugin 'full': recovery step node-1 names unknown task 'ghost'");
    sdk_spec_free(s);
    env_close(&t);
}

static void test_pre_decommission(void) {
    env t;
    env_open(&t);
    if (!t.st) return;
    sdk_plugin_decision d;
    char *why = NULL;
    t.st->decision = SDK_PLUGIN_DECOMMISSION_ALLOW;
    CHECK_INT(sdk_plugin_pre_decommission(t.in, "node", 2, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_ALLOW);
    CHECK(why == NULL);
    t.st->decision = SDK_PLUGIN_DECOMMISSION_VETO;
    CHECK_INT(sdk_plugin_pre_decommission(t.in, "node", 2, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_VETO);
    CHECK_STR(why, "node-2 still holds the only replica of keyspace ks");
    free(why);
    t.st->decision = SDK_PLUGIN_DECOMMISSION_PENDING;
    CHECK_INT(sdk_plugin_pre_decommission(t.in, "node", 2, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_PENDING);
    t.st->decision = (sdk_plugin_decision)77; /* nonsense counts as "ask again" */
    CHECK_INT(sdk_plugin_pre_decommission(t.in, "node", 2, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_PENDING);
    env_close(&t);
}

typedef struct sent {
    int calls, status;
    char body[128];
} sent;

static void on_finish(sdk_plugin_response *r, void *ctx) {
    sent *s = ctx;
    s->calls++;
    s->status = r->status;
    snprintf(s->body, sizeof s->body, "%s", r->body.data ? r->body.data : "");
}

static int get(env *t, const char *method, const char *path, sdk_plugin_response **resp,
               bool *pending, sent *snt) {
    sdk_kv q[] = {{"verbose", "yes"}};
    sdk_kv h[] = {{"X-Trace", "t-1"}};
    sdk_plugin_http_request req = {.method = method, .path = path, .query = q, .n_query = 1,
                                   .headers = h, .n_headers = 1, .body = "B0DY", .body_len = 4};
    *resp = sdk_plugin_response_new(on_finish, snt);
    return sdk_plugin_dispatch(t->in, &req, *resp, pending);
}

static void test_routes(void) {
    env t;
    env_open(&t);
    if (!t.st) return;
    sdk_plugin_response *r = NULL;
    bool pending = true;
    sent snt = {0};

    CHECK_INT(get(&t, "GET", "/v1/things/apple", &r, &pending, &snt), 0);
    CHECK(!pending);
    CHECK_INT(r->status, 200);
    CHECK_STR(r->content_type, "text/plain");
    CHECK_STR(r->body.data,
              "GET /v1/things/apple name=apple op=- verbose=yes trace=t-1 body=B0DY");
    sdk_plugin_response_free(r);

    /* the literal segment wins over {name}, whatever the table order */
    CHECK_INT(get(&t, "GET", "/v1/things/special", &r, &pending, &snt), 0);
    CHECK_INT(r->status, 202);
    CHECK_STR(r->body.data, "special");
    sdk_plugin_response_free(r);

    CHECK_INT(get(&t, "PUT", "/v1/things/t1/op/partitions", &r, &pending, &snt), 0);
    CHECK_CONTAINS(r->body.data, "PUT /v1/things/t1/op/partitions name=t1 op=partitions");
    sdk_plugin_response_free(r);

    /* path known, method not: 405 listing the allowed ones */
    CHECK_INT(get(&t, "POST", "/v1/things/apple", &r, &pending, &snt), 0);
    CHECK_INT(r->status, 405);
    CHECK_CONTAINS(r->body.data, "allowed: GET, DELETE");
    sdk_plugin_response_free(r);

    /* unknown path: ENOENT, the caller answers 404 */
    CHECK_INT(get(&t, "GET", "/v1/nothing", &r, &pending, &snt), SDK_ENOENT);
    sdk_plugin_response_free(r);
    CHECK_INT(get(&t, "GET", "/v1/things", &r, &pending, &snt), SDK_ENOENT);
    CHECK_INT(r->status, 200); /* untouched */
    sdk_plugin_response_free(r);

    /* a failing handler: 500 with no partial body */
    CHECK_INT(get(&t, "GET", "/v1/fail", &r, &pending, &snt), 0);
    CHECK_INT(r->status, 500);
    CHECK_INT(r->body.len, 0);
    sdk_plugin_response_free(r);
    CHECK_INT(snt.calls, 0);
    env_close(&t);
}

static void test_async_routes(void) {
    env t;
    env_open(&t);
    if (!t.st) return;
    sdk_plugin_response *r = NULL;
    bool pending = false;
    sent snt = {0};
    /* suspended, answered 100 ms later by a timer */
    CHECK_INT(get(&t, "GET", "/v1/slow", &r, &pending, &snt), 0);
    CHECK(pending);
    CHECK_INT(snt.calls, 0);
    CHECK_INT(sdk_memory_backend_timers_pending(t.m), 1);
    CHECK(sdk_memory_backend_fire_next_timer(t.m));
    CHECK_INT(t.st->timer_fired, 1);
    CHECK_INT(snt.calls, 1);
    CHECK_STR(snt.body, "finally");
    CHECK_INT(snt.status, 200); /* r was freed by the host after on_finish */

    /* suspended and finished inside the handler: an ordinary response */
    pending = true;
    CHECK_INT(get(&t, "GET", "/v1/quick", &r, &pending, &snt), 0);
    CHECK(!pending);
    CHECK_STR(r->body.data, "suspended and finished at once");
    CHECK_INT(snt.calls, 1);
    sdk_plugin_response_free(r);

    /* client went away: finishing later just frees */
    CHECK_INT(get(&t, "GET", "/v1/slow", &r, &pending, &snt), 0);
    CHECK(pending);
    sdk_plugin_response_abandon(r);
    CHECK(sdk_memory_backend_fire_next_timer(t.m));
    CHECK_INT(snt.calls, 1);

    /* never answered by the plugin: unloading answers 503 */
    sent held = {0};
    sdk_plugin_http_request req = {.method = "GET", .path = "/v1/hold"};
    sdk_plugin_response *hr = sdk_plugin_response_new(on_finish, &held);
    CHECK_INT(sdk_plugin_dispatch(t.in, &req, hr, &pending), 0);
    CHECK(pending);
    sdk_plugin_instance_free(t.in);
    t.in = NULL;
    CHECK_INT(held.calls, 1);
    CHECK_INT(held.status, 503);
    CHECK_CONTAINS(held.body, "stopped before answering");
    env_close(&t);
}

static void test_endpoints_placement_status(void) {
    env t;
    env_open(&t);
    if (!t.st) return;
    sdk_plugin_endpoint *eps = NULL;
    size_t n = 0;
    CHECK_INT(sdk_plugin_endpoints_new(t.in, &eps, &n, &t.e), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(eps[0].name, "alpha");
        CHECK_STR(eps[0].content_type, "text/plain");
        CHECK_STR(eps[0].body, "A");
        CHECK_STR(eps[1].body, "{\"b\": 2}");
        CHECK_INT(eps[1].body_len, 8);
    }
    CHECK_INT(t.st->endpoint_dup_rc, SDK_PLUGIN_EEXIST);
    sdk_plugin_endpoints_free(eps, n);

    CHECK(sdk_plugin_has_placement(t.in));
    sdk_kv attrs[] = {{"rack", "r1"}};
    const char *on_agent[] = {"node-0-server"};
    bool pass = false;
    char *why = NULL;
    CHECK_INT(sdk_plugin_placement(t.in, "node", 2, "good-host", attrs, 1, on_agent, 1, &pass, &why),
              0);
    CHECK(pass);
    CHECK(why == NULL);
    CHECK_STR(t.st->q_pod, "node");
    CHECK_INT(t.st->q_index, 2);
    CHECK_STR(t.st->q_host, "good-host");
    CHECK_STR(t.st->q_attr, "rack=r1");
    CHECK_STR(t.st->q_task, "node-0-server");
    CHECK_INT(sdk_plugin_placement(t.in, "node", 2, "bad-host", NULL, 0, NULL, 0, &pass, &why), 0);
    CHECK(!pass);
    CHECK_STR(why, "agent bad-host is reserved for tests");
    free(why);

    sdk_plugin_task_status_notify(t.in, "node-0-server", "id-1", "TASK_RUNNING", "a1", "10.1.1.1",
                                  NULL);
    CHECK_STR(t.st->last_status, "node-0-server TASK_RUNNING");
    CHECK_STR(t.st->last_ip, "10.1.1.1");
    env_close(&t);
}

static void cmd_done(void *state, uint64_t id, void *arg, const sdk_plugin_command_result *res) {
    (void)id;
    full_state *s = state;
    s->cmd_done++;
    s->cmd_exit = res->exit_code;
    snprintf(s->cmd_out, sizeof s->cmd_out, "%.*s|%.*s|%s", (int)res->out_len, res->out,
             (int)res->err_len, res->err, (const char *)arg);
}

static void timer_cb(void *state, uint64_t id, void *arg) {
    (void)id;
    full_state *s = state;
    s->timer_fired++;
    s->timer_arg = arg;
}

static void test_tasks_timers_commands_render_log(void) {
    env t;
    env_open(&t);
    if (!t.st) return;
    const sdk_host_api *a = t.st->api;
    sdk_plugin_host *h = t.st->host;

    sdk_memory_backend_set_task(t.m, "node", 0, "node-0-server", "TASK_RUNNING", "10.0.0.1", "a1");
    sdk_memory_backend_set_task(t.m, "node", 0, "node-0-sidecar", "TASK_FINISHED", NULL, "a1");
    sdk_memory_backend_set_task(t.m, "node", 1, "node-1-server", "TASK_FAILED", "10.0.0.2", "a2");
    char **names = NULL;
    uint32_t n = 0;
    CHECK_INT(a->pod_tasks(h, "node", 0, &names, &n), 0);
    CHECK_INT(n, 2);
    CHECK_STR(n ? names[0] : NULL, "node-0-server");
    CHECK(names && names[n] == NULL);
    a->free(names);
    CHECK_INT(a->pod_tasks(h, "node", -1, &names, &n), 0);
    CHECK_INT(n, 3);
    a->free(names);
    CHECK_STR(a->task_state(h, "node-1-server"), "TASK_FAILED");
    CHECK_STR(a->task_ip(h, "node-1-server"), "10.0.0.2");
    CHECK_STR(a->task_agent(h, "node-0-sidecar"), "a1");
    CHECK(a->task_ip(h, "node-0-sidecar") == NULL);
    CHECK(a->task_state(h, "ghost") == NULL);

    uint64_t t1 = 0, t2 = 0;
    int marker = 0;
    CHECK_INT(a->timer_start(h, 1000, timer_cb, &marker, &t1), 0);
    CHECK_INT(a->timer_start(h, 2000, timer_cb, NULL, &t2), 0);
    CHECK(t1 != 0 && t2 != 0 && t1 != t2);
    CHECK_INT(a->timer_cancel(h, t2), 0);
    CHECK_INT(a->timer_cancel(h, t2), SDK_PLUGIN_ENOENT);
    CHECK_INT(sdk_memory_backend_timers_pending(t.m), 1);
    CHECK(sdk_memory_backend_fire_next_timer(t.m));
    CHECK_INT(t.st->timer_fired, 1);
    CHECK(t.st->timer_arg == &marker);
    CHECK_INT(a->timer_cancel(h, t1), SDK_PLUGIN_ENOENT); /* already fired */

    const char *argv[] = {"kafka-topics.sh", "--list", NULL};
    sdk_plugin_command cmd = {.size = sizeof cmd, .timeout_ms = 5000, .argv = argv};
    uint64_t c1 = 0;
    CHECK_INT(a->run_command(h, &cmd, cmd_done, "ctx", &c1), 0);
    CHECK_STR(sdk_memory_backend_command_arg(t.m, 1), "--list");
    CHECK(sdk_memory_backend_complete_command(t.m, 3, "topic-a\n", "warning"));
    CHECK_INT(t.st->cmd_done, 1);
    CHECK_INT(t.st->cmd_exit, 3);
    CHECK_STR(t.st->cmd_out, "topic-a\n|warning|ctx");
    uint64_t c2 = 0;
    CHECK_INT(a->run_command(h, &cmd, cmd_done, "ctx", &c2), 0);
    CHECK_INT(a->command_cancel(h, c2), 0);
    CHECK_INT(sdk_memory_backend_commands_pending(t.m), 0);
    CHECK_INT(t.st->cmd_done, 1); /* cancelled: no callback */
    const char *empty[] = {NULL};
    cmd.argv = empty;
    CHECK_INT(a->run_command(h, &cmd, cmd_done, NULL, NULL), SDK_PLUGIN_EINVAL);

    /* pending timers and commands are cancelled when the instance goes */
    CHECK_INT(a->timer_start(h, 1000, timer_cb, NULL, NULL), 0);
    cmd.argv = argv;
    CHECK_INT(a->run_command(h, &cmd, cmd_done, "ctx", NULL), 0);

    char *out = NULL;
    CHECK_INT(a->render(h, "{{ALPHA}}/{{BETA}}/{{GAMMA}}", NULL, 0, false, &out, NULL), 0);
    CHECK_STR(out, "a-default/b-env/g-cli");
    a->free(out);
    sdk_plugin_kv vars[] = {{"X", "<&>"}};
    CHECK_INT(a->render(h, "{{X}} {{{X}}}", vars, 1, false, &out, NULL), 0);
    CHECK_STR(out, "&lt;&amp;&gt; <&>");
    a->free(out);
    CHECK_INT(a->render(h, "{{NOPE}}", vars, 1, true, &out, NULL), SDK_PLUGIN_EINVAL);
    CHECK(out == NULL);

    a->log(h, SDK_PLUGIN_LOG_WARN, "disk %d%% full", 91);
    size_t nl = sdk_memory_backend_log_count(t.m);
    CHECK(nl >= 1);
    CHECK_STR(sdk_memory_backend_log_line(t.m, nl - 1), "full WARN disk 91% full");

    sdk_plugin_instance_free(t.in);
    t.in = NULL;
    CHECK_INT(sdk_memory_backend_timers_pending(t.m), 0);
    CHECK_INT(sdk_memory_backend_commands_pending(t.m), 0);
    env_close(&t);
}

int main(void) {
    RUN(test_options_layering);
    RUN(test_properties);
    RUN(test_mutate_spec);
    RUN(test_failed_mutation_changes_nothing);
    RUN(test_validate_config);
    RUN(test_plan_generation);
    RUN(test_plan_builders_produce_plan_specs);
    RUN(test_plan_errors_change_nothing);
    RUN(test_recovery_override);
    RUN(test_pre_decommission);
    RUN(test_routes);
    RUN(test_async_routes);
    RUN(test_endpoints_placement_status);
    RUN(test_tasks_timers_commands_render_log);
    return check_summary("test_plugin_host");
}
