/* FROZEN: abi/sdk_plugin.h exactly as ABI 1.0 shipped it, kept to build tests/abi/fixture_abi_1_0.c
 * (a 1.1 scheduler must keep loading 1.0 plugins). Never edit. */
/* sdk_plugin.h — the Stateful SDK plugin ABI, version 1.0.
 *
 * This is the ONLY header a service plugin includes. It needs nothing but <stddef.h>, <stdint.h>
 * and <stdbool.h>; a plugin builds with `cc -shared -fPIC -fvisibility=hidden -I<this dir>` and
 * never links against scheduler symbols. abi/ABI.md holds the rules and the changelog; the short
 * version:
 *
 *  - A plugin exports exactly one symbol, sdk_plugin_entry(), returning a pointer to a constant
 *    descriptor (sdk_plugin_descriptor). Its first three fields (abi_major, abi_minor, size) are
 *    frozen forever. The scheduler loads the plugin only when abi_major equals its own major and
 *    abi_minor is not newer than its own minor, and when size is at least the 1.0 size.
 *  - The scheduler hands init() a table of host functions (sdk_host_api) whose first field is its
 *    size in bytes. Entries are only ever appended; a plugin built against minor N+1 that wants an
 *    entry added in N+1 checks SDK_HOST_HAS(api, entry) before calling it.
 *  - Plugin state is the single `void *` written by init(); it is passed back to every hook. A
 *    plugin keeps no global mutable state (two instances of one plugin may be loaded at once).
 *  - Every handle is opaque and valid only for the time its comment states.
 *  - Every hook is optional (NULL = not provided) and runs on the scheduler's loop thread. Hooks must
 *    not block: long work goes through run_command(), waiting through timer_start().
 *  - Functions that can fail return int: 0 (SDK_PLUGIN_OK) or a negative sdk_plugin_result. Detail
 *    for a human goes into an error sink (error()) or the log (log()).
 *  - Strings are NUL-terminated UTF-8. "Borrowed" means the callee keeps ownership; the pointer is
 *    valid for the time stated. "Host-allocated" results are released with api->free().
 */
#ifndef SDK_PLUGIN_H
#define SDK_PLUGIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SDK_PLUGIN_ABI_MAJOR 1
#define SDK_PLUGIN_ABI_MINOR 0

#if defined(__GNUC__) || defined(__clang__)
#define SDK_PLUGIN_EXPORT __attribute__((visibility("default")))
#define SDK_PLUGIN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SDK_PLUGIN_EXPORT
#define SDK_PLUGIN_PRINTF(f, a)
#endif

/* ---- result codes: one append-only enum (values never change or get reused) ---------------- */
typedef enum sdk_plugin_result {
    SDK_PLUGIN_OK = 0,
    SDK_PLUGIN_EINVAL = -1,   /* bad argument; detail in the error sink or log */
    SDK_PLUGIN_ENOMEM = -2,   /* out of memory */
    SDK_PLUGIN_ENOENT = -3,   /* no such pod, task, plan, property, option, timer ... */
    SDK_PLUGIN_EEXIST = -4,   /* already exists */
    SDK_PLUGIN_ESTATE = -5,   /* not allowed now (wrong hook, read-only handle, finished response) */
    SDK_PLUGIN_ENOTSUP = -6,  /* the scheduler does not offer this function here */
    SDK_PLUGIN_EIO = -7,      /* state store or I/O failure */
    SDK_PLUGIN_EFAILED = -8,  /* the plugin's own failure; detail in the error sink */
} sdk_plugin_result;

typedef enum sdk_plugin_log_level {
    SDK_PLUGIN_LOG_DEBUG = 0,
    SDK_PLUGIN_LOG_INFO = 1,
    SDK_PLUGIN_LOG_WARN = 2,
    SDK_PLUGIN_LOG_ERROR = 3,
} sdk_plugin_log_level;

/* Strategies of plans and phases (svc.yml names in comments). */
typedef enum sdk_plugin_strategy {
    SDK_PLUGIN_STRATEGY_SERIAL = 0,          /* "serial" */
    SDK_PLUGIN_STRATEGY_PARALLEL = 1,        /* "parallel" */
    SDK_PLUGIN_STRATEGY_SERIAL_CANARY = 2,   /* "serial-canary" (phases only) */
    SDK_PLUGIN_STRATEGY_PARALLEL_CANARY = 3, /* "parallel-canary" (phases only) */
} sdk_plugin_strategy;

typedef enum sdk_plugin_recovery_type {
    SDK_PLUGIN_RECOVERY_TRANSIENT = 0, /* relaunch in place on the pod's existing reservations */
    SDK_PLUGIN_RECOVERY_PERMANENT = 1, /* replace: new reservations, placement re-applied */
} sdk_plugin_recovery_type;

typedef enum sdk_plugin_decision {
    SDK_PLUGIN_DECOMMISSION_ALLOW = 0,   /* go ahead */
    SDK_PLUGIN_DECOMMISSION_VETO = 1,    /* refuse; the reason is shown on the decommission plan */
    SDK_PLUGIN_DECOMMISSION_PENDING = 2, /* a check is in flight: ask again on a later cycle */
} sdk_plugin_decision;

/* ---- opaque handles ------------------------------------------------------------------------ */
typedef struct sdk_plugin_host sdk_plugin_host;         /* this plugin instance, as the host sees it;
                                                            valid from init() until fini() returns */
typedef struct sdk_plugin_errors sdk_plugin_errors;     /* error sink; valid during the hook call */
typedef struct sdk_plugin_spec sdk_plugin_spec;         /* a service spec; valid during the hook call */
typedef struct sdk_plugin_plans sdk_plugin_plans;       /* the plan set being built; hook call only */
typedef struct sdk_plugin_plan sdk_plugin_plan;         /* one plan in a plan set */
typedef struct sdk_plugin_phase sdk_plugin_phase;       /* one phase of a plan */
typedef struct sdk_plugin_recovery sdk_plugin_recovery; /* a custom recovery phase being built */
typedef struct sdk_plugin_recovery_step sdk_plugin_recovery_step;
typedef struct sdk_plugin_endpoints sdk_plugin_endpoints; /* /v1/endpoints entries being built */
typedef struct sdk_plugin_request sdk_plugin_request;   /* an HTTP request; valid during the handler */
typedef struct sdk_plugin_response sdk_plugin_response; /* its response; see response_suspend() */

/* ---- plain data passed to or from hooks ---------------------------------------------------- */
typedef struct sdk_plugin_kv {
    const char *key;
    const char *value;
} sdk_plugin_kv;

/* One configurable option. The scheduler renders the default spec template with the option
 * defaults, overridden by the scheduler's environment, overridden by `-o KEY=VALUE`. */
typedef struct sdk_plugin_option {
    const char *name;          /* environment-style name, e.g. "HELLO_COUNT" */
    const char *default_value; /* never NULL; "" allowed */
    const char *description;   /* one line for `scheduler --plugin x.so --help` */
} sdk_plugin_option;

/* HTTP route handler. Called on the loop thread for a request matching the route. Before it
 * returns it either completes `resp` (response_set_*), or calls response_suspend(resp) and later
 * response_finish(resp). `req` is borrowed and valid only during the call (copy what you need).
 * Return 0. A negative return from a handler that did not suspend sends an empty 500 (log the
 * detail with api->log). */
typedef int (*sdk_plugin_route_fn)(void *state, sdk_plugin_request *req, sdk_plugin_response *resp);

/* An extra REST route. `path` starts with "/v1/"; a segment written "{name}" matches any one
 * non-empty segment and is read with request_param(req, "name"). When several routes match, the
 * one whose first differing segment is literal wins (GET /v1/topics/unavailable_partitions beats
 * GET /v1/topics/{name}). `method` is "GET", "PUT", "POST", "DELETE" ... (exact, upper case). */
typedef struct sdk_plugin_route {
    const char *method;
    const char *path;
    sdk_plugin_route_fn handler;
} sdk_plugin_route;

/* Placement question for one pod instance on one offered agent. Borrowed, valid during the call. */
typedef struct sdk_plugin_placement_query {
    uint32_t size;                 /* sizeof as the scheduler built it; fields beyond are absent */
    uint32_t pod_index;
    const char *pod_type;
    const char *agent_hostname;
    const sdk_plugin_kv *attributes;  /* agent attributes, value rendered as text ("rack:1.000") */
    uint32_t n_attributes;
    uint32_t n_agent_tasks;
    const char *const *agent_tasks;   /* names of this service's tasks already on the agent */
} sdk_plugin_placement_query;

/* A task status the scheduler received. Borrowed, valid during the call. */
typedef struct sdk_plugin_task_status {
    uint32_t size;
    uint32_t reserved;
    const char *task_name;      /* "<pod>-<index>-<task>" */
    const char *task_id;
    const char *state;          /* Mesos name: "TASK_RUNNING", "TASK_FAILED", ... */
    const char *agent_hostname; /* NULL if unknown */
    const char *ip;             /* NULL if this status carries no IP */
    const char *message;        /* NULL if none */
} sdk_plugin_task_status;

/* An asynchronous command. Borrowed by run_command() for the duration of that call only. */
typedef struct sdk_plugin_command {
    uint32_t size;              /* set to sizeof(sdk_plugin_command) */
    uint32_t timeout_ms;        /* 0 = no timeout; on expiry the process group is killed */
    const char *const *argv;    /* NULL-terminated; argv[0] is looked up in PATH */
    const char *const *env;     /* NULL-terminated "KEY=VALUE" list, or NULL: the scheduler's env */
    const char *cwd;            /* NULL: the scheduler's working directory */
} sdk_plugin_command;

/* Outcome of a command. Borrowed, valid during the completion callback only. */
typedef struct sdk_plugin_command_result {
    uint32_t size;
    int32_t exit_code;          /* exit status, or -1 if killed by a signal or never started */
    bool timed_out;             /* killed because timeout_ms expired (exit_code is then -1) */
    const char *out;            /* stdout (NUL-terminated; out_len excludes the NUL) */
    size_t out_len;
    const char *err;            /* stderr, likewise; "could not start: ..." when never started */
    size_t err_len;
} sdk_plugin_command_result;

typedef void (*sdk_plugin_timer_fn)(void *state, uint64_t timer_id, void *arg);
typedef void (*sdk_plugin_command_fn)(void *state, uint64_t command_id, void *arg,
                                      const sdk_plugin_command_result *result);

/* ---- the host function table --------------------------------------------------------------- */
/* Handed to init(); valid (and unchanging) until fini() returns. A plugin keeps the pointer in its
 * state. Every function is callable only on the loop thread, from inside a hook, route handler,
 * timer or command callback of this instance, unless its comment says otherwise. */
typedef struct sdk_host_api {
    uint32_t size;       /* sizeof(sdk_host_api) in the scheduler; see SDK_HOST_HAS */
    uint32_t abi_major;  /* the scheduler's ABI version */
    uint32_t abi_minor;
    uint32_t reserved;

    /* -- memory, logging, errors -- */
    /* Releases a host-allocated result. NULL is fine. */
    void (*free)(void *p);
    /* Writes one line to the scheduler log, tagged with the plugin name. fmt is printf-style. */
    void (*log)(sdk_plugin_host *h, sdk_plugin_log_level level, const char *fmt, ...)
        SDK_PLUGIN_PRINTF(3, 4);
    /* Appends a human-readable problem to an error sink (the user sees it: say what, where and what
     * to do). The text is copied. */
    void (*error)(sdk_plugin_errors *errs, const char *fmt, ...) SDK_PLUGIN_PRINTF(2, 3);

    /* -- options (defaults < scheduler environment < -o KEY=VALUE) -- */
    /* Value of option or environment variable `name`; NULL if unset. Borrowed, valid until fini.
     * Callable from init() on. */
    const char *(*option)(sdk_plugin_host *h, const char *name);
    /* Number of (name, value) pairs in the merged option map and the i-th one (sorted by name).
     * Returns ENOENT when i is out of range. Borrowed until fini. */
    uint32_t (*option_count)(sdk_plugin_host *h);
    int (*option_at)(sdk_plugin_host *h, uint32_t i, const char **name, const char **value);

    /* -- plugin-scoped durable properties (kept in the state store under the plugin's name) -- */
    /* *value receives a host-allocated copy (NUL added after len bytes; free with api->free),
     * *len its length (len may be NULL). ENOENT if absent. */
    int (*property_get)(sdk_plugin_host *h, const char *key, char **value, size_t *len);
    /* Stores a copy of value[0..len). Key: [A-Za-z0-9_.-]{1,128}. EINVAL for a bad key. */
    int (*property_set)(sdk_plugin_host *h, const char *key, const void *value, size_t len);
    /* ENOENT if absent. */
    int (*property_delete)(sdk_plugin_host *h, const char *key);

    /* -- spec accessors. Pod and task names are borrowed; results are borrowed and valid until the
     * hook returns or the same field is changed, whichever is first. Indexes are 0-based. -- */
    const char *(*spec_name)(const sdk_plugin_spec *s);
    uint32_t (*spec_pod_count)(const sdk_plugin_spec *s);
    const char *(*spec_pod_type)(const sdk_plugin_spec *s, uint32_t i);   /* NULL out of range */
    /* Pod instance count (`count:`). ENOENT for an unknown pod type. */
    int (*spec_pod_get_count)(const sdk_plugin_spec *s, const char *pod, int64_t *count);
    /* Raw placement string of a pod ("" when none). NULL for an unknown pod type. */
    const char *(*spec_pod_placement)(const sdk_plugin_spec *s, const char *pod);
    uint32_t (*spec_task_count)(const sdk_plugin_spec *s, const char *pod);  /* 0: unknown pod */
    const char *(*spec_task_name)(const sdk_plugin_spec *s, const char *pod, uint32_t i);
    /* "RUNNING", "FINISH" or "ONCE"; NULL for an unknown pod/task. */
    const char *(*spec_task_goal)(const sdk_plugin_spec *s, const char *pod, const char *task);
    const char *(*spec_task_cmd)(const sdk_plugin_spec *s, const char *pod, const char *task);
    /* Value of env var `key` in the task's YAML env; NULL if not set or unknown pod/task. */
    const char *(*spec_task_env)(const sdk_plugin_spec *s, const char *pod, const char *task,
                                 const char *key);

    /* -- spec mutators: only inside mutate_spec(); elsewhere they return ESTATE. All arguments are
     * copied. A failed mutate_spec() discards every change it made. -- */
    /* Sets `count:` (>= 0). */
    int (*spec_pod_set_count)(sdk_plugin_spec *s, const char *pod, int64_t count);
    /* Sets env var key=value on one task (pod and task given), on every task of a pod (task NULL)
     * or on every task of every pod (pod NULL and task NULL). Replaces an existing value. Key:
     * [A-Za-z_][A-Za-z0-9_]*. */
    int (*spec_set_env)(sdk_plugin_spec *s, const char *pod, const char *task, const char *key,
                        const char *value);
    /* Replaces a task's command. */
    int (*spec_task_set_cmd)(sdk_plugin_spec *s, const char *pod, const char *task,
                             const char *cmd);
    /* ANDs one Marathon-style constraint row (field, operator, optional parameter: NULL for none),
     * e.g. ("hostname", "UNIQUE", NULL), with the pod's placement; the user's rows are kept. */
    int (*spec_pod_add_placement)(sdk_plugin_spec *s, const char *pod, const char *field,
                                  const char *op, const char *param);

    /* -- plan builders: only inside the plans() hook. The set starts with the spec's plans (or the
     * generated default `deploy` plan: one serial phase per pod type). -- */
    uint32_t (*plans_count)(const sdk_plugin_plans *p);
    const char *(*plans_name)(const sdk_plugin_plans *p, uint32_t i);  /* NULL out of range */
    /* Adds a new, empty plan, replacing a plan of that name if there is one (a customiser). Plan
     * strategy is SERIAL or PARALLEL. *out (may be NULL) is valid during the hook. */
    int (*plan_add)(sdk_plugin_plans *p, const char *name, sdk_plugin_strategy strategy,
                    sdk_plugin_plan **out);
    /* The existing plan `name` (to append phases to it); ENOENT if absent. */
    int (*plan_get)(sdk_plugin_plans *p, const char *name, sdk_plugin_plan **out);
    /* Removes plan `name`; ENOENT if absent; EINVAL for "deploy" (a service always has one). */
    int (*plan_remove)(sdk_plugin_plans *p, const char *name);
    /* Appends a phase running pod type `pod`. Until step_add() is called on it, the phase has one
     * step per pod instance launching all of the pod's tasks. EEXIST: phase name taken in plan. */
    int (*phase_add)(sdk_plugin_plan *plan, const char *name, const char *pod,
                     sdk_plugin_strategy strategy, sdk_plugin_phase **out);
    /* Appends a step: pod instance `index` (-1 = every index without its own steps, like YAML
     * `default:`) launching tasks[0..n_tasks) together. Task names must exist in the phase's pod. */
    int (*step_add)(sdk_plugin_phase *phase, int64_t index, const char *const *tasks,
                    uint32_t n_tasks);

    /* -- recovery builders: only inside recovery_override() -- */
    /* Names the custom phase and its strategy; without this call the phase is named
     * "<pod>-<index>" (the default recovery phase name) and is serial. */
    int (*recovery_set_phase)(sdk_plugin_recovery *r, const char *name,
                              sdk_plugin_strategy strategy);
    /* Appends a step relaunching tasks[0..n_tasks) of pod instance `pod`-`index` with the given
     * recovery type. *out (may be NULL) is valid during the hook. */
    int (*recovery_step_add)(sdk_plugin_recovery *r, const char *pod, uint32_t index,
                             const char *const *tasks, uint32_t n_tasks,
                             sdk_plugin_recovery_type type, sdk_plugin_recovery_step **out);
    /* Appends `suffix` to `task`'s command when this step launches it (Cassandra's
     * " -Dcassandra.replace_address=<ip>"). Task must be one of the step's tasks. */
    int (*recovery_step_cmd_suffix)(sdk_plugin_recovery_step *st, const char *task,
                                    const char *suffix);
    /* Sets env key=value on `task` when this step launches it (overrides the spec's env). */
    int (*recovery_step_env)(sdk_plugin_recovery_step *st, const char *task, const char *key,
                             const char *value);

    /* -- endpoints: only inside the endpoints() hook -- */
    /* Adds /v1/endpoints/<name> with a body served as content_type (copied). EEXIST on repeat. */
    int (*endpoint_add)(sdk_plugin_endpoints *e, const char *name, const char *content_type,
                        const char *body, size_t body_len);

    /* -- mustache rendering (the same engine and rules as svc.yml rendering) -- */
    /* Renders tmpl with vars[0..n_vars) (vars == NULL: the merged option map). *out is
     * host-allocated (api->free). Problems go to errs (may be NULL); strict: a missing variable is
     * an error instead of rendering as empty text. */
    int (*render)(sdk_plugin_host *h, const char *tmpl, const sdk_plugin_kv *vars, uint32_t n_vars,
                  bool strict, char **out, sdk_plugin_errors *errs);

    /* -- HTTP request accessors (during a route handler; results borrowed for the call) -- */
    const char *(*request_method)(const sdk_plugin_request *r);
    const char *(*request_path)(const sdk_plugin_request *r);
    /* Value of a "{name}" path segment; NULL if the route has no such parameter. */
    const char *(*request_param)(const sdk_plugin_request *r, const char *name);
    /* First value of query argument `name` (URL-decoded); NULL if absent. */
    const char *(*request_query)(const sdk_plugin_request *r, const char *name);
    /* Header value (name case-insensitive); NULL if absent. */
    const char *(*request_header)(const sdk_plugin_request *r, const char *name);
    /* The body (may contain NULs; a NUL follows it) and its length; "" and 0 when empty. */
    const char *(*request_body)(const sdk_plugin_request *r, size_t *len);

    /* -- HTTP response. Callable during the handler, and after response_suspend() from any later
     * callback until response_finish(). ESTATE once finished. -- */
    int (*response_set_status)(sdk_plugin_response *r, int status);   /* default 200 */
    int (*response_set_content_type)(sdk_plugin_response *r, const char *content_type);
    int (*response_set_body)(sdk_plugin_response *r, const void *body, size_t len); /* copied */
    /* Keeps the response open after the handler returns; the plugin then owns the duty to call
     * response_finish() exactly once (e.g. from a command completion callback). */
    int (*response_suspend)(sdk_plugin_response *r);
    /* Sends a suspended response. The handle is invalid afterwards. If the client went away the
     * response is dropped silently. When the plugin is unloaded, unfinished responses get 503. */
    int (*response_finish)(sdk_plugin_response *r);

    /* -- task queries (the scheduler's view of launched tasks) -- */
    /* Names of the stored tasks of pod instance `pod`-`index` (index -1: every instance). *names is
     * one host-allocated block (array and strings; free with api->free), *n its length. */
    int (*pod_tasks)(sdk_plugin_host *h, const char *pod, int64_t index, char ***names,
                     uint32_t *n);
    /* Latest Mesos state name of a task ("TASK_RUNNING"), its IP from the last status that had one,
     * its agent's hostname. NULL if unknown. Borrowed until the calling hook/callback returns. */
    const char *(*task_state)(sdk_plugin_host *h, const char *task_name);
    const char *(*task_ip)(sdk_plugin_host *h, const char *task_name);
    const char *(*task_agent)(sdk_plugin_host *h, const char *task_name);

    /* -- timers and asynchronous commands. Callbacks run on the loop thread with the plugin's
     * state; none runs after fini(). -- */
    /* One-shot timer firing fn(state, id, arg) after delay_ms. *id (may be NULL) identifies it. */
    int (*timer_start)(sdk_plugin_host *h, uint64_t delay_ms, sdk_plugin_timer_fn fn, void *arg,
                       uint64_t *id);
    /* Cancels a pending timer; ENOENT if it already fired or never existed. */
    int (*timer_cancel)(sdk_plugin_host *h, uint64_t id);
    /* Starts a command without blocking; fn(state, id, arg, result) runs when it exits or times
     * out. `cmd` is copied. */
    int (*run_command)(sdk_plugin_host *h, const sdk_plugin_command *cmd, sdk_plugin_command_fn fn,
                       void *arg, uint64_t *id);
    /* Kills a running command; its callback will not run. ENOENT if already finished. */
    int (*command_cancel)(sdk_plugin_host *h, uint64_t id);

    /* New entries go here, at the end, in later minor versions. */
} sdk_host_api;

/* True if the host table `api` has the member `field` (use for members added after 1.0). */
#define SDK_HOST_HAS(api, field) \
    ((api)->size >= offsetof(sdk_host_api, field) + sizeof((api)->field) && (api)->field != NULL)

/* ---- the plugin descriptor ----------------------------------------------------------------- */
/* Returned by sdk_plugin_entry(); constant data owned by the plugin, valid while it is loaded. */
typedef struct sdk_plugin_descriptor {
    uint32_t abi_major;  /* SDK_PLUGIN_ABI_MAJOR the plugin was built against */
    uint32_t abi_minor;  /* SDK_PLUGIN_ABI_MINOR the plugin was built against */
    uint32_t size;       /* sizeof(sdk_plugin_descriptor) the plugin was built with */
    uint32_t reserved;   /* 0 */
    const char *name;    /* [a-z0-9-]+, e.g. "hello"; tags logs, scopes properties */
    const char *version; /* the plugin's own version, free text */
    const char *description;

    /* Default svc.yml as a mustache template (NULL: the user must give --spec) and its options. */
    const char *spec_template;
    const sdk_plugin_option *options;
    uint32_t n_options;
    uint32_t n_routes;
    const sdk_plugin_route *routes;

    /* Creates the plugin's state. `api` and `host` stay valid until fini(); keep them. Options
     * are readable. On failure return a negative code and put the reason in errs: the scheduler
     * refuses to start and shows it. *state may stay NULL when the plugin needs no state. */
    int (*init)(const sdk_host_api *api, sdk_plugin_host *host, void **state,
                sdk_plugin_errors *errs);
    /* Releases the state. Pending timers and commands are already cancelled. */
    void (*fini)(void *state);

    /* Changes the parsed spec before it is validated and stored (env injection, counts,
     * placement). Problems go to errs with a negative return; all changes are then discarded. */
    int (*mutate_spec)(void *state, sdk_plugin_spec *spec, sdk_plugin_errors *errs);
    /* Checks a configuration update. old_spec is the stored target (NULL on first install).
     * Append each problem to errs (the update is then rejected); return 0 unless the check
     * itself failed. Both specs are read-only. */
    int (*validate_config)(void *state, const sdk_plugin_spec *old_spec,
                           const sdk_plugin_spec *new_spec, sdk_plugin_errors *errs);
    /* Adds or replaces plans (generators and customisers) with the plan builders. */
    int (*plans)(void *state, const sdk_plugin_spec *spec, sdk_plugin_plans *plans,
                 sdk_plugin_errors *errs);
    /* Called when pod instance pod-index failed. Add steps to `rec` to replace the default
     * recovery phase with a custom one; add none to keep the default. */
    int (*recovery_override)(void *state, const sdk_plugin_spec *spec, const char *pod,
                             uint32_t index, sdk_plugin_recovery_type type,
                             sdk_plugin_recovery *rec);
    /* May pod instance pod-index be decommissioned now? Set *decision; for VETO put the reason in
     * `reason` (shown on the plan). PENDING: the scheduler asks again on a later cycle. */
    int (*pre_decommission)(void *state, const char *pod, uint32_t index,
                            sdk_plugin_decision *decision, sdk_plugin_errors *reason);
    /* Adds extra /v1/endpoints entries with endpoint_add(). Called per endpoints request. */
    int (*endpoints)(void *state, sdk_plugin_endpoints *out);
    /* Custom placement rule, ANDed with the pod's own placement. Set *pass; when false put the
     * reason in `reason` (it appears in the offer outcome log). */
    int (*placement)(void *state, const sdk_plugin_placement_query *q, bool *pass,
                     sdk_plugin_errors *reason);
    /* Observes every task status the scheduler receives (after it was recorded). */
    void (*task_status)(void *state, const sdk_plugin_task_status *status);

    /* New hooks go here, at the end, in later minor versions. */
} sdk_plugin_descriptor;

/* The one symbol a plugin exports. Returns its constant descriptor, or NULL to refuse loading.
 * Called once per load, before anything else, on the loop thread. */
SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void);

/* Fills the three frozen fields; use as the first line of a descriptor initialiser:
 *   static const sdk_plugin_descriptor d = { SDK_PLUGIN_DESCRIPTOR_HEADER, .name = "x", ... }; */
#define SDK_PLUGIN_DESCRIPTOR_HEADER \
    .abi_major = SDK_PLUGIN_ABI_MAJOR, .abi_minor = SDK_PLUGIN_ABI_MINOR, \
    .size = (uint32_t)sizeof(sdk_plugin_descriptor)

#ifdef __cplusplus
}
#endif
#endif
