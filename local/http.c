/* libmicrohttpd glue for the local cluster (see http.h). Same loop integration as
 * core/api/server.c: MHD's epoll fd is a read watcher, its timeout a loop timer. A streaming
 * answer reads from a queue of chunks; the content reader hands MHD one queued write per call
 * (so one write = one HTTP chunk) and suspends the connection when the queue is empty. While
 * suspended MHD does not watch the socket, so the loop watches it to notice a client that
 * hung up and then ends the stream with an error. */
#include "local/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util/log.h"
#include "core/util/str.h"

typedef struct chunk {
    char *data;
    size_t len, off;
    struct chunk *next;
} chunk;

struct lc_req {
    lc_http *s;
    struct MHD_Connection *conn;
    const char *method, *path;
    sdk_buf body;
    bool dispatched, answered, streaming, ended, suspended, dead;
    int status;
    char *ctype, *hname, *hvalue;
    char *rbody;
    size_t rlen;
    chunk *head, *tail;
    int fd; /* watched while suspended, -1 otherwise */
    lc_close_cb close_cb;
    void *close_ud;
    struct lc_req *prev, *next;
};

struct lc_http {
    sdk_loop *loop;
    struct MHD_Daemon *d;
    int epfd;
    uint64_t timer_id, kick_id;
    uint16_t port;
    lc_handler h;
    void *ud;
    bool closing;
    unsigned held; /* lc_http_hold depth: queued stream chunks wait while > 0 */
    lc_req *reqs;
};

static void mhd_run(lc_http *s);

static void on_mhd_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_http *s = ud;
    s->timer_id = 0;
    mhd_run(s);
}

static void on_mhd_fd(sdk_loop *l, int fd, int events, void *ud) {
    (void)l, (void)fd, (void)events;
    mhd_run(ud);
}

static void mhd_run(lc_http *s) {
    MHD_run(s->d);
    if (s->timer_id) sdk_loop_timer_cancel(s->loop, s->timer_id);
    s->timer_id = 0;
    MHD_UNSIGNED_LONG_LONG to;
    if (MHD_get_timeout(s->d, &to) == MHD_YES) sdk_loop_timer_add(s->loop, (uint64_t)to, on_mhd_timer, s, &s->timer_id);
}

static void on_kick(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_http *s = ud;
    s->kick_id = 0;
    mhd_run(s);
}

static void unwatch_sock(lc_req *r) {
    if (r->fd >= 0) sdk_loop_unwatch_fd(r->s->loop, r->fd);
    r->fd = -1;
}

static void req_resume(lc_req *r) {
    if (!r->suspended) return;
    if (r->s->held && !r->dead && !r->s->closing) return; /* lc_http_release resumes it */
    r->suspended = false;
    unwatch_sock(r);
    MHD_resume_connection(r->conn);
    lc_http *s = r->s;
    if (!s->kick_id && !s->closing) sdk_loop_timer_add(s->loop, 0, on_kick, s, &s->kick_id);
}

/* The client side of a suspended stream became readable: EOF or error means it is gone. */
static void on_sock(sdk_loop *l, int fd, int events, void *ud) {
    (void)l, (void)events;
    lc_req *r = ud;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) { /* unexpected bytes: stop watching rather than spin */
        unwatch_sock(r);
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    r->dead = true;
    req_resume(r);
}

static void suspend(lc_req *r) {
    MHD_suspend_connection(r->conn);
    r->suspended = true;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci && r->fd < 0 && sdk_loop_watch_fd(r->s->loop, ci->connect_fd, SDK_LOOP_READ, on_sock, r) == 0)
        r->fd = ci->connect_fd;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    lc_req *r = cls;
    if (r->dead) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (r->head && r->s->held && !r->head->off) { /* output gate closed: nothing new leaves */
        suspend(r);
        return 0;
    }
    if (r->head) {
        chunk *c = r->head;
        size_t n = c->len - c->off < max ? c->len - c->off : max;
        memcpy(buf, c->data + c->off, n);
        c->off += n;
        if (c->off == c->len) {
            r->head = c->next;
            if (!r->head) r->tail = NULL;
            free(c->data);
            free(c);
        }
        return (ssize_t)n;
    }
    if (r->ended) return MHD_CONTENT_READER_END_OF_STREAM;
    suspend(r);
    return 0;
}

static enum MHD_Result queue_answer(lc_req *r) {
    struct MHD_Response *mr;
    if (r->streaming) mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 256 * 1024, stream_reader, r, NULL);
    else {
        mr = MHD_create_response_from_buffer(r->rlen, r->rbody, MHD_RESPMEM_MUST_FREE);
        if (mr) r->rbody = NULL;
    }
    if (!mr) return MHD_NO;
    if (r->ctype) MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    if (r->hname) MHD_add_response_header(mr, r->hname, r->hvalue);
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ok;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload, size_t *upload_size, void **con_cls) {
    (void)version;
    lc_http *s = cls;
    lc_req *r = *con_cls;
    if (!r) {
        r = sdk_xcalloc(1, sizeof *r);
        r->s = s;
        r->conn = c;
        r->method = method;
        r->path = url;
        r->fd = -1;
        sdk_buf_init(&r->body);
        r->next = s->reqs;
        if (s->reqs) s->reqs->prev = r;
        s->reqs = r;
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->body.len + *upload_size <= 16u * 1024 * 1024) sdk_buf_append(&r->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->dispatched) return MHD_YES;
    r->dispatched = true;
    if (s->closing) lc_req_text(r, 503, "Local cluster is shutting down");
    else s->h(r, s->ud);
    if (!r->answered) {
        SDK_ERROR("localcluster", "%s %s: no answer from the handler", method, url);
        lc_req_text(r, 500, "");
    }
    return queue_answer(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)c, (void)toe;
    lc_http *s = cls;
    lc_req *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    unwatch_sock(r);
    if (r->streaming && !r->ended && r->close_cb) r->close_cb(r, r->close_ud);
    if (r->prev) r->prev->next = r->next;
    else s->reqs = r->next;
    if (r->next) r->next->prev = r->prev;
    for (chunk *k = r->head, *n; k; k = n) {
        n = k->next;
        free(k->data);
        free(k);
    }
    sdk_buf_free(&r->body);
    free(r->ctype);
    free(r->hname);
    free(r->hvalue);
    free(r->rbody);
    free(r);
}

int lc_http_new(sdk_loop *loop, const char *bind, lc_handler h, void *ud, lc_http **out, sdk_errors *errs) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    const char *colon = strrchr(bind, ':');
    char *end = NULL;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    if (!colon || !colon[1] || *end || port > 65535) {
        sdk_errors_addf(errs, "listen address '%s': expected HOST:PORT with a port from 0 to 65535", bind);
        return SDK_EINVAL;
    }
    char *host = sdk_xstrndup(bind, (size_t)(colon - bind));
    int ok = 1;
    if (!*host || strcmp(host, "*") == 0 || strcmp(host, "0.0.0.0") == 0) sa.sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0) sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else ok = inet_pton(AF_INET, host, &sa.sin_addr) == 1;
    free(host);
    if (!ok) {
        sdk_errors_addf(errs, "listen address '%s': host must be an IPv4 address, localhost or *", bind);
        return SDK_EINVAL;
    }
    sa.sin_port = htons((uint16_t)port);
    lc_http *s = sdk_xcalloc(1, sizeof *s);
    s->loop = loop;
    s->h = h;
    s->ud = ud;
    s->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, (uint16_t)port, NULL, NULL, on_access, s,
                            MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_CONNECTION_LIMIT, 2000u, MHD_OPTION_END);
    if (!s->d) {
        sdk_errors_addf(errs, "listen address '%s': cannot listen (port in use?)", bind);
        free(s);
        return SDK_EIO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : (uint16_t)port;
    info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
    s->epfd = info ? info->epoll_fd : -1;
    if (s->epfd < 0 || sdk_loop_watch_fd(loop, s->epfd, SDK_LOOP_READ, on_mhd_fd, s) != 0) {
        sdk_errors_addf(errs, "listen address '%s': cannot watch libmicrohttpd's epoll fd", bind);
        MHD_stop_daemon(s->d);
        free(s);
        return SDK_EIO;
    }
    mhd_run(s);
    *out = s;
    return 0;
}

void lc_http_free(lc_http *s) {
    if (!s) return;
    s->closing = true;
    for (lc_req *r = s->reqs; r; r = r->next) {
        r->dead = true;
        req_resume(r);
    }
    sdk_loop_unwatch_fd(s->loop, s->epfd);
    if (s->timer_id) sdk_loop_timer_cancel(s->loop, s->timer_id);
    if (s->kick_id) sdk_loop_timer_cancel(s->loop, s->kick_id);
    MHD_stop_daemon(s->d);
    free(s);
}

void lc_http_hold(lc_http *s) {
    if (s) s->held++;
}

void lc_http_release(lc_http *s) {
    if (!s || !s->held || --s->held) return;
    for (lc_req *r = s->reqs; r; r = r->next)
        if (r->streaming && (r->head || r->ended)) req_resume(r);
}

uint16_t lc_http_port(const lc_http *s) { return s->port; }
const char *lc_req_method(const lc_req *r) { return r->method; }
const char *lc_req_path(const lc_req *r) { return r->path; }

const char *lc_req_header(const lc_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *lc_req_query(const lc_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *lc_req_body(const lc_req *r, size_t *len) {
    if (len) *len = r->body.len;
    return r->body.data ? r->body.data : "";
}

static void set_head(lc_req *r, int status, const char *ctype, const char *hname, const char *hvalue) {
    r->answered = true;
    r->status = status;
    r->ctype = sdk_xstrdup(ctype);
    if (hname && hvalue) {
        r->hname = sdk_xstrdup(hname);
        r->hvalue = sdk_xstrdup(hvalue);
    }
}

void lc_req_respond(lc_req *r, int status, const char *ctype, const void *body, size_t len, const char *hname,
                    const char *hvalue) {
    if (r->answered) return;
    set_head(r, status, ctype, hname, hvalue);
    r->rbody = sdk_xmalloc(len + 1);
    if (len) memcpy(r->rbody, body, len);
    r->rlen = len;
}

void lc_req_text(lc_req *r, int status, const char *text) {
    lc_req_respond(r, status, "text/plain; charset=utf-8", text, strlen(text), NULL, NULL);
}

void lc_req_stream_start(lc_req *r, int status, const char *ctype, const char *hname, const char *hvalue,
                         lc_close_cb cb, void *ud) {
    if (r->answered) return;
    set_head(r, status, ctype, hname, hvalue);
    r->streaming = true;
    r->close_cb = cb;
    r->close_ud = ud;
}

void lc_req_stream_write(lc_req *r, const void *data, size_t len) {
    if (!r->streaming || r->ended || r->dead || !len) return;
    chunk *c = sdk_xcalloc(1, sizeof *c);
    c->data = sdk_xmalloc(len);
    memcpy(c->data, data, len);
    c->len = len;
    if (r->tail) r->tail->next = c;
    else r->head = c;
    r->tail = c;
    req_resume(r);
}

void lc_req_stream_end(lc_req *r) {
    if (!r->streaming || r->ended) return;
    r->ended = true;
    req_resume(r);
}
