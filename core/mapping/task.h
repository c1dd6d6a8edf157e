/* The task description built from the spec and what offer evaluation decided (part of the spec ->
 * Mesos mapping, see mapping.h). */
#ifndef SDK_MAPPING_TASK_H
#define SDK_MAPPING_TASK_H
#include "core/offer/evaluate.h"
#include "core/spec/spec.h"

/* What offer evaluation decided for one task, handed to the mapping (all borrowed). */
typedef struct sdk_mapping_task_input {
    const sdk_spec *spec;
    const sdk_pod_spec *pod;
    const sdk_task_spec *task;
    const sdk_resource_set *set;        /* the resource set the task occupies */
    int64_t index;                      /* pod instance */
    const char *task_uuid;              /* the new TaskID's uuid; NULL: a stored-only task (TaskID "") */
    const char *target_config_id;
    const sdk_kv *sched_env;            /* TASKCFG_*, SERVICE_TLD, VIP_TLD, PORT_API, MARATHON_NAME */
    size_t n_sched_env;
    const sdk_kv *plan_params;          /* appended to the task env (§2.7) */
    size_t n_plan_params;
    const sdk_placement_rule *placement;/* NULL: parsed from the pod's `placement` */
    const sdk_offer *offer;             /* agent id, hostname, attributes, zone, region */
    const sdk_resources *resources;     /* what was reserved for the set */
    const sdk_port_assignment *ports;   /* port numbers of the set, by name */
    size_t n_ports;
    void (*uuid)(void *ctx, char out[37]); /* fresh UUIDs (VIP labels) */
    void *uuid_ctx;
} sdk_mapping_task_input;

/* The description of one task, everything the TaskInfo will say (core/mapping/taskinfo.c
 * encodes it): name and TaskID (§3.2), command with the §2.4 environment and secret variables,
 * user, URIs (pod uris, config templates), labels (§3.6), health and readiness checks with their
 * environment, discovery and VIP labels, kill policy, limits, resources, and the task's
 * ContainerInfo. out is overwritten (release with sdk_task_desc_free_contents). */
void sdk_mapping_task_desc_build(const sdk_mapping_task_input *in, sdk_task_desc *out);

/* svc' of §3.2: the service name with a leading '/' dropped and other '/' -> '.'. New string. */
char *sdk_mapping_service_id_new(const char *name);
/* SCHEDULER_API_HOSTNAME as tasks are given it: the name by which tasks (HDFS's journal hand-off)
 * and the Mesos fetcher (config templates) reach the scheduler's REST API, from the service name
 * and the scheduler's MARATHON_NAME and SERVICE_TLD (sched_env; defaults when absent). The REST
 * API accepts it in Host. New string. */
char *sdk_mapping_scheduler_host_new(const char *service, const sdk_kv *sched_env, size_t n_sched_env);

#endif
