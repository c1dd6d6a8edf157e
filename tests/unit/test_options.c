/* Package options (core/spec/options.h): declaring, checking values, -o translation, nested JSON
 * to variables and back, config.json files and their errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/spec/envfile.h"
#include "core/spec/options.h"
#include "core/util/str.h"

static sdk_options *hello_options(void) {
    sdk_options *o = sdk_options_new();
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(sdk_options_add(o, "t", "hello.count", "HELLO_COUNT", SDK_OPTION_INTEGER, "1", "hello pods", "1",
                              NULL, NULL, &e), 0);
    CHECK_INT(sdk_options_add(o, "t", "hello.cpus", "HELLO_CPUS", SDK_OPTION_NUMBER, "0.1", "cpus", "0.01", "4",
                              NULL, &e), 0);
    CHECK_INT(sdk_options_add(o, "t", "world.count", "WORLD_COUNT", SDK_OPTION_INTEGER, "2", "world pods", "0",
                              NULL, NULL, &e), 0);
    CHECK_INT(sdk_options_add(o, "t", "service.tls", "TLS", SDK_OPTION_BOOLEAN, "false", "tls", NULL, NULL, NULL,
                              &e), 0);
    CHECK_INT(sdk_options_add(o, "t", "service.mode", "MODE", SDK_OPTION_STRING, "V1", "mode", NULL, NULL, "V0|V1",
                              &e), 0);
    CHECK_INT(e.n, 0);
    sdk_errors_free(&e);
    return o;
}

static void test_declaration_errors(void) {
    sdk_options *o = hello_options();
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(sdk_options_add(o, "p.so", "hello..x", "X", SDK_OPTION_STRING, "", "", NULL, NULL, NULL, &e),
              SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "p.so: option 'hello..x': bad name"));
    CHECK_INT(sdk_options_add(o, "p.so", "hello.other", "HELLO_COUNT", SDK_OPTION_STRING, "", "", NULL, NULL, NULL,
                              &e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "options hello.count and hello.other both feed the variable HELLO_COUNT"));
    CHECK_INT(sdk_options_add(o, "p.so", "hello.count", "OTHER", SDK_OPTION_STRING, "", "", NULL, NULL, NULL, &e),
              SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "option hello.count is declared twice"));
    CHECK_INT(sdk_options_add(o, "p.so", "hello", "H", SDK_OPTION_STRING, "", "", NULL, NULL, NULL, &e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "option hello has options nested inside it"));
    CHECK_INT(sdk_options_add(o, "p.so", "a.b", "1BAD", SDK_OPTION_STRING, "", "", NULL, NULL, NULL, &e),
              SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "bad template variable '1BAD'"));
    CHECK_INT(sdk_options_add(o, "p.so", "a.n", "AN", SDK_OPTION_INTEGER, "0", "", "1", NULL, NULL, &e), SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "p.so: the default of a.n: expected an integer >= 1, found \"0\""));
    CHECK_INT(sdk_options_add(o, "p.so", "a.m", "AM", SDK_OPTION_INTEGER, "0", "", "low", NULL, NULL, &e),
              SDK_EINVAL);
    CHECK(sdk_errors_contains(&e, "minimum 'low' is not a number"));
    CHECK_INT(o->n, 5); /* nothing refused was added */
    sdk_errors_free(&e);
    sdk_options_free(o);
}

static void test_value_checks(void) {
    sdk_options *o = hello_options();
    sdk_errors e;
    sdk_errors_init(&e);
    const sdk_option_def *c = sdk_options_find_path(o, "hello.count");
    CHECK(sdk_option_check(c, "3", &e));
    CHECK(!sdk_option_check(c, "abc", &e));
    CHECK(sdk_errors_contains(&e, "hello.count: expected an integer >= 1, found \"abc\""));
    CHECK(!sdk_option_check(c, "0", &e));
    CHECK(!sdk_option_check(c, "1.5", &e));
    CHECK(!sdk_option_check(c, "", &e));
    const sdk_option_def *cpu = sdk_options_find_path(o, "hello.cpus");
    CHECK(sdk_option_check(cpu, "0.5", &e));
    CHECK(!sdk_option_check(cpu, "5", &e));
    CHECK(sdk_errors_contains(&e, "hello.cpus: expected a number >= 0.01 and <= 4, found \"5\""));
    CHECK(!sdk_option_check(cpu, "0x1", &e)); /* strtod would take it; JSON would not */
    CHECK(!sdk_option_check(cpu, "inf", &e));
    const sdk_option_def *tls = sdk_options_find_path(o, "service.tls");
    CHECK(sdk_option_check(tls, "true", &e));
    CHECK(!sdk_option_check(tls, "yes", &e));
    CHECK(sdk_errors_contains(&e, "service.tls: expected true or false, found \"yes\""));
    const sdk_option_def *mode = sdk_options_find_path(o, "service.mode");
    CHECK(!sdk_option_check(mode, "V2", &e));
    CHECK(sdk_errors_contains(&e, "service.mode: expected one of \"V0\", \"V1\", found \"V2\""));
    sdk_kv vars[] = {{"HELLO_COUNT", "2"}, {"UNRELATED", "x"}, {"WORLD_COUNT", "-1"}};
    size_t before = e.n;
    CHECK_INT(sdk_options_check_vars(o, vars, 3, &e), SDK_EINVAL);
    CHECK_INT(e.n, before + 1);
    CHECK(sdk_errors_contains(&e, "world.count: expected an integer >= 0, found \"-1\""));
    sdk_errors_free(&e);
    sdk_options_free(o);
}

static void test_translate(void) {
    sdk_options *o = hello_options();
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_kv in[] = {{"hello.count", "3"}, {"WORLD_COUNT", "4"}, {"OTHER", "x"}};
    sdk_kv *out = NULL;
    size_t n = 0;
    CHECK_INT(sdk_options_translate_new(o, in, 3, &out, &n, &e), 0);
    CHECK_INT(n, 3);
    if (n == 3) {
        CHECK_STR(out[0].key, "HELLO_COUNT");
        CHECK_STR(out[0].value, "3");
        CHECK_STR(out[1].key, "WORLD_COUNT");
        CHECK_STR(out[2].key, "OTHER");
    }
    sdk_envfile_free(out, n);
    sdk_kv bad[] = {{"hello.cuont", "3"}};
    out = NULL;
    CHECK_INT(sdk_options_translate_new(o, bad, 1, &out, &n, &e), SDK_EINVAL);
    CHECK(out == NULL);
    CHECK(sdk_errors_contains(&e, "-o 'hello.cuont=3': hello.cuont is not an option of this service"));
    sdk_errors_free(&e);
    sdk_options_free(o);
}

static void test_flatten_and_back(void) {
    sdk_options *o = hello_options();
    sdk_errors e;
    sdk_errors_init(&e);
    json_t *j = json_loads("{\"hello\": {\"count\": 3, \"cpus\": 0.5}, \"service\": {\"tls\": true, \"mode\": \"V0\"},"
                           " \"WORLD_COUNT\": \"5\"}", 0, NULL);
    sdk_kv *kv = NULL;
    size_t n = 0;
    CHECK_INT(sdk_options_flatten_json(o, j, &kv, &n, &e), 0);
    CHECK_INT(e.n, 0);
    CHECK_INT(n, 5);
    json_t *back = sdk_options_to_json_new(o, kv, n, false);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(back, "hello"), "count")), 3);
    CHECK(json_is_real(json_object_get(json_object_get(back, "hello"), "cpus")));
    CHECK(json_is_true(json_object_get(json_object_get(back, "service"), "tls")));
    CHECK_INT(json_integer_value(json_object_get(json_object_get(back, "world"), "count")), 5);
    json_decref(back);
    /* all = true: every option, defaults where vars lack them */
    json_t *all = sdk_options_to_json_new(o, NULL, 0, true);
    CHECK_INT(json_integer_value(json_object_get(json_object_get(all, "world"), "count")), 2);
    CHECK_STR(json_string_value(json_object_get(json_object_get(all, "service"), "mode")), "V1");
    json_decref(all);
    sdk_envfile_free(kv, n);
    json_decref(j);

    j = json_loads("{\"hello\": {\"count\": true, \"cuont\": 1}, \"world\": 3, \"service\": {\"mode\": \"V9\"}}", 0,
                   NULL);
    kv = NULL;
    CHECK_INT(sdk_options_flatten_json(o, j, &kv, &n, &e), SDK_EINVAL);
    CHECK(kv == NULL);
    CHECK(sdk_errors_contains(&e, "hello.count: expected an integer >= 1, found true"));
    CHECK(sdk_errors_contains(&e, "hello.cuont: not an option of this service"));
    CHECK(sdk_errors_contains(&e, "world: expected an object of options"));
    CHECK(sdk_errors_contains(&e, "service.mode: expected one of"));
    json_decref(j);
    sdk_errors_free(&e);
    sdk_options_free(o);
}

static char *write_tmp(const char *text) {
    char *path = sdk_xstrdup("/tmp/sdk-options-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return path;
    if (write(fd, text, strlen(text)) < 0) perror("write");
    close(fd);
    return path;
}

static void test_config_json(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_options *o = NULL;
    CHECK_INT(sdk_options_load_file_new("tests/options/hello-config.json", &o, &e), 0);
    CHECK_INT(e.n, 0);
    if (o) {
        const sdk_option_def *d = sdk_options_find_path(o, "service.name");
        CHECK(d && !strcmp(d->variable, "FRAMEWORK_NAME"));
        d = sdk_options_find_path(o, "world.kill_grace_period");
        CHECK(d && !strcmp(d->variable, "WORLD_KILL_GRACE_PERIOD"));
        d = sdk_options_find_path(o, "world.count");
        CHECK(d && d->has_max && d->max == 50 && d->type == SDK_OPTION_INTEGER);
        /* the schema served by describe round-trips through a file */
        json_t *schema = sdk_options_schema_json_new(o);
        char *text = json_dumps(schema, 0);
        char *path = write_tmp(text);
        sdk_options *again = NULL;
        CHECK_INT(sdk_options_load_file_new(path, &again, &e), 0);
        CHECK_INT(again ? again->n : 0, o->n);
        sdk_options_free(again);
        unlink(path);
        free(path);
        free(text);
        json_decref(schema);
    }
    sdk_options_free(o);

    char *bad = write_tmp("{\"properties\": {\"a\": {\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"int\"},"
                          " \"m\": {\"type\": \"integer\", \"minimum\": \"x\", \"default\": 1}}}}}");
    o = NULL;
    CHECK_INT(sdk_options_load_file_new(bad, &o, &e), SDK_EINVAL);
    CHECK(o == NULL);
    char *want = sdk_asprintf_new("%s: properties.a.properties.n.type: 'int' is not an option type", bad);
    CHECK(sdk_errors_contains(&e, want));
    free(want);
    CHECK(sdk_errors_contains(&e, "option a.m: minimum 'x' is not a number"));
    unlink(bad);
    free(bad);
    bad = write_tmp("{\"properties\": {\n  \"a\": }");
    CHECK_INT(sdk_options_load_file_new(bad, &o, &e), SDK_EINVAL);
    want = sdk_asprintf_new("%s:2:", bad);
    CHECK(sdk_errors_contains(&e, want));
    free(want);
    unlink(bad);
    free(bad);
    sdk_errors_free(&e);
}

int main(void) {
    RUN(test_declaration_errors);
    RUN(test_value_checks);
    RUN(test_translate);
    RUN(test_flatten_and_back);
    RUN(test_config_json);
    return check_summary("test_options");
}
