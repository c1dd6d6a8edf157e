/* A configuration that cannot be loaded never becomes the target (issue #14 item 1), end to end
 * with a real bin/scheduler whose Mesos master is absent (the REST API and the state are all
 * this needs; nothing is launched):
 *  - POST /v1/update with a two-billion pod count or an option nothing references is refused
 *    (400) before anything is stored, and the scheduler keeps running on its target;
 *  - a stored target and stored update options that no longer validate (planted in a file state
 *    the way an older build stored them) are set aside at start: the scheduler starts with the
 *    command line's configuration and says why in its log, GET /v1/update and /v1/health.
 * Before the change the first allocated for two billion pods until it was killed, and the
 * second did so at every start: the test caps its children's address space so that shows as a
 * quick failure, not a machine out of memory. */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/service/assemble.h"
#include "core/service/service.h"
#include "core/sim/cluster.h"
#include "core/state/layout.h"
#include "core/state/store.h"
#include "core/util/str.h"
#include "tests/unit/check.h"
#include "tests/unit/e2e_support.h"

#define HELLO "plugins/hello/hello.so"

/* Starts the scheduler against a master that is not there and waits for its REST API. */
static bool start(e2e_world *w, char **master) {
    if (!*master) *master = sdk_asprintf_new("http://127.0.0.1:%u", e2e_free_port());
    e2e_start_scheduler(w, HELLO, *master, NULL);
    char *url = sdk_asprintf_new("%s/v1/configurations/targetId", w->api_url);
    double end = e2e_now() + 20;
    bool up = false;
    while (!up && e2e_now() < end && kill(w->sched, 0) == 0) {
        up = e2e_http("GET", url, NULL, NULL) == 200;
        if (!up) usleep(100000);
    }
    free(url);
    if (!up) e2e_show_log(w, "scheduler.log");
    return up;
}

static char *get_new(e2e_world *w, const char *path, long *code) {
    char *url = sdk_asprintf_new("%s%s", w->api_url, path), *body = NULL;
    long c = e2e_http("GET", url, NULL, &body);
    if (code) *code = c;
    free(url);
    return body;
}

static long post(e2e_world *w, const char *path, const char *body, char **resp) {
    char *url = sdk_asprintf_new("%s%s", w->api_url, path);
    long c = e2e_http("POST", url, body, resp);
    free(url);
    return c;
}

static bool alive(const e2e_world *w) { return w->sched > 0 && waitpid(w->sched, NULL, WNOHANG) == 0; }

static void test_update_refused_before_store(void) {
    e2e_world w;
    e2e_world_init(&w);
    char *master = NULL;
    if (!start(&w, &master)) {
        CHECK_MSG(false, "the scheduler did not start");
        goto out;
    }
    char *target = get_new(&w, "/v1/configurations/targetId", NULL);
    char *resp = NULL;
    CHECK_INT(post(&w, "/v1/update", "{\"WORLD_COUNT\": \"2147483647\"}", &resp), 400);
    CHECK_CONTAINS(resp, "pods.world.count: 2147483647 pod instances is more than the limit of 100000");
    free(resp);
    usleep(300000);
    CHECK_MSG(alive(&w), "the scheduler died after the update");
    char *after = get_new(&w, "/v1/configurations/targetId", NULL);
    CHECK_STR(after, target);
    free(after);

    CHECK_INT(post(&w, "/v1/update", "{\"WORLD_COUNT\": \"3\", \"NOPE\": \"1\"}", &resp), 400);
    CHECK_CONTAINS(resp, "options of the update: option 'NOPE' is not used");
    CHECK(!strstr(resp, "'WORLD_COUNT'"));
    free(resp);
    after = get_new(&w, "/v1/configurations/targetId", NULL);
    CHECK_STR(after, target);
    free(after);

    /* a valid update still goes through, and survives a restart with nothing set aside */
    CHECK_INT(post(&w, "/v1/update", "{\"WORLD_COUNT\": \"3\"}", &resp), 200);
    free(resp);
    after = get_new(&w, "/v1/configurations/targetId", NULL);
    CHECK(after && target && strcmp(after, target) != 0);
    free(after);
    e2e_stop(w.sched, SIGTERM);
    w.sched = 0;
    if (!start(&w, &master)) {
        CHECK_MSG(false, "the scheduler did not start again");
        free(target);
        goto out;
    }
    char *status = get_new(&w, "/v1/update", NULL);
    json_t *j = json_loads(status ? status : "", 0, NULL);
    CHECK(json_is_array(json_object_get(j, "set_aside")) && json_array_size(json_object_get(j, "set_aside")) == 0);
    json_decref(j);
    free(status);
    char *spec = get_new(&w, "/v1/configurations/target", NULL);
    CHECK_CONTAINS(spec, "\"count\": 3");
    free(spec);
    free(target);
out:
    free(master);
    e2e_cleanup(&w);
}

/* Stores what an older build stored after accepting WORLD_COUNT=2147483647: the options, then a
 * target with that count. Returns the target's id (free()) or NULL. */
static char *plant_bad_state(const e2e_world *w) {
    char *work = sdk_asprintf_new("%s/sched", w->dir);
    mkdir(work, 0755);
    char *url = sdk_asprintf_new("file:%s/state", work);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_assembly as;
    sdk_assembly_input in = {.plugin_path = HELLO};
    sdk_store *store = NULL;
    sdk_state *st = NULL;
    char *id = NULL;
    if (sdk_assemble(&in, &as, &errs)) goto out;
    for (size_t i = 0; i < as.spec->n_pods; i++)
        if (!strcmp(as.spec->pods[i].type, "world")) as.spec->pods[i].count = 2147483647;
    if (sdk_store_open_url(url, &store, &errs) || sdk_state_open_new(store, as.spec->name, &st, &errs)) goto out_as;
    char *json = sdk_spec_to_json_new(as.spec);
    const char *opts = "{\"WORLD_COUNT\":\"2147483647\"}";
    const char *uuid = "0badc0de-0000-4000-8000-000000000001";
    if (!sdk_state_put_property(st, "update-options", opts, strlen(opts), &errs) &&
        !sdk_state_put_config(st, uuid, json, &errs) && !sdk_state_set_config_target(st, uuid, &errs))
        id = sdk_xstrdup(uuid);
    free(json);
out_as:
    sdk_state_free(st);
    if (store) sdk_store_close(store);
    sdk_assembly_free(&as);
out:
    if (sdk_errors_any(&errs)) sdk_errors_print(&errs, "planting the state");
    sdk_errors_free(&errs);
    free(url);
    free(work);
    return id;
}

static void test_stored_bad_target_set_aside(void) {
    e2e_world w;
    e2e_world_init(&w);
    char *master = NULL;
    char *bad = plant_bad_state(&w);
    CHECK(bad != NULL);
    if (!bad) goto out;
    if (!start(&w, &master)) {
        CHECK_MSG(false, "the scheduler did not start over a stored target with two billion pods");
        goto out;
    }
    char *target = get_new(&w, "/v1/configurations/targetId", NULL);
    CHECK(target && !strstr(target, bad));
    free(target);
    char *spec = get_new(&w, "/v1/configurations/target", NULL);
    CHECK_CONTAINS(spec, "\"count\": 2"); /* the plugin's default WORLD_COUNT */
    CHECK(!strstr(spec, "2147483647"));
    free(spec);
    char *status = get_new(&w, "/v1/update", NULL);
    CHECK_CONTAINS(status, "stored update options set aside: ");
    CHECK_CONTAINS(status, "2147483647 pod instances is more than the limit of 100000");
    CHECK_CONTAINS(status, "stored target configuration 0badc0de-0000-4000-8000-000000000001 set aside: ");
    CHECK_CONTAINS(status, "2147483648 pod instances in total is more than the limit of 100000");
    CHECK_CONTAINS(status, "the configuration of the current options is the target now");
    free(status);
    char *health = get_new(&w, "/v1/health?verbose=true", NULL);
    CHECK_CONTAINS(health, "CONFIGURATION: stored target configuration 0badc0de");
    free(health);
    char *logp = sdk_asprintf_new("%s/scheduler.log", w.dir), *log = NULL;
    sdk_read_file_new(logp, &log, NULL);
    CHECK_CONTAINS(log, "stored update options set aside");
    CHECK_CONTAINS(log, "stored target configuration 0badc0de-0000-4000-8000-000000000001 set aside");
    free(log);
    free(logp);
    CHECK(alive(&w));
out:
    free(bad);
    free(master);
    e2e_cleanup(&w);
}

/* One service start over st with hello and WORLD_COUNT=world under --max-pods max_pods (0: the
 * default); *target gets the target's id (free()), *notes the start notes joined. */
static int start_service(sdk_state *st, const char *world, int64_t max_pods, char **target, char **notes) {
    sdk_spec_set_max_pods(max_pods);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_kv over[] = {{"WORLD_COUNT", (char *)world}};
    sdk_assembly_input in = {.plugin_path = HELLO, .overrides = over, .n_overrides = 1};
    sdk_assembly as;
    int rc = sdk_assemble(&in, &as, &errs);
    sdk_sim_cluster sim;
    sdk_sim_init(&sim);
    sdk_service *svc = NULL;
    if (!rc) {
        sdk_service_options o = {.spec = as.spec, .state = st, .env = as.vars, .n_env = as.n_vars,
                                 .driver = sdk_sim_driver(), .driver_ctx = &sim,
                                 .backend = {.name = "the simulated cluster", .no_docker_images = true}};
        as.spec = NULL;
        rc = sdk_service_new(&o, &svc, &errs);
    }
    if (rc) sdk_errors_print(&errs, "start_service");
    if (!rc) {
        *target = sdk_xstrdup(sdk_service_target_id(svc));
        sdk_buf b;
        sdk_buf_init(&b);
        const sdk_errors *n = sdk_service_start_notes(svc);
        for (size_t i = 0; i < n->n; i++) sdk_buf_printf(&b, "%s\n", n->msgs[i]);
        *notes = b.data ? sdk_buf_take(&b) : sdk_xstrdup("");
    }
    sdk_service_free(svc);
    sdk_sim_free(&sim);
    sdk_assembly_free(&as);
    sdk_errors_free(&errs);
    sdk_spec_set_max_pods(0);
    return rc;
}

/* The limit lowered between two starts: the stored target over it is set aside (never built
 * from), the candidate under it becomes the target, and the notes say why. */
static void test_lowered_limit_sets_stored_target_aside(void) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_store *store = NULL;
    sdk_state *st = NULL;
    CHECK_INT(sdk_store_open_url("memory:", &store, &errs), 0);
    if (store) CHECK_INT(sdk_state_open_new(store, "hello-world", &st, &errs), 0);
    char *t1 = NULL, *t2 = NULL, *t3 = NULL, *n1 = NULL, *n2 = NULL, *n3 = NULL;
    if (!st) goto out;
    CHECK_INT(start_service(st, "2", 0, &t1, &n1), 0); /* 3 pods, default limit */
    CHECK_STR(n1, "");
    CHECK_INT(start_service(st, "1", 2, &t2, &n2), 0); /* 2 pods, limit lowered to 2 */
    char *want = sdk_asprintf_new("stored target configuration %s set aside: ", t1 ? t1 : "?");
    CHECK_CONTAINS(n2, want);
    CHECK_CONTAINS(n2, "3 pod instances in total is more than the limit of 2");
    free(want);
    CHECK_CONTAINS(n2, "the configuration of the current options is the target now");
    CHECK(t1 && t2 && strcmp(t1, t2) != 0);
    CHECK_INT(start_service(st, "1", 2, &t3, &n3), 0); /* the new target validates: nothing set aside */
    CHECK_STR(n3, "");
    CHECK_STR(t3, t2);
out:
    free(t1), free(t2), free(t3), free(n1), free(n2), free(n3);
    sdk_state_free(st);
    if (store) sdk_store_close(store);
    sdk_errors_free(&errs);
}

int main(void) {
#ifndef __SANITIZE_ADDRESS__ /* AddressSanitizer reserves terabytes of address space up front */
    /* the children inherit it: an allocation for two billion pods fails at once */
    struct rlimit rl = {.rlim_cur = 4ull << 30, .rlim_max = 4ull << 30};
    setrlimit(RLIMIT_AS, &rl);
#endif
    RUN(test_lowered_limit_sets_stored_target_aside);
    RUN(test_update_refused_before_store);
    RUN(test_stored_bad_target_set_aside);
    return check_summary("test_e2e_config_guard");
}
