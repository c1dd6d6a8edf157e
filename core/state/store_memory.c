/* The in-memory backend: a node tree and nothing else. For tests and simulation; its contents
 * die with the process. */
#include <stdlib.h>
#include <string.h>

#include "core/state/store.h"
#include "core/state/tree.h"
#include "core/util/str.h"

typedef struct {
    sdk_tree tree;
} mem_store;

static int mem_get(void *impl, const char *path, void **val, size_t *len, sdk_errors *errs) {
    (void)errs;
    const sdk_tree_entry *e = sdk_tree_find(&((mem_store *)impl)->tree, path);
    if (!e) return SDK_ENOENT;
    char *v = sdk_xmalloc(e->len + 1);
    memcpy(v, e->val, e->len + 1);
    *val = v;
    *len = e->len;
    return 0;
}

static int mem_peek(void *impl, const char *path, const void **val, size_t *len, sdk_errors *errs) {
    (void)errs;
    const sdk_tree_entry *e = sdk_tree_find(&((mem_store *)impl)->tree, path);
    if (!e) return SDK_ENOENT;
    *val = e->val; /* the tree keeps a NUL after each value */
    *len = e->len;
    return 0;
}

static int mem_exists(void *impl, const char *path, bool *exists, sdk_errors *errs) {
    (void)errs;
    *exists = sdk_tree_find(&((mem_store *)impl)->tree, path) != NULL;
    return 0;
}

static int mem_children(void *impl, const char *path, char ***names, size_t *n, sdk_errors *errs) {
    (void)errs;
    return sdk_tree_children_new(&((mem_store *)impl)->tree, path, names, n);
}

static int mem_commit(void *impl, const sdk_store_op *ops, size_t n, sdk_errors *errs) {
    sdk_tree_undo undo;
    int rc = sdk_tree_apply(&((mem_store *)impl)->tree, ops, n, &undo, errs);
    if (rc == 0) sdk_tree_undo_free(&undo);
    return rc;
}

static void mem_close(void *impl) {
    mem_store *m = impl;
    sdk_tree_free(&m->tree);
    free(m);
}

static const sdk_store_vtable mem_vtable = {
    .get_new = mem_get,
    .peek = mem_peek,
    .exists = mem_exists,
    .children_new = mem_children,
    .commit = mem_commit,
    .compact = NULL,
    .close = mem_close,
};

int sdk_store_memory_open(sdk_store **out) {
    mem_store *m = sdk_xcalloc(1, sizeof *m);
    sdk_tree_init(&m->tree);
    *out = sdk_store_new(&mem_vtable, m, "memory", 0);
    return 0;
}
