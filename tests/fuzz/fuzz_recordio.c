/* libFuzzer harness for the RecordIO decoder and the Event/Call decoding behind it.
 *
 * The first input byte picks how the rest is split into feeds (so record/feed boundaries are
 * fuzzed too); every record that comes out is decoded as a protobuf Event (what the Mesos
 * client does with each record of the subscription stream, core/mesos/client.c on_record) and
 * parsed as a JSON Event and a JSON Call; whatever decodes is dumped back to JSON, and the
 * resources and attributes of an OFFERS event go through the converters the offer path uses
 * (mesos/resources_pb.h). Nothing may crash, leak or read out of bounds.
 *
 * Build: `make fuzz-build` makes build-fuzz/fuzz/fuzz_recordio (libFuzzer) and
 * build-fuzz/fuzz/replay_recordio (this file + tests/fuzz/replay.c: runs the given files once
 * each). By hand, without libFuzzer:
 *   cc -I. -Ibuild/gen tests/fuzz/fuzz_recordio.c tests/fuzz/replay.c build/libsdk.a \
 *      -lprotobuf-c -ljansson -lm && ./a.out file...
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesos/pbjson.h"
#include "mesos/proto/scheduler.pb-c.h"
#include "mesos/recordio.h"
#include "mesos/resources_pb.h"

/* What the scheduler reads out of an event: offers' resources and attributes. */
static void exercise_event(const Mesos__V1__Scheduler__Event *ev) {
    if (!ev->offers) return;
    for (size_t i = 0; i < ev->offers->n_offers; i++) {
        const Mesos__V1__Offer *o = ev->offers->offers[i];
        sdk_resources rs;
        sdk_resources_init(&rs);
        sdk_errors e;
        sdk_errors_init(&e);
        (void)sdk_resources_from_pb(&rs, o->resources, o->n_resources, &e);
        sdk_resources_free(&rs);
        sdk_errors_free(&e);
        free(sdk_attributes_to_string_new(o->attributes, o->n_attributes));
    }
}

static int on_record(const char *data, size_t len, void *arg) {
    size_t *count = arg;
    (*count)++;
    Mesos__V1__Scheduler__Event *pb = mesos__v1__scheduler__event__unpack(NULL, len, (const uint8_t *)data);
    if (pb) {
        exercise_event(pb);
        free(sdk_pbjson_dumps_new(&pb->base));
        mesos__v1__scheduler__event__free_unpacked(pb, NULL);
    }
    const ProtobufCMessageDescriptor *descs[] = {&mesos__v1__scheduler__event__descriptor,
                                                 &mesos__v1__scheduler__call__descriptor};
    for (size_t i = 0; i < 2; i++) {
        ProtobufCMessage *m = NULL;
        sdk_errors e;
        sdk_errors_init(&e);
        if (sdk_pbjson_parse_new(descs[i], data, len, &m, &e) == 0) {
            char *s = sdk_pbjson_dumps_new(m);
            free(s);
            if (i == 0) exercise_event((const Mesos__V1__Scheduler__Event *)m);
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
