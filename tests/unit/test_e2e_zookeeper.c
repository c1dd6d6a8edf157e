/* End to end with REAL ZooKeeper: bin/scheduler with plugins/zookeeper/zookeeper.so on the
 * embedded local cluster (5 agents, hostnames 127.0.0.1..127.0.0.5), each node a real
 * QuorumPeerMain (Debian `zookeeper` jars, /usr/bin/java, -Xmx64m) bound to its agent's loopback
 * address on static ports picked free for this run (so they differ from any test ZooKeeper).
 * One scenario, in order, with znodes written through the `clients` endpoint's connection string:
 *   deploy (myid in each volume, the launched java command and env, the running config via the
 *   `conf` four-letter word); (a) a rolling tick-time update: one node at a time, the data
 *   readable throughout; (b) kill -9 of a server: in-place relaunch, same volume and myid, the
 *   data served by that node; (c) pod replace: a fresh volume, myid written again, the node
 *   syncs every znode; (d) scale 3 -> 5 by a config update (every server restarts at once with
 *   the new member list): 5 members, the new ones serve the data; (e) uninstall: no volume, no process, empty state. */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include "tests/unit/zk_server.h"
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

#define ZK_CP                                                                                     \
    "/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:"                          \
    "/usr/share/java/slf4j-api.jar:/usr/share/java/metrics-core.jar:"                            \
    "/usr/share/java/commons-cli.jar:/etc/zookeeper/conf"
#define N_ZNODES 20

static const char *bin_dir(void) {
    const char *b = getenv("SDK_BIN_DIR");
    return b && *b ? b : "bin";
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
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (body) *body = sdk_buf_take(&b);
    else sdk_buf_free(&b);
    return code;
}

static json_t *get_json(const char *url) {
    char *body = NULL;
    long c = http("GET", url, NULL, &body);
    json_t *j = c ? json_loads(body, 0, NULL) : NULL;
    free(body);
    return j;
}

/* Is TCP port `port` free on 127.0.0.<host>? */
static bool port_free(int host, unsigned port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)host);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* Sends a four-letter word to host:port, returns the answer (free()) or NULL. */
static char *four(const char *host, unsigned port, const char *word) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &sa.sin_addr);
    struct timeval tv = {.tv_sec = 3};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || write(fd, word, 4) != 4) {
        close(fd);
        return NULL;
    }
    sdk_buf b;
    sdk_buf_init(&b);
    char tmp[1024];
    ssize_t n;
    while ((n = read(fd, tmp, sizeof tmp)) > 0) sdk_buf_append(&b, tmp, (size_t)n);
    close(fd);
    return sdk_buf_take(&b);
}

typedef struct world {
    char dir[64];
    unsigned api, client, quorum, election;
    char api_url[64];
    pid_t sched;
} world;

static char host_of(int i) { return (char)('1' + i); } /* node-i on 127.0.0.(i+1) */

static pid_t start_scheduler(world *w, bool uninstall) {
    char *exe = sdk_asprintf_new("%s/scheduler", bin_dir());
    char *work = sdk_asprintf_new("%s/sched", w->dir);
    char *api = sdk_asprintf_new("127.0.0.1:%u", w->api);
    char *log = sdk_asprintf_new("%s/%s.log", w->dir, uninstall ? "uninstall" : "scheduler");
    char *o[12];
    int k = 0;
    o[k++] = sdk_asprintf_new("CLIENT_PORT=%u", w->client);
    o[k++] = sdk_asprintf_new("QUORUM_PORT=%u", w->quorum);
    o[k++] = sdk_asprintf_new("ELECTION_PORT=%u", w->election);
    o[k++] = sdk_xstrdup("ZK_HOSTS=127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5");
    o[k++] = sdk_xstrdup("ZOOKEEPER_CLASSPATH=" ZK_CP);
    o[k++] = sdk_xstrdup("ZOOKEEPER_URI=");
    o[k++] = sdk_xstrdup("ZOOKEEPER_HEAP_MB=64");
    o[k++] = sdk_xstrdup("ZOOKEEPER_JVM_OPTS=-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k");
    o[k++] = sdk_xstrdup("NODE_CPUS=0.2");
    o[k++] = sdk_xstrdup("NODE_MEM=256");
    o[k++] = sdk_xstrdup("TICK_TIME=500");
    o[k++] = sdk_xstrdup("READINESS_INTERVAL=1");
    char *argv[40] = {exe, "--plugin", "plugins/zookeeper/zookeeper.so", "--workdir", work, "--api", api,
                      "--agents", "5"};
    int a = 9;
    for (int i = 0; i < k; i++) { argv[a++] = "-o"; argv[a++] = o[i]; }
    if (uninstall) argv[a++] = "--uninstall";
    argv[a] = NULL;
    pid_t pid = e2e_spawn(argv, log);
    for (int i = 0; i < k; i++) free(o[i]);
    free(exe); free(work); free(api); free(log);
    return pid;
}

static void show_log(const world *w, const char *name) {
    char *p = sdk_asprintf_new("%s/%s", w->dir, name), *text = NULL;
    if (sdk_read_file_new(p, &text, NULL) == 0) {
        size_t n = strlen(text);
        fprintf(stderr, "---- last of %s ----\n%s\n----\n", p, n > 4000 ? text + n - 4000 : text);
    }
    free(text);
    free(p);
}

static long plan_code(world *w, const char *plan) {
    char *url = sdk_asprintf_new("%s/v1/plans/%s", w->api_url, plan);
    long c = http("GET", url, NULL, NULL);
    free(url);
    return c;
}

/* Waits until the deploy plan is COMPLETE (and the recovery plan too when `recovery`). */
static bool wait_plans(world *w, double timeout_s, bool recovery) {
    double end = e2e_now() + timeout_s;
    while (e2e_now() < end) {
        if (plan_code(w, "deploy") == 200 && (!recovery || plan_code(w, "recovery") == 200)) return true;
        usleep(250000);
    }
    show_log(w, "scheduler.log");
    return false;
}

/* Current task id of `task` in pod `pod` (free()), or NULL. */
static char *task_id(world *w, const char *pod, const char *task) {
    char *url = sdk_asprintf_new("%s/v1/pod/%s/info", w->api_url, pod);
    json_t *arr = get_json(url);
    free(url);
    char *out = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        json_t *info = json_object_get(e, "info");
        if (!strcmp(json_string_value(json_object_get(info, "name")), task))
            out = sdk_xstrdup(json_string_value(json_object_get(json_object_get(info, "taskId"), "value")));
    }
    json_decref(arr);
    return out;
}

static int cluster_port(world *w) {
    char *pf = sdk_asprintf_new("%s/sched/cluster/port", w->dir), *text = NULL;
    int port = sdk_read_file_new(pf, &text, NULL) == 0 ? atoi(text) : 0;
    free(text);
    free(pf);
    return port;
}

/* The local cluster's record of task id `id`: its pid and sandbox (copies), false if absent. */
static bool cluster_task(world *w, const char *id, long *pid, char **sandbox) {
    char *url = sdk_asprintf_new("http://127.0.0.1:%d/localcluster/state", cluster_port(w));
    json_t *st = get_json(url);
    free(url);
    bool found = false;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(st, "tasks"), i, t) {
        if (!id || strcmp(json_string_value(json_object_get(t, "id")), id)) continue;
        found = true;
        if (pid) *pid = (long)json_integer_value(json_object_get(t, "pid"));
        if (sandbox) *sandbox = sdk_xstrdup(json_string_value(json_object_get(t, "sandbox")));
    }
    json_decref(st);
    return found;
}

/* Text of /proc/<pid>/<what> with NULs as spaces (free()), "" when unreadable. */
static char *proc_text(long pid, const char *what) {
    char *p = sdk_asprintf_new("/proc/%ld/%s", pid, what), *text = NULL;
    size_t len = 0;
    if (sdk_read_file_new(p, &text, &len) != 0) {
        free(p);
        return sdk_xstrdup("");
    }
    for (size_t i = 0; i < len; i++)
        if (!text[i]) text[i] = ' ';
    free(p);
    return text;
}

/* Text of the file `name` in the sandbox of node-i's current server (free()), NULL if none. */
static char *server_file(world *w, int i, const char *name) {
    char pod[32], task[48];
    snprintf(pod, sizeof pod, "node-%d", i);
    snprintf(task, sizeof task, "node-%d-server", i);
    char *id = task_id(w, pod, task), *sb = NULL, *text = NULL;
    if (id && cluster_task(w, id, NULL, &sb) && sb) {
        char *p = sdk_asprintf_new("%s/%s", sb, name);
        if (sdk_read_file_new(p, &text, NULL) != 0) text = NULL;
        free(p);
    }
    free(id);
    free(sb);
    return text;
}

/* Mode of node-i from `srvr` ("leader", "follower", ...) into mode; false when it does not answer. */
static bool node_mode(world *w, int i, char *mode, size_t cap) {
    char host[16];
    snprintf(host, sizeof host, "127.0.0.%c", host_of(i));
    char *a = four(host, w->client, "srvr");
    const char *m = a ? strstr(a, "Mode: ") : NULL;
    bool ok = m != NULL;
    if (ok) snprintf(mode, cap, "%.*s", (int)strcspn(m + 6, "\n"), m + 6);
    free(a);
    return ok;
}

static bool serving(world *w, int i) {
    char m[32];
    return node_mode(w, i, m, sizeof m) && (!strcmp(m, "leader") || !strcmp(m, "follower"));
}

/* ---- ZooKeeper client side ----------------------------------------------------------------- */

static zhandle_t *zk_connect(const char *connect) {
    zhandle_t *zh = zookeeper_init(connect, NULL, 6000, NULL, NULL, 0);
    for (int i = 0; zh && i < 150 && zoo_state(zh) != ZOO_CONNECTED_STATE; i++) usleep(100 * 1000);
    if (zh && zoo_state(zh) != ZOO_CONNECTED_STATE) {
        zookeeper_close(zh);
        zh = NULL;
    }
    return zh;
}

/* Reads /e2e/k0..k(N-1) through zh; returns how many have their expected value. */
static int read_all(zhandle_t *zh) {
    int good = 0;
    for (int i = 0; i < N_ZNODES; i++) {
        char path[32], want[32], buf[64];
        int len = sizeof buf - 1;
        snprintf(path, sizeof path, "/e2e/k%d", i);
        snprintf(want, sizeof want, "value-%d", i);
        if (zoo_get(zh, path, 0, buf, &len, NULL) == ZOK && len >= 0) {
            buf[len] = 0;
            if (!strcmp(buf, want)) good++;
        }
    }
    return good;
}

/* Every znode read directly from node-i alone (a one-host connection string). */
static int read_from_node(world *w, int i) {
    char c[64];
    snprintf(c, sizeof c, "127.0.0.%c:%u", host_of(i), w->client);
    zhandle_t *zh = zk_connect(c);
    int good = zh ? read_all(zh) : -1;
    if (zh) zookeeper_close(zh);
    return good;
}

/* The connection string from GET /v1/endpoints/clients (free()). */
static char *clients_connect(world *w) {
    char *url = sdk_asprintf_new("%s/v1/endpoints/clients", w->api_url);
    json_t *j = get_json(url);
    free(url);
    char *c = j ? sdk_xstrdup(json_string_value(json_object_get(j, "connect"))) : NULL;
    json_decref(j);
    return c;
}

/* myid files in the cluster's volumes: a count of files and their ids joined ("1,2,3"). */
static char *volume_myids(world *w) {
    char *cmd = sdk_asprintf_new("cat $(find %s/sched/cluster/volumes -name myid 2>/dev/null | sort) 2>/dev/null "
                                 "| sort | tr '\\n' ,", w->dir);
    FILE *p = popen(cmd, "r");
    free(cmd);
    char line[256] = "";
    if (p && !fgets(line, sizeof line, p)) line[0] = 0;
    if (p) pclose(p);
    return sdk_xstrdup(line);
}

/* Polls the deploy plan while an update rolls: records the largest number of server steps in
 * flight at once, and reads the data through zh after each poll; *worst_gap_s is the longest
 * stretch without a complete read. Returns true when the plan completed within timeout_s. */
static bool watch_roll(world *w, zhandle_t *zh, double timeout_s, int *max_in_flight, double *worst_gap_s,
                       int *reads_ok, int *reads) {
    double end = e2e_now() + timeout_s, last_ok = e2e_now();
    *max_in_flight = 0;
    *worst_gap_s = 0;
    bool done = false;
    char *url = sdk_asprintf_new("%s/v1/plans/deploy", w->api_url);
    while (e2e_now() < end && !done) {
        char *body = NULL;
        long code = http("GET", url, NULL, &body);
        json_t *p = body ? json_loads(body, 0, NULL) : NULL;
        free(body);
        int in_flight = 0;
        size_t i, j;
        json_t *ph, *st;
        json_array_foreach(json_object_get(p, "phases"), i, ph) json_array_foreach(json_object_get(ph, "steps"), j, st) {
            const char *s = json_string_value(json_object_get(st, "status"));
            const char *n = json_string_value(json_object_get(st, "name"));
            if (s && n && strstr(n, "[server]") && strcmp(s, "COMPLETE") && strcmp(s, "PENDING")) in_flight++;
        }
        json_decref(p);
        if (in_flight > *max_in_flight) *max_in_flight = in_flight;
        done = code == 200;
        (*reads)++;
        if (read_all(zh) == N_ZNODES) {
            (*reads_ok)++;
            last_ok = e2e_now();
        } else if (e2e_now() - last_ok > *worst_gap_s) {
            *worst_gap_s = e2e_now() - last_ok;
        }
        if (!done) usleep(200000);
    }
    free(url);
    return done;
}

static void stop(pid_t pid, int sig) {
    if (pid <= 0) return;
    kill(pid, sig);
    for (int i = 0; i < 200; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* QuorumPeerMain processes whose working directory is under this run's work dir. */
static int our_servers(world *w) {
    char *cmd = sdk_asprintf_new("for p in $(pgrep -f QuorumPeerMain); do readlink /proc/$p/cwd; done 2>/dev/null "
                                 "| grep -c '^%s/'", w->dir);
    FILE *p = popen(cmd, "r");
    free(cmd);
    char line[32] = "0";
    if (p && !fgets(line, sizeof line, p)) strcpy(line, "0");
    if (p) pclose(p);
    return atoi(line);
}

static void test_zookeeper_ensemble(void) {
    world w;
    memset(&w, 0, sizeof w);
    snprintf(w.dir, sizeof w.dir, "/tmp/sdk-e2e-zk-XXXXXX");
    CHECK(mkdtemp(w.dir) != NULL);
    /* the api on an ephemeral port; the ensemble on three ports in the agents' range
     * 10000-12000, free on all five loopback addresses */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&sa, sizeof sa);
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    w.api = ntohs(sa.sin_port);
    snprintf(w.api_url, sizeof w.api_url, "http://127.0.0.1:%u", w.api);
    srand((unsigned)getpid() ^ (unsigned)time(NULL));
    for (int tries = 0; tries < 200 && !w.client; tries++) {
        unsigned base = 10000 + (unsigned)(rand() % 1900);
        bool ok = true;
        for (int h = 1; h <= 5 && ok; h++)
            ok = port_free(h, base) && port_free(h, base + 1) && port_free(h, base + 2);
        if (ok) { w.client = base; w.quorum = base + 1; w.election = base + 2; }
    }
    CHECK(w.client != 0);
    fprintf(stderr, "  ensemble ports: client %u, quorum %u, election %u; work dir %s\n", w.client, w.quorum,
            w.election, w.dir);

    double t0 = e2e_now();
    w.sched = start_scheduler(&w, false);
    bool deployed = wait_plans(&w, 90, false);
    CHECK_MSG(deployed, "the 3-node ensemble did not deploy");
    if (!deployed) goto out;
    fprintf(stderr, "  deploy: 3-node ensemble serving %.1f s after the scheduler started\n", e2e_now() - t0);

    /* what was launched: myid in each volume, the java command and env, the running config */
    char *ids = volume_myids(&w);
    CHECK_STR(ids, "1,2,3,");
    free(ids);
    int leaders = 0;
    for (int i = 0; i < 3; i++) {
        char m[32] = "";
        CHECK_MSG(node_mode(&w, i, m, sizeof m), "node-%d does not answer srvr", i);
        leaders += !strcmp(m, "leader");
        char pod[32], task[48];
        snprintf(pod, sizeof pod, "node-%d", i);
        snprintf(task, sizeof task, "node-%d-server", i);
        char *id = task_id(&w, pod, task);
        long pid = 0;
        CHECK(id && cluster_task(&w, id, &pid, NULL) && pid > 0);
        char *cmdline = proc_text(pid, "cmdline"), *env = proc_text(pid, "environ");
        CHECK_CONTAINS(cmdline, "-Xmx64m");
        CHECK_CONTAINS(cmdline, "org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg");
        char *want = sdk_asprintf_new("ZK_CLIENT_PORT=%u", w.client);
        CHECK_CONTAINS(env, want);
        free(want);
        want = sdk_asprintf_new("server.3=127.0.0.3:%u:%u;127.0.0.3:%u", w.quorum, w.election, w.client);
        CHECK_CONTAINS(env, want);
        char *cfg = server_file(&w, i, "zoo.cfg");
        CHECK_CONTAINS(cfg, want);
        free(want);
        char host[16];
        snprintf(host, sizeof host, "127.0.0.%c", host_of(i));
        char *conf = four(host, w.client, "conf");
        char *sid = sdk_asprintf_new("serverId=%d", i + 1);
        CHECK_CONTAINS(conf, sid);
        CHECK_CONTAINS(conf, "tickTime=500");
        free(sid); free(conf); free(cfg); free(cmdline); free(env); free(id);
    }
    CHECK_INT(leaders, 1);

    /* write the data through the endpoint's connection string */
    char *connect = clients_connect(&w);
    char *want_connect = sdk_asprintf_new("127.0.0.1:%u,127.0.0.2:%u,127.0.0.3:%u", w.client, w.client, w.client);
    CHECK_STR(connect, want_connect);
    free(want_connect);
    zhandle_t *zh = connect ? zk_connect(connect) : NULL;
    CHECK_MSG(zh != NULL, "cannot connect to the ensemble at %s", connect ? connect : "?");
    if (!zh) { free(connect); goto out; }
    CHECK_INT(zoo_create(zh, "/e2e", "root", 4, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    for (int i = 0; i < N_ZNODES; i++) {
        char path[32], val[32];
        snprintf(path, sizeof path, "/e2e/k%d", i);
        snprintf(val, sizeof val, "value-%d", i);
        CHECK_INT(zoo_create(zh, path, val, (int)strlen(val), &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    }
    CHECK_INT(read_all(zh), N_ZNODES);

    /* (a) rolling update of the tick time: one server at a time, data readable throughout */
    char *url = sdk_asprintf_new("%s/v1/update", w.api_url);
    double ta = e2e_now();
    CHECK_INT(http("POST", url, "{\"TICK_TIME\": \"600\"}", NULL), 200);
    int in_flight = 0, reads_ok = 0, reads = 0;
    double gap = 0;
    usleep(300000);
    bool rolled = watch_roll(&w, zh, 90, &in_flight, &gap, &reads_ok, &reads);
    CHECK_MSG(rolled, "the rolling update did not complete");
    CHECK_MSG(in_flight == 1, "%d servers restarted at once (want 1)", in_flight);
    CHECK_MSG(gap < 8.0, "the data was unreadable for %.1f s during the roll", gap);
    fprintf(stderr, "  (a) rolling update: %.1f s for 3 nodes (%.1f s per node), %d of %d reads complete, "
            "longest gap %.1f s\n", e2e_now() - ta, (e2e_now() - ta) / 3, reads_ok, reads, gap);
    for (int i = 0; i < 3; i++) {
        char *cfg = server_file(&w, i, "zoo.cfg");
        CHECK_CONTAINS(cfg, "tickTime=600");
        free(cfg);
        CHECK_MSG(serving(&w, i), "node-%d is not serving after the roll", i);
    }

    /* (b) kill -9 node-1's server: relaunched in place, same volume (myid) and data */
    char *old = task_id(&w, "node-1", "node-1-server");
    char *sig = sdk_asprintf_new("http://127.0.0.1:%d/localcluster/tasks/%s/signal?signal=KILL", cluster_port(&w),
                                 old ? old : "none");
    CHECK_INT(http("POST", sig, NULL, NULL), 200);
    free(sig);
    double tb = e2e_now(), endb = tb + 60;
    char *neu = NULL;
    while (e2e_now() < endb) {
        free(neu);
        neu = task_id(&w, "node-1", "node-1-server");
        if (neu && old && strcmp(neu, old) && serving(&w, 1) && plan_code(&w, "recovery") == 200) break;
        usleep(300000);
    }
    CHECK_MSG(neu && old && strcmp(neu, old), "node-1-server was not relaunched");
    CHECK_MSG(serving(&w, 1), "node-1 did not rejoin the quorum");
    ids = volume_myids(&w);
    CHECK_STR(ids, "1,2,3,"); /* same volumes, no new one */
    free(ids);
    CHECK_INT(read_from_node(&w, 1), N_ZNODES);
    fprintf(stderr, "  (b) kill: node-1 back in the quorum in %.1f s, same volume\n", e2e_now() - tb);
    free(old);
    free(neu);

    /* (c) pod replace node-2: a fresh volume, myid written again, the data synced */
    char *vol_before = NULL;
    {
        char *cmd = sdk_asprintf_new("dirname $(grep -lx 3 $(find %s/sched/cluster/volumes -name myid))", w.dir);
        FILE *p = popen(cmd, "r");
        char line[512] = "";
        if (p && fgets(line, sizeof line, p)) line[strcspn(line, "\n")] = 0;
        if (p) pclose(p);
        vol_before = sdk_xstrdup(line);
        free(cmd);
    }
    char *rep = sdk_asprintf_new("%s/v1/pod/node-2/replace", w.api_url);
    double tc = e2e_now();
    CHECK_INT(http("POST", rep, NULL, NULL), 200);
    free(rep);
    usleep(500000);
    double endc = tc + 90;
    while (e2e_now() < endc && !(plan_code(&w, "recovery") == 200 && serving(&w, 2))) usleep(300000);
    CHECK_MSG(serving(&w, 2), "the replaced node-2 did not join the quorum");
    struct stat stb;
    CHECK_MSG(vol_before[0] && stat(vol_before, &stb) != 0, "the old volume %s is still there", vol_before);
    free(vol_before);
    ids = volume_myids(&w);
    CHECK_STR(ids, "1,2,3,");
    free(ids);
    CHECK_INT(read_from_node(&w, 2), N_ZNODES);
    fprintf(stderr, "  (c) replace: node-2 on a fresh volume serving all %d znodes %.1f s after the request\n",
            N_ZNODES, e2e_now() - tc);

    /* (d) scale 3 -> 5: the new nodes' init, then every server restarts with the 5-member zoo.cfg */
    double td = e2e_now();
    CHECK_INT(http("POST", url, "{\"NODE_COUNT\": \"5\"}", NULL), 200);
    usleep(300000);
    bool scaled = wait_plans(&w, 120, true);
    CHECK_MSG(scaled, "the scale to 5 did not complete");
    ids = volume_myids(&w);
    CHECK_STR(ids, "1,2,3,4,5,");
    free(ids);
    int n_serving = 0;
    for (int i = 0; i < 5; i++) n_serving += serving(&w, i);
    CHECK_INT(n_serving, 5);
    CHECK_INT(read_from_node(&w, 4), N_ZNODES);
    char *cfg0 = server_file(&w, 0, "zoo.cfg");
    char *s5 = sdk_asprintf_new("server.5=127.0.0.5:%u:%u", w.quorum, w.election);
    CHECK_CONTAINS(cfg0, s5);
    free(s5);
    free(cfg0);
    char *connect5 = clients_connect(&w);
    CHECK_CONTAINS(connect5, "127.0.0.5:");
    free(connect5);
    fprintf(stderr, "  (d) scale 3 -> 5: %.1f s, %d members serving\n", e2e_now() - td, n_serving);
    /* the plugin route sees the same ensemble */
    char *ens = sdk_asprintf_new("%s/v1/zookeeper/ensemble", w.api_url);
    json_t *ej = get_json(ens);
    CHECK_INT(json_integer_value(json_object_get(ej, "serving")), 5);
    json_decref(ej);
    free(ens);
    /* bad input over HTTP: refused, nothing changes */
    char *body = NULL;
    CHECK_INT(http("POST", url, "{\"NODE_COUNT\": \"4\"}", &body), 409);
    CHECK_CONTAINS(body, "3 or 5 nodes");
    free(body);
    free(url);
    zookeeper_close(zh);
    free(connect);

    /* (e) uninstall: nothing left */
    stop(w.sched, SIGINT);
    w.sched = 0;
    pid_t un = start_scheduler(&w, true);
    int st = 0;
    double ende = e2e_now() + 90;
    while (e2e_now() < ende && waitpid(un, &st, WNOHANG) != un) usleep(200000);
    if (e2e_now() >= ende) { stop(un, SIGKILL); st = -1; }
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "uninstall exit status %d", st);
    if (st) show_log(&w, "uninstall.log");
    char *cnt = sdk_asprintf_new("find %s/sched/cluster/volumes -mindepth 3 2>/dev/null | wc -l", w.dir);
    FILE *p = popen(cnt, "r");
    char line[32] = "?";
    if (p && !fgets(line, sizeof line, p)) line[0] = '?';
    if (p) pclose(p);
    CHECK_MSG(atoi(line) == 0 && line[0] == '0', "volumes left after uninstall: %s", line);
    free(cnt);
    CHECK_INT(our_servers(&w), 0);
    for (int i = 0; i < 5; i++) CHECK_MSG(!serving(&w, i), "node-%d still answers after the uninstall", i);
out:
    if (w.sched > 0) stop(w.sched, SIGINT);
    char *cmd = sdk_asprintf_new("rm -rf %s", w.dir);
    if (system(cmd)) {}
    free(cmd);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* These tests kill -9 a task and wait for its relaunch in place; the crash-loop backoff (on by
     * default: 60 s before that relaunch) has its own scenarios (tests/scenarios/events_crash_loop.scn). */
    setenv("ENABLE_BACKOFF", "false", 1);
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    char *lc = sdk_asprintf_new("%s/localcluster", bin_dir());
    if (access(lc, X_OK) || access("plugins/zookeeper/zookeeper.so", R_OK)) {
        fprintf(stderr, "test_e2e_zookeeper: %s or plugins/zookeeper/zookeeper.so is missing: build with make\n", lc);
        free(lc);
        return check_summary("test_e2e_zookeeper") | 1;
    }
    free(lc);
    if (access("/usr/share/java/zookeeper.jar", R_OK) || access("/usr/bin/java", X_OK)) {
        fprintf(stderr, "\n*** test_e2e_zookeeper: the Debian 'zookeeper' package and /usr/bin/java are needed ***\n");
        return check_summary("test_e2e_zookeeper") | 1;
    }
    RUN(test_zookeeper_ensemble);
    curl_global_cleanup();
    return check_summary("test_e2e_zookeeper");
}
