/* Loader refusals (abi/ABI.md "Loading"): each fixture plugin under $SDK_BUILD_DIR/fixtures must
 * be refused with a message that names the file, the versions involved and what to do; a valid
 * plugin loads and can be instantiated twice without shared state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/plugin/loader.h"
#include "core/plugin/memory_backend.h"
#include "core/plugin/plugin.h"

static char path_buf[512];
static const char *fixture(const char *name) {
    const char *b = getenv("SDK_BUILD_DIR");
    snprintf(path_buf, sizeof path_buf, "%s/fixtures/%s.so", b && *b ? b : "build", name);
    return path_buf;
}

/* Opens a fixture expected to be refused; returns the error text (one message), caller frees. */
static char *refusal(const char *name, int want_rc) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_plugin_lib *lib = (sdk_plugin_lib *)1;
    int rc = sdk_plugin_lib_open(fixture(name), &lib, &e);
    CHECK_INT(rc, want_rc);
    CHECK(lib == NULL);
    CHECK_INT(e.n, 1);
    char *msg = strdup(e.n ? e.msgs[0] : "");
    sdk_errors_free(&e);
    return msg;
}

static void test_ok_loads(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_plugin_lib *lib = NULL;
    CHECK_INT(sdk_plugin_lib_open(fixture("fixture_ok"), &lib, &e), 0);
    CHECK_INT(e.n, 0);
    if (!lib) return;
    const sdk_plugin_descriptor *d = sdk_plugin_lib_descriptor(lib);
    CHECK_STR(d->name, "fixture-ok");
    CHECK_STR(d->version, "1.0.0");
    CHECK_INT(d->abi_major, 1);
    CHECK_INT(d->abi_minor, SDK_PLUGIN_ABI_MINOR);
    CHECK(d->init != NULL);
    CHECK(d->mutate_spec == NULL); /* hooks the plugin lacks read as NULL */
    CHECK_STR(sdk_plugin_lib_path(lib), fixture("fixture_ok"));
    sdk_plugin_lib_close(lib);
    sdk_errors_free(&e);
}

/* A plugin built against the frozen 1.0 header (tests/abi/sdk_plugin_1_0.h) loads in this 1.1
 * scheduler: its shorter descriptor's 1.1 fields read as absent, its flat 1.0 options become
 * string options named after their variables, with their defaults. */
static void test_abi_1_0_plugin_loads(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_plugin_lib *lib = NULL;
    CHECK_INT(sdk_plugin_lib_open(fixture("fixture_abi_1_0"), &lib, &e), 0);
    CHECK_INT(e.n, 0);
    if (!lib) return;
    const sdk_plugin_descriptor *d = sdk_plugin_lib_descriptor(lib);
    CHECK_INT(d->abi_minor, 0);
    CHECK_INT(d->size, SDK_PLUGIN_DESCRIPTOR_SIZE_1_0);
    CHECK(d->option_schema == NULL);
    CHECK_INT(d->n_option_schema, 0);
    sdk_options *o = NULL;
    CHECK_INT(sdk_plugin_lib_options_new(lib, &o, &e), 0);
    CHECK_INT(o ? o->n : 0, 2);
    const sdk_option_def *od = sdk_options_find_path(o, "OLD_COUNT");
    CHECK(od != NULL);
    if (od) {
        CHECK_STR(od->variable, "OLD_COUNT");
        CHECK_STR(od->default_value, "2");
        CHECK_INT(od->type, SDK_OPTION_STRING);
    }
    sdk_kv *vars = NULL;
    size_t n = 0;
    CHECK_INT(sdk_plugin_options_merge_new(lib, NULL, 0, NULL, 0, &vars, &n, &e), 0);
    CHECK_INT(n, 2);
    sdk_plugin_kv_free(vars, n);
    sdk_options_free(o);
    sdk_plugin_lib_close(lib);
    sdk_errors_free(&e);
}

/* Two instances of one plugin: separate states (the fixture counts statuses per instance). */
typedef struct { const void *api; void *host; int calls; } ok_state_view;

static void test_two_instances_do_not_share_state(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_plugin_lib *lib = NULL;
    CHECK_INT(sdk_plugin_lib_open(fixture("fixture_ok"), &lib, &e), 0);
    if (!lib) return;
    sdk_memory_backend *m = sdk_memory_backend_new();
    sdk_plugin_backend be = sdk_memory_backend_vtable(m);
    sdk_plugin_instance *a = NULL, *b = NULL;
    CHECK_INT(sdk_plugin_instance_new(lib, &be, NULL, 0, &a, &e), 0);
    CHECK_INT(sdk_plugin_instance_new(lib, &be, NULL, 0, &b, &e), 0);
    sdk_plugin_lib_close(lib); /* the instances keep it loaded */
    if (!a || !b) return;
    CHECK(sdk_plugin_instance_state(a) != sdk_plugin_instance_state(b));
    sdk_plugin_task_status_notify(a, "hello-0-server", "id1", "TASK_RUNNING", NULL, NULL, NULL);
    sdk_plugin_task_status_notify(a, "hello-0-server", "id1", "TASK_FAILED", NULL, NULL, NULL);
    sdk_plugin_task_status_notify(b, "hello-0-server", "id1", "TASK_RUNNING", NULL, NULL, NULL);
    CHECK_INT(((ok_state_view *)sdk_plugin_instance_state(a))->calls, 2);
    CHECK_INT(((ok_state_view *)sdk_plugin_instance_state(b))->calls, 1);
    sdk_plugin_instance_free(a);
    sdk_plugin_instance_free(b);
    sdk_memory_backend_free(m);
    sdk_errors_free(&e);
}

static void test_wrong_major_refused(void) {
    char *m = refusal("fixture_wrong_major", SDK_EINVAL);
    CHECK_CONTAINS(m, fixture("fixture_wrong_major"));
    CHECK_CONTAINS(m, "plugin ABI 2.0 is not supported by this scheduler (ABI 1.1)");
    CHECK_CONTAINS(m, "rebuild the plugin against this scheduler's abi/sdk_plugin.h");
    free(m);
}

static void test_newer_minor_refused(void) {
    char *m = refusal("fixture_newer_minor", SDK_EINVAL);
    CHECK_CONTAINS(m, fixture("fixture_newer_minor"));
    CHECK_CONTAINS(m, "plugin ABI 1.4 is newer than this scheduler's (ABI 1.1)");
    CHECK_CONTAINS(m, "upgrade the scheduler");
    CHECK_CONTAINS(m, "rebuild the plugin");
    free(m);
}

static void test_short_size_refused(void) {
    char *m = refusal("fixture_short_size", SDK_EINVAL);
    char want[128];
    snprintf(want, sizeof want, "plugin descriptor is 24 bytes, smaller than the %u bytes of ABI 1.0",
             (unsigned)SDK_PLUGIN_DESCRIPTOR_SIZE_1_0);
    CHECK_CONTAINS(m, fixture("fixture_short_size"));
    CHECK_CONTAINS(m, want);
    CHECK_CONTAINS(m, "claims ABI 1.0, this scheduler has ABI 1.1");
    CHECK_CONTAINS(m, "rebuild the plugin");
    free(m);
}

static void test_no_entry_refused(void) {
    char *m = refusal("fixture_no_entry", SDK_EINVAL);
    CHECK_CONTAINS(m, fixture("fixture_no_entry"));
    CHECK_CONTAINS(m, "does not export the symbol sdk_plugin_entry");
    CHECK_CONTAINS(m, "SDK_PLUGIN_EXPORT");
    free(m);
}

static void test_null_entry_refused(void) {
    char *m = refusal("fixture_null_entry", SDK_EINVAL);
    CHECK_CONTAINS(m, fixture("fixture_null_entry"));
    CHECK_CONTAINS(m, "sdk_plugin_entry() returned NULL");
    free(m);
}

static void test_not_a_shared_object(void) {
    char tmp[] = "/tmp/sdk-not-a-plugin-XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    if (fd < 0) return;
    CHECK(write(fd, "just text\n", 10) == 10);
    close(fd);
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_plugin_lib *lib = NULL;
    CHECK_INT(sdk_plugin_lib_open(tmp, &lib, &e), SDK_EIO);
    CHECK(lib == NULL);
    CHECK_INT(e.n, 1);
    CHECK_CONTAINS(e.n ? e.msgs[0] : "", tmp);
    CHECK_CONTAINS(e.n ? e.msgs[0] : "", "cannot load plugin");
    CHECK_CONTAINS(e.n ? e.msgs[0] : "", "shared object");
    sdk_errors_free(&e);
    unlink(tmp);

    sdk_errors_init(&e);
    CHECK_INT(sdk_plugin_lib_open("/nonexistent/x.so", &lib, &e), SDK_ENOENT);
    CHECK_CONTAINS(e.n ? e.msgs[0] : "", "/nonexistent/x.so: plugin file not found");
    sdk_errors_free(&e);
}

static void test_init_failure_shows_reason(void) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_plugin_lib *lib = NULL;
    CHECK_INT(sdk_plugin_lib_open(fixture("fixture_init_fails"), &lib, &e), 0);
    if (!lib) return;
    sdk_kv opts[] = {{"FIXTURE_ENDPOINT", "http://cfg:1234"}};
    sdk_plugin_instance *in = (sdk_plugin_instance *)1;
    CHECK_INT(sdk_plugin_instance_new(lib, NULL, opts, 1, &in, &e), SDK_EINVAL);
    CHECK(in == NULL);
    CHECK_INT(e.n, 1);
    const char *m = e.n ? e.msgs[0] : "";
    CHECK_CONTAINS(m, fixture("fixture_init_fails"));
    CHECK_CONTAINS(m, "plugin 'fixture-init-fails' failed to initialise");
    CHECK_CONTAINS(m, "cannot reach the configuration service at http://cfg:1234");
    sdk_plugin_lib_close(lib); /* fini of the fixture traps: it must not have run */
    sdk_errors_free(&e);
}

static void test_static_descriptor_checks(void) {
    sdk_plugin_descriptor d = {SDK_PLUGIN_DESCRIPTOR_HEADER, .name = "Bad Name"};
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_plugin_lib *lib = NULL;
    CHECK_INT(sdk_plugin_lib_static(&d, "inline", &lib, &e), SDK_EINVAL);
    CHECK_CONTAINS(e.n ? e.msgs[0] : "", "inline: plugin descriptor has no valid name (got 'Bad Name'");
    sdk_errors_free(&e);
    sdk_errors_init(&e);
    d.name = "inline";
    d.n_routes = 2;
    CHECK_INT(sdk_plugin_lib_static(&d, "inline", &lib, &e), SDK_EINVAL);
    CHECK_CONTAINS(e.n ? e.msgs[0] : "", "n_routes 2 but no routes table");
    sdk_errors_free(&e);
    sdk_errors_init(&e);
    d.n_routes = 0;
    CHECK_INT(sdk_plugin_lib_static(&d, "inline", &lib, &e), 0);
    CHECK_STR(sdk_plugin_lib_descriptor(lib)->name, "inline");
    sdk_plugin_lib_close(lib);
    sdk_errors_free(&e);
}

int main(void) {
    RUN(test_ok_loads);
    RUN(test_abi_1_0_plugin_loads);
    RUN(test_two_instances_do_not_share_state);
    RUN(test_wrong_major_refused);
    RUN(test_newer_minor_refused);
    RUN(test_short_size_refused);
    RUN(test_no_entry_refused);
    RUN(test_null_entry_refused);
    RUN(test_not_a_shared_object);
    RUN(test_init_failure_shows_reason);
    RUN(test_static_descriptor_checks);
    return check_summary("test_plugin_loader");
}
