/* Offer evaluation pipeline (sdk-behaviour.md §8.3): stages, resource matching, reservations.
 * Contracts in evaluate.h. Task descriptions are built in launch.c. */
#include "core/offer/eval_internal.h"
#include "core/mapping/mapping.h"
#include "core/mapping/task.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sdk_op_type_name(sdk_op_type t) {
    static const char *const n[] = {"RESERVE", "UNRESERVE", "CREATE", "DESTROY", "LAUNCH_GROUP"};
    return (unsigned)t < 5 ? n[t] : "UNKNOWN";
}

const char *sdk_kv_get(const sdk_kv *kv, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(kv[i].key, key)) return kv[i].value;
    return NULL;
}

/* ================================================================ lifecycle */

void sdk_operation_free_contents(sdk_operation *op) {
    if (!op) return;
    sdk_resources_free(&op->resources);
    if (op->executor) {
        sdk_executor_desc_free_contents(op->executor);
        free(op->executor);
    }
    for (size_t i = 0; i < op->n_tasks; i++) sdk_task_desc_free_contents(&op->tasks[i]);
    free(op->tasks);
    memset(op, 0, sizeof *op);
}

void sdk_eval_result_free(sdk_eval_result *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_ops; i++) sdk_operation_free_contents(&r->ops[i]);
    free(r->ops);
    for (size_t i = 0; i < r->n_stored; i++) sdk_task_desc_free_contents(&r->stored[i]);
    free(r->stored);
    for (size_t i = 0; i < r->n_outcomes; i++) {
        sdk_offer_outcome *o = &r->outcomes[i];
        for (size_t k = 0; k < o->n_stages; k++) { free(o->stages[k].stage); free(o->stages[k].reason); }
        free(o->stages);
        free(o->offer_id);
    }
    free(r->outcomes);
    sdk_resources_free(&r->remaining);
    memset(r, 0, sizeof *r);
}

void sdk_launch_record_from_task(const sdk_task_desc *t, const sdk_executor_desc *ex, sdk_launch_record *rec) {
    memset(rec, 0, sizeof *rec);
    rec->task_name = t->name;
    rec->agent_id = t->agent_id;
    rec->executor_id = ex ? ex->executor_id : NULL;
    rec->resources = &t->resources;
    rec->executor_resources = ex ? &ex->resources : NULL;
    rec->executor_container = ex ? ex->container : NULL;
    rec->executor_container_len = ex ? ex->container_len : 0;
    rec->ports = t->assigned_ports;
    rec->n_ports = t->n_assigned_ports;
}

/* ================================================================ helpers */

/* One pool of random bytes for every UUID of the process (core/util/uuid.c: 4 KiB per
 * getrandom(2) call, never shared with a forked child). */
void sdk_ev_uuid(sdk_ev *e, char out[37]) {
    (void)e;
    sdk_uuid_generate(out);
}

static void stage_take(sdk_offer_outcome *oc, char *name_take, bool pass, char *reason_take) {
    /* capacity is implied by n_stages (8, then the next power of two): one allocation for the
     * usual outcome instead of one per stage; consumers take the array as it is */
    size_t n = oc->n_stages;
    if (n == 0 || (n >= 8 && (n & (n - 1)) == 0))
        oc->stages = sdk_xrealloc(oc->stages, (n ? 2 * n : 8) * sizeof *oc->stages);
    oc->stages[oc->n_stages].stage = name_take;
    oc->stages[oc->n_stages].pass = pass;
    oc->stages[oc->n_stages].reason = reason_take ? reason_take : sdk_xstrdup("");
    oc->n_stages++;
}

static void stage(sdk_offer_outcome *oc, const char *name, bool pass, char *reason_take) {
    stage_take(oc, sdk_xstrdup(name), pass, reason_take);
}

/* Appends r to rs, taking its contents (r is left empty). One entry per operation: never merge
 * (each carries its own resource_id anyway). Returns its index. */
static size_t list_take(sdk_resources *rs, sdk_resource *r) {
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 4;
        rs->v = sdk_xrealloc(rs->v, rs->cap * sizeof *rs->v);
    }
    rs->v[rs->n] = *r;
    memset(r, 0, sizeof *r);
    return rs->n++;
}

/* Appends a copy of r to rs. */
static size_t list_push(sdk_resources *rs, const sdk_resource *r) {
    sdk_resource c;
    sdk_resource_copy(&c, r);
    return list_take(rs, &c);
}

/* ---------------------------------------------------------------- deferred work (see sdk_ev) */

typedef struct sdk_ev_add {
    sdk_resources *dst;         /* e->exec_res or e->set_res[s] */
    const sdk_resources *list;  /* the entry list[idx] (e->reserves, e->creates, e->held), or */
    size_t idx;
    const sdk_resource *r;      /* a borrowed resource of the request (list NULL) */
} sdk_ev_add;

static void add_later(sdk_ev *e, sdk_resources *dst, const sdk_resources *list, size_t idx, const sdk_resource *r) {
    if (e->n_adds == e->cap_adds) {
        e->cap_adds = e->cap_adds ? e->cap_adds * 2 : 8;
        e->adds = sdk_xrealloc(e->adds, e->cap_adds * sizeof *e->adds);
    }
    e->adds[e->n_adds++] = (sdk_ev_add){dst, list, idx, r};
}

/* dst gets r (taken) at commit. */
static void add_held(sdk_ev *e, sdk_resources *dst, sdk_resource *r_take) {
    add_later(e, dst, &e->held, list_take(&e->held, r_take), NULL);
}

/* Appends r (taken) to e->reserves; pending: it still lacks our reservation. Returns its index. */
static size_t reserves_take(sdk_ev *e, sdk_resource *r_take, bool pending) {
    size_t i = list_take(&e->reserves, r_take);
    if (e->cap_pending < e->reserves.cap) {
        e->cap_pending = e->reserves.cap;
        e->res_pending = sdk_xrealloc(e->res_pending, e->cap_pending * sizeof *e->res_pending);
    }
    e->res_pending[i] = pending;
    return i;
}

static void mark_matched(sdk_ev *e, const char *rid) {
    if (!rid) return;
    if (e->n_matched == e->cap_matched) {
        e->cap_matched = e->cap_matched ? e->cap_matched * 2 : 8;
        e->matched = sdk_xrealloc(e->matched, e->cap_matched * sizeof *e->matched);
    }
    e->matched[e->n_matched++] = sdk_xstrdup(rid);
}

static bool is_matched(const sdk_ev *e, const char *rid) {
    for (size_t i = 0; i < e->n_matched; i++)
        if (!strcmp(e->matched[i], rid)) return true;
    return false;
}

/* Resources we may reserve fresh: unreserved, or statically/dynamically held by the pre-reserved role. */
static bool fresh_source(const sdk_ev *e, const sdk_resource *r) {
    if (r->persistence_id) return false;
    if (!e->pre_role) return r->n_reservations == 0;
    return r->n_reservations == 1 && sdk_streq(r->reservations[0].role, e->pre_role);
}

static void add_label(sdk_reservation *v, const char *k, const char *val) {
    v->labels = sdk_xrealloc(v->labels, (v->n_labels + 1) * sizeof *v->labels);
    v->labels[v->n_labels].key = sdk_xstrdup(k);
    v->labels[v->n_labels].value = sdk_xstrdup(val);
    v->n_labels++;
    v->has_labels = true;
}

/* Pushes our DYNAMIC reservation (fresh resource_id) on r, in place. */
static void push_reservation(sdk_ev *e, sdk_resource *r) {
    r->reservations = sdk_xrealloc(r->reservations, (r->n_reservations + 1) * sizeof *r->reservations);
    sdk_reservation *v = &r->reservations[r->n_reservations++];
    memset(v, 0, sizeof *v);
    v->type = SDK_RESV_DYNAMIC;
    v->role = sdk_xstrdup(e->pod_role);
    v->principal = sdk_xstrdup(e->q->principal);
    char id[SDK_UUID_STRLEN + 1];
    sdk_ev_uuid(e, id);
    add_label(v, "resource_id", id);
    if (e->q->framework_id) add_label(v, "framework_id", e->q->framework_id);
}

/* Queues a fresh reservation of piece (borrowed; a slice of a pool entry, taken from the pool by
 * the caller afterwards): a copy joins e->reserves, our reservation is pushed at commit.
 * Returns its index in e->reserves. */
static size_t reserve_fresh(sdk_ev *e, const sdk_resource *piece) {
    sdk_resource c;
    sdk_resource_copy(&c, piece);
    return reserves_take(e, &c, true);
}

/* The reservation queued at e->reserves.v[i], made now (a volume's CREATE copies it). */
static const sdk_resource *reserve_now(sdk_ev *e, size_t i) {
    if (e->res_pending[i]) push_reservation(e, &e->reserves.v[i]);
    e->res_pending[i] = false;
    return &e->reserves.v[i];
}

/* The offer won: makes the queued reservations, then the additions to the per-set lists in the
 * order the stages asked for them. */
static void ev_commit(sdk_ev *e) {
    for (size_t i = 0; i < e->reserves.n; i++) reserve_now(e, i);
    for (size_t i = 0; i < e->n_adds; i++) {
        const sdk_ev_add *a = &e->adds[i];
        sdk_resources_add(a->dst, a->list ? &a->list->v[a->idx] : a->r);
    }
    e->n_adds = 0;
}

static int64_t fresh_available(const sdk_ev *e, const char *name, sdk_disk_source src) {
    int64_t sum = 0;
    for (size_t i = 0; i < e->pool.n; i++) {
        const sdk_resource *r = &e->pool.v[i];
        if (r->type == SDK_RES_SCALAR && !strcmp(r->name, name) && r->disk_source == src && fresh_source(e, r))
            sum += r->milli;
    }
    return sum;
}

static const char *pool_desc(const sdk_ev *e) {
    return e->pre_role ? "reserved for the pre-reserved role" : "unreserved";
}

/* Writes m (thousandths) as "2" or "0.125" into buf. */
static const char *fmt_milli(int64_t m, char buf[32]) {
    if (m % 1000 == 0) { /* the usual case, without printf */
        sdk_i64_str(m / 1000, buf);
    } else {
        snprintf(buf, 32, "%.3f", sdk_scalar_from_milli(m));
    }
    return buf;
}

/* Takes `need` of scalar `name` from fresh sources of the pool. reserve: the unreserved (or
 * pre-reserved) slice is queued as a fresh reservation, its index in *idx. Returns false if no
 * single entry holds enough. */
static bool take_fresh_scalar(sdk_ev *e, const char *name, int64_t need, bool reserve, size_t *idx) {
    for (size_t i = 0; i < e->pool.n; i++) {
        const sdk_resource *r = &e->pool.v[i];
        if (r->type != SDK_RES_SCALAR || strcmp(r->name, name) || r->disk_source != SDK_DISK_ROOT ||
            !fresh_source(e, r) || r->milli < need)
            continue;
        sdk_resource piece = *r; /* borrows r's strings: copied before the subtraction may free them */
        piece.milli = need;
        if (reserve) *idx = reserve_fresh(e, &piece);
        sdk_resources_subtract(&e->pool, &piece);
        return true;
    }
    return false;
}

static char *insufficient(const sdk_ev *e, const char *name, int64_t need, const char *what) {
    char n[32], h[32]; /* "insufficient <name>[ for <what>]: need <n>, offer has <h> <pool>" */
    return sdk_strcat_new("insufficient ", name, what ? " for " : "", what ? what : "", ": need ",
                          fmt_milli(need, n), ", offer has ", fmt_milli(fresh_available(e, name, SDK_DISK_ROOT), h),
                          " ", pool_desc(e), (char *)NULL);
}

/* Previous reservation of scalar `name` (not a volume) in prev, or NULL. */
static const sdk_resource *find_prev_scalar(const sdk_resources *prev, const char *name) {
    for (size_t i = 0; prev && i < prev->n; i++) {
        const sdk_resource *r = &prev->v[i];
        if (r->type == SDK_RES_SCALAR && !strcmp(r->name, name) && !r->persistence_id &&
            r->disk_source == SDK_DISK_ROOT && sdk_resource_label(r, "resource_id"))
            return r;
    }
    return NULL;
}

/* Scalar requirement: reuse (and resize) the previous reservation, or reserve fresh. */
static bool acquire_scalar(sdk_ev *e, const char *name, int64_t need, const sdk_resources *prev,
                           sdk_resources *dst, const char *what, char **why) {
    const sdk_resource *p = e->relaunch ? find_prev_scalar(prev, name) : NULL;
    if (p) {
        const char *rid = sdk_resource_label(p, "resource_id");
        if (is_matched(e, rid)) p = NULL; /* shared by two tasks' records: take once */
    }
    if (p) {
        const char *rid = sdk_resource_label(p, "resource_id");
        if (sdk_resources_subtract(&e->pool, p) != 0) {
            char q[32];
            *why = sdk_asprintf_new("reserved %s %s (resource_id %s) of the previous launch is not in this offer",
                                    name, fmt_milli(p->milli, q), rid);
            return false;
        }
        mark_matched(e, rid);
        if (need > p->milli) {
            sdk_resource grow;
            if (!take_fresh_scalar(e, name, need - p->milli, false, NULL)) {
                *why = insufficient(e, name, need - p->milli, "growing the reservation");
                return false;
            }
            sdk_resource_copy(&grow, p);
            grow.milli = need - p->milli;
            reserves_take(e, &grow, false);
        } else if (need < p->milli) {
            sdk_resource shrink;
            sdk_resource_copy(&shrink, p);
            shrink.milli = p->milli - need;
            list_take(&e->unreserves, &shrink);
        }
        if (need > 0) {
            sdk_resource cur;
            sdk_resource_copy(&cur, p);
            cur.milli = need;
            add_held(e, dst, &cur);
        }
        return true;
    }
    if (need <= 0) return true;
    size_t idx;
    if (!take_fresh_scalar(e, name, need, true, &idx)) {
        *why = insufficient(e, name, need, what);
        return false;
    }
    add_later(e, dst, &e->reserves, idx, NULL);
    return true;
}

/* ---------------------------------------------------------------- volumes */

static const sdk_resource *find_prev_volume(const sdk_resources *prev, const char *path) {
    for (size_t i = 0; prev && i < prev->n; i++) {
        const sdk_resource *r = &prev->v[i];
        if (r->persistence_id && sdk_streq(r->volume_container_path, path)) return r;
    }
    return NULL;
}

static bool profile_ok(const sdk_volume_spec *v, const sdk_resource *r) {
    if (!v->n_profiles) return true;
    for (size_t i = 0; i < v->n_profiles; i++)
        if (sdk_streq(v->profiles[i], r->disk_profile)) return true;
    return false;
}

static bool acquire_volume(sdk_ev *e, const sdk_volume_spec *v, const sdk_resources *prev, sdk_resources *dst,
                           char **why) {
    const sdk_resource *p = e->relaunch ? find_prev_volume(prev, v->path) : NULL;
    if (p) {
        if (is_matched(e, p->persistence_id)) return true;
        if (sdk_resources_subtract(&e->pool, p) != 0) {
            *why = sdk_asprintf_new("persistent volume '%s' (persistence id %s) of the previous launch is not in "
                                    "this offer", v->path, p->persistence_id);
            return false;
        }
        mark_matched(e, p->persistence_id);
        const char *rid = sdk_resource_label(p, "resource_id");
        if (rid) mark_matched(e, rid);
        add_later(e, dst, NULL, 0, p);
        return true;
    }
    size_t idx = 0;
    int64_t need = v->size_mb * 1000;
    bool found = false;
    if (v->type == SDK_VOLUME_ROOT) {
        found = take_fresh_scalar(e, "disk", need, true, &idx);
        if (!found) {
            *why = insufficient(e, "disk", need, v->path);
            return false;
        }
    } else {
        for (size_t i = 0; i < e->pool.n && !found; i++) {
            const sdk_resource *r = &e->pool.v[i];
            if (r->type != SDK_RES_SCALAR || strcmp(r->name, "disk") || r->disk_source != SDK_DISK_MOUNT ||
                !fresh_source(e, r) || r->milli < need || !profile_ok(v, r))
                continue;
            sdk_resource piece = *r; /* a MOUNT disk is taken whole; borrowed, copied before it is freed */
            idx = reserve_fresh(e, &piece);
            sdk_resources_subtract(&e->pool, &piece);
            found = true;
        }
        if (!found) {
            *why = sdk_asprintf_new("no %s MOUNT disk of at least %" PRId64 " MB%s for volume '%s'", pool_desc(e),
                                    v->size_mb, v->n_profiles ? " with a matching profile" : "", v->path);
            return false;
        }
    }
    sdk_resource vol;
    sdk_resource_copy(&vol, reserve_now(e, idx)); /* the CREATE names the reservation's resource_id */
    char id[SDK_UUID_STRLEN + 1];
    sdk_ev_uuid(e, id);
    vol.persistence_id = sdk_xstrdup(id);
    vol.persistence_principal = sdk_xstrdup(e->q->principal);
    vol.volume_container_path = sdk_xstrdup(v->path);
    add_later(e, dst, &e->creates, list_take(&e->creates, &vol), NULL);
    return true;
}

/* ---------------------------------------------------------------- ports */

static bool pod_static_port(const sdk_pod_spec *pod, uint64_t p) {
    for (size_t s = 0; s < pod->n_resource_sets; s++)
        for (size_t i = 0; i < pod->resource_sets[s].n_ports; i++)
            if (pod->resource_sets[s].ports[i].port == p) return true;
    return false;
}

static const sdk_resource *find_prev_port(const sdk_resources *prev, uint64_t num) {
    for (size_t i = 0; prev && i < prev->n; i++) {
        const sdk_resource *r = &prev->v[i];
        if (r->type != SDK_RES_RANGES || strcmp(r->name, "ports") || !sdk_resource_label(r, "resource_id")) continue;
        for (size_t k = 0; k < r->n_ranges; k++)
            if (r->ranges[k].begin <= num && num <= r->ranges[k].end) return r;
    }
    return NULL;
}

static bool port_in_spec_ranges(const sdk_port_spec *ps, uint64_t p) {
    if (!ps->n_ranges) return true;
    for (size_t i = 0; i < ps->n_ranges; i++)
        if (ps->ranges[i].begin <= p && p <= ps->ranges[i].end) return true;
    return false;
}

/* Reserves port number p fresh (p must be in a fresh pool entry). */
static bool reserve_fresh_port(sdk_ev *e, uint64_t p, sdk_resources *dst) {
    for (size_t i = 0; i < e->pool.n; i++) {
        const sdk_resource *r = &e->pool.v[i];
        if (r->type != SDK_RES_RANGES || strcmp(r->name, "ports") || !fresh_source(e, r)) continue;
        bool in = false;
        for (size_t k = 0; k < r->n_ranges && !in; k++) in = r->ranges[k].begin <= p && p <= r->ranges[k].end;
        if (!in) continue;
        sdk_range one = {p, p};
        sdk_resource piece = *r; /* borrows r's strings: copied before the subtraction may free them */
        piece.ranges = &one;
        piece.n_ranges = 1;
        size_t idx = reserve_fresh(e, &piece);
        sdk_resources_subtract(&e->pool, &piece);
        add_later(e, dst, &e->reserves, idx, NULL);
        return true;
    }
    return false;
}

/* Reuses the previous reservation of port `num` if it is in the pool. */
static int reuse_port(sdk_ev *e, const sdk_resources *prev, uint64_t num, sdk_resources *dst) {
    const sdk_resource *p = find_prev_port(prev, num);
    if (!p) return 0;
    sdk_resource one;
    sdk_resource_copy(&one, p);
    one.ranges[0].begin = one.ranges[0].end = num;
    one.n_ranges = 1;
    int rc = sdk_resources_subtract(&e->pool, &one);
    if (rc == 0) {
        mark_matched(e, sdk_resource_label(p, "resource_id"));
        add_held(e, dst, &one);
    }
    sdk_resource_free_contents(&one);
    return rc == 0 ? 1 : -1;
}

static const sdk_port_assignment *prev_assignment(const sdk_launch_record *rec, const char *name) {
    for (size_t i = 0; rec && i < rec->n_ports; i++)
        if (sdk_streq(rec->ports[i].name, name)) return &rec->ports[i];
    return NULL;
}

static void assign(sdk_ev *e, size_t set, const char *name, uint32_t port) {
    e->set_ports[set] = sdk_xrealloc(e->set_ports[set], (e->n_set_ports[set] + 1) * sizeof **e->set_ports);
    e->set_ports[set][e->n_set_ports[set]].name = sdk_xstrdup(name);
    e->set_ports[set][e->n_set_ports[set]].port = port;
    e->n_set_ports[set]++;
}

static bool overlay_port_taken(const sdk_ev *e, uint64_t p) {
    if (pod_static_port(e->pod, p)) return true;
    for (size_t s = 0; s < e->pod->n_resource_sets; s++)
        for (size_t i = 0; i < e->n_set_ports[s]; i++)
            if (e->set_ports[s][i].port == p) return true;
    return false;
}

/* A pod only on virtual networks (no port mapping): its ports are its own IP's, nothing is
 * reserved; a dynamic port keeps its previous number, or takes the first of 1025-2025 that no
 * port of the pod has (PortEvaluationStage.selectOverlayPort). */
static bool assign_overlay_ports(sdk_ev *e, size_t set, const sdk_launch_record *rec, char **why) {
    const sdk_resource_set *rs = &e->pod->resource_sets[set];
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < rs->n_ports; i++) {
            const sdk_port_spec *ps = &rs->ports[i];
            if ((pass == 0) != (ps->port != 0)) continue;
            const sdk_port_assignment *pa = e->relaunch ? prev_assignment(rec, ps->name) : NULL;
            uint64_t port = ps->port ? ps->port : (pa ? pa->port : 0);
            for (uint64_t p = SDK_OVERLAY_DYNAMIC_PORT_FIRST; !port && p <= SDK_OVERLAY_DYNAMIC_PORT_LAST; p++)
                if (!overlay_port_taken(e, p)) port = p;
            if (!port) {
                *why = sdk_asprintf_new("no free port for dynamic port '%s' in %d-%d on the pod's virtual network",
                                        ps->name, SDK_OVERLAY_DYNAMIC_PORT_FIRST, SDK_OVERLAY_DYNAMIC_PORT_LAST);
                return false;
            }
            assign(e, set, ps->name, (uint32_t)port);
        }
    return true;
}

static bool acquire_ports(sdk_ev *e, size_t set, const sdk_launch_record *rec, char **why) {
    const sdk_resource_set *rs = &e->pod->resource_sets[set];
    const sdk_resources *prev = rec ? rec->resources : NULL;
    if (!sdk_mapping_pod_uses_host_ports(e->pod)) return assign_overlay_ports(e, set, rec, why);
    for (int pass = 0; pass < 2; pass++) { /* static ports first, then dynamic */
        for (size_t i = 0; i < rs->n_ports; i++) {
            const sdk_port_spec *ps = &rs->ports[i];
            if ((pass == 0) != (ps->port != 0)) continue;
            const sdk_port_assignment *pa = e->relaunch ? prev_assignment(rec, ps->name) : NULL;
            uint64_t want = ps->port ? ps->port : (pa ? pa->port : 0);
            if (want && pa && pa->port == want) {
                int r = reuse_port(e, prev, want, &e->set_res[set]);
                if (r < 0) {
                    *why = sdk_asprintf_new("reserved port %" PRIu64 " ('%s') of the previous launch is not in this "
                                            "offer", want, ps->name);
                    return false;
                }
                if (r > 0) { assign(e, set, ps->name, (uint32_t)want); continue; }
            }
            if (want) {
                if (!reserve_fresh_port(e, want, &e->set_res[set])) {
                    *why = sdk_asprintf_new("port %" PRIu64 " ('%s') is not available in this offer (%s)", want,
                                            ps->name, pool_desc(e));
                    return false;
                }
                assign(e, set, ps->name, (uint32_t)want);
                continue;
            }
            /* dynamic: first free port in offer range order, inside the spec ranges, not static in the pod */
            uint64_t found = 0;
            for (size_t k = 0; k < e->pool.n && !found; k++) {
                const sdk_resource *r = &e->pool.v[k];
                if (r->type != SDK_RES_RANGES || strcmp(r->name, "ports") || !fresh_source(e, r)) continue;
                for (size_t q = 0; q < r->n_ranges && !found; q++)
                    for (uint64_t p = r->ranges[q].begin; p <= r->ranges[q].end && p <= 65535; p++) {
                        if (p == 0 || !port_in_spec_ranges(ps, p) || pod_static_port(e->pod, p)) continue;
                        found = p;
                        break;
                    }
            }
            if (!found || !reserve_fresh_port(e, found, &e->set_res[set])) {
                *why = sdk_asprintf_new("no free port for dynamic port '%s' in this offer (%s)", ps->name, pool_desc(e));
                return false;
            }
            assign(e, set, ps->name, (uint32_t)found);
        }
    }
    return true;
}

/* ================================================================ per-offer pass */

static const sdk_launch_record *record_for_set(const sdk_ev *e, const char *set_id) {
    const sdk_eval_request *q = e->q;
    char prefix[256];
    int n = snprintf(prefix, sizeof prefix, "%s-%lld-", q->pod_type, (long long)q->index);
    for (size_t i = 0; i < q->n_records; i++) {
        const char *tn = q->records[i].task_name;
        if (!tn || strncmp(tn, prefix, (size_t)n) != 0) continue;
        const sdk_task_spec *t = sdk_pod_task(e->pod, tn + n);
        if (t && sdk_streq(t->resource_set, set_id)) return &q->records[i];
    }
    return NULL;
}

/* Empties rs; keep: its array stays for the next offer of the same call. */
static void list_clear(sdk_resources *rs, bool keep) {
    if (!keep) {
        sdk_resources_free(rs);
        return;
    }
    for (size_t i = 0; i < rs->n; i++) sdk_resource_free_contents(&rs->v[i]);
    rs->n = 0;
}

/* The pool of an offer: a copy of its resources (in the array kept from the previous offer). */
static void pool_load(sdk_ev *e, const sdk_resources *from) {
    if (e->pool.cap < from->n) {
        e->pool.cap = from->n;
        e->pool.v = sdk_xrealloc(e->pool.v, e->pool.cap * sizeof *e->pool.v);
    }
    for (size_t i = 0; i < from->n; i++) sdk_resource_copy(&e->pool.v[i], &from->v[i]);
    e->pool.n = from->n;
}

/* Forgets what the last offer's pass made; keep: another offer follows (arrays are reused). */
static void ev_reset(sdk_ev *e, bool keep) {
    list_clear(&e->pool, keep);
    list_clear(&e->reserves, keep);
    list_clear(&e->creates, keep);
    list_clear(&e->unreserves, keep);
    list_clear(&e->exec_res, keep);
    list_clear(&e->held, keep);
    e->n_adds = 0;
    free(e->executor_id);
    e->executor_id = NULL;
    for (size_t s = 0; s < e->pod->n_resource_sets; s++) {
        list_clear(&e->set_res[s], keep);
        for (size_t i = 0; i < e->n_set_ports[s]; i++) free(e->set_ports[s][i].name);
        free(e->set_ports[s]);
        e->set_ports[s] = NULL;
        e->n_set_ports[s] = 0;
    }
    for (size_t i = 0; i < e->n_matched; i++) free(e->matched[i]);
    e->n_matched = 0;
}

static const char *backend_name(const sdk_eval_request *q) { return q->backend.name ? q->backend.name : "this cluster"; }

static char *container_problem(const sdk_ev *e) {
    const sdk_eval_request *q = e->q;
    const sdk_pod_spec *pod = e->pod;
    if (pod->image && *pod->image && q->backend.no_docker_images)
        return sdk_asprintf_new("pod '%s' uses a Docker image (image: %s), which %s cannot run", pod->type, pod->image,
                                backend_name(q));
    if (pod->n_volumes && q->backend.no_pod_volumes)
        return sdk_asprintf_new("pod '%s' declares pod-level (executor) volumes (path: %s), which %s cannot provide",
                                pod->type, pod->volumes[0].path, backend_name(q));
    if (q->backend.no_gpus)
        for (size_t s = 0; s < pod->n_resource_sets; s++)
            if (e->set_needed[s] && pod->resource_sets[s].gpus > 0)
                return sdk_asprintf_new("pod '%s' requests GPUs (gpus: %g in resource set '%s'), which %s cannot "
                                        "provide", pod->type, pod->resource_sets[s].gpus, pod->resource_sets[s].id,
                                        backend_name(q));
    return NULL;
}

/* Runs every stage against one offer. Returns true when all pass. */
static bool eval_offer(sdk_ev *e, const sdk_placement_rule *rule, sdk_offer_outcome *oc) {
    const sdk_eval_request *q = e->q;
    const sdk_pod_spec *pod = e->pod;
    const sdk_offer *o = e->offer;
    char *why = NULL;

    char *cp = container_problem(e);
    if (cp) { stage(oc, "container", false, cp); return false; }
    stage(oc, "container", true, sdk_xstrdup("the cluster supports what the pod asks for"));

    const sdk_launch_record *any = NULL;
    for (size_t i = 0; i < q->n_records && !any; i++)
        if (q->records[i].agent_id) any = &q->records[i];
    if (e->relaunch && any) {
        if (!sdk_streq(any->agent_id, o->agent_id)) {
            stage(oc, "agent", false, sdk_asprintf_new("pod %s-%lld is relaunched on agent %s where its reservations "
                                                       "are; offer is from agent %s", q->pod_type, (long long)q->index,
                                                       any->agent_id, o->agent_id));
            return false;
        }
    }

    if (!e->relaunch) {
        sdk_placement_agent ag = {o->hostname, o->attrs, o->n_attrs, o->zone, o->region};
        char *reason = NULL;
        bool ok = sdk_placement_evaluate(rule, q->pod_type, q->index, &ag, q->view, &reason);
        stage(oc, "placement", ok, reason);
        if (!ok) return false;
    }

    pool_load(e, &o->resources);

    /* executor: reuse the running one, or a new id with (re)used overhead reservations */
    const sdk_launch_record *exrec = NULL;
    for (size_t i = 0; i < q->n_records && !exrec; i++)
        if (q->records[i].executor_resources) exrec = &q->records[i];
    if (e->relaunch && q->executor_running && exrec && exrec->executor_id) {
        e->executor_id = sdk_xstrdup(exrec->executor_id);
        e->executor_new = false;
        sdk_resources_copy(&e->exec_res, exrec->executor_resources);
        stage(oc, "executor", true, sdk_asprintf_new("reusing running executor %s", e->executor_id));
    } else {
        const sdk_resources *prev = exrec ? exrec->executor_resources : NULL;
        bool ok = acquire_scalar(e, "cpus", SDK_EXECUTOR_CPUS_MILLI, prev, &e->exec_res, "the executor", &why) &&
                  acquire_scalar(e, "mem", SDK_EXECUTOR_MEM_MB * 1000, prev, &e->exec_res, "the executor", &why) &&
                  acquire_scalar(e, "disk", SDK_EXECUTOR_DISK_MB * 1000, prev, &e->exec_res, "the executor", &why);
        for (size_t i = 0; ok && i < pod->n_volumes; i++)
            ok = acquire_volume(e, &pod->volumes[i], prev, &e->exec_res, &why);
        if (!ok) { stage(oc, "executor", false, why); return false; }
        e->executor_new = true; /* its id is minted when the offer wins */
        stage(oc, "executor", true, sdk_xstrdup("executor overhead cpus 0.1, mem 32, disk 256"));
    }

    for (size_t s = 0; s < pod->n_resource_sets; s++) {
        if (!e->set_needed[s]) continue;
        const sdk_resource_set *rs = &pod->resource_sets[s];
        const sdk_launch_record *rec = e->relaunch ? record_for_set(e, rs->id) : NULL;
        const sdk_resources *prev = rec ? rec->resources : NULL;
        if (rs->n_ports) {
            char *name = sdk_strcat_new(rs->id, ": ports", (char *)NULL);
            if (!acquire_ports(e, s, rec, &why)) { stage_take(oc, name, false, why); return false; }
            stage_take(oc, name, true, sdk_xstrdup(sdk_mapping_pod_uses_host_ports(pod)
                                                       ? "ports reserved"
                                                       : "ports on the pod's virtual network: nothing to reserve"));
        }
        char *name = sdk_strcat_new(rs->id, ": scalars", (char *)NULL);
        bool ok = acquire_scalar(e, "cpus", sdk_scalar_to_milli(rs->cpus), prev, &e->set_res[s], rs->id, &why) &&
                  acquire_scalar(e, "mem", sdk_scalar_to_milli(rs->memory_mb), prev, &e->set_res[s], rs->id, &why) &&
                  acquire_scalar(e, "gpus", sdk_scalar_to_milli(rs->gpus), prev, &e->set_res[s], rs->id, &why);
        if (!ok) { stage_take(oc, name, false, why); return false; }
        stage_take(oc, name, true, sdk_xstrdup("cpus, mem and gpus reserved"));
        if (rs->n_volumes) {
            name = sdk_strcat_new(rs->id, ": volumes", (char *)NULL);
            for (size_t i = 0; i < rs->n_volumes; i++)
                if (!acquire_volume(e, &rs->volumes[i], prev, &e->set_res[s], &why)) {
                    stage_take(oc, name, false, why);
                    return false;
                }
            stage_take(oc, name, true, sdk_xstrdup("volumes reserved"));
        }
    }

    /* relaunch: release reservations of the previous launch that the new config no longer uses */
    if (e->relaunch) {
        for (size_t i = 0; i < q->n_records; i++) {
            const sdk_launch_record *r = &q->records[i];
            const sdk_resources *lists[2] = {r->resources, e->executor_new ? r->executor_resources : NULL};
            for (int l = 0; l < 2; l++) {
                if (!lists[l]) continue;
                if (l == 0) {
                    char prefix[256];
                    int n = snprintf(prefix, sizeof prefix, "%s-%lld-", q->pod_type, (long long)q->index);
                    const sdk_task_spec *t = r->task_name && !strncmp(r->task_name, prefix, (size_t)n)
                                                 ? sdk_pod_task(pod, r->task_name + n) : NULL;
                    bool needed = false;
                    for (size_t s = 0; t && s < pod->n_resource_sets; s++)
                        if (e->set_needed[s] && sdk_streq(pod->resource_sets[s].id, t->resource_set)) needed = true;
                    if (!needed) continue;
                }
                for (size_t k = 0; k < lists[l]->n; k++) {
                    const sdk_resource *x = &lists[l]->v[k];
                    const char *rid = sdk_resource_label(x, "resource_id");
                    if (!rid || x->persistence_id || is_matched(e, rid)) continue;
                    if (sdk_resources_subtract(&e->pool, x) == 0) {
                        list_push(&e->unreserves, x);
                        mark_matched(e, rid);
                    }
                }
            }
        }
    }
    return true;
}

static void push_op(sdk_eval_result *out, sdk_op_type t, const sdk_resource *r) {
    out->ops = sdk_xrealloc(out->ops, (out->n_ops + 1) * sizeof *out->ops);
    sdk_operation *op = &out->ops[out->n_ops++];
    memset(op, 0, sizeof *op);
    op->type = t;
    if (r) { /* one resource: sized exactly (up to a thousand launches' operations wait for the ACCEPT) */
        op->resources.v = sdk_xcalloc(1, sizeof *op->resources.v);
        op->resources.cap = 1;
        sdk_resources_add(&op->resources, r);
    }
}

static void finish(sdk_ev *e, sdk_offer_outcome *oc, sdk_eval_result *out) {
    const sdk_eval_request *q = e->q;
    ev_commit(e);
    if (e->executor_new) {
        char *sid = sdk_mapping_service_id_new(q->spec->name);
        char id[SDK_UUID_STRLEN + 1];
        sdk_ev_uuid(e, id);
        e->executor_id = sdk_asprintf_new("%s__%s__%s", sid, e->pod->type, id);
        free(sid);
    }
    for (size_t i = 0; i < e->reserves.n; i++) push_op(out, SDK_OP_RESERVE, &e->reserves.v[i]);
    for (size_t i = 0; i < e->creates.n; i++) push_op(out, SDK_OP_CREATE, &e->creates.v[i]);
    for (size_t i = 0; i < e->unreserves.n; i++) push_op(out, SDK_OP_UNRESERVE, &e->unreserves.v[i]);
    push_op(out, SDK_OP_LAUNCH_GROUP, NULL);
    sdk_operation *lg = &out->ops[out->n_ops - 1];
    lg->executor = sdk_xcalloc(1, sizeof *lg->executor);
    lg->executor->executor_id = sdk_xstrdup(e->executor_id);
    lg->executor->name = sdk_xstrdup(e->pod->type);
    lg->executor->framework_id = sdk_xstrdup(q->framework_id);
    lg->executor->is_new = e->executor_new;
    sdk_resources_copy(&lg->executor->resources, &e->exec_res);
    /* What the executor container says is the mapping's; a running executor is reused with the
     * ExecutorInfo it was launched with (Mesos refuses a different one for the same id). */
    const sdk_launch_record *exrec = NULL;
    for (size_t i = 0; i < q->n_records && !exrec; i++)
        if (q->records[i].executor_id && sdk_streq(q->records[i].executor_id, e->executor_id)) exrec = &q->records[i];
    if (!e->executor_new && exrec) {
        if (exrec->executor_container_len) {
            lg->executor->container = sdk_xmalloc(exrec->executor_container_len);
            memcpy(lg->executor->container, exrec->executor_container, exrec->executor_container_len);
            lg->executor->container_len = exrec->executor_container_len;
        }
    } else {
        sdk_mapping_executor_container_new(q->spec, e->pod, q->index, &lg->executor->container,
                                           &lg->executor->container_len);
    }
    for (size_t i = 0; i < e->pod->n_tasks; i++) {
        const sdk_task_spec *t = &e->pod->tasks[i];
        bool needed = false;
        for (size_t s = 0; s < e->pod->n_resource_sets && !needed; s++)
            needed = e->set_needed[s] && sdk_streq(e->pod->resource_sets[s].id, t->resource_set);
        if (!needed) continue;
        bool launch = false;
        for (size_t k = 0; k < q->n_tasks && !launch; k++) launch = !strcmp(q->tasks[k], t->name);
        char nm[300];
        snprintf(nm, sizeof nm, "launch %s", t->name);
        if (launch) {
            lg->tasks = sdk_xrealloc(lg->tasks, (lg->n_tasks + 1) * sizeof *lg->tasks);
            sdk_ev_build_task(e, t, true, &lg->tasks[lg->n_tasks++]);
            stage(oc, nm, true, sdk_xstrdup("launching"));
        } else {
            out->stored = sdk_xrealloc(out->stored, (out->n_stored + 1) * sizeof *out->stored);
            sdk_ev_build_task(e, t, false, &out->stored[out->n_stored++]);
            stage(oc, nm, true, sdk_xstrdup("stored only: shares a launched resource set, not in this step"));
        }
    }
}

int sdk_offer_evaluate(const sdk_eval_request *q, const sdk_offer *offers, size_t n_offers, sdk_eval_result *out,
                       sdk_errors *errs) {
    memset(out, 0, sizeof *out);
    const sdk_pod_spec *pod = q->spec ? sdk_spec_pod(q->spec, q->pod_type) : NULL;
    if (!pod) {
        if (errs) sdk_errors_addf(errs, "offer evaluation: pod type '%s' is not in the service spec",
                                  q->pod_type ? q->pod_type : "(null)");
        return SDK_EINVAL;
    }
    if (!q->role || !*q->role) {
        if (errs) sdk_errors_addf(errs, "offer evaluation: no service role given");
        return SDK_EINVAL;
    }
    if (!q->n_tasks) {
        if (errs) sdk_errors_addf(errs, "offer evaluation: pod %s-%lld: no task to launch", pod->type, (long long)q->index);
        return SDK_EINVAL;
    }
    sdk_ev e;
    memset(&e, 0, sizeof e);
    e.q = q;
    e.pod = pod;
    /* the four per-set arrays in one block (pointer-sized members first, the bools last) */
    size_t ns = pod->n_resource_sets;
    char *block = sdk_xcalloc(1, ns * (sizeof *e.set_res + sizeof *e.set_ports + sizeof *e.n_set_ports +
                                       sizeof *e.set_needed));
    e.set_res = (sdk_resources *)block;
    e.set_ports = (sdk_port_assignment **)(block + ns * sizeof *e.set_res);
    e.n_set_ports = (size_t *)(block + ns * (sizeof *e.set_res + sizeof *e.set_ports));
    e.set_needed = (bool *)(block + ns * (sizeof *e.set_res + sizeof *e.set_ports + sizeof *e.n_set_ports));
    int rc = 0;
    for (size_t k = 0; k < q->n_tasks; k++) {
        const sdk_task_spec *t = sdk_pod_task(pod, q->tasks[k]);
        size_t s = 0;
        while (t && s < pod->n_resource_sets && !sdk_streq(pod->resource_sets[s].id, t->resource_set)) s++;
        if (!t || s == pod->n_resource_sets) {
            if (errs) sdk_errors_addf(errs, "offer evaluation: pod '%s' has no task '%s'%s", pod->type, q->tasks[k],
                                      t ? " with a known resource set" : "");
            rc = SDK_EINVAL;
            continue;
        }
        if (e.set_needed[s]) {
            if (errs) sdk_errors_addf(errs, "offer evaluation: pod %s-%lld: one step launches two tasks sharing "
                                      "resource set '%s'", pod->type, (long long)q->index, pod->resource_sets[s].id);
            rc = SDK_EINVAL;
        }
        e.set_needed[s] = true;
    }
    char *pod_role = NULL;
    if (rc) goto done;
    e.pre_role = pod->pre_reserved_role && *pod->pre_reserved_role && strcmp(pod->pre_reserved_role, "*")
                     ? pod->pre_reserved_role : NULL;
    pod_role = e.pre_role ? sdk_asprintf_new("%s/%s", e.pre_role, q->role) : sdk_xstrdup(q->role);
    e.pod_role = pod_role;
    e.relaunch = q->n_records > 0 && q->recovery != SDK_RECOVERY_PERMANENT;
    const sdk_placement_rule *rule = q->placement;
    if (!rule && pod->placement) rule = sdk_placement_rule_cached(pod->placement); /* parsed once per text */

    out->outcomes = sdk_xcalloc(n_offers ? n_offers : 1, sizeof *out->outcomes);
    for (size_t i = 0; i < n_offers; i++) {
        sdk_offer_outcome *oc = &out->outcomes[out->n_outcomes++];
        oc->offer_id = sdk_xstrdup(offers[i].id);
        e.offer = &offers[i];
        bool ok = eval_offer(&e, rule, oc);
        if (ok) {
            finish(&e, oc, out);
            out->remaining = e.pool; /* taken: the pass is over */
            sdk_resources_init(&e.pool);
            oc->pass = true;
            out->matched = true;
            out->offer_index = i;
        }
        ev_reset(&e, !ok && i + 1 < n_offers);
        if (ok) break;
    }
done:
    ev_reset(&e, false);
    free(block);
    free(e.matched);
    free(e.res_pending);
    free(e.adds);
    free(pod_role);
    return rc;
}
