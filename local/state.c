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

int lc_parse_resources(const char *spec, sdk_resources *rs, sdk_errors *errs) {
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
    char *role = sdk_xstrdup(sdk_resource_role(v));
    for (char *p = role; *p; p++)
        if (*p == '/') *p = ' ';
    char *path = sdk_asprintf_new("%s/volumes/roles/%s/%s", c->opt.workdir, role, v->persistence_id);
    free(role);
    return path;
}

void lc_mkdirs(const char *path) {
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
            ProtobufCMessage *m = NULL;
            sdk_errors e2;
            sdk_errors_init(&e2);
            sdk_resource r;
            if (sdk_pbjson_to_message_new(&mesos__v1__resource__descriptor, jr, &m, &e2) == 0 &&
                sdk_resource_from_pb(&r, (Mesos__V1__Resource *)m, &e2) == 0) {
                apply_checkpointed(a, &r);
                sdk_resource_free_contents(&r);
            } else {
                SDK_WARN("localcluster", "%s: agent %s: bad saved resource %zu: %s", path, id, k,
                         e2.n ? e2.msgs[0] : "?");
            }
            sdk_pbjson_message_free(m);
            sdk_errors_free(&e2);
        }
    }
    json_decref(root);
    free(path);
    return 0;
}

static void on_state_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_cluster *c = ud;
    c->state_timer = 0;
    lc_state_flush(c);
}

void lc_state_changed(lc_cluster *c) {
    if (c->state_dirty) return;
    c->state_dirty = true;
    lc_http_hold(c->http);
    if (c->loop) sdk_loop_timer_add(c->loop, 0, on_state_timer, c, &c->state_timer);
}

void lc_state_flush(lc_cluster *c) {
    if (!c->state_dirty) return;
    if (c->state_timer) sdk_loop_timer_cancel(c->loop, c->state_timer);
    c->state_timer = 0;
    c->state_dirty = false;
    lc_state_save(c); /* a failed write is logged; holding events forever would not help */
    lc_http_release(c->http);
}

int lc_state_save(lc_cluster *c) {
    json_t *root = json_object();
    json_object_set_new(root, "version", json_integer(1));
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
        if (fd >= 0) close(fd);
    }
    if (rc) SDK_ERROR("localcluster", "cannot write %s: %s", path, strerror(errno));
    free(text);
    free(tmp);
    free(path);
    return rc;
}
