/* Event loop: timer order and cancellation, fd readiness, cross-thread posts, stop and signals. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "core/loop/loop.h"
#include "core/util/err.h"
#include "tests/unit/check.h"

/* ---- timers ---- */
static char order_buf[64];
static void record_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    strncat(order_buf, (const char *)ud, sizeof order_buf - strlen(order_buf) - 1);
}
static void stop_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)id, (void)ud;
    sdk_loop_stop(l);
}

static void test_timer_order(void) {
    sdk_loop *l;
    CHECK_INT(sdk_loop_new(&l), 0);
    order_buf[0] = 0;
    uint64_t id;
    sdk_loop_timer_add(l, 60, record_timer, "D", &id);
    sdk_loop_timer_add(l, 20, record_timer, "A", &id);
    sdk_loop_timer_add(l, 40, record_timer, "C", &id);
    sdk_loop_timer_add(l, 20, record_timer, "B", &id); /* same deadline as A: after A */
    sdk_loop_timer_add(l, 0, record_timer, "0", &id);
    sdk_loop_timer_add(l, 80, stop_timer, NULL, &id);
    uint64_t t0 = sdk_loop_now_ms(l);
    CHECK_INT(sdk_loop_run(l), 0);
    uint64_t el = sdk_loop_now_ms(l) - t0;
    CHECK_STR(order_buf, "0ABCD");
    CHECK_MSG(el >= 80 && el < 1000, "run took %llu ms, wanted >= 80", (unsigned long long)el);
    CHECK_INT(sdk_loop_timer_count(l), 0);
    CHECK_INT(sdk_loop_timer_add(l, 1, NULL, NULL, &id), SDK_EINVAL);
    CHECK_INT(sdk_loop_timer_every(l, 0, record_timer, "x", &id), SDK_EINVAL);
    sdk_loop_free(l);
}

static uint64_t victim_id, self_id;
static int periodic_ticks;
static void cancel_victim(sdk_loop *l, uint64_t id, void *ud) {
    (void)id, (void)ud;
    CHECK_INT(sdk_loop_timer_cancel(l, victim_id), 0);
    /* A one-shot timer is gone once it fires, even from inside its own callback. */
    CHECK_INT(sdk_loop_timer_cancel(l, id), SDK_ENOENT);
}
static void periodic(sdk_loop *l, uint64_t id, void *ud) {
    (void)ud;
    CHECK(id == self_id);
    if (++periodic_ticks == 3) CHECK_INT(sdk_loop_timer_cancel(l, id), 0);
}

static void test_timer_cancel(void) {
    sdk_loop *l;
    CHECK_INT(sdk_loop_new(&l), 0);
    order_buf[0] = 0;
    uint64_t a, b, c, id;
    sdk_loop_timer_add(l, 10, record_timer, "a", &a);
    sdk_loop_timer_add(l, 15, record_timer, "b", &b);
    sdk_loop_timer_add(l, 20, record_timer, "c", &c);
    CHECK(a != 0 && a != b && b != c);
    CHECK_INT(sdk_loop_timer_cancel(l, b), 0);
    CHECK_INT(sdk_loop_timer_cancel(l, b), SDK_ENOENT);
    CHECK_INT(sdk_loop_timer_cancel(l, 999999), SDK_ENOENT);
    /* Cancelled from inside another callback (same iteration is possible: both due at 30ms). */
    sdk_loop_timer_add(l, 30, cancel_victim, NULL, &id);
    sdk_loop_timer_add(l, 30, record_timer, "V", &victim_id);
    periodic_ticks = 0;
    sdk_loop_timer_every(l, 10, periodic, NULL, &self_id);
    sdk_loop_timer_add(l, 100, stop_timer, NULL, &id);
    CHECK_INT(sdk_loop_run(l), 0);
    CHECK_STR(order_buf, "ac");
    CHECK_INT(periodic_ticks, 3);
    CHECK_INT(sdk_loop_timer_cancel(l, a), SDK_ENOENT);
    CHECK_INT(sdk_loop_timer_count(l), 0);
    /* Many timers in random order still come out sorted (exercises the heap and id hash). */
    for (int i = 0; i < 500; i++) sdk_loop_timer_add(l, (uint64_t)((i * 7919) % 50), record_timer, "", &id);
    CHECK_INT(sdk_loop_timer_count(l), 500);
    sdk_loop_free(l); /* pending timers freed without running; LeakSanitizer checks */
}

/* ---- fds ---- */
typedef struct pipe_ctx {
    int rd[2], wr[2];
    char got[16];
    int reads, other_calls;
} pipe_ctx;

static void on_pipe_read(sdk_loop *l, int fd, int events, void *ud) {
    pipe_ctx *p = ud;
    CHECK(events & SDK_LOOP_READ);
    char c;
    if (read(fd, &c, 1) == 1) p->got[p->reads++] = c;
    if (p->reads == 3) {
        CHECK_INT(sdk_loop_unwatch_fd(l, fd), 0); /* removal from inside its own callback */
        sdk_loop_stop(l);
    }
}
static void write_byte(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    pipe_ctx *p = ud;
    CHECK_INT(write(p->rd[1], "x", 1), 1);
}

static void test_fd_pipe(void) {
    sdk_loop *l;
    CHECK_INT(sdk_loop_new(&l), 0);
    pipe_ctx p = {0};
    CHECK_INT(pipe(p.rd), 0);
    uint64_t id;
    CHECK_INT(sdk_loop_watch_fd(l, p.rd[0], SDK_LOOP_READ, on_pipe_read, &p), 0);
    for (int i = 1; i <= 3; i++) sdk_loop_timer_add(l, (uint64_t)(10 * i), write_byte, &p, &id);
    sdk_loop_timer_add(l, 2000, stop_timer, NULL, &id); /* safety net */
    uint64_t t0 = sdk_loop_now_ms(l);
    CHECK_INT(sdk_loop_run(l), 0);
    CHECK_INT(p.reads, 3);
    CHECK_STR(p.got, "xxx");
    CHECK(sdk_loop_now_ms(l) - t0 < 1000); /* stopped by the fd callback, not the safety net */
    CHECK_INT(sdk_loop_unwatch_fd(l, p.rd[0]), SDK_ENOENT);
    /* A removed watcher never hears again, even with data waiting. */
    CHECK_INT(write(p.rd[1], "y", 1), 1);
    CHECK_INT(sdk_loop_run_once(l, 20), 0);
    CHECK_INT(p.reads, 3);
    CHECK_INT(sdk_loop_watch_fd(l, -1, SDK_LOOP_READ, on_pipe_read, &p), SDK_EINVAL);
    CHECK_INT(sdk_loop_watch_fd(l, p.rd[0], 8, on_pipe_read, &p), SDK_EINVAL);
    close(p.rd[0]);
    close(p.rd[1]);
    sdk_loop_timer_cancel(l, id);
    sdk_loop_free(l);
}

/* Two fds ready in the same iteration; the first callback removes the second's watcher. */
static int fdA_calls, fdB_calls, fdB;
static void on_a(sdk_loop *l, int fd, int events, void *ud) {
    (void)fd, (void)events, (void)ud;
    fdA_calls++;
    sdk_loop_unwatch_fd(l, fdB);
}
static void on_b(sdk_loop *l, int fd, int events, void *ud) {
    (void)fd, (void)events, (void)ud;
    fdB_calls++;
    sdk_loop_unwatch_fd(l, *(int *)ud);
}
static void on_w(sdk_loop *l, int fd, int events, void *ud) {
    (void)l, (void)fd;
    *(int *)ud = events;
}

static void test_fd_remove_other_and_write_interest(void) {
    sdk_loop *l;
    CHECK_INT(sdk_loop_new(&l), 0);
    int a[2], b[2];
    CHECK_INT(pipe(a), 0);
    CHECK_INT(pipe(b), 0);
    fdB = b[0];
    sdk_loop_watch_fd(l, a[0], SDK_LOOP_READ, on_a, NULL);
    sdk_loop_watch_fd(l, b[0], SDK_LOOP_READ, on_b, &a[0]);
    CHECK_INT(write(a[1], "1", 1), 1);
    CHECK_INT(write(b[1], "1", 1), 1);
    sdk_loop_run_once(l, 100);
    /* Exactly one of them ran: whichever went first removed the other. */
    CHECK_INT(fdA_calls + fdB_calls, 1);
    /* Write interest on a pipe's write end, then changed to silent (0): no more callbacks. */
    int ev = 0;
    CHECK_INT(sdk_loop_watch_fd(l, a[1], SDK_LOOP_WRITE, on_w, &ev), 0);
    sdk_loop_run_once(l, 100);
    CHECK_INT(ev, SDK_LOOP_WRITE);
    ev = 0;
    CHECK_INT(sdk_loop_watch_fd(l, a[1], 0, on_w, &ev), 0);
    sdk_loop_run_once(l, 20);
    CHECK_INT(ev, 0);
    sdk_loop_unwatch_fd(l, a[1]);
    sdk_loop_unwatch_fd(l, a[0]);
    sdk_loop_unwatch_fd(l, b[0]);
    close(a[0]), close(a[1]), close(b[0]), close(b[1]);
    sdk_loop_free(l);
}

/* ---- cross-thread posts ---- */
#define NTHREADS 4
#define NITEMS 10000
static unsigned char seen[NTHREADS][NITEMS];
static int last_idx[NTHREADS];
static int delivered, out_of_order;
static sdk_loop *post_loop;
static pthread_t loop_thread;
static int wrong_thread;

static void on_post(sdk_loop *l, void *ud) {
    uintptr_t v = (uintptr_t)ud;
    int t = (int)(v >> 20), i = (int)(v & 0xFFFFF);
    if (!pthread_equal(pthread_self(), loop_thread)) wrong_thread++;
    seen[t][i]++;
    if (i <= last_idx[t]) out_of_order++;
    last_idx[t] = i;
    if (++delivered == NTHREADS * NITEMS) sdk_loop_stop(l);
}
static void *poster(void *arg) {
    uintptr_t t = (uintptr_t)arg;
    for (uintptr_t i = 0; i < NITEMS; i++) sdk_loop_post(post_loop, on_post, (void *)(t << 20 | i));
    return NULL;
}

static void test_cross_thread_posts(void) {
    CHECK_INT(sdk_loop_new(&post_loop), 0);
    loop_thread = pthread_self();
    for (int t = 0; t < NTHREADS; t++) last_idx[t] = -1;
    pthread_t th[NTHREADS];
    for (uintptr_t t = 0; t < NTHREADS; t++) pthread_create(&th[t], NULL, poster, (void *)t);
    uint64_t id;
    sdk_loop_timer_add(post_loop, 10000, stop_timer, NULL, &id); /* safety net */
    CHECK_INT(sdk_loop_run(post_loop), 0);
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    CHECK_INT(delivered, NTHREADS * NITEMS);
    int dup = 0, missing = 0;
    for (int t = 0; t < NTHREADS; t++)
        for (int i = 0; i < NITEMS; i++) dup += seen[t][i] > 1, missing += seen[t][i] == 0;
    CHECK_INT(dup, 0);
    CHECK_INT(missing, 0);
    CHECK_INT(out_of_order, 0);
    CHECK_INT(wrong_thread, 0);
    CHECK_INT(sdk_loop_post(post_loop, NULL, NULL), SDK_EINVAL);
    sdk_loop_timer_cancel(post_loop, id);
    sdk_loop_free(post_loop);
}

/* ---- stop ---- */
static void *stopper(void *arg) {
    usleep(50 * 1000);
    sdk_loop_stop(arg);
    return NULL;
}
static void on_signal(sdk_loop *l, int signo, void *ud) {
    *(int *)ud = signo;
    sdk_loop_stop(l);
}

static void test_stop(void) {
    sdk_loop *l;
    CHECK_INT(sdk_loop_new(&l), 0);
    /* From another thread while run sleeps with no timers at all. */
    pthread_t th;
    pthread_create(&th, NULL, stopper, l);
    uint64_t t0 = sdk_loop_now_ms(l);
    CHECK_INT(sdk_loop_run(l), 0);
    pthread_join(th, NULL);
    CHECK(sdk_loop_now_ms(l) - t0 < 2000);
    /* Requested before run: run returns at once; the request is consumed. */
    sdk_loop_stop(l);
    t0 = sdk_loop_now_ms(l);
    uint64_t id;
    sdk_loop_timer_add(l, 300, stop_timer, NULL, &id);
    CHECK_INT(sdk_loop_run(l), 0);
    CHECK(sdk_loop_now_ms(l) - t0 < 200);
    CHECK_INT(sdk_loop_run(l), 0); /* now the 300 ms timer stops it */
    CHECK(sdk_loop_now_ms(l) - t0 >= 300);
    /* Ctrl-C: SIGINT/SIGTERM arrive through the signalfd as a loop callback. */
    int got = 0;
    CHECK_INT(sdk_loop_handle_signals(l, on_signal, &got), 0);
    sdk_loop_timer_add(l, 2000, stop_timer, NULL, &id);
    kill(getpid(), SIGTERM);
    CHECK_INT(sdk_loop_run(l), 0);
    CHECK_INT(got, SIGTERM);
    sdk_loop_timer_cancel(l, id);
    sdk_loop_free(l);
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGTERM)); /* free restored the mask */
}

/* ---- dispatch count ---- */
static uint64_t seen_count[4];
static int n_seen;
static void count_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)id, (void)ud;
    if (n_seen < 4) seen_count[n_seen++] = sdk_loop_dispatch_count(l);
}

/* Each callback counts as it starts, and so does each sdk_loop_run_once call (its caller may have
 * run code of its own in between): consecutive callbacks see consecutive counts. */
static void test_dispatch_count(void) {
    sdk_loop *l;
    CHECK_INT(sdk_loop_new(&l), 0);
    n_seen = 0;
    uint64_t id, c0 = sdk_loop_dispatch_count(l);
    sdk_loop_timer_add(l, 0, count_timer, NULL, &id);
    sdk_loop_timer_add(l, 0, count_timer, NULL, &id);
    while (n_seen < 2) CHECK(sdk_loop_run_once(l, 100) >= 0);
    CHECK_INT(n_seen, 2);
    CHECK_INT(seen_count[1], seen_count[0] + 1); /* one after the other, nothing between */
    CHECK(seen_count[0] > c0);
    uint64_t c1 = sdk_loop_dispatch_count(l);
    CHECK(sdk_loop_run_once(l, 0) >= 0); /* nothing to run: only the call itself counts */
    CHECK_INT(sdk_loop_dispatch_count(l), c1 + 1);
    sdk_loop_timer_add(l, 0, count_timer, NULL, &id);
    CHECK(sdk_loop_run_once(l, 100) >= 0);
    CHECK_INT(n_seen, 3);
    CHECK_INT(seen_count[2], c1 + 3); /* this call, then the timer */
    sdk_loop_free(l);
}

int main(void) {
    RUN(test_timer_order);
    RUN(test_timer_cancel);
    RUN(test_fd_pipe);
    RUN(test_fd_remove_other_and_write_interest);
    RUN(test_cross_thread_posts);
    RUN(test_stop);
    RUN(test_dispatch_count);
    return check_summary("test_loop");
}
