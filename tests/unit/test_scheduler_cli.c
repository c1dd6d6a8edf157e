/* The `scheduler` program as a user runs it: --help, --validate summaries, bad input and exit
 * codes, the upstream example specs, and --scenario. Runs bin/scheduler ($SDK_BIN_DIR). */
#include "check.h"
#include "e2e_support.h"
#include "abi/sdk_plugin.h"
#include "core/util/str.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *bin_dir(void) {
    const char *b = getenv("SDK_BIN_DIR");
    return b && *b ? b : "bin";
}

/* Runs the scheduler with args (shell words), capturing stdout+stderr. Returns the exit code. */
static int run(const char *args, char **out) {
    char *cmd = sdk_asprintf_new("SDK_LOG=warn %s/scheduler %s 2>&1", bin_dir(), args);
    FILE *p = popen(cmd, "r");
    free(cmd);
    sdk_buf b;
    sdk_buf_init(&b);
    char tmp[4096];
    size_t n;
    while (p && (n = fread(tmp, 1, sizeof tmp, p)) > 0) sdk_buf_append(&b, tmp, n);
    int st = p ? pclose(p) : -1;
    *out = sdk_buf_take(&b);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_help_documents_every_flag(void) {
    char *out;
    CHECK_INT(run("--help", &out), 0);
    const char *flags[] = {"--plugin", "--spec", "--env-file", "-o, --option", "--lenient-render",
                           "--validate", "--scenario", "--help", "--version", "--insecure-api",
                           "--api-host NAME"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++) CHECK_CONTAINS(out, flags[i]);
    free(out);
    CHECK_INT(run("--version", &out), 0);
    CHECK_CONTAINS(out, "plugin ABI 1.1");
    free(out);
}

/* Package options: --help with a plugin lists them; -o takes nested names; values are checked
 * against the option; a --spec gets its options from --options-schema (a config.json). */
static void test_package_options(void) {
    char *out;
    CHECK_INT(run("--plugin plugins/hello/hello.so --help", &out), 0);
    CHECK_CONTAINS(out, "Options of plugins/hello/hello.so");
    CHECK_CONTAINS(out, "world.count (integer)");
    CHECK_CONTAINS(out, "Number of World pods to run; an integer >= 0");
    CHECK_CONTAINS(out, "default: \"2\", template variable WORLD_COUNT");
    free(out);
    CHECK_INT(run("--plugin plugins/hello/hello.so -o world.count=3 --validate", &out), 0);
    CHECK_CONTAINS(out, "world: 3 instances");
    free(out);
    CHECK_INT(run("--plugin plugins/hello/hello.so -o world.cuont=3 --validate", &out), 1);
    CHECK_CONTAINS(out, "-o 'world.cuont=3': world.cuont is not an option of this service");
    free(out);
    CHECK_INT(run("--plugin plugins/hello/hello.so -o hello.cpus=lots --validate", &out), 1);
    CHECK_CONTAINS(out, "hello.cpus: expected a number >= 0.01, found \"lots\"");
    free(out);

    const char *sh = check_shared_dir();
    char *args = sdk_asprintf_new("--spec %s/examples/dcos-commons/svc.yml --env-file %s/examples/dcos-commons/svc.env "
                                  "--options-schema tests/options/hello-config.json -o world.count=4 --validate", sh, sh);
    CHECK_INT(run(args, &out), 0);
    CHECK_CONTAINS(out, "world: 4 instances");
    free(out);
    free(args);
    args = sdk_asprintf_new("--spec %s/examples/dcos-commons/svc.yml --env-file %s/examples/dcos-commons/svc.env "
                            "--options-schema tests/options/hello-config.json -o world.count=51 -o mode=V2 --validate",
                            sh, sh);
    CHECK_INT(run(args, &out), 1);
    CHECK_CONTAINS(out, "world.count: expected an integer >= 0 and <= 50, found \"51\"");
    CHECK_CONTAINS(out, "mode: expected one of \"V0\", \"V1\", found \"V2\"");
    free(out);
    free(args);
    CHECK_INT(run("--spec x.yml --options-schema tests/options/hello-config.json --help", &out), 0);
    CHECK_CONTAINS(out, "service.name (string)");
    CHECK_CONTAINS(out, "template variable FRAMEWORK_NAME");
    CHECK_CONTAINS(out, "template variable HELLO_COUNT"); /* derived from hello.count */
    free(out);
    CHECK_INT(run("--spec x.yml --options-schema tests/options/missing.json --help", &out), 1);
    CHECK_CONTAINS(out, "tests/options/missing.json");
    free(out);
}

/* Each program's --version: release, the git commit the build took (or "unknown"), ABI. */
static void test_version_of_every_program(void) {
    const char *progs[] = {"scheduler", "localcluster", "sdkctl"};
    for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
        char *cmd = sdk_asprintf_new("%s/%s --version 2>&1", bin_dir(), progs[i]);
        FILE *p = popen(cmd, "r");
        char line[256] = "";
        if (p && !fgets(line, sizeof line, p)) line[0] = 0;
        int st = p ? pclose(p) : -1;
        CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", cmd);
        char *want = sdk_asprintf_new("%s (stateful-sdk) ", progs[i]);
        CHECK_CONTAINS(line, want);
        char *abi = sdk_asprintf_new(", plugin ABI %d.%d\n", SDK_PLUGIN_ABI_MAJOR, SDK_PLUGIN_ABI_MINOR);
        CHECK_CONTAINS(line, abi);
        free(abi);
        /* "commit X," with a non-empty X */
        const char *c = strstr(line, ", commit ");
        CHECK(c && c[9] && c[9] != ',');
        free(want);
        free(cmd);
    }
}

static void test_validate_hello(void) {
    char *out;
    CHECK_INT(run("--plugin plugins/hello/hello.so --validate", &out), 0);
    CHECK_CONTAINS(out, "Service hello-world");
    CHECK_CONTAINS(out, "task prepare      ONCE    on hello-resources");
    CHECK_CONTAINS(out, "volume hello-data 64 MB ROOT");
    CHECK_CONTAINS(out, "│  ├─ hello-0:[prepare] (PENDING)");
    CHECK_CONTAINS(out, "sidecar (serial strategy) (WAITING)");
    CHECK_CONTAINS(out, "The service spec is valid.");
    free(out);
    /* options reach the template */
    CHECK_INT(run("--plugin plugins/hello/hello.so -o WORLD_COUNT=3 --validate", &out), 0);
    CHECK_CONTAINS(out, "world: 3 instances");
    CHECK_CONTAINS(out, "world-2:[server]");
    free(out);
}

static void test_bad_input(void) {
    char *out;
    CHECK_INT(run("--plugin plugins/hello/hello.so -o HELLO_COUNT=abc --validate", &out), 1);
    CHECK_CONTAINS(out, "hello.count: expected an integer >= 1, found \"abc\"");
    free(out);
    CHECK_INT(run("--plugin plugins/hello/hello.so -o HELLO_PLACEMENT=hostname:BOGUS --validate", &out), 1);
    CHECK_CONTAINS(out, "pods.hello.placement: invalid placement rule 'hostname:BOGUS'");
    free(out);
    CHECK_INT(run("--plugin /etc/passwd --validate", &out), 1);
    CHECK_CONTAINS(out, "/etc/passwd: cannot load plugin");
    free(out);
    CHECK_INT(run("--plugin plugins/hello/hello.so --spec /nonexistent/svc.yml --validate", &out), 1);
    CHECK_CONTAINS(out, "/nonexistent/svc.yml: cannot read the service spec");
    free(out);
    CHECK_INT(run("--validate", &out), 2);
    CHECK_CONTAINS(out, "--plugin PATH is required");
    free(out);
    /* the hello plugin refuses a spec without its hello pod, naming the plugin */
    char *noh = sdk_asprintf_new("--plugin plugins/hello/hello.so --spec %s/examples/dcos-commons/multiport.yml "
                                 "--env-file %s/examples/dcos-commons/multiport.env --validate",
                                 check_shared_dir(), check_shared_dir());
    CHECK_INT(run(noh, &out), 1);
    CHECK_CONTAINS(out, "plugin 'hello': pods.hello: the hello-world service needs a pod type 'hello'");
    free(out);
    free(noh);
    CHECK_INT(run("--plugin plugins/hello/hello.so --bogus", &out), 2);
    CHECK_CONTAINS(out, "unknown argument '--bogus'");
    free(out);
    /* strict rendering lists every missing variable with its line */
    char dir[] = "/tmp/sdk-cli-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *spec = sdk_asprintf_new("%s/svc.yml", dir);
    FILE *f = fopen(spec, "w");
    fputs("name: {{NAME}}\npods:\n  a:\n    count: {{COUNT}}\n    tasks:\n      t: {goal: RUNNING, cmd: x, cpus: 1, memory: 1}\n", f);
    fclose(f);
    char *args = sdk_asprintf_new("--plugin plugins/hello/hello.so --spec %s --validate", spec);
    CHECK_INT(run(args, &out), 1);
    CHECK_CONTAINS(out, "line 1: missing variable NAME");
    CHECK_CONTAINS(out, "line 4: missing variable COUNT");
    free(out);
    free(args);
    remove(spec);
    remove(dir);
    free(spec);
}

/* Bad input while running: refused before anything is written (no state directory). */
static void test_bad_input_writes_nothing(void) {
    char dir[] = "/tmp/sdk-cli-run-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *args = sdk_asprintf_new("--plugin plugins/hello/hello.so -o HELLO_COUNT=abc --workdir %s/w", dir);
    char *out;
    CHECK_INT(run(args, &out), 1);
    CHECK_CONTAINS(out, "hello.count: expected an integer >= 1, found \"abc\"");
    char *state = sdk_asprintf_new("%s/w", dir);
    CHECK_MSG(access(state, F_OK) != 0, "%s was created", state);
    free(state);
    free(out);
    free(args);
    rmdir(dir);
}

static void test_every_upstream_example_validates(void) {
    const char *names[] = {"svc", "simple", "sidecar", "pre-reserved", "pre-reserved-sidecar", "finish_state",
                           "multiport", "marathon_constraint", "update_plan", "taskcfg", "pod-mount-volume",
                           "executor_volume", "nonessential_tasks", "pause", "web-url"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *args = sdk_asprintf_new("--spec %s/examples/dcos-commons/%s.yml "
                                      "--env-file %s/examples/dcos-commons/%s.env --validate",
                                      check_shared_dir(), names[i], check_shared_dir(), names[i]);
        char *out;
        int rc = run(args, &out);
        CHECK_MSG(rc == 0, "%s: exit %d: %s", names[i], rc, out);
        CHECK_CONTAINS(out, "The service spec is valid.");
        free(out);
        free(args);
    }
}

static void test_scenario_flag(void) {
    char *out;
    CHECK_INT(run("--plugin plugins/hello/hello.so --scenario tests/scenarios/hello_plugin_prepare_then_server.scn", &out), 0);
    CHECK_CONTAINS(out, "every expectation held");
    free(out);
    char path[] = "/tmp/sdk-scn-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *bad = "plugin\nagent a cpus=1 mem=64 disk=100\nstart\nregister\noffers\nexpect launched world-7-server\n";
    CHECK(write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad));
    close(fd);
    char *args = sdk_asprintf_new("--plugin plugins/hello/hello.so --scenario %s", path);
    CHECK_INT(run(args, &out), 1);
    CHECK_CONTAINS(out, ":6: expected launched: world-7-server; got:");
    free(out);
    free(args);
    remove(path);
}

/* --api-token and --api-tls: bad files are refused before anything starts (no work dir, no
 * cluster); a running scheduler answers 401 without the token and serves HTTPS with the cert. */
static void test_api_token_and_tls(void) {
    char dir[] = "/tmp/sdk-cli-api-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *out = NULL;
    char *args = sdk_asprintf_new("--plugin plugins/hello/hello.so --workdir %s/w --api-token %s/missing", dir, dir);
    CHECK_INT(run(args, &out), 1);
    CHECK_CONTAINS(out, "--api-token: cannot read");
    CHECK_CONTAINS(out, "/missing");
    free(out);
    free(args);
    char *wd = sdk_asprintf_new("%s/w", dir);
    CHECK_MSG(access(wd, F_OK) != 0, "a refused start created %s", wd);
    char *empty = sdk_asprintf_new("%s/empty", dir);
    FILE *f = fopen(empty, "w");
    if (f) { fputs("  \n", f); fclose(f); }
    args = sdk_asprintf_new("--plugin plugins/hello/hello.so --workdir %s --api-token %s", wd, empty);
    CHECK_INT(run(args, &out), 1);
    CHECK_CONTAINS(out, "holds no token");
    free(out);
    free(args);
    args = sdk_asprintf_new("--plugin plugins/hello/hello.so --workdir %s --api-tls %s/no.pem %s/no.key", wd, dir, dir);
    CHECK_INT(run(args, &out), 1);
    CHECK_CONTAINS(out, "--api-tls: cannot read");
    free(out);
    free(args);
    CHECK_MSG(access(wd, F_OK) != 0, "a refused start created %s", wd);
    CHECK_INT(run("--plugin plugins/hello/hello.so --api-tls only-one", &out), 2); /* usage error */
    CHECK_CONTAINS(out, "--api-tls needs two values");
    free(out);

    /* a live scheduler (its master unreachable: the API serves anyway) */
    char *tok = sdk_asprintf_new("%s/token", dir);
    f = fopen(tok, "w");
    if (f) { fputs("s3cret-token\n", f); fclose(f); }
    char *gen = sdk_asprintf_new("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                                 "-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1 && echo ok", dir, dir);
    char *g = e2e_sh(gen);
    CHECK_CONTAINS(g, "ok");
    free(g);
    free(gen);
    unsigned port = e2e_free_port();
    char api[32], certf[128], keyf[128];
    snprintf(api, sizeof api, "127.0.0.1:%u", port);
    snprintf(certf, sizeof certf, "%s/cert.pem", dir);
    snprintf(keyf, sizeof keyf, "%s/key.pem", dir);
    char *exe = sdk_asprintf_new("%s/scheduler", bin_dir());
    char *log = sdk_asprintf_new("%s/scheduler.log", dir);
    char *argv[] = {exe, "--plugin", "plugins/hello/hello.so", "--workdir", wd, "--state", "memory:",
                    "--master", "http://127.0.0.1:1", "--api", api, "--api-token", tok,
                    "--api-tls", certf, keyf, NULL};
    pid_t pid = e2e_spawn(argv, log);
    char *probe = sdk_asprintf_new("curl -sk -o /dev/null -w '%%{http_code}' https://%s/v1/health", api);
    char *code = NULL;
    for (int i = 0; i < 100; i++) {
        free(code);
        code = e2e_sh(probe);
        if (code && strcmp(code, "000")) break;
        usleep(100000);
    }
    CHECK_STR(code, "401");
    free(code);
    char *with = sdk_asprintf_new("curl -sk -o /dev/null -w '%%{http_code}' -H 'Authorization: Bearer s3cret-token' "
                                  "https://%s/v1/plans/deploy", api);
    code = e2e_sh(with);
    /* 202 while the deploy plan is in progress (its master is unreachable), as in dcos-commons */
    CHECK_MSG(code && (!strcmp(code, "200") || !strcmp(code, "202")), "with the token: %s", code ? code : "");
    free(code);
    char *wrong = sdk_asprintf_new("curl -sk -o /dev/null -w '%%{http_code}' -H 'Authorization: Bearer nope' "
                                   "https://%s/v1/plans/deploy", api);
    code = e2e_sh(wrong);
    CHECK_STR(code, "401");
    free(code);
    char *plain = sdk_asprintf_new("curl -s -o /dev/null -w '%%{http_code}' -H 'Authorization: Bearer s3cret-token' "
                                   "http://%s/v1/plans/deploy", api);
    code = e2e_sh(plain);
    CHECK_MSG(code && strcmp(code, "200"), "plain HTTP must not be served when TLS is on (got %s)", code ? code : "");
    free(code);
    e2e_stop(pid, SIGINT);
    free(plain);
    free(wrong);
    free(with);
    free(probe);
    free(log);
    free(exe);
    free(tok);
    free(empty);
    free(wd);
    char *rm = sdk_asprintf_new("rm -rf %s", dir);
    char *r = e2e_sh(rm);
    free(r);
    free(rm);
}

/* A REST API beyond loopback needs a token or --insecure-api: refused before anything starts
 * otherwise; with --insecure-api it serves, and refuses Host names that are not its own. */
static void test_api_beyond_loopback(void) {
    char dir[] = "/tmp/sdk-cli-bind-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *wd = sdk_asprintf_new("%s/w", dir);
    char *out = NULL;
    char *args = sdk_asprintf_new("--plugin plugins/hello/hello.so --workdir %s --api 0.0.0.0:0", wd);
    CHECK_INT(run(args, &out), 1);
    CHECK_CONTAINS(out, "--api 0.0.0.0:0 listens beyond loopback");
    CHECK_CONTAINS(out, "--api-token FILE");
    CHECK_CONTAINS(out, "--insecure-api");
    CHECK_MSG(access(wd, F_OK) != 0, "a refused start created %s", wd);
    free(out);
    free(args);

    unsigned port = e2e_free_port();
    char *api = sdk_asprintf_new("0.0.0.0:%u", port);
    char *exe = sdk_asprintf_new("%s/scheduler", bin_dir());
    char *log = sdk_asprintf_new("%s/scheduler.log", dir);
    char *argv[] = {exe, "--plugin", "plugins/hello/hello.so", "--workdir", wd, "--state", "memory:",
                    "--master", "http://127.0.0.1:1", "--api", api, "--insecure-api",
                    "--api-host", "sched.example.org", NULL};
    pid_t pid = e2e_spawn(argv, log);
    char *probe = sdk_asprintf_new("curl -s -o /dev/null -w '%%{http_code}' http://127.0.0.1:%u/v1/health", port);
    char *code = NULL;
    for (int i = 0; i < 100; i++) {
        free(code);
        code = e2e_sh(probe);
        if (code && strcmp(code, "000")) break;
        usleep(100000);
    }
    CHECK_MSG(code && strcmp(code, "000") && strcmp(code, "421"), "GET /v1/health: %s", code ? code : "");
    free(code);
    char *named = sdk_asprintf_new("curl -s -o /dev/null -w '%%{http_code}' -H 'Host: sched.example.org:%u' "
                                   "http://127.0.0.1:%u/v1/health", port, port);
    code = e2e_sh(named);
    CHECK_MSG(code && strcmp(code, "421") && strcmp(code, "000"), "Host sched.example.org: %s", code ? code : "");
    free(code);
    /* the name tasks and the fetcher are given (SCHEDULER_API_HOSTNAME) is always accepted */
    char *own = sdk_asprintf_new("curl -s -o /dev/null -w '%%{http_code}' -H "
                                 "'Host: hello-world.marathon.autoip.dcos.thisdcos.directory:%u' "
                                 "http://127.0.0.1:%u/v1/health", port, port);
    code = e2e_sh(own);
    CHECK_MSG(code && strcmp(code, "421") && strcmp(code, "000"), "Host SCHEDULER_API_HOSTNAME: %s", code ? code : "");
    free(code);
    free(own);
    char *evil = sdk_asprintf_new("curl -s -w ' %%{http_code}' -H 'Host: rebind.example:%u' "
                                  "http://127.0.0.1:%u/v1/health", port, port);
    code = e2e_sh(evil);
    CHECK_CONTAINS(code, "DNS rebinding");
    CHECK_CONTAINS(code, " 421");
    free(code);
    e2e_stop(pid, SIGINT);
    free(evil);
    free(named);
    free(probe);
    free(log);
    free(exe);
    free(api);
    free(wd);
    char *rm = sdk_asprintf_new("rm -rf %s", dir);
    char *r = e2e_sh(rm);
    free(r);
    free(rm);
}

int main(void) {
    RUN(test_help_documents_every_flag);
    RUN(test_version_of_every_program);
    RUN(test_validate_hello);
    RUN(test_package_options);
    RUN(test_bad_input);
    RUN(test_bad_input_writes_nothing);
    RUN(test_every_upstream_example_validates);
    RUN(test_scenario_flag);
    RUN(test_api_token_and_tls);
    RUN(test_api_beyond_loopback);
    return check_summary("test_scheduler_cli");
}
