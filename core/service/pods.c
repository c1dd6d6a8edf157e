/* Pod operations: restart, replace, pause, resume (sdk-behaviour.md §9.2, §9.5). Each one
 * records its intent in the state store first (permanently-failed label, goal-state override),
 * then kills; the recovery plan relaunches the pod as the intent says. */
#include "core/events/events.h"
#include "core/service/service_internal.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include <stdlib.h>
#include <string.h>

/* What a paused task runs instead of its command (dcos-commons: PAUSE_OVERRIDE_CMD). */
#define SDK_PAUSE_CMD                                                                                \
    "echo \"This task is paused: it runs an idle command so that its sandbox and volumes can be " \
    "inspected. Resume it with: sdkctl pod resume $POD_INSTANCE_INDEX\"; while true; do sleep 3600; done"

const char *sdk_pod_op_name(sdk_pod_op op) {
    static const char *n[] = {"restart", "replace", "pause", "resume"};
    return (unsigned)op < 4 ? n[op] : "?";
}

void sdk_service_names_free(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void push(char ***v, size_t *n, const char *s) {
    *v = sdk_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = sdk_xstrdup(s);
}

/* Is task (full name) selected by the tasks[] argument? */
static bool selected(const sdk_task_rec *r, const char *const *tasks, size_t n) {
    if (!n) return true;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(tasks[i], r->spec_task) || !strcmp(tasks[i], r->name)) return true;
    return false;
}

int sdk_service_pod_op(sdk_service *s, sdk_pod_op op, const char *pod, const char *const *tasks,
                       size_t n_tasks, char ***affected, size_t *n_affected, sdk_errors *errs) {
    *affected = NULL;
    *n_affected = 0;
    if (s->uninstall) {
        sdk_errors_addf(errs, "the service is being uninstalled: pod %s is refused", sdk_pod_op_name(op));
        return SDK_ESTATE;
    }
    if (op != SDK_POD_PAUSE && op != SDK_POD_RESUME) n_tasks = 0;
    /* The pod's launched tasks (stubs that never ran are left alone, as in dcos-commons). */
    sdk_task_rec **recs = sdk_xcalloc(s->n_tasks ? s->n_tasks : 1, sizeof *recs);
    size_t n = 0;
    bool any = false, paused = false;
    for (size_t i = 0; i < s->n_tasks; i++) {
        sdk_task_rec *r = &s->tasks[i];
        if (strcmp(r->pod_instance, pod)) continue;
        any = true;
        if (r->override == SDK_OVERRIDE_PAUSED) paused = true;
        if (!r->desc.task_id || !r->desc.task_id[0]) continue;
        if ((op == SDK_POD_PAUSE || op == SDK_POD_RESUME) && r->desc.goal != SDK_GOAL_RUNNING) continue;
        if (selected(r, tasks, n_tasks)) recs[n++] = r;
    }
    int rc = 0;
    if (!any) {
        sdk_errors_addf(errs, "Pod %s not found", pod);
        rc = SDK_ENOENT;
        goto out;
    }
    for (size_t i = 0; i < n_tasks; i++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++) found = selected(recs[k], &tasks[i], 1);
        if (!found) {
            sdk_errors_addf(errs, "Task %s not found in pod %s (or it is not a RUNNING task)", tasks[i], pod);
            rc = SDK_ENOENT;
        }
    }
    if (rc) goto out;
    if (!n) {
        sdk_errors_addf(errs, "Pod %s has no launched task to %s", pod, sdk_pod_op_name(op));
        rc = SDK_ESTATE;
        goto out;
    }
    if (op == SDK_POD_REPLACE && paused) {
        sdk_errors_addf(errs, "Pod %s is paused: resume it before replacing it", pod);
        rc = SDK_ESTATE;
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        if (op == SDK_POD_PAUSE && recs[k]->override == SDK_OVERRIDE_PAUSED) {
            sdk_errors_addf(errs, "Task %s is already paused", recs[k]->name);
            rc = SDK_ESTATE;
        } else if (op == SDK_POD_RESUME && recs[k]->override != SDK_OVERRIDE_PAUSED) {
            sdk_errors_addf(errs, "Task %s is not paused", recs[k]->name);
            rc = SDK_ESTATE;
        } else if (recs[k]->override == SDK_OVERRIDE_DECOMMISSIONED) {
            sdk_errors_addf(errs, "Task %s is being decommissioned", recs[k]->name);
            rc = SDK_ESTATE;
        }
    }
    if (rc) goto out;

    /* Intent first, in one transaction; nothing is killed unless it is stored. */
    sdk_state_txn *t = sdk_state_txn_new(s->state);
    for (size_t k = 0; k < n && !rc; k++) {
        sdk_task_rec *r = recs[k];
        switch (op) {
        case SDK_POD_REPLACE:
            /* the record learns the label once it is stored (below) */
            rc = svc_txn_put_task_label(s, t, r, "permanently-failed", "true", false);
            break;
        case SDK_POD_PAUSE:
            rc = sdk_state_txn_set_goal_override(t, r->name, "PAUSED");
            if (!rc) rc = sdk_state_txn_set_override_status(t, r->name, "PENDING");
            break;
        case SDK_POD_RESUME:
            rc = sdk_state_txn_set_goal_override(t, r->name, NULL);
            if (!rc) rc = sdk_state_txn_set_override_status(t, r->name, "PENDING");
            break;
        default:
            break;
        }
    }
    if (!rc) rc = sdk_state_txn_commit(t, errs);
    sdk_state_txn_free(t);
    if (rc) {
        if (!sdk_errors_any(errs)) sdk_errors_addf(errs, "the state store refused the %s of %s", sdk_pod_op_name(op), pod);
        rc = SDK_EIO;
        goto out;
    }
    for (size_t k = 0; k < n; k++) {
        sdk_task_rec *r = recs[k];
        if (op == SDK_POD_REPLACE) r->permanently_failed = true;
        if (op == SDK_POD_PAUSE) r->override = SDK_OVERRIDE_PAUSED;
        if (op == SDK_POD_RESUME) r->override = SDK_OVERRIDE_NONE;
        if (op == SDK_POD_PAUSE || op == SDK_POD_RESUME) r->override_progress = SVC_OVERRIDE_PENDING;
        sdk_backoff_clear(s->backoff, r->name);
        push(affected, n_affected, r->name);
    }
    s->views_dirty = true;
    /* Kill whatever still runs (the whole pod: a relaunch needs the executor's resources back). */
    for (size_t k = 0; k < n; k++)
        if (sdk_task_rec_alive(recs[k])) svc_kill_task(s, recs[k]->desc.task_id, recs[k]->desc.agent_id);
    SDK_INFO("pods", "%s %s: %zu task(s)", sdk_pod_op_name(op), pod, n);
    if (s->events) {
        static const sdk_event_type ev[] = {[SDK_POD_RESTART] = SDK_EV_RESTART, [SDK_POD_REPLACE] = SDK_EV_REPLACE,
                                            [SDK_POD_PAUSE] = SDK_EV_PAUSE, [SDK_POD_RESUME] = SDK_EV_RESUME};
        sdk_buf names;
        sdk_buf_init(&names);
        for (size_t k = 0; k < n; k++) sdk_buf_printf(&names, "%s%s", k ? ", " : "", recs[k]->name);
        const char *cause = op == SDK_POD_REPLACE ? "operator request: relaunch elsewhere with new volumes"
                                                  : "operator request";
        sdk_events_publish(s->events, ev[op], "pod", pod, "tasks", names.len ? names.data : "", "cause", cause, NULL);
        sdk_buf_free(&names);
    }
    svc_update_offer_interest(s);
out:
    free(recs);
    return rc;
}

/* Launches of paused tasks run the idle command, without health check and never ready. */
void svc_apply_pause(sdk_service *s, sdk_eval_result *res) {
    for (size_t k = 0; k < res->n_ops; k++) {
        if (res->ops[k].type != SDK_OP_LAUNCH_GROUP) continue;
        for (size_t t = 0; t < res->ops[k].n_tasks; t++) {
            sdk_task_desc *d = &res->ops[k].tasks[t];
            sdk_task_rec *r = svc_find_task(s, d->name);
            if (!r || r->override != SDK_OVERRIDE_PAUSED) continue;
            free(d->cmd);
            d->cmd = sdk_xstrdup(SDK_PAUSE_CMD);
            d->health.present = false;
            d->readiness.present = true;
            free(d->readiness.cmd);
            d->readiness.cmd = sdk_xstrdup("exit 1");
            d->readiness.interval_s = 5;
            d->readiness.timeout_s = 5;
            d->readiness.delay_s = 0;
        }
    }
}

/* ---- progress of a pause or resume (dcos-commons DeploymentStep.setOverrideStatus with
 * GoalStateOverride.Status.translateStatus: a relaunch in flight is IN_PROGRESS, a relaunch that
 * runs - ready or not, a paused task never is - is COMPLETE) ---- */

svc_override_progress svc_override_progress_from_name(const char *name) {
    if (!name) return SVC_OVERRIDE_INACTIVE;
    if (!strcmp(name, "PENDING")) return SVC_OVERRIDE_PENDING;
    if (!strcmp(name, "IN_PROGRESS")) return SVC_OVERRIDE_IN_PROGRESS;
    if (!strcmp(name, "COMPLETE")) return SVC_OVERRIDE_COMPLETE;
    return SVC_OVERRIDE_INACTIVE;
}

/* Only pause and resume progress here; a decommission's progress is the decommission plan's. */
static bool pause_or_resume(const sdk_task_rec *r) { return r->override != SDK_OVERRIDE_DECOMMISSIONED; }

int svc_override_txn_launch(sdk_service *s, sdk_state_txn *t, const char *task) {
    sdk_task_rec *r = svc_find_task(s, task);
    if (!r || !pause_or_resume(r) || r->override_progress != SVC_OVERRIDE_PENDING) return 0;
    return sdk_state_txn_set_override_status(t, task, "IN_PROGRESS");
}

void svc_override_launched(sdk_task_rec *r) {
    if (pause_or_resume(r) && r->override_progress == SVC_OVERRIDE_PENDING)
        r->override_progress = SVC_OVERRIDE_IN_PROGRESS;
}

void svc_override_on_status(sdk_service *s, sdk_task_rec *r) {
    if (!pause_or_resume(r) || r->override_progress != SVC_OVERRIDE_IN_PROGRESS) return;
    if (!r->has_status || r->state != SDK_TSTATE_RUNNING) return;
    bool paused = r->override == SDK_OVERRIDE_PAUSED;
    sdk_state_txn *t = sdk_state_txn_new(s->state);
    int rc = 0;
    if (paused) {
        rc = sdk_state_txn_set_override_status(t, r->name, "COMPLETE");
    } else { /* a finished resume leaves no override behind (dcos-commons' INACTIVE) */
        rc = sdk_state_txn_set_goal_override(t, r->name, NULL);
        if (!rc) rc = sdk_state_txn_set_override_status(t, r->name, NULL);
    }
    sdk_errors e;
    sdk_errors_init(&e);
    if (!rc) rc = sdk_state_txn_commit(t, &e);
    sdk_state_txn_free(t);
    if (rc) {
        /* Stays IN_PROGRESS (the pod shows PAUSING/STARTING); the next RUNNING status retries. */
        SDK_ERROR("pods", "storing that %s is %s failed: %s", r->name, paused ? "paused" : "resumed",
                  e.n ? e.msgs[0] : "?");
    } else {
        r->override_progress = paused ? SVC_OVERRIDE_COMPLETE : SVC_OVERRIDE_INACTIVE;
        SDK_INFO("pods", "%s is %s", r->name, paused ? "paused" : "resumed");
    }
    sdk_errors_free(&e);
}
