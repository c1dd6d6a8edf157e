/* The agents' own HTTP endpoints, as a Mesos agent serves them on its port (5051 on a real
 * cluster): GET /state (the agent's state: frameworks, executors with their sandbox
 * "directory", tasks), GET /files/browse and GET /files/read (src/files/files.cpp). Each simulated
 * agent listens on a port of its own on 127.0.0.1, and the offers' Offer.url points there, so a
 * client reads a sandbox here exactly as it does on a real cluster (core/mesos/sandbox.h).
 *
 * Only files inside the agent's sandboxes (<workdir>/slaves/<agent id>/) are served: a path that
 * resolves elsewhere (.., a symlink out) is 404 like a path the agent never attached.
 */
#include "local/lc.h"
#include "core/util/log.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOD "files"
#define LC_FILES_READ_MAX (16 * 4096) /* Mesos caps one read at 16 pages */
#define LC_FILES_HISTORY 150          /* completed tasks kept per agent (Mesos keeps 150 executors) */

typedef struct gone_task {
    char *fw_id, *ex_id, *directory, *task_id, *name;
    int state;
} gone_task;

struct lc_files_agent {
    lc_agent *a;
    lc_http *http;
    char *root; /* realpath of <workdir>/slaves/<agent id> (made at start) */
    gone_task hist[LC_FILES_HISTORY];
    size_t n_hist, next_hist;
};

static void respond_json(lc_req *req, int status, json_t *j) {
    char *s = json_dumps(j, JSON_COMPACT);
    lc_req_respond(req, status, "application/json", s, strlen(s), NULL, NULL);
    free(s);
    json_decref(j);
}

static const char *state_name(int s) {
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&mesos__v1__task_state__descriptor, s);
    return v ? v->name : "TASK_UNKNOWN";
}

/* ---- /state ---- */

static json_t *task_json(const char *id, const char *name, const char *fw, const char *ex, int state) {
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "name", name ? name : "", "framework_id", fw,
                     "executor_id", ex, "state", state_name(state));
}

static json_t *framework_for(json_t *fws, const char *fw_id) {
    size_t i;
    json_t *f;
    json_array_foreach(fws, i, f) if (!strcmp(json_string_value(json_object_get(f, "id")), fw_id)) return f;
    f = json_pack("{s:s, s:[], s:[]}", "id", fw_id, "executors", "completed_executors");
    json_array_append_new(fws, f);
    return f;
}

static json_t *executor_for(json_t *list, const char *ex_id, const char *fw_id, const char *dir) {
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *d = json_string_value(json_object_get(e, "directory"));
        if (!strcmp(id, ex_id) && !strcmp(d, dir)) return e;
    }
    e = json_pack("{s:s, s:s, s:s, s:[], s:[], s:[]}", "id", ex_id, "framework_id", fw_id, "directory", dir, "tasks",
                  "completed_tasks", "queued_tasks");
    json_array_append_new(list, e);
    return e;
}

static void h_state(struct lc_files_agent *f, lc_req *req) {
    lc_agent *a = f->a;
    lc_cluster *c = a->c;
    json_t *fws = json_array();
    for (lc_task *t = c->tasks; t; t = t->next) {
        if (t->agent != a || !t->ex) continue;
        json_t *fw = framework_for(fws, t->fw_id);
        json_t *ex = executor_for(json_object_get(fw, t->ex->exited ? "completed_executors" : "executors"), t->ex->id,
                                  t->fw_id, t->ex->sandbox);
        bool done = lc_state_is_terminal(t->state);
        json_array_append_new(json_object_get(ex, done ? "completed_tasks" : "tasks"),
                              task_json(t->id, t->info ? t->info->name : "", t->fw_id, t->ex->id, t->state));
    }
    for (size_t k = 0; k < f->n_hist; k++) {
        gone_task *g = &f->hist[k];
        json_t *fw = framework_for(fws, g->fw_id);
        json_t *ex = executor_for(json_object_get(fw, "completed_executors"), g->ex_id, g->fw_id, g->directory);
        json_array_append_new(json_object_get(ex, "completed_tasks"),
                              task_json(g->task_id, g->name, g->fw_id, g->ex_id, g->state));
    }
    char pid[96];
    snprintf(pid, sizeof pid, "slave(1)@127.0.0.1:%u", (unsigned)lc_http_port(f->http));
    json_t *j = json_pack("{s:s, s:s, s:s, s:{s:s}, s:o, s:[]}", "id", a->id, "hostname", a->hostname, "pid", pid,
                          "flags", "work_dir", c->opt.workdir, "frameworks", fws, "completed_frameworks");
    respond_json(req, 200, j);
}

/* ---- /files ---- */

/* The real path of `path` when it lies inside this agent's sandboxes; NULL otherwise (and
 * *missing tells a path that does not exist from one outside). */
static char *resolve_new(struct lc_files_agent *f, const char *path, bool *missing) {
    *missing = false;
    char buf[PATH_MAX];
    if (!realpath(path, buf)) {
        *missing = true;
        return NULL;
    }
    size_t n = strlen(f->root);
    if (strncmp(buf, f->root, n) || (buf[n] != '/' && buf[n] != 0)) return NULL;
    return sdk_xstrdup(buf);
}

/* JSON strings must be UTF-8; sandbox files need not be: an invalid byte becomes '?' so that
 * offsets (bytes) stay right. */
static void utf8_sanitize(char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char ch = (unsigned char)s[i];
        size_t len = ch < 0x80 ? 1 : (ch >> 5) == 6 ? 2 : (ch >> 4) == 14 ? 3 : (ch >> 3) == 30 ? 4 : 0;
        bool ok = len && i + len <= n;
        for (size_t k = 1; ok && k < len; k++) ok = ((unsigned char)s[i + k] >> 6) == 2;
        if (!ok) {
            s[i++] = '?';
            continue;
        }
        i += len;
    }
}

static bool parse_ll(const char *s, long long *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return !*end && errno == 0;
}

static void h_read(struct lc_files_agent *f, lc_req *req) {
    const char *path = lc_req_query(req, "path");
    if (!path || !*path) {
        lc_req_text(req, 400, "Expecting 'path=value' in query.\n");
        return;
    }
    long long offset = -1, length = -1;
    const char *os = lc_req_query(req, "offset"), *ls = lc_req_query(req, "length");
    if (os && !parse_ll(os, &offset)) {
        lc_req_text(req, 400, "Failed to parse offset: not a number.\n");
        return;
    }
    if (offset < -1) {
        lc_req_text(req, 400, "Negative offset provided.\n");
        return;
    }
    if (ls && !parse_ll(ls, &length)) {
        lc_req_text(req, 400, "Failed to parse length: not a number.\n");
        return;
    }
    if (length < -1) {
        lc_req_text(req, 400, "Negative length provided.\n");
        return;
    }
    bool missing;
    char *real = resolve_new(f, path, &missing);
    if (!real) {
        lc_req_text(req, 404, "");
        return;
    }
    struct stat st;
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st)) {
        lc_req_text(req, 404, "");
        if (fd >= 0) close(fd);
        free(real);
        return;
    }
    free(real);
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        lc_req_text(req, 400, "Cannot read a directory.\n");
        return;
    }
    /* offset -1: the size only (the webui's pailer asks so first) */
    long long size = (long long)st.st_size, start = offset < 0 ? 0 : offset;
    long long want = offset < 0 ? 0 : length < 0 ? size - start : length;
    if (start >= size) want = 0;
    if (want > LC_FILES_READ_MAX) want = LC_FILES_READ_MAX;
    if (want > size - start) want = size - start;
    char *data = sdk_xmalloc((size_t)want + 1);
    ssize_t got = want > 0 ? pread(fd, data, (size_t)want, (off_t)start) : 0;
    close(fd);
    if (got < 0) got = 0;
    utf8_sanitize(data, (size_t)got);
    json_t *j = json_object();
    json_object_set_new(j, "data", json_stringn(data, (size_t)got));
    json_object_set_new(j, "offset", json_integer(offset < 0 ? size : offset));
    free(data);
    respond_json(req, 200, j);
}

static void mode_text(mode_t m, char out[11]) {
    out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p'
             : S_ISSOCK(m) ? 's' : '-';
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) out[1 + i] = (m & (1 << (8 - i))) ? rwx[i] : '-';
    out[10] = 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void h_browse(struct lc_files_agent *f, lc_req *req) {
    const char *path = lc_req_query(req, "path");
    if (!path || !*path) {
        lc_req_text(req, 400, "Expecting 'path=value' in query.\n");
        return;
    }
    bool missing;
    char *real = resolve_new(f, path, &missing);
    DIR *d = real ? opendir(real) : NULL;
    if (!d) {
        lc_req_text(req, 404, "");
        free(real);
        return;
    }
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        names = sdk_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = sdk_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    json_t *arr = json_array();
    size_t plen = strlen(path);
    while (plen > 1 && path[plen - 1] == '/') plen--; /* Mesos strips trailing slashes */
    for (size_t i = 0; i < n; i++) {
        char *full = sdk_asprintf_new("%s/%s", real, names[i]);
        struct stat st;
        if (stat(full, &st) == 0) {
            char mode[11], uid[32], gid[32];
            mode_text(st.st_mode, mode);
            struct passwd *pw = getpwuid(st.st_uid);
            struct group *gr = getgrgid(st.st_gid);
            snprintf(uid, sizeof uid, "%s", pw ? pw->pw_name : "");
            if (!pw) snprintf(uid, sizeof uid, "%u", (unsigned)st.st_uid);
            snprintf(gid, sizeof gid, "%s", gr ? gr->gr_name : "");
            if (!gr) snprintf(gid, sizeof gid, "%u", (unsigned)st.st_gid);
            char *vpath = sdk_asprintf_new("%.*s/%s", (int)plen, path, names[i]);
            json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:s}", "path", vpath, "nlink",
                                                 (json_int_t)st.st_nlink, "size", (json_int_t)st.st_size, "mtime",
                                                 (json_int_t)st.st_mtime, "mode", mode, "uid", uid, "gid", gid));
            free(vpath);
        }
        free(full);
        free(names[i]);
    }
    free(names);
    free(real);
    respond_json(req, 200, arr);
}

static void on_agent_request(lc_req *req, void *ud) {
    struct lc_files_agent *f = ud;
    const char *p = lc_req_path(req);
    bool known = !strcmp(p, "/state") || !strcmp(p, "/slave(1)/state") || !strcmp(p, "/files/read") ||
                 !strcmp(p, "/files/browse");
    if (!known) {
        lc_req_text(req, 404, "");
        return;
    }
    if (strcmp(lc_req_method(req), "GET") != 0) {
        lc_req_respond(req, 405, "text/plain; charset=utf-8", "", 0, "Allow", "GET");
        return;
    }
    if (!strcmp(p, "/files/read")) h_read(f, req);
    else if (!strcmp(p, "/files/browse")) h_browse(f, req);
    else h_state(f, req);
}

int lc_files_agent_start(lc_agent *a, sdk_errors *errs) {
    struct lc_files_agent *f = sdk_xcalloc(1, sizeof *f);
    f->a = a;
    char *dir = sdk_asprintf_new("%s/slaves/%s", a->c->opt.workdir, a->id);
    lc_mkdirs(dir);
    char buf[PATH_MAX];
    f->root = sdk_xstrdup(realpath(dir, buf) ? buf : dir);
    free(dir);
    int rc = lc_http_new(a->c->loop, "127.0.0.1:0", on_agent_request, f, &f->http, errs);
    if (rc) {
        free(f->root);
        free(f);
        return rc;
    }
    a->files = f;
    return 0;
}

uint16_t lc_files_agent_port(const lc_agent *a) { return a->files ? lc_http_port(a->files->http) : 0; }

static void gone_clear(gone_task *g) {
    free(g->fw_id);
    free(g->ex_id);
    free(g->directory);
    free(g->task_id);
    free(g->name);
    memset(g, 0, sizeof *g);
}

void lc_files_agent_stop(lc_agent *a) {
    struct lc_files_agent *f = a->files;
    if (!f) return;
    lc_http_free(f->http);
    for (size_t k = 0; k < f->n_hist; k++) gone_clear(&f->hist[k]);
    free(f->root);
    free(f);
    a->files = NULL;
}

void lc_files_task_gone(const lc_task *t) {
    struct lc_files_agent *f = t->agent ? t->agent->files : NULL;
    if (!f || !t->ex) return;
    gone_task *g = &f->hist[f->next_hist];
    gone_clear(g);
    f->next_hist = (f->next_hist + 1) % LC_FILES_HISTORY;
    if (f->n_hist < LC_FILES_HISTORY) f->n_hist++;
    g->fw_id = sdk_xstrdup(t->fw_id);
    g->ex_id = sdk_xstrdup(t->ex->id);
    g->directory = sdk_xstrdup(t->ex->sandbox);
    g->task_id = sdk_xstrdup(t->id);
    g->name = sdk_xstrdup(t->info ? t->info->name : "");
    g->state = t->state;
}
