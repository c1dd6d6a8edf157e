/* Leading-master detection (mesos-v1-protocol.md §9).
 *
 * A master spec is either fixed — "http://host:port", "https://host:port", "host:port" or
 * "master@host:port" — or a ZooKeeper URL "zk://[user:password@]host:port[,host:port...]/path".
 * For a ZooKeeper URL the detector keeps a libzookeeper-mt session, watches the children of
 * the path, takes the member with the lowest sequence number (children "<label>_<digits>";
 * others such as "log_replicas" are ignored), reads its data (label "json.info": JSON
 * MasterInfo; "info": binary MasterInfo; no label: "master@ip:port") and reports the leader's
 * base URL "http://host:port". Every ZooKeeper completion is handed to the loop with
 * sdk_loop_post; the callback always runs on the loop thread.
 *
 * On connection loss the last leader is kept (the ZooKeeper client reconnects by itself); on
 * session expiry the handle is recreated; when no member exists the leader becomes unknown.
 *
 * Threading: every function on the loop thread.
 */
#ifndef SDK_MESOS_DETECT_H
#define SDK_MESOS_DETECT_H
#include <stdbool.h>
#include <stddef.h>

#include "core/loop/loop.h"
#include "core/util/err.h"

typedef struct sdk_master_detector sdk_master_detector;

/* Called on the loop thread whenever the leader changes. url is "http://host:port" (borrowed,
 * valid during the call) or NULL when no leader is known. The callback may call
 * sdk_master_detector_leader but must not free the detector. */
typedef void (*sdk_master_changed_cb)(void *ud, const char *url);

/* Parses spec (see above) without connecting anywhere. Returns 0 and a new detector, or
 * SDK_EINVAL with the reason in errs ("master 'x': ...") and *out NULL. */
int sdk_master_detector_new(sdk_loop *loop, const char *spec, sdk_master_changed_cb cb, void *ud,
                            sdk_master_detector **out, sdk_errors *errs);
/* Starts detection. A fixed spec reports its URL on the next loop iteration; a ZooKeeper spec
 * opens the session (failures are logged and retried every second). Returns 0 or SDK_ESTATE
 * when already started. */
int sdk_master_detector_start(sdk_master_detector *d);
/* Current leader URL (borrowed, valid until the next change) or NULL. */
const char *sdk_master_detector_leader(const sdk_master_detector *d);
bool sdk_master_detector_is_zk(const sdk_master_detector *d);
/* Closes the ZooKeeper session (joins its threads; may block briefly) and frees the detector.
 * Closures already posted to the loop are neutralised; run the loop once more before freeing
 * it so they release their memory. NULL is a no-op. Not callable from its own callback. */
void sdk_master_detector_free(sdk_master_detector *d);

/* ---- parsing helpers (exposed for tests) ---- */
typedef struct sdk_zk_url {
    char *servers;  /* "h1:2181,h2:2181" */
    char *auth;     /* "user:password" (digest scheme) or NULL */
    char *path;     /* "/mesos" */
} sdk_zk_url;
/* Parses a zk:// URL (leading/trailing whitespace ignored). Returns 0 or SDK_EINVAL with a
 * message naming the URL in errs; out is zeroed on error. Release with sdk_zk_url_free. */
int sdk_zk_url_parse(const char *url, sdk_zk_url *out, sdk_errors *errs);
void sdk_zk_url_free(sdk_zk_url *u);

/* Base URL of a master from one group member's data. label is the part of the znode name
 * before the last '_' ("json.info", "info") or "" when there is none. Returns 0 and a new
 * "http://host:port" string, or SDK_EINVAL with the reason in errs. */
int sdk_master_info_url_new(const char *label, const void *data, size_t len, char **url,
                            sdk_errors *errs);
/* Normalises a fixed master spec to "scheme://host:port" (new string), or SDK_EINVAL. */
int sdk_master_fixed_url_new(const char *spec, char **url, sdk_errors *errs);
#endif
