/* `--plugin NAME`: a bare name resolves to an installed plugin (relative to the executable's
 * prefix first, so a DESTDIR or relocated install works), else to a checkout's
 * plugins/NAME/NAME.so; a path is used as given; a miss lists every place tried. The last test
 * runs bin/scheduler ($SDK_BIN_DIR) from the source tree as a user does. */
#include "check.h"
#include "e2e_support.h"
#include "core/plugin/resolve.h"
#include "core/util/str.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[] = "/tmp/sdk-resolve-XXXXXX";

/* Creates the (empty) file root/rel and its directories. */
static void touch(const char *rel) {
    char *p = sdk_asprintf_new("%s/%s", root, rel);
    for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        mkdir(p, 0755);
        *s = '/';
    }
    int fd = open(p, O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    free(p);
}

static void test_names_and_paths(void) {
    CHECK(sdk_plugin_arg_is_name("hello"));
    CHECK(sdk_plugin_arg_is_name("my-svc_2"));
    CHECK(!sdk_plugin_arg_is_name("Hello"));
    CHECK(!sdk_plugin_arg_is_name("2x"));
    CHECK(!sdk_plugin_arg_is_name(""));
    CHECK(!sdk_plugin_arg_is_name("hello.so"));
    CHECK(!sdk_plugin_arg_is_name("plugins/hello/hello.so"));
    /* a path is passed through untouched, even when it does not exist */
    const char *paths[] = {"hello.so", "./hello", "plugins/hello/hello.so", "/nowhere/x.so"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        sdk_errors e;
        sdk_errors_init(&e);
        char *out = NULL;
        CHECK_INT(sdk_plugin_resolve_new(paths[i], "/x/bin/scheduler", &out, &e), 0);
        CHECK_STR(out, paths[i]);
        CHECK(!sdk_errors_any(&e));
        free(out);
        sdk_errors_free(&e);
    }
}

/* The executable exists (its directory must, for "EXEDIR/.." to mean anything). */
static char *resolve(const char *name, const char *exe_rel, sdk_errors *e) {
    touch(exe_rel);
    char *exe = sdk_asprintf_new("%s/%s", root, exe_rel);
    char *out = NULL;
    int rc = sdk_plugin_resolve_new(name, exe, &out, e);
    CHECK(rc == 0 || out == NULL);
    free(exe);
    return out;
}

static void test_installed_prefix_relative_to_the_binary(void) {
    touch("inst/lib/stateful-sdk/plugins/foo.so");
    touch("inst/plugins/foo/foo.so"); /* a checkout layout under the same prefix loses */
    sdk_errors e;
    sdk_errors_init(&e);
    char *out = resolve("foo", "inst/bin/scheduler", &e);
    char *want = sdk_asprintf_new("%s/inst/bin/../lib/stateful-sdk/plugins/foo.so", root);
    CHECK_STR(out, want);
    free(out);
    free(want);
    sdk_errors_free(&e);
}

static void test_checkout_layout(void) {
    touch("tree/plugins/bar/bar.so");
    sdk_errors e;
    sdk_errors_init(&e);
    char *out = resolve("bar", "tree/bin/scheduler", &e);
    char *want = sdk_asprintf_new("%s/tree/bin/../plugins/bar/bar.so", root);
    CHECK_STR(out, want);
    free(out);
    free(want);
    /* from the current directory of a checkout, whatever the binary's place */
    touch("cwd/plugins/baz/baz.so");
    char *here = getcwd(NULL, 0);
    char *cwd = sdk_asprintf_new("%s/cwd", root);
    CHECK_INT(chdir(cwd), 0);
    out = resolve("baz", "elsewhere/bin/scheduler", &e);
    CHECK_STR(out, "plugins/baz/baz.so");
    free(out);
    CHECK_INT(chdir(here), 0);
    free(here);
    free(cwd);
    sdk_errors_free(&e);
}

static void test_missing_lists_where_it_looked(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    char *out = resolve("nosuch", "inst/bin/scheduler", &e);
    CHECK(out == NULL);
    CHECK_INT(e.n, 1);
    char *a = sdk_asprintf_new("%s/inst/bin/../lib/stateful-sdk/plugins/nosuch.so", root);
    char *b = sdk_asprintf_new("%s/inst/bin/../plugins/nosuch/nosuch.so", root);
    if (e.n) {
        CHECK_CONTAINS(e.msgs[0], "--plugin nosuch: no plugin named 'nosuch'; looked for");
        CHECK_CONTAINS(e.msgs[0], a);
        CHECK_CONTAINS(e.msgs[0], b);
        CHECK_CONTAINS(e.msgs[0], ", plugins/nosuch/nosuch.so, /usr/local/lib/stateful-sdk/plugins/nosuch.so, "
                                  "/usr/lib/stateful-sdk/plugins/nosuch.so");
    }
    free(a);
    free(b);
    sdk_errors_free(&e);
}

static void test_scheduler_takes_a_name(void) {
    const char *bin = getenv("SDK_BIN_DIR");
    if (!bin || !*bin) bin = "bin";
    char *out;
    char *cmd = sdk_asprintf_new("SDK_LOG=warn %s/scheduler --plugin hello --validate 2>&1", bin);
    CHECK_INT(e2e_sh_status(cmd, &out), 0);
    CHECK_CONTAINS(out, "The service spec is valid.");
    free(out);
    free(cmd);
    cmd = sdk_asprintf_new("SDK_LOG=warn %s/scheduler --plugin no-such-plugin --validate 2>&1", bin);
    CHECK_INT(e2e_sh_status(cmd, &out), 2);
    CHECK_CONTAINS(out, "scheduler: --plugin no-such-plugin: no plugin named 'no-such-plugin'; looked for ");
    CHECK_CONTAINS(out, "plugins/no-such-plugin/no-such-plugin.so");
    free(out);
    free(cmd);
}

int main(void) {
    if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
    RUN(test_names_and_paths);
    RUN(test_installed_prefix_relative_to_the_binary);
    RUN(test_checkout_layout);
    RUN(test_missing_lists_where_it_looked);
    RUN(test_scheduler_takes_a_name);
    char *rm = sdk_asprintf_new("rm -rf '%s'", root);
    if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", root);
    free(rm);
    return check_summary("plugin_resolve");
}
