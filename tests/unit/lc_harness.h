/* Client side of the local cluster tests: starts bin/localcluster on port 0 in a temporary work
 * dir, subscribes with libcurl (JSON or protobuf streams), sends calls and waits for events.
 * Shared by tests/unit/test_localcluster*.c (header-only: each test binary is one file).
 * The binary comes from $SDK_BIN_DIR (default bin/): build it with `make bin/localcluster`. */
#ifndef SDK_TESTS_LC_HARNESS_H
#define SDK_TESTS_LC_HARNESS_H
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/util/str.h"
#include "mesos/pbjson.h"
#include "mesos/proto/scheduler.pb-c.h"
#include "mesos/recordio.h"
#include "tests/unit/check.h"

static char g_workdir[256];
static pid_t g_pid;
static int g_port;

static inline uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ process */

static inline bool cluster_start(const char *extra, const char *resources) {
    const char *bin = getenv("SDK_BIN_DIR");
    char *path = sdk_asprintf_new("%s/localcluster", bin && *bin ? bin : "bin");
    int fds[2];
    if (pipe(fds) != 0) return false;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        char *cmd = sdk_asprintf_new("exec '%s' --port 0 --workdir '%s' --agents 2 --allocation-interval-ms 100 "
                                     "--agent-resources '%s' "
                                     "--agent-attributes 'zone:a;region:r;rack:r1' --agent-attributes 'zone:b;region:r;rack:r2' %s",
                                     path, g_workdir,
                                     resources ? resources : "cpus:4;mem:8192;disk:20000;ports:[10000-12000];cpus(slave_public):1",
                                     extra ? extra : "");
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    free(path);
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[512] = "";
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    char *p = strstr(line, "http://127.0.0.1:");
    if (!ok || !p) {
        fprintf(stderr, "localcluster did not start (%s)\n", line);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return false;
    }
    g_port = atoi(p + strlen("http://127.0.0.1:"));
    g_pid = pid;
    return true;
}

static inline void cluster_stop(void) {
    if (g_pid <= 0) return;
    kill(g_pid, SIGTERM);
    int st;
    waitpid(g_pid, &st, 0);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "localcluster exit status %d", st);
    g_pid = 0;
}

/* ------------------------------------------------------------------ HTTP calls */

typedef struct resp {
    long status;
    sdk_buf body;
    char allow[64], ctype[64];
} resp;

static inline size_t buf_write(char *p, size_t sz, size_t n, void *ud) {
    sdk_buf_append(ud, p, sz * n);
    return sz * n;
}

static inline void hdr_copy(CURL *e, const char *name, char *dst, size_t cap) {
    struct curl_header *h;
    dst[0] = 0;
    if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK) snprintf(dst, cap, "%s", h->value);
}

/* POST (or method) to path with up to 3 extra header lines. */
static inline void http(resp *r, const char *method, const char *path, const char *body, size_t len, const char *h1,
                 const char *h2, const char *h3) {
    memset(r, 0, sizeof *r);
    sdk_buf_init(&r->body);
    CURL *e = curl_easy_init();
    char *url = sdk_asprintf_new("http://127.0.0.1:%d%s", g_port, path);
    struct curl_slist *hs = curl_slist_append(NULL, "Expect:");
    if (h1) hs = curl_slist_append(hs, h1);
    if (h2) hs = curl_slist_append(hs, h2);
    if (h3) hs = curl_slist_append(hs, h3);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, buf_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
    if (body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    if (curl_easy_perform(e) == CURLE_OK) {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
        hdr_copy(e, "Allow", r->allow, sizeof r->allow);
        hdr_copy(e, "Content-Type", r->ctype, sizeof r->ctype);
    }
    curl_slist_free_all(hs);
    curl_easy_cleanup(e);
    free(url);
}

static inline const char *rbody(resp *r) { return r->body.data ? r->body.data : ""; }

/* ------------------------------------------------------------------ subscription stream */

typedef struct stream {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool json, done;
    long status;
    char stream_id[128], ctype[64];
    char *body;
    curl_socket_t sock;
    sdk_recordio_decoder dec;
    json_t **ev;
    bool *used;
    size_t n;
    char fw_id[128];
} stream;

static inline int on_record(const char *data, size_t len, void *ud) {
    stream *s = ud;
    json_t *j = NULL;
    if (s->json) j = json_loadb(data, len, 0, NULL);
    else {
        Mesos__V1__Scheduler__Event *ev = mesos__v1__scheduler__event__unpack(NULL, len, (const uint8_t *)data);
        if (ev) {
            j = sdk_pbjson_from_message_new(&ev->base);
            mesos__v1__scheduler__event__free_unpacked(ev, NULL);
        }
    }
    if (!j) j = json_pack("{s:s}", "type", "UNDECODABLE");
    pthread_mutex_lock(&s->mu);
    s->ev = sdk_xrealloc(s->ev, (s->n + 1) * sizeof *s->ev);
    s->used = sdk_xrealloc(s->used, (s->n + 1) * sizeof *s->used);
    s->ev[s->n] = j;
    s->used[s->n++] = false;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static inline size_t stream_write(char *p, size_t sz, size_t n, void *ud) {
    stream *s = ud;
    sdk_recordio_feed(&s->dec, p, sz * n, on_record, s, NULL);
    return sz * n;
}

static inline size_t stream_header(char *p, size_t sz, size_t n, void *ud) {
    stream *s = ud;
    size_t len = sz * n;
    if (len > 16 && !strncasecmp(p, "Mesos-Stream-Id:", 16)) {
        char *v = sdk_xstrndup(p + 16, len - 16);
        char *t = v;
        while (*t == ' ') t++;
        t[strcspn(t, "\r\n")] = 0;
        snprintf(s->stream_id, sizeof s->stream_id, "%s", t);
        free(v);
    }
    if (len > 13 && !strncasecmp(p, "Content-Type:", 13)) {
        char *v = sdk_xstrndup(p + 13, len - 13);
        char *t = v;
        while (*t == ' ') t++;
        t[strcspn(t, "\r\n")] = 0;
        snprintf(s->ctype, sizeof s->ctype, "%s", t);
        free(v);
    }
    return len;
}

static inline int on_sockopt(void *ud, curl_socket_t fd, curlsocktype purpose) {
    (void)purpose;
    ((stream *)ud)->sock = fd;
    return CURL_SOCKOPT_OK;
}

static inline void *stream_main(void *ud) {
    stream *s = ud;
    CURL *e = curl_easy_init();
    char *url = sdk_asprintf_new("http://127.0.0.1:%d/api/v1/scheduler", g_port);
    struct curl_slist *hs = curl_slist_append(NULL, "Content-Type: application/json");
    hs = curl_slist_append(hs, s->json ? "Accept: application/json" : "Accept: application/x-protobuf");
    hs = curl_slist_append(hs, "Expect:");
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, stream_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, stream_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, s);
    curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &s->status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(e);
    free(url);
    pthread_mutex_lock(&s->mu);
    s->done = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static inline stream *stream_open(const char *subscribe_json, bool json) {
    stream *s = sdk_xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->json = json;
    s->sock = CURL_SOCKET_BAD;
    s->body = sdk_xstrdup(subscribe_json);
    sdk_recordio_decoder_init(&s->dec, 0);
    pthread_create(&s->th, NULL, stream_main, s);
    return s;
}

static inline void stream_close(stream *s) {
    if (!s) return;
    pthread_mutex_lock(&s->mu);
    if (!s->done && s->sock != CURL_SOCKET_BAD) shutdown(s->sock, SHUT_RDWR);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    for (size_t i = 0; i < s->n; i++) json_decref(s->ev[i]);
    free(s->ev);
    free(s->used);
    free(s->body);
    sdk_recordio_decoder_free(&s->dec);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

/* Dotted path into JSON ("update.status.state", "offers.offers.0.id.value"). Borrowed. */
static inline json_t *jget(json_t *j, const char *path) {
    char *copy = sdk_xstrdup(path);
    for (char *save = NULL, *tok = strtok_r(copy, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save)) {
        if (json_is_array(j)) j = json_array_get(j, (size_t)atoi(tok));
        else j = json_object_get(j, tok);
    }
    free(copy);
    return j;
}

static inline const char *jstr(json_t *j, const char *path) { return json_string_value(jget(j, path)); }

typedef bool (*ev_pred)(json_t *ev, const void *arg);

/* Waits for the first unconsumed event of `type` (and pred, if given); marks it consumed.
 * Returns a borrowed reference valid until stream_close, or NULL after timeout_ms. */
static inline json_t *wait_event(stream *s, const char *type, ev_pred pred, const void *arg, int timeout_ms) {
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        for (size_t i = 0; i < s->n; i++) {
            if (s->used[i] || !sdk_streq(jstr(s->ev[i], "type"), type)) continue;
            if (pred && !pred(s->ev[i], arg)) continue;
            s->used[i] = true;
            json_t *j = s->ev[i];
            pthread_mutex_unlock(&s->mu);
            return j;
        }
        uint64_t now = now_ms();
        if (now >= deadline || s->done) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t wait = deadline - now > 50 ? 50 : deadline - now;
        ts.tv_nsec += (long)wait * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static inline bool pred_task_state(json_t *ev, const void *arg) {
    const char *const *want = arg; /* {task_id, state} */
    return sdk_streq(jstr(ev, "update.status.task_id.value"), want[0]) &&
           sdk_streq(jstr(ev, "update.status.state"), want[1]);
}

static inline json_t *wait_update(stream *s, const char *task, const char *state, int timeout_ms) {
    const char *arg[2] = {task, state};
    return wait_event(s, "UPDATE", pred_task_state, arg, timeout_ms);
}

static inline bool pred_offer_agent(json_t *ev, const void *arg) {
    size_t i;
    json_t *o;
    json_array_foreach(jget(ev, "offers.offers"), i, o) if (sdk_streq(jstr(o, "agent_id.value"), arg)) return true;
    return false;
}

/* Index of the offer on agent `aid` in an OFFERS event (0 when aid is NULL). */
static inline size_t offer_index(json_t *ev, const char *aid) {
    size_t i;
    json_t *o;
    json_array_foreach(jget(ev, "offers.offers"), i, o) if (!aid || sdk_streq(jstr(o, "agent_id.value"), aid)) return i;
    return 0;
}

/* Marks every event received so far as consumed. */
static inline void drain_events(stream *s) {
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n; i++) s->used[i] = true;
    pthread_mutex_unlock(&s->mu);
}

/* Sends a call as JSON with the stream's id; returns the HTTP status. */
static inline long scall(stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline long scall(stream *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *body = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    char *sid = sdk_asprintf_new("Mesos-Stream-Id: %s", s->stream_id);
    resp r;
    http(&r, "POST", "/api/v1/scheduler", body, strlen(body), "Content-Type: application/json", sid, NULL);
    if (r.status != 202) fprintf(stderr, "  call answered %ld: %s\n  (call: %s)\n", r.status, rbody(&r), body);
    sdk_buf_free(&r.body);
    free(sid);
    free(body);
    return r.status;
}

/* Subscribes (MULTI_ROLE + RESERVATION_REFINEMENT, role `role`) and waits for SUBSCRIBED. */
static inline stream *subscribe(const char *name, const char *role, const char *extra_caps, bool json) {
    char *body = sdk_asprintf_new("{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"%s\","
                                  "\"principal\":\"p-%s\",\"roles\":[\"%s\"],\"failover_timeout\":60,\"capabilities\":[{\"type\":\"MULTI_ROLE\"},"
                                  "{\"type\":\"RESERVATION_REFINEMENT\"}%s]}}}",
                                  name, name, role, extra_caps ? extra_caps : "");
    stream *s = stream_open(body, json);
    free(body);
    json_t *ev = wait_event(s, "SUBSCRIBED", NULL, NULL, 5000);
    CHECK(ev != NULL);
    if (ev) snprintf(s->fw_id, sizeof s->fw_id, "%s", jstr(ev, "subscribed.framework_id.value"));
    return s;
}

static inline void teardown(stream *s) {
    scall(s, "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"%s\"}}", s->fw_id);
    stream_close(s);
}

static inline void ack(stream *s, json_t *upd) {
    if (!upd || !jstr(upd, "update.status.uuid")) return;
    CHECK_INT(scall(s, "{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"%s\"},\"acknowledge\":{\"agent_id\":{\"value\":\"%s\"},"
                       "\"task_id\":{\"value\":\"%s\"},\"uuid\":\"%s\"}}",
                    s->fw_id, jstr(upd, "update.status.agent_id.value"), jstr(upd, "update.status.task_id.value"),
                    jstr(upd, "update.status.uuid")), 202);
}

static inline bool pred_task(json_t *ev, const void *arg) {
    return sdk_streq(jstr(ev, "update.status.task_id.value"), arg);
}

/* Acknowledges every update of `task` (they come one at a time: the next is only sent after
 * the ACK of the previous) until one in state `final`, which is returned (also ACKed). */
static inline json_t *ack_until(stream *s, const char *task, const char *final, int timeout_ms) {
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    while (now_ms() < deadline) {
        json_t *u = wait_event(s, "UPDATE", pred_task, task, (int)(deadline - now_ms()));
        if (!u) return NULL;
        ack(s, u);
        const char *st = jstr(u, "update.status.state");
        if (sdk_streq(st, final)) return u;
        if (!sdk_streq(st, "TASK_STARTING") && !sdk_streq(st, "TASK_RUNNING") && !sdk_streq(st, "TASK_KILLING")) {
            fprintf(stderr, "  task %s ended %s (%s) while waiting for %s\n", task, st,
                    jstr(u, "update.status.message") ? jstr(u, "update.status.message") : "", final);
            return NULL;
        }
    }
    return NULL;
}

static inline void decline0(stream *s, const char *oid) {
    scall(s, "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"%s\"},\"decline\":{\"offer_ids\":[{\"value\":\"%s\"}],"
             "\"filters\":{\"refuse_seconds\":0}}}", s->fw_id, oid);
}

/* Waits for an offer (optionally on agent `agent`), copies its id and agent id, and declines
 * (without filter) the other offers of the same event so they come back later. */
static inline json_t *get_offer(stream *s, const char *agent, char *oid, char *aid, int timeout_ms) {
    char want[128];
    snprintf(want, sizeof want, "%s", agent ? agent : "");
    json_t *ev = wait_event(s, "OFFERS", agent ? pred_offer_agent : NULL, want, timeout_ms);
    if (!ev) return NULL;
    size_t k = offer_index(ev, agent ? want : NULL), i;
    json_t *o;
    json_array_foreach(jget(ev, "offers.offers"), i, o) {
        if (i == k) {
            snprintf(oid, 128, "%s", jstr(o, "id.value"));
            snprintf(aid, 128, "%s", jstr(o, "agent_id.value"));
        } else decline0(s, jstr(o, "id.value"));
    }
    return ev;
}

static inline json_t *state_get(void) {
    resp r;
    http(&r, "GET", "/localcluster/state", NULL, 0, NULL, NULL, NULL);
    json_t *j = json_loads(rbody(&r), 0, NULL);
    sdk_buf_free(&r.body);
    return j;
}

/* JSON of a dynamically reserved scalar for role/principal with a resource_id label. */
static inline char *reserved(const char *name, double v, const char *role, const char *principal, const char *label) {
    return sdk_asprintf_new("{\"name\":\"%s\",\"type\":\"SCALAR\",\"scalar\":{\"value\":%g},\"allocation_info\":{\"role\":\"%s\"},"
                            "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"%s\",\"principal\":\"%s\",\"labels\":{\"labels\":"
                            "[{\"key\":\"resource_id\",\"value\":\"%s\"}]}}]}",
                            name, v, role, role, principal, label);
}

static inline char *executor_json(const char *fw, const char *id) {
    return sdk_asprintf_new("{\"type\":\"DEFAULT\",\"executor_id\":{\"value\":\"%s\"},\"framework_id\":{\"value\":\"%s\"},"
                            "\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1},\"allocation_info\":{\"role\":\"r\"}},"
                            "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":32},\"allocation_info\":{\"role\":\"r\"}},"
                            "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":10},\"allocation_info\":{\"role\":\"r\"}}]}",
                            id, fw);
}

#define UNRES(name, v) "{\"name\":\"" name "\",\"type\":\"SCALAR\",\"scalar\":{\"value\":" #v "},\"allocation_info\":{\"role\":\"r\"}}"

/* LAUNCH_GROUP of one task with `cmd` and extra TaskInfo fields, on unreserved resources. */
static inline long launch_simple(stream *s, const char *oid, const char *aid, const char *task, const char *cmd, const char *extra) {
    char *ex = executor_json(s->fw_id, task);
    long st = scall(s,
                    "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],"
                    "\"operations\":[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":%s,\"task_group\":{\"tasks\":[{"
                    "\"name\":\"%s\",\"task_id\":{\"value\":\"%s\"},\"agent_id\":{\"value\":\"%s\"},"
                    "\"resources\":[" UNRES("cpus", 0.1) "," UNRES("mem", 32) "],\"command\":{\"value\":\"%s\"}%s}]}}}],"
                    "\"filters\":{\"refuse_seconds\":0}}}",
                    s->fw_id, oid, ex, task, task, aid, cmd, extra ? extra : "");
    free(ex);
    return st;
}

/* Runs the binary with arguments; returns its exit status and stderr. */
static inline int run_lc(const char *args, char **err_out) {
    const char *bin = getenv("SDK_BIN_DIR");
    char *errf = sdk_asprintf_new("%s.err", g_workdir);
    char *cmd = sdk_asprintf_new("'%s/localcluster' %s 2>'%s' >/dev/null", bin && *bin ? bin : "bin", args, errf);
    int st = system(cmd);
    size_t len;
    *err_out = NULL;
    sdk_read_file_new(errf, err_out, &len);
    unlink(errf);
    free(cmd);
    free(errf);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
#endif
