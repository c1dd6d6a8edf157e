/* zookeeper: a ZooKeeper ensemble (3 or 5 nodes) running the real
 * org.apache.zookeeper.server.quorum.QuorumPeerMain. Hooks:
 *   - a default svc.yml (zookeeper_spec.c): pod `node`, init (ONCE, writes myid) and server
 *     (RUNNING) on one resource set with a persistent volume and three static ports;
 *   - mutate_spec: injects every member's address into the server's env (ZK_SERVERS, the
 *     server.N lines of zoo.cfg; ZK_NODE_HOSTS; ZK_ENSEMBLE_SIZE). Ports are static (the same
 *     on every node) and every node has its own host, so the whole membership is known before
 *     any node launches;
 *   - validate_config: 3 or 5 nodes, ports, timings, heap, host list;
 *   - plans: an update that changes the membership (3 <-> 5) restarts every server at once with
 *     the new member list (see zk_plans); other updates roll one node at a time;
 *   - placement: with ZK_HOSTS set, node-i runs only on the agent whose hostname is the i-th
 *     host (its zoo.cfg address);
 *   - recovery_override: a replaced node (fresh volume) runs init again, then its server;
 *   - pre_decommission: refuses to drop below 3 nodes, or while a surviving node is not running
 *     (the survivors must still hold a majority of the old ensemble);
 *   - endpoints: `clients`, the client connection string;
 *   - routes: GET /v1/zookeeper/ensemble asks every member `srvr` (asynchronously) and reports
 *     its mode; GET /v1/zookeeper/connection returns the connection string.
 * All state lives in the struct returned by init. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zookeeper.h"
#include "../common/text_buf.h"

#define ZK_POD "node"
#define ZK_MAX_NODES 5
#define ZK_MIN_NODES 3
#define ZK_TLD "autoip.dcos.thisdcos.directory"

typedef struct zk_state {
    const sdk_host_api *api;
    sdk_plugin_host *host;
} zk_state;

/* ---- options -------------------------------------------------------------------------------- */

static const char *opt(const zk_state *s, const char *name) {
    const char *v = s->api->option(s->host, name);
    return v ? v : "";
}

/* Parses option `name` as an integer in [lo, hi]. Returns false (and reports to errs when not
 * NULL) when it is not one. */
static bool opt_int(const zk_state *s, const char *name, long lo, long hi, long *out,
                    sdk_plugin_errors *errs) {
    const char *v = opt(s, name);
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (!*v || !end || *end || n < lo || n > hi) {
        if (errs)
            s->api->error(errs, "option %s: '%s' is not an integer from %ld to %ld (set -o %s=N)",
                          name, v, lo, hi, name);
        return false;
    }
    *out = n;
    return true;
}

/* Copies the i-th comma-separated entry of list into out (trimmed). False when absent. */
static bool list_at(const char *list, unsigned i, char *out, size_t cap) {
    const char *p = list;
    for (unsigned k = 0; k < i; k++) {
        p = strchr(p, ',');
        if (!p) return false;
        p++;
    }
    while (*p == ' ') p++;
    size_t n = strcspn(p, ",");
    while (n && p[n - 1] == ' ') n--;
    if (!n || n >= cap) return false;
    memcpy(out, p, n);
    out[n] = 0;
    return true;
}

static unsigned list_len(const char *list) {
    if (!*list) return 0;
    unsigned n = 1;
    for (const char *p = list; *p; p++)
        if (*p == ',') n++;
    return n;
}

static bool valid_host(const char *h) {
    if (!*h) return false;
    for (const char *p = h; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_') return false;
    return true;
}

/* Host of member `index` (0-based) in zoo.cfg: the index-th entry of ZK_HOSTS, else the node's
 * autoip DNS name (node-<i>-server.<service>.autoip.dcos.thisdcos.directory, what Mesos DNS
 * gives a task). `service` is the service name ('/' dropped). */
static bool member_host(const zk_state *s, const char *service, unsigned index, char *out,
                        size_t cap) {
    const char *hosts = opt(s, "ZK_HOSTS");
    if (*hosts) return list_at(hosts, index, out, cap) && valid_host(out);
    char svc[128];
    size_t k = 0;
    for (const char *p = service; *p && k + 1 < sizeof svc; p++)
        if (*p != '/') svc[k++] = *p;
    svc[k] = 0;
    int n = snprintf(out, cap, "%s-%u-server.%s.%s", ZK_POD, index, svc, ZK_TLD);
    return n > 0 && (size_t)n < cap;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static int zk_init(const sdk_host_api *api, sdk_plugin_host *host, void **state,
                   sdk_plugin_errors *errs) {
    (void)errs;
    zk_state *s = calloc(1, sizeof *s);
    if (!s) return SDK_PLUGIN_ENOMEM;
    s->api = api;
    s->host = host;
    *state = s;
    return SDK_PLUGIN_OK;
}

static void zk_fini(void *state) { free(state); }

/* ---- spec ---------------------------------------------------------------------------------- */

/* Builds ZK_SERVERS ("server.1=h0:Q:E;h0:C server.2=...") and ZK_NODE_HOSTS ("h0 h1 ...") for
 * `count` members. Returns false with a reason in errs when a host is missing or invalid. */
static bool membership(const zk_state *s, const char *service, long count, text_buf *servers,
                       text_buf *hosts, sdk_plugin_errors *errs) {
    const char *c = opt(s, "CLIENT_PORT"), *q = opt(s, "QUORUM_PORT"), *e = opt(s, "ELECTION_PORT");
    for (long i = 0; i < count; i++) {
        char h[256];
        if (!member_host(s, service, (unsigned)i, h, sizeof h)) {
            if (errs)
                s->api->error(errs, "ZK_HOSTS: no valid host for node-%ld (entry %ld of '%s'); give "
                              "one host per node, comma-separated", i, i + 1, opt(s, "ZK_HOSTS"));
            return false;
        }
        tb_printf(servers, "%sserver.%ld=%s:%s:%s;%s:%s", i ? " " : "", i + 1, h, q, e, h, c);
        tb_printf(hosts, "%s%s", i ? " " : "", h);
    }
    return !servers->oom && !hosts->oom;
}

static int zk_mutate(void *state, sdk_plugin_spec *spec, sdk_plugin_errors *errs) {
    zk_state *s = state;
    const sdk_host_api *api = s->api;
    int64_t count = 0;
    if (api->spec_pod_get_count(spec, ZK_POD, &count) != SDK_PLUGIN_OK ||
        !api->spec_task_goal(spec, ZK_POD, "server"))
        return SDK_PLUGIN_OK; /* not our shape (a user's --spec): validate_config says so */
    if (count < 0 || count > 64) count = 0; /* validate_config reports the count */
    text_buf servers = {0}, hosts = {0};
    const char *name = api->spec_name(spec);
    int rc = SDK_PLUGIN_OK;
    /* A bad host list leaves the env unset: validate_config reports it with the other problems. */
    if (!membership(s, name ? name : "", (long)count, &servers, &hosts, NULL)) {
        rc = servers.oom || hosts.oom ? SDK_PLUGIN_ENOMEM : SDK_PLUGIN_OK;
        goto out;
    }
    char size[24];
    snprintf(size, sizeof size, "%lld", (long long)count);
    rc = api->spec_set_env(spec, ZK_POD, "server", "ZK_SERVERS", servers.s ? servers.s : "");
    if (rc == SDK_PLUGIN_OK)
        rc = api->spec_set_env(spec, ZK_POD, "server", "ZK_NODE_HOSTS", hosts.s ? hosts.s : "");
    if (rc == SDK_PLUGIN_OK) rc = api->spec_set_env(spec, ZK_POD, "server", "ZK_ENSEMBLE_SIZE", size);
    if (rc != SDK_PLUGIN_OK) api->error(errs, "cannot set the ensemble env on node server (code %d)", rc);
out:
    free(servers.s);
    free(hosts.s);
    return rc;
}

static int zk_validate(void *state, const sdk_plugin_spec *old_spec, const sdk_plugin_spec *new_spec,
                       sdk_plugin_errors *errs) {
    zk_state *s = state;
    const sdk_host_api *api = s->api;
    int64_t count = 0;
    if (api->spec_pod_get_count(new_spec, ZK_POD, &count) != SDK_PLUGIN_OK ||
        !api->spec_task_goal(new_spec, ZK_POD, "init") || !api->spec_task_goal(new_spec, ZK_POD, "server")) {
        api->error(errs, "pods.node: the ZooKeeper service needs a pod type 'node' with tasks 'init' "
                         "and 'server'");
        return SDK_PLUGIN_OK;
    }
    if (count != 3 && count != 5) {
        int64_t before = -1;
        if (old_spec && api->spec_pod_get_count(old_spec, ZK_POD, &before) == SDK_PLUGIN_OK)
            api->error(errs, "pods.node.count: %lld => %lld: a ZooKeeper ensemble has 3 or 5 nodes (set "
                       "NODE_COUNT to 3 or 5)", (long long)before, (long long)count);
        else
            api->error(errs, "pods.node.count: %lld: a ZooKeeper ensemble has 3 or 5 nodes (set "
                       "NODE_COUNT to 3 or 5)", (long long)count);
    }
    long c = 0, q = 0, e = 0, v = 0;
    bool ports = opt_int(s, "CLIENT_PORT", 1, 65535, &c, errs);
    ports &= opt_int(s, "QUORUM_PORT", 1, 65535, &q, errs);
    ports &= opt_int(s, "ELECTION_PORT", 1, 65535, &e, errs);
    if (ports && (c == q || c == e || q == e))
        api->error(errs, "options CLIENT_PORT=%ld, QUORUM_PORT=%ld, ELECTION_PORT=%ld: the three ports "
                   "must differ", c, q, e);
    opt_int(s, "TICK_TIME", 100, 60000, &v, errs);
    opt_int(s, "INIT_LIMIT", 1, 1000, &v, errs);
    opt_int(s, "SYNC_LIMIT", 1, 1000, &v, errs);
    opt_int(s, "ZOOKEEPER_HEAP_MB", 32, 65536, &v, errs);
    opt_int(s, "READINESS_INTERVAL", 1, 600, &v, errs);
    const char *hosts = opt(s, "ZK_HOSTS");
    if (*hosts) {
        unsigned n = list_len(hosts);
        if (count > 0 && n < (unsigned)count)
            api->error(errs, "option ZK_HOSTS: %u host(s) for %lld nodes: give one host per node, "
                       "comma-separated", n, (long long)count);
        char hi[256], hj[256];
        for (unsigned i = 0; i < n; i++) {
            if (!list_at(hosts, i, hi, sizeof hi) || !valid_host(hi)) {
                api->error(errs, "option ZK_HOSTS: entry %u is not a host name or address "
                           "(letters, digits, '.', '-', '_')", i + 1);
                continue;
            }
            for (unsigned j = 0; j < i; j++)
                if (list_at(hosts, j, hj, sizeof hj) && !strcmp(hi, hj))
                    api->error(errs, "option ZK_HOSTS: host %s is given twice (entries %u and %u): "
                               "every node needs its own host", hi, j + 1, i + 1);
        }
    }
    const char *classpath = opt(s, "ZOOKEEPER_CLASSPATH");
    if (!*classpath)
        api->error(errs, "option ZOOKEEPER_CLASSPATH is empty: set it to the ZooKeeper jars "
                         "(e.g. /usr/share/java/zookeeper.jar:...)");
    return SDK_PLUGIN_OK;
}

/* ---- plans --------------------------------------------------------------------------------- */

/* Number of distinct node-i-server tasks the scheduler has stored (launched at least once). */
static long stored_servers(const zk_state *s) {
    char **names = NULL;
    uint32_t n = 0;
    long count = 0;
    if (s->api->pod_tasks(s->host, ZK_POD, -1, &names, &n) != SDK_PLUGIN_OK) return 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (len > 7 && !strcmp(names[i] + len - 7, "-server")) count++;
    }
    s->api->free(names);
    return count;
}

/* A membership change (the node count differs from the servers already launched) cannot roll one
 * node at a time without dynamic reconfiguration: a restarted node with the new member list
 * counts its quorum in the new ensemble and never joins the old one (and the reverse order risks
 * two leaders). So for such an update the `update` plan restarts every server at once with the
 * new zoo.cfg (a few seconds without a quorum; the data stays in the volumes), after the new
 * nodes' init. Any other update keeps the spec's serial, one-node-at-a-time `update` plan. */
static int zk_plans(void *state, const sdk_plugin_spec *spec, sdk_plugin_plans *plans,
                    sdk_plugin_errors *errs) {
    zk_state *s = state;
    const sdk_host_api *api = s->api;
    int64_t count = 0;
    if (api->spec_pod_get_count(spec, ZK_POD, &count) != SDK_PLUGIN_OK ||
        !api->spec_task_goal(spec, ZK_POD, "init") || !api->spec_task_goal(spec, ZK_POD, "server"))
        return SDK_PLUGIN_OK;
    long launched = stored_servers(s);
    if (launched == 0 || launched == count) return SDK_PLUGIN_OK;
    api->log(s->host, SDK_PLUGIN_LOG_INFO, "membership change %ld -> %lld nodes: the update restarts "
             "every server at once with the new member list", launched, (long long)count);
    static const char *const init[] = {"init"}, *const server[] = {"server"};
    sdk_plugin_plan *plan = NULL;
    sdk_plugin_phase *ph = NULL;
    int rc = api->plan_add(plans, "update", SDK_PLUGIN_STRATEGY_SERIAL, &plan);
    if (rc == SDK_PLUGIN_OK) rc = api->phase_add(plan, "init", ZK_POD, SDK_PLUGIN_STRATEGY_PARALLEL, &ph);
    if (rc == SDK_PLUGIN_OK) rc = api->step_add(ph, -1, init, 1);
    if (rc == SDK_PLUGIN_OK) rc = api->phase_add(plan, "server", ZK_POD, SDK_PLUGIN_STRATEGY_PARALLEL, &ph);
    if (rc == SDK_PLUGIN_OK) rc = api->step_add(ph, -1, server, 1);
    if (rc != SDK_PLUGIN_OK) api->error(errs, "cannot build the membership-change update plan (code %d)", rc);
    return rc;
}

/* ---- placement ----------------------------------------------------------------------------- */

static int zk_placement(void *state, const sdk_plugin_placement_query *q, bool *pass,
                        sdk_plugin_errors *reason) {
    zk_state *s = state;
    *pass = true;
    const char *hosts = opt(s, "ZK_HOSTS");
    if (!*hosts || !q->pod_type || strcmp(q->pod_type, ZK_POD)) return SDK_PLUGIN_OK;
    char want[256];
    if (!list_at(hosts, q->pod_index, want, sizeof want)) {
        *pass = false;
        s->api->error(reason, "ZK_HOSTS has no host for node-%u", q->pod_index);
    } else if (!q->agent_hostname || strcmp(want, q->agent_hostname)) {
        *pass = false;
        s->api->error(reason, "node-%u belongs on %s (ZK_HOSTS), not on %s", q->pod_index, want,
                      q->agent_hostname ? q->agent_hostname : "?");
    }
    return SDK_PLUGIN_OK;
}

/* ---- recovery ------------------------------------------------------------------------------ */

/* A replaced node (PERMANENT: fresh reservations, empty volume) must get its myid again before
 * its server starts: the custom phase runs init on the new reservations, then the server in
 * place on them. The server then syncs the data from the quorum. A TRANSIENT failure (the
 * process died; the volume and its myid are kept) keeps the default: the server in place. */
static int zk_recovery(void *state, const sdk_plugin_spec *spec, const char *pod, uint32_t index,
                       sdk_plugin_recovery_type type, sdk_plugin_recovery *rec) {
    zk_state *s = state;
    (void)spec;
    if (type != SDK_PLUGIN_RECOVERY_PERMANENT || strcmp(pod, ZK_POD)) return SDK_PLUGIN_OK;
    static const char *const init[] = {"init"}, *const server[] = {"server"};
    char name[64];
    snprintf(name, sizeof name, "%s-%u-replace", ZK_POD, index);
    int rc = s->api->recovery_set_phase(rec, name, SDK_PLUGIN_STRATEGY_SERIAL);
    if (rc == SDK_PLUGIN_OK)
        rc = s->api->recovery_step_add(rec, ZK_POD, index, init, 1, SDK_PLUGIN_RECOVERY_PERMANENT, NULL);
    if (rc == SDK_PLUGIN_OK)
        rc = s->api->recovery_step_add(rec, ZK_POD, index, server, 1, SDK_PLUGIN_RECOVERY_TRANSIENT, NULL);
    if (rc != SDK_PLUGIN_OK)
        s->api->log(s->host, SDK_PLUGIN_LOG_WARN, "node-%u: cannot build the replace phase (code %d)", index, rc);
    return rc;
}

/* ---- decommission -------------------------------------------------------------------------- */

/* node-index may go when the target count stays quorum-safe (>= 3) and every surviving node
 * (index < target count) is running: they must still form a majority of the old membership
 * until they restart with the new one. */
static int zk_pre_decommission(void *state, const char *pod, uint32_t index, sdk_plugin_decision *d,
                               sdk_plugin_errors *reason) {
    zk_state *s = state;
    *d = SDK_PLUGIN_DECOMMISSION_ALLOW;
    if (strcmp(pod, ZK_POD)) return SDK_PLUGIN_OK;
    long target = 0;
    if (!opt_int(s, "NODE_COUNT", 0, 1000, &target, NULL) || target < ZK_MIN_NODES) {
        *d = SDK_PLUGIN_DECOMMISSION_VETO;
        s->api->error(reason, "node-%u: decommissioning would leave %s node(s); a ZooKeeper ensemble "
                      "needs at least %d to keep a quorum", index, opt(s, "NODE_COUNT"), ZK_MIN_NODES);
        return SDK_PLUGIN_OK;
    }
    if ((long)index < target) return SDK_PLUGIN_OK; /* not leaving */
    for (long i = 0; i < target; i++) {
        char task[64];
        snprintf(task, sizeof task, "%s-%ld-server", ZK_POD, i);
        const char *st = s->api->task_state(s->host, task);
        if (!st || strcmp(st, "TASK_RUNNING")) {
            *d = SDK_PLUGIN_DECOMMISSION_VETO;
            s->api->error(reason, "node-%u: not removed while %s is %s: the remaining %ld nodes must "
                          "all serve to keep a quorum", index, task, st ? st : "not running", target);
            return SDK_PLUGIN_OK;
        }
    }
    return SDK_PLUGIN_OK;
}

/* ---- endpoints and routes ------------------------------------------------------------------ */

/* "h0:C,h1:C,..." for the current NODE_COUNT, into b. False if a host is missing. */
static bool connection_string(const zk_state *s, text_buf *b, long *count_out) {
    long count = 0;
    if (!opt_int(s, "NODE_COUNT", 1, ZK_MAX_NODES, &count, NULL)) return false;
    const char *port = opt(s, "CLIENT_PORT");
    for (long i = 0; i < count; i++) {
        char h[256];
        if (!member_host(s, opt(s, "FRAMEWORK_NAME"), (unsigned)i, h, sizeof h)) return false;
        tb_printf(b, "%s%s:%s", i ? "," : "", h, port);
    }
    if (count_out) *count_out = count;
    return !b->oom;
}

/* /v1/endpoints/clients: {"address": ["h:p", ...], "dns": [...], "connect": "h:p,h:p,..."} */
static int zk_endpoints(void *state, sdk_plugin_endpoints *out) {
    zk_state *s = state;
    text_buf cs = {0}, body = {0};
    long count = 0;
    int rc = SDK_PLUGIN_OK;
    if (!connection_string(s, &cs, &count)) {
        rc = cs.oom ? SDK_PLUGIN_ENOMEM : SDK_PLUGIN_OK; /* bad options: validate_config said why */
        goto out;
    }
    tb_puts(&body, "{\"address\": [");
    const char *p = cs.s;
    for (long i = 0; i < count; i++) {
        size_t n = strcspn(p, ",");
        char one[300];
        snprintf(one, sizeof one, "%.*s", (int)n, p);
        if (i) tb_puts(&body, ", ");
        tb_json_str(&body, one);
        p += n + (p[n] == ',');
    }
    tb_puts(&body, "], \"dns\": [");
    for (long i = 0; i < count; i++) {
        char h[256];
        member_host(s, opt(s, "FRAMEWORK_NAME"), (unsigned)i, h, sizeof h);
        char one[300];
        snprintf(one, sizeof one, "%s:%s", h, opt(s, "CLIENT_PORT"));
        if (i) tb_puts(&body, ", ");
        tb_json_str(&body, one);
    }
    tb_puts(&body, "], \"connect\": ");
    tb_json_str(&body, cs.s);
    tb_puts(&body, "}");
    if (body.oom) rc = SDK_PLUGIN_ENOMEM;
    else rc = s->api->endpoint_add(out, "clients", "application/json", body.s, body.len);
out:
    free(cs.s);
    free(body.s);
    return rc;
}

static int send_text(const sdk_host_api *api, sdk_plugin_response *resp, int status,
                     const char *ctype, text_buf *b) {
    if (b->oom) {
        free(b->s);
        return SDK_PLUGIN_ENOMEM;
    }
    api->response_set_status(resp, status);
    api->response_set_content_type(resp, ctype);
    api->response_set_body(resp, b->s ? b->s : "", b->len);
    free(b->s);
    return SDK_PLUGIN_OK;
}

/* GET /v1/zookeeper/connection -> text/plain "h0:C,h1:C,h2:C" */
static int route_connection(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    zk_state *s = state;
    text_buf b = {0};
    if (!connection_string(s, &b, NULL)) {
        free(b.s);
        b = (text_buf){0};
        tb_puts(&b, "the options do not give a valid member list (see NODE_COUNT and ZK_HOSTS)\n");
        return send_text(s->api, resp, 500, "text/plain", &b);
    }
    tb_puts(&b, "\n");
    return send_text(s->api, resp, 200, "text/plain", &b);
}

/* The probe run by /v1/zookeeper/ensemble: for each "host:port" argument prints one line
 * "<host:port> <mode>" where mode is leader, follower, standalone, or down. */
static const char ENSEMBLE_PROBE[] =
    "for a in \"$@\"; do h=${a%:*}; p=${a##*:}; "
    "m=$(exec 3<>/dev/tcp/$h/$p 2>/dev/null && printf srvr >&3 && cat <&3 | sed -n 's/^Mode: //p'); "
    "echo \"$a ${m:-down}\"; done";

static void ensemble_done(void *state, uint64_t id, void *arg, const sdk_plugin_command_result *res) {
    (void)id;
    zk_state *s = state;
    sdk_plugin_response *resp = arg;
    text_buf b = {0};
    tb_puts(&b, "{\"members\": [");
    const char *p = res->out ? res->out : "";
    int serving = 0, n = 0;
    while (*p) {
        size_t len = strcspn(p, "\n");
        char line[400], addr[300] = "", mode[64] = "";
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        if (sscanf(line, "%299s %63s", addr, mode) == 2) {
            tb_printf(&b, "%s{\"id\": %d, \"address\": ", n ? ", " : "", n + 1);
            tb_json_str(&b, addr);
            tb_puts(&b, ", \"mode\": ");
            tb_json_str(&b, mode);
            tb_puts(&b, "}");
            if (!strcmp(mode, "leader") || !strcmp(mode, "follower")) serving++;
            n++;
        }
        p += len + (p[len] == '\n');
    }
    tb_printf(&b, "], \"serving\": %d, \"quorum\": %s}", serving, serving > n / 2 && n ? "true" : "false");
    if (send_text(s->api, resp, res->exit_code == 0 ? 200 : 500, "application/json", &b) != SDK_PLUGIN_OK)
        s->api->response_set_status(resp, 500);
    s->api->response_finish(resp);
}

/* GET /v1/zookeeper/ensemble -> {"members": [{"id", "address", "mode"}], "serving": N,
 * "quorum": bool}, answered when the probe of every member (srvr) completes. */
static int route_ensemble(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    zk_state *s = state;
    text_buf cs = {0};
    long count = 0;
    if (!connection_string(s, &cs, &count)) {
        free(cs.s);
        text_buf b = {0};
        tb_puts(&b, "{\"message\": \"the options do not give a valid member list\"}");
        return send_text(s->api, resp, 500, "application/json", &b);
    }
    const char *argv[4 + ZK_MAX_NODES] = {"bash", "-c", ENSEMBLE_PROBE, "zk-probe"};
    char addrs[ZK_MAX_NODES][300];
    const char *p = cs.s;
    size_t k = 4;
    for (long i = 0; i < count && i < ZK_MAX_NODES; i++) {
        size_t n = strcspn(p, ",");
        snprintf(addrs[i], sizeof addrs[i], "%.*s", (int)n, p);
        argv[k++] = addrs[i];
        p += n + (p[n] == ',');
    }
    argv[k] = NULL;
    sdk_plugin_command cmd = {.size = sizeof cmd, .timeout_ms = 10000, .argv = argv};
    int rc = s->api->run_command(s->host, &cmd, ensemble_done, resp, NULL);
    free(cs.s);
    if (rc != SDK_PLUGIN_OK) {
        s->api->log(s->host, SDK_PLUGIN_LOG_WARN, "cannot run the ensemble probe (code %d)", rc);
        return rc;
    }
    return s->api->response_suspend(resp);
}

/* ---- descriptor ---------------------------------------------------------------------------- */

static const sdk_plugin_option zk_options[] = {
    {"FRAMEWORK_NAME", "zookeeper", "service name (Mesos framework name)"},
    {"FRAMEWORK_USER", "root", "user running the scheduler's tasks"},
    {"NODE_COUNT", "3", "ensemble size: 3 or 5"},
    {"NODE_CPUS", "0.5", "cpus of each node"},
    {"NODE_MEM", "512", "memory (MB) of each node"},
    {"NODE_DISK", "1024", "size (MB) of each node's persistent volume (zk-data)"},
    {"NODE_PLACEMENT", "[[\"hostname\", \"UNIQUE\"]]", "placement of nodes (Marathon syntax)"},
    {"ZK_HOSTS", "",
     "comma-separated host of each node (index order), used in zoo.cfg and pinning node-i to the "
     "agent of that hostname; empty: node-<i>-server.<service>.autoip.dcos.thisdcos.directory"},
    {"CLIENT_PORT", "2181", "client port (static, reserved on each node's agent)"},
    {"QUORUM_PORT", "2888", "quorum (follower-to-leader) port (static, reserved)"},
    {"ELECTION_PORT", "3888", "leader election port (static, reserved)"},
    {"TICK_TIME", "2000", "ZooKeeper tickTime (ms)"},
    {"INIT_LIMIT", "10", "ZooKeeper initLimit (ticks)"},
    {"SYNC_LIMIT", "5", "ZooKeeper syncLimit (ticks)"},
    {"ZOOKEEPER_HEAP_MB", "256", "JVM heap of each server (-Xmx, MB)"},
    {"ZOOKEEPER_JVM_OPTS", "-XX:+UseSerialGC", "extra JVM options of each server"},
    {"ZOOKEEPER_JAVA", "java", "the java command (looked up in PATH)"},
    {"ZOOKEEPER_CLASSPATH", "apache-zookeeper-3.8.0-bin/lib/*",
     "ZooKeeper jars, relative to the sandbox or absolute (Debian: /usr/share/java/zookeeper.jar:"
     "/usr/share/java/zookeeper-jute.jar:/usr/share/java/slf4j-api.jar:...)"},
    {"ZOOKEEPER_URI",
     "https://archive.apache.org/dist/zookeeper/zookeeper-3.8.0/apache-zookeeper-3.8.0-bin.tar.gz",
     "artifact fetched into each node's sandbox (empty: none, the jars are on the host)"},
    {"READINESS_INTERVAL", "2", "seconds between readiness probes (srvr)"},
};

/* The package options (ABI 1.1): nested names in the style of the dcos-commons packages (service.*, node.*, zookeeper.*); upstream has no ZooKeeper package in dcos-commons, each
 * feeding the template variable of the 1.0 table above (kept for 1.0 schedulers). */
static const sdk_plugin_option_schema zk_option_schema[] = {
    {"service.name", "FRAMEWORK_NAME", SDK_PLUGIN_OPTION_STRING, 0, "zookeeper",
     "service name (Mesos framework name)", NULL, NULL, NULL},
    {"service.user", "FRAMEWORK_USER", SDK_PLUGIN_OPTION_STRING, 0, "root",
     "user running the scheduler's tasks", NULL, NULL, NULL},
    {"node.count", "NODE_COUNT", SDK_PLUGIN_OPTION_INTEGER, 0, "3",
     "ensemble size: 3 or 5", NULL, NULL, NULL},
    {"node.cpus", "NODE_CPUS", SDK_PLUGIN_OPTION_NUMBER, 0, "0.5",
     "cpus of each node", "0.01", NULL, NULL},
    {"node.mem", "NODE_MEM", SDK_PLUGIN_OPTION_INTEGER, 0, "512",
     "memory (MB) of each node", "1", NULL, NULL},
    {"node.disk", "NODE_DISK", SDK_PLUGIN_OPTION_INTEGER, 0, "1024",
     "size (MB) of each node's persistent volume (zk-data)", "1", NULL, NULL},
    {"node.placement", "NODE_PLACEMENT", SDK_PLUGIN_OPTION_STRING, 0, "[[\"hostname\", \"UNIQUE\"]]",
     "placement of nodes (Marathon syntax)", NULL, NULL, NULL},
    {"node.hosts", "ZK_HOSTS", SDK_PLUGIN_OPTION_STRING, 0, "",
     "comma-separated host of each node (index order), used in zoo.cfg and pinning node-i to the " "agent of that hostname; empty: node-<i>-server.<service>.autoip.dcos.thisdcos.directory", NULL, NULL, NULL},
    {"zookeeper.client_port", "CLIENT_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "2181",
     "client port (static, reserved on each node's agent)", "1", "65535", NULL},
    {"zookeeper.quorum_port", "QUORUM_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "2888",
     "quorum (follower-to-leader) port (static, reserved)", "1", "65535", NULL},
    {"zookeeper.election_port", "ELECTION_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "3888",
     "leader election port (static, reserved)", "1", "65535", NULL},
    {"zookeeper.tick_time", "TICK_TIME", SDK_PLUGIN_OPTION_INTEGER, 0, "2000",
     "ZooKeeper tickTime (ms)", "1", NULL, NULL},
    {"zookeeper.init_limit", "INIT_LIMIT", SDK_PLUGIN_OPTION_INTEGER, 0, "10",
     "ZooKeeper initLimit (ticks)", "1", NULL, NULL},
    {"zookeeper.sync_limit", "SYNC_LIMIT", SDK_PLUGIN_OPTION_INTEGER, 0, "5",
     "ZooKeeper syncLimit (ticks)", "1", NULL, NULL},
    {"zookeeper.heap_mb", "ZOOKEEPER_HEAP_MB", SDK_PLUGIN_OPTION_INTEGER, 0, "256",
     "JVM heap of each server (-Xmx, MB)", "1", NULL, NULL},
    {"zookeeper.jvm_opts", "ZOOKEEPER_JVM_OPTS", SDK_PLUGIN_OPTION_STRING, 0, "-XX:+UseSerialGC",
     "extra JVM options of each server", NULL, NULL, NULL},
    {"zookeeper.java", "ZOOKEEPER_JAVA", SDK_PLUGIN_OPTION_STRING, 0, "java",
     "the java command (looked up in PATH)", NULL, NULL, NULL},
    {"zookeeper.classpath", "ZOOKEEPER_CLASSPATH", SDK_PLUGIN_OPTION_STRING, 0, "apache-zookeeper-3.8.0-bin/lib/*",
     "ZooKeeper jars, relative to the sandbox or absolute (Debian: /usr/share/java/zookeeper.jar:" "/usr/share/java/zookeeper-jute.jar:/usr/share/java/slf4j-api.jar:...)", NULL, NULL, NULL},
    {"zookeeper.uri", "ZOOKEEPER_URI", SDK_PLUGIN_OPTION_STRING, 0, "https://archive.apache.org/dist/zookeeper/zookeeper-3.8.0/apache-zookeeper-3.8.0-bin.tar.gz",
     "artifact fetched into each node's sandbox (empty: none, the jars are on the host)", NULL, NULL, NULL},
    {"node.readiness_check.interval", "READINESS_INTERVAL", SDK_PLUGIN_OPTION_INTEGER, 0, "2",
     "seconds between readiness probes (srvr)", "1", NULL, NULL},
};

static const sdk_plugin_route zk_routes[] = {
    {"GET", "/v1/zookeeper/ensemble", route_ensemble},
    {"GET", "/v1/zookeeper/connection", route_connection},
};

static const sdk_plugin_descriptor ZOOKEEPER = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "zookeeper",
    .version = "1.0.0",
    .description = "Apache ZooKeeper ensemble (3 or 5 nodes): pod node with tasks init and server",
    .spec_template = zookeeper_spec_template,
    .options = zk_options,
    .n_options = sizeof zk_options / sizeof zk_options[0],
    .option_schema = zk_option_schema,
    .n_option_schema = sizeof zk_option_schema / sizeof zk_option_schema[0],
    .routes = zk_routes,
    .n_routes = sizeof zk_routes / sizeof zk_routes[0],
    .init = zk_init,
    .fini = zk_fini,
    .mutate_spec = zk_mutate,
    .validate_config = zk_validate,
    .plans = zk_plans,
    .recovery_override = zk_recovery,
    .pre_decommission = zk_pre_decommission,
    .endpoints = zk_endpoints,
    .placement = zk_placement,
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &ZOOKEEPER; }
