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

typedef struct sdk_task_rec {
    char *name;                 /* "<pod>-<i>-<task>" */
    char *pod_type;
    int64_t index;
    char *spec_task;            /* task name inside the pod */
    char *pod_instance;         /* "<pod>-<i>" */
    sdk_task_desc desc;         /* as last launched or stored (task_id "" = stub) */
    sdk_executor_desc exec;
    char *config_id;            /* target_configuration label */
    char *hostname;             /* offer_hostname label */
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
} sdk_task_rec;

/* Fills the derived fields (pod type, index, names, config id, hostname, resource ids,
 * permanently-failed label) from rec->desc and rec->exec. */
void sdk_task_rec_derive(sdk_task_rec *rec);
void sdk_task_rec_free_contents(sdk_task_rec *rec);
/* True when the record's task may still be running (launched and no terminal status). */
bool sdk_task_rec_alive(const sdk_task_rec *rec);
bool sdk_tstate_terminal(sdk_tstate s);
#endif
