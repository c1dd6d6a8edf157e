/* Marathon constraint language and its evaluation (sdk-behaviour.md §1.13). Contracts in placement.h. */
#include "core/offer/placement.h"
#include "core/util/str.h"
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ================================================================ string-keyed index */

/* Open-addressing hash map from string keys to entries carrying a count and a member list. */
typedef struct map_entry {
    char *key;
    uint64_t hash;
    int64_t count;
    size_t *members;
    size_t n_members, cap_members;
} map_entry;

typedef struct smap {
    map_entry *e;
    size_t n, cap_e;
    uint32_t *slots; /* entry index + 1, 0 = empty */
    size_t n_slots;
} smap;

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    return h;
}

static void smap_free(smap *m) {
    for (size_t i = 0; i < m->n; i++) { free(m->e[i].key); free(m->e[i].members); }
    free(m->e);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static long smap_find(const smap *m, const char *key, size_t len, uint64_t h) {
    if (!m->n_slots) return -1;
    size_t mask = m->n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t s = m->slots[i];
        if (!s) return -1;
        const map_entry *e = &m->e[s - 1];
        if (e->hash == h && strlen(e->key) == len && memcmp(e->key, key, len) == 0) return (long)s - 1;
    }
}

static void smap_rehash(smap *m, size_t n_slots) {
    free(m->slots);
    m->slots = sdk_xcalloc(n_slots, sizeof *m->slots);
    m->n_slots = n_slots;
    for (size_t k = 0; k < m->n; k++) {
        size_t i = m->e[k].hash & (n_slots - 1);
        while (m->slots[i]) i = (i + 1) & (n_slots - 1);
        m->slots[i] = (uint32_t)(k + 1);
    }
}

static map_entry *smap_get_or_add(smap *m, const char *key, size_t len) {
    uint64_t h = hash_bytes(key, len);
    long f = smap_find(m, key, len, h);
    if (f >= 0) return &m->e[f];
    if ((m->n + 1) * 2 > m->n_slots) smap_rehash(m, m->n_slots ? m->n_slots * 2 : 64);
    if (m->n == m->cap_e) {
        m->cap_e = m->cap_e ? m->cap_e * 2 : 32;
        m->e = sdk_xrealloc(m->e, m->cap_e * sizeof *m->e);
    }
    map_entry *e = &m->e[m->n];
    memset(e, 0, sizeof *e);
    e->key = sdk_xstrndup(key, len);
    e->hash = h;
    size_t i = h & (m->n_slots - 1);
    while (m->slots[i]) i = (i + 1) & (m->n_slots - 1);
    m->slots[i] = (uint32_t)(m->n + 1);
    m->n++;
    return e;
}

static const map_entry *smap_get(const smap *m, const char *key, size_t len) {
    long f = smap_find(m, key, len, hash_bytes(key, len));
    return f >= 0 ? &m->e[f] : NULL;
}

static void entry_add_member(map_entry *e, size_t v) {
    if (e->n_members == e->cap_members) {
        e->cap_members = e->cap_members ? e->cap_members * 2 : 4;
        e->members = sdk_xrealloc(e->members, e->cap_members * sizeof *e->members);
    }
    e->members[e->n_members++] = v;
}

/* Keys: "<pod>\x1f<field>\x1f<value>" for counts, "<pod>\x1f<field>" for groups,
 * "<pod>\x1f<index>" for instances. Field is "@hostname", "@zone", "@region" or an attribute name. */
static void key_build(sdk_buf *b, const char *a, const char *c, const char *d) {
    sdk_buf_reset(b);
    sdk_buf_puts(b, a);
    sdk_buf_putc(b, '\x1f');
    sdk_buf_puts(b, c);
    if (d) { sdk_buf_putc(b, '\x1f'); sdk_buf_puts(b, d); }
}

/* ================================================================ view */

typedef struct view_task {
    sdk_placement_task pub;
    sdk_attr *attrs;
} view_task;

struct sdk_placement_view {
    view_task **tasks;
    size_t n, cap;
    smap counts;    /* pod/field/value -> count; members unused */
    smap groups;    /* pod/field -> members = indices into counts.e */
    smap instances; /* pod/index -> members = task indices */
    sdk_buf key;    /* scratch */
};

sdk_placement_view *sdk_placement_view_new(void) { return sdk_xcalloc(1, sizeof(sdk_placement_view)); }

void sdk_placement_view_free(sdk_placement_view *v) {
    if (!v) return;
    for (size_t i = 0; i < v->n; i++) {
        view_task *t = v->tasks[i];
        free((char *)t->pub.task_name);
        free((char *)t->pub.pod_type);
        free((char *)t->pub.hostname);
        free((char *)t->pub.zone);
        free((char *)t->pub.region);
        for (size_t k = 0; k < t->pub.n_attrs; k++) { free(t->attrs[k].name); free(t->attrs[k].value); }
        free(t->attrs);
        free(t);
    }
    free(v->tasks);
    smap_free(&v->counts);
    smap_free(&v->groups);
    smap_free(&v->instances);
    sdk_buf_free(&v->key);
    free(v);
}

size_t sdk_placement_view_size(const sdk_placement_view *v) { return v ? v->n : 0; }
const sdk_placement_task *sdk_placement_view_task(const sdk_placement_view *v, size_t i) {
    return v && i < v->n ? &v->tasks[i]->pub : NULL;
}

static void view_count(sdk_placement_view *v, const char *pod, const char *field, const char *value) {
    if (!value) return;
    key_build(&v->key, pod, field, value);
    size_t before = v->counts.n;
    map_entry *e = smap_get_or_add(&v->counts, v->key.data, v->key.len);
    e->count++;
    if (v->counts.n != before) {
        size_t idx = v->counts.n - 1;
        key_build(&v->key, pod, field, NULL);
        entry_add_member(smap_get_or_add(&v->groups, v->key.data, v->key.len), idx);
    }
}

/* Index parsed from "<pod>-<index>-<task>", or -1. */
static int64_t instance_index(const char *task_name, const char *pod) {
    size_t n = strlen(pod);
    if (!task_name || strncmp(task_name, pod, n) != 0 || task_name[n] != '-') return -1;
    const char *p = task_name + n + 1;
    if (!isdigit((unsigned char)*p)) return -1;
    char *end;
    long long x = strtoll(p, &end, 10);
    return *end == '-' ? x : -1;
}

void sdk_placement_view_add(sdk_placement_view *v, const sdk_placement_task *t) {
    view_task *c = sdk_xcalloc(1, sizeof *c);
    const char *pod = t->pod_type ? t->pod_type : "";
    c->pub.task_name = sdk_xstrdup(t->task_name ? t->task_name : "");
    c->pub.pod_type = sdk_xstrdup(pod);
    c->pub.hostname = sdk_xstrdup(t->hostname);
    c->pub.zone = sdk_xstrdup(t->zone);
    c->pub.region = sdk_xstrdup(t->region);
    if (t->n_attrs) c->attrs = sdk_xcalloc(t->n_attrs, sizeof *c->attrs);
    for (size_t i = 0; i < t->n_attrs; i++) {
        c->attrs[i].name = sdk_xstrdup(t->attrs[i].name);
        c->attrs[i].value = sdk_xstrdup(t->attrs[i].value);
    }
    c->pub.attrs = c->attrs;
    c->pub.n_attrs = t->n_attrs;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->tasks = sdk_xrealloc(v->tasks, v->cap * sizeof *v->tasks);
    }
    size_t ti = v->n;
    v->tasks[v->n++] = c;
    view_count(v, pod, "@hostname", c->pub.hostname);
    view_count(v, pod, "@zone", c->pub.zone);
    view_count(v, pod, "@region", c->pub.region);
    for (size_t i = 0; i < c->pub.n_attrs; i++) view_count(v, pod, c->attrs[i].name, c->attrs[i].value);
    int64_t idx = instance_index(c->pub.task_name, pod);
    if (idx >= 0) {
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)idx);
        key_build(&v->key, pod, num, NULL);
        entry_add_member(smap_get_or_add(&v->instances, v->key.data, v->key.len), ti);
    }
}

/* ================================================================ rules */

typedef enum { OP_UNIQUE, OP_CLUSTER, OP_GROUP_BY, OP_LIKE, OP_UNLIKE, OP_MAX_PER, OP_IS, OP_IS_NOT } op_t;
static const char *const OP_NAMES[] = {"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS", "IS_NOT"};
typedef enum { F_HOSTNAME, F_ZONE, F_REGION, F_ATTR } field_t;

/* Results of a LIKE/UNLIKE row's regular expression for recent values (a direct-mapped table):
 * agents share a handful of attribute values (racks, zones), and regexec costs more than the
 * rest of the row's evaluation. The expression never changes after parsing, so a remembered
 * result stays right; values of RE_MEMO_LEN bytes or more are not remembered. */
#define RE_MEMO_SLOTS 16
#define RE_MEMO_LEN 32
typedef struct re_memo {
    char value[RE_MEMO_LEN]; /* "" with used false: empty */
    bool used, match;
} re_memo;

typedef struct row {
    char *field_text; /* as written (trimmed) */
    field_t kind;
    const char *key;  /* index field key: "@hostname", "@zone", "@region" or the attribute name */
    op_t op;
    char *param;      /* NULL if absent */
    int64_t n;        /* MAX_PER / GROUP_BY count; 0 = absent for GROUP_BY */
    regex_t re;
    bool has_re;
    re_memo *memo;    /* RE_MEMO_SLOTS entries for LIKE/UNLIKE, allocated with re */
} row;

typedef struct extra {
    char *name;
    sdk_placement_fn fn;
    void *user;
} extra;

struct sdk_placement_rule {
    row *rows;
    size_t n_rows;
    extra *extras;
    size_t n_extras;
    char *error; /* non-NULL: invalid rule */
};

static void row_free(row *r) {
    free(r->field_text);
    free(r->param);
    if (r->has_re) regfree(&r->re);
    free(r->memo);
}

void sdk_placement_rule_free(sdk_placement_rule *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n_rows; i++) row_free(&r->rows[i]);
    free(r->rows);
    for (size_t i = 0; i < r->n_extras; i++) free(r->extras[i].name);
    free(r->extras);
    free(r->error);
    free(r);
}

const char *sdk_placement_rule_error(const sdk_placement_rule *r) { return r ? r->error : NULL; }
bool sdk_placement_rule_is_empty(const sdk_placement_rule *r) {
    return !r || (!r->n_rows && !r->n_extras && !r->error);
}

void sdk_placement_rule_add_extra(sdk_placement_rule *r, const char *name, sdk_placement_fn fn, void *user) {
    r->extras = sdk_xrealloc(r->extras, (r->n_extras + 1) * sizeof *r->extras);
    r->extras[r->n_extras].name = sdk_xstrdup(name ? name : "extension rule");
    r->extras[r->n_extras].fn = fn;
    r->extras[r->n_extras].user = user;
    r->n_extras++;
}

static char *trim_dup(const char *s, size_t n) {
    while (n && isspace((unsigned char)*s)) { s++; n--; }
    while (n && isspace((unsigned char)s[n - 1])) n--;
    return sdk_xstrndup(s, n);
}

/* Builds one row from 2 or 3 entries; on error returns a message (new string). */
static char *row_init(row *r, char **ent, size_t n) {
    memset(r, 0, sizeof *r);
    if (n < 2 || n > 3)
        return sdk_asprintf_new("a constraint needs 2 or 3 entries (field, operator[, parameter]), got %zu", n);
    if (!*ent[0]) return sdk_xstrdup("empty field name");
    r->field_text = sdk_xstrdup(ent[0]);
    if (!strcmp(ent[0], "hostname") || !strcmp(ent[0], "@hostname")) { r->kind = F_HOSTNAME; r->key = "@hostname"; }
    else if (!strcmp(ent[0], "@zone")) { r->kind = F_ZONE; r->key = "@zone"; }
    else if (!strcmp(ent[0], "@region")) { r->kind = F_REGION; r->key = "@region"; }
    else { r->kind = F_ATTR; r->key = r->field_text; }
    size_t k;
    for (k = 0; k < sizeof OP_NAMES / sizeof *OP_NAMES; k++)
        if (!strcasecmp(ent[1], OP_NAMES[k])) break;
    if (k == sizeof OP_NAMES / sizeof *OP_NAMES)
        return sdk_asprintf_new("unknown operator '%s' for field '%s' (expected UNIQUE, CLUSTER, GROUP_BY, LIKE, "
                                "UNLIKE, MAX_PER, IS or IS_NOT)", ent[1], ent[0]);
    r->op = (op_t)k;
    const char *p = n == 3 ? ent[2] : NULL;
    if (p) r->param = sdk_xstrdup(p);
    switch (r->op) {
    case OP_UNIQUE:
        if (p) return sdk_asprintf_new("operator UNIQUE on '%s' takes no parameter, got '%s'", ent[0], p);
        r->n = 1;
        break;
    case OP_MAX_PER:
    case OP_GROUP_BY: {
        if (!p) {
            if (r->op == OP_MAX_PER) return sdk_asprintf_new("operator MAX_PER on '%s' needs a count parameter", ent[0]);
            break;
        }
        char *end;
        errno = 0;
        long long x = strtoll(p, &end, 10);
        if (!*p || *end || errno || x < (r->op == OP_MAX_PER ? 0 : 1))
            return sdk_asprintf_new("operator %s on '%s' needs a %s integer parameter, got '%s'", OP_NAMES[r->op],
                                    ent[0], r->op == OP_MAX_PER ? "non-negative" : "positive", p);
        r->n = x;
        break;
    }
    case OP_LIKE:
    case OP_UNLIKE: {
        if (!p) return sdk_asprintf_new("operator %s on '%s' needs a regular expression parameter", OP_NAMES[r->op], ent[0]);
        char *pat = sdk_asprintf_new("^(%s)$", p);
        int rc = regcomp(&r->re, pat, REG_EXTENDED | REG_NOSUB);
        free(pat);
        if (rc) return sdk_asprintf_new("operator %s on '%s': invalid regular expression '%s'", OP_NAMES[r->op], ent[0], p);
        r->has_re = true;
        r->memo = sdk_xcalloc(RE_MEMO_SLOTS, sizeof *r->memo);
        break;
    }
    default:
        if (!p) return sdk_asprintf_new("operator %s on '%s' needs a value parameter", OP_NAMES[r->op], ent[0]);
    }
    return NULL;
}

static char *add_row(sdk_placement_rule *rule, char **ent, size_t n) {
    rule->rows = sdk_xrealloc(rule->rows, (rule->n_rows + 1) * sizeof *rule->rows);
    char *err = row_init(&rule->rows[rule->n_rows], ent, n);
    if (err) {
        row_free(&rule->rows[rule->n_rows]);
        return err;
    }
    rule->n_rows++;
    return NULL;
}

/* JSON forms. Returns 1 if text was JSON (handled, *err set on a shape problem), 0 if not JSON. */
static int parse_json(sdk_placement_rule *rule, const char *text, char **err) {
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    if (!j) return 0;
    if (!json_is_array(j)) {
        json_decref(j);
        *err = sdk_xstrdup("expected a JSON list");
        return 1;
    }
    size_t n = json_array_size(j);
    bool flat = n && json_is_string(json_array_get(j, 0));
    char *ent[4];
    for (size_t i = 0; i < (flat ? 1 : n) && !*err; i++) {
        json_t *rowj = flat ? j : json_array_get(j, i);
        if (!json_is_array(rowj)) { *err = sdk_asprintf_new("entry %zu is not a list", i); break; }
        size_t m = json_array_size(rowj);
        if (m < 2 || m > 3) { *err = sdk_asprintf_new("a constraint needs 2 or 3 entries (field, operator[, parameter]), got %zu", m); break; }
        for (size_t k = 0; k < m; k++) {
            json_t *s = json_array_get(rowj, k);
            if (json_is_string(s)) ent[k] = trim_dup(json_string_value(s), strlen(json_string_value(s)));
            else if (json_is_integer(s)) ent[k] = sdk_asprintf_new("%lld", (long long)json_integer_value(s));
            else {
                for (size_t q = 0; q < k; q++) free(ent[q]);
                *err = sdk_asprintf_new("constraint %zu entry %zu is not a string", i, k);
                m = 0;
                break;
            }
        }
        if (!m) break;
        *err = add_row(rule, ent, m);
        for (size_t k = 0; k < m; k++) free(ent[k]);
    }
    json_decref(j);
    return 1;
}

/* Marathon UI text: rows split on unescaped ',', entries on unescaped ':'; `\,` and `\:` are
 * literal; other backslashes are kept (regexes). */
static char *parse_text(sdk_placement_rule *rule, const char *text) {
    const char *p = text;
    while (*p) {
        char *ent[8];
        size_t n = 0;
        sdk_buf cur;
        sdk_buf_init(&cur);
        sdk_buf_puts(&cur, "");
        bool row_end = false;
        while (!row_end) {
            char c = *p;
            if (c == '\\' && (p[1] == ',' || p[1] == ':')) { sdk_buf_putc(&cur, p[1]); p += 2; continue; }
            if (c == ':' || c == ',' || c == 0) {
                if (n < 8) ent[n] = trim_dup(cur.data, cur.len);
                n++;
                sdk_buf_reset(&cur);
                if (c) p++;
                if (c != ':') row_end = true;
                continue;
            }
            sdk_buf_putc(&cur, c);
            p++;
        }
        sdk_buf_free(&cur);
        char *err = n > 3 ? sdk_asprintf_new("a constraint needs 2 or 3 entries (field, operator[, parameter]), got %zu", n)
                          : add_row(rule, ent, n);
        for (size_t k = 0; k < n && k < 8; k++) free(ent[k]);
        if (err) return err;
    }
    return NULL;
}

sdk_placement_rule *sdk_placement_parse_new(const char *text) {
    sdk_placement_rule *rule = sdk_xcalloc(1, sizeof *rule);
    if (!text) return rule;
    char *t = trim_dup(text, strlen(text));
    char *err = NULL;
    if (*t && strcmp(t, "[]") != 0) {
        if (!(t[0] == '[' && parse_json(rule, t, &err))) err = parse_text(rule, t);
    }
    if (err) {
        rule->error = sdk_asprintf_new("invalid placement rule '%s': %s", text, err);
        for (size_t i = 0; i < rule->n_rows; i++) row_free(&rule->rows[i]);
        rule->n_rows = 0;
        free(err);
    }
    free(t);
    return rule;
}

/* Distinct placement texts a thread keeps parsed: a service has a few pod types. */
#define RULE_CACHE_SIZE 8
static _Thread_local struct {
    char *text[RULE_CACHE_SIZE];
    sdk_placement_rule *rule[RULE_CACHE_SIZE];
    size_t next; /* the entry replaced when all are taken */
} rule_cache;

const sdk_placement_rule *sdk_placement_rule_cached(const char *text) {
    if (!text) return NULL;
    for (size_t i = 0; i < RULE_CACHE_SIZE; i++)
        if (rule_cache.text[i] && !strcmp(rule_cache.text[i], text)) return rule_cache.rule[i];
    size_t i = rule_cache.next;
    rule_cache.next = (i + 1) % RULE_CACHE_SIZE;
    free(rule_cache.text[i]);
    sdk_placement_rule_free(rule_cache.rule[i]);
    rule_cache.text[i] = sdk_xstrdup(text);
    rule_cache.rule[i] = sdk_placement_parse_new(text);
    return rule_cache.rule[i];
}

bool sdk_placement_rule_mentions(const sdk_placement_rule *r, const char *field) {
    if (!r || !field) return false;
    bool host = !strcmp(field, "hostname") || !strcmp(field, "@hostname");
    for (size_t i = 0; i < r->n_rows; i++)
        if (host ? r->rows[i].kind == F_HOSTNAME : !strcmp(r->rows[i].key, field)) return true;
    return false;
}

char *sdk_placement_rule_to_string_new(const sdk_placement_rule *r) {
    json_t *a = json_array();
    for (size_t i = 0; r && i < r->n_rows; i++) {
        json_t *row = json_array();
        json_array_append_new(row, json_string(r->rows[i].field_text));
        json_array_append_new(row, json_string(OP_NAMES[r->rows[i].op]));
        if (r->rows[i].param) json_array_append_new(row, json_string(r->rows[i].param));
        json_array_append_new(a, row);
    }
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    char *out = sdk_xstrdup(s);
    free(s);
    return out;
}

/* ================================================================ evaluation */

static const char *agent_value(const row *r, const sdk_placement_agent *a) {
    switch (r->kind) {
    case F_HOSTNAME: return a->hostname;
    case F_ZONE: return a->zone;
    case F_REGION: return a->region;
    case F_ATTR:
        for (size_t i = 0; i < a->n_attrs; i++)
            if (!strcmp(a->attrs[i].name, r->key)) return a->attrs[i].value;
    }
    return NULL;
}

static const char *task_value(const row *r, const sdk_placement_task *t) {
    sdk_placement_agent a = {t->hostname, t->attrs, t->n_attrs, t->zone, t->region};
    return agent_value(r, &a);
}

typedef struct count_ctx {
    const sdk_placement_view *view;
    const char *pod;
    const map_entry *instance; /* tasks of the instance being placed, or NULL */
    sdk_buf *key;
} count_ctx;

/* Tasks of pod type `pod` whose field equals value, minus those of the instance being placed. */
static int64_t count_value(const count_ctx *c, const row *r, const char *value) {
    if (!c->view) return 0;
    key_build(c->key, c->pod, r->key, value);
    const map_entry *e = smap_get(&c->view->counts, c->key->data, c->key->len);
    int64_t n = e ? e->count : 0;
    if (n && c->instance)
        for (size_t i = 0; i < c->instance->n_members; i++) {
            const char *tv = task_value(r, &c->view->tasks[c->instance->members[i]]->pub);
            if (tv && !strcmp(tv, value)) n--;
        }
    return n;
}

static const char *field_label(const row *r) {
    return r->kind == F_HOSTNAME ? "hostname" : r->kind == F_ZONE ? "zone" : r->kind == F_REGION ? "region" : r->key;
}

/* Whether v matches the row's expression, remembered per value (see re_memo). The memo is the
 * only state a rule changes when evaluated (rules belong to one thread, placement.h). */
static bool row_matches(const row *r, const char *v) {
    size_t n = strlen(v);
    if (n >= RE_MEMO_LEN) return regexec(&r->re, v, 0, NULL, 0) == 0;
    uint64_t h = hash_bytes(v, n);
    re_memo *m = &r->memo[h % RE_MEMO_SLOTS];
    if (m->used && !strcmp(m->value, v)) return m->match;
    m->match = regexec(&r->re, v, 0, NULL, 0) == 0;
    memcpy(m->value, v, n + 1);
    m->used = true;
    return m->match;
}

/* Evaluates one row; on failure sets *why (new string) when why != NULL. */
static bool row_eval(const row *r, const count_ctx *c, const sdk_placement_agent *a, char **why) {
    const char *v = agent_value(r, a);
    bool ok;
#define FAIL(...) do { if (why) *why = sdk_asprintf_new(__VA_ARGS__); return false; } while (0)
    switch (r->op) {
    case OP_UNIQUE:
    case OP_MAX_PER: {
        if (!v) FAIL("%s %s: agent %s has no %s", r->field_text, OP_NAMES[r->op], a->hostname, field_label(r));
        int64_t n = count_value(c, r, v);
        if (n >= r->n && why) { /* the usual rejection of a spreading rule: concatenated, no printf */
            char cn[SDK_I64_STRLEN], cm[SDK_I64_STRLEN];
            *why = sdk_strcat_new(r->field_text, " ", OP_NAMES[r->op], r->param ? " " : "", r->param ? r->param : "",
                                  ": ", sdk_i64_str(n, cn), " task(s) of pod type '", c->pod, "' already on ",
                                  field_label(r), " '", v, "' (max ", sdk_i64_str(r->n, cm), ")", (char *)NULL);
        }
        return n < r->n;
    }
    case OP_GROUP_BY: {
        if (!v) FAIL("%s GROUP_BY: agent %s has no %s", r->field_text, a->hostname, field_label(r));
        int64_t mine = count_value(c, r, v), min = -1, distinct = 0;
        if (c->view) {
            key_build(c->key, c->pod, r->key, NULL);
            const map_entry *g = smap_get(&c->view->groups, c->key->data, c->key->len);
            for (size_t i = 0; g && i < g->n_members; i++) {
                const map_entry *e = &c->view->counts.e[g->members[i]];
                const char *val = strrchr(e->key, '\x1f') + 1;
                int64_t n = count_value(c, r, val);
                if (n <= 0) continue;
                distinct++;
                if (min < 0 || n < min) min = n;
            }
        }
        if (min < 0 || (r->n && distinct < r->n)) min = 0;
        if (mine > min)
            FAIL("%s GROUP_BY%s%s: %s '%s' already has %lld task(s) of pod type '%s', another value has %lld",
                 r->field_text, r->param ? " " : "", r->param ? r->param : "", field_label(r), v, (long long)mine,
                 c->pod, (long long)min);
        return true;
    }
    /* The value operators below fail on most agents when a rule narrows the placement; their
     * reasons are concatenated (no printf): "<field> <OP> <param>: agent <host> has <label> '<v>'<tail>" */
#define FAIL_VALUE(tail) do { if (why) *why = sdk_strcat_new(r->field_text, " ", OP_NAMES[r->op], " ", r->param, \
        ": agent ", a->hostname ? a->hostname : "(null)", " has ", field_label(r), " '", v ? v : "(none)", "'", tail, \
        (char *)NULL); return false; } while (0)
    case OP_CLUSTER:
    case OP_IS:
        ok = v && !strcmp(v, r->param);
        if (!ok) FAIL_VALUE("");
        return true;
    case OP_IS_NOT:
        if (v && !strcmp(v, r->param)) FAIL_VALUE("");
        return true;
    case OP_LIKE:
    case OP_UNLIKE:
        ok = v && row_matches(r, v);
        if (r->op == OP_LIKE && !ok) FAIL_VALUE(", which does not match");
        if (r->op == OP_UNLIKE && ok) FAIL_VALUE(", which matches");
        return true;
    }
#undef FAIL_VALUE
#undef FAIL
    return true;
}

bool sdk_placement_evaluate(const sdk_placement_rule *r, const char *pod_type, int64_t index,
                            const sdk_placement_agent *agent, const sdk_placement_view *view, char **reason) {
    if (reason) *reason = NULL;
    if (!r) goto pass;
    if (r->error) {
        if (reason) *reason = sdk_xstrdup(r->error);
        return false;
    }
    sdk_buf key;
    sdk_buf_init(&key);
    count_ctx c = {view, pod_type ? pod_type : "", NULL, &key};
    if (view && r->n_rows) {
        char num[SDK_I64_STRLEN];
        key_build(&key, c.pod, sdk_i64_str(index, num), NULL);
        c.instance = smap_get(&view->instances, key.data, key.len);
    }
    bool ok = true;
    for (size_t i = 0; i < r->n_rows && ok; i++) ok = row_eval(&r->rows[i], &c, agent, reason);
    sdk_buf_free(&key);
    for (size_t i = 0; i < r->n_extras && ok; i++) {
        char *why = NULL;
        ok = r->extras[i].fn(r->extras[i].user, c.pod, index, agent, view, reason ? &why : NULL);
        if (!ok && reason) *reason = why ? sdk_asprintf_new("%s: %s", r->extras[i].name, why)
                                         : sdk_asprintf_new("%s: rejected agent %s", r->extras[i].name, agent->hostname);
        free(why);
    }
    if (!ok) return false;
pass:
    if (reason) *reason = sdk_xstrdup("placement rules satisfied");
    return true;
}
