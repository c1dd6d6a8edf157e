/* Mesos v1 scheduler HTTP client (see client.h).
 *
 * Shape: one CURL easy handle for the subscription stream (write callback -> RecordIO decoder
 * -> decoded, validated Event queued), a zero-delay loop timer that dispatches queued events to
 * the callbacks (curl forbids adding transfers from inside its write callback, and the
 * callbacks make calls), calls sent in order with at most MAX_CALLS_IN_FLIGHT at a time (the
 * rest wait in a FIFO, packed: a burst of a thousand acknowledgements costs a thousand small
 * buffers, not a thousand transfers with their own connections and buffers), one short-lived
 * easy handle per running call (curl's connection cache keeps the call connections alive; the
 * stream handle never shares its connection), and timers for backoff, the heartbeat watchdog
 * and throttled revives. */
#include "core/mesos/client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/loop/curl_glue.h"
#include "core/loop/curl_lib.h" /* libcurl through dlopen (the scheduler is not linked with it) */
#include "core/mesos/detect.h"
#include "core/mesos/launch_pb.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include "mesos/proto/mesos.pb-c.h"
#include "mesos/proto/scheduler.pb-c.h"
#include "mesos/recordio.h"
#include "mesos/resources_pb.h"

#define MOD "mesos.client"
#define API_PATH "/api/v1/scheduler"
#define PROTOBUF_CT "application/x-protobuf"
#define ERR_BODY_MAX 2048
#define DEFAULT_HEARTBEAT_S 15.0
#define MAX_CALLS_IN_FLIGHT 16

typedef Mesos__V1__Scheduler__Call Call;
typedef Mesos__V1__Scheduler__Event Event;

enum { ST_NEW, ST_IDLE, ST_BACKOFF, ST_SUBSCRIBING, ST_SUBSCRIBED, ST_STOPPED };

typedef struct call_ctx {
    sdk_mesos_client *c;
    CURL *easy; /* NULL while waiting in the queue */
    struct curl_slist *hdrs;
    char *what;
    void *body;
    size_t len;
    sdk_buf resp;
    struct call_ctx *prev, *next; /* in c->calls (running) or c->waiting */
} call_ctx;

typedef struct queued_event {
    Event *ev;
    struct queued_event *next;
} queued_event;

struct sdk_mesos_client {
    sdk_loop *loop;
    sdk_curl *curl;
    sdk_master_detector *det;
    /* options (owned copies) */
    char *master, *name, *user, *principal, *webui_url, *hostname;
    char **roles;
    size_t n_roles;
    double failover_timeout_s;
    bool gpu_resources, region_aware;
    sdk_mesos_callbacks cb;
    unsigned hb_timeout_opt_ms, backoff_initial_ms, backoff_max_ms, leader_delay_max_ms, call_timeout_ms,
        connect_timeout_ms, revive_capacity, revive_refill_ms, revive_min_interval_ms, max_redirects;
    /* subscription */
    int state;
    char *leader;        /* detected "scheme://host:port" */
    char *redirect;      /* from a 307, used instead of leader until a failure */
    unsigned n_redirects;
    char *target;        /* base URL of the current / last SUBSCRIBE */
    char *framework_id;
    char *stream_id;
    unsigned attempts;
    unsigned hb_timeout_ms;
    uint64_t last_event_ms;
    /* stream transfer */
    CURL *stream;
    bool stream_running;
    struct curl_slist *stream_hdrs;
    void *sub_body;
    long status;         /* from the status line of the current response */
    char *location, *hdr_stream_id, *content_type;
    sdk_buf err_body;
    sdk_recordio_decoder dec;
    char *stream_fail;   /* why we aborted the stream from the write callback */
    /* events decoded but not yet dispatched */
    queued_event *q_head, *q_tail;
    /* timers */
    uint64_t dispatch_timer, backoff_timer, watchdog_timer, revive_timer;
    /* offers outstanding in this subscription */
    char **offers;
    size_t n_offers, cap_offers;
    /* revive / suppress */
    bool suppressed, revive_pending, revived_ever;
    bool leader_seen;    /* a leading master was detected before (later ones are changes) */
    unsigned tokens;
    uint64_t refill_anchor_ms, last_revive_ms;
    call_ctx *calls;                   /* running, at most MAX_CALLS_IN_FLIGHT */
    call_ctx *waiting, *waiting_tail;  /* packed calls not yet started, oldest first */
    unsigned n_running;
    sdk_mesos_client_metrics m;
};

static void schedule_subscribe(sdk_mesos_client *c, uint64_t delay_ms);
static void try_revive(sdk_mesos_client *c);

/* ------------------------------------------------------------------ small helpers */

static uint64_t now_ms(const sdk_mesos_client *c) { return sdk_loop_now_ms(c->loop); }

static void set_str(char **dst, const char *v) {
    char *n = sdk_xstrdup(v);
    free(*dst);
    *dst = n;
}

static uint64_t rand_below(uint64_t n) {
    if (n == 0) return 0;
    uint64_t r;
    sdk_random_bytes(&r, sizeof r);
    return r % n;
}

static uint64_t backoff_next(sdk_mesos_client *c) {
    uint64_t d = c->backoff_initial_ms;
    for (unsigned i = 0; i < c->attempts && d < c->backoff_max_ms; i++) d *= 2;
    if (d > c->backoff_max_ms) d = c->backoff_max_ms;
    c->attempts++;
    return d / 2 + rand_below(d / 2 + 1); /* jitter: [d/2, d] */
}

static void cancel_timer(sdk_mesos_client *c, uint64_t *id) {
    if (*id) sdk_loop_timer_cancel(c->loop, *id);
    *id = 0;
}

static void offers_clear(sdk_mesos_client *c) {
    for (size_t i = 0; i < c->n_offers; i++) free(c->offers[i]);
    c->n_offers = 0;
}

static void offers_add(sdk_mesos_client *c, const char *id) {
    if (c->n_offers == c->cap_offers) {
        c->cap_offers = c->cap_offers ? c->cap_offers * 2 : 16;
        c->offers = sdk_xrealloc(c->offers, c->cap_offers * sizeof *c->offers);
    }
    c->offers[c->n_offers++] = sdk_xstrdup(id);
}

/* Removes id; false when it was not outstanding. */
static bool offers_remove(sdk_mesos_client *c, const char *id) {
    for (size_t i = 0; i < c->n_offers; i++) {
        if (strcmp(c->offers[i], id)) continue;
        free(c->offers[i]);
        c->offers[i] = c->offers[--c->n_offers];
        return true;
    }
    return false;
}

static void queue_clear(sdk_mesos_client *c) {
    while (c->q_head) {
        queued_event *q = c->q_head;
        c->q_head = q->next;
        mesos__v1__scheduler__event__free_unpacked(q->ev, NULL);
        free(q);
    }
    c->q_tail = NULL;
}

/* ------------------------------------------------------------------ event conversion */

static void offer_from_pb(sdk_offer *o, const Mesos__V1__Offer *pb) {
    memset(o, 0, sizeof *o);
    o->id = sdk_xstrdup(pb->id->value);
    o->agent_id = sdk_xstrdup(pb->agent_id->value);
    o->hostname = sdk_xstrdup(pb->hostname);
    sdk_resources_init(&o->resources);
    for (size_t i = 0; i < pb->n_attributes; i++) {
        char *v = sdk_attribute_value_to_string_new(pb->attributes[i]);
        sdk_offer_add_attr(o, pb->attributes[i]->name, v);
        free(v);
    }
    const Mesos__V1__DomainInfo__FaultDomain *fd = pb->domain ? pb->domain->fault_domain : NULL;
    if (fd) {
        o->region = sdk_xstrdup(fd->region->name);
        o->zone = sdk_xstrdup(fd->zone->name);
    }
    /* Offer.url names the agent's libprocess endpoint (http://IP:5051/slave(1)); the agent's
     * /state and /files/... answer at its root (Mesos src/slave/slave.cpp, src/files/files.cpp). */
    const Mesos__V1__URL *u = pb->url;
    if (u && u->address && u->address->port > 0) {
        const char *host = u->address->ip && *u->address->ip ? u->address->ip : u->address->hostname;
        if (host && *host)
            o->agent_url = sdk_asprintf_new("%s://%s:%d", u->scheme && *u->scheme ? u->scheme : "http", host,
                                            (int)u->address->port);
    }
    /* One resource the SDK cannot represent (revocable, shared, ...) must not cost the whole
     * offer: it is left out (never accepted) and named in the log. */
    for (size_t i = 0; i < pb->n_resources; i++) {
        sdk_resource r;
        sdk_errors e;
        sdk_errors_init(&e);
        if (sdk_resource_from_pb(&r, pb->resources[i], &e) == 0) {
            sdk_resources_add(&o->resources, &r);
            sdk_resource_free_contents(&r);
        } else {
            SDK_WARN(MOD, "offer %s (agent %s): ignoring resources[%zu]: %s", o->id, o->agent_id, i,
                     e.n ? e.msgs[0] : "unusable");
        }
        sdk_errors_free(&e);
    }
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int v) {
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    return ev ? ev->name : NULL;
}

static void status_from_pb(sdk_status_update *u, const Mesos__V1__TaskStatus *st) {
    memset(u, 0, sizeof *u);
    u->task_id = st->task_id->value;
    u->agent_id = st->agent_id ? st->agent_id->value : NULL;
    u->state = (sdk_tstate)st->state;
    u->message = st->message;
    if (st->has_reason) u->reason = enum_name(&mesos__v1__task_status__reason__descriptor, st->reason);
    if (st->has_source) u->source = enum_name(&mesos__v1__task_status__source__descriptor, st->source);
    if (st->check_status) {
        u->has_check_status = true;
        if (st->check_status->command && st->check_status->command->has_exit_code) {
            u->has_exit_code = true;
            u->exit_code = st->check_status->command->exit_code;
        }
    }
    if (st->has_healthy) {
        u->has_healthy = true;
        u->healthy = st->healthy;
    }
    const Mesos__V1__ContainerStatus *cs = st->container_status;
    for (size_t i = 0; cs && !u->ip && i < cs->n_network_infos; i++)
        for (size_t k = 0; !u->ip && k < cs->network_infos[i]->n_ip_addresses; k++)
            if (cs->network_infos[i]->ip_addresses[k]->ip_address)
                u->ip = cs->network_infos[i]->ip_addresses[k]->ip_address;
    if (st->has_uuid && st->uuid.len > 0) {
        u->uuid = st->uuid.data;
        u->uuid_len = st->uuid.len;
    }
    if (st->has_timestamp) u->timestamp = st->timestamp;
}

/* Checks an event enough that dispatching it cannot fail half-way. NULL = fine, else why not. */
static char *event_problem_new(const Event *ev) {
    if (!ev->has_type) return sdk_xstrdup("event without a type");
    switch (ev->type) {
    case MESOS__V1__SCHEDULER__EVENT__TYPE__SUBSCRIBED:
        return ev->subscribed ? NULL : sdk_xstrdup("SUBSCRIBED event without 'subscribed'");
    case MESOS__V1__SCHEDULER__EVENT__TYPE__OFFERS:
        if (!ev->offers) return sdk_xstrdup("OFFERS event without 'offers'");
        for (size_t i = 0; i < ev->offers->n_offers; i++) {
            const Mesos__V1__Offer *o = ev->offers->offers[i];
            if (o->domain && o->domain->fault_domain &&
                (!o->domain->fault_domain->region || !o->domain->fault_domain->zone))
                return sdk_asprintf_new("OFFERS event: offer %s has an incomplete fault domain", o->id->value);
        }
        return NULL;
    case MESOS__V1__SCHEDULER__EVENT__TYPE__RESCIND:
        return ev->rescind ? NULL : sdk_xstrdup("RESCIND event without 'rescind'");
    case MESOS__V1__SCHEDULER__EVENT__TYPE__UPDATE:
        if (!ev->update) return sdk_xstrdup("UPDATE event without 'update'");
        if ((int)ev->update->status->state < 0 || (int)ev->update->status->state > SDK_TSTATE_UNKNOWN)
            return sdk_asprintf_new("UPDATE event for task %s: unknown task state %d",
                                    ev->update->status->task_id->value, (int)ev->update->status->state);
        return NULL;
    case MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR:
        return ev->error ? NULL : sdk_xstrdup("ERROR event without 'error'");
    case MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT:
    case MESOS__V1__SCHEDULER__EVENT__TYPE__INVERSE_OFFERS:
    case MESOS__V1__SCHEDULER__EVENT__TYPE__RESCIND_INVERSE_OFFER:
    case MESOS__V1__SCHEDULER__EVENT__TYPE__UPDATE_OPERATION_STATUS:
    case MESOS__V1__SCHEDULER__EVENT__TYPE__MESSAGE:
    case MESOS__V1__SCHEDULER__EVENT__TYPE__FAILURE:
        return NULL;
    default:
        return sdk_asprintf_new("unknown event type %d", (int)ev->type);
    }
}

/* ------------------------------------------------------------------ calls */

static void call_unlink(sdk_mesos_client *c, call_ctx *k) {
    if (k->prev) k->prev->next = k->next;
    else c->calls = k->next;
    if (k->next) k->next->prev = k->prev;
    k->prev = k->next = NULL;
}

static void call_free(call_ctx *k) {
    if (k->easy) curl_easy_cleanup(k->easy);
    curl_slist_free_all(k->hdrs);
    free(k->what);
    free(k->body);
    sdk_buf_free(&k->resp);
    free(k);
}

/* Drops every call not yet started (the subscription they were made for is gone). */
static void waiting_clear(sdk_mesos_client *c) {
    while (c->waiting) {
        call_ctx *k = c->waiting;
        c->waiting = k->next;
        c->m.calls_dropped++;
        SDK_DEBUG(MOD, "%s: not sent, the subscription ended first", k->what);
        call_free(k);
    }
    c->waiting_tail = NULL;
}

static void pump_calls(sdk_mesos_client *c);

static size_t call_write(char *p, size_t size, size_t n, void *ud) {
    call_ctx *k = ud;
    size_t len = size * n;
    if (k->resp.len < ERR_BODY_MAX) sdk_buf_append(&k->resp, p, len < ERR_BODY_MAX ? len : ERR_BODY_MAX);
    return len;
}

static void call_done(sdk_curl *cu, CURL *easy, CURLcode res, void *ud) {
    (void)cu;
    (void)easy;
    call_ctx *k = ud;
    sdk_mesos_client *c = k->c;
    long code = 0;
    curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &code);
    if (res == CURLE_ABORTED_BY_CALLBACK) {
        SDK_DEBUG(MOD, "%s: aborted (client shutting down)", k->what);
    } else if (res != CURLE_OK) {
        c->m.calls_failed++;
        SDK_WARN(MOD, "%s: cannot reach master %s: %s", k->what, c->target ? c->target : "?", curl_easy_strerror(res));
    } else if (code != 202 && code != 200) {
        c->m.calls_failed++;
        sdk_buf_putc(&k->resp, '\0');
        SDK_WARN(MOD, "%s: master %s answered HTTP %ld: %s%s", k->what, c->target ? c->target : "?", code,
                 k->resp.len > 1 ? k->resp.data : "(empty body)",
                 code == 403 ? " (the subscription is gone; the stream will re-subscribe)" : "");
    } else {
        SDK_DEBUG(MOD, "%s: accepted (HTTP %ld)", k->what, code);
    }
    call_unlink(c, k);
    call_free(k);
    c->n_running--;
    if (res != CURLE_ABORTED_BY_CALLBACK) pump_calls(c);
}

/* Starts the transfer of a packed call. False when curl could not (the call is freed). */
static bool start_call(sdk_mesos_client *c, call_ctx *k) {
    k->easy = curl_easy_init();
    if (!k->easy) {
        c->m.calls_failed++;
        SDK_ERROR(MOD, "%s: curl_easy_init failed", k->what);
        call_free(k);
        return false;
    }
    char *url = sdk_asprintf_new("%s%s", c->target, API_PATH);
    char *sid = sdk_asprintf_new("Mesos-Stream-Id: %s", c->stream_id);
    k->hdrs = curl_slist_append(k->hdrs, "Content-Type: " PROTOBUF_CT);
    k->hdrs = curl_slist_append(k->hdrs, sid);
    k->hdrs = curl_slist_append(k->hdrs, "Expect:");
    free(sid);
    curl_easy_setopt(k->easy, CURLOPT_URL, url);
    curl_easy_setopt(k->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(k->easy, CURLOPT_POSTFIELDS, k->body);
    curl_easy_setopt(k->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)k->len);
    /* The smallest upload buffer curl takes (default 64 KiB): up to MAX_CALLS_IN_FLIGHT calls
     * run at once, each with its own, and an ACCEPT's body is already in memory */
    curl_easy_setopt(k->easy, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
    curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, k->hdrs);
    curl_easy_setopt(k->easy, CURLOPT_WRITEFUNCTION, call_write);
    curl_easy_setopt(k->easy, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(k->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k->easy, CURLOPT_TIMEOUT_MS, (long)c->call_timeout_ms);
    curl_easy_setopt(k->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    free(url);
    if (sdk_curl_add(c->curl, k->easy, call_done, k) != 0) {
        c->m.calls_failed++;
        SDK_ERROR(MOD, "%s: cannot start the transfer", k->what);
        call_free(k);
        return false;
    }
    k->prev = NULL;
    k->next = c->calls;
    if (c->calls) c->calls->prev = k;
    c->calls = k;
    c->n_running++;
    c->m.calls_sent++;
    SDK_DEBUG(MOD, "%s: sent (%zu bytes)", k->what, k->len);
    return true;
}

/* Starts waiting calls, oldest first, while fewer than MAX_CALLS_IN_FLIGHT run. */
static void pump_calls(sdk_mesos_client *c) {
    if (c->state != ST_SUBSCRIBED || !c->stream_id) {
        waiting_clear(c);
        return;
    }
    while (c->waiting && c->n_running < MAX_CALLS_IN_FLIGHT) {
        call_ctx *k = c->waiting;
        c->waiting = k->next;
        if (!c->waiting) c->waiting_tail = NULL;
        k->next = NULL;
        start_call(c, k);
    }
}

static void queue_body(sdk_mesos_client *c, uint8_t *body, size_t len, const char *what);

/* True (and counted and logged as dropped) when a call cannot be sent now. */
static bool not_subscribed(sdk_mesos_client *c, const char *what) {
    if (c->state == ST_SUBSCRIBED && c->stream_id) return false;
    c->m.calls_dropped++;
    SDK_WARN(MOD, "%s: not sent, not subscribed to a master%s", what,
             c->state == ST_STOPPED ? " (client stopped)" : "");
    return true;
}

/* Sends call (borrowed; framework_id is filled here), in order after the calls already waiting.
 * what names it in logs. */
static int send_call(sdk_mesos_client *c, Call *call, const char *what) {
    if (not_subscribed(c, what)) return SDK_ESTATE;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = c->framework_id;
    call->framework_id = &fid;
    size_t len = mesos__v1__scheduler__call__get_packed_size(call);
    uint8_t *body = sdk_xmalloc(len ? len : 1);
    mesos__v1__scheduler__call__pack(call, body);
    call->framework_id = NULL;
    queue_body(c, body, len, what);
    return 0;
}

/* Queues a packed call (body TAKEN) behind the calls already waiting. */
static void queue_body(sdk_mesos_client *c, uint8_t *body, size_t len, const char *what) {
    call_ctx *k = sdk_xcalloc(1, sizeof *k);
    k->c = c;
    k->what = sdk_xstrdup(what);
    sdk_buf_init(&k->resp);
    k->len = len;
    k->body = body;
    if (c->waiting_tail) c->waiting_tail->next = k;
    else c->waiting = k;
    c->waiting_tail = k;
    pump_calls(c);
}

/* ------------------------------------------------------------------ stream: teardown */

static void stream_cleanup(sdk_mesos_client *c) {
    if (c->stream_running) {
        sdk_curl_cancel(c->curl, c->stream);
        c->stream_running = false;
    }
    if (c->stream) curl_easy_cleanup(c->stream);
    c->stream = NULL;
    curl_slist_free_all(c->stream_hdrs);
    c->stream_hdrs = NULL;
    free(c->sub_body);
    c->sub_body = NULL;
    free(c->location);
    free(c->hdr_stream_id);
    free(c->content_type);
    free(c->stream_fail);
    c->location = c->hdr_stream_id = c->content_type = c->stream_fail = NULL;
    c->status = 0;
    sdk_buf_reset(&c->err_body);
    sdk_recordio_decoder_free(&c->dec);
    cancel_timer(c, &c->watchdog_timer);
}

/* The subscription (or the attempt) is over. Forgets the stream id and every offer, tells the
 * owner if it had been subscribed, and retries after delay_ms (or backoff when < 0). */
static void subscription_lost(sdk_mesos_client *c, const char *reason, int64_t delay_ms) {
    bool was_subscribed = c->state == ST_SUBSCRIBED;
    stream_cleanup(c);
    queue_clear(c);
    waiting_clear(c);
    cancel_timer(c, &c->dispatch_timer);
    free(c->stream_id);
    c->stream_id = NULL;
    offers_clear(c);
    if (c->state == ST_STOPPED) return;
    c->state = ST_IDLE;
    uint64_t d = delay_ms >= 0 ? (uint64_t)delay_ms : backoff_next(c);
    if (was_subscribed) {
        c->m.disconnects++;
        SDK_WARN(MOD, "subscription to %s lost: %s; re-subscribing in %llu ms", c->target ? c->target : "?", reason,
                 (unsigned long long)d);
        if (c->cb.on_disconnected) c->cb.on_disconnected(c->cb.ud, reason);
        if (c->state == ST_STOPPED) return;
    } else {
        SDK_WARN(MOD, "subscribing to %s failed: %s; retrying in %llu ms", c->target ? c->target : "?", reason,
                 (unsigned long long)d);
    }
    schedule_subscribe(c, d);
}

static void fail(sdk_mesos_client *c, const char *msg) {
    if (c->state == ST_STOPPED) return;
    SDK_ERROR(MOD, "fatal: %s", msg);
    sdk_mesos_client_stop(c);
    if (c->cb.on_error) c->cb.on_error(c->cb.ud, msg);
}

/* ------------------------------------------------------------------ stream: dispatch */

/* The stream's SUBSCRIBED event makes the state SUBSCRIBED; the stream id comes from the
 * response headers, which curl has delivered before the first body byte. */
static void capture_stream_id(sdk_mesos_client *c) {
    if (c->hdr_stream_id && !sdk_streq(c->hdr_stream_id, c->stream_id)) set_str(&c->stream_id, c->hdr_stream_id);
}


static void dispatch_one(sdk_mesos_client *c, Event *ev) {
    c->m.events++;
    switch (ev->type) {
    case MESOS__V1__SCHEDULER__EVENT__TYPE__SUBSCRIBED: {
        const char *fid = ev->subscribed->framework_id->value;
        if (c->framework_id && strcmp(c->framework_id, fid))
            SDK_WARN(MOD, "master assigned framework id %s (we had %s)", fid, c->framework_id);
        set_str(&c->framework_id, fid);
        capture_stream_id(c);
        c->state = ST_SUBSCRIBED;
        c->attempts = 0;
        c->n_redirects = 0;
        offers_clear(c);
        c->m.subscriptions++;
        double hb = ev->subscribed->has_heartbeat_interval_seconds && ev->subscribed->heartbeat_interval_seconds > 0
                        ? ev->subscribed->heartbeat_interval_seconds
                        : DEFAULT_HEARTBEAT_S;
        c->hb_timeout_ms = c->hb_timeout_opt_ms ? c->hb_timeout_opt_ms : (unsigned)(hb * 5 * 1000);
        SDK_INFO(MOD, "subscribed to %s as framework %s (stream %s, heartbeat %.1f s)", c->target, fid,
                 c->stream_id ? c->stream_id : "?", hb);
        if (c->cb.on_subscribed) c->cb.on_subscribed(c->cb.ud, fid);
        if (c->state == ST_SUBSCRIBED) try_revive(c);
        break;
    }
    case MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT: break;
    case MESOS__V1__SCHEDULER__EVENT__TYPE__OFFERS: {
        size_t n = ev->offers->n_offers;
        sdk_offer *offers = sdk_xcalloc(n ? n : 1, sizeof *offers);
        for (size_t i = 0; i < n; i++) {
            offer_from_pb(&offers[i], ev->offers->offers[i]);
            offers_add(c, offers[i].id);
        }
        SDK_DEBUG(MOD, "%zu offer(s) received", n);
        if (c->cb.on_offers && n) c->cb.on_offers(c->cb.ud, offers, n);
        for (size_t i = 0; i < n; i++) sdk_offer_free_contents(&offers[i]);
        free(offers);
        break;
    }
    case MESOS__V1__SCHEDULER__EVENT__TYPE__RESCIND: {
        const char *id = ev->rescind->offer_id->value;
        offers_remove(c, id);
        SDK_INFO(MOD, "offer %s rescinded", id);
        if (c->cb.on_rescind) c->cb.on_rescind(c->cb.ud, id);
        break;
    }
    case MESOS__V1__SCHEDULER__EVENT__TYPE__UPDATE: {
        sdk_status_update u;
        status_from_pb(&u, ev->update->status);
        SDK_DEBUG(MOD, "task %s: %s%s%s", u.task_id, sdk_tstate_name(u.state), u.reason ? " " : "",
                  u.reason ? u.reason : "");
        if (c->cb.on_status) c->cb.on_status(c->cb.ud, &u);
        break;
    }
    case MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR: {
        char *msg = sdk_asprintf_new("Mesos master %s: %s", c->target ? c->target : "?", ev->error->message);
        fail(c, msg);
        free(msg);
        break;
    }
    case MESOS__V1__SCHEDULER__EVENT__TYPE__FAILURE:
        if (ev->failure && ev->failure->executor_id)
            SDK_INFO(MOD, "executor %s on agent %s exited (status %d)", ev->failure->executor_id->value,
                     ev->failure->agent_id ? ev->failure->agent_id->value : "?",
                     ev->failure->has_status ? ev->failure->status : -1);
        else if (ev->failure && ev->failure->agent_id)
            SDK_WARN(MOD, "agent %s was lost", ev->failure->agent_id->value);
        break;
    default:
        SDK_DEBUG(MOD, "ignoring event type %d", (int)ev->type);
        break;
    }
}

static void dispatch_all(sdk_mesos_client *c) {
    bool any = false;
    while (c->q_head && c->state != ST_STOPPED) {
        queued_event *q = c->q_head;
        c->q_head = q->next;
        if (!c->q_head) c->q_tail = NULL;
        dispatch_one(c, q->ev);
        mesos__v1__scheduler__event__free_unpacked(q->ev, NULL);
        free(q);
        any = true;
    }
    if (any && c->state != ST_STOPPED && c->cb.on_events_done) c->cb.on_events_done(c->cb.ud);
}

static void dispatch_fire(sdk_loop *l, uint64_t id, void *ud) {
    (void)l;
    (void)id;
    sdk_mesos_client *c = ud;
    c->dispatch_timer = 0;
    dispatch_all(c);
}

/* ------------------------------------------------------------------ stream: curl side */

/* RecordIO record -> validated Event on the queue. Runs inside curl's write callback: no
 * callbacks, no transfers from here. Non-zero stops the stream. */
static int on_record(const char *data, size_t len, void *ud) {
    sdk_mesos_client *c = ud;
    c->last_event_ms = now_ms(c);
    Event *ev = mesos__v1__scheduler__event__unpack(NULL, len, (const uint8_t *)data);
    char *why = NULL;
    if (!ev) why = sdk_asprintf_new("record %llu (%zu bytes) is not a mesos.v1.scheduler.Event",
                                    (unsigned long long)c->dec.records, len);
    else why = event_problem_new(ev);
    if (!why && ev->type == MESOS__V1__SCHEDULER__EVENT__TYPE__SUBSCRIBED && !c->hdr_stream_id)
        why = sdk_xstrdup("SUBSCRIBED on a response without a Mesos-Stream-Id header");
    if (why) {
        c->m.bad_events++;
        free(c->stream_fail);
        c->stream_fail = sdk_asprintf_new("bad event on the stream: %s", why);
        free(why);
        if (ev) mesos__v1__scheduler__event__free_unpacked(ev, NULL);
        return 1;
    }
    queued_event *q = sdk_xcalloc(1, sizeof *q);
    q->ev = ev;
    if (c->q_tail) c->q_tail->next = q;
    else c->q_head = q;
    c->q_tail = q;
    if (!c->dispatch_timer) sdk_loop_timer_add(c->loop, 0, dispatch_fire, c, &c->dispatch_timer);
    return 0;
}

static size_t stream_write(char *p, size_t size, size_t n, void *ud) {
    sdk_mesos_client *c = ud;
    size_t len = size * n;
    if (c->status != 200) {
        size_t room = c->err_body.len < ERR_BODY_MAX ? ERR_BODY_MAX - c->err_body.len : 0;
        sdk_buf_append(&c->err_body, p, len < room ? len : room);
        return len;
    }
    if (c->content_type && strcasecmp(c->content_type, PROTOBUF_CT) != 0) {
        free(c->stream_fail);
        c->stream_fail = sdk_asprintf_new("event stream has Content-Type '%s', expected " PROTOBUF_CT,
                                          c->content_type);
        return 0;
    }
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_recordio_feed(&c->dec, p, len, on_record, c, &e);
    if (rc == SDK_EINVAL && !c->stream_fail) {
        c->m.bad_events++;
        c->stream_fail = sdk_asprintf_new("garbled event stream: %s", e.n ? e.msgs[0] : "RecordIO error");
    }
    sdk_errors_free(&e);
    return rc ? 0 : len;
}

static char *trim_value_new(const char *v, size_t n) {
    while (n && isspace((unsigned char)*v)) v++, n--;
    while (n && isspace((unsigned char)v[n - 1])) n--;
    return sdk_xstrndup(v, n);
}

static size_t stream_header(char *p, size_t size, size_t n, void *ud) {
    sdk_mesos_client *c = ud;
    size_t len = size * n;
    if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
        /* A new response (also after an interim 1xx): forget the previous headers. */
        const char *sp = memchr(p, ' ', len);
        c->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        free(c->location);
        free(c->hdr_stream_id);
        free(c->content_type);
        c->location = c->hdr_stream_id = c->content_type = NULL;
        return len;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon) return len;
    size_t nl = (size_t)(colon - p);
    char *value = trim_value_new(colon + 1, len - nl - 1);
    char **slot = NULL;
    if (nl == 15 && !strncasecmp(p, "Mesos-Stream-Id", nl)) slot = &c->hdr_stream_id;
    else if (nl == 8 && !strncasecmp(p, "Location", nl)) slot = &c->location;
    else if (nl == 12 && !strncasecmp(p, "Content-Type", nl)) slot = &c->content_type;
    if (slot) {
        free(*slot);
        *slot = value;
    } else {
        free(value);
    }
    return len;
}

/* Location of a 307 -> "scheme://host:port" with our scheme. NULL when unusable. */
static char *redirect_base_new(const sdk_mesos_client *c, const char *loc) {
    const char *hp = loc;
    if (sdk_str_starts(hp, "//")) hp += 2;
    else if (strstr(hp, "://")) hp = strstr(hp, "://") + 3;
    size_t n = strcspn(hp, "/?#");
    if (n == 0) return NULL;
    char *authority = sdk_xstrndup(hp, n);
    const char *scheme = c->target && sdk_str_starts(c->target, "https://") ? "https" : "http";
    char *spec = sdk_asprintf_new("%s://%s", scheme, authority);
    free(authority);
    char *url = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_master_fixed_url_new(spec, &url, &e);
    sdk_errors_free(&e);
    free(spec);
    return url;
}

static void stream_done(sdk_curl *cu, CURL *easy, CURLcode res, void *ud) {
    (void)cu;
    (void)easy;
    sdk_mesos_client *c = ud;
    c->stream_running = false;
    /* Events completed before the end are valid: deliver them before reacting. */
    cancel_timer(c, &c->dispatch_timer);
    dispatch_all(c);
    if (c->state == ST_STOPPED) {
        stream_cleanup(c);
        return;
    }
    long code = c->status;
    sdk_buf_putc(&c->err_body, '\0');
    const char *body = c->err_body.len > 1 ? c->err_body.data : "(empty body)";
    char *reason = NULL;
    int64_t delay = -1;
    if (res == CURLE_ABORTED_BY_CALLBACK) {
        reason = sdk_xstrdup("client shutting down");
    } else if (c->stream_fail) {
        reason = sdk_xstrdup(c->stream_fail);
    } else if (res != CURLE_OK && code != 200) {
        reason = sdk_asprintf_new("cannot reach master: %s", curl_easy_strerror(res));
    } else if (code == 200) {
        sdk_errors e;
        sdk_errors_init(&e);
        if (sdk_recordio_finish(&c->dec, &e) != 0)
            reason = sdk_asprintf_new("event stream broken: %s", e.n ? e.msgs[0] : "truncated record");
        else if (res != CURLE_OK)
            reason = sdk_asprintf_new("event stream broken: %s", curl_easy_strerror(res));
        else
            reason = sdk_xstrdup("master closed the event stream");
        sdk_errors_free(&e);
    } else if (code == 307) {
        char *base = c->location ? redirect_base_new(c, c->location) : NULL;
        c->m.redirects++;
        if (!base) {
            reason = sdk_asprintf_new("HTTP 307 without a usable Location ('%s')", c->location ? c->location : "");
        } else if (++c->n_redirects > c->max_redirects) {
            reason = sdk_asprintf_new("%u redirects in a row (last to %s); asking the detected master again",
                                      c->n_redirects - 1, base);
            free(c->redirect);
            c->redirect = NULL;
            c->n_redirects = 0;
        } else {
            SDK_INFO(MOD, "master %s is not the leader: redirected to %s", c->target, base);
            free(c->redirect);
            c->redirect = sdk_xstrdup(base);
            reason = sdk_asprintf_new("redirected to %s", base);
            /* The first redirect is followed at once; a loop of them backs off. */
            if (c->n_redirects == 1) delay = 0;
        }
        free(base);
    } else if (code == 503 || code == 404 || code >= 500 || code == 0) {
        reason = sdk_asprintf_new("HTTP %ld: %s", code, body);
    } else {
        char *msg = sdk_asprintf_new("master %s refused SUBSCRIBE with HTTP %ld: %s", c->target, code, body);
        fail(c, msg);
        free(msg);
        stream_cleanup(c);
        return;
    }
    if (code != 307 && c->redirect) {
        free(c->redirect); /* the redirect target failed us: go back to the detected leader */
        c->redirect = NULL;
    }
    subscription_lost(c, reason, delay);
    free(reason);
}

/* ------------------------------------------------------------------ stream: subscribe */

static void *subscribe_body_new(sdk_mesos_client *c, size_t *len) {
    Mesos__V1__FrameworkInfo fi = MESOS__V1__FRAMEWORK_INFO__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fi.user = c->user;
    fi.name = c->name;
    if (c->framework_id) {
        fid.value = c->framework_id;
        fi.id = &fid;
    }
    fi.has_failover_timeout = 1;
    fi.failover_timeout = c->failover_timeout_s;
    fi.has_checkpoint = 1;
    fi.checkpoint = 1;
    fi.n_roles = c->n_roles;
    fi.roles = c->roles;
    fi.principal = c->principal;
    fi.hostname = c->hostname;
    fi.webui_url = c->webui_url;
    Mesos__V1__FrameworkInfo__Capability caps[5], *capp[5];
    int types[5], nt = 0;
    types[nt++] = MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE;
    types[nt++] = MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__RESERVATION_REFINEMENT;
    types[nt++] = MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE;
    if (c->gpu_resources) types[nt++] = MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__GPU_RESOURCES;
    if (c->region_aware) types[nt++] = MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__REGION_AWARE;
    for (int i = 0; i < nt; i++) {
        mesos__v1__framework_info__capability__init(&caps[i]);
        caps[i].has_type = 1;
        caps[i].type = (Mesos__V1__FrameworkInfo__Capability__Type)types[i];
        capp[i] = &caps[i];
    }
    fi.n_capabilities = (size_t)nt;
    fi.capabilities = capp;
    Mesos__V1__Scheduler__Call__Subscribe sub = MESOS__V1__SCHEDULER__CALL__SUBSCRIBE__INIT;
    sub.framework_info = &fi;
    if (c->suppressed) { /* SUBSCRIBE replaces the suppression set: keep what we asked for */
        sub.n_suppressed_roles = c->n_roles;
        sub.suppressed_roles = c->roles;
    }
    Call call = MESOS__V1__SCHEDULER__CALL__INIT;
    call.has_type = 1;
    call.type = MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE;
    call.subscribe = &sub;
    if (c->framework_id) call.framework_id = &fid;
    *len = mesos__v1__scheduler__call__get_packed_size(&call);
    void *buf = sdk_xmalloc(*len ? *len : 1);
    mesos__v1__scheduler__call__pack(&call, buf);
    return buf;
}

static void watchdog_fire(sdk_loop *l, uint64_t id, void *ud);

static void watchdog_arm(sdk_mesos_client *c, uint64_t delay) {
    cancel_timer(c, &c->watchdog_timer);
    sdk_loop_timer_add(c->loop, delay, watchdog_fire, c, &c->watchdog_timer);
}

static void watchdog_fire(sdk_loop *l, uint64_t id, void *ud) {
    (void)l;
    (void)id;
    sdk_mesos_client *c = ud;
    c->watchdog_timer = 0;
    if (c->state != ST_SUBSCRIBING && c->state != ST_SUBSCRIBED) return;
    uint64_t idle = now_ms(c) - c->last_event_ms;
    if (idle < c->hb_timeout_ms) {
        watchdog_arm(c, c->hb_timeout_ms - idle);
        return;
    }
    char *reason = sdk_asprintf_new("no event from the master for %llu ms (heartbeat timeout %u ms)",
                                    (unsigned long long)idle, c->hb_timeout_ms);
    subscription_lost(c, reason, -1);
    free(reason);
}

static void subscribe_now(sdk_mesos_client *c) {
    const char *base = c->redirect ? c->redirect : c->leader;
    if (!base) {
        c->state = ST_IDLE;
        SDK_INFO(MOD, "no leading master known for %s; waiting", c->master);
        return;
    }
    set_str(&c->target, base);
    stream_cleanup(c);
    sdk_recordio_decoder_init(&c->dec, 0);
    size_t len = 0;
    c->sub_body = subscribe_body_new(c, &len);
    c->stream = curl_easy_init();
    if (!c->stream) {
        subscription_lost(c, "curl_easy_init failed", -1);
        return;
    }
    char *url = sdk_asprintf_new("%s%s", base, API_PATH);
    c->stream_hdrs = curl_slist_append(c->stream_hdrs, "Content-Type: " PROTOBUF_CT);
    c->stream_hdrs = curl_slist_append(c->stream_hdrs, "Accept: " PROTOBUF_CT);
    c->stream_hdrs = curl_slist_append(c->stream_hdrs, "Expect:");
    curl_easy_setopt(c->stream, CURLOPT_URL, url);
    curl_easy_setopt(c->stream, CURLOPT_POST, 1L);
    curl_easy_setopt(c->stream, CURLOPT_POSTFIELDS, c->sub_body);
    curl_easy_setopt(c->stream, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c->stream, CURLOPT_HTTPHEADER, c->stream_hdrs);
    curl_easy_setopt(c->stream, CURLOPT_WRITEFUNCTION, stream_write);
    curl_easy_setopt(c->stream, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->stream, CURLOPT_HEADERFUNCTION, stream_header);
    curl_easy_setopt(c->stream, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->stream, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->stream, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    /* A subscription gets its own connection, which no call may reuse afterwards. */
    curl_easy_setopt(c->stream, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(c->stream, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(c->stream, CURLOPT_TCP_KEEPALIVE, 1L);
    free(url);
    if (sdk_curl_add(c->curl, c->stream, stream_done, c) != 0) {
        subscription_lost(c, "cannot start the SUBSCRIBE transfer", -1);
        return;
    }
    c->stream_running = true;
    c->state = ST_SUBSCRIBING;
    c->m.subscribe_attempts++;
    c->last_event_ms = now_ms(c);
    if (!c->hb_timeout_ms) c->hb_timeout_ms = c->hb_timeout_opt_ms ? c->hb_timeout_opt_ms : (unsigned)(DEFAULT_HEARTBEAT_S * 5000);
    watchdog_arm(c, c->hb_timeout_ms);
    SDK_INFO(MOD, "subscribing to %s%s as %s%s%s", base, API_PATH, c->name, c->framework_id ? " with framework id " : "",
             c->framework_id ? c->framework_id : "");
}

static void backoff_fire(sdk_loop *l, uint64_t id, void *ud) {
    (void)l;
    (void)id;
    sdk_mesos_client *c = ud;
    c->backoff_timer = 0;
    if (c->state == ST_STOPPED) return;
    subscribe_now(c);
}

static void schedule_subscribe(sdk_mesos_client *c, uint64_t delay_ms) {
    cancel_timer(c, &c->backoff_timer);
    c->state = ST_BACKOFF;
    sdk_loop_timer_add(c->loop, delay_ms, backoff_fire, c, &c->backoff_timer);
}

static void on_leader(void *ud, const char *url) {
    sdk_mesos_client *c = ud;
    set_str(&c->leader, url);
    if (c->state == ST_STOPPED || c->state == ST_NEW) return;
    if (!url) {
        SDK_WARN(MOD, "no leading master for %s at the moment", c->master);
        return; /* keep a live stream; subscribe_now waits when nothing is known */
    }
    bool busy = c->state == ST_SUBSCRIBING || c->state == ST_SUBSCRIBED;
    if (busy && sdk_streq(c->target, url) && !c->redirect) return;
    free(c->redirect);
    c->redirect = NULL;
    c->n_redirects = 0;
    /* The random delay spreads the frameworks that all see the same leader change; the first
     * leader this process detects is not a change: subscribe at once. */
    uint64_t delay = c->leader_seen ? rand_below((uint64_t)c->leader_delay_max_ms + 1) : 0;
    c->leader_seen = true;
    if (busy) {
        char *reason = sdk_asprintf_new("leading master changed to %s", url);
        subscription_lost(c, reason, (int64_t)delay);
        free(reason);
    } else {
        c->attempts = 0;
        schedule_subscribe(c, delay);
    }
}

/* ------------------------------------------------------------------ revive / suppress */

static void revive_fire(sdk_loop *l, uint64_t id, void *ud) {
    (void)l;
    (void)id;
    sdk_mesos_client *c = ud;
    c->revive_timer = 0;
    try_revive(c);
}

/* Token bucket: returns 0 when a revive may go now, else the wait in ms. */
static uint64_t revive_wait(sdk_mesos_client *c, uint64_t now) {
    if (c->tokens < c->revive_capacity) {
        uint64_t gained = (now - c->refill_anchor_ms) / c->revive_refill_ms;
        if (gained) {
            c->tokens = gained >= c->revive_capacity - c->tokens ? c->revive_capacity : c->tokens + (unsigned)gained;
            c->refill_anchor_ms += gained * c->revive_refill_ms;
        }
    }
    if (c->tokens >= c->revive_capacity) c->refill_anchor_ms = now;
    uint64_t wait = 0;
    if (c->revived_ever && now < c->last_revive_ms + c->revive_min_interval_ms)
        wait = c->last_revive_ms + c->revive_min_interval_ms - now;
    if (c->tokens == 0) {
        uint64_t w = c->refill_anchor_ms + c->revive_refill_ms - now;
        if (w > wait) wait = w;
    }
    return wait;
}

static void try_revive(sdk_mesos_client *c) {
    if (!c->revive_pending || c->state != ST_SUBSCRIBED || c->revive_timer) return;
    uint64_t now = now_ms(c);
    uint64_t wait = revive_wait(c, now);
    if (wait) {
        c->m.revives_throttled++;
        SDK_DEBUG(MOD, "REVIVE throttled for %llu ms", (unsigned long long)wait);
        sdk_loop_timer_add(c->loop, wait, revive_fire, c, &c->revive_timer);
        return;
    }
    Mesos__V1__Scheduler__Call__Revive rv = MESOS__V1__SCHEDULER__CALL__REVIVE__INIT;
    Call call = MESOS__V1__SCHEDULER__CALL__INIT;
    call.has_type = 1;
    call.type = MESOS__V1__SCHEDULER__CALL__TYPE__REVIVE;
    call.revive = &rv;
    if (send_call(c, &call, "REVIVE") == 0) {
        if (c->tokens == c->revive_capacity) c->refill_anchor_ms = now;
        c->tokens--;
        c->last_revive_ms = now;
        c->revived_ever = true;
        c->revive_pending = false;
        c->m.revives_sent++;
    }
}

int sdk_mesos_client_revive(sdk_mesos_client *c) {
    if (c->state == ST_STOPPED) return SDK_ESTATE;
    c->suppressed = false;
    c->revive_pending = true;
    try_revive(c);
    return 0;
}

int sdk_mesos_client_suppress(sdk_mesos_client *c) {
    if (c->state == ST_STOPPED) return SDK_ESTATE;
    c->revive_pending = false;
    cancel_timer(c, &c->revive_timer);
    c->suppressed = true;
    if (c->state != ST_SUBSCRIBED) return 0; /* the next SUBSCRIBE carries suppressed_roles */
    Mesos__V1__Scheduler__Call__Suppress sp = MESOS__V1__SCHEDULER__CALL__SUPPRESS__INIT;
    Call call = MESOS__V1__SCHEDULER__CALL__INIT;
    call.has_type = 1;
    call.type = MESOS__V1__SCHEDULER__CALL__TYPE__SUPPRESS;
    call.suppress = &sp;
    return send_call(c, &call, "SUPPRESS");
}

/* ------------------------------------------------------------------ other calls */

/* The offer id list (of one) and the filters an ACCEPT or DECLINE of one offer carries; the
 * call points into it, so it lives as long as the call. */
typedef struct one_offer {
    Mesos__V1__OfferID id;
    Mesos__V1__OfferID *ids[1];
    Mesos__V1__Filters filters;
} one_offer;

static void one_offer_init(one_offer *o, const char *offer_id, double refuse_s) {
    mesos__v1__offer_id__init(&o->id);
    o->id.value = (char *)offer_id;
    o->ids[0] = &o->id;
    mesos__v1__filters__init(&o->filters);
    o->filters.has_refuse_seconds = 1;
    o->filters.refuse_seconds = refuse_s;
}

int sdk_mesos_client_decline(sdk_mesos_client *c, const sdk_offer *offer, double refuse_s) {
    if (!offer || !offer->id) return SDK_EINVAL;
    if (!offers_remove(c, offer->id) && c->state == ST_SUBSCRIBED)
        SDK_DEBUG(MOD, "DECLINE of offer %s, which is not outstanding (rescinded or from an older subscription)",
                  offer->id);
    one_offer o;
    one_offer_init(&o, offer->id, refuse_s);
    Mesos__V1__Scheduler__Call__Decline d = MESOS__V1__SCHEDULER__CALL__DECLINE__INIT;
    d.n_offer_ids = 1;
    d.offer_ids = o.ids;
    d.filters = &o.filters;
    Call call = MESOS__V1__SCHEDULER__CALL__INIT;
    call.has_type = 1;
    call.type = MESOS__V1__SCHEDULER__CALL__TYPE__DECLINE;
    call.decline = &d;
    char *what = sdk_asprintf_new("DECLINE offer %s (refuse %.0f s)", offer->id, refuse_s);
    int rc = send_call(c, &call, what);
    free(what);
    return rc;
}

int sdk_mesos_client_accept(sdk_mesos_client *c, const sdk_offer *offer, const sdk_operation *ops, size_t n_ops,
                            double refuse_s) {
    if (!offer || !offer->id || (n_ops && !ops)) return SDK_EINVAL;
    Mesos__V1__Offer__Operation **pops = sdk_xcalloc(n_ops ? n_ops : 1, sizeof *pops);
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = 0;
    for (size_t i = 0; i < n_ops && !rc; i++) {
        rc = sdk_mesos_operation_pb_new(&ops[i], offer->agent_id, c->framework_id, &pops[i], &e);
        if (rc) sdk_errors_addf(&e, "(operation %zu of %zu)", i + 1, n_ops);
    }
    if (rc) {
        SDK_ERROR(MOD, "ACCEPT of offer %s not sent: %s %s; declining the offer instead", offer->id,
                  e.n ? e.msgs[0] : "?", e.n > 1 ? e.msgs[e.n - 1] : "");
        for (size_t i = 0; i < n_ops; i++)
            if (pops[i]) protobuf_c_message_free_unpacked(&pops[i]->base, NULL);
        free(pops);
        sdk_errors_free(&e);
        sdk_mesos_client_decline(c, offer, refuse_s);
        return SDK_EINVAL;
    }
    sdk_errors_free(&e);
    offers_remove(c, offer->id);
    one_offer o;
    one_offer_init(&o, offer->id, refuse_s);
    Mesos__V1__Scheduler__Call__Accept a = MESOS__V1__SCHEDULER__CALL__ACCEPT__INIT;
    a.n_offer_ids = 1;
    a.offer_ids = o.ids;
    a.n_operations = n_ops;
    a.operations = pops;
    a.filters = &o.filters;
    Call call = MESOS__V1__SCHEDULER__CALL__INIT;
    call.has_type = 1;
    call.type = MESOS__V1__SCHEDULER__CALL__TYPE__ACCEPT;
    call.accept = &a;
    sdk_buf what;
    sdk_buf_init(&what);
    sdk_buf_printf(&what, "ACCEPT offer %s [", offer->id);
    for (size_t i = 0; i < n_ops; i++) sdk_buf_printf(&what, "%s%s", i ? " " : "", sdk_op_type_name(ops[i].type));
    sdk_buf_puts(&what, "]");
    char *w = sdk_buf_take(&what);
    rc = send_call(c, &call, w);
    free(w);
    for (size_t i = 0; i < n_ops; i++) protobuf_c_message_free_unpacked(&pops[i]->base, NULL);
    free(pops);
    return rc;
}

/* protobuf-c output straight into an sdk_buf */
typedef struct buf_sink {
    ProtobufCBuffer base;
    sdk_buf *b;
} buf_sink;

static void buf_sink_append(ProtobufCBuffer *pb, size_t len, const uint8_t *data) {
    sdk_buf_append(((buf_sink *)pb)->b, data, len);
}

static void put_varint(sdk_buf *b, uint64_t v) {
    unsigned char x[10];
    size_t n = 0;
    do {
        x[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v) x[n] |= 0x80;
        n++;
    } while (v);
    sdk_buf_append(b, x, n);
}

#define TAG_LEN(field) ((uint64_t)(field) << 3 | 2) /* a length-delimited field's key */

int sdk_mesos_client_pack_ops(sdk_mesos_client *c, const sdk_offer *offer, const sdk_operation *ops,
                              size_t n_ops, sdk_buf *out) {
    if (!offer || !offer->id || (n_ops && !ops)) return SDK_EINVAL;
    size_t at = out->len;
    buf_sink sink = {{buf_sink_append}, out};
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = 0;
    /* Built first and sized, then packed into one exact allocation: a round's ACCEPTs add up to
     * megabytes, and a doubling buffer per offer left that much again in holes of every size. */
    Mesos__V1__Offer__Operation **pbs = sdk_xcalloc(n_ops ? n_ops : 1, sizeof *pbs);
    size_t *sizes = sdk_xcalloc(n_ops ? n_ops : 1, sizeof *sizes), total = 0;
    for (size_t i = 0; i < n_ops && !rc; i++) {
        rc = sdk_mesos_operation_pb_new(&ops[i], offer->agent_id, c->framework_id, &pbs[i], &e);
        if (rc) {
            sdk_errors_addf(&e, "(operation %zu of %zu)", i + 1, n_ops);
            break;
        }
        sizes[i] = protobuf_c_message_get_packed_size(&pbs[i]->base);
        total += 2 * 10 + sizes[i]; /* key and length varints (at most 10 bytes each) */
    }
    if (!rc) sdk_buf_reserve(out, total);
    for (size_t i = 0; i < n_ops && !rc; i++) {
        put_varint(out, TAG_LEN(2)); /* Call.Accept.operations */
        put_varint(out, sizes[i]);
        protobuf_c_message_pack_to_buffer(&pbs[i]->base, &sink.base);
    }
    for (size_t i = 0; i < n_ops; i++)
        if (pbs[i]) protobuf_c_message_free_unpacked(&pbs[i]->base, NULL);
    free(pbs);
    free(sizes);
    if (rc) {
        SDK_ERROR(MOD, "ACCEPT of offer %s not sent: %s %s; declining the offer instead", offer->id,
                  e.n ? e.msgs[0] : "?", e.n > 1 ? e.msgs[e.n - 1] : "");
        out->len = at;
        if (out->data) out->data[at] = 0;
    }
    sdk_errors_free(&e);
    return rc ? SDK_EINVAL : 0;
}

int sdk_mesos_client_accept_packed(sdk_mesos_client *c, const sdk_offer *offer, const void *ops_pb, size_t len,
                                   const char *summary, double refuse_s) {
    if (!offer || !offer->id || (len && !ops_pb)) return SDK_EINVAL;
    offers_remove(c, offer->id);
    char *what = sdk_asprintf_new("ACCEPT offer %s [%s]", offer->id, summary ? summary : "");
    if (not_subscribed(c, what)) {
        free(what);
        return SDK_ESTATE;
    }
    one_offer o;
    one_offer_init(&o, offer->id, refuse_s);
    Mesos__V1__Scheduler__Call__Accept a = MESOS__V1__SCHEDULER__CALL__ACCEPT__INIT;
    a.n_offer_ids = 1;
    a.offer_ids = o.ids;
    a.filters = &o.filters;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = c->framework_id;
    Call call = MESOS__V1__SCHEDULER__CALL__INIT;
    call.has_type = 1;
    call.type = MESOS__V1__SCHEDULER__CALL__TYPE__ACCEPT;
    call.framework_id = &fid;
    /* The Call without its accept field, then that field: the Accept's offer id and filters
     * followed by the operations as packed (repeated fields may come in any order around others) */
    sdk_buf body;
    sdk_buf_init(&body);
    sdk_buf_reserve(&body, mesos__v1__scheduler__call__get_packed_size(&call) + 2 * 10 +
                               protobuf_c_message_get_packed_size(&a.base) + len);
    buf_sink sink = {{buf_sink_append}, &body};
    mesos__v1__scheduler__call__pack_to_buffer(&call, &sink.base);
    put_varint(&body, TAG_LEN(4)); /* Call.accept */
    put_varint(&body, protobuf_c_message_get_packed_size(&a.base) + len);
    protobuf_c_message_pack_to_buffer(&a.base, &sink.base);
    if (len) sdk_buf_append(&body, ops_pb, len);
    size_t blen = body.len;
    queue_body(c, (uint8_t *)body.data, blen, what);
    free(what);
    return 0;
}

int sdk_mesos_client_kill(sdk_mesos_client *c, const char *task_id, const char *agent_id) {
    if (!task_id || !*task_id) return SDK_EINVAL;
    Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
    Mesos__V1__AgentID aid = MESOS__V1__AGENT_ID__INIT;
    tid.value = (char *)task_id;
    Mesos__V1__Scheduler__Call__Kill k = MESOS__V1__SCHEDULER__CALL__KILL__INIT;
    k.task_id = &tid;
    if (agent_id && *agent_id) {
        aid.value = (char *)agent_id;
        k.agent_id = &aid;
    }
    Call call = MESOS__V1__SCHEDULER__CALL__INIT;
    call.has_type = 1;
    call.type = MESOS__V1__SCHEDULER__CALL__TYPE__KILL;
    call.kill = &k;
    char *what = sdk_asprintf_new("KILL task %s", task_id);
    int rc = send_call(c, &call, what);
    free(what);
    return rc;
}

int sdk_mesos_client_reconcile(sdk_mesos_client *c, const char *const *task_ids, const char *const *agent_ids,
                               size_t n) {
    if (n && !task_ids) return SDK_EINVAL;
    Mesos__V1__Scheduler__Call__Reconcile r = MESOS__V1__SCHEDULER__CALL__RECONCILE__INIT;
    Mesos__V1__Scheduler__Call__Reconcile__Task *tasks = sdk_xcalloc(n ? n : 1, sizeof *tasks);
    Mesos__V1__Scheduler__Call__Reconcile__Task **tp = sdk_xcalloc(n ? n : 1, sizeof *tp);
    Mesos__V1__TaskID *tids = sdk_xcalloc(n ? n : 1, sizeof *tids);
    Mesos__V1__AgentID *aids = sdk_xcalloc(n ? n : 1, sizeof *aids);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!task_ids[i] || !*task_ids[i]) continue;
        mesos__v1__scheduler__call__reconcile__task__init(&tasks[k]);
        mesos__v1__task_id__init(&tids[k]);
        tids[k].value = (char *)task_ids[i];
        tasks[k].task_id = &tids[k];
        if (agent_ids && agent_ids[i] && *agent_ids[i]) {
            mesos__v1__agent_id__init(&aids[k]);
            aids[k].value = (char *)agent_ids[i];
            tasks[k].agent_id = &aids[k];
        }
        tp[k] = &tasks[k];
        k++;
    }
    int rc;
    if (n && !k) {
        rc = SDK_EINVAL; /* only empty ids: an implicit reconciliation was not asked for */
    } else {
        r.n_tasks = k;
        r.tasks = tp;
        Call call = MESOS__V1__SCHEDULER__CALL__INIT;
        call.has_type = 1;
        call.type = MESOS__V1__SCHEDULER__CALL__TYPE__RECONCILE;
        call.reconcile = &r;
        char *what = k ? sdk_asprintf_new("RECONCILE %zu task(s)", k) : sdk_xstrdup("RECONCILE (implicit)");
        rc = send_call(c, &call, what);
        free(what);
    }
    free(tasks);
    free(tp);
    free(tids);
    free(aids);
    return rc;
}

int sdk_mesos_client_acknowledge(sdk_mesos_client *c, const char *agent_id, const char *task_id, const void *uuid,
                                 size_t uuid_len) {
    if (!uuid || uuid_len != 16 || !task_id || !agent_id) {
        SDK_WARN(MOD, "ACKNOWLEDGE of task %s not sent: needs an agent id and a 16-byte uuid (got %zu bytes)",
                 task_id ? task_id : "?", uuid ? uuid_len : 0);
        return SDK_EINVAL;
    }
    Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
    Mesos__V1__AgentID aid = MESOS__V1__AGENT_ID__INIT;
    tid.value = (char *)task_id;
    aid.value = (char *)agent_id;
    Mesos__V1__Scheduler__Call__Acknowledge a = MESOS__V1__SCHEDULER__CALL__ACKNOWLEDGE__INIT;
    a.task_id = &tid;
    a.agent_id = &aid;
    a.uuid.data = (uint8_t *)uuid;
    a.uuid.len = uuid_len;
    Call call = MESOS__V1__SCHEDULER__CALL__INIT;
    call.has_type = 1;
    call.type = MESOS__V1__SCHEDULER__CALL__TYPE__ACKNOWLEDGE;
    call.acknowledge = &a;
    char *what = sdk_asprintf_new("ACKNOWLEDGE task %s", task_id);
    int rc = send_call(c, &call, what);
    free(what);
    return rc;
}

int sdk_mesos_client_teardown(sdk_mesos_client *c) {
    Call call = MESOS__V1__SCHEDULER__CALL__INIT;
    call.has_type = 1;
    call.type = MESOS__V1__SCHEDULER__CALL__TYPE__TEARDOWN;
    return send_call(c, &call, "TEARDOWN");
}

/* ------------------------------------------------------------------ driver */

static void drv_accept(void *ctx, const sdk_offer *offer, const sdk_operation *ops, size_t n_ops, double refuse_s) {
    sdk_mesos_client_accept(ctx, offer, ops, n_ops, refuse_s);
}
static int drv_pack_ops(void *ctx, const sdk_offer *offer, const sdk_operation *ops, size_t n_ops, sdk_buf *out) {
    return sdk_mesos_client_pack_ops(ctx, offer, ops, n_ops, out);
}
static void drv_accept_packed(void *ctx, const sdk_offer *offer, const void *ops_pb, size_t len,
                              const char *summary, double refuse_s) {
    sdk_mesos_client_accept_packed(ctx, offer, ops_pb, len, summary, refuse_s);
}
static void drv_decline(void *ctx, const sdk_offer *offer, double refuse_s) {
    sdk_mesos_client_decline(ctx, offer, refuse_s);
}
static void drv_kill(void *ctx, const char *task_id, const char *agent_id) {
    sdk_mesos_client_kill(ctx, task_id, agent_id);
}
static void drv_revive(void *ctx) { sdk_mesos_client_revive(ctx); }
static void drv_suppress(void *ctx) { sdk_mesos_client_suppress(ctx); }
static void drv_reconcile(void *ctx, const char *const *task_ids, const char *const *agent_ids, size_t n) {
    sdk_mesos_client_reconcile(ctx, task_ids, agent_ids, n);
}
static void drv_ack(void *ctx, const char *agent_id, const char *task_id, const void *uuid, size_t uuid_len) {
    if (uuid && uuid_len) sdk_mesos_client_acknowledge(ctx, agent_id, task_id, uuid, uuid_len);
}

static void drv_teardown(void *ctx) { sdk_mesos_client_teardown(ctx); }

static const sdk_driver mesos_driver = {
    .accept = drv_accept,
    .pack_ops = drv_pack_ops,
    .accept_packed = drv_accept_packed,
    .decline = drv_decline,
    .kill = drv_kill,
    .revive = drv_revive,
    .suppress = drv_suppress,
    .reconcile = drv_reconcile,
    .acknowledge = drv_ack,
    .teardown = drv_teardown,
};

const sdk_driver *sdk_mesos_client_driver(void) { return &mesos_driver; }

/* ------------------------------------------------------------------ lifetime */

static int client_new(sdk_loop *loop, const sdk_mesos_client_options *o, sdk_mesos_client **out, sdk_errors *errs);

int sdk_mesos_client_new(sdk_loop *loop, const sdk_mesos_client_options *o, sdk_mesos_client **out,
                         sdk_errors *errs) {
    sdk_errors local;
    sdk_errors_init(&local);
    int rc = client_new(loop, o, out, &local);
    for (size_t i = 0; i < local.n; i++) SDK_ERROR(MOD, "%s", local.msgs[i]);
    if (errs) sdk_errors_extend(errs, &local);
    sdk_errors_free(&local);
    return rc;
}

static int client_new(sdk_loop *loop, const sdk_mesos_client_options *o, sdk_mesos_client **out, sdk_errors *errs) {
    *out = NULL;
    int bad = 0;
    if (!o->name || !*o->name) {
        sdk_errors_addf(errs, "mesos client: a framework name is required");
        bad = 1;
    }
    if (o->n_roles == 0 || !o->roles) {
        sdk_errors_addf(errs, "mesos client: at least one role is required");
        bad = 1;
    }
    for (size_t i = 0; i < o->n_roles && o->roles; i++)
        if (!o->roles[i] || !*o->roles[i]) {
            sdk_errors_addf(errs, "mesos client: roles[%zu] is empty", i);
            bad = 1;
        }
    sdk_mesos_client *c = sdk_xcalloc(1, sizeof *c);
    c->loop = loop;
    if (!o->master || !*o->master) {
        sdk_errors_addf(errs, "mesos client: a master (http://host:port or zk://host:port/path) is required");
        bad = 1;
    } else if (sdk_master_detector_new(loop, o->master, on_leader, c, &c->det, errs) != 0) {
        bad = 1;
    }
    if (bad) {
        sdk_master_detector_free(c->det);
        free(c);
        return SDK_EINVAL;
    }
    c->master = sdk_xstrdup(o->master);
    c->name = sdk_xstrdup(o->name);
    c->user = sdk_xstrdup(o->user && *o->user ? o->user : "root");
    c->principal = sdk_xstrdup(o->principal && *o->principal ? o->principal : NULL);
    c->webui_url = sdk_xstrdup(o->webui_url && *o->webui_url ? o->webui_url : NULL);
    c->hostname = sdk_xstrdup(o->hostname && *o->hostname ? o->hostname : NULL);
    c->n_roles = o->n_roles;
    c->roles = sdk_xcalloc(o->n_roles, sizeof *c->roles);
    for (size_t i = 0; i < o->n_roles; i++) c->roles[i] = sdk_xstrdup(o->roles[i]);
    c->framework_id = o->framework_id && *o->framework_id ? sdk_xstrdup(o->framework_id) : NULL;
    c->failover_timeout_s = o->failover_timeout_s > 0 ? o->failover_timeout_s : SDK_MESOS_FAILOVER_TIMEOUT_S;
    c->gpu_resources = o->gpu_resources;
    c->region_aware = o->region_aware;
    c->cb = o->cb;
#define DEF(f, d) (o->f ? o->f : (d))
    c->hb_timeout_opt_ms = o->heartbeat_timeout_ms;
    c->backoff_initial_ms = DEF(backoff_initial_ms, 500);
    c->backoff_max_ms = DEF(backoff_max_ms, 15000);
    c->leader_delay_max_ms = DEF(leader_delay_max_ms, 500);
    c->call_timeout_ms = DEF(call_timeout_ms, 75000);
    c->connect_timeout_ms = DEF(connect_timeout_ms, 10000);
    c->revive_capacity = DEF(revive_capacity, 256);
    c->revive_refill_ms = DEF(revive_refill_ms, 256000);
    c->revive_min_interval_ms = DEF(revive_min_interval_ms, 5000);
    c->max_redirects = DEF(max_redirects, 9);
#undef DEF
    c->tokens = c->revive_capacity;
    c->refill_anchor_ms = sdk_loop_now_ms(loop);
    sdk_buf_init(&c->err_body);
    sdk_recordio_decoder_init(&c->dec, 0);
    c->state = ST_NEW;
    *out = c;
    return 0;
}

int sdk_mesos_client_start(sdk_mesos_client *c) {
    if (c->state != ST_NEW) return SDK_ESTATE;
    if (sdk_curl_new(c->loop, &c->curl) != 0) return SDK_ENOMEM;
    c->state = ST_IDLE;
    SDK_INFO(MOD, "framework %s: detecting the leading master from %s", c->name, c->master);
    return sdk_master_detector_start(c->det);
}

void sdk_mesos_client_stop(sdk_mesos_client *c) {
    if (!c || c->state == ST_STOPPED) return;
    c->state = ST_STOPPED;
    cancel_timer(c, &c->backoff_timer);
    cancel_timer(c, &c->revive_timer);
    cancel_timer(c, &c->dispatch_timer);
    stream_cleanup(c);
    queue_clear(c);
    waiting_clear(c);
    free(c->stream_id);
    c->stream_id = NULL;
    offers_clear(c);
    SDK_INFO(MOD, "framework %s: Mesos client stopped", c->name);
}

void sdk_mesos_client_free(sdk_mesos_client *c) {
    if (!c) return;
    sdk_mesos_client_stop(c);
    sdk_master_detector_free(c->det);
    sdk_curl_free(c->curl); /* aborts calls still running: their done callbacks free them */
    free(c->master);
    free(c->name);
    free(c->user);
    free(c->principal);
    free(c->webui_url);
    free(c->hostname);
    for (size_t i = 0; i < c->n_roles; i++) free(c->roles[i]);
    free(c->roles);
    free(c->leader);
    free(c->redirect);
    free(c->target);
    free(c->framework_id);
    free(c->offers);
    sdk_buf_free(&c->err_body);
    sdk_recordio_decoder_free(&c->dec);
    free(c);
}

/* ------------------------------------------------------------------ state */

bool sdk_mesos_client_subscribed(const sdk_mesos_client *c) { return c->state == ST_SUBSCRIBED; }
const char *sdk_mesos_client_framework_id(const sdk_mesos_client *c) { return c->framework_id; }
const char *sdk_mesos_client_stream_id(const sdk_mesos_client *c) { return c->stream_id; }
const char *sdk_mesos_client_master_url(const sdk_mesos_client *c) {
    return c->state == ST_SUBSCRIBED || c->state == ST_SUBSCRIBING ? c->target : NULL;
}
size_t sdk_mesos_client_outstanding_offers(const sdk_mesos_client *c) { return c->n_offers; }
size_t sdk_mesos_client_pending_calls(const sdk_mesos_client *c) {
    size_t n = c->n_running;
    for (const call_ctx *k = c->waiting; k; k = k->next) n++;
    return n;
}
const sdk_mesos_client_metrics *sdk_mesos_client_get_metrics(const sdk_mesos_client *c) { return &c->m; }
