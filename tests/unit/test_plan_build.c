/* Plans built from a spec and a task view: default deploy plan, custom steps, deploy/update rule,
 * initial statuses (§4.8), step construction errors, the coordinator, recovery, decommission and
 * uninstall plans, and the health code. Specs are built by hand (freed by sdk_spec_free). */
#include <jansson.h>
#include "core/plan/plan.h"
#include "core/util/str.h"
#include "tests/unit/check.h"

#define S(x) SDK_STATUS_##x

/* ------------------------------------------------------------ spec builders ---- */

static sdk_spec *spec_new(void) {
    sdk_spec *s = sdk_xcalloc(1, sizeof *s);
    s->name = sdk_xstrdup("svc");
    s->pods = sdk_xcalloc(8, sizeof *s->pods);   /* room for 8: pointers stay valid */
    s->plans = sdk_xcalloc(8, sizeof *s->plans);
    return s;
}

static sdk_pod_spec *add_pod(sdk_spec *s, const char *type, int64_t count) {
    sdk_pod_spec *p = &s->pods[s->n_pods++];
    p->type = sdk_xstrdup(type);
    p->count = count;
    p->tasks = sdk_xcalloc(8, sizeof *p->tasks);
    return p;
}

static sdk_task_spec *add_task(sdk_pod_spec *p, const char *name, sdk_goal goal, bool essential) {
    sdk_task_spec *t = &p->tasks[p->n_tasks++];
    t->name = sdk_xstrdup(name);
    t->goal = goal;
    t->essential = essential;
    t->cmd = sdk_xstrdup("true");
    t->resource_set = sdk_asprintf_new("%s-resource-set", name);
    return t;
}

static sdk_plan_spec *add_plan(sdk_spec *s, const char *name, sdk_strategy st) {
    sdk_plan_spec *p = &s->plans[s->n_plans++];
    p->name = sdk_xstrdup(name);
    p->strategy = st;
    p->phases = sdk_xcalloc(8, sizeof *p->phases);
    return p;
}

static sdk_phase_spec *add_phase(sdk_plan_spec *p, const char *name, const char *pod, sdk_strategy st) {
    sdk_phase_spec *ph = &p->phases[p->n_phases++];
    ph->name = sdk_xstrdup(name);
    ph->pod = sdk_xstrdup(pod);
    ph->strategy = st;
    return ph;
}

/* steps: "format|node,zkfc" = [[format], [node, zkfc]]; index -1 = default. */
static void add_entry(sdk_phase_spec *ph, int64_t index, const char *steps) {
    ph->has_steps = true;
    ph->entries = sdk_xrealloc(ph->entries, (ph->n_entries + 1) * sizeof *ph->entries);
    sdk_step_entry *e = &ph->entries[ph->n_entries++];
    memset(e, 0, sizeof *e);
    e->index = index;
    char *dup = sdk_xstrdup(steps), *save = NULL;
    for (char *st = strtok_r(dup, "|", &save); st; st = strtok_r(NULL, "|", &save)) {
        e->steps = sdk_xrealloc(e->steps, (e->n_steps + 1) * sizeof *e->steps);
        char **names = sdk_xcalloc(8, sizeof *names);
        size_t n = 0;
        char *save2 = NULL;
        for (char *t = strtok_r(st, ",", &save2); t; t = strtok_r(NULL, ",", &save2)) names[n++] = sdk_xstrdup(t);
        e->steps[e->n_steps++] = names;
    }
    free(dup);
}

/* hello (1 x server), world (2 x server): the hello-world example. */
static sdk_spec *hello_world(void) {
    sdk_spec *s = spec_new();
    add_task(add_pod(s, "hello", 1), "server", SDK_GOAL_RUNNING, true);
    add_task(add_pod(s, "world", 2), "server", SDK_GOAL_RUNNING, true);
    return s;
}

static sdk_task_view tview(const char *pod, int64_t idx, const char *task, const char *id, sdk_tstate st,
                           const char *config) {
    static char names[64][64];
    static int next;
    char *nm = names[next++ % 64];
    snprintf(nm, 64, "%s-%lld-%s", pod, (long long)idx, task);
    sdk_task_view v = {.name = nm, .pod_type = pod, .pod_index = idx, .task = task, .task_id = id,
                       .goal = SDK_GOAL_RUNNING, .essential = true, .has_status = true, .state = st,
                       .ready = true, .config_id = config};
    return v;
}

static char *cands(sdk_plan *const *plans, size_t n) {
    sdk_candidate *c;
    size_t nc;
    sdk_plan_candidates_new(plans, n, &c, &nc);
    sdk_buf b;
    sdk_buf_init(&b);
    for (size_t i = 0; i < nc; i++) {
        if (i) sdk_buf_putc(&b, ',');
        sdk_buf_printf(&b, "%s/%s", c[i].plan->name, c[i].step->name);
    }
    free(c);
    return sdk_buf_take(&b);
}
#define CHECK_CANDS(plans, n, expect) do { char *c_ = cands(plans, n); CHECK_STR(c_, expect); free(c_); } while (0)

/* ----------------------------------------------------------------- builders ---- */

static void test_default_deploy_plan(void) {
    sdk_spec *spec = hello_world();
    sdk_plan **plans;
    size_t n;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_plans_from_spec_new(spec, NULL, false, &plans, &n, &errs), 0);
    CHECK_INT(n, 1);
    sdk_plan *p = plans[0];
    CHECK_STR(p->name, "deploy");
    CHECK_STR(sdk_strat_name(&p->strat), "serial");
    CHECK_INT(p->n_phases, 2);
    CHECK_STR(p->phases[0]->name, "hello");
    CHECK_STR(p->phases[1]->name, "world");
    CHECK_STR(sdk_strat_name(&p->phases[1]->strat), "serial");
    CHECK_STR(p->phases[0]->steps[0]->name, "hello-0:[server]");
    CHECK_STR(p->phases[1]->steps[1]->name, "world-1:[server]");
    CHECK_STR(p->phases[1]->steps[1]->tasks[0].name, "world-1-server");
    CHECK(!sdk_plan_is_interrupted(p));
    CHECK_INT(sdk_plan_status(p), S(PENDING));
    CHECK_CANDS(plans, n, "deploy/hello-0:[server]");
    /* ids are UUIDs and distinct */
    CHECK(sdk_uuid_valid(p->phases[0]->id) && sdk_uuid_valid(p->phases[0]->steps[0]->id));
    CHECK(strcmp(p->phases[0]->id, p->phases[1]->id) != 0);
    sdk_plans_free(plans, n);
    sdk_errors_free(&errs);
    sdk_spec_free(spec);
}

/* The same through the real YAML parser: a 2-pod hello-world and HDFS-style custom steps. */
static void test_from_yaml(void) {
    const char *y =
        "name: hello-world\n"
        "pods:\n"
        "  hello:\n    count: 1\n    tasks:\n      server:\n        goal: RUNNING\n        cmd: s\n"
        "        cpus: 0.1\n        memory: 32\n"
        "  world:\n    count: 2\n    tasks:\n      server:\n        goal: RUNNING\n        cmd: s\n"
        "        cpus: 0.1\n        memory: 32\n"
        "      init:\n        goal: ONCE\n        cmd: i\n        cpus: 0.1\n        memory: 32\n"
        "plans:\n"
        "  deploy:\n    phases:\n"
        "      hello:\n        pod: hello\n      world:\n        pod: world\n"
        "  sidecar:\n    strategy: parallel\n    phases:\n"
        "      p:\n        pod: world\n        strategy: parallel\n        steps:\n"
        "          - 0: [[init], [init, server]]\n          - default: [[server]]\n";
    sdk_spec *spec = NULL;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_spec_parse(y, strlen(y), "svc.yml", NULL, &spec, &errs), 0);
    sdk_errors_print(&errs, "svc.yml");
    if (!spec) {
        sdk_errors_free(&errs);
        return;
    }
    sdk_plan **plans;
    size_t n;
    CHECK_INT(sdk_plans_from_spec_new(spec, NULL, false, &plans, &n, &errs), 0);
    CHECK_INT(n, 2);
    json_t *j = sdk_plan_to_json_new(plans[0], NULL);
    char *tree = sdk_plan_tree_new(plans[0]->name, j);
    CHECK_STR(tree, "deploy (serial strategy) (PENDING)\n"
                    "├─ hello (serial strategy) (PENDING)\n"
                    "│  └─ hello-0:[server] (PENDING)\n"
                    "└─ world (serial strategy) (PENDING)\n"
                    "   ├─ world-0:[server, init] (PENDING)\n"
                    "   └─ world-1:[server, init] (PENDING)");
    free(tree);
    json_decref(j);
    j = sdk_plan_to_json_new(plans[1], NULL);
    tree = sdk_plan_tree_new(plans[1]->name, j);
    CHECK_STR(tree, "sidecar (parallel strategy) (WAITING)\n"
                    "└─ p (dependency strategy) (PENDING)\n"
                    "   ├─ world-0:[init] (PENDING)\n"
                    "   ├─ world-0:[init, server] (PENDING)\n"
                    "   └─ world-1:[server] (PENDING)");
    free(tree);
    json_decref(j);
    sdk_plans_free(plans, n);
    sdk_errors_free(&errs);
    sdk_spec_free(spec);
}

static void test_initial_status(void) {
    sdk_spec *spec = hello_world();
    sdk_task_view tv[] = {
        tview("hello", 0, "server", "h0", SDK_TSTATE_RUNNING, "cfg2"),
        tview("world", 0, "server", "w0", SDK_TSTATE_RUNNING, "cfg1"),  /* old config */
        tview("world", 1, "server", "w1", SDK_TSTATE_FAILED, "cfg2"),
    };
    tv[2].permanently_failed = true;
    sdk_task_views views = {tv, 3, NULL};
    sdk_plan_ctx ctx = {.tasks = &views, .target_config_id = "cfg2"};
    sdk_plan **plans;
    size_t n;
    CHECK_INT(sdk_plans_from_spec_new(spec, &ctx, false, &plans, &n, NULL), 0);
    sdk_plan *p = plans[0];
    CHECK_INT(sdk_step_status(p->phases[0]->steps[0]), S(COMPLETE));
    CHECK_INT(sdk_step_status(p->phases[1]->steps[0]), S(PENDING)); /* re-run on new config */
    CHECK_INT(sdk_step_status(p->phases[1]->steps[1]), S(COMPLETE)); /* owned by recovery */
    CHECK_CANDS(plans, n, "deploy/world-0:[server]");
    sdk_plans_free(plans, n);

    /* Readiness not passed yet: not complete. Unlike dcos-commons (PENDING, which relaunches
     * the task), the step adopts the live task on the target config and waits for readiness. */
    tv[0].ready = false;
    CHECK_INT(sdk_plans_from_spec_new(spec, &ctx, false, &plans, &n, NULL), 0);
    sdk_step *st = plans[0]->phases[0]->steps[0];
    CHECK_INT(sdk_step_status(st), S(STARTED));
    CHECK(sdk_step_on_task_status(st, "hello-0-server", "h0", SDK_TSTATE_RUNNING, true));
    CHECK_INT(sdk_step_status(st), S(COMPLETE));
    sdk_plans_free(plans, n);

    /* A task of the target config that failed is not adopted: the step starts over. */
    tv[0].state = SDK_TSTATE_FAILED;
    CHECK_INT(sdk_plans_from_spec_new(spec, &ctx, false, &plans, &n, NULL), 0);
    CHECK_INT(sdk_step_status(plans[0]->phases[0]->steps[0]), S(PENDING));
    sdk_plans_free(plans, n);
    sdk_spec_free(spec);
}

static void test_once_vs_finish_after_config_change(void) {
    sdk_spec *spec = spec_new();
    sdk_pod_spec *pod = add_pod(spec, "app", 1);
    add_task(pod, "init", SDK_GOAL_ONCE, true);
    add_task(pod, "job", SDK_GOAL_FINISH, true);
    add_task(pod, "srv", SDK_GOAL_RUNNING, true);
    sdk_plan_spec *pl = add_plan(spec, "deploy", SDK_STRATEGY_SERIAL);
    add_entry(add_phase(pl, "main", "app", SDK_STRATEGY_SERIAL), -1, "init|job|srv");
    sdk_task_view tv[] = {
        tview("app", 0, "init", "i", SDK_TSTATE_FINISHED, "old"),
        tview("app", 0, "job", "j", SDK_TSTATE_FINISHED, "old"),
        tview("app", 0, "srv", "s", SDK_TSTATE_RUNNING, "old"),
    };
    tv[0].goal = SDK_GOAL_ONCE;
    tv[1].goal = SDK_GOAL_FINISH;
    sdk_task_views views = {tv, 3, NULL};
    sdk_plan_ctx ctx = {.tasks = &views, .target_config_id = "new"};
    sdk_plan **plans;
    size_t n;
    CHECK_INT(sdk_plans_from_spec_new(spec, &ctx, false, &plans, &n, NULL), 0);
    sdk_phase *ph = plans[0]->phases[0];
    CHECK_STR(ph->steps[0]->name, "app-0:[init]");
    CHECK_INT(sdk_step_status(ph->steps[0]), S(COMPLETE)); /* ONCE: any config */
    CHECK_INT(sdk_step_status(ph->steps[1]), S(PENDING));  /* FINISH: runs again */
    CHECK_INT(sdk_step_status(ph->steps[2]), S(PENDING));
    sdk_plans_free(plans, n);
    /* same config: all complete */
    ctx.target_config_id = "old";
    CHECK_INT(sdk_plans_from_spec_new(spec, &ctx, false, &plans, &n, NULL), 0);
    CHECK_INT(sdk_plan_status(plans[0]), S(COMPLETE));
    sdk_plans_free(plans, n);
    sdk_spec_free(spec);
}

static void test_custom_steps(void) {
    sdk_spec *spec = spec_new();
    sdk_pod_spec *pod = add_pod(spec, "name", 2);
    add_task(pod, "format", SDK_GOAL_ONCE, true);
    add_task(pod, "node", SDK_GOAL_RUNNING, true);
    add_task(pod, "zkfc", SDK_GOAL_RUNNING, true);
    free(pod->tasks[0].resource_set);
    pod->tasks[0].resource_set = sdk_xstrdup("name-resources");
    free(pod->tasks[1].resource_set);
    pod->tasks[1].resource_set = sdk_xstrdup("name-resources");
    sdk_plan_spec *pl = add_plan(spec, "deploy", SDK_STRATEGY_SERIAL);
    sdk_phase_spec *par = add_phase(pl, "par", "name", SDK_STRATEGY_PARALLEL);
    add_entry(par, 0, "format|node,zkfc");
    add_entry(par, -1, "node");
    add_entry(par, 7, "node"); /* index >= count: ignored */
    sdk_phase_spec *ser = add_phase(pl, "ser", "name", SDK_STRATEGY_SERIAL_CANARY);
    add_entry(ser, -1, "zkfc");
    sdk_phase_spec *pc = add_phase(pl, "pc", "name", SDK_STRATEGY_PARALLEL_CANARY);
    add_entry(pc, -1, "zkfc");
    sdk_plan **plans;
    size_t n;
    CHECK_INT(sdk_plans_from_spec_new(spec, NULL, false, &plans, &n, NULL), 0);
    sdk_plan *p = plans[0];
    sdk_phase *ph = p->phases[0];
    CHECK_INT(ph->n_steps, 3);
    CHECK_STR(ph->steps[0]->name, "name-0:[format]");
    CHECK_STR(ph->steps[1]->name, "name-0:[node, zkfc]");
    CHECK_STR(ph->steps[2]->name, "name-1:[node]");
    CHECK_STR(sdk_strat_name(&ph->strat), "dependency");
    CHECK_STR(sdk_strat_name(&p->phases[1]->strat), "serial-canary");
    CHECK_STR(sdk_strat_name(&p->phases[2]->strat), "dependency-canary");
    /* same instance in order, instances in parallel; one step per pod instance per cycle */
    CHECK_CANDS(plans, n, "deploy/name-0:[format],deploy/name-1:[node]");
    sdk_step_force_complete(ph->steps[0]);
    CHECK_CANDS(plans, n, "deploy/name-0:[node, zkfc],deploy/name-1:[node]");
    sdk_plans_free(plans, n);

    /* the default deploy plan of this pod launches format+node together: ERROR step */
    spec->n_plans = 0;
    CHECK_INT(sdk_plans_from_spec_new(spec, NULL, false, &plans, &n, NULL), 0);
    sdk_step *bad = plans[0]->phases[0]->steps[0];
    CHECK_STR(bad->name, "name-0");
    CHECK_INT(sdk_step_status(bad), S(ERROR));
    CHECK_CONTAINS(bad->errors.msgs[0], "same resource set id 'name-resources'");
    CHECK_INT(sdk_plan_status(plans[0]), S(ERROR));
    CHECK_INT(sdk_plan_http_status(plans[0]), 417);
    json_t *j = sdk_plan_to_json_new(plans[0], NULL);
    CHECK_CONTAINS(json_string_value(json_array_get(json_object_get(j, "errors"), 0)), "format, node, zkfc");
    json_decref(j);
    sdk_plans_free(plans, n);
    spec->n_plans = 1;

    /* missing entry for an index and no default: a clear error, no plans */
    sdk_phase_spec *hole = add_phase(&spec->plans[0], "hole", "name", SDK_STRATEGY_SERIAL);
    add_entry(hole, 0, "node");
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_plans_from_spec_new(spec, NULL, false, &plans, &n, &errs), SDK_EINVAL);
    CHECK(plans == NULL && n == 0);
    CHECK(sdk_errors_contains(&errs, "plans.deploy.phases.hole.steps: no entry for pod index 1"));
    sdk_errors_free(&errs);
    sdk_spec_free(spec);
}

static void test_update_rule_and_custom_plans(void) {
    sdk_spec *spec = hello_world();
    add_phase(add_plan(spec, "deploy", SDK_STRATEGY_PARALLEL), "d-phase", "hello", SDK_STRATEGY_SERIAL);
    add_phase(add_plan(spec, "update", SDK_STRATEGY_SERIAL), "u-phase", "world", SDK_STRATEGY_PARALLEL);
    add_phase(add_plan(spec, "sidecar", SDK_STRATEGY_SERIAL), "s-phase", "world", SDK_STRATEGY_SERIAL);
    sdk_plan **plans;
    size_t n;
    CHECK_INT(sdk_plans_from_spec_new(spec, NULL, false, &plans, &n, NULL), 0);
    CHECK_INT(n, 2);
    CHECK_STR(plans[0]->name, "deploy");
    CHECK_STR(plans[0]->phases[0]->name, "d-phase");
    CHECK_STR(sdk_strat_name(&plans[0]->strat), "parallel");
    CHECK_STR(plans[1]->name, "sidecar");
    CHECK(sdk_plans_find(plans, n, "update") == NULL);
    /* custom plans start interrupted */
    CHECK(sdk_plan_is_interrupted(plans[1]));
    CHECK_INT(sdk_plan_status(plans[1]), S(WAITING));
    CHECK_CANDS(plans, n, "deploy/hello-0:[server]");
    CHECK_INT(sdk_plan_cmd_start(plans[1], NULL, 0, NULL), SDK_CMD_OK);
    CHECK_CANDS(plans, n, "deploy/hello-0:[server],sidecar/world-0:[server]");
    sdk_plans_free(plans, n);

    CHECK_INT(sdk_plans_from_spec_new(spec, NULL, true, &plans, &n, NULL), 0);
    CHECK_STR(plans[0]->name, "deploy");
    CHECK_STR(plans[0]->phases[0]->name, "u-phase");
    CHECK_STR(sdk_strat_name(&plans[0]->strat), "serial");
    CHECK(sdk_plans_find(plans, n, "update") == NULL);
    sdk_plans_free(plans, n);

    /* a custom plan whose steps all ran is COMPLETE, not WAITING */
    sdk_task_view tv[] = {tview("world", 0, "server", "a", SDK_TSTATE_RUNNING, "c"),
                          tview("world", 1, "server", "b", SDK_TSTATE_RUNNING, "c")};
    sdk_task_views views = {tv, 2, NULL};
    sdk_plan_ctx ctx = {.tasks = &views, .target_config_id = "c"};
    CHECK_INT(sdk_plans_from_spec_new(spec, &ctx, false, &plans, &n, NULL), 0);
    CHECK_INT(sdk_plan_status(plans[1]), S(COMPLETE));
    sdk_plans_free(plans, n);
    sdk_spec_free(spec);
}

/* -------------------------------------------------------------- coordinator ---- */

static void test_coordinator_dirty_assets(void) {
    sdk_plan *deploy = sdk_plan_new("deploy", SDK_STRATEGY_SERIAL);
    sdk_phase *ph = sdk_phase_new("p", SDK_STRATEGY_PARALLEL);
    const char *a[] = {"a"}, *b[] = {"b"}, *ab[] = {"a", "b"};
    sdk_phase_add_step_take(ph, sdk_step_pod_new("pod-0:[a]", "pod", 0, a, NULL, 1));
    sdk_phase_add_step_take(ph, sdk_step_pod_new("pod-1:[a]", "pod", 1, a, NULL, 1));
    sdk_plan_add_phase_take(deploy, ph);
    sdk_plan *side = sdk_plan_new("side", SDK_STRATEGY_PARALLEL);
    sdk_phase *s1 = sdk_phase_new("s1", SDK_STRATEGY_PARALLEL);
    sdk_phase_add_step_take(s1, sdk_step_pod_new("pod-0:[b]", "pod", 0, b, NULL, 1));
    sdk_phase_add_step_take(s1, sdk_step_pod_new("pod-1:[a, b]", "pod", 1, ab, NULL, 2));
    sdk_plan_add_phase_take(side, s1);
    sdk_plan *plans[] = {deploy, side};

    /* pod-1:[a, b] conflicts with deploy's pod-1:[a] chosen this cycle; pod-0:[b] does not */
    CHECK_CANDS(plans, 2, "deploy/pod-0:[a],deploy/pod-1:[a],side/pod-0:[b]");
    /* an interrupted plan yields nothing */
    sdk_plan_interrupt(deploy);
    CHECK_CANDS(plans, 2, "side/pod-0:[b],side/pod-1:[a, b]");
    sdk_plan_proceed(deploy);
    /* a STARTING step of the side plan blocks deploy's conflicting step */
    sdk_launched l = {"pod-1-a", "x"};
    CHECK_INT(sdk_step_on_launched(s1->steps[1], &l, 1), 0);
    CHECK_CANDS(plans, 2, "deploy/pod-0:[a],side/pod-0:[b],side/pod-1:[a, b]");
    CHECK(sdk_step_conflicts(ph->steps[1], s1->steps[1]));
    CHECK(!sdk_step_conflicts(ph->steps[0], s1->steps[0]));
    sdk_plan_free(deploy);
    sdk_plan_free(side);
}

/* ----------------------------------------------------------------- recovery ---- */

static void test_recovery(void) {
    sdk_spec *spec = spec_new();
    sdk_pod_spec *pod = add_pod(spec, "pod", 2);
    add_task(pod, "main", SDK_GOAL_RUNNING, true);
    add_task(pod, "side", SDK_GOAL_RUNNING, false);
    add_task(pod, "init", SDK_GOAL_ONCE, true);
    sdk_plan **plans;
    size_t n;
    sdk_plan_spec *pl = add_plan(spec, "deploy", SDK_STRATEGY_SERIAL);
    add_entry(add_phase(pl, "x", "pod", SDK_STRATEGY_SERIAL), -1, "init|main,side");
    CHECK_INT(sdk_plans_from_spec_new(spec, NULL, false, &plans, &n, NULL), 0);

    sdk_recovery *r = sdk_recovery_new(NULL);
    json_t *j = sdk_plan_to_json_new(sdk_recovery_plan(r), NULL);
    char *txt = json_dumps(j, JSON_COMPACT);
    CHECK_STR(txt, "{\"phases\":[],\"errors\":[],\"strategy\":\"serial\",\"status\":\"COMPLETE\"}");
    free(txt);
    json_decref(j);

    sdk_task_view tv[] = {
        tview("pod", 0, "main", "m0", SDK_TSTATE_RUNNING, "c"),
        tview("pod", 0, "side", "s0", SDK_TSTATE_FAILED, "c"),
        tview("pod", 0, "init", "i0", SDK_TSTATE_FINISHED, "c"),
        tview("pod", 1, "main", "m1", SDK_TSTATE_RUNNING, "c"),
        tview("pod", 1, "side", "s1", SDK_TSTATE_RUNNING, "c"),
    };
    tv[1].essential = false;
    tv[4].essential = false;
    tv[2].goal = SDK_GOAL_ONCE;
    sdk_task_views views = {tv, 5, NULL};
    CHECK_INT(sdk_recovery_update(r, spec, &views, plans, n, 1), 0);
    sdk_plan *rp = sdk_recovery_plan(r);
    CHECK_STR(sdk_strat_name(&rp->strat), "parallel");
    /* non-essential failure: only that task, TRANSIENT */
    CHECK_INT(rp->n_phases, 1);
    CHECK_STR(rp->phases[0]->name, "pod-0:[side]");
    CHECK_STR(rp->phases[0]->steps[0]->name, "pod-0:[side]");
    CHECK_INT(rp->phases[0]->steps[0]->recovery, SDK_RECOVERY_TRANSIENT);
    j = sdk_plan_to_json_new(rp, NULL);
    CHECK_CONTAINS(json_string_value(json_object_get(json_array_get(json_object_get(
        json_array_get(json_object_get(j, "phases"), 0), "steps"), 0), "message")),
        "with status: PENDING RecoveryType: TRANSIENT");
    json_decref(j);
    char *first_id = sdk_xstrdup(rp->phases[0]->id);
    /* rebuilding keeps the in-progress phase */
    CHECK_INT(sdk_recovery_update(r, spec, &views, plans, n, 1), 0);
    CHECK_INT(rp->n_phases, 1);
    CHECK_STR(rp->phases[0]->id, first_id);

    /* escalation: the task becomes permanently failed → PERMANENT replaces the phase */
    tv[1].permanently_failed = true;
    CHECK_INT(sdk_recovery_update(r, spec, &views, plans, n, 1), 0);
    CHECK_INT(rp->n_phases, 1);
    CHECK_INT(rp->phases[0]->steps[0]->recovery, SDK_RECOVERY_PERMANENT);
    CHECK(strcmp(rp->phases[0]->id, first_id) != 0);
    free(first_id);

    /* the step completes; the phase stays as history */
    sdk_step *st = rp->phases[0]->steps[0];
    sdk_launched l = {"pod-0-side", "s0b"};
    CHECK_INT(sdk_step_on_launched(st, &l, 1), 0);
    CHECK_INT(sdk_plan_on_task_status(rp, "pod-0-side", "s0b", SDK_TSTATE_RUNNING, true), 1);
    tv[1] = tview("pod", 0, "side", "s0b", SDK_TSTATE_RUNNING, "c");
    tv[1].essential = false;
    CHECK_INT(sdk_recovery_update(r, spec, &views, plans, n, 1), 0);
    CHECK_INT(rp->n_phases, 1);
    CHECK_INT(sdk_plan_status(rp), S(COMPLETE));

    /* essential failure on pod-1: all RUNNING-goal tasks of the pod relaunch, not ONCE ones */
    tv[3].state = SDK_TSTATE_LOST;
    CHECK_INT(sdk_recovery_update(r, spec, &views, plans, n, 1), 0);
    CHECK_INT(rp->n_phases, 2);
    CHECK_STR(rp->phases[1]->name, "pod-1:[main, side]");
    CHECK_INT(rp->phases[1]->steps[0]->recovery, SDK_RECOVERY_TRANSIENT);
    CHECK_INT(sdk_plan_status(rp), S(IN_PROGRESS));
    sdk_recovery_free(r);

    /* mixed permanent / transient failures in one pod: skipped */
    r = sdk_recovery_new(NULL);
    tv[3].permanently_failed = true;
    tv[4].state = SDK_TSTATE_FAILED;
    CHECK_INT(sdk_recovery_update(r, spec, &views, plans, n, 1), 0);
    CHECK_INT(sdk_recovery_plan(r)->n_phases, 0);
    /* GONE_BY_OPERATOR counts as permanently failed */
    tv[4].state = SDK_TSTATE_GONE_BY_OPERATOR;
    CHECK_INT(sdk_recovery_update(r, spec, &views, plans, n, 1), 0);
    CHECK_INT(sdk_recovery_plan(r)->n_phases, 1);
    CHECK_INT(sdk_recovery_plan(r)->phases[0]->steps[0]->recovery, SDK_RECOVERY_PERMANENT);
    sdk_recovery_free(r);
    sdk_plans_free(plans, n);
    sdk_spec_free(spec);
}

static int override_calls;
static int my_override(void *arg, const char *pod_type, int64_t idx, sdk_recovery_type type,
                       const char *const *tasks, size_t n, sdk_phase **out) {
    (void)arg;
    (void)tasks;
    override_calls++;
    if (type != SDK_RECOVERY_PERMANENT || n == 0) return 0;
    char *name = sdk_asprintf_new("custom-%s-%lld", pod_type, (long long)idx);
    sdk_phase *ph = sdk_phase_new(name, SDK_STRATEGY_SERIAL);
    sdk_phase_add_step_take(ph, sdk_step_generic_new("replace-node", NULL, SDK_ACTION_CUSTOM, NULL, SDK_STATUS_PENDING));
    free(name);
    *out = ph;
    return 0;
}

static void test_recovery_override_and_backoff(void) {
    sdk_spec *spec = hello_world();
    sdk_plan **plans;
    size_t n;
    CHECK_INT(sdk_plans_from_spec_new(spec, NULL, false, &plans, &n, NULL), 0);
    sdk_backoff_config cfg;
    sdk_backoff_config_default(&cfg);
    cfg.enabled = true;
    sdk_backoff *b = sdk_backoff_new(&cfg);
    sdk_recovery *r = sdk_recovery_new(b);
    sdk_recovery_set_override(r, my_override, NULL);
    sdk_task_view tv[] = {tview("world", 0, "server", "w0", SDK_TSTATE_FAILED, "c"),
                          tview("world", 1, "server", "w1", SDK_TSTATE_FAILED, "c"),
                          tview("gone", 0, "server", "g0", SDK_TSTATE_FAILED, "c")};
    tv[1].permanently_failed = true;
    sdk_task_views views = {tv, 3, NULL};
    sdk_backoff_on_failure(b, "world-0-server"); /* delayed: a DELAYED step, not a candidate */
    CHECK_INT(sdk_recovery_update(r, spec, &views, plans, n, 1), 0);
    sdk_plan *rp = sdk_recovery_plan(r);
    CHECK_INT(rp->n_phases, 2);
    CHECK_STR(rp->phases[0]->name, "world-0:[server]");
    CHECK_INT(sdk_step_status(rp->phases[0]->steps[0]), S(DELAYED));
    CHECK_STR(rp->phases[1]->name, "custom-world-1");
    CHECK_STR(rp->phases[1]->pod_instance, "world-1");
    CHECK(override_calls == 1); /* no override is asked for a delayed pod */
    CHECK_CANDS(&rp, 1, "recovery/replace-node");
    sdk_backoff_clear(b, "world-0-server");
    CHECK_INT(sdk_step_status(rp->phases[0]->steps[0]), S(PENDING)); /* the delay is over */
    CHECK_INT(sdk_recovery_update(r, spec, &views, plans, n, 1), 0);
    CHECK_INT(rp->n_phases, 2);
    /* a deploy step in flight for the same pod blocks the recovery */
    sdk_recovery_free(r);
    r = sdk_recovery_new(NULL);
    sdk_launched l = {"world-0-server", "new"};
    CHECK_INT(sdk_step_on_launched(plans[0]->phases[1]->steps[0], &l, 1), 0);
    CHECK_INT(sdk_recovery_update(r, spec, &views, plans, n, 1), 0);
    CHECK_INT(sdk_recovery_plan(r)->n_phases, 1); /* only world-1 */
    CHECK_STR(sdk_recovery_plan(r)->phases[0]->name, "world-1:[server]");
    sdk_recovery_free(r);
    sdk_backoff_free(b);
    sdk_plans_free(plans, n);
    sdk_spec_free(spec);
}

/* --------------------------------------------------- decommission / uninstall ---- */

static void test_decommission_order(void) {
    sdk_spec *spec = hello_world(); /* hello x1, world x2 */
    const char *r1[] = {"rid-a", "rid-b"}, *r2[] = {"rid-b"};
    sdk_task_view tv[] = {
        tview("hello", 0, "server", "x", SDK_TSTATE_RUNNING, "c"),  /* kept */
        tview("hello", 1, "server", "x", SDK_TSTATE_RUNNING, "c"),
        tview("hello", 2, "server", "x", SDK_TSTATE_RUNNING, "c"),
        tview("world", 3, "server", "x", SDK_TSTATE_RUNNING, "c"),
        tview("world", 3, "agent", "x", SDK_TSTATE_RUNNING, "c"),
        tview("zeta", 0, "server", "x", SDK_TSTATE_RUNNING, "c"),
        tview("alpha", 0, "server", "x", SDK_TSTATE_RUNNING, "c"),
        tview("world", 1, "server", "x", SDK_TSTATE_RUNNING, "c"),  /* kept */
    };
    tv[3].resource_ids = r1;
    tv[3].n_resource_ids = 2;
    tv[4].resource_ids = r2;
    tv[4].n_resource_ids = 1;
    sdk_task_views views = {tv, 8, NULL};
    sdk_plan *p = NULL;
    CHECK_INT(sdk_decommission_plan_new(spec, &views, &p), 0);
    CHECK(p != NULL);
    if (!p) return;
    CHECK_STR(p->name, "decommission");
    CHECK_INT(p->n_phases, 5);
    const char *order[] = {"alpha-0", "zeta-0", "world-3", "hello-2", "hello-1"};
    for (size_t i = 0; i < 5 && i < p->n_phases; i++) CHECK_STR(p->phases[i]->name, order[i]);
    sdk_phase *w = p->phases[2];
    CHECK_INT(w->n_steps, 6);
    const char *steps[] = {"kill-world-3-agent", "kill-world-3-server", "unreserve-rid-a", "unreserve-rid-b",
                           "erase-world-3-agent", "erase-world-3-server"};
    for (size_t i = 0; i < 6 && i < w->n_steps; i++) CHECK_STR(w->steps[i]->name, steps[i]);
    CHECK_INT(w->steps[2]->action, SDK_ACTION_UNRESERVE);
    CHECK_STR(w->steps[2]->target, "rid-a");
    /* generic steps are driven by the caller; serial phase order */
    CHECK_CANDS(&p, 1, "decommission/kill-alpha-0-server");
    sdk_step_set_status(p->phases[0]->steps[0], S(COMPLETE));
    CHECK_CANDS(&p, 1, "decommission/erase-alpha-0-server");
    sdk_plan_free(p);

    /* nothing to decommission */
    views.n = 1;
    CHECK_INT(sdk_decommission_plan_new(spec, &views, &p), 0);
    CHECK(p == NULL);
    sdk_spec_free(spec);
}

static void test_uninstall_plan(void) {
    const char *r1[] = {"r1", "r2"}, *r2[] = {"r3"};
    sdk_task_view tv[] = {
        tview("a", 0, "t", "id-a", SDK_TSTATE_RUNNING, "c"),
        tview("b", 0, "t", "id-b", SDK_TSTATE_RUNNING, "c"),
        tview("b", 0, "u", "", SDK_TSTATE_RUNNING, "c"),  /* stub: no kill step */
    };
    tv[0].hostname = "host-z";
    tv[0].resource_ids = r1;
    tv[0].n_resource_ids = 2;
    tv[1].hostname = "host-a";
    tv[1].resource_ids = r2;
    tv[1].n_resource_ids = 1;
    tv[1].transport_encryption = true;
    sdk_task_views views = {tv, 3, NULL};
    sdk_plan *p;
    CHECK_INT(sdk_uninstall_plan_new(&views, &p), 0);
    CHECK_STR(p->name, "deploy");
    CHECK_STR(sdk_strat_name(&p->strat), "dependency");
    const char *phases[] = {"kill-tasks", "unreserve-resources-host-a", "unreserve-resources-host-z",
                            "tls-cleanup", "deregister-service"};
    CHECK_INT(p->n_phases, 5);
    for (size_t i = 0; i < 5 && i < p->n_phases; i++) CHECK_STR(p->phases[i]->name, phases[i]);
    CHECK_INT(p->phases[0]->n_steps, 2);
    CHECK_STR(p->phases[0]->steps[0]->name, "kill-task-id-a");
    CHECK_STR(sdk_strat_name(&p->phases[0]->strat), "parallel");
    CHECK_STR(p->phases[2]->steps[1]->name, "unreserve-r2");
    CHECK_STR(p->phases[4]->steps[0]->name, "deregister");
    /* kill and unreserve run concurrently; deregister waits for all */
    CHECK_CANDS(&p, 1, "deploy/kill-task-id-a,deploy/kill-task-id-b,deploy/unreserve-r3,"
                       "deploy/unreserve-r1,deploy/unreserve-r2,deploy/tls-cleanup");
    for (size_t i = 0; i + 1 < p->n_phases; i++) sdk_phase_force_complete(p->phases[i]);
    CHECK_CANDS(&p, 1, "deploy/deregister");
    sdk_plan_free(p);
}

static void test_health_codes(void) {
    sdk_spec *spec = hello_world();
    sdk_plan **plans;
    size_t n;
    CHECK_INT(sdk_plans_from_spec_new(spec, NULL, false, &plans, &n, NULL), 0);
    sdk_plan *d = plans[0];
    CHECK_INT(sdk_plan_health_code(plans, n, d, NULL, false), 318);
    CHECK_INT(sdk_plan_health_code(plans, n, d, NULL, true), 204);
    sdk_launched l = {"hello-0-server", "h"};
    sdk_step_on_launched(d->phases[0]->steps[0], &l, 1);
    sdk_phase_force_complete(d->phases[1]);
    CHECK_INT(sdk_plan_health_code(plans, n, d, NULL, true), 202);
    sdk_plan_force_complete(d);
    CHECK_INT(sdk_plan_health_code(plans, n, d, NULL, true), 200);
    sdk_step_set_error(d->phases[0]->steps[0], "x");
    CHECK_INT(sdk_plan_health_code(plans, n, d, NULL, true), 500);
    sdk_plans_free(plans, n);
    sdk_spec_free(spec);
}

int main(void) {
    RUN(test_default_deploy_plan);
    RUN(test_from_yaml);
    RUN(test_initial_status);
    RUN(test_once_vs_finish_after_config_change);
    RUN(test_custom_steps);
    RUN(test_update_rule_and_custom_plans);
    RUN(test_coordinator_dirty_assets);
    RUN(test_recovery);
    RUN(test_recovery_override_and_backoff);
    RUN(test_decommission_order);
    RUN(test_uninstall_plan);
    RUN(test_health_codes);
    return check_summary("test_plan_build");
}
