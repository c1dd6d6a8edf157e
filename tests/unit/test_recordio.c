/* RecordIO encoder/decoder against the vectors of mesos-v1-protocol.md §2.2 and the decoder
 * requirements of §2.3. */
#include "tests/unit/check.h"
#include "mesos/recordio.h"
#include "mesos/proto/scheduler.pb-c.h"

#include <stdint.h>

#define MAXREC 16
typedef struct {
    char *rec[MAXREC];
    size_t len[MAXREC];
    int n;
    int stop_after; /* 0: never */
} collector;

static int collect(const char *data, size_t len, void *arg) {
    collector *c = arg;
    if (c->n < MAXREC) {
        c->rec[c->n] = malloc(len + 1);
        memcpy(c->rec[c->n], data, len);
        c->rec[c->n][len] = 0;
        c->len[c->n] = len;
    }
    c->n++;
    if (c->stop_after && c->n >= c->stop_after) return 42;
    return 0;
}

static void collector_free(collector *c) {
    for (int i = 0; i < c->n && i < MAXREC; i++) free(c->rec[i]);
    memset(c, 0, sizeof *c);
}

static const char HEARTBEAT[] = "{\"type\":\"HEARTBEAT\"}";
static const char SUBSCRIBED[] =
    "{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":{\"value\":\"5b3e6c0e-8c1f-4a0e-9d7a-1f2e3d4c5b6a-0000\"},"
    "\"heartbeat_interval_seconds\":15.0,\"master_info\":{\"id\":\"5b3e6c0e-8c1f-4a0e-9d7a-1f2e3d4c5b6a\",\"ip\":16777343,"
    "\"port\":5050,\"pid\":\"master@127.0.0.1:5050\",\"hostname\":\"localhost\",\"version\":\"1.11.0\",\"address\":"
    "{\"hostname\":\"localhost\",\"ip\":\"127.0.0.1\",\"port\":5050},\"capabilities\":[{\"type\":\"AGENT_UPDATE\"},"
    "{\"type\":\"AGENT_DRAINING\"},{\"type\":\"QUOTA_V2\"}]}}}";

static const unsigned char PB_ERROR[] = {
    0x08, 0x07, 0x42, 0x17, 0x0A, 0x15, 0x46, 0x72, 0x61, 0x6D, 0x65, 0x77, 0x6F, 0x72,
    0x6B, 0x20, 0x66, 0x61, 0x69, 0x6C, 0x65, 0x64, 0x20, 0x6F, 0x76, 0x65, 0x72};

static void test_encode_json_vectors(void) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_recordio_encode(&b, HEARTBEAT, strlen(HEARTBEAT));
    CHECK_INT(b.len, 23);
    CHECK_STR(b.data, "20\n{\"type\":\"HEARTBEAT\"}");
    sdk_buf_reset(&b);
    const char *err = "{\"type\":\"ERROR\",\"error\":{\"message\":\"Framework failed over\"}}";
    sdk_recordio_encode(&b, err, strlen(err));
    CHECK(strncmp(b.data, "60\n", 3) == 0);
    sdk_buf_reset(&b);
    const char *cafe = "{\"type\":\"ERROR\",\"error\":{\"message\":\"caf\xc3\xa9\"}}";
    sdk_recordio_encode(&b, cafe, strlen(cafe));
    CHECK(strncmp(b.data, "44\n", 3) == 0);
    CHECK_INT(b.len, 47);
    sdk_buf_reset(&b);
    sdk_recordio_encode(&b, SUBSCRIBED, strlen(SUBSCRIBED));
    CHECK(strncmp(b.data, "448\n{", 5) == 0);
    sdk_buf_free(&b);
}

static void test_encode_protobuf_heartbeat_and_error(void) {
    Mesos__V1__Scheduler__Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT;
    unsigned char pb[64];
    size_t n = mesos__v1__scheduler__event__pack(&ev, pb);
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_recordio_encode(&b, pb, n);
    const unsigned char want[] = {0x32, 0x0A, 0x08, 0x08};
    CHECK_INT(b.len, 4);
    CHECK(memcmp(b.data, want, 4) == 0);

    Mesos__V1__Scheduler__Event__Error er = MESOS__V1__SCHEDULER__EVENT__ERROR__INIT;
    er.message = "Framework failed over";
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR;
    ev.error = &er;
    n = mesos__v1__scheduler__event__pack(&ev, pb);
    CHECK_INT(n, 27);
    CHECK(memcmp(pb, PB_ERROR, sizeof PB_ERROR) == 0);
    sdk_buf_reset(&b);
    sdk_recordio_encode(&b, pb, n);
    CHECK(memcmp(b.data, "27\n", 3) == 0);
    CHECK_INT(b.len, 30);
    sdk_buf_free(&b);
}

static void test_decode_protobuf_error_with_newline_byte_in_data(void) {
    /* 0x0A appears inside the data (the length of the nested message); the decoder must not
     * treat it as a separator. */
    unsigned char wire[3 + sizeof PB_ERROR];
    memcpy(wire, "27\n", 3);
    memcpy(wire + 3, PB_ERROR, sizeof PB_ERROR);
    for (size_t split = 0; split <= sizeof wire; split++) {
        sdk_recordio_decoder d;
        sdk_recordio_decoder_init(&d, 0);
        collector c = {0};
        CHECK_INT(sdk_recordio_feed(&d, wire, split, collect, &c, NULL), 0);
        CHECK_INT(sdk_recordio_feed(&d, wire + split, sizeof wire - split, collect, &c, NULL), 0);
        CHECK_INT(c.n, 1);
        if (c.n == 1) {
            Mesos__V1__Scheduler__Event *ev =
                mesos__v1__scheduler__event__unpack(NULL, c.len[0], (const uint8_t *)c.rec[0]);
            CHECK(ev != NULL);
            if (ev) {
                CHECK_INT(ev->type, MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR);
                CHECK(ev->error && strcmp(ev->error->message, "Framework failed over") == 0);
                mesos__v1__scheduler__event__free_unpacked(ev, NULL);
            }
        }
        CHECK_INT(sdk_recordio_finish(&d, NULL), 0);
        collector_free(&c);
        sdk_recordio_decoder_free(&d);
    }
}

static void test_two_records_back_to_back_in_one_feed(void) {
    const char *s = "20\n{\"type\":\"HEARTBEAT\"}20\n{\"type\":\"HEARTBEAT\"}";
    sdk_recordio_decoder d;
    sdk_recordio_decoder_init(&d, 0);
    collector c = {0};
    CHECK_INT(sdk_recordio_feed(&d, s, strlen(s), collect, &c, NULL), 0);
    CHECK_INT(c.n, 2);
    CHECK_STR(c.rec[0], HEARTBEAT);
    CHECK_STR(c.rec[1], HEARTBEAT);
    CHECK(!sdk_recordio_mid_record(&d));
    collector_free(&c);
    sdk_recordio_decoder_free(&d);
}

static void test_size_split_lone_newline_and_data_in_many_reads(void) {
    sdk_buf w;
    sdk_buf_init(&w);
    sdk_recordio_encode(&w, SUBSCRIBED, strlen(SUBSCRIBED));
    sdk_recordio_decoder d;
    sdk_recordio_decoder_init(&d, 0);
    collector c = {0};
    /* "4" | "48" | "\n" | data in 7-byte pieces */
    CHECK_INT(sdk_recordio_feed(&d, w.data, 1, collect, &c, NULL), 0);
    CHECK(sdk_recordio_mid_record(&d));
    CHECK_INT(sdk_recordio_feed(&d, w.data + 1, 2, collect, &c, NULL), 0);
    CHECK_INT(sdk_recordio_feed(&d, w.data + 3, 1, collect, &c, NULL), 0);
    CHECK_INT(c.n, 0);
    for (size_t off = 4; off < w.len; off += 7) {
        size_t k = w.len - off < 7 ? w.len - off : 7;
        CHECK_INT(sdk_recordio_feed(&d, w.data + off, k, collect, &c, NULL), 0);
        if (off + k < w.len) CHECK_INT(c.n, 0);
    }
    CHECK_INT(c.n, 1);
    CHECK_INT(c.len[0], 448);
    CHECK_STR(c.rec[0], SUBSCRIBED);
    CHECK_INT(sdk_recordio_finish(&d, NULL), 0);
    collector_free(&c);
    sdk_recordio_decoder_free(&d);
    sdk_buf_free(&w);
}

static void test_byte_by_byte_and_every_split(void) {
    sdk_buf w;
    sdk_buf_init(&w);
    sdk_recordio_encode(&w, HEARTBEAT, strlen(HEARTBEAT));
    sdk_recordio_encode(&w, SUBSCRIBED, strlen(SUBSCRIBED));
    sdk_recordio_encode(&w, "", 0);
    sdk_recordio_encode(&w, HEARTBEAT, strlen(HEARTBEAT));
    sdk_recordio_decoder d;
    sdk_recordio_decoder_init(&d, 0);
    collector c = {0};
    for (size_t i = 0; i < w.len; i++) CHECK_INT(sdk_recordio_feed(&d, w.data + i, 1, collect, &c, NULL), 0);
    CHECK_INT(c.n, 4);
    CHECK_STR(c.rec[1], SUBSCRIBED);
    CHECK_INT(c.len[2], 0);
    CHECK_STR(c.rec[3], HEARTBEAT);
    collector_free(&c);
    sdk_recordio_decoder_free(&d);
    /* Several complete records plus a partial one in one read, at every split point. */
    for (size_t split = 0; split <= w.len; split++) {
        sdk_recordio_decoder_init(&d, 0);
        CHECK_INT(sdk_recordio_feed(&d, w.data, split, collect, &c, NULL), 0);
        CHECK_INT(sdk_recordio_feed(&d, w.data + split, w.len - split, collect, &c, NULL), 0);
        CHECK_INT(c.n, 4);
        if (c.n == 4) CHECK_STR(c.rec[1], SUBSCRIBED);
        CHECK_INT(sdk_recordio_finish(&d, NULL), 0);
        collector_free(&c);
        sdk_recordio_decoder_free(&d);
    }
    sdk_buf_free(&w);
}

static void test_errata_121_byte_vector(void) {
    const char *s = "121\n{\"type\": \"SUBSCRIBED\",\"subscribed\": {\"framework_id\": {\"value\":"
                    "\"12220-3440-12532-2345\"},\"heartbeat_interval_seconds\":15.0}20\n{\"type\":\"HEARTBEAT\"}";
    sdk_recordio_decoder d;
    sdk_recordio_decoder_init(&d, 0);
    collector c = {0};
    CHECK_INT(sdk_recordio_feed(&d, s, strlen(s), collect, &c, NULL), 0);
    CHECK_INT(c.n, 2);
    CHECK_INT(c.len[0], 121);
    CHECK_STR(c.rec[1], HEARTBEAT);
    collector_free(&c);
    sdk_recordio_decoder_free(&d);
}

static int feed_str_expect_error(const char *s, size_t max, const char *needle) {
    sdk_recordio_decoder d;
    sdk_recordio_decoder_init(&d, max);
    collector c = {0};
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_recordio_feed(&d, s, strlen(s), collect, &c, &e);
    CHECK_INT(rc, SDK_EINVAL);
    CHECK(sdk_recordio_failed(&d));
    CHECK_MSG(e.n == 1 && sdk_errors_contains(&e, needle), "input %s: %s", s, e.n ? e.msgs[0] : "(none)");
    /* Stays failed: a later valid record is not accepted. */
    CHECK_INT(sdk_recordio_feed(&d, "2\n{}", 4, collect, &c, NULL), SDK_EINVAL);
    int n = c.n;
    collector_free(&c);
    sdk_errors_free(&e);
    sdk_recordio_decoder_free(&d);
    return n;
}

static void test_protocol_errors(void) {
    CHECK_INT(feed_str_expect_error("2a\n{}", 0, "unexpected byte 0x61"), 0);
    CHECK_INT(feed_str_expect_error("-1\n", 0, "unexpected byte 0x2d"), 0);
    CHECK_INT(feed_str_expect_error(" 20\n", 0, "unexpected byte 0x20"), 0);
    CHECK_INT(feed_str_expect_error("2\r\n{}", 0, "unexpected byte 0x0d"), 0);
    CHECK_INT(feed_str_expect_error("\n", 0, "empty record length line"), 0);
    /* The record before the bad one is delivered; the error names where the stream broke. */
    CHECK_INT(feed_str_expect_error("2\n{}x\n", 0, "stream offset 4, after 1 records"), 1);
}

static void test_overflow_and_cap(void) {
    /* 2^64 overflows even with no cap to stop it first. */
    CHECK_INT(feed_str_expect_error("18446744073709551616\n", SIZE_MAX, "overflows 64 bits"), 0);
    /* Default cap is 64 MiB: 67108864 is fine (no allocation until data arrives), +1 is not. */
    sdk_recordio_decoder d;
    sdk_recordio_decoder_init(&d, 0);
    collector c = {0};
    CHECK_INT(sdk_recordio_feed(&d, "67108864\n", 9, collect, &c, NULL), 0);
    CHECK(sdk_recordio_mid_record(&d));
    sdk_recordio_decoder_free(&d);
    CHECK_INT(feed_str_expect_error("67108865\n", 0, "exceeds the limit of 67108864 bytes"), 0);
    /* Configurable. */
    CHECK_INT(feed_str_expect_error("11\n", 10, "exceeds the limit of 10 bytes"), 0);
    sdk_recordio_decoder_init(&d, 10);
    CHECK_INT(sdk_recordio_feed(&d, "10\n0123456789", 13, collect, &c, NULL), 0);
    CHECK_INT(c.n, 1);
    collector_free(&c);
    sdk_recordio_decoder_free(&d);
}

static void test_eof_mid_record_is_detectable(void) {
    sdk_recordio_decoder d;
    sdk_recordio_decoder_init(&d, 0);
    collector c = {0};
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(sdk_recordio_feed(&d, "20\n{\"type\":", 11, collect, &c, NULL), 0);
    CHECK(sdk_recordio_mid_record(&d));
    CHECK_INT(sdk_recordio_finish(&d, &e), SDK_EIO);
    CHECK(sdk_errors_contains(&e, "got 8 of 20 bytes"));
    sdk_recordio_decoder_free(&d);
    sdk_errors_free(&e);
    sdk_errors_init(&e);
    sdk_recordio_decoder_init(&d, 0);
    CHECK_INT(sdk_recordio_feed(&d, "2", 1, collect, &c, NULL), 0);
    CHECK_INT(sdk_recordio_finish(&d, &e), SDK_EIO);
    CHECK(sdk_errors_contains(&e, "inside a record length"));
    sdk_recordio_decoder_free(&d);
    sdk_errors_free(&e);
    /* At a boundary: clean. */
    sdk_recordio_decoder_init(&d, 0);
    CHECK(!sdk_recordio_mid_record(&d));
    CHECK_INT(sdk_recordio_finish(&d, NULL), 0);
    sdk_recordio_decoder_free(&d);
    CHECK_INT(c.n, 0);
}

static void test_callback_can_stop_the_feed(void) {
    sdk_recordio_decoder d;
    sdk_recordio_decoder_init(&d, 0);
    collector c = {0};
    c.stop_after = 1;
    const char *s = "2\n{}2\n[]";
    CHECK_INT(sdk_recordio_feed(&d, s, strlen(s), collect, &c, NULL), 42);
    CHECK_INT(c.n, 1);
    collector_free(&c);
    sdk_recordio_decoder_free(&d);
}

int main(void) {
    RUN(test_encode_json_vectors);
    RUN(test_encode_protobuf_heartbeat_and_error);
    RUN(test_decode_protobuf_error_with_newline_byte_in_data);
    RUN(test_two_records_back_to_back_in_one_feed);
    RUN(test_size_split_lone_newline_and_data_in_many_reads);
    RUN(test_byte_by_byte_and_every_split);
    RUN(test_errata_121_byte_vector);
    RUN(test_protocol_errors);
    RUN(test_overflow_and_cap);
    RUN(test_eof_mid_record_is_detectable);
    RUN(test_callback_can_stop_the_feed);
    return check_summary("recordio");
}
