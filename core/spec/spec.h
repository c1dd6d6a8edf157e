/* The service spec model: what a rendered and parsed svc.yml means (sdk-behaviour.md §1).
 *
 * Ownership: an sdk_spec owns every string and array reachable from it; sdk_spec_free()
 * releases all of it. Arrays are (pointer, count) pairs. Optional strings are NULL when
 * absent. Numbers that YAML leaves out are 0 unless a field's comment says otherwise.
 * Order of pods, tasks, resource sets, plans, phases is the YAML order (it drives the
 * default deploy order), and sdk_spec_equal() is order-sensitive where YAML order matters.
 *
 * Produced by spec_parse.c (YAML -> model, structural checks), consumed by plans, offer
 * evaluation, config validation and the plugin host API. Serialised to JSON for storage
 * (Configurations/<uuid>) by spec_json.c; that JSON round-trips exactly.
 */
#ifndef SDK_SPEC_H
#define SDK_SPEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util/err.h"

typedef enum { SDK_GOAL_RUNNING = 0, SDK_GOAL_FINISH, SDK_GOAL_ONCE } sdk_goal;
typedef enum { SDK_VOLUME_ROOT = 0, SDK_VOLUME_MOUNT } sdk_volume_type;
/* How a pod instance is (re)launched: fresh, relaunch in place, or replace elsewhere. Shared by
 * plans and offer evaluation. */
typedef enum { SDK_RECOVERY_NONE = 0, SDK_RECOVERY_TRANSIENT, SDK_RECOVERY_PERMANENT } sdk_recovery_type;
typedef enum { SDK_VIS_CLUSTER = 0, SDK_VIS_FRAMEWORK, SDK_VIS_EXTERNAL } sdk_visibility;
typedef enum {
    SDK_STRATEGY_SERIAL = 0,
    SDK_STRATEGY_PARALLEL,
    SDK_STRATEGY_SERIAL_CANARY,   /* "serial-canary" and its alias "canary" */
    SDK_STRATEGY_PARALLEL_CANARY,
    SDK_STRATEGY_DEPENDENCY,      /* generated (custom-steps parallel phases, uninstall) */
    SDK_STRATEGY_DEPENDENCY_CANARY,
} sdk_strategy;

typedef struct sdk_kv {
    char *key;
    char *value; /* never NULL: YAML null becomes "" */
} sdk_kv;

typedef struct sdk_volume_spec {
    char *path;            /* single segment [A-Za-z0-9][A-Za-z0-9_-]* */
    sdk_volume_type type;
    int64_t size_mb;       /* > 0 */
    char **profiles;       /* MOUNT only */
    size_t n_profiles;
} sdk_volume_spec;

typedef struct sdk_port_range {
    uint32_t begin, end;   /* inclusive; defaults 0 and 65535 */
} sdk_port_range;

typedef struct sdk_port_spec {
    char *name;            /* map key under ports: */
    uint32_t port;         /* 0 = dynamic */
    char *env_key;         /* NULL: no env var */
    bool advertise;        /* visibility EXTERNAL => listed by /v1/endpoints */
    char *vip_prefix;      /* NULL: no VIP; default = port name when vip: present */
    uint32_t vip_port;
    sdk_port_range *ranges;
    size_t n_ranges;
} sdk_port_spec;

/* Resource limit: a value or unlimited (+inf). has == false: no limit given. */
typedef struct sdk_limit {
    bool has;
    bool unlimited;
    double value;
} sdk_limit;

typedef struct sdk_resource_set {
    char *id;              /* set name, or "<task>-resource-set" for an implicit one */
    bool implicit;         /* built from a task's inline resources */
    double cpus;           /* 0 = not requested */
    double gpus;
    double memory_mb;
    sdk_limit cpus_limit, memory_limit;
    sdk_port_spec *ports;
    size_t n_ports;
    sdk_volume_spec *volumes;
    size_t n_volumes;
} sdk_resource_set;

/* Health check (health == true) or readiness check. present == false: no check. */
typedef struct sdk_check_spec {
    bool present;
    char *cmd;
    int64_t interval_s, timeout_s, delay_s;
    int64_t grace_period_s;            /* health only */
    int64_t max_consecutive_failures;  /* health only, >= 1 */
} sdk_check_spec;

typedef struct sdk_config_spec {
    char *name;
    char *template_path;   /* as written in YAML (relative to the YAML file's directory) */
    char *template_content;/* read at parse time; NULL if the parse was done without file access */
    char *dest;
} sdk_config_spec;

typedef struct sdk_task_spec {
    char *name;
    sdk_goal goal;
    char *cmd;
    bool essential;        /* default true */
    sdk_kv *env;           /* YAML order */
    size_t n_env;
    sdk_config_spec *configs;
    size_t n_configs;
    char *resource_set;    /* id of the set this task occupies (implicit sets included) */
    sdk_check_spec health_check;
    sdk_check_spec readiness_check;
    char *discovery_prefix;/* NULL: none */
    sdk_visibility discovery_visibility;
    sdk_kv *labels;
    size_t n_labels;
    int64_t kill_grace_period_s; /* 0..3600 */
    char *ipc_mode;        /* NULL, "PRIVATE", "SHARE_PARENT" */
    int64_t shm_size_mb;   /* 0 = unset */
    char **transport_encryption; /* names; (type kept in the parallel array) */
    char **transport_encryption_types; /* "TLS" | "KEYSTORE" */
    size_t n_transport_encryption;
} sdk_task_spec;

typedef struct sdk_rlimit_spec {
    char *name;            /* RLIMIT_NOFILE, ... */
    bool unlimited;        /* both soft and hard unset or -1 */
    int64_t soft, hard;
} sdk_rlimit_spec;

typedef struct sdk_host_volume_spec {
    char *host_path, *container_path;
    bool read_only;
} sdk_host_volume_spec;

typedef struct sdk_external_volume_spec {
    char *name;            /* map key */
    char *type;            /* "DOCKER" */
    char *container_path, *driver_name, *driver_options, *volume_name;
    bool read_only;
} sdk_external_volume_spec;

typedef struct sdk_secret_spec {
    char *name, *secret, *env_key, *file;
} sdk_secret_spec;

typedef struct sdk_network_spec {
    char *name;
    uint32_t *host_ports, *container_ports;
    size_t n_port_mappings;
    char *labels;          /* raw "k:v,k:v" */
} sdk_network_spec;

typedef struct sdk_pod_spec {
    char *type;            /* map key under pods: */
    int64_t count;
    bool allow_decommission;
    char *placement;       /* raw constraint string; NULL or "" or "[]" = none */
    char *image;           /* Docker image (refused by backends that cannot run it) */
    char *pre_reserved_role; /* "*" when not set */
    sdk_network_spec *networks;
    size_t n_networks;
    sdk_rlimit_spec *rlimits;
    size_t n_rlimits;
    char **uris;
    size_t n_uris;
    sdk_volume_spec *volumes;     /* pod-level (executor) volumes: `volume` and `volumes` */
    size_t n_volumes;
    sdk_host_volume_spec *host_volumes;
    size_t n_host_volumes;
    sdk_external_volume_spec *external_volumes;
    size_t n_external_volumes;
    sdk_secret_spec *secrets;
    size_t n_secrets;
    bool share_pid_namespace;
    bool seccomp_unconfined;
    char *seccomp_profile_name;
    char *ipc_mode;
    int64_t shm_size_mb;
    sdk_resource_set *resource_sets; /* declared sets first (YAML order), then implicit ones */
    size_t n_resource_sets;
    sdk_task_spec *tasks;
    size_t n_tasks;
} sdk_pod_spec;

/* One entry of a phase's `steps:` list: `<index>: [[a], [b, c]]` or `default: [...]`. */
typedef struct sdk_step_entry {
    int64_t index;         /* -1 = default */
    char ***steps;         /* steps[i] = NULL-terminated array of task names */
    size_t n_steps;
} sdk_step_entry;

typedef struct sdk_phase_spec {
    char *name;
    char *pod;             /* pod type */
    sdk_strategy strategy;
    bool has_steps;        /* false: one step per instance launching all tasks */
    sdk_step_entry *entries;
    size_t n_entries;
} sdk_phase_spec;

typedef struct sdk_plan_spec {
    char *name;
    sdk_strategy strategy; /* serial or parallel */
    sdk_phase_spec *phases;
    size_t n_phases;
} sdk_plan_spec;

typedef struct sdk_spec {
    char *name;
    char *web_url;
    char *principal;       /* default "<name>-principal" */
    char *zookeeper;       /* default "master.mesos:2181" */
    char *user;            /* default "root" */
    sdk_pod_spec *pods;
    size_t n_pods;
    sdk_plan_spec *plans;  /* empty: default deploy plan is generated by core/plan */
    size_t n_plans;
} sdk_spec;

/* ---- lifecycle and lookups (spec.c) ---- */
void sdk_spec_free(sdk_spec *s);           /* frees contents and s itself; NULL ok */
sdk_spec *sdk_spec_dup(const sdk_spec *s); /* deep copy */
bool sdk_spec_equal(const sdk_spec *a, const sdk_spec *b);
const sdk_pod_spec *sdk_spec_pod(const sdk_spec *s, const char *type);
const sdk_task_spec *sdk_pod_task(const sdk_pod_spec *p, const char *name);
const sdk_resource_set *sdk_pod_resource_set(const sdk_pod_spec *p, const char *id);
const sdk_plan_spec *sdk_spec_plan(const sdk_spec *s, const char *name);
const char *sdk_goal_name(sdk_goal g);           /* "RUNNING", "FINISH", "ONCE" */
const char *sdk_strategy_name(sdk_strategy s);   /* "serial", "parallel", "serial-canary", ... */

/* A service name made safe for ids (dcos-commons SchedulerUtils.withEscapedSlashes): leading '/'
 * dropped, other '/' -> "__". New string. */
char *sdk_name_escape_slashes_new(const char *name);
/* Splits "k:v,k:v" (task `labels`, network `labels`; dcos-commons YAMLToInternalMappers.
 * convertLabels): pairs split on ',', each on its first ':'. Returns 0 and a new array (free with
 * sdk_envfile_free; NULL for ""), or SDK_EINVAL with *out NULL and *err a new message naming the
 * first bad pair (no ':' or a repeated key). */
int sdk_labels_csv_split_new(const char *csv, sdk_kv **out, size_t *n, char **err);
/* Splits external volume `driver-options` "k=v;k=v" (dcos-commons PortworxVolumeSpec.Builder.
 * driverOptions): options split on ';' (empty ones skipped), each must be exactly key=value
 * with a non-empty value. Same contract as sdk_labels_csv_split_new. */
int sdk_driver_options_split_new(const char *s, sdk_kv **out, size_t *n, char **err);
/* Service role: "<escaped name>-role". New string. */
char *sdk_spec_role_new(const sdk_spec *s);
/* Pod role: service role, or "<pre-reserved-role>/<service role>" when pre-reserved. New string. */
char *sdk_pod_role_new(const sdk_spec *s, const sdk_pod_spec *p);

/* ---- parse (spec_parse.c) ---- */
/* Input limits of a svc.yml (README.md, "Limits"). Each keeps a hostile or mistaken spec from
 * wedging the scheduler (quadratic YAML, gigabytes per pod instance); a spec over a limit is
 * refused with file:line and the limit's name, and nothing is stored. */
#define SDK_SPEC_MAX_BYTES (4u * 1024u * 1024u)  /* rendered svc.yml, and a --spec file */
#define SDK_SPEC_MAX_DEPTH 64                     /* nested mappings/lists */
#define SDK_SPEC_MAX_NODES 1000000u               /* YAML nodes, aliases counted expanded */
#define SDK_SPEC_MAX_ANCHORS 1000u                /* &anchors */
#define SDK_SPEC_MAX_ALIASES 10000u               /* *aliases */
#define SDK_SPEC_DEFAULT_MAX_PODS 100000          /* pod instances, per pod type and in total */
/* The pod-instance limit in force (per pod type and summed over pod types). The scheduler sets
 * it once, from --max-pods, before anything is parsed; it applies to every later parse (start,
 * REST update, scenarios). n < 1 restores the default. */
void sdk_spec_set_max_pods(int64_t n);
int64_t sdk_spec_max_pods(void);
/* The checks on the text before it is YAML: at most SDK_SPEC_MAX_BYTES, and no NUL byte (C
 * strings would silently cut the spec there). True when it passes; false with one error naming
 * `file` (and the line and byte offset of a NUL). sdk_spec_parse applies it; so does reading a
 * --spec file, before rendering. */
bool sdk_spec_check_text(const char *text, size_t len, const char *file, sdk_errors *errs);

/* Parses rendered YAML text into a spec. `file` names the source in errors ("svc.yml:12:5:
 * pods.hello.tasks.server.goal: ..."); `dir` is where config templates are read from (NULL:
 * templates are not read and template_content stays NULL). On any error returns SDK_EINVAL,
 * appends every problem found to errs, and sets *out = NULL. */
int sdk_spec_parse(const char *yaml, size_t len, const char *file, const char *dir,
                   sdk_spec **out, sdk_errors *errs);
/* The same, with warnings (unknown keys directly inside a pod, which are ignored) appended to
 * `warnings` in the errors' form; NULL: they are logged (sdk_spec_parse). */
int sdk_spec_parse_warn(const char *yaml, size_t len, const char *file, const char *dir,
                        sdk_spec **out, sdk_errors *errs, sdk_errors *warnings);

/* ---- JSON (spec_json.c): stable serialisation used for stored configurations ---- */
char *sdk_spec_to_json_new(const sdk_spec *s);  /* compact JSON text */
int sdk_spec_from_json(const char *json, sdk_spec **out, sdk_errors *errs);

/* ---- validation (spec_validate.c) ---- */
/* Config validators of sdk-behaviour.md §5.3 between the stored target `old` (NULL on first
 * install) and the candidate `cand`. Each problem is appended to errs in the dcos-commons form
 * "Field: '<f>'; Transition: '<old>' => '<new>'; Message: '<m>'; Fatal: <bool>". *fatal is set
 * when any fatal rule failed. `deploy_completed`: the deploy plan completed at least once. */
void sdk_spec_validate_update(const sdk_spec *old, const sdk_spec *cand, bool deploy_completed,
                              sdk_errors *errs, bool *fatal);
/* Pod equivalence of §5.2: true when a change from a to b needs no restart. */
bool sdk_pod_equivalent(const sdk_pod_spec *a, const sdk_pod_spec *b);
#endif
