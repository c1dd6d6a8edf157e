/* Finding a task's sandbox in a Mesos agent's /state and reading /files/read answers
 * (core/mesos/sandbox.c), on answers shaped like a real agent's. */
#include "check.h"
#include "core/mesos/sandbox.h"
#include "core/util/str.h"

static const char STATE[] =
    "{\"id\":\"a1-S0\",\"frameworks\":[{\"id\":\"fw\",\"executors\":["
    "{\"id\":\"hello__exec\",\"directory\":\"/var/lib/mesos/slaves/a1-S0/frameworks/fw/executors/hello__exec/runs/c1\","
    "\"tasks\":[{\"id\":\"hello-0-server__1\"}],\"completed_tasks\":[{\"id\":\"hello-0-init__1\"}],\"queued_tasks\":[]},"
    "{\"id\":\"cmd-task\",\"directory\":\"/var/lib/mesos/slaves/a1-S0/frameworks/fw/executors/cmd-task/runs/c2\","
    "\"tasks\":[{\"id\":\"cmd-task\"}]}],"
    "\"completed_executors\":[{\"id\":\"old__exec\",\"directory\":\"/d/old\",\"completed_tasks\":[{\"id\":\"old-task\"}]}]}],"
    "\"completed_frameworks\":[]}";

static void test_dir_from_state(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    char *dir = NULL;
    /* a task of a task group: its own sandbox under the executor's */
    CHECK_INT(sdk_sandbox_dir_from_state_new(STATE, strlen(STATE), "hello-0-server__1", &dir, &e), 0);
    CHECK_STR(dir, "/var/lib/mesos/slaves/a1-S0/frameworks/fw/executors/hello__exec/runs/c1/tasks/hello-0-server__1");
    free(dir);
    CHECK_INT(sdk_sandbox_dir_from_state_new(STATE, strlen(STATE), "hello-0-init__1", &dir, &e), 0);
    CHECK_STR(dir, "/var/lib/mesos/slaves/a1-S0/frameworks/fw/executors/hello__exec/runs/c1/tasks/hello-0-init__1");
    free(dir);
    /* a command task: the executor (same id) sandbox is the task's */
    CHECK_INT(sdk_sandbox_dir_from_state_new(STATE, strlen(STATE), "cmd-task", &dir, &e), 0);
    CHECK_STR(dir, "/var/lib/mesos/slaves/a1-S0/frameworks/fw/executors/cmd-task/runs/c2");
    free(dir);
    CHECK_INT(sdk_sandbox_dir_from_state_new(STATE, strlen(STATE), "old-task", &dir, &e), 0);
    CHECK_STR(dir, "/d/old/tasks/old-task");
    free(dir);
    CHECK_INT(sdk_sandbox_dir_from_state_new(STATE, strlen(STATE), "nope", &dir, &e), SDK_ENOENT);
    CHECK(dir == NULL);
    CHECK(e.n == 1 && strstr(e.msgs[0], "agent a1-S0 knows no task nope"));
    sdk_errors_free(&e);
    sdk_errors_init(&e);
    CHECK_INT(sdk_sandbox_dir_from_state_new("<html>", 6, "x", &dir, &e), SDK_EINVAL);
    CHECK(e.n == 1 && strstr(e.msgs[0], "not a Mesos agent's /state answer"));
    sdk_errors_free(&e);
}

static void test_read_parse_and_tail(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    char *data = NULL;
    size_t n = 0;
    long long off = 0;
    const char *ok = "{\"data\":\"a\\nb\\nc\\n\",\"offset\":42}";
    CHECK_INT(sdk_files_read_parse_new(ok, strlen(ok), &data, &n, &off, &e), 0);
    CHECK_INT(n, 6);
    CHECK_INT(off, 42);
    char *t = sdk_tail_lines_new(data, n, 2);
    CHECK_STR(t, "b\nc");
    free(t);
    t = sdk_tail_lines_new(data, n, 10);
    CHECK_STR(t, "a\nb\nc");
    free(t);
    t = sdk_tail_lines_new("x\ny", 3, 1); /* no final newline */
    CHECK_STR(t, "y");
    free(t);
    t = sdk_tail_lines_new("", 0, 3);
    CHECK_STR(t, "");
    free(t);
    free(data);
    CHECK_INT(sdk_files_read_parse_new("{\"data\":1}", 10, &data, &n, &off, &e), SDK_EINVAL);
    CHECK(e.n == 1 && strstr(e.msgs[0], "expected {\"data\": string, \"offset\": number}"));
    sdk_errors_free(&e);
    char *u = sdk_files_read_url_new("http://h:5051", "/a b/c&d", -1, -1);
    CHECK_STR(u, "http://h:5051/files/read?path=/a%20b/c%26d&offset=-1");
    free(u);
    u = sdk_files_read_url_new("", "/x", 10, 5);
    CHECK_STR(u, "/files/read?path=/x&offset=10&length=5");
    free(u);
}

int main(void) {
    RUN(test_dir_from_state);
    RUN(test_read_parse_and_tail);
    return check_summary("test_sandbox");
}
