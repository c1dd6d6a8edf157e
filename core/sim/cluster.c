#include "core/sim/cluster.h"
#include "core/service/records.h"
#include "core/util/str.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void strv_push(char ***v, size_t *n, const char *s) {
    *v = sdk_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = sdk_xstrdup(s);
}
static void strv_free(char ***v, size_t *n) {
    for (size_t i = 0; i < *n; i++) free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

void sdk_sim_init(sdk_sim_cluster *c) {
    memset(c, 0, sizeof *c);
    sdk_errors_init(&c->act.errors);
}

void sdk_sim_clear_actions(sdk_sim_cluster *c) {
    strv_free(&c->act.launched, &c->act.n_launched);
    strv_free(&c->act.killed, &c->act.n_killed);
    sdk_errors_free(&c->act.errors);
    memset(&c->act, 0, sizeof c->act);
    sdk_errors_init(&c->act.errors);
}

static void task_free(sdk_sim_task *t) {
    free(t->task_id); free(t->name); free(t->agent_id); free(t->executor_id);
    sdk_resources_free(&t->resources);
    for (size_t i = 0; i < t->n_env; i++) { free(t->env[i].key); free(t->env[i].value); }
    free(t->env);
}

void sdk_sim_free(sdk_sim_cluster *c) {
    for (size_t i = 0; i < c->n_agents; i++) {
        sdk_sim_agent *a = &c->agents[i];
        free(a->id); free(a->hostname); free(a->zone); free(a->region);
        for (size_t j = 0; j < a->n_attrs; j++) { free(a->attrs[j].name); free(a->attrs[j].value); }
        free(a->attrs);
        sdk_resources_free(&a->free);
    }
    free(c->agents);
    for (size_t i = 0; i < c->n_tasks; i++) task_free(&c->tasks[i]);
    free(c->tasks);
    for (size_t i = 0; i < c->n_executors; i++) {
        free(c->executors[i].id);
        free(c->executors[i].agent_id);
        sdk_resources_free(&c->executors[i].resources);
    }
    free(c->executors);
    sdk_sim_clear_actions(c);
    sdk_errors_free(&c->act.errors);
}

sdk_sim_agent *sdk_sim_add_agent(sdk_sim_cluster *c, const char *name, const sdk_resources *res) {
    c->agents = sdk_xrealloc(c->agents, (c->n_agents + 1) * sizeof *c->agents);
    sdk_sim_agent *a = &c->agents[c->n_agents++];
    memset(a, 0, sizeof *a);
    a->id = sdk_asprintf_new("sim-agent-%s", name);
    a->hostname = sdk_xstrdup(name);
    sdk_resources_copy(&a->free, res);
    return a;
}

sdk_sim_agent *sdk_sim_agent_find(sdk_sim_cluster *c, const char *name) {
    for (size_t i = 0; i < c->n_agents; i++)
        if (!strcmp(c->agents[i].hostname, name) || !strcmp(c->agents[i].id, name)) return &c->agents[i];
    return NULL;
}

void sdk_sim_make_offer(sdk_sim_cluster *c, const sdk_sim_agent *a, sdk_offer *o) {
    memset(o, 0, sizeof *o);
    o->id = sdk_asprintf_new("sim-offer-%u", ++c->next_offer);
    o->agent_id = sdk_xstrdup(a->id);
    o->hostname = sdk_xstrdup(a->hostname);
    for (size_t i = 0; i < a->n_attrs; i++) sdk_offer_add_attr(o, a->attrs[i].name, a->attrs[i].value);
    o->zone = sdk_xstrdup(a->zone);
    o->region = sdk_xstrdup(a->region);
    sdk_resources_copy(&o->resources, &a->free);
}

sdk_sim_task *sdk_sim_task_find(sdk_sim_cluster *c, const char *name) {
    for (size_t i = c->n_tasks; i-- > 0;)
        if (!strcmp(c->tasks[i].name, name) || !strcmp(c->tasks[i].task_id, name)) return &c->tasks[i];
    return NULL;
}

static sdk_sim_agent *agent_by_id(sdk_sim_cluster *c, const char *id) {
    for (size_t i = 0; i < c->n_agents; i++)
        if (!strcmp(c->agents[i].id, id)) return &c->agents[i];
    return NULL;
}

/* The resource as it was before a RESERVE (last reservation popped) or a CREATE (no volume). */
static void unreserved_form(const sdk_resource *r, sdk_resource *out) {
    sdk_resource_copy(out, r);
    if (out->n_reservations) {
        sdk_reservation *rv = &out->reservations[--out->n_reservations];
        free(rv->role); free(rv->principal);
        for (size_t i = 0; i < rv->n_labels; i++) { free(rv->labels[i].key); free(rv->labels[i].value); }
        free(rv->labels);
        memset(rv, 0, sizeof *rv);
    }
    free(out->allocation_role);
    out->allocation_role = NULL;
}
static void volume_free_form(const sdk_resource *r, sdk_resource *out) {
    sdk_resource_copy(out, r);
    free(out->persistence_id); free(out->persistence_principal); free(out->volume_container_path);
    out->persistence_id = out->persistence_principal = out->volume_container_path = NULL;
    out->volume_read_only = false;
    free(out->allocation_role);
    out->allocation_role = NULL;
}
static void strip_alloc(const sdk_resource *r, sdk_resource *out) {
    sdk_resource_copy(out, r);
    free(out->allocation_role);
    out->allocation_role = NULL;
}

/* Replaces `from` by `to` in the agent's free pool; false (unchanged) when from is not there. */
static bool swap(sdk_sim_agent *a, const sdk_resource *from, const sdk_resource *to) {
    if (sdk_resources_subtract(&a->free, from) != 0) return false;
    if (to) sdk_resources_add(&a->free, to);
    return true;
}

static void apply_conversion(sdk_sim_cluster *c, sdk_sim_agent *a, const sdk_operation *op) {
    for (size_t i = 0; i < op->resources.n; i++) {
        const sdk_resource *r = &op->resources.v[i];
        sdk_resource plain, other;
        strip_alloc(r, &plain);
        switch (op->type) {
        case SDK_OP_RESERVE: unreserved_form(r, &other); break;
        case SDK_OP_UNRESERVE: unreserved_form(r, &other); break;
        case SDK_OP_CREATE: volume_free_form(r, &other); break;
        default: volume_free_form(r, &other); break; /* DESTROY */
        }
        bool ok = (op->type == SDK_OP_RESERVE || op->type == SDK_OP_CREATE) ? swap(a, &other, &plain)
                                                                         : swap(a, &plain, &other);
        if (!ok) {
            char *s = sdk_resource_to_string_new(r);
            sdk_errors_addf(&c->act.errors, "%s of %s does not fit agent %s", sdk_op_type_name(op->type), s,
                            a->hostname);
            free(s);
        }
        sdk_resource_free_contents(&plain);
        sdk_resource_free_contents(&other);
    }
}

static bool executor_in_use(sdk_sim_cluster *c, const char *executor_id) {
    for (size_t i = 0; i < c->n_tasks; i++)
        if (c->tasks[i].executor_id && !strcmp(c->tasks[i].executor_id, executor_id) &&
            !sdk_tstate_terminal(c->tasks[i].state))
            return true;
    return false;
}

static sdk_sim_executor *executor_find(sdk_sim_cluster *c, const char *id) {
    for (size_t i = 0; i < c->n_executors; i++)
        if (!strcmp(c->executors[i].id, id)) return &c->executors[i];
    return NULL;
}

static void take(sdk_sim_cluster *c, sdk_sim_agent *a, const sdk_resources *rs, const char *what) {
    for (size_t i = 0; i < rs->n; i++) {
        sdk_resource plain;
        strip_alloc(&rs->v[i], &plain);
        if (sdk_resources_subtract(&a->free, &plain) != 0) {
            char *s = sdk_resource_to_string_new(&rs->v[i]);
            sdk_errors_addf(&c->act.errors, "%s uses %s, which agent %s does not have free", what, s, a->hostname);
            free(s);
        }
        sdk_resource_free_contents(&plain);
    }
}
static void give_back(sdk_sim_agent *a, const sdk_resources *rs) {
    for (size_t i = 0; i < rs->n; i++) {
        sdk_resource plain;
        strip_alloc(&rs->v[i], &plain);
        sdk_resources_add(&a->free, &plain);
        sdk_resource_free_contents(&plain);
    }
}

static void launch(sdk_sim_cluster *c, sdk_sim_agent *a, const sdk_operation *op) {
    const sdk_executor_desc *ex = op->executor;
    if (ex && !executor_find(c, ex->executor_id)) {
        take(c, a, &ex->resources, ex->executor_id);
        c->executors = sdk_xrealloc(c->executors, (c->n_executors + 1) * sizeof *c->executors);
        sdk_sim_executor *e = &c->executors[c->n_executors++];
        e->id = sdk_xstrdup(ex->executor_id);
        e->agent_id = sdk_xstrdup(a->id);
        sdk_resources_copy(&e->resources, &ex->resources);
    }
    for (size_t i = 0; i < op->n_tasks; i++) {
        const sdk_task_desc *td = &op->tasks[i];
        take(c, a, &td->resources, td->name);
        c->tasks = sdk_xrealloc(c->tasks, (c->n_tasks + 1) * sizeof *c->tasks);
        sdk_sim_task *t = &c->tasks[c->n_tasks++];
        memset(t, 0, sizeof *t);
        t->task_id = sdk_xstrdup(td->task_id);
        t->name = sdk_xstrdup(td->name);
        t->agent_id = sdk_xstrdup(a->id);
        t->executor_id = sdk_xstrdup(ex ? ex->executor_id : "");
        sdk_resources_copy(&t->resources, &td->resources);
        t->state = SDK_TSTATE_STAGING;
        t->n_env = td->n_env;
        t->env = sdk_xcalloc(td->n_env ? td->n_env : 1, sizeof *t->env);
        for (size_t k = 0; k < td->n_env; k++) {
            t->env[k].key = sdk_xstrdup(td->env[k].key);
            t->env[k].value = sdk_xstrdup(td->env[k].value);
        }
        strv_push(&c->act.launched, &c->act.n_launched, td->name);
    }
}

void sdk_sim_set_state(sdk_sim_cluster *c, sdk_sim_task *t, sdk_tstate st) {
    /* A task that ended stays ended (as on an agent): a later update about it, such as a stale
     * or repeated one a scenario sends, is only a message; its resources came back once. */
    if (sdk_tstate_terminal(t->state)) return;
    t->state = st;
    if (!sdk_tstate_terminal(st)) return;
    sdk_sim_agent *a = agent_by_id(c, t->agent_id);
    if (!a) return;
    give_back(a, &t->resources);
    /* The default executor exits with its last task and its resources come back. */
    sdk_sim_executor *e = t->executor_id ? executor_find(c, t->executor_id) : NULL;
    if (e && !executor_in_use(c, e->id)) {
        give_back(a, &e->resources);
        free(e->id);
        free(e->agent_id);
        sdk_resources_free(&e->resources);
        *e = c->executors[--c->n_executors];
    }
}

size_t sdk_sim_reservation_count(const sdk_sim_cluster *c) {
    size_t n = 0;
    for (size_t i = 0; i < c->n_agents; i++)
        for (size_t j = 0; j < c->agents[i].free.n; j++)
            if (sdk_resource_is_dynamically_reserved(&c->agents[i].free.v[j])) n++;
    for (size_t i = 0; i < c->n_tasks; i++) {
        if (sdk_tstate_terminal(c->tasks[i].state)) continue;
        for (size_t j = 0; j < c->tasks[i].resources.n; j++)
            if (sdk_resource_is_dynamically_reserved(&c->tasks[i].resources.v[j])) n++;
    }
    for (size_t i = 0; i < c->n_executors; i++)
        for (size_t j = 0; j < c->executors[i].resources.n; j++)
            if (sdk_resource_is_dynamically_reserved(&c->executors[i].resources.v[j])) n++;
    return n;
}

size_t sdk_sim_volume_count(const sdk_sim_cluster *c) {
    size_t n = 0;
    for (size_t i = 0; i < c->n_agents; i++)
        for (size_t j = 0; j < c->agents[i].free.n; j++)
            if (c->agents[i].free.v[j].persistence_id) n++;
    for (size_t i = 0; i < c->n_tasks; i++) {
        if (sdk_tstate_terminal(c->tasks[i].state)) continue;
        for (size_t j = 0; j < c->tasks[i].resources.n; j++)
            if (c->tasks[i].resources.v[j].persistence_id) n++;
    }
    for (size_t i = 0; i < c->n_executors; i++)
        for (size_t j = 0; j < c->executors[i].resources.n; j++)
            if (c->executors[i].resources.v[j].persistence_id) n++;
    return n;
}

/* ---- driver ---- */
static void d_accept(void *ctx, const sdk_offer *offer, const sdk_operation *ops, size_t n, double refuse) {
    (void)refuse;
    sdk_sim_cluster *c = ctx;
    sdk_sim_agent *a = agent_by_id(c, offer->agent_id);
    c->act.n_accepted++;
    if (!a) return;
    for (size_t i = 0; i < n; i++) {
        switch (ops[i].type) {
        case SDK_OP_RESERVE: c->act.n_reserve++; apply_conversion(c, a, &ops[i]); break;
        case SDK_OP_UNRESERVE: c->act.n_unreserve++; apply_conversion(c, a, &ops[i]); break;
        case SDK_OP_CREATE: c->act.n_create++; apply_conversion(c, a, &ops[i]); break;
        case SDK_OP_DESTROY: c->act.n_destroy++; apply_conversion(c, a, &ops[i]); break;
        case SDK_OP_LAUNCH_GROUP: c->act.n_launch_group++; launch(c, a, &ops[i]); break;
        }
    }
}
static void d_decline(void *ctx, const sdk_offer *o, double refuse) {
    (void)o; (void)refuse;
    ((sdk_sim_cluster *)ctx)->act.n_declined++;
}
static void d_kill(void *ctx, const char *task_id, const char *agent_id) {
    (void)agent_id;
    sdk_sim_cluster *c = ctx;
    sdk_sim_task *t = sdk_sim_task_find(c, task_id);
    if (t) t->killed = true;
    strv_push(&c->act.killed, &c->act.n_killed, t ? t->name : task_id);
}
static void d_revive(void *ctx) { ((sdk_sim_cluster *)ctx)->act.n_revive++; }
static void d_suppress(void *ctx) { ((sdk_sim_cluster *)ctx)->act.n_suppress++; }
static void d_reconcile(void *ctx, const char *const *ids, const char *const *agents, size_t n) {
    (void)ids; (void)agents; (void)n;
    ((sdk_sim_cluster *)ctx)->act.n_reconcile++;
}
static void d_ack(void *ctx, const char *agent, const char *task, const void *uuid, size_t len) {
    (void)agent; (void)task; (void)uuid; (void)len;
    ((sdk_sim_cluster *)ctx)->act.n_ack++;
}
static void d_teardown(void *ctx) { ((sdk_sim_cluster *)ctx)->act.n_teardown++; }
/* No pack_ops: the simulation reads the accepted operations as structures. */
static const sdk_driver sim_driver = {d_accept, d_decline, d_kill, d_revive, d_suppress, d_reconcile, d_ack,
                                      d_teardown, NULL, NULL};
const sdk_driver *sdk_sim_driver(void) { return &sim_driver; }
