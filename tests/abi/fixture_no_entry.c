/* Fixture: a shared object that exports something, but not sdk_plugin_entry. */
#include "sdk_plugin.h"

SDK_PLUGIN_EXPORT int not_a_plugin_entry(void);
SDK_PLUGIN_EXPORT int not_a_plugin_entry(void) { return 42; }
