/* sdkctl entry point: global options, environment, help and dispatch to the command groups. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/sdkctl.h"
#include "core/app/version.h"
#include "core/util/str.h"

/* One line of help: "group sub" (sub may be NULL for a group without subcommands). */
typedef struct usage_line {
    const char *group, *sub, *args, *text;
} usage_line;

static const usage_line USAGE[] = {
    {"plan", "list", "", "list the plans"},
    {"plan", "show", "[PLAN] [--watch [--interval SECONDS]]",
     "show a plan as a tree (default deploy); --watch redraws it until it is COMPLETE (alias: status)"},
    {"plan", "start", "PLAN [-p KEY=VALUE]...", "start a plan, passing parameters to its tasks"},
    {"plan", "stop", "PLAN", "stop a plan and reset its steps"},
    {"plan", "pause", "[PLAN [PHASE]]", "pause a plan or one phase of it (alias: interrupt)"},
    {"plan", "resume", "[PLAN [PHASE]]", "resume a paused plan or phase (alias: continue)"},
    {"plan", "force-restart", "PLAN [PHASE [STEP]]", "restart a plan, a phase or a step (alias: restart)"},
    {"plan", "force-complete", "PLAN PHASE STEP", "mark a step complete without running it (alias: force)"},
    {"pod", "list", "", "list the pod instances"},
    {"pod", "status", "[POD]", "show the tasks of every pod, or of one pod instance, with their states"},
    {"pod", "info", "POD", "show the TaskInfo and last TaskStatus of each task of a pod instance"},
    {"pod", "restart", "POD", "restart a pod instance in place (same agent, same volumes)"},
    {"pod", "replace", "POD", "move a pod instance to a new agent; its old volumes are destroyed"},
    {"pod", "pause", "POD [-t TASK]...", "relaunch a pod's tasks (or the named ones) idle, for debugging"},
    {"pod", "resume", "POD [-t TASK]...", "relaunch paused tasks with their normal command"},
    {"endpoints", NULL, "[NAME]", "list the advertised endpoints, or show one"},
    {"config", "list", "", "list the stored configuration IDs"},
    {"config", "show", "ID", "show one stored configuration"},
    {"config", "target", "", "show the target configuration"},
    {"config", "target-id", "", "print the ID of the target configuration"},
    {"state", "framework-id", "", "print the Mesos framework ID"},
    {"state", "properties", "", "list the state property keys"},
    {"state", "property", "KEY", "print one state property's raw value"},
    {"task", "log", "TASK [--stderr] [--follow] [--lines N]",
     "print the last N (default 10) lines of a task's stdout (or stderr) from its agent; --follow keeps printing"},
    {"debug", "offers", "", "show the recent offer evaluations"},
    {"debug", "reservations", "", "show the resources reserved per agent"},
    {"describe", NULL, "", "the service's package options: resolved and user-provided"},
    {"update", "start", "--options FILE [--dry-run]", "apply new options (KEY -> VALUE, or nested package options) "
                                                       "without a restart; --dry-run shows the changes and the pods "
                                                       "that would restart, applying nothing"},
    {"update", "status", "[--watch]", "show the deploy plan, which carries the update (= plan show deploy)"},
    {"update", "pause", "[PHASE]", "pause the update (= plan pause deploy)"},
    {"update", "resume", "[PHASE]", "resume the update (= plan resume deploy)"},
    {"update", "force-restart", "[PHASE [STEP]]", "= plan force-restart deploy"},
    {"update", "force-complete", "PHASE STEP", "= plan force-complete deploy"},
};
#define N_USAGE (sizeof USAGE / sizeof USAGE[0])

static const char GLOBAL_HELP[] =
    "Global options (anywhere on the line):\n"
    "  --url URL        scheduler API base URL (env SDK_URL; default " SDKCTL_DEFAULT_URL ")\n"
    "  --token TOKEN    bearer token for the API (env SDK_TOKEN)\n"
    "  --cacert FILE    CA bundle for an https URL (env SDK_CACERT)\n"
    "  --json           print the scheduler's JSON as received, for scripts\n"
    "  -h, --help       this help; `sdkctl COMMAND --help` for one command\n"
    "  --version        print the sdkctl version, git commit and plugin ABI version\n"
    "Exit status: 0 ok, 1 the scheduler refused or failed the request, 2 usage error or scheduler\n"
    "unreachable.\n";

/* cmd is "group" or "group sub"; an alias resolves to the canonical line in the messages. */
bool sdkctl_print_usage(const char *cmd, bool full, FILE *f) {
    size_t glen = strcspn(cmd, " ");
    const char *sub = cmd[glen] ? cmd + glen + 1 : NULL;
    bool any = false;
    for (size_t i = 0; i < N_USAGE; i++) {
        const usage_line *u = &USAGE[i];
        if (strlen(u->group) != glen || strncmp(u->group, cmd, glen)) continue;
        if (sub && u->sub && strcmp(sub, u->sub)) continue;
        if (!any) fputs("usage:\n", f);
        any = true;
        fprintf(f, "  sdkctl %s%s%s%s%s\n", u->group, u->sub ? " " : "", u->sub ? u->sub : "", *u->args ? " " : "",
                u->args);
        if (full) fprintf(f, "      %s\n", u->text);
    }
    if (any && full) fputs(GLOBAL_HELP, f);
    return any;
}

int sdkctl_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sdkctl %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (!sdkctl_print_usage(cmd, false, stderr)) {
        /* "plan status" etc.: show the whole group. */
        char *group = sdk_xstrndup(cmd, strcspn(cmd, " "));
        sdkctl_print_usage(group, false, stderr);
        free(group);
    }
    return SDKCTL_EXIT_USAGE;
}

bool sdkctl_wants_help(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--")) return false;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return true;
    }
    return false;
}

static void print_help(FILE *f) {
    fputs("sdkctl: operate a Stateful SDK service through its scheduler's REST API\n\n"
          "usage: sdkctl [--url URL] [--token TOKEN] [--json] COMMAND ...\n\nCommands:\n",
          f);
    for (size_t i = 0; i < N_USAGE; i++) {
        const usage_line *u = &USAGE[i];
        char *line = sdk_asprintf_new("%s%s%s%s%s", u->group, u->sub ? " " : "", u->sub ? u->sub : "",
                                      *u->args ? " " : "", u->args);
        fprintf(f, "  %-50s %s\n", line, u->text);
        free(line);
    }
    fputc('\n', f);
    fputs(GLOBAL_HELP, f);
}

typedef int (*group_fn)(const sdkctl_ctx *c, int argc, char **argv);

static const struct {
    const char *name;
    group_fn fn;
} GROUPS[] = {
    {"plan", sdkctl_cmd_plan},     {"pod", sdkctl_cmd_pod},     {"pods", sdkctl_cmd_pod},
    {"endpoints", sdkctl_cmd_endpoints}, {"config", sdkctl_cmd_config}, {"state", sdkctl_cmd_state},
    {"debug", sdkctl_cmd_debug},   {"update", sdkctl_cmd_update}, {"describe", sdkctl_cmd_describe},
    {"task", sdkctl_cmd_task},
};

/* Removes the global options from argv (in place, up to a "--"), filling c. Returns 0 or
 * SDKCTL_EXIT_USAGE after naming the bad option. */
static int take_globals(int *argc, char **argv, sdkctl_ctx *c) {
    int out = 0;
    bool done = false;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i];
        if (done || strcmp(a, "--") == 0) {
            done = true;
            argv[out++] = argv[i];
            continue;
        }
        static const char *const with_val[] = {"--url", "--token", "--cacert"};
        const char **dest[] = {&c->url, &c->token, &c->cacert};
        bool taken = false;
        for (int k = 0; k < 3 && !taken; k++) {
            size_t l = strlen(with_val[k]);
            if (!strcmp(a, with_val[k])) {
                if (i + 1 >= *argc) {
                    fprintf(stderr, "sdkctl: option %s needs a value\n", a);
                    return SDKCTL_EXIT_USAGE;
                }
                *dest[k] = argv[++i];
                taken = true;
            } else if (!strncmp(a, with_val[k], l) && a[l] == '=') {
                *dest[k] = a + l + 1;
                taken = true;
            }
        }
        if (!taken && !strcmp(a, "--json")) {
            c->json = true;
            taken = true;
        }
        if (!taken) argv[out++] = argv[i];
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

int main(int argc, char **argv) {
    sdkctl_ctx c = {.timeout_s = 60};
    c.url = getenv("SDK_URL");
    c.token = getenv("SDK_TOKEN");
    c.cacert = getenv("SDK_CACERT");
    int n = argc - 1;
    char **av = argv + 1;
    int rc = take_globals(&n, av, &c);
    if (rc) return rc;
    if (!c.url || !*c.url) c.url = SDKCTL_DEFAULT_URL;
    if (c.token && !*c.token) c.token = NULL;
    if (c.cacert && !*c.cacert) c.cacert = NULL;
    if (n == 0) {
        fputs("sdkctl: missing command\n", stderr);
        print_help(stderr);
        return SDKCTL_EXIT_USAGE;
    }
    if (!strcmp(av[0], "--version") || !strcmp(av[0], "version")) {
        sdk_version_print(stdout, "sdkctl");
        return 0;
    }
    if (!strcmp(av[0], "-h") || !strcmp(av[0], "--help") || !strcmp(av[0], "help")) {
        if (n > 1 && sdkctl_print_usage(av[1], true, stdout)) return 0;
        print_help(stdout);
        return 0;
    }
    group_fn fn = NULL;
    const char *group = av[0];
    for (size_t i = 0; i < sizeof GROUPS / sizeof GROUPS[0]; i++)
        if (!strcmp(GROUPS[i].name, group)) fn = GROUPS[i].fn;
    if (!fn) {
        fprintf(stderr, "sdkctl: unknown command '%s' (see sdkctl --help)\n", group);
        return SDKCTL_EXIT_USAGE;
    }
    if (!strcmp(group, "pods")) group = "pod";
    if (sdkctl_wants_help(n - 1, av + 1)) {
        /* "sdkctl plan start --help": that subcommand if known, else the group. */
        char *cmd = n > 1 && av[1][0] != '-' ? sdk_asprintf_new("%s %s", group, av[1]) : sdk_xstrdup(group);
        if (!sdkctl_print_usage(cmd, true, stdout)) sdkctl_print_usage(group, true, stdout);
        free(cmd);
        return 0;
    }
    /* The base URL is joined with "/v1/..." paths. */
    char *url = sdk_xstrdup(c.url);
    size_t ul = strlen(url);
    while (ul && url[ul - 1] == '/') url[--ul] = '\0';
    c.url = url;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = fn(&c, n - 1, av + 1);
    fflush(stdout);
    curl_global_cleanup();
    free(url);
    return rc;
}
