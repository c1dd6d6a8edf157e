/* A real ZooKeeper server for tests and benchmarks: ZooKeeperServerMain from the Debian
 * `zookeeper` package, run with /usr/bin/java on a free loopback port with a temporary data dir.
 * Linked into every test binary (tests/unit/ files not named test_*.c); benchmarks include
 * zk_server.c directly. Nothing here skips: a server that cannot start is reported loudly on
 * stderr (with the server log path) and the caller's CHECK fails.
 *
 * The server runs with tickTime 500 ms, so sessions may be as short as 1 s (tests of session
 * loss stay fast) and as long as 10 s. */
#ifndef SDK_TESTS_ZK_SERVER_H
#define SDK_TESTS_ZK_SERVER_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#define THREADED 1
#include <zookeeper/zookeeper.h>

typedef struct zk_server {
    pid_t pid;          /* 0 when not running */
    uint16_t port;
    char dir[64];       /* temp dir: data/ and server.log */
    char connect[32];   /* "127.0.0.1:PORT" */
} zk_server;

/* Starts a server on a free port in a new temp dir. Returns true when it accepts connections
 * (waits up to 40 s); false after printing why (and where the server log is). */
bool zk_server_start(zk_server *z);
/* Stops the process (SIGTERM, then SIGKILL after 5 s) but keeps the data dir. */
void zk_server_stop(zk_server *z);
/* Starts the server again on the same port and data dir (after zk_server_stop). */
bool zk_server_restart(zk_server *z);
/* Stops the server if running and removes its temp dir. Safe on a zeroed struct. */
void zk_server_destroy(zk_server *z);
/* A test-side session (synchronous API), connected within 15 s, or NULL (reported). */
zhandle_t *zk_server_connect(const zk_server *z);
#endif
