/* Offer operations (core/offer/evaluate.h sdk_operation) -> mesos.v1.Offer.Operation protobuf,
 * for the ACCEPT call. Internal to core/mesos. */
#ifndef SDK_MESOS_LAUNCH_PB_H
#define SDK_MESOS_LAUNCH_PB_H
#include "core/offer/evaluate.h"
#include "core/util/err.h"
#include "mesos/proto/mesos.pb-c.h"

/* New Offer.Operation for op, resources in the post-refinement format. A LAUNCH_GROUP becomes
 * one ExecutorInfo (type DEFAULT, framework_id filled from framework_id when the description has
 * none) and TaskInfos without executor, each with agent_id = the offer's agent_id (the encoding
 * is the lead's sdk_taskinfo_encode_new, so what is sent equals what is stored).
 * Returns 0 and a heap tree (free with protobuf_c_message_free_unpacked(&op->base, NULL)), or
 * SDK_EINVAL with a message naming the operation in errs and *out NULL. */
int sdk_mesos_operation_pb_new(const sdk_operation *op, const char *agent_id, const char *framework_id,
                               Mesos__V1__Offer__Operation **out, sdk_errors *errs);
#endif
