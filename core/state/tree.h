/* The in-memory node tree that both embedded backends (memory, file) keep: a ZooKeeper-like
 * hierarchy of nodes, each holding bytes (possibly empty), stored as one map sorted by path so a
 * subtree is one contiguous range. Internal to core/state: users go through store.h.
 *
 * Node semantics (the same a ZooKeeper backend must give):
 * - set creates the node and any missing ancestors (ancestors get empty data);
 * - delete removes one node; it fails when the node has children; a missing node is a no-op;
 * - delete-tree removes a node and all its descendants; a missing node is a no-op.
 * Not thread-safe: the owner serialises calls. */
#ifndef SDK_STATE_TREE_H
#define SDK_STATE_TREE_H
#include <stdbool.h>
#include <stddef.h>
#include "core/state/store.h"
#include "core/util/err.h"

typedef struct sdk_tree_entry {
    char *path;
    char *val; /* NUL-terminated copy; len excludes the NUL */
    size_t len;
} sdk_tree_entry;

typedef struct sdk_tree {
    sdk_tree_entry *e; /* sorted by path, '/' ranking below every other byte */
    size_t n, cap;
    size_t bytes;      /* sum of path and value lengths, for sizing snapshots */
} sdk_tree;

/* What a successful apply changed, so it can be rolled back. Owned by the caller. */
typedef struct sdk_tree_undo {
    struct sdk_tree_undo_rec *r;
    size_t n, cap;
} sdk_tree_undo;

void sdk_tree_init(sdk_tree *t);
void sdk_tree_free(sdk_tree *t);

/* Returns the entry at path, or NULL. The pointer is valid until the next change. */
const sdk_tree_entry *sdk_tree_find(const sdk_tree *t, const char *path);

/* Lists the names (last component) of path's direct children, sorted, into a new array of new
 * strings (free with sdk_store_names_free). path "" is the root. Returns 0 or SDK_ENOENT when
 * path is not a node. */
int sdk_tree_children_new(const sdk_tree *t, const char *path, char ***names, size_t *n);

/* Applies ops in order. On success returns 0 and fills undo (call sdk_tree_undo_free to keep the
 * change, or sdk_tree_rollback to revert it). On failure the tree is unchanged, an error naming
 * the op and path is added to errs (may be NULL) and a negative SDK_E* is returned. Paths must
 * already be valid (sdk_store_path_valid). */
int sdk_tree_apply(sdk_tree *t, const sdk_store_op *ops, size_t nops, sdk_tree_undo *undo,
                   sdk_errors *errs);
void sdk_tree_rollback(sdk_tree *t, sdk_tree_undo *undo);
void sdk_tree_undo_free(sdk_tree_undo *undo);
#endif
