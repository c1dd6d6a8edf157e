/* /v1/configurations..., /v1/state/..., /v1/metrics..., /v2/debug/offers and /v1/debug/reservations
 * (sdk-behaviour.md §6.4, §6.5, §6.8, §6.9). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/api/sdk_api.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include "mesos/pbjson.h"
#include "mesos/proto/mesos.pb-c.h"

/* ---- configurations (§6.4) ---- */

/* Answers 200 with a stored configuration (re-rendered pretty when it is JSON, as stored
 * otherwise), or 404 (empty) when absent. */
static void respond_config(sdk_http_req *req, sdk_api *api, const char *id) {
    char *text = NULL;
    sdk_errors errs;
    sdk_errors_init(&errs);
    int rc = sdk_state_config_get_new(api->state, id, &text, &errs);
    sdk_errors_free(&errs);
    if (rc) {
        sdk_api_respond_empty(req, rc == SDK_ENOENT ? 404 : 500);
        return;
    }
    json_t *j = json_loads(text, 0, NULL);
    if (j) sdk_api_respond_json_take(req, 200, j);
    else sdk_http_respond(req, sdk_http_response_new(200, "application/json", text, strlen(text)));
    free(text);
}

static void h_configs(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    char **ids = NULL;
    size_t n = 0;
    sdk_errors errs;
    sdk_errors_init(&errs);
    int rc = sdk_state_configs_list_new(api->state, &ids, &n, &errs);
    sdk_errors_free(&errs);
    if (rc) {
        sdk_api_respond_empty(req, 500);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(ids[i]));
    sdk_store_names_free(ids, n);
    sdk_api_respond_json_take(req, 200, a);
}

static void h_config(sdk_http_req *req, void *ud) {
    const char *id = sdk_http_req_param(req, "id");
    if (!sdk_uuid_valid(id)) {
        sdk_api_respond_empty(req, 400);
        return;
    }
    respond_config(req, ud, id);
}

static void h_target_id(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *id = sdk_service_target_id(api->svc);
    if (!id) {
        sdk_api_respond_empty(req, 404);
        return;
    }
    sdk_api_respond_json_take(req, 200, json_pack("[s]", id));
}

static void h_target(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *id = sdk_service_target_id(api->svc);
    if (!id) {
        sdk_api_respond_empty(req, 404);
        return;
    }
    respond_config(req, api, id);
}

/* ---- state (§6.5) ---- */

static void h_framework_id(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *id = sdk_service_framework_id(api->svc);
    if (!id) {
        sdk_http_respond_text(req, 404, "Framework ID not found");
        return;
    }
    sdk_api_respond_json_take(req, 200, json_pack("[s]", id));
}

static void h_properties(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    char **keys = NULL;
    size_t n = 0;
    sdk_errors errs;
    sdk_errors_init(&errs);
    int rc = sdk_state_properties_list_new(api->state, &keys, &n, &errs);
    sdk_errors_free(&errs);
    if (rc) {
        sdk_api_respond_empty(req, 500);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_string(keys[i]));
    sdk_store_names_free(keys, n);
    sdk_api_respond_json_take(req, 200, a);
}

/* The raw bytes, labelled JSON like dcos-commons although they may be any text or binary. */
static void h_property(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *key = sdk_http_req_param(req, "key");
    void *buf = NULL;
    size_t len = 0;
    sdk_errors errs;
    sdk_errors_init(&errs);
    int rc = sdk_state_property_get_new(api->state, key, &buf, &len, &errs);
    sdk_errors_free(&errs);
    if (rc) {
        char *m = sdk_asprintf_new("Property %s not found", key);
        sdk_http_respond_text(req, rc == SDK_ENOENT || rc == SDK_EINVAL ? 404 : 500, m);
        free(m);
        return;
    }
    sdk_http_respond(req, sdk_http_response_take(200, "application/json", buf, len));
}

/* ---- metrics (§6.8) ---- */

typedef struct metric {
    char *name;
    uint64_t value;
} metric;

/* Counters in a fixed order; task_status.* only once a status of that state was counted;
 * state.zk.* only with the ZooKeeper backend. */
static size_t counters_new(const sdk_api *api, metric **out) {
    const sdk_service_metrics *m = sdk_service_get_metrics(api->svc);
    metric *v = sdk_xcalloc(40, sizeof *v);
    size_t n = 0;
#define C(nm, val) (v[n].name = sdk_xstrdup(nm), v[n++].value = (val))
    C("offers.received", m->offers_received);
    C("offers.processed", m->offers_processed);
    C("declines.short", m->declines_short);
    C("declines.long", m->declines_long);
    C("revives", m->revives);
    C("suppresses", m->suppresses);
    C("operation.reserve", m->ops_reserve);
    C("operation.unreserve", m->ops_unreserve);
    C("operation.create", m->ops_create);
    C("operation.destroy", m->ops_destroy);
    C("operation.launch_group", m->ops_launch_group);
    C("operation.kill", m->kills);
    C("state.transactions", sdk_store_commits(sdk_state_store(api->state)));
    if (api->zk_stats) {
        C("state.zk.write_requests", api->zk_stats->write_requests);
        C("state.zk.write_bytes", api->zk_stats->write_bytes);
    }
#undef C
    for (int s = 0; s < 14; s++) {
        if (!m->task_status[s]) continue;
        char *nm = sdk_asprintf_new("task_status.%s", sdk_tstate_name((sdk_tstate)s));
        for (char *p = nm; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        v[n].name = nm;
        v[n++].value = m->task_status[s];
    }
    *out = v;
    return n;
}

static void metrics_free(metric *v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i].name);
    free(v);
}

/* plan_status gauge value; false for DELAYED (unmapped: the gauge reports an error). */
static bool plan_gauge(sdk_status s, int *out) {
    switch (s) {
    case SDK_STATUS_ERROR: *out = -1; return true;
    case SDK_STATUS_COMPLETE: *out = 0; return true;
    case SDK_STATUS_WAITING:
    case SDK_STATUS_PENDING: *out = 1; return true;
    case SDK_STATUS_IN_PROGRESS:
    case SDK_STATUS_PREPARED:
    case SDK_STATUS_STARTING:
    case SDK_STATUS_STARTED: *out = 2; return true;
    default: return false;
    }
}

static void h_metrics(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    json_t *gauges = json_object(), *counters = json_object();
    json_object_set_new(gauges, "is_suppressed", json_pack("{s:b}", "value", sdk_service_is_suppressed(api->svc)));
    json_object_set_new(gauges, "is_registered", json_pack("{s:b}", "value", sdk_service_registered(api->svc)));
    json_object_set_new(gauges, "reconciliation.pending_tasks",
                        json_pack("{s:I}", "value", (json_int_t)sdk_service_reconciling(api->svc)));
    size_t np = 0;
    sdk_plan *const *plans = sdk_service_plans(api->svc, &np);
    for (size_t i = 0; i < np; i++) {
        char *nm = sdk_asprintf_new("plan_status.%s", plans[i]->name);
        sdk_status st = sdk_plan_status(plans[i]);
        int v;
        if (plan_gauge(st, &v)) {
            json_object_set_new(gauges, nm, json_pack("{s:i}", "value", v));
        } else {
            char *e = sdk_asprintf_new("plan status %s has no gauge value", sdk_status_name(st));
            json_object_set_new(gauges, nm, json_pack("{s:s}", "error", e));
            free(e);
        }
        free(nm);
    }
    metric *c;
    size_t nc = counters_new(api, &c);
    for (size_t i = 0; i < nc; i++)
        json_object_set_new(counters, c[i].name, json_pack("{s:I}", "count", (json_int_t)c[i].value));
    metrics_free(c, nc);
    json_t *j = json_object();
    json_object_set_new(j, "version", json_string("4.0.0"));
    json_object_set_new(j, "gauges", gauges);
    json_object_set_new(j, "counters", counters);
    json_object_set_new(j, "histograms", json_object());
    json_object_set_new(j, "meters", json_object());
    const sdk_service_metrics *sm = sdk_service_get_metrics(api->svc);
    json_t *timers = json_object();
    json_object_set_new(timers, "offers.process",
                        json_pack("{s:I,s:f,s:f,s:f,s:f,s:s}", "count", (json_int_t)sm->offer_batches,
                                  "mean", sm->offer_batches ? sm->offer_ms_total / (double)sm->offer_batches : 0.0,
                                  "max", sm->offer_ms_max, "p50", sdk_service_offer_ms_percentile(api->svc, 50),
                                  "p99", sdk_service_offer_ms_percentile(api->svc, 99), "duration_units",
                                  "milliseconds"));
    json_object_set_new(j, "timers", timers);
    sdk_api_respond_json_take(req, 200, j);
}

/* Prometheus metric name: dots (and anything else outside [A-Za-z0-9_:]) become underscores. */
static void prom_name(sdk_buf *b, const char *name) {
    for (const char *p = name; *p; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                  ch == ':';
        sdk_buf_putc(b, ok ? ch : '_');
    }
}

static void prom_line(sdk_buf *b, const char *name, const char *type, long long v) {
    sdk_buf_puts(b, "# TYPE ");
    prom_name(b, name);
    sdk_buf_printf(b, " %s\n", type);
    prom_name(b, name);
    sdk_buf_printf(b, " %lld\n", v);
}

static void h_metrics_prom(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    sdk_buf b;
    sdk_buf_init(&b);
    metric *c;
    size_t nc = counters_new(api, &c);
    for (size_t i = 0; i < nc; i++) prom_line(&b, c[i].name, "counter", (long long)c[i].value);
    metrics_free(c, nc);
    prom_line(&b, "is_suppressed", "gauge", sdk_service_is_suppressed(api->svc) ? 1 : 0);
    prom_line(&b, "is_registered", "gauge", sdk_service_registered(api->svc) ? 1 : 0);
    prom_line(&b, "reconciliation.pending_tasks", "gauge", (long long)sdk_service_reconciling(api->svc));
    size_t np = 0;
    sdk_plan *const *plans = sdk_service_plans(api->svc, &np);
    for (size_t i = 0; i < np; i++) {
        int v;
        if (!plan_gauge(sdk_plan_status(plans[i]), &v)) continue;
        char *nm = sdk_asprintf_new("plan_status.%s", plans[i]->name);
        prom_line(&b, nm, "gauge", v);
        free(nm);
    }
    size_t len = b.len;
    sdk_http_respond(req, sdk_http_response_take(200, "text/plain; version=0.0.4; charset=utf-8", sdk_buf_take(&b), len));
}

/* ---- debug (§6.9) ---- */

/* GET /v2/debug/offers: the last evaluations (oldest first). ?step= keeps one step's entries. */
static void h_debug_offers(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *only_step = sdk_http_req_query(req, "step");
    size_t n = 0;
    const sdk_offer_log_entry *log = sdk_service_offer_log(api->svc, &n);
    json_t *offers = json_array(), *reasons = json_object();
    long long accepted = 0, rejected = 0;
    for (size_t i = 0; i < n; i++) {
        const sdk_offer_log_entry *e = &log[i];
        if (only_step && *only_step && (!e->step || strcmp(e->step, only_step))) continue;
        const sdk_offer_outcome *o = &e->outcome;
        if (o->pass) accepted++;
        else rejected++;
        json_t *expl = json_array();
        for (size_t k = 0; k < o->n_stages; k++) {
            const sdk_stage_outcome *st = &o->stages[k];
            json_array_append_new(expl, json_pack("{s:s, s:s, s:s}", "stage", st->stage ? st->stage : "", "outcome",
                                                  st->pass ? "pass" : "fail", "reason", st->reason ? st->reason : ""));
            if (!st->pass) {
                char *r = sdk_asprintf_new("%s: %s", st->stage ? st->stage : "", st->reason ? st->reason : "");
                json_t *cur = json_object_get(reasons, r);
                json_object_set_new(reasons, r, json_integer(cur ? json_integer_value(cur) + 1 : 1));
                free(r);
            }
        }
        json_t *x = json_object();
        json_object_set_new(x, "timestamp", json_real(e->when));
        json_object_set_new(x, "pod-instance-name", json_string(e->pod_instance ? e->pod_instance : ""));
        json_object_set_new(x, "step", json_string(e->step ? e->step : ""));
        json_object_set_new(x, "outcome", json_string(o->pass ? "pass" : "fail"));
        json_object_set_new(x, "explanation", expl);
        json_object_set_new(x, "offer", json_string(o->offer_id ? o->offer_id : ""));
        json_array_append_new(offers, x);
    }
    json_t *j = json_object();
    json_object_set_new(j, "acceptedCount", json_integer(accepted));
    json_object_set_new(j, "rejectedCount", json_integer(rejected));
    json_object_set_new(j, "failureReasons", reasons);
    json_object_set_new(j, "rejectedAgents", json_object());
    json_object_set_new(j, "offers", offers);
    sdk_api_respond_json_take(req, 200, j);
}

static json_t *resources_json_new(Mesos__V1__Resource *const *r, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, sdk_pbjson_from_message_new(&r[i]->base));
    return a;
}

/* GET /v1/debug/reservations: {"<agent id>": {"hostname": h, "tasks": {"<task>": {"resource_ids":
 * [...], "resources": [Resource...], "executor_resources": [Resource...]}}}} over stored tasks. */
static void h_debug_reservations(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const sdk_task_views *tv = sdk_service_task_views(api->svc);
    json_t *agents = json_object();
    for (size_t i = 0; tv && i < tv->n; i++) {
        const sdk_task_view *t = &tv->v[i];
        void *buf = NULL;
        size_t len = 0;
        if (sdk_state_task_info_get_new(api->state, t->name, &buf, &len, NULL)) continue;
        Mesos__V1__TaskInfo *ti = mesos__v1__task_info__unpack(NULL, len, buf);
        free(buf);
        if (!ti) continue;
        const char *agent = ti->agent_id && ti->agent_id->value ? ti->agent_id->value : "";
        json_t *a = json_object_get(agents, agent);
        if (!a) {
            a = json_object();
            json_object_set_new(a, "hostname", json_string(t->hostname ? t->hostname : ""));
            json_object_set_new(a, "tasks", json_object());
            json_object_set_new(agents, agent, a);
        }
        json_t *ids = json_array();
        for (size_t k = 0; k < t->n_resource_ids; k++) json_array_append_new(ids, json_string(t->resource_ids[k]));
        json_t *x = json_object();
        json_object_set_new(x, "resource_ids", ids);
        json_object_set_new(x, "resources", resources_json_new(ti->resources, ti->n_resources));
        json_object_set_new(x, "executor_resources", ti->executor ? resources_json_new(ti->executor->resources,
                                                                                        ti->executor->n_resources)
                                                                   : json_array());
        json_object_set_new(json_object_get(a, "tasks"), t->name, x);
        mesos__v1__task_info__free_unpacked(ti, NULL);
    }
    sdk_api_respond_json_take(req, 200, agents);
}

const sdk_api_route sdk_api_state_routes[] = {
    {"GET", "/v1/configurations", h_configs},
    {"GET", "/v1/configurations/targetId", h_target_id},
    {"GET", "/v1/configurations/target", h_target},
    {"GET", "/v1/configurations/{id}", h_config},
    {"GET", "/v1/state/frameworkId", h_framework_id},
    {"GET", "/v1/state/properties", h_properties},
    {"GET", "/v1/state/properties/{key}", h_property},
    {"GET", "/v1/metrics", h_metrics},
    {"GET", "/v1/metrics/prometheus", h_metrics_prom},
    {"GET", "/v2/debug/offers", h_debug_offers},
    {"GET", "/v1/debug/reservations", h_debug_reservations},
};
const size_t sdk_api_n_state_routes = sizeof sdk_api_state_routes / sizeof sdk_api_state_routes[0];
