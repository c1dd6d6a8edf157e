/* Mesos resource arithmetic on plain C values (mesos-v1-protocol.md §5.1, §5.2).
 * Contracts are in mesos/resources.h. */
#include "mesos/resources.h"
#include "core/util/str.h"
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sdk_scalar_to_milli_checked(double v, int64_t *milli) {
    if (!isfinite(v) || fabs(v) > SDK_SCALAR_MAX) return false;
    *milli = llround(v * 1000.0);
    return true;
}
int64_t sdk_scalar_to_milli(double v) {
    int64_t m = 0;
    if (sdk_scalar_to_milli_checked(v, &m)) return m;
    if (isnan(v)) return 0;
    return v > 0 ? SDK_SCALAR_MAX_MILLI : -SDK_SCALAR_MAX_MILLI;
}
/* As Mesos' convertToFloating: integer division first, so only [0,999]/1000 is a float division. */
double sdk_scalar_from_milli(int64_t m) { return (double)(m / 1000) + (double)(m % 1000) / 1000.0; }
int64_t sdk_milli_add(int64_t a, int64_t b) {
    int64_t r;
    if (!__builtin_add_overflow(a, b, &r)) return r;
    return b > 0 ? INT64_MAX : INT64_MIN;
}
int64_t sdk_milli_sub(int64_t a, int64_t b) {
    int64_t r;
    if (!__builtin_sub_overflow(a, b, &r)) return r;
    return b < 0 ? INT64_MAX : INT64_MIN;
}

/* ---------------------------------------------------------------- single resources */

static void labels_free(sdk_label *l, size_t n) {
    for (size_t i = 0; i < n; i++) { free(l[i].key); free(l[i].value); }
    free(l);
}

static void reservation_free_contents(sdk_reservation *r) {
    free(r->role);
    free(r->principal);
    labels_free(r->labels, r->n_labels);
}

void sdk_resource_free_contents(sdk_resource *r) {
    if (!r) return;
    free(r->name);
    free(r->ranges);
    for (size_t i = 0; i < r->n_items; i++) free(r->items[i]);
    free(r->items);
    for (size_t i = 0; i < r->n_reservations; i++) reservation_free_contents(&r->reservations[i]);
    free(r->reservations);
    free(r->allocation_role);
    free(r->disk_source_root);
    free(r->disk_profile);
    free(r->persistence_id);
    free(r->persistence_principal);
    free(r->volume_container_path);
    memset(r, 0, sizeof *r);
}

void sdk_resource_copy(sdk_resource *dst, const sdk_resource *src) {
    *dst = *src;
    dst->name = sdk_xstrdup(src->name);
    dst->ranges = NULL;
    if (src->n_ranges) {
        dst->ranges = sdk_xmalloc(src->n_ranges * sizeof *dst->ranges);
        memcpy(dst->ranges, src->ranges, src->n_ranges * sizeof *dst->ranges);
    }
    dst->items = NULL;
    if (src->n_items) {
        dst->items = sdk_xmalloc(src->n_items * sizeof *dst->items);
        for (size_t i = 0; i < src->n_items; i++) dst->items[i] = sdk_xstrdup(src->items[i]);
    }
    dst->reservations = NULL;
    if (src->n_reservations) {
        dst->reservations = sdk_xcalloc(src->n_reservations, sizeof *dst->reservations);
        for (size_t i = 0; i < src->n_reservations; i++) {
            const sdk_reservation *s = &src->reservations[i];
            sdk_reservation *d = &dst->reservations[i];
            *d = *s;
            d->role = sdk_xstrdup(s->role);
            d->principal = sdk_xstrdup(s->principal);
            d->labels = NULL;
            if (s->n_labels) {
                d->labels = sdk_xcalloc(s->n_labels, sizeof *d->labels);
                for (size_t j = 0; j < s->n_labels; j++) {
                    d->labels[j].key = sdk_xstrdup(s->labels[j].key);
                    d->labels[j].value = sdk_xstrdup(s->labels[j].value);
                }
            }
        }
    }
    dst->allocation_role = sdk_xstrdup(src->allocation_role);
    dst->disk_source_root = sdk_xstrdup(src->disk_source_root);
    dst->disk_profile = sdk_xstrdup(src->disk_profile);
    dst->persistence_id = sdk_xstrdup(src->persistence_id);
    dst->persistence_principal = sdk_xstrdup(src->persistence_principal);
    dst->volume_container_path = sdk_xstrdup(src->volume_container_path);
}

/* The identity tests below are conjunctions: their order changes no answer, only the cost. They
 * test integers first, then the strings most likely to differ (a reservation's resource_id label
 * value before its key, role and principal; a resource's reservations before its name), because
 * sdk_resources_add compares an entry with every entry of its set: an agent's reserved resources
 * are hundreds of entries that differ only in their resource_id. */
static bool label_in(const sdk_label *l, const sdk_reservation *r) {
    for (size_t i = 0; i < r->n_labels; i++)
        if (sdk_streq(r->labels[i].value, l->value) && sdk_streq(r->labels[i].key, l->key)) return true;
    return false;
}

static bool reservation_equal(const sdk_reservation *a, const sdk_reservation *b) {
    if (a->type != b->type || a->has_labels != b->has_labels || a->n_labels != b->n_labels) return false;
    for (size_t i = 0; i < a->n_labels; i++)
        if (!label_in(&a->labels[i], b)) return false;
    return sdk_streq(a->role, b->role) && sdk_streq(a->principal, b->principal);
}

bool sdk_resource_same_identity(const sdk_resource *a, const sdk_resource *b) {
    if (a->type != b->type || a->n_reservations != b->n_reservations || a->disk_source != b->disk_source ||
        !a->persistence_id != !b->persistence_id)
        return false;
    for (size_t i = a->n_reservations; i-- > 0;) /* the last (most refined) differs first */
        if (!reservation_equal(&a->reservations[i], &b->reservations[i])) return false;
    if (!sdk_streq(a->name, b->name) || !sdk_streq(a->allocation_role, b->allocation_role)) return false;
    if (!sdk_streq(a->disk_source_root, b->disk_source_root) || !sdk_streq(a->disk_profile, b->disk_profile))
        return false;
    /* volume path and persistence principal are not part of identity (§5.1). */
    return sdk_streq(a->persistence_id, b->persistence_id);
}

/* Entries that are used whole: they never merge and are only matched by an identical entry. */
static bool is_atomic(const sdk_resource *r) {
    return r->persistence_id != NULL || r->disk_source == SDK_DISK_MOUNT;
}

static bool is_sub_role(const char *child, const char *parent) {
    size_t n = strlen(parent);
    return strncmp(child, parent, n) == 0 && child[n] == '/' && child[n + 1] != 0;
}

static bool role_name_ok(const char *r) {
    if (!r || !*r || strcmp(r, ".") == 0 || strcmp(r, "..") == 0) return false;
    if (r[0] == '/' || r[strlen(r) - 1] == '/' || strstr(r, "//")) return false;
    for (const char *p = r; *p; p++)
        if (*p <= ' ' || *p == '\\' || *p == 127) return false;
    return true;
}

bool sdk_resource_valid(const sdk_resource *r, sdk_errors *errs) {
    bool ok = true;
    const char *nm = r->name ? r->name : "";
#define BAD(...) do { ok = false; if (errs) sdk_errors_addf(errs, __VA_ARGS__); } while (0)
    if (!*nm) BAD("resource: name is empty");
    switch (r->type) {
    case SDK_RES_SCALAR:
        if (r->milli < 0) BAD("resource '%s': negative scalar %.3f", nm, sdk_scalar_from_milli(r->milli));
        if (r->n_ranges || r->n_items) BAD("resource '%s': SCALAR with ranges or set items", nm);
        break;
    case SDK_RES_RANGES:
        if (r->milli || r->n_items) BAD("resource '%s': RANGES with a scalar or set items", nm);
        for (size_t i = 0; i < r->n_ranges; i++) {
            if (r->ranges[i].begin > r->ranges[i].end)
                BAD("resource '%s': range [%" PRIu64 "-%" PRIu64 "] has begin > end", nm,
                    r->ranges[i].begin, r->ranges[i].end);
            for (size_t j = 0; j < i; j++)
                if (r->ranges[i].begin <= r->ranges[j].end && r->ranges[j].begin <= r->ranges[i].end)
                    BAD("resource '%s': ranges [%" PRIu64 "-%" PRIu64 "] and [%" PRIu64 "-%" PRIu64 "] overlap",
                        nm, r->ranges[j].begin, r->ranges[j].end, r->ranges[i].begin, r->ranges[i].end);
        }
        break;
    case SDK_RES_SET:
        if (r->milli || r->n_ranges) BAD("resource '%s': SET with a scalar or ranges", nm);
        for (size_t i = 0; i < r->n_items; i++)
            for (size_t j = 0; j < i; j++)
                if (sdk_streq(r->items[i], r->items[j]))
                    BAD("resource '%s': duplicate set item '%s'", nm, r->items[i] ? r->items[i] : "");
        break;
    default:
        BAD("resource '%s': type %d is not SCALAR, RANGES or SET", nm, (int)r->type);
    }
    bool has_disk = r->disk_source != SDK_DISK_ROOT || r->disk_source_root || r->disk_profile ||
                    r->persistence_id || r->volume_container_path;
    if (has_disk && strcmp(nm, "disk") != 0) BAD("resource '%s': disk info on a non-disk resource", nm);
    if (r->disk_source > SDK_DISK_MOUNT) BAD("resource '%s': unknown disk source type", nm);
    if (r->volume_container_path && !r->persistence_id)
        BAD("resource '%s': Non-persistent volume not supported", nm);
    if (r->persistence_id) {
        if (!*r->persistence_id) BAD("resource '%s': persistence id is empty", nm);
        if (!r->n_reservations) BAD("resource '%s': persistent volume '%s' on unreserved disk", nm, r->persistence_id);
        if (!r->volume_container_path || !*r->volume_container_path)
            BAD("resource '%s': persistent volume '%s' has no volume container path", nm, r->persistence_id);
    }
    for (size_t i = 0; i < r->n_reservations; i++) {
        const sdk_reservation *v = &r->reservations[i];
        if (!v->role || strcmp(v->role, "*") == 0) {
            BAD("resource '%s': reservation %zu is for role '*' or has no role", nm, i);
            continue;
        }
        if (!role_name_ok(v->role)) BAD("resource '%s': invalid reservation role '%s'", nm, v->role);
        if (v->type != SDK_RESV_STATIC && v->type != SDK_RESV_DYNAMIC)
            BAD("resource '%s': reservation %zu has unknown type", nm, i);
        if (i > 0) {
            if (v->type != SDK_RESV_DYNAMIC)
                BAD("resource '%s': refined reservation %zu for role '%s' is not DYNAMIC", nm, i, v->role);
            const char *prev = r->reservations[i - 1].role;
            if (prev && !is_sub_role(v->role, prev))
                BAD("resource '%s': role '%s' is not a sub-role of '%s'", nm, v->role, prev);
        }
    }
#undef BAD
    return ok;
}

const char *sdk_resource_role(const sdk_resource *r) {
    return r->n_reservations ? r->reservations[r->n_reservations - 1].role : "*";
}
bool sdk_resource_is_reserved(const sdk_resource *r) { return r->n_reservations > 0; }
bool sdk_resource_is_dynamically_reserved(const sdk_resource *r) {
    return r->n_reservations && r->reservations[r->n_reservations - 1].type == SDK_RESV_DYNAMIC;
}
const char *sdk_resource_label(const sdk_resource *r, const char *key) {
    if (!r->n_reservations) return NULL;
    const sdk_reservation *v = &r->reservations[r->n_reservations - 1];
    for (size_t i = 0; i < v->n_labels; i++)
        if (sdk_streq(v->labels[i].key, key)) return v->labels[i].value;
    return NULL;
}

static void put_milli(sdk_buf *b, int64_t m) {
    if (m < 0) { sdk_buf_putc(b, '-'); m = -m; }
    sdk_buf_printf(b, "%" PRId64, m / 1000);
    int64_t f = m % 1000;
    if (f) {
        char t[8];
        snprintf(t, sizeof t, ".%03" PRId64, f);
        size_t n = strlen(t);
        while (t[n - 1] == '0') t[--n] = 0;
        sdk_buf_puts(b, t);
    }
}

static void resource_to_buf(sdk_buf *b, const sdk_resource *r) {
    sdk_buf_puts(b, r->name ? r->name : "?");
    sdk_buf_putc(b, '(');
    if (!r->n_reservations) sdk_buf_putc(b, '*');
    for (size_t i = 0; i < r->n_reservations; i++) {
        if (i) sdk_buf_putc(b, ',');
        sdk_buf_puts(b, r->reservations[i].role ? r->reservations[i].role : "?");
        if (r->reservations[i].type == SDK_RESV_STATIC) sdk_buf_puts(b, " static");
    }
    const char *rid = sdk_resource_label(r, "resource_id");
    if (rid) sdk_buf_printf(b, ", resource_id:%s", rid);
    sdk_buf_putc(b, ')');
    if (r->disk_source == SDK_DISK_MOUNT) sdk_buf_printf(b, "[MOUNT:%s]", r->disk_source_root ? r->disk_source_root : "");
    if (r->disk_source == SDK_DISK_PATH) sdk_buf_printf(b, "[PATH:%s]", r->disk_source_root ? r->disk_source_root : "");
    if (r->persistence_id)
        sdk_buf_printf(b, "[%s:%s]", r->persistence_id, r->volume_container_path ? r->volume_container_path : "");
    sdk_buf_putc(b, ':');
    switch (r->type) {
    case SDK_RES_SCALAR: put_milli(b, r->milli); break;
    case SDK_RES_RANGES:
        sdk_buf_putc(b, '[');
        for (size_t i = 0; i < r->n_ranges; i++)
            sdk_buf_printf(b, "%s%" PRIu64 "-%" PRIu64, i ? ", " : "", r->ranges[i].begin, r->ranges[i].end);
        sdk_buf_putc(b, ']');
        break;
    case SDK_RES_SET:
        sdk_buf_putc(b, '{');
        for (size_t i = 0; i < r->n_items; i++) sdk_buf_printf(b, "%s%s", i ? ", " : "", r->items[i]);
        sdk_buf_putc(b, '}');
        break;
    }
}

char *sdk_resource_to_string_new(const sdk_resource *r) {
    sdk_buf b;
    sdk_buf_init(&b);
    resource_to_buf(&b, r);
    return sdk_buf_take(&b);
}

/* ---------------------------------------------------------------- ranges */

static int range_cmp(const void *a, const void *b) {
    const sdk_range *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

void sdk_ranges_normalize(sdk_range *r, size_t *n) {
    if (*n < 2) return;
    qsort(r, *n, sizeof *r, range_cmp);
    size_t o = 0;
    for (size_t i = 1; i < *n; i++) {
        /* end + 1 must not overflow for the adjacency test */
        if (r[i].begin <= r[o].end || (r[o].end != UINT64_MAX && r[i].begin == r[o].end + 1)) {
            if (r[i].end > r[o].end) r[o].end = r[i].end;
        } else {
            r[++o] = r[i];
        }
    }
    *n = o + 1;
}

/* True if every range of sub lies inside the union of (normalised) have. */
static bool ranges_contain(const sdk_range *have, size_t nh, const sdk_range *sub, size_t ns) {
    for (size_t i = 0; i < ns; i++) {
        bool in = false;
        for (size_t j = 0; j < nh && !in; j++)
            in = have[j].begin <= sub[i].begin && sub[i].end <= have[j].end;
        if (!in) return false;
    }
    return true;
}

/* have -= sub (sub assumed contained); have stays sorted. */
static void ranges_subtract(sdk_range **have, size_t *nh, const sdk_range *sub, size_t ns) {
    for (size_t i = 0; i < ns; i++) {
        sdk_range s = sub[i];
        for (size_t j = 0; j < *nh; j++) {
            sdk_range *h = &(*have)[j];
            if (s.end < h->begin || s.begin > h->end) continue;
            bool left = s.begin > h->begin, right = s.end < h->end;
            if (left && right) {
                *have = sdk_xrealloc(*have, (*nh + 1) * sizeof **have);
                h = &(*have)[j];
                memmove(h + 2, h + 1, (*nh - j - 1) * sizeof *h);
                h[1].begin = s.end + 1;
                h[1].end = h->end;
                h->end = s.begin - 1;
                (*nh)++;
                break;
            } else if (left) {
                h->end = s.begin - 1;
            } else if (right) {
                h->begin = s.end + 1;
            } else {
                memmove(h, h + 1, (*nh - j - 1) * sizeof *h);
                (*nh)--;
                j--;
            }
        }
    }
}

/* ---------------------------------------------------------------- collections */

void sdk_resources_init(sdk_resources *rs) { memset(rs, 0, sizeof *rs); }

void sdk_resources_free(sdk_resources *rs) {
    if (!rs) return;
    for (size_t i = 0; i < rs->n; i++) sdk_resource_free_contents(&rs->v[i]);
    free(rs->v);
    memset(rs, 0, sizeof *rs);
}

void sdk_resources_copy(sdk_resources *dst, const sdk_resources *src) {
    sdk_resources_init(dst);
    if (!src->n) return;
    dst->v = sdk_xcalloc(src->n, sizeof *dst->v);
    dst->cap = src->n;
    for (size_t i = 0; i < src->n; i++) sdk_resource_copy(&dst->v[i], &src->v[i]);
    dst->n = src->n;
}

static bool is_empty(const sdk_resource *r) {
    switch (r->type) {
    case SDK_RES_SCALAR: return r->milli == 0;
    case SDK_RES_RANGES: return r->n_ranges == 0;
    case SDK_RES_SET: return r->n_items == 0;
    }
    return true;
}

static void remove_at(sdk_resources *rs, size_t i) {
    sdk_resource_free_contents(&rs->v[i]);
    memmove(&rs->v[i], &rs->v[i + 1], (rs->n - i - 1) * sizeof rs->v[0]);
    rs->n--;
}

static bool set_has(const sdk_resource *r, const char *item) {
    for (size_t i = 0; i < r->n_items; i++)
        if (sdk_streq(r->items[i], item)) return true;
    return false;
}

void sdk_resources_add(sdk_resources *rs, const sdk_resource *r) {
    if (is_empty(r)) return;
    if (!is_atomic(r)) {
        for (size_t i = 0; i < rs->n; i++) {
            sdk_resource *e = &rs->v[i];
            if (is_atomic(e) || !sdk_resource_same_identity(e, r)) continue;
            switch (r->type) {
            case SDK_RES_SCALAR: e->milli = sdk_milli_add(e->milli, r->milli); break;
            case SDK_RES_RANGES:
                e->ranges = sdk_xrealloc(e->ranges, (e->n_ranges + r->n_ranges) * sizeof *e->ranges);
                memcpy(e->ranges + e->n_ranges, r->ranges, r->n_ranges * sizeof *e->ranges);
                e->n_ranges += r->n_ranges;
                sdk_ranges_normalize(e->ranges, &e->n_ranges);
                break;
            case SDK_RES_SET:
                for (size_t k = 0; k < r->n_items; k++) {
                    if (set_has(e, r->items[k])) continue;
                    e->items = sdk_xrealloc(e->items, (e->n_items + 1) * sizeof *e->items);
                    e->items[e->n_items++] = sdk_xstrdup(r->items[k]);
                }
                break;
            }
            if (is_empty(e)) remove_at(rs, i);
            return;
        }
    }
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 4;
        rs->v = sdk_xrealloc(rs->v, rs->cap * sizeof *rs->v);
    }
    sdk_resource *d = &rs->v[rs->n++];
    sdk_resource_copy(d, r);
    if (d->type == SDK_RES_RANGES) sdk_ranges_normalize(d->ranges, &d->n_ranges);
}

void sdk_resources_add_all(sdk_resources *rs, const sdk_resources *more) {
    for (size_t i = 0; i < more->n; i++) sdk_resources_add(rs, &more->v[i]);
}

static bool quantity_equal(const sdk_resource *a, const sdk_resource *b) {
    if (a->type != b->type) return false;
    switch (a->type) {
    case SDK_RES_SCALAR: return a->milli == b->milli;
    case SDK_RES_RANGES:
        return ranges_contain(a->ranges, a->n_ranges, b->ranges, b->n_ranges) &&
               ranges_contain(b->ranges, b->n_ranges, a->ranges, a->n_ranges);
    case SDK_RES_SET:
        if (a->n_items != b->n_items) return false;
        for (size_t i = 0; i < b->n_items; i++)
            if (!set_has(a, b->items[i])) return false;
        return true;
    }
    return false;
}

/* Whether entry e (same identity as r) holds at least r. Atomic entries need equality. */
static bool entry_contains(const sdk_resource *e, const sdk_resource *r) {
    if (is_atomic(e) || is_atomic(r)) return quantity_equal(e, r);
    switch (r->type) {
    case SDK_RES_SCALAR: return e->milli >= r->milli;
    case SDK_RES_RANGES: {
        /* r may be un-normalised: normalise a copy */
        sdk_range stack[8], *tmp = r->n_ranges <= 8 ? stack : sdk_xmalloc(r->n_ranges * sizeof *tmp);
        size_t n = r->n_ranges;
        if (n) memcpy(tmp, r->ranges, n * sizeof *tmp);
        sdk_ranges_normalize(tmp, &n);
        bool ok = ranges_contain(e->ranges, e->n_ranges, tmp, n);
        if (tmp != stack) free(tmp);
        return ok;
    }
    case SDK_RES_SET:
        for (size_t i = 0; i < r->n_items; i++)
            if (!set_has(e, r->items[i])) return false;
        return true;
    }
    return false;
}

static long find_container(const sdk_resources *rs, const sdk_resource *r) {
    for (size_t i = 0; i < rs->n; i++)
        if (sdk_resource_same_identity(&rs->v[i], r) && entry_contains(&rs->v[i], r)) return (long)i;
    return -1;
}

bool sdk_resources_contains(const sdk_resources *rs, const sdk_resource *r) {
    if (is_empty(r)) return true;
    return find_container(rs, r) >= 0;
}

int sdk_resources_subtract(sdk_resources *rs, const sdk_resource *r) {
    if (is_empty(r)) return 0;
    long i = find_container(rs, r);
    if (i < 0) return SDK_ENOENT;
    sdk_resource *e = &rs->v[i];
    if (is_atomic(e) || is_atomic(r)) {
        remove_at(rs, (size_t)i);
        return 0;
    }
    switch (r->type) {
    case SDK_RES_SCALAR: e->milli = sdk_milli_sub(e->milli, r->milli); break;
    case SDK_RES_RANGES: ranges_subtract(&e->ranges, &e->n_ranges, r->ranges, r->n_ranges); break;
    case SDK_RES_SET:
        for (size_t k = 0; k < r->n_items; k++)
            for (size_t j = 0; j < e->n_items; j++)
                if (sdk_streq(e->items[j], r->items[k])) {
                    free(e->items[j]);
                    memmove(&e->items[j], &e->items[j + 1], (e->n_items - j - 1) * sizeof *e->items);
                    e->n_items--;
                    break;
                }
        break;
    }
    if (is_empty(e)) remove_at(rs, (size_t)i);
    return 0;
}

bool sdk_resources_contains_all(const sdk_resources *rs, const sdk_resources *sub) {
    sdk_resources tmp;
    sdk_resources_copy(&tmp, rs);
    bool ok = true;
    for (size_t i = 0; i < sub->n && ok; i++) ok = sdk_resources_subtract(&tmp, &sub->v[i]) == 0;
    sdk_resources_free(&tmp);
    return ok;
}

int64_t sdk_resources_scalar_sum(const sdk_resources *rs, const char *name,
                                 bool (*filter)(const sdk_resource *, void *), void *arg) {
    int64_t sum = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const sdk_resource *r = &rs->v[i];
        if (r->type != SDK_RES_SCALAR || !sdk_streq(r->name, name)) continue;
        if (filter && !filter(r, arg)) continue;
        sum = sdk_milli_add(sum, r->milli);
    }
    return sum;
}

bool sdk_resources_equal(const sdk_resources *a, const sdk_resources *b) {
    /* Normalise both through add so un-merged inputs compare by quantity. */
    sdk_resources x, y;
    sdk_resources_init(&x);
    sdk_resources_init(&y);
    sdk_resources_add_all(&x, a);
    sdk_resources_add_all(&y, b);
    bool ok = x.n == y.n;
    for (size_t i = 0; i < y.n && ok; i++) ok = sdk_resources_subtract(&x, &y.v[i]) == 0;
    ok = ok && x.n == 0;
    sdk_resources_free(&x);
    sdk_resources_free(&y);
    return ok;
}

char *sdk_resources_to_string_new(const sdk_resources *rs) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    for (size_t i = 0; i < rs->n; i++) {
        if (i) sdk_buf_puts(&b, "; ");
        resource_to_buf(&b, &rs->v[i]);
    }
    return sdk_buf_take(&b);
}
