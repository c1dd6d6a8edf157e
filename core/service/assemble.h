/* Assembling a service definition: load the plugin, layer the template variables (plugin option
 * defaults < environment < env files < -o), render and parse the spec (the plugin's built-in
 * template or --spec FILE), let the plugin mutate it and generate plans, and check placement
 * strings. The one path used by `scheduler`, `--validate` and the scenario runner. */
#ifndef SDK_SERVICE_ASSEMBLE_H
#define SDK_SERVICE_ASSEMBLE_H
#include "core/plugin/plugin.h"
#include "core/spec/spec.h"

typedef struct sdk_assembly {
    sdk_plugin_lib *lib;          /* NULL without a plugin */
    sdk_plugin_instance *inst;    /* NULL without a plugin */
    sdk_kv *vars;                 /* the rendering variables, merged */
    size_t n_vars;
    sdk_spec *spec;               /* final candidate spec */
} sdk_assembly;

typedef struct sdk_assembly_input {
    const char *plugin_path;      /* NULL: spec_path required */
    const char *spec_path;        /* NULL: the plugin's built-in template */
    const sdk_kv *env;            /* environment (incl. env files, later wins); copied */
    size_t n_env;
    const sdk_kv *overrides;      /* -o KEY=VALUE */
    size_t n_overrides;
    bool lenient;                 /* missing template variables render empty */
    const sdk_plugin_backend *backend; /* for the plugin instance; NULL: no backend services */
    int64_t max_pods;             /* pod instances in total a spec may have; 0 = SDK_MAX_TOTAL_PODS */
} sdk_assembly_input;

/* Default limit of pod instances (the sum of every pod's count) in one spec. Each instance costs
 * the scheduler memory and work (plan steps, task records, state nodes) whether or not it ever
 * runs: a count of two billion made the scheduler allocate until it was killed, at every start
 * again. 100,000 is ten times the largest deployment measured (bench/state: 10,000 tasks). */
#define SDK_MAX_TOTAL_PODS 100000

/* Returns 0, or SDK_EINVAL with every problem found in errs (out is then empty). */
int sdk_assemble(const sdk_assembly_input *in, sdk_assembly *out, sdk_errors *errs);
/* A new candidate spec from the same plugin instance with changed options (a live
 * configuration update): the variables become in->env < in->overrides < `more` (later wins), the
 * plugin sees the new options, and the spec is rendered, parsed, mutated and given its plugin
 * plans as at start. On success a->vars holds the new variables and *out the new spec (caller
 * owns); on failure nothing changes (the plugin keeps its old options). */
int sdk_assembly_rebuild_new(sdk_assembly *a, const sdk_assembly_input *in, const sdk_kv *more,
                             size_t n_more, sdk_spec **out, sdk_errors *errs);
/* Undoes a successful sdk_assembly_rebuild_new whose spec was then refused by the service:
 * `saved` (taken) becomes a->vars again and the plugin sees those options again. */
void sdk_assembly_rollback(sdk_assembly *a, sdk_kv *saved, size_t n_saved);
/* A copy of a->vars, for sdk_assembly_rollback. */
sdk_kv *sdk_assembly_vars_dup(const sdk_assembly *a, size_t *n);
/* Releases everything; spec may have been taken by the caller (set it to NULL). */
void sdk_assembly_free(sdk_assembly *a);
/* The memory cost of a spec, checked before anything is built from it: SDK_EINVAL with one
 * message naming the total, the limit and each pod's count when the pod instances exceed max
 * (0 = SDK_MAX_TOTAL_PODS). The ONE place that limit is enforced: every spec the scheduler takes
 * (start, --validate, a live update, a stored target at start) passes here. */
int sdk_spec_check_pod_total(const sdk_spec *s, int64_t max, sdk_errors *errs);
/* Options of a live update that nothing references: not an option the plugin declares, not a
 * variable of the service's svc.yml template, not a scheduler variable (sdk_service_policy_vars).
 * Appends "option NAME: ..." for each and returns SDK_EINVAL; 0 when all are known. */
int sdk_assembly_check_options(const sdk_assembly *a, const sdk_assembly_input *in, const sdk_kv *opts,
                               size_t n, sdk_errors *errs);
/* Placement strings of every pod: appends "pods.<type>.placement: <problem>" for invalid ones. */
void sdk_spec_check_placement(const sdk_spec *s, sdk_errors *errs);
#endif
