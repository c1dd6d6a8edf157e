/* The human-readable summary `scheduler --validate` prints: pods, tasks, resources, plans. */
#ifndef SDK_APP_SUMMARY_H
#define SDK_APP_SUMMARY_H
#include <stdio.h>
#include "core/spec/spec.h"
/* Writes the summary of spec (and its plans as they would start on a fresh install) to out.
 * Returns 0, or the error of plan construction (with errs filled). */
int sdk_print_summary(FILE *out, const sdk_spec *spec, sdk_errors *errs);
#endif
