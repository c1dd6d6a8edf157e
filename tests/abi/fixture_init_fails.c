/* Fixture: a valid descriptor whose init() refuses to start, with a reason. */
#include "sdk_plugin.h"

static int fail_init(const sdk_host_api *api, sdk_plugin_host *host, void **state,
                     sdk_plugin_errors *errs) {
    (void)host;
    (void)state;
    const char *where = api->option(host, "FIXTURE_ENDPOINT");
    api->error(errs, "cannot reach the configuration service at %s", where ? where : "(unset)");
    return SDK_PLUGIN_EFAILED;
}

static void fail_fini(void *state) {
    (void)state;
    __builtin_trap(); /* fini must never run after a failed init */
}

static const sdk_plugin_descriptor DESC = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "fixture-init-fails",
    .version = "0.1",
    .init = fail_init,
    .fini = fail_fini,
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &DESC; }
