/* Package options (options.h). The JSON schema subset read here is what dcos-commons packages
 * use in universe/config.json (upstream frameworks/helloworld/universe/config.json): nested
 * "properties" objects, leaves with "type", "default", "description", "minimum", "maximum",
 * "enum". */
#include "core/spec/options.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/spec/envfile.h"
#include "core/util/str.h"

const char *sdk_option_type_name(sdk_option_type t) {
    switch (t) {
    case SDK_OPTION_INTEGER: return "integer";
    case SDK_OPTION_NUMBER: return "number";
    case SDK_OPTION_BOOLEAN: return "boolean";
    default: return "string";
    }
}

sdk_options *sdk_options_new(void) { return sdk_xcalloc(1, sizeof(sdk_options)); }

static void def_free(sdk_option_def *d) {
    free(d->path);
    free(d->variable);
    free(d->default_value);
    free(d->description);
    for (size_t i = 0; i < d->n_enum; i++) free(d->enum_values[i]);
    free(d->enum_values);
}

void sdk_options_free(sdk_options *o) {
    if (!o) return;
    for (size_t i = 0; i < o->n; i++) def_free(&o->defs[i]);
    free(o->defs);
    free(o);
}

static bool path_ok(const char *p) {
    if (!p || !*p || *p == '.') return false;
    for (const char *c = p; *c; c++) {
        bool seg = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                   *c == '_' || *c == '-';
        if (*c == '.' && (c[1] == '.' || c[1] == 0)) return false;
        if (!seg && *c != '.') return false;
    }
    return true;
}

static bool variable_ok(const char *k) {
    if (!k || !((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || *k == '_')) return false;
    for (const char *p = k + 1; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

/* Strict number parsing: the whole text, finite. */
static bool parse_number(const char *s, double *out) {
    if (!s || !*s) return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || end == s) return false;
    /* strtod takes hex, "inf", leading blanks: a JSON-ish decimal only */
    for (const char *c = s; *c; c++)
        if (!((*c >= '0' && *c <= '9') || *c == '-' || *c == '+' || *c == '.' || *c == 'e' || *c == 'E'))
            return false;
    *out = v;
    return true;
}

static bool parse_integer(const char *s, double *out) {
    if (!s || !*s) return false;
    const char *c = s;
    if (*c == '-' || *c == '+') c++;
    if (!*c) return false;
    for (; *c; c++)
        if (*c < '0' || *c > '9') return false;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno) return false;
    *out = (double)v;
    return true;
}

const sdk_option_def *sdk_options_find_path(const sdk_options *o, const char *path) {
    for (size_t i = 0; o && path && i < o->n; i++)
        if (!strcmp(o->defs[i].path, path)) return &o->defs[i];
    return NULL;
}

const sdk_option_def *sdk_options_find_variable(const sdk_options *o, const char *variable) {
    for (size_t i = 0; o && variable && i < o->n; i++)
        if (!strcmp(o->defs[i].variable, variable)) return &o->defs[i];
    return NULL;
}

/* "an integer >= 1 and <= 10", "a number", "one of V0, V1" */
static char *expectation_new(const sdk_option_def *d) {
    sdk_buf b;
    sdk_buf_init(&b);
    if (d->n_enum) {
        sdk_buf_puts(&b, "one of ");
        for (size_t i = 0; i < d->n_enum; i++) sdk_buf_printf(&b, "%s\"%s\"", i ? ", " : "", d->enum_values[i]);
        return sdk_buf_take(&b);
    }
    switch (d->type) {
    case SDK_OPTION_INTEGER: sdk_buf_puts(&b, "an integer"); break;
    case SDK_OPTION_NUMBER: sdk_buf_puts(&b, "a number"); break;
    case SDK_OPTION_BOOLEAN: sdk_buf_puts(&b, "true or false"); break;
    default: sdk_buf_puts(&b, "a string"); break;
    }
    if (d->has_min) sdk_buf_printf(&b, " >= %.15g", d->min);
    if (d->has_max) sdk_buf_printf(&b, "%s <= %.15g", d->has_min ? " and" : "", d->max);
    return sdk_buf_take(&b);
}

bool sdk_option_check(const sdk_option_def *d, const char *value, sdk_errors *errs) {
    const char *v = value ? value : "";
    bool ok = true;
    double x = 0;
    switch (d->type) {
    case SDK_OPTION_INTEGER: ok = parse_integer(v, &x); break;
    case SDK_OPTION_NUMBER: ok = parse_number(v, &x); break;
    case SDK_OPTION_BOOLEAN: ok = !strcmp(v, "true") || !strcmp(v, "false"); break;
    default: break;
    }
    if (ok && (d->type == SDK_OPTION_INTEGER || d->type == SDK_OPTION_NUMBER))
        ok = (!d->has_min || x >= d->min) && (!d->has_max || x <= d->max);
    if (ok && d->n_enum) {
        ok = false;
        for (size_t i = 0; i < d->n_enum && !ok; i++) ok = !strcmp(d->enum_values[i], v);
    }
    if (!ok && errs) {
        char *want = expectation_new(d);
        sdk_errors_addf(errs, "%s: expected %s, found \"%.200s\"", d->path, want, v);
        free(want);
    }
    return ok;
}

int sdk_options_add(sdk_options *o, const char *where, const char *path, const char *variable,
                    sdk_option_type type, const char *default_value, const char *description,
                    const char *min, const char *max, const char *enum_values, sdk_errors *errs) {
    where = where ? where : "options";
    if (!path_ok(path)) {
        sdk_errors_addf(errs, "%s: option '%s': bad name (expected dotted segments of [A-Za-z0-9_-])", where,
                        path ? path : "(null)");
        return SDK_EINVAL;
    }
    if (!variable_ok(variable)) {
        sdk_errors_addf(errs, "%s: option %s: bad template variable '%s' (expected [A-Za-z_][A-Za-z0-9_]*)", where,
                        path, variable ? variable : "(null)");
        return SDK_EINVAL;
    }
    if ((int)type < 0 || type > SDK_OPTION_BOOLEAN) {
        sdk_errors_addf(errs, "%s: option %s: unknown type %d", where, path, (int)type);
        return SDK_EINVAL;
    }
    if (sdk_options_find_path(o, path)) {
        sdk_errors_addf(errs, "%s: option %s is declared twice", where, path);
        return SDK_EINVAL;
    }
    const sdk_option_def *same = sdk_options_find_variable(o, variable);
    if (same) {
        sdk_errors_addf(errs, "%s: options %s and %s both feed the variable %s", where, same->path, path, variable);
        return SDK_EINVAL;
    }
    for (const char *p = path; *p; p++) {
        /* "hello" cannot be a leaf when "hello.count" is one (nested JSON could not hold both) */
        if (*p != '.') continue;
        char *prefix = sdk_xstrndup(path, (size_t)(p - path));
        bool clash = sdk_options_find_path(o, prefix) != NULL;
        free(prefix);
        if (clash) {
            sdk_errors_addf(errs, "%s: option %s is nested inside another option", where, path);
            return SDK_EINVAL;
        }
    }
    size_t plen = strlen(path);
    for (size_t i = 0; i < o->n; i++)
        if (!strncmp(o->defs[i].path, path, plen) && o->defs[i].path[plen] == '.') {
            sdk_errors_addf(errs, "%s: option %s has options nested inside it (%s)", where, path, o->defs[i].path);
            return SDK_EINVAL;
        }
    sdk_option_def d = {0};
    d.type = type;
    double x = 0;
    if (min) {
        if (!parse_number(min, &x)) {
            sdk_errors_addf(errs, "%s: option %s: minimum '%s' is not a number", where, path, min);
            return SDK_EINVAL;
        }
        d.has_min = true;
        d.min = x;
    }
    if (max) {
        if (!parse_number(max, &x)) {
            sdk_errors_addf(errs, "%s: option %s: maximum '%s' is not a number", where, path, max);
            return SDK_EINVAL;
        }
        d.has_max = true;
        d.max = x;
    }
    d.path = sdk_xstrdup(path);
    d.variable = sdk_xstrdup(variable);
    d.default_value = sdk_xstrdup(default_value ? default_value : "");
    d.description = sdk_xstrdup(description ? description : "");
    if (enum_values) {
        const char *s = enum_values;
        for (;;) {
            const char *bar = strchr(s, '|');
            size_t len = bar ? (size_t)(bar - s) : strlen(s);
            d.enum_values = sdk_xrealloc(d.enum_values, (d.n_enum + 1) * sizeof *d.enum_values);
            d.enum_values[d.n_enum++] = sdk_xstrndup(s, len);
            if (!bar) break;
            s = bar + 1;
        }
    }
    sdk_errors de;
    sdk_errors_init(&de);
    if (!sdk_option_check(&d, d.default_value, &de)) {
        sdk_errors_addf(errs, "%s: the default of %s", where, de.msgs[0]);
        sdk_errors_free(&de);
        def_free(&d);
        return SDK_EINVAL;
    }
    sdk_errors_free(&de);
    o->defs = sdk_xrealloc(o->defs, (o->n + 1) * sizeof *o->defs);
    o->defs[o->n++] = d;
    return 0;
}

int sdk_options_check_vars(const sdk_options *o, const sdk_kv *vars, size_t n, sdk_errors *errs) {
    bool bad = false;
    for (size_t i = 0; o && i < n; i++) {
        const sdk_option_def *d = sdk_options_find_variable(o, vars[i].key);
        if (d && !sdk_option_check(d, vars[i].value, errs)) bad = true;
    }
    return bad ? SDK_EINVAL : 0;
}

static void kv_push(sdk_kv **kv, size_t *n, const char *k, const char *v) {
    *kv = sdk_xrealloc(*kv, (*n + 1) * sizeof **kv);
    (*kv)[*n].key = sdk_xstrdup(k);
    (*kv)[*n].value = sdk_xstrdup(v ? v : "");
    (*n)++;
}

int sdk_options_translate_new(const sdk_options *o, const sdk_kv *in, size_t n, sdk_kv **out_new,
                              size_t *n_out, sdk_errors *errs) {
    sdk_kv *kv = NULL;
    size_t k = 0;
    bool bad = false;
    for (size_t i = 0; i < n; i++) {
        const char *key = in[i].key ? in[i].key : "";
        const sdk_option_def *d = sdk_options_find_path(o, key);
        if (d) {
            kv_push(&kv, &k, d->variable, in[i].value);
        } else if (strchr(key, '.')) {
            sdk_errors_addf(errs, "-o '%s=%s': %s is not an option of this service (see --help)", key,
                            in[i].value ? in[i].value : "", key);
            bad = true;
        } else {
            kv_push(&kv, &k, key, in[i].value);
        }
    }
    if (bad) {
        sdk_envfile_free(kv, k);
        return SDK_EINVAL;
    }
    *out_new = kv;
    *n_out = k;
    return 0;
}

static void flatten(const sdk_options *o, const json_t *j, sdk_buf *path, sdk_kv **kv, size_t *k, bool *bad,
                    sdk_errors *errs) {
    const char *name;
    json_t *v;
    size_t base = path->len;
    json_object_foreach((json_t *)j, name, v) {
        path->len = base;
        if (base) sdk_buf_putc(path, '.');
        sdk_buf_puts(path, name);
        const char *p = path->data;
        const sdk_option_def *d = sdk_options_find_path(o, p);
        if (!d && !base) d = sdk_options_find_variable(o, name); /* {"WORLD_COUNT": 3}: flat names too */
        if (!d) {
            /* a group: some option starts with "<p>." */
            size_t plen = strlen(p);
            bool group = false;
            for (size_t i = 0; o && i < o->n && !group; i++)
                group = !strncmp(o->defs[i].path, p, plen) && o->defs[i].path[plen] == '.';
            if (group && json_is_object(v)) {
                flatten(o, v, path, kv, k, bad, errs);
            } else if (group) {
                sdk_errors_addf(errs, "%s: expected an object of options", p);
                *bad = true;
            } else {
                sdk_errors_addf(errs, "%s: not an option of this service", p);
                *bad = true;
            }
            continue;
        }
        char *text = NULL;
        if (json_is_string(v)) text = sdk_xstrdup(json_string_value(v));
        else if (json_is_boolean(v)) text = sdk_xstrdup(json_is_true(v) ? "true" : "false");
        else if (json_is_integer(v)) text = sdk_asprintf_new("%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v)) text = sdk_asprintf_new("%.17g", json_real_value(v));
        if (!text) {
            char *want = expectation_new(d);
            sdk_errors_addf(errs, "%s: expected %s, found %s", p, want,
                            json_is_object(v) ? "an object" : json_is_array(v) ? "an array" : "null");
            free(want);
            *bad = true;
            continue;
        }
        /* a JSON string is not a number for a typed option: Cosmos validates JSON types */
        bool typed_ok = d->type == SDK_OPTION_STRING ? json_is_string(v)
                      : d->type == SDK_OPTION_BOOLEAN ? json_is_boolean(v) || json_is_string(v)
                                                      : json_is_number(v) || json_is_string(v);
        if (!typed_ok) {
            char *want = expectation_new(d);
            sdk_errors_addf(errs, "%s: expected %s, found %s", p, want, text);
            free(want);
            *bad = true;
        } else if (!sdk_option_check(d, text, errs)) {
            *bad = true;
        } else {
            kv_push(kv, k, d->variable, text);
        }
        free(text);
    }
    path->len = base;
    if (path->data) path->data[base] = 0;
}

int sdk_options_flatten_json(const sdk_options *o, const json_t *nested, sdk_kv **out_new,
                             size_t *n_out, sdk_errors *errs) {
    *out_new = NULL;
    *n_out = 0;
    if (!json_is_object(nested)) {
        sdk_errors_addf(errs, "options: expected a JSON object of options");
        return SDK_EINVAL;
    }
    sdk_buf path;
    sdk_buf_init(&path);
    sdk_kv *kv = NULL;
    size_t k = 0;
    bool bad = false;
    flatten(o, nested, &path, &kv, &k, &bad, errs);
    sdk_buf_free(&path);
    if (bad) {
        sdk_envfile_free(kv, k);
        return SDK_EINVAL;
    }
    *out_new = kv;
    *n_out = k;
    return 0;
}

static json_t *typed_value_new(const sdk_option_def *d, const char *text) {
    double x = 0;
    if (d->type == SDK_OPTION_INTEGER && parse_integer(text, &x)) return json_integer((json_int_t)strtoll(text, NULL, 10));
    if (d->type == SDK_OPTION_NUMBER && parse_number(text, &x)) return json_real(x);
    if (d->type == SDK_OPTION_BOOLEAN && (!strcmp(text, "true") || !strcmp(text, "false")))
        return json_boolean(!strcmp(text, "true"));
    return json_string(text); /* a value that does not validate is shown as it is */
}

/* The object at the parent path of `path`, created on the way; *leaf gets the last segment. */
static json_t *parent_of(json_t *root, const char *path, char **leaf_new) {
    json_t *cur = root;
    const char *s = path;
    for (const char *dot; (dot = strchr(s, '.')); s = dot + 1) {
        char *seg = sdk_xstrndup(s, (size_t)(dot - s));
        json_t *next = json_object_get(cur, seg);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(cur, seg, next);
        }
        free(seg);
        cur = next;
    }
    *leaf_new = sdk_xstrdup(s);
    return cur;
}

json_t *sdk_options_to_json_new(const sdk_options *o, const sdk_kv *vars, size_t n, bool all) {
    json_t *root = json_object();
    for (size_t i = 0; o && i < o->n; i++) {
        const sdk_option_def *d = &o->defs[i];
        const char *text = NULL;
        for (size_t j = 0; j < n; j++) /* later entries win */
            if (vars[j].key && !strcmp(vars[j].key, d->variable)) text = vars[j].value ? vars[j].value : "";
        if (!text && !all) continue;
        if (!text) text = d->default_value;
        char *leaf = NULL;
        json_t *parent = parent_of(root, d->path, &leaf);
        json_object_set_new(parent, leaf, typed_value_new(d, text));
        free(leaf);
    }
    return root;
}

json_t *sdk_options_schema_json_new(const sdk_options *o) {
    json_t *root = json_pack("{s:s, s:o}", "type", "object", "properties", json_object());
    for (size_t i = 0; o && i < o->n; i++) {
        const sdk_option_def *d = &o->defs[i];
        json_t *cur = root;
        const char *s = d->path;
        for (const char *dot; (dot = strchr(s, '.')); s = dot + 1) {
            char *seg = sdk_xstrndup(s, (size_t)(dot - s));
            json_t *props = json_object_get(cur, "properties");
            json_t *next = json_object_get(props, seg);
            if (!next) {
                next = json_pack("{s:s, s:o}", "type", "object", "properties", json_object());
                json_object_set_new(props, seg, next);
            }
            free(seg);
            cur = next;
        }
        json_t *leaf = json_pack("{s:s, s:s, s:o}", "type", sdk_option_type_name(d->type), "description",
                                 d->description, "default", typed_value_new(d, d->default_value));
        if (d->has_min) json_object_set_new(leaf, "minimum", json_real(d->min));
        if (d->has_max) json_object_set_new(leaf, "maximum", json_real(d->max));
        if (d->n_enum) {
            json_t *e = json_array();
            for (size_t k = 0; k < d->n_enum; k++) json_array_append_new(e, json_string(d->enum_values[k]));
            json_object_set_new(leaf, "enum", e);
        }
        json_object_set_new(leaf, "x-env", json_string(d->variable));
        json_object_set_new(json_object_get(cur, "properties"), s, leaf);
    }
    return root;
}

void sdk_options_print_help(FILE *f, const sdk_options *o) {
    if (!o || !o->n) return;
    size_t w = 0;
    for (size_t i = 0; i < o->n; i++) {
        size_t l = strlen(o->defs[i].path) + strlen(sdk_option_type_name(o->defs[i].type)) + 3;
        if (l > w) w = l;
    }
    for (size_t i = 0; i < o->n; i++) {
        const sdk_option_def *d = &o->defs[i];
        char *head = sdk_asprintf_new("%s (%s)", d->path, sdk_option_type_name(d->type));
        fprintf(f, "  %-*s %s", (int)w, head, d->description);
        free(head);
        bool bounded = d->has_min || d->has_max || d->n_enum;
        if (bounded) {
            char *want = expectation_new(d);
            fprintf(f, "; %s", want);
            free(want);
        }
        fprintf(f, "\n  %-*s default: \"%s\", template variable %s\n", (int)w, "", d->default_value, d->variable);
    }
}

/* ---- config.json files ---------------------------------------------------------------------- */

static char *derived_variable_new(const char *path) {
    char *v = sdk_xstrdup(path);
    for (char *c = v; *c; c++) {
        if (*c == '.' || *c == '-') *c = '_';
        else if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
    }
    return v;
}

/* Text of a JSON scalar for a default or bound; NULL for anything else. */
static char *scalar_text_new(const json_t *v) {
    if (json_is_string(v)) return sdk_xstrdup(json_string_value(v));
    if (json_is_boolean(v)) return sdk_xstrdup(json_is_true(v) ? "true" : "false");
    if (json_is_integer(v)) return sdk_asprintf_new("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_real(v)) return sdk_asprintf_new("%.17g", json_real_value(v));
    return NULL;
}

static void load_props(sdk_options *o, const char *file, const json_t *props, const char *jpath,
                       const char *opath, bool *bad, sdk_errors *errs) {
    if (!json_is_object(props)) {
        sdk_errors_addf(errs, "%s: %s: expected an object", file, jpath);
        *bad = true;
        return;
    }
    const char *name;
    json_t *p;
    json_object_foreach((json_t *)props, name, p) {
        char *jp = sdk_asprintf_new("%s.%s", jpath, name);
        char *op = *opath ? sdk_asprintf_new("%s.%s", opath, name) : sdk_xstrdup(name);
        const char *type = json_string_value(json_object_get(p, "type"));
        if (!json_is_object(p) || !type) {
            sdk_errors_addf(errs, "%s: %s: expected an object with a \"type\"", file, jp);
            *bad = true;
        } else if (!strcmp(type, "object")) {
            char *sub = sdk_asprintf_new("%s.properties", jp);
            load_props(o, file, json_object_get(p, "properties"), sub, op, bad, errs);
            free(sub);
        } else {
            sdk_option_type t = SDK_OPTION_STRING;
            bool known = true;
            if (!strcmp(type, "integer")) t = SDK_OPTION_INTEGER;
            else if (!strcmp(type, "number")) t = SDK_OPTION_NUMBER;
            else if (!strcmp(type, "boolean")) t = SDK_OPTION_BOOLEAN;
            else if (strcmp(type, "string")) known = false;
            if (!known) {
                sdk_errors_addf(errs, "%s: %s.type: '%s' is not an option type (string, integer, number, boolean, "
                                "object)", file, jp, type);
                *bad = true;
            } else {
                char *def = json_object_get(p, "default") ? scalar_text_new(json_object_get(p, "default"))
                                                         : sdk_xstrdup("");
                char *mn = json_object_get(p, "minimum") ? scalar_text_new(json_object_get(p, "minimum")) : NULL;
                char *mx = json_object_get(p, "maximum") ? scalar_text_new(json_object_get(p, "maximum")) : NULL;
                const json_t *en = json_object_get(p, "enum");
                sdk_buf eb;
                sdk_buf_init(&eb);
                for (size_t i = 0; json_is_array(en) && i < json_array_size(en); i++) {
                    char *t1 = scalar_text_new(json_array_get(en, i));
                    sdk_buf_printf(&eb, "%s%s", i ? "|" : "", t1 ? t1 : "");
                    free(t1);
                }
                const char *env = json_string_value(json_object_get(p, "x-env"));
                char *var = env ? sdk_xstrdup(env) : derived_variable_new(op);
                char *where = sdk_asprintf_new("%s: %s", file, jp);
                if (!def) {
                    sdk_errors_addf(errs, "%s.default: expected a string, number or boolean", where);
                    *bad = true;
                } else if (sdk_options_add(o, where, op, var, t, def,
                                           json_string_value(json_object_get(p, "description")), mn, mx,
                                           json_is_array(en) && json_array_size(en) ? eb.data : NULL, errs)) {
                    *bad = true;
                }
                free(where);
                free(var);
                sdk_buf_free(&eb);
                free(def);
                free(mn);
                free(mx);
            }
        }
        free(jp);
        free(op);
    }
}

int sdk_options_load_file_new(const char *path, sdk_options **out, sdk_errors *errs) {
    *out = NULL;
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        sdk_errors_addf(errs, "%s:%d:%d: not a JSON options schema: %s", path, je.line, je.column, je.text);
        return SDK_EINVAL;
    }
    sdk_options *o = sdk_options_new();
    bool bad = false;
    if (!json_is_object(root) || !json_object_get(root, "properties")) {
        sdk_errors_addf(errs, "%s: expected a JSON schema object with \"properties\" (a package's config.json)",
                        path);
        bad = true;
    } else {
        load_props(o, path, json_object_get(root, "properties"), "properties", "", &bad, errs);
    }
    json_decref(root);
    if (bad) {
        sdk_options_free(o);
        return SDK_EINVAL;
    }
    *out = o;
    return 0;
}
