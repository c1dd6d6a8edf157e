/* sdkctl: the operator CLI over the scheduler's REST API (sdk-behaviour.md §6, §6.11).
 *
 * Files: main.c (global options, dispatch, help), client.c (one blocking libcurl request at a
 * time, error reporting), render.c (trees and lines printed for humans), commands.c (one
 * function per command).
 *
 * Exit codes: 0 success; 1 the scheduler answered with an error (HTTP status outside 2xx, a 208
 * "already done", a plan that ended in ERROR while watched); 2 a usage error or an unreachable
 * scheduler. Human output goes to stdout, errors to stderr, each prefixed "sdkctl: ".
 */
#ifndef SDK_CLI_SDKCTL_H
#define SDK_CLI_SDKCTL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define SDKCTL_DEFAULT_URL "http://127.0.0.1:8080"

enum { SDKCTL_OK = 0, SDKCTL_EXIT_SERVER = 1, SDKCTL_EXIT_USAGE = 2 };

/* Settings shared by every command, filled by main() from the global options and environment. */
typedef struct sdkctl_ctx {
    const char *url;    /* base URL without a trailing slash (may carry a path prefix) */
    const char *peer;   /* who answers at url, for errors; NULL: "the scheduler" */
    const char *token;  /* NULL: no Authorization header */
    const char *cacert; /* NULL: curl's default CA bundle */
    bool json;          /* --json: print the server's bodies verbatim */
    long timeout_s;     /* per request */
} sdkctl_ctx;

/* One answer from the scheduler. body is NUL-terminated (never NULL after a request returned 0);
 * json is the parsed body or NULL when it is not JSON. */
typedef struct sdkctl_resp {
    long status;
    char *body;
    size_t len;
    json_t *json;
} sdkctl_resp;

/* ---- client.c ---- */
/* Sends METHOD base+path (path starts with '/', already escaped; may hold a query) with an
 * optional JSON body (NULL: none). Returns 0 with *r filled (any HTTP status), or
 * SDKCTL_EXIT_USAGE after printing "cannot reach the scheduler ..." when no HTTP answer came.
 * Free *r with sdkctl_resp_free in both cases. */
int sdkctl_request(const sdkctl_ctx *c, const char *method, const char *path, const char *body, sdkctl_resp *r);
void sdkctl_resp_free(sdkctl_resp *r);
/* Percent-escapes one path segment or query value. New string. */
char *sdkctl_escape_new(const char *s);
/* Prints the error for a non-2xx answer to stderr: the server's message (JSON "message", else the
 * text body, else `fallback` if not NULL, else the reason phrase), its "errors" list if any, the
 * HTTP status and the request line; a hint for 401. Returns SDKCTL_EXIT_SERVER. */
int sdkctl_report_http_error(const sdkctl_resp *r, const char *method, const char *path, const char *fallback);
/* The 208 text of the dcos CLI. Returns SDKCTL_EXIT_SERVER. */
int sdkctl_report_already(void);
/* Prints body as received (trailing newlines trimmed, one added). */
void sdkctl_print_body(const sdkctl_resp *r);

/* ---- render.c ---- */
/* The `pod status` trees of §6.11 (service tree, single instance tree); new strings without a
 * trailing newline. Missing names/statuses print as <UNKNOWN>. */
char *sdkctl_pod_tree_new(const json_t *status);
char *sdkctl_instance_tree_new(const json_t *instance);
/* "N/M steps complete" line for plan JSON, e.g. "deploy: 2/3 steps complete (IN_PROGRESS)". */
char *sdkctl_progress_line_new(const char *plan, const json_t *plan_json);

/* ---- commands.c ---- */
/* Argument parsing shared by the commands. */
typedef struct sdkctl_flag_spec {
    const char *shortf, *longf;
    bool has_val;
} sdkctl_flag_spec;

#define MAX_VALS 64
#define MAX_POS 8

typedef struct sdkctl_args {
    const char *pos[MAX_POS];
    int npos;
    int count[4];                   /* per flag spec: times given */
    const char *vals[4][MAX_VALS];  /* per flag spec: values in order */
} sdkctl_args;

/* Splits argv (after the subcommand) into positionals and the flags of specs (at most 4);
 * "--" ends the flags. Accepts "-p V", "-pV", "--params V" and "--params=V". On a bad flag or
 * too many values prints a usage error for cmd and returns SDKCTL_EXIT_USAGE. */
int sdkctl_parse_args(const char *cmd, int argc, char **argv, const sdkctl_flag_spec *specs, int nspecs,
                      sdkctl_args *p);
/* Checks the positional count is within [min, max]; names the first missing one, the word at
 * that index in the space-separated `names`. */
int sdkctl_want_pos(const char *cmd, const sdkctl_args *p, int min, int max, const char *names);

/* Each runs one command group with the arguments after its name (argv[0] is the subcommand) and
 * returns the exit code. */
int sdkctl_cmd_plan(const sdkctl_ctx *c, int argc, char **argv);
int sdkctl_cmd_pod(const sdkctl_ctx *c, int argc, char **argv);
int sdkctl_cmd_endpoints(const sdkctl_ctx *c, int argc, char **argv);
int sdkctl_cmd_config(const sdkctl_ctx *c, int argc, char **argv);
int sdkctl_cmd_state(const sdkctl_ctx *c, int argc, char **argv);
int sdkctl_cmd_debug(const sdkctl_ctx *c, int argc, char **argv);
int sdkctl_cmd_update(const sdkctl_ctx *c, int argc, char **argv);
int sdkctl_cmd_describe(const sdkctl_ctx *c, int argc, char **argv);
/* ---- tasklog.c ---- */
int sdkctl_cmd_task(const sdkctl_ctx *c, int argc, char **argv);

/* ---- main.c ---- */
/* Prints "sdkctl CMD: <msg>" and the usage of CMD to stderr. Returns SDKCTL_EXIT_USAGE. */
int sdkctl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the usage/help of a command ("plan start", "pod", ...) to f; false if cmd is unknown. */
bool sdkctl_print_usage(const char *cmd, bool full, FILE *f);
/* True if argv holds -h or --help (before a "--"). */
bool sdkctl_wants_help(int argc, char **argv);
#endif
