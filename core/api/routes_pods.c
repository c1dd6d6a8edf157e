/* /v1/pod... and /v1/endpoints... (sdk-behaviour.md §6.2, §6.3, §9.5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/api/sdk_api.h"
#include "core/service/taskinfo.h"
#include "core/util/str.h"
#include "mesos/pbjson.h"
#include "mesos/proto/mesos.pb-c.h"

/* ---- pod instances from task views ---- */

/* Instance name of a stored task: "<type>-<index>", or UNKNOWN_POD_<task> without a type. New. */
static char *instance_name_new(const sdk_task_view *t) {
    if (!t->pod_type || !*t->pod_type || t->pod_index < 0) return sdk_asprintf_new("UNKNOWN_POD_%s", t->name);
    return sdk_asprintf_new("%s-%lld", t->pod_type, (long long)t->pod_index);
}

static int cmp_view_ptr(const void *a, const void *b) {
    const sdk_task_view *x = *(const sdk_task_view *const *)a, *y = *(const sdk_task_view *const *)b;
    int c = strcmp(x->pod_type ? x->pod_type : "", y->pod_type ? y->pod_type : "");
    if (c) return c;
    if (x->pod_index != y->pod_index) return x->pod_index < y->pod_index ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Task views sorted by pod type, index, task name. New array of borrowed pointers (free()). */
static const sdk_task_view **sorted_views_new(sdk_api *api, size_t *n) {
    const sdk_task_views *tv = sdk_service_task_views(api->svc);
    *n = tv ? tv->n : 0;
    const sdk_task_view **v = sdk_xcalloc(*n ? *n : 1, sizeof *v);
    for (size_t i = 0; i < *n; i++) v[i] = &tv->v[i];
    qsort(v, *n, sizeof *v, cmp_view_ptr);
    return v;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The views of one instance (sorted by task name); *n = 0 when the instance is unknown. */
static const sdk_task_view **instance_views_new(sdk_api *api, const char *pod, size_t *n) {
    size_t all = 0, k = 0;
    const sdk_task_view **v = sorted_views_new(api, &all);
    for (size_t i = 0; i < all; i++) {
        char *name = instance_name_new(v[i]);
        if (!strcmp(name, pod)) v[k++] = v[i];
        free(name);
    }
    *n = k;
    return v;
}

static void respond_pod_not_found(sdk_http_req *req, const char *pod) {
    char *m = sdk_asprintf_new("Pod %s not found", pod);
    sdk_http_respond_text(req, 404, m);
    free(m);
}

/* Status shown for a task (§6.2), or NULL to omit it. Returns a static string or one in *own. */
static const char *task_status_text(sdk_api *api, const sdk_task_view *t, char **own) {
    *own = NULL;
    char *progress = NULL;
    bool done = true, have_progress = false;
    if (sdk_state_override_status_get_new(api->state, t->name, &progress, NULL) == 0) {
        have_progress = true;
        done = !strcmp(progress, "COMPLETE");
        free(progress);
    }
    if (t->override == SDK_OVERRIDE_PAUSED) return done ? "PAUSED" : "PAUSING";
    if (t->override == SDK_OVERRIDE_DECOMMISSIONED) return done ? "DECOMMISSIONED" : "DECOMMISSIONING";
    if (have_progress && !done) return "STARTING"; /* a resume in progress */
    if (!t->has_status) return NULL;
    const char *n = sdk_tstate_name(t->state);
    if (!strncmp(n, "TASK_", 5)) n += 5;
    return n;
}

static json_t *task_status_json_new(sdk_api *api, const sdk_task_view *t) {
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(t->task_id ? t->task_id : ""));
    json_object_set_new(o, "name", json_string(t->name));
    char *own;
    const char *st = task_status_text(api, t, &own);
    if (st) json_object_set_new(o, "status", json_string(st));
    free(own);
    return o;
}

static void h_pod_list(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    size_t n = 0;
    const sdk_task_view **v = sorted_views_new(api, &n);
    char **names = sdk_xcalloc(n ? n : 1, sizeof *names);
    for (size_t i = 0; i < n; i++) names[i] = instance_name_new(v[i]);
    qsort(names, n, sizeof *names, cmp_str);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(names[i], names[i - 1])) json_array_append_new(a, json_string(names[i]));
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(v);
    sdk_api_respond_json_take(req, 200, a);
}

static void h_pod_status_all(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    size_t n = 0;
    const sdk_task_view **v = sorted_views_new(api, &n);
    json_t *pods = json_array(), *pod = NULL, *insts = NULL, *tasks = NULL;
    char *cur_type = NULL, *cur_inst = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *type = v[i]->pod_type && *v[i]->pod_type ? v[i]->pod_type : "UNKNOWN_POD";
        char *inst = instance_name_new(v[i]);
        if (!cur_type || strcmp(cur_type, type)) {
            free(cur_type);
            cur_type = sdk_xstrdup(type);
            pod = json_object();
            insts = json_array();
            json_object_set_new(pod, "name", json_string(type));
            json_object_set_new(pod, "instances", insts);
            json_array_append_new(pods, pod);
            free(cur_inst);
            cur_inst = NULL;
        }
        if (!cur_inst || strcmp(cur_inst, inst)) {
            free(cur_inst);
            cur_inst = sdk_xstrdup(inst);
            json_t *io = json_object();
            tasks = json_array();
            json_object_set_new(io, "name", json_string(inst));
            json_object_set_new(io, "tasks", tasks);
            json_array_append_new(insts, io);
        }
        json_array_append_new(tasks, task_status_json_new(api, v[i]));
        free(inst);
    }
    free(cur_type);
    free(cur_inst);
    free(v);
    json_t *j = json_object();
    json_object_set_new(j, "service", json_string(sdk_api_service_name(api)));
    json_object_set_new(j, "pods", pods);
    sdk_api_respond_json_take(req, 200, j);
}

static void h_pod_status(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *pod = sdk_http_req_param(req, "pod");
    size_t n = 0;
    const sdk_task_view **v = instance_views_new(api, pod, &n);
    if (!n) {
        free(v);
        respond_pod_not_found(req, pod);
        return;
    }
    json_t *tasks = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(tasks, task_status_json_new(api, v[i]));
    free(v);
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(pod));
    json_object_set_new(j, "tasks", tasks);
    sdk_api_respond_json_take(req, 200, j);
}

/* dcos-commons serves the TaskInfo and TaskStatus it stored, Mesos v0 messages, through
 * Jackson's protobuf module: lowerCamelCase names (PodQueries.getInfo, TaskInfoAndStatus), which
 * its CLI prints and its tests read (info.taskId.value, info.slaveId.value,
 * status.containerStatus.containerId.value, info.executor.container.networkInfos). Ours are the
 * v1 messages, whose agent_id is v0's slave_id. */
static const sdk_pbjson_rename v0_names[] = {{"agent_id", "slave_id"}};
static const sdk_pbjson_style v0_style = {.renames = v0_names, .n_renames = 1, .camel_case = true};

/* Stored protobuf bytes as dcos-commons' JSON (v0_style), or JSON null when absent or
 * undecodable (a corrupt node is logged by nobody here: the value just shows as null). */
static json_t *stored_pb_json_new(sdk_api *api, const char *task, bool status) {
    void *buf = NULL;
    size_t len = 0;
    int rc = status ? sdk_state_task_status_get_new(api->state, task, &buf, &len, NULL)
                    : sdk_state_task_info_get_new(api->state, task, &buf, &len, NULL);
    if (rc) return json_null();
    ProtobufCMessage *m = status ? (ProtobufCMessage *)mesos__v1__task_status__unpack(NULL, len, buf)
                                 : (ProtobufCMessage *)mesos__v1__task_info__unpack(NULL, len, buf);
    free(buf);
    if (!m) return json_null();
    json_t *j = sdk_pbjson_from_message_styled_new(m, &v0_style);
    protobuf_c_message_free_unpacked(m, NULL);
    return j;
}

static void h_pod_info(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *pod = sdk_http_req_param(req, "pod");
    size_t n = 0;
    const sdk_task_view **v = instance_views_new(api, pod, &n);
    if (!n) {
        free(v);
        respond_pod_not_found(req, pod);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "info", stored_pb_json_new(api, v[i]->name, false));
        json_object_set_new(o, "status", stored_pb_json_new(api, v[i]->name, true));
        json_array_append_new(a, o);
    }
    free(v);
    sdk_api_respond_json_take(req, 200, a);
}

/* POST /v1/pod/{pod}/<op> (§6.2). pause/resume take an optional JSON array of task names. */
static void pod_op(sdk_http_req *req, sdk_api *api, sdk_pod_op op) {
    const char *pod = sdk_http_req_param(req, "pod");
    size_t blen = 0;
    const char *body = sdk_http_req_body(req, &blen);
    const char **tasks = NULL;
    size_t nt = 0;
    json_t *arr = NULL;
    if ((op == SDK_POD_PAUSE || op == SDK_POD_RESUME) && body && blen) {
        json_error_t je;
        arr = json_loadb(body, blen, 0, &je);
        bool ok = json_is_array(arr);
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) ok = ok && json_is_string(v);
        if (!ok) {
            json_decref(arr);
            sdk_api_respond_message(req, 400, "the body must be a JSON array of task names, e.g. [\"server\"]");
            return;
        }
        nt = json_array_size(arr);
        tasks = sdk_xcalloc(nt ? nt : 1, sizeof *tasks);
        json_array_foreach(arr, i, v) tasks[i] = json_string_value(v);
    }
    char **aff = NULL;
    size_t na = 0;
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_service_pod_op(api->svc, op, pod, tasks, nt, &aff, &na, &e);
    if (rc == SDK_ENOENT) {
        sdk_http_respond_text(req, 404, e.n ? e.msgs[0] : "not found");
    } else if (rc) {
        sdk_api_respond_message(req, rc == SDK_ESTATE ? 409 : 500, e.n ? e.msgs[0] : "refused");
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "pod", json_string(pod));
        json_t *ta = json_array();
        for (size_t i = 0; i < na; i++) json_array_append_new(ta, json_string(aff[i]));
        json_object_set_new(o, "tasks", ta);
        sdk_api_respond_json_take(req, 200, o);
    }
    sdk_errors_free(&e);
    sdk_service_names_free(aff, na);
    free(tasks);
    json_decref(arr);
}
static void h_pod_restart(sdk_http_req *req, void *ud) { pod_op(req, ud, SDK_POD_RESTART); }
static void h_pod_replace(sdk_http_req *req, void *ud) { pod_op(req, ud, SDK_POD_REPLACE); }
static void h_pod_pause(sdk_http_req *req, void *ud) { pod_op(req, ud, SDK_POD_PAUSE); }
static void h_pod_resume(sdk_http_req *req, void *ud) { pod_op(req, ud, SDK_POD_RESUME); }

/* ---- endpoints (§6.3) ---- */

typedef struct endpoint {
    char *name;
    json_t *address, *dns; /* arrays of strings, duplicates skipped */
    char *vip;
} endpoint;

typedef struct endpoints {
    endpoint *v;
    size_t n;
} endpoints;

static endpoint *endpoint_get(endpoints *e, const char *name) {
    for (size_t i = 0; i < e->n; i++)
        if (!strcmp(e->v[i].name, name)) return &e->v[i];
    e->v = sdk_xrealloc(e->v, (e->n + 1) * sizeof *e->v);
    endpoint *p = &e->v[e->n++];
    p->name = sdk_xstrdup(name);
    p->address = json_array();
    p->dns = json_array();
    p->vip = NULL;
    return p;
}

static void endpoints_free(endpoints *e) {
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].name);
        json_decref(e->v[i].address);
        json_decref(e->v[i].dns);
        free(e->v[i].vip);
    }
    free(e->v);
}

static void append_unique_take(json_t *a, char *s) {
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) {
        if (!strcmp(json_string_value(x), s)) {
            free(s);
            return;
        }
    }
    json_array_append_new(a, json_string(s));
    free(s);
}

static const char *env_get(const sdk_task_desc *d, const char *key) {
    for (size_t i = 0; i < d->n_env; i++)
        if (!strcmp(d->env[i].key, key)) return d->env[i].value;
    return NULL;
}

/* Host suffixes (§3.4) from the task env the launch computed, else from the service name. */
static char *task_host_new(sdk_api *api, const sdk_task_desc *d) {
    const char *fh = env_get(d, "FRAMEWORK_HOST");
    sdk_buf b;
    sdk_buf_init(&b);
    for (const char *p = d->discovery_name && *d->discovery_name ? d->discovery_name : d->name; *p; p++)
        sdk_buf_putc(&b, *p == '.' ? '-' : *p);
    sdk_buf_putc(&b, '.');
    if (fh) {
        sdk_buf_puts(&b, fh);
    } else {
        for (const char *p = sdk_api_service_name(api); *p; p++)
            if (*p != '/') sdk_buf_putc(&b, *p == '.' ? '-' : *p);
        sdk_buf_puts(&b, ".autoip.dcos.thisdcos.directory");
    }
    return sdk_buf_take(&b);
}

static char *vip_host_new(sdk_api *api, const sdk_task_desc *d) {
    const char *vh = env_get(d, "FRAMEWORK_VIP_HOST");
    if (vh) return sdk_xstrdup(vh);
    sdk_buf b;
    sdk_buf_init(&b);
    for (const char *p = sdk_api_service_name(api); *p; p++)
        if (*p != '/') sdk_buf_putc(&b, *p);
    sdk_buf_puts(&b, ".l4lb.thisdcos.directory");
    return sdk_buf_take(&b);
}

/* Every advertised port of every launched stored task, grouped by port name. */
static void collect_port_endpoints(sdk_api *api, endpoints *e) {
    size_t n = 0;
    const sdk_task_view **v = sorted_views_new(api, &n);
    for (size_t i = 0; i < n; i++) {
        if (!v[i]->task_id || !*v[i]->task_id) continue;
        const sdk_task_desc *d = sdk_service_task_desc(api->svc, v[i]->name);
        if (!d) continue;
        char *ip = NULL;
        void *buf = NULL;
        size_t len = 0;
        if (sdk_state_task_status_get_new(api->state, v[i]->name, &buf, &len, NULL) == 0) {
            sdk_stored_status st;
            sdk_errors errs;
            sdk_errors_init(&errs);
            if (sdk_taskstatus_decode(buf, len, v[i]->name, &st, &errs) == 0) {
                if (st.ip && *st.ip) ip = sdk_xstrdup(st.ip);
                sdk_stored_status_free_contents(&st);
            }
            sdk_errors_free(&errs);
            free(buf);
        }
        const char *addr_host = ip ? ip : v[i]->hostname;
        for (size_t k = 0; k < d->n_ports; k++) {
            const sdk_discovery_port *p = &d->ports[k];
            if (p->visibility != SDK_VIS_EXTERNAL || !p->name || !*p->name) continue;
            endpoint *ep = endpoint_get(e, p->name);
            if (addr_host) append_unique_take(ep->address, sdk_asprintf_new("%s:%u", addr_host, p->number));
            char *host = task_host_new(api, d);
            append_unique_take(ep->dns, sdk_asprintf_new("%s:%u", host, p->number));
            free(host);
            for (size_t l = 0; l < p->n_labels; l++) {
                if (strncmp(p->labels[l].key, "VIP_", 4)) continue;
                const char *colon = strrchr(p->labels[l].value, ':');
                if (!colon) continue;
                char *vh = vip_host_new(api, d);
                free(ep->vip);
                ep->vip = sdk_asprintf_new("%.*s.%s%s", (int)(colon - p->labels[l].value), p->labels[l].value, vh,
                                           colon);
                free(vh);
            }
        }
        free(ip);
    }
    free(v);
}

static void plugin_endpoints(sdk_api *api, sdk_plugin_endpoint **eps, size_t *n) {
    *eps = NULL;
    *n = 0;
    if (!api->plugin) return;
    sdk_errors errs;
    sdk_errors_init(&errs);
    if (sdk_plugin_endpoints_new(api->plugin, eps, n, &errs)) {
        sdk_errors_print(&errs, "api: plugin endpoints");
        *eps = NULL;
        *n = 0;
    }
    sdk_errors_free(&errs);
}

static void h_endpoints(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    sdk_plugin_endpoint *pe;
    size_t np;
    plugin_endpoints(api, &pe, &np);
    endpoints e = {0};
    collect_port_endpoints(api, &e);
    char **names = sdk_xcalloc(np + e.n + 1, sizeof *names);
    size_t k = 0;
    for (size_t i = 0; i < np; i++) names[k++] = pe[i].name;
    for (size_t i = 0; i < e.n; i++) names[k++] = e.v[i].name;
    qsort(names, k, sizeof *names, cmp_str);
    json_t *a = json_array();
    for (size_t i = 0; i < k; i++)
        if (i == 0 || strcmp(names[i], names[i - 1])) json_array_append_new(a, json_string(names[i]));
    free(names);
    endpoints_free(&e);
    sdk_plugin_endpoints_free(pe, np);
    sdk_api_respond_json_take(req, 200, a);
}

static void h_endpoint(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *name = sdk_http_req_param(req, "name");
    sdk_plugin_endpoint *pe;
    size_t np;
    plugin_endpoints(api, &pe, &np);
    for (size_t i = 0; i < np; i++) {
        if (strcmp(pe[i].name, name)) continue;
        const char *ct = pe[i].content_type && *pe[i].content_type ? pe[i].content_type : "text/plain; charset=utf-8";
        sdk_http_respond(req, sdk_http_response_new(200, ct, pe[i].body ? pe[i].body : "", pe[i].body_len));
        sdk_plugin_endpoints_free(pe, np);
        return;
    }
    sdk_plugin_endpoints_free(pe, np);
    endpoints e = {0};
    collect_port_endpoints(api, &e);
    json_t *j = NULL;
    for (size_t i = 0; i < e.n && !j; i++) {
        if (strcmp(e.v[i].name, name)) continue;
        j = json_object();
        json_object_set(j, "address", e.v[i].address);
        json_object_set(j, "dns", e.v[i].dns);
        if (e.v[i].vip) json_object_set_new(j, "vip", json_string(e.v[i].vip));
    }
    endpoints_free(&e);
    if (j) sdk_api_respond_json_take(req, 200, j);
    else sdk_api_respond_empty(req, 404);
}

const sdk_api_route sdk_api_pod_routes[] = {
    {"GET", "/v1/pod", h_pod_list, 0},
    {"GET", "/v1/pod/status", h_pod_status_all, 0},
    {"GET", "/v1/pod/{pod}/status", h_pod_status, 0},
    {"GET", "/v1/pod/{pod}/info", h_pod_info, 0},
    {"POST", "/v1/pod/{pod}/restart", h_pod_restart, 0},
    {"POST", "/v1/pod/{pod}/replace", h_pod_replace, 0},
    {"POST", "/v1/pod/{pod}/pause", h_pod_pause, 0},
    {"POST", "/v1/pod/{pod}/resume", h_pod_resume, 0},
    {"GET", "/v1/endpoints", h_endpoints, 0},
    {"GET", "/v1/endpoints/{name}", h_endpoint, 0},
};
const size_t sdk_api_n_pod_routes = sizeof sdk_api_pod_routes / sizeof sdk_api_pod_routes[0];
