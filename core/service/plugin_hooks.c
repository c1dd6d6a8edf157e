/* The service's side of the plugin hooks: recovery overrides (custom recovery phases whose steps
 * may change a task's command or env, e.g. Cassandra's replace_address), plugin placement rules,
 * and backend limits. Config validation, pre-decommission and status observers are called
 * directly where they happen. */
#include "core/plugin/plugin.h"
#include "core/service/service_internal.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include <stdlib.h>
#include <string.h>

static void override_free(svc_override *o) {
    free(o->task);
    free(o->cmd_suffix);
    for (size_t i = 0; i < o->n_env; i++) { free(o->env[i].key); free(o->env[i].value); }
    free(o->env);
}

void svc_free_overrides(sdk_service *s) {
    for (size_t i = 0; i < s->n_overrides; i++) override_free(&s->overrides[i]);
    free(s->overrides);
    s->overrides = NULL;
    s->n_overrides = 0;
}

static bool recovery_has_step(sdk_service *s, const char *id) {
    sdk_plan *p = sdk_recovery_plan(s->recovery);
    for (size_t i = 0; i < p->n_phases; i++)
        for (size_t j = 0; j < p->phases[i]->n_steps; j++)
            if (!strcmp(p->phases[i]->steps[j]->id, id)) return true;
    return false;
}

/* Drops overrides of recovery steps that no longer exist (the recovery plan is rebuilt). */
void svc_prune_overrides(sdk_service *s) {
    size_t k = 0;
    for (size_t i = 0; i < s->n_overrides; i++) {
        if (recovery_has_step(s, s->overrides[i].step_id)) s->overrides[k++] = s->overrides[i];
        else override_free(&s->overrides[i]);
    }
    s->n_overrides = k;
}

int svc_plugin_recovery_override(void *arg, const char *pod_type, int64_t index, sdk_recovery_type type,
                                 const char *const *tasks, size_t n_tasks, sdk_phase **out) {
    (void)tasks;
    (void)n_tasks;
    sdk_service *s = arg;
    *out = NULL;
    if (!s->plugin || index < 0) return 0;
    sdk_recovery_phase_spec *ps = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_plugin_recovery_override(s->plugin, s->target, pod_type, (uint32_t)index,
                                          type == SDK_RECOVERY_PERMANENT ? SDK_PLUGIN_RECOVERY_PERMANENT
                                                                         : SDK_PLUGIN_RECOVERY_TRANSIENT,
                                          &ps, &e);
    if (rc || !ps) {
        if (rc) SDK_WARN("recovery", "%s-%lld: the plugin's recovery override failed (%s); using the default",
                         pod_type, (long long)index, e.n ? e.msgs[0] : "no reason");
        sdk_errors_free(&e);
        sdk_recovery_phase_spec_free(ps);
        return 0;
    }
    sdk_errors_free(&e);
    sdk_phase *ph = sdk_phase_new(ps->name, ps->strategy);
    for (size_t i = 0; i < ps->n_steps; i++) {
        const sdk_recovery_step_spec *ss = &ps->steps[i];
        const sdk_pod_spec *pod = sdk_spec_pod(s->target, ss->pod);
        if (!pod) continue; /* the plugin layer already validated pods and tasks */
        sdk_step *st = sdk_step_for_pod_new(pod, ss->index, (const char *const *)ss->tasks, ss->n_tasks, NULL);
        st->recovery = ss->type == SDK_PLUGIN_RECOVERY_PERMANENT ? SDK_RECOVERY_PERMANENT : SDK_RECOVERY_TRANSIENT;
        free(st->impl);
        st->impl = sdk_xstrdup("com.mesosphere.sdk.scheduler.recovery.RecoveryStep");
        for (size_t k = 0; k < ss->n_overrides; k++) {
            const sdk_task_override *to = &ss->overrides[k];
            s->overrides = sdk_xrealloc(s->overrides, (s->n_overrides + 1) * sizeof *s->overrides);
            svc_override *o = &s->overrides[s->n_overrides++];
            memset(o, 0, sizeof *o);
            memcpy(o->step_id, st->id, sizeof o->step_id);
            o->task = sdk_xstrdup(to->task);
            o->cmd_suffix = sdk_xstrdup(to->cmd_suffix);
            o->n_env = to->n_env;
            o->env = sdk_xcalloc(to->n_env ? to->n_env : 1, sizeof *o->env);
            for (size_t v = 0; v < to->n_env; v++) {
                o->env[v].key = sdk_xstrdup(to->env[v].key);
                o->env[v].value = sdk_xstrdup(to->env[v].value);
            }
        }
        sdk_phase_add_step_take(ph, st);
    }
    sdk_recovery_phase_spec_free(ps);
    SDK_INFO("recovery", "%s-%lld: custom recovery phase '%s' from plugin", pod_type, (long long)index, ph->name);
    *out = ph;
    return 0;
}

static void env_set(sdk_task_desc *d, const char *key, const char *value) {
    for (size_t i = 0; i < d->n_env; i++) {
        if (strcmp(d->env[i].key, key)) continue;
        free(d->env[i].value);
        d->env[i].value = sdk_xstrdup(value);
        return;
    }
    d->env = sdk_xrealloc(d->env, (d->n_env + 1) * sizeof *d->env);
    d->env[d->n_env].key = sdk_xstrdup(key);
    d->env[d->n_env].value = sdk_xstrdup(value);
    d->n_env++;
}

void svc_apply_overrides(sdk_service *s, const sdk_step *st, sdk_eval_result *res) {
    for (size_t i = 0; i < s->n_overrides; i++) {
        const svc_override *o = &s->overrides[i];
        if (strcmp(o->step_id, st->id)) continue;
        for (size_t k = 0; k < res->n_ops; k++) {
            if (res->ops[k].type != SDK_OP_LAUNCH_GROUP) continue;
            for (size_t t = 0; t < res->ops[k].n_tasks; t++) {
                sdk_task_desc *d = &res->ops[k].tasks[t];
                if (!d->spec_task || strcmp(d->spec_task, o->task)) continue;
                if (o->cmd_suffix) {
                    char *cmd = sdk_asprintf_new("%s%s", d->cmd ? d->cmd : "", o->cmd_suffix);
                    free(d->cmd);
                    d->cmd = cmd;
                }
                for (size_t v = 0; v < o->n_env; v++) env_set(d, o->env[v].key, o->env[v].value);
            }
        }
    }
}

/* ---- placement ---- */
static bool plugin_place(void *user, const char *pod_type, int64_t index, const sdk_placement_agent *agent,
                         const sdk_placement_view *view, char **reason) {
    sdk_service *s = user;
    sdk_kv *attrs = sdk_xcalloc(agent->n_attrs ? agent->n_attrs : 1, sizeof *attrs);
    for (size_t i = 0; i < agent->n_attrs; i++) {
        attrs[i].key = agent->attrs[i].name;
        attrs[i].value = agent->attrs[i].value;
    }
    size_t nv = view ? sdk_placement_view_size(view) : 0, k = 0;
    const char **names = sdk_xcalloc(nv ? nv : 1, sizeof *names);
    for (size_t i = 0; i < nv; i++) {
        const sdk_placement_task *t = sdk_placement_view_task(view, i);
        if (t->hostname && agent->hostname && !strcmp(t->hostname, agent->hostname)) names[k++] = t->task_name;
    }
    bool pass = true;
    char *why = NULL;
    sdk_plugin_placement(s->plugin, pod_type, (uint32_t)(index < 0 ? 0 : index), agent->hostname, attrs,
                         agent->n_attrs, names, k, &pass, &why);
    free(attrs);
    free(names);
    if (reason) *reason = why;
    else free(why);
    return pass;
}

sdk_placement_rule *svc_placement_rule_new(sdk_service *s, const sdk_pod_spec *pod) {
    if (!s->plugin || !sdk_plugin_has_placement(s->plugin)) return NULL;
    sdk_placement_rule *r = sdk_placement_parse_new(pod->placement ? pod->placement : "");
    sdk_placement_rule_add_extra(r, "plugin", plugin_place, s);
    return r;
}

void svc_check_backend(const sdk_service *s, const sdk_spec *spec, sdk_errors *errs) {
    const char *where = s->backend.name ? s->backend.name : "this cluster";
    for (size_t i = 0; i < spec->n_pods; i++) {
        const sdk_pod_spec *p = &spec->pods[i];
        if (p->image && s->backend.no_docker_images)
            sdk_errors_addf(errs, "Field: 'pods.%s.image'; Value: '%s'; Message: 'Docker images cannot run on %s; "
                            "remove the image or use a Mesos cluster with the Docker containerizer'; Fatal: false",
                            p->type, p->image, where);
        for (size_t r = 0; r < p->n_resource_sets && s->backend.no_gpus; r++)
            if (p->resource_sets[r].gpus > 0)
                sdk_errors_addf(errs, "Field: 'pods.%s.resource-sets.%s.gpus'; Value: '%g'; Message: 'GPUs are not "
                                "available on %s'; Fatal: false", p->type, p->resource_sets[r].id,
                                p->resource_sets[r].gpus, where);
    }
}
