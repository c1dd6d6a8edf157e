/* Typed access to the dcos-commons state layout (sdk-behaviour.md §7) on top of an sdk_store.
 * Paths are relative to the store's root (the file store's directory; a ZooKeeper backend
 * roots them at /dcos-service-<escaped name>):
 *
 *   SchemaVersion                              "1"
 *   servicename                                the service name, must match at open
 *   FrameworkID                                bytes (protobuf FrameworkID)
 *   ConfigTarget                               target config UUID
 *   Configurations/<uuid>                      ServiceSpec JSON text
 *   Tasks/<task>/TaskInfo, Tasks/<task>/TaskStatus                 bytes (protobuf), opaque here
 *   Tasks/<task>/Metadata/goal-state-override  NONE | PAUSED | DECOMMISSIONED
 *   Tasks/<task>/Metadata/override-status      PENDING | IN_PROGRESS | COMPLETE
 *   Properties/<key>                           bytes; keys may not contain '/'
 *
 * Reads go straight to the store. Writes go through a transaction (sdk_state_txn) so several
 * changes land together ("record before send": put the TaskInfos of a launch in one txn, commit,
 * then send the ACCEPT). Single-change helpers wrap a one-op txn.
 *
 * Getters return 0, SDK_ENOENT when the node is absent (no message), SDK_EINVAL for a bad name
 * (message), SDK_ECORRUPT when a stored value is malformed (message). errs may be NULL. */
#ifndef SDK_STATE_LAYOUT_H
#define SDK_STATE_LAYOUT_H
#include <stdbool.h>
#include <stddef.h>
#include "core/state/store.h"
#include "core/util/err.h"

#define SDK_STATE_SCHEMA_VERSION 1

typedef struct sdk_state sdk_state;
typedef struct sdk_state_txn sdk_state_txn;

/* Opens the layout on store (borrowed: it must outlive the state). A fresh store gets
 * SchemaVersion "1" and servicename written in one txn. Refuses with SDK_ESTATE when the stored
 * schema version is newer (the message names both numbers) or when servicename differs (names
 * both), with SDK_ECORRUPT when SchemaVersion is not a decimal number. Nothing is written on
 * refusal. Free with sdk_state_free. */
int sdk_state_open_new(sdk_store *store, const char *service_name, sdk_state **out,
                       sdk_errors *errs);
void sdk_state_free(sdk_state *st);
sdk_store *sdk_state_store(sdk_state *st);

/* Commit hooks of an owner that holds writes back to group them (the service's statuses; NULL:
 * none). At the start of every commit through st (transactions, single-change helpers and
 * wipe), except commits the hooks themselves make, `join` adds the held writes to `into` (a
 * fresh transaction whose operations then go BEFORE the committing transaction's own, so every
 * change reaches the store in the order it was made, in the same store transaction); `done`
 * then gets that commit's result (0: the joined writes are durable; else they are not).
 * `done` runs once for each `join`, before the commit returns to its caller. */
void sdk_state_set_commit_hooks(sdk_state *st, void (*join)(void *ud, sdk_state_txn *into),
                                void (*done)(void *ud, int rc), void *ud);
/* Commits the writes the hooks hold (an otherwise empty transaction). Returns the commit's
 * result; 0 when nothing is held. */
int sdk_state_commit_held(sdk_state *st, sdk_errors *errs);

/* ---- reads: *_new results are new buffers (free()); text results are NUL-terminated ---- */
int sdk_state_framework_id_get_new(sdk_state *st, void **buf, size_t *len, sdk_errors *errs);
int sdk_state_config_target_get_new(sdk_state *st, char **uuid, sdk_errors *errs);
int sdk_state_config_get_new(sdk_state *st, const char *uuid, char **json, sdk_errors *errs);
/* UUIDs of the stored configurations, sorted (sdk_store_names_free). None -> 0 and n = 0. */
int sdk_state_configs_list_new(sdk_state *st, char ***uuids, size_t *n, sdk_errors *errs);
int sdk_state_task_info_get_new(sdk_state *st, const char *task, void **buf, size_t *len,
                                sdk_errors *errs);
int sdk_state_task_status_get_new(sdk_state *st, const char *task, void **buf, size_t *len,
                                  sdk_errors *errs);
/* The same without a copy (sdk_store_peek): *buf borrows the stored value, valid until the next
 * peek, commit or close through the state's store (loading every task at a start). */
int sdk_state_task_info_peek(sdk_state *st, const char *task, const void **buf, size_t *len, sdk_errors *errs);
int sdk_state_task_status_peek(sdk_state *st, const char *task, const void **buf, size_t *len, sdk_errors *errs);
/* Absent override -> SDK_ENOENT (callers treat it as NONE / no progress). */
int sdk_state_goal_override_get_new(sdk_state *st, const char *task, char **value,
                                    sdk_errors *errs);
int sdk_state_override_status_get_new(sdk_state *st, const char *task, char **value,
                                      sdk_errors *errs);
/* Refuses a state deleted in part behind the store's back (a whole missing state is the
 * store's to refuse: store.h): the scheduler writes the target configuration before
 * registering and the framework id before any task, so a framework id without a target
 * configuration, or tasks without a framework id, mean nodes were deleted. SDK_ESTATE with a
 * message saying which, 0 when neither. The scheduler calls it at start unless --reset-state. */
int sdk_state_check_complete(sdk_state *st, sdk_errors *errs);
/* Names of the tasks under Tasks/, sorted (sdk_store_names_free). None -> 0 and n = 0. */
int sdk_state_tasks_list_new(sdk_state *st, char ***names, size_t *n, sdk_errors *errs);
int sdk_state_property_get_new(sdk_state *st, const char *key, void **buf, size_t *len,
                               sdk_errors *errs);
int sdk_state_properties_list_new(sdk_state *st, char ***keys, size_t *n, sdk_errors *errs);

/* ---- writes: a transaction collects changes, commit applies them all or none ----
 * Each add-function validates its arguments; a bad one records an error in the txn, returns
 * SDK_EINVAL, and makes the commit fail with those errors without touching the store. */
sdk_state_txn *sdk_state_txn_new(sdk_state *st);
void sdk_state_txn_free(sdk_state_txn *t);
int sdk_state_txn_set_framework_id(sdk_state_txn *t, const void *buf, size_t len);
int sdk_state_txn_delete_framework_id(sdk_state_txn *t);
int sdk_state_txn_set_config_target(sdk_state_txn *t, const char *uuid);
int sdk_state_txn_put_config(sdk_state_txn *t, const char *uuid, const char *json);
int sdk_state_txn_delete_config(sdk_state_txn *t, const char *uuid);
int sdk_state_txn_put_task_info(sdk_state_txn *t, const char *task, const void *buf, size_t len);
int sdk_state_txn_put_task_status(sdk_state_txn *t, const char *task, const void *buf,
                                  size_t len);
/* value NULL deletes the node. */
int sdk_state_txn_set_goal_override(sdk_state_txn *t, const char *task, const char *value);
int sdk_state_txn_set_override_status(sdk_state_txn *t, const char *task, const char *value);
/* Removes Tasks/<task> and everything under it (absent task: no-op). */
int sdk_state_txn_delete_task(sdk_state_txn *t, const char *task);
int sdk_state_txn_put_property(sdk_state_txn *t, const char *key, const void *buf, size_t len);
int sdk_state_txn_delete_property(sdk_state_txn *t, const char *key);
/* Commits; the txn stays valid (free it after). Returns 0 or the first failure. */
int sdk_state_txn_commit(sdk_state_txn *t, sdk_errors *errs);
/* The transaction's estimated size (sdk_store_txn_bytes), to compare with
 * sdk_store_request_budget(sdk_state_store(st)). */
size_t sdk_state_txn_bytes(const sdk_state_txn *t);

/* ---- single-change helpers (a one-op txn each) ---- */
int sdk_state_set_framework_id(sdk_state *st, const void *buf, size_t len, sdk_errors *errs);
int sdk_state_set_config_target(sdk_state *st, const char *uuid, sdk_errors *errs);
int sdk_state_put_config(sdk_state *st, const char *uuid, const char *json, sdk_errors *errs);
int sdk_state_delete_config(sdk_state *st, const char *uuid, sdk_errors *errs);
int sdk_state_put_property(sdk_state *st, const char *key, const void *buf, size_t len,
                           sdk_errors *errs);
int sdk_state_delete_property(sdk_state *st, const char *key, sdk_errors *errs);
int sdk_state_delete_task(sdk_state *st, const char *task, sdk_errors *errs);

/* Uninstall: deletes every node under the root but SchemaVersion, FrameworkID and servicename
 * included, in one transaction. SchemaVersion stays to say that the store was emptied on
 * purpose: a store whose state went missing behind its back is refused at open (store.h,
 * store_zk.h), a wiped one starts afresh (for any service). Afterwards the handle only serves
 * reads; free it. */
int sdk_state_wipe(sdk_state *st, sdk_errors *errs);
#endif
