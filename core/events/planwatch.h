/* Plan changes as operator events: compares each plan with what it was at the previous call and
 * publishes what changed (core/events/events.h):
 *   - SDK_EV_STEP for each step whose status changed (not for the steps of a plan's first call:
 *     the plan line says where it stands);
 *   - SDK_EV_PLAN when the plan's status, steps complete, step count or errors changed - never
 *     twice the same summary;
 *   - SDK_EV_RECOVERY when a recovery step appears (kind transient/permanent; the cause is the
 *     pod's latest task-failed event, or the pod operation that asked for it);
 *   - SDK_EV_DECOMMISSION when a decommission phase appears.
 * Loop thread only. */
#ifndef SDK_EVENTS_PLANWATCH_H
#define SDK_EVENTS_PLANWATCH_H
#include "core/events/events.h"
#include "core/plan/plan.h"

typedef struct sdk_plan_watch sdk_plan_watch;
/* Watches plans for bus (borrowed; must outlive the watch). */
sdk_plan_watch *sdk_plan_watch_new(sdk_events *bus);
void sdk_plan_watch_free(sdk_plan_watch *w); /* NULL is a no-op */
/* Publishes what changed in `plan` since the last call for a plan of that name. */
void sdk_plan_watch_update(sdk_plan_watch *w, sdk_plan *plan);
/* True when a plan of that name was updated before (its later changes are news). */
bool sdk_plan_watch_knows(const sdk_plan_watch *w, const char *plan_name);
#endif
