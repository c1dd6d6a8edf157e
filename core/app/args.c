/* The scheduler's command line as ONE table (ARGS below): each row names a flag, the environment
 * variable that may supply it, whether it takes a value, where the value goes and its --help
 * text. Parsing, the environment and --help all read that table, so adding a flag is one row.
 *
 * Precedence: a flag on the command line wins over its environment variable; an empty variable
 * counts as unset. Actions (--validate, --uninstall, ...) have no variable on purpose: a stale
 * variable in a shell must not turn a plain run into an uninstall. */
#include "core/app/args.h"
#include "core/plugin/resolve.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum {
    ARG_BOOL,   /* no value: sets a bool; from the environment 1/true/yes or 0/false/no */
    ARG_STR,    /* one value: a const char * (borrowed from argv or the environment) */
    ARG_INT,    /* one value: an int in [min, max] */
    ARG_I64,    /* one value: an int64_t in [min, max] */
    ARG_CUSTOM, /* set() does the work (repeatable flags, two-value flags) */
} arg_kind;

typedef struct arg_def {
    const char *flag;   /* "--master" */
    const char *alias;  /* another spelling ("-o"), or NULL */
    const char *env;    /* "SDK_MASTER", or NULL: command line only */
    const char *meta;   /* the value's name in --help ("URL"); NULL: the flag takes no value */
    arg_kind kind;
    size_t off;         /* offset of the field in sdk_args (all kinds but ARG_CUSTOM) */
    long long min, max; /* ARG_INT, ARG_I64 */
    /* ARG_CUSTOM: vals[0..nvals) from the command line (nvals 0 for a flag without value), or
     * the variable's text. Returns 0 or SDK_EINVAL with *err set. */
    int (*set)(sdk_args *a, const char *const *vals, char **err);
    int nvals;          /* values after the flag: 0, 1 or 2 */
    const char *section;
    const char *help;   /* lines after the first are indented under it */
} arg_def;

static int set_env_file(sdk_args *a, const char *const *v, char **err) {
    (void)err;
    a->env_files = sdk_xrealloc(a->env_files, (a->n_env_files + 1) * sizeof *a->env_files);
    a->env_files[a->n_env_files++] = v[0];
    return 0;
}

static int set_option(sdk_args *a, const char *const *v, char **err) {
    const char *kv = v[0], *eq = strchr(kv, '=');
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

static int set_agent_resources(sdk_args *a, const char *const *v, char **err) {
    (void)err;
    a->agent_resources = sdk_xrealloc(a->agent_resources, (a->n_agent_resources + 1) * sizeof *a->agent_resources);
    a->agent_resources[a->n_agent_resources++] = v[0];
    return 0;
}

/* 0 is a real value (exit at the first failure), so "given" is recorded beside it. */
static int set_state_retries(sdk_args *a, const char *const *v, char **err) {
    char *end = NULL;
    long n = strtol(v[0], &end, 10);
    if (!*v[0] || *end || n < 0 || n > 100) {
        *err = sdk_asprintf_new("--state-retries %s: expected a number from 0 to 100", v[0]);
        return SDK_EINVAL;
    }
    a->state_retries = (int)n;
    a->state_retries_set = true;
    return 0;
}

static int set_api_host(sdk_args *a, const char *const *v, char **err) {
    (void)err;
    a->api_hosts = sdk_xrealloc(a->api_hosts, (a->n_api_hosts + 2) * sizeof *a->api_hosts);
    a->api_hosts[a->n_api_hosts++] = v[0];
    a->api_hosts[a->n_api_hosts] = NULL; /* NULL-terminated for sdk_http_server_opts */
    return 0;
}

static int set_api_tls(sdk_args *a, const char *const *v, char **err) {
    (void)err;
    a->api_tls_cert = v[0];
    a->api_tls_key = v[1];
    return 0;
}

#define S_SERVICE "Service definition"
#define S_RUN "Running (without --validate or --scenario)"
#define S_ACTION "Actions"
/* Row shorthands: the kind and the sdk_args field it fills. */
#define BOOL(f) .kind = ARG_BOOL, .off = offsetof(sdk_args, f)
#define STR(f) .kind = ARG_STR, .off = offsetof(sdk_args, f)
#define INT(f, lo, hi) .kind = ARG_INT, .off = offsetof(sdk_args, f), .min = (lo), .max = (hi)
#define I64(f, lo, hi) .kind = ARG_I64, .off = offsetof(sdk_args, f), .min = (lo), .max = (hi)
#define CUSTOM(fn, n) .kind = ARG_CUSTOM, .set = (fn), .nvals = (n)

/* Every flag of the scheduler, in --help order. Adding one: a field in sdk_args (args.h) and a
 * row here, for example
 *   {"--insecure-api", NULL, "SDK_INSECURE_API", NULL, BOOL(insecure_api), .section = S_RUN,
 *    .help = "serve the REST API without a token on a non-loopback address"},
 *   {"--state-retries", NULL, "SDK_STATE_RETRIES", "N", INT(state_retries, 0, 100), .section = S_RUN,
 *    .help = "..."},
 * A flag that is repeated or takes two values uses CUSTOM(setter, nvals). Actions get no
 * variable (see the top of this file). tests/unit/test_args.c checks that flags, aliases and
 * variables are unique and that --help shows them all. */
static const arg_def ARGS[] = {
    {"--plugin", NULL, "SDK_PLUGIN", "PATH|NAME", STR(plugin), .section = S_SERVICE,
     .help = "the service plugin to load (required unless --spec is given): a .so\n"
             "file, or a name such as 'hello' looked up in this binary's\n"
             "PREFIX/lib/stateful-sdk/plugins/NAME.so, a source checkout's\n"
             "plugins/NAME/NAME.so, then under /usr/local and /usr"},
    {"--spec", NULL, "SDK_SPEC", "FILE", STR(spec), .section = S_SERVICE,
     .help = "a svc.yml template to use instead of the plugin's built-in one;\n"
             "config templates are read relative to FILE's directory"},
    {"--env-file", NULL, NULL, "FILE", CUSTOM(set_env_file, 1), .section = S_SERVICE,
     .help = "KEY=VALUE lines (as in dcos-commons .env files) used to render the\n"
             "template; may be repeated, later files win"},
    {"--option", "-o", NULL, "KEY=VALUE", CUSTOM(set_option, 1), .section = S_SERVICE,
     .help = "set one template variable (-o WORLD_COUNT=3) or package option\n"
             "(-o world.count=3); may be repeated; wins over the\n"
             "environment and --env-file. Precedence, lowest first: plugin\n"
             "option defaults < process environment < --env-file < -o"},
    {"--options-schema", NULL, "SDK_OPTIONS_SCHEMA", "FILE", STR(options_schema), .section = S_SERVICE,
     .help = "the package options of --spec FILE: a dcos-commons config.json\n"
             "(nested properties with type, default, description, minimum,\n"
             "maximum, enum; \"x-env\" names a leaf's template variable, else\n"
             "hello.count feeds HELLO_COUNT). With --plugin it replaces the\n"
             "plugin's own. --help with either lists the options"},
    {"--lenient-render", NULL, "SDK_LENIENT_RENDER", NULL, BOOL(lenient), .section = S_SERVICE,
     .help = "render missing template variables as empty text (dcos-commons'\n"
             "behaviour) instead of refusing with the list of missing variables"},
    {"--max-pods", NULL, "SDK_MAX_PODS", "N", I64(max_pods, 1, INT32_MAX), .section = S_SERVICE,
     .help = "refuse a spec with more than N pod instances of one pod type or\n"
             "in total (default 100000; see \"Limits\" in README.md)"},
    {"--master", NULL, "SDK_MASTER", "URL", STR(master), .section = S_RUN,
     .help = "the Mesos master: http://HOST:PORT or zk://HOST:PORT,.../PATH.\n"
             "Without it the scheduler starts (or reuses) the embedded local\n"
             "cluster in WORKDIR/cluster and deploys there"},
    {"--workdir", NULL, "SDK_WORKDIR", "DIR", STR(workdir), .section = S_RUN,
     .help = "where the scheduler keeps its files (default ./sdk-work)"},
    {"--state", NULL, "SDK_STATE", "URL", STR(state), .section = S_RUN,
     .help = "where durable state lives: file:DIR (default file:WORKDIR/state),\n"
             "zk://[USER:PASS@]HOST:PORT[,HOST:PORT...]/PATH (ZooKeeper) or\n"
             "memory: (lost at exit; for experiments)"},
    {"--api", NULL, "SDK_API", "ADDR:PORT", STR(api), .section = S_RUN,
     .help = "the REST API address (default 127.0.0.1:8080; port 0 picks one)"},
    {"--api-token", NULL, "SDK_API_TOKEN", "FILE", STR(api_token_file), .section = S_RUN,
     .help = "require the token in FILE (first line) on every REST request, as\n"
             "'Authorization: Bearer TOKEN' (sdkctl --token); others get 401.\n"
             "The variable names the FILE too, so the token stays out of the\n"
             "process environment"},
    {"--api-tls", NULL, NULL, "CERT KEY", CUSTOM(set_api_tls, 2), .section = S_RUN,
     .help = "serve the REST API over HTTPS with these PEM files"},
    {"--insecure-api", NULL, "SDK_INSECURE_API", NULL, BOOL(insecure_api), .section = S_RUN,
     .help = "allow --api on a non-loopback address without --api-token\n"
             "(anyone reaching it may change the service; docs/security.md)"},
    {"--api-host", NULL, "SDK_API_HOST", "NAME", CUSTOM(set_api_host, 1), .section = S_RUN,
     .help = "a host name clients use to reach the REST API; requests naming\n"
             "another one in Host or Origin are refused (DNS rebinding,\n"
             "cross-site requests). Loopback names and IP addresses always\n"
             "work; may be repeated"},
    {"--agents", NULL, "SDK_AGENTS", "N", INT(agents, 1, 1000), .section = S_RUN,
     .help = "agents of the local cluster when it is started (default 3)"},
    {"--agent-resources", NULL, NULL, "SPEC", CUSTOM(set_agent_resources, 1), .section = S_RUN,
     .help = "resources of the local cluster's agents when it is started (repeatable;\n"
             "docs/localcluster.md: text or the Mesos JSON resource list, MOUNT disks)"},
    {"--secrets-dir", NULL, "SDK_SECRETS_DIR", "DIR", STR(secrets_dir), .section = S_RUN,
     .help = "the local cluster resolves secret 'a/b' as the file DIR/a/b"},
    {"--ignore-images", NULL, "SDK_IGNORE_IMAGES", NULL, BOOL(ignore_images), .section = S_RUN,
     .help = "the local cluster runs a task with a container image on the host\n"
             "(with a warning) instead of failing it"},
    {"--ignore-networks", NULL, "SDK_IGNORE_NETWORKS", NULL, BOOL(ignore_networks), .section = S_RUN,
     .help = "the local cluster runs a task on a named network on the host\n"
             "network (with a warning) instead of failing it"},
    {"--ignore-uris", NULL, "SDK_IGNORE_URIS", NULL, BOOL(ignore_uris), .section = S_RUN,
     .help = "the local cluster fetches no URI (offline use), with a warning"},
    {"--state-retries", NULL, "SDK_STATE_RETRIES", "N", CUSTOM(set_state_retries, 1), .section = S_RUN,
     .help = "when state writes fail (a full or failing disk), retry N times\n"
             "with backoff (1 s, 2 s, 4 s ... 16 s) while /v1/health reports\n"
             "it, then exit with code 5 for a supervisor (default 6)"},
    {"--zk-session-timeout", NULL, "SDK_ZK_SESSION_TIMEOUT", "S", INT(zk_session_s, 1, 60), .section = S_RUN,
     .help = "ZooKeeper session timeout of a zk:// --state, 1 to 60 s (default\n"
             "10); a lost connection is retried that long before exiting"},
    {"--reset-state", NULL, NULL, NULL, BOOL(reset_state), .section = S_RUN,
     .help = "start with empty state although the old state's traces remain\n"
             "(docs/faults.md): the old framework is abandoned and its\n"
             "volumes are destroyed as unclaimed when offered. Without it\n"
             "the scheduler refuses to start on a state that went missing"},
    {"--uninstall", NULL, NULL, NULL, BOOL(uninstall), .section = S_RUN,
     .help = "uninstall the service: kill every task, destroy every volume,\n"
             "release every reservation, wipe the state, remove the framework.\n"
             "Irreversible once started; if interrupted, run it again to finish"},
    {"--validate", NULL, NULL, NULL, BOOL(validate), .section = S_ACTION,
     .help = "render, parse and validate the service spec, print a summary of\n"
             "pods, tasks, resources and plans, and exit (0 valid, 1 invalid);\n"
             "writes nothing"},
    {"--print-taskinfo", NULL, NULL, "POD-INDEX-TASK", STR(print_taskinfo), .section = S_ACTION,
     .help = "validate as --validate, then print the TaskInfo and ExecutorInfo\n"
             "that would be sent to launch that task (e.g. hello-0-server) as\n"
             "Mesos JSON, ids as placeholders; writes nothing"},
    {"--scenario", NULL, NULL, "FILE", STR(scenario), .section = S_ACTION,
     .help = "run a simulation scenario (docs/scenarios.md) against the plugin on\n"
             "a simulated cluster and report every failed expectation; exit 0\n"
             "when all held"},
    {"--help", "-h", NULL, NULL, BOOL(help), .section = S_ACTION, .help = "this text"},
    {"--version", NULL, NULL, NULL, BOOL(version), .section = S_ACTION,
     .help = "print the release, git commit and plugin ABI version"},
};
#define N_ARGS (sizeof ARGS / sizeof ARGS[0])

/* Help lines written by hand: the positional commands (not flags) and variables without a flag. */
static const char HELP_STATE_CMDS[] =
    "  state dump           print the stored state (--state URL) as JSON on stdout; a\n"
    "                       zk:// store is read without taking its lock\n"
    "  state restore FILE   load a dump into an EMPTY store (--state URL)\n";

#define HELP_COL 23 /* help text starts in this column */

static void print_row(const arg_def *d) {
    char head[96];
    int n = snprintf(head, sizeof head, "  %s%s%s%s%s", d->alias ? d->alias : "", d->alias ? ", " : "", d->flag,
                     d->meta ? " " : "", d->meta ? d->meta : "");
    if (n + 1 > HELP_COL) printf("%s\n%*s", head, HELP_COL, "");
    else printf("%-*s", HELP_COL, head);
    for (const char *p = d->help; *p; p++) {
        putchar(*p);
        if (*p == '\n') printf("%*s", HELP_COL, "");
    }
    if (d->env) printf("\n%*s[env %s]", HELP_COL, "", d->env);
    putchar('\n');
}

void sdk_args_print_help(const char *prog) {
    printf("Usage: %s --plugin PATH|NAME [options]\n"
           "       %s --spec FILE [options]\n"
           "\n"
           "Runs one stateful service on Apache Mesos: the scheduler core plus the service plugin\n"
           "PATH (a shared object built against abi/sdk_plugin.h, e.g. plugins/hello/hello.so) or\n"
           "NAME (an installed plugin, e.g. hello).\n"
           "Flags marked [env VAR] may also come from that environment variable; the flag wins.\n",
           prog, prog);
    const char *section = NULL;
    for (size_t i = 0; i < N_ARGS; i++) {
        if (!section || strcmp(section, ARGS[i].section)) {
            section = ARGS[i].section;
            printf("\n%s:\n", section);
            if (!strcmp(section, S_ACTION)) fputs(HELP_STATE_CMDS, stdout);
        }
        print_row(&ARGS[i]);
    }
    printf("\nEnvironment (besides the [env VAR] of the flags above):\n"
           "  SDK_LOG=debug|info|warn|error   log level on stderr (default %s: the terminal shows\n"
           "                                  the summary or the deploy progress instead)\n",
           SDK_ARGS_DEFAULT_LOG);
}

/* Applies one value (from the command line when vals has the flag's values, else from the
 * environment variable's text). `src` names the source in errors ("--agents", "SDK_AGENTS"). */
static int apply(sdk_args *a, const arg_def *d, const char *src, const char *const *vals, bool from_env,
                 char **err) {
    char *field = (char *)a + d->off;
    const char *v = vals ? vals[0] : NULL;
    switch (d->kind) {
    case ARG_BOOL:
        if (!from_env) {
            *(bool *)field = true;
        } else if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
            *(bool *)field = true;
        } else if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no")) {
            *(bool *)field = false;
        } else {
            *err = sdk_asprintf_new("%s=%s: expected 1, true, yes, 0, false or no", src, v);
            return SDK_EINVAL;
        }
        return 0;
    case ARG_STR:
        *(const char **)field = v;
        return 0;
    case ARG_INT:
    case ARG_I64: {
        char *end = NULL;
        long long n = strtoll(v, &end, 10);
        if (!*v || *end || n < d->min || n > d->max) {
            *err = sdk_asprintf_new("%s%s%s: expected a number from %lld to %lld", src, from_env ? "=" : " ", v,
                                    d->min, d->max);
            return SDK_EINVAL;
        }
        if (d->kind == ARG_INT) *(int *)field = (int)n;
        else *(int64_t *)field = n;
        return 0;
    }
    case ARG_CUSTOM:
        if (from_env && d->nvals != 1) {
            *err = sdk_asprintf_new("%s: this flag cannot come from the environment", src);
            return SDK_EINVAL;
        }
        return d->set(a, vals, err);
    }
    return SDK_EINVAL;
}

/* SDK_LOG text -> level; false for anything else. */
static bool log_level_of(const char *v, sdk_log_level *out) {
    static const struct { const char *name; sdk_log_level level; } L[] = {
        {"debug", SDK_LOG_DEBUG}, {"info", SDK_LOG_INFO}, {"warn", SDK_LOG_WARN}, {"error", SDK_LOG_ERROR}};
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++)
        if (!strcmp(v, L[i].name)) {
            *out = L[i].level;
            return true;
        }
    return false;
}

static const arg_def *find_flag(const char *s) {
    for (size_t i = 0; i < N_ARGS; i++)
        if (!strcmp(s, ARGS[i].flag) || (ARGS[i].alias && !strcmp(s, ARGS[i].alias))) return &ARGS[i];
    return NULL;
}

int sdk_args_parse(int argc, char **argv, sdk_args *a, char **err) {
    memset(a, 0, sizeof *a);
    *err = NULL;
    bool given[N_ARGS] = {0};
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
        const arg_def *d = find_flag(s);
        if (!d && !strcmp(s, "state") && !a->state_cmd) {
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
            continue;
        }
        if (!d) {
            *err = sdk_asprintf_new("unknown argument '%s' (see --help)", argv[i]);
            return SDK_EINVAL;
        }
        int nvals = d->kind == ARG_CUSTOM ? d->nvals : d->meta ? 1 : 0;
        const char *vals[2] = {val, NULL};
        if (nvals == 2) {
            if (val || i + 2 >= argc) {
                *err = sdk_asprintf_new("%s needs two values: %s %s", s, d->flag, d->meta);
                return SDK_EINVAL;
            }
            vals[0] = argv[++i];
            vals[1] = argv[++i];
        } else if (nvals == 1 && !val) {
            if (i + 1 >= argc) {
                *err = sdk_asprintf_new("%s needs a value (see --help)", s);
                return SDK_EINVAL;
            }
            vals[0] = argv[++i];
        } else if (nvals == 0 && val) {
            *err = sdk_asprintf_new("%s takes no value", s);
            return SDK_EINVAL;
        }
        if (apply(a, d, s, vals, false, err)) return SDK_EINVAL;
        given[d - ARGS] = true;
    }
    for (size_t k = 0; k < N_ARGS; k++) {
        const char *v = ARGS[k].env && !given[k] ? getenv(ARGS[k].env) : NULL;
        if (!v || !*v) continue;
        const char *vals[2] = {v, NULL};
        if (apply(a, &ARGS[k], ARGS[k].env, vals, true, err)) return SDK_EINVAL;
    }
    const char *log = getenv("SDK_LOG");
    sdk_log_level level;
    if (!a->help && !a->version && log && *log && !log_level_of(log, &level)) {
        *err = sdk_asprintf_new("SDK_LOG=%s: expected debug, info, warn or error", log);
        return SDK_EINVAL;
    }
    /* A scenario names its service itself (`plugin [PATH]` or `spec SVC.YML [ENV]`); a --spec
     * given with it would be silently unused. */
    if (a->scenario && a->spec && !a->help && !a->version) {
        *err = sdk_xstrdup("--spec is not used with --scenario: name the spec inside the scenario "
                           "('spec SVC.YML [ENV]' as its first line, see docs/scenarios.md)");
        return SDK_EINVAL;
    }
    if (!a->help && !a->version && !a->state_cmd && !a->scenario && !a->plugin && !a->spec) {
        *err = sdk_xstrdup("--plugin PATH is required (for example: --plugin plugins/hello/hello.so), "
                           "or --spec FILE to run a plain svc.yml without a plugin");
        return SDK_EINVAL;
    }
    /* --help lists the plugin's options, so it resolves the name too, but a miss there is left
     * to the help text's own "cannot load" line rather than refusing the help. */
    if (a->plugin && !a->version) {
        sdk_errors errs;
        sdk_errors_init(&errs);
        int rc = sdk_plugin_resolve_new(a->plugin, NULL, &a->plugin_resolved, &errs);
        if (!rc) a->plugin = a->plugin_resolved;
        else if (!a->help) *err = sdk_xstrdup(errs.msgs[0]);
        sdk_errors_free(&errs);
        if (rc && !a->help) return rc;
    }
    return 0;
}

void sdk_args_apply_log_level(void) {
    const char *v = getenv("SDK_LOG");
    sdk_log_level l = SDK_LOG_WARN; /* only for the compiler: SDK_ARGS_DEFAULT_LOG is a known name */
    if (!v || !*v || !log_level_of(v, &l)) log_level_of(SDK_ARGS_DEFAULT_LOG, &l);
    sdk_log_set_level(l);
}

void sdk_args_free(sdk_args *a) {
    free(a->plugin_resolved);
    for (size_t i = 0; i < a->n_options; i++) {
        free(a->options[i].key);
        free(a->options[i].value);
    }
    free(a->options);
    free(a->env_files);
    free(a->agent_resources);
    free(a->api_hosts);
    memset(a, 0, sizeof *a);
}
