#include "core/app/progress.h"
#include "core/util/str.h"
#include <stdlib.h>

struct sdk_progress {
    FILE *out;
    sdk_events *bus;
    uint64_t sub;
};

static void print_event(const sdk_event *e, void *ud) {
    sdk_progress *p = ud;
    if (e->type == SDK_EV_DROPPED) return; /* about a slow API client, not the terminal */
    char when[16];
    sdk_event_clock_text(e->time, when, sizeof when);
    char *text = sdk_event_text_new(e);
    fprintf(p->out, "%s %s\n", when, text);
    free(text);
    fflush(p->out);
}

sdk_progress *sdk_progress_new(FILE *out, sdk_events *bus) {
    sdk_progress *p = sdk_xcalloc(1, sizeof *p);
    p->out = out;
    p->bus = bus;
    p->sub = sdk_events_subscribe(bus, print_event, p);
    return p;
}

void sdk_progress_free(sdk_progress *p) {
    if (!p) return;
    sdk_events_unsubscribe(p->bus, p->sub);
    free(p);
}
