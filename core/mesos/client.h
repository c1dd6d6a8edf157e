/* The scheduler's Mesos v1 HTTP client (mesos-v1-protocol.md §1-§4, §8-§10): one subscription
 * stream and any number of calls, all protobuf, driven by libcurl's multi interface on the
 * scheduler's event loop.
 *
 * Subscription: SUBSCRIBE with a complete FrameworkInfo (name, user, principal, roles,
 * capabilities MULTI_ROLE + RESERVATION_REFINEMENT + PARTITION_AWARE [+ GPU_RESOURCES,
 * REGION_AWARE], failover_timeout two weeks, checkpoint) on a fresh connection, headers
 * `Content-Type: application/x-protobuf`, `Accept: application/x-protobuf`, empty `Expect:`.
 * The response's `Mesos-Stream-Id` goes on every later call. Events are RecordIO-framed
 * protobuf; each record is decoded and converted completely before any callback sees it, so a
 * garbled, truncated or unknown record never reaches the service (the stream is dropped and
 * re-subscribed with backoff instead).
 *
 * Reconnection: a broken stream, a silent stream (no event for 5 heartbeat intervals), a 5xx /
 * 404 / unreachable master lead to a re-SUBSCRIBE with exponential backoff (0.5 s doubling to
 * 15 s, jittered), with the framework id learnt so far; every (re)subscription forgets the
 * outstanding offers. A 307 is followed to the host:port of its Location (a protocol-relative
 * `//host:port/path` is usual), keeping our scheme and path. A master given as zk:// is found
 * through ZooKeeper (core/mesos/detect.h); a leader change re-subscribes to the new leader
 * after a random 0-500 ms delay.
 *
 * Fatal: an ERROR event (e.g. "Framework has been removed", "Framework failed over") or a
 * SUBSCRIBE refused with 400/401/403/405/406/415 calls on_error once and stops the client; it
 * then sends nothing more. Nothing else is fatal.
 *
 * Calls: ACCEPT, DECLINE, KILL, REVIVE, SUPPRESS, RECONCILE, ACKNOWLEDGE go out at once on
 * separate connections (never the stream's). They are not retried (Mesos semantics: the
 * service retries kills and reconciliation; agents retry unacknowledged updates); a failure
 * is logged with the call, the HTTP status and the master's answer. Calls made while not
 * subscribed are dropped with a warning, except SUPPRESS/REVIVE which are remembered and
 * applied to the next subscription. REVIVE is rate-limited by a token bucket
 * (sdk-behaviour.md §8.2: capacity 256, +1 token per 256 s, at most one per 5 s); a throttled
 * revive stays requested and is sent when allowed, unless a SUPPRESS comes first.
 *
 * Threading: loop thread only. Callbacks run from loop timers or curl completion callbacks,
 * never from inside a curl write callback, so they may call any function here except
 * sdk_mesos_client_free.
 */
#ifndef SDK_MESOS_CLIENT_H
#define SDK_MESOS_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop/loop.h"
#include "core/offer/evaluate.h"
#include "core/offer/offer.h"
#include "core/service/service.h"
#include "core/util/err.h"
#include "core/util/str.h"

/* Two weeks, as dcos-commons. */
#define SDK_MESOS_FAILOVER_TIMEOUT_S 1209600.0

typedef struct sdk_mesos_client sdk_mesos_client;

/* Every argument is borrowed for the duration of the call. */
typedef struct sdk_mesos_callbacks {
    /* Subscribed (first time or again) with this framework id. Persist it before relying on it. */
    void (*on_subscribed)(void *ud, const char *framework_id);
    /* One OFFERS event, every offer converted (resources via resources_pb, attributes as text). */
    void (*on_offers)(void *ud, const sdk_offer *offers, size_t n);
    void (*on_rescind)(void *ud, const char *offer_id);
    /* One UPDATE. u->uuid is NULL when the update needs no acknowledgement. */
    void (*on_status)(void *ud, const sdk_status_update *u);
    /* Fatal: the client has stopped. The scheduler should exit loudly without touching state. */
    void (*on_error)(void *ud, const char *message);
    /* The subscription was lost (reason says why); the client is already reconnecting. */
    void (*on_disconnected)(void *ud, const char *reason);
    void *ud;
    /* Optional: after a run of events that arrived together has been dispatched (work that
     * depends on all of them, such as deciding whether offers are wanted, goes here). */
    void (*on_events_done)(void *ud);
} sdk_mesos_callbacks;

typedef struct sdk_mesos_client_options {
    const char *master;            /* "http://host:port", "host:port" or "zk://[u:p@]h:p,.../path"; required */
    const char *name;              /* framework name; required */
    const char *user;              /* NULL: "root" */
    const char *principal;         /* NULL: unset */
    const char *const *roles;      /* service role + refined pre-reserved roles; at least one */
    size_t n_roles;
    const char *framework_id;      /* stored id, NULL or "" before the first registration */
    const char *webui_url;         /* NULL: unset */
    const char *hostname;          /* NULL: unset */
    double failover_timeout_s;     /* 0: SDK_MESOS_FAILOVER_TIMEOUT_S */
    bool gpu_resources;            /* add capability GPU_RESOURCES */
    bool region_aware;             /* add capability REGION_AWARE */
    sdk_mesos_callbacks cb;
    /* Tuning, 0 = default. */
    unsigned heartbeat_timeout_ms;  /* default 5 x the advertised interval (75 s) */
    unsigned backoff_initial_ms;    /* default 500 */
    unsigned backoff_max_ms;        /* default 15000 */
    unsigned leader_delay_max_ms;   /* random delay before subscribing to a new leader (a change of
                                     * leader; not the first one detected); default 500 */
    unsigned call_timeout_ms;       /* whole-call timeout; default 75000 */
    unsigned connect_timeout_ms;    /* TCP connect timeout; default 10000 */
    unsigned revive_capacity;       /* default 256 */
    unsigned revive_refill_ms;      /* one token per; default 256000 */
    unsigned revive_min_interval_ms;/* default 5000 */
    unsigned max_redirects;         /* consecutive 307s before going back to the detected master; default 9 */
} sdk_mesos_client_options;

/* Validates and copies the options (nothing is borrowed afterwards). Returns 0 and a new
 * client, or SDK_EINVAL with every problem in errs (bad master URL, no name, no roles). */
int sdk_mesos_client_new(sdk_loop *loop, const sdk_mesos_client_options *o, sdk_mesos_client **out,
                         sdk_errors *errs);
/* Starts master detection and subscribes. Returns 0, SDK_ESTATE (already started or stopped),
 * SDK_ENOMEM (curl refused). */
int sdk_mesos_client_start(sdk_mesos_client *c);
/* Closes the stream and stops reconnecting; calls already sent may still complete. Idempotent.
 * Callable from callbacks. */
void sdk_mesos_client_stop(sdk_mesos_client *c);
/* Stops and frees. Not callable from a callback of this client. NULL is a no-op. Run the loop
 * once afterwards if ZooKeeper was used (see sdk_master_detector_free). */
void sdk_mesos_client_free(sdk_mesos_client *c);

/* ---- calls (each returns 0 once the call is on its way, SDK_ESTATE when not subscribed or
 * stopped, SDK_EINVAL for unusable arguments; details are logged) ---- */
/* ACCEPT of one offer with the operations in order, refuse_s for the remainder. A LAUNCH_GROUP
 * becomes TaskInfos without executor plus one ExecutorInfo (type DEFAULT). If an operation
 * cannot be encoded nothing is accepted and the offer is declined (refuse_s) instead. */
int sdk_mesos_client_accept(sdk_mesos_client *c, const sdk_offer *offer, const sdk_operation *ops, size_t n_ops,
                            double refuse_s);
/* The same in two steps, so that a caller gathering many launches on one offer keeps them
 * packed rather than as structures: pack_ops appends ops (as mesos.v1 Offer.Operation messages,
 * each a length-delimited Call.Accept.operations field) to out, or returns SDK_EINVAL (logged;
 * out unchanged) when one cannot be encoded, and the caller then declines the offer instead;
 * accept_packed sends one ACCEPT of the offer with what was packed, summary (the operations'
 * types) naming it in the log. */
int sdk_mesos_client_pack_ops(sdk_mesos_client *c, const sdk_offer *offer, const sdk_operation *ops,
                              size_t n_ops, sdk_buf *out);
int sdk_mesos_client_accept_packed(sdk_mesos_client *c, const sdk_offer *offer, const void *ops_pb, size_t len,
                                   const char *summary, double refuse_s);
int sdk_mesos_client_decline(sdk_mesos_client *c, const sdk_offer *offer, double refuse_s);
int sdk_mesos_client_kill(sdk_mesos_client *c, const char *task_id, const char *agent_id);
/* Rate-limited; returns 0 when sent or deferred. */
int sdk_mesos_client_revive(sdk_mesos_client *c);
int sdk_mesos_client_suppress(sdk_mesos_client *c);
/* Explicit (n > 0; agent_ids may be NULL or hold NULLs) or implicit (n == 0) reconciliation. */
int sdk_mesos_client_reconcile(sdk_mesos_client *c, const char *const *task_ids, const char *const *agent_ids,
                               size_t n);
/* Only for updates that carried a uuid: uuid must be 16 bytes (else SDK_EINVAL, nothing sent). */
int sdk_mesos_client_acknowledge(sdk_mesos_client *c, const char *agent_id, const char *task_id, const void *uuid,
                                 size_t uuid_len);

/* The sdk_driver backed by these functions; pass the client as driver ctx. */
/* TEARDOWN: the master kills every task and forgets the framework (uninstall). */
int sdk_mesos_client_teardown(sdk_mesos_client *c);
const sdk_driver *sdk_mesos_client_driver(void);

/* ---- state (borrowed strings, valid until the next event) ---- */
bool sdk_mesos_client_subscribed(const sdk_mesos_client *c);
const char *sdk_mesos_client_framework_id(const sdk_mesos_client *c); /* NULL before registration */
const char *sdk_mesos_client_stream_id(const sdk_mesos_client *c);    /* NULL when not subscribed */
const char *sdk_mesos_client_master_url(const sdk_mesos_client *c);   /* "http://host:port" in use, or NULL */
size_t sdk_mesos_client_outstanding_offers(const sdk_mesos_client *c);
/* Counters for /v1/metrics and tests. */
typedef struct sdk_mesos_client_metrics {
    uint64_t subscribe_attempts, subscriptions, disconnects, redirects, events, bad_events;
    uint64_t calls_sent, calls_failed, calls_dropped, revives_sent, revives_throttled;
} sdk_mesos_client_metrics;
/* Calls sent but not yet answered, running or waiting their turn (at most a few run at once,
 * in order). A caller about to stop can run the loop until this is 0 to let them go out. */
size_t sdk_mesos_client_pending_calls(const sdk_mesos_client *c);
const sdk_mesos_client_metrics *sdk_mesos_client_get_metrics(const sdk_mesos_client *c);
#endif
