/* Config-update validators (sdk-behaviour.md §5.3) and pod equivalence (§5.2). */
#include "core/spec/spec.h"
#include "core/util/str.h"
#include "tests/unit/check.h"

static const char *BASE =
    "name: svc\n"
    "pods:\n"
    "  hello:\n    count: 2\n    tasks:\n      server:\n        goal: RUNNING\n        cmd: run\n"
    "        cpus: 1\n        memory: 256\n"
    "        volume: {path: data, type: ROOT, size: 100}\n"
    "        ports:\n          http: {port: 0, env-key: PORT_HTTP}\n"
    "  world:\n    count: 1\n    allow-decommission: true\n    tasks:\n      server:\n        goal: RUNNING\n        cmd: run\n        cpus: 1\n";

static sdk_spec *parse(const char *y) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *s = NULL;
    sdk_spec_parse(y, strlen(y), "svc.yml", NULL, &s, &errs);
    CHECK_MSG(s != NULL, "%s", errs.n ? errs.msgs[0] : "");
    sdk_errors_free(&errs);
    return s;
}
static sdk_spec *base(void) { return parse(BASE); }

/* Runs the validators; returns the errors joined by '\n'. */
static char *validate(const sdk_spec *old, const sdk_spec *cand, bool deployed, bool *fatal) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec_validate_update(old, cand, deployed, &errs, fatal);
    sdk_buf b;
    sdk_buf_init(&b);
    for (size_t i = 0; i < errs.n; i++) sdk_buf_printf(&b, "%s\n", errs.msgs[i]);
    sdk_errors_free(&errs);
    return sdk_buf_take(&b);
}

static void test_unchanged_ok(void) {
    sdk_spec *a = base(), *b = base();
    bool fatal = true;
    char *e = validate(a, b, true, &fatal);
    CHECK_STR(e, "");
    CHECK(!fatal);
    free(e);
    e = validate(NULL, b, false, &fatal);
    CHECK_STR(e, "");
    free(e);
    sdk_spec_free(a);
    sdk_spec_free(b);
}

static void test_name_rules(void) {
    sdk_spec *s = base();
    bool fatal;
    free(s->name);
    s->name = sdk_xstrdup("a__b");
    char *e = validate(NULL, s, false, &fatal);
    CHECK_STR(e, "Field: 'service.name'; Value: 'a__b'; Message: 'Service name may not contain double "
                 "underscores'; Fatal: false\n");
    CHECK(!fatal);
    free(e);
    free(s->name);
    s->name = sdk_xstrdup("/folder/a-very-long-service-name-that-does-not-fit-into-a-dns-label-at-all");
    e = validate(NULL, s, false, &fatal);
    CHECK_CONTAINS(e, "Field: 'service.name'; Value: '/folder/a-very-long");
    CHECK_CONTAINS(e, "must be at most 63");
    free(e);
    /* on update the length is no longer checked */
    sdk_spec *old = sdk_spec_dup(s);
    e = validate(old, s, true, &fatal);
    CHECK_STR(e, "");
    free(e);
    sdk_spec_free(old);
    sdk_spec_free(s);
}

static void test_pods_cannot_shrink(void) {
    sdk_spec *old = base(), *c = base();
    bool fatal;
    c->pods[0].count = 1;
    char *e = validate(old, c, true, &fatal);
    CHECK_STR(e, "Field: 'hello.count'; Transition: '2' => '1'; Message: 'Pod count of 'hello' cannot "
                 "decrease without allow-decommission: true'; Fatal: false\n");
    CHECK(!fatal);
    free(e);
    c->pods[0].allow_decommission = true; /* the NEW spec allows it */
    e = validate(old, c, true, &fatal);
    CHECK_STR(e, "");
    free(e);
    sdk_spec_free(c);

    /* removing a pod type: only when the OLD pod allowed decommission */
    c = parse("name: svc\npods:\n  world:\n    count: 1\n    tasks:\n      server:\n        goal: RUNNING\n        cmd: run\n        cpus: 1\n");
    e = validate(old, c, true, &fatal);
    CHECK_CONTAINS(e, "Field: 'hello'; Transition: 'hello' => ''; Message: 'Pod type 'hello' cannot be removed");
    free(e);
    sdk_spec_free(c);
    c = base();
    sdk_spec_free(c);
    c = parse("name: svc\npods:\n  hello:\n    count: 2\n    tasks:\n      server:\n        goal: RUNNING\n        cmd: run\n"
              "        cpus: 1\n        memory: 256\n        volume: {path: data, type: ROOT, size: 100}\n"
              "        ports:\n          http: {port: 0, env-key: PORT_HTTP}\n");
    e = validate(old, c, true, &fatal);
    CHECK_STR(e, ""); /* world allowed decommission */
    free(e);
    sdk_spec_free(c);
    sdk_spec_free(old);
}

static void test_user_change_is_fatal(void) {
    sdk_spec *old = base(), *c = base();
    bool fatal = false;
    free(c->user);
    c->user = sdk_xstrdup("nobody");
    char *e = validate(old, c, true, &fatal);
    CHECK_STR(e, "Field: 'user'; Transition: 'root' => 'nobody'; Message: 'The service user cannot be "
                 "changed after installation'; Fatal: true\n");
    CHECK(fatal);
    free(e);
    sdk_spec_free(old);
    sdk_spec_free(c);
}

static void test_pre_reserved_role(void) {
    sdk_spec *old = base(), *c = base();
    bool fatal;
    free(c->pods[1].pre_reserved_role);
    c->pods[1].pre_reserved_role = sdk_xstrdup("slave_public");
    char *e = validate(old, c, true, &fatal);
    CHECK_STR(e, "Field: 'world.pre-reserved-role'; Transition: '*' => 'slave_public'; Message: 'The "
                 "pre-reserved role of a pod cannot change'; Fatal: false\n");
    CHECK(!fatal);
    free(e);
    sdk_spec_free(old);
    sdk_spec_free(c);
}

static void test_resource_limits(void) {
    sdk_spec *s = base();
    bool fatal;
    sdk_resource_set *rs = &s->pods[0].resource_sets[0];
    rs->cpus_limit = (sdk_limit){ true, false, 0.5 };
    rs->memory_limit = (sdk_limit){ true, true, 0 };
    char *e = validate(NULL, s, false, &fatal);
    CHECK_STR(e, "Field: 'hello.server.resource-limits.cpus'; Value: '0.5'; Message: 'cpus limit 0.5 is "
                 "less than the requested 1'; Fatal: false\n");
    free(e);
    rs->cpus_limit.value = 1;
    e = validate(NULL, s, false, &fatal);
    CHECK_STR(e, "");
    free(e);
    sdk_spec_free(s);
}

static void test_task_volumes(void) {
    sdk_spec *old = base(), *c = base();
    bool fatal;
    c->pods[0].resource_sets[0].volumes[0].size_mb = 200;
    char *e = validate(old, c, true, &fatal);
    CHECK_STR(e, "Field: 'hello-server.volumes'; Transition: '[data:ROOT:100]' => '[data:ROOT:200]'; "
                 "Message: 'Task volumes cannot change after installation'; Fatal: false\n");
    CHECK(!fatal);
    free(e);
    /* a role change (new name) before the first completed deploy is fatal ... */
    free(c->name);
    c->name = sdk_xstrdup("svc2");
    e = validate(old, c, false, &fatal);
    CHECK_CONTAINS(e, "Field: 'role'; Transition: 'svc-role' => 'svc2-role'; Message: 'The service role "
                      "cannot change before the deploy plan has completed'; Fatal: true");
    CHECK(fatal);
    CHECK(!strstr(e, "volumes"));
    free(e);
    /* ... and after it, the migration path skips the volume check */
    e = validate(old, c, true, &fatal);
    CHECK_STR(e, "");
    CHECK(!fatal);
    free(e);
    sdk_spec_free(old);
    sdk_spec_free(c);
}

static void test_network_regime(void) {
    sdk_spec *old = base();
    sdk_spec *c = parse("name: svc\npods:\n"
        "  hello:\n    count: 2\n    networks:\n      dcos:\n    tasks:\n      server:\n        goal: RUNNING\n        cmd: run\n"
        "        cpus: 1\n        memory: 256\n        volume: {path: data, type: ROOT, size: 100}\n"
        "        ports:\n          http: {port: 0, env-key: PORT_HTTP}\n"
        "  world:\n    count: 1\n    allow-decommission: true\n    networks:\n      mesos-bridge:\n    tasks:\n      server:\n        goal: RUNNING\n        cmd: run\n        cpus: 1\n");
    bool fatal;
    char *e = validate(old, c, true, &fatal);
    CHECK_STR(e, "Field: 'hello.networks'; Transition: 'host ports' => 'no host ports'; Message: 'A pod "
                 "cannot move between networks that use host ports and networks that do not'; Fatal: false\n");
    free(e);
    sdk_spec_free(old);
    sdk_spec_free(c);
}

static void test_equivalence(void) {
    sdk_spec *a = base(), *b = base();
    sdk_pod_spec *p = &b->pods[0];
    CHECK(sdk_pod_equivalent(&a->pods[0], p));
    /* ignored: count, placement, allow-decommission */
    p->count = 7;
    p->placement = sdk_xstrdup("hostname:UNIQUE");
    p->allow_decommission = true;
    CHECK(sdk_pod_equivalent(&a->pods[0], p));
    /* quirk: port metadata and resource limits alone do not restart */
    sdk_port_spec *pt = &p->resource_sets[0].ports[0];
    free(pt->env_key);
    pt->env_key = sdk_xstrdup("OTHER");
    pt->advertise = true;
    pt->vip_prefix = sdk_xstrdup("web");
    pt->vip_port = 80;
    p->resource_sets[0].cpus_limit = (sdk_limit){ true, true, 0 };
    CHECK(sdk_pod_equivalent(&a->pods[0], p));
    /* the port number does */
    pt->port = 8080;
    CHECK(!sdk_pod_equivalent(&a->pods[0], p));
    pt->port = 0;
    CHECK(sdk_pod_equivalent(&a->pods[0], p));
    /* everything else does: cmd, env, cpus, checks, uris */
    free(p->tasks[0].cmd);
    p->tasks[0].cmd = sdk_xstrdup("run2");
    CHECK(!sdk_pod_equivalent(&a->pods[0], p));
    sdk_spec_free(b);
    b = base();
    b->pods[0].resource_sets[0].cpus = 2;
    CHECK(!sdk_pod_equivalent(&a->pods[0], &b->pods[0]));
    sdk_spec_free(b);
    b = base();
    b->pods[0].tasks[0].readiness_check.present = true;
    CHECK(!sdk_pod_equivalent(&a->pods[0], &b->pods[0]));
    CHECK(!sdk_pod_equivalent(&a->pods[0], &a->pods[1]));
    sdk_spec_free(a);
    sdk_spec_free(b);
}

int main(void) {
    RUN(test_unchanged_ok);
    RUN(test_name_rules);
    RUN(test_pods_cannot_shrink);
    RUN(test_user_change_is_fatal);
    RUN(test_pre_reserved_role);
    RUN(test_resource_limits);
    RUN(test_task_volumes);
    RUN(test_network_regime);
    RUN(test_equivalence);
    return check_summary("test_spec_validate");
}
