/* Benchmark: a real 3-node ZooKeeper ensemble (plugins/zookeeper/zookeeper.so, Debian jars,
 * /usr/bin/java -Xmx64m) on the embedded local cluster. Prints the time from `scheduler` start
 * to the ensemble serving (deploy plan COMPLETE: every node answers `srvr` as leader or
 * follower), then the time of each node's restart in a rolling tick-time update (from its step
 * leaving PENDING to COMPLETE: killed, relaunched, back in the quorum).
 *
 * Reproduce: make -j2 all build/bench/zookeeper && ./build/bench/zookeeper */
#include "core/util/str.h"
#include "tests/unit/e2e_support.c" /* processes, ports and HTTP, as the end-to-end tests use them */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ZK_CP                                                                                     \
    "/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:"                          \
    "/usr/share/java/slf4j-api.jar:/usr/share/java/metrics-core.jar:"                            \
    "/usr/share/java/commons-cli.jar:/etc/zookeeper/conf"

static bool port_free(int host, unsigned port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)host);
    bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* Status of the [server] step of node-i in the deploy plan, into st. */
static void server_steps(const char *api, char st[3][16]) {
    char *url = sdk_asprintf_new("%s/v1/plans/deploy", api), *body = NULL;
    e2e_http("GET", url, NULL, &body);
    free(url);
    json_t *p = body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    size_t i, j;
    json_t *ph, *s;
    json_array_foreach(json_object_get(p, "phases"), i, ph) json_array_foreach(json_object_get(ph, "steps"), j, s) {
        const char *n = json_string_value(json_object_get(s, "name"));
        for (int k = 0; k < 3; k++) {
            char want[32];
            snprintf(want, sizeof want, "node-%d:[server]", k);
            if (n && !strcmp(n, want))
                snprintf(st[k], 16, "%s", json_string_value(json_object_get(s, "status")));
        }
    }
    json_decref(p);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char dir[] = "/tmp/sdk-bench-zk-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    srand((unsigned)getpid());
    unsigned base = 0;
    for (int t = 0; t < 200 && !base; t++) {
        unsigned b = 10000 + (unsigned)(rand() % 1900);
        bool ok = true;
        for (int h = 1; h <= 3 && ok; h++) ok = port_free(h, b) && port_free(h, b + 1) && port_free(h, b + 2);
        if (ok) base = b;
    }
    unsigned api_port = 20000 + (unsigned)(rand() % 20000);
    char api[64], apiarg[64], work[96], log[96], o1[32], o2[32], o3[32];
    snprintf(api, sizeof api, "http://127.0.0.1:%u", api_port);
    snprintf(apiarg, sizeof apiarg, "127.0.0.1:%u", api_port);
    snprintf(work, sizeof work, "%s/sched", dir);
    snprintf(log, sizeof log, "%s/scheduler.log", dir);
    snprintf(o1, sizeof o1, "CLIENT_PORT=%u", base);
    snprintf(o2, sizeof o2, "QUORUM_PORT=%u", base + 1);
    snprintf(o3, sizeof o3, "ELECTION_PORT=%u", base + 2);
    char *argv[] = {"bin/scheduler", "--plugin", "plugins/zookeeper/zookeeper.so", "--workdir", work, "--api", apiarg,
                    "--agents", "3", "-o", o1, "-o", o2, "-o", o3, "-o", "ZK_HOSTS=127.0.0.1,127.0.0.2,127.0.0.3",
                    "-o", "ZOOKEEPER_CLASSPATH=" ZK_CP, "-o", "ZOOKEEPER_URI=", "-o", "ZOOKEEPER_HEAP_MB=64",
                    "-o", "NODE_CPUS=0.2", "-o", "NODE_MEM=256", "-o", "TICK_TIME=500", "-o", "READINESS_INTERVAL=1",
                    NULL};
    double t0 = e2e_now();
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
        execv(argv[0], argv);
        _exit(127);
    }
    char *plan = sdk_asprintf_new("%s/v1/plans/deploy", api);
    double deadline = t0 + 120, deployed = -1;
    while (e2e_now() < deadline && deployed < 0) {
        if (e2e_http("GET", plan, NULL, NULL) == 200) deployed = e2e_now() - t0;
        else usleep(100000);
    }
    printf("zookeeper ensemble (3 nodes, real QuorumPeerMain, -Xmx64m, local cluster)\n");
    if (deployed < 0) {
        printf("  deploy did not complete in 120 s; see %s\n", log);
    } else {
        printf("  scheduler start -> 3-node ensemble serving: %6.2f s\n", deployed);
        char *upd = sdk_asprintf_new("%s/v1/update", api);
        e2e_http("POST", upd, "{\"TICK_TIME\": \"600\"}", NULL);
        free(upd);
        double started[3] = {0}, done[3] = {0};
        double end = e2e_now() + 120;
        usleep(200000);
        while (e2e_now() < end && !(done[0] && done[1] && done[2])) {
            char st[3][16] = {"", "", ""};
            server_steps(api, st);
            double t = e2e_now();
            for (int k = 0; k < 3; k++) {
                if (!started[k] && st[k][0] && strcmp(st[k], "PENDING") && strcmp(st[k], "COMPLETE")) started[k] = t;
                if (started[k] && !done[k] && !strcmp(st[k], "COMPLETE")) done[k] = t;
            }
            usleep(50000);
        }
        for (int k = 0; k < 3; k++) {
            if (done[k]) printf("  rolling restart (tickTime change), node-%d: %6.2f s (killed -> back in the quorum)\n",
                                k, done[k] - started[k]);
            else printf("  rolling restart, node-%d: did not complete\n", k);
        }
    }
    printf("  reproduce: make -j2 all build/bench/zookeeper && ./build/bench/zookeeper\n");
    free(plan);
    kill(pid, SIGINT);
    for (int i = 0; i < 150 && waitpid(pid, NULL, WNOHANG) != pid; i++) usleep(100000);
    char *rm = sdk_asprintf_new("rm -rf %s", dir);
    if (system(rm)) {}
    free(rm);
    curl_global_cleanup();
    return deployed < 0;
}
