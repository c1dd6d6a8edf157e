/* Day-2 operations end to end on the local cluster (hello plugin), checking the data in the
 * persistent volumes at every step:
 *   rolling update (live, POST /v1/update)  -> pods roll, volumes and their data kept
 *   pod restart                             -> relaunched in place, same volume
 *   pod pause / resume                      -> idle command (data untouched), then back
 *   sidecar plan with a parameter           -> runs inside the live pod's executor
 *   pod replace                             -> fresh volume; the old one is destroyed
 *   scale in (WORLD_COUNT 2 -> 1)           -> world-1 decommissioned, its volume destroyed */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include <unistd.h>

/* Path of the task's persistent volume on the local cluster, or NULL (free()). */
static char *volume_path(e2e_world *w, const char *pod, const char *task) {
    char *url = sdk_asprintf_new("%s/v1/pod/%s/info", w->api_url, pod);
    json_t *arr = e2e_get_json(url, NULL);
    free(url);
    const char *pid = NULL;
    size_t i, k;
    json_t *e, *r;
    json_array_foreach(arr, i, e) {
        json_t *info = json_object_get(e, "info");
        if (strcmp(json_string_value(json_object_get(info, "name")), task)) continue;
        json_array_foreach(json_object_get(info, "resources"), k, r) {
            json_t *p = json_object_get(json_object_get(json_object_get(r, "disk"), "persistence"), "id");
            if (p) pid = json_string_value(p);
        }
    }
    char *out = NULL;
    json_t *st = pid ? e2e_cluster_state(w) : NULL;
    json_t *a, *v;
    json_array_foreach(json_object_get(st, "agents"), i, a) json_array_foreach(json_object_get(a, "volumes"), k, v)
        if (!strcmp(json_string_value(json_object_get(v, "persistence_id")), pid))
            out = sdk_xstrdup(json_string_value(json_object_get(v, "path")));
    json_decref(st);
    json_decref(arr);
    return out;
}

static char *read_output(const char *vol) {
    char *p = sdk_asprintf_new("%s/output", vol), *text = NULL;
    if (sdk_read_file_new(p, &text, NULL)) text = sdk_xstrdup("");
    free(p);
    return text;
}

static size_t lines(const char *t) {
    size_t n = 0;
    for (; t && *t; t++) n += *t == '\n';
    return n;
}

/* Waits (30 s at most) until `pod status` shows the task in `want`; returns whether it did. */
static bool wait_pod_status(e2e_world *w, const char *pod, const char *task, const char *want) {
    char *url = sdk_asprintf_new("%s/v1/pod/%s/status", w->api_url, pod);
    bool ok = false;
    double end = e2e_now() + 30;
    while (!ok && e2e_now() < end) {
        json_t *j = e2e_get_json(url, NULL);
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(j, "tasks"), i, t) {
            const char *name = json_string_value(json_object_get(t, "name"));
            const char *st = json_string_value(json_object_get(t, "status"));
            ok |= name && st && !strcmp(name, task) && !strcmp(st, want);
        }
        json_decref(j);
        if (!ok) usleep(200000);
    }
    free(url);
    return ok;
}

/* Waits until the task has a task id other than `old` and the plan is complete. */
static char *wait_relaunch(e2e_world *w, const char *pod, const char *task, const char *old, const char *plan) {
    char *id = NULL;
    double end = e2e_now() + 60;
    char *url = sdk_asprintf_new("%s/v1/plans/%s", w->api_url, plan);
    while (e2e_now() < end) {
        free(id);
        id = e2e_task_id(w, pod, task);
        if (id && (!old || strcmp(id, old)) && e2e_http("GET", url, NULL, NULL) == 200) break;
        usleep(200000);
    }
    free(url);
    return id;
}

static bool wait_for(bool (*cond)(void *), void *arg, double secs) {
    double end = e2e_now() + secs;
    while (e2e_now() < end) {
        if (cond(arg)) return true;
        usleep(200000);
    }
    return false;
}
static bool gone(void *path) { return access(path, F_OK) != 0; }

static void test_operations_keep_and_remove_data(void) {
    e2e_world w;
    e2e_world_init(&w);
    e2e_start_scheduler(&w, "plugins/hello/hello.so", NULL, NULL);
    CHECK(e2e_wait_plan_complete(&w, "deploy", 90));
    char *w0vol = volume_path(&w, "world-0", "world-0-server");
    char *w1vol = volume_path(&w, "world-1", "world-1-server");
    CHECK(w0vol && w1vol);
    if (!w0vol || !w1vol) goto out;
    char *t = read_output(w0vol);
    CHECK_STR(t, "Hello, world from world-0-server\n");
    free(t);

    /* rolling update: every task gets the new greeting; volumes and their data are kept */
    char *w0 = e2e_task_id(&w, "world-0", "world-0-server");
    char *url = sdk_asprintf_new("%s/v1/update", w.api_url);
    char *resp = NULL;
    CHECK_INT(e2e_http("POST", url, "{\"HELLO_GREETING\": \"Bonjour\"}", &resp), 200);
    free(resp);
    char *w0b = wait_relaunch(&w, "world-0", "world-0-server", w0, "deploy");
    CHECK_MSG(w0b && strcmp(w0b, w0), "world-0 did not roll");
    char *again = volume_path(&w, "world-0", "world-0-server");
    CHECK_STR(again, w0vol);
    free(again);
    t = read_output(w0vol);
    CHECK_STR(t, "Hello, world from world-0-server\nBonjour from world-0-server\n");
    free(t);
    /* an option outside its bounds is refused before rendering (hello.count >= 1), naming it */
    CHECK_INT(e2e_http("POST", url, "{\"HELLO_COUNT\": \"0\"}", &resp), 400);
    CHECK_CONTAINS(resp, "hello.count: expected an integer >= 1");
    free(resp);
    /* a refused update (a volume cannot change size) changes nothing and shows on the deploy
     * plan (417) */
    CHECK_INT(e2e_http("POST", url, "{\"HELLO_DISK\": \"65\"}", &resp), 409);
    CHECK_CONTAINS(resp, "hello");
    free(resp);
    char *plan_url = sdk_asprintf_new("%s/v1/plans/deploy", w.api_url);
    CHECK_INT(e2e_http("GET", plan_url, NULL, NULL), 417);
    CHECK_INT(e2e_http("POST", url, "{\"HELLO_DISK\": \"64\"}", &resp), 200); /* valid again */
    free(resp);
    CHECK_INT(e2e_http("GET", plan_url, NULL, NULL), 200);

    /* pod restart: in place, same volume, one more line */
    char *pr = sdk_asprintf_new("%s/v1/pod/world-0/restart", w.api_url);
    CHECK_INT(e2e_http("POST", pr, NULL, NULL), 200);
    char *w0c = wait_relaunch(&w, "world-0", "world-0-server", w0b, "recovery");
    CHECK_MSG(w0c && strcmp(w0c, w0b), "world-0 was not restarted");
    t = read_output(w0vol);
    CHECK_INT(lines(t), 3);
    free(t);

    /* pause: the idle command runs (no new line), the data stays; resume: the real command again */
    char *w1 = e2e_task_id(&w, "world-1", "world-1-server");
    char *pp = sdk_asprintf_new("%s/v1/pod/world-1/pause", w.api_url);
    CHECK_INT(e2e_http("POST", pp, "[\"server\"]", NULL), 200);
    char *w1p = NULL;
    double end = e2e_now() + 60;
    while (e2e_now() < end) {
        free(w1p);
        w1p = e2e_task_id(&w, "world-1", "world-1-server");
        if (w1p && strcmp(w1p, w1)) break;
        usleep(200000);
    }
    CHECK_MSG(w1p && strcmp(w1p, w1), "world-1 was not relaunched paused");
    CHECK_MSG(wait_pod_status(&w, "world-1", "world-1-server", "PAUSED"), "pod status never showed world-1 PAUSED");
    sleep(1);
    t = read_output(w1vol);
    CHECK_STR(t, "Hello, world from world-1-server\nBonjour from world-1-server\n");
    free(t);
    char *info_url = sdk_asprintf_new("%s/v1/pod/world-1/info", w.api_url);
    char *info = NULL;
    e2e_http("GET", info_url, NULL, &info);
    CHECK_CONTAINS(info, "This task is paused");
    free(info);
    char *pres = sdk_asprintf_new("%s/v1/pod/world-1/resume", w.api_url);
    CHECK_INT(e2e_http("POST", pres, NULL, NULL), 200);
    char *w1r = wait_relaunch(&w, "world-1", "world-1-server", w1p, "recovery");
    CHECK_MSG(w1r && strcmp(w1r, w1p), "world-1 was not resumed");
    CHECK_MSG(wait_pod_status(&w, "world-1", "world-1-server", "RUNNING"), "pod status never showed world-1 RUNNING again");
    t = read_output(w1vol);
    CHECK_INT(lines(t), 3);
    free(t);

    /* sidecar plan with a parameter: runs inside hello-0's live executor */
    char *sc = sdk_asprintf_new("%s/v1/plans/sidecar/start", w.api_url);
    CHECK_INT(e2e_http("POST", sc, "{\"PLAN_PARAMETER\": \"xyz\"}", NULL), 200);
    CHECK(e2e_wait_plan_complete(&w, "sidecar", 60));
    /* same executor: compare the stored TaskInfos of the server and the sidecar */
    char *hurl = sdk_asprintf_new("%s/v1/pod/hello-0/info", w.api_url);
    json_t *harr = e2e_get_json(hurl, NULL);
    free(hurl);
    const char *server_ex = NULL, *sidecar_ex = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(harr, i, e) {
        json_t *info = json_object_get(e, "info");
        const char *name = json_string_value(json_object_get(info, "name"));
        const char *ex = json_string_value(json_object_get(json_object_get(json_object_get(info, "executor"), "executorId"), "value"));
        if (!strcmp(name, "hello-0-server")) server_ex = ex;
        if (!strcmp(name, "hello-0-sidecar")) sidecar_ex = ex;
    }
    CHECK_MSG(server_ex && sidecar_ex && !strcmp(server_ex, sidecar_ex),
              "the sidecar ran in executor %s, the server runs in %s", sidecar_ex ? sidecar_ex : "?",
              server_ex ? server_ex : "?");
    json_decref(harr);
    char *grep = sdk_asprintf_new("grep -rl \"sidecar got 'xyz'\" %s/sched/cluster 2>/dev/null | head -1", w.dir);
    char *found = e2e_sh(grep);
    CHECK_MSG(found && *found, "no sandbox holds the sidecar's output");
    free(found);
    free(grep);

    /* pod replace: a fresh volume (only the new line), the old one destroyed */
    char *prep = sdk_asprintf_new("%s/v1/pod/world-1/replace", w.api_url);
    CHECK_INT(e2e_http("POST", prep, NULL, NULL), 200);
    char *w1n = wait_relaunch(&w, "world-1", "world-1-server", w1r, "recovery");
    CHECK_MSG(w1n && strcmp(w1n, w1r), "world-1 was not replaced");
    char *w1vol2 = volume_path(&w, "world-1", "world-1-server");
    CHECK_MSG(w1vol2 && strcmp(w1vol2, w1vol), "replace kept the old volume");
    CHECK_MSG(wait_for(gone, w1vol, 30), "the replaced pod's old volume %s still exists", w1vol);
    if (w1vol2) {
        t = read_output(w1vol2);
        CHECK_STR(t, "Bonjour from world-1-server\n");
        free(t);
    }

    /* scale in: world-1 is decommissioned and its volume destroyed */
    CHECK_INT(e2e_http("POST", url, "{\"WORLD_COUNT\": \"1\"}", &resp), 200);
    free(resp);
    CHECK(e2e_wait_plan_complete(&w, "decommission", 60));
    if (w1vol2) CHECK_MSG(wait_for(gone, w1vol2, 30), "the decommissioned pod's volume %s still exists", w1vol2);
    CHECK_MSG(access(w0vol, F_OK) == 0, "world-0's volume must stay");
    char *pods = NULL;
    char *purl = sdk_asprintf_new("%s/v1/pod", w.api_url);
    e2e_http("GET", purl, NULL, &pods);
    CHECK(pods && !strstr(pods, "world-1"));
    free(pods);
    free(purl);

    free(w0); free(w0b); free(w0c); free(w1); free(w1p); free(w1r); free(w1n); free(w1vol2);
    free(url); free(plan_url); free(pr); free(pp); free(pres); free(info_url); free(sc); free(prep);
out:
    free(w0vol);
    free(w1vol);
    e2e_cleanup(&w);
}

/* A pod-level volume is visible to every task of the pod (SANDBOX_PATH volumes to the
 * executor's), and persistent: what the ONCE writer left is read by the server. */
static void test_pod_volume_shared_by_tasks(void) {
    e2e_world w;
    e2e_world_init(&w);
    char *exe = sdk_asprintf_new("%s/scheduler", e2e_bin_dir());
    char *work = sdk_asprintf_new("%s/sched", w.dir);
    char *api = sdk_asprintf_new("127.0.0.1:%u", w.api);
    char *log = sdk_asprintf_new("%s/scheduler.log", w.dir);
    char *argv[] = {exe, "--spec", "tests/scenarios/specs/pod_volume.yml", "--workdir", work, "--api", api, NULL};
    w.sched = e2e_spawn(argv, log);
    CHECK(e2e_wait_plan_complete(&w, "deploy", 60));
    char *cmd = sdk_asprintf_new("grep -rl written-by-writer %s/sched/cluster/volumes 2>/dev/null | wc -l", w.dir);
    char *out = e2e_sh(cmd);
    CHECK_MSG(atoi(out) == 1, "the writer's file is not in the pod volume (%s)", out);
    free(out);
    free(cmd);
    cmd = sdk_asprintf_new("grep -rl --include=stdout written-by-writer %s/sched/cluster/slaves 2>/dev/null | wc -l", w.dir);
    out = e2e_sh(cmd);
    CHECK_MSG(atoi(out) == 1, "the reader did not print the writer's file (%s stdout files)", out);
    free(out);
    free(cmd);
    free(exe); free(work); free(api); free(log);
    e2e_cleanup(&w);
}

int main(void) {
    RUN(test_operations_keep_and_remove_data);
    RUN(test_pod_volume_shared_by_tasks);
    return check_summary("test_e2e_operations");
}
