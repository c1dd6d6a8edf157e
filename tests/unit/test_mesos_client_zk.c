/* The Mesos client with a zk:// master: it subscribes to the leader ZooKeeper names and, when the
 * leader changes, drops the stream and re-subscribes to the new leader with its framework id.
 * Reuses the fake master of test_mesos_client.c and the ZooKeeper server helpers of
 * test_master_detect.c. */
#define SDK_TEST_NO_MAIN 1
#pragma GCC diagnostic ignored "-Wunused-function"
#include "test_mesos_client.c"
#include "test_master_detect.c"

static char *member_for(zhandle_t *zh, uint16_t port) {
    char *data = sdk_asprintf_new("{\"address\":{\"hostname\":\"localhost\",\"ip\":\"127.0.0.1\",\"port\":%u},"
                                  "\"id\":\"m%u\",\"ip\":16777343,\"port\":%u}", port, port, port);
    char *p = add_member(zh, "json.info_", data);
    free(data);
    return p;
}

static void test_client_follows_zookeeper_leader(void) {
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zk_server z = {0};
    bool up = zk_start(&z);
    CHECK_MSG(up, "ZooKeeper server could not be started");
    zhandle_t *zh = up ? zk_connect(z.port) : NULL;
    CHECK_MSG(!up || zh, "cannot connect to ZooKeeper on port %u", z.port);
    if (!zh) {
        zk_stop(&z);
        return;
    }
    rec_reset();
    sdk_loop *l;
    sdk_loop_new(&l);
    fm a, b;
    fm_start(&a, l);
    fm_start(&b, l);
    CHECK_INT(zoo_create(zh, "/mesos", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    char *na = member_for(zh, a.port);
    char *nb = member_for(zh, b.port);

    char *url = sdk_asprintf_new("zk://127.0.0.1:%u/mesos", z.port);
    sdk_mesos_client_options o = {0};
    o.master = url;
    o.name = "hello-world";
    o.roles = ROLES;
    o.n_roles = 1;
    o.backoff_initial_ms = 20;
    o.leader_delay_max_ms = 50;
    o.cb = (sdk_mesos_callbacks){cb_subscribed, cb_offers, cb_rescind, cb_status, cb_error, cb_disconnected, NULL, NULL};
    sdk_mesos_client *c = NULL;
    CHECK_INT(sdk_mesos_client_new(l, &o, &c, NULL), 0);
    free(url);
    R.client = c;
    CHECK_INT(sdk_mesos_client_start(c), 0);
    want_subscribed = 1;
    CHECK(run_until(l, c_subscribed, NULL, 15000));
    CHECK_INT(a.subscribes, 1);
    CHECK_INT(b.subscribes, 0);

    /* leader A leaves the group: the client moves to B with the framework id it was given */
    if (na) CHECK_INT(zoo_delete(zh, na, -1), ZOK);
    want_subscribed = 2;
    CHECK(run_until(l, c_subscribed, NULL, 10000));
    CHECK_INT(b.subscribes, 1);
    CHECK_INT(R.disconnects, 1);
    fm_req *s = fm_nth(&b, MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE, 0);
    CHECK(s && s->call->framework_id && !strcmp(s->call->framework_id->value, "M-0000"));
    char *want = sdk_asprintf_new("http://127.0.0.1:%u", b.port);
    CHECK_STR(sdk_mesos_client_master_url(c), want);
    free(want);
    CHECK_INT(sdk_mesos_client_kill(c, "t1", NULL), 0);
    cnt_arg kl = {&b, MESOS__V1__SCHEDULER__CALL__TYPE__KILL, 1};
    CHECK(run_until(l, c_count, &kl, 2000));

    sdk_mesos_client_free(c);
    sdk_loop_run_once(l, 50);
    sdk_loop_run_once(l, 0);
    fm_stop(&a);
    fm_stop(&b);
    sdk_loop_free(l);
    rec_reset();
    free(na);
    free(nb);
    zookeeper_close(zh);
    zk_stop(&z);
}

int main(void) {
    if (!getenv("SDK_LOG")) sdk_log_set_level(SDK_LOG_ERROR);
    RUN(test_client_follows_zookeeper_leader);
    return check_summary("test_mesos_client_zk");
}
