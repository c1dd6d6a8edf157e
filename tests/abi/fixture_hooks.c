/* Fixture: a small quorum-style service that uses the hooks the scenarios check through the
 * real service core (tests/scenarios/plugin_hooks_*.scn):
 *  - recovery_override: a permanently failed node-i is relaunched with its old IP appended to
 *    the command (" --replace-address=<ip>", Cassandra-style) and env REPLACED_FROM; when node-0
 *    (the "seed") is replaced, the other nodes are restarted one by one afterwards;
 *  - placement: never on the agents listed in AVOID_HOSTS (comma-separated);
 *  - pre_decommission: vetoed while KEEP_DATA is "true". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sdk_plugin.h"

typedef struct hooks_state {
    const sdk_host_api *api;
    sdk_plugin_host *host;
} hooks_state;

static const char SPEC[] =
    "name: hooks-demo\n"
    "pods:\n"
    "  node:\n"
    "    count: {{NODE_COUNT}}\n"
    "    allow-decommission: true\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: ./server\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "        volume: {path: data, type: ROOT, size: 16}\n";

static const sdk_plugin_option OPTIONS[] = {
    {"NODE_COUNT", "3", "number of nodes"},
    {"AVOID_HOSTS", "", "agents the nodes must not use"},
    {"KEEP_DATA", "false", "veto decommissions while true"},
};

static int h_init(const sdk_host_api *api, sdk_plugin_host *host, void **state, sdk_plugin_errors *errs) {
    (void)errs;
    hooks_state *s = calloc(1, sizeof *s);
    if (!s) return SDK_PLUGIN_ENOMEM;
    s->api = api;
    s->host = host;
    *state = s;
    return SDK_PLUGIN_OK;
}
static void h_fini(void *state) { free(state); }

static int h_recovery(void *state, const sdk_plugin_spec *spec, const char *pod, uint32_t index,
                      sdk_plugin_recovery_type type, sdk_plugin_recovery *rec) {
    hooks_state *s = state;
    if (type != SDK_PLUGIN_RECOVERY_PERMANENT || strcmp(pod, "node")) return SDK_PLUGIN_OK;
    char task[64], suffix[128];
    snprintf(task, sizeof task, "node-%u-server", index);
    const char *ip = s->api->task_ip(s->host, task);
    if (!ip) return SDK_PLUGIN_OK; /* no known address: the default recovery */
    snprintf(suffix, sizeof suffix, " --replace-address=%s", ip);
    static const char *const server[] = {"server"};
    sdk_plugin_recovery_step *st = NULL;
    s->api->recovery_set_phase(rec, "permanent-node-failure-recovery", SDK_PLUGIN_STRATEGY_SERIAL);
    int rc = s->api->recovery_step_add(rec, "node", index, server, 1, SDK_PLUGIN_RECOVERY_PERMANENT, &st);
    if (rc == SDK_PLUGIN_OK) rc = s->api->recovery_step_cmd_suffix(st, "server", suffix);
    if (rc == SDK_PLUGIN_OK) rc = s->api->recovery_step_env(st, "server", "REPLACED_FROM", ip);
    if (index == 0) {
        int64_t count = 0;
        s->api->spec_pod_get_count(spec, "node", &count);
        for (int64_t i = 1; i < count && rc == SDK_PLUGIN_OK; i++)
            rc = s->api->recovery_step_add(rec, "node", (uint32_t)i, server, 1, SDK_PLUGIN_RECOVERY_TRANSIENT, NULL);
    }
    return rc;
}

static int h_placement(void *state, const sdk_plugin_placement_query *q, bool *pass, sdk_plugin_errors *reason) {
    hooks_state *s = state;
    const char *avoid = s->api->option(s->host, "AVOID_HOSTS");
    *pass = true;
    if (!avoid || !*avoid) return SDK_PLUGIN_OK;
    char *copy = strdup(avoid), *save = NULL;
    for (char *h = strtok_r(copy, ",", &save); h; h = strtok_r(NULL, ",", &save)) {
        if (!strcmp(h, q->agent_hostname)) {
            *pass = false;
            s->api->error(reason, "agent %s is in AVOID_HOSTS", h);
        }
    }
    free(copy);
    return SDK_PLUGIN_OK;
}

static int h_decommission(void *state, const char *pod, uint32_t index, sdk_plugin_decision *d,
                          sdk_plugin_errors *reason) {
    hooks_state *s = state;
    const char *keep = s->api->option(s->host, "KEEP_DATA");
    if (keep && !strcmp(keep, "true")) {
        *d = SDK_PLUGIN_DECOMMISSION_VETO;
        s->api->error(reason, "%s-%u still holds data (KEEP_DATA=true)", pod, index);
    } else {
        *d = SDK_PLUGIN_DECOMMISSION_ALLOW;
    }
    return SDK_PLUGIN_OK;
}

static const sdk_plugin_descriptor DESC = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "fixture-hooks",
    .version = "1.0.0",
    .description = "exercises recovery override, placement and decommission hooks",
    .spec_template = SPEC,
    .options = OPTIONS,
    .n_options = sizeof OPTIONS / sizeof *OPTIONS,
    .init = h_init,
    .fini = h_fini,
    .recovery_override = h_recovery,
    .pre_decommission = h_decommission,
    .placement = h_placement,
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &DESC; }
