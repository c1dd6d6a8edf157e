/* The REST API (core/api/sdk_api.h) over real HTTP on 127.0.0.1: a service assembled from a spec
 * and the hello plugin, deployed on the simulated cluster, queried with libcurl. Client, server
 * and plugin commands share one loop, so a deferred plugin answer that blocked the loop would
 * make the concurrent requests below time out. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/api/sdk_api.h"
#include "core/loop/curl_glue.h"
#include "core/loop/loop.h"
#include "core/plugin/memory_backend.h"
#include "core/service/assemble.h"
#include "core/sim/cluster.h"
#include "core/state/store.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include "mesos/proto/mesos.pb-c.h"
#include "tests/unit/check.h"

#define HELLO_SO "plugins/hello/hello.so"

static const char SPEC[] =
    "name: hello-world\n"
    "scheduler:\n"
    "  user: root\n"
    "pods:\n"
    "  hello:\n"
    "    count: 1\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: sleep 1000\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "        ports:\n"
    "          http:\n"
    "            port: 0\n"
    "            advertise: true\n"
    "            vip:\n"
    "              prefix: hello\n"
    "              port: 80\n"
    "          admin:\n"
    "            port: 0\n"
    "      sidecar:\n"
    "        goal: ONCE\n"
    "        cmd: echo $PLAN_PARAMETER\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "  world:\n"
    "    count: 2\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: sleep 1000\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "        ports:\n"
    "          world-port:\n"
    "            port: 0\n"
    "            advertise: true\n"
    "plans:\n"
    "  deploy:\n"
    "    strategy: serial\n"
    "    phases:\n"
    "      hello:\n"
    "        pod: hello\n"
    "        strategy: serial\n"
    "        steps:\n"
    "          - default: [[server]]\n"
    "      world:\n"
    "        pod: world\n"
    "        strategy: serial\n"
    "  sidecar:\n"
    "    strategy: serial\n"
    "    phases:\n"
    "      run:\n"
    "        pod: hello\n"
    "        strategy: parallel\n"
    "        steps:\n"
    "          - default: [[sidecar]]\n";

/* ------------------------------------------------------------------ world */

typedef struct world {
    sdk_loop *l;
    sdk_curl *cu;
    sdk_http_server *srv;
    sdk_api *api;
    sdk_sim_cluster sim;
    sdk_store *store;
    sdk_state *state;
    sdk_memory_backend *mb;
    sdk_assembly as;
    sdk_service *svc;
    char base[64];
    char spec_path[64];
    bool ok;
} world;

static void add_scalar(sdk_resources *rs, const char *name, double v) {
    sdk_resource r;
    memset(&r, 0, sizeof r);
    r.name = (char *)name;
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    sdk_resources_add(rs, &r);
}

static void world_up(world *w, bool with_plugin) {
    memset(w, 0, sizeof *w);
    snprintf(w->spec_path, sizeof w->spec_path, "/tmp/test_rest_api_XXXXXX");
    int fd = mkstemp(w->spec_path);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, SPEC, strlen(SPEC)), (long long)strlen(SPEC));
    close(fd);

    sdk_sim_init(&w->sim);
    sdk_resources rs;
    sdk_resources_init(&rs);
    add_scalar(&rs, "cpus", 8);
    add_scalar(&rs, "mem", 16384);
    add_scalar(&rs, "disk", 100000);
    sdk_resource pr;
    memset(&pr, 0, sizeof pr);
    pr.name = "ports";
    pr.type = SDK_RES_RANGES;
    sdk_range rg = {10000, 11000};
    pr.ranges = &rg;
    pr.n_ranges = 1;
    sdk_resources_add(&rs, &pr);
    sdk_sim_add_agent(&w->sim, "node1", &rs);
    sdk_resources_free(&rs);

    sdk_errors errs;
    sdk_errors_init(&errs);
    w->mb = sdk_memory_backend_new();
    sdk_plugin_backend be = sdk_memory_backend_vtable(w->mb);
    sdk_assembly_input in = {.plugin_path = with_plugin ? HELLO_SO : NULL, .spec_path = w->spec_path,
                             .backend = &be};
    int rc = sdk_assemble(&in, &w->as, &errs);
    if (!rc) rc = sdk_store_memory_open(&w->store);
    if (!rc) rc = sdk_state_open_new(w->store, w->as.spec->name, &w->state, &errs);
    if (!rc) {
        sdk_service_options o = {.spec = w->as.spec, .state = w->state, .env = w->as.vars, .n_env = w->as.n_vars,
                                 .driver = sdk_sim_driver(), .driver_ctx = &w->sim,
                                 .backend = {.name = "the simulated cluster", .no_docker_images = true}};
        w->as.spec = NULL;
        rc = sdk_service_new(&o, &w->svc, &errs);
    }
    if (!rc) rc = sdk_loop_new(&w->l);
    if (!rc) rc = sdk_curl_new(w->l, &w->cu);
    if (!rc) rc = sdk_http_server_new(w->l, NULL, &errs, &w->srv);
    if (!rc) {
        sdk_api_options ao = {.service = w->svc, .state = w->state, .plugin = w->as.inst};
        rc = sdk_api_new(w->srv, &ao, &w->api, &errs);
    }
    CHECK_INT(rc, 0);
    if (rc) sdk_errors_print(&errs, "world_up");
    sdk_errors_free(&errs);
    if (w->srv) snprintf(w->base, sizeof w->base, "http://127.0.0.1:%u", sdk_http_server_port(w->srv));
    w->ok = rc == 0;
}

/* Replaces the service by one built from `spec` on the same state (a scheduler restart with a
 * new configuration) and points the API at it. */
static void world_restart(world *w, const char *spec) {
    FILE *f = fopen(w->spec_path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(spec, f);
    fclose(f);
    sdk_service_free(w->svc);
    w->svc = NULL;
    sdk_assembly_free(&w->as);
    memset(&w->as, 0, sizeof w->as);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_plugin_backend be = sdk_memory_backend_vtable(w->mb);
    sdk_assembly_input in = {.plugin_path = HELLO_SO, .spec_path = w->spec_path, .backend = &be};
    int rc = sdk_assemble(&in, &w->as, &errs);
    if (!rc) {
        sdk_service_options o = {.spec = w->as.spec, .state = w->state, .env = w->as.vars, .n_env = w->as.n_vars,
                                 .driver = sdk_sim_driver(), .driver_ctx = &w->sim,
                                 .backend = {.name = "the simulated cluster", .no_docker_images = true}};
        w->as.spec = NULL;
        rc = sdk_service_new(&o, &w->svc, &errs);
    }
    CHECK_INT(rc, 0);
    if (rc) sdk_errors_print(&errs, "world_restart");
    sdk_errors_free(&errs);
    sdk_api_set_service(w->api, w->svc, w->state);
}

static void world_down(world *w) {
    sdk_http_server_free(w->srv);
    sdk_api_free(w->api);
    sdk_curl_free(w->cu);
    sdk_loop_free(w->l);
    sdk_service_free(w->svc);
    sdk_assembly_free(&w->as);
    sdk_memory_backend_free(w->mb);
    sdk_state_free(w->state);
    if (w->store) sdk_store_close(w->store);
    sdk_sim_free(&w->sim);
    unlink(w->spec_path);
}

static void offers(world *w) {
    sdk_offer o;
    sdk_sim_make_offer(&w->sim, &w->sim.agents[0], &o);
    sdk_service_on_offers(w->svc, &o, 1);
    sdk_offer_free_contents(&o);
}

static void status(world *w, const char *task, sdk_tstate st, const char *ip) {
    sdk_sim_task *t = sdk_sim_task_find(&w->sim, task);
    CHECK_MSG(t != NULL, "task %s was never launched", task);
    if (!t) return;
    sdk_sim_set_state(&w->sim, t, st);
    unsigned char uuid[16] = {7};
    sdk_status_update u = {.task_id = t->task_id, .agent_id = t->agent_id, .state = st, .ip = ip,
                           .uuid = uuid, .uuid_len = sizeof uuid};
    sdk_service_on_status(w->svc, &u);
}

/* ------------------------------------------------------------------ client */

typedef struct call {
    CURL *e;
    struct curl_slist *hdrs;
    sdk_buf body;
    long status;
    bool done;
    char ctype[96], allow[64];
    json_t *json; /* parsed body, NULL if not JSON */
} call;

static size_t on_write(char *p, size_t sz, size_t n, void *ud) {
    sdk_buf_append(&((call *)ud)->body, p, sz * n);
    return sz * n;
}

static void on_done(sdk_curl *cu, CURL *e, CURLcode res, void *ud) {
    (void)cu;
    call *c = ud;
    c->done = true;
    CHECK_INT(res, CURLE_OK);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &c->status);
    struct curl_header *h;
    c->ctype[0] = 0;
    if (curl_easy_header(e, "Content-Type", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
        snprintf(c->ctype, sizeof c->ctype, "%s", h->value);
    c->allow[0] = 0;
    if (curl_easy_header(e, "Allow", 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
        snprintf(c->allow, sizeof c->allow, "%s", h->value);
}

static void call_start(world *w, call *c, const char *method, const char *path, const char *body) {
    memset(c, 0, sizeof *c);
    sdk_buf_init(&c->body);
    c->e = curl_easy_init();
    char url[512];
    snprintf(url, sizeof url, "%s%s", w->base, path);
    curl_easy_setopt(c->e, CURLOPT_URL, url);
    curl_easy_setopt(c->e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c->e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->e, CURLOPT_TIMEOUT_MS, 10000L);
    if (body) {
        curl_easy_setopt(c->e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        c->hdrs = curl_slist_append(c->hdrs, "Content-Type: application/json");
        curl_easy_setopt(c->e, CURLOPT_HTTPHEADER, c->hdrs);
    }
    CHECK_INT(sdk_curl_add(w->cu, c->e, on_done, c), 0);
}

static void run_until(world *w, call *c) {
    uint64_t t0 = sdk_loop_now_ms(w->l);
    while (!c->done && sdk_loop_now_ms(w->l) - t0 < 10000) sdk_loop_run_once(w->l, 50);
    CHECK_MSG(c->done, "request did not finish in 10 s");
    sdk_buf_putc(&c->body, 0);
    c->body.len--;
    c->json = json_loads(c->body.data, 0, NULL);
    if (getenv("REST_API_DUMP")) fprintf(stderr, "---- %ld %s\n%s\n", c->status, c->ctype, c->body.data);
}

static void call_free(call *c) {
    curl_easy_cleanup(c->e);
    curl_slist_free_all(c->hdrs);
    sdk_buf_free(&c->body);
    json_decref(c->json);
}

/* One request; the caller frees the call. */
static void req(world *w, call *c, const char *method, const char *path, const char *body) {
    call_start(w, c, method, path, body);
    run_until(w, c);
}

static const char *text(const call *c) { return c->body.data ? c->body.data : ""; }

static const char *jstr(const json_t *j, const char *key) {
    return json_string_value(json_object_get(j, key));
}

/* Checks status, content-type prefix and body text (NULL: unchecked) of one request. */
static void expect(world *w, const char *method, const char *path, const char *body, long code, const char *ctype,
                   const char *want_text) {
    call c;
    req(w, &c, method, path, body);
    CHECK_MSG(c.status == code, "%s %s: status %ld, want %ld (body %s)", method, path, c.status, code, text(&c));
    if (ctype) CHECK_MSG(!strncmp(c.ctype, ctype, strlen(ctype)), "%s %s: content-type '%s'", method, path, c.ctype);
    if (want_text) CHECK_STR(text(&c), want_text);
    call_free(&c);
}

/* A JSON {"message": ...} answer with that code whose message contains `part`. */
static void expect_message(world *w, const char *method, const char *path, const char *body, long code,
                           const char *part) {
    call c;
    req(w, &c, method, path, body);
    CHECK_MSG(c.status == code, "%s %s: status %ld, want %ld (body %s)", method, path, c.status, code, text(&c));
    CHECK_MSG(c.json && jstr(c.json, "message"), "%s %s: no JSON message in '%s'", method, path, text(&c));
    if (c.json && jstr(c.json, "message")) CHECK_CONTAINS(jstr(c.json, "message"), part);
    call_free(&c);
}

static long health(world *w) {
    call c;
    req(w, &c, "GET", "/v1/health", NULL);
    long code = c.status;
    if (code != 204) CHECK_INT(json_integer_value(json_object_get(c.json, "value")), code);
    call_free(&c);
    return code;
}

/* Deploys everything: hello-0 then world-0, world-1, each RUNNING with an IP. */
static void deploy_all(world *w) {
    sdk_service_on_registered(w->svc, "fw-0001");
    const char *tasks[] = {"hello-0-server", "world-0-server", "world-1-server"};
    const char *ips[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
    for (int i = 0; i < 3; i++) {
        offers(w);
        status(w, tasks[i], SDK_TSTATE_RUNNING, ips[i]);
    }
}

/* ------------------------------------------------------------------ tests */

static void test_before_registration(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    CHECK_INT(health(&w), 318);
    expect(&w, "GET", "/v1/state/frameworkId", NULL, 404, "text/plain", NULL);
    call c;
    req(&w, &c, "GET", "/v1/plans", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(text(&c), "[\n  \"deploy\",\n  \"recovery\",\n  \"sidecar\"\n]\n");
    call_free(&c);

    req(&w, &c, "GET", "/v1/plans/deploy", NULL);
    CHECK_INT(c.status, 202);
    CHECK_STR(jstr(c.json, "status"), "PENDING");
    CHECK_STR(jstr(c.json, "strategy"), "serial");
    CHECK(json_is_array(json_object_get(c.json, "errors")));
    CHECK(json_object_get(c.json, "id") == NULL);
    json_t *ph = json_array_get(json_object_get(c.json, "phases"), 0);
    CHECK_STR(jstr(ph, "name"), "hello");
    CHECK(sdk_uuid_valid(jstr(ph, "id")));
    json_t *st = json_array_get(json_object_get(ph, "steps"), 0);
    CHECK_STR(jstr(st, "name"), "hello-0:[server]");
    CHECK_STR(jstr(st, "status"), "PENDING");
    call_free(&c);
    /* The deprecated alias serves the deploy plan. */
    req(&w, &c, "GET", "/v1/plan", NULL);
    CHECK_INT(c.status, 202);
    CHECK_STR(jstr(json_array_get(json_object_get(c.json, "phases"), 1), "name"), "world");
    call_free(&c);
    expect(&w, "GET", "/v1/plans/nope", NULL, 404, "text/plain", "Plan nope not found");
    expect(&w, "POST", "/v1/plans/nope/stop", NULL, 404, "text/plain", "Plan nope not found");
    expect(&w, "GET", "/v1/pod", NULL, 200, "application/json", "[]\n");
    world_down(&w);
}

static void test_configurations(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    call c;
    req(&w, &c, "GET", "/v1/configurations/targetId", NULL);
    CHECK_INT(c.status, 200);
    CHECK(json_is_array(c.json) && json_array_size(c.json) == 1);
    char *id = sdk_xstrdup(json_string_value(json_array_get(c.json, 0)));
    CHECK(id && sdk_uuid_valid(id));
    CHECK_STR(id, sdk_service_target_id(w.svc));
    call_free(&c);

    req(&w, &c, "GET", "/v1/configurations", NULL);
    CHECK_INT(c.status, 200);
    CHECK_INT(json_array_size(c.json), 1);
    CHECK_STR(json_string_value(json_array_get(c.json, 0)), id);
    call_free(&c);

    char path[128];
    snprintf(path, sizeof path, "/v1/configurations/%s", id);
    req(&w, &c, "GET", path, NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(jstr(c.json, "name"), "hello-world");
    call_free(&c);
    req(&w, &c, "GET", "/v1/configurations/target", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(jstr(c.json, "name"), "hello-world");
    call_free(&c);
    expect(&w, "GET", "/v1/configurations/not-a-uuid", NULL, 400, NULL, "");
    expect(&w, "GET", "/v1/configurations/123e4567-e89b-42d3-a456-426614174000", NULL, 404, NULL, "");
    free(id);
    world_down(&w);
}

static void test_health_through_deploy(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    CHECK_INT(health(&w), 318);
    sdk_service_on_registered(w.svc, "fw-0001");
    CHECK_INT(health(&w), 204);                 /* DEPLOYING_PENDING */
    call c;
    req(&w, &c, "GET", "/v1/state/frameworkId", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(text(&c), "[\n  \"fw-0001\"\n]\n");
    call_free(&c);
    offers(&w);
    CHECK(sdk_sim_task_find(&w.sim, "hello-0-server") != NULL);
    status(&w, "hello-0-server", SDK_TSTATE_RUNNING, "10.0.0.1");
    offers(&w);
    CHECK(sdk_sim_task_find(&w.sim, "world-0-server") != NULL);
    CHECK_INT(health(&w), 204);                 /* world-1 still PENDING: pending wins over starting */
    status(&w, "world-0-server", SDK_TSTATE_RUNNING, "10.0.0.2");
    offers(&w);
    CHECK_INT(health(&w), 202);                 /* DEPLOYING_STARTING: the last step launched */
    req(&w, &c, "GET", "/v1/health?verbose=true", NULL);
    CHECK_INT(c.status, 202);
    CHECK_INT(json_integer_value(json_object_get(c.json, "value")), 202);
    CHECK_INT(json_array_size(json_object_get(c.json, "reasons")), 10);
    CHECK_CONTAINS(json_string_value(json_array_get(json_object_get(c.json, "reasons"), 4)), "has STARTING");
    call_free(&c);
    status(&w, "world-1-server", SDK_TSTATE_RUNNING, "10.0.0.3");
    CHECK_INT(health(&w), 200);
    req(&w, &c, "GET", "/v1/plans/deploy", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(jstr(c.json, "status"), "COMPLETE");
    call_free(&c);
    world_down(&w);
}

static void test_plan_commands(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    sdk_service_on_registered(w.svc, "fw-0001");
    offers(&w);
    status(&w, "hello-0-server", SDK_TSTATE_RUNNING, NULL);

    /* start with parameters, then bad bodies: each refused with a JSON message, nothing changed */
    expect_message(&w, "POST", "/v1/plans/sidecar/start", "{\"PLAN_PARAMETER\": \"hi\"}", 200,
                   "Received cmd: start sidecar with parameters: {PLAN_PARAMETER=hi}");
    sdk_plan *sc = sdk_service_plan(w.svc, "sidecar");
    CHECK_STR(sdk_plan_param(sc, "PLAN_PARAMETER"), "hi");
    expect_message(&w, "POST", "/v1/plans/sidecar/start", "{\"1BAD\": \"x\"}", 400, "1BAD");
    expect_message(&w, "POST", "/v1/plans/sidecar/start", "{\"A\": ", 400, "not valid JSON");
    expect_message(&w, "POST", "/v1/plans/sidecar/start", "{\"A\": {\"b\": 1}}", 400,
                   "the value of 'A' must be a string, an integer or a boolean");
    expect_message(&w, "POST", "/v1/plans/sidecar/start", "{\"A\": null}", 400, "'A' must be a string");
    expect_message(&w, "POST", "/v1/plans/sidecar/start", "[1]", 400, "JSON object");
    CHECK_STR(sdk_plan_param(sc, "PLAN_PARAMETER"), "hi");
    /* integers and booleans as upstream's Jackson Map<String, String> takes them */
    expect_message(&w, "POST", "/v1/plans/sidecar/start", "{\"COUNT\": 3, \"DRY_RUN\": true}", 200,
                   "with parameters: {COUNT=3, DRY_RUN=true}");
    CHECK_STR(sdk_plan_param(sc, "COUNT"), "3");
    CHECK_STR(sdk_plan_param(sc, "DRY_RUN"), "true");
    expect(&w, "POST", "/v1/plans/nope/start", "{}", 404, "text/plain", "Plan nope not found");
    expect_message(&w, "POST", "/v1/plans/sidecar/start", NULL, 200, "with parameters: {}");
    expect_message(&w, "POST", "/v1/plans/sidecar/stop", NULL, 200, "Received cmd: stop");

    /* interrupt / continue with their 208s */
    expect_message(&w, "POST", "/v1/plans/deploy/interrupt", NULL, 200, "Received cmd: interrupt");
    expect(&w, "POST", "/v1/plans/deploy/interrupt", NULL, 208, "text/plain",
           "Command has already been reported or completed");
    CHECK(sdk_plan_is_interrupted(sdk_service_plan(w.svc, "deploy")));
    expect_message(&w, "POST", "/v1/plan/continue", NULL, 200, "Received cmd: continue");
    CHECK(!sdk_plan_is_interrupted(sdk_service_plan(w.svc, "deploy")));
    expect(&w, "POST", "/v1/plans/deploy/continue", NULL, 208, "text/plain", NULL);
    expect(&w, "POST", "/v1/plans/deploy/interrupt?phase=nope", NULL, 404, "text/plain", NULL);

    /* forceComplete / restart: texts, 208 on a complete phase, 400 without phase, 404 phase */
    expect(&w, "POST", "/v1/plans/deploy/forceComplete?phase=hello", NULL, 208, "text/plain", NULL);
    expect(&w, "POST", "/v1/plans/deploy/forceComplete?step=world-0:%5Bserver%5D", NULL, 400, "text/plain", NULL);
    expect(&w, "POST", "/v1/plans/deploy/restart?phase=nope", NULL, 404, "text/plain", NULL);
    expect_message(&w, "POST", "/v1/plans/deploy/forceComplete?phase=world&step=world-0:%5Bserver%5D", NULL, 200,
                   "Received cmd: forceComplete for Plan: deploy, Phase: world, Step: world-0:[server]");
    sdk_phase *world_ph = sdk_plan_find_phase(sdk_service_plan(w.svc, "deploy"), "world");
    CHECK_INT(sdk_step_status(sdk_phase_find_step(world_ph, "world-0:[server]")), SDK_STATUS_COMPLETE);
    expect_message(&w, "POST", "/v1/plan/restart?phase=hello", NULL, 200,
                   "Received cmd: restart for Plan: deploy, Phase: hello, Step: null");
    CHECK_INT(sdk_phase_status(sdk_plan_find_phase(sdk_service_plan(w.svc, "deploy"), "hello")),
              SDK_STATUS_PENDING);
    expect(&w, "POST", "/v1/plans/deploy/restart?phase=hello", NULL, 208, "text/plain", NULL);
    /* wrong method on an SDK path: 405 naming the allowed one, even behind the plugin routes */
    call c;
    req(&w, &c, "GET", "/v1/plans/deploy/restart", NULL);
    CHECK_INT(c.status, 405);
    CHECK_STR(c.allow, "POST");
    call_free(&c);
    expect(&w, "DELETE", "/v1/plans", NULL, 405, "text/plain", "Method not allowed");
    world_down(&w);
}

/* A refused configuration update keeps the old target and puts its errors on the deploy plan:
 * GET /v1/plans/deploy answers 417 with the plan JSON, and health is 500. */
static void test_plan_errors_417(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    deploy_all(&w);
    char *shrunk = sdk_xstrdup(SPEC);
    char *cnt = strstr(shrunk, "    count: 2\n");
    CHECK(cnt != NULL);
    if (cnt) cnt[11] = '1';
    world_restart(&w, shrunk);
    free(shrunk);
    if (w.svc) {
        sdk_service_on_registered(w.svc, "fw-0001");
        call c;
        req(&w, &c, "GET", "/v1/plans/deploy", NULL);
        CHECK_INT(c.status, 417);
        CHECK_STR(jstr(c.json, "status"), "ERROR");
        CHECK(json_array_size(json_object_get(c.json, "errors")) >= 1);
        call_free(&c);
        CHECK_INT(health(&w), 500);
        req(&w, &c, "GET", "/v1/metrics", NULL);
        json_t *g = json_object_get(json_object_get(c.json, "gauges"), "plan_status.deploy");
        CHECK_INT(json_integer_value(json_object_get(g, "value")), -1);
        call_free(&c);
    }
    world_down(&w);
}

/* The first object key with a '_' in the JSON tree (a depth-first walk), or NULL. New string. */
static char *first_snake_key_new(const json_t *j) {
    const char *k;
    json_t *v;
    size_t i;
    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, k, v) {
            if (strchr(k, '_')) return sdk_xstrdup(k);
            char *in = first_snake_key_new(v);
            if (in) return in;
        }
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) {
            char *in = first_snake_key_new(v);
            if (in) return in;
        }
    }
    return NULL;
}

static void test_pods(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    deploy_all(&w);
    call c;
    req(&w, &c, "GET", "/v1/pod", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(text(&c), "[\n  \"hello-0\",\n  \"world-0\",\n  \"world-1\"\n]\n");
    call_free(&c);

    req(&w, &c, "GET", "/v1/pod/status", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(jstr(c.json, "service"), "hello-world");
    json_t *pods = json_object_get(c.json, "pods");
    CHECK_INT(json_array_size(pods), 2);
    CHECK_STR(jstr(json_array_get(pods, 0), "name"), "hello");
    json_t *winst = json_object_get(json_array_get(pods, 1), "instances");
    CHECK_INT(json_array_size(winst), 2);
    CHECK_STR(jstr(json_array_get(winst, 1), "name"), "world-1");
    json_t *t = json_array_get(json_object_get(json_array_get(winst, 1), "tasks"), 0);
    CHECK_STR(jstr(t, "name"), "world-1-server");
    CHECK_STR(jstr(t, "status"), "RUNNING");
    CHECK_CONTAINS(jstr(t, "id"), "__world-1-server__");
    call_free(&c);

    req(&w, &c, "GET", "/v1/pod/hello-0/status", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(jstr(c.json, "name"), "hello-0");
    /* the sidecar task has its own resource set and was never launched: not stored */
    CHECK_INT(json_array_size(json_object_get(c.json, "tasks")), 1);
    call_free(&c);

    req(&w, &c, "GET", "/v1/pod/world-0/info", NULL);
    CHECK_INT(c.status, 200);
    CHECK_INT(json_array_size(c.json), 1);
    json_t *e = json_array_get(c.json, 0);
    json_t *info = json_object_get(e, "info");
    CHECK_STR(jstr(info, "name"), "world-0-server");
    /* dcos-commons' shape (PodQueries.getInfo): protobuf JSON with lowerCamelCase names and the
     * v0 slaveId, as its CLI and tests read it */
    const char *tid = jstr(json_object_get(info, "taskId"), "value");
    CHECK_CONTAINS(tid, "world-0-server");
    CHECK_STR(jstr(json_object_get(info, "slaveId"), "value"), "sim-agent-node1");
    CHECK(json_array_size(json_object_get(info, "resources")) > 0);
    CHECK_CONTAINS(jstr(json_object_get(json_object_get(info, "executor"), "executorId"), "value"), "world");
    CHECK(json_is_array(json_object_get(json_object_get(info, "labels"), "labels")));
    CHECK(json_object_get(info, "task_id") == NULL && json_object_get(info, "agent_id") == NULL);
    json_t *st = json_object_get(e, "status");
    CHECK_STR(jstr(st, "state"), "TASK_RUNNING");
    CHECK_STR(jstr(json_object_get(st, "taskId"), "value"), tid);
    CHECK_STR(jstr(json_object_get(st, "slaveId"), "value"), "sim-agent-node1");
    json_t *net = json_array_get(json_object_get(json_object_get(st, "containerStatus"), "networkInfos"), 0);
    CHECK_STR(jstr(json_array_get(json_object_get(net, "ipAddresses"), 0), "ipAddress"), "10.0.0.2");
    /* no snake_case name anywhere in the document */
    char *snake = first_snake_key_new(c.json);
    CHECK_MSG(!snake, "key '%s' is not lowerCamelCase", snake ? snake : "");
    free(snake);
    call_free(&c);

    expect(&w, "GET", "/v1/pod/nope-0/status", NULL, 404, "text/plain", "Pod nope-0 not found");
    expect(&w, "GET", "/v1/pod/nope-0/info", NULL, 404, "text/plain", "Pod nope-0 not found");
    /* pod operations (the scenarios check their effect on launches; here the HTTP contract) */
    req(&w, &c, "POST", "/v1/pod/world-0/restart", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(jstr(c.json, "pod"), "world-0");
    CHECK_STR(json_string_value(json_array_get(json_object_get(c.json, "tasks"), 0)), "world-0-server");
    call_free(&c);
    expect_message(&w, "POST", "/v1/pod/world-0/pause", "{\"server\": 1}", 400, "JSON array of task names");
    expect(&w, "POST", "/v1/pod/world-0/pause", "[\"nosuchtask\"]", 404, "text/plain", "Task nosuchtask not found in pod world-0 (or it is not a RUNNING task)");
    req(&w, &c, "POST", "/v1/pod/world-0/pause", "[\"server\"]");
    CHECK_INT(c.status, 200);
    call_free(&c);
    expect_message(&w, "POST", "/v1/pod/world-0/replace", NULL, 409, "resume it before replacing");
    expect_message(&w, "POST", "/v1/pod/world-0/pause", NULL, 409, "already paused");
    req(&w, &c, "POST", "/v1/pod/world-0/resume", NULL);
    CHECK_INT(c.status, 200);
    call_free(&c);
    expect_message(&w, "POST", "/v1/pod/world-0/resume", NULL, 409, "is not paused");
    expect(&w, "POST", "/v1/pod/nope-0/restart", NULL, 404, "text/plain", "Pod nope-0 not found");
    world_down(&w);
}

/* Status of one task in GET /v1/pod/<pod>/status, or "" when it has none. New string. */
static char *pod_task_status_new(world *w, const char *pod, const char *task) {
    call c;
    char path[128];
    snprintf(path, sizeof path, "/v1/pod/%s/status", pod);
    req(w, &c, "GET", path, NULL);
    CHECK_INT(c.status, 200);
    const char *st = NULL;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(c.json, "tasks"), i, t)
        if (jstr(t, "name") && !strcmp(jstr(t, "name"), task)) st = jstr(t, "status");
    char *out = sdk_xstrdup(st ? st : "");
    call_free(&c);
    return out;
}

#define EXPECT_POD_STATUS(w, pod, task, want)                     \
    do {                                                          \
        char *got_ = pod_task_status_new((w), (pod), (task));     \
        CHECK_MSG(!strcmp(got_, (want)), "%s: status '%s', want '%s'", (task), got_, (want)); \
        free(got_);                                               \
    } while (0)

/* Pause and resume as `pod status` shows them (dcos-commons PodQueries with GoalStateOverride):
 * PAUSING until the paused relaunch runs, then PAUSED for good; after a resume STARTING until
 * the real command runs again, then the plain Mesos state. The override is gone afterwards. */
static void test_pod_pause_resume_status(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    deploy_all(&w);
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "RUNNING");
    expect(&w, "POST", "/v1/pod/world-0/pause", NULL, 200, "application/json", NULL);
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "PAUSING");
    status(&w, "world-0-server", SDK_TSTATE_KILLED, NULL);
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "PAUSING");
    offers(&w); /* the recovery plan relaunches it with the idle command */
    const sdk_task_desc *d = sdk_service_task_desc(w.svc, "world-0-server");
    CHECK(d && d->cmd && strstr(d->cmd, "This task is paused"));
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "PAUSING");
    status(&w, "world-0-server", SDK_TSTATE_RUNNING, NULL);
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "PAUSED");
    /* it stays PAUSED, also for a scheduler restarted on the same state */
    status(&w, "world-0-server", SDK_TSTATE_RUNNING, NULL);
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "PAUSED");
    world_restart(&w, SPEC);
    sdk_service_on_registered(w.svc, "fw-0001");
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "PAUSED");
    /* reconciliation answers: offers are used again */
    status(&w, "hello-0-server", SDK_TSTATE_RUNNING, NULL);
    status(&w, "world-0-server", SDK_TSTATE_RUNNING, NULL);
    status(&w, "world-1-server", SDK_TSTATE_RUNNING, NULL);
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "PAUSED");

    expect(&w, "POST", "/v1/pod/world-0/resume", NULL, 200, "application/json", NULL);
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "STARTING");
    status(&w, "world-0-server", SDK_TSTATE_KILLED, NULL);
    offers(&w);
    d = sdk_service_task_desc(w.svc, "world-0-server");
    CHECK(d && d->cmd && !strstr(d->cmd, "This task is paused"));
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "STARTING");
    status(&w, "world-0-server", SDK_TSTATE_RUNNING, NULL);
    EXPECT_POD_STATUS(&w, "world-0", "world-0-server", "RUNNING");
    char *ov = NULL;
    CHECK_INT(sdk_state_goal_override_get_new(w.state, "world-0-server", &ov, NULL), SDK_ENOENT);
    free(ov);
    CHECK_INT(sdk_state_override_status_get_new(w.state, "world-0-server", &ov, NULL), SDK_ENOENT);
    free(ov);
    /* the other pods never changed */
    EXPECT_POD_STATUS(&w, "world-1", "world-1-server", "RUNNING");
    world_down(&w);
}

static void test_endpoints(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    deploy_all(&w);
    call c;
    req(&w, &c, "GET", "/v1/endpoints", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(text(&c), "[\n  \"greeting\",\n  \"http\",\n  \"world-port\"\n]\n");
    call_free(&c);

    req(&w, &c, "GET", "/v1/endpoints/http", NULL);
    CHECK_INT(c.status, 200);
    json_t *addr = json_object_get(c.json, "address"), *dns = json_object_get(c.json, "dns");
    CHECK_INT(json_array_size(addr), 1);
    const char *a0 = json_string_value(json_array_get(addr, 0));
    CHECK(a0 && !strncmp(a0, "10.0.0.1:10", 11));
    const char *d0 = json_string_value(json_array_get(dns, 0));
    CHECK(d0 && !strncmp(d0, "hello-0-server.hello-world.autoip.dcos.thisdcos.directory:10", 60));
    CHECK_STR(jstr(c.json, "vip"), "hello.hello-world.l4lb.thisdcos.directory:80");
    call_free(&c);

    req(&w, &c, "GET", "/v1/endpoints/world-port", NULL);
    CHECK_INT(c.status, 200);
    CHECK_INT(json_array_size(json_object_get(c.json, "address")), 2);
    CHECK_INT(json_array_size(json_object_get(c.json, "dns")), 2);
    CHECK(json_object_get(c.json, "vip") == NULL);
    call_free(&c);

    expect(&w, "GET", "/v1/endpoints/greeting", NULL, 200, "text/plain", "Hello, world from hello-world\n");
    expect(&w, "GET", "/v1/endpoints/admin", NULL, 404, NULL, ""); /* not advertised */
    expect(&w, "GET", "/v1/endpoints/nope", NULL, 404, NULL, "");
    world_down(&w);
}

static void test_metrics_and_debug(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    deploy_all(&w);
    offers(&w); /* nothing left to launch: declined */
    const sdk_service_metrics *m = sdk_service_get_metrics(w.svc);
    CHECK_INT(m->offers_received, 4);
    call c;
    req(&w, &c, "GET", "/v1/metrics", NULL);
    CHECK_INT(c.status, 200);
    json_t *counters = json_object_get(c.json, "counters"), *gauges = json_object_get(c.json, "gauges");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(counters, "offers.received"), "count")), 4);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(counters, "operation.launch_group"), "count")), 3);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(counters, "task_status.task_running"), "count")), 3);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(gauges, "plan_status.deploy"), "value")), 0);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(gauges, "plan_status.sidecar"), "value")), 1);
    CHECK(json_is_object(json_object_get(c.json, "timers")));
    call_free(&c);

    req(&w, &c, "GET", "/v1/metrics/prometheus", NULL);
    CHECK_INT(c.status, 200);
    CHECK(!strncmp(c.ctype, "text/plain", 10));
    CHECK_CONTAINS(text(&c), "\noffers_received 4\n");
    CHECK_CONTAINS(text(&c), "# TYPE offers_received counter\n");
    CHECK_CONTAINS(text(&c), "\nplan_status_deploy 0\n");
    CHECK(!strstr(text(&c), "offers.received"));
    call_free(&c);

    req(&w, &c, "GET", "/v2/debug/offers", NULL);
    CHECK_INT(c.status, 200);
    CHECK_INT(json_integer_value(json_object_get(c.json, "acceptedCount")), 3);
    json_t *offs = json_object_get(c.json, "offers");
    CHECK(json_array_size(offs) >= 3);
    CHECK_STR(jstr(json_array_get(offs, 0), "pod-instance-name"), "hello-0");
    CHECK_STR(jstr(json_array_get(offs, 0), "outcome"), "pass");
    call_free(&c);

    req(&w, &c, "GET", "/v1/debug/reservations", NULL);
    CHECK_INT(c.status, 200);
    json_t *agent = json_object_get(c.json, "sim-agent-node1");
    CHECK_STR(jstr(agent, "hostname"), "node1");
    json_t *hs = json_object_get(json_object_get(agent, "tasks"), "hello-0-server");
    CHECK(json_array_size(json_object_get(hs, "resource_ids")) > 0);
    CHECK(json_array_size(json_object_get(hs, "resources")) > 0);
    CHECK(json_array_size(json_object_get(hs, "executor_resources")) > 0);
    call_free(&c);
    world_down(&w);
}

/* ---- Prometheus exposition (GET /metrics), parsed strictly ---- */

static bool prom_name_ok(const char *s, size_t n, bool label) {
    if (!n) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
        if (!alpha && !(i && c >= '0' && c <= '9')) return false;
    }
    return true;
}

static bool prom_quiet; /* the checker's own test expects problems: do not print them */

typedef struct prom_family {
    char *name, *type;
    bool help, samples_done;
} prom_family;

/* Checks text against the text format 0.0.4 and the conventions asked of this server: every
 * sample's family has # HELP and # TYPE (once each, before its samples), a family's samples are
 * contiguous, names and label names are valid, label values are quoted with valid escapes, no
 * sample (name + labels) appears twice, values parse, counters end in _total. Returns the
 * number of problems (each printed). */
static int prom_check(const char *text) {
    prom_family fam[128];
    size_t nf = 0;
    char *seen[1024];
    size_t ns = 0;
    int bad = 0;
    const char *cur = NULL; /* family of the previous sample */
#define PROM_BAD(...) do { bad++; if (!prom_quiet) { fprintf(stderr, "  exposition: " __VA_ARGS__); \
    fputc('\n', stderr); } } while (0)
    size_t lineno = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        if (!nl) { PROM_BAD("last line without newline"); break; }
        char *line = sdk_xstrndup(p, (size_t)(nl - p));
        p = nl + 1;
        lineno++;
        if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
            bool help = line[2] == 'H';
            char *name = line + 7, *sp = strchr(name, ' ');
            if (!sp || !prom_name_ok(name, (size_t)(sp - name), false)) PROM_BAD("line %zu: bad name: %s", lineno, line);
            if (sp) *sp = 0;
            prom_family *f = NULL;
            for (size_t i = 0; i < nf; i++) if (!strcmp(fam[i].name, name)) f = &fam[i];
            if (!f && nf < 128) { f = &fam[nf++]; memset(f, 0, sizeof *f); f->name = sdk_xstrdup(name); }
            if (f && f->samples_done) PROM_BAD("line %zu: %s after its samples", lineno, name);
            if (f && help) {
                if (f->help) PROM_BAD("line %zu: second HELP for %s", lineno, name);
                if (!sp || !sp[1]) PROM_BAD("line %zu: empty HELP for %s", lineno, name);
                f->help = true;
            } else if (f) {
                const char *t = sp ? sp + 1 : "";
                if (f->type) PROM_BAD("line %zu: second TYPE for %s", lineno, name);
                else f->type = sdk_xstrdup(t);
                if (strcmp(t, "counter") && strcmp(t, "gauge") && strcmp(t, "summary") && strcmp(t, "histogram") &&
                    strcmp(t, "untyped"))
                    PROM_BAD("line %zu: bad type '%s'", lineno, t);
                if (!strcmp(t, "counter") && !sdk_str_ends(name, "_total"))
                    PROM_BAD("line %zu: counter %s does not end in _total", lineno, name);
            }
            free(line);
            continue;
        }
        if (line[0] == '#' || !line[0]) { free(line); continue; }
        /* sample: name[{labels}] value */
        size_t nlen = strcspn(line, "{ ");
        if (!prom_name_ok(line, nlen, false)) PROM_BAD("line %zu: bad sample name: %s", lineno, line);
        char *q = line + nlen;
        if (*q == '{') {
            q++;
            while (*q && *q != '}') {
                size_t ll = strcspn(q, "=");
                if (!prom_name_ok(q, ll, true)) PROM_BAD("line %zu: bad label name", lineno);
                q += ll;
                if (q[0] != '=' || q[1] != '"') { PROM_BAD("line %zu: label value not quoted", lineno); break; }
                q += 2;
                while (*q && *q != '"') {
                    if (*q == '\\') {
                        if (q[1] != '\\' && q[1] != '"' && q[1] != 'n') PROM_BAD("line %zu: bad escape", lineno);
                        q++;
                    }
                    if (*q) q++;
                }
                if (*q != '"') { PROM_BAD("line %zu: unterminated label value", lineno); break; }
                q++;
                if (*q == ',') q++;
                else if (*q != '}') { PROM_BAD("line %zu: expected , or } in labels", lineno); break; }
            }
            if (*q == '}') q++;
        }
        if (*q != ' ') PROM_BAD("line %zu: no value: %s", lineno, line);
        else {
            char *end = NULL;
            strtod(q + 1, &end);
            if (end == q + 1 || (*end && *end != ' ')) PROM_BAD("line %zu: bad value: %s", lineno, line);
        }
        char *key = sdk_xstrndup(line, (size_t)(q - line));
        for (size_t i = 0; i < ns; i++) if (!strcmp(seen[i], key)) PROM_BAD("line %zu: duplicate sample %s", lineno, key);
        if (ns < 1024) seen[ns++] = key; else free(key);
        /* its family: the name itself, or minus _sum/_count/_bucket for summaries and histograms */
        char *fname = sdk_xstrndup(line, nlen);
        prom_family *f = NULL;
        for (size_t i = 0; i < nf; i++) if (!strcmp(fam[i].name, fname)) f = &fam[i];
        const char *suffixes[] = {"_sum", "_count", "_bucket"};
        for (size_t k = 0; !f && k < 3; k++) {
            if (!sdk_str_ends(fname, suffixes[k])) continue;
            fname[strlen(fname) - strlen(suffixes[k])] = 0;
            for (size_t i = 0; i < nf; i++)
                if (!strcmp(fam[i].name, fname) && fam[i].type &&
                    (!strcmp(fam[i].type, "summary") || !strcmp(fam[i].type, "histogram")))
                    f = &fam[i];
        }
        if (!f || !f->help || !f->type) PROM_BAD("line %zu: sample without HELP and TYPE: %s", lineno, line);
        if (f) {
            if (f->samples_done) PROM_BAD("line %zu: samples of %s are not contiguous", lineno, f->name);
            if (cur && strcmp(cur, f->name))
                for (size_t i = 0; i < nf; i++) if (!strcmp(fam[i].name, cur)) fam[i].samples_done = true;
            cur = f->name;
        }
        free(fname);
        free(line);
    }
    for (size_t i = 0; i < nf; i++) { free(fam[i].name); free(fam[i].type); }
    for (size_t i = 0; i < ns; i++) free(seen[i]);
#undef PROM_BAD
    return bad;
}

/* The checker itself must catch what it is for. */
static void test_prometheus_checker_catches_errors(void) {
    prom_quiet = true;
    CHECK_INT(prom_check("# HELP a_total A.\n# TYPE a_total counter\na_total{k=\"v\"} 1\n"), 0);
    CHECK(prom_check("a_total 1\n") > 0);                                               /* no HELP/TYPE */
    CHECK(prom_check("# HELP a A.\n# TYPE a counter\na 1\n") > 0);                       /* counter w/o _total */
    CHECK(prom_check("# HELP a A.\n# TYPE a gauge\na 1\na 2\n") > 0);                    /* duplicate */
    CHECK(prom_check("# HELP a A.\n# TYPE a gauge\n# HELP b B.\n# TYPE b gauge\na{x=\"1\"} 1\nb 1\na{x=\"2\"} 1\n") > 0);
    CHECK(prom_check("# HELP a A.\n# TYPE a gauge\na{x=\"1} 1\n") > 0);                  /* unterminated */
    CHECK(prom_check("# HELP a.b A.\n# TYPE a.b gauge\na.b 1\n") > 0);                   /* bad name */
    CHECK(prom_check("# HELP a A.\n# TYPE a gauge\na one\n") > 0);                       /* bad value */
    CHECK_INT(prom_check("# HELP s S.\n# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 2\ns_count 3\n"), 0);
    prom_quiet = false;
}

/* Value of the exposition sample whose text up to the value is exactly `key`; -1 if absent. */
static double prom_value(const char *text, const char *key) {
    char *needle = sdk_asprintf_new("\n%s ", key);
    const char *p = strstr(text, needle);
    double v = p ? strtod(p + strlen(needle), NULL) : -1;
    free(needle);
    return v;
}

static void test_prometheus_exposition(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    deploy_all(&w);
    offers(&w);
    call c;
    req(&w, &c, "GET", "/metrics", NULL);
    CHECK_INT(c.status, 200);
    CHECK_MSG(!strncmp(c.ctype, "text/plain; version=0.0.4", 25), "content-type %s", c.ctype);
    const char *t = text(&c);
    CHECK_INT(prom_check(t), 0);
    /* the same counters as /v1/metrics, as labelled families */
    CHECK(prom_value(t, "sdk_offers_received_total") == 4);
    CHECK(prom_value(t, "sdk_operations_total{operation=\"launch_group\"}") == 3);
    CHECK(prom_value(t, "sdk_task_statuses_total{state=\"TASK_RUNNING\"}") == 3);
    CHECK(prom_value(t, "sdk_plan_status{plan=\"deploy\"}") == 0);
    CHECK(prom_value(t, "sdk_plan_status{plan=\"sidecar\"}") == 1);
    CHECK(prom_value(t, "sdk_plan_steps{plan=\"deploy\",phase=\"world\",status=\"COMPLETE\"}") == 2);
    CHECK(prom_value(t, "sdk_tasks{pod_type=\"world\",state=\"TASK_RUNNING\"}") == 2);
    CHECK(prom_value(t, "sdk_registered") == 1);
    CHECK(prom_value(t, "sdk_offer_processing_seconds_count") == 4);
    /* process metrics of this process */
    CHECK(prom_value(t, "process_cpu_seconds_total") >= 0);
    CHECK(prom_value(t, "process_resident_memory_bytes") > 0);
    CHECK(prom_value(t, "process_start_time_seconds") > 1e9);
    CHECK(prom_value(t, "process_open_fds") > 2);
    call_free(&c);
    world_down(&w);
}

/* ---- /v1/debug/plans and /v1/debug/taskStatuses (upstream PlansTracker, TaskStatusesTracker) ---- */

static void test_debug_plans_and_task_statuses(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    sdk_service_on_registered(w.svc, "fw-0001");
    offers(&w);
    status(&w, "hello-0-server", SDK_TSTATE_RUNNING, "10.0.0.1");
    call c;
    req(&w, &c, "GET", "/v1/debug/plans", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(jstr(c.json, "schedulerState"), "DEPLOYING");
    json_t *active = json_object_get(c.json, "activePlans");
    CHECK_INT(json_array_size(active), 1);
    CHECK_STR(json_string_value(json_array_get(active, 0)), "deploy");
    json_t *plans = json_object_get(c.json, "plans");
    json_t *deploy = NULL;
    for (size_t i = 0; i < json_array_size(plans); i++)
        if (!strcmp(jstr(json_array_get(plans, i), "name"), "deploy")) deploy = json_array_get(plans, i);
    CHECK(deploy != NULL);
    CHECK_STR(jstr(deploy, "status"), "IN_PROGRESS");
    CHECK_STR(jstr(deploy, "strategy"), "serial");
    CHECK_INT(json_integer_value(json_object_get(deploy, "totalSteps")), 3);
    CHECK_INT(json_integer_value(json_object_get(deploy, "completedSteps")), 1);
    json_t *ph0 = json_array_get(json_object_get(deploy, "phases"), 0);
    CHECK_STR(jstr(ph0, "name"), "hello");
    CHECK_STR(jstr(ph0, "status"), "COMPLETE");
    json_t *st0 = json_array_get(json_object_get(ph0, "steps"), 0);
    CHECK_STR(jstr(st0, "name"), "hello-0:[server]");
    CHECK_STR(jstr(st0, "status"), "COMPLETE");
    CHECK(json_is_array(json_object_get(st0, "errors")));
    json_t *topo = json_object_get(c.json, "serviceTopology");
    CHECK(json_array_size(topo) >= 2);
    json_t *t0 = json_array_get(topo, 0);
    CHECK_STR(jstr(t0, "type"), "plan");
    json_t *tph = json_array_get(json_object_get(t0, "children"), 0);
    CHECK_STR(jstr(tph, "type"), "phase");
    json_t *tst = json_array_get(json_object_get(tph, "children"), 0);
    CHECK_STR(jstr(tst, "type"), "step");
    CHECK(json_is_null(json_object_get(tst, "children")));
    call_free(&c);

    /* filters: names in any case; a bad filter is a 200 {"invalid-input": ...} as upstream */
    req(&w, &c, "GET", "/v1/debug/plans?plan=DEPLOY&phase=world&step=world-1:%5Bserver%5D", NULL);
    CHECK_INT(c.status, 200);
    plans = json_object_get(c.json, "plans");
    CHECK_INT(json_array_size(plans), 1);
    json_t *phs = json_object_get(json_array_get(plans, 0), "phases");
    CHECK_INT(json_array_size(phs), 1);
    CHECK_INT(json_array_size(json_object_get(json_array_get(phs, 0), "steps")), 1);
    CHECK_INT(json_integer_value(json_object_get(json_array_get(plans, 0), "totalSteps")), 3);
    call_free(&c);
    struct { const char *q, *why; } bad[] = {
        {"?step=x", "Step specified without parent Phase and Plan values."},
        {"?phase=x", "Phase specified without parent Plan."},
        {"?plan=nope", "Supplied plan not found in list of all available plans!"},
        {"?plan=deploy&phase=nope", "Supplied phase not found in set of possible phases with supplied plan!"},
        {"?plan=deploy&phase=hello&step=nope",
         "Supplied step not found in set of possible steps with supplied plan and phase!"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *path = sdk_asprintf_new("/v1/debug/plans%s", bad[i].q);
        req(&w, &c, "GET", path, NULL);
        CHECK_INT(c.status, 200);
        CHECK_STR(jstr(c.json, "invalid-input"), bad[i].why);
        call_free(&c);
        free(path);
    }

    req(&w, &c, "GET", "/v1/debug/taskStatuses?plan=deploy", NULL);
    CHECK_INT(c.status, 200);
    CHECK_INT(json_array_size(c.json), 1);
    json_t *p0 = json_array_get(c.json, 0);
    CHECK_STR(jstr(p0, "name"), "deploy");
    json_t *hello_ph = json_array_get(json_object_get(p0, "phases"), 0);
    json_t *hello_st = json_array_get(json_object_get(hello_ph, "steps"), 0);
    CHECK_STR(jstr(hello_st, "name"), "hello-0:[server]");
    json_t *ts = json_array_get(json_object_get(hello_st, "taskStatus"), 0);
    CHECK_STR(jstr(ts, "name"), "hello-0-server");
    CHECK_STR(jstr(ts, "taskStatus"), "TASK_RUNNING");
    CHECK(jstr(ts, "taskId") && sdk_str_starts(jstr(ts, "taskId"), "hello-world__hello-0-server__"));
    json_t *world_ph = json_array_get(json_object_get(p0, "phases"), 1);
    json_t *w0 = json_array_get(json_object_get(json_array_get(json_object_get(world_ph, "steps"), 0), "taskStatus"), 0);
    CHECK_STR(jstr(w0, "name"), "world-0-server");
    CHECK_STR(jstr(w0, "taskStatus"), "TASK_UNKNOWN"); /* never launched: upstream's defaults */
    CHECK_STR(jstr(w0, "taskId"), "");
    call_free(&c);
    world_down(&w);
}

/* ---- /v1/state/files, /v1/state/zone/..., /v1/state/refresh ---- */

/* PUT of a multipart/form-data body: with raw NULL, one field built by libcurl's MIME API as
 * `curl -F` and the dcos CLI send it; else raw as the body, framed (or not) by boundary XyZ. */
static void put_multipart(world *w, call *c, const char *path, const char *field, const char *content,
                          const char *raw) {
    memset(c, 0, sizeof *c);
    sdk_buf_init(&c->body);
    c->e = curl_easy_init();
    char url[512];
    snprintf(url, sizeof url, "%s%s", w->base, path);
    curl_easy_setopt(c->e, CURLOPT_URL, url);
    curl_easy_setopt(c->e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c->e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->e, CURLOPT_TIMEOUT_MS, 10000L);
    curl_mime *m = NULL;
    if (!raw) {
        m = curl_mime_init(c->e);
        curl_mimepart *part = curl_mime_addpart(m);
        curl_mime_name(part, field);
        curl_mime_filename(part, "f.txt");
        curl_mime_data(part, content, CURL_ZERO_TERMINATED);
        curl_easy_setopt(c->e, CURLOPT_MIMEPOST, m);
    } else {
        curl_easy_setopt(c->e, CURLOPT_COPYPOSTFIELDS, raw);
        c->hdrs = curl_slist_append(c->hdrs, "Content-Type: multipart/form-data; boundary=XyZ");
        curl_easy_setopt(c->e, CURLOPT_HTTPHEADER, c->hdrs);
    }
    curl_easy_setopt(c->e, CURLOPT_CUSTOMREQUEST, "PUT");
    CHECK_INT(sdk_curl_add(w->cu, c->e, on_done, c), 0);
    run_until(w, c);
    curl_mime_free(m);
}

/* A stored task with a ZONE variable and a status carrying ip, written as the scheduler would
 * store them (the zone routes read only the state). */
static void store_zoned_task(world *w, const char *task, const char *zone, const char *ip) {
    Mesos__V1__TaskInfo ti = MESOS__V1__TASK_INFO__INIT;
    Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
    Mesos__V1__AgentID aid = MESOS__V1__AGENT_ID__INIT;
    Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
    Mesos__V1__Environment env = MESOS__V1__ENVIRONMENT__INIT;
    Mesos__V1__Environment__Variable v1 = MESOS__V1__ENVIRONMENT__VARIABLE__INIT, v2 = v1;
    Mesos__V1__Environment__Variable *vars[] = {&v1, &v2};
    char *id = sdk_asprintf_new("hello-world__%s__1", task);
    tid.value = id;
    aid.value = "agent-1";
    v1.name = "TASK_NAME";
    v1.value = (char *)task;
    v2.name = "ZONE";
    v2.value = (char *)zone;
    env.variables = vars;
    env.n_variables = 2;
    cmd.environment = &env;
    ti.name = (char *)task;
    ti.task_id = &tid;
    ti.agent_id = &aid;
    ti.command = &cmd;
    Mesos__V1__TaskStatus st = MESOS__V1__TASK_STATUS__INIT;
    Mesos__V1__ContainerStatus cs = MESOS__V1__CONTAINER_STATUS__INIT;
    Mesos__V1__NetworkInfo ni = MESOS__V1__NETWORK_INFO__INIT, *nis[] = {&ni};
    Mesos__V1__NetworkInfo__IPAddress ipa = MESOS__V1__NETWORK_INFO__IPADDRESS__INIT, *ipas[] = {&ipa};
    ipa.ip_address = (char *)ip;
    ni.ip_addresses = ipas;
    ni.n_ip_addresses = 1;
    cs.network_infos = nis;
    cs.n_network_infos = 1;
    st.task_id = &tid;
    st.state = MESOS__V1__TASK_STATE__TASK_RUNNING;
    st.container_status = &cs;
    size_t li = mesos__v1__task_info__get_packed_size(&ti), ls = mesos__v1__task_status__get_packed_size(&st);
    uint8_t *bi = malloc(li), *bs = malloc(ls);
    mesos__v1__task_info__pack(&ti, bi);
    mesos__v1__task_status__pack(&st, bs);
    sdk_state_txn *t = sdk_state_txn_new(w->state);
    CHECK_INT(sdk_state_txn_put_task_info(t, task, bi, li), 0);
    CHECK_INT(sdk_state_txn_put_task_status(t, task, bs, ls), 0);
    CHECK_INT(sdk_state_txn_commit(t, NULL), 0);
    sdk_state_txn_free(t);
    free(bi);
    free(bs);
    free(id);
}

static void test_state_files_zones_refresh(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    expect(&w, "GET", "/v1/state/files", NULL, 200, "text/plain", "[]");
    call c;
    put_multipart(&w, &c, "/v1/state/files/VERSION", "file", "1.2.3", NULL);
    CHECK_INT(c.status, 200);
    CHECK_INT(c.body.len, 0);
    call_free(&c);
    put_multipart(&w, &c, "/v1/state/files/foo", NULL, NULL,
                  "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n"
                  "Content-Type: text/plain\r\n\r\nbar\r\n--XyZ--\r\n");
    call_free(&c);
    expect(&w, "GET", "/v1/state/files", NULL, 200, "text/plain", "[VERSION, foo]");
    expect(&w, "GET", "/v1/state/files/VERSION", NULL, 200, "text/plain", "1.2.3");
    expect(&w, "GET", "/v1/state/files/absent", NULL, 404, "text/plain", "Failed to get the file");
    /* stored as a property, as upstream */
    expect(&w, "GET", "/v1/state/properties/file-VERSION", NULL, 200, NULL, "1.2.3");
    /* refused without a change: too big, no 'file' field, not multipart */
    char big[1100];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    put_multipart(&w, &c, "/v1/state/files/VERSION", "file", big, NULL);
    CHECK_INT(c.status, 400);
    CHECK_STR(text(&c), "Stream exceeds 1024 byte size limit");
    call_free(&c);
    put_multipart(&w, &c, "/v1/state/files/VERSION", "other", "2.0", NULL);
    CHECK_INT(c.status, 400);
    CHECK_STR(text(&c), "Missing payload");
    call_free(&c);
    expect(&w, "PUT", "/v1/state/files/VERSION", "{\"file\": \"2.0\"}", 415, "text/plain", NULL);
    /* framed by another boundary than the header's: malformed */
    put_multipart(&w, &c, "/v1/state/files/VERSION", NULL, NULL,
                  "--Other\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n2.0");
    CHECK_INT(c.status, 400);
    CHECK_CONTAINS(text(&c), "Malformed multipart/form-data body");
    call_free(&c);
    expect(&w, "GET", "/v1/state/files/VERSION", NULL, 200, "text/plain", "1.2.3");

    /* zones */
    expect(&w, "GET", "/v1/state/zone/tasks", NULL, 200, "application/json", "{}\n");
    store_zoned_task(&w, "hello-0-server", "us-east-1a", "10.0.0.1");
    store_zoned_task(&w, "world-0-server", "us-east-1b", "10.0.0.2");
    req(&w, &c, "GET", "/v1/state/zone/tasks", NULL);
    CHECK_INT(c.status, 200);
    CHECK_INT(json_object_size(c.json), 2);
    CHECK_STR(jstr(c.json, "hello-0-server"), "us-east-1a");
    CHECK_STR(jstr(c.json, "world-0-server"), "us-east-1b");
    call_free(&c);
    expect(&w, "GET", "/v1/state/zone/tasks/world-0-server", NULL, 200, "text/plain", "us-east-1b");
    expect(&w, "GET", "/v1/state/zone/tasks/nope", NULL, 404, NULL, "");
    expect(&w, "GET", "/v1/state/zone/world/10.0.0.2", NULL, 200, "text/plain", "us-east-1b");
    expect(&w, "GET", "/v1/state/zone/hello/10.0.0.2", NULL, 404, NULL, ""); /* that IP is a world task's */
    expect(&w, "GET", "/v1/state/zone/world/10.9.9.9", NULL, 404, NULL, "");

    /* refresh: the store is not a cache of something written elsewhere: upstream's 409 */
    req(&w, &c, "PUT", "/v1/state/refresh", NULL);
    CHECK_INT(c.status, 409);
    CHECK_CONTAINS(text(&c), "State store is not cached");
    call_free(&c);
    expect(&w, "GET", "/v1/state/refresh", NULL, 405, "text/plain", NULL);
    world_down(&w);
}

static void test_properties(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    CHECK_INT(sdk_state_put_property(w.state, "api-test", "DEPLOY", 6, NULL), 0);
    call c;
    req(&w, &c, "GET", "/v1/state/properties", NULL);
    CHECK_INT(c.status, 200);
    bool found = false;
    for (size_t i = 0; i < json_array_size(c.json); i++)
        found |= !strcmp(json_string_value(json_array_get(c.json, i)), "api-test");
    CHECK(found);
    call_free(&c);
    expect(&w, "GET", "/v1/state/properties/api-test", NULL, 200, "application/json", "DEPLOY");
    expect(&w, "GET", "/v1/state/properties/absent", NULL, 404, "text/plain", "Property absent not found");
    world_down(&w);
}

static void test_plugin_routes(void) {
    world w;
    world_up(&w, true);
    if (!w.ok) { world_down(&w); return; }
    call c;
    req(&w, &c, "GET", "/v1/hello/greeting", NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(jstr(c.json, "greeting"), "Hello, world");
    CHECK_STR(jstr(c.json, "service"), "hello-world");
    call_free(&c);

    /* An asynchronous plugin answer: the request waits for the command while other requests
     * are served on the same loop. */
    call slow, quick;
    call_start(&w, &slow, "GET", "/v1/hello/uname", NULL);
    for (int i = 0; i < 40 && sdk_memory_backend_commands_pending(w.mb) == 0; i++) sdk_loop_run_once(w.l, 20);
    CHECK_INT(sdk_memory_backend_commands_pending(w.mb), 1);
    CHECK_STR(sdk_memory_backend_command_arg(w.mb, 0), "uname");
    req(&w, &quick, "GET", "/v1/plans", NULL);
    CHECK_INT(quick.status, 200);
    CHECK(!slow.done);
    CHECK(sdk_memory_backend_complete_command(w.mb, 0, "Linux sim 6.0\n", ""));
    run_until(&w, &slow);
    CHECK_INT(slow.status, 200);
    CHECK_STR(jstr(slow.json, "output"), "Linux sim 6.0");
    call_free(&slow);
    call_free(&quick);

    /* A client that leaves before the plugin answers: the late finish is dropped quietly. */
    call gone;
    call_start(&w, &gone, "GET", "/v1/hello/uname", NULL);
    for (int i = 0; i < 40 && sdk_memory_backend_commands_pending(w.mb) == 0; i++) sdk_loop_run_once(w.l, 20);
    CHECK_INT(sdk_memory_backend_commands_pending(w.mb), 1);
    sdk_curl_cancel(w.cu, gone.e);
    for (int i = 0; i < 5; i++) sdk_loop_run_once(w.l, 20);
    CHECK(sdk_memory_backend_complete_command(w.mb, 0, "late\n", ""));
    for (int i = 0; i < 3; i++) sdk_loop_run_once(w.l, 10);
    call_free(&gone);

    expect(&w, "GET", "/v1/hello/nothing", NULL, 404, "text/plain", "Not found");
    expect(&w, "GET", "/v9/a/b/c", NULL, 404, "text/plain", "Not found");
    /* plugin path, other method: the plugin's own 405 */
    expect(&w, "POST", "/v1/hello/greeting", NULL, 405, "application/json", NULL);
    world_down(&w);
}

static void test_no_plugin(void) {
    world w;
    world_up(&w, false);
    if (!w.ok) { world_down(&w); return; }
    expect(&w, "GET", "/v1/hello/greeting", NULL, 404, "text/plain", "Not found");
    expect(&w, "GET", "/v1/endpoints", NULL, 200, "application/json", "[]\n");
    world_down(&w);
}

static void test_options_refused(void) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_api *api = (sdk_api *)1;
    sdk_api_options o = {0};
    CHECK_INT(sdk_api_new((sdk_http_server *)&o, &o, &api, &errs), SDK_EINVAL);
    CHECK(api == NULL);
    CHECK(sdk_errors_contains(&errs, "service"));
    sdk_errors_free(&errs);
}

int main(void) {
    RUN(test_options_refused);
    RUN(test_before_registration);
    RUN(test_configurations);
    RUN(test_health_through_deploy);
    RUN(test_plan_commands);
    RUN(test_plan_errors_417);
    RUN(test_pods);
    RUN(test_pod_pause_resume_status);
    RUN(test_endpoints);
    RUN(test_metrics_and_debug);
    RUN(test_prometheus_checker_catches_errors);
    RUN(test_prometheus_exposition);
    RUN(test_debug_plans_and_task_statuses);
    RUN(test_state_files_zones_refresh);
    RUN(test_properties);
    RUN(test_plugin_routes);
    RUN(test_no_plugin);
    return check_summary("test_rest_api");
}
