/* The offer cycle (sdk-behaviour.md §8): filter offers, evaluate candidate steps in plan
 * priority order, record launches before sending them, garbage-collect unclaimed reservations,
 * decline the rest, and keep revive/suppress in step with the work. */
#include "core/plugin/plugin.h"
#include "core/service/service_internal.h"
#include "core/util/crashpoint.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "core/util/strmap.h"
#include <stdlib.h>
#include <time.h>
#include <string.h>

void svc_log_entry_free(sdk_offer_log_entry *e) {
    free(e->pod_instance);
    free(e->step);
    free(e->outcome.offer_id);
    for (size_t i = 0; i < e->outcome.n_stages; i++) {
        free(e->outcome.stages[i].stage);
        free(e->outcome.stages[i].reason);
    }
    free(e->outcome.stages);
    memset(e, 0, sizeof *e);
}

/* Takes the outcome (moves its contents). */
static void log_outcome(sdk_service *s, const sdk_step *step, sdk_offer_outcome *o) {
    if (s->log_n == SVC_LOG_MAX) {
        svc_log_entry_free(&s->log[0]);
        memmove(&s->log[0], &s->log[1], (SVC_LOG_MAX - 1) * sizeof s->log[0]);
        s->log_n--;
    }
    sdk_offer_log_entry *e = &s->log[s->log_n++];
    e->when = svc_now(s);
    e->pod_instance = sdk_xstrdup(step->pod_instance);
    e->step = sdk_xstrdup(step->name);
    e->outcome = *o;
    memset(o, 0, sizeof *o);
}

/* §8.1: unreserved and statically reserved resources are usable; a dynamic reservation only
 * when it is ours (resource_id label, our role, our framework id if labelled). */
static bool resource_usable(const sdk_service *s, const sdk_resource *r) {
    if (!sdk_resource_is_dynamically_reserved(r)) return true;
    if (!sdk_resource_label(r, "resource_id")) return false;
    const char *fw = sdk_resource_label(r, "framework_id");
    if (fw && (!s->framework_id || strcmp(fw, s->framework_id))) return false;
    const char *role = sdk_resource_role(r);
    size_t rl = strlen(role), ol = strlen(s->role);
    return !strcmp(role, s->role) || (rl > ol && role[rl - ol - 1] == '/' && !strcmp(role + rl - ol, s->role));
}

static void filter_offer(const sdk_service *s, const sdk_offer *in, sdk_offer *out) {
    sdk_offer_copy(out, in);
    sdk_resources kept;
    sdk_resources_init(&kept);
    for (size_t i = 0; i < in->resources.n; i++)
        if (resource_usable(s, &in->resources.v[i])) sdk_resources_add(&kept, &in->resources.v[i]);
    sdk_resources_free(&out->resources);
    out->resources = kept;
}

/* Existing tasks for placement rules. */
/* A task in the placement view: where it runs and the attributes its launch saw (labels). */
static void view_add(sdk_placement_view *v, const char *name, const char *pod_type, const char *hostname,
                     const char *attrs, const char *zone, const char *region) {
    sdk_offer tmp;
    memset(&tmp, 0, sizeof tmp);
    if (attrs && *attrs) {
        char *copy = sdk_xstrdup(attrs), *save = NULL;
        for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
            char *colon = strchr(tok, ':');
            if (!colon) continue;
            *colon = 0;
            sdk_offer_add_attr(&tmp, tok, colon + 1);
        }
        free(copy);
    }
    sdk_placement_task t = {.task_name = name, .pod_type = pod_type, .hostname = hostname,
                            .attrs = tmp.attrs, .n_attrs = tmp.n_attrs,
                            .zone = zone, .region = region};
    sdk_placement_view_add(v, &t);
    sdk_offer_free_contents(&tmp);
}

static void view_add_record(sdk_placement_view *v, const sdk_task_rec *r) {
    if (!r->hostname || r->permanently_failed) return;
    view_add(v, r->name, r->pod_type, r->hostname, r->offer_attrs, r->offer_zone, r->offer_region);
}

/* Adds the tasks a launch matched in this cycle places on hostname, except those the view
 * already counts from their record (a relaunch in place is not counted twice). */
static void view_add_match(sdk_service *s, sdk_placement_view *v, const sdk_step *st, const char *hostname,
                           const sdk_eval_result *res) {
    for (size_t i = 0; i < res->n_ops; i++) {
        const sdk_operation *op = &res->ops[i];
        for (size_t k = 0; op->type == SDK_OP_LAUNCH_GROUP && k < op->n_tasks; k++) {
            const sdk_task_rec *r = svc_find_task(s, op->tasks[k].name);
            const sdk_task_desc *d = &op->tasks[k];
            if (!(r && r->hostname && !r->permanently_failed))
                view_add(v, d->name, st->pod_type, hostname, sdk_kv_get(d->labels, d->n_labels, "offer_attributes"),
                         sdk_kv_get(d->labels, d->n_labels, "offer_zone"),
                         sdk_kv_get(d->labels, d->n_labels, "offer_region"));
        }
    }
}

/* A launch matched in this cycle, recorded and sent with the others once every step had its turn. */
typedef struct matched {
    sdk_step *st;
    size_t oi;           /* the offer */
    sdk_eval_result res; /* operations and tasks (owned) */
    bool packed;         /* its operations are packed into the offer's ACCEPT; res keeps only the
                          * LAUNCH_GROUP, for the record */
} matched;

/* The placement view of the cycle: every stored task plus the launches matched so far in the
 * cycle. Built on first need only: it costs O(all tasks), and a step whose pod has no placement
 * rule never reads it, so a deploy without rules pays nothing for it. */
static sdk_placement_view *view_new(sdk_service *s, const matched *m, size_t n_m, const sdk_offer *offers) {
    sdk_placement_view *v = sdk_placement_view_new();
    for (size_t i = 0; i < s->n_tasks; i++) view_add_record(v, &s->tasks[i]);
    for (size_t i = 0; i < n_m; i++) view_add_match(s, v, m[i].st, offers[m[i].oi].hostname, &m[i].res);
    return v;
}

static bool step_has_task(const sdk_step *st, const char *spec_task) {
    for (size_t i = 0; i < st->n_tasks; i++)
        if (!strcmp(st->tasks[i].task, spec_task)) return true;
    return false;
}

/* Kills live tasks of the pod instance that occupy a resource set the step is about to launch
 * (only one task may hold a set at a time, §1.5). Returns true when any is still alive. */
static bool kill_conflicting(sdk_service *s, const sdk_pod_spec *pod, const sdk_step *st) {
    bool alive = false;
    for (size_t k = svc_pod_first(s, st->pod_instance); k; k = svc_pod_next(s, k)) {
        sdk_task_rec *r = &s->tasks[k - 1];
        if (!sdk_task_rec_alive(r)) continue;
        const sdk_task_spec *rt = sdk_pod_task(pod, r->spec_task);
        bool conflict = step_has_task(st, r->spec_task);
        for (size_t j = 0; j < st->n_tasks && !conflict && rt; j++) {
            const sdk_task_spec *lt = sdk_pod_task(pod, st->tasks[j].task);
            conflict = lt && rt->resource_set && lt->resource_set && !strcmp(lt->resource_set, rt->resource_set);
        }
        if (!conflict) continue;
        svc_kill_task(s, r->desc.task_id, r->desc.agent_id);
        alive = true;
    }
    return alive;
}

/* Operations accepted on one offer during an offer cycle: every launch matched on the offer adds
 * its operations, and the lot goes out in one ACCEPT at the end of the cycle (an offer can be
 * accepted only once; what a launch leaves of it is offered to the next steps). */
typedef struct offer_ops {
    sdk_operation *ops;
    size_t n, cap;
    /* With a driver that packs (sdk_driver.pack_ops), the operations instead, packed as each
     * launch is matched (the structures are freed at once), their types for the log and the
     * metrics, and whether one could not be packed (the offer is then declined). */
    sdk_buf packed, summary;
    size_t n_type[SDK_OP_LAUNCH_GROUP + 1];
    bool pack_failed;
    size_t launches;         /* launches matched on the offer this cycle */
    bool sent;               /* accepted: the offer is gone */
} offer_ops;

static bool offer_ops_any(const offer_ops *p) { return p->n || p->packed.len || p->pack_failed; }

/* Forgets what was packed (a failed record: nothing of the cycle may be sent). */
static void offer_ops_unpack(offer_ops *p) {
    sdk_buf_free(&p->packed);
    sdk_buf_free(&p->summary);
    memset(p->n_type, 0, sizeof p->n_type);
    p->pack_failed = false;
}

static void offer_ops_take(offer_ops *p, sdk_eval_result *res) {
    if (p->n + res->n_ops > p->cap) {
        p->cap = (p->n + res->n_ops) * 2;
        p->ops = sdk_xrealloc(p->ops, p->cap * sizeof *p->ops);
    }
    memcpy(p->ops + p->n, res->ops, res->n_ops * sizeof *res->ops);
    p->n += res->n_ops;
    free(res->ops);
    res->ops = NULL;
    res->n_ops = 0;
}

/* Sends the operations gathered on one offer (they were recorded first) and counts them. */
static void send_offer_ops(sdk_service *s, const sdk_offer *offer, offer_ops *p) {
    if (p->packed.len || p->pack_failed) {
        if (p->pack_failed) s->drv->decline(s->dctx, offer, SDK_ACCEPT_REFUSE_S);
        else s->drv->accept_packed(s->dctx, offer, p->packed.data, p->packed.len, p->summary.data, SDK_ACCEPT_REFUSE_S);
        sdk_crash_point("after-accept");
        s->m.ops_reserve += p->n_type[SDK_OP_RESERVE];
        s->m.ops_unreserve += p->n_type[SDK_OP_UNRESERVE];
        s->m.ops_create += p->n_type[SDK_OP_CREATE];
        s->m.ops_destroy += p->n_type[SDK_OP_DESTROY];
        s->m.ops_launch_group += p->n_type[SDK_OP_LAUNCH_GROUP];
        offer_ops_unpack(p);
        p->sent = true;
        return;
    }
    s->drv->accept(s->dctx, offer, p->ops, p->n, SDK_ACCEPT_REFUSE_S);
    sdk_crash_point("after-accept");
    for (size_t i = 0; i < p->n; i++) {
        switch (p->ops[i].type) {
        case SDK_OP_RESERVE: s->m.ops_reserve++; break;
        case SDK_OP_UNRESERVE: s->m.ops_unreserve++; break;
        case SDK_OP_CREATE: s->m.ops_create++; break;
        case SDK_OP_DESTROY: s->m.ops_destroy++; break;
        case SDK_OP_LAUNCH_GROUP: s->m.ops_launch_group++; break;
        }
        sdk_operation_free_contents(&p->ops[i]);
    }
    free(p->ops);
    memset(p, 0, sizeof *p);
    p->sent = true;
}

/* Packs a matched launch's operations into its offer's ACCEPT (see offer_ops) and frees all but
 * its LAUNCH_GROUP, whose tasks the record still needs. */
static void pack_launch(sdk_service *s, offer_ops *p, const sdk_offer *offer, sdk_eval_result *res) {
    for (size_t i = 0; i < res->n_ops; i++) {
        p->n_type[res->ops[i].type]++;
        if (p->summary.len) sdk_buf_putc(&p->summary, ' ');
        sdk_buf_puts(&p->summary, sdk_op_type_name(res->ops[i].type));
    }
    if (!p->pack_failed && s->drv->pack_ops(s->dctx, offer, res->ops, res->n_ops, &p->packed)) {
        p->pack_failed = true;
        sdk_buf_free(&p->packed);
    }
    size_t k = 0;
    for (size_t i = 0; i < res->n_ops; i++) {
        if (res->ops[i].type == SDK_OP_LAUNCH_GROUP) res->ops[k++] = res->ops[i];
        else sdk_operation_free_contents(&res->ops[i]);
    }
    res->n_ops = k;
}

/* Adds what a matched launch stores to the cycle's transaction: the TaskInfo of every task it
 * launches, and of the siblings on its resource set not yet known. */
static int txn_add_launch(sdk_service *s, sdk_state_txn *t, const sdk_eval_result *res) {
    const sdk_operation *lg = NULL;
    for (size_t i = 0; i < res->n_ops; i++)
        if (res->ops[i].type == SDK_OP_LAUNCH_GROUP) lg = &res->ops[i];
    int rc = 0;
    for (size_t i = 0; lg && i < lg->n_tasks && !rc; i++) {
        void *buf = NULL;
        size_t len = 0;
        rc = sdk_taskinfo_encode_new(&lg->tasks[i], lg->executor, &buf, &len);
        if (!rc) rc = sdk_state_txn_put_task_info(t, lg->tasks[i].name, buf, len);
        if (!rc) rc = svc_override_txn_launch(s, t, lg->tasks[i].name);
        free(buf);
    }
    for (size_t i = 0; i < res->n_stored && !rc; i++) {
        if (svc_find_task(s, res->stored[i].name)) continue;
        void *buf = NULL;
        size_t len = 0;
        rc = sdk_taskinfo_encode_new(&res->stored[i], lg ? lg->executor : NULL, &buf, &len);
        if (!rc) rc = sdk_state_txn_put_task_info(t, res->stored[i].name, buf, len);
        free(buf);
    }
    return rc;
}

/* After the cycle's transaction committed: the task records and the step learn the launch. Its
 * operations stay in res for the ACCEPT. */
static void apply_launch(sdk_service *s, sdk_step *st, const sdk_offer *offer, sdk_eval_result *res) {
    sdk_operation *lg = NULL;
    for (size_t i = 0; i < res->n_ops; i++)
        if (res->ops[i].type == SDK_OP_LAUNCH_GROUP) lg = &res->ops[i];
    size_t n_launched = lg ? lg->n_tasks : 0;
    sdk_launched *launched = sdk_xcalloc(n_launched ? n_launched : 1, sizeof *launched);
    for (size_t i = 0; i < n_launched; i++) {
        sdk_task_rec *r = svc_find_task(s, lg->tasks[i].name);
        if (r) {
            svc_index_forget(s, r);
            free(r->ip);
            r->ip = NULL;
        } else {
            r = svc_add_task(s);
        }
        /* The record keeps identifiers only (the TaskInfo is in the store); the LAUNCH_GROUP keeps
         * the description for its ACCEPT. */
        r->has_status = false;
        r->ready = false;
        r->never_launched = false;
        sdk_task_rec_learn(r, &lg->tasks[i], lg->executor); /* the goal-state override (paused) stays */
        svc_override_launched(r);
        svc_index_learn(s, r);
        launched[i].task_name = r->name;
        launched[i].task_id = r->desc.task_id;
        SDK_INFO("offers", "launching %s on %s (%s)", r->name, offer->hostname, r->desc.task_id);
    }
    for (size_t i = 0; i < res->n_stored; i++) {
        if (svc_find_task(s, res->stored[i].name)) continue;
        sdk_task_rec *r = svc_add_task(s);
        sdk_task_rec_learn(r, &res->stored[i], lg ? lg->executor : NULL);
        svc_index_learn(s, r);
    }
    s->views_dirty = true;
    sdk_step_on_launched(st, launched, n_launched);
    free(launched);
}

/* Records every launch matched in the cycle in ONE transaction, then updates the records and
 * hands each launch's operations to its offer's ACCEPT. When the commit fails nothing is
 * recorded, nothing changes and nothing is sent: the steps stay as they were and the offers are
 * declined. Frees the matched launches. */
static void record_launches(sdk_service *s, matched *m, size_t n, sdk_offer *offers, offer_ops *pend,
                            size_t n_offers) {
    if (!n) return;
    sdk_state_txn *t = sdk_state_txn_new(s->state);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) rc = txn_add_launch(s, t, &m[i].res);
    if (!rc) s->launch_bytes = sdk_state_txn_bytes(t) / n;
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_crash_point("before-record");
    if (!rc) rc = sdk_state_txn_commit(t, &e);
    sdk_state_txn_free(t);
    if (rc) {
        SDK_ERROR("offers", "recording %zu launch(es) (%s%s) failed, nothing sent: %s", n, m[0].st->name,
                  n > 1 ? ", ..." : "", e.n ? e.msgs[0] : "encoding error");
        for (size_t i = 0; i < n_offers; i++) offer_ops_unpack(&pend[i]);
    } else {
        sdk_crash_point("after-record");
        for (size_t i = 0; i < n; i++) {
            apply_launch(s, m[i].st, &offers[m[i].oi], &m[i].res);
            if (!m[i].packed) {
                offer_ops_take(&pend[m[i].oi], &m[i].res);
                continue;
            }
        }
    }
    sdk_errors_free(&e);
    for (size_t i = 0; i < n; i++) sdk_eval_result_free(&m[i].res);
}

/* Plan parameters of the plan owning a step. */
static void plan_params(const sdk_plan *p, const sdk_kv **kv, size_t *n) {
    *kv = p ? p->params : NULL;
    *n = p ? p->n_params : 0;
}

/* Evaluates one candidate step against the offers; true when it launched on one. */
/* Evaluates one candidate step against what is left of the offers. A match is appended to
 * *m (recorded and sent at the end of the cycle); what it uses is taken from its offer and its
 * tasks join the placement view, so that the next steps see both. True on a match. */
/* order[] holds the offers sorted by (launches this cycle, index): the fewest launches first,
 * untouched ones in offer order, so that pods spread over agents before any agent takes a second
 * one. After a launch on order[pos] it moves to its new place (O(distance), not a sort per step). */
static void order_after_launch(size_t *order, size_t n, size_t pos, const offer_ops *pend) {
    size_t oi = order[pos];
    while (pos + 1 < n && (pend[order[pos + 1]].launches < pend[oi].launches ||
                           (pend[order[pos + 1]].launches == pend[oi].launches && order[pos + 1] < oi))) {
        order[pos] = order[pos + 1];
        pos++;
    }
    order[pos] = oi;
}

/* Moves the outcomes of an evaluation into the offer log. */
/* Each offer's outcome feeds the step's "still waiting because..." note, then the offer log. */
static void log_outcomes(sdk_service *s, const sdk_plan *plan, const sdk_step *st, sdk_eval_result *res) {
    for (size_t i = 0; i < res->n_outcomes; i++) {
        svc_waiting_note(s, plan, st, &res->outcomes[i]);
        log_outcome(s, st, &res->outcomes[i]);
    }
    free(res->outcomes); /* emptied by log_outcome; sized for every offer, kept no longer */
    res->outcomes = NULL;
    res->n_outcomes = 0;
}

static bool evaluate_step(sdk_service *s, const sdk_candidate *c, sdk_offer *offers, offer_ops *pend,
                          size_t *order, size_t n_offers, sdk_placement_view **view, matched **m, size_t *n_m) {
    sdk_step *st = c->step;
    if (st->status != SDK_STATUS_PENDING && st->status != SDK_STATUS_PREPARED) return false;
    /* Recovery relaunches the configuration the pod already runs; everything else the target. */
    const sdk_spec *spec = s->target;
    if (st->recovery != SDK_RECOVERY_NONE) {
        size_t k = svc_pod_first(s, st->pod_instance);
        if (k) {
            const sdk_spec *cs = svc_config_spec(s, s->tasks[k - 1].config_id);
            if (cs && sdk_spec_pod(cs, st->pod_type)) spec = cs;
        }
    }
    const sdk_pod_spec *pod = sdk_spec_pod(spec, st->pod_type);
    if (!pod) {
        sdk_step_set_error(st, "pod type is not in the target configuration");
        return false;
    }
    if (kill_conflicting(s, pod, st)) {
        sdk_step_on_launched(st, NULL, 0); /* PREPARED until the old tasks are gone */
        return false;
    }
    const char **names = sdk_xcalloc(st->n_tasks ? st->n_tasks : 1, sizeof *names);
    for (size_t i = 0; i < st->n_tasks; i++) names[i] = st->tasks[i].task;
    /* sized for the pod instance's records, not for every task: this runs once per step */
    size_t n_pod = 0;
    for (size_t k = svc_pod_first(s, st->pod_instance); k; k = svc_pod_next(s, k)) n_pod++;
    sdk_launch_record *recs = sdk_xcalloc(n_pod ? n_pod : 1, sizeof *recs);
    /* the records' descriptions, decoded from the store for this step (recs borrow them) */
    sdk_task_desc *descs = sdk_xcalloc(n_pod ? n_pod : 1, sizeof *descs);
    sdk_executor_desc *execs = sdk_xcalloc(n_pod ? n_pod : 1, sizeof *execs);
    size_t n_recs = 0;
    bool executor_running = false, launched = false;
    sdk_errors e;
    sdk_errors_init(&e);
    /* Records of live tasks first: the evaluator reuses the executor of the first record. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = svc_pod_first(s, st->pod_instance); k; k = svc_pod_next(s, k)) {
            sdk_task_rec *r = &s->tasks[k - 1];
            bool live = sdk_task_rec_alive(r) && !step_has_task(st, r->spec_task);
            if (live != (pass == 0)) continue;
            /* records whose reservations do not exist (a launch that never reached Mesos), and
             * permanently failed ones unless this step replaces them, would pin the launch to
             * resources and an agent that are not there */
            if (r->never_launched) continue;
            if (r->permanently_failed && st->recovery != SDK_RECOVERY_PERMANENT) continue;
            if (svc_task_desc_load_new(s, r, &descs[n_recs], &execs[n_recs], &e)) {
                /* without the record the launch could not reuse its reservations and volume */
                sdk_step_set_error(st, e.n ? e.msgs[0] : "reading the stored TaskInfo failed");
                n_recs++;
                goto free_recs;
            }
            sdk_launch_record_from_task(&descs[n_recs], &execs[n_recs], &recs[n_recs]);
            n_recs++;
            if (live) executor_running = true;
        }
    }
    const sdk_kv *params;
    size_t n_params;
    plan_params(c->plan, &params, &n_params);
    sdk_eval_request req = {
        .spec = spec, .pod_type = st->pod_type, .index = st->pod_index, .tasks = names,
        .n_tasks = st->n_tasks, .recovery = st->recovery, .records = recs, .n_records = n_recs,
        .executor_running = executor_running, .role = s->role, .principal = spec->principal,
        .framework_id = s->framework_id, .target_config_id = s->target_id,
        .plan_params = params, .n_plan_params = n_params, .sched_env = s->env,
        .n_sched_env = s->n_env, .backend = s->backend,
    };
    sdk_placement_rule *rule = svc_placement_rule_new(s, pod);
    req.placement = rule;
    /* only a rule reads the view (the evaluator parses pod->placement when rule is NULL) */
    if (!*view && (rule || (pod->placement && *pod->placement))) *view = view_new(s, *m, *n_m, offers);
    req.view = *view;
    /* The offers in order[] order (see order_after_launch). The first usually fits: it is tried
     * alone, and only when it does not are the others copied out and tried after it (the same
     * offers in the same order, so the same outcome): a step that fits costs one offer, not a
     * copy and a sort of all of them. */
    sdk_eval_result res;
    memset(&res, 0, sizeof res);
    size_t base = 0; /* position in order[] of res's first offer */
    int rc = n_offers ? sdk_offer_evaluate(&req, &offers[order[0]], 1, &res, &e) : 0;
    if (!rc && n_offers > 1 && !res.matched) {
        log_outcomes(s, c->plan, st, &res);
        sdk_eval_result_free(&res);
        memset(&res, 0, sizeof res);
        sdk_offer *avail = sdk_xcalloc(n_offers - 1, sizeof *avail);
        for (size_t i = 1; i < n_offers; i++) avail[i - 1] = offers[order[i]];
        rc = sdk_offer_evaluate(&req, avail, n_offers - 1, &res, &e);
        free(avail);
        base = 1;
    }
    if (rc) {
        sdk_step_set_error(st, e.n ? e.msgs[0] : "offer evaluation failed");
    } else {
        log_outcomes(s, c->plan, st, &res);
        if (res.matched) {
            size_t oi = order[base + res.offer_index];
            svc_apply_overrides(s, st, &res);
            svc_apply_pause(s, &res);
            launched = true;
            pend[oi].launches++;
            order_after_launch(order, n_offers, base + res.offer_index, pend);
            sdk_resources_free(&offers[oi].resources);
            offers[oi].resources = res.remaining;
            memset(&res.remaining, 0, sizeof res.remaining);
            if (*view) view_add_match(s, *view, st, offers[oi].hostname, &res);
            bool packed = s->drv->pack_ops && s->drv->accept_packed;
            if (packed) pack_launch(s, &pend[oi], &offers[oi], &res);
            *m = sdk_xrealloc(*m, (*n_m + 1) * sizeof **m);
            (*m)[*n_m].st = st;
            (*m)[*n_m].oi = oi;
            (*m)[*n_m].packed = packed;
            (*m)[(*n_m)++].res = res;
            memset(&res, 0, sizeof res); /* owned by the list now */
        } else {
            sdk_step_on_launched(st, NULL, 0);
        }
    }
    sdk_eval_result_free(&res);
    sdk_placement_rule_free(rule);
free_recs:
    sdk_errors_free(&e);
    for (size_t i = 0; i < n_recs; i++) {
        sdk_task_desc_free_contents(&descs[i]);
        sdk_executor_desc_free_contents(&execs[i]);
    }
    free(descs);
    free(execs);
    free(recs);
    free(names);
    return launched;
}

/* Decommission and other generic steps (sdk-behaviour.md §4.10). */
static void run_generic_step(sdk_service *s, sdk_step *st) {
    sdk_task_rec *r = st->target ? svc_find_task(s, st->target) : NULL;
    switch (st->action) {
    case SDK_ACTION_DECOMMISSION_KILL:
        if (!r) { sdk_step_set_status(st, SDK_STATUS_COMPLETE); break; }
        if (s->plugin && r->override != SDK_OVERRIDE_DECOMMISSIONED) {
            sdk_plugin_decision d = SDK_PLUGIN_DECOMMISSION_ALLOW;
            char *why = NULL;
            sdk_plugin_pre_decommission(s->plugin, r->pod_type, (uint32_t)r->index, &d, &why);
            if (d == SDK_PLUGIN_DECOMMISSION_VETO) {
                /* ERROR with the plugin's reason on the plan; recheck_vetoes() asks again. */
                char *msg = sdk_asprintf_new("decommission of %s refused by the service: %s", r->pod_instance,
                                             why ? why : "no reason given");
                sdk_step_set_error(st, msg);
                free(msg);
                free(why);
                break;
            }
            free(why);
            if (d == SDK_PLUGIN_DECOMMISSION_PENDING) break;
        }
        if (r->override != SDK_OVERRIDE_DECOMMISSIONED) {
            sdk_state_txn *t = sdk_state_txn_new(s->state);
            sdk_state_txn_set_goal_override(t, r->name, "DECOMMISSIONED");
            sdk_state_txn_set_override_status(t, r->name, "IN_PROGRESS");
            int rc = sdk_state_txn_commit(t, NULL);
            sdk_state_txn_free(t);
            if (rc) break;
            r->override = SDK_OVERRIDE_DECOMMISSIONED;
            s->views_dirty = true;
        }
        if (sdk_task_rec_alive(r)) {
            svc_kill_task(s, r->desc.task_id, r->desc.agent_id);
            sdk_step_set_status(st, SDK_STATUS_STARTING);
        } else {
            sdk_step_set_status(st, SDK_STATUS_COMPLETE);
        }
        break;
    case SDK_ACTION_ERASE:
        if (r) {
            if (sdk_state_delete_task(s->state, r->name, NULL)) break;
            svc_remove_task(s, r);
        }
        sdk_step_set_status(st, SDK_STATUS_COMPLETE);
        break;
    default:
        break; /* UNRESERVE completes when GC releases the id; others are driven elsewhere */
    }
}

/* Vetoed decommission kills are in ERROR, so no strategy offers them again: ask the plugin each
 * cycle and each tick (offers stop once the service is idle), and put an allowed one back to
 * PENDING. */
void svc_recheck_vetoes(sdk_service *s) {
    if (!s->decommission || !s->plugin) return;
    for (size_t p = 0; p < s->decommission->n_phases; p++) {
        sdk_phase *ph = s->decommission->phases[p];
        for (size_t j = 0; j < ph->n_steps; j++) {
            sdk_step *st = ph->steps[j];
            if (st->action != SDK_ACTION_DECOMMISSION_KILL || st->status != SDK_STATUS_ERROR) continue;
            sdk_task_rec *r = st->target ? svc_find_task(s, st->target) : NULL;
            sdk_plugin_decision d = SDK_PLUGIN_DECOMMISSION_ALLOW;
            char *why = NULL;
            if (r) sdk_plugin_pre_decommission(s->plugin, r->pod_type, (uint32_t)r->index, &d, &why);
            free(why);
            if (d == SDK_PLUGIN_DECOMMISSION_ALLOW) {
                sdk_errors_free(&st->errors);
                sdk_errors_init(&st->errors);
                sdk_step_set_status(st, SDK_STATUS_PENDING);
            }
        }
    }
}

static void mark_released(sdk_service *s, const sdk_operation *ops, size_t n) {
    sdk_plan *plan = s->uninstall ? (s->n_plans ? s->plans[0] : NULL) : s->decommission;
    if (!plan) return;
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < ops[k].resources.n; i++) {
            const char *id = sdk_resource_label(&ops[k].resources.v[i], "resource_id");
            if (!id) continue;
            for (size_t p = 0; p < plan->n_phases; p++) {
                sdk_phase *ph = plan->phases[p];
                for (size_t j = 0; j < ph->n_steps; j++) {
                    sdk_step *st = ph->steps[j];
                    if (st->action == SDK_ACTION_UNRESERVE && st->target && !strcmp(st->target, id))
                        sdk_step_set_status(st, SDK_STATUS_COMPLETE);
                }
            }
        }
    }
}

/* Resource ids claimed by stored tasks that are neither permanently failed nor decommissioned. */
static const char **claimed_ids(sdk_service *s, size_t *n) {
    size_t cap = 16, k = 0;
    const char **ids = sdk_xmalloc(cap * sizeof *ids);
    for (size_t i = 0; i < s->n_tasks; i++) {
        sdk_task_rec *r = &s->tasks[i];
        if (r->permanently_failed || r->override == SDK_OVERRIDE_DECOMMISSIONED) continue;
        for (size_t j = 0; j < r->n_resource_ids; j++) {
            if (k == cap) ids = sdk_xrealloc(ids, (cap *= 2) * sizeof *ids);
            ids[k++] = r->resource_ids[j];
        }
    }
    *n = k;
    return ids;
}

static void recovery_update(sdk_service *s) {
    sdk_plan **others = sdk_xcalloc(s->n_all ? s->n_all : 1, sizeof *others);
    size_t k = 0;
    sdk_plan *rp = sdk_recovery_plan(s->recovery);
    for (size_t i = 0; i < s->n_all; i++)
        if (s->all[i] != rp) others[k++] = s->all[i];
    sdk_recovery_update(s->recovery, s->target, sdk_service_task_views(s), others, k, k ? 1 : 0);
    free(others);
    svc_prune_overrides(s);
}

/* Revives or suppresses offers for the candidates c (computed after recovery_update). */
static void interest_apply(sdk_service *s, sdk_candidate *c, size_t n) {
    s->interest_stale = false; /* whoever asked, the deferred check is done now */
    if (!s->registered) return;
    /* Revive when a candidate was not a candidate last time (a crash-looping step costs one):
     * each step carries the epoch in which it last was one. */
    uint64_t epoch = ++s->interest_epoch;
    bool fresh = false;
    for (size_t i = 0; i < n; i++) {
        if (c[i].step->mark != epoch - 1) fresh = true;
        c[i].step->mark = epoch;
    }
    if (n > 0 && (fresh || s->suppressed)) {
        s->drv->revive(s->dctx);
        s->m.revives++;
        s->suppressed = false;
    } else if (n == 0 && !s->suppressed && s->n_reconcile == 0 && s->n_gc_agents == 0) {
        s->drv->suppress(s->dctx);
        s->m.suppresses++;
        s->suppressed = true;
    }
}

void svc_update_offer_interest(sdk_service *s) {
    s->interest_stale = false;
    if (!s->registered) return;
    recovery_update(s);
    sdk_candidate *c = NULL;
    size_t n = 0;
    sdk_plan_candidates_new(s->all, s->n_all, &c, &n);
    interest_apply(s, c, n);
    free(c);
}

bool sdk_service_has_work(sdk_service *s) {
    recovery_update(s);
    sdk_candidate *c = NULL;
    size_t n = 0;
    sdk_plan_candidates_new(s->all, s->n_all, &c, &n);
    free(c);
    return n > 0;
}

static double wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void record_batch(sdk_service *s, double ms) {
    sdk_service_metrics *m = &s->m;
    m->offer_ms_recent[m->offer_batches % 1024] = ms;
    m->offer_batches++;
    m->offer_ms_total += ms;
    if (ms > m->offer_ms_max) m->offer_ms_max = ms;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sdk_service_offer_ms_percentile(const sdk_service *s, double pct) {
    size_t n = s->m.offer_batches < 1024 ? s->m.offer_batches : 1024;
    if (!n) return 0;
    double *v = sdk_xmalloc(n * sizeof *v);
    memcpy(v, s->m.offer_ms_recent, n * sizeof *v);
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(pct / 100.0 * (double)(n - 1) + 0.5);
    double r = v[i < n ? i : n - 1];
    free(v);
    return r;
}

static void on_offers_timed(sdk_service *s, const sdk_offer *in, size_t n);

void sdk_service_on_offers(sdk_service *s, const sdk_offer *in, size_t n) {
    double t0 = wall_ms();
    s->m.offers_received += n;
    on_offers_timed(s, in, n);
    record_batch(s, wall_ms() - t0);
}

void sdk_service_hold_offers(sdk_service *s, bool on) {
    s->hold_offers = on;
    if (!on) sdk_service_continue_offers(s);
}

size_t sdk_service_offers_held(const sdk_service *s) { return s->n_held; }

void sdk_service_continue_offers(sdk_service *s) {
    if (!s->n_held) return;
    sdk_offer *held = s->held;
    size_t n = s->n_held;
    s->held = NULL;
    s->n_held = 0;
    double t0 = wall_ms();
    on_offers_timed(s, held, n);
    record_batch(s, wall_ms() - t0);
    for (size_t i = 0; i < n; i++) sdk_offer_free_contents(&held[i]);
    free(held);
}

void sdk_service_drop_held_offers(sdk_service *s, const char *offer_id) {
    size_t k = 0;
    for (size_t i = 0; i < s->n_held; i++) {
        if (!offer_id || (s->held[i].id && !strcmp(s->held[i].id, offer_id))) sdk_offer_free_contents(&s->held[i]);
        else s->held[k++] = s->held[i];
    }
    s->n_held = k;
    if (!k) {
        free(s->held);
        s->held = NULL;
    }
}

/* Adds (pending) or removes agent_id from s->gc_agents (see service_internal.h). */
static void gc_agent_note(sdk_service *s, const char *agent_id, bool pending) {
    if (!agent_id) return;
    for (size_t i = 0; i < s->n_gc_agents; i++)
        if (!strcmp(s->gc_agents[i], agent_id)) {
            if (!pending) {
                free(s->gc_agents[i]);
                s->gc_agents[i] = s->gc_agents[--s->n_gc_agents];
            }
            return;
        }
    if (!pending) return;
    s->gc_agents = sdk_xrealloc(s->gc_agents, (s->n_gc_agents + 1) * sizeof *s->gc_agents);
    s->gc_agents[s->n_gc_agents++] = sdk_xstrdup(agent_id);
}

static void on_offers_timed(sdk_service *s, const sdk_offer *in, size_t n) {
    if (!s->registered || s->n_reconcile > 0) {
        /* Not subscribed yet, or explicit reconciliation still running (§8.4). */
        for (size_t i = 0; i < n; i++) s->drv->decline(s->dctx, &in[i], SDK_DECLINE_SHORT_S);
        s->m.declines_short += n;
        return;
    }
    sdk_offer *offers = sdk_xcalloc(n ? n : 1, sizeof *offers);
    offer_ops *pend = sdk_xcalloc(n ? n : 1, sizeof *pend);
    for (size_t i = 0; i < n; i++) filter_offer(s, &in[i], &offers[i]);

    recovery_update(s);
    svc_recheck_vetoes(s);
    sdk_candidate *c = NULL;
    size_t nc = 0;
    sdk_plan_candidates_new(s->all, s->n_all, &c, &nc);
    for (size_t i = 0; i < nc; i++) {
        if (c[i].step->kind != SDK_STEP_GENERIC) continue;
        if (s->uninstall) svc_uninstall_step(s, c[i].step);
        else run_generic_step(s, c[i].step);
    }
    if (s->uninstalled) {
        for (size_t i = 0; i < n; i++) sdk_offer_free_contents(&offers[i]);
        free(offers);
        free(pend);
        free(c);
        return;
    }
    /* At most s->max_launches launches per batch of offers: what a launch costs in
     * memory lives until its ACCEPT is sent, so a huge deploy goes out in bounded rounds. The
     * offers left unused are kept for the next round (sdk_service_hold_offers) or declined with
     * refuse 0, so that the master offers them again at once. */
    /* With a store that takes transactions of a bounded size in one request (ZooKeeper), the
     * batch also stops where its launches, at the size of the last batch's, would outgrow it:
     * the cycle stays one ZooKeeper transaction, and the next round follows at once. */
    size_t cap = s->max_launches, budget = sdk_store_request_budget(sdk_state_store(s->state));
    /* Held statuses join this cycle's launch transaction (sdk_service_group_statuses): their share first. */
    if (budget) budget = budget > s->held_st_bytes ? budget - s->held_st_bytes : 1;
    if (budget && s->launch_bytes && budget / s->launch_bytes < cap)
        cap = budget / s->launch_bytes ? budget / s->launch_bytes : 1;
    sdk_placement_view *view = NULL; /* built on first need (view_new) */
    size_t *order = sdk_xcalloc(n ? n : 1, sizeof *order); /* no launch yet: offer order */
    for (size_t i = 0; i < n; i++) order[i] = i;
    matched *m = NULL;
    size_t n_m = 0;
    bool capped = false;
    for (size_t i = 0; i < nc && !capped; i++)
        if (c[i].step->kind == SDK_STEP_POD && evaluate_step(s, &c[i], offers, pend, order, n, &view, &m, &n_m)) {
            if (n_m == 1 && budget && !s->launch_bytes) {
                /* No launch recorded yet: the first match's size goes by (else the first cycle of
                 * a big deploy, 1,024 launches, outgrows the budget and reaches ZooKeeper as a
                 * journal written in many requests). */
                sdk_state_txn *probe = sdk_state_txn_new(s->state);
                if (txn_add_launch(s, probe, &m[0].res) == 0 && sdk_state_txn_bytes(probe)) {
                    size_t fit = budget / sdk_state_txn_bytes(probe);
                    if (fit < cap) cap = fit ? fit : 1;
                }
                sdk_state_txn_free(probe);
            }
            capped = n_m >= cap;
        }
    sdk_placement_view_free(view);
    free(order);
    free(c);
    record_launches(s, m, n_m, offers, pend, n);
    free(m);
    for (size_t i = 0; i < n; i++)
        if (offer_ops_any(&pend[i])) send_offer_ops(s, &in[i], &pend[i]);

    /* Garbage-collect reservations nobody claims (during an uninstall: nothing is claimed);
     * decline what is left. */
    svc_uninstall_offers_seen(s, offers, n);
    size_t n_claimed = 0;
    const char **claimed = claimed_ids(s, &n_claimed);
    if (s->uninstall) n_claimed = 0;
    /* The candidates after the launches: whether work is left (how long declined offers stay
     * away) and, unless a release below completes a step, the offer interest at the end. One
     * computation for both: it walks every step of every plan. */
    recovery_update(s);
    sdk_candidate *after = NULL;
    size_t n_after = 0;
    sdk_plan_candidates_new(s->all, s->n_all, &after, &n_after);
    bool work = n_after > 0, released = false;
    for (size_t i = 0; i < n; i++) {
        if (pend[i].sent) {
            /* Its leftovers return to the agent, to be offered by a later allocation (Mesos makes
             * no offer in between; the local cluster neither): unclaimed reservations among them
             * are collected then, so offers are not suppressed before (gc_agent_note). */
            if (!s->uninstall) {
                sdk_operation *gops = NULL;
                size_t n_gops = 0;
                sdk_offer_gc(&offers[i], claimed, n_claimed, s->framework_id, &gops, &n_gops);
                if (n_gops) gc_agent_note(s, offers[i].agent_id, true);
                for (size_t k = 0; k < n_gops; k++) sdk_operation_free_contents(&gops[k]);
                free(gops);
            }
            continue;
        }
        gc_agent_note(s, offers[i].agent_id, false); /* seen again: collected below if unclaimed */
        if (capped && s->hold_offers && !s->uninstall) { /* the next round takes it */
            s->held = sdk_xrealloc(s->held, (s->n_held + 1) * sizeof *s->held);
            sdk_offer_copy(&s->held[s->n_held++], &in[i]);
            continue;
        }
        sdk_operation *ops = NULL;
        size_t n_ops = 0;
        sdk_offer_gc(&offers[i], claimed, n_claimed, s->framework_id, &ops, &n_ops);
        if (n_ops) {
            SDK_INFO("offers", "releasing %zu unclaimed reservation operation(s) on %s", n_ops,
                     offers[i].hostname);
            for (size_t k = 0; k < n_ops; k++) /* before accept, which may take the operations */
                if (ops[k].type == SDK_OP_DESTROY) svc_event_volumes_destroyed(s, &offers[i], &ops[k]);
            s->drv->accept(s->dctx, &in[i], ops, n_ops, SDK_DECLINE_SHORT_S);
            for (size_t k = 0; k < n_ops; k++) {
                if (ops[k].type == SDK_OP_DESTROY) s->m.ops_destroy++;
                else s->m.ops_unreserve++;
            }
            mark_released(s, ops, n_ops);
            released = true;
        } else {
            double refuse = capped ? SDK_ACCEPT_REFUSE_S : work ? SDK_DECLINE_SHORT_S : SDK_DECLINE_LONG_S;
            s->drv->decline(s->dctx, &in[i], refuse);
            if (work) s->m.declines_short++;
            else s->m.declines_long++;
        }
        for (size_t k = 0; k < n_ops; k++) sdk_operation_free_contents(&ops[k]);
        free(ops);
    }
    free(claimed);
    s->m.offers_processed += n;
    for (size_t i = 0; i < n; i++) sdk_offer_free_contents(&offers[i]);
    free(offers);
    free(pend);
    if (released) svc_update_offer_interest(s);
    else interest_apply(s, after, n_after);
    free(after);
}
