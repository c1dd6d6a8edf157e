/* The example services under examples/ (used by README.md and docs/) work as the docs say:
 * each svc.yml renders with its svc.env and validates, and each deploys on the local cluster to a
 * COMPLETE deploy plan. The resource-sets example also runs its custom `snapshot` plan, and the
 * ports example advertises its endpoint. Runs bin/scheduler ($SDK_BIN_DIR). */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *EXAMPLES[] = {"simple", "resource-sets", "ports", "rolling-update"};
#define N_EXAMPLES (sizeof EXAMPLES / sizeof *EXAMPLES)

/* Every examples/ folder is in EXAMPLES (a new one is not forgotten here) and has both files. */
static void test_every_example_is_listed(void) {
    DIR *d = opendir("examples");
    CHECK(d != NULL);
    struct dirent *e;
    size_t seen = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_type != DT_DIR) continue;
        bool listed = false;
        for (size_t i = 0; i < N_EXAMPLES; i++) listed |= !strcmp(EXAMPLES[i], e->d_name);
        CHECK_MSG(listed, "examples/%s is not tested: add it to EXAMPLES", e->d_name);
        seen++;
    }
    if (d) closedir(d);
    CHECK_INT(seen, N_EXAMPLES);
    for (size_t i = 0; i < N_EXAMPLES; i++) {
        char *y = sdk_asprintf_new("examples/%s/svc.yml", EXAMPLES[i]);
        char *v = sdk_asprintf_new("examples/%s/svc.env", EXAMPLES[i]);
        CHECK_MSG(access(y, R_OK) == 0 && access(v, R_OK) == 0, "%s or %s missing", y, v);
        free(y);
        free(v);
    }
}

static void test_each_validates(void) {
    for (size_t i = 0; i < N_EXAMPLES; i++) {
        char *cmd = sdk_asprintf_new("%s/scheduler --spec examples/%s/svc.yml --env-file examples/%s/svc.env "
                                     "--validate 2>&1; echo \"exit=$?\"", e2e_bin_dir(), EXAMPLES[i], EXAMPLES[i]);
        char *out = e2e_sh(cmd);
        CHECK_MSG(out && strstr(out, "The service spec is valid.") && strstr(out, "exit=0"), "%s: %s", EXAMPLES[i], out);
        free(out);
        free(cmd);
    }
}

static bool deploy(e2e_world *w, const char *ex) {
    char here[4096] = "";
    if (!getcwd(here, sizeof here)) return false;
    char *exe = sdk_asprintf_new("%s/scheduler", e2e_bin_dir());
    char *spec = sdk_asprintf_new("%s/examples/%s/svc.yml", here, ex);
    char *env = sdk_asprintf_new("%s/examples/%s/svc.env", here, ex);
    char *work = sdk_asprintf_new("%s/sched", w->dir);
    char *api = sdk_asprintf_new("127.0.0.1:%u", w->api);
    char *log = sdk_asprintf_new("%s/scheduler.log", w->dir);
    char *argv[] = {exe, "--spec", spec, "--env-file", env, "--workdir", work, "--api", api, "--agents", "3", NULL};
    w->sched = e2e_spawn(argv, log);
    bool ok = e2e_wait_plan_complete(w, "deploy", 90);
    free(exe); free(spec); free(env); free(work); free(api); free(log);
    return ok;
}

static void test_each_deploys(void) {
    for (size_t i = 0; i < N_EXAMPLES; i++) {
        e2e_world w;
        e2e_world_init(&w);
        bool ok = deploy(&w, EXAMPLES[i]);
        CHECK_MSG(ok, "examples/%s did not deploy", EXAMPLES[i]);
        if (ok && !strcmp(EXAMPLES[i], "resource-sets")) {
            char *url = sdk_asprintf_new("%s/v1/plans/snapshot/start", w.api_url);
            CHECK_INT(e2e_http("POST", url, "{\"SNAPSHOT_NAME\": \"first\"}", NULL), 200);
            free(url);
            CHECK(e2e_wait_plan_complete(&w, "snapshot", 60));
            char *cmd = sdk_asprintf_new("find %s/sched/cluster/volumes -path '*/snapshots/first' -type d | wc -l", w.dir);
            char *n = e2e_sh(cmd);
            CHECK_MSG(n && atoi(n) == 2, "snapshots made: %s", n ? n : "?");
            free(n);
            free(cmd);
        }
        if (ok && !strcmp(EXAMPLES[i], "ports")) {
            char *url = sdk_asprintf_new("%s/v1/endpoints/api", w.api_url);
            char *body = NULL;
            CHECK_INT(e2e_http("GET", url, NULL, &body), 200);
            CHECK_CONTAINS(body, "\"address\"");
            free(body);
            free(url);
        }
        e2e_cleanup(&w);
    }
}

int main(void) {
    RUN(test_every_example_is_listed);
    RUN(test_each_validates);
    RUN(test_each_deploys);
    return check_summary("examples");
}
