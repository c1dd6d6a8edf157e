/* The ZooKeeper state backend ("zk://[user:password@]host:port[,host:port...][/path]").
 *
 * Node layout. Logical paths (store.h) map one to one to znodes under the root: the URL path, or
 * /dcos-service-<escaped service name> when the URL has no path (escaped as for roles: "a/b" ->
 * "a__b"). Two names directly under the root are reserved and hidden from reads:
 *   lock         ephemeral; data "host=H pid=P" of the process that holds the store;
 *   __sdk_blobs  large values and transaction journals, as <id>/<0..n-1> chunk znodes.
 * The root's own data is empty, except while a journaled transaction is being applied (below).
 * Every write transaction also sets the root's data with the root's expected version, so each
 * one bumps that version (readers detect change) and a writer that lost its lock is fenced off
 * (ZBADVERSION) instead of overwriting a newer writer's state.
 *
 * Values. A value of at most inline_max bytes is the znode's data. A bigger one (or one that
 * starts with the pointer magic "\0sdk-blob-v1\0") is written first as chunk znodes under a
 * fresh blob id, which nothing references yet, and the znode's data becomes a pointer
 * (magic + "<id> <len> <chunks>"); the old blob is deleted after the commit. Reads resolve
 * pointers, so users see only whole values.
 *
 * Transactions. A commit computes the znode changes (creates parents-first, setData, deletes
 * children-first) and sends them in ONE multi with the root version check. When that request
 * would exceed max_request bytes, the change list itself is written as a blob (the journal),
 * one small multi flips the root's data to point at it — from then on the transaction is
 * committed — and the changes are applied in several multis, each re-asserting the pointer;
 * a last multi clears it and the journal is deleted. A reader that sees a journal pointer
 * applies the journal to what it read, so no reader ever sees half a transaction; a writer
 * opening the store finishes a journal a crashed writer left behind. Readers load the whole tree
 * and retry when the root version changed meanwhile.
 *
 * Single writer. Opening for writing creates the root (if missing) and then the ephemeral lock
 * before anything else; if another session holds it, open waits up to lock_wait_ms (a crashed
 * holder's session expires) and then fails with SDK_EBUSY naming the root and the holder,
 * having written nothing.
 *
 * Session policy. A lost connection is not a lost session: the client reconnects by itself
 * (to any server of the URL) and the session, its ephemeral lock included, survives as long as
 * the connection comes back within the session timeout. Meanwhile a commit waits for it; a
 * transaction whose answer the loss swallowed is checked after reconnecting (its root version,
 * or for a blob its last znode) and sent again only if it did not apply. The session counts as
 * lost when ZooKeeper says it expired, when authentication fails, or when the connection stayed
 * down for the whole session timeout (the servers expire it by then, or as soon as they run
 * again; a timer on the loop notices even when nothing is written). From then on every commit
 * is refused with SDK_EIO ("ZooKeeper session lost") and on_lost is called once: the scheduler
 * stops sending Mesos operations and exits non-zero so its supervisor restarts it; the new
 * process re-acquires the lock (waiting for the old session to expire) and reloads everything.
 * A request that times out (op_timeout_ms) without the connection being seen lost has an
 * unknown outcome: it is reported as an error and handled as a lost session. Fencing does not
 * rest on the timing: every write transaction checks the root version, so a process whose
 * session was taken over cannot overwrite its successor's state.
 *
 * State that went missing. Every write transaction bumps the root's version, and a state never
 * becomes empty through the store (the layout's wipe keeps SchemaVersion). So a root whose
 * version is above 0 but which holds no state node had its state deleted behind the store's
 * back: a writer's open refuses with SDK_ESTATE, naming the root and its version, and writes
 * nothing (its lock goes with its session), unless reset_state. Deleting the root itself (as
 * dcos-commons' uninstall instructions do) leaves nothing behind and is a deliberate fresh start.
 *
 * Reads are served from a write-through cache loaded at open. Calls are synchronous on the
 * caller's thread, each bounded by op_timeout_ms. The load reads the whole tree through
 * read-only multis, hundreds of znodes per request, on a short-lived connection of its own to
 * the server the store's session is on (zk_readall.h). With a server older than 3.6 it reads
 * node by node, and a big load (thousands of znodes) then briefly opens up to load_helpers more
 * sessions to the same server to read in parallel.
 */
#ifndef SDK_STATE_STORE_ZK_H
#define SDK_STATE_STORE_ZK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop/loop.h"
#include "core/state/store.h"

/* Called once when the session is lost after open (see the session policy). why is borrowed. */
typedef void (*sdk_store_zk_lost_cb)(void *ud, const char *why);

/* Counters of the requests a store sent (for benchmarks); owned by the caller. */
typedef struct sdk_store_zk_stats {
    uint64_t write_requests; /* multi requests (each is one ZooKeeper transaction) */
    uint64_t write_bytes;    /* paths + data sent in those requests (an estimate of the wire size) */
    uint64_t read_requests;  /* get / get-children requests, and read-only multis */
    uint64_t read_ops;       /* znode reads those carried (get / get-children) */
    uint64_t load_retries;   /* loads started again because the tree changed while read */
    uint64_t load_sessions;  /* sessions the last load read through (the store's + helpers) */
} sdk_store_zk_stats;

typedef struct sdk_store_zk_options {
    const char *service_name; /* names the default root when the URL has no path */
    sdk_loop *loop;           /* if set, on_lost is posted to this loop (runs on its thread); else
                               * on_lost runs on a ZooKeeper client thread */
    sdk_store_zk_lost_cb on_lost;
    void *on_lost_ud;
    int session_timeout_ms;   /* 0 = 10000 */
    int op_timeout_ms;        /* bound on connecting and on each request; 0 = 10000 */
    int lock_wait_ms;         /* 0 = session timeout + 2000; negative = fail at once */
    bool read_only;           /* no lock, nothing ever written, commits refused (SDK_ESTATE) */
    bool reset_state;         /* open empty although the root says state existed (below) */
    size_t max_value;         /* largest logical value; 0 = 64 MiB */
    size_t inline_max;        /* 0 = 512000 */
    size_t chunk_size;        /* 0 = 512000 */
    size_t max_request;       /* bytes per multi request; 0 = 900000 (ZooKeeper's limit ~1 MiB) */
    sdk_store_zk_stats *stats; /* optional, must outlive the store */
    int bulk_read;            /* 0: load the state through read-only multis on one more
                               * connection (servers 3.6 and later; older ones are detected and
                               * loaded node by node); negative: always node by node */
    int load_helpers;         /* extra sessions a node-by-node load may use; 0 = 3 (at most 3);
                               * negative = none (the load then uses the store's session only) */
    /* Tests only: called on the caller's thread after every successful write request. */
    void (*after_request)(void *ud);
    void *after_request_ud;
} sdk_store_zk_options;

/* Opens (see above); opts may be NULL for defaults (then the URL must name a path). On success
 * *out is a new store (sdk_store_close). Errors, with *out NULL and nothing written: SDK_EINVAL
 * (bad URL, named), SDK_EIO (ZooKeeper unreachable within op_timeout_ms, or a request failed:
 * the message names the servers or znode), SDK_EBUSY (locked: names root and holder),
 * SDK_ECORRUPT (a pointer, chunk or journal is malformed: names the znode). */
int sdk_store_zk_open(const char *url, const sdk_store_zk_options *opts, sdk_store **out,
                      sdk_errors *errs);

/* The root a URL resolves to (new string), e.g. "/dcos-service-a__b"; SDK_EINVAL if none. */
int sdk_store_zk_root_new(const char *url, const char *service_name, char **root,
                          sdk_errors *errs);
#endif
