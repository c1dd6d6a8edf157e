/* plugins/hello/hello.so loaded through the loader over the in-memory backend: its default spec
 * renders and parses, its commands work with plain sh, and each hook has its visible effect. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "plugin_env.h"
#include "core/plugin/loader.h"
#include "core/plugin/memory_backend.h"
#include "core/plugin/plugin.h"
#include "core/spec/mustache.h"

#define HELLO_SO "plugins/hello/hello.so"

typedef plugin_env hello_env;

/* Loads hello.so with the given -o overrides; returns false (with CHECK failures) if it fails. */
static bool hello_open(hello_env *h, const sdk_kv *over, size_t n_over) {
    int rc = plugin_env_open(h, HELLO_SO, NULL, 0, over, n_over);
    CHECK(rc >= 0);
    return rc == 0;
}

static void hello_close(hello_env *h) { plugin_env_close(h); }

/* Renders the plugin's default spec strictly with its options and parses it. */
static sdk_spec *hello_spec(hello_env *h) {
    sdk_spec *s = plugin_env_spec(h);
    CHECK(s != NULL);
    return s;
}

static const char *env_of(const sdk_task_spec *t, const char *k) {
    return plugin_env_task_env(t, k);
}

static void test_default_spec(void) {
    sdk_kv over[] = {{"HELLO_COUNT", "3"}};
    hello_env h;
    if (!hello_open(&h, over, 1)) goto out;
    CHECK_STR(sdk_plugin_instance_name(h.in), "hello");
    sdk_spec *s = hello_spec(&h);
    if (!s) goto out;
    CHECK_STR(s->name, "hello-world");
    CHECK_STR(s->user, "root");
    const sdk_pod_spec *hello = sdk_spec_pod(s, "hello"), *world = sdk_spec_pod(s, "world");
    CHECK(hello && world);
    if (hello && world) {
        CHECK_INT(hello->count, 3); /* -o beats the default 1 */
        CHECK_INT(world->count, 2);
        CHECK(world->allow_decommission);
        const sdk_task_spec *prep = sdk_pod_task(hello, "prepare");
        const sdk_task_spec *srv = sdk_pod_task(hello, "server");
        const sdk_task_spec *side = sdk_pod_task(hello, "sidecar");
        CHECK(prep && srv && side);
        if (prep && srv && side) {
            CHECK_INT(prep->goal, SDK_GOAL_ONCE);
            CHECK_INT(srv->goal, SDK_GOAL_RUNNING);
            CHECK_INT(side->goal, SDK_GOAL_ONCE);
            CHECK_STR(prep->resource_set, "hello-resources"); /* same set as the server */
            CHECK_STR(srv->resource_set, "hello-resources");
            CHECK(srv->health_check.present);
            CHECK(srv->readiness_check.present);
            CHECK_CONTAINS(side->cmd, "$PLAN_PARAMETER");
            const sdk_resource_set *rs = sdk_pod_resource_set(hello, "hello-resources");
            CHECK(rs && rs->n_volumes == 1);
            if (rs && rs->n_volumes == 1) {
                CHECK_STR(rs->volumes[0].path, "hello-data");
                CHECK_INT(rs->volumes[0].type, SDK_VOLUME_ROOT);
                CHECK_INT(rs->volumes[0].size_mb, 64);
            }
        }
        const sdk_task_spec *clean = sdk_pod_task(world, "cleanup");
        CHECK(clean && clean->goal == SDK_GOAL_FINISH);
        CHECK(sdk_pod_task(world, "server") &&
              sdk_pod_task(world, "server")->readiness_check.present);
    }
    const sdk_plan_spec *dep = sdk_spec_plan(s, "deploy"), *side = sdk_spec_plan(s, "sidecar");
    CHECK(dep && side);
    if (dep && dep->n_phases == 2 && dep->phases[0].n_entries == 1) {
        CHECK_INT(dep->phases[0].entries[0].index, -1);
        CHECK_INT(dep->phases[0].entries[0].n_steps, 2); /* [[prepare], [server]] */
        CHECK_STR(dep->phases[0].entries[0].steps[0][0], "prepare");
        CHECK_STR(dep->phases[0].entries[0].steps[1][0], "server");
    } else {
        CHECK_MSG(0, "deploy plan shape");
    }
    sdk_spec_free(s);
out:
    hello_close(&h);
}

/* Writes cmd to a script and runs it with sh in dir with the given env prefix; returns the exit
 * status. */
static int run_sh(const char *dir, const char *envs, const char *cmd) {
    char script[600], line[1200];
    snprintf(script, sizeof script, "%s/.cmd.sh", dir);
    FILE *f = fopen(script, "w");
    if (!f) return -1;
    fprintf(f, "%s\n", cmd);
    fclose(f);
    snprintf(line, sizeof line, "cd '%s' && env %s sh .cmd.sh >/dev/null 2>&1", dir, envs);
    int rc = system(line);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_commands_run_with_plain_sh(void) {
    hello_env h;
    if (!hello_open(&h, NULL, 0)) goto out;
    sdk_spec *s = hello_spec(&h);
    if (!s) goto out;
    CHECK_INT(sdk_plugin_mutate_spec(h.in, &s, &h.e), 0);
    const sdk_pod_spec *hello = sdk_spec_pod(s, "hello");
    const sdk_task_spec *prep = sdk_pod_task(hello, "prepare"), *srv = sdk_pod_task(hello, "server");
    char dir[] = "/tmp/sdk-hello-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char mk[600];
    snprintf(mk, sizeof mk, "mkdir -p '%s/hello-data'", dir);
    CHECK_INT(system(mk), 0);
    /* the server refuses to start before prepare ran (it reads the volume prepare wrote) */
    CHECK(run_sh(dir, "HELLO_GREETING=Hi SLEEP_DURATION=0", srv->cmd) != 0);
    CHECK(run_sh(dir, "", srv->health_check.cmd) != 0);
    CHECK_INT(run_sh(dir, "TASK_NAME=hello-0-prepare", prep->cmd), 0);
    CHECK_INT(run_sh(dir, "HELLO_GREETING=Hi SLEEP_DURATION=0", srv->cmd), 0);
    CHECK_INT(run_sh(dir, "", srv->health_check.cmd), 0);
    CHECK_INT(run_sh(dir, "", srv->readiness_check.cmd), 0);
    const sdk_task_spec *side = sdk_pod_task(hello, "sidecar");
    CHECK(run_sh(dir, "", side->cmd) != 0); /* needs its plan parameter */
    CHECK_INT(run_sh(dir, "PLAN_PARAMETER=hello", side->cmd), 0);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    CHECK_INT(system(rm), 0);
    sdk_spec_free(s);
out:
    hello_close(&h);
}

static void test_mutate_injects_greeting(void) {
    sdk_kv over[] = {{"HELLO_GREETING", "Bonjour, \"monde\""}};
    hello_env h;
    if (!hello_open(&h, over, 1)) goto out;
    sdk_spec *s = hello_spec(&h);
    if (!s) goto out;
    CHECK(env_of(sdk_pod_task(sdk_spec_pod(s, "hello"), "server"), "HELLO_GREETING") == NULL);
    CHECK_INT(sdk_plugin_mutate_spec(h.in, &s, &h.e), 0);
    for (size_t i = 0; i < s->n_pods; i++)
        for (size_t j = 0; j < s->pods[i].n_tasks; j++)
            CHECK_STR(env_of(&s->pods[i].tasks[j], "HELLO_GREETING"), "Bonjour, \"monde\"");
    CHECK_STR(env_of(sdk_pod_task(sdk_spec_pod(s, "hello"), "server"), "SLEEP_DURATION"), "1000");
    sdk_spec_free(s);
out:
    hello_close(&h);
}

static void test_validate_refuses_zero_hello_pods(void) {
    hello_env h;
    if (!hello_open(&h, NULL, 0)) goto out;
    sdk_spec *old = hello_spec(&h), *cand = hello_spec(&h);
    if (!old || !cand) goto out;
    CHECK_INT(sdk_plugin_validate_config(h.in, NULL, cand, &h.e), 0);
    CHECK_INT(sdk_plugin_validate_config(h.in, old, cand, &h.e), 0);
    ((sdk_pod_spec *)sdk_spec_pod(cand, "hello"))->count = 0;
    CHECK_INT(sdk_plugin_validate_config(h.in, old, cand, &h.e), SDK_EINVAL);
    CHECK_STR(h.e.n ? h.e.msgs[h.e.n - 1] : "",
              "plugin 'hello': pods.hello.count: 1 => 0: a hello-world service needs at least one "
              "hello pod (set HELLO_COUNT >= 1)");
    sdk_spec_free(old);
    sdk_spec_free(cand);
out:
    hello_close(&h);
}

static void test_cleanup_plan_generated(void) {
    hello_env h;
    if (!hello_open(&h, NULL, 0)) goto out;
    sdk_spec *s = hello_spec(&h);
    if (!s) goto out;
    CHECK(sdk_spec_plan(s, "cleanup") == NULL);
    CHECK_INT(sdk_plugin_generate_plans(h.in, s, &h.e), 0);
    CHECK_INT(s->n_plans, 3); /* deploy and sidecar from YAML kept, in order, then cleanup */
    CHECK_STR(s->plans[0].name, "deploy");
    CHECK_STR(s->plans[1].name, "sidecar");
    const sdk_plan_spec *c = sdk_spec_plan(s, "cleanup");
    CHECK(c && c->n_phases == 1);
    if (c && c->n_phases == 1) {
        CHECK_STR(c->phases[0].pod, "world");
        CHECK_INT(c->phases[0].strategy, SDK_STRATEGY_PARALLEL);
        CHECK_INT(c->phases[0].n_entries, 1);
        CHECK_INT(c->phases[0].entries[0].index, -1);
        CHECK_STR(c->phases[0].entries[0].steps[0][0], "cleanup");
    }
    /* idempotent: a second run keeps one cleanup plan */
    CHECK_INT(sdk_plugin_generate_plans(h.in, s, &h.e), 0);
    CHECK_INT(s->n_plans, 3);
    sdk_spec_free(s);
out:
    hello_close(&h);
}

typedef struct sent {
    int calls, status;
    char *body;
} sent;

static void on_finish(sdk_plugin_response *r, void *ctx) {
    sent *s = ctx;
    s->calls++;
    s->status = r->status;
    free(s->body);
    s->body = strdup(r->body.data ? r->body.data : "");
}

static void test_greeting_route(void) {
    sdk_kv over[] = {{"HELLO_GREETING", "Hi \"there\""}};
    hello_env h;
    if (!hello_open(&h, over, 1)) goto out;
    sdk_memory_backend_set_task(h.m, "hello", 0, "hello-0-server", "TASK_RUNNING", "10.0.0.5", "a");
    sdk_memory_backend_set_task(h.m, "world", 1, "world-1-server", "TASK_STAGING", NULL, "b");
    sdk_plugin_task_status_notify(h.in, "hello-0-server", "id", "TASK_RUNNING", "a", "10.0.0.5",
                                  NULL);
    sdk_plugin_http_request req = {.method = "GET", .path = "/v1/hello/greeting"};
    sdk_plugin_response *r = sdk_plugin_response_new(NULL, NULL);
    bool pending = true;
    CHECK_INT(sdk_plugin_dispatch(h.in, &req, r, &pending), 0);
    CHECK(!pending);
    CHECK_INT(r->status, 200);
    CHECK_STR(r->content_type, "application/json");
    json_error_t jerr;
    json_t *j = json_loads(r->body.data ? r->body.data : "", 0, &jerr);
    CHECK_MSG(j != NULL, "bad JSON: %s: %s", jerr.text, r->body.data);
    if (j) {
        CHECK_STR(json_string_value(json_object_get(j, "greeting")), "Hi \"there\"");
        CHECK_STR(json_string_value(json_object_get(j, "service")), "hello-world");
        json_t *tasks = json_object_get(j, "tasks");
        CHECK_STR(json_string_value(json_object_get(tasks, "hello-0-server")), "TASK_RUNNING");
        CHECK_STR(json_string_value(json_object_get(tasks, "world-1-server")), "TASK_STAGING");
        CHECK_INT(json_integer_value(json_object_get(j, "statuses_seen")), 1);
        json_decref(j);
    }
    sdk_plugin_response_free(r);
    /* wrong method on a known path */
    req.method = "DELETE";
    r = sdk_plugin_response_new(NULL, NULL);
    CHECK_INT(sdk_plugin_dispatch(h.in, &req, r, &pending), 0);
    CHECK_INT(r->status, 405);
    sdk_plugin_response_free(r);
out:
    hello_close(&h);
}

static void test_uname_route_is_asynchronous(void) {
    hello_env h;
    if (!hello_open(&h, NULL, 0)) goto out;
    sent snt = {0};
    sdk_plugin_http_request req = {.method = "GET", .path = "/v1/hello/uname"};
    sdk_plugin_response *r = sdk_plugin_response_new(on_finish, &snt);
    bool pending = false;
    CHECK_INT(sdk_plugin_dispatch(h.in, &req, r, &pending), 0);
    CHECK(pending);
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 1);
    CHECK_STR(sdk_memory_backend_command_arg(h.m, 0), "uname");
    CHECK_STR(sdk_memory_backend_command_arg(h.m, 1), "-a");
    CHECK_INT(snt.calls, 0);
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "Linux box 6.1\n", ""));
    CHECK_INT(snt.calls, 1);
    CHECK_INT(snt.status, 200);
    CHECK_STR(snt.body, "{\"output\": \"Linux box 6.1\", \"exit_code\": 0}");
    free(snt.body);
out:
    hello_close(&h);
}

static void test_greeting_endpoint(void) {
    sdk_kv over[] = {{"FRAMEWORK_NAME", "hw2"}, {"HELLO_GREETING", "Hey <you>"}};
    hello_env h;
    if (!hello_open(&h, over, 2)) goto out;
    sdk_plugin_endpoint *eps = NULL;
    size_t n = 0;
    CHECK_INT(sdk_plugin_endpoints_new(h.in, &eps, &n, &h.e), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(eps[0].name, "greeting");
        CHECK_STR(eps[0].content_type, "text/plain");
        CHECK_STR(eps[0].body, "Hey <you> from hw2\n");
    }
    sdk_plugin_endpoints_free(eps, n);
out:
    hello_close(&h);
}

static void test_empty_greeting_refused_at_init(void) {
    sdk_kv over[] = {{"HELLO_GREETING", ""}};
    hello_env h;
    CHECK(!hello_open(&h, over, 1));
    CHECK(h.in == NULL);
    CHECK_CONTAINS(h.e.n ? h.e.msgs[h.e.n - 1] : "",
                   "plugins/hello/hello.so: plugin 'hello' failed to initialise");
    CHECK_CONTAINS(h.e.n ? h.e.msgs[h.e.n - 1] : "", "HELLO_GREETING is empty");
    hello_close(&h);
}

int main(void) {
    RUN(test_default_spec);
    RUN(test_commands_run_with_plain_sh);
    RUN(test_mutate_injects_greeting);
    RUN(test_validate_refuses_zero_hello_pods);
    RUN(test_cleanup_plan_generated);
    RUN(test_greeting_route);
    RUN(test_uname_route_is_asynchronous);
    RUN(test_greeting_endpoint);
    RUN(test_empty_greeting_refused_at_init);
    return check_summary("test_hello_plugin");
}
