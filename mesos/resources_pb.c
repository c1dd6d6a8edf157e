/* Resource <-> protobuf conversion and attribute formatting; contract in resources_pb.h. */
#include "mesos/resources_pb.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/str.h"

/* Resource.role and FrameworkInfo.role are deprecated upstream (and so carry protobuf-c's
 * deprecated attribute), but the pre-refinement format needs them. Only this file and the
 * accessors below touch them. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"


/* ---- deprecated field accessors ----------------------------------------------------------- */

static void set_str_field(char **field, const char *def, const char *v) {
    if (*field && *field != def) free(*field);
    *field = v ? sdk_xstrdup(v) : (char *)def;
}

const char *sdk_pb_framework_info_role(const Mesos__V1__FrameworkInfo *fi) {
    return fi->role && fi->role != mesos__v1__framework_info__role__default_value ? fi->role : NULL;
}

const char *sdk_pb_resource_role(const Mesos__V1__Resource *r) {
    return r->role && r->role != mesos__v1__resource__role__default_value ? r->role : NULL;
}

void sdk_pb_framework_info_set_role(Mesos__V1__FrameworkInfo *fi, const char *role) {
    set_str_field(&fi->role, mesos__v1__framework_info__role__default_value, role);
}

void sdk_pb_resource_set_role(Mesos__V1__Resource *r, const char *role) {
    set_str_field(&r->role, mesos__v1__resource__role__default_value, role);
}

/* ---- protobuf -> sdk ---------------------------------------------------------------------- */

static void labels_from_pb(sdk_reservation *rv, const Mesos__V1__Labels *l) {
    rv->has_labels = l != NULL;
    if (!l || l->n_labels == 0) return;
    rv->labels = sdk_xcalloc(l->n_labels, sizeof *rv->labels);
    for (size_t i = 0; i < l->n_labels; i++) {
        rv->labels[i].key = sdk_xstrdup(l->labels[i]->key ? l->labels[i]->key : "");
        rv->labels[i].value = sdk_xstrdup(l->labels[i]->value);
    }
    rv->n_labels = l->n_labels;
}

/* Appends one reservation entry to r. */
static sdk_reservation *push_reservation(sdk_resource *r, sdk_resv_type type, const char *role,
                                         const char *principal, const Mesos__V1__Labels *labels) {
    r->reservations = sdk_xrealloc(r->reservations, (r->n_reservations + 1) * sizeof *r->reservations);
    sdk_reservation *rv = &r->reservations[r->n_reservations++];
    memset(rv, 0, sizeof *rv);
    rv->type = type;
    rv->role = sdk_xstrdup(role);
    rv->principal = sdk_xstrdup(principal);
    labels_from_pb(rv, labels);
    return rv;
}

#define BAD(...) do { if (errs) { char *m_ = sdk_asprintf_new(__VA_ARGS__); \
    sdk_errors_addf(errs, "resource '%s': %s", name, m_); free(m_); } goto fail; } while (0)

static int reservations_from_pb(sdk_resource *r, const Mesos__V1__Resource *pb, const char *name, sdk_errors *errs) {
    const char *legacy_role = sdk_pb_resource_role(pb);
    const Mesos__V1__Resource__ReservationInfo *legacy_rv = pb->reservation;
    if (pb->n_reservations > 0) {
        for (size_t i = 0; i < pb->n_reservations; i++) {
            const Mesos__V1__Resource__ReservationInfo *ri = pb->reservations[i];
            if (!ri->has_type || ri->type == MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__UNKNOWN)
                BAD("reservations[%zu] has no type (STATIC or DYNAMIC)", i);
            if (!ri->role || !*ri->role) BAD("reservations[%zu] has no role", i);
            push_reservation(r, ri->type == MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC ? SDK_RESV_STATIC
                                                                                                 : SDK_RESV_DYNAMIC,
                             ri->role, ri->principal, ri->labels);
        }
        if (legacy_role || legacy_rv) {
            if (pb->n_reservations > 1)
                BAD("'role'/'reservation' must be absent when 'reservations' has %zu entries", pb->n_reservations);
            const Mesos__V1__Resource__ReservationInfo *ri = pb->reservations[0];
            bool dyn = ri->type == MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__DYNAMIC;
            if (legacy_role && strcmp(legacy_role, ri->role) != 0)
                BAD("legacy role '%s' differs from reservations[0].role '%s'", legacy_role, ri->role);
            if (legacy_rv && !dyn) BAD("legacy 'reservation' given with a STATIC reservations[0]");
        }
        return 0;
    }
    if (legacy_rv && (legacy_rv->has_type || legacy_rv->role))
        BAD("'reservation' (pre-refinement format) must not set 'type' or 'role'");
    if (!legacy_role || strcmp(legacy_role, "*") == 0) {
        if (legacy_rv) BAD("dynamic 'reservation' for role '*' (unreserved resources cannot be reserved to '*')");
        return 0;
    }
    push_reservation(r, legacy_rv ? SDK_RESV_DYNAMIC : SDK_RESV_STATIC, legacy_role,
                     legacy_rv ? legacy_rv->principal : NULL, legacy_rv ? legacy_rv->labels : NULL);
    return 0;
fail:
    return SDK_EINVAL;
}

int sdk_resource_from_pb(sdk_resource *dst, const Mesos__V1__Resource *pb, sdk_errors *errs) {
    memset(dst, 0, sizeof *dst);
    const char *name = pb->name ? pb->name : "";
    if (!*name) BAD("no name");
    dst->name = sdk_xstrdup(name);
    switch (pb->type) {
    case MESOS__V1__VALUE__TYPE__SCALAR:
        if (!pb->scalar) BAD("type SCALAR without 'scalar'");
        dst->type = SDK_RES_SCALAR;
        if (!sdk_scalar_to_milli_checked(pb->scalar->value, &dst->milli))
            BAD("scalar value %g is out of range (finite, at most %.3f)", pb->scalar->value,
                SDK_SCALAR_MAX);
        break;
    case MESOS__V1__VALUE__TYPE__RANGES:
        if (!pb->ranges) BAD("type RANGES without 'ranges'");
        dst->type = SDK_RES_RANGES;
        if (pb->ranges->n_range) {
            dst->ranges = sdk_xcalloc(pb->ranges->n_range, sizeof *dst->ranges);
            for (size_t i = 0; i < pb->ranges->n_range; i++) {
                dst->ranges[i].begin = pb->ranges->range[i]->begin;
                dst->ranges[i].end = pb->ranges->range[i]->end;
            }
            dst->n_ranges = pb->ranges->n_range;
        }
        break;
    case MESOS__V1__VALUE__TYPE__SET:
        if (!pb->set) BAD("type SET without 'set'");
        dst->type = SDK_RES_SET;
        if (pb->set->n_item) {
            dst->items = sdk_xcalloc(pb->set->n_item, sizeof *dst->items);
            for (size_t i = 0; i < pb->set->n_item; i++) dst->items[i] = sdk_xstrdup(pb->set->item[i]);
            dst->n_items = pb->set->n_item;
        }
        break;
    default:
        BAD("type %d is not a resource type (SCALAR, RANGES or SET)", (int)pb->type);
    }
    if (pb->revocable) BAD("revocable resources are not supported");
    if (pb->shared) BAD("shared resources are not supported");
    if (pb->provider_id) BAD("resource-provider resources are not supported");
    if (reservations_from_pb(dst, pb, name, errs)) goto fail_quiet;
    if (pb->allocation_info && pb->allocation_info->role)
        dst->allocation_role = sdk_xstrdup(pb->allocation_info->role);
    const Mesos__V1__Resource__DiskInfo *di = pb->disk;
    if (di) {
        if (di->source) {
            const Mesos__V1__Resource__DiskInfo__Source *s = di->source;
            switch (s->type) {
            case MESOS__V1__RESOURCE__DISK_INFO__SOURCE__TYPE__PATH:
                dst->disk_source = SDK_DISK_PATH;
                if (s->path && s->path->root) dst->disk_source_root = sdk_xstrdup(s->path->root);
                break;
            case MESOS__V1__RESOURCE__DISK_INFO__SOURCE__TYPE__MOUNT:
                dst->disk_source = SDK_DISK_MOUNT;
                if (s->mount && s->mount->root) dst->disk_source_root = sdk_xstrdup(s->mount->root);
                break;
            default:
                BAD("disk source type %d is not supported (PATH or MOUNT)", (int)s->type);
            }
            dst->disk_profile = sdk_xstrdup(s->profile);
        }
        if (di->persistence) {
            if (!di->persistence->id || !*di->persistence->id) BAD("persistence without an id");
            dst->persistence_id = sdk_xstrdup(di->persistence->id);
            dst->persistence_principal = sdk_xstrdup(di->persistence->principal);
        }
        if (di->volume) {
            dst->volume_container_path = sdk_xstrdup(di->volume->container_path ? di->volume->container_path : "");
            dst->volume_read_only = di->volume->mode == MESOS__V1__VOLUME__MODE__RO;
        }
    }
    return 0;
fail:
fail_quiet:
    sdk_resource_free_contents(dst);
    memset(dst, 0, sizeof *dst);
    return SDK_EINVAL;
}

int sdk_resources_from_pb(sdk_resources *rs, Mesos__V1__Resource *const *pb, size_t n, sdk_errors *errs) {
    if (n == 0) return 0;
    sdk_resource *tmp = sdk_xcalloc(n, sizeof *tmp);
    size_t ok = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        sdk_errors one;
        sdk_errors_init(&one);
        if (sdk_resource_from_pb(&tmp[ok], pb[i], &one) == 0) {
            ok++;
        } else {
            rc = SDK_EINVAL;
            for (size_t k = 0; errs && k < one.n; k++) sdk_errors_addf(errs, "resources[%zu]: %s", i, one.msgs[k]);
        }
        sdk_errors_free(&one);
    }
    if (rc) {
        for (size_t i = 0; i < ok; i++) sdk_resource_free_contents(&tmp[i]);
        free(tmp);
        return rc;
    }
    if (rs->n + n > rs->cap) {
        rs->cap = rs->n + n;
        rs->v = sdk_xrealloc(rs->v, rs->cap * sizeof *rs->v);
    }
    memcpy(rs->v + rs->n, tmp, n * sizeof *tmp);
    rs->n += n;
    free(tmp);
    return 0;
}

#undef BAD

/* ---- sdk -> protobuf ---------------------------------------------------------------------- */

static void *new_msg(const ProtobufCMessageDescriptor *d) {
    ProtobufCMessage *m = sdk_xmalloc(d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

static Mesos__V1__Labels *labels_to_pb(const sdk_reservation *rv) {
    if (!rv->has_labels && rv->n_labels == 0) return NULL;
    Mesos__V1__Labels *l = new_msg(&mesos__v1__labels__descriptor);
    if (rv->n_labels) {
        l->labels = sdk_xcalloc(rv->n_labels, sizeof *l->labels);
        for (size_t i = 0; i < rv->n_labels; i++) {
            Mesos__V1__Label *lb = new_msg(&mesos__v1__label__descriptor);
            lb->key = sdk_xstrdup(rv->labels[i].key ? rv->labels[i].key : "");
            lb->value = sdk_xstrdup(rv->labels[i].value);
            l->labels[l->n_labels++] = lb;
        }
    }
    return l;
}

void sdk_pb_resource_free(Mesos__V1__Resource *r) {
    if (r) protobuf_c_message_free_unpacked(&r->base, NULL);
}

void sdk_pb_resources_free(Mesos__V1__Resource **v, size_t n) {
    for (size_t i = 0; i < n; i++) sdk_pb_resource_free(v[i]);
    free(v);
}

int sdk_resource_to_pb_new(const sdk_resource *r, sdk_res_format fmt, Mesos__V1__Resource **out,
                           sdk_errors *errs) {
    *out = NULL;
    const char *name = r->name ? r->name : "";
    if (fmt == SDK_RES_FORMAT_LEGACY && r->n_reservations > 1) {
        if (errs) {
            sdk_buf b;
            sdk_buf_init(&b);
            for (size_t i = 0; i < r->n_reservations; i++)
                sdk_buf_printf(&b, "%s%s", i ? ", " : "", r->reservations[i].role ? r->reservations[i].role : "");
            sdk_errors_addf(errs, "resource '%s': a reservation stack of depth %zu (roles %s) cannot be expressed "
                                  "in the pre-refinement format; the framework needs RESERVATION_REFINEMENT",
                            name, r->n_reservations, b.data);
            sdk_buf_free(&b);
        }
        return SDK_EINVAL;
    }
    Mesos__V1__Resource *pb = new_msg(&mesos__v1__resource__descriptor);
    pb->name = sdk_xstrdup(name);
    switch (r->type) {
    case SDK_RES_SCALAR:
        pb->type = MESOS__V1__VALUE__TYPE__SCALAR;
        pb->scalar = new_msg(&mesos__v1__value__scalar__descriptor);
        pb->scalar->value = sdk_scalar_from_milli(r->milli);
        break;
    case SDK_RES_RANGES:
        pb->type = MESOS__V1__VALUE__TYPE__RANGES;
        pb->ranges = new_msg(&mesos__v1__value__ranges__descriptor);
        if (r->n_ranges) {
            pb->ranges->range = sdk_xcalloc(r->n_ranges, sizeof *pb->ranges->range);
            for (size_t i = 0; i < r->n_ranges; i++) {
                Mesos__V1__Value__Range *rg = new_msg(&mesos__v1__value__range__descriptor);
                rg->begin = r->ranges[i].begin;
                rg->end = r->ranges[i].end;
                pb->ranges->range[pb->ranges->n_range++] = rg;
            }
        }
        break;
    case SDK_RES_SET:
        pb->type = MESOS__V1__VALUE__TYPE__SET;
        pb->set = new_msg(&mesos__v1__value__set__descriptor);
        if (r->n_items) {
            pb->set->item = sdk_xcalloc(r->n_items, sizeof *pb->set->item);
            for (size_t i = 0; i < r->n_items; i++) pb->set->item[pb->set->n_item++] = sdk_xstrdup(r->items[i]);
        }
        break;
    }
    if (fmt == SDK_RES_FORMAT_REFINED) {
        if (r->n_reservations) {
            pb->reservations = sdk_xcalloc(r->n_reservations, sizeof *pb->reservations);
            for (size_t i = 0; i < r->n_reservations; i++) {
                const sdk_reservation *rv = &r->reservations[i];
                Mesos__V1__Resource__ReservationInfo *ri = new_msg(&mesos__v1__resource__reservation_info__descriptor);
                ri->has_type = 1;
                ri->type = rv->type == SDK_RESV_STATIC ? MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC
                                                       : MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__DYNAMIC;
                ri->role = sdk_xstrdup(rv->role ? rv->role : "");
                ri->principal = sdk_xstrdup(rv->principal);
                ri->labels = labels_to_pb(rv);
                pb->reservations[pb->n_reservations++] = ri;
            }
        }
    } else if (r->n_reservations == 0) {
        sdk_pb_resource_set_role(pb, "*");
    } else {
        const sdk_reservation *rv = &r->reservations[0];
        sdk_pb_resource_set_role(pb, rv->role ? rv->role : "");
        if (rv->type == SDK_RESV_DYNAMIC) {
            pb->reservation = new_msg(&mesos__v1__resource__reservation_info__descriptor);
            pb->reservation->principal = sdk_xstrdup(rv->principal);
            pb->reservation->labels = labels_to_pb(rv);
        }
    }
    if (r->allocation_role) {
        pb->allocation_info = new_msg(&mesos__v1__resource__allocation_info__descriptor);
        pb->allocation_info->role = sdk_xstrdup(r->allocation_role);
    }
    if (r->disk_source != SDK_DISK_ROOT || r->persistence_id || r->volume_container_path) {
        Mesos__V1__Resource__DiskInfo *di = new_msg(&mesos__v1__resource__disk_info__descriptor);
        pb->disk = di;
        if (r->disk_source != SDK_DISK_ROOT) {
            Mesos__V1__Resource__DiskInfo__Source *s = new_msg(&mesos__v1__resource__disk_info__source__descriptor);
            di->source = s;
            if (r->disk_source == SDK_DISK_PATH) {
                s->type = MESOS__V1__RESOURCE__DISK_INFO__SOURCE__TYPE__PATH;
                if (r->disk_source_root) {
                    s->path = new_msg(&mesos__v1__resource__disk_info__source__path__descriptor);
                    s->path->root = sdk_xstrdup(r->disk_source_root);
                }
            } else {
                s->type = MESOS__V1__RESOURCE__DISK_INFO__SOURCE__TYPE__MOUNT;
                if (r->disk_source_root) {
                    s->mount = new_msg(&mesos__v1__resource__disk_info__source__mount__descriptor);
                    s->mount->root = sdk_xstrdup(r->disk_source_root);
                }
            }
            s->profile = sdk_xstrdup(r->disk_profile);
        }
        if (r->persistence_id) {
            di->persistence = new_msg(&mesos__v1__resource__disk_info__persistence__descriptor);
            di->persistence->id = sdk_xstrdup(r->persistence_id);
            di->persistence->principal = sdk_xstrdup(r->persistence_principal);
        }
        if (r->volume_container_path) {
            di->volume = new_msg(&mesos__v1__volume__descriptor);
            di->volume->container_path = sdk_xstrdup(r->volume_container_path);
            di->volume->mode = r->volume_read_only ? MESOS__V1__VOLUME__MODE__RO : MESOS__V1__VOLUME__MODE__RW;
        }
    }
    *out = pb;
    return 0;
}

int sdk_resources_to_pb_new(const sdk_resources *rs, sdk_res_format fmt, Mesos__V1__Resource ***out,
                            size_t *n_out, sdk_errors *errs) {
    *out = NULL;
    *n_out = 0;
    if (rs->n == 0) return 0;
    Mesos__V1__Resource **v = sdk_xcalloc(rs->n, sizeof *v);
    int rc = 0;
    for (size_t i = 0; i < rs->n; i++) {
        if (sdk_resource_to_pb_new(&rs->v[i], fmt, &v[i], errs)) rc = SDK_EINVAL;
    }
    if (rc) {
        for (size_t i = 0; i < rs->n; i++) sdk_pb_resource_free(v[i]);
        free(v);
        return rc;
    }
    *out = v;
    *n_out = rs->n;
    return 0;
}

/* ---- attributes --------------------------------------------------------------------------- */

char *sdk_attribute_value_to_string_new(const Mesos__V1__Attribute *a) {
    sdk_buf b;
    sdk_buf_init(&b);
    switch (a->type) {
    case MESOS__V1__VALUE__TYPE__SCALAR:
        sdk_buf_printf(&b, "%.3f", a->scalar ? a->scalar->value : 0.0);
        break;
    case MESOS__V1__VALUE__TYPE__RANGES:
        sdk_buf_putc(&b, '[');
        for (size_t i = 0; a->ranges && i < a->ranges->n_range; i++)
            sdk_buf_printf(&b, "%s%" PRIu64 "-%" PRIu64, i ? "," : "", a->ranges->range[i]->begin,
                           a->ranges->range[i]->end);
        sdk_buf_putc(&b, ']');
        break;
    case MESOS__V1__VALUE__TYPE__SET:
        sdk_buf_putc(&b, '{');
        for (size_t i = 0; a->set && i < a->set->n_item; i++)
            sdk_buf_printf(&b, "%s%s", i ? "," : "", a->set->item[i]);
        sdk_buf_putc(&b, '}');
        break;
    case MESOS__V1__VALUE__TYPE__TEXT:
        if (a->text && a->text->value) sdk_buf_puts(&b, a->text->value);
        break;
    default:
        break;
    }
    return sdk_buf_take(&b);
}

char *sdk_attribute_to_string_new(const Mesos__V1__Attribute *a) {
    char *v = sdk_attribute_value_to_string_new(a);
    char *s = sdk_asprintf_new("%s:%s", a->name ? a->name : "", v);
    free(v);
    return s;
}

char *sdk_attributes_to_string_new(Mesos__V1__Attribute *const *v, size_t n) {
    sdk_buf b;
    sdk_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        char *s = sdk_attribute_to_string_new(v[i]);
        if (i) sdk_buf_putc(&b, ';');
        sdk_buf_puts(&b, s);
        free(s);
    }
    return sdk_buf_take(&b);
}
