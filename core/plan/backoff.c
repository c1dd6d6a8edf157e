/* Launch backoff (§9.3): per task name, in memory, multiplicative, capped; on by default. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/plan/plan.h"
#include "core/util/str.h"

typedef struct backoff_entry {
    char *task;
    double delay_s;     /* current delay */
    double until;       /* clock value when the delay ends */
} backoff_entry;

struct sdk_backoff {
    sdk_backoff_config cfg;
    double (*now)(void *);
    void *now_arg;
    backoff_entry *e;
    size_t n, cap;
};

static double monotonic_now(void *arg) {
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* dcos-commons' delays (sdk/scheduler/.../plan/backoff/BackOff.java: FRAMEWORK_BACKOFF_FACTOR 1.15,
 * FRAMEWORK_INITIAL_BACKOFF 60 s, FRAMEWORK_MAX_LAUNCH_DELAY 300 s; ExponentialBackOff multiplies
 * the delay by the factor at each failure, capped, and clears it when the task is healthy).
 * Upstream enables it only when one of those variables (or ENABLE_BACKOFF) is set; here it is ON
 * unless ENABLE_BACKOFF=false: a crash-looping task otherwise relaunches as fast as offers come
 * (345 sandboxes in 45 s on the local cluster). */
void sdk_backoff_config_default(sdk_backoff_config *c) {
    c->enabled = true;
    c->initial_s = 60;
    c->factor = 1.15;
    c->max_s = 300;
}

sdk_backoff *sdk_backoff_new(const sdk_backoff_config *c) {
    sdk_backoff *b = sdk_xcalloc(1, sizeof *b);
    if (c) b->cfg = *c;
    else sdk_backoff_config_default(&b->cfg);
    b->now = monotonic_now;
    return b;
}

void sdk_backoff_free(sdk_backoff *b) {
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) free(b->e[i].task);
    free(b->e);
    free(b);
}

void sdk_backoff_set_clock(sdk_backoff *b, double (*now)(void *), void *arg) {
    b->now = now ? now : monotonic_now;
    b->now_arg = arg;
}

bool sdk_backoff_enabled(const sdk_backoff *b) { return b && b->cfg.enabled; }

static backoff_entry *find(const sdk_backoff *b, const char *task) {
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->e[i].task, task) == 0) return &b->e[i];
    return NULL;
}

void sdk_backoff_on_failure(sdk_backoff *b, const char *task) {
    if (!sdk_backoff_enabled(b) || !task) return;
    backoff_entry *e = find(b, task);
    if (!e) {
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 8;
            b->e = sdk_xrealloc(b->e, b->cap * sizeof *b->e);
        }
        e = &b->e[b->n++];
        e->task = sdk_xstrdup(task);
        e->delay_s = b->cfg.initial_s;
    } else {
        e->delay_s = fmin(e->delay_s * b->cfg.factor, b->cfg.max_s);
    }
    if (e->delay_s > b->cfg.max_s) e->delay_s = b->cfg.max_s;
    e->until = b->now(b->now_arg) + e->delay_s;
}

void sdk_backoff_clear(sdk_backoff *b, const char *task) {
    if (!b || !task) return;
    backoff_entry *e = find(b, task);
    if (!e) return;
    free(e->task);
    *e = b->e[--b->n];
}

bool sdk_backoff_is_delayed(sdk_backoff *b, const char *task) {
    if (!sdk_backoff_enabled(b) || !task) return false;
    backoff_entry *e = find(b, task);
    return e && b->now(b->now_arg) < e->until;
}

double sdk_backoff_current_delay_s(const sdk_backoff *b, const char *task) {
    if (!b || !task) return 0;
    backoff_entry *e = find(b, task);
    return e ? e->delay_s : 0;
}
