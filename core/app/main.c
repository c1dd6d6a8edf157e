/* `scheduler`: the Stateful SDK scheduler. See --help. */
#include "abi/sdk_plugin.h"
#include "core/app/args.h"
#include "core/mapping/preview.h"
#include "core/app/run.h"
#include "core/app/summary.h"
#include "core/app/version.h"
#include "core/loop/curl_lib.h"
#include "core/service/assemble.h"
#include "core/sim/scenario.h"
#include "core/state/dump.h"
#include "core/spec/envfile.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* The entries of one --env-file, kept to check that each is used (sdk_options_check_known). */
typedef struct {
    const char *path;
    sdk_kv *kv;
    size_t n;
} env_file;

/* Process environment, then env files in order (later entries win when looked up last-first).
 * files[0..a->n_env_files) get each file's entries (free with free_env_files). */
static void collect_env(const sdk_args *a, sdk_kv **out, size_t *n, env_file *files, sdk_errors *errs) {
    size_t cap = 64, k = 0;
    sdk_kv *kv = sdk_xmalloc(cap * sizeof *kv);
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        if (k == cap) kv = sdk_xrealloc(kv, (cap *= 2) * sizeof *kv);
        kv[k].key = sdk_xstrndup(*e, (size_t)(eq - *e));
        kv[k++].value = sdk_xstrdup(eq + 1);
    }
    for (size_t f = 0; f < a->n_env_files; f++) {
        sdk_kv *fk = NULL;
        size_t fn = 0;
        files[f] = (env_file){ a->env_files[f], NULL, 0 };
        if (sdk_envfile_read_new(a->env_files[f], &fk, &fn, errs)) continue;
        files[f].kv = fk;
        files[f].n = fn;
        for (size_t i = 0; i < fn; i++) {
            size_t j = 0;
            while (j < k && strcmp(kv[j].key, fk[i].key)) j++;
            if (j < k) {
                free(kv[j].value);
                kv[j].value = sdk_xstrdup(fk[i].value);
                continue;
            }
            if (k == cap) kv = sdk_xrealloc(kv, (cap *= 2) * sizeof *kv);
            kv[k].key = sdk_xstrdup(fk[i].key);
            kv[k++].value = sdk_xstrdup(fk[i].value);
        }
    }
    *out = kv;
    *n = k;
}

static void free_env_files(env_file *files, size_t n) {
    for (size_t i = 0; files && i < n; i++) sdk_envfile_free(files[i].kv, files[i].n);
    free(files);
}

static void free_kv(sdk_kv *kv, size_t n) {
    for (size_t i = 0; i < n; i++) { free(kv[i].key); free(kv[i].value); }
    free(kv);
}

static int report(const char *what, const sdk_errors *errs) {
    fprintf(stderr, "%s: %zu problem%s:\n", what, errs->n, errs->n == 1 ? "" : "s");
    for (size_t i = 0; i < errs->n; i++) fprintf(stderr, "  - %s\n", errs->msgs[i]);
    return 1;
}

int main(int argc, char **argv) {
    sdk_args a;
    char *err = NULL;
    if (sdk_args_parse(argc, argv, &a, &err)) {
        fprintf(stderr, "scheduler: %s\n", err);
        free(err);
        sdk_args_free(&a);
        return 2;
    }
    if (a.help) {
        sdk_args_print_help(argv[0]);
        int hrc = 0;
        if (a.plugin || a.options_schema) { /* the service's own options, from the one schema */
            if (!getenv("SDK_LOG")) sdk_log_set_level(SDK_LOG_WARN);
            sdk_errors herrs;
            sdk_errors_init(&herrs);
            sdk_options *opts = NULL;
            sdk_assembly_input hin = {.plugin_path = a.plugin, .options_schema_path = a.options_schema};
            if (sdk_assembly_options_new(&hin, &opts, &herrs)) {
                hrc = report(a.options_schema ? a.options_schema : a.plugin, &herrs);
            } else {
                printf("\nOptions of %s (-o NAME=VALUE; nested names as in the package's config.json):\n",
                       a.options_schema ? a.options_schema : a.plugin);
                if (opts->n) sdk_options_print_help(stdout, opts);
                else printf("  (none declared)\n");
            }
            sdk_options_free(opts);
            sdk_errors_free(&herrs);
        }
        sdk_args_free(&a);
        return hrc;
    }
    if (a.version) {
        sdk_version_print(stdout, "scheduler");
        sdk_args_free(&a);
        return 0;
    }
    int rc = 0;
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec_set_max_pods(a.max_pods); /* before any spec is parsed */
    if (a.state_cmd) {
        sdk_args_apply_log_level();
        char *url = a.state ? sdk_xstrdup(a.state)
                            : sdk_asprintf_new("file:%s/state", a.workdir ? a.workdir : "./sdk-work");
        size_t n = 0;
        if (!strcmp(a.state_cmd, "dump")) rc = sdk_state_dump_url(url, stdout, &errs);
        else rc = sdk_state_restore_url(url, a.state_file, &n, &errs);
        if (rc) rc = report(url, &errs);
        else if (n) fprintf(stderr, "restored %zu nodes from %s into %s\n", n, a.state_file, url);
        free(url);
        sdk_errors_free(&errs);
        sdk_args_free(&a);
        return rc;
    }
    if (a.scenario) {
        sdk_args_apply_log_level();
        rc = sdk_scenario_run_file(a.scenario, a.plugin, getenv("SDK_SCENARIO_TRACE") ? stderr : NULL, &errs);
        if (rc) rc = report(a.scenario, &errs);
        else printf("%s: every expectation held\n", a.scenario);
        sdk_errors_free(&errs);
        sdk_args_free(&a);
        return rc;
    }
    /* The terminal shows a summary (--validate) or the deploy progress (running): keep the log
     * to warnings unless SDK_LOG asks for more. */
    sdk_args_apply_log_level();
    sdk_kv *env = NULL;
    size_t n_env = 0;
    env_file *files = NULL;
    sdk_loop *loop = NULL;
    sdk_live_backend *backend = NULL;
    files = sdk_xcalloc(a.n_env_files + 1, sizeof *files);
    collect_env(&a, &env, &n_env, files, &errs);
    if (sdk_errors_any(&errs)) {
        rc = report("environment files", &errs);
        goto out;
    }
    /* Running: the plugin gets the live host backend (timers and commands on the loop,
     * properties in the state store once it is open). */
    bool running = !a.validate && !a.print_taskinfo;
    if (running && (sdk_loop_new(&loop) || sdk_live_backend_new(loop, NULL, NULL, &backend))) {
        fprintf(stderr, "scheduler: cannot create the event loop\n");
        rc = 1;
        goto out;
    }
    /* SIGINT/SIGTERM go through the loop (a clean stop closes the state store, which releases
     * the ZooKeeper lock at once). Blocked before any thread exists: ZooKeeper's and curl's
     * threads inherit the mask, and a thread that did not block them would take the default
     * action and kill the process without that cleanup. */
    if (running) sdk_loop_handle_signals(loop, NULL, NULL);
    /* libcurl (33 libraries) loads on a thread of its own while the spec, the state and the plans
     * are made; its first use waits for it (core/loop/curl_lib.h). After the signal mask: the
     * thread inherits it. */
    if (running) sdk_curl_lib_preload();
    sdk_plugin_backend vt;
    if (backend) vt = sdk_live_backend_vtable(backend);
    sdk_assembly as;
    sdk_assembly_input in = {.plugin_path = a.plugin, .spec_path = a.spec, .env = env, .n_env = n_env,
                             .overrides = a.options, .n_overrides = a.n_options, .lenient = a.lenient,
                             .options_schema_path = a.options_schema,
                             .backend = backend ? &vt : NULL};
    if (sdk_assemble(&in, &as, &errs)) {
        rc = report(a.spec ? a.spec : a.plugin, &errs);
        goto out;
    }
    /* Options nothing uses are typos: refused before anything runs (the process environment is
     * not checked, it holds far more than options). */
    sdk_options_check_known(&as, &in, a.options, a.n_options, "-o", &errs);
    for (size_t f = 0; f < a.n_env_files; f++)
        sdk_options_check_known(&as, &in, files[f].kv, files[f].n, files[f].path, &errs);
    /* First-install validation (no previous target) plus the plugin's own validator. */
    bool fatal = false;
    sdk_spec_validate_update(NULL, as.spec, false, &errs, &fatal);
    if (as.inst) sdk_plugin_validate_config(as.inst, NULL, as.spec, &errs);
    if (sdk_errors_any(&errs)) {
        rc = report(as.spec->name, &errs);
        sdk_assembly_free(&as);
        goto out;
    }
    if (a.print_taskinfo) {
        sdk_mapping_preview pv;
        rc = sdk_mapping_preview_new(as.spec, as.vars, as.n_vars, a.print_taskinfo, &pv, &errs);
        if (rc) {
            rc = report(as.spec->name, &errs);
        } else {
            char *text = sdk_mapping_preview_text_new(&pv);
            printf("%s\n", text);
            free(text);
            sdk_mapping_preview_free(&pv);
        }
    } else if (a.validate) {
        rc = sdk_print_summary(stdout, as.spec, &errs) ? report(as.spec->name, &errs) : 0;
        if (!rc) printf("\nThe service spec is valid.\n");
    } else {
        rc = sdk_run(&a, &as, &in, argv[0], loop, backend);
    }
    sdk_assembly_free(&as); /* the plugin instance goes before its backend */
out:
    sdk_live_backend_free(backend);
    if (loop) sdk_loop_free(loop);
    free_kv(env, n_env);
    free_env_files(files, a.n_env_files);
    sdk_errors_free(&errs);
    sdk_args_free(&a);
    return rc;
}
