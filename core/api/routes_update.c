/* POST /v1/update: a live configuration update (options as a JSON object of strings). The
 * scheduler refuses options nothing references, re-renders its spec with them (the pod limit
 * included) and runs the configuration-update validators, all before anything is stored; the
 * outcome is then visible on the deploy plan (GET /v1/plans/deploy, 417 when refused).
 * GET /v1/update: {"set_aside": [...]}, what the scheduler refused to load at start (stored
 * update options or a stored target that no longer validate), each with its reason. */
#include "core/api/sdk_api.h"
#include "core/util/str.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void h_update(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    if (!api->update) {
        sdk_api_respond_message(req, 404, "this scheduler does not take live configuration updates: restart it "
                                          "with the new options");
        return;
    }
    size_t len = 0;
    const char *body = sdk_http_req_body(req, &len);
    json_error_t je;
    json_t *j = body && len ? json_loadb(body, len, 0, &je) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        sdk_api_respond_message(req, 400, "the body must be a JSON object of option names to string values, "
                                          "e.g. {\"WORLD_COUNT\": \"3\"}");
        return;
    }
    size_t n = json_object_size(j), k = 0;
    sdk_kv *kv = sdk_xcalloc(n ? n : 1, sizeof *kv);
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) {
        if (!json_is_string(v)) {
            char *m = sdk_asprintf_new("option %s: expected a string value", key);
            sdk_api_respond_message(req, 400, m);
            free(m);
            free(kv);
            json_decref(j);
            return;
        }
        kv[k].key = (char *)key;
        kv[k++].value = (char *)json_string_value(v);
    }
    sdk_errors e;
    sdk_errors_init(&e);
    bool bad_input = false;
    int rc = api->update(api->update_ud, kv, k, false, &bad_input, &e);
    json_t *out = json_object();
    if (rc == 0) {
        sdk_buf b;
        sdk_buf_init(&b);
        for (size_t i = 0; i < k; i++) sdk_buf_printf(&b, "%s%s=%s", i ? ", " : "", kv[i].key, kv[i].value);
        char *m = sdk_asprintf_new("Received cmd: update with options: {%s}", b.data ? b.data : "");
        json_object_set_new(out, "message", json_string(m));
        free(m);
        sdk_buf_free(&b);
        sdk_api_respond_json_take(req, 200, out);
    } else {
        json_object_set_new(out, "message", json_string(bad_input ? "the options do not give a valid service spec"
                                                                  : "configuration update refused; the previous "
                                                                    "configuration keeps running"));
        json_t *errs = json_array();
        for (size_t i = 0; i < e.n; i++) json_array_append_new(errs, json_string(e.msgs[i]));
        json_object_set_new(out, "errors", errs);
        sdk_api_respond_json_take(req, bad_input ? 400 : 409, out);
    }
    sdk_errors_free(&e);
    free(kv);
    json_decref(j);
}

static void h_update_status(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    json_t *a = json_array();
    for (size_t i = 0; api->start_notes && i < api->start_notes->n; i++)
        json_array_append_new(a, json_string(api->start_notes->msgs[i]));
    sdk_api_respond_json_take(req, 200, json_pack("{s:o}", "set_aside", a));
}

const sdk_api_route sdk_api_update_routes[] = {
    {"POST", "/v1/update", h_update, 0},
    {"GET", "/v1/update", h_update_status, 0},
};
const size_t sdk_api_n_update_routes = sizeof sdk_api_update_routes / sizeof sdk_api_update_routes[0];
