/* A third-party author's path: `make install` the SDK into a temporary root, create a plugin
 * from the template (scripts/new-plugin.sh, what `make new-plugin` runs), build it with nothing
 * but the installed header and pkg-config file, check it exports only sdk_plugin_entry, and run
 * its own scenario and --validate with bin/scheduler. */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include <sys/wait.h>
#include <unistd.h>

static int sh(const char *cmd, char **out) {
    char *full = sdk_asprintf_new("(%s) 2>&1", cmd);
    int rc = e2e_sh_status(full, out);
    free(full);
    return rc;
}

static void test_template_builds_and_passes_its_scenario(void) {
    const char *build = getenv("SDK_BUILD_DIR") && *getenv("SDK_BUILD_DIR") ? getenv("SDK_BUILD_DIR") : "build";
    const char *bin = getenv("SDK_BIN_DIR") && *getenv("SDK_BIN_DIR") ? getenv("SDK_BIN_DIR") : "bin";
    char dir[] = "/tmp/sdk-template-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char *out = NULL;
    char *cmd = sdk_asprintf_new("make -s install BUILD=%s BIN=%s DESTDIR=%s/instroot PREFIX=/usr", build, bin, dir);
    int rc = sh(cmd, &out);
    CHECK_MSG(rc == 0, "make install failed: %s", out);
    free(out);
    free(cmd);
    cmd = sdk_asprintf_new("bash scripts/new-plugin.sh my-store %s/my-store", dir);
    CHECK_INT(sh(cmd, &out), 0);
    CHECK_CONTAINS(out, "created");
    free(out);
    free(cmd);
    /* the generator refuses to overwrite, and refuses bad names */
    cmd = sdk_asprintf_new("bash scripts/new-plugin.sh my-store %s/my-store", dir);
    CHECK_INT(sh(cmd, &out), 2);
    CHECK_CONTAINS(out, "already exists");
    free(out);
    free(cmd);
    CHECK_INT(sh("bash scripts/new-plugin.sh My_Store /tmp/nowhere-sdk", &out), 2);
    CHECK_CONTAINS(out, "must be lowercase letters");
    free(out);
    /* build against the installed header only (no -I of this tree) */
    cmd = sdk_asprintf_new("cd %s/my-store && cc -std=c11 -Wall -Wextra -Werror "
                           "$(PKG_CONFIG_PATH=%s/instroot/usr/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=%s/instroot "
                           "pkg-config --cflags stateful-sdk) -shared -o my-store.so my-store.c",
                           dir, dir, dir);
    rc = sh(cmd, &out);
    CHECK_MSG(rc == 0, "the template does not build: %s", out);
    free(out);
    free(cmd);
    cmd = sdk_asprintf_new("nm -D --defined-only %s/my-store/my-store.so | awk '{print $3}'", dir);
    CHECK_INT(sh(cmd, &out), 0);
    CHECK_STR(out, "sdk_plugin_entry\n");
    free(out);
    free(cmd);
    cmd = sdk_asprintf_new("cd %s/my-store && %s/%s/scheduler --plugin ./my-store.so --scenario scenarios/deploy.scn",
                           dir, bin[0] == '/' ? "" : cwd, bin);
    rc = sh(cmd, &out);
    CHECK_MSG(rc == 0, "the template's scenario failed: %s", out);
    CHECK_CONTAINS(out, "every expectation held");
    free(out);
    free(cmd);
    cmd = sdk_asprintf_new("%s/scheduler --plugin %s/my-store/my-store.so -o NODE_COUNT=0 --validate", bin, dir);
    CHECK_INT(sh(cmd, &out), 1);
    CHECK_CONTAINS(out, "at least one node is needed");
    free(out);
    free(cmd);
    cmd = sdk_asprintf_new("rm -rf %s", dir);
    sh(cmd, NULL);
    free(cmd);
}

int main(void) {
    /* the make started here runs as a top-level make, not as part of `make check`'s */
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    RUN(test_template_builds_and_passes_its_scenario);
    return check_summary("test_plugin_template");
}
