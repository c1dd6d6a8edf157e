/* Input that used to wedge the scheduler (issue #14 items 2 and 8): each is refused at parse
 * with a message naming what and where, and nothing is written.
 *   - resource amounts beyond Mesos' fixed-point scalars (were silently dropped), and the
 *     milli arithmetic itself saturating instead of overflowing;
 *   - a NUL byte (silently cut the spec);
 *   - pod/task/resource-set/plan/phase names that break task ids and state paths;
 *   - YAML size, depth, node count, anchors and aliases (quadratic or exponential parse);
 *   - pod counts (a count of 1,000,000 took 1.5 GB);
 *   - `state dump` of a missing store (created an empty one and exited 0);
 *   - options nothing uses (-o NOPE=1 was silently ignored). */
#include "core/service/assemble.h"
#include "core/spec/mustache.h"
#include "core/spec/spec.h"
#include "core/spec/spec_load.h"
#include "core/state/dump.h"
#include "core/state/store.h"
#include "core/util/str.h"
#include "mesos/resources.h"
#include "mesos/resources_pb.h"
#include "tests/unit/check.h"
#include "tests/unit/e2e_support.h"
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/* Errors of parsing yaml[0..len) joined by '\n' (new string; "" when it parsed). */
static char *parse_errs_n(const char *yaml, size_t len) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *s = NULL;
    int rc = sdk_spec_parse(yaml, len, "svc.yml", NULL, &s, &errs);
    CHECK((rc == 0) == (errs.n == 0));
    CHECK((rc == 0) == (s != NULL));
    sdk_spec_free(s);
    sdk_buf b;
    sdk_buf_init(&b);
    for (size_t i = 0; i < errs.n; i++) sdk_buf_printf(&b, "%s\n", errs.msgs[i]);
    sdk_errors_free(&errs);
    return sdk_buf_take(&b);
}
static char *parse_errs(const char *yaml) { return parse_errs_n(yaml, strlen(yaml)); }

#define HEAD "name: svc\npods:\n  hello:\n    count: 1\n    tasks:\n      server:\n" \
             "        goal: RUNNING\n        cmd: run\n"

typedef struct {
    const char *what, *yaml, *expect;
} bad_case;

static void check_cases(const bad_case *cases, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char *e = parse_errs(cases[i].yaml);
        CHECK_MSG(strstr(e, cases[i].expect) != NULL, "%s: expected '%s' in:\n%s", cases[i].what,
                  cases[i].expect, e);
        free(e);
    }
}

/* ------------------------------------------------------------------ resource amounts */

static void test_resource_amounts_refused(void) {
    static const bad_case CASES[] = {
        { "memory 1e308", HEAD "        cpus: 1\n        memory: 1e308\n",
          "svc.yml:10:9: pods.hello.tasks.server.memory: 1e308 is too large" },
        { "cpus 1e19", HEAD "        cpus: 1e19\n",
          "svc.yml:9:9: pods.hello.tasks.server.cpus: 1e19 is too large" },
        { "gpus just over the bound", HEAD "        cpus: 1\n        gpus: 9007199254741\n",
          "pods.hello.tasks.server.gpus: 9007199254741 is too large" },
        { "cpus that round to 0", HEAD "        cpus: 0.0004\n",
          "svc.yml:9:9: pods.hello.tasks.server.cpus: 0.0004 is too small" },
        { "resource-limits memory", HEAD "        cpus: 1\n        memory: 10\n        resource-limits:\n"
          "          memory: 1e300\n", "pods.hello.tasks.server.resource-limits.memory: 1e300 is too large" },
        { "volume size", HEAD "        cpus: 1\n        volume:\n          path: data\n          type: ROOT\n"
          "          size: 9223372036854775\n", "pods.hello.tasks.server.volume.size: must be between 1 and "
          "9007199254740" },
    };
    check_cases(CASES, sizeof CASES / sizeof CASES[0]);
    /* the largest amount is accepted, and no "no resources" noise follows a refused amount */
    char *e = parse_errs(HEAD "        cpus: 9007199254740.99\n");
    CHECK_STR(e, "");
    free(e);
    e = parse_errs(HEAD "        cpus: 1e19\n");
    CHECK(strstr(e, "has no resources") == NULL);
    free(e);
}

static void test_milli_arithmetic_saturates(void) {
    int64_t m = -1;
    CHECK(!sdk_scalar_to_milli_checked(1e308, &m));
    CHECK(!sdk_scalar_to_milli_checked(NAN, &m));
    CHECK(!sdk_scalar_to_milli_checked(INFINITY, &m));
    CHECK_INT(m, -1);
    CHECK(sdk_scalar_to_milli_checked(0.5, &m));
    CHECK_INT(m, 500);
    /* the unchecked conversion saturates instead of overflowing (llround(1e311) is undefined) */
    CHECK_INT(sdk_scalar_to_milli(1e308), SDK_SCALAR_MAX_MILLI);
    CHECK_INT(sdk_scalar_to_milli(-1e308), -SDK_SCALAR_MAX_MILLI);
    CHECK_INT(sdk_scalar_to_milli(NAN), 0);
    CHECK_INT(sdk_milli_add(INT64_MAX - 1, 5), INT64_MAX);
    CHECK_INT(sdk_milli_add(INT64_MIN + 1, -5), INT64_MIN);
    CHECK_INT(sdk_milli_sub(INT64_MIN + 1, 5), INT64_MIN);
    CHECK_INT(sdk_milli_sub(INT64_MAX - 1, -5), INT64_MAX);
    CHECK_INT(sdk_milli_add(2, 3), 5);

    /* adding and summing huge scalars (e.g. an agent's resources decoded elsewhere) saturates */
    sdk_resources rs;
    sdk_resources_init(&rs);
    sdk_resource r = { .name = "mem", .type = SDK_RES_SCALAR, .milli = INT64_MAX - 10 };
    sdk_resources_add(&rs, &r);
    sdk_resources_add(&rs, &r);
    CHECK_INT(rs.n, 1);
    if (rs.n) CHECK_INT(rs.v[0].milli, INT64_MAX);
    sdk_resource other = { .name = "mem", .type = SDK_RES_SCALAR, .milli = INT64_MAX - 10,
                           .allocation_role = "x" };
    sdk_resources_add(&rs, &other);
    CHECK_INT(sdk_resources_scalar_sum(&rs, "mem", NULL, NULL), INT64_MAX);
    sdk_resources_free(&rs);
}

static void test_pb_scalar_bounds(void) {
    Mesos__V1__Value__Scalar sc = MESOS__V1__VALUE__SCALAR__INIT;
    Mesos__V1__Resource pb = MESOS__V1__RESOURCE__INIT;
    pb.name = "mem";
    pb.type = MESOS__V1__VALUE__TYPE__SCALAR;
    pb.scalar = &sc;
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_resource r;
    sc.value = 1e300;
    CHECK(sdk_resource_from_pb(&r, &pb, &errs) != 0);
    CHECK(errs.n == 1 && strstr(errs.msgs[0], "out of range"));
    sdk_resource_free_contents(&r);
    sc.value = 512.25;
    CHECK(sdk_resource_from_pb(&r, &pb, &errs) == 0);
    CHECK_INT(r.milli, 512250);
    sdk_resource_free_contents(&r);
    sdk_errors_free(&errs);
}

/* ------------------------------------------------------------------ NUL bytes */

static void test_nul_byte_refused(void) {
    static const char Y[] = HEAD "        cpus: 1\x00\n        memory: 64\n";
    char *e = parse_errs_n(Y, sizeof Y - 1);
    CHECK_CONTAINS(e, "svc.yml:9: a NUL byte at byte offset 117");
    free(e);

    /* a --spec file: refused before rendering, which would cut it at the NUL */
    char dir[] = "/tmp/specnulXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *path = sdk_asprintf_new("%s/svc.yml", dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite(Y, 1, sizeof Y - 1, f);
        fclose(f);
    }
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *s = NULL;
    CHECK(sdk_spec_load_file_new(path, NULL, 0, true, &s, &errs) == SDK_EINVAL);
    CHECK(s == NULL);
    CHECK(errs.n == 1 && strstr(errs.msgs[0], ":9: a NUL byte at byte offset 117"));
    sdk_errors_free(&errs);
    unlink(path);
    rmdir(dir);
    free(path);
}

/* ------------------------------------------------------------------ names */

static void test_bad_names_refused(void) {
    static const bad_case CASES[] = {
        { "pod with /", "name: svc\npods:\n  a/b:\n    count: 1\n    tasks:\n      server:\n"
          "        goal: RUNNING\n        cmd: run\n        cpus: 1\n",
          "svc.yml:3:3: pods.a/b: invalid pod type name 'a/b'" },
        { "pod with ..", "name: svc\npods:\n  a..b:\n    count: 1\n    tasks:\n      server:\n"
          "        goal: RUNNING\n        cmd: run\n        cpus: 1\n", "invalid pod type name 'a..b'" },
        { "pod with a newline", "name: svc\npods:\n  \"a\\nb\":\n    count: 1\n    tasks:\n      server:\n"
          "        goal: RUNNING\n        cmd: run\n        cpus: 1\n", "invalid pod type name 'a?b'" },
        { "empty pod", "name: svc\npods:\n  \"\":\n    count: 1\n    tasks:\n      server:\n"
          "        goal: RUNNING\n        cmd: run\n        cpus: 1\n", "invalid pod type name '': it is empty" },
        { "pod with __", "name: svc\npods:\n  a__b:\n    count: 1\n    tasks:\n      server:\n"
          "        goal: RUNNING\n        cmd: run\n        cpus: 1\n", "invalid pod type name 'a__b': it contains '__'" },
        { "task with a space", "name: svc\npods:\n  hello:\n    count: 1\n    tasks:\n      \"my task\":\n"
          "        goal: RUNNING\n        cmd: run\n        cpus: 1\n",
          "svc.yml:6:7: pods.hello.tasks.my task: invalid task name 'my task'" },
        { "task starting with -", "name: svc\npods:\n  hello:\n    count: 1\n    tasks:\n      -x:\n"
          "        goal: RUNNING\n        cmd: run\n        cpus: 1\n", "invalid task name '-x': it must start" },
        { "resource set with /", "name: svc\npods:\n  hello:\n    count: 1\n    resource-sets:\n"
          "      ../x:\n        cpus: 1\n    tasks:\n      server:\n        goal: RUNNING\n        cmd: run\n"
          "        resource-set: ../x\n", "svc.yml:6:7: pods.hello.resource-sets.../x: invalid resource set name" },
        { "plan with /", HEAD "        cpus: 1\nplans:\n  deploy:\n    phases:\n      p:\n        pod: hello\n"
          "  x/y:\n    phases:\n      p:\n        pod: hello\n", "svc.yml:15:3: plans.x/y: invalid plan name 'x/y'" },
        { "phase with a dot", HEAD "        cpus: 1\nplans:\n  deploy:\n    phases:\n      p.1:\n        pod: hello\n",
          "svc.yml:13:7: plans.deploy.phases.p.1: invalid phase name 'p.1'" },
        { "name too long", "name: svc\npods:\n  hello:\n    count: 1\n    tasks:\n      "
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:\n"
          "        goal: RUNNING\n        cmd: run\n        cpus: 1\n", "it is longer than 128 characters" },
    };
    check_cases(CASES, sizeof CASES / sizeof CASES[0]);
    char *e = parse_errs("name: svc\npods:\n  hello-world_2:\n    count: 1\n    tasks:\n      Server-1:\n"
                         "        goal: RUNNING\n        cmd: run\n        cpus: 1\n");
    CHECK_STR(e, "");
    free(e);
}

/* ------------------------------------------------------------------ YAML shape */

static char *nested_new(size_t depth) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "name: svc\nx: ");
    for (size_t i = 0; i < depth; i++) sdk_buf_putc(&b, '[');
    for (size_t i = 0; i < depth; i++) sdk_buf_putc(&b, ']');
    sdk_buf_putc(&b, '\n');
    return sdk_buf_take(&b);
}

static void test_yaml_depth(void) {
    char *y = nested_new(SDK_SPEC_MAX_DEPTH); /* 64 lists under the root mapping: 65 levels */
    char *e = parse_errs(y);
    CHECK_CONTAINS(e, "svc.yml:2:67: the YAML nests more than 64 levels deep");
    free(e);
    free(y);
    y = nested_new(SDK_SPEC_MAX_DEPTH - 1); /* within the limit: the schema reports the key */
    e = parse_errs(y);
    CHECK(strstr(e, "levels deep") == NULL);
    CHECK_CONTAINS(e, "unknown key 'x'");
    free(e);
    free(y);
    /* 100,000 levels: refused at once (the loader alone took seconds for 40,000) */
    y = nested_new(100000);
    double t0 = e2e_now();
    e = parse_errs(y);
    CHECK_CONTAINS(e, "levels deep");
    CHECK_MSG(e2e_now() - t0 < 2.0, "took %.2f s", e2e_now() - t0);
    free(e);
    free(y);
}

static void test_yaml_nodes_and_aliases(void) {
    /* more than a million nodes in under 4 MiB: "[0,0,0,...]" */
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "name: svc\nx: [");
    for (size_t i = 0; i <= SDK_SPEC_MAX_NODES; i++) sdk_buf_puts(&b, "0,");
    sdk_buf_puts(&b, "0]\n");
    char *e = parse_errs_n(b.data, b.len);
    CHECK_CONTAINS(e, "svc.yml:2:");
    CHECK_CONTAINS(e, "more than 1000000 YAML nodes");
    free(e);
    sdk_buf_free(&b);

    /* "billion laughs": 9 levels of 10 aliases each expand to 10^9 nodes */
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i < 9; i++) {
        sdk_buf_printf(&b, "a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++) sdk_buf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
        sdk_buf_puts(&b, "]\n");
    }
    double t0 = e2e_now();
    e = parse_errs(b.data);
    CHECK_CONTAINS(e, "more than 1000000 YAML nodes (aliases counted as what they repeat)");
    CHECK_MSG(e2e_now() - t0 < 2.0, "took %.2f s", e2e_now() - t0);
    free(e);
    sdk_buf_free(&b);

    /* anchors and aliases are counted */
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "name: svc\nx:\n");
    for (unsigned i = 0; i <= SDK_SPEC_MAX_ANCHORS; i++) sdk_buf_printf(&b, "  - &a%u v\n", i);
    e = parse_errs(b.data);
    CHECK_CONTAINS(e, "more than 1000 anchors");
    free(e);
    sdk_buf_free(&b);
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "name: svc\nx:\n  - &a v\n");
    for (unsigned i = 0; i <= SDK_SPEC_MAX_ALIASES; i++) sdk_buf_puts(&b, "  - *a\n");
    e = parse_errs(b.data);
    CHECK_CONTAINS(e, "more than 10000 aliases");
    free(e);
    sdk_buf_free(&b);

    /* a spec that uses a few anchors and aliases the ordinary way still parses */
    e = parse_errs("name: svc\npods:\n  hello:\n    count: 1\n    tasks:\n      server: &t\n"
                   "        goal: RUNNING\n        cmd: run\n        cpus: 1\n      other: *t\n");
    CHECK_STR(e, "");
    free(e);
}

static void test_spec_size(void) {
    size_t len = SDK_SPEC_MAX_BYTES + 1;
    char *y = sdk_xmalloc(len + 1);
    memset(y, '#', len);
    memcpy(y, "name: svc\n#", 11);
    y[len] = 0;
    char *e = parse_errs_n(y, len);
    CHECK_CONTAINS(e, "svc.yml: the spec is 4194305 bytes, more than the limit of 4194304 bytes");
    free(e);
    free(y);
}

/* ------------------------------------------------------------------ pod counts */

static void test_pod_counts(void) {
    char *e = parse_errs("name: svc\npods:\n  hello:\n    count: 1000000\n    tasks:\n      server:\n"
                         "        goal: RUNNING\n        cmd: run\n        cpus: 1\n"
                         "plans:\n  deploy:\n    phases:\n      p:\n        pod: hello\n        steps:\n"
                         "          - 0: [[server]]\n");
    CHECK_CONTAINS(e, "svc.yml:4:5: pods.hello.count: 1000000 pod instances is more than the limit of "
                      "100000 per pod type (raise it with --max-pods N)");
    /* the refused count does not go on to ask for a steps entry per instance */
    CHECK(strstr(e, "has no steps entry") == NULL);
    free(e);
    e = parse_errs("name: svc\npods:\n  a:\n    count: 60000\n    tasks:\n      t:\n"
                   "        goal: RUNNING\n        cmd: run\n        cpus: 1\n"
                   "  b:\n    count: 60000\n    tasks:\n      t:\n        goal: RUNNING\n        cmd: run\n"
                   "        cpus: 1\n");
    CHECK_CONTAINS(e, "svc.yml:2:1: pods: 120000 pod instances in total, more than the limit of 100000");
    free(e);
    e = parse_errs("name: svc\npods:\n  hello:\n    count: 100000\n    tasks:\n      server:\n"
                   "        goal: RUNNING\n        cmd: run\n        cpus: 1\n");
    CHECK_STR(e, "");
    free(e);
    sdk_spec_set_max_pods(3);
    CHECK_INT(sdk_spec_max_pods(), 3);
    e = parse_errs("name: svc\npods:\n  hello:\n    count: 4\n    tasks:\n      server:\n"
                   "        goal: RUNNING\n        cmd: run\n        cpus: 1\n");
    CHECK_CONTAINS(e, "4 pod instances is more than the limit of 3 per pod type");
    free(e);
    /* counts changed after parsing (a plugin's spec mutation) meet the limit in validation */
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_spec *s = NULL;
    sdk_spec_set_max_pods(0);
    static const char TWO[] = "name: svc\npods:\n  a:\n    count: 2\n    tasks:\n      t:\n"
                              "        goal: RUNNING\n        cmd: run\n        cpus: 1\n"
                              "  b:\n    count: 2\n    tasks:\n      t:\n        goal: RUNNING\n"
                              "        cmd: run\n        cpus: 1\n";
    CHECK(sdk_spec_parse(TWO, strlen(TWO), "svc.yml", NULL, &s, &errs) == 0);
    sdk_spec_set_max_pods(3);
    bool fatal = false;
    if (s) sdk_spec_validate_update(NULL, s, false, &errs, &fatal);
    CHECK(errs.n == 1 && strstr(errs.msgs[0], "4 pod instances in total is more than the limit of 3"));
    sdk_errors_free(&errs);
    sdk_spec_free(s);
    sdk_spec_set_max_pods(0);
    CHECK_INT(sdk_spec_max_pods(), SDK_SPEC_DEFAULT_MAX_PODS);
}

/* ------------------------------------------------------------------ state dump */

static void test_state_dump_missing(void) {
    char dir[] = "/tmp/dumpmissXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *missing = sdk_asprintf_new("%s/nothing", dir);
    char *url = sdk_asprintf_new("file:%s", missing);
    sdk_errors errs;
    sdk_errors_init(&errs);
    FILE *out = tmpfile();
    CHECK_INT(sdk_state_dump_url(url, out, &errs), SDK_ENOENT);
    CHECK(errs.n == 1 && strstr(errs.msgs[0], "no state at file:"));
    struct stat st;
    CHECK(stat(missing, &st) != 0); /* nothing created */
    sdk_errors_free(&errs);
    /* an existing, never written directory: still no state, and still nothing created in it */
    free(url);
    url = sdk_asprintf_new("file:%s", dir);
    sdk_errors_init(&errs);
    CHECK_INT(sdk_state_dump_url(url, out, &errs), SDK_ENOENT);
    char *lock = sdk_asprintf_new("%s/lock", dir);
    CHECK(stat(lock, &st) != 0);
    sdk_errors_free(&errs);
    CHECK(ftell(out) == 0); /* nothing printed */
    fclose(out);
    /* the command line: exit 1, the message on stderr, nothing created */
    char *cmd = sdk_asprintf_new("%s/scheduler --state file:%s state dump 2>&1; echo rc=$?",
                                 e2e_bin_dir(), missing);
    char *o = e2e_sh(cmd);
    CHECK_CONTAINS(o, "no state at file:");
    CHECK_CONTAINS(o, "rc=1");
    CHECK(stat(missing, &st) != 0);
    free(o);
    free(cmd);
    /* a store that exists but is empty (as after an uninstall) dumps as such */
    sdk_store *st_ = NULL;
    sdk_errors_init(&errs);
    CHECK(sdk_store_open_url(url, &st_, &errs) == 0);
    sdk_store_close(st_);
    out = tmpfile();
    CHECK_INT(sdk_state_dump_url(url, out, &errs), 0);
    CHECK_INT(errs.n, 0);
    CHECK(ftell(out) > 0);
    fclose(out);
    sdk_errors_free(&errs);
    cmd = sdk_asprintf_new("rm -rf %s", dir);
    o = e2e_sh(cmd);
    free(o);
    free(cmd);
    free(lock);
    free(url);
    free(missing);
}

/* ------------------------------------------------------------------ unused options */

static void test_options_check_known(void) {
    char dir[] = "/tmp/optknownXXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *path = sdk_asprintf_new("%s/svc.yml", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("name: {{NAME}}\npods:\n  hello:\n    count: {{COUNT}}\n    tasks:\n      server:\n"
          "        goal: RUNNING\n        cmd: run\n        cpus: 1\n{{#EXTRA}}\n        memory: 32\n{{/EXTRA}}\n", f);
    fclose(f);
    sdk_kv env[] = { { "NAME", "svc" }, { "COUNT", "1" } };
    sdk_assembly_input in = { .spec_path = path, .env = env, .n_env = 2 };
    sdk_assembly as;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK(sdk_assemble(&in, &as, &errs) == 0);
    if (errs.n) { fprintf(stderr, "%s\n", errs.msgs[0]); sdk_errors_free(&errs); return; }

    sdk_kv ok[] = { { "COUNT", "2" }, { "EXTRA", "true" }, { "TASKCFG_ALL_X", "1" },
                    { "PORT_API", "9000" }, { "ENABLE_BACKOFF", "true" } };
    CHECK_INT(sdk_options_check_known(&as, &in, ok, 5, "-o", &errs), 0);
    CHECK_INT(errs.n, 0);
    sdk_kv bad[] = { { "COUNT", "2" }, { "NOPE", "1" }, { "NOPE", "2" }, { "COUTN", "3" } };
    CHECK_INT(sdk_options_check_known(&as, &in, bad, 4, "-o", &errs), SDK_EINVAL);
    CHECK_INT(errs.n, 2); /* NOPE once, COUTN */
    if (errs.n == 2) {
        CHECK_CONTAINS(errs.msgs[0], "-o: option 'NOPE' is not used: the service spec (");
        CHECK_CONTAINS(errs.msgs[0], "does not reference {{NOPE}}");
        CHECK_CONTAINS(errs.msgs[1], "option 'COUTN' is not used");
    }
    sdk_errors_free(&errs);
    sdk_assembly_free(&as);

    /* the scheduler refuses them before running, for -o and for env files */
    char *envf = sdk_asprintf_new("%s/svc.env", dir);
    f = fopen(envf, "w");
    if (f) {
        fputs("NAME=svc\nCOUNT=1\nTYPO_VAR=1\n", f);
        fclose(f);
    }
    char *cmd = sdk_asprintf_new("%s/scheduler --spec %s --env-file %s -o NOPE=1 --validate 2>&1; echo rc=$?",
                                 e2e_bin_dir(), path, envf);
    char *o = e2e_sh(cmd);
    CHECK_CONTAINS(o, "-o: option 'NOPE' is not used");
    CHECK_CONTAINS(o, "svc.env: option 'TYPO_VAR' is not used");
    CHECK_CONTAINS(o, "rc=1");
    free(o);
    free(cmd);
    cmd = sdk_asprintf_new("%s/scheduler --spec %s -o NAME=svc -o COUNT=4 --max-pods 3 --validate 2>&1; echo rc=$?",
                           e2e_bin_dir(), path);
    o = e2e_sh(cmd);
    CHECK_CONTAINS(o, "4 pod instances is more than the limit of 3 per pod type");
    CHECK_CONTAINS(o, "rc=1");
    free(o);
    free(cmd);
    unlink(envf);
    free(envf);
    unlink(path);
    rmdir(dir);
    free(path);
}

static void test_mustache_names(void) {
    char **names = NULL;
    size_t n = 0;
    sdk_mustache_names_new("a {{X}} {{{Y}}} {{&Z}} {{#S}}{{X}}{{/S}} {{^I}}{{/I}} {{! C}} {{X}}", &names, &n);
    CHECK_INT(n, 5);
    if (n == 5) {
        CHECK_STR(names[0], "X");
        CHECK_STR(names[1], "Y");
        CHECK_STR(names[2], "Z");
        CHECK_STR(names[3], "S");
        CHECK_STR(names[4], "I");
    }
    sdk_mustache_names_free(names, n);
    sdk_mustache_names_new(NULL, &names, &n);
    CHECK_INT(n, 0);
    sdk_mustache_names_free(names, n);
}

int main(void) {
    RUN(test_resource_amounts_refused);
    RUN(test_milli_arithmetic_saturates);
    RUN(test_pb_scalar_bounds);
    RUN(test_nul_byte_refused);
    RUN(test_bad_names_refused);
    RUN(test_yaml_depth);
    RUN(test_yaml_nodes_and_aliases);
    RUN(test_spec_size);
    RUN(test_pod_counts);
    RUN(test_state_dump_missing);
    RUN(test_options_check_known);
    RUN(test_mustache_names);
    return check_summary("test_spec_limits");
}
