/* Task description from the spec (see task.h): the environment
 * of sdk-behaviour.md §2.3-2.5, the labels of §3.6, ids of §3.2, checks, discovery, URIs, limits,
 * the task's ContainerInfo and secret variables. Follows dcos-commons offer/evaluate/
 * PodInfoBuilder.java createTaskInfo / getTaskEnvironment. */
#include "core/mapping/task.h"
#include "core/mapping/mapping.h"
#include "core/spec/envfile.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *sdk_mapping_service_id_new(const char *name) {
    const char *n = name ? name : "";
    if (*n == '/') n++;
    char *s = sdk_xstrdup(n);
    for (char *p = s; *p; p++)
        if (*p == '/') *p = '.';
    return s;
}

/* ---------------------------------------------------------------- ordered key/value lists */

typedef struct kvlist {
    sdk_kv *v;
    size_t n, cap;
} kvlist;

/* Replaces the value of key in place, or appends. Copies both strings. */
static void kv_set(kvlist *l, const char *k, const char *v) {
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].key, k)) {
            free(l->v[i].value);
            l->v[i].value = sdk_xstrdup(v ? v : "");
            return;
        }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = sdk_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n].key = sdk_xstrdup(k);
    l->v[l->n].value = sdk_xstrdup(v ? v : "");
    l->n++;
}

static void kv_set_take(kvlist *l, const char *k, char *v) {
    kv_set(l, k, v);
    free(v);
}

static const char *env_or(const sdk_mapping_task_input *q, const char *k, const char *def) {
    const char *v = q->sched_env ? sdk_kv_get(q->sched_env, q->n_sched_env, k) : NULL;
    return v && *v ? v : def;
}

/* Upper-cases and maps every non-[A-Za-z0-9_] byte to '_' (TASKCFG pod and CONFIG_TEMPLATE names). */
static char *env_name_new(const char *s) {
    char *o = sdk_xstrdup(s);
    for (char *p = o; *p; p++) *p = isalnum((unsigned char)*p) || *p == '_' ? (char)toupper((unsigned char)*p) : '_';
    return o;
}

static int kv_ptr_cmp(const void *a, const void *b) {
    return strcmp((*(const sdk_kv *const *)a)->key, (*(const sdk_kv *const *)b)->key);
}

/* TASKCFG routing (§2.3): processed in byte order of the scheduler variable name, later wins. */
static void route_taskcfg(const sdk_mapping_task_input *q, const char *pod_type, kvlist *env) {
    if (!q->sched_env) return;
    const sdk_kv **sorted = sdk_xmalloc((q->n_sched_env + 1) * sizeof *sorted);
    size_t n = 0;
    for (size_t i = 0; i < q->n_sched_env; i++)
        if (sdk_str_starts(q->sched_env[i].key, "TASKCFG_")) sorted[n++] = &q->sched_env[i];
    qsort(sorted, n, sizeof *sorted, kv_ptr_cmp);
    char *up = env_name_new(pod_type);
    char *pod_prefix = sdk_asprintf_new("TASKCFG_%s_", up);
    for (size_t i = 0; i < n; i++) {
        const char *k = sorted[i]->key;
        const char *name = NULL;
        if (sdk_str_starts(k, "TASKCFG_ALL_")) name = k + strlen("TASKCFG_ALL_");
        else if (sdk_str_starts(k, pod_prefix)) name = k + strlen(pod_prefix);
        if (name && *name) kv_set(env, name, sorted[i]->value);
    }
    free(up);
    free(pod_prefix);
    free(sorted);
}

static char *svc_host_new(const char *name) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    for (const char *p = name; *p; p++)
        if (*p != '/') sdk_buf_putc(&b, *p == '.' ? '-' : *p);
    return sdk_buf_take(&b);
}

static char *scheduler_host_new(const char *name, const char *marathon, const char *tld) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    const char *end = name + strlen(name);
    bool first = true;
    while (end > name) {
        const char *seg_end = end;
        while (end > name && end[-1] != '/') end--;
        if (seg_end > end) {
            if (!first) sdk_buf_putc(&b, '-');
            sdk_buf_append(&b, end, (size_t)(seg_end - end));
            first = false;
        }
        if (end > name) end--; /* skip '/' */
    }
    sdk_buf_printf(&b, ".%s.%s", marathon, tld);
    return sdk_buf_take(&b);
}

char *sdk_mapping_scheduler_host_new(const char *service, const sdk_kv *sched_env, size_t n_sched_env) {
    sdk_mapping_task_input q = {.sched_env = sched_env, .n_sched_env = n_sched_env};
    return scheduler_host_new(service ? service : "", env_or(&q, "MARATHON_NAME", "marathon"),
                              env_or(&q, "SERVICE_TLD", "autoip.dcos.thisdcos.directory"));
}

/* Task env in §2.4 order. for_check: without CONFIG_TEMPLATE_* and plan parameters (§1.9). */
static void build_env(const sdk_mapping_task_input *q, const char *task_name, bool for_check, kvlist *env) {
    const sdk_spec *spec = q->spec;
    const sdk_task_spec *t = q->task;
    const char *svc = spec->name ? spec->name : "";
    for (size_t i = 0; i < t->n_env; i++) kv_set(env, t->env[i].key, t->env[i].value);
    route_taskcfg(q, q->pod->type, env);

    const char *tld = env_or(q, "SERVICE_TLD", "autoip.dcos.thisdcos.directory");
    kv_set(env, "TASK_NAME", task_name);
    kv_set(env, task_name, "true");
    kv_set_take(env, "POD_INSTANCE_INDEX", sdk_asprintf_new("%lld", (long long)q->index));
    kv_set(env, "FRAMEWORK_NAME", svc);
    char *host = svc_host_new(svc);
    kv_set_take(env, "FRAMEWORK_HOST", sdk_asprintf_new("%s.%s", host, tld));
    free(host);
    sdk_buf vip;
    sdk_buf_init(&vip);
    for (const char *p = svc; *p; p++)
        if (*p != '/') sdk_buf_putc(&vip, *p);
    sdk_buf_printf(&vip, ".%s", env_or(q, "VIP_TLD", "l4lb.thisdcos.directory"));
    kv_set(env, "FRAMEWORK_VIP_HOST", vip.data);
    sdk_buf_free(&vip);
    char *sched = sdk_mapping_scheduler_host_new(svc, q->sched_env, q->n_sched_env);
    kv_set(env, "SCHEDULER_API_HOSTNAME", sched);
    kv_set(env, "SCHEDULER_API_PORT", env_or(q, "PORT_API", "8080"));
    const sdk_placement_rule *rule = q->placement;
    if (!rule) rule = sdk_placement_rule_cached(q->pod->placement); /* parsed once per text; NULL: none */
    kv_set(env, "PLACEMENT_REFERENCED_REGION", sdk_placement_rule_mentions(rule, "@region") ? "true" : "false");
    kv_set(env, "PLACEMENT_REFERENCED_ZONE", sdk_placement_rule_mentions(rule, "@zone") ? "true" : "false");
    if (!for_check) {
        for (size_t i = 0; i < t->n_configs; i++) {
            char *up = env_name_new(t->configs[i].name);
            char *k = sdk_asprintf_new("CONFIG_TEMPLATE_%s", up);
            kv_set_take(env, k, sdk_asprintf_new("config-templates/%s,%s", t->configs[i].name, t->configs[i].dest));
            free(k);
            free(up);
        }
        for (size_t i = 0; i < q->n_plan_params; i++) kv_set(env, q->plan_params[i].key, q->plan_params[i].value);
    }
    const sdk_resource_set *rs = q->set;
    for (size_t i = 0; i < rs->n_ports; i++) {
        if (!rs->ports[i].env_key) continue;
        for (size_t k = 0; k < q->n_ports; k++)
            if (!strcmp(q->ports[k].name, rs->ports[i].name))
                kv_set_take(env, rs->ports[i].env_key, sdk_asprintf_new("%u", q->ports[k].port));
    }
    if (q->offer->region) kv_set(env, "REGION", q->offer->region);
    if (q->offer->zone) kv_set(env, "ZONE", q->offer->zone);
    free(sched);
}

static void check_copy(const sdk_check_spec *s, const kvlist *env, bool health, sdk_check_desc *d) {
    memset(d, 0, sizeof *d);
    if (!s->present) return;
    d->present = true;
    d->cmd = sdk_xstrdup(s->cmd);
    d->interval_s = s->interval_s;
    d->timeout_s = s->timeout_s;
    d->delay_s = s->delay_s;
    if (health) {
        d->grace_period_s = s->grace_period_s;
        d->max_consecutive_failures = s->max_consecutive_failures;
    }
    d->env = sdk_xcalloc(env->n ? env->n : 1, sizeof *d->env);
    for (size_t i = 0; i < env->n; i++) {
        d->env[i].key = sdk_xstrdup(env->v[i].key);
        d->env[i].value = sdk_xstrdup(env->v[i].value);
    }
    d->n_env = env->n;
}

void sdk_mapping_task_desc_build(const sdk_mapping_task_input *q, sdk_task_desc *out) {
    const sdk_pod_spec *pod = q->pod;
    const sdk_task_spec *t = q->task;
    const sdk_offer *o = q->offer;
    const sdk_resource_set *rs = q->set;
    memset(out, 0, sizeof *out);

    out->name = sdk_asprintf_new("%s-%lld-%s", pod->type, (long long)q->index, t->name);
    out->spec_task = sdk_xstrdup(t->name);
    if (q->task_uuid) {
        char *sid = sdk_mapping_service_id_new(q->spec->name);
        out->task_id = sdk_asprintf_new("%s__%s__%s", sid, out->name, q->task_uuid);
        free(sid);
    } else {
        out->task_id = sdk_xstrdup("");
    }
    out->agent_id = sdk_xstrdup(o->agent_id);
    out->cmd = sdk_xstrdup(t->cmd);
    out->user = sdk_xstrdup(q->spec->user ? q->spec->user : "root");
    out->goal = t->goal;

    kvlist env = {0}, cenv = {0};
    build_env(q, out->name, false, &env);
    out->env = env.v;
    out->n_env = env.n;
    if (t->health_check.present || t->readiness_check.present) build_env(q, out->name, true, &cenv);
    check_copy(&t->health_check, &cenv, true, &out->health);
    check_copy(&t->readiness_check, &cenv, false, &out->readiness);
    sdk_envfile_free(cenv.v, cenv.n);

    sdk_resources_copy(&out->resources, q->resources);

    kvlist lab = {0};
    kv_set(&lab, "target_configuration", q->target_config_id ? q->target_config_id : "");
    kv_set(&lab, "task_type", pod->type);
    kv_set_take(&lab, "index", sdk_asprintf_new("%lld", (long long)q->index));
    kv_set(&lab, "offer_hostname", o->hostname ? o->hostname : "");
    kv_set_take(&lab, "offer_attributes", sdk_attrs_text_new(o->attrs, o->n_attrs));
    if (o->zone) kv_set(&lab, "offer_zone", o->zone);
    if (o->region) kv_set(&lab, "offer_region", o->region);
    for (size_t i = 0; i < t->n_labels; i++) kv_set(&lab, t->labels[i].key, t->labels[i].value);
    out->labels = lab.v;
    out->n_labels = lab.n;

    out->discovery_name = t->discovery_prefix ? sdk_asprintf_new("%s-%lld", t->discovery_prefix, (long long)q->index)
                                              : sdk_xstrdup(out->name);
    out->discovery_visibility = t->discovery_prefix ? t->discovery_visibility : SDK_VIS_CLUSTER;
    if (rs->n_ports) out->ports = sdk_xcalloc(rs->n_ports, sizeof *out->ports);
    for (size_t i = 0; i < rs->n_ports; i++) {
        const sdk_port_spec *ps = &rs->ports[i];
        sdk_discovery_port *dp = &out->ports[out->n_ports++];
        dp->name = sdk_xstrdup(ps->name);
        for (size_t k = 0; k < q->n_ports; k++)
            if (!strcmp(q->ports[k].name, ps->name)) dp->number = q->ports[k].port;
        dp->protocol = sdk_xstrdup("tcp");
        dp->visibility = ps->advertise ? SDK_VIS_EXTERNAL : SDK_VIS_CLUSTER;
        if (ps->vip_prefix) {
            kvlist pl = {0};
            char id[SDK_UUID_STRLEN + 1];
            q->uuid(q->uuid_ctx, id);
            char *k = sdk_asprintf_new("VIP_%s", id);
            kv_set_take(&pl, k, sdk_asprintf_new("%s:%u", ps->vip_prefix, ps->vip_port));
            free(k);
            /* AuxLabelAccess.setVIPLabels: "container" when the task has its own IP on a virtual
             * network, "host" otherwise */
            kv_set(&pl, "network-scope", sdk_mapping_pod_uses_host_ports(pod) ? "host" : "container");
            dp->labels = pl.v;
            dp->n_labels = pl.n;
        }
    }
    if (q->n_ports) {
        out->assigned_ports = sdk_xcalloc(q->n_ports, sizeof *out->assigned_ports);
        for (size_t k = 0; k < q->n_ports; k++) {
            out->assigned_ports[k].name = sdk_xstrdup(q->ports[k].name);
            out->assigned_ports[k].port = q->ports[k].port;
        }
        out->n_assigned_ports = q->n_ports;
    }
    out->kill_grace_period_s = t->kill_grace_period_s;

    size_t nu = pod->n_uris + t->n_configs;
    if (nu) out->uris = sdk_xcalloc(nu, sizeof *out->uris);
    for (size_t i = 0; i < pod->n_uris; i++) {
        out->uris[out->n_uris].value = sdk_xstrdup(pod->uris[i]);
        out->uris[out->n_uris++].extract = true;
    }
    if (t->n_configs) {
        char *sched = sdk_mapping_scheduler_host_new(q->spec->name, q->sched_env, q->n_sched_env);
        for (size_t i = 0; i < t->n_configs; i++) {
            sdk_uri *u = &out->uris[out->n_uris++];
            u->value = sdk_asprintf_new("http://%s:%s/v1/artifacts/template/%s/%s/%s/%s", sched,
                                        env_or(q, "PORT_API", "8080"), q->target_config_id ? q->target_config_id : "",
                                        pod->type, t->name, t->configs[i].name);
            u->output_file = sdk_asprintf_new("config-templates/%s", t->configs[i].name);
            u->extract = false;
        }
        free(sched);
    }
    out->cpus_limit = rs->cpus_limit;
    out->memory_limit = rs->memory_limit;
    sdk_mapping_task_container_new(q->spec, pod, t, q->index, &out->container, &out->container_len);
    out->secret_env = sdk_mapping_secret_env_new(pod, &out->n_secret_env);
}
