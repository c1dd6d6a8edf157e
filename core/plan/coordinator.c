/* Plan coordinator (§4.6) and the /v1/health code derived from plans (§6.7). */
#include <stdlib.h>
#include <string.h>
#include "core/plan/plan.h"
#include "core/plan/plan_internal.h"
#include <stdint.h>
#include "core/util/str.h"

static size_t plan_step_count(const sdk_plan *p) {
    size_t n = 0;
    for (size_t i = 0; i < p->n_phases; i++) n += p->phases[i]->n_steps;
    return n;
}

void sdk_dirty_init(sdk_dirty *d) {
    memset(d, 0, sizeof *d);
    sdk_strmap_init(&d->by_instance);
    d->exclude_owner = SIZE_MAX - 1;
}
void sdk_dirty_free(sdk_dirty *d) {
    sdk_strmap_free(&d->by_instance);
    free(d->nodes);
    memset(d, 0, sizeof *d);
}
void sdk_dirty_clear(sdk_dirty *d) {
    sdk_strmap_clear(&d->by_instance);
    d->n = 0;
}
void sdk_dirty_add(sdk_dirty *d, sdk_step *s, size_t owner) {
    if (s->kind != SDK_STEP_POD || !s->pod_instance) return;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->nodes = sdk_xrealloc(d->nodes, d->cap * sizeof *d->nodes);
    }
    void **head = sdk_strmap_slot(&d->by_instance, s->pod_instance, NULL);
    d->nodes[d->n].step = s;
    d->nodes[d->n].owner = owner;
    d->nodes[d->n].next = (size_t)(uintptr_t)*head;
    *head = (void *)(uintptr_t)(d->n + 1);
    d->n++;
}
bool sdk_dirty_conflicts(const sdk_dirty *d, const sdk_step *s) {
    if (!d || !s->pod_instance) return false;
    for (size_t i = (size_t)(uintptr_t)sdk_strmap_get(&d->by_instance, s->pod_instance); i; i = d->nodes[i - 1].next) {
        const sdk_dirty_node *nd = &d->nodes[i - 1];
        if (nd->owner == d->exclude_owner) continue;
        if (nd->step != s && sdk_step_conflicts(s, nd->step)) return true;
    }
    return false;
}

int sdk_plan_candidates_new(sdk_plan *const *plans, size_t n, sdk_candidate **out, size_t *n_out) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += plan_step_count(plans[i]);
    /* One index of every in-flight step, tagged with its plan; each plan ignores its own. Steps
     * chosen this cycle join it (owner SIZE_MAX) and bind every plan after them. */
    /* Plan i's entries are read only by the other plans' candidates: with at most one plan that
     * has steps (a deploy with empty recovery and decommission plans), nobody reads them, and
     * indexing every in-flight step per call cost a hash insertion per step of a 10,000-pod
     * deploy. later[i]: some plan after i has steps (only those read what plan i chooses). */
    size_t with_steps = 0;
    bool *later = sdk_xcalloc(n + 1, sizeof *later);
    for (size_t i = n; i-- > 0;) {
        later[i] = with_steps > 0;
        with_steps += plan_step_count(plans[i]) > 0;
    }
    sdk_dirty dirty;
    sdk_dirty_init(&dirty);
    for (size_t i = 0; i < n && with_steps > 1; i++)
        for (size_t a = 0; a < plans[i]->n_phases; a++)
            for (size_t b = 0; b < plans[i]->phases[a]->n_steps; b++) {
                sdk_step *s = plans[i]->phases[a]->steps[b];
                if (s->kind == SDK_STEP_POD && (s->status == SDK_STATUS_PREPARED || s->status == SDK_STATUS_STARTING))
                    sdk_dirty_add(&dirty, s, i);
            }
    sdk_candidate *chosen = sdk_xcalloc(total + 1, sizeof *chosen);
    size_t n_chosen = 0;
    sdk_candidate *cands = sdk_xcalloc(total + 1, sizeof *cands);
    sdk_dirty earlier;       /* steps chosen by higher-priority plans this cycle */
    sdk_dirty_init(&earlier);
    sdk_strmap mine_inst;    /* pod instances chosen by the current plan */
    sdk_strmap_init(&mine_inst);
    for (size_t i = 0; i < n; i++) {
        sdk_plan *p = plans[i];
        if (sdk_plan_is_interrupted(p)) continue;
        dirty.exclude_owner = i;
        sdk_strmap_clear(&mine_inst);
        size_t first = n_chosen;
        size_t nc = sdk_plan__step_candidates(p, &dirty, cands, total);
        for (size_t c = 0; c < nc; c++) {
            sdk_step *s = cands[c].step;
            /* one step per pod instance at a time within a plan; across plans the conflict
             * rule (common task) applies to steps chosen earlier in this cycle */
            bool dup = s->pod_instance &&
                       (sdk_strmap_has(&mine_inst, s->pod_instance) || sdk_dirty_conflicts(&earlier, s));
            if (dup) continue;
            chosen[n_chosen++] = cands[c];
            if (s->pod_instance) sdk_strmap_put(&mine_inst, s->pod_instance, s);
        }
        for (size_t k = first; k < n_chosen && later[i]; k++) {
            sdk_dirty_add(&earlier, chosen[k].step, SIZE_MAX);
            sdk_dirty_add(&dirty, chosen[k].step, SIZE_MAX);
        }
    }
    free(later);
    sdk_dirty_free(&dirty);
    sdk_dirty_free(&earlier);
    sdk_strmap_free(&mine_inst);
    free(cands);
    *out = chosen;
    *n_out = n_chosen;
    return 0;
}

static bool any_interrupted(sdk_plan *p) {
    if (sdk_plan_is_interrupted(p)) return true;
    for (size_t i = 0; i < p->n_phases; i++) {
        if (sdk_phase_is_interrupted(p->phases[i])) return true;
        for (size_t j = 0; j < p->phases[i]->n_steps; j++)
            if (p->phases[i]->steps[j]->interrupted) return true;
    }
    return false;
}

int sdk_plan_health_code(sdk_plan *const *plans, size_t n, sdk_plan *deploy, sdk_plan *recovery,
                         bool has_framework_id) {
    for (size_t i = 0; i < n; i++)
        if (sdk_plan_error_count(plans[i]) > 0) return 500;
    if (!has_framework_id) return 318;
    /* one pass over each plan's steps for all of its questions (this answers every health poll) */
#define HAS(mask, st) (((mask) >> (st)) & 1u)
    if (deploy) {
        unsigned m = sdk_plan_step_status_mask(deploy);
        if (HAS(m, SDK_STATUS_DELAYED)) return 208;
        if (HAS(m, SDK_STATUS_PENDING) || HAS(m, SDK_STATUS_PREPARED)) return 204;
        if (HAS(m, SDK_STATUS_STARTING) || HAS(m, SDK_STATUS_STARTED)) return 202;
        if (any_interrupted(deploy)) return 207;
    }
    if (recovery && sdk_plan_status(recovery) != SDK_STATUS_COMPLETE) {
        unsigned m = sdk_plan_step_status_mask(recovery);
        if (HAS(m, SDK_STATUS_DELAYED)) return 208;
        if (HAS(m, SDK_STATUS_PENDING) || HAS(m, SDK_STATUS_PREPARED)) return 203;
        if (HAS(m, SDK_STATUS_STARTING) || HAS(m, SDK_STATUS_STARTED)) return 205;
    }
#undef HAS
    if (deploy && sdk_plan_status(deploy) == SDK_STATUS_COMPLETE) {
        for (size_t i = 0; i < n; i++)
            if (strstr(plans[i]->name, "restor") && sdk_status_is_running(sdk_plan_status(plans[i]))) return 321;
        for (size_t i = 0; i < n; i++)
            if (strstr(plans[i]->name, "back") && sdk_status_is_running(sdk_plan_status(plans[i]))) return 320;
        return 200;
    }
    return 503;
}
