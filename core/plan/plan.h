/* Plans, phases and steps (sdk-behaviour.md §4): the model, statuses and their aggregation,
 * strategies, the step state machine, operator controls, builders (spec → deploy/custom plans,
 * recovery, decommission, uninstall), the coordinator, JSON and the CLI text tree.
 *
 * The plan module knows nothing of offers, Mesos or the state store. It sees tasks only through
 * the "task view" below, filled by the caller from whatever it stores, and it is told about
 * launches and task statuses through sdk_step_on_launched() / sdk_plan_on_task_status().
 *
 * Threading: none. Everything runs on the scheduler's loop thread.
 * Ownership: a plan owns its phases, a phase owns its steps, every element owns its strings.
 * Element ids are random UUIDs minted at creation (they change after a scheduler restart).
 */
#ifndef SDK_PLAN_H
#define SDK_PLAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/spec/spec.h"
#include "core/util/err.h"
#include "core/util/uuid.h"

/* ---------------------------------------------------------------- statuses (§4.1) ---- */
typedef enum {
    SDK_STATUS_ERROR = 0,
    SDK_STATUS_WAITING,     /* interrupted; computed, never stored */
    SDK_STATUS_PENDING,
    SDK_STATUS_PREPARED,
    SDK_STATUS_STARTING,
    SDK_STATUS_STARTED,
    SDK_STATUS_COMPLETE,
    SDK_STATUS_IN_PROGRESS, /* aggregate only */
    SDK_STATUS_DELAYED,
    SDK_STATUS_PAUSING,     /* step display only (§4.1, §9.5) */
    SDK_STATUS_PAUSED,      /* step display only */
} sdk_status;

const char *sdk_status_name(sdk_status s);      /* "ERROR", "WAITING", ... */
/* PREPARED, STARTING, STARTED, IN_PROGRESS. */
bool sdk_status_is_running(sdk_status s);
/* The 12 rules of §4.3. children: statuses of all children; cands: statuses of the strategy's
 * current candidates (computed without dirty assets); has_errors: the parent's own errors;
 * interrupted: the parent's interrupt flag. Pure function. */
sdk_status sdk_status_aggregate(const sdk_status *children, size_t n_children,
                                const sdk_status *cands, size_t n_cands,
                                bool has_errors, bool interrupted);

/* ------------------------------------------------------------------- task view ---- */
/* Task states, numerically equal to Mesos v1 TaskState so a caller may cast. */
typedef enum {
    SDK_TSTATE_STARTING = 0, SDK_TSTATE_RUNNING = 1, SDK_TSTATE_FINISHED = 2,
    SDK_TSTATE_FAILED = 3, SDK_TSTATE_KILLED = 4, SDK_TSTATE_LOST = 5, SDK_TSTATE_STAGING = 6,
    SDK_TSTATE_ERROR = 7, SDK_TSTATE_KILLING = 8, SDK_TSTATE_DROPPED = 9,
    SDK_TSTATE_UNREACHABLE = 10, SDK_TSTATE_GONE = 11, SDK_TSTATE_GONE_BY_OPERATOR = 12,
    SDK_TSTATE_UNKNOWN = 13,
} sdk_tstate;
const char *sdk_tstate_name(sdk_tstate s);   /* "TASK_RUNNING", ... */

typedef enum { SDK_OVERRIDE_NONE = 0, SDK_OVERRIDE_PAUSED, SDK_OVERRIDE_DECOMMISSIONED } sdk_goal_override;

/* What the plan module may know about one stored task. All pointers are borrowed from the
 * caller and must stay valid for the duration of the call they are passed to. */
typedef struct sdk_task_view {
    const char *name;          /* "<pod>-<index>-<task>" */
    const char *pod_type;
    int64_t pod_index;
    const char *task;          /* task name inside the pod spec */
    const char *task_id;       /* last TaskID; NULL or "" = stored stub, never launched */
    sdk_goal goal;             /* goal of the stored TaskInfo */
    bool essential;
    bool has_status;           /* a TaskStatus is stored */
    sdk_tstate state;          /* valid when has_status */
    bool ready;                /* readiness passed (true when there is no readiness check) */
    const char *config_id;     /* target_configuration label the task was launched with */
    bool permanently_failed;
    sdk_goal_override override;
    const char *hostname;      /* agent hostname (uninstall); may be NULL */
    const char *const *resource_ids; /* reservation resource_id labels (decommission, uninstall) */
    size_t n_resource_ids;
    bool transport_encryption; /* task uses transport-encryption (uninstall tls-cleanup) */
} sdk_task_view;

typedef struct sdk_task_views {
    const sdk_task_view *v;
    size_t n;
    const struct sdk_strmap *by_name; /* optional: name -> view in v (NULL: found by a scan) */
} sdk_task_views;

/* NULL when tv is NULL or has no task of that name. */
const sdk_task_view *sdk_task_views_find(const sdk_task_views *tv, const char *name);
/* §1.15: has this stored task reached its goal on the target config? (RUNNING: running, ready
 * and launched with target_config; FINISH: finished on target_config; ONCE: finished.) */
bool sdk_task_view_reached_goal(const sdk_task_view *t, sdk_goal goal, const char *target_config);

/* -------------------------------------------------------------------- backoff (§9.3) ---- */
typedef struct sdk_backoff_config {
    bool enabled;         /* ENABLE_BACKOFF; default true (ENABLE_BACKOFF=false turns it off) */
    double initial_s;     /* FRAMEWORK_INITIAL_BACKOFF, default 60 */
    double factor;        /* FRAMEWORK_BACKOFF_FACTOR, default 1.15 */
    double max_s;         /* FRAMEWORK_MAX_LAUNCH_DELAY, default 300 */
} sdk_backoff_config;
typedef struct sdk_backoff sdk_backoff;

void sdk_backoff_config_default(sdk_backoff_config *c);
sdk_backoff *sdk_backoff_new(const sdk_backoff_config *c);   /* c NULL: defaults (enabled) */
void sdk_backoff_free(sdk_backoff *b);
/* Replaces the clock (seconds, monotonic); default CLOCK_MONOTONIC. For tests. */
void sdk_backoff_set_clock(sdk_backoff *b, double (*now)(void *arg), void *arg);
bool sdk_backoff_enabled(const sdk_backoff *b);               /* NULL: false */
/* TASK_FAILED/TASK_ERROR seen for a task: starts or extends its delay. No-op when disabled. */
void sdk_backoff_on_failure(sdk_backoff *b, const char *task_name);
void sdk_backoff_clear(sdk_backoff *b, const char *task_name);
/* True while the task's delay has not elapsed. NULL b: false. */
bool sdk_backoff_is_delayed(sdk_backoff *b, const char *task_name);
/* Seconds of the task's current delay (0 when none); for logs and tests. */
double sdk_backoff_current_delay_s(const sdk_backoff *b, const char *task_name);

/* ---------------------------------------------------------------------- model ---- */
const char *sdk_recovery_type_name(sdk_recovery_type t); /* "NONE", "TRANSIENT", "PERMANENT" */

typedef enum {
    SDK_STEP_POD = 0,   /* launches tasks of one pod instance; status driven by task statuses */
    SDK_STEP_GENERIC,   /* status set by the caller (decommission, uninstall, plugin steps) */
} sdk_step_kind;

/* What a generic step asks the caller to do; `target` names the object. */
typedef enum {
    SDK_ACTION_NONE = 0,
    SDK_ACTION_DECOMMISSION_KILL,  /* target: task name */
    SDK_ACTION_UNRESERVE,          /* target: resource id */
    SDK_ACTION_ERASE,              /* target: task name */
    SDK_ACTION_KILL_TASK,          /* uninstall; target: TaskID */
    SDK_ACTION_TLS_CLEANUP,
    SDK_ACTION_DEREGISTER,
    SDK_ACTION_CUSTOM,             /* plugin-defined; target free-form */
} sdk_step_action;

typedef struct sdk_step_task {
    char *name;          /* full task name "<pod>-<i>-<task>" */
    char *task;          /* task name inside the pod */
    sdk_goal goal;
    char *launched_id;   /* TaskID this step launched for it; NULL: not launched by this step */
    sdk_status status;   /* this task's contribution (PENDING..COMPLETE, DELAYED) */
} sdk_step_task;

typedef struct sdk_step {
    char id[SDK_UUID_STRLEN + 1];
    char *name;
    char *impl;                /* implementation name shown in the JSON "message" */
    sdk_step_kind kind;
    sdk_step_action action;    /* generic steps */
    char *target;              /* generic steps; may be NULL */
    char *pod_type;            /* pod steps (NULL for generic) */
    int64_t pod_index;
    char *pod_instance;        /* "<pod>-<index>"; NULL for generic */
    sdk_step_task *tasks;
    size_t n_tasks;
    sdk_recovery_type recovery;
    sdk_status status;         /* stored status; never WAITING */
    bool interrupted;          /* canary gate */
    sdk_errors errors;
    sdk_backoff *backoff;      /* borrowed; NULL: no backoff */
    uint64_t mark;             /* free for the caller (the service's revive bookkeeping); 0 at creation */
} sdk_step;

typedef struct sdk_dep { size_t child, prereq; } sdk_dep;

/* A strategy instance over the children of one phase or plan (§4.4). */
typedef struct sdk_strat {
    sdk_strategy kind;
    bool interrupted;          /* the (wrapped) strategy's interrupt flag */
    sdk_dep *deps;             /* dependency strategies: prerequisites */
    size_t n_deps;
    bool canary_init;          /* canary steps chosen (lazily, at first use) */
    size_t canary[2];
    size_t n_canary;
    size_t canary_released;    /* releases (`continue`) given so far, counted across restarts */
} sdk_strat;

typedef struct sdk_phase {
    char id[SDK_UUID_STRLEN + 1];
    char *name;
    sdk_step **steps;
    size_t n_steps, cap_steps;
    sdk_strat strat;
    sdk_errors errors;
    char *pod_instance;        /* recovery phases: the pod instance they recover; else NULL */
    uint64_t serial;           /* unique for the process's life (never reused, unlike the address) */
} sdk_phase;

struct sdk_plan_task_index; /* plan.c: task name -> the plan's steps that launch it */

typedef struct sdk_plan {
    char id[SDK_UUID_STRLEN + 1];
    char *name;
    sdk_phase **phases;
    size_t n_phases, cap_phases;
    sdk_strat strat;           /* serial, parallel or dependency; never canary */
    sdk_errors errors;
    sdk_kv *params;            /* set by `start` (§2.7) */
    size_t n_params;
    struct sdk_plan_task_index *task_index; /* built on demand; rebuilt when phases change */
    size_t open_phase, open_step; /* where sdk_plan_has_open_step last found one (a hint) */
} sdk_plan;

/* Construction. Names are copied. _take functions take ownership of the added element. */
sdk_plan *sdk_plan_new(const char *name, sdk_strategy strategy);
sdk_phase *sdk_phase_new(const char *name, sdk_strategy strategy);
/* A pod step with the given task names (names inside the pod, e.g. "server"); status PENDING. */
sdk_step *sdk_step_pod_new(const char *name, const char *pod_type, int64_t pod_index,
                           const char *const *tasks, const sdk_goal *goals, size_t n_tasks);
/* A generic step in the given status. impl NULL: "com.mesosphere.sdk.scheduler.plan.DefaultStep". */
sdk_step *sdk_step_generic_new(const char *name, const char *impl, sdk_step_action action,
                               const char *target, sdk_status status);
void sdk_plan_add_phase_take(sdk_plan *p, sdk_phase *ph);
void sdk_phase_add_step_take(sdk_phase *ph, sdk_step *s);
/* Dependency strategies: child waits for prereq (indices of children). SDK_EINVAL if out of range. */
int sdk_phase_add_dep(sdk_phase *ph, size_t child, size_t prereq);
int sdk_plan_add_dep(sdk_plan *p, size_t child, size_t prereq);
void sdk_plan_free(sdk_plan *p);
void sdk_phase_free(sdk_phase *ph);
void sdk_step_free(sdk_step *s);
/* Strategy name as reported in JSON ("serial", "dependency-canary", ...). */
const char *sdk_strat_name(const sdk_strat *st);

/* Lookups: a value that is a UUID matches ids, anything else names (§6.1). NULL when absent
 * (a step name must be unique in the phase). */
sdk_phase *sdk_plan_find_phase(sdk_plan *p, const char *id_or_name);
sdk_step *sdk_phase_find_step(sdk_phase *ph, const char *id_or_name);
sdk_plan *sdk_plans_find(sdk_plan *const *plans, size_t n, const char *name);

/* ---------------------------------------------------------- statuses of elements ---- */
/* Step status: stored status, WAITING when interrupted while PENDING/PREPARED; a DELAYED step
 * whose backoff delays all elapsed becomes PENDING (this is the only mutation). */
sdk_status sdk_step_status(sdk_step *s);
/* Display status for JSON: PAUSING/PAUSED when every task of the step has a PAUSED override in
 * tv (tv NULL: same as sdk_step_status). */
sdk_status sdk_step_display_status(sdk_step *s, const sdk_task_views *tv);
sdk_status sdk_phase_status(sdk_phase *ph);
sdk_status sdk_plan_status(sdk_plan *p);
bool sdk_phase_is_interrupted(sdk_phase *ph);
bool sdk_plan_is_interrupted(const sdk_plan *p);
/* Number of errors of the plan itself plus all phases and steps. */
size_t sdk_plan_error_count(const sdk_plan *p);
/* True when some step of the plan has the given (non-display) step status. */
bool sdk_plan_has_step_status(sdk_plan *p, sdk_status s);
/* Every step status present in p, as bits (1u << status): one pass for several
 * sdk_plan_has_step_status questions (the health code asks up to five per plan). */
unsigned sdk_plan_step_status_mask(sdk_plan *p);
/* True when some step of p is not COMPLETE (so p is not COMPLETE either). Starts where the last
 * call found one: amortized O(1) while a deploy completes its steps, where sdk_plan_status costs
 * a pass over every step (it was asked on every status update). */
bool sdk_plan_has_open_step(sdk_plan *p);

/* ------------------------------------------------------ step state machine (§4.2) ---- */
typedef struct sdk_launched {
    const char *task_name;   /* full task name */
    const char *task_id;
} sdk_launched;

/* The offer evaluation for this step finished. n == 0: nothing matched → PREPARED (from
 * PENDING/PREPARED). Otherwise the listed tasks were recorded and sent: each of the step's tasks
 * named in l remembers its TaskID and becomes STARTING; names the step does not hold are ignored.
 * Returns 0, or SDK_ESTATE for a generic or COMPLETE step (nothing changes). */
int sdk_step_on_launched(sdk_step *s, const sdk_launched *l, size_t n);
/* A TaskStatus. Applied only when task_id is one this step launched (task_name, if not NULL,
 * must match too); returns true when the step took it. COMPLETE steps ignore statuses.
 * TASK_FAILED/TASK_ERROR feed the backoff; RUNNING+ready and GONE_BY_OPERATOR clear it. */
bool sdk_step_on_task_status(sdk_step *s, const char *task_name, const char *task_id,
                             sdk_tstate state, bool ready);
/* Offers the status to every step of the plan; returns how many steps took it. */
size_t sdk_plan_on_task_status(sdk_plan *p, const char *task_name, const char *task_id,
                               sdk_tstate state, bool ready);
/* True when some step of the plan launches the task (full name). O(1) after the first call
 * for the plan's current phases (the index sdk_plan_on_task_status uses). */
bool sdk_plan_launches_task(sdk_plan *p, const char *task_name);
/* Sets a step's stored status (generic steps; ERROR needs an error: use sdk_step_set_error). */
void sdk_step_set_status(sdk_step *s, sdk_status status);
void sdk_step_set_error(sdk_step *s, const char *msg);
/* Step restart: PENDING, backoff of its tasks cleared. Force-complete: COMPLETE. */
void sdk_step_restart(sdk_step *s);
void sdk_step_force_complete(sdk_step *s);
void sdk_phase_restart(sdk_phase *ph);
void sdk_phase_force_complete(sdk_phase *ph);
void sdk_plan_restart(sdk_plan *p);
void sdk_plan_force_complete(sdk_plan *p);
/* Canary releases of a phase so far (0..2), and restoring them after a scheduler restart: a
 * phase rebuilt with `released` = k gates only the first 2 - k of its pending steps, so an
 * operator never has to release the same canary twice. Call restore before the phase is used. */
size_t sdk_phase_canary_released(const sdk_phase *ph);
void sdk_phase_canary_restore(sdk_phase *ph, size_t released);
/* Interrupt / proceed. Phase proceed releases the next canary step while one is held. */
void sdk_phase_interrupt(sdk_phase *ph);
void sdk_phase_proceed(sdk_phase *ph);
void sdk_plan_interrupt(sdk_plan *p);
void sdk_plan_proceed(sdk_plan *p);

/* --------------------------------------------------- operator controls (§4.5, §6.1) ---- */
typedef enum {
    SDK_CMD_OK = 0,        /* 200 */
    SDK_CMD_ALREADY,       /* 208 "Command has already been reported or completed" */
    SDK_CMD_BAD_REQUEST,   /* 400, text in msg */
    SDK_CMD_NOT_FOUND,     /* 404, text in msg ("Phase X not found") */
} sdk_cmd_result;
int sdk_cmd_http_status(sdk_cmd_result r);

/* Each takes a plan found by name (the REST layer answers "Plan X not found" itself) and
 * optional phase/step (names or UUIDs; NULL or "" = absent). On BAD_REQUEST/NOT_FOUND the
 * response text is appended to msg (may be NULL) and nothing changes. */
sdk_cmd_result sdk_plan_cmd_continue(sdk_plan *p, const char *phase, sdk_errors *msg);
sdk_cmd_result sdk_plan_cmd_interrupt(sdk_plan *p, const char *phase, sdk_errors *msg);
sdk_cmd_result sdk_plan_cmd_force_complete(sdk_plan *p, const char *phase, const char *step,
                                           sdk_errors *msg);
sdk_cmd_result sdk_plan_cmd_restart(sdk_plan *p, const char *phase, const char *step,
                                    sdk_errors *msg);
/* Validates every key ([A-Za-z_][A-Za-z0-9_]*) first: a bad one → BAD_REQUEST
 * "Couldn't parse parameters: <k> is not a valid environment variable name", nothing changed.
 * Then replaces the plan's parameters, restarts a COMPLETE plan, and proceeds. */
sdk_cmd_result sdk_plan_cmd_start(sdk_plan *p, const sdk_kv *params, size_t n, sdk_errors *msg);
sdk_cmd_result sdk_plan_cmd_stop(sdk_plan *p);
/* Parameter of the plan, NULL when not set. */
const char *sdk_plan_param(const sdk_plan *p, const char *key);

/* -------------------------------------------------------- building from a spec ---- */
typedef struct sdk_plan_ctx {
    const sdk_task_views *tasks;   /* stored tasks; NULL = none stored */
    const char *target_config_id;  /* id of the current target configuration; may be NULL */
    sdk_backoff *backoff;          /* shared backoff; NULL = none */
} sdk_plan_ctx;

/* One pod step (§4.8): named "<pod>-<i>:[a, b]", initial status from ctx (COMPLETE iff every
 * stored task of the step reached its goal on the target config or is permanently failed).
 * Construction errors (two tasks sharing a resource set or a DNS prefix; unknown task) give an
 * ERROR step named "<pod>-<i>" carrying the message. Never NULL. */
sdk_step *sdk_step_for_pod_new(const sdk_pod_spec *pod, int64_t index,
                               const char *const *tasks, size_t n_tasks, const sdk_plan_ctx *ctx);
/* Plans of a spec (§1.14, §4.7, §4.12): *out[0] is "deploy" (the YAML `update` plan renamed when
 * `update_type_recorded` — the property last-completed-update-type exists — else the YAML
 * `deploy`, else the default plan), then every custom plan in YAML order, created interrupted.
 * `recovery`/`decommission` entries in YAML are ignored. Returns 0 or SDK_EINVAL (errs filled,
 * *out NULL). Free with sdk_plans_free. */
int sdk_plans_from_spec_new(const sdk_spec *spec, const sdk_plan_ctx *ctx, bool update_type_recorded,
                            sdk_plan ***out, size_t *n_out, sdk_errors *errs);
void sdk_plans_free(sdk_plan **plans, size_t n);

/* ------------------------------------------------------------ coordinator (§4.6) ---- */
typedef struct sdk_candidate {
    sdk_plan *plan;
    sdk_phase *phase;
    sdk_step *step;
} sdk_candidate;
/* Candidate steps for this offer cycle over plans in priority order. Interrupted plans are
 * skipped; a step conflicting (same pod instance and a common task) with a PREPARED/STARTING
 * step of another plan or with a step already chosen this cycle is dropped; at most one step
 * per pod instance. *out is a new array (free()); *n_out may be 0. */
int sdk_plan_candidates_new(sdk_plan *const *plans, size_t n, sdk_candidate **out, size_t *n_out);
/* True when two pod steps conflict: same pod instance and a common task name. */
bool sdk_step_conflicts(const sdk_step *a, const sdk_step *b);

/* --------------------------------------------------------- recovery plan (§4.9) ---- */
typedef struct sdk_recovery sdk_recovery;
/* Plugin hook: replace the recovery of one pod instance by a custom phase. Return 0 and set *out
 * to a new phase (ownership passes) to override, or leave *out NULL for the default phase.
 * `tasks` are the task names (inside the pod) the default step would relaunch. */
typedef int (*sdk_recovery_override_fn)(void *arg, const char *pod_type, int64_t pod_index,
                                        sdk_recovery_type type, const char *const *tasks,
                                        size_t n_tasks, sdk_phase **out);
sdk_recovery *sdk_recovery_new(sdk_backoff *backoff);  /* backoff borrowed, may be NULL */
void sdk_recovery_free(sdk_recovery *r);
void sdk_recovery_set_override(sdk_recovery *r, sdk_recovery_override_fn fn, void *arg);
/* The recovery plan (owned by r; stays valid until sdk_recovery_free). */
sdk_plan *sdk_recovery_plan(sdk_recovery *r);
/* Rebuild for this cycle. `plans`: every other plan (launchable tasks are those appearing in
 * their steps); the first n_higher of them outrank recovery (their dirty assets block a pod).
 * Returns 0. */
int sdk_recovery_update(sdk_recovery *r, const sdk_spec *spec, const sdk_task_views *tv,
                        sdk_plan *const *plans, size_t n_plans, size_t n_higher);

/* ----------------------------------------------- decommission / uninstall (§4.10-11) ---- */
/* *out = NULL when no stored task needs decommissioning. */
int sdk_decommission_plan_new(const sdk_spec *spec, const sdk_task_views *tv, sdk_plan **out);
/* The uninstall plan (served as "deploy"). Returns 0. */
int sdk_uninstall_plan_new(const sdk_task_views *tv, sdk_plan **out);

/* ----------------------------------------------------------- health code (§6.7) ---- */
/* HTTP status of /v1/health. plans: all plans (deploy first); recovery may be NULL. */
int sdk_plan_health_code(sdk_plan *const *plans, size_t n, sdk_plan *deploy, sdk_plan *recovery,
                         bool has_framework_id);

/* ------------------------------------------------------------- JSON, text (§6.1) ---- */
struct json_t;
/* Plan JSON of §6.1; tv (may be NULL) supplies PAUSED overrides for display statuses. New ref. */
struct json_t *sdk_plan_to_json_new(sdk_plan *p, const sdk_task_views *tv);
/* A hash of everything sdk_plan_to_json_new shows (ids, names, statuses, strategies, errors):
 * equal fingerprints mean equal JSON, so a server may reuse a rendered body. O(steps), a few
 * word operations per step: the immutable parts (ids, names) are stood for by each phase's
 * serial and step count (see plan_json.c). */
uint64_t sdk_plan_fingerprint(sdk_plan *p, const sdk_task_views *tv);
/* tv when some task has a PAUSED override (display statuses need it), else NULL: passing NULL
 * spares the per-step task lookups. */
const sdk_task_views *sdk_task_views_if_paused(const sdk_task_views *tv);
/* HTTP status of GET /v1/plans/<p>: 417 with errors, 200 when COMPLETE, else 202. */
int sdk_plan_http_status(sdk_plan *p);
/* The CLI tree of §6.11 from a plan JSON document (as received). New string, no trailing
 * newline. Missing strings print as <UNKNOWN>. */
char *sdk_plan_tree_new(const char *plan_name, const struct json_t *plan_json);
#endif
