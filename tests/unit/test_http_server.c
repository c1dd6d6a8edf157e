/* HTTP server framework + libcurl multi glue, over real sockets on 127.0.0.1, all on one loop:
 * the client (sdk_curl) and the server (sdk_http_server) share the loop, which also proves that
 * neither blocks it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/api/router.h"
#include "core/api/server.h"
#include "core/loop/curl_glue.h"
#include "core/loop/loop.h"
#include "core/util/err.h"
#include "core/util/str.h"
#include "tests/unit/check.h"
#include <zlib.h>

/* ------------------------------------------------------------------ client helpers */

typedef struct call {
    CURL *e;
    struct curl_slist *hdrs;
    sdk_buf body;
    long status;
    bool done;
    CURLcode res;
    uint64_t done_at;
    char allow[64], ctype[64], wwwauth[64], cenc[64], vary[64];
    int chunks;              /* write callback invocations */
    uint64_t first_chunk_at; /* ms */
    int abort_after_chunks;  /* > 0: make the write callback fail after this many */
    sdk_loop *loop;
} call;

static size_t on_write(char *p, size_t sz, size_t n, void *ud) {
    call *c = ud;
    if (c->chunks++ == 0) c->first_chunk_at = sdk_loop_now_ms(c->loop);
    sdk_buf_append(&c->body, p, sz * n);
    if (c->abort_after_chunks && c->chunks >= c->abort_after_chunks) return 0;
    return sz * n;
}

static void copy_header(CURL *e, const char *name, char *dst, size_t cap) {
    struct curl_header *h;
    dst[0] = 0;
    if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK) snprintf(dst, cap, "%s", h->value);
}

static void on_done(sdk_curl *cu, CURL *e, CURLcode res, void *ud) {
    (void)cu;
    call *c = ud;
    c->done = true;
    c->res = res;
    c->done_at = sdk_loop_now_ms(c->loop);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &c->status);
    copy_header(e, "Allow", c->allow, sizeof c->allow);
    copy_header(e, "Content-Type", c->ctype, sizeof c->ctype);
    copy_header(e, "WWW-Authenticate", c->wwwauth, sizeof c->wwwauth);
    copy_header(e, "Content-Encoding", c->cenc, sizeof c->cenc);
    copy_header(e, "Vary", c->vary, sizeof c->vary);
}

/* Starts a request; body NULL = no body; hdr NULL or one "Name: value" line. */
static void call_start(call *c, sdk_loop *l, sdk_curl *cu, const char *method, const char *url, const char *body,
                       const char *hdr) {
    memset(c, 0, sizeof *c);
    c->loop = l;
    sdk_buf_init(&c->body);
    c->e = curl_easy_init();
    curl_easy_setopt(c->e, CURLOPT_URL, url);
    curl_easy_setopt(c->e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c->e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(c->e, CURLOPT_TIMEOUT_MS, 10000L);
    if (body) { /* the server takes JSON bodies only on mutating methods */
        curl_easy_setopt(c->e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c->e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        c->hdrs = curl_slist_append(c->hdrs, "Content-Type: application/json");
    }
    if (hdr) c->hdrs = curl_slist_append(c->hdrs, hdr);
    if (c->hdrs) curl_easy_setopt(c->e, CURLOPT_HTTPHEADER, c->hdrs);
    CHECK_INT(sdk_curl_add(cu, c->e, on_done, c), 0);
}

static void call_free(call *c) {
    curl_easy_cleanup(c->e);
    curl_slist_free_all(c->hdrs);
    sdk_buf_free(&c->body);
}

static bool all_done(call *cs, int n) {
    for (int i = 0; i < n; i++)
        if (!cs[i].done) return false;
    return true;
}

/* Runs the loop until every call is done (or 10 s pass). */
static void run_until_done(sdk_loop *l, call *cs, int n) {
    uint64_t t0 = sdk_loop_now_ms(l);
    while (!all_done(cs, n) && sdk_loop_now_ms(l) - t0 < 10000) sdk_loop_run_once(l, 50);
    CHECK_MSG(all_done(cs, n), "requests did not finish in 10 s");
}

/* One request, start to finish. */
static void fetch(call *c, sdk_loop *l, sdk_curl *cu, const char *method, const char *url, const char *body,
                  const char *hdr) {
    call_start(c, l, cu, method, url, body, hdr);
    run_until_done(l, c, 1);
}

typedef struct env {
    sdk_loop *l;
    sdk_curl *cu;
    sdk_http_server *s;
    char base[64];
} env;

static void env_up(env *e, const sdk_http_server_opts *o) {
    memset(e, 0, sizeof *e);
    CHECK_INT(sdk_loop_new(&e->l), 0);
    CHECK_INT(sdk_curl_new(e->l, &e->cu), 0);
    sdk_errors errs;
    sdk_errors_init(&errs);
    int rc = sdk_http_server_new(e->l, o, &errs, &e->s);
    CHECK_INT(rc, 0);
    if (rc) sdk_errors_print(&errs, "server");
    sdk_errors_free(&errs);
    if (e->s) {
        CHECK(sdk_http_server_port(e->s) > 0);
        snprintf(e->base, sizeof e->base, "%s://127.0.0.1:%u", o && o->tls_cert_file ? "https" : "http",
                 sdk_http_server_port(e->s));
    }
}

static void env_down(env *e) {
    sdk_http_server_free(e->s);
    sdk_curl_free(e->cu);
    sdk_loop_free(e->l);
}

static char *url(const env *e, const char *path) {
    static char buf[4][256];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, 256, "%s%s", e->base, path);
    return b;
}

/* ------------------------------------------------------------------ handlers */

static void h_text(sdk_http_req *req, void *ud) {
    sdk_http_respond_text(req, 200, (const char *)ud);
}

static void h_plan(sdk_http_req *req, void *ud) {
    (void)ud;
    char *s = sdk_asprintf_new("plan=%s", sdk_http_req_param(req, "plan"));
    sdk_http_respond_text(req, 200, s);
    free(s);
}

/* Echoes params, query, a header and the body, as JSON. */
static void h_echo(sdk_http_req *req, void *ud) {
    (void)ud;
    size_t len;
    const char *body = sdk_http_req_body(req, &len);
    json_t *j = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s%, s:s}", "method", sdk_http_req_method(req), "plan",
                          sdk_http_req_param(req, "plan"), "phase", sdk_http_req_query(req, "phase"), "flag",
                          sdk_http_req_query(req, "flag"), "x", sdk_http_req_header(req, "x-test"), "body", body,
                          len, "pattern", sdk_http_req_pattern(req));
    sdk_http_response *r = sdk_http_response_new(201, "application/json", "", 0);
    sdk_http_response_free(r); /* the object API, exercised separately below */
    sdk_http_respond_json(req, 200, j);
    json_decref(j);
}

static void h_headers(sdk_http_req *req, void *ud) {
    (void)ud;
    sdk_http_response *r = sdk_http_response_new(208, "text/csv", "a,b\n", 4);
    CHECK_INT(sdk_http_response_header(r, "X-Extra", "yes"), 0);
    CHECK_INT(sdk_http_response_header(r, "Bad\r\nName", "x"), SDK_EINVAL);
    CHECK_INT(sdk_http_respond(req, r), 0);
    /* A second answer is refused and freed. */
    CHECK_INT(sdk_http_respond_text(req, 200, "again"), SDK_ESTATE);
}

static void h_forgets(sdk_http_req *req, void *ud) {
    (void)req, (void)ud;
}

static void add_route(sdk_http_server *s, const char *m, const char *p, sdk_http_handler h, void *ud) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_http_server_route(s, m, p, h, ud, &errs), 0);
    sdk_errors_free(&errs);
}

/* ------------------------------------------------------------------ router (no sockets) */

static void test_router_unit(void) {
    sdk_router *r;
    sdk_router_new(&r);
    sdk_errors errs;
    sdk_errors_init(&errs);
    int A, B, C, D;
    CHECK_INT(sdk_router_add(r, "GET", "/v1/plans/{plan}", &A, &errs), 0);
    CHECK_INT(sdk_router_add(r, "GET", "/v1/plans/deploy", &B, &errs), 0);
    CHECK_INT(sdk_router_add(r, "GET", "/v1/{x}/deploy/{y}", &C, &errs), 0);
    CHECK_INT(sdk_router_add(r, "GET", "/v1/plans/{p}/{s}", &D, &errs), 0);
    CHECK_INT(sdk_router_add(r, "GET", "/v1/plans/{other}", &A, &errs), SDK_EEXIST);
    CHECK(sdk_errors_contains(&errs, "clashes with the registered route GET /v1/plans/{plan}"));
    CHECK_INT(sdk_router_add(r, "GET", "v1/x", &A, &errs), SDK_EINVAL);
    CHECK_INT(sdk_router_add(r, "GET", "/v1//x", &A, &errs), SDK_EINVAL);
    CHECK_INT(sdk_router_add(r, "GET", "/v1/{a", &A, &errs), SDK_EINVAL);
    CHECK_INT(sdk_router_add(r, "GET", "/v1/x{a}", &A, &errs), SDK_EINVAL);
    CHECK_INT(sdk_router_add(r, "GET", "/v1/{}", &A, &errs), SDK_EINVAL);
    CHECK_INT(sdk_router_add(r, "GET", "/{a}/{a}", &A, &errs), SDK_EINVAL);
    CHECK_INT(sdk_router_add(r, "get", "/v1/y", &A, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "segment '{a' must be a literal or a whole {name}"));
    CHECK(sdk_errors_contains(&errs, "parameter {a} appears twice"));
    CHECK(sdk_errors_contains(&errs, "method 'get' must be an upper-case token"));
    sdk_route_match m;
    sdk_router_match(r, "GET", "/v1/plans/deploy", &m);
    CHECK(m.status == 200 && m.target == &B);
    sdk_route_match_clear(&m);
    sdk_router_match(r, "GET", "/v1/plans/recovery/", &m); /* trailing slash ignored */
    CHECK(m.status == 200 && m.target == &A);
    CHECK_STR(sdk_route_match_param(&m, "plan"), "recovery");
    CHECK(sdk_route_match_param(&m, "nope") == NULL);
    sdk_route_match_clear(&m);
    /* /v1/plans/deploy/zz matches both {x}-first and plans-literal-first: the earlier literal wins. */
    sdk_router_match(r, "GET", "/v1/plans/deploy/zz", &m);
    CHECK(m.status == 200 && m.target == &D);
    CHECK_STR(sdk_route_match_param(&m, "s"), "zz");
    sdk_route_match_clear(&m);
    sdk_router_match(r, "HEAD", "/v1/plans/x", &m); /* HEAD uses GET routes */
    CHECK_INT(m.status, 200);
    sdk_route_match_clear(&m);
    sdk_router_match(r, "DELETE", "/v1/plans/x", &m);
    CHECK_INT(m.status, 405);
    CHECK_STR(m.allow, "GET");
    sdk_route_match_clear(&m);
    sdk_router_match(r, "GET", "/v1/plans//x", &m);
    CHECK_INT(m.status, 404);
    sdk_route_match_clear(&m);
    sdk_errors_free(&errs);
    sdk_router_free(r);
}

/* ------------------------------------------------------------------ server tests */

static void test_routing_and_errors(void) {
    env e;
    sdk_http_server_opts o = {.max_body = 1000};
    env_up(&e, &o);
    if (!e.s) return;
    add_route(e.s, "GET", "/v1/plans", h_text, "list");
    add_route(e.s, "GET", "/v1/plans/{plan}", h_plan, NULL);
    add_route(e.s, "GET", "/v1/plans/deploy", h_text, "literal deploy");
    add_route(e.s, "POST", "/v1/plans/{plan}/start", h_echo, NULL);
    add_route(e.s, "PUT", "/v1/plans/{plan}/start", h_echo, NULL);
    add_route(e.s, "GET", "/v1/csv", h_headers, NULL);
    add_route(e.s, "GET", "/v1/forgets", h_forgets, NULL);
    call c;
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/plans"), NULL, NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(c.body.data, "list");
    CHECK_STR(c.ctype, "text/plain; charset=utf-8");
    call_free(&c);
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/plans/recovery"), NULL, NULL);
    CHECK_STR(c.body.data, "plan=recovery");
    call_free(&c);
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/plans/deploy"), NULL, NULL);
    CHECK_STR(c.body.data, "literal deploy");
    call_free(&c);
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/plans/hello%20world"), NULL, NULL); /* decoded */
    CHECK_STR(c.body.data, "plan=hello world");
    call_free(&c);
    /* Params, query (with and without value), headers, body, pretty JSON. */
    fetch(&c, e.l, e.cu, "POST", url(&e, "/v1/plans/deploy/start?phase=ph%201&flag"), "{\"k\":\"v\"}", "X-Test: 42");
    CHECK_INT(c.status, 200);
    CHECK_STR(c.ctype, "application/json");
    CHECK_STR(c.body.data, "{\n  \"method\": \"POST\",\n  \"plan\": \"deploy\",\n  \"phase\": \"ph 1\",\n  \"flag\": \"\",\n"
                           "  \"x\": \"42\",\n  \"body\": \"{\\\"k\\\":\\\"v\\\"}\",\n"
                           "  \"pattern\": \"/v1/plans/{plan}/start\"\n}\n");
    call_free(&c);
    /* Status, content type and extra headers from a response object. */
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/csv"), NULL, NULL);
    CHECK_INT(c.status, 208);
    CHECK_STR(c.ctype, "text/csv");
    CHECK_STR(c.body.data, "a,b\n");
    call_free(&c);
    /* 404, 405 + Allow. */
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/nothing/here"), NULL, NULL);
    CHECK_INT(c.status, 404);
    call_free(&c);
    fetch(&c, e.l, e.cu, "DELETE", url(&e, "/v1/plans/deploy/start"), NULL, NULL);
    CHECK_INT(c.status, 405);
    CHECK_STR(c.allow, "POST, PUT");
    call_free(&c);
    /* 413: over the limit (Content-Length known up front); at the limit is fine. */
    char *big = sdk_xmalloc(5001);
    memset(big, 'a', 5000);
    big[5000] = 0;
    fetch(&c, e.l, e.cu, "POST", url(&e, "/v1/plans/x/start"), big, NULL);
    CHECK_INT(c.status, 413);
    CHECK_CONTAINS(c.body.data, "limit of 1000 bytes");
    call_free(&c);
    big[1000] = 0;
    fetch(&c, e.l, e.cu, "POST", url(&e, "/v1/plans/x/start"), big, NULL);
    CHECK_INT(c.status, 200);
    CHECK_CONTAINS(c.body.data, "aaaa");
    call_free(&c);
    /* 413 for a chunked upload (no Content-Length): counted while it arrives. */
    big[1000] = 'a';
    big[1500] = 0;
    call_start(&c, e.l, e.cu, "POST", url(&e, "/v1/plans/x/start"), big, "Transfer-Encoding: chunked");
    curl_easy_setopt(c.e, CURLOPT_POSTFIELDSIZE, -1L);
    run_until_done(e.l, &c, 1);
    CHECK_INT(c.status, 413);
    call_free(&c);
    free(big);
    /* A handler that neither answers nor defers: 500, not a hung client. */
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/forgets"), NULL, NULL);
    CHECK_INT(c.status, 500);
    call_free(&c);
    /* Route errors reach the caller. */
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_http_server_route(e.s, "GET", "/v1/plans/{x}", h_plan, NULL, &errs), SDK_EEXIST);
    CHECK_INT(sdk_http_server_route(e.s, "GET", "nope", h_plan, NULL, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "route GET nope: pattern must start with '/'"));
    sdk_errors_free(&errs);
    env_down(&e);
}

/* Deferred answer from a timer 100 ms later; meanwhile other requests are served. */
static int closed_calls;
static void on_req_closed(sdk_http_req *req, void *ud) {
    (void)req, (void)ud;
    closed_calls++;
}
static void answer_later(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    json_t *j = json_pack("{s:s}", "message", "Received cmd: later");
    CHECK_INT(sdk_http_respond_json(ud, 200, j), 0);
    json_decref(j);
}
static sdk_loop *g_loop;
static void h_slow(sdk_http_req *req, void *ud) {
    (void)ud;
    CHECK_INT(sdk_http_defer(req), 0);
    sdk_http_req_on_close(req, on_req_closed, NULL);
    uint64_t id;
    sdk_loop_timer_add(g_loop, 100, answer_later, req, &id);
}
static void h_never(sdk_http_req *req, void *ud) {
    (void)ud;
    sdk_http_defer(req);
    sdk_http_req_on_close(req, on_req_closed, NULL);
}

static void test_deferred_does_not_stall(void) {
    env e;
    env_up(&e, NULL);
    if (!e.s) return;
    g_loop = e.l;
    add_route(e.s, "POST", "/v1/slow", h_slow, NULL);
    add_route(e.s, "GET", "/v1/fast/{i}", h_plan, NULL);
    call slow, fast[20];
    uint64_t t0 = sdk_loop_now_ms(e.l);
    call_start(&slow, e.l, e.cu, "POST", url(&e, "/v1/slow"), "{}", NULL);
    /* Let the slow request reach its handler before the fast ones start. */
    while (sdk_loop_now_ms(e.l) - t0 < 20) sdk_loop_run_once(e.l, 5);
    for (int i = 0; i < 20; i++) call_start(&fast[i], e.l, e.cu, "GET", url(&e, "/v1/fast/1"), NULL, NULL);
    run_until_done(e.l, fast, 20);
    CHECK(!slow.done);
    run_until_done(e.l, &slow, 1);
    int fast_ok = 0; /* all answered while the slow one waited (not after it: the loop never stalled) */
    for (int i = 0; i < 20; i++) fast_ok += fast[i].status == 200 && fast[i].done_at <= slow.done_at;
    CHECK_INT(fast_ok, 20);
    CHECK_INT(slow.status, 200);
    CHECK_MSG(slow.done_at - t0 >= 100, "deferred answer came after %llu ms", (unsigned long long)(slow.done_at - t0));
    CHECK_STR(slow.body.data, "{\n  \"message\": \"Received cmd: later\"\n}\n");
    CHECK_INT(closed_calls, 0); /* answered: no close callback */
    for (int i = 0; i < 20; i++) call_free(&fast[i]);
    call_free(&slow);
    /* A request never answered: freeing the server tells its owner and frees it (ASan checks). */
    add_route(e.s, "GET", "/v1/never", h_never, NULL);
    call nv;
    call_start(&nv, e.l, e.cu, "GET", url(&e, "/v1/never"), NULL, NULL);
    t0 = sdk_loop_now_ms(e.l);
    while (sdk_loop_now_ms(e.l) - t0 < 100) sdk_loop_run_once(e.l, 10);
    CHECK(!nv.done);
    sdk_http_server_free(e.s);
    e.s = NULL;
    CHECK_INT(closed_calls, 1);
    run_until_done(e.l, &nv, 1);
    CHECK(nv.res != CURLE_OK || nv.status != 200);
    call_free(&nv);
    env_down(&e);
}

static void test_token_auth(void) {
    env e;
    sdk_http_server_opts o = {.token = "s3cret"};
    env_up(&e, &o);
    if (!e.s) return;
    add_route(e.s, "GET", "/v1/plans", h_text, "list");
    call c;
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/plans"), NULL, NULL);
    CHECK_INT(c.status, 401);
    CHECK_STR(c.wwwauth, "Bearer");
    call_free(&c);
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/nothing"), NULL, NULL); /* 401 before 404: no route probing */
    CHECK_INT(c.status, 401);
    call_free(&c);
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/plans"), NULL, "Authorization: Bearer s3cre");
    CHECK_INT(c.status, 401);
    call_free(&c);
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/plans"), NULL, "Authorization: Bearer s3cret");
    CHECK_INT(c.status, 200);
    CHECK_STR(c.body.data, "list");
    call_free(&c);
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/plans"), NULL, "Authorization: token=s3cret");
    CHECK_INT(c.status, 200);
    call_free(&c);
    env_down(&e);
    /* Without a configured token, no header is needed. */
    env_up(&e, NULL);
    if (!e.s) return;
    add_route(e.s, "GET", "/v1/plans", h_text, "list");
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/plans"), NULL, NULL);
    CHECK_INT(c.status, 200);
    call_free(&c);
    env_down(&e);
}

static void test_concurrent_200(void) {
    env e;
    env_up(&e, NULL);
    if (!e.s) return;
    add_route(e.s, "GET", "/v1/plans/{plan}", h_plan, NULL);
    enum { N = 200 };
    call *cs = sdk_xcalloc(N, sizeof *cs);
    char u[N][96];
    for (int i = 0; i < N; i++) {
        snprintf(u[i], sizeof u[i], "%s/v1/plans/p%d", e.base, i);
        call_start(&cs[i], e.l, e.cu, "GET", u[i], NULL, NULL);
    }
    run_until_done(e.l, cs, N);
    int ok = 0;
    for (int i = 0; i < N; i++) {
        char want[32];
        snprintf(want, sizeof want, "plan=p%d", i);
        ok += cs[i].res == CURLE_OK && cs[i].status == 200 && cs[i].body.data && strcmp(cs[i].body.data, want) == 0;
        call_free(&cs[i]);
    }
    CHECK_INT(ok, N);
    free(cs);
    env_down(&e);
}

/* ------------------------------------------------------------------ shared bodies and gzip */

/* Serves the current blob, then replaces it with a new rendering ("generation" g+1), as the plan
 * cache does when a plan changes while earlier answers are still on the wire. */
typedef struct blob_src {
    sdk_http_blob *b;
    int gen;
    size_t size;
} blob_src;

static char *blob_text_new(int gen, size_t size) {
    char *t = sdk_xmalloc(size + 1);
    for (size_t i = 0; i < size; i++) t[i] = (char)('a' + (int)((i / 7 + (size_t)gen) % 26));
    int n = snprintf(t, size + 1, "gen %d;", gen);
    t[n] = ';';
    t[size] = 0;
    return t;
}

static void h_blob(sdk_http_req *req, void *ud) {
    blob_src *src = ud;
    sdk_http_respond(req, sdk_http_response_blob(req, 200, "application/json", src->b));
    sdk_http_blob_unref(src->b);
    src->gen++;
    src->b = sdk_http_blob_take(blob_text_new(src->gen, src->size), src->size);
}

static char *gunzip_new(const sdk_buf *in, size_t *out_len) {
    z_stream z = {0};
    if (inflateInit2(&z, 15 + 16) != Z_OK) return NULL;
    size_t cap = 1 << 20, n = 0;
    char *out = sdk_xmalloc(cap + 1);
    z.next_in = (unsigned char *)in->data;
    z.avail_in = (uInt)in->len;
    int rc;
    do {
        if (n == cap) out = sdk_xrealloc(out, (cap *= 2) + 1);
        z.next_out = (unsigned char *)out + n;
        z.avail_out = (uInt)(cap - n);
        rc = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
    } while (rc == Z_OK);
    inflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    out[n] = 0;
    *out_len = n;
    return out;
}

static void test_shared_body_and_gzip(void) {
    env e;
    env_up(&e, NULL);
    if (!e.s) return;
    enum { BIG = 3 << 20, N = 6 };
    blob_src big = {.gen = 0, .size = BIG}, small = {.gen = 0, .size = 600};
    big.b = sdk_http_blob_take(blob_text_new(0, BIG), BIG);
    small.b = sdk_http_blob_take(blob_text_new(0, 600), 600);
    add_route(e.s, "GET", "/big", h_blob, &big);
    add_route(e.s, "GET", "/small", h_blob, &small);

    /* N concurrent 3 MiB answers: each request replaces the blob right after answering, so most
     * answers are still being sent when their blob has lost its owner. Each must arrive whole,
     * as the generation it was given (ASan would catch a body freed under MHD). */
    call *cs = sdk_xcalloc(N, sizeof *cs);
    for (int i = 0; i < N; i++) call_start(&cs[i], e.l, e.cu, "GET", url(&e, "/big"), NULL, NULL);
    run_until_done(e.l, cs, N);
    bool seen[N] = {false};
    for (int i = 0; i < N; i++) {
        CHECK_INT(cs[i].status, 200);
        CHECK_INT((long)cs[i].body.len, (long)BIG);
        CHECK_STR(cs[i].vary, "Accept-Encoding");
        CHECK_STR(cs[i].cenc, "");
        int gen = -1;
        if (cs[i].body.data && sscanf(cs[i].body.data, "gen %d;", &gen) == 1 && gen >= 0 && gen < N) {
            char *want = blob_text_new(gen, BIG);
            CHECK(cs[i].body.len == BIG && !memcmp(cs[i].body.data, want, BIG));
            free(want);
            CHECK_MSG(!seen[gen], "generation %d served twice", gen);
            seen[gen] = true;
        } else {
            CHECK_MSG(0, "answer %d has no generation", i);
        }
        call_free(&cs[i]);
    }
    free(cs);

    /* Accept-Encoding decides: gzip (compressed once, inflates to the same bytes) or identity. */
    struct {
        const char *hdr;
        bool gz;
    } cases[] = {
        {NULL, false},
        {"Accept-Encoding: gzip", true},
        {"Accept-Encoding: deflate, x-gzip;q=0.5", true},
        {"Accept-Encoding: *", true},
        {"Accept-Encoding: identity", false},
        {"Accept-Encoding: gzip;q=0, *", false},
        {"Accept-Encoding: *;q=0", false},
        {"Accept-Encoding: br, GZIP ; q=0.001", true},
        {"Accept-Encoding: gzipx", false},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int gen = big.gen;
        call c;
        fetch(&c, e.l, e.cu, "GET", url(&e, "/big"), NULL, cases[k].hdr);
        CHECK_INT(c.status, 200);
        CHECK_MSG(!strcmp(c.cenc, cases[k].gz ? "gzip" : ""), "%s: Content-Encoding '%s'",
                  cases[k].hdr ? cases[k].hdr : "(none)", c.cenc);
        char *want = blob_text_new(gen, BIG);
        if (cases[k].gz) {
            CHECK(c.body.len < BIG / 10);
            size_t n = 0;
            char *plain = gunzip_new(&c.body, &n);
            CHECK(plain && n == BIG && !memcmp(plain, want, BIG));
            free(plain);
        } else {
            CHECK(c.body.len == BIG && !memcmp(c.body.data, want, BIG));
        }
        free(want);
        call_free(&c);
    }
    /* Under 1 KiB a body goes as it is whatever the client accepts. */
    call c;
    fetch(&c, e.l, e.cu, "GET", url(&e, "/small"), NULL, "Accept-Encoding: gzip");
    CHECK_STR(c.cenc, "");
    CHECK_INT((long)c.body.len, 600);
    call_free(&c);
    env_down(&e);
    sdk_http_blob_unref(big.b);
    sdk_http_blob_unref(small.b);
    sdk_http_blob_unref(NULL);
}

/* ------------------------------------------------------------------ curl glue */

static void test_curl_one_and_50(void) {
    env e;
    env_up(&e, NULL);
    if (!e.s) return;
    add_route(e.s, "GET", "/v1/plans/{plan}", h_plan, NULL);
    call c;
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/plans/one"), NULL, NULL);
    CHECK_INT(c.res, CURLE_OK);
    CHECK_STR(c.body.data, "plan=one");
    CHECK_INT(sdk_curl_running(e.cu), 0);
    /* The same easy handle is reusable once done; adding it twice while running is refused. */
    curl_easy_setopt(c.e, CURLOPT_URL, url(&e, "/v1/plans/two"));
    sdk_buf_reset(&c.body);
    c.done = false;
    CHECK_INT(sdk_curl_add(e.cu, c.e, on_done, &c), 0);
    CHECK_INT(sdk_curl_add(e.cu, c.e, on_done, &c), SDK_EBUSY);
    run_until_done(e.l, &c, 1);
    CHECK_STR(c.body.data, "plan=two");
    /* Cancel: no done callback, the handle is the caller's again. */
    c.done = false;
    CHECK_INT(sdk_curl_add(e.cu, c.e, on_done, &c), 0);
    CHECK_INT(sdk_curl_cancel(e.cu, c.e), 0);
    CHECK_INT(sdk_curl_cancel(e.cu, c.e), SDK_ENOENT);
    sdk_loop_run_once(e.l, 20);
    CHECK(!c.done);
    call_free(&c);
    /* A refused connection is reported through done, not a hang. */
    fetch(&c, e.l, e.cu, "GET", "http://127.0.0.1:1/", NULL, NULL);
    CHECK_INT(c.res, CURLE_COULDNT_CONNECT);
    call_free(&c);
    call cs[50];
    char u[50][96];
    for (int i = 0; i < 50; i++) {
        snprintf(u[i], sizeof u[i], "%s/v1/plans/c%d", e.base, i);
        call_start(&cs[i], e.l, e.cu, "GET", u[i], NULL, NULL);
    }
    CHECK_INT(sdk_curl_running(e.cu), 50);
    run_until_done(e.l, cs, 50);
    int ok = 0;
    for (int i = 0; i < 50; i++) {
        char want[32];
        snprintf(want, sizeof want, "plan=c%d", i);
        ok += cs[i].status == 200 && strcmp(cs[i].body.data ? cs[i].body.data : "", want) == 0;
        call_free(&cs[i]);
    }
    CHECK_INT(ok, 50);
    /* Freeing the glue with a transfer in flight reports it aborted. */
    add_route(e.s, "GET", "/v1/never", h_never, NULL);
    call_start(&c, e.l, e.cu, "GET", url(&e, "/v1/never"), NULL, NULL);
    for (int i = 0; i < 5; i++) sdk_loop_run_once(e.l, 10);
    sdk_curl_free(e.cu);
    e.cu = NULL;
    CHECK(c.done);
    CHECK_INT(c.res, CURLE_ABORTED_BY_CALLBACK);
    call_free(&c);
    closed_calls = 0;
    env_down(&e);
    CHECK_INT(closed_calls, 1);
}

/* A chunked event stream: 5 chunks, 30 ms apart, read one by one while a timer also ticks. */
typedef struct streamer {
    sdk_http_req *req;
    int sent;
    uint64_t timer;
    int closed;
} streamer;
static streamer g_stream;
static void stream_tick(sdk_loop *l, uint64_t id, void *ud) {
    streamer *st = ud;
    char line[32];
    snprintf(line, sizeof line, "event %d\n", st->sent++);
    CHECK_INT(sdk_http_stream_write(st->req, line, strlen(line)), 0);
    if (st->sent == 5) {
        CHECK_INT(sdk_http_stream_end(st->req), 0);
        CHECK_INT(sdk_http_stream_write(st->req, "x", 1), SDK_ESTATE);
        sdk_loop_timer_cancel(l, id);
        st->req = NULL;
    }
}
static void stream_closed(sdk_http_req *req, void *ud) {
    (void)req;
    streamer *st = ud;
    st->closed++;
    sdk_loop_timer_cancel(g_loop, st->timer);
    st->req = NULL;
}
static void h_stream(sdk_http_req *req, void *ud) {
    (void)ud;
    g_stream = (streamer){.req = req};
    CHECK_INT(sdk_http_stream_start(req, 200, "text/event-stream"), 0);
    CHECK_INT(sdk_http_respond_text(req, 200, "no"), SDK_ESTATE);
    sdk_http_req_on_close(req, stream_closed, &g_stream);
    sdk_loop_timer_every(g_loop, 30, stream_tick, &g_stream, &g_stream.timer);
}
static int side_ticks;
static void side_tick(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id, (void)ud;
    side_ticks++;
}

static void test_curl_streamed_chunks(void) {
    env e;
    env_up(&e, NULL);
    if (!e.s) return;
    g_loop = e.l;
    add_route(e.s, "GET", "/v1/events", h_stream, NULL);
    uint64_t side;
    side_ticks = 0;
    sdk_loop_timer_every(e.l, 10, side_tick, NULL, &side);
    call c;
    uint64_t t0 = sdk_loop_now_ms(e.l);
    fetch(&c, e.l, e.cu, "GET", url(&e, "/v1/events"), NULL, NULL);
    CHECK_INT(c.status, 200);
    CHECK_STR(c.ctype, "text/event-stream");
    CHECK_STR(c.body.data, "event 0\nevent 1\nevent 2\nevent 3\nevent 4\n");
    CHECK_MSG(c.chunks >= 5, "body arrived in %d pieces, expected one per event", c.chunks);
    /* Incremental: the first event arrived long before the last (4 x 30 ms later). */
    CHECK_MSG(c.first_chunk_at + 60 <= c.done_at && c.done_at - t0 >= 120, "first chunk %llu ms, end %llu ms",
              (unsigned long long)(c.first_chunk_at - t0), (unsigned long long)(c.done_at - t0));
    CHECK_MSG(side_ticks >= 10, "side timer ticked %d times while streaming", side_ticks);
    CHECK_INT(g_stream.closed, 0);
    call_free(&c);
    /* The client goes away after the first chunk: the owner hears about it on the next write. */
    call_start(&c, e.l, e.cu, "GET", url(&e, "/v1/events"), NULL, NULL);
    c.abort_after_chunks = 1;
    run_until_done(e.l, &c, 1);
    CHECK_INT(c.res, CURLE_WRITE_ERROR);
    t0 = sdk_loop_now_ms(e.l);
    while (!g_stream.closed && sdk_loop_now_ms(e.l) - t0 < 2000) sdk_loop_run_once(e.l, 20);
    CHECK_INT(g_stream.closed, 1);
    call_free(&c);
    /* The server goes away mid-stream: the stream's owner hears about it; the client sees an error. */
    call_start(&c, e.l, e.cu, "GET", url(&e, "/v1/events"), NULL, NULL);
    t0 = sdk_loop_now_ms(e.l);
    while (c.chunks == 0 && sdk_loop_now_ms(e.l) - t0 < 2000) sdk_loop_run_once(e.l, 10);
    CHECK(c.chunks > 0 && !c.done);
    sdk_http_server_free(e.s);
    e.s = NULL;
    CHECK_INT(g_stream.closed, 1); /* (reset by h_stream for this request) */
    run_until_done(e.l, &c, 1);
    CHECK(c.res != CURLE_OK);
    call_free(&c);
    sdk_loop_timer_cancel(e.l, side);
    env_down(&e);
}

/* ------------------------------------------------------------------ TLS, bind errors */

static void test_tls(void) {
    if (!sdk_http_tls_supported()) {
        printf("test_http_server: SKIP test_tls: libmicrohttpd was built without TLS\n");
        return;
    }
    char dir[] = "/tmp/sdk-tls-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *cmd = sdk_asprintf_new("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem "
                                 "-days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1",
                                 dir, dir);
    int rc = system(cmd);
    free(cmd);
    if (rc != 0) {
        printf("test_http_server: SKIP test_tls: openssl could not make a test certificate\n");
        rmdir(dir);
        return;
    }
    char *cert = sdk_asprintf_new("%s/cert.pem", dir), *key = sdk_asprintf_new("%s/key.pem", dir);
    env e;
    sdk_http_server_opts o = {.tls_cert_file = cert, .tls_key_file = key, .token = "t"};
    env_up(&e, &o);
    if (e.s) {
        add_route(e.s, "GET", "/v1/plans", h_text, "secure list");
        call c;
        call_start(&c, e.l, e.cu, "GET", url(&e, "/v1/plans"), NULL, "Authorization: Bearer t");
        curl_easy_setopt(c.e, CURLOPT_CAINFO, cert);
        curl_easy_setopt(c.e, CURLOPT_SSL_VERIFYHOST, 0L);
        run_until_done(e.l, &c, 1);
        CHECK_INT(c.res, CURLE_OK);
        CHECK_INT(c.status, 200);
        CHECK_STR(c.body.data, "secure list");
        call_free(&c);
        /* Plain HTTP to the TLS port does not get an answer. */
        char plain[96];
        snprintf(plain, sizeof plain, "http://127.0.0.1:%u/v1/plans", sdk_http_server_port(e.s));
        fetch(&c, e.l, e.cu, "GET", plain, NULL, NULL);
        CHECK(c.status != 200);
        call_free(&c);
    }
    env_down(&e);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_loop *l;
    sdk_loop_new(&l);
    sdk_http_server *s = NULL;
    sdk_http_server_opts bad = {.tls_cert_file = cert, .tls_key_file = "/nonexistent/key.pem"};
    CHECK_INT(sdk_http_server_new(l, &bad, &errs, &s), SDK_EIO);
    CHECK(sdk_errors_contains(&errs, "TLS key /nonexistent/key.pem: cannot read it"));
    sdk_errors_free(&errs);
    sdk_loop_free(l);
    unlink(cert);
    unlink(key);
    rmdir(dir);
    free(cert);
    free(key);
}

static void test_bind_errors(void) {
    sdk_loop *l;
    sdk_loop_new(&l);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_http_server *s = NULL, *s2 = NULL;
    sdk_http_server_opts o = {.bind = "127.0.0.1"};
    CHECK_INT(sdk_http_server_new(l, &o, &errs, &s), SDK_EINVAL);
    o.bind = "127.0.0.1:99999";
    CHECK_INT(sdk_http_server_new(l, &o, &errs, &s), SDK_EINVAL);
    o.bind = "example.com:80";
    CHECK_INT(sdk_http_server_new(l, &o, &errs, &s), SDK_EINVAL);
    o = (sdk_http_server_opts){.tls_cert_file = "c.pem"};
    CHECK_INT(sdk_http_server_new(l, &o, &errs, &s), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "bind address '127.0.0.1': expected HOST:PORT"));
    CHECK(sdk_errors_contains(&errs, "port must be a number from 0 to 65535"));
    CHECK(sdk_errors_contains(&errs, "host 'example.com' must be an IPv4 address"));
    CHECK(sdk_errors_contains(&errs, "TLS needs both a certificate and a key file"));
    /* The same port twice: the second fails with a message naming the address. */
    CHECK_INT(sdk_http_server_new(l, NULL, &errs, &s), 0);
    char *b = sdk_asprintf_new("127.0.0.1:%u", sdk_http_server_port(s));
    o = (sdk_http_server_opts){.bind = b};
    CHECK_INT(sdk_http_server_new(l, &o, &errs, &s2), SDK_EIO);
    CHECK(sdk_errors_contains(&errs, b));
    free(b);
    sdk_http_server_free(s);
    sdk_errors_free(&errs);
    sdk_loop_free(l);
}

int main(void) {
    RUN(test_router_unit);
    RUN(test_routing_and_errors);
    RUN(test_deferred_does_not_stall);
    RUN(test_token_auth);
    RUN(test_concurrent_200);
    RUN(test_shared_body_and_gzip);
    RUN(test_curl_one_and_50);
    RUN(test_curl_streamed_chunks);
    RUN(test_tls);
    RUN(test_bind_errors);
    return check_summary("test_http_server");
}
