/* End to end on this machine: bin/scheduler with the hello plugin on the embedded local cluster
 * (real processes on 127.0.0.1), checked through the REST API, the local cluster's inspection
 * endpoint (/localcluster/state) and the files in the persistent volumes.
 *   - deploy with a relative work dir (the README's way); Ctrl-C stops cleanly; the hello
 *     server's output is in its volume
 *   - kill -9 of the scheduler mid-deploy, restart: same framework id, the plan resumes, no
 *     duplicate reservation, no running task restarted
 *   - a task's process killed: relaunched in place, volume data intact
 *   - the local cluster restarted: reservations and volumes survive, the scheduler reattaches
 *   - a second scheduler on the same state refuses to start */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Dynamic reservations on all agents, counted by resource_id; *dups = ids seen twice. */
static size_t reservation_ids(json_t *st, char ***ids_out, size_t *dups) {
    size_t n = 0, i, j, k;
    char **ids = NULL;
    *dups = 0;
    json_t *a, *r, *res;
    json_array_foreach(json_object_get(st, "agents"), i, a) {
        json_array_foreach(json_object_get(a, "reservations"), j, r) {
            json_array_foreach(json_object_get(r, "reservations"), k, res) {
                json_t *labels = json_object_get(json_object_get(res, "labels"), "labels");
                size_t l;
                json_t *lab;
                json_array_foreach(labels, l, lab) {
                    if (strcmp(json_string_value(json_object_get(lab, "key")), "resource_id")) continue;
                    const char *id = json_string_value(json_object_get(lab, "value"));
                    bool seen = false;
                    for (size_t x = 0; x < n && !seen; x++) seen = !strcmp(ids[x], id);
                    if (seen) { (*dups)++; continue; }
                    ids = sdk_xrealloc(ids, (n + 1) * sizeof *ids);
                    ids[n++] = sdk_xstrdup(id);
                }
            }
        }
    }
    if (ids_out) *ids_out = ids;
    else { for (size_t x = 0; x < n; x++) free(ids[x]); free(ids); }
    return n;
}

static void free_ids(char **ids, size_t n) {
    for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
}

/* Text of the first file named `name` under the cluster's volumes (free()). */
static char *volume_file(e2e_world *w, const char *volume_path_hint, const char *name) {
    char *cmd = sdk_asprintf_new("grep -rl . %s/sched/cluster/volumes 2>/dev/null | grep '/%s$' | head -50", w->dir, name);
    FILE *p = popen(cmd, "r");
    free(cmd);
    char line[1024];
    char *out = NULL;
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        char *text = NULL;
        if (sdk_read_file_new(line, &text, NULL) == 0 && (!volume_path_hint || strstr(text, volume_path_hint))) {
            free(out);
            out = text;
            break;
        }
        free(text);
    }
    if (p) pclose(p);
    return out;
}


static void test_deploy_and_ctrl_c(void) {
    e2e_world w;
    e2e_world_init(&w);
    /* as the README's main job runs: a work dir relative to the current directory (volumes are
     * linked into sandboxes by path, so this catches a relative link that resolves nowhere) */
    w.relative = true;
    e2e_start_scheduler(&w, "plugins/hello/hello.so", NULL, NULL);
    CHECK(e2e_wait_plan_complete(&w, "deploy", 90));
    char *url = sdk_asprintf_new("%s/v1/health", w.api_url);
    CHECK_INT(e2e_http("GET", url, NULL, NULL), 200);
    free(url);
    /* prepare wrote into the volume, the server read it and wrote its greeting */
    char *prepared = volume_file(&w, "prepared by", "prepared");
    CHECK_CONTAINS(prepared, "prepared by hello-0-prepare");
    free(prepared);
    char *out = volume_file(&w, "Hello, world", "output");
    CHECK_CONTAINS(out, "Hello, world");
    free(out);
    kill(w.sched, SIGINT);
    int st = -1;
    double end = e2e_now() + 15;
    while (e2e_now() < end && waitpid(w.sched, &st, WNOHANG) != w.sched) usleep(100000);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "scheduler did not exit 0 on Ctrl-C (status %d)", st);
    w.sched = 0;
    e2e_cleanup(&w);
}

static void test_kill9_mid_deploy_and_task_kill(void) {
    e2e_world w;
    e2e_world_init(&w);
    e2e_start_scheduler(&w, "plugins/hello/hello.so", NULL, NULL);
    /* wait until hello-0's server runs, then kill -9 the scheduler while world is deploying */
    double end = e2e_now() + 60;
    char *s = NULL;
    while (e2e_now() < end) {
        free(s);
        s = e2e_step_status(&w, "deploy", "hello-0:[server]");
        if (s && !strcmp(s, "COMPLETE")) break;
        usleep(100000);
    }
    CHECK_STR(s, "COMPLETE");
    free(s);
    char *w1 = e2e_step_status(&w, "deploy", "world-1:[server]");
    CHECK_MSG(w1 && strcmp(w1, "COMPLETE"), "the deploy finished before the kill: not a mid-deploy crash");
    free(w1);
    char *fw1 = e2e_framework_id(&w);
    char *hello_id = e2e_task_id(&w, "hello-0", "hello-0-server");
    CHECK(fw1 && hello_id);
    kill(w.sched, SIGKILL);
    waitpid(w.sched, NULL, 0);
    e2e_start_scheduler(&w, "plugins/hello/hello.so", NULL, NULL);
    CHECK(e2e_wait_plan_complete(&w, "deploy", 90));
    char *fw2 = e2e_framework_id(&w);
    CHECK_STR(fw2, fw1);
    char *hello_id2 = e2e_task_id(&w, "hello-0", "hello-0-server");
    CHECK_STR(hello_id2, hello_id); /* not restarted */
    json_t *st = e2e_cluster_state(&w);
    size_t dups = 0;
    size_t n = reservation_ids(st, NULL, &dups);
    CHECK_INT(dups, 0);
    /* 18 reservations (hello: executor 3 + hello-resources 3; each world: executor 3 + server 3),
     * of which the 3 volumes are listed apart by the local cluster */
    CHECK_INT(n, 15);
    fprintf(stderr, "  kill -9: framework %s kept, hello-0-server %s kept, %zu reservations, %zu duplicates\n",
            fw2 ? fw2 : "?", hello_id2 ? hello_id2 : "?", n, dups);
    json_decref(st);

    /* kill world-0's server process: relaunched in place with its volume data */
    char *w0 = e2e_task_id(&w, "world-0", "world-0-server");
    char *before = volume_file(&w, "from world-0-server", "output");
    CHECK_CONTAINS(before, "from world-0-server");
    char *pf = sdk_asprintf_new("%s/sched/cluster/port", w.dir), *port = NULL;
    sdk_read_file_new(pf, &port, NULL);
    char *sig = sdk_asprintf_new("http://127.0.0.1:%d/localcluster/tasks/%s/signal?signal=KILL", port ? atoi(port) : 0, w0);
    CHECK_INT(e2e_http("POST", sig, NULL, NULL), 200);
    char *w0b = NULL;
    end = e2e_now() + 60;
    while (e2e_now() < end) {
        free(w0b);
        w0b = e2e_task_id(&w, "world-0", "world-0-server");
        char *ss = e2e_step_status(&w, "deploy", "world-0:[server]");
        bool relaunched = w0b && strcmp(w0b, w0) && ss && !strcmp(ss, "COMPLETE");
        free(ss);
        char *url = sdk_asprintf_new("%s/v1/plans/recovery", w.api_url);
        long code = e2e_http("GET", url, NULL, NULL);
        free(url);
        if (relaunched && code == 200) break;
        usleep(200000);
    }
    CHECK_MSG(w0b && strcmp(w0b, w0), "world-0-server was not relaunched (%s)", w0b ? w0b : "none");
    fprintf(stderr, "  task kill: world-0-server %s -> %s\n", w0 ? w0 : "?", w0b ? w0b : "?");
    char *after = volume_file(&w, "from world-0-server", "output");
    /* the old line is still there and the relaunch appended another */
    CHECK_MSG(after && before && strlen(after) > strlen(before) && !strncmp(after, before, strlen(before)),
              "volume data not kept: before '%s' after '%s'", before ? before : "", after ? after : "");
    json_t *st2 = e2e_cluster_state(&w);
    size_t dups2 = 0;
    CHECK_INT(reservation_ids(st2, NULL, &dups2), n); /* same reservations, none new */
    json_decref(st2);
    free(before); free(after); free(w0); free(w0b); free(pf); free(port); free(sig);
    free(fw1); free(fw2); free(hello_id); free(hello_id2);
    e2e_cleanup(&w);
}

static void test_cluster_restart_and_second_scheduler(void) {
    e2e_world w;
    e2e_world_init(&w);
    unsigned mport = e2e_free_port();
    char *lc = sdk_asprintf_new("%s/localcluster", e2e_bin_dir());
    char *cdir = sdk_asprintf_new("%s/cluster", w.dir);
    char *ps = sdk_asprintf_new("%u", mport);
    char *clog = sdk_asprintf_new("%s/cluster.log", w.dir);
    char *argv[] = {lc, "--port", ps, "--workdir", cdir, "--agents", "2", NULL};
    pid_t cl = e2e_spawn(argv, clog);
    char *master = sdk_asprintf_new("http://127.0.0.1:%u", mport);
    usleep(500000);
    e2e_start_scheduler(&w, "plugins/hello/hello.so", master, NULL);
    CHECK(e2e_wait_plan_complete(&w, "deploy", 90));

    /* a second scheduler on the same state refuses, and changes nothing */
    char *cmd = sdk_asprintf_new("%s/scheduler --plugin plugins/hello/hello.so --workdir %s/sched --master %s "
                                 "--api 127.0.0.1:0 2>&1", e2e_bin_dir(), w.dir, master);
    FILE *p = popen(cmd, "r");
    sdk_buf b;
    sdk_buf_init(&b);
    char tmp[512];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, p)) > 0) sdk_buf_append(&b, tmp, n);
    int rc = pclose(p);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) != 0);
    CHECK_CONTAINS(b.data, "only one scheduler may use a state directory");
    sdk_buf_free(&b);
    free(cmd);

    char *url = sdk_asprintf_new("http://127.0.0.1:%u/localcluster/state", mport);
    json_t *st = e2e_get_json(url, NULL);
    char **ids1 = NULL;
    size_t dups = 0, n1 = reservation_ids(st, &ids1, &dups);
    json_decref(st);
    CHECK_INT(n1, 15);
    fprintf(stderr, "  cluster restart: %zu reservations before\n", n1);
    char *out1 = NULL;
    {
        char *p2 = sdk_asprintf_new("%s/cluster/volumes", w.dir);
        free(p2);
    }
    /* restart the cluster on the same port and work dir */
    e2e_stop(cl, SIGTERM);
    cl = e2e_spawn(argv, clog);
    /* the scheduler reattaches and relaunches its pods on the same reservations */
    double end = e2e_now() + 90;
    bool healthy = false;
    while (e2e_now() < end && !healthy) {
        usleep(500000);
        json_t *s2 = e2e_get_json(url, NULL);
        size_t i, running = 0;
        json_t *t;
        json_array_foreach(json_object_get(s2, "tasks"), i, t)
            if (!strcmp(json_string_value(json_object_get(t, "state")), "TASK_RUNNING")) running++;
        healthy = running >= 3;
        json_decref(s2);
    }
    CHECK_MSG(healthy, "the service did not come back after the cluster restart");
    if (!healthy) { e2e_show_log(&w, "scheduler.log"); e2e_show_log(&w, "cluster.log"); }
    st = e2e_get_json(url, NULL);
    char **ids2 = NULL;
    size_t n2 = reservation_ids(st, &ids2, &dups);
    json_decref(st);
    CHECK_INT(n2, n1);
    CHECK_INT(dups, 0);
    for (size_t i = 0; i < n1; i++) {
        bool found = false;
        for (size_t j = 0; j < n2 && !found; j++) found = !strcmp(ids1[i], ids2[j]);
        CHECK_MSG(found, "reservation %s lost after the cluster restart", ids1[i]);
    }
    char *vol = NULL;
    {
        char *cmd2 = sdk_asprintf_new("grep -rh 'Hello, world' %s/cluster/volumes 2>/dev/null | wc -l", w.dir);
        FILE *pp = popen(cmd2, "r");
        char line[64] = "0";
        if (pp && fgets(line, sizeof line, pp)) {}
        if (pp) pclose(pp);
        CHECK_MSG(atoi(line) >= 2, "the hello greeting should be in the volume twice (before and after), found %s", line);
        free(cmd2);
    }
    free(vol);
    free(out1);
    free_ids(ids1, n1);
    free_ids(ids2, n2);
    e2e_stop(w.sched, SIGINT);
    w.sched = 0;
    e2e_stop(cl, SIGTERM);
    free(url); free(master); free(lc); free(cdir); free(ps); free(clog);
    e2e_cleanup(&w);
}

/* --uninstall after a deploy: exit 0, no volume left on disk, no reservation on the cluster, a
 * state emptied but for its SchemaVersion; a normal start afterwards deploys from scratch (a
 * new framework). */
static void test_uninstall(void) {
    e2e_world w;
    e2e_world_init(&w);
    e2e_start_scheduler(&w, "plugins/hello/hello.so", NULL, NULL);
    CHECK(e2e_wait_plan_complete(&w, "deploy", 90));
    char *fw1 = e2e_framework_id(&w);
    e2e_stop(w.sched, SIGINT); /* the cluster is stopped with it: start it again through --uninstall */
    w.sched = 0;
    char *cmd = sdk_asprintf_new("%s/scheduler --plugin plugins/hello/hello.so --workdir %s/sched --api 127.0.0.1:%u "
                                 "--uninstall > %s/uninstall.log 2>&1", e2e_bin_dir(), w.dir, w.api, w.dir);
    int rc = system(cmd);
    CHECK_MSG(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "uninstall exit status %d", rc);
    if (rc) e2e_show_log(&w, "uninstall.log");
    free(cmd);
    char *cnt = sdk_asprintf_new("find %s/sched/cluster/volumes -mindepth 3 2>/dev/null | wc -l", w.dir);
    FILE *p = popen(cnt, "r");
    char line[32] = "?";
    if (p && fgets(line, sizeof line, p)) {}
    if (p) pclose(p);
    CHECK_MSG(atoi(line) == 0 && line[0] == '0', "volumes left after uninstall: %s", line);
    free(cnt);
    char *dump = sdk_asprintf_new("%s/scheduler --state file:%s/sched/state state dump 2>&1", e2e_bin_dir(), w.dir);
    p = popen(dump, "r");
    sdk_buf b;
    sdk_buf_init(&b);
    char tmp[512];
    size_t n;
    while (p && (n = fread(tmp, 1, sizeof tmp, p)) > 0) sdk_buf_append(&b, tmp, n);
    if (p) pclose(p);
    /* emptied on purpose: only SchemaVersion stays, so the next start is a fresh install and not
     * refused as a state that went missing (core/state/layout.h) */
    CHECK_CONTAINS(b.data, "\"nodes\": {\n    \"SchemaVersion\": \"1\"\n  }");
    sdk_buf_free(&b);
    free(dump);
    /* starting again is a fresh install */
    e2e_start_scheduler(&w, "plugins/hello/hello.so", NULL, NULL);
    CHECK(e2e_wait_plan_complete(&w, "deploy", 90));
    char *fw2 = e2e_framework_id(&w);
    CHECK_MSG(fw1 && fw2 && strcmp(fw1, fw2), "a new framework was expected after the uninstall (%s, %s)", fw1, fw2);
    free(fw1);
    free(fw2);
    e2e_cleanup(&w);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* These tests kill -9 a task and wait for its relaunch in place; the crash-loop backoff (on by
     * default: 60 s before that relaunch) has its own scenarios (tests/scenarios/events_crash_loop.scn). */
    setenv("ENABLE_BACKOFF", "false", 1);
    char *lc = sdk_asprintf_new("%s/localcluster", e2e_bin_dir());
    if (access(lc, X_OK)) {
        fprintf(stderr, "test_e2e_hello: %s is missing: build it with make\n", lc);
        free(lc);
        return check_summary("test_e2e_hello") | 1;
    }
    free(lc);
    RUN(test_deploy_and_ctrl_c);
    RUN(test_kill9_mid_deploy_and_task_kill);
    RUN(test_cluster_restart_and_second_scheduler);
    RUN(test_uninstall);
    curl_global_cleanup();
    return check_summary("test_e2e_hello");
}
