/* zk_readall against a scripted stand-in server on loopback: the bytes it sends (connect,
 * digest auth, read-only multis with the right paths), how it takes a whole tree apart, and
 * every way a server can fail it: a server older than 3.6 (closes the connection, or answers
 * with an error), silence, a truncated reply, a length that is garbage, a refused session, bad
 * credentials, a node that vanished. The same code against a real ZooKeeper is covered by
 * test_store_zk (bulk and node-by-node loads must give the same tree). */
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/state/zk_readall.h"
#include "core/util/str.h"

typedef enum {
    M_GOOD,          /* a root with children "a" (data "hello", child "b") and "lock" */
    M_CLOSE_ON_READ, /* as ZooKeeper 3.4 does with an unknown request type */
    M_ERR_HEADER,    /* an error in the reply header */
    M_SILENT,        /* the multi is never answered */
    M_TRUNCATED,     /* a data buffer longer than its packet */
    M_HUGE_LENGTH,   /* a packet length of 2 GiB */
    M_REFUSED,       /* the session is refused (timeOut 0) */
    M_BAD_AUTH,      /* digest authentication fails */
    M_VANISHED       /* "a" is listed, then gone when read */
} mode;

typedef struct fake {
    int lfd;
    unsigned short port;
    mode m;
    pthread_t th;
    char seen[4096]; /* what the client asked for: "auth:<scheme>:<cred> " and "<op>:<path> " */
    int multis;
} fake;

static bool read_full(int fd, void *p, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, (char *)p + got, n - got, 0);
        if (r <= 0) return false;
        got += (size_t)r;
    }
    return true;
}

/* One packet's body (new), or NULL when the client closed. */
static unsigned char *read_packet(int fd, uint32_t *len) {
    unsigned char h[4];
    if (!read_full(fd, h, 4)) return NULL;
    *len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    unsigned char *b = malloc(*len + 1);
    if (!read_full(fd, b, *len)) {
        free(b);
        return NULL;
    }
    return b;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void w32(sdk_buf *b, int32_t v) {
    unsigned char x[4] = {(unsigned char)((uint32_t)v >> 24), (unsigned char)((uint32_t)v >> 16),
                          (unsigned char)((uint32_t)v >> 8), (unsigned char)v};
    sdk_buf_append(b, x, 4);
}

static void wstr(sdk_buf *b, const char *s) {
    w32(b, (int32_t)strlen(s));
    sdk_buf_puts(b, s);
}

static void send_packet(int fd, sdk_buf *body) {
    sdk_buf p;
    sdk_buf_init(&p);
    w32(&p, (int32_t)body->len);
    sdk_buf_append(&p, body->data, body->len);
    if (send(fd, p.data, p.len, MSG_NOSIGNAL) < 0) {}
    sdk_buf_free(&p);
    sdk_buf_reset(body);
}

static void stat_bytes(sdk_buf *b, int32_t version, int32_t data_len, int32_t kids) {
    for (int i = 0; i < 4; i++) w32(b, 0), w32(b, 0); /* czxid, mzxid, ctime, mtime */
    w32(b, version), w32(b, 0), w32(b, 0);            /* version, cversion, aversion */
    w32(b, 0), w32(b, 0);                             /* ephemeralOwner */
    w32(b, data_len), w32(b, kids);
    w32(b, 0), w32(b, 0); /* pzxid */
}

static void mh(sdk_buf *b, int32_t type, bool done, int32_t err) {
    w32(b, type);
    sdk_buf_putc(b, done ? 1 : 0);
    w32(b, err);
}

/* Answers one read-only multi the way ZooKeeper does, from the tree of M_GOOD. */
static void answer_multi(fake *f, int fd, const unsigned char *p, uint32_t len, int32_t xid) {
    sdk_buf r;
    sdk_buf_init(&r);
    w32(&r, xid), w32(&r, 0), w32(&r, 5), w32(&r, 0); /* xid, zxid, err */
    size_t at = 8;
    while (at + 9 <= len) {
        int32_t type = (int32_t)be32(p + at);
        bool done = p[at + 4];
        at += 9;
        if (done) break;
        uint32_t pl = be32(p + at);
        char path[256];
        snprintf(path, sizeof path, "%.*s", (int)pl, (const char *)p + at + 4);
        at += 4 + pl + 1; /* path, watch */
        size_t sl = strlen(f->seen);
        snprintf(f->seen + sl, sizeof f->seen - sl, "%d:%s ", type, path);
        bool gone = f->m == M_VANISHED && !strcmp(path, "/r/a");
        if (gone) {
            mh(&r, -1, false, -101);
            w32(&r, -101);
        } else if (type == 4) {
            const char *data = !strcmp(path, "/r") ? "" : !strcmp(path, "/r/a") ? "hello" : "bee";
            mh(&r, 4, false, 0);
            if (f->m == M_TRUNCATED) {
                w32(&r, 1000); /* more than the packet holds */
                sdk_buf_puts(&r, "xyz");
                break;
            }
            wstr(&r, data);
            stat_bytes(&r, !strcmp(path, "/r") ? 7 : 1, (int32_t)strlen(data), 1);
        } else {
            mh(&r, 8, false, 0);
            if (!strcmp(path, "/r")) {
                w32(&r, 2), wstr(&r, "a"), wstr(&r, "lock");
            } else if (!strcmp(path, "/r/a")) {
                w32(&r, 1), wstr(&r, "b");
            } else {
                w32(&r, 0);
            }
        }
    }
    if (f->m != M_TRUNCATED) mh(&r, -1, true, -1);
    send_packet(fd, &r);
    sdk_buf_free(&r);
}

static void *fake_main(void *ud) {
    fake *f = ud;
    int fd = accept(f->lfd, NULL, NULL);
    if (fd < 0) return NULL;
    sdk_buf b;
    sdk_buf_init(&b);
    uint32_t len;
    unsigned char *p = read_packet(fd, &len); /* connect */
    if (p) {
        w32(&b, 0), w32(&b, f->m == M_REFUSED ? 0 : 4000), w32(&b, 0), w32(&b, 42), w32(&b, 16);
        sdk_buf_append(&b, "0123456789abcdef", 16);
        send_packet(fd, &b);
    }
    free(p);
    while (f->m != M_REFUSED && (p = read_packet(fd, &len)) != NULL) {
        int32_t xid = (int32_t)be32(p), type = (int32_t)be32(p + 4);
        if (type == 100) { /* auth: type, scheme, credentials */
            uint32_t sl = be32(p + 12);
            uint32_t cl = be32(p + 16 + sl);
            size_t n = strlen(f->seen);
            snprintf(f->seen + n, sizeof f->seen - n, "auth:%.*s:%.*s ", (int)sl, (const char *)p + 16, (int)cl,
                     (const char *)p + 20 + sl);
            w32(&b, -4), w32(&b, 0), w32(&b, 0), w32(&b, f->m == M_BAD_AUTH ? -115 : 0);
            send_packet(fd, &b);
        } else if (type == 22) {
            f->multis++;
            if (f->m == M_CLOSE_ON_READ) {
                free(p);
                break;
            } else if (f->m == M_ERR_HEADER) {
                w32(&b, xid), w32(&b, 0), w32(&b, 5), w32(&b, -6);
                send_packet(fd, &b);
            } else if (f->m == M_HUGE_LENGTH) {
                unsigned char h[4] = {0x7f, 0xff, 0xff, 0xff};
                if (send(fd, h, 4, MSG_NOSIGNAL) < 0) {}
            } else if (f->m != M_SILENT) {
                answer_multi(f, fd, p, len, xid);
            }
        } else if (type == -11) {
            size_t n = strlen(f->seen);
            snprintf(f->seen + n, sizeof f->seen - n, "close");
        }
        free(p);
    }
    sdk_buf_free(&b);
    close(fd);
    return NULL;
}

static void fake_start(fake *f, mode m) {
    memset(f, 0, sizeof *f);
    f->m = m;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    bind(f->lfd, (struct sockaddr *)&sa, sizeof sa);
    listen(f->lfd, 4);
    getsockname(f->lfd, (struct sockaddr *)&sa, &sl);
    f->port = ntohs(sa.sin_port);
    pthread_create(&f->th, NULL, fake_main, f);
}

static void fake_stop(fake *f) {
    pthread_join(f->th, NULL);
    close(f->lfd);
}

/* Reads "/r" from a fake server in mode m; returns zk_readall's code, with *err (new) and *out. */
static int read_from(mode m, const char *auth, int timeout_ms, fake *f, zk_readall_result *out, char **err) {
    fake_start(f, m);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(f->port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    static const char *const skip[] = {"lock", NULL};
    int rc = zk_readall((struct sockaddr *)&sa, sizeof sa, auth, "/r", skip, NULL, 4000, timeout_ms, out, err);
    fake_stop(f);
    return rc;
}

static void test_reads_a_tree_in_one_multi_per_level(void) {
    fake f;
    zk_readall_result r;
    char *err = NULL;
    CHECK_INT(read_from(M_GOOD, "bob:pw", 2000, &f, &r, &err), ZK_READALL_OK);
    CHECK(err == NULL);
    /* digest credentials first; then the root, then "a" (not "lock"), then "a/b": data and
     * children of each in one multi; the session is closed at the end */
    CHECK_STR(f.seen, "auth:digest:bob:pw 4:/r 8:/r 4:/r/a 8:/r/a 4:/r/a/b 8:/r/a/b close");
    CHECK_INT(f.multis, 3);
    CHECK_INT(r.requests, 3);
    CHECK_INT(r.ops, 6);
    CHECK(r.root_exists);
    CHECK_INT(r.root_version, 7);
    CHECK_INT(r.n, 2);
    if (r.n == 2) {
        CHECK_STR(r.e[0].path, "a");
        CHECK_STR(r.e[0].val, "hello");
        CHECK_INT(r.e[0].len, 5);
        CHECK_STR(r.e[1].path, "a/b");
        CHECK_STR(r.e[1].val, "bee");
    }
    zk_readall_free(&r);
}

static void test_old_server_is_unsupported(void) {
    fake f;
    zk_readall_result r;
    char *err = NULL;
    CHECK_INT(read_from(M_CLOSE_ON_READ, NULL, 2000, &f, &r, &err), ZK_READALL_UNSUPPORTED);
    CHECK_CONTAINS(err, "closed");
    CHECK_INT(r.n, 0);
    free(err);
    err = NULL;
    CHECK_INT(read_from(M_ERR_HEADER, NULL, 2000, &f, &r, &err), ZK_READALL_UNSUPPORTED);
    CHECK_CONTAINS(err, "error -6");
    free(err);
}

static void test_failures_are_reported_not_hung(void) {
    fake f;
    zk_readall_result r;
    char *err = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT(read_from(M_SILENT, NULL, 300, &f, &r, &err), ZK_READALL_FAILED);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_MSG(secs >= 0.25 && secs < 2.0, "%.2f s", secs);
    CHECK_CONTAINS(err, "no reply within 300 ms");
    free(err);
    err = NULL;
    CHECK_INT(read_from(M_TRUNCATED, NULL, 2000, &f, &r, &err), ZK_READALL_FAILED);
    CHECK_CONTAINS(err, "malformed");
    free(err);
    err = NULL;
    CHECK_INT(read_from(M_HUGE_LENGTH, NULL, 2000, &f, &r, &err), ZK_READALL_FAILED);
    CHECK_CONTAINS(err, "a reply of 2147483647 bytes");
    free(err);
    err = NULL;
    CHECK_INT(read_from(M_REFUSED, NULL, 2000, &f, &r, &err), ZK_READALL_FAILED);
    CHECK_CONTAINS(err, "refused the session");
    free(err);
    err = NULL;
    CHECK_INT(read_from(M_BAD_AUTH, "bob:wrong", 2000, &f, &r, &err), ZK_READALL_FAILED);
    CHECK_CONTAINS(err, "digest authentication failed (ZooKeeper error -115)");
    CHECK_INT(f.multis, 0); /* nothing read with a failed authentication */
    free(err);
    err = NULL;
    CHECK_INT(read_from(M_VANISHED, NULL, 2000, &f, &r, &err), ZK_READALL_VANISHED);
    CHECK(err == NULL);
    CHECK_INT(r.n, 0);
    /* no server at all */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(1), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(zk_readall((struct sockaddr *)&sa, sizeof sa, NULL, "/r", NULL, NULL, 4000, 500, &r, &err),
              ZK_READALL_FAILED);
    CHECK_CONTAINS(err, "connect");
    free(err);
}

int main(void) {
    RUN(test_reads_a_tree_in_one_multi_per_level);
    RUN(test_old_server_is_unsupported);
    RUN(test_failures_are_reported_not_hung);
    return check_summary("zk_readall");
}
