/* Resource protobuf <-> sdk_resource conversion (mesos-v1-protocol.md §5.3) and attribute
 * formatting (sdk-behaviour.md §3.6). Protobuf inputs are written as the JSON a master or a
 * framework sends, parsed with pbjson. */
#include "tests/unit/check.h"
#include "mesos/pbjson.h"
#include "mesos/resources_pb.h"

static Mesos__V1__Resource *res_json(const char *json) {
    sdk_errors e;
    sdk_errors_init(&e);
    ProtobufCMessage *m = NULL;
    int rc = sdk_pbjson_parse_new(&mesos__v1__resource__descriptor, json, strlen(json), &m, &e);
    CHECK_MSG(rc == 0, "%s", e.n ? e.msgs[0] : "");
    sdk_errors_free(&e);
    return (Mesos__V1__Resource *)m;
}

/* Converts JSON -> sdk_resource; returns rc, with the first error copied to err. */
static int from_json(const char *json, sdk_resource *r, char *err, size_t errsz) {
    Mesos__V1__Resource *pb = res_json(json);
    if (!pb) return -100;
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_resource_from_pb(r, pb, &e);
    if (err) snprintf(err, errsz, "%s", e.n ? e.msgs[0] : "");
    sdk_errors_free(&e);
    sdk_pb_resource_free(pb);
    return rc;
}

static char *to_json_new(const sdk_resource *r, sdk_res_format fmt, char *err, size_t errsz) {
    Mesos__V1__Resource *pb = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_resource_to_pb_new(r, fmt, &pb, &e);
    if (err) snprintf(err, errsz, "%s", e.n ? e.msgs[0] : "");
    sdk_errors_free(&e);
    if (rc) {
        CHECK(pb == NULL);
        return NULL;
    }
    char *s = sdk_pbjson_dumps_new(&pb->base);
    sdk_pb_resource_free(pb);
    return s;
}

static void test_legacy_input_is_upgraded(void) {
    sdk_resource r;
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.5},\"role\":\"*\"}", &r, NULL, 0), 0);
    CHECK_STR(r.name, "cpus");
    CHECK_INT(r.milli, 500);
    CHECK_INT(r.n_reservations, 0);
    sdk_resource_free_contents(&r);
    /* role unset = "*" too */
    CHECK_INT(from_json("{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.0004}}", &r, NULL, 0), 0);
    CHECK_INT(r.milli, 0);
    CHECK_INT(r.n_reservations, 0);
    sdk_resource_free_contents(&r);
    /* static */
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4},\"role\":\"slave_public\"}",
                        &r, NULL, 0), 0);
    CHECK_INT(r.n_reservations, 1);
    CHECK_INT(r.reservations[0].type, SDK_RESV_STATIC);
    CHECK_STR(r.reservations[0].role, "slave_public");
    CHECK(r.reservations[0].principal == NULL);
    sdk_resource_free_contents(&r);
    /* dynamic */
    CHECK_INT(from_json("{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":100},\"role\":\"hello-role\","
                        "\"reservation\":{\"principal\":\"hello-principal\",\"labels\":{\"labels\":[{\"key\":\"resource_id\","
                        "\"value\":\"abc\"}]}}}", &r, NULL, 0), 0);
    CHECK_INT(r.n_reservations, 1);
    CHECK_INT(r.reservations[0].type, SDK_RESV_DYNAMIC);
    CHECK_STR(r.reservations[0].role, "hello-role");
    CHECK_STR(r.reservations[0].principal, "hello-principal");
    CHECK(r.reservations[0].has_labels);
    CHECK_INT(r.reservations[0].n_labels, 1);
    CHECK_STR(r.reservations[0].labels[0].key, "resource_id");
    CHECK_STR(r.reservations[0].labels[0].value, "abc");
    sdk_resource_free_contents(&r);
}

static void test_refined_input_and_mixed_formats(void) {
    sdk_resource r;
    char err[512];
    const char *stack = "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"reservations\":["
                        "{\"type\":\"STATIC\",\"role\":\"slave_public\"},{\"type\":\"DYNAMIC\",\"role\":\"slave_public/hw\","
                        "\"principal\":\"p\",\"labels\":{}}],\"allocation_info\":{\"role\":\"slave_public/hw\"}}";
    CHECK_INT(from_json(stack, &r, err, sizeof err), 0);
    CHECK_INT(r.n_reservations, 2);
    CHECK_STR(r.reservations[1].role, "slave_public/hw");
    CHECK(r.reservations[1].has_labels); /* labels:{} differs from absent */
    CHECK(!r.reservations[0].has_labels);
    CHECK_STR(r.allocation_role, "slave_public/hw");
    sdk_resource_free_contents(&r);
    /* one entry + consistent legacy fields: accepted */
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"role\":\"r\",\"reservation\":{},"
                        "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\"}]}", &r, err, sizeof err), 0);
    CHECK_INT(r.n_reservations, 1);
    sdk_resource_free_contents(&r);
    /* inconsistent: errors that say what is wrong, and leave r zeroed */
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"role\":\"x\","
                        "\"reservations\":[{\"type\":\"STATIC\",\"role\":\"r\"}]}", &r, err, sizeof err), SDK_EINVAL);
    CHECK_STR(err, "resource 'cpus': legacy role 'x' differs from reservations[0].role 'r'");
    CHECK(r.name == NULL && r.reservations == NULL);
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"role\":\"a\","
                        "\"reservations\":[{\"type\":\"STATIC\",\"role\":\"a\"},{\"type\":\"DYNAMIC\",\"role\":\"a/b\"}]}",
                        &r, err, sizeof err), SDK_EINVAL);
    CHECK_CONTAINS(err, "must be absent when 'reservations' has 2 entries");
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},"
                        "\"reservations\":[{\"role\":\"a\"}]}", &r, err, sizeof err), SDK_EINVAL);
    CHECK_STR(err, "resource 'cpus': reservations[0] has no type (STATIC or DYNAMIC)");
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"role\":\"r\","
                        "\"reservation\":{\"type\":\"DYNAMIC\",\"role\":\"r\"}}", &r, err, sizeof err), SDK_EINVAL);
    CHECK_CONTAINS(err, "must not set 'type' or 'role'");
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"role\":\"*\","
                        "\"reservation\":{\"principal\":\"p\"}}", &r, err, sizeof err), SDK_EINVAL);
    CHECK_CONTAINS(err, "role '*'");
}

static void test_unsupported_and_malformed(void) {
    sdk_resource r;
    char err[512];
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"revocable\":{}}", &r, err,
                        sizeof err), SDK_EINVAL);
    CHECK_STR(err, "resource 'cpus': revocable resources are not supported");
    CHECK_INT(from_json("{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"disk\":{\"source\":"
                        "{\"type\":\"BLOCK\"}}}", &r, err, sizeof err), SDK_EINVAL);
    CHECK_CONTAINS(err, "disk source type 3 is not supported");
    CHECK_INT(from_json("{\"name\":\"mem\",\"type\":\"SCALAR\"}", &r, err, sizeof err), SDK_EINVAL);
    CHECK_STR(err, "resource 'mem': type SCALAR without 'scalar'");
    CHECK_INT(from_json("{\"name\":\"os\",\"type\":\"TEXT\",\"text\":{\"value\":\"x\"}}", &r, err, sizeof err), SDK_EINVAL);
    CHECK_CONTAINS(err, "is not a resource type");
}

static void test_round_trip_refined(void) {
    /* What a master offers a RESERVATION_REFINEMENT framework, in field-number order. */
    const char *vol =
        "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":2048.5},\"disk\":{\"persistence\":{\"id\":\"vol-1\","
        "\"principal\":\"p\"},\"volume\":{\"container_path\":\"data\",\"mode\":\"RO\"},\"source\":{\"type\":\"MOUNT\","
        "\"mount\":{\"root\":\"/mnt/d0\"},\"profile\":\"fast\"}},\"allocation_info\":{\"role\":\"r\"},\"reservations\":"
        "[{\"principal\":\"p\",\"labels\":{\"labels\":[{\"key\":\"resource_id\",\"value\":\"u1\"}]},\"role\":\"r\","
        "\"type\":\"DYNAMIC\"}]}";
    const char *ports =
        "{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":31000,\"end\":31005},{\"begin\":31007,"
        "\"end\":31007}]},\"reservations\":[{\"role\":\"slave_public\",\"type\":\"STATIC\"}]}";
    const char *set = "{\"name\":\"gpus_ids\",\"type\":\"SET\",\"set\":{\"item\":[\"a\",\"b\"]}}";
    const char *all[] = {vol, ports, set};
    for (size_t i = 0; i < 3; i++) {
        sdk_resource r;
        char err[256];
        CHECK_INT(from_json(all[i], &r, err, sizeof err), 0);
        char *s = to_json_new(&r, SDK_RES_FORMAT_REFINED, NULL, 0);
        CHECK_STR(s, all[i]);
        free(s);
        sdk_resource_free_contents(&r);
    }
}

static void test_legacy_output(void) {
    sdk_resource r;
    char err[512];
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1}}", &r, NULL, 0), 0);
    char *s = to_json_new(&r, SDK_RES_FORMAT_LEGACY, NULL, 0);
    CHECK_STR(s, "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1},\"role\":\"*\"}");
    free(s);
    /* Refined output of an unreserved resource has no role at all. */
    s = to_json_new(&r, SDK_RES_FORMAT_REFINED, NULL, 0);
    CHECK_STR(s, "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1}}");
    free(s);
    sdk_resource_free_contents(&r);
    CHECK_INT(from_json("{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":256},\"reservations\":[{\"type\":"
                        "\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p\",\"labels\":{\"labels\":[{\"key\":\"k\",\"value\":"
                        "\"v\"}]}}]}", &r, NULL, 0), 0);
    s = to_json_new(&r, SDK_RES_FORMAT_LEGACY, NULL, 0);
    CHECK_STR(s, "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":256.0},\"role\":\"r\",\"reservation\":"
                 "{\"principal\":\"p\",\"labels\":{\"labels\":[{\"key\":\"k\",\"value\":\"v\"}]}}}");
    free(s);
    sdk_resource_free_contents(&r);
    CHECK_INT(from_json("{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"reservations\":[{\"type\":"
                        "\"STATIC\",\"role\":\"s\"}]}", &r, NULL, 0), 0);
    s = to_json_new(&r, SDK_RES_FORMAT_LEGACY, NULL, 0);
    CHECK_STR(s, "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1.0},\"role\":\"s\"}");
    free(s);
    sdk_resource_free_contents(&r);
    /* A refined stack cannot be expressed: reported, nothing returned. */
    CHECK_INT(from_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"reservations\":["
                        "{\"type\":\"STATIC\",\"role\":\"a\"},{\"type\":\"DYNAMIC\",\"role\":\"a/b\"}]}", &r, NULL, 0), 0);
    CHECK(to_json_new(&r, SDK_RES_FORMAT_LEGACY, err, sizeof err) == NULL);
    CHECK_CONTAINS(err, "resource 'cpus': a reservation stack of depth 2 (roles a, a/b) cannot be expressed");
    CHECK_CONTAINS(err, "RESERVATION_REFINEMENT");
    sdk_resource_free_contents(&r);
}

static void test_collections_all_or_nothing(void) {
    Mesos__V1__Resource *pb[3] = {
        res_json("{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1}}"),
        res_json("{\"name\":\"mem\",\"type\":\"SCALAR\"}"),
        res_json("{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"shared\":{}}"),
    };
    sdk_resources rs;
    sdk_resources_init(&rs);
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(sdk_resources_from_pb(&rs, pb, 3, &e), SDK_EINVAL);
    CHECK_INT(rs.n, 0);
    CHECK_INT(e.n, 2);
    if (e.n == 2) {
        CHECK_STR(e.msgs[0], "resources[1]: resource 'mem': type SCALAR without 'scalar'");
        CHECK_STR(e.msgs[1], "resources[2]: resource 'disk': shared resources are not supported");
    }
    sdk_errors_free(&e);
    /* Valid ones are appended in order, one entry each (two cpus entries are not merged). */
    Mesos__V1__Resource *good[2] = {pb[0], pb[0]};
    CHECK_INT(sdk_resources_from_pb(&rs, good, 2, NULL), 0);
    CHECK_INT(rs.n, 2);
    Mesos__V1__Resource **out;
    size_t n;
    CHECK_INT(sdk_resources_to_pb_new(&rs, SDK_RES_FORMAT_REFINED, &out, &n, NULL), 0);
    CHECK_INT(n, 2);
    if (n == 2) CHECK(out[1]->scalar->value == 1.0);
    sdk_pb_resources_free(out, n);
    sdk_resources_free(&rs);
    for (int i = 0; i < 3; i++) sdk_pb_resource_free(pb[i]);
}

static Mesos__V1__Attribute *attr_json(const char *json) {
    ProtobufCMessage *m = NULL;
    CHECK_INT(sdk_pbjson_parse_new(&mesos__v1__attribute__descriptor, json, strlen(json), &m, NULL), 0);
    return (Mesos__V1__Attribute *)m;
}

static void test_attribute_strings(void) {
    Mesos__V1__Attribute *a[4] = {
        attr_json("{\"name\":\"rack\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1}}"),
        attr_json("{\"name\":\"slots\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":1,\"end\":3},{\"begin\":5,\"end\":5}]}}"),
        attr_json("{\"name\":\"disks\",\"type\":\"SET\",\"set\":{\"item\":[\"a\",\"b\"]}}"),
        attr_json("{\"name\":\"zone\",\"type\":\"TEXT\",\"text\":{\"value\":\"us-east-1a\"}}"),
    };
    char *s = sdk_attribute_to_string_new(a[0]);
    CHECK_STR(s, "rack:1.000");
    free(s);
    s = sdk_attribute_value_to_string_new(a[1]);
    CHECK_STR(s, "[1-3,5-5]");
    free(s);
    s = sdk_attributes_to_string_new(a, 4);
    CHECK_STR(s, "rack:1.000;slots:[1-3,5-5];disks:{a,b};zone:us-east-1a");
    free(s);
    s = sdk_attributes_to_string_new(a, 0);
    CHECK_STR(s, "");
    free(s);
    for (int i = 0; i < 4; i++) sdk_pbjson_message_free(a[i] ? &a[i]->base : NULL);
}

static void test_deprecated_role_accessors(void) {
    Mesos__V1__FrameworkInfo fi = MESOS__V1__FRAMEWORK_INFO__INIT;
    fi.user = "root";
    fi.name = "n";
    CHECK(sdk_pb_framework_info_role(&fi) == NULL);
    /* Default role is not serialised (a MULTI_ROLE subscribe would fail otherwise). */
    size_t unset_size = mesos__v1__framework_info__get_packed_size(&fi);
    sdk_pb_framework_info_set_role(&fi, "*");
    CHECK_STR(sdk_pb_framework_info_role(&fi), "*");
    CHECK_INT(mesos__v1__framework_info__get_packed_size(&fi), unset_size + 3);
    sdk_pb_framework_info_set_role(&fi, "hello-role");
    CHECK_STR(sdk_pb_framework_info_role(&fi), "hello-role");
    sdk_pb_framework_info_set_role(&fi, NULL);
    CHECK(sdk_pb_framework_info_role(&fi) == NULL);
    CHECK_INT(mesos__v1__framework_info__get_packed_size(&fi), unset_size);
}

int main(void) {
    RUN(test_legacy_input_is_upgraded);
    RUN(test_refined_input_and_mixed_formats);
    RUN(test_unsupported_and_malformed);
    RUN(test_round_trip_refined);
    RUN(test_legacy_output);
    RUN(test_collections_all_or_nothing);
    RUN(test_attribute_strings);
    RUN(test_deprecated_role_accessors);
    return check_summary("resources_pb");
}
