/* Conversion between protobuf Resources (Mesos__V1__Resource, protobuf-c) and the plain C
 * model of mesos/resources.h, plus offer-attribute formatting and accessors for the
 * deprecated proto fields (role) that protobuf-c marks deprecated.
 *
 * Input accepts both resource formats of mesos-v1-protocol.md §5.3 and upgrades the
 * pre-refinement one: role "*" or unset -> unreserved; role R -> [STATIC R];
 * role R + reservation{principal,labels} -> [DYNAMIC R]. A one-entry `reservations` may
 * coexist with a consistent legacy role/reservation; deeper stacks may not.
 * Output is the post-refinement format, or the pre-refinement one for frameworks without
 * RESERVATION_REFINEMENT (a stack deeper than 1 cannot be expressed there: error).
 *
 * Not representable in sdk_resource and therefore refused on input with an error naming the
 * resource: revocable, shared, provider_id, and BLOCK/RAW disk sources. Dropped on input:
 * Volume fields other than container_path/mode (host_path, source, image) and DiskInfo.Source
 * vendor/id/metadata. Ranges and set items are copied as given (not sorted, not checked for
 * overlap or duplicates): sdk_resource_valid judges those.
 *
 * Protobuf messages returned here are malloc-allocated trees; free them with
 * sdk_pb_resource_free / sdk_pb_resources_free (= protobuf_c_message_free_unpacked(m, NULL)).
 */
#ifndef SDK_MESOS_RESOURCES_PB_H
#define SDK_MESOS_RESOURCES_PB_H
#include <stddef.h>
#include "core/util/err.h"
#include "mesos/proto/mesos.pb-c.h"
#include "mesos/resources.h"

typedef enum {
    SDK_RES_FORMAT_REFINED = 0, /* `reservations` stack (RESERVATION_REFINEMENT frameworks, the master's own) */
    SDK_RES_FORMAT_LEGACY = 1,  /* `role` + `reservation` (frameworks without RESERVATION_REFINEMENT) */
} sdk_res_format;

/* Fills *dst (overwritten; need not be initialised) from pb. Returns 0, or SDK_EINVAL with
 * a message naming the resource (e.g. "resource 'cpus': ...") appended to errs and *dst
 * zeroed. */
int sdk_resource_from_pb(sdk_resource *dst, const Mesos__V1__Resource *pb, sdk_errors *errs);

/* Appends each of the n pb resources to rs as its own entry, in order (no merging; use
 * sdk_resources_add for arithmetic). All or nothing: on SDK_EINVAL rs is unchanged and errs
 * names every bad resource as "resources[i]: resource 'name': ...". */
int sdk_resources_from_pb(sdk_resources *rs, Mesos__V1__Resource *const *pb, size_t n, sdk_errors *errs);

/* New protobuf Resource for r in the given format. Returns 0, or SDK_EINVAL (legacy format
 * and a reservation stack deeper than 1) with *out NULL. */
int sdk_resource_to_pb_new(const sdk_resource *r, sdk_res_format fmt, Mesos__V1__Resource **out,
                           sdk_errors *errs);

/* New array of rs->n new Resources (*out NULL when rs is empty). All or nothing. */
int sdk_resources_to_pb_new(const sdk_resources *rs, sdk_res_format fmt, Mesos__V1__Resource ***out,
                            size_t *n_out, sdk_errors *errs);

void sdk_pb_resource_free(Mesos__V1__Resource *r);
/* Frees the n resources and the array itself. */
void sdk_pb_resources_free(Mesos__V1__Resource **v, size_t n);

/* ---- attributes (dcos-commons format, sdk-behaviour.md §3.6) ---- */
/* Value only: scalar "%.3f", ranges "[b-e,b-e]", set "{a,b}", text verbatim. New string. */
char *sdk_attribute_value_to_string_new(const Mesos__V1__Attribute *a);
/* "name:value". New string. */
char *sdk_attribute_to_string_new(const Mesos__V1__Attribute *a);
/* "name:value;name:value" (the `offer_attributes` task label). New string ("" when n == 0). */
char *sdk_attributes_to_string_new(Mesos__V1__Attribute *const *v, size_t n);

/* ---- deprecated proto fields ---- */
/* FrameworkInfo.role / Resource.role when explicitly set, else NULL. */
const char *sdk_pb_framework_info_role(const Mesos__V1__FrameworkInfo *fi);
const char *sdk_pb_resource_role(const Mesos__V1__Resource *r);
/* Sets the field to a copy of role (NULL: back to unset), freeing a previous copy. For
 * messages built with the protobuf-c INIT macros or unpacked/parsed ones. */
void sdk_pb_framework_info_set_role(Mesos__V1__FrameworkInfo *fi, const char *role);
void sdk_pb_resource_set_role(Mesos__V1__Resource *r, const char *role);
#endif
