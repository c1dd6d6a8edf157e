/* In-memory records of stored tasks, the service's write-through cache of Tasks/<task>/...
 * Internal to core/service. */
#ifndef SDK_SERVICE_RECORDS_H
#define SDK_SERVICE_RECORDS_H
#include "core/mapping/taskinfo.h"

/* Progress of a pause or resume (dcos-commons GoalStateOverride.Progress, stored beside the
 * override as Tasks/<task>/Metadata/override-status): PENDING once asked and the task killed,
 * IN_PROGRESS once relaunched, COMPLETE once the relaunch runs. A resume that completes removes
 * both nodes (INACTIVE). */
typedef enum {
    SVC_OVERRIDE_INACTIVE = 0, /* no progress stored */
    SVC_OVERRIDE_PENDING,
    SVC_OVERRIDE_IN_PROGRESS,
    SVC_OVERRIDE_COMPLETE,
} svc_override_progress;

/* What a record keeps of its task description: the identifiers read on every status update,
 * kill and reconciliation. The full description (resources, environment, command, labels, the
 * executor) stays only in the state store, whose in-memory image holds the TaskInfo bytes
 * anyway: svc_task_desc_load_new decodes it when a step, a label change or the API needs it.
 * Keeping a decoded copy per task cost about 5 KB per task (docs/performance.md, Memory). */
typedef struct sdk_task_rec_desc {
    char *task_id;              /* "" (or NULL) for a stub: stored for its resource set, never launched */
    char *agent_id;
    sdk_goal goal;
} sdk_task_rec_desc;

typedef struct sdk_task_rec {
    char *name;                 /* "<pod>-<i>-<task>" */
    char *pod_type;
    int64_t index;
    char *spec_task;            /* task name inside the pod */
    char *pod_instance;         /* "<pod>-<i>" */
    sdk_task_rec_desc desc;     /* as last launched or stored */
    char *config_id;            /* target_configuration label */
    char *hostname;             /* offer_hostname label */
    /* offer_attributes (NULL when absent or empty), offer_zone, offer_region (NULL when absent)
     * labels: placement rules read them */
    char *offer_attrs, *offer_zone, *offer_region;
    bool has_status;            /* a status for desc.task_id is known */
    sdk_tstate state;
    bool ready;
    char *ip;
    bool permanently_failed;
    /* The launch was recorded but never reached Mesos (crash between record and ACCEPT): its
     * recorded reservations do not exist, so a relaunch must not wait for them. In memory only. */
    bool never_launched;
    sdk_goal_override override;
    svc_override_progress override_progress; /* of a PAUSED override or of a resume */
    char **resource_ids;        /* resource_id labels of task + executor resources */
    size_t n_resource_ids;
    /* One allocation holding resource_ids and every string above but ip (sdk_task_rec_learn):
     * the strings are replaced together, never one by one. */
    void *block;
} sdk_task_rec;

/* Sets the record's description fields (identifiers, pod type, index, names, config id,
 * hostname, placement labels, resource ids, permanently-failed label) from a full description d
 * and its executor ex (may be NULL), replacing what they held. Copies: d and ex stay the
 * caller's. Leaves the status, override and in-memory flags alone. */
void sdk_task_rec_learn(sdk_task_rec *rec, const sdk_task_desc *d, const sdk_executor_desc *ex);
void sdk_task_rec_free_contents(sdk_task_rec *rec);
/* True when the record's task may still be running (launched and no terminal status). */
bool sdk_task_rec_alive(const sdk_task_rec *rec);
bool sdk_tstate_terminal(sdk_tstate s);
#endif
