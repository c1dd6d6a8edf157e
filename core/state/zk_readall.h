/* Reads a whole znode subtree through ZooKeeper's read-only multi (OpCode.multiRead = 22, in
 * servers since 3.6), on a connection of its own that speaks the ZooKeeper wire protocol.
 *
 * Why. libzookeeper sends one request per znode, and a ZooKeeper server spends tens of
 * microseconds of CPU on each request whatever it carries (it goes through a selector, two
 * reads and several request-processor threads). A service with 10,000 tasks has 40,000 to
 * 50,000 znodes. One read-only multi carries a few hundred getData and getChildren operations
 * for the cost of about one request, and the C client has no call for it.
 *
 * What it reads. Every znode under root, breadth first: for each one its data and stat
 * (getData) and its children (getChildren), both in the same multi, so a node's data and
 * children come from one point in the server's history. Batches of nodes go out while earlier
 * ones are answered (a bounded number in flight). Top-level names in `skip` are neither read
 * nor listed; the children of the top-level name `list_only` are listed but not read.
 *
 * Consistency. The caller holds the state's lock, so nothing writes meanwhile; a node that
 * vanishes between being listed and being read (a writer that does not honour the lock, or a
 * read-only opener racing the writer) is reported so the caller reads again.
 *
 * The connection goes to addr (the server the caller's own session is on, so that it
 * sees at least what that session wrote), authenticates with digest credentials when given,
 * and is closed (closeSession) before returning. Blocking, on the caller's thread; each wait is
 * bounded by timeout_ms. */
#ifndef SDK_STATE_ZK_READALL_H
#define SDK_STATE_ZK_READALL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/state/tree.h"

typedef struct zk_readall_result {
    bool root_exists;
    int root_version;
    char *root_data; /* NUL-terminated copy */
    size_t root_len;
    sdk_tree_entry *e; /* every node read below the root (relative path, data), breadth first */
    size_t n;
    bool listed;       /* list_only exists */
    char **listed_names; /* its children */
    size_t n_listed;
    uint64_t requests; /* read-only multis sent */
    uint64_t ops;      /* getData and getChildren operations they carried */
} zk_readall_result;

enum {
    ZK_READALL_OK = 0,
    ZK_READALL_VANISHED = 1,   /* a listed node was gone when read: read again */
    ZK_READALL_FAILED = 2,     /* connection, protocol or server error: *err says which */
    ZK_READALL_UNSUPPORTED = 3 /* the server does not know the read-only multi (before 3.6) */
};

/* Reads root (absolute path) from the server at addr. auth: "user:password" for digest, or NULL.
 * skip: NULL-terminated list (may be NULL). On ZK_READALL_OK *out holds the result
 * (zk_readall_free); otherwise *out is empty and, for FAILED and UNSUPPORTED, *err is a new
 * message. */
int zk_readall(const struct sockaddr *addr, socklen_t addr_len, const char *auth, const char *root,
               const char *const *skip, const char *list_only, int session_ms, int timeout_ms,
               zk_readall_result *out, char **err);

void zk_readall_free(zk_readall_result *r);
#endif
