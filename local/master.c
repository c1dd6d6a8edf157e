/* The master side of the local cluster: the /api/v1/scheduler endpoint (mesos-v1-protocol.md
 * §1.3 check order, status codes and messages), subscriptions and their event streams,
 * heartbeats, the allocator (offers, refuse filters, suppress/revive) and ACCEPT with its
 * operations (§5.6-§5.10, §6.1). Executors and tasks are agent.c's business. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/util/log.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include "local/lc.h"
#include "mesos/pbjson.h"
#include "mesos/recordio.h"
#include "mesos/resources_pb.h"

#define MOD "localcluster"
#define TEXT "text/plain; charset=utf-8"
#define CT_JSON "application/json"
#define CT_PB "application/x-protobuf"

typedef Mesos__V1__Scheduler__Call Call;
typedef Mesos__V1__Scheduler__Event Event;

/* ------------------------------------------------------------------ protobuf helpers */

static void *pb_new(const ProtobufCMessageDescriptor *d) {
    void *m = sdk_xmalloc(d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

/* Every *ID message is {base; char *value}. */
typedef struct {
    ProtobufCMessage base;
    char *value;
} pb_id;

static void *id_new(const ProtobufCMessageDescriptor *d, const char *v) {
    pb_id *x = pb_new(d);
    x->value = sdk_xstrdup(v);
    return x;
}

static const char *id_of(const void *m) { return m ? ((const pb_id *)m)->value : NULL; }

double lc_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

Mesos__V1__TaskStatus *lc_status_new(const char *task_id, int state, int source, int reason, const char *msg,
                                     const char *agent_id) {
    Mesos__V1__TaskStatus *s = pb_new(&mesos__v1__task_status__descriptor);
    s->task_id = id_new(&mesos__v1__task_id__descriptor, task_id);
    s->state = state;
    s->has_source = true;
    s->source = source;
    if (reason >= 0) {
        s->has_reason = true;
        s->reason = reason;
    }
    if (msg) s->message = sdk_xstrdup(msg);
    if (agent_id) s->agent_id = id_new(&mesos__v1__agent_id__descriptor, agent_id);
    s->has_timestamp = true;
    s->timestamp = lc_now_s();
    return s;
}

/* ------------------------------------------------------------------ events */

bool lc_send_event(lc_framework *fw, const Event *ev) {
    if (!fw || !fw->stream) return false;
    sdk_buf b;
    sdk_buf_init(&b);
    if (fw->json) {
        char *s = sdk_pbjson_dumps_new(&ev->base);
        sdk_recordio_encode(&b, s, strlen(s));
        free(s);
    } else {
        size_t n = protobuf_c_message_get_packed_size(&ev->base);
        uint8_t *p = sdk_xmalloc(n ? n : 1);
        protobuf_c_message_pack(&ev->base, p);
        sdk_recordio_encode(&b, p, n);
        free(p);
    }
    lc_req_stream_write(fw->stream, b.data, b.len);
    sdk_buf_free(&b);
    return true;
}

bool lc_send_status(lc_framework *fw, const Mesos__V1__TaskStatus *status) {
    Mesos__V1__Scheduler__Event__Update up = MESOS__V1__SCHEDULER__EVENT__UPDATE__INIT;
    up.status = (Mesos__V1__TaskStatus *)status;
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = true;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__UPDATE;
    ev.update = &up;
    return lc_send_event(fw, &ev);
}

static void send_simple(lc_framework *fw, int type) {
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = true;
    ev.type = type;
    lc_send_event(fw, &ev);
}

static void send_error(lc_framework *fw, const char *msg) {
    Mesos__V1__Scheduler__Event__Error er = MESOS__V1__SCHEDULER__EVENT__ERROR__INIT;
    er.message = (char *)msg;
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = true;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR;
    ev.error = &er;
    lc_send_event(fw, &ev);
}

void lc_send_failure(lc_cluster *c, const char *fw_id, const char *agent_id, const char *executor_id, int status) {
    lc_framework *fw = lc_framework_find(c, fw_id);
    if (!fw || !fw->stream) return;
    Mesos__V1__Scheduler__Event__Failure f = MESOS__V1__SCHEDULER__EVENT__FAILURE__INIT;
    Mesos__V1__AgentID aid = MESOS__V1__AGENT_ID__INIT;
    Mesos__V1__ExecutorID eid = MESOS__V1__EXECUTOR_ID__INIT;
    aid.value = (char *)agent_id;
    f.agent_id = &aid;
    if (executor_id) {
        eid.value = (char *)executor_id;
        f.executor_id = &eid;
        f.has_status = true;
        f.status = status;
    }
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = true;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__FAILURE;
    ev.failure = &f;
    lc_send_event(fw, &ev);
}

static void send_operation_error(lc_framework *fw, const Mesos__V1__OperationID *op_id, const char *msg) {
    Mesos__V1__OperationStatus st = MESOS__V1__OPERATION_STATUS__INIT;
    st.operation_id = (Mesos__V1__OperationID *)op_id;
    st.state = MESOS__V1__OPERATION_STATE__OPERATION_ERROR;
    st.message = (char *)msg;
    Mesos__V1__Scheduler__Event__UpdateOperationStatus u = MESOS__V1__SCHEDULER__EVENT__UPDATE_OPERATION_STATUS__INIT;
    u.status = &st;
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = true;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__UPDATE_OPERATION_STATUS;
    ev.update_operation_status = &u;
    lc_send_event(fw, &ev);
}

/* Master-generated task update (no uuid). */
static void send_task_status(lc_framework *fw, const char *task_id, int state, int reason, const char *msg,
                             const char *agent_id) {
    Mesos__V1__TaskStatus *s = lc_status_new(task_id, state, MESOS__V1__TASK_STATUS__SOURCE__SOURCE_MASTER, reason,
                                             msg, agent_id);
    lc_send_status(fw, s);
    protobuf_c_message_free_unpacked(&s->base, NULL);
}

/* ------------------------------------------------------------------ frameworks */

lc_framework *lc_framework_find(lc_cluster *c, const char *id) {
    if (!id) return NULL;
    for (lc_framework *f = c->frameworks; f; f = f->next)
        if (strcmp(f->id, id) == 0) return f;
    return NULL;
}

static bool fw_has_role(const lc_framework *fw, const char *role) {
    for (size_t i = 0; i < fw->n_roles; i++)
        if (strcmp(fw->roles[i], role) == 0) return true;
    return false;
}

static bool fw_suppressed(const lc_framework *fw, const char *role) {
    for (size_t i = 0; i < fw->n_suppressed; i++)
        if (strcmp(fw->suppressed[i], role) == 0) return true;
    return false;
}

static void strv_free(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void filters_free(lc_filter *f) {
    while (f) {
        lc_filter *n = f->next;
        free(f->role);
        sdk_resources_free(&f->res);
        free(f);
        f = n;
    }
}

static void fw_free(lc_framework *fw) {
    if (fw->info) protobuf_c_message_free_unpacked(&fw->info->base, NULL);
    strv_free(fw->roles, fw->n_roles);
    strv_free(fw->suppressed, fw->n_suppressed);
    for (size_t i = 0; fw->filters && i < fw->c->n_agents; i++) filters_free(fw->filters[i]);
    free(fw->filters);
    free(fw->id);
    free(fw);
}

static void *pb_dup(const ProtobufCMessageDescriptor *d, const ProtobufCMessage *m) {
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = sdk_xmalloc(n ? n : 1);
    protobuf_c_message_pack(m, buf);
    void *copy = protobuf_c_message_unpack(d, NULL, n, buf);
    free(buf);
    return copy;
}

static bool role_valid(const char *r) {
    if (!r || !*r) return false;
    if (strcmp(r, "*") == 0) return true;
    if (r[0] == '/' || r[strlen(r) - 1] == '/' || strstr(r, "//")) return false;
    for (const char *p = r; *p; p++)
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\v' || *p == '\f' || *p == '\r' || *p == 127) return false;
    char *copy = sdk_xstrdup(r);
    bool ok = true;
    for (char *save = NULL, *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
        if (!strcmp(tok, ".") || !strcmp(tok, "..") || !strcmp(tok, "*") || tok[0] == '-') ok = false;
    free(copy);
    return ok;
}

static bool has_cap(const Mesos__V1__FrameworkInfo *fi, int cap) {
    for (size_t i = 0; i < fi->n_capabilities; i++)
        if (fi->capabilities[i]->has_type && (int)fi->capabilities[i]->type == cap) return true;
    return false;
}

/* FrameworkInfo validation for SUBSCRIBE (errors go out as an ERROR event). */
static char *validate_framework_info(const Mesos__V1__FrameworkInfo *fi, char **supp, size_t n_supp) {
    bool multi = has_cap(fi, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE);
    const char *role = sdk_pb_framework_info_role(fi);
    if (multi && role) return sdk_xstrdup("'FrameworkInfo.role' must not be set when the framework has the MULTI_ROLE capability");
    if (!multi && fi->n_roles) return sdk_xstrdup("'FrameworkInfo.roles' must not be set when the framework does not have the MULTI_ROLE capability");
    for (size_t i = 0; i < fi->n_roles; i++) {
        if (!role_valid(fi->roles[i])) return sdk_asprintf_new("Role '%s' is invalid", fi->roles[i]);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(fi->roles[i], fi->roles[j])) return sdk_asprintf_new("'FrameworkInfo.roles' contains duplicate items: %s", fi->roles[i]);
    }
    if (role && !role_valid(role)) return sdk_asprintf_new("Role '%s' is invalid", role);
    if (fi->has_failover_timeout && (fi->failover_timeout < 0 || isnan(fi->failover_timeout)))
        return sdk_xstrdup("Invalid 'FrameworkInfo.failover_timeout': must be a non-negative duration");
    for (size_t i = 0; i < n_supp; i++) {
        bool found = false;
        if (multi) {
            for (size_t j = 0; j < fi->n_roles; j++) found |= !strcmp(fi->roles[j], supp[i]);
        } else found = !strcmp(role ? role : "*", supp[i]);
        if (!found) return sdk_asprintf_new("Suppressed role '%s' is not contained in the list of roles", supp[i]);
    }
    return NULL;
}

static void fw_set_info(lc_framework *fw, const Mesos__V1__FrameworkInfo *fi, char **supp, size_t n_supp) {
    Mesos__V1__FrameworkInfo *copy = pb_dup(&mesos__v1__framework_info__descriptor, &fi->base);
    if (fw->info) protobuf_c_message_free_unpacked(&fw->info->base, NULL);
    fw->info = copy;
    if (copy->id) {
        free(copy->id->value);
        copy->id->value = sdk_xstrdup(fw->id);
    } else copy->id = id_new(&mesos__v1__framework_id__descriptor, fw->id);
    strv_free(fw->roles, fw->n_roles);
    fw->multi_role = has_cap(fi, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE);
    fw->refinement = has_cap(fi, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__RESERVATION_REFINEMENT);
    fw->partition_aware = has_cap(fi, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE);
    fw->killing_state = has_cap(fi, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__TASK_KILLING_STATE);
    if (fw->multi_role) {
        fw->n_roles = fi->n_roles;
        fw->roles = sdk_xcalloc(fi->n_roles ? fi->n_roles : 1, sizeof *fw->roles);
        for (size_t i = 0; i < fi->n_roles; i++) fw->roles[i] = sdk_xstrdup(fi->roles[i]);
    } else {
        const char *r = sdk_pb_framework_info_role(fi);
        fw->n_roles = 1;
        fw->roles = sdk_xcalloc(1, sizeof *fw->roles);
        fw->roles[0] = sdk_xstrdup(r ? r : "*");
    }
    strv_free(fw->suppressed, fw->n_suppressed);
    fw->n_suppressed = n_supp;
    fw->suppressed = sdk_xcalloc(n_supp ? n_supp : 1, sizeof *fw->suppressed);
    for (size_t i = 0; i < n_supp; i++) fw->suppressed[i] = sdk_xstrdup(supp[i]);
}

static void remove_framework(lc_cluster *c, lc_framework *fw, const char *why) {
    SDK_INFO(MOD, "removing framework %s: %s", fw->id, why);
    lc_rescind_offers(c, NULL, fw, false);
    lc_framework_drop_tasks(c, fw->id);
    if (fw->failover_timer) sdk_loop_timer_cancel(c->loop, fw->failover_timer);
    if (fw->stream) {
        lc_req_stream_end(fw->stream);
        fw->stream = NULL;
    }
    c->removed = sdk_xrealloc(c->removed, (c->n_removed + 1) * sizeof *c->removed);
    c->removed[c->n_removed++] = sdk_xstrdup(fw->id);
    for (lc_framework **pp = &c->frameworks; *pp; pp = &(*pp)->next)
        if (*pp == fw) {
            *pp = fw->next;
            break;
        }
    fw_free(fw);
    lc_allocate_soon(c);
}

static void on_failover_expired(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_framework *fw = ud;
    fw->failover_timer = 0;
    remove_framework(fw->c, fw, "failover timeout expired");
}

static void on_stream_closed(lc_req *req, void *ud) {
    (void)req;
    lc_framework *fw = ud;
    lc_cluster *c = fw->c;
    fw->stream = NULL;
    SDK_INFO(MOD, "framework %s disconnected", fw->id);
    lc_rescind_offers(c, NULL, fw, false);
    double to = fw->info && fw->info->has_failover_timeout ? fw->info->failover_timeout : 0;
    if (to > 31536000.0) to = 31536000.0;
    sdk_loop_timer_add(c->loop, (uint64_t)(to * 1000), on_failover_expired, fw, &fw->failover_timer);
}

/* ------------------------------------------------------------------ free resources per agent */

void lc_agent_free_take(lc_agent *a, const sdk_resources *rs) {
    for (size_t i = 0; i < rs->n && a->free_valid; i++)
        if (sdk_resources_subtract(&a->free, &rs->v[i]) != 0) a->free_valid = false;
}

void lc_agent_free_give(lc_agent *a, const sdk_resources *rs) {
    if (a->free_valid) sdk_resources_add_all(&a->free, rs);
}

/* The definition: total - used - the agent's outstanding offers. */
static void free_recompute(lc_agent *a, sdk_resources *out) {
    sdk_resources_copy(out, &a->total);
    for (size_t i = 0; i < a->used.n; i++) sdk_resources_subtract(out, &a->used.v[i]);
    for (lc_offer *o = a->offers; o; o = o->anext)
        for (size_t i = 0; i < o->res.n; i++) sdk_resources_subtract(out, &o->res.v[i]);
}

const sdk_resources *lc_agent_free(lc_agent *a) {
    if (!a->free_valid) {
        sdk_resources_free(&a->free);
        free_recompute(a, &a->free);
        a->free_valid = true;
    }
#ifdef LC_VERIFY_FREE /* debugging aid: the incremental value must equal the definition */
    else {
        sdk_resources def;
        free_recompute(a, &def);
        if (!sdk_resources_equal(&def, &a->free)) {
            char *x = sdk_resources_to_string_new(&a->free), *y = sdk_resources_to_string_new(&def);
            SDK_ERROR(MOD, "agent %s: incremental free %s != %s", a->id, x, y);
            abort();
        }
        sdk_resources_free(&def);
    }
#endif
    return &a->free;
}

/* ------------------------------------------------------------------ offers and allocator */

/* An outstanding offer is in three places: c->offers (newest first: the order of the admin
 * state), its agent's list (what the allocator and free_recompute look at, a handful per agent)
 * and c->offer_index (ACCEPT and DECLINE name offers by id): linking and unlinking cost O(1) but
 * for the agent's short list, where a scan of every offer made an allocation cycle cost
 * O(agents x offers). */
static void offer_link(lc_cluster *c, lc_offer *o) {
    o->prev = NULL;
    o->next = c->offers;
    if (c->offers) c->offers->prev = o;
    c->offers = o;
    o->anext = o->agent->offers;
    o->agent->offers = o;
    sdk_strmap_put(&c->offer_index, o->id, o);
}

static void offer_unlink(lc_cluster *c, lc_offer *o) {
    if (o->prev) o->prev->next = o->next;
    else c->offers = o->next;
    if (o->next) o->next->prev = o->prev;
    for (lc_offer **pp = &o->agent->offers; *pp; pp = &(*pp)->anext)
        if (*pp == o) {
            *pp = o->anext;
            break;
        }
    sdk_strmap_del(&c->offer_index, o->id);
    o->next = o->prev = o->anext = NULL;
}

/* The caller has unlinked o; its resources return to the agent's free set. */
static void offer_free(lc_offer *o) {
    lc_agent_free_give(o->agent, &o->res);
    free(o->id);
    free(o->role);
    sdk_resources_free(&o->res);
    free(o);
}

static void send_rescind(lc_framework *fw, const char *offer_id) {
    Mesos__V1__OfferID oid = MESOS__V1__OFFER_ID__INIT;
    oid.value = (char *)offer_id;
    Mesos__V1__Scheduler__Event__Rescind r = MESOS__V1__SCHEDULER__EVENT__RESCIND__INIT;
    r.offer_id = &oid;
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = true;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__RESCIND;
    ev.rescind = &r;
    lc_send_event(fw, &ev);
}

void lc_rescind_offers(lc_cluster *c, lc_agent *a, lc_framework *fw, bool send) {
    for (lc_offer *o = a ? a->offers : c->offers, *n; o; o = n) {
        n = a ? o->anext : o->next;
        if (fw && o->fw != fw) continue;
        offer_unlink(c, o);
        if (send) send_rescind(o->fw, o->id);
        offer_free(o);
    }
    if (a) lc_allocate_agent_soon(c, a);
    else lc_allocate_soon(c);
}

static lc_offer *offer_find(lc_cluster *c, const char *id) { return sdk_strmap_get(&c->offer_index, id); }

static lc_offer *offer_take(lc_cluster *c, const char *id) {
    lc_offer *o = offer_find(c, id);
    if (o) offer_unlink(c, o);
    return o;
}

static bool is_sub_role(const char *child, const char *parent) {
    size_t n = strlen(parent);
    return strncmp(child, parent, n) == 0 && child[n] == '/' && child[n + 1];
}

static bool allocatable_to(const sdk_resource *r, const char *role) {
    const char *owner = sdk_resource_role(r);
    return strcmp(owner, "*") == 0 || strcmp(owner, role) == 0 || is_sub_role(role, owner);
}

static void add_filter(lc_framework *fw, const char *role, lc_agent *a, const sdk_resources *res, double secs) {
    if (isnan(secs) || secs < 0) secs = 5.0;
    if (secs > 31536000.0) secs = 31536000.0;
    if (secs == 0 || res->n == 0) return;
    lc_filter *f = sdk_xcalloc(1, sizeof *f);
    f->role = sdk_xstrdup(role);
    f->agent = a;
    f->until_ms = sdk_loop_now_ms(fw->c->loop) + (uint64_t)(secs * 1000);
    sdk_resources_copy(&f->res, res);
    if (!fw->filters) fw->filters = sdk_xcalloc(fw->c->n_agents ? fw->c->n_agents : 1, sizeof *fw->filters);
    f->next = fw->filters[a->idx];
    fw->filters[a->idx] = f;
}

static bool filtered(lc_framework *fw, const char *role, lc_agent *a, const sdk_resources *res, uint64_t now) {
    if (!fw->filters) return false;
    for (lc_filter **pp = &fw->filters[a->idx]; *pp;) {
        lc_filter *f = *pp;
        if (f->until_ms <= now) {
            *pp = f->next;
            f->next = NULL;
            filters_free(f);
            continue;
        }
        if (f->agent == a && strcmp(f->role, role) == 0 && sdk_resources_contains_all(&f->res, res)) return true;
        pp = &f->next;
    }
    return false;
}

static Mesos__V1__Attribute *attr_pb_new(const lc_attr *at) {
    Mesos__V1__Attribute *p = pb_new(&mesos__v1__attribute__descriptor);
    p->name = sdk_xstrdup(at->name);
    if (at->is_scalar) {
        p->type = MESOS__V1__VALUE__TYPE__SCALAR;
        p->scalar = pb_new(&mesos__v1__value__scalar__descriptor);
        p->scalar->value = at->scalar;
    } else {
        p->type = MESOS__V1__VALUE__TYPE__TEXT;
        p->text = pb_new(&mesos__v1__value__text__descriptor);
        p->text->value = sdk_xstrdup(at->text);
    }
    return p;
}

static Mesos__V1__DomainInfo *domain_pb_new(const lc_agent *a) {
    if (!a->zone || !a->region) return NULL;
    Mesos__V1__DomainInfo *d = pb_new(&mesos__v1__domain_info__descriptor);
    d->fault_domain = pb_new(&mesos__v1__domain_info__fault_domain__descriptor);
    d->fault_domain->region = pb_new(&mesos__v1__domain_info__fault_domain__region_info__descriptor);
    d->fault_domain->region->name = sdk_xstrdup(a->region);
    d->fault_domain->zone = pb_new(&mesos__v1__domain_info__fault_domain__zone_info__descriptor);
    d->fault_domain->zone->name = sdk_xstrdup(a->zone);
    return d;
}

static Mesos__V1__Offer *offer_pb_new(lc_cluster *c, const lc_offer *o) {
    Mesos__V1__Offer *p = pb_new(&mesos__v1__offer__descriptor);
    p->id = id_new(&mesos__v1__offer_id__descriptor, o->id);
    p->framework_id = id_new(&mesos__v1__framework_id__descriptor, o->fw->id);
    p->agent_id = id_new(&mesos__v1__agent_id__descriptor, o->agent->id);
    p->hostname = sdk_xstrdup(o->agent->hostname);
    p->url = pb_new(&mesos__v1__url__descriptor);
    p->url->scheme = sdk_xstrdup("http");
    p->url->address = pb_new(&mesos__v1__address__descriptor);
    p->url->address->hostname = sdk_xstrdup(o->agent->hostname);
    p->url->address->ip = sdk_xstrdup("127.0.0.1");
    p->url->address->port = lc_files_agent_port(o->agent) ? lc_files_agent_port(o->agent) : 5051;
    p->url->path = sdk_xstrdup("/slave(1)");
    sdk_resources tagged;
    sdk_resources_copy(&tagged, &o->res);
    if (o->fw->multi_role)
        for (size_t i = 0; i < tagged.n; i++) tagged.v[i].allocation_role = sdk_xstrdup(o->role);
    sdk_resources_to_pb_new(&tagged, o->fw->refinement ? SDK_RES_FORMAT_REFINED : SDK_RES_FORMAT_LEGACY, &p->resources,
                            &p->n_resources, NULL);
    sdk_resources_free(&tagged);
    p->n_attributes = o->agent->n_attrs;
    p->attributes = sdk_xcalloc(o->agent->n_attrs ? o->agent->n_attrs : 1, sizeof *p->attributes);
    for (size_t i = 0; i < o->agent->n_attrs; i++) p->attributes[i] = attr_pb_new(&o->agent->attrs[i]);
    (void)c;
    size_t nex = 0;
    for (lc_executor *e = o->agent->executors; e; e = e->next)
        if (strcmp(e->fw_id, o->fw->id) == 0) nex++;
    if (nex) {
        p->executor_ids = sdk_xcalloc(nex, sizeof *p->executor_ids);
        for (lc_executor *e = o->agent->executors; e; e = e->next)
            if (strcmp(e->fw_id, o->fw->id) == 0)
                p->executor_ids[p->n_executor_ids++] = id_new(&mesos__v1__executor_id__descriptor, e->id);
    }
    if (o->fw->multi_role) {
        p->allocation_info = pb_new(&mesos__v1__resource__allocation_info__descriptor);
        p->allocation_info->role = sdk_xstrdup(o->role);
    }
    p->domain = domain_pb_new(o->agent);
    return p;
}

/* Mesos' default minimum allocatable: cpus >= 0.01 or mem >= 32. */
static bool worth_offering(const sdk_resources *rs) {
    return sdk_resources_scalar_sum(rs, "cpus", NULL, NULL) >= 10 ||
           sdk_resources_scalar_sum(rs, "mem", NULL, NULL) >= 32000;
}

/* One allocation over agents[0..n_agents) (every agent, or those changed since the last): each
 * agent with resources worth offering, no outstanding offer to the framework's role and no
 * decline filter covering them is offered to each subscribed framework role, all in one OFFERS
 * event per framework. */
static void allocate(lc_cluster *c, lc_agent **agents, size_t n_agents) {
    uint64_t now = sdk_loop_now_ms(c->loop);
    for (lc_framework *fw = c->frameworks; fw; fw = fw->next) {
        if (!fw->stream) continue;
        Mesos__V1__Offer **batch = NULL;
        size_t nb = 0;
        for (size_t ri = 0; ri < fw->n_roles; ri++) {
            const char *role = fw->roles[ri];
            if (fw_suppressed(fw, role)) continue;
            for (size_t ai = 0; ai < n_agents; ai++) {
                lc_agent *a = agents[ai];
                if (a->stopped || a->gone || a->draining) continue;
                bool outstanding = false;
                for (lc_offer *o = a->offers; o && !outstanding; o = o->anext)
                    outstanding = o->fw == fw && strcmp(o->role, role) == 0;
                if (outstanding) continue;
                const sdk_resources *free_rs = lc_agent_free(a);
                sdk_resources mine;
                sdk_resources_init(&mine);
                for (size_t i = 0; i < free_rs->n; i++) {
                    const sdk_resource *r = &free_rs->v[i];
                    if (!allocatable_to(r, role)) continue;
                    if (!fw->refinement && r->n_reservations > 1) continue;
                    sdk_resources_add(&mine, r);
                }
                if (!worth_offering(&mine) || filtered(fw, role, a, &mine, now)) {
                    sdk_resources_free(&mine);
                    continue;
                }
                lc_offer *o = sdk_xcalloc(1, sizeof *o);
                o->id = sdk_asprintf_new("%s-O%u", c->master_id, c->next_offer++);
                o->fw = fw;
                o->agent = a;
                o->role = sdk_xstrdup(role);
                o->res = mine;
                lc_agent_free_take(a, &o->res);
                offer_link(c, o);
                batch = sdk_xrealloc(batch, (nb + 1) * sizeof *batch);
                batch[nb++] = offer_pb_new(c, o);
            }
        }
        if (nb) {
            Mesos__V1__Scheduler__Event__Offers offs = MESOS__V1__SCHEDULER__EVENT__OFFERS__INIT;
            offs.n_offers = nb;
            offs.offers = batch;
            Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
            ev.has_type = true;
            ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__OFFERS;
            ev.offers = &offs;
            lc_send_event(fw, &ev);
            for (size_t i = 0; i < nb; i++) protobuf_c_message_free_unpacked(&batch[i]->base, NULL);
        }
        free(batch);
    }
}

/* Forgets the agents marked for the next "soon" allocation. */
static void alloc_marks_clear(lc_cluster *c) {
    for (size_t i = 0; i < c->n_alloc_agents; i++) c->alloc_agents[i]->alloc_pending = false;
    c->n_alloc_agents = 0;
    c->alloc_all = false;
}

static int cmp_agent_idx(const void *x, const void *y) {
    const lc_agent *a = *(lc_agent *const *)x, *b = *(lc_agent *const *)y;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

static void on_alloc_soon(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_cluster *c = ud;
    c->alloc_soon = 0;
    if (c->alloc_all) {
        alloc_marks_clear(c);
        allocate(c, c->agents, c->n_agents);
        return;
    }
    /* the changed agents in index order, as a full cycle would visit them */
    size_t n = c->n_alloc_agents;
    lc_agent **agents = sdk_xmalloc((n ? n : 1) * sizeof *agents);
    memcpy(agents, c->alloc_agents, n * sizeof *agents);
    alloc_marks_clear(c);
    qsort(agents, n, sizeof *agents, cmp_agent_idx);
    allocate(c, agents, n);
    free(agents);
}

/* Like Mesos' allocator, which gathers the agents of the events since its last run into
 * allocationCandidates and runs one allocation over them (HierarchicalAllocatorProcess::allocate(
 * const hashset<SlaveID>&) in apache/mesos src/master/allocator/mesos/hierarchical.cpp), an event
 * that changes one agent (an ACCEPT, a DECLINE, a task's or executor's end) allocates that agent
 * on the next loop iteration; the periodic cycle (allocation interval) looks at every agent, so a
 * filter that expired is offered again within one interval, as in Mesos' batch allocation. With
 * 2,000 agents this made the cost of a run of ACCEPT calls proportional to the agents they touch
 * instead of every agent per loop iteration. */
void lc_allocate_soon(lc_cluster *c) {
    c->alloc_all = true;
    if (!c->alloc_soon && c->loop) sdk_loop_timer_add(c->loop, 0, on_alloc_soon, c, &c->alloc_soon);
}

void lc_allocate_agent_soon(lc_cluster *c, lc_agent *a) {
    if (!c->alloc_all && !a->alloc_pending) {
        a->alloc_pending = true;
        if (!c->alloc_agents) /* each agent is in it at most once */
            c->alloc_agents = sdk_xcalloc(c->n_agents ? c->n_agents : 1, sizeof *c->alloc_agents);
        c->alloc_agents[c->n_alloc_agents++] = a;
    }
    if (!c->alloc_soon && c->loop) sdk_loop_timer_add(c->loop, 0, on_alloc_soon, c, &c->alloc_soon);
}

static void on_alloc_tick(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_cluster *c = ud;
    allocate(c, c->agents, c->n_agents);
}

static void on_heartbeat(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_cluster *c = ud;
    for (lc_framework *fw = c->frameworks; fw; fw = fw->next) send_simple(fw, MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT);
}

/* ------------------------------------------------------------------ ACCEPT */

static bool id_string_ok(const char *s) {
    if (!s || !*s || strlen(s) > 255 || !strcmp(s, ".") || !strcmp(s, "..")) return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 127 || *p == '/' || *p == '\\') return false;
    return true;
}

/* Converts operation resources to the internal form: checks validity and the allocation
 * role against the offer, then strips allocation roles. */
static int op_resources(Mesos__V1__Resource **pb, size_t n, const char *role, sdk_resources *out, sdk_errors *errs) {
    sdk_resources_init(out);
    if (sdk_resources_from_pb(out, pb, n, errs) != 0) return SDK_EINVAL;
    for (size_t i = 0; i < out->n; i++) {
        sdk_resource *r = &out->v[i];
        if (r->allocation_role && strcmp(r->allocation_role, role) != 0) {
            sdk_errors_addf(errs, "resource '%s' is allocated to role '%s', not to the offer's role '%s'", r->name,
                            r->allocation_role, role);
            sdk_resources_free(out);
            return SDK_EINVAL;
        }
        free(r->allocation_role);
        r->allocation_role = NULL;
        if (!sdk_resource_valid(r, errs)) {
            sdk_resources_free(out);
            return SDK_EINVAL;
        }
    }
    return 0;
}

static void pop_reservation(sdk_resource *r) {
    if (!r->n_reservations) return;
    sdk_reservation *rv = &r->reservations[--r->n_reservations];
    free(rv->role);
    free(rv->principal);
    for (size_t i = 0; i < rv->n_labels; i++) {
        free(rv->labels[i].key);
        free(rv->labels[i].value);
    }
    free(rv->labels);
    memset(rv, 0, sizeof *rv);
}

static void strip_volume(sdk_resource *r) {
    free(r->persistence_id);
    free(r->persistence_principal);
    free(r->volume_container_path);
    r->persistence_id = r->persistence_principal = r->volume_container_path = NULL;
    r->volume_read_only = false;
}

/* remaining -= consumed; remaining += produced; same on the agent's total. */
static int convert(lc_agent *a, sdk_resources *remaining, const sdk_resources *consumed, const sdk_resources *produced,
                   sdk_errors *errs) {
    if (!sdk_resources_contains_all(remaining, consumed)) {
        char *s = sdk_resources_to_string_new(consumed);
        sdk_errors_addf(errs, "%s not found in the offered resources", s);
        free(s);
        return SDK_EINVAL;
    }
    for (size_t i = 0; i < consumed->n; i++) {
        sdk_resources_subtract(remaining, &consumed->v[i]);
        sdk_resources_subtract(&a->total, &consumed->v[i]);
    }
    lc_agent_free_take(a, consumed);
    sdk_resources_add_all(remaining, produced);
    sdk_resources_add_all(&a->total, produced);
    lc_agent_free_give(a, produced);
    for (size_t i = 0; i < consumed->n; i++)
        if (lc_is_checkpointed(&consumed->v[i])) lc_state_note(a->c, a, &consumed->v[i], false);
    for (size_t i = 0; i < produced->n; i++)
        if (lc_is_checkpointed(&produced->v[i])) lc_state_note(a->c, a, &produced->v[i], true);
    return 0;
}

static const char *fw_principal(const lc_framework *fw) { return fw->info->principal; }

static int op_reserve(lc_cluster *c, lc_framework *fw, lc_agent *a, const char *role, Mesos__V1__Offer__Operation *op,
                      sdk_resources *remaining, sdk_errors *errs) {
    (void)c;
    if (!op->reserve) {
        sdk_errors_addf(errs, "Invalid RESERVE operation: 'reserve' is missing");
        return SDK_EINVAL;
    }
    if (op->reserve->n_source) {
        sdk_errors_addf(errs, "Reservation updates are not yet implemented for the scheduler API.");
        return SDK_EINVAL;
    }
    if (!op->reserve->n_resources) {
        sdk_errors_addf(errs, "Invalid RESERVE operation: no resources to reserve");
        return SDK_EINVAL;
    }
    sdk_resources produced, consumed;
    if (op_resources(op->reserve->resources, op->reserve->n_resources, role, &produced, errs)) return SDK_EINVAL;
    sdk_resources_init(&consumed);
    int rc = 0;
    for (size_t i = 0; i < produced.n && !rc; i++) {
        sdk_resource *r = &produced.v[i];
        char *s = sdk_resource_to_string_new(r);
        if (!sdk_resource_is_dynamically_reserved(r)) {
            sdk_errors_addf(errs, "Invalid RESERVE operation: resource %s is not dynamically reserved", s);
            rc = SDK_EINVAL;
        } else if (strcmp(sdk_resource_role(r), role) != 0 || !fw_has_role(fw, sdk_resource_role(r))) {
            sdk_errors_addf(errs, "Invalid RESERVE operation: resource %s: reservation role '%s' is not the allocation role '%s'",
                            s, sdk_resource_role(r), role);
            rc = SDK_EINVAL;
        } else if (fw_principal(fw) && !sdk_streq(r->reservations[r->n_reservations - 1].principal, fw_principal(fw))) {
            sdk_errors_addf(errs, "A reserve operation was attempted by principal '%s', which does not match a reserved resource in the request with principal '%s'",
                            fw_principal(fw), r->reservations[r->n_reservations - 1].principal
                                                  ? r->reservations[r->n_reservations - 1].principal : "");
            rc = SDK_EINVAL;
        } else if (r->persistence_id) {
            sdk_errors_addf(errs, "Invalid RESERVE operation: resource %s is a persistent volume", s);
            rc = SDK_EINVAL;
        } else {
            sdk_resource base;
            sdk_resource_copy(&base, r);
            pop_reservation(&base);
            sdk_resources_add(&consumed, &base);
            sdk_resource_free_contents(&base);
        }
        free(s);
    }
    if (!rc) rc = convert(a, remaining, &consumed, &produced, errs);
    sdk_resources_free(&produced);
    sdk_resources_free(&consumed);
    return rc;
}

static int op_unreserve(lc_framework *fw, lc_agent *a, const char *role, Mesos__V1__Offer__Operation *op,
                        sdk_resources *remaining, sdk_errors *errs) {
    (void)fw;
    if (!op->unreserve || !op->unreserve->n_resources) {
        sdk_errors_addf(errs, "Invalid UNRESERVE operation: no resources to unreserve");
        return SDK_EINVAL;
    }
    sdk_resources consumed, produced;
    if (op_resources(op->unreserve->resources, op->unreserve->n_resources, role, &consumed, errs)) return SDK_EINVAL;
    sdk_resources_init(&produced);
    int rc = 0;
    for (size_t i = 0; i < consumed.n && !rc; i++) {
        sdk_resource *r = &consumed.v[i];
        char *s = sdk_resource_to_string_new(r);
        if (r->persistence_id) {
            sdk_errors_addf(errs, "A disk resource containing a persistent volume %s cannot be unreserved directly. Please destroy the persistent volume first then unreserve the disk resource", s);
            rc = SDK_EINVAL;
        } else if (!sdk_resource_is_dynamically_reserved(r)) {
            sdk_errors_addf(errs, "Invalid UNRESERVE operation: resource %s is not dynamically reserved", s);
            rc = SDK_EINVAL;
        } else {
            sdk_resource p;
            sdk_resource_copy(&p, r);
            pop_reservation(&p);
            sdk_resources_add(&produced, &p);
            sdk_resource_free_contents(&p);
        }
        free(s);
    }
    if (!rc) rc = convert(a, remaining, &consumed, &produced, errs);
    sdk_resources_free(&produced);
    sdk_resources_free(&consumed);
    return rc;
}

static bool persistence_id_taken(const lc_agent *a, const sdk_resources *extra, size_t upto, const sdk_resource *v) {
    for (size_t i = 0; i < a->total.n; i++) {
        const sdk_resource *r = &a->total.v[i];
        if (r->persistence_id && !strcmp(r->persistence_id, v->persistence_id) &&
            !strcmp(sdk_resource_role(r), sdk_resource_role(v)))
            return true;
    }
    for (size_t i = 0; i < upto; i++)
        if (!strcmp(extra->v[i].persistence_id, v->persistence_id) &&
            !strcmp(sdk_resource_role(&extra->v[i]), sdk_resource_role(v)))
            return true;
    return false;
}

static int op_create(lc_cluster *c, lc_framework *fw, lc_agent *a, const char *role, Mesos__V1__Offer__Operation *op,
                     sdk_resources *remaining, sdk_errors *errs) {
    if (!op->create || !op->create->n_volumes) {
        sdk_errors_addf(errs, "Invalid CREATE operation: no volumes to create");
        return SDK_EINVAL;
    }
    sdk_resources produced, consumed;
    if (op_resources(op->create->volumes, op->create->n_volumes, role, &produced, errs)) return SDK_EINVAL;
    sdk_resources_init(&consumed);
    int rc = 0;
    for (size_t i = 0; i < produced.n && !rc; i++) {
        sdk_resource *r = &produced.v[i];
        rc = SDK_EINVAL;
        if (strcmp(r->name, "disk") != 0 || !r->persistence_id)
            sdk_errors_addf(errs, "Invalid CREATE operation: resource '%s' is not a persistent volume (needs disk.persistence)", r->name);
        else if (!r->volume_container_path)
            sdk_errors_addf(errs, "Invalid CREATE operation: persistent volume '%s' needs disk.volume", r->persistence_id);
        else if (r->volume_read_only)
            sdk_errors_addf(errs, "Read-only persistent volume not supported");
        else if (!sdk_resource_is_reserved(r))
            sdk_errors_addf(errs, "Persistent volumes cannot be created from unreserved resources");
        else if (!id_string_ok(r->persistence_id))
            sdk_errors_addf(errs, "Invalid persistence ID '%s'", r->persistence_id);
        else if (persistence_id_taken(a, &produced, i, r))
            sdk_errors_addf(errs, "Persistence ID '%s' is not unique", r->persistence_id);
        else if (fw_principal(fw) && !sdk_streq(r->persistence_principal, fw_principal(fw)))
            sdk_errors_addf(errs, "A create operation was attempted by principal '%s', which does not match a persistent volume in the request with principal '%s'",
                            fw_principal(fw), r->persistence_principal ? r->persistence_principal : "");
        else {
            rc = 0;
            sdk_resource base;
            sdk_resource_copy(&base, r);
            strip_volume(&base);
            sdk_resources_add(&consumed, &base);
            sdk_resource_free_contents(&base);
        }
    }
    if (!rc) rc = convert(a, remaining, &consumed, &produced, errs);
    if (!rc && !c->opt.simulate) /* simulated tasks never look inside a volume: bookkeeping only */
        for (size_t i = 0; i < produced.n; i++) {
            char *p = lc_volume_path_new(c, &produced.v[i]);
            lc_mkdirs(p);
            free(p);
        }
    sdk_resources_free(&produced);
    sdk_resources_free(&consumed);
    return rc;
}

static int op_destroy(lc_cluster *c, lc_agent *a, const char *role, Mesos__V1__Offer__Operation *op,
                      sdk_resources *remaining, sdk_errors *errs) {
    if (!op->destroy || !op->destroy->n_volumes) {
        sdk_errors_addf(errs, "Invalid DESTROY operation: no volumes to destroy");
        return SDK_EINVAL;
    }
    sdk_resources consumed, produced;
    if (op_resources(op->destroy->volumes, op->destroy->n_volumes, role, &consumed, errs)) return SDK_EINVAL;
    sdk_resources_init(&produced);
    int rc = 0;
    for (size_t i = 0; i < consumed.n && !rc; i++) {
        sdk_resource *v = &consumed.v[i];
        if (!v->persistence_id || !sdk_resources_contains(&a->total, v)) {
            sdk_errors_addf(errs, "Persistent volumes not found");
            rc = SDK_EINVAL;
        } else if (sdk_resources_contains(&a->used, v)) {
            sdk_errors_addf(errs, "Persistent volumes in use");
            rc = SDK_EINVAL;
        } else {
            sdk_resource p;
            sdk_resource_copy(&p, v);
            strip_volume(&p);
            sdk_resources_add(&produced, &p);
            sdk_resource_free_contents(&p);
        }
    }
    if (!rc) rc = convert(a, remaining, &consumed, &produced, errs);
    if (!rc)
        for (size_t i = 0; i < consumed.n; i++) {
            char *p = lc_volume_path_new(c, &consumed.v[i]);
            lc_rmtree(p);
            /* a MOUNT disk's root stays (the disk is still there), only its data goes */
            if (consumed.v[i].disk_source == SDK_DISK_MOUNT) lc_mkdirs(p);
            free(p);
        }
    sdk_resources_free(&produced);
    sdk_resources_free(&consumed);
    return rc;
}

static int64_t duration_ms(const Mesos__V1__DurationInfo *d) { return d ? d->nanoseconds / 1000000 : -1; }

/* Checks one TaskInfo (§6.1, the part shared by LAUNCH and LAUNCH_GROUP); fills res. */
static int validate_task(lc_cluster *c, lc_framework *fw, lc_agent *a, const char *role, const Mesos__V1__TaskInfo *t,
                         sdk_resources *res, sdk_errors *errs) {
    sdk_resources_init(res);
    const char *tid = id_of(t->task_id);
    if (!id_string_ok(tid)) {
        sdk_errors_addf(errs, "Task ID '%s' is invalid: it must be 1-255 bytes without '/', '\\' or control characters and not '.' or '..'", tid ? tid : "");
        return SDK_EINVAL;
    }
    if (lc_task_find(c, fw->id, tid)) {
        sdk_errors_addf(errs, "Task has duplicate ID: %s", tid);
        return SDK_EINVAL;
    }
    if (!t->agent_id || strcmp(id_of(t->agent_id), a->id) != 0) {
        sdk_errors_addf(errs, "Task uses invalid agent: %s", t->agent_id ? id_of(t->agent_id) : "(none)");
        return SDK_EINVAL;
    }
    if (t->kill_policy && t->kill_policy->grace_period && t->kill_policy->grace_period->nanoseconds < 0) {
        sdk_errors_addf(errs, "Task's 'kill_policy.grace_period' must be non-negative");
        return SDK_EINVAL;
    }
    if (t->max_completion_time && t->max_completion_time->nanoseconds < 0) {
        sdk_errors_addf(errs, "Task's `max_completion_time` must be non-negative");
        return SDK_EINVAL;
    }
    if (t->container && t->container->type == MESOS__V1__CONTAINER_INFO__TYPE__DOCKER) {
        sdk_errors_addf(errs, "Docker containers are not supported by the local cluster");
        return SDK_EINVAL;
    }
    if (t->health_check) {
        const Mesos__V1__HealthCheck *h = t->health_check;
        if (h->has_type && h->type != MESOS__V1__HEALTH_CHECK__TYPE__COMMAND && h->type != MESOS__V1__HEALTH_CHECK__TYPE__UNKNOWN) {
            sdk_errors_addf(errs, "Only COMMAND health checks are supported by the local cluster");
            return SDK_EINVAL;
        }
        if (!h->command || !h->command->value) {
            sdk_errors_addf(errs, "Expecting 'command' to be set for COMMAND health check");
            return SDK_EINVAL;
        }
    }
    if (t->check) {
        const Mesos__V1__CheckInfo *k = t->check;
        if (!k->has_type || k->type != MESOS__V1__CHECK_INFO__TYPE__COMMAND || !k->command || !k->command->command ||
            !k->command->command->value) {
            sdk_errors_addf(errs, "Only COMMAND checks with 'command.command.value' are supported by the local cluster");
            return SDK_EINVAL;
        }
    }
    if (!t->n_resources) {
        sdk_errors_addf(errs, "Task uses no resources");
        return SDK_EINVAL;
    }
    if (op_resources(t->resources, t->n_resources, role, res, errs)) return SDK_EINVAL;
    for (size_t i = 0; i < res->n; i++)
        for (size_t j = 0; j < i; j++)
            if (res->v[i].persistence_id && res->v[j].persistence_id &&
                !strcmp(res->v[i].persistence_id, res->v[j].persistence_id)) {
                sdk_errors_addf(errs, "Task uses duplicate persistence ID '%s'", res->v[i].persistence_id);
                sdk_resources_free(res);
                return SDK_EINVAL;
            }
    return 0;
}

static bool executor_same(const Mesos__V1__ExecutorInfo *a, const Mesos__V1__ExecutorInfo *b) {
    size_t na = protobuf_c_message_get_packed_size(&a->base), nb = protobuf_c_message_get_packed_size(&b->base);
    if (na != nb) return false;
    uint8_t *pa = sdk_xmalloc(na + 1), *pb = sdk_xmalloc(nb + 1);
    protobuf_c_message_pack(&a->base, pa);
    protobuf_c_message_pack(&b->base, pb);
    bool same = memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return same;
}

static bool resources_overlap(const sdk_resource *a, const sdk_resource *b) {
    if (strcmp(a->name, b->name) != 0 || a->type != b->type) return false;
    if (a->type == SDK_RES_RANGES) {
        for (size_t i = 0; i < a->n_ranges; i++)
            for (size_t j = 0; j < b->n_ranges; j++)
                if (a->ranges[i].begin <= b->ranges[j].end && b->ranges[j].begin <= a->ranges[i].end) return true;
    } else if (a->type == SDK_RES_SET) {
        for (size_t i = 0; i < a->n_items; i++)
            for (size_t j = 0; j < b->n_items; j++)
                if (!strcmp(a->items[i], b->items[j])) return true;
    }
    return false;
}

static void task_error(lc_framework *fw, const Mesos__V1__TaskInfo *t, int reason, const char *msg, const lc_agent *a) {
    send_task_status(fw, id_of(t->task_id), MESOS__V1__TASK_STATE__TASK_ERROR, reason, msg, a ? a->id : NULL);
}

static void op_launch_group(lc_cluster *c, lc_framework *fw, lc_agent *a, const char *role,
                            Mesos__V1__Offer__Operation *op, sdk_resources *remaining) {
    Mesos__V1__Offer__Operation__LaunchGroup *lg = op->launch_group;
    if (!lg || !lg->task_group) return;
    const int R = MESOS__V1__TASK_STATUS__REASON__REASON_TASK_GROUP_INVALID;
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_resources need, exres, *tres = sdk_xcalloc(lg->task_group->n_tasks + 1, sizeof *tres);
    sdk_resources_init(&need);
    sdk_resources_init(&exres);
    Mesos__V1__ExecutorInfo *ei = lg->executor;
    lc_executor *ex = NULL;
    size_t ntasks = lg->task_group->n_tasks, ok_tasks = 0;
    if (op->id) sdk_errors_addf(&errs, "The `id` field cannot be set on LAUNCH_GROUP operations");
    else if (!ei || !ei->has_type || ei->type == MESOS__V1__EXECUTOR_INFO__TYPE__UNKNOWN)
        sdk_errors_addf(&errs, "'ExecutorInfo.type' must be set");
    else if (ei->type != MESOS__V1__EXECUTOR_INFO__TYPE__DEFAULT)
        sdk_errors_addf(&errs, "Only the DEFAULT executor is supported by the local cluster");
    else if (ei->command)
        sdk_errors_addf(&errs, "'ExecutorInfo.command' must not be set for 'DEFAULT' executor");
    else if (ei->container && (ei->container->type != MESOS__V1__CONTAINER_INFO__TYPE__MESOS ||
                               (ei->container->mesos && ei->container->mesos->image)))
        sdk_errors_addf(&errs, "'ExecutorInfo.container' must be of type MESOS without an image for the 'DEFAULT' executor");
    else if (!ei->framework_id)
        sdk_errors_addf(&errs, "'ExecutorInfo.framework_id' must be set");
    else if (strcmp(id_of(ei->framework_id), fw->id) != 0)
        sdk_errors_addf(&errs, "ExecutorInfo has an invalid FrameworkID (Actual: %s vs Expected: %s)", id_of(ei->framework_id), fw->id);
    else if (!id_string_ok(id_of(ei->executor_id)))
        sdk_errors_addf(&errs, "Executor ID '%s' is invalid", id_of(ei->executor_id));
    else if (ntasks == 0)
        sdk_errors_addf(&errs, "Task group is empty");
    if (!errs.n) {
        ex = lc_executor_find(c, fw->id, a, id_of(ei->executor_id));
        if (ex) {
            size_t n = protobuf_c_message_get_packed_size(&ei->base);
            uint8_t *p = sdk_xmalloc(n + 1);
            protobuf_c_message_pack(&ei->base, p);
            if (n != ex->info_len || memcmp(p, ex->info_bytes, n) != 0)
                sdk_errors_addf(&errs, "ExecutorInfo is not compatible with existing ExecutorInfo of executor '%s'", ex->id);
            free(p);
        } else if (op_resources(ei->resources, ei->n_resources, role, &exres, &errs) == 0) {
            if (sdk_resources_scalar_sum(&exres, "cpus", NULL, NULL) < 10)
                sdk_errors_addf(&errs, "Executor '%s' uses less CPUs (%.3f) than the minimum required (0.01)", id_of(ei->executor_id),
                                sdk_scalar_from_milli(sdk_resources_scalar_sum(&exres, "cpus", NULL, NULL)));
            else if (sdk_resources_scalar_sum(&exres, "mem", NULL, NULL) < 32000)
                sdk_errors_addf(&errs, "Executor '%s' uses less memory (%.3f MB) than the minimum required (32 MB)", id_of(ei->executor_id),
                                sdk_scalar_from_milli(sdk_resources_scalar_sum(&exres, "mem", NULL, NULL)));
            else if (sdk_resources_scalar_sum(&exres, "disk", NULL, NULL) <= 0)
                sdk_errors_addf(&errs, "Executor '%s' uses no disk", id_of(ei->executor_id));
            else sdk_resources_add_all(&need, &exres);
        }
    }
    for (size_t i = 0; i < ntasks && !errs.n; i++) {
        Mesos__V1__TaskInfo *t = lg->task_group->tasks[i];
        if (t->executor && !executor_same(t->executor, ei)) {
            sdk_errors_addf(&errs, "The `ExecutorInfo` of task '%s' is different from executor '%s'", id_of(t->task_id), id_of(ei->executor_id));
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(id_of(t->task_id), id_of(lg->task_group->tasks[j]->task_id)))
                sdk_errors_addf(&errs, "Task has duplicate ID: %s", id_of(t->task_id));
        if (errs.n || validate_task(c, fw, a, role, t, &tres[i], &errs) != 0) break;
        ok_tasks = i + 1;
        sdk_resources_add_all(&need, &tres[i]);
    }
    if (!errs.n) {
        /* the same port (range or set item) twice across tasks and the new executor */
        sdk_resources *all_sets = tres;
        for (size_t i = 0; i <= ntasks && !errs.n; i++) {
            const sdk_resources *a = i < ntasks ? &all_sets[i] : &exres;
            for (size_t j = i + 1; j <= ntasks && !errs.n; j++) {
                const sdk_resources *b = j < ntasks ? &all_sets[j] : &exres;
                for (size_t x = 0; x < a->n && !errs.n; x++)
                    for (size_t y = 0; y < b->n && !errs.n; y++)
                        if (resources_overlap(&a->v[x], &b->v[y]))
                            sdk_errors_addf(&errs, "Task group has overlapping '%s' resources", a->v[x].name);
            }
        }
    }
    if (!errs.n) {
        /* persistence ids across the group (tasks + new executor) */
        sdk_resources all;
        sdk_resources_init(&all);
        for (size_t i = 0; i < ntasks; i++)
            for (size_t k = 0; k < tres[i].n; k++) sdk_resources_add(&all, &tres[i].v[k]);
        for (size_t k = 0; k < exres.n; k++) sdk_resources_add(&all, &exres.v[k]);
        for (size_t i = 0; i < all.n && !errs.n; i++)
            for (size_t j = 0; j < i; j++)
                if (all.v[i].persistence_id && all.v[j].persistence_id &&
                    !strcmp(all.v[i].persistence_id, all.v[j].persistence_id)) {
                    sdk_errors_addf(&errs, "Task group uses persistence ID '%s' more than once", all.v[i].persistence_id);
                    break;
                }
        sdk_resources_free(&all);
    }
    if (!errs.n && !sdk_resources_contains_all(remaining, &need)) {
        char *n = sdk_resources_to_string_new(&need), *r = sdk_resources_to_string_new(remaining);
        sdk_errors_addf(&errs, "Total resources %s required by task group and its executor are more than available %s", n, r);
        free(n);
        free(r);
    }
    if (errs.n) {
        for (size_t i = 0; i < ntasks; i++) task_error(fw, lg->task_group->tasks[i], R, errs.msgs[0], a);
    } else {
        for (size_t i = 0; i < need.n; i++) sdk_resources_subtract(remaining, &need.v[i]);
        if (!ex) ex = lc_executor_new(c, fw, a, ei, &exres);
        unsigned group = ++c->next_group;
        for (size_t i = 0; i < ntasks; i++) lc_task_launch(c, fw, a, ex, lg->task_group->tasks[i], &tres[i], role, group);
    }
    for (size_t i = 0; i < ok_tasks; i++) sdk_resources_free(&tres[i]);
    free(tres);
    sdk_resources_free(&need);
    sdk_resources_free(&exres);
    sdk_errors_free(&errs);
}

/* Plain LAUNCH: each command task runs under its own command executor (executor id = task id). */
static void op_launch(lc_cluster *c, lc_framework *fw, lc_agent *a, const char *role, Mesos__V1__Offer__Operation *op,
                      sdk_resources *remaining) {
    if (!op->launch) return;
    const int R = MESOS__V1__TASK_STATUS__REASON__REASON_TASK_INVALID;
    for (size_t i = 0; i < op->launch->n_task_infos; i++) {
        Mesos__V1__TaskInfo *t = op->launch->task_infos[i];
        if (op->id) {
            task_error(fw, t, R, "The `id` field cannot be set on LAUNCH operations", a);
            continue;
        }
        sdk_errors errs;
        sdk_errors_init(&errs);
        sdk_resources res;
        sdk_resources_init(&res);
        if (t->executor) sdk_errors_addf(&errs, "Custom executors are not supported by the local cluster; use LAUNCH_GROUP with a DEFAULT executor");
        else if (!t->command || !t->command->value) sdk_errors_addf(&errs, "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present");
        else if (validate_task(c, fw, a, role, t, &res, &errs) == 0 && !sdk_resources_contains_all(remaining, &res)) {
            char *n = sdk_resources_to_string_new(&res), *r = sdk_resources_to_string_new(remaining);
            sdk_errors_addf(&errs, "Task uses more resources %s than available %s", n, r);
            free(n);
            free(r);
        }
        if (errs.n) task_error(fw, t, R, errs.msgs[0], a);
        else {
            for (size_t k = 0; k < res.n; k++) sdk_resources_subtract(remaining, &res.v[k]);
            Mesos__V1__ExecutorInfo ei = MESOS__V1__EXECUTOR_INFO__INIT;
            Mesos__V1__ExecutorID eid = MESOS__V1__EXECUTOR_ID__INIT;
            eid.value = id_of(t->task_id) ? (char *)id_of(t->task_id) : "";
            ei.executor_id = &eid;
            ei.has_type = true;
            ei.type = MESOS__V1__EXECUTOR_INFO__TYPE__DEFAULT;
            sdk_resources none;
            sdk_resources_init(&none);
            lc_executor *ex = lc_executor_new(c, fw, a, &ei, &none);
            lc_task_launch(c, fw, a, ex, t, &res, role, ++c->next_group);
        }
        sdk_resources_free(&res);
        sdk_errors_free(&errs);
    }
}

static void invalid_offers(lc_cluster *c, lc_framework *fw, Mesos__V1__Scheduler__Call__Accept *acc, const char *why) {
    for (size_t i = 0; i < acc->n_offer_ids; i++) {
        lc_offer *o = offer_find(c, id_of(acc->offer_ids[i]));
        if (o && o->fw == fw) offer_free(offer_take(c, o->id));
    }
    char *msg = sdk_asprintf_new("Task launched with invalid offers: %s", why);
    int state = fw->partition_aware ? MESOS__V1__TASK_STATE__TASK_DROPPED : MESOS__V1__TASK_STATE__TASK_LOST;
    for (size_t i = 0; i < acc->n_operations; i++) {
        Mesos__V1__Offer__Operation *op = acc->operations[i];
        if (op->launch)
            for (size_t k = 0; k < op->launch->n_task_infos; k++)
                send_task_status(fw, id_of(op->launch->task_infos[k]->task_id), state,
                                 MESOS__V1__TASK_STATUS__REASON__REASON_INVALID_OFFERS, msg, NULL);
        if (op->launch_group && op->launch_group->task_group)
            for (size_t k = 0; k < op->launch_group->task_group->n_tasks; k++)
                send_task_status(fw, id_of(op->launch_group->task_group->tasks[k]->task_id), state,
                                 MESOS__V1__TASK_STATUS__REASON__REASON_INVALID_OFFERS, msg, NULL);
    }
    SDK_INFO(MOD, "ACCEPT from %s with invalid offers: %s", fw->id, why);
    free(msg);
    lc_allocate_soon(c);
}

static void do_accept(lc_cluster *c, lc_framework *fw, Mesos__V1__Scheduler__Call__Accept *acc) {
    char *why = NULL;
    lc_agent *a = NULL;
    const char *role = NULL;
    if (!acc->n_offer_ids) why = sdk_xstrdup("No offers specified");
    for (size_t i = 0; i < acc->n_offer_ids && !why; i++) {
        const char *oid = id_of(acc->offer_ids[i]);
        for (size_t j = 0; j < i && !why; j++)
            if (!strcmp(oid, id_of(acc->offer_ids[j]))) why = sdk_asprintf_new("Duplicate offer %s in ACCEPT", oid);
        if (why) break;
        lc_offer *o = offer_find(c, oid);
        if (!o) why = sdk_asprintf_new("Offer %s is no longer valid", oid);
        else if (o->fw != fw) why = sdk_asprintf_new("Offer %s has invalid framework %s while framework %s is expected", oid, o->fw->id, fw->id);
        else if (role && strcmp(role, o->role) != 0) why = sdk_xstrdup("Aggregated offers must be allocated to the same role");
        else if (a && a != o->agent) why = sdk_xstrdup("Aggregated offers must belong to one single agent");
        else {
            role = o->role;
            a = o->agent;
        }
    }
    if (why) {
        invalid_offers(c, fw, acc, why);
        free(why);
        return;
    }
    char *role_copy = sdk_xstrdup(role);
    sdk_resources offered, remaining;
    sdk_resources_init(&offered);
    for (size_t i = 0; i < acc->n_offer_ids; i++) {
        lc_offer *o = offer_take(c, id_of(acc->offer_ids[i]));
        sdk_resources_add_all(&offered, &o->res);
        offer_free(o);
    }
    sdk_resources_copy(&remaining, &offered);
    for (size_t i = 0; i < acc->n_operations; i++) {
        Mesos__V1__Offer__Operation *op = acc->operations[i];
        int type = op->has_type ? (int)op->type : 0;
        sdk_errors errs;
        sdk_errors_init(&errs);
        int rc = SDK_EINVAL;
        switch (type) {
        case MESOS__V1__OFFER__OPERATION__TYPE__LAUNCH:
            op_launch(c, fw, a, role_copy, op, &remaining);
            rc = 0;
            break;
        case MESOS__V1__OFFER__OPERATION__TYPE__LAUNCH_GROUP:
            op_launch_group(c, fw, a, role_copy, op, &remaining);
            rc = 0;
            break;
        case MESOS__V1__OFFER__OPERATION__TYPE__RESERVE:
        case MESOS__V1__OFFER__OPERATION__TYPE__UNRESERVE:
        case MESOS__V1__OFFER__OPERATION__TYPE__CREATE:
        case MESOS__V1__OFFER__OPERATION__TYPE__DESTROY:
            if (op->id) {
                sdk_errors_addf(&errs, "Operation feedback (the `id` field) needs an agent with the RESOURCE_PROVIDER and AGENT_OPERATION_FEEDBACK capabilities; the local cluster's agents have neither");
                break;
            }
            if (type == MESOS__V1__OFFER__OPERATION__TYPE__RESERVE) rc = op_reserve(c, fw, a, role_copy, op, &remaining, &errs);
            else if (type == MESOS__V1__OFFER__OPERATION__TYPE__UNRESERVE) rc = op_unreserve(fw, a, role_copy, op, &remaining, &errs);
            else if (type == MESOS__V1__OFFER__OPERATION__TYPE__CREATE) rc = op_create(c, fw, a, role_copy, op, &remaining, &errs);
            else rc = op_destroy(c, a, role_copy, op, &remaining, &errs);
            break;
        default:
            sdk_errors_addf(&errs, "Operation type %d is not supported by the local cluster", type);
        }
        if (rc) {
            SDK_INFO(MOD, "framework %s: dropped operation %zu: %s", fw->id, i, errs.n ? errs.msgs[0] : "?");
            if (op->id && type != MESOS__V1__OFFER__OPERATION__TYPE__LAUNCH &&
                type != MESOS__V1__OFFER__OPERATION__TYPE__LAUNCH_GROUP)
                send_operation_error(fw, op->id, errs.n ? errs.msgs[0] : "invalid operation");
        }
        sdk_errors_free(&errs);
    }
    /* Leftovers: what came from the offer is declined with the filter; converted resources are not. */
    sdk_resources refused;
    sdk_resources_init(&refused);
    for (size_t i = 0; i < remaining.n; i++)
        if (sdk_resources_contains(&offered, &remaining.v[i])) sdk_resources_add(&refused, &remaining.v[i]);
    add_filter(fw, role_copy, a, &refused, acc->filters ? acc->filters->refuse_seconds : 5.0);
    sdk_resources_free(&refused);
    sdk_resources_free(&remaining);
    sdk_resources_free(&offered);
    free(role_copy);
    /* No allocation here: what the ACCEPT left is offered by the next periodic cycle (see
     * do_decline). */
}

/* ------------------------------------------------------------------ other calls */

static bool roles_ok_for(lc_framework *fw, char **roles, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!fw_has_role(fw, roles[i])) return false;
    return true;
}

static void do_suppress(lc_framework *fw, char **roles, size_t n) {
    if (!roles_ok_for(fw, roles, n)) return;
    if (!n) {
        roles = fw->roles;
        n = fw->n_roles;
    }
    for (size_t i = 0; i < n; i++) {
        if (fw_suppressed(fw, roles[i])) continue;
        fw->suppressed = sdk_xrealloc(fw->suppressed, (fw->n_suppressed + 1) * sizeof *fw->suppressed);
        fw->suppressed[fw->n_suppressed++] = sdk_xstrdup(roles[i]);
    }
}

static void do_revive(lc_framework *fw, char **roles, size_t n) {
    if (!roles_ok_for(fw, roles, n)) return;
    if (!n) {
        roles = fw->roles;
        n = fw->n_roles;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < fw->n_suppressed;)
            if (!strcmp(fw->suppressed[k], roles[i])) {
                free(fw->suppressed[k]);
                fw->suppressed[k] = fw->suppressed[--fw->n_suppressed];
            } else k++;
        for (size_t ai = 0; fw->filters && ai < fw->c->n_agents; ai++)
            for (lc_filter **pp = &fw->filters[ai]; *pp;) {
                lc_filter *f = *pp;
                if (!strcmp(f->role, roles[i])) {
                    *pp = f->next;
                    f->next = NULL;
                    filters_free(f);
                } else pp = &f->next;
            }
    }
    lc_allocate_soon(fw->c);
}

static void do_decline(lc_cluster *c, lc_framework *fw, Mesos__V1__Scheduler__Call__Decline *d) {
    double secs = d->filters ? d->filters->refuse_seconds : 5.0;
    for (size_t i = 0; i < d->n_offer_ids; i++) {
        lc_offer *o = offer_find(c, id_of(d->offer_ids[i]));
        if (!o || o->fw != fw) continue;
        offer_unlink(c, o);
        add_filter(fw, o->role, o->agent, &o->res, secs);
        offer_free(o);
    }
    /* No allocation here: as in Mesos, whose allocator returns declined resources (and what an
     * ACCEPT left) to the agent without allocating (HierarchicalAllocatorProcess::recoverResources
     * in apache/mesos src/master/allocator/mesos/hierarchical.cpp calls no allocate()); they are
     * offered by the next batch allocation, one allocation interval later. Allocating them at once
     * sent a framework a stream of one-agent OFFERS events while it was launching: a scheduler
     * that fills the offers it has then piled hundreds of pods onto the few agents that came back
     * first (10,000 pods on 2,000 agents: 45 agents held 65 to 343 pods each, most others one). */
}

static void reconcile_one(lc_cluster *c, lc_framework *fw, const char *task_id, const char *agent_id) {
    lc_task *t = lc_task_find(c, fw->id, task_id);
    const int R = MESOS__V1__TASK_STATUS__REASON__REASON_RECONCILIATION;
    if (t) {
        int st = t->forwarded_state >= 0 ? t->forwarded_state : t->state;
        Mesos__V1__TaskStatus *s = lc_status_new(task_id, st, MESOS__V1__TASK_STATUS__SOURCE__SOURCE_MASTER, R,
                                                 "Reconciliation: Latest task state", t->agent->id);
        s->executor_id = id_new(&mesos__v1__executor_id__descriptor, t->ex->id);
        if (t->healthy >= 0) {
            s->has_healthy = true;
            s->healthy = t->healthy == 1;
        }
        lc_send_status(fw, s);
        protobuf_c_message_free_unpacked(&s->base, NULL);
        return;
    }
    lc_agent *a = NULL;
    for (size_t i = 0; agent_id && i < c->n_agents; i++)
        if (!strcmp(c->agents[i]->id, agent_id)) a = c->agents[i];
    bool pa = fw->partition_aware;
    if (a && a->gone)
        send_task_status(fw, task_id, pa ? MESOS__V1__TASK_STATE__TASK_GONE_BY_OPERATOR : MESOS__V1__TASK_STATE__TASK_LOST, R,
                         "Reconciliation: Task is gone", agent_id);
    else if (a)
        send_task_status(fw, task_id, pa ? MESOS__V1__TASK_STATE__TASK_GONE : MESOS__V1__TASK_STATE__TASK_LOST, R,
                         "Reconciliation: Task is unknown to the agent", agent_id);
    else
        send_task_status(fw, task_id, pa ? MESOS__V1__TASK_STATE__TASK_UNKNOWN : MESOS__V1__TASK_STATE__TASK_LOST, R,
                         "Reconciliation: Task is unknown", agent_id);
}

static void do_reconcile(lc_cluster *c, lc_framework *fw, Mesos__V1__Scheduler__Call__Reconcile *r) {
    if (r->n_tasks == 0) {
        for (lc_task *t = c->tasks; t; t = t->next)
            if (!strcmp(t->fw_id, fw->id)) reconcile_one(c, fw, t->id, t->agent->id);
        return;
    }
    for (size_t i = 0; i < r->n_tasks; i++)
        reconcile_one(c, fw, id_of(r->tasks[i]->task_id), id_of(r->tasks[i]->agent_id));
}

static void do_kill(lc_cluster *c, lc_framework *fw, Mesos__V1__Scheduler__Call__Kill *k) {
    lc_task *t = lc_task_find(c, fw->id, id_of(k->task_id));
    if (!t) {
        reconcile_one(c, fw, id_of(k->task_id), id_of(k->agent_id));
        return;
    }
    if (k->agent_id && strcmp(id_of(k->agent_id), t->agent->id) != 0) return;
    int64_t grace = -1;
    if (k->kill_policy && k->kill_policy->grace_period) grace = duration_ms(k->kill_policy->grace_period);
    lc_task_kill(t, grace, -1);
}

/* ------------------------------------------------------------------ HTTP endpoint */

/* Is `type` acceptable under the Accept header value (q > 0 for it, a wildcard or a match)? */
static bool accepts(const char *accept, const char *type) {
    if (!accept || !*accept) return true;
    char *copy = sdk_xstrdup(accept);
    bool ok = false;
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *semi = strchr(item, ';');
        double q = 1.0;
        if (semi) {
            *semi = 0;
            char *qp = strstr(semi + 1, "q=");
            if (qp) q = strtod(qp + 2, NULL);
        }
        while (*item == ' ') item++;
        size_t n = strlen(item);
        while (n && item[n - 1] == ' ') item[--n] = 0;
        if (q <= 0) continue;
        if (!strcmp(item, "*/*") || !strcmp(item, "application/*") || !strcasecmp(item, type)) ok = true;
    }
    free(copy);
    return ok;
}

static char *validate_call(const Call *call) {
    if (!call->has_type) return sdk_xstrdup("Expecting 'type' to be present");
    if (call->type == MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE) {
        if (!call->subscribe) return sdk_xstrdup("Expecting 'subscribe' to be present");
        const char *a = id_of(call->framework_id), *b = id_of(call->subscribe->framework_info->id);
        if (!sdk_streq(a, b)) return sdk_xstrdup("'framework_id' differs from 'subscribe.framework_info.id'");
        return NULL;
    }
    if (!call->framework_id) return sdk_xstrdup("Expecting 'framework_id' to be present");
    switch (call->type) {
#define NEED(field, name) if (!call->field) return sdk_xstrdup("Expecting '" name "' to be present"); break
    case MESOS__V1__SCHEDULER__CALL__TYPE__ACCEPT: NEED(accept, "accept");
    case MESOS__V1__SCHEDULER__CALL__TYPE__DECLINE: NEED(decline, "decline");
    case MESOS__V1__SCHEDULER__CALL__TYPE__ACCEPT_INVERSE_OFFERS: NEED(accept_inverse_offers, "accept_inverse_offers");
    case MESOS__V1__SCHEDULER__CALL__TYPE__DECLINE_INVERSE_OFFERS: NEED(decline_inverse_offers, "decline_inverse_offers");
    case MESOS__V1__SCHEDULER__CALL__TYPE__KILL: NEED(kill, "kill");
    case MESOS__V1__SCHEDULER__CALL__TYPE__SHUTDOWN: NEED(shutdown, "shutdown");
    case MESOS__V1__SCHEDULER__CALL__TYPE__RECONCILE: NEED(reconcile, "reconcile");
    case MESOS__V1__SCHEDULER__CALL__TYPE__RECONCILE_OPERATIONS: NEED(reconcile_operations, "reconcile_operations");
    case MESOS__V1__SCHEDULER__CALL__TYPE__MESSAGE: NEED(message, "message");
    case MESOS__V1__SCHEDULER__CALL__TYPE__REQUEST: NEED(request, "request");
    case MESOS__V1__SCHEDULER__CALL__TYPE__ACKNOWLEDGE:
        if (!call->acknowledge) return sdk_xstrdup("Expecting 'acknowledge' to be present");
        if (call->acknowledge->uuid.len != 16) return sdk_xstrdup("Not a valid UUID");
        break;
    case MESOS__V1__SCHEDULER__CALL__TYPE__ACKNOWLEDGE_OPERATION_STATUS:
        if (!call->acknowledge_operation_status) return sdk_xstrdup("Expecting 'acknowledge_operation_status' to be present");
        if (call->acknowledge_operation_status->uuid.len != 16) return sdk_xstrdup("Not a valid UUID");
        if (!call->acknowledge_operation_status->agent_id) return sdk_xstrdup("Expecting 'agent_id' to be present");
        break;
    case MESOS__V1__SCHEDULER__CALL__TYPE__UPDATE_FRAMEWORK:
        if (!call->update_framework) return sdk_xstrdup("Expecting 'update_framework' to be present");
        if (!sdk_streq(id_of(call->framework_id), id_of(call->update_framework->framework_info->id)))
            return sdk_xstrdup("'framework_id' differs from 'update_framework.framework_info.id'");
        break;
    default:
        break;
#undef NEED
    }
    return NULL;
}

static Mesos__V1__MasterInfo *master_info_new(lc_cluster *c) {
    Mesos__V1__MasterInfo *m = pb_new(&mesos__v1__master_info__descriptor);
    m->id = sdk_xstrdup(c->master_id);
    m->ip = 16777343; /* 127.0.0.1, network-order bytes read little-endian */
    m->port = c->port;
    m->pid = sdk_asprintf_new("master@127.0.0.1:%u", c->port);
    m->hostname = sdk_xstrdup(c->opt.hostname);
    m->version = sdk_xstrdup("1.11.0");
    m->address = pb_new(&mesos__v1__address__descriptor);
    m->address->hostname = sdk_xstrdup(c->opt.hostname);
    m->address->ip = sdk_xstrdup("127.0.0.1");
    m->address->port = c->port;
    m->n_capabilities = 3;
    m->capabilities = sdk_xcalloc(3, sizeof *m->capabilities);
    for (int i = 0; i < 3; i++) {
        m->capabilities[i] = pb_new(&mesos__v1__master_info__capability__descriptor);
        m->capabilities[i]->has_type = true;
        m->capabilities[i]->type = i + 1;
    }
    return m;
}

static void do_subscribe(lc_cluster *c, lc_req *req, const Call *call, bool json) {
    Mesos__V1__Scheduler__Call__Subscribe *sub = call->subscribe;
    const Mesos__V1__FrameworkInfo *fi = sub->framework_info;
    char sid[SDK_UUID_STRLEN + 1];
    sdk_uuid_generate(sid);
    char *err = validate_framework_info(fi, sub->suppressed_roles, sub->n_suppressed_roles);
    const char *want = id_of(fi->id);
    lc_framework *fw = lc_framework_find(c, want);
    if (!err && want && !fw)
        for (size_t i = 0; i < c->n_removed; i++)
            if (!strcmp(c->removed[i], want)) err = sdk_xstrdup("Framework has been removed");
    if (!err && fw && !sdk_streq(fw->info->principal, fi->principal))
        err = sdk_xstrdup("Changing framework's principal is not allowed.");
    if (err) { /* a temporary framework carries the stream for the one ERROR event */
        lc_framework tmp = {.c = c, .json = json, .stream = req};
        lc_req_stream_start(req, 200, json ? CT_JSON : CT_PB, "Mesos-Stream-Id", sid, NULL, NULL);
        send_error(&tmp, err);
        lc_req_stream_end(req);
        SDK_INFO(MOD, "SUBSCRIBE refused: %s", err);
        free(err);
        return;
    }
    if (fw) {
        if (fw->stream) {
            send_error(fw, "Framework failed over");
            lc_req_stream_end(fw->stream);
            fw->stream = NULL;
        }
        if (fw->failover_timer) sdk_loop_timer_cancel(c->loop, fw->failover_timer);
        fw->failover_timer = 0;
        lc_rescind_offers(c, NULL, fw, false);
    } else {
        fw = sdk_xcalloc(1, sizeof *fw);
        fw->c = c;
        fw->id = want ? sdk_xstrdup(want) : sdk_asprintf_new("%s-%04u", c->master_id, c->next_fw++);
        fw->next = c->frameworks;
        c->frameworks = fw;
    }
    fw_set_info(fw, fi, sub->suppressed_roles, sub->n_suppressed_roles);
    fw->json = json;
    fw->stream = req;
    snprintf(fw->stream_id, sizeof fw->stream_id, "%s", sid);
    lc_req_stream_start(req, 200, json ? CT_JSON : CT_PB, "Mesos-Stream-Id", sid, on_stream_closed, fw);
    SDK_INFO(MOD, "framework %s (%s) subscribed, roles:%s%s", fw->id, fi->name, fw->n_roles ? " " : "",
             fw->n_roles ? fw->roles[0] : "");
    Mesos__V1__Scheduler__Event__Subscribed s = MESOS__V1__SCHEDULER__EVENT__SUBSCRIBED__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = fw->id;
    s.framework_id = &fid;
    s.has_heartbeat_interval_seconds = true;
    s.heartbeat_interval_seconds = c->opt.heartbeat_s;
    s.master_info = master_info_new(c);
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = true;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__SUBSCRIBED;
    ev.subscribed = &s;
    lc_send_event(fw, &ev);
    protobuf_c_message_free_unpacked(&s.master_info->base, NULL);
    send_simple(fw, MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT);
    lc_resend_updates(c, fw);
    lc_allocate_soon(c);
}

static void handle_scheduler(lc_cluster *c, lc_req *req) {
    if (strcmp(lc_req_method(req), "POST") != 0) {
        lc_req_respond(req, 405, TEXT, "", 0, "Allow", "POST");
        return;
    }
    const char *ct = lc_req_header(req, "Content-Type");
    if (!ct) {
        lc_req_text(req, 400, "Expecting 'Content-Type' to be present");
        return;
    }
    bool json_in = strcmp(ct, CT_JSON) == 0;
    if (!json_in && strcmp(ct, CT_PB) != 0) {
        char *m = sdk_asprintf_new("Expecting 'Content-Type' of %s or %s", CT_JSON, CT_PB);
        lc_req_text(req, 415, m);
        free(m);
        return;
    }
    size_t len;
    const char *body = lc_req_body(req, &len);
    Call *call = NULL;
    if (json_in) {
        json_error_t jerr;
        json_t *j = json_loadb(body, len, 0, &jerr);
        if (!j) {
            char *m = sdk_asprintf_new("Failed to parse body into JSON: %s", jerr.text);
            lc_req_text(req, 400, m);
            free(m);
            return;
        }
        sdk_errors errs;
        sdk_errors_init(&errs);
        ProtobufCMessage *m = NULL;
        int rc = sdk_pbjson_to_message_new(&mesos__v1__scheduler__call__descriptor, j, &m, &errs);
        json_decref(j);
        if (rc) {
            char *t = sdk_asprintf_new("Failed to convert JSON into Call protobuf: %s", errs.n ? errs.msgs[0] : "?");
            lc_req_text(req, 400, t);
            free(t);
            sdk_errors_free(&errs);
            return;
        }
        sdk_errors_free(&errs);
        call = (Call *)m;
    } else {
        call = mesos__v1__scheduler__call__unpack(NULL, len, (const uint8_t *)body);
        if (!call) {
            lc_req_text(req, 400, "Failed to parse body into Call protobuf");
            return;
        }
    }
    char *verr = validate_call(call);
    if (verr) {
        char *m = sdk_asprintf_new("Failed to validate scheduler::Call: %s", verr);
        lc_req_text(req, 400, m);
        free(m);
        free(verr);
        goto done;
    }
    if (call->type == MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE) {
        const char *acc = lc_req_header(req, "Accept");
        bool json_out = accepts(acc, CT_JSON);
        if (!json_out && !accepts(acc, CT_PB)) {
            lc_req_text(req, 406, "Expecting 'Accept' to allow 'application/json' or 'application/x-protobuf'");
            goto done;
        }
        if (lc_req_header(req, "Mesos-Stream-Id")) {
            lc_req_text(req, 400, "Subscribe calls should not include the 'Mesos-Stream-Id' header");
            goto done;
        }
        do_subscribe(c, req, call, json_out);
        goto done;
    }
    lc_framework *fw = lc_framework_find(c, id_of(call->framework_id));
    if (!fw) {
        lc_req_text(req, 400, "Framework cannot be found");
        goto done;
    }
    if (!fw->stream) {
        lc_req_text(req, 403, "Framework is not subscribed");
        goto done;
    }
    const char *sid = lc_req_header(req, "Mesos-Stream-Id");
    if (!sid) {
        lc_req_text(req, 400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
        goto done;
    }
    if (strcmp(sid, fw->stream_id) != 0) {
        char *m = sdk_asprintf_new("The stream ID '%s' included in this request didn't match the stream ID currently associated with framework ID %s",
                                   sid, fw->id);
        lc_req_text(req, 400, m);
        free(m);
        goto done;
    }
    switch ((int)call->type) {
    case MESOS__V1__SCHEDULER__CALL__TYPE__UNKNOWN:
        lc_req_text(req, 501, "Received an unexpected 'UNKNOWN' call");
        goto done;
    case MESOS__V1__SCHEDULER__CALL__TYPE__UPDATE_FRAMEWORK: {
        Mesos__V1__Scheduler__Call__UpdateFramework *u = call->update_framework;
        char *err = validate_framework_info(u->framework_info, u->suppressed_roles, u->n_suppressed_roles);
        if (!err && !sdk_streq(fw->info->principal, u->framework_info->principal))
            err = sdk_xstrdup("Changing framework's principal is not allowed.");
        if (err) {
            lc_req_text(req, 400, err);
            free(err);
            goto done;
        }
        fw_set_info(fw, u->framework_info, u->suppressed_roles, u->n_suppressed_roles);
        for (lc_offer *o = c->offers, *n; o; o = n) { /* offers of removed roles are rescinded */
            n = o->next;
            if (o->fw != fw || fw_has_role(fw, o->role)) continue;
            offer_unlink(c, o);
            send_rescind(fw, o->id);
            offer_free(o);
        }
        lc_req_respond(req, 200, NULL, "", 0, NULL, NULL);
        lc_allocate_soon(c);
        goto done;
    }
    default:
        break;
    }
    lc_req_respond(req, 202, NULL, "", 0, NULL, NULL);
    switch ((int)call->type) {
    case MESOS__V1__SCHEDULER__CALL__TYPE__TEARDOWN:
        remove_framework(c, fw, "TEARDOWN");
        break;
    case MESOS__V1__SCHEDULER__CALL__TYPE__ACCEPT:
        do_accept(c, fw, call->accept);
        break;
    case MESOS__V1__SCHEDULER__CALL__TYPE__DECLINE:
        do_decline(c, fw, call->decline);
        break;
    case MESOS__V1__SCHEDULER__CALL__TYPE__REVIVE:
        if (call->revive) do_revive(fw, call->revive->roles, call->revive->n_roles);
        else do_revive(fw, NULL, 0);
        break;
    case MESOS__V1__SCHEDULER__CALL__TYPE__SUPPRESS:
        if (call->suppress) do_suppress(fw, call->suppress->roles, call->suppress->n_roles);
        else do_suppress(fw, NULL, 0);
        break;
    case MESOS__V1__SCHEDULER__CALL__TYPE__KILL:
        do_kill(c, fw, call->kill);
        break;
    case MESOS__V1__SCHEDULER__CALL__TYPE__SHUTDOWN:
        for (lc_task *t = c->tasks; t; t = t->next)
            if (!strcmp(t->fw_id, fw->id) && !strcmp(t->ex->id, id_of(call->shutdown->executor_id)) &&
                !strcmp(t->agent->id, id_of(call->shutdown->agent_id)))
                lc_task_kill(t, 3000, -1);
        break;
    case MESOS__V1__SCHEDULER__CALL__TYPE__ACKNOWLEDGE: {
        lc_task *t = lc_task_find(c, fw->id, id_of(call->acknowledge->task_id));
        if (t && !strcmp(t->agent->id, id_of(call->acknowledge->agent_id))) lc_task_ack(t, call->acknowledge->uuid.data);
        break;
    }
    case MESOS__V1__SCHEDULER__CALL__TYPE__RECONCILE:
        do_reconcile(c, fw, call->reconcile);
        break;
    default: /* MESSAGE, REQUEST, inverse offers, operation feedback: accepted and ignored */
        break;
    }
done:
    protobuf_c_message_free_unpacked(&call->base, NULL);
}

static void on_request(lc_req *req, void *ud) {
    lc_cluster *c = ud;
    const char *path = lc_req_path(req);
    if (!strcmp(path, "/api/v1/scheduler") || !strcmp(path, "/master/api/v1/scheduler")) handle_scheduler(c, req);
    else if (sdk_str_starts(path, "/localcluster/")) lc_admin_handle(c, req);
    else lc_req_text(req, 404, "");
}

int lc_cluster_start(lc_cluster *c, sdk_errors *errs) {
    int rc = lc_http_new(c->loop, c->opt.bind, on_request, c, &c->http, errs);
    if (rc) return rc;
    c->port = lc_http_port(c->http);
    for (size_t i = 0; i < c->n_agents; i++) /* each agent's /state and /files (files.c) */
        if ((rc = lc_files_agent_start(c->agents[i], errs))) return rc;
    sdk_loop_timer_every(c->loop, c->opt.allocation_ms, on_alloc_tick, c, &c->alloc_timer);
    sdk_loop_timer_every(c->loop, (uint64_t)(c->opt.heartbeat_s * 1000), on_heartbeat, c, &c->hb_timer);
    return 0;
}

void lc_cluster_stop(lc_cluster *c) {
    lc_state_close(c);
    SDK_INFO(MOD, "persistence: %lu snapshot(s), %lu journal append(s), %llu bytes written", c->state_writes,
             c->state_appends, c->state_bytes);
    lc_http_free(c->http); /* streams close: frameworks see on_stream_closed */
    c->http = NULL;
    while (c->offers) {
        lc_offer *o = c->offers;
        offer_unlink(c, o);
        offer_free(o);
    }
    sdk_strmap_free(&c->offer_index);
    free(c->alloc_agents);
    c->alloc_agents = NULL;
    c->n_alloc_agents = 0;
    lc_agent_free_all(c);
    for (size_t i = 0; i < c->n_agents; i++) lc_files_agent_stop(c->agents[i]);
    while (c->frameworks) {
        lc_framework *fw = c->frameworks;
        c->frameworks = fw->next;
        if (fw->failover_timer) sdk_loop_timer_cancel(c->loop, fw->failover_timer);
        fw_free(fw);
    }
    strv_free(c->removed, c->n_removed);
    c->removed = NULL;
    c->n_removed = 0;
}
