/* libmicrohttpd in external-epoll mode on sdk_loop, a router, deferred and streamed answers.
 * See server.h for the contract.
 *
 * Request life cycle (MHD calls the access handler several times per request):
 *   first call (headers only)  -> allocate sdk_http_req; early 401 / 413 (Content-Length) answers
 *   calls with upload data     -> append to the body (or just count once over the limit)
 *   final call (no data)       -> route and run the handler; then queue the answer, or suspend
 *   resumed final call         -> queue the answer given later (deferred) or the stream
 *   notify-completed           -> close callback if unfinished, free the request
 * A streaming response reads from a buffer; when it runs dry the content reader suspends the
 * connection and sdk_http_stream_write/_end resume it. */
#include "core/api/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "core/api/router.h"
#include "core/util/log.h"
#include "core/util/str.h"

/* Defaults of sdk_http_server_opts (server.h; docs/security.md lists them for operators). */
#define DEFAULT_MAX_BODY (1024u * 1024u)
#define DEFAULT_CONN_TIMEOUT_S 30
#define DEFAULT_REQUEST_TIMEOUT_S 30
#define DEFAULT_MAX_CONNECTIONS 1000
#define DEFAULT_MAX_PER_IP 256
#define DEFAULT_MAX_HEADER_BYTES (32u * 1024u)
#define DEFAULT_MAX_HEADERS 64
#define DEFAULT_MAX_URI (8u * 1024u)
#define DEFAULT_MAX_QUERY_PARAMS 64
#define TEXT_PLAIN "text/plain; charset=utf-8"

typedef struct route_entry {
    sdk_http_handler h;
    void *ud;
    unsigned flags; /* SDK_HTTP_ROUTE_* */
    struct route_entry *next;
} route_entry;

struct sdk_http_response {
    int status;
    char *content_type, *body; /* body unused (NULL) when blob is set */
    size_t len, nh;
    char **hname, **hvalue;
    sdk_http_blob *blob; /* a shared body: one reference, handed to MHD with the response */
    bool gzip;           /* send the blob's gzip copy */
};

/* The shared, immutable body (see server.h). refs counts the owner's reference and one per
 * MHD response carrying it; MHD drops its references from its free callback, on the loop thread. */
struct sdk_http_blob {
    unsigned refs;
    char *data, *gz; /* gz: NULL until first asked for; gz_failed: compressing gave no gain */
    size_t len, gz_len;
    bool gz_failed;
};

typedef enum {
    RQ_RECEIVING, /* headers and body arriving */
    RQ_HANDLING,  /* inside the handler */
    RQ_DEFERRED,  /* handler returned; answer comes later */
    RQ_SENT,      /* a complete response was queued to MHD */
    RQ_STREAMING, /* a chunked response was queued to MHD */
} req_state;

/* One open connection (MHD_OPTION_NOTIFY_CONNECTION), for the slow-request deadline. */
typedef struct conn_rec {
    int fd;
    uint64_t waiting_since; /* ms: when the connection became ready for its next request */
    bool busy;              /* a request of it was dispatched and is not complete yet */
    struct conn_rec *prev, *next;
} conn_rec;

struct sdk_http_req {
    sdk_http_server *s;
    struct MHD_Connection *conn; /* NULL until the first access call (made by the URI callback) */
    conn_rec *cr;
    const char *method, *path; /* owned by MHD, valid for the whole request */
    req_state state;
    sdk_buf body;
    bool too_big, suspended, early_answered;
    bool uri_too_long, too_many_params; /* seen by the URI callback, answered at the first call */
    sdk_route_match match;
    sdk_http_response *resp; /* answer given but not yet queued */
    bool stream_started, stream_ended;
    int stream_status;
    char *stream_ct;
    sdk_buf sbuf; /* stream bytes not yet taken by MHD, from soff */
    size_t soff;
    sdk_http_close_cb close_cb;
    void *close_ud;
    struct sdk_http_req *prev, *next;
    /* In-process request (sdk_http_server_call_local): conn is NULL, no headers, and the query
     * arguments are these (borrowed from the caller). */
    const sdk_kv *lq;
    size_t n_lq;
};

struct sdk_http_server {
    sdk_loop *loop;
    struct MHD_Daemon *d;
    int epfd;
    uint64_t timer_id, kick_id; /* MHD's own timeout; a pending "run MHD now" after a resume */
    uint16_t port;
    size_t max_body, max_uri;
    unsigned max_headers, max_query_params, request_timeout_s;
    uint64_t sweep_id;            /* the slow-request sweep timer */
    struct in_addr bind_addr;     /* the bound IPv4 address (INADDR_ANY: every address) */
    char **allowed_hosts;         /* copies of opts->allowed_hosts (+ our host name beyond loopback) */
    size_t n_allowed_hosts;
    conn_rec *conns;              /* every open connection */
    bool conn_closed;             /* a connection closed during the current MHD_run */
    char *token;
    bool (*open_path)(const char *path);
    char *tls_cert, *tls_key;
    bool closing;
    sdk_router *router;
    route_entry *routes;
    sdk_http_req *reqs; /* every live request */
    uint64_t epoch;     /* see sdk_http_server_epoch */
    uint64_t last_dispatch; /* the loop's dispatch count when the last MHD_run ended */
};

/* ---------------------------------------------------------------- responses */

sdk_http_response *sdk_http_response_take(int status, const char *content_type, char *body, size_t len) {
    sdk_http_response *r = sdk_xcalloc(1, sizeof *r);
    r->status = status;
    r->content_type = sdk_xstrdup(content_type ? content_type : TEXT_PLAIN);
    r->body = body ? body : sdk_xstrdup("");
    r->len = body ? len : 0;
    return r;
}

sdk_http_response *sdk_http_response_new(int status, const char *content_type, const void *body, size_t len) {
    char *copy = sdk_xmalloc(len + 1);
    if (len) memcpy(copy, body, len);
    copy[len] = 0;
    return sdk_http_response_take(status, content_type, copy, len);
}

int sdk_http_response_header(sdk_http_response *r, const char *name, const char *value) {
    if (!name || !*name || !value || strpbrk(name, "\r\n: ") || strpbrk(value, "\r\n")) return SDK_EINVAL;
    r->hname = sdk_xrealloc(r->hname, (r->nh + 1) * sizeof *r->hname);
    r->hvalue = sdk_xrealloc(r->hvalue, (r->nh + 1) * sizeof *r->hvalue);
    r->hname[r->nh] = sdk_xstrdup(name);
    r->hvalue[r->nh++] = sdk_xstrdup(value);
    return 0;
}

/* ---------------------------------------------------------------- shared bodies */

#define BLOB_GZIP_MIN 1024 /* smaller bodies are sent as they are */

sdk_http_blob *sdk_http_blob_take(char *body, size_t len) {
    sdk_http_blob *b = sdk_xcalloc(1, sizeof *b);
    b->refs = 1;
    b->data = body;
    b->len = len;
    return b;
}

void sdk_http_blob_unref(sdk_http_blob *b) {
    if (!b || --b->refs) return;
    free(b->data);
    free(b->gz);
    free(b);
}

static void blob_mhd_release(void *cls) { sdk_http_blob_unref(cls); }

/* Compresses the blob once (gzip format, zlib level 6). False when zlib fails or the result
 * is no smaller, remembered so that later requests get the identity body without retrying. */
static bool blob_gzip(sdk_http_blob *b) {
    if (b->gz) return true;
    if (b->gz_failed || b->len < BLOB_GZIP_MIN) return false;
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        b->gz_failed = true;
        return false;
    }
    size_t cap = deflateBound(&z, (uLong)b->len);
    unsigned char *out = sdk_xmalloc(cap);
    z.next_in = (unsigned char *)b->data;
    z.avail_in = (uInt)b->len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || n >= b->len) {
        free(out);
        b->gz_failed = true;
        return false;
    }
    b->gz = sdk_xrealloc(out, n);
    b->gz_len = n;
    return true;
}

/* Whether an Accept-Encoding value allows gzip: a "gzip", "x-gzip" or "*" coding whose q is not
 * 0, unless gzip itself is listed with q=0 (RFC 9110 12.5.3). */
static bool accepts_gzip(const char *h) {
    int gzip = -1, star = -1; /* -1 not listed, 0 refused, 1 accepted */
    while (h && *h) {
        while (*h == ' ' || *h == '\t' || *h == ',') h++;
        const char *tok = h;
        while (*h && *h != ',' && *h != ';' && *h != ' ' && *h != '\t') h++;
        size_t tl = (size_t)(h - tok);
        bool q0 = false;
        while (*h && *h != ',') { /* parameters: only q matters */
            if (*h == ';') {
                h++;
                while (*h == ' ' || *h == '\t') h++;
                if ((h[0] == 'q' || h[0] == 'Q') && h[1] == '=') q0 = strtod(h + 2, NULL) <= 0.0;
            } else {
                h++;
            }
        }
        if (!tl) continue;
        int v = q0 ? 0 : 1;
        if ((tl == 4 && !strncasecmp(tok, "gzip", 4)) || (tl == 6 && !strncasecmp(tok, "x-gzip", 6))) gzip = v;
        else if (tl == 1 && *tok == '*') star = v;
    }
    return gzip == 1 || (gzip == -1 && star == 1);
}

bool sdk_http_req_accepts_gzip(const sdk_http_req *req) {
    return accepts_gzip(sdk_http_req_header(req, MHD_HTTP_HEADER_ACCEPT_ENCODING));
}

sdk_http_response *sdk_http_response_blob(const sdk_http_req *req, int status, const char *content_type,
                                          sdk_http_blob *b) {
    sdk_http_response *r = sdk_xcalloc(1, sizeof *r);
    r->status = status;
    r->content_type = sdk_xstrdup(content_type ? content_type : TEXT_PLAIN);
    r->blob = b;
    b->refs++;
    r->gzip = accepts_gzip(sdk_http_req_header(req, MHD_HTTP_HEADER_ACCEPT_ENCODING)) && blob_gzip(b);
    r->len = r->gzip ? b->gz_len : b->len;
    sdk_http_response_header(r, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (r->gzip) sdk_http_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    return r;
}

void sdk_http_response_free(sdk_http_response *r) {
    if (!r) return;
    sdk_http_blob_unref(r->blob);
    for (size_t i = 0; i < r->nh; i++) {
        free(r->hname[i]);
        free(r->hvalue[i]);
    }
    free(r->hname);
    free(r->hvalue);
    free(r->content_type);
    free(r->body);
    free(r);
}

char *sdk_json_pretty_new(const json_t *j) {
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (!s) abort(); /* only on out of memory for a valid value: crash-only, like sdk_xmalloc */
    return s;
}

/* Hands the response to MHD; consumes r. */
static enum MHD_Result queue_response(struct MHD_Connection *c, sdk_http_response *r) {
    struct MHD_Response *mr;
    if (r->blob) { /* no copy: MHD holds a reference until the response is gone */
        mr = MHD_create_response_from_buffer_with_free_callback_cls(
            r->len, r->gzip ? r->blob->gz : r->blob->data, blob_mhd_release, r->blob);
        if (mr) r->blob = NULL; /* the reference is MHD's now */
    } else {
        mr = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
        if (mr) r->body = NULL; /* MHD frees it */
    }
    if (!mr) {
        sdk_http_response_free(r);
        return MHD_NO;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    for (size_t i = 0; i < r->nh; i++) MHD_add_response_header(mr, r->hname[i], r->hvalue[i]);
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    sdk_http_response_free(r);
    return ok;
}

static enum MHD_Result queue_text(struct MHD_Connection *c, int status, const char *text) {
    return queue_response(c, sdk_http_response_new(status, TEXT_PLAIN, text, strlen(text)));
}

/* ---------------------------------------------------------------- loop glue */

static void mhd_run(sdk_http_server *s);
static void on_mhd_kick(sdk_loop *l, uint64_t id, void *ud);

static void on_mhd_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    sdk_http_server *s = ud;
    s->timer_id = 0;
    mhd_run(s);
}

static void on_mhd_fd(sdk_loop *l, int fd, int events, void *ud) {
    (void)l, (void)fd, (void)events;
    mhd_run(ud);
}

/* Runs MHD once and re-arms the timer from MHD_get_timeout, which is 0 when MHD has ready
 * connections left over (edge-triggered sockets it did not finish) or connections to resume. */
static void mhd_run(sdk_http_server *s) {
    /* A new epoch when anything else ran on the loop since the previous run (another callback,
     * or the loop's caller between iterations), which may have changed the service. Runs that
     * follow each other directly, as under a steady stream of GETs, share one: a cached plan
     * body is then served without re-checking its fingerprint (a pass over every step). Time
     * alone (a backoff delay ending) shows at the latest after the sweep timer's next second. */
    if (sdk_loop_dispatch_count(s->loop) != s->last_dispatch + 1) s->epoch++;
    s->conn_closed = false;
    MHD_run(s->d);
    s->last_dispatch = sdk_loop_dispatch_count(s->loop);
    /* At its connection limit libmicrohttpd takes the listening socket out of its epoll set and
     * puts it back only at the start of a later run: without one, a client waiting in the
     * backlog would wait for an unrelated event (up to the idle timeout) after a slot freed. */
    if (s->conn_closed && !s->kick_id && !s->closing) sdk_loop_timer_add(s->loop, 0, on_mhd_kick, s, &s->kick_id);
    if (s->timer_id) sdk_loop_timer_cancel(s->loop, s->timer_id);
    s->timer_id = 0;
    MHD_UNSIGNED_LONG_LONG to;
    if (MHD_get_timeout(s->d, &to) == MHD_YES)
        sdk_loop_timer_add(s->loop, (uint64_t)to, on_mhd_timer, s, &s->timer_id);
}

static void on_mhd_kick(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    sdk_http_server *s = ud;
    s->kick_id = 0;
    mhd_run(s);
}

/* MHD's messages while starting explain a failure (warn); later ones are mostly about clients
 * that went away (debug, so a misbehaving client cannot flood the log). */
static void mhd_logger(void *cls, const char *fmt, va_list ap) {
    const sdk_http_server *s = cls;
    char *msg = sdk_vasprintf_new(fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    sdk_log(s->d ? SDK_LOG_DEBUG : SDK_LOG_WARN, "http", "%s", msg);
    free(msg);
}

/* ---------------------------------------------------------------- requests */

/* In external polling mode MHD does not wake itself on a resume (its ITC is ignored): the
 * caller must run MHD again, which a 0 ms timer does once per iteration however many resume. */
static void req_resume(sdk_http_req *req) {
    if (!req->suspended) return;
    req->suspended = false;
    MHD_resume_connection(req->conn);
    sdk_http_server *s = req->s;
    if (!s->kick_id && !s->closing) sdk_loop_timer_add(s->loop, 0, on_mhd_kick, s, &s->kick_id);
}

static bool token_ok(const sdk_http_server *s, struct MHD_Connection *c) {
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h) return false;
    const char *given;
    if (strncasecmp(h, "Bearer ", 7) == 0) given = h + 7;
    else if (strncmp(h, "token=", 6) == 0) given = h + 6;
    else return false;
    while (*given == ' ') given++;
    size_t a = strlen(given), b = strlen(s->token);
    unsigned diff = (unsigned)(a != b);
    for (size_t i = 0; i < b; i++) diff |= (unsigned char)(given[i < a ? i : 0] ^ s->token[i]);
    return diff == 0;
}

/* ---------------------------------------------------------------- request hygiene */

/* Whether text (a Host value or an Origin's authority, port excluded) names this server; see
 * "Cross-site requests" in server.h for the rule and why ports are not compared. */
static bool host_allowed(const sdk_http_server *s, const char *host, size_t len) {
    if (!len || len > 255) return false;
    char h[256];
    memcpy(h, host, len);
    h[len] = 0;
    if (h[0] == '[') { /* an IPv6 literal */
        if (h[len - 1] != ']') return false;
        h[len - 1] = 0;
        struct in6_addr a6;
        if (inet_pton(AF_INET6, h + 1, &a6) != 1) return false;
        return IN6_IS_ADDR_LOOPBACK(&a6) || s->bind_addr.s_addr == htonl(INADDR_ANY);
    }
    if (!strcasecmp(h, "localhost")) return true;
    struct in_addr a4;
    if (inet_pton(AF_INET, h, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127 || s->bind_addr.s_addr == htonl(INADDR_ANY) ||
               a4.s_addr == s->bind_addr.s_addr;
    for (size_t i = 0; i < s->n_allowed_hosts; i++)
        if (!strcasecmp(h, s->allowed_hosts[i])) return true;
    return false;
}

/* The host part of "host", "host:port", "[v6]" or "[v6]:port": its length from the start. */
static size_t host_part_len(const char *hp) {
    if (hp[0] == '[') {
        const char *e = strchr(hp, ']');
        return e ? (size_t)(e - hp) + 1 : 0;
    }
    return strcspn(hp, ":");
}

static bool header_host_ok(const sdk_http_server *s, const char *hp) {
    size_t n = host_part_len(hp);
    const char *rest = hp + n;
    if (*rest == ':') { /* a port: digits only */
        rest++;
        if (!*rest || strspn(rest, "0123456789") != strlen(rest)) return false;
    } else if (*rest) {
        return false;
    }
    return host_allowed(s, hp, n);
}

/* Whether an Origin value names this server: scheme "://" host [":" port] and nothing after;
 * "null" (a sandboxed or file: page) and anything else are refused. */
static bool origin_ok(const sdk_http_server *s, const char *o) {
    const char *sep = strstr(o, "://");
    if (!sep) return false;
    return header_host_ok(s, sep + 3);
}

/* The media type of a Content-Type value (parameters and blanks cut): its start and length. */
static size_t media_type(const char **ct) {
    while (**ct == ' ' || **ct == '\t') (*ct)++;
    size_t n = strcspn(*ct, ";");
    while (n && ((*ct)[n - 1] == ' ' || (*ct)[n - 1] == '\t')) n--;
    return n;
}

/* application/json or application/<anything>+json, parameters (charset) allowed. */
static bool content_type_is_json(const char *ct) {
    size_t n = media_type(&ct);
    if (n == 16 && !strncasecmp(ct, "application/json", 16)) return true;
    return n > 17 && !strncasecmp(ct, "application/", 12) && !strncasecmp(ct + n - 5, "+json", 5);
}

/* The types a web page may send to another site without a CORS preflight (Fetch standard,
 * "CORS-safelisted request-header"): a request body of these may come from any page. */
static bool content_type_cross_site(const char *ct) {
    static const char *const safelisted[] = {"application/x-www-form-urlencoded", "multipart/form-data",
                                             "text/plain"};
    size_t n = media_type(&ct);
    for (size_t i = 0; i < sizeof safelisted / sizeof safelisted[0]; i++)
        if (n == strlen(safelisted[i]) && !strncasecmp(ct, safelisted[i], n)) return true;
    return false;
}

typedef struct header_scan {
    unsigned headers, content_lengths;
} header_scan;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind, (void)value;
    header_scan *h = cls;
    h->headers++;
    if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) h->content_lengths++;
    return MHD_YES;
}

static bool is_mutating(const char *method) {
    return !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "DELETE") ||
           !strcmp(method, "PATCH");
}

/* MHD_OPTION_URI_LOG_CALLBACK: runs when the request line has arrived, BEFORE libmicrohttpd
 * splits the query into its per-connection memory pool. libmicrohttpd 0.9.75 in external epoll
 * mode never sends the 431 it decides on when that pool overflows there (about 480 short
 * parameters with the default 32 KiB): the client hangs until the idle timeout. So an
 * over-long target or one with too many parameters has its query cut here, in place (uri is
 * libmicrohttpd's own writable read buffer, which it writes into itself right after this call),
 * and the request is refused at its first access call. The returned request becomes the
 * connection's request context (*con_cls). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    sdk_http_server *s = cls;
    sdk_http_req *req = sdk_xcalloc(1, sizeof *req);
    req->s = s;
    sdk_buf_init(&req->body);
    sdk_buf_init(&req->sbuf);
    req->next = s->reqs;
    if (s->reqs) s->reqs->prev = req;
    s->reqs = req;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    req->cr = ci ? ci->socket_context : NULL;
    char *q = strchr(uri, '?');
    if (strlen(uri) > s->max_uri) req->uri_too_long = true;
    else if (q) {
        unsigned params = 1;
        for (const char *p = q + 1; *p; p++) params += *p == '&' || *p == ';';
        if (params > s->max_query_params) req->too_many_params = true;
    }
    if (q && (req->uri_too_long || req->too_many_params)) q[1] = 0;
    return req;
}

/* MHD_OPTION_NOTIFY_CONNECTION: keeps s->conns, the connections the slow-request sweep checks. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
    sdk_http_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_rec *cr = sdk_xcalloc(1, sizeof *cr);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        cr->fd = ci ? ci->connect_fd : -1;
        cr->waiting_since = sdk_loop_now_ms(s->loop);
        cr->next = s->conns;
        if (s->conns) s->conns->prev = cr;
        s->conns = cr;
        *socket_context = cr;
        return;
    }
    conn_rec *cr = *socket_context;
    s->conn_closed = true;
    if (!cr) return;
    for (sdk_http_req *r = s->reqs; r; r = r->next) /* none should be left; never dangle */
        if (r->cr == cr) r->cr = NULL;
    if (cr->prev) cr->prev->next = cr->next;
    else s->conns = cr->next;
    if (cr->next) cr->next->prev = cr->prev;
    free(cr);
    *socket_context = NULL;
}

/* Every second: a connection that has waited longer than request_timeout_s for its request to
 * be complete (however slowly it keeps sending: the idle timeout does not catch a trickle) is
 * shut down; libmicrohttpd sees the socket end and closes it on the loop. A dispatched request
 * (handler running, deferred or streaming) is never cut. */
static void on_sweep(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    sdk_http_server *s = ud;
    uint64_t now = sdk_loop_now_ms(s->loop), limit = (uint64_t)s->request_timeout_s * 1000;
    for (conn_rec *cr = s->conns; cr; cr = cr->next) {
        if (cr->busy || cr->fd < 0 || now - cr->waiting_since < limit) continue;
        SDK_DEBUG("http", "closing a connection whose request did not arrive within %u s", s->request_timeout_s);
        shutdown(cr->fd, SHUT_RDWR);
        cr->fd = -1; /* once */
    }
}

static enum MHD_Result answer_early(sdk_http_req *req, int status, const char *text, const char *hname,
                                    const char *hvalue) {
    sdk_http_response *r = sdk_http_response_new(status, TEXT_PLAIN, text, strlen(text));
    if (hname) sdk_http_response_header(r, hname, hvalue);
    req->early_answered = true;
    req->state = RQ_SENT;
    return queue_response(req->conn, r);
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    sdk_http_req *req = cls;
    size_t avail = req->sbuf.len - req->soff;
    if (avail) {
        size_t n = avail < max ? avail : max;
        memcpy(buf, req->sbuf.data + req->soff, n);
        req->soff += n;
        if (req->soff == req->sbuf.len) {
            sdk_buf_reset(&req->sbuf);
            req->soff = 0;
        }
        return (ssize_t)n;
    }
    if (req->stream_ended) return MHD_CONTENT_READER_END_OF_STREAM;
    /* Nothing to send yet: park the connection until the next write or the end. */
    MHD_suspend_connection(req->conn);
    req->suspended = true;
    return 0;
}

/* Queues whatever answer the request has, or suspends it while deferred. */
static enum MHD_Result finish_or_park(sdk_http_req *req) {
    if (req->resp) {
        sdk_http_response *r = req->resp;
        req->resp = NULL;
        req->state = RQ_SENT;
        return queue_response(req->conn, r);
    }
    if (req->stream_started) {
        struct MHD_Response *mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_reader, req, NULL);
        if (!mr) return MHD_NO;
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, req->stream_ct);
        req->state = RQ_STREAMING;
        enum MHD_Result ok = MHD_queue_response(req->conn, (unsigned)req->stream_status, mr);
        MHD_destroy_response(mr);
        return ok;
    }
    if (req->state == RQ_DEFERRED) {
        MHD_suspend_connection(req->conn);
        req->suspended = true;
        return MHD_YES;
    }
    SDK_ERROR("http", "%s %s: the handler for %s neither answered nor deferred the request", req->method,
              req->path, req->match.pattern ? req->match.pattern : "?");
    req->state = RQ_SENT;
    return queue_text(req->conn, 500, "");
}

/* Routes req and runs its handler. Returns the framework's own answer (413, 404, 405), which the
 * handler never saw, or NULL when the handler ran (its answer, if any, is in req). Shared by MHD
 * requests and in-process ones, so both get the same answers. */
static sdk_http_response *route_and_handle(sdk_http_req *req) {
    sdk_http_server *s = req->s;
    if (req->cr) req->cr->busy = true; /* complete: the slow-request deadline no longer applies */
    if (req->too_big) {
        char msg[96];
        snprintf(msg, sizeof msg, "Request body is larger than the limit of %zu bytes", s->max_body);
        return sdk_http_response_new(413, TEXT_PLAIN, msg, strlen(msg));
    }
    /* an MHD request was routed by first_call; an in-process one (sdk_http_server_call_local) here */
    if (!req->match.status) sdk_router_match(s->router, req->method, req->path, &req->match);
    if (req->match.status == 404) return sdk_http_response_new(404, TEXT_PLAIN, "Not found", 9);
    if (req->match.status == 405) {
        sdk_http_response *r = sdk_http_response_new(405, TEXT_PLAIN, "Method not allowed", 18);
        sdk_http_response_header(r, MHD_HTTP_HEADER_ALLOW, req->match.allow);
        return r;
    }
    route_entry *re = req->match.target;
    req->state = RQ_HANDLING;
    re->h(req, re->ud);
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) s->epoch++; /* it may have changed state */
    return NULL;
}

static enum MHD_Result dispatch(sdk_http_req *req) {
    sdk_http_response *r = route_and_handle(req);
    if (r) {
        req->state = RQ_SENT;
        return queue_response(req->conn, r);
    }
    return finish_or_park(req);
}

/* The checks of a request's first access call (headers complete, body not read yet), in the
 * order of server.h's "Request hygiene": an answer here is final and no handler runs. */
static enum MHD_Result first_call(sdk_http_req *req, const char *version) {
    sdk_http_server *s = req->s;
    struct MHD_Connection *c = req->conn;
    char msg[512];
    if (s->closing) return answer_early(req, 503, "Server is shutting down", NULL, NULL);
    header_scan hs = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &hs);
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (hs.content_lengths > 1 || (hs.content_lengths && te))
        return answer_early(req, 400,
                            "Bad request: more than one Content-Length, or Content-Length with "
                            "Transfer-Encoding; the message framing is ambiguous",
                            MHD_HTTP_HEADER_CONNECTION, "close");
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host && version && !strcmp(version, MHD_HTTP_VERSION_1_1))
        return answer_early(req, 400, "Bad request: an HTTP/1.1 request needs a Host header",
                            MHD_HTTP_HEADER_CONNECTION, "close");
    if (req->uri_too_long) {
        snprintf(msg, sizeof msg, "URI too long: the request target is longer than the limit of %zu bytes",
                 s->max_uri);
        return answer_early(req, 414, msg, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    if (req->too_many_params) {
        snprintf(msg, sizeof msg, "Bad request: more than %u query parameters", s->max_query_params);
        return answer_early(req, 400, msg, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    if (hs.headers > s->max_headers) {
        snprintf(msg, sizeof msg, "Request header fields too large: %u header lines, the limit is %u", hs.headers,
                 s->max_headers);
        return answer_early(req, 431, msg, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    if (host && !header_host_ok(s, host)) {
        snprintf(msg, sizeof msg,
                 "Misdirected request: Host '%.100s' is not a name of this server, so the request is refused "
                 "(protection against DNS rebinding). Use localhost or an IP address, or start the scheduler "
                 "with --api-host NAME to accept that name",
                 host);
        return answer_early(req, 421, msg, NULL, NULL);
    }
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (origin && !origin_ok(s, origin)) {
        snprintf(msg, sizeof msg,
                 "Forbidden: a cross-site request from Origin '%.100s' is refused; the REST API serves its "
                 "own clients (sdkctl, curl, the dcos CLI), not web pages of other sites",
                 origin);
        return answer_early(req, 403, msg, NULL, NULL);
    }
    bool open = s->open_path && (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")) && s->open_path(req->path);
    if (s->token && !open && !token_ok(s, c))
        return answer_early(req, 401, "Unauthorized", MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    /* routed here, once: the route decides which bodies it takes */
    sdk_router_match(s->router, req->method, req->path, &req->match);
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (is_mutating(req->method)) {
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        const route_entry *re = req->match.status == 200 ? req->match.target : NULL;
        bool raw_ok = re && (re->flags & SDK_HTTP_ROUTE_RAW_BODY);
        /* Only a body is judged: "curl -d ''" labels an empty one as a form, and a cross-site
         * page sending none is refused by the Origin check above. */
        bool body = te || (cl && strtoull(cl, NULL, 10) > 0);
        /* POST is the one mutating method a page may send cross-site without a preflight */
        bool page_sendable = !strcmp(req->method, "POST") && ct && content_type_cross_site(ct);
        if (body && (!ct || page_sendable || (!raw_ok && !content_type_is_json(ct)))) {
            snprintf(msg, sizeof msg,
                     raw_ok ? "Unsupported media type: %s %s takes a body of a type web pages cannot send "
                              "cross-site, e.g. 'Content-Type: application/octet-stream' or "
                              "'Content-Type: application/json' (got %.100s)"
                            : "Unsupported media type: %s %s takes a JSON body or none; send it with "
                              "'Content-Type: application/json' (got %.100s)",
                     req->method, req->path, ct ? ct : "no Content-Type");
            return answer_early(req, 415, msg, NULL, NULL);
        }
    }
    if (cl && strtoull(cl, NULL, 10) > s->max_body) {
        snprintf(msg, sizeof msg, "Request body is larger than the limit of %zu bytes", s->max_body);
        return answer_early(req, 413, msg, NULL, NULL);
    }
    return MHD_YES;
}

/* Frees a request that is no longer on the server's list. */
static void req_free(sdk_http_req *req) {
    sdk_http_response_free(req->resp);
    sdk_route_match_clear(&req->match);
    sdk_buf_free(&req->body);
    sdk_buf_free(&req->sbuf);
    free(req->stream_ct);
    free(req);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                 const char *version, const char *upload_data, size_t *upload_data_size,
                                 void **con_cls) {
    sdk_http_server *s = cls;
    sdk_http_req *req = *con_cls;
    /* on_uri made the request; should a libmicrohttpd skip that callback, it is made here */
    if (!req) *con_cls = req = on_uri(s, url, c);
    if (!req->conn) {
        req->conn = c;
        req->method = method;
        req->path = url;
        return first_call(req, version);
    }
    if (req->early_answered) { /* body of a refused request: drop it */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!req->too_big && req->body.len + *upload_data_size <= s->max_body)
            sdk_buf_append(&req->body, upload_data, *upload_data_size);
        else {
            req->too_big = true;
            sdk_buf_free(&req->body);
            sdk_buf_init(&req->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->state == RQ_RECEIVING) return dispatch(req);
    if (s->closing && !req->resp && !req->stream_started) {
        req->state = RQ_SENT;
        return queue_text(c, 503, "Server is shutting down");
    }
    return finish_or_park(req); /* resumed after a deferred answer */
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)c;
    sdk_http_server *s = cls;
    sdk_http_req *req = *con_cls;
    if (!req) return;
    *con_cls = NULL;
    if (req->cr) { /* the connection waits for its next request from now */
        req->cr->busy = false;
        req->cr->waiting_since = sdk_loop_now_ms(s->loop);
    }
    bool unfinished = req->state == RQ_DEFERRED || (req->state == RQ_STREAMING && !req->stream_ended) ||
                      (req->stream_started && !req->stream_ended);
    if (unfinished) {
        SDK_DEBUG("http", "%s %s ended before its answer (code %d)", req->method, req->path, (int)toe);
        if (req->close_cb) req->close_cb(req, req->close_ud);
    }
    if (req->prev) req->prev->next = req->next;
    else s->reqs = req->next;
    if (req->next) req->next->prev = req->prev;
    req_free(req);
}

/* ---------------------------------------------------------------- public request API */

const char *sdk_http_req_method(const sdk_http_req *req) { return req->method; }
const char *sdk_http_req_path(const sdk_http_req *req) { return req->path; }
const char *sdk_http_req_pattern(const sdk_http_req *req) { return req->match.pattern; }

const char *sdk_http_req_param(const sdk_http_req *req, const char *name) {
    return sdk_route_match_param(&req->match, name);
}

const char *sdk_http_req_query(const sdk_http_req *req, const char *name) {
    if (!req->conn) { /* in-process: the first argument of that name, as MHD answers */
        for (size_t i = 0; i < req->n_lq; i++)
            if (!strcmp(req->lq[i].key, name)) return req->lq[i].value ? req->lq[i].value : "";
        return NULL;
    }
    const char *v = NULL;
    size_t vlen = 0;
    if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &v, &vlen) != MHD_YES)
        return NULL;
    return v ? v : "";
}

typedef struct qcollect {
    sdk_kv *v;
    size_t n, cap;
} qcollect;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    qcollect *q = cls;
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 8;
        q->v = sdk_xrealloc(q->v, q->cap * sizeof *q->v);
    }
    q->v[q->n].key = (char *)key;
    q->v[q->n++].value = (char *)(value ? value : "");
    return MHD_YES;
}

size_t sdk_http_req_query_all(const sdk_http_req *req, sdk_kv **out) {
    qcollect q = {0};
    if (!req->conn) {
        for (size_t i = 0; i < req->n_lq; i++)
            collect_arg(&q, MHD_GET_ARGUMENT_KIND, req->lq[i].key, req->lq[i].value);
        *out = q.v;
        return q.n;
    }
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
    *out = q.v;
    return q.n;
}

const char *sdk_http_req_header(const sdk_http_req *req, const char *name) {
    if (!req->conn) return NULL; /* in-process requests have no headers */
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *sdk_http_req_body(const sdk_http_req *req, size_t *len) {
    if (len) *len = req->body.len;
    return req->body.data ? req->body.data : "";
}

static bool answerable(const sdk_http_req *req) {
    return (req->state == RQ_HANDLING || req->state == RQ_DEFERRED) && !req->resp && !req->stream_started;
}

int sdk_http_respond(sdk_http_req *req, sdk_http_response *resp) {
    if (!answerable(req)) {
        sdk_http_response_free(resp);
        return SDK_ESTATE;
    }
    req->resp = resp;
    /* Answered: whoever deferred it must not hear about the connection closing later. */
    req->close_cb = NULL;
    req_resume(req);
    return 0;
}

int sdk_http_respond_text(sdk_http_req *req, int status, const char *text) {
    return sdk_http_respond(req, sdk_http_response_new(status, TEXT_PLAIN, text, strlen(text)));
}

int sdk_http_respond_json(sdk_http_req *req, int status, const json_t *j) {
    char *s = sdk_json_pretty_new(j);
    size_t n = strlen(s);
    char *body = sdk_xrealloc(s, n + 2);
    body[n] = '\n';
    body[n + 1] = 0;
    return sdk_http_respond(req, sdk_http_response_take(status, "application/json", body, n + 1));
}

int sdk_http_defer(sdk_http_req *req) {
    if (req->state != RQ_HANDLING) return SDK_ESTATE;
    if (req->resp || req->stream_started) return 0; /* already answered inside the handler: nothing to wait for */
    req->state = RQ_DEFERRED;
    return 0;
}

void sdk_http_req_on_close(sdk_http_req *req, sdk_http_close_cb cb, void *ud) {
    req->close_cb = cb;
    req->close_ud = ud;
}

int sdk_http_stream_start(sdk_http_req *req, int status, const char *content_type) {
    if (!answerable(req)) return SDK_ESTATE;
    req->stream_started = true;
    req->stream_status = status;
    req->stream_ct = sdk_xstrdup(content_type ? content_type : TEXT_PLAIN);
    req_resume(req);
    return 0;
}

int sdk_http_stream_write(sdk_http_req *req, const void *data, size_t len) {
    if (!req->stream_started || req->stream_ended) return SDK_ESTATE;
    if (len == 0) return 0;
    sdk_buf_append(&req->sbuf, data, len);
    if (req->state == RQ_STREAMING) req_resume(req);
    return 0;
}

size_t sdk_http_stream_pending(const sdk_http_req *req) { return req->sbuf.len - req->soff; }

int sdk_http_stream_end(sdk_http_req *req) {
    if (!req->stream_started || req->stream_ended) return SDK_ESTATE;
    req->stream_ended = true;
    if (req->state == RQ_STREAMING) req_resume(req);
    return 0;
}

/* ---------------------------------------------------------------- server */

int sdk_http_tls_supported(void) {
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

static int parse_bind(const char *bind, struct sockaddr_in *sa, sdk_errors *errs) {
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    const char *colon = strrchr(bind, ':');
    if (!colon) {
        sdk_errors_addf(errs, "bind address '%s': expected HOST:PORT, e.g. 127.0.0.1:8080", bind);
        return SDK_EINVAL;
    }
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (colon[1] == 0 || *end || port > 65535) {
        sdk_errors_addf(errs, "bind address '%s': port must be a number from 0 to 65535", bind);
        return SDK_EINVAL;
    }
    sa->sin_port = htons((uint16_t)port);
    char *host = sdk_xstrndup(bind, (size_t)(colon - bind));
    int rc = 0;
    if (strcmp(host, "*") == 0 || strcmp(host, "") == 0) sa->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0) sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        sdk_errors_addf(errs, "bind address '%s': host '%s' must be an IPv4 address, localhost or *", bind, host);
        rc = SDK_EINVAL;
    }
    free(host);
    return rc;
}

int sdk_http_bind_check(const char *bind, bool has_token, bool insecure, sdk_errors *errs) {
    struct sockaddr_in sa;
    int rc = parse_bind(bind, &sa, errs);
    if (rc) return rc;
    if ((ntohl(sa.sin_addr.s_addr) >> 24) == 127 || has_token || insecure) return 0;
    sdk_errors_addf(errs,
                    "--api %s listens beyond loopback, where anyone who reaches the address may change or "
                    "uninstall the service: give a token with --api-token FILE, or accept that with "
                    "--insecure-api (see docs/security.md)",
                    bind);
    return SDK_EINVAL;
}

/* Our own host name, accepted in Host and Origin when listening beyond loopback: the name
 * clients on other machines most likely use. */
static void add_allowed_host(sdk_http_server *s, const char *name) {
    s->allowed_hosts = sdk_xrealloc(s->allowed_hosts, (s->n_allowed_hosts + 1) * sizeof *s->allowed_hosts);
    s->allowed_hosts[s->n_allowed_hosts++] = sdk_xstrdup(name);
}

static void server_free_fields(sdk_http_server *s) {
    sdk_router_free(s->router);
    for (size_t i = 0; i < s->n_allowed_hosts; i++) free(s->allowed_hosts[i]);
    free(s->allowed_hosts);
    free(s->tls_cert);
    free(s->tls_key);
    free(s->token);
    free(s);
}

int sdk_http_server_new(sdk_loop *loop, const sdk_http_server_opts *opts, sdk_errors *errs, sdk_http_server **out) {
    static const sdk_http_server_opts defaults = {0};
    if (!opts) opts = &defaults;
    const char *bind = opts->bind ? opts->bind : "127.0.0.1:0";
    struct sockaddr_in sa;
    int rc = sdk_http_bind_check(bind, opts->token != NULL, opts->insecure, errs);
    if (rc) return rc;
    parse_bind(bind, &sa, errs);
    if (!opts->tls_cert_file != !opts->tls_key_file) {
        sdk_errors_addf(errs, "TLS needs both a certificate and a key file (got only the %s)",
                        opts->tls_cert_file ? "certificate" : "key");
        return SDK_EINVAL;
    }
    bool tls = opts->tls_cert_file != NULL;
    if (tls && !sdk_http_tls_supported()) {
        sdk_errors_addf(errs, "TLS asked for (%s) but libmicrohttpd was built without TLS support", opts->tls_cert_file);
        return SDK_ESTATE;
    }
    sdk_http_server *s = sdk_xcalloc(1, sizeof *s);
    s->loop = loop;
    s->max_body = opts->max_body ? opts->max_body : DEFAULT_MAX_BODY;
    s->max_uri = opts->max_uri ? opts->max_uri : DEFAULT_MAX_URI;
    s->max_headers = opts->max_headers ? opts->max_headers : DEFAULT_MAX_HEADERS;
    s->max_query_params = opts->max_query_params ? opts->max_query_params : DEFAULT_MAX_QUERY_PARAMS;
    s->request_timeout_s = opts->request_timeout_s ? opts->request_timeout_s : DEFAULT_REQUEST_TIMEOUT_S;
    s->bind_addr = sa.sin_addr;
    for (const char *const *h = opts->allowed_hosts; h && *h; h++) add_allowed_host(s, *h);
    if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
        char hn[256] = "";
        if (gethostname(hn, sizeof hn - 1) == 0 && hn[0]) add_allowed_host(s, hn);
    }
    s->token = sdk_xstrdup(opts->token);
    s->open_path = opts->open_path;
    sdk_router_new(&s->router);
    if (tls) {
        size_t len;
        if (sdk_read_file_new(opts->tls_cert_file, &s->tls_cert, &len) != 0) {
            sdk_errors_addf(errs, "TLS certificate %s: cannot read it", opts->tls_cert_file);
            rc = SDK_EIO;
            goto fail;
        }
        if (sdk_read_file_new(opts->tls_key_file, &s->tls_key, &len) != 0) {
            sdk_errors_addf(errs, "TLS key %s: cannot read it", opts->tls_key_file);
            rc = SDK_EIO;
            goto fail;
        }
    }
    struct MHD_OptionItem o[20];
    int n = 0;
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_logger, s}; /* first, per MHD */
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, s};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT,
                                     opts->conn_timeout_s ? opts->conn_timeout_s : DEFAULT_CONN_TIMEOUT_S, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                     opts->max_connections ? opts->max_connections : DEFAULT_MAX_CONNECTIONS, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                     opts->max_per_ip ? opts->max_per_ip : DEFAULT_MAX_PER_IP, NULL};
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                     (intptr_t)(opts->max_header_bytes ? opts->max_header_bytes
                                                                       : DEFAULT_MAX_HEADER_BYTES), NULL};
    /* Not MHD_OPTION_STRICT_FOR_CLIENT: 0.9.75's strict mode answers a missing Host itself with
     * its response sent twice; first_call refuses that, framing errors and the rest with one
     * clear answer. */
    if (tls) {
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert};
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key};
    }
    o[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0);
    s->d = MHD_start_daemon(flags, ntohs(sa.sin_port), NULL, NULL, on_access, s, MHD_OPTION_ARRAY, o, MHD_OPTION_END);
    if (!s->d) {
        sdk_errors_addf(errs, "HTTP server on %s: cannot start (port in use, or a bad TLS certificate/key?)", bind);
        rc = SDK_EIO;
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(sa.sin_port);
    info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
    s->epfd = info ? info->epoll_fd : -1;
    if (s->epfd < 0 || sdk_loop_watch_fd(loop, s->epfd, SDK_LOOP_READ, on_mhd_fd, s) != 0) {
        sdk_errors_addf(errs, "HTTP server on %s: cannot watch libmicrohttpd's epoll fd", bind);
        rc = SDK_EIO;
        goto fail_daemon;
    }
    mhd_run(s); /* arms the first timer */
    sdk_loop_timer_every(loop, 1000, on_sweep, s, &s->sweep_id);
    SDK_INFO("http", "listening on %s:%u%s", inet_ntoa(sa.sin_addr), s->port,
             tls ? " (TLS)" : "");
    *out = s;
    return 0;
fail_daemon:
    MHD_stop_daemon(s->d);
fail:
    server_free_fields(s);
    return rc;
}

uint16_t sdk_http_server_port(const sdk_http_server *s) { return s->port; }

int sdk_http_server_call_local(sdk_http_server *s, const char *method, const char *path, const sdk_kv *query,
                               size_t n_query, const void *body, size_t len, int *status, char **resp_body,
                               size_t *resp_len) {
    /* Called from some other callback (or between iterations): the service may have changed
     * since the last MHD_run, so cached bodies are re-checked. */
    if (sdk_loop_dispatch_count(s->loop) != s->last_dispatch) s->epoch++;
    sdk_http_req *req = sdk_xcalloc(1, sizeof *req);
    req->s = s;
    req->method = method;
    req->path = path;
    req->lq = query;
    req->n_lq = n_query;
    sdk_buf_init(&req->body);
    sdk_buf_init(&req->sbuf);
    if (len > s->max_body) req->too_big = true;
    else if (len) sdk_buf_append(&req->body, body, len);
    int rc = 0;
    sdk_http_response *r = route_and_handle(req);
    if (!r) r = req->resp, req->resp = NULL;
    sdk_buf out;
    sdk_buf_init(&out);
    if (r) {
        *status = r->status;
        if (r->blob) sdk_buf_append(&out, r->gzip ? r->blob->gz : r->blob->data, r->len);
        else sdk_buf_append(&out, r->body, r->len);
        sdk_http_response_free(r);
    } else if (req->stream_started) {
        *status = req->stream_status;
        sdk_buf_append(&out, req->sbuf.data, req->sbuf.len);
    } else if (req->state == RQ_DEFERRED) {
        *status = 0;
        rc = SDK_ESTATE;
    } else {
        SDK_ERROR("http", "%s %s: the handler for %s neither answered nor deferred the request", method, path,
                  req->match.pattern ? req->match.pattern : "?");
        *status = 500;
    }
    /* An unfinished answer is abandoned as when a client goes away (on_completed). */
    bool unfinished = req->state == RQ_DEFERRED || (req->stream_started && !req->stream_ended);
    if (unfinished && req->close_cb) req->close_cb(req, req->close_ud);
    req_free(req);
    if (resp_len) *resp_len = out.len;
    if (resp_body) *resp_body = sdk_buf_take(&out);
    else sdk_buf_free(&out);
    return rc;
}
uint64_t sdk_http_server_epoch(const sdk_http_server *s) { return s->epoch; }

int sdk_http_server_route(sdk_http_server *s, const char *method, const char *pattern, sdk_http_handler h,
                          void *ud, sdk_errors *errs) {
    return sdk_http_server_route_flags(s, method, pattern, h, ud, 0, errs);
}

int sdk_http_server_route_flags(sdk_http_server *s, const char *method, const char *pattern, sdk_http_handler h,
                                void *ud, unsigned flags, sdk_errors *errs) {
    if (!h) {
        sdk_errors_addf(errs, "route %s %s: no handler", method ? method : "(null)", pattern ? pattern : "(null)");
        return SDK_EINVAL;
    }
    route_entry *re = sdk_xcalloc(1, sizeof *re);
    re->h = h;
    re->ud = ud;
    re->flags = flags;
    int rc = sdk_router_add(s->router, method, pattern, re, errs);
    if (rc) {
        free(re);
        return rc;
    }
    re->next = s->routes;
    s->routes = re;
    return 0;
}

void sdk_http_server_free(sdk_http_server *s) {
    if (!s) return;
    s->closing = true;
    /* MHD must not be stopped with suspended connections: wake them all; stop closes them and
     * on_completed reports the unfinished ones to their owners. */
    for (sdk_http_req *r = s->reqs; r; r = r->next) req_resume(r);
    sdk_loop_unwatch_fd(s->loop, s->epfd);
    if (s->timer_id) sdk_loop_timer_cancel(s->loop, s->timer_id);
    if (s->kick_id) sdk_loop_timer_cancel(s->loop, s->kick_id);
    if (s->sweep_id) sdk_loop_timer_cancel(s->loop, s->sweep_id);
    MHD_stop_daemon(s->d);
    for (route_entry *re = s->routes, *n; re; re = n) {
        n = re->next;
        free(re);
    }
    server_free_fields(s);
}
