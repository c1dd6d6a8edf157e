/* Leading-master detection: fixed URLs and ZooKeeper groups (see detect.h).
 *
 * ZooKeeper threading: libzookeeper-mt calls watchers and completions on its own completion
 * thread. Those functions only copy what they got into a `zk_post` and sdk_loop_post it; all
 * decisions happen on the loop thread. Each post holds a reference on the detector so a post
 * that runs after sdk_master_detector_free finds a live (but dead-flagged) struct; each post
 * also carries the generation of the ZooKeeper handle it came from, so completions of a
 * closed (expired) handle are ignored. */
#include "core/mesos/detect.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

#include "core/util/log.h"
#include "core/util/str.h"
#include "mesos/proto/mesos.pb-c.h"

#define MOD "mesos.detect"
#define ZK_SESSION_TIMEOUT_MS 10000
#define ZK_RETRY_MS 1000

/* Per-handle context given to libzookeeper (watcher and completions). Freed after
 * zookeeper_close returned, when no ZooKeeper thread can use it any more. */
typedef struct zk_handle_ctx {
    sdk_master_detector *d;
    unsigned gen;
} zk_handle_ctx;

/* Context of one zoo_aget: which member is being read. */
typedef struct zk_get_ctx {
    zk_handle_ctx *h;
    char *name;
} zk_get_ctx;

enum { POST_SESSION, POST_CHILD_WATCH, POST_CHILDREN, POST_DATA };

typedef struct zk_post {
    sdk_master_detector *d;
    unsigned gen;
    int kind;
    int rc;           /* completion rc, or session state for POST_SESSION */
    char **names;     /* POST_CHILDREN */
    size_t n_names;
    char *name;       /* POST_DATA: member read */
    char *data;       /* POST_DATA */
    size_t len;
} zk_post;

struct sdk_master_detector {
    sdk_loop *loop;
    sdk_master_changed_cb cb;
    void *ud;
    char *spec;
    char *fixed;         /* fixed URL, or NULL for ZooKeeper */
    sdk_zk_url zk;
    zhandle_t *zh;
    zk_handle_ctx *hctx;
    unsigned gen;
    int refs;            /* owner + pending posts (atomic) */
    bool dead, started;
    bool listing, relist;
    char *want;          /* member whose data is being read */
    char *leader;
    uint64_t timer;      /* fixed notify or retry timer; 0 = none */
};

/* ------------------------------------------------------------------ parsing */

void sdk_zk_url_free(sdk_zk_url *u) {
    if (!u) return;
    free(u->servers);
    free(u->auth);
    free(u->path);
    memset(u, 0, sizeof *u);
}

static char *trim_new(const char *s) {
    while (*s && isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) n--;
    return sdk_xstrndup(s, n);
}

int sdk_zk_url_parse(const char *url, sdk_zk_url *out, sdk_errors *errs) {
    memset(out, 0, sizeof *out);
    char *s = trim_new(url ? url : "");
    int rc = SDK_EINVAL;
    if (!sdk_str_starts(s, "zk://")) {
        sdk_errors_addf(errs, "master '%s': a ZooKeeper URL starts with zk://", s);
        goto out;
    }
    const char *rest = s + 5;
    const char *at = strrchr(rest, '@');
    const char *slash = strchr(at ? at : rest, '/');
    if (!slash) {
        sdk_errors_addf(errs, "master '%s': expecting a (chroot) path after the servers, e.g. zk://host:2181/mesos", s);
        goto out;
    }
    if (!strcmp(slash, "/")) {
        sdk_errors_addf(errs, "master '%s': expecting a (chroot) path for ZooKeeper ('/' is not supported)", s);
        goto out;
    }
    const char *servers = at ? at + 1 : rest;
    if (slash == servers) {
        sdk_errors_addf(errs, "master '%s': no ZooKeeper server before the path", s);
        goto out;
    }
    if (at) {
        out->auth = sdk_xstrndup(rest, (size_t)(at - rest));
        if (!strchr(out->auth, ':')) {
            sdk_errors_addf(errs, "master '%s': credentials must be user:password", s);
            sdk_zk_url_free(out);
            goto out;
        }
    }
    out->servers = sdk_xstrndup(servers, (size_t)(slash - servers));
    out->path = sdk_xstrdup(slash);
    if (sdk_str_ends(out->path, "/")) out->path[strlen(out->path) - 1] = '\0';
    rc = 0;
out:
    free(s);
    return rc;
}

/* host:port syntax check: non-empty host, decimal port 1..65535. */
static bool host_port_ok(const char *hp) {
    const char *colon = strrchr(hp, ':');
    if (!colon || colon == hp || !colon[1]) return false;
    char *end = NULL;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || *end || p <= 0 || p > 65535) return false;
    for (const char *c = hp; c < colon; c++)
        if (isspace((unsigned char)*c) || *c == '/' || *c == '@') return false;
    return true;
}

int sdk_master_fixed_url_new(const char *spec, char **url, sdk_errors *errs) {
    *url = NULL;
    char *s = trim_new(spec ? spec : "");
    const char *scheme = "http";
    const char *hp = s;
    if (sdk_str_starts(s, "http://")) hp = s + 7;
    else if (sdk_str_starts(s, "https://")) { hp = s + 8; scheme = "https"; }
    else if (sdk_str_starts(s, "master@")) hp = s + 7;
    char *authority = sdk_xstrndup(hp, strcspn(hp, "/"));
    int rc = SDK_EINVAL;
    if (strstr(s, "://") && hp == s)
        sdk_errors_addf(errs, "master '%s': unsupported scheme (use http://host:port, https://host:port or zk://...)", s);
    else if (!host_port_ok(authority))
        sdk_errors_addf(errs, "master '%s': expecting host:port (e.g. http://127.0.0.1:5050)", s);
    else {
        *url = sdk_asprintf_new("%s://%s", scheme, authority);
        rc = 0;
    }
    free(authority);
    free(s);
    return rc;
}

/* "master@10.0.0.5:5050" (or a bare "ip:port") -> URL. */
static int url_from_pid(const char *pid, char **url) {
    const char *at = strchr(pid, '@');
    const char *hp = at ? at + 1 : pid;
    if (!host_port_ok(hp)) return SDK_EINVAL;
    *url = sdk_asprintf_new("http://%s", hp);
    return 0;
}

/* The deprecated packed ip: network-order bytes read as a little-endian integer. */
static char *ip_text_new(uint32_t ip) {
    return sdk_asprintf_new("%u.%u.%u.%u", ip & 0xff, (ip >> 8) & 0xff, (ip >> 16) & 0xff, ip >> 24);
}

static int url_from_fields(const char *addr_ip, const char *addr_host, long long addr_port, const char *pid,
                           const char *hostname, bool has_ip, uint32_t ip, long long port, char **url) {
    if ((addr_ip || addr_host) && addr_port > 0 && addr_port <= 65535) {
        *url = sdk_asprintf_new("http://%s:%lld", addr_ip && *addr_ip ? addr_ip : addr_host, addr_port);
        return 0;
    }
    if (pid && url_from_pid(pid, url) == 0) return 0;
    if (port <= 0 || port > 65535) return SDK_EINVAL;
    if (hostname && *hostname) {
        *url = sdk_asprintf_new("http://%s:%lld", hostname, port);
        return 0;
    }
    if (has_ip && ip) {
        char *t = ip_text_new(ip);
        *url = sdk_asprintf_new("http://%s:%lld", t, port);
        free(t);
        return 0;
    }
    return SDK_EINVAL;
}

static const char *jstr(const json_t *o, const char *k) {
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int sdk_master_info_url_new(const char *label, const void *data, size_t len, char **url, sdk_errors *errs) {
    *url = NULL;
    if (!strcmp(label, "json.info")) {
        json_error_t je;
        json_t *j = json_loadb(data, len, 0, &je);
        if (!json_is_object(j)) {
            sdk_errors_addf(errs, "MasterInfo JSON: %s", j ? "not an object" : je.text);
            json_decref(j);
            return SDK_EINVAL;
        }
        const json_t *addr = json_object_get(j, "address");
        const json_t *ap = json_object_get(addr, "port");
        const json_t *ip = json_object_get(j, "ip");
        const json_t *port = json_object_get(j, "port");
        int rc = url_from_fields(jstr(addr, "ip"), jstr(addr, "hostname"),
                                 json_is_integer(ap) ? (long long)json_integer_value(ap) : -1, jstr(j, "pid"),
                                 jstr(j, "hostname"), json_is_integer(ip),
                                 json_is_integer(ip) ? (uint32_t)json_integer_value(ip) : 0,
                                 json_is_integer(port) ? (long long)json_integer_value(port) : 5050, url);
        json_decref(j);
        if (rc) sdk_errors_addf(errs, "MasterInfo JSON: no usable address (address.ip/hostname + port, pid, hostname or ip)");
        return rc;
    }
    if (!strcmp(label, "info")) {
        Mesos__V1__MasterInfo *mi = mesos__v1__master_info__unpack(NULL, len, data);
        if (!mi) {
            sdk_errors_addf(errs, "MasterInfo protobuf: cannot decode %zu bytes", len);
            return SDK_EINVAL;
        }
        const Mesos__V1__Address *a = mi->address;
        int rc = url_from_fields(a ? a->ip : NULL, a ? a->hostname : NULL, a ? a->port : -1, mi->pid, mi->hostname,
                                 true, mi->ip, mi->port, url);
        mesos__v1__master_info__free_unpacked(mi, NULL);
        if (rc) sdk_errors_addf(errs, "MasterInfo protobuf: no usable address");
        return rc;
    }
    if (!*label) {
        char *pid = sdk_xstrndup(data, len);
        int rc = url_from_pid(pid, url);
        if (rc) sdk_errors_addf(errs, "master PID '%s': expecting master@ip:port", pid);
        free(pid);
        return rc;
    }
    sdk_errors_addf(errs, "unknown master group label '%s'", label);
    return SDK_EINVAL;
}

/* Group member name -> sequence and label; false for non-members ("log_replicas"). */
static bool member_parse(const char *name, uint64_t *seq, char **label) {
    const char *us = strrchr(name, '_');
    const char *digits = us ? us + 1 : name;
    if (!*digits) return false;
    for (const char *c = digits; *c; c++)
        if (!isdigit((unsigned char)*c)) return false;
    errno = 0;
    unsigned long long v = strtoull(digits, NULL, 10);
    if (errno) return false;
    *seq = v;
    if (label) *label = us ? sdk_xstrndup(name, (size_t)(us - name)) : sdk_xstrdup("");
    return true;
}

/* ------------------------------------------------------------------ lifetime */

static void ref(sdk_master_detector *d) { __atomic_add_fetch(&d->refs, 1, __ATOMIC_SEQ_CST); }

static void destroy(sdk_master_detector *d) {
    free(d->spec);
    free(d->fixed);
    sdk_zk_url_free(&d->zk);
    free(d->want);
    free(d->leader);
    free(d);
}

static void unref(sdk_master_detector *d) {
    if (__atomic_sub_fetch(&d->refs, 1, __ATOMIC_SEQ_CST) == 0) destroy(d);
}

static void set_leader(sdk_master_detector *d, const char *url) {
    if (sdk_streq(d->leader, url)) return;
    SDK_INFO(MOD, "%s: leading master %s%s", d->spec, url ? "is " : "unknown", url ? url : "");
    free(d->leader);
    d->leader = sdk_xstrdup(url);
    if (d->cb) d->cb(d->ud, d->leader);
}

/* ------------------------------------------------------------------ ZooKeeper thread side */

static void detect_on_post(sdk_loop *l, void *ud);

static void post(zk_post *p) {
    ref(p->d);
    if (sdk_loop_post(p->d->loop, detect_on_post, p) != 0) {
        /* Cannot happen (fn is non-NULL); keep the reference balanced anyway. */
        unref(p->d);
        free(p);
    }
}

static zk_post *post_new(zk_handle_ctx *h, int kind, int rc) {
    zk_post *p = sdk_xcalloc(1, sizeof *p);
    p->d = h->d;
    p->gen = h->gen;
    p->kind = kind;
    p->rc = rc;
    return p;
}

static void zk_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh;
    (void)path;
    zk_handle_ctx *h = ctx;
    if (type == ZOO_SESSION_EVENT) post(post_new(h, POST_SESSION, state));
    else post(post_new(h, POST_CHILD_WATCH, 0));
}

static void zk_children_done(int rc, const struct String_vector *sv, const void *data) {
    zk_post *p = post_new((zk_handle_ctx *)data, POST_CHILDREN, rc);
    if (rc == ZOK && sv && sv->count > 0) {
        p->n_names = (size_t)sv->count;
        p->names = sdk_xcalloc(p->n_names, sizeof *p->names);
        for (size_t i = 0; i < p->n_names; i++) p->names[i] = sdk_xstrdup(sv->data[i]);
    }
    post(p);
}

static void zk_data_done(int rc, const char *value, int value_len, const struct Stat *stat, const void *data) {
    (void)stat;
    zk_get_ctx *g = (zk_get_ctx *)data;
    zk_post *p = post_new(g->h, POST_DATA, rc);
    p->name = g->name;
    if (rc == ZOK && value && value_len > 0) {
        p->len = (size_t)value_len;
        p->data = sdk_xstrndup(value, p->len);
    }
    free(g);
    post(p);
}

/* ------------------------------------------------------------------ loop side */

static void zk_open(sdk_master_detector *d);
static void zk_list(sdk_master_detector *d);

static void retry_fire(sdk_loop *l, uint64_t id, void *ud) {
    (void)l;
    (void)id;
    sdk_master_detector *d = ud;
    d->timer = 0;
    if (!d->zh) zk_open(d);
    else zk_list(d);
}

static void retry_later(sdk_master_detector *d) {
    if (d->timer) return;
    sdk_loop_timer_add(d->loop, ZK_RETRY_MS, retry_fire, d, &d->timer);
}

static void zk_close(sdk_master_detector *d) {
    if (!d->zh) return;
    zhandle_t *zh = d->zh;
    zk_handle_ctx *h = d->hctx;
    d->zh = NULL;
    d->hctx = NULL;
    d->gen++;
    d->listing = d->relist = false;
    /* Flushes pending completions (they post with the old generation) and joins the threads. */
    zookeeper_close(zh);
    free(h);
}

static void zk_open(sdk_master_detector *d) {
    d->hctx = sdk_xcalloc(1, sizeof *d->hctx);
    d->hctx->d = d;
    d->hctx->gen = ++d->gen;
    d->zh = zookeeper_init(d->zk.servers, zk_watcher, ZK_SESSION_TIMEOUT_MS, NULL, d->hctx, 0);
    if (!d->zh) {
        SDK_ERROR(MOD, "%s: cannot create a ZooKeeper handle for '%s': %s; retrying", d->spec, d->zk.servers,
                  strerror(errno));
        free(d->hctx);
        d->hctx = NULL;
        retry_later(d);
        return;
    }
    if (d->zk.auth) {
        int rc = zoo_add_auth(d->zh, "digest", d->zk.auth, (int)strlen(d->zk.auth), NULL, NULL);
        if (rc != ZOK) SDK_WARN(MOD, "%s: adding digest credentials failed: %s", d->spec, zerror(rc));
    }
}

static void zk_list(sdk_master_detector *d) {
    if (!d->zh) return;
    if (d->listing) {
        d->relist = true;
        return;
    }
    int rc = zoo_awget_children(d->zh, d->zk.path, zk_watcher, d->hctx, zk_children_done, d->hctx);
    if (rc != ZOK) {
        SDK_WARN(MOD, "%s: listing %s failed: %s; retrying", d->spec, d->zk.path, zerror(rc));
        retry_later(d);
        return;
    }
    d->listing = true;
}

static void on_children(sdk_master_detector *d, zk_post *p) {
    d->listing = false;
    if (d->relist) {
        d->relist = false;
        zk_list(d);
        return;
    }
    if (p->rc != ZOK) {
        if (p->rc == ZNONODE) SDK_WARN(MOD, "%s: group %s does not exist (yet): no leading master", d->spec, d->zk.path);
        else SDK_WARN(MOD, "%s: listing %s failed: %s", d->spec, d->zk.path, zerror(p->rc));
        if (p->rc == ZNONODE) set_leader(d, NULL);
        retry_later(d);
        return;
    }
    const char *best = NULL;
    uint64_t best_seq = 0;
    for (size_t i = 0; i < p->n_names; i++) {
        uint64_t seq;
        if (!member_parse(p->names[i], &seq, NULL)) continue;
        if (!best || seq < best_seq) {
            best = p->names[i];
            best_seq = seq;
        }
    }
    if (!best) {
        free(d->want);
        d->want = NULL;
        set_leader(d, NULL);
        return;
    }
    free(d->want);
    d->want = sdk_xstrdup(best);
    zk_get_ctx *g = sdk_xcalloc(1, sizeof *g);
    g->h = d->hctx;
    g->name = sdk_xstrdup(best);
    char *path = sdk_asprintf_new("%s/%s", d->zk.path, best);
    int rc = zoo_aget(d->zh, path, 0, zk_data_done, g);
    free(path);
    if (rc != ZOK) {
        SDK_WARN(MOD, "%s: reading %s/%s failed: %s; retrying", d->spec, d->zk.path, best, zerror(rc));
        free(g->name);
        free(g);
        retry_later(d);
    }
}

static void on_data(sdk_master_detector *d, zk_post *p) {
    if (!sdk_streq(p->name, d->want)) return; /* a newer listing chose another member */
    if (p->rc == ZNONODE) {                   /* the leader just left: look again */
        zk_list(d);
        return;
    }
    if (p->rc != ZOK) {
        SDK_WARN(MOD, "%s: reading %s/%s failed: %s; retrying", d->spec, d->zk.path, p->name, zerror(p->rc));
        retry_later(d);
        return;
    }
    uint64_t seq;
    char *label = NULL;
    member_parse(p->name, &seq, &label);
    sdk_errors errs;
    sdk_errors_init(&errs);
    char *url = NULL;
    if (sdk_master_info_url_new(label, p->data ? p->data : "", p->len, &url, &errs) == 0) {
        set_leader(d, url);
    } else {
        SDK_ERROR(MOD, "%s: leader node %s/%s is unusable: %s", d->spec, d->zk.path, p->name,
                  errs.n ? errs.msgs[0] : "?");
        set_leader(d, NULL);
    }
    sdk_errors_free(&errs);
    free(url);
    free(label);
}

static void on_session(sdk_master_detector *d, int state) {
    if (state == ZOO_CONNECTED_STATE) {
        SDK_DEBUG(MOD, "%s: ZooKeeper session connected", d->spec);
        zk_list(d);
    } else if (state == ZOO_EXPIRED_SESSION_STATE) {
        SDK_WARN(MOD, "%s: ZooKeeper session expired; reconnecting", d->spec);
        zk_close(d);
        zk_open(d);
    } else if (state == ZOO_AUTH_FAILED_STATE) {
        SDK_ERROR(MOD, "%s: ZooKeeper authentication failed; check the credentials of the zk:// URL", d->spec);
    } else {
        /* CONNECTING / ASSOCIATING: connection loss; keep the last leader until expiry. */
        SDK_DEBUG(MOD, "%s: ZooKeeper connection state %d", d->spec, state);
    }
}

static void detect_on_post(sdk_loop *l, void *ud) {
    (void)l;
    zk_post *p = ud;
    sdk_master_detector *d = p->d;
    if (!d->dead && p->gen == d->gen && d->zh) {
        switch (p->kind) {
        case POST_SESSION: on_session(d, p->rc); break;
        case POST_CHILD_WATCH: zk_list(d); break;
        case POST_CHILDREN: on_children(d, p); break;
        case POST_DATA: on_data(d, p); break;
        }
    }
    for (size_t i = 0; i < p->n_names; i++) free(p->names[i]);
    free(p->names);
    free(p->name);
    free(p->data);
    free(p);
    unref(d);
}

/* ------------------------------------------------------------------ public */

int sdk_master_detector_new(sdk_loop *loop, const char *spec, sdk_master_changed_cb cb, void *ud,
                            sdk_master_detector **out, sdk_errors *errs) {
    *out = NULL;
    sdk_master_detector *d = sdk_xcalloc(1, sizeof *d);
    d->loop = loop;
    d->cb = cb;
    d->ud = ud;
    d->refs = 1;
    d->spec = trim_new(spec ? spec : "");
    sdk_errors local;
    sdk_errors_init(&local);
    int rc = sdk_str_starts(d->spec, "zk://") ? sdk_zk_url_parse(d->spec, &d->zk, &local)
                                              : sdk_master_fixed_url_new(d->spec, &d->fixed, &local);
    if (errs) sdk_errors_extend(errs, &local);
    sdk_errors_free(&local);
    if (rc) {
        destroy(d);
        return rc;
    }
    *out = d;
    return 0;
}

static void fixed_fire(sdk_loop *l, uint64_t id, void *ud) {
    (void)l;
    (void)id;
    sdk_master_detector *d = ud;
    d->timer = 0;
    set_leader(d, d->fixed);
}

int sdk_master_detector_start(sdk_master_detector *d) {
    if (d->started) return SDK_ESTATE;
    d->started = true;
    if (d->fixed) return sdk_loop_timer_add(d->loop, 0, fixed_fire, d, &d->timer);
    static bool log_level_set;
    if (!log_level_set) {
        /* The C client logs every connection attempt at INFO on stderr; our own log says enough. */
        zoo_set_debug_level(sdk_log_get_level() == SDK_LOG_DEBUG ? ZOO_LOG_LEVEL_INFO : ZOO_LOG_LEVEL_ERROR);
        log_level_set = true;
    }
    zk_open(d);
    return 0;
}

const char *sdk_master_detector_leader(const sdk_master_detector *d) { return d->leader; }

bool sdk_master_detector_is_zk(const sdk_master_detector *d) { return d->fixed == NULL; }

void sdk_master_detector_free(sdk_master_detector *d) {
    if (!d) return;
    d->dead = true;
    if (d->timer) sdk_loop_timer_cancel(d->loop, d->timer);
    d->timer = 0;
    zk_close(d);
    unref(d);
}
