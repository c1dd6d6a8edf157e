/* libFuzzer harness for the REST API's request handling, in process (no sockets): each input
 * is a short session of requests run through the server's router and handlers with
 * sdk_http_server_call_local (core/api/server.h) against a service deployed on the simulated
 * cluster. Every input gets a fresh service, state and server, so an input alone reproduces.
 *
 * Input: byte 0 picks how far the deploy got before the requests (bits 0-1: rounds of offers,
 * each followed by RUNNING statuses of the tasks launched; bit 2: the statuses are FAILED
 * instead). The rest is up to 16 requests separated by lines "~~~":
 *     METHOD /path?key=value&key2=value2      (query not percent-decoded)
 *     body...
 * Any route may be asked, including those taking JSON bodies: POST /v1/update (the options
 * go through the assembly and the configuration validators as in the scheduler),
 * POST /v1/plans/<plan>/start (parameters), POST /v1/pod/<pod>/pause|resume (task names).
 *
 * Nothing may crash, leak, hang or hit UB; every answer must have a status in 100..599 and a
 * NUL-terminated body.
 *
 * Build: `make fuzz-build` (libFuzzer binary and replay driver, see tests/fuzz/replay.c).
 * FUZZ_VERBOSE=1 in the environment prints each request's status and answer (to write seeds). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/api/sdk_api.h"
#include "core/loop/loop.h"
#include "core/service/assemble.h"
#include "core/sim/cluster.h"
#include "core/spec/envfile.h"
#include "core/state/store.h"
#include "core/util/log.h"
#include "core/util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_REQUESTS 16

static const char SPEC[] =
    "name: {{FRAMEWORK_NAME}}\n"
    "scheduler:\n"
    "  user: root\n"
    "pods:\n"
    "  hello:\n"
    "    count: {{HELLO_COUNT}}\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: sleep {{SLEEP}}\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "        volume:\n"
    "          path: data\n"
    "          type: ROOT\n"
    "          size: 16\n"
    "        ports:\n"
    "          http:\n"
    "            port: 0\n"
    "            advertise: true\n"
    "            vip:\n"
    "              prefix: hello\n"
    "              port: 80\n"
    "      sidecar:\n"
    "        goal: ONCE\n"
    "        cmd: echo $PLAN_PARAMETER\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "  world:\n"
    "    count: {{WORLD_COUNT}}\n"
    "    placement: '{{{WORLD_PLACEMENT}}}'\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: sleep {{SLEEP}}\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
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
    "        strategy: {{WORLD_STRATEGY}}\n"
    "  sidecar:\n"
    "    strategy: serial\n"
    "    phases:\n"
    "      run:\n"
    "        pod: hello\n"
    "        strategy: parallel\n"
    "        steps:\n"
    "          - default: [[sidecar]]\n";

static const sdk_kv ENV[] = {
    {"FRAMEWORK_NAME", "hello-world"}, {"HELLO_COUNT", "1"},       {"WORLD_COUNT", "2"},
    {"SLEEP", "1000"},                 {"WORLD_PLACEMENT", "[]"}, {"WORLD_STRATEGY", "serial"},
};

static char spec_path[64];
static pid_t spec_owner;

/* Only by the process that made it: the replay driver's children exit too. */
static void remove_spec(void) {
    if (getpid() == spec_owner) unlink(spec_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    sdk_log_set_level((sdk_log_level)(SDK_LOG_ERROR + 1)); /* refused requests are expected */
    snprintf(spec_path, sizeof spec_path, "%s/fuzz_rest_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(spec_path);
    if (fd < 0 || write(fd, SPEC, sizeof SPEC - 1) != (ssize_t)(sizeof SPEC - 1)) {
        perror("fuzz_rest: spec file");
        abort();
    }
    close(fd);
    spec_owner = getpid();
    atexit(remove_spec);
    return 0;
}

typedef struct world {
    sdk_loop *l;
    sdk_http_server *srv;
    sdk_api *api;
    sdk_sim_cluster sim;
    sdk_store *store;
    sdk_state *state;
    sdk_assembly as;
    sdk_assembly_input in;
    sdk_service *svc;
} world;

/* POST /v1/update, as the scheduler does it (core/app/run.c on_update, without the stored
 * options): rebuild the spec with the options, hand it to the service, undo on refusal. */
static int on_update(void *ud, const sdk_kv *opts, size_t n, bool replace, bool *bad_input, sdk_errors *errs) {
    (void)replace; /* each input starts from a fresh world: there are no earlier updates to replace */
    world *w = ud;
    size_t n_saved = 0;
    sdk_kv *saved = sdk_assembly_vars_dup(&w->as, &n_saved);
    sdk_spec *spec = NULL;
    if (sdk_assembly_rebuild_new(&w->as, &w->in, opts, n, &spec, errs)) {
        *bad_input = true;
        sdk_envfile_free(saved, n_saved);
        return SDK_EINVAL;
    }
    int rc = sdk_service_update_config(w->svc, spec, errs);
    if (rc) sdk_assembly_rollback(&w->as, saved, n_saved);
    else sdk_envfile_free(saved, n_saved);
    return rc;
}

static void add_scalar(sdk_resources *rs, const char *name, double v) {
    sdk_resource r;
    memset(&r, 0, sizeof r);
    r.name = (char *)name;
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    sdk_resources_add(rs, &r);
}

static void world_up(world *w) {
    memset(w, 0, sizeof *w);
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
    sdk_sim_add_agent(&w->sim, "node2", &rs);
    sdk_resources_free(&rs);

    sdk_errors errs;
    sdk_errors_init(&errs);
    w->in = (sdk_assembly_input){.spec_path = spec_path, .env = ENV, .n_env = sizeof ENV / sizeof ENV[0]};
    int rc = sdk_assemble(&w->in, &w->as, &errs);
    if (!rc) rc = sdk_store_memory_open(&w->store);
    if (!rc) rc = sdk_state_open_new(w->store, w->as.spec->name, &w->state, &errs);
    if (!rc) {
        sdk_service_options o = {.spec = w->as.spec, .state = w->state, .env = w->as.vars, .n_env = w->as.n_vars,
                                 .driver = sdk_sim_driver(), .driver_ctx = &w->sim,
                                 .backend = {.name = "the simulated cluster", .no_docker_images = true}};
        w->as.spec = NULL;
        rc = sdk_service_new(&o, &w->svc, &errs);
    }
    if (!rc) rc = sdk_service_on_registered(w->svc, "fuzz-framework-0001");
    if (!rc) rc = sdk_loop_new(&w->l);
    if (!rc) rc = sdk_http_server_new(w->l, NULL, &errs, &w->srv);
    if (!rc) {
        sdk_api_options ao = {.service = w->svc, .state = w->state, .update = on_update, .update_ud = w};
        rc = sdk_api_new(w->srv, &ao, &w->api, &errs);
    }
    if (rc) { /* the fixed world must come up: anything else is a bug of the harness or the core */
        sdk_errors_print(&errs, "fuzz_rest: world");
        abort();
    }
    sdk_errors_free(&errs);
}

static void world_down(world *w) {
    sdk_http_server_free(w->srv);
    sdk_api_free(w->api);
    sdk_loop_free(w->l);
    sdk_service_free(w->svc);
    sdk_assembly_free(&w->as);
    sdk_state_free(w->state);
    if (w->store) sdk_store_close(w->store);
    sdk_sim_free(&w->sim);
}

/* One round: an offer from every agent, then a status for every task not yet in `st`. */
static void deploy_round(world *w, sdk_tstate st) {
    for (size_t a = 0; a < w->sim.n_agents; a++) {
        sdk_offer o;
        sdk_sim_make_offer(&w->sim, &w->sim.agents[a], &o);
        sdk_service_on_offers(w->svc, &o, 1);
        sdk_offer_free_contents(&o);
    }
    for (size_t i = 0; i < w->sim.n_tasks; i++) {
        sdk_sim_task *t = &w->sim.tasks[i];
        if (t->state == st) continue;
        sdk_sim_set_state(&w->sim, t, st);
        unsigned char uuid[16] = {(unsigned char)i, 7};
        sdk_status_update u = {.task_id = t->task_id, .agent_id = t->agent_id, .state = st,
                               .ip = "10.0.0.1", .uuid = uuid, .uuid_len = sizeof uuid};
        sdk_service_on_status(w->svc, &u);
    }
}

/* Runs one request "METHOD /path?query\nbody" (text[0..len), not NUL-terminated). */
static void run_request(world *w, const char *text, size_t len) {
    const char *nl = memchr(text, '\n', len);
    size_t line_len = nl ? (size_t)(nl - text) : len;
    char *line = sdk_xstrndup(text, line_len);
    const char *body = nl ? nl + 1 : text + len;
    size_t body_len = (size_t)(text + len - body);
    char *sp = strchr(line, ' ');
    if (!sp) {
        free(line);
        return;
    }
    *sp = 0;
    char *path = sp + 1, *q = strchr(path, '?');
    sdk_kv query[16];
    size_t nq = 0;
    if (q) {
        *q++ = 0;
        for (char *save = NULL, *arg = strtok_r(q, "&", &save); arg && nq < 16; arg = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(arg, '=');
            if (eq) *eq++ = 0;
            query[nq].key = arg;
            query[nq++].value = eq ? eq : "";
        }
    }
    int status = 0;
    char *resp = NULL;
    size_t resp_len = 0;
    int rc = sdk_http_server_call_local(w->srv, line, path, query, nq, body, body_len, &status, &resp, &resp_len);
    if (rc == 0 && (status < 100 || status > 599)) {
        fprintf(stderr, "fuzz_rest: %s %s answered with status %d\n", line, path, status);
        abort();
    }
    if (rc == 0 && resp[resp_len] != 0) abort(); /* the copy is NUL-terminated */
    if (getenv("FUZZ_VERBOSE")) /* to see what a seed reaches */
        fprintf(stderr, "%s %s -> %d %.*s\n", line, path, status, resp_len > 300 ? 300 : (int)resp_len, resp ? resp : "");
    free(resp);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    world w;
    world_up(&w);
    unsigned rounds = data[0] & 3;
    sdk_tstate st = (data[0] & 4) ? SDK_TSTATE_FAILED : SDK_TSTATE_RUNNING;
    for (unsigned r = 0; r < rounds; r++) deploy_round(&w, st);
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    for (int n = 0; n < MAX_REQUESTS && p < end; n++) {
        const char *sep = memmem(p, (size_t)(end - p), "\n~~~\n", 5);
        const char *stop = sep ? sep : end;
        run_request(&w, p, (size_t)(stop - p));
        p = sep ? sep + 5 : end;
    }
    world_down(&w);
    return 0;
}
