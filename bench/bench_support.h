/* What the benchmarks share (a header, not a .c file under bench/, so that it builds no binary
 * of its own; include it after tests/unit/e2e_support.c):
 *  - bench_row: one measured figure for the `make bench` table (bench/report/report.c owns the
 *    targets, so a figure's target is written in one place);
 *  - bench_alive: a process the benchmark started has not exited (a benchmark fails loudly
 *    instead of waiting out its deadline when the local cluster or the scheduler is gone);
 *  - bench_restart_to_reconciled: a scheduler deploys N pods, is stopped and started again, and
 *    is timed from that start to every stored task reconciled (bench/state, bench/state_file). */
#ifndef SDK_BENCH_SUPPORT_H
#define SDK_BENCH_SUPPORT_H
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util/str.h"

/* Appends {"figure","value","unit","command"} as one JSON line to $SDK_BENCH_RESULTS (set by
 * `make bench`; nothing when unset, so a benchmark run by hand only prints). */
static inline void bench_row(const char *figure, double value, const char *unit, const char *command) {
    const char *path = getenv("SDK_BENCH_RESULTS");
    if (!path || !*path) return;
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "bench: cannot append to SDK_BENCH_RESULTS=%s\n", path);
        return;
    }
    json_t *o = json_pack("{s:s,s:f,s:s,s:s}", "figure", figure, "value", value, "unit", unit, "command", command);
    char *line = json_dumps(o, JSON_COMPACT);
    fprintf(f, "%s\n", line);
    free(line);
    json_decref(o);
    fclose(f);
}

/* True while *pidp (a child of ours) runs. When it has exited, says so on stderr with its exit
 * status and the last lines of its log, sets *pidp to -1 (it was reaped: nothing may signal that
 * pid any more; e2e_stop ignores -1) and returns false. */
static inline bool bench_alive(pid_t *pidp, const char *what, const char *log) {
    pid_t pid = *pidp;
    if (pid <= 0) return false;
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == 0) return true;
    *pidp = -1;
    if (r == pid && WIFEXITED(st))
        fprintf(stderr, "bench: FAILED: %s (pid %d) exited with status %d; last lines of %s:\n", what, (int)pid,
                WEXITSTATUS(st), log ? log : "its log");
    else if (r == pid && WIFSIGNALED(st))
        fprintf(stderr, "bench: FAILED: %s (pid %d) was killed by signal %d; last lines of %s:\n", what, (int)pid,
                WTERMSIG(st), log ? log : "its log");
    else
        fprintf(stderr, "bench: FAILED: %s (pid %d) is gone\n", what, (int)pid);
    if (log) {
        char *cmd = sdk_asprintf_new("tail -n 15 '%s' >&2", log);
        if (system(cmd)) {}
        free(cmd);
    }
    return false;
}

static inline double bench_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The scheduler's own counters after its deploy (/v1/metrics): ZooKeeper write requests (each
 * one transaction), launches, status updates and offer cycles. */
typedef struct bench_counts {
    long long zk_writes, launches, statuses, offer_cycles;
} bench_counts;

static inline void bench_read_counts(const char *metrics_url, bench_counts *dc) {
    long code = 0;
    json_t *m = e2e_get_json(metrics_url, &code);
    json_t *c = json_object_get(m, "counters");
    const char *k;
    json_t *v;
    *dc = (bench_counts){0};
    json_object_foreach(c, k, v) {
        long long n = json_integer_value(json_object_get(v, "count"));
        if (!strcmp(k, "state.zk.write_requests")) dc->zk_writes = n;
        else if (!strcmp(k, "operation.launch_group")) dc->launches = n;
        else if (!strncmp(k, "task_status.", 12)) dc->statuses += n;
    }
    dc->offer_cycles = json_integer_value(
        json_object_get(json_object_get(json_object_get(m, "timers"), "offers.process"), "count"));
    json_decref(m);
}

/* The scheduler's own recovery: n bench/deploy.yml pods deployed on a local cluster (simulated
 * tasks, 50 agents) with their state at state_url, the scheduler stopped (SIGTERM) and started
 * again; *recover_s is the time from that start until it is subscribed and every stored task's
 * reconciliation is answered (/v1/metrics: is_registered and reconciliation.pending_tasks == 0),
 * i.e. until it uses offers again. Fails (-1, with the reason on stderr) when the deploy does
 * not complete in 600 s, the restart does not reconcile in 120 s, or a process exits. */
static inline int bench_restart_to_reconciled(const char *state_url, int n, double *deploy_s, double *recover_s,
                                       bench_counts *dc) {
    char dir[] = "/tmp/sdk-bench-restart-XXXXXX";
    if (!mkdtemp(dir)) return -1;
    unsigned mport = e2e_free_port(), aport = e2e_free_port();
    char ps[16], master[64], api[32], count[32], health[96], metrics[96];
    snprintf(ps, sizeof ps, "%u", mport);
    snprintf(master, sizeof master, "http://127.0.0.1:%u", mport);
    snprintf(api, sizeof api, "127.0.0.1:%u", aport);
    snprintf(count, sizeof count, "COUNT=%d", n);
    snprintf(health, sizeof health, "http://%s/v1/health", api);
    snprintf(metrics, sizeof metrics, "http://%s/v1/metrics", api);
    char *cdir = sdk_asprintf_new("%s/cluster", dir), *wdir = sdk_asprintf_new("%s/sched", dir);
    char *clog = sdk_asprintf_new("%s/cluster.log", dir), *slog = sdk_asprintf_new("%s/scheduler.log", dir);
    char *lc[] = {"bin/localcluster", "--port", ps, "--workdir", cdir, "--agents", "50",
                  "--agent-resources", "cpus:64;mem:262144;disk:1000000;ports:[10000-20000]",
                  "--allocation-interval-ms", "100", "--simulate-tasks", NULL};
    char *sc[] = {"bin/scheduler", "--spec", "bench/deploy.yml", "-o", count, "--master", master,
                  "--workdir", wdir, "--api", api, "--state", (char *)state_url, NULL};
    pid_t cl = e2e_spawn(lc, clog);
    usleep(300000);
    int rc = -1;
    double t0 = bench_now();
    pid_t sp = e2e_spawn(sc, slog);
    bool up = true;
    while (bench_now() - t0 < 600 && (up = bench_alive(&cl, "the local cluster", clog) &&
                                          bench_alive(&sp, "the scheduler", slog)) &&
           e2e_http("GET", health, NULL, NULL) != 200)
        usleep(50000);
    *deploy_s = bench_now() - t0;
    bench_read_counts(metrics, dc);
    if (up && e2e_http("GET", health, NULL, NULL) == 200) {
        e2e_stop(sp, SIGTERM);
        double t1 = bench_now();
        sp = e2e_spawn(sc, slog);
        while (bench_now() - t1 < 120 && bench_alive(&sp, "the restarted scheduler", slog) &&
               bench_alive(&cl, "the local cluster", clog)) {
            long code = 0;
            json_t *m = e2e_get_json(metrics, &code);
            json_t *g = json_object_get(m, "gauges");
            bool reg = json_is_true(json_object_get(json_object_get(g, "is_registered"), "value"));
            json_t *pend = json_object_get(json_object_get(g, "reconciliation.pending_tasks"), "value");
            bool done = reg && json_is_integer(pend) && json_integer_value(pend) == 0;
            json_decref(m);
            if (done) {
                *recover_s = bench_now() - t1;
                rc = 0;
                break;
            }
            usleep(20000);
        }
    }
    if (rc) fprintf(stderr, "bench: the %d-pod restart (%s) did not finish; logs in %s\n", n, state_url, dir);
    e2e_stop(sp, SIGTERM);
    e2e_stop(cl, SIGTERM);
    if (!rc) {
        char *rm = sdk_asprintf_new("rm -rf %s", dir);
        if (system(rm)) {}
        free(rm);
    }
    free(cdir); free(wdir); free(clog); free(slog);
    return rc;
}
/* The busy world bench/api and bench/console_load measure in: the 1,000-pod bench/deploy.yml on
 * a local cluster of 100 agents with room for 5 pods each, so 500 steps launch and the other 500
 * keep evaluating every offer (each agent's offer comes back once its decline filter expires).
 * bench_busy_start makes /tmp/sdk-bench-NAME-XXXXXX, starts both processes, waits for the first
 * 500 pods and returns 0 with both running; otherwise it says which one exited (bench_alive),
 * stops the other and returns -1. bench_busy_stop stops both (SIGINT to the scheduler) and
 * removes the directory. */
typedef struct bench_busy {
    char dir[64];
    char base[64];     /* http://127.0.0.1:PORT: the scheduler's API */
    unsigned api_port; /* PORT */
    char *clog, *slog;
    pid_t cl, sp;
} bench_busy;

static inline void bench_busy_stop(bench_busy *b) {
    e2e_stop(b->sp, SIGINT);
    e2e_stop(b->cl, SIGTERM);
    b->sp = b->cl = -1;
    char *rm = sdk_asprintf_new("rm -rf %s", b->dir);
    if (system(rm)) {}
    free(rm);
    free(b->clog);
    free(b->slog);
    b->clog = b->slog = NULL;
}

static inline int bench_busy_start(bench_busy *b, const char *name) {
    memset(b, 0, sizeof *b);
    b->cl = b->sp = -1;
    snprintf(b->dir, sizeof b->dir, "/tmp/sdk-bench-%s-XXXXXX", name);
    if (!mkdtemp(b->dir)) {
        perror("mkdtemp");
        return -1;
    }
    unsigned mport = e2e_free_port(), aport = e2e_free_port();
    char ps[16], ap[32], master[64];
    snprintf(ps, sizeof ps, "%u", mport);
    snprintf(ap, sizeof ap, "127.0.0.1:%u", aport);
    snprintf(master, sizeof master, "http://127.0.0.1:%u", mport);
    snprintf(b->base, sizeof b->base, "http://%s", ap);
    b->api_port = aport;
    char *cdir = sdk_asprintf_new("%s/cluster", b->dir), *wdir = sdk_asprintf_new("%s/sched", b->dir);
    b->clog = sdk_asprintf_new("%s/cluster.log", b->dir);
    b->slog = sdk_asprintf_new("%s/scheduler.log", b->dir);
    char *lc[] = {"bin/localcluster", "--port", ps, "--workdir", cdir, "--agents", "100",
                  "--agent-resources", "cpus:0.15;mem:200;disk:20000;ports:[10000-20000]",
                  "--allocation-interval-ms", "100", "--simulate-tasks", NULL};
    b->cl = e2e_spawn(lc, b->clog);
    usleep(300000);
    char *sc[] = {"bin/scheduler", "--spec", "bench/deploy.yml", "-o", "COUNT=1000", "--master", master,
                  "--workdir", wdir, "--api", ap, NULL};
    b->sp = e2e_spawn(sc, b->slog);
    free(cdir);
    free(wdir);
    sleep(8); /* subscribe and fill the cluster */
    if (!bench_alive(&b->cl, "the local cluster", b->clog) || !bench_alive(&b->sp, "the scheduler", b->slog)) {
        fprintf(stderr, "bench: FAILED; logs in %s\n", b->dir);
        e2e_stop(b->sp, SIGTERM);
        e2e_stop(b->cl, SIGTERM);
        return -1;
    }
    return 0;
}

#endif
