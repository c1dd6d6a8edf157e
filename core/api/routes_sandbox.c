/* GET /v1/debug/tasks/{task}/sandbox: where to read a task's sandbox, for `sdkctl task log`:
 *   {"task": "hello-0-server", "task_id": "...", "agent_id": "...", "agent_url": "http://IP:PORT"}
 * agent_url comes from the offers' Offer.url (null when no offer named the agent since the
 * scheduler started). The client then asks that agent's /state for the sandbox directory and
 * reads files with /files/read, as on any Mesos agent (core/mesos/sandbox.h). */
#include "core/api/sdk_api.h"
#include "core/mesos/agent_files.h"
#include "core/util/str.h"
#include <stdlib.h>

static void h_sandbox(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *name = sdk_http_req_param(req, "task");
    const sdk_task_desc *d = sdk_service_task_desc(api->svc, name);
    if (!d || !d->task_id || !*d->task_id) {
        char *m = sdk_asprintf_new("Task %s not found (or never launched)", name);
        sdk_api_respond_message(req, 404, m);
        free(m);
        return;
    }
    const char *url = sdk_agent_files_url(api->agents, d->agent_id);
    json_t *j = json_object();
    json_object_set_new(j, "task", json_string(name));
    json_object_set_new(j, "task_id", json_string(d->task_id));
    json_object_set_new(j, "agent_id", d->agent_id ? json_string(d->agent_id) : json_null());
    json_object_set_new(j, "agent_url", url ? json_string(url) : json_null());
    sdk_api_respond_json_take(req, 200, j);
}

const sdk_api_route sdk_api_sandbox_routes[] = {
    {"GET", "/v1/debug/tasks/{task}/sandbox", h_sandbox, 0},
};
const size_t sdk_api_n_sandbox_routes = sizeof sdk_api_sandbox_routes / sizeof sdk_api_sandbox_routes[0];
