/* The supervisor process of one task (contract in local/launch.h). Everything below lc_launch's
 * fork runs in the child: it may block (fetching, extracting), it never returns, and it reports
 * to the local cluster only through the status pipe and its exit status. */
#include "local/launch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util/str.h"
#include "local/lc.h"

void lc_launch_spec_free(lc_launch_spec *s) {
    if (!s) return;
    free(s->path);
    for (char **a = s->argv; a && *a; a++) free(*a);
    free(s->argv);
    for (char **e = s->env; e && *e; e++) free(*e);
    free(s->env);
    free(s->sandbox);
    free(s->out);
    free(s->err);
    free(s->rlimits);
    for (size_t i = 0; i < s->n_uris; i++) {
        free(s->uris[i].value);
        free(s->uris[i].output_file);
    }
    free(s->uris);
    for (size_t i = 0; i < s->n_files; i++) {
        free(s->files[i].path);
        free(s->files[i].data);
    }
    free(s->files);
    for (size_t i = 0; i < s->n_links; i++) {
        free(s->links[i].target);
        free(s->links[i].link);
    }
    free(s->links);
    memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ supervisor helpers */

typedef struct {
    char msg[1024];
} errbuf;

static int fail(errbuf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(errbuf *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* Sends "E <msg>" on the status pipe (one line: newlines become spaces) and exits 1. */
static void __attribute__((noreturn)) launch_failed(int status_fd, const char *msg) {
    fprintf(stderr, "localcluster: %s\n", msg);
    if (status_fd >= 0) {
        char line[1100];
        int n = snprintf(line, sizeof line, "E %s", msg);
        if (n < 0) n = 0;
        if ((size_t)n >= sizeof line - 1) n = (int)sizeof line - 2;
        for (int i = 2; i < n; i++)
            if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
        line[n++] = '\n';
        if (write(status_fd, line, (size_t)n) < 0) { /* nobody to tell */ }
    }
    _exit(1);
}

/* Runs argv (PATH lookup) with stdin from `in` and stdout to `out` (NULL: inherited), waits.
 * Signals are unblocked in the tool (the supervisor keeps them blocked). */
static int run_tool(char *const argv[], const char *in, const char *out, errbuf *e) {
    pid_t p = fork();
    if (p < 0) return fail(e, "cannot fork '%s': %s", argv[0], strerror(errno));
    if (p == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (in) {
            int fd = open(in, O_RDONLY);
            if (fd < 0 || dup2(fd, 0) < 0) _exit(126);
        }
        if (out) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || dup2(fd, 1) < 0) _exit(126);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127) return fail(e, "'%s' is not installed", argv[0]);
    return fail(e, "'%s' failed (%s %d)", argv[0], WIFEXITED(st) ? "exit status" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static int copy_file(const char *src, const char *dst, errbuf *e) {
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) return fail(e, "cannot open '%s': %s", src, strerror(errno));
    struct stat sb;
    if (fstat(in, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(in);
        return fail(e, "'%s' is a directory", src);
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return fail(e, "cannot create '%s': %s", dst, strerror(errno));
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                rc = fail(e, "cannot write '%s': %s", dst, strerror(errno));
                goto done;
            }
            off += w;
        }
    if (n < 0) rc = fail(e, "cannot read '%s': %s", src, strerror(errno));
done:
    close(in);
    if (close(out) != 0 && rc == 0) rc = fail(e, "cannot write '%s': %s", dst, strerror(errno));
    return rc;
}

static size_t curl_to_file(char *p, size_t sz, size_t n, void *ud) { return fwrite(p, sz, n, ud) * sz; }

/* Aborts a download once the local cluster (the supervisor's parent, pid in *ud) is gone. */
static int curl_parent_alive(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d) {
    (void)a, (void)b, (void)c, (void)d;
    return getppid() != *(const pid_t *)ud;
}

/* http(s)/ftp(s) through libcurl; success is HTTP 200 or FTP 226, as the Mesos fetcher
 * requires (apache/mesos src/launcher/fetcher.cpp, downloadWithNet). */
static int download(const char *uri, const char *dst, pid_t parent, errbuf *e) {
    FILE *f = fopen(dst, "wb");
    if (!f) return fail(e, "cannot create '%s': %s", dst, strerror(errno));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, uri);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curl_to_file);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, curl_parent_alive);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &parent);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    bool closed = fclose(f) == 0;
    if (rc != CURLE_OK) return fail(e, "%s", *cerr ? cerr : curl_easy_strerror(rc));
    bool ftp = sdk_str_starts(uri, "ftp://") || sdk_str_starts(uri, "ftps://");
    if (code != (ftp ? 226 : 200)) return fail(e, "received %s return code %ld", ftp ? "FTP" : "HTTP", code);
    if (!closed) return fail(e, "cannot write '%s'", dst);
    return 0;
}

/* The archives the Mesos fetcher extracts (fetcher.cpp, extract()): tar in every compression
 * (tar detects it), zip through `unzip`, and a bare .gz through `gunzip` into the name without
 * .gz. Returns 1 extracted, 0 not an archive, -1 failure. */
static int extract(const char *file, const char *dir, errbuf *e) {
    static const char *const tars[] = {".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz"};
    for (size_t i = 0; i < sizeof tars / sizeof *tars; i++)
        if (sdk_str_ends(file, tars[i])) {
            char *argv[] = {"tar", "-C", (char *)dir, "-xf", (char *)file, NULL};
            return run_tool(argv, NULL, NULL, e) == 0 ? 1 : -1;
        }
    if (sdk_str_ends(file, ".zip")) {
        char *argv[] = {"unzip", "-o", "-q", "-d", (char *)dir, (char *)file, NULL};
        return run_tool(argv, NULL, NULL, e) == 0 ? 1 : -1;
    }
    if (sdk_str_ends(file, ".gz")) {
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        char *out = sdk_asprintf_new("%s/%.*s", dir, (int)(strlen(base) - 3), base);
        char *argv[] = {"gunzip", "-d", "-c", NULL};
        int rc = run_tool(argv, file, out, e);
        free(out);
        return rc == 0 ? 1 : -1;
    }
    return 0;
}

/* The last path segment of a URI, without query or fragment. New string ("" if none). */
static char *uri_basename_new(const char *uri) {
    const char *scheme = strstr(uri, "://");
    const char *p = scheme ? scheme + 3 : uri;
    size_t n = strcspn(p, "?#");
    const char *slash = NULL;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '/') slash = p + i;
    const char *b = slash ? slash + 1 : (scheme ? p + n : p);
    return sdk_xstrndup(b, (size_t)(p + n - b));
}

/* One CommandInfo.URI, fetched directly into the sandbox (no cache), by the rules of
 * fetchBypassingCache in apache/mesos src/launcher/fetcher.cpp: local files (no scheme or
 * file://) are copied, http/https/ftp/ftps downloaded; the file is named output_file (its
 * directories made) or the URI's basename; `executable` makes it 0755 and is never extracted;
 * otherwise `extract` unpacks archives into the sandbox (the archive stays). */
static int fetch_one(const lc_uri *u, const char *sandbox, pid_t parent, errbuf *e) {
    const char *v = u->value;
    while (*v == ' ' || *v == '\t') v++;
    char *name = u->output_file ? sdk_xstrdup(u->output_file) : uri_basename_new(v);
    int rc = -1;
    if (!*name) {
        fail(e, "cannot tell the file name (give output_file)");
        goto out;
    }
    char *dst = sdk_asprintf_new("%s/%s", sandbox, name);
    char *slash = strrchr(dst, '/');
    *slash = 0;
    lc_mkdirs(dst);
    *slash = '/';
    fprintf(stderr, "localcluster: fetching URI '%s' to '%s'\n", v, dst);
    if (sdk_str_starts(v, "http://") || sdk_str_starts(v, "https://") || sdk_str_starts(v, "ftp://") ||
        sdk_str_starts(v, "ftps://"))
        rc = download(v, dst, parent, e);
    else if (sdk_str_starts(v, "file://") || !strstr(v, "://")) {
        const char *path = sdk_str_starts(v, "file://") ? v + 7 : v;
        if (*path != '/') rc = fail(e, "a local path must be absolute (no --frameworks_home in the local cluster)");
        else rc = copy_file(path, dst, e);
    } else
        rc = fail(e, "unsupported scheme (the local cluster fetches local paths, file://, http(s):// and ftp(s)://)");
    if (rc == 0 && u->executable) {
        if (chmod(dst, 0755) != 0) rc = fail(e, "cannot chmod '%s': %s", dst, strerror(errno));
    } else if (rc == 0 && u->extract) {
        int x = extract(dst, sandbox, e);
        if (x < 0) rc = -1;
        else if (x == 0) fprintf(stderr, "localcluster: '%s' is not an archive: copied, not extracted\n", v);
    }
    free(dst);
out:
    free(name);
    return rc;
}

static int write_secret_file(const lc_file *f, errbuf *e) {
    char *dir = sdk_xstrdup(f->path), *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        lc_mkdirs(dir);
    }
    free(dir);
    unlink(f->path);
    int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
    if (fd < 0) return fail(e, "cannot create '%s': %s", f->path, strerror(errno));
    for (size_t off = 0; off < f->len;) {
        ssize_t w = write(fd, f->data + off, f->len - off);
        if (w < 0) {
            close(fd);
            return fail(e, "cannot write '%s': %s", f->path, strerror(errno));
        }
        off += (size_t)w;
    }
    fchmod(fd, 0400);
    close(fd);
    return 0;
}

static int make_link(const lc_link *l, errbuf *e) {
    char *dir = sdk_xstrdup(l->link), *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        lc_mkdirs(dir);
    }
    free(dir);
    unlink(l->link);
    if (symlink(l->target, l->link) != 0) return fail(e, "cannot link '%s' to '%s': %s", l->link, l->target, strerror(errno));
    return 0;
}

/* SIGKILLs the supervisor's children: the command and every orphan reparented to it (it is a
 * subreaper), including those that left the process group. */
static void kill_children(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    char *text = NULL;
    size_t len;
    if (sdk_read_file_new(path, &text, &len) != 0) return;
    for (char *p = text, *end; *p; p = end) {
        long pid = strtol(p, &end, 10);
        if (end == p) break;
        if (pid > 0) kill((pid_t)pid, SIGKILL);
    }
    free(text);
}

/* The local cluster is gone: nothing of the task may stay. */
static void __attribute__((noreturn)) die_with_group(void) {
    kill_children();
    kill(0, SIGKILL); /* the whole process group, this process included */
    _exit(137);
}

/* Ends the supervisor the way the command ended, so the agent sees the command's status. */
static void __attribute__((noreturn)) exit_like(int st) {
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        signal(sig, SIG_DFL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        raise(sig);
        _exit(128 + sig); /* a signal whose default is not to terminate */
    }
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

static const char *lim_str(uint64_t v, char *buf, size_t cap) {
    if (v == (uint64_t)RLIM_INFINITY) return "unlimited";
    snprintf(buf, cap, "%llu", (unsigned long long)v);
    return buf;
}

static void __attribute__((noreturn)) supervise(const lc_launch_spec *s, int status_fd, pid_t parent) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    setsid();
    /* A catchable parent-death signal: the supervisor must live long enough to kill the rest. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    /* Not "localcluster" in ps/pgrep -x: it is a task's supervisor, not another local cluster. */
    prctl(PR_SET_NAME, "lc-supervisor");
    if (getppid() != parent) die_with_group();
    signal(SIGPIPE, SIG_DFL);
    int in = open("/dev/null", O_RDONLY), o = open(s->out, O_WRONLY | O_CREAT | O_APPEND, 0644),
        er = open(s->err, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in >= 0) dup2(in, 0);
    if (o >= 0) dup2(o, 1);
    if (er >= 0) dup2(er, 2);
    /* Nothing of the local cluster (sockets, state files) reaches the task: the status pipe
     * moves to fd 3 and every other descriptor closes. */
    int first_free = 3;
    if (status_fd >= 0) {
        if (status_fd != 3 && dup2(status_fd, 3) == 3) status_fd = 3;
        fcntl(status_fd, F_SETFD, FD_CLOEXEC);
        first_free = status_fd + 1;
    }
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)first_free, ~0u, 0) != 0)
#endif
    {
        long max = sysconf(_SC_OPEN_MAX);
        for (int fd = first_free; fd < (max > 0 && max < 1048576 ? max : 65536); fd++)
            if (fd != status_fd) close(fd);
    }
    errbuf e = {""};
    if (chdir(s->sandbox) != 0) {
        fail(&e, "cannot enter the sandbox '%s': %s", s->sandbox, strerror(errno));
        launch_failed(status_fd, e.msg);
    }
    for (size_t i = 0; i < s->n_files; i++)
        if (write_secret_file(&s->files[i], &e) != 0) launch_failed(status_fd, e.msg);
    for (size_t i = 0; i < s->n_links; i++)
        if (make_link(&s->links[i], &e) != 0) launch_failed(status_fd, e.msg);
    for (size_t i = 0; i < s->n_uris; i++)
        if (fetch_one(&s->uris[i], s->sandbox, parent, &e) != 0) {
            if (getppid() != parent) die_with_group(); /* the download was cut short for this */
            char *m = sdk_asprintf_new("Failed to fetch URI '%s': %s (a local cluster started with --ignore-uris "
                                       "starts tasks without their URIs)", s->uris[i].value, e.msg);
            launch_failed(status_fd, m);
        }
    /* Killed or orphaned while setting up: do not start the command at all. */
    if (getppid() != parent) die_with_group();
    sigset_t pend;
    sigpending(&pend);
    /* (a wait status of "killed by signal S" is S itself) */
    if (sigismember(&pend, SIGTERM) || sigismember(&pend, SIGINT)) exit_like(sigismember(&pend, SIGTERM) ? SIGTERM : SIGINT);

    int ep[2];
    if (pipe2(ep, O_CLOEXEC) != 0) launch_failed(status_fd, "cannot create a pipe");
    pid_t ch = fork();
    if (ch < 0) launch_failed(status_fd, "cannot fork the task process");
    if (ch == 0) {
        close(ep[0]);
        /* posix/rlimits: set in the task before exec (apache/mesos src/posix/rlimits.cpp). */
        for (size_t i = 0; i < s->n_rlimits; i++) {
            const lc_rlimit *r = &s->rlimits[i];
            struct rlimit rl = {(rlim_t)r->soft, (rlim_t)r->hard};
            if (setrlimit(r->resource, &rl) != 0) {
                char a[32], b[32];
                dprintf(ep[1], "container.rlimit_info: %s (soft %s, hard %s) refused by the host: %s", r->name,
                        lim_str(r->soft, a, sizeof a), lim_str(r->hard, b, sizeof b), strerror(errno));
                _exit(127);
            }
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(s->path, s->argv, s->env);
        dprintf(ep[1], "cannot execute '%s': %s", s->path, strerror(errno));
        _exit(127);
    }
    close(ep[1]);
    char msg[1024];
    size_t n = 0;
    for (ssize_t r; n < sizeof msg - 1 && (r = read(ep[0], msg + n, sizeof msg - 1 - n)) != 0;)
        if (r > 0) n += (size_t)r;
        else if (errno != EINTR) break;
    close(ep[0]);
    if (n) {
        msg[n] = 0;
        while (waitpid(ch, NULL, 0) < 0 && errno == EINTR) {}
        launch_failed(status_fd, msg);
    }
    if (status_fd >= 0) {
        if (dprintf(status_fd, "R %d\n", (int)ch) < 0) { /* the local cluster is gone: handled below */ }
        close(status_fd);
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0) continue;
        if (sig == SIGCHLD) {
            int st;
            pid_t p;
            while ((p = waitpid(-1, &st, WNOHANG)) > 0)
                if (p == ch) {
                    kill_children();
                    exit_like(st);
                }
        } else if (getppid() != parent) die_with_group();
        /* any other signal was sent to the group: the command got it too */
    }
}

pid_t lc_launch(const lc_launch_spec *s, int status_fd, int *pidfd) {
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) supervise(s, status_fd, parent);
    if (pid < 0) return -1;
    *pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (*pidfd < 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    return pid;
}
