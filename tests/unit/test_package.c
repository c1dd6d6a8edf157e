/* Installing as a Debian user does: `make deb` builds a package that dpkg installs into a
 * temporary root (dpkg --root, so the machine's own /usr is never touched) and removes again
 * without leftovers; from that root the scheduler finds its plugins by name, `man sdkctl` works,
 * and a third-party plugin made from templates/plugin outside the source tree builds with
 * `pkg-config --cflags stateful-sdk` against the installed header and loads into the installed
 * scheduler. Also `make install DESTDIR=... PREFIX=/usr/local` then `make uninstall` leaves no
 * file. Runs make with $SDK_BUILD_DIR/$SDK_BIN_DIR, so the sanitizer tree packages its own
 * binaries. */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include <sys/wait.h>
#include <unistd.h>

static char tmp[] = "/tmp/sdk-package-XXXXXX";
static char *deb;

/* Runs `cmd` with sh, capturing stdout+stderr into *out (may be NULL). Returns the exit code. */
static int sh(const char *cmd, char **out) {
    char *full = sdk_asprintf_new("(%s) 2>&1", cmd);
    int rc = e2e_sh_status(full, out);
    free(full);
    return rc;
}

static int shf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int shf(char **out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *cmd = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    int rc = sh(cmd, out);
    if (rc && getenv("CHECK_VERBOSE")) fprintf(stderr, "  (exit %d) %s\n", rc, cmd);
    free(cmd);
    return rc;
}

static const char *build_dir(void) { const char *b = getenv("SDK_BUILD_DIR"); return b && *b ? b : "build"; }
static const char *bin_dir(void) { const char *b = getenv("SDK_BIN_DIR"); return b && *b ? b : "bin"; }

static void test_make_deb(void) {
    char *out;
    int rc = shf(&out, "make -s --no-print-directory deb BUILD=%s BIN=%s", build_dir(), bin_dir());
    CHECK_INT(rc, 0);
    /* the last line that ends in .deb names the package */
    char *last = out;
    for (char *p = out, *line = out; *p; p++)
        if (*p == '\n' || !p[1]) {
            size_t n = (size_t)(p - line) + (*p == '\n' ? 0 : 1);
            if (n >= 4 && !strncmp(line + n - 4, ".deb", 4)) last = line;
            line = p + 1;
        }
    last[strcspn(last, "\n")] = 0;
    CHECK_MSG(sdk_str_ends(last, ".deb") && access(last, R_OK) == 0, "no .deb in: %s", out);
    deb = sdk_xstrdup(last);
    free(out);
    /* every dependency dpkg-shlibdeps found is a package installed here, so a real dpkg -i of
     * this .deb would be satisfied on this machine */
    CHECK_INT(shf(&out, "dpkg-deb -f %s Depends | tr ',' '\\n' | sed 's/(.*//; s/ //g' | "
                        "while read p; do dpkg-query -W -f='${Status}\\n' \"$p\" | grep -q 'ok installed' "
                        "|| echo \"missing $p\"; done", deb), 0);
    CHECK_STR(out, "");
    free(out);
    CHECK_INT(shf(&out, "dpkg-deb -c %s", deb), 0);
    const char *files[] = {"./usr/bin/scheduler", "./usr/bin/localcluster", "./usr/bin/sdkctl",
                           "./usr/lib/stateful-sdk/plugins/hello.so", "./usr/lib/stateful-sdk/plugins/cassandra.so",
                           "./usr/include/stateful-sdk/sdk_plugin.h", "./usr/share/pkgconfig/stateful-sdk.pc",
                           "./usr/share/man/man1/scheduler.1.gz", "./usr/share/man/man1/localcluster.1.gz",
                           "./usr/share/man/man1/sdkctl.1.gz", "./usr/share/man/man3/sdk_plugin.3.gz",
                           "./usr/share/bash-completion/completions/sdkctl",
                           "./lib/systemd/system/stateful-sdk@.service", "./usr/share/doc/stateful-sdk/copyright",
                           "./usr/share/doc/stateful-sdk/operations.md",
                           "./usr/share/stateful-sdk/examples/"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) CHECK_CONTAINS(out, files[i]);
    free(out);
}

static void test_dpkg_root_install_and_use(void) {
    if (!deb) return;
    char *out;
    CHECK_INT(shf(NULL, "mkdir -p %s/instroot/var/lib/dpkg/info %s/instroot/var/lib/dpkg/updates && touch %s/instroot/var/lib/dpkg/status",
                  tmp, tmp, tmp), 0);
    /* --force-depends: the empty root has no libc package; the libraries come from the host */
    CHECK_INT(shf(&out, "dpkg --root=%s/instroot --log=/dev/null --force-depends --force-script-chrootless -i %s", tmp, deb), 0);
    free(out);
    CHECK_INT(shf(&out, "%s/instroot/usr/bin/scheduler --plugin hello --validate", tmp), 0);
    CHECK_CONTAINS(out, "The service spec is valid.");
    free(out);
    CHECK_INT(shf(&out, "MANPATH=%s/instroot/usr/share/man MANWIDTH=80 man -P cat sdkctl", tmp), 0);
    CHECK_CONTAINS(out, "sdkctl - operate a running Stateful SDK scheduler");
    free(out);
    CHECK_INT(shf(&out, "MANPATH=%s/instroot/usr/share/man MANWIDTH=80 man -P cat 3 sdk_plugin", tmp), 0);
    CHECK_CONTAINS(out, "sdk_plugin_entry");
    free(out);
    /* bash completion offers the command groups */
    CHECK_INT(shf(&out, "bash -c 'source %s/instroot/usr/share/bash-completion/completions/sdkctl; "
                        "COMP_WORDS=(sdkctl p); COMP_CWORD=1; _stateful_sdk_sdkctl; echo ${COMPREPLY[*]}'", tmp), 0);
    CHECK_STR(out, "plan pod\n");
    free(out);
    CHECK_INT(shf(&out, "cat %s/instroot/lib/systemd/system/stateful-sdk@.service", tmp), 0);
    CHECK_CONTAINS(out, "ExecStart=/usr/bin/scheduler $SDK_ARGS");
    CHECK_CONTAINS(out, "Environment=SDK_WORKDIR=/var/lib/stateful-sdk/%i");
    CHECK_CONTAINS(out, "EnvironmentFile=/etc/stateful-sdk/%i.env");
    CHECK_CONTAINS(out, "Restart=on-failure");
    free(out);
}

/* A plugin made from the template outside the source tree, built only against the installed
 * header found through pkg-config, loaded into the installed scheduler by path and by name. */
static void test_third_party_plugin(void) {
    if (!deb) return;
    char *out;
    CHECK_INT(shf(&out, "make -s --no-print-directory new-plugin NAME=thirdparty DIR=%s/tp", tmp), 0);
    free(out);
    /* PKG_CONFIG_SYSROOT_DIR maps the .pc's /usr onto the temporary root */
    const char *pc = "PKG_CONFIG_SYSROOT_DIR=%s/instroot PKG_CONFIG_LIBDIR=%s/instroot/usr/share/pkgconfig pkg-config";
    char *pcc = sdk_asprintf_new(pc, tmp, tmp);
    CHECK_INT(shf(&out, "%s --cflags stateful-sdk", pcc), 0);
    char *want = sdk_asprintf_new("-I%s/instroot/usr/include/stateful-sdk", tmp);
    CHECK_CONTAINS(out, want);
    free(want);
    free(out);
    CHECK_INT(shf(&out, "cd %s/tp && cc -std=c11 -Wall -Wextra -Werror $(%s --cflags stateful-sdk) -shared "
                        "-o thirdparty.so thirdparty.c", tmp, pcc), 0);
    free(out);
    CHECK_INT(shf(&out, "cd %s/tp && %s/instroot/usr/bin/scheduler --plugin ./thirdparty.so --validate", tmp, tmp), 0);
    CHECK_CONTAINS(out, "The service spec is valid.");
    free(out);
    CHECK_INT(shf(&out, "install -m 644 %s/tp/thirdparty.so %s/instroot$(%s --variable plugindir stateful-sdk | sed 's|^%s/instroot||')/",
                  tmp, tmp, pcc, tmp), 0);
    free(out);
    CHECK_INT(shf(&out, "cd %s/tp && %s/instroot/usr/bin/scheduler --plugin thirdparty --scenario scenarios/deploy.scn",
                  tmp, tmp), 0);
    CHECK_CONTAINS(out, "every expectation held");
    free(out);
    free(pcc);
}

static void test_dpkg_remove_leaves_nothing(void) {
    if (!deb) return;
    char *out;
    CHECK_INT(shf(&out, "rm -f %s/instroot/usr/lib/stateful-sdk/plugins/thirdparty.so && "
                        "dpkg --root=%s/instroot --log=/dev/null --force-script-chrootless -P stateful-sdk", tmp, tmp), 0);
    free(out);
    CHECK_INT(shf(&out, "cd %s/instroot && { find usr lib -type f 2>/dev/null; true; }", tmp), 0);
    CHECK_STR(out, "");
    free(out);
}

static void test_make_install_uninstall(void) {
    char *out;
    const char *vars = "PREFIX=/usr/local";
    CHECK_INT(shf(&out, "make -s --no-print-directory install BUILD=%s BIN=%s %s DESTDIR=%s/staged",
                  build_dir(), bin_dir(), vars, tmp), 0);
    free(out);
    /* pkg-config finds the file in its default path once DESTDIR is gone (/usr/local/share/pkgconfig) */
    CHECK_INT(sh("pkg-config --variable pc_path pkg-config", &out), 0);
    CHECK_CONTAINS(out, "/usr/local/share/pkgconfig");
    CHECK_CONTAINS(out, "/usr/share/pkgconfig");
    free(out);
    CHECK_INT(shf(&out, "cat %s/staged/usr/local/share/pkgconfig/stateful-sdk.pc", tmp), 0);
    CHECK_CONTAINS(out, "prefix=/usr/local\n");
    free(out);
    CHECK_INT(shf(&out, "%s/staged/usr/local/bin/scheduler --plugin zookeeper --validate", tmp), 0);
    CHECK_CONTAINS(out, "The service spec is valid.");
    free(out);
    CHECK_INT(shf(&out, "make -s --no-print-directory uninstall BUILD=%s BIN=%s %s DESTDIR=%s/staged",
                  build_dir(), bin_dir(), vars, tmp), 0);
    free(out);
    CHECK_INT(shf(&out, "find %s/staged -type f", tmp), 0);
    CHECK_STR(out, "");
    free(out);
}

int main(void) {
    /* Run from `make check`, the makes started here would inherit its jobserver and print
     * "Entering directory" lines into the output read below: they run as top-level makes. */
    unsetenv("MAKEFLAGS");
    unsetenv("MFLAGS");
    unsetenv("MAKELEVEL");
    if (!mkdtemp(tmp)) { perror("mkdtemp"); return 1; }
    RUN(test_make_deb);
    RUN(test_dpkg_root_install_and_use);
    RUN(test_third_party_plugin);
    RUN(test_dpkg_remove_leaves_nothing);
    RUN(test_make_install_uninstall);
    char *rm = sdk_asprintf_new("rm -rf '%s'", tmp);
    if (system(rm) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    free(rm);
    free(deb);
    return check_summary("package");
}
