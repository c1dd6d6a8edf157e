/* bench/report: the `make bench` table. Reads the figures the benchmarks measured (JSON lines
 * {"figure","value","unit","command"} appended through bench_row in bench/bench_support.h; the
 * last line of a figure wins), prints one row per figure of issue #17's list with its target and
 * whether it is met, and writes the same rows to a JSON file as a list of objects with keys
 * figure, value, target, unit, command (and met). A figure no benchmark wrote is printed and
 * written as not measured (value null), never left out.
 *
 *   usage: build/bench/report ROWS.jsonl RESULTS.json       (make bench runs it)
 * Exit status: 0 when the table was written, 2 on a usage or I/O error. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct figure {
    const char *name, *unit;
    double target;   /* < 0: printed beside another figure, no target */
    bool at_least;   /* target is a floor (else a ceiling) */
    const char *what;
} figure;

/* The targets live here and only here. */
static const figure FIGURES[] = {
    {"rss_anon_mb_1k", "MB", 8, false, "scheduler RssAnon after deploying 1,000 pods"},
    {"vm_rss_mb_1k", "MB", -1, false, "  its VmRSS then (shared library pages included)"},
    {"vm_hwm_mb_1k", "MB", -1, false, "  its peak VmRSS (VmHWM) during the deploy"},
    {"rss_anon_mb_10k", "MB", 48, false, "scheduler RssAnon after deploying 10,000 pods"},
    {"vm_rss_mb_10k", "MB", -1, false, "  its VmRSS then"},
    {"launches_per_s_10k", "launches/s", 5000, true, "10,000 pods on 2,000 simulated agents, parallel"},
    {"recovery_s_10k_file", "s", 1, false, "restart to 10,000 tasks reconciled, file store"},
    {"recovery_s_10k_zk", "s", 1, false, "restart to 10,000 tasks reconciled, ZooKeeper"},
    {"zk_txn_per_offer_cycle", "txn", 1, false, "ZooKeeper transactions per offer cycle, deploy"},
    {"api_req_per_s_1k_steps", "req/s", 30000, true, "GET /v1/plans/deploy, 1,000 steps, gzip"},
    {"api_req_per_s_1k_steps_identity", "req/s", 10000, true, "  the same without gzip"},
    {"offer_evals_per_s", "evals/s", 500000, true, "pod x offer evaluations, rack:LIKE rule"},
    {"cold_start_ms", "ms", 20, false, "exec to /v1/health answering"},
};
#define N_FIGURES (sizeof FIGURES / sizeof FIGURES[0])

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s ROWS.jsonl RESULTS.json\n", argv[0]);
        return 2;
    }
    json_t *seen[N_FIGURES] = {0};
    FILE *in = fopen(argv[1], "r");
    char line[8192];
    int lineno = 0;
    while (in && fgets(line, sizeof line, in)) {
        lineno++;
        json_error_t err;
        json_t *o = json_loads(line, 0, &err);
        const char *name = json_string_value(json_object_get(o, "figure"));
        size_t k = 0;
        while (name && k < N_FIGURES && strcmp(FIGURES[k].name, name)) k++;
        if (!name || !json_is_number(json_object_get(o, "value")) || k == N_FIGURES) {
            fprintf(stderr, "bench/report: %s:%d: %s; line ignored\n", argv[1], lineno,
                    !o ? err.text : !name ? "no \"figure\"" : k == N_FIGURES ? "unknown figure" : "no numeric \"value\"");
            json_decref(o);
            continue;
        }
        json_decref(seen[k]);
        seen[k] = o;
    }
    if (in) fclose(in);
    json_t *out = json_array();
    printf("\n%-32s %12s %12s %-10s %-5s %s\n", "figure", "value", "target", "unit", "met", "command");
    int met = 0, missed = 0, unmeasured = 0;
    for (size_t k = 0; k < N_FIGURES; k++) {
        const figure *f = &FIGURES[k];
        json_t *v = seen[k] ? json_object_get(seen[k], "value") : NULL;
        const char *cmd = seen[k] ? json_string_value(json_object_get(seen[k], "command")) : NULL;
        char target[32] = "-", value[32] = "not measured";
        if (f->target >= 0) snprintf(target, sizeof target, "%s %g", f->at_least ? ">=" : "<=", f->target);
        if (v) snprintf(value, sizeof value, "%.*f", json_number_value(v) < 100 ? 2 : 0, json_number_value(v));
        const char *ok = "-";
        json_t *jmet = json_null();
        if (f->target >= 0 && v) {
            double x = json_number_value(v);
            bool yes = f->at_least ? x >= f->target : x <= f->target;
            ok = yes ? "yes" : "NO";
            jmet = json_boolean(yes);
            yes ? met++ : missed++;
        } else if (f->target >= 0) {
            unmeasured++;
        }
        printf("%-32s %12s %12s %-10s %-5s %s\n", f->name, value, target, f->unit, ok, cmd ? cmd : "-");
        json_array_append_new(out, json_pack("{s:s,s:o,s:o,s:s,s:o,s:o,s:s}", "figure", f->name, "value",
                                             v ? json_real(json_number_value(v)) : json_null(), "target",
                                             f->target >= 0 ? json_real(f->target) : json_null(), "unit", f->unit,
                                             "command", cmd ? json_string(cmd) : json_null(), "met", jmet,
                                             "description", f->what));
    }
    printf("%d met, %d missed, %d not measured; rows in %s\n", met, missed, unmeasured, argv[2]);
    int rc = json_dump_file(out, argv[2], JSON_INDENT(2)) ? 2 : 0;
    if (rc) fprintf(stderr, "bench/report: cannot write %s\n", argv[2]);
    json_decref(out);
    for (size_t k = 0; k < N_FIGURES; k++) json_decref(seen[k]);
    return rc;
}
