/* Offer evaluation pipeline (sdk-behaviour.md §8.3, §2.3-2.5, §3.2-3.6) and reservation GC (§8.5). */
#include "core/offer/evaluate.h"
#include "mesos/proto/mesos.pb-c.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include "check.h"

#define S(x) sdk_xstrdup(x)

/* ---------------------------------------------------------------- spec built by hand */

static sdk_kv *kvs(size_t n, const char *const *kv) {
    sdk_kv *v = sdk_xcalloc(n ? n : 1, sizeof *v);
    for (size_t i = 0; i < n; i++) { v[i].key = S(kv[2 * i]); v[i].value = S(kv[2 * i + 1]); }
    return v;
}

/* Pod "hello": set "server-resource-set" (cpus 1, mem 256, dynamic port http + static admin 31005,
 * ROOT volume data 500) used by task server; set "shared" (cpus 0.5, mem 64, static port peer
 * 31000) used by tasks format and node. */
static sdk_spec *make_spec(double server_cpus, double server_mem) {
    sdk_spec *s = sdk_xcalloc(1, sizeof *s);
    s->name = S("/group/hello-world");
    s->user = S("nobody");
    s->principal = S("hello-principal");
    s->n_pods = 1;
    s->pods = sdk_xcalloc(1, sizeof *s->pods);
    sdk_pod_spec *p = &s->pods[0];
    p->type = S("hello");
    p->count = 2;
    p->pre_reserved_role = S("*");
    p->n_uris = 1;
    p->uris = sdk_xcalloc(1, sizeof *p->uris);
    p->uris[0] = S("https://example.org/bootstrap.zip");

    p->n_resource_sets = 2;
    p->resource_sets = sdk_xcalloc(2, sizeof *p->resource_sets);
    sdk_resource_set *rs = &p->resource_sets[0];
    rs->id = S("server-resource-set");
    rs->implicit = true;
    rs->cpus = server_cpus;
    rs->memory_mb = server_mem;
    rs->n_ports = 2;
    rs->ports = sdk_xcalloc(2, sizeof *rs->ports);
    rs->ports[0].name = S("http");
    rs->ports[0].env_key = S("PORT_HTTP");
    rs->ports[0].vip_prefix = S("web");
    rs->ports[0].vip_port = 80;
    rs->ports[1].name = S("admin");
    rs->ports[1].port = 31005;
    rs->ports[1].env_key = S("PORT_ADMIN");
    rs->ports[1].advertise = true;
    rs->n_volumes = 1;
    rs->volumes = sdk_xcalloc(1, sizeof *rs->volumes);
    rs->volumes[0].path = S("data");
    rs->volumes[0].type = SDK_VOLUME_ROOT;
    rs->volumes[0].size_mb = 500;
    rs = &p->resource_sets[1];
    rs->id = S("shared");
    rs->cpus = 0.5;
    rs->memory_mb = 64;
    rs->n_ports = 1;
    rs->ports = sdk_xcalloc(1, sizeof *rs->ports);
    rs->ports[0].name = S("peer");
    rs->ports[0].port = 31000;

    p->n_tasks = 3;
    p->tasks = sdk_xcalloc(3, sizeof *p->tasks);
    sdk_task_spec *t = &p->tasks[0];
    t->name = S("server");
    t->cmd = S("./server");
    t->essential = true;
    const char *env[] = {"A", "yaml", "B", "yaml", "TASK_NAME", "mine"};
    t->env = kvs(3, env);
    t->n_env = 3;
    t->resource_set = S("server-resource-set");
    t->n_configs = 1;
    t->configs = sdk_xcalloc(1, sizeof *t->configs);
    t->configs[0].name = S("server-conf");
    t->configs[0].template_path = S("conf.mustache");
    t->configs[0].dest = S("conf.yml");
    t->health_check.present = true;
    t->health_check.cmd = S("curl localhost:$PORT_HTTP");
    t->health_check.interval_s = 5;
    t->health_check.timeout_s = 3;
    t->health_check.max_consecutive_failures = 3;
    const char *labels[] = {"team", "x"};
    t->labels = kvs(1, labels);
    t->n_labels = 1;
    t->kill_grace_period_s = 30;
    t->discovery_prefix = S("web");
    t->discovery_visibility = SDK_VIS_FRAMEWORK;
    for (int i = 1; i < 3; i++) {
        t = &p->tasks[i];
        t->name = S(i == 1 ? "format" : "node");
        t->goal = i == 1 ? SDK_GOAL_ONCE : SDK_GOAL_RUNNING;
        t->cmd = S("true");
        t->essential = true;
        t->resource_set = S("shared");
    }
    return s;
}

/* ---------------------------------------------------------------- offers */

static void add_scalar(sdk_resources *rs, const char *name, double v, const char *static_role) {
    sdk_resource r = {0};
    r.name = (char *)name;
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    sdk_reservation st = {SDK_RESV_STATIC, (char *)static_role, NULL, NULL, 0, false};
    if (static_role) { r.reservations = &st; r.n_reservations = 1; }
    sdk_resources_add(rs, &r);
}

static void add_ports(sdk_resources *rs, uint64_t b, uint64_t e, const char *static_role) {
    sdk_range rg = {b, e};
    sdk_resource r = {0};
    r.name = (char *)"ports";
    r.type = SDK_RES_RANGES;
    r.ranges = &rg;
    r.n_ranges = 1;
    sdk_reservation st = {SDK_RESV_STATIC, (char *)static_role, NULL, NULL, 0, false};
    if (static_role) { r.reservations = &st; r.n_reservations = 1; }
    sdk_resources_add(rs, &r);
}

static void make_offer(sdk_offer *o, const char *id, const char *agent, double cpus, const char *static_role) {
    memset(o, 0, sizeof *o);
    o->id = S(id);
    o->agent_id = S(agent);
    o->hostname = S("10.0.0.1");
    o->zone = S("z1");
    o->region = S("r1");
    sdk_offer_add_attr(o, "rack", "rack-1");
    sdk_offer_add_attr(o, "cores", "8.000");
    add_scalar(&o->resources, "cpus", cpus, static_role);
    add_scalar(&o->resources, "mem", 4096, static_role);
    add_scalar(&o->resources, "disk", 10000, static_role);
    add_ports(&o->resources, 31000, 31010, static_role);
}

static const char *const SCHED_ENV[] = {
    "TASKCFG_ALL_B", "all",  "TASKCFG_HELLO_C", "pod", "TASKCFG_ALL_C", "allc",
    "TASKCFG_WORLD_D", "no", "PORT_API", "8081",
};

static sdk_eval_request base_request(const sdk_spec *spec, const char *const *tasks, size_t n) {
    static sdk_kv env[5], params[1];
    for (size_t i = 0; i < 5; i++) { env[i].key = (char *)SCHED_ENV[2 * i]; env[i].value = (char *)SCHED_ENV[2 * i + 1]; }
    params[0].key = (char *)"P";
    params[0].value = (char *)"1";
    sdk_eval_request q = {0};
    q.spec = spec;
    q.pod_type = "hello";
    q.index = 0;
    q.tasks = tasks;
    q.n_tasks = n;
    q.role = "group__hello-world-role";
    q.principal = "hello-principal";
    q.framework_id = "fw-1";
    q.target_config_id = "cfg-1";
    q.plan_params = params;
    q.n_plan_params = 1;
    q.sched_env = env;
    q.n_sched_env = 5;
    return q;
}

static size_t count_ops(const sdk_eval_result *r, sdk_op_type t) {
    size_t n = 0;
    for (size_t i = 0; i < r->n_ops; i++) n += r->ops[i].type == t;
    return n;
}

static const sdk_operation *launch_op(const sdk_eval_result *r) {
    for (size_t i = 0; i < r->n_ops; i++)
        if (r->ops[i].type == SDK_OP_LAUNCH_GROUP) return &r->ops[i];
    return NULL;
}

static const sdk_resource *find_res(const sdk_resources *rs, const char *name, bool volume) {
    for (size_t i = 0; i < rs->n; i++)
        if (!strcmp(rs->v[i].name, name) && (rs->v[i].persistence_id != NULL) == volume) return &rs->v[i];
    return NULL;
}

static long env_pos(const sdk_task_desc *t, const char *k) {
    for (size_t i = 0; i < t->n_env; i++)
        if (!strcmp(t->env[i].key, k)) return (long)i;
    return -1;
}

/* ---------------------------------------------------------------- tests */

static void test_new_pod_reserve_create_launch(void) {
    sdk_spec *spec = make_spec(1, 256);
    const char *tasks[] = {"server"};
    sdk_eval_request q = base_request(spec, tasks, 1);
    sdk_offer o;
    make_offer(&o, "offer-1", "agent-1", 4, NULL);
    sdk_eval_result r;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(r.matched);
    /* executor cpus/mem/disk + 2 ports + cpus + mem + volume disk */
    CHECK_INT(count_ops(&r, SDK_OP_RESERVE), 8);
    CHECK_INT(count_ops(&r, SDK_OP_CREATE), 1);
    CHECK_INT(count_ops(&r, SDK_OP_UNRESERVE), 0);
    CHECK_INT(r.ops[r.n_ops - 1].type, SDK_OP_LAUNCH_GROUP);
    CHECK_INT(r.ops[r.n_ops - 2].type, SDK_OP_CREATE); /* RESERVE..., CREATE, LAUNCH_GROUP */
    for (size_t i = 0; i < r.n_ops; i++) {
        if (r.ops[i].type != SDK_OP_RESERVE) continue;
        const sdk_resource *res = &r.ops[i].resources.v[0];
        CHECK_INT(res->n_reservations, 1);
        CHECK_INT(res->reservations[0].type, SDK_RESV_DYNAMIC);
        CHECK_STR(res->reservations[0].role, "group__hello-world-role");
        CHECK_STR(res->reservations[0].principal, "hello-principal");
        CHECK(sdk_uuid_valid(sdk_resource_label(res, "resource_id")));
        CHECK_STR(sdk_resource_label(res, "framework_id"), "fw-1");
        CHECK(sdk_resource_valid(res, NULL));
    }
    const sdk_operation *create = &r.ops[r.n_ops - 2];
    const sdk_resource *vol = &create->resources.v[0];
    CHECK(sdk_uuid_valid(vol->persistence_id));
    CHECK_STR(vol->volume_container_path, "data");
    CHECK_STR(vol->persistence_principal, "hello-principal");
    CHECK_INT(vol->milli, 500000);

    const sdk_operation *lg = launch_op(&r);
    CHECK(lg->executor->is_new);
    CHECK(sdk_str_starts(lg->executor->executor_id, "group.hello-world__hello__"));
    CHECK(sdk_uuid_valid(lg->executor->executor_id + strlen("group.hello-world__hello__")));
    CHECK_STR(lg->executor->name, "hello");
    CHECK_INT(sdk_resources_scalar_sum(&lg->executor->resources, "cpus", NULL, NULL), 100);
    CHECK_INT(sdk_resources_scalar_sum(&lg->executor->resources, "mem", NULL, NULL), 32000);
    CHECK_INT(sdk_resources_scalar_sum(&lg->executor->resources, "disk", NULL, NULL), 256000);
    CHECK_INT(lg->n_tasks, 1);
    const sdk_task_desc *t = &lg->tasks[0];
    CHECK_STR(t->name, "hello-0-server");
    CHECK(sdk_str_starts(t->task_id, "group.hello-world__hello-0-server__"));
    CHECK_STR(t->agent_id, "agent-1");
    CHECK_STR(t->user, "nobody");
    CHECK_STR(t->cmd, "./server");
    CHECK_INT(sdk_resources_scalar_sum(&t->resources, "cpus", NULL, NULL), 1000);
    CHECK_INT(sdk_resources_scalar_sum(&t->resources, "mem", NULL, NULL), 256000);
    CHECK(find_res(&t->resources, "disk", true) != NULL);
    CHECK_STR(find_res(&t->resources, "disk", true)->persistence_id, vol->persistence_id);
    /* labels (§3.6) */
    CHECK_STR(sdk_kv_get(t->labels, t->n_labels, "target_configuration"), "cfg-1");
    CHECK_STR(sdk_kv_get(t->labels, t->n_labels, "task_type"), "hello");
    CHECK_STR(sdk_kv_get(t->labels, t->n_labels, "index"), "0");
    CHECK_STR(sdk_kv_get(t->labels, t->n_labels, "offer_hostname"), "10.0.0.1");
    CHECK_STR(sdk_kv_get(t->labels, t->n_labels, "offer_attributes"), "rack:rack-1;cores:8.000");
    CHECK_STR(sdk_kv_get(t->labels, t->n_labels, "offer_zone"), "z1");
    CHECK_STR(sdk_kv_get(t->labels, t->n_labels, "offer_region"), "r1");
    CHECK_STR(sdk_kv_get(t->labels, t->n_labels, "team"), "x");
    /* discovery, checks, uris */
    CHECK_STR(t->discovery_name, "web-0");
    CHECK_INT(t->discovery_visibility, SDK_VIS_FRAMEWORK);
    CHECK_INT(t->n_ports, 2);
    CHECK_INT(t->ports[1].visibility, SDK_VIS_EXTERNAL);
    CHECK_INT(t->ports[0].visibility, SDK_VIS_CLUSTER);
    CHECK_INT(t->ports[0].n_labels, 2);
    CHECK(sdk_str_starts(t->ports[0].labels[0].key, "VIP_"));
    CHECK_STR(t->ports[0].labels[0].value, "web:80");
    CHECK(t->health.present);
    CHECK_STR(t->health.cmd, "curl localhost:$PORT_HTTP");
    CHECK_INT(t->kill_grace_period_s, 30);
    CHECK_INT(t->n_uris, 2);
    CHECK_STR(t->uris[0].value, "https://example.org/bootstrap.zip");
    CHECK_STR(t->uris[1].value, "http://hello-world-group.marathon.autoip.dcos.thisdcos.directory:8081/v1/artifacts/"
                                "template/cfg-1/hello/server/server-conf");
    CHECK_STR(t->uris[1].output_file, "config-templates/server-conf");
    CHECK(!t->uris[1].extract);
    CHECK_INT(r.n_stored, 0);
    CHECK_INT(r.outcomes[0].n_stages, 7); /* container, placement, executor, ports, scalars, volumes, launch */
    CHECK_STR(r.outcomes[0].stages[1].stage, "placement");
    CHECK_STR(r.outcomes[0].stages[6].stage, "launch server");
    sdk_eval_result_free(&r);
    sdk_offer_free_contents(&o);
    sdk_spec_free(spec);
}

static void test_insufficient_cpus_fails_with_reason(void) {
    sdk_spec *spec = make_spec(1, 256);
    const char *tasks[] = {"server"};
    sdk_eval_request q = base_request(spec, tasks, 1);
    sdk_offer o[2];
    make_offer(&o[0], "small", "agent-1", 0.5, NULL);
    make_offer(&o[1], "big", "agent-2", 2, NULL);
    sdk_eval_result r;
    CHECK_INT(sdk_offer_evaluate(&q, o, 1, &r, NULL), 0);
    CHECK(!r.matched);
    CHECK_INT(r.n_ops, 0);
    CHECK_INT(r.n_outcomes, 1);
    const sdk_offer_outcome *oc = &r.outcomes[0];
    CHECK(!oc->pass);
    CHECK_STR(oc->offer_id, "small");
    const sdk_stage_outcome *last = &oc->stages[oc->n_stages - 1];
    CHECK(!last->pass);
    CHECK_STR(last->stage, "server-resource-set: scalars");
    CHECK_STR(last->reason, "insufficient cpus for server-resource-set: need 1, offer has 0.400 unreserved");
    sdk_eval_result_free(&r);
    CHECK_INT(sdk_offer_evaluate(&q, o, 2, &r, NULL), 0);
    CHECK(r.matched);
    CHECK_INT(r.offer_index, 1);
    CHECK_INT(r.n_outcomes, 2);
    CHECK(!r.outcomes[0].pass && r.outcomes[1].pass);
    sdk_eval_result_free(&r);
    sdk_offer_free_contents(&o[0]);
    sdk_offer_free_contents(&o[1]);
    sdk_spec_free(spec);
}

static void test_ports_static_dynamic_env(void) {
    sdk_spec *spec = make_spec(1, 256);
    const char *tasks[] = {"server"};
    sdk_eval_request q = base_request(spec, tasks, 1);
    sdk_offer o;
    make_offer(&o, "offer-1", "agent-1", 4, NULL);
    sdk_eval_result r;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    const sdk_task_desc *t = &launch_op(&r)->tasks[0];
    /* dynamic: first free offered port, skipping 31000 (static elsewhere in the pod) */
    CHECK_STR(sdk_kv_get(t->env, t->n_env, "PORT_HTTP"), "31001");
    CHECK_STR(sdk_kv_get(t->env, t->n_env, "PORT_ADMIN"), "31005");
    CHECK_INT(t->ports[0].number, 31001);
    CHECK_INT(t->ports[1].number, 31005);
    /* each port is its own reservation */
    int nports = 0;
    for (size_t i = 0; i < t->resources.n; i++)
        if (!strcmp(t->resources.v[i].name, "ports")) {
            nports++;
            CHECK_INT(t->resources.v[i].n_ranges, 1);
        }
    CHECK_INT(nports, 2);
    sdk_eval_result_free(&r);

    /* static port not offered -> FAIL at the ports stage */
    sdk_resources_free(&o.resources);
    add_scalar(&o.resources, "cpus", 4, NULL);
    add_scalar(&o.resources, "mem", 4096, NULL);
    add_scalar(&o.resources, "disk", 10000, NULL);
    add_ports(&o.resources, 32000, 32010, NULL);
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(!r.matched);
    const sdk_stage_outcome *st = &r.outcomes[0].stages[r.outcomes[0].n_stages - 1];
    CHECK_STR(st->stage, "server-resource-set: ports");
    CHECK_STR(st->reason, "port 31005 ('admin') is not available in this offer (unreserved)");
    sdk_eval_result_free(&r);
    sdk_offer_free_contents(&o);
    sdk_spec_free(spec);
}

static void test_pre_reserved_refinement(void) {
    sdk_spec *spec = make_spec(1, 256);
    free(spec->pods[0].pre_reserved_role);
    spec->pods[0].pre_reserved_role = S("slave_public");
    const char *tasks[] = {"server"};
    sdk_eval_request q = base_request(spec, tasks, 1);
    sdk_offer o;
    make_offer(&o, "offer-1", "agent-1", 4, "slave_public");
    add_scalar(&o.resources, "cpus", 8, NULL); /* unreserved cpus must not be used */
    sdk_eval_result r;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(r.matched);
    for (size_t i = 0; i < r.n_ops; i++) {
        if (r.ops[i].type != SDK_OP_RESERVE) continue;
        const sdk_resource *res = &r.ops[i].resources.v[0];
        CHECK_INT(res->n_reservations, 2);
        CHECK_INT(res->reservations[0].type, SDK_RESV_STATIC);
        CHECK_STR(res->reservations[0].role, "slave_public");
        CHECK_INT(res->reservations[1].type, SDK_RESV_DYNAMIC);
        CHECK_STR(res->reservations[1].role, "slave_public/group__hello-world-role");
        CHECK(sdk_resource_label(res, "resource_id") != NULL);
        CHECK(sdk_resource_valid(res, NULL));
    }
    sdk_eval_result_free(&r);
    /* without enough pre-reserved cpus the unreserved 8 cpus do not help */
    sdk_offer_free_contents(&o);
    make_offer(&o, "offer-2", "agent-1", 0.5, "slave_public");
    add_scalar(&o.resources, "cpus", 8, NULL);
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(!r.matched);
    CHECK_CONTAINS(r.outcomes[0].stages[r.outcomes[0].n_stages - 1].reason, "reserved for the pre-reserved role");
    sdk_eval_result_free(&r);
    sdk_offer_free_contents(&o);
    sdk_spec_free(spec);
}

/* Offer holding what the previous launch reserved (task + executor) plus unreserved extras. */
static void make_reoffer(sdk_offer *o, const char *agent, const sdk_task_desc *t, const sdk_executor_desc *ex) {
    make_offer(o, "offer-re", agent, 4, NULL);
    sdk_resources_add_all(&o->resources, &t->resources);
    sdk_resources_add_all(&o->resources, &ex->resources);
}

static void test_relaunch_reuses_reservations(void) {
    sdk_spec *spec = make_spec(1, 256);
    const char *tasks[] = {"server"};
    sdk_eval_request q = base_request(spec, tasks, 1);
    sdk_offer o;
    make_offer(&o, "offer-1", "agent-1", 4, NULL);
    sdk_eval_result first;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &first, NULL), 0);
    const sdk_operation *lg1 = launch_op(&first);
    sdk_launch_record rec;
    sdk_launch_record_from_task(&lg1->tasks[0], lg1->executor, &rec);

    sdk_offer re;
    make_reoffer(&re, "agent-1", &lg1->tasks[0], lg1->executor);
    q.recovery = SDK_RECOVERY_TRANSIENT;
    q.records = &rec;
    q.n_records = 1;
    sdk_eval_result r;
    CHECK_INT(sdk_offer_evaluate(&q, &re, 1, &r, NULL), 0);
    CHECK(r.matched);
    CHECK_INT(count_ops(&r, SDK_OP_RESERVE), 0);
    CHECK_INT(count_ops(&r, SDK_OP_CREATE), 0);
    CHECK_INT(count_ops(&r, SDK_OP_UNRESERVE), 0);
    CHECK_INT(r.n_ops, 1);
    const sdk_task_desc *t = &launch_op(&r)->tasks[0];
    CHECK(sdk_resources_equal(&t->resources, &lg1->tasks[0].resources)); /* same resource ids, persistence id */
    CHECK_STR(find_res(&t->resources, "disk", true)->persistence_id,
              find_res(&lg1->tasks[0].resources, "disk", true)->persistence_id);
    CHECK_STR(sdk_kv_get(t->env, t->n_env, "PORT_HTTP"), "31001"); /* previous dynamic port */
    CHECK(strcmp(t->task_id, lg1->tasks[0].task_id) != 0);           /* a new TaskID per launch */
    CHECK(sdk_resources_equal(&launch_op(&r)->executor->resources, &lg1->executor->resources));
    CHECK(strcmp(launch_op(&r)->executor->executor_id, lg1->executor->executor_id) != 0);
    sdk_eval_result_free(&r);

    /* the running executor is reused as is */
    q.executor_running = true;
    CHECK_INT(sdk_offer_evaluate(&q, &re, 1, &r, NULL), 0);
    CHECK(r.matched);
    CHECK_STR(launch_op(&r)->executor->executor_id, lg1->executor->executor_id);
    CHECK(!launch_op(&r)->executor->is_new);
    sdk_eval_result_free(&r);
    q.executor_running = false;

    /* another agent is refused: the reservations live on agent-1 */
    sdk_offer other;
    make_offer(&other, "offer-x", "agent-2", 4, NULL);
    CHECK_INT(sdk_offer_evaluate(&q, &other, 1, &r, NULL), 0);
    CHECK(!r.matched);
    CHECK_STR(r.outcomes[0].stages[r.outcomes[0].n_stages - 1].stage, "agent");
    CHECK_CONTAINS(r.outcomes[0].stages[r.outcomes[0].n_stages - 1].reason, "agent-1");
    sdk_eval_result_free(&r);

    /* same agent, but the volume is gone from the offer: FAIL naming the volume */
    sdk_offer novol;
    make_offer(&novol, "offer-nv", "agent-1", 4, NULL);
    for (size_t i = 0; i < lg1->tasks[0].resources.n; i++)
        if (!lg1->tasks[0].resources.v[i].persistence_id) sdk_resources_add(&novol.resources, &lg1->tasks[0].resources.v[i]);
    sdk_resources_add_all(&novol.resources, &lg1->executor->resources);
    CHECK_INT(sdk_offer_evaluate(&q, &novol, 1, &r, NULL), 0);
    CHECK(!r.matched);
    CHECK_CONTAINS(r.outcomes[0].stages[r.outcomes[0].n_stages - 1].reason, "persistent volume 'data'");
    sdk_eval_result_free(&r);

    /* PERMANENT recovery ignores old reservations: fresh RESERVE and CREATE, placement evaluated */
    q.recovery = SDK_RECOVERY_PERMANENT;
    CHECK_INT(sdk_offer_evaluate(&q, &other, 1, &r, NULL), 0);
    CHECK(r.matched);
    CHECK_INT(count_ops(&r, SDK_OP_RESERVE), 8);
    CHECK_INT(count_ops(&r, SDK_OP_CREATE), 1);
    sdk_eval_result_free(&r);

    sdk_offer_free_contents(&novol);
    sdk_offer_free_contents(&other);
    sdk_offer_free_contents(&re);
    sdk_eval_result_free(&first);
    sdk_offer_free_contents(&o);
    sdk_spec_free(spec);
}

static void test_resize_on_config_change(void) {
    sdk_spec *spec = make_spec(1, 256);
    const char *tasks[] = {"server"};
    sdk_eval_request q = base_request(spec, tasks, 1);
    sdk_offer o;
    make_offer(&o, "offer-1", "agent-1", 4, NULL);
    sdk_eval_result first;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &first, NULL), 0);
    const sdk_operation *lg1 = launch_op(&first);
    const sdk_resource *old_cpus = find_res(&lg1->tasks[0].resources, "cpus", false);
    const sdk_resource *old_mem = find_res(&lg1->tasks[0].resources, "mem", false);
    sdk_launch_record rec;
    sdk_launch_record_from_task(&lg1->tasks[0], lg1->executor, &rec);

    sdk_spec *spec2 = make_spec(2, 128); /* cpus grow by 1, mem shrinks by 128 */
    sdk_eval_request q2 = base_request(spec2, tasks, 1);
    q2.records = &rec;
    q2.n_records = 1;
    q2.target_config_id = "cfg-2";
    sdk_offer re;
    make_reoffer(&re, "agent-1", &lg1->tasks[0], lg1->executor);
    sdk_eval_result r;
    CHECK_INT(sdk_offer_evaluate(&q2, &re, 1, &r, NULL), 0);
    CHECK(r.matched);
    CHECK_INT(count_ops(&r, SDK_OP_RESERVE), 1);
    CHECK_INT(count_ops(&r, SDK_OP_UNRESERVE), 1);
    CHECK_INT(count_ops(&r, SDK_OP_CREATE), 0);
    for (size_t i = 0; i < r.n_ops; i++) {
        const sdk_resource *x = r.ops[i].resources.n ? &r.ops[i].resources.v[0] : NULL;
        if (r.ops[i].type == SDK_OP_RESERVE) {
            CHECK_STR(x->name, "cpus");
            CHECK_INT(x->milli, 1000);
            CHECK_STR(sdk_resource_label(x, "resource_id"), sdk_resource_label(old_cpus, "resource_id"));
        } else if (r.ops[i].type == SDK_OP_UNRESERVE) {
            CHECK_STR(x->name, "mem");
            CHECK_INT(x->milli, 128000);
            CHECK_STR(sdk_resource_label(x, "resource_id"), sdk_resource_label(old_mem, "resource_id"));
        }
    }
    const sdk_task_desc *t = &launch_op(&r)->tasks[0];
    CHECK_INT(sdk_resources_scalar_sum(&t->resources, "cpus", NULL, NULL), 2000);
    CHECK_INT(sdk_resources_scalar_sum(&t->resources, "mem", NULL, NULL), 128000);
    CHECK_STR(sdk_resource_label(find_res(&t->resources, "cpus", false), "resource_id"),
              sdk_resource_label(old_cpus, "resource_id"));
    CHECK_STR(sdk_kv_get(t->labels, t->n_labels, "target_configuration"), "cfg-2");
    sdk_eval_result_free(&r);
    sdk_offer_free_contents(&re);
    sdk_eval_result_free(&first);
    sdk_offer_free_contents(&o);
    sdk_spec_free(spec);
    sdk_spec_free(spec2);
}

static void test_env_order_and_taskcfg(void) {
    sdk_spec *spec = make_spec(1, 256);
    const char *tasks[] = {"server"};
    sdk_eval_request q = base_request(spec, tasks, 1);
    sdk_offer o;
    make_offer(&o, "offer-1", "agent-1", 4, NULL);
    sdk_eval_result r;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    const sdk_task_desc *t = &launch_op(&r)->tasks[0];
    const char *e[][2] = {
        {"A", "yaml"}, {"B", "all"}, {"C", "pod"}, {"TASK_NAME", "hello-0-server"}, {"hello-0-server", "true"},
        {"POD_INSTANCE_INDEX", "0"}, {"FRAMEWORK_NAME", "/group/hello-world"},
        {"FRAMEWORK_HOST", "grouphello-world.autoip.dcos.thisdcos.directory"},
        {"FRAMEWORK_VIP_HOST", "grouphello-world.l4lb.thisdcos.directory"},
        {"SCHEDULER_API_HOSTNAME", "hello-world-group.marathon.autoip.dcos.thisdcos.directory"},
        {"SCHEDULER_API_PORT", "8081"}, {"PLACEMENT_REFERENCED_REGION", "false"},
        {"CONFIG_TEMPLATE_SERVER_CONF", "config-templates/server-conf,conf.yml"}, {"P", "1"},
        {"PORT_HTTP", "31001"}, {"REGION", "r1"}, {"ZONE", "z1"},
    };
    for (size_t i = 0; i < sizeof e / sizeof *e; i++) CHECK_STR(sdk_kv_get(t->env, t->n_env, e[i][0]), e[i][1]);
    CHECK(sdk_kv_get(t->env, t->n_env, "D") == NULL); /* TASKCFG_WORLD_* is another pod's */
    /* §2.4 order: user env, auto vars, CONFIG_TEMPLATE_*, plan parameters, ports, REGION/ZONE */
    CHECK(env_pos(t, "C") < env_pos(t, "POD_INSTANCE_INDEX"));
    CHECK(env_pos(t, "PLACEMENT_REFERENCED_ZONE") < env_pos(t, "CONFIG_TEMPLATE_SERVER_CONF"));
    CHECK(env_pos(t, "CONFIG_TEMPLATE_SERVER_CONF") < env_pos(t, "P"));
    CHECK(env_pos(t, "P") < env_pos(t, "PORT_HTTP"));
    CHECK(env_pos(t, "PORT_ADMIN") < env_pos(t, "REGION"));
    CHECK_INT(env_pos(t, "REGION") + 1, env_pos(t, "ZONE"));
    CHECK_INT(env_pos(t, "ZONE") + 1, (long)t->n_env);
    /* check env: no plan parameters and no CONFIG_TEMPLATE_*, but ports and TASKCFG */
    CHECK(sdk_kv_get(t->health.env, t->health.n_env, "P") == NULL);
    CHECK(sdk_kv_get(t->health.env, t->health.n_env, "CONFIG_TEMPLATE_SERVER_CONF") == NULL);
    CHECK_STR(sdk_kv_get(t->health.env, t->health.n_env, "PORT_HTTP"), "31001");
    CHECK_STR(sdk_kv_get(t->health.env, t->health.n_env, "B"), "all");
    sdk_eval_result_free(&r);
    sdk_offer_free_contents(&o);
    sdk_spec_free(spec);
}

static void test_shared_set_stores_sibling(void) {
    sdk_spec *spec = make_spec(1, 256);
    const char *tasks[] = {"format"};
    sdk_eval_request q = base_request(spec, tasks, 1);
    sdk_offer o;
    make_offer(&o, "offer-1", "agent-1", 4, NULL);
    sdk_eval_result r;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(r.matched);
    const sdk_operation *lg = launch_op(&r);
    CHECK_INT(lg->n_tasks, 1);
    CHECK_STR(lg->tasks[0].name, "hello-0-format");
    CHECK_INT(r.n_stored, 1);
    CHECK_STR(r.stored[0].name, "hello-0-node");
    CHECK_STR(r.stored[0].task_id, "");
    CHECK(sdk_resources_equal(&r.stored[0].resources, &lg->tasks[0].resources));
    CHECK_INT(lg->tasks[0].ports[0].number, 31000);
    sdk_eval_result_free(&r);

    /* two tasks sharing a set in one step is a request error that names the set */
    const char *both[] = {"format", "node"};
    q = base_request(spec, both, 2);
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "sharing resource set 'shared'"));
    CHECK_INT(r.n_outcomes, 0);
    sdk_eval_result_free(&r);
    const char *unknown[] = {"nope"};
    q = base_request(spec, unknown, 1);
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "pod 'hello' has no task 'nope'"));
    sdk_eval_result_free(&r);
    sdk_errors_free(&errs);
    sdk_offer_free_contents(&o);
    sdk_spec_free(spec);
}

static void test_container_refusals_and_placement(void) {
    sdk_spec *spec = make_spec(1, 256);
    spec->pods[0].image = S("foo");
    const char *tasks[] = {"server"};
    sdk_eval_request q = base_request(spec, tasks, 1);
    q.backend.name = "the local cluster";
    q.backend.no_docker_images = true;
    sdk_offer o;
    make_offer(&o, "offer-1", "agent-1", 4, NULL);
    sdk_eval_result r;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(!r.matched);
    CHECK_STR(r.outcomes[0].stages[0].stage, "container");
    CHECK_STR(r.outcomes[0].stages[0].reason,
              "pod 'hello' uses a Docker image (image: foo), which the local cluster cannot run");
    sdk_eval_result_free(&r);
    q.backend.no_docker_images = false;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(r.matched);
    {   /* the image reaches the task's container (core/mapping), not the executor's */
        const sdk_task_desc *td = &launch_op(&r)->tasks[0];
        Mesos__V1__ContainerInfo *ci = mesos__v1__container_info__unpack(NULL, td->container_len, td->container);
        CHECK(ci && ci->mesos && ci->mesos->image && ci->mesos->image->docker);
        if (ci && ci->mesos && ci->mesos->image && ci->mesos->image->docker)
            CHECK_STR(ci->mesos->image->docker->name, "foo");
        if (ci) mesos__v1__container_info__free_unpacked(ci, NULL);
        const sdk_executor_desc *ex = launch_op(&r)->executor;
        ci = mesos__v1__container_info__unpack(NULL, ex->container_len, ex->container);
        CHECK(ci && !ci->mesos);
        if (ci) mesos__v1__container_info__free_unpacked(ci, NULL);
    }
    sdk_eval_result_free(&r);

    spec->pods[0].resource_sets[0].gpus = 1;
    q.backend.no_gpus = true;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK_CONTAINS(r.outcomes[0].stages[0].reason, "requests GPUs (gpus: 1 in resource set 'server-resource-set')");
    sdk_eval_result_free(&r);
    q.backend.no_gpus = false; /* gpus asked but none offered */
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(!r.matched);
    CHECK_CONTAINS(r.outcomes[0].stages[r.outcomes[0].n_stages - 1].reason, "insufficient gpus");
    sdk_eval_result_free(&r);
    spec->pods[0].resource_sets[0].gpus = 0;

    /* placement from the pod spec, evaluated against the view */
    spec->pods[0].placement = S("hostname:UNIQUE");
    sdk_placement_view *v = sdk_placement_view_new();
    sdk_placement_task pt = {"hello-1-server", "hello", "10.0.0.1", NULL, 0, NULL, NULL};
    sdk_placement_view_add(v, &pt);
    q.view = v;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(!r.matched);
    CHECK_STR(r.outcomes[0].stages[1].stage, "placement");
    CHECK_CONTAINS(r.outcomes[0].stages[1].reason, "already on hostname '10.0.0.1'");
    sdk_eval_result_free(&r);
    sdk_placement_view_free(v);
    sdk_offer_free_contents(&o);
    sdk_spec_free(spec);
}

/* The pod's placement text is parsed once and kept (sdk_placement_rule_cached): a spec update that
 * replaces it, even in the same buffer, is evaluated with the new rule, and a rule that rejects
 * still reports its reason. */
static void test_placement_rule_follows_spec_update(void) {
    sdk_spec *spec = make_spec(1, 256);
    const char *tasks[] = {"server"};
    sdk_eval_request q = base_request(spec, tasks, 1); /* q.placement NULL: the pod's text is used */
    sdk_offer o;
    make_offer(&o, "offer-1", "agent-1", 4, NULL); /* rack-1 */
    sdk_eval_result r;
    spec->pods[0].placement = S("rack:LIKE:rack-[12]");
    for (int round = 0; round < 2; round++) { /* the second round reads the kept rule */
        CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
        CHECK(r.matched);
        sdk_eval_result_free(&r);
    }
    /* same buffer, new text (a spec update may reuse the allocation) */
    memcpy(spec->pods[0].placement, "rack:LIKE:rack-[23]", strlen("rack:LIKE:rack-[23]"));
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(!r.matched);
    CHECK_STR(r.outcomes[0].stages[1].stage, "placement");
    CHECK_STR(r.outcomes[0].stages[1].reason, "rack LIKE rack-[23]: agent 10.0.0.1 has rack 'rack-1', which does not match");
    sdk_eval_result_free(&r);
    /* a new buffer with the first text again, then more distinct texts than the cache holds */
    free(spec->pods[0].placement);
    spec->pods[0].placement = S("rack:LIKE:rack-[12]");
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
    CHECK(r.matched);
    sdk_eval_result_free(&r);
    for (int i = 0; i < 20; i++) {
        free(spec->pods[0].placement);
        spec->pods[0].placement = sdk_asprintf_new("rack:IS:rack-%d", i % 10);
        CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &r, NULL), 0);
        CHECK_MSG(r.matched == (i % 10 == 1), "%s", spec->pods[0].placement);
        sdk_eval_result_free(&r);
    }
    sdk_offer_free_contents(&o);
    sdk_spec_free(spec);
}

static void test_gc_destroy_before_unreserve(void) {
    sdk_spec *spec = make_spec(1, 256);
    const char *tasks[] = {"server"};
    sdk_eval_request q = base_request(spec, tasks, 1);
    sdk_offer o;
    make_offer(&o, "offer-1", "agent-1", 4, NULL);
    sdk_eval_result first;
    CHECK_INT(sdk_offer_evaluate(&q, &o, 1, &first, NULL), 0);
    const sdk_operation *lg = launch_op(&first);
    sdk_offer re;
    make_reoffer(&re, "agent-1", &lg->tasks[0], lg->executor);

    /* claim the executor's and the cpus reservation; everything else of the task is orphaned */
    const char *claimed[8];
    size_t nc = 0;
    for (size_t i = 0; i < lg->executor->resources.n; i++)
        claimed[nc++] = sdk_resource_label(&lg->executor->resources.v[i], "resource_id");
    claimed[nc++] = sdk_resource_label(find_res(&lg->tasks[0].resources, "cpus", false), "resource_id");
    sdk_operation *ops;
    size_t n;
    CHECK_INT(sdk_offer_gc(&re, claimed, nc, "fw-1", &ops, &n), 0);
    /* orphans: mem, 2 ports, volume -> DESTROY volume, then 4 UNRESERVE */
    CHECK_INT(n, 5);
    CHECK_INT(ops[0].type, SDK_OP_DESTROY);
    CHECK(ops[0].resources.v[0].persistence_id != NULL);
    for (size_t i = 1; i < n; i++) {
        CHECK_INT(ops[i].type, SDK_OP_UNRESERVE);
        CHECK(ops[i].resources.v[0].persistence_id == NULL);
        CHECK(sdk_resources_contains(&re.resources, &ops[i].resources.v[0]) || !strcmp(ops[i].resources.v[0].name, "disk"));
    }
    for (size_t i = 0; i < n; i++) sdk_operation_free_contents(&ops[i]);
    free(ops);
    /* another framework's reservations are left alone */
    CHECK_INT(sdk_offer_gc(&re, claimed, nc, "fw-other", &ops, &n), 0);
    CHECK_INT(n, 0);
    free(ops);
    sdk_offer_free_contents(&re);
    sdk_eval_result_free(&first);
    sdk_offer_free_contents(&o);
    sdk_spec_free(spec);
}

int main(void) {
    RUN(test_new_pod_reserve_create_launch);
    RUN(test_insufficient_cpus_fails_with_reason);
    RUN(test_ports_static_dynamic_env);
    RUN(test_pre_reserved_refinement);
    RUN(test_relaunch_reuses_reservations);
    RUN(test_resize_on_config_change);
    RUN(test_env_order_and_taskcfg);
    RUN(test_shared_set_stores_sibling);
    RUN(test_container_refusals_and_placement);
    RUN(test_placement_rule_follows_spec_update);
    RUN(test_gc_destroy_before_unreserve);
    return check_summary("test_offer_eval");
}
