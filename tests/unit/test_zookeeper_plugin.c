/* plugins/zookeeper/zookeeper.so through the loader over the in-memory backend: the default spec
 * (pod node, init ONCE + server RUNNING on one resource set with static ports and a volume), the
 * membership env, validation of counts and options, node pinning, the quorum-safe
 * decommission veto, the `clients` endpoint, the replace recovery (init, then server), the
 * membership-change update plan, and the init command writing myid with plain sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "plugin_env.h"
#include "core/plugin/loader.h"
#include "core/plugin/memory_backend.h"
#include "core/plugin/plugin.h"
#include "core/spec/mustache.h"

#define ZK_SO "plugins/zookeeper/zookeeper.so"

typedef plugin_env zk_env;

static bool zk_open(zk_env *h, const sdk_kv *over, size_t n_over) {
    int rc = plugin_env_open(h, ZK_SO, NULL, 0, over, n_over);
    CHECK(rc >= 0);
    return rc == 0;
}

static void zk_close(zk_env *h) { plugin_env_close(h); }

/* Renders the default spec strictly, parses it and runs mutate_spec. */
static sdk_spec *zk_spec(zk_env *h) {
    sdk_spec *s = plugin_env_spec(h);
    CHECK(s != NULL);
    if (s) CHECK_INT(sdk_plugin_mutate_spec(h->in, &s, &h->e), 0);
    return s;
}

static const char *env_of(const sdk_task_spec *t, const char *k) {
    return plugin_env_task_env(t, k);
}

static bool has_error(const sdk_errors *e, const char *text) {
    for (size_t i = 0; i < e->n; i++)
        if (strstr(e->msgs[i], text)) return true;
    return false;
}

static void test_default_spec(void) {
    zk_env h;
    if (!zk_open(&h, NULL, 0)) goto out;
    sdk_spec *s = zk_spec(&h);
    if (!s) goto out;
    CHECK_STR(s->name, "zookeeper");
    const sdk_pod_spec *node = sdk_spec_pod(s, "node");
    CHECK(node != NULL);
    if (!node) goto free_spec;
    CHECK_INT(node->count, 3);
    CHECK(node->allow_decommission);
    CHECK_INT(node->n_uris, 1); /* the artifact URL by default */
    const sdk_task_spec *init = sdk_pod_task(node, "init"), *srv = sdk_pod_task(node, "server");
    CHECK(init && srv);
    if (!init || !srv) goto free_spec;
    CHECK_INT(init->goal, SDK_GOAL_ONCE);
    CHECK_INT(srv->goal, SDK_GOAL_RUNNING);
    CHECK_STR(init->resource_set, "node-resources");
    CHECK_STR(srv->resource_set, "node-resources");
    CHECK_CONTAINS(init->cmd, "zk-data/myid");
    CHECK_CONTAINS(srv->cmd, "org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg");
    CHECK_CONTAINS(srv->cmd, "4lw.commands.whitelist=srvr");
    CHECK(srv->readiness_check.present);
    CHECK_CONTAINS(srv->readiness_check.cmd, "Mode: (leader|follower)");
    const sdk_resource_set *rs = sdk_pod_resource_set(node, "node-resources");
    CHECK(rs && rs->n_ports == 3 && rs->n_volumes == 1);
    if (rs && rs->n_ports == 3) {
        CHECK_INT(rs->ports[0].port, 2181);
        CHECK_STR(rs->ports[0].env_key, "ZK_CLIENT_PORT");
        CHECK_INT(rs->ports[1].port, 2888);
        CHECK_STR(rs->ports[2].env_key, "ZK_ELECTION_PORT");
        CHECK_STR(rs->volumes[0].path, "zk-data");
    }
    /* membership with the default autoip names */
    CHECK_STR(env_of(srv, "ZK_SERVERS"),
              "server.1=node-0-server.zookeeper.autoip.dcos.thisdcos.directory:2888:3888;"
              "node-0-server.zookeeper.autoip.dcos.thisdcos.directory:2181 "
              "server.2=node-1-server.zookeeper.autoip.dcos.thisdcos.directory:2888:3888;"
              "node-1-server.zookeeper.autoip.dcos.thisdcos.directory:2181 "
              "server.3=node-2-server.zookeeper.autoip.dcos.thisdcos.directory:2888:3888;"
              "node-2-server.zookeeper.autoip.dcos.thisdcos.directory:2181");
    CHECK_STR(env_of(srv, "ZK_ENSEMBLE_SIZE"), "3");
    CHECK_STR(env_of(srv, "ZOOKEEPER_HEAP_MB"), "256");
    /* first deploy: all inits, then every server at once; updates: one node at a time */
    const sdk_plan_spec *dep = sdk_spec_plan(s, "deploy"), *upd = sdk_spec_plan(s, "update");
    CHECK(dep && upd);
    if (dep && upd && dep->n_phases == 2 && upd->n_phases == 1) {
        CHECK_STR(dep->phases[0].name, "init");
        CHECK_INT(dep->phases[1].strategy, SDK_STRATEGY_PARALLEL);
        CHECK_INT(upd->phases[0].strategy, SDK_STRATEGY_SERIAL);
    } else {
        CHECK_MSG(0, "deploy/update plan shape");
    }
free_spec:
    sdk_spec_free(s);
out:
    zk_close(&h);
}

static void test_hosts_and_ports(void) {
    sdk_kv over[] = {{"ZK_HOSTS", "10.0.0.1, 10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5"}, {"NODE_COUNT", "5"},
                     {"CLIENT_PORT", "11181"}, {"QUORUM_PORT", "11288"}, {"ELECTION_PORT", "11388"},
                     {"ZOOKEEPER_URI", ""}};
    zk_env h;
    if (!zk_open(&h, over, 6)) goto out;
    sdk_spec *s = zk_spec(&h);
    if (!s) goto out;
    const sdk_pod_spec *node = sdk_spec_pod(s, "node");
    CHECK_INT(node->n_uris, 0);
    const sdk_task_spec *srv = sdk_pod_task(node, "server");
    CHECK_STR(env_of(srv, "ZK_NODE_HOSTS"), "10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5");
    CHECK_CONTAINS(env_of(srv, "ZK_SERVERS"), "server.2=10.0.0.2:11288:11388;10.0.0.2:11181 server.3=");
    CHECK_CONTAINS(env_of(srv, "ZK_SERVERS"), "server.5=10.0.0.5:11288:11388;10.0.0.5:11181");
    CHECK_STR(env_of(srv, "ZK_ENSEMBLE_SIZE"), "5");
    CHECK_INT(sdk_plugin_validate_config(h.in, NULL, s, &h.e), 0);
    /* placement pins node-i to its host */
    bool pass = false;
    char *why = NULL;
    CHECK_INT(sdk_plugin_placement(h.in, "node", 1, "10.0.0.2", NULL, 0, NULL, 0, &pass, &why), 0);
    CHECK(pass);
    free(why);
    why = NULL;
    CHECK_INT(sdk_plugin_placement(h.in, "node", 1, "10.0.0.3", NULL, 0, NULL, 0, &pass, &why), 0);
    CHECK(!pass);
    CHECK_CONTAINS(why, "node-1 belongs on 10.0.0.2");
    free(why);
    /* the clients endpoint */
    sdk_plugin_endpoint *eps = NULL;
    size_t n = 0;
    CHECK_INT(sdk_plugin_endpoints_new(h.in, &eps, &n, &h.e), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(eps[0].name, "clients");
        CHECK_CONTAINS(eps[0].body, "\"connect\": \"10.0.0.1:11181,10.0.0.2:11181,10.0.0.3:11181,10.0.0.4:11181,"
                                    "10.0.0.5:11181\"");
    }
    sdk_plugin_endpoints_free(eps, n);
    sdk_spec_free(s);
out:
    zk_close(&h);
}

static void test_validation(void) {
    /* (equal or out-of-range ports are already refused by the spec parser) */
    sdk_kv over[] = {{"NODE_COUNT", "4"}, {"TICK_TIME", "5"}, {"ZK_HOSTS", "a,b;c,a,d"}, {"ZOOKEEPER_HEAP_MB", "big"}};
    zk_env h;
    if (!zk_open(&h, over, 4)) goto out;
    sdk_spec *s = zk_spec(&h);
    if (!s) goto out;
    CHECK_INT(sdk_plugin_validate_config(h.in, NULL, s, &h.e), SDK_EINVAL);
    CHECK(has_error(&h.e, "pods.node.count: 4: a ZooKeeper ensemble has 3 or 5 nodes"));
    CHECK(has_error(&h.e, "option TICK_TIME: '5' is not an integer from 100 to 60000"));
    CHECK(has_error(&h.e, "option ZK_HOSTS: entry 2 is not a host name"));
    CHECK(has_error(&h.e, "host a is given twice"));
    CHECK(has_error(&h.e, "option ZOOKEEPER_HEAP_MB: 'big'"));
    /* a bad host list leaves the membership env unset instead of half-built */
    CHECK(env_of(sdk_pod_task(sdk_spec_pod(s, "node"), "server"), "ZK_SERVERS") == NULL);
    sdk_spec_free(s);
out:
    zk_close(&h);
}

static void test_decommission_is_quorum_safe(void) {
    sdk_kv over[] = {{"NODE_COUNT", "3"}};
    zk_env h;
    if (!zk_open(&h, over, 1)) goto out;
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "node-%d-server", i);
        sdk_memory_backend_set_task(h.m, "node", i, name, i == 1 ? "TASK_FAILED" : "TASK_RUNNING", NULL, "a");
    }
    sdk_plugin_decision d = SDK_PLUGIN_DECOMMISSION_ALLOW;
    char *why = NULL;
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "node", 4, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_VETO);
    CHECK_CONTAINS(why, "node-1-server is TASK_FAILED");
    free(why);
    why = NULL;
    sdk_memory_backend_set_task(h.m, "node", 1, "node-1-server", "TASK_RUNNING", NULL, "a");
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "node", 4, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_ALLOW);
    free(why);
    why = NULL;
    /* a target below three is refused whatever runs */
    sdk_kv two[] = {{"NODE_COUNT", "2"}};
    sdk_plugin_instance_set_options(h.in, two, 1);
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "node", 2, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_VETO);
    CHECK_CONTAINS(why, "needs at least 3");
    free(why);
out:
    zk_close(&h);
}

static void test_replace_runs_init_then_server(void) {
    zk_env h;
    if (!zk_open(&h, NULL, 0)) goto out;
    sdk_spec *s = zk_spec(&h);
    if (!s) goto out;
    sdk_recovery_phase_spec *ph = NULL;
    CHECK_INT(sdk_plugin_recovery_override(h.in, s, "node", 2, SDK_PLUGIN_RECOVERY_TRANSIENT, &ph, &h.e), 0);
    CHECK(ph == NULL); /* in place: the default */
    sdk_recovery_phase_spec_free(ph);
    ph = NULL;
    CHECK_INT(sdk_plugin_recovery_override(h.in, s, "node", 2, SDK_PLUGIN_RECOVERY_PERMANENT, &ph, &h.e), 0);
    CHECK(ph != NULL);
    if (ph) {
        CHECK_STR(ph->name, "node-2-replace");
        CHECK_INT(ph->n_steps, 2);
        if (ph->n_steps == 2) {
            CHECK_STR(ph->steps[0].tasks[0], "init");
            CHECK_INT(ph->steps[0].type, SDK_PLUGIN_RECOVERY_PERMANENT);
            CHECK_STR(ph->steps[1].tasks[0], "server");
            CHECK_INT(ph->steps[1].type, SDK_PLUGIN_RECOVERY_TRANSIENT);
            CHECK_INT(ph->steps[1].index, 2);
        }
    }
    sdk_recovery_phase_spec_free(ph);
    sdk_spec_free(s);
out:
    zk_close(&h);
}

static void test_membership_change_update_plan(void) {
    sdk_kv over[] = {{"NODE_COUNT", "5"}, {"ZK_HOSTS", "a,b,c,d,e"}};
    zk_env h;
    if (!zk_open(&h, over, 2)) goto out;
    /* three servers were launched: the 5-node spec restarts them all at once */
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof name, "node-%d-server", i);
        sdk_memory_backend_set_task(h.m, "node", i, name, "TASK_RUNNING", NULL, "a");
    }
    sdk_spec *s = zk_spec(&h);
    if (!s) goto out;
    CHECK_INT(sdk_plugin_generate_plans(h.in, s, &h.e), 0);
    const sdk_plan_spec *upd = sdk_spec_plan(s, "update");
    CHECK(upd && upd->n_phases == 2);
    if (upd && upd->n_phases == 2) {
        CHECK_STR(upd->phases[1].name, "server");
        CHECK_INT(upd->phases[1].strategy, SDK_STRATEGY_PARALLEL);
    }
    sdk_spec_free(s);
    /* five launched, five wanted: the spec's serial update plan stays */
    for (int i = 3; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "node-%d-server", i);
        sdk_memory_backend_set_task(h.m, "node", i, name, "TASK_RUNNING", NULL, "a");
    }
    s = zk_spec(&h);
    if (!s) goto out;
    CHECK_INT(sdk_plugin_generate_plans(h.in, s, &h.e), 0);
    upd = sdk_spec_plan(s, "update");
    CHECK(upd && upd->n_phases == 1 && upd->phases[0].strategy == SDK_STRATEGY_SERIAL);
    sdk_spec_free(s);
out:
    zk_close(&h);
}

/* The init command, run with sh in a scratch sandbox, writes index + 1 into zk-data/myid; the
 * server command refuses to start on a volume without it. */
static void test_init_writes_myid(void) {
    zk_env h;
    if (!zk_open(&h, NULL, 0)) goto out;
    sdk_spec *s = zk_spec(&h);
    if (!s) goto out;
    const sdk_pod_spec *node = sdk_spec_pod(s, "node");
    char dir[] = "/tmp/sdk-zk-plugin-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128], line[600];
    snprintf(path, sizeof path, "%s/run.sh", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", sdk_pod_task(node, "server")->cmd);
    fclose(f);
    snprintf(line, sizeof line, "cd %s && mkdir zk-data && POD_INSTANCE_INDEX=2 sh run.sh > out 2> err", dir);
    int rc = system(line);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) != 0);
    snprintf(path, sizeof path, "%s/run.sh", dir);
    f = fopen(path, "w");
    fprintf(f, "%s\n", sdk_pod_task(node, "init")->cmd);
    fclose(f);
    snprintf(line, sizeof line, "cd %s && POD_INSTANCE_INDEX=2 TASK_NAME=node-2-init sh run.sh > out && "
                                "test \"$(cat zk-data/myid)\" = 3", dir);
    rc = system(line);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    snprintf(line, sizeof line, "rm -rf %s", dir);
    CHECK_INT(system(line), 0);
    sdk_spec_free(s);
out:
    zk_close(&h);
}

int main(void) {
    if (access(ZK_SO, R_OK) != 0) {
        fprintf(stderr, "test_zookeeper_plugin: %s is missing: build it with make\n", ZK_SO);
        return check_summary("test_zookeeper_plugin") | 1;
    }
    RUN(test_default_spec);
    RUN(test_hosts_and_ports);
    RUN(test_validation);
    RUN(test_decommission_is_quorum_safe);
    RUN(test_replace_runs_init_then_server);
    RUN(test_membership_change_update_plan);
    RUN(test_init_writes_myid);
    return check_summary("test_zookeeper_plugin");
}
