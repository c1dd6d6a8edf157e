/* bin/localcluster carrying out what a TaskInfo asks, as a Mesos agent would: environment with
 * SECRET variables (--secrets-dir), SECRET and host-path volumes, rlimits, URI fetching,
 * TaskInfo.limits in /localcluster/state, MOUNT disks with profiles from --agent-resources, and
 * the refusal of images, named networks and Docker volumes (--ignore-images). And its process
 * hygiene: nothing of a task outlives a kill -9 of the local cluster (at once, through the task's
 * supervisor; and at the next start, through <workdir>/procs when the supervisor died too).
 * TaskInfos are sent directly (LAUNCH_GROUP), as the scheduler would send them. */
#include <dirent.h>
#include <sys/resource.h>

#include "tests/unit/check.h"
#include "tests/unit/lc_harness.h"

static char g_dir[300]; /* scratch: secrets, host volume, URIs, task output */

/* LAUNCH_GROUP of one task: `command` is a CommandInfo JSON object, extra adds TaskInfo fields. */
static long launch_task(stream *s, const char *oid, const char *aid, const char *task, const char *command,
                        const char *extra) {
    char *ex = executor_json(s->fw_id, task);
    long st = scall(s,
                    "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],"
                    "\"operations\":[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":%s,\"task_group\":{\"tasks\":[{"
                    "\"name\":\"%s\",\"task_id\":{\"value\":\"%s\"},\"agent_id\":{\"value\":\"%s\"},"
                    "\"resources\":[" UNRES("cpus", 0.1) "," UNRES("mem", 32) "],\"command\":%s%s}]}}}],"
                    "\"filters\":{\"refuse_seconds\":0}}}",
                    s->fw_id, oid, ex, task, task, aid, command, extra ? extra : "");
    free(ex);
    return st;
}

/* Runs one task to `final` (every update ACKed); returns that update (borrowed) or NULL. */
static json_t *run_task(stream *s, const char *task, const char *command, const char *extra, const char *final) {
    char oid[128], aid[128];
    if (!get_offer(s, NULL, oid, aid, 5000)) return NULL;
    if (launch_task(s, oid, aid, task, command, extra) != 202) return NULL;
    return ack_until(s, task, final, 15000);
}

static char *slurp(const char *path) {
    char *text = NULL;
    size_t len;
    if (sdk_read_file_new(path, &text, &len) != 0) return NULL;
    return text;
}

static void spit(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static const char *msg_of(json_t *u) { return u ? jstr(u, "update.status.message") : NULL; }

/* ------------------------------------------------------------------ processes (issue #14.4) */

typedef struct {
    long pgrp, session;
    char state;
} pstat;

static bool pstat_read(long pid, pstat *ps) {
    char path[64], *t;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (!(t = slurp(path))) return false;
    char *p = strrchr(t, ')');
    long ppid;
    bool ok = p && sscanf(p + 1, " %c %ld %ld %ld", &ps->state, &ppid, &ps->pgrp, &ps->session) == 4;
    free(t);
    return ok;
}

/* Live (not zombie) processes whose session or process group is `id`. */
static size_t live_in_session(long id, long *pids, size_t cap) {
    size_t n = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *de; d && (de = readdir(d));) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        pstat ps;
        if (*end || pid <= 0 || !pstat_read(pid, &ps) || ps.state == 'Z') continue;
        if (ps.session == id || ps.pgrp == id) {
            if (n < cap) pids[n] = pid;
            n++;
        }
    }
    if (d) closedir(d);
    return n;
}

static size_t wait_none_alive(long id, int timeout_ms) {
    long pids[64];
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    size_t n;
    while ((n = live_in_session(id, pids, 64)) && now_ms() < deadline) usleep(50000);
    return n;
}

/* Launches `sh -c 'sleep 300 & sleep 300'` (a grandchild in the background) and returns the
 * task's process group (its "pid" in /localcluster/state) once it runs with 2+ processes. */
static long start_forking_task(stream *s, const char *task) {
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 5000) != NULL);
    CHECK_INT(launch_simple(s, oid, aid, task, "sleep 300 & sleep 300", NULL), 202);
    CHECK(ack_until(s, task, "TASK_RUNNING", 5000) != NULL);
    long pg = 0;
    json_t *st = state_get();
    size_t i;
    json_t *t;
    json_array_foreach(jget(st, "tasks"), i, t) if (sdk_streq(jstr(t, "id"), task)) pg = (long)json_integer_value(jget(t, "pgid"));
    json_decref(st);
    CHECK(pg > 0);
    long pids[64];
    uint64_t deadline = now_ms() + 3000;
    while (pg > 0 && live_in_session(pg, pids, 64) < 3 && now_ms() < deadline) usleep(20000); /* sh + 2 sleeps */
    CHECK_MSG(live_in_session(pg, pids, 64) >= 3, "the task's processes did not all start");
    return pg;
}

static void kill9_cluster(void) {
    kill(g_pid, SIGKILL);
    waitpid(g_pid, NULL, 0);
    g_pid = 0;
}

/* kill -9 of the local cluster: the task's background grandchild dies with it, at once. */
static void test_kill9_leaves_no_process(void) {
    stream *s = subscribe("kill9", "r", NULL, true);
    long pg = start_forking_task(s, "forker");
    stream_close(s);
    kill9_cluster();
    size_t left = wait_none_alive(pg, 3000);
    CHECK_MSG(left == 0, "%zu process(es) of the task survived a kill -9 of the local cluster", left);
    if (left) kill(-pg, SIGKILL);
    CHECK(cluster_start(NULL, NULL));
}

/* The supervisor and the local cluster both SIGKILLed (the cluster stopped first so that it
 * cannot react): the next local cluster on the work dir kills the leftovers when it starts. */
static void test_restart_kills_leftovers(void) {
    stream *s = subscribe("leftover", "r", NULL, true);
    long pg = start_forking_task(s, "orphaned");
    stream_close(s);
    kill(g_pid, SIGSTOP);
    kill((pid_t)pg, SIGKILL); /* the group leader only */
    usleep(100000);
    kill9_cluster();
    long pids[64];
    CHECK_MSG(live_in_session(pg, pids, 64) >= 1, "the test needs a leftover process before the restart");
    CHECK(cluster_start(NULL, NULL));
    size_t left = wait_none_alive(pg, 3000);
    CHECK_MSG(left == 0, "%zu leftover process(es) of the previous local cluster survived its restart", left);
    if (left) kill(-pg, SIGKILL);
}

/* ------------------------------------------------------------------ environment and secrets */

static void test_env_and_secrets(void) {
    stream *s = subscribe("env", "r", NULL, true);
    char *out = sdk_asprintf_new("%s/env.out", g_dir);
    char *cmd = sdk_asprintf_new(
        "{\"value\":\"echo \\\"$FOO|$PASS|$TOKEN\\\" > %s; cat conf/pw >> %s; stat -c %%a conf/pw >> %s\","
        "\"environment\":{\"variables\":[{\"name\":\"FOO\",\"value\":\"bar baz\"},"
        "{\"name\":\"PASS\",\"type\":\"SECRET\",\"secret\":{\"type\":\"REFERENCE\",\"reference\":{\"name\":\"db/password\"}}},"
        "{\"name\":\"TOKEN\",\"type\":\"SECRET\",\"secret\":{\"type\":\"VALUE\",\"value\":{\"data\":\"dG9r\"}}}]}}",
        out, out, out);
    const char *vol = ",\"container\":{\"type\":\"MESOS\",\"volumes\":[{\"mode\":\"RO\",\"container_path\":\"conf/pw\","
                      "\"source\":{\"type\":\"SECRET\",\"secret\":{\"type\":\"REFERENCE\",\"reference\":{\"name\":\"db/password\"}}}}]}";
    json_t *u = run_task(s, "env", cmd, vol, "TASK_FINISHED");
    CHECK(u != NULL);
    char *text = slurp(out);
    CHECK_STR(text, "bar baz|s3cret|tok\ns3cret400\n");
    free(text);
    free(cmd);
    /* a reference with a key: <dir>/<name>/<key> */
    cmd = sdk_asprintf_new("{\"value\":\"echo \\\"$K\\\" > %s\",\"environment\":{\"variables\":[{\"name\":\"K\",\"type\":\"SECRET\","
                           "\"secret\":{\"type\":\"REFERENCE\",\"reference\":{\"name\":\"db\",\"key\":\"password\"}}}]}}",
                           out);
    CHECK(run_task(s, "keyed", cmd, NULL, "TASK_FINISHED") != NULL);
    text = slurp(out);
    CHECK_STR(text, "s3cret\n");
    free(text);
    free(cmd);
    /* a reference that climbs out of --secrets-dir, directly or through a symlink */
    cmd = sdk_xstrdup("{\"value\":\"true\",\"environment\":{\"variables\":[{\"name\":\"X\",\"type\":\"SECRET\","
                      "\"secret\":{\"type\":\"REFERENCE\",\"reference\":{\"name\":\"../outside\"}}}]}}");
    u = run_task(s, "escape", cmd, NULL, "TASK_FAILED");
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_CONTAINER_LAUNCH_FAILED"));
    CHECK_CONTAINS(msg_of(u), "command.environment.variables[0] (X): secret '../outside': a secret name (and key) must be");
    free(cmd);
    cmd = sdk_xstrdup("{\"value\":\"true\",\"environment\":{\"variables\":[{\"name\":\"X\",\"type\":\"SECRET\","
                      "\"secret\":{\"type\":\"REFERENCE\",\"reference\":{\"name\":\"link\"}}}]}}");
    u = run_task(s, "escape2", cmd, NULL, "TASK_FAILED");
    CHECK_CONTAINS(msg_of(u), "resolves outside --secrets-dir");
    free(cmd);
    u = run_task(s, "missing", "{\"value\":\"true\"}",
                 ",\"container\":{\"type\":\"MESOS\",\"volumes\":[{\"mode\":\"RO\",\"container_path\":\"s\",\"source\":{"
                 "\"type\":\"SECRET\",\"secret\":{\"type\":\"REFERENCE\",\"reference\":{\"name\":\"nope\"}}}}]}",
                 "TASK_FAILED");
    CHECK_CONTAINS(msg_of(u), "container.volumes[0].source.secret: secret 'nope'");
    free(out);
    teardown(s);
}

/* ------------------------------------------------------------------ rlimits */

static void test_rlimits(void) {
    stream *s = subscribe("rlim", "r", NULL, true);
    char *out = sdk_asprintf_new("%s/rlimit.out", g_dir);
    char *cmd = sdk_asprintf_new("{\"value\":\"ulimit -n > %s; ulimit -Hn >> %s; ulimit -c >> %s\"}", out, out, out);
    json_t *u = run_task(s, "limited", cmd,
                         ",\"container\":{\"type\":\"MESOS\",\"rlimit_info\":{\"rlimits\":["
                         "{\"type\":\"RLMT_NOFILE\",\"soft\":123,\"hard\":456},{\"type\":\"RLMT_CORE\"}]}}",
                         "TASK_FINISHED");
    CHECK(u != NULL);
    char *text = slurp(out);
    CHECK_STR(text, "123\n456\nunlimited\n");
    free(text);
    free(cmd);
    /* above the kernel's ceiling (fs.nr_open): refused even to root */
    char *nr = slurp("/proc/sys/fs/nr_open");
    unsigned long long ceiling = nr ? strtoull(nr, NULL, 10) : 1048576;
    free(nr);
    char *extra = sdk_asprintf_new(",\"container\":{\"type\":\"MESOS\",\"rlimit_info\":{\"rlimits\":["
                                   "{\"type\":\"RLMT_NOFILE\",\"soft\":%llu,\"hard\":%llu}]}}",
                                   ceiling + 1, ceiling + 1);
    u = run_task(s, "refused", "{\"value\":\"true\"}", extra, "TASK_FAILED");
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_CONTAINER_LAUNCH_FAILED"));
    CHECK_CONTAINS(msg_of(u), "RLMT_NOFILE");
    CHECK_CONTAINS(msg_of(u), "refused by the host");
    free(extra);
    u = run_task(s, "half", "{\"value\":\"true\"}",
                 ",\"container\":{\"type\":\"MESOS\",\"rlimit_info\":{\"rlimits\":[{\"type\":\"RLMT_NOFILE\",\"soft\":10}]}}",
                 "TASK_FAILED");
    CHECK_CONTAINS(msg_of(u), "container.rlimit_info.rlimits[0]: RLMT_NOFILE: set both soft and hard, or neither");
    free(out);
    teardown(s);
}

/* ------------------------------------------------------------------ host volumes */

static void test_host_volume(void) {
    stream *s = subscribe("host", "r", NULL, true);
    char *host = sdk_asprintf_new("%s/hostdir", g_dir), *data = sdk_asprintf_new("%s/data.txt", host);
    mkdir(host, 0755);
    spit(data, "hello\n");
    char *out = sdk_asprintf_new("%s/host.out", g_dir);
    char *cmd = sdk_asprintf_new("{\"value\":\"cat mnt/h/data.txt > %s && echo w > mnt/h/written\"}", out);
    char *extra = sdk_asprintf_new(",\"container\":{\"type\":\"MESOS\",\"volumes\":[{\"mode\":\"RW\",\"container_path\":\"mnt/h\","
                                   "\"source\":{\"type\":\"HOST_PATH\",\"host_path\":{\"path\":\"%s\"}}}]}",
                                   host);
    CHECK(run_task(s, "hv", cmd, extra, "TASK_FINISHED") != NULL);
    char *text = slurp(out);
    CHECK_STR(text, "hello\n");
    free(text);
    char *written = sdk_asprintf_new("%s/written", host);
    text = slurp(written);
    CHECK_STR(text, "w\n");
    free(text);
    free(written);
    free(extra);
    /* an absolute container path would need a mount */
    extra = sdk_asprintf_new(",\"container\":{\"type\":\"MESOS\",\"volumes\":[{\"mode\":\"RW\",\"container_path\":\"/opt/data\","
                             "\"source\":{\"type\":\"HOST_PATH\",\"host_path\":{\"path\":\"%s\"}}}]}",
                             host);
    json_t *u = run_task(s, "hv-abs", "{\"value\":\"true\"}", extra, "TASK_FAILED");
    CHECK_CONTAINS(msg_of(u), "container.volumes[0]: cannot mount host path");
    CHECK_CONTAINS(msg_of(u), "'/opt/data'");
    free(extra);
    u = run_task(s, "hv-missing", "{\"value\":\"true\"}",
                 ",\"container\":{\"type\":\"MESOS\",\"volumes\":[{\"mode\":\"RW\",\"container_path\":\"x\","
                 "\"source\":{\"type\":\"HOST_PATH\",\"host_path\":{\"path\":\"/nonexistent/lc-test\"}}}]}",
                 "TASK_FAILED");
    CHECK_CONTAINS(msg_of(u), "host path '/nonexistent/lc-test' does not exist");
    /* the task's own /tmp as dcos-commons asks for it (a sandbox-relative legacy host_path at
     * /tmp): no mount, TMPDIR points at the sandbox's tmp */
    free(cmd);
    cmd = sdk_asprintf_new("{\"value\":\"test -d \\\"$TMPDIR\\\" && echo \\\"$TMPDIR\\\" > %s\"}", out);
    CHECK(run_task(s, "tmp", cmd, ",\"container\":{\"type\":\"MESOS\",\"volumes\":[{\"mode\":\"RW\",\"container_path\":\"/tmp\","
                                  "\"host_path\":\"tmp\"}]}",
                   "TASK_FINISHED") != NULL);
    text = slurp(out);
    char *want = sdk_asprintf_new("%s/", g_workdir);
    CHECK(text && sdk_str_starts(text, want) && sdk_str_ends(text, "/tmp\n"));
    free(want);
    free(text);
    free(cmd);
    free(out);
    free(data);
    free(host);
    teardown(s);
}

/* ------------------------------------------------------------------ URIs */

static void test_uris(void) {
    stream *s = subscribe("uris", "r", NULL, true);
    char *plain = sdk_asprintf_new("%s/plain.txt", g_dir), *script = sdk_asprintf_new("%s/run.sh", g_dir);
    spit(plain, "plain\n");
    spit(script, "#!/bin/sh\necho ran\n");
    char *mk = sdk_asprintf_new("cd '%s' && mkdir -p pkg/inner && echo inside > pkg/inner/file.txt && tar czf pkg.tgz pkg && "
                                "rm -rf pkg && echo gz > note.txt && gzip -f note.txt",
                                g_dir);
    CHECK_INT(system(mk), 0);
    free(mk);
    /* a zip is extracted with unzip when it is installed */
    bool zip = system("command -v zip >/dev/null && command -v unzip >/dev/null") == 0;
    if (zip) {
        mk = sdk_asprintf_new("cd '%s' && mkdir -p z && echo zipped > z/z.txt && zip -q -r z.zip z && rm -rf z", g_dir);
        CHECK_INT(system(mk), 0);
        free(mk);
    } else fprintf(stderr, "  note: zip/unzip not installed: the .zip case is not tested\n");
    char *out = sdk_asprintf_new("%s/uris.out", g_dir);
    char *cmd = sdk_asprintf_new(
        "{\"value\":\"cat plain.txt pkg/inner/file.txt note.txt > %s && test -f pkg.tgz && test -x bin/run && bin/run >> %s && "
        "grep -q master_id state.json && test ! -x plain.txt%s\","
        "\"uris\":[{\"value\":\"%s\"},{\"value\":\"file://%s/pkg.tgz\"},{\"value\":\"%s/note.txt.gz\"},"
        "{\"value\":\"%s\",\"executable\":true,\"output_file\":\"bin/run\"},"
        "{\"value\":\"http://127.0.0.1:%d/localcluster/state\",\"output_file\":\"state.json\"}%s%s%s]}",
        out, out, zip ? " && grep -q zipped z/z.txt" : "", plain, g_dir, g_dir, script, g_port, zip ? ",{\"value\":\"" : "",
        zip ? g_dir : "", zip ? "/z.zip\"}" : "");
    CHECK(run_task(s, "fetch", cmd, NULL, "TASK_FINISHED") != NULL);
    char *text = slurp(out);
    CHECK_STR(text, "plain\ninside\ngz\nran\n");
    free(text);
    free(cmd);
    /* failures name the URI: a missing file, an HTTP 404 */
    json_t *u = run_task(s, "fetch-missing", "{\"value\":\"true\",\"uris\":[{\"value\":\"file:///nonexistent/lc.tgz\"}]}", NULL,
                         "TASK_FAILED");
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_CONTAINER_LAUNCH_FAILED"));
    CHECK_CONTAINS(msg_of(u), "Failed to fetch URI 'file:///nonexistent/lc.tgz'");
    CHECK_CONTAINS(msg_of(u), "--ignore-uris");
    cmd = sdk_asprintf_new("{\"value\":\"true\",\"uris\":[{\"value\":\"http://127.0.0.1:%d/no/such/thing\"}]}", g_port);
    u = run_task(s, "fetch-404", cmd, NULL, "TASK_FAILED");
    char *want = sdk_asprintf_new("Failed to fetch URI 'http://127.0.0.1:%d/no/such/thing': received HTTP return code 404", g_port);
    CHECK_CONTAINS(msg_of(u), want);
    free(want);
    free(cmd);
    free(out);
    free(plain);
    free(script);
    teardown(s);
}

/* ------------------------------------------------------------------ what it cannot run */

static const char *IMAGE = ",\"container\":{\"type\":\"MESOS\",\"mesos\":{\"image\":{\"type\":\"DOCKER\",\"docker\":{\"name\":\"nginx:1.25\"}}}}";

static void test_refused_containers(void) {
    stream *s = subscribe("refuse", "r", NULL, true);
    json_t *u = run_task(s, "img", "{\"value\":\"true\"}", IMAGE, "TASK_FAILED");
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_CONTAINER_LAUNCH_FAILED"));
    CHECK_CONTAINS(msg_of(u), "container.mesos.image: the local cluster cannot run images (image 'nginx:1.25'); run with "
                              "--ignore-images to run the command on the host");
    u = run_task(s, "net", "{\"value\":\"true\"}",
                 ",\"container\":{\"type\":\"MESOS\",\"network_infos\":[{\"name\":\"dcos\"}]}", "TASK_FAILED");
    CHECK_CONTAINS(msg_of(u), "container.network_infos[0].name: the local cluster cannot join virtual network 'dcos'");
    u = run_task(s, "dvol", "{\"value\":\"true\"}",
                 ",\"container\":{\"type\":\"MESOS\",\"volumes\":[{\"mode\":\"RW\",\"container_path\":\"d\",\"source\":{"
                 "\"type\":\"DOCKER_VOLUME\",\"docker_volume\":{\"name\":\"vol1\",\"driver\":\"rexray\"}}}]}",
                 "TASK_FAILED");
    CHECK_CONTAINS(msg_of(u), "container.volumes[0].source.docker_volume: the local cluster cannot mount Docker volume 'vol1' (driver 'rexray')");
    teardown(s);
}

static void test_ignore_images(void) {
    cluster_stop();
    CHECK(cluster_start("--ignore-images --ignore-networks --ignore-uris", NULL));
    stream *s = subscribe("ignore", "r", NULL, true);
    CHECK(run_task(s, "img-host", "{\"value\":\"true\"}", IMAGE, "TASK_FINISHED") != NULL);
    CHECK(run_task(s, "net-host", "{\"value\":\"true\"}",
                   ",\"container\":{\"type\":\"MESOS\",\"network_infos\":[{\"name\":\"dcos\"}]}", "TASK_FINISHED") != NULL);
    /* --ignore-uris: nothing is fetched, the task starts anyway */
    CHECK(run_task(s, "uri-skipped", "{\"value\":\"test ! -e lc.tgz\",\"uris\":[{\"value\":\"file:///nonexistent/lc.tgz\"}]}", NULL,
                   "TASK_FINISHED") != NULL);
    teardown(s);
}

/* ------------------------------------------------------------------ limits and MOUNT disks */

static void test_limits_in_state(void) {
    stream *s = subscribe("limits", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 5000) != NULL);
    CHECK_INT(launch_task(s, oid, aid, "limited", "{\"value\":\"sleep 30\"}",
                          ",\"limits\":{\"cpus\":{\"value\":2},\"mem\":{\"value\":\"Infinity\"}}"),
              202);
    CHECK(ack_until(s, "limited", "TASK_RUNNING", 5000) != NULL);
    json_t *st = state_get(), *lim = NULL;
    size_t i;
    json_t *t;
    json_array_foreach(jget(st, "tasks"), i, t) if (sdk_streq(jstr(t, "id"), "limited")) lim = jget(t, "limits");
    CHECK(lim && json_number_value(json_object_get(lim, "cpus")) == 2.0);
    CHECK(lim && sdk_streq(json_string_value(json_object_get(lim, "mem")), "infinity"));
    json_decref(st);
    teardown(s);
}

static bool offer_has_mount(json_t *ev, const void *arg) {
    (void)arg;
    size_t i, k;
    json_t *o, *r;
    json_array_foreach(jget(ev, "offers.offers"), i, o) json_array_foreach(jget(o, "resources"), k, r) {
        if (sdk_streq(jstr(r, "disk.source.type"), "MOUNT")) return true;
    }
    return false;
}

static void test_mount_disk_profile(void) {
    cluster_stop();
    CHECK(cluster_start(NULL, "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4}},"
                              "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4096}},"
                              "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1000}},"
                              "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":5000},"
                              "\"disk\":{\"source\":{\"type\":\"MOUNT\",\"mount\":{\"root\":\"disk1\"},\"profile\":\"fast\"}}}]"));
    stream *s = subscribe("mount", "r", NULL, true);
    json_t *ev = wait_event(s, "OFFERS", offer_has_mount, NULL, 5000);
    CHECK(ev != NULL);
    json_t *disk = NULL, *o, *r;
    size_t i, k;
    json_array_foreach(jget(ev, "offers.offers"), i, o) json_array_foreach(jget(o, "resources"), k, r) {
        if (sdk_streq(jstr(r, "disk.source.type"), "MOUNT")) disk = r;
    }
    CHECK(disk && json_number_value(jget(disk, "scalar.value")) == 5000.0);
    CHECK(disk && sdk_streq(jstr(disk, "disk.source.profile"), "fast"));
    /* a relative root is the agent's directory under the work dir, made at start */
    const char *root = disk ? jstr(disk, "disk.source.mount.root") : NULL;
    char *prefix = sdk_asprintf_new("%s/mounts/", g_workdir);
    CHECK(root && sdk_str_starts(root, prefix) && sdk_str_ends(root, "/disk1"));
    struct stat sb;
    CHECK(root && stat(root, &sb) == 0 && S_ISDIR(sb.st_mode));
    free(prefix);
    /* RESERVE the whole disk, CREATE a volume on it, and a task writes into the volume: the data
     * is at the mount root, as a Mesos agent keeps a MOUNT disk's volume */
    if (disk && root) {
        char *want = sdk_asprintf_new("%s/hello", root);
        json_t *offer = NULL;
        json_array_foreach(jget(ev, "offers.offers"), i, o) json_array_foreach(jget(o, "resources"), k, r) {
            if (r == disk) offer = o;
        }
        json_t *res = json_deep_copy(disk);
        json_object_set_new(res, "reservations", json_pack("[{s:s,s:s,s:s}]", "type", "DYNAMIC", "role", "r", "principal", "p-mount"));
        json_t *vol = json_deep_copy(res);
        json_object_set_new(json_object_get(vol, "disk"), "persistence", json_pack("{s:s,s:s}", "id", "mv1", "principal", "p-mount"));
        json_object_set_new(json_object_get(vol, "disk"), "volume", json_pack("{s:s,s:s}", "container_path", "data", "mode", "RW"));
        char *rs = json_dumps(res, JSON_COMPACT), *vs = json_dumps(vol, JSON_COMPACT), *ex = executor_json(s->fw_id, "ex-mount");
        CHECK_INT(scall(s,
                        "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],"
                        "\"operations\":[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[%s]}},{\"type\":\"CREATE\",\"create\":{"
                        "\"volumes\":[%s]}},{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":%s,\"task_group\":{\"tasks\":[{"
                        "\"name\":\"w\",\"task_id\":{\"value\":\"mwriter\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":["
                        UNRES("cpus", 0.1) "," UNRES("mem", 32) ",%s],\"command\":{\"value\":\"echo on-mount > data/hello\"}}]}}}]}}",
                        s->fw_id, jstr(offer, "id.value"), rs, vs, ex, jstr(offer, "agent_id.value"), vs),
                  202);
        CHECK(ack_until(s, "mwriter", "TASK_FINISHED", 10000) != NULL);
        char *text = slurp(want);
        CHECK_STR(text, "on-mount\n");
        free(text);
        free(rs);
        free(vs);
        free(ex);
        json_decref(res);
        json_decref(vol);
        free(want);
    }
    teardown(s);
    /* a bad JSON resource list is refused with its position */
    cluster_stop();
    CHECK(!cluster_start(NULL, "[{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":5},"
                               "\"disk\":{\"source\":{\"type\":\"MOUNT\"}}}]"));
}

/* Flags that name something missing or malformed stop the start with a message naming them. */
static void test_bad_flags(void) {
    char *err = NULL, *args = sdk_asprintf_new("--workdir '%s-bad' --port 0 --secrets-dir /nonexistent/lc-secrets", g_workdir);
    CHECK_INT(run_lc(args, &err), 2);
    CHECK_CONTAINS(err, "--secrets-dir /nonexistent/lc-secrets: No such file or directory");
    free(err);
    free(args);
    args = sdk_asprintf_new("--workdir '%s-bad' --port 0 --agent-resources '[{\"name\":\"disk\",\"type\":\"SCALAR\","
                            "\"scalar\":{\"value\":5},\"disk\":{\"source\":{\"type\":\"MOUNT\"}}}]'", g_workdir);
    CHECK_INT(run_lc(args, &err), 1);
    CHECK_CONTAINS(err, "--agent-resources: resources[0]: a MOUNT disk needs disk.source.mount.root");
    free(err);
    free(args);
    args = sdk_asprintf_new("--workdir '%s-bad' --port 0 --agent-resources '[{\"name\":\"cpus\"'", g_workdir);
    CHECK_INT(run_lc(args, &err), 1);
    CHECK_CONTAINS(err, "resources: invalid JSON");
    free(err);
    free(args);
    char *rm = sdk_asprintf_new("rm -rf '%s-bad'", g_workdir);
    CHECK_INT(system(rm), 0);
    free(rm);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(g_workdir, sizeof g_workdir, "/tmp/test_localcluster_exec.%d", (int)getpid());
    snprintf(g_dir, sizeof g_dir, "%s-files", g_workdir);
    char *secrets = sdk_asprintf_new("%s/secrets", g_dir), *db = sdk_asprintf_new("%s/db", secrets);
    char *mk = sdk_asprintf_new("mkdir -p '%s' && printf s3cret > '%s/password' && echo out > '%s/outside' && "
                                "ln -s /etc/hostname '%s/link'",
                                db, db, g_dir, secrets);
    if (system(mk) != 0) fprintf(stderr, "cannot prepare %s\n", g_dir);
    free(mk);
    /* the process tests first, with the flags every local cluster version has */
    if (!cluster_start(NULL, NULL)) {
        CHECK_MSG(false, "cannot start localcluster (build it with `make bin/localcluster`)");
        return check_summary("test_localcluster_exec");
    }
    RUN(test_kill9_leaves_no_process);
    RUN(test_restart_kills_leftovers);
    cluster_stop();
    char *flags = sdk_asprintf_new("--secrets-dir '%s'", secrets);
    if (cluster_start(flags, NULL)) {
        RUN(test_env_and_secrets);
        RUN(test_rlimits);
        RUN(test_host_volume);
        RUN(test_uris);
        RUN(test_refused_containers);
        RUN(test_limits_in_state);
        RUN(test_ignore_images);
        RUN(test_mount_disk_profile);
        RUN(test_bad_flags);
    } else CHECK_MSG(false, "cannot start localcluster with %s", flags);
    cluster_stop();
    free(flags);
    char *cmd = sdk_asprintf_new("rm -rf '%s' '%s'", g_workdir, g_dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", g_workdir);
    free(cmd);
    free(db);
    free(secrets);
    curl_global_cleanup();
    return check_summary("test_localcluster_exec");
}
