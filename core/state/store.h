/* The durable state store: a backend-neutral hierarchical key/value store.
 *
 * Paths are relative to the store's root, components separated by '/':
 * "Tasks/hello-0-server/TaskInfo". A valid path is non-empty, has no leading or trailing '/',
 * no empty component, no "." or ".." component and no control character. The root itself is
 * the empty path "" (only for exists/children). Values are bytes.
 *
 * Node semantics follow ZooKeeper so a ZooKeeper backend can implement them one to one:
 * - set creates the node and any missing ancestors (ancestors get empty data);
 * - delete removes one node; it fails (SDK_EINVAL) when the node has children; a missing node
 *   is a no-op;
 * - delete-tree removes a node and all its descendants; a missing node is a no-op.
 *
 * Writes happen only through transactions: a batch of ops applied all or nothing. When a commit
 * returns 0 the change is durable (the file backend has fsync'd it). When it fails, nothing
 * changed and errs says what and where. A value larger than the store's limit (default
 * SDK_STORE_DEFAULT_MAX_VALUE, ZooKeeper's) is refused with an error naming the path and size;
 * callers that need bigger values split them into several nodes.
 *
 * A store has one writer (the file backend holds an exclusive lock on its directory) and is used
 * from one thread. Reads are served from memory by the embedded backends. */
#ifndef SDK_STATE_STORE_H
#define SDK_STATE_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util/err.h"

#define SDK_STORE_DEFAULT_MAX_VALUE ((size_t)1000000)

typedef struct sdk_store sdk_store;

typedef enum {
    SDK_STORE_SET = 1,         /* create or replace path's value */
    SDK_STORE_DELETE = 2,      /* remove a childless node */
    SDK_STORE_DELETE_TREE = 3, /* remove a node and everything under it */
} sdk_store_op_kind;

/* One operation of a transaction. Pointers are borrowed for the duration of the call. */
typedef struct sdk_store_op {
    sdk_store_op_kind kind;
    const char *path;
    const void *val; /* SDK_STORE_SET only */
    size_t len;
} sdk_store_op;

/* ---- opening ------------------------------------------------------------------------------ */

/* Opens a store by URL:
 *   "memory:"    a fresh in-memory store (tests, simulation);
 *   "file:DIR"   the embedded durable store in directory DIR (created if missing);
 *   "zk://[user:pass@]host:port,.../path"  the ZooKeeper backend (store_zk.h); the scheduler
 *                opens it with sdk_store_zk_open to pass its service name and session-loss hook.
 * On success *out is a new store (sdk_store_close). On failure *out is NULL, errs says why, and
 * the return is SDK_EINVAL (bad URL), SDK_EBUSY (DIR locked by another process: the message names
 * DIR and the holder's pid), SDK_ECORRUPT (the message names the file and offset), SDK_ESTATE
 * (the state went missing: see sdk_store_file_open and store_zk.h) or SDK_EIO. */
int sdk_store_open_url(const char *url, sdk_store **out, sdk_errors *errs);
/* The same; with reset_state, a state that went missing (see sdk_store_file_open and
 * store_zk.h) opens empty instead of being refused with SDK_ESTATE. */
int sdk_store_open_url_reset(const char *url, bool reset_state, sdk_store **out, sdk_errors *errs);

int sdk_store_memory_open(sdk_store **out);

typedef struct sdk_store_file_options {
    size_t max_value;     /* 0 = SDK_STORE_DEFAULT_MAX_VALUE */
    size_t compact_bytes; /* compact when the log grows past this; 0 = 16 MiB */
    bool no_sync;         /* skip fsync (benchmarks only: not crash-safe against power loss) */
    bool reset_state;     /* open empty although the state's traces say it existed (below) */
} sdk_store_file_options;

/* Opens the file backend in dir; opts may be NULL for defaults. Same results as open_url.
 *
 * State that went missing. The first open writes a marker beside the directory, DIR.sdk-state
 * (outside it, so that deleting the directory's contents or the directory itself leaves it).
 * When DIR holds neither snapshot nor log but the marker or DIR/lock exists, the state was
 * deleted, not never created: open refuses with SDK_ESTATE, naming what it found, and writes
 * nothing, because starting empty would register a new framework, orphan the old one's tasks
 * and garbage-collect its reservations and volumes as unclaimed (their data destroyed). reset_state opens it empty anyway (the operator's choice).
 * Deleting the marker too (e.g. the whole work directory) is a deliberate fresh start. */
int sdk_store_file_open(const char *dir, const sdk_store_file_options *opts, sdk_store **out,
                        sdk_errors *errs);

/* Releases the store (and the file backend's lock). NULL is allowed. */
void sdk_store_close(sdk_store *s);

/* ---- reads -------------------------------------------------------------------------------- */

/* Copies path's value into a new buffer (free()), NUL-terminated for convenience; *len excludes
 * the NUL. Returns 0, SDK_ENOENT when the node does not exist (no message added), SDK_EINVAL for
 * a bad path. errs may be NULL. */
int sdk_store_get_new(sdk_store *s, const char *path, void **val, size_t *len, sdk_errors *errs);
/* The same without a copy: *val borrows the value (NUL-terminated; *len excludes the NUL), valid
 * until the next peek, commit, recover or close through s. For loading many values at a start
 * (10,000 tasks' TaskInfos) without allocating and copying each. Same returns as get_new. */
int sdk_store_peek(sdk_store *s, const char *path, const void **val, size_t *len, sdk_errors *errs);

/* Sets *exists. Returns 0 or SDK_EINVAL for a bad path. */
int sdk_store_exists(sdk_store *s, const char *path, bool *exists, sdk_errors *errs);

/* Lists the names (last path component) of path's direct children in strcmp order into a new
 * array (sdk_store_names_free). path "" lists the root. Returns 0, SDK_ENOENT when path is not a
 * node (no message added), or SDK_EINVAL for a bad path. */
int sdk_store_children_new(sdk_store *s, const char *path, char ***names, size_t *n,
                           sdk_errors *errs);
void sdk_store_names_free(char **names, size_t n);

/* ---- writes ------------------------------------------------------------------------------- */

/* Applies ops[0..n) atomically (see the top of this file). n == 0 is a successful no-op. */
int sdk_store_commit_ops(sdk_store *s, const sdk_store_op *ops, size_t n, sdk_errors *errs);
/* Transactions committed through this handle so far (a metric; empty ones do not count). */
uint64_t sdk_store_commits(const sdk_store *s);

/* The most bytes (sdk_store_txn_bytes) a transaction should hold to reach the backend as one
 * request, or 0 when there is no such size. A bigger one is just as atomic but costs more: the
 * ZooKeeper backend journals it over several requests, and a ZooKeeper server keeps its last
 * 500 transactions in memory. Writers that can choose (an offer cycle's launches) stay under it.
 * Backends set it at open. */
size_t sdk_store_request_budget(const sdk_store *s);
void sdk_store_set_request_budget(sdk_store *s, size_t bytes);

/* A transaction under construction: owns copies of its paths and values. */
typedef struct sdk_store_txn sdk_store_txn;
/* Its estimated size in a request: paths, values and 64 bytes per operation. */
size_t sdk_store_txn_bytes(const sdk_store_txn *t);
sdk_store_txn *sdk_store_txn_new(void);
void sdk_store_txn_free(sdk_store_txn *t);
void sdk_store_txn_set(sdk_store_txn *t, const char *path, const void *val, size_t len);
void sdk_store_txn_set_str(sdk_store_txn *t, const char *path, const char *val);
void sdk_store_txn_delete(sdk_store_txn *t, const char *path);
void sdk_store_txn_delete_tree(sdk_store_txn *t, const char *path);
size_t sdk_store_txn_count(const sdk_store_txn *t);
/* Moves every operation of front (left empty) before t's own, in order. */
void sdk_store_txn_prepend(sdk_store_txn *t, sdk_store_txn *front);
/* Commits the txn's ops (as sdk_store_commit_ops). The txn is left intact; free it after. */
int sdk_store_txn_commit(sdk_store *s, const sdk_store_txn *t, sdk_errors *errs);

/* ---- write health ------------------------------------------------------------------------- */

/* A commit that fails with SDK_EIO means the medium refused it (a full or failing disk, an
 * unreachable ZooKeeper), not that the caller asked for something wrong. From then on the store
 * is "failing" until a commit or sdk_store_recover succeeds. The scheduler shows it in
 * /v1/health, retries with backoff and exits when it lasts (core/app/run.c). */
typedef struct sdk_store_health {
    bool failing;
    const char *why;         /* the first message of the last failed commit; owned by the store */
    uint64_t failures;       /* failed commits (SDK_EIO) since the last success */
    double failing_for_s;    /* since the first of them */
} sdk_store_health;
void sdk_store_get_health(const sdk_store *s, sdk_store_health *h);

/* Asks the backend to make writes possible again after a failure (file: cut whatever a failed
 * write left after the last durable record, prove that a write of some size and a sync succeed,
 * accept writes again). 0: the store accepts writes again (health cleared; the failed
 * transactions are NOT replayed: their callers retry). SDK_EIO with a message when it still
 * cannot write; SDK_ESTATE when the backend has no such step (its health clears at the next
 * successful commit). A store that is not failing returns 0 at once. */
int sdk_store_recover(sdk_store *s, sdk_errors *errs);

/* ---- limits and maintenance --------------------------------------------------------------- */

size_t sdk_store_max_value(const sdk_store *s);
void sdk_store_set_max_value(sdk_store *s, size_t max_value);
/* Backend name for messages: "memory", "file:DIR". Owned by the store. */
const char *sdk_store_describe(const sdk_store *s);
/* Asks the backend to compact now (file: new snapshot, empty log). No-op for memory. */
int sdk_store_compact(sdk_store *s, sdk_errors *errs);

/* True if path is a valid node path (see the top of this file); "" is not. */
bool sdk_store_path_valid(const char *path);

/* ---- for backends only -------------------------------------------------------------------- */

/* A backend implements these; the generic layer has already validated paths and value sizes
 * and checked out-pointers, so a backend does only the storage work. `impl` is the pointer
 * given to sdk_store_new. */
typedef struct sdk_store_vtable {
    int (*get_new)(void *impl, const char *path, void **val, size_t *len, sdk_errors *errs);
    int (*exists)(void *impl, const char *path, bool *exists, sdk_errors *errs);
    int (*children_new)(void *impl, const char *path, char ***names, size_t *n, sdk_errors *errs);
    int (*commit)(void *impl, const sdk_store_op *ops, size_t n, sdk_errors *errs);
    int (*compact)(void *impl, sdk_errors *errs); /* may be NULL */
    void (*close)(void *impl);
    int (*recover)(void *impl, sdk_errors *errs); /* may be NULL (see sdk_store_recover) */
    /* may be NULL (then sdk_store_peek copies through get_new); the view lives until the next write */
    int (*peek)(void *impl, const char *path, const void **val, size_t *len, sdk_errors *errs);
} sdk_store_vtable;

/* Wraps a backend into a new store handle that owns impl (vt->close frees it). */
sdk_store *sdk_store_new(const sdk_store_vtable *vt, void *impl, const char *description,
                         size_t max_value);
#endif
