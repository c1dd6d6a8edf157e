/* The sdkctl commands: each maps its arguments to the REST calls of sdk-behaviour.md §6.11 and
 * prints the answer for a human (trees, messages) or verbatim (--json). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/sdkctl.h"
#include "core/plan/plan.h"
#include "core/util/str.h"

/* ---- argument parsing ---------------------------------------------------------------------- */

/* sdkctl.h describes these. */
int sdkctl_parse_args(const char *cmd, int argc, char **argv, const sdkctl_flag_spec *specs, int nspecs, sdkctl_args *p) {
    memset(p, 0, sizeof *p);
    bool flags_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!flags_done && !strcmp(a, "--")) {
            flags_done = true;
            continue;
        }
        if (flags_done || a[0] != '-' || !a[1]) {
            if (p->npos == MAX_POS) return sdkctl_usage_error(cmd, "too many arguments at '%s'", a);
            p->pos[p->npos++] = a;
            continue;
        }
        int hit = -1;
        const char *val = NULL;
        for (int k = 0; k < nspecs && hit < 0; k++) {
            const sdkctl_flag_spec *s = &specs[k];
            size_t ll = strlen(s->longf);
            if (!strcmp(a, s->longf) || (s->shortf && !strcmp(a, s->shortf))) {
                hit = k;
            } else if (s->has_val && !strncmp(a, s->longf, ll) && a[ll] == '=') {
                hit = k;
                val = a + ll + 1;
            } else if (s->has_val && s->shortf && !strncmp(a, s->shortf, 2) && a[2]) {
                hit = k;
                val = a + 2;
            }
        }
        if (hit < 0) return sdkctl_usage_error(cmd, "unknown option '%s'", a);
        if (specs[hit].has_val && !val) {
            if (i + 1 >= argc) return sdkctl_usage_error(cmd, "option '%s' needs a value", a);
            val = argv[++i];
        }
        if (p->count[hit] == MAX_VALS) return sdkctl_usage_error(cmd, "option '%s' given too often", a);
        p->vals[hit][p->count[hit]++] = val;
    }
    return 0;
}

/* Checks the positional count is within [min, max]; names the first missing one, the word at
 * that index in the space-separated `names`. */
int sdkctl_want_pos(const char *cmd, const sdkctl_args *p, int min, int max, const char *names) {
    if (p->npos < min) {
        const char *w = names ? names : "";
        for (int i = 0; i < p->npos && *w; i++) {
            w += strcspn(w, " ");
            w += strspn(w, " ");
        }
        return sdkctl_usage_error(cmd, "missing %.*s", (int)strcspn(w, " "), w);
    }
    if (p->npos > max) return sdkctl_usage_error(cmd, "unexpected argument '%s'", p->pos[max]);
    return 0;
}

/* ---- shared request shapes ----------------------------------------------------------------- */

static bool ok_status(long s) { return s >= 200 && s < 300; }

/* GET path and print the body verbatim (both modes), or report the error (fallback: see
 * sdkctl_report_http_error). */
static int get_and_print(const sdkctl_ctx *c, const char *path, const char *fallback) {
    sdkctl_resp r;
    int rc = sdkctl_request(c, "GET", path, NULL, &r);
    if (!rc) {
        if (ok_status(r.status)) sdkctl_print_body(&r);
        else rc = sdkctl_report_http_error(&r, "GET", path, fallback);
    }
    sdkctl_resp_free(&r);
    return rc;
}

/* GET path answering a one-element array of strings (targetId, frameworkId): prints the bare
 * string for humans, the body with --json. */
static int get_single_id(const sdkctl_ctx *c, const char *path, const char *fallback) {
    sdkctl_resp r;
    int rc = sdkctl_request(c, "GET", path, NULL, &r);
    if (!rc) {
        const json_t *first = json_is_array(r.json) ? json_array_get(r.json, 0) : NULL;
        if (!ok_status(r.status)) rc = sdkctl_report_http_error(&r, "GET", path, fallback);
        else if (c->json || !json_is_string(first)) sdkctl_print_body(&r);
        else printf("%s\n", json_string_value(first));
    }
    sdkctl_resp_free(&r);
    return rc;
}

/* ---- plan ---------------------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

/* Sleeps ms milliseconds unless Ctrl-C arrives first. */
static void nap(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (!interrupted && nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static const char *plan_status_of(const json_t *j) {
    const json_t *s = json_is_object(j) ? json_object_get(j, "status") : NULL;
    return json_is_string(s) ? json_string_value(s) : "";
}

/* GET one plan; 200, 202 and 417 all carry the plan (417 = plan in ERROR) and are not errors
 * here, as in the dcos CLI. */
static int fetch_plan(const sdkctl_ctx *c, const char *plan, sdkctl_resp *r, char **path_out) {
    char *ep = sdkctl_escape_new(plan);
    char *path = sdk_asprintf_new("/v1/plans/%s", ep);
    free(ep);
    int rc = sdkctl_request(c, "GET", path, NULL, r);
    if (!rc && !ok_status(r->status) && r->status != 417) rc = sdkctl_report_http_error(r, "GET", path, NULL);
    else if (!rc && !json_is_object(r->json)) {
        fprintf(stderr, "sdkctl: the answer to GET %s is not a plan (JSON object): %.200s\n", path, r->body);
        rc = SDKCTL_EXIT_SERVER;
    }
    *path_out = path;
    return rc;
}

static void print_plan(const sdkctl_ctx *c, const char *plan, const sdkctl_resp *r) {
    if (c->json) {
        sdkctl_print_body(r);
        return;
    }
    char *tree = sdk_plan_tree_new(plan, r->json);
    printf("%s\n", tree);
    free(tree);
}

static int plan_show(const sdkctl_ctx *c, const char *plan) {
    sdkctl_resp r;
    char *path = NULL;
    int rc = fetch_plan(c, plan, &r, &path);
    if (!rc) print_plan(c, plan, &r);
    sdkctl_resp_free(&r);
    free(path);
    return rc;
}

/* Redraws the plan every interval_ms until it is COMPLETE (exit 0), in ERROR (exit 1) or
 * Ctrl-C (exit 130). On a terminal the screen is cleared before each frame; otherwise a frame
 * (tree, blank line, progress line) is printed only when it changed, frames separated by a
 * blank line, so logs stay readable. */
static int plan_watch(const sdkctl_ctx *c, const char *plan, long interval_ms) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    bool tty = isatty(STDOUT_FILENO);
    char *prev = NULL;
    int rc = 0;
    for (;;) {
        sdkctl_resp r;
        char *path = NULL;
        rc = fetch_plan(c, plan, &r, &path);
        free(path);
        if (rc) {
            sdkctl_resp_free(&r);
            break;
        }
        char *frame;
        if (c->json) {
            frame = sdk_xstrndup(r.body, r.len);
        } else {
            char *tree = sdk_plan_tree_new(plan, r.json);
            char *line = sdkctl_progress_line_new(plan, r.json);
            frame = sdk_asprintf_new("%s\n\n%s", tree, line);
            free(tree);
            free(line);
        }
        if (tty) {
            printf("\033[H\033[2J%s\n", frame);
        } else if (!prev || strcmp(prev, frame)) {
            printf("%s%s\n", prev ? "\n" : "", frame);
        }
        fflush(stdout);
        free(prev);
        prev = frame;
        const char *st = plan_status_of(r.json);
        bool complete = !strcmp(st, "COMPLETE"), error = !strcmp(st, "ERROR");
        sdkctl_resp_free(&r);
        if (complete) break;
        if (error) {
            fprintf(stderr, "sdkctl: plan %s is in ERROR and will not progress (see the errors above)\n", plan);
            rc = SDKCTL_EXIT_SERVER;
            break;
        }
        nap(interval_ms);
        if (interrupted) {
            fprintf(stderr, "sdkctl: stopped watching plan %s (it goes on running)\n", plan);
            rc = 130;
            break;
        }
    }
    free(prev);
    signal(SIGINT, SIG_DFL);
    return rc;
}

/* POSTs a plan command and prints the dcos CLI's message: ok_msg when the answer is 200 with a
 * non-empty "message", fail_msg (exit 1) when it is 2xx without one; 208 and errors as usual. */
static int plan_post(const sdkctl_ctx *c, const char *path, const char *body, const char *ok_msg,
                     const char *fail_msg) {
    sdkctl_resp r;
    int rc = sdkctl_request(c, "POST", path, body, &r);
    if (rc) goto out;
    if (r.status == 208) {
        rc = sdkctl_report_already();
    } else if (!ok_status(r.status)) {
        rc = sdkctl_report_http_error(&r, "POST", path, NULL);
    } else if (c->json) {
        sdkctl_print_body(&r);
    } else {
        const json_t *m = json_is_object(r.json) ? json_object_get(r.json, "message") : NULL;
        if (json_is_string(m) && *json_string_value(m)) {
            printf("%s\n", ok_msg);
        } else {
            fprintf(stderr, "sdkctl: %s\n", fail_msg);
            rc = SDKCTL_EXIT_SERVER;
        }
    }
out:
    sdkctl_resp_free(&r);
    return rc;
}

/* "/v1/plans/<plan>/<verb>[?phase=..&step=..]" with every part escaped. */
static char *plan_path_new(const char *plan, const char *verb, const char *phase, const char *step) {
    char *ep = sdkctl_escape_new(plan);
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_printf(&b, "/v1/plans/%s/%s", ep, verb);
    free(ep);
    char sep = '?';
    const char *names[] = {"phase", "step"}, *vals[] = {phase, step};
    for (int i = 0; i < 2; i++) {
        if (!vals[i] || !*vals[i]) continue;
        char *ev = sdkctl_escape_new(vals[i]);
        sdk_buf_printf(&b, "%c%s=%s", sep, names[i], ev);
        free(ev);
        sep = '&';
    }
    return sdk_buf_take(&b);
}

/* Names the element a command acted on, as the messages of the dcos CLI do. */
static char *element_text_new(const char *plan, const char *phase, const char *step) {
    if (step) return sdk_asprintf_new("Step %s in phase %s in plan %s", step, phase, plan);
    if (phase) return sdk_asprintf_new("Phase %s in plan %s", phase, plan);
    return sdk_asprintf_new("Plan %s", plan);
}

/* pause|resume|force-restart|force-complete: one shape, different verbs and texts. */
static int plan_element_cmd(const sdkctl_ctx *c, const char *verb, const char *done_text, const char *plan,
                            const char *phase, const char *step) {
    char *path = plan_path_new(plan, verb, phase, step);
    char *what = element_text_new(plan, phase, step);
    char *ok = sdk_asprintf_new("%s has been %s.", what, done_text);
    char *fail = sdk_asprintf_new("%s could not be %s.", what, done_text);
    int rc = plan_post(c, path, NULL, ok, fail);
    free(fail);
    free(ok);
    free(what);
    free(path);
    return rc;
}

/* Builds the start body from -p KEY=VALUE values (split at the first '='; a later KEY wins). */
static int start_body_new(const char *cmd, const char *const *vals, int n, char **out) {
    json_t *o = json_object();
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(vals[i], '=');
        if (!eq || eq == vals[i]) {
            json_decref(o);
            return sdkctl_usage_error(cmd, "parameter '%s' must be KEY=VALUE (for example -p SLEEP=5)", vals[i]);
        }
        char *k = sdk_xstrndup(vals[i], (size_t)(eq - vals[i]));
        json_object_set_new(o, k, json_string(eq + 1));
        free(k);
    }
    *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!*out) abort();
    return 0;
}

static int plan_start(const sdkctl_ctx *c, const char *plan, const char *const *vals, int n) {
    char *body = NULL;
    int rc = start_body_new("plan start", vals, n, &body);
    if (rc) return rc;
    char *path = plan_path_new(plan, "start", NULL, NULL);
    sdkctl_resp r;
    rc = sdkctl_request(c, "POST", path, body, &r);
    if (rc) goto out;
    if (r.status == 208) {
        rc = sdkctl_report_already();
    } else if (!ok_status(r.status)) {
        rc = sdkctl_report_http_error(&r, "POST", path, NULL);
    } else if (c->json) {
        sdkctl_print_body(&r);
    } else {
        /* The server echoes the parameters as "... with parameters: {K=v}". */
        const json_t *m = json_is_object(r.json) ? json_object_get(r.json, "message") : NULL;
        const char *msg = json_is_string(m) ? json_string_value(m) : "";
        const char *params = strstr(msg, " with parameters: ");
        if (params) printf("Plan %s has been started%s.\n", plan, params);
        else printf("Plan %s has been started.\n", plan);
    }
out:
    sdkctl_resp_free(&r);
    free(path);
    free(body);
    return rc;
}

/* Parses --interval SECONDS (decimal, 0.05 .. 3600). */
static int parse_interval(const char *cmd, const char *s, long *ms) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0.05 || v > 3600)
        return sdkctl_usage_error(cmd, "--interval wants seconds between 0.05 and 3600, not '%s'", s);
    *ms = (long)(v * 1000 + 0.5);
    return 0;
}

int sdkctl_cmd_plan(const sdkctl_ctx *c, int argc, char **argv) {
    if (argc < 1) return sdkctl_usage_error("plan", "missing subcommand");
    const char *sub = argv[0];
    static const char plan_phase_step[] = "PLAN PHASE STEP";
    sdkctl_args p;
    int rc;
    if (!strcmp(sub, "list")) {
        if ((rc = sdkctl_parse_args("plan list", argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos("plan list", &p, 0, 0, plan_phase_step))) return rc;
        return get_and_print(c, "/v1/plans", NULL);
    }
    if (!strcmp(sub, "show") || !strcmp(sub, "status")) {
        static const sdkctl_flag_spec fs[] = {{NULL, "--watch", false}, {NULL, "--interval", true}};
        if ((rc = sdkctl_parse_args("plan show", argc - 1, argv + 1, fs, 2, &p))) return rc;
        if ((rc = sdkctl_want_pos("plan show", &p, 0, 1, plan_phase_step))) return rc;
        const char *plan = p.npos ? p.pos[0] : "deploy";
        long ms = 1000;
        if (p.count[1] && (rc = parse_interval("plan show", p.vals[1][p.count[1] - 1], &ms))) return rc;
        if (p.count[1] && !p.count[0]) return sdkctl_usage_error("plan show", "--interval needs --watch");
        return p.count[0] ? plan_watch(c, plan, ms) : plan_show(c, plan);
    }
    if (!strcmp(sub, "start")) {
        static const sdkctl_flag_spec fs[] = {{"-p", "--params", true}};
        if ((rc = sdkctl_parse_args("plan start", argc - 1, argv + 1, fs, 1, &p))) return rc;
        if ((rc = sdkctl_want_pos("plan start", &p, 1, 1, plan_phase_step))) return rc;
        return plan_start(c, p.pos[0], p.vals[0], p.count[0]);
    }
    if (!strcmp(sub, "stop")) {
        if ((rc = sdkctl_parse_args("plan stop", argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos("plan stop", &p, 1, 1, plan_phase_step))) return rc;
        char *path = plan_path_new(p.pos[0], "stop", NULL, NULL);
        char *ok = sdk_asprintf_new("Plan %s has been stopped.", p.pos[0]);
        char *fail = sdk_asprintf_new("Plan %s could not be stopped.", p.pos[0]);
        rc = plan_post(c, path, NULL, ok, fail);
        free(fail);
        free(ok);
        free(path);
        return rc;
    }
    if (!strcmp(sub, "pause") || !strcmp(sub, "interrupt") || !strcmp(sub, "resume") || !strcmp(sub, "continue")) {
        bool pause = !strcmp(sub, "pause") || !strcmp(sub, "interrupt");
        const char *cmd = pause ? "plan pause" : "plan resume";
        if ((rc = sdkctl_parse_args(cmd, argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos(cmd, &p, 0, 2, plan_phase_step))) return rc;
        return plan_element_cmd(c, pause ? "interrupt" : "continue", pause ? "paused" : "resumed",
                                p.npos ? p.pos[0] : "deploy", p.npos > 1 ? p.pos[1] : NULL, NULL);
    }
    if (!strcmp(sub, "force-restart") || !strcmp(sub, "restart")) {
        if ((rc = sdkctl_parse_args("plan force-restart", argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos("plan force-restart", &p, 1, 3, plan_phase_step))) return rc;
        return plan_element_cmd(c, "restart", "restarted", p.pos[0], p.npos > 1 ? p.pos[1] : NULL,
                                p.npos > 2 ? p.pos[2] : NULL);
    }
    if (!strcmp(sub, "force-complete") || !strcmp(sub, "force")) {
        if ((rc = sdkctl_parse_args("plan force-complete", argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos("plan force-complete", &p, 3, 3, plan_phase_step))) return rc;
        return plan_element_cmd(c, "forceComplete", "forced to complete", p.pos[0], p.pos[1], p.pos[2]);
    }
    return sdkctl_usage_error("plan", "unknown subcommand '%s'", sub);
}

/* ---- pod ----------------------------------------------------------------------------------- */

static char *pod_path_new(const char *pod, const char *verb) {
    char *ep = sdkctl_escape_new(pod);
    char *path = verb ? sdk_asprintf_new("/v1/pod/%s/%s", ep, verb) : sdk_asprintf_new("/v1/pod/%s", ep);
    free(ep);
    return path;
}

static int pod_status(const sdkctl_ctx *c, const char *pod) {
    char *path = pod ? pod_path_new(pod, "status") : sdk_xstrdup("/v1/pod/status");
    sdkctl_resp r;
    int rc = sdkctl_request(c, "GET", path, NULL, &r);
    if (!rc) {
        if (!ok_status(r.status)) {
            rc = sdkctl_report_http_error(&r, "GET", path, NULL);
        } else if (c->json || !json_is_object(r.json)) {
            sdkctl_print_body(&r);
        } else {
            char *tree = pod ? sdkctl_instance_tree_new(r.json) : sdkctl_pod_tree_new(r.json);
            printf("%s\n", tree);
            free(tree);
        }
    }
    sdkctl_resp_free(&r);
    free(path);
    return rc;
}

/* restart|replace|pause|resume: POST, with a JSON array of task names only when tasks given. */
static int pod_command(const sdkctl_ctx *c, const char *verb, const char *doing, const char *pod,
                       const char *const *tasks, int n) {
    char *body = NULL;
    if (n) {
        json_t *a = json_array();
        for (int i = 0; i < n; i++) json_array_append_new(a, json_string(tasks[i]));
        body = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        if (!body) abort();
    }
    char *path = pod_path_new(pod, verb);
    sdkctl_resp r;
    int rc = sdkctl_request(c, "POST", path, body, &r);
    if (!rc) {
        if (!ok_status(r.status)) {
            rc = sdkctl_report_http_error(&r, "POST", path, NULL);
        } else if (c->json) {
            sdkctl_print_body(&r);
        } else {
            const json_t *ts = json_is_object(r.json) ? json_object_get(r.json, "tasks") : NULL;
            sdk_buf b;
            sdk_buf_init(&b);
            for (size_t i = 0; json_is_array(ts) && i < json_array_size(ts); i++) {
                const json_t *t = json_array_get(ts, i);
                sdk_buf_printf(&b, "%s%s", i ? ", " : "", json_is_string(t) ? json_string_value(t) : "?");
            }
            printf("Pod %s %s: %s\n", pod, doing, b.len ? b.data : "(no tasks)");
            sdk_buf_free(&b);
        }
    }
    sdkctl_resp_free(&r);
    free(path);
    free(body);
    return rc;
}

int sdkctl_cmd_pod(const sdkctl_ctx *c, int argc, char **argv) {
    if (argc < 1) return sdkctl_usage_error("pod", "missing subcommand");
    const char *sub = argv[0];
    static const char pod_names[] = "POD";
    sdkctl_args p;
    int rc;
    if (!strcmp(sub, "list")) {
        if ((rc = sdkctl_parse_args("pod list", argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos("pod list", &p, 0, 0, pod_names))) return rc;
        return get_and_print(c, "/v1/pod", NULL);
    }
    if (!strcmp(sub, "status")) {
        if ((rc = sdkctl_parse_args("pod status", argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos("pod status", &p, 0, 1, pod_names))) return rc;
        return pod_status(c, p.npos ? p.pos[0] : NULL);
    }
    if (!strcmp(sub, "info")) {
        if ((rc = sdkctl_parse_args("pod info", argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos("pod info", &p, 1, 1, pod_names))) return rc;
        char *path = pod_path_new(p.pos[0], "info");
        rc = get_and_print(c, path, NULL);
        free(path);
        return rc;
    }
    static const struct {
        const char *sub, *cmd, *doing;
        bool tasks;
    } ops[] = {
        {"restart", "pod restart", "is restarting", false},
        {"replace", "pod replace", "is being replaced", false},
        {"pause", "pod pause", "is pausing", true},
        {"resume", "pod resume", "is resuming", true},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(sub, ops[i].sub)) continue;
        static const sdkctl_flag_spec fs[] = {{"-t", "--task", true}};
        if ((rc = sdkctl_parse_args(ops[i].cmd, argc - 1, argv + 1, fs, ops[i].tasks ? 1 : 0, &p))) return rc;
        if ((rc = sdkctl_want_pos(ops[i].cmd, &p, 1, 1, pod_names))) return rc;
        return pod_command(c, ops[i].sub, ops[i].doing, p.pos[0], p.vals[0], p.count[0]);
    }
    return sdkctl_usage_error("pod", "unknown subcommand '%s'", sub);
}

/* ---- endpoints, config, state, debug ------------------------------------------------------- */

int sdkctl_cmd_endpoints(const sdkctl_ctx *c, int argc, char **argv) {
    static const char names[] = "NAME";
    sdkctl_args p;
    int rc;
    if ((rc = sdkctl_parse_args("endpoints", argc, argv, NULL, 0, &p))) return rc;
    if ((rc = sdkctl_want_pos("endpoints", &p, 0, 1, names))) return rc;
    if (!p.npos) return get_and_print(c, "/v1/endpoints", NULL);
    char *ep = sdkctl_escape_new(p.pos[0]);
    char *path = sdk_asprintf_new("/v1/endpoints/%s", ep);
    char *fallback = sdk_asprintf_new("no endpoint named '%s' (list them with `sdkctl endpoints`)", p.pos[0]);
    rc = get_and_print(c, path, fallback);
    free(fallback);
    free(path);
    free(ep);
    return rc;
}

int sdkctl_cmd_config(const sdkctl_ctx *c, int argc, char **argv) {
    if (argc < 1) return sdkctl_usage_error("config", "missing subcommand");
    const char *sub = argv[0];
    static const char names[] = "ID";
    sdkctl_args p;
    int rc;
    const char *cmd = !strcmp(sub, "list")        ? "config list"
                      : !strcmp(sub, "show")      ? "config show"
                      : !strcmp(sub, "target")    ? "config target"
                      : !strcmp(sub, "target-id") ? "config target-id"
                      : !strcmp(sub, "target_id") ? "config target-id"
                                                  : NULL;
    if (!cmd) return sdkctl_usage_error("config", "unknown subcommand '%s'", sub);
    if ((rc = sdkctl_parse_args(cmd, argc - 1, argv + 1, NULL, 0, &p))) return rc;
    bool show = !strcmp(cmd, "config show");
    if ((rc = sdkctl_want_pos(cmd, &p, show ? 1 : 0, show ? 1 : 0, names))) return rc;
    if (!strcmp(cmd, "config list")) return get_and_print(c, "/v1/configurations", NULL);
    if (!strcmp(cmd, "config target")) return get_and_print(c, "/v1/configurations/target", "no target configuration is stored yet");
    if (!strcmp(cmd, "config target-id"))
        return get_single_id(c, "/v1/configurations/targetId", "no target configuration is stored yet");
    char *ep = sdkctl_escape_new(p.pos[0]);
    char *path = sdk_asprintf_new("/v1/configurations/%s", ep);
    sdkctl_resp r;
    rc = sdkctl_request(c, "GET", path, NULL, &r);
    if (!rc) {
        if (ok_status(r.status)) {
            sdkctl_print_body(&r);
        } else {
            char *fb = r.status == 400 ? sdk_asprintf_new("'%s' is not a configuration ID (a UUID; see `sdkctl config list`)", p.pos[0])
                                       : sdk_asprintf_new("no configuration with ID %s (see `sdkctl config list`)", p.pos[0]);
            rc = sdkctl_report_http_error(&r, "GET", path, fb);
            free(fb);
        }
    }
    sdkctl_resp_free(&r);
    free(path);
    free(ep);
    return rc;
}

int sdkctl_cmd_state(const sdkctl_ctx *c, int argc, char **argv) {
    if (argc < 1) return sdkctl_usage_error("state", "missing subcommand");
    const char *sub = argv[0];
    static const char names[] = "KEY";
    sdkctl_args p;
    int rc;
    if (!strcmp(sub, "framework-id") || !strcmp(sub, "framework_id")) {
        if ((rc = sdkctl_parse_args("state framework-id", argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos("state framework-id", &p, 0, 0, names))) return rc;
        return get_single_id(c, "/v1/state/frameworkId", NULL);
    }
    if (!strcmp(sub, "properties")) {
        if ((rc = sdkctl_parse_args("state properties", argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos("state properties", &p, 0, 0, names))) return rc;
        return get_and_print(c, "/v1/state/properties", NULL);
    }
    if (!strcmp(sub, "property")) {
        if ((rc = sdkctl_parse_args("state property", argc - 1, argv + 1, NULL, 0, &p))) return rc;
        if ((rc = sdkctl_want_pos("state property", &p, 1, 1, names))) return rc;
        char *ep = sdkctl_escape_new(p.pos[0]);
        char *path = sdk_asprintf_new("/v1/state/properties/%s", ep);
        sdkctl_resp r;
        rc = sdkctl_request(c, "GET", path, NULL, &r);
        if (!rc) {
            if (ok_status(r.status)) {
                /* Raw property bytes, unchanged (they may be binary). */
                fwrite(r.body, 1, r.len, stdout);
                if (isatty(STDOUT_FILENO) && r.len && r.body[r.len - 1] != '\n') putchar('\n');
            } else {
                rc = sdkctl_report_http_error(&r, "GET", path, NULL);
            }
        }
        sdkctl_resp_free(&r);
        free(path);
        free(ep);
        return rc;
    }
    return sdkctl_usage_error("state", "unknown subcommand '%s'", sub);
}

int sdkctl_cmd_debug(const sdkctl_ctx *c, int argc, char **argv) {
    if (argc < 1) return sdkctl_usage_error("debug", "missing subcommand");
    const char *sub = argv[0];
    sdkctl_args p;
    int rc;
    const char *path = !strcmp(sub, "offers") ? "/v2/debug/offers" : !strcmp(sub, "reservations") ? "/v1/debug/reservations" : NULL;
    if (!path) return sdkctl_usage_error("debug", "unknown subcommand '%s'", sub);
    char *cmd = sdk_asprintf_new("debug %s", sub);
    rc = sdkctl_parse_args(cmd, argc - 1, argv + 1, NULL, 0, &p);
    if (!rc) rc = sdkctl_want_pos(cmd, &p, 0, 0, NULL);
    free(cmd);
    return rc ? rc : get_and_print(c, path, NULL);
}

/* ---- update -------------------------------------------------------------------------------- */

/* Reads the options file: a JSON object of option names to strings (numbers and booleans are
 * turned into their JSON text, as environment values are strings). On error prints what is
 * wrong and where, and returns SDKCTL_EXIT_USAGE. */
static int options_body_new(const char *file, char **out) {
    json_error_t jerr;
    json_t *j = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        fprintf(stderr, "sdkctl update start: cannot use options file %s: %s (line %d, column %d)\n", file, jerr.text,
                jerr.line, jerr.column);
        return SDKCTL_EXIT_USAGE;
    }
    if (!json_is_object(j)) {
        fprintf(stderr, "sdkctl update start: %s must hold a JSON object of option names to values, "
                        "like {\"NODE_COUNT\": \"3\"}\n", file);
        json_decref(j);
        return SDKCTL_EXIT_USAGE;
    }
    json_t *o = json_object();
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach(j, k, v) {
        if (json_is_string(v)) {
            json_object_set(o, k, v);
        } else if (json_is_number(v) || json_is_boolean(v)) {
            char *t = json_dumps(v, JSON_ENCODE_ANY);
            json_object_set_new(o, k, json_string(t ? t : ""));
            free(t);
        } else {
            fprintf(stderr, "sdkctl update start: %s: the value of option '%s' must be a string, number or boolean\n",
                    file, k);
            rc = SDKCTL_EXIT_USAGE;
            break;
        }
    }
    if (!rc) {
        *out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!*out) abort();
    }
    json_decref(o);
    json_decref(j);
    return rc;
}

static int update_start(const sdkctl_ctx *c, const char *file) {
    char *body = NULL;
    int rc = options_body_new(file, &body);
    if (rc) return rc;
    sdkctl_resp r;
    rc = sdkctl_request(c, "POST", "/v1/update", body, &r);
    if (rc) goto out;
    const json_t *m = json_is_object(r.json) ? json_object_get(r.json, "message") : NULL;
    if (r.status == 404 && !json_is_string(m)) {
        fprintf(stderr, "sdkctl: this scheduler has no live update route (POST /v1/update answered 404); "
                        "update it by restarting the scheduler with the new options\n");
        rc = SDKCTL_EXIT_SERVER;
    } else if (r.status == 208) {
        rc = sdkctl_report_already();
    } else if (!ok_status(r.status)) {
        rc = sdkctl_report_http_error(&r, "POST", "/v1/update", NULL);
    } else if (c->json) {
        sdkctl_print_body(&r);
    } else {
        if (json_is_string(m) && *json_string_value(m)) printf("%s\n", json_string_value(m));
        else printf("The update has been accepted.\n");
        printf("Follow it with: sdkctl update status --watch\n");
    }
out:
    sdkctl_resp_free(&r);
    free(body);
    return rc;
}

/* The package options path (POST /cosmos/service/update, nested options as in a package's
 * config.json), taken for --dry-run and for options files holding nested objects. A dry run
 * prints the option changes and the pods that would restart, launch or go; nothing is applied. */
static int update_start_cosmos(const sdkctl_ctx *c, const char *file, bool dry_run) {
    json_error_t jerr;
    json_t *j = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(j)) {
        if (j) fprintf(stderr, "sdkctl update start: %s must hold a JSON object of options\n", file);
        else
            fprintf(stderr, "sdkctl update start: cannot use options file %s: %s (line %d, column %d)\n", file,
                    jerr.text, jerr.line, jerr.column);
        json_decref(j);
        return SDKCTL_EXIT_USAGE;
    }
    json_t *req = json_pack("{s:o, s:b}", "options", j, "replace", 0);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    const char *path = dry_run ? "/cosmos/service/update?dryRun=true" : "/cosmos/service/update";
    sdkctl_resp r;
    int rc = sdkctl_request(c, "POST", path, body, &r);
    free(body);
    if (rc) return rc;
    if (!ok_status(r.status)) {
        rc = sdkctl_report_http_error(&r, "POST", path, NULL);
        const json_t *errs = json_object_get(json_object_get(r.json, "data"), "errors");
        for (size_t i = 0; i < json_array_size(errs); i++)
            fprintf(stderr, "  - %s\n", json_string_value(json_array_get(errs, i)));
    } else if (c->json) {
        sdkctl_print_body(&r);
    } else if (dry_run) {
        const json_t *diff = json_object_get(r.json, "optionsDiff");
        printf("Dry run: nothing was applied.\nOption changes:%s\n", json_array_size(diff) ? "" : " none");
        for (size_t i = 0; i < json_array_size(diff); i++) {
            const json_t *d = json_array_get(diff, i);
            const char *from = json_string_value(json_object_get(d, "from"));
            printf("  %s: %s%s%s -> \"%s\"\n", json_string_value(json_object_get(d, "option")), from ? "\"" : "",
                   from ? from : "(unset)", from ? "\"" : "", json_string_value(json_object_get(d, "to")));
        }
        static const char *const lists[][2] = {{"podsToRestart", "Pods that would restart"},
                                               {"podsToLaunch", "Pods that would launch"},
                                               {"podsToDecommission", "Pods that would be decommissioned"}};
        for (size_t k = 0; k < 3; k++) {
            const json_t *a = json_object_get(r.json, lists[k][0]);
            printf("%s:%s", lists[k][1], json_array_size(a) ? "" : " none");
            for (size_t i = 0; i < json_array_size(a); i++)
                printf("%s%s", i ? ", " : " ", json_string_value(json_array_get(a, i)));
            printf("\n");
        }
        const json_t *errs = json_object_get(r.json, "errors");
        if (json_array_size(errs)) {
            printf("The update would be refused:\n");
            for (size_t i = 0; i < json_array_size(errs); i++)
                printf("  - %s\n", json_string_value(json_array_get(errs, i)));
            rc = SDKCTL_EXIT_SERVER;
        }
    } else {
        printf("The update has been accepted.\nFollow it with: sdkctl update status --watch\n");
    }
    sdkctl_resp_free(&r);
    return rc;
}

/* True when the options file holds nested objects (package options, not flat variables). */
static bool options_file_nested(const char *file) {
    json_t *j = json_load_file(file, 0, NULL);
    bool nested = false;
    const char *k;
    json_t *v;
    if (json_is_object(j)) json_object_foreach(j, k, v) nested = nested || json_is_object(v);
    json_decref(j);
    return nested;
}

/* sdkctl describe: the service's options as Cosmos' describe shows them. */
int sdkctl_cmd_describe(const sdkctl_ctx *c, int argc, char **argv) {
    (void)argv;
    if (argc > 0) return sdkctl_usage_error("describe", "takes no arguments");
    sdkctl_resp r;
    int rc = sdkctl_request(c, "POST", "/cosmos/service/describe", "{}", &r);
    if (rc) return rc;
    if (!ok_status(r.status)) {
        rc = sdkctl_report_http_error(&r, "POST", "/cosmos/service/describe", NULL);
    } else if (c->json) {
        sdkctl_print_body(&r);
    } else {
        const json_t *pkg = json_object_get(r.json, "package");
        printf("Package %s %s\n", json_string_value(json_object_get(pkg, "name")),
               json_string_value(json_object_get(pkg, "version")));
        char *res = json_dumps(json_object_get(r.json, "resolvedOptions"), JSON_INDENT(2) | JSON_SORT_KEYS);
        char *usr = json_dumps(json_object_get(r.json, "userProvidedOptions"), JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("Resolved options:\n%s\nUser-provided options:\n%s\n", res ? res : "{}", usr ? usr : "{}");
        free(res);
        free(usr);
    }
    sdkctl_resp_free(&r);
    return rc;
}

/* update pause|resume|force-complete|force-restart|status are the plan commands on "deploy"
 * (an `update` plan runs under the name deploy, sdk-behaviour.md §4.7). */
int sdkctl_cmd_update(const sdkctl_ctx *c, int argc, char **argv) {
    if (argc < 1) return sdkctl_usage_error("update", "missing subcommand");
    const char *sub = argv[0];
    sdkctl_args p;
    int rc;
    if (!strcmp(sub, "start")) {
        static const sdkctl_flag_spec fs[] = {{NULL, "--options", true}, {NULL, "--dry-run", false}};
        if ((rc = sdkctl_parse_args("update start", argc - 1, argv + 1, fs, 2, &p))) return rc;
        if ((rc = sdkctl_want_pos("update start", &p, 0, 0, NULL))) return rc;
        if (!p.count[0]) return sdkctl_usage_error("update start", "missing --options FILE");
        const char *file = p.vals[0][p.count[0] - 1];
        if (p.count[1] || options_file_nested(file)) return update_start_cosmos(c, file, p.count[1] > 0);
        return update_start(c, file);
    }
    static const char *const map[][2] = {{"status", "show"},   {"show", "show"},
                                         {"pause", "pause"},   {"resume", "resume"},
                                         {"force-complete", "force-complete"}, {"force-restart", "force-restart"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(sub, map[i][0])) continue;
        /* plan <verb> deploy <rest...> */
        char **av = sdk_xcalloc((size_t)argc + 2, sizeof *av);
        av[0] = (char *)map[i][1];
        av[1] = (char *)"deploy";
        for (int k = 1; k < argc; k++) av[k + 1] = argv[k];
        rc = sdkctl_cmd_plan(c, argc + 1, av);
        free(av);
        return rc;
    }
    return sdkctl_usage_error("update", "unknown subcommand '%s'", sub);
}
