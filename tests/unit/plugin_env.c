#include "plugin_env.h"

#include <stdlib.h>
#include <string.h>

#include <stdio.h>
#include "core/plugin/loader.h"
#include "core/spec/mustache.h"

int plugin_env_open(plugin_env *h, const char *so, const sdk_kv *base, size_t n_base, const sdk_kv *over,
                     size_t n_over) {
    memset(h, 0, sizeof *h);
    h->so = so;
    sdk_errors_init(&h->e);
    sdk_plugin_lib *lib = NULL;
    if (sdk_plugin_lib_open(so, &lib, &h->e) || !lib) {
        sdk_errors_print(&h->e, so);
        return -1;
    }
    sdk_kv *all = calloc(n_base + n_over + 1, sizeof *all);
    if (n_base) memcpy(all, base, n_base * sizeof *all);
    if (n_over) memcpy(all + n_base, over, n_over * sizeof *all);
    int rc = sdk_plugin_options_merge_new(lib, NULL, 0, all, n_base + n_over, &h->opts, &h->n_opts, &h->e);
    free(all);
    if (rc) {
        sdk_errors_print(&h->e, so);
        sdk_plugin_lib_close(lib);
        return -1;
    }
    h->m = sdk_memory_backend_new();
    sdk_plugin_backend be = sdk_memory_backend_vtable(h->m);
    rc = sdk_plugin_instance_new(lib, &be, h->opts, h->n_opts, &h->in, &h->e);
    sdk_plugin_lib_close(lib);
    return rc ? 1 : 0;
}

void plugin_env_close(plugin_env *h) {
    sdk_plugin_instance_free(h->in);
    sdk_memory_backend_free(h->m);
    sdk_plugin_kv_free(h->opts, h->n_opts);
    sdk_errors_free(&h->e);
}

sdk_spec *plugin_env_spec(plugin_env *h) {
    const char *tmpl = sdk_plugin_default_spec(h->in);
    if (!tmpl) {
        fprintf(stderr, "%s: the plugin has no default spec\n", h->so);
        return NULL;
    }
    char *yaml = NULL;
    int rc = sdk_mustache_render_new(tmpl, h->opts, h->n_opts, true, &yaml, &h->e);
    if (rc) {
        sdk_errors_print(&h->e, "render");
        return NULL;
    }
    sdk_spec *s = NULL;
    char *where = malloc(strlen(h->so) + 16);
    strcpy(where, h->so);
    strcat(where, " (svc.yml)");
    rc = sdk_spec_parse(yaml, strlen(yaml), where, NULL, &s, &h->e);
    if (rc) sdk_errors_print(&h->e, "parse");
    free(where);
    free(yaml);
    return s;
}

const char *plugin_env_task_env(const sdk_task_spec *t, const char *key) {
    for (size_t i = 0; t && i < t->n_env; i++)
        if (strcmp(t->env[i].key, key) == 0) return t->env[i].value;
    return NULL;
}
