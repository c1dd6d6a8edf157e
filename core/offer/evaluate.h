/* Offer evaluation (sdk-behaviour.md §8.3): does an offer fit one step of a pod instance, and if
 * so, which operations launch it. Also reservation garbage collection (§8.5).
 *
 * Pure functions over plain structs: no protobuf, no HTTP, no state store. The caller records the
 * returned task descriptions durably BEFORE sending the operations (record before send), and
 * converts them to Mesos messages itself.
 *
 * Stages, in order, each with PASS/FAIL and a reason (kept for /v2/debug/offers):
 *   container  -> agent (relaunch: must be the agent holding the reservations)
 *   -> placement (new pods and PERMANENT recovery only) -> executor (overhead cpus 0.1, mem 32,
 *   disk 256 once per pod instance; pod volumes) -> per resource set: "<set>: ports" (static before
 *   dynamic), "<set>: scalars" (cpus, mem, gpus), "<set>: volumes" (ROOT, MOUNT taken whole)
 *   -> "launch <task>" per task of those sets.
 * Evaluation of an offer stops at its first failing stage.
 */
#ifndef SDK_OFFER_EVALUATE_H
#define SDK_OFFER_EVALUATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/offer/offer.h"
#include "core/offer/placement.h"
#include "core/plan/plan.h" /* sdk_recovery_type */
#include "core/spec/spec.h"
#include "mesos/resources.h"

typedef enum {
    SDK_OP_RESERVE = 0, SDK_OP_UNRESERVE, SDK_OP_CREATE, SDK_OP_DESTROY, SDK_OP_LAUNCH_GROUP
} sdk_op_type;
const char *sdk_op_type_name(sdk_op_type t); /* "RESERVE", ... */

/* Overhead reserved once per pod instance for the default executor. */
#define SDK_EXECUTOR_CPUS_MILLI 100
#define SDK_EXECUTOR_MEM_MB 32
#define SDK_EXECUTOR_DISK_MB 256

typedef struct sdk_port_assignment {
    char *name;      /* port name in the spec */
    uint32_t port;
} sdk_port_assignment;

/* What is stored about one task of the pod instance (borrowed by the evaluator). */
typedef struct sdk_launch_record {
    const char *task_name;               /* full "<pod>-<i>-<task>" */
    const char *agent_id;
    const char *executor_id;
    const sdk_resources *resources;      /* task resources, with resource_id labels */
    const sdk_resources *executor_resources; /* overhead + pod volumes, NULL if unknown */
    const void *executor_container;      /* the executor's packed ContainerInfo as stored (a reused
                                          * executor is sent exactly as it was launched); NULL: none */
    size_t executor_container_len;
    const sdk_port_assignment *ports;
    size_t n_ports;
} sdk_launch_record;

/* Features a backend cannot honour (all false = a full Mesos cluster). */
typedef struct sdk_backend_limits {
    const char *name;       /* "the local cluster"; NULL -> "this cluster" */
    bool no_docker_images;
    bool no_gpus;
    bool no_pod_volumes;
} sdk_backend_limits;

/* Everything borrowed; must stay valid during sdk_offer_evaluate(). */
typedef struct sdk_eval_request {
    const sdk_spec *spec;               /* target config (or the task's config for recovery) */
    const char *pod_type;
    int64_t index;
    const char *const *tasks;           /* spec task names to launch (not full names) */
    size_t n_tasks;
    sdk_recovery_type recovery;
    const sdk_launch_record *records;   /* stored tasks of this pod instance; none = new pod */
    size_t n_records;
    bool executor_running;              /* a task of the instance still runs: reuse its executor */
    const char *role;                   /* service role; pod role is derived from pre-reserved-role */
    const char *principal;
    const char *framework_id;           /* NULL before registration */
    const char *target_config_id;
    const sdk_kv *plan_params;          /* appended to the task env (§2.7) */
    size_t n_plan_params;
    const sdk_kv *sched_env;            /* scheduler env: TASKCFG_*, SERVICE_TLD, VIP_TLD, PORT_API, ... */
    size_t n_sched_env;
    const sdk_placement_rule *placement;/* NULL: parsed from the pod's `placement` for this call */
    const sdk_placement_view *view;     /* existing tasks, NULL = none */
    sdk_backend_limits backend;
} sdk_eval_request;

typedef struct sdk_uri {
    char *value;
    char *output_file;  /* NULL: none */
    bool extract;
} sdk_uri;

typedef struct sdk_check_desc {
    bool present;
    char *cmd;
    sdk_kv *env;        /* task env minus plan parameters and CONFIG_TEMPLATE_* */
    size_t n_env;
    int64_t interval_s, timeout_s, delay_s, grace_period_s, max_consecutive_failures;
} sdk_check_desc;

typedef struct sdk_discovery_port {
    char *name;
    uint32_t number;
    char *protocol;     /* "tcp" */
    sdk_visibility visibility; /* EXTERNAL when advertised, else CLUSTER */
    sdk_kv *labels;     /* VIP_<uuid> = prefix:port, network-scope = host | container */
    size_t n_labels;
} sdk_discovery_port;

typedef struct sdk_task_desc {
    char *name;             /* "<pod>-<i>-<task>" */
    char *spec_task;        /* task name in the pod spec */
    char *task_id;          /* "<svc'>__<name>__<uuid>"; "" for stored-only tasks */
    char *agent_id;
    char *cmd;
    char *user;
    sdk_goal goal;
    sdk_kv *env;            /* §2.4 assembly order */
    size_t n_env;
    sdk_resources resources;
    sdk_kv *labels;         /* §3.6 */
    size_t n_labels;
    sdk_check_desc health, readiness;
    char *discovery_name;
    sdk_visibility discovery_visibility;
    sdk_discovery_port *ports;
    size_t n_ports;
    sdk_port_assignment *assigned_ports; /* every port of the task's set, for the next relaunch */
    size_t n_assigned_ports;
    int64_t kill_grace_period_s;
    sdk_uri *uris;
    size_t n_uris;
    sdk_limit cpus_limit, memory_limit; /* TaskInfo.limits "cpus" / "mem" (unlimited = +inf) */
    void *container;        /* packed mesos.v1.ContainerInfo made by core/mapping; NULL: none */
    size_t container_len;
    sdk_kv *secret_env;     /* env name -> secret path: Environment.Variable of type SECRET */
    size_t n_secret_env;
} sdk_task_desc;

typedef struct sdk_executor_desc {
    char *executor_id;      /* "<svc'>__<podtype>__<uuid>" */
    char *name;             /* pod type */
    char *framework_id;     /* may be NULL */
    sdk_resources resources;/* overhead + pod volumes */
    bool is_new;            /* false: the running executor is reused */
    void *container;        /* packed mesos.v1.ContainerInfo made by core/mapping; NULL: none */
    size_t container_len;
} sdk_executor_desc;

typedef struct sdk_operation {
    sdk_op_type type;
    sdk_resources resources;     /* RESERVE/UNRESERVE/CREATE/DESTROY */
    sdk_executor_desc *executor; /* LAUNCH_GROUP */
    sdk_task_desc *tasks;        /* LAUNCH_GROUP */
    size_t n_tasks;
} sdk_operation;

typedef struct sdk_stage_outcome {
    char *stage;
    bool pass;
    char *reason;
} sdk_stage_outcome;

typedef struct sdk_offer_outcome {
    char *offer_id;
    bool pass;
    sdk_stage_outcome *stages;
    size_t n_stages;
} sdk_offer_outcome;

typedef struct sdk_eval_result {
    bool matched;
    size_t offer_index;          /* valid when matched */
    sdk_operation *ops;          /* RESERVE..., CREATE..., UNRESERVE..., LAUNCH_GROUP */
    size_t n_ops;
    sdk_task_desc *stored;       /* tasks of the launched resource sets not in the step */
    size_t n_stored;
    sdk_offer_outcome *outcomes; /* one per offer tried, in order */
    size_t n_outcomes;
    sdk_resources remaining;     /* valid when matched: what the ops leave of the offer (more
                                  * launches may use it in the same ACCEPT) */
} sdk_eval_result;

/* Tries offers in order; the first on which every stage passes wins. Returns 0 (out->matched says
 * whether an offer fit) or SDK_EINVAL when the request itself is wrong (unknown pod type or task,
 * no role), with the reason in errs; out is then empty. out must be released with
 * sdk_eval_result_free(). */
int sdk_offer_evaluate(const sdk_eval_request *req, const sdk_offer *offers, size_t n_offers,
                       sdk_eval_result *out, sdk_errors *errs);
void sdk_eval_result_free(sdk_eval_result *r);

/* Fills a borrowed launch record from a task description (for relaunch and tests); the record
 * points into t and ex, which must outlive it. */
void sdk_launch_record_from_task(const sdk_task_desc *t, const sdk_executor_desc *ex, sdk_launch_record *rec);

void sdk_task_desc_free_contents(sdk_task_desc *t);
/* Deep copy into dst (dst is overwritten, not freed first). */
void sdk_task_desc_copy(sdk_task_desc *dst, const sdk_task_desc *src);
void sdk_executor_desc_free_contents(sdk_executor_desc *ex);
/* Deep copy into dst (dst is overwritten, not freed first). */
void sdk_executor_desc_copy(sdk_executor_desc *dst, const sdk_executor_desc *src);
void sdk_operation_free_contents(sdk_operation *op);
/* Value of an env/label entry, or NULL. */
const char *sdk_kv_get(const sdk_kv *kv, size_t n, const char *key);

/* Garbage collection (§8.5): operations that release every reservation in the offer that carries a
 * resource_id label not in `claimed` (ids of stored tasks that are neither permanently failed nor
 * decommissioning), optionally only those labelled with framework_id (NULL: any). Volumes are
 * DESTROYed first, then all UNRESERVEs (a destroyed volume is unreserved as plain disk).
 * *ops is a new array (free each with sdk_operation_free_contents, then free()). Returns 0. */
int sdk_offer_gc(const sdk_offer *offer, const char *const *claimed, size_t n_claimed,
                 const char *framework_id, sdk_operation **ops, size_t *n_ops);
#endif
