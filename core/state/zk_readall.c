/* Whole-subtree reads through ZooKeeper's read-only multi (contract in zk_readall.h).
 *
 * Wire format (ZooKeeper's jute encoding, big-endian): int = 4 bytes, long = 8, bool = 1,
 * buffer and string = int length (-1: null) + bytes, vector = int count + items. Every packet
 * in either direction is an int length followed by that many bytes.
 *   connect   -> protocolVersion int, lastZxidSeen long, timeOut int, sessionId long,
 *                passwd buffer, readOnly bool
 *             <- protocolVersion int, timeOut int (<= 0: refused), sessionId long,
 *                passwd buffer [, readOnly bool]
 *   request   -> xid int, type int, body
 *   reply     <- xid int, zxid long, err int, body
 *   auth      -> xid -4, type 100, { type int 0, scheme string, auth buffer }; reply xid -4
 *   multiRead -> type 22; per op: MultiHeader { type int, done bool false, err int -1 } and
 *                { path string, watch bool } (getData 4, getChildren 8); then MultiHeader
 *                { -1, true, -1 }
 *             <- per op: MultiHeader { type, done false, err } and getData: { data buffer,
 *                Stat }, getChildren: { children vector<string> }, error (type -1): { err int };
 *                then MultiHeader { -1, true, -1 }
 *   Stat      =  czxid, mzxid, ctime, mtime long; version, cversion, aversion int;
 *                ephemeralOwner long; dataLength, numChildren int; pzxid long (68 bytes)
 *   close     -> type -11, no body */
#include "core/state/zk_readall.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util/str.h"

#define OP_GET_DATA 4
#define OP_GET_CHILDREN 8
#define OP_MULTI_READ 22
#define OP_AUTH 100
#define OP_CLOSE (-11)
#define XID_WATCH (-1)
#define XID_PING (-2)
#define XID_AUTH (-4)
#define ZK_NONODE (-101)
#define STAT_BYTES 68

#define BATCH_NODES 128          /* nodes per multi (two operations each) */
#define BATCH_BYTES (256u << 10) /* and at most this much request (servers refuse ~1 MiB) */
#define MAX_IN_FLIGHT 8          /* multis sent and not yet answered */
#define MAX_FRAME (256u << 20)   /* a bigger reply is refused as garbage */

/* ---------------------------------------------------------------- encoding */

static void put_i32(sdk_buf *b, int32_t v) {
    unsigned char x[4] = {(unsigned char)((uint32_t)v >> 24), (unsigned char)((uint32_t)v >> 16),
                          (unsigned char)((uint32_t)v >> 8), (unsigned char)v};
    sdk_buf_append(b, x, 4);
}

static void put_i64(sdk_buf *b, int64_t v) {
    put_i32(b, (int32_t)((uint64_t)v >> 32));
    put_i32(b, (int32_t)(uint32_t)v);
}

static void put_bytes(sdk_buf *b, const void *p, size_t n) {
    put_i32(b, (int32_t)n);
    sdk_buf_append(b, p, n);
}

/* Patches the packet length at b->data + at (a placeholder put_i32 wrote). */
static void end_packet(sdk_buf *b, size_t at) {
    uint32_t n = (uint32_t)(b->len - at - 4);
    unsigned char *p = (unsigned char *)b->data + at;
    p[0] = (unsigned char)(n >> 24), p[1] = (unsigned char)(n >> 16), p[2] = (unsigned char)(n >> 8),
    p[3] = (unsigned char)n;
}

typedef struct rd {
    const unsigned char *p, *end;
    bool bad;
} rd;

static int32_t get_i32(rd *r) {
    if (r->end - r->p < 4) {
        r->bad = true;
        r->p = r->end;
        return 0;
    }
    uint32_t v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
    r->p += 4;
    return (int32_t)v;
}

static int64_t get_i64(rd *r) {
    uint64_t hi = (uint32_t)get_i32(r), lo = (uint32_t)get_i32(r);
    return (int64_t)(hi << 32 | lo);
}

static bool get_bool(rd *r) {
    if (r->p >= r->end) {
        r->bad = true;
        return false;
    }
    return *r->p++ != 0;
}

/* A buffer or string: *n bytes at the returned pointer (NULL and 0 for a null one). */
static const char *get_bytes(rd *r, size_t *n) {
    int32_t len = get_i32(r);
    *n = 0;
    if (len < 0) return NULL;
    if (r->end - r->p < len) {
        r->bad = true;
        r->p = r->end;
        return NULL;
    }
    const char *s = (const char *)r->p;
    r->p += len;
    *n = (size_t)len;
    return s;
}

static void skip_bytes(rd *r, size_t n) {
    if ((size_t)(r->end - r->p) < n) {
        r->bad = true;
        r->p = r->end;
    } else {
        r->p += n;
    }
}

/* ---------------------------------------------------------------- connection */

typedef struct conn {
    int fd;
    int timeout_ms;
    sdk_buf out;
    size_t out_off;
    char *in; /* received bytes: [in_off, in_len) not consumed yet */
    size_t in_off, in_len, in_cap;
    bool eof;
} conn;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static int conn_open(conn *c, const struct sockaddr *addr, socklen_t len, char **err) {
    c->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        *err = sdk_asprintf_new("socket: %s", strerror(errno));
        return -1;
    }
    if (connect(c->fd, addr, len) == 0 || errno == EINPROGRESS) {
        struct pollfd p = {c->fd, POLLOUT, 0};
        int so = 0;
        socklen_t sl = sizeof so;
        if (poll(&p, 1, c->timeout_ms) == 1 && getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so == 0)
            return 0;
        *err = sdk_asprintf_new("connect: %s", so ? strerror(so) : "timed out");
        return -1;
    }
    *err = sdk_asprintf_new("connect: %s", strerror(errno));
    return -1;
}

/* Sends what is queued and reads what arrives until a whole packet is buffered; returns a
 * reader over its body (valid until the next call), or sets *err (and c->eof when the server
 * closed the connection) and returns false. Each wait is bounded by the timeout. */
static bool conn_next(conn *c, rd *pkt, char **err) {
    double last = now_ms();
    for (;;) {
        size_t have = c->in_len - c->in_off;
        if (have >= 4) {
            const unsigned char *p = (const unsigned char *)c->in + c->in_off;
            uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
            if (n > MAX_FRAME) {
                *err = sdk_asprintf_new("a reply of %u bytes (more than %u)", n, MAX_FRAME);
                return false;
            }
            if (have >= 4 + (size_t)n) {
                *pkt = (rd){p + 4, p + 4 + n, false};
                c->in_off += 4 + (size_t)n;
                return true;
            }
        }
        if (c->in_off > 0) { /* the packets returned before are no longer referenced */
            memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
            c->in_len -= c->in_off;
            c->in_off = 0;
        }
        struct pollfd p = {c->fd, POLLIN | (c->out_off < c->out.len ? POLLOUT : 0), 0};
        int wait = c->timeout_ms - (int)(now_ms() - last);
        if (wait <= 0 || poll(&p, 1, wait) == 0) {
            *err = sdk_asprintf_new("no reply within %d ms", c->timeout_ms);
            return false;
        }
        if (p.revents & POLLOUT) {
            ssize_t w = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR) {
                *err = sdk_asprintf_new("send: %s", strerror(errno));
                c->eof = true;
                return false;
            }
            if (w > 0) {
                c->out_off += (size_t)w;
                last = now_ms();
                if (c->out_off == c->out.len) sdk_buf_reset(&c->out), c->out_off = 0;
            }
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (c->in_cap - c->in_len < 65536) { /* room for a big read */
                c->in_cap = c->in_cap < 262144 ? 262144 : c->in_cap * 2;
                c->in = sdk_xrealloc(c->in, c->in_cap);
            }
            ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                *err = sdk_asprintf_new("connection closed by the server%s%s", r < 0 ? ": " : "",
                                        r < 0 ? strerror(errno) : "");
                c->eof = true;
                return false;
            }
            if (r > 0) {
                c->in_len += (size_t)r;
                last = now_ms();
            }
        }
    }
}

/* ---------------------------------------------------------------- the walk */

typedef struct rnode {
    char *rel;
    bool list_only; /* getChildren only */
} rnode;

typedef struct batch {
    int32_t xid;
    rnode *nodes;
    size_t n;
} batch;

typedef struct readall {
    conn c;
    const char *root;
    const char *const *skip;
    const char *list_only;
    zk_readall_result *out;
    rnode *q; /* nodes to read, FIFO from qhead */
    size_t qhead, qn, qcap;
    batch fly[MAX_IN_FLIGHT]; /* ring of multis in flight, oldest at fhead */
    size_t fhead, fn;
    int32_t xid;
    size_t ecap;
} readall;

static void enqueue(readall *a, char *rel, bool list_only) {
    if (a->qn == a->qcap) {
        if (a->qhead > 0) { /* reuse the consumed front */
            memmove(a->q, a->q + a->qhead, (a->qn - a->qhead) * sizeof *a->q);
            a->qn -= a->qhead;
            a->qhead = 0;
        }
        if (a->qn == a->qcap) {
            a->qcap = a->qcap ? a->qcap * 2 : 1024;
            a->q = sdk_xrealloc(a->q, a->qcap * sizeof *a->q);
        }
    }
    a->q[a->qn++] = (rnode){rel, list_only};
}

static void put_path(readall *a, sdk_buf *b, const char *rel) {
    size_t rl = strlen(a->root), pl = strlen(rel);
    bool slash = pl && strcmp(a->root, "/") != 0;
    put_i32(b, (int32_t)(rl + slash + pl));
    sdk_buf_append(b, a->root, rl);
    if (slash) sdk_buf_putc(b, '/');
    sdk_buf_append(b, rel, pl);
}

static void put_op(readall *a, sdk_buf *b, int32_t type, const char *rel) {
    put_i32(b, type);
    sdk_buf_putc(b, 0);  /* done */
    put_i32(b, -1);      /* err */
    put_path(a, b, rel); /* the request: path, watch */
    sdk_buf_putc(b, 0);
}

/* Queues one multi with the next nodes of the queue. */
static void send_batch(readall *a) {
    batch *bt = &a->fly[(a->fhead + a->fn) % MAX_IN_FLIGHT];
    size_t take = a->qn - a->qhead < BATCH_NODES ? a->qn - a->qhead : BATCH_NODES;
    sdk_buf *b = &a->c.out;
    size_t at = b->len;
    put_i32(b, 0); /* length, patched below */
    put_i32(b, bt->xid = ++a->xid);
    put_i32(b, OP_MULTI_READ);
    size_t n = 0;
    while (n < take && b->len - at < BATCH_BYTES) {
        rnode *r = &a->q[a->qhead + n];
        if (!r->list_only) put_op(a, b, OP_GET_DATA, r->rel);
        put_op(a, b, OP_GET_CHILDREN, r->rel);
        a->out->ops += r->list_only ? 1 : 2;
        n++;
    }
    put_i32(b, -1);
    sdk_buf_putc(b, 1);
    put_i32(b, -1);
    end_packet(b, at);
    bt->nodes = sdk_xmalloc(n * sizeof *bt->nodes);
    memcpy(bt->nodes, a->q + a->qhead, n * sizeof *bt->nodes);
    bt->n = n;
    a->qhead += n;
    a->fn++;
    a->out->requests++;
}

static bool skipped(const readall *a, const char *name) {
    for (size_t i = 0; a->skip && a->skip[i]; i++)
        if (!strcmp(a->skip[i], name)) return true;
    return false;
}

static void add_entry(readall *a, char *rel, const char *data, size_t len) {
    zk_readall_result *o = a->out;
    if (o->n == a->ecap) {
        a->ecap = a->ecap ? a->ecap * 2 : 4096;
        o->e = sdk_xrealloc(o->e, a->ecap * sizeof *o->e);
    }
    char *v = sdk_xmalloc(len + 1);
    if (len) memcpy(v, data, len);
    v[len] = 0;
    o->e[o->n++] = (sdk_tree_entry){rel, v, len};
}

/* Takes one node's results from a multi's reply. Returns ZK_READALL_OK (rel consumed or
 * freed), VANISHED or FAILED (with *err). */
static int take_node(readall *a, rd *r, rnode *nd, char **err) {
    bool is_root = !*nd->rel;
    bool kept = false; /* rel became an entry's path */
    int rc = ZK_READALL_OK;
    for (int op = nd->list_only ? 1 : 0; op < 2 && rc == ZK_READALL_OK; op++) {
        int32_t type = get_i32(r);
        bool done = get_bool(r);
        (void)get_i32(r); /* the header's err repeats the error result's */
        if (r->bad) break;
        if (done) {
            *err = sdk_xstrdup("a read-only multi reply ended early");
            rc = ZK_READALL_FAILED;
        } else if (type == -1) {
            int32_t e = get_i32(r);
            if (e == ZK_NONODE && is_root) {
                if (op == 1) a->out->root_exists = false; /* an empty store */
            } else if (e == ZK_NONODE) {
                rc = ZK_READALL_VANISHED;
            } else {
                *err = sdk_asprintf_new("cannot read znode '%s': ZooKeeper error %d", is_root ? a->root : nd->rel,
                                        (int)e);
                rc = ZK_READALL_FAILED;
            }
        } else if (type == OP_GET_DATA && op == 0) {
            size_t len;
            const char *data = get_bytes(r, &len);
            rd st = *r;
            skip_bytes(&st, 32); /* czxid, mzxid, ctime, mtime */
            int32_t version = get_i32(&st);
            skip_bytes(r, STAT_BYTES);
            if (r->bad || st.bad) break;
            if (is_root) {
                a->out->root_exists = true;
                a->out->root_version = version;
                char *v = sdk_xmalloc(len + 1); /* binary: a journal pointer starts with a NUL */
                if (len) memcpy(v, data, len);
                v[len] = 0;
                free(a->out->root_data);
                a->out->root_data = v;
                a->out->root_len = len;
            } else {
                add_entry(a, nd->rel, data, len);
                kept = true;
            }
        } else if (type == OP_GET_CHILDREN && op == 1) {
            int32_t count = get_i32(r);
            for (int32_t k = 0; k < count && !r->bad; k++) {
                size_t len;
                const char *name = get_bytes(r, &len);
                /* A znode name is never empty and has no NUL or '/' (the copies below rely on
                 * the first two, the paths built from it on the last). */
                if (r->bad || !name || !len || memchr(name, 0, len) || memchr(name, '/', len)) {
                    r->bad = true;
                    break;
                }
                char *nm = sdk_xstrndup(name, len);
                if (nd->list_only) {
                    zk_readall_result *o = a->out;
                    o->listed_names = sdk_xrealloc(o->listed_names, (o->n_listed + 1) * sizeof *o->listed_names);
                    o->listed_names[o->n_listed++] = nm;
                } else if (is_root && skipped(a, nm)) {
                    free(nm);
                } else if (is_root && a->list_only && !strcmp(nm, a->list_only)) {
                    a->out->listed = true;
                    enqueue(a, nm, true);
                } else if (is_root) {
                    enqueue(a, nm, false);
                } else {
                    size_t pl = strlen(nd->rel);
                    char *rel = sdk_xmalloc(pl + 1 + len + 1);
                    memcpy(rel, nd->rel, pl);
                    rel[pl] = '/';
                    memcpy(rel + pl + 1, nm, len + 1);
                    free(nm);
                    enqueue(a, rel, false);
                }
            }
            if (r->bad) {
                *err = sdk_xstrdup("a malformed read-only multi reply");
                rc = ZK_READALL_FAILED;
            }
        } else {
            *err = sdk_asprintf_new("an unexpected result type %d in a read-only multi reply", (int)type);
            rc = ZK_READALL_FAILED;
        }
    }
    if (rc == ZK_READALL_OK && r->bad) {
        *err = sdk_xstrdup("a malformed read-only multi reply");
        rc = ZK_READALL_FAILED;
    }
    if (!kept) free(nd->rel);
    return rc;
}

static int handshake(readall *a, const char *auth, int session_ms, char **err) {
    sdk_buf *b = &a->c.out;
    size_t at = b->len;
    put_i32(b, 0);
    put_i32(b, 0);          /* protocolVersion */
    put_i64(b, 0);          /* lastZxidSeen */
    put_i32(b, session_ms); /* timeOut */
    put_i64(b, 0);          /* sessionId: a new session */
    static const char zero[16];
    put_bytes(b, zero, sizeof zero);
    sdk_buf_putc(b, 0); /* readOnly */
    end_packet(b, at);
    rd r;
    if (!conn_next(&a->c, &r, err)) return ZK_READALL_FAILED;
    (void)get_i32(&r);
    int32_t granted = get_i32(&r);
    if (r.bad || granted <= 0) {
        *err = sdk_xstrdup("the server refused the session");
        return ZK_READALL_FAILED;
    }
    if (!auth) return ZK_READALL_OK;
    at = b->len;
    put_i32(b, 0);
    put_i32(b, XID_AUTH);
    put_i32(b, OP_AUTH);
    put_i32(b, 0);
    put_bytes(b, "digest", 6);
    put_bytes(b, auth, strlen(auth));
    end_packet(b, at);
    for (;;) {
        if (!conn_next(&a->c, &r, err)) return ZK_READALL_FAILED;
        int32_t xid = get_i32(&r);
        (void)get_i64(&r);
        int32_t e = get_i32(&r);
        if (xid != XID_AUTH) continue;
        if (r.bad || e != 0) {
            *err = sdk_asprintf_new("digest authentication failed (ZooKeeper error %d)", (int)e);
            return ZK_READALL_FAILED;
        }
        return ZK_READALL_OK;
    }
}

static int run(readall *a, char **err) {
    enqueue(a, sdk_xstrdup(""), false);
    while (a->qhead < a->qn || a->fn > 0) {
        /* Keep the pipe full; a part-filled batch goes only when nothing else is in flight. */
        while (a->fn < MAX_IN_FLIGHT && a->qhead < a->qn && (a->qn - a->qhead >= BATCH_NODES || a->fn == 0))
            send_batch(a);
        rd r;
        if (!conn_next(&a->c, &r, err))
            return a->c.eof && a->out->requests == a->fn ? ZK_READALL_UNSUPPORTED : ZK_READALL_FAILED;
        int32_t xid = get_i32(&r);
        (void)get_i64(&r);
        int32_t e = get_i32(&r);
        if (xid == XID_WATCH || xid == XID_PING) continue;
        batch *bt = &a->fly[a->fhead];
        if (r.bad || xid != bt->xid) {
            *err = sdk_asprintf_new("a reply out of order (xid %d, expected %d)", (int)xid, (int)bt->xid);
            return ZK_READALL_FAILED;
        }
        bool first = a->out->requests == a->fn; /* no multi answered before this one */
        a->fhead = (a->fhead + 1) % MAX_IN_FLIGHT;
        a->fn--;
        int rc = ZK_READALL_OK;
        if (e != 0) {
            *err = sdk_asprintf_new("the server answered a read-only multi with ZooKeeper error %d", (int)e);
            rc = first ? ZK_READALL_UNSUPPORTED : ZK_READALL_FAILED;
        }
        size_t i = 0;
        for (; i < bt->n && rc == ZK_READALL_OK; i++) rc = take_node(a, &r, &bt->nodes[i], err);
        for (; i < bt->n; i++) free(bt->nodes[i].rel);
        free(bt->nodes);
        bt->nodes = NULL;
        if (rc == ZK_READALL_OK) {
            int32_t type = get_i32(&r);
            bool done = get_bool(&r);
            if (r.bad || type != -1 || !done) {
                *err = sdk_xstrdup("a read-only multi reply with more results than operations");
                rc = ZK_READALL_FAILED;
            }
        }
        if (rc != ZK_READALL_OK) return rc;
    }
    return ZK_READALL_OK;
}

void zk_readall_free(zk_readall_result *r) {
    free(r->root_data);
    for (size_t i = 0; i < r->n; i++) {
        free(r->e[i].path);
        free(r->e[i].val);
    }
    free(r->e);
    for (size_t i = 0; i < r->n_listed; i++) free(r->listed_names[i]);
    free(r->listed_names);
    memset(r, 0, sizeof *r);
}

int zk_readall(const struct sockaddr *addr, socklen_t addr_len, const char *auth, const char *root,
               const char *const *skip, const char *list_only, int session_ms, int timeout_ms,
               zk_readall_result *out, char **err) {
    memset(out, 0, sizeof *out);
    *err = NULL;
    readall a = {.root = root, .skip = skip, .list_only = list_only, .out = out};
    a.c.fd = -1;
    a.c.timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
    sdk_buf_init(&a.c.out);
    int rc = conn_open(&a.c, addr, addr_len, err) ? ZK_READALL_FAILED : handshake(&a, auth, session_ms, err);
    if (rc == ZK_READALL_OK) rc = run(&a, err);
    if (a.c.fd >= 0 && !a.c.eof) { /* end the session now rather than at its timeout; no wait */
        sdk_buf_reset(&a.c.out);
        a.c.out_off = 0;
        size_t at = a.c.out.len;
        put_i32(&a.c.out, 0);
        put_i32(&a.c.out, ++a.xid);
        put_i32(&a.c.out, OP_CLOSE);
        end_packet(&a.c.out, at);
        if (send(a.c.fd, a.c.out.data, a.c.out.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {}
    }
    if (a.c.fd >= 0) close(a.c.fd);
    for (size_t i = a.qhead; i < a.qn; i++) free(a.q[i].rel);
    free(a.q);
    for (size_t k = 0; k < a.fn; k++) {
        batch *bt = &a.fly[(a.fhead + k) % MAX_IN_FLIGHT];
        for (size_t i = 0; i < bt->n; i++) free(bt->nodes[i].rel);
        free(bt->nodes);
    }
    sdk_buf_free(&a.c.out);
    free(a.c.in);
    if (rc != ZK_READALL_OK) {
        zk_readall_free(out);
        if (rc == ZK_READALL_VANISHED) {
            free(*err);
            *err = NULL;
        }
    }
    return rc;
}
