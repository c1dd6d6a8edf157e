/* Internal to the zookeeper plugin: the svc.yml template (zookeeper_spec.c). */
#ifndef ZOOKEEPER_PLUGIN_H
#define ZOOKEEPER_PLUGIN_H
#include "sdk_plugin.h"

extern const char zookeeper_spec_template[];
#endif
