/* Internal to the HDFS plugin: the svc.yml template and the Hadoop configuration templates
 * (hdfs_spec.c). */
#ifndef HDFS_PLUGIN_H
#define HDFS_PLUGIN_H
#include "sdk_plugin.h"

extern const char hdfs_spec_template[];
extern const char hdfs_site_template[];
extern const char hdfs_core_site_template[];
#endif
