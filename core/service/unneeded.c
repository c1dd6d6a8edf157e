/* Tasks no plan launches any more are killed (dcos-commons: DefaultScheduler.killUnneededTasks,
 * run from registeredWithMesos; exercised by helloworld's enable-disable.yml and
 * test_enable_disable.py). A config update can drop a task from every plan without removing its
 * pod: a step `[[server-a], [server-b]]` that becomes `[[server-b]]`, a custom plan removed. The
 * task would otherwise keep running forever, untracked by any step.
 *
 * Only the running task is killed. Its stored TaskInfo stays, so its reservations and volumes
 * stay with the pod (garbage collection keeps every resource id a stored task claims) and a later
 * update that names the task again relaunches it in place. That is the difference from a
 * decommission, which the decommission plan does (and which is left alone here). */
#include "core/service/service_internal.h"
#include "core/util/log.h"
#include <string.h>

/* Is the record accounted for by some plan: launched by a step, or the decommission plan's? */
static bool planned(sdk_service *s, const sdk_task_rec *r) {
    for (size_t i = 0; i < s->n_all; i++)
        if (sdk_plan_launches_task(s->all[i], r->name)) return true;
    /* Pod types gone from the spec and instances beyond the count belong to the decommission
     * plan (or to the validators that refused the shrink): never killed from here. */
    if (r->override == SDK_OVERRIDE_DECOMMISSIONED) return true;
    const sdk_pod_spec *pod = s->target && r->pod_type ? sdk_spec_pod(s->target, r->pod_type) : NULL;
    return !pod || r->index < 0 || r->index >= pod->count;
}

void svc_kill_unneeded_tasks(sdk_service *s) {
    if (s->uninstall || !s->n_plans) return; /* the uninstall plan kills everything itself */
    for (size_t i = 0; i < s->n_tasks; i++) {
        sdk_task_rec *r = &s->tasks[i];
        if (!sdk_task_rec_alive(r) || planned(s, r)) continue;
        SDK_WARN("tasks", "%s is launched by no plan of the current configuration: killing it (its "
                          "reservations and volumes stay with pod %s)", r->name, r->pod_instance);
        svc_kill_task(s, r->desc.task_id, r->desc.agent_id);
    }
}
