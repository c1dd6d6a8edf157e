/* Agent resource/attribute spec parsing and the durable part of the local cluster
 * (<workdir>/state.json: agent ids and checkpointed reservations and volumes). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util/log.h"
#include "core/util/str.h"
#include "local/lc.h"
#include "mesos/pbjson.h"
#include "mesos/resources_pb.h"

static char *trim(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = 0;
    return s;
}

/* One "name(role):value" item. */
static int parse_resource(char *item, sdk_resource *r, sdk_errors *errs) {
    memset(r, 0, sizeof *r);
    char *colon = strchr(item, ':');
    if (!colon) {
        sdk_errors_addf(errs, "resource '%s': expected name:value (e.g. cpus:4)", item);
        return SDK_EINVAL;
    }
    *colon = 0;
    char *name = trim(item), *val = trim(colon + 1), *role = NULL;
    char *paren = strchr(name, '(');
    if (paren) {
        char *close = strchr(paren, ')');
        if (!close || close[1]) {
            sdk_errors_addf(errs, "resource '%s': expected name(role)", name);
            return SDK_EINVAL;
        }
        *paren = 0;
        *close = 0;
        role = paren + 1;
        if (!*role) {
            sdk_errors_addf(errs, "resource '%s': empty role", name);
            return SDK_EINVAL;
        }
    }
    if (!*name || !*val) {
        sdk_errors_addf(errs, "resource '%s': empty name or value", name);
        return SDK_EINVAL;
    }
    r->name = sdk_xstrdup(name);
    if (val[0] == '[') {
        r->type = SDK_RES_RANGES;
        size_t n = strlen(val);
        if (val[n - 1] != ']') goto bad;
        val[n - 1] = 0;
        for (char *save = NULL, *tok = strtok_r(val + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            unsigned long long b, e;
            char *t = trim(tok);
            if (sscanf(t, "%llu-%llu", &b, &e) != 2 || b > e) goto bad;
            r->ranges = sdk_xrealloc(r->ranges, (r->n_ranges + 1) * sizeof *r->ranges);
            r->ranges[r->n_ranges++] = (sdk_range){b, e};
        }
        sdk_ranges_normalize(r->ranges, &r->n_ranges);
    } else if (val[0] == '{') {
        r->type = SDK_RES_SET;
        size_t n = strlen(val);
        if (val[n - 1] != '}') goto bad;
        val[n - 1] = 0;
        for (char *save = NULL, *tok = strtok_r(val + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            r->items = sdk_xrealloc(r->items, (r->n_items + 1) * sizeof *r->items);
            r->items[r->n_items++] = sdk_xstrdup(trim(tok));
        }
    } else {
        char *end;
        double d = strtod(val, &end);
        if (*end || d < 0) goto bad;
        r->type = SDK_RES_SCALAR;
        r->milli = sdk_scalar_to_milli(d);
    }
    if (role && strcmp(role, "*") != 0) {
        r->reservations = sdk_xcalloc(1, sizeof *r->reservations);
        r->n_reservations = 1;
        r->reservations[0].type = SDK_RESV_STATIC;
        r->reservations[0].role = sdk_xstrdup(role);
    }
    return 0;
bad:
    sdk_errors_addf(errs, "resource '%s': bad value (expected a number, [b-e,...] or {a,b})", r->name);
    sdk_resource_free_contents(r);
    return SDK_EINVAL;
}

/* The JSON form of a Mesos agent's --resources: an array of Resource objects, the only form
 * that can declare disk sources (MOUNT/PATH with a root, and a profile). */
static int parse_resources_json(const char *spec, sdk_resources *rs, sdk_errors *errs) {
    json_error_t je;
    json_t *arr = json_loads(spec, 0, &je);
    if (!json_is_array(arr)) {
        if (arr) sdk_errors_addf(errs, "resources: a JSON resource list must be an array of Resource objects");
        else sdk_errors_addf(errs, "resources: invalid JSON: %s (line %d, column %d)", je.text, je.line, je.column);
        json_decref(arr);
        return SDK_EINVAL;
    }
    sdk_resources tmp;
    sdk_resources_init(&tmp);
    int rc = 0;
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item) {
        ProtobufCMessage *m = NULL;
        sdk_errors one;
        sdk_errors_init(&one);
        sdk_resource r;
        if (sdk_pbjson_to_message_new(&mesos__v1__resource__descriptor, item, &m, &one) != 0 ||
            sdk_resource_from_pb(&r, (Mesos__V1__Resource *)m, &one) != 0) {
            sdk_errors_addf(errs, "resources[%zu]: %s", i, one.n ? one.msgs[0] : "not a Resource");
            rc = SDK_EINVAL;
        } else {
            if (r.disk_source == SDK_DISK_MOUNT && !r.disk_source_root) {
                sdk_errors_addf(errs, "resources[%zu]: a MOUNT disk needs disk.source.mount.root", i);
                rc = SDK_EINVAL;
            } else if (r.persistence_id || r.allocation_role ||
                       (r.n_reservations && r.reservations[r.n_reservations - 1].type != SDK_RESV_STATIC)) {
                sdk_errors_addf(errs, "resources[%zu]: an agent's resources are unreserved or statically reserved, "
                                      "without volumes or allocation info", i);
                rc = SDK_EINVAL;
            } else sdk_resources_add(&tmp, &r);
            sdk_resource_free_contents(&r);
        }
        sdk_errors_free(&one);
        sdk_pbjson_message_free(m);
    }
    json_decref(arr);
    if (rc == 0) sdk_resources_add_all(rs, &tmp);
    sdk_resources_free(&tmp);
    return rc;
}

int lc_parse_resources(const char *spec, sdk_resources *rs, sdk_errors *errs) {
    const char *p = spec;
    while (*p == ' ' || *p == '\t' || *p == '\n') p++;
    if (*p == '[') return parse_resources_json(p, rs, errs);
    char *copy = sdk_xstrdup(spec);
    sdk_resources tmp;
    sdk_resources_init(&tmp);
    int rc = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        if (!*trim(tok)) continue;
        sdk_resource r;
        if (parse_resource(tok, &r, errs) != 0) {
            rc = SDK_EINVAL;
            continue;
        }
        sdk_resources_add(&tmp, &r);
        sdk_resource_free_contents(&r);
    }
    free(copy);
    if (rc == 0) sdk_resources_add_all(rs, &tmp);
    sdk_resources_free(&tmp);
    return rc;
}

int lc_parse_attributes(const char *spec, lc_attr **out, size_t *n, sdk_errors *errs) {
    char *copy = sdk_xstrdup(spec);
    lc_attr *v = NULL;
    size_t k = 0;
    int rc = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        char *t = trim(tok);
        if (!*t) continue;
        char *colon = strchr(t, ':');
        if (!colon || colon == t || !colon[1]) {
            sdk_errors_addf(errs, "attribute '%s': expected name:value (e.g. zone:a)", t);
            rc = SDK_EINVAL;
            continue;
        }
        *colon = 0;
        v = sdk_xrealloc(v, (k + 1) * sizeof *v);
        v[k].name = sdk_xstrdup(trim(t));
        v[k].text = sdk_xstrdup(trim(colon + 1));
        char *end;
        v[k].scalar = strtod(v[k].text, &end);
        v[k].is_scalar = *end == 0;
        k++;
    }
    free(copy);
    if (rc) {
        lc_attrs_free(v, k);
        return rc;
    }
    *out = v;
    *n = k;
    return 0;
}

void lc_attrs_free(lc_attr *a, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(a[i].name);
        free(a[i].text);
    }
    free(a);
}

bool lc_is_checkpointed(const sdk_resource *r) {
    if (r->persistence_id) return true;
    for (size_t i = 0; i < r->n_reservations; i++)
        if (r->reservations[i].type == SDK_RESV_DYNAMIC) return true;
    return false;
}

char *lc_volume_path_new(const lc_cluster *c, const sdk_resource *v) {
    /* A volume on a MOUNT disk is the mount root itself (apache/mesos src/slave/paths.cpp,
     * getPersistentVolumePath); on PATH or the agent's root disk, a directory per volume. */
    if (v->disk_source == SDK_DISK_MOUNT && v->disk_source_root) return sdk_xstrdup(v->disk_source_root);
    char *role = sdk_xstrdup(sdk_resource_role(v));
    for (char *p = role; *p; p++)
        if (*p == '/') *p = ' ';
    char *path = sdk_asprintf_new("%s/volumes/roles/%s/%s", c->opt.workdir, role, v->persistence_id);
    free(role);
    return path;
}

void lc_mkdirs(const char *path) {
    if (mkdir(path, 0755) == 0 || errno == EEXIST) return; /* the usual case: parents exist */
    char *p = sdk_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        mkdir(p, 0755);
        *s = '/';
    }
    mkdir(p, 0755);
    free(p);
}

void lc_rmtree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
                char *sub = sdk_asprintf_new("%s/%s", path, e->d_name);
                lc_rmtree(sub);
                free(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else unlink(path);
}

/* The resource a checkpointed one was made from: persistence stripped, dynamic entries popped. */
static void base_of(const sdk_resource *r, sdk_resource *base) {
    sdk_resource_copy(base, r);
    free(base->persistence_id);
    free(base->persistence_principal);
    free(base->volume_container_path);
    base->persistence_id = base->persistence_principal = base->volume_container_path = NULL;
    base->volume_read_only = false;
    while (base->n_reservations && base->reservations[base->n_reservations - 1].type == SDK_RESV_DYNAMIC) {
        sdk_reservation *rv = &base->reservations[--base->n_reservations];
        free(rv->role);
        free(rv->principal);
        for (size_t i = 0; i < rv->n_labels; i++) {
            free(rv->labels[i].key);
            free(rv->labels[i].value);
        }
        free(rv->labels);
    }
}

/* The reverse: r leaves total and the resource it was made from returns. */
static void unapply_checkpointed(lc_agent *a, const sdk_resource *r) {
    sdk_resource base;
    base_of(r, &base);
    if (sdk_resources_subtract(&a->total, r) == 0) sdk_resources_add(&a->total, &base);
    else {
        char *s = sdk_resource_to_string_new(r);
        SDK_WARN("localcluster", "agent %s: journaled removal of %s: not among the agent's resources; ignored", a->id, s);
        free(s);
    }
    sdk_resource_free_contents(&base);
}

static void apply_checkpointed(lc_agent *a, const sdk_resource *r) {
    sdk_resource base;
    base_of(r, &base);
    if (sdk_resources_subtract(&a->total, &base) == 0) sdk_resources_add(&a->total, r);
    else {
        char *s = sdk_resource_to_string_new(r);
        SDK_WARN("localcluster", "agent %s: saved resource %s no longer fits the agent's resources; dropped", a->id, s);
        free(s);
    }
    sdk_resource_free_contents(&base);
}

static int resource_from_json(const json_t *j, sdk_resource *r, sdk_errors *errs) {
    ProtobufCMessage *m = NULL;
    int rc = sdk_pbjson_to_message_new(&mesos__v1__resource__descriptor, j, &m, errs);
    if (rc == 0) rc = sdk_resource_from_pb(r, (Mesos__V1__Resource *)m, errs);
    sdk_pbjson_message_free(m);
    return rc;
}

/* Replays <workdir>/state.log: lines {"gen":G,"ops":[{"agent":i,"op":"add"|"remove",
 * "resource":{...}}]} of the snapshot's generation, in order. A last line without its newline
 * or unparsable is a flush that never completed (nothing depending on it was sent): ignored.
 * A bad line before the last is corruption. */
static int journal_replay(lc_cluster *c, sdk_errors *errs) {
    char *path = sdk_asprintf_new("%s/state.log", c->opt.workdir);
    char *text = NULL;
    size_t len = 0;
    int rc = sdk_read_file_new(path, &text, &len);
    if (rc == SDK_ENOENT) {
        free(path);
        return 0;
    }
    if (rc) {
        sdk_errors_addf(errs, "%s: cannot read it", path);
        free(path);
        return rc;
    }
    rc = 0;
    size_t lineno = 0, applied = 0;
    for (char *line = text; line < text + len && !rc;) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        lineno++;
        bool last = !nl || nl + 1 >= text + len;
        json_error_t jerr;
        json_t *j = nl ? json_loadb(line, (size_t)(nl - line), 0, &jerr) : NULL;
        json_t *ops = j ? json_object_get(j, "ops") : NULL;
        if (!json_is_array(ops) || !json_is_integer(json_object_get(j, "gen"))) {
            if (last) SDK_WARN("localcluster", "%s: line %zu is an incomplete write; ignored", path, lineno);
            else {
                sdk_errors_addf(errs, "%s: line %zu is not a journal entry; move state.json and state.log away to start afresh",
                                path, lineno);
                rc = SDK_ECORRUPT;
            }
        } else if ((unsigned long)json_integer_value(json_object_get(j, "gen")) == c->state_gen) {
            size_t k;
            json_t *op;
            json_array_foreach(ops, k, op) {
                json_t *ji = json_object_get(op, "agent");
                const char *what = json_string_value(json_object_get(op, "op"));
                json_int_t idx = json_is_integer(ji) ? json_integer_value(ji) : -1;
                if (idx < 0 || (size_t)idx >= c->n_agents || !what) continue; /* beyond --agents */
                sdk_errors e2;
                sdk_errors_init(&e2);
                sdk_resource r;
                if (resource_from_json(json_object_get(op, "resource"), &r, &e2) == 0) {
                    if (!strcmp(what, "add")) apply_checkpointed(c->agents[idx], &r);
                    else unapply_checkpointed(c->agents[idx], &r);
                    sdk_resource_free_contents(&r);
                    applied++;
                } else SDK_WARN("localcluster", "%s: line %zu: bad resource: %s", path, lineno, e2.n ? e2.msgs[0] : "?");
                sdk_errors_free(&e2);
            }
        }
        json_decref(j);
        line = nl ? nl + 1 : text + len;
    }
    if (!rc && applied) SDK_INFO("localcluster", "%s: %zu journaled change(s) replayed", path, applied);
    free(text);
    free(path);
    return rc;
}

int lc_state_load(lc_cluster *c, sdk_errors *errs) {
    char *path = sdk_asprintf_new("%s/state.json", c->opt.workdir);
    char *text = NULL;
    size_t len = 0;
    int rc = sdk_read_file_new(path, &text, &len);
    if (rc == SDK_ENOENT) {
        free(path);
        return 0;
    }
    if (rc) {
        sdk_errors_addf(errs, "%s: cannot read it", path);
        free(path);
        return rc;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    free(text);
    json_t *agents = root ? json_object_get(root, "agents") : NULL;
    if (!json_is_array(agents)) {
        sdk_errors_addf(errs, "%s: not a local cluster state file (%s); move it away to start afresh", path,
                        root ? "no \"agents\" array" : jerr.text);
        json_decref(root);
        free(path);
        return SDK_ECORRUPT;
    }
    json_t *gen = json_object_get(root, "generation");
    c->state_gen = json_is_integer(gen) ? (unsigned long)json_integer_value(gen) : 0;
    json_t *na = json_object_get(root, "next_agent");
    if (json_is_integer(na) && (unsigned)json_integer_value(na) > c->next_agent)
        c->next_agent = (unsigned)json_integer_value(na);
    size_t i;
    json_t *ja;
    json_array_foreach(agents, i, ja) {
        json_t *jidx = json_object_get(ja, "index");
        const char *id = json_string_value(json_object_get(ja, "id"));
        if (!json_is_integer(jidx) || !id) continue;
        json_int_t idx = json_integer_value(jidx);
        if (idx < 0 || (size_t)idx >= c->n_agents) {
            SDK_WARN("localcluster", "%s: agent %s (index %lld) is beyond --agents; its reservations are kept in the file only",
                     path, id, (long long)idx);
            continue;
        }
        lc_agent *a = c->agents[idx];
        free(a->id);
        a->id = sdk_xstrdup(id);
        a->gone = json_is_true(json_object_get(ja, "gone"));
        size_t k;
        json_t *jr;
        json_array_foreach(json_object_get(ja, "checkpointed"), k, jr) {
            sdk_errors e2;
            sdk_errors_init(&e2);
            sdk_resource r;
            if (resource_from_json(jr, &r, &e2) == 0) {
                apply_checkpointed(a, &r);
                sdk_resource_free_contents(&r);
            } else {
                SDK_WARN("localcluster", "%s: agent %s: bad saved resource %zu: %s", path, id, k,
                         e2.n ? e2.msgs[0] : "?");
            }
            sdk_errors_free(&e2);
        }
    }
    json_decref(root);
    free(path);
    return journal_replay(c, errs);
}

/* ------------------------------------------------------------------ writing */

static void on_state_timer(sdk_loop *l, uint64_t id, void *ud);

void lc_state_note(lc_cluster *c, const lc_agent *a, const sdk_resource *r, bool add) {
    Mesos__V1__Resource *pb = NULL;
    if (sdk_resource_to_pb_new(r, SDK_RES_FORMAT_REFINED, &pb, NULL) != 0) return;
    json_t *op = json_object();
    json_object_set_new(op, "agent", json_integer(a->idx));
    json_object_set_new(op, "op", json_string(add ? "add" : "remove"));
    json_object_set_new(op, "resource", sdk_pbjson_from_message_new(&pb->base));
    sdk_pb_resource_free(pb);
    char *text = json_dumps(op, JSON_COMPACT);
    json_decref(op);
    if (c->state_pending.len) sdk_buf_putc(&c->state_pending, ',');
    sdk_buf_puts(&c->state_pending, text);
    free(text);
    if (c->state_dirty) return;
    c->state_dirty = true;
    lc_http_hold(c->http);
    if (c->loop) sdk_loop_timer_add(c->loop, 0, on_state_timer, c, &c->state_timer);
}

static int write_all(int fd, const char *p, size_t n) {
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, p + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return SDK_EIO;
        off += (size_t)w;
    }
    return 0;
}

/* Appends the pending entries as one line and syncs it. */
static int journal_append(lc_cluster *c) {
    if (c->state_log_fd < 0) {
        char *path = sdk_asprintf_new("%s/state.log", c->opt.workdir);
        c->state_log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        free(path);
        if (c->state_log_fd < 0) return SDK_EIO;
    }
    sdk_buf line;
    sdk_buf_init(&line);
    sdk_buf_printf(&line, "{\"gen\":%lu,\"ops\":[", c->state_gen);
    sdk_buf_append(&line, c->state_pending.data, c->state_pending.len);
    sdk_buf_puts(&line, "]}\n");
    int rc = write_all(c->state_log_fd, line.data, line.len);
    if (!rc && fdatasync(c->state_log_fd) != 0) rc = SDK_EIO;
    if (!rc) {
        c->state_log_bytes += line.len;
        c->state_appends++;
        c->state_bytes += line.len;
    }
    sdk_buf_free(&line);
    return rc;
}

static void on_state_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_cluster *c = ud;
    c->state_timer = 0;
    lc_state_flush(c);
}

void lc_state_flush(lc_cluster *c) {
    if (!c->state_dirty) return;
    if (c->state_timer) sdk_loop_timer_cancel(c->loop, c->state_timer);
    c->state_timer = 0;
    c->state_dirty = false;
    if (c->state_pending.len) { /* else a snapshot since the change covered it */
        /* The log may grow to twice the snapshot's size (at least 256 KiB) before a new
         * snapshot replaces both, so the bytes written stay linear in the changes made. */
        size_t cap = c->state_snap_bytes > 128 * 1024 ? 2 * c->state_snap_bytes : 256 * 1024;
        if (c->state_log_bytes + c->state_pending.len + 64 > cap || journal_append(c) != 0) lc_state_save(c);
        else sdk_buf_reset(&c->state_pending);
    }
    lc_http_release(c->http); /* a failed write is logged; holding events forever would not help */
}

void lc_state_close(lc_cluster *c) {
    lc_state_flush(c);
    if (c->state_log_fd >= 0) close(c->state_log_fd);
    c->state_log_fd = -1;
    sdk_buf_free(&c->state_pending);
}

int lc_state_save(lc_cluster *c) {
    json_t *root = json_object();
    json_object_set_new(root, "version", json_integer(1));
    json_object_set_new(root, "generation", json_integer((json_int_t)(c->state_gen + 1)));
    json_object_set_new(root, "next_agent", json_integer(c->next_agent));
    json_t *agents = json_array();
    for (size_t i = 0; i < c->n_agents; i++) {
        lc_agent *a = c->agents[i];
        json_t *ja = json_object();
        json_object_set_new(ja, "index", json_integer(a->idx));
        json_object_set_new(ja, "id", json_string(a->id));
        json_object_set_new(ja, "hostname", json_string(a->hostname));
        json_object_set_new(ja, "gone", json_boolean(a->gone));
        json_t *cp = json_array();
        for (size_t k = 0; k < a->total.n; k++) {
            const sdk_resource *r = &a->total.v[k];
            if (!lc_is_checkpointed(r)) continue;
            Mesos__V1__Resource *pb = NULL;
            if (sdk_resource_to_pb_new(r, SDK_RES_FORMAT_REFINED, &pb, NULL) != 0) continue;
            json_array_append_new(cp, sdk_pbjson_from_message_new(&pb->base));
            sdk_pb_resource_free(pb);
        }
        json_object_set_new(ja, "checkpointed", cp);
        json_array_append_new(agents, ja);
    }
    json_object_set_new(root, "agents", agents);
    char *text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    char *path = sdk_asprintf_new("%s/state.json", c->opt.workdir);
    char *tmp = sdk_asprintf_new("%s.tmp", path);
    int rc = SDK_EIO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        size_t n = strlen(text), off = 0;
        while (off < n) {
            ssize_t w = write(fd, text + off, n - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            off += (size_t)w;
        }
        c->state_writes++;
        c->state_bytes += off;
        if (off == n && fsync(fd) == 0 && close(fd) == 0) {
            fd = -1;
            if (rename(tmp, path) == 0) rc = 0;
        }
        if (!rc) { /* the snapshot holds everything: the old journal's lines now belong to an older generation */
            c->state_gen++;
            c->state_snap_bytes = n;
            c->state_log_bytes = 0;
            sdk_buf_reset(&c->state_pending);
            char *log = sdk_asprintf_new("%s/state.log", c->opt.workdir);
            if ((c->state_log_fd >= 0 ? ftruncate(c->state_log_fd, 0) : truncate(log, 0)) != 0 && errno != ENOENT)
                SDK_WARN("localcluster", "cannot truncate %s: %s", log, strerror(errno));
            free(log);
        }
        if (fd >= 0) close(fd);
    }
    if (rc) SDK_ERROR("localcluster", "cannot write %s: %s", path, strerror(errno));
    free(text);
    free(tmp);
    free(path);
    return rc;
}
