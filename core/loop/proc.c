#include "core/loop/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util/err.h"
#include "core/util/log.h"
#include "core/util/str.h"

extern char **environ;

/* What a child that failed before exec reports through its start pipe. */
enum { STAGE_CHDIR = 1, STAGE_EXEC = 2 };

typedef struct proc {
    sdk_proc_runner *r;
    struct proc *next;
    uint64_t id;
    pid_t pid;                 /* -1: never forked */
    int pidfd, outfd, errfd, startfd; /* -1 once closed */
    sdk_buf out, err;
    bool out_trunc, err_trunc;
    size_t max_output;
    uint64_t kill_grace_ms;
    uint64_t timeout_timer, kill_timer, fail_timer; /* 0 = none pending */
    bool timed_out;
    bool cancelled;            /* detached: reaped in the background, no callback */
    char *start_error;         /* "could not start: ..." */
    uint64_t started_ms;
    sdk_proc_done_fn fn;
    void *ud;
} proc;

struct sdk_proc_runner {
    sdk_loop *loop;
    proc *procs;
    uint64_t next_id;
};

int sdk_proc_runner_new(sdk_loop *l, sdk_proc_runner **out) {
    if (!l || !out) return SDK_EINVAL;
    sdk_proc_runner *r = sdk_xcalloc(1, sizeof *r);
    r->loop = l;
    r->next_id = 1;
    *out = r;
    return SDK_OK;
}

/* ---- small helpers ------------------------------------------------------------------------- */

static void close_fd(sdk_proc_runner *r, int *fd) {
    if (*fd < 0) return;
    sdk_loop_unwatch_fd(r->loop, *fd);
    close(*fd);
    *fd = -1;
}

static void cancel_timer(sdk_proc_runner *r, uint64_t *t) {
    if (*t) sdk_loop_timer_cancel(r->loop, *t);
    *t = 0;
}

static void unlink_proc(proc *p) {
    for (proc **pp = &p->r->procs; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

/* Releases everything p holds; p must already be unlinked or about to be. */
static void proc_release(proc *p) {
    sdk_proc_runner *r = p->r;
    close_fd(r, &p->outfd);
    close_fd(r, &p->errfd);
    close_fd(r, &p->startfd);
    close_fd(r, &p->pidfd);
    cancel_timer(r, &p->timeout_timer);
    cancel_timer(r, &p->kill_timer);
    cancel_timer(r, &p->fail_timer);
    sdk_buf_free(&p->out);
    sdk_buf_free(&p->err);
    free(p->start_error);
    free(p);
}

static void kill_group(proc *p, int sig) {
    if (p->pid <= 0) return;
    if (kill(-p->pid, sig) != 0 && errno == ESRCH) kill(p->pid, sig);
}

static proc *find_proc(const sdk_proc_runner *r, uint64_t id) {
    for (proc *p = r->procs; p; p = p->next)
        if (p->id == id && !p->cancelled) return p;
    return NULL;
}

/* Reads what is available on *fd into buf (keeping at most cap bytes, flagging the rest), at most
 * max_reads chunks. Closes *fd at EOF or on a read error. */
static void read_stream(sdk_proc_runner *r, int *fd, sdk_buf *buf, size_t cap, bool *trunc,
                        int max_reads) {
    char chunk[65536];
    for (int i = 0; i < max_reads && *fd >= 0; i++) {
        ssize_t n = read(*fd, chunk, sizeof chunk);
        if (n > 0) {
            size_t room = buf->len < cap ? cap - buf->len : 0;
            size_t keep = (size_t)n < room ? (size_t)n : room;
            if (keep) sdk_buf_append(buf, chunk, keep);
            if (keep < (size_t)n) *trunc = true;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        close_fd(r, fd);
    }
}

static void read_start_pipe(proc *p) {
    if (p->startfd < 0) return;
    int rep[2];
    ssize_t n;
    do n = read(p->startfd, rep, sizeof rep);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n == (ssize_t)sizeof rep && !p->start_error) {
        p->start_error = rep[0] == STAGE_CHDIR
            ? sdk_asprintf_new("could not start: cannot change to the working directory: %s",
                               strerror(rep[1]))
            : sdk_asprintf_new("could not start: exec failed: %s", strerror(rep[1]));
    }
    close_fd(p->r, &p->startfd);
}

/* ---- completion ---------------------------------------------------------------------------- */

/* Reports p's outcome (unless cancelled) and frees it. wstatus is valid when have_status. */
static void complete(proc *p, bool have_status, int wstatus) {
    sdk_proc_runner *r = p->r;
    unlink_proc(p);
    if (p->cancelled || !p->fn) {
        proc_release(p);
        return;
    }
    sdk_proc_result res = {
        .id = p->id,
        .started = p->pid > 0 && !p->start_error,
        .exit_code = -1,
        .timed_out = p->timed_out,
        .out_truncated = p->out_trunc,
        .err_truncated = p->err_trunc,
    };
    if (have_status && WIFEXITED(wstatus) && !p->start_error) {
        res.exit_code = WEXITSTATUS(wstatus);
    } else if (have_status && WIFSIGNALED(wstatus)) {
        res.term_signal = WTERMSIG(wstatus);
    }
    if (p->start_error) {
        sdk_buf_reset(&p->err);
        sdk_buf_puts(&p->err, p->start_error);
        p->err_trunc = res.err_truncated = false;
    }
    res.out = p->out.data ? p->out.data : "";
    res.out_len = p->out.len;
    res.err = p->err.data ? p->err.data : "";
    res.err_len = p->err.len;
    uint64_t now = sdk_loop_now_ms(r->loop);
    res.elapsed_ms = now >= p->started_ms ? now - p->started_ms : 0;
    /* Detach every watcher and timer first: the callback may start or cancel other commands. */
    sdk_proc_done_fn fn = p->fn;
    void *ud = p->ud;
    close_fd(r, &p->outfd);
    close_fd(r, &p->errfd);
    close_fd(r, &p->startfd);
    close_fd(r, &p->pidfd);
    cancel_timer(r, &p->timeout_timer);
    cancel_timer(r, &p->kill_timer);
    cancel_timer(r, &p->fail_timer);
    fn(ud, &res);
    proc_release(p);
}

static void on_pidfd(sdk_loop *l, int fd, int events, void *ud) {
    (void)l;
    (void)fd;
    (void)events;
    proc *p = ud;
    int wstatus = 0;
    /* The leader is a zombie until reaped, so its pid (= the group id) cannot be reused yet:
     * killing the group here is safe. Leftovers of a timed-out command die with it. */
    if (p->timed_out || p->cancelled) kill_group(p, SIGKILL);
    pid_t w;
    do w = waitpid(p->pid, &wstatus, WNOHANG);
    while (w < 0 && errno == EINTR);
    if (w == 0) return; /* not exited yet (spurious wake-up) */
    bool have_status = w == p->pid;
    if (!have_status)
        SDK_WARN("proc", "pid %d was reaped by someone else: its exit status is lost", (int)p->pid);
    if (!p->cancelled) {
        /* Everything the child wrote before exiting is in the pipes: take it (bounded, in case a
         * grandchild keeps writing). */
        read_start_pipe(p);
        read_stream(p->r, &p->outfd, &p->out, p->max_output, &p->out_trunc, 32);
        read_stream(p->r, &p->errfd, &p->err, p->max_output, &p->err_trunc, 32);
    }
    complete(p, have_status, wstatus);
}

static void on_out(sdk_loop *l, int fd, int events, void *ud) {
    (void)l;
    (void)fd;
    (void)events;
    proc *p = ud;
    read_stream(p->r, &p->outfd, &p->out, p->max_output, &p->out_trunc, 4);
}

static void on_err(sdk_loop *l, int fd, int events, void *ud) {
    (void)l;
    (void)fd;
    (void)events;
    proc *p = ud;
    read_stream(p->r, &p->errfd, &p->err, p->max_output, &p->err_trunc, 4);
}

static void on_start(sdk_loop *l, int fd, int events, void *ud) {
    (void)l;
    (void)fd;
    (void)events;
    read_start_pipe(ud);
}

static void on_kill_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)l;
    (void)id;
    proc *p = ud;
    p->kill_timer = 0;
    SDK_WARN("proc", "command %" PRIu64 " (pid %d) outlived SIGTERM by %" PRIu64 " ms: SIGKILL",
             p->id, (int)p->pid, p->kill_grace_ms);
    kill_group(p, SIGKILL);
}

static void on_timeout(sdk_loop *l, uint64_t id, void *ud) {
    (void)id;
    proc *p = ud;
    p->timeout_timer = 0;
    p->timed_out = true;
    kill_group(p, SIGTERM);
    sdk_loop_timer_add(l, p->kill_grace_ms, on_kill_timer, p, &p->kill_timer);
}

static void on_fail_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)l;
    (void)id;
    proc *p = ud;
    p->fail_timer = 0;
    complete(p, false, 0);
}

/* ---- starting ------------------------------------------------------------------------------ */

static const char *env_path(const char *const *env) {
    if (env) {
        for (const char *const *e = env; *e; e++)
            if (strncmp(*e, "PATH=", 5) == 0) return *e + 5;
        return "/usr/local/bin:/usr/bin:/bin";
    }
    const char *p = getenv("PATH");
    return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

/* Finds argv0 in PATH; *path_new is the file to execve (free()). False with *why_new when none. */
static bool resolve(const char *argv0, const char *const *env, char **path_new, char **why_new) {
    if (strchr(argv0, '/')) {
        *path_new = sdk_xstrdup(argv0);
        return true;
    }
    const char *path = env_path(env);
    bool denied = false;
    for (const char *s = path;;) {
        const char *e = strchr(s, ':');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char *cand = n ? sdk_asprintf_new("%.*s/%s", (int)n, s, argv0)
                       : sdk_asprintf_new("./%s", argv0);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(cand, X_OK) == 0) {
                *path_new = cand;
                return true;
            }
            denied = true;
        }
        free(cand);
        if (!e) break;
        s = e + 1;
    }
    *why_new = denied
        ? sdk_asprintf_new("could not start: '%s': permission denied (found in PATH but not "
                           "executable)", argv0)
        : sdk_asprintf_new("could not start: '%s': command not found in PATH (%s)", argv0, path);
    return false;
}

static void report_and_exit(int stage, int err) {
    int rep[2] = {stage, err};
    ssize_t n = write(3, rep, sizeof rep);
    (void)n;
    _exit(127);
}

/* In the child: only async-signal-safe calls from here to execve. */
static void child(const char *path, char *const *argv, char *const *envp, const char *cwd,
                  int devnull, int outw, int errw, int startw, int max_fd) {
    setpgid(0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP) sigaction(s, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (dup2(devnull, 0) < 0 || dup2(outw, 1) < 0 || dup2(errw, 2) < 0) _exit(127);
    if (startw != 3 && dup3(startw, 3, O_CLOEXEC) < 0) _exit(127);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 4u, ~0u, 0u) != 0)
#endif
        for (int fd = 4; fd < max_fd; fd++) close(fd);
    if (cwd && chdir(cwd) != 0) report_and_exit(STAGE_CHDIR, errno);
    execve(path, argv, envp);
    report_and_exit(STAGE_EXEC, errno);
}

static int set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static proc *proc_alloc(sdk_proc_runner *r, const sdk_proc_options *o, sdk_proc_done_fn fn,
                        void *ud) {
    proc *p = sdk_xcalloc(1, sizeof *p);
    p->r = r;
    p->id = r->next_id++;
    p->pid = -1;
    p->pidfd = p->outfd = p->errfd = p->startfd = -1;
    sdk_buf_init(&p->out);
    sdk_buf_init(&p->err);
    p->max_output = o->max_output ? o->max_output : SDK_PROC_DEFAULT_MAX_OUTPUT;
    p->kill_grace_ms = o->kill_grace_ms ? o->kill_grace_ms : SDK_PROC_DEFAULT_KILL_GRACE_MS;
    p->started_ms = sdk_loop_now_ms(r->loop);
    p->fn = fn;
    p->ud = ud;
    return p;
}

int sdk_proc_start(sdk_proc_runner *r, const sdk_proc_options *o, sdk_proc_done_fn fn, void *ud,
                   uint64_t *id) {
    if (id) *id = 0;
    if (!r || !o || !fn || !o->argv || !o->argv[0] || !*o->argv[0]) return SDK_EINVAL;

    char *path = NULL, *why = NULL;
    if (!resolve(o->argv[0], o->env, &path, &why)) {
        proc *p = proc_alloc(r, o, fn, ud);
        p->start_error = why;
        sdk_loop_timer_add(r->loop, 0, on_fail_timer, p, &p->fail_timer);
        p->next = r->procs;
        r->procs = p;
        if (id) *id = p->id;
        return SDK_OK;
    }

    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, startp[2] = {-1, -1}, devnull = -1;
    int rc = SDK_EIO;
    if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(startp, O_CLOEXEC)) {
        SDK_ERROR("proc", "cannot run '%s': pipe: %s", o->argv[0], strerror(errno));
        goto close_fds;
    }
    /* Only the parent's read ends are non-blocking: the write ends are separate open files, so
     * the child's stdout/stderr stay blocking. */
    if (set_nonblock(outp[0]) || set_nonblock(errp[0]) || set_nonblock(startp[0])) {
        SDK_ERROR("proc", "cannot run '%s': fcntl: %s", o->argv[0], strerror(errno));
        goto close_fds;
    }
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        SDK_ERROR("proc", "cannot run '%s': /dev/null: %s", o->argv[0], strerror(errno));
        goto close_fds;
    }
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
    char *const *envp = o->env ? (char *const *)o->env : environ;

    pid_t pid = fork();
    if (pid < 0) {
        SDK_ERROR("proc", "cannot run '%s': fork: %s", o->argv[0], strerror(errno));
        goto close_fds;
    }
    if (pid == 0)
        child(path, (char *const *)o->argv, envp, o->cwd, devnull, outp[1], errp[1], startp[1],
              (int)max_fd);
    /* Both sides set the group so it exists before either goes on (no race with a kill). */
    setpgid(pid, pid);
    close(outp[1]);
    close(errp[1]);
    close(startp[1]);
    close(devnull);
    outp[1] = errp[1] = startp[1] = devnull = -1;

    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0) {
        SDK_ERROR("proc", "cannot run '%s': pidfd_open: %s (Linux >= 5.3 is required)",
                  o->argv[0], strerror(errno));
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        goto close_fds;
    }
    proc *p = proc_alloc(r, o, fn, ud);
    p->pid = pid;
    p->pidfd = pidfd;
    p->outfd = outp[0];
    p->errfd = errp[0];
    p->startfd = startp[0];
    outp[0] = errp[0] = startp[0] = -1;
    if (sdk_loop_watch_fd(r->loop, p->outfd, SDK_LOOP_READ, on_out, p) ||
        sdk_loop_watch_fd(r->loop, p->errfd, SDK_LOOP_READ, on_err, p) ||
        sdk_loop_watch_fd(r->loop, p->startfd, SDK_LOOP_READ, on_start, p) ||
        sdk_loop_watch_fd(r->loop, p->pidfd, SDK_LOOP_READ, on_pidfd, p)) {
        SDK_ERROR("proc", "cannot run '%s': the loop refused its fds", o->argv[0]);
        kill_group(p, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        proc_release(p);
        goto close_fds;
    }
    if (o->timeout_ms) sdk_loop_timer_add(r->loop, o->timeout_ms, on_timeout, p, &p->timeout_timer);
    p->next = r->procs;
    r->procs = p;
    if (id) *id = p->id;
    rc = SDK_OK;

close_fds:
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0) close(outp[i]);
        if (errp[i] >= 0) close(errp[i]);
        if (startp[i] >= 0) close(startp[i]);
    }
    if (devnull >= 0) close(devnull);
    free(path);
    return rc;
}

int sdk_proc_cancel(sdk_proc_runner *r, uint64_t id) {
    if (!r) return SDK_EINVAL;
    proc *p = find_proc(r, id);
    if (!p) return SDK_ENOENT;
    p->cancelled = true;
    p->fn = NULL;
    cancel_timer(r, &p->timeout_timer);
    cancel_timer(r, &p->kill_timer);
    close_fd(r, &p->outfd);
    close_fd(r, &p->errfd);
    close_fd(r, &p->startfd);
    if (p->pid <= 0) { /* never forked: nothing to reap */
        unlink_proc(p);
        proc_release(p);
        return SDK_OK;
    }
    /* The pidfd stays watched so the zombie is reaped without blocking (on_pidfd). */
    kill_group(p, SIGKILL);
    return SDK_OK;
}

size_t sdk_proc_running(const sdk_proc_runner *r) {
    size_t n = 0;
    for (const proc *p = r ? r->procs : NULL; p; p = p->next) n += !p->cancelled;
    return n;
}

int sdk_proc_pid(const sdk_proc_runner *r, uint64_t id) {
    const proc *p = r ? find_proc(r, id) : NULL;
    return p && p->pid > 0 ? (int)p->pid : -1;
}

void sdk_proc_runner_free(sdk_proc_runner *r) {
    if (!r) return;
    while (r->procs) {
        proc *p = r->procs;
        r->procs = p->next;
        if (p->pid > 0) {
            kill_group(p, SIGKILL);
            if (p->pidfd >= 0) {
                struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
                while (poll(&pfd, 1, 1000) < 0 && errno == EINTR) {
                }
            }
            if (waitpid(p->pid, NULL, WNOHANG) == 0)
                SDK_WARN("proc", "pid %d did not die within 1 s of SIGKILL; left unreaped",
                         (int)p->pid);
        }
        proc_release(p);
    }
    free(r);
}
