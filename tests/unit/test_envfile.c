/* Env files (KEY=VALUE lines) that stand in for the scheduler environment. */
#include "core/spec/envfile.h"
#include "core/util/str.h"
#include "tests/unit/check.h"

static void test_parse(void) {
    const char *t = "# comment\n\nA=1\n  # indented comment\nB=x=y=z\nC=\nD=with space \r\nA=2\nE=#not a comment";
    sdk_kv *kv = NULL;
    size_t n = 0;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_envfile_parse_new(t, strlen(t), "x.env", &kv, &n, &errs), 0);
    CHECK_INT(errs.n, 0);
    CHECK_INT(n, 5);
    if (n == 5) {
        CHECK_STR(kv[0].key, "A");
        CHECK_STR(kv[0].value, "2"); /* later value wins, first position kept */
        CHECK_STR(kv[1].value, "x=y=z");
        CHECK_STR(kv[2].key, "C");
        CHECK_STR(kv[2].value, "");
        CHECK_STR(kv[3].value, "with space ");
        CHECK_STR(kv[4].value, "#not a comment");
    }
    sdk_envfile_free(kv, n);
    sdk_errors_free(&errs);
}

static void test_errors(void) {
    const char *t = "A=1\nno equals here\n1BAD=2\n=3\nOK=4\nBAD-KEY=5\n";
    sdk_kv *kv = (sdk_kv *)1;
    size_t n = 7;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_envfile_parse_new(t, strlen(t), "x.env", &kv, &n, &errs), SDK_EINVAL);
    CHECK(kv == NULL && n == 0);
    CHECK_INT(errs.n, 4);
    if (errs.n == 4) {
        CHECK_STR(errs.msgs[0], "x.env:2: line has no '=' (expected KEY=VALUE): 'no equals here'");
        CHECK_CONTAINS(errs.msgs[1], "x.env:3: bad variable name '1BAD'");
        CHECK_CONTAINS(errs.msgs[2], "x.env:4: bad variable name ''");
        CHECK_CONTAINS(errs.msgs[3], "x.env:6: bad variable name 'BAD-KEY'");
    }
    sdk_errors_free(&errs);
}

/* A NUL used to cut the value silently ("B=se" from "B=se\0cret"). */
static void test_nul_refused(void) {
    static const char T[] = "A=1\nB=se\0cret\n";
    sdk_kv *kv = (sdk_kv *)1;
    size_t n = 7;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_envfile_parse_new(T, sizeof T - 1, "x.env", &kv, &n, &errs), SDK_EINVAL);
    CHECK(kv == NULL);
    CHECK_INT(n, 0);
    CHECK(errs.n == 1 && strstr(errs.msgs[0], "x.env:2: a NUL byte at byte offset 8"));
    sdk_errors_free(&errs);
}

static void test_read_file(void) {
    sdk_kv *kv = NULL;
    size_t n = 0;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_envfile_read_new("/nonexistent/dir/x.env", &kv, &n, &errs), SDK_ENOENT);
    CHECK(sdk_errors_contains(&errs, "/nonexistent/dir/x.env: cannot read env file: no such file"));
    sdk_errors_free(&errs);
    char *p = sdk_asprintf_new("%s/examples/dcos-commons/svc.env", check_shared_dir());
    sdk_errors_init(&errs);
    CHECK_INT(sdk_envfile_read_new(p, &kv, &n, &errs), 0);
    CHECK(n > 10);
    CHECK_STR(kv[0].key, "FRAMEWORK_NAME");
    CHECK_STR(kv[0].value, "hello-world");
    sdk_envfile_free(kv, n);
    sdk_errors_free(&errs);
    free(p);
}

int main(void) {
    RUN(test_parse);
    RUN(test_errors);
    RUN(test_nul_refused);
    RUN(test_read_file);
    return check_summary("test_envfile");
}
