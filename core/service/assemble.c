#include "core/service/assemble.h"
#include "core/offer/placement.h"
#include "core/spec/envfile.h"
#include "core/spec/mustache.h"
#include "core/spec/spec_load.h"
#include "core/util/str.h"
#include "core/util/strmap.h"
#include <stdlib.h>
#include <string.h>

/* Scheduler environment variables the core reads itself (core/service/service.c
 * sdk_service_policy_from_vars, core/offer/launch.c): options that need no {{reference}}.
 * A new setting read from the variables goes here too. */
static const char *const SCHEDULER_SETTINGS[] = {
    "ENABLE_BACKOFF", "FRAMEWORK_INITIAL_BACKOFF", "FRAMEWORK_BACKOFF_FACTOR",
    "FRAMEWORK_MAX_LAUNCH_DELAY", "ENABLE_AUTOMATIC_POD_REPLACEMENT",
    "PERMANENT_FAILURE_TIMEOUT_SECS", "SERVICE_TLD", "VIP_TLD", "MARATHON_NAME", "PORT_API", NULL
};

int sdk_options_check_known(const sdk_assembly *a, const sdk_assembly_input *in,
                            const sdk_kv *opts, size_t n_opts, const char *source,
                            sdk_errors *errs) {
    if (!n_opts) return 0;
    char *file_text = NULL;
    const char *tmpl = NULL;
    if (in->spec_path) {
        if (sdk_read_file_new(in->spec_path, &file_text, NULL) == 0) tmpl = file_text;
    } else if (a->inst) {
        tmpl = sdk_plugin_default_spec(a->inst);
    }
    char **names = NULL;
    size_t n_names = 0;
    sdk_mustache_names_new(tmpl, &names, &n_names);
    sdk_strmap known; /* keys borrowed from names, the descriptor, SCHEDULER_SETTINGS, opts */
    sdk_strmap_init(&known);
    for (size_t i = 0; i < n_names; i++) sdk_strmap_put(&known, names[i], NULL);
    const sdk_plugin_descriptor *d = a->lib ? sdk_plugin_lib_descriptor(a->lib) : NULL;
    for (uint32_t i = 0; d && i < d->n_options; i++)
        if (d->options[i].name) sdk_strmap_put(&known, d->options[i].name, NULL);
    for (const char *const *k = SCHEDULER_SETTINGS; *k; k++) sdk_strmap_put(&known, *k, NULL);
    int rc = 0;
    for (size_t i = 0; i < n_opts; i++) {
        const char *k = opts[i].key;
        if (!k || sdk_strmap_has(&known, k) || sdk_str_starts(k, "TASKCFG_")) continue;
        /* the package options: a nested name (hello.count) or the variable it feeds */
        if (a->options && (sdk_options_find_path(a->options, k) || sdk_options_find_variable(a->options, k)))
            continue;
        sdk_strmap_put(&known, k, NULL); /* one message per key, even when given twice */
        sdk_errors_addf(errs, "%s: option '%s' is not used: the service spec (%s) does not "
                        "reference {{%s}}, %s and the scheduler does not read it; is it misspelled?",
                        source, k, in->spec_path ? in->spec_path : "the plugin's built-in svc.yml",
                        k, a->lib ? "the plugin does not declare it" : "there is no plugin to declare it");
        rc = SDK_EINVAL;
    }
    sdk_strmap_free(&known);
    sdk_mustache_names_free(names, n_names);
    free(file_text);
    return rc;
}

void sdk_spec_check_placement(const sdk_spec *s, sdk_errors *errs) {
    for (size_t i = 0; i < s->n_pods; i++) {
        const char *text = s->pods[i].placement;
        if (!text || !*text) continue;
        sdk_placement_rule *r = sdk_placement_parse_new(text);
        const char *e = sdk_placement_rule_error(r);
        if (e) sdk_errors_addf(errs, "pods.%s.placement: %s", s->pods[i].type, e);
        sdk_placement_rule_free(r);
    }
}

/* Render, parse, plugin mutation and plans, placement check: the spec of a (re)assembly. */
static int build_spec(sdk_assembly *a, const sdk_assembly_input *in, const sdk_kv *vars, size_t n_vars,
                      sdk_spec **spec, sdk_errors *errs) {
    int rc = 0;
    *spec = NULL;
    if (in->spec_path) {
        rc = sdk_spec_load_file_new(in->spec_path, vars, n_vars, !in->lenient, spec, errs);
    } else {
        const char *tmpl = sdk_plugin_default_spec(a->inst);
        if (!tmpl) {
            sdk_errors_addf(errs, "%s: the plugin has no built-in service spec; give one with --spec FILE",
                            in->plugin_path);
            return SDK_EINVAL;
        }
        char *name = sdk_asprintf_new("%s (built-in svc.yml)", in->plugin_path);
        rc = sdk_spec_load_new(tmpl, name, NULL, vars, n_vars, !in->lenient, spec, errs);
        free(name);
    }
    if (!rc && a->inst) rc = sdk_plugin_mutate_spec(a->inst, spec, errs);
    if (!rc && a->inst) rc = sdk_plugin_generate_plans(a->inst, *spec, errs);
    if (!rc) {
        sdk_errors perr;
        sdk_errors_init(&perr);
        sdk_spec_check_placement(*spec, &perr);
        if (sdk_errors_any(&perr)) {
            sdk_errors_extend(errs, &perr);
            rc = SDK_EINVAL;
        }
        sdk_errors_free(&perr);
    }
    if (rc) {
        sdk_spec_free(*spec);
        *spec = NULL;
        return SDK_EINVAL;
    }
    return 0;
}

/* The package options of in: the --options-schema file wins over the plugin's own. */
static int load_options(const sdk_assembly_input *in, const sdk_plugin_lib *lib, sdk_options **out,
                        sdk_errors *errs) {
    if (in->options_schema_path) return sdk_options_load_file_new(in->options_schema_path, out, errs);
    if (lib) return sdk_plugin_lib_options_new(lib, out, errs);
    *out = sdk_options_new();
    return 0;
}

/* The rendering variables: option defaults < environment < -o overrides < `more` (later wins),
 * option paths translated to their variables, every option value validated. */
static int layer_vars(const sdk_assembly *a, const sdk_assembly_input *in, const sdk_kv *more, size_t n_more,
                      sdk_kv **vars_new, size_t *n_vars, sdk_errors *errs) {
    size_t n_ov = in->n_overrides + n_more;
    sdk_kv *ov = sdk_xcalloc(n_ov ? n_ov : 1, sizeof *ov);
    if (in->n_overrides) memcpy(ov, in->overrides, in->n_overrides * sizeof *ov);
    if (n_more) memcpy(ov + in->n_overrides, more, n_more * sizeof *ov);
    sdk_kv *tr = NULL;
    size_t n_tr = 0;
    int rc = sdk_options_translate_new(a->options, ov, n_ov, &tr, &n_tr, errs);
    free(ov);
    if (rc) return SDK_EINVAL;
    sdk_kv *vars = NULL;
    size_t nv = 0;
    if (a->lib) {
        rc = sdk_plugin_options_merge_new(a->lib, in->env, in->n_env, tr, n_tr, &vars, &nv, errs);
    } else {
        /* No plugin: schema defaults < environment < overrides, later entries win in the renderer. */
        size_t nd = a->options ? a->options->n : 0;
        sdk_kv *all = sdk_xcalloc(nd + in->n_env + n_tr + 1, sizeof *all);
        for (size_t i = 0; i < nd; i++) {
            all[i].key = a->options->defs[i].variable;
            all[i].value = a->options->defs[i].default_value;
        }
        if (in->n_env) memcpy(all + nd, in->env, in->n_env * sizeof *all);
        if (n_tr) memcpy(all + nd + in->n_env, tr, n_tr * sizeof *all);
        nv = nd + in->n_env + n_tr;
        vars = sdk_kv_copy_new(all, nv);
        free(all);
    }
    if (!rc) rc = sdk_options_check_vars(a->options, vars, nv, errs);
    sdk_envfile_free(tr, n_tr);
    if (rc) {
        sdk_envfile_free(vars, nv);
        return SDK_EINVAL;
    }
    *vars_new = vars;
    *n_vars = nv;
    return 0;
}

int sdk_assembly_options_new(const sdk_assembly_input *in, sdk_options **out_new, sdk_errors *errs) {
    sdk_plugin_lib *lib = NULL;
    if (in->plugin_path && sdk_plugin_lib_open(in->plugin_path, &lib, errs)) return SDK_EINVAL;
    int rc = load_options(in, lib, out_new, errs);
    sdk_plugin_lib_close(lib);
    return rc;
}

int sdk_assemble(const sdk_assembly_input *in, sdk_assembly *out, sdk_errors *errs) {
    memset(out, 0, sizeof *out);
    int rc = 0;
    if (!in->plugin_path && !in->spec_path) {
        sdk_errors_addf(errs, "no plugin and no spec file: nothing to run");
        return SDK_EINVAL;
    }
    if (in->plugin_path) rc = sdk_plugin_lib_open(in->plugin_path, &out->lib, errs);
    if (!rc) rc = load_options(in, out->lib, &out->options, errs);
    if (!rc) rc = layer_vars(out, in, NULL, 0, &out->vars, &out->n_vars, errs);
    if (!rc && out->lib) {
        sdk_plugin_backend none;
        memset(&none, 0, sizeof none);
        rc = sdk_plugin_instance_new(out->lib, in->backend ? in->backend : &none, out->vars, out->n_vars,
                                     &out->inst, errs);
    }
    if (!rc) rc = build_spec(out, in, out->vars, out->n_vars, &out->spec, errs);
    if (rc) {
        sdk_assembly_free(out);
        return SDK_EINVAL;
    }
    return 0;
}

void sdk_assembly_free(sdk_assembly *a) {
    sdk_spec_free(a->spec);
    if (a->inst) sdk_plugin_instance_free(a->inst);
    if (a->lib) sdk_plugin_lib_close(a->lib);
    sdk_envfile_free(a->vars, a->n_vars);
    sdk_options_free(a->options);
    memset(a, 0, sizeof *a);
}


int sdk_assembly_rebuild_new(sdk_assembly *a, const sdk_assembly_input *in, const sdk_kv *more,
                             size_t n_more, sdk_spec **out, sdk_errors *errs) {
    *out = NULL;
    sdk_kv *vars = NULL;
    size_t n_vars = 0;
    if (layer_vars(a, in, more, n_more, &vars, &n_vars, errs)) return SDK_EINVAL;
    if (a->inst) sdk_plugin_instance_set_options(a->inst, vars, n_vars);
    int rc = build_spec(a, in, vars, n_vars, out, errs);
    if (rc) {
        if (a->inst) sdk_plugin_instance_set_options(a->inst, a->vars, a->n_vars);
        sdk_envfile_free(vars, n_vars);
        return SDK_EINVAL;
    }
    sdk_envfile_free(a->vars, a->n_vars);
    a->vars = vars;
    a->n_vars = n_vars;
    return 0;
}

sdk_kv *sdk_assembly_vars_dup(const sdk_assembly *a, size_t *n) {
    *n = a->n_vars;
    return sdk_kv_copy_new(a->vars, a->n_vars);
}

void sdk_assembly_rollback(sdk_assembly *a, sdk_kv *saved, size_t n_saved) {
    sdk_envfile_free(a->vars, a->n_vars);
    a->vars = saved;
    a->n_vars = n_saved;
    if (a->inst) sdk_plugin_instance_set_options(a->inst, a->vars, a->n_vars);
}
