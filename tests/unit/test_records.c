/* Task records (core/service/records.c): what a record keeps of a task description once the
 * description itself is gone (the full TaskInfo stays in the state store only). */
#include "check.h"
#include "core/service/records.h"
#include "core/util/str.h"

static sdk_resource res_with_id(const char *name, const char *rid) {
    sdk_resource r = {0};
    r.name = sdk_xstrdup(name);
    r.type = SDK_RES_SCALAR;
    r.milli = 1000;
    r.reservations = sdk_xcalloc(1, sizeof *r.reservations);
    r.n_reservations = 1;
    r.reservations[0].type = SDK_RESV_DYNAMIC;
    r.reservations[0].role = sdk_xstrdup("role");
    r.reservations[0].labels = sdk_xcalloc(1, sizeof *r.reservations[0].labels);
    r.reservations[0].labels[0].key = sdk_xstrdup("resource_id");
    r.reservations[0].labels[0].value = sdk_xstrdup(rid);
    r.reservations[0].n_labels = 1;
    r.reservations[0].has_labels = true;
    return r;
}

static void add_res(sdk_resources *rs, const char *name, const char *rid) {
    sdk_resource r = res_with_id(name, rid);
    sdk_resources_add(rs, &r);
    sdk_resource_free_contents(&r);
}

static void add_label(sdk_task_desc *d, const char *k, const char *v) {
    d->labels = sdk_xrealloc(d->labels, (d->n_labels + 1) * sizeof *d->labels);
    d->labels[d->n_labels].key = sdk_xstrdup(k);
    d->labels[d->n_labels].value = sdk_xstrdup(v);
    d->n_labels++;
}

/* A launched task: every field the record derives, then the description is freed (ASan would
 * catch a record that still borrows from it). */
static void test_learn_copies_what_the_record_needs(void) {
    sdk_task_desc d = {0};
    sdk_executor_desc ex = {0};
    d.name = sdk_xstrdup("hello-0-server");
    d.task_id = sdk_xstrdup("svc__hello-0-server__1234");
    d.agent_id = sdk_xstrdup("agent-S1");
    d.goal = SDK_GOAL_RUNNING;
    add_label(&d, "task_type", "hello");
    add_label(&d, "index", "7");
    add_label(&d, "target_configuration", "cfg-1");
    add_label(&d, "offer_hostname", "host-1");
    add_label(&d, "offer_attributes", "");
    add_label(&d, "offer_zone", "zone-a");
    add_label(&d, "permanently-failed", "true");
    sdk_resources_init(&d.resources);
    sdk_resources_init(&ex.resources);
    add_res(&d.resources, "cpus", "r1");
    add_res(&d.resources, "mem", "r2");
    add_res(&ex.resources, "cpus", "r3");
    add_res(&ex.resources, "mem", "r2"); /* shared with the task: listed once */
    sdk_task_rec rec;
    memset(&rec, 0, sizeof rec);
    sdk_task_rec_learn(&rec, &d, &ex);
    sdk_task_desc_free_contents(&d);
    sdk_executor_desc_free_contents(&ex);
    CHECK_STR(rec.name, "hello-0-server");
    CHECK_STR(rec.pod_type, "hello");
    CHECK_INT(rec.index, 7);
    CHECK_STR(rec.pod_instance, "hello-7");
    CHECK_STR(rec.spec_task, "server"); /* no spec_task: the name after the pod instance */
    CHECK_STR(rec.config_id, "cfg-1");
    CHECK_STR(rec.hostname, "host-1");
    CHECK(rec.offer_attrs == NULL); /* empty attributes are none */
    CHECK_STR(rec.offer_zone, "zone-a");
    CHECK(rec.offer_region == NULL);
    CHECK_STR(rec.desc.task_id, "svc__hello-0-server__1234");
    CHECK_STR(rec.desc.agent_id, "agent-S1");
    CHECK_INT(rec.desc.goal, SDK_GOAL_RUNNING);
    CHECK(rec.permanently_failed);
    CHECK_INT(rec.n_resource_ids, 3);
    if (rec.n_resource_ids == 3) {
        CHECK_STR(rec.resource_ids[0], "r1");
        CHECK_STR(rec.resource_ids[1], "r2");
        CHECK_STR(rec.resource_ids[2], "r3");
    }
    CHECK(sdk_task_rec_alive(&rec));
    sdk_task_rec_free_contents(&rec);
}

/* Learning again replaces every derived field; status and in-memory flags stay. */
static void test_learn_again_replaces(void) {
    sdk_task_desc d = {0};
    d.name = sdk_xstrdup("hello-0-server");
    d.task_id = sdk_xstrdup("old-id");
    add_label(&d, "task_type", "hello");
    add_label(&d, "permanently-failed", "true");
    sdk_resources_init(&d.resources);
    add_res(&d.resources, "cpus", "r1");
    sdk_task_rec rec;
    memset(&rec, 0, sizeof rec);
    sdk_task_rec_learn(&rec, &d, NULL);
    rec.has_status = true;
    rec.state = SDK_TSTATE_RUNNING;
    rec.ip = sdk_xstrdup("10.0.0.1");
    sdk_task_desc_free_contents(&d);

    sdk_task_desc d2 = {0};
    d2.name = sdk_xstrdup("world-1-server");
    d2.spec_task = sdk_xstrdup("server");
    d2.task_id = sdk_xstrdup(""); /* a stub */
    add_label(&d2, "task_type", "world");
    add_label(&d2, "index", "1");
    sdk_task_rec_learn(&rec, &d2, NULL);
    sdk_task_desc_free_contents(&d2);
    CHECK_STR(rec.name, "world-1-server");
    CHECK_STR(rec.pod_instance, "world-1");
    CHECK_STR(rec.spec_task, "server");
    CHECK(!rec.permanently_failed);
    CHECK_INT(rec.n_resource_ids, 0);
    CHECK(rec.resource_ids == NULL);
    CHECK(rec.config_id == NULL && rec.hostname == NULL && rec.desc.agent_id == NULL);
    CHECK_STR(rec.desc.task_id, ""); /* stub: never launched */
    CHECK(!sdk_task_rec_alive(&rec));
    CHECK(rec.has_status && rec.state == SDK_TSTATE_RUNNING);
    CHECK_STR(rec.ip, "10.0.0.1");
    sdk_task_rec_free_contents(&rec);
    CHECK(rec.name == NULL && rec.block == NULL && rec.ip == NULL);
}

/* sdk_buf_reserve: exactly the room asked, and appends within it do not move the buffer. */
static void test_buf_reserve_exact(void) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_append(&b, "ab", 2);
    sdk_buf_reserve(&b, 1000);
    CHECK_INT(b.cap, 2 + 1000 + 1);
    char *data = b.data;
    for (int i = 0; i < 100; i++) sdk_buf_append(&b, "0123456789", 10);
    CHECK(b.data == data);
    CHECK_INT(b.len, 1002);
    CHECK_INT(b.data[b.len], 0);
    sdk_buf_reserve(&b, 0); /* enough room: unchanged */
    CHECK_INT(b.cap, 1003);
    sdk_buf_free(&b);
}

int main(void) {
    RUN(test_learn_copies_what_the_record_needs);
    RUN(test_learn_again_replaces);
    RUN(test_buf_reserve_exact);
    return check_summary("test_records");
}
