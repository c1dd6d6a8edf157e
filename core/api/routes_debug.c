/* Debug routes (sdk-behaviour.md §6.9): GET /v2/debug/offers, /v1/debug/reservations,
 * /v1/debug/plans and /v1/debug/taskStatuses. Diagnostic shapes; no CLI depends on them, but
 * /v1/debug/plans and /v1/debug/taskStatuses keep dcos-commons' keys (S/debug/PlansTracker.java,
 * S/debug/TaskStatusesTracker.java) so upstream tooling reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/api/sdk_api.h"
#include "core/util/str.h"
#include "mesos/pbjson.h"
#include "mesos/proto/mesos.pb-c.h"

/* GET /v2/debug/offers: the last evaluations (oldest first). ?step= keeps one step's entries. */
static void h_debug_offers(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *only_step = sdk_http_req_query(req, "step");
    size_t n = 0;
    const sdk_offer_log_entry *log = sdk_service_offer_log(api->svc, &n);
    json_t *offers = json_array(), *reasons = json_object();
    long long accepted = 0, rejected = 0;
    for (size_t i = 0; i < n; i++) {
        const sdk_offer_log_entry *e = &log[i];
        if (only_step && *only_step && (!e->step || strcmp(e->step, only_step))) continue;
        const sdk_offer_outcome *o = &e->outcome;
        if (o->pass) accepted++;
        else rejected++;
        json_t *expl = json_array();
        for (size_t k = 0; k < o->n_stages; k++) {
            const sdk_stage_outcome *st = &o->stages[k];
            json_array_append_new(expl, json_pack("{s:s, s:s, s:s}", "stage", st->stage ? st->stage : "", "outcome",
                                                  st->pass ? "pass" : "fail", "reason", st->reason ? st->reason : ""));
            if (!st->pass) {
                char *r = sdk_asprintf_new("%s: %s", st->stage ? st->stage : "", st->reason ? st->reason : "");
                json_t *cur = json_object_get(reasons, r);
                json_object_set_new(reasons, r, json_integer(cur ? json_integer_value(cur) + 1 : 1));
                free(r);
            }
        }
        json_t *x = json_object();
        json_object_set_new(x, "timestamp", json_real(e->when));
        json_object_set_new(x, "pod-instance-name", json_string(e->pod_instance ? e->pod_instance : ""));
        json_object_set_new(x, "step", json_string(e->step ? e->step : ""));
        json_object_set_new(x, "outcome", json_string(o->pass ? "pass" : "fail"));
        json_object_set_new(x, "explanation", expl);
        json_object_set_new(x, "offer", json_string(o->offer_id ? o->offer_id : ""));
        json_array_append_new(offers, x);
    }
    json_t *j = json_object();
    json_object_set_new(j, "acceptedCount", json_integer(accepted));
    json_object_set_new(j, "rejectedCount", json_integer(rejected));
    json_object_set_new(j, "failureReasons", reasons);
    json_object_set_new(j, "rejectedAgents", json_object());
    json_object_set_new(j, "offers", offers);
    sdk_api_respond_json_take(req, 200, j);
}

static json_t *resources_json_new(Mesos__V1__Resource *const *r, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, sdk_pbjson_from_message_new(&r[i]->base));
    return a;
}

/* GET /v1/debug/reservations: {"<agent id>": {"hostname": h, "tasks": {"<task>": {"resource_ids":
 * [...], "resources": [Resource...], "executor_resources": [Resource...]}}}} over stored tasks. */
static void h_debug_reservations(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const sdk_task_views *tv = sdk_service_task_views(api->svc);
    json_t *agents = json_object();
    for (size_t i = 0; tv && i < tv->n; i++) {
        const sdk_task_view *t = &tv->v[i];
        void *buf = NULL;
        size_t len = 0;
        if (sdk_state_task_info_get_new(api->state, t->name, &buf, &len, NULL)) continue;
        Mesos__V1__TaskInfo *ti = mesos__v1__task_info__unpack(NULL, len, buf);
        free(buf);
        if (!ti) continue;
        const char *agent = ti->agent_id && ti->agent_id->value ? ti->agent_id->value : "";
        json_t *a = json_object_get(agents, agent);
        if (!a) {
            a = json_object();
            json_object_set_new(a, "hostname", json_string(t->hostname ? t->hostname : ""));
            json_object_set_new(a, "tasks", json_object());
            json_object_set_new(agents, agent, a);
        }
        json_t *ids = json_array();
        for (size_t k = 0; k < t->n_resource_ids; k++) json_array_append_new(ids, json_string(t->resource_ids[k]));
        json_t *x = json_object();
        json_object_set_new(x, "resource_ids", ids);
        json_object_set_new(x, "resources", resources_json_new(ti->resources, ti->n_resources));
        json_object_set_new(x, "executor_resources", ti->executor ? resources_json_new(ti->executor->resources,
                                                                                        ti->executor->n_resources)
                                                                   : json_array());
        json_object_set_new(json_object_get(a, "tasks"), t->name, x);
        mesos__v1__task_info__free_unpacked(ti, NULL);
    }
    sdk_api_respond_json_take(req, 200, agents);
}

/* ---- GET /v1/debug/plans (dcos-commons S/debug/PlansTracker.java) ---- */

/* Names compare case-insensitively there (equalsIgnoreCase). */
static bool name_is(const char *name, const char *filter) { return !filter || !strcasecmp(name, filter); }

/* The plan/phase/step filters, checked as upstream does: a step needs its phase and plan, a phase
 * its plan, and each named element must match exactly one. NULL when valid, else the reason
 * (upstream's texts). */
static const char *debug_filter_problem(sdk_plan *const *plans, size_t np, const char *plan, const char *phase,
                                        const char *step) {
    if (step && (!plan || !phase)) return "Step specified without parent Phase and Plan values.";
    if (phase && !plan) return "Phase specified without parent Plan.";
    if (!plan) return NULL;
    sdk_plan *p = NULL;
    size_t n = 0;
    for (size_t i = 0; i < np; i++)
        if (name_is(plans[i]->name, plan)) p = plans[i], n++;
    if (n != 1) return "Supplied plan not found in list of all available plans!";
    if (!phase) return NULL;
    sdk_phase *ph = NULL;
    n = 0;
    for (size_t i = 0; i < p->n_phases; i++)
        if (name_is(p->phases[i]->name, phase)) ph = p->phases[i], n++;
    if (n != 1) return "Supplied phase not found in set of possible phases with supplied plan!";
    if (!step) return NULL;
    n = 0;
    for (size_t i = 0; i < ph->n_steps; i++) n += name_is(ph->steps[i]->name, step);
    if (n != 1) return "Supplied step not found in set of possible steps with supplied plan and phase!";
    return NULL;
}

static json_t *errors_json_new(const sdk_errors *e) {
    json_t *a = json_array();
    for (size_t i = 0; i < e->n; i++) json_array_append_new(a, json_string(e->msgs[i]));
    return a;
}

/* {"name", "status", "strategy", "phases": [{"name", "status", "strategy", "steps": [{"name",
 * "status", "errors"}]}], "totalSteps", "completedSteps"}; the counts cover the whole plan. */
static json_t *debug_plan_json_new(sdk_plan *p, const char *phase, const char *step) {
    json_t *phases = json_array();
    size_t total = 0, complete = 0;
    for (size_t i = 0; i < p->n_phases; i++) {
        sdk_phase *ph = p->phases[i];
        for (size_t k = 0; k < ph->n_steps; k++) {
            total++;
            complete += sdk_step_status(ph->steps[k]) == SDK_STATUS_COMPLETE;
        }
        if (!name_is(ph->name, phase)) continue;
        json_t *steps = json_array();
        for (size_t k = 0; k < ph->n_steps; k++) {
            sdk_step *s = ph->steps[k];
            if (!name_is(s->name, step)) continue;
            json_t *o = json_object();
            json_object_set_new(o, "name", json_string(s->name));
            json_object_set_new(o, "status", json_string(sdk_status_name(sdk_step_status(s))));
            json_object_set_new(o, "errors", errors_json_new(&s->errors));
            json_array_append_new(steps, o);
        }
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(ph->name));
        json_object_set_new(o, "status", json_string(sdk_status_name(sdk_phase_status(ph))));
        json_object_set_new(o, "strategy", json_string(sdk_strat_name(&ph->strat)));
        json_object_set_new(o, "steps", steps);
        json_array_append_new(phases, o);
    }
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "status", json_string(sdk_status_name(sdk_plan_status(p))));
    json_object_set_new(o, "strategy", json_string(sdk_strat_name(&p->strat)));
    json_object_set_new(o, "phases", phases);
    json_object_set_new(o, "totalSteps", json_integer((json_int_t)total));
    json_object_set_new(o, "completedSteps", json_integer((json_int_t)complete));
    return o;
}

/* {"name", "type": "plan|phase|step", "children": [...] or null for a step}. */
static json_t *topology_node_new(const char *name, const char *type, json_t *children) {
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "children", children ? children : json_null());
    return o;
}

static json_t *topology_new(sdk_plan *p) {
    json_t *phases = json_array();
    for (size_t i = 0; i < p->n_phases; i++) {
        json_t *steps = json_array();
        for (size_t k = 0; k < p->phases[i]->n_steps; k++)
            json_array_append_new(steps, topology_node_new(p->phases[i]->steps[k]->name, "step", NULL));
        json_array_append_new(phases, topology_node_new(p->phases[i]->name, "phase", steps));
    }
    return topology_node_new(p->name, "plan", phases);
}

static bool plan_running(sdk_plan *p) { return p && sdk_status_is_running(sdk_plan_status(p)); }

/* Upstream's SchedulerState: later tests win (DECOMMISSIONING over RECOVERING over DEPLOYED over
 * DEPLOYING over RUNNING). DEPLOYED also when the store says a deployment once completed. */
static const char *scheduler_state(sdk_api *api, sdk_plan *const *plans, size_t np) {
    sdk_plan *deploy = sdk_plans_find(plans, np, "deploy");
    const char *st = "RUNNING";
    if (plan_running(deploy)) st = "DEPLOYING";
    void *buf = NULL;
    size_t len = 0;
    bool deployed_once = sdk_state_property_get_new(api->state, "last-completed-update-type", &buf, &len, NULL) == 0 &&
                         len == 6 && !memcmp(buf, "DEPLOY", 6);
    free(buf);
    if (deployed_once || (deploy && sdk_plan_status(deploy) == SDK_STATUS_COMPLETE)) st = "DEPLOYED";
    if (plan_running(sdk_plans_find(plans, np, "recovery"))) st = "RECOVERING";
    if (plan_running(sdk_plans_find(plans, np, "decommission"))) st = "DECOMMISSIONING";
    return st;
}

/* ?plan=&phase=&step= narrow "plans" (names, any case); a filter naming nothing answers 200
 * {"invalid-input": reason} as upstream. ?sync is accepted and has no effect: every answer is
 * computed from the current state on the loop. */
static void h_debug_plans(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *plan = sdk_http_req_query(req, "plan"), *phase = sdk_http_req_query(req, "phase"),
               *step = sdk_http_req_query(req, "step");
    size_t np = 0;
    sdk_plan *const *plans = sdk_service_plans(api->svc, &np);
    const char *bad = debug_filter_problem(plans, np, plan, phase, step);
    if (bad) {
        sdk_api_respond_json_take(req, 200, json_pack("{s:s}", "invalid-input", bad));
        return;
    }
    json_t *active = json_array(), *list = json_array(), *topo = json_array();
    for (size_t i = 0; i < np; i++) {
        if (plan_running(plans[i])) json_array_append_new(active, json_string(plans[i]->name));
        json_array_append_new(topo, topology_new(plans[i]));
        if (name_is(plans[i]->name, plan)) json_array_append_new(list, debug_plan_json_new(plans[i], phase, step));
    }
    json_t *j = json_object();
    json_object_set_new(j, "schedulerState", json_string(scheduler_state(api, plans, np)));
    json_object_set_new(j, "activePlans", active);
    json_object_set_new(j, "plans", list);
    json_object_set_new(j, "serviceTopology", topo);
    sdk_api_respond_json_take(req, 200, j);
}

/* ---- GET /v1/debug/taskStatuses (dcos-commons S/debug/TaskStatusesTracker.java) ---- */

/* {"name": task, "taskStatus": "TASK_RUNNING", "taskId": id} from the stored TaskStatus, or
 * TASK_UNKNOWN and "" when none is stored (upstream's defaults). */
static json_t *task_status_json_new(sdk_api *api, const char *task) {
    const char *state = "TASK_UNKNOWN";
    char *id = NULL;
    void *buf = NULL;
    size_t len = 0;
    if (sdk_state_task_status_get_new(api->state, task, &buf, &len, NULL) == 0) {
        Mesos__V1__TaskStatus *st = mesos__v1__task_status__unpack(NULL, len, buf);
        if (st) {
            const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&mesos__v1__task_state__descriptor,
                                                                               (int)st->state);
            if (v) state = v->name;
            if (st->task_id && st->task_id->value) id = sdk_xstrdup(st->task_id->value);
            mesos__v1__task_status__free_unpacked(st, NULL);
        }
        free(buf);
    }
    json_t *o = json_pack("{s:s, s:s, s:s}", "name", task, "taskStatus", state, "taskId", id ? id : "");
    free(id);
    return o;
}

/* [{"name": plan, "phases": [{"name", "steps": [{"name", "taskStatus": [{"name", "taskStatus",
 * "taskId"}]}]}]}]; ?plan=&phase=&step= keep matching names (any case), unchecked as upstream.
 * Upstream lists one task per step (the first pod task whose name the step name contains) and
 * fails on a step without a pod; here a step lists every task it launches, none for a step
 * without a pod. */
static void h_debug_task_statuses(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    const char *plan = sdk_http_req_query(req, "plan"), *phase = sdk_http_req_query(req, "phase"),
               *step = sdk_http_req_query(req, "step");
    size_t np = 0;
    sdk_plan *const *plans = sdk_service_plans(api->svc, &np);
    json_t *out = json_array();
    for (size_t i = 0; i < np; i++) {
        sdk_plan *p = plans[i];
        if (!name_is(p->name, plan)) continue;
        json_t *phases = json_array();
        for (size_t k = 0; k < p->n_phases; k++) {
            sdk_phase *ph = p->phases[k];
            if (!name_is(ph->name, phase)) continue;
            json_t *steps = json_array();
            for (size_t s = 0; s < ph->n_steps; s++) {
                sdk_step *st = ph->steps[s];
                if (!name_is(st->name, step)) continue;
                json_t *tasks = json_array();
                for (size_t t = 0; st->pod_instance && t < st->n_tasks; t++)
                    json_array_append_new(tasks, task_status_json_new(api, st->tasks[t].name));
                json_t *so = json_object();
                json_object_set_new(so, "name", json_string(st->name));
                json_object_set_new(so, "taskStatus", tasks);
                json_array_append_new(steps, so);
            }
            json_t *po = json_object();
            json_object_set_new(po, "name", json_string(ph->name));
            json_object_set_new(po, "steps", steps);
            json_array_append_new(phases, po);
        }
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(p->name));
        json_object_set_new(o, "phases", phases);
        json_array_append_new(out, o);
    }
    sdk_api_respond_json_take(req, 200, out);
}

const sdk_api_route sdk_api_debug_routes[] = {
    {"GET", "/v2/debug/offers", h_debug_offers, 0},
    {"GET", "/v1/debug/reservations", h_debug_reservations, 0},
    {"GET", "/v1/debug/plans", h_debug_plans, 0},
    {"GET", "/v1/debug/taskStatuses", h_debug_task_statuses, 0},
};
const size_t sdk_api_n_debug_routes = sizeof sdk_api_debug_routes / sizeof sdk_api_debug_routes[0];
