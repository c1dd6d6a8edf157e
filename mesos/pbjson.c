/* Generic protobuf-c <-> JSON with Mesos' mapping; contract in pbjson.h.
 *
 * Memory rule for JSON -> message: everything allocated is attached to the message being
 * built at once (counts always match the filled part of arrays, oneof cases match the
 * member set), so on any error the top level frees the whole tree with
 * protobuf_c_message_free_unpacked and nothing leaks. Allocation uses malloc, matching
 * protobuf-c's default allocator. */
#include "mesos/pbjson.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/str.h"

/* ---- base64 -------------------------------------------------------------------------------- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *sdk_base64_encode_new(const void *data, size_t len) {
    const unsigned char *p = data;
    char *o = sdk_xmalloc(4 * ((len + 2) / 3) + 1);
    size_t i = 0, j = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        o[j++] = B64[v >> 18 & 63];
        o[j++] = B64[v >> 12 & 63];
        o[j++] = B64[v >> 6 & 63];
        o[j++] = B64[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        o[j++] = B64[v >> 18 & 63];
        o[j++] = B64[v >> 12 & 63];
        o[j++] = '=';
        o[j++] = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        o[j++] = B64[v >> 18 & 63];
        o[j++] = B64[v >> 12 & 63];
        o[j++] = B64[v >> 6 & 63];
        o[j++] = '=';
    }
    o[j] = 0;
    return o;
}

static int b64val(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int sdk_base64_decode_new(const char *s, size_t len, unsigned char **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    size_t pad = 0;
    while (len > 0 && s[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }
    if (len % 4 == 1) return SDK_EINVAL;
    if (pad && (len + pad) % 4 != 0) return SDK_EINVAL;
    unsigned char *o = sdk_xmalloc(len / 4 * 3 + 3);
    size_t j = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0) {
            free(o);
            return SDK_EINVAL;
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[j++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    o[j] = 0;
    *out = o;
    *out_len = j;
    return 0;
}

/* ---- descriptor helpers -------------------------------------------------------------------- */

static void *fptr(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
    return (char *)m + f->offset;
}

static void *qptr(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
    return (char *)m + f->quantifier_offset;
}

static size_t elem_size(ProtobufCType t) {
    switch (t) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_FLOAT: return sizeof(float);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
    case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
    }
    return 8;
}

/* protoc turns `map<K,V> x` into `repeated XEntry x` with XEntry{key=1, value=2}. */
static bool is_map(const ProtobufCFieldDescriptor *f) {
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE) return false;
    const ProtobufCMessageDescriptor *d = f->descriptor;
    size_t nl = strlen(d->name);
    return d->n_fields == 2 && nl > 5 && strcmp(d->name + nl - 5, "Entry") == 0 &&
           d->fields[0].id == 1 && strcmp(d->fields[0].name, "key") == 0 &&
           d->fields[1].id == 2 && strcmp(d->fields[1].name, "value") == 0;
}

static bool is_oneof(const ProtobufCFieldDescriptor *f) {
    return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
}

/* Optional scalars/enums/bytes carry a has_ flag; strings and messages use the pointer. */
static bool has_flag(const ProtobufCFieldDescriptor *f) {
    return f->label == PROTOBUF_C_LABEL_OPTIONAL && !is_oneof(f) &&
           f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE;
}

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d) {
    ProtobufCMessage *m = sdk_xmalloc(d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

void sdk_pbjson_message_free(ProtobufCMessage *msg) {
    if (msg) protobuf_c_message_free_unpacked(msg, NULL);
}

/* ---- message -> JSON ----------------------------------------------------------------------- */

static json_t *msg_to_json(const ProtobufCMessage *m, const sdk_pbjson_style *style);

static json_t *real_to_json(double d) {
    if (isfinite(d)) return json_real(d);
    if (isnan(d)) return json_string("NaN");
    return json_string(d > 0 ? "Infinity" : "-Infinity");
}

/* jansson only holds valid UTF-8; protobuf-c does not check it. Invalid bytes become U+FFFD
 * so that one bad label never makes a whole event unencodable. */
static json_t *str_to_json(const char *s) {
    json_t *j = json_string(s);
    if (j) return j;
    sdk_buf b;
    sdk_buf_init(&b);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
        bool ok = n > 0;
        for (int k = 1; ok && k < n; k++) ok = (p[k] & 0xC0) == 0x80;
        if (ok) {
            json_t *t = json_stringn((const char *)p, (size_t)n);
            ok = t != NULL;
            json_decref(t);
        }
        if (ok) {
            sdk_buf_append(&b, p, (size_t)n);
            p += n;
        } else {
            sdk_buf_puts(&b, "\xEF\xBF\xBD");
            p++;
        }
    }
    j = json_string(b.data ? b.data : "");
    sdk_buf_free(&b);
    return j ? j : json_string("");
}

static json_t *value_to_json(const ProtobufCFieldDescriptor *f, const void *p, const sdk_pbjson_style *style) {
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t v = *(const uint64_t *)p;
        if (v <= INT64_MAX) return json_integer((json_int_t)v);
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%" PRIu64, v);
        return json_string(tmp);
    }
    case PROTOBUF_C_TYPE_FLOAT: return real_to_json(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE: return real_to_json(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL: return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        return ev ? json_string(ev->name) : json_integer(v);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return str_to_json(s ? s : "");
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = p;
        char *e = sdk_base64_encode_new(bd->data, bd->len);
        json_t *j = json_string(e);
        free(e);
        return j;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
        return sub ? msg_to_json(sub, style) : json_object();
    }
    }
    return json_null();
}

/* Map keys are strings in JSON: the key's text form. */
static char *map_key_new(const ProtobufCFieldDescriptor *kf, const ProtobufCMessage *entry) {
    const void *p = fptr(entry, kf);
    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)p;
        return sdk_xstrdup(s ? s : "");
    }
    case PROTOBUF_C_TYPE_BOOL: return sdk_xstrdup(*(const protobuf_c_boolean *)p ? "true" : "false");
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        return sdk_asprintf_new("%" PRId32, *(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        return sdk_asprintf_new("%" PRIu32, *(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        return sdk_asprintf_new("%" PRId64, *(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        return sdk_asprintf_new("%" PRIu64, *(const uint64_t *)p);
    default:
        return sdk_xstrdup("");
    }
}

/* The key a field gets: its proto name, or under a style the renamed and/or lowerCamelCase one
 * (protobuf's json_name rule: drop each '_' and upper-case the letter after it). Returns f->name
 * or a string in buf. */
static const char *field_key(const ProtobufCFieldDescriptor *f, const sdk_pbjson_style *style, char *buf,
                             size_t cap) {
    if (!style) return f->name;
    const char *name = f->name;
    for (size_t i = 0; i < style->n_renames; i++)
        if (!strcmp(style->renames[i].from, name)) name = style->renames[i].to;
    if (!style->camel_case) return name;
    size_t k = 0;
    bool up = false;
    for (const char *c = name; *c && k + 1 < cap; c++) {
        if (*c == '_') { up = true; continue; }
        buf[k++] = up && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
        up = false;
    }
    buf[k] = 0;
    return buf;
}

static json_t *msg_to_json(const ProtobufCMessage *m, const sdk_pbjson_style *style) {
    const ProtobufCMessageDescriptor *d = m->descriptor;
    json_t *obj = json_object();
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = fptr(m, f);
        json_t *v = NULL;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)qptr(m, f);
            if (n == 0) continue;
            const char *arr = *(char *const *)p;
            if (is_map(f)) {
                const ProtobufCMessageDescriptor *ed = f->descriptor;
                v = json_object();
                for (size_t k = 0; k < n; k++) {
                    const ProtobufCMessage *e = ((ProtobufCMessage *const *)arr)[k];
                    if (!e) continue;
                    char *key = map_key_new(&ed->fields[0], e);
                    json_t *val = value_to_json(&ed->fields[1], fptr(e, &ed->fields[1]), style);
                    json_t *ku = str_to_json(key);
                    json_object_set_new(v, json_string_value(ku), val);
                    json_decref(ku);
                    free(key);
                }
            } else {
                size_t esz = elem_size(f->type);
                v = json_array();
                for (size_t k = 0; k < n; k++) json_array_append_new(v, value_to_json(f, arr + k * esz, style));
            }
        } else if (is_oneof(f)) {
            if (*(const uint32_t *)qptr(m, f) != f->id) continue;
            v = value_to_json(f, p, style);
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
            bool present;
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) present = *(void *const *)p != NULL;
            else if (f->type == PROTOBUF_C_TYPE_STRING)
                present = *(void *const *)p != NULL && *(void *const *)p != f->default_value;
            else present = *(const protobuf_c_boolean *)qptr(m, f);
            if (present) {
                v = value_to_json(f, p, style);
            } else if (f->default_value && !(f->flags & PROTOBUF_C_FIELD_FLAG_DEPRECATED)) {
                /* String defaults point at the characters; the others at a value. */
                if (f->type == PROTOBUF_C_TYPE_STRING) v = str_to_json(f->default_value);
                else v = value_to_json(f, f->default_value, style);
            } else {
                continue;
            }
        } else {
            if ((f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) &&
                *(void *const *)p == NULL)
                continue; /* an invalid message: leave the hole rather than invent a value */
            v = value_to_json(f, p, style);
        }
        char key[128];
        json_object_set_new(obj, field_key(f, style, key, sizeof key), v);
    }
    return obj;
}

json_t *sdk_pbjson_from_message_new(const ProtobufCMessage *msg) { return msg_to_json(msg, NULL); }

json_t *sdk_pbjson_from_message_styled_new(const ProtobufCMessage *msg, const sdk_pbjson_style *style) {
    return msg_to_json(msg, style);
}

char *sdk_pbjson_dumps_new(const ProtobufCMessage *msg) {
    json_t *j = msg_to_json(msg, NULL);
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(j);
    return s ? s : sdk_xstrdup("{}");
}

/* ---- JSON -> message ----------------------------------------------------------------------- */

typedef struct {
    sdk_errors *errs;
    sdk_buf missing; /* ", "-separated paths of unset required fields */
} pctx;

enum { SET = 0, SKIPPED = 1 };

static const char *kind(const json_t *j) {
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: case JSON_REAL: return "number";
    case JSON_TRUE: case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int perr(pctx *c, const char *prefix, const ProtobufCFieldDescriptor *f, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int perr(pctx *c, const char *prefix, const ProtobufCFieldDescriptor *f, const char *fmt, ...) {
    if (c->errs) {
        va_list ap;
        va_start(ap, fmt);
        char *m = sdk_vasprintf_new(fmt, ap);
        va_end(ap);
        sdk_errors_addf(c->errs, "%s (at %s%s)", m, prefix, f->name);
        free(m);
    }
    return SDK_EINVAL;
}

static int not_expecting(pctx *c, const char *prefix, const ProtobufCFieldDescriptor *f, const json_t *j) {
    return perr(c, prefix, f, "Not expecting a JSON %s for field '%s'", kind(j), f->name);
}

static int get_int(pctx *c, const char *prefix, const ProtobufCFieldDescriptor *f, const json_t *j,
                   int64_t lo, int64_t hi, int64_t *out) {
    int64_t v;
    if (json_is_integer(j)) {
        v = json_integer_value(j);
    } else if (json_is_real(j)) {
        double d = json_real_value(j);
        if (d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return perr(c, prefix, f, "Value %g of field '%s' is not an integer", d, f->name);
        v = (int64_t)d;
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        char *end;
        errno = 0;
        long long t = strtoll(s, &end, 10);
        if (!*s || *end || errno)
            return perr(c, prefix, f, "Failed to parse '%s' as an integer for field '%s'", s, f->name);
        v = t;
    } else {
        return not_expecting(c, prefix, f, j);
    }
    if (v < lo || v > hi)
        return perr(c, prefix, f, "Value %" PRId64 " is out of range for field '%s'", v, f->name);
    *out = v;
    return 0;
}

static int get_uint(pctx *c, const char *prefix, const ProtobufCFieldDescriptor *f, const json_t *j,
                    uint64_t hi, uint64_t *out) {
    uint64_t v;
    if (json_is_integer(j)) {
        json_int_t t = json_integer_value(j);
        if (t < 0)
            return perr(c, prefix, f, "Value %" PRId64 " is out of range for field '%s'", (int64_t)t, f->name);
        v = (uint64_t)t;
    } else if (json_is_real(j)) {
        double d = json_real_value(j);
        if (d != floor(d) || d < 0 || d >= 18446744073709551616.0)
            return perr(c, prefix, f, "Value %g of field '%s' is not a non-negative integer", d, f->name);
        v = (uint64_t)d;
    } else if (json_is_string(j)) {
        const char *s = json_string_value(j);
        char *end;
        errno = 0;
        unsigned long long t = strtoull(s, &end, 10);
        if (!*s || *s == '-' || *end || errno)
            return perr(c, prefix, f, "Failed to parse '%s' as a non-negative integer for field '%s'", s, f->name);
        v = t;
    } else {
        return not_expecting(c, prefix, f, j);
    }
    if (v > hi) return perr(c, prefix, f, "Value %" PRIu64 " is out of range for field '%s'", v, f->name);
    *out = v;
    return 0;
}

static int get_double(pctx *c, const char *prefix, const ProtobufCFieldDescriptor *f, const json_t *j,
                      double *out) {
    if (json_is_number(j)) {
        *out = json_number_value(j);
        return 0;
    }
    if (!json_is_string(j)) return not_expecting(c, prefix, f, j);
    const char *s = json_string_value(j);
    if (strcmp(s, "Infinity") == 0) *out = INFINITY;
    else if (strcmp(s, "-Infinity") == 0) *out = -INFINITY;
    else if (strcmp(s, "NaN") == 0) *out = NAN;
    else {
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (!*s || *end || errno == ERANGE)
            return perr(c, prefix, f, "Failed to parse '%s' as a number for field '%s'", s, f->name);
        *out = d;
    }
    return 0;
}

/* Parses one non-message value of field f from j into dst (element storage of f's C type).
 * Returns SET, SKIPPED (unknown enum name in a non-required field: proto2 drops it), or
 * SDK_EINVAL. On SET, strings and bytes in dst are newly allocated. */
static int parse_scalar(pctx *c, const char *prefix, const ProtobufCFieldDescriptor *f, const json_t *j,
                        void *dst) {
    int64_t iv;
    uint64_t uv;
    double dv;
    int rc;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        if ((rc = get_int(c, prefix, f, j, INT32_MIN, INT32_MAX, &iv))) return rc;
        *(int32_t *)dst = (int32_t)iv;
        return SET;
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        if ((rc = get_int(c, prefix, f, j, INT64_MIN, INT64_MAX, &iv))) return rc;
        *(int64_t *)dst = iv;
        return SET;
    case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        if ((rc = get_uint(c, prefix, f, j, UINT32_MAX, &uv))) return rc;
        *(uint32_t *)dst = (uint32_t)uv;
        return SET;
    case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
        if ((rc = get_uint(c, prefix, f, j, UINT64_MAX, &uv))) return rc;
        *(uint64_t *)dst = uv;
        return SET;
    case PROTOBUF_C_TYPE_FLOAT:
        if ((rc = get_double(c, prefix, f, j, &dv))) return rc;
        if (isfinite(dv) && fabs(dv) > FLT_MAX)
            return perr(c, prefix, f, "Value %g is out of range for field '%s'", dv, f->name);
        *(float *)dst = (float)dv;
        return SET;
    case PROTOBUF_C_TYPE_DOUBLE:
        if ((rc = get_double(c, prefix, f, j, &dv))) return rc;
        *(double *)dst = dv;
        return SET;
    case PROTOBUF_C_TYPE_BOOL:
        if (json_is_boolean(j)) {
            *(protobuf_c_boolean *)dst = json_is_true(j);
        } else if (json_is_string(j) && (!strcmp(json_string_value(j), "true") ||
                                         !strcmp(json_string_value(j), "false"))) {
            *(protobuf_c_boolean *)dst = !strcmp(json_string_value(j), "true");
        } else {
            return not_expecting(c, prefix, f, j);
        }
        return SET;
    case PROTOBUF_C_TYPE_ENUM: {
        if (!json_is_string(j)) return not_expecting(c, prefix, f, j);
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, json_string_value(j));
        if (!ev) {
            if (f->label == PROTOBUF_C_LABEL_REQUIRED)
                return perr(c, prefix, f, "Failed to find enum for '%s'", json_string_value(j));
            return SKIPPED;
        }
        *(int *)dst = ev->value;
        return SET;
    }
    case PROTOBUF_C_TYPE_STRING:
        if (!json_is_string(j)) return not_expecting(c, prefix, f, j);
        *(char **)dst = sdk_xstrndup(json_string_value(j), json_string_length(j));
        return SET;
    case PROTOBUF_C_TYPE_BYTES: {
        if (!json_is_string(j)) return not_expecting(c, prefix, f, j);
        unsigned char *data;
        size_t len;
        if (sdk_base64_decode_new(json_string_value(j), json_string_length(j), &data, &len))
            return perr(c, prefix, f, "Failed to base64 decode bytes field '%s': invalid base64 '%s'",
                        f->name, json_string_value(j));
        ProtobufCBinaryData *bd = dst;
        bd->data = data;
        bd->len = len;
        return SET;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        break;
    }
    return not_expecting(c, prefix, f, j);
}

static int parse_message(pctx *c, ProtobufCMessage *m, const json_t *obj, const char *prefix);

/* Frees what the currently selected member of f's oneof owns, and unselects it. */
static void clear_oneof(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
    uint32_t *cs = qptr(m, f);
    if (*cs == 0) return;
    const ProtobufCFieldDescriptor *cur = protobuf_c_message_descriptor_get_field(m->descriptor, *cs);
    void *p = fptr(m, f);
    if (cur) {
        if (cur->type == PROTOBUF_C_TYPE_STRING) free(*(char **)p);
        else if (cur->type == PROTOBUF_C_TYPE_BYTES) free(((ProtobufCBinaryData *)p)->data);
        else if (cur->type == PROTOBUF_C_TYPE_MESSAGE && *(ProtobufCMessage **)p)
            protobuf_c_message_free_unpacked(*(ProtobufCMessage **)p, NULL);
    }
    memset(p, 0, elem_size(cur ? cur->type : PROTOBUF_C_TYPE_BYTES));
    *cs = 0;
}

/* Sets singular field f of m from j (not null). Returns SET, SKIPPED or SDK_EINVAL. */
static int set_singular(pctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const json_t *j,
                        const char *prefix) {
    void *p = fptr(m, f);
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        if (!json_is_object(j)) return not_expecting(c, prefix, f, j);
        if (is_oneof(f)) clear_oneof(m, f);
        else if (*(ProtobufCMessage **)p) protobuf_c_message_free_unpacked(*(ProtobufCMessage **)p, NULL);
        ProtobufCMessage *sub = new_message(f->descriptor);
        *(ProtobufCMessage **)p = sub;
        if (is_oneof(f)) *(uint32_t *)qptr(m, f) = f->id;
        char *child = sdk_asprintf_new("%s%s.", prefix, f->name);
        int rc = parse_message(c, sub, j, child);
        free(child);
        return rc < 0 ? rc : SET;
    }
    union {
        int64_t i;
        double d;
        void *ptr;
        ProtobufCBinaryData b;
    } tmp;
    memset(&tmp, 0, sizeof tmp);
    int rc = parse_scalar(c, prefix, f, j, &tmp);
    if (rc != SET) return rc;
    if (is_oneof(f)) {
        clear_oneof(m, f);
        *(uint32_t *)qptr(m, f) = f->id;
    } else if (f->type == PROTOBUF_C_TYPE_STRING) {
        char *old = *(char **)p;
        if (old && old != f->default_value) free(old);
    } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
        ProtobufCBinaryData *old = p;
        const ProtobufCBinaryData *def = f->default_value;
        if (old->data && (!def || old->data != def->data)) free(old->data);
    }
    memcpy(p, &tmp, elem_size(f->type));
    if (has_flag(f)) *(protobuf_c_boolean *)qptr(m, f) = 1;
    return SET;
}

static int parse_map_object(pctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const json_t *obj,
                            const char *prefix) {
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    size_t n = json_object_size(obj);
    if (n == 0) return SET;
    ProtobufCMessage **arr = sdk_xcalloc(n, sizeof *arr);
    size_t *cnt = qptr(m, f);
    *(ProtobufCMessage ***)fptr(m, f) = arr;
    *cnt = 0;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val) {
        if (json_is_null(val)) continue;
        ProtobufCMessage *e = new_message(ed);
        arr[(*cnt)++] = e;
        char *child = sdk_asprintf_new("%s%s[%s].", prefix, f->name, key);
        json_t *kj = json_string(key);
        int rc = set_singular(c, e, &ed->fields[0], kj, child);
        json_decref(kj);
        if (rc >= 0) rc = set_singular(c, e, &ed->fields[1], val, child);
        free(child);
        if (rc < 0) return rc;
    }
    return SET;
}

static int parse_field(pctx *c, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, const json_t *j,
                       const char *prefix) {
    if (f->label != PROTOBUF_C_LABEL_REPEATED) return set_singular(c, m, f, j, prefix);
    if (is_map(f) && json_is_object(j)) return parse_map_object(c, m, f, j, prefix);
    if (!json_is_array(j))
        return perr(c, prefix, f, "Not expecting a JSON %s for field '%s' (expecting an array)", kind(j), f->name);
    size_t n = json_array_size(j);
    if (n == 0) return SET;
    size_t esz = elem_size(f->type);
    char *arr = sdk_xcalloc(n, esz);
    size_t *cnt = qptr(m, f);
    *(char **)fptr(m, f) = arr;
    *cnt = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *el = json_array_get(j, i);
        if (json_is_null(el)) continue;
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (!json_is_object(el)) return not_expecting(c, prefix, f, el);
            ProtobufCMessage *sub = new_message(f->descriptor);
            ((ProtobufCMessage **)arr)[(*cnt)++] = sub;
            char *child = sdk_asprintf_new("%s%s[%zu].", prefix, f->name, i);
            int rc = parse_message(c, sub, el, child);
            free(child);
            if (rc < 0) return rc;
        } else {
            int rc = parse_scalar(c, prefix, f, el, arr + *cnt * esz);
            if (rc < 0) return rc;
            if (rc == SET) (*cnt)++;
        }
    }
    return SET;
}

static int parse_message(pctx *c, ProtobufCMessage *m, const json_t *obj, const char *prefix) {
    const ProtobufCMessageDescriptor *d = m->descriptor;
    bool *seen = sdk_xcalloc(d->n_fields ? d->n_fields : 1, sizeof *seen);
    const char *key;
    json_t *val;
    int rc = 0;
    json_object_foreach((json_t *)obj, key, val) {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
        if (!f || json_is_null(val)) continue;
        rc = parse_field(c, m, f, val, prefix);
        if (rc < 0) break;
        if (rc == SET) seen[f - d->fields] = true;
        rc = 0;
    }
    if (rc == 0) {
        for (unsigned i = 0; i < d->n_fields; i++) {
            if (d->fields[i].label != PROTOBUF_C_LABEL_REQUIRED || seen[i]) continue;
            if (c->missing.len) sdk_buf_puts(&c->missing, ", ");
            sdk_buf_printf(&c->missing, "%s%s", prefix, d->fields[i].name);
        }
    }
    free(seen);
    return rc;
}

int sdk_pbjson_to_message_new(const ProtobufCMessageDescriptor *desc, const json_t *json,
                              ProtobufCMessage **out, sdk_errors *errs) {
    *out = NULL;
    if (!json_is_object(json)) {
        if (errs) sdk_errors_addf(errs, "Expecting a JSON object");
        return SDK_EINVAL;
    }
    pctx c = {.errs = errs};
    sdk_buf_init(&c.missing);
    ProtobufCMessage *m = new_message(desc);
    int rc = parse_message(&c, m, json, "");
    if (rc == 0 && c.missing.len) {
        if (errs) sdk_errors_addf(errs, "Missing required fields: %s", c.missing.data);
        rc = SDK_EINVAL;
    }
    sdk_buf_free(&c.missing);
    if (rc) {
        protobuf_c_message_free_unpacked(m, NULL);
        return SDK_EINVAL;
    }
    *out = m;
    return 0;
}

int sdk_pbjson_parse_new(const ProtobufCMessageDescriptor *desc, const char *text, size_t len,
                         ProtobufCMessage **out, sdk_errors *errs) {
    *out = NULL;
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!j) {
        if (errs) sdk_errors_addf(errs, "Failed to parse JSON: %s (line %d, column %d)", je.text, je.line, je.column);
        return SDK_EINVAL;
    }
    int rc = sdk_pbjson_to_message_new(desc, j, out, errs);
    json_decref(j);
    return rc;
}
