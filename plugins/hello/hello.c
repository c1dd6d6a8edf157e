/* hello: the example service plugin. It uses each kind of hook once, the way a real service
 * (Cassandra, HDFS, Kafka) would:
 *   - a default svc.yml template with options (hello_spec.c);
 *   - mutate_spec: HELLO_GREETING (an option) goes into the env of every task;
 *   - validate_config: the hello pod count may not drop to 0;
 *   - plans: adds a `cleanup` plan running the FINISH task `cleanup` in every world pod;
 *   - routes: GET /v1/hello/greeting (JSON from options and task states, answered at once) and
 *     GET /v1/hello/uname (runs `uname -a` through the host's asynchronous command runner and
 *     answers when it completes);
 *   - endpoints: `greeting`, a text rendered with the host's mustache engine;
 *   - task_status: counts the statuses received (shown by the greeting route).
 * All state lives in the struct returned by init (two instances can coexist).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"
#include "../common/text_buf.h"

typedef struct hello_state {
    const sdk_host_api *api;
    sdk_plugin_host *host;
    unsigned long statuses_seen;
    char last_state[64];
} hello_state;

/* ---- lifecycle ----------------------------------------------------------------------------- */

static int hello_init(const sdk_host_api *api, sdk_plugin_host *host, void **state,
                      sdk_plugin_errors *errs) {
    const char *greeting = api->option(host, "HELLO_GREETING");
    if (!greeting || !*greeting) {
        api->error(errs, "HELLO_GREETING is empty: set it to the text the servers should write "
                         "(e.g. -o HELLO_GREETING=Hi)");
        return SDK_PLUGIN_EINVAL;
    }
    hello_state *s = calloc(1, sizeof *s);
    if (!s) return SDK_PLUGIN_ENOMEM;
    s->api = api;
    s->host = host;
    *state = s;
    api->log(host, SDK_PLUGIN_LOG_INFO, "hello plugin ready, greeting '%s'", greeting);
    return SDK_PLUGIN_OK;
}

static void hello_fini(void *state) { free(state); }

/* ---- spec ---------------------------------------------------------------------------------- */

static int hello_mutate(void *state, sdk_plugin_spec *spec, sdk_plugin_errors *errs) {
    hello_state *s = state;
    const char *greeting = s->api->option(s->host, "HELLO_GREETING");
    int rc = s->api->spec_set_env(spec, NULL, NULL, "HELLO_GREETING", greeting ? greeting : "");
    if (rc != SDK_PLUGIN_OK) {
        s->api->error(errs, "cannot set HELLO_GREETING on the tasks (code %d)", rc);
        return rc;
    }
    return SDK_PLUGIN_OK;
}

static int hello_validate(void *state, const sdk_plugin_spec *old_spec,
                          const sdk_plugin_spec *new_spec, sdk_plugin_errors *errs) {
    hello_state *s = state;
    int64_t count = 0;
    if (s->api->spec_pod_get_count(new_spec, "hello", &count) != SDK_PLUGIN_OK) {
        s->api->error(errs, "pods.hello: the hello-world service needs a pod type 'hello'");
        return SDK_PLUGIN_OK;
    }
    if (count < 1) {
        int64_t before = -1;
        if (old_spec && s->api->spec_pod_get_count(old_spec, "hello", &before) == SDK_PLUGIN_OK)
            s->api->error(errs, "pods.hello.count: %lld => %lld: a hello-world service needs at least "
                          "one hello pod (set HELLO_COUNT >= 1)", (long long)before, (long long)count);
        else
            s->api->error(errs, "pods.hello.count: %lld: a hello-world service needs at least one "
                          "hello pod (set HELLO_COUNT >= 1)", (long long)count);
    }
    return SDK_PLUGIN_OK;
}

/* ---- plans --------------------------------------------------------------------------------- */

static int hello_plans(void *state, const sdk_plugin_spec *spec, sdk_plugin_plans *plans,
                       sdk_plugin_errors *errs) {
    hello_state *s = state;
    const sdk_host_api *api = s->api;
    sdk_plugin_plan *existing = NULL;
    if (api->plan_get(plans, "cleanup", &existing) == SDK_PLUGIN_OK) return SDK_PLUGIN_OK;
    /* Only for specs that have the world pod's `cleanup` task (a user's --spec may not). */
    if (!api->spec_task_goal(spec, "world", "cleanup")) return SDK_PLUGIN_OK;
    sdk_plugin_plan *plan = NULL;
    sdk_plugin_phase *phase = NULL;
    static const char *const tasks[] = {"cleanup"};
    int rc = api->plan_add(plans, "cleanup", SDK_PLUGIN_STRATEGY_SERIAL, &plan);
    if (rc == SDK_PLUGIN_OK)
        rc = api->phase_add(plan, "cleanup", "world", SDK_PLUGIN_STRATEGY_PARALLEL, &phase);
    if (rc == SDK_PLUGIN_OK) rc = api->step_add(phase, -1, tasks, 1);
    if (rc != SDK_PLUGIN_OK) api->error(errs, "cannot build the cleanup plan (code %d)", rc);
    return rc;
}

/* ---- routes -------------------------------------------------------------------------------- */

static int send_json(const sdk_host_api *api, sdk_plugin_response *resp, int status, text_buf *b) {
    if (b->oom) {
        free(b->s);
        return SDK_PLUGIN_ENOMEM;
    }
    api->response_set_status(resp, status);
    api->response_set_content_type(resp, "application/json");
    api->response_set_body(resp, b->s, b->len);
    free(b->s);
    return SDK_PLUGIN_OK;
}

static void add_pod_states(hello_state *s, text_buf *b, const char *pod, bool *first) {
    char **names = NULL;
    uint32_t n = 0;
    if (s->api->pod_tasks(s->host, pod, -1, &names, &n) != SDK_PLUGIN_OK) return;
    for (uint32_t i = 0; i < n; i++) {
        const char *st = s->api->task_state(s->host, names[i]);
        if (!*first) tb_puts(b, ", ");
        *first = false;
        tb_json_str(b, names[i]);
        tb_puts(b, ": ");
        tb_json_str(b, st ? st : "UNKNOWN");
    }
    s->api->free(names);
}

/* GET /v1/hello/greeting -> {"greeting": ..., "service": ..., "tasks": {name: state},
 * "statuses_seen": N} */
static int route_greeting(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    hello_state *s = state;
    const sdk_host_api *api = s->api;
    const char *greeting = api->option(s->host, "HELLO_GREETING");
    const char *name = api->option(s->host, "FRAMEWORK_NAME");
    text_buf b = {0};
    tb_puts(&b, "{\"greeting\": ");
    tb_json_str(&b, greeting ? greeting : "");
    tb_puts(&b, ", \"service\": ");
    tb_json_str(&b, name ? name : "");
    tb_puts(&b, ", \"tasks\": {");
    bool first = true;
    add_pod_states(s, &b, "hello", &first);
    add_pod_states(s, &b, "world", &first);
    char tail[64];
    snprintf(tail, sizeof tail, "}, \"statuses_seen\": %lu}", s->statuses_seen);
    tb_puts(&b, tail);
    return send_json(api, resp, 200, &b);
}

static void uname_done(void *state, uint64_t id, void *arg,
                       const sdk_plugin_command_result *res) {
    (void)id;
    hello_state *s = state;
    sdk_plugin_response *resp = arg;
    text_buf b = {0};
    size_t out_len = res->out_len;
    while (out_len && res->out[out_len - 1] == '\n') out_len--;
    tb_puts(&b, "{\"output\": ");
    tb_json_strn(&b, res->out, out_len);
    char tail[48];
    snprintf(tail, sizeof tail, ", \"exit_code\": %d}", (int)res->exit_code);
    tb_puts(&b, tail);
    if (send_json(s->api, resp, res->exit_code == 0 ? 200 : 500, &b) != SDK_PLUGIN_OK)
        s->api->response_set_status(resp, 500);
    s->api->response_finish(resp);
}

/* GET /v1/hello/uname -> {"output": "<uname -a>", "exit_code": 0}, answered asynchronously. */
static int route_uname(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    hello_state *s = state;
    static const char *const argv[] = {"uname", "-a", NULL};
    sdk_plugin_command cmd = {.size = sizeof cmd, .timeout_ms = 10000, .argv = argv};
    int rc = s->api->run_command(s->host, &cmd, uname_done, resp, NULL);
    if (rc != SDK_PLUGIN_OK) {
        s->api->log(s->host, SDK_PLUGIN_LOG_WARN, "cannot run uname (code %d)", rc);
        return rc;
    }
    return s->api->response_suspend(resp);
}

/* ---- options (rendered into hello_spec_template) ---- */

static const sdk_plugin_option hello_options[] = {
    {"FRAMEWORK_NAME", "hello-world", "service name (Mesos framework name)"},
    {"FRAMEWORK_USER", "root", "user running the scheduler's tasks"},
    {"HELLO_COUNT", "1", "number of hello pods (at least 1)"},
    {"HELLO_CPUS", "0.1", "cpus of each hello server"},
    {"HELLO_MEM", "32", "memory (MB) of each hello server"},
    {"HELLO_DISK", "64", "size (MB) of each hello pod's persistent volume"},
    {"HELLO_PLACEMENT", "[]", "placement constraint of hello pods (Marathon syntax)"},
    {"WORLD_COUNT", "2", "number of world pods"},
    {"WORLD_CPUS", "0.1", "cpus of each world server"},
    {"WORLD_MEM", "32", "memory (MB) of each world server"},
    {"WORLD_DISK", "64", "size (MB) of each world pod's persistent volume"},
    {"WORLD_PLACEMENT", "[]", "placement constraint of world pods (Marathon syntax)"},
    {"WORLD_KILL_GRACE_PERIOD", "5", "seconds between SIGTERM and SIGKILL for world servers"},
    {"SLEEP_DURATION", "1000", "seconds each server sleeps before exiting (and being relaunched)"},
    {"HELLO_GREETING", "Hello, world", "greeting written by every server (env HELLO_GREETING)"},
};

/* The package options (ABI 1.1): upstream hello-world's universe/config.json names and its
 * marathon.json.mustache mapping onto the template variables (dcos-commons
 * frameworks/helloworld/universe/), plus this plugin's own (hello.greeting,
 * world.kill_grace_period). The 1.0 table above stays for 1.0 schedulers. */
static const sdk_plugin_option_schema hello_option_schema[] = {
    {"service.name", "FRAMEWORK_NAME", SDK_PLUGIN_OPTION_STRING, 0, "hello-world",
     "The name of the service instance (the Mesos framework name)", NULL, NULL, NULL},
    {"service.user", "FRAMEWORK_USER", SDK_PLUGIN_OPTION_STRING, 0, "root",
     "The user that the service's tasks run as", NULL, NULL, NULL},
    {"service.sleep", "SLEEP_DURATION", SDK_PLUGIN_OPTION_INTEGER, 0, "1000",
     "The sleep duration in seconds before tasks exit (and are relaunched)", "1", NULL, NULL},
    {"hello.count", "HELLO_COUNT", SDK_PLUGIN_OPTION_INTEGER, 0, "1", "Number of Hello pods to run", "1", NULL,
     NULL},
    {"hello.cpus", "HELLO_CPUS", SDK_PLUGIN_OPTION_NUMBER, 0, "0.1", "Hello pod CPU requirements", "0.01", NULL,
     NULL},
    {"hello.mem", "HELLO_MEM", SDK_PLUGIN_OPTION_INTEGER, 0, "32", "Hello pod mem requirements (in MB)", "1",
     NULL, NULL},
    {"hello.disk", "HELLO_DISK", SDK_PLUGIN_OPTION_INTEGER, 0, "64",
     "Hello pod persistent disk requirements (in MB)", "1", NULL, NULL},
    {"hello.placement", "HELLO_PLACEMENT", SDK_PLUGIN_OPTION_STRING, 0, "[]",
     "Marathon-style placement constraint for Hello pods", NULL, NULL, NULL},
    {"hello.greeting", "HELLO_GREETING", SDK_PLUGIN_OPTION_STRING, 0, "Hello, world",
     "Greeting every server writes (task env HELLO_GREETING)", NULL, NULL, NULL},
    {"world.count", "WORLD_COUNT", SDK_PLUGIN_OPTION_INTEGER, 0, "2", "Number of World pods to run", "0", NULL,
     NULL},
    {"world.cpus", "WORLD_CPUS", SDK_PLUGIN_OPTION_NUMBER, 0, "0.1", "World pod CPU requirements", "0.01", NULL,
     NULL},
    {"world.mem", "WORLD_MEM", SDK_PLUGIN_OPTION_INTEGER, 0, "32", "World pod mem requirements (in MB)", "1",
     NULL, NULL},
    {"world.disk", "WORLD_DISK", SDK_PLUGIN_OPTION_INTEGER, 0, "64",
     "World pod persistent disk requirements (in MB)", "1", NULL, NULL},
    {"world.placement", "WORLD_PLACEMENT", SDK_PLUGIN_OPTION_STRING, 0, "[]",
     "Marathon-style placement constraint for World pods", NULL, NULL, NULL},
    {"world.kill_grace_period", "WORLD_KILL_GRACE_PERIOD", SDK_PLUGIN_OPTION_INTEGER, 0, "5",
     "Seconds between SIGTERM and SIGKILL for World servers", "0", NULL, NULL},
};

static const sdk_plugin_route hello_routes[] = {
    {"GET", "/v1/hello/greeting", route_greeting},
    {"GET", "/v1/hello/uname", route_uname},
};

/* ---- endpoints and status ------------------------------------------------------------------ */

static int hello_endpoints(void *state, sdk_plugin_endpoints *out) {
    hello_state *s = state;
    char *text = NULL;
    int rc = s->api->render(s->host, "{{{HELLO_GREETING}}} from {{FRAMEWORK_NAME}}\n", NULL, 0,
                            false, &text, NULL);
    if (rc != SDK_PLUGIN_OK) return rc;
    rc = s->api->endpoint_add(out, "greeting", "text/plain", text, strlen(text));
    s->api->free(text);
    return rc;
}

static void hello_task_status(void *state, const sdk_plugin_task_status *st) {
    hello_state *s = state;
    s->statuses_seen++;
    snprintf(s->last_state, sizeof s->last_state, "%s", st->state ? st->state : "");
}

static const sdk_plugin_descriptor HELLO = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "hello",
    .version = "1.0.0",
    .description = "hello-world example service: pods hello and world",
    .spec_template = hello_spec_template,
    .options = hello_options,
    .n_options = sizeof hello_options / sizeof hello_options[0],
    .option_schema = hello_option_schema,
    .n_option_schema = sizeof hello_option_schema / sizeof hello_option_schema[0],
    .routes = hello_routes,
    .n_routes = sizeof hello_routes / sizeof hello_routes[0],
    .init = hello_init,
    .fini = hello_fini,
    .mutate_spec = hello_mutate,
    .validate_config = hello_validate,
    .plans = hello_plans,
    .endpoints = hello_endpoints,
    .task_status = hello_task_status,
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &HELLO; }
