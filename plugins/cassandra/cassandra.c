/* cassandra: Apache Cassandra as a Stateful SDK service plugin (sdk-behaviour.md §10.1).
 *   - spec template (cassandra_spec.c): pod `node` (NODES) with resource sets server-resources
 *     (ports jmx, storage, native-client advertised, optional thrift-client) and
 *     sidecar-resources; task `server` plus ONCE maintenance tasks; plans deploy, replace, repair,
 *     cleanup in YAML;
 *   - mutate_spec: the run-time env of every node task (CASSANDRA_HOME, cluster name, seeds ...);
 *     LOCAL_SEEDS = the DNS names of the first LOCAL_SEEDS_COUNT server tasks;
 *   - validate_config: option ranges, and the data centre / rack may not change once set;
 *   - plans: backup and restore (strategy from BACKUP_RESTORE_STRATEGY);
 *   - recovery_override: a permanently failed node-i is relaunched with
 *     -Dcassandra.replace_address=<old ip>; a lost seed restarts the other nodes one by one;
 *   - pre_decommission: `nodetool decommission` against the node, asynchronously;
 *   - route GET /v1/seeds.
 * All mutable state lives in the struct made by init (two instances can coexist). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cassandra.h"
#include "../common/text_buf.h"

#define POD "node"
#define SERVER "server"

typedef enum { DC_RUNNING = 0, DC_OK, DC_FAILED } dc_phase;

/* One pre-decommission check of pod instance node-<index>. */
typedef struct dc_check {
    uint32_t index;
    dc_phase phase;
    bool retry_due;        /* FAILED: the retry delay passed; the next ask starts a new attempt */
    uint64_t timer_id;     /* FAILED: the pending retry timer (0 = none) */
    char *message;         /* FAILED: what nodetool said */
    struct dc_check *next;
} dc_check;

typedef struct cass_state {
    const sdk_host_api *api;
    sdk_plugin_host *host;
    dc_check *checks;
} cass_state;

/* ---- small helpers (the plugin links nothing but libc) ------------------------------------- */

/* Parses a whole decimal integer; false when s is NULL, empty, not a number or out of range. */
static bool parse_int(const char *s, long long *out) {
    if (!s || !*s) return false;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static const char *opt(const cass_state *s, const char *name, const char *dflt) {
    const char *v = s->api->option(s->host, name);
    return v ? v : dflt;
}

/* The service's DNS label as the SDK forms it ("/prod/db" -> "db-prod"). Writes into out. */
static void svc_host(const char *name, char *out, size_t cap) {
    text_buf b = {0};
    const char *end = name + strlen(name);
    bool first = true;
    while (end > name) {
        const char *seg_end = end;
        while (end > name && end[-1] != '/') end--;
        if (seg_end > end) {
            if (!first) tb_put(&b, "-", 1);
            tb_put(&b, end, (size_t)(seg_end - end));
            first = false;
        }
        if (end > name) end--;
    }
    snprintf(out, cap, "%s", b.s ? b.s : "");
    free(b.s);
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static int cass_init(const sdk_host_api *api, sdk_plugin_host *host, void **state,
                     sdk_plugin_errors *errs) {
    (void)errs;
    cass_state *s = calloc(1, sizeof *s);
    if (!s) return SDK_PLUGIN_ENOMEM;
    s->api = api;
    s->host = host;
    *state = s;
    return SDK_PLUGIN_OK;
}

static void cass_fini(void *state) {
    cass_state *s = state;
    while (s->checks) {
        dc_check *c = s->checks;
        s->checks = c->next;
        free(c->message);
        free(c);
    }
    free(s);
}

/* ---- spec ---------------------------------------------------------------------------------- */

/* Option name -> task env name, set on every task of the node pod. */
static const struct {
    const char *option, *env;
} ENV_FROM_OPTIONS[] = {
    {"CASSANDRA_HOME", "CASSANDRA_HOME"},
    {"CASSANDRA_VERSION", "CASSANDRA_VERSION"},
    {"CASSANDRA_NUM_TOKENS", "CASSANDRA_NUM_TOKENS"},
    {"CASSANDRA_HEAP_SIZE_MB", "CASSANDRA_HEAP_SIZE_MB"},
    {"CASSANDRA_HEAP_NEW_MB", "CASSANDRA_HEAP_NEW_MB"},
    {"CASSANDRA_LOCATION_DATA_CENTER", "CASSANDRA_LOCATION_DATA_CENTER"},
    {"CASSANDRA_LOCATION_RACK", "CASSANDRA_LOCATION_RACK"},
    {"CASSANDRA_START_RPC", "CASSANDRA_START_RPC"},
    {"CASSANDRA_AUTHENTICATOR", "CASSANDRA_AUTHENTICATOR"},
    {"CASSANDRA_AUTHORIZER", "CASSANDRA_AUTHORIZER"},
    {"CASSANDRA_JMX_PORT", "CASSANDRA_JMX_PORT"},
    {"CASSANDRA_JMX_PORT", "JMX_PORT"}, /* the sidecars have no port of their own */
    {"CASSANDRA_NATIVE_TRANSPORT_PORT", "CASSANDRA_NATIVE_TRANSPORT_PORT"},
    {"LOCAL_SEEDS_COUNT", "LOCAL_SEEDS_COUNT"},
    {"TASKCFG_ALL_REMOTE_SEEDS", "REMOTE_SEEDS"},
};

/* Number of local seeds for `nodes` nodes given the option text (clamped to 1..nodes). */
static long long seed_count(const char *text, long long nodes) {
    long long n = 2;
    if (!parse_int(text, &n) || n < 1) n = 1;
    if (n > nodes) n = nodes;
    return n;
}

/* The DNS name of node-<i>'s server task ("node-0-server.<svc>.<tld>"), written into out. */
static void seed_name(const cass_state *s, const char *service, long long i, char *out, size_t cap) {
    char host[256];
    svc_host(service, host, sizeof host);
    snprintf(out, cap, "%s-%lld-%s.%s.%s", POD, i, SERVER, host,
             opt(s, "SERVICE_TLD", "autoip.dcos.thisdcos.directory"));
}

static int cass_mutate(void *state, sdk_plugin_spec *spec, sdk_plugin_errors *errs) {
    cass_state *s = state;
    const sdk_host_api *api = s->api;
    int64_t nodes = 0;
    if (api->spec_pod_get_count(spec, POD, &nodes) != SDK_PLUGIN_OK) return SDK_PLUGIN_OK; /* user spec */
    int rc = SDK_PLUGIN_OK;
    for (size_t i = 0; i < sizeof ENV_FROM_OPTIONS / sizeof ENV_FROM_OPTIONS[0] && !rc; i++)
        rc = api->spec_set_env(spec, POD, NULL, ENV_FROM_OPTIONS[i].env,
                               opt(s, ENV_FROM_OPTIONS[i].option, ""));
    const char *cluster = opt(s, "CASSANDRA_CLUSTER_NAME", "");
    if (!rc) rc = api->spec_set_env(spec, POD, NULL, "CASSANDRA_CLUSTER_NAME", *cluster ? cluster : api->spec_name(spec));
    text_buf seeds = {0};
    long long n = nodes > 0 ? seed_count(opt(s, "LOCAL_SEEDS_COUNT", "2"), nodes) : 0;
    for (long long i = 0; i < n; i++) {
        char name[512];
        seed_name(s, api->spec_name(spec), i, name, sizeof name);
        if (i) tb_put(&seeds, ",", 1);
        tb_puts(&seeds, name);
    }
    if (seeds.oom) rc = SDK_PLUGIN_ENOMEM;
    if (!rc) rc = api->spec_set_env(spec, POD, NULL, "LOCAL_SEEDS", seeds.s ? seeds.s : "");
    free(seeds.s);
    if (rc) api->error(errs, "cannot set the node tasks' environment (code %d)", rc);
    return rc;
}

/* The env value `key` of node/server in `spec`, "" when unset. */
static const char *server_env(const cass_state *s, const sdk_plugin_spec *spec, const char *key) {
    const char *v = s->api->spec_task_env(spec, POD, SERVER, key);
    return v ? v : "";
}

static bool strategy_from_text(const char *t, sdk_plugin_strategy *out) {
    if (!strcmp(t, "serial")) *out = SDK_PLUGIN_STRATEGY_SERIAL;
    else if (!strcmp(t, "parallel")) *out = SDK_PLUGIN_STRATEGY_PARALLEL;
    else return false;
    return true;
}

static void check_port(cass_state *s, const sdk_plugin_spec *spec, const char *env, const char *option,
                       bool zero_ok, sdk_plugin_errors *errs) {
    const char *t = server_env(s, spec, env);
    long long p = 0;
    if (!*t && zero_ok) return;
    if (!parse_int(t, &p) || p < (zero_ok ? 0 : 1) || p > 65535)
        s->api->error(errs, "%s: '%s' is not a port: give a number from %d to 65535%s", option, t,
                      zero_ok ? 0 : 1, zero_ok ? "" : " (sidecar tasks and the scheduler's nodetool need to know it)");
}

static int cass_validate(void *state, const sdk_plugin_spec *old_spec, const sdk_plugin_spec *new_spec,
                         sdk_plugin_errors *errs) {
    cass_state *s = state;
    const sdk_host_api *api = s->api;
    int64_t nodes = 0;
    if (api->spec_pod_get_count(new_spec, POD, &nodes) != SDK_PLUGIN_OK) {
        api->error(errs, "pods.node: the Cassandra service needs a pod type 'node'");
        return SDK_PLUGIN_OK;
    }
    if (!api->spec_task_goal(new_spec, POD, SERVER)) {
        api->error(errs, "pods.node.tasks.server: the Cassandra service needs a task 'server' in pod 'node'");
        return SDK_PLUGIN_OK;
    }
    if (nodes < 1)
        api->error(errs, "pods.node.count: %lld: a Cassandra ring needs at least one node (set NODES >= 1)",
                   (long long)nodes);
    const char *seeds_text = server_env(s, new_spec, "LOCAL_SEEDS_COUNT");
    long long seeds = 0;
    if (!parse_int(seeds_text, &seeds) || seeds < 1 || (nodes >= 1 && seeds > nodes))
        api->error(errs, "LOCAL_SEEDS_COUNT: '%s' must be a number from 1 to NODES (%lld)", seeds_text,
                   (long long)nodes);
    check_port(s, new_spec, "CASSANDRA_JMX_PORT", "CASSANDRA_JMX_PORT", false, errs);
    check_port(s, new_spec, "CASSANDRA_NATIVE_TRANSPORT_PORT", "CASSANDRA_NATIVE_TRANSPORT_PORT", true, errs);
    sdk_plugin_strategy st;
    const char *strategy = opt(s, "BACKUP_RESTORE_STRATEGY", "serial");
    if (!strategy_from_text(strategy, &st))
        api->error(errs, "BACKUP_RESTORE_STRATEGY: '%s' is not a strategy: use serial or parallel", strategy);
    /* The data centre and rack of a node are part of its identity in the ring: they may be set
     * where they were unset, never changed (sdk-behaviour.md §10.1). */
    static const char *const LOCATION[] = {"CASSANDRA_LOCATION_DATA_CENTER", "CASSANDRA_LOCATION_RACK"};
    for (size_t i = 0; old_spec && i < 2; i++) {
        const char *before = server_env(s, old_spec, LOCATION[i]);
        const char *after = server_env(s, new_spec, LOCATION[i]);
        if (*before && strcmp(before, after))
            api->error(errs, "pods.node.tasks.server.env.%s: '%s' => '%s': the %s of existing nodes cannot "
                       "change; keep %s=%s (a new data centre needs a new service)", LOCATION[i], before, after,
                       i == 0 ? "data centre" : "rack", LOCATION[i], before);
    }
    return SDK_PLUGIN_OK;
}

/* ---- plans --------------------------------------------------------------------------------- */

static int add_phase(const sdk_host_api *api, sdk_plugin_plan *plan, const char *name,
                     sdk_plugin_strategy st, const char *task, int64_t index) {
    sdk_plugin_phase *ph = NULL;
    const char *tasks[] = {task};
    int rc = api->phase_add(plan, name, POD, st, &ph);
    if (!rc) rc = api->step_add(ph, index, tasks, 1);
    return rc;
}

static int cass_plans(void *state, const sdk_plugin_spec *spec, sdk_plugin_plans *plans,
                      sdk_plugin_errors *errs) {
    cass_state *s = state;
    const sdk_host_api *api = s->api;
    static const char *const NEEDED[] = {"backup-schema", "snapshot", "upload", "cleanup-snapshot",
                                         "fetch", "restore-schema", "restore-snapshot"};
    for (size_t i = 0; i < sizeof NEEDED / sizeof NEEDED[0]; i++)
        if (!api->spec_task_goal(spec, POD, NEEDED[i])) return SDK_PLUGIN_OK; /* a user's own spec */
    sdk_plugin_strategy st = SDK_PLUGIN_STRATEGY_SERIAL;
    const char *text = opt(s, "BACKUP_RESTORE_STRATEGY", "serial");
    if (!strategy_from_text(text, &st)) {
        api->error(errs, "BACKUP_RESTORE_STRATEGY: '%s' is not a strategy: use serial or parallel", text);
        return SDK_PLUGIN_EINVAL;
    }
    sdk_plugin_plan *backup = NULL, *restore = NULL;
    int rc = api->plan_add(plans, "backup", SDK_PLUGIN_STRATEGY_SERIAL, &backup);
    if (!rc) rc = add_phase(api, backup, "backup-schema", SDK_PLUGIN_STRATEGY_SERIAL, "backup-schema", -1);
    if (!rc) rc = add_phase(api, backup, "create-snapshots", SDK_PLUGIN_STRATEGY_PARALLEL, "snapshot", -1);
    if (!rc) rc = add_phase(api, backup, "upload-backups", st, "upload", -1);
    if (!rc) rc = add_phase(api, backup, "cleanup-snapshots", st, "cleanup-snapshot", -1);
    if (!rc) rc = api->plan_add(plans, "restore", SDK_PLUGIN_STRATEGY_SERIAL, &restore);
    if (!rc) rc = add_phase(api, restore, "fetch-backups", st, "fetch", -1);
    /* the schema is cluster-wide: node-0 loads it once */
    sdk_plugin_phase *schema = NULL;
    static const char *const restore_schema[] = {"restore-schema"};
    if (!rc) rc = api->phase_add(restore, "restore-schema", POD, SDK_PLUGIN_STRATEGY_SERIAL, &schema);
    if (!rc) rc = api->step_add(schema, 0, restore_schema, 1);
    if (!rc) rc = api->step_add(schema, -1, NULL, 0); /* `default: []`: nothing on the others */
    if (!rc) rc = add_phase(api, restore, "restore-snapshots", st, "restore-snapshot", -1);
    if (rc) api->error(errs, "cannot build the backup and restore plans (code %d)", rc);
    return rc;
}

/* ---- recovery ------------------------------------------------------------------------------ */

/* The address node-<index> had: the IP of its last status that carried one, else its agent's
 * hostname (Cassandra's default host networking uses the agent's address). NULL if unknown. */
static const char *node_address(const cass_state *s, uint32_t index) {
    char task[64];
    snprintf(task, sizeof task, "%s-%u-%s", POD, index, SERVER);
    const char *ip = s->api->task_ip(s->host, task);
    if (ip && *ip) return ip;
    const char *agent = s->api->task_agent(s->host, task);
    return agent && *agent ? agent : NULL;
}

static int cass_recovery(void *state, const sdk_plugin_spec *spec, const char *pod, uint32_t index,
                         sdk_plugin_recovery_type type, sdk_plugin_recovery *rec) {
    cass_state *s = state;
    const sdk_host_api *api = s->api;
    if (type != SDK_PLUGIN_RECOVERY_PERMANENT || strcmp(pod, POD)) return SDK_PLUGIN_OK;
    const char *addr = node_address(s, index);
    if (!addr) {
        api->log(s->host, SDK_PLUGIN_LOG_WARN, "node-%u: no known address to replace: default recovery "
                 "(the new node joins with a new identity; remove the old one with nodetool removenode)", index);
        return SDK_PLUGIN_OK;
    }
    char suffix[320];
    snprintf(suffix, sizeof suffix, " -Dcassandra.replace_address=%s -Dcassandra.consistent.rangemovement=false",
             addr);
    int64_t nodes = 0;
    api->spec_pod_get_count(spec, POD, &nodes);
    long long seeds = seed_count(server_env(s, spec, "LOCAL_SEEDS_COUNT"), nodes);
    static const char *const server[] = {SERVER};
    sdk_plugin_recovery_step *st = NULL;
    int rc = api->recovery_set_phase(rec, "permanent-node-failure-recovery", SDK_PLUGIN_STRATEGY_SERIAL);
    if (!rc) rc = api->recovery_step_add(rec, POD, index, server, 1, SDK_PLUGIN_RECOVERY_PERMANENT, &st);
    if (!rc) rc = api->recovery_step_cmd_suffix(st, SERVER, suffix);
    if (!rc) rc = api->recovery_step_env(st, SERVER, "CASSANDRA_REPLACE_ADDRESS", addr);
    if ((long long)index < seeds) {
        /* a seed changed address: the other nodes reload their seed list one at a time */
        for (int64_t i = 0; i < nodes && !rc; i++)
            if ((uint32_t)i != index)
                rc = api->recovery_step_add(rec, POD, (uint32_t)i, server, 1, SDK_PLUGIN_RECOVERY_TRANSIENT, NULL);
    }
    api->log(s->host, SDK_PLUGIN_LOG_INFO, "node-%u: replacing the node at %s%s", index, addr,
             (long long)index < seeds ? " (a seed: the other nodes restart afterwards)" : "");
    return rc;
}

/* ---- decommission -------------------------------------------------------------------------- */

static dc_check *find_check(cass_state *s, uint32_t index) {
    for (dc_check *c = s->checks; c; c = c->next)
        if (c->index == index) return c;
    return NULL;
}

static void drop_check(cass_state *s, uint32_t index) {
    for (dc_check **pp = &s->checks; *pp; pp = &(*pp)->next) {
        if ((*pp)->index != index) continue;
        dc_check *c = *pp;
        *pp = c->next;
        if (c->timer_id) s->api->timer_cancel(s->host, c->timer_id);
        free(c->message);
        free(c);
        return;
    }
}

static void retry_due(void *state, uint64_t id, void *arg) {
    cass_state *s = state;
    for (dc_check *c = s->checks; c; c = c->next)
        if (c->timer_id == id) {
            c->timer_id = 0;
            c->retry_due = true;
        }
    (void)arg;
}

/* Trims trailing whitespace of [p, p+n) and returns the new length. */
static size_t rtrim(const char *p, size_t n) {
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' ')) n--;
    return n;
}

static void decommission_done(void *state, uint64_t id, void *arg, const sdk_plugin_command_result *res) {
    (void)id;
    cass_state *s = state;
    uint32_t index = (uint32_t)(uintptr_t)arg;
    dc_check *c = find_check(s, index);
    if (!c) return;
    if (res->exit_code == 0 && !res->timed_out) {
        c->phase = DC_OK;
        s->api->log(s->host, SDK_PLUGIN_LOG_INFO, "node-%u: nodetool decommission succeeded", index);
        return;
    }
    c->phase = DC_FAILED;
    size_t el = rtrim(res->err, res->err_len), ol = rtrim(res->out, res->out_len);
    char *msg = NULL;
    int n;
    if (res->timed_out)
        n = asprintf(&msg, "nodetool decommission timed out");
    else
        n = asprintf(&msg, "nodetool decommission failed (exit %d): %.*s", (int)res->exit_code,
                     (int)(el ? el : ol), el ? res->err : res->out);
    if (n < 0) msg = NULL;
    free(c->message);
    c->message = msg;
    long long delay = 10;
    parse_int(opt(s, "CASSANDRA_DECOMMISSION_RETRY_S", "10"), &delay);
    if (delay < 0) delay = 0;
    c->retry_due = false;
    if (s->api->timer_start(s->host, (uint64_t)delay * 1000, retry_due, NULL, &c->timer_id) != SDK_PLUGIN_OK) {
        c->timer_id = 0;
        c->retry_due = true;
    }
    s->api->log(s->host, SDK_PLUGIN_LOG_WARN, "node-%u: %s", index, msg ? msg : "nodetool decommission failed");
}

static int start_decommission(cass_state *s, uint32_t index, const char *addr, sdk_plugin_errors *reason,
                              sdk_plugin_decision *d) {
    const char *nodetool = opt(s, "CASSANDRA_NODETOOL", "nodetool");
    const char *port = opt(s, "CASSANDRA_JMX_PORT", "7199");
    const char *argv[] = {nodetool, "-h", addr, "-p", port, "decommission", NULL};
    long long timeout_s = 0;
    parse_int(opt(s, "CASSANDRA_DECOMMISSION_TIMEOUT_S", "0"), &timeout_s);
    if (timeout_s < 0 || timeout_s > UINT32_MAX / 1000) timeout_s = 0;
    sdk_plugin_command cmd = {.size = sizeof cmd, .timeout_ms = (uint32_t)(timeout_s * 1000), .argv = argv};
    dc_check *c = calloc(1, sizeof *c);
    if (!c) return SDK_PLUGIN_ENOMEM;
    c->index = index;
    c->phase = DC_RUNNING;
    c->next = s->checks;
    s->checks = c;
    int rc = s->api->run_command(s->host, &cmd, decommission_done, (void *)(uintptr_t)index, NULL);
    if (rc != SDK_PLUGIN_OK) {
        drop_check(s, index);
        *d = SDK_PLUGIN_DECOMMISSION_VETO;
        s->api->error(reason, "cannot run '%s -h %s -p %s decommission' (code %d): set CASSANDRA_NODETOOL to the "
                      "nodetool the scheduler should use", nodetool, addr, port, rc);
        return SDK_PLUGIN_OK;
    }
    s->api->log(s->host, SDK_PLUGIN_LOG_INFO, "node-%u: running %s -h %s -p %s decommission", index, nodetool,
                addr, port);
    *d = SDK_PLUGIN_DECOMMISSION_PENDING;
    return SDK_PLUGIN_OK;
}

static int cass_decommission(void *state, const char *pod, uint32_t index, sdk_plugin_decision *d,
                             sdk_plugin_errors *reason) {
    cass_state *s = state;
    *d = SDK_PLUGIN_DECOMMISSION_ALLOW;
    if (strcmp(pod, POD)) return SDK_PLUGIN_OK;
    char task[64];
    snprintf(task, sizeof task, "%s-%u-%s", POD, index, SERVER);
    const char *st = s->api->task_state(s->host, task);
    dc_check *c = find_check(s, index);
    if (!st || strcmp(st, "TASK_RUNNING")) {
        /* no live Cassandra to stream data away from: nothing nodetool decommission could do */
        if (!c || c->phase != DC_OK)
            s->api->log(s->host, SDK_PLUGIN_LOG_WARN, "node-%u is not running (%s): removed without nodetool "
                        "decommission; run nodetool removenode on a live node", index, st ? st : "never launched");
        return SDK_PLUGIN_OK;
    }
    if (c && c->phase == DC_FAILED && c->retry_due) {
        drop_check(s, index);
        c = NULL;
    }
    if (!c) {
        const char *addr = node_address(s, index);
        if (!addr) {
            s->api->log(s->host, SDK_PLUGIN_LOG_WARN, "node-%u: no known address: removed without nodetool "
                        "decommission", index);
            return SDK_PLUGIN_OK;
        }
        return start_decommission(s, index, addr, reason, d);
    }
    switch (c->phase) {
    case DC_RUNNING: *d = SDK_PLUGIN_DECOMMISSION_PENDING; break;
    case DC_OK: *d = SDK_PLUGIN_DECOMMISSION_ALLOW; break;
    case DC_FAILED:
        *d = SDK_PLUGIN_DECOMMISSION_VETO;
        s->api->error(reason, "node-%u: %s; retried every CASSANDRA_DECOMMISSION_RETRY_S seconds", index,
                      c->message ? c->message : "nodetool decommission failed");
        break;
    }
    return SDK_PLUGIN_OK;
}

/* Forgets a finished check once its server task ended (a later node-i starts afresh). */
static void cass_task_status(void *state, const sdk_plugin_task_status *st) {
    cass_state *s = state;
    unsigned idx = 0;
    int used = 0;
    if (!st->task_name || !st->state) return;
    if (sscanf(st->task_name, POD "-%u-" SERVER "%n", &idx, &used) != 1 || st->task_name[used]) return;
    static const char *const TERMINAL[] = {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST",
                                           "TASK_ERROR", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"};
    for (size_t i = 0; i < sizeof TERMINAL / sizeof TERMINAL[0]; i++) {
        if (strcmp(st->state, TERMINAL[i])) continue;
        dc_check *c = find_check(s, idx);
        if (c && c->phase != DC_RUNNING) drop_check(s, idx);
        return;
    }
}

/* ---- routes -------------------------------------------------------------------------------- */

/* GET /v1/seeds -> {"seeds": [...]}: the local seeds (task IPs where known, else their DNS
 * names) then the remote seeds of TASKCFG_ALL_REMOTE_SEEDS. */
static int route_seeds(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    cass_state *s = state;
    const sdk_host_api *api = s->api;
    long long nodes = 0;
    if (!parse_int(opt(s, "NODES", "3"), &nodes) || nodes < 0) nodes = 0;
    long long n = nodes ? seed_count(opt(s, "LOCAL_SEEDS_COUNT", "2"), nodes) : 0;
    text_buf b = {0};
    tb_puts(&b, "{\"seeds\": [");
    bool first = true;
    for (long long i = 0; i < n; i++) {
        char task[64], name[512];
        snprintf(task, sizeof task, "%s-%lld-%s", POD, i, SERVER);
        const char *ip = api->task_ip(s->host, task);
        seed_name(s, opt(s, "FRAMEWORK_NAME", "cassandra"), i, name, sizeof name);
        if (!first) tb_puts(&b, ", ");
        first = false;
        tb_json_str(&b, ip && *ip ? ip : name);
    }
    char *remote = strdup(opt(s, "TASKCFG_ALL_REMOTE_SEEDS", ""));
    char *save = NULL;
    for (char *tok = remote ? strtok_r(remote, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        if (!*tok) continue;
        if (!first) tb_puts(&b, ", ");
        first = false;
        tb_json_str(&b, tok);
    }
    free(remote);
    tb_puts(&b, "]}");
    if (b.oom || !remote) {
        free(b.s);
        return SDK_PLUGIN_ENOMEM;
    }
    api->response_set_status(resp, 200);
    api->response_set_content_type(resp, "application/json");
    api->response_set_body(resp, b.s, b.len);
    free(b.s);
    return SDK_PLUGIN_OK;
}

/* ---- descriptor ---------------------------------------------------------------------------- */

static const sdk_plugin_option cass_options[] = {
    {"FRAMEWORK_NAME", "cassandra", "service name (Mesos framework name)"},
    {"FRAMEWORK_USER", "root", "user running the service's tasks"},
    {"NODES", "3", "number of Cassandra nodes (at least 1, at least LOCAL_SEEDS_COUNT)"},
    {"NODE_PLACEMENT", "[[\"hostname\", \"MAX_PER\", \"1\"]]", "placement of the nodes (Marathon syntax)"},
    {"CASSANDRA_VERSION", "3.11.6", "Cassandra version (informational, env CASSANDRA_VERSION)"},
    {"CASSANDRA_URI", "https://archive.apache.org/dist/cassandra/3.11.6/apache-cassandra-3.11.6-bin.tar.gz",
     "artifact fetched into each node's sandbox"},
    {"CASSANDRA_HOME", "apache-cassandra-3.11.6",
     "where bin/cassandra and bin/nodetool are: relative to the sandbox, or absolute"},
    {"CASSANDRA_CPUS", "0.5", "cpus of each server"},
    {"CASSANDRA_MEMORY_MB", "4096", "memory (MB) of each server"},
    {"CASSANDRA_HEAP_SIZE_MB", "2048", "JVM heap (MAX_HEAP_SIZE) in MB"},
    {"CASSANDRA_HEAP_NEW_MB", "100", "JVM young generation (HEAP_NEWSIZE) in MB"},
    {"CASSANDRA_DISK_MB", "10240", "size (MB) of each node's data volume"},
    {"CASSANDRA_DISK_TYPE", "ROOT", "volume type: ROOT or MOUNT"},
    {"CASSANDRA_KILL_GRACE_PERIOD", "60", "seconds between SIGTERM and SIGKILL for a server"},
    {"SIDECAR_CPUS", "1", "cpus of each maintenance task (repair, cleanup, backup, restore)"},
    {"SIDECAR_MEMORY_MB", "1024", "memory (MB) of each maintenance task"},
    {"CASSANDRA_JMX_PORT", "7199", "JMX port (fixed: the sidecars and the scheduler's nodetool use it)"},
    {"CASSANDRA_STORAGE_PORT", "7000", "inter-node port (0: any; a real ring needs one port for all nodes)"},
    {"CASSANDRA_NATIVE_TRANSPORT_PORT", "9042", "CQL port, advertised as endpoint native-client"},
    {"CASSANDRA_START_RPC", "false", "also start the thrift server (port thrift-client)"},
    {"CASSANDRA_RPC_PORT", "9160", "thrift port when CASSANDRA_START_RPC is true"},
    {"CASSANDRA_CLUSTER_NAME", "", "cluster_name in cassandra.yaml (empty: the service name)"},
    {"CASSANDRA_NUM_TOKENS", "256", "num_tokens of each node"},
    {"CASSANDRA_AUTHENTICATOR", "AllowAllAuthenticator", "authenticator in cassandra.yaml"},
    {"CASSANDRA_AUTHORIZER", "AllowAllAuthorizer", "authorizer in cassandra.yaml"},
    {"CASSANDRA_LOCATION_DATA_CENTER", "datacenter1", "data centre of the nodes (cannot change once set)"},
    {"CASSANDRA_LOCATION_RACK", "rack1", "rack of the nodes (cannot change once set)"},
    {"LOCAL_SEEDS_COUNT", "2", "number of seed nodes: node-0 .. node-(N-1)"},
    {"TASKCFG_ALL_REMOTE_SEEDS", "", "comma-separated seeds of other data centres"},
    {"SERVICE_TLD", "autoip.dcos.thisdcos.directory", "DNS suffix of the seed names"},
    {"READINESS_CHECK_INTERVAL", "5", "seconds between nodetool status readiness checks"},
    {"READINESS_CHECK_DELAY", "0", "seconds before the first readiness check"},
    {"READINESS_CHECK_TIMEOUT", "60", "seconds a readiness check may take"},
    {"BACKUP_RESTORE_STRATEGY", "serial", "strategy of the upload, fetch and restore phases: serial or parallel"},
    {"CASSANDRA_NODETOOL", "nodetool", "nodetool the scheduler runs for decommissions (remote JMX)"},
    {"CASSANDRA_DECOMMISSION_TIMEOUT_S", "0", "seconds before a nodetool decommission is killed (0: none)"},
    {"CASSANDRA_DECOMMISSION_RETRY_S", "10", "seconds between attempts after a failed decommission"},
};

/* The package options (ABI 1.1): the dcos-commons frameworks/cassandra/universe/config.json names where upstream has the option (service.*, nodes.*, cassandra.*), each
 * feeding the template variable of the 1.0 table above (kept for 1.0 schedulers). */
static const sdk_plugin_option_schema cass_option_schema[] = {
    {"service.name", "FRAMEWORK_NAME", SDK_PLUGIN_OPTION_STRING, 0, "cassandra",
     "service name (Mesos framework name)", NULL, NULL, NULL},
    {"service.user", "FRAMEWORK_USER", SDK_PLUGIN_OPTION_STRING, 0, "root",
     "user running the service's tasks", NULL, NULL, NULL},
    {"nodes.count", "NODES", SDK_PLUGIN_OPTION_INTEGER, 0, "3",
     "number of Cassandra nodes (at least 1, at least LOCAL_SEEDS_COUNT)", NULL, NULL, NULL},
    {"nodes.placement_constraint", "NODE_PLACEMENT", SDK_PLUGIN_OPTION_STRING, 0, "[[\"hostname\", \"MAX_PER\", \"1\"]]",
     "placement of the nodes (Marathon syntax)", NULL, NULL, NULL},
    {"cassandra.version", "CASSANDRA_VERSION", SDK_PLUGIN_OPTION_STRING, 0, "3.11.6",
     "Cassandra version (informational, env CASSANDRA_VERSION)", NULL, NULL, NULL},
    {"cassandra.uri", "CASSANDRA_URI", SDK_PLUGIN_OPTION_STRING, 0, "https://archive.apache.org/dist/cassandra/3.11.6/apache-cassandra-3.11.6-bin.tar.gz",
     "artifact fetched into each node's sandbox", NULL, NULL, NULL},
    {"cassandra.home", "CASSANDRA_HOME", SDK_PLUGIN_OPTION_STRING, 0, "apache-cassandra-3.11.6",
     "where bin/cassandra and bin/nodetool are: relative to the sandbox, or absolute", NULL, NULL, NULL},
    {"nodes.cpus", "CASSANDRA_CPUS", SDK_PLUGIN_OPTION_NUMBER, 0, "0.5",
     "cpus of each server", "0.01", NULL, NULL},
    {"nodes.mem", "CASSANDRA_MEMORY_MB", SDK_PLUGIN_OPTION_INTEGER, 0, "4096",
     "memory (MB) of each server", "1", NULL, NULL},
    {"nodes.heap.size", "CASSANDRA_HEAP_SIZE_MB", SDK_PLUGIN_OPTION_INTEGER, 0, "2048",
     "JVM heap (MAX_HEAP_SIZE) in MB", "1", NULL, NULL},
    {"nodes.heap.new", "CASSANDRA_HEAP_NEW_MB", SDK_PLUGIN_OPTION_INTEGER, 0, "100",
     "JVM young generation (HEAP_NEWSIZE) in MB", "1", NULL, NULL},
    {"nodes.disk", "CASSANDRA_DISK_MB", SDK_PLUGIN_OPTION_INTEGER, 0, "10240",
     "size (MB) of each node's data volume", "1", NULL, NULL},
    {"nodes.disk_type", "CASSANDRA_DISK_TYPE", SDK_PLUGIN_OPTION_STRING, 0, "ROOT",
     "volume type: ROOT or MOUNT", NULL, NULL, "ROOT|MOUNT"},
    {"nodes.kill_grace_period", "CASSANDRA_KILL_GRACE_PERIOD", SDK_PLUGIN_OPTION_INTEGER, 0, "60",
     "seconds between SIGTERM and SIGKILL for a server", "0", NULL, NULL},
    {"nodes.sidecar.cpus", "SIDECAR_CPUS", SDK_PLUGIN_OPTION_NUMBER, 0, "1",
     "cpus of each maintenance task (repair, cleanup, backup, restore)", "0.01", NULL, NULL},
    {"nodes.sidecar.mem", "SIDECAR_MEMORY_MB", SDK_PLUGIN_OPTION_INTEGER, 0, "1024",
     "memory (MB) of each maintenance task", "1", NULL, NULL},
    {"cassandra.jmx_port", "CASSANDRA_JMX_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "7199",
     "JMX port (fixed: the sidecars and the scheduler's nodetool use it)", "1", "65535", NULL},
    {"cassandra.storage_port", "CASSANDRA_STORAGE_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "7000",
     "inter-node port (0: any; a real ring needs one port for all nodes)", "0", "65535", NULL},
    {"cassandra.native_transport_port", "CASSANDRA_NATIVE_TRANSPORT_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "9042",
     "CQL port, advertised as endpoint native-client", "0", "65535", NULL},
    {"cassandra.start_rpc", "CASSANDRA_START_RPC", SDK_PLUGIN_OPTION_BOOLEAN, 0, "false",
     "also start the thrift server (port thrift-client)", NULL, NULL, NULL},
    {"cassandra.rpc_port", "CASSANDRA_RPC_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "9160",
     "thrift port when CASSANDRA_START_RPC is true", "0", "65535", NULL},
    {"cassandra.cluster_name", "CASSANDRA_CLUSTER_NAME", SDK_PLUGIN_OPTION_STRING, 0, "",
     "cluster_name in cassandra.yaml (empty: the service name)", NULL, NULL, NULL},
    {"cassandra.num_tokens", "CASSANDRA_NUM_TOKENS", SDK_PLUGIN_OPTION_INTEGER, 0, "256",
     "num_tokens of each node", "1", NULL, NULL},
    {"cassandra.authenticator", "CASSANDRA_AUTHENTICATOR", SDK_PLUGIN_OPTION_STRING, 0, "AllowAllAuthenticator",
     "authenticator in cassandra.yaml", NULL, NULL, NULL},
    {"cassandra.authorizer", "CASSANDRA_AUTHORIZER", SDK_PLUGIN_OPTION_STRING, 0, "AllowAllAuthorizer",
     "authorizer in cassandra.yaml", NULL, NULL, NULL},
    {"service.data_center", "CASSANDRA_LOCATION_DATA_CENTER", SDK_PLUGIN_OPTION_STRING, 0, "datacenter1",
     "data centre of the nodes (cannot change once set)", NULL, NULL, NULL},
    {"service.rack", "CASSANDRA_LOCATION_RACK", SDK_PLUGIN_OPTION_STRING, 0, "rack1",
     "rack of the nodes (cannot change once set)", NULL, NULL, NULL},
    {"nodes.seeds", "LOCAL_SEEDS_COUNT", SDK_PLUGIN_OPTION_INTEGER, 0, "2",
     "number of seed nodes: node-0 .. node-(N-1)", NULL, NULL, NULL},
    {"service.remote_seeds", "TASKCFG_ALL_REMOTE_SEEDS", SDK_PLUGIN_OPTION_STRING, 0, "",
     "comma-separated seeds of other data centres", NULL, NULL, NULL},
    {"service.tld", "SERVICE_TLD", SDK_PLUGIN_OPTION_STRING, 0, "autoip.dcos.thisdcos.directory",
     "DNS suffix of the seed names", NULL, NULL, NULL},
    {"service.readiness_check.interval", "READINESS_CHECK_INTERVAL", SDK_PLUGIN_OPTION_INTEGER, 0, "5",
     "seconds between nodetool status readiness checks", "1", NULL, NULL},
    {"service.readiness_check.delay", "READINESS_CHECK_DELAY", SDK_PLUGIN_OPTION_INTEGER, 0, "0",
     "seconds before the first readiness check", "0", NULL, NULL},
    {"service.readiness_check.timeout", "READINESS_CHECK_TIMEOUT", SDK_PLUGIN_OPTION_INTEGER, 0, "60",
     "seconds a readiness check may take", "1", NULL, NULL},
    {"service.backup_restore_strategy", "BACKUP_RESTORE_STRATEGY", SDK_PLUGIN_OPTION_STRING, 0, "serial",
     "strategy of the upload, fetch and restore phases: serial or parallel", NULL, NULL, "serial|parallel"},
    {"service.nodetool", "CASSANDRA_NODETOOL", SDK_PLUGIN_OPTION_STRING, 0, "nodetool",
     "nodetool the scheduler runs for decommissions (remote JMX)", NULL, NULL, NULL},
    {"service.decommission_timeout", "CASSANDRA_DECOMMISSION_TIMEOUT_S", SDK_PLUGIN_OPTION_INTEGER, 0, "0",
     "seconds before a nodetool decommission is killed (0: none)", "0", NULL, NULL},
    {"service.decommission_retry", "CASSANDRA_DECOMMISSION_RETRY_S", SDK_PLUGIN_OPTION_INTEGER, 0, "10",
     "seconds between attempts after a failed decommission", "0", NULL, NULL},
};

static const sdk_plugin_route cass_routes[] = {
    {"GET", "/v1/seeds", route_seeds},
};

static const sdk_plugin_descriptor CASSANDRA = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "cassandra",
    .version = "1.0.0",
    .description = "Apache Cassandra: pod node with server, repair, cleanup, backup and restore",
    .spec_template = cassandra_spec_template,
    .options = cass_options,
    .n_options = sizeof cass_options / sizeof cass_options[0],
    .option_schema = cass_option_schema,
    .n_option_schema = sizeof cass_option_schema / sizeof cass_option_schema[0],
    .routes = cass_routes,
    .n_routes = sizeof cass_routes / sizeof cass_routes[0],
    .init = cass_init,
    .fini = cass_fini,
    .mutate_spec = cass_mutate,
    .validate_config = cass_validate,
    .plans = cass_plans,
    .recovery_override = cass_recovery,
    .pre_decommission = cass_decommission,
    .task_status = cass_task_status,
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &CASSANDRA; }
