/* Assembling a service definition: load the plugin, layer the template variables (plugin option
 * defaults < environment < env files < -o), render and parse the spec (the plugin's built-in
 * template or --spec FILE), let the plugin mutate it and generate plans, and check placement
 * strings. The one path used by `scheduler`, `--validate` and the scenario runner. */
#ifndef SDK_SERVICE_ASSEMBLE_H
#define SDK_SERVICE_ASSEMBLE_H
#include "core/plugin/plugin.h"
#include "core/spec/options.h"
#include "core/spec/spec.h"

typedef struct sdk_assembly {
    sdk_plugin_lib *lib;          /* NULL without a plugin */
    sdk_plugin_instance *inst;    /* NULL without a plugin */
    sdk_kv *vars;                 /* the rendering variables, merged */
    size_t n_vars;
    sdk_spec *spec;               /* final candidate spec */
    sdk_options *options;         /* the package options (never NULL after sdk_assemble; may be
                                   * empty): --options-schema FILE, else the plugin's */
} sdk_assembly;

typedef struct sdk_assembly_input {
    const char *plugin_path;      /* NULL: spec_path required */
    const char *spec_path;        /* NULL: the plugin's built-in template */
    const sdk_kv *env;            /* environment (incl. env files, later wins); copied */
    size_t n_env;
    const sdk_kv *overrides;      /* -o KEY=VALUE; KEY may be an option path ("hello.count") */
    size_t n_overrides;
    bool lenient;                 /* missing template variables render empty */
    const char *options_schema_path; /* --options-schema FILE (config.json style); NULL: none */
    const sdk_plugin_backend *backend; /* for the plugin instance; NULL: no backend services */
} sdk_assembly_input;

/* Returns 0, or SDK_EINVAL with every problem found in errs (out is then empty). Every variable an
 * option feeds is validated against the option (type, bounds, enum) before rendering. */
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
/* Loads only the package options of in (the --options-schema file, else the plugin's), without
 * rendering anything or running the plugin: for --help. *out_new: new, possibly empty. */
int sdk_assembly_options_new(const sdk_assembly_input *in, sdk_options **out_new, sdk_errors *errs);
/* Releases everything; spec may have been taken by the caller (set it to NULL). */
void sdk_assembly_free(sdk_assembly *a);
/* Refuses options nothing uses: each key of opts[0..n_opts) must be referenced by the service
 * spec template ({{KEY}}, {{#KEY}}, ...; --spec FILE or the plugin's built-in one), declared by
 * the plugin (its descriptor's options, or its package options by nested name or variable),
 * read by the scheduler itself (ENABLE_BACKOFF,
 * PORT_API, SERVICE_TLD, ... see SCHEDULER_SETTINGS in assemble.c) or start with TASKCFG_
 * (routed into tasks, sdk-behaviour.md 2.3). An unused option is almost always a typo that
 * would silently change nothing. `source` names where the options came from in the messages
 * ("-o", an env file's path, "options of the update"). Returns 0, or SDK_EINVAL with one error
 * per unused key ("<source>: option 'NOPE' is not used: ..."). Reads only; changes nothing.
 * The scheduler calls it for -o and --env-file at start; a live update (POST /v1/update)
 * calls it for its new options before anything is stored. */
int sdk_options_check_known(const sdk_assembly *a, const sdk_assembly_input *in,
                            const sdk_kv *opts, size_t n_opts, const char *source,
                            sdk_errors *errs);
/* Placement strings of every pod: appends "pods.<type>.placement: <problem>" for invalid ones. */
void sdk_spec_check_placement(const sdk_spec *s, sdk_errors *errs);
#endif
