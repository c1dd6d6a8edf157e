/* A simulated Mesos cluster inside the process, for scenario tests: agents with resources,
 * the effects of RESERVE/UNRESERVE/CREATE/DESTROY/LAUNCH_GROUP on them, tasks whose statuses the
 * scenario decides, and offers of whatever is free. It implements sdk_driver, so the real
 * service core runs against it unchanged. Not a Mesos master: no validation beyond resource
 * arithmetic (an operation that does not fit the agent is recorded as an error). */
#ifndef SDK_SIM_CLUSTER_H
#define SDK_SIM_CLUSTER_H
#include "core/service/service.h"

typedef struct sdk_sim_task {
    char *task_id, *name, *agent_id, *executor_id;
    sdk_resources resources;
    sdk_tstate state;
    bool killed;          /* a KILL was received */
    sdk_kv *env;
    size_t n_env;
} sdk_sim_task;

typedef struct sdk_sim_agent {
    char *id, *hostname;
    sdk_attr *attrs;
    size_t n_attrs;
    char *zone, *region;
    sdk_resources free;   /* not used by a task or executor: what offers contain */
} sdk_sim_agent;

/* What the service did since the last sdk_sim_clear_actions(). */
typedef struct sdk_sim_actions {
    size_t n_reserve, n_unreserve, n_create, n_destroy, n_launch_group;
    char **launched;      /* task names */
    size_t n_launched;
    char **killed;        /* task names (or ids when unknown) */
    size_t n_killed;
    size_t n_declined, n_accepted, n_revive, n_suppress, n_reconcile, n_ack, n_teardown;
    sdk_errors errors;    /* operations that did not fit */
} sdk_sim_actions;

/* A running executor and the resources it holds (returned when its last task ends). */
typedef struct sdk_sim_executor {
    char *id, *agent_id;
    sdk_resources resources;
} sdk_sim_executor;

typedef struct sdk_sim_cluster {
    sdk_sim_executor *executors;
    size_t n_executors;
    sdk_sim_agent *agents;
    size_t n_agents;
    sdk_sim_task *tasks;
    size_t n_tasks;
    sdk_sim_actions act;
    unsigned next_offer;
} sdk_sim_cluster;

void sdk_sim_init(sdk_sim_cluster *c);
void sdk_sim_free(sdk_sim_cluster *c);
void sdk_sim_clear_actions(sdk_sim_cluster *c);
/* Adds an agent; resources are copied. */
sdk_sim_agent *sdk_sim_add_agent(sdk_sim_cluster *c, const char *name, const sdk_resources *res);
sdk_sim_agent *sdk_sim_agent_find(sdk_sim_cluster *c, const char *name);
/* An offer of the agent's free resources (new id each time). Release with sdk_offer_free_contents. */
void sdk_sim_make_offer(sdk_sim_cluster *c, const sdk_sim_agent *a, sdk_offer *out);
/* The newest task of that name, or NULL. */
sdk_sim_task *sdk_sim_task_find(sdk_sim_cluster *c, const char *name);
/* Marks a task's state; terminal states give its resources back (and the executor's when it was
 * the executor's last live task). */
void sdk_sim_set_state(sdk_sim_cluster *c, sdk_sim_task *t, sdk_tstate st);
/* Number of dynamically reserved resource entries on all agents (for duplicate checks). */
size_t sdk_sim_reservation_count(const sdk_sim_cluster *c);
size_t sdk_sim_volume_count(const sdk_sim_cluster *c);
const sdk_driver *sdk_sim_driver(void);
#endif
