/* Mustache renderer for svc.yml templates; contract in mustache.h. The template is first cut
 * into tokens (checking that every tag and section is closed), then rendered. */
#include "core/spec/mustache.h"
#include "core/util/str.h"
#include "core/util/strmap.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum { T_TEXT, T_VAR, T_RAW, T_SECTION, T_INVERTED, T_CLOSE, T_COMMENT } tok_type;

typedef struct {
    tok_type type;
    const char *s;  /* text, or the tag's trimmed name; points into the template */
    size_t len;
    int line;       /* line of the tag's opening braces */
    size_t match;   /* T_SECTION/T_INVERTED: index of the matching T_CLOSE */
} tok;

typedef struct {
    tok *v;
    size_t n, cap;
} toks;

static void push(toks *t, tok_type type, const char *s, size_t len, int line) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->v = sdk_xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = (tok){ type, s, len, line, 0 };
}

/* Line tracker: counts newlines lazily up to a position. */
typedef struct {
    const char *pos;
    int line;
} lines;
static int line_at(lines *l, const char *p) {
    for (; l->pos < p; l->pos++) if (*l->pos == '\n') l->line++;
    return l->line;
}

static bool standalone_type(tok_type t) {
    return t == T_SECTION || t == T_INVERTED || t == T_CLOSE || t == T_COMMENT;
}

/* Cuts tmpl into tokens. Returns TOK_OK; TOK_BAD (errors appended, tokens complete) on an empty
 * or unsupported tag; TOK_STOP (error appended, tokens incomplete) on a tag without its closing
 * braces. */
enum { TOK_OK, TOK_BAD, TOK_STOP };
static int tokenize(const char *tmpl, toks *out, sdk_errors *errs) {
    lines lt = { tmpl, 1 };
    const char *p = tmpl, *text_start = tmpl;
    bool ok = true;
    while ((p = strstr(p, "{{")) != NULL) {
        const char *tag_start = p;
        int line = line_at(&lt, tag_start);
        bool triple = p[2] == '{';
        const char *body = p + (triple ? 3 : 2);
        const char *end = strstr(body, triple ? "}}}" : "}}");
        if (!end) {
            sdk_errors_addf(errs, "line %d: tag '%s' is never closed (no '%s')", line,
                            triple ? "{{{" : "{{", triple ? "}}}" : "}}");
            return TOK_STOP;
        }
        const char *tag_end = end + (triple ? 3 : 2);
        tok_type type = triple ? T_RAW : T_VAR;
        const char *n = body;
        if (!triple) {
            switch (*n) {
            case '#': type = T_SECTION; n++; break;
            case '^': type = T_INVERTED; n++; break;
            case '/': type = T_CLOSE; n++; break;
            case '!': type = T_COMMENT; n++; break;
            case '&': type = T_RAW; n++; break;
            case '>': case '=':
                sdk_errors_addf(errs, "line %d: unsupported mustache tag '{{%c' (partials and "
                                "delimiter changes are not supported)", line, *n);
                ok = false;
                p = tag_end;
                continue;
            default: break;
            }
        }
        const char *ne = end;
        while (n < ne && isspace((unsigned char)*n)) n++;
        while (ne > n && isspace((unsigned char)ne[-1])) ne--;
        if (type != T_COMMENT && ne == n) {
            sdk_errors_addf(errs, "line %d: empty mustache tag", line);
            ok = false;
            p = tag_end;
            continue;
        }
        const char *next = tag_end;
        const char *text_end = tag_start;
        if (standalone_type(type)) {
            const char *ls = tag_start;
            while (ls > tmpl && ls[-1] != '\n') ls--;
            bool blank_before = ls >= text_start;
            for (const char *c = ls; blank_before && c < tag_start; c++)
                if (*c != ' ' && *c != '\t') blank_before = false;
            const char *q = tag_end;
            while (*q == ' ' || *q == '\t') q++;
            bool blank_after = true;
            if (*q == '\n') q++;
            else if (q[0] == '\r' && q[1] == '\n') q += 2;
            else if (*q != '\0') blank_after = false;
            if (blank_before && blank_after) {
                text_end = ls;
                next = q;
            }
        }
        if (text_end > text_start) push(out, T_TEXT, text_start, (size_t)(text_end - text_start), 0);
        push(out, type, n, (size_t)(ne - n), line);
        p = text_start = next;
    }
    size_t rest = strlen(text_start);
    if (rest) push(out, T_TEXT, text_start, rest, 0);
    return ok ? TOK_OK : TOK_BAD;
}

/* Pairs sections with their closing tags (sets .match). Returns false with errors appended on
 * an unmatched closing tag or a section that is never closed. */
static bool match_sections(toks *t, sdk_errors *errs) {
    size_t *stack = sdk_xcalloc(t->n + 1, sizeof *stack);
    size_t depth = 0;
    bool ok = true;
    for (size_t i = 0; i < t->n; i++) {
        tok *k = &t->v[i];
        if (k->type == T_SECTION || k->type == T_INVERTED) {
            stack[depth++] = i;
        } else if (k->type == T_CLOSE) {
            if (depth == 0) {
                sdk_errors_addf(errs, "line %d: closing tag '{{/%.*s}}' has no open section",
                                k->line, (int)k->len, k->s);
                ok = false;
                continue;
            }
            tok *o = &t->v[stack[depth - 1]];
            if (o->len != k->len || memcmp(o->s, k->s, k->len) != 0) {
                sdk_errors_addf(errs, "line %d: closing tag '{{/%.*s}}' does not match section "
                                "'%.*s' opened on line %d", k->line, (int)k->len, k->s,
                                (int)o->len, o->s, o->line);
                ok = false;
            }
            o->match = i;
            depth--;
        }
    }
    for (size_t d = 0; d < depth; d++) {
        tok *o = &t->v[stack[d]];
        sdk_errors_addf(errs, "line %d: section '%.*s' is never closed", o->line, (int)o->len, o->s);
        ok = false;
    }
    free(stack);
    return ok;
}

typedef struct {
    const sdk_kv *vars;
    size_t n_vars;
    bool strict;
    sdk_buf out;
    sdk_errors missing;
} render_ctx;

static const char *lookup(const render_ctx *c, const char *name, size_t len) {
    for (size_t i = c->n_vars; i-- > 0;) {
        const char *k = c->vars[i].key;
        if (k && strlen(k) == len && memcmp(k, name, len) == 0)
            return c->vars[i].value ? c->vars[i].value : "";
    }
    return NULL;
}

/* 1 = true, 0 = false, -1 = not a boolean. */
static int as_bool(const char *v) {
    if (strcasecmp(v, "true") == 0) return 1;
    if (strcasecmp(v, "false") == 0) return 0;
    return -1;
}

/* Length of the HTML entity starting at s ("&amp;", "&#39;", "&#x3D;"), or 0 if none. */
static size_t entity_len(const char *s) {
    const char *p = s + 1;
    if (isalpha((unsigned char)*p)) {
        while (isalnum((unsigned char)*p)) p++;
    } else if (*p == '#') {
        p++;
        if (*p == 'x' || *p == 'X') {
            p++;
            const char *d = p;
            while (isxdigit((unsigned char)*p)) p++;
            if (p == d) return 0;
        } else {
            const char *d = p;
            while (isdigit((unsigned char)*p)) p++;
            if (p == d) return 0;
        }
    } else {
        return 0;
    }
    return *p == ';' ? (size_t)(p + 1 - s) : 0;
}

static void put_escaped(sdk_buf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&': {
            size_t e = entity_len(s);
            if (e) { sdk_buf_append(b, s, e); s += e - 1; }
            else sdk_buf_puts(b, "&amp;");
            break;
        }
        case '<': sdk_buf_puts(b, "&lt;"); break;
        case '>': sdk_buf_puts(b, "&gt;"); break;
        case '"': sdk_buf_puts(b, "&quot;"); break;
        case '\'': sdk_buf_puts(b, "&#39;"); break;
        default: sdk_buf_putc(b, *s);
        }
    }
}

static void render(render_ctx *c, const toks *t, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) {
        const tok *k = &t->v[i];
        switch (k->type) {
        case T_TEXT:
            sdk_buf_append(&c->out, k->s, k->len);
            break;
        case T_VAR:
        case T_RAW: {
            const char *v = lookup(c, k->s, k->len);
            if (!v) {
                if (c->strict)
                    sdk_errors_addf(&c->missing, "line %d: missing variable %.*s", k->line,
                                    (int)k->len, k->s);
                break;
            }
            int b = as_bool(v);
            if (b >= 0) sdk_buf_puts(&c->out, b ? "true" : "false");
            else if (k->type == T_RAW) sdk_buf_puts(&c->out, v);
            else put_escaped(&c->out, v);
            break;
        }
        case T_SECTION:
        case T_INVERTED: {
            const char *v = lookup(c, k->s, k->len);
            bool truthy = v && *v && as_bool(v) != 0;
            if (truthy == (k->type == T_SECTION)) render(c, t, i + 1, k->match);
            i = k->match;
            break;
        }
        case T_CLOSE:
        case T_COMMENT:
            break;
        }
    }
}

int sdk_mustache_render_new(const char *tmpl, const sdk_kv *vars, size_t n_vars, bool strict,
                            char **out, sdk_errors *errs) {
    *out = NULL;
    toks t = { 0 };
    int rc = SDK_EINVAL;
    int tr = tokenize(tmpl ? tmpl : "", &t, errs);
    if (tr == TOK_STOP) goto free_toks;
    if (!match_sections(&t, errs) || tr != TOK_OK) goto free_toks;

    render_ctx c = { .vars = vars, .n_vars = n_vars, .strict = strict };
    sdk_buf_init(&c.out);
    sdk_errors_init(&c.missing);
    render(&c, &t, 0, t.n);
    if (sdk_errors_any(&c.missing)) {
        sdk_errors_extend(errs, &c.missing);
        sdk_buf_free(&c.out);
    } else {
        *out = sdk_buf_take(&c.out);
        rc = 0;
    }
    sdk_errors_free(&c.missing);
free_toks:
    free(t.v);
    return rc;
}

void sdk_mustache_names_new(const char *tmpl, char ***names, size_t *n) {
    *names = NULL;
    *n = 0;
    toks t = { 0 };
    sdk_errors ignored;
    sdk_errors_init(&ignored);
    tokenize(tmpl ? tmpl : "", &t, &ignored);
    sdk_errors_free(&ignored);
    sdk_strmap seen; /* keys borrowed from *names */
    sdk_strmap_init(&seen);
    size_t cap = 0;
    for (size_t i = 0; i < t.n; i++) {
        const tok *k = &t.v[i];
        if (k->type == T_TEXT || k->type == T_CLOSE || k->type == T_COMMENT) continue;
        char *name = sdk_xstrndup(k->s, k->len);
        bool created = false;
        sdk_strmap_slot(&seen, name, &created);
        if (!created) {
            free(name);
            continue;
        }
        if (*n == cap) *names = sdk_xrealloc(*names, (cap = cap ? cap * 2 : 16) * sizeof **names);
        (*names)[(*n)++] = name;
    }
    sdk_strmap_free(&seen);
    free(t.v);
}

void sdk_mustache_names_free(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}
