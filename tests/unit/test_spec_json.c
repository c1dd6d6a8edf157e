/* Spec JSON (stored configurations): exact round trip and clear errors naming the JSON path. */
#include "core/spec/envfile.h"
#include "core/spec/mustache.h"
#include "core/spec/spec.h"
#include "core/util/str.h"
#include "tests/unit/check.h"
#include <jansson.h>

static sdk_spec *load_example(const char *name) {
    char *yml = sdk_asprintf_new("%s/examples/dcos-commons/%s.yml", check_shared_dir(), name);
    char *envp = sdk_asprintf_new("%s/examples/dcos-commons/%s.env", check_shared_dir(), name);
    char *tmpl = NULL, *out = NULL;
    size_t len = 0, n = 0;
    sdk_kv *env = NULL;
    sdk_spec *s = NULL;
    sdk_errors errs;
    sdk_errors_init(&errs);
    if (sdk_read_file_new(yml, &tmpl, &len) == 0 && sdk_envfile_read_new(envp, &env, &n, &errs) == 0 &&
        sdk_mustache_render_new(tmpl, env, n, true, &out, &errs) == 0)
        sdk_spec_parse(out, strlen(out), name, NULL, &s, &errs);
    CHECK_MSG(s != NULL, "%s", name);
    sdk_errors_free(&errs);
    sdk_envfile_free(env, n);
    free(yml); free(envp); free(tmpl); free(out);
    return s;
}

static const char *FULL =
    "name: /folder/svc\nweb-url: http://x/\nscheduler:\n  user: nobody\n"
    "pods:\n  db:\n    count: 3\n    allow-decommission: true\n    image: alpine:3\n"
    "    placement: '[[\"hostname\", \"UNIQUE\"]]'\n    pre-reserved-role: slave_public\n"
    "    uris: [http://a/b.zip]\n"
    "    networks:\n      mesos-bridge:\n        host-ports: [8080]\n        container-ports: [80]\n        labels: a:b\n      dcos:\n"
    "    rlimits:\n      RLIMIT_CORE:\n      RLIMIT_NOFILE: {soft: 10, hard: 20}\n"
    "    volume: {path: pv, type: ROOT, size: 5}\n"
    "    host-volumes:\n      h: {host-path: /etc/ssl, container-path: ssl, mode: RO}\n"
    "    external-volumes:\n      e: {type: DOCKER, container-path: ext, driver-name: pxd, driver-options: 'size=10', volume-mode: RO}\n"
    "    secrets:\n      s1: {secret: path/to/s}\n      s2: {secret: x, env-key: X}\n"
    "    share-pid-namespace: true\n    seccomp-profile-name: prof\n    ipc-mode: PRIVATE\n    shm-size: 64\n"
    "    resource-sets:\n      data:\n        cpus: 1.5\n        gpus: 1\n        memory: 512\n        resource-limits: {cpus: unlimited, memory: 1024}\n"
    "        ports:\n          http: {port: 0, advertise: true, env-key: P, vip: {port: 80}, ranges: [{begin: 10, end: 20}]}\n"
    "        volumes:\n          d: {path: data, type: MOUNT, size: 100, profiles: [fast, slow]}\n"
    "    tasks:\n"
    "      init:\n        goal: once\n        cmd: x\n        resource-set: data\n"
    "      node:\n        goal: FINISH\n        cmd: \"y \\\"quoted\\\"\\n\"\n        cpus: 0.1\n        memory: 32\n        essential: false\n"
    "        env: {A: '1', B: }\n        labels: k:v,k2:v2\n"
    "        discovery: {prefix: dbnode, visibility: FRAMEWORK}\n"
    "        transport-encryption: []\n        ipc-mode: SHARE_PARENT\n        kill-grace-period: 30\n"
    "        health-check: {cmd: h, interval: 1, timeout: 2, delay: 3, grace-period: 4, max-consecutive-failures: 5}\n"
    "        readiness-check: {cmd: r, interval: 1, timeout: 2}\n"
    "plans:\n  deploy:\n    strategy: parallel\n    phases:\n      p1:\n        pod: db\n        strategy: parallel-canary\n"
    "        steps:\n          - 0: [[init], [node, init]]\n          - default: []\n"
    "      p2:\n        pod: db\n";

/* to_json -> from_json -> to_json is byte-identical and the specs are equal. */
static void check_round_trip(const sdk_spec *s, const char *what) {
    char *j1 = sdk_spec_to_json_new(s);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *back = NULL;
    CHECK_MSG(sdk_spec_from_json(j1, &back, &errs) == 0, "%s: %s", what, errs.n ? errs.msgs[0] : "");
    if (back) {
        char *j2 = sdk_spec_to_json_new(back);
        CHECK_MSG(strcmp(j1, j2) == 0, "%s:\n%s\n%s", what, j1, j2);
        CHECK_MSG(sdk_spec_equal(s, back), "%s", what);
        free(j2);
    }
    sdk_spec_free(back);
    sdk_errors_free(&errs);
    free(j1);
}

static void test_round_trip_examples(void) {
    static const char *names[] = { "svc", "simple", "sidecar", "pre-reserved", "pre-reserved-sidecar",
        "finish_state", "multiport", "marathon_constraint", "update_plan", "taskcfg",
        "pod-mount-volume", "executor_volume", "nonessential_tasks", "pause", "web-url" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        sdk_spec *s = load_example(names[i]);
        if (s) check_round_trip(s, names[i]);
        sdk_spec_free(s);
    }
}

static sdk_spec *parse_full(void) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *s = NULL;
    sdk_spec_parse(FULL, strlen(FULL), "full.yml", NULL, &s, &errs);
    CHECK_MSG(s != NULL, "%s", errs.n ? errs.msgs[0] : "");
    sdk_errors_free(&errs);
    return s;
}

static void test_round_trip_full(void) {
    sdk_spec *s = parse_full();
    if (!s) return;
    /* template content is only set when read from disk: set one to cover it */
    s->pods[0].tasks[1].configs = sdk_xcalloc(1, sizeof(sdk_config_spec));
    s->pods[0].tasks[1].n_configs = 1;
    s->pods[0].tasks[1].configs[0] = (sdk_config_spec){ sdk_xstrdup("c"), sdk_xstrdup("t.mustache"),
                                                        sdk_xstrdup("a={{A}}\n\"x\""), sdk_xstrdup("d") };
    check_round_trip(s, "full");
    sdk_spec *d = sdk_spec_dup(s);
    CHECK(sdk_spec_equal(s, d));
    check_round_trip(d, "dup");
    d->pods[0].resource_sets[0].ports[0].ranges[0].end = 21;
    CHECK(!sdk_spec_equal(s, d));
    sdk_spec_free(d);
    sdk_spec_free(s);
}

static void test_top_level_keys(void) {
    sdk_spec *s = load_example("svc");
    if (!s) return;
    char *j = sdk_spec_to_json_new(s);
    json_t *o = json_loads(j, 0, NULL);
    CHECK(o != NULL);
    CHECK_STR(json_string_value(json_object_get(o, "name")), "hello-world");
    CHECK_STR(json_string_value(json_object_get(o, "role")), "hello-world-role");
    CHECK_STR(json_string_value(json_object_get(o, "principal")), "hello-world-principal");
    CHECK(json_is_null(json_object_get(o, "web-url")));
    CHECK_STR(json_string_value(json_object_get(o, "zookeeper")), "master.mesos:2181");
    CHECK_STR(json_string_value(json_object_get(o, "user")), "root");
    json_t *pods = json_object_get(o, "pod-specs");
    CHECK_INT(json_array_size(pods), 2);
    json_t *hello = json_array_get(pods, 0);
    CHECK_STR(json_string_value(json_object_get(hello, "type")), "hello");
    CHECK_INT(json_integer_value(json_object_get(hello, "count")), 1);
    json_t *task = json_array_get(json_object_get(hello, "task-specs"), 0);
    CHECK_STR(json_string_value(json_object_get(task, "goal")), "RUNNING");
    CHECK(json_is_array(json_object_get(o, "plans")));
    json_decref(o);
    free(j);
    sdk_spec_free(s);
}

static void test_from_json_errors(void) {
    sdk_spec *s = parse_full();
    if (!s) return;
    char *j = sdk_spec_to_json_new(s);
    sdk_spec_free(s);
    json_t *o = json_loads(j, 0, NULL);
    free(j);
    json_t *task = json_array_get(json_object_get(json_array_get(json_object_get(o, "pod-specs"), 0), "task-specs"), 1);
    json_object_set_new(task, "goal", json_integer(3));
    json_object_set_new(task, "kill-grace-period", json_string("30"));
    json_object_del(json_array_get(json_object_get(o, "plans"), 0), "strategy");
    char *bad = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    sdk_errors errs;
    sdk_errors_init(&errs);
    s = (sdk_spec *)1;
    CHECK_INT(sdk_spec_from_json(bad, &s, &errs), SDK_EINVAL);
    CHECK(s == NULL);
    CHECK(sdk_errors_contains(&errs, "$.pod-specs[0].task-specs[1].goal: expected a string"));
    CHECK(sdk_errors_contains(&errs, "$.pod-specs[0].task-specs[1].kill-grace-period: expected an integer"));
    CHECK(sdk_errors_contains(&errs, "$.plans[0].strategy: missing (expected a string)"));
    CHECK_INT(errs.n, 3);
    sdk_errors_free(&errs);
    free(bad);

    sdk_errors_init(&errs);
    CHECK_INT(sdk_spec_from_json("{\"name\": \"a\", \"name\": \"b\"}", &s, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "duplicate object key"));
    sdk_errors_free(&errs);
    sdk_errors_init(&errs);
    CHECK_INT(sdk_spec_from_json("[1]", &s, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "$: expected an object"));
    sdk_errors_free(&errs);
    sdk_errors_init(&errs);
    CHECK_INT(sdk_spec_from_json("{", &s, &errs), SDK_EINVAL);
    CHECK(errs.n == 1);
    sdk_errors_free(&errs);
}

static void test_finished_reads_as_once(void) {
    sdk_spec *s = parse_full();
    if (!s) return;
    s->pods[0].tasks[1].goal = SDK_GOAL_FINISH;
    char *j = sdk_spec_to_json_new(s);
    char *p = strstr(j, "\"goal\":\"FINISH\"");
    CHECK(p != NULL);
    if (p) {
        char *old = sdk_asprintf_new("%.*s\"goal\":\"FINISHED\"%s", (int)(p - j), j, p + strlen("\"goal\":\"FINISH\""));
        sdk_spec *back = NULL;
        sdk_errors errs;
        sdk_errors_init(&errs);
        CHECK_INT(sdk_spec_from_json(old, &back, &errs), 0);
        if (back) CHECK_INT(back->pods[0].tasks[1].goal, SDK_GOAL_ONCE);
        sdk_spec_free(back);
        sdk_errors_free(&errs);
        free(old);
    }
    free(j);
    sdk_spec_free(s);
}

int main(void) {
    RUN(test_round_trip_examples);
    RUN(test_round_trip_full);
    RUN(test_top_level_keys);
    RUN(test_from_json_errors);
    RUN(test_finished_reads_as_once);
    return check_summary("test_spec_json");
}
