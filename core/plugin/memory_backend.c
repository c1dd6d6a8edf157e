#include "core/plugin/memory_backend.h"

#include <stdlib.h>
#include <string.h>

#include "core/util/str.h"

typedef struct mem_prop {
    char *plugin, *key, *value;
    size_t len;
} mem_prop;

typedef struct mem_task {
    char *pod, *name, *state, *ip, *agent;
    int64_t index;
} mem_task;

typedef struct mem_cb {
    uint64_t id;
    bool is_command;
    sdk_plugin_backend_timer_fn timer_fn;
    sdk_plugin_backend_command_fn command_fn;
    void *arg;
    char **argv; /* NULL-terminated copy for commands */
} mem_cb;

struct sdk_memory_backend {
    mem_prop *props;
    size_t n_props;
    mem_task *tasks;
    size_t n_tasks;
    mem_cb *cbs; /* in start order */
    size_t n_cbs;
    uint64_t next_id;
    char **logs;
    size_t n_logs;
};

sdk_memory_backend *sdk_memory_backend_new(void) {
    sdk_memory_backend *m = sdk_xcalloc(1, sizeof *m);
    m->next_id = 1;
    return m;
}

static void free_cb(mem_cb *c) {
    for (char **a = c->argv; a && *a; a++) free(*a);
    free(c->argv);
}

void sdk_memory_backend_free(sdk_memory_backend *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n_props; i++) {
        free(m->props[i].plugin);
        free(m->props[i].key);
        free(m->props[i].value);
    }
    free(m->props);
    for (size_t i = 0; i < m->n_tasks; i++) {
        mem_task *t = &m->tasks[i];
        free(t->pod); free(t->name); free(t->state); free(t->ip); free(t->agent);
    }
    free(m->tasks);
    for (size_t i = 0; i < m->n_cbs; i++) free_cb(&m->cbs[i]);
    free(m->cbs);
    for (size_t i = 0; i < m->n_logs; i++) free(m->logs[i]);
    free(m->logs);
    free(m);
}

static void mb_log(void *ctx, const char *plugin, sdk_log_level level, const char *msg) {
    sdk_memory_backend *m = ctx;
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    m->logs = sdk_xrealloc(m->logs, (m->n_logs + 1) * sizeof *m->logs);
    m->logs[m->n_logs++] = sdk_asprintf_new("%s %s %s", plugin,
                                            names[level <= SDK_LOG_ERROR ? level : SDK_LOG_ERROR],
                                            msg);
}

static mem_prop *find_prop(sdk_memory_backend *m, const char *plugin, const char *key) {
    for (size_t i = 0; i < m->n_props; i++)
        if (strcmp(m->props[i].plugin, plugin) == 0 && strcmp(m->props[i].key, key) == 0)
            return &m->props[i];
    return NULL;
}

static int mb_property_get(void *ctx, const char *plugin, const char *key, char **value_new,
                           size_t *len) {
    mem_prop *p = find_prop(ctx, plugin, key);
    if (!p) return SDK_ENOENT;
    *value_new = sdk_xmalloc(p->len + 1);
    memcpy(*value_new, p->value, p->len + 1);
    *len = p->len;
    return SDK_OK;
}

static int mb_property_set(void *ctx, const char *plugin, const char *key, const void *value,
                           size_t len) {
    sdk_memory_backend *m = ctx;
    mem_prop *p = find_prop(m, plugin, key);
    if (!p) {
        m->props = sdk_xrealloc(m->props, (m->n_props + 1) * sizeof *m->props);
        p = &m->props[m->n_props++];
        p->plugin = sdk_xstrdup(plugin);
        p->key = sdk_xstrdup(key);
        p->value = NULL;
    }
    free(p->value);
    p->value = sdk_xmalloc(len + 1);
    memcpy(p->value, value, len);
    p->value[len] = 0;
    p->len = len;
    return SDK_OK;
}

static int mb_property_delete(void *ctx, const char *plugin, const char *key) {
    sdk_memory_backend *m = ctx;
    mem_prop *p = find_prop(m, plugin, key);
    if (!p) return SDK_ENOENT;
    free(p->plugin); free(p->key); free(p->value);
    size_t i = (size_t)(p - m->props);
    memmove(&m->props[i], &m->props[i + 1], (m->n_props - i - 1) * sizeof *m->props);
    m->n_props--;
    return SDK_OK;
}

void sdk_memory_backend_set_task(sdk_memory_backend *m, const char *pod, int64_t index,
                                 const char *task_name, const char *state, const char *ip,
                                 const char *agent) {
    mem_task *t = NULL;
    for (size_t i = 0; i < m->n_tasks; i++)
        if (strcmp(m->tasks[i].name, task_name) == 0) t = &m->tasks[i];
    if (!t) {
        m->tasks = sdk_xrealloc(m->tasks, (m->n_tasks + 1) * sizeof *m->tasks);
        t = &m->tasks[m->n_tasks++];
        memset(t, 0, sizeof *t);
        t->name = sdk_xstrdup(task_name);
    }
    if (pod) { free(t->pod); t->pod = sdk_xstrdup(pod); }
    t->index = index;
    if (state) { free(t->state); t->state = sdk_xstrdup(state); }
    if (ip) { free(t->ip); t->ip = sdk_xstrdup(ip); }
    if (agent) { free(t->agent); t->agent = sdk_xstrdup(agent); }
}

static int mb_pod_tasks(void *ctx, const char *pod, int64_t index, char ***names_new, size_t *n) {
    sdk_memory_backend *m = ctx;
    char **v = sdk_xcalloc(m->n_tasks + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < m->n_tasks; i++)
        if (m->tasks[i].pod && strcmp(m->tasks[i].pod, pod) == 0 &&
            (index < 0 || m->tasks[i].index == index))
            v[k++] = sdk_xstrdup(m->tasks[i].name);
    *names_new = v;
    *n = k;
    return SDK_OK;
}

static const mem_task *find_task(sdk_memory_backend *m, const char *name) {
    for (size_t i = 0; i < m->n_tasks; i++)
        if (strcmp(m->tasks[i].name, name) == 0) return &m->tasks[i];
    return NULL;
}
static const char *mb_task_state(void *ctx, const char *name) {
    const mem_task *t = find_task(ctx, name);
    return t ? t->state : NULL;
}
static const char *mb_task_ip(void *ctx, const char *name) {
    const mem_task *t = find_task(ctx, name);
    return t ? t->ip : NULL;
}
static const char *mb_task_agent(void *ctx, const char *name) {
    const mem_task *t = find_task(ctx, name);
    return t ? t->agent : NULL;
}

static mem_cb *add_cb(sdk_memory_backend *m) {
    m->cbs = sdk_xrealloc(m->cbs, (m->n_cbs + 1) * sizeof *m->cbs);
    mem_cb *c = &m->cbs[m->n_cbs++];
    memset(c, 0, sizeof *c);
    c->id = m->next_id++;
    return c;
}

static bool remove_cb(sdk_memory_backend *m, uint64_t id, bool command, mem_cb *out) {
    for (size_t i = 0; i < m->n_cbs; i++)
        if (m->cbs[i].id == id && m->cbs[i].is_command == command) {
            if (out) *out = m->cbs[i];
            else free_cb(&m->cbs[i]);
            memmove(&m->cbs[i], &m->cbs[i + 1], (m->n_cbs - i - 1) * sizeof *m->cbs);
            m->n_cbs--;
            return true;
        }
    return false;
}

static int mb_timer_start(void *ctx, uint64_t delay_ms, sdk_plugin_backend_timer_fn fn, void *arg,
                          uint64_t *id) {
    (void)delay_ms;
    mem_cb *c = add_cb(ctx);
    c->timer_fn = fn;
    c->arg = arg;
    *id = c->id;
    return SDK_OK;
}
static int mb_timer_cancel(void *ctx, uint64_t id) {
    return remove_cb(ctx, id, false, NULL) ? SDK_OK : SDK_ENOENT;
}

static int mb_command_start(void *ctx, const sdk_plugin_backend_command *cmd,
                            sdk_plugin_backend_command_fn fn, void *arg, uint64_t *id) {
    mem_cb *c = add_cb(ctx);
    c->is_command = true;
    c->command_fn = fn;
    c->arg = arg;
    size_t n = 0;
    while (cmd->argv[n]) n++;
    c->argv = sdk_xcalloc(n + 1, sizeof *c->argv);
    for (size_t i = 0; i < n; i++) c->argv[i] = sdk_xstrdup(cmd->argv[i]);
    *id = c->id;
    return SDK_OK;
}
static int mb_command_cancel(void *ctx, uint64_t id) {
    return remove_cb(ctx, id, true, NULL) ? SDK_OK : SDK_ENOENT;
}

sdk_plugin_backend sdk_memory_backend_vtable(sdk_memory_backend *m) {
    sdk_plugin_backend b = {
        .ctx = m,
        .log = mb_log,
        .property_get = mb_property_get,
        .property_set = mb_property_set,
        .property_delete = mb_property_delete,
        .pod_tasks = mb_pod_tasks,
        .task_state = mb_task_state,
        .task_ip = mb_task_ip,
        .task_agent = mb_task_agent,
        .timer_start = mb_timer_start,
        .timer_cancel = mb_timer_cancel,
        .command_start = mb_command_start,
        .command_cancel = mb_command_cancel,
    };
    return b;
}

static size_t count_kind(const sdk_memory_backend *m, bool command) {
    size_t k = 0;
    for (size_t i = 0; i < m->n_cbs; i++) k += m->cbs[i].is_command == command;
    return k;
}
static const mem_cb *oldest(const sdk_memory_backend *m, bool command) {
    for (size_t i = 0; i < m->n_cbs; i++)
        if (m->cbs[i].is_command == command) return &m->cbs[i];
    return NULL;
}

size_t sdk_memory_backend_timers_pending(const sdk_memory_backend *m) {
    return count_kind(m, false);
}

bool sdk_memory_backend_fire_next_timer(sdk_memory_backend *m) {
    const mem_cb *o = oldest(m, false);
    if (!o) return false;
    mem_cb c;
    remove_cb(m, o->id, false, &c);
    c.timer_fn(c.arg);
    free_cb(&c);
    return true;
}

size_t sdk_memory_backend_commands_pending(const sdk_memory_backend *m) {
    return count_kind(m, true);
}

const char *sdk_memory_backend_command_arg(const sdk_memory_backend *m, size_t i) {
    const mem_cb *o = oldest(m, true);
    if (!o) return NULL;
    for (size_t k = 0; k <= i; k++)
        if (!o->argv[k]) return NULL;
    return o->argv[i];
}

bool sdk_memory_backend_complete_command(sdk_memory_backend *m, int exit_code, const char *out,
                                         const char *err) {
    const mem_cb *o = oldest(m, true);
    if (!o) return false;
    mem_cb c;
    remove_cb(m, o->id, true, &c);
    sdk_plugin_backend_result r = {
        .exit_code = exit_code,
        .out = out ? out : "",
        .out_len = out ? strlen(out) : 0,
        .err = err ? err : "",
        .err_len = err ? strlen(err) : 0,
    };
    c.command_fn(c.arg, &r);
    free_cb(&c);
    return true;
}

size_t sdk_memory_backend_log_count(const sdk_memory_backend *m) { return m->n_logs; }
const char *sdk_memory_backend_log_line(const sdk_memory_backend *m, size_t i) {
    return i < m->n_logs ? m->logs[i] : NULL;
}
