/* Typed accessors for the dcos-commons state layout (contracts in layout.h). */
#include "core/state/layout.h"

#include <stdlib.h>
#include <string.h>

#include "core/util/str.h"
#include "core/util/uuid.h"

struct sdk_state {
    sdk_store *store;
    char *service;
    void (*join)(void *ud, sdk_state_txn *into); /* sdk_state_set_commit_hooks */
    void (*done)(void *ud, int rc);
    void *hooks_ud;
    bool in_hooks; /* a hook is running: its own commits do not call them again */
};

struct sdk_state_txn {
    sdk_state *st;
    sdk_store_txn *txn;
    sdk_errors errs; /* argument errors found while building; a non-empty list fails commit */
};

static const char *const goal_overrides[] = {"NONE", "PAUSED", "DECOMMISSIONED", NULL};
static const char *const override_statuses[] = {"PENDING", "IN_PROGRESS", "COMPLETE", NULL};

sdk_store *sdk_state_store(sdk_state *st) { return st->store; }

/* A task name or property key is one path component: non-empty, no '/', not "." or "..", no
 * control characters. */
static bool component_valid(const char *s) {
    return s && *s && !strchr(s, '/') && sdk_store_path_valid(s);
}

static int bad_name(sdk_errors *errs, const char *what, const char *name) {
    if (errs)
        sdk_errors_addf(errs,
                        "state: invalid %s '%s': it must be non-empty and may not contain '/', "
                        "control characters, or be '.' or '..'",
                        what, name ? name : "(null)");
    return SDK_EINVAL;
}

static int bad_uuid(sdk_errors *errs, const char *uuid) {
    if (errs)
        sdk_errors_addf(errs, "state: invalid configuration id '%s': expected a UUID "
                              "(8-4-4-4-12 hex digits)", uuid ? uuid : "(null)");
    return SDK_EINVAL;
}

static bool in_set(const char *v, const char *const *set) {
    for (; *set; set++)
        if (strcmp(v, *set) == 0) return true;
    return false;
}

/* ---- open ---- */

static int get_text_new(sdk_store *s, const char *path, char **out, sdk_errors *errs) {
    void *v = NULL;
    size_t len = 0;
    int rc = sdk_store_get_new(s, path, &v, &len, errs);
    *out = rc == 0 ? v : NULL;
    return rc;
}

int sdk_state_open_new(sdk_store *store, const char *service_name, sdk_state **out,
                       sdk_errors *errs) {
    *out = NULL;
    if (!service_name || !*service_name) {
        if (errs) sdk_errors_addf(errs, "state: no service name given");
        return SDK_EINVAL;
    }
    char *ver = NULL, *name = NULL;
    int rc = get_text_new(store, "SchemaVersion", &ver, errs);
    if (rc && rc != SDK_ENOENT) return rc;
    bool fresh = rc == SDK_ENOENT;
    if (!fresh) {
        char *end = NULL;
        long v = strtol(ver, &end, 10);
        if (end == ver || *end != '\0' || v < 1) {
            if (errs)
                sdk_errors_addf(errs, "state (%s): SchemaVersion holds '%s', not a schema number",
                                sdk_store_describe(store), ver);
            free(ver);
            return SDK_ECORRUPT;
        }
        free(ver);
        if (v != SDK_STATE_SCHEMA_VERSION) {
            if (errs)
                sdk_errors_addf(errs,
                                "state (%s): stored schema version %ld is %s than this scheduler's "
                                "schema version %d; use a scheduler that supports version %ld",
                                sdk_store_describe(store), v,
                                v > SDK_STATE_SCHEMA_VERSION ? "newer" : "other",
                                SDK_STATE_SCHEMA_VERSION, v);
            return SDK_ESTATE;
        }
    }
    rc = get_text_new(store, "servicename", &name, errs);
    if (rc && rc != SDK_ENOENT) return rc;
    if (rc == 0 && strcmp(name, service_name) != 0) {
        if (errs)
            sdk_errors_addf(errs,
                            "state (%s): this state belongs to service '%s', not '%s'; point the "
                            "scheduler at that service's state or use its name",
                            sdk_store_describe(store), name, service_name);
        free(name);
        return SDK_ESTATE;
    }
    bool have_name = rc == 0;
    free(name);
    if (fresh || !have_name) {
        sdk_store_txn *t = sdk_store_txn_new();
        if (fresh) sdk_store_txn_set_str(t, "SchemaVersion", "1");
        if (!have_name) sdk_store_txn_set_str(t, "servicename", service_name);
        rc = sdk_store_txn_commit(store, t, errs);
        sdk_store_txn_free(t);
        if (rc) return rc;
    }
    sdk_state *st = sdk_xcalloc(1, sizeof *st);
    st->store = store;
    st->service = sdk_xstrdup(service_name);
    *out = st;
    return 0;
}

void sdk_state_free(sdk_state *st) {
    if (!st) return;
    free(st->service);
    free(st);
}

/* ---- reads ---- */

int sdk_state_framework_id_get_new(sdk_state *st, void **buf, size_t *len, sdk_errors *errs) {
    return sdk_store_get_new(st->store, "FrameworkID", buf, len, errs);
}

int sdk_state_config_target_get_new(sdk_state *st, char **uuid, sdk_errors *errs) {
    int rc = get_text_new(st->store, "ConfigTarget", uuid, errs);
    if (rc == 0 && !sdk_uuid_valid(*uuid)) {
        if (errs)
            sdk_errors_addf(errs, "state (%s): ConfigTarget holds '%s', not a UUID",
                            sdk_store_describe(st->store), *uuid);
        free(*uuid);
        *uuid = NULL;
        return SDK_ECORRUPT;
    }
    return rc;
}

int sdk_state_config_get_new(sdk_state *st, const char *uuid, char **json, sdk_errors *errs) {
    *json = NULL;
    if (!uuid || !sdk_uuid_valid(uuid)) return bad_uuid(errs, uuid);
    char *p = sdk_asprintf_new("Configurations/%s", uuid);
    int rc = get_text_new(st->store, p, json, errs);
    free(p);
    return rc;
}

/* Children of a fixed parent; an absent parent is an empty list. */
static int list_new(sdk_state *st, const char *parent, char ***names, size_t *n, sdk_errors *errs) {
    int rc = sdk_store_children_new(st->store, parent, names, n, errs);
    return rc == SDK_ENOENT ? 0 : rc;
}

int sdk_state_configs_list_new(sdk_state *st, char ***uuids, size_t *n, sdk_errors *errs) {
    return list_new(st, "Configurations", uuids, n, errs);
}

int sdk_state_tasks_list_new(sdk_state *st, char ***names, size_t *n, sdk_errors *errs) {
    return list_new(st, "Tasks", names, n, errs);
}

int sdk_state_check_complete(sdk_state *st, sdk_errors *errs) {
    bool fw = false, target = false;
    int rc = sdk_store_exists(st->store, "FrameworkID", &fw, errs);
    if (!rc) rc = sdk_store_exists(st->store, "ConfigTarget", &target, errs);
    char **tasks = NULL;
    size_t n = 0;
    if (!rc) rc = sdk_state_tasks_list_new(st, &tasks, &n, errs);
    if (rc) return rc;
    const char *why = NULL;
    if (fw && !target) why = "a framework id is stored but no target configuration (stored before registering)";
    else if (n && !fw) why = "tasks are stored but no framework id (stored before any launch)";
    if (why && errs)
        sdk_errors_addf(errs,
                        "state (%s): part of the state was deleted: %s. Starting on it would "
                        "treat the service's tasks, reservations and volumes as unknown (killed, "
                        "and destroyed when offered). Restore the state from a backup, or start "
                        "with --reset-state to go on with what is left",
                        sdk_store_describe(st->store), why);
    sdk_store_names_free(tasks, n);
    return why ? SDK_ESTATE : 0;
}

int sdk_state_properties_list_new(sdk_state *st, char ***keys, size_t *n, sdk_errors *errs) {
    return list_new(st, "Properties", keys, n, errs);
}

static int task_get_new(sdk_state *st, const char *task, const char *leaf, void **buf,
                        size_t *len, sdk_errors *errs) {
    *buf = NULL;
    if (len) *len = 0;
    if (!component_valid(task)) return bad_name(errs, "task name", task);
    char *p = sdk_asprintf_new("Tasks/%s/%s", task, leaf);
    int rc = sdk_store_get_new(st->store, p, buf, len, errs);
    free(p);
    return rc;
}

static int task_peek(sdk_state *st, const char *task, const char *leaf, const void **buf, size_t *len,
                     sdk_errors *errs) {
    *buf = NULL;
    if (len) *len = 0;
    if (!component_valid(task)) return bad_name(errs, "task name", task);
    char *p = sdk_asprintf_new("Tasks/%s/%s", task, leaf);
    int rc = sdk_store_peek(st->store, p, buf, len, errs);
    free(p);
    return rc;
}

int sdk_state_task_info_peek(sdk_state *st, const char *task, const void **buf, size_t *len, sdk_errors *errs) {
    return task_peek(st, task, "TaskInfo", buf, len, errs);
}

int sdk_state_task_status_peek(sdk_state *st, const char *task, const void **buf, size_t *len, sdk_errors *errs) {
    return task_peek(st, task, "TaskStatus", buf, len, errs);
}

int sdk_state_task_info_get_new(sdk_state *st, const char *task, void **buf, size_t *len,
                                sdk_errors *errs) {
    return task_get_new(st, task, "TaskInfo", buf, len, errs);
}

int sdk_state_task_status_get_new(sdk_state *st, const char *task, void **buf, size_t *len,
                                  sdk_errors *errs) {
    return task_get_new(st, task, "TaskStatus", buf, len, errs);
}

static int override_get_new(sdk_state *st, const char *task, const char *leaf,
                            const char *const *allowed, char **value, sdk_errors *errs) {
    void *v = NULL;
    int rc = task_get_new(st, task, leaf, &v, NULL, errs);
    *value = v;
    if (rc == 0 && !in_set(*value, allowed)) {
        if (errs)
            sdk_errors_addf(errs, "state (%s): Tasks/%s/%s holds unknown value '%s'",
                            sdk_store_describe(st->store), task, leaf, *value);
        free(*value);
        *value = NULL;
        return SDK_ECORRUPT;
    }
    return rc;
}

int sdk_state_goal_override_get_new(sdk_state *st, const char *task, char **value,
                                    sdk_errors *errs) {
    return override_get_new(st, task, "Metadata/goal-state-override", goal_overrides, value, errs);
}

int sdk_state_override_status_get_new(sdk_state *st, const char *task, char **value,
                                      sdk_errors *errs) {
    return override_get_new(st, task, "Metadata/override-status", override_statuses, value, errs);
}

int sdk_state_property_get_new(sdk_state *st, const char *key, void **buf, size_t *len,
                               sdk_errors *errs) {
    *buf = NULL;
    if (len) *len = 0;
    if (!component_valid(key)) return bad_name(errs, "property key", key);
    char *p = sdk_asprintf_new("Properties/%s", key);
    int rc = sdk_store_get_new(st->store, p, buf, len, errs);
    free(p);
    return rc;
}

/* ---- transactions ---- */

sdk_state_txn *sdk_state_txn_new(sdk_state *st) {
    sdk_state_txn *t = sdk_xcalloc(1, sizeof *t);
    t->st = st;
    t->txn = sdk_store_txn_new();
    sdk_errors_init(&t->errs);
    return t;
}

void sdk_state_txn_free(sdk_state_txn *t) {
    if (!t) return;
    sdk_store_txn_free(t->txn);
    sdk_errors_free(&t->errs);
    free(t);
}

int sdk_state_txn_set_framework_id(sdk_state_txn *t, const void *buf, size_t len) {
    sdk_store_txn_set(t->txn, "FrameworkID", buf, len);
    return 0;
}

int sdk_state_txn_delete_framework_id(sdk_state_txn *t) {
    sdk_store_txn_delete(t->txn, "FrameworkID");
    return 0;
}

int sdk_state_txn_set_config_target(sdk_state_txn *t, const char *uuid) {
    if (!uuid || !sdk_uuid_valid(uuid)) return bad_uuid(&t->errs, uuid);
    sdk_store_txn_set_str(t->txn, "ConfigTarget", uuid);
    return 0;
}

int sdk_state_txn_put_config(sdk_state_txn *t, const char *uuid, const char *json) {
    if (!uuid || !sdk_uuid_valid(uuid)) return bad_uuid(&t->errs, uuid);
    if (!json) {
        sdk_errors_addf(&t->errs, "state: configuration %s has no JSON text", uuid);
        return SDK_EINVAL;
    }
    char *p = sdk_asprintf_new("Configurations/%s", uuid);
    sdk_store_txn_set_str(t->txn, p, json);
    free(p);
    return 0;
}

int sdk_state_txn_delete_config(sdk_state_txn *t, const char *uuid) {
    if (!uuid || !sdk_uuid_valid(uuid)) return bad_uuid(&t->errs, uuid);
    char *p = sdk_asprintf_new("Configurations/%s", uuid);
    sdk_store_txn_delete(t->txn, p);
    free(p);
    return 0;
}

static int task_put(sdk_state_txn *t, const char *task, const char *leaf, const void *buf,
                    size_t len) {
    if (!component_valid(task)) return bad_name(&t->errs, "task name", task);
    char *p = sdk_asprintf_new("Tasks/%s/%s", task, leaf);
    if (buf)
        sdk_store_txn_set(t->txn, p, buf, len);
    else
        sdk_store_txn_delete(t->txn, p);
    free(p);
    return 0;
}

int sdk_state_txn_put_task_info(sdk_state_txn *t, const char *task, const void *buf, size_t len) {
    return task_put(t, task, "TaskInfo", buf ? buf : "", buf ? len : 0);
}

int sdk_state_txn_put_task_status(sdk_state_txn *t, const char *task, const void *buf,
                                  size_t len) {
    return task_put(t, task, "TaskStatus", buf ? buf : "", buf ? len : 0);
}

static int override_put(sdk_state_txn *t, const char *task, const char *leaf,
                        const char *const *allowed, const char *value) {
    if (value && !in_set(value, allowed)) {
        sdk_buf b;
        sdk_buf_init(&b);
        for (const char *const *a = allowed; *a; a++) sdk_buf_printf(&b, "%s%s", a == allowed ? "" : ", ", *a);
        sdk_errors_addf(&t->errs, "state: invalid %s '%s' for task '%s': expected one of %s", leaf,
                        value, task ? task : "(null)", b.data);
        sdk_buf_free(&b);
        return SDK_EINVAL;
    }
    char *p = sdk_asprintf_new("Metadata/%s", leaf);
    int rc = task_put(t, task, p, value, value ? strlen(value) : 0);
    free(p);
    return rc;
}

int sdk_state_txn_set_goal_override(sdk_state_txn *t, const char *task, const char *value) {
    return override_put(t, task, "goal-state-override", goal_overrides, value);
}

int sdk_state_txn_set_override_status(sdk_state_txn *t, const char *task, const char *value) {
    return override_put(t, task, "override-status", override_statuses, value);
}

int sdk_state_txn_delete_task(sdk_state_txn *t, const char *task) {
    if (!component_valid(task)) return bad_name(&t->errs, "task name", task);
    char *p = sdk_asprintf_new("Tasks/%s", task);
    sdk_store_txn_delete_tree(t->txn, p);
    free(p);
    return 0;
}

int sdk_state_txn_put_property(sdk_state_txn *t, const char *key, const void *buf, size_t len) {
    if (!component_valid(key)) return bad_name(&t->errs, "property key", key);
    char *p = sdk_asprintf_new("Properties/%s", key);
    sdk_store_txn_set(t->txn, p, buf, buf ? len : 0);
    free(p);
    return 0;
}

int sdk_state_txn_delete_property(sdk_state_txn *t, const char *key) {
    if (!component_valid(key)) return bad_name(&t->errs, "property key", key);
    char *p = sdk_asprintf_new("Properties/%s", key);
    sdk_store_txn_delete(t->txn, p);
    free(p);
    return 0;
}

size_t sdk_state_txn_bytes(const sdk_state_txn *t) { return sdk_store_txn_bytes(t->txn); }

void sdk_state_set_commit_hooks(sdk_state *st, void (*join)(void *ud, sdk_state_txn *into),
                                void (*done)(void *ud, int rc), void *ud) {
    st->join = join;
    st->done = done;
    st->hooks_ud = ud;
}

/* Commits t with the held writes in front of its own operations (when the hooks are set and
 * not already running). */
static int commit_joined(sdk_state_txn *t, sdk_errors *errs) {
    sdk_state *st = t->st;
    if (!st->join || st->in_hooks) return sdk_store_txn_commit(st->store, t->txn, errs);
    st->in_hooks = true;
    sdk_state_txn *held = sdk_state_txn_new(st);
    st->join(st->hooks_ud, held);
    int rc;
    if (sdk_errors_any(&held->errs)) {
        if (errs) sdk_errors_extend(errs, &held->errs);
        rc = SDK_EINVAL;
    } else {
        sdk_store_txn_prepend(t->txn, held->txn);
        rc = sdk_store_txn_commit(st->store, t->txn, errs);
    }
    sdk_state_txn_free(held);
    if (st->done) st->done(st->hooks_ud, rc);
    st->in_hooks = false;
    return rc;
}

int sdk_state_commit_held(sdk_state *st, sdk_errors *errs) {
    sdk_state_txn *t = sdk_state_txn_new(st);
    int rc = commit_joined(t, errs);
    sdk_state_txn_free(t);
    return rc;
}

int sdk_state_txn_commit(sdk_state_txn *t, sdk_errors *errs) {
    if (sdk_errors_any(&t->errs)) {
        /* t fails on its own: what is held is still stored, in its own transaction */
        sdk_state_commit_held(t->st, NULL);
        if (errs) sdk_errors_extend(errs, &t->errs);
        return SDK_EINVAL;
    }
    return commit_joined(t, errs);
}

/* ---- single-change helpers ---- */

/* Commits t (built by the caller), forwarding its errors; frees t. */
static int commit_one(sdk_state_txn *t, int add_rc, sdk_errors *errs) {
    int rc = sdk_state_txn_commit(t, errs);
    sdk_state_txn_free(t);
    return add_rc ? add_rc : rc;
}

int sdk_state_set_framework_id(sdk_state *st, const void *buf, size_t len, sdk_errors *errs) {
    sdk_state_txn *t = sdk_state_txn_new(st);
    return commit_one(t, sdk_state_txn_set_framework_id(t, buf, len), errs);
}

int sdk_state_set_config_target(sdk_state *st, const char *uuid, sdk_errors *errs) {
    sdk_state_txn *t = sdk_state_txn_new(st);
    return commit_one(t, sdk_state_txn_set_config_target(t, uuid), errs);
}

int sdk_state_put_config(sdk_state *st, const char *uuid, const char *json, sdk_errors *errs) {
    sdk_state_txn *t = sdk_state_txn_new(st);
    return commit_one(t, sdk_state_txn_put_config(t, uuid, json), errs);
}

int sdk_state_delete_config(sdk_state *st, const char *uuid, sdk_errors *errs) {
    sdk_state_txn *t = sdk_state_txn_new(st);
    return commit_one(t, sdk_state_txn_delete_config(t, uuid), errs);
}

int sdk_state_put_property(sdk_state *st, const char *key, const void *buf, size_t len,
                           sdk_errors *errs) {
    sdk_state_txn *t = sdk_state_txn_new(st);
    return commit_one(t, sdk_state_txn_put_property(t, key, buf, len), errs);
}

int sdk_state_delete_property(sdk_state *st, const char *key, sdk_errors *errs) {
    sdk_state_txn *t = sdk_state_txn_new(st);
    return commit_one(t, sdk_state_txn_delete_property(t, key), errs);
}

int sdk_state_delete_task(sdk_state *st, const char *task, sdk_errors *errs) {
    sdk_state_txn *t = sdk_state_txn_new(st);
    return commit_one(t, sdk_state_txn_delete_task(t, task), errs);
}

int sdk_state_wipe(sdk_state *st, sdk_errors *errs) {
    sdk_state_commit_held(st, NULL); /* written (and acknowledged) before they are wiped, in order */
    char **top = NULL;
    size_t n = 0;
    int rc = sdk_store_children_new(st->store, "", &top, &n, errs);
    if (rc) return rc;
    sdk_store_txn *t = sdk_store_txn_new();
    for (size_t i = 0; i < n; i++)
        if (strcmp(top[i], "SchemaVersion")) sdk_store_txn_delete_tree(t, top[i]);
    rc = sdk_store_txn_commit(st->store, t, errs);
    sdk_store_txn_free(t);
    sdk_store_names_free(top, n);
    return rc;
}
