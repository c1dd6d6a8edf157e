/* bench/deploy: deploys N hello-style pods with bin/scheduler on bin/localcluster and prints,
 * per run, the time from subscription to deploy COMPLETE, launches per second and the
 * scheduler's peak RSS, RssAnon and CPU, and its cold start (from exec to /v1/health answering);
 * each size runs with the local cluster's simulated executor (--simulate-tasks: no fork, so the
 * scheduler's own cost shows) and, up to SDK_BENCH_REAL_MAX, with real processes. The default
 * sizes make the scaling table (100, 1,000, 10,000 pods). Fails (exit 1, with the log's tail)
 * as soon as the local cluster or the scheduler exits.
 *
 *   make bench                                  (all benchmarks)
 *   build/bench/deploy [N ...]                  (default: 100 1000 10000)
 *   SDK_BENCH_REAL_MAX=1000 build/bench/deploy  (largest N run with real processes; default 100)
 *   SDK_BENCH_AGENTS=200 build/bench/deploy     (agents in the local cluster; default N/5, at
 *                                                most 2,000: 10,000 pods on 2,000 agents)
 *   SDK_BENCH_STATE=memory build/bench/deploy    (state in memory: what durable commits cost)
 *   SDK_BENCH_KEEP=1 build/bench/deploy          (keep the work directory and its logs)
 */
#include "core/util/str.h"
#include "tests/unit/e2e_support.c" /* processes, ports and HTTP, as the end-to-end tests use them */
#include "bench/bench_support.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static size_t sink(char *p, size_t s, size_t n, void *ud) { (void)p; (void)ud; return s * n; }

static long get(CURL *c, const char *url) {
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/* A "Name:" line of /proc/PID/status in kB (VmHWM: peak RSS, VmRSS: now), or -1. */
static long status_kb(pid_t pid, const char *name) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, name, n)) kb = atol(line + n);
    if (f) fclose(f);
    return kb;
}

/* CPU seconds (user + system) a process has used so far, from /proc/PID/stat; -1 if unknown. */
static double cpu_s(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Agents for n pods: SDK_BENCH_AGENTS, else n/5 (at least 1, at most 2,000), never more than n. */
static int agents_for(int n) {
    const char *e = getenv("SDK_BENCH_AGENTS");
    int a = e ? atoi(e) : n / 5 < 2000 ? n / 5 : 2000;
    if (a < 1) a = 1;
    return a < n ? a : n;
}

/* One run; returns 0 and fills the figures, or -1. */
static int run(int n, bool simulate, double *secs, double *per_s, long *rss_kb, long *rss_end_kb,
               long *anon_end_kb, double *sched_cpu, double *cluster_cpu, double *cold_ms) {
    char dir[] = "/tmp/sdk-bench-XXXXXX";
    if (!mkdtemp(dir)) return -1;
    unsigned mport = e2e_free_port();
    int agents = agents_for(n);
    char ps[16], as[16], ag[16], ap[32], master[64];
    snprintf(ps, sizeof ps, "%u", mport);
    snprintf(ag, sizeof ag, "%d", agents);
    snprintf(master, sizeof master, "http://127.0.0.1:%u", mport);
    snprintf(as, sizeof as, "COUNT=%d", n);
    char *cdir = sdk_asprintf_new("%s/cluster", dir), *wdir = sdk_asprintf_new("%s/sched", dir);
    char *clog = sdk_asprintf_new("%s/cluster.log", dir), *slog = sdk_asprintf_new("%s/scheduler.log", dir);
    char *lc[] = {"bin/localcluster", "--port", ps, "--workdir", cdir, "--agents", ag,
                  "--agent-resources", "cpus:64;mem:262144;disk:1000000;ports:[10000-20000]",
                  "--allocation-interval-ms", "100", simulate ? "--simulate-tasks" : NULL, NULL};
    pid_t cl = e2e_spawn(lc, clog);
    CURL *c = curl_easy_init();
    /* The scheduler's API port is picked once the local cluster answers: its agents listen on
     * ports of their own (2,000 of them), and a port picked before they started was at times
     * taken by one ("Address already in use", the run lost). */
    for (double t_up = e2e_now() + 60; e2e_now() < t_up && bench_alive(&cl, "the local cluster", clog);) {
        if (get(c, master) > 0) break;
        usleep(20000);
    }
    snprintf(ap, sizeof ap, "127.0.0.1:%u", e2e_free_port());
    /* SDK_BENCH_STATE=memory: shows what durable commits cost (default: the file store) */
    const char *mem = getenv("SDK_BENCH_STATE");
    bool in_memory = mem && !strcmp(mem, "memory");
    char *sc[] = {"bin/scheduler", "--spec", "bench/deploy.yml", "-o", as, "--master", master,
                  "--workdir", wdir, "--api", ap, in_memory ? "--state" : NULL, "memory:", NULL};
    double t0 = e2e_now();
    pid_t sp = e2e_spawn(sc, slog);
    char *fw = sdk_asprintf_new("http://%s/v1/state/frameworkId", ap);
    /* /v1/health answers 200 exactly when the deploy plan is complete, and costs nothing to serve
     * (polling the 1,000-step plan itself would make the benchmark measure its own polling) */
    char *plan = sdk_asprintf_new("http://%s/v1/health", ap);
    double t_sub = 0, t_done = 0, deadline = t0 + 600;
    *cold_ms = -1;
    /* cold start: exec to the first answer of /v1/health, whatever its code (it answers before
     * the scheduler has subscribed; that is the point: no Mesos or state round trip before it) */
    while (e2e_now() < t0 + 30 && bench_alive(&sp, "the scheduler", slog)) {
        if (get(c, plan) > 0) { *cold_ms = (e2e_now() - t0) * 1e3; break; }
        usleep(1000);
    }
    while (e2e_now() < deadline && bench_alive(&cl, "the local cluster", clog) &&
           bench_alive(&sp, "the scheduler", slog)) {
        if (!t_sub && get(c, fw) == 200) t_sub = e2e_now();
        if (t_sub && get(c, plan) == 200) { t_done = e2e_now(); break; }
        usleep(10000);
    }
    *rss_kb = t_done ? status_kb(sp, "VmHWM:") : -1;
    if (t_done) usleep(1500000); /* the scheduler hands freed memory back once a second */
    *rss_end_kb = status_kb(sp, "VmRSS:");
    *anon_end_kb = status_kb(sp, "RssAnon:");
    *sched_cpu = cpu_s(sp);
    *cluster_cpu = cpu_s(cl);
    curl_easy_cleanup(c);
    e2e_stop(sp, SIGINT);
    e2e_stop(cl, SIGTERM);
    char *rm = sdk_asprintf_new(getenv("SDK_BENCH_KEEP") ? "true %s" : "rm -rf %s", dir);
    int rc = t_done ? 0 : -1;
    if (!t_done) fprintf(stderr, "deploy of %d pods did not complete; logs in %s\n", n, dir);
    else if (system(rm)) {}
    free(rm); free(cdir); free(wdir); free(clog); free(slog); free(fw); free(plan);
    *secs = t_done - t_sub;
    *per_s = *secs > 0 ? n / *secs : 0;
    return rc;
}

int main(int argc, char **argv) {
    setenv("SDK_LOG", "warn", 0); /* measure the processes, not their logging (SDK_LOG set outside wins) */
    int sizes[8] = {100, 1000, 10000}, ns = 3;
    if (argc > 1) {
        ns = 0;
        for (int i = 1; i < argc && ns < 8; i++) sizes[ns++] = atoi(argv[i]);
    }
    int real_max = getenv("SDK_BENCH_REAL_MAX") ? atoi(getenv("SDK_BENCH_REAL_MAX")) : 100;
    if (access("bin/scheduler", X_OK) || access("bin/localcluster", X_OK)) {
        fprintf(stderr, "bench/deploy: run `make` first (needs bin/scheduler and bin/localcluster)\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    printf("bench/deploy: hello-style pods (volume + one RUNNING task), parallel plan, 100 ms allocation cycle\n");
    printf("reproduce: make all build/bench/deploy && build/bench/deploy %s\n\n", argc > 1 ? "N..." : "100 1000 10000");
    printf("%-6s %-6s %-10s %10s %10s %14s %14s %14s %14s %14s %10s\n", "pods", "agents", "executor", "deploy (s)",
           "launches/s", "sched RSS peak", "RSS deployed", "of it anon", "sched CPU (s)", "cluster CPU (s)",
           "cold (ms)");
    int bad = 0;
    for (int i = 0; i < ns; i++) {
        for (int sim = 1; sim >= 0; sim--) {
            if (!sim && sizes[i] > real_max) continue;
            double secs, rate, scpu, ccpu, cold;
            long rss, rss_end, anon_end;
            if (run(sizes[i], sim, &secs, &rate, &rss, &rss_end, &anon_end, &scpu, &ccpu, &cold)) { bad = 1; continue; }
            printf("%-6d %-6d %-10s %10.2f %10.0f %11.1f MB %11.1f MB %11.1f MB %14.2f %14.2f %10.1f\n", sizes[i],
                   agents_for(sizes[i]), sim ? "simulated" : "processes", secs, rate, rss / 1024.0, rss_end / 1024.0,
                   anon_end / 1024.0, scpu, ccpu, cold);
            fflush(stdout);
            if (!sim) continue;
            char *cmd = sdk_asprintf_new("make all build/bench/deploy && SDK_BENCH_REAL_MAX=0 build/bench/deploy %d", sizes[i]);
            if (sizes[i] == 1000) {
                bench_row("rss_anon_mb_1k", anon_end / 1024.0, "MB", cmd);
                bench_row("vm_rss_mb_1k", rss_end / 1024.0, "MB", cmd);
                bench_row("vm_hwm_mb_1k", rss / 1024.0, "MB", cmd);
                if (cold >= 0) bench_row("cold_start_ms", cold, "ms", cmd);
            }
            if (sizes[i] == 10000) {
                bench_row("rss_anon_mb_10k", anon_end / 1024.0, "MB", cmd);
                bench_row("vm_rss_mb_10k", rss_end / 1024.0, "MB", cmd);
                if (agents_for(sizes[i]) >= 2000) bench_row("launches_per_s_10k", rate, "launches/s", cmd);
            }
            free(cmd);
        }
    }
    printf("\nRSS peak: the scheduler's VmHWM at deploy COMPLETE; RSS deployed: its VmRSS 1.5 s later;\n"
           "of it anon: its RssAnon then (heap and stacks; the rest is pages of the program and its\n"
           "libraries, about 10 MB, most of them libcrypto, libc and libgnutls, shared with other processes).\n"
           "CPU columns: seconds each process used from its start to deploy COMPLETE (less noisy than\n"
           "wall time on a shared machine). cold: exec to /v1/health's first answer.\n"
           "targets (make bench's table): RssAnon <= 8 MB at 1,000 pods and <= 48 MB at 10,000;\n"
           ">= 5,000 launches/s for 10,000 pods on 2,000 agents; cold start <= 20 ms\n");
    curl_global_cleanup();
    return bad;
}
