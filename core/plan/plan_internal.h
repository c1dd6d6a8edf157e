/* Private to core/plan: shared between plan.c and coordinator.c. Not for other modules. */
#ifndef SDK_PLAN_INTERNAL_H
#define SDK_PLAN_INTERNAL_H
#include "core/plan/plan.h"
#include "core/util/strmap.h"

/* Dirty assets: steps others are working on, indexed by pod instance (only steps of the same
 * pod instance can conflict, so a candidate is checked against those alone). */
typedef struct sdk_dirty_node {
    sdk_step *step;
    size_t owner; /* index of the plan working on it; SIZE_MAX: chosen this cycle */
    size_t next;  /* index + 1 of the next node of the same pod instance; 0 = none */
} sdk_dirty_node;
typedef struct sdk_dirty {
    sdk_strmap by_instance; /* pod instance -> (index + 1) of its first node */
    sdk_dirty_node *nodes;
    size_t n, cap;
    size_t exclude_owner;   /* nodes of this owner are not conflicts (a plan's own steps) */
} sdk_dirty;
void sdk_dirty_init(sdk_dirty *d);
void sdk_dirty_free(sdk_dirty *d);
void sdk_dirty_clear(sdk_dirty *d);
void sdk_dirty_add(sdk_dirty *d, sdk_step *s, size_t owner); /* pod steps only; others ignored */
bool sdk_dirty_conflicts(const sdk_dirty *d, const sdk_step *s); /* NULL d: false */

/* Candidate steps of one plan given dirty assets (may be NULL): the plan strategy's candidate
 * phases, then each phase strategy's candidate steps. Writes at most cap entries to out;
 * returns the count. An interrupted plan has none. */
size_t sdk_plan__step_candidates(sdk_plan *p, const sdk_dirty *dirty, sdk_candidate *out, size_t cap);
#endif
