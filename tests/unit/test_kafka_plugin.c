/* plugins/kafka/kafka.so loaded through the loader over the in-memory backend (commands never run
 * by themselves: the test reads their argv and completes them with the output Kafka's and
 * ZooKeeper's tools print). Covers the default spec and its broker command, the ZooKeeper chroot,
 * validation, every route and the pre-decommission check. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "plugin_env.h"
#include "core/plugin/loader.h"
#include "core/plugin/memory_backend.h"
#include "core/plugin/plugin.h"
#include "core/spec/mustache.h"

#define KAFKA_SO "plugins/kafka/kafka.so"

typedef plugin_env kenv;

static bool k_open(kenv *h, const sdk_kv *over, size_t n_over) {
    static const sdk_kv base[] = {
        {"KAFKA_TOOLS_HOME", "/opt/kafka"},
        {"KAFKA_ZOOKEEPER", "zk-1:2181,zk-2:2181"},
    };
    int rc = plugin_env_open(h, KAFKA_SO, base, sizeof base / sizeof base[0], over, n_over);
    CHECK(rc >= 0);
    return rc == 0;
}

static void k_close(kenv *h) { plugin_env_close(h); }

static sdk_spec *k_spec(kenv *h) {
    sdk_spec *s = plugin_env_spec(h);
    CHECK(s != NULL);
    return s;
}

static const char *env_of(const sdk_task_spec *t, const char *k) {
    return plugin_env_task_env(t, k);
}

/* ---- requests ---- */
typedef struct sent {
    int calls, status;
    char *body;
} sent;

static void on_finish(sdk_plugin_response *r, void *ctx) {
    sent *s = ctx;
    s->calls++;
    s->status = r->status;
    free(s->body);
    s->body = strdup(r->body.data ? r->body.data : "");
}

/* Dispatches method path (query "k=v&k=v" or NULL). Answered at once: fills snt and returns false;
 * suspended: returns true (snt is filled on finish). */
static bool req(kenv *h, const char *method, const char *path, const char *query, sent *snt) {
    sdk_kv q[4];
    size_t nq = 0;
    char buf[256] = "";
    if (query) snprintf(buf, sizeof buf, "%s", query);
    for (char *tok = strtok(buf, "&"); tok && nq < 4; tok = strtok(NULL, "&")) {
        char *eq = strchr(tok, '=');
        if (!eq) continue;
        *eq = 0;
        q[nq++] = (sdk_kv){tok, eq + 1};
    }
    sdk_plugin_http_request r = {.method = method, .path = path, .query = q, .n_query = nq};
    sdk_plugin_response *resp = sdk_plugin_response_new(on_finish, snt);
    bool pending = false;
    int rc = sdk_plugin_dispatch(h->in, &r, resp, &pending);
    CHECK_INT(rc, 0);
    if (!pending) {
        snt->calls++;
        snt->status = resp->status;
        free(snt->body);
        snt->body = strdup(resp->body.data ? resp->body.data : "");
        sdk_plugin_response_free(resp);
    }
    return pending;
}

/* The oldest pending command's argv joined with spaces. */
static char *argv_line(kenv *h) {
    static char line[1024];
    line[0] = 0;
    for (size_t i = 0;; i++) {
        const char *a = sdk_memory_backend_command_arg(h->m, i);
        if (!a) break;
        if (i) strncat(line, " ", sizeof line - strlen(line) - 1);
        strncat(line, a, sizeof line - strlen(line) - 1);
    }
    return line;
}

#define ZK "zk-1:2181,zk-2:2181/dcos-service-kafka"

static const char ZK_LS[] = "Connecting to zk-1:2181\n\nWATCHER::\n\nWatchedEvent state:SyncConnected "
                            "type:None path:null\n[0, 1, 2]\n";
static const char ZK_GET1[] =
    "Connecting to zk-1:2181\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None "
    "path:null\n{\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\"},\"endpoints\":"
    "[\"PLAINTEXT://10.0.0.7:1025\"],\"jmx_port\":-1,\"host\":\"10.0.0.7\",\"timestamp\":"
    "\"1588000000000\",\"port\":1025,\"version\":4}\ncZxid = 0x2a\nctime = Mon Apr 27\n";
static const char DESCRIBE[] =
    "Topic: orders\tPartitionCount: 3\tReplicationFactor: 2\tConfigs: \n"
    "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\n"
    "\tTopic: orders\tPartition: 1\tLeader: 2\tReplicas: 2,0\tIsr: 2,0\n"
    "\tTopic: orders\tPartition: 2\tLeader: 0\tReplicas: 0,1\tIsr: 0\n";

static void test_default_spec(void) {
    kenv h;
    if (!k_open(&h, NULL, 0)) goto out;
    sdk_spec *s = k_spec(&h);
    if (!s) goto out;
    CHECK_STR(s->name, "kafka");
    const sdk_pod_spec *pod = sdk_spec_pod(s, "kafka");
    CHECK(pod != NULL);
    if (pod) {
        CHECK_INT(pod->count, 3);
        CHECK(pod->allow_decommission);
        CHECK_INT(pod->n_uris, 1);
        if (pod->n_uris) CHECK_CONTAINS(pod->uris[0], "kafka_2.12-2.4.1.tgz");
        const sdk_task_spec *b = sdk_pod_task(pod, "broker");
        CHECK(b != NULL);
        if (b) {
            CHECK_INT(b->goal, SDK_GOAL_RUNNING);
            CHECK_CONTAINS(b->cmd, "broker.id=$POD_INSTANCE_INDEX");
            CHECK_CONTAINS(b->cmd, "\"$KAFKA_HOME/bin/kafka-server-start.sh\" server.properties");
            CHECK(b->readiness_check.present);
            CHECK_CONTAINS(b->readiness_check.cmd, "INFO [KafkaServer id=$POD_INSTANCE_INDEX] started");
            CHECK_STR(env_of(b, "KAFKA_DISK_PATH"), "kafka-broker-data");
            CHECK_STR(env_of(b, "KAFKA_HEAP_OPTS"), "-Xms512M -Xmx512M");
            const sdk_resource_set *rs = sdk_pod_resource_set(pod, b->resource_set);
            CHECK(rs && rs->n_volumes == 1 && rs->n_ports == 1);
            if (rs && rs->n_volumes == 1 && rs->n_ports == 1) {
                CHECK_STR(rs->volumes[0].path, "kafka-broker-data");
                CHECK_INT(rs->volumes[0].size_mb, 5000);
                CHECK_STR(rs->ports[0].env_key, "KAFKA_BROKER_PORT");
                CHECK(rs->ports[0].advertise);
            }
        }
    }
    const sdk_plan_spec *le = sdk_spec_plan(s, "leader-election");
    CHECK(le && le->n_phases == 1);
    sdk_spec_free(s);
out:
    k_close(&h);
}

/* Runs cmd with sh in dir with env prefix; returns the exit status. */
static int run_sh(const char *dir, const char *envs, const char *cmd) {
    char script[600], line[2048];
    snprintf(script, sizeof script, "%s/.cmd.sh", dir);
    FILE *f = fopen(script, "w");
    if (!f) return -1;
    fprintf(f, "%s\n", cmd);
    fclose(f);
    snprintf(line, sizeof line, "cd '%s' && env %s sh .cmd.sh >/dev/null 2>&1", dir, envs);
    int rc = system(line);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The broker command writes server.properties from its env and starts $KAFKA_HOME's
 * kafka-server-start.sh (here a two-line fake that prints the log line); readiness then passes. */
static void test_broker_command_with_plain_sh(void) {
    kenv h;
    if (!k_open(&h, NULL, 0)) goto out;
    sdk_spec *s = k_spec(&h);
    if (!s) goto out;
    CHECK_INT(sdk_plugin_mutate_spec(h.in, &s, &h.e), 0);
    const sdk_task_spec *b = sdk_pod_task(sdk_spec_pod(s, "kafka"), "broker");
    char dir[] = "/tmp/sdk-kafka-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/home/bin' && printf '#!/bin/sh\\necho \"INFO [KafkaServer id=1] started "
             "(kafka.server.KafkaServer)\" >> \"$LOG_DIR/server.log\"\\n' > '%s/home/bin/kafka-server-start.sh' "
             "&& chmod +x '%s/home/bin/kafka-server-start.sh'", dir, dir, dir);
    CHECK_INT(system(cmd), 0);
    char envs[1024];
    snprintf(envs, sizeof envs,
             "POD_INSTANCE_INDEX=1 KAFKA_BROKER_PORT=1025 MESOS_CONTAINER_IP=10.0.0.9 KAFKA_HOME=%s/home "
             "KAFKA_DISK_PATH=%s KAFKA_ZOOKEEPER_URI=%s KAFKA_DELETE_TOPIC_ENABLE=%s "
             "KAFKA_DEFAULT_REPLICATION_FACTOR=%s", dir, env_of(b, "KAFKA_DISK_PATH"),
             env_of(b, "KAFKA_ZOOKEEPER_URI"), env_of(b, "KAFKA_DELETE_TOPIC_ENABLE"),
             env_of(b, "KAFKA_DEFAULT_REPLICATION_FACTOR"));
    CHECK(run_sh(dir, "POD_INSTANCE_INDEX=1", b->readiness_check.cmd) != 0);
    CHECK_INT(run_sh(dir, envs, b->cmd), 0);
    CHECK_INT(run_sh(dir, "POD_INSTANCE_INDEX=1", b->readiness_check.cmd), 0);
    CHECK(run_sh(dir, "POD_INSTANCE_INDEX=2", b->readiness_check.cmd) != 0); /* another broker's id */
    char *props = NULL, *p = NULL;
    p = sdk_asprintf_new("%s/server.properties", dir);
    CHECK_INT(sdk_read_file_new(p, &props, NULL), 0);
    if (props) {
        CHECK_CONTAINS(props, "broker.id=1\n");
        CHECK_CONTAINS(props, "listeners=PLAINTEXT://0.0.0.0:1025\n");
        CHECK_CONTAINS(props, "advertised.listeners=PLAINTEXT://10.0.0.9:1025\n");
        CHECK_CONTAINS(props, "zookeeper.connect=" ZK "\n");
        CHECK_CONTAINS(props, "/kafka-broker-data\n");
        CHECK_CONTAINS(props, "delete.topic.enable=true\n");
    }
    free(props);
    free(p);
    snprintf(cmd, sizeof cmd, "test -d '%s/kafka-broker-data' && rm -rf '%s'", dir, dir);
    CHECK_INT(system(cmd), 0);
    sdk_spec_free(s);
out:
    k_close(&h);
}

static void test_chroot_env_and_endpoint(void) {
    kenv h;
    if (!k_open(&h, NULL, 0)) goto out;
    sdk_spec *s = k_spec(&h);
    if (!s) goto out;
    CHECK_INT(sdk_plugin_mutate_spec(h.in, &s, &h.e), 0);
    for (size_t i = 0; i < s->n_pods; i++)
        for (size_t j = 0; j < s->pods[i].n_tasks; j++)
            CHECK_STR(env_of(&s->pods[i].tasks[j], "KAFKA_ZOOKEEPER_URI"), ZK);
    sdk_plugin_endpoint *eps = NULL;
    size_t n = 0;
    CHECK_INT(sdk_plugin_endpoints_new(h.in, &eps, &n, &h.e), 0);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(eps[0].name, "zookeeper");
        CHECK_STR(eps[0].content_type, "text/plain");
        CHECK_STR(eps[0].body, ZK);
    }
    sdk_plugin_endpoints_free(eps, n);
    sdk_spec_free(s);
out:
    k_close(&h);
    /* a service in a folder: '/' is escaped as "__"; an explicit URI wins */
    sdk_kv over[] = {{"FRAMEWORK_NAME", "/prod/kafka"}};
    if (!k_open(&h, over, 1)) goto out2;
    CHECK_INT(sdk_plugin_endpoints_new(h.in, &eps, &n, &h.e), 0);
    CHECK(n == 1 && !strcmp(eps[0].body, "zk-1:2181,zk-2:2181/dcos-service-prod__kafka"));
    sdk_plugin_endpoints_free(eps, n);
out2:
    k_close(&h);
    sdk_kv over2[] = {{"KAFKA_ZOOKEEPER_URI", "zk:2181/custom"}};
    if (!k_open(&h, over2, 1)) goto out3;
    CHECK_INT(sdk_plugin_endpoints_new(h.in, &eps, &n, &h.e), 0);
    CHECK(n == 1 && !strcmp(eps[0].body, "zk:2181/custom"));
    sdk_plugin_endpoints_free(eps, n);
out3:
    k_close(&h);
}

static void test_validation(void) {
    kenv h;
    if (!k_open(&h, NULL, 0)) goto out;
    sdk_spec *old = k_spec(&h), *cand = k_spec(&h);
    if (!old || !cand) goto out;
    CHECK_INT(sdk_plugin_validate_config(h.in, NULL, cand, &h.e), 0);
    ((sdk_pod_spec *)sdk_spec_pod(cand, "kafka"))->count = 0;
    CHECK_INT(sdk_plugin_validate_config(h.in, old, cand, &h.e), SDK_EINVAL);
    CHECK_STR(h.e.n ? h.e.msgs[h.e.n - 1] : "",
              "plugin 'kafka': pods.kafka.count: 3 => 0: a Kafka service needs at least one broker "
              "(set BROKER_COUNT >= 1)");
    ((sdk_pod_spec *)sdk_spec_pod(cand, "kafka"))->count = 1;
    CHECK_INT(sdk_plugin_validate_config(h.in, old, cand, &h.e), 0);
    sdk_spec_free(old);
    sdk_spec_free(cand);
out:
    k_close(&h);
    sdk_kv over[] = {{"BROKER_COUNT", "2"}, {"KAFKA_DEFAULT_REPLICATION_FACTOR", "3"}};
    if (!k_open(&h, over, 2)) goto out2;
    sdk_spec *s = k_spec(&h);
    if (s) {
        CHECK_INT(sdk_plugin_validate_config(h.in, NULL, s, &h.e), SDK_EINVAL);
        CHECK_CONTAINS(h.e.n ? h.e.msgs[h.e.n - 1] : "",
                       "KAFKA_DEFAULT_REPLICATION_FACTOR: '3' must be an integer from 1 to the "
                       "broker count 2");
    }
    sdk_spec_free(s);
out2:
    k_close(&h);
    sdk_kv bad[] = {{"KAFKA_ZOOKEEPER", "zk:2181/chroot"}};
    CHECK(!k_open(&h, bad, 1));
    CHECK_CONTAINS(h.e.n ? h.e.msgs[h.e.n - 1] : "", "KAFKA_ZOOKEEPER 'zk:2181/chroot' has a path");
    k_close(&h);
}

static void test_broker_routes(void) {
    kenv h;
    if (!k_open(&h, NULL, 0)) goto out;
    sent snt = {0};
    CHECK(req(&h, "GET", "/v1/brokers", NULL, &snt));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/zookeeper-shell.sh " ZK " ls /brokers/ids");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, ZK_LS, ""));
    CHECK_INT(snt.status, 200);
    CHECK_STR(snt.body, "[\"0\", \"1\", \"2\"]");
    /* no broker registered yet: the node is absent */
    CHECK(req(&h, "GET", "/v1/brokers", NULL, &snt));
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "Connecting\nNode does not exist: /brokers/ids\n", ""));
    CHECK_INT(snt.status, 200);
    CHECK_STR(snt.body, "[]");
    CHECK(req(&h, "GET", "/v1/brokers/1", NULL, &snt));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/zookeeper-shell.sh " ZK " get /brokers/ids/1");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, ZK_GET1, ""));
    CHECK_INT(snt.status, 200);
    json_t *j = json_loads(snt.body, 0, NULL);
    CHECK(j && json_integer_value(json_object_get(j, "port")) == 1025);
    json_decref(j);
    CHECK(req(&h, "GET", "/v1/brokers/7", NULL, &snt));
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "Connecting\nNode does not exist: /brokers/ids/7\n", ""));
    CHECK_INT(snt.status, 404);
    CHECK_STR(snt.body, "{\"message\": \"broker 7 is not registered in ZooKeeper\"}");
    /* a bad id is refused without running anything */
    CHECK(!req(&h, "GET", "/v1/brokers/x1", NULL, &snt));
    CHECK_INT(snt.status, 400);
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 0);
    /* a tool that fails: 500 with its output */
    CHECK(req(&h, "GET", "/v1/brokers", NULL, &snt));
    CHECK(sdk_memory_backend_complete_command(h.m, 1, "", "Connection refused"));
    CHECK_INT(snt.status, 500);
    CHECK_STR(snt.body, "{\"message\": \"Output:  Error: Connection refused\"}");
    free(snt.body);
out:
    k_close(&h);
}

static void test_topic_routes(void) {
    kenv h;
    if (!k_open(&h, NULL, 0)) goto out;
    sent snt = {0};
    /* replication above the broker count: 400, nothing run */
    CHECK(!req(&h, "PUT", "/v1/topics/orders", "partitions=3&replication=4", &snt));
    CHECK_INT(snt.status, 400);
    CHECK_STR(snt.body, "{\"message\": \"replication 4 is above the broker count 3: use a replication "
                        "of at most 3 (or add brokers with BROKER_COUNT)\"}");
    CHECK(!req(&h, "PUT", "/v1/topics/orders", "partitions=zero", &snt));
    CHECK_INT(snt.status, 400);
    CHECK_CONTAINS(snt.body, "partitions 'zero' is not valid");
    CHECK(!req(&h, "PUT", "/v1/topics/bad%20name", NULL, &snt));
    CHECK_INT(snt.status, 400);
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 0);

    CHECK(req(&h, "PUT", "/v1/topics/orders", "partitions=3&replication=2", &snt));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/kafka-topics.sh --zookeeper " ZK " --create --topic "
                             "orders --partitions 3 --replication-factor 2");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "Created topic orders.\n", ""));
    CHECK_INT(snt.status, 200);
    CHECK_STR(snt.body, "{\"message\": \"Output: Created topic orders.\"}");
    /* defaults: 1 partition, replication min(3, brokers) */
    CHECK(req(&h, "PUT", "/v1/topics/t2", NULL, &snt));
    CHECK_CONTAINS(argv_line(&h), "--partitions 1 --replication-factor 3");
    CHECK(sdk_memory_backend_complete_command(h.m, 1, "", "Topic 't2' already exists."));
    CHECK_INT(snt.status, 500);
    CHECK_CONTAINS(snt.body, "already exists");

    CHECK(req(&h, "GET", "/v1/topics", NULL, &snt));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/kafka-topics.sh --zookeeper " ZK " --list");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "__consumer_offsets\norders\nold - marked for deletion\n", ""));
    CHECK_STR(snt.body, "[\"__consumer_offsets\", \"orders\", \"old\"]");

    CHECK(req(&h, "GET", "/v1/topics/orders", NULL, &snt));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/kafka-topics.sh --zookeeper " ZK " --describe --topic orders");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, DESCRIBE, ""));
    CHECK_INT(snt.status, 200);
    CHECK_STR(snt.body, "{\"partitions\": [{\"0\": {\"leader\": 1, \"replicas\": [1, 2], \"isr\": [1, 2]}}, "
                        "{\"1\": {\"leader\": 2, \"replicas\": [2, 0], \"isr\": [2, 0]}}, "
                        "{\"2\": {\"leader\": 0, \"replicas\": [0, 1], \"isr\": [0]}}]}");
    CHECK(req(&h, "GET", "/v1/topics/nope", NULL, &snt));
    CHECK(sdk_memory_backend_complete_command(h.m, 1, "", "Error while executing topic command : Topic 'nope' does not exist as expected"));
    CHECK_INT(snt.status, 404);

    /* literal routes beat {name} */
    CHECK(req(&h, "GET", "/v1/topics/under_replicated_partitions", NULL, &snt));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/kafka-topics.sh --zookeeper " ZK " --describe --under-replicated-partitions");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "\tTopic: orders\tPartition: 2\tLeader: 0\tReplicas: 0,1\tIsr: 0\n", ""));
    CHECK_CONTAINS(snt.body, "Output: \\tTopic: orders\\tPartition: 2");
    CHECK(req(&h, "GET", "/v1/topics/unavailable_partitions", NULL, &snt));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/kafka-topics.sh --zookeeper " ZK " --describe --unavailable-partitions");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "", ""));
    CHECK_STR(snt.body, "{\"message\": \"Output: \"}");

    CHECK(req(&h, "PUT", "/v1/topics/orders/operation/partitions", "partitions=6", &snt));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/kafka-topics.sh --zookeeper " ZK " --alter --topic orders --partitions 6");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "Adding partitions succeeded!\n", ""));
    CHECK_STR(snt.body, "{\"message\": \"Output: Adding partitions succeeded!\"}");
    CHECK(!req(&h, "PUT", "/v1/topics/orders/operation/partitions", NULL, &snt));
    CHECK_INT(snt.status, 400);
    CHECK(!req(&h, "PUT", "/v1/topics/orders/operation/explode", NULL, &snt));
    CHECK_INT(snt.status, 400);
    CHECK_CONTAINS(snt.body, "Unrecognized operation: explode");

    CHECK(req(&h, "DELETE", "/v1/topics/orders", NULL, &snt));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/kafka-topics.sh --zookeeper " ZK " --delete --topic orders");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "Topic orders is marked for deletion.\n", ""));
    CHECK_INT(snt.status, 200);
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 0);
    free(snt.body);
out:
    k_close(&h);
    /* deletion disabled on the brokers: 202 */
    sdk_kv over[] = {{"KAFKA_DELETE_TOPIC_ENABLE", "false"}};
    if (!k_open(&h, over, 1)) goto out2;
    sent s2 = {0};
    CHECK(req(&h, "DELETE", "/v1/topics/orders", NULL, &s2));
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "Topic orders is marked for deletion.\n", ""));
    CHECK_INT(s2.status, 202);
    /* replication refused against a smaller cluster */
    free(s2.body);
out2:
    k_close(&h);
}

static void test_offsets_chain(void) {
    kenv h;
    if (!k_open(&h, NULL, 0)) goto out;
    sent snt = {0};
    CHECK(!req(&h, "GET", "/v1/topics/orders/offsets", "time=soon", &snt));
    CHECK_INT(snt.status, 400);
    CHECK(req(&h, "GET", "/v1/topics/orders/offsets", "time=-2", &snt));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/zookeeper-shell.sh " ZK " ls /brokers/ids");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, ZK_LS, ""));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/zookeeper-shell.sh " ZK " get /brokers/ids/0");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, ZK_GET1, ""));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/kafka-run-class.sh kafka.tools.GetOffsetShell "
                             "--broker-list 10.0.0.7:1025 --topic orders --time -2");
    CHECK_INT(snt.calls, 1);
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "orders:0:12\norders:1:0\norders:2:7\n", ""));
    CHECK_INT(snt.status, 200);
    CHECK_STR(snt.body, "[{\"0\": \"12\"}, {\"1\": \"0\"}, {\"2\": \"7\"}]");
    /* no broker registered: 503 */
    CHECK(req(&h, "GET", "/v1/topics/orders/offsets", NULL, &snt));
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "[]\n", ""));
    CHECK_INT(snt.status, 503);
    /* producer test runs the perf tool against the first broker */
    CHECK(req(&h, "PUT", "/v1/topics/orders/operation/producer-test", "messages=50", &snt));
    CHECK(sdk_memory_backend_complete_command(h.m, 0, ZK_LS, ""));
    CHECK(sdk_memory_backend_complete_command(h.m, 0, ZK_GET1, ""));
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/kafka-producer-perf-test.sh --topic orders --num-records 50 "
                             "--record-size 1024 --throughput -1 --producer-props bootstrap.servers=10.0.0.7:1025");
    CHECK(sdk_memory_backend_complete_command(h.m, 0, "50 records sent\n", ""));
    CHECK_STR(snt.body, "{\"message\": \"Output: 50 records sent\"}");
    /* a request still in flight when the plugin unloads: no leak, the host answers 503 */
    CHECK(req(&h, "GET", "/v1/topics/orders/offsets", NULL, &snt));
    int before = snt.calls;
    k_close(&h);
    CHECK_INT(snt.calls, before + 1);
    CHECK_INT(snt.status, 503);
    free(snt.body);
    return;
out:
    k_close(&h);
}

static void test_pre_decommission(void) {
    kenv h;
    if (!k_open(&h, NULL, 0)) goto out;
    sdk_plugin_decision d = SDK_PLUGIN_DECOMMISSION_ALLOW;
    char *why = NULL;
    /* first question: a check starts, PENDING; asking again while it runs starts nothing new */
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "kafka", 2, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_PENDING);
    CHECK_STR(argv_line(&h), "/opt/kafka/bin/kafka-topics.sh --zookeeper " ZK " --describe");
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "kafka", 2, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_PENDING);
    CHECK_INT(sdk_memory_backend_commands_pending(h.m), 1);
    CHECK(sdk_memory_backend_complete_command(h.m, 0, DESCRIBE, ""));
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "kafka", 2, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_VETO);
    CHECK_CONTAINS(why ? why : "", "broker 2 leads 1 partition(s) and holds 0 under-replicated one(s): "
                                   "it leads partition orders-1");
    free(why);
    why = NULL;
    /* broker 1 leads partition 0 and holds partition 2, which lost an in-sync replica */
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "kafka", 1, &d, &why), 0);
    CHECK(sdk_memory_backend_complete_command(h.m, 0, DESCRIBE, ""));
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "kafka", 1, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_VETO);
    CHECK_CONTAINS(why ? why : "", "broker 1 leads 1 partition(s) and holds 1 under-replicated one(s)");
    free(why);
    why = NULL;
    /* after a veto the next question checks afresh; partitions moved away: ALLOW */
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "kafka", 2, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_PENDING);
    CHECK(sdk_memory_backend_complete_command(h.m, 0,
          "Topic: orders\tPartitionCount: 1\tReplicationFactor: 2\tConfigs: \n"
          "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,0\tIsr: 1,0\n", ""));
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "kafka", 2, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_ALLOW);
    CHECK(why == NULL);
    /* the tool failing is a veto that says so */
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "kafka", 0, &d, &why), 0);
    CHECK(sdk_memory_backend_complete_command(h.m, 1, "", "Timed out waiting for connection"));
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "kafka", 0, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_VETO);
    CHECK_CONTAINS(why ? why : "", "cannot tell whether broker 0 still leads");
    CHECK_CONTAINS(why ? why : "", "Timed out waiting for connection");
    free(why);
    why = NULL;
    /* other pod types are not Kafka's business */
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "other", 0, &d, &why), 0);
    CHECK_INT(d, SDK_PLUGIN_DECOMMISSION_ALLOW);
    /* a check in flight at unload is released */
    CHECK_INT(sdk_plugin_pre_decommission(h.in, "kafka", 1, &d, &why), 0);
out:
    k_close(&h);
}

int main(void) {
    RUN(test_default_spec);
    RUN(test_broker_command_with_plain_sh);
    RUN(test_chroot_env_and_endpoint);
    RUN(test_validation);
    RUN(test_broker_routes);
    RUN(test_topic_routes);
    RUN(test_offsets_chain);
    RUN(test_pre_decommission);
    return check_summary("test_kafka_plugin");
}
