/* libFuzzer harness for the RecordIO decoder and the JSON -> Event/Call path behind it.
 *
 * The first input byte picks how the rest is split into feeds (so record/feed boundaries are
 * fuzzed too); every record that comes out is parsed as a JSON Event and a JSON Call and, if
 * that works, dumped back. Nothing may crash, leak or read out of bounds.
 *
 * With libFuzzer:  clang -fsanitize=fuzzer,address,undefined -DSDK_LIBFUZZER -I. -Ibuild/gen \
 *                  tests/fuzz/fuzz_recordio.c build/libsdk.a -lprotobuf-c -ljansson -lm
 * Without:         cc -I. -Ibuild/gen tests/fuzz/fuzz_recordio.c build/libsdk.a -lprotobuf-c -ljansson -lm
 *                  ./a.out file...   (replays each file once; prints one line per file)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesos/pbjson.h"
#include "mesos/proto/scheduler.pb-c.h"
#include "mesos/recordio.h"

static int on_record(const char *data, size_t len, void *arg) {
    size_t *count = arg;
    (*count)++;
    const ProtobufCMessageDescriptor *descs[] = {&mesos__v1__scheduler__event__descriptor,
                                                 &mesos__v1__scheduler__call__descriptor};
    for (size_t i = 0; i < 2; i++) {
        ProtobufCMessage *m = NULL;
        sdk_errors e;
        sdk_errors_init(&e);
        if (sdk_pbjson_parse_new(descs[i], data, len, &m, &e) == 0) {
            char *s = sdk_pbjson_dumps_new(m);
            free(s);
            sdk_pbjson_message_free(m);
        }
        sdk_errors_free(&e);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t step = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    sdk_recordio_decoder d;
    sdk_recordio_decoder_init(&d, 1 << 20);
    size_t count = 0;
    for (size_t off = 0; off < size; off += step) {
        size_t k = size - off < step ? size - off : step;
        if (sdk_recordio_feed(&d, data + off, k, on_record, &count, NULL)) break;
    }
    (void)sdk_recordio_finish(&d, NULL);
    sdk_recordio_decoder_free(&d);
    return 0;
}

#ifndef SDK_LIBFUZZER
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "%s: cannot open\n", argv[i]);
            return 1;
        }
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
            if (len == cap) {
                cap = cap ? cap * 2 : 65536;
                buf = realloc(buf, cap);
                if (!buf) return 1;
            }
            size_t n = fread(buf + len, 1, cap - len, f);
            if (n == 0) break;
            len += n;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        printf("%s: %zu bytes ok\n", argv[i], len);
        free(buf);
    }
    return 0;
}
#endif
