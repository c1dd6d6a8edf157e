/* Plan JSON of §6.1 (PlanInfo/PhaseInfo/StepInfo shapes) and the GET status code. */
#include <string.h>
#include <jansson.h>
#include <stdlib.h>
#include "core/plan/plan.h"
#include "core/util/str.h"

static json_t *step_json(sdk_step *s, const sdk_task_views *tv) {
    sdk_status st = sdk_step_status(s);
    sdk_status disp = sdk_step_display_status(s, tv);
    sdk_buf m;
    sdk_buf_init(&m);
    sdk_buf_printf(&m, "%s: %s [%s] with status: %s", s->impl, s->name, s->id, sdk_status_name(st));
    if (disp != st) sdk_buf_printf(&m, " (display:%s)", sdk_status_name(disp));
    if (s->recovery != SDK_RECOVERY_NONE) sdk_buf_printf(&m, " RecoveryType: %s", sdk_recovery_type_name(s->recovery));
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(s->id));
    json_object_set_new(o, "status", json_string(sdk_status_name(disp)));
    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "message", json_string(m.data));
    sdk_buf_free(&m);
    return o;
}

static void add_errors(json_t *arr, const sdk_errors *e) {
    for (size_t i = 0; i < e->n; i++) json_array_append_new(arr, json_string(e->msgs[i]));
}

json_t *sdk_plan_to_json_new(sdk_plan *p, const sdk_task_views *tv) {
    json_t *phases = json_array();
    json_t *errors = json_array();
    add_errors(errors, &p->errors);
    for (size_t i = 0; i < p->n_phases; i++) {
        sdk_phase *ph = p->phases[i];
        sdk_status phs = sdk_phase_status(ph); /* first: settles canary gates before steps show */
        json_t *steps = json_array();
        for (size_t j = 0; j < ph->n_steps; j++) json_array_append_new(steps, step_json(ph->steps[j], tv));
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(ph->id));
        json_object_set_new(o, "name", json_string(ph->name));
        json_object_set_new(o, "steps", steps);
        json_object_set_new(o, "strategy", json_string(sdk_strat_name(&ph->strat)));
        json_object_set_new(o, "status", json_string(sdk_status_name(phs)));
        json_array_append_new(phases, o);
        add_errors(errors, &ph->errors);
        for (size_t j = 0; j < ph->n_steps; j++) add_errors(errors, &ph->steps[j]->errors);
    }
    json_t *o = json_object();
    json_object_set_new(o, "phases", phases);
    json_object_set_new(o, "errors", errors);
    json_object_set_new(o, "strategy", json_string(sdk_strat_name(&p->strat)));
    json_object_set_new(o, "status", json_string(sdk_status_name(sdk_plan_status(p))));
    return o;
}

int sdk_plan_http_status(sdk_plan *p) {
    if (sdk_plan_error_count(p) > 0) return 417;
    return sdk_plan_status(p) == SDK_STATUS_COMPLETE ? 200 : 202;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 1099511628211ULL;
    return h;
}
static uint64_t fnv_str(uint64_t h, const char *s) { return s ? fnv(h, s, strlen(s) + 1) : fnv(h, "", 1); }
/* One multiply per value rather than one per byte: the per-step values are small integers. */
static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 1099511628211ULL; }

/* Ids, names and the implementation name of a step never change after creation, and a phase's
 * steps are only ever appended (sdk_phase_add_step_take), so a phase's serial (never reused) and
 * its step count stand for every step's id, name and message prefix: only what can change
 * (status, recovery type, errors) is hashed per step. This is what keeps the check cheap enough
 * to run per burst of GETs at 1,000 steps (it used to hash each step's 36-byte id byte by byte). */
uint64_t sdk_plan_fingerprint(sdk_plan *p, const sdk_task_views *tv) {
    uint64_t h = 1469598103934665603ULL;
    h = mix(h, (uint64_t)sdk_plan_status(p));
    h = fnv_str(h, sdk_strat_name(&p->strat));
    h = mix(h, (uint64_t)sdk_plan_error_count(p));
    for (size_t e = 0; e < p->errors.n; e++) h = fnv_str(h, p->errors.msgs[e]);
    h = mix(h, (uint64_t)p->n_phases);
    for (size_t i = 0; i < p->n_phases; i++) {
        sdk_phase *ph = p->phases[i];
        h = mix(h, ph->serial);
        h = mix(h, (uint64_t)ph->n_steps);
        h = mix(h, (uint64_t)sdk_phase_status(ph));
        h = fnv_str(h, sdk_strat_name(&ph->strat));
        for (size_t e = 0; e < ph->errors.n; e++) h = fnv_str(h, ph->errors.msgs[e]);
        for (size_t j = 0; j < ph->n_steps; j++) {
            sdk_step *st = ph->steps[j];
            /* status, display status (PAUSED overrides) and recovery type in one word */
            h = mix(h, (uint64_t)sdk_step_status(st) | (uint64_t)sdk_step_display_status(st, tv) << 16 |
                           (uint64_t)st->recovery << 32 | (uint64_t)st->errors.n << 40);
            for (size_t e = 0; e < st->errors.n; e++) h = fnv_str(h, st->errors.msgs[e]);
        }
    }
    return h;
}

const sdk_task_views *sdk_task_views_if_paused(const sdk_task_views *tv) {
    for (size_t i = 0; tv && i < tv->n; i++)
        if (tv->v[i].override == SDK_OVERRIDE_PAUSED) return tv;
    return NULL;
}
