/* A client we did not write: the npm package `mesos-framework` (JSON scheduler API) subscribes
 * to bin/localcluster, receives offers and runs a command task to TASK_FINISHED. The package is
 * installed from the npm registry into $SDK_BUILD_DIR/npm (once; npm and node are required: the
 * test fails, never skips, without them). */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_mesos_framework_runs_a_task(void) {
    const char *build = getenv("SDK_BUILD_DIR") && *getenv("SDK_BUILD_DIR") ? getenv("SDK_BUILD_DIR") : "build";
    const char *bin = getenv("SDK_BIN_DIR") && *getenv("SDK_BIN_DIR") ? getenv("SDK_BIN_DIR") : "bin";
    char *out = NULL;
    char *install = sdk_asprintf_new(
        "mkdir -p %s/npm && cp tests/npm/package.json %s/npm/ && cd %s/npm && "
        "{ test -d node_modules/mesos-framework || npm install --no-audit --no-fund --loglevel=error; } 2>&1",
        build, build, build);
    int rc = e2e_sh_status(install, &out);
    CHECK_MSG(rc == 0, "npm install of mesos-framework failed (exit %d): %s", rc, out);
    free(out);
    free(install);
    if (rc) return;

    char dir[] = "/tmp/sdk-npm-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    unsigned port = e2e_free_port();
    pid_t lc = fork();
    if (lc == 0) {
        char ps[16];
        snprintf(ps, sizeof ps, "%u", port);
        char *exe = sdk_asprintf_new("%s/localcluster", bin);
        char *log = sdk_asprintf_new("%s/localcluster.log", dir);
        freopen(log, "w", stdout);
        freopen(log, "a", stderr);
        execl(exe, exe, "--port", ps, "--workdir", dir, "--agents", "1", (char *)NULL);
        _exit(127);
    }
    usleep(500000);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    char *cmd = sdk_asprintf_new("NODE_PATH=%s/%s/npm/node_modules timeout 90 node %s/tests/npm/mesos_framework_client.js %u 2>&1",
                                 build[0] == '/' ? "" : cwd, build, cwd, port);
    rc = e2e_sh_status(cmd, &out);
    CHECK_MSG(rc == 0, "the npm client did not finish its task (exit %d):\n%s", rc, out);
    CHECK_CONTAINS(out, "OK: task finished");
    CHECK_CONTAINS(out, "TASK_RUNNING,TASK_FINISHED");
    free(out);
    free(cmd);
    /* the task really ran: its output is in a sandbox of the local cluster */
    char *grep = sdk_asprintf_new("grep -rl hello-from-npm %s 2>/dev/null | head -1", dir);
    e2e_sh_status(grep, &out);
    CHECK_CONTAINS(out, "npm-output.txt");
    free(out);
    free(grep);
    kill(lc, SIGTERM);
    waitpid(lc, NULL, 0);
    char *rm = sdk_asprintf_new("rm -rf %s", dir);
    if (system(rm)) {}
    free(rm);
}

int main(void) {
    RUN(test_mesos_framework_runs_a_task);
    return check_summary("test_npm_client");
}
