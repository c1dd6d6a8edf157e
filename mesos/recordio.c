/* RecordIO encoder and incremental decoder; contract in recordio.h. */
#include "mesos/recordio.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_SIZE = 0, ST_DATA = 1, ST_FAILED = 2 };

void sdk_recordio_encode(sdk_buf *out, const void *data, size_t len) {
    char head[32];
    int n = snprintf(head, sizeof head, "%zu\n", len);
    sdk_buf_append(out, head, (size_t)n);
    if (len) sdk_buf_append(out, data, len);
}

void sdk_recordio_decoder_init(sdk_recordio_decoder *dec, size_t max_record) {
    memset(dec, 0, sizeof *dec);
    dec->state = ST_SIZE;
    dec->max_record = max_record ? max_record : SDK_RECORDIO_DEFAULT_MAX;
}

void sdk_recordio_decoder_free(sdk_recordio_decoder *dec) {
    free(dec->rec);
    dec->rec = NULL;
    dec->have = 0;
}

static int fail(sdk_recordio_decoder *dec, sdk_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(sdk_recordio_decoder *dec, sdk_errors *errs, const char *fmt, ...) {
    dec->state = ST_FAILED;
    free(dec->rec);
    dec->rec = NULL;
    dec->have = 0;
    if (errs) {
        va_list ap;
        va_start(ap, fmt);
        char *m = sdk_vasprintf_new(fmt, ap);
        va_end(ap);
        sdk_errors_addf(errs, "RecordIO: %s (stream offset %" PRIu64 ", after %" PRIu64 " records)",
                        m, dec->offset, dec->records);
        free(m);
    }
    return SDK_EINVAL;
}

int sdk_recordio_feed(sdk_recordio_decoder *dec, const void *bytes, size_t n,
                      sdk_recordio_cb cb, void *arg, sdk_errors *errs) {
    const unsigned char *p = bytes;
    size_t i = 0;
    if (dec->state == ST_FAILED) {
        if (errs) sdk_errors_addf(errs, "RecordIO: decoder already failed; reconnect the stream");
        return SDK_EINVAL;
    }
    while (i < n) {
        if (dec->state == ST_SIZE) {
            unsigned char c = p[i];
            if (c == '\n') {
                if (dec->n_digits == 0)
                    return fail(dec, errs, "empty record length line");
                i++;
                dec->offset++;
                dec->n_digits = 0;
                if (dec->size == 0) {
                    dec->records++;
                    int rc = cb("", 0, arg);
                    if (rc) return rc;
                    continue;
                }
                dec->state = ST_DATA;
                dec->have = 0;
                continue;
            }
            if (c < '0' || c > '9')
                return fail(dec, errs, "unexpected byte 0x%02x in a record length (expected a digit or '\\n')", c);
            uint64_t d = (uint64_t)(c - '0');
            if (dec->size > (UINT64_MAX - d) / 10)
                return fail(dec, errs, "record length overflows 64 bits");
            dec->size = dec->size * 10 + d;
            dec->n_digits++;
            if (dec->size > dec->max_record)
                return fail(dec, errs, "record length %" PRIu64 "... exceeds the limit of %zu bytes",
                            dec->size, dec->max_record);
            i++;
            dec->offset++;
            continue;
        }
        /* ST_DATA: size <= max_record, so it fits in size_t. */
        size_t want = (size_t)dec->size - dec->have;
        size_t avail = n - i;
        if (dec->have == 0 && avail >= want) {
            /* Whole record inside this piece: hand it over without copying. */
            i += want;
            dec->offset += want;
            dec->state = ST_SIZE;
            dec->size = 0;
            dec->records++;
            int rc = cb((const char *)p + i - want, want, arg);
            if (rc) return rc;
            continue;
        }
        if (!dec->rec) dec->rec = sdk_xmalloc((size_t)dec->size + 1);
        size_t take = avail < want ? avail : want;
        memcpy(dec->rec + dec->have, p + i, take);
        dec->have += take;
        i += take;
        dec->offset += take;
        if (dec->have == dec->size) {
            char *rec = dec->rec;
            size_t len = dec->have;
            rec[len] = 0;
            dec->rec = NULL;
            dec->have = 0;
            dec->state = ST_SIZE;
            dec->size = 0;
            dec->records++;
            int rc = cb(rec, len, arg);
            free(rec);
            if (rc) return rc;
        }
    }
    return 0;
}

bool sdk_recordio_mid_record(const sdk_recordio_decoder *dec) {
    if (dec->state == ST_DATA) return true;
    return dec->state == ST_SIZE && dec->n_digits > 0;
}

bool sdk_recordio_failed(const sdk_recordio_decoder *dec) { return dec->state == ST_FAILED; }

int sdk_recordio_finish(const sdk_recordio_decoder *dec, sdk_errors *errs) {
    if (dec->state == ST_FAILED) {
        if (errs) sdk_errors_addf(errs, "RecordIO: stream had a protocol error");
        return SDK_EINVAL;
    }
    if (dec->state == ST_DATA) {
        if (errs)
            sdk_errors_addf(errs, "RecordIO: stream ended inside a record: got %zu of %" PRIu64 " bytes",
                            dec->have, dec->size);
        return SDK_EIO;
    }
    if (dec->n_digits > 0) {
        if (errs) sdk_errors_addf(errs, "RecordIO: stream ended inside a record length line");
        return SDK_EIO;
    }
    return 0;
}
