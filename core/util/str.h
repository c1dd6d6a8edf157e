/* String helpers. Allocation failure aborts the process (the scheduler is crash-only and a
 * supervisor restarts it; partial recovery from OOM is not attempted). */
#ifndef SDK_UTIL_STR_H
#define SDK_UTIL_STR_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

void *sdk_xmalloc(size_t n);
void *sdk_xcalloc(size_t n, size_t size);
void *sdk_xrealloc(void *p, size_t n);
char *sdk_xstrdup(const char *s);          /* NULL -> NULL */
char *sdk_xstrndup(const char *s, size_t n);
char *sdk_asprintf_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *sdk_vasprintf_new(const char *fmt, va_list ap);
/* The concatenation of s and the strings after it, up to a NULL argument: one allocation and no
 * format parsing (hot paths build their messages with it; printf of several %s costs more). */
char *sdk_strcat_new(const char *s, ...) __attribute__((sentinel));
/* Writes v in decimal into buf (at least SDK_I64_STRLEN bytes) and returns buf (no printf). */
#define SDK_I64_STRLEN 21
const char *sdk_i64_str(long long v, char *buf);
bool sdk_streq(const char *a, const char *b); /* NULL-safe: both NULL are equal */
bool sdk_str_starts(const char *s, const char *prefix);
bool sdk_str_ends(const char *s, const char *suffix);

/* Growable byte buffer, always NUL-terminated. */
typedef struct sdk_buf {
    char *data;
    size_t len, cap;
} sdk_buf;
void sdk_buf_init(sdk_buf *b);
void sdk_buf_free(sdk_buf *b);
void sdk_buf_reset(sdk_buf *b);
void sdk_buf_append(sdk_buf *b, const void *p, size_t n);
/* Makes room for exactly `extra` more bytes (and the NUL) when there is less: for a writer that
 * knows its size, so a big buffer is one allocation of that size, not a doubling series. */
void sdk_buf_reserve(sdk_buf *b, size_t extra);
void sdk_buf_puts(sdk_buf *b, const char *s);
void sdk_buf_putc(sdk_buf *b, char c);
void sdk_buf_printf(sdk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the buffer's string to the caller (free()), leaving b empty. */
char *sdk_buf_take(sdk_buf *b);

/* Reads a whole file into a new NUL-terminated string. Returns 0, or SDK_EIO/SDK_ENOENT. */
int sdk_read_file_new(const char *path, char **out, size_t *len);
/* Text read with a length may hold a NUL byte that a C string would silently cut at. Returns
 * true when t[0..len) has one, with its 0-based byte *offset and 1-based *line (either may be
 * NULL). */
bool sdk_text_find_nul(const char *t, size_t len, size_t *offset, size_t *line);
#endif
