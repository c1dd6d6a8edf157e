/* The scenario language (docs/scenarios.md). One command per line; `#` starts a comment. */
#include "core/sim/scenario.h"
#include "core/events/events.h"
#include "core/events/planwatch.h"
#include "core/loop/loop.h"
#include "core/plugin/live_backend.h"
#include "core/service/assemble.h"
#include "core/service/records.h"
#include "core/sim/cluster.h"
#include "core/spec/envfile.h"
#include "core/state/layout.h"
#include "core/state/store.h"
#include "core/util/str.h"
#include <ctype.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct remembered { char *task, *task_id, *agent_id; } remembered;

typedef struct scn {
    const char *file;
    int line;
    FILE *log;
    sdk_errors *errs;
    int failures;
    const char *default_plugin;
    /* definition */
    char *plugin_path, *spec_path;
    sdk_kv *env;            /* env file contents */
    size_t n_env;
    sdk_kv *opts;           /* option K=V */
    size_t n_opts;
    sdk_backoff_config backoff;
    bool uninstall;             /* `start-uninstall` */
    size_t launch_cap;          /* `launch-cap N [hold]`: 0 = the service's default */
    uint64_t commits_before;    /* store commits when the last event began */
    bool hold_offers;
    /* world */
    sdk_sim_cluster sim;
    sdk_store *store;
    sdk_state *state;
    sdk_service *svc;
    sdk_assembly as;
    sdk_loop *loop;             /* plugin timers and commands; stepped by `tick` */
    sdk_live_backend *lb;
    double now;
    char *framework_id;
    remembered *mem;
    size_t n_mem;
    /* operator events, as the scheduler's terminal would show them (`expect events`) */
    sdk_events *events;
    sdk_plan_watch *watch;
    size_t ev_count[SDK_EV__COUNT];
    char *ev_last[SDK_EV__COUNT]; /* text of the latest event of each type */
    const char *status_message;   /* `status ... exit=N`: the executor's message */
} scn;

static void scn_on_event(const sdk_event *e, void *ud) {
    scn *s = ud;
    if ((unsigned)e->type >= SDK_EV__COUNT) return;
    s->ev_count[e->type]++;
    free(s->ev_last[e->type]);
    s->ev_last[e->type] = sdk_event_text_new(e);
    if (s->log) fprintf(s->log, "  event: %s\n", s->ev_last[e->type]);
}

/* After each scenario event, like the scheduler after each run of Mesos events. */
static void scn_watch_plans(scn *s) {
    if (!s->svc) return;
    size_t n = 0;
    sdk_plan *const *plans = sdk_service_plans(s->svc, &n);
    for (size_t i = 0; i < n; i++) sdk_plan_watch_update(s->watch, plans[i]);
}

static double scn_clock(void *arg) { return ((scn *)arg)->now; }

static void fail(scn *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(scn *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *m = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    sdk_errors_addf(s->errs, "%s:%d: %s", s->file, s->line, m);
    if (s->log) fprintf(s->log, "  FAIL %s:%d: %s\n", s->file, s->line, m);
    free(m);
    s->failures++;
}

/* ---- tokens ---- */
static size_t tokenize(char *line, char **tok, size_t max) {
    size_t n = 0;
    char *p = line;
    while (*p && n < max) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p || *p == '#') break;
        if (*p == '"') {
            char *end = strchr(p + 1, '"');
            if (!end) end = p + strlen(p);
            tok[n++] = p + 1;
            if (*end) *end++ = 0;
            p = end;
            continue;
        }
        tok[n++] = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (*p) *p++ = 0;
    }
    return n;
}

static const char *kv_val(const char *tok, const char *key) {
    size_t k = strlen(key);
    return !strncmp(tok, key, k) && tok[k] == '=' ? tok + k + 1 : NULL;
}

static void kv_set(sdk_kv **v, size_t *n, const char *k, const char *val) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i].key, k)) { free((*v)[i].value); (*v)[i].value = sdk_xstrdup(val); return; }
    *v = sdk_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[*n].key = sdk_xstrdup(k);
    (*v)[*n].value = sdk_xstrdup(val);
    (*n)++;
}

/* "shared/..." names the shared reference folder (SDK_SHARED or ../shared); "fixtures/..." the
 * fixture plugins of this build (SDK_BUILD_DIR/fixtures, default build/fixtures). */
static char *resolve(const char *p) {
    if (!strncmp(p, "fixtures/", 9)) {
        const char *b = getenv("SDK_BUILD_DIR");
        return sdk_asprintf_new("%s/%s", b && *b ? b : "build", p);
    }
    if (!strncmp(p, "shared/", 7)) {
        const char *sh = getenv("SDK_SHARED");
        return sdk_asprintf_new("%s/%s", sh && *sh ? sh : "../shared", p + 7);
    }
    return sdk_xstrdup(p);
}

/* ---- agents ---- */
static void add_scalar(sdk_resources *rs, const char *name, double v, const char *static_role) {
    sdk_resource r;
    memset(&r, 0, sizeof r);
    r.name = (char *)name;
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    sdk_reservation rv = {.type = SDK_RESV_STATIC, .role = (char *)static_role};
    if (static_role) { r.reservations = &rv; r.n_reservations = 1; }
    sdk_resources_add(rs, &r);
}
static void add_ports(sdk_resources *rs, uint64_t b, uint64_t e, const char *static_role) {
    sdk_resource r;
    memset(&r, 0, sizeof r);
    r.name = "ports";
    r.type = SDK_RES_RANGES;
    sdk_range rg = {b, e};
    r.ranges = &rg;
    r.n_ranges = 1;
    sdk_reservation rv = {.type = SDK_RESV_STATIC, .role = (char *)static_role};
    if (static_role) { r.reservations = &rv; r.n_reservations = 1; }
    sdk_resources_add(rs, &r);
}
static bool parse_resources(scn *s, char **tok, size_t n, sdk_resources *rs, const char *role) {
    for (size_t i = 0; i < n; i++) {
        const char *v;
        if ((v = kv_val(tok[i], "cpus"))) add_scalar(rs, "cpus", atof(v), role);
        else if ((v = kv_val(tok[i], "mem"))) add_scalar(rs, "mem", atof(v), role);
        else if ((v = kv_val(tok[i], "disk"))) add_scalar(rs, "disk", atof(v), role);
        else if ((v = kv_val(tok[i], "gpus"))) add_scalar(rs, "gpus", atof(v), role);
        else if ((v = kv_val(tok[i], "ports"))) {
            unsigned long long b, e;
            if (sscanf(v, "%llu-%llu", &b, &e) != 2) { fail(s, "bad ports range '%s' (want B-E)", v); return false; }
            add_ports(rs, b, e, role);
        } else if (strncmp(tok[i], "attr=", 5) && strncmp(tok[i], "zone=", 5) && strncmp(tok[i], "region=", 7)) {
            fail(s, "unknown agent resource '%s'", tok[i]);
            return false;
        }
    }
    return true;
}

static void cmd_agent(scn *s, char **tok, size_t n) {
    sdk_resources rs;
    sdk_resources_init(&rs);
    if (n < 2 || !parse_resources(s, tok + 2, n - 2, &rs, NULL)) { sdk_resources_free(&rs); return; }
    sdk_sim_agent *a = sdk_sim_add_agent(&s->sim, tok[1], &rs);
    sdk_resources_free(&rs);
    for (size_t i = 2; i < n; i++) {
        const char *v;
        if ((v = kv_val(tok[i], "zone"))) a->zone = sdk_xstrdup(v);
        else if ((v = kv_val(tok[i], "region"))) a->region = sdk_xstrdup(v);
        else if ((v = kv_val(tok[i], "attr"))) {
            char *copy = sdk_xstrdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                char *c = strchr(t, ':');
                if (!c) continue;
                *c = 0;
                a->attrs = sdk_xrealloc(a->attrs, (a->n_attrs + 1) * sizeof *a->attrs);
                a->attrs[a->n_attrs].name = sdk_xstrdup(t);
                a->attrs[a->n_attrs].value = sdk_xstrdup(c + 1);
                a->n_attrs++;
            }
            free(copy);
        }
    }
}

static void cmd_agent_static(scn *s, char **tok, size_t n) {
    if (n < 3) { fail(s, "usage: agent-static AGENT ROLE cpus=.. mem=.. ..."); return; }
    sdk_sim_agent *a = sdk_sim_agent_find(&s->sim, tok[1]);
    if (!a) { fail(s, "no agent '%s'", tok[1]); return; }
    sdk_resources rs;
    sdk_resources_init(&rs);
    if (parse_resources(s, tok + 3, n - 3, &rs, tok[2])) sdk_resources_add_all(&a->free, &rs);
    sdk_resources_free(&rs);
}

static void cmd_agent_mount(scn *s, char **tok, size_t n) {
    if (n < 3) { fail(s, "usage: agent-mount AGENT SIZE_MB [ROOT]"); return; }
    sdk_sim_agent *a = sdk_sim_agent_find(&s->sim, tok[1]);
    if (!a) { fail(s, "no agent '%s'", tok[1]); return; }
    sdk_resource r;
    memset(&r, 0, sizeof r);
    r.name = "disk";
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(atof(tok[2]));
    r.disk_source = SDK_DISK_MOUNT;
    char root[64];
    snprintf(root, sizeof root, "/mnt/disk%zu", a->free.n);
    r.disk_source_root = n > 3 ? tok[3] : root;
    sdk_resources_add(&a->free, &r);
}

/* ---- service lifecycle ---- */
static void stop_service(scn *s) {
    sdk_service_free(s->svc);
    s->svc = NULL;
    if (s->lb) {
        sdk_live_backend_attach_service(s->lb, NULL);
        sdk_live_backend_attach_state(s->lb, NULL);
    }
    sdk_assembly_free(&s->as);
    sdk_live_backend_free(s->lb);
    s->lb = NULL;
}

static int start_service(scn *s, sdk_errors *errs) {
    stop_service(s);
    if (!s->loop && sdk_loop_new(&s->loop)) {
        sdk_errors_addf(errs, "cannot create an event loop");
        return SDK_EIO;
    }
    sdk_live_backend_new(s->loop, NULL, NULL, &s->lb);
    sdk_plugin_backend be = sdk_live_backend_vtable(s->lb);
    sdk_assembly_input in = {.plugin_path = s->plugin_path, .spec_path = s->spec_path, .env = s->env,
                             .n_env = s->n_env, .overrides = s->opts, .n_overrides = s->n_opts,
                             .backend = &be};
    int rc = sdk_assemble(&in, &s->as, errs);
    if (rc) return rc;
    if (!s->state) {
        sdk_store_memory_open(&s->store);
        rc = sdk_state_open_new(s->store, s->as.spec->name, &s->state, errs);
        if (rc) return rc;
    }
    sdk_live_backend_attach_state(s->lb, s->state);
    sdk_service_options o = {.spec = s->as.spec, .state = s->state, .env = s->as.vars,
                             .n_env = s->as.n_vars, .driver = sdk_sim_driver(), .driver_ctx = &s->sim,
                             .backoff = s->backoff, .clock = scn_clock, .clock_arg = s,
                             .backend = {.name = "the simulated cluster", .no_docker_images = true},
                             .uninstall = s->uninstall, .max_launches_per_cycle = s->launch_cap,
                             .events = s->events};
    o.plugin = s->as.inst;
    sdk_service_options pol = {0};
    if (sdk_service_policy_from_vars(&pol, s->as.vars, s->as.n_vars, errs)) return SDK_EINVAL;
    if (!s->backoff.enabled) o.backoff = pol.backoff; /* an explicit `backoff` line wins */
    o.permanent_failure_timeout_s = pol.permanent_failure_timeout_s;
    s->as.spec = NULL; /* taken */
    rc = sdk_service_new(&o, &s->svc, errs);
    if (!rc) sdk_live_backend_attach_service(s->lb, s->svc);
    if (!rc) sdk_service_hold_offers(s->svc, s->hold_offers);
    return rc;
}

static bool need_service(scn *s) {
    if (s->svc) return true;
    fail(s, "no service: use `start` first");
    return false;
}

/* ---- events ---- */
static void do_offers(scn *s, char **tok, size_t n) {
    if (!need_service(s)) return;
    size_t cap = s->sim.n_agents ? s->sim.n_agents : 1;
    sdk_offer *offers = sdk_xcalloc(cap, sizeof *offers);
    size_t k = 0;
    for (size_t i = 0; i < s->sim.n_agents; i++) {
        bool chosen = n <= 1;
        for (size_t j = 1; j < n && !chosen; j++) chosen = !strcmp(tok[j], s->sim.agents[i].hostname);
        if (chosen) sdk_sim_make_offer(&s->sim, &s->sim.agents[i], &offers[k++]);
    }
    sdk_service_on_offers(s->svc, offers, k);
    for (size_t i = 0; i < k; i++) sdk_offer_free_contents(&offers[i]);
    free(offers);
    for (size_t i = 0; i < s->sim.act.errors.n; i++) fail(s, "simulated cluster: %s", s->sim.act.errors.msgs[i]);
}

static bool parse_state(const char *name, sdk_tstate *out) {
    static const char *names[] = {"STARTING", "RUNNING", "FINISHED", "FAILED", "KILLED", "LOST", "STAGING",
                                  "ERROR", "KILLING", "DROPPED", "UNREACHABLE", "GONE", "GONE_BY_OPERATOR",
                                  "UNKNOWN"};
    if (!strncmp(name, "TASK_", 5)) name += 5;
    for (int i = 0; i < 14; i++)
        if (!strcasecmp(name, names[i])) { *out = (sdk_tstate)i; return true; }
    return false;
}

/* A status update for the task's latest launch. Reconciliation answers carry no uuid (nothing
 * to acknowledge) and the reason REASON_RECONCILIATION, as Mesos sends them. */
static void send_status_as(scn *s, sdk_sim_task *t, sdk_tstate st, bool has_check, int exit_code, const char *ip,
                           bool reconciliation) {
    sdk_sim_set_state(&s->sim, t, st);
    unsigned char uuid[16] = {1, 2, 3};
    sdk_status_update u = {.task_id = t->task_id, .agent_id = t->agent_id, .state = st, .message = s->status_message,
                           .has_check_status = has_check, .has_exit_code = has_check, .exit_code = exit_code,
                           .ip = ip, .uuid = reconciliation ? NULL : uuid, .uuid_len = reconciliation ? 0 : sizeof uuid,
                           .reason = reconciliation ? "REASON_RECONCILIATION" : NULL};
    sdk_service_on_status(s->svc, &u);
}

static void send_status(scn *s, sdk_sim_task *t, sdk_tstate st, bool has_check, int exit_code, const char *ip) {
    send_status_as(s, t, st, has_check, exit_code, ip, false);
}

static void do_status(scn *s, char **tok, size_t n) {
    if (!need_service(s)) return;
    if (n < 3) { fail(s, "usage: status TASK STATE [ready|notready] [ip=A] [exit=N]"); return; }
    sdk_sim_task *t = sdk_sim_task_find(&s->sim, tok[1]);
    if (!t) { fail(s, "task %s was never launched", tok[1]); return; }
    sdk_tstate st;
    if (!parse_state(tok[2], &st)) { fail(s, "unknown task state '%s'", tok[2]); return; }
    bool has_check = false;
    int code = 0;
    const char *ip = NULL, *exit_code = NULL;
    for (size_t i = 3; i < n; i++) {
        if (!strcmp(tok[i], "ready")) { has_check = true; code = 0; }
        else if (!strcmp(tok[i], "notready")) { has_check = true; code = 1; }
        else if (!strncmp(tok[i], "ip=", 3)) ip = tok[i] + 3;
        else if (!strncmp(tok[i], "exit=", 5)) exit_code = tok[i] + 5;
        else { fail(s, "unknown status option '%s'", tok[i]); return; }
    }
    /* the message of Mesos' command executor for a command that ended */
    char *msg = exit_code ? sdk_asprintf_new("Command exited with status %s", exit_code) : NULL;
    s->status_message = msg;
    send_status(s, t, st, has_check, code, ip);
    s->status_message = NULL;
    free(msg);
}

static remembered *find_mem(scn *s, const char *task);

/* `status-remembered TASK STATE`: a status update for the launch `remember` saw (a late or
 * repeated update of a task's previous run, arriving after its relaunch). */
static void do_status_remembered(scn *s, char **tok, size_t n) {
    if (!need_service(s)) return;
    if (n != 3) { fail(s, "usage: status-remembered TASK STATE"); return; }
    remembered *m = find_mem(s, tok[1]);
    if (!m || !m->task_id) { fail(s, "task %s was not remembered", tok[1]); return; }
    sdk_sim_task *t = sdk_sim_task_find(&s->sim, m->task_id);
    if (!t) { fail(s, "task id %s was never launched", m->task_id); return; }
    sdk_tstate st;
    if (!parse_state(tok[2], &st)) { fail(s, "unknown task state '%s'", tok[2]); return; }
    send_status(s, t, st, false, 0, NULL);
}

/* Answers every live launched task: FINISH/ONCE goals finish, RUNNING goals run ready. */
static void answer_launched(scn *s) {
    for (size_t i = 0; i < s->sim.n_tasks; i++) {
        sdk_sim_task *t = &s->sim.tasks[i];
        if (t->state != SDK_TSTATE_STAGING) continue;
        const sdk_task_desc *d = sdk_service_task_desc(s->svc, t->name);
        bool finish = d && d->goal != SDK_GOAL_RUNNING && d->task_id && !strcmp(d->task_id, t->task_id);
        send_status(s, t, SDK_TSTATE_RUNNING, d && d->readiness.present, 0, NULL);
        if (finish) send_status(s, t, SDK_TSTATE_FINISHED, false, 0, NULL);
    }
    /* killed tasks die */
    for (size_t i = 0; i < s->sim.n_tasks; i++) {
        sdk_sim_task *t = &s->sim.tasks[i];
        if (t->killed && (t->state == SDK_TSTATE_RUNNING || t->state == SDK_TSTATE_STAGING))
            send_status(s, t, SDK_TSTATE_KILLED, false, 0, NULL);
    }
}

/* What a master answers to explicit reconciliation: the current state of every live task. */
static void answer_reconcile(scn *s) {
    for (size_t i = 0; i < s->sim.n_tasks; i++) {
        sdk_sim_task *t = &s->sim.tasks[i];
        if (sdk_tstate_terminal(t->state)) continue;
        const sdk_task_desc *d = sdk_service_task_desc(s->svc, t->name);
        bool check = d && d->readiness.present && t->state == SDK_TSTATE_RUNNING;
        send_status_as(s, t, t->state, check, 0, NULL, true);
    }
}

/* `converge [PLAN]`: offers + answers until PLAN (default deploy) is COMPLETE or 30 rounds. */
static void do_converge(scn *s, char **tok, size_t n) {
    if (!need_service(s)) return;
    const char *plan = n > 1 ? tok[1] : "deploy";
    for (int round = 0; round < 30; round++) {
        sdk_plan *p = sdk_service_plan(s->svc, plan);
        if (!p) { fail(s, "no plan '%s'", plan); return; }
        if (sdk_plan_status(p) == SDK_STATUS_COMPLETE) return;
        char *none[1] = {"offers"};
        do_offers(s, none, 1);
        answer_launched(s);
    }
    sdk_plan *p = sdk_service_plan(s->svc, plan);
    fail(s, "plan %s did not complete in 30 offer rounds (status %s)", plan,
         p ? sdk_status_name(sdk_plan_status(p)) : "?");
}

static void do_plan_cmd(scn *s, char **tok, size_t n) {
    if (!need_service(s)) return;
    if (n < 2) { fail(s, "usage: %s PLAN ...", tok[0]); return; }
    sdk_plan *p = sdk_service_plan(s->svc, tok[1]);
    if (!p) { fail(s, "no plan '%s'", tok[1]); return; }
    sdk_errors msg;
    sdk_errors_init(&msg);
    sdk_cmd_result r = SDK_CMD_OK;
    const char *a = n > 2 ? tok[2] : NULL, *b = n > 3 ? tok[3] : NULL;
    if (!strcmp(tok[0], "plan-start")) {
        sdk_kv *kv = sdk_xcalloc(n, sizeof *kv);
        size_t k = 0;
        for (size_t i = 2; i < n; i++) {
            char *eq = strchr(tok[i], '=');
            if (!eq) { fail(s, "parameter '%s' is not K=V", tok[i]); free(kv); sdk_errors_free(&msg); return; }
            *eq = 0;
            kv[k].key = tok[i];
            kv[k++].value = eq + 1;
        }
        r = sdk_plan_cmd_start(p, kv, k, &msg);
        free(kv);
    } else if (!strcmp(tok[0], "plan-continue")) r = sdk_plan_cmd_continue(p, a, &msg);
    else if (!strcmp(tok[0], "plan-interrupt")) r = sdk_plan_cmd_interrupt(p, a, &msg);
    else if (!strcmp(tok[0], "plan-restart")) r = sdk_plan_cmd_restart(p, a, b, &msg);
    else if (!strcmp(tok[0], "plan-force-complete")) r = sdk_plan_cmd_force_complete(p, a, b, &msg);
    else if (!strcmp(tok[0], "plan-stop")) r = sdk_plan_cmd_stop(p);
    if (r != SDK_CMD_OK) fail(s, "%s answered %d: %s", tok[0], sdk_cmd_http_status(r), msg.n ? msg.msgs[0] : "");
    sdk_errors_free(&msg);
    /* the service records what must survive a restart and reacts to new work */
    sdk_service_plans_changed(s->svc);
    sdk_service_tick(s->svc);
}

/* `pod-restart|pod-replace|pod-pause|pod-resume POD [TASK...]`, and `pod-fails OP POD TEXT`. */
static void do_pod(scn *s, char **tok, size_t n) {
    if (!need_service(s)) return;
    bool expect_fail = !strcmp(tok[0], "pod-fails");
    const char *opname = expect_fail ? (n > 1 ? tok[1] : "") : tok[0] + 4;
    size_t first = expect_fail ? 2 : 1;
    if (n <= first) { fail(s, "usage: %s POD [TASK...]", tok[0]); return; }
    sdk_pod_op op;
    if (!strcmp(opname, "restart")) op = SDK_POD_RESTART;
    else if (!strcmp(opname, "replace")) op = SDK_POD_REPLACE;
    else if (!strcmp(opname, "pause")) op = SDK_POD_PAUSE;
    else if (!strcmp(opname, "resume")) op = SDK_POD_RESUME;
    else { fail(s, "unknown pod operation '%s'", opname); return; }
    const char *pod = tok[first];
    const char *const *tasks = (const char *const *)tok + first + 1;
    size_t nt = expect_fail ? 0 : n - first - 1;
    char **aff = NULL;
    size_t na = 0;
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_service_pod_op(s->svc, op, pod, tasks, nt, &aff, &na, &e);
    if (expect_fail) {
        const char *want = n > first + 1 ? tok[first + 1] : "";
        if (!rc) fail(s, "pod %s %s was accepted, expected a refusal", opname, pod);
        else if (!sdk_errors_contains(&e, want)) fail(s, "pod %s refused with '%s', expected '%s'", opname, e.n ? e.msgs[0] : "", want);
    } else if (rc) {
        fail(s, "pod %s %s: %s", opname, pod, e.n ? e.msgs[0] : "refused");
    }
    sdk_errors_free(&e);
    sdk_service_names_free(aff, na);
}

/* `update K=V...` / `update-fails TEXT K=V...`: a live configuration update (no restart). */
static void do_update(scn *s, char **tok, size_t n) {
    if (!need_service(s)) return;
    bool expect_fail = !strcmp(tok[0], "update-fails");
    size_t first = expect_fail ? 2 : 1;
    sdk_kv *more = sdk_xcalloc(n + 1, sizeof *more);
    size_t k = 0;
    for (size_t i = first; i < n; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq) { fail(s, "update wants KEY=VALUE, got '%s'", tok[i]); free(more); return; }
        *eq = 0;
        more[k].key = tok[i];
        more[k++].value = eq + 1;
    }
    sdk_assembly_input in = {.plugin_path = s->plugin_path, .spec_path = s->spec_path, .env = s->env,
                             .n_env = s->n_env, .overrides = s->opts, .n_overrides = s->n_opts};
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_spec *spec = NULL;
    size_t n_saved = 0;
    sdk_kv *saved = sdk_assembly_vars_dup(&s->as, &n_saved);
    int rc = sdk_assembly_rebuild_new(&s->as, &in, more, k, &spec, &e);
    if (!rc) {
        rc = sdk_service_update_config(s->svc, spec, &e);
        if (rc) {
            sdk_assembly_rollback(&s->as, saved, n_saved);
            saved = NULL;
            n_saved = 0;
        }
    }
    for (size_t i = 0; i < n_saved; i++) { free(saved[i].key); free(saved[i].value); }
    free(saved);
    if (expect_fail) {
        const char *want = n > 1 ? tok[1] : "";
        if (!rc) fail(s, "the update was accepted, expected a refusal containing '%s'", want);
        else if (!sdk_errors_contains(&e, want)) fail(s, "update refused with '%s', expected '%s'", e.n ? e.msgs[0] : "", want);
    } else if (rc) {
        fail(s, "update refused: %s", e.n ? e.msgs[0] : "?");
    } else {
        /* like the scheduler, later restarts keep the updated options */
        for (size_t i = 0; i < k; i++) kv_set(&s->opts, &s->n_opts, more[i].key, more[i].value);
    }
    sdk_errors_free(&e);
    free(more);
}

/* ---- expectations ---- */
static bool names_match(char **want, size_t n_want, char **got, size_t n_got) {
    if (n_want == 1 && !strcmp(want[0], "none")) return n_got == 0;
    if (n_want != n_got) return false;
    for (size_t i = 0; i < n_want; i++) {
        bool found = false;
        for (size_t j = 0; j < n_got && !found; j++) found = !strcmp(want[i], got[j]);
        if (!found) return false;
    }
    return true;
}
static char *join(char **v, size_t n) {
    sdk_buf b;
    sdk_buf_init(&b);
    for (size_t i = 0; i < n; i++) sdk_buf_printf(&b, "%s%s", i ? " " : "", v[i]);
    if (!n) sdk_buf_puts(&b, "none");
    return sdk_buf_take(&b);
}

static const char *step_status_name(sdk_step *st) { return sdk_status_name(sdk_step_status(st)); }

static remembered *find_mem(scn *s, const char *task) {
    for (size_t i = 0; i < s->n_mem; i++)
        if (!strcmp(s->mem[i].task, task)) return &s->mem[i];
    return NULL;
}

static void do_expect(scn *s, char **tok, size_t n) {
    if (n < 2) { fail(s, "usage: expect WHAT ..."); return; }
    const char *what = tok[1];
    if (!strcmp(what, "launched") || !strcmp(what, "killed")) {
        char **got = !strcmp(what, "launched") ? s->sim.act.launched : s->sim.act.killed;
        size_t n_got = !strcmp(what, "launched") ? s->sim.act.n_launched : s->sim.act.n_killed;
        if (!names_match(tok + 2, n - 2, got, n_got)) {
            char *w = join(tok + 2, n - 2), *g = join(got, n_got);
            fail(s, "expected %s: %s; got: %s", what, w, g);
            free(w); free(g);
        }
        return;
    }
    if (!strcmp(what, "ops")) {
        for (size_t i = 2; i < n; i++) {
            char *eq = strchr(tok[i], '=');
            if (!eq) { fail(s, "ops wants NAME=COUNT"); return; }
            *eq = 0;
            size_t want = strtoul(eq + 1, NULL, 10), got;
            if (!strcmp(tok[i], "RESERVE")) got = s->sim.act.n_reserve;
            else if (!strcmp(tok[i], "UNRESERVE")) got = s->sim.act.n_unreserve;
            else if (!strcmp(tok[i], "CREATE")) got = s->sim.act.n_create;
            else if (!strcmp(tok[i], "DESTROY")) got = s->sim.act.n_destroy;
            else if (!strcmp(tok[i], "LAUNCH_GROUP")) got = s->sim.act.n_launch_group;
            else { fail(s, "unknown operation '%s'", tok[i]); return; }
            if (got != want) fail(s, "expected %zu %s operation(s), got %zu", want, tok[i], got);
        }
        return;
    }
    if (!strcmp(what, "declined") || !strcmp(what, "accepted") || !strcmp(what, "revive") ||
        !strcmp(what, "suppress") || !strcmp(what, "reconcile")) {
        size_t got = !strcmp(what, "declined") ? s->sim.act.n_declined
                     : !strcmp(what, "accepted") ? s->sim.act.n_accepted
                     : !strcmp(what, "revive") ? s->sim.act.n_revive
                     : !strcmp(what, "suppress") ? s->sim.act.n_suppress : s->sim.act.n_reconcile;
        if (n > 2) {
            size_t want = strtoul(tok[2], NULL, 10);
            if (got != want) fail(s, "expected %zu %s, got %zu", want, what, got);
        } else if (!got) {
            fail(s, "expected a %s, got none", what);
        }
        return;
    }
    if (!need_service(s)) return;
    if (!strcmp(what, "plan") || !strcmp(what, "phase") || !strcmp(what, "step")) {
        size_t need = !strcmp(what, "plan") ? 4 : !strcmp(what, "phase") ? 5 : 6;
        if (n < need) { fail(s, "usage: expect plan P STATUS | phase P PH STATUS | step P PH STEP STATUS"); return; }
        sdk_plan *p = sdk_service_plan(s->svc, tok[2]);
        if (!p) { fail(s, "no plan '%s'", tok[2]); return; }
        const char *got = sdk_status_name(sdk_plan_status(p));
        if (need >= 5) {
            sdk_phase *ph = sdk_plan_find_phase(p, tok[3]);
            if (!ph) { fail(s, "plan %s has no phase '%s'", tok[2], tok[3]); return; }
            got = sdk_status_name(sdk_phase_status(ph));
            if (need == 6) {
                sdk_step *st = sdk_phase_find_step(ph, tok[4]);
                if (!st) { fail(s, "phase %s has no step '%s'", tok[3], tok[4]); return; }
                got = step_status_name(st);
            }
        }
        if (strcmp(got, tok[need - 1])) fail(s, "expected %s %s to be %s, it is %s", what, tok[need - 2], tok[need - 1], got);
        return;
    }
    if (!strcmp(what, "plans")) {
        size_t np;
        sdk_plan *const *ps = sdk_service_plans(s->svc, &np);
        char **names = sdk_xcalloc(np ? np : 1, sizeof *names);
        for (size_t i = 0; i < np; i++) names[i] = ps[i]->name;
        char *g = join(names, np), *w = join(tok + 2, n - 2);
        if (strcmp(g, w)) fail(s, "expected plans %s, got %s", w, g);
        free(g); free(w); free(names);
        return;
    }
    if (!strcmp(what, "env") || !strcmp(what, "no-env")) {
        if (n < 4) { fail(s, "usage: expect env TASK K=V | expect no-env TASK K"); return; }
        const sdk_task_desc *d = sdk_service_task_desc(s->svc, tok[2]);
        if (!d) { fail(s, "no task %s", tok[2]); return; }
        char *eq = strchr(tok[3], '=');
        if (eq) *eq = 0;
        const char *got = sdk_kv_get(d->env, d->n_env, tok[3]);
        if (!strcmp(what, "no-env")) {
            if (got) fail(s, "expected no %s in %s's env, got %s=%s", tok[3], tok[2], tok[3], got);
        } else if (!got || !eq || strcmp(got, eq + 1)) {
            fail(s, "expected %s=%s in %s's env, got %s", tok[3], eq ? eq + 1 : "", tok[2], got ? got : "(unset)");
        }
        return;
    }
    if (!strcmp(what, "cmd-contains")) {
        const sdk_task_desc *d = n > 3 ? sdk_service_task_desc(s->svc, tok[2]) : NULL;
        if (!d || !d->cmd || !strstr(d->cmd, tok[3])) fail(s, "expected %s's command to contain '%s'", n > 2 ? tok[2] : "?", n > 3 ? tok[3] : "");
        return;
    }
    if (!strcmp(what, "same-task-id") || !strcmp(what, "new-task-id") || !strcmp(what, "same-agent")) {
        if (n < 3) { fail(s, "usage: expect %s TASK", what); return; }
        remembered *m = find_mem(s, tok[2]);
        const sdk_task_desc *d = sdk_service_task_desc(s->svc, tok[2]);
        if (!m || !d) { fail(s, "remember %s first", tok[2]); return; }
        bool same_id = d->task_id && m->task_id && !strcmp(d->task_id, m->task_id);
        bool same_agent = d->agent_id && m->agent_id && !strcmp(d->agent_id, m->agent_id);
        if (!strcmp(what, "same-task-id") && !same_id) fail(s, "%s was relaunched (new task id %s)", tok[2], d->task_id);
        if (!strcmp(what, "new-task-id") && same_id) fail(s, "%s was not relaunched", tok[2]);
        if (!strcmp(what, "same-agent") && !same_agent) fail(s, "%s moved from %s to %s", tok[2], m->agent_id, d->agent_id);
        return;
    }
    if (!strcmp(what, "reservations") || !strcmp(what, "volumes")) {
        if (n < 3) { fail(s, "usage: expect %s N", what); return; }
        size_t want = strtoul(tok[2], NULL, 10);
        size_t got = !strcmp(what, "reservations") ? sdk_sim_reservation_count(&s->sim) : sdk_sim_volume_count(&s->sim);
        if (got != want) fail(s, "expected %zu %s on the cluster, found %zu", want, what, got);
        return;
    }
    if (!strcmp(what, "reserved-role")) {
        /* some reserved resource on the cluster is owned by ROLE (last reservation) */
        if (n < 3) { fail(s, "usage: expect reserved-role ROLE"); return; }
        bool found = false;
        for (size_t i = 0; i < s->sim.n_agents && !found; i++)
            for (size_t j = 0; j < s->sim.agents[i].free.n && !found; j++)
                found = sdk_resource_is_dynamically_reserved(&s->sim.agents[i].free.v[j]) &&
                        !strcmp(sdk_resource_role(&s->sim.agents[i].free.v[j]), tok[2]);
        for (size_t i = 0; i < s->sim.n_tasks && !found; i++)
            for (size_t j = 0; j < s->sim.tasks[i].resources.n && !found; j++)
                found = !strcmp(sdk_resource_role(&s->sim.tasks[i].resources.v[j]), tok[2]) &&
                        sdk_resource_is_dynamically_reserved(&s->sim.tasks[i].resources.v[j]);
        if (!found) fail(s, "no resource on the cluster is reserved for role %s", tok[2]);
        return;
    }
    if (!strcmp(what, "agent")) {
        /* expect agent TASK HOST: the task's last launch went to that agent */
        if (n < 4) { fail(s, "usage: expect agent TASK HOST"); return; }
        sdk_sim_task *t = sdk_sim_task_find(&s->sim, tok[2]);
        sdk_sim_agent *a = sdk_sim_agent_find(&s->sim, tok[3]);
        if (!t || !a) { fail(s, "no task %s or agent %s", tok[2], tok[3]); return; }
        if (strcmp(t->agent_id, a->id)) fail(s, "%s runs on %s, expected %s", tok[2], t->agent_id, a->id);
        return;
    }
    if (!strcmp(what, "deploy-error")) {
        sdk_plan *p = sdk_service_plan(s->svc, "deploy");
        bool found = false;
        for (size_t i = 0; p && i < p->errors.n && !found; i++) found = n > 2 && strstr(p->errors.msgs[i], tok[2]);
        if (!found) fail(s, "expected a deploy plan error containing '%s'", n > 2 ? tok[2] : "");
        return;
    }
    if (!strcmp(what, "uninstalled")) {
        if (!sdk_service_uninstalled(s->svc)) fail(s, "expected the uninstall to be complete");
        if (!s->sim.act.n_teardown) fail(s, "expected a TEARDOWN of the framework");
        return;
    }
    if (!strcmp(what, "events") || !strcmp(what, "event-text")) {
        /* expect events TYPE N | expect event-text TYPE TEXT... */
        if (n < 4) { fail(s, "usage: expect events TYPE N | expect event-text TYPE TEXT"); return; }
        int t = -1;
        for (int k = 0; k < SDK_EV__COUNT; k++)
            if (!strcmp(sdk_event_type_name((sdk_event_type)k), tok[2])) t = k;
        if (t < 0) { fail(s, "no event type '%s'", tok[2]); return; }
        if (!strcmp(what, "events")) {
            size_t want = (size_t)atol(tok[3]);
            if (s->ev_count[t] != want)
                fail(s, "expected %zu %s event(s); got %zu (latest: %s)", want, tok[2], s->ev_count[t],
                     s->ev_last[t] ? s->ev_last[t] : "none");
            return;
        }
        char *text = join(tok + 3, n - 3);
        if (!s->ev_last[t] || !strstr(s->ev_last[t], text))
            fail(s, "expected the latest %s event to contain '%s'; got: %s", tok[2], text,
                 s->ev_last[t] ? s->ev_last[t] : "none");
        free(text);
        return;
    }
    if (!strcmp(what, "suppressed")) {
        if (!sdk_service_is_suppressed(s->svc)) fail(s, "expected offers to be suppressed");
        return;
    }
    fail(s, "unknown expectation '%s'", what);
}

/* ---- main loop ---- */
static bool is_event(const char *c) {
    return !strcmp(c, "offers") || !strcmp(c, "status") || !strcmp(c, "status-remembered") || !strcmp(c, "register") || !strcmp(c, "restart") ||
           !strcmp(c, "tick") || !strcmp(c, "converge") || !strncmp(c, "plan-", 5) || !strncmp(c, "pod-", 4) || !strncmp(c, "update", 6) || !strcmp(c, "start") ||
           !strcmp(c, "answer") || !strcmp(c, "answer-reconcile") || !strcmp(c, "start-uninstall") ||
           !strcmp(c, "continue-offers") || !strcmp(c, "events-done") || !strcmp(c, "flush-due");
}

static int run_line(scn *s, char *line) {
    /* `option KEY=VALUE`: the value is the rest of the line, verbatim (JSON placement rules). */
    char *lp = line;
    while (isspace((unsigned char)*lp)) lp++;
    if (!strncmp(lp, "option ", 7)) {
        char *kv = lp + 7;
        while (isspace((unsigned char)*kv)) kv++;
        char *end = kv + strlen(kv);
        while (end > kv && isspace((unsigned char)end[-1])) *--end = 0;
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv) { fail(s, "option '%s' is not KEY=VALUE", kv); return -1; }
        *eq = 0;
        kv_set(&s->opts, &s->n_opts, kv, eq + 1);
        return 0;
    }
    char *tok[64];
    size_t n = tokenize(line, tok, 64);
    if (!n) return 0;
    const char *c = tok[0];
    if (is_event(c)) {
        sdk_sim_clear_actions(&s->sim);
        s->commits_before = s->store ? sdk_store_commits(s->store) : 0;
    }
    if (!strcmp(c, "spec")) {
        if (n < 2) { fail(s, "usage: spec SVC.YML [ENV]"); return -1; }
        free(s->spec_path);
        s->spec_path = resolve(tok[1]);
        if (n > 2) {
            char *p = resolve(tok[2]);
            sdk_errors e;
            sdk_errors_init(&e);
            sdk_envfile_free(s->env, s->n_env);
            s->env = NULL;
            s->n_env = 0;
            if (sdk_envfile_read_new(p, &s->env, &s->n_env, &e)) { fail(s, "%s", e.n ? e.msgs[0] : p); free(p); sdk_errors_free(&e); return -1; }
            sdk_errors_free(&e);
            free(p);
        }
    } else if (!strcmp(c, "plugin")) {
        free(s->plugin_path);
        s->plugin_path = n > 1 ? resolve(tok[1]) : sdk_xstrdup(s->default_plugin);
        if (!s->plugin_path) { fail(s, "`plugin` without a path needs --plugin"); return -1; }
    } else if (!strcmp(c, "backoff")) {
        sdk_backoff_config_default(&s->backoff);
        s->backoff.enabled = true;
        for (size_t i = 1; i < n; i++) {
            const char *v;
            if ((v = kv_val(tok[i], "initial"))) s->backoff.initial_s = atof(v);
            else if ((v = kv_val(tok[i], "factor"))) s->backoff.factor = atof(v);
            else if ((v = kv_val(tok[i], "max"))) s->backoff.max_s = atof(v);
        }
    } else if (!strcmp(c, "request-budget")) {
        if (s->store) sdk_store_set_request_budget(s->store, n > 1 ? (size_t)atol(tok[1]) : 0);
        else fail(s, "request-budget needs a state store (after start)");
    } else if (!strcmp(c, "launch-cap")) {
        s->launch_cap = n > 1 ? (size_t)atol(tok[1]) : 0;
        s->hold_offers = n > 2 && !strcmp(tok[2], "hold");
    } else if (!strcmp(c, "agent")) cmd_agent(s, tok, n);
    else if (!strcmp(c, "agent-static")) cmd_agent_static(s, tok, n);
    else if (!strcmp(c, "agent-mount")) cmd_agent_mount(s, tok, n);
    else if (!strcmp(c, "start") || !strcmp(c, "restart") || !strcmp(c, "start-fails") ||
             !strcmp(c, "start-uninstall")) {
        /* `restart` keeps the mode; `start` and `start-fails` start a normal scheduler */
        if (!strcmp(c, "start-uninstall")) s->uninstall = true;
        else if (strcmp(c, "restart")) s->uninstall = false;
        sdk_errors e;
        sdk_errors_init(&e);
        int rc = start_service(s, &e);
        if (!strcmp(c, "start-fails")) {
            bool found = false;
            for (size_t i = 0; i < e.n && !found; i++) found = n > 1 && strstr(e.msgs[i], tok[1]);
            if (!rc) fail(s, "expected the service to be refused, it started");
            else if (!found) fail(s, "start refused, but no error contains '%s' (first: %s)", n > 1 ? tok[1] : "",
                                  e.n ? e.msgs[0] : "none");
        } else if (rc) {
            for (size_t i = 0; i < e.n; i++) fail(s, "start: %s", e.msgs[i]);
            sdk_errors_free(&e);
            return -1;
        }
        sdk_errors_free(&e);
        if (!rc && (!strcmp(c, "restart") || !strcmp(c, "start-uninstall")) && s->framework_id)
            sdk_service_on_registered(s->svc, s->framework_id);
    } else if (!strcmp(c, "register")) {
        if (!need_service(s)) return -1;
        free(s->framework_id);
        s->framework_id = sdk_xstrdup(n > 1 ? tok[1] : "sim-framework-0001");
        sdk_service_on_registered(s->svc, s->framework_id);
    } else if (!strcmp(c, "offers")) do_offers(s, tok, n);
    else if (!strcmp(c, "status")) do_status(s, tok, n);
    else if (!strcmp(c, "status-remembered")) do_status_remembered(s, tok, n);
    else if (!strcmp(c, "answer")) { if (need_service(s)) answer_launched(s); }
    else if (!strcmp(c, "continue-offers")) { if (need_service(s)) sdk_service_continue_offers(s->svc); }
    else if (!strcmp(c, "defer-events")) { if (need_service(s)) sdk_service_defer_interest(s->svc, true); }
    else if (!strcmp(c, "events-done")) { if (need_service(s)) sdk_service_settle(s->svc); }
    else if (!strcmp(c, "group-statuses")) { if (need_service(s)) sdk_service_group_statuses(s->svc, true); }
    else if (!strcmp(c, "flush-due")) { /* `flush-due SECONDS`: the owner's flush timer */
        if (need_service(s)) sdk_service_flush_statuses_due(s->svc, n > 1 ? atof(tok[1]) : 0);
    }
    else if (!strcmp(c, "expect") && n > 3 && !strcmp(tok[1], "property-contains")) {
        void *v = NULL;
        size_t len = 0;
        if (!s->state || sdk_state_property_get_new(s->state, tok[2], &v, &len, NULL))
            fail(s, "expected a stored property %s, there is none", tok[2]);
        else if (!memmem(v, len, tok[3], strlen(tok[3])))
            fail(s, "expected the stored property %s to contain '%s'", tok[2], tok[3]);
        free(v);
    }
    else if (!strcmp(c, "expect") && n > 1 && !strcmp(tok[1], "acks")) {
        if (s->sim.act.n_ack != (size_t)(n > 2 ? atol(tok[2]) : 0))
            fail(s, "expected %s acknowledgement(s) in the last event, got %zu", n > 2 ? tok[2] : "0",
                 (size_t)s->sim.act.n_ack);
    }
    else if (!strcmp(c, "expect") && n > 1 && !strcmp(tok[1], "commits")) {
        uint64_t got = s->store ? sdk_store_commits(s->store) - s->commits_before : 0;
        if (got != (uint64_t)(n > 2 ? atol(tok[2]) : 0))
            fail(s, "expected %s state transaction(s) in the last event, got %llu", n > 2 ? tok[2] : "0",
                 (unsigned long long)got);
    } else if (!strcmp(c, "expect") && n > 1 && !strcmp(tok[1], "held")) {
        if (need_service(s) && sdk_service_offers_held(s->svc) != (size_t)(n > 2 ? atol(tok[2]) : 0))
            fail(s, "expected %s held offer(s), the service holds %zu", n > 2 ? tok[2] : "0",
                 sdk_service_offers_held(s->svc));
    }
    else if (!strcmp(c, "answer-reconcile")) { if (need_service(s)) answer_reconcile(s); }
    else if (!strcmp(c, "converge")) do_converge(s, tok, n);
    else if (!strcmp(c, "advance")) s->now += n > 1 ? atof(tok[1]) : 1;
    else if (!strcmp(c, "tick")) {
        if (!need_service(s)) return -1;
        sdk_loop_run_once(s->loop, 0);
        sdk_service_tick(s->svc);
    }
    else if (!strncmp(c, "plan-", 5)) do_plan_cmd(s, tok, n);
    else if (!strncmp(c, "pod-", 4)) do_pod(s, tok, n);
    else if (!strcmp(c, "update") || !strcmp(c, "update-fails")) do_update(s, tok, n);
    else if (!strcmp(c, "remember")) {
        if (!need_service(s)) return -1;
        for (size_t i = 1; i < n; i++) {
            const sdk_task_desc *d = sdk_service_task_desc(s->svc, tok[i]);
            if (!d) { fail(s, "no task %s to remember", tok[i]); continue; }
            remembered *m = find_mem(s, tok[i]);
            if (!m) {
                s->mem = sdk_xrealloc(s->mem, (s->n_mem + 1) * sizeof *s->mem);
                m = &s->mem[s->n_mem++];
                memset(m, 0, sizeof *m);
                m->task = sdk_xstrdup(tok[i]);
            }
            free(m->task_id); free(m->agent_id);
            m->task_id = sdk_xstrdup(d->task_id);
            m->agent_id = sdk_xstrdup(d->agent_id);
        }
    } else if (!strcmp(c, "expect")) do_expect(s, tok, n);
    else { fail(s, "unknown command '%s'", c); return -1; }
    if (is_event(c)) scn_watch_plans(s);
    return 0;
}

int sdk_scenario_run_file(const char *path, const char *plugin_path, FILE *log, sdk_errors *errs) {
    char *text = NULL;
    if (sdk_read_file_new(path, &text, NULL)) {
        sdk_errors_addf(errs, "%s: cannot read the scenario", path);
        return SDK_EINVAL;
    }
    scn s;
    memset(&s, 0, sizeof s);
    s.file = path;
    s.log = log;
    s.errs = errs;
    s.default_plugin = plugin_path;
    s.now = 1000.0;
    sdk_sim_init(&s.sim);
    s.events = sdk_events_new(0, scn_clock, &s);
    s.watch = sdk_plan_watch_new(s.events);
    sdk_events_subscribe(s.events, scn_on_event, &s);
    char *save = NULL;
    int lineno = 0;
    /* strtok_r would skip empty lines and break numbering: split by hand */
    char *p = text;
    (void)save;
    while (p && *p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        s.line = ++lineno;
        if (log) fprintf(log, "%s:%d: %s\n", path, lineno, p);
        if (run_line(&s, p) < 0) break;
        p = nl ? nl + 1 : NULL;
    }
    stop_service(&s);
    if (s.loop) sdk_loop_free(s.loop);
    sdk_state_free(s.state);
    if (s.store) sdk_store_close(s.store);
    sdk_sim_free(&s.sim);
    free(s.plugin_path);
    free(s.spec_path);
    sdk_envfile_free(s.env, s.n_env);
    for (size_t i = 0; i < s.n_opts; i++) { free(s.opts[i].key); free(s.opts[i].value); }
    free(s.opts);
    for (size_t i = 0; i < s.n_mem; i++) { free(s.mem[i].task); free(s.mem[i].task_id); free(s.mem[i].agent_id); }
    free(s.mem);
    free(s.framework_id);
    sdk_plan_watch_free(s.watch);
    sdk_events_free(s.events);
    for (size_t i = 0; i < SDK_EV__COUNT; i++) free(s.ev_last[i]);
    free(text);
    return s.failures ? SDK_EINVAL : 0;
}
