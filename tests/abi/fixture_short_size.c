/* Fixture: a descriptor whose size is smaller than the 1.0 layout (a hand-made or truncated
 * struct). The scheduler must not read past it. */
#include "sdk_plugin.h"

typedef struct short_descriptor {
    uint32_t abi_major, abi_minor, size, reserved;
    const char *name;
} short_descriptor;

static const short_descriptor DESC = {
    .abi_major = SDK_PLUGIN_ABI_MAJOR,
    .abi_minor = 0,
    .size = sizeof(short_descriptor),
    .name = "fixture-short-size",
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) {
    return (const sdk_plugin_descriptor *)(const void *)&DESC;
}
