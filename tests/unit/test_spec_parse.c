/* svc.yml parsing: bad input gives one clear message per problem naming file:line:column and
 * the key path, and no spec; good input fills the model (defaults, implicit resource sets). */
#include "core/spec/spec.h"
#include "core/util/str.h"
#include "tests/unit/check.h"
#include <unistd.h>

/* Parses yaml; returns the errors joined by '\n' (new string, "" when it parsed). The spec,
 * when out is not NULL, is handed over. */
static char *parse_errs(const char *yaml, const char *dir, sdk_spec **out) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *s = (sdk_spec *)1;
    int rc = sdk_spec_parse(yaml, strlen(yaml), "svc.yml", dir, &s, &errs);
    CHECK((rc == 0) == (errs.n == 0));
    CHECK((rc == 0) == (s != NULL));
    sdk_buf b;
    sdk_buf_init(&b);
    for (size_t i = 0; i < errs.n; i++) sdk_buf_printf(&b, "%s\n", errs.msgs[i]);
    sdk_errors_free(&errs);
    if (out) *out = s;
    else sdk_spec_free(s);
    return sdk_buf_take(&b);
}

#define GOOD_HEAD "name: svc\npods:\n  hello:\n    count: 2\n    tasks:\n      server:\n"
#define GOOD_TASK "        goal: RUNNING\n        cmd: run\n        cpus: 0.5\n"

static void test_minimal_defaults(void) {
    sdk_spec *s = NULL;
    char *e = parse_errs(GOOD_HEAD GOOD_TASK, NULL, &s);
    CHECK_STR(e, "");
    free(e);
    if (!s) return;
    CHECK_STR(s->principal, "svc-principal");
    CHECK_STR(s->zookeeper, "master.mesos:2181");
    CHECK_STR(s->user, "root");
    CHECK(s->web_url == NULL);
    CHECK_STR(s->pods[0].pre_reserved_role, "*");
    CHECK(s->pods[0].tasks[0].essential);
    CHECK_STR(s->pods[0].tasks[0].resource_set, "server-resource-set");
    CHECK_INT(s->pods[0].n_resource_sets, 1);
    CHECK(s->pods[0].resource_sets[0].implicit);
    sdk_spec_free(s);
}

typedef struct {
    const char *what, *yaml, *expect, *expect2;
} bad_case;

static const bad_case BAD[] = {
    { "malformed YAML", "name: svc\npods:\n  hello: [\n", "svc.yml:4:1: malformed YAML", NULL },
    { "tab indentation", "name: svc\npods:\n\thello: 1\n", "svc.yml:3:1: malformed YAML", NULL },
    { "unknown top key", "name: svc\nfoo: 1\n" "pods:\n  hello:\n    count: 1\n    tasks:\n      server:\n" GOOD_TASK,
      "svc.yml:2:1: (top level): unknown key 'foo' in a service spec", NULL },
    /* an unknown key directly inside a pod is a warning, as dcos-commons ignores it: test_mapping */
    { "unknown task key", GOOD_HEAD GOOD_TASK "        memroy: 5\n",
      "svc.yml:10:9: pods.hello.tasks.server: unknown key 'memroy' in a task", NULL },
    { "uris in task", GOOD_HEAD GOOD_TASK "        uris: [a]\n",
      "svc.yml:10:9: pods.hello.tasks.server: unknown key 'uris' in a task ('uris' belongs to the pod)", NULL },
    { "wrong type count", "name: svc\npods:\n  hello:\n    count: many\n    tasks:\n      server:\n" GOOD_TASK,
      "svc.yml:4:5: pods.hello.count: expected an integer, found 'many'", NULL },
    { "wrong type env", GOOD_HEAD GOOD_TASK "        env: [a, b]\n",
      "svc.yml:10:9: pods.hello.tasks.server.env: expected a mapping of variable name to value (a mapping), found a list", NULL },
    { "cpus not positive", GOOD_HEAD "        goal: RUNNING\n        cmd: run\n        cpus: 0\n",
      "svc.yml:9:9: pods.hello.tasks.server.cpus: must be greater than 0, found 0", NULL },
    { "duplicate key", GOOD_HEAD GOOD_TASK "        cmd: again\n",
      "svc.yml:10:9: pods.hello.tasks.server: duplicate key 'cmd'", NULL },
    { "duplicate pod", GOOD_HEAD GOOD_TASK "  hello:\n    count: 1\n",
      "svc.yml:10:3: pods: duplicate key 'hello'", NULL },
    { "missing name", "pods:\n  hello:\n    count: 1\n    tasks:\n      server:\n" GOOD_TASK,
      "svc.yml:1:1: (top level): missing required key 'name'", NULL },
    { "missing cmd", GOOD_HEAD "        goal: RUNNING\n        cpus: 1\n",
      "svc.yml:6:7: pods.hello.tasks.server: missing required key 'cmd'", NULL },
    { "empty count (unset variable)", "name: svc\npods:\n  hello:\n    count: \n    tasks:\n      server:\n" GOOD_TASK,
      "svc.yml:4:5: pods.hello.count: a value is required", NULL },
    { "missing tasks", "name: svc\npods:\n  hello:\n    count: 1\n",
      "svc.yml:3:3: pods.hello: missing required key 'tasks'", NULL },
    { "bad volume path", GOOD_HEAD GOOD_TASK "        volume:\n          path: data/sub\n          type: ROOT\n          size: 10\n",
      "svc.yml:11:11: pods.hello.tasks.server.volume.path: invalid volume path 'data/sub'", NULL },
    { "volume type and size", GOOD_HEAD GOOD_TASK "        volume:\n          path: data\n          type: DISK\n",
      "svc.yml:12:11: pods.hello.tasks.server.volume.type: unknown volume type 'DISK' (expected ROOT or MOUNT)",
      "svc.yml:10:9: pods.hello.tasks.server.volume: missing required key 'size'" },
    { "volume and volumes", GOOD_HEAD GOOD_TASK "        volume: {path: a, type: ROOT, size: 1}\n        volumes:\n          v: {path: b, type: ROOT, size: 1}\n",
      "svc.yml:11:9: pods.hello.tasks.server.volumes: 'volume' and 'volumes' cannot both be given", NULL },
    { "FINISHED goal", GOOD_HEAD "        goal: FINISHED\n        cmd: run\n        cpus: 1\n",
      "svc.yml:7:9: pods.hello.tasks.server.goal: goal 'FINISHED' is no longer supported: use FINISH", NULL },
    { "unknown goal", GOOD_HEAD "        goal: RUN\n        cmd: run\n        cpus: 1\n",
      "svc.yml:7:9: pods.hello.tasks.server.goal: unknown goal 'RUN' (expected RUNNING, FINISH or ONCE)", NULL },
    { "double underscore", "name: a__b\npods:\n  hello:\n    count: 1\n    tasks:\n      server:\n" GOOD_TASK,
      "svc.yml:1:1: name: service name 'a__b' must not contain '__'", NULL },
    { "no resources", GOOD_HEAD "        goal: RUNNING\n        cmd: run\n",
      "svc.yml:6:7: pods.hello.tasks.server: task has no resources", NULL },
    { "unknown resource set", GOOD_HEAD "        goal: RUNNING\n        cmd: run\n        resource-set: nope\n",
      "svc.yml:9:9: pods.hello.tasks.server.resource-set: unknown resource set 'nope'", NULL },
    { "set without resources", "name: svc\npods:\n  hello:\n    count: 1\n    resource-sets:\n      rs:\n        volume: {path: a, type: ROOT, size: 1}\n    tasks:\n      server:\n        goal: ONCE\n        cmd: x\n        resource-set: rs\n",
      "svc.yml:6:7: pods.hello.resource-sets.rs: resource set has no resources", NULL },
    { "kill grace too long", GOOD_HEAD GOOD_TASK "        kill-grace-period: 3601\n",
      "svc.yml:10:9: pods.hello.tasks.server.kill-grace-period: must be between 0 and 3600, found 3601", NULL },
    { "bad labels", GOOD_HEAD GOOD_TASK "        labels: a:1,b\n",
      "svc.yml:10:9: pods.hello.tasks.server.labels: label 'b' has no ':'", NULL },
    { "duplicate port number", GOOD_HEAD GOOD_TASK "        ports:\n          a: {port: 80}\n          b: {port: 80}\n",
      "svc.yml:12:11: pods.hello.tasks.server.ports.b: port 80 is also used by port 'a'", NULL },
    { "port range order", GOOD_HEAD GOOD_TASK "        ports:\n          a:\n            port: 0\n            ranges:\n              - {begin: 9, end: 5}\n",
      "svc.yml:14:17: pods.hello.tasks.server.ports.a.ranges[0]: range begin 9 is greater than end 5", NULL },
    { "rlimit soft > hard", "name: svc\npods:\n  hello:\n    count: 1\n    rlimits:\n      RLIMIT_NOFILE: {soft: 10, hard: 5}\n    tasks:\n      server:\n" GOOD_TASK,
      "svc.yml:6:7: pods.hello.rlimits.RLIMIT_NOFILE: soft limit 10 is greater than hard limit 5", NULL },
    { "rlimit unknown", "name: svc\npods:\n  hello:\n    count: 1\n    rlimits:\n      RLIMIT_FOO: {soft: 1, hard: 5}\n    tasks:\n      server:\n" GOOD_TASK,
      "svc.yml:6:7: pods.hello.rlimits.RLIMIT_FOO: unknown rlimit 'RLIMIT_FOO'", NULL },
    { "seccomp both", "name: svc\npods:\n  hello:\n    count: 1\n    seccomp-unconfined: true\n    seccomp-profile-name: p\n    tasks:\n      server:\n" GOOD_TASK,
      "svc.yml:6:5: pods.hello.seccomp-profile-name: seccomp-unconfined and seccomp-profile-name cannot both be set", NULL },
    { "shm with SHARE_PARENT", GOOD_HEAD GOOD_TASK "        ipc-mode: SHARE_PARENT\n        shm-size: 5\n",
      "svc.yml:11:9: pods.hello.tasks.server.shm-size: shm-size cannot be set with ipc-mode SHARE_PARENT", NULL },
    { "placement as list", "name: svc\npods:\n  hello:\n    count: 1\n    placement: [[hostname, UNIQUE]]\n    tasks:\n      server:\n" GOOD_TASK,
      "svc.yml:5:5: pods.hello.placement: expected a string, found a list", NULL },
    { "duplicate discovery prefix", "name: svc\npods:\n  a:\n    count: 1\n    tasks:\n      t:\n" GOOD_TASK "        discovery: {prefix: px}\n  b:\n    count: 1\n    tasks:\n      t:\n" GOOD_TASK "        discovery: {prefix: px}\n",
      "svc.yml:18:21: pods.b.tasks.t.discovery.prefix: discovery prefix 'px' is also used by pod 'a'", NULL },
    { "plans without deploy", GOOD_HEAD GOOD_TASK "plans:\n  other:\n    phases:\n      p:\n        pod: hello\n",
      "svc.yml:10:1: plans: no 'deploy' plan", NULL },
    { "bad strategy", GOOD_HEAD GOOD_TASK "plans:\n  deploy:\n    phases:\n      p:\n        pod: hello\n        strategy: sideways\n",
      "svc.yml:15:9: plans.deploy.phases.p.strategy: unknown strategy 'sideways'", NULL },
    { "canary at plan level", GOOD_HEAD GOOD_TASK "plans:\n  deploy:\n    strategy: canary\n    phases:\n      p:\n        pod: hello\n",
      "svc.yml:12:5: plans.deploy.strategy: unknown plan strategy 'canary' (expected serial or parallel)", NULL },
    { "unknown pod in phase", GOOD_HEAD GOOD_TASK "plans:\n  deploy:\n    phases:\n      p:\n        pod: nope\n",
      "svc.yml:14:9: plans.deploy.phases.p.pod: unknown pod 'nope'", NULL },
    { "unknown task in steps", GOOD_HEAD GOOD_TASK "plans:\n  deploy:\n    phases:\n      p:\n        pod: hello\n        steps:\n          - default: [[server, sever]]\n",
      "svc.yml:16:32: plans.deploy.phases.p.steps[0].default[0][1]: unknown task 'sever' (pod 'hello' has no such task)", NULL },
    { "duplicate step key", GOOD_HEAD GOOD_TASK "plans:\n  deploy:\n    phases:\n      p:\n        pod: hello\n        steps:\n          - 0: [[server]]\n          - 0: [[server]]\n          - default: [[server]]\n",
      "svc.yml:17:13: plans.deploy.phases.p.steps[1]: steps key '0' is given twice", NULL },
    { "two keys in a step entry", GOOD_HEAD GOOD_TASK "plans:\n  deploy:\n    phases:\n      p:\n        pod: hello\n        steps:\n          - {0: [[server]], 1: [[server]]}\n",
      "svc.yml:16:13: plans.deploy.phases.p.steps[0]: each steps entry must have exactly one key", NULL },
    { "index without entry or default", GOOD_HEAD GOOD_TASK "plans:\n  deploy:\n    phases:\n      p:\n        pod: hello\n        steps:\n          - 0: [[server]]\n",
      "svc.yml:15:9: plans.deploy.phases.p.steps: pod instance hello-1 has no steps entry and there is no 'default' entry", NULL },
};

static void test_bad_inputs(void) {
    for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
        char *e = parse_errs(BAD[i].yaml, NULL, NULL);
        CHECK_MSG(strstr(e, BAD[i].expect) != NULL, "%s: expected \"%s\", got:\n%s", BAD[i].what,
                  BAD[i].expect, e);
        if (BAD[i].expect2)
            CHECK_MSG(strstr(e, BAD[i].expect2) != NULL, "%s: expected \"%s\", got:\n%s",
                      BAD[i].what, BAD[i].expect2, e);
        free(e);
    }
}

static void test_all_errors_collected(void) {
    /* three independent problems in one file: all three reported */
    char *e = parse_errs("name: svc\npods:\n  hello:\n    count: -1\n    tasks:\n      server:\n"
                         "        goal: RUN\n        cmd: x\n        cpus: 1\n        bogus: 1\n", NULL, NULL);
    CHECK_CONTAINS(e, "svc.yml:4:5: pods.hello.count: must be at least 0, found -1");
    CHECK_CONTAINS(e, "svc.yml:7:9: pods.hello.tasks.server.goal: unknown goal 'RUN'");
    CHECK_CONTAINS(e, "svc.yml:10:9: pods.hello.tasks.server: unknown key 'bogus' in a task");
    free(e);
}

static void test_pod_user_ignored(void) {
    sdk_spec *s = NULL;
    char *e = parse_errs("name: svc\npods:\n  hello:\n    user: nobody\n    count: 1\n    tasks:\n"
                         "      server:\n" GOOD_TASK, NULL, &s);
    CHECK_STR(e, "");
    free(e);
    if (s) CHECK_STR(s->user, "root");
    sdk_spec_free(s);
}

static void test_full_features(void) {
    const char *y =
        "name: /folder/svc\n"
        "web-url: http://x/\n"
        "scheduler:\n  principal: ''\n  zookeeper: zk:2181\n  user: nobody\n"
        "pods:\n"
        "  db:\n"
        "    count: 3\n"
        "    allow-decommission: true\n"
        "    image: alpine:3\n"
        "    pre-reserved-role: slave_public\n"
        "    uris: [http://a/b.zip, http://a/c.tgz]\n"
        "    networks:\n      mesos-bridge:\n        host-ports: [8080]\n        container-ports: [80]\n        labels: a:b\n      dcos:\n"
        "    rlimits:\n      RLIMIT_CORE:\n      RLIMIT_NOFILE: {soft: -1, hard: -1}\n"
        "    host-volumes:\n      h: {host-path: /etc/ssl, container-path: ssl, mode: RO}\n"
        "    external-volumes:\n      e: {type: DOCKER, container-path: ext, driver-name: pxd, driver-options: 'size=10;shared=true', volume-mode: RW}\n"
        "    secrets:\n      s1: {secret: path/to/s}\n      s2: {secret: x, env-key: X}\n"
        "    share-pid-namespace: true\n"
        "    ipc-mode: PRIVATE\n    shm-size: 64\n"
        "    resource-sets:\n      data:\n        cpus: 1\n        memory: 512\n        resource-limits: {cpus: unlimited, memory: 1024}\n"
        "        ports:\n          http: {port: 0, advertise: true, vip: {port: 80}}\n"
        "        volumes:\n          d: {path: data, type: MOUNT, size: 100, profiles: [fast]}\n"
        "    tasks:\n"
        "      init:\n        goal: once\n        cmd: x\n        resource-set: data\n"
        "      node:\n        goal: RUNNING\n        cmd: y\n        resource-set: data\n        essential: false\n"
        "        env: {A: '1', B: }\n"
        "        discovery: {prefix: dbnode, visibility: EXTERNAL}\n"
        "        transport-encryption: []\n" /* entries are refused (no CA): test_mapping */
        "        ipc-mode: SHARE_PARENT\n"
        "        kill-grace-period: 3600\n"
        "        readiness-check: {cmd: r, interval: 1, timeout: 2}\n"
        "plans:\n  deploy:\n    strategy: parallel\n    phases:\n      p1:\n        pod: db\n        strategy: parallel-canary\n"
        "        steps:\n          - 0: [[init], [node]]\n          - default: []\n"
        "  deploy-other:\n    phases:\n      p:\n        pod: db\n        strategy: canary\n";
    sdk_spec *s = NULL;
    char *e = parse_errs(y, NULL, &s);
    CHECK_STR(e, "");
    free(e);
    if (!s) return;
    CHECK_STR(s->principal, "/folder/svc-principal");
    CHECK_STR(s->user, "nobody");
    CHECK_STR(s->zookeeper, "zk:2181");
    char *role = sdk_spec_role_new(s);
    CHECK_STR(role, "folder__svc-role");
    free(role);
    const sdk_pod_spec *p = &s->pods[0];
    CHECK_STR(p->image, "alpine:3");
    CHECK_INT(p->n_uris, 2);
    CHECK_INT(p->n_networks, 2);
    CHECK_INT(p->networks[0].n_port_mappings, 1);
    CHECK_INT(p->networks[0].host_ports[0], 8080);
    CHECK_INT(p->networks[0].container_ports[0], 80);
    CHECK_STR(p->networks[1].name, "dcos");
    CHECK_INT(p->n_rlimits, 2);
    CHECK(p->rlimits[0].unlimited && p->rlimits[1].unlimited);
    CHECK(p->host_volumes[0].read_only);
    CHECK_STR(p->external_volumes[0].driver_name, "pxd");
    CHECK_STR(p->secrets[0].file, "path/to/s"); /* file defaults to the secret path */
    CHECK(p->secrets[1].file == NULL);
    CHECK(p->share_pid_namespace);
    CHECK_INT(p->shm_size_mb, 64);
    CHECK_INT(p->n_resource_sets, 1);
    const sdk_resource_set *rs = &p->resource_sets[0];
    CHECK(rs->cpus_limit.has && rs->cpus_limit.unlimited);
    CHECK(rs->memory_limit.has && rs->memory_limit.value == 1024);
    CHECK_STR(rs->ports[0].vip_prefix, "http");
    CHECK_INT(rs->ports[0].vip_port, 80);
    CHECK_STR(rs->volumes[0].profiles[0], "fast");
    CHECK_INT(p->tasks[0].goal, SDK_GOAL_ONCE);
    const sdk_task_spec *t = &p->tasks[1];
    CHECK(!t->essential);
    CHECK_STR(t->env[1].value, "");
    CHECK_INT(t->discovery_visibility, SDK_VIS_EXTERNAL);
    CHECK_INT(t->n_transport_encryption, 0);
    const sdk_phase_spec *ph = &s->plans[0].phases[0];
    CHECK_INT(ph->strategy, SDK_STRATEGY_PARALLEL_CANARY);
    CHECK_INT(ph->n_entries, 2);
    CHECK_INT(ph->entries[1].n_steps, 0);
    CHECK_INT(s->plans[1].phases[0].strategy, SDK_STRATEGY_SERIAL_CANARY);
    sdk_spec_free(s);
}

static void test_config_templates(void) {
    char dir[] = "/tmp/spec_tmpl_XXXXXX";
    if (!mkdtemp(dir)) { CHECK(0); return; }
    char *path = sdk_asprintf_new("%s/app.conf.mustache", dir);
    FILE *f = fopen(path, "w");
    fputs("port={{PORT}}\n", f);
    fclose(f);
    const char *y = GOOD_HEAD GOOD_TASK
        "        configs:\n          app: {template: app.conf.mustache, dest: conf/app.conf}\n";
    sdk_spec *s = NULL;
    char *e = parse_errs(y, dir, &s);
    CHECK_STR(e, "");
    free(e);
    if (s) {
        CHECK_STR(s->pods[0].tasks[0].configs[0].template_path, "app.conf.mustache");
        CHECK_STR(s->pods[0].tasks[0].configs[0].template_content, "port={{PORT}}\n");
        CHECK_STR(s->pods[0].tasks[0].configs[0].dest, "conf/app.conf");
    }
    sdk_spec_free(s);
    /* without a directory, templates are not read */
    e = parse_errs(y, NULL, &s);
    CHECK_STR(e, "");
    free(e);
    if (s) CHECK(s->pods[0].tasks[0].configs[0].template_content == NULL);
    sdk_spec_free(s);
    /* a missing template is an error naming the file */
    e = parse_errs(GOOD_HEAD GOOD_TASK "        configs:\n          app: {template: nope.txt, dest: x}\n",
                   dir, NULL);
    CHECK_CONTAINS(e, "svc.yml:11:17: pods.hello.tasks.server.configs.app.template: cannot read template");
    CHECK_CONTAINS(e, "nope.txt': no such file");
    free(e);
    unlink(path);
    rmdir(dir);
    free(path);
}

int main(void) {
    RUN(test_minimal_defaults);
    RUN(test_bad_inputs);
    RUN(test_all_errors_collected);
    RUN(test_pod_user_ignored);
    RUN(test_full_features);
    RUN(test_config_templates);
    return check_summary("test_spec_parse");
}
