/* Master detection: URL parsing, MasterInfo decoding, fixed masters, and a real ZooKeeper
 * server (started here from the Debian `zookeeper` package on a free loopback port) with
 * json.info_ group members, a leader change and the leader vanishing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#define THREADED 1 /* the synchronous API of libzookeeper_mt */
#include <zookeeper/zookeeper.h>

#include "check.h"
#include "core/loop/loop.h"
#include "core/mesos/detect.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "mesos/proto/mesos.pb-c.h"
#include "tests/unit/zk_server.h"

static void test_zk_url_parse(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_zk_url u;
    CHECK_INT(sdk_zk_url_parse("  zk://user:secret@zk1:2181,zk2:2181,zk3:2181/dcos/mesos \n", &u, &e), 0);
    CHECK_STR(u.servers, "zk1:2181,zk2:2181,zk3:2181");
    CHECK_STR(u.auth, "user:secret");
    CHECK_STR(u.path, "/dcos/mesos");
    sdk_zk_url_free(&u);
    CHECK_INT(sdk_zk_url_parse("zk://master.mesos:2181/mesos", &u, &e), 0);
    CHECK_STR(u.servers, "master.mesos:2181");
    CHECK(u.auth == NULL);
    CHECK_STR(u.path, "/mesos");
    sdk_zk_url_free(&u);
    CHECK_INT(e.n, 0);

    CHECK_INT(sdk_zk_url_parse("zk://zk1:2181/", &u, &e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "'/' is not supported"));
    CHECK(u.servers == NULL);
    CHECK_INT(sdk_zk_url_parse("zk://zk1:2181", &u, &e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "expecting a (chroot) path"));
    CHECK_INT(sdk_zk_url_parse("http://zk1:2181/mesos", &u, &e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "starts with zk://"));
    CHECK_INT(sdk_zk_url_parse("zk:///mesos", &u, &e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "no ZooKeeper server"));
    sdk_errors_free(&e);
}

static void test_fixed_urls(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    char *u = NULL;
    CHECK_INT(sdk_master_fixed_url_new("http://10.0.0.5:5050/", &u, &e), 0);
    CHECK_STR(u, "http://10.0.0.5:5050");
    free(u);
    CHECK_INT(sdk_master_fixed_url_new("master.mesos:5050", &u, &e), 0);
    CHECK_STR(u, "http://master.mesos:5050");
    free(u);
    CHECK_INT(sdk_master_fixed_url_new("master@127.0.0.1:5050", &u, &e), 0);
    CHECK_STR(u, "http://127.0.0.1:5050");
    free(u);
    CHECK_INT(sdk_master_fixed_url_new("https://m1:443", &u, &e), 0);
    CHECK_STR(u, "https://m1:443");
    free(u);
    CHECK_INT(e.n, 0);
    CHECK_INT(sdk_master_fixed_url_new("http://nohost", &u, &e), SDK_EINVAL);
    CHECK(u == NULL);
    CHECK(sdk_errors_contains(&e, "'http://nohost': expecting host:port"));
    CHECK_INT(sdk_master_fixed_url_new("file:///etc/master", &u, &e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "unsupported scheme"));
    CHECK_INT(sdk_master_fixed_url_new("h:99999", &u, &e), SDK_EINVAL);
    sdk_errors_free(&e);
}

static void test_master_info(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    char *u = NULL;
    const char *j1 = "{\"address\":{\"hostname\":\"m1.example\",\"ip\":\"10.0.0.5\",\"port\":5050},\"capabilities\":"
                     "[{\"type\":\"AGENT_UPDATE\"}],\"hostname\":\"m1.example\",\"id\":\"0b1c\",\"ip\":83886090,"
                     "\"pid\":\"master@10.0.0.5:5050\",\"port\":5050,\"version\":\"1.11.0\"}";
    CHECK_INT(sdk_master_info_url_new("json.info", j1, strlen(j1), &u, &e), 0);
    CHECK_STR(u, "http://10.0.0.5:5050");
    free(u);
    const char *j2 = "{\"id\":\"x\",\"ip\":159390892,\"pid\":\"master@172.28.128.9:5051\",\"port\":5051}";
    CHECK_INT(sdk_master_info_url_new("json.info", j2, strlen(j2), &u, &e), 0);
    CHECK_STR(u, "http://172.28.128.9:5051");
    free(u);
    const char *j3 = "{\"id\":\"x\",\"ip\":159390892,\"port\":5050}"; /* last resort: packed ip */
    CHECK_INT(sdk_master_info_url_new("json.info", j3, strlen(j3), &u, &e), 0);
    CHECK_STR(u, "http://172.28.128.9:5050");
    free(u);
    CHECK_INT(sdk_master_info_url_new("", "master@127.0.0.1:5050", 21, &u, &e), 0);
    CHECK_STR(u, "http://127.0.0.1:5050");
    free(u);
    Mesos__V1__MasterInfo mi = MESOS__V1__MASTER_INFO__INIT;
    mi.id = "m";
    mi.ip = 16777343;
    mi.port = 5052;
    uint8_t buf[128];
    size_t n = mesos__v1__master_info__pack(&mi, buf);
    CHECK_INT(sdk_master_info_url_new("info", buf, n, &u, &e), 0);
    CHECK_STR(u, "http://127.0.0.1:5052");
    free(u);
    CHECK_INT(e.n, 0);
    CHECK_INT(sdk_master_info_url_new("json.info", "{not json", 9, &u, &e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "MasterInfo JSON"));
    CHECK_INT(sdk_master_info_url_new("json.info", "{\"id\":\"x\"}", 10, &u, &e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "no usable address"));
    CHECK_INT(sdk_master_info_url_new("weird", "x", 1, &u, &e), SDK_EINVAL);
    CHECK(u == NULL);
    sdk_errors_free(&e);
}

typedef struct seen {
    int calls;
    char last[128];
    bool null;
} seen;

static void on_change(void *ud, const char *url) {
    seen *s = ud;
    s->calls++;
    s->null = url == NULL;
    snprintf(s->last, sizeof s->last, "%s", url ? url : "");
}

static bool run_until_leader(sdk_loop *l, seen *s, const char *want, int ms) {
    uint64_t end = sdk_loop_now_ms(l) + (uint64_t)ms;
    for (;;) {
        if (want ? (!s->null && !strcmp(s->last, want)) : (s->calls > 0 && s->null)) return true;
        if (sdk_loop_now_ms(l) >= end) return false;
        sdk_loop_run_once(l, 20);
    }
}

static void test_fixed_detector(void) {
    sdk_loop *l;
    sdk_loop_new(&l);
    seen s = {0};
    sdk_master_detector *d = NULL;
    CHECK_INT(sdk_master_detector_new(l, "127.0.0.1:5050", on_change, &s, &d, NULL), 0);
    CHECK(!sdk_master_detector_is_zk(d));
    CHECK_INT(sdk_master_detector_start(d), 0);
    CHECK_INT(sdk_master_detector_start(d), SDK_ESTATE);
    CHECK(run_until_leader(l, &s, "http://127.0.0.1:5050", 1000));
    CHECK_INT(s.calls, 1);
    CHECK_STR(sdk_master_detector_leader(d), "http://127.0.0.1:5050");
    sdk_master_detector_free(d);
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(sdk_master_detector_new(l, "zk://h:1/", on_change, &s, &d, &e), SDK_EINVAL);
    CHECK(d == NULL);
    CHECK(sdk_errors_contains(&e, "zk://h:1/"));
    sdk_errors_free(&e);
    sdk_loop_free(l);
}

/* ------------------------------------------------------------------ real ZooKeeper */

/* The server itself comes from the shared harness tests/unit/zk_server.{c,h}. */
static bool zk_start(zk_server *z) { return zk_server_start(z); }
static void zk_stop(zk_server *z) { zk_server_destroy(z); }

/* Test-side session (sync API; the loop is not running while these calls are made). */
static zhandle_t *zk_connect(uint16_t port) {
    zk_server z = {.port = port};
    snprintf(z.connect, sizeof z.connect, "127.0.0.1:%u", port);
    return zk_server_connect(&z);
}

static char *add_member(zhandle_t *zh, const char *label_prefix, const char *data) {
    char path[256];
    char *want = sdk_asprintf_new("/mesos/%s", label_prefix);
    int rc = zoo_create(zh, want, data, (int)strlen(data), &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL | ZOO_SEQUENCE, path,
                        sizeof path);
    free(want);
    CHECK_MSG(rc == ZOK, "create member: %s", zerror(rc));
    return rc == ZOK ? sdk_xstrdup(path) : NULL;
}

static void test_zookeeper_detection(void) {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zk_server z = {0};
    bool up = zk_start(&z);
    CHECK_MSG(up, "ZooKeeper server could not be started (java -cp /usr/share/java/zookeeper.jar ...)");
    zhandle_t *zh = up ? zk_connect(z.port) : NULL;
    CHECK_MSG(!up || zh, "cannot connect to the ZooKeeper server on port %u", z.port);
    if (!zh) {
        zk_stop(&z);
        return;
    }
    CHECK_INT(zoo_create(zh, "/mesos", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    CHECK_INT(zoo_create(zh, "/mesos/log_replicas", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    char *a = add_member(zh, "json.info_",
                         "{\"address\":{\"hostname\":\"localhost\",\"ip\":\"127.0.0.1\",\"port\":5050},"
                         "\"hostname\":\"localhost\",\"id\":\"A\",\"ip\":16777343,\"pid\":\"master@127.0.0.1:5050\","
                         "\"port\":5050,\"version\":\"1.11.0\"}");

    sdk_loop *l;
    sdk_loop_new(&l);
    seen s = {0};
    sdk_master_detector *d = NULL;
    char *url = sdk_asprintf_new("zk://127.0.0.1:%u/mesos", z.port);
    CHECK_INT(sdk_master_detector_new(l, url, on_change, &s, &d, NULL), 0);
    free(url);
    CHECK(sdk_master_detector_is_zk(d));
    CHECK_INT(sdk_master_detector_start(d), 0);
    CHECK_MSG(run_until_leader(l, &s, "http://127.0.0.1:5050", 15000), "leader seen: '%s'", s.last);

    /* a second contender does not change the leader (higher sequence) */
    char *b = add_member(zh, "json.info_",
                         "{\"address\":{\"hostname\":\"localhost\",\"ip\":\"127.0.0.1\",\"port\":5051},"
                         "\"id\":\"B\",\"ip\":16777343,\"port\":5051}");
    int calls = s.calls;
    uint64_t end = sdk_loop_now_ms(l) + 500;
    while (sdk_loop_now_ms(l) < end) sdk_loop_run_once(l, 20);
    CHECK_INT(s.calls, calls);
    CHECK_STR(sdk_master_detector_leader(d), "http://127.0.0.1:5050");

    /* the leader leaves: the next lowest sequence leads */
    if (a) CHECK_INT(zoo_delete(zh, a, -1), ZOK);
    CHECK_MSG(run_until_leader(l, &s, "http://127.0.0.1:5051", 10000), "leader seen: '%s'", s.last);
    CHECK_INT(s.calls, calls + 1);

    /* nobody left: leader unknown */
    if (b) CHECK_INT(zoo_delete(zh, b, -1), ZOK);
    s.calls = 0;
    CHECK(run_until_leader(l, &s, NULL, 10000));
    CHECK(sdk_master_detector_leader(d) == NULL);

    /* a garbage member is reported unusable, never a crash */
    char *g = add_member(zh, "json.info_", "{oops");
    end = sdk_loop_now_ms(l) + 500;
    while (sdk_loop_now_ms(l) < end) sdk_loop_run_once(l, 20);
    CHECK(sdk_master_detector_leader(d) == NULL);
    free(g);

    sdk_master_detector_free(d);
    sdk_loop_run_once(l, 50); /* let neutralised posts release their memory */
    sdk_loop_run_once(l, 0);
    sdk_loop_free(l);
    free(a);
    free(b);
    zookeeper_close(zh);
    zk_stop(&z);
}

#ifndef SDK_TEST_NO_MAIN /* test_mesos_client_zk.c reuses the helpers above */
int main(void) {
    if (!getenv("SDK_LOG")) sdk_log_set_level(SDK_LOG_ERROR);
    RUN(test_zk_url_parse);
    RUN(test_fixed_urls);
    RUN(test_master_info);
    RUN(test_fixed_detector);
    RUN(test_zookeeper_detection);
    return check_summary("test_master_detect");
}
#endif
