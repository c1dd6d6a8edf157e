/* The terminal printer: a subscriber of the operator events (core/events/events.h) that writes
 * each one as a line "HH:MM:SS <text>" (the bus's one clock, UTC like the log). */
#ifndef SDK_APP_PROGRESS_H
#define SDK_APP_PROGRESS_H
#include <stdio.h>
#include "core/events/events.h"

typedef struct sdk_progress sdk_progress;
/* Subscribes to bus (borrowed; must outlive the printer) and prints to out. */
sdk_progress *sdk_progress_new(FILE *out, sdk_events *bus);
void sdk_progress_free(sdk_progress *p); /* unsubscribes; NULL is a no-op */
#endif
