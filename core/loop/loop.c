/* epoll event loop: fd watchers, a timer min-heap, an eventfd post queue, signalfd. See loop.h. */
#include "core/loop/loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "core/util/err.h"
#include "core/util/log.h"
#include "core/util/str.h"

#define LOOP_MAX_EVENTS 128

typedef struct watcher {
    bool used;
    int interest;
    uint32_t gen; /* bumped on every add, so stale epoll events can be told apart */
    sdk_loop_fd_cb cb;
    void *ud;
} watcher;

typedef struct timer {
    uint64_t id, deadline, interval, seq; /* interval 0 = one-shot */
    sdk_loop_timer_cb cb;
    void *ud;
    size_t heap_idx;
    bool firing, cancelled;
    struct timer *hnext; /* id hash chain */
} timer;

typedef struct post_item {
    sdk_loop_post_cb fn;
    void *ud;
    struct post_item *next;
} post_item;

struct sdk_loop {
    int epfd, evfd, sigfd;
    watcher *w;
    size_t nw;
    uint32_t next_gen;

    timer **heap;
    size_t nheap, capheap;
    timer **tbuckets; /* id -> timer, chained; size a power of two */
    size_t nbuckets, ntimers;
    uint64_t next_timer_id, next_seq;

    pthread_mutex_t post_mu;
    post_item *post_head, *post_tail;
    uint64_t dispatched; /* callbacks started so far (sdk_loop_dispatch_count) */

    atomic_int stop;
    sdk_loop_signal_cb sig_cb;
    void *sig_ud;
    sigset_t old_mask;
    bool mask_changed;
};

uint64_t sdk_loop_dispatch_count(const sdk_loop *l) { return l->dispatched; }

uint64_t sdk_loop_now_ms(const sdk_loop *l) {
    (void)l;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---------------------------------------------------------------- lifecycle */

static void on_eventfd(sdk_loop *l, int fd, int events, void *ud);

int sdk_loop_new(sdk_loop **out) {
    sdk_loop *l = sdk_xcalloc(1, sizeof *l);
    l->sigfd = -1;
    l->next_timer_id = 1;
    l->nbuckets = 64;
    l->tbuckets = sdk_xcalloc(l->nbuckets, sizeof *l->tbuckets);
    pthread_mutex_init(&l->post_mu, NULL);
    atomic_init(&l->stop, 0);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) goto fail_epoll;
    l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->evfd < 0) goto fail_eventfd;
    if (sdk_loop_watch_fd(l, l->evfd, SDK_LOOP_READ, on_eventfd, NULL) != 0) goto fail_watch;
    *out = l;
    return 0;
fail_watch:
    close(l->evfd);
fail_eventfd:
    SDK_ERROR("loop", "cannot create loop: %s", strerror(errno));
    close(l->epfd);
fail_epoll:
    pthread_mutex_destroy(&l->post_mu);
    free(l->tbuckets);
    free(l->w);
    free(l);
    return SDK_EIO;
}

void sdk_loop_free(sdk_loop *l) {
    if (!l) return;
    for (size_t i = 0; i < l->nheap; i++) free(l->heap[i]);
    free(l->heap);
    free(l->tbuckets);
    for (post_item *p = l->post_head, *n; p; p = n) {
        n = p->next;
        free(p);
    }
    pthread_mutex_destroy(&l->post_mu);
    if (l->sigfd >= 0) close(l->sigfd);
    if (l->mask_changed) pthread_sigmask(SIG_SETMASK, &l->old_mask, NULL);
    close(l->evfd);
    close(l->epfd);
    free(l->w);
    free(l);
}

void sdk_loop_stop(sdk_loop *l) {
    atomic_store(&l->stop, 1);
    uint64_t one = 1;
    ssize_t r = write(l->evfd, &one, sizeof one); /* async-signal-safe wake-up */
    (void)r;
}

/* ---------------------------------------------------------------- fd watchers */

static uint32_t to_epoll(int interest) {
    return (interest & SDK_LOOP_READ ? EPOLLIN : 0u) | (interest & SDK_LOOP_WRITE ? EPOLLOUT : 0u);
}

int sdk_loop_watch_fd(sdk_loop *l, int fd, int interest, sdk_loop_fd_cb cb, void *ud) {
    if (fd < 0 || !cb || (interest & ~(SDK_LOOP_READ | SDK_LOOP_WRITE))) return SDK_EINVAL;
    if ((size_t)fd >= l->nw) {
        size_t n = l->nw ? l->nw : 64;
        while (n <= (size_t)fd) n *= 2;
        l->w = sdk_xrealloc(l->w, n * sizeof *l->w);
        memset(l->w + l->nw, 0, (n - l->nw) * sizeof *l->w);
        l->nw = n;
    }
    watcher *w = &l->w[fd];
    struct epoll_event ev = {.events = to_epoll(interest)};
    if (w->used) {
        ev.data.u64 = (uint64_t)w->gen << 32 | (uint32_t)fd;
        int r = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
        /* The owner closed and reopened the fd number behind our back: epoll dropped it. */
        if (r < 0 && errno == ENOENT) r = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
        if (r < 0) return SDK_EIO;
    } else {
        uint32_t gen = ++l->next_gen;
        ev.data.u64 = (uint64_t)gen << 32 | (uint32_t)fd;
        int r = epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev);
        if (r < 0 && errno == EEXIST) r = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
        if (r < 0) return SDK_EIO;
        w->used = true;
        w->gen = gen;
    }
    w->interest = interest;
    w->cb = cb;
    w->ud = ud;
    return 0;
}

int sdk_loop_unwatch_fd(sdk_loop *l, int fd) {
    if (fd < 0 || (size_t)fd >= l->nw || !l->w[fd].used) return SDK_ENOENT;
    /* Fails harmlessly (EBADF/ENOENT) when the owner already closed the fd. */
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    l->w[fd].used = false;
    l->w[fd].cb = NULL;
    return 0;
}

/* ---------------------------------------------------------------- timers */

static bool timer_before(const timer *a, const timer *b) {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_set(sdk_loop *l, size_t i, timer *t) {
    l->heap[i] = t;
    t->heap_idx = i;
}

static void heap_up(sdk_loop *l, size_t i) {
    timer *t = l->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!timer_before(t, l->heap[p])) break;
        heap_set(l, i, l->heap[p]);
        i = p;
    }
    heap_set(l, i, t);
}

static void heap_down(sdk_loop *l, size_t i) {
    timer *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->nheap) break;
        if (c + 1 < l->nheap && timer_before(l->heap[c + 1], l->heap[c])) c++;
        if (!timer_before(l->heap[c], t)) break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

static void heap_push(sdk_loop *l, timer *t) {
    if (l->nheap == l->capheap) {
        l->capheap = l->capheap ? l->capheap * 2 : 16;
        l->heap = sdk_xrealloc(l->heap, l->capheap * sizeof *l->heap);
    }
    t->seq = l->next_seq++;
    heap_set(l, l->nheap++, t);
    heap_up(l, t->heap_idx);
}

static void heap_remove(sdk_loop *l, timer *t) {
    size_t i = t->heap_idx;
    timer *last = l->heap[--l->nheap];
    if (i == l->nheap) return;
    heap_set(l, i, last);
    if (i > 0 && timer_before(last, l->heap[(i - 1) / 2])) heap_up(l, i);
    else heap_down(l, i);
}

static size_t bucket_of(const sdk_loop *l, uint64_t id) {
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 32) & (l->nbuckets - 1);
}

static void hash_insert(sdk_loop *l, timer *t) {
    if (l->ntimers + 1 > l->nbuckets) {
        size_t old_n = l->nbuckets;
        timer **old = l->tbuckets;
        l->nbuckets *= 2;
        l->tbuckets = sdk_xcalloc(l->nbuckets, sizeof *l->tbuckets);
        for (size_t i = 0; i < old_n; i++) {
            for (timer *x = old[i], *nx; x; x = nx) {
                nx = x->hnext;
                size_t b = bucket_of(l, x->id);
                x->hnext = l->tbuckets[b];
                l->tbuckets[b] = x;
            }
        }
        free(old);
    }
    size_t b = bucket_of(l, t->id);
    t->hnext = l->tbuckets[b];
    l->tbuckets[b] = t;
    l->ntimers++;
}

static timer *hash_find(const sdk_loop *l, uint64_t id) {
    for (timer *t = l->tbuckets[bucket_of(l, id)]; t; t = t->hnext)
        if (t->id == id) return t;
    return NULL;
}

static void hash_remove(sdk_loop *l, timer *t) {
    for (timer **pp = &l->tbuckets[bucket_of(l, t->id)]; *pp; pp = &(*pp)->hnext) {
        if (*pp == t) {
            *pp = t->hnext;
            l->ntimers--;
            return;
        }
    }
}

static int timer_new(sdk_loop *l, uint64_t delay, uint64_t interval, sdk_loop_timer_cb cb, void *ud,
                     uint64_t *id) {
    timer *t = sdk_xcalloc(1, sizeof *t);
    t->id = l->next_timer_id++;
    t->deadline = sdk_loop_now_ms(l) + delay;
    t->interval = interval;
    t->cb = cb;
    t->ud = ud;
    hash_insert(l, t);
    heap_push(l, t);
    if (id) *id = t->id;
    return 0;
}

int sdk_loop_timer_add(sdk_loop *l, uint64_t delay_ms, sdk_loop_timer_cb cb, void *ud, uint64_t *id) {
    if (!cb) return SDK_EINVAL;
    return timer_new(l, delay_ms, 0, cb, ud, id);
}

int sdk_loop_timer_every(sdk_loop *l, uint64_t interval_ms, sdk_loop_timer_cb cb, void *ud, uint64_t *id) {
    if (!cb || interval_ms == 0) return SDK_EINVAL;
    return timer_new(l, interval_ms, interval_ms, cb, ud, id);
}

int sdk_loop_timer_cancel(sdk_loop *l, uint64_t id) {
    timer *t = hash_find(l, id);
    if (!t || t->cancelled) return SDK_ENOENT;
    if (t->firing) { /* fire_timers owns it until the callback returns */
        t->cancelled = true;
        return 0;
    }
    heap_remove(l, t);
    hash_remove(l, t);
    free(t);
    return 0;
}

unsigned sdk_loop_timer_count(const sdk_loop *l) {
    return (unsigned)l->nheap;
}

/* Fires the timers due at `now`; timers armed by these callbacks wait for a later iteration,
 * so a zero-delay timer re-arming itself cannot starve fd events. */
static int fire_timers(sdk_loop *l) {
    uint64_t now = sdk_loop_now_ms(l);
    uint64_t limit_seq = l->next_seq;
    int ran = 0;
    while (l->nheap > 0 && l->heap[0]->deadline <= now && l->heap[0]->seq < limit_seq) {
        timer *t = l->heap[0];
        heap_remove(l, t);
        t->firing = true;
        if (t->interval == 0) t->cancelled = true; /* one-shot: cancel from its callback is ENOENT */
        l->dispatched++;
        t->cb(l, t->id, t->ud);
        ran++;
        t->firing = false;
        if (t->cancelled) {
            hash_remove(l, t);
            free(t);
            continue;
        }
        t->deadline += t->interval;
        if (t->deadline <= now) t->deadline = now + t->interval;
        heap_push(l, t);
    }
    return ran;
}

/* Milliseconds epoll may sleep: until the nearest timer, capped by max_wait (-1 = no cap). */
static int wait_ms(sdk_loop *l, int max_wait) {
    if (l->nheap == 0) return max_wait;
    uint64_t now = sdk_loop_now_ms(l), dl = l->heap[0]->deadline;
    uint64_t d = dl > now ? dl - now : 0;
    if (d > 24u * 3600u * 1000u) d = 24u * 3600u * 1000u;
    if (max_wait >= 0 && (uint64_t)max_wait < d) return max_wait;
    return (int)d;
}

/* ---------------------------------------------------------------- posts, eventfd, signals */

int sdk_loop_post(sdk_loop *l, sdk_loop_post_cb fn, void *ud) {
    if (!fn) return SDK_EINVAL;
    post_item *p = sdk_xmalloc(sizeof *p);
    p->fn = fn;
    p->ud = ud;
    p->next = NULL;
    pthread_mutex_lock(&l->post_mu);
    bool was_empty = l->post_head == NULL;
    if (l->post_tail) l->post_tail->next = p;
    else l->post_head = p;
    l->post_tail = p;
    pthread_mutex_unlock(&l->post_mu);
    /* Only the first item after a drain needs a wake-up; the drain takes everything queued. */
    if (was_empty) {
        uint64_t one = 1;
        ssize_t r = write(l->evfd, &one, sizeof one);
        (void)r;
    }
    return 0;
}

static int run_posts(sdk_loop *l) {
    pthread_mutex_lock(&l->post_mu);
    post_item *p = l->post_head;
    l->post_head = l->post_tail = NULL;
    pthread_mutex_unlock(&l->post_mu);
    int ran = 0;
    while (p) {
        post_item *n = p->next;
        l->dispatched++;
        p->fn(l, p->ud);
        free(p);
        ran++;
        p = n;
    }
    return ran;
}

static void on_eventfd(sdk_loop *l, int fd, int events, void *ud) {
    (void)events, (void)ud;
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof v); /* resets the counter; the posts run right after */
    (void)r;
    (void)l;
}

static void on_signalfd(sdk_loop *l, int fd, int events, void *ud) {
    (void)events, (void)ud;
    struct signalfd_siginfo si;
    while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        SDK_INFO("loop", "received signal %d (%s)", (int)si.ssi_signo, strsignal((int)si.ssi_signo));
        if (l->sig_cb) l->sig_cb(l, (int)si.ssi_signo, l->sig_ud);
        else sdk_loop_stop(l);
    }
}

int sdk_loop_handle_signals(sdk_loop *l, sdk_loop_signal_cb cb, void *ud) {
    l->sig_cb = cb;
    l->sig_ud = ud;
    if (l->sigfd >= 0) return 0;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigset_t old;
    if (pthread_sigmask(SIG_BLOCK, &set, &old) != 0) return SDK_EIO;
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0 || sdk_loop_watch_fd(l, fd, SDK_LOOP_READ, on_signalfd, NULL) != 0) {
        if (fd >= 0) close(fd);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        SDK_ERROR("loop", "cannot route SIGINT/SIGTERM through signalfd: %s", strerror(errno));
        return SDK_EIO;
    }
    l->sigfd = fd;
    l->old_mask = old;
    l->mask_changed = true;
    return 0;
}

/* ---------------------------------------------------------------- running */

static int run_once(sdk_loop *l, int max_wait_ms);

int sdk_loop_run_once(sdk_loop *l, int max_wait_ms) {
    l->dispatched++; /* the caller ran code of its own since the last iteration: it counts as one */
    return run_once(l, max_wait_ms);
}

static int run_once(sdk_loop *l, int max_wait_ms) {
    struct epoll_event evs[LOOP_MAX_EVENTS];
    int timeout = atomic_load(&l->stop) ? 0 : wait_ms(l, max_wait_ms);
    int n = epoll_wait(l->epfd, evs, LOOP_MAX_EVENTS, timeout);
    if (n < 0) {
        if (errno != EINTR) {
            SDK_ERROR("loop", "epoll_wait: %s", strerror(errno));
            return SDK_EIO;
        }
        n = 0;
    }
    int ran = 0;
    bool posts_ready = false;
    for (int i = 0; i < n; i++) {
        int fd = (int)(uint32_t)evs[i].data.u64;
        uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
        if ((size_t)fd >= l->nw) continue;
        watcher *w = &l->w[fd];
        if (!w->used || w->gen != gen) continue; /* removed (or replaced) by an earlier callback */
        uint32_t e = evs[i].events;
        int ev = (e & EPOLLIN ? SDK_LOOP_READ : 0) | (e & EPOLLOUT ? SDK_LOOP_WRITE : 0) |
                 (e & (EPOLLERR | EPOLLHUP) ? SDK_LOOP_ERROR : 0);
        /* An error or hang-up is news to whoever listens at all; a silent watcher hears nothing. */
        if (w->interest == 0) continue;
        if (ev & SDK_LOOP_ERROR) ev |= w->interest;
        ev &= w->interest | SDK_LOOP_ERROR;
        if (ev == 0) continue;
        if (fd == l->evfd) { /* internal wake-up: not counted as a callback */
            posts_ready = true;
            on_eventfd(l, fd, ev, NULL);
            continue;
        }
        l->dispatched++;
        w->cb(l, fd, ev, w->ud);
        ran++;
    }
    if (posts_ready) ran += run_posts(l);
    ran += fire_timers(l);
    return ran;
}

int sdk_loop_run(sdk_loop *l) {
    while (!atomic_load(&l->stop)) {
        if (run_once(l, -1) < 0) return SDK_EIO;
    }
    atomic_store(&l->stop, 0);
    return 0;
}
