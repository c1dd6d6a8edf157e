/* Plan model: construction, strategies (§4.4), element statuses (§4.1, §4.3), the step state
 * machine (§4.2) and the operator controls (§4.5). */
#include <stdlib.h>
#include <string.h>
#include "core/plan/plan.h"
#include "core/plan/plan_internal.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "core/util/strmap.h"

#define DEPLOYMENT_STEP_IMPL "com.mesosphere.sdk.scheduler.plan.DeploymentStep"
#define DEFAULT_STEP_IMPL "com.mesosphere.sdk.scheduler.plan.DefaultStep"

/* ------------------------------------------------------------------ construction ---- */

static void strat_init(sdk_strat *st, sdk_strategy kind) {
    memset(st, 0, sizeof *st);
    st->kind = kind;
}

sdk_plan *sdk_plan_new(const char *name, sdk_strategy strategy) {
    sdk_plan *p = sdk_xcalloc(1, sizeof *p);
    sdk_uuid_generate(p->id);
    p->name = sdk_xstrdup(name);
    strat_init(&p->strat, strategy);
    sdk_errors_init(&p->errors);
    return p;
}

sdk_phase *sdk_phase_new(const char *name, sdk_strategy strategy) {
    static uint64_t next_serial;
    sdk_phase *ph = sdk_xcalloc(1, sizeof *ph);
    ph->serial = ++next_serial;
    sdk_uuid_generate(ph->id);
    ph->name = sdk_xstrdup(name);
    strat_init(&ph->strat, strategy);
    sdk_errors_init(&ph->errors);
    return ph;
}

sdk_step *sdk_step_pod_new(const char *name, const char *pod_type, int64_t pod_index,
                           const char *const *tasks, const sdk_goal *goals, size_t n_tasks) {
    sdk_step *s = sdk_xcalloc(1, sizeof *s);
    sdk_uuid_generate(s->id);
    s->name = sdk_xstrdup(name);
    s->impl = sdk_xstrdup(DEPLOYMENT_STEP_IMPL);
    s->kind = SDK_STEP_POD;
    s->pod_type = sdk_xstrdup(pod_type);
    s->pod_index = pod_index;
    s->pod_instance = sdk_asprintf_new("%s-%lld", pod_type, (long long)pod_index);
    s->status = SDK_STATUS_PENDING;
    sdk_errors_init(&s->errors);
    if (n_tasks) s->tasks = sdk_xcalloc(n_tasks, sizeof *s->tasks);
    s->n_tasks = n_tasks;
    for (size_t i = 0; i < n_tasks; i++) {
        s->tasks[i].task = sdk_xstrdup(tasks[i]);
        s->tasks[i].name = sdk_asprintf_new("%s-%s", s->pod_instance, tasks[i]);
        s->tasks[i].goal = goals ? goals[i] : SDK_GOAL_RUNNING;
        s->tasks[i].status = SDK_STATUS_PENDING;
    }
    return s;
}

sdk_step *sdk_step_generic_new(const char *name, const char *impl, sdk_step_action action,
                               const char *target, sdk_status status) {
    sdk_step *s = sdk_xcalloc(1, sizeof *s);
    sdk_uuid_generate(s->id);
    s->name = sdk_xstrdup(name);
    s->impl = sdk_xstrdup(impl ? impl : DEFAULT_STEP_IMPL);
    s->kind = SDK_STEP_GENERIC;
    s->action = action;
    s->target = sdk_xstrdup(target);
    s->status = status;
    sdk_errors_init(&s->errors);
    return s;
}

void sdk_plan_add_phase_take(sdk_plan *p, sdk_phase *ph) {
    if (p->n_phases == p->cap_phases) {
        p->cap_phases = p->cap_phases ? p->cap_phases * 2 : 4;
        p->phases = sdk_xrealloc(p->phases, p->cap_phases * sizeof *p->phases);
    }
    p->phases[p->n_phases++] = ph;
}

void sdk_phase_add_step_take(sdk_phase *ph, sdk_step *s) {
    if (ph->n_steps == ph->cap_steps) {
        ph->cap_steps = ph->cap_steps ? ph->cap_steps * 2 : 4;
        ph->steps = sdk_xrealloc(ph->steps, ph->cap_steps * sizeof *ph->steps);
    }
    ph->steps[ph->n_steps++] = s;
}

static int strat_add_dep(sdk_strat *st, size_t n, size_t child, size_t prereq) {
    if (child >= n || prereq >= n || child == prereq) return SDK_EINVAL;
    st->deps = sdk_xrealloc(st->deps, (st->n_deps + 1) * sizeof *st->deps);
    st->deps[st->n_deps].child = child;
    st->deps[st->n_deps].prereq = prereq;
    st->n_deps++;
    return 0;
}

int sdk_phase_add_dep(sdk_phase *ph, size_t child, size_t prereq) {
    return strat_add_dep(&ph->strat, ph->n_steps, child, prereq);
}

int sdk_plan_add_dep(sdk_plan *p, size_t child, size_t prereq) {
    return strat_add_dep(&p->strat, p->n_phases, child, prereq);
}

void sdk_step_free(sdk_step *s) {
    if (!s) return;
    free(s->name);
    free(s->impl);
    free(s->target);
    free(s->pod_type);
    free(s->pod_instance);
    for (size_t i = 0; i < s->n_tasks; i++) {
        free(s->tasks[i].name);
        free(s->tasks[i].task);
        free(s->tasks[i].launched_id);
    }
    free(s->tasks);
    sdk_errors_free(&s->errors);
    free(s);
}

void sdk_phase_free(sdk_phase *ph) {
    if (!ph) return;
    for (size_t i = 0; i < ph->n_steps; i++) sdk_step_free(ph->steps[i]);
    free(ph->steps);
    free(ph->name);
    free(ph->pod_instance);
    free(ph->strat.deps);
    sdk_errors_free(&ph->errors);
    free(ph);
}

static void params_clear(sdk_plan *p) {
    for (size_t i = 0; i < p->n_params; i++) {
        free(p->params[i].key);
        free(p->params[i].value);
    }
    free(p->params);
    p->params = NULL;
    p->n_params = 0;
}

static void task_index_free(struct sdk_plan_task_index *x);

void sdk_plan_free(sdk_plan *p) {
    if (!p) return;
    task_index_free(p->task_index);
    for (size_t i = 0; i < p->n_phases; i++) sdk_phase_free(p->phases[i]);
    free(p->phases);
    free(p->name);
    free(p->strat.deps);
    sdk_errors_free(&p->errors);
    params_clear(p);
    free(p);
}

const char *sdk_strat_name(const sdk_strat *st) {
    switch (st->kind) {
    case SDK_STRATEGY_SERIAL: return "serial";
    case SDK_STRATEGY_PARALLEL: return "parallel";
    case SDK_STRATEGY_SERIAL_CANARY: return "serial-canary";
    case SDK_STRATEGY_PARALLEL_CANARY: return "parallel-canary";
    case SDK_STRATEGY_DEPENDENCY: return "dependency";
    case SDK_STRATEGY_DEPENDENCY_CANARY: return "dependency-canary";
    }
    return "serial";
}

/* ------------------------------------------------------------------------ lookups ---- */

sdk_phase *sdk_plan_find_phase(sdk_plan *p, const char *key) {
    if (!p || !key) return NULL;
    bool by_id = sdk_uuid_valid(key);
    for (size_t i = 0; i < p->n_phases; i++)
        if (strcmp(by_id ? p->phases[i]->id : p->phases[i]->name, key) == 0) return p->phases[i];
    return NULL;
}

sdk_step *sdk_phase_find_step(sdk_phase *ph, const char *key) {
    if (!ph || !key) return NULL;
    bool by_id = sdk_uuid_valid(key);
    sdk_step *found = NULL;
    for (size_t i = 0; i < ph->n_steps; i++) {
        if (strcmp(by_id ? ph->steps[i]->id : ph->steps[i]->name, key) != 0) continue;
        if (found) return NULL; /* ambiguous name */
        found = ph->steps[i];
    }
    return found;
}

sdk_plan *sdk_plans_find(sdk_plan *const *plans, size_t n, const char *name) {
    for (size_t i = 0; name && i < n; i++)
        if (plans[i] && strcmp(plans[i]->name, name) == 0) return plans[i];
    return NULL;
}

/* ------------------------------------------------------------- step status logic ---- */

static int worst_rank(sdk_status s) {
    switch (s) {
    case SDK_STATUS_ERROR: return 0;
    case SDK_STATUS_DELAYED: return 1;
    case SDK_STATUS_PENDING: return 2;
    case SDK_STATUS_PREPARED: return 3;
    case SDK_STATUS_STARTING: return 4;
    case SDK_STATUS_STARTED: return 5;
    case SDK_STATUS_COMPLETE: return 6;
    default: return 2;
    }
}

/* Step status = worst status among the tasks this step launched; unchanged when none. */
static void step_recompute(sdk_step *s) {
    bool any = false;
    sdk_status worst = SDK_STATUS_COMPLETE;
    for (size_t i = 0; i < s->n_tasks; i++) {
        if (!s->tasks[i].launched_id) continue;
        any = true;
        if (worst_rank(s->tasks[i].status) < worst_rank(worst)) worst = s->tasks[i].status;
    }
    if (any) s->status = worst;
}

/* DELAYED tasks whose backoff elapsed (or that have none) go back to PENDING. */
static void step_refresh_delay(sdk_step *s) {
    if (s->status != SDK_STATUS_DELAYED || s->kind != SDK_STEP_POD) return;
    for (size_t i = 0; i < s->n_tasks; i++)
        if (s->tasks[i].status == SDK_STATUS_DELAYED && !sdk_backoff_is_delayed(s->backoff, s->tasks[i].name))
            s->tasks[i].status = SDK_STATUS_PENDING;
    step_recompute(s);
    if (s->status == SDK_STATUS_DELAYED) {
        /* a DELAYED step without delayed launched tasks cannot stay delayed */
        bool any = false;
        for (size_t i = 0; i < s->n_tasks; i++) any |= s->tasks[i].status == SDK_STATUS_DELAYED;
        if (!any) s->status = SDK_STATUS_PENDING;
    }
}

sdk_status sdk_step_status(sdk_step *s) {
    step_refresh_delay(s);
    if (s->interrupted && (s->status == SDK_STATUS_PENDING || s->status == SDK_STATUS_PREPARED))
        return SDK_STATUS_WAITING;
    return s->status;
}

sdk_status sdk_step_display_status(sdk_step *s, const sdk_task_views *tv) {
    sdk_status st = sdk_step_status(s);
    if (!tv || s->kind != SDK_STEP_POD || s->n_tasks == 0) return st;
    for (size_t i = 0; i < s->n_tasks; i++) {
        const sdk_task_view *t = sdk_task_views_find(tv, s->tasks[i].name);
        if (!t || t->override != SDK_OVERRIDE_PAUSED) return st;
    }
    if (st == SDK_STATUS_COMPLETE || st == SDK_STATUS_STARTED) return SDK_STATUS_PAUSED;
    if (st == SDK_STATUS_PREPARED || st == SDK_STATUS_STARTING) return SDK_STATUS_PAUSING;
    return st;
}

static sdk_step_task *step_task_by_name(sdk_step *s, const char *name) {
    for (size_t i = 0; i < s->n_tasks; i++)
        if (strcmp(s->tasks[i].name, name) == 0) return &s->tasks[i];
    return NULL;
}

int sdk_step_on_launched(sdk_step *s, const sdk_launched *l, size_t n) {
    if (s->kind != SDK_STEP_POD || s->status == SDK_STATUS_COMPLETE) return SDK_ESTATE;
    if (n == 0) {
        if (s->status == SDK_STATUS_PENDING || s->status == SDK_STATUS_PREPARED)
            s->status = SDK_STATUS_PREPARED;
        return 0;
    }
    for (size_t i = 0; i < s->n_tasks; i++) {
        free(s->tasks[i].launched_id);
        s->tasks[i].launched_id = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!l[i].task_name || !l[i].task_id) continue;
        sdk_step_task *t = step_task_by_name(s, l[i].task_name);
        if (!t) continue;
        free(t->launched_id);
        t->launched_id = sdk_xstrdup(l[i].task_id);
        t->status = SDK_STATUS_STARTING;
    }
    step_recompute(s);
    return 0;
}

bool sdk_step_on_task_status(sdk_step *s, const char *task_name, const char *task_id,
                             sdk_tstate state, bool ready) {
    if (s->kind != SDK_STEP_POD || !task_id || s->status == SDK_STATUS_COMPLETE) return false;
    sdk_step_task *t = NULL;
    for (size_t i = 0; i < s->n_tasks && !t; i++)
        if (s->tasks[i].launched_id && strcmp(s->tasks[i].launched_id, task_id) == 0) t = &s->tasks[i];
    if (!t || (task_name && strcmp(task_name, t->name) != 0)) return false;
    bool running_goal = t->goal == SDK_GOAL_RUNNING;
    switch (state) {
    case SDK_TSTATE_STAGING:
    case SDK_TSTATE_STARTING:
        t->status = SDK_STATUS_STARTING;
        break;
    case SDK_TSTATE_RUNNING:
        if (running_goal && ready) {
            t->status = SDK_STATUS_COMPLETE;
            sdk_backoff_clear(s->backoff, t->name);
        } else {
            t->status = SDK_STATUS_STARTED;
        }
        break;
    case SDK_TSTATE_FINISHED:
        t->status = running_goal ? SDK_STATUS_PENDING : SDK_STATUS_COMPLETE;
        break;
    case SDK_TSTATE_FAILED:
    case SDK_TSTATE_ERROR:
        sdk_backoff_on_failure(s->backoff, t->name);
        t->status = sdk_backoff_is_delayed(s->backoff, t->name) ? SDK_STATUS_DELAYED : SDK_STATUS_PENDING;
        break;
    case SDK_TSTATE_GONE_BY_OPERATOR:
        sdk_backoff_clear(s->backoff, t->name);
        t->status = SDK_STATUS_PENDING;
        break;
    case SDK_TSTATE_KILLED:
    case SDK_TSTATE_KILLING:
    case SDK_TSTATE_LOST:
    case SDK_TSTATE_GONE:
    case SDK_TSTATE_DROPPED:
    case SDK_TSTATE_UNREACHABLE:
        t->status = SDK_STATUS_PENDING;
        break;
    case SDK_TSTATE_UNKNOWN:
    default:
        return false;
    }
    step_recompute(s);
    return true;
}

/* Task name -> the steps of the plan that launch it, so that a status update costs the steps of
 * its task rather than every step of every plan (10,000 reconciled tasks against a 10,000-step
 * deploy plan). Valid while the plan's phases are the same ones with the same step counts:
 * `sig` folds the phases' serials and step counts, and a change rebuilds the index. */
typedef struct step_ref {
    sdk_step *st;
    struct step_ref *next;
} step_ref;

struct sdk_plan_task_index {
    uint64_t sig;
    sdk_strmap by_task; /* keys borrowed from the steps' task names; values step_ref chains */
    step_ref *refs;     /* every chain node, one allocation */
};

static void task_index_free(struct sdk_plan_task_index *x) {
    if (!x) return;
    sdk_strmap_free(&x->by_task);
    free(x->refs);
    free(x);
}

static uint64_t phases_sig(const sdk_plan *p) {
    uint64_t h = 1469598103934665603ULL ^ p->n_phases;
    for (size_t i = 0; i < p->n_phases; i++) {
        h = (h ^ p->phases[i]->serial) * 1099511628211ULL;
        h = (h ^ p->phases[i]->n_steps) * 1099511628211ULL;
    }
    return h;
}

static struct sdk_plan_task_index *task_index(sdk_plan *p) {
    uint64_t sig = phases_sig(p);
    if (p->task_index && p->task_index->sig == sig) return p->task_index;
    task_index_free(p->task_index);
    struct sdk_plan_task_index *x = sdk_xcalloc(1, sizeof *x);
    x->sig = sig;
    sdk_strmap_init(&x->by_task);
    size_t n = 0;
    for (size_t i = 0; i < p->n_phases; i++)
        for (size_t j = 0; j < p->phases[i]->n_steps; j++) n += p->phases[i]->steps[j]->n_tasks;
    x->refs = sdk_xcalloc(n ? n : 1, sizeof *x->refs);
    size_t k = 0;
    /* built from the last step back, so that each chain runs in plan order */
    for (size_t i = p->n_phases; i-- > 0;)
        for (size_t j = p->phases[i]->n_steps; j-- > 0;) {
            sdk_step *st = p->phases[i]->steps[j];
            for (size_t t = 0; t < st->n_tasks; t++) {
                void **slot = sdk_strmap_slot(&x->by_task, st->tasks[t].name, NULL);
                x->refs[k].st = st;
                x->refs[k].next = *slot;
                *slot = &x->refs[k++];
            }
        }
    p->task_index = x;
    return x;
}

size_t sdk_plan_on_task_status(sdk_plan *p, const char *task_name, const char *task_id,
                               sdk_tstate state, bool ready) {
    size_t took = 0;
    if (task_name) { /* only the steps that launch this task can take it, in plan order */
        for (step_ref *r = sdk_strmap_get(&task_index(p)->by_task, task_name); r; r = r->next)
            took += sdk_step_on_task_status(r->st, task_name, task_id, state, ready);
        return took;
    }
    for (size_t i = 0; i < p->n_phases; i++)
        for (size_t j = 0; j < p->phases[i]->n_steps; j++)
            took += sdk_step_on_task_status(p->phases[i]->steps[j], task_name, task_id, state, ready);
    return took;
}

bool sdk_plan_launches_task(sdk_plan *p, const char *task_name) {
    return task_name && sdk_strmap_has(&task_index(p)->by_task, task_name);
}

void sdk_step_set_status(sdk_step *s, sdk_status status) {
    if (status == SDK_STATUS_WAITING || status == SDK_STATUS_IN_PROGRESS ||
        status == SDK_STATUS_PAUSED || status == SDK_STATUS_PAUSING)
        return; /* not storable step statuses */
    s->status = status;
}

void sdk_step_set_error(sdk_step *s, const char *msg) {
    sdk_errors_addf(&s->errors, "%s", msg);
    s->status = SDK_STATUS_ERROR;
}

void sdk_step_restart(sdk_step *s) {
    for (size_t i = 0; i < s->n_tasks; i++) {
        s->tasks[i].status = SDK_STATUS_PENDING;
        sdk_backoff_clear(s->backoff, s->tasks[i].name);
    }
    if (s->status != SDK_STATUS_ERROR || s->errors.n == 0) s->status = SDK_STATUS_PENDING;
}

void sdk_step_force_complete(sdk_step *s) {
    for (size_t i = 0; i < s->n_tasks; i++) s->tasks[i].status = SDK_STATUS_COMPLETE;
    s->status = SDK_STATUS_COMPLETE;
}

/* ------------------------------------------------------------------- strategies ---- */

typedef struct elem {
    sdk_status status;
    bool eligible;
} elem;

static bool kind_is_canary(sdk_strategy k) {
    return k == SDK_STRATEGY_SERIAL_CANARY || k == SDK_STRATEGY_PARALLEL_CANARY ||
           k == SDK_STRATEGY_DEPENDENCY_CANARY;
}

static bool deps_done(const sdk_strat *st, size_t i, const elem *e) {
    for (size_t d = 0; d < st->n_deps; d++)
        if (st->deps[d].child == i && e[st->deps[d].prereq].status != SDK_STATUS_COMPLETE) return false;
    return true;
}

/* Candidates of the (wrapped) strategy; indices into e written to out. */
static size_t base_candidates(const sdk_strat *st, const elem *e, size_t n, size_t *out) {
    size_t k = 0;
    if (st->interrupted) return 0;
    switch (st->kind) {
    case SDK_STRATEGY_SERIAL:
    case SDK_STRATEGY_SERIAL_CANARY:
        for (size_t i = 0; i < n; i++) {
            if (e[i].status == SDK_STATUS_COMPLETE) continue;
            if (e[i].eligible) out[k++] = i;
            break;
        }
        break;
    case SDK_STRATEGY_PARALLEL:
    case SDK_STRATEGY_PARALLEL_CANARY:
        for (size_t i = 0; i < n; i++)
            if (e[i].eligible) out[k++] = i;
        break;
    case SDK_STRATEGY_DEPENDENCY:
    case SDK_STRATEGY_DEPENDENCY_CANARY:
        for (size_t i = 0; i < n; i++)
            if (e[i].eligible && deps_done(st, i, e)) out[k++] = i;
        break;
    }
    return k;
}

bool sdk_step_conflicts(const sdk_step *a, const sdk_step *b) {
    if (!a->pod_instance || !b->pod_instance || strcmp(a->pod_instance, b->pod_instance) != 0)
        return false;
    for (size_t i = 0; i < a->n_tasks; i++)
        for (size_t j = 0; j < b->n_tasks; j++)
            if (strcmp(a->tasks[i].task, b->tasks[j].task) == 0) return true;
    return false;
}

static bool step_eligible(sdk_step *s, sdk_status st, const sdk_dirty *dirty) {
    if (st == SDK_STATUS_COMPLETE || st == SDK_STATUS_ERROR || s->errors.n) return false;
    if (s->interrupted || st == SDK_STATUS_DELAYED) return false;
    return !sdk_dirty_conflicts(dirty, s);
}

/* Canary steps are chosen at first use: the first 2 steps that are PENDING (or already
 * interrupted) get interrupted. */
static void phase_canary_init(sdk_phase *ph) {
    sdk_strat *st = &ph->strat;
    if (!kind_is_canary(st->kind) || st->canary_init) return;
    st->canary_init = true;
    size_t gate = st->canary_released >= 2 ? 0 : 2 - st->canary_released;
    for (size_t i = 0; i < ph->n_steps && st->n_canary < gate; i++) {
        sdk_step *s = ph->steps[i];
        if (s->status == SDK_STATUS_PENDING || s->interrupted) {
            s->interrupted = true;
            st->canary[st->n_canary++] = i;
        }
    }
}

/* Index of the first canary step still held, or -1. */
static long next_canary(sdk_phase *ph) {
    phase_canary_init(ph);
    for (size_t i = 0; i < ph->strat.n_canary; i++)
        if (ph->steps[ph->strat.canary[i]]->interrupted) return (long)ph->strat.canary[i];
    return -1;
}

/* Index of the first released canary step not yet complete, or -1. */
static long next_proceed(sdk_phase *ph) {
    for (size_t i = 0; i < ph->strat.n_canary; i++) {
        sdk_step *s = ph->steps[ph->strat.canary[i]];
        if (!s->interrupted && sdk_step_status(s) != SDK_STATUS_COMPLETE) return (long)ph->strat.canary[i];
    }
    return -1;
}

/* Candidate steps of a phase given dirty assets; returns count, indices in out (size n_steps).
 * status: the steps' sdk_step_status when the caller has them already (else NULL). */
static size_t phase_candidates(sdk_phase *ph, const sdk_dirty *dirty, size_t *out, const sdk_status *status) {
    size_t n = ph->n_steps;
    if (n == 0) return 0;
    elem *e = sdk_xcalloc(n, sizeof *e);
    for (size_t i = 0; i < n; i++) {
        e[i].status = status ? status[i] : sdk_step_status(ph->steps[i]);
        e[i].eligible = step_eligible(ph->steps[i], e[i].status, dirty);
    }
    size_t k = 0;
    if (kind_is_canary(ph->strat.kind) && next_canary(ph) >= 0) {
        for (size_t c = 0; c < ph->strat.n_canary; c++)
            if (e[ph->strat.canary[c]].eligible) out[k++] = ph->strat.canary[c];
    } else {
        k = base_candidates(&ph->strat, e, n, out);
    }
    free(e);
    return k;
}

bool sdk_phase_is_interrupted(sdk_phase *ph) {
    if (kind_is_canary(ph->strat.kind) && next_canary(ph) >= 0 && next_proceed(ph) < 0) return true;
    return ph->strat.interrupted;
}

void sdk_phase_interrupt(sdk_phase *ph) {
    if (kind_is_canary(ph->strat.kind) && next_canary(ph) >= 0) return; /* already held */
    ph->strat.interrupted = true;
}

size_t sdk_phase_canary_released(const sdk_phase *ph) { return ph->strat.canary_released; }

void sdk_phase_canary_restore(sdk_phase *ph, size_t released) {
    if (!kind_is_canary(ph->strat.kind) || ph->strat.canary_init) return;
    ph->strat.canary_released = released > 2 ? 2 : released;
}

void sdk_phase_proceed(sdk_phase *ph) {
    long c = kind_is_canary(ph->strat.kind) ? next_canary(ph) : -1;
    if (c >= 0) {
        ph->steps[c]->interrupted = false;
        ph->strat.canary_released++;
        return;
    }
    ph->strat.interrupted = false;
}

sdk_status sdk_phase_status(sdk_phase *ph) {
    phase_canary_init(ph);
    size_t n = ph->n_steps;
    sdk_status *c = n ? sdk_xcalloc(n, sizeof *c) : NULL;
    sdk_status *k = n ? sdk_xcalloc(n, sizeof *k) : NULL;
    size_t *idx = n ? sdk_xcalloc(n, sizeof *idx) : NULL;
    for (size_t i = 0; i < n; i++) c[i] = sdk_step_status(ph->steps[i]);
    size_t nk = phase_candidates(ph, NULL, idx, c);
    for (size_t i = 0; i < nk; i++) k[i] = c[idx[i]];
    sdk_status r = sdk_status_aggregate(c, n, k, nk, ph->errors.n > 0, sdk_phase_is_interrupted(ph));
    free(c);
    free(k);
    free(idx);
    return r;
}

/* Candidate phases of a plan (indices into phases), with their statuses in st (size n). */
static size_t plan_candidate_phases(sdk_plan *p, sdk_status *st, size_t *out) {
    size_t n = p->n_phases;
    if (n == 0) return 0;
    elem *e = sdk_xcalloc(n, sizeof *e);
    for (size_t i = 0; i < n; i++) {
        sdk_phase *ph = p->phases[i];
        e[i].status = st[i] = sdk_phase_status(ph);
        e[i].eligible = e[i].status != SDK_STATUS_COMPLETE && e[i].status != SDK_STATUS_ERROR &&
                        ph->errors.n == 0 && !sdk_phase_is_interrupted(ph);
    }
    size_t k = base_candidates(&p->strat, e, n, out);
    free(e);
    return k;
}

sdk_status sdk_plan_status(sdk_plan *p) {
    size_t n = p->n_phases;
    sdk_status *c = n ? sdk_xcalloc(n, sizeof *c) : NULL;
    sdk_status *k = n ? sdk_xcalloc(n, sizeof *k) : NULL;
    size_t *idx = n ? sdk_xcalloc(n, sizeof *idx) : NULL;
    size_t nk = plan_candidate_phases(p, c, idx);
    for (size_t i = 0; i < nk; i++) k[i] = c[idx[i]];
    sdk_status r = sdk_status_aggregate(c, n, k, nk, p->errors.n > 0, p->strat.interrupted);
    free(c);
    free(k);
    free(idx);
    return r;
}

bool sdk_plan_is_interrupted(const sdk_plan *p) { return p->strat.interrupted; }
void sdk_plan_interrupt(sdk_plan *p) { p->strat.interrupted = true; }
void sdk_plan_proceed(sdk_plan *p) { p->strat.interrupted = false; }

size_t sdk_plan_error_count(const sdk_plan *p) {
    size_t n = p->errors.n;
    for (size_t i = 0; i < p->n_phases; i++) {
        n += p->phases[i]->errors.n;
        for (size_t j = 0; j < p->phases[i]->n_steps; j++) n += p->phases[i]->steps[j]->errors.n;
    }
    return n;
}

unsigned sdk_plan_step_status_mask(sdk_plan *p) {
    unsigned mask = 0;
    for (size_t i = 0; i < p->n_phases; i++)
        for (size_t j = 0; j < p->phases[i]->n_steps; j++) {
            sdk_step *st = p->phases[i]->steps[j];
            step_refresh_delay(st);
            mask |= 1u << st->status;
        }
    return mask;
}

static bool step_open(sdk_step *st) {
    step_refresh_delay(st);
    return st->status != SDK_STATUS_COMPLETE;
}

bool sdk_plan_has_open_step(sdk_plan *p) {
    size_t hp = p->open_phase, hs = p->open_step;
    if (hp >= p->n_phases) hp = hs = 0;
    /* from the hint to the end, then from the start up to the hint */
    for (int pass = 0; pass < 2; pass++) {
        size_t from = pass ? 0 : hp, to = pass ? hp + 1 : p->n_phases;
        for (size_t i = from; i < to && i < p->n_phases; i++) {
            sdk_phase *ph = p->phases[i];
            size_t j0 = !pass && i == hp ? hs : 0, j1 = pass && i == hp ? hs : ph->n_steps;
            for (size_t j = j0; j < j1 && j < ph->n_steps; j++) {
                if (!step_open(ph->steps[j])) continue;
                p->open_phase = i;
                p->open_step = j;
                return true;
            }
        }
    }
    return false;
}

bool sdk_plan_has_step_status(sdk_plan *p, sdk_status s) {
    for (size_t i = 0; i < p->n_phases; i++)
        for (size_t j = 0; j < p->phases[i]->n_steps; j++) {
            sdk_step *st = p->phases[i]->steps[j];
            step_refresh_delay(st);
            if (st->status == s) return true;
        }
    return false;
}

void sdk_phase_restart(sdk_phase *ph) {
    for (size_t i = 0; i < ph->n_steps; i++) sdk_step_restart(ph->steps[i]);
}

void sdk_phase_force_complete(sdk_phase *ph) {
    for (size_t i = 0; i < ph->n_steps; i++) sdk_step_force_complete(ph->steps[i]);
}

void sdk_plan_restart(sdk_plan *p) {
    for (size_t i = 0; i < p->n_phases; i++) sdk_phase_restart(p->phases[i]);
}

void sdk_plan_force_complete(sdk_plan *p) {
    for (size_t i = 0; i < p->n_phases; i++) sdk_phase_force_complete(p->phases[i]);
}

size_t sdk_plan__step_candidates(sdk_plan *p, const sdk_dirty *dirty, sdk_candidate *out, size_t cap) {
    if (p->strat.interrupted || p->n_phases == 0) return 0;
    sdk_status *st = sdk_xcalloc(p->n_phases, sizeof *st);
    size_t *pidx = sdk_xcalloc(p->n_phases, sizeof *pidx);
    size_t np = plan_candidate_phases(p, st, pidx), k = 0;
    for (size_t i = 0; i < np; i++) {
        sdk_phase *ph = p->phases[pidx[i]];
        if (ph->n_steps == 0) continue;
        size_t *sidx = sdk_xcalloc(ph->n_steps, sizeof *sidx);
        size_t ns = phase_candidates(ph, dirty, sidx, NULL);
        for (size_t j = 0; j < ns && k < cap; j++) {
            out[k].plan = p;
            out[k].phase = ph;
            out[k].step = ph->steps[sidx[j]];
            k++;
        }
        free(sidx);
    }
    free(st);
    free(pidx);
    return k;
}

/* ------------------------------------------------------------ operator controls ---- */

int sdk_cmd_http_status(sdk_cmd_result r) {
    switch (r) {
    case SDK_CMD_OK: return 200;
    case SDK_CMD_ALREADY: return 208;
    case SDK_CMD_BAD_REQUEST: return 400;
    case SDK_CMD_NOT_FOUND: return 404;
    }
    return 500;
}

static bool blank(const char *s) { return !s || !*s; }

static void msgf(sdk_errors *m, const char *fmt, const char *arg) {
    if (m) sdk_errors_addf(m, fmt, arg);
}

/* All phases matching an id or (possibly repeated) name; count returned, array in *out. */
static size_t matching_phases(sdk_plan *p, const char *key, sdk_phase ***out) {
    bool by_id = sdk_uuid_valid(key);
    size_t k = 0;
    *out = p->n_phases ? sdk_xcalloc(p->n_phases, sizeof **out) : NULL;
    for (size_t i = 0; i < p->n_phases; i++)
        if (strcmp(by_id ? p->phases[i]->id : p->phases[i]->name, key) == 0) (*out)[k++] = p->phases[i];
    return k;
}

sdk_cmd_result sdk_plan_cmd_continue(sdk_plan *p, const char *phase, sdk_errors *msg) {
    if (blank(phase)) {
        sdk_status st = sdk_plan_status(p);
        if (sdk_status_is_running(st) || st == SDK_STATUS_COMPLETE) return SDK_CMD_ALREADY;
        sdk_plan_proceed(p);
        return SDK_CMD_OK;
    }
    sdk_phase **ph;
    size_t n = matching_phases(p, phase, &ph);
    sdk_cmd_result r = SDK_CMD_OK;
    if (n == 0) {
        msgf(msg, "Phase %s not found", phase);
        r = SDK_CMD_NOT_FOUND;
        goto out;
    }
    size_t running = 0, complete = 0;
    for (size_t i = 0; i < n; i++) {
        sdk_status st = sdk_phase_status(ph[i]);
        running += sdk_status_is_running(st);
        complete += st == SDK_STATUS_COMPLETE;
    }
    if (running == n || complete == n) {
        r = SDK_CMD_ALREADY;
        goto out;
    }
    for (size_t i = 0; i < n; i++) sdk_phase_proceed(ph[i]);
out:
    free(ph);
    return r;
}

sdk_cmd_result sdk_plan_cmd_interrupt(sdk_plan *p, const char *phase, sdk_errors *msg) {
    if (blank(phase)) {
        if (sdk_plan_is_interrupted(p) || sdk_plan_status(p) == SDK_STATUS_COMPLETE) return SDK_CMD_ALREADY;
        sdk_plan_interrupt(p);
        return SDK_CMD_OK;
    }
    sdk_phase **ph;
    size_t n = matching_phases(p, phase, &ph);
    sdk_cmd_result r = SDK_CMD_OK;
    if (n == 0) {
        msgf(msg, "Phase %s not found", phase);
        r = SDK_CMD_NOT_FOUND;
        goto out;
    }
    size_t interrupted = 0, complete = 0;
    for (size_t i = 0; i < n; i++) {
        interrupted += sdk_phase_is_interrupted(ph[i]);
        complete += sdk_phase_status(ph[i]) == SDK_STATUS_COMPLETE;
    }
    if (interrupted == n || complete == n) {
        r = SDK_CMD_ALREADY;
        goto out;
    }
    for (size_t i = 0; i < n; i++) sdk_phase_interrupt(ph[i]);
out:
    free(ph);
    return r;
}

/* Resolves plan/phase/step for forceComplete and restart. At most one of ph_out and st_out is
 * set (neither: the plan itself). */
static sdk_cmd_result resolve(sdk_plan *p, const char *phase, const char *step, sdk_phase **ph_out,
                              sdk_step **st_out, sdk_errors *msg) {
    *ph_out = NULL;
    *st_out = NULL;
    if (blank(phase) && blank(step)) return SDK_CMD_OK;
    if (blank(phase)) {
        if (msg) sdk_errors_addf(msg, "Missing phase");
        return SDK_CMD_BAD_REQUEST;
    }
    sdk_phase *ph = sdk_plan_find_phase(p, phase);
    if (!ph) {
        msgf(msg, "Phase %s not found", phase);
        return SDK_CMD_NOT_FOUND;
    }
    if (blank(step)) {
        *ph_out = ph;
        return SDK_CMD_OK;
    }
    sdk_step *s = sdk_phase_find_step(ph, step);
    if (!s) {
        msgf(msg, "Step %s not found", step);
        return SDK_CMD_NOT_FOUND;
    }
    *st_out = s;
    return SDK_CMD_OK;
}

sdk_cmd_result sdk_plan_cmd_force_complete(sdk_plan *p, const char *phase, const char *step,
                                           sdk_errors *msg) {
    sdk_phase *ph;
    sdk_step *s;
    sdk_cmd_result r = resolve(p, phase, step, &ph, &s, msg);
    if (r != SDK_CMD_OK) return r;
    sdk_status st = s ? sdk_step_status(s) : ph ? sdk_phase_status(ph) : sdk_plan_status(p);
    if (st == SDK_STATUS_COMPLETE) return SDK_CMD_ALREADY;
    if (s) sdk_step_force_complete(s);
    else if (ph) sdk_phase_force_complete(ph);
    else sdk_plan_force_complete(p);
    return SDK_CMD_OK;
}

sdk_cmd_result sdk_plan_cmd_restart(sdk_plan *p, const char *phase, const char *step,
                                    sdk_errors *msg) {
    sdk_phase *ph;
    sdk_step *s;
    sdk_cmd_result r = resolve(p, phase, step, &ph, &s, msg);
    if (r != SDK_CMD_OK) return r;
    sdk_status st = s ? sdk_step_status(s) : ph ? sdk_phase_status(ph) : sdk_plan_status(p);
    if (st == SDK_STATUS_PENDING) return SDK_CMD_ALREADY;
    if (s) {
        s->interrupted = false;
        sdk_step_restart(s);
    } else if (ph) {
        sdk_phase_proceed(ph);
        sdk_phase_restart(ph);
    } else {
        sdk_plan_proceed(p);
        sdk_plan_restart(p);
    }
    return SDK_CMD_OK;
}

static bool valid_param_key(const char *k) {
    if (!k || !((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_')) return false;
    for (const char *c = k + 1; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    return true;
}

sdk_cmd_result sdk_plan_cmd_start(sdk_plan *p, const sdk_kv *params, size_t n, sdk_errors *msg) {
    for (size_t i = 0; i < n; i++) {
        if (!valid_param_key(params[i].key)) {
            if (msg)
                sdk_errors_addf(msg, "Couldn't parse parameters: %s is not a valid environment variable name",
                                params[i].key ? params[i].key : "(null)");
            return SDK_CMD_BAD_REQUEST;
        }
    }
    params_clear(p);
    if (n) p->params = sdk_xcalloc(n, sizeof *p->params);
    for (size_t i = 0; i < n; i++) {
        p->params[i].key = sdk_xstrdup(params[i].key);
        p->params[i].value = sdk_xstrdup(params[i].value ? params[i].value : "");
    }
    p->n_params = n;
    if (sdk_plan_status(p) == SDK_STATUS_COMPLETE) sdk_plan_restart(p);
    sdk_plan_proceed(p);
    return SDK_CMD_OK;
}

sdk_cmd_result sdk_plan_cmd_stop(sdk_plan *p) {
    sdk_plan_interrupt(p);
    sdk_plan_restart(p);
    return SDK_CMD_OK;
}

const char *sdk_plan_param(const sdk_plan *p, const char *key) {
    for (size_t i = 0; key && i < p->n_params; i++)
        if (strcmp(p->params[i].key, key) == 0) return p->params[i].value;
    return NULL;
}
