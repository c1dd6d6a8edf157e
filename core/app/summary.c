#include "core/app/summary.h"
#include "core/plan/plan.h"
#include "core/util/str.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void print_set(FILE *out, const sdk_resource_set *rs) {
    fprintf(out, "      resources %s:", rs->id);
    const char *sep = " ";
    if (rs->cpus > 0) { fprintf(out, "%scpus %g", sep, rs->cpus); sep = ", "; }
    if (rs->gpus > 0) { fprintf(out, "%sgpus %g", sep, rs->gpus); sep = ", "; }
    if (rs->memory_mb > 0) { fprintf(out, "%smem %g MB", sep, rs->memory_mb); sep = ", "; }
    for (size_t i = 0; i < rs->n_ports; i++) {
        const sdk_port_spec *p = &rs->ports[i];
        if (p->port) fprintf(out, "%sport %s=%u", sep, p->name, p->port);
        else fprintf(out, "%sport %s=dynamic", sep, p->name);
        if (p->env_key) fprintf(out, " ($%s)", p->env_key);
        if (p->advertise) fprintf(out, " advertised");
        sep = ", ";
    }
    for (size_t i = 0; i < rs->n_volumes; i++) {
        const sdk_volume_spec *v = &rs->volumes[i];
        fprintf(out, "%svolume %s %lld MB %s", sep, v->path, (long long)v->size_mb,
                v->type == SDK_VOLUME_MOUNT ? "MOUNT" : "ROOT");
        sep = ", ";
    }
    fputc('\n', out);
}

int sdk_print_summary(FILE *out, const sdk_spec *spec, sdk_errors *errs) {
    char *role = sdk_spec_role_new(spec);
    fprintf(out, "Service %s\n  user %s, principal %s, role %s\n", spec->name, spec->user, spec->principal, role);
    free(role);
    if (spec->web_url) fprintf(out, "  web url %s\n", spec->web_url);
    fprintf(out, "\nPods:\n");
    for (size_t i = 0; i < spec->n_pods; i++) {
        const sdk_pod_spec *p = &spec->pods[i];
        fprintf(out, "  %s: %lld instance%s", p->type, (long long)p->count, p->count == 1 ? "" : "s");
        if (p->placement && *p->placement && strcmp(p->placement, "[]")) fprintf(out, ", placement %s", p->placement);
        if (p->pre_reserved_role && strcmp(p->pre_reserved_role, "*"))
            fprintf(out, ", pre-reserved role %s", p->pre_reserved_role);
        if (p->allow_decommission) fprintf(out, ", may shrink");
        if (p->image) fprintf(out, ", image %s", p->image);
        fputc('\n', out);
        for (size_t v = 0; v < p->n_volumes; v++)
            fprintf(out, "      pod volume %s %lld MB %s\n", p->volumes[v].path, (long long)p->volumes[v].size_mb,
                    p->volumes[v].type == SDK_VOLUME_MOUNT ? "MOUNT" : "ROOT");
        for (size_t r = 0; r < p->n_resource_sets; r++) print_set(out, &p->resource_sets[r]);
        for (size_t t = 0; t < p->n_tasks; t++) {
            const sdk_task_spec *ts = &p->tasks[t];
            fprintf(out, "    task %-12s %-7s on %s", ts->name, sdk_goal_name(ts->goal), ts->resource_set);
            if (ts->health_check.present) fprintf(out, ", health check every %llds", (long long)ts->health_check.interval_s);
            if (ts->readiness_check.present) fprintf(out, ", readiness check every %llds", (long long)ts->readiness_check.interval_s);
            if (!ts->essential) fprintf(out, ", not essential");
            fputc('\n', out);
        }
    }
    sdk_plan **plans = NULL;
    size_t n = 0;
    int rc = sdk_plans_from_spec_new(spec, NULL, false, &plans, &n, errs);
    if (rc) return rc;
    fprintf(out, "\nPlans (as they start on a fresh install):\n");
    for (size_t i = 0; i < n; i++) {
        json_t *j = sdk_plan_to_json_new(plans[i], NULL);
        char *tree = sdk_plan_tree_new(plans[i]->name, j);
        json_decref(j);
        /* indent the tree by two spaces */
        fputs("  ", out);
        for (const char *c = tree; *c; c++) {
            fputc(*c, out);
            if (*c == '\n') fputs("  ", out);
        }
        fputc('\n', out);
        free(tree);
    }
    sdk_plans_free(plans, n);
    return 0;
}
