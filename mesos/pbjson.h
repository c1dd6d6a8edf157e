/* Generic protobuf-c <-> JSON (jansson) conversion with the JSON mapping Mesos uses
 * (stout jsonify / protobuf::parse; mesos-v1-protocol.md §4), driven only by the
 * protobuf-c descriptors, so it works for every message of mesos/proto/.
 *
 * Message -> JSON (what a master emits):
 *   - keys are the proto field names; fields come out in field-number order (upstream uses
 *     declaration order; order is not significant to any reader);
 *   - enums as their value names; bytes as standard base64 with padding;
 *   - integers as JSON numbers (a uint64 above INT64_MAX, which jansson cannot hold, is
 *     written as a decimal string, which the parser below accepts back);
 *   - doubles as numbers (15 significant digits and "15.0" for integral values when dumped
 *     with sdk_pbjson_dumps_new); +-infinity and NaN as the strings "Infinity", "-Infinity",
 *     "NaN";
 *   - repeated fields as arrays, omitted when empty; map fields as objects keyed by the
 *     stringified key;
 *   - an unset optional field is omitted unless it has an explicit proto default and is not
 *     deprecated: then the default is emitted (e.g. Filters.refuse_seconds 5.0), as Mesos does.
 *
 * JSON -> message (what a master accepts):
 *   - keys looked up by exact proto name; unknown keys ignored; null = unset (also inside
 *     arrays, where null elements are skipped);
 *   - enums by name only; an unknown name is dropped for optional/repeated fields and an
 *     error ("Failed to find enum for 'X'") for required ones; a number is an error;
 *   - integers from numbers or numeric strings (range-checked); doubles from numbers,
 *     numeric strings, "Infinity"/"-Infinity"; bools from true/false or "true"/"false";
 *   - repeated fields need an array; map fields take an object (or an array of
 *     {"key":..,"value":..} entries);
 *   - after the whole object is read, missing required fields are reported like protobuf:
 *     "Missing required fields: subscribe.framework_info.user, ...".
 * Error messages start with Mesos' own text ("Not expecting a JSON string for field 'x'")
 * and end with where it happened: " (at subscribe.framework_info.x)". On any error nothing
 * is returned and everything allocated has been freed.
 */
#ifndef SDK_MESOS_PBJSON_H
#define SDK_MESOS_PBJSON_H
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include "core/util/err.h"

/* Converts msg to a new JSON object (caller owns the reference: json_decref). Never NULL. */
json_t *sdk_pbjson_from_message_new(const ProtobufCMessage *msg);

/* Other key styles, for readers that expect protobuf's own JSON printers rather than Mesos'
 * (dcos-commons' REST API prints its v0 TaskInfo with lowerCamelCase names: taskId.value,
 * slaveId.value, executor.container.networkInfos). Values are written as above; map keys are
 * data and keep their text. */
typedef struct sdk_pbjson_rename { const char *from, *to; } sdk_pbjson_rename;
typedef struct sdk_pbjson_style {
    const sdk_pbjson_rename *renames; /* proto field name -> name used instead, in any message */
    size_t n_renames;
    bool camel_case;                  /* then lowerCamelCase: "network_infos" -> "networkInfos" */
} sdk_pbjson_style;
/* As sdk_pbjson_from_message_new with the keys named per style (NULL: proto names). */
json_t *sdk_pbjson_from_message_styled_new(const ProtobufCMessage *msg, const sdk_pbjson_style *style);

/* Compact single-line JSON text of msg, as a master writes it into a RecordIO record.
 * New string (free()). */
char *sdk_pbjson_dumps_new(const ProtobufCMessage *msg);

/* Builds a message of type desc from a JSON object. On success *out is a new message to be
 * released with sdk_pbjson_message_free (or protobuf_c_message_free_unpacked(m, NULL)) and
 * 0 is returned. On failure returns SDK_EINVAL, appends one message to errs (may be NULL),
 * and leaves *out NULL. json is borrowed. */
int sdk_pbjson_to_message_new(const ProtobufCMessageDescriptor *desc, const json_t *json,
                              ProtobufCMessage **out, sdk_errors *errs);

/* Same from JSON text of len bytes. A syntax error gives
 * "Failed to parse JSON: <reason> (line L, column C)". */
int sdk_pbjson_parse_new(const ProtobufCMessageDescriptor *desc, const char *text, size_t len,
                         ProtobufCMessage **out, sdk_errors *errs);

/* Frees a message returned by the functions above (NULL is fine). */
void sdk_pbjson_message_free(ProtobufCMessage *msg);

/* Standard base64 with padding. New NUL-terminated string. */
char *sdk_base64_encode_new(const void *data, size_t len);
/* Decodes standard base64 (padding optional; no whitespace, no URL-safe alphabet).
 * Returns 0 and a new buffer (*out, *out_len; NUL-terminated for convenience), or
 * SDK_EINVAL on a bad character or length. */
int sdk_base64_decode_new(const char *s, size_t len, unsigned char **out, size_t *out_len);
#endif
