/* The host function table: ABI calls turned into operations on core objects (spec, plan specs,
 * HTTP request/response) or calls of the scheduler backend (host_backend.h). */
#include "core/plugin/host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/spec/mustache.h"
#include "core/util/log.h"
#include "core/util/str.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static int to_plugin_rc(int rc) {
    switch (rc) {
    case SDK_OK: return SDK_PLUGIN_OK;
    case SDK_EINVAL: return SDK_PLUGIN_EINVAL;
    case SDK_ENOMEM: return SDK_PLUGIN_ENOMEM;
    case SDK_ENOENT: return SDK_PLUGIN_ENOENT;
    case SDK_EEXIST: return SDK_PLUGIN_EEXIST;
    case SDK_EBUSY:
    case SDK_ESTATE: return SDK_PLUGIN_ESTATE;
    default: return SDK_PLUGIN_EIO;
    }
}

static bool env_key_ok(const char *k) {
    if (!k || !((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_')) return false;
    for (const char *p = k + 1; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

static bool property_key_ok(const char *k) {
    size_t n = k ? strlen(k) : 0;
    if (n == 0 || n > 128) return false;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '.' || *p == '-'))
            return false;
    return true;
}

static sdk_pod_spec *find_pod(const sdk_spec *s, const char *type) {
    if (!s || !type) return NULL;
    for (size_t i = 0; i < s->n_pods; i++)
        if (strcmp(s->pods[i].type, type) == 0) return &s->pods[i];
    return NULL;
}

static sdk_task_spec *find_task(const sdk_pod_spec *p, const char *name) {
    if (!p || !name) return NULL;
    for (size_t i = 0; i < p->n_tasks; i++)
        if (strcmp(p->tasks[i].name, name) == 0) return &p->tasks[i];
    return NULL;
}

static sdk_strategy map_strategy(sdk_plugin_strategy s, bool *ok) {
    *ok = true;
    switch (s) {
    case SDK_PLUGIN_STRATEGY_SERIAL: return SDK_STRATEGY_SERIAL;
    case SDK_PLUGIN_STRATEGY_PARALLEL: return SDK_STRATEGY_PARALLEL;
    case SDK_PLUGIN_STRATEGY_SERIAL_CANARY: return SDK_STRATEGY_SERIAL_CANARY;
    case SDK_PLUGIN_STRATEGY_PARALLEL_CANARY: return SDK_STRATEGY_PARALLEL_CANARY;
    }
    *ok = false;
    return SDK_STRATEGY_SERIAL;
}

/* ---- memory, log, errors ------------------------------------------------------------------- */

static void h_free(void *p) { free(p); }

static void h_log(sdk_plugin_host *h, sdk_plugin_log_level level, const char *fmt, ...) {
    if (!h || !fmt) return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    sdk_log_level l = level <= SDK_PLUGIN_LOG_DEBUG ? SDK_LOG_DEBUG
                      : level == SDK_PLUGIN_LOG_INFO ? SDK_LOG_INFO
                      : level == SDK_PLUGIN_LOG_WARN ? SDK_LOG_WARN : SDK_LOG_ERROR;
    sdk_plugin_instance *inst = h->inst;
    if (inst->backend.log) {
        inst->backend.log(inst->backend.ctx, inst->desc->name, l, msg);
    } else {
        char module[80];
        snprintf(module, sizeof module, "plugin:%s", inst->desc->name);
        sdk_log(l, module, "%s", msg);
    }
    free(msg);
}

static void h_error(sdk_plugin_errors *e, const char *fmt, ...) {
    if (!e || !e->errs || !fmt) return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    if (e->prefix) sdk_errors_addf(e->errs, "%s: %s", e->prefix, msg);
    else sdk_errors_addf(e->errs, "%s", msg);
    free(msg);
}

/* ---- options ------------------------------------------------------------------------------- */

static const char *h_option(sdk_plugin_host *h, const char *name) {
    if (!h || !name) return NULL;
    const sdk_plugin_instance *in = h->inst;
    size_t lo = 0, hi = in->n_options;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(in->options[mid].key, name);
        if (c == 0) return in->options[mid].value;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static uint32_t h_option_count(sdk_plugin_host *h) { return h ? (uint32_t)h->inst->n_options : 0; }

static int h_option_at(sdk_plugin_host *h, uint32_t i, const char **name, const char **value) {
    if (!h) return SDK_PLUGIN_EINVAL;
    if (i >= h->inst->n_options) return SDK_PLUGIN_ENOENT;
    if (name) *name = h->inst->options[i].key;
    if (value) *value = h->inst->options[i].value;
    return SDK_PLUGIN_OK;
}

/* ---- properties ---------------------------------------------------------------------------- */

static int h_property_get(sdk_plugin_host *h, const char *key, char **value, size_t *len) {
    if (!h || !value) return SDK_PLUGIN_EINVAL;
    *value = NULL;
    if (len) *len = 0;
    if (!property_key_ok(key)) return SDK_PLUGIN_EINVAL;
    sdk_plugin_instance *in = h->inst;
    if (!in->backend.property_get) return SDK_PLUGIN_ENOTSUP;
    size_t n = 0;
    int rc = in->backend.property_get(in->backend.ctx, in->desc->name, key, value, &n);
    if (rc == 0 && len) *len = n;
    return to_plugin_rc(rc);
}

static int h_property_set(sdk_plugin_host *h, const char *key, const void *value, size_t len) {
    if (!h || (!value && len)) return SDK_PLUGIN_EINVAL;
    if (!property_key_ok(key)) return SDK_PLUGIN_EINVAL;
    sdk_plugin_instance *in = h->inst;
    if (!in->backend.property_set) return SDK_PLUGIN_ENOTSUP;
    return to_plugin_rc(in->backend.property_set(in->backend.ctx, in->desc->name, key,
                                                 value ? value : "", len));
}

static int h_property_delete(sdk_plugin_host *h, const char *key) {
    if (!h || !property_key_ok(key)) return SDK_PLUGIN_EINVAL;
    sdk_plugin_instance *in = h->inst;
    if (!in->backend.property_delete) return SDK_PLUGIN_ENOTSUP;
    return to_plugin_rc(in->backend.property_delete(in->backend.ctx, in->desc->name, key));
}

/* ---- spec accessors ------------------------------------------------------------------------ */

static const char *h_spec_name(const sdk_plugin_spec *s) { return s ? s->spec->name : NULL; }
static uint32_t h_spec_pod_count(const sdk_plugin_spec *s) {
    return s ? (uint32_t)s->spec->n_pods : 0;
}
static const char *h_spec_pod_type(const sdk_plugin_spec *s, uint32_t i) {
    return s && i < s->spec->n_pods ? s->spec->pods[i].type : NULL;
}
static int h_spec_pod_get_count(const sdk_plugin_spec *s, const char *pod, int64_t *count) {
    if (!s || !count) return SDK_PLUGIN_EINVAL;
    const sdk_pod_spec *p = find_pod(s->spec, pod);
    if (!p) return SDK_PLUGIN_ENOENT;
    *count = p->count;
    return SDK_PLUGIN_OK;
}
static const char *h_spec_pod_placement(const sdk_plugin_spec *s, const char *pod) {
    const sdk_pod_spec *p = s ? find_pod(s->spec, pod) : NULL;
    if (!p) return NULL;
    return p->placement ? p->placement : "";
}
static uint32_t h_spec_task_count(const sdk_plugin_spec *s, const char *pod) {
    const sdk_pod_spec *p = s ? find_pod(s->spec, pod) : NULL;
    return p ? (uint32_t)p->n_tasks : 0;
}
static const char *h_spec_task_name(const sdk_plugin_spec *s, const char *pod, uint32_t i) {
    const sdk_pod_spec *p = s ? find_pod(s->spec, pod) : NULL;
    return p && i < p->n_tasks ? p->tasks[i].name : NULL;
}
static const sdk_task_spec *spec_task(const sdk_plugin_spec *s, const char *pod, const char *task) {
    return s ? find_task(find_pod(s->spec, pod), task) : NULL;
}
static const char *h_spec_task_goal(const sdk_plugin_spec *s, const char *pod, const char *task) {
    const sdk_task_spec *t = spec_task(s, pod, task);
    if (!t) return NULL;
    switch (t->goal) {
    case SDK_GOAL_RUNNING: return "RUNNING";
    case SDK_GOAL_FINISH: return "FINISH";
    case SDK_GOAL_ONCE: return "ONCE";
    }
    return NULL;
}
static const char *h_spec_task_cmd(const sdk_plugin_spec *s, const char *pod, const char *task) {
    const sdk_task_spec *t = spec_task(s, pod, task);
    return t ? t->cmd : NULL;
}
static const char *h_spec_task_env(const sdk_plugin_spec *s, const char *pod, const char *task,
                                   const char *key) {
    const sdk_task_spec *t = spec_task(s, pod, task);
    if (!t || !key) return NULL;
    for (size_t i = 0; i < t->n_env; i++)
        if (strcmp(t->env[i].key, key) == 0) return t->env[i].value;
    return NULL;
}

/* ---- spec mutators ------------------------------------------------------------------------- */

static int h_spec_pod_set_count(sdk_plugin_spec *s, const char *pod, int64_t count) {
    if (!s) return SDK_PLUGIN_EINVAL;
    if (!s->writable) return SDK_PLUGIN_ESTATE;
    if (count < 0 || count > sdk_spec_max_pods()) return SDK_PLUGIN_EINVAL; /* --max-pods */
    sdk_pod_spec *p = find_pod(s->spec, pod);
    if (!p) return SDK_PLUGIN_ENOENT;
    p->count = count;
    return SDK_PLUGIN_OK;
}

static void task_set_env(sdk_task_spec *t, const char *key, const char *value) {
    for (size_t i = 0; i < t->n_env; i++)
        if (strcmp(t->env[i].key, key) == 0) {
            free(t->env[i].value);
            t->env[i].value = sdk_xstrdup(value);
            return;
        }
    t->env = sdk_xrealloc(t->env, (t->n_env + 1) * sizeof *t->env);
    t->env[t->n_env].key = sdk_xstrdup(key);
    t->env[t->n_env].value = sdk_xstrdup(value);
    t->n_env++;
}

static int h_spec_set_env(sdk_plugin_spec *s, const char *pod, const char *task, const char *key,
                          const char *value) {
    if (!s || !value || (!pod && task)) return SDK_PLUGIN_EINVAL;
    if (!s->writable) return SDK_PLUGIN_ESTATE;
    if (!env_key_ok(key)) return SDK_PLUGIN_EINVAL;
    if (!pod) {
        for (size_t i = 0; i < s->spec->n_pods; i++)
            for (size_t j = 0; j < s->spec->pods[i].n_tasks; j++)
                task_set_env(&s->spec->pods[i].tasks[j], key, value);
        return SDK_PLUGIN_OK;
    }
    sdk_pod_spec *p = find_pod(s->spec, pod);
    if (!p) return SDK_PLUGIN_ENOENT;
    if (!task) {
        for (size_t j = 0; j < p->n_tasks; j++) task_set_env(&p->tasks[j], key, value);
        return SDK_PLUGIN_OK;
    }
    sdk_task_spec *t = find_task(p, task);
    if (!t) return SDK_PLUGIN_ENOENT;
    task_set_env(t, key, value);
    return SDK_PLUGIN_OK;
}

static int h_spec_task_set_cmd(sdk_plugin_spec *s, const char *pod, const char *task,
                               const char *cmd) {
    if (!s || !cmd || !*cmd) return SDK_PLUGIN_EINVAL;
    if (!s->writable) return SDK_PLUGIN_ESTATE;
    sdk_task_spec *t = find_task(find_pod(s->spec, pod), task);
    if (!t) return SDK_PLUGIN_ENOENT;
    free(t->cmd);
    t->cmd = sdk_xstrdup(cmd);
    return SDK_PLUGIN_OK;
}

static void json_str(sdk_buf *b, const char *s) {
    sdk_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') sdk_buf_putc(b, '\\');
        sdk_buf_putc(b, *s);
    }
    sdk_buf_putc(b, '"');
}

static void text_part(sdk_buf *b, const char *s) {
    for (; *s; s++) {
        if (*s == ',' || *s == ':' || *s == '\\') sdk_buf_putc(b, '\\');
        sdk_buf_putc(b, *s);
    }
}

static bool token_ok(const char *s) {
    if (!s || !*s) return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20) return false;
    return true;
}

/* ANDs a row with the pod's placement in the syntax the user wrote (§1.13: a flat JSON row, a
 * nested JSON list, or Marathon text). */
static int h_spec_pod_add_placement(sdk_plugin_spec *s, const char *pod, const char *field,
                                    const char *op, const char *param) {
    if (!s || !token_ok(field) || !token_ok(op) || (param && !token_ok(param)))
        return SDK_PLUGIN_EINVAL;
    if (!s->writable) return SDK_PLUGIN_ESTATE;
    sdk_pod_spec *p = find_pod(s->spec, pod);
    if (!p) return SDK_PLUGIN_ENOENT;
    const char *cur = p->placement ? p->placement : "";
    while (*cur == ' ' || *cur == '\t' || *cur == '\n') cur++;
    size_t n = strlen(cur);
    while (n && (cur[n - 1] == ' ' || cur[n - 1] == '\t' || cur[n - 1] == '\n')) n--;
    bool empty = n == 0 || (n == 2 && cur[0] == '[' && cur[1] == ']');

    sdk_buf row;
    sdk_buf_init(&row);
    sdk_buf_putc(&row, '[');
    json_str(&row, field);
    sdk_buf_putc(&row, ',');
    json_str(&row, op);
    if (param) {
        sdk_buf_putc(&row, ',');
        json_str(&row, param);
    }
    sdk_buf_putc(&row, ']');

    sdk_buf out;
    sdk_buf_init(&out);
    if (empty) {
        sdk_buf_printf(&out, "[%s]", row.data);
    } else if (cur[0] == '[') {
        /* nested when the first non-blank after '[' opens another list */
        const char *q = cur + 1;
        while (*q == ' ' || *q == '\t' || *q == '\n') q++;
        if (*q == '[') {
            const char *last = cur + n - 1; /* the closing ']' of the outer list */
            sdk_buf_append(&out, cur, (size_t)(last - cur));
            sdk_buf_printf(&out, ",%s]", row.data);
        } else {
            sdk_buf_putc(&out, '[');
            sdk_buf_append(&out, cur, n);
            sdk_buf_printf(&out, ",%s]", row.data);
        }
    } else {
        sdk_buf_append(&out, cur, n);
        sdk_buf_putc(&out, ',');
        text_part(&out, field);
        sdk_buf_putc(&out, ':');
        text_part(&out, op);
        if (param) {
            sdk_buf_putc(&out, ':');
            text_part(&out, param);
        }
    }
    sdk_buf_free(&row);
    free(p->placement);
    p->placement = sdk_buf_take(&out);
    return SDK_PLUGIN_OK;
}

/* ---- plan builders ------------------------------------------------------------------------- */

static void phase_b_free(sdk_plugin_phase *ph) {
    if (!ph) return;
    free(ph->name);
    free(ph->pod);
    for (size_t i = 0; i < ph->n_steps; i++) {
        for (char **t = ph->steps[i].tasks; t && *t; t++) free(*t);
        free(ph->steps[i].tasks);
    }
    free(ph->steps);
    free(ph);
}

static void plan_b_free(sdk_plugin_plan *pl) {
    if (!pl) return;
    free(pl->name);
    for (size_t i = 0; i < pl->n_phases; i++) phase_b_free(pl->phases[i]);
    free(pl->phases);
    free(pl);
}

static void phase_b_add_step(sdk_plugin_phase *ph, int64_t index, char **tasks_taken) {
    ph->steps = sdk_xrealloc(ph->steps, (ph->n_steps + 1) * sizeof *ph->steps);
    ph->steps[ph->n_steps].index = index;
    ph->steps[ph->n_steps].tasks = tasks_taken;
    ph->n_steps++;
    ph->has_steps = true;
}

static sdk_plugin_phase *phase_b_new(sdk_plugin_plan *pl, const char *name, const char *pod,
                                     sdk_strategy strategy) {
    sdk_plugin_phase *ph = sdk_xcalloc(1, sizeof *ph);
    ph->name = sdk_xstrdup(name);
    ph->pod = sdk_xstrdup(pod);
    ph->strategy = strategy;
    ph->spec = pl->spec;
    ph->errs = pl->errs;
    ph->owner = pl->owner;
    pl->phases = sdk_xrealloc(pl->phases, (pl->n_phases + 1) * sizeof *pl->phases);
    pl->phases[pl->n_phases++] = ph;
    return ph;
}

static sdk_plugin_plan *plan_b_new(const sdk_plugin_plans *b, const char *name,
                                   sdk_strategy strategy) {
    sdk_plugin_plan *pl = sdk_xcalloc(1, sizeof *pl);
    pl->name = sdk_xstrdup(name);
    pl->strategy = strategy;
    pl->spec = b->spec;
    pl->errs = b->errs;
    pl->owner = (sdk_plugin_plans *)b;
    return pl;
}

void sdk_plugin_plans_init(sdk_plugin_plans *b, const sdk_spec *spec, const char *plugin,
                           sdk_errors *errs) {
    memset(b, 0, sizeof *b);
    b->spec = spec;
    b->errs = errs;
    b->plugin = plugin;
    if (spec->n_plans == 0) {
        /* The default deploy plan (§1.14): one serial phase per pod type, in spec order. */
        sdk_plugin_plan *pl = plan_b_new(b, "deploy", SDK_STRATEGY_SERIAL);
        for (size_t i = 0; i < spec->n_pods; i++)
            phase_b_new(pl, spec->pods[i].type, spec->pods[i].type, SDK_STRATEGY_SERIAL);
        b->plans = sdk_xmalloc(sizeof *b->plans);
        b->plans[b->n++] = pl;
        return;
    }
    b->plans = sdk_xcalloc(spec->n_plans, sizeof *b->plans);
    for (size_t i = 0; i < spec->n_plans; i++) {
        const sdk_plan_spec *ps = &spec->plans[i];
        sdk_plugin_plan *pl = plan_b_new(b, ps->name, ps->strategy);
        for (size_t j = 0; j < ps->n_phases; j++) {
            const sdk_phase_spec *phs = &ps->phases[j];
            sdk_plugin_phase *ph = phase_b_new(pl, phs->name, phs->pod, phs->strategy);
            for (size_t k = 0; k < phs->n_entries; k++) {
                const sdk_step_entry *e = &phs->entries[k];
                if (e->n_steps == 0) phase_b_add_step(ph, e->index, NULL);
                for (size_t m = 0; m < e->n_steps; m++) {
                    size_t nt = 0;
                    while (e->steps[m][nt]) nt++;
                    char **tasks = sdk_xcalloc(nt + 1, sizeof *tasks);
                    for (size_t t = 0; t < nt; t++) tasks[t] = sdk_xstrdup(e->steps[m][t]);
                    phase_b_add_step(ph, e->index, tasks);
                }
            }
            ph->has_steps = phs->has_steps;
        }
        b->plans[b->n++] = pl;
    }
}

void sdk_plugin_plans_release(sdk_plugin_plans *b) {
    for (size_t i = 0; i < b->n; i++) plan_b_free(b->plans[i]);
    free(b->plans);
    b->plans = NULL;
    b->n = 0;
}

static void builder_error(sdk_errors *errs, const char *plugin, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void builder_error(sdk_errors *errs, const char *plugin, const char *fmt, ...) {
    if (!errs) return;
    va_list ap;
    va_start(ap, fmt);
    char *m = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    sdk_errors_addf(errs, "plugin '%s': %s", plugin ? plugin : "?", m);
    free(m);
}

static uint32_t h_plans_count(const sdk_plugin_plans *p) {
    return p && p->active ? (uint32_t)p->n : 0;
}
static const char *h_plans_name(const sdk_plugin_plans *p, uint32_t i) {
    return p && p->active && i < p->n ? p->plans[i]->name : NULL;
}

static bool plan_name_ok(const char *n) {
    if (!n || !*n || strlen(n) > 128) return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return true;
}

static int h_plan_add(sdk_plugin_plans *p, const char *name, sdk_plugin_strategy strategy,
                      sdk_plugin_plan **out) {
    if (out) *out = NULL;
    if (!p) return SDK_PLUGIN_EINVAL;
    if (!p->active) return SDK_PLUGIN_ESTATE;
    bool ok;
    sdk_strategy st = map_strategy(strategy, &ok);
    if (!plan_name_ok(name) || !ok || (st != SDK_STRATEGY_SERIAL && st != SDK_STRATEGY_PARALLEL)) {
        builder_error(p->errs, p->plugin, "plan_add: bad plan name '%s' or strategy %d (a plan is "
                      "serial or parallel)", name ? name : "(null)", (int)strategy);
        return SDK_PLUGIN_EINVAL;
    }
    sdk_plugin_plan *pl = plan_b_new(p, name, st);
    size_t i = 0;
    while (i < p->n && strcmp(p->plans[i]->name, name) != 0) i++;
    if (i < p->n) {
        plan_b_free(p->plans[i]);
        p->plans[i] = pl;
    } else {
        p->plans = sdk_xrealloc(p->plans, (p->n + 1) * sizeof *p->plans);
        p->plans[p->n++] = pl;
    }
    p->changed = true;
    if (out) *out = pl;
    return SDK_PLUGIN_OK;
}

static int h_plan_get(sdk_plugin_plans *p, const char *name, sdk_plugin_plan **out) {
    if (!p || !name || !out) return SDK_PLUGIN_EINVAL;
    *out = NULL;
    if (!p->active) return SDK_PLUGIN_ESTATE;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->plans[i]->name, name) == 0) {
            *out = p->plans[i];
            return SDK_PLUGIN_OK;
        }
    return SDK_PLUGIN_ENOENT;
}

static int h_plan_remove(sdk_plugin_plans *p, const char *name) {
    if (!p || !name) return SDK_PLUGIN_EINVAL;
    if (!p->active) return SDK_PLUGIN_ESTATE;
    if (strcmp(name, "deploy") == 0) {
        builder_error(p->errs, p->plugin, "plan_remove: the deploy plan cannot be removed "
                      "(replace it with plan_add instead)");
        return SDK_PLUGIN_EINVAL;
    }
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->plans[i]->name, name) == 0) {
            plan_b_free(p->plans[i]);
            memmove(&p->plans[i], &p->plans[i + 1], (p->n - i - 1) * sizeof *p->plans);
            p->n--;
            p->changed = true;
            return SDK_PLUGIN_OK;
        }
    return SDK_PLUGIN_ENOENT;
}

static int h_phase_add(sdk_plugin_plan *plan, const char *name, const char *pod,
                       sdk_plugin_strategy strategy, sdk_plugin_phase **out) {
    if (out) *out = NULL;
    if (!plan) return SDK_PLUGIN_EINVAL;
    if (!plan->owner->active) return SDK_PLUGIN_ESTATE;
    const char *plugin = plan->owner->plugin;
    bool ok;
    sdk_strategy st = map_strategy(strategy, &ok);
    if (!plan_name_ok(name) || !ok) {
        builder_error(plan->errs, plugin, "plan '%s': phase_add: bad phase name '%s' or strategy "
                      "%d", plan->name, name ? name : "(null)", (int)strategy);
        return SDK_PLUGIN_EINVAL;
    }
    if (!find_pod(plan->spec, pod)) {
        builder_error(plan->errs, plugin, "plan '%s': phase '%s' refers to unknown pod type '%s'",
                      plan->name, name, pod ? pod : "(null)");
        return SDK_PLUGIN_ENOENT;
    }
    for (size_t i = 0; i < plan->n_phases; i++)
        if (strcmp(plan->phases[i]->name, name) == 0) {
            builder_error(plan->errs, plugin, "plan '%s': phase '%s' already exists", plan->name,
                          name);
            return SDK_PLUGIN_EEXIST;
        }
    sdk_plugin_phase *ph = phase_b_new(plan, name, pod, st);
    plan->owner->changed = true;
    if (out) *out = ph;
    return SDK_PLUGIN_OK;
}

static int h_step_add(sdk_plugin_phase *ph, int64_t index, const char *const *tasks,
                      uint32_t n_tasks) {
    if (!ph || (n_tasks && !tasks) || index < -1) return SDK_PLUGIN_EINVAL;
    if (!ph->owner->active) return SDK_PLUGIN_ESTATE;
    const char *plugin = ph->owner->plugin;
    const sdk_pod_spec *pod = find_pod(ph->spec, ph->pod);
    for (uint32_t i = 0; i < n_tasks; i++)
        if (!find_task(pod, tasks[i])) {
            builder_error(ph->errs, plugin, "phase '%s': step for %s-%lld names unknown task '%s' "
                          "of pod type '%s'", ph->name, ph->pod, (long long)index,
                          tasks[i] ? tasks[i] : "(null)", ph->pod);
            return SDK_PLUGIN_ENOENT;
        }
    char **copy = NULL;
    if (n_tasks) {
        copy = sdk_xcalloc(n_tasks + 1, sizeof *copy);
        for (uint32_t i = 0; i < n_tasks; i++) copy[i] = sdk_xstrdup(tasks[i]);
    }
    phase_b_add_step(ph, index, copy);
    ph->owner->changed = true;
    return SDK_PLUGIN_OK;
}

int sdk_plugin_plans_build(const sdk_plugin_plans *b, sdk_plan_spec **out, size_t *n,
                           sdk_errors *errs) {
    *out = NULL;
    *n = 0;
    bool bad = false;
    bool has_deploy = false;
    for (size_t i = 0; i < b->n; i++) {
        if (strcmp(b->plans[i]->name, "deploy") == 0) has_deploy = true;
        if (b->plans[i]->n_phases == 0) {
            builder_error(errs, b->plugin, "plan '%s' has no phases", b->plans[i]->name);
            bad = true;
        }
    }
    if (!has_deploy) {
        builder_error(errs, b->plugin, "the plan set has no deploy plan");
        bad = true;
    }
    if (bad) return SDK_EINVAL;
    sdk_plan_spec *plans = sdk_xcalloc(b->n, sizeof *plans);
    for (size_t i = 0; i < b->n; i++) {
        const sdk_plugin_plan *pb = b->plans[i];
        sdk_plan_spec *ps = &plans[i];
        ps->name = sdk_xstrdup(pb->name);
        ps->strategy = pb->strategy;
        ps->n_phases = pb->n_phases;
        ps->phases = sdk_xcalloc(pb->n_phases, sizeof *ps->phases);
        for (size_t j = 0; j < pb->n_phases; j++) {
            const sdk_plugin_phase *hb = pb->phases[j];
            sdk_phase_spec *hs = &ps->phases[j];
            hs->name = sdk_xstrdup(hb->name);
            hs->pod = sdk_xstrdup(hb->pod);
            hs->strategy = hb->strategy;
            hs->has_steps = hb->has_steps;
            if (!hb->has_steps) continue;
            /* Group steps by index in order of first appearance (the YAML entry order). */
            hs->entries = sdk_xcalloc(hb->n_steps ? hb->n_steps : 1, sizeof *hs->entries);
            for (size_t k = 0; k < hb->n_steps; k++) {
                const sdk_plugin_step_b *sb = &hb->steps[k];
                sdk_step_entry *e = NULL;
                for (size_t m = 0; m < hs->n_entries; m++)
                    if (hs->entries[m].index == sb->index) e = &hs->entries[m];
                if (!e) {
                    e = &hs->entries[hs->n_entries++];
                    e->index = sb->index;
                }
                if (!sb->tasks) continue; /* an explicitly empty entry (`default: []`) */
                size_t nt = 0;
                while (sb->tasks[nt]) nt++;
                char **copy = sdk_xcalloc(nt + 1, sizeof *copy);
                for (size_t t = 0; t < nt; t++) copy[t] = sdk_xstrdup(sb->tasks[t]);
                e->steps = sdk_xrealloc(e->steps, (e->n_steps + 1) * sizeof *e->steps);
                e->steps[e->n_steps++] = copy;
            }
        }
    }
    *out = plans;
    *n = b->n;
    return SDK_OK;
}

/* ---- recovery builders --------------------------------------------------------------------- */

static int h_recovery_set_phase(sdk_plugin_recovery *r, const char *name,
                                sdk_plugin_strategy strategy) {
    if (!r) return SDK_PLUGIN_EINVAL;
    if (!r->active) return SDK_PLUGIN_ESTATE;
    bool ok;
    sdk_strategy st = map_strategy(strategy, &ok);
    if (!plan_name_ok(name) || !ok || (st != SDK_STRATEGY_SERIAL && st != SDK_STRATEGY_PARALLEL)) {
        builder_error(r->errs, r->plugin, "recovery_set_phase: bad phase name '%s' or strategy "
                      "%d (serial or parallel)", name ? name : "(null)", (int)strategy);
        return SDK_PLUGIN_EINVAL;
    }
    free(r->phase->name);
    r->phase->name = sdk_xstrdup(name);
    r->phase->strategy = st;
    return SDK_PLUGIN_OK;
}

static int h_recovery_step_add(sdk_plugin_recovery *r, const char *pod, uint32_t index,
                               const char *const *tasks, uint32_t n_tasks,
                               sdk_plugin_recovery_type type, sdk_plugin_recovery_step **out) {
    if (out) *out = NULL;
    if (!r || !tasks || n_tasks == 0) return SDK_PLUGIN_EINVAL;
    if (!r->active) return SDK_PLUGIN_ESTATE;
    if (type != SDK_PLUGIN_RECOVERY_TRANSIENT && type != SDK_PLUGIN_RECOVERY_PERMANENT)
        return SDK_PLUGIN_EINVAL;
    const sdk_pod_spec *p = find_pod(r->spec, pod);
    if (!p) {
        builder_error(r->errs, r->plugin, "recovery step refers to unknown pod type '%s'",
                      pod ? pod : "(null)");
        return SDK_PLUGIN_ENOENT;
    }
    if ((int64_t)index >= p->count) {
        builder_error(r->errs, r->plugin, "recovery step refers to %s-%u but pod type '%s' has "
                      "count %lld", pod, index, pod, (long long)p->count);
        return SDK_PLUGIN_ENOENT;
    }
    for (uint32_t i = 0; i < n_tasks; i++)
        if (!find_task(p, tasks[i])) {
            builder_error(r->errs, r->plugin, "recovery step %s-%u names unknown task '%s'", pod,
                          index, tasks[i] ? tasks[i] : "(null)");
            return SDK_PLUGIN_ENOENT;
        }
    sdk_recovery_phase_spec *ph = r->phase;
    ph->steps = sdk_xrealloc(ph->steps, (ph->n_steps + 1) * sizeof *ph->steps);
    sdk_recovery_step_spec *st = &ph->steps[ph->n_steps];
    memset(st, 0, sizeof *st);
    st->pod = sdk_xstrdup(pod);
    st->index = index;
    st->type = type;
    st->tasks = sdk_xcalloc(n_tasks, sizeof *st->tasks);
    for (uint32_t i = 0; i < n_tasks; i++) st->tasks[i] = sdk_xstrdup(tasks[i]);
    st->n_tasks = n_tasks;
    sdk_plugin_recovery_step *h = sdk_xcalloc(1, sizeof *h);
    h->rec = r;
    h->index = ph->n_steps;
    ph->n_steps++;
    r->handles = sdk_xrealloc(r->handles, (r->n_handles + 1) * sizeof *r->handles);
    r->handles[r->n_handles++] = h;
    if (out) *out = h;
    return SDK_PLUGIN_OK;
}

static sdk_task_override *step_override(sdk_plugin_recovery_step *h, const char *task) {
    sdk_recovery_step_spec *st = &h->rec->phase->steps[h->index];
    bool in_step = false;
    for (size_t i = 0; i < st->n_tasks; i++)
        if (strcmp(st->tasks[i], task) == 0) in_step = true;
    if (!in_step) return NULL;
    for (size_t i = 0; i < st->n_overrides; i++)
        if (strcmp(st->overrides[i].task, task) == 0) return &st->overrides[i];
    st->overrides = sdk_xrealloc(st->overrides, (st->n_overrides + 1) * sizeof *st->overrides);
    sdk_task_override *o = &st->overrides[st->n_overrides++];
    memset(o, 0, sizeof *o);
    o->task = sdk_xstrdup(task);
    return o;
}

static int h_recovery_step_cmd_suffix(sdk_plugin_recovery_step *h, const char *task,
                                      const char *suffix) {
    if (!h || !task || !suffix) return SDK_PLUGIN_EINVAL;
    if (!h->rec->active) return SDK_PLUGIN_ESTATE;
    sdk_task_override *o = step_override(h, task);
    if (!o) {
        builder_error(h->rec->errs, h->rec->plugin, "recovery_step_cmd_suffix: task '%s' is not "
                      "launched by this step", task);
        return SDK_PLUGIN_ENOENT;
    }
    char *s = sdk_asprintf_new("%s%s", o->cmd_suffix ? o->cmd_suffix : "", suffix);
    free(o->cmd_suffix);
    o->cmd_suffix = s;
    return SDK_PLUGIN_OK;
}

static int h_recovery_step_env(sdk_plugin_recovery_step *h, const char *task, const char *key,
                               const char *value) {
    if (!h || !task || !value || !env_key_ok(key)) return SDK_PLUGIN_EINVAL;
    if (!h->rec->active) return SDK_PLUGIN_ESTATE;
    sdk_task_override *o = step_override(h, task);
    if (!o) {
        builder_error(h->rec->errs, h->rec->plugin, "recovery_step_env: task '%s' is not "
                      "launched by this step", task);
        return SDK_PLUGIN_ENOENT;
    }
    for (size_t i = 0; i < o->n_env; i++)
        if (strcmp(o->env[i].key, key) == 0) {
            free(o->env[i].value);
            o->env[i].value = sdk_xstrdup(value);
            return SDK_PLUGIN_OK;
        }
    o->env = sdk_xrealloc(o->env, (o->n_env + 1) * sizeof *o->env);
    o->env[o->n_env].key = sdk_xstrdup(key);
    o->env[o->n_env].value = sdk_xstrdup(value);
    o->n_env++;
    return SDK_PLUGIN_OK;
}

void sdk_plugin_recovery_release(sdk_plugin_recovery *r) {
    for (size_t i = 0; i < r->n_handles; i++) free(r->handles[i]);
    free(r->handles);
    r->handles = NULL;
    r->n_handles = 0;
}

/* ---- endpoints ----------------------------------------------------------------------------- */

static int h_endpoint_add(sdk_plugin_endpoints *e, const char *name, const char *content_type,
                          const char *body, size_t body_len) {
    if (!e || !name || !*name || strchr(name, '/') || !content_type || (!body && body_len))
        return SDK_PLUGIN_EINVAL;
    if (!e->active) return SDK_PLUGIN_ESTATE;
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->items[i].name, name) == 0) return SDK_PLUGIN_EEXIST;
    e->items = sdk_xrealloc(e->items, (e->n + 1) * sizeof *e->items);
    sdk_plugin_endpoint *it = &e->items[e->n++];
    it->name = sdk_xstrdup(name);
    it->content_type = sdk_xstrdup(content_type);
    it->body = sdk_xstrndup(body ? body : "", body_len);
    it->body_len = body_len;
    return SDK_PLUGIN_OK;
}

/* ---- render -------------------------------------------------------------------------------- */

static int h_render(sdk_plugin_host *h, const char *tmpl, const sdk_plugin_kv *vars,
                    uint32_t n_vars, bool strict, char **out, sdk_plugin_errors *errs) {
    if (!h || !tmpl || !out || (n_vars && !vars)) return SDK_PLUGIN_EINVAL;
    *out = NULL;
    const sdk_plugin_instance *in = h->inst;
    sdk_kv *kv = NULL;
    size_t n = in->n_options;
    const sdk_kv *use = in->options;
    if (vars) {
        kv = sdk_xcalloc(n_vars ? n_vars : 1, sizeof *kv);
        for (uint32_t i = 0; i < n_vars; i++) {
            if (!vars[i].key) {
                free(kv);
                return SDK_PLUGIN_EINVAL;
            }
            kv[i].key = (char *)vars[i].key;     /* read only by the renderer */
            kv[i].value = (char *)(vars[i].value ? vars[i].value : "");
        }
        use = kv;
        n = n_vars;
    }
    sdk_errors local;
    sdk_errors_init(&local);
    int rc = sdk_mustache_render_new(tmpl, use, n, strict, out, &local);
    free(kv);
    if (rc != 0) {
        for (size_t i = 0; i < local.n; i++) h_error(errs, "%s", local.msgs[i]);
        *out = NULL;
    }
    sdk_errors_free(&local);
    return rc == 0 ? SDK_PLUGIN_OK : to_plugin_rc(rc);
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

static const char *h_request_method(const sdk_plugin_request *r) {
    return r ? r->http->method : NULL;
}
static const char *h_request_path(const sdk_plugin_request *r) { return r ? r->http->path : NULL; }
static const char *h_request_param(const sdk_plugin_request *r, const char *name) {
    if (!r || !name) return NULL;
    for (size_t i = 0; i < r->n_params; i++)
        if (strcmp(r->params[i].key, name) == 0) return r->params[i].value;
    return NULL;
}
static const char *h_request_query(const sdk_plugin_request *r, const char *name) {
    if (!r || !name) return NULL;
    for (size_t i = 0; i < r->http->n_query; i++)
        if (strcmp(r->http->query[i].key, name) == 0) return r->http->query[i].value;
    return NULL;
}
static const char *h_request_header(const sdk_plugin_request *r, const char *name) {
    if (!r || !name) return NULL;
    for (size_t i = 0; i < r->http->n_headers; i++)
        if (strcasecmp(r->http->headers[i].key, name) == 0) return r->http->headers[i].value;
    return NULL;
}
static const char *h_request_body(const sdk_plugin_request *r, size_t *len) {
    if (len) *len = r && r->http->body ? r->http->body_len : 0;
    return r && r->http->body ? r->http->body : "";
}

static int h_response_set_status(sdk_plugin_response *r, int status) {
    if (!r || status < 100 || status > 599) return SDK_PLUGIN_EINVAL;
    if (r->finished) return SDK_PLUGIN_ESTATE;
    r->status = status;
    return SDK_PLUGIN_OK;
}
static int h_response_set_content_type(sdk_plugin_response *r, const char *ct) {
    if (!r || !ct || !*ct) return SDK_PLUGIN_EINVAL;
    if (r->finished) return SDK_PLUGIN_ESTATE;
    free(r->content_type);
    r->content_type = sdk_xstrdup(ct);
    return SDK_PLUGIN_OK;
}
static int h_response_set_body(sdk_plugin_response *r, const void *body, size_t len) {
    if (!r || (!body && len)) return SDK_PLUGIN_EINVAL;
    if (r->finished) return SDK_PLUGIN_ESTATE;
    sdk_buf_reset(&r->body);
    if (len) sdk_buf_append(&r->body, body, len);
    return SDK_PLUGIN_OK;
}
static int h_response_suspend(sdk_plugin_response *r) {
    if (!r) return SDK_PLUGIN_EINVAL;
    if (r->finished || r->suspended || !r->owner) return SDK_PLUGIN_ESTATE;
    r->suspended = true;
    r->next_pending = r->owner->responses;
    r->owner->responses = r;
    return SDK_PLUGIN_OK;
}

void sdk_plugin_response_unlink(sdk_plugin_response *r) {
    if (!r->owner) return;
    for (sdk_plugin_response **pp = &r->owner->responses; *pp; pp = &(*pp)->next_pending)
        if (*pp == r) {
            *pp = r->next_pending;
            break;
        }
    r->next_pending = NULL;
}

/* `in_dispatch` responses are completed by sdk_plugin_dispatch itself (the handler finished
 * before returning); otherwise the API layer is told and the host frees the response. */
static int h_response_finish(sdk_plugin_response *r) {
    if (!r) return SDK_PLUGIN_EINVAL;
    if (!r->suspended || r->finished) return SDK_PLUGIN_ESTATE;
    r->finished = true;
    sdk_plugin_response_unlink(r);
    if (r->in_dispatch) return SDK_PLUGIN_OK; /* sdk_plugin_dispatch completes it */
    if (!r->abandoned && r->on_finish) r->on_finish(r, r->ctx);
    sdk_plugin_response_free(r);
    return SDK_PLUGIN_OK;
}

/* ---- task queries -------------------------------------------------------------------------- */

static int h_pod_tasks(sdk_plugin_host *h, const char *pod, int64_t index, char ***names,
                       uint32_t *n) {
    if (!h || !pod || !names || !n || index < -1) return SDK_PLUGIN_EINVAL;
    *names = NULL;
    *n = 0;
    sdk_plugin_instance *in = h->inst;
    if (!in->backend.pod_tasks) return SDK_PLUGIN_ENOTSUP;
    char **list = NULL;
    size_t cnt = 0;
    int rc = in->backend.pod_tasks(in->backend.ctx, pod, index, &list, &cnt);
    if (rc != 0) return to_plugin_rc(rc);
    /* One block: pointer array (NULL-terminated) followed by the strings. */
    size_t bytes = (cnt + 1) * sizeof(char *);
    for (size_t i = 0; i < cnt; i++) bytes += strlen(list[i]) + 1;
    char **block = sdk_xmalloc(bytes);
    char *p = (char *)(block + cnt + 1);
    for (size_t i = 0; i < cnt; i++) {
        size_t l = strlen(list[i]) + 1;
        memcpy(p, list[i], l);
        block[i] = p;
        p += l;
        free(list[i]);
    }
    block[cnt] = NULL;
    free(list);
    *names = block;
    *n = (uint32_t)cnt;
    return SDK_PLUGIN_OK;
}

static const char *h_task_state(sdk_plugin_host *h, const char *task) {
    if (!h || !task || !h->inst->backend.task_state) return NULL;
    return h->inst->backend.task_state(h->inst->backend.ctx, task);
}
static const char *h_task_ip(sdk_plugin_host *h, const char *task) {
    if (!h || !task || !h->inst->backend.task_ip) return NULL;
    return h->inst->backend.task_ip(h->inst->backend.ctx, task);
}
static const char *h_task_agent(sdk_plugin_host *h, const char *task) {
    if (!h || !task || !h->inst->backend.task_agent) return NULL;
    return h->inst->backend.task_agent(h->inst->backend.ctx, task);
}

/* ---- timers and commands ------------------------------------------------------------------- */

static void pending_unlink(sdk_plugin_pending_cb *rec) {
    for (sdk_plugin_pending_cb **pp = &rec->inst->pending; *pp; pp = &(*pp)->next)
        if (*pp == rec) {
            *pp = rec->next;
            return;
        }
}

static void timer_trampoline(void *arg) {
    sdk_plugin_pending_cb *rec = arg;
    pending_unlink(rec);
    rec->timer_fn(rec->inst->state, rec->id, rec->arg);
    free(rec);
}

static int h_timer_start(sdk_plugin_host *h, uint64_t delay_ms, sdk_plugin_timer_fn fn, void *arg,
                         uint64_t *id) {
    if (id) *id = 0;
    if (!h || !fn) return SDK_PLUGIN_EINVAL;
    sdk_plugin_instance *in = h->inst;
    if (!in->backend.timer_start) return SDK_PLUGIN_ENOTSUP;
    sdk_plugin_pending_cb *rec = sdk_xcalloc(1, sizeof *rec);
    rec->inst = in;
    rec->timer_fn = fn;
    rec->arg = arg;
    int rc = in->backend.timer_start(in->backend.ctx, delay_ms, timer_trampoline, rec, &rec->id);
    if (rc != 0) {
        free(rec);
        return to_plugin_rc(rc);
    }
    rec->next = in->pending;
    in->pending = rec;
    if (id) *id = rec->id;
    return SDK_PLUGIN_OK;
}

static sdk_plugin_pending_cb *pending_find(sdk_plugin_instance *in, uint64_t id, bool command) {
    for (sdk_plugin_pending_cb *p = in->pending; p; p = p->next)
        if (p->id == id && p->is_command == command) return p;
    return NULL;
}

static int h_timer_cancel(sdk_plugin_host *h, uint64_t id) {
    if (!h) return SDK_PLUGIN_EINVAL;
    sdk_plugin_instance *in = h->inst;
    sdk_plugin_pending_cb *rec = pending_find(in, id, false);
    if (!rec) return SDK_PLUGIN_ENOENT;
    if (in->backend.timer_cancel) in->backend.timer_cancel(in->backend.ctx, id);
    pending_unlink(rec);
    free(rec);
    return SDK_PLUGIN_OK;
}

static void command_trampoline(void *arg, const sdk_plugin_backend_result *res) {
    sdk_plugin_pending_cb *rec = arg;
    pending_unlink(rec);
    sdk_plugin_command_result r = {
        .size = sizeof r,
        .exit_code = res->exit_code,
        .timed_out = res->timed_out,
        .out = res->out ? res->out : "",
        .out_len = res->out ? res->out_len : 0,
        .err = res->err ? res->err : "",
        .err_len = res->err ? res->err_len : 0,
    };
    rec->command_fn(rec->inst->state, rec->id, rec->arg, &r);
    free(rec);
}

static int h_run_command(sdk_plugin_host *h, const sdk_plugin_command *cmd,
                         sdk_plugin_command_fn fn, void *arg, uint64_t *id) {
    if (id) *id = 0;
    if (!h || !cmd || !fn) return SDK_PLUGIN_EINVAL;
    if (cmd->size < offsetof(sdk_plugin_command, cwd) + sizeof cmd->cwd) return SDK_PLUGIN_EINVAL;
    if (!cmd->argv || !cmd->argv[0] || !*cmd->argv[0]) return SDK_PLUGIN_EINVAL;
    sdk_plugin_instance *in = h->inst;
    if (!in->backend.command_start) return SDK_PLUGIN_ENOTSUP;
    sdk_plugin_backend_command bc = {
        .argv = cmd->argv, .env = cmd->env, .cwd = cmd->cwd, .timeout_ms = cmd->timeout_ms,
    };
    sdk_plugin_pending_cb *rec = sdk_xcalloc(1, sizeof *rec);
    rec->inst = in;
    rec->is_command = true;
    rec->command_fn = fn;
    rec->arg = arg;
    int rc = in->backend.command_start(in->backend.ctx, &bc, command_trampoline, rec, &rec->id);
    if (rc != 0) {
        free(rec);
        return to_plugin_rc(rc);
    }
    rec->next = in->pending;
    in->pending = rec;
    if (id) *id = rec->id;
    return SDK_PLUGIN_OK;
}

static int h_command_cancel(sdk_plugin_host *h, uint64_t id) {
    if (!h) return SDK_PLUGIN_EINVAL;
    sdk_plugin_instance *in = h->inst;
    sdk_plugin_pending_cb *rec = pending_find(in, id, true);
    if (!rec) return SDK_PLUGIN_ENOENT;
    if (in->backend.command_cancel) in->backend.command_cancel(in->backend.ctx, id);
    pending_unlink(rec);
    free(rec);
    return SDK_PLUGIN_OK;
}

/* ---- the table ----------------------------------------------------------------------------- */

static const sdk_host_api HOST_API = {
    .size = sizeof(sdk_host_api),
    .abi_major = SDK_PLUGIN_ABI_MAJOR,
    .abi_minor = SDK_PLUGIN_ABI_MINOR,
    .free = h_free,
    .log = h_log,
    .error = h_error,
    .option = h_option,
    .option_count = h_option_count,
    .option_at = h_option_at,
    .property_get = h_property_get,
    .property_set = h_property_set,
    .property_delete = h_property_delete,
    .spec_name = h_spec_name,
    .spec_pod_count = h_spec_pod_count,
    .spec_pod_type = h_spec_pod_type,
    .spec_pod_get_count = h_spec_pod_get_count,
    .spec_pod_placement = h_spec_pod_placement,
    .spec_task_count = h_spec_task_count,
    .spec_task_name = h_spec_task_name,
    .spec_task_goal = h_spec_task_goal,
    .spec_task_cmd = h_spec_task_cmd,
    .spec_task_env = h_spec_task_env,
    .spec_pod_set_count = h_spec_pod_set_count,
    .spec_set_env = h_spec_set_env,
    .spec_task_set_cmd = h_spec_task_set_cmd,
    .spec_pod_add_placement = h_spec_pod_add_placement,
    .plans_count = h_plans_count,
    .plans_name = h_plans_name,
    .plan_add = h_plan_add,
    .plan_get = h_plan_get,
    .plan_remove = h_plan_remove,
    .phase_add = h_phase_add,
    .step_add = h_step_add,
    .recovery_set_phase = h_recovery_set_phase,
    .recovery_step_add = h_recovery_step_add,
    .recovery_step_cmd_suffix = h_recovery_step_cmd_suffix,
    .recovery_step_env = h_recovery_step_env,
    .endpoint_add = h_endpoint_add,
    .render = h_render,
    .request_method = h_request_method,
    .request_path = h_request_path,
    .request_param = h_request_param,
    .request_query = h_request_query,
    .request_header = h_request_header,
    .request_body = h_request_body,
    .response_set_status = h_response_set_status,
    .response_set_content_type = h_response_set_content_type,
    .response_set_body = h_response_set_body,
    .response_suspend = h_response_suspend,
    .response_finish = h_response_finish,
    .pod_tasks = h_pod_tasks,
    .task_state = h_task_state,
    .task_ip = h_task_ip,
    .task_agent = h_task_agent,
    .timer_start = h_timer_start,
    .timer_cancel = h_timer_cancel,
    .run_command = h_run_command,
    .command_cancel = h_command_cancel,
};

const sdk_host_api *sdk_plugin_host_api(void) { return &HOST_API; }
