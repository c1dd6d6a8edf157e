/* svc.yml (already rendered) -> sdk_spec, with the structural checks of sdk-behaviour.md §1.
 *
 * libyaml's document API gives every node a line:column mark. Parsing never stops at the first
 * problem: each one is appended to the caller's error list as
 *   "<file>:<line>:<column>: <key.path>: <message>"
 * where line:column is the key the message is about (or the sequence element), and the
 * spec is discarded when anything was reported. Unknown keys are errors everywhere except
 * directly inside a pod, where dcos-commons ignores them (RawPod is @JsonIgnoreProperties(
 * ignoreUnknown = true)): there they are reported as warnings in the same form, and ignored.
 */
#include "core/spec/spec.h"
#include "core/mapping/mapping.h"
#include "core/spec/envfile.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "mesos/resources.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_DEPTH 32
#define MAX_TEMPLATE_BYTES (1024 * 1024)

typedef struct {
    char *name;        /* advertised port name or discovery prefix */
    const char *pod;   /* owning pod type (points into the spec) */
} seen_name;

typedef struct {
    const char *file, *dir;
    yaml_document_t *doc;
    sdk_errors *errs;
    sdk_errors *warnings;  /* NULL: warnings go to the log */
    size_t n_errs_at_start;
    sdk_buf path;
    size_t plen[MAX_DEPTH];
    yaml_mark_t mark[MAX_DEPTH];
    int depth;
    seen_name *advertised, *prefixes;
    size_t n_advertised, n_prefixes;
} pctx;

/* ------------------------------------------------------------------ context, errors */

/* Descends into `seg` (a key, or "[i]" for a sequence element) whose position is `m`. */
static void enter(pctx *c, const char *seg, yaml_mark_t m) {
    if (c->depth >= MAX_DEPTH) abort(); /* the schema nests far less deeply */
    c->plen[c->depth] = c->path.len;
    c->mark[c->depth] = m;
    c->depth++;
    if (c->path.len && seg[0] != '[') sdk_buf_putc(&c->path, '.');
    sdk_buf_puts(&c->path, seg);
}
static void enter_idx(pctx *c, size_t i, yaml_mark_t m) {
    char seg[32];
    snprintf(seg, sizeof seg, "[%zu]", i);
    enter(c, seg, m);
}
static void leave(pctx *c) {
    c->depth--;
    c->path.len = c->plen[c->depth];
    if (c->path.data) c->path.data[c->path.len] = 0;
}

static void verr_at(pctx *c, yaml_mark_t m, const char *fmt, va_list ap) {
    char *msg = sdk_vasprintf_new(fmt, ap);
    sdk_errors_addf(c->errs, "%s:%zu:%zu: %s: %s", c->file, m.line + 1, m.column + 1,
                    c->path.len ? c->path.data : "(top level)", msg);
    free(msg);
}
/* Warning about the current path, located at m (does not fail the parse). */
static void pwarn_at(pctx *c, yaml_mark_t m, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pwarn_at(pctx *c, yaml_mark_t m, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *msg = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    char *line = sdk_asprintf_new("%s:%zu:%zu: %s: %s", c->file, m.line + 1, m.column + 1,
                                  c->path.len ? c->path.data : "(top level)", msg);
    if (c->warnings) sdk_errors_addf(c->warnings, "%s", line);
    else SDK_WARN("spec", "%s", line);
    free(line);
    free(msg);
}
/* Error about the current path, located at the current key. */
__attribute__((format(printf, 2, 3)))
static void perr(pctx *c, const char *fmt, ...) {
    yaml_mark_t m = { 0, 0, 0 };
    if (c->depth > 0) m = c->mark[c->depth - 1];
    va_list ap;
    va_start(ap, fmt);
    verr_at(c, m, fmt, ap);
    va_end(ap);
}
/* Error about the current path, located at m. */
__attribute__((format(printf, 3, 4)))
static void perr_at(pctx *c, yaml_mark_t m, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr_at(c, m, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ nodes */

static yaml_node_t *node(pctx *c, int idx) { return yaml_document_get_node(c->doc, idx); }
static const char *sval(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

static bool is_null(const yaml_node_t *n) {
    if (!n) return true;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
    const char *v = sval(n);
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}
static bool is_map(const yaml_node_t *n) { return n && n->type == YAML_MAPPING_NODE; }
static bool is_seq(const yaml_node_t *n) { return n && n->type == YAML_SEQUENCE_NODE; }
static bool is_scalar(const yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE; }

static const char *type_name(const yaml_node_t *n) {
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default: return "a scalar";
    }
}

#define PAIRS_BEGIN(m) ((m)->data.mapping.pairs.start)
#define PAIRS_END(m) ((m)->data.mapping.pairs.top)
#define N_PAIRS(m) ((size_t)(PAIRS_END(m) - PAIRS_BEGIN(m)))
#define ITEMS_BEGIN(s) ((s)->data.sequence.items.start)
#define ITEMS_END(s) ((s)->data.sequence.items.top)
#define N_ITEMS(s) ((size_t)(ITEMS_END(s) - ITEMS_BEGIN(s)))

static const char *pair_key(pctx *c, const yaml_node_pair_t *p) {
    yaml_node_t *k = node(c, p->key);
    return is_scalar(k) ? sval(k) : NULL;
}
static yaml_mark_t pair_mark(pctx *c, const yaml_node_pair_t *p) { return node(c, p->key)->start_mark; }
static yaml_node_t *pair_val(pctx *c, const yaml_node_pair_t *p) { return node(c, p->value); }

/* True for a pair to process: scalar key not seen earlier in the mapping (check_map reports
 * the others). */
static bool pair_ok(pctx *c, const yaml_node_t *map, const yaml_node_pair_t *p) {
    const char *k = pair_key(c, p);
    if (!k) return false;
    for (const yaml_node_pair_t *q = PAIRS_BEGIN(map); q < p; q++) {
        const char *qk = pair_key(c, q);
        if (qk && strcmp(qk, k) == 0) return false;
    }
    return true;
}
#define FOR_PAIRS(c, map, p) \
    for (yaml_node_pair_t *p = PAIRS_BEGIN(map); p < PAIRS_END(map); p++) if (pair_ok((c), (map), p))

/* Checks that n (the value at the current path) is a mapping whose keys are scalars, unique
 * and (when `allowed` is not NULL) in allowed. `what` names the object in messages. Returns
 * false, with an error, only when n is not a mapping. */
static bool check_map_ex(pctx *c, const yaml_node_t *n, const char *const *allowed, const char *what,
                         bool tolerate_unknown) {
    if (!is_map(n)) {
        perr(c, "expected %s (a mapping), found %s", what, is_null(n) ? "an empty value" : type_name(n));
        return false;
    }
    for (yaml_node_pair_t *p = PAIRS_BEGIN(n); p < PAIRS_END(n); p++) {
        const char *k = pair_key(c, p);
        if (!k) {
            perr_at(c, pair_mark(c, p), "keys must be plain strings");
            continue;
        }
        bool dup = false;
        for (yaml_node_pair_t *q = PAIRS_BEGIN(n); q < p && !dup; q++) {
            const char *qk = pair_key(c, q);
            dup = qk && strcmp(qk, k) == 0;
        }
        if (dup) {
            perr_at(c, pair_mark(c, p), "duplicate key '%s'", k);
            continue;
        }
        if (!allowed) continue;
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++) known = strcmp(*a, k) == 0;
        if (!known && tolerate_unknown)
            pwarn_at(c, pair_mark(c, p), "unknown key '%s' in %s is ignored (as dcos-commons ignores it)", k, what);
        else if (!known)
            perr_at(c, pair_mark(c, p), "unknown key '%s' in %s", k, what);
    }
    return true;
}
static bool check_map(pctx *c, const yaml_node_t *n, const char *const *allowed, const char *what) {
    return check_map_ex(c, n, allowed, what, false);
}

static yaml_node_pair_t *find(pctx *c, const yaml_node_t *map, const char *key) {
    if (!is_map(map)) return NULL;
    for (yaml_node_pair_t *p = PAIRS_BEGIN(map); p < PAIRS_END(map); p++) {
        const char *k = pair_key(c, p);
        if (k && strcmp(k, key) == 0) return p;
    }
    return NULL;
}
static void enter_pair(pctx *c, yaml_node_pair_t *p) { enter(c, pair_key(c, p), pair_mark(c, p)); }

/* The pair of `key` when present with a non-null value. A required key that is absent or
 * empty is reported. */
static yaml_node_pair_t *get(pctx *c, const yaml_node_t *map, const char *key, bool required) {
    yaml_node_pair_t *p = find(c, map, key);
    if (p && !is_null(pair_val(c, p))) return p;
    if (!required) return NULL;
    if (!p) {
        perr(c, "missing required key '%s'", key);
    } else {
        enter_pair(c, p);
        perr(c, "a value is required (the value is empty: is a template variable unset?)");
        leave(c);
    }
    return NULL;
}

/* ------------------------------------------------------------------ scalar getters */
/* Each getter enters the key, reports a bad value there, and returns true when *out was set. */

static bool scalar_or_err(pctx *c, const yaml_node_t *v, const char *want) {
    if (is_scalar(v)) return true;
    perr(c, "expected %s, found %s", want, type_name(v));
    return false;
}

static bool parse_i64(const char *s, int64_t *out) {
    if (!*s || isspace((unsigned char)*s)) return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}
static bool parse_f64(const char *s, double *out) {
    if (!*s || !(isdigit((unsigned char)*s) || *s == '-' || *s == '+' || *s == '.')) return false;
    if (strpbrk(s, "xXnN")) return false; /* no hex floats, nan, inf */
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v)) return false;
    *out = v;
    return true;
}

static bool get_str(pctx *c, const yaml_node_t *map, const char *key, bool req, char **out) {
    yaml_node_pair_t *p = get(c, map, key, req);
    if (!p) return false;
    enter_pair(c, p);
    bool ok = scalar_or_err(c, pair_val(c, p), "a string");
    if (ok) {
        free(*out);
        *out = sdk_xstrdup(sval(pair_val(c, p)));
    }
    leave(c);
    return ok;
}
static bool get_int(pctx *c, const yaml_node_t *map, const char *key, bool req, int64_t min,
                    int64_t max, int64_t *out) {
    yaml_node_pair_t *p = get(c, map, key, req);
    if (!p) return false;
    enter_pair(c, p);
    yaml_node_t *v = pair_val(c, p);
    bool ok = scalar_or_err(c, v, "an integer");
    int64_t x = 0;
    if (ok && !parse_i64(sval(v), &x)) {
        perr(c, "expected an integer, found '%s'", sval(v));
        ok = false;
    }
    if (ok && (x < min || x > max)) {
        if (max >= INT32_MAX && x < min) perr(c, "must be at least %lld, found %lld", (long long)min, (long long)x);
        else perr(c, "must be between %lld and %lld, found %lld", (long long)min, (long long)max,
                  (long long)x);
        ok = false;
    }
    if (ok) *out = x;
    leave(c);
    return ok;
}
/* Mesos keeps a scalar as thousandths in an int64 and refuses a non-zero value that rounds to 0
 * (apache/mesos src/common/values.cpp convertToFixed, src/common/resources.cpp validate): a
 * resource amount x > 0 must survive that conversion, within SDK_SCALAR_MAX (mesos/resources.h),
 * or it would be dropped or overflow later. Reports at the current key. */
static bool scalar_representable(pctx *c, double x, const char *text) {
    int64_t milli = 0;
    if (!sdk_scalar_to_milli_checked(x, &milli)) {
        perr(c, "%s is too large: a resource amount must be at most %.3f (Mesos keeps 3 decimals "
             "in a 64-bit integer)", text, SDK_SCALAR_MAX);
        return false;
    }
    if (milli == 0) {
        perr(c, "%s is too small: Mesos keeps 3 decimals, so the smallest amount is 0.001", text);
        return false;
    }
    return true;
}

/* A number > 0 (resources), representable as a Mesos scalar. */
static bool get_pos_num(pctx *c, const yaml_node_t *map, const char *key, double *out) {
    yaml_node_pair_t *p = get(c, map, key, false);
    if (!p) return false;
    enter_pair(c, p);
    yaml_node_t *v = pair_val(c, p);
    bool ok = scalar_or_err(c, v, "a number");
    double x = 0;
    if (ok && !parse_f64(sval(v), &x)) {
        perr(c, "expected a number, found '%s'", sval(v));
        ok = false;
    }
    if (ok && x <= 0) {
        perr(c, "must be greater than 0, found %s", sval(v));
        ok = false;
    }
    if (ok) ok = scalar_representable(c, x, sval(v));
    if (ok) *out = x;
    leave(c);
    return ok;
}
static bool get_bool(pctx *c, const yaml_node_t *map, const char *key, bool *out) {
    yaml_node_pair_t *p = get(c, map, key, false);
    if (!p) return false;
    enter_pair(c, p);
    yaml_node_t *v = pair_val(c, p);
    bool ok = scalar_or_err(c, v, "true or false");
    if (ok) {
        if (strcasecmp(sval(v), "true") == 0) *out = true;
        else if (strcasecmp(sval(v), "false") == 0) *out = false;
        else { perr(c, "expected true or false, found '%s'", sval(v)); ok = false; }
    }
    leave(c);
    return ok;
}
/* A list of strings; *out/n_out get a new array. */
static bool get_strv(pctx *c, const yaml_node_t *map, const char *key, char ***out, size_t *n_out) {
    yaml_node_pair_t *p = get(c, map, key, false);
    if (!p) return false;
    enter_pair(c, p);
    yaml_node_t *v = pair_val(c, p);
    bool ok = is_seq(v);
    if (!ok) {
        perr(c, "expected a list of strings, found %s", type_name(v));
    } else {
        *out = sdk_xcalloc(N_ITEMS(v), sizeof(char *));
        size_t i = 0;
        for (yaml_node_item_t *it = ITEMS_BEGIN(v); it < ITEMS_END(v); it++, i++) {
            yaml_node_t *e = node(c, *it);
            if (!is_scalar(e) || is_null(e)) {
                enter_idx(c, i, e->start_mark);
                perr(c, "expected a string, found %s", is_null(e) ? "an empty value" : type_name(e));
                leave(c);
                ok = false;
                continue;
            }
            (*out)[(*n_out)++] = sdk_xstrdup(sval(e));
        }
    }
    leave(c);
    return ok;
}

/* ------------------------------------------------------------------ shared pieces */

static bool match_segment(const char *s, bool allow_dot) {
    if (!*s) return false;
    for (const char *p = s; *p; p++) {
        bool ok = isalnum((unsigned char)*p) || (p > s && (*p == '_' || *p == '-')) ||
                  (allow_dot && (*p == '.' || *p == '_' || *p == '-'));
        if (!ok) return false;
    }
    return true;
}
/* A path of segments [.A-Za-z0-9][.A-Za-z0-9_-]* joined by '/', optionally absolute. */
static bool match_path(const char *s, bool absolute) {
    if (absolute != (*s == '/')) return false;
    if (absolute) s++;
    if (!*s) return false;
    char *copy = sdk_xstrdup(s), *save = NULL;
    bool ok = true;
    size_t len = strlen(copy);
    if (copy[len - 1] == '/') ok = false;
    for (char *seg = strtok_r(copy, "/", &save); seg && ok; seg = strtok_r(NULL, "/", &save))
        ok = match_segment(seg, true) && (isalnum((unsigned char)seg[0]) || seg[0] == '.');
    if (strstr(s, "//")) ok = false;
    free(copy);
    return ok;
}

/* Names that become parts of task ids ("<pod>-<index>-<task>__<uuid>"), state store paths
 * (Tasks/<pod>-<index>-<task>) and URLs (/v1/plans/<plan>, /v1/pod/<pod>-<index>/...): pod types,
 * task names, resource set ids, plan and phase names. dcos-commons only refuses "__" in task
 * names (and empty keys); a '/', "..", a newline or a space there breaks those ids and paths
 * at run time, forever, so refuse them here. Rule: [A-Za-z0-9][A-Za-z0-9_-]*, without "__", at
 * most 128 characters. Reports at the current key; `what` names the object ("pod type"). */
#define NAME_MAX_LEN 128
static bool check_name(pctx *c, const char *what, const char *name) {
    const char *why = NULL;
    size_t len = strlen(name);
    if (!len) why = "it is empty";
    else if (len > NAME_MAX_LEN) why = "it is longer than 128 characters";
    else if (!isalnum((unsigned char)name[0])) why = "it must start with a letter or digit";
    else if (strstr(name, "__")) why = "it contains '__' (task ids use it as a separator)";
    for (const char *q = name; !why && *q; q++)
        if (!isalnum((unsigned char)*q) && *q != '-' && *q != '_') why = "it contains a character other than letters, digits, '-' and '_'";
    if (!why) return true;
    char *shown = sdk_xstrdup(name);
    for (char *q = shown; *q; q++)
        if ((unsigned char)*q < 0x20 || *q == 0x7f) *q = '?';
    perr(c, "invalid %s name '%s': %s (names must match [A-Za-z0-9][A-Za-z0-9_-]*, at most %d "
         "characters, because they become parts of task ids and state paths)", what, shown, why,
         NAME_MAX_LEN);
    free(shown);
    return false;
}

/* One volume object; the caller has entered its key. */
static void parse_volume(pctx *c, const yaml_node_t *n, sdk_volume_spec *v) {
    static const char *const KEYS[] = { "path", "type", "size", "profiles", NULL };
    if (!check_map(c, n, KEYS, "a volume")) return;
    if (get_str(c, n, "path", true, &v->path) && !match_segment(v->path, false)) {
        enter_pair(c, find(c, n, "path"));
        perr(c, "invalid volume path '%s': must be one path segment matching "
             "[A-Za-z0-9][A-Za-z0-9_-]* (no '/' or '.')", v->path);
        leave(c);
    }
    char *type = NULL;
    if (get_str(c, n, "type", true, &type)) {
        if (strcmp(type, "ROOT") == 0) v->type = SDK_VOLUME_ROOT;
        else if (strcmp(type, "MOUNT") == 0) v->type = SDK_VOLUME_MOUNT;
        else {
            enter_pair(c, find(c, n, "type"));
            perr(c, "unknown volume type '%s' (expected ROOT or MOUNT)", type);
            leave(c);
        }
    }
    free(type);
    /* disk MB become thousandths of MB in Mesos: bounded like every scalar */
    get_int(c, n, "size", true, 1, SDK_SCALAR_MAX_MILLI / 1000, &v->size_mb);
    if (get_strv(c, n, "profiles", &v->profiles, &v->n_profiles)) {
        enter_pair(c, find(c, n, "profiles"));
        if (v->type != SDK_VOLUME_MOUNT && v->n_profiles)
            perr(c, "profiles are only allowed on MOUNT volumes");
        for (size_t i = 0; i < v->n_profiles; i++) {
            const char *pr = v->profiles[i];
            size_t len = strlen(pr);
            bool ok = len >= 1 && len <= 128;
            for (const char *q = pr; *q && ok; q++)
                ok = isalnum((unsigned char)*q) || *q == '_' || *q == '.' || *q == '-';
            if (!ok) perr(c, "invalid profile '%s' (expected 1 to 128 of [A-Za-z0-9_.-])", pr);
            for (size_t j = 0; j < i; j++)
                if (strcmp(v->profiles[j], pr) == 0) perr(c, "duplicate profile '%s'", pr);
        }
        leave(c);
    }
}

/* `volume:` and/or `volumes:` of n appended to (*vols, *n). `both_ok`: pods accept both. */
static void parse_volumes(pctx *c, const yaml_node_t *n, bool both_ok, sdk_volume_spec **vols,
                          size_t *nv) {
    yaml_node_pair_t *one = get(c, n, "volume", false), *many = get(c, n, "volumes", false);
    if (one && many && !both_ok) {
        enter_pair(c, many);
        perr(c, "'volume' and 'volumes' cannot both be given");
        leave(c);
    }
    size_t cap = *nv + (one ? 1 : 0);
    if (many && is_map(pair_val(c, many))) cap += N_PAIRS(pair_val(c, many));
    if (cap == *nv) return;
    *vols = sdk_xrealloc(*vols, cap * sizeof **vols);
    size_t first = *nv;
    if (one) {
        enter_pair(c, one);
        memset(&(*vols)[*nv], 0, sizeof **vols);
        parse_volume(c, pair_val(c, one), &(*vols)[(*nv)++]);
        leave(c);
    }
    if (many) {
        enter_pair(c, many);
        yaml_node_t *m = pair_val(c, many);
        if (check_map(c, m, NULL, "a mapping of volume name to volume")) {
            FOR_PAIRS(c, m, p) {
                enter_pair(c, p);
                memset(&(*vols)[*nv], 0, sizeof **vols);
                parse_volume(c, pair_val(c, p), &(*vols)[(*nv)++]);
                leave(c);
            }
        }
        leave(c);
    }
    for (size_t i = first; i < *nv; i++)
        for (size_t j = first; j < i; j++)
            if ((*vols)[i].path && sdk_streq((*vols)[i].path, (*vols)[j].path))
                perr(c, "two volumes have the same path '%s'", (*vols)[i].path);
}

static void parse_limit(pctx *c, const yaml_node_t *n, const char *key, sdk_limit *l) {
    yaml_node_pair_t *p = get(c, n, key, false);
    if (!p) return;
    enter_pair(c, p);
    yaml_node_t *v = pair_val(c, p);
    if (scalar_or_err(c, v, "a number or 'unlimited'")) {
        double x;
        if (strcasecmp(sval(v), "unlimited") == 0) {
            *l = (sdk_limit){ true, true, 0 };
        } else if (parse_f64(sval(v), &x) && x > 0) {
            if (scalar_representable(c, x, sval(v))) *l = (sdk_limit){ true, false, x };
        } else {
            perr(c, "expected a number greater than 0 or 'unlimited', found '%s'", sval(v));
        }
    }
    leave(c);
}

static void note_advertised(pctx *c, const char *name, const char *pod) {
    for (size_t i = 0; i < c->n_advertised; i++)
        if (strcmp(c->advertised[i].name, name) == 0) {
            perr(c, "advertised port name '%s' is already used in pod '%s' (advertised port names "
                 "must be unique in the service)", name, c->advertised[i].pod);
            return;
        }
    c->advertised = sdk_xrealloc(c->advertised, (c->n_advertised + 1) * sizeof *c->advertised);
    c->advertised[c->n_advertised++] = (seen_name){ sdk_xstrdup(name), pod };
}

static void parse_port(pctx *c, const yaml_node_t *n, sdk_port_spec *pt) {
    static const char *const KEYS[] = { "port", "env-key", "advertise", "vip", "ranges", NULL };
    if (!check_map(c, n, KEYS, "a port")) return;
    int64_t num = 0;
    if (get_int(c, n, "port", true, 0, 65535, &num)) pt->port = (uint32_t)num;
    get_str(c, n, "env-key", false, &pt->env_key);
    get_bool(c, n, "advertise", &pt->advertise);
    yaml_node_pair_t *vp = get(c, n, "vip", false);
    if (vp) {
        static const char *const VKEYS[] = { "prefix", "port", NULL };
        enter_pair(c, vp);
        yaml_node_t *v = pair_val(c, vp);
        if (check_map(c, v, VKEYS, "a VIP")) {
            if (!get_str(c, v, "prefix", false, &pt->vip_prefix)) pt->vip_prefix = sdk_xstrdup(pt->name);
            int64_t vport = 0;
            if (get_int(c, v, "port", false, 0, 65535, &vport)) pt->vip_port = (uint32_t)vport;
        }
        leave(c);
    }
    yaml_node_pair_t *rp = get(c, n, "ranges", false);
    if (rp) {
        enter_pair(c, rp);
        yaml_node_t *r = pair_val(c, rp);
        if (!is_seq(r)) {
            perr(c, "expected a list of {begin, end}, found %s", type_name(r));
        } else {
            pt->ranges = sdk_xcalloc(N_ITEMS(r), sizeof *pt->ranges);
            size_t i = 0;
            for (yaml_node_item_t *it = ITEMS_BEGIN(r); it < ITEMS_END(r); it++, i++) {
                static const char *const RKEYS[] = { "begin", "end", NULL };
                yaml_node_t *e = node(c, *it);
                enter_idx(c, i, e->start_mark);
                int64_t b = 0, en = 0;
                if (check_map(c, e, RKEYS, "a port range")) {
                    get_int(c, e, "begin", false, 0, 65535, &b);
                    get_int(c, e, "end", false, 0, 65535, &en);
                    if (en == 0) en = 65535;
                    if (b > en) perr(c, "range begin %lld is greater than end %lld", (long long)b,
                                     (long long)en);
                }
                pt->ranges[pt->n_ranges++] = (sdk_port_range){ (uint32_t)b, (uint32_t)en };
                leave(c);
            }
        }
        leave(c);
    }
}

/* cpus/gpus/memory/resource-limits/ports/volume(s) of n into rs (whose id is set). */
static void parse_resources(pctx *c, const yaml_node_t *n, const char *pod, sdk_resource_set *rs) {
    get_pos_num(c, n, "cpus", &rs->cpus);
    get_pos_num(c, n, "gpus", &rs->gpus);
    get_pos_num(c, n, "memory", &rs->memory_mb);
    yaml_node_pair_t *lp = get(c, n, "resource-limits", false);
    if (lp) {
        static const char *const LKEYS[] = { "cpus", "memory", NULL };
        enter_pair(c, lp);
        if (check_map(c, pair_val(c, lp), LKEYS, "resource limits")) {
            parse_limit(c, pair_val(c, lp), "cpus", &rs->cpus_limit);
            parse_limit(c, pair_val(c, lp), "memory", &rs->memory_limit);
        }
        leave(c);
    }
    yaml_node_pair_t *pp = get(c, n, "ports", false);
    if (pp) {
        enter_pair(c, pp);
        yaml_node_t *m = pair_val(c, pp);
        if (check_map(c, m, NULL, "a mapping of port name to port")) {
            rs->ports = sdk_xcalloc(N_PAIRS(m), sizeof *rs->ports);
            FOR_PAIRS(c, m, p) {
                enter_pair(c, p);
                sdk_port_spec *pt = &rs->ports[rs->n_ports++];
                pt->name = sdk_xstrdup(pair_key(c, p));
                parse_port(c, pair_val(c, p), pt);
                for (size_t j = 0; j + 1 < rs->n_ports; j++) {
                    const sdk_port_spec *o = &rs->ports[j];
                    if (pt->port && o->port == pt->port)
                        perr(c, "port %u is also used by port '%s' of the same resource set",
                             (unsigned)pt->port, o->name);
                    if (pt->vip_prefix && strcmp(pt->vip_prefix, o->name) == 0)
                        perr(c, "VIP prefix '%s' equals the name of another port", pt->vip_prefix);
                    if (o->vip_prefix && strcmp(o->vip_prefix, pt->name) == 0)
                        perr(c, "port name '%s' equals the VIP prefix of port '%s'", pt->name, o->name);
                }
                if (pt->advertise) note_advertised(c, pt->name, pod);
                leave(c);
            }
        }
        leave(c);
    }
    parse_volumes(c, n, false, &rs->volumes, &rs->n_volumes);
}

static bool rs_has_resources(const sdk_resource_set *rs) {
    return rs->cpus > 0 || rs->gpus > 0 || rs->memory_mb > 0 || rs->n_ports > 0;
}

/* ------------------------------------------------------------------ tasks */

static void parse_check(pctx *c, const yaml_node_t *n, bool health, sdk_check_spec *k) {
    static const char *const HKEYS[] = { "cmd", "interval", "timeout", "delay", "grace-period",
                                         "max-consecutive-failures", NULL };
    static const char *const RKEYS[] = { "cmd", "interval", "timeout", "delay", NULL };
    if (!check_map(c, n, health ? HKEYS : RKEYS, health ? "a health check" : "a readiness check"))
        return;
    k->present = true;
    get_str(c, n, "cmd", true, &k->cmd);
    get_int(c, n, "interval", true, 0, INT64_MAX, &k->interval_s);
    get_int(c, n, "timeout", true, 0, INT64_MAX, &k->timeout_s);
    get_int(c, n, "delay", health, 0, INT64_MAX, &k->delay_s);
    if (health) {
        get_int(c, n, "grace-period", true, 0, INT64_MAX, &k->grace_period_s);
        get_int(c, n, "max-consecutive-failures", true, 1, INT64_MAX, &k->max_consecutive_failures);
    }
}

static void parse_labels(pctx *c, const char *csv, sdk_kv **out, size_t *n) {
    char *err = NULL;
    if (sdk_labels_csv_split_new(csv, out, n, &err)) {
        perr(c, "%s", err);
        free(err);
    }
}

static void note_prefix(pctx *c, const char *prefix, const char *pod) {
    for (size_t i = 0; i < c->n_prefixes; i++)
        if (strcmp(c->prefixes[i].name, prefix) == 0) {
            if (strcmp(c->prefixes[i].pod, pod) != 0)
                perr(c, "discovery prefix '%s' is also used by pod '%s' (prefixes must be unique "
                     "across pod types)", prefix, c->prefixes[i].pod);
            return;
        }
    c->prefixes = sdk_xrealloc(c->prefixes, (c->n_prefixes + 1) * sizeof *c->prefixes);
    c->prefixes[c->n_prefixes++] = (seen_name){ sdk_xstrdup(prefix), pod };
}

static void read_template(pctx *c, sdk_config_spec *cf) {
    if (!c->dir || !cf->template_path) return;
    char *path = cf->template_path[0] == '/' ? sdk_xstrdup(cf->template_path)
                                             : sdk_asprintf_new("%s/%s", c->dir, cf->template_path);
    char *text = NULL;
    size_t len = 0;
    int rc = sdk_read_file_new(path, &text, &len);
    if (rc != 0) {
        perr(c, "cannot read template '%s': %s", path, rc == SDK_ENOENT ? "no such file" : "I/O error");
    } else if (len > MAX_TEMPLATE_BYTES) {
        perr(c, "template '%s' is %zu bytes, more than the 1 MiB limit", path, len);
    } else if (strlen(text) != len) {
        perr(c, "template '%s' contains a NUL byte", path);
    } else {
        cf->template_content = text;
        text = NULL;
    }
    free(text);
    free(path);
}

static void parse_configs(pctx *c, const yaml_node_t *m, sdk_task_spec *t) {
    static const char *const KEYS[] = { "template", "dest", NULL };
    if (!check_map(c, m, NULL, "a mapping of config name to {template, dest}")) return;
    t->configs = sdk_xcalloc(N_PAIRS(m), sizeof *t->configs);
    FOR_PAIRS(c, m, p) {
        enter_pair(c, p);
        sdk_config_spec *cf = &t->configs[t->n_configs++];
        cf->name = sdk_xstrdup(pair_key(c, p));
        yaml_node_t *v = pair_val(c, p);
        if (check_map(c, v, KEYS, "a config")) {
            if (get_str(c, v, "template", true, &cf->template_path)) {
                enter_pair(c, find(c, v, "template"));
                read_template(c, cf);
                leave(c);
            }
            get_str(c, v, "dest", true, &cf->dest);
            for (size_t j = 0; j + 1 < t->n_configs && cf->dest; j++)
                if (sdk_streq(t->configs[j].dest, cf->dest))
                    perr(c, "dest '%s' is also used by config '%s'", cf->dest, t->configs[j].name);
        }
        leave(c);
    }
}

static void parse_transport(pctx *c, const yaml_node_t *s, sdk_task_spec *t) {
    static const char *const KEYS[] = { "name", "type", NULL };
    if (!is_seq(s)) {
        perr(c, "expected a list of {name, type}, found %s", type_name(s));
        return;
    }
    t->transport_encryption = sdk_xcalloc(N_ITEMS(s), sizeof(char *));
    t->transport_encryption_types = sdk_xcalloc(N_ITEMS(s), sizeof(char *));
    size_t i = 0;
    for (yaml_node_item_t *it = ITEMS_BEGIN(s); it < ITEMS_END(s); it++, i++) {
        yaml_node_t *e = node(c, *it);
        enter_idx(c, i, e->start_mark);
        size_t k = t->n_transport_encryption++;
        if (check_map(c, e, KEYS, "a transport-encryption entry")) {
            get_str(c, e, "name", true, &t->transport_encryption[k]);
            if (get_str(c, e, "type", true, &t->transport_encryption_types[k]) &&
                strcmp(t->transport_encryption_types[k], "TLS") != 0 &&
                strcmp(t->transport_encryption_types[k], "KEYSTORE") != 0) {
                enter_pair(c, find(c, e, "type"));
                perr(c, "unknown transport encryption type '%s' (expected TLS or KEYSTORE)",
                     t->transport_encryption_types[k]);
                leave(c);
            }
        }
        leave(c);
    }
}

static const char *const TASK_KEYS[] = {
    "goal", "cmd", "essential", "env", "configs", "cpus", "gpus", "memory", "resource-limits",
    "ports", "volume", "volumes", "resource-set", "health-check", "readiness-check", "discovery",
    "labels", "transport-encryption", "kill-grace-period", "ipc-mode", "shm-size", NULL
};
/* For check_map: `uris` is reported separately with a hint. */
static const char *const TASK_KEYS_AND_URIS[] = {
    "goal", "cmd", "essential", "env", "configs", "cpus", "gpus", "memory", "resource-limits",
    "ports", "volume", "volumes", "resource-set", "health-check", "readiness-check", "discovery",
    "labels", "transport-encryption", "kill-grace-period", "ipc-mode", "shm-size", "uris", NULL
};

static void rs_free_contents(sdk_resource_set *rs) {
    free(rs->id);
    for (size_t i = 0; i < rs->n_ports; i++) {
        free(rs->ports[i].name); free(rs->ports[i].env_key); free(rs->ports[i].vip_prefix);
        free(rs->ports[i].ranges);
    }
    free(rs->ports);
    for (size_t i = 0; i < rs->n_volumes; i++) {
        free(rs->volumes[i].path);
        for (size_t j = 0; j < rs->volumes[i].n_profiles; j++) free(rs->volumes[i].profiles[j]);
        free(rs->volumes[i].profiles);
    }
    free(rs->volumes);
}

/* Parses one task; an implicit resource set, when the task has no `resource-set`, is returned
 * in *implicit (zeroed otherwise). */
static void parse_task(pctx *c, const yaml_node_t *n, const sdk_pod_spec *pod, sdk_task_spec *t,
                       sdk_resource_set *implicit, bool *has_implicit) {
    t->essential = true;
    *has_implicit = false;
    check_name(c, "task", t->name);
    if (!is_map(n)) {
        check_map(c, n, TASK_KEYS, "a task");
        return;
    }
    for (yaml_node_pair_t *p = PAIRS_BEGIN(n); p < PAIRS_END(n); p++) {
        const char *k = pair_key(c, p);
        if (k && strcmp(k, "uris") == 0)
            perr_at(c, pair_mark(c, p), "unknown key 'uris' in a task ('uris' belongs to the pod)");
    }
    check_map(c, n, TASK_KEYS_AND_URIS, "a task");

    yaml_node_pair_t *gp = get(c, n, "goal", true);
    if (gp) {
        enter_pair(c, gp);
        yaml_node_t *v = pair_val(c, gp);
        if (scalar_or_err(c, v, "a goal")) {
            const char *g = sval(v);
            if (strcasecmp(g, "RUNNING") == 0) t->goal = SDK_GOAL_RUNNING;
            else if (strcasecmp(g, "FINISH") == 0) t->goal = SDK_GOAL_FINISH;
            else if (strcasecmp(g, "ONCE") == 0) t->goal = SDK_GOAL_ONCE;
            else if (strcasecmp(g, "FINISHED") == 0)
                perr(c, "goal 'FINISHED' is no longer supported: use FINISH (runs again after a "
                     "config change) or ONCE (runs once)");
            else perr(c, "unknown goal '%s' (expected RUNNING, FINISH or ONCE)", g);
        }
        leave(c);
    }
    get_str(c, n, "cmd", true, &t->cmd);
    get_bool(c, n, "essential", &t->essential);

    yaml_node_pair_t *ep = get(c, n, "env", false);
    if (ep) {
        enter_pair(c, ep);
        yaml_node_t *m = pair_val(c, ep);
        if (check_map(c, m, NULL, "a mapping of variable name to value")) {
            t->env = sdk_xcalloc(N_PAIRS(m), sizeof *t->env);
            FOR_PAIRS(c, m, p) {
                yaml_node_t *v = pair_val(c, p);
                if (!is_null(v) && !is_scalar(v)) {
                    enter_pair(c, p);
                    perr(c, "expected a string value, found %s", type_name(v));
                    leave(c);
                    continue;
                }
                t->env[t->n_env++] = (sdk_kv){ sdk_xstrdup(pair_key(c, p)),
                                               sdk_xstrdup(is_null(v) ? "" : sval(v)) };
            }
        }
        leave(c);
    }
    yaml_node_pair_t *cp = get(c, n, "configs", false);
    if (cp) {
        enter_pair(c, cp);
        parse_configs(c, pair_val(c, cp), t);
        leave(c);
    }

    /* Resources: inline ones always type-checked; used only without `resource-set`. */
    sdk_resource_set rs = { 0 };
    rs.id = sdk_asprintf_new("%s-resource-set", t->name);
    rs.implicit = true;
    size_t errs_before = c->errs->n;
    parse_resources(c, n, pod->type, &rs);
    if (get_str(c, n, "resource-set", false, &t->resource_set)) {
        if (!sdk_pod_resource_set(pod, t->resource_set)) {
            enter_pair(c, find(c, n, "resource-set"));
            perr(c, "unknown resource set '%s' (not declared under pods.%s.resource-sets)",
                 t->resource_set, pod->type);
            leave(c);
        }
        rs_free_contents(&rs);
    } else {
        if (!rs_has_resources(&rs) && c->errs->n == errs_before) /* not after a bad amount */
            perr(c, "task has no resources: give cpus, gpus, memory or ports, or a resource-set");
        if (sdk_pod_resource_set(pod, rs.id))
            perr(c, "implicit resource set '%s' clashes with a declared resource set", rs.id);
        t->resource_set = sdk_xstrdup(rs.id);
        *implicit = rs;
        *has_implicit = true;
    }

    yaml_node_pair_t *hp = get(c, n, "health-check", false);
    if (hp) {
        enter_pair(c, hp);
        parse_check(c, pair_val(c, hp), true, &t->health_check);
        leave(c);
    }
    yaml_node_pair_t *rp = get(c, n, "readiness-check", false);
    if (rp) {
        enter_pair(c, rp);
        parse_check(c, pair_val(c, rp), false, &t->readiness_check);
        leave(c);
    }
    yaml_node_pair_t *dp = get(c, n, "discovery", false);
    if (dp) {
        static const char *const DKEYS[] = { "prefix", "visibility", NULL };
        enter_pair(c, dp);
        yaml_node_t *d = pair_val(c, dp);
        if (check_map(c, d, DKEYS, "discovery")) {
            if (get_str(c, d, "prefix", false, &t->discovery_prefix)) {
                enter_pair(c, find(c, d, "prefix"));
                note_prefix(c, t->discovery_prefix, pod->type);
                leave(c);
            }
            char *vis = NULL;
            if (get_str(c, d, "visibility", false, &vis)) {
                if (strcmp(vis, "CLUSTER") == 0) t->discovery_visibility = SDK_VIS_CLUSTER;
                else if (strcmp(vis, "FRAMEWORK") == 0) t->discovery_visibility = SDK_VIS_FRAMEWORK;
                else if (strcmp(vis, "EXTERNAL") == 0) t->discovery_visibility = SDK_VIS_EXTERNAL;
                else {
                    enter_pair(c, find(c, d, "visibility"));
                    perr(c, "unknown visibility '%s' (expected FRAMEWORK, CLUSTER or EXTERNAL)", vis);
                    leave(c);
                }
            }
            free(vis);
        }
        leave(c);
    }
    char *labels = NULL;
    if (get_str(c, n, "labels", false, &labels)) {
        enter_pair(c, find(c, n, "labels"));
        parse_labels(c, labels, &t->labels, &t->n_labels);
        leave(c);
    }
    free(labels);
    yaml_node_pair_t *tp = get(c, n, "transport-encryption", false);
    if (tp) {
        enter_pair(c, tp);
        parse_transport(c, pair_val(c, tp), t);
        /* dcos-commons provisions TLS material from the DC/OS CA with a service account; there is
         * no certificate authority here, so a task asking for it is refused, not run without. */
        if (t->n_transport_encryption)
            perr(c, "transport-encryption needs a certificate authority (the DC/OS CA and a service "
                 "account), which this scheduler does not have: remove the key, or provision TLS "
                 "material in the task yourself (e.g. with secrets)");
        leave(c);
    }
    get_int(c, n, "kill-grace-period", false, 0, 3600, &t->kill_grace_period_s);
    if (get_str(c, n, "ipc-mode", false, &t->ipc_mode) && strcmp(t->ipc_mode, "PRIVATE") != 0 &&
        strcmp(t->ipc_mode, "SHARE_PARENT") != 0) {
        enter_pair(c, find(c, n, "ipc-mode"));
        perr(c, "unknown ipc-mode '%s' (expected PRIVATE or SHARE_PARENT)", t->ipc_mode);
        leave(c);
    }
    if (get_int(c, n, "shm-size", false, 0, INT64_MAX, &t->shm_size_mb) && t->ipc_mode &&
        strcmp(t->ipc_mode, "SHARE_PARENT") == 0) {
        enter_pair(c, find(c, n, "shm-size"));
        perr(c, "shm-size cannot be set with ipc-mode SHARE_PARENT (the task uses its parent's "
             "shared memory)");
        leave(c);
    }
}

/* ------------------------------------------------------------------ pods */

static const char *const RLIMIT_NAMES[] = {
    "RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_LOCKS",
    "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE", "RLIMIT_NPROC",
    "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK", NULL
};

static void parse_rlimits(pctx *c, const yaml_node_t *m, sdk_pod_spec *p) {
    static const char *const KEYS[] = { "soft", "hard", NULL };
    if (!check_map(c, m, NULL, "a mapping of RLIMIT_* name to {soft, hard}")) return;
    p->rlimits = sdk_xcalloc(N_PAIRS(m), sizeof *p->rlimits);
    FOR_PAIRS(c, m, pr) {
        enter_pair(c, pr);
        sdk_rlimit_spec *r = &p->rlimits[p->n_rlimits++];
        r->name = sdk_xstrdup(pair_key(c, pr));
        bool known = false;
        for (const char *const *q = RLIMIT_NAMES; *q && !known; q++) known = !strcmp(*q, r->name);
        if (!known) perr(c, "unknown rlimit '%s' (expected one of RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU, "
                         "RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_LOCKS, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, "
                         "RLIMIT_NICE, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS, RLIMIT_RTPRIO, "
                         "RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK)", r->name);
        yaml_node_t *v = pair_val(c, pr);
        r->unlimited = true;
        r->soft = r->hard = -1;
        if (!is_null(v) && check_map(c, v, KEYS, "an rlimit")) {
            int64_t soft = -1, hard = -1;
            bool hs = get_int(c, v, "soft", false, -1, INT64_MAX, &soft);
            bool hh = get_int(c, v, "hard", false, -1, INT64_MAX, &hard);
            bool ss = get(c, v, "soft", false) != NULL, sh = get(c, v, "hard", false) != NULL;
            if (ss != sh) {
                perr(c, "soft and hard must be given together (both unset = unlimited)");
            } else if (hs && hh) {
                if ((soft == -1) != (hard == -1))
                    perr(c, "-1 (unlimited) must be used for both soft and hard");
                else if (soft > hard)
                    perr(c, "soft limit %lld is greater than hard limit %lld", (long long)soft,
                         (long long)hard);
                else if (soft != -1) {
                    r->unlimited = false;
                    r->soft = soft;
                    r->hard = hard;
                }
            }
        }
        leave(c);
    }
}


static bool get_u32v(pctx *c, const yaml_node_t *m, const char *key, uint32_t **out, size_t *n) {
    yaml_node_pair_t *p = get(c, m, key, false);
    if (!p) return false;
    enter_pair(c, p);
    yaml_node_t *s = pair_val(c, p);
    bool ok = is_seq(s);
    if (!ok) {
        perr(c, "expected a list of port numbers, found %s", type_name(s));
    } else {
        *out = sdk_xcalloc(N_ITEMS(s), sizeof **out);
        size_t i = 0;
        for (yaml_node_item_t *it = ITEMS_BEGIN(s); it < ITEMS_END(s); it++, i++) {
            yaml_node_t *e = node(c, *it);
            int64_t v;
            if (!is_scalar(e) || !parse_i64(sval(e), &v) || v < 0 || v > 65535) {
                enter_idx(c, i, e->start_mark);
                perr(c, "expected a port number (0-65535)");
                leave(c);
                ok = false;
                continue;
            }
            (*out)[(*n)++] = (uint32_t)v;
        }
    }
    leave(c);
    return ok;
}

static void parse_networks(pctx *c, const yaml_node_t *m, sdk_pod_spec *p) {
    static const char *const KEYS[] = { "host-ports", "container-ports", "labels", NULL };
    if (!check_map(c, m, NULL, "a mapping of network name to network")) return;
    p->networks = sdk_xcalloc(N_PAIRS(m), sizeof *p->networks);
    FOR_PAIRS(c, m, pr) {
        enter_pair(c, pr);
        sdk_network_spec *nw = &p->networks[p->n_networks++];
        nw->name = sdk_xstrdup(pair_key(c, pr));
        yaml_node_t *v = pair_val(c, pr);
        if (!is_null(v) && check_map(c, v, KEYS, "a network")) {
            uint32_t *cports = NULL;
            size_t nh = 0, nc = 0;
            get_u32v(c, v, "host-ports", &nw->host_ports, &nh);
            get_u32v(c, v, "container-ports", &cports, &nc);
            nw->container_ports = cports;
            nw->n_port_mappings = nh < nc ? nh : nc;
            if (nh != nc)
                perr(c, "host-ports and container-ports must have the same length (%zu != %zu)", nh, nc);
            else if (nh && !sdk_mapping_network_maps_ports(nw->name))
                perr(c, "network '%s' does not support port mapping (only mesos-bridge does)",
                     nw->name);
            if (get_str(c, v, "labels", false, &nw->labels)) {
                sdk_kv *kv = NULL;
                size_t nkv = 0;
                enter_pair(c, find(c, v, "labels"));
                parse_labels(c, nw->labels, &kv, &nkv);
                sdk_envfile_free(kv, nkv);
                leave(c);
            }
        }
        leave(c);
    }
}

static void parse_host_volumes(pctx *c, const yaml_node_t *m, sdk_pod_spec *p) {
    static const char *const KEYS[] = { "host-path", "container-path", "mode", NULL };
    if (!check_map(c, m, NULL, "a mapping of name to host volume")) return;
    p->host_volumes = sdk_xcalloc(N_PAIRS(m), sizeof *p->host_volumes);
    FOR_PAIRS(c, m, pr) {
        enter_pair(c, pr);
        sdk_host_volume_spec *h = &p->host_volumes[p->n_host_volumes++];
        yaml_node_t *v = pair_val(c, pr);
        if (check_map(c, v, KEYS, "a host volume")) {
            if (get_str(c, v, "host-path", true, &h->host_path) && !match_path(h->host_path, true)) {
                enter_pair(c, find(c, v, "host-path"));
                perr(c, "invalid host-path '%s' (expected an absolute path of [.A-Za-z0-9_-] "
                     "segments)", h->host_path);
                leave(c);
            }
            if (get_str(c, v, "container-path", true, &h->container_path) &&
                !match_path(h->container_path, false)) {
                enter_pair(c, find(c, v, "container-path"));
                perr(c, "invalid container-path '%s' (expected a relative path of [.A-Za-z0-9_-] "
                     "segments)", h->container_path);
                leave(c);
            }
            char *mode = NULL;
            if (get_str(c, v, "mode", false, &mode)) {
                if (strcmp(mode, "RO") == 0) h->read_only = true;
                else if (strcmp(mode, "RW") != 0) {
                    enter_pair(c, find(c, v, "mode"));
                    perr(c, "unknown mode '%s' (expected RW or RO)", mode);
                    leave(c);
                }
            }
            free(mode);
        }
        leave(c);
    }
}

static void parse_external_volumes(pctx *c, const yaml_node_t *m, sdk_pod_spec *p) {
    static const char *const KEYS[] = { "type", "container-path", "driver-name", "driver-options",
                                        "volume-name", "volume-mode", NULL };
    if (!check_map(c, m, NULL, "a mapping of name to external volume")) return;
    p->external_volumes = sdk_xcalloc(N_PAIRS(m), sizeof *p->external_volumes);
    FOR_PAIRS(c, m, pr) {
        enter_pair(c, pr);
        sdk_external_volume_spec *e = &p->external_volumes[p->n_external_volumes++];
        e->name = sdk_xstrdup(pair_key(c, pr));
        yaml_node_t *v = pair_val(c, pr);
        if (check_map(c, v, KEYS, "an external volume")) {
            if (get_str(c, v, "type", true, &e->type) && strcmp(e->type, "DOCKER") != 0) {
                enter_pair(c, find(c, v, "type"));
                perr(c, "unsupported external volume type '%s' (only DOCKER)", e->type);
                leave(c);
            }
            get_str(c, v, "container-path", true, &e->container_path);
            get_str(c, v, "driver-name", true, &e->driver_name);
            if (get_str(c, v, "driver-options", false, &e->driver_options)) {
                sdk_kv *kv = NULL;
                size_t nkv = 0;
                char *err = NULL;
                if (sdk_driver_options_split_new(e->driver_options, &kv, &nkv, &err)) {
                    enter_pair(c, find(c, v, "driver-options"));
                    perr(c, "%s", err);
                    leave(c);
                    free(err);
                }
                sdk_envfile_free(kv, nkv);
            }
            get_str(c, v, "volume-name", false, &e->volume_name);
            if (e->volume_name && e->driver_options) {
                /* options are "k=v;k=v": a `name` option would fight with volume-name */
                char *copy = sdk_xstrdup(e->driver_options), *save = NULL;
                for (char *o = strtok_r(copy, ";", &save); o; o = strtok_r(NULL, ";", &save)) {
                    while (*o == ' ') o++;
                    if (strncmp(o, "name=", 5) == 0) {
                        enter_pair(c, find(c, v, "driver-options"));
                        perr(c, "driver option 'name' cannot be combined with volume-name");
                        leave(c);
                    }
                }
                free(copy);
            }
            char *mode = NULL;
            if (get_str(c, v, "volume-mode", false, &mode)) {
                if (strcmp(mode, "RO") == 0) e->read_only = true;
                else if (strcmp(mode, "RW") != 0) {
                    enter_pair(c, find(c, v, "volume-mode"));
                    perr(c, "unknown volume-mode '%s' (expected RW or RO)", mode);
                    leave(c);
                }
            }
            free(mode);
        }
        leave(c);
    }
}

/* dcos-commons DefaultSecretSpec VALID_FILE_PATH_PATTERN: ([.a-zA-Z0-9]+([.a-zA-Z0-9_-]*[/\\]*)*)?
 * - relative, [.A-Za-z0-9_-] and separators, starting with [.A-Za-z0-9]. We also refuse '..'
 * segments: the file is written at that path under the sandbox and must stay inside it. */
static bool secret_file_ok(const char *f) {
    if (!*f || !(isalnum((unsigned char)*f) || *f == '.')) return false;
    for (const char *p = f; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-' || *p == '/' || *p == '\\'))
            return false;
    for (const char *p = f; (p = strstr(p, "..")); p += 2) {
        bool starts = p == f || p[-1] == '/' || p[-1] == '\\';
        bool ends = !p[2] || p[2] == '/' || p[2] == '\\';
        if (starts && ends) return false;
    }
    return true;
}

static void parse_secrets(pctx *c, const yaml_node_t *m, sdk_pod_spec *p) {
    static const char *const KEYS[] = { "secret", "env-key", "file", NULL };
    if (!check_map(c, m, NULL, "a mapping of name to secret")) return;
    p->secrets = sdk_xcalloc(N_PAIRS(m), sizeof *p->secrets);
    FOR_PAIRS(c, m, pr) {
        enter_pair(c, pr);
        sdk_secret_spec *s = &p->secrets[p->n_secrets++];
        s->name = sdk_xstrdup(pair_key(c, pr));
        yaml_node_t *v = pair_val(c, pr);
        if (check_map(c, v, KEYS, "a secret")) {
            get_str(c, v, "secret", true, &s->secret);
            get_str(c, v, "env-key", false, &s->env_key);
            if (get_str(c, v, "file", false, &s->file) && !secret_file_ok(s->file)) {
                enter_pair(c, find(c, v, "file"));
                perr(c, "file '%s' must be a relative path inside the sandbox: segments of [.A-Za-z0-9_-] "
                     "starting with a letter, digit or '.', no '..'", s->file);
                leave(c);
            }
            if (!s->env_key && !s->file && s->secret) s->file = sdk_xstrdup(s->secret);
        }
        leave(c);
    }
}

/* Parses a child block `key` of n with fn when present. */
#define SUB(c, n, key, fn, ...) do { yaml_node_pair_t *sp_ = get((c), (n), (key), false); \
        if (sp_) { enter_pair((c), sp_); fn((c), pair_val((c), sp_), __VA_ARGS__); leave(c); } } while (0)

/* `image` when present: a name, never "" (DefaultPodSpec: nonEmptyAllowNull; `image:` with no
 * value is YAML null, i.e. no image). */
static void get_image(pctx *c, const yaml_node_t *n, const char *key, sdk_pod_spec *p) {
    if (get_str(c, n, key, false, &p->image) && !*p->image) {
        enter_pair(c, find(c, n, key));
        perr(c, "the Docker image name is empty (give a name such as 'nginx:1.25', or leave the key out)");
        leave(c);
    }
}

/* The pod key of SDKs before dcos-commons #1909: `container: {image-name, networks, rlimits}`,
 * the same settings as the pod-level `image`, `networks` and `rlimits`; giving both was an
 * error there ("You may define container settings directly under the pod or under
 * container, but not both") and is here. */
static void parse_legacy_container(pctx *c, const yaml_node_t *m, sdk_pod_spec *p) {
    static const char *const KEYS[] = { "image-name", "networks", "rlimits", NULL };
    if (!check_map(c, m, KEYS, "a container (the older form of the pod's image, networks and rlimits)")) return;
    if (p->image || p->n_networks || p->n_rlimits) {
        perr(c, "container settings may be given directly under the pod (image, networks, rlimits) or under "
             "container:, not both");
        return;
    }
    get_image(c, m, "image-name", p);
    SUB(c, m, "networks", parse_networks, p);
    SUB(c, m, "rlimits", parse_rlimits, p);
}

static const char *const POD_KEYS[] = {
    "count", "allow-decommission", "placement", "image", "networks", "rlimits", "uris", "volume",
    "volumes", "host-volumes", "external-volumes", "pre-reserved-role", "secrets",
    "share-pid-namespace", "seccomp-unconfined", "seccomp-profile-name", "ipc-mode", "shm-size",
    "resource-sets", "tasks", "user", "container", NULL
};
static const char *const RS_KEYS[] = {
    "cpus", "gpus", "memory", "resource-limits", "ports", "volume", "volumes", NULL
};

static void parse_pod(pctx *c, const yaml_node_t *n, sdk_pod_spec *p) {
    p->pre_reserved_role = sdk_xstrdup("*");
    if (!check_map_ex(c, n, POD_KEYS, "a pod", true)) return;
    /* Pod instances cost memory and state each: capped (sdk_spec_max_pods, --max-pods) here,
     * before anything is allocated per instance. */
    if (get_int(c, n, "count", true, 0, INT32_MAX, &p->count) && p->count > sdk_spec_max_pods()) {
        enter_pair(c, find(c, n, "count"));
        perr(c, "%lld pod instances is more than the limit of %lld per pod type (raise it with "
             "--max-pods N)", (long long)p->count, (long long)sdk_spec_max_pods());
        leave(c);
        p->count = 0;
    }
    get_bool(c, n, "allow-decommission", &p->allow_decommission);
    get_str(c, n, "placement", false, &p->placement);
    get_image(c, n, "image", p);
    if (get_str(c, n, "pre-reserved-role", false, &p->pre_reserved_role) && !*p->pre_reserved_role) {
        free(p->pre_reserved_role);
        p->pre_reserved_role = sdk_xstrdup("*");
    }
    SUB(c, n, "networks", parse_networks, p);
    SUB(c, n, "rlimits", parse_rlimits, p);
    SUB(c, n, "container", parse_legacy_container, p);
    get_strv(c, n, "uris", &p->uris, &p->n_uris);
    parse_volumes(c, n, true, &p->volumes, &p->n_volumes);
    SUB(c, n, "host-volumes", parse_host_volumes, p);
    SUB(c, n, "external-volumes", parse_external_volumes, p);
    SUB(c, n, "secrets", parse_secrets, p);
    get_bool(c, n, "share-pid-namespace", &p->share_pid_namespace);
    get_bool(c, n, "seccomp-unconfined", &p->seccomp_unconfined);
    get_str(c, n, "seccomp-profile-name", false, &p->seccomp_profile_name);
    if (p->seccomp_unconfined && p->seccomp_profile_name) {
        enter_pair(c, find(c, n, "seccomp-profile-name"));
        perr(c, "seccomp-unconfined and seccomp-profile-name cannot both be set");
        leave(c);
    }
    if (get_str(c, n, "ipc-mode", false, &p->ipc_mode) && strcmp(p->ipc_mode, "PRIVATE") != 0) {
        enter_pair(c, find(c, n, "ipc-mode"));
        perr(c, "pod ipc-mode must be PRIVATE, found '%s'", p->ipc_mode);
        leave(c);
    }
    get_int(c, n, "shm-size", false, 0, INT64_MAX, &p->shm_size_mb);

    yaml_node_pair_t *rp = get(c, n, "resource-sets", false);
    yaml_node_t *rsm = rp ? pair_val(c, rp) : NULL;
    yaml_node_pair_t *tp = get(c, n, "tasks", true);
    yaml_node_t *tm = tp ? pair_val(c, tp) : NULL;
    size_t cap = (is_map(rsm) ? N_PAIRS(rsm) : 0) + (is_map(tm) ? N_PAIRS(tm) : 0);
    if (cap) p->resource_sets = sdk_xcalloc(cap, sizeof *p->resource_sets);
    if (rp) {
        enter_pair(c, rp);
        if (check_map(c, rsm, NULL, "a mapping of resource set id to resource set")) {
            FOR_PAIRS(c, rsm, pr) {
                enter_pair(c, pr);
                sdk_resource_set *rs = &p->resource_sets[p->n_resource_sets++];
                rs->id = sdk_xstrdup(pair_key(c, pr));
                check_name(c, "resource set", rs->id);
                yaml_node_t *v = pair_val(c, pr);
                if (check_map(c, v, RS_KEYS, "a resource set")) {
                    parse_resources(c, v, p->type, rs);
                    if (!rs_has_resources(rs))
                        perr(c, "resource set has no resources: give at least one of cpus, gpus, "
                             "memory or ports (volumes alone are not enough)");
                }
                leave(c);
            }
        }
        leave(c);
    }
    if (!tp) return;
    enter_pair(c, tp);
    if (check_map(c, tm, NULL, "a mapping of task name to task")) {
        if (N_PAIRS(tm) == 0) perr(c, "a pod needs at least one task");
        p->tasks = sdk_xcalloc(N_PAIRS(tm) ? N_PAIRS(tm) : 1, sizeof *p->tasks);
        FOR_PAIRS(c, tm, pr) {
            enter_pair(c, pr);
            sdk_task_spec *t = &p->tasks[p->n_tasks++];
            t->name = sdk_xstrdup(pair_key(c, pr));
            sdk_resource_set implicit;
            bool has = false;
            memset(&implicit, 0, sizeof implicit);
            parse_task(c, pair_val(c, pr), p, t, &implicit, &has);
            if (has) p->resource_sets[p->n_resource_sets++] = implicit;
            leave(c);
        }
    }
    leave(c);
}

/* ------------------------------------------------------------------ plans */

static bool strategy_from(const char *s, bool phase, sdk_strategy *out) {
    if (!strcmp(s, "serial")) *out = SDK_STRATEGY_SERIAL;
    else if (!strcmp(s, "parallel")) *out = SDK_STRATEGY_PARALLEL;
    else if (phase && (!strcmp(s, "serial-canary") || !strcmp(s, "canary")))
        *out = SDK_STRATEGY_SERIAL_CANARY;
    else if (phase && !strcmp(s, "parallel-canary")) *out = SDK_STRATEGY_PARALLEL_CANARY;
    else return false;
    return true;
}

static void parse_strategy(pctx *c, const yaml_node_t *n, bool phase, sdk_strategy *out) {
    char *s = NULL;
    if (get_str(c, n, "strategy", false, &s) && !strategy_from(s, phase, out)) {
        enter_pair(c, find(c, n, "strategy"));
        if (phase)
            perr(c, "unknown strategy '%s' (expected serial, parallel, serial-canary, canary or "
                 "parallel-canary)", s);
        else
            perr(c, "unknown plan strategy '%s' (expected serial or parallel)", s);
        leave(c);
    }
    free(s);
}

/* One `steps:` entry value: a list of steps, each a list of task names. */
static void parse_step_lists(pctx *c, const yaml_node_t *v, const sdk_pod_spec *pod,
                             sdk_step_entry *e) {
    if (!is_seq(v)) {
        perr(c, "expected a list of steps (each a list of task names), found %s", type_name(v));
        return;
    }
    e->steps = sdk_xcalloc(N_ITEMS(v) ? N_ITEMS(v) : 1, sizeof *e->steps);
    size_t i = 0;
    for (yaml_node_item_t *it = ITEMS_BEGIN(v); it < ITEMS_END(v); it++, i++) {
        yaml_node_t *st = node(c, *it);
        enter_idx(c, i, st->start_mark);
        size_t n = is_seq(st) ? N_ITEMS(st) : 0;
        char **names = sdk_xcalloc(n + 1, sizeof *names);
        e->steps[e->n_steps++] = names;
        if (!is_seq(st)) {
            perr(c, "expected a list of task names, found %s", type_name(st));
        } else if (n == 0) {
            perr(c, "a step needs at least one task");
        } else {
            size_t k = 0, j = 0;
            for (yaml_node_item_t *ti = ITEMS_BEGIN(st); ti < ITEMS_END(st); ti++, j++) {
                yaml_node_t *tn = node(c, *ti);
                if (!is_scalar(tn) || is_null(tn)) {
                    enter_idx(c, j, tn->start_mark);
                    perr(c, "expected a task name");
                    leave(c);
                    continue;
                }
                if (pod && !sdk_pod_task(pod, sval(tn))) {
                    enter_idx(c, j, tn->start_mark);
                    perr(c, "unknown task '%s' (pod '%s' has no such task)", sval(tn), pod->type);
                    leave(c);
                }
                names[k++] = sdk_xstrdup(sval(tn));
            }
        }
        leave(c);
    }
}

static void parse_steps(pctx *c, const yaml_node_t *s, const sdk_pod_spec *pod, sdk_phase_spec *ph) {
    if (!is_seq(s)) {
        perr(c, "expected a list of '<index>: [[task, ...], ...]' or 'default: [...]' entries, "
             "found %s", type_name(s));
        return;
    }
    ph->has_steps = true;
    ph->entries = sdk_xcalloc(N_ITEMS(s) ? N_ITEMS(s) : 1, sizeof *ph->entries);
    size_t i = 0;
    for (yaml_node_item_t *it = ITEMS_BEGIN(s); it < ITEMS_END(s); it++, i++) {
        yaml_node_t *en = node(c, *it);
        enter_idx(c, i, en->start_mark);
        if (!is_map(en) || N_PAIRS(en) != 1) {
            if (is_map(en))
                perr(c, "each steps entry must have exactly one key (an index or 'default'), found %zu",
                     N_PAIRS(en));
            else
                perr(c, "expected '<index>: [...]' or 'default: [...]', found %s", type_name(en));
            leave(c);
            continue;
        }
        yaml_node_pair_t *p = PAIRS_BEGIN(en);
        const char *k = pair_key(c, p);
        int64_t idx = -1;
        if (!k || (strcmp(k, "default") != 0 && (!parse_i64(k, &idx) || idx < 0))) {
            perr_at(c, pair_mark(c, p), "steps key '%s' is neither a pod index (0, 1, ...) nor "
                    "'default'", k ? k : "?");
            leave(c);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < ph->n_entries && !dup; j++) dup = ph->entries[j].index == idx;
        if (dup) {
            perr_at(c, pair_mark(c, p), "steps key '%s' is given twice", k);
            leave(c);
            continue;
        }
        sdk_step_entry *e = &ph->entries[ph->n_entries++];
        e->index = idx;
        enter_pair(c, p);
        parse_step_lists(c, pair_val(c, p), pod, e);
        leave(c);
        leave(c);
    }
    if (!pod) return;
    bool has_default = false;
    for (size_t j = 0; j < ph->n_entries; j++) has_default |= ph->entries[j].index == -1;
    if (has_default) return;
    for (int64_t k = 0; k < pod->count; k++) {
        bool found = false;
        for (size_t j = 0; j < ph->n_entries && !found; j++) found = ph->entries[j].index == k;
        if (!found) {
            perr(c, "pod instance %s-%lld has no steps entry and there is no 'default' entry",
                 pod->type, (long long)k);
            break;
        }
    }
}

static void parse_phase(pctx *c, const yaml_node_t *n, const sdk_spec *s, sdk_phase_spec *ph) {
    static const char *const KEYS[] = { "pod", "strategy", "steps", NULL };
    if (!check_map(c, n, KEYS, "a phase")) return;
    const sdk_pod_spec *pod = NULL;
    if (get_str(c, n, "pod", true, &ph->pod)) {
        pod = sdk_spec_pod(s, ph->pod);
        if (!pod) {
            enter_pair(c, find(c, n, "pod"));
            perr(c, "unknown pod '%s'", ph->pod);
            leave(c);
        }
    }
    parse_strategy(c, n, true, &ph->strategy);
    yaml_node_pair_t *sp = get(c, n, "steps", false);
    if (sp) {
        enter_pair(c, sp);
        parse_steps(c, pair_val(c, sp), pod, ph);
        leave(c);
    }
}

static void parse_plans(pctx *c, const yaml_node_t *m, sdk_spec *s) {
    static const char *const KEYS[] = { "strategy", "phases", NULL };
    if (!check_map(c, m, NULL, "a mapping of plan name to plan")) return;
    s->plans = sdk_xcalloc(N_PAIRS(m) ? N_PAIRS(m) : 1, sizeof *s->plans);
    if (!find(c, m, "deploy")) perr(c, "no 'deploy' plan: a plans section must contain 'deploy'");
    FOR_PAIRS(c, m, pp) {
        enter_pair(c, pp);
        sdk_plan_spec *pl = &s->plans[s->n_plans++];
        pl->name = sdk_xstrdup(pair_key(c, pp));
        check_name(c, "plan", pl->name);
        if (!strcmp(pl->name, "recovery") || !strcmp(pl->name, "decommission"))
            perr(c, "plan name '%s' is reserved (the scheduler generates that plan)", pl->name);
        yaml_node_t *v = pair_val(c, pp);
        if (check_map(c, v, KEYS, "a plan")) {
            parse_strategy(c, v, false, &pl->strategy);
            yaml_node_pair_t *php = get(c, v, "phases", true);
            if (php) {
                enter_pair(c, php);
                yaml_node_t *phm = pair_val(c, php);
                if (check_map(c, phm, NULL, "a mapping of phase name to phase")) {
                    pl->phases = sdk_xcalloc(N_PAIRS(phm) ? N_PAIRS(phm) : 1, sizeof *pl->phases);
                    FOR_PAIRS(c, phm, q) {
                        enter_pair(c, q);
                        sdk_phase_spec *ph = &pl->phases[pl->n_phases++];
                        ph->name = sdk_xstrdup(pair_key(c, q));
                        check_name(c, "phase", ph->name);
                        parse_phase(c, pair_val(c, q), s, ph);
                        leave(c);
                    }
                }
                leave(c);
            }
        }
        leave(c);
    }
}

/* ------------------------------------------------------------------ top level */

static void parse_top(pctx *c, const yaml_node_t *root, sdk_spec *s) {
    static const char *const KEYS[] = { "name", "web-url", "scheduler", "pods", "plans", NULL };
    static const char *const SKEYS[] = { "principal", "zookeeper", "user", NULL };
    if (!check_map(c, root, KEYS, "a service spec")) return;
    if (get_str(c, root, "name", true, &s->name) && strstr(s->name, "__")) {
        enter_pair(c, find(c, root, "name"));
        perr(c, "service name '%s' must not contain '__'", s->name);
        leave(c);
    }
    get_str(c, root, "web-url", false, &s->web_url);
    yaml_node_pair_t *sp = get(c, root, "scheduler", false);
    if (sp) {
        enter_pair(c, sp);
        yaml_node_t *v = pair_val(c, sp);
        if (check_map(c, v, SKEYS, "the scheduler section")) {
            get_str(c, v, "principal", false, &s->principal);
            get_str(c, v, "zookeeper", false, &s->zookeeper);
            get_str(c, v, "user", false, &s->user);
        }
        leave(c);
    }
    if (s->principal && !*s->principal) { free(s->principal); s->principal = NULL; }
    if (!s->principal) s->principal = sdk_asprintf_new("%s-principal", s->name ? s->name : "");
    if (!s->zookeeper) s->zookeeper = sdk_xstrdup("master.mesos:2181");
    if (!s->user) s->user = sdk_xstrdup("root");

    yaml_node_pair_t *pp = get(c, root, "pods", true);
    if (pp) {
        enter_pair(c, pp);
        yaml_node_t *m = pair_val(c, pp);
        if (check_map(c, m, NULL, "a mapping of pod type to pod")) {
            if (N_PAIRS(m) == 0) perr(c, "at least one pod type is required");
            s->pods = sdk_xcalloc(N_PAIRS(m) ? N_PAIRS(m) : 1, sizeof *s->pods);
            int64_t total = 0;
            FOR_PAIRS(c, m, q) {
                enter_pair(c, q);
                sdk_pod_spec *p = &s->pods[s->n_pods++];
                p->type = sdk_xstrdup(pair_key(c, q));
                check_name(c, "pod type", p->type);
                parse_pod(c, pair_val(c, q), p);
                leave(c);
                total += p->count; /* each count <= max pods <= INT64_MAX / n_pods: no overflow */
            }
            if (total > sdk_spec_max_pods())
                perr(c, "%lld pod instances in total, more than the limit of %lld (raise it with "
                     "--max-pods N)", (long long)total, (long long)sdk_spec_max_pods());
        }
        leave(c);
    }
    SUB(c, root, "plans", parse_plans, s);
}

/* ------------------------------------------------------------------ input limits */

static int64_t g_max_pods = SDK_SPEC_DEFAULT_MAX_PODS;
void sdk_spec_set_max_pods(int64_t n) { g_max_pods = n < 1 ? SDK_SPEC_DEFAULT_MAX_PODS : n; }
int64_t sdk_spec_max_pods(void) { return g_max_pods; }

typedef struct {
    char *name;
    size_t size; /* nodes of the anchored subtree */
} anchor_size;

/* One streaming pass over the YAML events, before libyaml builds a document, that enforces
 * SDK_SPEC_MAX_DEPTH, _NODES, _ANCHORS and _ALIASES. It stops at the first limit reached, so
 * deep or huge input costs at most the work up to that limit (libyaml's document loader is
 * quadratic in nesting depth and in aliases x anchors). An alias counts as the whole subtree
 * it repeats, since the parse below walks it again each time (a "billion laughs" document is
 * refused here). Returns true when within limits; false with one error at the offending line.
 * A syntax error is left to the loader, which reports it with its position. */
static bool within_limits(const char *yaml, size_t len, const char *file, sdk_errors *errs) {
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return true; /* the loader reports the failure */
    yaml_parser_set_input_string(&p, (const unsigned char *)yaml, len);
    size_t nodes = 0, depth = 0, n_aliases = 0, n_anchors = 0;
    anchor_size *anchors = NULL;
    struct open { size_t start; const char *anchor; } *stack = NULL; /* anchor points into anchors */
    bool ok = true, done = false;
    while (ok && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) break;
        const char *anchor = NULL;
        size_t line = ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_SCALAR_EVENT: nodes++; anchor = (const char *)ev.data.scalar.anchor; break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            nodes++;
            anchor = ev.type == YAML_SEQUENCE_START_EVENT ? (const char *)ev.data.sequence_start.anchor
                                                          : (const char *)ev.data.mapping_start.anchor;
            if (++depth > SDK_SPEC_MAX_DEPTH) {
                sdk_errors_addf(errs, "%s:%zu:%zu: the YAML nests more than %d levels deep (limit "
                                "SDK_SPEC_MAX_DEPTH; a service spec needs about 10)", file, line,
                                ev.start_mark.column + 1, SDK_SPEC_MAX_DEPTH);
                ok = false;
                break;
            }
            stack = sdk_xrealloc(stack, depth * sizeof *stack);
            stack[depth - 1].start = nodes - 1;
            stack[depth - 1].anchor = NULL;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth && stack[depth - 1].anchor) {
                for (size_t i = n_anchors; i-- > 0;)
                    if (anchors[i].name == stack[depth - 1].anchor) {
                        anchors[i].size = nodes - stack[depth - 1].start;
                        break;
                    }
            }
            if (depth) depth--;
            break;
        case YAML_ALIAS_EVENT: {
            if (++n_aliases > SDK_SPEC_MAX_ALIASES) {
                sdk_errors_addf(errs, "%s:%zu:%zu: more than %u aliases (*name) (limit "
                                "SDK_SPEC_MAX_ALIASES)", file, line, ev.start_mark.column + 1,
                                SDK_SPEC_MAX_ALIASES);
                ok = false;
                break;
            }
            const char *a = (const char *)ev.data.alias.anchor;
            size_t size = 1; /* an unknown anchor is the loader's error */
            for (size_t i = n_anchors; i-- > 0;)
                if (!strcmp(anchors[i].name, a)) { size = anchors[i].size; break; }
            nodes += size;
            break;
        }
        default: break;
        }
        if (ok && anchor) {
            if (n_anchors >= SDK_SPEC_MAX_ANCHORS) {
                sdk_errors_addf(errs, "%s:%zu:%zu: more than %u anchors (&name) (limit "
                                "SDK_SPEC_MAX_ANCHORS)", file, line, ev.start_mark.column + 1,
                                SDK_SPEC_MAX_ANCHORS);
                ok = false;
            } else {
                anchors = sdk_xrealloc(anchors, (n_anchors + 1) * sizeof *anchors);
                anchors[n_anchors].name = sdk_xstrdup(anchor);
                anchors[n_anchors].size = 1; /* a scalar; a collection's is set at its end */
                if (ev.type != YAML_SCALAR_EVENT) stack[depth - 1].anchor = anchors[n_anchors].name;
                n_anchors++;
            }
        }
        if (ok && nodes > SDK_SPEC_MAX_NODES) {
            sdk_errors_addf(errs, "%s:%zu:%zu: more than %u YAML nodes (aliases counted as what "
                            "they repeat) (limit SDK_SPEC_MAX_NODES)", file, line,
                            ev.start_mark.column + 1, SDK_SPEC_MAX_NODES);
            ok = false;
        }
        yaml_event_delete(&ev);
    }
    for (size_t i = 0; i < n_anchors; i++) free(anchors[i].name);
    free(anchors);
    free(stack);
    yaml_parser_delete(&p);
    return ok;
}

bool sdk_spec_check_text(const char *yaml, size_t len, const char *file, sdk_errors *errs) {
    if (len > SDK_SPEC_MAX_BYTES) {
        sdk_errors_addf(errs, "%s: the spec is %zu bytes, more than the limit of %u bytes (4 MiB, "
                        "SDK_SPEC_MAX_BYTES)", file, len, SDK_SPEC_MAX_BYTES);
        return false;
    }
    size_t off = 0, line = 0;
    if (sdk_text_find_nul(yaml, len, &off, &line)) {
        sdk_errors_addf(errs, "%s:%zu: a NUL byte at byte offset %zu: a service spec is text, and "
                        "everything after the NUL would be silently ignored", file, line, off);
        return false;
    }
    return true;
}

int sdk_spec_parse(const char *yaml, size_t len, const char *file, const char *dir,
                   sdk_spec **out, sdk_errors *errs) {
    return sdk_spec_parse_warn(yaml, len, file, dir, out, errs, NULL);
}

int sdk_spec_parse_warn(const char *yaml, size_t len, const char *file, const char *dir,
                        sdk_spec **out, sdk_errors *errs, sdk_errors *warnings) {
    *out = NULL;
    pctx c = { .file = file ? file : "svc.yml", .dir = dir, .errs = errs, .warnings = warnings,
               .n_errs_at_start = errs->n };
    if (!sdk_spec_check_text(yaml, len, c.file, errs) || !within_limits(yaml, len, c.file, errs))
        return SDK_EINVAL;
    sdk_buf_init(&c.path);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        sdk_errors_addf(errs, "%s: cannot initialise the YAML parser", c.file);
        return SDK_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        yaml_mark_t m = parser.problem_mark;
        if (parser.context)
            sdk_errors_addf(errs, "%s:%zu:%zu: malformed YAML: %s %s", c.file, m.line + 1,
                            m.column + 1, parser.problem ? parser.problem : "syntax error",
                            parser.context);
        else
            sdk_errors_addf(errs, "%s:%zu:%zu: malformed YAML: %s", c.file, m.line + 1, m.column + 1,
                            parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return SDK_EINVAL;
    }
    yaml_parser_delete(&parser);
    c.doc = &doc;
    sdk_spec *s = sdk_xcalloc(1, sizeof *s);
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root || is_null(root)) sdk_errors_addf(errs, "%s:1:1: the spec is empty", c.file);
    else parse_top(&c, root, s);

    for (size_t i = 0; i < c.n_advertised; i++) free(c.advertised[i].name);
    free(c.advertised);
    for (size_t i = 0; i < c.n_prefixes; i++) free(c.prefixes[i].name);
    free(c.prefixes);
    sdk_buf_free(&c.path);
    yaml_document_delete(&doc);
    if (errs->n > c.n_errs_at_start) {
        sdk_spec_free(s);
        return SDK_EINVAL;
    }
    *out = s;
    return 0;
}
