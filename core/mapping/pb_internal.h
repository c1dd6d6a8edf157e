/* Private to core/mapping: helpers for building protobuf-c messages on the heap, released with
 * protobuf_c_message_free_unpacked(.., NULL) by whoever packs them. */
#ifndef SDK_MAPPING_PB_INTERNAL_H
#define SDK_MAPPING_PB_INTERNAL_H
#include "core/spec/spec.h"
#include "core/util/str.h"
#include "mesos/proto/mesos.pb-c.h"

/* A new, initialised message of type T (init: its generated __init function). */
#define NEW(T, init) ({ T *p_ = sdk_xmalloc(sizeof(T)); init(p_); p_; })

/* New Labels holding copies of kv[0..n). */
Mesos__V1__Labels *sdk_mapping_labels_pb_new(const sdk_kv *kv, size_t n);
#endif
