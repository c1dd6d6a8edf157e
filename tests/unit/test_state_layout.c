/* The dcos-commons state layout on top of the store: schema/servicename guards, typed accessors,
 * name validation, batched transactions and uninstall wipe. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/state/layout.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "tests/unit/check.h"

#define U1 "0b1f1c3e-9a4d-4c7e-8f00-aaaaaaaaaaaa"
#define U2 "0b1f1c3e-9a4d-4c7e-8f00-bbbbbbbbbbbb"

static sdk_store *mem(void) {
    sdk_store *s = NULL;
    CHECK_INT(sdk_store_open_url("memory:", &s, NULL), 0);
    return s;
}

static char *raw(sdk_store *s, const char *path) {
    void *v = NULL;
    size_t len;
    return sdk_store_get_new(s, path, &v, &len, NULL) == 0 ? v : NULL;
}

static char *joined(char **names, size_t n) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) sdk_buf_printf(&b, "%s%s", i ? "," : "", names[i]);
    sdk_store_names_free(names, n);
    return sdk_buf_take(&b);
}

static void test_fresh_store_gets_schema_and_name(void) {
    sdk_store *s = mem();
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "/data/hello", &st, NULL), 0);
    char *v = raw(s, "SchemaVersion");
    CHECK_STR(v, "1");
    free(v);
    v = raw(s, "servicename");
    CHECK_STR(v, "/data/hello");
    free(v);
    sdk_state_free(st);
    /* Reopening with the same name works; another name is refused naming both. */
    CHECK_INT(sdk_state_open_new(s, "/data/hello", &st, NULL), 0);
    sdk_state_free(st);
    sdk_errors errs;
    sdk_errors_init(&errs);
    st = (sdk_state *)1;
    CHECK_INT(sdk_state_open_new(s, "data.hello", &st, &errs), SDK_ESTATE);
    CHECK(st == NULL);
    CHECK(sdk_errors_contains(&errs, "belongs to service '/data/hello', not 'data.hello'"));
    sdk_errors_free(&errs);
    sdk_store_close(s);
}

static void test_newer_schema_refused_and_unchanged(void) {
    sdk_store *s = mem();
    sdk_store_txn *t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "SchemaVersion", "2");
    CHECK_INT(sdk_store_txn_commit(s, t, NULL), 0);
    sdk_store_txn_free(t);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "hello", &st, &errs), SDK_ESTATE);
    CHECK(st == NULL);
    CHECK(sdk_errors_contains(&errs, "stored schema version 2 is newer"));
    CHECK(sdk_errors_contains(&errs, "schema version 1"));
    bool e = true;
    CHECK_INT(sdk_store_exists(s, "servicename", &e, NULL), 0);
    CHECK(!e); /* nothing written on refusal */
    /* Garbage in SchemaVersion is corruption, not a version. */
    t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "SchemaVersion", "one");
    CHECK_INT(sdk_store_txn_commit(s, t, NULL), 0);
    sdk_store_txn_free(t);
    CHECK_INT(sdk_state_open_new(s, "hello", &st, &errs), SDK_ECORRUPT);
    CHECK(sdk_errors_contains(&errs, "SchemaVersion holds 'one'"));
    sdk_errors_free(&errs);
    sdk_store_close(s);
}

static void test_accessors_round_trip(void) {
    sdk_store *s = mem();
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "hello", &st, NULL), 0);
    if (!st) return;
    void *buf = NULL;
    size_t len = 0;
    CHECK_INT(sdk_state_framework_id_get_new(st, &buf, &len, NULL), SDK_ENOENT);
    const char fw[] = {0x0a, 0x03, 'f', 0, 'w'};
    CHECK_INT(sdk_state_set_framework_id(st, fw, sizeof fw, NULL), 0);
    CHECK_INT(sdk_state_framework_id_get_new(st, &buf, &len, NULL), 0);
    CHECK(len == sizeof fw && memcmp(buf, fw, len) == 0);
    free(buf);

    CHECK_INT(sdk_state_put_config(st, U1, "{\"name\":\"hello\"}", NULL), 0);
    CHECK_INT(sdk_state_put_config(st, U2, "{}", NULL), 0);
    CHECK_INT(sdk_state_set_config_target(st, U2, NULL), 0);
    char *txt = NULL;
    CHECK_INT(sdk_state_config_target_get_new(st, &txt, NULL), 0);
    CHECK_STR(txt, U2);
    free(txt);
    CHECK_INT(sdk_state_config_get_new(st, U1, &txt, NULL), 0);
    CHECK_STR(txt, "{\"name\":\"hello\"}");
    free(txt);
    char **names;
    size_t n;
    CHECK_INT(sdk_state_configs_list_new(st, &names, &n, NULL), 0);
    txt = joined(names, n);
    CHECK_STR(txt, U1 "," U2);
    free(txt);
    CHECK_INT(sdk_state_delete_config(st, U1, NULL), 0);
    CHECK_INT(sdk_state_config_get_new(st, U1, &txt, NULL), SDK_ENOENT);

    sdk_state_txn *t = sdk_state_txn_new(st);
    CHECK_INT(sdk_state_txn_put_task_info(t, "hello-0-server", "info0", 5), 0);
    CHECK_INT(sdk_state_txn_put_task_status(t, "hello-0-server", "stat0", 5), 0);
    CHECK_INT(sdk_state_txn_put_task_info(t, "hello-1-server", "info1", 5), 0);
    CHECK_INT(sdk_state_txn_set_goal_override(t, "hello-1-server", "PAUSED"), 0);
    CHECK_INT(sdk_state_txn_set_override_status(t, "hello-1-server", "IN_PROGRESS"), 0);
    CHECK_INT(sdk_state_txn_put_property(t, "last-completed-update-type", "DEPLOY", 6), 0);
    CHECK_INT(sdk_state_txn_commit(t, NULL), 0);
    sdk_state_txn_free(t);
    CHECK_INT(sdk_state_task_info_get_new(st, "hello-0-server", &buf, &len, NULL), 0);
    CHECK(len == 5 && memcmp(buf, "info0", 5) == 0);
    free(buf);
    CHECK_INT(sdk_state_task_status_get_new(st, "hello-1-server", &buf, &len, NULL), SDK_ENOENT);
    CHECK_INT(sdk_state_goal_override_get_new(st, "hello-1-server", &txt, NULL), 0);
    CHECK_STR(txt, "PAUSED");
    free(txt);
    CHECK_INT(sdk_state_override_status_get_new(st, "hello-1-server", &txt, NULL), 0);
    CHECK_STR(txt, "IN_PROGRESS");
    free(txt);
    CHECK_INT(sdk_state_goal_override_get_new(st, "hello-0-server", &txt, NULL), SDK_ENOENT);
    /* The raw layout is dcos-commons'. */
    txt = raw(s, "Tasks/hello-1-server/Metadata/goal-state-override");
    CHECK_STR(txt, "PAUSED");
    free(txt);
    txt = raw(s, "Properties/last-completed-update-type");
    CHECK_STR(txt, "DEPLOY");
    free(txt);
    CHECK_INT(sdk_state_tasks_list_new(st, &names, &n, NULL), 0);
    txt = joined(names, n);
    CHECK_STR(txt, "hello-0-server,hello-1-server");
    free(txt);

    /* Clearing an override (NONE + COMPLETE clears the nodes) and deleting a task subtree. */
    t = sdk_state_txn_new(st);
    sdk_state_txn_set_goal_override(t, "hello-1-server", NULL);
    sdk_state_txn_set_override_status(t, "hello-1-server", NULL);
    sdk_state_txn_delete_task(t, "hello-0-server");
    CHECK_INT(sdk_state_txn_commit(t, NULL), 0);
    sdk_state_txn_free(t);
    CHECK_INT(sdk_state_override_status_get_new(st, "hello-1-server", &txt, NULL), SDK_ENOENT);
    CHECK_INT(sdk_state_tasks_list_new(st, &names, &n, NULL), 0);
    txt = joined(names, n);
    CHECK_STR(txt, "hello-1-server");
    free(txt);

    CHECK_INT(sdk_state_properties_list_new(st, &names, &n, NULL), 0);
    txt = joined(names, n);
    CHECK_STR(txt, "last-completed-update-type");
    free(txt);
    CHECK_INT(sdk_state_delete_property(st, "last-completed-update-type", NULL), 0);
    CHECK_INT(sdk_state_property_get_new(st, "last-completed-update-type", &buf, &len, NULL),
              SDK_ENOENT);
    sdk_state_free(st);
    sdk_store_close(s);
}

static void test_bad_names_fail_the_whole_txn(void) {
    sdk_store *s = mem();
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "hello", &st, NULL), 0);
    if (!st) return;
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_state_txn *t = sdk_state_txn_new(st);
    CHECK_INT(sdk_state_txn_put_task_info(t, "good-0-task", "i", 1), 0);
    CHECK_INT(sdk_state_txn_put_property(t, "a/b", "v", 1), SDK_EINVAL);
    CHECK_INT(sdk_state_txn_put_task_info(t, "x/y", "i", 1), SDK_EINVAL);
    CHECK_INT(sdk_state_txn_set_config_target(t, "not-a-uuid"), SDK_EINVAL);
    CHECK_INT(sdk_state_txn_set_goal_override(t, "good-0-task", "SLEEPING"), SDK_EINVAL);
    CHECK_INT(sdk_state_txn_commit(t, &errs), SDK_EINVAL);
    sdk_state_txn_free(t);
    CHECK(sdk_errors_contains(&errs, "invalid property key 'a/b'"));
    CHECK(sdk_errors_contains(&errs, "invalid task name 'x/y'"));
    CHECK(sdk_errors_contains(&errs, "invalid configuration id 'not-a-uuid'"));
    CHECK(sdk_errors_contains(&errs, "'SLEEPING'"));
    CHECK(sdk_errors_contains(&errs, "PAUSED"));
    char **names;
    size_t n;
    CHECK_INT(sdk_state_tasks_list_new(st, &names, &n, NULL), 0);
    CHECK_INT(n, 0); /* the good op did not land either */
    sdk_store_names_free(names, n);
    sdk_errors_free(&errs);
    sdk_errors_init(&errs);
    void *buf;
    size_t len;
    CHECK_INT(sdk_state_property_get_new(st, "a/b", &buf, &len, &errs), SDK_EINVAL);
    CHECK_INT(sdk_state_put_property(st, "..", "v", 1, &errs), SDK_EINVAL);
    CHECK_INT(sdk_state_put_property(st, "", "v", 1, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "invalid property key ''"));
    /* Over-limit task data is refused by the store with the node path. */
    sdk_store_set_max_value(s, 8);
    CHECK_INT(sdk_state_txn_put_task_info(t = sdk_state_txn_new(st), "big-0-task", "123456789", 9), 0);
    CHECK_INT(sdk_state_txn_commit(t, &errs), SDK_EINVAL);
    sdk_state_txn_free(t);
    CHECK(sdk_errors_contains(&errs, "'Tasks/big-0-task/TaskInfo' is 9 bytes"));
    sdk_errors_free(&errs);
    sdk_state_free(st);
    sdk_store_close(s);
}

static void test_corrupt_values_reported(void) {
    sdk_store *s = mem();
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "hello", &st, NULL), 0);
    if (!st) return;
    sdk_store_txn *t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "ConfigTarget", "garbage");
    sdk_store_txn_set_str(t, "Tasks/a/Metadata/override-status", "WEIRD");
    CHECK_INT(sdk_store_txn_commit(s, t, NULL), 0);
    sdk_store_txn_free(t);
    sdk_errors errs;
    sdk_errors_init(&errs);
    char *txt = (char *)1;
    CHECK_INT(sdk_state_config_target_get_new(st, &txt, &errs), SDK_ECORRUPT);
    CHECK(txt == NULL);
    CHECK(sdk_errors_contains(&errs, "ConfigTarget holds 'garbage'"));
    CHECK_INT(sdk_state_override_status_get_new(st, "a", &txt, &errs), SDK_ECORRUPT);
    CHECK(sdk_errors_contains(&errs, "Tasks/a/Metadata/override-status holds unknown value 'WEIRD'"));
    sdk_errors_free(&errs);
    sdk_state_free(st);
    sdk_store_close(s);
}

static void test_wipe_removes_everything_but_the_schema(void) {
    char tmpl[] = "/tmp/sdk-test-layout-XXXXXX";
    char *dir = mkdtemp(tmpl);
    sdk_store *s = NULL;
    CHECK_INT(sdk_store_file_open(dir, NULL, &s, NULL), 0);
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "hello", &st, NULL), 0);
    if (!st) return;
    CHECK_INT(sdk_state_set_framework_id(st, "fw", 2, NULL), 0);
    CHECK_INT(sdk_state_put_property(st, "uninstalling", "true", 4, NULL), 0);
    sdk_state_txn *t = sdk_state_txn_new(st);
    sdk_state_txn_put_task_info(t, "a-0-x", "i", 1);
    CHECK_INT(sdk_state_txn_commit(t, NULL), 0);
    sdk_state_txn_free(t);
    CHECK_INT(sdk_state_wipe(st, NULL), 0);
    sdk_state_free(st);
    sdk_store_close(s);
    /* Durable: a reopened store holds only SchemaVersion (emptied on purpose, not lost), and
     * takes a new service afterwards. */
    CHECK_INT(sdk_store_file_open(dir, NULL, &s, NULL), 0);
    char **names;
    size_t n;
    CHECK_INT(sdk_store_children_new(s, "", &names, &n, NULL), 0);
    char *txt = joined(names, n);
    CHECK_STR(txt, "SchemaVersion");
    free(txt);
    CHECK_INT(sdk_state_open_new(s, "other", &st, NULL), 0);
    sdk_state_free(st);
    sdk_store_close(s);
    const char *files[] = {"lock", "log", "snapshot"};
    for (int i = 0; i < 3; i++) {
        char *p = sdk_asprintf_new("%s/%s", dir, files[i]);
        unlink(p);
        free(p);
    }
    rmdir(dir);
    { /* the marker a file store leaves beside its directory (store.h) */
        char *m_ = sdk_asprintf_new("%s.sdk-state", dir);
        unlink(m_);
        free(m_);
    }
}

int main(void) {
    sdk_log_set_level(SDK_LOG_ERROR);
    RUN(test_fresh_store_gets_schema_and_name);
    RUN(test_newer_schema_refused_and_unchanged);
    RUN(test_accessors_round_trip);
    RUN(test_bad_names_fail_the_whole_txn);
    RUN(test_corrupt_values_reported);
    RUN(test_wipe_removes_everything_but_the_schema);
    return check_summary("test_state_layout");
}
