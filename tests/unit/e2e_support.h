/* Support for end-to-end tests: real bin/scheduler and bin/localcluster processes on 127.0.0.1,
 * driven and inspected over HTTP. Linked into every test binary (tests/unit/ files not named
 * test_*), so it stays small. Binaries come from $SDK_BIN_DIR (default "bin"). */
#ifndef SDK_TESTS_E2E_SUPPORT_H
#define SDK_TESTS_E2E_SUPPORT_H
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct e2e_world {
    char dir[64];        /* temporary directory for everything of this test */
    unsigned api;        /* the scheduler's REST port */
    char api_url[64];
    pid_t sched;
    bool relative;       /* start the scheduler in DIR with "--workdir sched" (relative), as a user would */
} e2e_world;

const char *e2e_bin_dir(void);
unsigned e2e_free_port(void);
double e2e_now(void);
/* HTTP: returns the status (0 when unreachable); *body (may be NULL) gets the body (free()). */
long e2e_http(const char *method, const char *url, const char *body, char **resp);
json_t *e2e_get_json(const char *url, long *code);
/* Starts argv with stdout+stderr appended to log. */
pid_t e2e_spawn(char *const argv[], const char *log);
/* The same, in directory cwd (NULL: ours). */
pid_t e2e_spawn_in(char *const argv[], const char *log, const char *cwd);
/* Signals pid and waits up to 15 s, then SIGKILLs it. */
void e2e_stop(pid_t pid, int sig);

void e2e_world_init(e2e_world *w);
/* Starts bin/scheduler --plugin PLUGIN --workdir DIR/sched --api ... [--master M] [extra args]. */
void e2e_start_scheduler(e2e_world *w, const char *plugin, const char *master, const char *const *extra);
/* GET /v1/plans/<plan> until 200; prints the logs on a timeout. */
bool e2e_wait_plan_complete(e2e_world *w, const char *plan, double timeout_s);
/* Status of a step of a plan, or NULL (free()). */
char *e2e_step_status(e2e_world *w, const char *plan, const char *step);
/* Current TaskID of a task (GET /v1/pod/<pod>/info), or NULL (free()). */
char *e2e_task_id(e2e_world *w, const char *pod, const char *task);
char *e2e_framework_id(e2e_world *w);
/* GET /localcluster/state of the cluster the scheduler started (DIR/sched/cluster/port). */
json_t *e2e_cluster_state(e2e_world *w);
/* Prints the end of DIR/<name> to stderr (diagnostics). */
void e2e_show_log(const e2e_world *w, const char *name);
/* Stops the scheduler, kills a cluster it left running, removes DIR. */
void e2e_cleanup(e2e_world *w);
/* Output of a shell command (free()). */
char *e2e_sh(const char *cmd);
/* The same, returning the command's exit status (-1 when it did not exit normally); the output
 * goes to *out (free it), or nowhere when out is NULL. */
int e2e_sh_status(const char *cmd, char **out);
#endif
