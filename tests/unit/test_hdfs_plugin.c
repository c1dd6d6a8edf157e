/* plugins/hdfs/hdfs.so through the loader over the in-memory backend: the default spec, the
 * rendered Hadoop configuration handed to the tasks, the ZooKeeper root of the name pods, refusal
 * of bad counts and options, the generated deploy/update plans, the recovery override, the
 * anti-affinity placement rule, the endpoints and the journal VERSION routes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plugin_env.h"
#include "core/plugin/loader.h"
#include "core/plugin/memory_backend.h"
#include "core/plugin/plugin.h"
#include "core/spec/mustache.h"

#define HDFS_SO "plugins/hdfs/hdfs.so"

typedef plugin_env henv;

static bool h_open(henv *h, const sdk_kv *over, size_t n_over) {
    int rc = plugin_env_open(h, HDFS_SO, NULL, 0, over, n_over);
    CHECK(rc >= 0);
    return rc == 0;
}

static void h_close(henv *h) { plugin_env_close(h); }

static sdk_spec *h_spec(henv *h) {
    sdk_spec *s = plugin_env_spec(h);
    CHECK(s != NULL);
    return s;
}

static const char *env_of(const sdk_spec *s, const char *pod, const char *task, const char *k) {
    return plugin_env_task_env(sdk_pod_task(sdk_spec_pod(s, pod), task), k);
}

static const char *last_err(const henv *h) { return h->e.n ? h->e.msgs[h->e.n - 1] : ""; }

static void test_spec_and_task_env(void) {
    sdk_kv over[] = {{"FRAMEWORK_NAME", "team/hdfs"}, {"ZOOKEEPER", "zk-a:2181,zk-b:2181"},
                     {"JOURNAL_RPC_PORT", "18485"}, {"DATA_COUNT", "4"}};
    henv h;
    if (!h_open(&h, over, 4)) goto out;
    sdk_spec *s = h_spec(&h);
    if (!s) goto out;
    CHECK_INT(sdk_spec_pod(s, "journal")->count, 3);
    CHECK_INT(sdk_spec_pod(s, "name")->count, 2);
    CHECK_INT(sdk_spec_pod(s, "data")->count, 4);
    const sdk_task_spec *zkfc = sdk_pod_task(sdk_spec_pod(s, "name"), "zkfc");
    CHECK(zkfc && !zkfc->essential);
    CHECK_INT(sdk_pod_task(sdk_spec_pod(s, "name"), "bootstrap")->goal, SDK_GOAL_FINISH);
    CHECK_INT(sdk_pod_task(sdk_spec_pod(s, "name"), "format")->goal, SDK_GOAL_ONCE);
    CHECK_CONTAINS(sdk_pod_task(sdk_spec_pod(s, "name"), "format")->cmd, "\"$HDFS_HOME/bin/hdfs\" namenode -format");
    CHECK_CONTAINS(sdk_pod_task(sdk_spec_pod(s, "name"), "bootstrap")->cmd, "namenode -bootstrapStandby -skipSharedEditsCheck");
    CHECK_CONTAINS(zkfc->cmd, "exec \"$HDFS_HOME/bin/hdfs\" zkfc\n");
    CHECK(env_of(s, "name", "node", "HDFS_SITE_XML") == NULL);
    CHECK_INT(sdk_plugin_mutate_spec(h.in, &s, &h.e), 0);
    /* the ZooKeeper root of the failover controllers, on the name pods only */
    CHECK_STR(env_of(s, "name", "zkfc", "SERVICE_ZK_ROOT"), "/dcos-service-team__hdfs");
    CHECK_STR(env_of(s, "name", "zkfc-format", "ZK_QUORUM"), "zk-a:2181,zk-b:2181");
    CHECK(env_of(s, "journal", "node", "SERVICE_ZK_ROOT") == NULL);
    CHECK(env_of(s, "data", "node", "SERVICE_ZK_ROOT") == NULL);
    CHECK_STR(env_of(s, "data", "node", "HDFS_HOME"), "hadoop-2.10.2");
    const char *site = env_of(s, "data", "node", "HDFS_SITE_XML");
    CHECK_CONTAINS(site, "<value>qjournal://journal-0-node.teamhdfs.autoip.dcos.thisdcos.directory:18485;"
                         "journal-1-node.teamhdfs.autoip.dcos.thisdcos.directory:18485;"
                         "journal-2-node.teamhdfs.autoip.dcos.thisdcos.directory:18485/hdfs</value>");
    CHECK_CONTAINS(site, "<name>dfs.namenode.rpc-address.hdfs.name-1-node</name><value>name-1-node.teamhdfs.autoip.dcos.thisdcos.directory:9001</value>");
    CHECK_CONTAINS(site, "<name>dfs.datanode.data.dir</name><value>sandboxpath/data-data</value>");
    CHECK_STR(env_of(s, "journal", "node", "HDFS_SITE_XML"), site); /* one file for every pod */
    const char *core = env_of(s, "name", "node", "CORE_SITE_XML");
    CHECK_CONTAINS(core, "<name>ha.zookeeper.quorum</name><value>zk-a:2181,zk-b:2181</value>");
    CHECK_CONTAINS(core, "<name>ha.zookeeper.parent-znode</name><value>/dcos-service-team__hdfs/hadoop-ha</value>");
    /* the endpoints serve the same text */
    sdk_plugin_endpoint *eps = NULL;
    size_t n = 0;
    CHECK_INT(sdk_plugin_endpoints_new(h.in, &eps, &n, &h.e), 0);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(eps[0].name, "hdfs-site.xml");
        CHECK_STR(eps[0].content_type, "text/plain");
        CHECK_STR(eps[0].body, site);
        CHECK_STR(eps[1].name, "core-site.xml");
        CHECK_STR(eps[1].body, core);
    }
    sdk_plugin_endpoints_free(eps, n);
    sdk_spec_free(s);
out:
    h_close(&h);
}

/* The task prelude writes the two files with the sandbox path in place of "sandboxpath". */
static void test_prelude_writes_config(void) {
    henv h;
    if (!h_open(&h, NULL, 0)) goto out;
    sdk_spec *s = h_spec(&h);
    if (!s || sdk_plugin_mutate_spec(h.in, &s, &h.e)) goto out_spec;
    char dir[] = "/tmp/sdk-hdfs-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    /* a fake launcher that prints the argv it got */
    char *line = NULL;
    char path[600];
    snprintf(path, sizeof path, "%s/home/bin", dir);
    char mk[3000];
    snprintf(mk, sizeof mk, "mkdir -p %s && printf '#!/bin/sh\\necho \"hdfs $*\" > %s/argv\\n' > %s/hdfs && chmod +x %s/hdfs",
             path, dir, path, path);
    CHECK_INT(system(mk), 0);
    FILE *f = NULL;
    snprintf(path, sizeof path, "%s/cmd.sh", dir);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(sdk_pod_task(sdk_spec_pod(s, "name"), "format")->cmd, f);
        fclose(f);
    }
    const char *site = env_of(s, "name", "format", "HDFS_SITE_XML");
    const char *core = env_of(s, "name", "format", "CORE_SITE_XML");
    setenv("HDFS_SITE_XML", site ? site : "", 1);
    setenv("CORE_SITE_XML", core ? core : "", 1);
    char run[1200];
    snprintf(run, sizeof run, "cd %s && MESOS_SANDBOX=%s HDFS_HOME=%s/home sh cmd.sh", dir, dir, dir);
    CHECK_INT(system(run), 0);
    unsetenv("HDFS_SITE_XML");
    unsetenv("CORE_SITE_XML");
    snprintf(path, sizeof path, "%s/argv", dir);
    sdk_read_file_new(path, &line, NULL);
    CHECK_STR(line, "hdfs namenode -format -nonInteractive\n");
    free(line);
    line = NULL;
    snprintf(path, sizeof path, "%s/hadoop-conf/hdfs-site.xml", dir);
    sdk_read_file_new(path, &line, NULL);
    char want[300];
    snprintf(want, sizeof want, "<value>%s/name-data</value>", dir);
    CHECK_CONTAINS(line, want);
    CHECK(line && !strstr(line, "sandboxpath"));
    free(line);
    snprintf(run, sizeof run, "rm -rf %s", dir);
    CHECK_INT(system(run), 0);
out_spec:
    sdk_spec_free(s);
out:
    h_close(&h);
}

static void test_bad_counts_and_options(void) {
    henv h;
    if (!h_open(&h, NULL, 0)) goto out;
    sdk_spec *old = h_spec(&h), *cand = h_spec(&h);
    if (!old || !cand) goto out_specs;
    CHECK_INT(sdk_plugin_validate_config(h.in, NULL, cand, &h.e), 0);
    ((sdk_pod_spec *)sdk_spec_pod(cand, "journal"))->count = 2;
    CHECK_INT(sdk_plugin_validate_config(h.in, NULL, cand, &h.e), SDK_EINVAL);
    CHECK_STR(last_err(&h), "plugin 'hdfs': pods.journal.count: 2: HDFS needs at least 3 journal nodes "
                            "for a quorum of its edit log (set JOURNAL_COUNT >= 3)");
    ((sdk_pod_spec *)sdk_spec_pod(cand, "journal"))->count = 5;
    CHECK_INT(sdk_plugin_validate_config(h.in, NULL, cand, &h.e), 0); /* fine on a first install */
    CHECK_INT(sdk_plugin_validate_config(h.in, old, cand, &h.e), SDK_EINVAL);
    CHECK_CONTAINS(last_err(&h), "pods.journal.count: 3 => 5: the journal quorum is fixed");
    ((sdk_pod_spec *)sdk_spec_pod(cand, "journal"))->count = 3;
    ((sdk_pod_spec *)sdk_spec_pod(cand, "name"))->count = 1;
    CHECK_INT(sdk_plugin_validate_config(h.in, old, cand, &h.e), SDK_EINVAL);
    CHECK_CONTAINS(last_err(&h), "pods.name.count: 1: HDFS high availability runs exactly 2 name nodes");
    ((sdk_pod_spec *)sdk_spec_pod(cand, "name"))->count = 2;
    ((sdk_pod_spec *)sdk_spec_pod(cand, "data"))->count = 0;
    CHECK_INT(sdk_plugin_validate_config(h.in, old, cand, &h.e), SDK_EINVAL);
    CHECK_CONTAINS(last_err(&h), "pods.data.count: 0: HDFS needs at least one data node (set DATA_COUNT >= 1)");
out_specs:
    sdk_spec_free(old);
    sdk_spec_free(cand);
out:
    h_close(&h);
    /* options checked by mutate_spec: nothing is changed when one is bad */
    sdk_kv bad[] = {{"DFS_REPLICATION", "4"}, {"ZOOKEEPER", "zk:2181/chroot"}};
    if (!h_open(&h, bad, 2)) { h_close(&h); return; }
    sdk_spec *s = h_spec(&h);
    if (s) {
        CHECK_INT(sdk_plugin_mutate_spec(h.in, &s, &h.e), SDK_EINVAL);
        CHECK(sdk_errors_contains(&h.e, "DFS_REPLICATION 4 is more than DATA_COUNT 3"));
        CHECK(sdk_errors_contains(&h.e, "ZOOKEEPER 'zk:2181/chroot': expected a connect string"));
        CHECK(env_of(s, "name", "node", "HDFS_SITE_XML") == NULL);
    }
    sdk_spec_free(s);
    h_close(&h);
}

static void test_plans(void) {
    henv h;
    if (!h_open(&h, NULL, 0)) goto out;
    sdk_spec *s = h_spec(&h);
    if (!s) goto out;
    CHECK_INT(sdk_plugin_generate_plans(h.in, s, &h.e), 0);
    const sdk_plan_spec *d = sdk_spec_plan(s, "deploy"), *u = sdk_spec_plan(s, "update");
    CHECK(d && u);
    if (d && d->n_phases == 4) {
        CHECK_STR(d->phases[0].name, "journal");
        CHECK_STR(d->phases[1].name, "name");
        CHECK_STR(d->phases[2].name, "zkfc");
        CHECK_STR(d->phases[2].pod, "name");
        CHECK_STR(d->phases[3].name, "data");
        const sdk_phase_spec *nm = &d->phases[1];
        CHECK_INT(nm->n_entries, 2);
        if (nm->n_entries == 2) {
            CHECK_INT(nm->entries[0].index, 0);
            CHECK_INT(nm->entries[0].n_steps, 2);
            CHECK_STR(nm->entries[0].steps[0][0], "format");
            CHECK_STR(nm->entries[0].steps[1][0], "node");
            CHECK_INT(nm->entries[1].index, 1);
            CHECK_STR(nm->entries[1].steps[0][0], "bootstrap");
            CHECK_STR(nm->entries[1].steps[1][0], "node");
        }
    } else {
        CHECK_MSG(0, "deploy plan shape");
    }
    if (u && u->n_phases == 3 && u->phases[1].n_entries == 1) {
        CHECK_STR(u->phases[1].entries[0].steps[0][0], "node");
        CHECK_STR(u->phases[1].entries[0].steps[0][1], "zkfc"); /* restarted together */
        CHECK(u->phases[1].entries[0].steps[0][2] == NULL);
    } else {
        CHECK_MSG(0, "update plan shape");
    }
    sdk_spec_free(s);
out:
    h_close(&h);
}

static void test_recovery_override(void) {
    henv h;
    if (!h_open(&h, NULL, 0)) goto out;
    sdk_spec *s = h_spec(&h);
    if (!s) goto out;
    sdk_recovery_phase_spec *ph = NULL;
    CHECK_INT(sdk_plugin_recovery_override(h.in, s, "name", 0, SDK_PLUGIN_RECOVERY_PERMANENT, &ph, &h.e), 0);
    CHECK(ph != NULL);
    if (ph) {
        CHECK_STR(ph->name, "permanent-name-failure-recovery");
        CHECK_INT(ph->n_steps, 2);
        if (ph->n_steps == 2) {
            CHECK_STR(ph->steps[0].tasks[0], "bootstrap");
            CHECK_INT(ph->steps[0].type, SDK_PLUGIN_RECOVERY_PERMANENT);
            CHECK_STR(ph->steps[1].tasks[0], "node");
            CHECK_INT(ph->steps[1].type, SDK_PLUGIN_RECOVERY_TRANSIENT);
            CHECK(ph->steps[0].n_overrides == 1 && ph->steps[0].overrides[0].n_env == 1);
            if (ph->steps[0].n_overrides == 1 && ph->steps[0].overrides[0].n_env == 1)
                CHECK_STR(ph->steps[0].overrides[0].env[0].value, "name-1-node.hdfs.autoip.dcos.thisdcos.directory");
        }
    }
    sdk_recovery_phase_spec_free(ph);
    ph = NULL;
    CHECK_INT(sdk_plugin_recovery_override(h.in, s, "journal", 2, SDK_PLUGIN_RECOVERY_PERMANENT, &ph, &h.e), 0);
    CHECK(ph && !strcmp(ph->name, "permanent-journal-failure-recovery") && ph->n_steps == 1);
    sdk_recovery_phase_spec_free(ph);
    ph = NULL;
    /* transient failures and data nodes: the default recovery */
    CHECK_INT(sdk_plugin_recovery_override(h.in, s, "name", 0, SDK_PLUGIN_RECOVERY_TRANSIENT, &ph, &h.e), 0);
    CHECK(ph == NULL);
    CHECK_INT(sdk_plugin_recovery_override(h.in, s, "data", 0, SDK_PLUGIN_RECOVERY_PERMANENT, &ph, &h.e), 0);
    CHECK(ph == NULL);
    sdk_spec_free(s);
out:
    h_close(&h);
}

static void test_placement_anti_affinity(void) {
    henv h;
    if (!h_open(&h, NULL, 0)) goto out;
    sdk_memory_backend_set_task(h.m, "journal", 0, "journal-0-node", "TASK_RUNNING", NULL, "a1");
    sdk_memory_backend_set_task(h.m, "data", 0, "data-0-node", "TASK_RUNNING", NULL, "a2");
    const char *a1[] = {"journal-0-node"}, *a2[] = {"data-0-node"}, *never[] = {"name-1-format"};
    bool pass = true;
    char *why = NULL;
    CHECK_INT(sdk_plugin_placement(h.in, "name", 0, "a1", NULL, 0, a1, 1, &pass, &why), 0);
    CHECK(!pass);
    CHECK_CONTAINS(why, "name pods avoid agents running journal tasks: a1 already has journal-0-node");
    free(why);
    why = NULL;
    CHECK_INT(sdk_plugin_placement(h.in, "journal", 0, "a1", NULL, 0, a1, 1, &pass, &why), 0);
    CHECK(pass); /* its own earlier incarnation */
    CHECK_INT(sdk_plugin_placement(h.in, "journal", 1, "a2", NULL, 0, a2, 1, &pass, &why), 0);
    CHECK(pass);
    CHECK_INT(sdk_plugin_placement(h.in, "data", 1, "a2", NULL, 0, a2, 1, &pass, &why), 0);
    CHECK(!pass);
    free(why);
    why = NULL;
    CHECK_INT(sdk_plugin_placement(h.in, "journal", 1, "a3", NULL, 0, never, 1, &pass, &why), 0);
    CHECK(pass); /* a stored task that never launched */
    h_close(&h);
    sdk_kv off[] = {{"POD_ANTI_AFFINITY", "false"}};
    if (!h_open(&h, off, 1)) goto out;
    CHECK_INT(sdk_plugin_placement(h.in, "name", 0, "a1", NULL, 0, a1, 1, &pass, &why), 0);
    CHECK(pass);
out:
    h_close(&h);
}

static sdk_plugin_response *call(henv *h, const char *method, const char *body) {
    sdk_plugin_http_request req = {.method = method, .path = "/v1/hdfs/journal-version", .body = body,
                                   .body_len = body ? strlen(body) : 0};
    sdk_plugin_response *r = sdk_plugin_response_new(NULL, NULL);
    bool pending = true;
    CHECK_INT(sdk_plugin_dispatch(h->in, &req, r, &pending), 0);
    CHECK(!pending);
    return r;
}

static void test_journal_version_routes(void) {
    henv h;
    if (!h_open(&h, NULL, 0)) goto out;
    sdk_plugin_response *r = call(&h, "GET", NULL);
    CHECK_INT(r->status, 404);
    sdk_plugin_response_free(r);
    r = call(&h, "PUT", "");
    CHECK_INT(r->status, 400);
    sdk_plugin_response_free(r);
    r = call(&h, "PUT", "hello");
    CHECK_INT(r->status, 400);
    CHECK_CONTAINS(r->body.data, "needs namespaceID= and clusterID=");
    sdk_plugin_response_free(r);
    r = call(&h, "GET", NULL);
    CHECK_INT(r->status, 404); /* refused bodies stored nothing */
    sdk_plugin_response_free(r);
    const char *v = "#Thu\nnamespaceID=1\nclusterID=CID-1\nlayoutVersion=-63\n";
    r = call(&h, "PUT", v);
    CHECK_INT(r->status, 200);
    sdk_plugin_response_free(r);
    r = call(&h, "GET", NULL);
    CHECK_INT(r->status, 200);
    CHECK_STR(r->content_type, "text/plain");
    CHECK_STR(r->body.data, v);
    sdk_plugin_response_free(r);
out:
    h_close(&h);
}

int main(void) {
    RUN(test_spec_and_task_env);
    RUN(test_prelude_writes_config);
    RUN(test_bad_counts_and_options);
    RUN(test_plans);
    RUN(test_recovery_override);
    RUN(test_placement_anti_affinity);
    RUN(test_journal_version_routes);
    return check_summary("test_hdfs_plugin");
}
