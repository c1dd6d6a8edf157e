/* Plan coordinator (§4.6) and the /v1/health code derived from plans (§6.7). */
#include <stdlib.h>
#include <string.h>
#include "core/plan/plan.h"
#include "core/plan/plan_internal.h"
#include "core/util/str.h"

static size_t plan_step_count(const sdk_plan *p) {
    size_t n = 0;
    for (size_t i = 0; i < p->n_phases; i++) n += p->phases[i]->n_steps;
    return n;
}

int sdk_plan_candidates_new(sdk_plan *const *plans, size_t n, sdk_candidate **out, size_t *n_out) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += plan_step_count(plans[i]);
    /* in-flight steps with their owning plan index */
    sdk_step **busy = sdk_xcalloc(total + 1, sizeof *busy);
    size_t *busy_owner = sdk_xcalloc(total + 1, sizeof *busy_owner);
    size_t n_busy = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < plans[i]->n_phases; a++)
            for (size_t b = 0; b < plans[i]->phases[a]->n_steps; b++) {
                sdk_step *s = plans[i]->phases[a]->steps[b];
                if (s->kind == SDK_STEP_POD && (s->status == SDK_STATUS_PREPARED || s->status == SDK_STATUS_STARTING)) {
                    busy[n_busy] = s;
                    busy_owner[n_busy++] = i;
                }
            }
    sdk_candidate *chosen = sdk_xcalloc(total + 1, sizeof *chosen);
    size_t n_chosen = 0;
    sdk_step **dirty = sdk_xcalloc(2 * total + 1, sizeof *dirty);
    sdk_candidate *cands = sdk_xcalloc(total + 1, sizeof *cands);
    for (size_t i = 0; i < n; i++) {
        sdk_plan *p = plans[i];
        if (sdk_plan_is_interrupted(p)) continue;
        size_t nd = 0;
        for (size_t k = 0; k < n_busy; k++)
            if (busy_owner[k] != i) dirty[nd++] = busy[k];
        for (size_t k = 0; k < n_chosen; k++) dirty[nd++] = chosen[k].step;
        size_t first_of_plan = n_chosen;
        size_t nc = sdk_plan__step_candidates(p, dirty, nd, cands, total);
        for (size_t c = 0; c < nc; c++) {
            sdk_step *s = cands[c].step;
            bool dup = false;
            /* one step per pod instance at a time within a plan; across plans the conflict
             * rule (common task) applies to steps chosen earlier in this cycle */
            for (size_t k = 0; k < n_chosen && !dup; k++) {
                sdk_step *o = chosen[k].step;
                if (!s->pod_instance || !o->pod_instance) continue;
                if (k >= first_of_plan) dup = strcmp(s->pod_instance, o->pod_instance) == 0;
                else dup = sdk_step_conflicts(s, o);
            }
            if (!dup) chosen[n_chosen++] = cands[c];
        }
    }
    free(busy);
    free(busy_owner);
    free(dirty);
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
    if (deploy) {
        if (sdk_plan_has_step_status(deploy, SDK_STATUS_DELAYED)) return 208;
        if (sdk_plan_has_step_status(deploy, SDK_STATUS_PENDING) ||
            sdk_plan_has_step_status(deploy, SDK_STATUS_PREPARED))
            return 204;
        if (sdk_plan_has_step_status(deploy, SDK_STATUS_STARTING) ||
            sdk_plan_has_step_status(deploy, SDK_STATUS_STARTED))
            return 202;
        if (any_interrupted(deploy)) return 207;
    }
    if (recovery && sdk_plan_status(recovery) != SDK_STATUS_COMPLETE) {
        if (sdk_plan_has_step_status(recovery, SDK_STATUS_DELAYED)) return 208;
        if (sdk_plan_has_step_status(recovery, SDK_STATUS_PENDING) ||
            sdk_plan_has_step_status(recovery, SDK_STATUS_PREPARED))
            return 203;
        if (sdk_plan_has_step_status(recovery, SDK_STATUS_STARTING) ||
            sdk_plan_has_step_status(recovery, SDK_STATUS_STARTED))
            return 205;
    }
    if (deploy && sdk_plan_status(deploy) == SDK_STATUS_COMPLETE) {
        for (size_t i = 0; i < n; i++)
            if (strstr(plans[i]->name, "restor") && sdk_status_is_running(sdk_plan_status(plans[i]))) return 321;
        for (size_t i = 0; i < n; i++)
            if (strstr(plans[i]->name, "back") && sdk_status_is_running(sdk_plan_status(plans[i]))) return 320;
        return 200;
    }
    return 503;
}
