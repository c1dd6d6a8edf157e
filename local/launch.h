/* Task process launcher of the local cluster: what a Mesos agent's containerizer does between
 * "launch this TaskInfo" and the task's exec (the fetcher, the posix/rlimits, volume/secret and
 * volume/host_path isolators, mesos-containerizer launch), reduced to what one unprivileged
 * process on one host can do. The parent side (local/container.c) turns a TaskInfo into an
 * lc_launch_spec; lc_launch forks a supervisor that carries it out.
 *
 * The supervisor: session and process group leader (pgid = its pid, the pid the agent code
 * keeps), child subreaper, parent-death signal. It writes the SECRET files, makes the host-path
 * links, fetches the URIs, forks the command (which sets its rlimits and execs), waits for it and
 * exits the way the command did (same exit code, or the same signal). If the local cluster dies
 * (even by SIGKILL) the parent-death signal wakes it and it kills the whole process group and
 * every orphan reparented to it: nothing of the task outlives the local cluster. Signals sent to
 * the group (kills) reach the command directly; the supervisor only dies of SIGKILL.
 *
 * Status pipe (status_fd >= 0): the supervisor writes "R <pid>\n" once the command (pid) has been exec'd,
 * or "E <message>\n" when the launch failed (fetch, setup, rlimit, exec) and then exits 1. */
#ifndef LC_LAUNCH_H
#define LC_LAUNCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct lc_rlimit {
    int resource;     /* RLIMIT_* */
    const char *name; /* RLMT_* (static string) */
    uint64_t soft, hard; /* RLIM_INFINITY for unlimited */
} lc_rlimit;

typedef struct lc_uri {
    char *value, *output_file; /* output_file NULL: the URI's basename */
    bool executable, extract;
} lc_uri;

typedef struct lc_file { /* written before the command starts, mode 0400 */
    char *path;
    uint8_t *data;
    size_t len;
} lc_file;

typedef struct lc_link { /* symlink link -> target, made before the command starts */
    char *target, *link;
} lc_link;

typedef struct lc_launch_spec {
    char *path;  /* executable */
    char **argv; /* NULL-terminated, owned */
    char **env;  /* NULL-terminated, owned */
    char *sandbox, *out, *err; /* working directory; stdout/stderr files (or /dev/null) */
    lc_rlimit *rlimits;
    size_t n_rlimits;
    lc_uri *uris;
    size_t n_uris;
    lc_file *files;
    size_t n_files;
    lc_link *links;
    size_t n_links;
} lc_launch_spec;

void lc_launch_spec_free(lc_launch_spec *s);

/* Forks the supervisor for s. Returns its pid (> 0; also the process group and session id)
 * and a pidfd for it, or -1. status_fd: write end of the status pipe, or -1 for none (checks);
 * the caller closes its copy. */
pid_t lc_launch(const lc_launch_spec *s, int status_fd, int *pidfd);
#endif
