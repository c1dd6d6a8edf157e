/* bench/api: the REST API under load while the scheduler keeps processing offers.
 * A 1,000-step deploy plan on a local cluster that can hold only part of it (so the remaining
 * steps keep evaluating every offer), then `wrk` against GET /v1/plans/deploy. Prints requests/s
 * and p50/p99 latency of the API, and the offer-processing time (p50/p99 of the scheduler's
 * offers.process timer) before and during the load.
 *
 *   make bench        or        make && build/bench/api [seconds]      (needs wrk: Debian `wrk`)
 */
#include "core/util/str.h"
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

static unsigned free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) {}
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

static size_t collect(char *p, size_t s, size_t n, void *ud) {
    sdk_buf_append(ud, p, s * n);
    return s * n;
}

static json_t *get_json(const char *url) {
    CURL *c = curl_easy_init();
    sdk_buf b;
    sdk_buf_init(&b);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    json_t *j = NULL;
    if (curl_easy_perform(c) == CURLE_OK && b.data) j = json_loads(b.data, 0, NULL);
    curl_easy_cleanup(c);
    sdk_buf_free(&b);
    return j;
}

static pid_t spawn(char *const argv[], const char *log) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static void offer_times(const char *metrics_url, double *p50, double *p99, long *count) {
    json_t *m = get_json(metrics_url);
    json_t *t = json_object_get(json_object_get(m, "timers"), "offers.process");
    *p50 = json_real_value(json_object_get(t, "p50"));
    *p99 = json_real_value(json_object_get(t, "p99"));
    *count = (long)json_integer_value(json_object_get(t, "count"));
    json_decref(m);
}

int main(int argc, char **argv) {
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
    char dir[] = "/tmp/sdk-bench-api-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    unsigned mport = free_port(), aport = free_port();
    char ps[16], ap[32], master[64];
    snprintf(ps, sizeof ps, "%u", mport);
    snprintf(ap, sizeof ap, "127.0.0.1:%u", aport);
    snprintf(master, sizeof master, "http://127.0.0.1:%u", mport);
    char *cdir = sdk_asprintf_new("%s/cluster", dir), *wdir = sdk_asprintf_new("%s/sched", dir);
    char *clog = sdk_asprintf_new("%s/cluster.log", dir), *slog = sdk_asprintf_new("%s/scheduler.log", dir);
    /* 20 agents with room for 25 pods each: 500 of the 1,000 steps launch, the rest keep evaluating offers */
    char *lc[] = {"bin/localcluster", "--port", ps, "--workdir", cdir, "--agents", "20",
                  "--agent-resources", "cpus:0.75;mem:1000;disk:100000;ports:[10000-20000]",
                  "--allocation-interval-ms", "100", "--simulate-tasks", NULL};
    pid_t cl = spawn(lc, clog);
    usleep(300000);
    char *sc[] = {"bin/scheduler", "--spec", "bench/deploy.yml", "-o", "COUNT=1000", "--master", master,
                  "--workdir", wdir, "--api", ap, NULL};
    pid_t sp = spawn(sc, slog);
    char *metrics = sdk_asprintf_new("http://%s/v1/metrics", ap);
    char *plan = sdk_asprintf_new("http://%s/v1/plans/deploy", ap);
    sleep(8); /* subscribe and fill the cluster */
    double b50, b99, l50, l99;
    long b0, bn, ln;
    offer_times(metrics, &b50, &b99, &b0);
    sleep((unsigned)secs); /* the same window without load, for comparison */
    offer_times(metrics, &b50, &b99, &bn);
    char *cmd = sdk_asprintf_new("wrk -t2 -c32 -d%ds --latency %s 2>&1", secs, plan);
    FILE *p = popen(cmd, "r");
    char line[512];
    double rps = 0;
    char p50s[32] = "?", p99s[32] = "?";
    while (p && fgets(line, sizeof line, p)) {
        if (sscanf(line, " Requests/sec: %lf", &rps) == 1) continue;
        if (sscanf(line, " 50%% %31s", p50s) == 1) continue;
        sscanf(line, " 99%% %31s", p99s);
    }
    if (p) pclose(p);
    offer_times(metrics, &l50, &l99, &ln);
    json_t *pj = get_json(plan);
    size_t steps = 0, i;
    json_t *ph;
    json_array_foreach(json_object_get(pj, "phases"), i, ph) steps += json_array_size(json_object_get(ph, "steps"));
    json_decref(pj);
    printf("bench/api: GET /v1/plans/deploy (%zu steps) under wrk -t2 -c32 for %d s, while the scheduler "
           "evaluates offers for the steps that do not fit\n", steps, secs);
    printf("reproduce: make && build/bench/api %d\n\n", secs);
    printf("%-28s %12s\n", "API requests/s", "");
    printf("%-28s %12.0f\n", "  requests/s", rps);
    printf("%-28s %12s\n", "  latency p50", p50s);
    printf("%-28s %12s\n", "  latency p99", p99s);
    printf("%-28s %12s %12s\n", "offer batch processing", "before", "under load");
    printf("%-28s %10.2f ms %10.2f ms\n", "  p50", b50, l50);
    printf("%-28s %10.2f ms %10.2f ms\n", "  p99", b99, l99);
    printf("%-28s %12ld %12ld\n", "  offer batches in window", bn - b0, ln - bn);
    printf("\ntargets: >= 20,000 requests/s on loopback; offer latency within 2x of the unloaded figure\n"
           "(each response here is the whole 1,000-step plan, about 250 KB of JSON)\n");
    kill(sp, SIGINT);
    for (int k = 0; k < 100 && waitpid(sp, NULL, WNOHANG) != sp; k++) usleep(50000);
    kill(cl, SIGTERM);
    waitpid(cl, NULL, 0);
    char *rm = sdk_asprintf_new("rm -rf %s", dir);
    if (system(rm)) {}
    free(rm); free(cmd); free(metrics); free(plan); free(cdir); free(wdir); free(clog); free(slog);
    curl_global_cleanup();
    return rps > 0 ? 0 : 1;
}
