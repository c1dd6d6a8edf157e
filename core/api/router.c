/* Route table: linear scan over routes with a precedence rule. See router.h. */
#include "core/api/router.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/str.h"

typedef struct route {
    char *method, *pattern;
    size_t nseg;
    char **seg;     /* literal text, or the parameter name */
    bool *is_param;
    void *target;
} route;

struct sdk_router {
    route *routes;
    size_t n, cap;
};

void sdk_router_new(sdk_router **out) {
    *out = sdk_xcalloc(1, sizeof **out);
}

static void route_clear(route *rt) {
    for (size_t i = 0; i < rt->nseg; i++) free(rt->seg[i]);
    free(rt->seg);
    free(rt->is_param);
    free(rt->method);
    free(rt->pattern);
}

void sdk_router_free(sdk_router *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) route_clear(&r->routes[i]);
    free(r->routes);
    free(r);
}

/* Splits "/a/b/" into segments. A trailing slash is dropped; an empty inner segment is kept
 * (as "") so it never matches anything. "/" has zero segments. */
static size_t split_path(const char *path, char ***out) {
    size_t n = 0, cap = 8;
    char **segs = sdk_xmalloc(cap * sizeof *segs);
    const char *p = path[0] == '/' ? path + 1 : path;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n == cap) segs = sdk_xrealloc(segs, (cap *= 2) * sizeof *segs);
        segs[n++] = sdk_xstrndup(p, len);
        if (!e) break;
        p = e + 1;
    }
    *out = segs;
    return n;
}

static void free_segs(char **segs, size_t n) {
    for (size_t i = 0; i < n; i++) free(segs[i]);
    free(segs);
}

static bool method_ok(const char *m) {
    if (!m || !*m) return false;
    for (; *m; m++)
        if (*m < 'A' || *m > 'Z') return false;
    return true;
}

int sdk_router_add(sdk_router *r, const char *method, const char *pattern, void *target, sdk_errors *errs) {
    if (!method_ok(method)) {
        sdk_errors_addf(errs, "route %s: method '%s' must be an upper-case token like GET",
                        pattern ? pattern : "(null)", method ? method : "(null)");
        return SDK_EINVAL;
    }
    if (!pattern || pattern[0] != '/') {
        sdk_errors_addf(errs, "route %s %s: pattern must start with '/'", method, pattern ? pattern : "(null)");
        return SDK_EINVAL;
    }
    route rt = {.method = sdk_xstrdup(method), .pattern = sdk_xstrdup(pattern), .target = target};
    size_t plen = strlen(pattern);
    char *trimmed = sdk_xstrndup(pattern, plen > 1 && pattern[plen - 1] == '/' ? plen - 1 : plen);
    rt.nseg = split_path(trimmed, &rt.seg);
    free(trimmed);
    rt.is_param = sdk_xcalloc(rt.nseg ? rt.nseg : 1, sizeof *rt.is_param);
    for (size_t i = 0; i < rt.nseg; i++) {
        char *s = rt.seg[i];
        size_t len = strlen(s);
        if (len == 0) {
            sdk_errors_addf(errs, "route %s %s: empty segment %zu", method, pattern, i + 1);
            goto bad;
        }
        bool open = s[0] == '{', close = s[len - 1] == '}';
        if (open || close || strpbrk(s, "{}")) {
            if (!open || !close || len < 3 || strpbrk(s + 1, "{}") != s + len - 1) {
                sdk_errors_addf(errs, "route %s %s: segment '%s' must be a literal or a whole {name}",
                                method, pattern, s);
                goto bad;
            }
            memmove(s, s + 1, len - 2);
            s[len - 2] = 0;
            for (size_t j = 0; j < i; j++) {
                if (rt.is_param[j] && strcmp(rt.seg[j], s) == 0) {
                    sdk_errors_addf(errs, "route %s %s: parameter {%s} appears twice", method, pattern, s);
                    goto bad;
                }
            }
            rt.is_param[i] = true;
        }
    }
    for (size_t k = 0; k < r->n; k++) {
        const route *o = &r->routes[k];
        if (strcmp(o->method, method) != 0 || o->nseg != rt.nseg) continue;
        bool same = true;
        for (size_t i = 0; i < rt.nseg && same; i++)
            same = o->is_param[i] == rt.is_param[i] && (rt.is_param[i] || strcmp(o->seg[i], rt.seg[i]) == 0);
        if (same) {
            sdk_errors_addf(errs, "route %s %s: clashes with the registered route %s %s", method, pattern,
                            o->method, o->pattern);
            route_clear(&rt);
            return SDK_EEXIST;
        }
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->routes = sdk_xrealloc(r->routes, r->cap * sizeof *r->routes);
    }
    r->routes[r->n++] = rt;
    return 0;
bad:
    route_clear(&rt);
    return SDK_EINVAL;
}

static bool path_matches(const route *rt, char **segs, size_t n) {
    if (rt->nseg != n) return false;
    for (size_t i = 0; i < n; i++) {
        if (segs[i][0] == 0) return false;
        if (!rt->is_param[i] && strcmp(rt->seg[i], segs[i]) != 0) return false;
    }
    return true;
}

/* True if a should win over b: a literal at the first position where they differ. */
static bool more_specific(const route *a, const route *b) {
    for (size_t i = 0; i < a->nseg; i++)
        if (a->is_param[i] != b->is_param[i]) return !a->is_param[i];
    return false;
}

void sdk_router_match(const sdk_router *r, const char *method, const char *path, sdk_route_match *m) {
    memset(m, 0, sizeof *m);
    char **segs;
    size_t n = split_path(path ? path : "/", &segs);
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    const route *best = NULL;
    bool other_methods = false;
    for (size_t k = 0; k < r->n; k++) {
        const route *rt = &r->routes[k];
        if (!path_matches(rt, segs, n)) continue;
        if (strcmp(rt->method, want) != 0) {
            other_methods = true;
            continue;
        }
        if (!best || more_specific(rt, best)) best = rt;
    }
    if (best) {
        m->status = 200;
        m->target = best->target;
        m->pattern = best->pattern;
        for (size_t i = 0; i < n; i++) m->nparams += best->is_param[i];
        m->names = sdk_xcalloc(m->nparams ? m->nparams : 1, sizeof *m->names);
        m->values = sdk_xcalloc(m->nparams ? m->nparams : 1, sizeof *m->values);
        for (size_t i = 0, j = 0; i < n; i++) {
            if (!best->is_param[i]) continue;
            m->names[j] = sdk_xstrdup(best->seg[i]);
            m->values[j++] = sdk_xstrdup(segs[i]);
        }
    } else if (other_methods) {
        m->status = 405;
        sdk_buf b;
        sdk_buf_init(&b);
        for (size_t k = 0; k < r->n; k++) {
            const route *rt = &r->routes[k];
            if (!path_matches(rt, segs, n)) continue;
            bool dup = false;
            for (size_t j = 0; j < k && !dup; j++)
                dup = path_matches(&r->routes[j], segs, n) && strcmp(r->routes[j].method, rt->method) == 0;
            if (dup) continue;
            if (b.len) sdk_buf_puts(&b, ", ");
            sdk_buf_puts(&b, rt->method);
        }
        m->allow = sdk_buf_take(&b);
    } else {
        m->status = 404;
    }
    free_segs(segs, n);
}

const char *sdk_route_match_param(const sdk_route_match *m, const char *name) {
    for (size_t i = 0; i < m->nparams; i++)
        if (strcmp(m->names[i], name) == 0) return m->values[i];
    return NULL;
}

void sdk_route_match_clear(sdk_route_match *m) {
    for (size_t i = 0; i < m->nparams; i++) {
        free(m->names[i]);
        free(m->values[i]);
    }
    free(m->names);
    free(m->values);
    free(m->allow);
    memset(m, 0, sizeof *m);
}
