/* Scenario runner: drives the real service core with scripted offers and task statuses on a
 * simulated cluster, and checks what it does. The language is documented in
 * docs/scenarios.md; a scenario is a text file of one command per line.
 *
 * Used by tests/unit/test_scenarios.c (every .scn file in tests/scenarios) and by plugin authors
 * through `scheduler --plugin X.so --scenario FILE`. */
#ifndef SDK_SIM_SCENARIO_H
#define SDK_SIM_SCENARIO_H
#include <stdio.h>
#include "core/util/err.h"

/* Runs the scenario in `path`. `plugin_path` (may be NULL) is loaded when the scenario says
 * `plugin` without a path. Every failed expectation is appended to errs as
 * "<file>:<line>: <what was expected>, <what happened>"; the run continues after a failed
 * expectation and stops at a command it cannot execute. `log` (may be NULL) receives a trace.
 * Returns 0 when everything held, SDK_EINVAL otherwise. */
int sdk_scenario_run_file(const char *path, const char *plugin_path, FILE *log, sdk_errors *errs);
#endif
