/* The service scheduler: the brain that joins the spec, plans, offer evaluation, durable state
 * and the plugin. It is driven by events (registration, offers, task statuses, ticks) and acts
 * through a driver (the Mesos client on a real or local cluster, or the simulation runner).
 *
 * Safety rules kept here:
 *  - Record before send: every TaskInfo of a launch (with its reservations) is committed to the
 *    state store before the driver's accept() is called; a failed commit sends nothing.
 *  - Never destroy data by accident: volumes are released only by reservation GC of resource ids
 *    no stored task claims (replace, decommission, uninstall).
 *
 * Threading: everything on the loop thread. Nothing here blocks except state-store commits.
 */
#ifndef SDK_SERVICE_H
#define SDK_SERVICE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/offer/evaluate.h"
#include "core/plan/plan.h"
#include "core/spec/spec.h"
#include "core/state/layout.h"
#include "core/util/err.h"
#include "core/util/str.h"

/* Refuse durations for DECLINE (sdk-behaviour.md §8.1). */
#define SDK_DECLINE_SHORT_S 5.0
#define SDK_DECLINE_LONG_S 3600.0
/* Refuse filter on what is left of an accepted offer: none, because the next steps of a plan
 * usually want the same agent at once (dcos-commons used 5 s, which caps a deploy at one launch
 * per agent per 5 s). Offers the service cannot use are declined with the filters above. */
#define SDK_ACCEPT_REFUSE_S 0.0
/* Launches per batch of offers, at most, by default (see sdk_service_hold_offers). */
#define SDK_MAX_LAUNCHES_PER_CYCLE 1024
/* With sdk_service_group_statuses: how long a held status waits for an offer cycle's commit to
 * carry it before it is stored on its own: Mesos' default allocation interval, so that offers
 * flowing at that pace always carry them (the acknowledgement waits as long; Mesos resends an
 * unacknowledged update after 10 s). */
#define SDK_STATUS_GROUP_MAX_AGE_S 1.0
/* The same while offers are suppressed (no cycle is coming): long enough to gather the statuses
 * of several runs of events into one transaction, short for an acknowledgement. */
#define SDK_STATUS_GROUP_IDLE_AGE_S 0.1

/* What the service asks of Mesos. Arguments are borrowed for the duration of the call. */
typedef struct sdk_driver {
    void (*accept)(void *ctx, const sdk_offer *offer, const sdk_operation *ops, size_t n_ops,
                   double refuse_s);
    void (*decline)(void *ctx, const sdk_offer *offer, double refuse_s);
    void (*kill)(void *ctx, const char *task_id, const char *agent_id);
    void (*revive)(void *ctx);
    void (*suppress)(void *ctx);
    /* Explicit reconciliation of the listed tasks (n > 0) or implicit (n == 0). */
    void (*reconcile)(void *ctx, const char *const *task_ids, const char *const *agent_ids, size_t n);
    void (*acknowledge)(void *ctx, const char *agent_id, const char *task_id, const void *uuid,
                        size_t uuid_len);
    /* Removes the framework from the master (uninstall, last step). */
    void (*teardown)(void *ctx);
    /* Optional, both or neither. pack_ops appends the operations for an ACCEPT of offer to out
     * in the driver's wire form, or fails (nothing appended; the offer is then declined with
     * refuse 0 instead of accepted); accept_packed sends what was packed for the offer, summary
     * naming the operations for logs. With them, an offer cycle keeps each matched launch's
     * operations packed (a few KB) instead of as structures until its ACCEPTs go out. */
    int (*pack_ops)(void *ctx, const sdk_offer *offer, const sdk_operation *ops, size_t n_ops,
                    sdk_buf *out);
    void (*accept_packed)(void *ctx, const sdk_offer *offer, const void *ops_pb, size_t len,
                          const char *summary, double refuse_s);
} sdk_driver;

/* One TaskStatus as the service needs it (the Mesos layer fills it from mesos.v1.TaskStatus). */
typedef struct sdk_status_update {
    const char *task_id;
    const char *agent_id;      /* may be NULL */
    sdk_tstate state;
    const char *message;       /* may be NULL */
    const char *reason;        /* Reason enum name, may be NULL */
    const char *source;        /* Source enum name, may be NULL */
    bool has_check_status;     /* the executor attached a check status (readiness) */
    bool has_exit_code;
    int exit_code;
    bool has_healthy;
    bool healthy;
    const char *ip;            /* first container IP, may be NULL */
    const void *uuid;          /* status-update uuid; NULL: nothing to acknowledge */
    size_t uuid_len;
    double timestamp;          /* seconds since the epoch, 0 if unknown */
} sdk_status_update;

typedef double (*sdk_clock_fn)(void *arg); /* monotonic seconds */

/* Answer of a sdk_task_output_fn: tail is the text (NULL: unavailable, why says why). Called
 * exactly once per request, on the loop thread, possibly before the request returns. */
typedef void (*sdk_task_output_done)(void *arg, const char *tail, const char *why);
/* Asks for the last lines of a task's stderr on an agent. */
typedef void (*sdk_task_output_fn)(void *ctx, const char *agent_id, const char *task_id, sdk_task_output_done done,
                                   void *arg);

typedef struct sdk_service_options {
    sdk_spec *spec;                 /* candidate spec (rendered, parsed, plugin-mutated); TAKEN */
    sdk_state *state;               /* borrowed; must outlive the service */
    const sdk_kv *env;              /* scheduler environment (TASKCFG_*, SERVICE_TLD...); copied */
    size_t n_env;
    sdk_backend_limits backend;     /* features the cluster cannot honour */
    const sdk_driver *driver;       /* borrowed */
    void *driver_ctx;
    sdk_backoff_config backoff;     /* zeroed = disabled */
    /* A RUNNING task failed for longer than this (seconds, as observed by this process) is
     * declared permanently failed and replaced elsewhere (§9.1). 0 = never (the default). */
    double permanent_failure_timeout_s;
    sdk_clock_fn clock;             /* NULL: CLOCK_MONOTONIC */
    void *clock_arg;
    /* The service's plugin (borrowed; NULL: none): its config validator, recovery overrides,
     * placement rules, pre-decommission checks and task-status observer are called from here. */
    struct sdk_plugin_instance *plugin;
    /* Uninstall (sdk-behaviour.md §4.11): the deploy plan kills every task, releases every
     * reservation and volume, then wipes the state and tears the framework down. Recorded in the
     * state first, so a restart continues it; a start without it while one is recorded refuses. */
    bool uninstall;
    /* Launches per batch of offers at most; 0 = SDK_MAX_LAUNCHES_PER_CYCLE. */
    size_t max_launches_per_cycle;
    /* Operator events (core/events/events.h) are published here: task failures, pod operations,
     * steps that wait for resources (borrowed; NULL: none). */
    struct sdk_events *events;
    /* Reads the last lines of a failed task's stderr for its task-failed event (the scheduler
     * reads them through the agent's files API); NULL: the event goes out without them. */
    sdk_task_output_fn read_stderr;
    void *read_stderr_ctx;
} sdk_service_options;

typedef struct sdk_service sdk_service;

/* Recovery policy from the scheduler's variables, as dcos-commons read them: ENABLE_BACKOFF,
 * FRAMEWORK_INITIAL_BACKOFF, FRAMEWORK_BACKOFF_FACTOR, FRAMEWORK_MAX_LAUNCH_DELAY (crash-loop
 * backoff) and ENABLE_AUTOMATIC_POD_REPLACEMENT, PERMANENT_FAILURE_TIMEOUT_SECS. A value that is
 * not a number is an error naming the variable (errs). Returns 0 or SDK_EINVAL. */
int sdk_service_policy_from_vars(sdk_service_options *o, const sdk_kv *vars, size_t n, sdk_errors *errs);

/* Loads the stored state, applies the configuration-update flow (sdk-behaviour.md §5.1) to the
 * candidate spec, and builds the plans. Returns SDK_EINVAL (errs says why, nothing written) when
 * the candidate is refused and there is no previous target, or when a fatal validator fails;
 * SDK_ECORRUPT when stored state cannot be decoded (with the node named). With non-fatal errors
 * and a previous target, succeeds: the old target stays and the errors sit on the deploy plan. */
int sdk_service_new(const sdk_service_options *o, sdk_service **out, sdk_errors *errs);
void sdk_service_free(sdk_service *s);

/* Subscribed (first time or again) with this framework id: stores it, forgets nothing else, and
 * starts explicit reconciliation of every stored launched task. Offers are declined short until
 * every reconciled task has answered. Returns 0 or a store error (then nothing was sent). */
int sdk_service_on_registered(sdk_service *s, const char *framework_id);
/* One batch of offers: evaluates candidate steps, records, accepts, garbage-collects, declines. */
void sdk_service_on_offers(sdk_service *s, const sdk_offer *offers, size_t n);
/* A batch that reaches SDK_MAX_LAUNCHES_PER_CYCLE launches stops there. Its unused offers are
 * declined with refuse 0 by default (the master offers them again on its next allocation). With
 * holding on they are kept instead, and the owner calls sdk_service_continue_offers once the
 * ACCEPTs so far have had a chance to go out (the app: from a 0 ms timer), for the next round
 * without waiting for the master. Held offers die with the subscription or a RESCIND: drop
 * them (offer_id NULL: all). Turning holding off continues at once. */
void sdk_service_hold_offers(sdk_service *s, bool on);
size_t sdk_service_offers_held(const sdk_service *s);
void sdk_service_continue_offers(sdk_service *s);
void sdk_service_drop_held_offers(sdk_service *s, const char *offer_id);
void sdk_service_on_status(sdk_service *s, const sdk_status_update *u);
/* Whether offers are still wanted (revive or suppress) is decided after every status update
 * that can change it, by default. That walks every plan, so a caller that receives updates in
 * runs turns deferral on and calls sdk_service_settle after each run: one decision per run,
 * with the same outcome. Turning deferral off settles at once.
 * Deferral also groups the writes of status updates: the statuses of a run are stored in ONE
 * state transaction when the run settles (or earlier: before any other write to the state, so
 * writes stay in order, and once a group reaches 32 KiB, so each stays one small ZooKeeper
 * request), and acknowledged only once stored. The service acts on each status at
 * once; if the grouped commit fails, none of its updates is acknowledged, so Mesos sends them
 * again and they are stored then. */
void sdk_service_defer_interest(sdk_service *s, bool on);
void sdk_service_settle(sdk_service *s);
/* Group commit across runs (with deferral on): the statuses of a run are no longer stored when
 * it settles but join the next commit through the state, in the same transaction and before
 * its own writes (an offer cycle's launches: a launch decided on a status not yet stored is
 * stored with it), or are stored on their own when the group reaches half the store's request
 * budget, or when the owner calls sdk_service_flush_statuses_due (from a timer: sooner while
 * offers are suppressed, as no cycle is coming; the owner must call it). Each update is still acknowledged only once the transaction
 * holding it has committed, so a crash before that commit loses nothing acknowledged: Mesos
 * sends those updates again. Turning it off stores what is held. */
void sdk_service_group_statuses(sdk_service *s, bool on);
/* Stores the held statuses when the oldest is at least max_age_s old; returns -1 when nothing
 * is held (any more), else the seconds until they are due. The owner calls it from a timer. */
double sdk_service_flush_statuses_due(sdk_service *s, double max_age_s);
/* Periodic work (kill retries, reconciliation retries, delayed steps). Call every second. */
void sdk_service_tick(sdk_service *s);

/* A live configuration update (no restart): the candidate (TAKEN) goes through the same
 * validators as at start. Refused: the old target stays, everything keeps running, every error
 * is returned in errs and shown on the deploy plan (HTTP 417) until a valid update arrives;
 * returns SDK_EINVAL. Accepted: stored as the new target, unaffected tasks re-labelled, plans
 * rebuilt so only pods whose configuration changed roll (per the deploy/update plan). */
int sdk_service_update_config(sdk_service *s, sdk_spec *cand, sdk_errors *errs);
/* Errors of the last refused update (empty when the target is current). */
const sdk_errors *sdk_service_config_errors(const sdk_service *s);
/* What sdk_service_new set aside: a stored target configuration that no longer validates on its
 * own (sdk_spec_validate_update with no previous target: e.g. one stored by an older build, or
 * over a lowered --max-pods) is never built from; the candidate becomes the target instead, and
 * each message here says why. Empty when nothing was. */
const sdk_errors *sdk_service_start_notes(const sdk_service *s);

/* ---- pod operations (sdk-behaviour.md §9.2, §9.5) ---- */
typedef enum {
    SDK_POD_RESTART = 0, /* kill; relaunched in place on the same reservations and volumes */
    SDK_POD_REPLACE,     /* mark permanently failed, kill; relaunched elsewhere with fresh volumes */
    SDK_POD_PAUSE,       /* relaunch in place with an idle command (inspect the sandbox/volume) */
    SDK_POD_RESUME,      /* relaunch in place with the real command */
} sdk_pod_op;
const char *sdk_pod_op_name(sdk_pod_op op); /* "restart", ... */
/* Applies op to the pod instance `pod` ("hello-0"). `tasks` (pause/resume only; NULL or none =
 * every RUNNING-goal task of the pod) are names inside the pod ("server") or full task names.
 * On success *affected is a new array of full task names (sdk_service_names_free). Returns
 * SDK_ENOENT for an unknown pod or task, SDK_ESTATE for a conflicting operation (replace or
 * pause while paused, resume while not paused, anything during uninstall), SDK_EIO when the
 * state store refused the change; the message is in errs and nothing changed. */
int sdk_service_pod_op(sdk_service *s, sdk_pod_op op, const char *pod, const char *const *tasks,
                       size_t n_tasks, char ***affected, size_t *n_affected, sdk_errors *errs);
void sdk_service_names_free(char **names, size_t n);

/* After an operator command on a plan (continue, interrupt, start, ...): records what must
 * survive a restart (canary releases). Callers that run plan commands call it. */
void sdk_service_plans_changed(sdk_service *s);

/* True once an uninstall finished: the state is wiped and the framework torn down. */
bool sdk_service_uninstalled(const sdk_service *s);
bool sdk_service_uninstalling(const sdk_service *s);

/* ---- queries (REST API, CLI, tests); results borrowed from the service ---- */
const sdk_spec *sdk_service_target_spec(const sdk_service *s);
const char *sdk_service_target_id(const sdk_service *s);
const char *sdk_service_framework_id(const sdk_service *s);
/* All plans in priority order: deploy, recovery, [decommission], custom plans. */
sdk_plan *const *sdk_service_plans(sdk_service *s, size_t *n);
sdk_plan *sdk_service_plan(sdk_service *s, const char *name);
/* Task views of every stored task (valid until the next event). */
const sdk_task_views *sdk_service_task_views(sdk_service *s);
/* The description of a task as stored (its last launch), decoded from the state store, or NULL.
 * Borrowed: valid until the next call of this function or the next event. */
const sdk_task_desc *sdk_service_task_desc(sdk_service *s, const char *task_name);
/* True while the service has work for offers (used for revive/suppress). */
bool sdk_service_has_work(sdk_service *s);
bool sdk_service_is_suppressed(const sdk_service *s);
/* Subscribed to a master (this process), and the stored tasks whose explicit reconciliation
 * has not been answered yet: offers are used only once this is 0 (§8.4). */
bool sdk_service_registered(const sdk_service *s);
size_t sdk_service_reconciling(const sdk_service *s);

/* Offer evaluation history for /v2/debug/offers (newest last, at most 100). */
typedef struct sdk_offer_log_entry {
    double when;
    char *pod_instance;
    char *step;
    sdk_offer_outcome outcome;
} sdk_offer_log_entry;
const sdk_offer_log_entry *sdk_service_offer_log(const sdk_service *s, size_t *n);

/* Counters for /v1/metrics. */
typedef struct sdk_service_metrics {
    uint64_t offers_received, offers_processed, declines_short, declines_long;
    uint64_t revives, suppresses, ops_reserve, ops_unreserve, ops_create, ops_destroy,
        ops_launch_group, kills;
    uint64_t task_status[14]; /* by sdk_tstate */
    /* time spent handling one batch of offers (wall clock, ms): all batches, and the last 1,024 */
    uint64_t offer_batches;
    double offer_ms_total, offer_ms_max;
    double offer_ms_recent[1024];
} sdk_service_metrics;
/* Percentiles (0..100) of the recent offer-batch times in ms; 0 when none were measured. */
double sdk_service_offer_ms_percentile(const sdk_service *s, double pct);
const sdk_service_metrics *sdk_service_get_metrics(const sdk_service *s);
#endif
