/* A dry run of the spec -> Mesos mapping, for `scheduler --print-taskinfo POD-INDEX-TASK` and the
 * mapping's tests: what the scheduler would send to launch one task of a new pod instance. It
 * runs the real offer evaluation against one made-up offer that fits the pod (agent
 * "<agent-id>", every port, a MOUNT disk per MOUNT volume, the pre-reserved role's static
 * reservation) and encodes the LAUNCH_GROUP as the Mesos client does (core/mesos/launch_pb.c).
 * Writes nothing. */
#ifndef SDK_MAPPING_PREVIEW_H
#define SDK_MAPPING_PREVIEW_H
#include "core/offer/evaluate.h"
#include "core/util/err.h"
#include "mesos/proto/mesos.pb-c.h"

typedef struct sdk_mapping_preview {
    sdk_eval_result result;                 /* the evaluation and its operations */
    const sdk_task_desc *task;              /* the task's description, in result */
    const sdk_executor_desc *executor;      /* its executor's, in result */
    Mesos__V1__Offer__Operation *operation; /* the LAUNCH_GROUP as sent */
    const Mesos__V1__TaskInfo *task_info;   /* in operation */
    const Mesos__V1__ExecutorInfo *executor_info; /* in operation */
} sdk_mapping_preview;

/* Fills out for task `name` ("<pod>-<index>-<task>") of spec with scheduler environment env
 * (TASKCFG_*, SERVICE_TLD, ...). Returns 0 (release with sdk_mapping_preview_free), or
 * SDK_EINVAL with the reason in errs and out empty; an unknown name lists the tasks that exist. */
int sdk_mapping_preview_new(const sdk_spec *spec, const sdk_kv *env, size_t n_env, const char *name,
                            sdk_mapping_preview *out, sdk_errors *errs);
void sdk_mapping_preview_free(sdk_mapping_preview *p);
/* {"executor_info": {...}, "task_info": {...}} with Mesos' JSON field names, indented, every
 * UUID (task, executor, resource, persistence ids, VIP labels) replaced by "<uuid-N>" in order
 * of appearance so that the text changes only when the spec does. New string. */
char *sdk_mapping_preview_text_new(const sdk_mapping_preview *p);
#endif
