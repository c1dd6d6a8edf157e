/* core/loop/proc: commands run on a real loop; outputs, exit codes, timeouts, cancel. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/loop/loop.h"
#include "core/loop/proc.h"
#include "core/util/err.h"
#include "core/util/str.h"

/* What a completion callback saw. */
typedef struct seen {
    int calls;
    uint64_t id;
    bool started, timed_out, out_trunc, err_trunc;
    int exit_code, term_signal;
    char *out, *err;
    size_t out_len, err_len;
    uint64_t elapsed_ms;
} seen;

static void record(void *ud, const sdk_proc_result *r) {
    seen *s = ud;
    s->calls++;
    s->id = r->id;
    s->started = r->started;
    s->timed_out = r->timed_out;
    s->exit_code = r->exit_code;
    s->term_signal = r->term_signal;
    free(s->out);
    free(s->err);
    s->out = sdk_xstrndup(r->out, r->out_len);
    s->err = sdk_xstrndup(r->err, r->err_len);
    s->out_len = r->out_len;
    s->err_len = r->err_len;
    s->out_trunc = r->out_truncated;
    s->err_trunc = r->err_truncated;
    s->elapsed_ms = r->elapsed_ms;
}

static void seen_free(seen *s) {
    free(s->out);
    free(s->err);
    memset(s, 0, sizeof *s);
}

typedef struct env {
    sdk_loop *l;
    sdk_proc_runner *r;
} env;

static bool env_open(env *e) {
    memset(e, 0, sizeof *e);
    CHECK_INT(sdk_loop_new(&e->l), 0);
    if (!e->l) return false;
    CHECK_INT(sdk_proc_runner_new(e->l, &e->r), 0);
    return e->r != NULL;
}

static void env_close(env *e) {
    sdk_proc_runner_free(e->r);
    sdk_loop_free(e->l);
}

/* Runs the loop until *calls reaches want or max_ms passes; returns the elapsed ms. */
static uint64_t run_until(env *e, const int *calls, int want, uint64_t max_ms) {
    uint64_t t0 = sdk_loop_now_ms(e->l);
    while (*calls < want && sdk_loop_now_ms(e->l) - t0 < max_ms) sdk_loop_run_once(e->l, 50);
    return sdk_loop_now_ms(e->l) - t0;
}

static int start(env *e, const char *const *argv, seen *s, uint64_t *id) {
    sdk_proc_options o = {.argv = argv};
    return sdk_proc_start(e->r, &o, record, s, id);
}

static void test_echo(void) {
    env e;
    if (!env_open(&e)) goto out;
    seen s = {0};
    uint64_t id = 0;
    static const char *const argv[] = {"echo", "hello", "world", NULL};
    CHECK_INT(start(&e, argv, &s, &id), 0);
    CHECK(id > 0);
    CHECK_INT(s.calls, 0); /* never synchronously */
    CHECK_INT(sdk_proc_running(e.r), 1);
    run_until(&e, &s.calls, 1, 5000);
    CHECK_INT(s.calls, 1);
    CHECK(s.id == id);
    CHECK(s.started);
    CHECK_INT(s.exit_code, 0);
    CHECK_INT(s.term_signal, 0);
    CHECK(!s.timed_out);
    CHECK_STR(s.out, "hello world\n");
    CHECK_INT(s.out_len, 12);
    CHECK_STR(s.err, "");
    CHECK_INT(sdk_proc_running(e.r), 0);
    CHECK_INT(sdk_proc_cancel(e.r, id), SDK_ENOENT); /* already completed */
    /* Nothing more arrives later. */
    for (int i = 0; i < 3; i++) sdk_loop_run_once(e.l, 10);
    CHECK_INT(s.calls, 1);
    seen_free(&s);
out:
    env_close(&e);
}

static void test_exit_codes_and_stderr(void) {
    env e;
    if (!env_open(&e)) goto out;
    seen a = {0}, b = {0}, c = {0};
    static const char *const fail[] = {"false", NULL};
    static const char *const code[] = {"sh", "-c", "echo out; echo oops >&2; exit 42", NULL};
    static const char *const sig[] = {"sh", "-c", "kill -9 $$", NULL};
    CHECK_INT(start(&e, fail, &a, NULL), 0);
    CHECK_INT(start(&e, code, &b, NULL), 0);
    CHECK_INT(start(&e, sig, &c, NULL), 0);
    int total = 0;
    uint64_t t0 = sdk_loop_now_ms(e.l);
    while ((total = a.calls + b.calls + c.calls) < 3 && sdk_loop_now_ms(e.l) - t0 < 5000)
        sdk_loop_run_once(e.l, 50);
    CHECK_INT(total, 3);
    CHECK_INT(a.exit_code, 1);
    CHECK_INT(b.exit_code, 42);
    CHECK_STR(b.out, "out\n");
    CHECK_STR(b.err, "oops\n");
    CHECK(b.started);
    CHECK_INT(c.exit_code, -1);
    CHECK_INT(c.term_signal, SIGKILL);
    CHECK(c.started && !c.timed_out);
    seen_free(&a);
    seen_free(&b);
    seen_free(&c);
out:
    env_close(&e);
}

static void test_env_and_cwd(void) {
    env e;
    if (!env_open(&e)) goto out;
    seen s = {0};
    static const char *const argv[] = {"sh", "-c", "echo \"$GREETING\"; pwd", NULL};
    const char *envv[] = {"GREETING=bonjour", "PATH=/usr/bin:/bin", NULL};
    sdk_proc_options o = {.argv = argv, .env = envv, .cwd = "/tmp"};
    CHECK_INT(sdk_proc_start(e.r, &o, record, &s, NULL), 0);
    run_until(&e, &s.calls, 1, 5000);
    CHECK_INT(s.exit_code, 0);
    CHECK_STR(s.out, "bonjour\n/tmp\n");
    seen_free(&s);

    /* A working directory that does not exist: never started, the reason in err. */
    o.cwd = "/nonexistent/dir";
    CHECK_INT(sdk_proc_start(e.r, &o, record, &s, NULL), 0);
    run_until(&e, &s.calls, 1, 5000);
    CHECK_INT(s.calls, 1);
    CHECK(!s.started);
    CHECK_INT(s.exit_code, -1);
    CHECK_CONTAINS(s.err, "could not start: cannot change to the working directory");
    CHECK_CONTAINS(s.err, "No such file");
    seen_free(&s);
out:
    env_close(&e);
}

static void test_large_output_and_cap(void) {
    env e;
    if (!env_open(&e)) goto out;
    /* 2 MB through a 64 KiB pipe: only works if the loop keeps reading while it runs. */
    static const char *const big[] = {"sh", "-c", "head -c 2000000 /dev/zero | tr '\\0' x", NULL};
    seen s = {0};
    CHECK_INT(start(&e, big, &s, NULL), 0);
    sdk_proc_options o = {.argv = big, .max_output = 1000};
    seen t = {0};
    CHECK_INT(sdk_proc_start(e.r, &o, record, &t, NULL), 0);
    uint64_t t0 = sdk_loop_now_ms(e.l);
    while (s.calls + t.calls < 2 && sdk_loop_now_ms(e.l) - t0 < 10000) sdk_loop_run_once(e.l, 50);
    CHECK_INT(s.calls, 1);
    CHECK_INT(s.exit_code, 0);
    CHECK_INT(s.out_len, SDK_PROC_DEFAULT_MAX_OUTPUT); /* 1 MiB of the 2 MB kept */
    CHECK(s.out_trunc);
    CHECK(s.out && s.out[0] == 'x' && strspn(s.out, "x") == s.out_len);
    CHECK_INT(t.calls, 1);
    CHECK_INT(t.exit_code, 0); /* the child was never stalled by the cap */
    CHECK_INT(t.out_len, 1000);
    CHECK(t.out_trunc);
    CHECK(!t.err_trunc);
    seen_free(&s);
    seen_free(&t);

    /* Just under the cap: complete and not flagged. */
    static const char *const mid[] = {"sh", "-c", "head -c 300000 /dev/zero | tr '\\0' y", NULL};
    CHECK_INT(start(&e, mid, &s, NULL), 0);
    run_until(&e, &s.calls, 1, 10000);
    CHECK_INT(s.out_len, 300000);
    CHECK(!s.out_trunc);
    seen_free(&s);
out:
    env_close(&e);
}

/* Processes of group pgid that are still alive (zombies awaiting their reaper do not count). */
static int live_in_group(int pgid) {
    int n = 0;
    DIR *d = opendir("/proc");
    if (!d) return -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = 0;
        /* pid (comm) state ppid pgrp ... ; comm may hold spaces, so parse after the last ')' */
        char *rp = strrchr(buf, ')');
        char state;
        int ppid, pgrp;
        if (rp && sscanf(rp + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid &&
            state != 'Z' && state != 'X')
            n++;
    }
    closedir(d);
    return n;
}

static void test_timeout_kills_sleep(void) {
    env e;
    if (!env_open(&e)) goto out;
    seen s = {0};
    static const char *const argv[] = {"sleep", "100", NULL};
    sdk_proc_options o = {.argv = argv, .timeout_ms = 200, .kill_grace_ms = 1000};
    uint64_t id = 0;
    CHECK_INT(sdk_proc_start(e.r, &o, record, &s, &id), 0);
    int pid = sdk_proc_pid(e.r, id);
    CHECK(pid > 0);
    uint64_t took = run_until(&e, &s.calls, 1, 5000);
    CHECK_INT(s.calls, 1);
    CHECK(s.timed_out);
    CHECK(s.started);
    CHECK_INT(s.exit_code, -1);
    CHECK_INT(s.term_signal, SIGTERM); /* sleep obeys SIGTERM: no need for SIGKILL */
    CHECK_MSG(took < 200 + 1000, "took %llu ms", (unsigned long long)took);
    CHECK(pid > 0 && kill(pid, 0) != 0 && errno == ESRCH); /* reaped, gone */
    seen_free(&s);

    /* A command that ignores SIGTERM, with a child in its group: SIGKILL after the grace. */
    static const char *const stubborn[] = {"sh", "-c", "trap '' TERM; sleep 100 & wait", NULL};
    o.argv = stubborn;
    o.timeout_ms = 100;
    o.kill_grace_ms = 300;
    CHECK_INT(sdk_proc_start(e.r, &o, record, &s, &id), 0);
    pid = sdk_proc_pid(e.r, id);
    took = run_until(&e, &s.calls, 1, 5000);
    CHECK_INT(s.calls, 1);
    CHECK(s.timed_out);
    CHECK_INT(s.term_signal, SIGKILL);
    /* timeout + grace, give or take the loop clock's millisecond (it is read once per iteration) */
    CHECK_MSG(took + 2 >= 100 + 300 && took < 2000, "took %llu ms", (unsigned long long)took);
    /* The whole group is gone (the background sleep too). */
    usleep(50 * 1000);
    CHECK_INT(live_in_group(pid), 0);
    seen_free(&s);
out:
    env_close(&e);
}

static void test_twenty_concurrent(void) {
    env e;
    if (!env_open(&e)) goto out;
    seen s[20];
    memset(s, 0, sizeof s);
    char nums[20][16];
    uint64_t ids[20];
    for (int i = 0; i < 20; i++) {
        snprintf(nums[i], sizeof nums[i], "%d", i);
        const char *argv[] = {"sh", "-c", "sleep 0.2; echo $0", nums[i], NULL};
        CHECK_INT(start(&e, argv, &s[i], &ids[i]), 0);
    }
    CHECK_INT(sdk_proc_running(e.r), 20);
    uint64_t t0 = sdk_loop_now_ms(e.l);
    int done = 0;
    while (done < 20 && sdk_loop_now_ms(e.l) - t0 < 10000) {
        sdk_loop_run_once(e.l, 50);
        done = 0;
        for (int i = 0; i < 20; i++) done += s[i].calls;
    }
    CHECK_INT(done, 20);
    /* Ran side by side, not one after the other (20 x 0.2 s would be 4 s). */
    CHECK_MSG(sdk_loop_now_ms(e.l) - t0 < 3000, "took %llu ms",
              (unsigned long long)(sdk_loop_now_ms(e.l) - t0));
    for (int i = 0; i < 20; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d\n", i);
        CHECK_STR(s[i].out, want);
        CHECK_INT(s[i].exit_code, 0);
        CHECK(s[i].id == ids[i]);
        for (int j = 0; j < i; j++) CHECK(ids[j] != ids[i]);
        seen_free(&s[i]);
    }
out:
    env_close(&e);
}

static void test_cancel(void) {
    env e;
    if (!env_open(&e)) goto out;
    seen s = {0}, other = {0};
    static const char *const argv[] = {"sleep", "100", NULL};
    static const char *const quick[] = {"echo", "still here", NULL};
    uint64_t id = 0;
    CHECK_INT(start(&e, argv, &s, &id), 0);
    int pid = sdk_proc_pid(e.r, id);
    CHECK(pid > 0);
    sdk_loop_run_once(e.l, 20);
    CHECK_INT(sdk_proc_cancel(e.r, id), 0);
    CHECK_INT(sdk_proc_running(e.r), 0);
    CHECK_INT(sdk_proc_cancel(e.r, id), SDK_ENOENT);
    CHECK_INT(sdk_proc_cancel(e.r, 999), SDK_ENOENT);
    CHECK_INT(start(&e, quick, &other, NULL), 0);
    run_until(&e, &other.calls, 1, 5000);
    for (int i = 0; i < 5; i++) sdk_loop_run_once(e.l, 20);
    CHECK_INT(s.calls, 0); /* a cancelled command never reports */
    CHECK_STR(other.out, "still here\n");
    CHECK(pid > 0 && kill(pid, 0) != 0 && errno == ESRCH); /* killed and reaped */
    seen_free(&other);

    /* Freeing the runner with a command running kills it, without a callback. */
    CHECK_INT(start(&e, argv, &s, &id), 0);
    pid = sdk_proc_pid(e.r, id);
    sdk_proc_runner_free(e.r);
    e.r = NULL;
    CHECK(pid > 0 && kill(pid, 0) != 0 && errno == ESRCH);
    CHECK_INT(s.calls, 0);
out:
    env_close(&e);
}

static void test_not_found_and_bad_input(void) {
    env e;
    if (!env_open(&e)) goto out;
    seen s = {0};
    static const char *const argv[] = {"no-such-command-sdk-test", "x", NULL};
    uint64_t id = 0;
    CHECK_INT(start(&e, argv, &s, &id), 0);
    CHECK(id > 0);
    CHECK_INT(s.calls, 0);
    run_until(&e, &s.calls, 1, 2000);
    CHECK_INT(s.calls, 1);
    CHECK(!s.started);
    CHECK_INT(s.exit_code, -1);
    CHECK_CONTAINS(s.err, "could not start: 'no-such-command-sdk-test': command not found");
    seen_free(&s);

    /* An absolute path that is not there: reported by the child's failed exec. */
    static const char *const abs[] = {"/nonexistent/bin/tool", NULL};
    CHECK_INT(start(&e, abs, &s, NULL), 0);
    run_until(&e, &s.calls, 1, 2000);
    CHECK(!s.started);
    CHECK_INT(s.exit_code, -1);
    CHECK_CONTAINS(s.err, "could not start: exec failed: No such file");
    seen_free(&s);

    /* A cancelled not-found command never reports either. */
    CHECK_INT(start(&e, argv, &s, &id), 0);
    CHECK_INT(sdk_proc_cancel(e.r, id), 0);
    for (int i = 0; i < 3; i++) sdk_loop_run_once(e.l, 10);
    CHECK_INT(s.calls, 0);

    static const char *const empty[] = {"", NULL};
    static const char *const none[] = {NULL};
    sdk_proc_options o = {.argv = empty};
    CHECK_INT(sdk_proc_start(e.r, &o, record, &s, &id), SDK_EINVAL);
    CHECK_INT(id, 0);
    o.argv = none;
    CHECK_INT(sdk_proc_start(e.r, &o, record, &s, NULL), SDK_EINVAL);
    o.argv = argv;
    CHECK_INT(sdk_proc_start(e.r, &o, NULL, &s, NULL), SDK_EINVAL);
    CHECK_INT(sdk_proc_running(e.r), 0);
out:
    env_close(&e);
}

/* The child does not inherit a blocked SIGTERM (the loop blocks it for its signalfd). */
static void test_signal_mask_reset(void) {
    env e;
    if (!env_open(&e)) goto out;
    CHECK_INT(sdk_loop_handle_signals(e.l, NULL, NULL), 0);
    seen s = {0};
    static const char *const argv[] = {"sleep", "100", NULL};
    sdk_proc_options o = {.argv = argv, .timeout_ms = 100, .kill_grace_ms = 3000};
    CHECK_INT(sdk_proc_start(e.r, &o, record, &s, NULL), 0);
    uint64_t took = run_until(&e, &s.calls, 1, 5000);
    CHECK_INT(s.term_signal, SIGTERM);
    CHECK_MSG(took < 2000, "took %llu ms", (unsigned long long)took);
    seen_free(&s);
out:
    env_close(&e);
}

/* The child gets stdin from /dev/null and no fd of the scheduler beyond 0-2, even ones opened
 * without O_CLOEXEC (sockets of libraries, the loop's epoll fd). */
static void test_no_inherited_fds(void) {
    env e;
    if (!env_open(&e)) goto out;
    int leaky = open("/dev/null", O_RDONLY); /* deliberately without O_CLOEXEC */
    CHECK(leaky >= 0);
    seen s = {0};
    /* Ask about the leaked descriptor's number itself: listing /proc/$$/fd races with the
     * shell's own pipeline pipes. */
    char script[160];
    snprintf(script, sizeof script,
             "if [ -e /proc/$$/fd/%d ]; then echo leaked; else echo closed; fi; cat", leaky);
    const char *const argv[] = {"sh", "-c", script, NULL};
    CHECK_INT(start(&e, argv, &s, NULL), 0);
    run_until(&e, &s.calls, 1, 5000);
    CHECK_STR(s.out, "closed\n"); /* and `cat` read an empty stdin instead of waiting */
    CHECK_INT(s.exit_code, 0);
    if (leaky >= 0) close(leaky);
    seen_free(&s);
out:
    env_close(&e);
}

int main(void) {
    RUN(test_echo);
    RUN(test_exit_codes_and_stderr);
    RUN(test_env_and_cwd);
    RUN(test_large_output_and_cap);
    RUN(test_timeout_kills_sleep);
    RUN(test_twenty_concurrent);
    RUN(test_cancel);
    RUN(test_not_found_and_bad_input);
    RUN(test_signal_mask_reset);
    RUN(test_no_inherited_fds);
    return check_summary("proc");
}
