/* bench/api: the REST API under load while the scheduler keeps processing offers.
 * A 1,000-step deploy plan on a local cluster that can hold only part of it (so the remaining
 * steps keep evaluating every offer), then `wrk` against GET /v1/plans/deploy twice: once as a
 * client that takes the body as it is, once sending Accept-Encoding: gzip. Prints requests/s,
 * p50/p99 latency and body size of each, and the scheduler's mean time per offer batch (its
 * offers.process timer) in a window without load and in each loaded window.
 *
 *   make bench        or        make && build/bench/api [seconds]      (needs wrk: Debian `wrk`)
 */
#include "core/util/str.h"
#include "tests/unit/e2e_support.c" /* processes, ports and HTTP, as the end-to-end tests use them */
#include "bench/bench_support.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The scheduler's offers.process timer: batches so far and their total time (mean x count), so
 * that a window's mean is the difference of two readings. */
static void offer_totals(const char *metrics_url, long *count, double *total_ms) {
    json_t *m = e2e_get_json(metrics_url, NULL);
    json_t *t = json_object_get(json_object_get(m, "timers"), "offers.process");
    *count = (long)json_integer_value(json_object_get(t, "count"));
    *total_ms = json_real_value(json_object_get(t, "mean")) * (double)*count;
    json_decref(m);
}

static double window_mean(long c0, double t0, long c1, double t1) { return c1 > c0 ? (t1 - t0) / (double)(c1 - c0) : 0; }


struct wrk_result {
    double rps;
    char p50[32], p99[32], body[32];
};

/* One wrk window against url with an optional extra header; the body size comes from curl. */
static void run_wrk(int secs, const char *url, const char *header, struct wrk_result *r) {
    memset(r, 0, sizeof *r);
    strcpy(r->p50, "?");
    strcpy(r->p99, "?");
    char *cmd = sdk_asprintf_new("wrk -t1 -c32 -d%ds --latency %s%s%s %s 2>&1", secs, header ? "-H '" : "",
                                 header ? header : "", header ? "'" : "", url);
    FILE *p = popen(cmd, "r");
    char line[512];
    while (p && fgets(line, sizeof line, p)) {
        if (sscanf(line, " Requests/sec: %lf", &r->rps) == 1) continue;
        if (sscanf(line, " 50%% %31s", r->p50) == 1) continue;
        sscanf(line, " 99%% %31s", r->p99);
    }
    if (p) pclose(p);
    free(cmd);
    cmd = sdk_asprintf_new("curl -s -o /dev/null -w '%%{size_download}' %s%s%s %s", header ? "-H '" : "",
                           header ? header : "", header ? "'" : "", url);
    p = popen(cmd, "r");
    if (p && fgets(line, sizeof line, p)) snprintf(r->body, sizeof r->body, "%.31s", line);
    if (p) pclose(p);
    free(cmd);
}

int main(int argc, char **argv) {
    setenv("SDK_LOG", "warn", 0); /* measure the processes, not their logging (SDK_LOG set outside wins) */
    int secs = argc > 1 ? atoi(argv[1]) : 10;
    if (access("bin/scheduler", X_OK) || access("bin/localcluster", X_OK)) {
        fprintf(stderr, "bench/api: run `make` first (needs bin/scheduler and bin/localcluster)\n");
        return 1;
    }
    if (system("command -v wrk >/dev/null 2>&1")) {
        fprintf(stderr, "bench/api: needs wrk (bash scripts/install-deps.sh installs it)\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    bench_busy bw;
    if (bench_busy_start(&bw, "api")) return 1;
    char *metrics = sdk_asprintf_new("%s/v1/metrics", bw.base);
    char *plan = sdk_asprintf_new("%s/v1/plans/deploy", bw.base);
    long c0, c1, c2, c3;
    double t0, t1, t2, t3;
    offer_totals(metrics, &c0, &t0);
    sleep((unsigned)secs); /* the same window without load, for comparison */
    offer_totals(metrics, &c1, &t1);
    /* Two windows of load: clients that take the body as it is, and clients that accept gzip
     * (curl --compressed, Python requests as the dcos CLI uses, sdkctl). */
    struct wrk_result w[2];
    run_wrk(secs, plan, NULL, &w[0]);
    offer_totals(metrics, &c2, &t2);
    run_wrk(secs, plan, "Accept-Encoding: gzip", &w[1]);
    offer_totals(metrics, &c3, &t3);
    json_t *pj = e2e_get_json(plan, NULL);
    size_t steps = 0, i;
    json_t *ph;
    json_array_foreach(json_object_get(pj, "phases"), i, ph) steps += json_array_size(json_object_get(ph, "steps"));
    json_decref(pj);
    printf("bench/api: GET /v1/plans/deploy (%zu steps) under wrk -t1 -c32 (one core for the load, one for the scheduler) for %d s, while the scheduler "
           "evaluates offers for the steps that do not fit\n", steps, secs);
    printf("reproduce: make && build/bench/api %d\n\n", secs);
    printf("%-28s %12s %12s\n", "API", "identity", "gzip");
    printf("%-28s %12.0f %12.0f\n", "  requests/s", w[0].rps, w[1].rps);
    printf("%-28s %12s %12s\n", "  latency p50", w[0].p50, w[1].p50);
    printf("%-28s %12s %12s\n", "  latency p99", w[0].p99, w[1].p99);
    printf("%-28s %12s %12s\n", "  body bytes", w[0].body, w[1].body);
    printf("\n%-28s %12s %12s %12s\n", "offer batch processing", "no load", "identity", "gzip");
    printf("%-28s %9.2f ms %9.2f ms %9.2f ms\n", "  mean per batch", window_mean(c0, t0, c1, t1),
           window_mean(c1, t1, c2, t2), window_mean(c2, t2, c3, t3));
    printf("%-28s %12ld %12ld %12ld\n", "  offer batches in window", c1 - c0, c2 - c1, c3 - c2);
    printf("\ntargets: >= 20,000 requests/s on loopback; offer latency within 2x of the unloaded figure\n"
           "(each response is the whole 1,000-step plan: about 300 KB of JSON, or its gzip copy, made\n"
           "once per plan change, for clients that send Accept-Encoding: gzip)\n");
    char *cmd = sdk_asprintf_new("make all build/bench/api && build/bench/api %d", secs);
    bool up = bench_alive(&bw.cl, "the local cluster", bw.clog) && bench_alive(&bw.sp, "the scheduler", bw.slog);
    if (up && w[1].rps > 0) bench_row("api_req_per_s_1k_steps", w[1].rps, "req/s", cmd);
    if (up && w[0].rps > 0) bench_row("api_req_per_s_1k_steps_identity", w[0].rps, "req/s", cmd);
    free(cmd);
    bench_busy_stop(&bw);
    free(metrics);
    free(plan);
    curl_global_cleanup();
    return up && w[0].rps > 0 && w[1].rps > 0 ? 0 : 1;
}
