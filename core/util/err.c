#include "core/util/err.h"
#include "core/util/str.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sdk_errors_init(sdk_errors *e) { memset(e, 0, sizeof *e); }

void sdk_errors_free(sdk_errors *e) {
    for (size_t i = 0; i < e->n; i++) free(e->msgs[i]);
    free(e->msgs);
    memset(e, 0, sizeof *e);
}

static void push(sdk_errors *e, char *m) {
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4;
        e->msgs = sdk_xrealloc(e->msgs, e->cap * sizeof *e->msgs);
    }
    e->msgs[e->n++] = m;
}

void sdk_errors_addf(sdk_errors *e, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *m = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    push(e, m);
}

void sdk_errors_extend(sdk_errors *e, const sdk_errors *src) {
    for (size_t i = 0; i < src->n; i++) push(e, sdk_xstrdup(src->msgs[i]));
}

bool sdk_errors_contains(const sdk_errors *e, const char *needle) {
    for (size_t i = 0; i < e->n; i++)
        if (strstr(e->msgs[i], needle)) return true;
    return false;
}

void sdk_errors_print(const sdk_errors *e, const char *prefix) {
    for (size_t i = 0; i < e->n; i++) fprintf(stderr, "%s: %s\n", prefix, e->msgs[i]);
}
