/* libcurl multi on sdk_loop. See curl_glue.h. */
#include "core/loop/curl_glue.h"
#include "core/loop/curl_lib.h" /* libcurl through dlopen (the scheduler is not linked with it) */

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/util/err.h"
#include "core/util/log.h"
#include "core/util/str.h"

typedef struct xfer {
    CURL *easy;
    sdk_curl_done_cb done;
    void *ud;
    struct xfer *prev, *next;
} xfer;

struct sdk_curl {
    sdk_loop *loop;
    CURLM *multi;
    uint64_t timer_id;
    xfer *xfers;
    unsigned n;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static void global_init(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void unlink_xfer(sdk_curl *c, xfer *x) {
    if (x->prev) x->prev->next = x->next;
    else c->xfers = x->next;
    if (x->next) x->next->prev = x->prev;
    c->n--;
}

/* Reports finished transfers. Runs outside any curl callback, so done callbacks may add or
 * cancel transfers. */
static void check_done(sdk_curl *c) {
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE) continue;
        CURL *easy = m->easy_handle;
        CURLcode res = m->data.result;
        xfer *x = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
        curl_multi_remove_handle(c->multi, easy);
        if (!x) continue;
        unlink_xfer(c, x);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        x->done(c, easy, res, x->ud);
        free(x);
    }
}

static void on_socket_ready(sdk_loop *l, int fd, int events, void *ud) {
    (void)l;
    sdk_curl *c = ud;
    int flags = (events & SDK_LOOP_READ ? CURL_CSELECT_IN : 0) | (events & SDK_LOOP_WRITE ? CURL_CSELECT_OUT : 0) |
                (events & SDK_LOOP_ERROR ? CURL_CSELECT_ERR : 0);
    int running;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    check_done(c);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
    (void)easy, (void)socketp;
    sdk_curl *c = userp;
    if (what == CURL_POLL_REMOVE) {
        sdk_loop_unwatch_fd(c->loop, s);
        return 0;
    }
    int interest = (what & CURL_POLL_IN ? SDK_LOOP_READ : 0) | (what & CURL_POLL_OUT ? SDK_LOOP_WRITE : 0);
    if (sdk_loop_watch_fd(c->loop, s, interest, on_socket_ready, c) != 0) {
        SDK_ERROR("curl", "cannot watch socket %d", (int)s);
        return -1;
    }
    return 0;
}

static void on_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    sdk_curl *c = ud;
    c->timer_id = 0;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

/* curl asks for one timer at a time: -1 removes it; 0 means "as soon as possible", which must
 * not be done from inside this callback, hence a loop timer of 0 ms. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp) {
    (void)multi;
    sdk_curl *c = userp;
    if (c->timer_id) sdk_loop_timer_cancel(c->loop, c->timer_id);
    c->timer_id = 0;
    if (timeout_ms >= 0) sdk_loop_timer_add(c->loop, (uint64_t)timeout_ms, on_timer, c, &c->timer_id);
    return 0;
}

int sdk_curl_new(sdk_loop *loop, sdk_curl **out) {
    pthread_once(&global_once, global_init);
    CURLM *m = curl_multi_init();
    if (!m) return SDK_ENOMEM;
    sdk_curl *c = sdk_xcalloc(1, sizeof *c);
    c->loop = loop;
    c->multi = m;
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, c);
    *out = c;
    return 0;
}

void sdk_curl_free(sdk_curl *c) {
    if (!c) return;
    while (c->xfers) {
        xfer *x = c->xfers;
        unlink_xfer(c, x);
        curl_multi_remove_handle(c->multi, x->easy);
        curl_easy_setopt(x->easy, CURLOPT_PRIVATE, NULL);
        x->done(c, x->easy, CURLE_ABORTED_BY_CALLBACK, x->ud);
        free(x);
    }
    curl_multi_cleanup(c->multi);
    if (c->timer_id) sdk_loop_timer_cancel(c->loop, c->timer_id);
    free(c);
}

CURLM *sdk_curl_multi(sdk_curl *c) { return c->multi; }
unsigned sdk_curl_running(const sdk_curl *c) { return c->n; }

int sdk_curl_add(sdk_curl *c, CURL *easy, sdk_curl_done_cb done, void *ud) {
    if (!easy || !done) return SDK_EINVAL;
    xfer *old = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&old);
    if (old) return SDK_EBUSY;
    xfer *x = sdk_xcalloc(1, sizeof *x);
    x->easy = easy;
    x->done = done;
    x->ud = ud;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
    if (curl_multi_add_handle(c->multi, easy) != CURLM_OK) {
        curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
        free(x);
        return SDK_EBUSY;
    }
    x->next = c->xfers;
    if (c->xfers) c->xfers->prev = x;
    c->xfers = x;
    c->n++;
    return 0;
}

int sdk_curl_cancel(sdk_curl *c, CURL *easy) {
    xfer *x = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    bool mine = false;
    for (xfer *y = c->xfers; y && !mine; y = y->next) mine = y == x;
    if (!x || !mine) return SDK_ENOENT;
    unlink_xfer(c, x);
    curl_multi_remove_handle(c->multi, easy);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
    free(x);
    return 0;
}
