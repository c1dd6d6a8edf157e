/* Offer evaluation throughput: pending pods x offers, with placement rules.
 *
 * Reproduce: make build/bench/offer_eval && ./build/bench/offer_eval   (or: make bench)
 *
 * Scenario "fill": 1,000 pods of one type with `hostname:MAX_PER:2` are placed one after the other
 *   against 1,000 offers (each pod tries offers in order until one fits; accepted resources leave
 *   the offer, launched tasks join the placement view). Most evaluations fail at placement.
 * Scenario "matrix": 1,000 pods x 1,000 offers, each pair evaluated alone with `rack:LIKE:rack-[0-4]`;
 *   half the offers pass placement and run every resource stage until memory is short
 *   (nothing is launched), the other half stop at placement.
 * Prints pod x offer evaluations per second and peak RSS (VmHWM).
 */
#include "core/offer/evaluate.h"
#include "core/util/str.h"
#include "tests/unit/e2e_support.c" /* (bench_support.h uses its HTTP helpers) */
#include "bench/bench_support.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_PODS 1000
#define N_OFFERS 1000

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long vm_hwm_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

static sdk_spec *make_spec(double mem) {
    sdk_spec *s = sdk_xcalloc(1, sizeof *s);
    s->name = sdk_xstrdup("bench");
    s->user = sdk_xstrdup("nobody");
    s->n_pods = 1;
    s->pods = sdk_xcalloc(1, sizeof *s->pods);
    sdk_pod_spec *p = &s->pods[0];
    p->type = sdk_xstrdup("node");
    p->count = N_PODS;
    p->pre_reserved_role = sdk_xstrdup("*");
    p->n_resource_sets = 1;
    p->resource_sets = sdk_xcalloc(1, sizeof *p->resource_sets);
    sdk_resource_set *rs = &p->resource_sets[0];
    rs->id = sdk_xstrdup("server-resource-set");
    rs->cpus = 0.5;
    rs->memory_mb = mem;
    rs->n_ports = 1;
    rs->ports = sdk_xcalloc(1, sizeof *rs->ports);
    rs->ports[0].name = sdk_xstrdup("http");
    rs->ports[0].env_key = sdk_xstrdup("PORT_HTTP");
    p->n_tasks = 1;
    p->tasks = sdk_xcalloc(1, sizeof *p->tasks);
    p->tasks[0].name = sdk_xstrdup("server");
    p->tasks[0].cmd = sdk_xstrdup("./server");
    p->tasks[0].resource_set = sdk_xstrdup("server-resource-set");
    return s;
}

static void add(sdk_resources *rs, const char *name, double v) {
    sdk_resource r = {0};
    r.name = (char *)name;
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    sdk_resources_add(rs, &r);
}

static void make_offers(sdk_offer *o) {
    for (int i = 0; i < N_OFFERS; i++) {
        memset(&o[i], 0, sizeof o[i]);
        o[i].id = sdk_asprintf_new("offer-%d", i);
        o[i].agent_id = sdk_asprintf_new("agent-%d", i);
        o[i].hostname = sdk_asprintf_new("10.0.%d.%d", i / 250, i % 250);
        char rack[32];
        snprintf(rack, sizeof rack, "rack-%d", i % 10);
        sdk_offer_add_attr(&o[i], "rack", rack);
        add(&o[i].resources, "cpus", 2);
        add(&o[i].resources, "mem", 2048);
        add(&o[i].resources, "disk", 10000);
        sdk_range rg = {31000, 31100};
        sdk_resource p = {0};
        p.name = (char *)"ports";
        p.type = SDK_RES_RANGES;
        p.ranges = &rg;
        p.n_ranges = 1;
        sdk_resources_add(&o[i].resources, &p);
    }
}

/* Removes what a RESERVE consumed (its resource minus our reservation) from the offer. */
static void consume(sdk_offer *o, const sdk_eval_result *r) {
    for (size_t i = 0; i < r->n_ops; i++) {
        if (r->ops[i].type != SDK_OP_RESERVE) continue;
        sdk_resource x;
        sdk_resource_copy(&x, &r->ops[i].resources.v[0]);
        x.n_reservations--; /* pop ours; free the popped entry's strings */
        sdk_reservation *v = &x.reservations[x.n_reservations];
        free(v->role);
        free(v->principal);
        for (size_t k = 0; k < v->n_labels; k++) { free(v->labels[k].key); free(v->labels[k].value); }
        free(v->labels);
        sdk_resources_subtract(&o->resources, &x);
        sdk_resource_free_contents(&x);
    }
}

static sdk_eval_request request(const sdk_spec *spec, const char *const *tasks) {
    sdk_eval_request q = {0};
    q.spec = spec;
    q.pod_type = "node";
    q.tasks = tasks;
    q.n_tasks = 1;
    q.role = "bench-role";
    q.principal = "bench-principal";
    q.framework_id = "fw";
    q.target_config_id = "cfg";
    return q;
}

int main(void) {
    const char *tasks[] = {"server"};
    sdk_offer *offers = sdk_xcalloc(N_OFFERS, sizeof *offers);

    /* ---- fill ---- */
    sdk_spec *spec = make_spec(512);
    make_offers(offers);
    sdk_placement_rule *rule = sdk_placement_parse_new("hostname:MAX_PER:2");
    sdk_placement_view *view = sdk_placement_view_new();
    sdk_eval_request q = request(spec, tasks);
    q.placement = rule;
    q.view = view;
    long evals = 0, launched = 0;
    double t0 = now_s();
    for (int pod = 0; pod < N_PODS; pod++) {
        q.index = pod;
        sdk_eval_result r;
        if (sdk_offer_evaluate(&q, offers, N_OFFERS, &r, NULL) != 0) return 1;
        evals += (long)r.n_outcomes;
        if (r.matched) {
            sdk_offer *o = &offers[r.offer_index];
            consume(o, &r);
            char name[64];
            snprintf(name, sizeof name, "node-%d-server", pod);
            sdk_placement_task t = {name, "node", o->hostname, o->attrs, o->n_attrs, NULL, NULL};
            sdk_placement_view_add(view, &t);
            launched++;
        }
        sdk_eval_result_free(&r);
    }
    double fill_s = now_s() - t0;
    sdk_placement_view_free(view);
    sdk_placement_rule_free(rule);
    for (int i = 0; i < N_OFFERS; i++) sdk_offer_free_contents(&offers[i]);
    sdk_spec_free(spec);

    /* ---- matrix: every pair evaluated alone; memory is always short, so nothing launches ---- */
    spec = make_spec(4096);
    make_offers(offers);
    rule = sdk_placement_parse_new("rack:LIKE:rack-[0-4]");
    q = request(spec, tasks);
    q.placement = rule;
    long mevals = 0, placement_pass = 0;
    t0 = now_s();
    for (int pod = 0; pod < N_PODS; pod++) {
        q.index = pod;
        for (int i = 0; i < N_OFFERS; i++) {
            sdk_eval_result r;
            if (sdk_offer_evaluate(&q, &offers[i], 1, &r, NULL) != 0) return 1;
            mevals++;
            placement_pass += r.outcomes[0].n_stages > 2;
            sdk_eval_result_free(&r);
        }
    }
    double matrix_s = now_s() - t0;
    sdk_placement_rule_free(rule);
    for (int i = 0; i < N_OFFERS; i++) sdk_offer_free_contents(&offers[i]);
    free(offers);
    sdk_spec_free(spec);

    printf("%-8s %-26s %8s %12s %10s %14s\n", "scenario", "rule", "pods", "evaluations", "seconds", "evals/s");
    printf("%-8s %-26s %8d %12ld %10.3f %14.0f   (%ld launched)\n", "fill", "hostname:MAX_PER:2", N_PODS, evals,
           fill_s, evals / fill_s, launched);
    printf("%-8s %-26s %8d %12ld %10.3f %14.0f   (%ld past placement)\n", "matrix", "rack:LIKE:rack-[0-4]", N_PODS,
           mevals, matrix_s, mevals / matrix_s, placement_pass);
    printf("peak RSS (VmHWM): %ld kB\n", vm_hwm_kb());
    printf("reproduce: make build/bench/offer_eval && ./build/bench/offer_eval\n");
    bench_row("offer_evals_per_s", mevals / matrix_s, "evals/s", "make build/bench/offer_eval && build/bench/offer_eval");
    return 0;
}
