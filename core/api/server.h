/* HTTP server framework on libmicrohttpd, driven by the scheduler's event loop.
 *
 * MHD runs in external-epoll mode (MHD_USE_EPOLL without an internal thread): its epoll fd is a
 * read watcher on sdk_loop and its timeout a loop timer, so no thread per connection exists and a
 * slow client never blocks the loop. Every handler runs on the loop thread.
 *
 * A handler receives a request and answers it with sdk_http_respond* or sdk_http_stream_*,
 * either before returning or LATER: a handler that calls sdk_http_defer(req) and returns without
 * an answer leaves the connection suspended (MHD_suspend_connection) until a later respond from
 * the loop thread (a timer, a command completion, a posted closure) resumes it. A handler that
 * returns with neither an answer nor a defer gets a 500 and an error in the log.
 *
 * Framework answers, all text/plain: unknown path 404, known path with another method 405 with
 * an Allow header, body over max_body 413, missing or wrong token (when one is configured) 401
 * with WWW-Authenticate. Bad JSON bodies are the handler's business.
 *
 * Request hygiene, before any handler runs (docs/security.md has the threat model):
 *  - limits (sdk_http_server_opts): request target over max_uri 414, more than max_query_params
 *    query parameters 400, request line and headers over max_header_bytes or more than
 *    max_headers header lines 431, all answered at once and the connection closed; idle and slow
 *    connections are closed after conn_timeout_s / request_timeout_s; max_connections in total and
 *    max_per_ip per client address.
 *  - framing: two Content-Length headers, or Content-Length with Transfer-Encoding, 400 and the
 *    connection closed (request smuggling); an HTTP/1.1 request without Host 400.
 *  - cross-site requests: the Host header must name this server (421 otherwise, which defeats
 *    DNS rebinding) and an Origin header, when present, too (403): loopback names and addresses
 *    (localhost, 127.0.0.0/8, ::1), the bound address, any IP literal when bound to every
 *    address (a rebinding attack needs a DNS name), and opts->allowed_hosts. Ports are not
 *    compared (a rebinding page uses the server's own port anyway).
 *  - POST, PUT, DELETE and PATCH with a body (not empty) need a JSON Content-Type
 *    (application/json or application/<x>+json), else 415: a browser cannot send that
 *    cross-site without a CORS preflight, which this server never grants. Requests without a
 *    body (the dcos CLI's plan stop/continue, pod restart) need none. A route added with
 *    SDK_HTTP_ROUTE_RAW_BODY takes other types too, except, on a POST, the ones a page may send
 *    cross-site without a preflight (text/plain, application/x-www-form-urlencoded,
 *    multipart/form-data); PUT, DELETE and PATCH always need a preflight, so a route of those
 *    may take a multipart upload (PUT /v1/state/files/{name}, as upstream's curl -F).
 */
#ifndef SDK_API_SERVER_H
#define SDK_API_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include "core/spec/spec.h" /* sdk_kv */
#include <stdint.h>

#include <jansson.h>

#include "core/loop/loop.h"
#include "core/util/err.h"

typedef struct sdk_http_server sdk_http_server;
typedef struct sdk_http_req sdk_http_req;
typedef struct sdk_http_response sdk_http_response;
typedef struct sdk_http_blob sdk_http_blob;

typedef struct sdk_http_server_opts {
    const char *bind;         /* "HOST:PORT", IPv4 host or "*"; NULL = "127.0.0.1:0"; port 0 = any free */
    size_t max_body;          /* request body limit in bytes; 0 = 1 MiB (413) */
    const char *token;        /* non-NULL: require "Authorization: Bearer <token>" or "token=<token>" */
    const char *tls_cert_file, *tls_key_file; /* both set: HTTPS (PEM files); both NULL: HTTP */
    /* Listening on a non-loopback address needs a token or this explicit choice (see
     * sdk_http_bind_check): without either, sdk_http_server_new refuses with SDK_EINVAL. */
    bool insecure;
    /* Host names (besides loopback names and IP literals, see "Cross-site requests" below) that
     * the Host and Origin headers may carry: the names clients use to reach a non-loopback
     * listener. NULL-terminated; copied. NULL = none. */
    const char *const *allowed_hosts;
    /* ---- limits; 0 = the default in brackets ---- */
    unsigned conn_timeout_s;  /* a connection idle (no byte either way) this long is closed [30] */
    /* a connection whose request (line, headers and body) has not all arrived this long after
     * the connection opened or its previous request ended is closed, however slowly the client
     * keeps sending (slowloris) [30] */
    unsigned request_timeout_s;
    unsigned max_connections; /* open connections in total; further ones wait in the backlog [1000] */
    unsigned max_per_ip;      /* open connections from one client address; further ones closed [256] */
    size_t max_header_bytes;  /* request line + headers, per connection (MHD's memory pool) [32 KiB] (431) */
    unsigned max_headers;     /* header lines per request [64] (431) */
    size_t max_uri;           /* request target (path and query) in bytes [8 KiB] (414) */
    unsigned max_query_params; /* query parameters per request [64] (400) */
    /* GET/HEAD paths served without the token (pages that hold no data, such as the web
     * console's files, which then ask for the token themselves); NULL: none. */
    bool (*open_path)(const char *path);
} sdk_http_server_opts;

/* Handler for a route. Runs on the loop thread; must answer, defer, or stream (see above). */
typedef void (*sdk_http_handler)(sdk_http_req *req, void *ud);
/* Called at most once, when a deferred or streaming request dies before its answer/stream end
 * (client gone while streaming, server freed). After it returns req is invalid. */
typedef void (*sdk_http_close_cb)(sdk_http_req *req, void *ud);

/* Whether bind may be served with this protection: a non-loopback address (0.0.0.0, "*", any
 * other interface) needs a token or insecure. Returns 0, or SDK_EINVAL with a message in errs
 * that names the address and both ways out; a malformed bind is SDK_EINVAL too. */
int sdk_http_bind_check(const char *bind, bool has_token, bool insecure, sdk_errors *errs);

/* Starts listening (the loop serves connections once it runs). Errors name what was wrong in errs:
 * SDK_EINVAL (bad bind address, only one of cert/key), SDK_EIO (unreadable cert/key, port in use,
 * MHD failed), SDK_ESTATE (TLS asked for but libmicrohttpd was built without it). */
int sdk_http_server_new(sdk_loop *loop, const sdk_http_server_opts *opts, sdk_errors *errs, sdk_http_server **out);
/* Stops listening and closes every connection. Deferred/streaming requests that were never
 * finished get their close callback. Not callable from inside a handler. NULL is a no-op. */
void sdk_http_server_free(sdk_http_server *s);
/* The bound TCP port (useful with port 0). */
uint16_t sdk_http_server_port(const sdk_http_server *s);
/* A number that stays the same while only GET/HEAD handlers run: it changes before a batch of
 * requests when anything else ran on the loop since the previous batch (another callback, or the
 * loop's caller between iterations; see sdk_loop_dispatch_count), and after every request with
 * another method. A GET handler may reuse what it derived from service
 * state under the same epoch (GET handlers, plugin routes included, must not change state). */
uint64_t sdk_http_server_epoch(const sdk_http_server *s);
/* True when TLS support is compiled into libmicrohttpd. */
int sdk_http_tls_supported(void);
/* Adds a route (see core/api/router.h for patterns and precedence). ud is passed to h; the server
 * never frees it. Returns 0, SDK_EINVAL (bad pattern/method) or SDK_EEXIST, with a message in errs. */
int sdk_http_server_route(sdk_http_server *s, const char *method, const char *pattern, sdk_http_handler h,
                          void *ud, sdk_errors *errs);
/* Route flags: bodies of any type a browser cannot send cross-site unasked (a plugin's raw
 * upload, e.g. HDFS's journal VERSION file as application/octet-stream), not only JSON. */
#define SDK_HTTP_ROUTE_RAW_BODY 1u
/* sdk_http_server_route with flags (0: the same). */
int sdk_http_server_route_flags(sdk_http_server *s, const char *method, const char *pattern, sdk_http_handler h,
                                void *ud, unsigned flags, sdk_errors *errs);

/* Runs the request `method` `path` (percent-decoded, no query string) with query arguments
 * query[0..n_query) (borrowed; NULL values read as "") and `body` in process, on the calling
 * thread (the loop thread), without a connection: for tests and fuzzing. It has no headers (so
 * no token check, no gzip) and otherwise gets the answers a client would: 413 over max_body,
 * 404, 405, or the handler's. Returns 0 with *status and, when asked, *resp_body (new, NUL-
 * terminated, free()) and *resp_len; a handler that defers gets SDK_ESTATE (*status 0): the
 * request is abandoned at once, as when a client goes away (its close callback runs). */
int sdk_http_server_call_local(sdk_http_server *s, const char *method, const char *path, const sdk_kv *query,
                               size_t n_query, const void *body, size_t len, int *status, char **resp_body,
                               size_t *resp_len);

/* ---- request accessors: strings are owned by the request and valid until it is answered ---- */
const char *sdk_http_req_method(const sdk_http_req *req);
const char *sdk_http_req_path(const sdk_http_req *req);       /* percent-decoded, without the query */
const char *sdk_http_req_pattern(const sdk_http_req *req);    /* the route pattern that matched */
const char *sdk_http_req_param(const sdk_http_req *req, const char *name);  /* {name} value or NULL */
const char *sdk_http_req_query(const sdk_http_req *req, const char *name);  /* decoded query arg or NULL;
                                                                               "?a" gives "" */
/* Every query argument in order (URL-decoded; a key without '=' has value ""). *out is a new
 * array of borrowed strings, valid while req is (free() the array only). Returns the count. */
size_t sdk_http_req_query_all(const sdk_http_req *req, sdk_kv **out);
const char *sdk_http_req_header(const sdk_http_req *req, const char *name); /* case-insensitive or NULL */
/* Whether the request's Accept-Encoding allows a gzip body (RFC 9110 12.5.3). */
bool sdk_http_req_accepts_gzip(const sdk_http_req *req);
/* The full body, NUL-terminated (a body containing NUL bytes needs *len). Never NULL. */
const char *sdk_http_req_body(const sdk_http_req *req, size_t *len);

/* ---- responses ---- */
/* A response: status, content type, body (copied), extra headers. NULL content_type means
 * "text/plain; charset=utf-8". */
sdk_http_response *sdk_http_response_new(int status, const char *content_type, const void *body, size_t len);
/* Like sdk_http_response_new but takes ownership of body (malloc'd). */
sdk_http_response *sdk_http_response_take(int status, const char *content_type, char *body, size_t len);
/* Adds an extra header (copied). Returns 0 or SDK_EINVAL (name/value with CR/LF, empty name). */
int sdk_http_response_header(sdk_http_response *r, const char *name, const char *value);
void sdk_http_response_free(sdk_http_response *r);
/* A shared, immutable response body for answers that many requests repeat (a cached plan):
 * responses carry a reference instead of a copy, so the body may be replaced while earlier
 * answers are still being sent. sdk_http_blob_take takes ownership of body (malloc'd) and
 * returns the owner's reference; sdk_http_blob_unref drops one (NULL is a no-op). Loop thread
 * only. */
sdk_http_blob *sdk_http_blob_take(char *body, size_t len);
void sdk_http_blob_unref(sdk_http_blob *b);
/* A response carrying b (it takes its own reference) with "Vary: Accept-Encoding". When req's
 * Accept-Encoding allows gzip and b is at least 1 KiB, the body is b's gzip copy, compressed
 * once on first demand and kept with b, with "Content-Encoding: gzip"; otherwise b as it is. */
sdk_http_response *sdk_http_response_blob(const sdk_http_req *req, int status, const char *content_type,
                                          sdk_http_blob *b);

/* Answers req with resp, taking ownership of resp in every case. Callable from the handler or
 * later on the loop thread (for a deferred request). Returns 0, or SDK_ESTATE if req was already
 * answered or is streaming. After it returns 0 the caller must forget req. */
int sdk_http_respond(sdk_http_req *req, sdk_http_response *resp);
/* Plain-text answer (text/plain; charset=utf-8). */
int sdk_http_respond_text(sdk_http_req *req, int status, const char *text);
/* JSON answer, pretty-printed with 2-space indent and a trailing newline; j is borrowed. */
int sdk_http_respond_json(sdk_http_req *req, int status, const json_t *j);
/* Renders j as the API does (2-space indent, keys in insertion order, no trailing newline).
 * Returns a malloc'd string; never NULL for a valid json_t. */
char *sdk_json_pretty_new(const json_t *j);

/* Marks req as answered later. Must be called from its handler. Use sdk_http_req_on_close to
 * learn if the request dies first. Returns 0 or SDK_ESTATE (already answered). */
int sdk_http_defer(sdk_http_req *req);
/* Registers the close callback (see sdk_http_close_cb). */
void sdk_http_req_on_close(sdk_http_req *req, sdk_http_close_cb cb, void *ud);

/* ---- streaming (chunked transfer encoding) ---- */
/* Starts a chunked response; then write chunks and end it, from the handler or later on the loop
 * thread. Data is buffered in memory until the client reads it. Returns 0 or SDK_ESTATE. */
int sdk_http_stream_start(sdk_http_req *req, int status, const char *content_type);
int sdk_http_stream_write(sdk_http_req *req, const void *data, size_t len);
/* Ends the stream; the caller must forget req after this. */
int sdk_http_stream_end(sdk_http_req *req);
/* Bytes written to the stream that the client has not taken yet (a slow reader's backlog). */
size_t sdk_http_stream_pending(const sdk_http_req *req);
#endif
