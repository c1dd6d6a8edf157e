/* Mounting the REST API on a server, shared answer helpers, and the plugin fallback routes. */
#include "core/api/sdk_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/api/router.h"
#include "core/util/str.h"

const char *sdk_api_service_name(const sdk_api *api) {
    if (api->service_name) return api->service_name;
    const sdk_spec *s = sdk_service_target_spec(api->svc);
    return s && s->name ? s->name : "";
}

void sdk_api_respond_json_take(sdk_http_req *req, int status, json_t *j) {
    sdk_http_respond_json(req, status, j);
    json_decref(j);
}

void sdk_api_respond_message(sdk_http_req *req, int status, const char *msg) {
    sdk_api_respond_json_take(req, status, json_pack("{s:s}", "message", msg ? msg : ""));
}

void sdk_api_respond_empty(sdk_http_req *req, int status) {
    sdk_http_respond(req, sdk_http_response_new(status, NULL, "", 0));
}

/* ---- plugin routes ------------------------------------------------------------------------- */

/* Links one deferred HTTP request to its suspended plugin response. Freed by whichever ends
 * first: the plugin's finish (on_finish) or the client's departure (on_close). */
typedef struct plugin_call {
    sdk_http_req *req;
    sdk_plugin_response *resp;
} plugin_call;

static void send_plugin_response(sdk_http_req *req, const sdk_plugin_response *r) {
    const char *ct = r->content_type && *r->content_type ? r->content_type : "application/json";
    sdk_http_respond(req, sdk_http_response_new(r->status ? r->status : 200, ct, r->body.data ? r->body.data : "",
                                                r->body.len));
}

static void on_plugin_finish(sdk_plugin_response *resp, void *ctx) {
    plugin_call *pc = ctx;
    /* The server may still report the connection's end after an answer was queued (the answer
     * is only sent once the suspended connection resumes): pc dies here, so unhook first. */
    sdk_http_req_on_close(pc->req, NULL, NULL);
    send_plugin_response(pc->req, resp);
    free(pc);
}

static void on_client_gone(sdk_http_req *req, void *ud) {
    (void)req;
    plugin_call *pc = ud;
    sdk_plugin_response_abandon(pc->resp);
    free(pc);
}

/* Request headers handed to plugins (the server offers lookups by name only). */
static const char *const forwarded_headers[] = {"Content-Type", "Accept", "User-Agent", "Content-Length",
                                                "X-Request-Id"};
#define N_FWD (sizeof forwarded_headers / sizeof forwarded_headers[0])

/* No SDK or plugin route took the request: 405 with Allow when an SDK route has the path under
 * another method (the catch-all routes hide that from the server's own 405), else 404. */
static void respond_unrouted(sdk_http_req *req, sdk_api *api) {
    sdk_route_match m;
    sdk_router_match(api->sdk_routes, sdk_http_req_method(req), sdk_http_req_path(req), &m);
    if (m.status == 405) {
        sdk_http_response *r = sdk_http_response_new(405, NULL, "Method not allowed", 18);
        sdk_http_response_header(r, "Allow", m.allow);
        sdk_http_respond(req, r);
    } else {
        sdk_http_respond_text(req, 404, "Not found");
    }
    sdk_route_match_clear(&m);
}

static void h_plugin(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    if (!api->plugin) {
        respond_unrouted(req, api);
        return;
    }
    sdk_kv hdrs[N_FWD];
    size_t nh = 0;
    for (size_t i = 0; i < N_FWD; i++) {
        const char *v = sdk_http_req_header(req, forwarded_headers[i]);
        if (!v) continue;
        hdrs[nh].key = (char *)forwarded_headers[i];
        hdrs[nh++].value = (char *)v;
    }
    size_t blen = 0;
    const char *body = sdk_http_req_body(req, &blen);
    sdk_kv *query = NULL;
    size_t nq = sdk_http_req_query_all(req, &query);
    sdk_plugin_http_request preq = {.method = sdk_http_req_method(req), .path = sdk_http_req_path(req),
                                    .query = query, .n_query = nq,
                                    .headers = hdrs, .n_headers = nh, .body = blen ? body : NULL,
                                    .body_len = blen};
    if (!strcmp(preq.method, "HEAD")) preq.method = "GET";
    plugin_call *pc = sdk_xcalloc(1, sizeof *pc);
    pc->req = req;
    sdk_plugin_response *resp = sdk_plugin_response_new(on_plugin_finish, pc);
    pc->resp = resp;
    bool pending = false;
    int rc = sdk_plugin_dispatch(api->plugin, &preq, resp, &pending);
    free(query); /* the request is borrowed by the plugin only during the call */
    if (rc == 0 && pending) {
        sdk_http_defer(req);
        sdk_http_req_on_close(req, on_client_gone, pc);
        return;
    }
    if (rc == SDK_ENOENT) respond_unrouted(req, api);
    else if (rc) sdk_api_respond_empty(req, 500);
    else send_plugin_response(req, resp);
    sdk_plugin_response_free(resp);
    free(pc);
}

static int add_routes(sdk_api *api, const sdk_api_route *r, size_t n, sdk_errors *errs) {
    for (size_t i = 0; i < n; i++) {
        int rc = sdk_http_server_route_flags(api->srv, r[i].method, r[i].pattern, r[i].h, api, r[i].flags, errs);
        if (!rc) rc = sdk_router_add(api->sdk_routes, r[i].method, r[i].pattern, (void *)&r[i], errs);
        if (rc) return rc;
    }
    return 0;
}

/* Catch-all patterns "/{p1}", "/{p1}/{p2}", ... for each method: the router prefers literal
 * segments, so every SDK route wins over them and only unknown paths reach the plugin. */
static int add_plugin_routes(sdk_api *api, sdk_errors *errs) {
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH"};
    for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
        sdk_buf pat;
        sdk_buf_init(&pat);
        for (int d = 1; d <= SDK_API_PLUGIN_MAX_DEPTH; d++) {
            sdk_buf_printf(&pat, "/{p%d}", d);
            /* a plugin's route may take a raw upload (HDFS's journal VERSION file) */
            int rc = sdk_http_server_route_flags(api->srv, methods[m], pat.data, h_plugin, api,
                                                 SDK_HTTP_ROUTE_RAW_BODY, errs);
            if (rc) {
                sdk_buf_free(&pat);
                return rc;
            }
        }
        sdk_buf_free(&pat);
    }
    return 0;
}

int sdk_api_new(sdk_http_server *srv, const sdk_api_options *o, sdk_api **out, sdk_errors *errs) {
    *out = NULL;
    if (!srv || !o || !o->service || !o->state) {
        sdk_errors_addf(errs, "REST API: a server, a service and its state are required");
        return SDK_EINVAL;
    }
    sdk_api *api = sdk_xcalloc(1, sizeof *api);
    api->srv = srv;
    api->svc = o->service;
    api->state = o->state;
    api->plugin = o->plugin;
    api->service_name = sdk_xstrdup(o->service_name);
    api->update = o->update;
    api->update_ud = o->update_ud;
    api->cosmos = o->cosmos;
    api->zk_stats = o->zk_stats;
    api->events = o->events;
    api->loop = o->loop;
    api->agents = o->agents;
    api->start_notes = o->start_notes;
    sdk_router_new(&api->sdk_routes);
    int rc = add_routes(api, sdk_api_plan_routes, sdk_api_n_plan_routes, errs);
    if (!rc) rc = add_routes(api, sdk_api_pod_routes, sdk_api_n_pod_routes, errs);
    if (!rc) rc = add_routes(api, sdk_api_state_routes, sdk_api_n_state_routes, errs);
    if (!rc) rc = add_routes(api, sdk_api_update_routes, sdk_api_n_update_routes, errs);
    if (!rc) rc = add_routes(api, sdk_api_cosmos_routes, sdk_api_n_cosmos_routes, errs);
    if (!rc) rc = add_routes(api, sdk_api_metrics_routes, sdk_api_n_metrics_routes, errs);
    if (!rc) rc = add_routes(api, sdk_api_debug_routes, sdk_api_n_debug_routes, errs);
    if (!rc) rc = add_routes(api, sdk_api_event_routes, sdk_api_n_event_routes, errs);
    if (!rc) rc = add_routes(api, sdk_api_sandbox_routes, sdk_api_n_sandbox_routes, errs);
    if (!rc) rc = add_plugin_routes(api, errs);
    if (rc) {
        sdk_api_free(api);
        return rc;
    }
    *out = api;
    return 0;
}

void sdk_api_set_service(sdk_api *api, sdk_service *svc, sdk_state *state) {
    api->svc = svc;
    api->state = state;
}

void sdk_api_free(sdk_api *api) {
    if (!api) return;
    for (size_t k = 0; k < api->n_plan_cache; k++) {
        free(api->plan_cache[k].plan);
        sdk_http_blob_unref(api->plan_cache[k].body);
    }
    free(api->plan_cache);
    sdk_api_events_free(api);
    free(api->service_name);
    sdk_router_free(api->sdk_routes);
    free(api);
}
