/* The web console in a real browser: hello on the local cluster, the console opened in Debian's
 * chromium (headless), driven by tests/console/console_test.mjs with playwright-core (installed
 * from the npm registry into $SDK_BUILD_DIR/console-npm, once). The page must show the deploy
 * plan reach COMPLETE, pause and resume a pod, change world.count through the form (a bad value
 * refused at the field, the diff, the update plan running) and the events; screenshots go to
 * $SDK_BUILD_DIR/console-screenshots/. Then a scheduler with --api-token: the page asks for the
 * token and sends it as a header. Then a --spec service without an options schema: the form lists
 * its variables and applies an edit through /v1/update. Also, without a browser: the files' size budget, ETag/304,
 * gzip, and that the files (only they) are served without the token.
 *
 * chromium, node and npm are required (scripts/install-deps.sh installs them): the test fails,
 * never skips, without them. */
#include "check.h"
#include "e2e_support.h"
#include "core/api/console.h"
#include "core/util/str.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *build_dir(void) {
    const char *b = getenv("SDK_BUILD_DIR");
    return b && *b ? b : "build";
}

/* The whole page, compressed as served, within the budget; every file has an ETag. */
static void test_files_budget(void) {
    size_t total = 0;
    CHECK(sdk_console_n_files >= 3);
    for (size_t i = 0; i < sdk_console_n_files; i++) {
        const sdk_console_file *f = &sdk_console_files[i];
        total += f->gz_len;
        CHECK_MSG(f->etag[0] == '"' && strlen(f->etag) == 18, "%s: ETag %s", f->name, f->etag);
        CHECK_MSG(f->gz_len > 0 && f->gz[0] == 0x1f && f->gz[1] == 0x8b, "%s: no gzip copy", f->name);
    }
    printf("console: %zu files, %zu bytes gzipped\n", sdk_console_n_files, total);
    CHECK_MSG(total <= 100 * 1024, "console files are %zu bytes gzipped, budget 100 KiB", total);
    CHECK(sdk_console_file_for("/") && !strcmp(sdk_console_file_for("/")->name, "index.html"));
    CHECK(sdk_console_file_for("/console/app.js") != NULL);
    CHECK(sdk_console_file_for("/console/../app.js") == NULL);
    CHECK(sdk_console_file_for("/v1/plans") == NULL);
    CHECK(!sdk_console_open_path("/v1/plans") && !sdk_console_open_path("/console/nope.js"));
}

static bool npm_ready(void) {
    const char *b = build_dir();
    char *out = NULL;
    char *cmd = sdk_asprintf_new(
        "mkdir -p %s/console-npm && cp tests/console/package.json tests/console/console_test.mjs %s/console-npm/ && "
        "cd %s/console-npm && { test -d node_modules/playwright-core || "
        "npm install --no-audit --no-fund --loglevel=error; } 2>&1",
        b, b, b);
    int rc = e2e_sh_status(cmd, &out);
    CHECK_MSG(rc == 0, "npm install of playwright-core failed (exit %d): %s", rc, out);
    free(out);
    free(cmd);
    CHECK_MSG(access("/usr/bin/chromium", X_OK) == 0, "no /usr/bin/chromium: run scripts/install-deps.sh");
    return rc == 0 && access("/usr/bin/chromium", X_OK) == 0;
}

/* Runs the browser driver (its output goes to ours) and checks it passed. */
static void run_driver(const char *mode, const e2e_world *w, const char *token) {
    const char *b = build_dir();
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    char *shots = b[0] == '/' ? sdk_asprintf_new("%s/console-screenshots", b)
                              : sdk_asprintf_new("%s/%s/console-screenshots", cwd, b);
    mkdir(shots, 0755);
    char *cmd = sdk_asprintf_new("cd %s/console-npm && timeout 600 node console_test.mjs %s %s/ %s %s 2>&1", b, mode,
                                 w->api_url, shots, token ? token : "");
    char *out = NULL;
    int rc = e2e_sh_status(cmd, &out);
    fputs(out, stderr); /* run-tests.sh shows stderr; stdout holds only the summary */
    CHECK_MSG(rc == 0, "browser test (%s) failed, exit %d", mode, rc);
    CHECK_CONTAINS(out, "CONSOLE TEST PASSED");
    free(out);
    free(cmd);
    free(shots);
}

static long curl_code(const char *args) {
    char *cmd = sdk_asprintf_new("curl -s -o /dev/null -w '%%{http_code}' %s", args);
    char *out = e2e_sh(cmd);
    long code = strtol(out ? out : "0", NULL, 10);
    free(out);
    free(cmd);
    return code;
}

static void test_console_in_chromium(void) {
    if (!npm_ready()) return;
    e2e_world w;
    e2e_world_init(&w);
    e2e_start_scheduler(&w, "plugins/hello/hello.so", NULL, NULL);
    /* The startup lines name the console's URL. */
    char *log = sdk_asprintf_new("%s/scheduler.log", w.dir), *text = NULL;
    char *want = sdk_asprintf_new("Console: %s/", w.api_url);
    for (int i = 0; i < 100; i++) {
        free(text);
        text = NULL;
        if (sdk_read_file_new(log, &text, NULL) == 0 && strstr(text, want)) break;
        usleep(100000);
    }
    CHECK_CONTAINS(text, want);
    free(text);
    free(want);
    free(log);

    /* ETag and gzip, without a browser. */
    const sdk_console_file *app = sdk_console_file_for("/console/app.js");
    char *a = sdk_asprintf_new("-H 'If-None-Match: %s' %s/console/app.js", app->etag, w.api_url);
    CHECK_INT(curl_code(a), 304);
    free(a);
    a = sdk_asprintf_new("-H 'If-None-Match: \"0000000000000000\"' %s/console/app.js", w.api_url);
    CHECK_INT(curl_code(a), 200);
    free(a);
    char *cmd = sdk_asprintf_new("curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' %s/", w.api_url);
    char *hd = e2e_sh(cmd);
    CHECK_CONTAINS(hd, "Content-Encoding: gzip");
    CHECK_CONTAINS(hd, "ETag: \"");
    free(hd);
    free(cmd);
    a = sdk_asprintf_new("%s/console/missing.js", w.api_url);
    CHECK_INT(curl_code(a), 404);
    free(a);

    /* The console's own reads refuse bad input by name. */
    static const struct { const char *path; long code; } bad[] = {
        {"/v1/console/events?after=x", 400},
        {"/v1/debug/tasks/hello-0-server/log?file=/etc/passwd", 400},
        {"/v1/debug/tasks/hello-0-server/log?lines=0", 400},
        {"/v1/debug/tasks/hello-0-server/log?lines=5000", 400},
        {"/v1/debug/tasks/nope-0-server/log", 404},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = sdk_asprintf_new("'%s%s'", w.api_url, bad[i].path);
        long code = curl_code(a);
        CHECK_MSG(code == bad[i].code, "%s: HTTP %ld, expected %ld", bad[i].path, code, bad[i].code);
        free(a);
    }

    run_driver("main", &w, NULL);
    e2e_cleanup(&w);
}

static void test_console_asks_for_the_token(void) {
    if (!npm_ready()) return;
    e2e_world w;
    e2e_world_init(&w);
    char *tf = sdk_asprintf_new("%s/token", w.dir);
    FILE *f = fopen(tf, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("s3cret-console-token\n", f);
    fclose(f);
    const char *extra[] = {"--api-token", tf, NULL};
    e2e_start_scheduler(&w, "plugins/hello/hello.so", NULL, extra);
    char *u = sdk_asprintf_new("%s/v1/plans", w.api_url);
    for (int i = 0; i < 100 && curl_code(u) == 0; i++) usleep(100000);
    /* The page's files are public (they hold no data); the API is not. */
    CHECK_INT(curl_code(u), 401);
    free(u);
    u = sdk_asprintf_new("%s/", w.api_url);
    CHECK_INT(curl_code(u), 200);
    free(u);
    u = sdk_asprintf_new("-X POST %s/", w.api_url);
    CHECK_INT(curl_code(u), 401);
    free(u);
    run_driver("token", &w, "s3cret-console-token");
    free(tf);
    e2e_cleanup(&w);
}

/* A service without an options schema: its variables, edited, applied through /v1/update. */
static void test_console_plain_variables(void) {
    if (!npm_ready()) return;
    e2e_world w;
    e2e_world_init(&w);
    char *work = sdk_asprintf_new("%s/sched", w.dir), *api = sdk_asprintf_new("127.0.0.1:%u", w.api);
    char *log = sdk_asprintf_new("%s/scheduler.log", w.dir), *exe = sdk_asprintf_new("%s/scheduler", e2e_bin_dir());
    char *spec = sdk_asprintf_new("%s/examples/dcos-commons/svc.yml", check_shared_dir());
    char *env = sdk_asprintf_new("%s/examples/dcos-commons/svc.env", check_shared_dir());
    char *argv[] = {exe, "--spec", spec, "--env-file", env, "--workdir", work, "--api", api, "--agents", "2", NULL};
    w.sched = e2e_spawn(argv, log);
    char *u = sdk_asprintf_new("%s/v1/plans", w.api_url);
    for (int i = 0; i < 100 && curl_code(u) == 0; i++) usleep(100000);
    free(u);
    run_driver("plain", &w, NULL);
    free(work); free(api); free(log); free(exe); free(spec); free(env);
    e2e_cleanup(&w);
}

int main(void) {
    RUN(test_files_budget);
    RUN(test_console_in_chromium);
    RUN(test_console_asks_for_the_token);
    RUN(test_console_plain_variables);
    return check_summary("test_e2e_console");
}
