#include "core/service/assemble.h"
#include "core/offer/placement.h"
#include "core/plugin/loader.h"
#include "core/service/service.h"
#include "core/spec/mustache.h"
#include <inttypes.h>
#include "core/spec/envfile.h"
#include "core/spec/spec_load.h"
#include "core/util/str.h"
#include <stdlib.h>
#include <string.h>

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

int sdk_spec_check_pod_total(const sdk_spec *s, int64_t max, sdk_errors *errs) {
    if (max <= 0) max = SDK_MAX_TOTAL_PODS;
    int64_t total = 0;
    for (size_t i = 0; i < s->n_pods; i++) {
        int64_t c = s->pods[i].count > 0 ? s->pods[i].count : 0;
        total = c > INT64_MAX - total ? INT64_MAX : total + c; /* saturate: counts come from users */
    }
    if (total <= max) return 0;
    sdk_buf b;
    sdk_buf_init(&b);
    for (size_t i = 0; i < s->n_pods; i++)
        sdk_buf_printf(&b, "%s%s %" PRId64, i ? ", " : "", s->pods[i].type, s->pods[i].count);
    sdk_errors_addf(errs,
                    "pods: %" PRId64 " pod instances in total (%s) exceed the limit of %" PRId64
                    "; every instance costs the scheduler memory for its steps, tasks and state, so "
                    "this configuration is refused",
                    total, b.data ? b.data : "", max);
    sdk_buf_free(&b);
    return SDK_EINVAL;
}

int sdk_assembly_check_options(const sdk_assembly *a, const sdk_assembly_input *in, const sdk_kv *opts,
                               size_t n, sdk_errors *errs) {
    char *file = NULL;
    size_t flen = 0;
    const char *tmpl = NULL;
    if (in->spec_path) {
        if (sdk_read_file_new(in->spec_path, &file, &flen) == 0) tmpl = file;
    } else if (a->inst) {
        tmpl = sdk_plugin_default_spec(a->inst);
    }
    const sdk_plugin_descriptor *d = a->lib ? sdk_plugin_lib_descriptor(a->lib) : NULL;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *k = opts[i].key;
        bool known = tmpl && sdk_mustache_references(tmpl, k);
        for (uint32_t j = 0; d && !known && j < d->n_options; j++) known = !strcmp(d->options[j].name, k);
        for (const char *const *v = sdk_service_policy_vars; !known && *v; v++) known = !strcmp(*v, k);
        if (known) continue;
        sdk_errors_addf(errs,
                        "option %s: nothing references it (not an option of %s, not a variable of its "
                        "svc.yml, not a scheduler variable); check its spelling",
                        k, in->plugin_path ? in->plugin_path : in->spec_path ? in->spec_path : "the service");
        rc = SDK_EINVAL;
    }
    free(file);
    return rc;
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
    /* the cost check before anything is built from the counts, and again after the plugin
     * had its say on them */
    if (!rc) rc = sdk_spec_check_pod_total(*spec, in->max_pods, errs);
    if (!rc && a->inst) rc = sdk_plugin_mutate_spec(a->inst, spec, errs);
    if (!rc && a->inst) rc = sdk_spec_check_pod_total(*spec, in->max_pods, errs);
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

int sdk_assemble(const sdk_assembly_input *in, sdk_assembly *out, sdk_errors *errs) {
    memset(out, 0, sizeof *out);
    int rc = 0;
    if (in->plugin_path) {
        rc = sdk_plugin_lib_open(in->plugin_path, &out->lib, errs);
        if (!rc) rc = sdk_plugin_options_merge_new(out->lib, in->env, in->n_env, in->overrides,
                                                   in->n_overrides, &out->vars, &out->n_vars, errs);
        if (!rc) {
            sdk_plugin_backend none;
            memset(&none, 0, sizeof none);
            rc = sdk_plugin_instance_new(out->lib, in->backend ? in->backend : &none, out->vars,
                                         out->n_vars, &out->inst, errs);
        }
    } else if (!in->spec_path) {
        sdk_errors_addf(errs, "no plugin and no spec file: nothing to run");
        rc = SDK_EINVAL;
    } else {
        /* No plugin: environment < overrides, later entries win in the renderer. */
        sdk_kv *all = sdk_xcalloc(in->n_env + in->n_overrides + 1, sizeof *all);
        if (in->n_env) memcpy(all, in->env, in->n_env * sizeof *all);
        if (in->n_overrides) memcpy(all + in->n_env, in->overrides, in->n_overrides * sizeof *all);
        out->vars = sdk_kv_copy_new(all, in->n_env + in->n_overrides);
        out->n_vars = in->n_env + in->n_overrides;
        free(all);
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
    for (size_t i = 0; i < a->n_vars; i++) {
        free(a->vars[i].key);
        free(a->vars[i].value);
    }
    free(a->vars);
    memset(a, 0, sizeof *a);
}


int sdk_assembly_rebuild_new(sdk_assembly *a, const sdk_assembly_input *in, const sdk_kv *more,
                             size_t n_more, sdk_spec **out, sdk_errors *errs) {
    *out = NULL;
    /* the overrides of the start plus the new ones (later entries win in both merges) */
    size_t n_ov = in->n_overrides + n_more;
    sdk_kv *ov = sdk_xcalloc(n_ov ? n_ov : 1, sizeof *ov);
    if (in->n_overrides) memcpy(ov, in->overrides, in->n_overrides * sizeof *ov);
    if (n_more) memcpy(ov + in->n_overrides, more, n_more * sizeof *ov);
    sdk_kv *vars = NULL;
    size_t n_vars = 0;
    int rc = 0;
    if (a->lib) {
        rc = sdk_plugin_options_merge_new(a->lib, in->env, in->n_env, ov, n_ov, &vars, &n_vars, errs);
    } else {
        sdk_kv *all = sdk_xcalloc(in->n_env + n_ov + 1, sizeof *all);
        if (in->n_env) memcpy(all, in->env, in->n_env * sizeof *all);
        if (n_ov) memcpy(all + in->n_env, ov, n_ov * sizeof *all);
        vars = sdk_kv_copy_new(all, in->n_env + n_ov);
        n_vars = in->n_env + n_ov;
        free(all);
    }
    free(ov);
    if (rc) return SDK_EINVAL;
    if (a->inst) sdk_plugin_instance_set_options(a->inst, vars, n_vars);
    rc = build_spec(a, in, vars, n_vars, out, errs);
    if (rc) {
        if (a->inst) sdk_plugin_instance_set_options(a->inst, a->vars, a->n_vars);
        for (size_t i = 0; i < n_vars; i++) { free(vars[i].key); free(vars[i].value); }
        free(vars);
        return SDK_EINVAL;
    }
    for (size_t i = 0; i < a->n_vars; i++) { free(a->vars[i].key); free(a->vars[i].value); }
    free(a->vars);
    a->vars = vars;
    a->n_vars = n_vars;
    return 0;
}

sdk_kv *sdk_assembly_vars_dup(const sdk_assembly *a, size_t *n) {
    *n = a->n_vars;
    return sdk_kv_copy_new(a->vars, a->n_vars);
}

void sdk_assembly_rollback(sdk_assembly *a, sdk_kv *saved, size_t n_saved) {
    for (size_t i = 0; i < a->n_vars; i++) { free(a->vars[i].key); free(a->vars[i].value); }
    free(a->vars);
    a->vars = saved;
    a->n_vars = n_saved;
    if (a->inst) sdk_plugin_instance_set_options(a->inst, a->vars, a->n_vars);
}
