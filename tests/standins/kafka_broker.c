/* STAND-IN for Kafka's bin/kafka-server-start.sh (tests only): `kafka-server-start.sh
 * server.properties`. Like a broker it reads broker.id, listeners, advertised.listeners, log.dirs
 * and zookeeper.connect; writes meta.properties into log.dirs (which must exist: the persistent
 * volume); listens on the listener's port; registers itself as an EPHEMERAL node
 * <chroot>/brokers/ids/<id> (creating the parents) in the real ZooKeeper of zookeeper.connect, with
 * a registration JSON like Kafka's; then writes "INFO [KafkaServer id=N] started
 * (kafka.server.KafkaServer)" to $LOG_DIR/server.log and runs until SIGTERM. It records argv, the
 * properties and KAFKA_HEAP_OPTS into <dir of argv[0]>/../records/broker-<id>.txt and appends
 * "<id>" to records/starts.log (start order). */
#define THREADED 1
#include <arpa/inet.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static char props[64][512];
static int n_props;

static const char *prop(const char *key) {
    size_t kl = strlen(key);
    for (int i = 0; i < n_props; i++)
        if (!strncmp(props[i], key, kl) && props[i][kl] == '=') return props[i] + kl + 1;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "USAGE: kafka-server-start.sh server.properties\n");
        return 1;
    }
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char line[512];
    while (n_props < 64 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (strchr(line, '=')) snprintf(props[n_props++], sizeof props[0], "%s", line);
    }
    fclose(f);
    const char *id = prop("broker.id"), *listeners = prop("listeners"), *logdirs = prop("log.dirs"),
               *zkc = prop("zookeeper.connect"), *adv = prop("advertised.listeners");
    if (!id || !listeners || !logdirs || !zkc) {
        fprintf(stderr, "server.properties lacks broker.id, listeners, log.dirs or zookeeper.connect\n");
        return 1;
    }
    char *copy = strdup(argv[0]), rec[1024];
    const char *dir = dirname(copy);
    snprintf(rec, sizeof rec, "%s/../records/broker-%s.txt", dir, id);
    FILE *r = fopen(rec, "w");
    if (r) {
        fprintf(r, "argv:");
        for (int i = 1; i < argc; i++) fprintf(r, " %s", argv[i]);
        fprintf(r, "\nKAFKA_HEAP_OPTS=%s\n", getenv("KAFKA_HEAP_OPTS") ? getenv("KAFKA_HEAP_OPTS") : "");
        for (int i = 0; i < n_props; i++) fprintf(r, "%s\n", props[i]);
        fclose(r);
    }
    snprintf(rec, sizeof rec, "%s/../records/starts.log", dir);
    if ((r = fopen(rec, "a"))) {
        fprintf(r, "%s\n", id);
        fclose(r);
    }
    free(copy);
    /* the log dir is the broker's volume: it must exist and be writable */
    snprintf(rec, sizeof rec, "%s/meta.properties", logdirs);
    if (!(r = fopen(rec, "w"))) {
        perror(rec);
        return 1;
    }
    fprintf(r, "version=0\nbroker.id=%s\n", id);
    fclose(r);
    /* listen on the listener's port */
    const char *colon = strrchr(listeners, ':');
    int port = colon ? atoi(colon + 1) : 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port <= 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 16)) {
        fprintf(stderr, "cannot listen on %s\n", listeners);
        return 1;
    }
    /* register in ZooKeeper: parents persistent, the id ephemeral */
    char hosts[512], chroot[512] = "";
    snprintf(hosts, sizeof hosts, "%s", zkc);
    char *slash = strchr(hosts, '/');
    if (slash) {
        snprintf(chroot, sizeof chroot, "%s", slash);
        *slash = 0;
    }
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zhandle_t *zh = zookeeper_init(hosts, NULL, 10000, NULL, NULL, 0);
    for (int i = 0; zh && zoo_state(zh) != ZOO_CONNECTED_STATE && i < 200; i++) usleep(50000);
    if (!zh || zoo_state(zh) != ZOO_CONNECTED_STATE) {
        fprintf(stderr, "cannot connect to ZooKeeper %s\n", hosts);
        return 1;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/brokers/ids", chroot);
    for (char *p = path + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            zoo_create(zh, path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
            *p = c;
            if (!c) break;
        }
    }
    const char *adv_url = adv ? adv : listeners;
    const char *hp = strstr(adv_url, "://");
    hp = hp ? hp + 3 : adv_url;
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(strrchr(hp, ':') ? strrchr(hp, ':') - hp : 0), hp);
    char json[1024];
    snprintf(json, sizeof json,
             "{\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\"},\"endpoints\":[\"%s\"],"
             "\"jmx_port\":-1,\"host\":\"%s\",\"timestamp\":\"%lld\",\"port\":%d,\"version\":4}",
             adv_url, host, (long long)time(NULL) * 1000, port);
    snprintf(path, sizeof path, "%s/brokers/ids/%s", chroot, id);
    /* like Kafka, wait for a registration left by a dead session to expire (up to 20 s) */
    int rc = ZNODEEXISTS;
    for (int i = 0; i < 80 && rc == ZNODEEXISTS && !stop; i++) {
        rc = zoo_create(zh, path, json, (int)strlen(json), &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, NULL, 0);
        if (rc == ZNODEEXISTS) usleep(250000);
    }
    if (rc != ZOK) {
        fprintf(stderr, "cannot register %s: %s\n", path, zerror(rc));
        return 1;
    }
    const char *logdir = getenv("LOG_DIR");
    snprintf(path, sizeof path, "%s/server.log", logdir ? logdir : ".");
    if ((r = fopen(path, "a"))) {
        fprintf(r, "[2020-04-27 10:00:00,000] INFO [KafkaServer id=%s] started (kafka.server.KafkaServer)\n", id);
        fclose(r);
    }
    printf("stand-in broker %s listening on %d, registered at %s\n", id, port, zkc);
    fflush(stdout);
    while (!stop) pause();
    zookeeper_close(zh);
    close(fd);
    return 0;
}
