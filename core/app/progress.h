/* Deploy progress on the terminal: one line per step status change and a summary line. */
#ifndef SDK_APP_PROGRESS_H
#define SDK_APP_PROGRESS_H
#include <stdio.h>
#include "core/plan/plan.h"

typedef struct sdk_progress sdk_progress;
sdk_progress *sdk_progress_new(FILE *out);
void sdk_progress_free(sdk_progress *p);
/* Prints what changed in `plan` since the last call (every step on the first call). */
void sdk_progress_update(sdk_progress *p, sdk_plan *plan);
#endif
