/* Status names, the aggregation rules of §4.3, task-state names and task-view helpers. */
#include <string.h>
#include "core/plan/plan.h"
#include "core/util/strmap.h"
#include "core/util/log.h"
#include "core/util/str.h"

const char *sdk_status_name(sdk_status s) {
    switch (s) {
    case SDK_STATUS_ERROR: return "ERROR";
    case SDK_STATUS_WAITING: return "WAITING";
    case SDK_STATUS_PENDING: return "PENDING";
    case SDK_STATUS_PREPARED: return "PREPARED";
    case SDK_STATUS_STARTING: return "STARTING";
    case SDK_STATUS_STARTED: return "STARTED";
    case SDK_STATUS_COMPLETE: return "COMPLETE";
    case SDK_STATUS_IN_PROGRESS: return "IN_PROGRESS";
    case SDK_STATUS_DELAYED: return "DELAYED";
    case SDK_STATUS_PAUSING: return "PAUSING";
    case SDK_STATUS_PAUSED: return "PAUSED";
    }
    return "ERROR";
}

bool sdk_status_is_running(sdk_status s) {
    return s == SDK_STATUS_PREPARED || s == SDK_STATUS_STARTING || s == SDK_STATUS_STARTED ||
           s == SDK_STATUS_IN_PROGRESS;
}

/* The statuses present in v, as bits (1u << status): the rules below ask up to a dozen
 * any/all questions of the same arrays, which hold a status per step (10,000 in a big phase). */
static unsigned status_mask(const sdk_status *v, size_t n) {
    unsigned m = 0;
    for (size_t i = 0; i < n; i++) m |= 1u << v[i];
    return m;
}
#define ANY_IS(m, s) (((m) >> (s)) & 1u)
#define ALL_ARE(m, s) (((m) & ~(1u << (s))) == 0) /* true for an empty array, as before */

sdk_status sdk_status_aggregate(const sdk_status *c, size_t nc, const sdk_status *k, size_t nk,
                                bool has_errors, bool interrupted) {
    unsigned cm = status_mask(c, nc), km = status_mask(k, nk);
    /* Rule order is the contract (§4.3); do not reorder. */
    if (has_errors || ANY_IS(cm, SDK_STATUS_ERROR)) return SDK_STATUS_ERROR;              /* 1 */
    if (ALL_ARE(cm, SDK_STATUS_COMPLETE)) return SDK_STATUS_COMPLETE;                      /* 2 */
    if (interrupted) return SDK_STATUS_WAITING;                                            /* 3 */
    if (ALL_ARE(km, SDK_STATUS_DELAYED) && ALL_ARE(cm, SDK_STATUS_DELAYED))
        return SDK_STATUS_DELAYED;                                                         /* 4 */
    if (ANY_IS(cm, SDK_STATUS_PREPARED)) return SDK_STATUS_IN_PROGRESS;                    /* 5 */
    if (ANY_IS(km, SDK_STATUS_WAITING)) return SDK_STATUS_WAITING;                         /* 6 */
    if (ANY_IS(km, SDK_STATUS_IN_PROGRESS)) return SDK_STATUS_IN_PROGRESS;                 /* 7 */
    if (ANY_IS(cm, SDK_STATUS_COMPLETE) &&
        (ANY_IS(km, SDK_STATUS_PENDING) || ANY_IS(km, SDK_STATUS_STARTING) || ANY_IS(km, SDK_STATUS_STARTED)))
        return SDK_STATUS_IN_PROGRESS;                                                     /* 8 */
    if (ANY_IS(km, SDK_STATUS_PENDING)) return SDK_STATUS_PENDING;                         /* 9 */
    if (ANY_IS(cm, SDK_STATUS_WAITING)) return SDK_STATUS_WAITING;                         /* 10 */
    if (ANY_IS(km, SDK_STATUS_STARTING)) return SDK_STATUS_STARTING;                       /* 11 */
    if (ANY_IS(km, SDK_STATUS_STARTED)) return SDK_STATUS_STARTED;
    /* Delayed steps are no candidates here (they wait out their crash-loop backoff), so a phase
     * of complete and delayed steps has none: it is DELAYED, not an error. dcos-commons'
     * PlanUtils.getAggregateStatus falls through to ERROR for that mix; with backoff on by
     * default a deploy hit it as soon as one task failed. */
    if (ANY_IS(cm, SDK_STATUS_DELAYED)) return SDK_STATUS_DELAYED;
    SDK_WARN("plan", "unexpected aggregate: %zu children, %zu candidates", nc, nk);       /* 12 */
    return SDK_STATUS_ERROR;
}
#undef ANY_IS
#undef ALL_ARE

const char *sdk_tstate_name(sdk_tstate s) {
    switch (s) {
    case SDK_TSTATE_STARTING: return "TASK_STARTING";
    case SDK_TSTATE_RUNNING: return "TASK_RUNNING";
    case SDK_TSTATE_FINISHED: return "TASK_FINISHED";
    case SDK_TSTATE_FAILED: return "TASK_FAILED";
    case SDK_TSTATE_KILLED: return "TASK_KILLED";
    case SDK_TSTATE_LOST: return "TASK_LOST";
    case SDK_TSTATE_STAGING: return "TASK_STAGING";
    case SDK_TSTATE_ERROR: return "TASK_ERROR";
    case SDK_TSTATE_KILLING: return "TASK_KILLING";
    case SDK_TSTATE_DROPPED: return "TASK_DROPPED";
    case SDK_TSTATE_UNREACHABLE: return "TASK_UNREACHABLE";
    case SDK_TSTATE_GONE: return "TASK_GONE";
    case SDK_TSTATE_GONE_BY_OPERATOR: return "TASK_GONE_BY_OPERATOR";
    case SDK_TSTATE_UNKNOWN: return "TASK_UNKNOWN";
    }
    return "TASK_UNKNOWN";
}

const char *sdk_recovery_type_name(sdk_recovery_type t) {
    switch (t) {
    case SDK_RECOVERY_TRANSIENT: return "TRANSIENT";
    case SDK_RECOVERY_PERMANENT: return "PERMANENT";
    default: return "NONE";
    }
}

const sdk_task_view *sdk_task_views_find(const sdk_task_views *tv, const char *name) {
    if (!tv || !name) return NULL;
    if (tv->by_name) return sdk_strmap_get(tv->by_name, name);
    for (size_t i = 0; i < tv->n; i++)
        if (tv->v[i].name && strcmp(tv->v[i].name, name) == 0) return &tv->v[i];
    return NULL;
}

bool sdk_task_view_reached_goal(const sdk_task_view *t, sdk_goal goal, const char *target_config) {
    if (!t || !t->has_status) return false;
    bool on_target = target_config && t->config_id && strcmp(t->config_id, target_config) == 0;
    switch (goal) {
    case SDK_GOAL_RUNNING: return t->state == SDK_TSTATE_RUNNING && t->ready && on_target;
    case SDK_GOAL_FINISH: return t->state == SDK_TSTATE_FINISHED && on_target;
    case SDK_GOAL_ONCE: return t->state == SDK_TSTATE_FINISHED;
    }
    return false;
}
