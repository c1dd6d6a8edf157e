/* Freezes the plugin ABI 1.0 layout and what 1.1 appended (abi/ABI.md): offsets and sizes of the descriptor, the host
 * table and the plain structs, the enum values, and the rule that a plugin's dynamic symbol table
 * exports nothing but sdk_plugin_entry. A failing assert here means an ABI break: append instead. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/sdk_plugin.h"
#include "check.h"
#include "core/plugin/host.h"
#include "core/plugin/loader.h"

#if UINTPTR_MAX != 0xffffffffffffffffu
#error "the frozen layout below is for LP64 targets"
#endif

#define P 8 /* pointer size */
#define AT(type, field, off) _Static_assert(offsetof(type, field) == (off), #type "." #field)

/* descriptor: the three frozen fields first */
AT(sdk_plugin_descriptor, abi_major, 0);
AT(sdk_plugin_descriptor, abi_minor, 4);
AT(sdk_plugin_descriptor, size, 8);
AT(sdk_plugin_descriptor, reserved, 12);
AT(sdk_plugin_descriptor, name, 16);
AT(sdk_plugin_descriptor, version, 24);
AT(sdk_plugin_descriptor, description, 32);
AT(sdk_plugin_descriptor, spec_template, 40);
AT(sdk_plugin_descriptor, options, 48);
AT(sdk_plugin_descriptor, n_options, 56);
AT(sdk_plugin_descriptor, n_routes, 60);
AT(sdk_plugin_descriptor, routes, 64);
AT(sdk_plugin_descriptor, init, 72);
AT(sdk_plugin_descriptor, fini, 80);
AT(sdk_plugin_descriptor, mutate_spec, 88);
AT(sdk_plugin_descriptor, validate_config, 96);
AT(sdk_plugin_descriptor, plans, 104);
AT(sdk_plugin_descriptor, recovery_override, 112);
AT(sdk_plugin_descriptor, pre_decommission, 120);
AT(sdk_plugin_descriptor, endpoints, 128);
AT(sdk_plugin_descriptor, placement, 136);
AT(sdk_plugin_descriptor, task_status, 144);
/* ABI 1.1 appended the package option schema */
AT(sdk_plugin_descriptor, option_schema, 152);
AT(sdk_plugin_descriptor, n_option_schema, 160);
AT(sdk_plugin_descriptor, reserved2, 164);
_Static_assert(sizeof(sdk_plugin_descriptor) == 168, "descriptor size (ABI 1.1)");
_Static_assert(SDK_PLUGIN_DESCRIPTOR_SIZE_1_0 == 152, "1.0 descriptor size constant");

/* host table: size and versions, then one pointer per entry in this order */
AT(sdk_host_api, size, 0);
AT(sdk_host_api, abi_major, 4);
AT(sdk_host_api, abi_minor, 8);
AT(sdk_host_api, reserved, 12);
#define H(field, i) AT(sdk_host_api, field, 16 + P * (i))
H(free, 0); H(log, 1); H(error, 2); H(option, 3); H(option_count, 4); H(option_at, 5);
H(property_get, 6); H(property_set, 7); H(property_delete, 8);
H(spec_name, 9); H(spec_pod_count, 10); H(spec_pod_type, 11); H(spec_pod_get_count, 12);
H(spec_pod_placement, 13); H(spec_task_count, 14); H(spec_task_name, 15); H(spec_task_goal, 16);
H(spec_task_cmd, 17); H(spec_task_env, 18); H(spec_pod_set_count, 19); H(spec_set_env, 20);
H(spec_task_set_cmd, 21); H(spec_pod_add_placement, 22);
H(plans_count, 23); H(plans_name, 24); H(plan_add, 25); H(plan_get, 26); H(plan_remove, 27);
H(phase_add, 28); H(step_add, 29);
H(recovery_set_phase, 30); H(recovery_step_add, 31); H(recovery_step_cmd_suffix, 32);
H(recovery_step_env, 33); H(endpoint_add, 34); H(render, 35);
H(request_method, 36); H(request_path, 37); H(request_param, 38); H(request_query, 39);
H(request_header, 40); H(request_body, 41);
H(response_set_status, 42); H(response_set_content_type, 43); H(response_set_body, 44);
H(response_suspend, 45); H(response_finish, 46);
H(pod_tasks, 47); H(task_state, 48); H(task_ip, 49); H(task_agent, 50);
H(timer_start, 51); H(timer_cancel, 52); H(run_command, 53); H(command_cancel, 54);
#define HOST_ENTRIES_1_0 55
_Static_assert(sizeof(sdk_host_api) == 16 + P * HOST_ENTRIES_1_0, "host table size (ABI 1.0)");
_Static_assert(SDK_HOST_API_SIZE_1_0 == 16 + P * HOST_ENTRIES_1_0, "1.0 host table size constant");

/* plain structs */
AT(sdk_plugin_kv, key, 0); AT(sdk_plugin_kv, value, 8);
_Static_assert(sizeof(sdk_plugin_kv) == 16, "kv");
AT(sdk_plugin_option, name, 0); AT(sdk_plugin_option, default_value, 8);
AT(sdk_plugin_option, description, 16);
_Static_assert(sizeof(sdk_plugin_option) == 24, "option");
AT(sdk_plugin_route, method, 0); AT(sdk_plugin_route, path, 8); AT(sdk_plugin_route, handler, 16);
_Static_assert(sizeof(sdk_plugin_route) == 24, "route");
AT(sdk_plugin_option_schema, path, 0); AT(sdk_plugin_option_schema, variable, 8);
AT(sdk_plugin_option_schema, type, 16); AT(sdk_plugin_option_schema, default_value, 24);
AT(sdk_plugin_option_schema, description, 32); AT(sdk_plugin_option_schema, minimum, 40);
AT(sdk_plugin_option_schema, maximum, 48); AT(sdk_plugin_option_schema, enum_values, 56);
_Static_assert(sizeof(sdk_plugin_option_schema) == 64, "option schema (ABI 1.1)");
_Static_assert(SDK_PLUGIN_OPTION_STRING == 0 && SDK_PLUGIN_OPTION_INTEGER == 1 &&
               SDK_PLUGIN_OPTION_NUMBER == 2 && SDK_PLUGIN_OPTION_BOOLEAN == 3, "option types");
AT(sdk_plugin_placement_query, size, 0); AT(sdk_plugin_placement_query, pod_index, 4);
AT(sdk_plugin_placement_query, pod_type, 8); AT(sdk_plugin_placement_query, agent_hostname, 16);
AT(sdk_plugin_placement_query, attributes, 24); AT(sdk_plugin_placement_query, n_attributes, 32);
AT(sdk_plugin_placement_query, n_agent_tasks, 36); AT(sdk_plugin_placement_query, agent_tasks, 40);
_Static_assert(sizeof(sdk_plugin_placement_query) == 48, "placement query");
AT(sdk_plugin_task_status, size, 0); AT(sdk_plugin_task_status, task_name, 8);
AT(sdk_plugin_task_status, task_id, 16); AT(sdk_plugin_task_status, state, 24);
AT(sdk_plugin_task_status, agent_hostname, 32); AT(sdk_plugin_task_status, ip, 40);
AT(sdk_plugin_task_status, message, 48);
_Static_assert(sizeof(sdk_plugin_task_status) == 56, "task status");
AT(sdk_plugin_command, size, 0); AT(sdk_plugin_command, timeout_ms, 4);
AT(sdk_plugin_command, argv, 8); AT(sdk_plugin_command, env, 16); AT(sdk_plugin_command, cwd, 24);
_Static_assert(sizeof(sdk_plugin_command) == 32, "command");
AT(sdk_plugin_command_result, size, 0); AT(sdk_plugin_command_result, exit_code, 4);
AT(sdk_plugin_command_result, timed_out, 8); AT(sdk_plugin_command_result, out, 16);
AT(sdk_plugin_command_result, out_len, 24); AT(sdk_plugin_command_result, err, 32);
AT(sdk_plugin_command_result, err_len, 40);
_Static_assert(sizeof(sdk_plugin_command_result) == 48, "command result");

/* enum values */
_Static_assert(SDK_PLUGIN_OK == 0 && SDK_PLUGIN_EINVAL == -1 && SDK_PLUGIN_ENOMEM == -2 &&
               SDK_PLUGIN_ENOENT == -3 && SDK_PLUGIN_EEXIST == -4 && SDK_PLUGIN_ESTATE == -5 &&
               SDK_PLUGIN_ENOTSUP == -6 && SDK_PLUGIN_EIO == -7 && SDK_PLUGIN_EFAILED == -8,
               "result codes");
_Static_assert(SDK_PLUGIN_LOG_DEBUG == 0 && SDK_PLUGIN_LOG_ERROR == 3, "log levels");
_Static_assert(SDK_PLUGIN_STRATEGY_SERIAL == 0 && SDK_PLUGIN_STRATEGY_PARALLEL == 1 &&
               SDK_PLUGIN_STRATEGY_SERIAL_CANARY == 2 && SDK_PLUGIN_STRATEGY_PARALLEL_CANARY == 3,
               "strategies");
_Static_assert(SDK_PLUGIN_RECOVERY_TRANSIENT == 0 && SDK_PLUGIN_RECOVERY_PERMANENT == 1,
               "recovery types");
_Static_assert(SDK_PLUGIN_DECOMMISSION_ALLOW == 0 && SDK_PLUGIN_DECOMMISSION_VETO == 1 &&
               SDK_PLUGIN_DECOMMISSION_PENDING == 2, "decisions");
_Static_assert(SDK_PLUGIN_ABI_MAJOR == 1 && SDK_PLUGIN_ABI_MINOR == 1, "this is ABI 1.1");

static void test_host_table_complete(void) {
    const sdk_host_api *api = sdk_plugin_host_api();
    CHECK_INT(api->size, sizeof(sdk_host_api));
    CHECK_INT(api->abi_major, SDK_PLUGIN_ABI_MAJOR);
    CHECK_INT(api->abi_minor, SDK_PLUGIN_ABI_MINOR);
    /* every entry is implemented: the table after the header is HOST_ENTRIES_1_0 pointers */
    for (size_t i = 0; i < HOST_ENTRIES_1_0; i++) {
        void (*fn)(void);
        memcpy(&fn, (const char *)api + 16 + P * i, sizeof fn);
        CHECK_MSG(fn != NULL, "host table entry %zu is NULL", i);
    }
}

static void test_host_has_respects_size(void) {
    sdk_host_api t = *sdk_plugin_host_api();
    CHECK(SDK_HOST_HAS(&t, command_cancel));
    CHECK(SDK_HOST_HAS(&t, free));
    /* a smaller (older) table lacks the later entries even though memory holds something there */
    t.size = (uint32_t)offsetof(sdk_host_api, pod_tasks);
    CHECK(!SDK_HOST_HAS(&t, pod_tasks));
    CHECK(!SDK_HOST_HAS(&t, command_cancel));
    CHECK(SDK_HOST_HAS(&t, response_finish));
    t.response_finish = NULL;
    CHECK(!SDK_HOST_HAS(&t, response_finish));
}

/* Runs `nm -D --defined-only file` and checks the only defined dynamic symbol is sdk_plugin_entry. */
static void check_exports(const char *file) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "nm -D --defined-only '%s' 2>&1", file);
    FILE *f = popen(cmd, "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[512];
    int entry = 0, others = 0;
    while (fgets(line, sizeof line, f)) {
        char addr[64], type[8], name[400];
        if (sscanf(line, "%63s %7s %399s", addr, type, name) != 3) {
            CHECK_MSG(0, "%s: unexpected nm output: %s", file, line);
            continue;
        }
        if (strcmp(name, "sdk_plugin_entry") == 0) entry++;
        else {
            others++;
            CHECK_MSG(0, "%s exports %s (only sdk_plugin_entry may be exported)", file, name);
        }
    }
    int rc = pclose(f);
    CHECK_MSG(rc == 0, "nm failed on %s (is the file built?)", file);
    CHECK_INT(entry, 1);
    CHECK_INT(others, 0);
}

static void test_plugins_export_only_the_entry(void) {
    const char *b = getenv("SDK_BUILD_DIR");
    char fx[512];
    snprintf(fx, sizeof fx, "%s/fixtures/fixture_ok.so", b && *b ? b : "build");
    check_exports(fx);
    check_exports("plugins/hello/hello.so");
}

int main(void) {
    RUN(test_host_table_complete);
    RUN(test_host_has_respects_size);
    RUN(test_plugins_export_only_the_entry);
    return check_summary("test_abi_layout");
}
