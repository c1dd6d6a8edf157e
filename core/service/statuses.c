/* Task statuses, kills and reconciliation (sdk-behaviour.md §4.2, §7, §8.4, §8.6). */
#include "core/events/events.h"
#include "core/service/service_internal.h"
#include "core/util/crashpoint.h"
#include "core/plugin/plugin.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void svc_kill_task(sdk_service *s, const char *task_id, const char *agent_id) {
    if (!task_id || !*task_id) return;
    for (size_t i = 0; i < s->n_kills; i++)
        if (!strcmp(s->kills[i].task_id, task_id)) return; /* already being killed */
    s->kills = sdk_xrealloc(s->kills, (s->n_kills + 1) * sizeof *s->kills);
    s->kills[s->n_kills].task_id = sdk_xstrdup(task_id);
    s->kills[s->n_kills].agent_id = sdk_xstrdup(agent_id);
    s->kills[s->n_kills].last = svc_now(s);
    s->n_kills++;
    s->m.kills++;
    SDK_INFO("tasks", "killing %s", task_id);
    s->drv->kill(s->dctx, task_id, agent_id);
}

static void forget_kill(sdk_service *s, const char *task_id) {
    for (size_t i = 0; i < s->n_kills; i++) {
        if (strcmp(s->kills[i].task_id, task_id)) continue;
        free(s->kills[i].task_id);
        free(s->kills[i].agent_id);
        s->kills[i] = s->kills[--s->n_kills];
        return;
    }
}

static void reconciled(sdk_service *s, const char *task_id) {
    size_t at = (size_t)(uintptr_t)sdk_strmap_get(&s->reconcile_at, task_id);
    if (!at) return;
    size_t i = at - 1;
    sdk_strmap_del(&s->reconcile_at, task_id);
    free(s->reconcile[i]);
    s->reconcile[i] = s->reconcile[--s->n_reconcile];
    if (i < s->n_reconcile) sdk_strmap_put(&s->reconcile_at, s->reconcile[i], (void *)(uintptr_t)(i + 1));
    if (s->n_reconcile == 0) SDK_INFO("service", "explicit reconciliation complete");
}

static void send_reconcile(sdk_service *s) {
    const char **ids = sdk_xcalloc(s->n_reconcile ? s->n_reconcile : 1, sizeof *ids);
    const char **agents = sdk_xcalloc(s->n_reconcile ? s->n_reconcile : 1, sizeof *agents);
    for (size_t i = 0; i < s->n_reconcile; i++) {
        ids[i] = s->reconcile[i];
        sdk_task_rec *r = svc_find_task_id(s, s->reconcile[i]);
        agents[i] = r ? r->desc.agent_id : NULL;
    }
    s->drv->reconcile(s->dctx, ids, agents, s->n_reconcile);
    s->reconcile_last = svc_now(s);
    free(ids);
    free(agents);
}

int sdk_service_on_registered(sdk_service *s, const char *framework_id) {
    if (!s->framework_id || strcmp(s->framework_id, framework_id)) {
        sdk_errors e;
        sdk_errors_init(&e);
        int rc = sdk_state_set_framework_id(s->state, framework_id, strlen(framework_id), &e);
        if (rc) {
            SDK_ERROR("service", "storing framework id failed: %s", e.n ? e.msgs[0] : "?");
            sdk_errors_free(&e);
            return rc;
        }
        sdk_errors_free(&e);
        free(s->framework_id);
        s->framework_id = sdk_xstrdup(framework_id);
    }
    s->registered = true;
    s->suppressed = false;
    sdk_strmap_clear(&s->reconcile_at);
    for (size_t i = 0; i < s->n_reconcile; i++) free(s->reconcile[i]);
    s->n_reconcile = 0;
    free(s->reconcile);
    s->reconcile = sdk_xcalloc(s->n_tasks ? s->n_tasks : 1, sizeof *s->reconcile);
    for (size_t i = 0; i < s->n_tasks; i++) {
        sdk_task_rec *r = &s->tasks[i];
        if (!r->desc.task_id || !r->desc.task_id[0]) continue;
        if (r->has_status && sdk_tstate_terminal(r->state)) continue;
        if (sdk_strmap_has(&s->reconcile_at, r->desc.task_id)) continue;
        s->reconcile[s->n_reconcile] = sdk_xstrdup(r->desc.task_id);
        sdk_strmap_put(&s->reconcile_at, s->reconcile[s->n_reconcile], (void *)(uintptr_t)(s->n_reconcile + 1));
        s->n_reconcile++;
    }
    if (s->n_reconcile) {
        SDK_INFO("service", "reconciling %zu task(s) before using offers", s->n_reconcile);
        send_reconcile(s);
    }
    svc_kill_unneeded_tasks(s); /* as dcos-commons does once registered */
    /* Work that was in flight before a restart may need offers again: every candidate counts
     * as new after a (re)registration. */
    s->interest_epoch += 2;
    svc_update_offer_interest(s);
    return 0;
}

/* dcos-commons refuses to overwrite a terminal status with these (§7). */
static bool weak_state(sdk_tstate st) {
    return st == SDK_TSTATE_LOST || st == SDK_TSTATE_GONE || st == SDK_TSTATE_DROPPED ||
           st == SDK_TSTATE_UNKNOWN || st == SDK_TSTATE_UNREACHABLE;
}

/* ---- statuses of a run, stored in one transaction (sdk_service_defer_interest) ---- */

typedef struct svc_held_status {
    char *task;
    void *buf;    /* the latest encoded TaskStatus */
    size_t len;
    void *ip_buf; /* the latest one that carried an IP, for the "<task>:task-status" property; or NULL */
    size_t ip_len;
} svc_held_status;

typedef struct svc_held_ack {
    char *agent_id, *task_id;
    void *uuid;
    size_t uuid_len;
} svc_held_ack;

/* A group is stored on its own once it holds this much, so that the transaction that carries
 * it stays one ZooKeeper request (a ZooKeeper server keeps its last 500 transactions in memory:
 * see sdk_store_request_budget). Per run (sdk_service_defer_interest): 32 KiB, so its
 * acknowledgements are not held back for long. Grouped across runs (sdk_service_group_statuses):
 * half the store's request budget (the other half is an offer cycle's launches, which it joins;
 * 256 KiB without a budget). */
static size_t group_cap(const sdk_service *s) {
    if (!s->group_statuses) return 32u << 10;
    size_t budget = sdk_store_request_budget(sdk_state_store(s->state));
    return budget ? budget / 2 : 256u << 10;
}

/* Holds the latest status of task (buf taken); an earlier held one is replaced, and one that
 * carried an IP (ip) also becomes the task's IP status. Returns whether the group is now big
 * enough to be stored (svc_flush_statuses). */
static bool hold_status(sdk_service *s, const char *task, void *buf, size_t len, bool ip) {
    size_t at = (size_t)(uintptr_t)sdk_strmap_get(&s->held_st_at, task);
    svc_held_status *h;
    if (!s->n_held_st) s->held_since = svc_now(s);
    if (at) {
        h = &s->held_st[at - 1];
        free(h->buf);
    } else {
        s->held_st = sdk_xrealloc(s->held_st, (s->n_held_st + 1) * sizeof *s->held_st);
        h = &s->held_st[s->n_held_st++];
        *h = (svc_held_status){.task = sdk_xstrdup(task)};
        sdk_strmap_put(&s->held_st_at, h->task, (void *)(uintptr_t)s->n_held_st);
    }
    h->buf = buf;
    h->len = len;
    s->held_st_bytes += len + strlen(task) + 64; /* value, path and per-operation overhead */
    if (ip) {
        free(h->ip_buf);
        h->ip_buf = sdk_xmalloc(len ? len : 1);
        memcpy(h->ip_buf, buf, len);
        h->ip_len = len;
        s->held_st_bytes += len + strlen(task) + 64;
    }
    return s->held_st_bytes >= group_cap(s);
}

static void hold_ack(sdk_service *s, const sdk_status_update *u) {
    s->held_acks = sdk_xrealloc(s->held_acks, (s->n_held_acks + 1) * sizeof *s->held_acks);
    svc_held_ack *a = &s->held_acks[s->n_held_acks++];
    a->agent_id = sdk_xstrdup(u->agent_id);
    a->task_id = sdk_xstrdup(u->task_id);
    a->uuid = sdk_xmalloc(u->uuid_len);
    memcpy(a->uuid, u->uuid, u->uuid_len);
    a->uuid_len = u->uuid_len;
}

static void free_held(svc_held_status *st, size_t n_st, svc_held_ack *acks, size_t n_acks) {
    for (size_t i = 0; i < n_st; i++) {
        free(st[i].task);
        free(st[i].buf);
        free(st[i].ip_buf);
    }
    free(st);
    for (size_t i = 0; i < n_acks; i++) {
        free(acks[i].agent_id);
        free(acks[i].task_id);
        free(acks[i].uuid);
    }
    free(acks);
}

void svc_join_statuses(void *svc, sdk_state_txn *into) {
    sdk_service *s = svc;
    for (size_t i = 0; i < s->n_held_st; i++) {
        svc_held_status *h = &s->held_st[i];
        sdk_state_txn_put_task_status(into, h->task, h->buf, h->len);
        if (h->ip_buf) {
            char *key = sdk_asprintf_new("%s:task-status", h->task);
            sdk_state_txn_put_property(into, key, h->ip_buf, h->ip_len);
            free(key);
        }
    }
    /* The acknowledgements ride with this commit: svc_statuses_committed answers them. */
    s->riding_acks = s->held_acks;
    s->n_riding_acks = s->n_held_acks;
    s->n_riding_st = s->n_held_st;
    free_held(s->held_st, s->n_held_st, NULL, 0);
    s->held_st = NULL;
    s->held_acks = NULL;
    s->n_held_st = s->n_held_acks = 0;
    s->held_st_bytes = 0;
    sdk_strmap_clear(&s->held_st_at);
}

void svc_statuses_committed(void *svc, int rc) {
    sdk_service *s = svc;
    svc_held_ack *acks = s->riding_acks;
    size_t n_acks = s->n_riding_acks, n_st = s->n_riding_st;
    s->riding_acks = NULL;
    s->n_riding_acks = s->n_riding_st = 0;
    if (rc && n_st)
        SDK_ERROR("tasks", "storing %zu status update(s) failed with the transaction that carried them; none is "
                           "acknowledged, Mesos sends them again", n_st);
    if (!rc && n_st) sdk_crash_point("after-status");
    /* Durable before acknowledged: an update acknowledged is never sent again by Mesos. */
    for (size_t i = 0; i < n_acks && !rc; i++)
        s->drv->acknowledge(s->dctx, acks[i].agent_id, acks[i].task_id, acks[i].uuid, acks[i].uuid_len);
    free_held(NULL, 0, acks, n_acks);
}

int svc_flush_statuses(sdk_service *s) {
    if (!s->n_held_st && !s->n_held_acks) return 0;
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_state_commit_held(s->state, &e); /* the hooks above fill and answer it */
    if (rc) SDK_ERROR("tasks", "storing status updates failed: %s", e.n ? e.msgs[0] : "?");
    sdk_errors_free(&e);
    return rc;
}

void svc_drop_held_statuses(sdk_service *s) {
    if (s->n_held_st) SDK_DEBUG("tasks", "%zu status update(s) not stored nor acknowledged", s->n_held_st);
    free_held(s->held_st, s->n_held_st, s->held_acks, s->n_held_acks);
    s->held_st = NULL;
    s->held_acks = NULL;
    s->n_held_st = s->n_held_acks = 0;
    s->held_st_bytes = 0;
    sdk_strmap_free(&s->held_st_at);
}

void sdk_service_on_status(sdk_service *s, const sdk_status_update *u) {
    bool ack_held = false; /* the acknowledgement waits for the grouped commit */
    if ((unsigned)u->state < 14) s->m.task_status[u->state]++;
    sdk_task_rec *r = svc_find_task_id(s, u->task_id);
    reconciled(s, u->task_id);
    if (!r) {
        /* Not ours (or an old launch): make sure it dies, unless it is already dead. */
        if (!sdk_tstate_terminal(u->state) && u->state != SDK_TSTATE_UNKNOWN) {
            SDK_WARN("tasks", "status %s for unknown task %s: killing it", sdk_tstate_name(u->state), u->task_id);
            svc_kill_task(s, u->task_id, u->agent_id);
        } else {
            forget_kill(s, u->task_id);
        }
        goto ack;
    }
    /* A launch that reached a terminal state never runs again (Mesos never reuses a task id): a
     * later non-terminal update of it is stale (a reconciliation answer computed before the end,
     * a resend overtaken), and the weak terminal ones are refused as dcos-commons does (§7).
     * Storing it would bring a dead task back to life in the plans and the recovery. */
    if (r->has_status && sdk_tstate_terminal(r->state) && (weak_state(u->state) || !sdk_tstate_terminal(u->state))) {
        SDK_DEBUG("tasks", "%s: %s after %s for the same launch: stale, ignored", r->name, sdk_tstate_name(u->state),
                  sdk_tstate_name(r->state));
        goto ack;
    }

    const sdk_task_spec *ts = NULL;
    const sdk_spec *cs = svc_config_spec(s, r->config_id);
    const sdk_pod_spec *pod = cs ? sdk_spec_pod(cs, r->pod_type) : NULL;
    if (pod) ts = sdk_pod_task(pod, r->spec_task);
    bool has_readiness = ts && ts->readiness_check.present;
    /* A status without check status counts as ready (§1.9). */
    bool ready = !has_readiness || !u->has_check_status || (u->has_exit_code && u->exit_code == 0);

    /* A reconciliation answer (no uuid: nothing to acknowledge) that repeats what is stored
     * changes nothing durable: no write (after a restart with 10,000 tasks that would be 10,000
     * transactions before the first offer is used). */
    bool repeat = !(u->uuid && u->uuid_len) && r->has_status && r->state == u->state && r->ready == ready &&
                  u->state != SDK_TSTATE_GONE_BY_OPERATOR && !(u->ip && *u->ip && (!r->ip || strcmp(r->ip, u->ip)));
    bool newly_failed = u->state == SDK_TSTATE_GONE_BY_OPERATOR && !r->permanently_failed;
    if (!repeat && s->defer_interest && !newly_failed) {
        /* Stored with the rest of the run's statuses when it settles. */
        void *buf = NULL;
        size_t len = 0;
        if (sdk_taskstatus_encode_new(u, &buf, &len)) {
            SDK_ERROR("tasks", "storing status of %s failed: encoding", r->name);
            free(buf);
            return;
        }
        bool full = hold_status(s, r->name, buf, len, u->ip && *u->ip);
        if (u->uuid && u->uuid_len) {
            hold_ack(s, u);
            ack_held = true;
        }
        if (full) svc_flush_statuses(s);
    } else if (!repeat) {
        void *buf = NULL;
        size_t len = 0;
        sdk_state_txn *t = sdk_state_txn_new(s->state);
        int rc = sdk_taskstatus_encode_new(u, &buf, &len);
        if (!rc) rc = sdk_state_txn_put_task_status(t, r->name, buf, len);
        if (!rc && u->ip && *u->ip) {
            char *key = sdk_asprintf_new("%s:task-status", r->name);
            rc = sdk_state_txn_put_property(t, key, buf, len);
            free(key);
        }
        if (!rc && newly_failed) {
            rc = svc_txn_put_task_label(s, t, r, "permanently-failed", "true", true);
            svc_index_dirty(s);
        }
        sdk_errors e;
        sdk_errors_init(&e);
        if (!rc) rc = sdk_state_txn_commit(t, &e);
        sdk_state_txn_free(t);
        free(buf);
        if (rc) {
            /* Not stored: do not acknowledge, Mesos will send it again. */
            SDK_ERROR("tasks", "storing status of %s failed: %s", r->name, e.n ? e.msgs[0] : "encoding");
            sdk_errors_free(&e);
            return;
        }
        sdk_errors_free(&e);
        sdk_crash_point("after-status");
    }
    /* First word about a launch is "unknown to the master/agent" from reconciliation: the launch
     * never reached Mesos (the scheduler died between recording it and sending the ACCEPT). */
    if (!r->has_status && sdk_tstate_terminal(u->state) && u->reason && !strcmp(u->reason, "REASON_RECONCILIATION")) {
        r->never_launched = true;
        SDK_WARN("tasks", "%s was recorded but never launched; its reservations are not used", r->name);
    }
    r->has_status = true;
    r->state = u->state;
    r->ready = ready;
    if (u->ip && *u->ip) { free(r->ip); r->ip = sdk_xstrdup(u->ip); }
    svc_override_on_status(s, r); /* a pause or resume completes once its relaunch runs */
    svc_view_changed(s, r);
    /* A repeated reconciliation answer is noise at info level (10,000 lines after a restart). */
    sdk_log(repeat ? SDK_LOG_DEBUG : SDK_LOG_INFO, "tasks", "%s: %s%s", r->name, sdk_tstate_name(u->state),
            u->state == SDK_TSTATE_RUNNING ? (ready ? " (ready)" : " (not ready)") : "");

    size_t taken = 0;
    for (size_t i = 0; i < s->n_all; i++)
        taken += sdk_plan_on_task_status(s->all[i], r->name, u->task_id, u->state, ready);
    /* A step that launched the task feeds the crash-loop backoff itself; a failure of a task no
     * step is watching (its deploy step is COMPLETE) still counts. */
    if (!taken) {
        if (u->state == SDK_TSTATE_FAILED || u->state == SDK_TSTATE_ERROR) sdk_backoff_on_failure(s->backoff, r->name);
        else if ((u->state == SDK_TSTATE_RUNNING && ready) || u->state == SDK_TSTATE_GONE_BY_OPERATOR)
            sdk_backoff_clear(s->backoff, r->name);
    }
    if (!repeat && (u->state == SDK_TSTATE_FAILED || u->state == SDK_TSTATE_ERROR || u->state == SDK_TSTATE_LOST ||
                    u->state == SDK_TSTATE_DROPPED || u->state == SDK_TSTATE_GONE))
        svc_event_task_failed(s, r, u); /* after the backoff saw it: the event carries the delay */
    if (s->plugin)
        sdk_plugin_task_status_notify(s->plugin, r->name, u->task_id, sdk_tstate_name(u->state), r->hostname,
                                      u->ip, u->message);
    if (u->state != SDK_TSTATE_STAGING && u->state != SDK_TSTATE_STARTING &&
        u->state != SDK_TSTATE_RUNNING && u->state != SDK_TSTATE_KILLING)
        forget_kill(s, u->task_id);

    /* First completion of deploy: later starts use the `update` plan (§4.7). */
    if (!s->update_type_recorded && s->n_plans && !sdk_plan_has_open_step(s->plans[0]) &&
        sdk_plan_status(s->plans[0]) == SDK_STATUS_COMPLETE &&
        sdk_plan_error_count(s->plans[0]) == 0) {
        if (sdk_state_put_property(s->state, "last-completed-update-type", "DEPLOY", 6, NULL) == 0) {
            s->update_type_recorded = true;
            SDK_INFO("service", "deploy plan complete");
        }
    }
ack:
    if (u->uuid && u->uuid_len && !ack_held)
        s->drv->acknowledge(s->dctx, u->agent_id, u->task_id, u->uuid, u->uuid_len);
    /* Only a status that ends a task or completes a step can make new work appear (a recovery,
     * the next step of a serial phase); the others cannot. The tick catches up on the rest. */
    if (sdk_tstate_terminal(u->state) || u->state == SDK_TSTATE_RUNNING) {
        if (s->defer_interest) s->interest_stale = true;
        else svc_update_offer_interest(s);
    }
}

void sdk_service_defer_interest(sdk_service *s, bool on) {
    s->defer_interest = on;
    if (!on) sdk_service_settle(s);
}

void sdk_service_settle(sdk_service *s) {
    if (!s->group_statuses) svc_flush_statuses(s);
    if (s->interest_stale) {
        s->interest_stale = false;
        svc_update_offer_interest(s);
    }
}

void sdk_service_group_statuses(sdk_service *s, bool on) {
    s->group_statuses = on;
    if (!on) svc_flush_statuses(s);
}

double sdk_service_flush_statuses_due(sdk_service *s, double max_age_s) {
    if (!s->n_held_st && !s->n_held_acks) return -1;
    double age = svc_now(s) - s->held_since;
    if (age < max_age_s) return max_age_s - age;
    svc_flush_statuses(s);
    return -1;
}

void sdk_service_tick(sdk_service *s) {
    double now = svc_now(s);
    svc_check_permanent_failures(s);
    for (size_t i = 0; i < s->n_kills; i++) {
        if (now - s->kills[i].last < SVC_KILL_RETRY_S) continue;
        s->kills[i].last = now;
        s->drv->kill(s->dctx, s->kills[i].task_id, s->kills[i].agent_id);
    }
    if (s->registered && s->n_reconcile && now - s->reconcile_last >= SVC_RECONCILE_RETRY_S)
        send_reconcile(s);
    svc_recheck_vetoes(s);
    svc_update_offer_interest(s); /* delayed steps coming due, vetoes lifted */
    svc_waiting_report(s);
}
