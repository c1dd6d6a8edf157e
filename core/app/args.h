/* Command line of the `scheduler` program. Parsing never exits the process: it fills
 * sdk_args or an error message, and main() decides what to print. */
#ifndef SDK_APP_ARGS_H
#define SDK_APP_ARGS_H
#include <stdbool.h>
#include <stddef.h>
#include "core/spec/spec.h"

typedef struct sdk_args {
    const char *plugin;      /* --plugin PATH or NAME, resolved to a file (core/plugin/resolve.h) */
    char *plugin_resolved;   /* owned: the file a plugin NAME resolved to (a->plugin points at it) */
    const char *spec;        /* --spec FILE: a svc.yml template used instead of the plugin's */
    const char **env_files;  /* --env-file FILE (repeatable): KEY=VALUE lines */
    size_t n_env_files;
    sdk_kv *options;         /* -o KEY=VALUE (repeatable), borrowed from argv + owned copies */
    size_t n_options;
    bool validate;           /* --validate: render, parse, validate, print a summary, exit */
    const char *scenario;    /* --scenario FILE: run a simulation scenario against the plugin */
    bool lenient;            /* --lenient-render: missing template variables render empty */
    const char *master;      /* --master URL: http://host:port or zk://...; NULL: the local cluster */
    const char *state;       /* --state URL: file:DIR or memory: (default file:<workdir>/state) */
    const char *workdir;     /* --workdir DIR (default ./sdk-work) */
    const char *api;         /* --api ADDR:PORT (default 127.0.0.1:8080) */
    const char *api_token_file;  /* --api-token FILE: bearer token required on every request */
    const char *api_tls_cert;    /* --api-tls CERT KEY: serve HTTPS with these PEM files */
    const char *api_tls_key;
    int agents;              /* --agents N for the local cluster (default 3) */
    int64_t max_pods;        /* --max-pods N: pod instances per type and in total (0: default) */
    bool uninstall;          /* --uninstall: kill everything, release everything, wipe the state */
    bool help, version;
    const char *state_cmd;   /* positional "state dump" / "state restore FILE": "dump" or "restore" */
    const char *state_file;  /* the FILE of "state restore FILE" */
} sdk_args;

/* Parses argv and resolves a plugin NAME to its file. Returns 0, or SDK_EINVAL (bad argument) or
 * SDK_ENOENT (no plugin of that name) with a message in *err (new string). */
int sdk_args_parse(int argc, char **argv, sdk_args *out, char **err);
void sdk_args_free(sdk_args *a);
/* The --help text. */
void sdk_args_print_help(const char *prog);
#endif
