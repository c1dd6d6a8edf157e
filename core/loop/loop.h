/* The scheduler's single-threaded event loop (epoll), in the style of Redis's `ae`.
 *
 * One thread runs the loop and owns all scheduler state. Everything else is driven from it:
 * fd watchers (libcurl sockets, libmicrohttpd's epoll fd, signalfd), timers (monotonic clock,
 * ordered by deadline in a min-heap) and closures posted from foreign threads (libzookeeper-mt
 * completions) through an eventfd-backed queue.
 *
 * Threading contract: every function here must be called on the loop thread (the thread that
 * calls sdk_loop_run, or the creating thread before run) EXCEPT sdk_loop_post (any thread) and
 * sdk_loop_stop (any thread, and async-signal-safe).
 *
 * Callbacks run on the loop thread, one at a time, and must not block. Inside any callback it is
 * safe to add, change or remove any watcher (including the one running), add or cancel any timer
 * (including the one running) and call sdk_loop_stop. An event already collected for an fd that
 * a callback removed is dropped, never delivered to a later watcher of the same fd number.
 */
#ifndef SDK_LOOP_LOOP_H
#define SDK_LOOP_LOOP_H
#include <stdint.h>

typedef struct sdk_loop sdk_loop;

/* Creates a loop. Returns 0, or SDK_EIO when epoll/eventfd cannot be created. */
int sdk_loop_new(sdk_loop **out);
/* Frees the loop: closes its own fds (epoll, eventfd, signalfd; never a watched fd, which belongs
 * to its owner), frees pending timers without running them and drops posted closures that have
 * not run (their callbacks are NOT called). Must not be called from inside a callback.
 * Restores the signal mask changed by sdk_loop_handle_signals. NULL is a no-op. */
void sdk_loop_free(sdk_loop *l);

/* Runs until sdk_loop_stop. Each iteration: wait for fds (no longer than the nearest timer),
 * dispatch fd events, run posted closures, fire due timers. Returns 0 after a stop (the stop
 * request is consumed, so run may be called again), or SDK_EIO if epoll_wait fails. A stop
 * requested before run makes run return without waiting. */
int sdk_loop_run(sdk_loop *l);
/* One iteration, waiting at most max_wait_ms (0 = poll, -1 = until something happens).
 * Returns the number of callbacks run (>= 0) or SDK_EIO. Does not consume a stop request. */
int sdk_loop_run_once(sdk_loop *l, int max_wait_ms);
/* Asks sdk_loop_run to return after the current iteration. Thread-safe and async-signal-safe. */
void sdk_loop_stop(sdk_loop *l);
/* Callbacks (fd, timer, post) started since the loop was made, counted as each starts, plus one
 * per call of sdk_loop_run_once (its caller may have run code of its own between iterations): a
 * callback that reads the count and finds it one more than when it last ran knows that nothing
 * else ran on the loop thread in between (the HTTP server skips re-checking cached bodies then). */
uint64_t sdk_loop_dispatch_count(const sdk_loop *l);
/* Monotonic clock in milliseconds (CLOCK_MONOTONIC; not wall time). */
uint64_t sdk_loop_now_ms(const sdk_loop *l);

/* ---- fd watchers ---- */
enum {
    SDK_LOOP_READ = 1,
    SDK_LOOP_WRITE = 2,
    SDK_LOOP_ERROR = 4, /* reported only (EPOLLERR/EPOLLHUP); never needs to be asked for */
};
/* events: the subset of READ|WRITE that happened, plus ERROR on error/hang-up. */
typedef void (*sdk_loop_fd_cb)(sdk_loop *l, int fd, int events, void *ud);
/* Watches fd (level-triggered) for `interest` (READ|WRITE, 0 = keep registered but silent).
 * Calling it again for a watched fd replaces interest, callback and ud. The loop never closes fd.
 * Returns 0, SDK_EINVAL (fd < 0, unknown interest bits, or NULL cb), SDK_EIO (epoll refused the
 * fd, e.g. a regular file). */
int sdk_loop_watch_fd(sdk_loop *l, int fd, int interest, sdk_loop_fd_cb cb, void *ud);
/* Stops watching fd. Safe whether or not fd is still open. Returns 0 or SDK_ENOENT. */
int sdk_loop_unwatch_fd(sdk_loop *l, int fd);

/* ---- timers ---- */
/* Timer ids are never 0 and never reused within one loop. */
typedef void (*sdk_loop_timer_cb)(sdk_loop *l, uint64_t id, void *ud);
/* One-shot timer firing once after delay_ms (0 = on the next iteration). Timers with equal
 * deadlines fire in the order they were added. Returns 0 with *id set, or SDK_EINVAL (NULL cb). */
int sdk_loop_timer_add(sdk_loop *l, uint64_t delay_ms, sdk_loop_timer_cb cb, void *ud, uint64_t *id);
/* Periodic timer: first fires after interval_ms, then every interval_ms (deadlines advance by
 * the interval; if the loop fell behind by more than one interval, it skips the missed ticks
 * rather than firing a burst). Returns 0 with *id set, or SDK_EINVAL (interval 0 or NULL cb). */
int sdk_loop_timer_every(sdk_loop *l, uint64_t interval_ms, sdk_loop_timer_cb cb, void *ud, uint64_t *id);
/* Cancels a pending timer (or a periodic timer from inside its own callback, so it does not
 * repeat). Returns 0, or SDK_ENOENT if the id is unknown or a one-shot timer already fired. */
int sdk_loop_timer_cancel(sdk_loop *l, uint64_t id);
/* Number of pending timers (for tests and diagnostics). */
unsigned sdk_loop_timer_count(const sdk_loop *l);

/* ---- cross-thread posts ---- */
typedef void (*sdk_loop_post_cb)(sdk_loop *l, void *ud);
/* Queues fn(l, ud) to run on the loop thread, in FIFO order per posting thread, exactly once
 * (unless the loop is freed first: see sdk_loop_free). Callable from any thread, including the
 * loop thread (then it runs on a later iteration, never re-entrantly). Not async-signal-safe
 * (it allocates). Returns 0 or SDK_EINVAL (NULL fn). */
int sdk_loop_post(sdk_loop *l, sdk_loop_post_cb fn, void *ud);

/* ---- signals ---- */
typedef void (*sdk_loop_signal_cb)(sdk_loop *l, int signo, void *ud);
/* Routes SIGINT and SIGTERM through a signalfd watched by the loop, for a clean Ctrl-C: the
 * signals are blocked in the calling thread (call this before starting other threads so they
 * inherit the mask) and delivered as cb(l, signo, ud) on the loop thread. cb NULL means
 * sdk_loop_stop. Calling it again replaces cb. Returns 0 or SDK_EIO. */
int sdk_loop_handle_signals(sdk_loop *l, sdk_loop_signal_cb cb, void *ud);
#endif
