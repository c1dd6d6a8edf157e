/* scheduler --print-taskinfo POD-INDEX-TASK (see print_taskinfo.c). */
#ifndef SDK_APP_PRINT_TASKINFO_H
#define SDK_APP_PRINT_TASKINFO_H
#include <stdio.h>
#include "core/spec/spec.h"
#include "core/util/err.h"

/* Prints {"executor_info": {...}, "task_info": {...}} (Mesos JSON field names) for task `name`
 * ("<pod>-<index>-<task>") of spec, launched as a new pod instance with scheduler environment
 * env (TASKCFG_*, SERVICE_TLD, ...). Returns 0, or SDK_EINVAL with the reason in errs (an unknown
 * name lists the tasks that exist). Writes nothing but to `out`. */
int sdk_print_taskinfo(FILE *out, const sdk_spec *spec, const sdk_kv *env, size_t n_env, const char *name,
                       sdk_errors *errs);
#endif
