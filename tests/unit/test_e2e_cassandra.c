/* End to end on this machine: bin/scheduler with the cassandra plugin on bin/localcluster (4
 * agents with their own port ranges), with CASSANDRA_HOME pointing at the stand-in Cassandra
 * (tests/standins/cassandra-tools as CASSANDRA_HOME/bin, listener build/standins/cassandra_listen). Checked through the
 * stand-ins' records, the REST API and the plugin route:
 *   - deploy: node-0, node-1, node-2 launched in that order, each with the seeds and settings
 *     the plugin computed; the data volume written; the stand-in listening on its native port;
 *     GET /v1/seeds
 *   - pod replace of node-1 (a seed): relaunched with -Dcassandra.replace_address=<its old
 *     address>, then node-0 and node-2 restarted one after the other
 *   - the repair plan with the parameter CASSANDRA_KEYSPACE runs nodetool repair node by node */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *bin_dir(void) {
    const char *b = getenv("SDK_BIN_DIR");
    return b && *b ? b : "bin";
}

static const char *build_dir(void) {
    const char *b = getenv("SDK_BUILD_DIR");
    return b && *b ? b : "build";
}

static size_t collect(char *p, size_t sz, size_t n, void *ud) {
    sdk_buf_append(ud, p, sz * n);
    return sz * n;
}

/* method url [body]; returns the HTTP code (0 when unreachable) and the body (free()). */
static long http(const char *method, const char *url, const char *data, char **body) {
    CURL *c = curl_easy_init();
    sdk_buf b;
    sdk_buf_init(&b);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    struct curl_slist *h = NULL;
    if (!strcmp(method, "POST")) { /* the API takes JSON bodies */
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, data ? data : "");
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (body) *body = sdk_buf_take(&b);
    else sdk_buf_free(&b);
    return code;
}

typedef struct world {
    char dir[64];
    char cwd[512];
    unsigned api, master;
    char api_url[64];
    pid_t cluster, sched;
} world;

/* Starts argv with the stand-ins' environment (inherited by the cluster's tasks). */
static pid_t spawn(char *const argv[], const char *log, const world *w) {
    char rec[128], listen[700];
    snprintf(rec, sizeof rec, "%s/rec", w->dir);
    snprintf(listen, sizeof listen, "%s/%s/standins/cassandra_listen", w->cwd, build_dir());
    if (build_dir()[0] == '/') snprintf(listen, sizeof listen, "%s/standins/cassandra_listen", build_dir());
    setenv("CASSANDRA_STANDIN_RECORD", rec, 1);
    setenv("CASSANDRA_STANDIN_LISTEN", listen, 1);
    return e2e_spawn(argv, log);
}

static void show_log(const world *w, const char *name) {
    char *p = sdk_asprintf_new("%s/%s", w->dir, name), *text = NULL;
    if (sdk_read_file_new(p, &text, NULL) == 0) {
        size_t n = strlen(text);
        fprintf(stderr, "---- last of %s ----\n%s\n----\n", p, n > 3000 ? text + n - 3000 : text);
    }
    free(text);
    free(p);
}

static char *read_rec(const world *w, const char *name) {
    char *p = sdk_asprintf_new("%s/rec/%s", w->dir, name), *text = NULL;
    if (sdk_read_file_new(p, &text, NULL)) text = NULL;
    free(p);
    return text;
}

/* Waits until GET /v1/plans/<plan> answers 200 (COMPLETE). */
static bool wait_plan(world *w, const char *plan, double timeout_s) {
    char *url = sdk_asprintf_new("%s/v1/plans/%s", w->api_url, plan);
    double end = e2e_now() + timeout_s;
    bool ok = false;
    while (e2e_now() < end && !ok) {
        ok = http("GET", url, NULL, NULL) == 200;
        if (!ok) usleep(200000);
    }
    free(url);
    if (!ok) {
        fprintf(stderr, "plan %s did not complete in %.0f s\n", plan, timeout_s);
        show_log(w, "scheduler.log");
    }
    return ok;
}

/* Waits until the stand-in launch log has at least n lines. */
static char *wait_launches(world *w, int n, double timeout_s) {
    double end = e2e_now() + timeout_s;
    char *text = NULL;
    while (e2e_now() < end) {
        free(text);
        text = read_rec(w, "launches");
        int lines = 0;
        for (const char *p = text; p && *p; p++) lines += *p == '\n';
        if (lines >= n) break;
        usleep(200000);
    }
    return text;
}

static void stop(pid_t pid, int sig) {
    if (pid <= 0) return;
    kill(pid, sig);
    for (int i = 0; i < 150; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* The i-th line (0-based) of text, or "" (into out). */
static void line_of(const char *text, int i, char *out, size_t cap) {
    out[0] = 0;
    for (const char *p = text; p && *p; i--) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (i == 0) {
            snprintf(out, cap, "%.*s", (int)n, p);
            return;
        }
        p = e ? e + 1 : p + n;
    }
}

static bool port_open(unsigned port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static void test_cassandra_on_localcluster(void) {
    world w;
    memset(&w, 0, sizeof w);
    snprintf(w.dir, sizeof w.dir, "/tmp/sdk-e2e-cass-XXXXXX");
    CHECK(mkdtemp(w.dir) != NULL);
    CHECK(getcwd(w.cwd, sizeof w.cwd) != NULL);
    w.api = e2e_free_port();
    w.master = e2e_free_port();
    snprintf(w.api_url, sizeof w.api_url, "http://127.0.0.1:%u", w.api);

    /* four agents, each with its own port range (the stand-ins of all nodes share this host) and
     * the fixed JMX port, which the stand-in does not bind */
    char *lc = sdk_asprintf_new("%s/localcluster", bin_dir());
    char *mport = sdk_asprintf_new("%u", w.master);
    char *cdir = sdk_asprintf_new("%s/cluster", w.dir);
    char *clog = sdk_asprintf_new("%s/cluster.log", w.dir);
    /* --ignore-uris: the spec's Cassandra tarball is not fetched, the stand-ins run instead */
    char *cargv[] = {lc, "--port", mport, "--workdir", cdir, "--agents", "4", "--ignore-uris",
                     "--agent-resources", "cpus:4;mem:4096;disk:20000;ports:[7199-7199,20000-20999]",
                     "--agent-resources", "cpus:4;mem:4096;disk:20000;ports:[7199-7199,21000-21999]",
                     "--agent-resources", "cpus:4;mem:4096;disk:20000;ports:[7199-7199,22000-22999]",
                     "--agent-resources", "cpus:4;mem:4096;disk:20000;ports:[7199-7199,23000-23999]", NULL};
    w.cluster = spawn(cargv, clog, &w);
    usleep(500000);

    char *exe = sdk_asprintf_new("%s/scheduler", bin_dir());
    char *work = sdk_asprintf_new("%s/sched", w.dir);
    char *api = sdk_asprintf_new("127.0.0.1:%u", w.api);
    char *master = sdk_asprintf_new("http://127.0.0.1:%u", w.master);
    char *slog = sdk_asprintf_new("%s/scheduler.log", w.dir);
    /* a Cassandra home whose bin/ holds the stand-ins */
    char *mk = sdk_asprintf_new("mkdir -p %s/cassandra-home/bin && ln -s %s/tests/standins/cassandra-tools/* "
                                "%s/cassandra-home/bin/", w.dir, w.cwd, w.dir);
    CHECK_INT(system(mk), 0);
    free(mk);
    char *home = sdk_asprintf_new("CASSANDRA_HOME=%s/cassandra-home", w.dir);
    char *nodetool = sdk_asprintf_new("CASSANDRA_NODETOOL=%s/cassandra-home/bin/nodetool", w.dir);
    char *sargv[] = {exe, "--plugin", "plugins/cassandra/cassandra.so", "--workdir", work, "--api", api,
                     "--master", master, "-o", home, "-o", nodetool,
                     "-o", "CASSANDRA_STORAGE_PORT=0", "-o", "CASSANDRA_NATIVE_TRANSPORT_PORT=0",
                     "-o", "CASSANDRA_CPUS=0.1", "-o", "CASSANDRA_MEMORY_MB=64", "-o", "CASSANDRA_DISK_MB=32",
                     "-o", "SIDECAR_CPUS=0.1", "-o", "SIDECAR_MEMORY_MB=32", "-o", "READINESS_CHECK_INTERVAL=1",
                     "-o", "CASSANDRA_KILL_GRACE_PERIOD=2", "-o", "CASSANDRA_CLUSTER_NAME=e2e ring", NULL};
    w.sched = spawn(sargv, slog, &w);

    /* ---- deploy ---- */
    if (!wait_plan(&w, "deploy", 45)) {
        CHECK_MSG(0, "the deploy plan did not complete");
        goto out;
    }
    char *launches = read_rec(&w, "launches");
    char l[256];
    static const char *const ORDER[] = {"node-0-server", "node-1-server", "node-2-server"};
    for (int i = 0; i < 3; i++) {
        line_of(launches, i, l, sizeof l);
        CHECK_MSG(!strncmp(l, ORDER[i], strlen(ORDER[i])) && strstr(l, " -f"), "launch %d: '%s'", i, l);
    }
    free(launches);
    char *env = read_rec(&w, "node-2-server.env");
    CHECK_CONTAINS(env, "\nLOCAL_SEEDS=node-0-server.cassandra.autoip.dcos.thisdcos.directory,"
                        "node-1-server.cassandra.autoip.dcos.thisdcos.directory\n");
    CHECK_CONTAINS(env, "\nCASSANDRA_CLUSTER_NAME=e2e ring\n");
    CHECK_CONTAINS(env, "\nCASSANDRA_CONF=");
    free(env);
    char *yaml = read_rec(&w, "node-1-server.cassandra.yaml");
    CHECK_CONTAINS(yaml, "cluster_name: 'e2e ring'");
    /* the stand-in listens on the native port the scheduler reserved for it */
    const char *np = yaml ? strstr(yaml, "native_transport_port: ") : NULL;
    unsigned native = np ? (unsigned)atoi(np + 23) : 0;
    CHECK_MSG(native >= 20000 && native < 24000, "native port %u from the agent's range", native);
    CHECK_MSG(native && port_open(native), "nothing listens on the native port %u", native);
    free(yaml);
    /* each node wrote into container-path/data, which is its pod's persistent volume: the
     * executor-level volume reaches the task through a SANDBOX_PATH (PARENT) volume, so the
     * lines must land under cluster/volumes/ and not in a task sandbox. */
    char *cmd = sdk_asprintf_new("find %s/cluster/volumes -type f -name 'standin-node-*-server' | xargs -r cat | wc -l", w.dir);
    FILE *p = popen(cmd, "r");
    char cnt[32] = "0";
    if (p && fgets(cnt, sizeof cnt, p)) {}
    if (p) pclose(p);
    free(cmd);
    CHECK_MSG(atoi(cnt) == 3, "volume lines: %s", cnt);

    char *body = NULL;
    char *url = sdk_asprintf_new("%s/v1/seeds", w.api_url);
    CHECK_INT(http("GET", url, NULL, &body), 200);
    json_t *j = json_loads(body ? body : "", 0, NULL);
    json_t *seeds = json_object_get(j, "seeds");
    CHECK_INT(json_array_size(seeds), 2);
    /* localcluster reports each task's IP (its agent's loopback address): seeds are those IPs */
    const char *seed0 = json_string_value(json_array_get(seeds, 0));
    CHECK_MSG(seed0 && !strncmp(seed0, "127.0.0.", 8), "seed 0 is a task IP: '%s'", seed0 ? seed0 : "(null)");
    json_decref(j);
    free(body);
    free(url);

    /* ---- replace node-1, a seed ---- */
    url = sdk_asprintf_new("%s/v1/pod/node-1/replace", w.api_url);
    CHECK_INT(http("POST", url, NULL, NULL), 200);
    free(url);
    launches = wait_launches(&w, 6, 40);
    line_of(launches, 3, l, sizeof l);
    CHECK_MSG(!strncmp(l, "node-1-server -f", 16) && strstr(l, " -Dcassandra.replace_address=127.0.0.2 "
                                                            "-Dcassandra.consistent.rangemovement=false"),
              "replacement launch: '%s'", l);
    line_of(launches, 4, l, sizeof l);
    CHECK_MSG(!strncmp(l, "node-0-server", 13) && !strstr(l, "replace_address"), "then node-0 restarts: '%s'", l);
    line_of(launches, 5, l, sizeof l);
    CHECK_MSG(!strncmp(l, "node-2-server", 13), "then node-2 restarts: '%s'", l);
    free(launches);
    CHECK(wait_plan(&w, "recovery", 30));

    /* ---- repair with a parameter ---- */
    url = sdk_asprintf_new("%s/v1/plans/repair/start", w.api_url);
    CHECK_INT(http("POST", url, "{\"CASSANDRA_KEYSPACE\": \"orders\"}", NULL), 200);
    free(url);
    CHECK(wait_plan(&w, "repair", 30));
    char *log = read_rec(&w, "nodetool.log");
    const char *r0 = log ? strstr(log, "node-0-repair: -p 7199 repair -pr -- orders\n") : NULL;
    const char *r1 = log ? strstr(log, "node-1-repair: -p 7199 repair -pr -- orders\n") : NULL;
    const char *r2 = log ? strstr(log, "node-2-repair: -p 7199 repair -pr -- orders\n") : NULL;
    CHECK_MSG(r0 && r1 && r2 && r0 < r1 && r1 < r2, "repair calls in node order:\n%s", log ? log : "(none)");
    /* the readiness checks asked nodetool status */
    CHECK_CONTAINS(log, "node-0-server: -p 7199 status\n");
    free(log);

out:
    if (check_cur_failed_) { show_log(&w, "scheduler.log"); show_log(&w, "cluster.log"); }
    stop(w.sched, SIGINT);
    stop(w.cluster, SIGTERM);
    if (check_cur_failed_ && getenv("SDK_KEEP_E2E")) {
        fprintf(stderr, "kept %s (SDK_KEEP_E2E)\n", w.dir);
    } else {
        cmd = sdk_asprintf_new("rm -rf %s", w.dir);
        if (system(cmd)) {}
        free(cmd);
    }
    free(lc); free(mport); free(cdir); free(clog); free(exe); free(work); free(api); free(master); free(slog);
    free(home); free(nodetool);
}

int main(void) {
    /* Plan order and commands of stand-ins whose ports (on 0.0.0.0) can meet another e2e test's
     * running at the same time: a relaunch must not wait out the crash-loop backoff (on by
     * default, 60 s; tested in tests/scenarios/events_crash_loop.scn and test_e2e_events). */
    setenv("ENABLE_BACKOFF", "false", 1);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char *lc = sdk_asprintf_new("%s/localcluster", bin_dir());
    char *listen = sdk_asprintf_new("%s/standins/cassandra_listen", build_dir());
    if (access(lc, X_OK) || access(listen, X_OK)) {
        fprintf(stderr, "test_e2e_cassandra: %s or %s is missing: build them with make\n", lc, listen);
        free(lc);
        free(listen);
        return check_summary("test_e2e_cassandra") | 1;
    }
    free(lc);
    free(listen);
    RUN(test_cassandra_on_localcluster);
    curl_global_cleanup();
    return check_summary("test_e2e_cassandra");
}
