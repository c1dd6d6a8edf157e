/* Crash-only recovery with the state in a real ZooKeeper (tests/unit/zk_server.h) and the local
 * cluster: the scheduler is killed (-9) at each point of the offer -> record -> accept -> status
 * path (before-record, after-record, after-accept, after-status) and in the middle of a
 * configuration update (SDK_CRASH_AT, core/util/crashpoint.h), then started again like a
 * supervisor would. Each time: same framework id, the plan resumes and completes, no
 * reservation leaked or duplicated, no volume lost, no running task restarted. Also: ZooKeeper
 * itself restarted mid-deploy; a corrupt node refused with its path; an unreachable ZooKeeper. */
#include "check.h"
#include "e2e_support.h"
#include "zk_server.h"
#include "core/util/str.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static zk_server zk;

typedef struct run {
    e2e_world w;
    unsigned mport;
    char master[64];
    char state[128];
    pid_t cluster;
} run;

static void run_init(run *r, const char *name) {
    e2e_world_init(&r->w);
    r->mport = e2e_free_port();
    snprintf(r->master, sizeof r->master, "http://127.0.0.1:%u", r->mport);
    snprintf(r->state, sizeof r->state, "zk://%s/%s", zk.connect, name);
    char ps[16];
    snprintf(ps, sizeof ps, "%u", r->mport);
    char *exe = sdk_asprintf_new("%s/localcluster", e2e_bin_dir());
    char *cdir = sdk_asprintf_new("%s/cluster", r->w.dir);
    char *log = sdk_asprintf_new("%s/cluster.log", r->w.dir);
    char *argv[] = {exe, "--port", ps, "--workdir", cdir, "--agents", "2", NULL};
    r->cluster = e2e_spawn(argv, log);
    free(exe); free(cdir); free(log);
    usleep(400000);
}

/* Starts the scheduler on the ZooKeeper state (crash: SDK_CRASH_AT value or NULL); waits for it
 * to exit when `crash` is set (the crash kills it) and returns its wait status. */
static int start(run *r, const char *crash, const char *const *extra) {
    if (crash) setenv("SDK_CRASH_AT", crash, 1);
    const char *args[12] = {"--state", r->state};
    size_t n = 2;
    for (size_t i = 0; extra && extra[i]; i++) args[n++] = extra[i];
    args[n] = NULL;
    e2e_start_scheduler(&r->w, "plugins/hello/hello.so", r->master, args);
    unsetenv("SDK_CRASH_AT");
    if (!crash) return 0;
    int st = 0;
    double end = e2e_now() + 60;
    while (e2e_now() < end && waitpid(r->w.sched, &st, WNOHANG) != r->w.sched) usleep(100000);
    r->w.sched = 0;
    return st;
}

static char *dump(run *r) {
    char *cmd = sdk_asprintf_new("%s/scheduler --state %s state dump 2>&1", e2e_bin_dir(), r->state);
    char *out = e2e_sh(cmd);
    free(cmd);
    return out;
}

/* Reservation ids on the cluster (with duplicates counted) and volumes. */
static void cluster_counts(run *r, size_t *resv, size_t *dups, size_t *vols) {
    char *url = sdk_asprintf_new("http://127.0.0.1:%u/localcluster/state", r->mport);
    json_t *st = e2e_get_json(url, NULL);
    free(url);
    *resv = *dups = *vols = 0;

    char **ids = NULL;
    size_t n = 0, i, j, k, l;
    json_t *a, *rs, *res, *lab;
    json_array_foreach(json_object_get(st, "agents"), i, a) {
        *vols += json_array_size(json_object_get(a, "volumes"));
        json_array_foreach(json_object_get(a, "reservations"), j, rs) json_array_foreach(json_object_get(rs, "reservations"), k, res)
            json_array_foreach(json_object_get(json_object_get(res, "labels"), "labels"), l, lab) {
                if (strcmp(json_string_value(json_object_get(lab, "key")), "resource_id")) continue;
                const char *id = json_string_value(json_object_get(lab, "value"));
                bool seen = false;
                for (size_t x = 0; x < n && !seen; x++) seen = !strcmp(ids[x], id);
                if (seen) { (*dups)++; continue; }
                ids = sdk_xrealloc(ids, (n + 1) * sizeof *ids);
                ids[n++] = sdk_xstrdup(id);
            }
    }
    *resv = n;
    for (size_t x = 0; x < n; x++) free(ids[x]);
    free(ids);
    json_decref(st);
}

/* Running task ids on the cluster, space-separated (free()). */
static char *running_tasks(run *r) {
    char *url = sdk_asprintf_new("http://127.0.0.1:%u/localcluster/state", r->mport);
    json_t *st = e2e_get_json(url, NULL);
    free(url);
    sdk_buf b;
    sdk_buf_init(&b);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(st, "tasks"), i, t)
        if (!strcmp(json_string_value(json_object_get(t, "state")), "TASK_RUNNING"))
            sdk_buf_printf(&b, "%s ", json_string_value(json_object_get(t, "id")));
    json_decref(st);
    return sdk_buf_take(&b);
}

static void finish(run *r) {
    e2e_stop(r->w.sched, SIGINT);
    r->w.sched = 0;
    e2e_stop(r->cluster, SIGTERM);
    e2e_cleanup(&r->w);
}

/* Kill at `point` (pass n), restart, and check everything. */
static void crash_and_recover(const char *name, const char *point) {
    run r;
    run_init(&r, name);
    int st = start(&r, point, NULL);
    CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s: the scheduler should have been killed at %s (status %d)",
              name, point, st);
    char *before = dump(&r);
    char *fw_before = strstr(before, "\"FrameworkID\"") ? sdk_xstrdup(strstr(before, "\"FrameworkID\"")) : NULL;
    if (fw_before) fw_before[strcspn(fw_before, ",\n")] = 0;
    char *running_before = running_tasks(&r);
    start(&r, NULL, NULL);
    CHECK_MSG(e2e_wait_plan_complete(&r.w, "deploy", 90), "%s: the deploy did not complete after the restart", name);
    char *after = dump(&r);
    CHECK_MSG(fw_before && strstr(after, fw_before), "%s: the framework id changed", name);
    size_t resv, dups, vols;
    cluster_counts(&r, &resv, &dups, &vols);
    CHECK_MSG(dups == 0, "%s: %zu duplicated reservations", name, dups);
    CHECK_MSG(resv == 15 && vols == 3, "%s: expected 15 reservations and 3 volumes, found %zu and %zu", name, resv, vols);
    char *running_after = running_tasks(&r);
    /* every task that ran before the restart still runs (same id) */
    char *copy = sdk_xstrdup(running_before), *save = NULL;
    for (char *id = strtok_r(copy, " ", &save); id; id = strtok_r(NULL, " ", &save))
        CHECK_MSG(strstr(running_after, id), "%s: task %s was restarted", name, id);
    free(copy);
    free(before); free(after); free(fw_before); free(running_before); free(running_after);
    finish(&r);
}

static void test_crash_before_record(void) { crash_and_recover("crash-before-record", "before-record:2"); }
static void test_crash_after_record(void) { crash_and_recover("crash-record", "after-record:2"); }
/* A status stored but not acknowledged: the agent sends it again, nothing is relaunched. */
static void test_crash_after_status(void) { crash_and_recover("crash-status", "after-status:3"); }
static void test_crash_after_accept(void) { crash_and_recover("crash-accept", "after-accept:3"); }

/* A supervisor's SIGTERM (sent to the process, so any thread may take it) stops the scheduler
 * cleanly: exit 0 and the ZooKeeper session closed, so a new scheduler gets the lock at once
 * instead of waiting for the old session to expire. */
static void test_sigterm_releases_lock(void) {
    run r;
    run_init(&r, "sigterm-lock");
    start(&r, NULL, NULL);
    CHECK_MSG(e2e_wait_plan_complete(&r.w, "deploy", 60), "the deploy did not complete");
    kill(r.w.sched, SIGTERM);
    int st = -1;
    double end = e2e_now() + 20;
    while (e2e_now() < end && waitpid(r.w.sched, &st, WNOHANG) != r.w.sched) usleep(50000);
    r.w.sched = 0;
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTERM should stop the scheduler cleanly (wait status %d)", st);
    double t0 = e2e_now();
    start(&r, NULL, NULL);
    CHECK_MSG(e2e_wait_plan_complete(&r.w, "deploy", 30), "the restarted scheduler did not come back");
    char *log = sdk_asprintf_new("%s/scheduler.log", r.w.dir);
    char *cmd = sdk_asprintf_new("grep -c 'waiting up to' %s", log);
    char *waits = e2e_sh(cmd);
    CHECK_MSG(waits && atoi(waits) == 0, "the restarted scheduler waited for the lock (%.1f s to come back)",
              e2e_now() - t0);
    free(waits); free(cmd); free(log);
    finish(&r);
}

static void test_crash_mid_config_update(void) {
    run r;
    run_init(&r, "crash-update");
    start(&r, NULL, NULL);
    CHECK(e2e_wait_plan_complete(&r.w, "deploy", 90));
    e2e_stop(r.w.sched, SIGINT);
    r.w.sched = 0;
    /* the update (a live one) is killed right after its target is stored */
    setenv("SDK_CRASH_AT", "after-target:1", 1);
    e2e_start_scheduler(&r.w, "plugins/hello/hello.so", r.master, (const char *const[]){"--state", r.state, NULL});
    unsetenv("SDK_CRASH_AT");
    CHECK(e2e_wait_plan_complete(&r.w, "deploy", 60));
    char *url = sdk_asprintf_new("%s/v1/update", r.w.api_url);
    e2e_http("POST", url, "{\"WORLD_CPUS\": \"0.2\"}", NULL);
    free(url);
    int st = 0;
    double end = e2e_now() + 30;
    while (e2e_now() < end && waitpid(r.w.sched, &st, WNOHANG) != r.w.sched) usleep(100000);
    r.w.sched = 0;
    CHECK_MSG(WIFSIGNALED(st), "the scheduler should have been killed mid-update");
    start(&r, NULL, NULL);
    CHECK(e2e_wait_plan_complete(&r.w, "deploy", 90));
    /* the update was carried through: world tasks run with the new cpus */
    char *iurl = sdk_asprintf_new("%s/v1/pod/world-0/info", r.w.api_url);
    char *info = NULL;
    e2e_http("GET", iurl, NULL, &info);
    CHECK_MSG(info && strstr(info, "0.2"), "world-0 does not run the updated configuration");
    free(info);
    free(iurl);
    size_t resv, dups, vols;
    cluster_counts(&r, &resv, &dups, &vols);
    CHECK_INT(dups, 0);
    CHECK_INT(vols, 3);
    finish(&r);
}

/* ZooKeeper restarted mid-deploy: the scheduler stops (session lost, by design), its
 * supervisor (this test) starts it again, and the deploy finishes. */
static void test_zookeeper_restart_mid_deploy(void) {
    run r;
    run_init(&r, "zk-restart");
    start(&r, NULL, NULL);
    double end = e2e_now() + 60;
    char *s = NULL;
    while (e2e_now() < end) {
        free(s);
        s = e2e_step_status(&r.w, "deploy", "hello-0:[server]");
        if (s && !strcmp(s, "COMPLETE")) break;
        usleep(100000);
    }
    free(s);
    CHECK(zk_server_restart(&zk));
    /* Either the session survived the restart (ZooKeeper keeps sessions on disk) and the
     * scheduler carries on, or it lost the session and stopped non-zero at once, for its
     * supervisor (this test) to start it again: never anything else. */
    int st = 0;
    double end2 = e2e_now() + 15;
    bool exited = false;
    while (e2e_now() < end2 && !(exited = waitpid(r.w.sched, &st, WNOHANG) == r.w.sched)) usleep(100000);
    if (exited) {
        r.w.sched = 0;
        CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) != 0, "a scheduler that lost its session must exit non-zero (%d)", st);
        fprintf(stderr, "  zookeeper restart: the scheduler stopped (status %d) and is started again\n", WEXITSTATUS(st));
    } else {
        fprintf(stderr, "  zookeeper restart: the session survived; the scheduler carries on\n");
    }
    if (exited) start(&r, NULL, NULL);
    CHECK(e2e_wait_plan_complete(&r.w, "deploy", 90));
    size_t resv, dups, vols;
    cluster_counts(&r, &resv, &dups, &vols);
    CHECK_INT(dups, 0);
    CHECK_INT(resv, 15);
    finish(&r);
}

/* A corrupt node is reported with its path and the scheduler refuses to start (nothing sent). */
static void test_corrupt_node_refused(void) {
    run r;
    run_init(&r, "corrupt");
    start(&r, NULL, NULL);
    CHECK(e2e_wait_plan_complete(&r.w, "deploy", 90));
    e2e_stop(r.w.sched, SIGINT);
    r.w.sched = 0;
    char *d = dump(&r);
    /* replace the hello-0-server TaskInfo by garbage through dump/restore into a fresh root */
    char *p1 = strstr(d, "\"Tasks/hello-0-server/TaskInfo\"");
    CHECK(p1 != NULL);
    char *state2 = sdk_asprintf_new("zk://%s/corrupt-copy", zk.connect);
    if (p1) {
        /* the value is {"base64": "..."}: put the bytes "not a protobuf" in its place */
        char *key = strstr(p1, "\"base64\"");
        char *q1 = key ? strchr(key + 8, '"') : NULL, *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
        CHECK(q2 != NULL);
        if (!q2) {
            free(state2);
            free(d);
            finish(&r);
            return;
        }
        sdk_buf b;
        sdk_buf_init(&b);
        sdk_buf_append(&b, d, (size_t)(q1 + 1 - d));
        sdk_buf_puts(&b, "bm90IGEgcHJvdG9idWY="); /* base64 of "not a protobuf" */
        sdk_buf_puts(&b, q2);
        char *file = sdk_asprintf_new("%s/corrupt.json", r.w.dir);
        FILE *f = fopen(file, "w");
        fputs(b.data, f);
        fclose(f);
        char *cmd = sdk_asprintf_new("%s/scheduler --state %s state restore %s 2>&1", e2e_bin_dir(), state2, file);
        char *out = e2e_sh(cmd);
        CHECK_MSG(out && strstr(out, "restored"), "state restore: %s", out ? out : "(null)");
        free(out);
        free(cmd);
        snprintf(r.state, sizeof r.state, "%s", state2);
        char *cmd2 = sdk_asprintf_new("timeout 60 %s/scheduler --plugin plugins/hello/hello.so --state %s --master %s "
                                      "--workdir %s/w2 --api 127.0.0.1:0 2>&1", e2e_bin_dir(), r.state, r.master, r.w.dir);
        out = e2e_sh(cmd2);
        CHECK_CONTAINS(out, "Tasks/hello-0-server/TaskInfo");
        CHECK_CONTAINS(out, "not a valid mesos.v1.TaskInfo");
        free(out);
        free(cmd2);
        free(file);
        sdk_buf_free(&b);
    }
    free(state2);
    free(d);
    finish(&r);
}

static void test_unreachable_zookeeper(void) {
    char *cmd = sdk_asprintf_new("cd /tmp && timeout 60 %s/%s/scheduler --plugin %s/plugins/hello/hello.so "
                                 "--state zk://127.0.0.1:1/nowhere --master http://127.0.0.1:1 --api 127.0.0.1:0 2>&1; echo rc=$?",
                                 getenv("PWD"), e2e_bin_dir(), getenv("PWD"));
    char *out = e2e_sh(cmd);
    CHECK_CONTAINS(out, "ZooKeeper");
    CHECK_MSG(!strstr(out, "rc=0"), "the scheduler should exit non-zero: %s", out);
    free(out);
    free(cmd);
}

int main(void) {
    if (!zk_server_start(&zk)) {
        fprintf(stderr, "test_e2e_crash_zk: ZooKeeper did not start (see the message above)\n");
        return check_summary("test_e2e_crash_zk") | 1;
    }
    RUN(test_crash_before_record);
    RUN(test_crash_after_record);
    RUN(test_crash_after_accept);
    RUN(test_crash_after_status);
    RUN(test_crash_mid_config_update);
    RUN(test_sigterm_releases_lock);
    RUN(test_zookeeper_restart_mid_deploy);
    RUN(test_corrupt_node_refused);
    RUN(test_unreachable_zookeeper);
    zk_server_destroy(&zk);
    return check_summary("test_e2e_crash_zk");
}
