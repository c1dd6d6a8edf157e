/* The local cluster's HTTP front: libmicrohttpd in external-epoll mode on sdk_loop.
 *
 * Why not core/api/server.h: the Mesos scheduler endpoint needs two things that server cannot
 * give today: an extra response header on a streamed answer (Mesos-Stream-Id) and exactly one
 * RecordIO record per HTTP chunk (mesos-v1-protocol.md §2.4, §12.6). Here every
 * lc_req_stream_write becomes one chunk of its own, flushed before the next one.
 *
 * One handler receives every request (the cluster routes by path itself). It must answer
 * before returning, with lc_req_respond, or start a stream. Every function runs on the loop
 * thread.
 */
#ifndef LC_HTTP_H
#define LC_HTTP_H
#include <stddef.h>
#include <stdint.h>

#include "core/loop/loop.h"
#include "core/util/err.h"

typedef struct lc_http lc_http;
typedef struct lc_req lc_req;
typedef void (*lc_handler)(lc_req *req, void *ud);
/* Called once when a stream ends because the client went away or the server is freed
 * (not after lc_req_stream_end). req is invalid after it returns. */
typedef void (*lc_close_cb)(lc_req *req, void *ud);

/* Listens on bind ("HOST:PORT", port 0 = any). Returns 0, or SDK_EINVAL / SDK_EIO with a
 * message in errs. */
int lc_http_new(sdk_loop *loop, const char *bind, lc_handler h, void *ud, lc_http **out, sdk_errors *errs);
/* Closes everything; open streams get their close callback. NULL is a no-op. */
void lc_http_free(lc_http *s);
uint16_t lc_http_port(const lc_http *s);
/* Output gate. While held (calls nest), chunks written to streams are queued but none that has
 * not started leaving is handed to the socket; lc_http_release (the last one) lets them go in
 * order. Complete answers (lc_req_respond) and stream ends without pending chunks are not held.
 * Used to make the local cluster's state durable before any event that depends on it leaves.
 * NULL is a no-op for both. */
void lc_http_hold(lc_http *s);
void lc_http_release(lc_http *s);

/* Request accessors; strings belong to the request. */
const char *lc_req_method(const lc_req *r);
const char *lc_req_path(const lc_req *r);
const char *lc_req_header(const lc_req *r, const char *name); /* case-insensitive, NULL if absent */
const char *lc_req_query(const lc_req *r, const char *name);  /* NULL if absent */
const char *lc_req_body(const lc_req *r, size_t *len);        /* NUL-terminated, never NULL */

/* Complete answer (body copied). hname/hvalue: one optional extra header (NULL = none). */
void lc_req_respond(lc_req *r, int status, const char *ctype, const void *body, size_t len,
                    const char *hname, const char *hvalue);
void lc_req_text(lc_req *r, int status, const char *text);

/* Chunked streaming answer with an optional extra header. Each write is sent as one chunk. */
void lc_req_stream_start(lc_req *r, int status, const char *ctype, const char *hname, const char *hvalue,
                         lc_close_cb cb, void *ud);
void lc_req_stream_write(lc_req *r, const void *data, size_t len);
/* Sends the last chunk and closes; the caller forgets r (no close callback follows). */
void lc_req_stream_end(lc_req *r);
#endif
