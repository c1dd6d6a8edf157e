/* Internal to the kafka plugin: the svc.yml template (kafka_spec.c). */
#ifndef KAFKA_PLUGIN_H
#define KAFKA_PLUGIN_H
#include "sdk_plugin.h"

extern const char kafka_spec_template[];
#endif
