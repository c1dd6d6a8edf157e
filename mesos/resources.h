/* Mesos resources as plain C values, with the master's arithmetic (mesos-v1-protocol.md §5.1).
 *
 * This is the one representation of resources inside the scheduler and the local cluster.
 * Protobuf conversion lives in mesos/resources_pb.c; everything else (offer evaluation,
 * reservations, the local allocator) works on these structs.
 *
 * Scalars are fixed-point with 3 decimals: `milli` = llround(value * 1000), at most
 * SDK_SCALAR_MAX_MILLI in magnitude; sums saturate instead of overflowing. Ranges are
 * inclusive and kept sorted and coalesced inside a collection. Ownership: an sdk_resources
 * owns its entries and every string in them; functions named _dup/_new allocate, _free
 * releases; all others borrow.
 */
#ifndef SDK_MESOS_RESOURCES_H
#define SDK_MESOS_RESOURCES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util/err.h"

typedef enum { SDK_RES_SCALAR = 0, SDK_RES_RANGES = 1, SDK_RES_SET = 2 } sdk_res_type;
typedef enum { SDK_RESV_STATIC = 1, SDK_RESV_DYNAMIC = 2 } sdk_resv_type;
typedef enum { SDK_DISK_ROOT = 0, SDK_DISK_PATH = 1, SDK_DISK_MOUNT = 2 } sdk_disk_source;

typedef struct sdk_label {
    char *key;
    char *value; /* may be NULL (unset) */
} sdk_label;

/* One entry of a reservation stack (post-refinement format). */
typedef struct sdk_reservation {
    sdk_resv_type type;
    char *role;
    char *principal;       /* NULL: unset */
    sdk_label *labels;     /* dynamic only; order is not significant for equality */
    size_t n_labels;
    bool has_labels;       /* labels:{} differs from absent */
} sdk_reservation;

typedef struct sdk_range {
    uint64_t begin, end;   /* inclusive */
} sdk_range;

typedef struct sdk_resource {
    char *name;            /* cpus, mem, disk, ports, gpus, ... */
    sdk_res_type type;
    int64_t milli;         /* SCALAR */
    sdk_range *ranges;     /* RANGES: sorted, coalesced */
    size_t n_ranges;
    char **items;          /* SET: unique */
    size_t n_items;
    sdk_reservation *reservations; /* stack; empty = unreserved; last entry = current owner */
    size_t n_reservations;
    char *allocation_role; /* NULL: no allocation_info */
    /* disk only */
    sdk_disk_source disk_source;
    char *disk_source_root;/* PATH/MOUNT root, NULL if unset */
    char *disk_profile;    /* NULL if unset */
    char *persistence_id;  /* non-NULL: persistent volume */
    char *persistence_principal;
    char *volume_container_path;
    bool volume_read_only;
} sdk_resource;

typedef struct sdk_resources {
    sdk_resource *v;
    size_t n, cap;
} sdk_resources;

/* ---- scalar helpers ---- */
/* Largest scalar magnitude, in thousandths, that the scheduler accepts: 2^53, so that a value
 * and its fixed-point form convert to and from a double (protobuf, JSON) exactly. Mesos keeps
 * 3 decimals in an int64 (apache/mesos src/common/values.cpp, convertToFixed: llround(v * 1000));
 * anything above this is far beyond any cluster (9e12 cpus, or 9e12 MB of memory). */
#define SDK_SCALAR_MAX_MILLI INT64_C(9007199254740992)
/* The same bound in resource units (9007199254740.992). */
#define SDK_SCALAR_MAX ((double)SDK_SCALAR_MAX_MILLI / 1000.0)
/* llround(v*1000), saturated: never overflows. NaN gives 0; values beyond +-SDK_SCALAR_MAX give
 * +-SDK_SCALAR_MAX_MILLI. Use sdk_scalar_to_milli_checked to refuse such values instead. */
int64_t sdk_scalar_to_milli(double v);
/* True, with *milli = llround(v*1000), when v is finite and |v| <= SDK_SCALAR_MAX; false (and
 * *milli untouched) otherwise. A positive v below 0.0005 gives 0: Mesos refuses such a value
 * ("Invalid scalar resource: value <= 0", src/common/resources.cpp), so callers check for it. */
bool sdk_scalar_to_milli_checked(double v, int64_t *milli);
double sdk_scalar_from_milli(int64_t m);
/* a + b and a - b in thousandths, saturated at INT64_MIN / INT64_MAX instead of overflowing. */
int64_t sdk_milli_add(int64_t a, int64_t b);
int64_t sdk_milli_sub(int64_t a, int64_t b);

/* ---- single resources ---- */
void sdk_resource_free_contents(sdk_resource *r);
void sdk_resource_copy(sdk_resource *dst, const sdk_resource *src); /* deep copy into dst */
/* Identity for combining (§5.1): name, type, allocation role, whole reservation stack,
 * disk source/persistence id, ... (everything but the quantity). */
bool sdk_resource_same_identity(const sdk_resource *a, const sdk_resource *b);
/* Validity of one resource (§5.2). Appends reasons to errs (may be NULL). */
bool sdk_resource_valid(const sdk_resource *r, sdk_errors *errs);
/* Role that owns it: last reservation's role, or "*" when unreserved. */
const char *sdk_resource_role(const sdk_resource *r);
bool sdk_resource_is_reserved(const sdk_resource *r);
bool sdk_resource_is_dynamically_reserved(const sdk_resource *r);
/* Value of a label on the last reservation, or NULL. */
const char *sdk_resource_label(const sdk_resource *r, const char *key);
/* Formats "cpus(role):0.5" style text for logs and errors. New string. */
char *sdk_resource_to_string_new(const sdk_resource *r);

/* ---- collections ---- */
void sdk_resources_init(sdk_resources *rs);
void sdk_resources_free(sdk_resources *rs);
void sdk_resources_copy(sdk_resources *dst, const sdk_resources *src); /* dst initialised by it */
/* Adds r (deep copy) merging with an entry of the same identity when the rules allow
 * (persistent volumes and MOUNT disks never merge; zero scalars vanish). */
void sdk_resources_add(sdk_resources *rs, const sdk_resource *r);
void sdk_resources_add_all(sdk_resources *rs, const sdk_resources *more);
/* True if rs contains r (same identity, enough quantity / all ranges / all items). */
bool sdk_resources_contains(const sdk_resources *rs, const sdk_resource *r);
bool sdk_resources_contains_all(const sdk_resources *rs, const sdk_resources *sub);
/* Removes r from rs. Returns 0, or SDK_ENOENT when rs does not contain it (rs unchanged). */
int sdk_resources_subtract(sdk_resources *rs, const sdk_resource *r);
/* Sum of scalar `name` over entries for which filter returns true (filter NULL = all), in milli. */
int64_t sdk_resources_scalar_sum(const sdk_resources *rs, const char *name,
                                 bool (*filter)(const sdk_resource *, void *), void *arg);
bool sdk_resources_equal(const sdk_resources *a, const sdk_resources *b); /* as multisets */
char *sdk_resources_to_string_new(const sdk_resources *rs);

/* ---- ranges ---- */
/* Normalises a range list in place: sorts and coalesces overlapping and adjacent ranges. */
void sdk_ranges_normalize(sdk_range *r, size_t *n);
#endif
