/* Service lifecycle: loading stored state, the configuration-update flow (sdk-behaviour.md
 * §5.1), plan construction, and queries. The offer cycle is in offers.c, task statuses in
 * statuses.c. */
#include "core/service/service_internal.h"
#include "core/plugin/plugin.h"
#include "core/spec/envfile.h"
#include "core/util/crashpoint.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* One entry of s->failed_since (the §9.1 clock); owns the key the map borrows. */
typedef struct failed_since {
    char *name;
    double since;
} failed_since;

static double default_clock(void *arg) {
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
double svc_now(const sdk_service *s) { return s->clock(s->clock_arg); }

/* ---------------------------------------------------------------- task records ---- */
static void reindex(sdk_service *s) {
    if (!s->index_dirty) return;
    sdk_strmap_clear(&s->by_name);
    sdk_strmap_clear(&s->by_id);
    for (size_t i = 0; i < s->n_tasks; i++) {
        sdk_task_rec *r = &s->tasks[i];
        if (r->name) sdk_strmap_put(&s->by_name, r->name, (void *)(uintptr_t)(i + 1));
        if (r->desc.task_id && r->desc.task_id[0]) sdk_strmap_put(&s->by_id, r->desc.task_id, (void *)(uintptr_t)(i + 1));
    }
    s->index_dirty = false;
}
void svc_index_forget(sdk_service *s, sdk_task_rec *r) {
    s->pod_index_valid = false; /* the record's pod_instance string is about to be freed */
    if (s->index_dirty) return;
    if (r->name) sdk_strmap_del(&s->by_name, r->name);
    if (r->desc.task_id && r->desc.task_id[0]) sdk_strmap_del(&s->by_id, r->desc.task_id);
}

void svc_index_learn(sdk_service *s, sdk_task_rec *r) {
    s->pod_index_valid = false;
    if (s->index_dirty) return;
    size_t i = (size_t)(r - s->tasks);
    if (r->name) sdk_strmap_put(&s->by_name, r->name, (void *)(uintptr_t)(i + 1));
    if (r->desc.task_id && r->desc.task_id[0]) sdk_strmap_put(&s->by_id, r->desc.task_id, (void *)(uintptr_t)(i + 1));
}

sdk_task_rec *svc_find_task(sdk_service *s, const char *name) {
    reindex(s);
    size_t i = (size_t)(uintptr_t)sdk_strmap_get(&s->by_name, name);
    return i ? &s->tasks[i - 1] : NULL;
}
sdk_task_rec *svc_find_task_id(sdk_service *s, const char *task_id) {
    if (!task_id || !*task_id) return NULL;
    reindex(s);
    size_t i = (size_t)(uintptr_t)sdk_strmap_get(&s->by_id, task_id);
    return i ? &s->tasks[i - 1] : NULL;
}
size_t svc_pod_first(sdk_service *s, const char *pod_instance) {
    if (!s->pod_index_valid) {
        sdk_strmap_clear(&s->pod_first);
        s->pod_next = sdk_xrealloc(s->pod_next, (s->n_tasks ? s->n_tasks : 1) * sizeof *s->pod_next);
        for (size_t i = s->n_tasks; i-- > 0;) { /* backwards, so each chain runs in index order */
            const sdk_task_rec *r = &s->tasks[i];
            s->pod_next[i] = 0;
            if (!r->pod_instance) continue;
            void **slot = sdk_strmap_slot(&s->pod_first, r->pod_instance, NULL);
            s->pod_next[i] = (size_t)(uintptr_t)*slot;
            *slot = (void *)(uintptr_t)(i + 1);
        }
        s->pod_index_valid = true;
    }
    return (size_t)(uintptr_t)sdk_strmap_get(&s->pod_first, pod_instance);
}

sdk_task_rec *svc_add_task(sdk_service *s) {
    s->pod_index_valid = false;
    if (s->n_tasks == s->cap_tasks) {
        s->cap_tasks = s->cap_tasks ? s->cap_tasks * 2 : 16;
        s->tasks = sdk_xrealloc(s->tasks, s->cap_tasks * sizeof *s->tasks);
    }
    sdk_task_rec *r = &s->tasks[s->n_tasks++];
    memset(r, 0, sizeof *r);
    s->views_dirty = true;
    /* The maps hold indices, which appending does not move; the caller names the record and
     * calls svc_index_learn (or marks the index dirty). */
    return r;
}
void svc_remove_task(sdk_service *s, sdk_task_rec *r) {
    size_t i = (size_t)(r - s->tasks);
    sdk_task_rec_free_contents(r);
    memmove(&s->tasks[i], &s->tasks[i + 1], (s->n_tasks - i - 1) * sizeof *s->tasks);
    s->n_tasks--;
    s->views_dirty = true;
    svc_index_dirty(s);
}

/* Fills r's view (borrowing r's strings). */
static void view_fill(sdk_service *s, const sdk_task_rec *r, sdk_task_view *v) {
    v->name = r->name;
    v->pod_type = r->pod_type;
    v->pod_index = r->index;
    v->task = r->spec_task;
    v->task_id = r->desc.task_id;
    v->goal = r->desc.goal;
    const sdk_pod_spec *pod = s->target ? sdk_spec_pod(s->target, r->pod_type) : NULL;
    const sdk_task_spec *ts = pod ? sdk_pod_task(pod, r->spec_task) : NULL;
    v->essential = ts ? ts->essential : true;
    v->has_status = r->has_status;
    v->state = r->state;
    v->ready = r->ready;
    v->config_id = r->config_id;
    v->permanently_failed = r->permanently_failed;
    v->override = r->override;
    v->hostname = r->hostname;
    v->resource_ids = (const char *const *)r->resource_ids;
    v->n_resource_ids = r->n_resource_ids;
}

const sdk_task_views *sdk_service_task_views(sdk_service *s) {
    if (!s->views_dirty && s->views_n == s->n_tasks) return &s->tv;
    free(s->views);
    s->views = sdk_xcalloc(s->n_tasks ? s->n_tasks : 1, sizeof *s->views);
    for (size_t i = 0; i < s->n_tasks; i++) view_fill(s, &s->tasks[i], &s->views[i]);
    s->views_n = s->n_tasks;
    s->tv.v = s->views;
    s->tv.n = s->n_tasks;
    sdk_strmap_clear(&s->views_by_name); /* keys: the records' names, alive while the views are */
    for (size_t i = 0; i < s->n_tasks; i++)
        if (s->views[i].name) sdk_strmap_put(&s->views_by_name, s->views[i].name, &s->views[i]);
    s->tv.by_name = &s->views_by_name;
    s->views_dirty = false;
    return &s->tv;
}

void svc_view_changed(sdk_service *s, const sdk_task_rec *r) {
    if (s->views_dirty || s->views_n != s->n_tasks || !s->views || !r->name || r < s->tasks ||
        r >= s->tasks + s->n_tasks || s->views[r - s->tasks].name != r->name) {
        s->views_dirty = true; /* not the views' record any more: rebuild them all */
        return;
    }
    view_fill(s, r, &s->views[r - s->tasks]);
}

int svc_task_desc_load_new(sdk_service *s, const sdk_task_rec *r, sdk_task_desc *d, sdk_executor_desc *ex,
                           sdk_errors *errs) {
    memset(d, 0, sizeof *d);
    memset(ex, 0, sizeof *ex);
    void *buf = NULL;
    size_t len = 0;
    int rc = sdk_state_task_info_get_new(s->state, r->name, &buf, &len, errs);
    if (rc) return rc;
    char *where = sdk_asprintf_new("Tasks/%s/TaskInfo", r->name);
    rc = sdk_taskinfo_decode(buf, len, where, d, ex, errs);
    free(where);
    free(buf);
    return rc;
}

static void set_label(sdk_task_desc *d, const char *key, const char *value) {
    for (size_t i = 0; i < d->n_labels; i++) {
        if (!strcmp(d->labels[i].key, key)) {
            free(d->labels[i].value);
            d->labels[i].value = sdk_xstrdup(value);
            return;
        }
    }
    d->labels = sdk_xrealloc(d->labels, (d->n_labels + 1) * sizeof *d->labels);
    d->labels[d->n_labels].key = sdk_xstrdup(key);
    d->labels[d->n_labels].value = sdk_xstrdup(value);
    d->n_labels++;
}

int svc_txn_put_task_label(sdk_service *s, sdk_state_txn *t, sdk_task_rec *r, const char *key,
                           const char *value, bool learn) {
    sdk_task_desc d;
    sdk_executor_desc ex;
    int rc = svc_task_desc_load_new(s, r, &d, &ex, NULL);
    void *buf = NULL;
    size_t len = 0;
    if (!rc) {
        set_label(&d, key, value);
        rc = sdk_taskinfo_encode_new(&d, &ex, &buf, &len);
    }
    if (!rc) rc = sdk_state_txn_put_task_info(t, r->name, buf, len);
    if (!rc && learn) sdk_task_rec_learn(r, &d, &ex); /* re-makes r->name: callers mark the index dirty */
    free(buf);
    sdk_task_desc_free_contents(&d);
    sdk_executor_desc_free_contents(&ex);
    return rc;
}

static int load_tasks(sdk_service *s, sdk_errors *errs) {
    char **names = NULL;
    size_t n = 0;
    int rc = sdk_state_tasks_list_new(s->state, &names, &n, errs);
    if (rc) return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        /* Borrowed views of the store's cache: decoded at once, never copied (10,000 tasks). */
        const void *buf = NULL;
        size_t len = 0;
        rc = sdk_state_task_info_peek(s->state, names[i], &buf, &len, errs);
        if (rc == SDK_ENOENT) { rc = 0; continue; } /* status without info: ignore */
        if (rc) break;
        char *where = sdk_asprintf_new("Tasks/%s/TaskInfo", names[i]);
        sdk_task_desc d;
        sdk_executor_desc ex;
        rc = sdk_taskinfo_decode(buf, len, where, &d, &ex, errs);
        free(where);
        if (rc) {
            sdk_task_desc_free_contents(&d);
            sdk_executor_desc_free_contents(&ex);
            break;
        }
        sdk_task_rec *r = svc_add_task(s);
        sdk_task_rec_learn(r, &d, &ex);
        sdk_task_desc_free_contents(&d);
        sdk_executor_desc_free_contents(&ex);
        svc_index_dirty(s);
        rc = sdk_state_task_status_peek(s->state, names[i], &buf, &len, errs);
        if (rc == 0) {
            sdk_stored_status st;
            where = sdk_asprintf_new("Tasks/%s/TaskStatus", names[i]);
            rc = sdk_taskstatus_decode(buf, len, where, &st, errs);
            free(where);
            if (rc) break;
            /* A status of an earlier launch (other TaskID) says nothing about this one. */
            if (st.task_id && r->desc.task_id && !strcmp(st.task_id, r->desc.task_id)) {
                r->has_status = true;
                r->state = st.state;
                r->ready = !st.has_check_status || (st.has_exit_code && st.exit_code == 0);
                r->ip = st.ip; st.ip = NULL;
            }
            sdk_stored_status_free_contents(&st);
        } else if (rc == SDK_ENOENT) {
            rc = 0;
        } else {
            break;
        }
        char *ov = NULL;
        int orc = sdk_state_goal_override_get_new(s->state, names[i], &ov, NULL);
        if (orc == 0 && ov) {
            if (!strcmp(ov, "PAUSED")) r->override = SDK_OVERRIDE_PAUSED;
            else if (!strcmp(ov, "DECOMMISSIONED")) r->override = SDK_OVERRIDE_DECOMMISSIONED;
        }
        free(ov);
        char *progress = NULL;
        if (sdk_state_override_status_get_new(s->state, names[i], &progress, NULL) == 0)
            r->override_progress = svc_override_progress_from_name(progress);
        free(progress);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

/* ------------------------------------------------------------- configurations ---- */
/* Spec of a stored configuration, cached; NULL when unknown or unreadable. */
const sdk_spec *svc_config_spec(sdk_service *s, const char *id) {
    if (!id) return NULL;
    if (s->target_id && !strcmp(id, s->target_id)) return s->target;
    for (size_t i = 0; i < s->n_configs; i++)
        if (!strcmp(s->configs[i].id, id)) return s->configs[i].spec;
    char *json = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_spec *spec = NULL;
    if (sdk_state_config_get_new(s->state, id, &json, &e) == 0) {
        if (sdk_spec_from_json(json, &spec, &e) != 0) spec = NULL;
    }
    if (sdk_errors_any(&e)) SDK_WARN("service", "configuration %s unreadable: %s", id, e.msgs[0]);
    sdk_errors_free(&e);
    free(json);
    s->configs = sdk_xrealloc(s->configs, (s->n_configs + 1) * sizeof *s->configs);
    s->configs[s->n_configs].id = sdk_xstrdup(id);
    s->configs[s->n_configs].spec = spec;
    s->n_configs++;
    return spec;
}

/* Canary releases per "<plan>/<phase>", kept in the property below: plans are rebuilt at every
 * start, but a canary the operator released stays released for the configuration it was given
 * for. A new target forgets them (with the target, in one transaction): every configuration
 * update rolls out through its canaries again, as dcos-commons' freshly generated plans do. */
#define CANARY_PROPERTY "canary-released"

/* Stores cand under a new id as the target (one transaction, which also forgets the canary
 * releases of the old target); the previous target (if any) goes to the configuration cache.
 * Takes cand on success only. */
static int store_new_target(sdk_service *s, sdk_spec *cand, sdk_spec *old, char *old_id, sdk_errors *errs) {
    char id[SDK_UUID_STRLEN + 1];
    sdk_uuid_generate(id);
    char *json = sdk_spec_to_json_new(cand);
    sdk_state_txn *t = sdk_state_txn_new(s->state);
    sdk_state_txn_put_config(t, id, json);
    sdk_state_txn_set_config_target(t, id);
    void *released = NULL;
    size_t released_len = 0;
    if (sdk_state_property_get_new(s->state, CANARY_PROPERTY, &released, &released_len, NULL) == 0)
        sdk_state_txn_delete_property(t, CANARY_PROPERTY);
    free(released);
    int rc = sdk_state_txn_commit(t, errs);
    sdk_state_txn_free(t);
    free(json);
    if (rc) return rc;
    SDK_INFO("config", "new target configuration %s%s%s%s", id, old_id ? " (was " : "", old_id ? old_id : "",
             old_id ? ")" : "");
    sdk_crash_point("after-target");
    s->target = cand;
    s->target_id = sdk_xstrdup(id);
    if (old) {
        /* kept for re-labelling and for recovery of pods still on it */
        s->configs = sdk_xrealloc(s->configs, (s->n_configs + 1) * sizeof *s->configs);
        s->configs[s->n_configs].id = old_id;
        s->configs[s->n_configs].spec = old;
        s->n_configs++;
    } else {
        free(old_id);
    }
    return 0;
}

/* §5.1: validate, store a changed target, re-label tasks whose pod did not change, drop unused
 * configurations. */
static int apply_config_update(sdk_service *s, sdk_spec *cand, sdk_errors *errs) {
    char *old_id = NULL;
    int rc = sdk_state_config_target_get_new(s->state, &old_id, errs);
    if (rc && rc != SDK_ENOENT) { /* unreadable target id (corrupt, store error): cand is ours to free */
        sdk_spec_free(cand);
        return rc;
    }
    sdk_spec *old = NULL;
    if (old_id) {
        char *json = NULL;
        rc = sdk_state_config_get_new(s->state, old_id, &json, errs);
        if (rc == 0) rc = sdk_spec_from_json(json, &old, errs);
        free(json);
        if (rc) {
            sdk_errors_addf(errs, "stored target configuration %s cannot be read; refusing to start", old_id);
            free(old_id);
            sdk_spec_free(cand);
            return SDK_ECORRUPT;
        }
    }
    /* A stored target that no longer validates on its own (stored by an older build, or over a
     * lowered --max-pods) is never built from - its plans alone could exhaust memory: the
     * candidate, which passed every check, is validated as a first target and replaces it. */
    bool set_aside = false;
    sdk_errors own;
    sdk_errors_init(&own);
    bool own_fatal = false;
    if (old) sdk_spec_validate_update(NULL, old, false, &own, &own_fatal);
    if (sdk_errors_any(&own)) {
        for (size_t i = 0; i < own.n; i++) {
            SDK_WARN("config", "stored target configuration %s set aside: %s", old_id, own.msgs[i]);
            sdk_errors_addf(&s->start_notes, "stored target configuration %s set aside: %s", old_id, own.msgs[i]);
        }
        sdk_spec_free(old);
        old = NULL;
        set_aside = true;
    }
    sdk_errors_free(&own);
    void *flag = NULL;
    size_t flag_len = 0;
    bool deploy_completed =
        sdk_state_property_get_new(s->state, "last-completed-update-type", &flag, &flag_len, NULL) == 0;
    free(flag);
    s->update_type_recorded = deploy_completed;

    sdk_errors verr;
    sdk_errors_init(&verr);
    bool fatal = false;
    sdk_spec_validate_update(old, cand, deploy_completed, &verr, &fatal);
    if (s->plugin) sdk_plugin_validate_config(s->plugin, old, cand, &verr);
    svc_check_backend(s, cand, &verr);

    if (sdk_errors_any(&verr) && (fatal || !old)) {
        sdk_errors_extend(errs, &verr);
        sdk_errors_free(&verr);
        sdk_spec_free(old);
        sdk_spec_free(cand);
        free(old_id);
        return SDK_EINVAL;
    }
    if (sdk_errors_any(&verr)) {
        /* Keep the old target; show the errors on the deploy plan (417) and keep running. */
        for (size_t i = 0; i < verr.n; i++) SDK_WARN("config", "update rejected: %s", verr.msgs[i]);
        sdk_errors_extend(&s->config_errors, &verr);
        sdk_errors_free(&verr);
        sdk_spec_free(cand);
        s->target = old;
        s->target_id = old_id;
        return 0;
    }
    sdk_errors_free(&verr);
    if (old && sdk_spec_equal(old, cand)) {
        sdk_spec_free(cand);
        s->target = old;
        s->target_id = old_id;
    } else {
        rc = store_new_target(s, cand, old, old_id, errs);
        if (rc) {
            sdk_spec_free(old);
            sdk_spec_free(cand);
            free(old_id);
            return rc;
        }
        if (set_aside)
            sdk_errors_addf(&s->start_notes, "the configuration of the current options is the target now (%s)",
                            s->target_id);
    }
    return 0;
}

/* §5.1 step 6: tasks on another config whose pod spec is equivalent move to the target. */
static int relabel_tasks(sdk_service *s, sdk_errors *errs) {
    sdk_state_txn *t = NULL;
    for (size_t i = 0; i < s->n_tasks; i++) {
        sdk_task_rec *r = &s->tasks[i];
        if (r->config_id && !strcmp(r->config_id, s->target_id)) continue;
        const sdk_pod_spec *newpod = sdk_spec_pod(s->target, r->pod_type);
        bool move = r->permanently_failed;
        if (!move && newpod) {
            const sdk_spec *old = svc_config_spec(s, r->config_id);
            const sdk_pod_spec *oldpod = old ? sdk_spec_pod(old, r->pod_type) : NULL;
            move = oldpod && sdk_pod_equivalent(oldpod, newpod);
        }
        if (!move) continue;
        if (!t) t = sdk_state_txn_new(s->state);
        int rc = svc_txn_put_task_label(s, t, r, "target_configuration", s->target_id, true);
        svc_index_dirty(s);
        if (rc) { sdk_state_txn_free(t); return rc; }
    }
    int rc = 0;
    if (t) {
        rc = sdk_state_txn_commit(t, errs);
        sdk_state_txn_free(t);
    }
    if (rc) return rc;
    /* Delete configurations no task references (and not the target). */
    char **ids = NULL;
    size_t n = 0;
    if (sdk_state_configs_list_new(s->state, &ids, &n, NULL) == 0) {
        sdk_state_txn *d = NULL;
        for (size_t i = 0; i < n; i++) {
            bool used = !strcmp(ids[i], s->target_id);
            for (size_t j = 0; j < s->n_tasks && !used; j++)
                used = s->tasks[j].config_id && !strcmp(s->tasks[j].config_id, ids[i]);
            if (used) continue;
            if (!d) d = sdk_state_txn_new(s->state);
            sdk_state_txn_delete_config(d, ids[i]);
        }
        if (d) {
            rc = sdk_state_txn_commit(d, errs);
            sdk_state_txn_free(d);
        }
        for (size_t i = 0; i < n; i++) free(ids[i]);
        free(ids);
    }
    return rc;
}

/* (Re)builds the plan list: deploy, recovery, [decommission], custom plans. */
void svc_order_plans(sdk_service *s) {
    free(s->all);
    s->n_all = 0;
    s->all = sdk_xcalloc(s->n_plans + 2, sizeof *s->all);
    if (s->n_plans) s->all[s->n_all++] = s->plans[0];
    s->all[s->n_all++] = sdk_recovery_plan(s->recovery);
    if (s->decommission) s->all[s->n_all++] = s->decommission;
    for (size_t i = 1; i < s->n_plans; i++) s->all[s->n_all++] = s->plans[i];
}

static void restore_canaries(sdk_service *s) {
    void *buf = NULL;
    size_t len = 0;
    if (sdk_state_property_get_new(s->state, CANARY_PROPERTY, &buf, &len, NULL)) return;
    json_t *o = json_loadb(buf, len, 0, NULL);
    free(buf);
    for (size_t i = 0; i < s->n_plans; i++)
        for (size_t j = 0; j < s->plans[i]->n_phases; j++) {
            sdk_phase *ph = s->plans[i]->phases[j];
            char *key = sdk_asprintf_new("%s/%s", s->plans[i]->name, ph->name);
            json_t *v = json_object_get(o, key);
            if (json_is_integer(v)) sdk_phase_canary_restore(ph, (size_t)json_integer_value(v));
            free(key);
        }
    json_decref(o);
}

void sdk_service_plans_changed(sdk_service *s) {
    json_t *o = json_object();
    for (size_t i = 0; i < s->n_plans; i++)
        for (size_t j = 0; j < s->plans[i]->n_phases; j++) {
            sdk_phase *ph = s->plans[i]->phases[j];
            size_t k = sdk_phase_canary_released(ph);
            if (!k) continue;
            char *key = sdk_asprintf_new("%s/%s", s->plans[i]->name, ph->name);
            json_object_set_new(o, key, json_integer((json_int_t)k));
            free(key);
        }
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    void *old = NULL;
    size_t old_len = 0;
    bool same = sdk_state_property_get_new(s->state, CANARY_PROPERTY, &old, &old_len, NULL) == 0 &&
                old_len == strlen(text) && !memcmp(old, text, old_len);
    free(old);
    if (!same && sdk_state_put_property(s->state, CANARY_PROPERTY, text, strlen(text), NULL))
        SDK_WARN("service", "storing canary releases failed: a restart would gate them again");
    free(text);
    svc_update_offer_interest(s);
}

static int build_plans(sdk_service *s, sdk_errors *errs) {
    if (s->uninstall) {
        /* The uninstall plan is served as `deploy` (Cosmos and CLIs poll it), and nothing else runs. */
        s->plans = sdk_xcalloc(1, sizeof *s->plans);
        s->n_plans = 1;
        sdk_uninstall_plan_new(sdk_service_task_views(s), &s->plans[0]);
        free(s->all);
        s->all = sdk_xcalloc(1, sizeof *s->all);
        s->all[0] = s->plans[0];
        s->n_all = 1;
        return 0;
    }
    sdk_plan_ctx ctx = {.tasks = sdk_service_task_views(s), .target_config_id = s->target_id,
                        .backoff = s->backoff};
    int rc = sdk_plans_from_spec_new(s->target, &ctx, s->update_type_recorded, &s->plans, &s->n_plans, errs);
    if (rc) return rc;
    if (s->n_plans && sdk_errors_any(&s->config_errors))
        sdk_errors_extend(&s->plans[0]->errors, &s->config_errors);
    restore_canaries(s);
    rc = sdk_decommission_plan_new(s->target, sdk_service_task_views(s), &s->decommission);
    if (rc) return rc;
    svc_order_plans(s);
    return 0;
}

int sdk_service_new(const sdk_service_options *o, sdk_service **out, sdk_errors *errs) {
    *out = NULL;
    sdk_service *s = sdk_xcalloc(1, sizeof *s);
    s->state = o->state;
    if (s->state) sdk_state_set_commit_hooks(s->state, svc_join_statuses, svc_statuses_committed, s);
    s->drv = o->driver;
    s->dctx = o->driver_ctx;
    s->backend = o->backend;
    s->clock = o->clock ? o->clock : default_clock;
    s->clock_arg = o->clock_arg;
    s->plugin = o->plugin;
    s->permanent_failure_timeout_s = o->permanent_failure_timeout_s;
    sdk_strmap_init(&s->failed_since);
    s->events = o->events;
    s->read_stderr = o->read_stderr;
    s->read_stderr_ctx = o->read_stderr_ctx;
    sdk_strmap_init(&s->waiting_by);
    s->views_dirty = true;
    sdk_errors_init(&s->config_errors);
    sdk_errors_init(&s->start_notes);
    s->env = sdk_kv_copy_new(o->env, o->n_env);
    s->n_env = o->n_env;
    s->backoff = sdk_backoff_new(&o->backoff);
    sdk_backoff_set_clock(s->backoff, s->clock, s->clock_arg); /* one clock for all timing */
    s->recovery = sdk_recovery_new(s->backoff);
    if (s->plugin) sdk_recovery_set_override(s->recovery, svc_plugin_recovery_override, s);

    s->uninstall = o->uninstall;
    s->max_launches = o->max_launches_per_cycle ? o->max_launches_per_cycle : SDK_MAX_LAUNCHES_PER_CYCLE;
    int rc = load_tasks(s, errs);
    if (!rc && !s->uninstall) {
        void *flag = NULL;
        size_t flag_len = 0;
        if (sdk_state_property_get_new(s->state, SVC_UNINSTALL_PROPERTY, &flag, &flag_len, NULL) == 0) {
            free(flag);
            sdk_errors_addf(errs, "an uninstall of %s is in progress and cannot be undone: finish it by starting "
                                  "the scheduler with --uninstall", o->spec->name);
            rc = SDK_ESTATE;
        }
    }
    if (!rc && s->uninstall) rc = svc_uninstall_begin(s, errs);
    if (!rc && s->uninstall) {
        /* No configuration update during an uninstall: keep the stored target if there is one. */
        char *tid = NULL;
        char *json = NULL;
        sdk_spec *stored = NULL;
        sdk_errors ignored; /* no readable target: uninstall with the given spec */
        sdk_errors_init(&ignored);
        if (sdk_state_config_target_get_new(s->state, &tid, &ignored) == 0 &&
            sdk_state_config_get_new(s->state, tid, &json, &ignored) == 0 &&
            sdk_spec_from_json(json, &stored, &ignored) == 0) {
            sdk_spec_free(o->spec);
            s->target = stored;
            s->target_id = tid;
            tid = NULL;
        } else {
            s->target = o->spec;
            s->target_id = sdk_xstrdup("uninstall");
        }
        free(tid);
        free(json);
        sdk_errors_free(&ignored);
    } else if (!rc) {
        rc = apply_config_update(s, o->spec, errs);
    } else {
        sdk_spec_free(o->spec);
    }
    if (!rc) {
        s->role = sdk_spec_role_new(s->target);
        if (!s->uninstall) rc = relabel_tasks(s, errs);
    }
    if (!rc) {
        void *fw = NULL;
        size_t fwlen = 0;
        if (sdk_state_framework_id_get_new(s->state, &fw, &fwlen, NULL) == 0) {
            s->framework_id = sdk_xstrndup(fw, fwlen);
            free(fw);
        }
        rc = build_plans(s, errs);
    }
    if (rc) {
        sdk_service_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void sdk_service_free(sdk_service *s) {
    if (!s) return;
    /* What a run still held back is dropped, as a crash would: unacknowledged, so Mesos sends it again. */
    svc_drop_held_statuses(s);
    if (s->state) sdk_state_set_commit_hooks(s->state, NULL, NULL, NULL);
    svc_waiting_free(s);
    sdk_service_drop_held_offers(s, NULL);
    for (size_t i = 0; i < s->n_gc_agents; i++) free(s->gc_agents[i]);
    free(s->gc_agents);
    for (size_t i = 0; i < s->n_tasks; i++) sdk_task_rec_free_contents(&s->tasks[i]);
    free(s->tasks);
    sdk_task_desc_free_contents(&s->desc_scratch);
    sdk_executor_desc_free_contents(&s->exec_scratch);
    sdk_strmap_free(&s->by_name);
    sdk_strmap_free(&s->by_id);
    sdk_strmap_free(&s->pod_first);
    free(s->pod_next);
    free(s->views);
    sdk_strmap_free(&s->views_by_name);
    sdk_plans_free(s->plans, s->n_plans);
    sdk_plan_free(s->decommission);
    sdk_recovery_free(s->recovery);
    sdk_backoff_free(s->backoff);
    free(s->all);
    for (size_t i = 0; i < s->n_configs; i++) {
        free(s->configs[i].id);
        sdk_spec_free(s->configs[i].spec);
    }
    free(s->configs);
    sdk_spec_free(s->target);
    free(s->target_id);
    free(s->role);
    free(s->framework_id);
    for (size_t i = 0; i < s->n_env; i++) { free(s->env[i].key); free(s->env[i].value); }
    free(s->env);
    for (size_t i = 0; i < s->n_kills; i++) { free(s->kills[i].task_id); free(s->kills[i].agent_id); }
    free(s->kills);
    sdk_strmap_free(&s->reconcile_at);
    for (size_t i = 0; i < s->n_reconcile; i++) free(s->reconcile[i]);
    free(s->reconcile);
    for (size_t i = 0; i < s->log_n; i++) svc_log_entry_free(&s->log[(s->log_start + i) % SVC_LOG_MAX]);
    svc_free_overrides(s);
    for (size_t i = 0; i < s->failed_since.cap; i++)
        if (s->failed_since.keys && s->failed_since.keys[i]) {
            failed_since *f = s->failed_since.vals[i];
            free(f->name);
            free(f);
        }
    sdk_strmap_free(&s->failed_since);
    sdk_errors_free(&s->config_errors);
    sdk_errors_free(&s->start_notes);
    free(s);
}

/* ------------------------------------------------------------ live updates ---- */
static void set_config_errors(sdk_service *s, const sdk_errors *e) {
    sdk_errors_free(&s->config_errors);
    sdk_errors_init(&s->config_errors);
    if (e) sdk_errors_extend(&s->config_errors, e);
    if (!s->n_plans) return;
    /* the deploy plan's own errors are exactly the configuration errors */
    sdk_errors_free(&s->plans[0]->errors);
    sdk_errors_init(&s->plans[0]->errors);
    sdk_errors_extend(&s->plans[0]->errors, &s->config_errors);
}

int sdk_service_update_config(sdk_service *s, sdk_spec *cand, sdk_errors *errs) {
    if (s->uninstall) {
        sdk_errors_addf(errs, "the service is being uninstalled: configuration updates are refused");
        sdk_spec_free(cand);
        return SDK_ESTATE;
    }
    sdk_errors verr;
    sdk_errors_init(&verr);
    bool fatal = false;
    sdk_spec_validate_update(s->target, cand, s->update_type_recorded, &verr, &fatal);
    if (s->plugin) sdk_plugin_validate_config(s->plugin, s->target, cand, &verr);
    svc_check_backend(s, cand, &verr);
    if (sdk_errors_any(&verr)) {
        for (size_t i = 0; i < verr.n; i++) SDK_WARN("config", "update rejected: %s", verr.msgs[i]);
        set_config_errors(s, &verr);
        sdk_errors_extend(errs, &verr);
        sdk_errors_free(&verr);
        sdk_spec_free(cand);
        return SDK_EINVAL;
    }
    sdk_errors_free(&verr);
    if (sdk_spec_equal(s->target, cand)) {
        sdk_spec_free(cand);
        set_config_errors(s, NULL);
        return 0;
    }
    sdk_spec *old = s->target;
    char *old_id = s->target_id;
    int rc = store_new_target(s, cand, old, old_id, errs);
    if (rc) {
        sdk_spec_free(cand);
        return rc;
    }
    sdk_errors_free(&s->config_errors);
    sdk_errors_init(&s->config_errors);
    rc = relabel_tasks(s, errs);
    /* Plans are rebuilt from the new target as at a restart: steps of unchanged pods start
     * COMPLETE, changed pods roll; in-flight tasks on the target are adopted by their steps. */
    sdk_plans_free(s->plans, s->n_plans);
    s->plans = NULL;
    s->n_plans = 0;
    sdk_plan_free(s->decommission);
    s->decommission = NULL;
    s->views_dirty = true;
    if (!rc) rc = build_plans(s, errs);
    if (!rc && s->registered) svc_kill_unneeded_tasks(s);
    if (rc) SDK_ERROR("config", "applying the new configuration failed; restart the scheduler");
    svc_update_offer_interest(s);
    return rc;
}

const sdk_errors *sdk_service_config_errors(const sdk_service *s) { return &s->config_errors; }
const sdk_errors *sdk_service_start_notes(const sdk_service *s) { return &s->start_notes; }

/* ------------------------------------------------------------------- queries ---- */
const sdk_spec *sdk_service_target_spec(const sdk_service *s) { return s->target; }
const char *sdk_service_target_id(const sdk_service *s) { return s->target_id; }
const char *sdk_service_framework_id(const sdk_service *s) { return s->framework_id; }
sdk_plan *const *sdk_service_plans(sdk_service *s, size_t *n) {
    *n = s->n_all;
    return s->all;
}
sdk_plan *sdk_service_plan(sdk_service *s, const char *name) { return sdk_plans_find(s->all, s->n_all, name); }
const sdk_task_desc *sdk_service_task_desc(sdk_service *s, const char *task_name) {
    sdk_task_desc_free_contents(&s->desc_scratch);
    sdk_executor_desc_free_contents(&s->exec_scratch);
    sdk_task_rec *r = svc_find_task(s, task_name);
    if (!r) return NULL;
    if (svc_task_desc_load_new(s, r, &s->desc_scratch, &s->exec_scratch, NULL)) {
        sdk_task_desc_free_contents(&s->desc_scratch);
        sdk_executor_desc_free_contents(&s->exec_scratch);
        return NULL;
    }
    return &s->desc_scratch;
}
bool sdk_service_is_suppressed(const sdk_service *s) { return s->suppressed; }
bool sdk_service_registered(const sdk_service *s) { return s->registered; }
size_t sdk_service_reconciling(const sdk_service *s) { return s->registered ? s->n_reconcile : 0; }
const sdk_service_metrics *sdk_service_get_metrics(const sdk_service *s) { return &s->m; }
const sdk_offer_log_entry *sdk_service_offer_log(const sdk_service *s, size_t *n) {
    /* The ring is kept contiguous by offers.c (it memmoves), so log_start is always 0. */
    *n = s->log_n;
    return s->log;
}

/* ------------------------------------------------------------ recovery policy ---- */
static int num_var(const sdk_kv *vars, size_t n, const char *key, double *out, sdk_errors *errs) {
    const char *v = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(vars[i].key, key)) v = vars[i].value; /* later wins */
    if (!v || !*v) return 0;
    char *end = NULL;
    double d = strtod(v, &end);
    if (*end || d < 0) {
        sdk_errors_addf(errs, "%s=%s: expected a number of seconds (or a factor) >= 0", key, v);
        return SDK_EINVAL;
    }
    *out = d;
    return 0;
}

static bool bool_var(const sdk_kv *vars, size_t n, const char *key) {
    const char *v = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(vars[i].key, key)) v = vars[i].value;
    return v && !strcasecmp(v, "true");
}

int sdk_service_policy_from_vars(sdk_service_options *o, const sdk_kv *vars, size_t n, sdk_errors *errs) {
    int rc = 0;
    sdk_backoff_config_default(&o->backoff); /* on: see sdk_backoff_config_default */
    const char *eb = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(vars[i].key, "ENABLE_BACKOFF")) eb = vars[i].value;
    if (eb && *eb) {
        if (!strcasecmp(eb, "false") || !strcmp(eb, "0") || !strcasecmp(eb, "no")) o->backoff.enabled = false;
        else if (!strcasecmp(eb, "true") || !strcmp(eb, "1") || !strcasecmp(eb, "yes")) o->backoff.enabled = true;
        else {
            sdk_errors_addf(errs, "ENABLE_BACKOFF=%s: expected true or false (crash-loop backoff is on by default)", eb);
            rc = SDK_EINVAL;
        }
    }
    rc |= num_var(vars, n, "FRAMEWORK_INITIAL_BACKOFF", &o->backoff.initial_s, errs);
    rc |= num_var(vars, n, "FRAMEWORK_BACKOFF_FACTOR", &o->backoff.factor, errs);
    rc |= num_var(vars, n, "FRAMEWORK_MAX_LAUNCH_DELAY", &o->backoff.max_s, errs);
    o->permanent_failure_timeout_s = 0;
    if (bool_var(vars, n, "ENABLE_AUTOMATIC_POD_REPLACEMENT")) {
        o->permanent_failure_timeout_s = 1200; /* dcos-commons' default */
        rc |= num_var(vars, n, "PERMANENT_FAILURE_TIMEOUT_SECS", &o->permanent_failure_timeout_s, errs);
    }
    return rc ? SDK_EINVAL : 0;
}

/* §9.1: a RUNNING-goal task that stays failed longer than the timeout is marked permanently
 * failed, so its recovery becomes a replacement. The clock starts when this process first sees
 * the failure. Called from the tick. */
static void forget_failure(sdk_service *s, failed_since *f) {
    sdk_strmap_del(&s->failed_since, f->name);
    free(f->name);
    free(f);
}

void svc_check_permanent_failures(sdk_service *s) {
    if (s->permanent_failure_timeout_s <= 0 || s->uninstall) return;
    double now = svc_now(s);
    sdk_state_txn *t = NULL;
    for (size_t i = 0; i < s->n_tasks; i++) {
        sdk_task_rec *r = &s->tasks[i];
        bool failed = r->desc.goal == SDK_GOAL_RUNNING && r->has_status && sdk_tstate_terminal(r->state) &&
                      !r->permanently_failed && r->override == SDK_OVERRIDE_NONE;
        failed_since *f = sdk_strmap_get(&s->failed_since, r->name);
        if (!failed) {
            if (f) forget_failure(s, f);
            continue;
        }
        if (!f) {
            f = sdk_xmalloc(sizeof *f);
            f->name = sdk_xstrdup(r->name);
            f->since = now;
            sdk_strmap_put(&s->failed_since, f->name, f);
            continue;
        }
        if (now - f->since < s->permanent_failure_timeout_s) continue;
        SDK_WARN("recovery", "%s has been failed for %.0f s (permanent-failure timeout %.0f s): replacing it",
                 r->name, now - f->since, s->permanent_failure_timeout_s);
        forget_failure(s, f);
        if (!t) t = sdk_state_txn_new(s->state);
        svc_txn_put_task_label(s, t, r, "permanently-failed", "true", true);
        svc_index_dirty(s);
    }
    if (t) {
        if (sdk_state_txn_commit(t, NULL)) SDK_ERROR("recovery", "storing permanent failures failed; will retry");
        sdk_state_txn_free(t);
        s->views_dirty = true;
    }
}
