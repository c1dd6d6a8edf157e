/* The sorted-map node tree shared by the memory and file backends (contract in tree.h). */
#include "core/state/tree.h"

#include <stdlib.h>
#include <string.h>

#include "core/util/str.h"

/* How to undo one change: restore `path` to `old` (had == true) or remove it (had == false).
 * Owns path and old.val. */
typedef struct sdk_tree_undo_rec {
    char *path;
    bool had;
    char *val;
    size_t len;
} sdk_tree_undo_rec;

void sdk_tree_init(sdk_tree *t) { memset(t, 0, sizeof *t); }

void sdk_tree_free(sdk_tree *t) {
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].path);
        free(t->e[i].val);
    }
    free(t->e);
    memset(t, 0, sizeof *t);
}

/* Path order: bytewise, except that '/' ranks below every other byte, so a node's descendants
 * sort directly after it ("a", "a/x", "a-1" rather than "a", "a-1", "a/x") and a subtree is one
 * contiguous range starting at its root. */
static int path_cmp(const char *a, const char *b) {
    for (;; a++, b++) {
        unsigned ca = *a == '/' ? 1u : (unsigned char)*a, cb = *b == '/' ? 1u : (unsigned char)*b;
        if (ca != cb) return ca < cb ? -1 : 1;
        if (!ca) return 0;
    }
}

/* Index of the first entry whose path is >= path. */
static size_t lower_bound(const sdk_tree *t, const char *path) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (path_cmp(t->e[mid].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const sdk_tree_entry *sdk_tree_find(const sdk_tree *t, const char *path) {
    size_t i = lower_bound(t, path);
    return i < t->n && strcmp(t->e[i].path, path) == 0 ? &t->e[i] : NULL;
}

/* True if entry path p lies strictly under prefix (prefix "" = the root). */
static bool is_under(const char *p, const char *prefix, size_t plen) {
    if (plen == 0) return true;
    return strncmp(p, prefix, plen) == 0 && p[plen] == '/';
}

int sdk_tree_children_new(const sdk_tree *t, const char *path, char ***names, size_t *n) {
    size_t plen = strlen(path);
    *names = NULL;
    *n = 0;
    if (plen > 0 && !sdk_tree_find(t, path)) return SDK_ENOENT;
    /* Descendants of P directly follow P in path order. */
    size_t i = plen ? lower_bound(t, path) + 1 : 0;
    size_t cap = 0, cnt = 0;
    char **out = NULL;
    for (; i < t->n && is_under(t->e[i].path, path, plen); i++) {
        const char *rest = t->e[i].path + (plen ? plen + 1 : 0);
        if (strchr(rest, '/')) continue; /* a grandchild */
        if (cnt == cap) {
            cap = cap ? cap * 2 : 8;
            out = sdk_xrealloc(out, cap * sizeof *out);
        }
        out[cnt++] = sdk_xstrdup(rest);
    }
    *names = out;
    *n = cnt;
    return 0;
}

static void undo_push(sdk_tree_undo *u, char *path, bool had, char *val, size_t len) {
    if (u->n == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 8;
        u->r = sdk_xrealloc(u->r, u->cap * sizeof *u->r);
    }
    u->r[u->n++] = (sdk_tree_undo_rec){path, had, val, len};
}

/* Inserts a new entry at index i taking ownership of path and val. */
static void insert_at(sdk_tree *t, size_t i, char *path, char *val, size_t len) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->e = sdk_xrealloc(t->e, t->cap * sizeof *t->e);
    }
    memmove(&t->e[i + 1], &t->e[i], (t->n - i) * sizeof *t->e);
    t->e[i] = (sdk_tree_entry){path, val, len};
    t->n++;
    t->bytes += strlen(path) + len;
}

/* Removes entries [i, j), handing each path and value to undo (or freeing them when undo is
 * NULL). */
static void remove_range(sdk_tree *t, size_t i, size_t j, sdk_tree_undo *undo) {
    for (size_t k = i; k < j; k++) {
        t->bytes -= strlen(t->e[k].path) + t->e[k].len;
        if (undo) {
            undo_push(undo, t->e[k].path, true, t->e[k].val, t->e[k].len);
        } else {
            free(t->e[k].path);
            free(t->e[k].val);
        }
    }
    memmove(&t->e[i], &t->e[j], (t->n - j) * sizeof *t->e);
    t->n -= j - i;
}

static char *copy_val(const void *val, size_t len) {
    char *v = sdk_xmalloc(len + 1);
    if (len) memcpy(v, val, len);
    v[len] = '\0';
    return v;
}

/* Sets path = val, creating missing ancestors; records every change in undo. */
static void do_set(sdk_tree *t, const char *path, const void *val, size_t len, sdk_tree_undo *undo) {
    /* Ancestors first, shortest first, so each insert keeps the map sorted and complete. */
    for (const char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
        char *anc = sdk_xstrndup(path, (size_t)(slash - path));
        size_t i = lower_bound(t, anc);
        if (i < t->n && strcmp(t->e[i].path, anc) == 0) {
            free(anc);
            continue;
        }
        undo_push(undo, sdk_xstrdup(anc), false, NULL, 0);
        insert_at(t, i, anc, copy_val("", 0), 0);
    }
    size_t i = lower_bound(t, path);
    if (i < t->n && strcmp(t->e[i].path, path) == 0) {
        sdk_tree_entry *e = &t->e[i];
        undo_push(undo, sdk_xstrdup(path), true, e->val, e->len);
        t->bytes = t->bytes - e->len + len;
        e->val = copy_val(val, len);
        e->len = len;
    } else {
        undo_push(undo, sdk_xstrdup(path), false, NULL, 0);
        insert_at(t, i, sdk_xstrdup(path), copy_val(val, len), len);
    }
}

/* Index one past the last descendant of the entry at i. */
static size_t subtree_end(const sdk_tree *t, size_t i) {
    const char *p = t->e[i].path;
    size_t plen = strlen(p), j = i + 1;
    while (j < t->n && is_under(t->e[j].path, p, plen)) j++;
    return j;
}

int sdk_tree_apply(sdk_tree *t, const sdk_store_op *ops, size_t nops, sdk_tree_undo *undo,
                   sdk_errors *errs) {
    memset(undo, 0, sizeof *undo);
    for (size_t k = 0; k < nops; k++) {
        const sdk_store_op *op = &ops[k];
        size_t i = lower_bound(t, op->path);
        bool found = i < t->n && strcmp(t->e[i].path, op->path) == 0;
        switch (op->kind) {
        case SDK_STORE_SET:
            do_set(t, op->path, op->val, op->len, undo);
            break;
        case SDK_STORE_DELETE:
            if (!found) break;
            if (subtree_end(t, i) != i + 1) {
                if (errs)
                    sdk_errors_addf(errs,
                                    "state: cannot delete '%s' (op %zu of the transaction): it has "
                                    "children; delete the whole subtree instead",
                                    op->path, k + 1);
                sdk_tree_rollback(t, undo);
                return SDK_EINVAL;
            }
            remove_range(t, i, i + 1, undo);
            break;
        case SDK_STORE_DELETE_TREE:
            if (found) remove_range(t, i, subtree_end(t, i), undo);
            break;
        default:
            if (errs)
                sdk_errors_addf(errs, "state: unknown operation %d on '%s' (op %zu)", (int)op->kind,
                                op->path, k + 1);
            sdk_tree_rollback(t, undo);
            return SDK_EINVAL;
        }
    }
    return 0;
}

void sdk_tree_rollback(sdk_tree *t, sdk_tree_undo *undo) {
    for (size_t k = undo->n; k-- > 0;) {
        sdk_tree_undo_rec *r = &undo->r[k];
        size_t i = lower_bound(t, r->path);
        bool found = i < t->n && strcmp(t->e[i].path, r->path) == 0;
        if (r->had) {
            if (found) {
                t->bytes = t->bytes - t->e[i].len + r->len;
                free(t->e[i].val);
                t->e[i].val = r->val;
                t->e[i].len = r->len;
                free(r->path);
            } else {
                insert_at(t, i, r->path, r->val, r->len);
            }
        } else {
            if (found) remove_range(t, i, i + 1, NULL);
            free(r->path);
        }
        r->path = NULL;
        r->val = NULL;
    }
    free(undo->r);
    memset(undo, 0, sizeof *undo);
}

void sdk_tree_undo_free(sdk_tree_undo *undo) {
    for (size_t k = 0; k < undo->n; k++) {
        free(undo->r[k].path);
        free(undo->r[k].val);
    }
    free(undo->r);
    memset(undo, 0, sizeof *undo);
}
