/* Plan model: aggregation rules, strategies (incl. canary), the step goal table, backoff,
 * operator controls and their result codes, plan JSON and the CLI tree. */
#include <jansson.h>
#include "core/plan/plan.h"
#include "core/service/service.h"
#include "core/util/str.h"
#include "tests/unit/check.h"

#define S(x) SDK_STATUS_##x

/* ------------------------------------------------------------------ helpers ---- */

static sdk_step *pod_step(const char *pod, int64_t idx, const char *task, sdk_goal goal) {
    char *name = sdk_asprintf_new("%s-%lld:[%s]", pod, (long long)idx, task);
    const char *tasks[] = {task};
    sdk_goal goals[] = {goal};
    sdk_step *s = sdk_step_pod_new(name, pod, idx, tasks, goals, 1);
    free(name);
    return s;
}

/* A plan "p" with one phase "ph" of n steps "pod-i:[t]" under the given strategies. */
static sdk_plan *plan_n(sdk_strategy phase_strategy, size_t n) {
    sdk_plan *p = sdk_plan_new("p", SDK_STRATEGY_SERIAL);
    sdk_phase *ph = sdk_phase_new("ph", phase_strategy);
    for (size_t i = 0; i < n; i++) sdk_phase_add_step_take(ph, pod_step("pod", (int64_t)i, "t", SDK_GOAL_RUNNING));
    sdk_plan_add_phase_take(p, ph);
    return p;
}

/* Candidate step names of a single plan joined by ",". */
static char *cands(sdk_plan *p) {
    sdk_candidate *c;
    size_t n;
    sdk_plan_candidates_new(&p, 1, &c, &n);
    sdk_buf b;
    sdk_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        if (i) sdk_buf_putc(&b, ',');
        sdk_buf_puts(&b, c[i].step->name);
    }
    free(c);
    return sdk_buf_take(&b);
}

#define CHECK_CANDS(p, expect) do { char *c_ = cands(p); CHECK_STR(c_, expect); free(c_); } while (0)

/* Launch the step's single task with id and report a status. */
static void launch(sdk_step *s, const char *id) {
    sdk_launched l = {s->tasks[0].name, id};
    CHECK_INT(sdk_step_on_launched(s, &l, 1), 0);
}

static void run_ready(sdk_step *s, const char *id) {
    launch(s, id);
    CHECK(sdk_step_on_task_status(s, NULL, id, SDK_TSTATE_RUNNING, true));
}

/* ------------------------------------------------------------- aggregation ---- */

typedef struct agg_case {
    const char *what;
    sdk_status c[4];
    size_t nc;
    sdk_status k[4];
    size_t nk;
    bool err, intr;
    sdk_status want;
} agg_case;

static void test_aggregate_rules(void) {
    const agg_case cases[] = {
        {"1 own errors", {S(COMPLETE)}, 1, {0}, 0, true, false, S(ERROR)},
        {"1 child error beats interrupt", {S(ERROR), S(PENDING)}, 2, {S(PENDING)}, 1, false, true, S(ERROR)},
        {"2 all complete", {S(COMPLETE), S(COMPLETE)}, 2, {0}, 0, false, true, S(COMPLETE)},
        {"2 no children", {0}, 0, {0}, 0, false, false, S(COMPLETE)},
        {"3 interrupted beats delayed", {S(DELAYED)}, 1, {0}, 0, false, true, S(WAITING)},
        {"4 all delayed", {S(DELAYED), S(DELAYED)}, 2, {0}, 0, false, false, S(DELAYED)},
        {"4 not all children delayed", {S(DELAYED), S(PENDING)}, 2, {S(PENDING)}, 1, false, false, S(PENDING)},
        {"5 prepared child", {S(PREPARED), S(PENDING)}, 2, {S(WAITING)}, 1, false, false, S(IN_PROGRESS)},
        {"6 waiting candidate", {S(WAITING), S(STARTING)}, 2, {S(WAITING), S(STARTING)}, 2, false, false, S(WAITING)},
        {"7 in-progress candidate", {S(IN_PROGRESS), S(PENDING)}, 2, {S(IN_PROGRESS), S(PENDING)}, 2, false, false, S(IN_PROGRESS)},
        {"8 complete + pending", {S(COMPLETE), S(PENDING)}, 2, {S(PENDING)}, 1, false, false, S(IN_PROGRESS)},
        {"8 complete + started", {S(COMPLETE), S(STARTED)}, 2, {S(STARTED)}, 1, false, false, S(IN_PROGRESS)},
        {"9 pending", {S(PENDING), S(PENDING)}, 2, {S(PENDING)}, 1, false, false, S(PENDING)},
        {"10 waiting child", {S(WAITING), S(PENDING)}, 2, {0}, 0, false, false, S(WAITING)},
        {"11 starting", {S(STARTING), S(STARTED)}, 2, {S(STARTING), S(STARTED)}, 2, false, false, S(STARTING)},
        {"11 started", {S(STARTED)}, 1, {S(STARTED)}, 1, false, false, S(STARTED)},
        {"12a complete + delayed, no candidate", {S(COMPLETE), S(DELAYED), S(COMPLETE)}, 3, {0}, 0, false, false,
         S(DELAYED)},
        {"12 unexpected", {S(PENDING)}, 1, {0}, 0, false, false, S(ERROR)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const agg_case *t = &cases[i];
        sdk_status got = sdk_status_aggregate(t->c, t->nc, t->k, t->nk, t->err, t->intr);
        CHECK_MSG(got == t->want, "%s: got %s want %s", t->what, sdk_status_name(got), sdk_status_name(t->want));
    }
    CHECK_STR(sdk_status_name(S(IN_PROGRESS)), "IN_PROGRESS");
    CHECK(sdk_status_is_running(S(PREPARED)));
    CHECK(!sdk_status_is_running(S(PENDING)));
}

/* --------------------------------------------------------------- strategies ---- */

static void test_serial_strategy(void) {
    sdk_plan *p = plan_n(SDK_STRATEGY_SERIAL, 3);
    sdk_phase *ph = p->phases[0];
    CHECK_CANDS(p, "pod-0:[t]");
    CHECK_INT(sdk_plan_status(p), S(PENDING));
    launch(ph->steps[0], "id0");
    CHECK_INT(sdk_phase_status(ph), S(STARTING));
    CHECK_CANDS(p, "pod-0:[t]"); /* the in-flight step stays the candidate; nothing after it */
    CHECK(sdk_step_on_task_status(ph->steps[0], NULL, "id0", SDK_TSTATE_RUNNING, true));
    CHECK_INT(sdk_step_status(ph->steps[0]), S(COMPLETE));
    CHECK_INT(sdk_plan_status(p), S(IN_PROGRESS));
    CHECK_CANDS(p, "pod-1:[t]");
    sdk_step_force_complete(ph->steps[1]);
    sdk_step_force_complete(ph->steps[2]);
    CHECK_INT(sdk_plan_status(p), S(COMPLETE));
    CHECK_CANDS(p, "");
    sdk_plan_free(p);
}

static void test_parallel_strategy(void) {
    sdk_plan *p = plan_n(SDK_STRATEGY_PARALLEL, 3);
    CHECK_CANDS(p, "pod-0:[t],pod-1:[t],pod-2:[t]");
    sdk_step_force_complete(p->phases[0]->steps[1]);
    CHECK_CANDS(p, "pod-0:[t],pod-2:[t]");
    CHECK_INT(sdk_plan_status(p), S(IN_PROGRESS));
    sdk_plan_free(p);
}

static void test_dependency_strategy(void) {
    sdk_plan *p = plan_n(SDK_STRATEGY_DEPENDENCY, 3);
    sdk_phase *ph = p->phases[0];
    CHECK_INT(sdk_phase_add_dep(ph, 2, 0), 0);
    CHECK_INT(sdk_phase_add_dep(ph, 2, 1), 0);
    CHECK_INT(sdk_phase_add_dep(ph, 5, 1), SDK_EINVAL);
    CHECK_STR(sdk_strat_name(&ph->strat), "dependency");
    CHECK_CANDS(p, "pod-0:[t],pod-1:[t]");
    sdk_step_force_complete(ph->steps[0]);
    CHECK_CANDS(p, "pod-1:[t]");
    sdk_step_force_complete(ph->steps[1]);
    CHECK_CANDS(p, "pod-2:[t]");
    sdk_plan_free(p);
}

static void test_canary_serial(void) {
    sdk_plan *p = plan_n(SDK_STRATEGY_SERIAL_CANARY, 4);
    sdk_phase *ph = p->phases[0];
    CHECK_STR(sdk_strat_name(&ph->strat), "serial-canary");
    CHECK_INT(sdk_phase_status(ph), S(WAITING));
    CHECK_INT(sdk_step_status(ph->steps[0]), S(WAITING));
    CHECK_INT(sdk_step_status(ph->steps[1]), S(WAITING));
    CHECK_INT(sdk_step_status(ph->steps[2]), S(PENDING));
    CHECK_CANDS(p, "");
    /* `plan continue` without a phase does not release canary steps */
    CHECK_INT(sdk_plan_cmd_continue(p, NULL, NULL), SDK_CMD_OK);
    CHECK_CANDS(p, "");
    /* continue #1 on the phase: step 0 only */
    CHECK_INT(sdk_plan_cmd_continue(p, "ph", NULL), SDK_CMD_OK);
    CHECK_CANDS(p, "pod-0:[t]");
    run_ready(ph->steps[0], "a");
    CHECK_CANDS(p, "");
    CHECK_INT(sdk_phase_status(ph), S(WAITING));
    /* interrupt is ignored while canary steps are held */
    CHECK_INT(sdk_plan_cmd_interrupt(p, "ph", NULL), SDK_CMD_ALREADY);
    /* continue #2: step 1, then the rest follow automatically */
    CHECK_INT(sdk_plan_cmd_continue(p, "ph", NULL), SDK_CMD_OK);
    CHECK_CANDS(p, "pod-1:[t]");
    run_ready(ph->steps[1], "b");
    CHECK_CANDS(p, "pod-2:[t]");
    run_ready(ph->steps[2], "c");
    CHECK_CANDS(p, "pod-3:[t]");
    CHECK_INT(sdk_phase_status(ph), S(IN_PROGRESS));
    sdk_plan_free(p);
}

static void test_canary_parallel(void) {
    sdk_plan *p = plan_n(SDK_STRATEGY_PARALLEL_CANARY, 4);
    sdk_phase *ph = p->phases[0];
    CHECK_CANDS(p, "");
    sdk_phase_proceed(ph);
    CHECK_CANDS(p, "pod-0:[t]");
    sdk_phase_proceed(ph);
    CHECK_CANDS(p, "pod-0:[t],pod-1:[t],pod-2:[t],pod-3:[t]");
    sdk_plan_free(p);

    /* steps already complete at creation are not canaries */
    p = plan_n(SDK_STRATEGY_SERIAL_CANARY, 3);
    p->phases[0]->steps[0]->status = S(COMPLETE);
    CHECK_INT(sdk_step_status(p->phases[0]->steps[1]), S(PENDING)); /* not yet initialised */
    CHECK_INT(sdk_phase_status(p->phases[0]), S(WAITING));
    CHECK_INT(sdk_step_status(p->phases[0]->steps[1]), S(WAITING));
    CHECK_INT(sdk_step_status(p->phases[0]->steps[2]), S(WAITING));
    sdk_plan_free(p);
}

/* --------------------------------------------------------------- goal table ---- */

static void test_goal_running(void) {
    sdk_step *s = pod_step("hello", 0, "server", SDK_GOAL_RUNNING);
    CHECK_STR(s->tasks[0].name, "hello-0-server");
    CHECK_INT(sdk_step_status(s), S(PENDING));
    CHECK_INT(sdk_step_on_launched(s, NULL, 0), 0);
    CHECK_INT(sdk_step_status(s), S(PREPARED));
    launch(s, "id1");
    CHECK_INT(sdk_step_status(s), S(STARTING));
    /* statuses for task ids the step did not launch are ignored */
    CHECK(!sdk_step_on_task_status(s, NULL, "other", SDK_TSTATE_RUNNING, true));
    CHECK(!sdk_step_on_task_status(s, "hello-0-other", "id1", SDK_TSTATE_RUNNING, true));
    CHECK_INT(sdk_step_status(s), S(STARTING));
    CHECK(sdk_step_on_task_status(s, NULL, "id1", SDK_TSTATE_STAGING, false));
    CHECK_INT(sdk_step_status(s), S(STARTING));
    CHECK(!sdk_step_on_task_status(s, NULL, "id1", SDK_TSTATE_UNKNOWN, false));
    CHECK_INT(sdk_step_status(s), S(STARTING));
    /* readiness gates completion */
    CHECK(sdk_step_on_task_status(s, "hello-0-server", "id1", SDK_TSTATE_RUNNING, false));
    CHECK_INT(sdk_step_status(s), S(STARTED));
    CHECK(sdk_step_on_task_status(s, NULL, "id1", SDK_TSTATE_FINISHED, false));
    CHECK_INT(sdk_step_status(s), S(PENDING)); /* a RUNNING-goal task that finished relaunches */
    launch(s, "id2");
    CHECK(!sdk_step_on_task_status(s, NULL, "id1", SDK_TSTATE_RUNNING, true)); /* old launch */
    CHECK(sdk_step_on_task_status(s, NULL, "id2", SDK_TSTATE_RUNNING, true));
    CHECK_INT(sdk_step_status(s), S(COMPLETE));
    /* a COMPLETE step ignores further statuses */
    CHECK(!sdk_step_on_task_status(s, NULL, "id2", SDK_TSTATE_FAILED, false));
    CHECK_INT(sdk_step_status(s), S(COMPLETE));
    CHECK_INT(sdk_step_on_launched(s, NULL, 0), SDK_ESTATE);

    const sdk_tstate pend[] = {SDK_TSTATE_KILLED, SDK_TSTATE_KILLING, SDK_TSTATE_LOST, SDK_TSTATE_GONE,
                               SDK_TSTATE_DROPPED, SDK_TSTATE_UNREACHABLE, SDK_TSTATE_GONE_BY_OPERATOR,
                               SDK_TSTATE_FAILED, SDK_TSTATE_ERROR};
    for (size_t i = 0; i < sizeof pend / sizeof pend[0]; i++) {
        sdk_step_restart(s);
        launch(s, "id3");
        CHECK(sdk_step_on_task_status(s, NULL, "id3", pend[i], false));
        CHECK_MSG(sdk_step_status(s) == S(PENDING), "%s -> %s", sdk_tstate_name(pend[i]),
                  sdk_status_name(sdk_step_status(s)));
    }
    sdk_step_free(s);
}

static void test_goal_finish_once(void) {
    for (int g = 0; g < 2; g++) {
        sdk_step *s = pod_step("hello", 0, "init", g ? SDK_GOAL_ONCE : SDK_GOAL_FINISH);
        launch(s, "x");
        CHECK(sdk_step_on_task_status(s, NULL, "x", SDK_TSTATE_STARTING, false));
        CHECK_INT(sdk_step_status(s), S(STARTING));
        CHECK(sdk_step_on_task_status(s, NULL, "x", SDK_TSTATE_RUNNING, true));
        CHECK_INT(sdk_step_status(s), S(STARTED)); /* still running: not done */
        CHECK(sdk_step_on_task_status(s, NULL, "x", SDK_TSTATE_FINISHED, false));
        CHECK_INT(sdk_step_status(s), S(COMPLETE));
        sdk_step_free(s);
    }
}

static void test_multi_task_worst_status(void) {
    const char *tasks[] = {"node", "zkfc"};
    sdk_step *s = sdk_step_pod_new("name-0:[node, zkfc]", "name", 0, tasks, NULL, 2);
    sdk_launched l[] = {{"name-0-node", "n1"}, {"name-0-zkfc", "z1"}, {"name-0-other", "o1"}};
    CHECK_INT(sdk_step_on_launched(s, l, 3), 0);
    CHECK(sdk_step_on_task_status(s, NULL, "n1", SDK_TSTATE_RUNNING, true));
    CHECK_INT(sdk_step_status(s), S(STARTING));
    CHECK(sdk_step_on_task_status(s, NULL, "z1", SDK_TSTATE_RUNNING, false));
    CHECK_INT(sdk_step_status(s), S(STARTED));
    CHECK(sdk_step_on_task_status(s, NULL, "z1", SDK_TSTATE_RUNNING, true));
    CHECK_INT(sdk_step_status(s), S(COMPLETE));
    sdk_step_free(s);
}

/* ------------------------------------------------------------------ backoff ---- */

static double fake_now;
static double fake_clock(void *arg) { (void)arg; return fake_now; }

static void test_backoff(void) {
    sdk_backoff_config cfg;
    sdk_backoff_config_default(&cfg);
    CHECK(cfg.enabled); /* on by default, with dcos-commons' delays */
    CHECK(cfg.initial_s == 60 && cfg.factor == 1.15 && cfg.max_s == 300);
    sdk_backoff *b = sdk_backoff_new(&cfg);
    sdk_backoff_set_clock(b, fake_clock, NULL);
    fake_now = 1000;

    sdk_plan *p = plan_n(SDK_STRATEGY_SERIAL, 1);
    sdk_step *s = p->phases[0]->steps[0];
    s->backoff = b;
    launch(s, "f1");
    CHECK(sdk_step_on_task_status(s, NULL, "f1", SDK_TSTATE_FAILED, false));
    CHECK_INT(sdk_step_status(s), S(DELAYED));
    CHECK_INT(sdk_plan_status(p), S(DELAYED));
    CHECK_CANDS(p, ""); /* delayed steps are not candidates */
    CHECK(sdk_backoff_current_delay_s(b, "pod-0-t") == 60);
    fake_now += 59;
    CHECK_INT(sdk_step_status(s), S(DELAYED));
    fake_now += 2;
    CHECK_INT(sdk_step_status(s), S(PENDING));
    CHECK_CANDS(p, "pod-0:[t]");
    /* each further failure multiplies, capped */
    for (int i = 0; i < 20; i++) {
        launch(s, "f2");
        CHECK(sdk_step_on_task_status(s, NULL, "f2", SDK_TSTATE_ERROR, false));
    }
    CHECK(sdk_backoff_current_delay_s(b, "pod-0-t") == 300);
    launch(s, "f3");
    CHECK(sdk_step_on_task_status(s, NULL, "f3", SDK_TSTATE_FAILED, false));
    double d1 = sdk_backoff_current_delay_s(b, "pod-0-t");
    CHECK(d1 == 300);
    /* restart clears the backoff */
    sdk_step_restart(s);
    CHECK(sdk_backoff_current_delay_s(b, "pod-0-t") == 0);
    CHECK_INT(sdk_step_status(s), S(PENDING));
    launch(s, "f4");
    CHECK(sdk_step_on_task_status(s, NULL, "f4", SDK_TSTATE_FAILED, false));
    CHECK(sdk_backoff_current_delay_s(b, "pod-0-t") == 60);
    CHECK(sdk_step_on_task_status(s, NULL, "f4", SDK_TSTATE_GONE_BY_OPERATOR, false));
    CHECK(sdk_backoff_current_delay_s(b, "pod-0-t") == 0);
    CHECK(sdk_plan_has_step_status(p, S(PENDING)));
    sdk_plan_free(p);

    /* growth: 60, 69 */
    sdk_backoff_on_failure(b, "x");
    sdk_backoff_on_failure(b, "x");
    CHECK(sdk_backoff_current_delay_s(b, "x") > 68.99 && sdk_backoff_current_delay_s(b, "x") < 69.01);
    sdk_backoff_free(b);

    /* the default (NULL config) is on: a failure waits */
    b = sdk_backoff_new(NULL);
    s = pod_step("pod", 0, "t", SDK_GOAL_RUNNING);
    s->backoff = b;
    launch(s, "g");
    CHECK(sdk_step_on_task_status(s, NULL, "g", SDK_TSTATE_FAILED, false));
    CHECK_INT(sdk_step_status(s), S(DELAYED));
    sdk_step_free(s);
    sdk_backoff_free(b);

    /* disabled (ENABLE_BACKOFF=false): a failure is PENDING at once */
    cfg.enabled = false;
    b = sdk_backoff_new(&cfg);
    s = pod_step("pod", 0, "t", SDK_GOAL_RUNNING);
    s->backoff = b;
    launch(s, "g");
    CHECK(sdk_step_on_task_status(s, NULL, "g", SDK_TSTATE_FAILED, false));
    CHECK_INT(sdk_step_status(s), S(PENDING));
    sdk_step_free(s);
    sdk_backoff_free(b);
}

/* ----------------------------------------------------------------- controls ---- */

static void test_controls(void) {
    sdk_plan *p = plan_n(SDK_STRATEGY_SERIAL, 2);
    sdk_phase *ph = p->phases[0];
    sdk_errors m;
    sdk_errors_init(&m);

    CHECK_INT(sdk_cmd_http_status(SDK_CMD_OK), 200);
    CHECK_INT(sdk_cmd_http_status(SDK_CMD_ALREADY), 208);
    CHECK_INT(sdk_cmd_http_status(SDK_CMD_BAD_REQUEST), 400);
    CHECK_INT(sdk_cmd_http_status(SDK_CMD_NOT_FOUND), 404);

    /* interrupt / continue */
    CHECK_INT(sdk_plan_cmd_interrupt(p, NULL, &m), SDK_CMD_OK);
    CHECK_INT(sdk_plan_status(p), S(WAITING));
    CHECK_CANDS(p, "");
    CHECK_INT(sdk_plan_cmd_interrupt(p, NULL, &m), SDK_CMD_ALREADY);
    CHECK_INT(sdk_plan_cmd_continue(p, NULL, &m), SDK_CMD_OK);
    CHECK_CANDS(p, "pod-0:[t]");
    launch(ph->steps[0], "r");
    CHECK_INT(sdk_plan_cmd_continue(p, NULL, &m), SDK_CMD_ALREADY); /* already running */
    CHECK_INT(sdk_plan_cmd_continue(p, "ph", &m), SDK_CMD_ALREADY);
    CHECK_INT(sdk_plan_cmd_interrupt(p, "ph", &m), SDK_CMD_OK);
    CHECK(sdk_phase_is_interrupted(ph));
    CHECK_INT(sdk_plan_cmd_interrupt(p, "ph", &m), SDK_CMD_ALREADY);
    CHECK_INT(sdk_plan_cmd_continue(p, "nope", &m), SDK_CMD_NOT_FOUND);
    CHECK(sdk_errors_contains(&m, "Phase nope not found"));
    CHECK_INT(sdk_plan_cmd_continue(p, ph->id, &m), SDK_CMD_OK); /* by UUID */
    CHECK(!sdk_phase_is_interrupted(ph));

    /* force-complete */
    sdk_errors_free(&m);
    sdk_errors_init(&m);
    CHECK_INT(sdk_plan_cmd_force_complete(p, NULL, "pod-0:[t]", &m), SDK_CMD_BAD_REQUEST);
    CHECK(sdk_errors_contains(&m, "Missing phase"));
    CHECK_INT(sdk_plan_cmd_force_complete(p, "ph", "pod-9:[t]", &m), SDK_CMD_NOT_FOUND);
    CHECK(sdk_errors_contains(&m, "Step pod-9:[t] not found"));
    CHECK_INT(sdk_step_status(ph->steps[0]), S(STARTING)); /* nothing changed */
    CHECK_INT(sdk_plan_cmd_force_complete(p, "ph", "pod-0:[t]", &m), SDK_CMD_OK);
    CHECK_INT(sdk_step_status(ph->steps[0]), S(COMPLETE));
    CHECK_INT(sdk_plan_cmd_force_complete(p, "ph", ph->steps[0]->id, &m), SDK_CMD_ALREADY);

    /* restart */
    CHECK_INT(sdk_plan_cmd_restart(p, "ph", "pod-1:[t]", &m), SDK_CMD_ALREADY); /* PENDING */
    CHECK_INT(sdk_plan_cmd_restart(p, "ph", "pod-0:[t]", &m), SDK_CMD_OK);
    CHECK_INT(sdk_step_status(ph->steps[0]), S(PENDING));
    CHECK_INT(sdk_plan_cmd_force_complete(p, NULL, NULL, &m), SDK_CMD_OK);
    CHECK_INT(sdk_plan_status(p), S(COMPLETE));
    CHECK_INT(sdk_plan_cmd_interrupt(p, NULL, &m), SDK_CMD_ALREADY); /* complete */
    CHECK_INT(sdk_plan_cmd_restart(p, "ph", NULL, &m), SDK_CMD_OK);
    CHECK_INT(sdk_plan_status(p), S(PENDING));

    /* start: parameters validated first, nothing changes on error */
    sdk_plan_force_complete(p);
    sdk_kv bad[] = {{"GOOD", "1"}, {"9BAD", "x"}};
    sdk_errors_free(&m);
    sdk_errors_init(&m);
    CHECK_INT(sdk_plan_cmd_start(p, bad, 2, &m), SDK_CMD_BAD_REQUEST);
    CHECK(sdk_errors_contains(&m, "Couldn't parse parameters: 9BAD is not a valid environment variable name"));
    CHECK(sdk_plan_param(p, "GOOD") == NULL);
    CHECK_INT(sdk_plan_status(p), S(COMPLETE));
    sdk_kv good[] = {{"_A1", "v"}, {"b", ""}};
    sdk_plan_interrupt(p);
    CHECK_INT(sdk_plan_cmd_start(p, good, 2, &m), SDK_CMD_OK);
    CHECK_STR(sdk_plan_param(p, "_A1"), "v");
    CHECK_STR(sdk_plan_param(p, "b"), "");
    CHECK(!sdk_plan_is_interrupted(p));
    CHECK_INT(sdk_plan_status(p), S(PENDING)); /* a complete plan restarts */

    /* stop: interrupted and every step PENDING */
    launch(ph->steps[0], "s");
    CHECK_INT(sdk_plan_cmd_stop(p), SDK_CMD_OK);
    CHECK_INT(sdk_plan_status(p), S(WAITING));
    CHECK_INT(sdk_step_status(ph->steps[0]), S(PENDING));
    CHECK_CANDS(p, "");
    sdk_errors_free(&m);
    sdk_plan_free(p);
}

/* -------------------------------------------------------------- JSON / text ---- */

/* sdk_plan_has_open_step agrees with a full scan whatever order steps complete or reopen in
 * (it resumes where it last found an open step), across phases; and with sdk_plan_status. */
static void test_open_step_hint(void) {
    sdk_plan *p = plan_n(SDK_STRATEGY_PARALLEL, 5);
    sdk_phase *ph2 = sdk_phase_new("ph2", SDK_STRATEGY_PARALLEL);
    for (size_t i = 0; i < 4; i++) sdk_phase_add_step_take(ph2, pod_step("other", (int64_t)i, "t", SDK_GOAL_RUNNING));
    sdk_plan_add_phase_take(p, ph2);
    sdk_step *all[9];
    for (size_t i = 0; i < 5; i++) all[i] = p->phases[0]->steps[i];
    for (size_t i = 0; i < 4; i++) all[5 + i] = ph2->steps[i];
    /* complete in a scrambled order, reopening some on the way */
    const int order[] = {3, 0, 7, 1, -3, 8, 2, 4, 3, 5, -8, 6, 8};
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        bool reopen = order[k] < 0;
        size_t i = (size_t)(reopen ? -order[k] : order[k]);
        sdk_step_set_status(all[i], reopen ? SDK_STATUS_PENDING : SDK_STATUS_COMPLETE);
        bool open = false;
        for (size_t j = 0; j < 9; j++) open |= all[j]->status != SDK_STATUS_COMPLETE;
        CHECK_MSG(sdk_plan_has_open_step(p) == open, "after step %zu %s: expected %s", i,
                  reopen ? "reopened" : "completed", open ? "open" : "none open");
    }
    CHECK(!sdk_plan_has_open_step(p));
    CHECK_INT(sdk_plan_status(p), SDK_STATUS_COMPLETE);
    sdk_step_set_status(all[0], SDK_STATUS_PENDING); /* before the hint: found on the wrap */
    CHECK(sdk_plan_has_open_step(p));
    CHECK(sdk_plan_status(p) != SDK_STATUS_COMPLETE);
    sdk_plan_free(p);
}

static void test_json_shape(void) {
    sdk_plan *p = sdk_plan_new("deploy", SDK_STRATEGY_SERIAL);
    sdk_phase *ph = sdk_phase_new("world", SDK_STRATEGY_SERIAL);
    sdk_phase_add_step_take(ph, pod_step("world", 0, "server", SDK_GOAL_RUNNING));
    sdk_phase_add_step_take(ph, pod_step("world", 1, "server", SDK_GOAL_RUNNING));
    sdk_plan_add_phase_take(p, ph);
    run_ready(ph->steps[0], "w0");
    launch(ph->steps[1], "w1");
    CHECK(sdk_step_on_task_status(ph->steps[1], NULL, "w1", SDK_TSTATE_RUNNING, false));
    ph->steps[1]->recovery = SDK_RECOVERY_TRANSIENT;

    json_t *j = sdk_plan_to_json_new(p, NULL);
    CHECK(json_object_size(j) == 4);
    CHECK(json_object_get(j, "id") == NULL && json_object_get(j, "name") == NULL);
    CHECK_STR(json_string_value(json_object_get(j, "status")), "IN_PROGRESS");
    CHECK_STR(json_string_value(json_object_get(j, "strategy")), "serial");
    CHECK(json_array_size(json_object_get(j, "errors")) == 0);
    json_t *jp = json_array_get(json_object_get(j, "phases"), 0);
    CHECK(json_object_size(jp) == 5);
    CHECK(json_object_get(jp, "message") == NULL);
    CHECK_STR(json_string_value(json_object_get(jp, "id")), ph->id);
    CHECK_STR(json_string_value(json_object_get(jp, "name")), "world");
    CHECK_STR(json_string_value(json_object_get(jp, "status")), "IN_PROGRESS");
    json_t *js = json_array_get(json_object_get(jp, "steps"), 0);
    CHECK(json_object_size(js) == 4);
    CHECK(json_object_get(js, "strategy") == NULL);
    CHECK_STR(json_string_value(json_object_get(js, "name")), "world-0:[server]");
    CHECK_STR(json_string_value(json_object_get(js, "status")), "COMPLETE");
    char *want = sdk_asprintf_new("com.mesosphere.sdk.scheduler.plan.DeploymentStep: world-0:[server] [%s] "
                                  "with status: COMPLETE", ph->steps[0]->id);
    CHECK_STR(json_string_value(json_object_get(js, "message")), want);
    free(want);
    js = json_array_get(json_object_get(jp, "steps"), 1);
    CHECK_CONTAINS(json_string_value(json_object_get(js, "message")), "with status: STARTED RecoveryType: TRANSIENT");
    /* key order of the documented example */
    char *text = json_dumps(j, JSON_INDENT(2));
    CHECK(strstr(text, "\"phases\"") < strstr(text, "\"errors\""));
    CHECK(strstr(text, "\"errors\"") < strstr(text, "\"strategy\": \"serial\",\n  \"status\""));
    free(text);
    json_decref(j);

    /* PAUSED display when every task of the step has a PAUSED override */
    sdk_task_view tv[] = {{.name = "world-0-server", .override = SDK_OVERRIDE_PAUSED},
                          {.name = "world-1-server", .override = SDK_OVERRIDE_NONE}};
    sdk_task_views views = {tv, 2, NULL};
    j = sdk_plan_to_json_new(p, &views);
    js = json_array_get(json_object_get(json_array_get(json_object_get(j, "phases"), 0), "steps"), 0);
    CHECK_STR(json_string_value(json_object_get(js, "status")), "PAUSED");
    CHECK_CONTAINS(json_string_value(json_object_get(js, "message")), "with status: COMPLETE (display:PAUSED)");
    json_decref(j);

    CHECK_INT(sdk_plan_http_status(p), 202);
    sdk_plan_force_complete(p);
    CHECK_INT(sdk_plan_http_status(p), 200);
    sdk_step_set_error(ph->steps[0], "boom");
    CHECK_INT(sdk_plan_http_status(p), 417);
    j = sdk_plan_to_json_new(p, NULL);
    CHECK_STR(json_string_value(json_array_get(json_object_get(j, "errors"), 0)), "boom");
    CHECK_STR(json_string_value(json_object_get(j, "status")), "ERROR");
    json_decref(j);
    sdk_plan_free(p);
}

static void test_text_tree(void) {
    const char *doc =
        "{\"phases\":[{\"id\":\"1\",\"name\":\"hello\",\"strategy\":\"serial\",\"status\":\"COMPLETE\","
        "\"steps\":[{\"name\":\"hello-0:[server]\",\"status\":\"COMPLETE\"}]},"
        "{\"name\":\"world\",\"strategy\":\"serial\",\"status\":\"IN_PROGRESS\",\"steps\":["
        "{\"name\":\"world-0:[server]\",\"status\":\"COMPLETE\"},"
        "{\"name\":\"world-1:[server]\",\"status\":\"STARTING\"}]}],"
        "\"errors\":[],\"strategy\":\"serial\",\"status\":\"IN_PROGRESS\"}";
    json_t *j = json_loads(doc, 0, NULL);
    char *t = sdk_plan_tree_new("deploy", j);
    CHECK_STR(t, "deploy (serial strategy) (IN_PROGRESS)\n"
                 "├─ hello (serial strategy) (COMPLETE)\n"
                 "│  └─ hello-0:[server] (COMPLETE)\n"
                 "└─ world (serial strategy) (IN_PROGRESS)\n"
                 "   ├─ world-0:[server] (COMPLETE)\n"
                 "   └─ world-1:[server] (STARTING)");
    free(t);
    json_decref(j);

    j = json_loads("{\"phases\":[{\"name\":\"x\",\"steps\":[{\"status\":\"ERROR\"}]}],"
                   "\"errors\":[\"bad one\",\"bad two\"],\"status\":\"ERROR\"}", 0, NULL);
    t = sdk_plan_tree_new("p", j);
    CHECK_STR(t, "p (<UNKNOWN> strategy) (ERROR)\n"
                 "└─ x (<UNKNOWN> strategy) (<UNKNOWN>)\n"
                 "   └─ <UNKNOWN> (ERROR)\n"
                 "\n"
                 "Errors:\n"
                 "- bad one\n"
                 "- bad two");
    free(t);
    json_decref(j);

    /* round trip: our own JSON renders */
    sdk_plan *p = plan_n(SDK_STRATEGY_PARALLEL, 1);
    j = sdk_plan_to_json_new(p, NULL);
    t = sdk_plan_tree_new("p", j);
    CHECK_STR(t, "p (serial strategy) (PENDING)\n└─ ph (parallel strategy) (PENDING)\n   └─ pod-0:[t] (PENDING)");
    free(t);
    json_decref(j);
    sdk_plan_free(p);
}

/* A plan routes a task's status to the steps that launch it (an index it rebuilds when its phases
 * change): a phase added later, and a phase removed and replaced, are seen. */
static void test_task_status_routing(void) {
    sdk_plan *p = plan_n(SDK_STRATEGY_PARALLEL, 3);
    sdk_step *s1 = p->phases[0]->steps[1];
    launch(s1, "id-1");
    CHECK_INT((long)sdk_plan_on_task_status(p, "pod-1-t", "id-1", SDK_TSTATE_RUNNING, true), 1);
    CHECK_INT(sdk_step_status(s1), SDK_STATUS_COMPLETE);
    CHECK_INT((long)sdk_plan_on_task_status(p, "pod-7-t", "id-1", SDK_TSTATE_RUNNING, true), 0);
    /* a second phase relaunching pod-1's task: its step now takes the task's statuses too */
    sdk_phase *ph = sdk_phase_new("again", SDK_STRATEGY_SERIAL);
    sdk_step *again = pod_step("pod", 1, "t", SDK_GOAL_RUNNING);
    sdk_phase_add_step_take(ph, again);
    sdk_plan_add_phase_take(p, ph);
    launch(again, "id-2");
    CHECK_INT((long)sdk_plan_on_task_status(p, "pod-1-t", "id-2", SDK_TSTATE_STARTING, false), 1);
    CHECK_INT(sdk_step_status(again), SDK_STATUS_STARTING);
    /* more steps in an indexed phase are seen as well */
    sdk_step *late = pod_step("pod", 9, "t", SDK_GOAL_RUNNING);
    sdk_phase_add_step_take(p->phases[0], late);
    launch(late, "id-9");
    CHECK_INT((long)sdk_plan_on_task_status(p, "pod-9-t", "id-9", SDK_TSTATE_RUNNING, true), 1);
    CHECK_INT(sdk_step_status(late), SDK_STATUS_COMPLETE);
    sdk_plan_free(p);
}

/* ENABLE_BACKOFF: absent = on (dcos-commons' delays), false/0/no = off, junk = an error naming it. */
static void test_backoff_policy_vars(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_service_options o;
    memset(&o, 0, sizeof o);
    CHECK_INT(sdk_service_policy_from_vars(&o, NULL, 0, &e), 0);
    CHECK(o.backoff.enabled && o.backoff.initial_s == 60 && o.backoff.factor == 1.15 && o.backoff.max_s == 300);
    sdk_kv off[] = {{"ENABLE_BACKOFF", "false"}, {"FRAMEWORK_INITIAL_BACKOFF", "5"}};
    CHECK_INT(sdk_service_policy_from_vars(&o, off, 2, &e), 0);
    CHECK(!o.backoff.enabled && o.backoff.initial_s == 5);
    sdk_kv on[] = {{"ENABLE_BACKOFF", "true"}};
    CHECK_INT(sdk_service_policy_from_vars(&o, on, 1, &e), 0);
    CHECK(o.backoff.enabled);
    sdk_kv bad[] = {{"ENABLE_BACKOFF", "sometimes"}};
    CHECK_INT(sdk_service_policy_from_vars(&o, bad, 1, &e), SDK_EINVAL);
    CHECK(e.n == 1 && strstr(e.msgs[0], "ENABLE_BACKOFF=sometimes: expected true or false"));
    sdk_errors_free(&e);
}

int main(void) {
    RUN(test_aggregate_rules);
    RUN(test_task_status_routing);
    RUN(test_serial_strategy);
    RUN(test_parallel_strategy);
    RUN(test_dependency_strategy);
    RUN(test_canary_serial);
    RUN(test_canary_parallel);
    RUN(test_goal_running);
    RUN(test_goal_finish_once);
    RUN(test_multi_task_worst_status);
    RUN(test_backoff);
    RUN(test_backoff_policy_vars);
    RUN(test_controls);
    RUN(test_open_step_hint);
    RUN(test_json_shape);
    RUN(test_text_tree);
    return check_summary("test_plan");
}
