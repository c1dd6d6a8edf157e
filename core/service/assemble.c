#include "core/service/assemble.h"
#include "core/offer/placement.h"
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

static void kv_copy(const sdk_kv *in, size_t n, sdk_kv **out, size_t *n_out) {
    *out = sdk_xcalloc(n ? n : 1, sizeof **out);
    for (size_t i = 0; i < n; i++) {
        (*out)[i].key = sdk_xstrdup(in[i].key);
        (*out)[i].value = sdk_xstrdup(in[i].value);
    }
    *n_out = n;
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
        kv_copy(all, in->n_env + in->n_overrides, &out->vars, &out->n_vars);
        free(all);
    }
    if (!rc) {
        if (in->spec_path) {
            rc = sdk_spec_load_file_new(in->spec_path, out->vars, out->n_vars, !in->lenient, &out->spec, errs);
        } else {
            const char *tmpl = sdk_plugin_default_spec(out->inst);
            if (!tmpl) {
                sdk_errors_addf(errs, "%s: the plugin has no built-in service spec; give one with --spec FILE",
                                in->plugin_path);
                rc = SDK_EINVAL;
            } else {
                char *name = sdk_asprintf_new("%s (built-in svc.yml)", in->plugin_path);
                rc = sdk_spec_load_new(tmpl, name, NULL, out->vars, out->n_vars, !in->lenient, &out->spec, errs);
                free(name);
            }
        }
    }
    if (!rc && out->inst) rc = sdk_plugin_mutate_spec(out->inst, &out->spec, errs);
    if (!rc && out->inst) rc = sdk_plugin_generate_plans(out->inst, out->spec, errs);
    if (!rc) {
        sdk_errors perr;
        sdk_errors_init(&perr);
        sdk_spec_check_placement(out->spec, &perr);
        if (sdk_errors_any(&perr)) {
            sdk_errors_extend(errs, &perr);
            rc = SDK_EINVAL;
        }
        sdk_errors_free(&perr);
    }
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

