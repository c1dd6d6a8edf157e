/* Operator events and task logs end to end: the real scheduler on its local cluster, with a
 * plain svc.yml of two pods:
 *   - logs-0 writes 30 numbered lines to stdout and two to stderr, then stays up;
 *   - crash-0 writes to stderr and exits 3 at once: a crash loop.
 * Checks what an operator sees:
 *   - the console line of the crash with its exit status and the backoff delay, then the last
 *     lines of its stderr (read by the scheduler through the agent's /files/read), and the
 *     recovery that waits out the crash-loop backoff (on by default: no relaunch in the test);
 *   - GET /v1/events streams the same events (SSE) and resumes after Last-Event-ID;
 *   - sdkctl task log reads stdout, stderr, --lines N, and a crashed task's stderr. */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include <unistd.h>

static const char SPEC[] =
    "name: eventful\n"
    "pods:\n"
    "  logs:\n"
    "    count: 1\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: \"for i in $(seq 1 30); do echo out-$i; done; echo err-a >&2; echo err-b >&2; sleep 1000\"\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "  crash:\n"
    "    count: 1\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: \"echo starting; echo 'config error: /etc/crash.conf: no such file' >&2; echo 'giving up' >&2; exit 3\"\n"
    "        cpus: 0.1\n"
    "        memory: 32\n";

static char *read_log(e2e_world *w) {
    char *p = sdk_asprintf_new("%s/scheduler.log", w->dir), *text = NULL;
    if (sdk_read_file_new(p, &text, NULL)) text = sdk_xstrdup("");
    free(p);
    return text;
}

static bool wait_log(e2e_world *w, const char *want, double timeout_s) {
    double end = e2e_now() + timeout_s;
    while (e2e_now() < end) {
        char *t = read_log(w);
        bool ok = strstr(t, want) != NULL;
        free(t);
        if (ok) return true;
        usleep(200000);
    }
    return false;
}

static char *sdkctl(e2e_world *w, const char *args) {
    char *cmd = sdk_asprintf_new("%s/sdkctl --url %s %s 2>&1; echo \"rc=$?\"", e2e_bin_dir(), w->api_url, args);
    char *out = e2e_sh(cmd);
    free(cmd);
    return out;
}

static void test_events_and_logs(void) {
    e2e_world w;
    e2e_world_init(&w);
    char *spec = sdk_asprintf_new("%s/svc.yml", w.dir);
    FILE *f = fopen(spec, "w");
    fputs(SPEC, f);
    fclose(f);
    char *exe = sdk_asprintf_new("%s/scheduler", e2e_bin_dir());
    char *work = sdk_asprintf_new("%s/sched", w.dir), *api = sdk_asprintf_new("127.0.0.1:%u", w.api);
    char *log = sdk_asprintf_new("%s/scheduler.log", w.dir);
    char *argv[] = {exe, "--spec", spec, "--workdir", work, "--api", api, "--agents", "2", NULL};
    w.sched = e2e_spawn(argv, log);

    /* the crash, as the console shows it */
    bool crashed = wait_log(&w, "crash-0-server failed: TASK_FAILED, exit status 3", 30);
    CHECK(crashed);
    CHECK(wait_log(&w, "crash-0-server stderr, last lines:\n    | config error: /etc/crash.conf: no such file\n"
                       "    | giving up\n", 15));
    char *text = read_log(&w);
    CHECK_CONTAINS(text, "next launch in 60 s (crash-loop backoff)");
    CHECK_CONTAINS(text, "recovery of crash-0: transient, step crash-0:[server] (crash-0-server TASK_FAILED, exit status 3)");
    /* one clock for every line: each event line starts HH:MM:SS */
    const char *line = strstr(text, "crash-0-server failed");
    CHECK(line && line - text >= 9 && line[-1] == ' ' && line[-4] == ':' && line[-7] == ':');
    if (!crashed) e2e_show_log(&w, "scheduler.log");
    free(text);
    /* crash-loop backoff on by default: the recovery waits, nothing is relaunched meanwhile */
    char *url = sdk_asprintf_new("%s/v1/plans/recovery", w.api_url);
    json_t *rec = e2e_get_json(url, NULL);
    CHECK_STR(json_string_value(json_object_get(rec, "status")), "DELAYED");
    json_decref(rec);
    free(url);

    /* the same events over SSE, from the ring */
    char *cmd = sdk_asprintf_new("curl -sN --max-time 2 '%s/v1/events?last-event-id=0'", w.api_url);
    char *sse = e2e_sh(cmd);
    free(cmd);
    CHECK_CONTAINS(sse, "event: task-failed\ndata: {\"id\":");
    CHECK_CONTAINS(sse, "\"task\":\"crash-0-server\"");
    CHECK_CONTAINS(sse, "\"exit_status\":\"3\"");
    CHECK_CONTAINS(sse, "event: task-output");
    CHECK_CONTAINS(sse, "giving up");
    /* resume: after the task-failed event's id, only later ones */
    const char *tf = strstr(sse, "event: task-failed");
    long failed_id = 0;
    if (tf) {
        const char *idp = tf;
        while (idp > sse && strncmp(idp, "id: ", 4)) idp--;
        failed_id = strtol(idp + 4, NULL, 10);
    }
    CHECK(failed_id > 0);
    cmd = sdk_asprintf_new("curl -sN --max-time 2 -H 'Last-Event-ID: %ld' '%s/v1/events'", failed_id, w.api_url);
    char *resumed = e2e_sh(cmd);
    free(cmd);
    char first[32];
    snprintf(first, sizeof first, "id: %ld\n", failed_id + 1);
    const char *r1 = strstr(resumed, "id: ");
    CHECK(r1 && !strncmp(r1, first, strlen(first)));
    CHECK(!strstr(resumed, "event: task-failed"));
    free(resumed);
    free(sse);

    /* sdkctl task log */
    CHECK(e2e_wait_plan_complete(&w, "deploy", 30));
    char *o = sdkctl(&w, "task log logs-0-server --lines 3");
    CHECK_STR(o, "out-28\nout-29\nout-30\nrc=0\n");
    free(o);
    o = sdkctl(&w, "task log logs-0-server");
    CHECK_CONTAINS(o, "out-21\nout-22\n");
    CHECK(!strstr(o, "out-20\n"));
    free(o);
    o = sdkctl(&w, "task log logs-0-server --stderr");
    CHECK_STR(o, "err-a\nerr-b\nrc=0\n");
    free(o);
    o = sdkctl(&w, "task log crash-0-server --stderr -n 1");
    CHECK_STR(o, "giving up\nrc=0\n");
    free(o);
    o = sdkctl(&w, "task log crash-0-server");
    CHECK_STR(o, "starting\nrc=0\n");
    free(o);
    o = sdkctl(&w, "task log no-such-task");
    CHECK_CONTAINS(o, "Task no-such-task not found");
    CHECK_CONTAINS(o, "rc=1");
    free(o);
    o = sdkctl(&w, "task log logs-0-server --lines -2");
    CHECK_CONTAINS(o, "--lines '-2': expected a number of lines >= 0");
    CHECK_CONTAINS(o, "rc=2");
    free(o);
    /* --follow prints what is appended: nothing new here, so just the tail, until stopped */
    o = sdkctl(&w, "task log logs-0-server --lines 1 --follow & sleep 2; kill $! 2>/dev/null; wait");
    CHECK_CONTAINS(o, "out-30\n");
    free(o);

    /* the agent's files API itself, as Mesos answers (src/files/files.cpp) */
    url = sdk_asprintf_new("%s/v1/debug/tasks/logs-0-server/sandbox", w.api_url);
    json_t *sb = e2e_get_json(url, NULL);
    free(url);
    const char *agent = json_string_value(json_object_get(sb, "agent_url"));
    const char *task_id = json_string_value(json_object_get(sb, "task_id"));
    CHECK(agent && task_id);
    if (agent && task_id) {
        url = sdk_asprintf_new("%s/state", agent);
        json_t *st = e2e_get_json(url, NULL);
        free(url);
        CHECK(json_is_array(json_object_get(st, "frameworks")));
        char *state_text = json_dumps(st, JSON_COMPACT);
        CHECK_CONTAINS(state_text, task_id);
        free(state_text);
        json_decref(st);
        char *body = NULL;
        url = sdk_asprintf_new("%s/files/read?path=/etc/passwd&offset=0", agent);
        CHECK_INT(e2e_http("GET", url, NULL, &body), 404); /* outside the sandboxes */
        free(body);
        free(url);
        url = sdk_asprintf_new("%s/files/read?offset=0", agent);
        CHECK_INT(e2e_http("GET", url, NULL, &body), 400);
        CHECK_CONTAINS(body, "Expecting 'path=value' in query.");
        free(body);
        free(url);
    }
    json_decref(sb);

    e2e_cleanup(&w);
    free(exe);
    free(work);
    free(api);
    free(log);
    free(spec);
}

int main(void) {
    RUN(test_events_and_logs);
    return check_summary("test_e2e_events");
}
