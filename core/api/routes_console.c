/* The web console (console/, compiled in by scripts/gen-console.c) and the few reads it needs
 * that the dcos-commons API has no shape for:
 *
 *   GET /, GET /console/{file}        the page's files: ETag (If-None-Match -> 304), the gzip copy
 *                                     made at build time for clients that accept it
 *   GET /v1/console/overview          {"service", "framework_id", "master", "state", "plugin":
 *                                     {"name", "version"}, "abi": "1.1"}
 *   GET /v1/console/events?after=N    the operator events still in the ring after id N, each with
 *                                     the line the terminal prints: {"last": id, "gap": bool,
 *                                     "events": [{"id", "type", "time" (ISO 8601 UTC), "text"}]}
 *   GET /v1/console/variables         the rendering variables now in force and the user-provided
 *                                     ones, only those the service uses (cosmos->var_used), {"variables": {K: V}, "user": {K: V}}: the form of a
 *                                     service without an options schema (changes go to POST
 *                                     /v1/update, which takes KEY -> VALUE)
 *   GET /v1/debug/tasks/{task}/log?file=stdout|stderr&lines=N
 *                                     the last N (default 100, at most 1000) lines of a task's
 *                                     file, read from its agent through the Mesos agent files API
 *                                     (/state, /files/read) as `sdkctl task log` does; a browser
 *                                     cannot ask the agent itself (another origin). Answered
 *                                     asynchronously: the loop never waits on the agent.
 *
 * The page's plan, pod and configuration views use the ordinary /v1 and /cosmos routes.
 */
#include "core/api/console.h"
#include "core/api/sdk_api.h"
#include "core/events/events.h"
#include "core/mesos/agent_files.h"
#include "core/spec/envfile.h"
#include "core/util/str.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

const sdk_console_file *sdk_console_file_for(const char *path) {
    const char *name;
    if (!path || !strcmp(path, "/") || !strcmp(path, "") || !strcmp(path, "/console") ||
        !strcmp(path, "/console/"))
        name = "index.html";
    else if (!strncmp(path, "/console/", 9))
        name = path + 9;
    else
        return NULL;
    for (size_t i = 0; i < sdk_console_n_files; i++)
        if (!strcmp(sdk_console_files[i].name, name)) return &sdk_console_files[i];
    return NULL;
}

bool sdk_console_open_path(const char *path) {
    return sdk_console_file_for(path) != NULL;
}

/* Whether an If-None-Match value names etag (a list of quoted tags, or "*"; weak tags compare
 * by their opaque part, RFC 9110 13.1.2). */
static bool etag_matches(const char *h, const char *etag) {
    if (!h) return false;
    size_t el = strlen(etag);
    while (*h) {
        while (*h == ' ' || *h == ',' || *h == '\t') h++;
        if (*h == '*') return true;
        if (!strncmp(h, "W/", 2)) h += 2;
        if (!strncmp(h, etag, el)) return true;
        while (*h && *h != ',') h++;
    }
    return false;
}

static void h_file(sdk_http_req *req, void *ud) {
    (void)ud;
    const sdk_console_file *f = sdk_console_file_for(sdk_http_req_path(req));
    if (!f) {
        sdk_http_respond_text(req, 404, "Not Found");
        return;
    }
    sdk_http_response *r;
    if (etag_matches(sdk_http_req_header(req, "If-None-Match"), f->etag)) {
        r = sdk_http_response_new(304, f->content_type, "", 0);
    } else if (sdk_http_req_accepts_gzip(req)) {
        r = sdk_http_response_new(200, f->content_type, f->gz, f->gz_len);
        sdk_http_response_header(r, "Content-Encoding", "gzip");
    } else {
        r = sdk_http_response_new(200, f->content_type, f->data, f->len);
    }
    sdk_http_response_header(r, "ETag", f->etag);
    sdk_http_response_header(r, "Vary", "Accept-Encoding");
    /* Revalidate every time (a rebuilt scheduler serves new files under the same names); the
     * ETag makes that a 304 without a body. */
    sdk_http_response_header(r, "Cache-Control", "no-cache");
    /* The page loads only its own files and talks only to this server. */
    sdk_http_response_header(r, "Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    sdk_http_response_header(r, "X-Content-Type-Options", "nosniff");
    sdk_http_respond(req, r);
}

static void h_overview(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    json_t *j = json_object();
    const char *fw = sdk_service_framework_id(api->svc);
    json_object_set_new(j, "service", json_string(sdk_api_service_name(api)));
    json_object_set_new(j, "framework_id", fw && *fw ? json_string(fw) : json_null());
    json_object_set_new(j, "master", api->master_url ? json_string(api->master_url) : json_null());
    json_object_set_new(j, "state", api->state_url ? json_string(api->state_url) : json_null());
    const sdk_plugin_descriptor *d = api->plugin ? sdk_plugin_instance_descriptor(api->plugin) : NULL;
    json_t *p = json_null();
    if (d) {
        p = json_object();
        json_object_set_new(p, "name", json_string(d->name ? d->name : ""));
        json_object_set_new(p, "version", json_string(d->version ? d->version : ""));
        json_object_set_new(p, "abi", json_sprintf("%u.%u", d->abi_major, d->abi_minor));
    }
    json_object_set_new(j, "plugin", p);
    json_object_set_new(j, "abi", json_sprintf("%d.%d", SDK_PLUGIN_ABI_MAJOR, SDK_PLUGIN_ABI_MINOR));
    sdk_api_respond_json_take(req, 200, j);
}

static void add_event(const sdk_event *e, void *ud) {
    json_t *arr = ud;
    char *text = sdk_event_text_new(e);
    /* the time as /v1/events gives it (UTC, milliseconds); the page shows its HH:MM:SS, the
     * terminal's clock */
    char when[40];
    time_t secs = (time_t)e->time;
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t k = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + k, sizeof when - k, ".%03dZ", (int)((e->time - (double)secs) * 1000.0) % 1000);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer((json_int_t)e->id));
    json_object_set_new(o, "type", json_string(sdk_event_type_name(e->type)));
    json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "text", json_string(text ? text : ""));
    json_array_append_new(arr, o);
    free(text);
}

static void h_events(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    if (!api->events) {
        sdk_api_respond_message(req, 404, "This scheduler publishes no operator events");
        return;
    }
    const char *a = sdk_http_req_query(req, "after");
    uint64_t after = 0;
    if (a && *a) {
        char *end;
        after = strtoull(a, &end, 10);
        if (*end || *a == '-') {
            sdk_api_respond_message(req, 400, "Query parameter 'after' must be an event id (a number)");
            return;
        }
    }
    json_t *arr = json_array();
    bool whole = sdk_events_replay(api->events, after, add_event, arr);
    json_t *j = json_object();
    json_object_set_new(j, "last", json_integer((json_int_t)sdk_events_last_id(api->events)));
    json_object_set_new(j, "gap", json_boolean(!whole));
    json_object_set_new(j, "events", arr);
    sdk_api_respond_json_take(req, 200, j);
}

/* {K: V} of the variables the service uses (the process environment holds many others, some of
 * them secret: they are never shown). */
static json_t *kv_object_new(const sdk_api *api, const sdk_kv *kv, size_t n) {
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        if (api->cosmos->var_used && api->cosmos->var_used(api->update_ud, kv[i].key))
            json_object_set_new(o, kv[i].key, json_string(kv[i].value ? kv[i].value : ""));
    return o;
}

static void h_variables(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    if (!api->cosmos || !api->cosmos->current) {
        sdk_api_respond_message(req, 404, "This scheduler takes no live option updates");
        return;
    }
    sdk_kv *user = NULL, *vars = NULL;
    size_t nu = 0, nv = 0;
    api->cosmos->current(api->update_ud, &user, &nu, &vars, &nv);
    json_t *j = json_object();
    json_object_set_new(j, "variables", kv_object_new(api, vars, nv));
    json_object_set_new(j, "user", kv_object_new(api, user, nu));
    sdk_envfile_free(user, nu);
    sdk_envfile_free(vars, nv);
    sdk_api_respond_json_take(req, 200, j);
}

/* One pending task log read: req is cleared when the client goes away first. */
typedef struct log_read {
    sdk_http_req *req;
} log_read;

static void log_req_gone(sdk_http_req *req, void *ud) {
    (void)req;
    ((log_read *)ud)->req = NULL;
}

static void log_done(void *arg, const char *text, const char *why) {
    log_read *lr = arg;
    if (lr->req) {
        if (text) {
            sdk_http_respond(lr->req, sdk_http_response_new(200, NULL, text, strlen(text)));
        } else {
            char *m = sdk_asprintf_new("Cannot read the task's file from its agent: %s", why ? why : "unknown");
            sdk_api_respond_message(lr->req, 502, m);
            free(m);
        }
    }
    free(lr);
}

static void h_task_log(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *name = sdk_http_req_param(req, "task");
    const char *file = sdk_http_req_query(req, "file");
    const char *ls = sdk_http_req_query(req, "lines");
    if (!file) file = "stdout";
    if (strcmp(file, "stdout") && strcmp(file, "stderr")) {
        sdk_api_respond_message(req, 400, "Query parameter 'file' must be stdout or stderr");
        return;
    }
    long lines = 100;
    if (ls) {
        char *end;
        lines = strtol(ls, &end, 10);
        if (!*ls || *end || lines < 1 || lines > 1000) {
            sdk_api_respond_message(req, 400, "Query parameter 'lines' must be a number from 1 to 1000");
            return;
        }
    }
    const sdk_task_desc *d = sdk_service_task_desc(api->svc, name);
    if (!d || !d->task_id || !*d->task_id) {
        char *m = sdk_asprintf_new("Task %s not found (or never launched)", name);
        sdk_api_respond_message(req, 404, m);
        free(m);
        return;
    }
    if (!api->agents || !d->agent_id) {
        sdk_api_respond_message(req, 503, "The task's agent is unknown to this scheduler (no offer named it yet)");
        return;
    }
    log_read *lr = sdk_xcalloc(1, sizeof *lr);
    lr->req = req;
    sdk_http_defer(req);
    sdk_http_req_on_close(req, log_req_gone, lr);
    /* The api keeps the agents' table const because its other routes only look URLs up; a read
     * adds a transfer to it, on this (the loop) thread. */
    sdk_agent_files_tail((sdk_agent_files *)api->agents, d->agent_id, d->task_id, file, (size_t)lines, log_done,
                         lr);
}

const sdk_api_route sdk_api_console_routes[] = {
    {"GET", "/", h_file, 0},
    {"GET", "/console/{file}", h_file, 0},
    {"GET", "/v1/console/overview", h_overview, 0},
    {"GET", "/v1/console/events", h_events, 0},
    {"GET", "/v1/console/variables", h_variables, 0},
    {"GET", "/v1/debug/tasks/{task}/log", h_task_log, 0},
};
const size_t sdk_api_n_console_routes = sizeof sdk_api_console_routes / sizeof sdk_api_console_routes[0];
