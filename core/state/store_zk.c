/* The ZooKeeper backend (layout, transaction and session policy in store_zk.h). */
#define THREADED 1
#include "core/state/store_zk.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include "core/state/tree.h"
#include "core/state/zk_readall.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "core/util/uuid.h"

#define MOD "state"
#define LOCK_NAME "lock"
#define BLOBS_NAME "__sdk_blobs"
#define MAGIC "\0sdk-blob-v1\0"
#define MAGIC_LEN 13u
#define OP_OVERHEAD 64u /* per op in a multi: header, lengths, version, ACL */
#define RESOLVE_DELAY_MS 5000
#define LOAD_HELPERS 3            /* extra sessions for a big load (see struct walk) */
#define LOAD_HELPERS_AFTER 4096u  /* requests issued before they are started */

/* ---- state shared with ZooKeeper threads and posted closures (refcounted) ---- */

typedef struct zk_shared {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    bool alive;     /* the store is open: closures may call on_lost */
    bool opened;    /* open finished: later disconnects are losses */
    bool connected; /* seen ZOO_CONNECTED_STATE, and not disconnected since */
    bool notified;
    /* A lost connection after open (not yet a lost session): the client reconnects by itself.
     * The session is given up once the connection stayed down for session_ms. */
    bool disconnected;
    struct timespec down_since; /* monotonic */
    int session_ms;
    bool timer_armed; /* an expiry timer on the loop holds a reference */
    uint64_t timer_id;
    atomic_bool lost;
    char why[160];
    sdk_loop *loop;
    sdk_store_zk_lost_cb cb;
    void *ud;
} zk_shared;

static void shared_unref(zk_shared *sh) {
    pthread_mutex_lock(&sh->mu);
    int left = --sh->refs;
    pthread_mutex_unlock(&sh->mu);
    if (left) return;
    pthread_mutex_destroy(&sh->mu);
    pthread_cond_destroy(&sh->cv);
    free(sh);
}

static void lost_post_cb(sdk_loop *l, void *ud) {
    (void)l;
    zk_shared *sh = ud;
    pthread_mutex_lock(&sh->mu);
    bool call = sh->alive && sh->cb;
    char why[sizeof sh->why];
    memcpy(why, sh->why, sizeof why);
    pthread_mutex_unlock(&sh->mu);
    if (call) sh->cb(sh->ud, why); /* loop thread: the store cannot be closed concurrently */
    shared_unref(sh);
}

/* Marks the session lost (idempotent) and notifies once. Any thread. */
static void mark_lost(zk_shared *sh, const char *why) {
    pthread_mutex_lock(&sh->mu);
    bool first = !atomic_load(&sh->lost);
    if (first) {
        snprintf(sh->why, sizeof sh->why, "%s", why);
        atomic_store(&sh->lost, true);
    }
    bool notify = first && sh->opened && sh->alive && sh->cb && !sh->notified;
    if (notify) sh->notified = true;
    if (notify && sh->loop) sh->refs++;
    pthread_mutex_unlock(&sh->mu);
    if (!notify) return;
    SDK_ERROR(MOD, "ZooKeeper session lost (%s): commits are refused from now on", why);
    if (sh->loop)
        sdk_loop_post(sh->loop, lost_post_cb, sh);
    else
        sh->cb(sh->ud, why);
}

static long ms_since(const struct timespec *t) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Milliseconds left before a connection down since sh->down_since must be taken for a lost
 * session (<= 0: now). Under sh->mu. */
static long down_left_ms(const zk_shared *sh) { return sh->session_ms - ms_since(&sh->down_since); }

#define DOWN_TOO_LONG "disconnected from ZooKeeper for longer than the session timeout"

/* Loop thread: the connection has been down for the session timeout (or came back). */
static void expiry_timer_cb(sdk_loop *l, uint64_t id, void *ud) {
    (void)id;
    zk_shared *sh = ud;
    pthread_mutex_lock(&sh->mu);
    sh->timer_armed = false;
    bool expire = sh->alive && sh->disconnected && down_left_ms(sh) <= 0;
    long left = sh->alive && sh->disconnected && !expire ? down_left_ms(sh) : -1;
    if (left > 0 && sdk_loop_timer_add(l, (uint64_t)left, expiry_timer_cb, sh, &sh->timer_id) == 0) {
        sh->timer_armed = true; /* keeps the reference */
        pthread_mutex_unlock(&sh->mu);
        return;
    }
    pthread_mutex_unlock(&sh->mu);
    if (expire) mark_lost(sh, DOWN_TOO_LONG);
    shared_unref(sh);
}

/* Loop thread: arms the expiry timer for a disconnection (posted by the watcher). */
static void arm_expiry_cb(sdk_loop *l, void *ud) {
    zk_shared *sh = ud;
    pthread_mutex_lock(&sh->mu);
    bool arm = sh->alive && sh->disconnected && !sh->timer_armed;
    long left = arm ? down_left_ms(sh) : 0;
    if (arm && sdk_loop_timer_add(l, left > 0 ? (uint64_t)left : 0, expiry_timer_cb, sh, &sh->timer_id) == 0) {
        sh->timer_armed = true; /* the posted reference passes to the timer */
        pthread_mutex_unlock(&sh->mu);
        return;
    }
    pthread_mutex_unlock(&sh->mu);
    shared_unref(sh);
}

/* Session policy (store_zk.h): a lost connection is not a lost session. The C client reconnects
 * by itself (ZOO_CONNECTING_STATE, then ZOO_CONNECTED_STATE with the same session); only
 * ZOO_EXPIRED_SESSION_STATE, a failed authentication, or a connection down for the whole
 * session timeout (the server has expired the session by then, or will as soon as it runs:
 * it only says so once reached again) lose it. */
static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh, (void)path;
    zk_shared *sh = ctx;
    if (type != ZOO_SESSION_EVENT) return;
    if (state == ZOO_CONNECTED_STATE) {
        pthread_mutex_lock(&sh->mu);
        bool was_down = sh->disconnected;
        long down = was_down ? ms_since(&sh->down_since) : 0;
        sh->connected = true;
        sh->disconnected = false;
        pthread_cond_broadcast(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
        if (was_down) SDK_WARN(MOD, "reconnected to ZooKeeper after %ld ms; same session, lock kept", down);
        return;
    }
    pthread_mutex_lock(&sh->mu);
    bool opened = sh->opened;
    bool newly_down = false;
    if (opened && (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE)) {
        sh->connected = false;
        if (!sh->disconnected) {
            sh->disconnected = newly_down = true;
            clock_gettime(CLOCK_MONOTONIC, &sh->down_since);
            if (sh->loop && sh->alive) sh->refs++;
        }
    }
    bool post = newly_down && sh->loop && sh->alive;
    int session_ms = sh->session_ms;
    pthread_mutex_unlock(&sh->mu);
    if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE) {
        if (newly_down)
            SDK_WARN(MOD, "lost the connection to ZooKeeper; reconnecting (writes wait; the session "
                          "is given up after %d ms without a connection)", session_ms);
        if (post && sdk_loop_post(sh->loop, arm_expiry_cb, sh) != 0) shared_unref(sh);
        return;
    }
    if (!opened && state != ZOO_EXPIRED_SESSION_STATE && state != ZOO_AUTH_FAILED_STATE) return;
    mark_lost(sh, state == ZOO_EXPIRED_SESSION_STATE ? "session expired"
                  : state == ZOO_AUTH_FAILED_STATE  ? "authentication failed"
                                                    : "connection closed");
}

/* ---- batches of asynchronous requests, waited for with a deadline ---- */

typedef struct zreq {
    struct zbatch *b;
    int rc;
    char *data; /* get: a copy of the data */
    int len;
    struct Stat stat;
    char **kids; /* get-children */
    int nkids;
} zreq;

typedef struct zbatch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs, pending;
    zreq *r;
    size_t n;
    /* multi */
    int mrc;
    zoo_op_result_t *mres;
    struct Stat *mstat;
    char (*mbuf)[8];
} zbatch;

static zbatch *batch_new(size_t n) {
    zbatch *b = sdk_xcalloc(1, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cv, &ca);
    pthread_condattr_destroy(&ca);
    b->refs = 1;
    b->n = n;
    b->r = sdk_xcalloc(n ? n : 1, sizeof *b->r);
    for (size_t i = 0; i < n; i++) b->r[i].b = b;
    return b;
}

static void batch_free(zbatch *b) {
    for (size_t i = 0; i < b->n; i++) {
        free(b->r[i].data);
        for (int k = 0; k < b->r[i].nkids; k++) free(b->r[i].kids[k]);
        free(b->r[i].kids);
    }
    free(b->r);
    free(b->mres);
    free(b->mstat);
    free(b->mbuf);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b);
}

/* One request of b was issued. */
static void batch_issue(zbatch *b) {
    pthread_mutex_lock(&b->mu);
    b->refs++;
    b->pending++;
    pthread_mutex_unlock(&b->mu);
}

/* One request of b completed (any thread). */
static void batch_done(zbatch *b) {
    pthread_mutex_lock(&b->mu);
    int left = --b->refs;
    if (--b->pending == 0) pthread_cond_broadcast(&b->cv); /* only the last one wakes the waiter */
    pthread_mutex_unlock(&b->mu);
    if (!left) batch_free(b);
}

/* Waits until every issued request completed or timeout_ms passed. Returns true when complete.
 * On timeout the batch is abandoned to its completions (the caller must not touch it) */
static bool batch_wait(zbatch *b, int timeout_ms) {
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) dl.tv_sec++, dl.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&b->mu);
    int rc = 0;
    while (b->pending > 0 && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&b->cv, &b->mu, &dl);
    bool done = b->pending == 0;
    pthread_mutex_unlock(&b->mu);
    return done;
}

/* Drops the caller's reference (after a successful wait, or to abandon after a timeout). */
static void batch_release(zbatch *b) {
    pthread_mutex_lock(&b->mu);
    int left = --b->refs;
    pthread_mutex_unlock(&b->mu);
    if (!left) batch_free(b);
}

static void get_cb(int rc, const char *value, int value_len, const struct Stat *stat,
                   const void *data) {
    zreq *r = (zreq *)data;
    r->rc = rc;
    if (rc == ZOK) {
        r->len = value && value_len > 0 ? value_len : 0;
        r->data = sdk_xmalloc((size_t)r->len + 1);
        if (r->len) memcpy(r->data, value, (size_t)r->len);
        r->data[r->len] = 0;
        if (stat) r->stat = *stat;
    }
    batch_done(r->b);
}

static void kids_cb(int rc, const struct String_vector *sv, const void *data) {
    zreq *r = (zreq *)data;
    r->rc = rc;
    if (rc == ZOK && sv && sv->count > 0) {
        r->kids = sdk_xmalloc((size_t)sv->count * sizeof *r->kids);
        for (int i = 0; i < sv->count; i++) r->kids[i] = sdk_xstrdup(sv->data[i]);
        r->nkids = sv->count;
    }
    batch_done(r->b);
}

static void void_cb(int rc, const void *data) {
    zreq *r = (zreq *)data;
    r->rc = rc;
    batch_done(r->b);
}

static void multi_cb(int rc, const void *data) {
    zbatch *b = (zbatch *)data;
    b->mrc = rc;
    batch_done(b);
}

/* ---- the store ---- */

typedef struct zk_store {
    zhandle_t *zh;
    zk_shared *sh;
    char *servers, *auth, *root, *desc;
    const struct ACL_vector *acl;
    int op_timeout_ms, session_ms;
    int load_helpers;
    bool bulk_read;   /* load through read-only multis (zk_readall.h) while the server allows */
    bool read_only;
    size_t inline_max, chunk_size, max_request;
    sdk_store_zk_stats *stats;
    void (*after_request)(void *);
    void *after_request_ud;
    int root_version;
    bool blobs_dir; /* __sdk_blobs exists */
    sdk_tree cache; /* logical path -> value */
    sdk_tree ptrs;  /* logical path -> pointer data of its blob ("" = inline) */
} zk_store;

/* A znode change, paths relative to the root. */
typedef struct zop {
    char kind; /* 'c' create, 's' setData, 'd' delete */
    char *path;
    char *data;
    size_t len;
} zop;

typedef struct zops {
    zop *v;
    size_t n, cap;
} zops;

static void zops_push(zops *z, char kind, const char *path, const void *data, size_t len) {
    if (z->n == z->cap) {
        z->cap = z->cap ? z->cap * 2 : 16;
        z->v = sdk_xrealloc(z->v, z->cap * sizeof *z->v);
    }
    char *d = NULL;
    if (kind != 'd') {
        d = sdk_xmalloc(len + 1);
        if (len) memcpy(d, data, len);
        d[len] = 0;
    }
    z->v[z->n++] = (zop){kind, sdk_xstrdup(path), d, kind == 'd' ? 0 : len};
}

static void zops_free(zops *z) {
    for (size_t i = 0; i < z->n; i++) {
        free(z->v[i].path);
        free(z->v[i].data);
    }
    free(z->v);
    memset(z, 0, sizeof *z);
}

static size_t zop_size(const zk_store *z, const zop *o) {
    return OP_OVERHEAD + strlen(z->root) + 1 + strlen(o->path) + o->len;
}

static char *abs_path_new(const zk_store *z, const char *rel) {
    if (!*rel) return sdk_xstrdup(z->root);
    return sdk_asprintf_new("%s/%s", strcmp(z->root, "/") ? z->root : "", rel);
}

static bool is_lost(const zk_store *z) { return atomic_load(&z->sh->lost); }

static void lose(zk_store *z, const char *why) {
    mark_lost(z->sh, why);
}

/* Sends ops[0..n) as one multi. With with_root the first op sets the root's data to
 * root_data with the expected root version (bumping it). Returns 0, or SDK_EIO with a message
 * naming the failing znode; a timeout or connection loss also marks the session lost. */
static int send_multi_once(zk_store *z, const zop *ops, size_t n, bool with_root, const char *root_data,
                           size_t root_len, bool *conn_lost, sdk_errors *errs) {
    *conn_lost = false;
    if (is_lost(z)) {
        if (errs)
            sdk_errors_addf(errs, "state (%s): ZooKeeper session lost (%s); restart the scheduler",
                            z->desc, z->sh->why);
        return SDK_EIO;
    }
    size_t total = n + (with_root ? 1 : 0);
    if (total == 0) return 0;
    zoo_op_t *zo = sdk_xcalloc(total, sizeof *zo);
    char **paths = sdk_xcalloc(total, sizeof *paths);
    zbatch *b = batch_new(0);
    b->mres = sdk_xcalloc(total, sizeof *b->mres);
    b->mstat = sdk_xcalloc(total, sizeof *b->mstat);
    b->mbuf = sdk_xcalloc(total, sizeof *b->mbuf);
    size_t k = 0, bytes = 0;
    if (with_root) {
        paths[k] = sdk_xstrdup(z->root);
        zoo_set_op_init(&zo[k], paths[k], root_data, (int)root_len, z->root_version, &b->mstat[k]);
        bytes += root_len + strlen(z->root);
        k++;
    }
    for (size_t i = 0; i < n; i++, k++) {
        paths[k] = abs_path_new(z, ops[i].path);
        bytes += strlen(paths[k]) + ops[i].len;
        if (ops[i].kind == 'c')
            zoo_create_op_init(&zo[k], paths[k], ops[i].data, (int)ops[i].len, z->acl, 0, b->mbuf[k],
                               sizeof b->mbuf[k]);
        else if (ops[i].kind == 's')
            zoo_set_op_init(&zo[k], paths[k], ops[i].data, (int)ops[i].len, -1, &b->mstat[k]);
        else
            zoo_delete_op_init(&zo[k], paths[k], -1);
    }
    batch_issue(b);
    int rc = zoo_amulti(z->zh, (int)total, zo, b->mres, multi_cb, b);
    int ret = 0;
    if (rc != ZOK) {
        batch_done(b); /* never issued */
        if (rc == ZCONNECTIONLOSS) {
            *conn_lost = true; /* not sent: the caller waits for the connection and retries */
        } else {
            if (errs)
                sdk_errors_addf(errs, "state (%s): ZooKeeper request refused: %s", z->desc, zerror(rc));
            if (rc == ZINVALIDSTATE) lose(z, zerror(rc));
        }
        ret = SDK_EIO;
        batch_release(b);
        goto out;
    }
    if (!batch_wait(b, z->op_timeout_ms)) {
        if (errs)
            sdk_errors_addf(errs,
                            "state (%s): ZooKeeper did not answer a transaction within %d ms; its "
                            "outcome is unknown",
                            z->desc, z->op_timeout_ms);
        lose(z, "request timed out");
        batch_release(b); /* abandoned to its completion */
        ret = SDK_EIO;
        goto out;
    }
    if (b->mrc == ZOK) {
        if (with_root) z->root_version++;
        if (z->stats) {
            z->stats->write_requests++;
            z->stats->write_bytes += bytes;
        }
    } else if (b->mrc == ZCONNECTIONLOSS || b->mrc == ZOPERATIONTIMEOUT) {
        /* Sent, outcome unknown: the connection dropped (the C client fails what was in flight
         * with ZOPERATIONTIMEOUT when the server went silent, ZCONNECTIONLOSS when the socket
         * broke). The caller finds out after reconnecting. */
        *conn_lost = true;
        ret = SDK_EIO;
    } else {
        size_t bad = total;
        for (size_t i = 0; i < total; i++)
            if (b->mres[i].err != ZOK && b->mres[i].err != ZRUNTIMEINCONSISTENCY) {
                bad = i;
                break;
            }
        int err = bad < total ? b->mres[bad].err : b->mrc;
        if (errs) {
            if (bad < total && with_root && bad == 0 && err == ZBADVERSION)
                sdk_errors_addf(errs,
                                "state (%s): the root %s was changed by another writer (version "
                                "mismatch); this process no longer owns the state",
                                z->desc, z->root);
            else
                sdk_errors_addf(errs, "state (%s): ZooKeeper transaction failed at '%s': %s",
                                z->desc, bad < total ? paths[bad] : z->root, zerror(err));
        }
        if (b->mrc == ZSESSIONEXPIRED || b->mrc == ZINVALIDSTATE || b->mrc == ZCLOSING ||
            err == ZBADVERSION)
            lose(z, zerror(err));
        ret = SDK_EIO;
    }
    batch_release(b);
out:
    for (size_t i = 0; i < total; i++) free(paths[i]);
    free(paths);
    free(zo);
    if (ret == 0 && z->after_request) z->after_request(z->after_request_ud);
    return ret;
}

/* Waits while the connection is down (the client is reconnecting), up to the session timeout
 * counted from when it went down; then the session counts as lost. Returns 0 when connected. */
static int wait_connected(zk_store *z, sdk_errors *errs) {
    zk_shared *sh = z->sh;
    pthread_mutex_lock(&sh->mu);
    while (sh->disconnected && !atomic_load(&sh->lost)) {
        long left = down_left_ms(sh);
        if (left <= 0) break;
        struct timespec dl;
        clock_gettime(CLOCK_MONOTONIC, &dl);
        dl.tv_sec += left / 1000;
        dl.tv_nsec += (left % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) dl.tv_sec++, dl.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&sh->cv, &sh->mu, &dl);
    }
    bool down = sh->disconnected;
    pthread_mutex_unlock(&sh->mu);
    if (down && !is_lost(z)) lose(z, DOWN_TOO_LONG);
    if (!is_lost(z)) return 0;
    if (errs)
        sdk_errors_addf(errs, "state (%s): ZooKeeper session lost (%s); restart the scheduler",
                        z->desc, z->sh->why);
    return SDK_EIO;
}

/* After a connection loss hid a multi's outcome, and with the connection back in the same
 * session (so the lock is still ours and nobody else wrote): did it apply? A root-versioned
 * multi applied iff the root's version moved on by one; one that creates (a blob's chunks) iff
 * its last znode exists; one that deletes iff its last znode is gone. 1 applied, 0 not, -2
 * the connection dropped again, -1 when it cannot be told (the caller gives the session up). */
static int multi_applied(zk_store *z, const zop *ops, size_t n, bool with_root) {
    struct Stat st;
    char *p = with_root ? sdk_xstrdup(z->root) : n ? abs_path_new(z, ops[n - 1].path) : NULL;
    if (!p) return 1;
    int rc = zoo_exists(z->zh, p, 0, &st);
    free(p);
    if (rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT) return -2; /* ask again when back */
    if (rc != ZOK && rc != ZNONODE) return -1;
    if (with_root) {
        if (rc != ZOK) return -1;
        return st.version == z->root_version + 1 ? 1 : st.version == z->root_version ? 0 : -1;
    }
    char kind = ops[n - 1].kind;
    if (kind == 'c') return rc == ZOK;
    if (kind == 'd') return rc == ZNONODE;
    return -1;
}

/* Sends ops[0..n) as one multi (see send_multi_once), riding out connection losses: wait for
 * the client to reconnect (within the session timeout), find out whether a multi whose answer
 * was lost applied, and send it again if it did not. */
static int send_multi(zk_store *z, const zop *ops, size_t n, bool with_root, const char *root_data,
                      size_t root_len, sdk_errors *errs) {
    for (int attempt = 0;; attempt++) {
        int rc = wait_connected(z, errs);
        if (rc) return rc;
        bool conn_lost = false;
        rc = send_multi_once(z, ops, n, with_root, root_data, root_len, &conn_lost, errs);
        if (!conn_lost) return rc;
        SDK_WARN(MOD, "%s: the connection to ZooKeeper was lost during a transaction; waiting for it "
                      "to come back", z->desc);
        /* The watcher may not have seen the loss yet: give it a moment before trusting
         * "connected", so the check below runs on the new connection. */
        usleep(50000);
        int applied = -2;
        for (int ask = 0; applied == -2 && ask < 20; ask++) {
            if ((rc = wait_connected(z, errs))) return rc;
            applied = multi_applied(z, ops, n, with_root);
        }
        if (applied == 1) {
            if (with_root) z->root_version++;
            SDK_INFO(MOD, "%s: the transaction had been applied before the connection dropped", z->desc);
            if (z->after_request) z->after_request(z->after_request_ud);
            return 0;
        }
        if (applied < 0 || attempt >= 20) {
            lose(z, applied < 0 ? "the outcome of a transaction interrupted by a connection loss "
                                  "cannot be told"
                                : "the connection kept dropping");
            if (errs)
                sdk_errors_addf(errs, "state (%s): ZooKeeper session given up (%s); restart the scheduler",
                                z->desc, z->sh->why);
            return SDK_EIO;
        }
    }
}

/* Sends ops in as few multis as the request size allows (without the root op). */
static int send_batched(zk_store *z, const zop *ops, size_t n, bool with_root, const char *root_data,
                        size_t root_len, sdk_errors *errs) {
    size_t i = 0;
    while (i < n) {
        size_t j = i, size = OP_OVERHEAD + root_len;
        while (j < n && (j == i || size + zop_size(z, &ops[j]) <= z->max_request))
            size += zop_size(z, &ops[j++]);
        int rc = send_multi(z, ops + i, j - i, with_root, root_data, root_len, errs);
        if (rc) return rc;
        i = j;
    }
    return 0;
}

/* ---- blobs ---- */

typedef struct blob_ref {
    char id[SDK_UUID_STRLEN + 1];
    size_t len, chunks;
} blob_ref;

static size_t ptr_format(char *out, size_t cap, const blob_ref *r) {
    memcpy(out, MAGIC, MAGIC_LEN);
    int k = snprintf(out + MAGIC_LEN, cap - MAGIC_LEN, "%s %zu %zu", r->id, r->len, r->chunks);
    return MAGIC_LEN + (size_t)k;
}

static bool is_ptr(const void *data, size_t len) {
    return len >= MAGIC_LEN && memcmp(data, MAGIC, MAGIC_LEN) == 0;
}

static bool ptr_parse(const char *data, size_t len, blob_ref *r) {
    if (!is_ptr(data, len) || len - MAGIC_LEN > 100) return false;
    char txt[128];
    memcpy(txt, data + MAGIC_LEN, len - MAGIC_LEN);
    txt[len - MAGIC_LEN] = 0;
    char id[64];
    if (sscanf(txt, "%63s %zu %zu", id, &r->len, &r->chunks) != 3 || !sdk_uuid_valid(id)) return false;
    memcpy(r->id, id, SDK_UUID_STRLEN + 1);
    return r->chunks > 0 || r->len == 0;
}

/* Writes data as a new blob (chunk znodes under a fresh id). Nothing references it yet. */
static int blob_write(zk_store *z, const void *data, size_t len, blob_ref *r, sdk_errors *errs) {
    sdk_uuid_generate(r->id);
    r->len = len;
    r->chunks = (len + z->chunk_size - 1) / z->chunk_size;
    zops ops = {0};
    if (!z->blobs_dir) zops_push(&ops, 'c', BLOBS_NAME, "", 0);
    char *dir = sdk_asprintf_new(BLOBS_NAME "/%s", r->id);
    zops_push(&ops, 'c', dir, "", 0);
    for (size_t i = 0; i < r->chunks; i++) {
        char *p = sdk_asprintf_new("%s/%zu", dir, i);
        size_t off = i * z->chunk_size, n = len - off < z->chunk_size ? len - off : z->chunk_size;
        zops_push(&ops, 'c', p, (const char *)data + off, n);
        free(p);
    }
    free(dir);
    int rc = send_batched(z, ops.v, ops.n, false, NULL, 0, errs);
    if (rc == 0) z->blobs_dir = true;
    zops_free(&ops);
    return rc;
}

/* Deletes a blob, best effort (leftovers are collected at the next writer's open). */
static void blob_delete(zk_store *z, const blob_ref *r) {
    zops ops = {0};
    char *dir = sdk_asprintf_new(BLOBS_NAME "/%s", r->id);
    for (size_t i = r->chunks; i-- > 0;) {
        char *p = sdk_asprintf_new("%s/%zu", dir, i);
        zops_push(&ops, 'd', p, NULL, 0);
        free(p);
    }
    zops_push(&ops, 'd', dir, NULL, 0);
    free(dir);
    sdk_errors e;
    sdk_errors_init(&e);
    if (send_batched(z, ops.v, ops.n, false, NULL, 0, &e))
        SDK_WARN(MOD, "%s: could not delete blob %s (collected at the next open): %s", z->desc,
                     r->id, e.n ? e.msgs[0] : "?");
    sdk_errors_free(&e);
    zops_free(&ops);
}

/* Issues an async get of a relative path into r. */
static int issue_get(zk_store *z, zbatch *b, zreq *r, const char *rel) {
    char *p = abs_path_new(z, rel);
    batch_issue(b);
    int rc = zoo_aget(z->zh, p, 0, get_cb, r);
    free(p);
    if (rc != ZOK) {
        r->rc = rc;
        batch_done(b);
    }
    if (z->stats) z->stats->read_requests++, z->stats->read_ops++;
    return rc;
}

static int issue_kids(zk_store *z, zbatch *b, zreq *r, const char *rel) {
    char *p = abs_path_new(z, rel);
    batch_issue(b);
    int rc = zoo_aget_children(z->zh, p, 0, kids_cb, r);
    free(p);
    if (rc != ZOK) {
        r->rc = rc;
        batch_done(b);
    }
    if (z->stats) z->stats->read_requests++, z->stats->read_ops++;
    return rc;
}

/* Waits for a batch; on timeout marks the session lost and releases it. */
static int wait_reads(zk_store *z, zbatch *b, const char *what, sdk_errors *errs) {
    if (batch_wait(b, z->op_timeout_ms)) return 0;
    if (errs)
        sdk_errors_addf(errs, "state (%s): ZooKeeper did not answer while %s within %d ms", z->desc,
                        what, z->op_timeout_ms);
    lose(z, "request timed out");
    batch_release(b);
    return SDK_EIO;
}

/* Reads whole blobs: vals[i] gets a new buffer of refs[i].len bytes (+NUL). owners[i] names
 * the znode that referenced it, for messages. */
static int blobs_read_new(zk_store *z, const blob_ref *refs, const char **owners, size_t n,
                          char **vals, sdk_errors *errs) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += refs[i].chunks;
    zbatch *b = batch_new(total);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < refs[i].chunks; c++, k++) {
            char *p = sdk_asprintf_new(BLOBS_NAME "/%s/%zu", refs[i].id, c);
            issue_get(z, b, &b->r[k], p);
            free(p);
        }
    int rc = wait_reads(z, b, "reading large values", errs);
    if (rc) return rc;
    k = 0;
    for (size_t i = 0; i < n; i++) {
        vals[i] = sdk_xmalloc(refs[i].len + 1);
        size_t off = 0;
        for (size_t c = 0; c < refs[i].chunks; c++, k++) {
            zreq *q = &b->r[k];
            if (rc) continue;
            if (q->rc != ZOK || off + (size_t)q->len > refs[i].len) {
                if (errs)
                    sdk_errors_addf(errs,
                                    "state (%s): value of '%s' is corrupt: chunk %zu of blob %s %s",
                                    z->desc, owners[i], c, refs[i].id,
                                    q->rc != ZOK ? zerror(q->rc) : "is longer than recorded");
                rc = q->rc == ZNONODE ? SDK_ECORRUPT : q->rc == ZOK ? SDK_ECORRUPT : SDK_EIO;
                continue;
            }
            memcpy(vals[i] + off, q->data, (size_t)q->len);
            off += (size_t)q->len;
        }
        if (!rc && off != refs[i].len) {
            if (errs)
                sdk_errors_addf(errs,
                                "state (%s): value of '%s' is corrupt: blob %s holds %zu of %zu "
                                "bytes",
                                z->desc, owners[i], refs[i].id, off, refs[i].len);
            rc = SDK_ECORRUPT;
        }
        vals[i][off < refs[i].len ? off : refs[i].len] = 0;
    }
    batch_release(b);
    if (rc)
        for (size_t i = 0; i < n; i++) {
            free(vals[i]);
            vals[i] = NULL;
        }
    return rc;
}

/* ---- loading ---- */

/* Same order as tree.c: '/' ranks below every other byte. */
static int path_cmp(const char *a, const char *b) {
    for (;; a++, b++) {
        unsigned ca = *a == '/' ? 1u : (unsigned char)*a, cb = *b == '/' ? 1u : (unsigned char)*b;
        if (ca != cb) return ca < cb ? -1 : 1;
        if (!ca) return 0;
    }
}

static int entry_cmp(const void *a, const void *b) {
    return path_cmp(((const sdk_tree_entry *)a)->path, ((const sdk_tree_entry *)b)->path);
}

/* Builds t from entries (taken), sorting them unless they already are in order. */
static void tree_build(sdk_tree *t, sdk_tree_entry *e, size_t n) {
    sdk_tree_init(t);
    size_t i = 1;
    while (i < n && path_cmp(e[i - 1].path, e[i].path) < 0) i++;
    if (i < n) qsort(e, n, sizeof *e, entry_cmp);
    t->e = e;
    t->n = n;
    t->cap = n;
    for (size_t i = 0; i < n; i++) t->bytes += strlen(e[i].path) + e[i].len;
}

typedef struct raw_state {
    bool root_exists;
    int root_version;
    char *root_data;
    size_t root_len;
    sdk_tree raw; /* relative path -> znode data, reserved names excluded */
    char **blob_ids; /* children of __sdk_blobs */
    size_t n_blob_ids;
    bool blobs_dir;
} raw_state;

static void raw_free(raw_state *r) {
    free(r->root_data);
    sdk_tree_free(&r->raw);
    sdk_store_names_free(r->blob_ids, r->n_blob_ids);
    memset(r, 0, sizeof *r);
}

/* Whether a znode is probably a directory (children, empty data) in the §7 layout. Only a
 * guess to save requests: a directory is read with get-children2 (children and data length)
 * and a leaf with get (data and child count); a wrong guess costs one more request. */
static bool guess_dir(const char *rel) {
    if (!*rel) return true;
    const char *s1 = strchr(rel, '/');
    if (!s1)
        return !strcmp(rel, "Tasks") || !strcmp(rel, "Configurations") || !strcmp(rel, "Properties") ||
               !strcmp(rel, "Services") || !strcmp(rel, "ServiceList");
    if (strncmp(rel, "Tasks/", 6) != 0) return false;
    const char *s2 = strchr(s1 + 1, '/');
    return !s2 || !strcmp(s2 + 1, "Metadata");
}

/* The load walks the tree without level barriers: a node's children are requested from the
 * completion thread as soon as its reply arrives, so the pipeline to ZooKeeper never drains
 * until the walk is done. The loader only waits for the count of requests in flight to reach
 * zero (or for no reply within op_timeout_ms). Everything shared is under walk.mu.
 *
 * Helper sessions. A ZooKeeper server reads one request per connection per selector cycle and
 * hands each one through several threads, so with a single connection its stages mostly sleep
 * and wake once per request. Once a walk is big (LOAD_HELPERS_AFTER requests) the loader opens
 * LOAD_HELPERS more sessions to the server the store's session is connected to (the same
 * server, so every reply comes from the same copy of the tree), and requests are spread over
 * the sessions that are ready (connected and authenticated). They are closed when the walk
 * ends. A helper that cannot connect is simply never used. */
#define WALK_MAX_SESSIONS (1 + LOAD_HELPERS)

typedef struct walk_helper {
    struct walk *w;
    zhandle_t *zh; /* under w->mu: its watcher can run before zookeeper_init has returned it */
    bool ready;    /* under w->mu */
} walk_helper;

typedef struct walk {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;        /* the loader's, plus one per request in flight */
    size_t pending;  /* requests in flight */
    size_t requests; /* requests issued (stats) */
    struct timespec last; /* start, then the last reply: the timeout counts from here */
    int rc;          /* 0; 1 = a node vanished (a concurrent writer: retry); SDK_EIO */
    char *err;       /* the message for SDK_EIO */
    char *root;      /* absolute root path (a copy: the walk may outlive the store) */
    char *auth;      /* digest credentials for helpers, or NULL */
    zhandle_t *ready[WALK_MAX_SESSIONS]; /* sessions requests may go to; [0] the store's */
    size_t nready, rr;
    size_t sending;  /* threads between picking a session and sending on it */
    bool want_helpers, closing;
    walk_helper helpers[LOAD_HELPERS];
    size_t nhelpers; /* started (owned by the loader) */
    /* results: the entries in arrival order, and for each the sorted list of its children
     * (wdir), so that the tree's order is a depth-first walk and needs no sort at the end */
    sdk_tree_entry *e;
    struct wdir **ekids; /* parallel to e: the entry's children, or NULL */
    size_t n, cap;
    struct wdir *top;    /* the root's children */
    struct wdir **dirs;  /* every wdir, to free */
    size_t ndirs, capdirs;
    bool root_exists;
    int root_version;
    char *root_data;
    size_t root_len;
    bool blobs_dir;
    char **blob_ids;
    size_t n_blob_ids;
} walk;

/* One request of the walk. ops: 'k' get-children2 of a probable directory (its data follows
 * with 'd' if dataLength > 0), 'g' get of a probable leaf (its children follow with 'c' if
 * numChildren > 0), 'b' the list of blob ids under __sdk_blobs. */
typedef struct wnode {
    walk *w;
    zhandle_t *zh; /* the session it goes to */
    char *rel;     /* relative path, owned until it becomes an entry's path */
    char op;
    struct wdir *slot_dir; /* where this node's entry index goes (its parent's children) */
    size_t slot;
    struct wdir *kids;     /* 'd': the children already listed by the 'k' reply */
    long eidx;             /* 'c': the entry the children belong to */
} wnode;

/* A node's children in name order (strcmp; with '/' ranking below every byte, the order of a
 * depth-first walk over these is the tree's path order). idx[i] is the entry of child i, or -1
 * while it is not read yet (or if it vanished). */
typedef struct wdir {
    size_t n;
    long idx[];
} wdir;

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_free(walk *w) {
    for (size_t i = 0; i < w->n; i++) {
        free(w->e[i].path);
        free(w->e[i].val);
    }
    free(w->e);
    free(w->ekids);
    for (size_t i = 0; i < w->ndirs; i++) free(w->dirs[i]);
    free(w->dirs);
    free(w->root_data);
    sdk_store_names_free(w->blob_ids, w->n_blob_ids);
    free(w->err);
    free(w->root);
    free(w->auth);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

static void walk_unref(walk *w) {
    pthread_mutex_lock(&w->mu);
    int left = --w->refs;
    pthread_mutex_unlock(&w->mu);
    if (!left) walk_free(w);
}

static wnode *wnode_new(walk *w, char *rel, char op) {
    wnode *q = sdk_xmalloc(sizeof *q);
    *q = (wnode){w, NULL, rel, op, NULL, 0, NULL, -1};
    return q;
}

static char *child_path_new(const char *rel, const char *name) {
    size_t a = strlen(rel), b = strlen(name);
    char *p = sdk_xmalloc(a + b + 2);
    if (a) {
        memcpy(p, rel, a);
        p[a++] = '/';
    }
    memcpy(p + a, name, b + 1);
    return p;
}

static void walk_reply(wnode *q, int rc, const char *val, int len, const struct String_vector *kids,
                       const struct Stat *st);

static void walk_get_cb(int rc, const char *val, int len, const struct Stat *st, const void *data) {
    walk_reply((wnode *)data, rc, val, len, NULL, st);
}

static void walk_kids_cb(int rc, const struct String_vector *sv, const struct Stat *st,
                         const void *data) {
    walk_reply((wnode *)data, rc, NULL, 0, sv, st);
}

/* Sends q (already counted in pending and refs). A refused request is answered at once. */
static void walk_send(walk *w, wnode *q) {
    /* the absolute path, as abs_path_new() makes it, without a heap copy when short */
    char buf[512], *abs = buf;
    size_t rl = strlen(w->root), pl = strlen(q->rel);
    if (rl + pl + 2 > sizeof buf) abs = sdk_xmalloc(rl + pl + 2);
    memcpy(abs, w->root, rl);
    if (pl && strcmp(w->root, "/") != 0) abs[rl++] = '/';
    memcpy(abs + rl, q->rel, pl + 1);
    int rc = q->op == 'g' || q->op == 'd' ? zoo_aget(q->zh, abs, 0, walk_get_cb, q)
                                          : zoo_aget_children2(q->zh, abs, 0, walk_kids_cb, q);
    if (abs != buf) free(abs);
    if (rc != ZOK) walk_reply(q, rc, NULL, 0, NULL, NULL);
}

/* Handles one reply (completion thread, or the issuer when a request was refused). */
static void walk_reply(wnode *q, int rc, const char *val, int len, const struct String_vector *kids,
                       const struct Stat *st) {
    walk *w = q->w;
    bool is_root = !*q->rel;
    /* What follows from the reply is prepared outside the lock. */
    wnode **next = NULL;
    size_t nnext = 0;
    char *data = NULL;
    size_t dlen = 0;
    bool entry = false;
    bool blobs_dir = false;
    wdir *dir = NULL; /* the children this reply lists */
    if (rc == ZOK) {
        if (q->op == 'g' || q->op == 'd') {
            dlen = val && len > 0 ? (size_t)len : 0;
            data = sdk_xmalloc(dlen + 1);
            if (dlen) memcpy(data, val, dlen);
            data[dlen] = 0;
            entry = true;
        }
        if (q->op == 'k' && st && st->dataLength == 0) {
            data = sdk_xstrdup("");
            entry = true;
        }
        size_t nk = kids && kids->count > 0 ? (size_t)kids->count : 0;
        next = sdk_xmalloc((nk + 1) * sizeof *next);
        if ((q->op == 'k' || q->op == 'c') && nk > 0) {
            if (nk > 1) qsort(kids->data, nk, sizeof *kids->data, name_cmp);
            dir = sdk_xmalloc(sizeof *dir + nk * sizeof *dir->idx);
            dir->n = 0;
            for (size_t k = 0; k < nk; k++) {
                const char *name = kids->data[k];
                if (is_root && !strcmp(name, LOCK_NAME)) continue;
                if (is_root && !strcmp(name, BLOBS_NAME)) {
                    blobs_dir = true;
                    next[nnext++] = wnode_new(w, sdk_xstrdup(BLOBS_NAME), 'b');
                    continue;
                }
                char *rel = child_path_new(q->rel, name);
                wnode *c = wnode_new(w, rel, guess_dir(rel) ? 'k' : 'g');
                c->slot_dir = dir;
                c->slot = dir->n;
                dir->idx[dir->n++] = -1;
                next[nnext++] = c;
            }
        }
        if (q->op == 'k' && st && st->dataLength > 0) {
            wnode *d = wnode_new(w, sdk_xstrdup(q->rel), 'd');
            d->slot_dir = q->slot_dir;
            d->slot = q->slot;
            d->kids = dir;
            next[nnext++] = d;
        }
        if (q->op == 'g' && st && st->numChildren > 0)
            next[nnext++] = wnode_new(w, sdk_xstrdup(q->rel), 'c'); /* eidx set below */
    }
    pthread_mutex_lock(&w->mu);
    clock_gettime(CLOCK_MONOTONIC, &w->last);
    if (dir) {
        if (w->ndirs == w->capdirs) {
            w->capdirs = w->capdirs ? w->capdirs * 2 : 1024;
            w->dirs = sdk_xrealloc(w->dirs, w->capdirs * sizeof *w->dirs);
        }
        w->dirs[w->ndirs++] = dir; /* freed with the walk, whatever happens next */
    }
    bool go = false;
    if (q->op == 'b') {
        /* Only for collecting garbage: a listing that failed collects nothing. */
        if (rc == ZOK && kids && kids->count > 0) {
            w->blob_ids = sdk_xmalloc((size_t)kids->count * sizeof *w->blob_ids);
            for (int k = 0; k < kids->count; k++) w->blob_ids[k] = sdk_xstrdup(kids->data[k]);
            w->n_blob_ids = (size_t)kids->count;
        }
    } else if (w->rc) {
        /* stopped: a node vanished, an error, or the loader gave up */
    } else if (rc == ZNONODE && is_root && q->op == 'k') {
        /* no root: an empty store */
    } else if (rc == ZNONODE) {
        w->rc = 1;
    } else if (rc != ZOK) {
        w->rc = SDK_EIO;
        w->err = sdk_asprintf_new("cannot read znode '%s': %s", is_root ? w->root : q->rel,
                                  zerror(rc));
    } else {
        if (is_root) {
            if (q->op == 'k') {
                w->root_exists = true;
                w->root_version = st ? st->version : 0;
            }
            if (entry) {
                free(w->root_data);
                w->root_data = data;
                w->root_len = dlen;
                data = NULL;
            }
            if (dir) w->top = dir;
        } else if (entry) {
            if (w->n == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 1024;
                w->e = sdk_xrealloc(w->e, w->cap * sizeof *w->e);
                w->ekids = sdk_xrealloc(w->ekids, w->cap * sizeof *w->ekids);
            }
            long me = (long)w->n;
            w->e[w->n] = (sdk_tree_entry){q->rel, data, dlen};
            w->ekids[w->n++] = q->op == 'd' ? q->kids : dir;
            if (q->slot_dir) q->slot_dir->idx[q->slot] = me;
            for (size_t i = 0; i < nnext; i++)
                if (next[i]->op == 'c') next[i]->eidx = me;
            q->rel = NULL;
            data = NULL;
        } else if (q->op == 'c' && q->eidx >= 0) {
            w->ekids[q->eidx] = dir;
        }
        if (blobs_dir) w->blobs_dir = true;
        w->pending += nnext;
        w->refs += (int)nnext;
        w->requests += nnext;
        for (size_t i = 0; i < nnext; i++) next[i]->zh = w->ready[w->rr++ % w->nready];
        if (nnext) w->sending++;
        go = true;
        if (!w->want_helpers && w->requests >= LOAD_HELPERS_AFTER) {
            w->want_helpers = true;
            pthread_cond_broadcast(&w->cv);
        }
    }
    if (--w->pending == 0) pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (size_t i = 0; i < nnext; i++) {
        if (go) {
            walk_send(w, next[i]);
        } else {
            free(next[i]->rel);
            free(next[i]);
        }
    }
    if (go && nnext) {
        pthread_mutex_lock(&w->mu);
        if (--w->sending == 0 && w->closing) pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
    }
    free(next);
    free(data);
    free(q->rel);
    free(q);
    walk_unref(w);
}

static void walk_order(walk *w, const wdir *d, sdk_tree_entry *out, size_t *k) {
    for (size_t i = 0; d && i < d->n; i++) {
        long e = d->idx[i];
        if (e < 0 || *k >= w->n) continue;
        out[(*k)++] = w->e[e];
        walk_order(w, w->ekids[e], out, k);
    }
}

/* Moves the entries of a finished walk into t, in path order: a depth-first walk over the
 * sorted children lists (tree_build then only checks the order). */
static void walk_take_sorted(walk *w, sdk_tree *t) {
    size_t k = 0;
    sdk_tree_entry *e = sdk_xmalloc((w->n ? w->n : 1) * sizeof *e);
    walk_order(w, w->top, e, &k);
    if (k != w->n) { /* cannot happen: every entry was listed by its parent; keep arrival order */
        free(e);
        e = w->e;
    } else {
        free(w->e);
    }
    tree_build(t, e, w->n);
}

/* A helper is ready: requests may go to it (any thread). */
static void helper_ready(walk_helper *h) {
    walk *w = h->w;
    pthread_mutex_lock(&w->mu);
    if (!w->closing && !h->ready && h->zh && w->nready < WALK_MAX_SESSIONS) {
        h->ready = true; /* (a reconnect calls the watcher again) */
        w->ready[w->nready++] = h->zh;
    }
    pthread_mutex_unlock(&w->mu);
}

static void helper_auth_cb(int rc, const void *data) {
    if (rc == ZOK) helper_ready((walk_helper *)data);
}

static void helper_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)path;
    walk_helper *h = ctx;
    if (type != ZOO_SESSION_EVENT || state != ZOO_CONNECTED_STATE) return;
    pthread_mutex_lock(&h->w->mu);
    h->zh = zh; /* the connection may be up before zookeeper_init returned the handle */
    pthread_mutex_unlock(&h->w->mu);
    if (!h->w->auth)
        helper_ready(h);
    else if (zoo_add_auth(zh, "digest", h->w->auth, (int)strlen(h->w->auth), helper_auth_cb, h) !=
             ZOK)
        return; /* never used */
}

/* Starts the helper sessions (loader thread, without the lock). They connect in the
 * background; the watcher adds each one to the ready set. */
static void helpers_start(zk_store *z, walk *w) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (!zookeeper_get_connected_host(z->zh, (struct sockaddr *)&ss, &sl)) return;
    char ip[INET6_ADDRSTRLEN], host[INET6_ADDRSTRLEN + 8];
    if (ss.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        if (!inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip)) return;
        snprintf(host, sizeof host, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        if (!inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip)) return;
        snprintf(host, sizeof host, "%s:%u", ip, (unsigned)ntohs(a->sin6_port));
    } else {
        return;
    }
    int n = z->load_helpers < LOAD_HELPERS ? z->load_helpers : LOAD_HELPERS;
    for (int i = 0; i < n; i++) {
        walk_helper *h = &w->helpers[w->nhelpers];
        *h = (walk_helper){.w = w};
        zhandle_t *zh = zookeeper_init(host, helper_watcher, z->session_ms, NULL, h, 0);
        if (!zh) break;
        zoo_set_servers_resolution_delay(zh, -1);
        pthread_mutex_lock(&w->mu);
        h->zh = zh;
        pthread_mutex_unlock(&w->mu);
        w->nhelpers++;
    }
}

static void *helper_close_main(void *ud) {
    zookeeper_close(ud);
    return NULL;
}

/* Takes the helpers out of use and closes them (loader thread, without the lock), side by
 * side: zookeeper_close waits for the server's answer, which a server that stopped answering
 * never sends (each close then takes a good part of the session timeout). A finished walk has
 * no request left on them; a stopped one ignores what the close does to its requests. */
static void helpers_close(walk *w) {
    pthread_mutex_lock(&w->mu);
    w->closing = true;
    w->nready = 1;
    while (w->sending > 0) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
    pthread_t th[LOAD_HELPERS];
    bool started[LOAD_HELPERS] = {false};
    for (size_t i = 0; i < w->nhelpers; i++)
        started[i] = pthread_create(&th[i], NULL, helper_close_main, w->helpers[i].zh) == 0;
    for (size_t i = 0; i < w->nhelpers; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else zookeeper_close(w->helpers[i].zh);
    }
    w->nhelpers = 0;
}

/* Loads every znode under the root through read-only multis on a connection of its own to the
 * server the store's session is on (zk_readall.h): a few hundred requests where the walk below
 * sends one per znode. Returns 0, 1 when a node vanished meanwhile (retry), or -1 when the
 * walk must do the load (the server predates read-only multis, or this way failed: the walk then
 * reports what is wrong in its own terms). */
static int load_raw_bulk(zk_store *z, raw_state *out) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (!zookeeper_get_connected_host(z->zh, (struct sockaddr *)&ss, &sl)) return -1;
    static const char *const skip[] = {LOCK_NAME, NULL};
    zk_readall_result r;
    char *err = NULL;
    int rc = zk_readall((struct sockaddr *)&ss, sl, z->auth, z->root, skip, BLOBS_NAME, z->session_ms,
                        z->op_timeout_ms, &r, &err);
    if (z->stats) {
        z->stats->read_requests += r.requests;
        z->stats->read_ops += r.ops;
    }
    if (rc == ZK_READALL_UNSUPPORTED) {
        SDK_INFO(MOD, "%s: the server has no read-only multi (%s): loading node by node", z->desc, err);
        z->bulk_read = false;
    } else if (rc == ZK_READALL_FAILED) {
        SDK_WARN(MOD, "%s: reading the state in bulk failed (%s): loading node by node", z->desc, err);
    }
    free(err);
    if (rc == ZK_READALL_VANISHED) return 1;
    if (rc != ZK_READALL_OK) return -1;
    memset(out, 0, sizeof *out);
    out->root_exists = r.root_exists;
    out->root_version = r.root_version;
    out->root_data = r.root_data;
    out->root_len = r.root_len;
    out->blobs_dir = r.listed;
    out->blob_ids = r.listed_names;
    out->n_blob_ids = r.n_listed;
    tree_build(&out->raw, r.e, r.n); /* takes the entries (sorted there: they come breadth first) */
    if (z->stats) z->stats->load_sessions = 1;
    return 0;
}

/* Loads every znode under the root: in bulk when the server allows, else by the walk (see
 * struct walk and guess_dir). Returns 0, SDK_EIO, or 1 when a node vanished meanwhile (a
 * concurrent writer: retry). */
static int load_raw(zk_store *z, raw_state *out, sdk_errors *errs) {
    if (z->bulk_read) {
        int rc = load_raw_bulk(z, out);
        if (rc >= 0) return rc;
    }
    memset(out, 0, sizeof *out);
    walk *w = sdk_xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    w->root = sdk_xstrdup(z->root);
    w->auth = z->auth ? sdk_xstrdup(z->auth) : NULL;
    w->ready[0] = z->zh;
    w->nready = 1;
    clock_gettime(CLOCK_MONOTONIC, &w->last);
    w->refs = 2; /* the loader's and the root request's */
    w->pending = 1;
    w->requests = 1;
    wnode *top = wnode_new(w, sdk_xstrdup(""), 'k');
    top->zh = z->zh;
    walk_send(w, top);

    pthread_mutex_lock(&w->mu);
    bool timed_out = false;
    while (w->pending > 0) {
        if (w->want_helpers && !w->nhelpers && z->load_helpers > 0 && !w->rc) {
            pthread_mutex_unlock(&w->mu);
            helpers_start(z, w);
            pthread_mutex_lock(&w->mu);
            continue;
        }
        struct timespec dl = w->last, now;
        dl.tv_sec += z->op_timeout_ms / 1000;
        dl.tv_nsec += (long)(z->op_timeout_ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) dl.tv_sec++, dl.tv_nsec -= 1000000000L;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > dl.tv_sec || (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec)) {
            timed_out = true;
            if (!w->rc) w->rc = SDK_EIO; /* issue nothing more */
            break;
        }
        pthread_cond_timedwait(&w->cv, &w->mu, &dl);
    }
    int rc = w->rc;
    if (z->stats) {
        z->stats->read_requests += w->requests;
        z->stats->read_ops += w->requests;
        z->stats->load_sessions = w->nready;
    }
    if (!timed_out && !rc) {
        out->root_exists = w->root_exists;
        out->root_version = w->root_version;
        out->root_data = w->root_data;
        out->root_len = w->root_len;
        out->blobs_dir = w->blobs_dir;
        out->blob_ids = w->blob_ids;
        out->n_blob_ids = w->n_blob_ids;
        walk_take_sorted(w, &out->raw);
        w->root_data = NULL;
        w->blob_ids = NULL;
        w->n_blob_ids = 0;
        w->e = NULL;
        w->n = w->cap = 0;
    } else if (!timed_out && rc == SDK_EIO && errs) {
        sdk_errors_addf(errs, "state (%s): %s", z->desc, w->err ? w->err : "load failed");
    }
    pthread_mutex_unlock(&w->mu);
    helpers_close(w);
    if (timed_out) {
        if (errs)
            sdk_errors_addf(errs,
                            "state (%s): ZooKeeper did not answer while loading the state within "
                            "%d ms",
                            z->desc, z->op_timeout_ms);
        lose(z, "request timed out");
        rc = SDK_EIO;
    }
    walk_unref(w); /* on a timeout the replies still to come free it */
    return rc;
}

/* ---- journal encoding: per op u8 kind, u32 path length, path, u32 data length, data ---- */

static void put_u32(sdk_buf *b, uint32_t v) {
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    sdk_buf_append(b, x, 4);
}

static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void journal_encode(const zops *ops, sdk_buf *b) {
    for (size_t i = 0; i < ops->n; i++) {
        const zop *o = &ops->v[i];
        sdk_buf_putc(b, o->kind);
        put_u32(b, (uint32_t)strlen(o->path));
        sdk_buf_append(b, o->path, strlen(o->path));
        put_u32(b, (uint32_t)o->len);
        if (o->len) sdk_buf_append(b, o->data, o->len);
    }
}

static bool journal_decode(const char *data, size_t len, zops *out) {
    const unsigned char *p = (const unsigned char *)data, *end = p + len;
    while (p < end) {
        if (end - p < 5) return false;
        char kind = (char)*p++;
        uint32_t pl = get_u32(p);
        p += 4;
        if ((size_t)(end - p) < (size_t)pl + 4 || (kind != 'c' && kind != 's' && kind != 'd'))
            return false;
        char *path = sdk_xstrndup((const char *)p, pl);
        p += pl;
        uint32_t dl = get_u32(p);
        p += 4;
        if ((size_t)(end - p) < dl || !sdk_store_path_valid(path)) {
            free(path);
            return false;
        }
        zops_push(out, kind, path, p, dl);
        free(path);
        p += dl;
    }
    return true;
}

/* Rewrites journal ops against the current raw tree so they apply idempotently (create of an
 * existing node -> set, set of a missing one -> create, delete of a missing one -> dropped) and
 * applies them to raw. */
static void journal_adjust_apply(sdk_tree *raw, zops *ops) {
    size_t k = 0;
    for (size_t i = 0; i < ops->n; i++) {
        zop o = ops->v[i];
        bool has = sdk_tree_find(raw, o.path) != NULL;
        if (o.kind == 'd' && !has) {
            free(o.path);
            continue;
        }
        if (o.kind != 'd') o.kind = has ? 's' : 'c';
        sdk_store_op so = {o.kind == 'd' ? SDK_STORE_DELETE_TREE : SDK_STORE_SET, o.path, o.data, o.len};
        sdk_tree_undo u;
        if (sdk_tree_apply(raw, &so, 1, &u, NULL) == 0) sdk_tree_undo_free(&u);
        ops->v[k++] = o;
    }
    ops->n = k;
}

/* Turns a raw state (after any journal) into the logical cache and pointer map. */
static int resolve(zk_store *z, sdk_tree *raw, sdk_errors *errs) {
    size_t np = 0;
    for (size_t i = 0; i < raw->n; i++)
        if (is_ptr(raw->e[i].val, raw->e[i].len)) np++;
    blob_ref *refs = sdk_xcalloc(np ? np : 1, sizeof *refs);
    const char **owners = sdk_xcalloc(np ? np : 1, sizeof *owners);
    size_t *idx = sdk_xcalloc(np ? np : 1, sizeof *idx);
    char **vals = sdk_xcalloc(np ? np : 1, sizeof *vals);
    int rc = 0;
    np = 0;
    for (size_t i = 0; i < raw->n && !rc; i++) {
        if (!is_ptr(raw->e[i].val, raw->e[i].len)) continue;
        if (!ptr_parse(raw->e[i].val, raw->e[i].len, &refs[np])) {
            if (errs)
                sdk_errors_addf(errs, "state (%s): znode '%s' holds a malformed blob pointer",
                                z->desc, raw->e[i].path);
            rc = SDK_ECORRUPT;
            break;
        }
        owners[np] = raw->e[i].path;
        idx[np++] = i;
    }
    if (!rc) rc = blobs_read_new(z, refs, owners, np, vals, errs);
    if (!rc) {
        /* The cache takes the raw entries; pointer entries get their values. */
        size_t n = raw->n;
        sdk_tree_entry *ce = sdk_xmalloc((n ? n : 1) * sizeof *ce);
        sdk_tree_entry *pe = sdk_xmalloc((np ? np : 1) * sizeof *pe);
        for (size_t i = 0; i < n; i++) ce[i] = raw->e[i];
        for (size_t k = 0; k < np; k++) {
            sdk_tree_entry *e = &ce[idx[k]];
            pe[k] = (sdk_tree_entry){sdk_xstrdup(e->path), e->val, e->len};
            e->val = vals[k];
            e->len = refs[k].len;
            vals[k] = NULL;
        }
        free(raw->e);
        raw->e = NULL;
        raw->n = raw->cap = 0;
        raw->bytes = 0;
        tree_build(&z->cache, ce, n);
        tree_build(&z->ptrs, pe, np);
    }
    for (size_t k = 0; k < np; k++) free(vals[k]);
    free(vals);
    free(idx);
    free(owners);
    free(refs);
    return rc;
}

/* Loads the state into the cache. A pending journal is applied (in memory; and in ZooKeeper
 * when writing). A writer also collects unreferenced blobs. */
static int load_state(zk_store *z, sdk_errors *errs) {
    raw_state rs;
    int rc = 1;
    for (int attempt = 0; attempt < 20 && rc == 1; attempt++) {
        rc = load_raw(z, &rs, errs);
        if (rc == 0 && z->read_only && rs.root_exists) {
            /* A reader retries when a writer committed meanwhile. */
            zbatch *b = batch_new(1);
            issue_get(z, b, &b->r[0], "");
            if ((rc = wait_reads(z, b, "loading the state", errs))) break;
            if (b->r[0].rc != ZOK || b->r[0].stat.version != rs.root_version) rc = 1;
            batch_release(b);
            if (rc == 1) raw_free(&rs);
        }
        if (rc == 1 && z->stats) z->stats->load_retries++;
        if (rc == 1) usleep(20000);
    }
    if (rc == 1) {
        if (errs)
            sdk_errors_addf(errs, "state (%s): the state kept changing while it was read; retry",
                            z->desc);
        return SDK_EIO;
    }
    if (rc) return rc;
    z->root_version = rs.root_version;
    z->blobs_dir = rs.blobs_dir;
    blob_ref journal = {0};
    bool has_journal = rs.root_exists && rs.root_len > 0;
    if (has_journal) {
        if (!ptr_parse(rs.root_data, rs.root_len, &journal)) {
            if (errs)
                sdk_errors_addf(errs,
                                "state (%s): the root znode %s holds unexpected data (%zu bytes); "
                                "is this a state store root?",
                                z->desc, z->root, rs.root_len);
            raw_free(&rs);
            return SDK_ECORRUPT;
        }
        char *jdata = NULL;
        const char *owner = z->root;
        if ((rc = blobs_read_new(z, &journal, &owner, 1, &jdata, errs))) {
            raw_free(&rs);
            return rc;
        }
        zops ops = {0};
        bool ok = journal_decode(jdata, journal.len, &ops);
        free(jdata);
        if (!ok) {
            if (errs)
                sdk_errors_addf(errs, "state (%s): the pending transaction journal %s is corrupt",
                                z->desc, journal.id);
            zops_free(&ops);
            raw_free(&rs);
            return SDK_ECORRUPT;
        }
        journal_adjust_apply(&rs.raw, &ops);
        if (!z->read_only) {
            SDK_WARN(MOD, "%s: finishing a transaction a previous writer left half-applied",
                         z->desc);
            char ptr[160];
            size_t pl = ptr_format(ptr, sizeof ptr, &journal);
            rc = send_batched(z, ops.v, ops.n, true, ptr, pl, errs);
            if (!rc) rc = send_multi(z, NULL, 0, true, "", 0, errs);
            if (!rc) blob_delete(z, &journal);
        }
        zops_free(&ops);
        if (rc) {
            raw_free(&rs);
            return rc;
        }
    }
    rc = resolve(z, &rs.raw, errs);
    if (!rc && !z->read_only) {
        /* Blobs nobody references: left by a crash between writing and committing or GC. */
        for (size_t i = 0; i < rs.n_blob_ids; i++) {
            bool used = false;
            for (size_t k = 0; k < z->ptrs.n && !used; k++) {
                blob_ref r;
                if (ptr_parse(z->ptrs.e[k].val, z->ptrs.e[k].len, &r) && !strcmp(r.id, rs.blob_ids[i]))
                    used = true;
            }
            if (used) continue;
            zbatch *b = batch_new(1);
            char *dir = sdk_asprintf_new(BLOBS_NAME "/%s", rs.blob_ids[i]);
            issue_kids(z, b, &b->r[0], dir);
            if (wait_reads(z, b, "listing a blob", NULL) == 0) {
                zops ops = {0};
                for (int c = 0; c < b->r[0].nkids; c++) {
                    char *p = sdk_asprintf_new("%s/%s", dir, b->r[0].kids[c]);
                    zops_push(&ops, 'd', p, NULL, 0);
                    free(p);
                }
                zops_push(&ops, 'd', dir, NULL, 0);
                batch_release(b);
                sdk_errors e;
                sdk_errors_init(&e);
                send_batched(z, ops.v, ops.n, false, NULL, 0, &e);
                sdk_errors_free(&e);
                zops_free(&ops);
            }
            free(dir);
        }
    }
    raw_free(&rs);
    return rc;
}

/* ---- vtable: reads from the cache ---- */

static int zk_get_new(void *impl, const char *path, void **val, size_t *len, sdk_errors *errs) {
    (void)errs;
    zk_store *z = impl;
    const sdk_tree_entry *e = sdk_tree_find(&z->cache, path);
    if (!e) return SDK_ENOENT;
    char *v = sdk_xmalloc(e->len + 1);
    memcpy(v, e->val, e->len + 1);
    *val = v;
    *len = e->len;
    return 0;
}

static int zk_peek(void *impl, const char *path, const void **val, size_t *len, sdk_errors *errs) {
    (void)errs;
    const sdk_tree_entry *e = sdk_tree_find(&((zk_store *)impl)->cache, path);
    if (!e) return SDK_ENOENT;
    *val = e->val; /* the tree keeps a NUL after each value */
    *len = e->len;
    return 0;
}

static int zk_exists(void *impl, const char *path, bool *exists, sdk_errors *errs) {
    (void)errs;
    zk_store *z = impl;
    *exists = sdk_tree_find(&z->cache, path) != NULL;
    return 0;
}

static int zk_children_new(void *impl, const char *path, char ***names, size_t *n,
                           sdk_errors *errs) {
    (void)errs;
    zk_store *z = impl;
    return sdk_tree_children_new(&z->cache, path, names, n);
}

/* ---- vtable: commit ---- */

typedef struct touched {
    char *path;
    bool had;
    char *val; /* borrowed from a copy owned here */
    size_t len;
} touched;

static int touched_cmp(const void *a, const void *b) {
    return path_cmp(((const touched *)a)->path, ((const touched *)b)->path);
}

static bool reserved_path(const char *p) {
    size_t n = strcspn(p, "/");
    return (n == strlen(LOCK_NAME) && !strncmp(p, LOCK_NAME, n)) ||
           (n == strlen(BLOBS_NAME) && !strncmp(p, BLOBS_NAME, n));
}

static int zk_commit(void *impl, const sdk_store_op *ops, size_t n, sdk_errors *errs) {
    zk_store *z = impl;
    if (z->read_only) {
        if (errs) sdk_errors_addf(errs, "state (%s): opened read-only; nothing can be written", z->desc);
        return SDK_ESTATE;
    }
    if (is_lost(z)) {
        if (errs)
            sdk_errors_addf(errs,
                            "state (%s): ZooKeeper session lost (%s); commits are refused, restart "
                            "the scheduler",
                            z->desc, z->sh->why);
        return SDK_EIO;
    }
    for (size_t i = 0; i < n; i++)
        if (reserved_path(ops[i].path)) {
            if (errs)
                sdk_errors_addf(errs,
                                "state (%s): path '%s' is reserved by the ZooKeeper backend ('"
                                LOCK_NAME "' and '" BLOBS_NAME "' at the top level)",
                                z->desc, ops[i].path);
            return SDK_EINVAL;
        }
    /* Every znode the transaction may change, with its value before. */
    touched *t = NULL;
    size_t nt = 0, capt = 0;
#define TOUCH(p)                                                                                  \
    do {                                                                                          \
        if (nt == capt) t = sdk_xrealloc(t, (capt = capt ? capt * 2 : 16) * sizeof *t);           \
        t[nt++] = (touched){(p), false, NULL, 0};                                                 \
    } while (0)
    for (size_t i = 0; i < n; i++) {
        const char *p = ops[i].path;
        TOUCH(sdk_xstrdup(p));
        if (ops[i].kind == SDK_STORE_SET)
            for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/'))
                TOUCH(sdk_xstrndup(p, (size_t)(s - p)));
        if (ops[i].kind == SDK_STORE_DELETE_TREE) {
            const sdk_tree_entry *e = sdk_tree_find(&z->cache, p);
            size_t pl = strlen(p);
            if (e)
                for (size_t j = (size_t)(e - z->cache.e) + 1;
                     j < z->cache.n && !strncmp(z->cache.e[j].path, p, pl) && z->cache.e[j].path[pl] == '/';
                     j++)
                    TOUCH(sdk_xstrdup(z->cache.e[j].path));
        }
    }
#undef TOUCH
    qsort(t, nt, sizeof *t, touched_cmp);
    size_t u = 0;
    for (size_t i = 0; i < nt; i++) {
        if (u && !strcmp(t[u - 1].path, t[i].path)) {
            free(t[i].path);
            continue;
        }
        t[u++] = t[i];
    }
    nt = u;
    for (size_t i = 0; i < nt; i++) {
        const sdk_tree_entry *e = sdk_tree_find(&z->cache, t[i].path);
        if (!e) continue;
        t[i].had = true;
        t[i].val = sdk_xmalloc(e->len + 1);
        memcpy(t[i].val, e->val, e->len + 1);
        t[i].len = e->len;
    }
    sdk_tree_undo undo;
    int rc = sdk_tree_apply(&z->cache, ops, n, &undo, errs);
    if (rc) goto free_touched;

    /* The znode changes: creates and sets parents-first, deletes children-first. */
    zops zo = {0}, dels = {0};
    blob_ref *written = NULL, *garbage = NULL;
    size_t nw = 0, ng = 0;
    sdk_store_op *ptr_ops = NULL;
    size_t nptr = 0;
    char **ptr_bufs = NULL;
    for (size_t i = 0; i < nt && !rc; i++) {
        const sdk_tree_entry *e = sdk_tree_find(&z->cache, t[i].path);
        if (!e && !t[i].had) continue;
        if (e && t[i].had && e->len == t[i].len && !memcmp(e->val, t[i].val, e->len)) continue;
        const sdk_tree_entry *old_ptr = t[i].had ? sdk_tree_find(&z->ptrs, t[i].path) : NULL;
        if (old_ptr && old_ptr->len) {
            garbage = sdk_xrealloc(garbage, (ng + 1) * sizeof *garbage);
            if (ptr_parse(old_ptr->val, old_ptr->len, &garbage[ng])) ng++;
        }
        ptr_ops = sdk_xrealloc(ptr_ops, (nptr + 1) * sizeof *ptr_ops);
        ptr_bufs = sdk_xrealloc(ptr_bufs, (nptr + 1) * sizeof *ptr_bufs);
        ptr_bufs[nptr] = NULL;
        ptr_ops[nptr] = (sdk_store_op){SDK_STORE_SET, t[i].path, "", 0};
        if (!e) {
            if (old_ptr) nptr++;
            zops_push(&dels, 'd', t[i].path, NULL, 0);
            continue;
        }
        const char *data = e->val;
        size_t len = e->len;
        char ptr[160];
        if (len > z->inline_max || is_ptr(data, len)) {
            written = sdk_xrealloc(written, (nw + 1) * sizeof *written);
            rc = blob_write(z, data, len, &written[nw], errs);
            if (rc) break;
            len = ptr_format(ptr, sizeof ptr, &written[nw++]);
            data = ptr;
            ptr_bufs[nptr] = sdk_xmalloc(len);
            memcpy(ptr_bufs[nptr], ptr, len);
            ptr_ops[nptr].val = ptr_bufs[nptr];
            ptr_ops[nptr].len = len;
            nptr++;
        } else if (old_ptr) {
            nptr++;
        }
        zops_push(&zo, t[i].had ? 's' : 'c', t[i].path, data, len);
    }
    for (size_t i = dels.n; i-- > 0 && !rc;) {
        zops_push(&zo, 'd', dels.v[i].path, NULL, 0);
    }
    size_t size = OP_OVERHEAD;
    for (size_t i = 0; i < zo.n; i++) size += zop_size(z, &zo.v[i]);
    bool committed = false;
    if (!rc && zo.n == 0) {
        committed = true;
    } else if (!rc && size <= z->max_request) {
        rc = send_multi(z, zo.v, zo.n, true, "", 0, errs);
        committed = rc == 0;
    } else if (!rc) {
        /* Too big for one request: journal, flip, apply in batches, clear. */
        sdk_buf jb;
        sdk_buf_init(&jb);
        journal_encode(&zo, &jb);
        blob_ref j;
        rc = blob_write(z, jb.data, jb.len, &j, errs);
        sdk_buf_free(&jb);
        if (!rc) {
            char jptr[160];
            size_t jl = ptr_format(jptr, sizeof jptr, &j);
            rc = send_multi(z, NULL, 0, true, jptr, jl, errs);
            if (rc) {
                blob_delete(z, &j);
            } else {
                committed = true; /* durable from here: a later open finishes it */
                rc = send_batched(z, zo.v, zo.n, true, jptr, jl, errs);
                if (!rc) rc = send_multi(z, NULL, 0, true, "", 0, errs);
                if (!rc) blob_delete(z, &j);
                if (rc && errs)
                    sdk_errors_addf(errs,
                                    "state (%s): the transaction is recorded in journal %s and will "
                                    "be completed by the next open",
                                    z->desc, j.id);
            }
        }
    }
    if (committed && !rc) {
        sdk_tree_undo_free(&undo);
        if (nptr) {
            sdk_tree_undo pu;
            if (sdk_tree_apply(&z->ptrs, ptr_ops, nptr, &pu, NULL) == 0) sdk_tree_undo_free(&pu);
        }
        for (size_t i = 0; i < ng; i++) blob_delete(z, &garbage[i]);
    } else if (committed) {
        /* Durable but not fully applied; the session is marked lost, the cache shows the new
         * state (which the next open will also see). */
        sdk_tree_undo_free(&undo);
    } else {
        sdk_tree_rollback(&z->cache, &undo);
        for (size_t i = 0; i < nw; i++)
            if (!is_lost(z)) blob_delete(z, &written[i]);
    }
    for (size_t i = 0; i < nptr; i++) free(ptr_bufs[i]);
    free(ptr_bufs);
    free(ptr_ops);
    free(written);
    free(garbage);
    zops_free(&zo);
    zops_free(&dels);
free_touched:
    for (size_t i = 0; i < nt; i++) {
        free(t[i].path);
        free(t[i].val);
    }
    free(t);
    return rc;
}

static void zk_close(void *impl) {
    zk_store *z = impl;
    if (!z) return;
    if (z->sh) {
        pthread_mutex_lock(&z->sh->mu);
        z->sh->alive = false;
        /* the loop thread (this one) owns the timer: cancel it and drop its reference */
        bool timer = z->sh->timer_armed;
        if (timer) sdk_loop_timer_cancel(z->sh->loop, z->sh->timer_id);
        z->sh->timer_armed = false;
        pthread_mutex_unlock(&z->sh->mu);
        if (timer) shared_unref(z->sh);
    }
    if (z->zh) zookeeper_close(z->zh); /* ends the session: the ephemeral lock goes with it */
    if (z->sh) shared_unref(z->sh);
    sdk_tree_free(&z->cache);
    sdk_tree_free(&z->ptrs);
    free(z->servers);
    free(z->auth);
    free(z->root);
    free(z->desc);
    free(z);
}

static const sdk_store_vtable zk_vtable = {zk_get_new, zk_exists, zk_children_new, zk_commit, NULL,
                                           zk_close, NULL, zk_peek};

/* ---- URL ---- */

typedef struct zk_url {
    char *servers, *auth, *path; /* path NULL when the URL names none */
} zk_url;

static void zk_url_free(zk_url *u) {
    free(u->servers);
    free(u->auth);
    free(u->path);
    memset(u, 0, sizeof *u);
}

static int zk_url_parse(const char *url, zk_url *u, sdk_errors *errs) {
    memset(u, 0, sizeof *u);
    if (!url || strncmp(url, "zk://", 5) != 0) {
        if (errs) sdk_errors_addf(errs, "state: URL '%s' does not start with zk://", url ? url : "");
        return SDK_EINVAL;
    }
    const char *s = url + 5;
    const char *slash = strchr(s, '/');
    const char *at = memchr(s, '@', slash ? (size_t)(slash - s) : strlen(s));
    if (at) {
        u->auth = sdk_xstrndup(s, (size_t)(at - s));
        if (!strchr(u->auth, ':') || u->auth[0] == ':') {
            if (errs)
                sdk_errors_addf(errs, "state: URL '%s': credentials must be user:password before '@'",
                                url);
            zk_url_free(u);
            return SDK_EINVAL;
        }
        s = at + 1;
    }
    u->servers = slash ? sdk_xstrndup(s, (size_t)(slash - s)) : sdk_xstrdup(s);
    bool ok = *u->servers != 0;
    for (char *h = u->servers; ok && h;) {
        char *comma = strchr(h, ',');
        size_t hl = comma ? (size_t)(comma - h) : strlen(h);
        const char *colon = memchr(h, ':', hl);
        if (hl == 0 || !colon || colon == h || colon + 1 == h + hl) ok = false;
        for (const char *d = colon ? colon + 1 : h; ok && d < h + hl; d++)
            if (*d < '0' || *d > '9') ok = false;
        h = comma ? comma + 1 : NULL;
    }
    if (!ok) {
        if (errs)
            sdk_errors_addf(errs,
                            "state: URL '%s': expected zk://[user:password@]host:port[,host:port...]"
                            "[/path]",
                            url);
        zk_url_free(u);
        return SDK_EINVAL;
    }
    if (slash && slash[1]) {
        size_t pl = strlen(slash);
        while (pl > 1 && slash[pl - 1] == '/') pl--;
        u->path = sdk_xstrndup(slash, pl);
        if (!sdk_store_path_valid(u->path + 1)) {
            if (errs)
                sdk_errors_addf(errs, "state: URL '%s': '%s' is not a valid ZooKeeper path", url,
                                u->path);
            zk_url_free(u);
            return SDK_EINVAL;
        }
    }
    return 0;
}

static char *default_root_new(const char *service) {
    while (*service == '/') service++;
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "/dcos-service-");
    for (const char *c = service; *c; c++) {
        if (*c == '/')
            sdk_buf_puts(&b, "__");
        else
            sdk_buf_putc(&b, *c);
    }
    return sdk_buf_take(&b);
}

int sdk_store_zk_root_new(const char *url, const char *service_name, char **root,
                          sdk_errors *errs) {
    *root = NULL;
    zk_url u;
    int rc = zk_url_parse(url, &u, errs);
    if (rc) return rc;
    if (u.path) {
        *root = u.path;
        u.path = NULL;
    } else if (service_name && *service_name && strcspn(service_name, "/") != 0) {
        *root = default_root_new(service_name);
    } else {
        if (errs)
            sdk_errors_addf(errs,
                            "state: URL '%s' names no root path and no service name is known; "
                            "use zk://HOST:PORT/dcos-service-NAME",
                            url);
        rc = SDK_EINVAL;
    }
    zk_url_free(&u);
    return rc;
}

/* ---- open ---- */

static void auth_cb(int rc, const void *data) { void_cb(rc, data); }

/* Creates the root and its ancestors (existing ones are fine). */
static int ensure_root(zk_store *z, sdk_errors *errs) {
    for (const char *s = z->root + 1;; s++) {
        if (*s && *s != '/') continue;
        char *p = sdk_xstrndup(z->root, (size_t)(s - z->root));
        /* Synchronous: bounded by the session timeout (a lost connection fails the call). */
        int rc = zoo_create(z->zh, p, "", 0, z->acl, 0, NULL, 0);
        free(p);
        if (rc != ZOK && rc != ZNODEEXISTS) {
            if (errs)
                sdk_errors_addf(errs, "state (%s): cannot create the root %s: %s", z->desc, z->root,
                                zerror(rc));
            return SDK_EIO;
        }
        if (!*s) return 0;
    }
}

static int take_lock(zk_store *z, int wait_ms, sdk_errors *errs) {
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    char *me = sdk_asprintf_new("host=%s pid=%ld", host, (long)getpid());
    char *lock = abs_path_new(z, LOCK_NAME);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool waited = false;
    int ret = 0;
    for (;;) {
        int rc = zoo_create(z->zh, lock, me, (int)strlen(me), z->acl, ZOO_EPHEMERAL, NULL, 0);
        if (rc == ZOK) break;
        if (rc != ZNODEEXISTS) {
            if (errs)
                sdk_errors_addf(errs, "state (%s): cannot create the lock %s: %s", z->desc, lock,
                                zerror(rc));
            ret = SDK_EIO;
            break;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long el = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (el >= wait_ms) {
            char holder[256] = "";
            int hl = sizeof holder - 1;
            if (zoo_get(z->zh, lock, 0, holder, &hl, NULL) == ZOK && hl >= 0) holder[hl] = 0;
            else snprintf(holder, sizeof holder, "(unknown)");
            if (errs)
                sdk_errors_addf(errs,
                                "state (%s): the state root %s is locked by another scheduler "
                                "(%s); only one scheduler may run per service. Stop it, or wait "
                                "for its ZooKeeper session to expire",
                                z->desc, z->root, *holder ? holder : "(no holder data)");
            ret = SDK_EBUSY;
            break;
        }
        if (!waited) SDK_WARN(MOD, "%s: waiting up to %d ms for the lock %s", z->desc, wait_ms, lock);
        waited = true;
        usleep(200 * 1000);
    }
    free(lock);
    free(me);
    return ret;
}

int sdk_store_zk_open(const char *url, const sdk_store_zk_options *opts, sdk_store **out,
                      sdk_errors *errs) {
    *out = NULL;
    sdk_store_zk_options o = opts ? *opts : (sdk_store_zk_options){0};
    zk_url u;
    int rc = zk_url_parse(url, &u, errs);
    if (rc) return rc;
    char *root = NULL;
    if ((rc = sdk_store_zk_root_new(url, o.service_name, &root, errs))) {
        zk_url_free(&u);
        return rc;
    }
    zk_store *z = sdk_xcalloc(1, sizeof *z);
    z->servers = u.servers;
    z->auth = u.auth;
    free(u.path);
    z->root = root;
    z->desc = sdk_asprintf_new("zk://%s%s", z->servers, z->root);
    z->acl = z->auth ? &ZOO_CREATOR_ALL_ACL : &ZOO_OPEN_ACL_UNSAFE;
    z->op_timeout_ms = o.op_timeout_ms > 0 ? o.op_timeout_ms : 10000;
    z->load_helpers = o.load_helpers == 0 ? LOAD_HELPERS : o.load_helpers;
    z->bulk_read = o.bulk_read >= 0;
    z->read_only = o.read_only;
    z->inline_max = o.inline_max ? o.inline_max : 512000;
    z->chunk_size = o.chunk_size ? o.chunk_size : 512000;
    z->max_request = o.max_request ? o.max_request : 900000;
    z->stats = o.stats;
    z->after_request = o.after_request;
    z->after_request_ud = o.after_request_ud;
    int session_ms = o.session_timeout_ms > 0 ? o.session_timeout_ms : 10000;
    z->session_ms = session_ms;
    int lock_wait = o.lock_wait_ms > 0 ? o.lock_wait_ms : o.lock_wait_ms < 0 ? 0 : session_ms + 2000;

    zk_shared *sh = sdk_xcalloc(1, sizeof *sh);
    pthread_mutex_init(&sh->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sh->cv, &ca);
    pthread_condattr_destroy(&ca);
    sh->refs = 1;
    sh->alive = true;
    sh->loop = o.loop;
    sh->cb = o.on_lost;
    sh->ud = o.on_lost_ud;
    sh->session_ms = session_ms;
    z->sh = sh;

    /* The C client logs every reconnect attempt on stderr; our errors carry what matters.
     * (A process-wide setting, as in core/mesos/detect.c.) */
    zoo_set_debug_level(sdk_log_get_level() == SDK_LOG_DEBUG ? ZOO_LOG_LEVEL_INFO : (ZooLogLevel)0);
    z->zh = zookeeper_init(z->servers, watcher, session_ms, NULL, sh, 0);
    if (!z->zh) {
        if (errs)
            sdk_errors_addf(errs, "state (%s): cannot start a ZooKeeper client for '%s': %s", z->desc,
                            z->servers, strerror(errno));
        rc = SDK_EIO;
        goto fail;
    }
    /* By default the C client resolves the server names again (getaddrinfo, with a netlink
     * round trip) every time its IO thread polls, i.e. for about every request and reply: a third
     * of the client's CPU while loading. A re-resolution every few seconds still follows DNS
     * changes (and a lost connection resolves at once anyway). */
    zoo_set_servers_resolution_delay(z->zh, RESOLVE_DELAY_MS);
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += z->op_timeout_ms / 1000;
    dl.tv_nsec += (long)(z->op_timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) dl.tv_sec++, dl.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&sh->mu);
    int w = 0;
    while (!sh->connected && w != ETIMEDOUT && !atomic_load(&sh->lost))
        w = pthread_cond_timedwait(&sh->cv, &sh->mu, &dl);
    bool up = sh->connected;
    pthread_mutex_unlock(&sh->mu);
    if (!up) {
        if (errs)
            sdk_errors_addf(errs,
                            "state (%s): cannot reach ZooKeeper at %s within %d ms; check the "
                            "servers in --state and that they are running",
                            z->desc, z->servers, z->op_timeout_ms);
        rc = SDK_EIO;
        goto fail;
    }
    {
        /* The server may have negotiated another timeout than the one asked for. */
        int negotiated = zoo_recv_timeout(z->zh);
        pthread_mutex_lock(&sh->mu);
        if (negotiated > 0) sh->session_ms = negotiated;
        pthread_mutex_unlock(&sh->mu);
    }
    if (z->auth) {
        zbatch *b = batch_new(1);
        batch_issue(b);
        int arc = zoo_add_auth(z->zh, "digest", z->auth, (int)strlen(z->auth), auth_cb, &b->r[0]);
        if (arc != ZOK) {
            b->r[0].rc = arc;
            batch_done(b);
        }
        if ((rc = wait_reads(z, b, "authenticating", errs))) goto fail;
        arc = b->r[0].rc;
        batch_release(b);
        if (arc != ZOK) {
            if (errs)
                sdk_errors_addf(errs, "state (%s): ZooKeeper refused the digest credentials: %s",
                                z->desc, zerror(arc));
            rc = SDK_EIO;
            goto fail;
        }
    }
    if (!z->read_only) {
        if ((rc = ensure_root(z, errs))) goto fail;
        if ((rc = take_lock(z, lock_wait, errs))) goto fail;
    }
    if ((rc = load_state(z, errs))) goto fail;
    if (!z->read_only && z->root_version > 0 && z->cache.n == 0) {
        if (!o.reset_state) {
            if (errs)
                sdk_errors_addf(errs,
                                "state (%s): the state is missing, but the root %s has seen %d "
                                "transactions: its nodes were deleted. Starting empty would "
                                "register a new framework, orphan the old one's tasks and "
                                "garbage-collect its reservations and volumes as unclaimed (their "
                                "data destroyed). Restore the state from a backup "
                                "(scheduler state restore), or start with --reset-state to abandon "
                                "the old state",
                                z->desc, z->root, z->root_version);
            rc = SDK_ESTATE;
            goto fail;
        }
        SDK_WARN(MOD, "%s: the state is missing although the root has seen %d transactions; starting "
                      "empty as --reset-state asks (the old framework is abandoned; its volumes will be destroyed as unclaimed when offered)",
                 z->desc, z->root_version);
    }
    if (atomic_load(&sh->lost)) {
        if (errs)
            sdk_errors_addf(errs, "state (%s): ZooKeeper session lost while opening (%s)", z->desc,
                            sh->why);
        rc = SDK_EIO;
        goto fail;
    }
    pthread_mutex_lock(&sh->mu);
    sh->opened = true;
    pthread_mutex_unlock(&sh->mu);
    size_t max_value = o.max_value ? o.max_value : (size_t)64 << 20;
    *out = sdk_store_new(&zk_vtable, z, z->desc, max_value);
    /* Half a request: a logical write may also create parent znodes, and each znode operation
     * carries the root in its path. */
    sdk_store_set_request_budget(*out, z->max_request / 2);
    SDK_INFO(MOD, "%s: opened (%zu nodes)%s", z->desc, z->cache.n, z->read_only ? " read-only" : "");
    return 0;
fail:
    pthread_mutex_lock(&sh->mu);
    sh->cb = NULL; /* nothing to report for a store that never opened */
    pthread_mutex_unlock(&sh->mu);
    zk_close(z);
    return rc;
}
