/* Resource arithmetic (mesos-v1-protocol.md §5.1) and validity (§5.2). */
#include "mesos/resources.h"
#include "core/util/str.h"
#include "check.h"

static sdk_resource scalar(const char *name, double v) {
    sdk_resource r = {0};
    r.name = sdk_xstrdup(name);
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    return r;
}

static sdk_resource ports(uint64_t b, uint64_t e) {
    sdk_resource r = {0};
    r.name = sdk_xstrdup("ports");
    r.type = SDK_RES_RANGES;
    r.ranges = sdk_xmalloc(sizeof *r.ranges);
    r.ranges[0].begin = b;
    r.ranges[0].end = e;
    r.n_ranges = 1;
    return r;
}

static void reserve(sdk_resource *r, sdk_resv_type t, const char *role, const char *rid) {
    r->reservations = sdk_xrealloc(r->reservations, (r->n_reservations + 1) * sizeof *r->reservations);
    sdk_reservation *v = &r->reservations[r->n_reservations++];
    memset(v, 0, sizeof *v);
    v->type = t;
    v->role = sdk_xstrdup(role);
    if (rid) {
        v->labels = sdk_xcalloc(1, sizeof *v->labels);
        v->labels[0].key = sdk_xstrdup("resource_id");
        v->labels[0].value = sdk_xstrdup(rid);
        v->n_labels = 1;
        v->has_labels = true;
    }
}

static void add_free(sdk_resources *rs, sdk_resource r) {
    sdk_resources_add(rs, &r);
    sdk_resource_free_contents(&r);
}

static void test_fixed_point(void) {
    sdk_resources rs;
    sdk_resources_init(&rs);
    add_free(&rs, scalar("cpus", 0.1));
    add_free(&rs, scalar("cpus", 0.2));
    CHECK_INT(rs.n, 1);
    CHECK_INT(sdk_resources_scalar_sum(&rs, "cpus", NULL, NULL), 300);
    sdk_resource want = scalar("cpus", 0.3);
    CHECK(sdk_resources_contains(&rs, &want));
    CHECK_INT(sdk_resources_subtract(&rs, &want), 0);
    CHECK_INT(rs.n, 0); /* zero vanishes */
    CHECK(sdk_scalar_to_milli(0.0004) == 0);
    CHECK(sdk_scalar_from_milli(300) == 0.3);
    sdk_resource_free_contents(&want);
    sdk_resources_free(&rs);
}

static void test_subtract_too_much_leaves_unchanged(void) {
    sdk_resources rs;
    sdk_resources_init(&rs);
    add_free(&rs, scalar("mem", 512));
    sdk_resource big = scalar("mem", 512.001);
    CHECK(!sdk_resources_contains(&rs, &big));
    CHECK_INT(sdk_resources_subtract(&rs, &big), SDK_ENOENT);
    CHECK_INT(sdk_resources_scalar_sum(&rs, "mem", NULL, NULL), 512000);
    sdk_resource_free_contents(&big);
    sdk_resources_free(&rs);
}

static void test_ranges(void) {
    sdk_resources rs;
    sdk_resources_init(&rs);
    add_free(&rs, ports(4, 5));
    add_free(&rs, ports(1, 3));
    CHECK_INT(rs.n, 1);
    CHECK_INT(rs.v[0].n_ranges, 1); /* adjacent coalesce: [1-3]+[4-5] = [1-5] */
    CHECK_INT(rs.v[0].ranges[0].begin, 1);
    CHECK_INT(rs.v[0].ranges[0].end, 5);
    sdk_resources_free(&rs);

    sdk_resources_init(&rs);
    add_free(&rs, ports(31000, 32000));
    sdk_resource one = ports(31005, 31005);
    CHECK_INT(sdk_resources_subtract(&rs, &one), 0);
    CHECK_INT(rs.v[0].n_ranges, 2);
    CHECK_INT(rs.v[0].ranges[0].end, 31004);
    CHECK_INT(rs.v[0].ranges[1].begin, 31006);
    CHECK(!sdk_resources_contains(&rs, &one));
    sdk_resource span = ports(31004, 31006);
    CHECK(!sdk_resources_contains(&rs, &span)); /* not within the union */
    sdk_resource in = ports(31006, 31100);
    CHECK(sdk_resources_contains(&rs, &in));
    char *s = sdk_resources_to_string_new(&rs);
    CHECK_STR(s, "ports(*):[31000-31004, 31006-32000]");
    free(s);
    sdk_resource_free_contents(&one);
    sdk_resource_free_contents(&span);
    sdk_resource_free_contents(&in);
    sdk_resources_free(&rs);
}

static void test_sets(void) {
    sdk_resource a = {0};
    a.name = sdk_xstrdup("zones");
    a.type = SDK_RES_SET;
    a.items = sdk_xcalloc(2, sizeof *a.items);
    a.items[0] = sdk_xstrdup("x");
    a.items[1] = sdk_xstrdup("y");
    a.n_items = 2;
    sdk_resources rs;
    sdk_resources_init(&rs);
    sdk_resources_add(&rs, &a);
    sdk_resources_add(&rs, &a); /* union */
    CHECK_INT(rs.v[0].n_items, 2);
    free(a.items[1]);
    a.n_items = 1;
    CHECK_INT(sdk_resources_subtract(&rs, &a), 0);
    CHECK_INT(rs.v[0].n_items, 1);
    CHECK_STR(rs.v[0].items[0], "y");
    sdk_resource_free_contents(&a);
    sdk_resources_free(&rs);
}

static void test_identity(void) {
    sdk_resources rs;
    sdk_resources_init(&rs);
    sdk_resource a = scalar("cpus", 1), b = scalar("cpus", 1), c = scalar("cpus", 1), d = scalar("cpus", 2);
    reserve(&a, SDK_RESV_DYNAMIC, "r", "id-1");
    reserve(&b, SDK_RESV_DYNAMIC, "r", "id-2");
    reserve(&c, SDK_RESV_DYNAMIC, "r", "id-1");
    sdk_resources_add(&rs, &a);
    sdk_resources_add(&rs, &b);
    CHECK_INT(rs.n, 2); /* different labels never merge */
    sdk_resources_add(&rs, &c);
    CHECK_INT(rs.n, 2);
    CHECK_INT(sdk_resources_scalar_sum(&rs, "cpus", NULL, NULL), 3000);
    CHECK(!sdk_resources_contains(&rs, &d)); /* unreserved cpus are not in rs */
    c.reservations[0].has_labels = true;
    c.reservations[0].n_labels = 0; /* labels:{} differs from resource_id labels */
    CHECK(!sdk_resource_same_identity(&a, &c));
    c.reservations[0].n_labels = 1;
    free(c.allocation_role);
    c.allocation_role = sdk_xstrdup("r");
    CHECK(!sdk_resource_same_identity(&a, &c)); /* allocation role is identity */
    CHECK_STR(sdk_resource_label(&a, "resource_id"), "id-1");
    CHECK_STR(sdk_resource_role(&a), "r");
    CHECK_STR(sdk_resource_role(&d), "*");
    CHECK(sdk_resource_is_dynamically_reserved(&a));
    char *s = sdk_resource_to_string_new(&a);
    CHECK_STR(s, "cpus(r, resource_id:id-1):1");
    free(s);
    sdk_resource_free_contents(&a);
    sdk_resource_free_contents(&b);
    sdk_resource_free_contents(&c);
    sdk_resource_free_contents(&d);
    sdk_resources_free(&rs);
}

static sdk_resource disk(double mb, sdk_disk_source src, const char *pid) {
    sdk_resource r = scalar("disk", mb);
    r.disk_source = src;
    if (src == SDK_DISK_MOUNT) r.disk_source_root = sdk_xstrdup("/mnt/d1");
    reserve(&r, SDK_RESV_DYNAMIC, "r", "rid");
    if (pid) {
        r.persistence_id = sdk_xstrdup(pid);
        r.volume_container_path = sdk_xstrdup("data");
    }
    return r;
}

static void test_mount_all_or_nothing(void) {
    sdk_resources rs;
    sdk_resources_init(&rs);
    add_free(&rs, disk(1000, SDK_DISK_MOUNT, NULL));
    add_free(&rs, disk(1000, SDK_DISK_MOUNT, NULL));
    CHECK_INT(rs.n, 2); /* never merge */
    sdk_resource part = disk(500, SDK_DISK_MOUNT, NULL);
    CHECK(!sdk_resources_contains(&rs, &part));
    CHECK_INT(sdk_resources_subtract(&rs, &part), SDK_ENOENT);
    sdk_resource whole = disk(1000, SDK_DISK_MOUNT, NULL);
    CHECK_INT(sdk_resources_subtract(&rs, &whole), 0);
    CHECK_INT(rs.n, 1);
    sdk_resource_free_contents(&part);
    sdk_resource_free_contents(&whole);
    sdk_resources_free(&rs);
}

static void test_volumes_never_merge(void) {
    sdk_resources rs;
    sdk_resources_init(&rs);
    add_free(&rs, disk(100, SDK_DISK_ROOT, "v1"));
    add_free(&rs, disk(100, SDK_DISK_ROOT, "v1"));
    CHECK_INT(rs.n, 2);
    sdk_resource other = disk(100, SDK_DISK_ROOT, "v2");
    CHECK(!sdk_resources_contains(&rs, &other));
    /* volume path is not identity: a different container path still matches */
    sdk_resource same = disk(100, SDK_DISK_ROOT, "v1");
    free(same.volume_container_path);
    same.volume_container_path = sdk_xstrdup("elsewhere");
    CHECK(sdk_resources_contains(&rs, &same));
    sdk_resource half = disk(50, SDK_DISK_ROOT, "v1");
    CHECK(!sdk_resources_contains(&rs, &half));
    CHECK_INT(sdk_resources_subtract(&rs, &same), 0);
    CHECK_INT(rs.n, 1);
    sdk_resource_free_contents(&other);
    sdk_resource_free_contents(&same);
    sdk_resource_free_contents(&half);
    sdk_resources_free(&rs);
}

static void test_equal_and_contains_all(void) {
    sdk_resources a, b;
    sdk_resources_init(&a);
    sdk_resources_init(&b);
    add_free(&a, scalar("cpus", 1));
    add_free(&a, ports(1, 10));
    add_free(&b, ports(1, 5));
    add_free(&b, ports(6, 10));
    add_free(&b, scalar("cpus", 0.5));
    add_free(&b, scalar("cpus", 0.5));
    CHECK(sdk_resources_equal(&a, &b));
    CHECK(sdk_resources_contains_all(&a, &b));
    add_free(&b, scalar("mem", 1));
    CHECK(!sdk_resources_equal(&a, &b));
    CHECK(!sdk_resources_contains_all(&a, &b));
    CHECK(sdk_resources_contains_all(&b, &a));
    sdk_resources_free(&a);
    sdk_resources_free(&b);
}

static void test_validity(void) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_resource ok = scalar("cpus", 1);
    reserve(&ok, SDK_RESV_STATIC, "slave_public", NULL);
    reserve(&ok, SDK_RESV_DYNAMIC, "slave_public/hello-role", "x");
    CHECK(sdk_resource_valid(&ok, &errs));
    CHECK_INT(errs.n, 0);

    sdk_resource neg = scalar("cpus", -1);
    CHECK(!sdk_resource_valid(&neg, &errs));
    CHECK(sdk_errors_contains(&errs, "negative"));

    sdk_resource badr = ports(10, 5);
    CHECK(!sdk_resource_valid(&badr, &errs));
    CHECK(sdk_errors_contains(&errs, "begin > end"));

    sdk_resource star = scalar("mem", 1);
    reserve(&star, SDK_RESV_DYNAMIC, "*", NULL);
    CHECK(!sdk_resource_valid(&star, &errs));
    CHECK(sdk_errors_contains(&errs, "role '*'"));

    sdk_resource notsub = scalar("mem", 1);
    reserve(&notsub, SDK_RESV_STATIC, "a", NULL);
    reserve(&notsub, SDK_RESV_DYNAMIC, "b/c", NULL);
    CHECK(!sdk_resource_valid(&notsub, &errs));
    CHECK(sdk_errors_contains(&errs, "not a sub-role of 'a'"));

    sdk_resource vol = scalar("disk", 10);
    vol.volume_container_path = sdk_xstrdup("data");
    CHECK(!sdk_resource_valid(&vol, &errs));
    CHECK(sdk_errors_contains(&errs, "Non-persistent volume not supported"));

    sdk_resource pv = scalar("disk", 10);
    pv.persistence_id = sdk_xstrdup("p");
    pv.volume_container_path = sdk_xstrdup("data");
    CHECK(!sdk_resource_valid(&pv, &errs));
    CHECK(sdk_errors_contains(&errs, "unreserved disk"));

    sdk_resource cpudisk = scalar("cpus", 1);
    cpudisk.disk_source = SDK_DISK_MOUNT;
    CHECK(!sdk_resource_valid(&cpudisk, &errs));
    CHECK(sdk_errors_contains(&errs, "disk info on a non-disk resource"));

    sdk_resource *all[] = {&ok, &neg, &badr, &star, &notsub, &vol, &pv, &cpudisk};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) sdk_resource_free_contents(all[i]);
    sdk_errors_free(&errs);
}

int main(void) {
    RUN(test_fixed_point);
    RUN(test_subtract_too_much_leaves_unchanged);
    RUN(test_ranges);
    RUN(test_sets);
    RUN(test_identity);
    RUN(test_mount_all_or_nothing);
    RUN(test_volumes_never_merge);
    RUN(test_equal_and_contains_all);
    RUN(test_validity);
    return check_summary("test_resources");
}
