#include "core/mesos/agent_files.h"
#include "core/loop/curl_glue.h"
#include "core/loop/curl_lib.h" /* libcurl through dlopen (the scheduler is not linked with it) */
#include "core/mesos/sandbox.h"
#include "core/util/str.h"
#include "core/util/strmap.h"
#include <stdlib.h>
#include <string.h>

#define TAIL_BYTES 8192       /* read at most this much from the end of the file */
#define AGENT_TIMEOUT_MS 5000 /* per request */

typedef enum { STEP_STATE, STEP_SIZE, STEP_READ } tail_step;

typedef struct tail_req {
    sdk_agent_files *owner;
    char *base, *task_id, *file, *path;
    size_t n_lines;
    tail_step step;
    CURL *easy;
    sdk_buf body;
    sdk_agent_tail_done done;
    void *arg;
    struct tail_req *prev, *next;
} tail_req;

typedef struct agent_entry {
    char *id, *url;
} agent_entry;

struct sdk_agent_files {
    sdk_loop *loop;
    sdk_curl *curl;
    sdk_strmap by_id; /* agent id -> agent_entry */
    agent_entry **agents;
    size_t n_agents;
    tail_req *reqs;
    uint64_t deferred; /* a 0 ms timer answering requests that could not start */
};

sdk_agent_files *sdk_agent_files_new(sdk_loop *loop) {
    sdk_agent_files *f = sdk_xcalloc(1, sizeof *f);
    f->loop = loop; /* f->curl at the first read: libcurl may still be loading (curl_lib.h) */
    return f;
}

static void req_finish(tail_req *r, const char *text, const char *why) {
    sdk_agent_files *f = r->owner;
    if (r->prev) r->prev->next = r->next;
    else f->reqs = r->next;
    if (r->next) r->next->prev = r->prev;
    if (r->easy) curl_easy_cleanup(r->easy);
    r->done(r->arg, text, why);
    free(r->base);
    free(r->task_id);
    free(r->file);
    free(r->path);
    sdk_buf_free(&r->body);
    free(r);
}

void sdk_agent_files_free(sdk_agent_files *f) {
    if (!f) return;
    if (f->deferred) sdk_loop_timer_cancel(f->loop, f->deferred);
    for (tail_req *r = f->reqs; r; r = r->next)
        if (r->easy && f->curl) sdk_curl_cancel(f->curl, r->easy);
    while (f->reqs) req_finish(f->reqs, NULL, "the scheduler is stopping");
    sdk_curl_free(f->curl);
    for (size_t i = 0; i < f->n_agents; i++) {
        free(f->agents[i]->id);
        free(f->agents[i]->url);
        free(f->agents[i]);
    }
    free(f->agents);
    sdk_strmap_free(&f->by_id);
    free(f);
}

void sdk_agent_files_note_offers(sdk_agent_files *f, const sdk_offer *offers, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!offers[i].agent_url || !offers[i].agent_id) continue;
        agent_entry *e = sdk_strmap_get(&f->by_id, offers[i].agent_id);
        if (e && !strcmp(e->url, offers[i].agent_url)) continue;
        if (!e) {
            e = sdk_xcalloc(1, sizeof *e);
            e->id = sdk_xstrdup(offers[i].agent_id);
            f->agents = sdk_xrealloc(f->agents, (f->n_agents + 1) * sizeof *f->agents);
            f->agents[f->n_agents++] = e;
            sdk_strmap_put(&f->by_id, e->id, e);
        }
        free(e->url);
        e->url = sdk_xstrdup(offers[i].agent_url);
    }
}

const char *sdk_agent_files_url(const sdk_agent_files *f, const char *agent_id) {
    agent_entry *e = f && agent_id ? sdk_strmap_get(&f->by_id, agent_id) : NULL;
    return e ? e->url : NULL;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    tail_req *r = ud;
    if (r->body.len > 4 * 1024 * 1024) return 0; /* an agent's state of a huge cluster: enough */
    sdk_buf_append(&r->body, p, size * n);
    return size * n;
}

static void on_done(sdk_curl *c, CURL *easy, CURLcode res, void *ud);

static int start(tail_req *r, char *url) {
    sdk_buf_reset(&r->body);
    r->easy = curl_easy_init();
    if (!r->easy) {
        free(url);
        return -1;
    }
    curl_easy_setopt(r->easy, CURLOPT_URL, url);
    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)AGENT_TIMEOUT_MS);
    curl_easy_setopt(r->easy, CURLOPT_ACCEPT_ENCODING, "");
    free(url);
    if (sdk_curl_add(r->owner->curl, r->easy, on_done, r)) {
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        return -1;
    }
    return 0;
}

static void on_done(sdk_curl *c, CURL *easy, CURLcode res, void *ud) {
    (void)c;
    tail_req *r = ud;
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(easy);
    r->easy = NULL;
    if (res != CURLE_OK || code != 200) {
        char *why = res != CURLE_OK ? sdk_asprintf_new("agent %s: %s", r->base, curl_easy_strerror(res))
                                    : sdk_asprintf_new("agent %s answered %ld", r->base, code);
        req_finish(r, NULL, why);
        free(why);
        return;
    }
    sdk_errors e;
    sdk_errors_init(&e);
    char *data = NULL;
    size_t n = 0;
    long long offset = 0;
    int rc = 0;
    switch (r->step) {
    case STEP_STATE: {
        char *dir = NULL;
        rc = sdk_sandbox_dir_from_state_new(r->body.data ? r->body.data : "", r->body.len, r->task_id, &dir, &e);
        if (rc) break;
        r->path = sdk_asprintf_new("%s/%s", dir, r->file);
        free(dir);
        r->step = STEP_SIZE;
        if (start(r, sdk_files_read_url_new(r->base, r->path, -1, -1))) sdk_errors_addf(&e, "cannot start a transfer"), rc = -1;
        break;
    }
    case STEP_SIZE:
        rc = sdk_files_read_parse_new(r->body.data ? r->body.data : "", r->body.len, &data, &n, &offset, &e);
        free(data);
        if (rc) break;
        r->step = STEP_READ;
        long long from = offset > TAIL_BYTES ? offset - TAIL_BYTES : 0;
        if (start(r, sdk_files_read_url_new(r->base, r->path, from, offset - from)))
            sdk_errors_addf(&e, "cannot start a transfer"), rc = -1;
        break;
    case STEP_READ: {
        rc = sdk_files_read_parse_new(r->body.data ? r->body.data : "", r->body.len, &data, &n, &offset, &e);
        if (rc) break;
        char *tail = sdk_tail_lines_new(data, n, r->n_lines);
        free(data);
        req_finish(r, tail, *tail ? NULL : "the file is empty");
        free(tail);
        sdk_errors_free(&e);
        return;
    }
    }
    if (rc) req_finish(r, NULL, e.n ? e.msgs[0] : "unreadable answer");
    sdk_errors_free(&e);
}

static void on_deferred(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    sdk_agent_files *f = ud;
    f->deferred = 0;
    /* requests that never started (no URL, no curl): answered here, after their caller returned */
    for (tail_req *r = f->reqs, *n; r; r = n) {
        n = r->next;
        if (!r->easy) req_finish(r, NULL, r->path ? r->path : "cannot reach the agent");
    }
}

void sdk_agent_files_tail(sdk_agent_files *f, const char *agent_id, const char *task_id, const char *file,
                          size_t n_lines, sdk_agent_tail_done done, void *arg) {
    tail_req *r = sdk_xcalloc(1, sizeof *r);
    r->owner = f;
    r->task_id = sdk_xstrdup(task_id);
    r->file = sdk_xstrdup(file);
    r->n_lines = n_lines;
    r->done = done;
    r->arg = arg;
    sdk_buf_init(&r->body);
    r->next = f->reqs;
    if (f->reqs) f->reqs->prev = r;
    f->reqs = r;
    const char *url = sdk_agent_files_url(f, agent_id);
    if (url && !f->curl && sdk_curl_new(f->loop, &f->curl)) f->curl = NULL;
    if (url && f->curl) {
        r->base = sdk_xstrdup(url);
        if (!start(r, sdk_asprintf_new("%s/state", url))) return;
    }
    /* path carries the reason until the deferred answer */
    r->path = url ? sdk_xstrdup("cannot start a transfer")
                  : sdk_asprintf_new("no offer named agent %s's address (Offer.url)", agent_id);
    if (!f->deferred) sdk_loop_timer_add(f->loop, 0, on_deferred, f, &f->deferred);
}
