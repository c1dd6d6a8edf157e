/* Fixture: the smallest valid plugin. Keeps a per-instance counter to prove instances do not
 * share state (no globals). */
#include <stdlib.h>
#include "sdk_plugin.h"

typedef struct ok_state {
    const sdk_host_api *api;
    sdk_plugin_host *host;
    int calls;
} ok_state;

static int ok_init(const sdk_host_api *api, sdk_plugin_host *host, void **state,
                   sdk_plugin_errors *errs) {
    (void)errs;
    ok_state *s = calloc(1, sizeof *s);
    if (!s) return SDK_PLUGIN_ENOMEM;
    s->api = api;
    s->host = host;
    *state = s;
    return SDK_PLUGIN_OK;
}

static void ok_fini(void *state) { free(state); }

static void ok_status(void *state, const sdk_plugin_task_status *st) {
    (void)st;
    ((ok_state *)state)->calls++;
}

static const sdk_plugin_descriptor DESC = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "fixture-ok",
    .version = "1.0.0",
    .description = "minimal valid plugin",
    .init = ok_init,
    .fini = ok_fini,
    .task_status = ok_status,
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &DESC; }
