/* End to end: bin/scheduler with plugins/hdfs/hdfs.so on the embedded local cluster (5 agents,
 * real processes), a real ZooKeeper (tests/unit/zk_server.h) and the `hdfs` STAND-IN
 * (tests/standins/hdfs_launcher.c, installed as <HDFS_HOME>/bin/hdfs). Checks, from the stand-in's
 * records and the volumes: the commands and env actually launched and their order; the failover
 * controllers' znode created under the injected ZooKeeper root; and the plugin's endpoints and
 * routes over HTTP. */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include "zk_server.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *env_or(const char *k, const char *d) {
    const char *v = getenv(k);
    return v && *v ? v : d;
}

static size_t collect(char *p, size_t sz, size_t n, void *ud) {
    sdk_buf_append(ud, p, sz * n);
    return sz * n;
}

/* method url [body]; returns the HTTP code (0 when unreachable) and the body (free()). */
static long http(const char *method, const char *url, const char *body, char **out) {
    CURL *c = curl_easy_init();
    sdk_buf b;
    sdk_buf_init(&b);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *h = NULL;
    if (body) { /* the journal VERSION file, as the journal node's command sends it */
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        h = curl_slist_append(h, "Content-Type: application/octet-stream");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (out) *out = sdk_buf_take(&b);
    else sdk_buf_free(&b);
    return code;
}

static void show_tail(const char *path) {
    char *text = NULL;
    if (sdk_read_file_new(path, &text, NULL) == 0) {
        size_t n = strlen(text);
        fprintf(stderr, "---- last of %s ----\n%s\n----\n", path, n > 4000 ? text + n - 4000 : text);
    }
    free(text);
}

/* Index of the first record whose task is `task` and whose argv starts with a0 [a1]; -1 if none.
 * *env (may be NULL) receives that record's env object (borrowed from recs). */
static long find_rec(json_t *recs, const char *task, const char *a0, const char *a1, json_t **env) {
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r) {
        json_t *argv = json_object_get(r, "argv");
        const char *t = json_string_value(json_object_get(r, "task"));
        const char *x0 = json_string_value(json_array_get(argv, 0));
        const char *x1 = json_string_value(json_array_get(argv, 1));
        if (!t || strcmp(t, task) || !x0 || strcmp(x0, a0)) continue;
        if (a1 ? !x1 || strcmp(x1, a1) : x1 != NULL) continue;
        if (env) *env = json_object_get(r, "env");
        return (long)i;
    }
    return -1;
}

static json_t *read_records(const char *path) {
    json_t *arr = json_array();
    FILE *f = fopen(path, "r");
    char line[16384];
    while (f && fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        CHECK_MSG(j != NULL, "bad stand-in record: %s", line);
        if (j) json_array_append_new(arr, j);
    }
    if (f) fclose(f);
    return arr;
}

static void test_deploy_commands_zk_and_routes(void) {
    char dir[] = "/tmp/sdk-e2e-hdfs-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    zk_server zk = {0};
    CHECK(zk_server_start(&zk));
    /* HDFS_HOME with the stand-in as bin/hdfs */
    char cwd[1024];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    const char *build = env_or("SDK_BUILD_DIR", "build");
    char *home = sdk_asprintf_new("%s/hadoop", dir);
    char *mk = sdk_asprintf_new("mkdir -p %s/bin && ln -s %s%s%s/standins/hdfs_launcher %s/bin/hdfs", home,
                                build[0] == '/' ? "" : cwd, build[0] == '/' ? "" : "/", build, home);
    CHECK_INT(system(mk), 0);
    free(mk);
    char *records = sdk_asprintf_new("%s/records.jsonl", dir);
    setenv("HDFS_STANDIN_RECORD", records, 1);
    unsigned api = e2e_free_port();
    char *api_s = sdk_asprintf_new("127.0.0.1:%u", api);
    char *api_url = sdk_asprintf_new("http://127.0.0.1:%u", api);
    char *exe = sdk_asprintf_new("%s/scheduler", env_or("SDK_BIN_DIR", "bin"));
    char *work = sdk_asprintf_new("%s/sched", dir);
    char *log = sdk_asprintf_new("%s/scheduler.log", dir);
    char *o_home = sdk_asprintf_new("HDFS_HOME=%s", home);
    char *o_zk = sdk_asprintf_new("ZOOKEEPER=%s", zk.connect);
    const char *opts[] = {"JOURNAL_RPC_PORT=11485", "JOURNAL_HTTP_PORT=11480", "NAME_RPC_PORT=11001",
                          "NAME_HTTP_PORT=11002", "ZKFC_PORT=11019", "DATA_RPC_PORT=11003",
                          "DATA_HTTP_PORT=11004", "DATA_IPC_PORT=11005", "JOURNAL_CPUS=0.1",
                          "NAME_CPUS=0.1", "ZKFC_CPUS=0.1", "DATA_CPUS=0.1", "JOURNAL_MEM=64",
                          "NAME_MEM=64", "ZKFC_MEM=64", "DATA_MEM=64", "JOURNAL_DISK=16",
                          "NAME_DISK=16", "DATA_DISK=16", "READINESS_CHECK_INTERVAL=1", o_home, o_zk};
    size_t n_opts = sizeof opts / sizeof opts[0];
    char **argv = sdk_xcalloc(12 + 2 * n_opts, sizeof *argv);
    size_t k = 0;
    argv[k++] = exe;
    argv[k++] = "--plugin";
    argv[k++] = "plugins/hdfs/hdfs.so";
    argv[k++] = "--workdir";
    argv[k++] = work;
    argv[k++] = "--api";
    argv[k++] = api_s;
    argv[k++] = "--agents";
    argv[k++] = "5";
    argv[k++] = "--ignore-uris"; /* the spec's Hadoop tarball is not fetched, the stand-ins run instead */
    for (size_t i = 0; i < n_opts; i++) {
        argv[k++] = "-o";
        argv[k++] = (char *)opts[i];
    }
    double t0 = e2e_now();
    pid_t pid = e2e_spawn(argv, log);
    char *plan_url = sdk_asprintf_new("%s/v1/plans/deploy", api_url);
    bool ok = false;
    while (e2e_now() < t0 + 75 && !ok) {
        ok = http("GET", plan_url, NULL, NULL) == 200;
        if (!ok) usleep(300000);
    }
    CHECK_MSG(ok, "the HDFS deploy did not complete");
    if (!ok) {
        show_tail(log);
        char *cl = sdk_asprintf_new("%s/sched/cluster/localcluster.log", dir);
        show_tail(cl);
        free(cl);
    }
    fprintf(stderr, "  hdfs deploy: %.1f s\n", e2e_now() - t0);

    /* commands and env actually launched, in plan order. A step without a readiness check (the
     * data node) completes at TASK_RUNNING, which the local cluster sends once the task's shell
     * runs: the launcher it starts may record itself a moment after the plan completed. */
    json_t *recs = read_records(records);
    for (double until = e2e_now() + 10; find_rec(recs, "data-0-node", "datanode", NULL, NULL) < 0 && e2e_now() < until;) {
        usleep(100000);
        json_decref(recs);
        recs = read_records(records);
    }
    json_t *env = NULL;
    long j0 = find_rec(recs, "journal-0-node", "journalnode", NULL, NULL);
    long j2 = find_rec(recs, "journal-2-node", "journalnode", NULL, NULL);
    long fmt = find_rec(recs, "name-0-format", "namenode", "-format", &env);
    CHECK_STR(env ? json_string_value(json_object_get(env, "SERVICE_ZK_ROOT")) : NULL, "/dcos-service-hdfs");
    CHECK_STR(env ? json_string_value(json_object_get(env, "ZK_QUORUM")) : NULL, zk.connect);
    long nn0 = find_rec(recs, "name-0-node", "namenode", NULL, NULL);
    long boot = find_rec(recs, "name-1-bootstrap", "namenode", "-bootstrapStandby", NULL);
    long nn1 = find_rec(recs, "name-1-node", "namenode", NULL, NULL);
    long zf = find_rec(recs, "name-0-zkfc-format", "zkfc", "-formatZK", &env);
    CHECK_STR(env ? json_string_value(json_object_get(env, "SERVICE_ZK_ROOT")) : NULL, "/dcos-service-hdfs");
    long z0 = find_rec(recs, "name-0-zkfc", "zkfc", NULL, NULL);
    long z1 = find_rec(recs, "name-1-zkfc", "zkfc", NULL, &env);
    long d0 = find_rec(recs, "data-0-node", "datanode", NULL, &env);
    CHECK(env && !json_object_get(env, "SERVICE_ZK_ROOT")); /* only the name pods get it */
    CHECK_STR(env ? json_string_value(json_object_get(env, "DFS_REPLICATION")) : NULL, "3");
    CHECK_MSG(j0 >= 0 && j2 >= 0 && fmt >= 0 && nn0 >= 0 && boot >= 0 && nn1 >= 0 && zf >= 0 && z0 >= 0 &&
              z1 >= 0 && d0 >= 0, "missing launches: j0 %ld j2 %ld format %ld nn0 %ld boot %ld nn1 %ld "
              "zkfc-format %ld zkfc0 %ld zkfc1 %ld data0 %ld", j0, j2, fmt, nn0, boot, nn1, zf, z0, z1, d0);
    CHECK_MSG(j0 < fmt && j2 < fmt && fmt < nn0 && nn0 < boot && boot < nn1 && nn1 < zf && zf < z0 &&
              z0 < z1 && z1 < d0, "plan order: journal %ld,%ld format %ld nn0 %ld bootstrap %ld nn1 %ld "
              "zkfc-format %ld zkfc %ld,%ld data %ld", j0, j2, fmt, nn0, boot, nn1, zf, z0, z1, d0);
    json_decref(recs);

    /* the failover controllers' znode under the injected root */
    zhandle_t *zh = zk_server_connect(&zk);
    CHECK(zh != NULL);
    if (zh) {
        CHECK_INT(zoo_exists(zh, "/dcos-service-hdfs/hadoop-ha/hdfs", 0, NULL), ZOK);
        zookeeper_close(zh);
    }
    /* the volumes: name-0 formatted, name-1 bootstrapped from it */
    char *cmd = sdk_asprintf_new("grep -rh -e formattedBy -e bootstrappedFrom %s/sched/cluster/volumes 2>/dev/null | sort", dir);
    FILE *p = popen(cmd, "r");
    sdk_buf b;
    sdk_buf_init(&b);
    char tmp[512];
    size_t n;
    while (p && (n = fread(tmp, 1, sizeof tmp, p)) > 0) sdk_buf_append(&b, tmp, n);
    if (p) pclose(p);
    CHECK_CONTAINS(b.data, "formattedBy=name-0-format");
    CHECK_CONTAINS(b.data, "bootstrappedFrom=");
    sdk_buf_free(&b);
    free(cmd);

    /* endpoints rendered by the scheduler */
    char *url = sdk_asprintf_new("%s/v1/endpoints/hdfs-site.xml", api_url), *body = NULL;
    CHECK_INT(http("GET", url, NULL, &body), 200);
    CHECK_CONTAINS(body, "<value>qjournal://journal-0-node.hdfs.autoip.dcos.thisdcos.directory:11485;"
                         "journal-1-node.hdfs.autoip.dcos.thisdcos.directory:11485;"
                         "journal-2-node.hdfs.autoip.dcos.thisdcos.directory:11485/hdfs</value>");
    CHECK_CONTAINS(body, "<name>dfs.namenode.name.dir</name><value>sandboxpath/name-data</value>");
    free(body);
    free(url);
    url = sdk_asprintf_new("%s/v1/endpoints/core-site.xml", api_url);
    CHECK_INT(http("GET", url, NULL, &body), 200);
    char *want = sdk_asprintf_new("<name>ha.zookeeper.quorum</name><value>%s</value>", zk.connect);
    CHECK_CONTAINS(body, want);
    CHECK_CONTAINS(body, "<value>/dcos-service-hdfs/hadoop-ha</value>");
    free(want);
    free(body);
    free(url);
    /* the journal VERSION hand-off route */
    url = sdk_asprintf_new("%s/v1/hdfs/journal-version", api_url);
    CHECK_INT(http("GET", url, NULL, NULL), 404);
    CHECK_INT(http("PUT", url, "not a version file", &body), 400);
    CHECK_CONTAINS(body, "namespaceID=");
    free(body);
    CHECK_INT(http("PUT", url, "namespaceID=7\nclusterID=CID-x\n", NULL), 200);
    CHECK_INT(http("GET", url, NULL, &body), 200);
    CHECK_STR(body, "namespaceID=7\nclusterID=CID-x\n");
    free(body);
    free(url);

    kill(pid, SIGINT);
    int st = -1;
    double end = e2e_now() + 15;
    while (e2e_now() < end && waitpid(pid, &st, WNOHANG) != pid) usleep(100000);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        CHECK_MSG(0, "scheduler did not exit 0 on Ctrl-C (status %d)", st);
    }
    zk_server_destroy(&zk);
    char *rm = sdk_asprintf_new("rm -rf %s", dir);
    if (system(rm)) {}
    free(rm);
    unsetenv("HDFS_STANDIN_RECORD");
    free(plan_url); free(argv); free(o_home); free(o_zk); free(log); free(work); free(exe);
    free(api_url); free(api_s); free(records); free(home);
}

int main(void) {
    /* Plan order and commands of stand-ins whose ports (on 0.0.0.0) can meet another e2e test's
     * running at the same time: a relaunch must not wait out the crash-loop backoff (on by
     * default, 60 s; tested in tests/scenarios/events_crash_loop.scn and test_e2e_events). */
    setenv("ENABLE_BACKOFF", "false", 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(test_deploy_commands_zk_and_routes);
    curl_global_cleanup();
    return check_summary("test_e2e_hdfs");
}
