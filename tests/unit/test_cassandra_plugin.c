/* plugins/cassandra/cassandra.so loaded through the loader over the in-memory backend: its default
 * spec, the env it injects (seeds), its validator, its backup/restore plans, its recovery
 * override, its asynchronous pre-decommission check, GET /v1/seeds, and its server command run
 * with sh against the stand-in Cassandra (tests/standins/cassandra-tools, linked into a home's bin/). */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "plugin_env.h"
#include "core/plugin/loader.h"
#include "core/plugin/memory_backend.h"
#include "core/plugin/plugin.h"
#include "core/spec/mustache.h"
#include "core/util/str.h"

#define CASS_SO "plugins/cassandra/cassandra.so"

typedef plugin_env cenv;

static bool cass_open(cenv *h, const sdk_kv *over, size_t n_over) {
    int rc = plugin_env_open(h, CASS_SO, NULL, 0, over, n_over);
    CHECK(rc >= 0);
    return rc == 0;
}

static void cass_close(cenv *h) { plugin_env_close(h); }

/* Renders, parses and mutates the default spec (what the scheduler stores). */
static sdk_spec *cass_spec(cenv *h) {
    sdk_spec *s = plugin_env_spec(h);
    CHECK(s != NULL);
    if (s) CHECK_INT(sdk_plugin_mutate_spec(h->in, &s, &h->e), 0);
    return s;
}

static const char *env_of(const sdk_spec *s, const char *task, const char *k) {
    return plugin_env_task_env(sdk_pod_task(sdk_spec_pod(s, "node"), task), k);
}

static void test_default_spec(void) {
    cenv h;
    if (!cass_open(&h, NULL, 0)) goto out;
    sdk_spec *s = cass_spec(&h);
    if (!s) goto out;
    CHECK_STR(s->name, "cassandra");
    const sdk_pod_spec *node = sdk_spec_pod(s, "node");
    CHECK(node != NULL);
    if (!node) goto done;
    CHECK_INT(node->count, 3);
    CHECK(node->allow_decommission);
    CHECK_CONTAINS(node->placement, "MAX_PER");
    CHECK(node->n_uris == 1 && strstr(node->uris[0], "apache-cassandra-3.11.6-bin.tar.gz"));
    CHECK(node->n_volumes == 1 && !strcmp(node->volumes[0].path, "container-path"));
    const sdk_resource_set *srv = sdk_pod_resource_set(node, "server-resources");
    const sdk_resource_set *side = sdk_pod_resource_set(node, "sidecar-resources");
    CHECK(srv && side);
    if (srv) {
        CHECK_INT(srv->n_ports, 3); /* jmx, storage, native-client (thrift off by default) */
        for (size_t i = 0; i < srv->n_ports; i++) {
            const sdk_port_spec *p = &srv->ports[i];
            if (!strcmp(p->name, "native-client")) {
                CHECK(p->advertise);
                CHECK_INT(p->port, 9042);
            } else if (!strcmp(p->name, "jmx")) {
                CHECK_INT(p->port, 7199);
                CHECK_STR(p->env_key, "JMX_PORT");
            } else {
                CHECK_STR(p->name, "storage");
                CHECK_INT(p->port, 7000);
            }
        }
    }
    if (side) CHECK_INT(side->cpus * 10, 10);
    const sdk_task_spec *server = sdk_pod_task(node, "server");
    CHECK(server && server->goal == SDK_GOAL_RUNNING && server->readiness_check.present);
    if (server) {
        CHECK_STR(server->resource_set, "server-resources");
        /* the command ends with the exec line, so a recovery suffix lands on Cassandra's argv */
        const char *tail = "exec \"$CASSANDRA_HOME/bin/cassandra\" $ARGS";
        size_t n = strlen(server->cmd), tn = strlen(tail);
        CHECK_MSG(n > tn && !strcmp(server->cmd + n - tn, tail), "server cmd ends with: %s",
                  n > 40 ? server->cmd + n - 40 : server->cmd);
        CHECK_CONTAINS(server->readiness_check.cmd, "nodetool\" -p \"$JMX_PORT\" status | grep -q \"^UN  $TASK_IP \"");
    }
    static const char *const ONCE[] = {"repair", "cleanup", "backup-schema", "snapshot", "upload",
                                       "cleanup-snapshot", "fetch", "restore-schema", "restore-snapshot"};
    for (size_t i = 0; i < sizeof ONCE / sizeof *ONCE; i++) {
        const sdk_task_spec *t = sdk_pod_task(node, ONCE[i]);
        CHECK_MSG(t && t->goal == SDK_GOAL_ONCE && !strcmp(t->resource_set, "sidecar-resources"), "task %s", ONCE[i]);
    }
    CHECK(sdk_spec_plan(s, "deploy") && sdk_spec_plan(s, "replace") && sdk_spec_plan(s, "repair") &&
          sdk_spec_plan(s, "cleanup"));
    const sdk_plan_spec *dep = sdk_spec_plan(s, "deploy");
    if (dep) CHECK_STR(dep->phases[0].name, "node-deploy");
done:
    sdk_spec_free(s);
out:
    cass_close(&h);
}

static void test_thrift_port_optional(void) {
    sdk_kv over[] = {{"CASSANDRA_START_RPC", "true"}};
    cenv h;
    if (!cass_open(&h, over, 1)) goto out;
    sdk_spec *s = cass_spec(&h);
    if (!s) goto out;
    const sdk_resource_set *srv = sdk_pod_resource_set(sdk_spec_pod(s, "node"), "server-resources");
    CHECK(srv && srv->n_ports == 4);
    if (srv && srv->n_ports == 4) {
        CHECK_STR(srv->ports[3].name, "thrift-client");
        CHECK_INT(srv->ports[3].port, 9160);
        CHECK(srv->ports[3].advertise);
    }
    CHECK_STR(env_of(s, "server", "CASSANDRA_START_RPC"), "true");
    sdk_spec_free(s);
out:
    cass_close(&h);
}

static void test_seeds_env(void) {
    sdk_kv over[] = {{"FRAMEWORK_NAME", "/eu/db"}, {"NODES", "4"}, {"LOCAL_SEEDS_COUNT", "3"},
                     {"TASKCFG_ALL_REMOTE_SEEDS", "10.1.0.1,10.1.0.2"}, {"CASSANDRA_HOME", "/opt/c"}};
    cenv h;
    if (!cass_open(&h, over, 5)) goto out;
    sdk_spec *s = cass_spec(&h);
    if (!s) goto out;
    const char *want = "node-0-server.db-eu.autoip.dcos.thisdcos.directory,"
                       "node-1-server.db-eu.autoip.dcos.thisdcos.directory,"
                       "node-2-server.db-eu.autoip.dcos.thisdcos.directory";
    /* every task of the pod sees the same seeds and settings, sidecars included */
    CHECK_STR(env_of(s, "server", "LOCAL_SEEDS"), want);
    CHECK_STR(env_of(s, "repair", "LOCAL_SEEDS"), want);
    CHECK_STR(env_of(s, "server", "REMOTE_SEEDS"), "10.1.0.1,10.1.0.2");
    CHECK_STR(env_of(s, "upload", "CASSANDRA_HOME"), "/opt/c");
    CHECK_STR(env_of(s, "cleanup", "JMX_PORT"), "7199");
    CHECK_STR(env_of(s, "server", "CASSANDRA_CLUSTER_NAME"), "/eu/db");
    sdk_spec_free(s);
out:
    cass_close(&h);
}

/* Validates `cand_over` options against the stored `old_over` options; returns the problems. */
static size_t validate(const sdk_kv *old_over, size_t n_old, const sdk_kv *cand_over, size_t n_cand,
                       char *first, size_t cap) {
    cenv a, b;
    size_t n = (size_t)-1;
    first[0] = 0;
    if (!cass_open(&a, old_over, n_old) || !cass_open(&b, cand_over, n_cand)) goto out;
    sdk_spec *old = old_over ? cass_spec(&a) : NULL, *cand = cass_spec(&b);
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_plugin_validate_config(b.in, old, cand, &e);
    n = e.n;
    CHECK_INT(rc, e.n ? SDK_EINVAL : 0);
    if (e.n) snprintf(first, cap, "%s", e.msgs[0]);
    sdk_errors_free(&e);
    sdk_spec_free(old);
    sdk_spec_free(cand);
out:
    cass_close(&a);
    cass_close(&b);
    return n;
}

static void test_validator(void) {
    char msg[512];
    sdk_kv ok[] = {{"NODES", "3"}};
    CHECK_INT(validate(NULL, 0, ok, 1, msg, sizeof msg), 0);
    CHECK_INT(validate(ok, 1, ok, 1, msg, sizeof msg), 0);
    sdk_kv zero[] = {{"NODES", "0"}, {"LOCAL_SEEDS_COUNT", "0"}};
    CHECK_INT(validate(NULL, 0, zero, 2, msg, sizeof msg), 2);
    CHECK_STR(msg, "plugin 'cassandra': pods.node.count: 0: a Cassandra ring needs at least one node (set NODES >= 1)");
    sdk_kv seeds[] = {{"NODES", "3"}, {"LOCAL_SEEDS_COUNT", "4"}};
    CHECK_INT(validate(NULL, 0, seeds, 2, msg, sizeof msg), 1);
    CHECK_STR(msg, "plugin 'cassandra': LOCAL_SEEDS_COUNT: '4' must be a number from 1 to NODES (3)");
    sdk_kv jmx[] = {{"CASSANDRA_JMX_PORT", "0"}};
    CHECK_INT(validate(NULL, 0, jmx, 1, msg, sizeof msg), 1);
    CHECK_CONTAINS(msg, "CASSANDRA_JMX_PORT: '0' is not a port: give a number from 1 to 65535");
    sdk_kv strat[] = {{"BACKUP_RESTORE_STRATEGY", "fast"}};
    CHECK_INT(validate(NULL, 0, strat, 1, msg, sizeof msg), 1);
    CHECK_CONTAINS(msg, "BACKUP_RESTORE_STRATEGY: 'fast' is not a strategy: use serial or parallel");
    /* data centre / rack: unset -> set is fine, a change is not */
    sdk_kv unset[] = {{"CASSANDRA_LOCATION_RACK", ""}};
    sdk_kv set[] = {{"CASSANDRA_LOCATION_RACK", "r7"}};
    sdk_kv other[] = {{"CASSANDRA_LOCATION_RACK", "r8"}};
    CHECK_INT(validate(unset, 1, set, 1, msg, sizeof msg), 0);
    CHECK_INT(validate(set, 1, other, 1, msg, sizeof msg), 1);
    CHECK_STR(msg, "plugin 'cassandra': pods.node.tasks.server.env.CASSANDRA_LOCATION_RACK: 'r7' => 'r8': the rack "
                   "of existing nodes cannot change; keep CASSANDRA_LOCATION_RACK=r7 (a new data centre needs a new "
                   "service)");
    CHECK_INT(validate(set, 1, unset, 1, msg, sizeof msg), 1); /* set -> unset is a change too */
    sdk_kv dc[] = {{"CASSANDRA_LOCATION_DATA_CENTER", "dc2"}};
    CHECK_INT(validate(NULL, 0, dc, 1, msg, sizeof msg), 0);
    CHECK_INT(validate(ok, 1, dc, 1, msg, sizeof msg), 1);
    CHECK_CONTAINS(msg, "CASSANDRA_LOCATION_DATA_CENTER: 'datacenter1' => 'dc2'");
}

static void test_backup_restore_plans(void) {
    sdk_kv over[] = {{"BACKUP_RESTORE_STRATEGY", "parallel"}};
    cenv h;
    if (!cass_open(&h, over, 1)) goto out;
    sdk_spec *s = cass_spec(&h);
    if (!s) goto out;
    CHECK_INT(sdk_plugin_generate_plans(h.in, s, &h.e), 0);
    CHECK_INT(sdk_plugin_generate_plans(h.in, s, &h.e), 0); /* idempotent */
    CHECK_INT(s->n_plans, 6);
    const sdk_plan_spec *b = sdk_spec_plan(s, "backup"), *r = sdk_spec_plan(s, "restore");
    CHECK(b && b->n_phases == 4 && r && r->n_phases == 3);
    if (b && b->n_phases == 4) {
        static const char *const PH[] = {"backup-schema", "create-snapshots", "upload-backups", "cleanup-snapshots"};
        static const char *const TK[] = {"backup-schema", "snapshot", "upload", "cleanup-snapshot"};
        for (int i = 0; i < 4; i++) {
            CHECK_STR(b->phases[i].name, PH[i]);
            CHECK_STR(b->phases[i].entries[0].steps[0][0], TK[i]);
        }
        CHECK_INT(b->phases[0].strategy, SDK_STRATEGY_SERIAL);
        CHECK_INT(b->phases[2].strategy, SDK_STRATEGY_PARALLEL); /* BACKUP_RESTORE_STRATEGY */
    }
    if (r && r->n_phases == 3) {
        CHECK_STR(r->phases[1].name, "restore-schema");
        CHECK_INT(r->phases[1].n_entries, 2);
        CHECK_INT(r->phases[1].entries[0].index, 0);
        CHECK_INT(r->phases[1].entries[1].n_steps, 0); /* nothing on the other nodes */
    }
    sdk_spec_free(s);
out:
    cass_close(&h);
}

static void test_recovery_override(void) {
    cenv h;
    if (!cass_open(&h, NULL, 0)) goto out;
    sdk_spec *s = cass_spec(&h);
    if (!s) goto out;
    sdk_memory_backend_set_task(h.m, "node", 0, "node-0-server", "TASK_GONE_BY_OPERATOR", "10.0.0.1", "agent-a");
    sdk_memory_backend_set_task(h.m, "node", 2, "node-2-server", "TASK_LOST", NULL, "10.9.9.3");
    sdk_recovery_phase_spec *p = NULL;
    /* a seed: replace it with its old IP, then restart the other nodes one by one */
    CHECK_INT(sdk_plugin_recovery_override(h.in, s, "node", 0, SDK_PLUGIN_RECOVERY_PERMANENT, &p, &h.e), 0);
    CHECK(p != NULL);
    if (p) {
        CHECK_STR(p->name, "permanent-node-failure-recovery");
        CHECK_INT(p->strategy, SDK_STRATEGY_SERIAL);
        CHECK_INT(p->n_steps, 3);
        CHECK_INT(p->steps[0].index, 0);
        CHECK_INT(p->steps[0].type, SDK_PLUGIN_RECOVERY_PERMANENT);
        CHECK(p->steps[0].n_overrides == 1);
        if (p->steps[0].n_overrides == 1)
            CHECK_STR(p->steps[0].overrides[0].cmd_suffix,
                      " -Dcassandra.replace_address=10.0.0.1 -Dcassandra.consistent.rangemovement=false");
        CHECK_INT(p->steps[1].index, 1);
        CHECK_INT(p->steps[1].type, SDK_PLUGIN_RECOVERY_TRANSIENT);
        CHECK_INT(p->steps[2].index, 2);
    }
    sdk_recovery_phase_spec_free(p);
    p = NULL;
    /* not a seed, no status IP: its agent's address, and nobody else restarts */
    CHECK_INT(sdk_plugin_recovery_override(h.in, s, "node", 2, SDK_PLUGIN_RECOVERY_PERMANENT, &p, &h.e), 0);
    CHECK(p && p->n_steps == 1);
    if (p && p->n_steps == 1 && p->steps[0].n_overrides == 1)
        CHECK_CONTAINS(p->steps[0].overrides[0].cmd_suffix, "replace_address=10.9.9.3 ");
    sdk_recovery_phase_spec_free(p);
    p = NULL;
    /* transient failures and unknown nodes: default recovery */
    CHECK_INT(sdk_plugin_recovery_override(h.in, s, "node", 0, SDK_PLUGIN_RECOVERY_TRANSIENT, &p, &h.e), 0);
    CHECK(p == NULL);
    CHECK_INT(sdk_plugin_recovery_override(h.in, s, "node", 1, SDK_PLUGIN_RECOVERY_PERMANENT, &p, &h.e), 0);
    CHECK(p == NULL);
    sdk_recovery_phase_spec_free(p);
    sdk_spec_free(s);
out:
    cass_close(&h);
}

static sdk_plugin_decision decide(cenv *h, uint32_t index, char **why) {
    sdk_plugin_decision d = SDK_PLUGIN_DECOMMISSION_ALLOW;
    free(*why);
    *why = NULL;
    sdk_plugin_pre_decommission(h->in, "node", index, &d, why);
    return d;
}

static void test_decommission(void) {
    sdk_kv over[] = {{"CASSANDRA_NODETOOL", "/opt/c/bin/nodetool"}, {"CASSANDRA_DECOMMISSION_RETRY_S", "30"}};
    cenv h;
    char *why = NULL;
    if (!cass_open(&h, over, 2)) goto out;
    sdk_memory_backend_set_task(h.m, "node", 3, "node-3-server", "TASK_RUNNING", "10.0.0.4", "a4");
    CHECK_INT(decide(&h, 3, &why), SDK_PLUGIN_DECOMMISSION_PENDING);
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 1);
    static const char *const ARGV[] = {"/opt/c/bin/nodetool", "-h", "10.0.0.4", "-p", "7199", "decommission"};
    for (size_t i = 0; i < 6; i++) CHECK_STR(sdk_memory_backend_command_arg(h.m, i), ARGV[i]);
    CHECK_INT(decide(&h, 3, &why), SDK_PLUGIN_DECOMMISSION_PENDING); /* still running: no second command */
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 1);
    CHECK(sdk_memory_backend_complete_command(h.m, 1, "", "error: Unable to decommission: not enough live nodes\n"));
    CHECK_INT(decide(&h, 3, &why), SDK_PLUGIN_DECOMMISSION_VETO);
    CHECK_CONTAINS(why, "node-3: nodetool decommission failed (exit 1): error: Unable to decommission: not enough live nodes;");
    /* vetoed until the retry delay passed, then a new attempt */
    CHECK_INT(decide(&h, 3, &why), SDK_PLUGIN_DECOMMISSION_VETO);
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 0);
    CHECK(sdk_memory_backend_fire_next_timer(h.m));
    CHECK_INT(decide(&h, 3, &why), SDK_PLUGIN_DECOMMISSION_PENDING);
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 1);
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "", ""));
    CHECK_INT(decide(&h, 3, &why), SDK_PLUGIN_DECOMMISSION_ALLOW);
    CHECK_INT(decide(&h, 3, &why), SDK_PLUGIN_DECOMMISSION_ALLOW); /* asked again per task: still allowed */
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 0);
    /* a node that is not running has nothing to stream: allowed without nodetool */
    sdk_memory_backend_set_task(h.m, "node", 4, "node-4-server", "TASK_FAILED", "10.0.0.5", "a5");
    CHECK_INT(decide(&h, 4, &why), SDK_PLUGIN_DECOMMISSION_ALLOW);
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 0);
    /* once node-3 ended, a later node-3 is checked afresh */
    sdk_plugin_task_status_notify(h.in, "node-3-server", "id", "TASK_KILLED", "a4", NULL, NULL);
    CHECK_INT(decide(&h, 3, &why), SDK_PLUGIN_DECOMMISSION_PENDING);
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 1);
out:
    free(why);
    cass_close(&h);
}

static void test_seeds_route(void) {
    sdk_kv over[] = {{"NODES", "3"}, {"LOCAL_SEEDS_COUNT", "2"}, {"TASKCFG_ALL_REMOTE_SEEDS", "10.2.0.1, 10.2.0.2"}};
    cenv h;
    if (!cass_open(&h, over, 3)) goto out;
    sdk_memory_backend_set_task(h.m, "node", 0, "node-0-server", "TASK_RUNNING", "10.0.0.1", "a1");
    sdk_memory_backend_set_task(h.m, "node", 2, "node-2-server", "TASK_RUNNING", "10.0.0.3", "a3");
    sdk_plugin_http_request req = {.method = "GET", .path = "/v1/seeds"};
    sdk_plugin_response *r = sdk_plugin_response_new(NULL, NULL);
    bool pending = true;
    CHECK_INT(sdk_plugin_dispatch(h.in, &req, r, &pending), 0);
    CHECK(!pending);
    CHECK_INT(r->status, 200);
    CHECK_STR(r->content_type, "application/json");
    /* node-1's IP is not known yet: its DNS name; node-2 is not a seed */
    CHECK_STR(r->body.data, "{\"seeds\": [\"10.0.0.1\", \"node-1-server.cassandra.autoip.dcos.thisdcos.directory\", "
                            "\"10.2.0.1\", \"10.2.0.2\"]}");
    sdk_plugin_response_free(r);
out:
    cass_close(&h);
}

/* Runs the server command with sh in a scratch sandbox against the stand-in Cassandra, with and
 * without the recovery suffix, and checks what the stand-in was given; then the readiness check. */
static void test_server_command_with_standin(void) {
    sdk_kv over[] = {{"CASSANDRA_LOCATION_DATA_CENTER", "dc-east"}};
    cenv h;
    if (!cass_open(&h, over, 1)) goto out;
    sdk_spec *s = cass_spec(&h);
    if (!s) goto out;
    const sdk_task_spec *srv = sdk_pod_task(sdk_spec_pod(s, "node"), "server");
    char dir[] = "/tmp/sdk-cass-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char cwd[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    /* a Cassandra home whose bin/ holds the stand-ins */
    char *mk = sdk_asprintf_new("mkdir -p %s/home/bin && ln -s %s/tests/standins/cassandra-tools/* %s/home/bin/",
                                dir, cwd, dir);
    CHECK_INT(system(mk), 0);
    free(mk);
    char *envs = sdk_xstrdup("");
    for (size_t i = 0; i < srv->n_env; i++) {
        char *n = sdk_asprintf_new("%s '%s=%s'", envs, srv->env[i].key, srv->env[i].value);
        free(envs);
        envs = n;
    }
    char *script = sdk_asprintf_new("%s/.cmd.sh", dir);
    FILE *f = fopen(script, "w");
    if (f) {
        fprintf(f, "%s -Dcassandra.replace_address=10.0.0.9\n", srv->cmd);
        fclose(f);
    }
    /* the stand-in loops until killed: run it for a moment */
    char *line = sdk_asprintf_new(
        "cd '%s' && mkdir -p container-path && env %s 'CASSANDRA_HOME=%s/home' "
        "CASSANDRA_STANDIN_RECORD='%s/rec' TASK_NAME=node-0-server MESOS_CONTAINER_IP=10.0.0.7 JMX_PORT=7199 "
        "STORAGE_PORT=7000 NATIVE_TRANSPORT_PORT=9042 timeout 2 sh .cmd.sh >out.log 2>&1", dir, envs, dir, dir);
    int rc = system(line);
    CHECK_MSG(WIFEXITED(rc) && WEXITSTATUS(rc) == 124, "the server should run until killed (status %d)", rc);
    char *p = sdk_asprintf_new("%s/rec/node-0-server.argv", dir), *text = NULL;
    CHECK_INT(sdk_read_file_new(p, &text, NULL), 0);
    CHECK_STR(text, "-f -R -Dcassandra.replace_address=10.0.0.9\n");
    free(text); text = NULL; free(p);
    p = sdk_asprintf_new("%s/rec/node-0-server.cassandra.yaml", dir);
    CHECK_INT(sdk_read_file_new(p, &text, NULL), 0);
    CHECK_CONTAINS(text, "cluster_name: 'cassandra'\n");
    CHECK_CONTAINS(text, "- seeds: \"node-0-server.cassandra.autoip.dcos.thisdcos.directory,"
                         "node-1-server.cassandra.autoip.dcos.thisdcos.directory\"\n");
    CHECK_CONTAINS(text, "listen_address: 10.0.0.7\n");
    CHECK_CONTAINS(text, "native_transport_port: 9042\n");
    CHECK_CONTAINS(text, "data_file_directories:\n  - ");
    free(text); text = NULL; free(p);
    p = sdk_asprintf_new("%s/cassandra-conf/cassandra-rackdc.properties", dir);
    CHECK_INT(sdk_read_file_new(p, &text, NULL), 0);
    CHECK_STR(text, "dc=dc-east\nrack=rack1\n");
    free(text); text = NULL; free(p);
    p = sdk_asprintf_new("%s/container-path/data/standin-node-0-server", dir);
    CHECK_INT(sdk_read_file_new(p, &text, NULL), 0);
    CHECK_CONTAINS(text, "started node-0-server with: -f -R -Dcassandra.replace_address=10.0.0.9");
    free(text); text = NULL; free(p);
    /* readiness: the node is down now (its process ended) -> not ready */
    f = fopen(script, "w");
    if (f) {
        fprintf(f, "%s\n", srv->readiness_check.cmd);
        fclose(f);
    }
    free(line);
    line = sdk_asprintf_new("cd '%s' && env %s 'CASSANDRA_HOME=%s/home' CASSANDRA_STANDIN_RECORD='%s/rec' "
                            "MESOS_CONTAINER_IP=10.0.0.7 sh .cmd.sh >/dev/null 2>&1", dir, envs, dir, dir);
    rc = system(line);
    CHECK_MSG(WIFEXITED(rc) && WEXITSTATUS(rc) == 1, "readiness of a stopped node: status %d", rc);
    /* a live registration at this address -> ready */
    p = sdk_asprintf_new("echo '10.0.0.7 %d' > '%s/rec/ring/node-0-server'", (int)getpid(), dir);
    CHECK_INT(system(p), 0);
    rc = system(line);
    CHECK_MSG(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "readiness of a live node: status %d", rc);
    free(p);
    p = sdk_asprintf_new("rm -rf '%s'", dir);
    CHECK_INT(system(p), 0);
    free(p);
    free(line);
    free(script);
    free(envs);
    sdk_spec_free(s);
out:
    cass_close(&h);
}

int main(void) {
    RUN(test_default_spec);
    RUN(test_thrift_port_optional);
    RUN(test_seeds_env);
    RUN(test_validator);
    RUN(test_backup_restore_plans);
    RUN(test_recovery_override);
    RUN(test_decommission);
    RUN(test_seeds_route);
    RUN(test_server_command_with_standin);
    return check_summary("test_cassandra_plugin");
}
