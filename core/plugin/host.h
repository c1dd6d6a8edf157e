/* The host function table (sdk_host_api) and the concrete types behind the ABI's opaque handles.
 * Internal to core/plugin/: the rest of the core uses core/plugin/plugin.h.
 *
 * Each handle wraps a core object for the duration of one hook call: the wrapper functions in
 * plugin.c build them on the stack or heap, call the hook, then convert/release them.
 */
#ifndef SDK_PLUGIN_HOST_H
#define SDK_PLUGIN_HOST_H
#include "abi/sdk_plugin.h"
#include "core/plugin/plugin.h"

/* The one host table; every instance gets the same pointer. */
const sdk_host_api *sdk_plugin_host_api(void);

struct sdk_plugin_host {
    sdk_plugin_instance *inst;
};

/* Error sink: messages become "<prefix>: <text>" (prefix NULL: the text alone). */
struct sdk_plugin_errors {
    sdk_errors *errs;
    const char *prefix;
};

struct sdk_plugin_spec {
    sdk_spec *spec;
    bool writable; /* true only inside mutate_spec */
};

/* Plan builders: an editable tree converted to sdk_plan_spec when the hook returns. */
typedef struct sdk_plugin_step_b {
    int64_t index;
    char **tasks;  /* NULL-terminated */
} sdk_plugin_step_b;

struct sdk_plugin_phase {
    char *name, *pod;
    sdk_strategy strategy;
    bool has_steps;
    sdk_plugin_step_b *steps;
    size_t n_steps;
    const sdk_spec *spec;
    sdk_errors *errs;
    sdk_plugin_plans *owner;
};

struct sdk_plugin_plan {
    char *name;
    sdk_strategy strategy;
    sdk_plugin_phase **phases;
    size_t n_phases;
    const sdk_spec *spec;
    sdk_errors *errs;
    sdk_plugin_plans *owner;
};

struct sdk_plugin_plans {
    sdk_plugin_plan **plans;
    size_t n;
    bool changed;
    const sdk_spec *spec;
    sdk_errors *errs;   /* builder misuse is reported here, prefixed with the plugin name */
    const char *plugin;
    bool active;        /* false outside the plans hook */
};

struct sdk_plugin_recovery_step {
    sdk_plugin_recovery *rec;
    size_t index;       /* into rec->phase->steps (which may be reallocated) */
};

struct sdk_plugin_recovery {
    sdk_recovery_phase_spec *phase;
    sdk_plugin_recovery_step **handles;
    size_t n_handles;
    const sdk_spec *spec;
    sdk_errors *errs;
    const char *plugin;
    bool active;
};

struct sdk_plugin_endpoints {
    sdk_plugin_endpoint *items;
    size_t n;
    bool active;
};

#define SDK_PLUGIN_MAX_PARAMS 16
struct sdk_plugin_request {
    const sdk_plugin_http_request *http;
    sdk_kv params[SDK_PLUGIN_MAX_PARAMS]; /* key = "{name}" name, value = the segment (copied) */
    size_t n_params;
};

/* Timer and command records of an instance (so fini can cancel them). */
typedef struct sdk_plugin_pending_cb {
    sdk_plugin_instance *inst;
    uint64_t id;          /* backend id, also the id the plugin sees */
    bool is_command;
    sdk_plugin_timer_fn timer_fn;
    sdk_plugin_command_fn command_fn;
    void *arg;
    struct sdk_plugin_pending_cb *next;
} sdk_plugin_pending_cb;

struct sdk_plugin_instance {
    sdk_plugin_lib *lib;
    const sdk_plugin_descriptor *desc;
    sdk_plugin_backend backend;
    sdk_kv *options;      /* sorted by key */
    size_t n_options;
    struct sdk_plugin_host host;
    void *state;
    bool initialised;
    sdk_plugin_pending_cb *pending;        /* timers and commands in flight */
    sdk_plugin_response *responses;        /* suspended responses */
};

/* Converts a builder tree into plan specs (new array, *n); validates pods and tasks against spec,
 * appending problems to errs. Returns SDK_EINVAL on any problem (nothing allocated then). */
int sdk_plugin_plans_build(const sdk_plugin_plans *b, sdk_plan_spec **out, size_t *n,
                           sdk_errors *errs);
/* Fills a builder from spec->plans (or the default deploy plan when there are none). */
void sdk_plugin_plans_init(sdk_plugin_plans *b, const sdk_spec *spec, const char *plugin,
                           sdk_errors *errs);
void sdk_plugin_plans_release(sdk_plugin_plans *b);
void sdk_plugin_recovery_release(sdk_plugin_recovery *r); /* frees handles, not the phase */

/* Detaches a suspended response from its instance list (used when finishing). */
void sdk_plugin_response_unlink(sdk_plugin_response *r);
#endif
