/* TaskInfo / TaskStatus protobuf codec for the state store (see taskinfo.h). Messages are built
 * on the heap with malloc'd fields so that protobuf_c_message_free_unpacked(.., NULL) releases
 * them after packing. */
#include "core/mapping/taskinfo.h"
#include "core/mapping/pb_internal.h"
#include "core/util/str.h"
#include "mesos/proto/mesos.pb-c.h"
#include "mesos/resources_pb.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>


static Mesos__V1__TaskID *task_id_new(const char *v) {
    Mesos__V1__TaskID *p = NEW(Mesos__V1__TaskID, mesos__v1__task_id__init);
    p->value = sdk_xstrdup(v ? v : "");
    return p;
}
static Mesos__V1__AgentID *agent_id_new(const char *v) {
    Mesos__V1__AgentID *p = NEW(Mesos__V1__AgentID, mesos__v1__agent_id__init);
    p->value = sdk_xstrdup(v ? v : "");
    return p;
}

static Mesos__V1__Environment *env_new(const sdk_kv *kv, size_t n) {
    Mesos__V1__Environment *e = NEW(Mesos__V1__Environment, mesos__v1__environment__init);
    e->n_variables = n;
    e->variables = sdk_xcalloc(n ? n : 1, sizeof *e->variables);
    for (size_t i = 0; i < n; i++) {
        e->variables[i] = NEW(Mesos__V1__Environment__Variable, mesos__v1__environment__variable__init);
        e->variables[i]->name = sdk_xstrdup(kv[i].key);
        e->variables[i]->value = sdk_xstrdup(kv[i].value);
    }
    return e;
}

static Mesos__V1__CommandInfo *command_new(const char *cmd, const sdk_kv *env, size_t n_env,
                                           const char *user) {
    Mesos__V1__CommandInfo *c = NEW(Mesos__V1__CommandInfo, mesos__v1__command_info__init);
    c->value = sdk_xstrdup(cmd ? cmd : "");
    c->environment = env_new(env, n_env);
    if (user) c->user = sdk_xstrdup(user);
    return c;
}

/* Secret variables follow the plain ones (PodInfoBuilder adds them after the environment):
 * Variable{name, type SECRET, secret{type REFERENCE, reference{name: <secret path>}}}. */
static void env_add_secrets(Mesos__V1__Environment *e, const sdk_kv *secrets, size_t n) {
    if (!n) return;
    e->variables = sdk_xrealloc(e->variables, (e->n_variables + n) * sizeof *e->variables);
    for (size_t i = 0; i < n; i++) {
        Mesos__V1__Environment__Variable *v = NEW(Mesos__V1__Environment__Variable, mesos__v1__environment__variable__init);
        v->name = sdk_xstrdup(secrets[i].key);
        v->has_type = 1;
        v->type = MESOS__V1__ENVIRONMENT__VARIABLE__TYPE__SECRET;
        v->secret = NEW(Mesos__V1__Secret, mesos__v1__secret__init);
        v->secret->has_type = 1;
        v->secret->type = MESOS__V1__SECRET__TYPE__REFERENCE;
        v->secret->reference = NEW(Mesos__V1__Secret__Reference, mesos__v1__secret__reference__init);
        v->secret->reference->name = sdk_xstrdup(secrets[i].value);
        e->variables[e->n_variables++] = v;
    }
}

/* Unpacks stored ContainerInfo bytes into a heap tree the TaskInfo can own (NULL: none, or bytes
 * that do not decode, which only a corrupt store could hold). */
static Mesos__V1__ContainerInfo *container_unpack(const void *buf, size_t len) {
    if (!buf || !len) return NULL;
    return mesos__v1__container_info__unpack(NULL, len, buf);
}

static void container_pack_new(const Mesos__V1__ContainerInfo *ci, void **buf, size_t *len) {
    *buf = NULL;
    *len = 0;
    if (!ci) return;
    *len = mesos__v1__container_info__get_packed_size(ci);
    *buf = sdk_xmalloc(*len ? *len : 1);
    mesos__v1__container_info__pack(ci, *buf);
}

/* TaskInfo.limits entry (key "cpus" or "mem"; PodInfoBuilder putLimits), +inf when unlimited. */
static void limit_add(Mesos__V1__TaskInfo *ti, const char *key, sdk_limit l) {
    if (!l.has) return;
    Mesos__V1__TaskInfo__LimitsEntry *e = NEW(Mesos__V1__TaskInfo__LimitsEntry, mesos__v1__task_info__limits_entry__init);
    e->key = sdk_xstrdup(key);
    e->value = NEW(Mesos__V1__Value__Scalar, mesos__v1__value__scalar__init);
    e->value->value = l.unlimited ? INFINITY : l.value;
    ti->limits = sdk_xrealloc(ti->limits, (ti->n_limits + 1) * sizeof *ti->limits);
    ti->limits[ti->n_limits++] = e;
}

static int resources_pb(const sdk_resources *rs, Mesos__V1__Resource ***out, size_t *n) {
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_resources_to_pb_new(rs, SDK_RES_FORMAT_REFINED, out, n, &e);
    sdk_errors_free(&e);
    if (!*out) *out = sdk_xcalloc(1, sizeof **out);
    return rc;
}

int sdk_taskinfo_encode_new(const sdk_task_desc *t, const sdk_executor_desc *ex, void **buf, size_t *len) {
    Mesos__V1__TaskInfo *ti = NEW(Mesos__V1__TaskInfo, mesos__v1__task_info__init);
    ti->name = sdk_xstrdup(t->name);
    ti->task_id = task_id_new(t->task_id);
    ti->agent_id = agent_id_new(t->agent_id);
    int rc = resources_pb(&t->resources, &ti->resources, &ti->n_resources);
    ti->command = command_new(t->cmd, t->env, t->n_env, t->user);
    env_add_secrets(ti->command->environment, t->secret_env, t->n_secret_env);
    limit_add(ti, "cpus", t->cpus_limit);
    limit_add(ti, "mem", t->memory_limit);
    ti->command->n_uris = t->n_uris;
    ti->command->uris = sdk_xcalloc(t->n_uris ? t->n_uris : 1, sizeof *ti->command->uris);
    for (size_t i = 0; i < t->n_uris; i++) {
        Mesos__V1__CommandInfo__URI *u = NEW(Mesos__V1__CommandInfo__URI, mesos__v1__command_info__uri__init);
        u->value = sdk_xstrdup(t->uris[i].value);
        u->has_extract = 1;
        u->extract = t->uris[i].extract;
        if (t->uris[i].output_file) u->output_file = sdk_xstrdup(t->uris[i].output_file);
        ti->command->uris[i] = u;
    }
    /* goal_state and spec task travel as labels so a stored task is self-describing. */
    sdk_kv *labels = sdk_xcalloc(t->n_labels + 2, sizeof *labels);
    if (t->n_labels) memcpy(labels, t->labels, t->n_labels * sizeof *labels);
    size_t nl = t->n_labels;
    if (!sdk_kv_get(t->labels, t->n_labels, "goal_state"))
        labels[nl++] = (sdk_kv){"goal_state", (char *)sdk_goal_name(t->goal)};
    if (t->spec_task && !sdk_kv_get(t->labels, t->n_labels, "task_name"))
        labels[nl++] = (sdk_kv){"task_name", t->spec_task};
    ti->labels = sdk_mapping_labels_pb_new(labels, nl);
    free(labels);
    if (t->health.present) {
        Mesos__V1__HealthCheck *h = NEW(Mesos__V1__HealthCheck, mesos__v1__health_check__init);
        h->has_type = 1;
        h->type = MESOS__V1__HEALTH_CHECK__TYPE__COMMAND;
        h->command = command_new(t->health.cmd, t->health.env, t->health.n_env, NULL);
        h->has_interval_seconds = h->has_timeout_seconds = h->has_delay_seconds = 1;
        h->has_grace_period_seconds = h->has_consecutive_failures = 1;
        h->interval_seconds = (double)t->health.interval_s;
        h->timeout_seconds = (double)t->health.timeout_s;
        h->delay_seconds = (double)t->health.delay_s;
        h->grace_period_seconds = (double)t->health.grace_period_s;
        h->consecutive_failures = (uint32_t)t->health.max_consecutive_failures;
        ti->health_check = h;
    }
    if (t->readiness.present) {
        Mesos__V1__CheckInfo *c = NEW(Mesos__V1__CheckInfo, mesos__v1__check_info__init);
        c->has_type = 1;
        c->type = MESOS__V1__CHECK_INFO__TYPE__COMMAND;
        c->command = NEW(Mesos__V1__CheckInfo__Command, mesos__v1__check_info__command__init);
        c->command->command = command_new(t->readiness.cmd, t->readiness.env, t->readiness.n_env, NULL);
        c->has_interval_seconds = c->has_timeout_seconds = c->has_delay_seconds = 1;
        c->interval_seconds = (double)t->readiness.interval_s;
        c->timeout_seconds = (double)t->readiness.timeout_s;
        c->delay_seconds = (double)t->readiness.delay_s;
        ti->check = c;
    }
    ti->kill_policy = NEW(Mesos__V1__KillPolicy, mesos__v1__kill_policy__init);
    ti->kill_policy->grace_period = NEW(Mesos__V1__DurationInfo, mesos__v1__duration_info__init);
    ti->kill_policy->grace_period->nanoseconds = t->kill_grace_period_s * 1000000000LL;
    Mesos__V1__DiscoveryInfo *d = NEW(Mesos__V1__DiscoveryInfo, mesos__v1__discovery_info__init);
    d->visibility = t->discovery_visibility == SDK_VIS_EXTERNAL ? MESOS__V1__DISCOVERY_INFO__VISIBILITY__EXTERNAL
                    : t->discovery_visibility == SDK_VIS_FRAMEWORK ? MESOS__V1__DISCOVERY_INFO__VISIBILITY__FRAMEWORK
                                                                 : MESOS__V1__DISCOVERY_INFO__VISIBILITY__CLUSTER;
    d->name = sdk_xstrdup(t->discovery_name ? t->discovery_name : t->name);
    d->ports = NEW(Mesos__V1__Ports, mesos__v1__ports__init);
    /* Every assigned port (advertised or not) is recorded so a relaunch reuses it. */
    d->ports->n_ports = t->n_assigned_ports;
    d->ports->ports = sdk_xcalloc(t->n_assigned_ports ? t->n_assigned_ports : 1, sizeof *d->ports->ports);
    for (size_t i = 0; i < t->n_assigned_ports; i++) {
        Mesos__V1__Port *p = NEW(Mesos__V1__Port, mesos__v1__port__init);
        p->number = t->assigned_ports[i].port;
        p->name = sdk_xstrdup(t->assigned_ports[i].name);
        p->protocol = sdk_xstrdup("tcp");
        p->has_visibility = 1;
        p->visibility = MESOS__V1__DISCOVERY_INFO__VISIBILITY__CLUSTER;
        for (size_t k = 0; k < t->n_ports; k++) {
            if (strcmp(t->ports[k].name, p->name)) continue;
            if (t->ports[k].visibility == SDK_VIS_EXTERNAL)
                p->visibility = MESOS__V1__DISCOVERY_INFO__VISIBILITY__EXTERNAL;
            if (t->ports[k].n_labels) p->labels = sdk_mapping_labels_pb_new(t->ports[k].labels, t->ports[k].n_labels);
        }
        d->ports->ports[i] = p;
    }
    ti->discovery = d;
    /* The container is the mapping's (core/mapping/container.c), stored and sent as built. */
    ti->container = container_unpack(t->container, t->container_len);
    if (ex && ex->executor_id) {
        Mesos__V1__ExecutorInfo *e = NEW(Mesos__V1__ExecutorInfo, mesos__v1__executor_info__init);
        e->has_type = 1;
        e->type = MESOS__V1__EXECUTOR_INFO__TYPE__DEFAULT;
        e->executor_id = NEW(Mesos__V1__ExecutorID, mesos__v1__executor_id__init);
        e->executor_id->value = sdk_xstrdup(ex->executor_id);
        if (ex->framework_id) {
            e->framework_id = NEW(Mesos__V1__FrameworkID, mesos__v1__framework_id__init);
            e->framework_id->value = sdk_xstrdup(ex->framework_id);
        }
        e->name = sdk_xstrdup(ex->name);
        e->container = container_unpack(ex->container, ex->container_len);
        if (!rc) rc = resources_pb(&ex->resources, &e->resources, &e->n_resources);
        ti->executor = e;
    }
    if (!rc) {
        *len = mesos__v1__task_info__get_packed_size(ti);
        *buf = sdk_xmalloc(*len ? *len : 1);
        mesos__v1__task_info__pack(ti, *buf);
    }
    protobuf_c_message_free_unpacked(&ti->base, NULL);
    return rc ? SDK_EINVAL : 0;
}

/* Plain variables into out; SECRET ones into secrets (when not NULL; else they are skipped). */
static void kv_from_env2(const Mesos__V1__Environment *e, sdk_kv **out, size_t *n, sdk_kv **secrets, size_t *n_secrets) {
    size_t total = e ? e->n_variables : 0;
    *n = 0;
    *out = sdk_xcalloc(total ? total : 1, sizeof **out);
    if (secrets) {
        *n_secrets = 0;
        *secrets = NULL;
    }
    for (size_t i = 0; i < total; i++) {
        const Mesos__V1__Environment__Variable *v = e->variables[i];
        if (v->has_type && v->type == MESOS__V1__ENVIRONMENT__VARIABLE__TYPE__SECRET) {
            if (!secrets) continue;
            *secrets = sdk_xrealloc(*secrets, (*n_secrets + 1) * sizeof **secrets);
            (*secrets)[*n_secrets].key = sdk_xstrdup(v->name);
            (*secrets)[*n_secrets].value =
                sdk_xstrdup(v->secret && v->secret->reference && v->secret->reference->name ? v->secret->reference->name : "");
            (*n_secrets)++;
            continue;
        }
        (*out)[*n].key = sdk_xstrdup(v->name);
        (*out)[*n].value = sdk_xstrdup(v->value ? v->value : "");
        (*n)++;
    }
}

static void kv_from_env(const Mesos__V1__Environment *e, sdk_kv **out, size_t *n) {
    kv_from_env2(e, out, n, NULL, NULL);
}

static sdk_goal goal_from(const char *s) {
    if (s && !strcmp(s, "FINISH")) return SDK_GOAL_FINISH;
    if (s && (!strcmp(s, "ONCE") || !strcmp(s, "FINISHED"))) return SDK_GOAL_ONCE;
    return SDK_GOAL_RUNNING;
}

int sdk_taskinfo_decode(const void *buf, size_t len, const char *where, sdk_task_desc *t,
                        sdk_executor_desc *ex, sdk_errors *errs) {
    memset(t, 0, sizeof *t);
    memset(ex, 0, sizeof *ex);
    Mesos__V1__TaskInfo *ti = mesos__v1__task_info__unpack(NULL, len, buf);
    if (!ti) {
        sdk_errors_addf(errs, "%s: not a valid mesos.v1.TaskInfo (%zu bytes)", where, len);
        return SDK_ECORRUPT;
    }
    t->name = sdk_xstrdup(ti->name);
    t->task_id = sdk_xstrdup(ti->task_id->value);
    t->agent_id = sdk_xstrdup(ti->agent_id->value);
    sdk_resources_init(&t->resources);
    int rc = sdk_resources_from_pb(&t->resources, ti->resources, ti->n_resources, errs);
    if (ti->command) {
        t->cmd = sdk_xstrdup(ti->command->value);
        t->user = sdk_xstrdup(ti->command->user);
        kv_from_env2(ti->command->environment, &t->env, &t->n_env, &t->secret_env, &t->n_secret_env);
        t->n_uris = ti->command->n_uris;
        t->uris = sdk_xcalloc(t->n_uris ? t->n_uris : 1, sizeof *t->uris);
        for (size_t i = 0; i < t->n_uris; i++) {
            t->uris[i].value = sdk_xstrdup(ti->command->uris[i]->value);
            t->uris[i].output_file = sdk_xstrdup(ti->command->uris[i]->output_file);
            t->uris[i].extract = ti->command->uris[i]->has_extract ? ti->command->uris[i]->extract : true;
        }
    }
    if (ti->labels) {
        t->n_labels = 0;
        t->labels = sdk_xcalloc(ti->labels->n_labels + 1, sizeof *t->labels);
        for (size_t i = 0; i < ti->labels->n_labels; i++) {
            const char *k = ti->labels->labels[i]->key, *v = ti->labels->labels[i]->value;
            if (!strcmp(k, "goal_state")) { t->goal = goal_from(v); continue; }
            if (!strcmp(k, "task_name")) { t->spec_task = sdk_xstrdup(v); continue; }
            t->labels[t->n_labels].key = sdk_xstrdup(k);
            t->labels[t->n_labels].value = sdk_xstrdup(v ? v : "");
            t->n_labels++;
        }
    }
    if (ti->health_check && ti->health_check->command) {
        sdk_check_desc *h = &t->health;
        h->present = true;
        h->cmd = sdk_xstrdup(ti->health_check->command->value);
        kv_from_env(ti->health_check->command->environment, &h->env, &h->n_env);
        h->interval_s = (int64_t)ti->health_check->interval_seconds;
        h->timeout_s = (int64_t)ti->health_check->timeout_seconds;
        h->delay_s = (int64_t)ti->health_check->delay_seconds;
        h->grace_period_s = (int64_t)ti->health_check->grace_period_seconds;
        h->max_consecutive_failures = ti->health_check->consecutive_failures;
    }
    if (ti->check && ti->check->command && ti->check->command->command) {
        sdk_check_desc *c = &t->readiness;
        c->present = true;
        c->cmd = sdk_xstrdup(ti->check->command->command->value);
        kv_from_env(ti->check->command->command->environment, &c->env, &c->n_env);
        c->interval_s = (int64_t)ti->check->interval_seconds;
        c->timeout_s = (int64_t)ti->check->timeout_seconds;
        c->delay_s = (int64_t)ti->check->delay_seconds;
    }
    if (ti->kill_policy && ti->kill_policy->grace_period)
        t->kill_grace_period_s = ti->kill_policy->grace_period->nanoseconds / 1000000000LL;
    if (ti->discovery) {
        t->discovery_name = sdk_xstrdup(ti->discovery->name);
        t->discovery_visibility = ti->discovery->visibility == MESOS__V1__DISCOVERY_INFO__VISIBILITY__EXTERNAL ? SDK_VIS_EXTERNAL
                                  : ti->discovery->visibility == MESOS__V1__DISCOVERY_INFO__VISIBILITY__FRAMEWORK ? SDK_VIS_FRAMEWORK
                                                                                                            : SDK_VIS_CLUSTER;
        size_t np = ti->discovery->ports ? ti->discovery->ports->n_ports : 0;
        t->assigned_ports = sdk_xcalloc(np ? np : 1, sizeof *t->assigned_ports);
        t->ports = sdk_xcalloc(np ? np : 1, sizeof *t->ports);
        for (size_t i = 0; i < np; i++) {
            const Mesos__V1__Port *p = ti->discovery->ports->ports[i];
            t->assigned_ports[t->n_assigned_ports].name = sdk_xstrdup(p->name ? p->name : "");
            t->assigned_ports[t->n_assigned_ports++].port = p->number;
            sdk_discovery_port *dp = &t->ports[t->n_ports++];
            dp->name = sdk_xstrdup(p->name ? p->name : "");
            dp->number = p->number;
            dp->protocol = sdk_xstrdup(p->protocol ? p->protocol : "tcp");
            dp->visibility = p->visibility == MESOS__V1__DISCOVERY_INFO__VISIBILITY__EXTERNAL ? SDK_VIS_EXTERNAL : SDK_VIS_CLUSTER;
            if (p->labels) {
                dp->labels = sdk_xcalloc(p->labels->n_labels + 1, sizeof *dp->labels);
                for (size_t k = 0; k < p->labels->n_labels; k++) {
                    dp->labels[k].key = sdk_xstrdup(p->labels->labels[k]->key);
                    dp->labels[k].value = sdk_xstrdup(p->labels->labels[k]->value ? p->labels->labels[k]->value : "");
                }
                dp->n_labels = p->labels->n_labels;
            }
        }
    }
    for (size_t i = 0; i < ti->n_limits; i++) {
        const Mesos__V1__TaskInfo__LimitsEntry *l = ti->limits[i];
        if (!l->key || !l->value) continue;
        sdk_limit lim = { true, isinf(l->value->value) && l->value->value > 0, l->value->value };
        if (lim.unlimited) lim.value = 0;
        if (!strcmp(l->key, "cpus")) t->cpus_limit = lim;
        else if (!strcmp(l->key, "mem")) t->memory_limit = lim;
    }
    container_pack_new(ti->container, &t->container, &t->container_len);
    sdk_resources_init(&ex->resources);
    if (ti->executor) {
        container_pack_new(ti->executor->container, &ex->container, &ex->container_len);
        ex->executor_id = sdk_xstrdup(ti->executor->executor_id->value);
        ex->name = sdk_xstrdup(ti->executor->name);
        ex->framework_id = ti->executor->framework_id ? sdk_xstrdup(ti->executor->framework_id->value) : NULL;
        if (!rc) rc = sdk_resources_from_pb(&ex->resources, ti->executor->resources, ti->executor->n_resources, errs);
    }
    mesos__v1__task_info__free_unpacked(ti, NULL);
    if (rc) {
        sdk_errors_addf(errs, "%s: stored resources are invalid", where);
        sdk_task_desc_free_contents(t);
        sdk_executor_desc_free_contents(ex);
        return SDK_ECORRUPT;
    }
    return 0;
}

int sdk_taskstatus_encode_new(const sdk_status_update *u, void **buf, size_t *len) {
    Mesos__V1__TaskStatus *ts = NEW(Mesos__V1__TaskStatus, mesos__v1__task_status__init);
    ts->task_id = task_id_new(u->task_id);
    ts->state = (Mesos__V1__TaskState)u->state;
    if (u->message) ts->message = sdk_xstrdup(u->message);
    if (u->agent_id) ts->agent_id = agent_id_new(u->agent_id);
    if (u->timestamp > 0) { ts->has_timestamp = 1; ts->timestamp = u->timestamp; }
    if (u->has_healthy) { ts->has_healthy = 1; ts->healthy = u->healthy; }
    if (u->has_check_status) {
        ts->check_status = NEW(Mesos__V1__CheckStatusInfo, mesos__v1__check_status_info__init);
        ts->check_status->has_type = 1;
        ts->check_status->type = MESOS__V1__CHECK_INFO__TYPE__COMMAND;
        ts->check_status->command = NEW(Mesos__V1__CheckStatusInfo__Command, mesos__v1__check_status_info__command__init);
        if (u->has_exit_code) {
            ts->check_status->command->has_exit_code = 1;
            ts->check_status->command->exit_code = u->exit_code;
        }
    }
    if (u->ip && *u->ip) {
        /* container_status.network_infos[0].ip_addresses[0].ip_address */
        Mesos__V1__ContainerStatus *cs = NEW(Mesos__V1__ContainerStatus, mesos__v1__container_status__init);
        cs->n_network_infos = 1;
        cs->network_infos = sdk_xcalloc(1, sizeof *cs->network_infos);
        Mesos__V1__NetworkInfo *ni = NEW(Mesos__V1__NetworkInfo, mesos__v1__network_info__init);
        ni->n_ip_addresses = 1;
        ni->ip_addresses = sdk_xcalloc(1, sizeof *ni->ip_addresses);
        ni->ip_addresses[0] = NEW(Mesos__V1__NetworkInfo__IPAddress, mesos__v1__network_info__ipaddress__init);
        ni->ip_addresses[0]->ip_address = sdk_xstrdup(u->ip);
        cs->network_infos[0] = ni;
        ts->container_status = cs;
    }
    *len = mesos__v1__task_status__get_packed_size(ts);
    *buf = sdk_xmalloc(*len ? *len : 1);
    mesos__v1__task_status__pack(ts, *buf);
    protobuf_c_message_free_unpacked(&ts->base, NULL);
    return 0;
}

int sdk_taskstatus_decode(const void *buf, size_t len, const char *where, sdk_stored_status *st,
                          sdk_errors *errs) {
    memset(st, 0, sizeof *st);
    Mesos__V1__TaskStatus *ts = mesos__v1__task_status__unpack(NULL, len, buf);
    if (!ts) {
        sdk_errors_addf(errs, "%s: not a valid mesos.v1.TaskStatus (%zu bytes)", where, len);
        return SDK_ECORRUPT;
    }
    st->task_id = sdk_xstrdup(ts->task_id->value);
    st->state = (sdk_tstate)ts->state;
    st->message = sdk_xstrdup(ts->message);
    st->agent_id = ts->agent_id ? sdk_xstrdup(ts->agent_id->value) : NULL;
    if (ts->check_status) {
        st->has_check_status = true;
        if (ts->check_status->command && ts->check_status->command->has_exit_code) {
            st->has_exit_code = true;
            st->exit_code = ts->check_status->command->exit_code;
        }
    }
    if (ts->container_status && ts->container_status->n_network_infos &&
        ts->container_status->network_infos[0]->n_ip_addresses)
        st->ip = sdk_xstrdup(ts->container_status->network_infos[0]->ip_addresses[0]->ip_address);
    mesos__v1__task_status__free_unpacked(ts, NULL);
    return 0;
}

void sdk_stored_status_free_contents(sdk_stored_status *st) {
    free(st->task_id);
    free(st->ip);
    free(st->message);
    free(st->agent_id);
    memset(st, 0, sizeof *st);
}
