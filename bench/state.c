/* bench/state: the ZooKeeper state backend against a real ZooKeeper (started here through the
 * test harness). Prints the ZooKeeper transactions and bytes written per task launch and per
 * status update (written through the layout as the scheduler writes them), and the time to open
 * the store and load 1,000 and 10,000 stored tasks into its cache: connect, lock, read every
 * znode, build the cache and list the tasks ("reads": znodes read with get / get-children;
 * "requests": what carried them, read-only multis in bulk, one per read node by node;
 * "sessions": those the load read through, the bulk reader's own connection, or the store's plus
 * the helper sessions a big node-by-node load opens). Both ways of loading run, so their ratio
 * comes from one run. Then the scheduler itself: it deploys 1,000 and 10,000 pods (the
 * ZooKeeper write requests it made for them, from its /v1/metrics), is stopped, and is timed
 * from its start to subscribed and every stored task reconciled. The load target is checked on the second bulk
 * load of 10,000 tasks (the freshly started server's JIT is still warming up on the first).
 * Targets: one transaction per launch / status (so at most one per offer cycle); <= 2 s to
 * load 10,000 tasks and to recover them. Exit status 1 when a target is missed or ZooKeeper
 * cannot start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/state/layout.h"
#include "core/state/store.h"
#include "core/state/store_zk.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "tests/unit/zk_server.c"   /* benchmarks link only libsdk.a */
#include "tests/unit/e2e_support.c" /* processes and HTTP, as the end-to-end tests use them */

#define TASKINFO_BYTES 1200 /* a typical TaskInfo with resources, labels and a command */
#define STATUS_BYTES 220

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* bulk: load through read-only multis (the default); else node by node, as with servers < 3.6 */
static sdk_store *open_store(const char *url, sdk_store_zk_stats *stats, bool bulk) {
    sdk_store_zk_options o = {.stats = stats, .op_timeout_ms = 30000, .lock_wait_ms = 15000,
                              .bulk_read = bulk ? 0 : -1};
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_store *s = NULL;
    if (sdk_store_zk_open(url, &o, &s, &errs)) sdk_errors_print(&errs, "bench/state: open");
    sdk_errors_free(&errs);
    return s;
}

/* Writes n tasks (TaskInfo, TaskStatus, override-status) in transactions of 250 tasks. */
static int populate(sdk_state *st, int n, const char *info, const char *status) {
    for (int base = 0; base < n; base += 250) {
        sdk_state_txn *t = sdk_state_txn_new(st);
        for (int i = base; i < n && i < base + 250; i++) {
            char name[64];
            snprintf(name, sizeof name, "node-%d-server", i);
            sdk_state_txn_put_task_info(t, name, info, TASKINFO_BYTES);
            sdk_state_txn_put_task_status(t, name, status, STATUS_BYTES);
            sdk_state_txn_set_override_status(t, name, "COMPLETE");
        }
        sdk_errors errs;
        sdk_errors_init(&errs);
        int rc = sdk_state_txn_commit(t, &errs);
        if (rc) sdk_errors_print(&errs, "bench/state: populate");
        sdk_errors_free(&errs);
        sdk_state_txn_free(t);
        if (rc) return rc;
    }
    return 0;
}

/* The scheduler's own recovery: N hello pods deployed on a local cluster (simulated tasks) with
 * their state in ZooKeeper, the scheduler stopped (SIGTERM) and started again; the figure is
 * the time from that start until it is subscribed and every stored task's reconciliation is
 * answered (/v1/metrics: is_registered and reconciliation.pending_tasks == 0), i.e. until it
 * uses offers again. Returns 0 with the deploy and recovery times, or -1. */
/* The scheduler's own counters after its deploy (/v1/metrics): ZooKeeper write requests (each
 * one transaction), launches and status updates. */
typedef struct deploy_counts {
    long long zk_writes, launches, statuses;
} deploy_counts;

static void read_counts(const char *metrics_url, deploy_counts *dc) {
    long code = 0;
    json_t *m = e2e_get_json(metrics_url, &code);
    json_t *c = json_object_get(m, "counters");
    const char *k;
    json_t *v;
    *dc = (deploy_counts){0};
    json_object_foreach(c, k, v) {
        long long n = json_integer_value(json_object_get(v, "count"));
        if (!strcmp(k, "state.zk.write_requests")) dc->zk_writes = n;
        else if (!strcmp(k, "operation.launch_group")) dc->launches = n;
        else if (!strncmp(k, "task_status.", 12)) dc->statuses += n;
    }
    json_decref(m);
}

static int restart_to_reconciled(const char *zk_connect, int n, double *deploy_s, double *recover_s,
                                 deploy_counts *dc) {
    char dir[] = "/tmp/sdk-bench-state-XXXXXX";
    if (!mkdtemp(dir)) return -1;
    unsigned mport = e2e_free_port(), aport = e2e_free_port();
    char ps[16], master[64], api[32], count[32], health[96], metrics[96];
    snprintf(ps, sizeof ps, "%u", mport);
    snprintf(master, sizeof master, "http://127.0.0.1:%u", mport);
    snprintf(api, sizeof api, "127.0.0.1:%u", aport);
    snprintf(count, sizeof count, "COUNT=%d", n);
    snprintf(health, sizeof health, "http://%s/v1/health", api);
    snprintf(metrics, sizeof metrics, "http://%s/v1/metrics", api);
    char *state = sdk_asprintf_new("zk://%s/bench-restart-%d", zk_connect, n);
    char *cdir = sdk_asprintf_new("%s/cluster", dir), *wdir = sdk_asprintf_new("%s/sched", dir);
    char *clog = sdk_asprintf_new("%s/cluster.log", dir), *slog = sdk_asprintf_new("%s/scheduler.log", dir);
    char *lc[] = {"bin/localcluster", "--port", ps, "--workdir", cdir, "--agents", "50",
                  "--agent-resources", "cpus:64;mem:262144;disk:1000000;ports:[10000-20000]",
                  "--allocation-interval-ms", "100", "--simulate-tasks", NULL};
    char *sc[] = {"bin/scheduler", "--spec", "bench/deploy.yml", "-o", count, "--master", master,
                  "--workdir", wdir, "--api", api, "--state", state, NULL};
    pid_t cl = e2e_spawn(lc, clog);
    usleep(300000);
    int rc = -1;
    double t0 = now_s();
    pid_t sp = e2e_spawn(sc, slog);
    while (now_s() - t0 < 600 && e2e_http("GET", health, NULL, NULL) != 200) usleep(50000);
    *deploy_s = now_s() - t0;
    read_counts(metrics, dc);
    if (e2e_http("GET", health, NULL, NULL) == 200) {
        e2e_stop(sp, SIGTERM);
        double t1 = now_s();
        sp = e2e_spawn(sc, slog);
        while (now_s() - t1 < 120) {
            long code = 0;
            json_t *m = e2e_get_json(metrics, &code);
            json_t *g = json_object_get(m, "gauges");
            bool reg = json_is_true(json_object_get(json_object_get(g, "is_registered"), "value"));
            json_t *pend = json_object_get(json_object_get(g, "reconciliation.pending_tasks"), "value");
            bool done = reg && json_is_integer(pend) && json_integer_value(pend) == 0;
            json_decref(m);
            if (done) {
                *recover_s = now_s() - t1;
                rc = 0;
                break;
            }
            usleep(20000);
        }
    }
    if (rc) fprintf(stderr, "bench/state: the %d-pod restart did not finish; logs in %s\n", n, dir);
    e2e_stop(sp, SIGTERM);
    e2e_stop(cl, SIGTERM);
    if (!rc) {
        char *rm = sdk_asprintf_new("rm -rf %s", dir);
        if (system(rm)) {}
        free(rm);
    }
    free(state); free(cdir); free(wdir); free(clog); free(slog);
    return rc;
}

int main(void) {
    setenv("SDK_LOG", "warn", 0); /* measure the processes, not their logging (SDK_LOG set outside wins) */
    sdk_log_set_level(SDK_LOG_ERROR);
    zk_server z;
    if (!zk_server_start(&z)) {
        fprintf(stderr, "bench/state: FAILED: no ZooKeeper server\n");
        zk_server_destroy(&z);
        return 1;
    }
    int fail = 0;
    char *info = malloc(TASKINFO_BYTES), *status = malloc(STATUS_BYTES);
    for (int i = 0; i < TASKINFO_BYTES; i++) info[i] = (char)(i * 131);
    for (int i = 0; i < STATUS_BYTES; i++) status[i] = (char)(i * 17);

    /* Per launch and per status update. */
    char *url = sdk_asprintf_new("zk://%s/dcos-service-bench", z.connect);
    sdk_store_zk_stats stats = {0};
    sdk_store *s = open_store(url, &stats, true);
    sdk_state *st = NULL;
    if (!s || sdk_state_open_new(s, "bench", &st, NULL)) {
        fprintf(stderr, "bench/state: FAILED to open the store\n");
        return 1;
    }
    const int N = 200;
    sdk_store_zk_stats a = stats;
    for (int i = 0; i < N; i++) {
        /* A launch records the pod's TaskInfo (and clears overrides) in one transaction. */
        char name[64];
        snprintf(name, sizeof name, "hello-%d-server", i);
        sdk_state_txn *t = sdk_state_txn_new(st);
        sdk_state_txn_put_task_info(t, name, info, TASKINFO_BYTES);
        sdk_state_txn_set_goal_override(t, name, NULL);
        sdk_state_txn_set_override_status(t, name, "IN_PROGRESS");
        if (sdk_state_txn_commit(t, NULL)) fail = 1;
        sdk_state_txn_free(t);
    }
    sdk_store_zk_stats b = stats;
    double t0 = now_s();
    for (int i = 0; i < N; i++) {
        char name[64];
        snprintf(name, sizeof name, "hello-%d-server", i);
        status[0] = (char)i;
        sdk_state_txn *t = sdk_state_txn_new(st);
        sdk_state_txn_put_task_status(t, name, status, STATUS_BYTES);
        if (sdk_state_txn_commit(t, NULL)) fail = 1;
        sdk_state_txn_free(t);
    }
    double status_ms = (now_s() - t0) * 1000.0 / N;
    sdk_store_zk_stats c = stats;
    double launch_tx = (double)(b.write_requests - a.write_requests) / N;
    double launch_b = (double)(b.write_bytes - a.write_bytes) / N;
    double status_tx = (double)(c.write_requests - b.write_requests) / N;
    double status_b = (double)(c.write_bytes - b.write_bytes) / N;
    printf("bench/state: the ZooKeeper state store against a real ZooKeeper 3.8 on loopback\n"
           "reproduce: make build/bench/state && build/bench/state\n\n");
    printf("%-44s %10s %10s\n", "write", "ZK txns", "bytes");
    printf("%-44s %10.2f %10.0f\n", "task launch (TaskInfo + overrides)", launch_tx, launch_b);
    printf("%-44s %10.2f %10.0f   (%.2f ms each)\n", "status update (TaskStatus)", status_tx, status_b,
           status_ms);
    if (launch_tx > 1.0 || status_tx > 1.0) fail = 1;
    sdk_state_free(st);
    sdk_store_close(s);
    free(url);

    printf("\n%-44s %10s %10s %10s %10s %10s\n", "open + load into the cache", "tasks", "requests",
           "reads", "sessions", "seconds");
    const int sizes[] = {1000, 10000};
    for (size_t k = 0; k < 2; k++) {
        url = sdk_asprintf_new("zk://%s/dcos-service-load-%d", z.connect, sizes[k]);
        s = open_store(url, NULL, true);
        st = NULL;
        if (!s || sdk_state_open_new(s, "load", &st, NULL) || populate(st, sizes[k], info, status)) {
            fprintf(stderr, "bench/state: FAILED to populate %d tasks\n", sizes[k]);
            fail = 1;
        }
        sdk_state_free(st);
        sdk_store_close(s);
        for (int rep = 0; rep < 4; rep++) {
        bool bulk = rep < 2;
        sdk_store_zk_stats ls = {0};
        double t1 = now_s();
        s = open_store(url, &ls, bulk);
        st = NULL;
        char **names = NULL;
        size_t n = 0;
        if (s && sdk_state_open_new(s, "load", &st, NULL) == 0) sdk_state_tasks_list_new(st, &names, &n, NULL);
        double secs = now_s() - t1;
        static const char *const what[] = {"open, lock, load in bulk, list tasks", "  again (server warm)",
                                           "  the same, node by node (servers < 3.6)", "  again"};
        printf("%-44s %10zu %10llu %10llu %10llu %10.3f\n", what[rep], n, (unsigned long long)ls.read_requests,
               (unsigned long long)ls.read_ops, (unsigned long long)ls.load_sessions, secs);
        if ((int)n != sizes[k] || (rep == 1 && sizes[k] == 10000 && secs > 2.0)) fail = 1;
        sdk_store_names_free(names, n);
        sdk_state_free(st);
        sdk_store_close(s);
        }
        free(url);
    }
    if (access("bin/scheduler", X_OK) == 0 && access("bin/localcluster", X_OK) == 0) {
        printf("\n%-44s %10s %10s %10s %10s %10s\n", "scheduler deploy, then restart (state in ZK)", "pods",
               "deploy s", "ZK txns", "statuses", "seconds");
        for (size_t k = 0; k < 2; k++) {
            double dep = 0, rec = 0;
            deploy_counts dc;
            if (restart_to_reconciled(z.connect, sizes[k], &dep, &rec, &dc)) {
                fail = 1;
                continue;
            }
            printf("%-44s %10d %10.1f %10lld %10lld %10.3f\n", "start -> subscribed, every task reconciled",
                   sizes[k], dep, dc.zk_writes, dc.statuses, rec);
            if (sizes[k] == 10000 && rec > 2.0) fail = 1;
            if (dc.zk_writes > dc.launches + dc.statuses) fail = 1;
            fflush(stdout);
        }
        printf("(ZK txns: the scheduler's ZooKeeper write requests during the deploy, each one transaction:\n"
               " the launches of an offer cycle go in one, the statuses of a run of Mesos events in one)\n");
    } else {
        printf("\n(scheduler restart figures need `make` first: bin/scheduler and bin/localcluster)\n");
    }
    printf("\ntargets: <= 1 ZooKeeper transaction per launch and per status update; <= 2 s to load "
           "10,000 tasks and to recover them: %s\n",
           fail ? "MISSED" : "met");
    free(info);
    free(status);
    zk_server_destroy(&z);
    return fail;
}
