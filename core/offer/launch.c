/* Launch stage: the lifecycle of task and executor descriptions, and the hand-over of what the
 * evaluation decided (the offer, the reserved resources, the assigned ports, fresh ids) to the
 * spec -> Mesos mapping (core/mapping/task.c), which builds the description. */
#include "core/offer/eval_internal.h"
#include "core/mapping/task.h"
#include "core/spec/envfile.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_free(sdk_check_desc *c) {
    free(c->cmd);
    sdk_envfile_free(c->env, c->n_env);
}

void sdk_task_desc_free_contents(sdk_task_desc *t) {
    if (!t) return;
    free(t->name);
    free(t->spec_task);
    free(t->task_id);
    free(t->agent_id);
    free(t->cmd);
    free(t->user);
    sdk_envfile_free(t->env, t->n_env);
    sdk_resources_free(&t->resources);
    sdk_envfile_free(t->labels, t->n_labels);
    check_free(&t->health);
    check_free(&t->readiness);
    free(t->discovery_name);
    for (size_t i = 0; i < t->n_ports; i++) {
        free(t->ports[i].name);
        free(t->ports[i].protocol);
        sdk_envfile_free(t->ports[i].labels, t->ports[i].n_labels);
    }
    free(t->ports);
    for (size_t i = 0; i < t->n_assigned_ports; i++) free(t->assigned_ports[i].name);
    free(t->assigned_ports);
    for (size_t i = 0; i < t->n_uris; i++) { free(t->uris[i].value); free(t->uris[i].output_file); }
    free(t->uris);
    free(t->container);
    sdk_envfile_free(t->secret_env, t->n_secret_env);
    memset(t, 0, sizeof *t);
}

static void check_desc_copy(sdk_check_desc *dst, const sdk_check_desc *src) {
    *dst = *src;
    dst->cmd = sdk_xstrdup(src->cmd);
    dst->env = sdk_kv_copy_new(src->env, src->n_env);
}

/* Keep in step with sdk_task_desc_free_contents: every pointer it frees is copied here. */
void sdk_task_desc_copy(sdk_task_desc *dst, const sdk_task_desc *src) {
    *dst = *src;
    dst->name = sdk_xstrdup(src->name);
    dst->spec_task = sdk_xstrdup(src->spec_task);
    dst->task_id = sdk_xstrdup(src->task_id);
    dst->agent_id = sdk_xstrdup(src->agent_id);
    dst->cmd = sdk_xstrdup(src->cmd);
    dst->user = sdk_xstrdup(src->user);
    dst->env = sdk_kv_copy_new(src->env, src->n_env);
    sdk_resources_copy(&dst->resources, &src->resources);
    dst->labels = sdk_kv_copy_new(src->labels, src->n_labels);
    check_desc_copy(&dst->health, &src->health);
    check_desc_copy(&dst->readiness, &src->readiness);
    dst->discovery_name = sdk_xstrdup(src->discovery_name);
    dst->ports = src->n_ports ? sdk_xcalloc(src->n_ports, sizeof *dst->ports) : NULL;
    for (size_t i = 0; i < src->n_ports; i++) {
        dst->ports[i] = src->ports[i];
        dst->ports[i].name = sdk_xstrdup(src->ports[i].name);
        dst->ports[i].protocol = sdk_xstrdup(src->ports[i].protocol);
        dst->ports[i].labels = sdk_kv_copy_new(src->ports[i].labels, src->ports[i].n_labels);
    }
    dst->assigned_ports = src->n_assigned_ports ? sdk_xcalloc(src->n_assigned_ports, sizeof *dst->assigned_ports) : NULL;
    for (size_t i = 0; i < src->n_assigned_ports; i++) {
        dst->assigned_ports[i] = src->assigned_ports[i];
        dst->assigned_ports[i].name = sdk_xstrdup(src->assigned_ports[i].name);
    }
    dst->uris = src->n_uris ? sdk_xcalloc(src->n_uris, sizeof *dst->uris) : NULL;
    for (size_t i = 0; i < src->n_uris; i++) {
        dst->uris[i] = src->uris[i];
        dst->uris[i].value = sdk_xstrdup(src->uris[i].value);
        dst->uris[i].output_file = sdk_xstrdup(src->uris[i].output_file);
    }
    dst->container = NULL;
    if (src->container_len) {
        dst->container = sdk_xmalloc(src->container_len);
        memcpy(dst->container, src->container, src->container_len);
    }
    dst->secret_env = sdk_kv_copy_new(src->secret_env, src->n_secret_env);
}

void sdk_executor_desc_free_contents(sdk_executor_desc *ex) {
    if (!ex) return;
    free(ex->executor_id);
    free(ex->name);
    free(ex->framework_id);
    sdk_resources_free(&ex->resources);
    free(ex->container);
    memset(ex, 0, sizeof *ex);
}

/* Keep in step with sdk_executor_desc_free_contents. */
void sdk_executor_desc_copy(sdk_executor_desc *dst, const sdk_executor_desc *src) {
    *dst = *src;
    dst->executor_id = sdk_xstrdup(src->executor_id);
    dst->name = sdk_xstrdup(src->name);
    dst->framework_id = sdk_xstrdup(src->framework_id);
    sdk_resources_copy(&dst->resources, &src->resources);
    dst->container = NULL;
    if (src->container_len) {
        dst->container = sdk_xmalloc(src->container_len);
        memcpy(dst->container, src->container, src->container_len);
    }
}


static void ev_uuid(void *ctx, char out[SDK_UUID_STRLEN + 1]) { sdk_ev_uuid(ctx, out); }

void sdk_ev_build_task(sdk_ev *e, const sdk_task_spec *t, bool launched, sdk_task_desc *out) {
    const sdk_eval_request *q = e->q;
    const sdk_pod_spec *pod = e->pod;
    size_t set = 0;
    while (set < pod->n_resource_sets && !sdk_streq(pod->resource_sets[set].id, t->resource_set)) set++;
    char id[SDK_UUID_STRLEN + 1];
    if (launched) sdk_ev_uuid(e, id);
    sdk_mapping_task_input in = {
        .spec = q->spec, .pod = pod, .task = t, .set = &pod->resource_sets[set], .index = q->index,
        .task_uuid = launched ? id : NULL, .target_config_id = q->target_config_id,
        .sched_env = q->sched_env, .n_sched_env = q->n_sched_env,
        .plan_params = q->plan_params, .n_plan_params = q->n_plan_params, .placement = q->placement,
        .offer = e->offer, .resources = &e->set_res[set], .ports = e->set_ports[set], .n_ports = e->n_set_ports[set],
        .uuid = ev_uuid, .uuid_ctx = e,
    };
    sdk_mapping_task_desc_build(&in, out);
}
