/* Fixture: sdk_plugin_entry() exists but refuses to load by returning NULL. */
#include "sdk_plugin.h"

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return NULL; }
