/* The operator event stream: the bus (order, nested publish, unsubscribe while delivering, ring
 * replay), the plan watch (no repeated plan summary), the console text, and GET /v1/events as
 * Server-Sent Events (delivery, Last-Event-ID resume, gap report, a slow client dropped without
 * stalling the loop). */
#include "check.h"
#include "core/api/sdk_api.h"
#include "core/api/server.h"
#include "core/events/events.h"
#include "core/events/planwatch.h"
#include "core/loop/loop.h"
#include "core/util/str.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct rec {
    sdk_events *bus;
    char log[4096];
    uint64_t self;
    int nested;
} rec;

static void record(const sdk_event *e, void *ud) {
    rec *r = ud;
    char *t = sdk_event_text_new(e);
    size_t len = strlen(r->log);
    snprintf(r->log + len, sizeof r->log - len, "[%" PRIu64 " %s]", e->id, sdk_event_type_name(e->type));
    free(t);
    /* the first event makes a nested one: it must arrive after this one, not inside it */
    if (r->nested == 0 && e->type == SDK_EV_STEP) {
        r->nested = 1;
        sdk_events_publish(r->bus, SDK_EV_PLAN, "plan", "deploy", NULL);
    }
}

static void drop_self(const sdk_event *e, void *ud) {
    (void)e;
    rec *r = ud;
    size_t len = strlen(r->log);
    snprintf(r->log + len, sizeof r->log - len, "<x>");
    sdk_events_unsubscribe(r->bus, r->self);
}

static void test_bus_order_nested_unsubscribe(void) {
    sdk_events *b = sdk_events_new(8, NULL, NULL);
    rec a = {.bus = b}, x = {.bus = b};
    sdk_events_subscribe(b, record, &a);
    x.self = sdk_events_subscribe(b, drop_self, &x);
    CHECK_INT(sdk_events_publish(b, SDK_EV_STEP, "step", "s", NULL), 1);
    CHECK_STR(a.log, "[1 step][2 plan]");
    CHECK_STR(x.log, "<x>"); /* removed itself during the first delivery: nothing more */
    sdk_events_publish(b, SDK_EV_PAUSE, "pod", "hello-0", NULL);
    CHECK_STR(x.log, "<x>");
    CHECK_STR(a.log, "[1 step][2 plan][3 pause]");
    CHECK_INT(sdk_events_last_id(b), 3);
    sdk_events_free(b);
}

static void collect(const sdk_event *e, void *ud) {
    char *s = ud;
    size_t len = strlen(s);
    snprintf(s + len, 256 - len, "%" PRIu64 " ", e->id);
}

static void test_ring_replay(void) {
    sdk_events *b = sdk_events_new(4, NULL, NULL);
    for (int i = 0; i < 10; i++) sdk_events_publish(b, SDK_EV_STEP, "n", "x", NULL);
    char got[256] = "";
    CHECK(sdk_events_replay(b, 8, collect, got));
    CHECK_STR(got, "9 10 ");
    got[0] = 0;
    CHECK(!sdk_events_replay(b, 2, collect, got)); /* 3..6 are gone */
    CHECK_STR(got, "7 8 9 10 ");
    got[0] = 0;
    CHECK(sdk_events_replay(b, 10, collect, got));
    CHECK_STR(got, "");
    sdk_events_free(b);
}

static double fixed_clock(void *arg) {
    (void)arg;
    return 1765057238.25; /* 2025-12-06T21:40:38.250Z */
}

static void grab(const sdk_event *ev, void *ud) {
    char **o = ud;
    free(o[0]);
    free(o[1]);
    o[0] = sdk_event_json_new(ev);
    o[1] = sdk_event_text_new(ev);
}

static void test_json_and_text(void) {
    sdk_events *b = sdk_events_new(4, fixed_clock, NULL);
    rec r = {.bus = b, .nested = 1};
    sdk_events_subscribe(b, record, &r);
    sdk_events_publish(b, SDK_EV_TASK_FAILED, "task", "hello-0-server", "state", "TASK_FAILED", "exit_status", "3",
                       "message", NULL, "delay_s", "60", NULL);
    char *o[2] = {NULL, NULL}; /* the JSON of the one event, and its console line */
    sdk_events_replay(b, 0, grab, o);
    CHECK_STR(o[0], "{\"id\":1,\"type\":\"task-failed\",\"time\":\"2025-12-06T21:40:38.250Z\",\"fields\":{\"task\":"
                      "\"hello-0-server\",\"state\":\"TASK_FAILED\",\"exit_status\":\"3\",\"delay_s\":\"60\"}}");
    CHECK_STR(o[1], "hello-0-server failed: TASK_FAILED, exit status 3; next launch in 60 s (crash-loop backoff)");
    free(o[0]);
    free(o[1]);
    char when[16];
    sdk_event_clock_text(fixed_clock(NULL), when, sizeof when);
    CHECK_STR(when, "21:40:38");
    sdk_events_free(b);
}

/* A plan summary is published when it changes, never twice the same. */
static void test_plan_summary_not_repeated(void) {
    sdk_events *b = sdk_events_new(64, NULL, NULL);
    rec r = {.bus = b, .nested = 1};
    sdk_events_subscribe(b, record, &r);
    sdk_plan_watch *w = sdk_plan_watch_new(b);
    sdk_plan *p = sdk_plan_new("deploy", SDK_STRATEGY_SERIAL);
    sdk_phase *ph = sdk_phase_new("hello", SDK_STRATEGY_SERIAL);
    sdk_step *s1 = sdk_step_generic_new("one", NULL, SDK_ACTION_NONE, NULL, SDK_STATUS_PENDING);
    sdk_step *s2 = sdk_step_generic_new("two", NULL, SDK_ACTION_NONE, NULL, SDK_STATUS_PENDING);
    sdk_phase_add_step_take(ph, s1);
    sdk_phase_add_step_take(ph, s2);
    sdk_plan_add_phase_take(p, ph);
    sdk_plan_watch_update(w, p);
    CHECK_STR(r.log, "[1 plan]");
    sdk_plan_watch_update(w, p);
    sdk_plan_watch_update(w, p);
    CHECK_STR(r.log, "[1 plan]"); /* unchanged: nothing */
    sdk_step_set_status(s1, SDK_STATUS_COMPLETE);
    sdk_plan_watch_update(w, p);
    CHECK_STR(r.log, "[1 plan][2 step][3 plan]");
    sdk_plan_watch_update(w, p);
    CHECK_STR(r.log, "[1 plan][2 step][3 plan]");
    sdk_plan_watch_free(w);
    sdk_plan_free(p);
    sdk_events_free(b);
}

/* ---- /v1/events over a real server on loopback ---- */

typedef struct sse_world {
    sdk_loop *loop;
    sdk_http_server *srv;
    sdk_api api; /* only what routes_events.c reads: events and loop */
    sdk_events *bus;
    int port;
} sse_world;

static int sse_world_open(sse_world *w, size_t ring) {
    memset(w, 0, sizeof *w);
    sdk_errors e;
    sdk_errors_init(&e);
    if (sdk_loop_new(&w->loop)) return -1;
    sdk_http_server_opts o = {.bind = "127.0.0.1:0"};
    if (sdk_http_server_new(w->loop, &o, &e, &w->srv)) return -1;
    w->bus = sdk_events_new(ring, NULL, NULL);
    w->api.events = w->bus;
    w->api.loop = w->loop;
    int rc = sdk_http_server_route(w->srv, "GET", "/v1/events", sdk_api_event_routes[0].h, &w->api, &e);
    sdk_errors_free(&e);
    w->port = sdk_http_server_port(w->srv);
    return rc;
}

static void sse_world_close(sse_world *w) {
    sdk_http_server_free(w->srv);
    sdk_api_events_free(&w->api);
    sdk_events_free(w->bus);
    sdk_loop_free(w->loop);
}

static int sse_connect(sse_world *w, const char *extra, int rcvbuf) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)w->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return -1;
    }
    char *req = sdk_asprintf_new("GET /v1/events HTTP/1.1\r\nHost: x\r\n%s\r\n", extra ? extra : "");
    ssize_t n = write(fd, req, strlen(req));
    (void)n;
    free(req);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* Runs the loop and reads fd into buf until it contains `want` (or EOF / 3 s). */
static bool sse_read_until(sse_world *w, int fd, sdk_buf *buf, const char *want) {
    for (int i = 0; i < 300; i++) {
        sdk_loop_run_once(w->loop, 10);
        char tmp[8192];
        ssize_t n;
        while ((n = read(fd, tmp, sizeof tmp)) > 0) sdk_buf_append(buf, tmp, (size_t)n);
        sdk_buf_putc(buf, 0);
        buf->len--;
        if (strstr(buf->data, want)) return true;
        if (n == 0) return false;
    }
    return false;
}

static void test_sse_delivers_and_resumes(void) {
    sse_world w;
    CHECK_INT(sse_world_open(&w, 64), 0);
    int fd = sse_connect(&w, NULL, 0);
    sdk_buf b;
    sdk_buf_init(&b);
    CHECK(sse_read_until(&w, fd, &b, "retry: 2000"));
    CHECK_CONTAINS(b.data, "Content-Type: text/event-stream");
    sdk_events_publish(w.bus, SDK_EV_STEP, "plan", "deploy", "phase", "hello", "step", "hello-0:[server]", "from",
                       "PENDING", "to", "STARTING", NULL);
    sdk_events_publish(w.bus, SDK_EV_WAITING, "plan", "deploy", "step", "node-0:[init]", "reason",
                       "ports: port 2181 not available", "declined", "54", NULL);
    CHECK(sse_read_until(&w, fd, &b, "event: waiting"));
    CHECK_CONTAINS(b.data, "id: 1\nevent: step\ndata: {\"id\":1,\"type\":\"step\",\"time\":\"");
    CHECK_CONTAINS(b.data, "\"fields\":{\"plan\":\"deploy\",\"phase\":\"hello\",\"step\":\"hello-0:[server]\"");
    CHECK_CONTAINS(b.data, "id: 2\nevent: waiting\ndata: ");
    CHECK_CONTAINS(b.data, "\"reason\":\"ports: port 2181 not available\",\"declined\":\"54\"");
    close(fd);
    /* a reconnecting client (EventSource sends Last-Event-ID) gets what it missed, then new ones */
    sdk_events_publish(w.bus, SDK_EV_PAUSE, "pod", "hello-0", NULL);
    int fd2 = sse_connect(&w, "Last-Event-ID: 1\r\n", 0);
    sdk_buf b2;
    sdk_buf_init(&b2);
    CHECK(sse_read_until(&w, fd2, &b2, "id: 3\n"));
    CHECK(!strstr(b2.data, "id: 1\n"));
    CHECK_CONTAINS(b2.data, "id: 2\nevent: waiting");
    sdk_events_publish(w.bus, SDK_EV_RESUME, "pod", "hello-0", NULL);
    CHECK(sse_read_until(&w, fd2, &b2, "id: 4\nevent: resume"));
    close(fd2);
    /* a bad Last-Event-ID is refused with its name */
    int fd3 = sse_connect(&w, "Last-Event-ID: abc\r\n", 0);
    sdk_buf b3;
    sdk_buf_init(&b3);
    CHECK(sse_read_until(&w, fd3, &b3, "not an event id"));
    CHECK_CONTAINS(b3.data, "HTTP/1.1 400");
    CHECK_CONTAINS(b3.data, "Last-Event-ID header: 'abc'");
    close(fd3);
    sdk_buf_free(&b);
    sdk_buf_free(&b2);
    sdk_buf_free(&b3);
    sse_world_close(&w);
}

static void test_sse_gap_reported(void) {
    sse_world w;
    CHECK_INT(sse_world_open(&w, 4), 0);
    for (int i = 0; i < 10; i++) sdk_events_publish(w.bus, SDK_EV_STEP, "step", "s", NULL);
    int fd = sse_connect(&w, "Last-Event-ID: 2\r\n", 0);
    sdk_buf b;
    sdk_buf_init(&b);
    CHECK(sse_read_until(&w, fd, &b, "id: 10\n"));
    CHECK_CONTAINS(b.data, "event: dropped\ndata: ");
    CHECK_CONTAINS(b.data, "4 event(s) after Last-Event-ID 2 were pushed out of the ring");
    const char *drop = strstr(b.data, "event: dropped"), *first = strstr(b.data, "id: 7\n");
    CHECK(drop && first && drop < first); /* the gap is told before what follows it */
    close(fd);
    sdk_buf_free(&b);
    sse_world_close(&w);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A client that stops reading never holds the loop: its backlog is bounded and, once over the
 * bound, it gets a final "dropped" event and its stream ends; a reading client keeps up. */
static void test_sse_slow_client_dropped(void) {
    sse_world w;
    CHECK_INT(sse_world_open(&w, 64), 0);
    int slow = sse_connect(&w, NULL, 4096);
    int good = sse_connect(&w, NULL, 0);
    sdk_buf bs, bg;
    sdk_buf_init(&bs);
    sdk_buf_init(&bg);
    CHECK(sse_read_until(&w, slow, &bs, "retry: 2000"));
    CHECK(sse_read_until(&w, good, &bg, "retry: 2000"));
    char big[2048];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    double t0 = now_s(), worst = 0;
    char tmp[65536];
    for (int i = 0; i < 2000; i++) {
        double a = now_s();
        sdk_events_publish(w.bus, SDK_EV_STEP, "step", big, NULL);
        sdk_loop_run_once(w.loop, 0);
        double d = now_s() - a;
        if (d > worst) worst = d;
        ssize_t n;
        while ((n = read(good, tmp, sizeof tmp)) > 0) sdk_buf_append(&bg, tmp, (size_t)n);
    }
    double total = now_s() - t0;
    /* 2000 events of 2 KiB = 4 MB for the slow client, far over its 256 KiB bound */
    CHECK_MSG(total < 5.0, "publishing took %.2f s", total);
    CHECK_MSG(worst < 0.5, "one publish + loop turn took %.3f s", worst);
    sdk_events_publish(w.bus, SDK_EV_PLAN, "plan", "after", NULL);
    CHECK(sse_read_until(&w, good, &bg, "\"plan\":\"after\""));
    CHECK(sse_read_until(&w, slow, &bs, "the client read too slowly"));
    CHECK_CONTAINS(bs.data, "event: dropped");
    /* and the slow client's stream then ends: the server closes it (chunked terminator, EOF) */
    CHECK(sse_read_until(&w, slow, &bs, "\r\n0\r\n\r\n"));
    printf("  slow client: 2000 events in %.3f s, worst publish+turn %.1f ms, backlog bound %d KiB\n", total,
           worst * 1000, SDK_EVENTS_CLIENT_MAX / 1024);
    close(slow);
    close(good);
    sdk_buf_free(&bs);
    sdk_buf_free(&bg);
    sse_world_close(&w);
}

int main(void) {
    RUN(test_bus_order_nested_unsubscribe);
    RUN(test_ring_replay);
    RUN(test_json_and_text);
    RUN(test_plan_summary_not_repeated);
    RUN(test_sse_delivers_and_resumes);
    RUN(test_sse_gap_reported);
    RUN(test_sse_slow_client_dropped);
    return check_summary("test_events");
}
