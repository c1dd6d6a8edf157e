/* STAND-IN for Kafka's bin/zookeeper-shell.sh (tests only): `zookeeper-shell.sh CONNECT CMD PATH
 * [DATA]` with CMD ls, get or create, against a real ZooKeeper (the test's zk_server). CONNECT may
 * carry a chroot ("host:port/dcos-service-x"), as with the real tool. Output imitates ZooKeeperMain:
 * "Connecting to ...", then "[a, b]" for ls, the data line and stat lines for get, and
 * "Node does not exist: PATH" for a missing node (exit 1). Each run appends its argv to
 * <dir of argv[0]>/../records/zookeeper-shell.log. */
#define THREADED 1
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

static void record(int argc, char **argv) {
    char *copy = strdup(argv[0]);
    char path[1024];
    snprintf(path, sizeof path, "%s/../records/zookeeper-shell.log", dirname(copy));
    free(copy);
    FILE *f = fopen(path, "a");
    if (!f) return;
    for (int i = 1; i < argc; i++) fprintf(f, "%s%s", i > 1 ? " " : "", argv[i]);
    fputc('\n', f);
    fclose(f);
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: zookeeper-shell.sh CONNECT ls|get|create PATH [DATA]\n");
        return 2;
    }
    record(argc, argv);
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    printf("Connecting to %s\n\nWATCHER::\n\n", argv[1]);
    zhandle_t *zh = zookeeper_init(argv[1], NULL, 10000, NULL, NULL, 0);
    for (int i = 0; zh && zoo_state(zh) != ZOO_CONNECTED_STATE && i < 100; i++) usleep(50000);
    if (!zh || zoo_state(zh) != ZOO_CONNECTED_STATE) {
        fprintf(stderr, "cannot connect to %s\n", argv[1]);
        return 1;
    }
    printf("WatchedEvent state:SyncConnected type:None path:null\n");
    const char *cmd = argv[2], *path = argv[3];
    int rc = ZOK, out = 0;
    if (!strcmp(cmd, "ls")) {
        struct String_vector v = {0};
        rc = zoo_get_children(zh, path, 0, &v);
        if (rc == ZOK) {
            printf("[");
            for (int i = 0; i < v.count; i++) printf("%s%s", i ? ", " : "", v.data[i]);
            printf("]\n");
            deallocate_String_vector(&v);
        }
    } else if (!strcmp(cmd, "get")) {
        char buf[8192];
        int len = sizeof buf - 1;
        struct Stat st;
        rc = zoo_get(zh, path, 0, buf, &len, &st);
        if (rc == ZOK) {
            buf[len < 0 ? 0 : len] = 0;
            printf("%s\ncZxid = 0x%llx\ndataLength = %d\nnumChildren = %d\n", buf,
                   (unsigned long long)st.czxid, st.dataLength, st.numChildren);
        }
    } else if (!strcmp(cmd, "create")) {
        const char *data = argc > 4 ? argv[4] : "";
        rc = zoo_create(zh, path, data, (int)strlen(data), &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
        if (rc == ZOK) printf("Created %s\n", path);
    } else {
        fprintf(stderr, "unknown command %s\n", cmd);
        out = 2;
    }
    if (rc == ZNONODE) {
        printf("Node does not exist: %s\n", path);
        out = 1;
    } else if (rc != ZOK) {
        fprintf(stderr, "%s %s: %s\n", cmd, path, zerror(rc));
        out = 1;
    }
    zookeeper_close(zh);
    return out;
}
