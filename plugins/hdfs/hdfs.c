/* hdfs: the HDFS service plugin (high-availability HDFS: 3+ journal nodes, 2 name nodes with
 * ZooKeeper failover controllers, N data nodes), after dcos-commons' HDFS framework.
 *   - spec template with options (hdfs_spec.c); tasks run the real `$HDFS_HOME/bin/hdfs`;
 *   - mutate_spec: renders hdfs-site.xml and core-site.xml in the scheduler and hands them to
 *     every task (env HDFS_SITE_XML, CORE_SITE_XML), sets HDFS_HOME everywhere and the ZooKeeper
 *     root of the failover controllers (SERVICE_ZK_ROOT, ZK_QUORUM) on the name pods; refuses
 *     out-of-range options (ports, DFS_REPLICATION);
 *   - validate_config: at least 3 journal nodes (count fixed after install), exactly 2 name
 *     nodes, at least 1 data node;
 *   - plans: `deploy` = journal -> name (0: format, node; 1: bootstrap, node) -> zkfc
 *     (0: zkfc-format, zkfc; 1: zkfc) -> data; `update` (config updates after the first
 *     deploy) restarts journal [node], name [node, zkfc] together, data [node];
 *   - recovery_override: a permanently failed name node is re-bootstrapped from its peer
 *     ([bootstrap, zkfc] PERMANENT, then [node] TRANSIENT); a journal node fetches the journal
 *     VERSION kept by the scheduler before it starts ([node] PERMANENT, JOURNAL_BOOTSTRAP=true);
 *   - placement: journal and name pods avoid agents with journal or name tasks, data pods avoid
 *     agents with data tasks (POD_ANTI_AFFINITY=false turns it off), ANDed with the user's rule;
 *   - endpoints: hdfs-site.xml and core-site.xml (text/plain), as the tasks receive them;
 *   - routes: PUT/GET /v1/hdfs/journal-version, the journal VERSION hand-off used on replace.
 * All state lives in the struct returned by init (two instances can coexist). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdfs.h"

#define NAMESERVICE "hdfs"
#define VERSION_PROPERTY "journal-VERSION"
#define VERSION_MAX (64 * 1024)

typedef struct hdfs_state {
    const sdk_host_api *api;
    sdk_plugin_host *host;
} hdfs_state;

static const char *opt(const hdfs_state *s, const char *name) {
    const char *v = s->api->option(s->host, name);
    return v ? v : "";
}

/* Parses a whole decimal integer in [lo, hi]; false for anything else. */
static bool parse_int(const char *text, long long lo, long long hi, long long *out) {
    if (!text || !*text) return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* ---- rendered configuration ---------------------------------------------------------------- */

/* The ZooKeeper node of the service, as dcos-commons names it: "/dcos-service-<name>" with '/'
 * in the name written "__". Writes into buf (always NUL-terminated). */
static void zk_root(const char *name, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "/dcos-service-");
    for (const char *p = name; *p && n + 3 < cap; p++) {
        if (*p == '/') {
            buf[n++] = '_';
            buf[n++] = '_';
        } else {
            buf[n++] = *p;
        }
    }
    buf[n < cap ? n : cap - 1] = 0;
}

/* FRAMEWORK_HOST as the scheduler gives it to tasks: the name without '/', dots as dashes, then
 * the service TLD. */
static void framework_host(const hdfs_state *s, char *buf, size_t cap) {
    const char *name = opt(s, "FRAMEWORK_NAME");
    const char *tld = opt(s, "SERVICE_TLD");
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < cap; p++)
        if (*p != '/') buf[n++] = *p == '.' ? '-' : *p;
    buf[n] = 0;
    if (n + 1 < cap) snprintf(buf + n, cap - n, ".%s", *tld ? tld : "autoip.dcos.thisdcos.directory");
}

/* Renders hdfs-site.xml (core == false) or core-site.xml for `journals` journal nodes. *out is
 * malloc()ed (free()). Problems go to errs (may be NULL). */
static int render_xml_new(const hdfs_state *s, bool core, int64_t journals, char **out,
                          sdk_plugin_errors *errs) {
    *out = NULL;
    char host[512], root[512];
    framework_host(s, host, sizeof host);
    zk_root(opt(s, "FRAMEWORK_NAME"), root, sizeof root);
    size_t qcap = (size_t)(journals > 0 ? journals : 1) * (strlen(host) + 40) + 1;
    char *quorum = malloc(qcap);
    if (!quorum) return SDK_PLUGIN_ENOMEM;
    size_t qn = 0;
    quorum[0] = 0;
    for (int64_t i = 0; i < journals; i++)
        qn += (size_t)snprintf(quorum + qn, qcap - qn, "%sjournal-%lld-node.%s:%s", i ? ";" : "",
                               (long long)i, host, opt(s, "JOURNAL_RPC_PORT"));
    const sdk_plugin_kv vars[] = {
        {"NAMESERVICE", NAMESERVICE},
        {"FRAMEWORK_HOST", host},
        {"JOURNAL_QUORUM", quorum},
        {"MESOS_SANDBOX", "sandboxpath"},
        {"JOURNAL_RPC_PORT", opt(s, "JOURNAL_RPC_PORT")},
        {"JOURNAL_HTTP_PORT", opt(s, "JOURNAL_HTTP_PORT")},
        {"NAME_RPC_PORT", opt(s, "NAME_RPC_PORT")},
        {"NAME_HTTP_PORT", opt(s, "NAME_HTTP_PORT")},
        {"ZKFC_PORT", opt(s, "ZKFC_PORT")},
        {"DATA_RPC_PORT", opt(s, "DATA_RPC_PORT")},
        {"DATA_HTTP_PORT", opt(s, "DATA_HTTP_PORT")},
        {"DATA_IPC_PORT", opt(s, "DATA_IPC_PORT")},
        {"DFS_REPLICATION", opt(s, "DFS_REPLICATION")},
        {"ZOOKEEPER", opt(s, "ZOOKEEPER")},
        {"SERVICE_ZK_ROOT", root},
    };
    char *text = NULL;
    int rc = s->api->render(s->host, core ? hdfs_core_site_template : hdfs_site_template, vars,
                            (uint32_t)(sizeof vars / sizeof vars[0]), true, &text, errs);
    free(quorum);
    if (rc != SDK_PLUGIN_OK) return rc;
    *out = strdup(text);
    s->api->free(text);
    return *out ? SDK_PLUGIN_OK : SDK_PLUGIN_ENOMEM;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static int hdfs_init(const sdk_host_api *api, sdk_plugin_host *host, void **state,
                     sdk_plugin_errors *errs) {
    (void)errs;
    hdfs_state *s = calloc(1, sizeof *s);
    if (!s) return SDK_PLUGIN_ENOMEM;
    s->api = api;
    s->host = host;
    *state = s;
    return SDK_PLUGIN_OK;
}

static void hdfs_fini(void *state) { free(state); }

/* ---- spec ---------------------------------------------------------------------------------- */

static const char *const PORT_OPTIONS[] = {
    "JOURNAL_RPC_PORT", "JOURNAL_HTTP_PORT", "NAME_RPC_PORT", "NAME_HTTP_PORT",
    "ZKFC_PORT",        "DATA_RPC_PORT",     "DATA_HTTP_PORT", "DATA_IPC_PORT",
};

/* Checks the options the spec parser cannot: ports, replication against the data node count,
 * the ZooKeeper connect string. Appends one problem per bad option; returns the number found. */
static int check_options(const hdfs_state *s, const sdk_plugin_spec *spec, sdk_plugin_errors *errs) {
    int bad = 0;
    long long v = 0;
    for (size_t i = 0; i < sizeof PORT_OPTIONS / sizeof PORT_OPTIONS[0]; i++) {
        const char *text = opt(s, PORT_OPTIONS[i]);
        if (!parse_int(text, 1, 65535, &v)) {
            s->api->error(errs, "%s '%s': expected a fixed port number from 1 to 65535 (HDFS "
                          "nodes find each other by these ports)", PORT_OPTIONS[i], text);
            bad++;
        }
    }
    int64_t data = 0;
    s->api->spec_pod_get_count(spec, "data", &data);
    const char *rep = opt(s, "DFS_REPLICATION");
    if (!parse_int(rep, 1, 512, &v)) {
        s->api->error(errs, "DFS_REPLICATION '%s': expected an integer >= 1 (copies of each "
                      "block)", rep);
        bad++;
    } else if (data >= 1 && v > data) {
        s->api->error(errs, "DFS_REPLICATION %lld is more than DATA_COUNT %lld: each block copy "
                      "needs its own data node (lower DFS_REPLICATION or add data nodes)", v,
                      (long long)data);
        bad++;
    }
    const char *zk = opt(s, "ZOOKEEPER");
    if (!*zk || strchr(zk, '/') || strchr(zk, ' ')) {
        s->api->error(errs, "ZOOKEEPER '%s': expected a connect string host:port[,host:port...] "
                      "without a path (the failover controllers use %s under it)", zk,
                      "/dcos-service-<name>/hadoop-ha");
        bad++;
    }
    return bad;
}

static int hdfs_mutate(void *state, sdk_plugin_spec *spec, sdk_plugin_errors *errs) {
    hdfs_state *s = state;
    const sdk_host_api *api = s->api;
    if (check_options(s, spec, errs)) return SDK_PLUGIN_EINVAL;
    int64_t journals = 0;
    api->spec_pod_get_count(spec, "journal", &journals);
    char *site = NULL, *core = NULL;
    int rc = render_xml_new(s, false, journals, &site, errs);
    if (rc == SDK_PLUGIN_OK) rc = render_xml_new(s, true, journals, &core, errs);
    char root[512];
    zk_root(opt(s, "FRAMEWORK_NAME"), root, sizeof root);
    static const char *const pods[] = {"journal", "name", "data"};
    for (size_t i = 0; i < 3 && rc == SDK_PLUGIN_OK; i++) {
        if (!api->spec_task_count(spec, pods[i])) continue; /* a user's --spec without the pod */
        rc = api->spec_set_env(spec, pods[i], NULL, "HDFS_HOME", opt(s, "HDFS_HOME"));
        if (rc == SDK_PLUGIN_OK) rc = api->spec_set_env(spec, pods[i], NULL, "HDFS_SITE_XML", site);
        if (rc == SDK_PLUGIN_OK) rc = api->spec_set_env(spec, pods[i], NULL, "CORE_SITE_XML", core);
    }
    if (rc == SDK_PLUGIN_OK && api->spec_task_count(spec, "name")) {
        rc = api->spec_set_env(spec, "name", NULL, "SERVICE_ZK_ROOT", root);
        if (rc == SDK_PLUGIN_OK) rc = api->spec_set_env(spec, "name", NULL, "ZK_QUORUM", opt(s, "ZOOKEEPER"));
    }
    if (rc != SDK_PLUGIN_OK) api->error(errs, "cannot prepare the HDFS task environment (code %d)", rc);
    free(site);
    free(core);
    return rc;
}

static int hdfs_validate(void *state, const sdk_plugin_spec *old_spec,
                         const sdk_plugin_spec *new_spec, sdk_plugin_errors *errs) {
    hdfs_state *s = state;
    const sdk_host_api *api = s->api;
    int64_t journal = 0, name = 0, data = 0;
    bool has_j = api->spec_pod_get_count(new_spec, "journal", &journal) == SDK_PLUGIN_OK;
    bool has_n = api->spec_pod_get_count(new_spec, "name", &name) == SDK_PLUGIN_OK;
    bool has_d = api->spec_pod_get_count(new_spec, "data", &data) == SDK_PLUGIN_OK;
    if (!has_j || !has_n || !has_d) {
        api->error(errs, "pods: an HDFS service needs the pod types journal, name and data "
                   "(missing:%s%s%s)", has_j ? "" : " journal", has_n ? "" : " name",
                   has_d ? "" : " data");
        return SDK_PLUGIN_OK;
    }
    if (journal < 3)
        api->error(errs, "pods.journal.count: %lld: HDFS needs at least 3 journal nodes for a "
                   "quorum of its edit log (set JOURNAL_COUNT >= 3)", (long long)journal);
    if (name != 2)
        api->error(errs, "pods.name.count: %lld: HDFS high availability runs exactly 2 name nodes, "
                   "an active and a standby (set NAME_COUNT=2)", (long long)name);
    if (data < 1)
        api->error(errs, "pods.data.count: %lld: HDFS needs at least one data node (set "
                   "DATA_COUNT >= 1)", (long long)data);
    int64_t old_journal = 0;
    if (old_spec && api->spec_pod_get_count(old_spec, "journal", &old_journal) == SDK_PLUGIN_OK &&
        old_journal != journal && journal >= 3)
        api->error(errs, "pods.journal.count: %lld => %lld: the journal quorum is fixed once HDFS "
                   "is installed (the name nodes' shared edits name every journal node); keep "
                   "JOURNAL_COUNT=%lld", (long long)old_journal, (long long)journal,
                   (long long)old_journal);
    return SDK_PLUGIN_OK;
}

/* ---- plans --------------------------------------------------------------------------------- */

static int add_step(const sdk_host_api *api, sdk_plugin_phase *ph, int64_t index,
                    const char *t1, const char *t2) {
    const char *tasks[2] = {t1, t2};
    return api->step_add(ph, index, tasks, t2 ? 2 : 1);
}

static int hdfs_plans(void *state, const sdk_plugin_spec *spec, sdk_plugin_plans *plans,
                      sdk_plugin_errors *errs) {
    hdfs_state *s = state;
    const sdk_host_api *api = s->api;
    /* only for the plugin's own pod layout (a user's --spec may differ) */
    if (!api->spec_task_goal(spec, "name", "format") || !api->spec_task_goal(spec, "name", "zkfc") ||
        !api->spec_task_goal(spec, "journal", "node") || !api->spec_task_goal(spec, "data", "node"))
        return SDK_PLUGIN_OK;
    sdk_plugin_plan *plan = NULL;
    sdk_plugin_phase *ph = NULL;
    int rc = api->plan_add(plans, "deploy", SDK_PLUGIN_STRATEGY_SERIAL, &plan);
    if (rc == SDK_PLUGIN_OK) rc = api->phase_add(plan, "journal", "journal", SDK_PLUGIN_STRATEGY_SERIAL, &ph);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, -1, "node", NULL);
    if (rc == SDK_PLUGIN_OK) rc = api->phase_add(plan, "name", "name", SDK_PLUGIN_STRATEGY_SERIAL, &ph);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, 0, "format", NULL);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, 0, "node", NULL);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, 1, "bootstrap", NULL);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, 1, "node", NULL);
    if (rc == SDK_PLUGIN_OK) rc = api->phase_add(plan, "zkfc", "name", SDK_PLUGIN_STRATEGY_SERIAL, &ph);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, 0, "zkfc-format", NULL);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, 0, "zkfc", NULL);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, 1, "zkfc", NULL);
    if (rc == SDK_PLUGIN_OK) rc = api->phase_add(plan, "data", "data", SDK_PLUGIN_STRATEGY_PARALLEL, &ph);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, -1, "node", NULL);

    if (rc == SDK_PLUGIN_OK) rc = api->plan_add(plans, "update", SDK_PLUGIN_STRATEGY_SERIAL, &plan);
    if (rc == SDK_PLUGIN_OK) rc = api->phase_add(plan, "journal", "journal", SDK_PLUGIN_STRATEGY_SERIAL, &ph);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, -1, "node", NULL);
    if (rc == SDK_PLUGIN_OK) rc = api->phase_add(plan, "name", "name", SDK_PLUGIN_STRATEGY_SERIAL, &ph);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, -1, "node", "zkfc");
    if (rc == SDK_PLUGIN_OK) rc = api->phase_add(plan, "data", "data", SDK_PLUGIN_STRATEGY_SERIAL, &ph);
    if (rc == SDK_PLUGIN_OK) rc = add_step(api, ph, -1, "node", NULL);
    if (rc != SDK_PLUGIN_OK) api->error(errs, "cannot build the HDFS deploy and update plans (code %d)", rc);
    return rc;
}

/* ---- recovery ------------------------------------------------------------------------------ */

static int hdfs_recovery(void *state, const sdk_plugin_spec *spec, const char *pod, uint32_t index,
                         sdk_plugin_recovery_type type, sdk_plugin_recovery *rec) {
    hdfs_state *s = state;
    const sdk_host_api *api = s->api;
    if (type != SDK_PLUGIN_RECOVERY_PERMANENT) return SDK_PLUGIN_OK;
    bool name = !strcmp(pod, "name"), journal = !strcmp(pod, "journal");
    if (!name && !journal) return SDK_PLUGIN_OK; /* data nodes re-replicate: default recovery */
    if (!api->spec_task_goal(spec, pod, "bootstrap") || !api->spec_task_goal(spec, pod, "node"))
        return SDK_PLUGIN_OK;
    /* The core relaunches a TRANSIENT step on the agent of the pod's first stored task, and a
     * permanently failed task's old record still counts (see README, "Recovery"). So the name
     * pod's failover controller starts with the bootstrap (it waits for its name node), giving the
     * node step a live task on the new agent; the journal pod has a single resource set, so its
     * node fetches the VERSION itself in one PERMANENT step (env JOURNAL_BOOTSTRAP=true runs the
     * same fetch as the bootstrap task before the journal node starts). */
    static const char *const name_boot[] = {"bootstrap", "zkfc"};
    static const char *const node[] = {"node"};
    sdk_plugin_recovery_step *st = NULL;
    int rc = api->recovery_set_phase(rec, name ? "permanent-name-failure-recovery"
                                               : "permanent-journal-failure-recovery",
                                     SDK_PLUGIN_STRATEGY_SERIAL);
    if (rc == SDK_PLUGIN_OK && journal) {
        rc = api->recovery_step_add(rec, pod, index, node, 1, SDK_PLUGIN_RECOVERY_PERMANENT, &st);
        if (rc == SDK_PLUGIN_OK) rc = api->recovery_step_env(st, "node", "JOURNAL_BOOTSTRAP", "true");
    }
    if (rc == SDK_PLUGIN_OK && name) {
        rc = api->recovery_step_add(rec, pod, index, name_boot, 2, SDK_PLUGIN_RECOVERY_PERMANENT, &st);
        /* the new name node copies the namespace from the other one (-bootstrapStandby) */
        char peer[640], host[512];
        framework_host(s, host, sizeof host);
        snprintf(peer, sizeof peer, "name-%u-node.%s", index == 0 ? 1u : 0u, host);
        if (rc == SDK_PLUGIN_OK) rc = api->recovery_step_env(st, "bootstrap", "BOOTSTRAP_PEER", peer);
        if (rc == SDK_PLUGIN_OK)
            rc = api->recovery_step_add(rec, pod, index, node, 1, SDK_PLUGIN_RECOVERY_TRANSIENT, NULL);
    }
    if (rc == SDK_PLUGIN_OK)
        api->log(s->host, SDK_PLUGIN_LOG_INFO, "%s-%u replaced: bootstrapping it from %s", pod,
                 index, name ? "its peer name node" : "the journal VERSION kept by the scheduler");
    return rc;
}

/* ---- placement ----------------------------------------------------------------------------- */

/* Pod type of a task name "<pod>-<index>-<task>" (the part before the first "-<digits>-"),
 * written into buf; false when the name has no such shape. */
static bool task_pod(const char *task, char *buf, size_t cap) {
    for (const char *p = task; *p; p++) {
        if (*p != '-' || !isdigit((unsigned char)p[1])) continue;
        const char *q = p + 1;
        while (isdigit((unsigned char)*q)) q++;
        if (*q != '-') continue;
        size_t n = (size_t)(p - task);
        if (n + 1 > cap) return false;
        memcpy(buf, task, n);
        buf[n] = 0;
        return true;
    }
    return false;
}

static bool conflicts(const char *pod, const char *other) {
    if (!strcmp(pod, "journal") || !strcmp(pod, "name"))
        return !strcmp(other, "journal") || !strcmp(other, "name");
    if (!strcmp(pod, "data")) return !strcmp(other, "data");
    return false;
}

static int hdfs_placement(void *state, const sdk_plugin_placement_query *q, bool *pass,
                          sdk_plugin_errors *reason) {
    hdfs_state *s = state;
    *pass = true;
    if (!strcmp(opt(s, "POD_ANTI_AFFINITY"), "false")) return SDK_PLUGIN_OK;
    char self[160];
    snprintf(self, sizeof self, "%s-%u-", q->pod_type, q->pod_index);
    for (uint32_t i = 0; i < q->n_agent_tasks; i++) {
        const char *t = q->agent_tasks[i];
        char other[128];
        if (!t || !strncmp(t, self, strlen(self)) || !task_pod(t, other, sizeof other)) continue;
        /* a stored task that never launched (no state) holds no pod on the agent */
        if (!s->api->task_state(s->host, t)) continue;
        if (conflicts(q->pod_type, other)) {
            *pass = false;
            s->api->log(s->host, SDK_PLUGIN_LOG_DEBUG, "%s-%u not on %s: it runs %s", q->pod_type,
                        q->pod_index, q->agent_hostname, t);
            s->api->error(reason, "%s pods avoid agents running %s tasks: %s already has %s "
                          "(POD_ANTI_AFFINITY)", q->pod_type, other, q->agent_hostname, t);
            return SDK_PLUGIN_OK;
        }
    }
    return SDK_PLUGIN_OK;
}

/* ---- endpoints ----------------------------------------------------------------------------- */

static int hdfs_endpoints(void *state, sdk_plugin_endpoints *out) {
    hdfs_state *s = state;
    long long journals = 3;
    if (!parse_int(opt(s, "JOURNAL_COUNT"), 1, 1000, &journals)) journals = 3;
    char *site = NULL, *core = NULL;
    int rc = render_xml_new(s, false, journals, &site, NULL);
    if (rc == SDK_PLUGIN_OK) rc = render_xml_new(s, true, journals, &core, NULL);
    if (rc == SDK_PLUGIN_OK)
        rc = s->api->endpoint_add(out, "hdfs-site.xml", "text/plain", site, strlen(site));
    if (rc == SDK_PLUGIN_OK)
        rc = s->api->endpoint_add(out, "core-site.xml", "text/plain", core, strlen(core));
    free(site);
    free(core);
    return rc;
}

/* ---- routes: the journal VERSION hand-off -------------------------------------------------- */

static int reply(const hdfs_state *s, sdk_plugin_response *resp, int status, const char *text) {
    s->api->response_set_status(resp, status);
    s->api->response_set_content_type(resp, "text/plain");
    s->api->response_set_body(resp, text, strlen(text));
    return SDK_PLUGIN_OK;
}

/* PUT /v1/hdfs/journal-version: stores a journal node's current/VERSION (the readiness check of
 * every journal node sends it once). The body must look like a Hadoop storage VERSION file. */
static int route_version_put(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    hdfs_state *s = state;
    size_t len = 0;
    const char *body = s->api->request_body(req, &len);
    if (len == 0 || len > VERSION_MAX)
        return reply(s, resp, 400, "expected the journal node's current/VERSION file as the body "
                                   "(1 byte to 64 KiB)\n");
    if (memchr(body, 0, len) || !strstr(body, "namespaceID=") || !strstr(body, "clusterID="))
        return reply(s, resp, 400, "the body is not a Hadoop storage VERSION file: it needs "
                                   "namespaceID= and clusterID= lines\n");
    int rc = s->api->property_set(s->host, VERSION_PROPERTY, body, len);
    if (rc != SDK_PLUGIN_OK) return reply(s, resp, 500, "cannot store the VERSION file\n");
    return reply(s, resp, 200, "stored\n");
}

/* GET /v1/hdfs/journal-version: the stored VERSION (the bootstrap task of a replaced journal node
 * fetches it); 404 until a journal node sent one. */
static int route_version_get(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    hdfs_state *s = state;
    char *v = NULL;
    size_t len = 0;
    int rc = s->api->property_get(s->host, VERSION_PROPERTY, &v, &len);
    if (rc == SDK_PLUGIN_ENOENT)
        return reply(s, resp, 404, "no journal VERSION stored yet: a journal node sends it from its "
                                   "readiness check once the name nodes formatted the journal\n");
    if (rc != SDK_PLUGIN_OK) return reply(s, resp, 500, "cannot read the VERSION file\n");
    s->api->response_set_status(resp, 200);
    s->api->response_set_content_type(resp, "text/plain");
    s->api->response_set_body(resp, v, len);
    s->api->free(v);
    return SDK_PLUGIN_OK;
}

static const sdk_plugin_route hdfs_routes[] = {
    {"PUT", "/v1/hdfs/journal-version", route_version_put},
    {"GET", "/v1/hdfs/journal-version", route_version_get},
};

/* ---- options (rendered into hdfs_spec_template) -------------------------------------------- */

static const sdk_plugin_option hdfs_options[] = {
    {"FRAMEWORK_NAME", "hdfs", "service name (Mesos framework name)"},
    {"FRAMEWORK_USER", "root", "user running the tasks"},
    {"SERVICE_TLD", "autoip.dcos.thisdcos.directory", "DNS suffix of task host names (name-0-node.<service>.<tld>)"},
    {"HDFS_URI", "https://archive.apache.org/dist/hadoop/common/hadoop-2.10.2/hadoop-2.10.2.tar.gz",
     "Hadoop distribution fetched into every pod's sandbox"},
    {"HDFS_HOME", "hadoop-2.10.2", "Hadoop directory (relative to the sandbox, or absolute): tasks run $HDFS_HOME/bin/hdfs"},
    {"ZOOKEEPER", "master.mesos:2181", "ZooKeeper connect string of the failover controllers (root /dcos-service-<name>)"},
    {"JOURNAL_COUNT", "3", "journal nodes (at least 3; fixed after install)"},
    {"JOURNAL_CPUS", "0.3", "cpus of each journal node"},
    {"JOURNAL_MEM", "512", "memory (MB) of each journal node"},
    {"JOURNAL_DISK", "5000", "journal volume size (MB)"},
    {"JOURNAL_RPC_PORT", "8485", "journal node RPC port"},
    {"JOURNAL_HTTP_PORT", "8480", "journal node HTTP port"},
    {"JOURNAL_PLACEMENT", "[]", "placement rule of journal pods (Marathon syntax), ANDed with the anti-affinity"},
    {"NAME_COUNT", "2", "name nodes (exactly 2: active and standby)"},
    {"NAME_CPUS", "0.3", "cpus of each name node"},
    {"NAME_MEM", "512", "memory (MB) of each name node"},
    {"NAME_DISK", "5000", "name volume size (MB)"},
    {"NAME_RPC_PORT", "9001", "name node RPC port"},
    {"NAME_HTTP_PORT", "9002", "name node HTTP port"},
    {"NAME_PLACEMENT", "[]", "placement rule of name pods (Marathon syntax), ANDed with the anti-affinity"},
    {"ZKFC_CPUS", "0.3", "cpus of each ZooKeeper failover controller"},
    {"ZKFC_MEM", "512", "memory (MB) of each ZooKeeper failover controller"},
    {"ZKFC_PORT", "8019", "failover controller port"},
    {"DATA_COUNT", "3", "data nodes (at least 1)"},
    {"DATA_CPUS", "0.3", "cpus of each data node"},
    {"DATA_MEM", "512", "memory (MB) of each data node"},
    {"DATA_DISK", "5000", "data volume size (MB)"},
    {"DATA_RPC_PORT", "9003", "data node transfer port"},
    {"DATA_HTTP_PORT", "9004", "data node HTTP port"},
    {"DATA_IPC_PORT", "9005", "data node IPC port"},
    {"DATA_PLACEMENT", "[]", "placement rule of data pods (Marathon syntax), ANDed with the anti-affinity"},
    {"DFS_REPLICATION", "3", "copies of each block (1 .. DATA_COUNT)"},
    {"POD_ANTI_AFFINITY", "true", "journal/name pods avoid each other's agents, data pods avoid each other ('false' turns it off)"},
    {"READINESS_CHECK_INTERVAL", "10", "seconds between readiness checks of journal and name nodes"},
};

/* The package options (ABI 1.1): the dcos-commons frameworks/hdfs/universe/config.json names where upstream has the option (service.*, journal_node.*, name_node.*, zkfc_node.*, data_node.*, hdfs.*), each
 * feeding the template variable of the 1.0 table above (kept for 1.0 schedulers). */
static const sdk_plugin_option_schema hdfs_option_schema[] = {
    {"service.name", "FRAMEWORK_NAME", SDK_PLUGIN_OPTION_STRING, 0, "hdfs",
     "service name (Mesos framework name)", NULL, NULL, NULL},
    {"service.user", "FRAMEWORK_USER", SDK_PLUGIN_OPTION_STRING, 0, "root",
     "user running the tasks", NULL, NULL, NULL},
    {"service.tld", "SERVICE_TLD", SDK_PLUGIN_OPTION_STRING, 0, "autoip.dcos.thisdcos.directory",
     "DNS suffix of task host names (name-0-node.<service>.<tld>)", NULL, NULL, NULL},
    {"hdfs.uri", "HDFS_URI", SDK_PLUGIN_OPTION_STRING, 0, "https://archive.apache.org/dist/hadoop/common/hadoop-2.10.2/hadoop-2.10.2.tar.gz",
     "Hadoop distribution fetched into every pod's sandbox", NULL, NULL, NULL},
    {"hdfs.home", "HDFS_HOME", SDK_PLUGIN_OPTION_STRING, 0, "hadoop-2.10.2",
     "Hadoop directory (relative to the sandbox, or absolute): tasks run $HDFS_HOME/bin/hdfs", NULL, NULL, NULL},
    {"hdfs.zookeeper", "ZOOKEEPER", SDK_PLUGIN_OPTION_STRING, 0, "master.mesos:2181",
     "ZooKeeper connect string of the failover controllers (root /dcos-service-<name>)", NULL, NULL, NULL},
    {"journal_node.count", "JOURNAL_COUNT", SDK_PLUGIN_OPTION_INTEGER, 0, "3",
     "journal nodes (at least 3; fixed after install)", NULL, NULL, NULL},
    {"journal_node.cpus", "JOURNAL_CPUS", SDK_PLUGIN_OPTION_NUMBER, 0, "0.3",
     "cpus of each journal node", "0.01", NULL, NULL},
    {"journal_node.mem", "JOURNAL_MEM", SDK_PLUGIN_OPTION_INTEGER, 0, "512",
     "memory (MB) of each journal node", "1", NULL, NULL},
    {"journal_node.disk", "JOURNAL_DISK", SDK_PLUGIN_OPTION_INTEGER, 0, "5000",
     "journal volume size (MB)", "1", NULL, NULL},
    {"journal_node.rpc_port", "JOURNAL_RPC_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "8485",
     "journal node RPC port", "0", "65535", NULL},
    {"journal_node.http_port", "JOURNAL_HTTP_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "8480",
     "journal node HTTP port", "0", "65535", NULL},
    {"journal_node.placement", "JOURNAL_PLACEMENT", SDK_PLUGIN_OPTION_STRING, 0, "[]",
     "placement rule of journal pods (Marathon syntax), ANDed with the anti-affinity", NULL, NULL, NULL},
    {"name_node.count", "NAME_COUNT", SDK_PLUGIN_OPTION_INTEGER, 0, "2",
     "name nodes (exactly 2: active and standby)", NULL, NULL, NULL},
    {"name_node.cpus", "NAME_CPUS", SDK_PLUGIN_OPTION_NUMBER, 0, "0.3",
     "cpus of each name node", "0.01", NULL, NULL},
    {"name_node.mem", "NAME_MEM", SDK_PLUGIN_OPTION_INTEGER, 0, "512",
     "memory (MB) of each name node", "1", NULL, NULL},
    {"name_node.disk", "NAME_DISK", SDK_PLUGIN_OPTION_INTEGER, 0, "5000",
     "name volume size (MB)", "1", NULL, NULL},
    {"name_node.rpc_port", "NAME_RPC_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "9001",
     "name node RPC port", "0", "65535", NULL},
    {"name_node.http_port", "NAME_HTTP_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "9002",
     "name node HTTP port", "0", "65535", NULL},
    {"name_node.placement", "NAME_PLACEMENT", SDK_PLUGIN_OPTION_STRING, 0, "[]",
     "placement rule of name pods (Marathon syntax), ANDed with the anti-affinity", NULL, NULL, NULL},
    {"zkfc_node.cpus", "ZKFC_CPUS", SDK_PLUGIN_OPTION_NUMBER, 0, "0.3",
     "cpus of each ZooKeeper failover controller", "0.01", NULL, NULL},
    {"zkfc_node.mem", "ZKFC_MEM", SDK_PLUGIN_OPTION_INTEGER, 0, "512",
     "memory (MB) of each ZooKeeper failover controller", "1", NULL, NULL},
    {"zkfc_node.port", "ZKFC_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "8019",
     "failover controller port", "0", "65535", NULL},
    {"data_node.count", "DATA_COUNT", SDK_PLUGIN_OPTION_INTEGER, 0, "3",
     "data nodes (at least 1)", NULL, NULL, NULL},
    {"data_node.cpus", "DATA_CPUS", SDK_PLUGIN_OPTION_NUMBER, 0, "0.3",
     "cpus of each data node", "0.01", NULL, NULL},
    {"data_node.mem", "DATA_MEM", SDK_PLUGIN_OPTION_INTEGER, 0, "512",
     "memory (MB) of each data node", "1", NULL, NULL},
    {"data_node.disk", "DATA_DISK", SDK_PLUGIN_OPTION_INTEGER, 0, "5000",
     "data volume size (MB)", "1", NULL, NULL},
    {"data_node.rpc_port", "DATA_RPC_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "9003",
     "data node transfer port", "0", "65535", NULL},
    {"data_node.http_port", "DATA_HTTP_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "9004",
     "data node HTTP port", "0", "65535", NULL},
    {"data_node.ipc_port", "DATA_IPC_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "9005",
     "data node IPC port", "0", "65535", NULL},
    {"data_node.placement", "DATA_PLACEMENT", SDK_PLUGIN_OPTION_STRING, 0, "[]",
     "placement rule of data pods (Marathon syntax), ANDed with the anti-affinity", NULL, NULL, NULL},
    {"hdfs.dfs_replication", "DFS_REPLICATION", SDK_PLUGIN_OPTION_INTEGER, 0, "3",
     "copies of each block (1 .. DATA_COUNT)", NULL, NULL, NULL},
    {"service.pod_anti_affinity", "POD_ANTI_AFFINITY", SDK_PLUGIN_OPTION_BOOLEAN, 0, "true",
     "journal/name pods avoid each other's agents, data pods avoid each other ('false' turns it off)", NULL, NULL, NULL},
    {"journal_node.readiness_check.interval", "READINESS_CHECK_INTERVAL", SDK_PLUGIN_OPTION_INTEGER, 0, "10",
     "seconds between readiness checks of journal and name nodes", "1", NULL, NULL},
};

static const sdk_plugin_descriptor HDFS = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "hdfs",
    .version = "1.0.0",
    .description = "HDFS with high availability: journal, name (with zkfc) and data pods",
    .spec_template = hdfs_spec_template,
    .options = hdfs_options,
    .n_options = sizeof hdfs_options / sizeof hdfs_options[0],
    .option_schema = hdfs_option_schema,
    .n_option_schema = sizeof hdfs_option_schema / sizeof hdfs_option_schema[0],
    .routes = hdfs_routes,
    .n_routes = sizeof hdfs_routes / sizeof hdfs_routes[0],
    .init = hdfs_init,
    .fini = hdfs_fini,
    .mutate_spec = hdfs_mutate,
    .validate_config = hdfs_validate,
    .plans = hdfs_plans,
    .recovery_override = hdfs_recovery,
    .endpoints = hdfs_endpoints,
    .placement = hdfs_placement,
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &HDFS; }
