/* /v1/configurations... and /v1/state/... (sdk-behaviour.md §6.4, §6.5). Metrics are in
 * routes_metrics.c, debug routes in routes_debug.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- files (§6.5; dcos-commons S/http/queries/StateQueries.java) ---- */

/* A file NAME is stored as property "file-NAME" (upstream's FILE_NAME_PREFIX) of at most
 * FILE_SIZE_LIMIT bytes. */
#define FILE_PREFIX "file-"
#define FILE_SIZE_LIMIT 1024

/* GET /v1/state/files: text/plain "[a, b]" (Java's Collection.toString), names in the store's
 * (strcmp) order. */
static void h_files(sdk_http_req *req, void *ud) {
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
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_putc(&b, '[');
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!sdk_str_starts(keys[i], FILE_PREFIX)) continue;
        sdk_buf_printf(&b, "%s%s", first ? "" : ", ", keys[i] + strlen(FILE_PREFIX));
        first = false;
    }
    sdk_buf_putc(&b, ']');
    sdk_store_names_free(keys, n);
    size_t len = b.len;
    sdk_http_respond(req, sdk_http_response_take(200, NULL, sdk_buf_take(&b), len));
}

/* GET /v1/state/files/{name}: the content as text/plain; 404 "Failed to get the file". */
static void h_file(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    char *key = sdk_asprintf_new(FILE_PREFIX "%s", sdk_http_req_param(req, "name"));
    void *buf = NULL;
    size_t len = 0;
    int rc = sdk_state_property_get_new(api->state, key, &buf, &len, NULL);
    free(key);
    if (rc) sdk_http_respond_text(req, rc == SDK_ENOENT || rc == SDK_EINVAL ? 404 : 500, "Failed to get the file");
    else sdk_http_respond(req, sdk_http_response_take(200, NULL, buf, len));
}

/* Finds b (length blen) in a (length alen); NULL when absent. */
static const char *find_bytes(const char *a, size_t alen, const char *b, size_t blen) {
    for (size_t i = 0; blen <= alen && i <= alen - blen; i++)
        if (!memcmp(a + i, b, blen)) return a + i;
    return NULL;
}

/* The content of the multipart/form-data field `field` (RFC 7578) in body, borrowed from it.
 * Returns 0; SDK_ENOENT when the body has no such field; SDK_ESTATE when content_type is not
 * multipart/form-data with a boundary; SDK_EINVAL when the body is not framed by it. */
static int multipart_field(const char *content_type, const char *body, size_t len, const char *field,
                           const char **out, size_t *out_len) {
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19)) return SDK_ESTATE;
    const char *bp = strcasestr(content_type, "boundary=");
    if (!bp) return SDK_ESTATE;
    bp += 9;
    size_t bl = *bp == '"' ? strcspn(++bp, "\"") : strcspn(bp, "; \t");
    if (!bl || bl > 70) return SDK_ESTATE; /* RFC 2046: 1 to 70 characters */
    char delim[80];
    int dl = snprintf(delim, sizeof delim, "--%.*s", (int)bl, bp);
    const char *end = body + len;
    const char *p = find_bytes(body, len, delim, (size_t)dl);
    if (!p) return SDK_EINVAL;
    char want[128];
    snprintf(want, sizeof want, "name=\"%s\"", field);
    for (;;) {
        p += dl;
        if (end - p >= 2 && !memcmp(p, "--", 2)) return SDK_ENOENT; /* the closing delimiter */
        const char *hdr_end = find_bytes(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!hdr_end) return SDK_EINVAL;
        const char *content = hdr_end + 4;
        char next_delim[84];
        int nl = snprintf(next_delim, sizeof next_delim, "\r\n%s", delim);
        const char *next = find_bytes(content, (size_t)(end - content), next_delim, (size_t)nl);
        if (!next) return SDK_EINVAL;
        char *headers = sdk_xstrndup(p, (size_t)(hdr_end - p));
        bool match = strcasestr(headers, "content-disposition:") && strstr(headers, want);
        free(headers);
        if (match) {
            *out = content;
            *out_len = (size_t)(next - content);
            return 0;
        }
        p = next + 2; /* at the next delimiter */
    }
}

/* PUT /v1/state/files/{name}: multipart/form-data, field "file", at most 1024 bytes, stored as
 * property "file-<name>"; 200 empty. 400 text for a missing, too big or malformed payload or a
 * bad name, 415 when the body is not multipart/form-data. Nothing is stored on error. */
static void h_put_file(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    size_t len = 0;
    const char *body = sdk_http_req_body(req, &len);
    const char *data = NULL;
    size_t dlen = 0;
    int rc = multipart_field(sdk_http_req_header(req, "Content-Type"), body, len, "file", &data, &dlen);
    if (rc == SDK_ESTATE || rc == SDK_EINVAL) {
        sdk_http_respond_text(req, rc == SDK_ESTATE ? 415 : 400,
                              rc == SDK_ESTATE ? "Expected a multipart/form-data body with the file in the field "
                                                 "'file' (curl -X PUT -F file=@FILE URL)"
                                               : "Malformed multipart/form-data body: a part is not framed by "
                                                 "the boundary of the Content-Type header");
        return;
    }
    if (rc) {
        sdk_http_respond_text(req, 400, "Missing payload");
        return;
    }
    if (dlen > FILE_SIZE_LIMIT) {
        sdk_http_respond_text(req, 400, "Stream exceeds 1024 byte size limit");
        return;
    }
    char *key = sdk_asprintf_new(FILE_PREFIX "%s", sdk_http_req_param(req, "name"));
    sdk_errors errs;
    sdk_errors_init(&errs);
    rc = sdk_state_put_property(api->state, key, data, dlen, &errs);
    free(key);
    if (rc == SDK_EINVAL) sdk_http_respond_text(req, 400, errs.n ? errs.msgs[0] : "invalid file name");
    else sdk_api_respond_empty(req, rc ? 500 : 200);
    sdk_errors_free(&errs);
}

/* ---- zones (§6.5) ---- */

/* Zone of a stored task: the value of ZONE in its TaskInfo's command environment (upstream's
 * TaskUtils.getTaskZone), as a new string; NULL when the task or the variable is absent. */
static char *task_zone_new(sdk_api *api, const char *task) {
    void *buf = NULL;
    size_t len = 0;
    if (sdk_state_task_info_get_new(api->state, task, &buf, &len, NULL)) return NULL;
    Mesos__V1__TaskInfo *ti = mesos__v1__task_info__unpack(NULL, len, buf);
    free(buf);
    if (!ti) return NULL;
    char *zone = NULL;
    const Mesos__V1__Environment *env = ti->command ? ti->command->environment : NULL;
    for (size_t i = 0; env && !zone && i < env->n_variables; i++)
        if (env->variables[i]->name && !strcmp(env->variables[i]->name, "ZONE"))
            zone = sdk_xstrdup(env->variables[i]->value ? env->variables[i]->value : "");
    mesos__v1__task_info__free_unpacked(ti, NULL);
    return zone;
}

/* First IP of the stored TaskStatus's first NetworkInfo (upstream's TaskUtils.getTaskIPAddress),
 * as a new string; NULL when there is none. */
static char *task_ip_new(sdk_api *api, const char *task) {
    void *buf = NULL;
    size_t len = 0;
    if (sdk_state_task_status_get_new(api->state, task, &buf, &len, NULL)) return NULL;
    Mesos__V1__TaskStatus *st = mesos__v1__task_status__unpack(NULL, len, buf);
    free(buf);
    if (!st) return NULL;
    char *ip = NULL;
    const Mesos__V1__ContainerStatus *cs = st->container_status;
    if (cs && cs->n_network_infos && cs->network_infos[0]->n_ip_addresses &&
        cs->network_infos[0]->ip_addresses[0]->ip_address)
        ip = sdk_xstrdup(cs->network_infos[0]->ip_addresses[0]->ip_address);
    mesos__v1__task_status__free_unpacked(st, NULL);
    return ip;
}

/* Stored task names, sorted, into *names (sdk_store_names_free). False after answering 500. */
static bool task_names_new(sdk_http_req *req, sdk_api *api, char ***names, size_t *n) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    int rc = sdk_state_tasks_list_new(api->state, names, n, &errs);
    sdk_errors_free(&errs);
    if (rc) sdk_api_respond_empty(req, 500);
    return rc == 0;
}

/* GET /v1/state/zone/tasks: {"<task>": "<zone>"} for the stored tasks that have a zone. */
static void h_zone_tasks(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    size_t n = 0;
    char **names = NULL;
    if (!task_names_new(req, api, &names, &n)) return;
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        char *zone = task_zone_new(api, names[i]);
        if (zone) json_object_set_new(o, names[i], json_string(zone));
        free(zone);
    }
    sdk_store_names_free(names, n);
    sdk_api_respond_json_take(req, 200, o);
}

/* GET /v1/state/zone/tasks/{task}: the zone as text/plain; 404 (empty) without one. */
static void h_zone_task(sdk_http_req *req, void *ud) {
    char *zone = task_zone_new(ud, sdk_http_req_param(req, "task"));
    if (zone) sdk_http_respond_text(req, 200, zone);
    else sdk_api_respond_empty(req, 404);
    free(zone);
}

/* GET /v1/state/zone/{podType}/{ip}: the zone of the task whose name starts with podType and
 * whose latest status carries that IP, as text/plain; 404 (empty) when none. (Upstream gives up
 * at the first such task without a stored status; here that task is skipped.) */
static void h_zone_ip(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *pod_type = sdk_http_req_param(req, "podType"), *ip = sdk_http_req_param(req, "ip");
    size_t n = 0;
    char **names = NULL;
    if (!task_names_new(req, api, &names, &n)) return;
    char *zone = NULL;
    for (size_t i = 0; i < n && !zone; i++) {
        if (!sdk_str_starts(names[i], pod_type)) continue;
        char *tip = task_ip_new(api, names[i]);
        if (tip && !strcmp(tip, ip)) zone = task_zone_new(api, names[i]);
        free(tip);
    }
    sdk_store_names_free(names, n);
    if (zone) sdk_http_respond_text(req, 200, zone);
    else sdk_api_respond_empty(req, 404);
    free(zone);
}

/* ---- PUT /v1/state/refresh ---- */

/* Upstream reloads its ZooKeeper cache (200 {"message": "Received cmd: refresh"}) and answers
 * 409 when the state store is not a cache. Here the scheduler works from its own records, built
 * from the store when it starts, and the store is written by this scheduler alone (the file
 * store holds a directory lock, the ZooKeeper store a lock node), so there is nothing written
 * behind its back to reload: every store answers 409, and restarting the scheduler re-reads
 * everything. */
static void h_refresh(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    char *m = sdk_asprintf_new("State store is not cached: refresh is not applicable (%s is written by this "
                               "scheduler alone; restart the scheduler to re-read it)",
                               sdk_store_describe(sdk_state_store(api->state)));
    sdk_http_respond_text(req, 409, m);
    free(m);
}

const sdk_api_route sdk_api_state_routes[] = {
    {"GET", "/v1/configurations", h_configs, 0},
    {"GET", "/v1/configurations/targetId", h_target_id, 0},
    {"GET", "/v1/configurations/target", h_target, 0},
    {"GET", "/v1/configurations/{id}", h_config, 0},
    {"GET", "/v1/state/frameworkId", h_framework_id, 0},
    {"GET", "/v1/state/properties", h_properties, 0},
    {"GET", "/v1/state/properties/{key}", h_property, 0},
    {"GET", "/v1/state/files", h_files, 0},
    {"GET", "/v1/state/files/{name}", h_file, 0},
    /* upstream's upload is multipart/form-data (curl -F); a PUT cannot come cross-site */
    {"PUT", "/v1/state/files/{name}", h_put_file, SDK_HTTP_ROUTE_RAW_BODY},
    {"GET", "/v1/state/zone/tasks", h_zone_tasks, 0},
    {"GET", "/v1/state/zone/tasks/{task}", h_zone_task, 0},
    {"GET", "/v1/state/zone/{podType}/{ip}", h_zone_ip, 0},
    {"PUT", "/v1/state/refresh", h_refresh, 0},
};
const size_t sdk_api_n_state_routes = sizeof sdk_api_state_routes / sizeof sdk_api_state_routes[0];
