/* sdkctl task log TASK [--stderr] [--follow] [--lines N]
 *
 * Reads a task's stdout or stderr from its agent, the way it works on any Mesos cluster
 * (core/mesos/sandbox.h): the scheduler says which agent ran the task's latest launch and the
 * agent's URL (GET /v1/debug/tasks/TASK/sandbox, learnt from offers); the agent's /state gives
 * the sandbox directory; /files/read gives the bytes, at most 64 KiB per request. The agent is
 * asked directly: sdkctl must be able to reach it (on the local cluster it always can). */
#include "cli/sdkctl.h"
#include "core/mesos/sandbox.h"
#include "core/util/str.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (64 * 1024) /* an agent's largest read (16 pages) */

/* One /files/read; 0 with *data (new) and *offset, else an exit code after the error. */
static int files_read(const sdkctl_ctx *agent, const char *path, long long offset, long long length, char **data,
                      size_t *n, long long *out_offset) {
    char *url = sdk_files_read_url_new("", path, offset, length);
    sdkctl_resp r;
    int rc = sdkctl_request(agent, "GET", url, NULL, &r);
    if (!rc && r.status == 404) {
        fprintf(stderr, "sdkctl: %s: no such file on the agent (%s)\n", path, agent->url);
        rc = SDKCTL_EXIT_SERVER;
    } else if (!rc && r.status / 100 != 2) {
        rc = sdkctl_report_http_error(&r, "GET", url, NULL);
    } else if (!rc) {
        sdk_errors e;
        sdk_errors_init(&e);
        if (sdk_files_read_parse_new(r.body, r.len, data, n, out_offset, &e)) {
            fprintf(stderr, "sdkctl: agent %s: %s\n", agent->url, e.msgs[0]);
            rc = SDKCTL_EXIT_SERVER;
        }
        sdk_errors_free(&e);
    }
    sdkctl_resp_free(&r);
    free(url);
    return rc;
}

/* Finds the agent and the sandbox file of a task; *path new. */
static int locate(const sdkctl_ctx *c, const char *task, const char *file, sdkctl_ctx *agent, char **agent_url,
                  char **path) {
    char *esc = sdkctl_escape_new(task);
    char *req = sdk_asprintf_new("/v1/debug/tasks/%s/sandbox", esc);
    free(esc);
    sdkctl_resp r;
    int rc = sdkctl_request(c, "GET", req, NULL, &r);
    if (!rc && r.status / 100 != 2) rc = sdkctl_report_http_error(&r, "GET", req, NULL);
    free(req);
    if (rc) {
        sdkctl_resp_free(&r);
        return rc;
    }
    const char *url = json_string_value(json_object_get(r.json, "agent_url"));
    const char *task_id = json_string_value(json_object_get(r.json, "task_id"));
    const char *agent_id = json_string_value(json_object_get(r.json, "agent_id"));
    if (!task_id || !url) {
        fprintf(stderr, "sdkctl: the scheduler does not know the address of agent %s, which ran %s (it learns "
                        "agents' addresses from their offers: try again once it has had offers from it)\n",
                agent_id ? agent_id : "?", task);
        sdkctl_resp_free(&r);
        return SDKCTL_EXIT_SERVER;
    }
    *agent_url = sdk_xstrdup(url);
    *agent = (sdkctl_ctx){.url = *agent_url, .peer = "the agent", .timeout_s = c->timeout_s, .cacert = c->cacert};
    sdkctl_resp s;
    rc = sdkctl_request(agent, "GET", "/state", NULL, &s);
    if (!rc && s.status / 100 != 2) rc = sdkctl_report_http_error(&s, "GET", "/state", NULL);
    if (!rc) {
        sdk_errors e;
        sdk_errors_init(&e);
        char *dir = NULL;
        if (sdk_sandbox_dir_from_state_new(s.body, s.len, task_id, &dir, &e)) {
            fprintf(stderr, "sdkctl: %s (%s)\n", e.msgs[0], *agent_url);
            rc = SDKCTL_EXIT_SERVER;
        } else {
            *path = sdk_asprintf_new("%s/%s", dir, file);
            free(dir);
        }
        sdk_errors_free(&e);
    }
    sdkctl_resp_free(&s);
    sdkctl_resp_free(&r);
    return rc;
}

/* Prints the last `lines` lines of the file; *size gets its size. Reads back a chunk at a time
 * until it has enough lines or reaches the start. */
static int print_tail(const sdkctl_ctx *agent, const char *path, long lines, long long *size) {
    char *d = NULL;
    size_t n = 0;
    int rc = files_read(agent, path, -1, -1, &d, &n, size);
    free(d);
    if (rc) return rc;
    sdk_buf text; /* the end of the file, growing backwards */
    sdk_buf_init(&text);
    long long from = *size;
    long newlines = 0;
    while (from > 0 && newlines <= lines) {
        long long start = from > CHUNK ? from - CHUNK : 0;
        long long got_offset = 0;
        if ((rc = files_read(agent, path, start, from - start, &d, &n, &got_offset))) break;
        sdk_buf joined;
        sdk_buf_init(&joined);
        sdk_buf_append(&joined, d, n);
        sdk_buf_append(&joined, text.data, text.len);
        sdk_buf_free(&text);
        text = joined;
        for (size_t i = 0; i < n; i++) newlines += d[i] == '\n';
        free(d);
        if (!n) break; /* the file shrank under us */
        from = start;
    }
    if (!rc && lines > 0) {
        char *tail = sdk_tail_lines_new(text.data ? text.data : "", text.len, (size_t)lines);
        if (*tail) printf("%s\n", tail);
        free(tail);
    }
    sdk_buf_free(&text);
    fflush(stdout);
    return rc;
}

/* --follow: prints what is appended, once a second, until interrupted. */
static int follow(const sdkctl_ctx *agent, const char *path, long long offset) {
    for (;;) {
        sleep(1);
        for (;;) {
            char *d = NULL;
            size_t n = 0;
            long long size = 0, got = 0;
            int rc = files_read(agent, path, -1, -1, &d, &n, &size);
            free(d);
            if (rc) return rc;
            if (size < offset) offset = 0; /* truncated or a new file: from its start */
            if (size == offset) break;
            rc = files_read(agent, path, offset, size - offset > CHUNK ? CHUNK : size - offset, &d, &n, &got);
            if (rc) return rc;
            fwrite(d, 1, n, stdout);
            fflush(stdout);
            free(d);
            if (!n) break;
            offset += (long long)n;
        }
    }
}

int sdkctl_cmd_task(const sdkctl_ctx *c, int argc, char **argv) {
    if (argc < 1) return sdkctl_usage_error("task", "missing subcommand");
    if (strcmp(argv[0], "log") != 0) return sdkctl_usage_error("task", "unknown subcommand '%s'", argv[0]);
    static const sdkctl_flag_spec fs[] = {{NULL, "--stderr", false}, {NULL, "--follow", false}, {"-n", "--lines", true}};
    sdkctl_args p;
    int rc = sdkctl_parse_args("task log", argc - 1, argv + 1, fs, 3, &p);
    if (!rc) rc = sdkctl_want_pos("task log", &p, 1, 1, "TASK");
    if (rc) return rc;
    long lines = 10;
    if (p.count[2]) {
        const char *v = p.vals[2][p.count[2] - 1];
        char *end;
        lines = strtol(v, &end, 10);
        if (!*v || *end || lines < 0)
            return sdkctl_usage_error("task log", "--lines '%s': expected a number of lines >= 0", v);
    }
    const char *file = p.count[0] ? "stderr" : "stdout";
    sdkctl_ctx agent;
    char *agent_url = NULL, *path = NULL;
    rc = locate(c, p.pos[0], file, &agent, &agent_url, &path);
    long long size = 0;
    if (!rc) rc = print_tail(&agent, path, lines, &size);
    if (!rc && p.count[1]) rc = follow(&agent, path, size);
    free(path);
    free(agent_url);
    return rc;
}
