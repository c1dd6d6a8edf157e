/* The spec -> Mesos mapping (core/mapping), one table row per svc.yml key (sdk-behaviour.md
 * §1.2-§1.12): a spec fragment, the protobuf fields it must produce in what is sent (the
 * LAUNCH_GROUP's TaskInfo and ExecutorInfo, as Mesos JSON), whether changing the key rolls the
 * pod (sdk_pod_equivalent, both directions), and a round trip through the stored form. Then the
 * bad inputs of the container keys (each with file:line), the stored-format compatibility, and
 * `scheduler --print-taskinfo`. */
#include "core/mapping/mapping.h"
#include "core/mapping/preview.h"
#include "core/mapping/taskinfo.h"
#include "core/spec/spec.h"
#include "core/util/str.h"
#include "mesos/pbjson.h"
#include "check.h"
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------- spec building */

/* Appends each line of frag (may be NULL) indented by `ind` spaces. */
static void put_frag(sdk_buf *b, const char *frag, int ind) {
    if (!frag) return;
    const char *p = frag;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        sdk_buf_printf(b, "%*s%.*s\n", ind, "", (int)len, p);
        p += len + (nl ? 1 : 0);
    }
}

/* Line 1 name, then `top`, then the pod (count on line 4 when top is empty; pod fragment from
 * line 5), then its one task `server` with the task fragment last. */
static char *yaml_new(const char *top, const char *pod, const char *task) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "name: svc\n");
    put_frag(&b, top, 0);
    sdk_buf_puts(&b, "pods:\n  app:\n    count: 1\n");
    put_frag(&b, pod, 4);
    sdk_buf_puts(&b, "    tasks:\n      server:\n        goal: RUNNING\n        cmd: ./run\n        cpus: 0.5\n"
                     "        memory: 256\n");
    put_frag(&b, task, 8);
    return sdk_buf_take(&b);
}

static sdk_spec *parse(const char *top, const char *pod, const char *task, sdk_errors *errs, sdk_errors *warns) {
    char *y = yaml_new(top, pod, task);
    sdk_spec *s = NULL;
    sdk_spec_parse_warn(y, strlen(y), "svc.yml", NULL, &s, errs, warns);
    free(y);
    return s;
}

/* ---------------------------------------------------------------- JSON paths */

/* "a.b[2].c[name=X].d": object keys, array indexes, or the first array element whose field
 * equals a string. NULL when absent. */
static json_t *jpath(json_t *root, const char *path) {
    json_t *cur = root;
    char *copy = sdk_xstrdup(path), *p = copy;
    while (cur && *p) {
        if (*p == '.') { p++; continue; }
        if (*p == '[') {
            char *end = strchr(p, ']');
            if (!end) { cur = NULL; break; }
            *end = 0;
            char *eq = strchr(p + 1, '=');
            if (!json_is_array(cur)) { cur = NULL; break; }
            if (eq) {
                *eq = 0;
                json_t *found = NULL, *el;
                size_t i;
                json_array_foreach(cur, i, el) {
                    json_t *f = json_object_get(el, p + 1);
                    if (!found && json_is_string(f) && !strcmp(json_string_value(f), eq + 1)) found = el;
                }
                cur = found;
            } else {
                cur = json_array_get(cur, (size_t)atol(p + 1));
            }
            p = end + 1;
            continue;
        }
        size_t n = strcspn(p, ".[");
        char save = p[n];
        p[n] = 0;
        cur = json_object_get(cur, p);
        p[n] = save;
        p += n;
    }
    free(copy);
    return cur;
}

/* ---------------------------------------------------------------- the table */

typedef struct row {
    const char *key;         /* the svc.yml key */
    const char *top, *pod, *task; /* fragments */
    const char *checks[6];   /* "PATH=JSON" ("PATH=null": absent) */
    int restarts;            /* 1: a change rolls the pod; 0: it does not (§5.2); -1: not a pod key */
} row;

static const row ROWS[] = {
    {"scheduler.user", "scheduler:\n  user: nobody", NULL, NULL,
     {"task_info.command.user=\"nobody\""}, -1},
    {"scheduler.principal", "scheduler:\n  principal: p1", NULL, NULL,
     {"task_info.resources[0].reservations[0].principal=\"p1\""}, -1},
    {"image", NULL, "image: nginx:1.25", NULL,
     {"task_info.container.mesos.image={\"type\":\"DOCKER\",\"docker\":{\"name\":\"nginx:1.25\"},\"cached\":true}",
      "task_info.container.type=\"MESOS\"", "executor_info.container.mesos=null"}, 1},
    {"container.image-name (before dcos-commons #1909)", NULL, "container:\n  image-name: nginx:1.25", NULL,
     {"task_info.container.mesos.image.docker.name=\"nginx:1.25\""}, 1},
    {"networks (mesos-bridge)", NULL,
     "networks:\n  mesos-bridge:\n    host-ports: [8080]\n    container-ports: [80]\n    labels: \"a:b,c:d\"",
     "ports:\n  http:\n    port: 9000",
     {"executor_info.container.network_infos[0].name=\"mesos-bridge\"",
      "executor_info.container.network_infos[0].port_mappings=[{\"host_port\":8080,\"container_port\":80},"
      "{\"host_port\":9000,\"container_port\":9000}]",
      "executor_info.container.network_infos[0].labels.labels=[{\"key\":\"a\",\"value\":\"b\"},{\"key\":\"c\",\"value\":\"d\"}]",
      "task_info.container.network_infos=null", "task_info.resources[name=ports].ranges.range[0].begin=9000"}, 1},
    {"networks (virtual only: ports not reserved)", NULL, "networks:\n  dcos:",
     "ports:\n  http:\n    port: 8080\n  dyn:\n    port: 0\n    vip:\n      prefix: web\n      port: 80",
     {"task_info.resources[name=ports]=null", "task_info.discovery.ports.ports[name=http].number=8080",
      "task_info.discovery.ports.ports[name=dyn].number=1025",
      "task_info.discovery.ports.ports[name=dyn].labels.labels[key=network-scope].value=\"container\""}, 1},
    {"networks (overlay dcos)", NULL, "networks:\n  dcos:", NULL,
     {"executor_info.container.network_infos=[{\"name\":\"dcos\"}]"}, 1},
    {"container.networks", NULL, "container:\n  networks:\n    dcos:", NULL,
     {"executor_info.container.network_infos=[{\"name\":\"dcos\"}]"}, 1},
    {"rlimits", NULL, "rlimits:\n  RLIMIT_NOFILE:\n    soft: 1024\n    hard: 2048\n  RLIMIT_CORE:", NULL,
     {"task_info.container.rlimit_info.rlimits=[{\"type\":\"RLMT_NOFILE\",\"hard\":2048,\"soft\":1024},"
      "{\"type\":\"RLMT_CORE\"}]",
      "executor_info.container.rlimit_info.rlimits[0].type=\"RLMT_NOFILE\""}, 1},
    {"rlimits (-1 = unlimited)", NULL, "rlimits:\n  RLIMIT_STACK:\n    soft: -1\n    hard: -1", NULL,
     {"task_info.container.rlimit_info.rlimits=[{\"type\":\"RLMT_STACK\"}]"}, 1},
    {"container.rlimits", NULL, "container:\n  rlimits:\n    RLIMIT_NPROC:\n      soft: 10\n      hard: 20", NULL,
     {"task_info.container.rlimit_info.rlimits=[{\"type\":\"RLMT_NPROC\",\"hard\":20,\"soft\":10}]"}, 1},
    {"uris", NULL, "uris:\n  - https://example.com/app.tgz", NULL,
     {"task_info.command.uris[0]={\"value\":\"https://example.com/app.tgz\",\"extract\":true}"}, 1},
    {"volume (pod)", NULL, "volume:\n  path: pod-data\n  type: ROOT\n  size: 100", NULL,
     {"task_info.container.volumes[container_path=pod-data]={\"container_path\":\"pod-data\",\"mode\":\"RW\","
      "\"source\":{\"type\":\"SANDBOX_PATH\",\"sandbox_path\":{\"type\":\"PARENT\",\"path\":\"pod-data\"}}}",
      "executor_info.resources[3].disk.volume.container_path=\"pod-data\""}, 1},
    {"host-volumes", NULL, "host-volumes:\n  logs:\n    host-path: /var/log\n    container-path: host-logs\n    mode: RO",
     NULL,
     {"task_info.container.volumes[container_path=host-logs]={\"container_path\":\"host-logs\",\"mode\":\"RO\","
      "\"source\":{\"type\":\"HOST_PATH\",\"host_path\":{\"path\":\"/var/log\"}}}",
      "executor_info.container.volumes[container_path=host-logs].source.host_path.path=\"/var/log\""}, 1},
    {"external-volumes (pxd)", NULL,
     "external-volumes:\n  ev:\n    type: DOCKER\n    container-path: ext\n    driver-name: pxd\n"
     "    driver-options: size=10",
     NULL,
     {"task_info.container.volumes[container_path=ext]={\"container_path\":\"ext\",\"mode\":\"RW\",\"source\":"
      "{\"type\":\"DOCKER_VOLUME\",\"docker_volume\":{\"driver\":\"pxd\",\"name\":\"svc-app-0\",\"driver_options\":"
      "{\"parameter\":[{\"key\":\"size\",\"value\":\"10\"},{\"key\":\"nodes\",\"value\":\"LocalNode\"}]}}}}"}, 1},
    {"external-volumes (pxd, shared)", NULL,
     "external-volumes:\n  ev:\n    type: DOCKER\n    container-path: ext\n    driver-name: pxd\n"
     "    volume-name: shared-vol\n    driver-options: shared=true\n    volume-mode: RO",
     NULL,
     {"task_info.container.volumes[container_path=ext].source.docker_volume.name=\"shared-vol\"",
      "task_info.container.volumes[container_path=ext].mode=\"RO\""}, 1},
    {"external-volumes (other driver)", NULL,
     "external-volumes:\n  ev:\n    type: DOCKER\n    container-path: ext\n    driver-name: rexray", NULL,
     {"task_info.container.volumes[container_path=ext].source.docker_volume={\"driver\":\"rexray\","
      "\"name\":\"svc_app_0\",\"driver_options\":{}}"}, 1},
    {"secrets (env-key)", NULL, "secrets:\n  s1:\n    secret: app/password\n    env-key: PASSWORD", NULL,
     {"task_info.command.environment.variables[name=PASSWORD]={\"name\":\"PASSWORD\",\"type\":\"SECRET\","
      "\"secret\":{\"type\":\"REFERENCE\",\"reference\":{\"name\":\"app/password\"}}}",
      "task_info.container.volumes[container_path=app/password]=null"}, 1},
    {"secrets (file, default path)", NULL, "secrets:\n  s2:\n    secret: app/cert", NULL,
     {"task_info.container.volumes[container_path=app/cert]={\"container_path\":\"app/cert\",\"mode\":\"RO\","
      "\"source\":{\"type\":\"SECRET\",\"secret\":{\"type\":\"REFERENCE\",\"reference\":{\"name\":\"app/cert\"}}}}",
      "executor_info.container.volumes[container_path=app/cert].source.type=\"SECRET\""}, 1},
    {"share-pid-namespace", NULL, "share-pid-namespace: true", NULL,
     {"task_info.container.linux_info.share_pid_namespace=true",
      "executor_info.container.linux_info.share_pid_namespace=null"}, 1},
    {"seccomp-unconfined", NULL, "seccomp-unconfined: true", NULL,
     {"task_info.container.linux_info.seccomp={\"unconfined\":true}"}, 1},
    {"seccomp-profile-name", NULL, "seccomp-profile-name: strict.json", NULL,
     {"task_info.container.linux_info.seccomp={\"profile_name\":\"strict.json\"}"}, 1},
    {"ipc-mode / shm-size (pod)", NULL, "ipc-mode: PRIVATE\nshm-size: 64", NULL,
     {"executor_info.container.linux_info.ipc_mode=\"PRIVATE\"", "executor_info.container.linux_info.shm_size=64",
      "task_info.container.linux_info.ipc_mode=null"}, 1},
    {"ipc-mode / shm-size (task)", NULL, NULL, "ipc-mode: PRIVATE\nshm-size: 32",
     {"task_info.container.linux_info.ipc_mode=\"PRIVATE\"", "task_info.container.linux_info.shm_size=32"}, 1},
    {"ipc-mode SHARE_PARENT (task)", NULL, NULL, "ipc-mode: SHARE_PARENT",
     {"task_info.container.linux_info.ipc_mode=\"SHARE_PARENT\""}, 1},
    /* §5.2 (upstream's comparison rebuilds resource sets from plain resources): limits alone do
     * not roll the pod; they reach Mesos with the next launch. */
    {"resource-limits", NULL, NULL, "resource-limits:\n  cpus: 2\n  memory: unlimited",
     {"task_info.limits={\"cpus\":{\"value\":2.0},\"mem\":{\"value\":\"Infinity\"}}",
      "task_info.container.linux_info.share_cgroups=false"}, 0},
    {"gpus", NULL, NULL, "gpus: 1",
     {"task_info.resources[name=gpus].scalar.value=1.0"}, 1},
    {"pre-reserved-role", NULL, "pre-reserved-role: slave_public", NULL,
     {"task_info.resources[name=cpus].reservations[0]={\"role\":\"slave_public\",\"type\":\"STATIC\"}",
      "task_info.resources[name=cpus].reservations[1].role=\"slave_public/svc-role\""}, 1},
    {"placement", NULL, "placement: '[[\"hostname\", \"UNIQUE\"]]'", NULL,
     {"task_info.command.environment.variables[name=PLACEMENT_REFERENCED_ZONE].value=\"false\"",
      "task_info.labels.labels[key=offer_hostname].value=\"<agent-hostname>\""}, 0},
    {"allow-decommission", NULL, "allow-decommission: true", NULL,
     {"task_info.name=\"app-0-server\""}, 0},
    {"tasks.cmd / goal", NULL, NULL, "essential: false",
     {"task_info.command.value=\"./run\"", "task_info.labels.labels[key=goal_state].value=\"RUNNING\""}, 1},
    {"tasks.env", NULL, NULL, "env:\n  GREETING: hi",
     {"task_info.command.environment.variables[name=GREETING].value=\"hi\""}, 1},
    {"tasks.labels", NULL, NULL, "labels: \"team:db,tier:1\"",
     {"task_info.labels.labels[key=team].value=\"db\"", "task_info.labels.labels[key=tier].value=\"1\""}, 1},
    {"tasks.kill-grace-period", NULL, NULL, "kill-grace-period: 30",
     {"task_info.kill_policy.grace_period.nanoseconds=30000000000"}, 1},
    {"tasks.ports / discovery", NULL, NULL,
     "ports:\n  http:\n    port: 8080\n    env-key: HTTP_PORT\n    advertise: true\ndiscovery:\n  prefix: web",
     {"task_info.discovery.name=\"web-0\"", "task_info.discovery.ports.ports[name=http].number=8080",
      "task_info.discovery.ports.ports[name=http].visibility=\"EXTERNAL\"",
      "task_info.command.environment.variables[name=HTTP_PORT].value=\"8080\""}, 1},
    {"tasks.volume", NULL, NULL, "volume:\n  path: data\n  type: ROOT\n  size: 50",
     {"task_info.resources[name=disk].disk.volume={\"mode\":\"RW\",\"container_path\":\"data\"}"}, 1},
    {"tasks.health-check", NULL, NULL,
     "health-check:\n  cmd: ./ok\n  interval: 5\n  timeout: 3\n  delay: 0\n  grace-period: 10\n"
     "  max-consecutive-failures: 2",
     {"task_info.health_check.command.value=\"./ok\"", "task_info.health_check.consecutive_failures=2"}, 1},
    {"tasks.readiness-check", NULL, NULL, "readiness-check:\n  cmd: ./ready\n  interval: 5\n  timeout: 3",
     {"task_info.check.type=\"COMMAND\"", "task_info.check.command.command.value=\"./ready\""}, 1},
};

/* What a row's fragment must produce, in the LAUNCH_GROUP as sent. */
static void check_fields(const row *r, const sdk_mapping_preview *pv) {
    json_t *root = json_object();
    json_object_set_new(root, "task_info", sdk_pbjson_from_message_new(&pv->task_info->base));
    json_object_set_new(root, "executor_info", sdk_pbjson_from_message_new(&pv->executor_info->base));
    for (size_t i = 0; i < sizeof r->checks / sizeof r->checks[0] && r->checks[i]; i++) {
        const char *eq = r->checks[i];
        for (int depth = 0; *eq && (*eq != '=' || depth); eq++) /* not an "=" of a [field=value] */
            depth += *eq == '[' ? 1 : *eq == ']' ? -1 : 0;
        char *path = sdk_xstrndup(r->checks[i], (size_t)(eq - r->checks[i]));
        json_t *got = jpath(root, path);
        json_error_t je;
        json_t *want = !strcmp(eq + 1, "null") ? NULL : json_loads(eq + 1, JSON_DECODE_ANY, &je);
        char *gs = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
        bool ok = want ? got && json_equal(got, want) : !got;
        CHECK_MSG(ok, "row '%s': %s is %s, expected %s", r->key, path, gs ? gs : "absent", eq + 1);
        free(gs);
        json_decref(want);
        free(path);
    }
    json_decref(root);
}

/* Stored form: encode -> decode -> encode gives the same bytes, and the TaskInfo sent is the
 * stored one minus its executor. */
static void check_round_trip(const row *r, const sdk_mapping_preview *pv) {
    void *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0;
    CHECK_INT(sdk_taskinfo_encode_new(pv->task, pv->executor, &buf, &len), 0);
    sdk_task_desc t;
    sdk_executor_desc ex;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_taskinfo_decode(buf, len, r->key, &t, &ex, &errs), 0);
    CHECK_INT(sdk_taskinfo_encode_new(&t, &ex, &buf2, &len2), 0);
    CHECK_MSG(len == len2 && !memcmp(buf, buf2, len), "row '%s': stored TaskInfo does not survive decode+encode",
              r->key);
    Mesos__V1__TaskInfo *stored = mesos__v1__task_info__unpack(NULL, len, buf);
    CHECK(stored != NULL);
    if (stored) {
        Mesos__V1__ExecutorInfo *e = stored->executor;
        stored->executor = NULL;
        char *a = sdk_pbjson_dumps_new(&stored->base), *b = sdk_pbjson_dumps_new(&pv->task_info->base);
        CHECK_MSG(!strcmp(a, b), "row '%s': sent != stored\n sent   %s\n stored %s", r->key, b, a);
        char *ea = sdk_pbjson_dumps_new(&e->base), *eb = sdk_pbjson_dumps_new(&pv->executor_info->base);
        CHECK_MSG(!strcmp(ea, eb), "row '%s': executor sent != stored", r->key);
        free(a); free(b); free(ea); free(eb);
        stored->executor = e;
        mesos__v1__task_info__free_unpacked(stored, NULL);
    }
    sdk_task_desc_free_contents(&t);
    sdk_executor_desc_free_contents(&ex);
    sdk_errors_free(&errs);
    free(buf);
    free(buf2);
}

static void test_table(void) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *base = parse(NULL, NULL, NULL, &errs, NULL);
    CHECK(base != NULL);
    for (size_t i = 0; base && i < sizeof ROWS / sizeof ROWS[0]; i++) {
        const row *r = &ROWS[i];
        sdk_errors_free(&errs);
        sdk_errors_init(&errs);
        sdk_spec *s = parse(r->top, r->pod, r->task, &errs, NULL);
        sdk_spec *again = parse(r->top, r->pod, r->task, &errs, NULL);
        CHECK_MSG(s && again, "row '%s' does not parse: %s", r->key, errs.n ? errs.msgs[0] : "?");
        if (!s || !again) {
            sdk_spec_free(s);
            sdk_spec_free(again);
            continue;
        }
        sdk_mapping_preview pv;
        int rc = sdk_mapping_preview_new(s, NULL, 0, "app-0-server", &pv, &errs);
        CHECK_MSG(rc == 0, "row '%s': no launch: %s", r->key, errs.n ? errs.msgs[0] : "?");
        if (!rc) {
            check_fields(r, &pv);
            check_round_trip(r, &pv);
            sdk_mapping_preview_free(&pv);
        }
        if (r->restarts >= 0) {
            /* a change of the key (base -> row and back) rolls the pod, or not (§5.2) ... */
            CHECK_MSG(sdk_pod_equivalent(&base->pods[0], &s->pods[0]) == !r->restarts,
                      "row '%s': adding the key %s the pod", r->key, r->restarts ? "does not roll" : "rolls");
            CHECK_MSG(sdk_pod_equivalent(&s->pods[0], &base->pods[0]) == !r->restarts,
                      "row '%s': removing the key %s the pod", r->key, r->restarts ? "does not roll" : "rolls");
        }
        /* ... and an unchanged key restarts nothing */
        CHECK_MSG(sdk_pod_equivalent(&s->pods[0], &again->pods[0]), "row '%s': the same spec rolls the pod", r->key);
        sdk_spec_free(s);
        sdk_spec_free(again);
    }
    sdk_spec_free(base);
    sdk_errors_free(&errs);
}

/* A changed value (not only an added key) of image and rlimits rolls the pod too. */
static void test_changed_values_roll(void) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *a = parse(NULL, "image: nginx:1.25\nrlimits:\n  RLIMIT_NOFILE:\n    soft: 1\n    hard: 2", NULL, &errs, NULL);
    sdk_spec *b = parse(NULL, "image: nginx:1.26\nrlimits:\n  RLIMIT_NOFILE:\n    soft: 1\n    hard: 2", NULL, &errs, NULL);
    sdk_spec *c = parse(NULL, "image: nginx:1.25\nrlimits:\n  RLIMIT_NOFILE:\n    soft: 1\n    hard: 3", NULL, &errs, NULL);
    CHECK(a && b && c);
    if (a && b && c) {
        CHECK(!sdk_pod_equivalent(&a->pods[0], &b->pods[0]));
        CHECK(!sdk_pod_equivalent(&a->pods[0], &c->pods[0]));
    }
    sdk_spec_free(a);
    sdk_spec_free(b);
    sdk_spec_free(c);
    sdk_errors_free(&errs);
}

/* GPU_RESOURCES is asked for exactly when a pod asks for GPUs. */
static void test_gpu_capability(void) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *a = parse(NULL, NULL, NULL, &errs, NULL), *b = parse(NULL, NULL, "gpus: 2", &errs, NULL);
    CHECK(a && b);
    CHECK(!sdk_mapping_uses_gpus(a));
    CHECK(sdk_mapping_uses_gpus(b));
    sdk_spec_free(a);
    sdk_spec_free(b);
    sdk_errors_free(&errs);
}

/* ---------------------------------------------------------------- bad input */

typedef struct bad {
    const char *what;
    const char *top, *pod, *task;
    const char *want; /* the whole "file:line:col: path: message" prefix or a part of it */
} bad;

static const bad BAD[] = {
    {"port mapping lists of different lengths", NULL,
     "networks:\n  mesos-bridge:\n    host-ports: [1, 2]\n    container-ports: [1]", NULL,
     "svc.yml:6:7: pods.app.networks.mesos-bridge: host-ports and container-ports must have the same length (2 != 1)"},
    {"port mapping on a network that cannot map", NULL,
     "networks:\n  dcos:\n    host-ports: [80]\n    container-ports: [80]", NULL,
     "svc.yml:6:7: pods.app.networks.dcos: network 'dcos' does not support port mapping (only mesos-bridge does)"},
    {"malformed network labels", NULL, "networks:\n  dcos:\n    labels: \"a:b,c\"", NULL,
     "svc.yml:7:9: pods.app.networks.dcos.labels: label 'c' has no ':'"},
    {"repeated network label", NULL, "networks:\n  dcos:\n    labels: \"a:b,a:c\"", NULL,
     "svc.yml:7:9: pods.app.networks.dcos.labels: duplicate label key 'a'"},
    {"unknown rlimit", NULL, "rlimits:\n  RLIMIT_FOO:\n    soft: 1\n    hard: 2", NULL,
     "svc.yml:6:7: pods.app.rlimits.RLIMIT_FOO: unknown rlimit 'RLIMIT_FOO'"},
    {"rlimit soft > hard", NULL, "rlimits:\n  RLIMIT_NOFILE:\n    soft: 10\n    hard: 2", NULL,
     "svc.yml:6:7: pods.app.rlimits.RLIMIT_NOFILE: soft limit 10 is greater than hard limit 2"},
    {"rlimit -1 on one side", NULL, "rlimits:\n  RLIMIT_NOFILE:\n    soft: -1\n    hard: 2", NULL,
     "svc.yml:6:7: pods.app.rlimits.RLIMIT_NOFILE: -1 (unlimited) must be used for both soft and hard"},
    {"rlimit soft without hard", NULL, "rlimits:\n  RLIMIT_NOFILE:\n    soft: 1", NULL,
     "svc.yml:6:7: pods.app.rlimits.RLIMIT_NOFILE: soft and hard must be given together"},
    {"absolute secret file", NULL, "secrets:\n  s:\n    secret: a/b\n    file: /etc/passwd", NULL,
     "svc.yml:8:9: pods.app.secrets.s.file: file '/etc/passwd' must be a relative path"},
    {"secret file escaping the sandbox", NULL, "secrets:\n  s:\n    secret: a/b\n    file: ../../x", NULL,
     "svc.yml:8:9: pods.app.secrets.s.file: file '../../x' must be a relative path"},
    {"relative host path", NULL, "host-volumes:\n  h:\n    host-path: var/log\n    container-path: logs", NULL,
     "svc.yml:7:9: pods.app.host-volumes.h.host-path: invalid host-path 'var/log' (expected an absolute path"},
    {"empty image", NULL, "image: \"\"", NULL,
     "svc.yml:5:5: pods.app.image: the Docker image name is empty"},
    {"empty legacy image-name", NULL, "container:\n  image-name: ''", NULL,
     "svc.yml:6:7: pods.app.container.image-name: the Docker image name is empty"},
    {"both seccomp keys", NULL, "seccomp-unconfined: true\nseccomp-profile-name: p", NULL,
     "svc.yml:6:5: pods.app.seccomp-profile-name: seccomp-unconfined and seccomp-profile-name cannot both be set"},
    {"transport-encryption", NULL, NULL, "transport-encryption:\n  - name: node\n    type: TLS",
     "svc.yml:11:9: pods.app.tasks.server.transport-encryption: transport-encryption needs a certificate authority"},
    {"malformed driver options", NULL,
     "external-volumes:\n  e:\n    type: DOCKER\n    container-path: x\n    driver-name: d\n    driver-options: size",
     NULL, "svc.yml:10:9: pods.app.external-volumes.e.driver-options: driver option 'size' has no '='"},
    {"container: beside pod-level image", NULL, "image: a\ncontainer:\n  image-name: b", NULL,
     "svc.yml:6:5: pods.app.container: container settings may be given directly under the pod"},
    {"unknown key in a task", NULL, NULL, "imagee: x",
     "svc.yml:11:9: pods.app.tasks.server: unknown key 'imagee' in a task"},
    {"unknown key in a network", NULL, "networks:\n  dcos:\n    lables: x", NULL,
     "svc.yml:7:9: pods.app.networks.dcos: unknown key 'lables' in a network"},
};

static void test_bad_input(void) {
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        const bad *b = &BAD[i];
        sdk_errors errs;
        sdk_errors_init(&errs);
        sdk_spec *s = parse(b->top, b->pod, b->task, &errs, NULL);
        CHECK_MSG(!s, "%s: accepted", b->what);
        bool found = false;
        for (size_t k = 0; k < errs.n && !found; k++) found = strstr(errs.msgs[k], b->want) != NULL;
        CHECK_MSG(found, "%s: no error containing \"%s\" (got: %s)", b->what, b->want, errs.n ? errs.msgs[0] : "none");
        sdk_spec_free(s);
        sdk_errors_free(&errs);
    }
}

/* Unknown keys directly inside a pod are tolerated as upstream tolerates them, with a warning
 * naming file:line. */
static void test_unknown_pod_key_warns(void) {
    sdk_errors errs, warns;
    sdk_errors_init(&errs);
    sdk_errors_init(&warns);
    sdk_spec *s = parse(NULL, "imag: nginx\nuser: bob", NULL, &errs, &warns);
    CHECK(s != NULL);
    CHECK_INT(errs.n, 0);
    CHECK_INT(warns.n, 1); /* `user` is a key dcos-commons documents as ignored: no warning */
    if (warns.n == 1)
        CHECK_STR(warns.msgs[0], "svc.yml:5:5: pods.app: unknown key 'imag' in a pod is ignored (as dcos-commons ignores it)");
    CHECK(s && !s->pods[0].image);
    sdk_spec_free(s);
    sdk_errors_free(&errs);
    sdk_errors_free(&warns);
}

/* ---------------------------------------------------------------- stored format */

/* A TaskInfo stored by an older build (no container, no limits, no secret variables) still
 * decodes, and what it held is written back unchanged; a stored container this build would
 * build differently (pod volumes from the executor, older builds) is kept as stored. */
static void test_older_stored_taskinfo(void) {
    Mesos__V1__TaskInfo ti = MESOS__V1__TASK_INFO__INIT;
    Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
    Mesos__V1__AgentID aid = MESOS__V1__AGENT_ID__INIT;
    Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
    Mesos__V1__ContainerInfo ci = MESOS__V1__CONTAINER_INFO__INIT;
    Mesos__V1__Volume vol = MESOS__V1__VOLUME__INIT;
    Mesos__V1__Volume *vols[] = {&vol};
    ti.name = (char *)"app-0-server";
    tid.value = (char *)"svc__app-0-server__x";
    aid.value = (char *)"a1";
    cmd.value = (char *)"./run";
    ti.task_id = &tid;
    ti.agent_id = &aid;
    ti.command = &cmd;
    void *buf = NULL, *buf2 = NULL;
    size_t len = 0, len2 = 0;
    for (int with_container = 0; with_container < 2; with_container++) {
        if (with_container) {
            ci.type = MESOS__V1__CONTAINER_INFO__TYPE__MESOS;
            vol.container_path = (char *)"pod-data";
            vol.mode = MESOS__V1__VOLUME__MODE__RW;
            ci.volumes = vols;
            ci.n_volumes = 1;
            ti.container = &ci;
        }
        len = mesos__v1__task_info__get_packed_size(&ti);
        buf = sdk_xmalloc(len);
        mesos__v1__task_info__pack(&ti, buf);
        sdk_task_desc t;
        sdk_executor_desc ex;
        sdk_errors errs;
        sdk_errors_init(&errs);
        CHECK_INT(sdk_taskinfo_decode(buf, len, "old", &t, &ex, &errs), 0);
        CHECK(with_container ? t.container != NULL : t.container == NULL);
        CHECK(!t.cpus_limit.has && !t.memory_limit.has && t.n_secret_env == 0);
        CHECK_INT(sdk_taskinfo_encode_new(&t, &ex, &buf2, &len2), 0);
        Mesos__V1__TaskInfo *back = mesos__v1__task_info__unpack(NULL, len2, buf2);
        CHECK(back && back->n_limits == 0);
        CHECK(back && (with_container ? back->container && back->container->n_volumes == 1 &&
                                            !strcmp(back->container->volumes[0]->container_path, "pod-data")
                                      : !back->container));
        if (back) mesos__v1__task_info__free_unpacked(back, NULL);
        sdk_task_desc_free_contents(&t);
        sdk_executor_desc_free_contents(&ex);
        sdk_errors_free(&errs);
        free(buf);
        free(buf2);
    }
}

/* A running executor is relaunched into with the ExecutorInfo it was launched with (Mesos
 * refuses another for the same id), even when the spec now maps it differently. */
static void test_reused_executor_keeps_its_container(void) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *s = parse(NULL, "networks:\n  dcos:", NULL, &errs, NULL);
    CHECK(s != NULL);
    if (!s) return;
    sdk_mapping_preview pv;
    CHECK_INT(sdk_mapping_preview_new(s, NULL, 0, "app-0-server", &pv, &errs), 0);
    if (errs.n) { sdk_spec_free(s); sdk_errors_free(&errs); return; }
    sdk_launch_record rec;
    sdk_launch_record_from_task(pv.task, pv.executor, &rec);
    /* the stored executor was launched by an older build: no container */
    rec.executor_container = NULL;
    rec.executor_container_len = 0;
    sdk_offer o = {0};
    o.id = (char *)"o2";
    o.agent_id = (char *)"<agent-id>";
    o.hostname = (char *)"h";
    /* the offer holds what the first launch reserved, as a relaunch's offer does */
    sdk_resources_copy(&o.resources, &pv.result.remaining);
    for (size_t i = 0; i < pv.task->resources.n; i++) sdk_resources_add(&o.resources, &pv.task->resources.v[i]);
    for (size_t i = 0; i < pv.executor->resources.n; i++) sdk_resources_add(&o.resources, &pv.executor->resources.v[i]);
    const char *tasks[] = {"server"};
    char *role = sdk_spec_role_new(s);
    sdk_eval_request q = {.spec = s, .pod_type = "app", .index = 0, .tasks = tasks, .n_tasks = 1,
                          .recovery = SDK_RECOVERY_TRANSIENT, .records = &rec, .n_records = 1,
                          .executor_running = true, .role = role, .principal = s->principal};
    sdk_eval_result r;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, &errs), 0);
    CHECK_MSG(r.matched, "%s: %s", r.n_outcomes && r.outcomes[0].n_stages ? r.outcomes[0].stages[r.outcomes[0].n_stages - 1].stage : "?",
              r.n_outcomes && r.outcomes[0].n_stages ? r.outcomes[0].stages[r.outcomes[0].n_stages - 1].reason : "?");
    for (size_t i = 0; i < r.n_ops; i++)
        if (r.ops[i].type == SDK_OP_LAUNCH_GROUP) {
            CHECK(!r.ops[i].executor->is_new);
            CHECK(r.ops[i].executor->container == NULL);
            CHECK(r.ops[i].tasks[0].container != NULL);
        }
    sdk_eval_result_free(&r);
    sdk_resources_free(&o.resources);
    free(role);
    sdk_mapping_preview_free(&pv);
    sdk_spec_free(s);
    sdk_errors_free(&errs);
}

/* ---------------------------------------------------------------- scheduler --print-taskinfo */

static char *run_capture_new(const char *cmd, int *status) {
    FILE *f = popen(cmd, "r");
    if (!f) return NULL;
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) sdk_buf_append(&b, chunk, n);
    int st = pclose(f);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return sdk_buf_take(&b);
}

static void test_print_taskinfo_cli(void) {
    const char *bin = getenv("SDK_BIN_DIR") ? getenv("SDK_BIN_DIR") : "bin";
    char sched[PATH_MAX];
    if (!realpath(bin, sched)) {
        CHECK_MSG(false, "no binary directory %s", bin);
        return;
    }
    char dir[] = "/tmp/test_mapping_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *spec = sdk_asprintf_new("%s/svc.yml", dir);
    char *y = yaml_new(NULL, "image: nginx:1.25\nrlimits:\n  RLIMIT_NOFILE:\n    soft: 1024\n    hard: 1024", NULL);
    FILE *f = fopen(spec, "w");
    CHECK(f != NULL);
    if (f) { fputs(y, f); fclose(f); }
    int st = 0;
    char *cmd = sdk_asprintf_new("cd %s && %s/scheduler --spec svc.yml --print-taskinfo app-0-server 2>&1", dir, sched);
    char *out = run_capture_new(cmd, &st);
    CHECK_INT(st, 0);
    json_error_t je;
    json_t *j = out ? json_loads(out, 0, &je) : NULL;
    CHECK_MSG(j != NULL, "not JSON: %s", out ? out : "(null)");
    json_t *img = jpath(j, "task_info.container.mesos.image.docker.name");
    CHECK(json_is_string(img) && !strcmp(json_string_value(img), "nginx:1.25"));
    CHECK(json_is_string(jpath(j, "task_info.agent_id.value")) &&
          !strcmp(json_string_value(jpath(j, "task_info.agent_id.value")), "<agent-id>"));
    CHECK(json_is_string(jpath(j, "task_info.task_id.value")) &&
          !strcmp(json_string_value(jpath(j, "task_info.task_id.value")), "svc__app-0-server__<uuid-5>"));
    CHECK(json_integer_value(jpath(j, "task_info.container.rlimit_info.rlimits[0].soft")) == 1024);
    CHECK(jpath(j, "executor_info.executor_id.value") != NULL);
    CHECK(jpath(j, "task_info.executor") == NULL);
    json_decref(j);
    free(out);
    free(cmd);
    /* a bad name: an error listing what exists, non-zero exit */
    cmd = sdk_asprintf_new("cd %s && %s/scheduler --spec svc.yml --print-taskinfo app-3-server 2>&1", dir, sched);
    out = run_capture_new(cmd, &st);
    CHECK(st != 0);
    CHECK_CONTAINS(out, "no task 'app-3-server' in service 'svc'");
    CHECK_CONTAINS(out, "the tasks are: app-0-server");
    free(out);
    free(cmd);
    /* it wrote nothing: the directory holds only the spec */
    struct stat sb;
    char *work = sdk_asprintf_new("%s/sdk-work", dir);
    CHECK(stat(work, &sb) != 0);
    free(work);
    unlink(spec);
    rmdir(dir);
    free(spec);
    free(y);
}

int main(void) {
    RUN(test_table);
    RUN(test_changed_values_roll);
    RUN(test_gpu_capability);
    RUN(test_bad_input);
    RUN(test_unknown_pod_key_warns);
    RUN(test_older_stored_taskinfo);
    RUN(test_reused_executor_keeps_its_container);
    RUN(test_print_taskinfo_cli);
    return check_summary("test_mapping");
}
