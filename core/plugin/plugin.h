/* A running plugin instance, as the scheduler core uses it.
 *
 * The core loads a lib (loader.h), merges options (defaults < environment < -o KEY=VALUE),
 * creates an instance (which runs the plugin's init) and then calls the wrappers below at the
 * points of the data flow (DESIGN.md): default spec, spec mutation, config validation, plan
 * generation, recovery override, pre-decommission, REST routes, endpoints, placement, task status.
 * Every wrapper works when the plugin lacks the hook (it then does nothing / allows / passes).
 *
 * Threading: everything here runs on the loop thread. Errors: 0 or negative SDK_E*; messages for
 * users go to the sdk_errors list and name the plugin ("plugin 'hello': ...").
 */
#ifndef SDK_PLUGIN_PLUGIN_H
#define SDK_PLUGIN_PLUGIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi/sdk_plugin.h"
#include "core/plugin/host_backend.h"
#include "core/plugin/loader.h"
#include "core/spec/options.h"
#include "core/spec/spec.h"
#include "core/util/err.h"
#include "core/util/str.h"

typedef struct sdk_plugin_instance sdk_plugin_instance;

/* ---- options ------------------------------------------------------------------------------- */
/* Merges the option map a plugin sees and the svc.yml template is rendered with: every variable of
 * env, then each declared option missing from env gets its default, then each overrides entry
 * ("-o KEY=VALUE", already split) replaces or adds. Keys of overrides must match
 * [A-Za-z_][A-Za-z0-9_]* (SDK_EINVAL with "-o 'KEY': ..." in errs otherwise, *out untouched).
 * *out_new is sorted by key, owned by the caller (sdk_plugin_kv_free). */
int sdk_plugin_options_merge_new(const sdk_plugin_lib *lib, const sdk_kv *env, size_t n_env,
                                 const sdk_kv *overrides, size_t n_overrides, sdk_kv **out_new,
                                 size_t *n_out, sdk_errors *errs);
void sdk_plugin_kv_free(sdk_kv *kv, size_t n);
/* The plugin's package options (core/spec/options.h): its ABI 1.1 option_schema when it has one,
 * else its 1.0 options table read as string options named after their variables. A schema entry
 * that is malformed (bad path or variable, bad bound, a default outside its own bounds) refuses
 * the plugin: SDK_EINVAL with "<path>: option_schema[i] ..." in errs. *out_new: new. */
int sdk_plugin_lib_options_new(const sdk_plugin_lib *lib, sdk_options **out_new, sdk_errors *errs);

/* ---- lifecycle ----------------------------------------------------------------------------- */
/* Creates an instance of lib: copies options (the merged map) and *backend (whose ctx must outlive
 * the instance), runs the plugin's init. On init failure returns SDK_EINVAL and errs gets
 * "<path>: plugin '<name>' failed to initialise: <the plugin's reasons>". The instance holds a
 * reference on lib. */
int sdk_plugin_instance_new(sdk_plugin_lib *lib, const sdk_plugin_backend *backend,
                            const sdk_kv *options, size_t n_options, sdk_plugin_instance **out,
                            sdk_errors *errs);
/* Cancels the instance's timers and commands, answers its suspended responses with 503, runs the
 * plugin's fini and drops the lib reference. NULL ok. */
void sdk_plugin_instance_free(sdk_plugin_instance *inst);

const sdk_plugin_descriptor *sdk_plugin_instance_descriptor(const sdk_plugin_instance *inst);
const char *sdk_plugin_instance_name(const sdk_plugin_instance *inst);
/* The plugin's state pointer (what init wrote), for tests. */
void *sdk_plugin_instance_state(const sdk_plugin_instance *inst);
/* The default svc.yml mustache template, NULL when the plugin has none. Borrowed. */
const char *sdk_plugin_default_spec(const sdk_plugin_instance *inst);
/* Replaces the options the plugin reads (a live configuration update); copied. */
void sdk_plugin_instance_set_options(sdk_plugin_instance *inst, const sdk_kv *options, size_t n_options);

/* ---- spec hooks ---------------------------------------------------------------------------- */
/* Runs mutate_spec on a copy of *spec; on success the copy replaces *spec (the old one is freed),
 * on failure *spec is untouched, SDK_EINVAL, reasons in errs. */
int sdk_plugin_mutate_spec(sdk_plugin_instance *inst, sdk_spec **spec, sdk_errors *errs);
/* Runs validate_config. Returns SDK_EINVAL when the plugin reported a problem (each in errs). */
int sdk_plugin_validate_config(sdk_plugin_instance *inst, const sdk_spec *old_spec,
                               const sdk_spec *new_spec, sdk_errors *errs);
/* Runs the plans hook; on success spec->plans is replaced by the resulting plan set (the default
 * deploy plan is materialised if the spec had no plans and the plugin changed anything). On
 * failure spec is untouched. */
int sdk_plugin_generate_plans(sdk_plugin_instance *inst, sdk_spec *spec, sdk_errors *errs);

/* ---- recovery ------------------------------------------------------------------------------ */
typedef struct sdk_task_override {
    char *task;            /* task name within the step's pod */
    char *cmd_suffix;      /* appended to the task's cmd; NULL = none */
    sdk_kv *env;           /* set on the task's env (override the spec) */
    size_t n_env;
} sdk_task_override;

typedef struct sdk_recovery_step_spec {
    char *pod;
    uint32_t index;
    char **tasks;
    size_t n_tasks;
    sdk_plugin_recovery_type type; /* SDK_PLUGIN_RECOVERY_TRANSIENT or _PERMANENT (abi header) */
    sdk_task_override *overrides;
    size_t n_overrides;
} sdk_recovery_step_spec;

/* A custom recovery phase produced by a plugin (sdk-behaviour.md §4.9, §10.1, §10.2). */
typedef struct sdk_recovery_phase_spec {
    char *name;
    sdk_strategy strategy;  /* serial or parallel */
    sdk_recovery_step_spec *steps;
    size_t n_steps;
} sdk_recovery_phase_spec;
void sdk_recovery_phase_spec_free(sdk_recovery_phase_spec *p); /* NULL ok */

/* Asks the plugin for a custom recovery of pod-index. *out_new = NULL: use the default recovery.
 * A phase the plugin built wrongly (unknown pod/task) yields SDK_EINVAL with errs. */
int sdk_plugin_recovery_override(sdk_plugin_instance *inst, const sdk_spec *spec, const char *pod,
                                 uint32_t index, sdk_plugin_recovery_type type,
                                 sdk_recovery_phase_spec **out_new, sdk_errors *errs);

/* ---- decommission -------------------------------------------------------------------------- */
/* *decision = ALLOW when the plugin has no hook. For VETO *reason_new holds the plugin's reason
 * (free()); otherwise NULL. A failing hook counts as PENDING (ask again) and is logged. */
int sdk_plugin_pre_decommission(sdk_plugin_instance *inst, const char *pod, uint32_t index,
                                sdk_plugin_decision *decision, char **reason_new);

/* ---- REST routes --------------------------------------------------------------------------- */
/* An HTTP request as the API layer hands it over; borrowed for the dispatch call. */
typedef struct sdk_plugin_http_request {
    const char *method;
    const char *path;          /* without the query string */
    const sdk_kv *query;       /* URL-decoded arguments in order */
    size_t n_query;
    const sdk_kv *headers;
    size_t n_headers;
    const char *body;          /* may be NULL when body_len == 0 */
    size_t body_len;
} sdk_plugin_http_request;

/* The response object. The API layer creates it, dispatches, and then:
 *  - not pending: reads status/content_type/body, sends, and frees it;
 *  - pending: waits; when the plugin finishes it, on_finish(resp, ctx) is called (send it then;
 *    do not free it: the host frees it right after on_finish returns). If the client goes away
 *    first, call sdk_plugin_response_abandon(): the later finish just frees it. */
struct sdk_plugin_response {
    int status;                /* default 200 */
    char *content_type;        /* default "application/json" */
    sdk_buf body;
    bool suspended, finished, abandoned;
    bool in_dispatch;          /* the handler is running (internal) */
    void (*on_finish)(sdk_plugin_response *resp, void *ctx);
    void *ctx;
    sdk_plugin_instance *owner; /* set while suspended */
    struct sdk_plugin_response *next_pending;
};
sdk_plugin_response *sdk_plugin_response_new(void (*on_finish)(sdk_plugin_response *, void *),
                                             void *ctx);
void sdk_plugin_response_free(sdk_plugin_response *r); /* only for non-pending responses */
void sdk_plugin_response_abandon(sdk_plugin_response *r);

/* Finds the plugin route for req (method + path pattern; literal segments beat {param}) and runs
 * it. Returns SDK_ENOENT if no route's path matches (resp untouched: the API layer answers 404).
 * If a path matches but no method does, resp gets 405 and 0 is returned. Otherwise 0, and
 * *pending tells whether the handler suspended the response. */
int sdk_plugin_dispatch(sdk_plugin_instance *inst, const sdk_plugin_http_request *req,
                        sdk_plugin_response *resp, bool *pending);

/* ---- endpoints ----------------------------------------------------------------------------- */
typedef struct sdk_plugin_endpoint {
    char *name, *content_type, *body;
    size_t body_len;
} sdk_plugin_endpoint;
/* Collects the plugin's extra /v1/endpoints entries (none without the hook). */
int sdk_plugin_endpoints_new(sdk_plugin_instance *inst, sdk_plugin_endpoint **out_new, size_t *n,
                             sdk_errors *errs);
void sdk_plugin_endpoints_free(sdk_plugin_endpoint *e, size_t n);

/* ---- placement and status ------------------------------------------------------------------ */
/* *pass = true without the hook. When false, *reason_new (free()) says why. A failing hook
 * counts as a failed rule with the reason "plugin '<name>' placement rule failed". */
int sdk_plugin_placement(sdk_plugin_instance *inst, const char *pod, uint32_t index,
                         const char *agent_hostname, const sdk_kv *attributes, size_t n_attributes,
                         const char *const *agent_tasks, size_t n_agent_tasks, bool *pass,
                         char **reason_new);
bool sdk_plugin_has_placement(const sdk_plugin_instance *inst);
/* Tells the plugin about a recorded task status. NULL strings allowed for agent/ip/message. */
void sdk_plugin_task_status_notify(sdk_plugin_instance *inst, const char *task_name,
                                   const char *task_id, const char *state,
                                   const char *agent_hostname, const char *ip,
                                   const char *message);
#endif
