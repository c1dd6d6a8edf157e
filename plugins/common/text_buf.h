/* A growable text buffer with a JSON string writer, for the in-tree plugins (which link nothing
 * but libc and build against abi/ alone). Header-only: every function is static inline, so a
 * plugin that includes it carries only what it uses.
 *
 * Contract: a zeroed text_buf is empty and valid; s is NUL-terminated (or NULL while empty);
 * once an allocation fails `oom` is set, later writes do nothing, and s keeps what was written
 * before. The owner frees s. */
#ifndef SDK_PLUGINS_COMMON_TEXT_BUF_H
#define SDK_PLUGINS_COMMON_TEXT_BUF_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct text_buf {
    char *s;
    size_t len, cap;
    bool oom;
} text_buf;

static inline void tb_put(text_buf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

static inline void tb_puts(text_buf *b, const char *s) { tb_put(b, s, strlen(s)); }

/* printf into the buffer, whatever the length of the result. */
#ifdef __GNUC__
static inline void tb_printf(text_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
static inline void tb_printf(text_buf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof tmp) {
        tb_put(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    tb_put(b, big, (size_t)n);
    free(big);
}

/* The JSON string literal of the n bytes at s (quotes, backslashes and control characters
 * escaped; other bytes as they are, so UTF-8 passes through). */
static inline void tb_json_strn(text_buf *b, const char *s, size_t n) {
    tb_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            tb_put(b, esc, 2);
        } else if (c == '\n') {
            tb_put(b, "\\n", 2);
        } else if (c == '\t') {
            tb_put(b, "\\t", 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            tb_put(b, esc, 6);
        } else {
            tb_put(b, &s[i], 1);
        }
    }
    tb_put(b, "\"", 1);
}

static inline void tb_json_str(text_buf *b, const char *s) { tb_json_strn(b, s, strlen(s)); }
#endif
