/* Command line of the `scheduler` program. Parsing never exits the process: it fills
 * sdk_args or an error message, and main() decides what to print.
 *
 * Every flag is one row of the table in args.c (flag, environment variable, value, field, help);
 * a new flag is a new field here and a new row there. */
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
    const char *print_taskinfo; /* --print-taskinfo POD-INDEX-TASK: as --validate, then print the
                                 * TaskInfo/ExecutorInfo that would be sent, exit */
    const char *scenario;    /* --scenario FILE: run a simulation scenario against the plugin */
    bool lenient;            /* --lenient-render: missing template variables render empty */
    const char *options_schema; /* --options-schema FILE: package options (config.json style) */
    const char *master;      /* --master URL: http://host:port or zk://...; NULL: the local cluster */
    const char *state;       /* --state URL: file:DIR or memory: (default file:<workdir>/state) */
    const char *workdir;     /* --workdir DIR (default ./sdk-work) */
    const char *api;         /* --api ADDR:PORT (default 127.0.0.1:8080) */
    const char *api_token_file;  /* --api-token FILE: bearer token required on every request */
    const char *api_tls_cert;    /* --api-tls CERT KEY: serve HTTPS with these PEM files */
    const char *api_tls_key;
    bool insecure_api;       /* --insecure-api: serve a non-loopback --api without a token */
    const char **api_hosts;  /* --api-host NAME (repeatable): names accepted in Host/Origin */
    size_t n_api_hosts;
    int agents;              /* --agents N for the local cluster (default 3) */
    /* Passed to the local cluster when the scheduler starts it (docs/localcluster.md). */
    const char *secrets_dir;         /* --secrets-dir DIR */
    bool ignore_images, ignore_networks, ignore_uris; /* --ignore-images, --ignore-networks, --ignore-uris */
    const char **agent_resources;    /* --agent-resources SPEC (repeatable), borrowed from argv */
    size_t n_agent_resources;
    int64_t max_pods;        /* --max-pods N: pod instances per type and in total (0: default) */
    bool uninstall;          /* --uninstall: kill everything, release everything, wipe the state */
    int state_retries;       /* --state-retries N: recoveries of a failing state store before
                              * exiting (default SDK_ARGS_STATE_RETRIES; 0 = exit at once) */
    bool state_retries_set;
    bool reset_state;        /* --reset-state: start fresh although the state says it existed */
    int zk_session_s;        /* --zk-session-timeout S: ZooKeeper session of a zk:// state (0 = 10) */
    bool help, version;
    const char *state_cmd;   /* positional "state dump" / "state restore FILE": "dump" or "restore" */
    const char *state_file;  /* the FILE of "state restore FILE" */
} sdk_args;

#define SDK_ARGS_STATE_RETRIES 6

/* SDK_LOG when the variable is unset or empty: the terminal shows the --validate summary or the
 * deploy progress, so the log keeps to warnings. --help prints this. */
#define SDK_ARGS_DEFAULT_LOG "warn"

/* Parses argv, then the environment variables of the flags argv did not give (the flag wins),
 * and checks SDK_LOG. Values are borrowed from argv and the environment (do not change either
 * while *out is used), and resolves a plugin NAME to its file. Returns 0, or SDK_EINVAL with a
 * message naming the flag or variable in *err (new string), or SDK_ENOENT when no plugin of
 * that name exists (the message lists where it looked). */
int sdk_args_parse(int argc, char **argv, sdk_args *out, char **err);
void sdk_args_free(sdk_args *a);
/* The --help text, on stdout. */
void sdk_args_print_help(const char *prog);
/* Sets the log level from SDK_LOG, or SDK_ARGS_DEFAULT_LOG when it is unset or empty. */
void sdk_args_apply_log_level(void);
#endif
