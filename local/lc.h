/* Internal model of the local cluster: one master, N simulated agents, frameworks, offers,
 * executors and tasks. Everything lives on one loop thread; nothing here is thread-safe.
 *
 * Resource bookkeeping per agent (all without allocation_info, post-refinement format):
 *   total  = what the agent has after every RESERVE/UNRESERVE/CREATE/DESTROY so far
 *            (unreserved + static + dynamic reservations + volumes)
 *   used   = held by live tasks and executors
 *   free   = total - used - resources in outstanding offers
 * Dynamic reservations and volumes ("checkpointed") are the entries of total that carry a
 * DYNAMIC reservation or a persistence id; they are saved to <workdir>/state.json.
 *
 * Module map: master.c (HTTP endpoint, calls, frameworks, events, allocator, ACCEPT),
 * agent.c (executors, task processes, checks, status updates), container.c (TaskInfo ->
 * launch spec: env, secrets, volumes, rlimits, URIs, what is refused), launch.c (the task's
 * supervisor process), procs.c (records of task process groups; cleanup after a kill -9),
 * state.c (spec parsing, persistence), admin.c (/localcluster/ fault injection and state),
 * main.c (flags).
 */
#ifndef LC_LC_H
#define LC_LC_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/loop/loop.h"
#include "core/util/err.h"
#include "core/util/str.h"
#include "core/util/strmap.h"
#include "local/http.h"
#include "mesos/proto/mesos.pb-c.h"
#include "mesos/proto/scheduler.pb-c.h"
#include "mesos/resources.h"

/* --agents at most: agents are records in this one process (no thread, port or process each),
 * so the bound only keeps a typo from allocating millions; 2,000 idle simulated agents took 5.3 MB of RssAnon. */
#define LC_MAX_AGENTS 100000

typedef struct lc_cluster lc_cluster;
typedef struct lc_framework lc_framework;
typedef struct lc_task lc_task;

typedef struct lc_attr {
    char *name, *text; /* text value as given */
    bool is_scalar;
    double scalar;
} lc_attr;

typedef struct lc_executor lc_executor;

typedef struct lc_agent {
    lc_cluster *c;
    int idx;
    char *id, *hostname;
    sdk_resources total, used;
    /* total - used - outstanding offers, maintained by lc_agent_free_take/_give on every change
     * (so an allocation cycle costs O(free entries) per agent, not O(total x used)); recomputed
     * from scratch by lc_agent_free when !free_valid. */
    sdk_resources free;
    bool free_valid;
    lc_executor *executors; /* live (not exited) executors on this agent, via lc_executor.next */
    lc_attr *attrs;
    size_t n_attrs;
    char *zone, *region; /* from the zone/region attributes: Offer.domain */
    bool stopped, gone, draining, drain_mark_gone;
    struct lc_files_agent *files; /* its own HTTP port: /state, /files/... (files.c) */
    struct lc_offer *offers;      /* its outstanding offers, via lc_offer.anext */
    bool alloc_pending;           /* in c->alloc_agents: the next "soon" allocation looks at it */
} lc_agent;

typedef struct lc_offer {
    char *id;
    lc_framework *fw;
    lc_agent *agent;
    char *role;
    sdk_resources res; /* no allocation roles */
    struct lc_offer *next, *prev; /* c->offers, newest first */
    struct lc_offer *anext;       /* agent->offers */
} lc_offer;

typedef struct lc_filter {
    char *role;
    lc_agent *agent;
    uint64_t until_ms;
    sdk_resources res;
    struct lc_filter *next;
} lc_filter;

struct lc_framework {
    lc_cluster *c;
    char *id;
    Mesos__V1__FrameworkInfo *info; /* owned copy */
    char **roles;
    size_t n_roles;
    char **suppressed;
    size_t n_suppressed;
    bool multi_role, refinement, partition_aware, killing_state;
    lc_req *stream; /* NULL when disconnected */
    char stream_id[40];
    bool json;
    uint64_t failover_timer;
    /* Decline filters by agent index (NULL until the first): an allocation looks at the filters
     * of the agent it offers, not at every filter of the framework. */
    lc_filter **filters;
    struct lc_framework *next;
};

struct lc_executor {
    lc_cluster *c;
    char *id, *fw_id;
    lc_agent *agent;
    uint8_t *info_bytes; /* packed ExecutorInfo (for the "identical" check) */
    size_t info_len;
    sdk_resources res;
    char *sandbox, *container_id;
    int live_tasks; /* tasks not yet terminal: the executor exits at 0 */
    int refs;       /* task records pointing here (kept until acknowledged) */
    bool exited;
    struct lc_executor *next; /* in agent->executors while not exited */
};

typedef struct lc_update {
    Mesos__V1__TaskStatus *status; /* owned, uuid set */
    struct lc_update *next;
} lc_update;

typedef struct lc_check {
    struct lc_task *task;
    bool health; /* HealthCheck (true) or CheckInfo (false) */
    char *cmd;
    uint64_t delay_ms, interval_ms, timeout_ms, grace_ms;
    unsigned max_failures;
    uint64_t timer, timeout_timer;
    pid_t pid;
    int pidfd;
    unsigned failures;
    bool seen_success;
    int last_health; /* -1 unknown, 0 unhealthy, 1 healthy (as last reported) */
    bool has_result; /* check: a result exists */
    bool result_timed_out;
    int exit_code;
    uint64_t started_ms;
} lc_check;

struct lc_task {
    lc_cluster *c;
    char *id, *fw_id;
    lc_agent *agent;
    lc_executor *ex;
    Mesos__V1__TaskInfo *info; /* owned */
    sdk_resources res;
    char *role;
    unsigned group;
    int state;               /* latest state (Mesos__V1__TaskState) */
    int forwarded_state;     /* status_update_state, -1 = none yet */
    bool terminal_released;  /* resources given back */
    char *sandbox, *container_id;
    pid_t pid;   /* the task's supervisor (local/launch.h): its process group and session id */
    int pidfd;
    int status_fd;      /* read end of the supervisor's status pipe, -1 when closed */
    bool running_sent;  /* the supervisor reported the command started ("R") */
    pid_t cmd_pid;      /* the command's process (from "R"), 0 before */
    char *launch_error; /* the supervisor's "E" message: the launch failed */
    bool killing, health_killed, max_time_killed;
    int kill_reason; /* reason for the final update of a requested kill, -1 none */
    uint64_t kill_timer, max_timer;
    lc_check health, check;
    bool has_health, has_check;
    int healthy; /* -1 never reported */
    lc_update *updates, *updates_tail;
    uint64_t retry_timer, retry_ms;
    struct lc_task *next, *prev, *hnext; /* c->tasks (doubly linked), task_index bucket */
};

typedef struct lc_options {
    char *workdir;
    char *bind;
    char *hostname;
    int n_agents;
    char **agent_resources; /* per agent; the last one repeats */
    size_t n_agent_resources;
    char **agent_attributes;
    size_t n_agent_attributes;
    bool simulate;
    char *secrets_dir;    /* --secrets-dir, absolute (realpath), or NULL */
    bool ignore_images;   /* --ignore-images: run image tasks' commands on the host */
    bool ignore_networks; /* --ignore-networks: run tasks on named networks on the host network */
    bool ignore_uris;     /* --ignore-uris: fetch nothing (offline use), tasks run without their URIs */
    double heartbeat_s;
    uint64_t allocation_ms;
    uint64_t retry_ms; /* first status-update retry */
} lc_options;

struct lc_cluster {
    sdk_loop *loop;
    lc_http *http;
    lc_options opt;
    char master_id[40];
    uint16_t port;
    lc_agent **agents;
    size_t n_agents;
    lc_framework *frameworks;
    char **removed;
    size_t n_removed;
    lc_offer *offers;
    sdk_strmap offer_index; /* offer id -> lc_offer (keys borrowed from lc_offer.id) */
    lc_task *tasks;
    lc_task **task_index;
    size_t n_buckets, n_tasks;
    unsigned next_fw, next_offer, next_agent, next_group;
    uint64_t alloc_timer, hb_timer, alloc_soon;
    /* What the pending "soon" allocation looks at: every agent (alloc_all), or the agents whose
     * resources or offers changed since the last allocation (alloc_agents, each alloc_pending). */
    bool alloc_all;
    lc_agent **alloc_agents;
    size_t n_alloc_agents;
    /* Persistence (state.c): state.json is a snapshot of generation state_gen; state.log holds
     * one line per flush since, each the reservation/volume changes of that flush. */
    bool state_dirty;          /* memory is ahead of disk; the HTTP output gate is held */
    uint64_t state_timer;      /* the pending lc_state_flush */
    sdk_buf state_pending;     /* journal entries not yet written: JSON objects joined by ',' */
    unsigned long state_gen;   /* generation of the current snapshot */
    int state_log_fd;          /* state.log open for appending, or -1 */
    size_t state_log_bytes, state_snap_bytes;
    unsigned long state_writes, state_appends; /* statistics, logged at exit */
    unsigned long long state_bytes;
};

/* ---- master.c ---- */
int lc_cluster_start(lc_cluster *c, sdk_errors *errs);
void lc_cluster_stop(lc_cluster *c);
lc_framework *lc_framework_find(lc_cluster *c, const char *id);
/* Encodes ev for fw's stream and writes it as one chunk. Returns true if fw is connected. */
bool lc_send_event(lc_framework *fw, const Mesos__V1__Scheduler__Event *ev);
/* Sends an UPDATE built from status (borrowed). */
bool lc_send_status(lc_framework *fw, const Mesos__V1__TaskStatus *status);
void lc_send_failure(lc_cluster *c, const char *fw_id, const char *agent_id, const char *executor_id, int status);
/* Removes (and RESCINDs when send) every outstanding offer on agent a (NULL = all agents) of
 * fw (NULL = all frameworks). */
void lc_rescind_offers(lc_cluster *c, lc_agent *a, lc_framework *fw, bool send);
/* Requests an allocation cycle over every agent on the next loop iteration. */
void lc_allocate_soon(lc_cluster *c);
/* The same for one agent whose resources or offers changed: the cycle on the next loop iteration
 * looks at the agents so marked (the periodic one still looks at every agent). */
void lc_allocate_agent_soon(lc_cluster *c, lc_agent *a);
/* a->free -= rs / a->free += rs. Call with every change of a->total, a->used or the agent's
 * outstanding offers (an offer made takes, an offer removed gives back). A step that does not
 * apply cleanly marks a->free for recomputation instead of guessing. */
void lc_agent_free_take(lc_agent *a, const sdk_resources *rs);
void lc_agent_free_give(lc_agent *a, const sdk_resources *rs);
/* The agent's free resources (borrowed; valid until the next change). */
const sdk_resources *lc_agent_free(lc_agent *a);
/* Master-generated status (no uuid). New message; free with protobuf_c_message_free_unpacked. */
Mesos__V1__TaskStatus *lc_status_new(const char *task_id, int state, int source, int reason, const char *msg,
                                     const char *agent_id);
double lc_now_s(void);

/* ---- agent.c ---- */
lc_task *lc_task_find(lc_cluster *c, const char *fw_id, const char *task_id);
lc_executor *lc_executor_find(lc_cluster *c, const char *fw_id, const lc_agent *a, const char *ex_id);
/* Creates the executor (sandbox, charges res). Takes nothing; copies what it needs. */
lc_executor *lc_executor_new(lc_cluster *c, lc_framework *fw, lc_agent *a, const Mesos__V1__ExecutorInfo *ei,
                             const sdk_resources *res);
/* Starts a validated task: info is copied; res are its resources (no allocation roles). */
void lc_task_launch(lc_cluster *c, lc_framework *fw, lc_agent *a, lc_executor *ex,
                    const Mesos__V1__TaskInfo *info, const sdk_resources *res, const char *role, unsigned group);
/* Kill with grace (ms; <0 = task policy or 3 s). */
void lc_task_kill(lc_task *t, int64_t grace_ms, int reason);
/* Handles an ACK; returns true if it matched the head update. */
bool lc_task_ack(lc_task *t, const uint8_t *uuid);
/* Re-sends the head update of every task of fw (after a re-subscribe). */
void lc_resend_updates(lc_cluster *c, lc_framework *fw);
/* Forgets every task and executor of fw, killing processes (no updates). */
void lc_framework_drop_tasks(lc_cluster *c, const char *fw_id);
/* Agent loss: processes are killed; each task gets `state` with reason/source, uuid only if
 * agent_sourced. */
void lc_agent_tasks_lost(lc_agent *a, bool agent_sourced, int reason);
void lc_agent_kill_all(lc_agent *a, int64_t grace_ms, int reason);
void lc_agent_free_all(lc_cluster *c);
bool lc_state_is_terminal(int state);

/* The agent's endpoints (files.c): /state, /files/browse, /files/read on a port of its own.
 * start: 0 or the listener's error; port: 0 when not started; task_gone: a task record is
 * about to be freed (its sandbox stays listed under completed_executors for a while). */
int lc_files_agent_start(lc_agent *a, sdk_errors *errs);
void lc_files_agent_stop(lc_agent *a);
uint16_t lc_files_agent_port(const lc_agent *a);
void lc_files_task_gone(const lc_task *t);
/* Sends sig to the task's process group (fault injection). 0, or SDK_ESTATE when the task
 * has no process (simulated or already exited), SDK_EIO if kill(2) failed. */
int lc_task_signal(lc_task *t, int sig);

/* The IP a task of agent a sees as its container IP (MESOS_CONTAINER_IP, TaskStatus). */
const char *lc_agent_ip(const lc_agent *a);

/* ---- container.c ---- */
struct lc_launch_spec;
/* Fills s (see local/launch.h) to run cmd for task t in its sandbox, stdout to out_name in the
 * sandbox (NULL: /dev/null, stderr too). setup: the task itself (not a check): also the
 * container's rlimits, SECRET files, host-path links and URIs, after refusing what the local
 * cluster cannot run (images, named networks, Docker/CSI volumes). Returns 0, or -1 with *msg
 * (new string, names the TaskInfo field) for TASK_FAILED; s is then empty. */
int lc_container_spec(const lc_task *t, const Mesos__V1__CommandInfo *cmd, const char *out_name, bool setup,
                      struct lc_launch_spec *s, char **msg);

/* ---- procs.c ---- */
/* Records the supervisor pgid (started by this process) in <workdir>/procs, so that a later
 * local cluster can kill what survives a kill -9; lc_procs_remove once it is reaped. */
void lc_procs_add(lc_cluster *c, pid_t pgid);
void lc_procs_remove(lc_cluster *c, pid_t pgid);
/* At start: kills every process still in a recorded group/session of an earlier run on this
 * boot, forgets the records. Returns the number of processes killed. */
int lc_procs_cleanup(lc_cluster *c);

/* ---- state.c ---- */
/* Parses "cpus:4;mem:8192;ports:[1-2];cpus(role):2" into rs (static reservations for role != *). */
int lc_parse_resources(const char *spec, sdk_resources *rs, sdk_errors *errs);
int lc_parse_attributes(const char *spec, lc_attr **out, size_t *n, sdk_errors *errs);
void lc_attrs_free(lc_attr *a, size_t n);
/* Loads <workdir>/state.json into the already-built agents (ids, gone flags, checkpointed
 * resources). Missing file: 0. */
int lc_state_load(lc_cluster *c, sdk_errors *errs);
/* Writes state.json atomically (temp + fsync + rename), now. */
int lc_state_save(lc_cluster *c);
/* Records that the checkpointed resource r of agent a was removed (add = false) or added to
 * a->total; call for each, removals first, as a->total changes. Nothing is written yet: the
 * changes of one loop iteration go to disk together in one lc_state_flush, on the next
 * iteration, and until then the HTTP output gate is held (lc_http_hold): no event queued after a
 * change (status update, offer, ...) reaches a scheduler before the change is on disk. */
void lc_state_note(lc_cluster *c, const lc_agent *a, const sdk_resource *r, bool add);
/* Writes pending changes now (appended to state.log and fdatasynced, or a new snapshot when
 * the log outgrew the snapshot) and opens the gate; no-op when nothing is pending. */
void lc_state_flush(lc_cluster *c);
/* Flushes, then closes state.log (shutdown). */
void lc_state_close(lc_cluster *c);
/* <workdir>/volumes/roles/<role with '/' as ' '>/<id>. New string. */
char *lc_volume_path_new(const lc_cluster *c, const sdk_resource *v);
bool lc_is_checkpointed(const sdk_resource *r);
void lc_mkdirs(const char *path);
void lc_rmtree(const char *path);

/* ---- admin.c ---- */
void lc_admin_handle(lc_cluster *c, lc_req *req);
#endif
