/* The fifteen dcos-commons hello-world specs (shared/examples/dcos-commons) render STRICT with
 * their .env files and parse into the expected model. */
#include "core/spec/envfile.h"
#include "core/spec/mustache.h"
#include "core/spec/spec.h"
#include "core/util/str.h"
#include "tests/unit/check.h"

/* Renders <name>.yml with <name>.env strictly and parses it; NULL (errors printed) on failure. */
static sdk_spec *load(const char *name) {
    char *yml_path = sdk_asprintf_new("%s/examples/dcos-commons/%s.yml", check_shared_dir(), name);
    char *env_path = sdk_asprintf_new("%s/examples/dcos-commons/%s.env", check_shared_dir(), name);
    char *dir = sdk_asprintf_new("%s/examples/dcos-commons", check_shared_dir());
    char *tmpl = NULL, *rendered = NULL;
    size_t len = 0, n_env = 0;
    sdk_kv *env = NULL;
    sdk_spec *s = NULL;
    sdk_errors errs;
    sdk_errors_init(&errs);
    int rc = sdk_read_file_new(yml_path, &tmpl, &len);
    CHECK_MSG(rc == 0, "cannot read %s", yml_path);
    if (rc == 0) rc = sdk_envfile_read_new(env_path, &env, &n_env, &errs);
    if (rc == 0) rc = sdk_mustache_render_new(tmpl, env, n_env, true, &rendered, &errs);
    if (rc == 0) {
        char *file = sdk_asprintf_new("%s.yml", name);
        rc = sdk_spec_parse(rendered, strlen(rendered), file, dir, &s, &errs);
        free(file);
    }
    CHECK_MSG(rc == 0 && s, "%s failed", name);
    if (sdk_errors_any(&errs)) sdk_errors_print(&errs, name);
    sdk_errors_free(&errs);
    sdk_envfile_free(env, n_env);
    free(tmpl); free(rendered); free(yml_path); free(env_path); free(dir);
    return s;
}

static const char *const NAMES[] = { "svc", "simple", "sidecar", "pre-reserved",
    "pre-reserved-sidecar", "finish_state", "multiport", "marathon_constraint", "update_plan",
    "taskcfg", "pod-mount-volume", "executor_volume", "nonessential_tasks", "pause", "web-url" };

static void test_all_parse(void) {
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++) {
        sdk_spec *s = load(NAMES[i]);
        CHECK_MSG(s != NULL, "%s", NAMES[i]);
        if (!s) continue;
        CHECK_STR(s->name, "hello-world");
        CHECK_STR(s->principal, "hello-world-principal");
        CHECK_STR(s->user, "root");
        CHECK_STR(s->zookeeper, "master.mesos:2181");
        CHECK(s->n_pods >= 1);
        /* every task points at a resource set of its pod */
        for (size_t p = 0; p < s->n_pods; p++)
            for (size_t t = 0; t < s->pods[p].n_tasks; t++)
                CHECK_MSG(sdk_pod_resource_set(&s->pods[p], s->pods[p].tasks[t].resource_set) != NULL,
                          "%s: %s.%s", NAMES[i], s->pods[p].type, s->pods[p].tasks[t].name);
        sdk_spec_free(s);
    }
}

static void test_svc(void) {
    sdk_spec *s = load("svc");
    if (!s) return;
    CHECK_INT(s->n_pods, 2);
    CHECK_INT(s->n_plans, 0);
    const sdk_pod_spec *hello = sdk_spec_pod(s, "hello"), *world = sdk_spec_pod(s, "world");
    CHECK(hello && world);
    if (!hello || !world) { sdk_spec_free(s); return; }
    CHECK_STR(s->pods[0].type, "hello"); /* YAML order */
    CHECK_INT(hello->count, 1);
    CHECK(!hello->allow_decommission);
    CHECK_STR(hello->placement, "[]");
    CHECK_STR(hello->pre_reserved_role, "*");
    CHECK_INT(hello->n_rlimits, 1);
    CHECK_STR(hello->rlimits[0].name, "RLIMIT_NOFILE");
    CHECK(!hello->rlimits[0].unlimited);
    CHECK_INT(hello->rlimits[0].soft, 4096);
    CHECK_INT(hello->rlimits[0].hard, 4096);
    const sdk_task_spec *t = sdk_pod_task(hello, "server");
    CHECK(t != NULL);
    if (t) {
        CHECK_INT(t->goal, SDK_GOAL_RUNNING);
        CHECK(t->essential);
        CHECK_STR(t->resource_set, "server-resource-set");
        CHECK_INT(t->n_env, 1);
        CHECK_STR(t->env[0].key, "SLEEP_DURATION");
        CHECK_STR(t->env[0].value, "1000");
        CHECK(t->health_check.present);
        CHECK_STR(t->health_check.cmd, "stat hello-container-path/output");
        CHECK_INT(t->health_check.interval_s, 5);
        CHECK_INT(t->health_check.grace_period_s, 30);
        CHECK_INT(t->health_check.timeout_s, 10);
        CHECK_INT(t->health_check.max_consecutive_failures, 3);
        CHECK(!t->readiness_check.present);
        CHECK_INT(t->n_labels, 1);
        CHECK_STR(t->labels[0].key, "label1");
        CHECK_STR(t->labels[0].value, "label-value1");
        CHECK_CONTAINS(t->cmd, "sleep $SLEEP_DURATION");
    }
    const sdk_resource_set *rs = sdk_pod_resource_set(hello, "server-resource-set");
    CHECK(rs && rs->implicit);
    if (rs) {
        CHECK(rs->cpus == 0.1);
        CHECK(rs->memory_mb == 32);
        CHECK_INT(rs->n_volumes, 1);
        CHECK_STR(rs->volumes[0].path, "hello-container-path");
        CHECK_INT(rs->volumes[0].type, SDK_VOLUME_ROOT);
        CHECK_INT(rs->volumes[0].size_mb, 64);
    }
    CHECK_INT(world->count, 2);
    CHECK(world->allow_decommission);
    const sdk_task_spec *w = sdk_pod_task(world, "server");
    if (w) {
        CHECK_INT(w->kill_grace_period_s, 5);
        CHECK(w->readiness_check.present);
        CHECK_CONTAINS(w->readiness_check.cmd, "awk '{print $1;}'");
        CHECK_INT(w->readiness_check.interval_s, 5);
        CHECK_INT(w->readiness_check.timeout_s, 10);
        CHECK_CONTAINS(w->cmd, "trap terminated SIGTERM\n");
        const sdk_resource_set *wrs = sdk_pod_resource_set(world, w->resource_set);
        CHECK(wrs && wrs->n_volumes == 2);
        if (wrs && wrs->n_volumes == 2) {
            CHECK_STR(wrs->volumes[0].path, "world-container-path1");
            CHECK_STR(wrs->volumes[1].path, "world-container-path2");
        }
    }
    char *role = sdk_pod_role_new(s, hello);
    CHECK_STR(role, "hello-world-role");
    free(role);
    sdk_spec_free(s);
}

static void test_sidecar(void) {
    sdk_spec *s = load("sidecar");
    if (!s) return;
    const sdk_pod_spec *p = sdk_spec_pod(s, "hello");
    CHECK(p != NULL);
    if (!p) { sdk_spec_free(s); return; }
    CHECK_INT(p->count, 2);
    CHECK_INT(p->n_volumes, 1);
    CHECK_STR(p->volumes[0].path, "hello-container-path");
    CHECK_INT(p->volumes[0].size_mb, 1024);
    CHECK_INT(p->n_resource_sets, 2); /* all tasks use declared sets: no implicit ones */
    CHECK_STR(p->resource_sets[0].id, "hello-resources");
    CHECK_STR(p->resource_sets[1].id, "sidecar-resources");
    CHECK(p->resource_sets[1].cpus == 1);
    CHECK_INT(p->n_tasks, 5);
    CHECK_INT(sdk_pod_task(p, "once")->goal, SDK_GOAL_ONCE);
    CHECK_STR(sdk_pod_task(p, "sidecar-toxic")->resource_set, "sidecar-resources");
    CHECK_CONTAINS(sdk_pod_task(p, "sidecar-toxic")->cmd, "toxic-output ;\nexit 1");
    CHECK_STR(sdk_pod_task(p, "server")->env[0].value, "10000");
    CHECK_STR(sdk_pod_task(p, "server")->env[1].key, "CONFIG_SLEEP_DURATION");
    CHECK_INT(s->n_plans, 4);
    const sdk_plan_spec *d = sdk_spec_plan(s, "deploy");
    CHECK(d && d->n_phases == 2);
    if (d && d->n_phases == 2) {
        CHECK_INT(d->strategy, SDK_STRATEGY_SERIAL);
        CHECK_STR(d->phases[0].name, "server-deploy");
        CHECK_INT(d->phases[0].strategy, SDK_STRATEGY_PARALLEL);
        CHECK(d->phases[0].has_steps);
        CHECK_INT(d->phases[0].n_entries, 1);
        CHECK_INT(d->phases[0].entries[0].index, -1);
        CHECK_INT(d->phases[0].entries[0].n_steps, 1);
        CHECK_STR(d->phases[0].entries[0].steps[0][0], "server");
        CHECK(d->phases[0].entries[0].steps[0][1] == NULL);
        CHECK_STR(d->phases[1].entries[0].steps[0][0], "once");
    }
    CHECK(sdk_spec_plan(s, "sidecar-parameterized") != NULL);
    CHECK(sdk_spec_plan(s, "sidecar-toxic") != NULL);
    sdk_spec_free(s);
}

static void test_pre_reserved(void) {
    sdk_spec *s = load("pre-reserved");
    if (!s) return;
    const sdk_pod_spec *h = sdk_spec_pod(s, "hello");
    CHECK_STR(h->pre_reserved_role, "slave_public");
    char *role = sdk_pod_role_new(s, h);
    CHECK_STR(role, "slave_public/hello-world-role");
    free(role);
    CHECK_INT(h->n_volumes, 1);
    CHECK_STR(h->volumes[0].path, "pod-container-path");
    const sdk_task_spec *t = sdk_pod_task(h, "server");
    CHECK(t->health_check.present && !t->readiness_check.present);
    const sdk_task_spec *w = sdk_pod_task(sdk_spec_pod(s, "world"), "server");
    CHECK(w->readiness_check.present && !w->health_check.present);
    CHECK_STR(w->cmd, "echo world1 >> world-container-path1/output && echo world2 >> "
                      "world-container-path2/output && sleep $SLEEP_DURATION\n");
    sdk_spec_free(s);

    s = load("pre-reserved-sidecar");
    if (!s) return;
    h = sdk_spec_pod(s, "hello");
    CHECK_STR(h->pre_reserved_role, "slave_public");
    CHECK_INT(h->n_resource_sets, 2);
    CHECK_STR(h->resource_sets[1].id, "sidecar-resource-set");
    CHECK(h->resource_sets[1].memory_mb == 256);
    const sdk_plan_spec *d = sdk_spec_plan(s, "deploy");
    CHECK(d && d->n_phases == 1 && d->strategy == SDK_STRATEGY_SERIAL);
    if (d && d->n_phases == 1) {
        const sdk_step_entry *e = &d->phases[0].entries[0];
        CHECK_INT(e->index, -1);
        CHECK_INT(e->n_steps, 2);
        CHECK_STR(e->steps[0][0], "server");
        CHECK_STR(e->steps[1][0], "sidecar");
    }
    sdk_spec_free(s);
}

static void test_multiport(void) {
    sdk_spec *s = load("multiport");
    if (!s) return;
    const sdk_pod_spec *p = sdk_spec_pod(s, "multiport");
    CHECK_INT(p->n_uris, 1);
    CHECK_STR(p->uris[0], "http://localhost:8000/bootstrap.zip");
    const sdk_resource_set *rs = sdk_pod_resource_set(p, "multi-port-resources");
    CHECK(rs && rs->n_ports == 2);
    if (rs && rs->n_ports == 2) {
        CHECK_STR(rs->ports[0].name, "port_one");
        CHECK_INT(rs->ports[0].port, 1729);
        CHECK(rs->ports[0].env_key == NULL);
        CHECK_STR(rs->ports[1].name, "port_two");
        CHECK_INT(rs->ports[1].port, 0);
        CHECK_STR(rs->ports[1].env_key, "HELLO_PORT_TWO");
        CHECK_INT(rs->ports[1].n_ranges, 2);
        CHECK_INT(rs->ports[1].ranges[0].begin, 1024);
        CHECK_INT(rs->ports[1].ranges[0].end, 5000);
        CHECK_INT(rs->ports[1].ranges[1].begin, 5050);
        CHECK_INT(rs->ports[1].ranges[1].end, 65535); /* `end:` left empty */
    }
    CHECK_INT(sdk_pod_task(p, "server")->goal, SDK_GOAL_ONCE);
    CHECK_CONTAINS(sdk_pod_task(p, "server")->cmd, "-l 1729 &");
    sdk_spec_free(s);
}

static void test_plans(void) {
    sdk_spec *s = load("update_plan");
    if (s) {
        CHECK_INT(s->n_plans, 2);
        CHECK_INT(sdk_spec_plan(s, "deploy")->strategy, SDK_STRATEGY_PARALLEL);
        CHECK_INT(sdk_spec_plan(s, "update")->strategy, SDK_STRATEGY_SERIAL);
        CHECK(!sdk_spec_plan(s, "deploy")->phases[0].has_steps);
        CHECK_INT(sdk_spec_pod(s, "hello")->count, 2);
        sdk_spec_free(s);
    }
    s = load("finish_state");
    if (s) {
        const sdk_plan_spec *d = sdk_spec_plan(s, "deploy");
        CHECK_INT(d->n_phases, 3);
        CHECK_STR(d->phases[2].name, "world-finish-deploy");
        CHECK_STR(d->phases[2].pod, "world");
        CHECK_STR(d->phases[2].entries[0].steps[0][0], "finish");
        CHECK_INT(sdk_pod_task(sdk_spec_pod(s, "world"), "finish")->goal, SDK_GOAL_FINISH);
        sdk_spec_free(s);
    }
    s = load("pause");
    if (s) {
        const sdk_plan_spec *d = sdk_spec_plan(s, "deploy");
        CHECK_INT(d->strategy, SDK_STRATEGY_PARALLEL);
        CHECK_INT(d->phases[0].strategy, SDK_STRATEGY_SERIAL);
        CHECK_INT(d->phases[0].entries[0].n_steps, 2);
        CHECK_STR(d->phases[0].entries[0].steps[1][0], "companion");
        sdk_spec_free(s);
    }
    s = load("marathon_constraint");
    if (s) {
        CHECK_STR(sdk_spec_pod(s, "hello")->placement, "hostname:MAX_PER:2");
        CHECK_INT(sdk_spec_plan(s, "deploy")->n_phases, 2);
        sdk_spec_free(s);
    }
}

static void test_volumes_and_misc(void) {
    sdk_spec *s = load("pod-mount-volume");
    if (s) {
        const sdk_pod_spec *p = &s->pods[0];
        CHECK_INT(p->volumes[0].type, SDK_VOLUME_MOUNT);
        CHECK(!sdk_pod_task(p, "node")->essential);
        CHECK(!sdk_pod_task(p, "agent")->essential);
        CHECK_INT(sdk_pod_resource_set(p, "node-resource-set")->volumes[0].type, SDK_VOLUME_MOUNT);
        CHECK_INT(sdk_pod_resource_set(p, "agent-resource-set")->volumes[0].type, SDK_VOLUME_ROOT);
        sdk_spec_free(s);
    }
    s = load("executor_volume");
    if (s) {
        CHECK_STR(sdk_spec_pod(s, "hello")->volumes[0].path, "hello-container-path");
        CHECK_STR(sdk_spec_pod(s, "world")->volumes[0].path, "world-container-path");
        CHECK_INT(sdk_spec_plan(s, "deploy")->n_phases, 3);
        sdk_spec_free(s);
    }
    s = load("web-url");
    if (s) {
        CHECK_CONTAINS(s->web_url, "8080");
        sdk_spec_free(s);
    }
    s = load("taskcfg");
    if (s) {
        CHECK_INT(sdk_pod_task(sdk_spec_pod(s, "hello"), "server")->n_env, 0);
        CHECK(sdk_pod_task(sdk_spec_pod(s, "hello"), "server")->readiness_check.present);
        sdk_spec_free(s);
    }
}

int main(void) {
    RUN(test_all_parse);
    RUN(test_svc);
    RUN(test_sidecar);
    RUN(test_pre_reserved);
    RUN(test_multiport);
    RUN(test_plans);
    RUN(test_volumes_and_misc);
    return check_summary("test_spec_examples");
}
