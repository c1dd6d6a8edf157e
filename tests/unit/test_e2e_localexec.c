/* End to end: a spec using env, rlimits (RLIMIT_NOFILE), a secret (as an env key and a file), a
 * host volume, URIs, an image, a virtual network, resource limits, seccomp, pid/ipc/shm settings
 * deploys on the local cluster, and its task sees its env, its `ulimit -n`, its secret, its host
 * volume and its fetched URI (issue #13's "done when").
 *
 * Two paths:
 *  - scheduler: bin/scheduler --spec svc.yml --secrets-dir DIR --ignore-images --ignore-networks
 *    on the local cluster it starts (core/mapping/ turns the keys into TaskInfo fields);
 *  - TaskInfo: the TaskInfo that mapping sends (dcos-commons' shape: SECRET env variable,
 *    SECRET volume, RLimitInfo, HOST_PATH volume), built here and sent to bin/localcluster. */
#include "tests/unit/check.h"
#include "tests/unit/e2e_support.h"
#include "tests/unit/lc_harness.h"

#define EXPECTED "hello|pw123|1234|pw123|from-host\n"
#define SCHED_EXPECTED "hello|pw123|1234|pw123|from-host|fetched\n"
/* mkdir -p: without a host volume (a scheduler without the mapping) the output stays in the sandbox */
#define TASK_CMD                                                                                                     \
    "mkdir -p hostdata && echo \"$GREETING|$APP_PASSWORD|$(ulimit -n)|$(cat conf/password)|$(cat hostdata/in.txt)\" > hostdata/out.tmp && " \
    "mv hostdata/out.tmp hostdata/out.txt && sleep 1000"
/* the scheduler path's spec also fetches a URI into the sandbox */
#define SCHED_CMD                                                                                                    \
    "echo \"$GREETING|$APP_PASSWORD|$(ulimit -n)|$(cat conf/password)|$(cat hostdata/in.txt)|$(cat fetched.txt)\" > hostdata/out.tmp && " \
    "mv hostdata/out.tmp hostdata/out.txt && sleep 1000"

static char *wait_file(const char *path, double timeout_s) {
    double end = e2e_now() + timeout_s;
    char *text = NULL;
    size_t len;
    while (sdk_read_file_new(path, &text, &len) != 0 && e2e_now() < end) usleep(100000);
    return text;
}

static void prepare(const char *dir) {
    char *cmd = sdk_asprintf_new("mkdir -p '%s/secrets/app' '%s/hostdir' && printf pw123 > '%s/secrets/app/password' && "
                                 "echo from-host > '%s/hostdir/in.txt' && echo fetched > '%s/fetched.txt'",
                                 dir, dir, dir, dir, dir);
    CHECK_INT(system(cmd), 0);
    free(cmd);
}

static void test_spec_through_scheduler(void) {
    e2e_world w;
    e2e_world_init(&w);
    prepare(w.dir);
    char *spec = sdk_asprintf_new("%s/svc.yml", w.dir);
    FILE *f = fopen(spec, "w");
    CHECK(f != NULL);
    if (!f) return;
    fprintf(f,
            "name: lx\n"
            "pods:\n"
            "  app:\n"
            "    count: 1\n"
            "    image: debian:12\n"
            "    networks:\n"
            "      dcos: {}\n"
            "    uris:\n"
            "      - file://%s/fetched.txt\n"
            "    share-pid-namespace: false\n"
            "    seccomp-unconfined: true\n"
            "    ipc-mode: PRIVATE\n"
            "    shm-size: 64\n"
            "    rlimits:\n"
            "      RLIMIT_NOFILE:\n"
            "        soft: 1234\n"
            "        hard: 2345\n"
            "    secrets:\n"
            "      pw:\n"
            "        secret: app/password\n"
            "        env-key: APP_PASSWORD\n"
            "        file: conf/password\n"
            "    host-volumes:\n"
            "      data:\n"
            "        host-path: %s/hostdir\n"
            "        container-path: hostdata\n"
            "    tasks:\n"
            "      server:\n"
            "        goal: RUNNING\n"
            "        cmd: '%s'\n"
            "        cpus: 0.1\n"
            "        memory: 32\n"
            "        resource-limits:\n"
            "          cpus: unlimited\n"
            "          memory: 64\n"
            "        env:\n"
            "          GREETING: hello\n",
            w.dir, w.dir, SCHED_CMD);
    fclose(f);
    char *exe = sdk_asprintf_new("%s/scheduler", e2e_bin_dir()), *work = sdk_asprintf_new("%s/sched", w.dir),
         *api = sdk_asprintf_new("127.0.0.1:%u", w.api), *secrets = sdk_asprintf_new("%s/secrets", w.dir),
         *log = sdk_asprintf_new("%s/scheduler.log", w.dir);
    char *argv[] = {exe, "--spec", spec, "--workdir", work, "--api", api, "--agents", "1", "--secrets-dir", secrets,
                    "--ignore-images", "--ignore-networks", NULL};
    w.sched = e2e_spawn(argv, log);
    char *out = sdk_asprintf_new("%s/hostdir/out.txt", w.dir), *text = wait_file(out, 60);
    CHECK_STR(text, SCHED_EXPECTED);
    /* resource-limits reach the agent: the local cluster reports TaskInfo.limits in its state */
    json_t *st = text ? e2e_cluster_state(&w) : NULL;
    json_t *lim = json_object_get(json_array_get(json_object_get(st, "tasks"), 0), "limits");
    CHECK(lim != NULL);
    char *lim_text = lim ? json_dumps(lim, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    CHECK(lim_text && strstr(lim_text, "\"mem\":64") && strstr(lim_text, "\"cpus\""));
    if (lim_text) fprintf(stderr, "  limits in the local cluster's state: %s\n", lim_text);
    free(lim_text);
    json_decref(st);
    if (!text) {
        e2e_show_log(&w, "scheduler.log");
        e2e_show_log(&w, "sched/cluster/localcluster.log");
    }
    free(text);
    free(out);
    e2e_cleanup(&w);
    free(exe);
    free(work);
    free(api);
    free(secrets);
    free(log);
    free(spec);
}

static void test_spec_taskinfo_on_localcluster(void) {
    char dir[128];
    snprintf(dir, sizeof dir, "/tmp/test_e2e_localexec.%d", (int)getpid());
    snprintf(g_workdir, sizeof g_workdir, "%s/cluster", dir);
    prepare(dir);
    char *flags = sdk_asprintf_new("--secrets-dir '%s/secrets'", dir);
    CHECK(cluster_start(flags, NULL));
    free(flags);
    if (!g_pid) return;
    stream *s = subscribe("lx", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 5000) != NULL);
    char *ex = executor_json(s->fw_id, "app-0");
    json_t *js = json_string(TASK_CMD);
    char *cmd_json = json_dumps(js, JSON_ENCODE_ANY);
    json_decref(js);
    /* what the mapping sends for the spec above (dcos-commons' TaskInfo for the same keys) */
    long st = scall(
        s,
        "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],"
        "\"operations\":[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":%s,\"task_group\":{\"tasks\":[{"
        "\"name\":\"app-0-server\",\"task_id\":{\"value\":\"app-0-server\"},\"agent_id\":{\"value\":\"%s\"},"
        "\"resources\":[" UNRES("cpus", 0.1) "," UNRES("mem", 32) "],"
        "\"command\":{\"value\":%s,\"environment\":{\"variables\":[{\"name\":\"GREETING\",\"value\":\"hello\"},"
        "{\"name\":\"APP_PASSWORD\",\"type\":\"SECRET\",\"secret\":{\"type\":\"REFERENCE\",\"reference\":{\"name\":\"app/password\"}}}]}},"
        "\"container\":{\"type\":\"MESOS\","
        "\"rlimit_info\":{\"rlimits\":[{\"type\":\"RLMT_NOFILE\",\"soft\":1234,\"hard\":2345}]},"
        "\"volumes\":[{\"mode\":\"RO\",\"container_path\":\"conf/password\",\"source\":{\"type\":\"SECRET\",\"secret\":"
        "{\"type\":\"REFERENCE\",\"reference\":{\"name\":\"app/password\"}}}},"
        "{\"mode\":\"RW\",\"container_path\":\"hostdata\",\"source\":{\"type\":\"HOST_PATH\",\"host_path\":{\"path\":\"%s/hostdir\"}}}]}"
        "}]}}}],\"filters\":{\"refuse_seconds\":0}}}",
        s->fw_id, oid, ex, aid, cmd_json, dir);
    CHECK_INT(st, 202);
    free(cmd_json);
    free(ex);
    CHECK(ack_until(s, "app-0-server", "TASK_RUNNING", 10000) != NULL);
    char *out = sdk_asprintf_new("%s/hostdir/out.txt", dir);
    char *text = wait_file(out, 10);
    CHECK_STR(text, EXPECTED);
    free(text);
    free(out);
    teardown(s);
    cluster_stop();
    char *rm = sdk_asprintf_new("rm -rf '%s'", dir);
    if (system(rm) != 0) fprintf(stderr, "cannot remove %s\n", dir);
    free(rm);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(test_spec_taskinfo_on_localcluster);
    RUN(test_spec_through_scheduler);
    curl_global_cleanup();
    return check_summary("test_e2e_localexec");
}
