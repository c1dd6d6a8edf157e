/* Fixture: claims a minor version newer than the scheduler's (built against a future header). */
#include "sdk_plugin.h"

static const sdk_plugin_descriptor DESC = {
    .abi_major = SDK_PLUGIN_ABI_MAJOR,
    .abi_minor = SDK_PLUGIN_ABI_MINOR + 3,
    .size = sizeof(sdk_plugin_descriptor),
    .name = "fixture-newer-minor",
    .version = "1.3.0",
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &DESC; }
