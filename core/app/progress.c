#include "core/app/progress.h"
#include "core/util/str.h"
#include "core/util/strmap.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct seen {
    char id[SDK_UUID_STRLEN + 1];
    sdk_status status;
} seen;

struct sdk_progress {
    FILE *out;
    seen **steps;     /* in plan order as last seen; each allocated alone (its id keys by_id) */
    size_t n;
    sdk_strmap by_id; /* step id -> seen */
    sdk_status plan_status;
    bool started;
};

sdk_progress *sdk_progress_new(FILE *out) {
    sdk_progress *p = sdk_xcalloc(1, sizeof *p);
    p->out = out;
    return p;
}
void sdk_progress_free(sdk_progress *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) free(p->steps[i]);
    free(p->steps);
    sdk_strmap_free(&p->by_id);
    free(p);
}

/* Steps keep their order between calls, so the k-th step is usually at position k: check there
 * first, else look the id up (a rebuilt plan, or a step not seen before). */
static seen *find(sdk_progress *p, size_t k, const char *id) {
    if (k < p->n && !strcmp(p->steps[k]->id, id)) return p->steps[k];
    return sdk_strmap_get(&p->by_id, id);
}

static void stamp(FILE *out) {
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char b[16];
    strftime(b, sizeof b, "%H:%M:%S", &tm);
    fprintf(out, "%s ", b);
}

void sdk_progress_update(sdk_progress *p, sdk_plan *plan) {
    if (!plan) return;
    size_t total = 0, done = 0;
    bool changed = false;
    for (size_t i = 0; i < plan->n_phases; i++) {
        sdk_phase *ph = plan->phases[i];
        for (size_t j = 0; j < ph->n_steps; j++) {
            sdk_step *st = ph->steps[j];
            sdk_status s = sdk_step_status(st);
            total++;
            if (s == SDK_STATUS_COMPLETE) done++;
            seen *e = find(p, total - 1, st->id);
            if (!e) {
                if (p->n % 64 == 0) p->steps = sdk_xrealloc(p->steps, (p->n + 64) * sizeof *p->steps);
                e = sdk_xcalloc(1, sizeof *e);
                p->steps[p->n++] = e;
                memcpy(e->id, st->id, sizeof e->id);
                sdk_strmap_put(&p->by_id, e->id, e);
                e->status = s;
                if (!p->started) continue;
                changed = true;
                stamp(p->out);
                fprintf(p->out, "  %s / %s: %s\n", ph->name, st->name, sdk_status_name(s));
                continue;
            }
            if (e->status == s) continue;
            changed = true;
            stamp(p->out);
            fprintf(p->out, "  %s / %s: %s -> %s\n", ph->name, st->name, sdk_status_name(e->status),
                    sdk_status_name(s));
            e->status = s;
        }
    }
    sdk_status ps = sdk_plan_status(plan);
    if (!p->started || changed || ps != p->plan_status) {
        stamp(p->out);
        fprintf(p->out, "%s plan: %s, %zu of %zu steps complete\n", plan->name, sdk_status_name(ps), done, total);
        if (sdk_plan_error_count(plan)) {
            for (size_t i = 0; i < plan->errors.n; i++) fprintf(p->out, "    error: %s\n", plan->errors.msgs[i]);
        }
    }
    p->plan_status = ps;
    p->started = true;
    fflush(p->out);
}
