/* The user-facing docs (README.md, the docs/ pages, plugins/<name>/README.md) say only what works:
 *  - a fenced block opened with "```sh runnable" is run as a bash script (-e -o pipefail) and
 *    must exit 0;
 *  - a block opened with "```console runnable" is a transcript: each "$ COMMAND" line is run and
 *    the lines after it (up to the next "$ " line) must be its output, stdout and stderr
 *    together; a line holding only "…" stands for any number of lines; a command continues on
 *    lines after a trailing '\', each shown with the shell's "> " prompt;
 *  - an optional "timeout=S" after "runnable" bounds the block (default 60 s).
 * Each block runs in its own temporary directory that links the checkout's bin/ ($SDK_BIN_DIR),
 * plugins/, examples/, tests/, templates/, scripts/, abi/ and Makefile, so paths read as in a
 * checkout and nothing is written into it; SDK_LOG is unset. Commands that talk to a running
 * scheduler are not marked runnable (they need one on 127.0.0.1:8080).
 * Also: no user-facing doc points outside the repository (../shared is our test data only).
 * SDK_DOCS_ONLY=FILE limits the run to one file. */
#include "check.h"
#include "e2e_support.h"
#include "core/util/str.h"
#include <glob.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char repo[PATH_MAX];
static int blocks_run;

static char **doc_files_new(size_t *n) {
    const char *pats[] = {"README.md", "docs/*.md", "plugins/*/README.md", "examples/README.md"};
    char **out = NULL;
    *n = 0;
    const char *only = getenv("SDK_DOCS_ONLY");
    for (size_t i = 0; i < sizeof pats / sizeof *pats; i++) {
        glob_t g;
        if (glob(pats[i], 0, NULL, &g) != 0) continue;
        for (size_t j = 0; j < g.gl_pathc; j++) {
            if (only && *only && strcmp(only, g.gl_pathv[j])) continue;
            out = sdk_xrealloc(out, (*n + 1) * sizeof *out);
            out[(*n)++] = sdk_xstrdup(g.gl_pathv[j]);
        }
        globfree(&g);
    }
    return out;
}

/* A temporary directory that looks like a checkout. Returns a new path (free()). */
static char *sandbox_new(void) {
    char *dir = sdk_xstrdup("/tmp/sdk-docs-XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); free(dir); return NULL; }
    const char *bin = getenv("SDK_BIN_DIR");
    if (!bin || !*bin) bin = "bin";
    char *cmd = sdk_asprintf_new(
        "cd '%s' && ln -s \"$(cd '%s' && cd '%s' && pwd)\" bin && for f in plugins examples tests templates scripts abi Makefile; do "
        "ln -s '%s'/$f $f; done", dir, repo, bin, repo);
    CHECK_INT(system(cmd), 0);
    free(cmd);
    return dir;
}

static void rm_rf(const char *dir) {
    char *cmd = sdk_asprintf_new("rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    free(cmd);
}

/* Runs script with bash in dir under a timeout; returns the exit code, output in *out. */
static int run_in(const char *dir, const char *script, int timeout_s, bool errexit, char **out) {
    char *path = sdk_asprintf_new("%s/.block.sh", dir);
    FILE *f = fopen(path, "w");
    if (!f) { free(path); *out = sdk_xstrdup("cannot write the block"); return -1; }
    fputs(script, f);
    fclose(f);
    char *cmd = sdk_asprintf_new("cd '%s' && env -u SDK_LOG timeout -k 5 %d bash %s .block.sh 2>&1 </dev/null",
                                 dir, timeout_s, errexit ? "-e -o pipefail" : "");
    int rc = e2e_sh_status(cmd, out);
    free(cmd);
    free(path);
    return rc;
}

/* Does `got` (lines) match `want` (lines, "…" = any run of lines)? */
static bool lines_match(char **want, size_t nw, char **got, size_t ng) {
    if (nw == 0) return ng == 0;
    if (!strcmp(want[0], "…")) {
        for (size_t k = 0; k <= ng; k++)
            if (lines_match(want + 1, nw - 1, got + k, ng - k)) return true;
        return false;
    }
    return ng > 0 && !strcmp(want[0], got[0]) && lines_match(want + 1, nw - 1, got + 1, ng - 1);
}

static char **split_lines_new(char *text, size_t *n) {
    char **v = NULL;
    *n = 0;
    size_t len = strlen(text);
    while (len && text[len - 1] == '\n') text[--len] = 0;
    if (!len) return NULL;
    for (char *s = text;;) {
        char *e = strchr(s, '\n');
        if (e) *e = 0;
        v = sdk_xrealloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = s;
        if (!e) break;
        s = e + 1;
    }
    return v;
}

/* The commands of one block share one sandbox, in order, as in a terminal. */
static void run_console(const char *file, int line0, char **lines, size_t n, int timeout_s) {
    char *dir = sandbox_new();
    size_t i = 0;
    while (i < n) {
        if (strncmp(lines[i], "$ ", 2)) {
            CHECK_MSG(0, "%s:%d: a console block must start each command with '$ '", file, line0 + (int)i);
            break;
        }
        size_t cmd_line = i;
        sdk_buf cmd;
        sdk_buf_init(&cmd);
        sdk_buf_puts(&cmd, lines[i] + 2);
        /* continuation lines of a command end with '\' */
        while (cmd.len && cmd.data[cmd.len - 1] == '\\' && i + 1 < n) {
            sdk_buf_putc(&cmd, '\n');
            const char *cont = lines[++i];
            sdk_buf_puts(&cmd, sdk_str_starts(cont, "> ") ? cont + 2 : cont); /* the shell's PS2 */
        }
        i++;
        size_t w0 = i;
        while (i < n && strncmp(lines[i], "$ ", 2)) i++;
        char *out = NULL;
        if (dir) run_in(dir, cmd.data, timeout_s, false, &out);
        size_t ng = 0;
        char **got = out ? split_lines_new(out, &ng) : NULL;
        bool ok = lines_match(lines + w0, i - w0, got, ng);
        if (!ok) {
            fprintf(stderr, "  %s:%d: `%s` printed:\n", file, line0 + (int)cmd_line, cmd.data);
            for (size_t k = 0; k < ng; k++) fprintf(stderr, "    | %s\n", got[k]);
        }
        CHECK_MSG(ok, "%s:%d: the output differs from the doc", file, line0 + (int)cmd_line);
        blocks_run++;
        free(got);
        free(out);
        sdk_buf_free(&cmd);
    }
    if (dir) { rm_rf(dir); free(dir); }
}

static void check_file(const char *file) {
    char *text = NULL;
    if (sdk_read_file_new(file, &text, NULL)) { CHECK_MSG(0, "cannot read %s", file); return; }
    CHECK_MSG(!strstr(text, "../shared"), "%s points at ../shared, which only the project's tests have", file);
    /* the checkout's own absolute path: whatever machine the docs were written on */
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) && strlen(cwd) > 1)
        CHECK_MSG(!strstr(text, cwd), "%s holds a path of the build machine (%s)", file, cwd);
    size_t n = 0;
    char **lines = split_lines_new(text, &n);
    for (size_t i = 0; i < n; i++) {
        const char *l = lines[i];
        bool sh = sdk_str_starts(l, "```sh runnable"), console = sdk_str_starts(l, "```console runnable");
        if (!sh && !console) continue;
        int timeout_s = 60;
        const char *t = strstr(l, "timeout=");
        if (t) timeout_s = atoi(t + 8);
        size_t start = i + 1, end = start;
        while (end < n && strcmp(lines[end], "```")) end++;
        CHECK_MSG(end < n, "%s:%zu: runnable block not closed", file, i + 1);
        if (end >= n) break;
        if (console) {
            run_console(file, (int)start + 1, lines + start, end - start, timeout_s);
        } else {
            sdk_buf script;
            sdk_buf_init(&script);
            for (size_t k = start; k < end; k++) { sdk_buf_puts(&script, lines[k]); sdk_buf_putc(&script, '\n'); }
            char *dir = sandbox_new();
            char *out = NULL;
            int rc = dir ? run_in(dir, script.data, timeout_s, true, &out) : -1;
            if (rc != 0) fprintf(stderr, "  %s:%zu: block output:\n%s\n", file, start, out ? out : "");
            CHECK_MSG(rc == 0, "%s:%zu: runnable block exited %d%s", file, start, rc, rc == 124 ? " (timeout)" : "");
            blocks_run++;
            free(out);
            if (dir) { rm_rf(dir); free(dir); }
            sdk_buf_free(&script);
        }
        i = end;
    }
    free(lines);
    free(text);
}

static void test_docs(void) {
    size_t n = 0;
    char **files = doc_files_new(&n);
    CHECK(n > 0);
    for (size_t i = 0; i < n; i++) {
        check_file(files[i]);
        free(files[i]);
    }
    free(files);
    if (!getenv("SDK_DOCS_ONLY")) CHECK_MSG(blocks_run >= 10, "only %d runnable blocks found", blocks_run);
    printf("docs: %d runnable blocks and commands run\n", blocks_run);
}

/* The architecture diagram is generated from docs/architecture.dot (make docs-diagram). */
static void test_diagram_is_current(void) {
    struct stat a, b;
    CHECK_INT(stat("docs/architecture.dot", &a), 0);
    CHECK_INT(stat("docs/architecture.svg", &b), 0);
    if (system("command -v dot >/dev/null") != 0) { fprintf(stderr, "  (no graphviz: diagram not compared)\n"); return; }
    char *out = NULL;
    char *cmd = sdk_xstrdup("dot -Tsvg docs/architecture.dot | sed -e 's/[[:space:]]*$//' | cmp -s - docs/architecture.svg && echo same");
    FILE *p = popen(cmd, "r");
    char buf[64] = "";
    if (p) { if (!fgets(buf, sizeof buf, p)) buf[0] = 0; pclose(p); }
    CHECK_MSG(!strcmp(buf, "same\n"), "docs/architecture.svg is not what docs/architecture.dot gives: run `make docs-diagram`");
    free(cmd);
    free(out);
}

/* A test of the tester: a transcript that is wrong must fail. */
static void test_console_mismatch_is_caught(void) {
    char *w[] = {"a", "…", "d"};
    char *g1[] = {"a", "b", "c", "d"}, *g2[] = {"a", "d"}, *g3[] = {"a", "b"};
    CHECK(lines_match(w, 3, g1, 4));
    CHECK(lines_match(w, 3, g2, 2));
    CHECK(!lines_match(w, 3, g3, 2));
    char *x[] = {"exact"}, *y[] = {"exact", "more"};
    CHECK(!lines_match(x, 1, y, 2));
}

int main(void) {
    if (!getcwd(repo, sizeof repo)) return 1;
    RUN(test_console_mismatch_is_caught);
    RUN(test_diagram_is_current);
    RUN(test_docs);
    return check_summary("docs");
}
