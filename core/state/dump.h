/* Operator dump and restore of a state store, backend-neutral (file:, zk:, memory:).
 *
 * Dump format (JSON, UTF-8):
 *   {"format": "sdk-state-dump", "version": 1, "store": "<description>",
 *    "nodes": {"<path>": <value>, ...}}
 * Every node of the store appears, ancestors included (their value is usually ""), in path
 * order. <value> is a JSON string when the bytes are valid UTF-8 without NUL or control
 * characters other than tab, CR and LF; otherwise {"base64": "<standard base64>"}. */
#ifndef SDK_STATE_DUMP_H
#define SDK_STATE_DUMP_H
#include <stddef.h>
#include <stdio.h>
#include "core/state/store.h"
#include "core/util/err.h"

/* Writes the whole store as a dump into a new NUL-terminated string (free()). Returns 0 or the
 * store's read error. */
int sdk_state_dump_new(sdk_store *s, char **json, sdk_errors *errs);

/* Loads a dump (json[0..len)) into s in ONE transaction. Refuses with SDK_ESTATE when the store
 * already holds any node, and with SDK_EINVAL when the dump is malformed (the message names the
 * offending line, field or path); in both cases nothing is written. Returns 0, those, or the
 * commit's error. *restored (may be NULL) gets the number of nodes written. */
int sdk_state_restore(sdk_store *s, const char *json, size_t len, size_t *restored,
                      sdk_errors *errs);

/* Operator commands (`scheduler --state URL state dump|restore FILE`). A zk:// store is opened
 * read-only for a dump (it works beside a running scheduler); a file: store takes its lock.
 * Both return 0 or an SDK_E* with the reasons in errs. A dump of a file: store that was never
 * written (no directory, or no log or snapshot in it) refuses with SDK_ENOENT ("no state at
 * URL") and creates nothing; a store that exists but is empty (after an uninstall) dumps as
 * "nodes": {}. */
int sdk_state_dump_url(const char *url, FILE *out, sdk_errors *errs);
int sdk_state_restore_url(const char *url, const char *file, size_t *restored, sdk_errors *errs);
#endif
