/* In-process requests (sdk_http_server_call_local, core/api/server.h): the router, the
 * framework answers and the handlers as a client would get them, without a connection. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/api/server.h"
#include "core/loop/loop.h"
#include "tests/unit/check.h"

typedef struct seen {
    int calls, closed;
} seen;

/* Answers "<method> <path> body=<body> q=<q> all=<n> hdr=<header or none>". */
static void h_echo(sdk_http_req *req, void *ud) {
    ((seen *)ud)->calls++;
    size_t len = 0;
    const char *body = sdk_http_req_body(req, &len);
    const char *q = sdk_http_req_query(req, "q");
    sdk_kv *all = NULL;
    size_t n = sdk_http_req_query_all(req, &all);
    const char *h = sdk_http_req_header(req, "Accept");
    char out[256];
    snprintf(out, sizeof out, "%s %s body=%.*s q=%s all=%zu hdr=%s", sdk_http_req_method(req), sdk_http_req_path(req),
             (int)len, body, q ? q : "(none)", n, h ? h : "none");
    free(all);
    sdk_http_respond_text(req, 201, out);
}

static void on_close(sdk_http_req *req, void *ud) {
    (void)req;
    ((seen *)ud)->closed++;
}

static void h_defer(sdk_http_req *req, void *ud) {
    ((seen *)ud)->calls++;
    sdk_http_defer(req);
    sdk_http_req_on_close(req, on_close, ud);
}

static void h_silent(sdk_http_req *req, void *ud) {
    (void)req;
    ((seen *)ud)->calls++;
}

typedef struct world {
    sdk_loop *l;
    sdk_http_server *srv;
    seen s;
} world;

static bool up(world *w, size_t max_body) {
    memset(w, 0, sizeof *w);
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_http_server_opts o = {.max_body = max_body};
    int rc = sdk_loop_new(&w->l);
    if (!rc) rc = sdk_http_server_new(w->l, &o, &e, &w->srv);
    if (!rc) rc = sdk_http_server_route(w->srv, "POST", "/v1/echo/{x}", h_echo, &w->s, &e);
    if (!rc) rc = sdk_http_server_route(w->srv, "GET", "/v1/defer", h_defer, &w->s, &e);
    if (!rc) rc = sdk_http_server_route(w->srv, "GET", "/v1/silent", h_silent, &w->s, &e);
    CHECK_INT(rc, 0);
    sdk_errors_free(&e);
    return rc == 0;
}

static void down(world *w) {
    sdk_http_server_free(w->srv);
    sdk_loop_free(w->l);
}

static void test_handler_gets_body_and_query(void) {
    world w;
    if (!up(&w, 0)) return;
    sdk_kv q[] = {{"q", "1"}, {"q", "2"}, {"flag", NULL}};
    int status = 0;
    char *body = NULL;
    size_t len = 0;
    CHECK_INT(sdk_http_server_call_local(w.srv, "POST", "/v1/echo/a", q, 3, "hi", 2, &status, &body, &len), 0);
    CHECK_INT(status, 201);
    CHECK_STR(body, "POST /v1/echo/a body=hi q=1 all=3 hdr=none");
    CHECK_INT(len, strlen("POST /v1/echo/a body=hi q=1 all=3 hdr=none"));
    free(body);
    CHECK_INT(w.s.calls, 1);
    down(&w);
}

static void test_framework_answers(void) {
    world w;
    if (!up(&w, 4)) return;
    int status = 0;
    char *body = NULL;
    CHECK_INT(sdk_http_server_call_local(w.srv, "GET", "/v1/nothing", NULL, 0, NULL, 0, &status, &body, NULL), 0);
    CHECK_INT(status, 404);
    CHECK_STR(body, "Not found");
    free(body);
    CHECK_INT(sdk_http_server_call_local(w.srv, "GET", "/v1/echo/a", NULL, 0, NULL, 0, &status, NULL, NULL), 0);
    CHECK_INT(status, 405);
    CHECK_INT(sdk_http_server_call_local(w.srv, "POST", "/v1/echo/a", NULL, 0, "12345", 5, &status, &body, NULL), 0);
    CHECK_INT(status, 413);
    CHECK_CONTAINS(body, "limit of 4 bytes");
    free(body);
    CHECK_INT(w.s.calls, 0); /* none of them reached the handler */
    down(&w);
}

static void test_deferred_and_silent_handlers(void) {
    world w;
    if (!up(&w, 0)) return;
    int status = -1;
    CHECK_INT(sdk_http_server_call_local(w.srv, "GET", "/v1/defer", NULL, 0, NULL, 0, &status, NULL, NULL), SDK_ESTATE);
    CHECK_INT(status, 0);
    CHECK_INT(w.s.closed, 1); /* abandoned as when the client goes away */
    CHECK_INT(sdk_http_server_call_local(w.srv, "GET", "/v1/silent", NULL, 0, NULL, 0, &status, NULL, NULL), 0);
    CHECK_INT(status, 500);
    CHECK_INT(w.s.calls, 2);
    down(&w);
}

int main(void) {
    RUN(test_handler_gets_body_and_query);
    RUN(test_framework_answers);
    RUN(test_deferred_and_silent_handlers);
    return check_summary("test_http_local");
}
