/* The service's operator events (core/events/events.h): steps that wait for resources, and
 * task failures. The service publishes facts; the terminal printer, the log and /v1/events
 * format them. */
#include "core/events/events.h"
#include "core/service/service_internal.h"
#include "core/util/str.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct waiting_reason {
    char *text;     /* "<stage>: <reason>" of the first failing stage */
    size_t count;   /* offers it declined while the step waited */
} waiting_reason;

typedef struct svc_waiting {
    char step_id[SDK_UUID_STRLEN + 1]; /* key of s->waiting_by */
    char *plan, *step, *pod;
    double since, last_seen;
    waiting_reason *reasons;
    size_t n_reasons;
    char *reported; /* the reason last published; NULL: none yet */
} svc_waiting;

/* Steps are few at a time (the candidates of one cycle), but a thousand-pod deploy has a thousand:
 * one is found by its id through s->waiting_by. */
static sdk_strmap *waiting_map(sdk_service *s) { return &s->waiting_by; }

static void waiting_free_one(svc_waiting *w) {
    free(w->plan);
    free(w->step);
    free(w->pod);
    for (size_t i = 0; i < w->n_reasons; i++) free(w->reasons[i].text);
    free(w->reasons);
    free(w->reported);
    free(w);
}

static void waiting_remove(sdk_service *s, size_t i) {
    svc_waiting *w = s->waiting[i];
    sdk_strmap_del(waiting_map(s), w->step_id);
    waiting_free_one(w);
    s->waiting[i] = s->waiting[--s->n_waiting];
}

void svc_waiting_note(sdk_service *s, const sdk_plan *plan, const sdk_step *st, const sdk_offer_outcome *o) {
    if (!s->events) return;
    svc_waiting *w = sdk_strmap_get(waiting_map(s), st->id);
    if (o->pass) {
        if (!w) return;
        for (size_t i = 0; i < s->n_waiting; i++)
            if (s->waiting[i] == w) { waiting_remove(s, i); break; }
        return;
    }
    double now = svc_now(s);
    if (!w) {
        w = sdk_xcalloc(1, sizeof *w);
        memcpy(w->step_id, st->id, sizeof w->step_id);
        w->plan = sdk_xstrdup(plan && plan->name ? plan->name : "");
        w->step = sdk_xstrdup(st->name);
        w->pod = sdk_xstrdup(st->pod_instance ? st->pod_instance : "");
        w->since = now;
        s->waiting = sdk_xrealloc(s->waiting, (s->n_waiting + 1) * sizeof *s->waiting);
        s->waiting[s->n_waiting++] = w;
        sdk_strmap_put(waiting_map(s), w->step_id, w);
    }
    w->last_seen = now;
    const sdk_stage_outcome *fail = NULL;
    for (size_t k = 0; k < o->n_stages && !fail; k++)
        if (!o->stages[k].pass) fail = &o->stages[k];
    char *text = fail ? sdk_asprintf_new("%s: %s", fail->stage ? fail->stage : "", fail->reason ? fail->reason : "")
                      : sdk_xstrdup("no stage passed");
    for (size_t i = 0; i < w->n_reasons; i++)
        if (!strcmp(w->reasons[i].text, text)) {
            w->reasons[i].count++;
            free(text);
            return;
        }
    w->reasons = sdk_xrealloc(w->reasons, (w->n_reasons + 1) * sizeof *w->reasons);
    w->reasons[w->n_reasons++] = (waiting_reason){.text = text, .count = 1};
}

void svc_waiting_report(sdk_service *s) {
    double now = svc_now(s);
    for (size_t i = 0; i < s->n_waiting;) {
        svc_waiting *w = s->waiting[i];
        /* Not evaluated for a minute: no longer a candidate (done, replaced, plan paused). */
        if (now - w->last_seen > 60) {
            waiting_remove(s, i);
            continue;
        }
        i++;
        if (now - w->since < SVC_WAIT_REPORT_S || !w->n_reasons) continue;
        const waiting_reason *top = &w->reasons[0];
        for (size_t k = 1; k < w->n_reasons; k++)
            if (w->reasons[k].count > top->count) top = &w->reasons[k];
        if (w->reported && !strcmp(w->reported, top->text)) continue;
        free(w->reported);
        w->reported = sdk_xstrdup(top->text);
        char declined[32], secs[32];
        snprintf(declined, sizeof declined, "%zu", top->count);
        snprintf(secs, sizeof secs, "%.0f", now - w->since);
        sdk_events_publish(s->events, SDK_EV_WAITING, "plan", w->plan, "step", w->step, "pod", w->pod, "reason",
                           top->text, "declined", declined, "seconds", secs, NULL);
    }
}

void svc_waiting_free(sdk_service *s) {
    for (size_t i = 0; i < s->n_waiting; i++) waiting_free_one(s->waiting[i]);
    free(s->waiting);
    s->waiting = NULL;
    s->n_waiting = 0;
    sdk_strmap_free(&s->waiting_by);
}

/* "Command exited with status 3" -> "3"; "Command terminated with signal Killed" -> "signal Killed"
 * (the messages of Mesos' command and default executors, src/launcher/executor.cpp, and of the
 * local cluster). NULL when the message says neither. */
static char *exit_status_new(const char *msg) {
    if (!msg) return NULL;
    const char *p = strstr(msg, "exited with status ");
    if (p) {
        p += strlen("exited with status ");
        size_t n = strspn(p, "-0123456789");
        return n ? sdk_xstrndup(p, n) : NULL;
    }
    p = strstr(msg, "terminated with signal ");
    if (p) return sdk_xstrdup(p + strlen("terminated with "));
    return NULL;
}

/* A stderr tail on its way (for SDK_EV_TASK_OUTPUT). */
typedef struct output_pending {
    sdk_events *events;
    char *task, *task_id, *pod;
} output_pending;

static void output_publish(void *arg, const char *tail, const char *why) {
    output_pending *p = arg;
    sdk_events_publish(p->events, SDK_EV_TASK_OUTPUT, "task", p->task, "pod", p->pod, "task_id", p->task_id,
                       "stderr_tail", tail && *tail ? tail : NULL, "stderr_unavailable",
                       tail && *tail ? NULL : (why ? why : "empty"), NULL);
    free(p->task);
    free(p->task_id);
    free(p->pod);
    free(p);
}

void svc_event_task_failed(sdk_service *s, const sdk_task_rec *r, const sdk_status_update *u) {
    if (!s->events) return;
    char *exit_status = exit_status_new(u->message);
    char delay[32];
    double d = sdk_backoff_is_delayed(s->backoff, r->name) ? sdk_backoff_current_delay_s(s->backoff, r->name) : 0;
    snprintf(delay, sizeof delay, "%.0f", d);
    sdk_events_publish(s->events, SDK_EV_TASK_FAILED, "task", r->name, "pod", r->pod_instance, "task_id", u->task_id,
                       "agent_id", u->agent_id, "state", sdk_tstate_name(u->state), "exit_status", exit_status,
                       "reason", u->reason, "message", u->message, "delay_s", d > 0 ? delay : NULL, NULL);
    free(exit_status);
    /* The failure is news at once; its stderr follows when the agent answers. The reader
     * answers every request (at the latest when it is freed, before the bus). */
    if (!s->read_stderr || !u->agent_id) return;
    output_pending *p = sdk_xcalloc(1, sizeof *p);
    p->events = s->events;
    p->task = sdk_xstrdup(r->name);
    p->task_id = sdk_xstrdup(u->task_id);
    p->pod = sdk_xstrdup(r->pod_instance);
    s->read_stderr(s->read_stderr_ctx, u->agent_id, u->task_id, output_publish, p);
}

void svc_event_volumes_destroyed(sdk_service *s, const sdk_offer *offer, const sdk_operation *op) {
    if (!s->events) return;
    const char *cause = s->uninstall ? "uninstall: every volume is released"
                                     : "no task claims it any more: its pod was replaced or decommissioned";
    for (size_t i = 0; i < op->resources.n; i++) {
        const sdk_resource *r = &op->resources.v[i];
        if (!r->persistence_id) continue;
        sdk_events_publish(s->events, SDK_EV_VOLUME_DESTROYED, "volume", r->persistence_id, "path",
                           r->volume_container_path, "agent", offer->hostname, "agent_id", offer->agent_id, "cause",
                           cause, NULL);
    }
}
