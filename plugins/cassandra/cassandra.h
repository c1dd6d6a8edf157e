/* Internal to the cassandra plugin: the svc.yml template (cassandra_spec.c). */
#ifndef CASSANDRA_PLUGIN_H
#define CASSANDRA_PLUGIN_H
#include "sdk_plugin.h"

extern const char cassandra_spec_template[];
#endif
