/* Runs every scenario in tests/scenarios (or the files named in SDK_SCENARIOS, space-separated)
 * through the simulation runner; one test per file. SDK_SCENARIO_TRACE=1 prints each line. */
#include "check.h"
#include "core/sim/scenario.h"
#include <glob.h>

static const char *current;

static void run_one(void) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    FILE *trace = getenv("SDK_SCENARIO_TRACE") ? stderr : NULL;
    int rc = sdk_scenario_run_file(current, "plugins/hello/hello.so", trace, &errs);
    for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "  %s\n", errs.msgs[i]);
    CHECK_MSG(rc == 0, "%s: %zu problem(s)", current, errs.n);
    sdk_errors_free(&errs);
}

int main(void) {
    glob_t g;
    const char *only = getenv("SDK_SCENARIOS");
    int grc = 0;
    if (only && *only) {
        /* space-separated patterns */
        char *copy = strdup(only), *save = NULL;
        int flags = GLOB_NOCHECK;
        for (char *p = strtok_r(copy, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
            grc |= glob(p, flags, NULL, &g);
            flags |= GLOB_APPEND;
        }
        free(copy);
    } else {
        grc = glob("tests/scenarios/*.scn", 0, NULL, &g);
    }
    if (grc != 0 || g.gl_pathc == 0) {
        fprintf(stderr, "no scenarios found (run from the repository root)\n");
        return check_summary("test_scenarios") | 1;
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        current = g.gl_pathv[i];
        check_cur_name_ = current;
        check_cur_failed_ = 0;
        run_one();
        if (check_cur_failed_) { check_failed_++; fprintf(stderr, "not ok %s\n", current); }
        else check_passed_++;
    }
    globfree(&g);
    return check_summary("test_scenarios");
}
