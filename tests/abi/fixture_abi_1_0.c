/* Fixture: a plugin built against the frozen ABI 1.0 header (tests/abi/sdk_plugin_1_0.h, a copy of
 * abi/sdk_plugin.h as 1.0 shipped it). Its descriptor is the 152-byte 1.0 one with the flat 1.0
 * options table; a 1.1 scheduler must load it, read the 1.1 fields as absent, and still offer its
 * options (as string options named after their variables). */
#include "sdk_plugin_1_0.h"

_Static_assert(SDK_PLUGIN_ABI_MINOR == 0, "built against the 1.0 header");
_Static_assert(sizeof(sdk_plugin_descriptor) == 152, "the 1.0 descriptor");

static const sdk_plugin_option OPTS[] = {
    {"OLD_COUNT", "2", "a count declared the 1.0 way"},
    {"OLD_NAME", "old", "a name declared the 1.0 way"},
};

static const sdk_plugin_descriptor DESC = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "fixture-abi-1-0",
    .version = "1.0.0",
    .description = "a plugin built against ABI 1.0",
    .options = OPTS,
    .n_options = 2,
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &DESC; }
