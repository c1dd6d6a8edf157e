/* Stored form of tasks: mesos.v1.TaskInfo / TaskStatus protobuf bytes, as in dcos-commons'
 * Tasks/<task>/TaskInfo and TaskStatus nodes (sdk-behaviour.md §7). The stored TaskInfo carries
 * its ExecutorInfo (so a relaunch knows the executor's reservations) and every label of §3.6.
 * The same encoding, minus the executor, is what LAUNCH_GROUP sends (core/mesos/launch_pb.c).
 *
 * Compatibility: a TaskInfo stored by an older build decodes (every field added since is
 * optional and absent means "none"), and fields this build does not model are kept as they are
 * only where they matter for a resend: the task's and the executor's ContainerInfo are kept as
 * their packed bytes. */
#ifndef SDK_MAPPING_TASKINFO_H
#define SDK_MAPPING_TASKINFO_H
#include <stddef.h>
#include "core/offer/evaluate.h"
#include "core/service/service.h"

/* Encodes a task (and its executor, may be NULL) into new protobuf bytes (free()). */
int sdk_taskinfo_encode_new(const sdk_task_desc *t, const sdk_executor_desc *ex, void **buf,
                            size_t *len);
/* Decodes stored bytes into t and ex (both zeroed first; release with
 * sdk_task_desc_free_contents / sdk_executor_desc_free_contents). SDK_ECORRUPT with a message
 * naming `where` when the bytes are not a valid TaskInfo. */
int sdk_taskinfo_decode(const void *buf, size_t len, const char *where, sdk_task_desc *t,
                        sdk_executor_desc *ex, sdk_errors *errs);
/* Stored status: what the service keeps of the last TaskStatus. */
typedef struct sdk_stored_status {
    char *task_id;
    sdk_tstate state;
    bool has_check_status, has_exit_code;
    int exit_code;
    char *ip;
    char *message;
    char *agent_id;
} sdk_stored_status;
int sdk_taskstatus_encode_new(const sdk_status_update *u, void **buf, size_t *len);
int sdk_taskstatus_decode(const void *buf, size_t len, const char *where, sdk_stored_status *st,
                          sdk_errors *errs);
void sdk_stored_status_free_contents(sdk_stored_status *st);
#endif
