#include "core/plugin/live_backend.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop/proc.h"
#include "core/mapping/taskinfo.h"
#include "core/util/str.h"

/* A timer or command started for a plugin; ud of the loop timer / proc callback. */
typedef struct live_cb {
    sdk_live_backend *b;
    struct live_cb *next;
    bool is_command;
    uint64_t id; /* loop timer id or proc id: both > 0 and never reused */
    sdk_plugin_backend_timer_fn timer_fn;
    sdk_plugin_backend_command_fn command_fn;
    void *arg;
} live_cb;

/* Last IP answered for a task: the pointer handed out stays valid until the IP changes. */
typedef struct ip_entry {
    char *task, *ip;
} ip_entry;

struct sdk_live_backend {
    sdk_loop *loop;
    sdk_state *state;
    sdk_service *svc;
    sdk_proc_runner *runner;
    sdk_live_backend_options opts;
    live_cb *cbs;
    ip_entry *ips;
    size_t n_ips;
};

int sdk_live_backend_new(sdk_loop *loop, sdk_state *state, const sdk_live_backend_options *opts,
                         sdk_live_backend **out) {
    if (!loop || !out) return SDK_EINVAL;
    sdk_live_backend *b = sdk_xcalloc(1, sizeof *b);
    b->loop = loop;
    b->state = state;
    if (opts) b->opts = *opts;
    int rc = sdk_proc_runner_new(loop, &b->runner);
    if (rc) {
        free(b);
        return rc;
    }
    *out = b;
    return SDK_OK;
}

void sdk_live_backend_free(sdk_live_backend *b) {
    if (!b) return;
    while (b->cbs) {
        live_cb *c = b->cbs;
        b->cbs = c->next;
        if (!c->is_command) sdk_loop_timer_cancel(b->loop, c->id);
        free(c);
    }
    /* Kills and reaps whatever still runs; no callback reaches the freed records. */
    sdk_proc_runner_free(b->runner);
    for (size_t i = 0; i < b->n_ips; i++) {
        free(b->ips[i].task);
        free(b->ips[i].ip);
    }
    free(b->ips);
    free(b);
}

void sdk_live_backend_attach_state(sdk_live_backend *b, sdk_state *state) { b->state = state; }

void sdk_live_backend_attach_service(sdk_live_backend *b, sdk_service *svc) {
    if (b) b->svc = svc;
}

size_t sdk_live_backend_pending(const sdk_live_backend *b) {
    size_t n = 0;
    for (const live_cb *c = b ? b->cbs : NULL; c; c = c->next) n++;
    return n;
}

/* ---- log ----------------------------------------------------------------------------------- */

static void lb_log(void *ctx, const char *plugin, sdk_log_level level, const char *msg) {
    (void)ctx;
    char module[96];
    snprintf(module, sizeof module, "plugin:%s", plugin ? plugin : "?");
    sdk_log(level, module, "%s", msg ? msg : "");
}

/* ---- properties ---------------------------------------------------------------------------- */

/* Plugin names are [a-z0-9-]+ (no '.'), so "plugin.<name>." never prefixes another plugin's
 * keys, and no core property starts with "plugin.". */
static char *scoped_key_new(const char *plugin, const char *key) {
    return sdk_asprintf_new("plugin.%s.%s", plugin, key);
}

static void log_state_error(const char *plugin, const char *what, const char *key, int rc,
                            const sdk_errors *e) {
    char module[96];
    snprintf(module, sizeof module, "plugin:%s", plugin);
    sdk_log(SDK_LOG_ERROR, module, "property '%s': %s failed (code %d): %s", key, what, rc,
            e->n ? e->msgs[0] : "state store error");
}

static int lb_property_get(void *ctx, const char *plugin, const char *key, char **value_new,
                           size_t *len) {
    sdk_live_backend *b = ctx;
    if (!plugin || !key || !value_new || !len) return SDK_EINVAL;
    if (!b->state) return SDK_ESTATE;
    char *k = scoped_key_new(plugin, key);
    sdk_errors e;
    sdk_errors_init(&e);
    void *buf = NULL;
    size_t n = 0;
    int rc = sdk_state_property_get_new(b->state, k, &buf, &n, &e);
    if (rc == 0) {
        /* The store NUL-terminates its copies, as the vtable promises. */
        *value_new = buf;
        *len = n;
    } else if (rc != SDK_ENOENT) {
        log_state_error(plugin, "read", key, rc, &e);
    }
    sdk_errors_free(&e);
    free(k);
    return rc;
}

static int lb_property_set(void *ctx, const char *plugin, const char *key, const void *value,
                           size_t len) {
    sdk_live_backend *b = ctx;
    if (!plugin || !key || (!value && len)) return SDK_EINVAL;
    if (!b->state) return SDK_ESTATE;
    char *k = scoped_key_new(plugin, key);
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_state_put_property(b->state, k, value ? value : "", len, &e);
    if (rc) log_state_error(plugin, "write", key, rc, &e);
    sdk_errors_free(&e);
    free(k);
    return rc;
}

static int lb_property_delete(void *ctx, const char *plugin, const char *key) {
    sdk_live_backend *b = ctx;
    if (!plugin || !key) return SDK_EINVAL;
    if (!b->state) return SDK_ESTATE;
    char *k = scoped_key_new(plugin, key);
    sdk_errors e;
    sdk_errors_init(&e);
    void *buf = NULL;
    int rc = sdk_state_property_get_new(b->state, k, &buf, NULL, &e);
    free(buf);
    if (rc == 0) rc = sdk_state_delete_property(b->state, k, &e);
    if (rc && rc != SDK_ENOENT) log_state_error(plugin, "delete", key, rc, &e);
    sdk_errors_free(&e);
    free(k);
    return rc;
}

/* ---- task queries -------------------------------------------------------------------------- */

static const sdk_task_view *find_view(sdk_live_backend *b, const char *task) {
    if (!b->svc || !task) return NULL;
    return sdk_task_views_find(sdk_service_task_views(b->svc), task);
}

static int lb_pod_tasks(void *ctx, const char *pod, int64_t index, char ***names_new, size_t *n) {
    sdk_live_backend *b = ctx;
    if (!pod || !names_new || !n || index < -1) return SDK_EINVAL;
    *names_new = NULL;
    *n = 0;
    if (!b->svc) return SDK_ESTATE; /* not available before the service is attached */
    const sdk_task_views *tv = sdk_service_task_views(b->svc);
    size_t total = tv ? tv->n : 0;
    char **v = sdk_xcalloc(total + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < total; i++) {
        const sdk_task_view *t = &tv->v[i];
        if (t->pod_type && strcmp(t->pod_type, pod) == 0 && (index < 0 || t->pod_index == index))
            v[k++] = sdk_xstrdup(t->name);
    }
    *names_new = v;
    *n = k;
    return SDK_OK;
}

static const char *lb_task_state(void *ctx, const char *task) {
    const sdk_task_view *t = find_view(ctx, task);
    /* No status stored yet (a stub, or launched and not heard of): unknown. */
    return t && t->has_status ? sdk_tstate_name(t->state) : NULL;
}

static const char *lb_task_agent(void *ctx, const char *task) {
    const sdk_task_view *t = find_view(ctx, task);
    return t ? t->hostname : NULL;
}

static const char *remember_ip(sdk_live_backend *b, const char *task, const char *ip) {
    for (size_t i = 0; i < b->n_ips; i++)
        if (strcmp(b->ips[i].task, task) == 0) {
            if (strcmp(b->ips[i].ip, ip) != 0) {
                free(b->ips[i].ip);
                b->ips[i].ip = sdk_xstrdup(ip);
            }
            return b->ips[i].ip;
        }
    b->ips = sdk_xrealloc(b->ips, (b->n_ips + 1) * sizeof *b->ips);
    b->ips[b->n_ips].task = sdk_xstrdup(task);
    b->ips[b->n_ips].ip = sdk_xstrdup(ip);
    return b->ips[b->n_ips++].ip;
}

/* The service keeps the last TaskStatus that carried an IP in the core property
 * "<task>:task-status" (as dcos-commons does); the IP is read from there. */
static const char *lb_task_ip(void *ctx, const char *task) {
    sdk_live_backend *b = ctx;
    if (!find_view(b, task) || !b->state) return NULL;
    char *key = sdk_asprintf_new("%s:task-status", task);
    void *buf = NULL;
    size_t len = 0;
    const char *ip = NULL;
    int rc = sdk_state_property_get_new(b->state, key, &buf, &len, NULL);
    if (rc == 0) {
        sdk_stored_status st;
        sdk_errors e;
        sdk_errors_init(&e);
        if (sdk_taskstatus_decode(buf, len, key, &st, &e) == 0) {
            if (st.ip && *st.ip) ip = remember_ip(b, task, st.ip);
            sdk_stored_status_free_contents(&st);
        } else {
            SDK_WARN("plugin", "task_ip(%s): %s", task, e.n ? e.msgs[0] : "undecodable status");
        }
        sdk_errors_free(&e);
    }
    free(buf);
    free(key);
    return ip;
}

/* ---- timers -------------------------------------------------------------------------------- */

static void unlink_cb(live_cb *c) {
    for (live_cb **pp = &c->b->cbs; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            return;
        }
}

static live_cb *find_cb(sdk_live_backend *b, uint64_t id, bool command) {
    for (live_cb *c = b->cbs; c; c = c->next)
        if (c->id == id && c->is_command == command) return c;
    return NULL;
}

static void on_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)l;
    (void)id;
    live_cb *c = ud;
    unlink_cb(c);
    sdk_plugin_backend_timer_fn fn = c->timer_fn;
    void *arg = c->arg;
    free(c);
    fn(arg);
}

static int lb_timer_start(void *ctx, uint64_t delay_ms, sdk_plugin_backend_timer_fn fn, void *arg,
                          uint64_t *id) {
    sdk_live_backend *b = ctx;
    if (!fn || !id) return SDK_EINVAL;
    live_cb *c = sdk_xcalloc(1, sizeof *c);
    c->b = b;
    c->timer_fn = fn;
    c->arg = arg;
    int rc = sdk_loop_timer_add(b->loop, delay_ms, on_timer, c, &c->id);
    if (rc) {
        free(c);
        return rc;
    }
    c->next = b->cbs;
    b->cbs = c;
    *id = c->id;
    return SDK_OK;
}

static int lb_timer_cancel(void *ctx, uint64_t id) {
    sdk_live_backend *b = ctx;
    live_cb *c = find_cb(b, id, false);
    if (!c) return SDK_ENOENT;
    sdk_loop_timer_cancel(b->loop, c->id);
    unlink_cb(c);
    free(c);
    return SDK_OK;
}

/* ---- commands ------------------------------------------------------------------------------ */

static void on_command_done(void *ud, const sdk_proc_result *res) {
    live_cb *c = ud;
    unlink_cb(c);
    if (res->out_truncated || res->err_truncated)
        SDK_WARN("plugin", "command %llu: output beyond the %s cap was dropped",
                 (unsigned long long)res->id,
                 res->out_truncated && res->err_truncated ? "stdout and stderr"
                 : res->out_truncated                     ? "stdout" : "stderr");
    sdk_plugin_backend_result r = {
        .exit_code = res->exit_code,
        .timed_out = res->timed_out,
        .out = res->out,
        .out_len = res->out_len,
        .err = res->err,
        .err_len = res->err_len,
    };
    sdk_plugin_backend_command_fn fn = c->command_fn;
    void *arg = c->arg;
    free(c);
    fn(arg, &r);
}

static int lb_command_start(void *ctx, const sdk_plugin_backend_command *cmd,
                            sdk_plugin_backend_command_fn fn, void *arg, uint64_t *id) {
    sdk_live_backend *b = ctx;
    if (!cmd || !fn || !id) return SDK_EINVAL;
    sdk_proc_options o = {
        .argv = cmd->argv,
        .env = cmd->env,
        .cwd = cmd->cwd,
        .timeout_ms = cmd->timeout_ms,
        .kill_grace_ms = b->opts.kill_grace_ms,
        .max_output = b->opts.max_output,
    };
    live_cb *c = sdk_xcalloc(1, sizeof *c);
    c->b = b;
    c->is_command = true;
    c->command_fn = fn;
    c->arg = arg;
    int rc = sdk_proc_start(b->runner, &o, on_command_done, c, &c->id);
    if (rc) {
        free(c);
        return rc;
    }
    c->next = b->cbs;
    b->cbs = c;
    *id = c->id;
    return SDK_OK;
}

static int lb_command_cancel(void *ctx, uint64_t id) {
    sdk_live_backend *b = ctx;
    live_cb *c = find_cb(b, id, true);
    if (!c) return SDK_ENOENT;
    sdk_proc_cancel(b->runner, c->id);
    unlink_cb(c);
    free(c);
    return SDK_OK;
}

sdk_plugin_backend sdk_live_backend_vtable(sdk_live_backend *b) {
    sdk_plugin_backend v = {
        .ctx = b,
        .log = lb_log,
        .property_get = lb_property_get,
        .property_set = lb_property_set,
        .property_delete = lb_property_delete,
        .pod_tasks = lb_pod_tasks,
        .task_state = lb_task_state,
        .task_ip = lb_task_ip,
        .task_agent = lb_task_agent,
        .timer_start = lb_timer_start,
        .timer_cancel = lb_timer_cancel,
        .command_start = lb_command_start,
        .command_cancel = lb_command_cancel,
    };
    return v;
}
