/* Test ZooKeeper server (contract in zk_server.h). */
#include "tests/unit/zk_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZK_CLASSPATH                                                                              \
    "/usr/share/java/zookeeper.jar:/usr/share/java/zookeeper-jute.jar:"                          \
    "/usr/share/java/slf4j-api.jar:/usr/share/java/metrics-core.jar:"                            \
    "/usr/share/java/commons-cli.jar:/etc/zookeeper/conf"

static int zk_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static uint16_t zk_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    uint16_t port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static bool zk_port_open(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static bool zk_spawn(zk_server *z) {
    char port[16], data[96], log[96];
    snprintf(port, sizeof port, "%u", z->port);
    snprintf(data, sizeof data, "%s/data", z->dir);
    snprintf(log, sizeof log, "%s/server.log", z->dir);
    mkdir(data, 0700);
    if (access("/usr/share/java/zookeeper.jar", R_OK) != 0 || access("/usr/bin/java", X_OK) != 0) {
        fprintf(stderr, "\n*** ZooKeeper test server: /usr/share/java/zookeeper.jar or /usr/bin/java is "
                        "missing; install the Debian 'zookeeper' package (apt-get install zookeeper) ***\n");
        return false;
    }
    z->pid = fork();
    if (z->pid < 0) {
        z->pid = 0;
        return false;
    }
    if (z->pid == 0) {
        setsid();
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed or timed-out test leaves no server behind */
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        /* 1000 MB: the heap upstream's zkEnv.sh gives a server (ZK_SERVER_HEAP). A server keeps
         * its last 500 transactions in memory besides the tree; with the scheduler's group
         * commit (one transaction per offer cycle, up to sdk_store_request_budget) those are
         * all of a 10,000-pod deploy, and 256 MB stalled it in garbage collection for longer
         * than a session timeout (bench/state). */
        execl("/usr/bin/java", "java", "-Xmx1000m", "-Dzookeeper.admin.enableServer=false",
              "-Dzookeeper.4lw.commands.whitelist=*", "-cp", ZK_CLASSPATH,
              "org.apache.zookeeper.server.ZooKeeperServerMain", port, data, "500", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400; i++) {
        if (zk_port_open(z->port)) return true;
        int st;
        if (waitpid(z->pid, &st, WNOHANG) == z->pid) {
            fprintf(stderr, "\n*** ZooKeeper test server exited early (status %d); see %s ***\n", st, log);
            z->pid = 0;
            return false;
        }
        usleep(100 * 1000);
    }
    fprintf(stderr, "\n*** ZooKeeper test server did not listen on port %u within 40 s; see %s ***\n",
            z->port, log);
    zk_server_stop(z);
    return false;
}

bool zk_server_start(zk_server *z) {
    *z = (zk_server){0};
    snprintf(z->dir, sizeof z->dir, "/tmp/sdk-zk-test-XXXXXX");
    if (!mkdtemp(z->dir)) {
        perror("*** ZooKeeper test server: mkdtemp");
        z->dir[0] = 0;
        return false;
    }
    z->port = zk_free_port();
    snprintf(z->connect, sizeof z->connect, "127.0.0.1:%u", z->port);
    return z->port && zk_spawn(z);
}

bool zk_server_restart(zk_server *z) {
    if (z->pid > 0 || !z->dir[0]) return z->pid > 0;
    return zk_spawn(z);
}

void zk_server_stop(zk_server *z) {
    if (z->pid <= 0) return;
    kill(-z->pid, SIGTERM);
    kill(z->pid, SIGTERM);
    int st;
    for (int i = 0; i < 50 && waitpid(z->pid, &st, WNOHANG) == 0; i++) usleep(100 * 1000);
    kill(-z->pid, SIGKILL);
    waitpid(z->pid, &st, 0);
    z->pid = 0;
}

void zk_server_destroy(zk_server *z) {
    zk_server_stop(z);
    if (z->dir[0]) nftw(z->dir, zk_rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    z->dir[0] = 0;
}

zhandle_t *zk_server_connect(const zk_server *z) {
    zhandle_t *zh = zookeeper_init(z->connect, NULL, 10000, NULL, NULL, 0);
    for (int i = 0; zh && i < 150 && zoo_state(zh) != ZOO_CONNECTED_STATE; i++) usleep(100 * 1000);
    if (zh && zoo_state(zh) != ZOO_CONNECTED_STATE) {
        zookeeper_close(zh);
        zh = NULL;
    }
    if (!zh) fprintf(stderr, "\n*** cannot connect to the ZooKeeper test server at %s ***\n", z->connect);
    return zh;
}
