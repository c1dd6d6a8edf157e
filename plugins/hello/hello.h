/* Internal to the hello plugin: the svc.yml template (hello_spec.c). */
#ifndef HELLO_PLUGIN_H
#define HELLO_PLUGIN_H
#include "sdk_plugin.h"

extern const char hello_spec_template[];
#endif
