/* libFuzzer harness for the ZooKeeper read-only-multi client (core/state/zk_readall.c): the
 * input is everything a ZooKeeper server answers on the connection - the connect reply, the
 * auth reply, the multi replies, each a length-prefixed packet - played by a fake server. zk_readall has
 * no parsing function of its own to call (it parses as it reads), so the harness serves the
 * bytes on a real connection: an abstract AF_UNIX socket, no file, no TCP port.
 *
 * Byte 0: bit 0 authenticate ("fuzz:secret"), bit 1 skip the top-level name "skipped", bit 2
 * list (not read) the children of "Tasks". The rest is the server's byte stream; the fake
 * server then shuts its side and reads until the client closes, so a short stream ends the
 * read with an error at once (no waiting for the timeout).
 *
 * Nothing may crash, leak, hang or hit UB; a result other than OK must come with a message
 * (FAILED, UNSUPPORTED) and an OK result must be self-consistent (entries with paths and
 * NUL-terminated values).
 *
 * `fuzz_zkreadall --make-seeds DIR` writes replies of a well-behaved server (a root with two
 * children, with and without auth, a server without multiRead, an error) into DIR: the seeds in
 * tests/fuzz/corpus/zkreadall/ were made so. Build: `make fuzz-build`. FUZZ_VERBOSE=1 prints
 * each result. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/state/zk_readall.h"
#include "core/util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static int listen_fd = -1;
static struct sockaddr_un addr;
static socklen_t addr_len;

typedef struct serve {
    const uint8_t *data;
    size_t size;
} serve;

static void *server(void *arg) {
    serve *s = arg;
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) return NULL;
    size_t off = 0;
    while (off < s->size) {
        ssize_t w = send(fd, s->data + off, s->size - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break; /* the client went away */
        off += (size_t)w;
    }
    shutdown(fd, SHUT_WR);
    char sink[4096];
    for (;;) { /* until the client closes: it must not see a reset while it still reads */
        ssize_t r = recv(fd, sink, sizeof sink, 0);
        if (r > 0 || (r < 0 && errno == EINTR)) continue;
        break;
    }
    close(fd);
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    unsigned flags = data[0];
    serve s = {data + 1, size - 1};
    pthread_t th;
    if (pthread_create(&th, NULL, server, &s)) abort();
    const char *skip[] = {"skipped", NULL};
    zk_readall_result out;
    char *err = NULL;
    int rc = zk_readall((const struct sockaddr *)&addr, addr_len, (flags & 1) ? "fuzz:secret" : NULL, "/svc",
                        (flags & 2) ? skip : NULL, (flags & 4) ? "Tasks" : NULL, 10000, 5000, &out, &err);
    pthread_join(th, NULL);
    if (getenv("FUZZ_VERBOSE")) /* to see what a seed reaches */
        fprintf(stderr, "result %d, %zu entries, %zu listed, root %s: %s\n", rc, rc ? 0 : out.n, rc ? 0 : out.n_listed,
                rc == 0 && out.root_exists ? "exists" : "-", err ? err : "");
    if (rc == ZK_READALL_OK) {
        if (err) abort();
        for (size_t i = 0; i < out.n; i++)
            if (!out.e[i].path || !out.e[i].val || out.e[i].val[out.e[i].len] != 0) abort();
        if (out.root_exists && (!out.root_data || out.root_data[out.root_len] != 0)) abort();
        zk_readall_free(&out);
    } else if ((rc == ZK_READALL_FAILED || rc == ZK_READALL_UNSUPPORTED) && !err) {
        fprintf(stderr, "fuzz_zkreadall: result %d without a message\n", rc);
        abort();
    } else if (rc != ZK_READALL_FAILED && rc != ZK_READALL_UNSUPPORTED && rc != ZK_READALL_VANISHED) {
        fprintf(stderr, "fuzz_zkreadall: unknown result %d\n", rc);
        abort();
    }
    free(err);
    return 0;
}

/* ---------------------------------------------------------------- seeds: a well-behaved server */

static void be32(sdk_buf *b, int32_t v) {
    unsigned char x[4] = {(unsigned char)((uint32_t)v >> 24), (unsigned char)((uint32_t)v >> 16),
                          (unsigned char)((uint32_t)v >> 8), (unsigned char)v};
    sdk_buf_append(b, x, 4);
}
static void be64(sdk_buf *b, int64_t v) {
    be32(b, (int32_t)((uint64_t)v >> 32));
    be32(b, (int32_t)(uint64_t)v);
}
static void bytes(sdk_buf *b, const char *s) {
    be32(b, (int32_t)strlen(s));
    sdk_buf_puts(b, s);
}
static size_t packet_begin(sdk_buf *b) {
    size_t at = b->len;
    be32(b, 0);
    return at;
}
static void packet_end(sdk_buf *b, size_t at) {
    uint32_t n = (uint32_t)(b->len - at - 4);
    unsigned char *p = (unsigned char *)b->data + at;
    p[0] = (unsigned char)(n >> 24), p[1] = (unsigned char)(n >> 16), p[2] = (unsigned char)(n >> 8),
    p[3] = (unsigned char)n;
}
static void connect_reply(sdk_buf *b) {
    size_t at = packet_begin(b);
    be32(b, 0);        /* protocolVersion */
    be32(b, 10000);    /* timeOut granted */
    be64(b, 0x1234);   /* sessionId */
    bytes(b, "0123456789abcdef");
    sdk_buf_putc(b, 0);
    packet_end(b, at);
}
static void reply_header(sdk_buf *b, int32_t xid, int32_t err) {
    be32(b, xid);
    be64(b, 77); /* zxid */
    be32(b, err);
}
static void get_data(sdk_buf *b, const char *data, int32_t version) {
    be32(b, 4);
    sdk_buf_putc(b, 0);
    be32(b, 0);
    bytes(b, data);
    for (int i = 0; i < 4; i++) be64(b, 1); /* czxid mzxid ctime mtime */
    be32(b, version);
    be32(b, 0);
    be32(b, 0);
    be64(b, 0);
    be32(b, (int32_t)strlen(data));
    be32(b, 0);
    be64(b, 1);
}
static void get_children(sdk_buf *b, const char *const *names, int n) {
    be32(b, 8);
    sdk_buf_putc(b, 0);
    be32(b, 0);
    be32(b, n);
    for (int i = 0; i < n; i++) bytes(b, names[i]);
}
static void multi_end(sdk_buf *b) {
    be32(b, -1);
    sdk_buf_putc(b, 1);
    be32(b, -1);
}

static void write_seed(const char *dir, const char *name, uint8_t flags, const sdk_buf *b) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputc(flags, f);
    fwrite(b->data, 1, b->len, f);
    fclose(f);
    printf("%s (%zu bytes)\n", path, b->len + 1);
}

/* root /svc "root-data" with children Tasks, a, skipped; Tasks has t1; a has data "A". */
static void tree(sdk_buf *b, bool auth, uint8_t flags) {
    connect_reply(b);
    if (auth) {
        size_t at = packet_begin(b);
        reply_header(b, -4, 0);
        packet_end(b, at);
    }
    size_t at = packet_begin(b);
    reply_header(b, 1, 0);
    get_data(b, "root-data", 3);
    const char *kids[] = {"Tasks", "a", "skipped"};
    get_children(b, kids, 3);
    multi_end(b);
    packet_end(b, at);
    at = packet_begin(b);
    reply_header(b, 2, 0);
    /* the second multi: Tasks (list only when flag 4), a, skipped (unless flag 2) */
    if (!(flags & 4)) get_data(b, "", 0);
    const char *t1[] = {"t1"};
    get_children(b, t1, 1);
    get_data(b, "A", 1);
    get_children(b, NULL, 0);
    if (!(flags & 2)) {
        get_data(b, "S", 1);
        get_children(b, NULL, 0);
    }
    multi_end(b);
    packet_end(b, at);
    if (!(flags & 4)) { /* Tasks/t1 */
        at = packet_begin(b);
        reply_header(b, 3, 0);
        get_data(b, "T1", 5);
        get_children(b, NULL, 0);
        multi_end(b);
        packet_end(b, at);
    }
}

static void make_seeds(const char *dir) {
    for (uint8_t flags = 0; flags < 8; flags++) {
        sdk_buf b;
        sdk_buf_init(&b);
        tree(&b, flags & 1, flags);
        char name[32];
        snprintf(name, sizeof name, "tree_flags%u", flags);
        write_seed(dir, name, flags, &b);
        sdk_buf_free(&b);
    }
    sdk_buf b;
    sdk_buf_init(&b);
    connect_reply(&b); /* a server before 3.6: answers the multi with an error */
    size_t at = packet_begin(&b);
    reply_header(&b, 1, -6);
    packet_end(&b, at);
    write_seed(dir, "unsupported", 0, &b);
    sdk_buf_reset(&b);
    b.len = 0;
    connect_reply(&b); /* no root: NONODE for both operations */
    at = packet_begin(&b);
    reply_header(&b, 1, 0);
    be32(&b, -1), sdk_buf_putc(&b, 0), be32(&b, -101), be32(&b, -101);
    be32(&b, -1), sdk_buf_putc(&b, 0), be32(&b, -101), be32(&b, -101);
    multi_end(&b);
    packet_end(&b, at);
    write_seed(dir, "no_root", 0, &b);
    sdk_buf_free(&b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    if (*argc == 3 && !strcmp((*argv)[1], "--make-seeds")) {
        make_seeds((*argv)[2]);
        exit(0);
    }
    /* An abstract socket (leading NUL): nothing on disk to clean up, private to this process. */
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    int n = snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "fuzz_zkreadall.%ld", (long)getpid());
    addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, addr_len) || listen(listen_fd, 4)) {
        perror("fuzz_zkreadall: listen");
        abort();
    }
    return 0;
}
