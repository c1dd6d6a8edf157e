/* core/plugin/live_backend through the real host table on a real loop: hello.so's asynchronous
 * /v1/hello/uname route, and an in-process "probe" plugin that uses properties (persisted in a
 * memory store, scoped per plugin), timers, commands, task queries against a real service on
 * the simulated cluster, and logging. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"
#include "core/loop/loop.h"
#include "core/plugin/live_backend.h"
#include "core/plugin/loader.h"
#include "core/plugin/plugin.h"
#include "core/service/service.h"
#include "core/sim/cluster.h"
#include "core/state/layout.h"
#include "core/state/store.h"
#include "core/util/str.h"

#define HELLO_SO "plugins/hello/hello.so"

/* ---- the probe plugin: the test drives the host table through its state ------------------ */

typedef struct probe {
    const sdk_host_api *api;
    sdk_plugin_host *host;
    int fired[8];       /* timer arg (an index) -> times fired */
    int order[8], n_order;
    int cmd_calls;
    int cmd_exit;
    bool cmd_timed_out;
    char cmd_out[256], cmd_err[256];
} probe;

static int probe_init(const sdk_host_api *api, sdk_plugin_host *host, void **state,
                      sdk_plugin_errors *errs) {
    (void)errs;
    probe *p = calloc(1, sizeof *p);
    p->api = api;
    p->host = host;
    *state = p;
    return 0;
}
static void probe_fini(void *state) { free(state); }

static const sdk_plugin_descriptor PROBE = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "probe",
    .version = "1",
    .init = probe_init,
    .fini = probe_fini,
};

static void probe_timer(void *state, uint64_t id, void *arg) {
    (void)id;
    probe *p = state;
    int i = (int)(intptr_t)arg;
    p->fired[i]++;
    if (p->n_order < 8) p->order[p->n_order++] = i;
}

static void probe_cmd(void *state, uint64_t id, void *arg, const sdk_plugin_command_result *r) {
    (void)id;
    (void)arg;
    probe *p = state;
    p->cmd_calls++;
    p->cmd_exit = r->exit_code;
    p->cmd_timed_out = r->timed_out;
    snprintf(p->cmd_out, sizeof p->cmd_out, "%.*s", (int)r->out_len, r->out);
    snprintf(p->cmd_err, sizeof p->cmd_err, "%.*s", (int)r->err_len, r->err);
}

/* ---- fixture: loop + memory store + state + backend + plugin instance --------------------- */

typedef struct fx {
    sdk_loop *loop;
    sdk_store *store;
    sdk_state *state;
    sdk_live_backend *be;
    sdk_plugin_instance *in;
    sdk_errors e;
} fx;

static bool fx_open_state(fx *f) {
    sdk_errors_init(&f->e);
    CHECK_INT(sdk_loop_new(&f->loop), 0);
    CHECK_INT(sdk_store_memory_open(&f->store), 0);
    if (!f->loop || !f->store) return false;
    CHECK_INT(sdk_state_open_new(f->store, "probe-svc", &f->state, &f->e), 0);
    return f->state != NULL;
}

/* Creates the backend on f's loop/state and an instance of lib over it. */
static bool fx_instance(fx *f, sdk_plugin_lib *lib) {
    CHECK_INT(sdk_live_backend_new(f->loop, f->state, NULL, &f->be), 0);
    if (!f->be) return false;
    sdk_plugin_backend v = sdk_live_backend_vtable(f->be);
    int rc = sdk_plugin_instance_new(lib, &v, NULL, 0, &f->in, &f->e);
    CHECK_INT(rc, 0);
    if (rc) sdk_errors_print(&f->e, "instance");
    return rc == 0;
}

static bool fx_probe(fx *f) {
    sdk_plugin_lib *lib = NULL;
    CHECK_INT(sdk_plugin_lib_static(&PROBE, "probe(test)", &lib, &f->e), 0);
    if (!lib) return false;
    bool ok = fx_instance(f, lib);
    sdk_plugin_lib_close(lib);
    return ok;
}

static probe *fx_state(fx *f) { return f->in ? sdk_plugin_instance_state(f->in) : NULL; }

static void fx_close_instance(fx *f) {
    sdk_plugin_instance_free(f->in); /* before the backend: it cancels through it */
    f->in = NULL;
    sdk_live_backend_free(f->be);
    f->be = NULL;
}

static void fx_close(fx *f) {
    fx_close_instance(f);
    sdk_state_free(f->state);
    sdk_store_close(f->store);
    sdk_loop_free(f->loop);
    sdk_errors_free(&f->e);
}

static void spin(fx *f, const int *flag, int want, uint64_t max_ms) {
    uint64_t t0 = sdk_loop_now_ms(f->loop);
    while (*flag < want && sdk_loop_now_ms(f->loop) - t0 < max_ms) sdk_loop_run_once(f->loop, 20);
}

/* ---- hello.so: the asynchronous uname route ----------------------------------------------- */

typedef struct finished {
    int calls, status;
    char *body;
} finished;

static void on_finish(sdk_plugin_response *r, void *ctx) {
    finished *fin = ctx;
    fin->calls++;
    fin->status = r->status;
    free(fin->body);
    fin->body = sdk_xstrndup(r->body.data ? r->body.data : "", r->body.len);
}

static void test_hello_uname_async(void) {
    fx f = {0};
    if (!fx_open_state(&f)) goto out;
    sdk_plugin_lib *lib = NULL;
    CHECK_INT(sdk_plugin_lib_open(HELLO_SO, &lib, &f.e), 0);
    if (!lib) {
        sdk_errors_print(&f.e, "hello");
        goto out;
    }
    sdk_kv *opts = NULL;
    size_t n_opts = 0;
    CHECK_INT(sdk_plugin_options_merge_new(lib, NULL, 0, NULL, 0, &opts, &n_opts, &f.e), 0);
    CHECK_INT(sdk_live_backend_new(f.loop, f.state, NULL, &f.be), 0);
    sdk_plugin_backend v = sdk_live_backend_vtable(f.be);
    CHECK_INT(sdk_plugin_instance_new(lib, &v, opts, n_opts, &f.in, &f.e), 0);
    sdk_plugin_lib_close(lib);
    sdk_plugin_kv_free(opts, n_opts);
    if (!f.in) goto out;

    finished fin = {0};
    sdk_plugin_http_request req = {.method = "GET", .path = "/v1/hello/uname"};
    sdk_plugin_response *resp = sdk_plugin_response_new(on_finish, &fin);
    bool pending = false;
    CHECK_INT(sdk_plugin_dispatch(f.in, &req, resp, &pending), 0);
    CHECK(pending);             /* the handler suspended: uname runs in the background */
    CHECK_INT(fin.calls, 0);
    CHECK_INT(sdk_live_backend_pending(f.be), 1);
    spin(&f, &fin.calls, 1, 10000);
    CHECK_INT(fin.calls, 1);
    CHECK_INT(fin.status, 200);
    CHECK_CONTAINS(fin.body, "\"exit_code\": 0");
    struct utsname u;
    uname(&u);
    CHECK_CONTAINS(fin.body, u.sysname); /* the real output of `uname -a` */
    CHECK_CONTAINS(fin.body, u.nodename);
    CHECK_INT(sdk_live_backend_pending(f.be), 0);
    free(fin.body);
    fin.body = NULL;

    /* A second request still in flight when the instance goes away: answered 503, and the
     * command's completion never reaches the freed plugin. */
    resp = sdk_plugin_response_new(on_finish, &fin);
    CHECK_INT(sdk_plugin_dispatch(f.in, &req, resp, &pending), 0);
    CHECK(pending);
    fx_close_instance(&f);
    CHECK_INT(fin.calls, 2);
    CHECK_INT(fin.status, 503);
    for (int i = 0; i < 5; i++) sdk_loop_run_once(f.loop, 10);
    CHECK_INT(fin.calls, 2);
    free(fin.body);
out:
    fx_close(&f);
}

/* ---- properties ---------------------------------------------------------------------------- */

static void test_properties_persist_and_scope(void) {
    fx f = {0};
    if (!fx_open_state(&f) || !fx_probe(&f)) goto out;
    probe *p = fx_state(&f);
    const sdk_host_api *a = p->api;
    /* A core property with the same key the plugin will use. */
    CHECK_INT(sdk_state_put_property(f.state, "color", "core-red", 8, &f.e), 0);

    char *val = NULL;
    size_t len = 0;
    CHECK_INT(a->property_get(p->host, "color", &val, &len), SDK_PLUGIN_ENOENT);
    CHECK_INT(a->property_set(p->host, "color", "blue", 4), SDK_PLUGIN_OK);
    CHECK_INT(a->property_set(p->host, "bin.data", "a\0b", 3), SDK_PLUGIN_OK);
    CHECK_INT(a->property_get(p->host, "color", &val, &len), SDK_PLUGIN_OK);
    CHECK_STR(val, "blue");
    CHECK_INT(len, 4);
    a->free(val);

    /* Stored under the plugin's prefix; the core property is untouched. */
    void *buf = NULL;
    CHECK_INT(sdk_state_property_get_new(f.state, "plugin.probe.color", &buf, &len, &f.e), 0);
    CHECK_STR(buf, "blue");
    free(buf);
    CHECK_INT(sdk_state_property_get_new(f.state, "color", &buf, &len, &f.e), 0);
    CHECK_STR(buf, "core-red");
    free(buf);
    /* A plugin cannot reach core keys such as "<task>:task-status" (bad key for the host). */
    CHECK_INT(a->property_set(p->host, "app-0-server:task-status", "x", 1), SDK_PLUGIN_EINVAL);

    /* Durable: a new state handle (and a new backend and instance) on the same store sees it. */
    fx_close_instance(&f);
    sdk_state_free(f.state);
    f.state = NULL;
    CHECK_INT(sdk_state_open_new(f.store, "probe-svc", &f.state, &f.e), 0);
    if (!f.state || !fx_probe(&f)) goto out;
    p = fx_state(&f);
    CHECK_INT(a->property_get(p->host, "color", &val, &len), SDK_PLUGIN_OK);
    CHECK_STR(val, "blue");
    a->free(val);
    CHECK_INT(a->property_get(p->host, "bin.data", &val, &len), SDK_PLUGIN_OK);
    CHECK_INT(len, 3);
    CHECK(val && memcmp(val, "a\0b", 3) == 0 && val[3] == 0);
    a->free(val);

    CHECK_INT(a->property_delete(p->host, "color"), SDK_PLUGIN_OK);
    CHECK_INT(a->property_delete(p->host, "color"), SDK_PLUGIN_ENOENT);
    CHECK_INT(a->property_get(p->host, "color", &val, &len), SDK_PLUGIN_ENOENT);
    CHECK_INT(sdk_state_property_get_new(f.state, "plugin.probe.color", &buf, &len, NULL),
              SDK_ENOENT);
    CHECK_INT(sdk_state_property_get_new(f.state, "color", &buf, &len, &f.e), 0);
    CHECK_STR(buf, "core-red"); /* deleting the plugin's key left the core one alone */
    free(buf);
out:
    fx_close(&f);
}

static void test_properties_without_state(void) {
    fx f = {0};
    sdk_errors_init(&f.e);
    CHECK_INT(sdk_loop_new(&f.loop), 0);
    if (!f.loop || !fx_probe(&f)) goto out;
    probe *p = fx_state(&f);
    char *val = NULL;
    size_t len = 0;
    CHECK_INT(p->api->property_set(p->host, "k", "v", 1), SDK_PLUGIN_ESTATE);
    CHECK_INT(p->api->property_get(p->host, "k", &val, &len), SDK_PLUGIN_ESTATE);
    CHECK_INT(p->api->property_delete(p->host, "k"), SDK_PLUGIN_ESTATE);
out:
    fx_close(&f);
}

/* ---- timers -------------------------------------------------------------------------------- */

static void test_timers_fire_in_order_and_cancel(void) {
    fx f = {0};
    if (!fx_open_state(&f) || !fx_probe(&f)) goto out;
    probe *p = fx_state(&f);
    const sdk_host_api *a = p->api;
    uint64_t t0 = 0, t1 = 0, t2 = 0;
    uint64_t start = sdk_loop_now_ms(f.loop);
    CHECK_INT(a->timer_start(p->host, 80, probe_timer, (void *)(intptr_t)0, &t0), 0);
    CHECK_INT(a->timer_start(p->host, 20, probe_timer, (void *)(intptr_t)1, &t1), 0);
    CHECK_INT(a->timer_start(p->host, 40, probe_timer, (void *)(intptr_t)2, &t2), 0);
    CHECK(t0 > 0 && t1 > 0 && t2 > 0 && t0 != t1 && t1 != t2 && t0 != t2);
    CHECK_INT(sdk_live_backend_pending(f.be), 3);
    CHECK_INT(a->timer_cancel(p->host, t2), 0);
    CHECK_INT(a->timer_cancel(p->host, t2), SDK_PLUGIN_ENOENT);
    CHECK_INT(p->n_order, 0); /* nothing fires before the loop runs */
    spin(&f, &p->fired[0], 1, 3000);
    CHECK(sdk_loop_now_ms(f.loop) - start >= 80);
    CHECK_INT(p->n_order, 2);
    CHECK_INT(p->order[0], 1); /* 20 ms before 80 ms */
    CHECK_INT(p->order[1], 0);
    CHECK_INT(p->fired[2], 0); /* cancelled */
    CHECK_INT(a->timer_cancel(p->host, t0), SDK_PLUGIN_ENOENT); /* already fired */
    CHECK_INT(sdk_live_backend_pending(f.be), 0);
    for (int i = 0; i < 4; i++) sdk_loop_run_once(f.loop, 20);
    CHECK_INT(p->fired[0] + p->fired[1] + p->fired[2], 2); /* one-shot */
out:
    fx_close(&f);
}

/* ---- commands ------------------------------------------------------------------------------ */

static void test_commands_through_host(void) {
    fx f = {0};
    if (!fx_open_state(&f) || !fx_probe(&f)) goto out;
    probe *p = fx_state(&f);
    const sdk_host_api *a = p->api;
    static const char *const sh[] = {"sh", "-c", "echo \"$X\"; echo warn >&2; exit 3", NULL};
    static const char *const env[] = {"X=from-env", "PATH=/usr/bin:/bin", NULL};
    sdk_plugin_command cmd = {.size = sizeof cmd, .argv = sh, .env = env};
    uint64_t id = 0;
    CHECK_INT(a->run_command(p->host, &cmd, probe_cmd, NULL, &id), 0);
    CHECK(id > 0);
    CHECK_INT(p->cmd_calls, 0);
    spin(&f, &p->cmd_calls, 1, 5000);
    CHECK_INT(p->cmd_calls, 1);
    CHECK_INT(p->cmd_exit, 3);
    CHECK_STR(p->cmd_out, "from-env\n");
    CHECK_STR(p->cmd_err, "warn\n");
    CHECK_INT(a->command_cancel(p->host, id), SDK_PLUGIN_ENOENT);

    static const char *const missing[] = {"sdk-no-such-tool", NULL};
    cmd = (sdk_plugin_command){.size = sizeof cmd, .argv = missing};
    CHECK_INT(a->run_command(p->host, &cmd, probe_cmd, NULL, NULL), 0);
    spin(&f, &p->cmd_calls, 2, 5000);
    CHECK_INT(p->cmd_calls, 2);
    CHECK_INT(p->cmd_exit, -1);
    CHECK_CONTAINS(p->cmd_err, "could not start: 'sdk-no-such-tool'");

    static const char *const slow[] = {"sleep", "100", NULL};
    cmd = (sdk_plugin_command){.size = sizeof cmd, .argv = slow, .timeout_ms = 100};
    CHECK_INT(a->run_command(p->host, &cmd, probe_cmd, NULL, NULL), 0);
    spin(&f, &p->cmd_calls, 3, 5000);
    CHECK_INT(p->cmd_calls, 3);
    CHECK(p->cmd_timed_out);
    CHECK_INT(p->cmd_exit, -1);

    /* Cancelled: never reported. */
    cmd = (sdk_plugin_command){.size = sizeof cmd, .argv = slow};
    CHECK_INT(a->run_command(p->host, &cmd, probe_cmd, NULL, &id), 0);
    CHECK_INT(a->command_cancel(p->host, id), 0);
    CHECK_INT(sdk_live_backend_pending(f.be), 0);
    for (int i = 0; i < 5; i++) sdk_loop_run_once(f.loop, 20);
    CHECK_INT(p->cmd_calls, 3);
out:
    fx_close(&f);
}

/* Reads a pid the command wrote to path, waiting on the loop. */
static int wait_pid_file(fx *f, const char *path) {
    uint64_t t0 = sdk_loop_now_ms(f->loop);
    while (sdk_loop_now_ms(f->loop) - t0 < 5000) {
        FILE *fp = fopen(path, "r");
        int pid = 0;
        if (fp) {
            int ok = fscanf(fp, "%d", &pid);
            fclose(fp);
            if (ok == 1 && pid > 0) return pid;
        }
        sdk_loop_run_once(f->loop, 20);
    }
    return -1;
}

static void test_cancelled_on_instance_free(void) {
    fx f = {0};
    if (!fx_open_state(&f) || !fx_probe(&f)) goto out;
    probe *p = fx_state(&f);
    const sdk_host_api *a = p->api;
    char pidfile[] = "/tmp/sdk-live-backend-XXXXXX";
    int fd = mkstemp(pidfile);
    CHECK(fd >= 0);
    if (fd < 0) goto out;
    close(fd);
    unlink(pidfile);
    char script[200];
    snprintf(script, sizeof script, "echo $$ > %s.tmp && mv %s.tmp %s && exec sleep 100", pidfile,
             pidfile, pidfile);
    const char *argv[] = {"sh", "-c", script, NULL};
    sdk_plugin_command cmd = {.size = sizeof cmd, .argv = argv};
    CHECK_INT(a->run_command(p->host, &cmd, probe_cmd, NULL, NULL), 0);
    CHECK_INT(a->timer_start(p->host, 200, probe_timer, (void *)(intptr_t)0, NULL), 0);
    int pid = wait_pid_file(&f, pidfile);
    CHECK(pid > 0);
    CHECK_INT(sdk_live_backend_pending(f.be), 2);
    CHECK_INT(p->fired[0], 0);

    /* The plugin's state is freed by fini: a late callback would be a use after free, which the
     * sanitizer build reports. */
    sdk_plugin_instance_free(f.in);
    f.in = NULL;
    CHECK_INT(sdk_live_backend_pending(f.be), 0);
    uint64_t t0 = sdk_loop_now_ms(f.loop);
    bool gone = false;
    while (!gone && sdk_loop_now_ms(f.loop) - t0 < 3000) {
        sdk_loop_run_once(f.loop, 20);
        gone = pid > 0 && kill(pid, 0) != 0 && errno == ESRCH; /* killed and reaped */
    }
    CHECK(gone);
    for (int i = 0; i < 15; i++) sdk_loop_run_once(f.loop, 20); /* past the timer's deadline */
    CHECK_INT(sdk_loop_timer_count(f.loop), 0);
    unlink(pidfile);
out:
    fx_close(&f);
}

/* ---- task queries -------------------------------------------------------------------------- */

static const char SPEC[] =
    "name: probe-svc\n"
    "pods:\n"
    "  app:\n"
    "    count: 2\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: \"sleep 1000\"\n"
    "        cpus: 0.1\n"
    "        memory: 32\n";

static void add_scalar(sdk_resources *rs, const char *name, double v) {
    sdk_resource r;
    memset(&r, 0, sizeof r);
    r.name = (char *)name;
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    sdk_resources_add(rs, &r);
}

static void send_status(sdk_service *svc, sdk_sim_cluster *sim, const char *task, sdk_tstate st,
                        const char *ip) {
    sdk_sim_task *t = sdk_sim_task_find(sim, task);
    CHECK_MSG(t != NULL, "task %s launched", task);
    if (!t) return;
    sdk_sim_set_state(sim, t, st);
    unsigned char uuid[16] = {7};
    sdk_status_update u = {.task_id = t->task_id, .agent_id = t->agent_id, .state = st, .ip = ip,
                           .uuid = uuid, .uuid_len = sizeof uuid};
    sdk_service_on_status(svc, &u);
}

static void test_task_queries(void) {
    fx f = {0};
    sdk_sim_cluster sim;
    sdk_sim_init(&sim);
    sdk_service *svc = NULL;
    if (!fx_open_state(&f) || !fx_probe(&f)) goto out;
    probe *p = fx_state(&f);
    const sdk_host_api *a = p->api;
    char **names = NULL;
    uint32_t n = 0;

    /* Before the service exists: not available. */
    CHECK_INT(a->pod_tasks(p->host, "app", -1, &names, &n), SDK_PLUGIN_ESTATE);
    CHECK(names == NULL && n == 0);
    CHECK(a->task_state(p->host, "app-0-server") == NULL);
    CHECK(a->task_ip(p->host, "app-0-server") == NULL);
    CHECK(a->task_agent(p->host, "app-0-server") == NULL);

    sdk_spec *spec = NULL;
    CHECK_INT(sdk_spec_parse(SPEC, strlen(SPEC), "probe svc.yml", NULL, &spec, &f.e), 0);
    if (!spec) {
        sdk_errors_print(&f.e, "spec");
        goto out;
    }
    sdk_resources rs;
    sdk_resources_init(&rs);
    add_scalar(&rs, "cpus", 4);
    add_scalar(&rs, "mem", 4096);
    add_scalar(&rs, "disk", 10000);
    sdk_sim_add_agent(&sim, "agent-1.example", &rs);
    sdk_resources_free(&rs);
    sdk_service_options o = {.spec = spec, .state = f.state, .driver = sdk_sim_driver(),
                             .driver_ctx = &sim,
                             .backend = {.name = "the simulated cluster", .no_docker_images = true}};
    int rc = sdk_service_new(&o, &svc, &f.e);
    CHECK_INT(rc, 0);
    if (rc) {
        sdk_errors_print(&f.e, "service");
        goto out;
    }
    sdk_live_backend_attach_service(f.be, svc);
    CHECK_INT(a->pod_tasks(p->host, "app", -1, &names, &n), SDK_PLUGIN_OK);
    CHECK_INT(n, 0); /* nothing launched yet */
    a->free(names);

    CHECK_INT(sdk_service_on_registered(svc, "fw-1"), 0);
    /* Serial deploy: one pod instance per offer cycle. */
    for (int round = 0; round < 2; round++) {
        sdk_offer off;
        sdk_sim_make_offer(&sim, &sim.agents[0], &off);
        sdk_service_on_offers(svc, &off, 1);
        sdk_offer_free_contents(&off);
        char name[32];
        snprintf(name, sizeof name, "app-%d-server", round);
        send_status(svc, &sim, name, SDK_TSTATE_RUNNING, round == 0 ? "10.0.0.7" : NULL);
    }
    CHECK_INT(a->pod_tasks(p->host, "app", -1, &names, &n), SDK_PLUGIN_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(names[0], "app-0-server");
        CHECK_STR(names[1], "app-1-server");
        CHECK(names[2] == NULL);
    }
    a->free(names);
    CHECK_INT(a->pod_tasks(p->host, "app", 1, &names, &n), SDK_PLUGIN_OK);
    CHECK_INT(n, 1);
    if (n == 1) CHECK_STR(names[0], "app-1-server");
    a->free(names);
    CHECK_INT(a->pod_tasks(p->host, "nope", -1, &names, &n), SDK_PLUGIN_OK);
    CHECK_INT(n, 0);
    a->free(names);

    CHECK_STR(a->task_state(p->host, "app-0-server"), "TASK_RUNNING");
    CHECK_STR(a->task_agent(p->host, "app-0-server"), "agent-1.example");
    CHECK_STR(a->task_ip(p->host, "app-0-server"), "10.0.0.7");
    CHECK(a->task_ip(p->host, "app-1-server") == NULL); /* no status carried an IP */
    CHECK(a->task_state(p->host, "app-9-server") == NULL);
    CHECK(a->task_agent(p->host, "app-9-server") == NULL);

    /* A later status without an IP keeps the last known one; the state follows. */
    const char *ip_before = a->task_ip(p->host, "app-0-server");
    send_status(svc, &sim, "app-0-server", SDK_TSTATE_FAILED, NULL);
    CHECK_STR(a->task_state(p->host, "app-0-server"), "TASK_FAILED");
    const char *ip_after = a->task_ip(p->host, "app-0-server");
    CHECK_STR(ip_after, "10.0.0.7");
    CHECK(ip_before == ip_after); /* the same borrowed string: an earlier pointer stays valid */

    sdk_live_backend_attach_service(f.be, NULL);
    CHECK(a->task_state(p->host, "app-0-server") == NULL);
    CHECK_INT(a->pod_tasks(p->host, "app", -1, &names, &n), SDK_PLUGIN_ESTATE);
out:
    fx_close_instance(&f);
    sdk_service_free(svc);
    sdk_sim_free(&sim);
    fx_close(&f);
}

/* ---- logging ------------------------------------------------------------------------------- */

static void test_log_names_plugin(void) {
    fx f = {0};
    if (!fx_open_state(&f) || !fx_probe(&f)) goto out;
    probe *p = fx_state(&f);
    char path[] = "/tmp/sdk-live-log-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) goto out;
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    p->api->log(p->host, SDK_PLUGIN_LOG_WARN, "disk %d%% full", 93);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    char *text = NULL;
    CHECK_INT(sdk_read_file_new(path, &text, NULL), 0);
    CHECK_CONTAINS(text, "plugin:probe");
    CHECK_CONTAINS(text, "disk 93% full");
    CHECK_CONTAINS(text, "WARN");
    free(text);
    unlink(path);
out:
    fx_close(&f);
}

int main(void) {
    RUN(test_hello_uname_async);
    RUN(test_properties_persist_and_scope);
    RUN(test_properties_without_state);
    RUN(test_timers_fire_in_order_and_cancel);
    RUN(test_commands_through_host);
    RUN(test_cancelled_on_instance_free);
    RUN(test_task_queries);
    RUN(test_log_names_plugin);
    return check_summary("live_backend");
}
