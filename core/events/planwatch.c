#include "core/events/planwatch.h"
#include "core/util/str.h"
#include "core/util/strmap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct seen {
    char id[SDK_UUID_STRLEN + 1]; /* step or phase id (keys by_id) */
    sdk_status status;
    uint64_t gen;                 /* last update that saw it */
} seen;

typedef struct plan_state {
    char *name;
    seen **items;      /* steps (and phases of a decommission plan) as last seen */
    size_t n, cap;
    sdk_strmap by_id;  /* id -> seen */
    bool started;
    char *summary;     /* the last published summary, to publish no repeat */
    uint64_t gen;
} plan_state;

typedef struct pod_cause {
    char *pod, *cause;
} pod_cause;

struct sdk_plan_watch {
    sdk_events *bus;
    uint64_t sub;
    plan_state **plans;
    size_t n_plans;
    pod_cause *causes; /* the latest failure or operator action per pod */
    size_t n_causes;
};

static void set_cause(sdk_plan_watch *w, const char *pod, char *cause) {
    for (size_t i = 0; i < w->n_causes; i++)
        if (!strcmp(w->causes[i].pod, pod)) {
            free(w->causes[i].cause);
            w->causes[i].cause = cause;
            return;
        }
    w->causes = sdk_xrealloc(w->causes, (w->n_causes + 1) * sizeof *w->causes);
    w->causes[w->n_causes++] = (pod_cause){sdk_xstrdup(pod), cause};
}

static const char *get_cause(const sdk_plan_watch *w, const char *pod) {
    for (size_t i = 0; pod && i < w->n_causes; i++)
        if (!strcmp(w->causes[i].pod, pod)) return w->causes[i].cause;
    return NULL;
}

/* Remembers why a pod will be recovered: its latest task failure or pod operation. */
static void on_event(const sdk_event *e, void *ud) {
    sdk_plan_watch *w = ud;
    const char *pod = sdk_event_get(e, "pod");
    if (!pod) return;
    if (e->type == SDK_EV_TASK_FAILED) {
        const char *st = sdk_event_get(e, "exit_status");
        set_cause(w, pod, st ? sdk_asprintf_new("%s %s, exit status %s", sdk_event_get(e, "task"),
                                                sdk_event_get(e, "state"), st)
                             : sdk_asprintf_new("%s %s", sdk_event_get(e, "task"), sdk_event_get(e, "state")));
    } else if (e->type == SDK_EV_RESTART || e->type == SDK_EV_REPLACE || e->type == SDK_EV_PAUSE ||
               e->type == SDK_EV_RESUME) {
        set_cause(w, pod, sdk_asprintf_new("%s requested by the operator", sdk_event_type_name(e->type)));
    }
}

sdk_plan_watch *sdk_plan_watch_new(sdk_events *bus) {
    sdk_plan_watch *w = sdk_xcalloc(1, sizeof *w);
    w->bus = bus;
    w->sub = sdk_events_subscribe(bus, on_event, w);
    return w;
}

static void plan_state_free(plan_state *p) {
    for (size_t i = 0; i < p->n; i++) free(p->items[i]);
    free(p->items);
    sdk_strmap_free(&p->by_id);
    free(p->name);
    free(p->summary);
    free(p);
}

void sdk_plan_watch_free(sdk_plan_watch *w) {
    if (!w) return;
    sdk_events_unsubscribe(w->bus, w->sub);
    for (size_t i = 0; i < w->n_plans; i++) plan_state_free(w->plans[i]);
    free(w->plans);
    for (size_t i = 0; i < w->n_causes; i++) {
        free(w->causes[i].pod);
        free(w->causes[i].cause);
    }
    free(w->causes);
    free(w);
}

static plan_state *state_for(sdk_plan_watch *w, const char *name) {
    for (size_t i = 0; i < w->n_plans; i++)
        if (!strcmp(w->plans[i]->name, name)) return w->plans[i];
    plan_state *p = sdk_xcalloc(1, sizeof *p);
    p->name = sdk_xstrdup(name);
    w->plans = sdk_xrealloc(w->plans, (w->n_plans + 1) * sizeof *w->plans);
    w->plans[w->n_plans++] = p;
    return p;
}

/* Steps keep their order between calls, so the k-th one is usually at position k: look there
 * first, else up by id. Returns the entry and whether it is new. */
static seen *find_or_add(plan_state *p, size_t k, const char *id, sdk_status s, bool *created) {
    *created = false;
    seen *e = k < p->n && !strcmp(p->items[k]->id, id) ? p->items[k] : sdk_strmap_get(&p->by_id, id);
    if (e) return e;
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->items = sdk_xrealloc(p->items, p->cap * sizeof *p->items);
    }
    e = sdk_xcalloc(1, sizeof *e);
    memcpy(e->id, id, sizeof e->id);
    e->status = s;
    p->items[p->n++] = e;
    sdk_strmap_put(&p->by_id, e->id, e);
    *created = true;
    return e;
}

/* Forgets what the last update did not see (finished recovery steps, a rebuilt plan's old ids). */
static void prune(plan_state *p) {
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->items[i]->gen == p->gen) p->items[k++] = p->items[i];
        else {
            sdk_strmap_del(&p->by_id, p->items[i]->id);
            free(p->items[i]);
        }
    }
    p->n = k;
}

void sdk_plan_watch_update(sdk_plan_watch *w, sdk_plan *plan) {
    if (!plan) return;
    plan_state *p = state_for(w, plan->name);
    p->gen++;
    bool recovery = !strcmp(plan->name, "recovery"), decommission = !strcmp(plan->name, "decommission");
    size_t total = 0, done = 0, pos = 0;
    for (size_t i = 0; i < plan->n_phases; i++) {
        sdk_phase *ph = plan->phases[i];
        bool created;
        if (decommission) {
            seen *e = find_or_add(p, pos++, ph->id, SDK_STATUS_PENDING, &created);
            e->gen = p->gen;
            if (created)
                sdk_events_publish(w->bus, SDK_EV_DECOMMISSION, "pod", ph->name, "step",
                                   ph->n_steps ? ph->steps[0]->name : "", "cause",
                                   "no longer in the target configuration", NULL);
        }
        for (size_t j = 0; j < ph->n_steps; j++) {
            sdk_step *st = ph->steps[j];
            sdk_status s = sdk_step_status(st);
            total++;
            if (s == SDK_STATUS_COMPLETE) done++;
            seen *e = find_or_add(p, pos++, st->id, s, &created);
            e->gen = p->gen;
            if (created) {
                if (recovery && s != SDK_STATUS_COMPLETE)
                    sdk_events_publish(w->bus, SDK_EV_RECOVERY, "pod", st->pod_instance ? st->pod_instance : ph->name,
                                       "kind", st->recovery == SDK_RECOVERY_PERMANENT ? "permanent" : "transient",
                                       "step", st->name, "cause", get_cause(w, st->pod_instance), NULL);
                if (p->started)
                    sdk_events_publish(w->bus, SDK_EV_STEP, "plan", plan->name, "phase", ph->name, "step", st->name,
                                       "to", sdk_status_name(s), NULL);
                continue;
            }
            if (e->status == s) continue;
            sdk_events_publish(w->bus, SDK_EV_STEP, "plan", plan->name, "phase", ph->name, "step", st->name, "from",
                               sdk_status_name(e->status), "to", sdk_status_name(s), NULL);
            e->status = s;
        }
    }
    prune(p);
    sdk_status ps = sdk_plan_status(plan);
    char complete[32], count[32];
    snprintf(complete, sizeof complete, "%zu", done);
    snprintf(count, sizeof count, "%zu", total);
    sdk_buf errors;
    sdk_buf_init(&errors);
    for (size_t i = 0; i < plan->errors.n; i++) sdk_buf_printf(&errors, "%s%s", i ? "\n" : "", plan->errors.msgs[i]);
    char *summary = sdk_asprintf_new("%s|%s|%s|%s", sdk_status_name(ps), complete, count, errors.len ? errors.data : "");
    /* An empty recovery or decommission plan is no news at start. */
    bool quiet_empty = !p->started && !total && (recovery || decommission);
    if (!quiet_empty && (!p->summary || strcmp(p->summary, summary))) {
        sdk_events_publish(w->bus, SDK_EV_PLAN, "plan", plan->name, "status", sdk_status_name(ps), "complete", complete,
                           "total", count, "errors", errors.len ? errors.data : NULL, NULL);
        free(p->summary);
        p->summary = summary;
    } else if (quiet_empty && !p->summary) {
        p->summary = summary;
    } else {
        free(summary);
    }
    sdk_buf_free(&errors);
    p->started = true;
}

bool sdk_plan_watch_knows(const sdk_plan_watch *w, const char *plan_name) {
    for (size_t i = 0; i < w->n_plans; i++)
        if (!strcmp(w->plans[i]->name, plan_name)) return true;
    return false;
}
