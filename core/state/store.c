/* The generic store layer: argument and limit checks shared by every backend, the transaction
 * builder, and URL dispatch (contracts in store.h). */
#include "core/state/store.h"
#include "core/state/store_zk.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util/str.h"

struct sdk_store {
    const sdk_store_vtable *vt;
    void *impl;
    char *description;
    size_t max_value;
    uint64_t commits; /* transactions committed */
    size_t request_budget;
    /* write health (sdk_store_get_health) */
    uint64_t failures;
    double failing_since; /* monotonic seconds of the first failure */
    char *why;
    void *peek_copy; /* sdk_store_peek's value for a backend without peek */
};

struct sdk_store_txn {
    sdk_store_op *ops; /* paths and values owned by the txn */
    size_t n, cap;
};

sdk_store *sdk_store_new(const sdk_store_vtable *vt, void *impl, const char *description,
                         size_t max_value) {
    sdk_store *s = sdk_xcalloc(1, sizeof *s);
    s->vt = vt;
    s->impl = impl;
    s->description = sdk_xstrdup(description);
    s->max_value = max_value ? max_value : SDK_STORE_DEFAULT_MAX_VALUE;
    return s;
}

void sdk_store_close(sdk_store *s) {
    if (!s) return;
    s->vt->close(s->impl);
    free(s->description);
    free(s->why);
    free(s->peek_copy);
    free(s);
}

size_t sdk_store_max_value(const sdk_store *s) { return s->max_value; }
void sdk_store_set_max_value(sdk_store *s, size_t max_value) {
    s->max_value = max_value ? max_value : SDK_STORE_DEFAULT_MAX_VALUE;
}
const char *sdk_store_describe(const sdk_store *s) { return s->description; }

bool sdk_store_path_valid(const char *path) {
    if (!path || !*path) return false;
    const char *c = path;
    for (;;) {
        const char *end = strchr(c, '/');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        if (len == 0) return false; /* leading, trailing or double '/' */
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) return false;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)c[i] < 0x20 || c[i] == 0x7f) return false;
        if (!end) return true;
        c = end + 1;
    }
}

/* Checks a read path; "" (the root) is allowed when allow_root. */
static int check_path(const sdk_store *s, const char *path, bool allow_root, sdk_errors *errs) {
    if (path && allow_root && !*path) return 0;
    if (sdk_store_path_valid(path)) return 0;
    if (errs)
        sdk_errors_addf(errs,
                        "state (%s): invalid path '%s': use non-empty components separated by "
                        "single '/', without '.', '..' or control characters",
                        s->description, path ? path : "(null)");
    return SDK_EINVAL;
}

int sdk_store_get_new(sdk_store *s, const char *path, void **val, size_t *len, sdk_errors *errs) {
    *val = NULL;
    if (len) *len = 0;
    int rc = check_path(s, path, false, errs);
    if (rc) return rc;
    size_t l = 0;
    rc = s->vt->get_new(s->impl, path, val, &l, errs);
    if (len) *len = l;
    return rc;
}

int sdk_store_peek(sdk_store *s, const char *path, const void **val, size_t *len, sdk_errors *errs) {
    *val = NULL;
    if (len) *len = 0;
    int rc = check_path(s, path, false, errs);
    if (rc) return rc;
    size_t l = 0;
    if (s->vt->peek) {
        rc = s->vt->peek(s->impl, path, val, &l, errs);
    } else {
        free(s->peek_copy);
        s->peek_copy = NULL;
        rc = s->vt->get_new(s->impl, path, &s->peek_copy, &l, errs);
        *val = s->peek_copy;
    }
    if (len) *len = l;
    return rc;
}

int sdk_store_exists(sdk_store *s, const char *path, bool *exists, sdk_errors *errs) {
    *exists = false;
    int rc = check_path(s, path, true, errs);
    if (rc) return rc;
    if (!*path) {
        *exists = true;
        return 0;
    }
    return s->vt->exists(s->impl, path, exists, errs);
}

int sdk_store_children_new(sdk_store *s, const char *path, char ***names, size_t *n,
                           sdk_errors *errs) {
    *names = NULL;
    *n = 0;
    int rc = check_path(s, path, true, errs);
    if (rc) return rc;
    return s->vt->children_new(s->impl, path, names, n, errs);
}

void sdk_store_names_free(char **names, size_t n) {
    if (!names) return;
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void health_clear(sdk_store *s) {
    s->failures = 0;
    free(s->why);
    s->why = NULL;
}

static void health_fail(sdk_store *s, const char *why) {
    if (!s->failures++) s->failing_since = mono_s();
    free(s->why);
    s->why = sdk_xstrdup(why);
}

void sdk_store_get_health(const sdk_store *s, sdk_store_health *h) {
    h->failing = s->failures > 0;
    h->why = s->why;
    h->failures = s->failures;
    h->failing_for_s = s->failures ? mono_s() - s->failing_since : 0;
}

int sdk_store_recover(sdk_store *s, sdk_errors *errs) {
    if (!s->failures) return 0;
    if (!s->vt->recover) return SDK_ESTATE;
    int rc = s->vt->recover(s->impl, errs);
    if (!rc) health_clear(s);
    return rc;
}

int sdk_store_commit_ops(sdk_store *s, const sdk_store_op *ops, size_t n, sdk_errors *errs) {
    if (n == 0) return 0;
    int rc = 0;
    /* Check every op first so one bad op reports all problems and nothing reaches the backend. */
    for (size_t i = 0; i < n; i++) {
        const sdk_store_op *op = &ops[i];
        if (!sdk_store_path_valid(op->path)) {
            if (errs)
                sdk_errors_addf(errs,
                                "state (%s): op %zu of the transaction has an invalid path '%s': "
                                "use non-empty components separated by single '/', without '.', "
                                "'..' or control characters",
                                s->description, i + 1, op->path ? op->path : "(null)");
            rc = SDK_EINVAL;
            continue;
        }
        if (op->kind == SDK_STORE_SET) {
            if (op->len > 0 && !op->val) {
                if (errs)
                    sdk_errors_addf(errs, "state (%s): value for '%s' is NULL with length %zu",
                                    s->description, op->path, op->len);
                rc = SDK_EINVAL;
            } else if (op->len > s->max_value) {
                if (errs)
                    sdk_errors_addf(errs,
                                    "state (%s): value for '%s' is %zu bytes, over the store's "
                                    "limit of %zu bytes per value; split it into several nodes",
                                    s->description, op->path, op->len, s->max_value);
                rc = SDK_EINVAL;
            }
        } else if (op->kind != SDK_STORE_DELETE && op->kind != SDK_STORE_DELETE_TREE) {
            if (errs)
                sdk_errors_addf(errs, "state (%s): op %zu on '%s' has unknown kind %d",
                                s->description, i + 1, op->path, (int)op->kind);
            rc = SDK_EINVAL;
        }
    }
    if (rc) return rc;
    size_t before = errs ? errs->n : 0;
    rc = s->vt->commit(s->impl, ops, n, errs);
    if (!rc) {
        s->commits++;
        health_clear(s);
    } else if (rc == SDK_EIO) {
        health_fail(s, errs && errs->n > before ? errs->msgs[before] : "a write failed");
    }
    return rc;
}

uint64_t sdk_store_commits(const sdk_store *s) { return s->commits; }
size_t sdk_store_request_budget(const sdk_store *s) { return s->request_budget; }
void sdk_store_set_request_budget(sdk_store *s, size_t bytes) { s->request_budget = bytes; }

size_t sdk_store_txn_bytes(const sdk_store_txn *t) {
    size_t b = 0;
    for (size_t i = 0; i < t->n; i++) b += 64 + strlen(t->ops[i].path) + t->ops[i].len;
    return b;
}

int sdk_store_compact(sdk_store *s, sdk_errors *errs) {
    return s->vt->compact ? s->vt->compact(s->impl, errs) : 0;
}

/* ---- transaction builder ---- */

sdk_store_txn *sdk_store_txn_new(void) { return sdk_xcalloc(1, sizeof(sdk_store_txn)); }

void sdk_store_txn_free(sdk_store_txn *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) {
        free((char *)t->ops[i].path);
        free((void *)t->ops[i].val);
    }
    free(t->ops);
    free(t);
}

static void txn_push(sdk_store_txn *t, sdk_store_op_kind kind, const char *path, const void *val,
                     size_t len) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->ops = sdk_xrealloc(t->ops, t->cap * sizeof *t->ops);
    }
    void *copy = NULL;
    if (kind == SDK_STORE_SET) {
        copy = sdk_xmalloc(len ? len : 1);
        if (len && val) memcpy(copy, val, len);
        if (!val) len = 0;
    }
    t->ops[t->n++] = (sdk_store_op){kind, path ? sdk_xstrdup(path) : NULL, copy, len};
}

void sdk_store_txn_set(sdk_store_txn *t, const char *path, const void *val, size_t len) {
    txn_push(t, SDK_STORE_SET, path, val, len);
}
void sdk_store_txn_set_str(sdk_store_txn *t, const char *path, const char *val) {
    txn_push(t, SDK_STORE_SET, path, val ? val : "", val ? strlen(val) : 0);
}
void sdk_store_txn_delete(sdk_store_txn *t, const char *path) {
    txn_push(t, SDK_STORE_DELETE, path, NULL, 0);
}
void sdk_store_txn_delete_tree(sdk_store_txn *t, const char *path) {
    txn_push(t, SDK_STORE_DELETE_TREE, path, NULL, 0);
}
size_t sdk_store_txn_count(const sdk_store_txn *t) { return t->n; }

void sdk_store_txn_prepend(sdk_store_txn *t, sdk_store_txn *front) {
    if (!front->n) return;
    if (t->n + front->n > t->cap) {
        t->cap = t->n + front->n;
        t->ops = sdk_xrealloc(t->ops, t->cap * sizeof *t->ops);
    }
    memmove(t->ops + front->n, t->ops, t->n * sizeof *t->ops);
    memcpy(t->ops, front->ops, front->n * sizeof *t->ops);
    t->n += front->n;
    front->n = 0; /* the paths and values now belong to t */
}

int sdk_store_txn_commit(sdk_store *s, const sdk_store_txn *t, sdk_errors *errs) {
    return sdk_store_commit_ops(s, t->ops, t->n, errs);
}

/* ---- URL dispatch ---- */

int sdk_store_open_url(const char *url, sdk_store **out, sdk_errors *errs) {
    return sdk_store_open_url_reset(url, false, out, errs);
}

int sdk_store_open_url_reset(const char *url, bool reset_state, sdk_store **out, sdk_errors *errs) {
    *out = NULL;
    if (!url) url = "";
    if (strcmp(url, "memory:") == 0 || strcmp(url, "memory") == 0) return sdk_store_memory_open(out);
    if (sdk_str_starts(url, "file:")) {
        const char *dir = url + 5;
        if (sdk_str_starts(dir, "//")) dir += 2; /* file:///var/x -> /var/x */
        if (!*dir) {
            if (errs)
                sdk_errors_addf(errs, "state: URL '%s' names no directory; use file:DIR", url);
            return SDK_EINVAL;
        }
        sdk_store_file_options fo = {.reset_state = reset_state};
        return sdk_store_file_open(dir, &fo, out, errs);
    }
    if (sdk_str_starts(url, "zk://")) {
        sdk_store_zk_options zo = {.reset_state = reset_state};
        return sdk_store_zk_open(url, &zo, out, errs);
    }
    if (errs)
        sdk_errors_addf(errs,
                        "state: unknown store URL '%s'; use file:DIR, memory: or "
                        "zk://host:port[,host:port...]/path",
                        url);
    return SDK_EINVAL;
}
