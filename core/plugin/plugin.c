/* The core-side wrappers around a plugin's hooks (plugin.h). */
#include "core/plugin/plugin.h"

#include <stdlib.h>
#include <string.h>

#include "core/plugin/host.h"
#include "core/util/log.h"
#include "core/util/str.h"

/* ---- options ------------------------------------------------------------------------------- */

void sdk_plugin_kv_free(sdk_kv *kv, size_t n) {
    if (!kv) return;
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static bool key_ok(const char *k) {
    if (!k || !((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_')) return false;
    for (const char *p = k + 1; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

typedef struct kvlist {
    sdk_kv *v;
    size_t n;
} kvlist;

static void kv_put(kvlist *l, const char *k, const char *v) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, k) == 0) {
            free(l->v[i].value);
            l->v[i].value = sdk_xstrdup(v ? v : "");
            return;
        }
    l->v = sdk_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n].key = sdk_xstrdup(k);
    l->v[l->n].value = sdk_xstrdup(v ? v : "");
    l->n++;
}

static bool kv_has(const kvlist *l, const char *k) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, k) == 0) return true;
    return false;
}

static int kv_cmp(const void *a, const void *b) {
    return strcmp(((const sdk_kv *)a)->key, ((const sdk_kv *)b)->key);
}

int sdk_plugin_options_merge_new(const sdk_plugin_lib *lib, const sdk_kv *env, size_t n_env,
                                 const sdk_kv *overrides, size_t n_overrides, sdk_kv **out_new,
                                 size_t *n_out, sdk_errors *errs) {
    bool bad = false;
    for (size_t i = 0; i < n_overrides; i++)
        if (!key_ok(overrides[i].key)) {
            sdk_errors_addf(errs, "-o '%s=%s': bad option name (expected [A-Za-z_][A-Za-z0-9_]*)",
                            overrides[i].key ? overrides[i].key : "",
                            overrides[i].value ? overrides[i].value : "");
            bad = true;
        }
    if (bad) return SDK_EINVAL;
    kvlist l = {0};
    for (size_t i = 0; i < n_env; i++)
        if (env[i].key) kv_put(&l, env[i].key, env[i].value);
    const sdk_plugin_descriptor *d = lib ? sdk_plugin_lib_descriptor(lib) : NULL;
    for (uint32_t i = 0; d && i < d->n_options; i++) {
        const sdk_plugin_option *o = &d->options[i];
        if (o->name && !kv_has(&l, o->name)) kv_put(&l, o->name, o->default_value);
    }
    for (uint32_t i = 0; d && i < d->n_option_schema; i++) { /* ABI 1.1 package options */
        const sdk_plugin_option_schema *o = &d->option_schema[i];
        if (o->variable && !kv_has(&l, o->variable)) kv_put(&l, o->variable, o->default_value);
    }
    for (size_t i = 0; i < n_overrides; i++) kv_put(&l, overrides[i].key, overrides[i].value);
    if (l.n) qsort(l.v, l.n, sizeof *l.v, kv_cmp);
    *out_new = l.v;
    *n_out = l.n;
    return SDK_OK;
}

int sdk_plugin_lib_options_new(const sdk_plugin_lib *lib, sdk_options **out_new, sdk_errors *errs) {
    *out_new = NULL;
    const sdk_plugin_descriptor *d = sdk_plugin_lib_descriptor(lib);
    const char *path = sdk_plugin_lib_path(lib);
    sdk_options *o = sdk_options_new();
    int rc = 0;
    if (d->n_option_schema) { /* ABI 1.1; a 1.0 descriptor reads as 0 here (loader.h) */
        for (uint32_t i = 0; i < d->n_option_schema && !rc; i++) {
            const sdk_plugin_option_schema *s = &d->option_schema[i];
            char *where = sdk_asprintf_new("%s: option_schema[%u]", path, i);
            rc = sdk_options_add(o, where, s->path, s->variable, (sdk_option_type)s->type, s->default_value,
                                 s->description, s->minimum, s->maximum, s->enum_values, errs);
            free(where);
        }
    } else {
        for (uint32_t i = 0; i < d->n_options && !rc; i++) {
            const sdk_plugin_option *s = &d->options[i];
            char *where = sdk_asprintf_new("%s: options[%u]", path, i);
            rc = sdk_options_add(o, where, s->name, s->name, SDK_OPTION_STRING, s->default_value, s->description,
                                 NULL, NULL, NULL, errs);
            free(where);
        }
    }
    if (rc) {
        sdk_options_free(o);
        return SDK_EINVAL;
    }
    *out_new = o;
    return 0;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

void sdk_plugin_instance_set_options(sdk_plugin_instance *in, const sdk_kv *options, size_t n_options) {
    kvlist l = {0};
    for (size_t i = 0; i < n_options; i++) kv_put(&l, options[i].key, options[i].value);
    if (l.n) qsort(l.v, l.n, sizeof *l.v, kv_cmp);
    sdk_plugin_kv_free(in->options, in->n_options);
    in->options = l.v;
    in->n_options = l.n;
}

int sdk_plugin_instance_new(sdk_plugin_lib *lib, const sdk_plugin_backend *backend,
                            const sdk_kv *options, size_t n_options, sdk_plugin_instance **out,
                            sdk_errors *errs) {
    *out = NULL;
    sdk_plugin_instance *in = sdk_xcalloc(1, sizeof *in);
    in->lib = lib;
    in->desc = sdk_plugin_lib_descriptor(lib);
    if (backend) in->backend = *backend;
    in->host.inst = in;
    kvlist l = {0};
    for (size_t i = 0; i < n_options; i++) kv_put(&l, options[i].key, options[i].value);
    if (l.n) qsort(l.v, l.n, sizeof *l.v, kv_cmp);
    in->options = l.v;
    in->n_options = l.n;
    sdk_plugin_lib_ref(lib);
    if (in->desc->init) {
        sdk_errors why;
        sdk_errors_init(&why);
        struct sdk_plugin_errors sink = {.errs = &why, .prefix = NULL};
        int rc = in->desc->init(sdk_plugin_host_api(), &in->host, &in->state, &sink);
        if (rc != 0) {
            sdk_buf b;
            sdk_buf_init(&b);
            for (size_t i = 0; i < why.n; i++) {
                if (i) sdk_buf_puts(&b, "; ");
                sdk_buf_puts(&b, why.msgs[i]);
            }
            sdk_errors_addf(errs, "%s: plugin '%s' failed to initialise (code %d): %s",
                            sdk_plugin_lib_path(lib), in->desc->name, rc,
                            b.len ? b.data : "no reason given");
            sdk_buf_free(&b);
            sdk_errors_free(&why);
            /* init failed: the plugin owns nothing to release, fini is not called. */
            in->state = NULL;
            sdk_plugin_instance_free(in);
            return SDK_EINVAL;
        }
        sdk_errors_free(&why);
    }
    in->initialised = true;
    *out = in;
    return SDK_OK;
}

void sdk_plugin_instance_free(sdk_plugin_instance *in) {
    if (!in) return;
    while (in->pending) {
        sdk_plugin_pending_cb *p = in->pending;
        in->pending = p->next;
        if (p->is_command && in->backend.command_cancel)
            in->backend.command_cancel(in->backend.ctx, p->id);
        else if (!p->is_command && in->backend.timer_cancel)
            in->backend.timer_cancel(in->backend.ctx, p->id);
        free(p);
    }
    while (in->responses) {
        sdk_plugin_response *r = in->responses;
        in->responses = r->next_pending;
        r->next_pending = NULL;
        r->owner = NULL;
        r->status = 503;
        free(r->content_type);
        r->content_type = sdk_xstrdup("application/json");
        sdk_buf_reset(&r->body);
        sdk_buf_puts(&r->body, "{\"message\": \"the plugin was stopped before answering\"}");
        r->finished = true;
        if (!r->abandoned && r->on_finish) r->on_finish(r, r->ctx);
        sdk_plugin_response_free(r);
    }
    if (in->initialised && in->desc->fini) in->desc->fini(in->state);
    sdk_plugin_kv_free(in->options, in->n_options);
    sdk_plugin_lib_close(in->lib);
    free(in);
}

const sdk_plugin_descriptor *sdk_plugin_instance_descriptor(const sdk_plugin_instance *in) {
    return in->desc;
}
const char *sdk_plugin_instance_name(const sdk_plugin_instance *in) { return in->desc->name; }
void *sdk_plugin_instance_state(const sdk_plugin_instance *in) { return in->state; }
const char *sdk_plugin_default_spec(const sdk_plugin_instance *in) {
    return in->desc->spec_template;
}

/* ---- spec hooks ---------------------------------------------------------------------------- */

static char *prefix_new(const sdk_plugin_instance *in) {
    return sdk_asprintf_new("plugin '%s'", in->desc->name);
}

int sdk_plugin_mutate_spec(sdk_plugin_instance *in, sdk_spec **spec, sdk_errors *errs) {
    if (!in->desc->mutate_spec) return SDK_OK;
    sdk_spec *copy = sdk_spec_dup(*spec);
    struct sdk_plugin_spec h = {.spec = copy, .writable = true};
    char *prefix = prefix_new(in);
    sdk_errors local;
    sdk_errors_init(&local);
    struct sdk_plugin_errors sink = {.errs = &local, .prefix = prefix};
    int rc = in->desc->mutate_spec(in->state, &h, &sink);
    h.writable = false;
    if (rc != 0) {
        if (!local.n) sdk_errors_addf(&local, "%s: spec mutation failed (code %d)", prefix, rc);
        sdk_errors_extend(errs, &local);
        sdk_spec_free(copy);
        rc = SDK_EINVAL;
    } else {
        sdk_spec_free(*spec);
        *spec = copy;
    }
    sdk_errors_free(&local);
    free(prefix);
    return rc;
}

int sdk_plugin_validate_config(sdk_plugin_instance *in, const sdk_spec *old_spec,
                               const sdk_spec *new_spec, sdk_errors *errs) {
    if (!in->desc->validate_config) return SDK_OK;
    struct sdk_plugin_spec ho = {.spec = (sdk_spec *)old_spec, .writable = false};
    struct sdk_plugin_spec hn = {.spec = (sdk_spec *)new_spec, .writable = false};
    char *prefix = prefix_new(in);
    size_t before = errs->n;
    struct sdk_plugin_errors sink = {.errs = errs, .prefix = prefix};
    int rc = in->desc->validate_config(in->state, old_spec ? &ho : NULL, &hn, &sink);
    if (rc != 0 && errs->n == before)
        sdk_errors_addf(errs, "%s: configuration validator failed (code %d)", prefix, rc);
    free(prefix);
    return errs->n > before ? SDK_EINVAL : SDK_OK;
}

static void plan_spec_free_contents(sdk_plan_spec *plans, size_t n) {
    /* A throwaway spec frees plan arrays with the spec module's own code. */
    sdk_spec *tmp = sdk_xcalloc(1, sizeof *tmp);
    tmp->plans = plans;
    tmp->n_plans = n;
    sdk_spec_free(tmp);
}

int sdk_plugin_generate_plans(sdk_plugin_instance *in, sdk_spec *spec, sdk_errors *errs) {
    if (!in->desc->plans) return SDK_OK;
    char *prefix = prefix_new(in);
    sdk_errors local;
    sdk_errors_init(&local);
    struct sdk_plugin_errors sink = {.errs = &local, .prefix = prefix};
    sdk_plugin_plans b;
    sdk_plugin_plans_init(&b, spec, in->desc->name, &local);
    struct sdk_plugin_spec hs = {.spec = spec, .writable = false};
    b.active = true;
    int rc = in->desc->plans(in->state, &hs, &b, &sink);
    b.active = false;
    if (rc != 0 && !local.n)
        sdk_errors_addf(&local, "%s: plan generation failed (code %d)", prefix, rc);
    if (rc == 0 && local.n) rc = SDK_EINVAL; /* builder misuse the plugin ignored */
    if (rc == 0 && b.changed) {
        sdk_plan_spec *plans = NULL;
        size_t n = 0;
        rc = sdk_plugin_plans_build(&b, &plans, &n, &local);
        if (rc == 0) {
            plan_spec_free_contents(spec->plans, spec->n_plans);
            spec->plans = plans;
            spec->n_plans = n;
        }
    }
    sdk_plugin_plans_release(&b);
    if (rc != 0) {
        sdk_errors_extend(errs, &local);
        rc = SDK_EINVAL;
    }
    sdk_errors_free(&local);
    free(prefix);
    return rc;
}

/* ---- recovery ------------------------------------------------------------------------------ */

void sdk_recovery_phase_spec_free(sdk_recovery_phase_spec *p) {
    if (!p) return;
    free(p->name);
    for (size_t i = 0; i < p->n_steps; i++) {
        sdk_recovery_step_spec *s = &p->steps[i];
        free(s->pod);
        for (size_t j = 0; j < s->n_tasks; j++) free(s->tasks[j]);
        free(s->tasks);
        for (size_t j = 0; j < s->n_overrides; j++) {
            free(s->overrides[j].task);
            free(s->overrides[j].cmd_suffix);
            sdk_plugin_kv_free(s->overrides[j].env, s->overrides[j].n_env);
        }
        free(s->overrides);
    }
    free(p->steps);
    free(p);
}

int sdk_plugin_recovery_override(sdk_plugin_instance *in, const sdk_spec *spec, const char *pod,
                                 uint32_t index, sdk_plugin_recovery_type type,
                                 sdk_recovery_phase_spec **out_new, sdk_errors *errs) {
    *out_new = NULL;
    if (!in->desc->recovery_override) return SDK_OK;
    sdk_errors local;
    sdk_errors_init(&local);
    sdk_recovery_phase_spec *ph = sdk_xcalloc(1, sizeof *ph);
    ph->name = sdk_asprintf_new("%s-%u", pod, index);
    ph->strategy = SDK_STRATEGY_SERIAL;
    struct sdk_plugin_recovery r = {
        .phase = ph, .spec = spec, .errs = &local, .plugin = in->desc->name, .active = true,
    };
    struct sdk_plugin_spec hs = {.spec = (sdk_spec *)spec, .writable = false};
    int rc = in->desc->recovery_override(in->state, &hs, pod, index, type, &r);
    r.active = false;
    sdk_plugin_recovery_release(&r);
    if (rc != 0 || local.n) {
        if (!local.n)
            sdk_errors_addf(&local, "plugin '%s': recovery override for %s-%u failed (code %d)",
                            in->desc->name, pod, index, rc);
        sdk_errors_extend(errs, &local);
        sdk_errors_free(&local);
        sdk_recovery_phase_spec_free(ph);
        return SDK_EINVAL;
    }
    sdk_errors_free(&local);
    if (ph->n_steps == 0) {
        sdk_recovery_phase_spec_free(ph);
        return SDK_OK;
    }
    *out_new = ph;
    return SDK_OK;
}

/* ---- decommission -------------------------------------------------------------------------- */

static char *join_new(const sdk_errors *e) {
    sdk_buf b;
    sdk_buf_init(&b);
    for (size_t i = 0; i < e->n; i++) {
        if (i) sdk_buf_puts(&b, "; ");
        sdk_buf_puts(&b, e->msgs[i]);
    }
    return sdk_buf_take(&b);
}

int sdk_plugin_pre_decommission(sdk_plugin_instance *in, const char *pod, uint32_t index,
                                sdk_plugin_decision *decision, char **reason_new) {
    *decision = SDK_PLUGIN_DECOMMISSION_ALLOW;
    *reason_new = NULL;
    if (!in->desc->pre_decommission) return SDK_OK;
    sdk_errors why;
    sdk_errors_init(&why);
    struct sdk_plugin_errors sink = {.errs = &why, .prefix = NULL};
    sdk_plugin_decision d = SDK_PLUGIN_DECOMMISSION_ALLOW;
    int rc = in->desc->pre_decommission(in->state, pod, index, &d, &sink);
    if (rc != 0) {
        SDK_WARN("plugin", "plugin '%s': pre-decommission check of %s-%u failed (code %d); "
                 "asking again later", in->desc->name, pod, index, rc);
        d = SDK_PLUGIN_DECOMMISSION_PENDING;
    } else if (d != SDK_PLUGIN_DECOMMISSION_ALLOW && d != SDK_PLUGIN_DECOMMISSION_VETO &&
               d != SDK_PLUGIN_DECOMMISSION_PENDING) {
        SDK_WARN("plugin", "plugin '%s': pre-decommission check of %s-%u gave unknown decision "
                 "%d; asking again later", in->desc->name, pod, index, (int)d);
        d = SDK_PLUGIN_DECOMMISSION_PENDING;
    }
    if (d == SDK_PLUGIN_DECOMMISSION_VETO)
        *reason_new = why.n ? join_new(&why)
                            : sdk_asprintf_new("vetoed by plugin '%s'", in->desc->name);
    *decision = d;
    sdk_errors_free(&why);
    return SDK_OK;
}

/* ---- REST routes --------------------------------------------------------------------------- */

sdk_plugin_response *sdk_plugin_response_new(void (*on_finish)(sdk_plugin_response *, void *),
                                             void *ctx) {
    sdk_plugin_response *r = sdk_xcalloc(1, sizeof *r);
    r->status = 200;
    r->content_type = sdk_xstrdup("application/json");
    sdk_buf_init(&r->body);
    r->on_finish = on_finish;
    r->ctx = ctx;
    return r;
}

void sdk_plugin_response_free(sdk_plugin_response *r) {
    if (!r) return;
    free(r->content_type);
    sdk_buf_free(&r->body);
    free(r);
}

void sdk_plugin_response_abandon(sdk_plugin_response *r) {
    if (r) r->abandoned = true;
}

/* Matches path against pattern segment by segment. On a match returns true, fills params (values
 * copied into req) and *literal_mask (bit i set when segment i is literal, first segment highest,
 * so a larger mask means "literal earlier"). */
static bool route_match(const char *pattern, const char *path, struct sdk_plugin_request *req,
                        uint64_t *literal_mask) {
    const char *p = pattern, *q = path;
    uint64_t mask = 0;
    size_t seg = 0;
    req->n_params = 0;
    bool ok = true;
    while (ok) {
        while (*p == '/') p++;
        while (*q == '/') q++;
        if (!*p || !*q) {
            ok = !*p && !*q;
            break;
        }
        const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ql = qe ? (size_t)(qe - q) : strlen(q);
        if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (req->n_params < SDK_PLUGIN_MAX_PARAMS) {
                req->params[req->n_params].key = sdk_xstrndup(p + 1, pl - 2);
                req->params[req->n_params].value = sdk_xstrndup(q, ql);
                req->n_params++;
            }
        } else if (pl != ql || memcmp(p, q, pl) != 0) {
            ok = false;
            break;
        } else if (seg < 64) {
            mask |= (uint64_t)1 << (63 - seg);
        }
        p += pl;
        q += ql;
        seg++;
    }
    if (!ok) {
        for (size_t i = 0; i < req->n_params; i++) {
            free(req->params[i].key);
            free(req->params[i].value);
        }
        req->n_params = 0;
    }
    *literal_mask = mask;
    return ok;
}

static void clear_params(struct sdk_plugin_request *req) {
    for (size_t i = 0; i < req->n_params; i++) {
        free(req->params[i].key);
        free(req->params[i].value);
    }
    req->n_params = 0;
}

int sdk_plugin_dispatch(sdk_plugin_instance *in, const sdk_plugin_http_request *hr,
                        sdk_plugin_response *resp, bool *pending) {
    *pending = false;
    const sdk_plugin_descriptor *d = in->desc;
    struct sdk_plugin_request req = {.http = hr};
    const sdk_plugin_route *best = NULL;
    uint64_t best_mask = 0;
    bool path_matched = false;
    sdk_buf allow;
    sdk_buf_init(&allow);
    for (uint32_t i = 0; i < d->n_routes; i++) {
        const sdk_plugin_route *r = &d->routes[i];
        uint64_t mask;
        if (!route_match(r->path, hr->path, &req, &mask)) continue;
        clear_params(&req);
        path_matched = true;
        if (strcmp(r->method, hr->method) != 0) {
            if (!strstr(allow.data ? allow.data : "", r->method)) {
                if (allow.len) sdk_buf_puts(&allow, ", ");
                sdk_buf_puts(&allow, r->method);
            }
            continue;
        }
        if (!best || mask > best_mask) {
            best = r;
            best_mask = mask;
        }
    }
    if (!path_matched) {
        sdk_buf_free(&allow);
        return SDK_ENOENT;
    }
    if (!best) {
        resp->status = 405;
        sdk_buf_reset(&resp->body);
        sdk_buf_printf(&resp->body, "{\"message\": \"method %s not allowed; allowed: %s\"}",
                       hr->method, allow.data);
        sdk_buf_free(&allow);
        return SDK_OK;
    }
    sdk_buf_free(&allow);
    uint64_t mask;
    route_match(best->path, hr->path, &req, &mask);
    resp->owner = in;
    resp->in_dispatch = true;
    int rc = best->handler(in->state, &req, resp);
    resp->in_dispatch = false;
    clear_params(&req);
    if (resp->suspended && !resp->finished) {
        *pending = true;
        return SDK_OK;
    }
    resp->owner = NULL;
    if (rc != 0 && !resp->suspended) {
        SDK_WARN("plugin", "plugin '%s': route %s %s failed (code %d)", d->name, best->method,
                 best->path, rc);
        resp->status = 500;
        sdk_buf_reset(&resp->body);
    }
    return SDK_OK;
}

/* ---- endpoints ----------------------------------------------------------------------------- */

void sdk_plugin_endpoints_free(sdk_plugin_endpoint *e, size_t n) {
    if (!e) return;
    for (size_t i = 0; i < n; i++) {
        free(e[i].name);
        free(e[i].content_type);
        free(e[i].body);
    }
    free(e);
}

int sdk_plugin_endpoints_new(sdk_plugin_instance *in, sdk_plugin_endpoint **out_new, size_t *n,
                             sdk_errors *errs) {
    *out_new = NULL;
    *n = 0;
    if (!in->desc->endpoints) return SDK_OK;
    struct sdk_plugin_endpoints e = {.active = true};
    int rc = in->desc->endpoints(in->state, &e);
    e.active = false;
    if (rc != 0) {
        sdk_errors_addf(errs, "plugin '%s': endpoints failed (code %d)", in->desc->name, rc);
        sdk_plugin_endpoints_free(e.items, e.n);
        return SDK_EINVAL;
    }
    *out_new = e.items;
    *n = e.n;
    return SDK_OK;
}

/* ---- placement and status ------------------------------------------------------------------ */

bool sdk_plugin_has_placement(const sdk_plugin_instance *in) { return in->desc->placement != NULL; }

int sdk_plugin_placement(sdk_plugin_instance *in, const char *pod, uint32_t index,
                         const char *agent_hostname, const sdk_kv *attributes, size_t n_attributes,
                         const char *const *agent_tasks, size_t n_agent_tasks, bool *pass,
                         char **reason_new) {
    *pass = true;
    *reason_new = NULL;
    if (!in->desc->placement) return SDK_OK;
    sdk_plugin_kv *attrs = sdk_xcalloc(n_attributes ? n_attributes : 1, sizeof *attrs);
    for (size_t i = 0; i < n_attributes; i++) {
        attrs[i].key = attributes[i].key;
        attrs[i].value = attributes[i].value;
    }
    sdk_plugin_placement_query q = {
        .size = sizeof q,
        .pod_index = index,
        .pod_type = pod,
        .agent_hostname = agent_hostname,
        .attributes = attrs,
        .n_attributes = (uint32_t)n_attributes,
        .n_agent_tasks = (uint32_t)n_agent_tasks,
        .agent_tasks = agent_tasks,
    };
    sdk_errors why;
    sdk_errors_init(&why);
    struct sdk_plugin_errors sink = {.errs = &why, .prefix = NULL};
    bool ok = true;
    int rc = in->desc->placement(in->state, &q, &ok, &sink);
    free(attrs);
    if (rc != 0) {
        *pass = false;
        *reason_new = sdk_asprintf_new("plugin '%s' placement rule failed (code %d)",
                                       in->desc->name, rc);
    } else if (!ok) {
        *pass = false;
        *reason_new = why.n ? join_new(&why)
                            : sdk_asprintf_new("rejected by plugin '%s'", in->desc->name);
    }
    sdk_errors_free(&why);
    return SDK_OK;
}

void sdk_plugin_task_status_notify(sdk_plugin_instance *in, const char *task_name,
                                   const char *task_id, const char *state,
                                   const char *agent_hostname, const char *ip,
                                   const char *message) {
    if (!in->desc->task_status) return;
    sdk_plugin_task_status st = {
        .size = sizeof st,
        .task_name = task_name,
        .task_id = task_id,
        .state = state,
        .agent_hostname = agent_hostname,
        .ip = ip,
        .message = message,
    };
    in->desc->task_status(in->state, &st);
}
