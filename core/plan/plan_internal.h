/* Private to core/plan: shared between plan.c and coordinator.c. Not for other modules. */
#ifndef SDK_PLAN_INTERNAL_H
#define SDK_PLAN_INTERNAL_H
#include "core/plan/plan.h"

/* Candidate steps of one plan given dirty assets (steps others are working on): the plan
 * strategy's candidate phases, then each phase strategy's candidate steps. Writes at most cap
 * entries to out; returns the count. An interrupted plan has none. */
size_t sdk_plan__step_candidates(sdk_plan *p, sdk_step *const *dirty, size_t n_dirty,
                                 sdk_candidate *out, size_t cap);
#endif
