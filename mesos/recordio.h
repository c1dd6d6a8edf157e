/* RecordIO framing of the Mesos v1 event stream (mesos-v1-protocol.md §2).
 *
 *   record = <decimal byte length> "\n" <that many bytes>
 *
 * Encoder: used by the local master; appends one record to a buffer.
 * Decoder: used by the scheduler's stream handle; an incremental state machine fed with
 * whatever byte pieces the HTTP layer delivers (record and chunk boundaries are unrelated).
 * Complete records are handed to a callback, in order. It never looks for '\n' inside data.
 *
 * Strictness: a length line must be 1+ ASCII digits then '\n'. Anything else (sign, space,
 * '\r', an empty line) is a protocol error; so is a length that overflows uint64 or exceeds
 * the decoder's cap. After an error the decoder stays failed: drop the stream and
 * re-subscribe. A length of 0 yields an empty record (the master never sends one).
 */
#ifndef SDK_MESOS_RECORDIO_H
#define SDK_MESOS_RECORDIO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util/err.h"
#include "core/util/str.h"

#define SDK_RECORDIO_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

/* Appends "<len>\n" followed by the len bytes of data to out. data may be NULL when len is 0. */
void sdk_recordio_encode(sdk_buf *out, const void *data, size_t len);

/* Called once per complete record. data is valid only during the call (it may point into
 * the fed bytes or into the decoder's buffer); len may be 0. Return 0 to go on, anything
 * else to stop: sdk_recordio_feed then returns that value at once and discards the rest of
 * that feed (the caller is expected to drop the stream). */
typedef int (*sdk_recordio_cb)(const char *data, size_t len, void *arg);

typedef struct sdk_recordio_decoder {
    int state;          /* internal: reading size, reading data, failed */
    uint64_t size;      /* length being parsed, then length of the record being filled */
    size_t n_digits;    /* digits seen on the current length line */
    char *rec;          /* record being filled (owned), NULL when none */
    size_t have;        /* bytes of rec filled */
    size_t max_record;  /* cap on one record's length */
    uint64_t offset;    /* stream bytes consumed so far (for error messages) */
    uint64_t records;   /* records emitted so far */
} sdk_recordio_decoder;

/* Initialises dec. max_record = 0 means SDK_RECORDIO_DEFAULT_MAX (64 MiB). Allocates nothing
 * until a record spans two feeds; release with sdk_recordio_decoder_free. */
void sdk_recordio_decoder_init(sdk_recordio_decoder *dec, size_t max_record);
void sdk_recordio_decoder_free(sdk_recordio_decoder *dec);

/* Feeds n bytes. Emits every record completed by them, in order, through cb.
 * Returns 0; SDK_EINVAL on a protocol error (message appended to errs when non-NULL; the
 * records before the bad byte have been emitted; the decoder is now failed and every
 * further feed returns SDK_EINVAL); or the non-zero value returned by cb. */
int sdk_recordio_feed(sdk_recordio_decoder *dec, const void *bytes, size_t n,
                      sdk_recordio_cb cb, void *arg, sdk_errors *errs);

/* True when the stream stopped inside a record or a length line (so EOF now means the
 * stream broke), false at a clean record boundary. */
bool sdk_recordio_mid_record(const sdk_recordio_decoder *dec);

/* To call at EOF. Returns 0 at a clean boundary; SDK_EIO if the stream ended inside a
 * record (message "stream ended inside a record: got X of Y bytes" in errs); SDK_EINVAL if
 * the decoder had failed. */
int sdk_recordio_finish(const sdk_recordio_decoder *dec, sdk_errors *errs);

/* True once a protocol error has been seen. */
bool sdk_recordio_failed(const sdk_recordio_decoder *dec);
#endif
