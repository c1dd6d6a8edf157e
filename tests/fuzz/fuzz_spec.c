/* libFuzzer harness for the spec path: mustache render of a svc.yml template against an
 * environment, YAML parse into the spec model, then the stored-JSON round trip.
 *
 * Input: "<env-file text>%%\n<template>" (the env part in core/spec/envfile.h's KEY=VALUE
 * format; a bad env part is ignored), or just "<template>" when there is no "%%" line.
 * The template is rendered strict once (missing-variable reports), then loaded lenient (a
 * missing {{X}} is empty, as --lenient-render) so that more inputs reach the parser.
 *
 * Besides "no crash, no leak, no UB" it checks the invariants the scheduler relies on when it
 * stores a configuration and reads it back at the next start; breaking one aborts:
 *   - sdk_spec_to_json_new of a parsed spec loads back with sdk_spec_from_json,
 *   - the loaded spec is sdk_spec_equal to the parsed one and serialises to the same JSON,
 *   - sdk_spec_dup gives an equal spec,
 *   - a spec validated as an update of itself gives no fatal problem.
 *
 * Build: `make fuzz` (libFuzzer), or linked with tests/fuzz/replay.c as a replay driver that
 * runs given files once each (see the Makefile's fuzz section). Seeds: tests/fuzz/corpus/spec/;
 * `make fuzz` also seeds from ../shared/examples/dcos-commons/ when it is there. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/service/assemble.h"
#include "core/spec/envfile.h"
#include "core/spec/mustache.h"
#include "core/spec/spec.h"
#include "core/spec/spec_load.h"
#include "core/util/log.h"
#include "core/util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    sdk_log_set_level((sdk_log_level)(SDK_LOG_ERROR + 1)); /* bad specs are expected: keep the output quiet */
    return 0;
}

static void fail(const char *what, const char *a, const char *b) {
    fprintf(stderr, "fuzz_spec: %s\n", what);
    if (a) fprintf(stderr, "first:  %s\n", a);
    if (b) fprintf(stderr, "second: %s\n", b);
    abort();
}

static void round_trip(const sdk_spec *spec) {
    sdk_errors e;
    sdk_errors_init(&e);
    char *j1 = sdk_spec_to_json_new(spec);
    sdk_spec *back = NULL;
    if (sdk_spec_from_json(j1, &back, &e)) fail("the stored JSON of a parsed spec does not load back", j1, e.n ? e.msgs[0] : "");
    if (!sdk_spec_equal(spec, back)) fail("the spec loaded from its JSON differs from the parsed one", j1, NULL);
    char *j2 = sdk_spec_to_json_new(back);
    if (strcmp(j1, j2)) fail("the JSON of the reloaded spec differs", j1, j2);
    sdk_spec *d = sdk_spec_dup(spec);
    if (!sdk_spec_equal(spec, d)) fail("sdk_spec_dup gave a different spec", j1, NULL);
    bool fatal = false;
    sdk_spec_validate_update(spec, back, true, &e, &fatal);
    if (fatal) fail("a spec is refused as an update of itself", j1, e.n ? e.msgs[e.n - 1] : "");
    sdk_spec_check_placement(spec, &e);
    sdk_spec_free(d);
    free(j2);
    sdk_spec_free(back);
    free(j1);
    sdk_errors_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *in = sdk_xstrndup((const char *)data, size); /* a NUL inside ends the text, as a C string */

    const char *tmpl = in;
    sdk_kv *vars = NULL;
    size_t n_vars = 0;
    sdk_errors e;
    sdk_errors_init(&e);
    const char *sep = sdk_str_starts(in, "%%\n") ? in : strstr(in, "\n%%\n");
    if (sep) {
        size_t env_len = (size_t)(sep - in);
        tmpl = sep + (sep == in ? 3 : 4);
        if (sdk_envfile_parse_new(in, env_len, "fuzz.env", &vars, &n_vars, &e)) {
            vars = NULL;
            n_vars = 0;
        }
        sdk_errors_free(&e);
        sdk_errors_init(&e);
    }
    /* Strict rendering alone (its missing-variable reports), then the lenient load. */
    char *strict_out = NULL;
    if (sdk_mustache_render_new(tmpl, vars, n_vars, true, &strict_out, &e) == 0 && !strict_out)
        fail("strict render returned 0 without text", NULL, NULL);
    free(strict_out);
    sdk_errors_free(&e);
    sdk_errors_init(&e);
    sdk_spec *spec = NULL;
    if (sdk_spec_load_new(tmpl, "fuzz.yml", NULL, vars, n_vars, false, &spec, &e) == 0) {
        if (!spec) fail("load returned 0 without a spec", NULL, NULL);
        round_trip(spec);
    } else if (spec) {
        fail("load failed but returned a spec", NULL, NULL);
    } else if (e.n == 0) {
        fail("load failed without saying why", NULL, NULL);
    }
    sdk_spec_free(spec);
    sdk_errors_free(&e);
    sdk_envfile_free(vars, n_vars);
    free(in);
    return 0;
}
