/* The dcos-commons-compatible REST API (sdk-behaviour.md §6) over one sdk_service, mounted on an
 * existing sdk_http_server (core/api/server.h).
 *
 * Routes (shapes, texts and codes of §6): /v1/plans..., the deprecated /v1/plan aliases of the
 * deploy plan, /v1/health, /v1/pod..., /v1/endpoints..., /v1/configurations..., /v1/state/...,
 * /v1/metrics (+ /prometheus), /metrics (Prometheus exposition format), /v2/debug/offers,
 * /v1/debug/reservations, /v1/debug/plans, /v1/debug/taskStatuses, /v1/events (operator
 * events as Server-Sent Events, routes_events.c), /v1/debug/tasks/{task}/sandbox (where a task's
 * sandbox is read, routes_sandbox.c), POST /v1/update (a live configuration update) and GET
 * /v1/update (what was set aside at start, see routes_update.c), the web console
 * (routes_console.c: its files at / and /console/{file}, /v1/console/overview|events|variables,
 * /v1/debug/tasks/{task}/log). Any other path (up to
 * SDK_API_PLUGIN_MAX_DEPTH segments, methods GET POST PUT DELETE PATCH) is offered to the plugin
 * instance's routes; a plugin that suspends its response is answered later through a deferred
 * HTTP response, so a slow plugin never holds the loop.
 *
 * Differences from dcos-commons, on purpose:
 *  - /v1/pod/{pod}/info renders TaskInfo/TaskStatus with the Mesos proto field names
 *    (task_id.value, agent_id.value, ...) as the Mesos JSON API does, not the lowerCamelCase
 *    names of dcos-commons' protobuf-java printer.
 *  - POST /v1/pod/{pod}/restart|replace|pause|resume answer 501 {"message": "pod <op> arrives
 *    with a later release"} (404 for an unknown pod): the service has no pod operations yet.
 *  - Bad bodies (POST start) get a JSON error {"message": "..."} naming the problem.
 *
 * Threading: every handler runs on the loop thread and only reads memory and the state store.
 */
#ifndef SDK_API_SDK_API_H
#define SDK_API_SDK_API_H
#include <jansson.h>

#include "core/api/server.h"
#include "core/plugin/plugin.h"
#include "core/service/service.h"
#include "core/spec/options.h"
#include "core/state/layout.h"
#include "core/state/store_zk.h"
#include "core/util/err.h"

/* Deepest path (in segments) routed to the plugin. */
#define SDK_API_PLUGIN_MAX_DEPTH 8

/* What the Cosmos-compatible endpoints (routes_cosmos.c: POST /cosmos/service/describe and
 * /update) need beyond the update callback. All borrowed; ud is sdk_api_options.update_ud. */
typedef struct sdk_api_cosmos {
    const sdk_options *options;   /* the package options (the one schema) */
    const char *package_name;     /* "hello-world" style; NULL: the service name */
    const char *package_version;  /* the plugin's version; NULL: "" */
    /* New copies (sdk_envfile_free) of the user-provided options (command line and accepted
     * updates, as variables, later entries win) and of every rendering variable now in force. */
    void (*current)(void *ud, sdk_kv **user_new, size_t *n_user, sdk_kv **vars_new, size_t *n_vars);
    /* The candidate spec these options (over the user-provided ones) would give, rendered and
     * validated like POST /v1/update but applying and storing nothing. 0 and *cand_new
     * (sdk_spec_free), or SDK_EINVAL with the problems in errs. */
    int (*preview)(void *ud, const sdk_kv *opts, size_t n, sdk_spec **cand_new, sdk_errors *errs);
    /* Whether the service uses this variable (its template, plugin or the scheduler reads it):
     * the web console lists only those of a service without a schema, never the rest of the
     * process environment. NULL: the console lists none. */
    bool (*var_used)(void *ud, const char *name);
} sdk_api_cosmos;

typedef struct sdk_api_options {
    sdk_service *service;          /* borrowed; required */
    sdk_state *state;              /* borrowed; required (the service's state) */
    sdk_plugin_instance *plugin;   /* borrowed; NULL: no plugin routes or endpoints */
    const char *service_name;      /* NULL: the target spec's name */
    /* POST /v1/update: a live configuration update with these options (KEY -> VALUE, later win),
     * over the options earlier updates gave; replace (Cosmos' "replace": true): these options
     * become the whole set of updated ones, an option given before and not now goes back to what
     * the command line, environment or default says. Returns 0 when accepted, SDK_EINVAL when the
     * options do not render/parse (bad_input set) or the validators refused the update (errors
     * in errs). NULL: the route answers 404. */
    int (*update)(void *ud, const sdk_kv *opts, size_t n, bool replace, bool *bad_input, sdk_errors *errs);
    void *update_ud;
    const sdk_api_cosmos *cosmos;  /* borrowed; NULL: the /cosmos/service routes answer 404 */
    const sdk_store_zk_stats *zk_stats; /* borrowed; the ZooKeeper store's, shown in /v1/metrics */
    /* GET /v1/events streams these operator events (borrowed; NULL: the route answers 404);
     * loop: for its keepalive timer (borrowed; NULL: no keepalive). */
    struct sdk_events *events;
    sdk_loop *loop;
    /* GET /v1/debug/tasks/{task}/sandbox tells where a task's sandbox is read from (borrowed;
     * NULL: the agent URL is unknown). */
    const struct sdk_agent_files *agents;
    /* Shown on the web console's overview (routes_console.c); borrowed, NULL: unknown. */
    const char *master_url, *state_url;
    /* borrowed, may be NULL: stored configuration the scheduler set aside at start (GET
     * /v1/update, and /v1/health?verbose=true) */
    const sdk_errors *start_notes;
} sdk_api_options;

typedef struct sdk_api sdk_api;

/* Adds every route to srv (which must outlive the api and stop serving before sdk_api_free: free
 * the server first). Returns 0; SDK_EINVAL when service or state is missing; SDK_EEXIST when srv
 * already has one of the routes (message in errs). On error no api is returned; routes added
 * before the failure stay on srv (they point to freed memory, so free srv too). errs must not be
 * NULL. */
int sdk_api_new(sdk_http_server *srv, const sdk_api_options *o, sdk_api **out, sdk_errors *errs);
/* Points the routes at another service and its state (plugin unchanged), e.g. after the
 * scheduler rebuilt its service. Both borrowed. Call on the loop thread, outside a handler. */
void sdk_api_set_service(sdk_api *api, sdk_service *svc, sdk_state *state);
/* NULL ok. Call after sdk_http_server_free (routes cannot be removed from a server). */
void sdk_api_free(sdk_api *api);

/* ---- for core/api/routes_*.c only ---------------------------------------------------------- */
struct sdk_api {
    sdk_http_server *srv;
    sdk_service *svc;
    sdk_state *state;
    sdk_plugin_instance *plugin;
    char *service_name;            /* NULL: ask the target spec each time */
    struct sdk_router *sdk_routes; /* the SDK routes alone, to tell 405 from 404 */
    int (*update)(void *ud, const sdk_kv *opts, size_t n, bool replace, bool *bad_input, sdk_errors *errs);
    void *update_ud;
    const sdk_api_cosmos *cosmos;
    const sdk_store_zk_stats *zk_stats;
    struct sdk_events *events;
    sdk_loop *loop;
    struct sdk_api_events *sse; /* /v1/events clients (routes_events.c) */
    const struct sdk_agent_files *agents;
    char *master_url, *state_url; /* for the web console's overview */
    const sdk_errors *start_notes;
    /* Rendered GET /v1/plans/<name> bodies, reused while the plan's fingerprint is unchanged
     * (pollers ask far more often than plans change). */
    struct sdk_api_plan_cache {
        char *plan;
        uint64_t fingerprint;
        sdk_http_blob *body; /* identity and (made on demand) gzip renderings */
        int status;          /* the HTTP status for the plan's state */
        uint64_t epoch;      /* server epoch when fingerprint and status were last checked */
        const struct sdk_plan *p;   /* the plan they were checked for */
    } *plan_cache;
    size_t n_plan_cache;
};

/* Name of the service (option, else target spec name, else ""). Borrowed. */
const char *sdk_api_service_name(const sdk_api *api);
/* 200..599 JSON answer whose body is {"message": msg}. */
void sdk_api_respond_message(sdk_http_req *req, int status, const char *msg);
/* Answers with j (pretty JSON) and drops the caller's reference to j. */
void sdk_api_respond_json_take(sdk_http_req *req, int status, json_t *j);
/* Empty-bodied answer (text/plain). */
void sdk_api_respond_empty(sdk_http_req *req, int status);

typedef struct sdk_api_route {
    const char *method, *pattern;
    sdk_http_handler h;
    unsigned flags; /* SDK_HTTP_ROUTE_* (server.h); 0: a JSON body or none */
} sdk_api_route;
/* Route tables of each routes_*.c file (handlers get the sdk_api as ud). */
extern const sdk_api_route sdk_api_plan_routes[];
extern const size_t sdk_api_n_plan_routes;
extern const sdk_api_route sdk_api_pod_routes[];
extern const size_t sdk_api_n_pod_routes;
extern const sdk_api_route sdk_api_state_routes[];
extern const size_t sdk_api_n_state_routes;
extern const sdk_api_route sdk_api_update_routes[];
extern const size_t sdk_api_n_update_routes;
extern const sdk_api_route sdk_api_cosmos_routes[];
extern const size_t sdk_api_n_cosmos_routes;
extern const sdk_api_route sdk_api_metrics_routes[];
extern const size_t sdk_api_n_metrics_routes;
extern const sdk_api_route sdk_api_debug_routes[];
extern const size_t sdk_api_n_debug_routes;
extern const sdk_api_route sdk_api_event_routes[];
extern const size_t sdk_api_n_event_routes;
extern const sdk_api_route sdk_api_sandbox_routes[];
extern const size_t sdk_api_n_sandbox_routes;
extern const sdk_api_route sdk_api_console_routes[];
extern const size_t sdk_api_n_console_routes;
/* A /v1/events client may have this many bytes waiting for it; beyond, it is dropped. */
#define SDK_EVENTS_CLIENT_MAX (256 * 1024)
/* Ends the /v1/events clients' bookkeeping (their requests are gone with the server). */
void sdk_api_events_free(sdk_api *api);
#endif
