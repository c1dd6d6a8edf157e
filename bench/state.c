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
#include "bench/bench_support.h"

#define TASKINFO_BYTES 1200 /* a typical TaskInfo with resources, labels and a command */
#define STATUS_BYTES 220


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
    double t0 = bench_now();
    for (int i = 0; i < N; i++) {
        char name[64];
        snprintf(name, sizeof name, "hello-%d-server", i);
        status[0] = (char)i;
        sdk_state_txn *t = sdk_state_txn_new(st);
        sdk_state_txn_put_task_status(t, name, status, STATUS_BYTES);
        if (sdk_state_txn_commit(t, NULL)) fail = 1;
        sdk_state_txn_free(t);
    }
    double status_ms = (bench_now() - t0) * 1000.0 / N;
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
        double t1 = bench_now();
        s = open_store(url, &ls, bulk);
        st = NULL;
        char **names = NULL;
        size_t n = 0;
        if (s && sdk_state_open_new(s, "load", &st, NULL) == 0) sdk_state_tasks_list_new(st, &names, &n, NULL);
        double secs = bench_now() - t1;
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
        printf("\n%-44s %10s %10s %10s %10s %10s %10s\n", "scheduler deploy, then restart (state in ZK)", "pods",
               "deploy s", "ZK txns", "launches", "statuses", "seconds");
        for (size_t k = 0; k < 2; k++) {
            double dep = 0, rec = 0;
            bench_counts dc;
            char *state = sdk_asprintf_new("zk://%s/bench-restart-%d", z.connect, sizes[k]);
            int rrc = bench_restart_to_reconciled(state, sizes[k], &dep, &rec, &dc);
            free(state);
            if (rrc) {
                fail = 1;
                continue;
            }
            printf("%-44s %10d %10.1f %10lld %10lld %10lld %10.3f   (%lld offer cycles: %.2f txns each)\n",
                   "start -> subscribed, every task reconciled", sizes[k], dep, dc.zk_writes, dc.launches,
                   dc.statuses, rec, dc.offer_cycles,
                   dc.offer_cycles ? (double)dc.zk_writes / (double)dc.offer_cycles : 0);
            if (sizes[k] == 10000) {
                bench_row("recovery_s_10k_zk", rec, "s", "make all build/bench/state && build/bench/state");
                /* every write request of the deploy, the statuses' included, over its offer cycles */
                bench_row("zk_txn_per_offer_cycle", dc.offer_cycles ? (double)dc.zk_writes / (double)dc.offer_cycles : 0,
                          "txn", "make all build/bench/state && build/bench/state");
            }
            if (sizes[k] == 10000 && rec > 2.0) fail = 1;
            if (dc.zk_writes > dc.launches + dc.statuses) fail = 1;
            fflush(stdout);
        }
        printf("(ZK txns: every ZooKeeper write request of the scheduler during the deploy, each one\n"
               " transaction: an offer cycle's launches and the statuses held since the last commit go in\n"
               " one (group commit); statuses no cycle carried are stored on their own after 1 s (0.1 s when\n"
               " offers are suppressed); framework id, configuration and properties count too.\n"
               " zk_txn_per_offer_cycle is all of them over the offer cycles)\n");
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
