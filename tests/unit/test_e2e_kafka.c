/* End to end on this machine: bin/scheduler with plugins/kafka/kafka.so on the embedded local
 * cluster, a real ZooKeeper (zk_server.h) and the Kafka stand-ins (tests/standins/kafka_broker.c,
 * kafka_zkshell.c, tests/standins/kafka-tools/ scripts) in a temporary KAFKA_HOME:
 *   - deploy: brokers start in order 0, 1, 2 with the server.properties the plugin's command wrote
 *     (broker id, port, chroot, volume) and register in ZooKeeper under the service's chroot;
 *   - routes over HTTP: /v1/brokers (read from ZooKeeper), /v1/endpoints/zookeeper, topic create
 *     (refused above the broker count), list, describe, offsets, with the tools' argv recorded;
 *   - the leader-election plan with parameters;
 *   - scale-in to 2 brokers: the decommission is vetoed while broker 2 leads a partition, and
 *     no broker is restarted or killed. */
#include "check.h"
#include "e2e_support.h"
#include "zk_server.h"
#include "core/util/str.h"
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *read_rec(const e2e_world *w, const char *name) {
    char *p = sdk_asprintf_new("%s/home/records/%s", w->dir, name), *t = NULL;
    sdk_read_file_new(p, &t, NULL);
    free(p);
    return t;
}

/* GET url until its body contains want (or timeout); returns the last body (free()). */
static char *wait_body(const char *url, const char *want, double timeout_s) {
    double end = e2e_now() + timeout_s;
    char *body = NULL;
    while (e2e_now() < end) {
        free(body);
        body = NULL;
        e2e_http("GET", url, NULL, &body);
        if (body && strstr(body, want)) break;
        usleep(300000);
    }
    return body;
}

static void start(e2e_world *w, const zk_server *zk, const char *master, const char *count) {
    static char o[8][512];
    snprintf(o[0], sizeof o[0], "KAFKA_HOME=%s/home", w->dir);
    snprintf(o[1], sizeof o[1], "KAFKA_TOOLS_HOME=%s/home", w->dir);
    snprintf(o[2], sizeof o[2], "KAFKA_ZOOKEEPER=%s", zk->connect);
    snprintf(o[3], sizeof o[3], "BROKER_COUNT=%s", count);
    const char *extra[] = {"-o", o[0], "-o", o[1], "-o", o[2], "-o", o[3],
                           "-o", "FRAMEWORK_NAME=kafka-e2e", "-o", "PLACEMENT_CONSTRAINT=[]",
                           "-o", "BROKER_CPUS=0.2", "-o", "BROKER_MEM=64", "-o", "BROKER_DISK=16",
                           "-o", "BROKER_HEAP_MB=64", "-o", "BROKER_KILL_GRACE_PERIOD=2", NULL};
    e2e_start_scheduler(w, "plugins/kafka/kafka.so", master, extra);
}

static void test_kafka_end_to_end(void) {
    zk_server zk;
    memset(&zk, 0, sizeof zk);
    if (!zk_server_start(&zk)) {
        CHECK_MSG(0, "ZooKeeper did not start");
        return;
    }
    e2e_world w;
    e2e_world_init(&w);
    const char *sb = getenv("SDK_BUILD_DIR");
    char cwd[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char *setup = sdk_asprintf_new(
        "set -e; mkdir -p %s/home/bin %s/home/records; cd %s/home/bin; "
        "ln -s %s/%s/standins/kafka_broker kafka-server-start.sh; "
        "ln -s %s/%s/standins/kafka_zkshell zookeeper-shell.sh; "
        "for f in %s/tests/standins/kafka-tools/*.sh; do ln -s $f .; done",
        w.dir, w.dir, w.dir, cwd, sb && *sb ? sb : "build", cwd, sb && *sb ? sb : "build", cwd);
    CHECK_INT(system(setup), 0);
    free(setup);
    /* a cluster of its own, so that restarting the scheduler leaves the brokers running */
    unsigned mport = e2e_free_port();
    char *lc = sdk_asprintf_new("%s/localcluster", e2e_bin_dir());
    char *cdir = sdk_asprintf_new("%s/cluster", w.dir);
    char *ps = sdk_asprintf_new("%u", mport);
    char *clog = sdk_asprintf_new("%s/cluster.log", w.dir);
    /* --ignore-uris: the spec's Kafka tarball is not fetched, the stand-ins run instead */
    char *cargv[] = {lc, "--port", ps, "--workdir", cdir, "--agents", "2", "--ignore-uris", NULL};
    pid_t cl = e2e_spawn(cargv, clog);
    char *master = sdk_asprintf_new("http://127.0.0.1:%u", mport);
    usleep(500000);
    double t0 = e2e_now();
    start(&w, &zk, master, "3");
    bool deployed = e2e_wait_plan_complete(&w, "deploy", 40);
    CHECK(deployed);
    if (!deployed) goto out;
    fprintf(stderr, "  deploy of 3 brokers: %.1f s\n", e2e_now() - t0);

    /* plan order and what each broker was started with */
    char *starts = read_rec(&w, "starts.log");
    CHECK_STR(starts, "0\n1\n2\n");
    free(starts);
    char *b1 = read_rec(&w, "broker-1.txt");
    CHECK_CONTAINS(b1, "argv: server.properties\n");
    CHECK_CONTAINS(b1, "KAFKA_HEAP_OPTS=-Xms64M -Xmx64M\n");
    CHECK_CONTAINS(b1, "broker.id=1\n");
    char *zkline = sdk_asprintf_new("zookeeper.connect=%s/dcos-service-kafka-e2e\n", zk.connect);
    CHECK_CONTAINS(b1, zkline);
    CHECK_CONTAINS(b1, "/kafka-broker-data\n");
    CHECK_CONTAINS(b1, "advertised.listeners=PLAINTEXT://127.0.0.1:");
    free(zkline);
    free(b1);

    /* brokers, from the real ZooKeeper through the zookeeper-shell stand-in */
    char *url = sdk_asprintf_new("%s/v1/brokers", w.api_url);
    char *body = NULL;
    CHECK_INT(e2e_http("GET", url, NULL, &body), 200);
    CHECK_STR(body, "[\"0\", \"1\", \"2\"]");
    free(body);
    free(url);
    url = sdk_asprintf_new("%s/v1/brokers/2", w.api_url);
    json_t *reg = e2e_get_json(url, NULL);
    CHECK(reg && json_integer_value(json_object_get(reg, "port")) >= 10000);
    CHECK_STR(json_string_value(json_object_get(reg, "host")), "127.0.0.1");
    json_decref(reg);
    free(url);
    url = sdk_asprintf_new("%s/v1/endpoints/zookeeper", w.api_url);
    body = NULL;
    CHECK_INT(e2e_http("GET", url, NULL, &body), 200);
    char *want = sdk_asprintf_new("%s/dcos-service-kafka-e2e", zk.connect);
    CHECK_CONTAINS(body, want);
    free(want);
    free(body);
    free(url);

    /* topics */
    /* parameters as a form body: the REST layer does not hand query strings to plugin routes
     * yet (core/api/sdk_api.c leaves sdk_plugin_http_request.query empty) */
    url = sdk_asprintf_new("%s/v1/topics/orders", w.api_url);
    body = NULL;
    CHECK_INT(e2e_http("PUT", url, "partitions=3&replication=4", &body), 400);
    CHECK_CONTAINS(body, "replication 4 is above the broker count 3");
    free(body);
    free(url);
    char *log = read_rec(&w, "kafka-topics.log");
    CHECK(log == NULL); /* nothing ran */
    free(log);
    url = sdk_asprintf_new("%s/v1/topics/orders", w.api_url);
    body = NULL;
    CHECK_INT(e2e_http("PUT", url, "partitions=3&replication=3", &body), 200);
    CHECK_STR(body, "{\"message\": \"Output: Created topic orders.\"}");
    free(body);
    free(url);
    log = read_rec(&w, "kafka-topics.log");
    char *line = sdk_asprintf_new("--zookeeper %s/dcos-service-kafka-e2e --create --topic orders "
                                  "--partitions 3 --replication-factor 3\n", zk.connect);
    CHECK_CONTAINS(log, line);
    free(line);
    free(log);
    url = sdk_asprintf_new("%s/v1/topics", w.api_url);
    body = NULL;
    CHECK_INT(e2e_http("GET", url, NULL, &body), 200);
    CHECK_STR(body, "[\"orders\"]");
    free(body);
    free(url);
    url = sdk_asprintf_new("%s/v1/topics/orders", w.api_url);
    json_t *d = e2e_get_json(url, NULL);
    CHECK_INT(json_array_size(json_object_get(d, "partitions")), 3);
    json_decref(d);
    free(url);
    url = sdk_asprintf_new("%s/v1/topics/orders/offsets?time=-1", w.api_url);
    body = NULL;
    CHECK_INT(e2e_http("GET", url, NULL, &body), 200);
    CHECK_STR(body, "[{\"0\": \"0\"}, {\"1\": \"10\"}, {\"2\": \"20\"}]");
    free(body);
    free(url);
    log = read_rec(&w, "kafka-run-class.log");
    CHECK_CONTAINS(log, "kafka.tools.GetOffsetShell --broker-list 127.0.0.1:");
    CHECK_CONTAINS(log, " --topic orders --time -1");
    free(log);

    /* the leader-election plan with parameters */
    url = sdk_asprintf_new("%s/v1/plans/leader-election/start", w.api_url);
    CHECK_INT(e2e_http("POST", url, "{\"TOPIC\": \"orders\", \"PARTITIONS\": \"0,2\"}", NULL), 200);
    free(url);
    CHECK(e2e_wait_plan_complete(&w, "leader-election", 20));
    log = read_rec(&w, "leader-election.log");
    line = sdk_asprintf_new("--zookeeper %s/dcos-service-kafka-e2e --path-to-json-file election.json\n"
                            "{\"partitions\":[{\"topic\":\"orders\",\"partition\":0},"
                            "{\"topic\":\"orders\",\"partition\":2}]}\n", zk.connect);
    CHECK_STR(log, line);
    free(line);
    free(log);

    /* scale in to 2: vetoed while broker 2 leads partition orders-2 */
    e2e_stop(w.sched, SIGTERM);
    start(&w, &zk, master, "2");
    url = sdk_asprintf_new("%s/v1/plans/decommission", w.api_url);
    body = wait_body(url, "refused by the service", 25);
    CHECK_CONTAINS(body, "broker 2 leads 1 partition(s)");
    free(body);
    char *starts2 = read_rec(&w, "starts.log");
    CHECK_STR(starts2, "0\n1\n2\n"); /* nothing was restarted or killed */
    free(starts2);
    free(url);
    /* Not checked here: that the decommission then proceeds once the topic is gone. The core
     * re-asks a vetoed decommission only inside an offer cycle (core/service/offers.c
     * recheck_vetoes), and a scheduler with nothing else to do has suppressed offers, so it is
     * never re-asked on the local cluster; test_kafka_plugin checks veto -> allow. */
    fprintf(stderr, "  whole test: %.1f s\n", e2e_now() - t0);
out:
    if (!deployed || check_cur_failed_) e2e_show_log(&w, "scheduler.log");
    e2e_stop(w.sched, SIGTERM);
    w.sched = 0;
    e2e_stop(cl, SIGTERM);
    if (getenv("KAFKA_E2E_KEEP")) fprintf(stderr, "kept %s\n", w.dir); else e2e_cleanup(&w);
    free(lc); free(cdir); free(ps); free(clog); free(master);
    zk_server_destroy(&zk);
}

int main(void) {
    /* Plan order and commands of stand-ins whose ports (on 0.0.0.0) can meet another e2e test's
     * running at the same time: a relaunch must not wait out the crash-loop backoff (on by
     * default, 60 s; tested in tests/scenarios/events_crash_loop.scn and test_e2e_events). */
    setenv("ENABLE_BACKOFF", "false", 1);
    RUN(test_kafka_end_to_end);
    return check_summary("test_e2e_kafka");
}
