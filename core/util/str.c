#include "core/util/str.h"
#include "core/util/err.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void) {
    fputs("fatal: out of memory\n", stderr);
    abort();
}
void *sdk_xmalloc(size_t n) { void *p = malloc(n ? n : 1); if (!p) oom(); return p; }
void *sdk_xcalloc(size_t n, size_t size) { void *p = calloc(n ? n : 1, size ? size : 1); if (!p) oom(); return p; }
void *sdk_xrealloc(void *p, size_t n) { p = realloc(p, n ? n : 1); if (!p) oom(); return p; }
char *sdk_xstrdup(const char *s) { if (!s) return NULL; char *d = strdup(s); if (!d) oom(); return d; }
char *sdk_xstrndup(const char *s, size_t n) { char *d = strndup(s, n); if (!d) oom(); return d; }

char *sdk_vasprintf_new(const char *fmt, va_list ap) {
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) oom();
    return s;
}
char *sdk_asprintf_new(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = sdk_vasprintf_new(fmt, ap);
    va_end(ap);
    return s;
}
char *sdk_strcat_new(const char *s, ...) {
    enum { KEPT = 16 }; /* lengths of the first arguments, measured once */
    size_t len[KEPT], n = 0, k = 0;
    va_list ap;
    va_start(ap, s);
    for (const char *p = s; p; p = va_arg(ap, const char *), k++) {
        size_t l = strlen(p);
        if (k < KEPT) len[k] = l;
        n += l;
    }
    va_end(ap);
    char *out = sdk_xmalloc(n + 1), *o = out;
    k = 0;
    va_start(ap, s);
    for (const char *p = s; p; p = va_arg(ap, const char *), k++) {
        size_t l = k < KEPT ? len[k] : strlen(p);
        memcpy(o, p, l);
        o += l;
    }
    va_end(ap);
    *o = 0;
    return out;
}
const char *sdk_i64_str(long long v, char *buf) {
    char tmp[SDK_I64_STRLEN];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = 0;
    do { tmp[n++] = (char)('0' + u % 10); u /= 10; } while (u);
    char *o = buf;
    if (v < 0) *o++ = '-';
    while (n) *o++ = tmp[--n];
    *o = 0;
    return buf;
}
bool sdk_streq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}
bool sdk_str_starts(const char *s, const char *p) { return s && p && strncmp(s, p, strlen(p)) == 0; }
bool sdk_str_ends(const char *s, const char *x) {
    if (!s || !x) return false;
    size_t a = strlen(s), b = strlen(x);
    return a >= b && memcmp(s + a - b, x, b) == 0;
}

void sdk_buf_init(sdk_buf *b) { memset(b, 0, sizeof *b); }
void sdk_buf_free(sdk_buf *b) { free(b->data); memset(b, 0, sizeof *b); }
void sdk_buf_reset(sdk_buf *b) { b->len = 0; if (b->data) b->data[0] = 0; }
static void reserve(sdk_buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    b->data = sdk_xrealloc(b->data, cap);
    b->cap = cap;
}
void sdk_buf_reserve(sdk_buf *b, size_t extra) {
    if (b->len + extra + 1 <= b->cap) return;
    b->cap = b->len + extra + 1;
    b->data = sdk_xrealloc(b->data, b->cap);
    b->data[b->len] = 0;
}
void sdk_buf_append(sdk_buf *b, const void *p, size_t n) {
    reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}
void sdk_buf_puts(sdk_buf *b, const char *s) { sdk_buf_append(b, s, strlen(s)); }
void sdk_buf_putc(sdk_buf *b, char c) { sdk_buf_append(b, &c, 1); }
void sdk_buf_printf(sdk_buf *b, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) { va_end(ap2); return; }
    reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}
char *sdk_buf_take(sdk_buf *b) {
    char *s = b->data ? b->data : sdk_xstrdup("");
    memset(b, 0, sizeof *b);
    return s;
}

int sdk_read_file_new(const char *path, char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? SDK_ENOENT : SDK_EIO;
    sdk_buf b;
    sdk_buf_init(&b);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) sdk_buf_append(&b, tmp, n);
    int bad = ferror(f);
    fclose(f);
    if (bad) { sdk_buf_free(&b); return SDK_EIO; }
    if (len) *len = b.len;
    *out = sdk_buf_take(&b);
    return 0;
}

bool sdk_text_find_nul(const char *t, size_t len, size_t *offset, size_t *line) {
    const char *z = memchr(t, 0, len);
    if (!z) return false;
    if (offset) *offset = (size_t)(z - t);
    if (line) {
        size_t n = 1;
        for (const char *p = t; p < z; p++) n += *p == '\n';
        *line = n;
    }
    return true;
}
