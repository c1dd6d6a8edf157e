/* pbjson: Mesos' JSON mapping (mesos-v1-protocol.md §4) over the protobuf-c descriptors,
 * checked against the worked examples of §2.2 and the errata of §13. */
#include "tests/unit/check.h"
#include "mesos/pbjson.h"
#include "mesos/proto/scheduler.pb-c.h"

#include <math.h>

typedef Mesos__V1__Scheduler__Event Event;
typedef Mesos__V1__Scheduler__Call Call;

static const char SUBSCRIBED[] =
    "{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":{\"value\":\"5b3e6c0e-8c1f-4a0e-9d7a-1f2e3d4c5b6a-0000\"},"
    "\"heartbeat_interval_seconds\":15.0,\"master_info\":{\"id\":\"5b3e6c0e-8c1f-4a0e-9d7a-1f2e3d4c5b6a\",\"ip\":16777343,"
    "\"port\":5050,\"pid\":\"master@127.0.0.1:5050\",\"hostname\":\"localhost\",\"version\":\"1.11.0\",\"address\":"
    "{\"hostname\":\"localhost\",\"ip\":\"127.0.0.1\",\"port\":5050},\"capabilities\":[{\"type\":\"AGENT_UPDATE\"},"
    "{\"type\":\"AGENT_DRAINING\"},{\"type\":\"QUOTA_V2\"}]}}}";

/* Parses text as desc; returns the message or NULL, with the first error copied to err. */
static ProtobufCMessage *parse(const ProtobufCMessageDescriptor *desc, const char *text, char *err, size_t errsz) {
    sdk_errors e;
    sdk_errors_init(&e);
    ProtobufCMessage *m = (ProtobufCMessage *)0x1;
    int rc = sdk_pbjson_parse_new(desc, text, strlen(text), &m, &e);
    if (err) snprintf(err, errsz, "%s", e.n ? e.msgs[0] : "");
    CHECK(rc == 0 ? (m != NULL && e.n == 0) : (m == NULL && rc == SDK_EINVAL && e.n == 1));
    sdk_errors_free(&e);
    return m;
}

static char *roundtrip_text_new(const ProtobufCMessageDescriptor *desc, const char *text) {
    ProtobufCMessage *m = parse(desc, text, NULL, 0);
    if (!m) return NULL;
    char *s = sdk_pbjson_dumps_new(m);
    sdk_pbjson_message_free(m);
    return s;
}

static void test_subscribed_built_in_c_dumps_exactly_like_a_master(void) {
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = "5b3e6c0e-8c1f-4a0e-9d7a-1f2e3d4c5b6a-0000";
    Mesos__V1__Address addr = MESOS__V1__ADDRESS__INIT;
    addr.hostname = "localhost";
    addr.ip = "127.0.0.1";
    addr.port = 5050;
    Mesos__V1__MasterInfo__Capability c1 = MESOS__V1__MASTER_INFO__CAPABILITY__INIT, c2 = c1, c3 = c1;
    c1.has_type = c2.has_type = c3.has_type = 1;
    c1.type = MESOS__V1__MASTER_INFO__CAPABILITY__TYPE__AGENT_UPDATE;
    c2.type = MESOS__V1__MASTER_INFO__CAPABILITY__TYPE__AGENT_DRAINING;
    c3.type = MESOS__V1__MASTER_INFO__CAPABILITY__TYPE__QUOTA_V2;
    Mesos__V1__MasterInfo__Capability *caps[] = {&c1, &c2, &c3};
    Mesos__V1__MasterInfo mi = MESOS__V1__MASTER_INFO__INIT;
    mi.id = "5b3e6c0e-8c1f-4a0e-9d7a-1f2e3d4c5b6a";
    mi.ip = 16777343;
    mi.port = 5050;
    mi.pid = "master@127.0.0.1:5050";
    mi.hostname = "localhost";
    mi.version = "1.11.0";
    mi.address = &addr;
    mi.n_capabilities = 3;
    mi.capabilities = caps;
    Mesos__V1__Scheduler__Event__Subscribed sub = MESOS__V1__SCHEDULER__EVENT__SUBSCRIBED__INIT;
    sub.framework_id = &fid;
    sub.has_heartbeat_interval_seconds = 1;
    sub.heartbeat_interval_seconds = 15.0;
    sub.master_info = &mi;
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__SUBSCRIBED;
    ev.subscribed = &sub;
    char *s = sdk_pbjson_dumps_new(&ev.base);
    CHECK_STR(s, SUBSCRIBED);
    CHECK_INT(strlen(s), 448);
    free(s);
}

static void test_subscribed_parses_and_round_trips(void) {
    char err[256];
    Event *ev = (Event *)parse(&mesos__v1__scheduler__event__descriptor, SUBSCRIBED, err, sizeof err);
    CHECK(ev != NULL);
    if (!ev) return;
    CHECK_INT(ev->type, MESOS__V1__SCHEDULER__EVENT__TYPE__SUBSCRIBED);
    CHECK_STR(ev->subscribed->framework_id->value, "5b3e6c0e-8c1f-4a0e-9d7a-1f2e3d4c5b6a-0000");
    CHECK(ev->subscribed->heartbeat_interval_seconds == 15.0);
    CHECK_INT(ev->subscribed->master_info->ip, 16777343);
    CHECK_INT(ev->subscribed->master_info->n_capabilities, 3);
    CHECK_INT(ev->subscribed->master_info->capabilities[2]->type, MESOS__V1__MASTER_INFO__CAPABILITY__TYPE__QUOTA_V2);
    /* JSON -> protobuf bytes -> JSON gives the same text. */
    size_t n = mesos__v1__scheduler__event__get_packed_size(ev);
    uint8_t *buf = malloc(n);
    mesos__v1__scheduler__event__pack(ev, buf);
    Event *ev2 = mesos__v1__scheduler__event__unpack(NULL, n, buf);
    CHECK(ev2 != NULL);
    char *s = ev2 ? sdk_pbjson_dumps_new(&ev2->base) : NULL;
    CHECK_STR(s, SUBSCRIBED);
    free(s);
    free(buf);
    if (ev2) mesos__v1__scheduler__event__free_unpacked(ev2, NULL);
    sdk_pbjson_message_free(&ev->base);
}

static void test_heartbeat_error_and_utf8_vectors(void) {
    Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT;
    char *s = sdk_pbjson_dumps_new(&ev.base);
    CHECK_STR(s, "{\"type\":\"HEARTBEAT\"}");
    free(s);
    Mesos__V1__Scheduler__Event__Error er = MESOS__V1__SCHEDULER__EVENT__ERROR__INIT;
    er.message = "Framework failed over";
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR;
    ev.error = &er;
    s = sdk_pbjson_dumps_new(&ev.base);
    CHECK_STR(s, "{\"type\":\"ERROR\",\"error\":{\"message\":\"Framework failed over\"}}");
    CHECK_INT(strlen(s), 60);
    free(s);
    er.message = "caf\xc3\xa9";
    s = sdk_pbjson_dumps_new(&ev.base);
    CHECK_STR(s, "{\"type\":\"ERROR\",\"error\":{\"message\":\"caf\xc3\xa9\"}}");
    CHECK_INT(strlen(s), 44);
    Event *back = (Event *)parse(&mesos__v1__scheduler__event__descriptor, s, NULL, 0);
    CHECK(back && back->error && strcmp(back->error->message, "caf\xc3\xa9") == 0);
    sdk_pbjson_message_free(back ? &back->base : NULL);
    free(s);
    /* Invalid UTF-8 from a peer never makes the event unencodable. */
    er.message = "bad\xff";
    s = sdk_pbjson_dumps_new(&ev.base);
    CHECK_CONTAINS(s, "bad\xef\xbf\xbd");
    free(s);
    /* Errata 1: a top-level "message" is not the error payload (it is the MESSAGE event's
     * object), so the doc's example is rejected. */
    char err[256];
    CHECK(!parse(&mesos__v1__scheduler__event__descriptor, "{\"type\":\"ERROR\",\"message\":\"x\"}", err, sizeof err));
    CHECK_STR(err, "Not expecting a JSON string for field 'message' (at message)");
}

static void test_defaults_emitted_unless_deprecated(void) {
    /* An empty Filters object gets refuse_seconds 5.0; FrameworkInfo gets failover_timeout and
     * checkpoint but not the deprecated role "*". */
    char *s = roundtrip_text_new(&mesos__v1__scheduler__call__descriptor,
                                 "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"F\"},"
                                 "\"decline\":{\"offer_ids\":[{\"value\":\"O1\"}],\"filters\":{}}}");
    CHECK_STR(s, "{\"framework_id\":{\"value\":\"F\"},\"type\":\"DECLINE\",\"decline\":{\"offer_ids\":"
                 "[{\"value\":\"O1\"}],\"filters\":{\"refuse_seconds\":5.0}}}");
    free(s);
    s = roundtrip_text_new(&mesos__v1__scheduler__call__descriptor,
                           "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"hello\","
                           "\"roles\":[\"r\"],\"capabilities\":[{\"type\":\"MULTI_ROLE\"}]}}}");
    CHECK_STR(s, "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"hello\","
                 "\"failover_timeout\":0.0,\"checkpoint\":false,\"capabilities\":[{\"type\":\"MULTI_ROLE\"}],"
                 "\"roles\":[\"r\"]}}}");
    free(s);
    /* A role that was set explicitly is emitted and survives the protobuf encoding. */
    Call *c = (Call *)parse(&mesos__v1__scheduler__call__descriptor,
                            "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"n\","
                            "\"role\":\"*\"}}}", NULL, 0);
    CHECK(c != NULL);
    if (c) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        CHECK_STR(c->subscribe->framework_info->role, "*");
#pragma GCC diagnostic pop
        s = sdk_pbjson_dumps_new(&c->base);
        CHECK_CONTAINS(s, "\"role\":\"*\"");
        free(s);
        sdk_pbjson_message_free(&c->base);
    }
}

static void test_missing_required_fields_like_mesos(void) {
    char err[256];
    ProtobufCMessage *m = parse(&mesos__v1__scheduler__call__descriptor,
                                "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"name\":\"n\"}}}",
                                err, sizeof err);
    CHECK(m == NULL);
    CHECK_STR(err, "Missing required fields: subscribe.framework_info.user");
    /* All of them, with repeated indexes, after the whole object was read. */
    m = parse(&mesos__v1__scheduler__call__descriptor,
              "{\"type\":\"ACCEPT\",\"accept\":{\"offer_ids\":[{\"value\":\"a\"},{}],\"operations\":[{\"type\":\"LAUNCH\","
              "\"launch\":{\"task_infos\":[{\"name\":\"t\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"A\"},"
              "\"resources\":[{\"name\":\"cpus\",\"scalar\":{\"value\":1}}]}]}}]}}",
              err, sizeof err);
    CHECK(m == NULL);
    CHECK_STR(err, "Missing required fields: accept.offer_ids[1].value, "
                   "accept.operations[0].launch.task_infos[0].resources[0].type");
    /* null counts as unset. */
    m = parse(&mesos__v1__scheduler__call__descriptor,
              "{\"type\":\"KILL\",\"kill\":{\"task_id\":null}}", err, sizeof err);
    CHECK(m == NULL);
    CHECK_STR(err, "Missing required fields: kill.task_id");
}

static void test_type_errors_name_field_and_place(void) {
    char err[256];
    CHECK(!parse(&mesos__v1__scheduler__call__descriptor,
                 "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":1,\"name\":\"n\"}}}", err,
                 sizeof err));
    CHECK_STR(err, "Not expecting a JSON number for field 'user' (at subscribe.framework_info.user)");
    CHECK(!parse(&mesos__v1__scheduler__call__descriptor, "{\"type\":3}", err, sizeof err));
    CHECK_STR(err, "Not expecting a JSON number for field 'type' (at type)");
    CHECK(!parse(&mesos__v1__scheduler__call__descriptor, "{\"framework_id\":\"F\"}", err, sizeof err));
    CHECK_STR(err, "Not expecting a JSON string for field 'framework_id' (at framework_id)");
    CHECK(!parse(&mesos__v1__scheduler__call__descriptor,
                 "{\"type\":\"REVIVE\",\"revive\":{\"roles\":\"r\"}}", err, sizeof err));
    CHECK_CONTAINS(err, "Not expecting a JSON string for field 'roles'");
    CHECK(!parse(&mesos__v1__scheduler__call__descriptor, "{\"type\":[\"KILL\"]}", err, sizeof err));
    CHECK_STR(err, "Not expecting a JSON array for field 'type' (at type)");
    CHECK(!parse(&mesos__v1__scheduler__call__descriptor, "[]", err, sizeof err));
    CHECK_STR(err, "Expecting a JSON object");
    CHECK(!parse(&mesos__v1__scheduler__call__descriptor, "{\"type\":", err, sizeof err));
    CHECK_CONTAINS(err, "Failed to parse JSON:");
    /* Errata 3: OFFERS payload is an object holding the array. */
    CHECK(!parse(&mesos__v1__scheduler__event__descriptor, "{\"type\":\"OFFERS\",\"offers\":[]}", err, sizeof err));
    CHECK_STR(err, "Not expecting a JSON array for field 'offers' (at offers)");
}

static void test_enums_unknown_names(void) {
    char err[256];
    /* Optional enum: unknown name dropped, so `type` is absent (the master then answers
     * "Expecting 'type' to be present"). */
    Call *c = (Call *)parse(&mesos__v1__scheduler__call__descriptor, "{\"type\":\"TELEPORT\"}", err, sizeof err);
    CHECK(c != NULL && !c->has_type);
    sdk_pbjson_message_free(c ? &c->base : NULL);
    /* Required enum: error. */
    CHECK(!parse(&mesos__v1__resource__descriptor, "{\"name\":\"cpus\",\"type\":\"SCALARR\"}", err, sizeof err));
    CHECK_STR(err, "Failed to find enum for 'SCALARR' (at type)");
    /* Repeated enum: unknown entries dropped, known ones kept. */
    Mesos__V1__CapabilityInfo *ci = (Mesos__V1__CapabilityInfo *)parse(
        &mesos__v1__capability_info__descriptor, "{\"capabilities\":[\"CHOWN\",\"FLY\",\"KILL\"]}", err, sizeof err);
    CHECK(ci != NULL);
    if (ci) {
        CHECK_INT(ci->n_capabilities, 2);
        CHECK_INT(ci->capabilities[1], MESOS__V1__CAPABILITY_INFO__CAPABILITY__KILL);
        sdk_pbjson_message_free(&ci->base);
    }
}

static void test_npm_client_nulls_and_revive_erratum(void) {
    char err[256];
    Call *c = (Call *)parse(&mesos__v1__scheduler__call__descriptor,
                            "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"F\"},\"subscribe\":null,"
                            "\"decline\":{\"offer_ids\":[{\"value\":\"o1\"},null],\"filters\":null}}",
                            err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    if (c) {
        CHECK(c->subscribe == NULL);
        CHECK_INT(c->decline->n_offer_ids, 1);
        CHECK(c->decline->filters == NULL);
        sdk_pbjson_message_free(&c->base);
    }
    /* Errata 4: "role" is not a field of Revive: silently ignored (= revive all roles). */
    c = (Call *)parse(&mesos__v1__scheduler__call__descriptor,
                      "{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"F\"},\"revive\":{\"role\":\"r\"}}", err, sizeof err);
    CHECK(c && c->revive && c->revive->n_roles == 0);
    sdk_pbjson_message_free(c ? &c->base : NULL);
}

static void test_bytes_base64(void) {
    const char *txt = "{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"F\"},\"acknowledge\":{\"agent_id\":"
                      "{\"value\":\"A\"},\"task_id\":{\"value\":\"T\"},\"uuid\":\"AAECAwQFBgcICQoLDA0ODw==\"}}";
    char err[256];
    Call *c = (Call *)parse(&mesos__v1__scheduler__call__descriptor, txt, err, sizeof err);
    CHECK(c != NULL);
    if (c) {
        CHECK_INT(c->acknowledge->uuid.len, 16);
        CHECK_INT(c->acknowledge->uuid.data[15], 15);
        char *s = sdk_pbjson_dumps_new(&c->base);
        CHECK_CONTAINS(s, "\"uuid\":\"AAECAwQFBgcICQoLDA0ODw==\"");
        free(s);
        sdk_pbjson_message_free(&c->base);
    }
    CHECK(!parse(&mesos__v1__scheduler__call__descriptor,
                 "{\"acknowledge\":{\"uuid\":\"AAECAwQFBgcICQoLDA0OD-_\"}}", err, sizeof err));
    CHECK_CONTAINS(err, "Failed to base64 decode bytes field 'uuid'");
    CHECK_CONTAINS(err, "(at acknowledge.uuid)");
    unsigned char *d;
    size_t n;
    CHECK_INT(sdk_base64_decode_new("Zm9vYg", 6, &d, &n), 0); /* padding optional */
    CHECK(n == 4 && memcmp(d, "foob", 4) == 0);
    free(d);
    CHECK_INT(sdk_base64_decode_new("Zm9vY", 5, &d, &n), SDK_EINVAL);
    char *e = sdk_base64_encode_new("fooba", 5);
    CHECK_STR(e, "Zm9vYmE=");
    free(e);
}

static void test_map_fields_and_errata_7(void) {
    const char *ti = "{\"name\":\"t\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"A\"},"
                     "\"limits\":{\"cpus\":{\"value\":\"Infinity\"},\"mem\":{\"value\":512.0}}}";
    char err[256];
    Mesos__V1__TaskInfo *t = (Mesos__V1__TaskInfo *)parse(&mesos__v1__task_info__descriptor, ti, err, sizeof err);
    CHECK_MSG(t != NULL, "%s", err);
    if (t) {
        CHECK_INT(t->n_limits, 2);
        CHECK_STR(t->limits[0]->key, "cpus");
        CHECK(isinf(t->limits[0]->value->value));
        CHECK(t->limits[1]->value->value == 512.0);
        char *s = sdk_pbjson_dumps_new(&t->base);
        CHECK_CONTAINS(s, "\"limits\":{\"cpus\":{\"value\":\"Infinity\"},\"mem\":{\"value\":512.0}}");
        free(s);
        sdk_pbjson_message_free(&t->base);
    }
    /* The doc's form with bare numbers/strings is rejected the way Mesos rejects it. */
    CHECK(!parse(&mesos__v1__task_info__descriptor,
                 "{\"name\":\"t\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"A\"},"
                 "\"limits\":{\"cpus\":\"Infinity\",\"mem\":512.0}}", err, sizeof err));
    CHECK_STR(err, "Not expecting a JSON string for field 'value' (at limits[cpus].value)");
    /* Map of messages in a map value, nested: FrameworkInfo.offer_filters -> quantities. */
    char *s = roundtrip_text_new(&mesos__v1__framework_info__descriptor,
                                 "{\"user\":\"u\",\"name\":\"n\",\"offer_filters\":{\"r\":{\"min_allocatable_resources\":"
                                 "{\"quantities\":[{\"quantities\":{\"cpus\":{\"value\":0.5}}}]}}}}");
    CHECK_CONTAINS(s, "\"offer_filters\":{\"r\":{\"min_allocatable_resources\":{\"quantities\":"
                      "[{\"quantities\":{\"cpus\":{\"value\":0.5}}}]}}}");
    free(s);
}

/* Styled keys (protobuf printers' lowerCamelCase, renames): every field name at every depth,
 * map keys untouched (they are data, even with '_'), values as in the Mesos mapping (proto
 * defaults included: protocol IPv4). */
static void test_styled_keys(void) {
    const char *ti = "{\"name\":\"t\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"A\"},"
                     "\"executor\":{\"executor_id\":{\"value\":\"e\"},\"container\":{\"type\":\"MESOS\","
                     "\"network_infos\":[{\"ip_addresses\":[{\"ip_address\":\"10.0.0.1\"}]}]}},"
                     "\"limits\":{\"cpus_max\":{\"value\":2.0}}}";
    char err[256];
    ProtobufCMessage *m = parse(&mesos__v1__task_info__descriptor, ti, err, sizeof err);
    CHECK_MSG(m != NULL, "%s", err);
    if (!m) return;
    static const sdk_pbjson_rename ren[] = {{"agent_id", "slave_id"}};
    sdk_pbjson_style style = {.renames = ren, .n_renames = 1, .camel_case = true};
    json_t *j = sdk_pbjson_from_message_styled_new(m, &style);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_STR(s, "{\"executor\":{\"container\":{\"networkInfos\":[{\"ipAddresses\":[{\"ipAddress\":\"10.0.0.1\","
                 "\"protocol\":\"IPv4\"}]}],\"type\":\"MESOS\"},\"executorId\":{\"value\":\"e\"}},\"limits\":{\"cpus_max\":{\"value\":2.0}},"
                 "\"name\":\"t\",\"slaveId\":{\"value\":\"A\"},\"taskId\":{\"value\":\"t\"}}");
    free(s);
    json_decref(j);
    /* renames alone keep snake_case; no style at all is the Mesos mapping */
    style.camel_case = false;
    j = sdk_pbjson_from_message_styled_new(m, &style);
    CHECK(json_object_get(j, "slave_id") && !json_object_get(j, "agent_id") && json_object_get(j, "task_id"));
    json_decref(j);
    j = sdk_pbjson_from_message_styled_new(m, NULL);
    CHECK(json_object_get(j, "agent_id") && json_object_get(j, "task_id"));
    json_decref(j);
    sdk_pbjson_message_free(m);
}

static void test_numbers(void) {
    char err[256];
    /* 1.7e18 nanoseconds exceed 2^53: must stay exact. Numeric strings are accepted too. */
    Mesos__V1__TimeInfo *ti = (Mesos__V1__TimeInfo *)parse(&mesos__v1__time_info__descriptor,
                                                           "{\"nanoseconds\":1700000000123456789}", err, sizeof err);
    CHECK(ti && ti->nanoseconds == 1700000000123456789LL);
    sdk_pbjson_message_free(ti ? &ti->base : NULL);
    ti = (Mesos__V1__TimeInfo *)parse(&mesos__v1__time_info__descriptor, "{\"nanoseconds\":\"-5\"}", err, sizeof err);
    CHECK(ti && ti->nanoseconds == -5);
    sdk_pbjson_message_free(ti ? &ti->base : NULL);
    CHECK(!parse(&mesos__v1__time_info__descriptor, "{\"nanoseconds\":1.5}", err, sizeof err));
    CHECK_CONTAINS(err, "is not an integer");
    CHECK(!parse(&mesos__v1__time_info__descriptor, "{\"nanoseconds\":\"12ab\"}", err, sizeof err));
    CHECK_CONTAINS(err, "Failed to parse '12ab' as an integer for field 'nanoseconds'");
    CHECK(!parse(&mesos__v1__master_info__descriptor, "{\"id\":\"m\",\"ip\":-1,\"port\":1}", err, sizeof err));
    CHECK_STR(err, "Value -1 is out of range for field 'ip' (at ip)");
    CHECK(!parse(&mesos__v1__master_info__descriptor, "{\"id\":\"m\",\"ip\":4294967296,\"port\":1}", err, sizeof err));
    CHECK_CONTAINS(err, "out of range for field 'ip'");
    /* uint64 above INT64_MAX goes out as a string and comes back. */
    char *s = roundtrip_text_new(&mesos__v1__value__range__descriptor,
                                 "{\"begin\":\"18446744073709551615\",\"end\":31000}");
    CHECK_STR(s, "{\"begin\":\"18446744073709551615\",\"end\":31000}");
    free(s);
    /* Doubles: integral values keep ".0"; numeric strings and bool strings accepted. */
    s = roundtrip_text_new(&mesos__v1__filters__descriptor, "{\"refuse_seconds\":\"0.25\"}");
    CHECK_STR(s, "{\"refuse_seconds\":0.25}");
    free(s);
    s = roundtrip_text_new(&mesos__v1__framework_info__descriptor,
                           "{\"user\":\"u\",\"name\":\"n\",\"checkpoint\":\"true\",\"failover_timeout\":604800}");
    CHECK_STR(s, "{\"user\":\"u\",\"name\":\"n\",\"failover_timeout\":604800.0,\"checkpoint\":true}");
    free(s);
    CHECK(!parse(&mesos__v1__framework_info__descriptor, "{\"user\":\"u\",\"name\":\"n\",\"checkpoint\":1}", err,
                 sizeof err));
    CHECK_STR(err, "Not expecting a JSON number for field 'checkpoint' (at checkpoint)");
}

static void test_oneof(void) {
    char *s = roundtrip_text_new(&mesos__v1__scheduler__attribute_constraint__descriptor,
                                 "{\"selector\":{\"attribute_name\":\"rack\"},\"predicate\":{\"text_equals\":{\"value\":\"a\"}}}");
    CHECK_STR(s, "{\"selector\":{\"attribute_name\":\"rack\"},\"predicate\":{\"text_equals\":{\"value\":\"a\"}}}");
    free(s);
    /* Two members of one oneof: the later one wins and the earlier is freed (ASan checks). */
    char err[256];
    Mesos__V1__Scheduler__AttributeConstraint *ac = (Mesos__V1__Scheduler__AttributeConstraint *)parse(
        &mesos__v1__scheduler__attribute_constraint__descriptor,
        "{\"selector\":{\"attribute_name\":\"rack\",\"pseudoattribute_type\":\"ZONE\"},"
        "\"predicate\":{\"text_matches\":{\"regex\":\"a.*\"},\"exists\":{}}}", err, sizeof err);
    CHECK(ac != NULL);
    if (ac) {
        CHECK_INT(ac->selector->selector_case,
                  MESOS__V1__SCHEDULER__ATTRIBUTE_CONSTRAINT__SELECTOR__SELECTOR_PSEUDOATTRIBUTE_TYPE);
        CHECK_INT(ac->predicate->predicate_case, MESOS__V1__SCHEDULER__ATTRIBUTE_CONSTRAINT__PREDICATE__PREDICATE_EXISTS);
        sdk_pbjson_message_free(&ac->base);
    }
    CHECK(!parse(&mesos__v1__scheduler__attribute_constraint__descriptor,
                 "{\"selector\":{\"attribute_name\":\"rack\"},\"predicate\":{\"text_equals\":{}}}", err, sizeof err));
    CHECK_STR(err, "Missing required fields: predicate.text_equals.value");
}

static void test_errors_deep_inside_free_everything(void) {
    /* A bad value in the 2nd operation, after strings, bytes, maps and nested messages were
     * built: nothing leaks (LeakSanitizer in the asan build) and nothing is returned. */
    char err[256];
    const char *txt =
        "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"F\"},\"accept\":{\"offer_ids\":[{\"value\":\"O\"}],"
        "\"operations\":[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\","
        "\"scalar\":{\"value\":1},\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\",\"labels\":{\"labels\":"
        "[{\"key\":\"resource_id\",\"value\":\"x\"}]}}]}]}},{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[{\"name\":"
        "\"t\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":\"A\"},\"data\":\"AAAA\",\"limits\":{\"cpus\":"
        "{\"value\":1}},\"command\":{\"value\":\"x\",\"uris\":[{\"value\":\"u\",\"extract\":\"maybe\"}]}}]}}]}}";
    CHECK(!parse(&mesos__v1__scheduler__call__descriptor, txt, err, sizeof err));
    CHECK_STR(err, "Not expecting a JSON string for field 'extract' "
                   "(at accept.operations[1].launch.task_infos[0].command.uris[0].extract)");
}

static void test_call_json_protobuf_json(void) {
    /* Written in field-number order, which is the order sdk_pbjson_dumps_new emits. */
    const char *txt =
        "{\"framework_id\":{\"value\":\"F\"},\"type\":\"ACCEPT\",\"accept\":{\"offer_ids\":[{\"value\":\"O\"}],"
        "\"operations\":[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{"
        "\"executor_id\":{\"value\":\"E\"},\"resources\":[{\"name\":\"ports\","
        "\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":31000,\"end\":31001}]},\"reservations\":[{\"role\":"
        "\"r\",\"type\":\"STATIC\"}]}],\"framework_id\":{\"value\":\"F\"},\"type\":\"DEFAULT\"},\"task_group\":{\"tasks\":"
        "[{\"name\":\"t\",\"task_id\":{\"value\":\"t\"},"
        "\"agent_id\":{\"value\":\"A\"},\"command\":{\"value\":\"echo hi\",\"shell\":true}}]}}}],"
        "\"filters\":{\"refuse_seconds\":1.0}}}";
    Call *c = (Call *)parse(&mesos__v1__scheduler__call__descriptor, txt, NULL, 0);
    CHECK(c != NULL);
    if (!c) return;
    size_t n = mesos__v1__scheduler__call__get_packed_size(c);
    uint8_t *buf = malloc(n);
    mesos__v1__scheduler__call__pack(c, buf);
    Call *c2 = mesos__v1__scheduler__call__unpack(NULL, n, buf);
    CHECK(c2 != NULL);
    char *s = c2 ? sdk_pbjson_dumps_new(&c2->base) : NULL;
    CHECK_STR(s, txt);
    free(s);
    free(buf);
    if (c2) mesos__v1__scheduler__call__free_unpacked(c2, NULL);
    sdk_pbjson_message_free(&c->base);
}

int main(void) {
    RUN(test_subscribed_built_in_c_dumps_exactly_like_a_master);
    RUN(test_subscribed_parses_and_round_trips);
    RUN(test_heartbeat_error_and_utf8_vectors);
    RUN(test_defaults_emitted_unless_deprecated);
    RUN(test_missing_required_fields_like_mesos);
    RUN(test_type_errors_name_field_and_place);
    RUN(test_enums_unknown_names);
    RUN(test_npm_client_nulls_and_revive_erratum);
    RUN(test_bytes_base64);
    RUN(test_map_fields_and_errata_7);
    RUN(test_styled_keys);
    RUN(test_numbers);
    RUN(test_oneof);
    RUN(test_errors_deep_inside_free_everything);
    RUN(test_call_json_protobuf_json);
    return check_summary("pbjson");
}
