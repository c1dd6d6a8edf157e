/* Env-file parser; contract in envfile.h. */
#include "core/spec/envfile.h"
#include "core/util/str.h"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void sdk_envfile_free(sdk_kv *kv, size_t n) {
    if (!kv) return;
    for (size_t i = 0; i < n; i++) { free(kv[i].key); free(kv[i].value); }
    free(kv);
}

sdk_kv *sdk_kv_copy_new(const sdk_kv *kv, size_t n) {
    if (!n) return NULL;
    sdk_kv *out = sdk_xcalloc(n, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        out[i].key = sdk_xstrdup(kv[i].key);
        out[i].value = sdk_xstrdup(kv[i].value);
    }
    return out;
}

static bool valid_key(const char *k, size_t n) {
    if (n == 0 || !(isalpha((unsigned char)k[0]) || k[0] == '_')) return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)k[i]) || k[i] == '_')) return false;
    return true;
}

int sdk_envfile_parse_new(const char *text, size_t len, const char *file, sdk_kv **out,
                          size_t *n_out, sdk_errors *errs) {
    sdk_kv *kv = NULL;
    size_t n = 0, cap = 0;
    bool bad = false;
    const char *p = text, *end = text + len;
    if (!file) file = "env";
    size_t nul_off = 0, nul_line = 0;
    if (sdk_text_find_nul(text, len, &nul_off, &nul_line)) {
        /* a value would be silently cut at it */
        sdk_errors_addf(errs, "%s:%zu: a NUL byte at byte offset %zu: an env file is text", file,
                        nul_line, nul_off);
        *out = NULL;
        *n_out = 0;
        return SDK_EINVAL;
    }
    for (int line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        if (le > p && le[-1] == '\r') le--;
        const char *s = p;
        while (s < le && (*s == ' ' || *s == '\t')) s++;
        if (s == le || *s == '#') { p = next; continue; }
        const char *eq = memchr(p, '=', (size_t)(le - p));
        if (!eq) {
            sdk_errors_addf(errs, "%s:%d: line has no '=' (expected KEY=VALUE): '%.*s'", file, line,
                            (int)(le - p), p);
            bad = true;
        } else if (!valid_key(p, (size_t)(eq - p))) {
            sdk_errors_addf(errs, "%s:%d: bad variable name '%.*s' (expected letters, digits and "
                            "'_', not starting with a digit)", file, line, (int)(eq - p), p);
            bad = true;
        } else if (!bad) {
            char *key = sdk_xstrndup(p, (size_t)(eq - p));
            char *val = sdk_xstrndup(eq + 1, (size_t)(le - eq - 1));
            size_t i = 0;
            while (i < n && strcmp(kv[i].key, key) != 0) i++;
            if (i < n) {
                free(key);
                free(kv[i].value);
                kv[i].value = val;
            } else {
                if (n == cap) {
                    cap = cap ? cap * 2 : 16;
                    kv = sdk_xrealloc(kv, cap * sizeof *kv);
                }
                kv[n++] = (sdk_kv){ key, val };
            }
        }
        p = next;
    }
    if (bad) {
        sdk_envfile_free(kv, n);
        *out = NULL;
        *n_out = 0;
        return SDK_EINVAL;
    }
    *out = kv;
    *n_out = n;
    return 0;
}

int sdk_envfile_read_new(const char *path, sdk_kv **out, size_t *n_out, sdk_errors *errs) {
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    *n_out = 0;
    int rc = sdk_read_file_new(path, &text, &len);
    if (rc != 0) {
        sdk_errors_addf(errs, "%s: cannot read env file: %s", path,
                        rc == SDK_ENOENT ? "no such file" : "I/O error");
        return rc;
    }
    rc = sdk_envfile_parse_new(text, len, path, out, n_out, errs);
    free(text);
    return rc;
}
