/* Benchmark of the file state store with a 1,000-task service: transactions per second and log
 * bytes per transaction for the writes a scheduler makes (task launch, status update, a batched
 * launch of a whole pod), plus reopen (replay) and compaction times.
 * Reproduce: make build/bench/state_file && ./build/bench/state_file [DIR] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/state/layout.h"
#include "core/state/store.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "tests/unit/e2e_support.c" /* processes and HTTP, as the end-to-end tests use them */
#include "bench/bench_support.h"

#define TASKS 1000
#define INFO_BYTES 2048
#define STATUS_BYTES 256

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long log_size(const char *dir) {
    char *p = sdk_asprintf_new("%s/log", dir);
    struct stat st;
    long long sz = stat(p, &st) == 0 ? (long long)st.st_size : -1;
    free(p);
    return sz;
}

static void row(const char *what, long txns, double secs, long long bytes) {
    printf("| %-40s | %7ld | %10.0f | %9lld |\n", what, txns, txns / secs, txns ? bytes / txns : 0);
}

static void die(const char *what, sdk_errors *errs) {
    fprintf(stderr, "state_file bench: %s failed\n", what);
    sdk_errors_print(errs, "state_file");
    exit(1);
}

/* Removes the store's files and its existence marker (core/state/store.h): each workload starts
 * on a store that never existed, not on one the file store reports as deleted. */
static void clean(const char *dir) {
    const char *files[] = {"lock", "log", "snapshot"};
    for (int i = 0; i < 3; i++) {
        char *p = sdk_asprintf_new("%s/%s", dir, files[i]);
        unlink(p);
        free(p);
    }
    char *m = sdk_asprintf_new("%s.sdk-state", dir);
    unlink(m);
    free(m);
}

/* Runs the write workload; returns the open store (caller closes). */
static sdk_store *workload(const char *dir, bool no_sync, const char *label) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_store_file_options o = {.compact_bytes = (size_t)1 << 30, .no_sync = no_sync};
    sdk_store *s = NULL;
    if (sdk_store_file_open(dir, &o, &s, &errs) != 0) die("open", &errs);
    sdk_state *st = NULL;
    if (sdk_state_open_new(s, "bench", &st, &errs) != 0) die("layout open", &errs);
    char *info = sdk_xmalloc(INFO_BYTES), *status = sdk_xmalloc(STATUS_BYTES);
    for (int i = 0; i < INFO_BYTES; i++) info[i] = (char)(i * 7);
    for (int i = 0; i < STATUS_BYTES; i++) status[i] = (char)(i * 3);
    char task[64], name[96];

    long long b0 = log_size(dir);
    double t0 = now();
    for (int i = 0; i < TASKS; i++) { /* launch: TaskInfo + first TaskStatus of one task */
        snprintf(task, sizeof task, "node-%d-server", i);
        sdk_state_txn *t = sdk_state_txn_new(st);
        sdk_state_txn_put_task_info(t, task, info, INFO_BYTES);
        sdk_state_txn_put_task_status(t, task, status, STATUS_BYTES);
        if (sdk_state_txn_commit(t, &errs) != 0) die("launch", &errs);
        sdk_state_txn_free(t);
    }
    snprintf(name, sizeof name, "launch 1 task (2 KiB info)%s", label);
    row(name, TASKS, now() - t0, log_size(dir) - b0);

    b0 = log_size(dir);
    t0 = now();
    unsigned seed = 42;
    for (int i = 0; i < 2 * TASKS; i++) { /* status updates */
        snprintf(task, sizeof task, "node-%d-server", rand_r(&seed) % TASKS);
        sdk_state_txn *t = sdk_state_txn_new(st);
        sdk_state_txn_put_task_status(t, task, status, STATUS_BYTES);
        if (sdk_state_txn_commit(t, &errs) != 0) die("status", &errs);
        sdk_state_txn_free(t);
    }
    snprintf(name, sizeof name, "status update%s", label);
    row(name, 2 * TASKS, now() - t0, log_size(dir) - b0);

    b0 = log_size(dir);
    t0 = now();
    for (int i = 0; i < TASKS / 10; i++) { /* a 10-task pod relaunched in one txn */
        sdk_state_txn *t = sdk_state_txn_new(st);
        for (int k = 0; k < 10; k++) {
            snprintf(task, sizeof task, "node-%d-server", i * 10 + k);
            sdk_state_txn_put_task_info(t, task, info, INFO_BYTES);
        }
        if (sdk_state_txn_commit(t, &errs) != 0) die("batch", &errs);
        sdk_state_txn_free(t);
    }
    snprintf(name, sizeof name, "launch 10 tasks in one txn%s", label);
    row(name, TASKS / 10, now() - t0, log_size(dir) - b0);
    free(info);
    free(status);
    sdk_state_free(st);
    sdk_errors_free(&errs);
    return s;
}

int main(int argc, char **argv) {
    sdk_log_set_level(SDK_LOG_WARN);
    char tmpl[] = "/tmp/sdk-bench-state-XXXXXX";
    const char *dir = argc > 1 ? argv[1] : mkdtemp(tmpl);
    if (!dir) {
        perror("mkdtemp");
        return 1;
    }
    printf("state store (file backend) with %d tasks, in %s\n", TASKS, dir);
    printf("reproduce: make all build/bench/state_file && ./build/bench/state_file [DIR]\n\n");
    printf("| %-40s | %7s | %10s | %9s |\n", "operation", "txns", "txns/s", "bytes/txn");
    printf("|%s|%s|%s|%s|\n", "------------------------------------------", "---------", "------------",
           "-----------");
    clean(dir);
    sdk_store *s = workload(dir, false, "");
    long long logb = log_size(dir);
    double t0 = now();
    sdk_errors errs;
    sdk_errors_init(&errs);
    if (sdk_store_compact(s, &errs) != 0) die("compact", &errs);
    double compact = now() - t0;
    sdk_store_close(s);

    t0 = now();
    if (sdk_store_file_open(dir, NULL, &s, &errs) != 0) die("reopen", &errs);
    double reopen_snap = now() - t0;
    sdk_store_close(s);
    clean(dir);
    s = workload(dir, true, " (no fsync)");
    sdk_store_close(s);
    t0 = now();
    if (sdk_store_file_open(dir, NULL, &s, &errs) != 0) die("reopen", &errs);
    double reopen_log = now() - t0;
    sdk_store_close(s);

    clean(dir);
    printf("\n| %-40s | %10s |\n", "maintenance", "ms");
    printf("|%s|%s|\n", "------------------------------------------", "------------");
    printf("| %-40s | %10.1f |\n", "compact (write snapshot, reset log)", compact * 1e3);
    printf("| %-40s | %10.1f |\n", "open: load snapshot", reopen_snap * 1e3);
    char name[80];
    snprintf(name, sizeof name, "open: replay %lld-byte log", logb);
    printf("| %-40s | %10.1f |\n", name, reopen_log * 1e3);
    if (argc <= 1) {
        rmdir(dir);
        char *m = sdk_asprintf_new("%s.sdk-state", dir); /* the file store's marker (store.h) */
        unlink(m);
        free(m);
    }
    sdk_errors_free(&errs);

    /* The scheduler itself with its state in a file: deploy 10,000 pods, restart, time to every
     * task reconciled (as bench/state does with ZooKeeper). */
    int fail = 0;
    if (access("bin/scheduler", X_OK) == 0 && access("bin/localcluster", X_OK) == 0) {
        setenv("SDK_LOG", "warn", 0);
        char stmpl[] = "/tmp/sdk-bench-filestate-XXXXXX";
        char *sdir = mkdtemp(stmpl);
        char *url = sdir ? sdk_asprintf_new("file:%s/state", sdir) : NULL;
        double dep = 0, rec = 0;
        bench_counts dc;
        if (!url || bench_restart_to_reconciled(url, 10000, &dep, &rec, &dc)) {
            fail = 1;
        } else {
            printf("\nscheduler with --state file:, 10,000 pods: deploy %.1f s; restart -> subscribed, every task "
                   "reconciled: %.3f s\n", dep, rec);
            bench_row("recovery_s_10k_file", rec, "s", "make all build/bench/state_file && build/bench/state_file");
        }
        if (url) {
            char *rm = sdk_asprintf_new("rm -rf %s", sdir);
            if (system(rm)) {}
            free(rm);
        }
        free(url);
    } else {
        printf("\n(the scheduler restart figure needs `make` first: bin/scheduler and bin/localcluster)\n");
    }
    return fail;
}
