/* bin/sdkctl ($SDK_BIN_DIR, default bin; built by `make`) run as a child process against the real
 * REST API served by this process: a service assembled from a spec, deployed on the simulated
 * cluster, its loop stepped while the child runs. Checks the text a user sees (trees byte for
 * byte, messages, errors on stderr) and the exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <netinet/in.h>
#include <unistd.h>

#include <jansson.h>

#include "core/api/sdk_api.h"
#include "core/loop/loop.h"
#include "core/plugin/memory_backend.h"
#include "core/service/assemble.h"
#include "core/sim/cluster.h"
#include "core/state/store.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include "tests/unit/check.h"

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

static const char TREE_PENDING[] =
    "deploy (serial strategy) (PENDING)\n"
    "├─ hello (serial strategy) (PENDING)\n"
    "│  └─ hello-0:[server] (PENDING)\n"
    "└─ world (serial strategy) (PENDING)\n"
    "   ├─ world-0:[server] (PENDING)\n"
    "   └─ world-1:[server] (PENDING)\n";

static const char TREE_COMPLETE[] =
    "deploy (serial strategy) (COMPLETE)\n"
    "├─ hello (serial strategy) (COMPLETE)\n"
    "│  └─ hello-0:[server] (COMPLETE)\n"
    "└─ world (serial strategy) (COMPLETE)\n"
    "   ├─ world-0:[server] (COMPLETE)\n"
    "   └─ world-1:[server] (COMPLETE)\n";

/* ------------------------------------------------------------------ world */

typedef struct world {
    sdk_loop *l;
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
    int deployed; /* tasks brought to RUNNING by deploy_next */
} world;

static void add_scalar(sdk_resources *rs, const char *name, double v) {
    sdk_resource r;
    memset(&r, 0, sizeof r);
    r.name = (char *)name;
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    sdk_resources_add(rs, &r);
}

/* A service on one simulated agent with its API on 127.0.0.1 (token: required bearer token or
 * NULL). */
static void world_up(world *w, const char *token) {
    memset(w, 0, sizeof *w);
    snprintf(w->spec_path, sizeof w->spec_path, "/tmp/test_sdkctl_XXXXXX");
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
    sdk_assembly_input in = {.spec_path = w->spec_path, .backend = &be};
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
    sdk_http_server_opts so = {.token = token};
    if (!rc) rc = sdk_http_server_new(w->l, &so, &errs, &w->srv);
    if (!rc) {
        sdk_api_options ao = {.service = w->svc, .state = w->state};
        rc = sdk_api_new(w->srv, &ao, &w->api, &errs);
    }
    CHECK_INT(rc, 0);
    if (rc) sdk_errors_print(&errs, "world_up");
    sdk_errors_free(&errs);
    if (w->srv) snprintf(w->base, sizeof w->base, "http://127.0.0.1:%u", sdk_http_server_port(w->srv));
    w->ok = rc == 0;
}

static void world_down(world *w) {
    sdk_http_server_free(w->srv);
    sdk_api_free(w->api);
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

/* Brings the next deploy step's task to RUNNING (hello-0, world-0, world-1 in turn). */
static void deploy_next(world *w) {
    static const char *tasks[] = {"hello-0-server", "world-0-server", "world-1-server"};
    static const char *ips[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
    if (w->deployed >= 3) return;
    offers(w);
    status(w, tasks[w->deployed], SDK_TSTATE_RUNNING, ips[w->deployed]);
    w->deployed++;
}

static void deploy_all(world *w) {
    sdk_service_on_registered(w->svc, "fw-0001");
    while (w->deployed < 3) deploy_next(w);
}

/* ------------------------------------------------------------------ running sdkctl */

typedef struct run {
    int code;  /* exit status, or 128+signal */
    sdk_buf out, err;
} run;

static void run_free(run *r) {
    sdk_buf_free(&r->out);
    sdk_buf_free(&r->err);
}

static const char *sdkctl_path(void) {
    static char path[512];
    const char *b = getenv("SDK_BIN_DIR");
    snprintf(path, sizeof path, "%s/sdkctl", b && *b ? b : "bin");
    return path;
}

/* Called between loop steps while the child runs; elapsed since its start. */
typedef void (*tick_fn)(world *w, uint64_t elapsed_ms, void *ud);

static void drain(int fd, sdk_buf *b, bool *open) {
    char tmp[4096];
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n > 0) {
            sdk_buf_append(b, tmp, (size_t)n);
            continue;
        }
        if (n == 0) *open = false;
        break;
    }
}

/* Runs sdkctl with args (NULL-terminated) and the environment variables in env ("K=V",
 * NULL-terminated; SDK_URL, SDK_TOKEN and SDK_CACERT are cleared first), stepping w's loop (w may
 * be NULL) until it exits. */
static void run_sdkctl_env(world *w, run *r, const char *const *env, tick_fn tick, void *ud, const char *const *args) {
    memset(r, 0, sizeof *r);
    sdk_buf_init(&r->out);
    sdk_buf_init(&r->err);
    r->code = -1;
    int po[2], pe[2];
    CHECK(pipe(po) == 0 && pipe(pe) == 0);
    const char *argv[40];
    size_t n = 0;
    argv[n++] = sdkctl_path();
    for (size_t i = 0; args[i] && n < 39; i++) argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(po[1]);
        close(pe[0]);
        close(pe[1]);
        unsetenv("SDK_URL");
        unsetenv("SDK_TOKEN");
        unsetenv("SDK_CACERT");
        for (size_t i = 0; env && env[i]; i++) putenv((char *)env[i]);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    fcntl(po[0], F_SETFL, O_NONBLOCK);
    fcntl(pe[0], F_SETFL, O_NONBLOCK);
    bool oo = true, eo = true, exited = false;
    int st = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (w) sdk_loop_run_once(w->l, 10);
        else {
            struct pollfd pf[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
            poll(pf, 2, 10);
        }
        drain(po[0], &r->out, &oo);
        drain(pe[0], &r->err, &eo);
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        uint64_t el = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000 + (uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (tick && w) tick(w, el, ud);
        if (!exited && waitpid(pid, &st, WNOHANG) == pid) exited = true;
        if (exited && !oo && !eo) break;
        if (el > 20000) {
            CHECK_MSG(false, "sdkctl %s did not finish in 20 s", args[0] ? args[0] : "");
            if (!exited) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                exited = true;
            }
            break;
        }
    }
    close(po[0]);
    close(pe[0]);
    r->code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (getenv("SDKCTL_DUMP"))
        fprintf(stderr, "---- sdkctl %s %s -> %d\n[stdout]\n%s[stderr]\n%s", args[0] ? args[0] : "",
                args[0] && args[1] ? args[1] : "", r->code, r->out.data ? r->out.data : "",
                r->err.data ? r->err.data : "");
}

static const char *out_of(const run *r) { return r->out.data ? r->out.data : ""; }
static const char *err_of(const run *r) { return r->err.data ? r->err.data : ""; }

/* sdkctl --url <world> args... */
#define SDKCTL(w, r, ...)                                                                  \
    do {                                                                                   \
        const char *a_[] = {"--url", (w)->base, __VA_ARGS__, NULL};                        \
        run_sdkctl_env((w), (r), NULL, NULL, NULL, a_);                                    \
    } while (0)

/* Runs one command and checks exit code, stdout and stderr (NULL: unchecked). */
static void expect_run(world *w, int code, const char *out, const char *err, const char *const *args) {
    const char *a[40] = {"--url", w->base};
    size_t n = 2;
    for (size_t i = 0; args[i] && n < 39; i++) a[n++] = args[i];
    a[n] = NULL;
    run r;
    run_sdkctl_env(w, &r, NULL, NULL, NULL, a);
    CHECK_MSG(r.code == code, "sdkctl %s %s: exit %d, want %d (stderr: %s)", args[0], args[1] ? args[1] : "", r.code,
              code, err_of(&r));
    if (out) CHECK_STR(out_of(&r), out);
    if (err) CHECK_STR(err_of(&r), err);
    run_free(&r);
}
#define EXPECT(w, code, out, err, ...)                                                     \
    do {                                                                                   \
        const char *a_[] = {__VA_ARGS__, NULL};                                            \
        expect_run((w), (code), (out), (err), a_);                                         \
    } while (0)

/* A port on 127.0.0.1 where nothing listens (bound, then closed). */
static unsigned free_port(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    CHECK(getsockname(s, (struct sockaddr *)&a, &len) == 0);
    close(s);
    return ntohs(a.sin_port);
}

/* ------------------------------------------------------------------ tests */

static void test_help_and_usage(void) {
    if (access(sdkctl_path(), X_OK) != 0) {
        CHECK_MSG(false, "%s is missing: run `make` first", sdkctl_path());
        return;
    }
    run r;
    const char *help[] = {"--help", NULL};
    run_sdkctl_env(NULL, &r, NULL, NULL, NULL, help);
    CHECK_INT(r.code, 0);
    CHECK_CONTAINS(out_of(&r), "usage: sdkctl [--url URL] [--token TOKEN] [--json] COMMAND ...");
    CHECK_CONTAINS(out_of(&r), "plan start PLAN [-p KEY=VALUE]...");
    CHECK_CONTAINS(out_of(&r), "SDK_URL");
    run_free(&r);

    const char *sub_help[] = {"plan", "start", "--help", NULL};
    run_sdkctl_env(NULL, &r, NULL, NULL, NULL, sub_help);
    CHECK_INT(r.code, 0);
    CHECK_CONTAINS(out_of(&r), "usage:\n  sdkctl plan start PLAN [-p KEY=VALUE]...\n");
    CHECK(!strstr(out_of(&r), "pod status"));
    run_free(&r);

    const char *pod_help[] = {"pod", "--help", NULL};
    run_sdkctl_env(NULL, &r, NULL, NULL, NULL, pod_help);
    CHECK_INT(r.code, 0);
    CHECK_CONTAINS(out_of(&r), "sdkctl pod pause POD [-t TASK]...");
    CHECK_CONTAINS(out_of(&r), "sdkctl pod status [POD]");
    run_free(&r);

    /* Usage errors never reach the network: the URL below has nothing listening. */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", free_port());
    static const struct {
        const char *args[6];
        const char *err;
    } bad[] = {
        {{"plan", "start", NULL}, "sdkctl plan start: missing PLAN\nusage:\n  sdkctl plan start PLAN [-p KEY=VALUE]...\n"},
        {{"plan", "force-complete", "deploy", "hello", NULL},
         "sdkctl plan force-complete: missing STEP\nusage:\n  sdkctl plan force-complete PLAN PHASE STEP\n"},
        {{"plan", "start", "sidecar", "-p", "NOEQUALS", NULL},
         "sdkctl plan start: parameter 'NOEQUALS' must be KEY=VALUE (for example -p SLEEP=5)\n"},
        {{"plan", "start", "sidecar", "-p", NULL}, "sdkctl plan start: option '-p' needs a value\n"},
        {{"plan", "launch", NULL}, "sdkctl plan: unknown subcommand 'launch'\n"},
        {{"plan", "show", "deploy", "--bogus", NULL}, "sdkctl plan show: unknown option '--bogus'\n"},
        {{"pod", "info", NULL}, "sdkctl pod info: missing POD\n"},
        {{"state", "property", NULL}, "sdkctl state property: missing KEY\n"},
        {{"update", "start", NULL}, "sdkctl update start: missing --options FILE\n"},
        {{"frobnicate", NULL}, "sdkctl: unknown command 'frobnicate' (see sdkctl --help)\n"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *a[10] = {"--url", url};
        size_t n = 2;
        for (size_t k = 0; bad[i].args[k]; k++) a[n++] = bad[i].args[k];
        a[n] = NULL;
        run_sdkctl_env(NULL, &r, NULL, NULL, NULL, a);
        CHECK_MSG(r.code == 2, "%s %s: exit %d", bad[i].args[0], bad[i].args[1] ? bad[i].args[1] : "", r.code);
        CHECK_MSG(!strncmp(err_of(&r), bad[i].err, strlen(bad[i].err)), "stderr '%s' should start with '%s'",
                  err_of(&r), bad[i].err);
        CHECK(!strstr(err_of(&r), "cannot reach"));
        CHECK_STR(out_of(&r), "");
        run_free(&r);
    }
    /* No command at all: the help, on stderr, exit 2. */
    const char *none[] = {NULL};
    run_sdkctl_env(NULL, &r, NULL, NULL, NULL, none);
    CHECK_INT(r.code, 2);
    CHECK_CONTAINS(err_of(&r), "sdkctl: missing command\n");
    run_free(&r);
}

static void test_unreachable(void) {
    unsigned port = free_port();
    char url[64], want[160], env_url[80];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    snprintf(want, sizeof want, "sdkctl: cannot reach the scheduler at %s: ", url);
    run r;
    const char *a[] = {"--url", url, "plan", "list", NULL};
    run_sdkctl_env(NULL, &r, NULL, NULL, NULL, a);
    CHECK_INT(r.code, 2);
    CHECK_MSG(!strncmp(err_of(&r), want, strlen(want)), "stderr: %s", err_of(&r));
    CHECK(sdk_str_ends(err_of(&r), "(is it running? set --url or SDK_URL)\n"));
    CHECK_STR(out_of(&r), "");
    run_free(&r);

    /* The same from SDK_URL (a trailing slash is fine), and --url wins over it. */
    snprintf(env_url, sizeof env_url, "SDK_URL=%s/", url);
    const char *env[] = {env_url, NULL};
    const char *b[] = {"pod", "status", NULL};
    run_sdkctl_env(NULL, &r, env, NULL, NULL, b);
    CHECK_INT(r.code, 2);
    CHECK_MSG(!strncmp(err_of(&r), want, strlen(want)), "stderr: %s", err_of(&r));
    run_free(&r);

    /* Without --url or SDK_URL the default is named. */
    const char *c[] = {"--json", "state", "framework-id", NULL};
    const char *env2[] = {"SDK_URL=", NULL};
    run_sdkctl_env(NULL, &r, env2, NULL, NULL, c);
    if (r.code == 2) CHECK_CONTAINS(err_of(&r), "at http://127.0.0.1:8080: ");
    run_free(&r);
}

static void test_plan_list_and_show(void) {
    world w;
    world_up(&w, NULL);
    if (!w.ok) { world_down(&w); return; }
    EXPECT(&w, 0, "[\n  \"deploy\",\n  \"recovery\",\n  \"sidecar\"\n]\n", "", "plan", "list");
    EXPECT(&w, 0, TREE_PENDING, "", "plan", "show", "deploy");
    EXPECT(&w, 0, TREE_PENDING, "", "plan", "status");  /* alias, default plan */
    EXPECT(&w, 1, "", "sdkctl: Plan nope not found (HTTP 404 from GET /v1/plans/nope)\n", "plan", "show", "nope");

    /* --json (before or after the command) prints the server's body verbatim. */
    run r;
    SDKCTL(&w, &r, "plan", "show", "deploy", "--json");
    CHECK_INT(r.code, 0);
    json_t *j = json_loads(out_of(&r), 0, NULL);
    CHECK(j != NULL);
    CHECK_STR(json_string_value(json_object_get(j, "status")), "PENDING");
    json_t *ph = json_array_get(json_object_get(j, "phases"), 0);
    CHECK(sdk_uuid_valid(json_string_value(json_object_get(ph, "id"))));
    CHECK(strstr(out_of(&r), "\n  \"phases\": [\n") != NULL);
    json_decref(j);
    run_free(&r);

    deploy_all(&w);
    /* Global options may follow the command; the last --url wins. */
    EXPECT(&w, 0, TREE_COMPLETE, "", "plan", "show", "deploy", "--url", w.base);
    world_down(&w);
}

static void test_plan_commands(void) {
    world w;
    world_up(&w, NULL);
    if (!w.ok) { world_down(&w); return; }
    sdk_service_on_registered(w.svc, "fw-0001");
    EXPECT(&w, 0, "Plan deploy has been paused.\n", "", "plan", "pause", "deploy");
    /* A second pause: the server answers 208. */
    EXPECT(&w, 1, "", "sdkctl: Cannot execute command. Command has already been issued or the plan has completed\n",
           "plan", "pause", "deploy");
    run r;
    SDKCTL(&w, &r, "plan", "show");
    CHECK_INT(r.code, 0);
    CHECK_STR(out_of(&r), "deploy (serial strategy) (WAITING)\n"
                          "├─ hello (serial strategy) (PENDING)\n"
                          "│  └─ hello-0:[server] (PENDING)\n"
                          "└─ world (serial strategy) (PENDING)\n"
                          "   ├─ world-0:[server] (PENDING)\n"
                          "   └─ world-1:[server] (PENDING)\n");
    run_free(&r);
    EXPECT(&w, 0, "Plan deploy has been resumed.\n", "", "plan", "resume", "deploy");
    EXPECT(&w, 0, "Phase world in plan deploy has been paused.\n", "", "plan", "interrupt", "deploy", "world");
    EXPECT(&w, 1, "", "sdkctl: Phase nope not found (HTTP 404 from POST /v1/plans/deploy/interrupt?phase=nope)\n",
           "plan", "pause", "deploy", "nope");
    EXPECT(&w, 0, "Phase world in plan deploy has been resumed.\n", "", "plan", "continue", "deploy", "world");

    /* Force-complete one step, then restart it. */
    EXPECT(&w, 0, "Step world-1:[server] in phase world in plan deploy has been forced to complete.\n", "", "plan",
           "force-complete", "deploy", "world", "world-1:[server]");
    SDKCTL(&w, &r, "plan", "show", "deploy");
    CHECK_CONTAINS(out_of(&r), "   └─ world-1:[server] (COMPLETE)\n");
    run_free(&r);
    EXPECT(&w, 1, "", "sdkctl: Cannot execute command. Command has already been issued or the plan has completed\n",
           "plan", "force", "deploy", "world", "world-1:[server]");
    EXPECT(&w, 0, "Step world-1:[server] in phase world in plan deploy has been restarted.\n", "", "plan",
           "force-restart", "deploy", "world", "world-1:[server]");
    SDKCTL(&w, &r, "plan", "show", "deploy");
    CHECK_CONTAINS(out_of(&r), "   └─ world-1:[server] (PENDING)\n");
    run_free(&r);

    /* --json prints the acknowledgement as the server sent it. */
    SDKCTL(&w, &r, "--json", "plan", "pause", "deploy");
    CHECK_INT(r.code, 0);
    CHECK_STR(out_of(&r), "{\n  \"message\": \"Received cmd: interrupt\"\n}\n");
    run_free(&r);
    EXPECT(&w, 0, "Plan deploy has been stopped.\n", "", "plan", "stop", "deploy");
    EXPECT(&w, 1, "", "sdkctl: Plan nope not found (HTTP 404 from POST /v1/plans/nope/stop)\n", "plan", "stop", "nope");
    world_down(&w);
}

static void test_plan_start_parameters(void) {
    world w;
    world_up(&w, NULL);
    if (!w.ok) { world_down(&w); return; }
    deploy_all(&w);
    /* Split at the first '='; the later of two equal keys wins. */
    EXPECT(&w, 0, "Plan sidecar has been started with parameters: {PLAN_PARAMETER=a=b, X=2}.\n", "", "plan", "start",
           "sidecar", "-p", "PLAN_PARAMETER=a=b", "--params=X=1", "-pX=2");
    offers(&w);
    sdk_sim_task *t = sdk_sim_task_find(&w.sim, "hello-0-sidecar");
    CHECK_MSG(t != NULL, "the sidecar was not launched");
    const char *pv = NULL;
    for (size_t i = 0; t && i < t->n_env; i++)
        if (!strcmp(t->env[i].key, "PLAN_PARAMETER")) pv = t->env[i].value;
    CHECK_STR(pv, "a=b");
    run r;
    SDKCTL(&w, &r, "plan", "show", "sidecar");
    CHECK_STR(out_of(&r), "sidecar (serial strategy) (STARTING)\n"
                          "└─ run (dependency strategy) (STARTING)\n"
                          "   └─ hello-0:[sidecar] (STARTING)\n");
    run_free(&r);
    /* A parameter that is no environment variable name: the server's 400 message. */
    SDKCTL(&w, &r, "plan", "start", "sidecar", "-p", "1BAD=x");
    CHECK_INT(r.code, 1);
    CHECK(sdk_str_starts(err_of(&r), "sdkctl: "));
    CHECK_CONTAINS(err_of(&r), "1BAD");
    CHECK_CONTAINS(err_of(&r), "(HTTP 400 from POST /v1/plans/sidecar/start)\n");
    run_free(&r);
    world_down(&w);
}

static void test_pods(void) {
    world w;
    world_up(&w, NULL);
    if (!w.ok) { world_down(&w); return; }
    EXPECT(&w, 0, "[]\n", "", "pod", "list");
    deploy_all(&w);
    EXPECT(&w, 0, "[\n  \"hello-0\",\n  \"world-0\",\n  \"world-1\"\n]\n", "", "pod", "list");
    EXPECT(&w, 0,
           "hello-world\n"
           "├─ hello\n"
           "│  └─ hello-0\n"
           "│     └─ hello-0-server (RUNNING)\n"
           "└─ world\n"
           "   ├─ world-0\n"
           "   │  └─ world-0-server (RUNNING)\n"
           "   └─ world-1\n"
           "      └─ world-1-server (RUNNING)\n",
           "", "pod", "status");
    status(&w, "world-1-server", SDK_TSTATE_FAILED, NULL);
    EXPECT(&w, 0, "world-1\n└─ world-1-server (FAILED)\n", "", "pods", "status", "world-1");
    EXPECT(&w, 1, "", "sdkctl: Pod nope not found (HTTP 404 from GET /v1/pod/nope/status)\n", "pod", "status", "nope");
    EXPECT(&w, 1, "", "sdkctl: Pod nope not found (HTTP 404 from POST /v1/pod/nope/restart)\n", "pod", "restart", "nope");
    run r;
    SDKCTL(&w, &r, "pod", "status", "hello-0", "--json");
    CHECK_INT(r.code, 0);
    json_t *j = json_loads(out_of(&r), 0, NULL);
    CHECK_STR(json_string_value(json_object_get(j, "name")), "hello-0");
    json_decref(j);
    run_free(&r);
    SDKCTL(&w, &r, "pod", "info", "hello-0");
    CHECK_INT(r.code, 0);
    j = json_loads(out_of(&r), 0, NULL);
    CHECK(json_is_array(j) && json_array_size(j) == 1);
    json_decref(j);
    run_free(&r);
    world_down(&w);
}

static void test_endpoints_config_state(void) {
    world w;
    world_up(&w, NULL);
    if (!w.ok) { world_down(&w); return; }
    EXPECT(&w, 1, "", "sdkctl: Framework ID not found (HTTP 404 from GET /v1/state/frameworkId)\n", "state",
           "framework-id");
    deploy_all(&w);
    EXPECT(&w, 0, "fw-0001\n", "", "state", "framework-id");
    EXPECT(&w, 0, "[\n  \"fw-0001\"\n]\n", "", "state", "framework_id", "--json");
    char *want = sdk_asprintf_new("%s\n", sdk_service_target_id(w.svc));
    EXPECT(&w, 0, want, "", "config", "target-id");
    free(want);
    run r;
    SDKCTL(&w, &r, "config", "list");
    CHECK_INT(r.code, 0);
    CHECK_CONTAINS(out_of(&r), sdk_service_target_id(w.svc));
    run_free(&r);
    SDKCTL(&w, &r, "config", "target");
    json_t *j = json_loads(out_of(&r), 0, NULL);
    CHECK_STR(json_string_value(json_object_get(j, "name")), "hello-world");
    json_decref(j);
    run_free(&r);
    EXPECT(&w, 1, "",
           "sdkctl: 'xyz' is not a configuration ID (a UUID; see `sdkctl config list`) (HTTP 400 from GET "
           "/v1/configurations/xyz)\n",
           "config", "show", "xyz");

    EXPECT(&w, 0, "[\n  \"http\"\n]\n", "", "endpoints");
    SDKCTL(&w, &r, "endpoints", "http");
    CHECK_INT(r.code, 0);
    j = json_loads(out_of(&r), 0, NULL);
    CHECK_CONTAINS(json_string_value(json_array_get(json_object_get(j, "address"), 0)), "10.0.0.1:");
    json_decref(j);
    run_free(&r);
    EXPECT(&w, 1, "",
           "sdkctl: no endpoint named 'nope' (list them with `sdkctl endpoints`) (HTTP 404 from GET "
           "/v1/endpoints/nope)\n",
           "endpoints", "nope");

    SDKCTL(&w, &r, "state", "properties");
    CHECK_INT(r.code, 0);
    j = json_loads(out_of(&r), 0, NULL);
    CHECK(json_is_array(j));
    json_decref(j);
    run_free(&r);
    SDKCTL(&w, &r, "debug", "offers");
    CHECK_INT(r.code, 0);
    j = json_loads(out_of(&r), 0, NULL);
    CHECK(json_is_object(j));
    json_decref(j);
    run_free(&r);
    world_down(&w);
}

/* Deploys one more task every 300 ms while `plan show --watch` runs. */
static void watch_tick(world *w, uint64_t el, void *ud) {
    (void)ud;
    if (el > 300 * (uint64_t)(w->deployed + 1)) deploy_next(w);
}

static void test_watch(void) {
    world w;
    world_up(&w, NULL);
    if (!w.ok) { world_down(&w); return; }
    sdk_service_on_registered(w.svc, "fw-0001");
    run r;
    const char *a[] = {"--url", w.base, "plan", "show", "deploy", "--watch", "--interval", "0.1", NULL};
    run_sdkctl_env(&w, &r, NULL, watch_tick, NULL, a);
    CHECK_INT(r.code, 0);
    const char *o = out_of(&r);
    /* The first frame is the pending plan; frames change only when the plan did; the last is
     * the complete plan with its progress line. */
    CHECK_MSG(sdk_str_starts(o, TREE_PENDING), "first frame: %s", o);
    CHECK_CONTAINS(o, "\ndeploy: 0/3 steps complete (PENDING)\n");
    CHECK_CONTAINS(o, "\ndeploy: 1/3 steps complete (IN_PROGRESS)\n");
    char *last = sdk_asprintf_new("%s\ndeploy: 3/3 steps complete (COMPLETE)\n", TREE_COMPLETE);
    CHECK_MSG(sdk_str_ends(o, last), "last frame: %s", o);
    free(last);
    size_t frames = 0;
    for (const char *p = o; (p = strstr(p, " steps complete (")); p++) frames++;
    CHECK_MSG(frames >= 4 && frames <= 8, "%zu frames", frames);
    run_free(&r);
    world_down(&w);
}

static void test_token(void) {
    world w;
    world_up(&w, "s3cret");
    if (!w.ok) { world_down(&w); return; }
    run r;
    SDKCTL(&w, &r, "plan", "list");
    CHECK_INT(r.code, 1);
    CHECK_CONTAINS(err_of(&r), "(HTTP 401 from GET /v1/plans)\n");
    CHECK_CONTAINS(err_of(&r), "set --token or SDK_TOKEN");
    run_free(&r);
    EXPECT(&w, 0, TREE_PENDING, "", "--token", "s3cret", "plan", "show");
    const char *env[] = {"SDK_TOKEN=s3cret", NULL};
    const char *a[] = {"--url", w.base, "plan", "show", NULL};
    run_sdkctl_env(&w, &r, env, NULL, NULL, a);
    CHECK_INT(r.code, 0);
    CHECK_STR(out_of(&r), TREE_PENDING);
    run_free(&r);
    world_down(&w);
}

/* ---- update start against a stand-in server: without the route, and with a recording one ---- */

typedef struct update_srv {
    char *body;
    int calls;
} update_srv;

static void h_update(sdk_http_req *req, void *ud) {
    update_srv *u = ud;
    u->calls++;
    free(u->body);
    u->body = sdk_xstrdup(sdk_http_req_body(req, NULL));
    json_t *j = json_pack("{s:s}", "message", "Update accepted: 2 option(s) changed");
    sdk_http_respond_json(req, 200, j);
    json_decref(j);
}

/* Stands in for the pod command routes (the service answers 501 for them until pod operations
 * land): records the body and content type, answers the dcos-commons shape. */
static void h_pod_cmd(sdk_http_req *req, void *ud) {
    update_srv *u = ud;
    u->calls++;
    free(u->body);
    const char *ct = sdk_http_req_header(req, "Content-Type");
    u->body = sdk_asprintf_new("%s %s [%s]", sdk_http_req_path(req), sdk_http_req_body(req, NULL), ct ? ct : "");
    json_t *j = json_pack("{s:s,s:[s,s]}", "pod", sdk_http_req_param(req, "pod"), "tasks", "hello-0-server",
                          "hello-0-sidecar");
    sdk_http_respond_json(req, 200, j);
    json_decref(j);
}

static void test_pod_commands_wire(void) {
    world w;
    memset(&w, 0, sizeof w);
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_loop_new(&w.l), 0);
    CHECK_INT(sdk_http_server_new(w.l, NULL, &errs, &w.srv), 0);
    if (!w.srv) { sdk_loop_free(w.l); sdk_errors_free(&errs); return; }
    snprintf(w.base, sizeof w.base, "http://127.0.0.1:%u", sdk_http_server_port(w.srv));
    update_srv u = {0};
    static const char *const verbs[] = {"restart", "replace", "pause", "resume"};
    for (int i = 0; i < 4; i++) {
        char pat[64];
        snprintf(pat, sizeof pat, "/v1/pod/{pod}/%s", verbs[i]);
        CHECK_INT(sdk_http_server_route(w.srv, "POST", pat, h_pod_cmd, &u, &errs), 0);
    }
    EXPECT(&w, 0, "Pod hello-0 is pausing: hello-0-server, hello-0-sidecar\n", "", "pod", "pause", "hello-0", "-t",
           "server", "--task=hello-0-sidecar");
    CHECK_STR(u.body, "/v1/pod/hello-0/pause [\"server\",\"hello-0-sidecar\"] [application/json]");
    EXPECT(&w, 0, "Pod hello-0 is resuming: hello-0-server, hello-0-sidecar\n", "", "pod", "resume", "hello-0");
    CHECK_STR(u.body, "/v1/pod/hello-0/resume  []");
    EXPECT(&w, 0, "Pod hello-0 is restarting: hello-0-server, hello-0-sidecar\n", "", "pod", "restart", "hello-0");
    CHECK_STR(u.body, "/v1/pod/hello-0/restart  []");
    EXPECT(&w, 0, "{\n  \"pod\": \"hello-0\",\n  \"tasks\": [\n    \"hello-0-server\",\n    \"hello-0-sidecar\"\n  ]\n}\n",
           "", "--json", "pod", "replace", "hello-0");
    CHECK_STR(u.body, "/v1/pod/hello-0/replace  []");
    /* -t belongs to pause/resume only. */
    EXPECT(&w, 2, "", NULL, "pod", "restart", "hello-0", "-t", "server");
    CHECK_INT(u.calls, 4);
    free(u.body);
    sdk_http_server_free(w.srv);
    sdk_loop_free(w.l);
    sdk_errors_free(&errs);
}

static void test_update_start(void) {
    world w;
    memset(&w, 0, sizeof w);
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_loop_new(&w.l), 0);
    CHECK_INT(sdk_http_server_new(w.l, NULL, &errs, &w.srv), 0);
    if (!w.srv) { sdk_loop_free(w.l); sdk_errors_free(&errs); return; }
    snprintf(w.base, sizeof w.base, "http://127.0.0.1:%u", sdk_http_server_port(w.srv));
    char path[] = "/tmp/test_sdkctl_opts_XXXXXX";
    int fd = mkstemp(path);
    const char opts[] = "{\"NODE_COUNT\": 3, \"TLS\": true, \"NAME\": \"x\"}";
    CHECK_INT(write(fd, opts, strlen(opts)), (long long)strlen(opts));
    close(fd);

    EXPECT(&w, 1, "",
           "sdkctl: this scheduler has no live update route (POST /v1/update answered 404); update it by "
           "restarting the scheduler with the new options\n",
           "update", "start", "--options", path);

    update_srv u = {0};
    CHECK_INT(sdk_http_server_route(w.srv, "POST", "/v1/update", h_update, &u, &errs), 0);
    EXPECT(&w, 0, "Update accepted: 2 option(s) changed\nFollow it with: sdkctl update status --watch\n", "", "update",
           "start", "--options", path);
    CHECK_INT(u.calls, 1);
    json_t *j = u.body ? json_loads(u.body, 0, NULL) : NULL;
    CHECK_STR(json_string_value(json_object_get(j, "NODE_COUNT")), "3");
    CHECK_STR(json_string_value(json_object_get(j, "TLS")), "true");
    CHECK_STR(json_string_value(json_object_get(j, "NAME")), "x");
    json_decref(j);

    /* Bad files are refused before any request, naming the file and the problem. */
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK_INT(write(fd, "{\"A\": [1]}", 10), 10);
    close(fd);
    run r;
    SDKCTL(&w, &r, "update", "start", "--options", path);
    CHECK_INT(r.code, 2);
    CHECK_CONTAINS(err_of(&r), path);
    CHECK_CONTAINS(err_of(&r), "the value of option 'A' must be a string, number or boolean");
    run_free(&r);
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK_INT(write(fd, "{\"A\": ", 6), 6);
    close(fd);
    SDKCTL(&w, &r, "update", "start", "--options", path);
    CHECK_INT(r.code, 2);
    CHECK_CONTAINS(err_of(&r), "cannot use options file");
    run_free(&r);
    SDKCTL(&w, &r, "update", "start", "--options", "/nonexistent/opts.json");
    CHECK_INT(r.code, 2);
    CHECK_CONTAINS(err_of(&r), "/nonexistent/opts.json");
    run_free(&r);
    CHECK_INT(u.calls, 1);

    unlink(path);
    free(u.body);
    sdk_http_server_free(w.srv);
    sdk_loop_free(w.l);
    sdk_errors_free(&errs);
}

static void test_update_status_is_deploy(void) {
    world w;
    world_up(&w, NULL);
    if (!w.ok) { world_down(&w); return; }
    EXPECT(&w, 0, TREE_PENDING, "", "update", "status");
    EXPECT(&w, 0, "Plan deploy has been paused.\n", "", "update", "pause");
    world_down(&w);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    RUN(test_help_and_usage);
    RUN(test_unreachable);
    RUN(test_plan_list_and_show);
    RUN(test_plan_commands);
    RUN(test_plan_start_parameters);
    RUN(test_pods);
    RUN(test_endpoints_config_state);
    RUN(test_watch);
    RUN(test_token);
    RUN(test_pod_commands_wire);
    RUN(test_update_start);
    RUN(test_update_status_is_deploy);
    return check_summary("test_sdkctl");
}
