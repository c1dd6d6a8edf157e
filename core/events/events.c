#include "core/events/events.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sub {
    uint64_t handle;
    sdk_event_cb cb;
    void *ud;
} sub;

struct sdk_events {
    sdk_events_clock_fn clock;
    void *clock_arg;
    sdk_event *ring; /* ring[(id - 1) % cap] holds event id while it is among the last cap */
    size_t cap;
    uint64_t last_id;
    sub *subs;
    size_t n_subs;
    uint64_t next_handle;
    /* Delivery in progress: events published meanwhile wait here (ids), in order. */
    bool delivering;
    uint64_t *queue;
    size_t n_queue, cap_queue;
};

static const char *const type_names[SDK_EV__COUNT] = {
    [SDK_EV_STEP] = "step",
    [SDK_EV_PLAN] = "plan",
    [SDK_EV_WAITING] = "waiting",
    [SDK_EV_TASK_FAILED] = "task-failed",
    [SDK_EV_TASK_OUTPUT] = "task-output",
    [SDK_EV_RECOVERY] = "recovery",
    [SDK_EV_RESTART] = "restart",
    [SDK_EV_REPLACE] = "replace",
    [SDK_EV_PAUSE] = "pause",
    [SDK_EV_RESUME] = "resume",
    [SDK_EV_DECOMMISSION] = "decommission",
    [SDK_EV_VOLUME_DESTROYED] = "volume-destroyed",
    [SDK_EV_LEADER] = "leader",
    [SDK_EV_DROPPED] = "dropped",
};

const char *sdk_event_type_name(sdk_event_type t) {
    return (unsigned)t < SDK_EV__COUNT ? type_names[t] : NULL;
}

const char *sdk_event_get(const sdk_event *e, const char *key) {
    for (size_t i = 0; i < e->n_fields; i++)
        if (!strcmp(e->fields[i].key, key)) return e->fields[i].value;
    return NULL;
}

static double realtime_now(void *arg) {
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sdk_event_clock_text(double t, char *buf, size_t size) {
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, size, "%H:%M:%S", &tm);
}

static void iso_time(double t, char *buf, size_t size) {
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
    int ms = (int)((t - (double)s) * 1000);
    if (ms < 0) ms = 0;
    if (ms > 999) ms = 999;
    snprintf(buf, size, "%s.%03dZ", b, ms);
}

char *sdk_event_json_new(const sdk_event *e) {
    json_t *j = json_object(), *f = json_object();
    char when[48];
    iso_time(e->time, when, sizeof when);
    json_object_set_new(j, "id", json_integer((json_int_t)e->id));
    json_object_set_new(j, "type", json_string(sdk_event_type_name(e->type)));
    json_object_set_new(j, "time", json_string(when));
    for (size_t i = 0; i < e->n_fields; i++) json_object_set_new(f, e->fields[i].key, json_string(e->fields[i].value));
    json_object_set_new(j, "fields", f);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
}

/* ---- the operator's text ---- */

static const char *fv(const sdk_event *e, const char *k) {
    const char *v = sdk_event_get(e, k);
    return v ? v : "";
}

/* " (cause)" when the event has a cause. */
static void add_cause(sdk_buf *b, const sdk_event *e) {
    const char *c = sdk_event_get(e, "cause");
    if (c && *c) sdk_buf_printf(b, " (%s)", c);
}

char *sdk_event_text_new(const sdk_event *e) {
    sdk_buf b;
    sdk_buf_init(&b);
    switch (e->type) {
    case SDK_EV_STEP:
        if (sdk_event_get(e, "from"))
            sdk_buf_printf(&b, "  %s / %s: %s -> %s", fv(e, "phase"), fv(e, "step"), fv(e, "from"), fv(e, "to"));
        else sdk_buf_printf(&b, "  %s / %s: %s", fv(e, "phase"), fv(e, "step"), fv(e, "to"));
        break;
    case SDK_EV_PLAN:
        sdk_buf_printf(&b, "%s plan: %s, %s of %s steps complete", fv(e, "plan"), fv(e, "status"), fv(e, "complete"),
                       fv(e, "total"));
        if (sdk_event_get(e, "errors")) {
            /* one error per line, as the plan carries them */
            const char *p = fv(e, "errors");
            while (*p) {
                size_t n = strcspn(p, "\n");
                sdk_buf_printf(&b, "\n    error: %.*s", (int)n, p);
                p += n;
                if (*p) p++;
            }
        }
        break;
    case SDK_EV_WAITING:
        sdk_buf_printf(&b, "  %s (%s plan): waiting %s s for resources; %s offer(s) declined: %s", fv(e, "step"),
                       fv(e, "plan"), fv(e, "seconds"), fv(e, "declined"), fv(e, "reason"));
        break;
    case SDK_EV_TASK_FAILED:
        sdk_buf_printf(&b, "%s failed: %s", fv(e, "task"), fv(e, "state"));
        if (sdk_event_get(e, "exit_status")) sdk_buf_printf(&b, ", exit status %s", fv(e, "exit_status"));
        if (sdk_event_get(e, "reason")) sdk_buf_printf(&b, ", %s", fv(e, "reason"));
        if (sdk_event_get(e, "message")) sdk_buf_printf(&b, ": %s", fv(e, "message"));
        if (sdk_event_get(e, "delay_s")) sdk_buf_printf(&b, "; next launch in %s s (crash-loop backoff)", fv(e, "delay_s"));
        break;
    case SDK_EV_TASK_OUTPUT: {
        const char *tail = sdk_event_get(e, "stderr_tail");
        if (!tail) {
            sdk_buf_printf(&b, "%s stderr: unavailable (%s)", fv(e, "task"), fv(e, "stderr_unavailable"));
            break;
        }
        sdk_buf_printf(&b, "%s stderr, last lines:", fv(e, "task"));
        const char *p = tail;
        while (*p) {
            size_t n = strcspn(p, "\n");
            sdk_buf_printf(&b, "\n    | %.*s", (int)n, p);
            p += n;
            if (*p) p++;
        }
        break;
    }
    case SDK_EV_RECOVERY:
        sdk_buf_printf(&b, "recovery of %s: %s, step %s", fv(e, "pod"), fv(e, "kind"), fv(e, "step"));
        add_cause(&b, e);
        break;
    case SDK_EV_RESTART:
    case SDK_EV_REPLACE:
    case SDK_EV_PAUSE:
    case SDK_EV_RESUME:
        sdk_buf_printf(&b, "%s %s: %s", sdk_event_type_name(e->type), fv(e, "pod"), fv(e, "tasks"));
        add_cause(&b, e);
        break;
    case SDK_EV_DECOMMISSION:
        sdk_buf_printf(&b, "decommission of %s: step %s", fv(e, "pod"), fv(e, "step"));
        add_cause(&b, e);
        break;
    case SDK_EV_VOLUME_DESTROYED:
        sdk_buf_printf(&b, "volume %s", fv(e, "volume"));
        if (sdk_event_get(e, "path")) sdk_buf_printf(&b, " (%s)", fv(e, "path"));
        sdk_buf_printf(&b, " destroyed on %s", fv(e, "agent"));
        add_cause(&b, e);
        break;
    case SDK_EV_LEADER:
        sdk_buf_printf(&b, "Subscribed to the Mesos master as framework %s", fv(e, "framework_id"));
        break;
    case SDK_EV_DROPPED:
        sdk_buf_printf(&b, "events dropped: %s", fv(e, "cause"));
        break;
    default:
        sdk_buf_printf(&b, "event %d", (int)e->type);
        break;
    }
    return sdk_buf_take(&b);
}

void sdk_events_log_cb(const sdk_event *e, void *ud) {
    (void)ud;
    char *text = sdk_event_text_new(e);
    sdk_log(SDK_LOG_INFO, "event", "%s", text);
    free(text);
}

/* ---- the bus ---- */

sdk_events *sdk_events_new(size_t ring_cap, sdk_events_clock_fn clock, void *clock_arg) {
    sdk_events *b = sdk_xcalloc(1, sizeof *b);
    b->cap = ring_cap ? ring_cap : 1024;
    b->ring = sdk_xcalloc(b->cap, sizeof *b->ring);
    b->clock = clock ? clock : realtime_now;
    b->clock_arg = clock_arg;
    b->next_handle = 1;
    return b;
}

static void event_clear(sdk_event *e) {
    for (size_t i = 0; i < e->n_fields; i++) {
        free(e->fields[i].key);
        free(e->fields[i].value);
    }
    free(e->fields);
    memset(e, 0, sizeof *e);
}

void sdk_events_free(sdk_events *b) {
    if (!b) return;
    for (size_t i = 0; i < b->cap; i++) event_clear(&b->ring[i]);
    free(b->ring);
    free(b->subs);
    free(b->queue);
    free(b);
}

static const sdk_event *ring_get(const sdk_events *b, uint64_t id) {
    if (!id || id > b->last_id || b->last_id - id >= b->cap) return NULL;
    return &b->ring[(id - 1) % b->cap];
}

/* Delivers every queued event; subscribers removed meanwhile (cb NULL) are compacted after. */
static void deliver(sdk_events *b) {
    b->delivering = true;
    for (size_t q = 0; q < b->n_queue; q++) {
        const sdk_event *e = ring_get(b, b->queue[q]);
        for (size_t i = 0; e && i < b->n_subs; i++)
            if (b->subs[i].cb) b->subs[i].cb(e, b->subs[i].ud);
    }
    b->n_queue = 0;
    size_t k = 0;
    for (size_t i = 0; i < b->n_subs; i++)
        if (b->subs[i].cb) b->subs[k++] = b->subs[i];
    b->n_subs = k;
    b->delivering = false;
}

uint64_t sdk_events_publish_fields(sdk_events *b, sdk_event_type type, const sdk_event_field *f, size_t n) {
    if (!b) return 0;
    uint64_t id = ++b->last_id;
    sdk_event *e = &b->ring[(id - 1) % b->cap];
    event_clear(e);
    e->id = id;
    e->type = type;
    e->time = b->clock(b->clock_arg);
    e->fields = sdk_xcalloc(n ? n : 1, sizeof *e->fields);
    for (size_t i = 0; i < n; i++) {
        if (!f[i].key || !f[i].value) continue;
        e->fields[e->n_fields].key = sdk_xstrdup(f[i].key);
        e->fields[e->n_fields++].value = sdk_xstrdup(f[i].value);
    }
    if (b->n_queue == b->cap_queue) {
        b->cap_queue = b->cap_queue ? 2 * b->cap_queue : 8;
        b->queue = sdk_xrealloc(b->queue, b->cap_queue * sizeof *b->queue);
    }
    b->queue[b->n_queue++] = id;
    if (!b->delivering) deliver(b);
    return id;
}

uint64_t sdk_events_publish(sdk_events *b, sdk_event_type type, ...) {
    if (!b) return 0;
    sdk_event_field f[32];
    size_t n = 0;
    va_list ap;
    va_start(ap, type);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k) break;
        const char *v = va_arg(ap, const char *);
        if (n < sizeof f / sizeof *f) f[n++] = (sdk_event_field){(char *)k, (char *)v};
    }
    va_end(ap);
    return sdk_events_publish_fields(b, type, f, n);
}

uint64_t sdk_events_subscribe(sdk_events *b, sdk_event_cb cb, void *ud) {
    b->subs = sdk_xrealloc(b->subs, (b->n_subs + 1) * sizeof *b->subs);
    b->subs[b->n_subs] = (sub){.handle = b->next_handle++, .cb = cb, .ud = ud};
    return b->subs[b->n_subs++].handle;
}

void sdk_events_unsubscribe(sdk_events *b, uint64_t handle) {
    if (!b) return;
    for (size_t i = 0; i < b->n_subs; i++) {
        if (b->subs[i].handle != handle) continue;
        if (b->delivering) {
            b->subs[i].cb = NULL; /* compacted when the delivery ends */
        } else {
            memmove(&b->subs[i], &b->subs[i + 1], (b->n_subs - i - 1) * sizeof *b->subs);
            b->n_subs--;
        }
        return;
    }
}

bool sdk_events_replay(const sdk_events *b, uint64_t after, sdk_event_cb cb, void *ud) {
    uint64_t oldest = b->last_id > b->cap ? b->last_id - b->cap + 1 : 1;
    bool complete = after + 1 >= oldest;
    for (uint64_t id = after + 1 > oldest ? after + 1 : oldest; id <= b->last_id; id++) cb(ring_get(b, id), ud);
    return complete;
}

uint64_t sdk_events_last_id(const sdk_events *b) { return b ? b->last_id : 0; }
