/* Plans from a spec (§1.14, §4.7, §4.8, §4.12): the default deploy plan, YAML plans with or
 * without custom steps, deploy/update selection, and initial step statuses from the task view. */
#include <stdlib.h>
#include <string.h>
#include "core/plan/plan.h"
#include "core/util/str.h"

static const sdk_pod_spec *find_pod(const sdk_spec *s, const char *type) {
    for (size_t i = 0; type && i < s->n_pods; i++)
        if (strcmp(s->pods[i].type, type) == 0) return &s->pods[i];
    return NULL;
}

static const sdk_task_spec *find_task(const sdk_pod_spec *p, const char *name) {
    for (size_t i = 0; name && i < p->n_tasks; i++)
        if (strcmp(p->tasks[i].name, name) == 0) return &p->tasks[i];
    return NULL;
}

/* "[a, b]" — Java list formatting. */
static char *task_list_new(const char *const *tasks, size_t n) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) sdk_buf_puts(&b, ", ");
        sdk_buf_puts(&b, tasks[i]);
    }
    sdk_buf_putc(&b, ']');
    return sdk_buf_take(&b);
}

/* §4.8: PENDING when no task of the step is stored; else COMPLETE iff every stored one reached
 * its goal on the target config or is permanently failed. */
static sdk_status initial_status(const sdk_pod_spec *pod, int64_t index, const char *const *tasks,
                                 size_t n, const sdk_plan_ctx *ctx) {
    if (!ctx || !ctx->tasks) return SDK_STATUS_PENDING;
    size_t stored = 0;
    for (size_t i = 0; i < n; i++) {
        char *full = sdk_asprintf_new("%s-%lld-%s", pod->type, (long long)index, tasks[i]);
        const sdk_task_view *t = sdk_task_views_find(ctx->tasks, full);
        free(full);
        if (!t) continue;
        stored++;
        const sdk_task_spec *ts = find_task(pod, tasks[i]);
        if (!t->permanently_failed && !sdk_task_view_reached_goal(t, ts->goal, ctx->target_config_id))
            return SDK_STATUS_PENDING;
    }
    return stored ? SDK_STATUS_COMPLETE : SDK_STATUS_PENDING;
}

/* After a scheduler restart a step may find its tasks already launched on the target config
 * and still alive (launched just before the restart, or running but not yet ready). Relaunching
 * them would restart a task without reason, so the step adopts them as if it had launched them
 * and carries on from their last known status. Only when every task of the step is in flight or
 * done; otherwise the step starts over as usual. */
static bool terminal_state(sdk_tstate st) {
    return st == SDK_TSTATE_FINISHED || st == SDK_TSTATE_FAILED || st == SDK_TSTATE_KILLED ||
           st == SDK_TSTATE_ERROR || st == SDK_TSTATE_LOST || st == SDK_TSTATE_DROPPED ||
           st == SDK_TSTATE_GONE || st == SDK_TSTATE_GONE_BY_OPERATOR || st == SDK_TSTATE_UNREACHABLE;
}

static void adopt_in_flight(sdk_step *s, const sdk_pod_spec *pod, int64_t index, const sdk_plan_ctx *ctx) {
    if (!ctx || !ctx->tasks || !ctx->target_config_id || !s->n_tasks) return;
    const sdk_task_view **views = sdk_xcalloc(s->n_tasks, sizeof *views);
    bool all = true;
    for (size_t i = 0; i < s->n_tasks && all; i++) {
        char *full = sdk_asprintf_new("%s-%lld-%s", pod->type, (long long)index, s->tasks[i].task);
        const sdk_task_view *t = sdk_task_views_find(ctx->tasks, full);
        free(full);
        all = t && t->task_id && t->task_id[0] && !t->permanently_failed && t->config_id &&
              !strcmp(t->config_id, ctx->target_config_id) && (!t->has_status || !terminal_state(t->state) ||
              sdk_task_view_reached_goal(t, s->tasks[i].goal, ctx->target_config_id));
        views[i] = t;
    }
    if (all) {
        for (size_t i = 0; i < s->n_tasks; i++) {
            sdk_launched l = {views[i]->name, views[i]->task_id};
            sdk_step_on_launched(s, &l, 1);
        }
        for (size_t i = 0; i < s->n_tasks; i++)
            if (views[i]->has_status)
                sdk_step_on_task_status(s, views[i]->name, views[i]->task_id, views[i]->state, views[i]->ready);
    }
    free(views);
}

static sdk_step *error_step_new(const sdk_pod_spec *pod, int64_t index, char *msg_take) {
    char *name = sdk_asprintf_new("%s-%lld", pod->type, (long long)index);
    sdk_step *s = sdk_step_pod_new(name, pod->type, index, NULL, NULL, 0);
    sdk_step_set_error(s, msg_take);
    free(msg_take);
    free(name);
    return s;
}

sdk_step *sdk_step_for_pod_new(const sdk_pod_spec *pod, int64_t index, const char *const *tasks,
                               size_t n, const sdk_plan_ctx *ctx) {
    for (size_t i = 0; i < n; i++) {
        if (!find_task(pod, tasks[i]))
            return error_step_new(pod, index, sdk_asprintf_new("Task '%s' not found in pod '%s'", tasks[i], pod->type));
    }
    char *list = task_list_new(tasks, n);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            const sdk_task_spec *a = find_task(pod, tasks[i]), *b = find_task(pod, tasks[j]);
            if (a->resource_set && b->resource_set && strcmp(a->resource_set, b->resource_set) == 0) {
                sdk_step *e = error_step_new(pod, index, sdk_asprintf_new(
                    "Attempted to simultaneously launch tasks: %s in pod: %s-%lld using the same "
                    "resource set id '%s'. These tasks should either be run in separate steps or "
                    "use different resource set ids", list, pod->type, (long long)index, a->resource_set));
                free(list);
                return e;
            }
            if (a->discovery_prefix && b->discovery_prefix && strcmp(a->discovery_prefix, b->discovery_prefix) == 0) {
                sdk_step *e = error_step_new(pod, index, sdk_asprintf_new(
                    "Attempted to simultaneously launch tasks: %s in pod: %s-%lld using the same "
                    "DNS prefix '%s'. These tasks should either be run in separate steps or use "
                    "different DNS prefixes", list, pod->type, (long long)index, a->discovery_prefix));
                free(list);
                return e;
            }
        }
    }
    char *name = sdk_asprintf_new("%s-%lld:%s", pod->type, (long long)index, list);
    free(list);
    sdk_goal *goals = n ? sdk_xcalloc(n, sizeof *goals) : NULL;
    for (size_t i = 0; i < n; i++) goals[i] = find_task(pod, tasks[i])->goal;
    sdk_step *s = sdk_step_pod_new(name, pod->type, index, tasks, goals, n);
    free(goals);
    free(name);
    s->backoff = ctx ? ctx->backoff : NULL;
    s->status = initial_status(pod, index, tasks, n, ctx);
    if (s->status == SDK_STATUS_COMPLETE)
        for (size_t i = 0; i < s->n_tasks; i++) s->tasks[i].status = SDK_STATUS_COMPLETE;
    else
        adopt_in_flight(s, pod, index, ctx);
    return s;
}

/* One step per instance launching all tasks of the pod. */
static void add_all_task_steps(sdk_phase *ph, const sdk_pod_spec *pod, const sdk_plan_ctx *ctx) {
    const char **names = pod->n_tasks ? sdk_xcalloc(pod->n_tasks, sizeof *names) : NULL;
    for (size_t t = 0; t < pod->n_tasks; t++) names[t] = pod->tasks[t].name;
    for (int64_t i = 0; i < pod->count; i++)
        sdk_phase_add_step_take(ph, sdk_step_for_pod_new(pod, i, names, pod->n_tasks, ctx));
    free(names);
}

static sdk_plan *default_deploy_new(const sdk_spec *spec, const sdk_plan_ctx *ctx) {
    sdk_plan *p = sdk_plan_new("deploy", SDK_STRATEGY_SERIAL);
    for (size_t i = 0; i < spec->n_pods; i++) {
        sdk_phase *ph = sdk_phase_new(spec->pods[i].type, SDK_STRATEGY_SERIAL);
        add_all_task_steps(ph, &spec->pods[i], ctx);
        sdk_plan_add_phase_take(p, ph);
    }
    return p;
}

static const sdk_step_entry *entry_for(const sdk_phase_spec *ps, int64_t index) {
    const sdk_step_entry *def = NULL;
    for (size_t i = 0; i < ps->n_entries; i++) {
        if (ps->entries[i].index == index) return &ps->entries[i];
        if (ps->entries[i].index == -1) def = &ps->entries[i];
    }
    return def;
}

static int custom_steps_phase(sdk_phase *ph, const sdk_phase_spec *ps, const sdk_pod_spec *pod,
                              const char *plan_name, const sdk_plan_ctx *ctx, sdk_errors *errs) {
    bool dependency = ps->strategy == SDK_STRATEGY_PARALLEL || ps->strategy == SDK_STRATEGY_PARALLEL_CANARY;
    if (ps->strategy == SDK_STRATEGY_PARALLEL) ph->strat.kind = SDK_STRATEGY_DEPENDENCY;
    if (ps->strategy == SDK_STRATEGY_PARALLEL_CANARY) ph->strat.kind = SDK_STRATEGY_DEPENDENCY_CANARY;
    int rc = 0;
    for (int64_t i = 0; i < pod->count; i++) {
        const sdk_step_entry *e = entry_for(ps, i);
        if (!e) {
            sdk_errors_addf(errs, "plans.%s.phases.%s.steps: no entry for pod index %lld and no 'default' entry",
                            plan_name, ps->name, (long long)i);
            rc = SDK_EINVAL;
            continue;
        }
        size_t first_of_instance = ph->n_steps;
        for (size_t k = 0; k < e->n_steps; k++) {
            char **names = e->steps[k];
            size_t n = 0;
            while (names && names[n]) n++;
            for (size_t t = 0; t < n; t++) {
                if (!find_task(pod, names[t])) {
                    sdk_errors_addf(errs, "plans.%s.phases.%s.steps: unknown task '%s' in pod '%s'",
                                    plan_name, ps->name, names[t], pod->type);
                    rc = SDK_EINVAL;
                }
            }
            if (rc) continue;
            sdk_phase_add_step_take(ph, sdk_step_for_pod_new(pod, i, (const char *const *)names, n, ctx));
            /* same pod instance runs in order; different instances in parallel */
            if (dependency && ph->n_steps - 1 > first_of_instance)
                sdk_phase_add_dep(ph, ph->n_steps - 1, ph->n_steps - 2);
        }
    }
    return rc;
}

static int yaml_plan_new(const sdk_spec *spec, const sdk_plan_spec *ps, const char *name,
                         const sdk_plan_ctx *ctx, sdk_plan **out, sdk_errors *errs) {
    sdk_plan *p = sdk_plan_new(name, ps->strategy == SDK_STRATEGY_PARALLEL ? SDK_STRATEGY_PARALLEL
                                                                           : SDK_STRATEGY_SERIAL);
    int rc = 0;
    for (size_t i = 0; i < ps->n_phases; i++) {
        const sdk_phase_spec *phs = &ps->phases[i];
        const sdk_pod_spec *pod = find_pod(spec, phs->pod);
        if (!pod) {
            sdk_errors_addf(errs, "plans.%s.phases.%s.pod: pod type '%s' not found", ps->name, phs->name,
                            phs->pod ? phs->pod : "(missing)");
            rc = SDK_EINVAL;
            continue;
        }
        sdk_phase *ph = sdk_phase_new(phs->name, phs->strategy);
        if (phs->has_steps) {
            if (custom_steps_phase(ph, phs, pod, ps->name, ctx, errs) != 0) rc = SDK_EINVAL;
        } else {
            add_all_task_steps(ph, pod, ctx);
        }
        sdk_plan_add_phase_take(p, ph);
    }
    if (rc) {
        sdk_plan_free(p);
        *out = NULL;
        return rc;
    }
    *out = p;
    return 0;
}

void sdk_plans_free(sdk_plan **plans, size_t n) {
    if (!plans) return;
    for (size_t i = 0; i < n; i++) sdk_plan_free(plans[i]);
    free(plans);
}

int sdk_plans_from_spec_new(const sdk_spec *spec, const sdk_plan_ctx *ctx, bool update_type_recorded,
                            sdk_plan ***out, size_t *n_out, sdk_errors *errs) {
    *out = NULL;
    *n_out = 0;
    sdk_plan **plans = sdk_xcalloc(spec->n_plans + 1, sizeof *plans);
    size_t n = 0;
    int rc = 0;
    const sdk_plan_spec *deploy = NULL, *update = NULL;
    for (size_t i = 0; i < spec->n_plans; i++) {
        if (strcmp(spec->plans[i].name, "deploy") == 0) deploy = &spec->plans[i];
        if (strcmp(spec->plans[i].name, "update") == 0) update = &spec->plans[i];
    }
    const sdk_plan_spec *chosen = update && update_type_recorded ? update : deploy;
    if (chosen) rc = yaml_plan_new(spec, chosen, "deploy", ctx, &plans[n], errs);
    else plans[n] = default_deploy_new(spec, ctx);
    if (rc == 0) n++;
    for (size_t i = 0; i < spec->n_plans; i++) {
        const char *nm = spec->plans[i].name;
        if (!strcmp(nm, "deploy") || !strcmp(nm, "update") || !strcmp(nm, "recovery") || !strcmp(nm, "decommission"))
            continue;
        sdk_plan *p = NULL;
        if (yaml_plan_new(spec, &spec->plans[i], nm, ctx, &p, errs) != 0) {
            rc = SDK_EINVAL;
            continue;
        }
        sdk_plan_interrupt(p); /* custom plans wait for `plan start` (§4.12) */
        plans[n++] = p;
    }
    if (rc) {
        sdk_plans_free(plans, n);
        return rc;
    }
    *out = plans;
    *n_out = n;
    return 0;
}
