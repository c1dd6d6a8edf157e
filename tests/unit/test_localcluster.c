/* bin/localcluster end to end over 127.0.0.1: a real process, subscribed to with libcurl in
 * JSON and protobuf, driven through the Mesos v1 scheduler API and the /localcluster/ fault
 * injection endpoints. Each test subscribes its own framework and tears it down at the end.
 * The client side is tests/unit/lc_harness.h. */
#include "tests/unit/check.h"
#include "tests/unit/lc_harness.h"

/* ------------------------------------------------------------------ tests */

static void test_http_errors(void) {
    resp r;
    http(&r, "GET", "/api/v1/scheduler", NULL, 0, NULL, NULL, NULL);
    CHECK_INT(r.status, 405);
    CHECK_STR(r.allow, "POST");
    sdk_buf_free(&r.body);
    http(&r, "POST", "/master/api/v1/scheduler", "{}", 2, NULL, NULL, NULL);
    CHECK_INT(r.status, 415); /* curl sends application/x-www-form-urlencoded */
    sdk_buf_free(&r.body);
    http(&r, "POST", "/api/v1/scheduler", "{}", 2, "Content-Type:", NULL, NULL);
    CHECK_INT(r.status, 400);
    CHECK_STR(rbody(&r), "Expecting 'Content-Type' to be present");
    sdk_buf_free(&r.body);
    http(&r, "POST", "/api/v1/scheduler", "{}", 2, "Content-Type: application/json; charset=utf-8", NULL, NULL);
    CHECK_INT(r.status, 415);
    sdk_buf_free(&r.body);
    http(&r, "POST", "/api/v1/scheduler", "{\"type\":", 8, "Content-Type: application/json", NULL, NULL);
    CHECK_INT(r.status, 400);
    CHECK_CONTAINS(rbody(&r), "Failed to parse body into JSON");
    sdk_buf_free(&r.body);
    const char *nouser = "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"name\":\"x\"}}}";
    http(&r, "POST", "/api/v1/scheduler", nouser, strlen(nouser), "Content-Type: application/json", NULL, NULL);
    CHECK_INT(r.status, 400);
    CHECK_CONTAINS(rbody(&r), "Failed to convert JSON into Call protobuf: Missing required fields: subscribe.framework_info.user");
    sdk_buf_free(&r.body);
    http(&r, "POST", "/api/v1/scheduler", "\xff\xff", 2, "Content-Type: application/x-protobuf", NULL, NULL);
    CHECK_INT(r.status, 400);
    CHECK_STR(rbody(&r), "Failed to parse body into Call protobuf");
    sdk_buf_free(&r.body);
    const char *notype = "{\"framework_id\":{\"value\":\"x\"}}";
    http(&r, "POST", "/api/v1/scheduler", notype, strlen(notype), "Content-Type: application/json", NULL, NULL);
    CHECK_INT(r.status, 400);
    CHECK_STR(rbody(&r), "Failed to validate scheduler::Call: Expecting 'type' to be present");
    sdk_buf_free(&r.body);
    const char *sub = "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"u\",\"name\":\"x\"}}}";
    http(&r, "POST", "/api/v1/scheduler", sub, strlen(sub), "Content-Type: application/json", "Accept: text/html", NULL);
    CHECK_INT(r.status, 406);
    sdk_buf_free(&r.body);
    http(&r, "POST", "/api/v1/scheduler", sub, strlen(sub), "Content-Type: application/json", "Mesos-Stream-Id: abc", NULL);
    CHECK_INT(r.status, 400);
    CHECK_STR(rbody(&r), "Subscribe calls should not include the 'Mesos-Stream-Id' header");
    sdk_buf_free(&r.body);
    const char *mism = "{\"type\":\"SUBSCRIBE\",\"framework_id\":{\"value\":\"a\"},\"subscribe\":{\"framework_info\":{\"user\":\"u\",\"name\":\"x\"}}}";
    http(&r, "POST", "/api/v1/scheduler", mism, strlen(mism), "Content-Type: application/json", NULL, NULL);
    CHECK_INT(r.status, 400);
    CHECK_CONTAINS(rbody(&r), "'framework_id' differs from 'subscribe.framework_info.id'");
    sdk_buf_free(&r.body);
    const char *unk = "{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"nope\"}}";
    http(&r, "POST", "/api/v1/scheduler", unk, strlen(unk), "Content-Type: application/json", NULL, NULL);
    CHECK_INT(r.status, 400);
    CHECK_STR(rbody(&r), "Framework cannot be found");
    sdk_buf_free(&r.body);

    stream *s = subscribe("errs", "r", NULL, true);
    char *revive = sdk_asprintf_new("{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"%s\"}}", s->fw_id);
    http(&r, "POST", "/api/v1/scheduler", revive, strlen(revive), "Content-Type: application/json", NULL, NULL);
    CHECK_INT(r.status, 400);
    CHECK_STR(rbody(&r), "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
    sdk_buf_free(&r.body);
    http(&r, "POST", "/api/v1/scheduler", revive, strlen(revive), "Content-Type: application/json", "Mesos-Stream-Id: wrong", NULL);
    CHECK_INT(r.status, 400);
    CHECK_CONTAINS(rbody(&r), "The stream ID 'wrong' included in this request didn't match");
    sdk_buf_free(&r.body);
    free(revive);
    char *sid = sdk_asprintf_new("Mesos-Stream-Id: %s", s->stream_id);
    char *badack = sdk_asprintf_new("{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"%s\"},\"acknowledge\":{\"agent_id\":{\"value\":\"a\"},"
                                    "\"task_id\":{\"value\":\"t\"},\"uuid\":\"AAAA\"}}", s->fw_id);
    http(&r, "POST", "/api/v1/scheduler", badack, strlen(badack), "Content-Type: application/json", sid, NULL);
    CHECK_INT(r.status, 400);
    CHECK_CONTAINS(rbody(&r), "Failed to validate scheduler::Call");
    sdk_buf_free(&r.body);
    free(badack);
    char *unknown = sdk_asprintf_new("{\"type\":\"UNKNOWN\",\"framework_id\":{\"value\":\"%s\"}}", s->fw_id);
    http(&r, "POST", "/api/v1/scheduler", unknown, strlen(unknown), "Content-Type: application/json", sid, NULL);
    CHECK_INT(r.status, 501);
    sdk_buf_free(&r.body);
    free(unknown);
    free(sid);
    teardown(s);
}

static void test_subscribe_json(void) {
    stream *s = subscribe("json", "r", NULL, true);
    CHECK_STR(s->ctype, "application/json");
    CHECK_INT(strlen(s->stream_id), 36);
    CHECK(strlen(s->fw_id) == 36 + 5 && !strcmp(s->fw_id + 36, "-0001"));
    CHECK(wait_event(s, "HEARTBEAT", NULL, NULL, 2000) != NULL);
    json_t *ev = wait_event(s, "OFFERS", NULL, NULL, 3000);
    CHECK(ev != NULL);
    if (ev) {
        json_t *o = jget(ev, "offers.offers.0");
        CHECK(jstr(o, "id.value") && strstr(jstr(o, "id.value"), "-O"));
        CHECK(jstr(o, "agent_id.value") && strstr(jstr(o, "agent_id.value"), "-S"));
        CHECK_STR(jstr(o, "url.scheme"), "http");
        CHECK_STR(jstr(o, "allocation_info.role"), "r");
        CHECK_STR(jstr(o, "domain.fault_domain.region.name"), "r");
        CHECK(json_array_size(jget(o, "resources")) >= 4);
        CHECK_STR(jstr(o, "resources.0.allocation_info.role"), "r");
    }
    teardown(s);
}

static void test_subscribe_protobuf(void) {
    stream *s = subscribe("pb", "r", NULL, false);
    CHECK_STR(s->ctype, "application/x-protobuf");
    CHECK(wait_event(s, "HEARTBEAT", NULL, NULL, 2000) != NULL);
    json_t *off = wait_event(s, "OFFERS", NULL, NULL, 3000);
    CHECK(off != NULL);
    /* a protobuf DECLINE call is understood: the declined agent is filtered for an hour */
    Mesos__V1__Scheduler__Call call = MESOS__V1__SCHEDULER__CALL__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    Mesos__V1__OfferID oid = MESOS__V1__OFFER_ID__INIT;
    Mesos__V1__OfferID *oids[1] = {&oid};
    Mesos__V1__Filters filt = MESOS__V1__FILTERS__INIT;
    Mesos__V1__Scheduler__Call__Decline dec = MESOS__V1__SCHEDULER__CALL__DECLINE__INIT;
    fid.value = s->fw_id;
    oid.value = (char *)(off ? jstr(off, "offers.offers.0.id.value") : "x");
    filt.has_refuse_seconds = true;
    filt.refuse_seconds = 3600;
    dec.n_offer_ids = 1;
    dec.offer_ids = oids;
    dec.filters = &filt;
    call.framework_id = &fid;
    call.has_type = true;
    call.type = MESOS__V1__SCHEDULER__CALL__TYPE__DECLINE;
    call.decline = &dec;
    size_t n = mesos__v1__scheduler__call__get_packed_size(&call);
    uint8_t *buf = sdk_xmalloc(n);
    mesos__v1__scheduler__call__pack(&call, buf);
    char *sid = sdk_asprintf_new("Mesos-Stream-Id: %s", s->stream_id);
    resp r;
    http(&r, "POST", "/api/v1/scheduler", (const char *)buf, n, "Content-Type: application/x-protobuf", sid, NULL);
    CHECK_INT(r.status, 202);
    CHECK_INT(r.body.len, 0);
    sdk_buf_free(&r.body);
    free(sid);
    free(buf);
    char declined[128];
    snprintf(declined, sizeof declined, "%s", off ? jstr(off, "offers.offers.0.agent_id.value") : "");
    drain_events(s);
    CHECK(wait_event(s, "OFFERS", pred_offer_agent, declined, 500) == NULL);
    /* re-subscribing with the same id fails the old stream over */
    char *body = sdk_asprintf_new("{\"type\":\"SUBSCRIBE\",\"framework_id\":{\"value\":\"%s\"},\"subscribe\":{\"framework_info\":{"
                                  "\"id\":{\"value\":\"%s\"},\"user\":\"root\",\"name\":\"pb\",\"principal\":\"p-pb\",\"roles\":[\"r\"],"
                                  "\"capabilities\":[{\"type\":\"MULTI_ROLE\"}]}}}", s->fw_id, s->fw_id);
    stream *s2 = stream_open(body, true);
    free(body);
    json_t *sub = wait_event(s2, "SUBSCRIBED", NULL, NULL, 3000);
    CHECK(sub && !strcmp(jstr(sub, "subscribed.framework_id.value"), s->fw_id));
    json_t *err = wait_event(s, "ERROR", NULL, NULL, 3000);
    CHECK(err && !strcmp(jstr(err, "error.message"), "Framework failed over"));
    snprintf(s2->fw_id, sizeof s2->fw_id, "%s", s->fw_id);
    stream_close(s);
    teardown(s2);
}

static void test_volume_lifecycle(void) {
    stream *s = subscribe("vol", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    char *cpu = reserved("cpus", 0.5, "r", "p-vol", "rid-cpu"), *mem = reserved("mem", 64, "r", "p-vol", "rid-mem"),
         *disk = reserved("disk", 100, "r", "p-vol", "rid-disk");
    char *vol = sdk_asprintf_new("{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":100},\"allocation_info\":{\"role\":\"r\"},"
                                 "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p-vol\",\"labels\":{\"labels\":"
                                 "[{\"key\":\"resource_id\",\"value\":\"rid-disk\"}]}}],\"disk\":{\"persistence\":{\"id\":\"pv1\",\"principal\":\"p-vol\"},"
                                 "\"volume\":{\"container_path\":\"data\",\"mode\":\"RW\"}}}");
    char *ex = executor_json(s->fw_id, "ex-vol");
    CHECK_INT(scall(s,
                    "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],\"operations\":["
                    "{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[%s,%s,%s]}},"
                    "{\"type\":\"CREATE\",\"create\":{\"volumes\":[%s]}},"
                    "{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":%s,\"task_group\":{\"tasks\":[{\"name\":\"w\",\"task_id\":{\"value\":\"writer\"},"
                    "\"agent_id\":{\"value\":\"%s\"},\"resources\":[%s,%s,%s],\"command\":{\"value\":\"echo $GREETING > data/hello && test -n \\\"$MESOS_SANDBOX\\\"\","
                    "\"environment\":{\"variables\":[{\"name\":\"GREETING\",\"value\":\"hi-volume\"}]}}}]}}}]}}",
                    s->fw_id, oid, cpu, mem, disk, vol, ex, aid, cpu, mem, vol), 202);
    const char *states[] = {"TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"};
    for (int i = 0; i < 3; i++) {
        json_t *u = wait_update(s, "writer", states[i], 5000);
        CHECK_MSG(u != NULL, "no %s", states[i]);
        if (!u) break;
        CHECK(jstr(u, "update.status.uuid") && strlen(jstr(u, "update.status.uuid")) == 24);
        CHECK_STR(jstr(u, "update.status.source"), "SOURCE_EXECUTOR");
        CHECK_STR(jstr(u, "update.status.executor_id.value"), "ex-vol");
        CHECK_STR(jstr(u, "update.status.agent_id.value"), aid);
        ack(s, u);
    }
    /* the volume outlives the task */
    char *path = sdk_asprintf_new("%s/volumes/roles/r/pv1/hello", g_workdir), *text = NULL;
    size_t len;
    CHECK_INT(sdk_read_file_new(path, &text, &len), 0);
    CHECK_STR(text, "hi-volume\n");
    free(text);
    free(path);
    /* the reservation and the volume are offered again, labels included */
    bool seen_vol = false, seen_label = false;
    uint64_t deadline = now_ms() + 4000;
    while (!(seen_vol && seen_label) && now_ms() < deadline) {
        json_t *ev = wait_event(s, "OFFERS", pred_offer_agent, aid, 1000);
        if (!ev) continue;
        size_t i;
        json_t *r;
        json_t *mine = json_array_get(jget(ev, "offers.offers"), offer_index(ev, aid));
        json_array_foreach(jget(mine, "resources"), i, r) {
            if (sdk_streq(jstr(r, "disk.persistence.id"), "pv1")) seen_vol = true;
            if (sdk_streq(jstr(r, "reservations.0.labels.labels.0.value"), "rid-cpu")) seen_label = true;
        }
        char o2[128], a2[128];
        snprintf(o2, sizeof o2, "%s", jstr(mine, "id.value"));
        (void)a2;
        scall(s, "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"%s\"},\"decline\":{\"offer_ids\":[{\"value\":\"%s\"}],"
                 "\"filters\":{\"refuse_seconds\":0}}}", s->fw_id, o2);
    }
    CHECK(seen_vol);
    CHECK(seen_label);
    json_t *st = state_get();
    bool listed = false;
    size_t i;
    json_t *a;
    json_array_foreach(jget(st, "agents"), i, a) {
        if (sdk_streq(jstr(a, "id"), aid)) listed = sdk_streq(jstr(a, "volumes.0.persistence_id"), "pv1");
    }
    CHECK(listed);
    json_decref(st);
    free(cpu);
    free(mem);
    free(disk);
    free(vol);
    free(ex);
    teardown(s);
}

static void test_decline_suppress_revive(void) {
    stream *s = subscribe("filters", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    CHECK_INT(scall(s, "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"%s\"},\"decline\":{\"offer_ids\":[{\"value\":\"%s\"}],"
                       "\"filters\":{\"refuse_seconds\":3600}}}", s->fw_id, oid), 202);
    drain_events(s);
    CHECK_MSG(wait_event(s, "OFFERS", pred_offer_agent, aid, 700) == NULL, "declined agent offered again despite the filter");
    CHECK_INT(scall(s, "{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"%s\"},\"revive\":{\"roles\":[\"r\"]}}", s->fw_id), 202);
    json_t *ev = get_offer(s, aid, oid, aid, 2000);
    CHECK_MSG(ev != NULL, "REVIVE did not clear the refuse filter");
    /* SUPPRESS: after a 0 s decline nothing comes back until REVIVE */
    CHECK_INT(scall(s, "{\"type\":\"SUPPRESS\",\"framework_id\":{\"value\":\"%s\"},\"suppress\":{\"roles\":[\"r\"]}}", s->fw_id), 202);
    CHECK_INT(scall(s, "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"%s\"},\"decline\":{\"offer_ids\":[{\"value\":\"%s\"}],"
                       "\"filters\":{\"refuse_seconds\":0}}}", s->fw_id, oid), 202);
    drain_events(s);
    CHECK_MSG(wait_event(s, "OFFERS", pred_offer_agent, aid, 700) == NULL, "offer while suppressed");
    /* an unsubscribed role makes the whole REVIVE a no-op */
    CHECK_INT(scall(s, "{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"%s\"},\"revive\":{\"roles\":[\"r\",\"other\"]}}", s->fw_id), 202);
    CHECK(wait_event(s, "OFFERS", pred_offer_agent, aid, 500) == NULL);
    CHECK_INT(scall(s, "{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"%s\"}}", s->fw_id), 202);
    CHECK(wait_event(s, "OFFERS", pred_offer_agent, aid, 2000) != NULL);
    teardown(s);
}

static void test_kill_with_grace(void) {
    stream *s = subscribe("kill", "r", ",{\"type\":\"TASK_KILLING_STATE\"}", true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    CHECK_INT(launch_simple(s, oid, aid, "stubborn", "trap '' TERM; sleep 30 & wait; sleep 30",
                            ",\"kill_policy\":{\"grace_period\":{\"nanoseconds\":800000000}}"), 202);
    json_t *u = ack_until(s, "stubborn", "TASK_RUNNING", 5000);
    CHECK(u != NULL);
    usleep(200000); /* let the shell install its trap */
    uint64_t t0 = now_ms();
    CHECK_INT(scall(s, "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},\"kill\":{\"task_id\":{\"value\":\"stubborn\"},"
                       "\"agent_id\":{\"value\":\"%s\"}}}", s->fw_id, aid), 202);
    u = wait_update(s, "stubborn", "TASK_KILLING", 2000);
    CHECK(u != NULL);
    ack(s, u);
    u = wait_update(s, "stubborn", "TASK_KILLED", 5000);
    CHECK(u != NULL);
    uint64_t took = now_ms() - t0;
    CHECK_MSG(took >= 700 && took < 4000, "kill took %llu ms for a 0.8 s grace period", (unsigned long long)took);
    teardown(s);
}

static void test_health_check_kills(void) {
    stream *s = subscribe("health", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    CHECK_INT(launch_simple(s, oid, aid, "sick", "sleep 30",
                            ",\"health_check\":{\"type\":\"COMMAND\",\"command\":{\"value\":\"test -f nothing-here\"},\"delay_seconds\":0,"
                            "\"interval_seconds\":0.2,\"grace_period_seconds\":0,\"consecutive_failures\":2,\"timeout_seconds\":2},"
                            "\"kill_policy\":{\"grace_period\":{\"nanoseconds\":100000000}}"), 202);
    CHECK(ack_until(s, "sick", "TASK_RUNNING", 5000) != NULL);
    json_t *u = wait_update(s, "sick", "TASK_RUNNING", 3000);
    CHECK(u && json_is_false(jget(u, "update.status.healthy")));
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"));
    ack(s, u);
    u = ack_until(s, "sick", "TASK_KILLED", 5000);
    CHECK_MSG(u != NULL, "an unhealthy task was not killed");
    CHECK(u && json_is_false(jget(u, "update.status.healthy")));
    teardown(s);
}

static void test_check_status_reported(void) {
    stream *s = subscribe("check", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    CHECK_INT(launch_simple(s, oid, aid, "ready", "touch ready-flag; sleep 30",
                            ",\"check\":{\"type\":\"COMMAND\",\"command\":{\"command\":{\"value\":\"test -f ready-flag\"}},"
                            "\"delay_seconds\":0.3,\"interval_seconds\":0.3,\"timeout_seconds\":2}"), 202);
    json_t *u = wait_update(s, "ready", "TASK_STARTING", 5000);
    CHECK(u && sdk_streq(jstr(u, "update.status.check_status.type"), "COMMAND"));
    ack(s, u);
    u = wait_update(s, "ready", "TASK_RUNNING", 5000);
    ack(s, u);
    u = wait_update(s, "ready", "TASK_RUNNING", 5000);
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_TASK_CHECK_STATUS_UPDATED"));
    CHECK(u && json_integer_value(jget(u, "update.status.check_status.command.exit_code")) == 0 &&
          jget(u, "update.status.check_status.command.exit_code"));
    ack(s, u);
    /* reconciliation: explicit for a known and an unknown task, implicit for all */
    CHECK_INT(scall(s, "{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"%s\"},\"reconcile\":{\"tasks\":["
                       "{\"task_id\":{\"value\":\"ready\"},\"agent_id\":{\"value\":\"%s\"}},"
                       "{\"task_id\":{\"value\":\"ghost\"},\"agent_id\":{\"value\":\"%s\"}},{\"task_id\":{\"value\":\"ghost2\"}}]}}",
                    s->fw_id, aid, aid), 202);
    u = wait_update(s, "ready", "TASK_RUNNING", 3000);
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_RECONCILIATION") && !jget(u, "update.status.uuid"));
    u = wait_update(s, "ghost", "TASK_LOST", 3000);
    CHECK(u && sdk_streq(jstr(u, "update.status.message"), "Reconciliation: Task is unknown to the agent"));
    u = wait_update(s, "ghost2", "TASK_LOST", 3000);
    CHECK(u && sdk_streq(jstr(u, "update.status.message"), "Reconciliation: Task is unknown"));
    CHECK_INT(scall(s, "{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"%s\"},\"reconcile\":{}}", s->fw_id), 202);
    u = wait_update(s, "ready", "TASK_RUNNING", 3000);
    CHECK(u && sdk_streq(jstr(u, "update.status.source"), "SOURCE_MASTER"));
    teardown(s);
}

static void test_invalid_operations(void) {
    stream *s = subscribe("invalid", "r", ",{\"type\":\"PARTITION_AWARE\"}", true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    /* unknown offer */
    CHECK_INT(launch_simple(s, "no-such-offer", aid, "t-badoffer", "true", NULL), 202);
    json_t *u = wait_update(s, "t-badoffer", "TASK_DROPPED", 3000);
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_INVALID_OFFERS") && !jget(u, "update.status.uuid"));
    CHECK(u && sdk_streq(jstr(u, "update.status.source"), "SOURCE_MASTER"));
    /* the offer is still valid: an invalid group (executor without framework_id) */
    CHECK_INT(scall(s,
                    "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],\"operations\":["
                    "{\"type\":\"RESERVE\",\"id\":{\"value\":\"op-1\"},\"reserve\":{\"resources\":[" UNRES("cpus", 1) "]}},"
                    "{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"type\":\"DEFAULT\",\"executor_id\":{\"value\":\"e\"}},"
                    "\"task_group\":{\"tasks\":[{\"name\":\"a\",\"task_id\":{\"value\":\"ga\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":[" UNRES("cpus", 0.1) "]},"
                    "{\"name\":\"b\",\"task_id\":{\"value\":\"gb\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":[" UNRES("cpus", 0.1) "]}]}}},"
                    "{\"type\":\"LAUNCH\",\"id\":{\"value\":\"op-2\"},\"launch\":{\"task_infos\":[{\"name\":\"c\",\"task_id\":{\"value\":\"lc\"},"
                    "\"agent_id\":{\"value\":\"%s\"},\"resources\":[" UNRES("cpus", 0.1) "],\"command\":{\"value\":\"true\"}}]}},"
                    "{\"type\":\"UNRESERVE\",\"unreserve\":{\"resources\":[" UNRES("cpus", 1) "]}}]}}",
                    s->fw_id, oid, aid, aid, aid), 202);
    json_t *op = wait_event(s, "UPDATE_OPERATION_STATUS", NULL, NULL, 3000);
    CHECK(op && sdk_streq(jstr(op, "update_operation_status.status.state"), "OPERATION_ERROR"));
    CHECK(op && sdk_streq(jstr(op, "update_operation_status.status.operation_id.value"), "op-1"));
    CHECK(op && !jget(op, "update_operation_status.status.agent_id") && !jget(op, "update_operation_status.status.uuid"));
    u = wait_update(s, "ga", "TASK_ERROR", 3000);
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_TASK_GROUP_INVALID"));
    CHECK(u && strstr(jstr(u, "update.status.message"), "'ExecutorInfo.framework_id' must be set"));
    u = wait_update(s, "gb", "TASK_ERROR", 3000);
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_TASK_GROUP_INVALID"));
    u = wait_update(s, "lc", "TASK_ERROR", 3000);
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_TASK_INVALID"));
    /* exactly one operation status: the invalid UNRESERVE without id produced nothing */
    CHECK(wait_event(s, "UPDATE_OPERATION_STATUS", NULL, NULL, 300) == NULL);
    /* KILL of an unknown task = reconciliation of it (PARTITION_AWARE: TASK_UNKNOWN) */
    CHECK_INT(scall(s, "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},\"kill\":{\"task_id\":{\"value\":\"nobody\"}}}", s->fw_id), 202);
    u = wait_update(s, "nobody", "TASK_UNKNOWN", 3000);
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_RECONCILIATION"));
    /* two tasks of one group asking for the same port */
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    char *ex = executor_json(s->fw_id, "ex-ports");
#define PORT "{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":10000,\"end\":10000}]},\"allocation_info\":{\"role\":\"r\"}}"
    CHECK_INT(scall(s,
                    "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],\"operations\":["
                    "{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":%s,\"task_group\":{\"tasks\":["
                    "{\"name\":\"a\",\"task_id\":{\"value\":\"pa\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":[" UNRES("cpus", 0.1) "," PORT "],"
                    "\"command\":{\"value\":\"true\"}},"
                    "{\"name\":\"b\",\"task_id\":{\"value\":\"pb\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":[" UNRES("cpus", 0.1) "," PORT "],"
                    "\"command\":{\"value\":\"true\"}}]}}}]}}",
                    s->fw_id, oid, ex, aid, aid), 202);
#undef PORT
    free(ex);
    u = wait_update(s, "pb", "TASK_ERROR", 3000);
    CHECK(u && strstr(jstr(u, "update.status.message"), "overlapping 'ports'"));
    /* nothing was reserved: state lists no reservation */
    json_t *st = state_get();
    size_t i;
    json_t *a;
    json_array_foreach(jget(st, "agents"), i, a) {
        if (!sdk_streq(jstr(a, "id"), aid)) continue;
        size_t k;
        json_t *r;
        json_array_foreach(jget(a, "reservations"), k, r) CHECK(!sdk_streq(jstr(r, "reservations.0.principal"), "p-invalid"));
    }
    json_decref(st);
    teardown(s);
}


/* Each HTTP chunk of the stream holds exactly one complete RecordIO record (§2.4, §12.6). */
static void test_one_record_per_chunk(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    const char *body = "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"raw\",\"roles\":[\"r\"],"
                       "\"capabilities\":[{\"type\":\"MULTI_ROLE\"}]}}}";
    char *req = sdk_asprintf_new("POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                 "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
    free(req);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 300000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sdk_buf in;
    sdk_buf_init(&in);
    uint64_t deadline = now_ms() + 1500;
    while (now_ms() < deadline) {
        char b[4096];
        ssize_t n = read(fd, b, sizeof b);
        if (n > 0) sdk_buf_append(&in, b, (size_t)n);
        if (in.data && strstr(in.data, "\"OFFERS\"")) break;
    }
    close(fd);
    char *p = in.data ? strstr(in.data, "\r\n\r\n") : NULL;
    CHECK(p != NULL);
    CHECK(in.data && strstr(in.data, "Transfer-Encoding: chunked"));
    int chunks = 0, good = 0;
    if (p) p += 4;
    while (p && p < in.data + in.len) {
        char *end;
        unsigned long clen = strtoul(p, &end, 16);
        if (end[0] != '\r' || end[1] != '\n' || clen == 0) break;
        char *data = end + 2;
        if (data + clen + 2 > in.data + in.len) break; /* partial at the end of the capture */
        chunks++;
        char *nl = memchr(data, '\n', clen);
        if (nl && strtoul(data, NULL, 10) == clen - (size_t)(nl + 1 - data)) good++;
        p = data + clen + 2;
    }
    CHECK_MSG(chunks >= 3, "only %d chunks", chunks);
    CHECK_INT(good, chunks);
    sdk_buf_free(&in);
}

/* Stream loss: calls get 403; after failover_timeout the framework is removed for good. */
static void test_stream_loss_and_removal(void) {
    stream *s = stream_open("{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"lossy\","
                            "\"failover_timeout\":1,\"role\":\"r\"}}}", true);
    json_t *sub = wait_event(s, "SUBSCRIBED", NULL, NULL, 3000);
    CHECK(sub != NULL);
    char fw[128], sid[128];
    snprintf(fw, sizeof fw, "%s", sub ? jstr(sub, "subscribed.framework_id.value") : "");
    snprintf(sid, sizeof sid, "%s", s->stream_id);
    json_t *off = wait_event(s, "OFFERS", NULL, NULL, 3000);
    CHECK(off && !jget(off, "offers.offers.0.allocation_info")); /* no MULTI_ROLE: no allocation_info */
    stream_close(s);
    char *revive = sdk_asprintf_new("{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"%s\"}}", fw);
    char *h = sdk_asprintf_new("Mesos-Stream-Id: %s", sid);
    resp r = {0};
    uint64_t deadline = now_ms() + 2000;
    do {
        sdk_buf_free(&r.body);
        usleep(20000);
        http(&r, "POST", "/api/v1/scheduler", revive, strlen(revive), "Content-Type: application/json", h, NULL);
    } while (r.status == 202 && now_ms() < deadline);
    CHECK_INT(r.status, 403);
    CHECK_STR(rbody(&r), "Framework is not subscribed");
    sdk_buf_free(&r.body);
    usleep(1300000);
    http(&r, "POST", "/api/v1/scheduler", revive, strlen(revive), "Content-Type: application/json", h, NULL);
    CHECK_INT(r.status, 400);
    CHECK_STR(rbody(&r), "Framework cannot be found");
    sdk_buf_free(&r.body);
    char *body = sdk_asprintf_new("{\"type\":\"SUBSCRIBE\",\"framework_id\":{\"value\":\"%s\"},\"subscribe\":{\"framework_info\":{"
                                  "\"id\":{\"value\":\"%s\"},\"user\":\"root\",\"name\":\"lossy\",\"role\":\"r\"}}}", fw, fw);
    s = stream_open(body, true);
    json_t *err = wait_event(s, "ERROR", NULL, NULL, 3000);
    CHECK(err && sdk_streq(jstr(err, "error.message"), "Framework has been removed"));
    stream_close(s);
    free(body);
    free(revive);
    free(h);
}

/* A framework without MULTI_ROLE/RESERVATION_REFINEMENT in role slave_public sees the legacy
 * format: role "*" for unreserved and role "slave_public" for the static reservation. */
static void test_legacy_format_static_reservation(void) {
    stream *s = stream_open("{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"legacy\","
                            "\"role\":\"slave_public\",\"failover_timeout\":60}}}", true);
    json_t *sub = wait_event(s, "SUBSCRIBED", NULL, NULL, 3000);
    CHECK(sub != NULL);
    if (sub) snprintf(s->fw_id, sizeof s->fw_id, "%s", jstr(sub, "subscribed.framework_id.value"));
    json_t *ev = wait_event(s, "OFFERS", NULL, NULL, 3000);
    CHECK(ev != NULL);
    bool static_cpu = false, unreserved_cpu = false, any_alloc = false, any_stack = false;
    size_t i;
    json_t *r;
    json_array_foreach(jget(ev, "offers.offers.0.resources"), i, r) {
        if (jget(r, "allocation_info")) any_alloc = true;
        if (jget(r, "reservations")) any_stack = true;
        if (sdk_streq(jstr(r, "name"), "cpus") && sdk_streq(jstr(r, "role"), "slave_public")) static_cpu = true;
        if (sdk_streq(jstr(r, "name"), "cpus") && sdk_streq(jstr(r, "role"), "*")) unreserved_cpu = true;
    }
    CHECK(static_cpu);
    CHECK(unreserved_cpu);
    CHECK(!any_alloc);
    CHECK(!any_stack);
    teardown(s);
}

/* Group policy: a failing task takes its running sibling down (TASK_KILLED). */
static void test_group_policy(void) {
    stream *s = subscribe("group", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    char *ex = executor_json(s->fw_id, "ex-group");
    CHECK_INT(scall(s,
                    "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],\"operations\":["
                    "{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":%s,\"task_group\":{\"tasks\":["
                    "{\"name\":\"a\",\"task_id\":{\"value\":\"g-long\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":[" UNRES("cpus", 0.1) "],"
                    "\"command\":{\"value\":\"sleep 30\"}},"
                    "{\"name\":\"b\",\"task_id\":{\"value\":\"g-bad\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":[" UNRES("cpus", 0.1) "],"
                    "\"command\":{\"value\":\"sleep 0.3; exit 3\"}}]}}}]}}",
                    s->fw_id, oid, ex, aid, aid), 202);
    free(ex);
    json_t *u = ack_until(s, "g-bad", "TASK_FAILED", 5000);
    CHECK(u && sdk_streq(jstr(u, "update.status.message"), "Command exited with status 3"));
    CHECK_MSG(ack_until(s, "g-long", "TASK_KILLED", 6000) != NULL, "sibling not killed by the group policy");
    json_t *f = wait_event(s, "FAILURE", NULL, NULL, 3000);
    CHECK(f && sdk_streq(jstr(f, "failure.executor_id.value"), "ex-group"));
    teardown(s);
}

/* DESTROY refused while the volume is in use; DESTROY + UNRESERVE together afterwards. */
static void test_destroy_unreserve(void) {
    stream *s = subscribe("destroy", "r2", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    const char *dres = "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":50},\"allocation_info\":{\"role\":\"r2\"},"
                       "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r2\",\"principal\":\"p-destroy\",\"labels\":{\"labels\":"
                       "[{\"key\":\"resource_id\",\"value\":\"rid-d\"}]}}]";
    char *disk = sdk_asprintf_new("%s}", dres);
    char *vol = sdk_asprintf_new("%s,\"disk\":{\"persistence\":{\"id\":\"pv2\",\"principal\":\"p-destroy\"},\"volume\":{\"container_path\":\"v\",\"mode\":\"RW\"}}}", dres);
    char *ex = sdk_asprintf_new("{\"type\":\"DEFAULT\",\"executor_id\":{\"value\":\"ex-d\"},\"framework_id\":{\"value\":\"%s\"},"
                                "\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1},\"allocation_info\":{\"role\":\"r2\"}},"
                                "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":32},\"allocation_info\":{\"role\":\"r2\"}},%s]}", s->fw_id, vol);
    CHECK_INT(scall(s,
                    "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],\"operations\":["
                    "{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[%s]}},{\"type\":\"CREATE\",\"create\":{\"volumes\":[%s]}},"
                    "{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":%s,\"task_group\":{\"tasks\":[{\"name\":\"u\",\"task_id\":{\"value\":\"user\"},"
                    "\"agent_id\":{\"value\":\"%s\"},\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1},\"allocation_info\":{\"role\":\"r2\"}}],"
                    "\"container\":{\"type\":\"MESOS\",\"volumes\":[{\"mode\":\"RW\",\"container_path\":\"v\",\"source\":{\"type\":\"SANDBOX_PATH\","
                    "\"sandbox_path\":{\"type\":\"PARENT\",\"path\":\"v\"}}}]},"
                    "\"command\":{\"value\":\"echo pod > v/f; sleep 30\"}}]}}}],\"filters\":{\"refuse_seconds\":0}}}",
                    s->fw_id, oid, disk, vol, ex, aid), 202);
    CHECK(ack_until(s, "user", "TASK_RUNNING", 5000) != NULL);
    usleep(200000);
    char *path = sdk_asprintf_new("%s/volumes/roles/r2/pv2/f", g_workdir), *text = NULL;
    size_t len;
    CHECK_INT(sdk_read_file_new(path, &text, &len), 0); /* written through the executor's volume */
    free(text);
    /* in use: a DESTROY (in an offer of that agent) changes nothing */
    CHECK(get_offer(s, aid, oid, aid, 3000) != NULL);
    CHECK_INT(scall(s, "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],\"operations\":["
                       "{\"type\":\"DESTROY\",\"destroy\":{\"volumes\":[%s]}}],\"filters\":{\"refuse_seconds\":0}}}", s->fw_id, oid, vol), 202);
    usleep(200000);
    CHECK_INT(sdk_read_file_new(path, &text, &len), 0);
    free(text);
    CHECK_INT(scall(s, "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},\"kill\":{\"task_id\":{\"value\":\"user\"}}}", s->fw_id), 202);
    CHECK(ack_until(s, "user", "TASK_KILLED", 6000) != NULL);
    /* now the volume is offered; DESTROY + UNRESERVE in one ACCEPT */
    bool done = false;
    uint64_t deadline = now_ms() + 4000;
    while (!done && now_ms() < deadline) {
        json_t *ev = wait_event(s, "OFFERS", pred_offer_agent, aid, 1000);
        if (!ev) continue;
        size_t i;
        json_t *r;
        bool has = false;
        json_t *mine = json_array_get(jget(ev, "offers.offers"), offer_index(ev, aid));
        json_array_foreach(jget(mine, "resources"), i, r) has |= sdk_streq(jstr(r, "disk.persistence.id"), "pv2");
        snprintf(oid, sizeof oid, "%s", jstr(mine, "id.value"));
        if (!has) {
            scall(s, "{\"type\":\"DECLINE\",\"framework_id\":{\"value\":\"%s\"},\"decline\":{\"offer_ids\":[{\"value\":\"%s\"}],"
                     "\"filters\":{\"refuse_seconds\":0}}}", s->fw_id, oid);
            continue;
        }
        CHECK_INT(scall(s, "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],\"operations\":["
                           "{\"type\":\"DESTROY\",\"destroy\":{\"volumes\":[%s]}},{\"type\":\"UNRESERVE\",\"unreserve\":{\"resources\":[%s]}}]}}",
                        s->fw_id, oid, vol, disk), 202);
        done = true;
    }
    CHECK(done);
    usleep(200000);
    CHECK(sdk_read_file_new(path, &text, &len) != 0); /* volume data deleted */
    json_t *st = state_get();
    size_t i;
    json_t *a;
    json_array_foreach(jget(st, "agents"), i, a) {
        size_t k;
        json_t *v;
        json_array_foreach(jget(a, "volumes"), k, v) CHECK(!sdk_streq(jstr(v, "persistence_id"), "pv2"));
        json_array_foreach(jget(a, "reservations"), k, v) CHECK(!sdk_streq(jstr(v, "reservations.0.role"), "r2"));
    }
    json_decref(st);
    free(path);
    free(disk);
    free(vol);
    free(ex);
    teardown(s);
}

/* Stopping an agent kills its tasks (agent-sourced TASK_LOST with uuid) and withdraws its
 * offers; starting it brings it back under the same id. Draining kills with AGENT_DRAINING. */
static void test_agent_stop_start_drain(void) {
    stream *s = subscribe("agents", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    CHECK_INT(launch_simple(s, oid, aid, "on-agent", "sleep 30", NULL), 202);
    CHECK(ack_until(s, "on-agent", "TASK_RUNNING", 5000) != NULL);
    resp r;
    char *p = sdk_asprintf_new("/localcluster/agents/%s/stop", aid);
    http(&r, "POST", p, "", 0, NULL, NULL, NULL);
    CHECK_INT(r.status, 200);
    sdk_buf_free(&r.body);
    free(p);
    json_t *u = wait_update(s, "on-agent", "TASK_LOST", 3000);
    CHECK(u && jget(u, "update.status.uuid") && sdk_streq(jstr(u, "update.status.source"), "SOURCE_AGENT"));
    ack(s, u);
    CHECK(wait_event(s, "FAILURE", NULL, NULL, 3000) != NULL);
    drain_events(s);
    CHECK_MSG(wait_event(s, "OFFERS", pred_offer_agent, aid, 500) == NULL, "offer from a stopped agent");
    p = sdk_asprintf_new("/localcluster/agents/%s/start", aid);
    http(&r, "POST", p, "", 0, NULL, NULL, NULL);
    CHECK_INT(r.status, 200);
    sdk_buf_free(&r.body);
    free(p);
    CHECK(get_offer(s, aid, oid, aid, 3000) != NULL);
    CHECK_INT(launch_simple(s, oid, aid, "drained", "sleep 30", NULL), 202);
    CHECK(ack_until(s, "drained", "TASK_RUNNING", 5000) != NULL);
    p = sdk_asprintf_new("/localcluster/agents/%s/drain?max_grace_period_seconds=0.2", aid);
    http(&r, "POST", p, "", 0, NULL, NULL, NULL);
    CHECK_INT(r.status, 200);
    sdk_buf_free(&r.body);
    free(p);
    u = ack_until(s, "drained", "TASK_KILLED", 5000);
    CHECK(u && sdk_streq(jstr(u, "update.status.reason"), "REASON_AGENT_DRAINING"));
    p = sdk_asprintf_new("/localcluster/agents/%s/start", aid);
    http(&r, "POST", p, "", 0, NULL, NULL, NULL);
    sdk_buf_free(&r.body);
    free(p);
    teardown(s);
}

static void test_bad_flags_and_state(void) {
    char *err = NULL;
    char *args = sdk_asprintf_new("--workdir '%s-bad' --port 0 --agent-resources 'cpus:lots;mem:1'", g_workdir);
    CHECK_INT(run_lc(args, &err), 1);
    CHECK_CONTAINS(err, "resource 'cpus': bad value");
    free(err);
    free(args);
    CHECK_INT(run_lc("--port 0", &err), 2);
    CHECK_CONTAINS(err, "--workdir is required");
    free(err);
    args = sdk_asprintf_new("--workdir '%s-bad' --agents 0", g_workdir);
    CHECK_INT(run_lc(args, &err), 2);
    CHECK_CONTAINS(err, "--agents 0");
    free(err);
    free(args);
    /* a corrupt state file is reported and left alone */
    char *dir = sdk_asprintf_new("%s-bad", g_workdir), *st = sdk_asprintf_new("%s/state.json", dir);
    mkdir(dir, 0755);
    FILE *f = fopen(st, "w");
    fputs("{\"agents\": 3", f);
    fclose(f);
    args = sdk_asprintf_new("--workdir '%s' --port 0", dir);
    CHECK_INT(run_lc(args, &err), 1);
    CHECK_CONTAINS(err, "state.json: not a local cluster state file");
    free(err);
    size_t len;
    CHECK_INT(sdk_read_file_new(st, &err, &len), 0);
    CHECK_STR(err, "{\"agents\": 3");
    free(err);
    free(args);
    free(st);
    char *rm = sdk_asprintf_new("rm -rf '%s'", dir);
    CHECK_INT(system(rm), 0);
    free(rm);
    free(dir);
}

static void test_fault_injection(void) {
    stream *s = subscribe("faults", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    CHECK_INT(launch_simple(s, oid, aid, "victim", "sleep 30", NULL), 202);
    CHECK(ack_until(s, "victim", "TASK_RUNNING", 5000) != NULL);
    /* kill the task's process from outside: the executor reports TASK_FAILED */
    resp r;
    http(&r, "POST", "/localcluster/tasks/victim/signal?signal=KILL", "", 0, NULL, NULL, NULL);
    CHECK_INT(r.status, 200);
    sdk_buf_free(&r.body);
    json_t *u = wait_update(s, "victim", "TASK_FAILED", 5000);
    CHECK(u && strstr(jstr(u, "update.status.message"), "signal"));
    ack(s, u);
    CHECK(wait_event(s, "FAILURE", NULL, NULL, 3000) != NULL);
    /* marking the agent gone: RESCIND of its offers; it comes back with a new id */
    drain_events(s);
    char *p = sdk_asprintf_new("/localcluster/agents/%s/gone", aid);
    http(&r, "POST", p, "", 0, NULL, NULL, NULL);
    CHECK_INT(r.status, 200);
    sdk_buf_free(&r.body);
    free(p);
    CHECK(wait_event(s, "FAILURE", NULL, NULL, 3000) != NULL);
    json_t *st = state_get();
    int idx = -1;
    size_t i;
    json_t *a;
    json_array_foreach(jget(st, "agents"), i, a) if (sdk_streq(jstr(a, "id"), aid)) idx = (int)i;
    json_decref(st);
    CHECK(idx >= 0);
    p = sdk_asprintf_new("/localcluster/agents/%d/start", idx);
    http(&r, "POST", p, "", 0, NULL, NULL, NULL);
    CHECK_INT(r.status, 200);
    json_t *j = json_loads(rbody(&r), 0, NULL);
    CHECK(j && jstr(j, "agent_id") && strcmp(jstr(j, "agent_id"), aid) != 0);
    json_decref(j);
    sdk_buf_free(&r.body);
    free(p);
    http(&r, "POST", "/localcluster/agents/99/stop", "", 0, NULL, NULL, NULL);
    CHECK_INT(r.status, 404);
    sdk_buf_free(&r.body);
    teardown(s);
}

static void test_simulated_rate(void) {
    cluster_stop();
    char *wd = sdk_asprintf_new("%s-sim", g_workdir);
    char saved[256];
    snprintf(saved, sizeof saved, "%s", g_workdir);
    snprintf(g_workdir, sizeof g_workdir, "%s", wd);
    free(wd);
    CHECK(cluster_start("--simulate-tasks --status-retry-seconds 0.3", "cpus:1000;mem:1000000;disk:1000000"));
    stream *s = subscribe("sim", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    /* 300 tasks in one ACCEPT: 300 groups of one */
    sdk_buf ops;
    sdk_buf_init(&ops);
    int n = 300;
    for (int i = 0; i < n; i++) {
        char *ex = executor_json(s->fw_id, "sim-ex");
        sdk_buf_printf(&ops, "%s{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":%s,\"task_group\":{\"tasks\":[{\"name\":\"s\","
                             "\"task_id\":{\"value\":\"sim-%d\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":[" UNRES("cpus", 0.1) "],"
                             "\"command\":{\"value\":\"true\"}}]}}}", i ? "," : "", ex, i, aid);
        free(ex);
    }
    uint64_t t0 = now_ms();
    CHECK_INT(scall(s, "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],"
                       "\"operations\":[%s],\"filters\":{\"refuse_seconds\":0}}}", s->fw_id, oid, ops.data), 202);
    sdk_buf_free(&ops);
    int running = 0;
    for (int i = 0; i < n; i++) {
        char task[32];
        snprintf(task, sizeof task, "sim-%d", i);
        running += ack_until(s, task, "TASK_RUNNING", 5000) != NULL;
    }
    CHECK_INT(running, n);
    uint64_t took = now_ms() - t0;
    fprintf(stderr, "  simulated: %d launches (STARTING+RUNNING, each ACKed over HTTP) in %llu ms\n", n, (unsigned long long)took);
    CHECK_INT(scall(s, "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},\"kill\":{\"task_id\":{\"value\":\"sim-7\"}}}", s->fw_id), 202);
    CHECK(wait_update(s, "sim-7", "TASK_KILLED", 3000) != NULL);
    /* an unacknowledged update is retried with the same uuid, and re-sent at once to a new stream */
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    CHECK_INT(launch_simple(s, oid, aid, "unacked", "true", NULL), 202);
    json_t *first = wait_update(s, "unacked", "TASK_STARTING", 3000);
    json_t *again = wait_update(s, "unacked", "TASK_STARTING", 2000);
    CHECK(first && again && sdk_streq(jstr(first, "update.status.uuid"), jstr(again, "update.status.uuid")));
    CHECK_MSG(wait_update(s, "unacked", "TASK_RUNNING", 500) == NULL, "RUNNING sent before STARTING was acknowledged");
    char *body = sdk_asprintf_new("{\"type\":\"SUBSCRIBE\",\"framework_id\":{\"value\":\"%s\"},\"subscribe\":{\"framework_info\":{"
                                  "\"id\":{\"value\":\"%s\"},\"user\":\"root\",\"name\":\"sim\",\"principal\":\"p-sim\",\"roles\":[\"r\"],"
                                  "\"capabilities\":[{\"type\":\"MULTI_ROLE\"},{\"type\":\"RESERVATION_REFINEMENT\"}]}}}", s->fw_id, s->fw_id);
    stream *s2 = stream_open(body, true);
    free(body);
    CHECK(wait_event(s2, "SUBSCRIBED", NULL, NULL, 3000) != NULL);
    json_t *resent = wait_update(s2, "unacked", "TASK_STARTING", 250);
    CHECK_MSG(resent != NULL, "pending update not re-sent on re-subscription");
    snprintf(s2->fw_id, sizeof s2->fw_id, "%s", s->fw_id);
    CHECK(ack_until(s2, "unacked", "TASK_RUNNING", 3000) != NULL);
    stream_close(s);
    s = s2;
    teardown(s);
    cluster_stop();
    snprintf(g_workdir, sizeof g_workdir, "%s", saved);
}

/* Runs last: a restarted cluster re-offers the reservations and volume of test_volume_lifecycle,
 * on the same agent id, to a framework re-subscribing with an id the new master never issued. */
static void test_restart_keeps_reservations(void) {
    cluster_stop();
    CHECK(cluster_start(NULL, NULL));
    char *body = sdk_asprintf_new("{\"type\":\"SUBSCRIBE\",\"framework_id\":{\"value\":\"old-framework-id\"},\"subscribe\":{\"framework_info\":{"
                                  "\"id\":{\"value\":\"old-framework-id\"},\"user\":\"root\",\"name\":\"vol\",\"principal\":\"p-vol\",\"roles\":[\"r\"],"
                                  "\"capabilities\":[{\"type\":\"MULTI_ROLE\"},{\"type\":\"RESERVATION_REFINEMENT\"}]}}}");
    stream *s = stream_open(body, true);
    free(body);
    json_t *sub = wait_event(s, "SUBSCRIBED", NULL, NULL, 3000);
    CHECK(sub && sdk_streq(jstr(sub, "subscribed.framework_id.value"), "old-framework-id"));
    snprintf(s->fw_id, sizeof s->fw_id, "old-framework-id");
    bool seen = false;
    uint64_t deadline = now_ms() + 3000;
    while (!seen && now_ms() < deadline) {
        json_t *ev = wait_event(s, "OFFERS", NULL, NULL, 1000);
        size_t i, k;
        json_t *o, *r;
        json_array_foreach(jget(ev, "offers.offers"), i, o) json_array_foreach(jget(o, "resources"), k, r) {
            if (sdk_streq(jstr(r, "disk.persistence.id"), "pv1") &&
                sdk_streq(jstr(r, "reservations.0.labels.labels.0.value"), "rid-disk"))
                seen = true;
        }
    }
    CHECK_MSG(seen, "volume pv1 not offered after a restart");
    teardown(s);
}

/* True if an offer of ev carries the volume `pv` with the resource_id label `rid`. */
static bool offers_volume(json_t *ev, const char *pv, const char *rid) {
    size_t i, k;
    json_t *o, *r;
    json_array_foreach(jget(ev, "offers.offers"), i, o) json_array_foreach(jget(o, "resources"), k, r) {
        if (sdk_streq(jstr(r, "disk.persistence.id"), pv) && sdk_streq(jstr(r, "reservations.0.labels.labels.0.value"), rid))
            return true;
    }
    return false;
}

/* Changes are written once per loop iteration, but nothing that follows one (here the offer
 * showing a new volume) leaves before it is on disk: a crash (SIGKILL, no clean shutdown)
 * right after that offer loses nothing, and the restarted cluster offers the volume again. */
static void test_crash_keeps_reservations(void) {
    stream *s = subscribe("crash", "r", NULL, true);
    char oid[128], aid[128];
    CHECK(get_offer(s, NULL, oid, aid, 3000) != NULL);
    char *disk = reserved("disk", 10, "r", "p-crash", "rid-crash");
    char *vol = sdk_asprintf_new("{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":10},\"allocation_info\":{\"role\":\"r\"},"
                                 "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p-crash\",\"labels\":{\"labels\":"
                                 "[{\"key\":\"resource_id\",\"value\":\"rid-crash\"}]}}],\"disk\":{\"persistence\":{\"id\":\"pv-crash\","
                                 "\"principal\":\"p-crash\"},\"volume\":{\"container_path\":\"data\",\"mode\":\"RW\"}}}");
    CHECK_INT(scall(s,
                    "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":[{\"value\":\"%s\"}],\"operations\":["
                    "{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[%s]}},{\"type\":\"CREATE\",\"create\":{\"volumes\":[%s]}}],"
                    "\"filters\":{\"refuse_seconds\":0}}}",
                    s->fw_id, oid, disk, vol), 202);
    bool seen = false;
    uint64_t deadline = now_ms() + 4000;
    while (!seen && now_ms() < deadline) {
        json_t *ev = wait_event(s, "OFFERS", pred_offer_agent, aid, 1000);
        if (ev) seen = offers_volume(ev, "pv-crash", "rid-crash");
    }
    CHECK_MSG(seen, "volume pv-crash not offered after CREATE");
    /* the change went to the journal (the snapshot is rewritten only now and then) */
    char *logp = sdk_asprintf_new("%s/state.log", g_workdir), *text = NULL;
    size_t len = 0;
    CHECK_INT(sdk_read_file_new(logp, &text, &len), 0);
    CHECK_MSG(text && strstr(text, "pv-crash"), "state.log does not hold the new volume");
    free(text);
    free(logp);
    kill(g_pid, SIGKILL);
    waitpid(g_pid, NULL, 0);
    g_pid = 0;
    stream_close(s);
    CHECK(cluster_start(NULL, NULL));
    stream *s2 = subscribe("crash-after", "r", NULL, true);
    bool again = false;
    deadline = now_ms() + 4000;
    while (!again && now_ms() < deadline) {
        json_t *ev = wait_event(s2, "OFFERS", NULL, NULL, 1000);
        if (ev) again = offers_volume(ev, "pv-crash", "rid-crash");
    }
    CHECK_MSG(again, "volume pv-crash lost by a crash after it was offered");
    free(disk);
    free(vol);
    teardown(s2);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(g_workdir, sizeof g_workdir, "/tmp/test_localcluster.%d", (int)getpid());
    if (!cluster_start(NULL, NULL)) {
        CHECK_MSG(false, "cannot start localcluster (build it with `make bin/localcluster`)");
        return check_summary("test_localcluster");
    }
    RUN(test_http_errors);
    RUN(test_subscribe_json);
    RUN(test_subscribe_protobuf);
    RUN(test_volume_lifecycle);
    RUN(test_decline_suppress_revive);
    RUN(test_kill_with_grace);
    RUN(test_health_check_kills);
    RUN(test_check_status_reported);
    RUN(test_invalid_operations);
    RUN(test_bad_flags_and_state);
    RUN(test_one_record_per_chunk);
    RUN(test_stream_loss_and_removal);
    RUN(test_legacy_format_static_reservation);
    RUN(test_group_policy);
    RUN(test_destroy_unreserve);
    RUN(test_agent_stop_start_drain);
    RUN(test_fault_injection);
    RUN(test_restart_keeps_reservations);
    RUN(test_crash_keeps_reservations);
    RUN(test_simulated_rate);
    cluster_stop();
    char *cmd = sdk_asprintf_new("rm -rf '%s' '%s-sim'", g_workdir, g_workdir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", g_workdir);
    free(cmd);
    curl_global_cleanup();
    return check_summary("test_localcluster");
}
