#include "core/app/args.h"
#include "core/plugin/resolve.h"
#include "core/util/str.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sdk_args_print_help(const char *prog) {
    printf("Usage: %s --plugin PATH|NAME [options]\n"
           "       %s --spec FILE [options]\n"
           "\n"
           "Runs one stateful service on Apache Mesos: the scheduler core plus the service plugin\n"
           "PATH (a shared object built against abi/sdk_plugin.h, e.g. plugins/hello/hello.so).\n"
           "\n"
           "Service definition:\n"
           "  --plugin PATH|NAME   the service plugin to load (required unless --spec is given):\n"
           "                       a .so file, or a name such as 'hello' looked up in this\n"
           "                       binary's PREFIX/lib/stateful-sdk/plugins/NAME.so, a source\n"
           "                       checkout's plugins/NAME/NAME.so, then /usr/local and /usr\n"
           "  --spec FILE          a svc.yml template to use instead of the plugin's built-in one;\n"
           "                       config templates are read relative to FILE's directory\n"
           "  --env-file FILE      KEY=VALUE lines (as in dcos-commons .env files) used to render the\n"
           "                       template; may be repeated, later files win\n"
           "  -o, --option KEY=VALUE\n"
           "                       set one template variable; may be repeated; wins over the\n"
           "                       environment and --env-file. Precedence, lowest first: plugin\n"
           "                       option defaults < process environment < --env-file < -o\n"
           "  --lenient-render     render missing template variables as empty text (dcos-commons'\n"
           "                       behaviour) instead of refusing with the list of missing variables\n"
           "  --max-pods N         refuse a spec with more than N pod instances of one pod type or\n"
           "                       in total (default 100000; see \"Limits\" in README.md)\n"
           "\n"
           "Running (without --validate or --scenario):\n"
           "  --master URL         the Mesos master: http://HOST:PORT or zk://HOST:PORT,.../PATH.\n"
           "                       Without it the scheduler starts (or reuses) the embedded local\n"
           "                       cluster in WORKDIR/cluster and deploys there\n"
           "  --workdir DIR        where the scheduler keeps its files (default ./sdk-work)\n"
           "  --state URL          where durable state lives: file:DIR (default file:WORKDIR/state),\n"
           "                       zk://[USER:PASS@]HOST:PORT[,HOST:PORT...]/PATH (ZooKeeper) or\n"
           "                       memory: (lost at exit; for experiments)\n"
           "  --api ADDR:PORT      the REST API address (default 127.0.0.1:8080; port 0 picks one)\n"
           "  --api-token FILE     require the token in FILE (first line) on every REST request, as\n"
           "                       'Authorization: Bearer TOKEN' (sdkctl --token); others get 401\n"
           "  --api-tls CERT KEY   serve the REST API over HTTPS with these PEM files\n"
           "  --agents N           agents of the local cluster when it is started (default 3)\n"
           "  --uninstall          uninstall the service: kill every task, destroy every volume,\n"
           "                       release every reservation, wipe the state, remove the framework.\n"
           "                       Irreversible once started; if interrupted, run it again to finish\n"
           "\n"
           "Actions:\n"
           "  --validate           render, parse and validate the service spec, print a summary of\n"
           "                       pods, tasks, resources and plans, and exit (0 valid, 1 invalid);\n"
           "                       writes nothing\n"
           "  --scenario FILE      run a simulation scenario (docs/scenarios.md) against the plugin on\n"
           "                       a simulated cluster and report every failed expectation; exit 0\n"
           "                       when all held\n"
           "  state dump           print the stored state (--state URL) as JSON on stdout; a\n"
           "                       zk:// store is read without taking its lock\n"
           "  state restore FILE   load a dump into an EMPTY store (--state URL)\n"
           "  -h, --help           this text\n"
           "  --version            print the scheduler and plugin ABI versions\n"
           "\n"
           "Environment:\n"
           "  SDK_LOG=debug|info|warn|error   log level on stderr (default info)\n",
           prog, prog);
}

static int add_option(sdk_args *a, const char *kv, char **err) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        *err = sdk_asprintf_new("option '%s' is not KEY=VALUE", kv);
        return SDK_EINVAL;
    }
    a->options = sdk_xrealloc(a->options, (a->n_options + 1) * sizeof *a->options);
    a->options[a->n_options].key = sdk_xstrndup(kv, (size_t)(eq - kv));
    a->options[a->n_options].value = sdk_xstrdup(eq + 1);
    a->n_options++;
    return 0;
}

int sdk_args_parse(int argc, char **argv, sdk_args *a, char **err) {
    memset(a, 0, sizeof *a);
    *err = NULL;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *val = NULL;
        /* Flags that take a value accept both "--flag VALUE" and "--flag=VALUE". */
        char name[64];
        const char *eq = strncmp(s, "--", 2) == 0 ? strchr(s, '=') : NULL;
        if (eq && (size_t)(eq - s) < sizeof name) {
            memcpy(name, s, (size_t)(eq - s));
            name[eq - s] = 0;
            val = eq + 1;
            s = name;
        }
        bool takes_value = !strcmp(s, "--plugin") || !strcmp(s, "--spec") || !strcmp(s, "--env-file") ||
                           !strcmp(s, "-o") || !strcmp(s, "--option") || !strcmp(s, "--scenario") ||
                           !strcmp(s, "--master") || !strcmp(s, "--state") || !strcmp(s, "--workdir") ||
                           !strcmp(s, "--api") || !strcmp(s, "--agents") || !strcmp(s, "--api-token") ||
                           !strcmp(s, "--max-pods");
        if (!strcmp(s, "--api-tls")) { /* two values: CERT KEY */
            if (val || i + 2 >= argc) {
                *err = sdk_xstrdup("--api-tls needs two values: --api-tls CERT_FILE KEY_FILE");
                return SDK_EINVAL;
            }
            a->api_tls_cert = argv[++i];
            a->api_tls_key = argv[++i];
            continue;
        }
        if (takes_value && !val) {
            if (i + 1 >= argc) {
                *err = sdk_asprintf_new("%s needs a value (see --help)", s);
                return SDK_EINVAL;
            }
            val = argv[++i];
        } else if (!takes_value && val) {
            *err = sdk_asprintf_new("%s takes no value", s);
            return SDK_EINVAL;
        }
        if (!strcmp(s, "--plugin")) a->plugin = val;
        else if (!strcmp(s, "--spec")) a->spec = val;
        else if (!strcmp(s, "--env-file")) {
            a->env_files = sdk_xrealloc(a->env_files, (a->n_env_files + 1) * sizeof *a->env_files);
            a->env_files[a->n_env_files++] = val;
        } else if (!strcmp(s, "-o") || !strcmp(s, "--option")) {
            if (add_option(a, val, err)) return SDK_EINVAL;
        } else if (!strcmp(s, "--validate")) a->validate = true;
        else if (!strcmp(s, "--uninstall")) a->uninstall = true;
        else if (!strcmp(s, "--scenario")) a->scenario = val;
        else if (!strcmp(s, "--master")) a->master = val;
        else if (!strcmp(s, "--state")) a->state = val;
        else if (!strcmp(s, "--workdir")) a->workdir = val;
        else if (!strcmp(s, "--api")) a->api = val;
        else if (!strcmp(s, "--api-token")) a->api_token_file = val;
        else if (!strcmp(s, "--agents")) {
            char *end = NULL;
            long n = strtol(val, &end, 10);
            if (!*val || *end || n < 1 || n > 1000) {
                *err = sdk_asprintf_new("--agents %s: expected a number from 1 to 1000", val);
                return SDK_EINVAL;
            }
            a->agents = (int)n;
        }
        else if (!strcmp(s, "--max-pods")) {
            char *end = NULL;
            long long n = strtoll(val, &end, 10);
            if (!*val || *end || n < 1 || n > INT32_MAX) {
                *err = sdk_asprintf_new("--max-pods %s: expected a number from 1 to %d", val, INT32_MAX);
                return SDK_EINVAL;
            }
            a->max_pods = n;
        }
        else if (!strcmp(s, "--lenient-render")) a->lenient = true;
        else if (!strcmp(s, "-h") || !strcmp(s, "--help")) a->help = true;
        else if (!strcmp(s, "--version")) a->version = true;
        else if (!strcmp(s, "state") && !a->state_cmd) {
            /* Operator commands: "state dump" and "state restore FILE". */
            const char *w = i + 1 < argc ? argv[i + 1] : "";
            if (!strcmp(w, "dump")) {
                a->state_cmd = "dump";
                i++;
            } else if (!strcmp(w, "restore") && i + 2 < argc) {
                a->state_cmd = "restore";
                a->state_file = argv[i + 2];
                i += 2;
            } else {
                *err = sdk_xstrdup("state: expected 'state dump' or 'state restore FILE' (see --help)");
                return SDK_EINVAL;
            }
        }
        else {
            *err = sdk_asprintf_new("unknown argument '%s' (see --help)", argv[i]);
            return SDK_EINVAL;
        }
    }
    /* A scenario names its service itself (`plugin [PATH]` or `spec SVC.YML [ENV]`); a --spec
     * given with it would be silently unused. */
    if (a->scenario && a->spec && !a->help) {
        *err = sdk_xstrdup("--spec is not used with --scenario: name the spec inside the scenario "
                           "('spec SVC.YML [ENV]' as its first line, see docs/scenarios.md)");
        return SDK_EINVAL;
    }
    if (!a->help && !a->version && !a->state_cmd && !a->scenario && !a->plugin && !a->spec) {
        *err = sdk_xstrdup("--plugin PATH is required (for example: --plugin plugins/hello/hello.so), "
                           "or --spec FILE to run a plain svc.yml without a plugin");
        return SDK_EINVAL;
    }
    if (a->plugin && !a->help && !a->version) {
        sdk_errors errs;
        sdk_errors_init(&errs);
        int rc = sdk_plugin_resolve_new(a->plugin, NULL, &a->plugin_resolved, &errs);
        if (rc) *err = sdk_xstrdup(errs.msgs[0]);
        else a->plugin = a->plugin_resolved;
        sdk_errors_free(&errs);
        if (rc) return rc;
    }
    return 0;
}

void sdk_args_free(sdk_args *a) {
    free(a->plugin_resolved);
    for (size_t i = 0; i < a->n_options; i++) {
        free(a->options[i].key);
        free(a->options[i].value);
    }
    free(a->options);
    free(a->env_files);
    memset(a, 0, sizeof *a);
}
