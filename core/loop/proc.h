/* Asynchronous child processes on the event loop.
 *
 * A runner starts commands (fork + execve) and watches them on its loop: stdout and stderr are
 * read from non-blocking pipes (each capped; the excess is read and dropped so the child never
 * stalls, and the result says it was truncated), the exit is noticed through a pidfd
 * (pidfd_open, Linux >= 5.3) and reaped with a non-blocking waitpid once the pidfd is readable.
 * A timeout sends SIGTERM to the command's process group, then SIGKILL after a grace period.
 * Nothing here blocks the loop, except sdk_proc_runner_free, which waits at most about a second
 * per still-running command for it to die after SIGKILL.
 *
 * Each command runs in its own process group (its pid), with stdin from /dev/null, every
 * signal at its default disposition, an empty signal mask and no inherited fd other than 0-2.
 *
 * Reaping: the runner reaps only its own children, by pid. Code elsewhere in the process must
 * not reap every child (waitpid(-1), SIGCHLD set to SIG_IGN), or exits are reported as
 * "killed by a signal" with no status.
 *
 * Threading: loop thread only, like the loop itself. Callbacks run on the loop thread.
 */
#ifndef SDK_LOOP_PROC_H
#define SDK_LOOP_PROC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/loop/loop.h"

#define SDK_PROC_DEFAULT_MAX_OUTPUT ((size_t)1 << 20) /* per stream */
#define SDK_PROC_DEFAULT_KILL_GRACE_MS 2000

typedef struct sdk_proc_runner sdk_proc_runner;

/* A command to run. Borrowed for the duration of sdk_proc_start only (everything is copied). */
typedef struct sdk_proc_options {
    const char *const *argv;  /* NULL-terminated, argv[0] non-empty; without a '/' it is looked
                                 up in PATH (the PATH of env if env sets one, else the runner's) */
    const char *const *env;   /* NULL-terminated "KEY=VALUE" list; NULL = the process environment */
    const char *cwd;          /* NULL = the process's working directory */
    uint64_t timeout_ms;      /* 0 = none; on expiry SIGTERM to the group, timed_out = true */
    uint64_t kill_grace_ms;   /* SIGTERM -> SIGKILL delay; 0 = SDK_PROC_DEFAULT_KILL_GRACE_MS */
    size_t max_output;        /* bytes kept per stream; 0 = SDK_PROC_DEFAULT_MAX_OUTPUT */
} sdk_proc_options;

/* Outcome of a command. Borrowed: valid only during the completion callback. */
typedef struct sdk_proc_result {
    uint64_t id;              /* as returned by sdk_proc_start */
    bool started;             /* false: never ran (err says "could not start: ...") */
    int exit_code;            /* exit status 0..255; -1 when killed by a signal or not started */
    int term_signal;          /* the killing signal, 0 when it exited normally */
    bool timed_out;           /* killed because timeout_ms expired */
    const char *out;          /* stdout, NUL-terminated (out_len excludes the NUL) */
    size_t out_len;
    bool out_truncated;       /* stdout was longer than max_output; the rest was dropped */
    const char *err;          /* stderr, likewise */
    size_t err_len;
    bool err_truncated;
    uint64_t elapsed_ms;      /* from start to completion */
} sdk_proc_result;

/* Runs exactly once per started command unless it was cancelled first. The runner forgets the
 * command before calling it, so inside the callback the id is already unknown (cancel gives
 * SDK_ENOENT); starting new commands from the callback is fine. */
typedef void (*sdk_proc_done_fn)(void *ud, const sdk_proc_result *res);

/* Creates a runner on loop l (borrowed: it must outlive the runner). Returns 0. */
int sdk_proc_runner_new(sdk_loop *l, sdk_proc_runner **out);
/* Kills every running command's process group with SIGKILL, reaps it (waiting at most about a
 * second each), and frees the runner. Callbacks of those commands are never called. Must not be
 * called from a completion callback of this runner. NULL is a no-op. */
void sdk_proc_runner_free(sdk_proc_runner *r);

/* Starts a command. Returns 0 with *id (> 0, never reused by this runner) set; fn(ud, result)
 * then runs on a later loop iteration, also when the command cannot start (not found in PATH,
 * not executable, bad cwd: result.started = false, exit_code -1, err names the reason).
 * Returns SDK_EINVAL for bad options (NULL/empty argv, NULL fn) and SDK_EIO when pipes, fork
 * or pidfd_open fail (nothing is left running); fn is then never called. */
int sdk_proc_start(sdk_proc_runner *r, const sdk_proc_options *o, sdk_proc_done_fn fn, void *ud,
                   uint64_t *id);
/* Cancels a command: its process group gets SIGKILL, its callback will not run, the runner
 * reaps it in the background. Returns 0, or SDK_ENOENT if id is unknown or already completed. */
int sdk_proc_cancel(sdk_proc_runner *r, uint64_t id);
/* Commands started and not yet completed or cancelled. */
size_t sdk_proc_running(const sdk_proc_runner *r);
/* Pid of a running command (its process group id too), or -1 if id is not running. For tests
 * and diagnostics. */
int sdk_proc_pid(const sdk_proc_runner *r, uint64_t id);
#endif
