/* One stream of operator events (DESIGN.md "Growing it").
 *
 * A module that has something to tell the operator (a step changed status, a task failed, a pod
 * was restarted, a step still waits for resources...) publishes ONE structured event here; it
 * never formats console output itself. Subscribers decide what to do with it: the terminal
 * printer (core/app/progress.c), the log, GET /v1/events (Server-Sent Events, core/api/
 * routes_events.c), later metrics and the web console.
 *
 * The bus lives on the loop thread: publish, subscribe and replay are loop-thread only, and
 * delivery is synchronous (every subscriber has seen an event when publish returns). A bounded
 * ring keeps the most recent events so that a client can resume (SSE Last-Event-ID).
 *
 * An event is a type, an id (1, 2, ... in publication order), a time from the bus's one clock,
 * and ordered string fields. The fields each type carries are listed with the type below.
 */
#ifndef SDK_EVENTS_H
#define SDK_EVENTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sdk_event_type {
    SDK_EV_STEP,        /* plan, phase, step, [from], to: a step changed status (no from: first seen) */
    SDK_EV_PLAN,        /* plan, status, complete, total, [errors]: the plan's summary changed */
    SDK_EV_WAITING,     /* plan, step, pod, reason, declined, seconds: a step still waits for resources */
    SDK_EV_TASK_FAILED, /* task, pod, task_id, [agent_id], state, [exit_status], [reason], [message],
                         * [delay_s]: a task ended in failure (delay_s: its crash-loop backoff) */
    SDK_EV_TASK_OUTPUT, /* task, pod, task_id, stderr_tail | stderr_unavailable: the last lines of a
                         * failed task's stderr, read from its sandbox after the failure */
    SDK_EV_RECOVERY,    /* pod, kind (transient|permanent), step, [cause] */
    SDK_EV_RESTART,     /* pod, tasks, cause */
    SDK_EV_REPLACE,     /* pod, tasks, cause */
    SDK_EV_PAUSE,       /* pod, tasks, cause */
    SDK_EV_RESUME,      /* pod, tasks, cause */
    SDK_EV_DECOMMISSION, /* pod, step, cause */
    SDK_EV_VOLUME_DESTROYED, /* volume (persistence id), [path], agent, agent_id, cause */
    SDK_EV_LEADER,      /* framework_id, master: subscribed (became the framework's scheduler) */
    SDK_EV_DROPPED,     /* missed: a subscriber fell behind and lost events (SSE only) */
    SDK_EV__COUNT
} sdk_event_type;

typedef struct sdk_event_field {
    char *key, *value;
} sdk_event_field;

typedef struct sdk_event {
    uint64_t id;
    sdk_event_type type;
    double time; /* seconds since the Unix epoch, from the bus clock */
    sdk_event_field *fields;
    size_t n_fields;
} sdk_event;

/* "step", "plan", "waiting", "task-failed", ... (the SSE event name); NULL for an unknown type. */
const char *sdk_event_type_name(sdk_event_type t);
/* The value of a field, or NULL. */
const char *sdk_event_get(const sdk_event *e, const char *key);
/* {"id": 7, "type": "step", "time": "2026-12-06T21:40:38.120Z", "fields": {...}} on one line
 * (no newline); fields keep their order. Caller frees. */
char *sdk_event_json_new(const sdk_event *e);
/* The operator's line for e, without time or final newline ("hello-0-server failed: TASK_FAILED,
 * exit status 1 ..."); a stderr tail and plan errors follow on further indented lines. Caller
 * frees. */
char *sdk_event_text_new(const sdk_event *e);
/* HH:MM:SS (UTC, like the log) of a bus time, into buf (at least 9 bytes). */
void sdk_event_clock_text(double t, char *buf, size_t size);

typedef struct sdk_events sdk_events;
typedef double (*sdk_events_clock_fn)(void *arg); /* seconds since the Unix epoch */
typedef void (*sdk_event_cb)(const sdk_event *e, void *ud);

/* A subscriber that writes each event to the process log (info level, module "event"). */
void sdk_events_log_cb(const sdk_event *e, void *ud);

/* A bus keeping the last ring_cap events (0: 1024). clock NULL: CLOCK_REALTIME. */
sdk_events *sdk_events_new(size_t ring_cap, sdk_events_clock_fn clock, void *clock_arg);
void sdk_events_free(sdk_events *b); /* NULL is a no-op */
/* Publishes an event: fields as key, value pairs of strings ending with a NULL key; a pair whose
 * value is NULL is left out. Delivered to every subscriber before it returns (a subscriber may
 * publish in turn: that event is delivered after the current one). Returns its id; b NULL: 0. */
uint64_t sdk_events_publish(sdk_events *b, sdk_event_type type, ...);
/* The same with the fields given as an array (copied). */
uint64_t sdk_events_publish_fields(sdk_events *b, sdk_event_type type, const sdk_event_field *f, size_t n);
/* Adds a subscriber; returns its handle (never 0). */
uint64_t sdk_events_subscribe(sdk_events *b, sdk_event_cb cb, void *ud);
/* Removes a subscriber (safe from inside a callback: it receives nothing more). */
void sdk_events_unsubscribe(sdk_events *b, uint64_t handle);
/* Calls cb for every event still in the ring with id > after, oldest first. Returns false when
 * events after `after` were already pushed out of the ring (the replay has a gap), else true. */
bool sdk_events_replay(const sdk_events *b, uint64_t after, sdk_event_cb cb, void *ud);
/* The id of the latest event (0: none yet). */
uint64_t sdk_events_last_id(const sdk_events *b);
#endif
