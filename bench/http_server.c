/* Benchmark: requests/s of the loop-driven HTTP server for a small pretty-printed JSON GET, with
 * N concurrent keep-alive connections. The server runs on the main thread's loop; the client is
 * sdk_curl on a second thread with its own loop (so both share 2 cores, as on a small VM).
 * If `wrk` is installed it is run against the same server for comparison.
 *
 *   usage: build/bench/http_server [SECONDS_PER_ROW (default 2)]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/api/server.h"
#include "core/loop/curl_glue.h"
#include "core/loop/loop.h"
#include "core/util/log.h"
#include "core/util/str.h"

static void h_json(sdk_http_req *req, void *ud) {
    (void)ud;
    json_t *j = json_pack("{s:s, s:s, s:[s]}", "phase", "hello", "status", "COMPLETE", "steps", "hello-0:[server]");
    sdk_http_respond_json(req, 200, j);
    json_decref(j);
}

typedef struct client {
    sdk_loop *server_loop, *loop;
    sdk_curl *cu;
    char url[128];
    int conns;
    double seconds;
    uint64_t t_end;
    long done, errors;
    double elapsed;
    const char *wrk_cmd; /* run wrk instead of the curl client */
    char wrk_out[4096];
} client;

static size_t sink(char *p, size_t s, size_t n, void *ud) {
    (void)p, (void)ud;
    return s * n;
}

static void on_done(sdk_curl *cu, CURL *e, CURLcode res, void *ud) {
    client *c = ud;
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (res == CURLE_OK && status == 200) c->done++;
    else c->errors++;
    if (sdk_loop_now_ms(c->loop) < c->t_end) sdk_curl_add(cu, e, on_done, c);
    else {
        curl_easy_cleanup(e);
        if (sdk_curl_running(cu) == 0) sdk_loop_stop(c->loop);
    }
}

static void stop_server(sdk_loop *l, void *ud) {
    (void)ud;
    sdk_loop_stop(l);
}

static void *client_main(void *arg) {
    client *c = arg;
    if (c->wrk_cmd) {
        FILE *p = popen(c->wrk_cmd, "r");
        size_t n = p ? fread(c->wrk_out, 1, sizeof c->wrk_out - 1, p) : 0;
        c->wrk_out[n] = 0;
        if (p) pclose(p);
        sdk_loop_post(c->server_loop, stop_server, NULL);
        return NULL;
    }
    sdk_loop_new(&c->loop);
    sdk_curl_new(c->loop, &c->cu);
    uint64_t t0 = sdk_loop_now_ms(c->loop);
    c->t_end = t0 + (uint64_t)(c->seconds * 1000);
    for (int i = 0; i < c->conns; i++) {
        CURL *e = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_URL, c->url);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
        sdk_curl_add(c->cu, e, on_done, c);
    }
    sdk_loop_run(c->loop);
    c->elapsed = (double)(sdk_loop_now_ms(c->loop) - t0) / 1000.0;
    sdk_curl_free(c->cu);
    sdk_loop_free(c->loop);
    sdk_loop_post(c->server_loop, stop_server, NULL);
    return NULL;
}

int main(int argc, char **argv) {
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    if (secs <= 0) secs = 2.0;
    sdk_log_set_level(SDK_LOG_WARN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sdk_loop *l;
    sdk_loop_new(&l);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_http_server *s;
    if (sdk_http_server_new(l, NULL, &errs, &s) != 0) {
        sdk_errors_print(&errs, "bench");
        return 1;
    }
    sdk_http_server_route(s, "GET", "/v1/plans/{plan}", h_json, NULL, &errs);
    unsigned port = sdk_http_server_port(s);
    printf("HTTP server benchmark: GET /v1/plans/deploy (pretty JSON, ~90 bytes), keep-alive, %.1f s per row\n", secs);
    printf("reproduce: make build/bench/http_server && build/bench/http_server %.1f\n\n", secs);
    printf("%-28s %6s %12s %8s\n", "client", "conns", "requests/s", "errors");
    int conns[] = {1, 16, 64};
    for (size_t i = 0; i < sizeof conns / sizeof conns[0]; i++) {
        client c = {.server_loop = l, .conns = conns[i], .seconds = secs};
        snprintf(c.url, sizeof c.url, "http://127.0.0.1:%u/v1/plans/deploy", port);
        pthread_t th;
        pthread_create(&th, NULL, client_main, &c);
        sdk_loop_run(l);
        pthread_join(th, NULL);
        printf("%-28s %6d %12.0f %8ld\n", "libcurl multi (2nd thread)", c.conns, (double)c.done / c.elapsed, c.errors);
    }
    if (system("command -v wrk >/dev/null 2>&1") == 0) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "wrk -t1 -c64 -d%.0fs http://127.0.0.1:%u/v1/plans/deploy 2>&1", secs < 1 ? 1 : secs,
                 port);
        client c = {.server_loop = l, .wrk_cmd = cmd};
        pthread_t th;
        pthread_create(&th, NULL, client_main, &c);
        sdk_loop_run(l);
        pthread_join(th, NULL);
        const char *rps = strstr(c.wrk_out, "Requests/sec:");
        double v = rps ? atof(rps + 13) : 0;
        printf("%-28s %6d %12.0f %8s\n", "wrk -t1", 64, v, "-");
        printf("\nwrk command: %s\n", cmd);
    } else {
        printf("\n(wrk not installed: no comparison row)\n");
    }
    sdk_http_server_free(s);
    sdk_errors_free(&errs);
    sdk_loop_free(l);
    return 0;
}
