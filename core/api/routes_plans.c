/* /v1/plans..., the deprecated /v1/plan aliases and /v1/health (sdk-behaviour.md §4.5, §6.1, §6.7). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/api/sdk_api.h"
#include "core/util/str.h"

#define ALREADY_TEXT "Command has already been reported or completed"

/* Query value or NULL when absent or empty (an empty ?phase= means "no phase"). */
static const char *query_opt(sdk_http_req *req, const char *name) {
    const char *v = sdk_http_req_query(req, name);
    return v && *v ? v : NULL;
}

/* The plan named by the {plan} parameter (or "deploy" for the deprecated routes); answers 404
 * "Plan X not found" and returns NULL when there is none. */
static sdk_plan *find_plan(sdk_api *api, sdk_http_req *req) {
    const char *name = sdk_http_req_param(req, "plan");
    if (!name) name = "deploy";
    sdk_plan *p = sdk_service_plan(api->svc, name);
    if (!p) {
        char *msg = sdk_asprintf_new("Plan %s not found", name);
        sdk_http_respond_text(req, 404, msg);
        free(msg);
    }
    return p;
}

/* Answers a command result: OK -> 200 {"message": ok_msg}; ALREADY -> 208 text; BAD_REQUEST and
 * NOT_FOUND -> their code with the text the plan module gave. */
static void respond_cmd(sdk_http_req *req, sdk_cmd_result r, const sdk_errors *msg, const char *ok_msg) {
    int code = sdk_cmd_http_status(r);
    if (r == SDK_CMD_OK) {
        sdk_api_respond_message(req, code, ok_msg);
    } else if (r == SDK_CMD_ALREADY) {
        sdk_http_respond_text(req, code, ALREADY_TEXT);
    } else {
        sdk_http_respond_text(req, code, msg->n ? msg->msgs[0] : "");
    }
}

static void h_plans(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    size_t n = 0;
    sdk_plan *const *plans = sdk_service_plans(api->svc, &n);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(plans[i]->name));
    sdk_api_respond_json_take(req, 200, a);
}

static void h_plan(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    sdk_plan *p = find_plan(api, req);
    if (!p) return;
    struct sdk_api_plan_cache *c = NULL;
    for (size_t i = 0; i < api->n_plan_cache && !c; i++)
        if (!strcmp(api->plan_cache[i].plan, p->name)) c = &api->plan_cache[i];
    if (!c) {
        api->plan_cache = sdk_xrealloc(api->plan_cache, (api->n_plan_cache + 1) * sizeof *api->plan_cache);
        c = &api->plan_cache[api->n_plan_cache++];
        memset(c, 0, sizeof *c);
        c->plan = sdk_xstrdup(p->name);
    }
    /* Within one epoch (a burst of GETs with nothing else run between) the plan cannot have
     * changed: skip even the fingerprint, which walks every step. */
    uint64_t epoch = sdk_http_server_epoch(api->srv);
    if (!c->body || c->epoch != epoch || c->p != p) {
        const sdk_task_views *tv = sdk_task_views_if_paused(sdk_service_task_views(api->svc));
        uint64_t fp = sdk_plan_fingerprint(p, tv);
        if (!c->body || c->fingerprint != fp) {
            json_t *j = sdk_plan_to_json_new(p, tv);
            char *s = sdk_json_pretty_new(j);
            json_decref(j);
            size_t len = strlen(s);
            s = sdk_xrealloc(s, len + 2);
            s[len++] = '\n';
            s[len] = 0;
            sdk_http_blob_unref(c->body); /* answers still being sent keep the old body alive */
            c->body = sdk_http_blob_take(s, len);
            c->fingerprint = fp;
        }
        c->status = sdk_plan_http_status(p);
        c->epoch = epoch;
        c->p = p;
    }
    sdk_http_respond(req, sdk_http_response_blob(req, c->status, "application/json", c->body));
}

/* Java's Map.toString of the parameters, in body order: {K=v, K2=v2}. */
static char *params_text_new(const sdk_kv *kv, size_t n) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_putc(&b, '{');
    for (size_t i = 0; i < n; i++) sdk_buf_printf(&b, "%s%s=%s", i ? ", " : "", kv[i].key, kv[i].value);
    sdk_buf_putc(&b, '}');
    return sdk_buf_take(&b);
}

/* POST /v1/plans/{plan}/start: body a JSON object of string -> string (empty body = {}). */
static void h_start(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    sdk_plan *p = find_plan(api, req);
    if (!p) return;
    size_t len = 0;
    const char *body = sdk_http_req_body(req, &len);
    size_t k = 0;
    while (k < len && strchr(" \t\r\n", body[k])) k++;
    json_t *j = NULL;
    if (k < len) {
        json_error_t jerr;
        j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!j) {
            char *m = sdk_asprintf_new("Couldn't parse parameters: body is not valid JSON: %s (line %d, column %d)",
                                       jerr.text, jerr.line, jerr.column);
            sdk_api_respond_message(req, 400, m);
            free(m);
            return;
        }
        if (!json_is_object(j)) {
            sdk_api_respond_message(req, 400, "Couldn't parse parameters: body must be a JSON object of "
                                              "string keys to string values, like {\"KEY\": \"value\"}");
            json_decref(j);
            return;
        }
    }
    size_t n = j ? json_object_size(j) : 0;
    sdk_kv *kv = sdk_xcalloc(n ? n : 1, sizeof *kv);
    char **owned = sdk_xcalloc(n ? n : 1, sizeof *owned); /* texts of coerced values */
    size_t i = 0;
    const char *key;
    json_t *val;
    if (j) {
        /* Upstream reads the body as Map<String, String> with Jackson, which also takes integers
         * and booleans as their text (clients such as dcos-commons' testing/sdk_plan.py send
         * whatever JSON the caller gave); other values are refused. */
        json_object_foreach(j, key, val) {
            if (json_is_integer(val)) {
                owned[i] = sdk_asprintf_new("%" JSON_INTEGER_FORMAT, json_integer_value(val));
            } else if (json_is_boolean(val)) {
                owned[i] = sdk_xstrdup(json_is_true(val) ? "true" : "false");
            } else if (!json_is_string(val)) {
                char *m = sdk_asprintf_new("Couldn't parse parameters: the value of '%s' must be a string, an "
                                           "integer or a boolean",
                                           key);
                sdk_api_respond_message(req, 400, m);
                free(m);
                goto out;
            }
            kv[i].key = (char *)key;
            kv[i].value = owned[i] ? owned[i] : (char *)json_string_value(val);
            i++;
        }
    }
    sdk_errors msg;
    sdk_errors_init(&msg);
    sdk_cmd_result r = sdk_plan_cmd_start(p, kv, n, &msg);
    sdk_service_plans_changed(api->svc);
    if (r == SDK_CMD_OK) {
        char *pt = params_text_new(kv, n);
        char *m = sdk_asprintf_new("Received cmd: start %s with parameters: %s", p->name, pt);
        sdk_api_respond_message(req, 200, m);
        free(m);
        free(pt);
    } else if (r == SDK_CMD_BAD_REQUEST) {
        sdk_api_respond_message(req, 400, msg.n ? msg.msgs[0] : "Couldn't parse parameters");
    } else {
        respond_cmd(req, r, &msg, "");
    }
    sdk_errors_free(&msg);
out:
    for (size_t k = 0; k < n; k++) free(owned[k]);
    free(owned);
    free(kv);
    json_decref(j);
}

static void h_stop(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    sdk_plan *p = find_plan(api, req);
    if (!p) return;
    sdk_errors msg;
    sdk_errors_init(&msg);
    respond_cmd(req, sdk_plan_cmd_stop(p), &msg, "Received cmd: stop");
    sdk_service_plans_changed(api->svc);
    sdk_errors_free(&msg);
}

static void h_continue(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    sdk_plan *p = find_plan(api, req);
    if (!p) return;
    sdk_errors msg;
    sdk_errors_init(&msg);
    respond_cmd(req, sdk_plan_cmd_continue(p, query_opt(req, "phase"), &msg), &msg, "Received cmd: continue");
    sdk_service_plans_changed(api->svc);
    sdk_errors_free(&msg);
}

static void h_interrupt(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    sdk_plan *p = find_plan(api, req);
    if (!p) return;
    sdk_errors msg;
    sdk_errors_init(&msg);
    respond_cmd(req, sdk_plan_cmd_interrupt(p, query_opt(req, "phase"), &msg), &msg, "Received cmd: interrupt");
    sdk_service_plans_changed(api->svc);
    sdk_errors_free(&msg);
}

/* forceComplete and restart share their shape: ?phase=&step=, text naming the three parts. */
static void element_cmd(sdk_http_req *req, sdk_api *api, bool restart) {
    sdk_plan *p = find_plan(api, req);
    if (!p) return;
    const char *phase = query_opt(req, "phase"), *step = query_opt(req, "step");
    sdk_errors msg;
    sdk_errors_init(&msg);
    sdk_cmd_result r = restart ? sdk_plan_cmd_restart(p, phase, step, &msg)
                               : sdk_plan_cmd_force_complete(p, phase, step, &msg);
    sdk_service_plans_changed(api->svc);
    char *ok = sdk_asprintf_new("Received cmd: %s for Plan: %s, Phase: %s, Step: %s",
                                restart ? "restart" : "forceComplete", p->name, phase ? phase : "null",
                                step ? step : "null");
    respond_cmd(req, r, &msg, ok);
    free(ok);
    sdk_errors_free(&msg);
}

static void h_force_complete(sdk_http_req *req, void *ud) { element_cmd(req, ud, false); }
static void h_restart(sdk_http_req *req, void *ud) { element_cmd(req, ud, true); }

/* ---- health (§6.7) ---- */

static bool plan_has_any(sdk_plan *p, const sdk_status *st, size_t n) {
    if (!p) return false;
    for (size_t i = 0; i < n; i++)
        if (sdk_plan_has_step_status(p, st[i])) return true;
    return false;
}

static bool plan_or_step_interrupted(sdk_plan *p) {
    if (!p) return false;
    if (sdk_plan_is_interrupted(p)) return true;
    for (size_t i = 0; i < p->n_phases; i++) {
        sdk_phase *ph = p->phases[i];
        if (sdk_phase_is_interrupted(ph)) return true;
        for (size_t k = 0; k < ph->n_steps; k++)
            if (ph->steps[k]->interrupted) return true;
    }
    return false;
}

static bool name_running(sdk_plan *const *plans, size_t n, const char *needle) {
    for (size_t i = 0; i < n; i++)
        if (strstr(plans[i]->name, needle) && sdk_status_is_running(sdk_plan_status(plans[i]))) return true;
    return false;
}

static void append_take(json_t *a, char *s) {
    json_array_append_new(a, json_string(s));
    free(s);
}

/* The ten checks of the health table, in evaluation order, each saying whether it holds. */
static json_t *health_reasons_new(sdk_api *api, sdk_plan *const *plans, size_t n, sdk_plan *deploy,
                                  sdk_plan *recovery) {
    static const sdk_status pend[] = {SDK_STATUS_PENDING, SDK_STATUS_PREPARED};
    static const sdk_status start[] = {SDK_STATUS_STARTING, SDK_STATUS_STARTED};
    static const sdk_status delayed[] = {SDK_STATUS_DELAYED};
    size_t errs = 0;
    for (size_t i = 0; i < n; i++) errs += sdk_plan_error_count(plans[i]);
    bool rec_active = recovery && sdk_plan_status(recovery) != SDK_STATUS_COMPLETE;
    json_t *a = json_array();
#define REASON(fmt, ...) append_take(a, sdk_asprintf_new(fmt, __VA_ARGS__))
    REASON("ERROR_CREATING_SERVICE (500): %zu plan error(s)", errs);
    REASON("INITIALIZING (318): framework id %s", sdk_service_framework_id(api->svc) ? "stored" : "not stored yet");
    REASON("DELAYED (208): deploy plan %s", plan_has_any(deploy, delayed, 1) ? "has a DELAYED step" : "has no DELAYED step");
    REASON("DEPLOYING_PENDING (204): deploy plan %s PENDING or PREPARED steps",
           plan_has_any(deploy, pend, 2) ? "has" : "has no");
    REASON("DEPLOYING_STARTING (202): deploy plan %s STARTING or STARTED steps",
           plan_has_any(deploy, start, 2) ? "has" : "has no");
    REASON("DEPLOYING_WAITING_USER (207): deploy plan %s interrupted",
           plan_or_step_interrupted(deploy) ? "is" : "is not");
    REASON("RECOVERING (208/203/205): recovery plan is %s",
           !recovery ? "absent" : rec_active ? sdk_status_name(sdk_plan_status(recovery)) : "COMPLETE");
    REASON("RUNNING (200): deploy plan is %s", deploy ? sdk_status_name(sdk_plan_status(deploy)) : "absent");
    REASON("RESTORING (321): %s", name_running(plans, n, "restor") ? "a restore plan is running" : "no restore plan is running");
    REASON("BACKING_UP (320): %s", name_running(plans, n, "back") ? "a backup plan is running" : "no backup plan is running");
    for (size_t i = 0; api->start_notes && i < api->start_notes->n; i++) /* not a health state: why, if any */
        REASON("CONFIGURATION: %s", api->start_notes->msgs[i]);
#undef REASON
    return a;
}

/* Failing state writes come before the table: a scheduler that cannot record anything cannot
 * launch or recover anything, whatever its plans say. 500 with the store's reason (an addition
 * of ours: dcos-commons has no such check). */
static bool health_store_failing(sdk_http_req *req, sdk_api *api) {
    sdk_store *store = api->state ? sdk_state_store(api->state) : NULL;
    if (!store) return false;
    sdk_store_health h;
    sdk_store_get_health(store, &h);
    if (!h.failing) return false;
    char *why = sdk_asprintf_new("STATE_STORE_FAILING (500): %" PRIu64 " write(s) to %s failed over %.0f s: %s",
                                 h.failures, sdk_store_describe(store), h.failing_for_s, h.why ? h.why : "?");
    json_t *j = json_pack("{s:i,s:s}", "value", 500, "reason", why);
    const char *v = sdk_http_req_query(req, "verbose");
    if (v && !strcasecmp(v, "true")) json_object_set_new(j, "reasons", json_pack("[s]", why));
    free(why);
    sdk_api_respond_json_take(req, 500, j);
    return true;
}

static void h_health(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    if (health_store_failing(req, api)) return;
    size_t n = 0;
    sdk_plan *const *plans = sdk_service_plans(api->svc, &n);
    sdk_plan *deploy = sdk_service_plan(api->svc, "deploy");
    sdk_plan *recovery = sdk_service_plan(api->svc, "recovery");
    int code = sdk_plan_health_code(plans, n, deploy, recovery, sdk_service_framework_id(api->svc) != NULL);
    json_t *j = json_pack("{s:i}", "value", code);
    const char *v = sdk_http_req_query(req, "verbose");
    if (v && !strcasecmp(v, "true")) json_object_set_new(j, "reasons", health_reasons_new(api, plans, n, deploy, recovery));
    sdk_api_respond_json_take(req, code, j);
}

const sdk_api_route sdk_api_plan_routes[] = {
    {"GET", "/v1/plans", h_plans, 0},
    {"GET", "/v1/plans/{plan}", h_plan, 0},
    {"POST", "/v1/plans/{plan}/start", h_start, 0},
    {"POST", "/v1/plans/{plan}/stop", h_stop, 0},
    {"POST", "/v1/plans/{plan}/continue", h_continue, 0},
    {"POST", "/v1/plans/{plan}/interrupt", h_interrupt, 0},
    {"POST", "/v1/plans/{plan}/forceComplete", h_force_complete, 0},
    {"POST", "/v1/plans/{plan}/restart", h_restart, 0},
    {"GET", "/v1/plan", h_plan, 0},
    {"POST", "/v1/plan/continue", h_continue, 0},
    {"POST", "/v1/plan/interrupt", h_interrupt, 0},
    {"POST", "/v1/plan/forceComplete", h_force_complete, 0},
    {"POST", "/v1/plan/restart", h_restart, 0},
    {"GET", "/v1/health", h_health, 0},
};
const size_t sdk_api_n_plan_routes = sizeof sdk_api_plan_routes / sizeof sdk_api_plan_routes[0];
