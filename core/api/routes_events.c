/* GET /v1/events: the operator event stream (core/events/events.h) as Server-Sent Events
 * (text/event-stream, https://html.spec.whatwg.org/multipage/server-sent-events.html).
 *
 * Each event is sent as
 *     id: <event id>
 *     event: <type>            ("step", "plan", "waiting", "task-failed", ...)
 *     data: {"id": ..., "type": ..., "time": "...Z", "fields": {...}}
 * followed by a blank line. A client that reconnects with "Last-Event-ID: N" (what a browser's
 * EventSource sends by itself), or asks ?last-event-id=N, first gets the events after N still
 * in the bus's ring; when some of them were already pushed out, a "dropped" event says how many
 * are missing before the rest. Without either it gets only new events (?last-event-id=0: the
 * whole ring first).
 *
 * A slow client never holds the loop: events are appended to its stream buffer without waiting;
 * once more than SDK_EVENTS_CLIENT_MAX bytes wait for it, it gets a final "dropped" event and
 * its stream ends (it may reconnect with Last-Event-ID). A comment line every 15 s keeps idle
 * connections (and proxies) open.
 */
#include "core/api/sdk_api.h"
#include "core/events/events.h"
#include "core/util/str.h"
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SDK_EVENTS_KEEPALIVE_MS 15000

typedef struct sse_client {
    struct sdk_api_events *owner;
    sdk_http_req *req;
    uint64_t sub;
    struct sse_client *prev, *next;
} sse_client;

struct sdk_api_events {
    sdk_api *api;
    sse_client *clients;
    uint64_t keepalive_id;
};

static void client_free(sse_client *c) {
    struct sdk_api_events *o = c->owner;
    sdk_events_unsubscribe(o->api->events, c->sub);
    if (c->prev) c->prev->next = c->next;
    else o->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    free(c);
}

static void write_event(sdk_http_req *req, const sdk_event *e) {
    char *json = sdk_event_json_new(e);
    char *frame = sdk_asprintf_new("id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", e->id, sdk_event_type_name(e->type), json);
    sdk_http_stream_write(req, frame, strlen(frame));
    free(frame);
    free(json);
}

/* A "dropped" event for one client only (it is not news for the others): id 0, not resumable. */
static void write_dropped(sdk_http_req *req, const char *cause, uint64_t resume_after) {
    char after[32];
    snprintf(after, sizeof after, "%" PRIu64, resume_after);
    sdk_event_field f[] = {{"cause", (char *)cause}, {"resume_after", after}};
    sdk_event e = {.id = 0, .type = SDK_EV_DROPPED, .fields = f, .n_fields = 2};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    e.time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    char *json = sdk_event_json_new(&e);
    char *frame = sdk_asprintf_new("event: dropped\ndata: %s\n\n", json);
    sdk_http_stream_write(req, frame, strlen(frame));
    free(frame);
    free(json);
}

static void on_event(const sdk_event *e, void *ud) {
    sse_client *c = ud;
    if (sdk_http_stream_pending(c->req) > SDK_EVENTS_CLIENT_MAX) {
        /* Too far behind: tell it where to resume from, and let it go. */
        write_dropped(c->req, "the client read too slowly; reconnect with Last-Event-ID", e->id - 1);
        sdk_http_stream_end(c->req);
        client_free(c);
        return;
    }
    write_event(c->req, e);
}

static void on_closed(sdk_http_req *req, void *ud) {
    (void)req;
    client_free(ud);
}

typedef struct replay_ctx {
    sdk_http_req *req;
    uint64_t after;
    bool first_seen;
} replay_ctx;

/* Replays one kept event; before the first, says how many the ring no longer had. */
static void replay_one(const sdk_event *e, void *ud) {
    replay_ctx *rc = ud;
    if (!rc->first_seen && e->id > rc->after + 1) {
        char *m = sdk_asprintf_new("%" PRIu64 " event(s) after Last-Event-ID %" PRIu64
                                   " were pushed out of the ring before the reconnection",
                                   e->id - rc->after - 1, rc->after);
        write_dropped(rc->req, m, e->id - 1);
        free(m);
    }
    rc->first_seen = true;
    write_event(rc->req, e);
}

static void on_keepalive(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    struct sdk_api_events *o = ud;
    for (sse_client *c = o->clients; c; c = c->next)
        if (sdk_http_stream_pending(c->req) <= SDK_EVENTS_CLIENT_MAX) sdk_http_stream_write(c->req, ": keepalive\n\n", 13);
}

/* A decimal event id; false for anything else (the request is then refused). */
static bool parse_id(const char *s, uint64_t *out) {
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19) return false;
    errno = 0;
    *out = strtoull(s, NULL, 10);
    return errno == 0;
}

static void h_events(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    if (!api->events) {
        sdk_api_respond_message(req, 404, "this scheduler publishes no event stream");
        return;
    }
    const char *last = sdk_http_req_header(req, "Last-Event-ID");
    const char *source = "the Last-Event-ID header";
    if (!last) {
        last = sdk_http_req_query(req, "last-event-id");
        source = "the last-event-id query parameter";
    }
    uint64_t after = 0;
    if (last && !parse_id(last, &after)) {
        char *m = sdk_asprintf_new("%s: '%s' is not an event id (a decimal number)", source, last);
        sdk_api_respond_message(req, 400, m);
        free(m);
        return;
    }
    if (sdk_http_stream_start(req, 200, "text/event-stream; charset=utf-8")) return;
    struct sdk_api_events *o = api->sse;
    if (!o) {
        o = api->sse = sdk_xcalloc(1, sizeof *o);
        o->api = api;
        if (api->loop) sdk_loop_timer_every(api->loop, SDK_EVENTS_KEEPALIVE_MS, on_keepalive, o, &o->keepalive_id);
    }
    sse_client *c = sdk_xcalloc(1, sizeof *c);
    c->owner = o;
    c->req = req;
    c->next = o->clients;
    if (o->clients) o->clients->prev = c;
    o->clients = c;
    sdk_http_stream_write(req, "retry: 2000\n\n", 13);
    if (last) {
        replay_ctx rc = {.req = req, .after = after};
        sdk_events_replay(api->events, after, replay_one, &rc);
    }
    c->sub = sdk_events_subscribe(api->events, on_event, c);
    sdk_http_req_on_close(req, on_closed, c);
}

void sdk_api_events_free(sdk_api *api) {
    struct sdk_api_events *o = api->sse;
    if (!o) return;
    while (o->clients) client_free(o->clients); /* the server is gone: its requests too */
    if (o->keepalive_id && api->loop) sdk_loop_timer_cancel(api->loop, o->keepalive_id);
    free(o);
    api->sse = NULL;
}

const sdk_api_route sdk_api_event_routes[] = {
    {"GET", "/v1/events", h_events, 0},
};
const size_t sdk_api_n_event_routes = sizeof sdk_api_event_routes / sizeof sdk_api_event_routes[0];
