/* STAND-IN for Apache Hadoop's `bin/hdfs` launcher, used only by the HDFS plugin tests (this
 * machine cannot install Hadoop). Tests put it at <HDFS_HOME>/bin/hdfs. It emulates just the
 * surface the plugin touches:
 *   - every call appends one JSON line {"task", "argv", "env", "cwd"} to $HDFS_STANDIN_RECORD;
 *   - it reads $HADOOP_CONF_DIR/hdfs-site.xml and core-site.xml (as written by the task prelude)
 *     and fails when they are missing;
 *   - namenode -format [-nonInteractive]: writes <dfs.namenode.name.dir>/current/VERSION (refuses
 *     to re-format existing data with -nonInteractive, exit 1);
 *   - namenode -bootstrapStandby ...: writes VERSION too, noting $BOOTSTRAP_PEER;
 *   - namenode: refuses an unformatted name dir; journalnode, datanode, zkfc: create their data
 *     dirs; all four write a "standin.running" marker and listen on their configured ports on
 *     $HOST (the agent's address) until SIGTERM;
 *   - zkfc -formatZK [-nonInteractive]: creates <ha.zookeeper.parent-znode>/<nameservice> in the
 *     ZooKeeper of ha.zookeeper.quorum (exit 2 when it exists and -nonInteractive);
 *   - haadmin -getServiceState <nn>: "active" for name-0-node, "standby" otherwise; exit 0 only
 *     while this pod's name node runs. */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#define THREADED 1
#include <zookeeper/zookeeper.h>

/* Under the sanitizer build a one-shot command (namenode -format) must exit with its own status,
 * not LeakSanitizer's: the stand-in frees nothing on purpose (it exits or runs until killed). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

/* Environment variables worth recording (the big XML values are recorded as their length). */
static const char *const RECORDED[] = {
    "TASK_NAME", "POD_INSTANCE_INDEX", "HADOOP_CONF_DIR", "HDFS_HOME", "SERVICE_ZK_ROOT",
    "ZK_QUORUM", "BOOTSTRAP_PEER", "JOURNALNODE", "NAMENODE", "DATANODE", "ZKFC",
    "DFS_REPLICATION", "HOST", "FRAMEWORK_NAME", NULL};

static void record(int argc, char **argv) {
    const char *path = getenv("HDFS_STANDIN_RECORD");
    if (!path || !*path) return;
    FILE *f = fopen(path, "a");
    if (!f) return;
    char line[8192];
    setvbuf(f, line, _IOFBF, sizeof line); /* one write per record: O_APPEND keeps lines whole */
    fputs("{\"task\": ", f);
    json_str(f, getenv("TASK_NAME") ? getenv("TASK_NAME") : "");
    fputs(", \"argv\": [", f);
    for (int i = 1; i < argc; i++) {
        if (i > 1) fputs(", ", f);
        json_str(f, argv[i]);
    }
    fputs("], \"env\": {", f);
    bool first = true;
    for (int i = 0; RECORDED[i]; i++) {
        const char *v = getenv(RECORDED[i]);
        if (!v) continue;
        if (!first) fputs(", ", f);
        first = false;
        json_str(f, RECORDED[i]);
        fputs(": ", f);
        json_str(f, v);
    }
    const char *xml = getenv("HDFS_SITE_XML");
    fprintf(f, "%s\"HDFS_SITE_XML_LEN\": \"%zu\"}, \"cwd\": ", first ? "" : ", ", xml ? strlen(xml) : 0);
    char cwd[1024];
    json_str(f, getcwd(cwd, sizeof cwd) ? cwd : "");
    fputs("}\n", f);
    fclose(f);
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) { free(b); b = NULL; }
            else b = nb;
        }
    }
    fclose(f);
    if (b) b[n] = 0;
    return b;
}

/* Value of property `name` in a Hadoop XML text (malloc()ed), or NULL. */
static char *conf_get(const char *xml, const char *name) {
    if (!xml) return NULL;
    char key[512];
    snprintf(key, sizeof key, "<name>%s</name>", name);
    const char *p = strstr(xml, key);
    if (!p) return NULL;
    p = strstr(p, "<value>");
    if (!p) return NULL;
    p += 7;
    const char *e = strstr(p, "</value>");
    return e ? strndup(p, (size_t)(e - p)) : NULL;
}

static int port_of(const char *addr) {
    const char *c = addr ? strrchr(addr, ':') : NULL;
    return c ? atoi(c + 1) : 0;
}

static void mkdirs(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') { *p = 0; mkdir(buf, 0755); *p = '/'; }
    mkdir(buf, 0755);
}

static int write_file(const char *dir, const char *name, const char *text) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) { fprintf(stderr, "stand-in hdfs: cannot write %s: %s\n", path, strerror(errno)); return -1; }
    fputs(text, f);
    fclose(f);
    return 0;
}

static bool exists(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Listens on ports[0..n) on $HOST and accepts (and closes) connections until killed. */
static int serve(const char *what, const int *ports, int n) {
    const char *host = getenv("HOST");
    struct pollfd fds[4];
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)ports[i])};
        if (inet_pton(AF_INET, host && *host ? host : "127.0.0.1", &sa.sin_addr) != 1)
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (ports[i] <= 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 16)) {
            fprintf(stderr, "stand-in hdfs %s: cannot listen on %s:%d: %s\n", what,
                    host ? host : "127.0.0.1", ports[i], strerror(errno));
            return 1;
        }
        fds[i].fd = fd;
        fds[i].events = POLLIN;
        printf("stand-in hdfs %s listening on %s:%d\n", what, host ? host : "127.0.0.1", ports[i]);
    }
    fflush(stdout);
    for (;;) {
        if (poll(fds, (nfds_t)n, -1) < 0 && errno != EINTR) return 1;
        for (int i = 0; i < n; i++)
            if (fds[i].revents & POLLIN) {
                int c = accept(fds[i].fd, NULL, NULL);
                if (c >= 0) close(c);
            }
    }
}

static void running_marker(const char *dir) {
    char pid[32];
    snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    write_file(dir, "standin.running", pid);
}

/* Creates path and its parents in ZooKeeper; returns the zoo_create code of the last node. */
static int zk_create_all(zhandle_t *zh, const char *path) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    int rc = ZOK;
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            rc = zoo_create(zh, buf, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
            *p = c;
            if (rc != ZOK && rc != ZNODEEXISTS) return rc;
            if (!c) break;
        }
    }
    return rc;
}

static int format_zk(const char *core_xml, const char *nameservice, bool non_interactive) {
    char *quorum = conf_get(core_xml, "ha.zookeeper.quorum");
    char *parent = conf_get(core_xml, "ha.zookeeper.parent-znode");
    if (!quorum || !parent) {
        fprintf(stderr, "stand-in hdfs zkfc: core-site.xml lacks ha.zookeeper.quorum or parent-znode\n");
        return 1;
    }
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zhandle_t *zh = zookeeper_init(quorum, NULL, 10000, NULL, NULL, 0);
    int rc = 1;
    for (int i = 0; zh && i < 100 && zoo_state(zh) != ZOO_CONNECTED_STATE; i++) usleep(100000);
    if (!zh || zoo_state(zh) != ZOO_CONNECTED_STATE) {
        fprintf(stderr, "stand-in hdfs zkfc: cannot reach ZooKeeper at %s\n", quorum);
    } else {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", parent, nameservice);
        int z = zk_create_all(zh, path);
        if (z == ZOK) { printf("Successfully created %s in ZK.\n", path); rc = 0; }
        else if (z == ZNODEEXISTS) {
            printf("%s already exists in ZK\n", path);
            rc = non_interactive ? 2 : 0;
        } else {
            fprintf(stderr, "stand-in hdfs zkfc: creating %s: %s\n", path, zerror(z));
        }
    }
    if (zh) zookeeper_close(zh);
    free(quorum);
    free(parent);
    return rc;
}

int main(int argc, char **argv) {
    record(argc, argv);
    const char *conf = getenv("HADOOP_CONF_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/hdfs-site.xml", conf ? conf : "");
    char *site = conf ? slurp(path) : NULL;
    snprintf(path, sizeof path, "%s/core-site.xml", conf ? conf : "");
    char *core = conf ? slurp(path) : NULL;
    if (!site || !core) {
        fprintf(stderr, "stand-in hdfs: no hdfs-site.xml/core-site.xml in HADOOP_CONF_DIR '%s'\n",
                conf ? conf : "(unset)");
        return 2;
    }
    if (argc < 2) { fprintf(stderr, "Usage: hdfs [COMMAND]\n"); return 1; }
    const char *cmd = argv[1];
    bool non_interactive = false;
    for (int i = 2; i < argc; i++) non_interactive |= !strcmp(argv[i], "-nonInteractive");
    char *ns = conf_get(site, "dfs.nameservices");
    const char *task = getenv("TASK_NAME") ? getenv("TASK_NAME") : "?";
    const char *idx = getenv("POD_INSTANCE_INDEX") ? getenv("POD_INSTANCE_INDEX") : "0";
    if (!strcmp(cmd, "namenode")) {
        char *dir = conf_get(site, "dfs.namenode.name.dir");
        if (!dir) return 1;
        char cur[1024];
        snprintf(cur, sizeof cur, "%s/current", dir);
        if (argc > 2 && (!strcmp(argv[2], "-format") || !strcmp(argv[2], "-bootstrapStandby"))) {
            bool format = !strcmp(argv[2], "-format");
            if (exists(cur, "VERSION") && non_interactive) {
                fprintf(stderr, "Running in non-interactive mode, and data appears to exist in %s. Not formatting.\n", cur);
                return 1;
            }
            mkdirs(cur);
            char v[1024];
            snprintf(v, sizeof v, "namespaceID=4242\nclusterID=CID-standin\nstorageType=NAME_NODE\n%s=%s\n",
                     format ? "formattedBy" : "bootstrappedFrom",
                     format ? task : (getenv("BOOTSTRAP_PEER") ? getenv("BOOTSTRAP_PEER") : "the other name node"));
            return write_file(cur, "VERSION", v) ? 1 : 0;
        }
        if (!exists(cur, "VERSION")) {
            fprintf(stderr, "NameNode is not formatted: %s has no VERSION\n", cur);
            return 1;
        }
        running_marker(dir);
        char key[256];
        snprintf(key, sizeof key, "dfs.namenode.rpc-address.%s.name-%s-node", ns ? ns : "", idx);
        char *rpc = conf_get(site, key);
        snprintf(key, sizeof key, "dfs.namenode.http-address.%s.name-%s-node", ns ? ns : "", idx);
        char *http = conf_get(site, key);
        int ports[2] = {port_of(rpc), port_of(http)};
        return serve("namenode", ports, 2);
    }
    if (!strcmp(cmd, "journalnode") || !strcmp(cmd, "datanode")) {
        bool jn = !strcmp(cmd, "journalnode");
        char *dir = conf_get(site, jn ? "dfs.journalnode.edits.dir" : "dfs.datanode.data.dir");
        if (!dir) return 1;
        mkdirs(dir);
        running_marker(dir);
        int ports[3], n = 0;
        if (jn) {
            ports[n++] = port_of(conf_get(site, "dfs.journalnode.rpc-address"));
            ports[n++] = port_of(conf_get(site, "dfs.journalnode.http-address"));
        } else {
            ports[n++] = port_of(conf_get(site, "dfs.datanode.address"));
            ports[n++] = port_of(conf_get(site, "dfs.datanode.http.address"));
            ports[n++] = port_of(conf_get(site, "dfs.datanode.ipc.address"));
        }
        return serve(cmd, ports, n);
    }
    if (!strcmp(cmd, "zkfc")) {
        if (argc > 2 && !strcmp(argv[2], "-formatZK")) return format_zk(core, ns ? ns : "hdfs", non_interactive);
        char *p = conf_get(site, "dfs.ha.zkfc.port");
        int ports[1] = {p ? atoi(p) : 0};
        return serve("zkfc", ports, 1);
    }
    if (!strcmp(cmd, "haadmin") && argc > 3 && !strcmp(argv[2], "-getServiceState")) {
        char *dir = conf_get(site, "dfs.namenode.name.dir");
        char *pid = NULL;
        if (dir) {
            snprintf(path, sizeof path, "%s/standin.running", dir);
            pid = slurp(path);
        }
        if (!pid || kill(atoi(pid), 0) != 0) {
            fprintf(stderr, "Operation failed: Call From %s to %s failed on connection exception\n", task, argv[3]);
            return 255;
        }
        printf("%s\n", strstr(argv[3], "name-0-node") ? "active" : "standby");
        return 0;
    }
    fprintf(stderr, "stand-in hdfs: unsupported command '%s'\n", cmd);
    return 1;
}
