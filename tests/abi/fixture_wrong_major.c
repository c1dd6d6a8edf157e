/* Fixture: claims ABI 2.0, which a 1.x scheduler must refuse. */
#include "sdk_plugin.h"

static const sdk_plugin_descriptor DESC = {
    .abi_major = 2,
    .abi_minor = 0,
    .size = sizeof(sdk_plugin_descriptor),
    .name = "fixture-wrong-major",
    .version = "2.0.0",
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &DESC; }
