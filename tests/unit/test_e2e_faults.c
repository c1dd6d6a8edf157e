/* The fault suite's end-to-end tests (issue #14): a real scheduler on the local cluster, with the
 * fault caused for real. Each ends with nothing lost: no task lost or duplicated, no
 * reservation or volume lost, the state readable (`scheduler state dump`).
 *   - disk full under the file state (a small tmpfs filled up): /v1/health 500 with the reason,
 *     a killed task is relaunched once space comes back; kept full, exit 5; restarted, it resumes.
 *   - ZooKeeper (the state) frozen with SIGSTOP for less than the session timeout while a task
 *     dies: the scheduler stays up, keeps its lock and relaunches the task; frozen longer: the
 *     session is given up, exit 4; restarted, it resumes.
 * The other faults of the suite and where they are tested: docs/faults.md. */
#include "check.h"
#include "e2e_support.h"
#include "fault_support.h"
#include "zk_server.h"
#include "core/util/str.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct run {
    e2e_world w;
    unsigned mport;
    char master[64];
    char state[160];
    pid_t cluster;
} run;

/* A local cluster of two agents that resends unacknowledged status updates after 1 s (Mesos: 10). */
static void run_init(run *r) {
    e2e_world_init(&r->w);
    r->mport = e2e_free_port();
    snprintf(r->master, sizeof r->master, "http://127.0.0.1:%u", r->mport);
    char ps[16];
    snprintf(ps, sizeof ps, "%u", r->mport);
    char *exe = sdk_asprintf_new("%s/localcluster", e2e_bin_dir());
    char *cdir = sdk_asprintf_new("%s/cluster", r->w.dir);
    char *log = sdk_asprintf_new("%s/cluster.log", r->w.dir);
    char *argv[] = {exe, "--port", ps, "--workdir", cdir, "--agents", "2", "--status-retry-seconds", "1", NULL};
    r->cluster = e2e_spawn(argv, log);
    free(exe); free(cdir); free(log);
    usleep(400000);
}

static void run_finish(run *r) {
    e2e_stop(r->w.sched, SIGINT);
    r->w.sched = 0;
    e2e_stop(r->cluster, SIGTERM);
    e2e_cleanup(&r->w);
}

static void start(run *r, const char *const *extra) {
    const char *args[16] = {"--state", r->state};
    size_t n = 2;
    for (size_t i = 0; extra && extra[i] && n < 15; i++) args[n++] = extra[i];
    args[n] = NULL;
    e2e_start_scheduler(&r->w, "plugins/hello/hello.so", r->master, args);
}

/* Waits for the scheduler to exit; its wait status, or -1 when it still runs after timeout_s. */
static int wait_exit(run *r, double timeout_s) {
    int st = 0;
    double end = e2e_now() + timeout_s;
    while (e2e_now() < end) {
        if (waitpid(r->w.sched, &st, WNOHANG) == r->w.sched) {
            r->w.sched = 0;
            return st;
        }
        usleep(100000);
    }
    return -1;
}

static long health(run *r, char **body) {
    char *url = sdk_asprintf_new("%s/v1/health", r->w.api_url);
    long code = e2e_http("GET", url, NULL, body);
    free(url);
    return code;
}

/* The cluster's reservations (by resource_id, duplicates counted apart), volumes, running tasks. */
static void cluster_counts(run *r, size_t *resv, size_t *dups, size_t *vols, size_t *running) {
    char *url = sdk_asprintf_new("http://127.0.0.1:%u/localcluster/state", r->mport);
    json_t *st = e2e_get_json(url, NULL);
    free(url);
    *resv = *dups = *vols = *running = 0;
    char **ids = NULL;
    size_t n = 0, i, j, k, l;
    json_t *a, *rs, *res, *lab, *t;
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
    json_array_foreach(json_object_get(st, "tasks"), i, t)
        if (!strcmp(json_string_value(json_object_get(t, "state")), "TASK_RUNNING")) (*running)++;
    *resv = n;
    for (size_t x = 0; x < n; x++) free(ids[x]);
    free(ids);
    json_decref(st);
}

static bool kill_task(run *r, const char *task_id) {
    char *sig = sdk_asprintf_new("http://127.0.0.1:%u/localcluster/tasks/%s/signal?signal=KILL", r->mport, task_id);
    long code = e2e_http("POST", sig, NULL, NULL);
    free(sig);
    return code == 200;
}

/* Until world-0-server runs under a task id other than `old` and the deploy and recovery plans
 * are complete. */
static bool wait_relaunched(run *r, const char *old, double timeout_s) {
    double end = e2e_now() + timeout_s;
    char *url = sdk_asprintf_new("%s/v1/plans/recovery", r->w.api_url);
    bool ok = false;
    while (!ok && e2e_now() < end) {
        char *id = e2e_task_id(&r->w, "world-0", "world-0-server");
        char *ss = e2e_step_status(&r->w, "deploy", "world-0:[server]");
        long rc = e2e_http("GET", url, NULL, NULL);
        ok = id && strcmp(id, old) && ss && !strcmp(ss, "COMPLETE") && (rc == 200 || rc == 404);
        free(id);
        free(ss);
        if (!ok) usleep(200000);
    }
    free(url);
    return ok;
}

/* The state is readable by a fresh process (and names the framework). */
static void check_state_readable(run *r, const char *fwid) {
    char *cmd = sdk_asprintf_new("%s/scheduler --state %s state dump 2>&1", e2e_bin_dir(), r->state);
    char *out = e2e_sh(cmd);
    CHECK_CONTAINS(out, "\"FrameworkID\"");
    if (fwid) CHECK_CONTAINS(out, fwid);
    free(out);
    free(cmd);
}

static void test_disk_full(void) {
    char mnt[64];
    if (!fault_tmpfs_mount(mnt, 2 << 20, "test_disk_full")) return;
    run r;
    run_init(&r);
    snprintf(r.state, sizeof r.state, "file:%s/state", mnt);
    char *filler = sdk_asprintf_new("%s/filler", mnt);
    const char *extra[] = {"--state-retries", "1", NULL};
    double t_start = e2e_now();
    start(&r, extra);
    CHECK(e2e_wait_plan_complete(&r.w, "deploy", 60));
    fprintf(stderr, "  deployed in %.1f s\n", e2e_now() - t_start);
    char *fw = e2e_framework_id(&r.w);
    size_t resv0, dups, vols0, run0, resv, vols, running;
    cluster_counts(&r, &resv0, &dups, &vols0, &run0);
    CHECK_INT(dups, 0);
    CHECK_INT(health(&r, NULL), 200);

    /* 1. full, then freed: the killed task is relaunched by the same process */
    CHECK(fault_fill(filler) > 0);
    char *old = e2e_task_id(&r.w, "world-0", "world-0-server");
    CHECK(old && kill_task(&r, old));
    char *body = NULL;
    long code = 0;
    double end = e2e_now() + 15;
    while (e2e_now() < end && (code = health(&r, &body)) != 500) { free(body); body = NULL; usleep(200000); }
    CHECK_INT(code, 500);
    CHECK_CONTAINS(body, "STATE_STORE_FAILING");
    CHECK_CONTAINS(body, "No space left on device");
    free(body);
    fprintf(stderr, "  disk full: /v1/health 500 with the reason\n");
    unlink(filler);
    double t_free = e2e_now();
    CHECK_MSG(wait_relaunched(&r, old, 30), "world-0-server not relaunched after space came back");
    fprintf(stderr, "  space back: relaunched after %.1f s\n", e2e_now() - t_free);
    CHECK_INT(health(&r, NULL), 200);
    CHECK(r.w.sched && kill(r.w.sched, 0) == 0);
    cluster_counts(&r, &resv, &dups, &vols, &running);
    CHECK_INT(dups, 0);
    CHECK_INT(resv, resv0);
    CHECK_INT(vols, vols0);
    CHECK_INT(running, run0);

    /* 2. full and kept full: bounded retries, then exit 5 */
    char *old2 = e2e_task_id(&r.w, "world-0", "world-0-server");
    CHECK(fault_fill(filler) > 0);
    double t0 = e2e_now();
    CHECK(old2 && kill_task(&r, old2));
    int st = wait_exit(&r, 40);
    CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 5, "wait status %d", st);
    fprintf(stderr, "  disk kept full: exit %d after %.1f s\n", st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1,
            e2e_now() - t0);
    char *log = sdk_asprintf_new("%s/scheduler.log", r.w.dir), *text = NULL;
    sdk_read_file_new(log, &text, NULL);
    CHECK_CONTAINS(text, "exit 5");
    free(text);
    free(log);

    /* 3. space back, started again like a supervisor would: it resumes, nothing lost */
    unlink(filler);
    check_state_readable(&r, fw);
    double t_re = e2e_now();
    start(&r, extra);
    CHECK_MSG(wait_relaunched(&r, old2, 40), "world-0-server not relaunched after the restart");
    fprintf(stderr, "  restarted: relaunched after %.1f s\n", e2e_now() - t_re);
    char *fw2 = e2e_framework_id(&r.w);
    CHECK_STR(fw2, fw);
    cluster_counts(&r, &resv, &dups, &vols, &running);
    CHECK_INT(dups, 0);
    CHECK_INT(resv, resv0);
    CHECK_INT(vols, vols0);
    CHECK_INT(running, run0);
    free(fw); free(fw2); free(old); free(old2); free(filler);
    run_finish(&r);
    fault_tmpfs_unmount(mnt);
}

/* The scheduler's pid as the holder of the state's lock node ("host=H pid=P"), or 0. */
static long lock_holder(const zk_server *z, const char *root) {
    zhandle_t *zh = zk_server_connect(z);
    if (!zh) return 0;
    char *lock = sdk_asprintf_new("%s/lock", root), data[256];
    int len = sizeof data - 1;
    long pid = 0;
    if (zoo_get(zh, lock, 0, data, &len, NULL) == ZOK && len > 0) {
        data[len] = 0;
        const char *p = strstr(data, "pid=");
        if (p) pid = atol(p + 4);
    }
    free(lock);
    zookeeper_close(zh);
    return pid;
}

static void test_zk_connection_loss(void) {
    zk_server z;
    memset(&z, 0, sizeof z);
    if (!zk_server_start(&z)) {
        CHECK_MSG(false, "no ZooKeeper server (see above)");
        return;
    }
    run r;
    run_init(&r);
    snprintf(r.state, sizeof r.state, "zk://%s/faults-connloss", z.connect);
    const char *extra[] = {"--zk-session-timeout", "4", NULL};
    start(&r, extra);
    CHECK(e2e_wait_plan_complete(&r.w, "deploy", 60));
    char *fw = e2e_framework_id(&r.w);
    size_t resv0, dups, vols0, run0, resv, vols, running;
    cluster_counts(&r, &resv0, &dups, &vols0, &run0);
    CHECK_INT(lock_holder(&z, "/faults-connloss"), r.w.sched);

    /* 1. frozen 3.5 s (noticed as a lost connection after ~2.7 s), a task dies meanwhile */
    char *old = e2e_task_id(&r.w, "world-0", "world-0-server");
    kill(z.pid, SIGSTOP);
    CHECK(old && kill_task(&r, old));
    usleep(3500000);
    kill(z.pid, SIGCONT);
    CHECK_MSG(wait_relaunched(&r, old, 30), "world-0-server not relaunched after ZooKeeper came back");
    CHECK(r.w.sched && kill(r.w.sched, 0) == 0);
    CHECK_INT(lock_holder(&z, "/faults-connloss"), r.w.sched);
    char *log = sdk_asprintf_new("%s/scheduler.log", r.w.dir), *text = NULL;
    sdk_read_file_new(log, &text, NULL);
    CHECK_CONTAINS(text, "lost the connection to ZooKeeper");
    CHECK_CONTAINS(text, "reconnected to ZooKeeper");
    free(text);
    text = NULL;
    fprintf(stderr, "  ZooKeeper frozen 3.5 s: scheduler up, lock kept, task relaunched\n");

    /* 2. frozen longer than the session: exit 4 */
    kill(z.pid, SIGSTOP);
    double t0 = e2e_now();
    int st = wait_exit(&r, 20);
    double took = e2e_now() - t0;
    kill(z.pid, SIGCONT);
    CHECK_MSG(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 4, "wait status %d", st);
    fprintf(stderr, "  ZooKeeper frozen: scheduler exited %d after %.1f s\n",
            st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, took);
    sdk_read_file_new(log, &text, NULL);
    CHECK_CONTAINS(text, "longer than the session timeout");
    free(text);
    free(log);

    /* 3. started again: it takes the lock over, same framework, nothing lost */
    check_state_readable(&r, fw);
    start(&r, extra);
    CHECK(e2e_wait_plan_complete(&r.w, "deploy", 40));
    char *fw2 = e2e_framework_id(&r.w);
    CHECK_STR(fw2, fw);
    cluster_counts(&r, &resv, &dups, &vols, &running);
    CHECK_INT(dups, 0);
    CHECK_INT(resv, resv0);
    CHECK_INT(vols, vols0);
    CHECK_INT(running, run0);
    free(fw); free(fw2); free(old);
    run_finish(&r);
    zk_server_destroy(&z);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    zoo_set_debug_level((ZooLogLevel)0);
    RUN(test_zk_connection_loss);
    RUN(test_disk_full);
    return check_summary("test_e2e_faults");
}
