/* Internal state of the service, shared by service.c, offers.c and statuses.c. */
#ifndef SDK_SERVICE_INTERNAL_H
#define SDK_SERVICE_INTERNAL_H
#include "core/service/records.h"
#include "core/service/service.h"
#include "core/util/strmap.h"

#define SVC_LOG_MAX 100
#define SVC_KILL_RETRY_S 5.0
#define SVC_RECONCILE_RETRY_S 4.0

typedef struct svc_kill {
    char *task_id, *agent_id;
    double last;
} svc_kill;

/* What a plugin's recovery override asks for one step (e.g. Cassandra's replace_address). */
typedef struct svc_override {
    char step_id[SDK_UUID_STRLEN + 1];
    char *task;          /* task name in the pod */
    char *cmd_suffix;    /* appended to the command; NULL: none */
    sdk_kv *env;         /* set in the task env */
    size_t n_env;
} svc_override;

typedef struct svc_config {
    char *id;
    sdk_spec *spec; /* NULL: unreadable */
} svc_config;

struct sdk_service {
    sdk_state *state;
    const sdk_driver *drv;
    void *dctx;
    sdk_backend_limits backend;
    sdk_clock_fn clock;
    void *clock_arg;
    struct sdk_plugin_instance *plugin;
    svc_override *overrides;    /* per recovery step: a plugin's command suffix / env overrides */
    size_t n_overrides;

    sdk_spec *target;
    char *target_id;
    char *role;
    char *framework_id;
    sdk_errors config_errors;   /* rejected update: shown on the deploy plan */
    sdk_errors start_notes;     /* a stored target set aside at start (sdk_service_start_notes) */
    bool update_type_recorded;  /* property last-completed-update-type exists */
    svc_config *configs;        /* cache of other stored configurations */
    size_t n_configs;
    sdk_kv *env;
    size_t n_env;

    sdk_task_rec *tasks;
    size_t n_tasks, cap_tasks;
    sdk_strmap by_name, by_id;  /* -> index + 1 into tasks; rebuilt when index_dirty */
    bool index_dirty;
    sdk_strmap pod_first;       /* pod instance -> index + 1 of its first record (borrowed keys) */
    size_t *pod_next;           /* index -> index + 1 of the pod instance's next record, or 0 */
    bool pod_index_valid;       /* false after any record is added, removed or renamed */
    sdk_task_view *views;
    sdk_strmap views_by_name;   /* name -> views[i], rebuilt with the views */
    size_t views_n;
    sdk_task_views tv;
    bool views_dirty;
    /* The description sdk_service_task_desc last decoded (it answers a borrowed pointer). */
    sdk_task_desc desc_scratch;
    sdk_executor_desc exec_scratch;

    sdk_backoff *backoff;
    sdk_plan **plans;           /* deploy + custom plans, from the spec */
    size_t n_plans;
    sdk_recovery *recovery;
    sdk_plan *decommission;     /* NULL when nothing to decommission */
    sdk_plan **all;             /* priority order */
    size_t n_all;

    svc_kill *kills;
    size_t n_kills;
    char **reconcile;           /* task ids awaiting an explicit reconciliation answer */
    size_t n_reconcile;
    sdk_strmap reconcile_at;    /* reconcile[i] -> i + 1, so an answer is found without a scan */
    double reconcile_last;
    bool registered, suppressed;
    /* Agents (ids, owned) where an offer accepted for a launch also held a reservation nobody
     * claims (a replaced pod's old volume): the ACCEPT went out without its garbage collection,
     * so offers are not suppressed until a later cycle has seen an offer of each again. */
    char **gc_agents;
    size_t n_gc_agents;
    bool uninstall, uninstalled;
    double permanent_failure_timeout_s;
    sdk_strmap failed_since;    /* task name -> (double *) time its failure was first seen */
    uint64_t interest_epoch;    /* revive rule: a candidate whose step mark != epoch - 1 is new */
    bool defer_interest;        /* status updates leave the interest check to sdk_service_settle */
    size_t max_launches;        /* per batch of offers */
    size_t launch_bytes;        /* a launch's size in the state, as last recorded (0: none yet) */
    bool hold_offers;           /* a capped batch keeps its unused offers (see sdk_service_hold_offers) */
    sdk_offer *held;            /* offers kept for sdk_service_continue_offers, as received */
    size_t n_held;
    bool interest_stale;        /* a deferred check is owed */
    /* statuses of the current run, stored together (see sdk_service_defer_interest) */
    struct svc_held_status *held_st; /* the latest status per task, encoded */
    size_t n_held_st;
    size_t held_st_bytes;       /* their estimated size in a transaction */
    sdk_strmap held_st_at;      /* task name -> index + 1 in held_st */
    struct svc_held_ack *held_acks; /* acknowledgements owed once they are stored */
    size_t n_held_acks;
    double held_since;          /* svc_now when the oldest held status arrived */
    bool group_statuses;        /* held statuses wait for the next commit (sdk_service_group_statuses) */
    /* what the commit under way carries (its join hook took them; its done hook answers them) */
    struct svc_held_ack *riding_acks;
    size_t n_riding_acks, n_riding_st;

    struct sdk_events *events;  /* operator events; NULL: none */
    struct svc_waiting **waiting; /* steps declined by offers (events.c) */
    size_t n_waiting;
    sdk_strmap waiting_by;      /* step id -> its svc_waiting */
    sdk_task_output_fn read_stderr; /* see sdk_service_options */
    void *read_stderr_ctx;

    sdk_offer_log_entry log[SVC_LOG_MAX];
    size_t log_start, log_n;
    sdk_service_metrics m;
};

double svc_now(const sdk_service *s);
sdk_task_rec *svc_find_task(sdk_service *s, const char *name);
sdk_task_rec *svc_find_task_id(sdk_service *s, const char *task_id);
/* A record's name or task id changed (launch, decode): the lookup maps are rebuilt on next use. */
static inline void svc_index_dirty(sdk_service *s) {
    s->index_dirty = true;
    s->pod_index_valid = false;
}
/* The same, incrementally, for one record whose strings are about to change / just changed
 * (the launch path: a full rebuild per launch would be quadratic). */
void svc_index_forget(sdk_service *s, sdk_task_rec *r);
void svc_index_learn(sdk_service *s, sdk_task_rec *r);
/* The records of one pod instance in ascending index order, without comparing its name with
 * every record's (the offer cycle asks this per candidate step):
 *   for (size_t k = svc_pod_first(s, pi); k; k = svc_pod_next(s, k)) use s->tasks[k - 1];
 * The chain stays valid while the loop adds, removes or renames no record. */
size_t svc_pod_first(sdk_service *s, const char *pod_instance);
static inline size_t svc_pod_next(const sdk_service *s, size_t k) { return s->pod_next[k - 1]; }
sdk_task_rec *svc_add_task(sdk_service *s);
/* r changed in place (a status: state, ready; an override): its view is refilled, O(1) instead
 * of marking every view dirty (sdk_service_task_views rebuilt all 10,000 per batch of status
 * updates during a deploy). When the views are stale anyway they stay so. */
void svc_view_changed(sdk_service *s, const sdk_task_rec *r);
void svc_remove_task(sdk_service *s, sdk_task_rec *r);
/* Decodes the record's full description and executor from its stored TaskInfo into d and ex
 * (release both with sdk_task_desc_free_contents / sdk_executor_desc_free_contents, also on
 * failure). The record keeps only identifiers (records.h); the store's in-memory image holds the
 * bytes, so this is a lookup, a copy and a decode, never a round trip. */
int svc_task_desc_load_new(sdk_service *s, const sdk_task_rec *r, sdk_task_desc *d, sdk_executor_desc *ex,
                           sdk_errors *errs);
/* Adds to txn t the record's stored TaskInfo with label key set to value (added or replaced).
 * With learn, the record takes the changed description at once (as it did when it kept the
 * description itself: callers mark the index dirty); without, it stays as it was until the
 * caller updates it after the commit. */
int svc_txn_put_task_label(sdk_service *s, sdk_state_txn *t, sdk_task_rec *r, const char *key,
                           const char *value, bool learn);
const sdk_spec *svc_config_spec(sdk_service *s, const char *id);
void svc_order_plans(sdk_service *s);
void svc_log_entry_free(sdk_offer_log_entry *e);
/* Kill with retry until a terminal status (sdk-behaviour.md §8.6). */
void svc_kill_task(sdk_service *s, const char *task_id, const char *agent_id);
/* Plugin glue (plugin_hooks.c). All are no-ops without a plugin. */
int svc_plugin_recovery_override(void *arg, const char *pod_type, int64_t index, sdk_recovery_type type,
                                 const char *const *tasks, size_t n_tasks, sdk_phase **out);
void svc_apply_overrides(sdk_service *s, const sdk_step *st, sdk_eval_result *res);
void svc_prune_overrides(sdk_service *s);
void svc_free_overrides(sdk_service *s);
/* A placement rule for the pod: its spec rule ANDed with the plugin's placement hook. */
sdk_placement_rule *svc_placement_rule_new(sdk_service *s, const sdk_pod_spec *pod);
/* §9.1 timed replacement policy (service.c), from the tick. */
void svc_check_permanent_failures(sdk_service *s);
/* Uninstall (uninstall.c). */
#define SVC_UNINSTALL_PROPERTY "uninstalling"
int svc_uninstall_begin(sdk_service *s, sdk_errors *errs);
void svc_uninstall_step(sdk_service *s, sdk_step *st);
void svc_uninstall_offers_seen(sdk_service *s, const sdk_offer *offers, size_t n);
/* Kills the live tasks that no plan launches any more (unneeded.c): after registering and after
 * a configuration update. Their TaskInfos, reservations and volumes stay. */
void svc_kill_unneeded_tasks(sdk_service *s);
/* Pause/resume progress (pods.c): the stored name ("PENDING", ...) as a value; the launch of
 * a task whose override is PENDING adds IN_PROGRESS to the launch's transaction t (0 or the
 * txn's error) and, once committed, to the record; a RUNNING status of that launch completes
 * the override (stored at once; a resume's override is then removed). */
svc_override_progress svc_override_progress_from_name(const char *name);
int svc_override_txn_launch(sdk_service *s, sdk_state_txn *t, const char *task);
void svc_override_launched(sdk_task_rec *r);
void svc_override_on_status(sdk_service *s, sdk_task_rec *r);
/* Paused tasks launch with the idle command (pods.c). */
void svc_apply_pause(sdk_service *s, sdk_eval_result *res);
/* Backend limits the spec runs into (a Docker image on the local cluster...), as errors. */
void svc_check_backend(const sdk_service *s, const sdk_spec *spec, sdk_errors *errs);

/* Re-asks the plugin about refused decommissions (offers.c). */
void svc_recheck_vetoes(sdk_service *s);
/* Revive when a step not seen last cycle became a candidate; suppress when idle (§8.2). */
void svc_update_offer_interest(sdk_service *s);
/* Stores the statuses held back in one transaction and then sends their acknowledgements (see
 * sdk_service_defer_interest). Returns 0, or the commit's error (then nothing of it is
 * acknowledged). Every other commit through the state carries them too (svc_join_statuses). */
int svc_flush_statuses(sdk_service *s);
/* The state's commit hooks (sdk_state_set_commit_hooks): the held statuses join the committing
 * transaction; their acknowledgements go out once it is durable, and never when it failed. */
void svc_join_statuses(void *svc, sdk_state_txn *into);
void svc_statuses_committed(void *svc, int rc);
void svc_drop_held_statuses(sdk_service *s);
/* Operator events (events.c). A step "waits for resources" from the first offer that
 * declined it until one passes; after SVC_WAIT_REPORT_S its top decline reason is published
 * once, and again only when that reason changes. */
#define SVC_WAIT_REPORT_S 10.0
void svc_waiting_note(sdk_service *s, const sdk_plan *plan, const sdk_step *st, const sdk_offer_outcome *o);
void svc_waiting_report(sdk_service *s);
void svc_waiting_free(sdk_service *s);
/* A task ended in failure: publishes SDK_EV_TASK_FAILED (exit status parsed from the Mesos
 * message "Command exited with status N"). */
void svc_event_task_failed(sdk_service *s, const sdk_task_rec *r, const sdk_status_update *u);
/* A DESTROY sent by garbage collection: one SDK_EV_VOLUME_DESTROYED per volume, with why. */
void svc_event_volumes_destroyed(sdk_service *s, const sdk_offer *offer, const sdk_operation *op);
#endif
