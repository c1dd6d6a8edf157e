/* State dump and restore (contract and format in dump.h). */
#include "core/state/dump.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/state/store_zk.h"
#include "core/util/str.h"
#include "mesos/pbjson.h"

/* True when v[0..len) is valid UTF-8 text (no NUL, no control characters but \t \r \n). */
static bool is_text(const unsigned char *v, size_t len) {
    for (size_t i = 0; i < len;) {
        unsigned char c = v[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f) return false;
            i++;
            continue;
        }
        size_t n = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (!n || i + n > len || (n == 2 && c < 0xc2) || c > 0xf4) return false;
        for (size_t k = 1; k < n; k++)
            if ((v[i + k] & 0xc0) != 0x80) return false;
        if (n == 3 && c == 0xe0 && v[i + 1] < 0xa0) return false;              /* overlong */
        if (n == 3 && c == 0xed && v[i + 1] >= 0xa0) return false;             /* surrogate */
        if (n == 4 && c == 0xf0 && v[i + 1] < 0x90) return false;              /* overlong */
        if (n == 4 && c == 0xf4 && v[i + 1] >= 0x90) return false;             /* > U+10FFFF */
        i += n;
    }
    return true;
}

/* Adds path and its subtree to nodes, depth first (children in strcmp order). */
static int dump_node(sdk_store *s, const char *path, json_t *nodes, sdk_errors *errs) {
    if (*path) {
        void *v = NULL;
        size_t len = 0;
        int rc = sdk_store_get_new(s, path, &v, &len, errs);
        if (rc) return rc;
        json_t *jv;
        if (is_text(v, len)) {
            jv = json_stringn(v, len);
        } else {
            char *b64 = sdk_base64_encode_new(v, len);
            jv = json_pack("{s:s}", "base64", b64);
            free(b64);
        }
        free(v);
        json_object_set_new(nodes, path, jv);
    }
    char **names = NULL;
    size_t n = 0;
    int rc = sdk_store_children_new(s, path, &names, &n, errs);
    for (size_t i = 0; i < n && !rc; i++) {
        char *child = *path ? sdk_asprintf_new("%s/%s", path, names[i]) : sdk_xstrdup(names[i]);
        rc = dump_node(s, child, nodes, errs);
        free(child);
    }
    sdk_store_names_free(names, n);
    return rc;
}

int sdk_state_dump_new(sdk_store *s, char **json, sdk_errors *errs) {
    *json = NULL;
    json_t *nodes = json_object();
    int rc = dump_node(s, "", nodes, errs);
    if (rc) {
        json_decref(nodes);
        return rc;
    }
    json_t *root = json_pack("{s:s, s:i, s:s, s:o}", "format", "sdk-state-dump", "version", 1, "store",
                             sdk_store_describe(s), "nodes", nodes);
    *json = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!*json) {
        if (errs) sdk_errors_addf(errs, "state dump: cannot encode the dump as JSON");
        return SDK_ENOMEM;
    }
    return 0;
}

int sdk_state_restore(sdk_store *s, const char *json, size_t len, size_t *restored,
                      sdk_errors *errs) {
    if (restored) *restored = 0;
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root) {
        if (errs)
            sdk_errors_addf(errs, "state restore: the dump is not valid JSON (line %d, column %d): %s",
                            je.line, je.column, je.text);
        return SDK_EINVAL;
    }
    int rc = 0;
    json_t *fmt = json_object_get(root, "format"), *ver = json_object_get(root, "version");
    json_t *nodes = json_object_get(root, "nodes");
    if (!json_is_object(root) || !json_is_string(fmt) || strcmp(json_string_value(fmt), "sdk-state-dump") ||
        !json_is_integer(ver) || !json_is_object(nodes)) {
        if (errs)
            sdk_errors_addf(errs,
                            "state restore: not a state dump: expected an object with \"format\": "
                            "\"sdk-state-dump\", \"version\": 1 and a \"nodes\" object");
        json_decref(root);
        return SDK_EINVAL;
    }
    if (json_integer_value(ver) != 1) {
        if (errs)
            sdk_errors_addf(errs, "state restore: dump version %lld is not supported (this build reads 1)",
                            (long long)json_integer_value(ver));
        json_decref(root);
        return SDK_EINVAL;
    }
    sdk_store_txn *t = sdk_store_txn_new();
    const char *path;
    json_t *v;
    json_object_foreach(nodes, path, v) {
        if (!sdk_store_path_valid(path)) {
            if (errs) sdk_errors_addf(errs, "state restore: nodes: '%s' is not a valid node path", path);
            rc = SDK_EINVAL;
            continue;
        }
        if (json_is_string(v)) {
            sdk_store_txn_set(t, path, json_string_value(v), json_string_length(v));
            continue;
        }
        json_t *b = json_is_object(v) && json_object_size(v) == 1 ? json_object_get(v, "base64") : NULL;
        unsigned char *bytes = NULL;
        size_t blen = 0;
        if (!json_is_string(b) ||
            sdk_base64_decode_new(json_string_value(b), json_string_length(b), &bytes, &blen)) {
            if (errs)
                sdk_errors_addf(errs,
                                "state restore: nodes.'%s': expected a string or {\"base64\": "
                                "\"...\"} with valid base64",
                                path);
            rc = SDK_EINVAL;
            continue;
        }
        sdk_store_txn_set(t, path, bytes, blen);
        free(bytes);
    }
    if (!rc) {
        char **names = NULL;
        size_t n = 0;
        rc = sdk_store_children_new(s, "", &names, &n, errs);
        /* A wiped store keeps its SchemaVersion (layout.h); the dump's replaces it. */
        bool wiped = !rc && n == 1 && !strcmp(names[0], "SchemaVersion");
        if (!rc && n && !wiped) {
            if (errs)
                sdk_errors_addf(errs,
                                "state restore: %s is not empty (%zu top-level node%s, e.g. '%s'); "
                                "restore only into an empty store",
                                sdk_store_describe(s), n, n == 1 ? "" : "s", names[0]);
            rc = SDK_ESTATE;
        }
        sdk_store_names_free(names, n);
    }
    if (!rc) rc = sdk_store_txn_commit(s, t, errs);
    if (!rc && restored) *restored = sdk_store_txn_count(t);
    sdk_store_txn_free(t);
    json_decref(root);
    return rc;
}

static int open_for(const char *url, bool read_only, sdk_store **s, sdk_errors *errs) {
    if (url && strncmp(url, "zk://", 5) == 0) {
        /* A restore is the remedy for a state that went missing: it may open one (and refuses a
         * store that is not empty anyway). */
        sdk_store_zk_options o = {.read_only = read_only, .reset_state = !read_only};
        return sdk_store_zk_open(url, &o, s, errs);
    }
    return sdk_store_open_url_reset(url, !read_only, s, errs);
}

/* True when a file: store has been written at url (DIR/log or DIR/snapshot exists, see
 * store_file.c); always true for other URLs. Opening a file store creates its directory and
 * files, which a read-only command must never do. The URL forms follow sdk_store_open_url. */
static bool file_store_present(const char *url) {
    if (!url || strncmp(url, "file:", 5) != 0) return true;
    const char *dir = url + 5;
    if (strncmp(dir, "//", 2) == 0) dir += 2;
    if (!*dir) return true; /* the open reports the bad URL */
    bool found = false;
    for (const char *const *f = (const char *const[]){ "log", "snapshot", NULL }; *f && !found; f++) {
        char *path = sdk_asprintf_new("%s/%s", dir, *f);
        struct stat st;
        found = stat(path, &st) == 0 && S_ISREG(st.st_mode);
        free(path);
    }
    return found;
}

int sdk_state_dump_url(const char *url, FILE *out, sdk_errors *errs) {
    if (!file_store_present(url)) {
        if (errs) sdk_errors_addf(errs, "no state at %s (nothing was created; check --state or "
                                  "--workdir)", url);
        return SDK_ENOENT;
    }
    sdk_store *s = NULL;
    int rc = open_for(url, true, &s, errs);
    if (rc) return rc;
    char *json = NULL;
    rc = sdk_state_dump_new(s, &json, errs);
    if (!rc) {
        fputs(json, out);
        fputc('\n', out);
        if (fflush(out) != 0) {
            if (errs) sdk_errors_addf(errs, "state dump: cannot write the output");
            rc = SDK_EIO;
        }
    }
    free(json);
    sdk_store_close(s);
    return rc;
}

int sdk_state_restore_url(const char *url, const char *file, size_t *restored, sdk_errors *errs) {
    if (restored) *restored = 0;
    char *json = NULL;
    size_t len = 0;
    if (sdk_read_file_new(file, &json, &len) != 0) {
        if (errs) sdk_errors_addf(errs, "state restore: cannot read the dump file '%s'", file);
        return SDK_EIO;
    }
    sdk_store *s = NULL;
    int rc = open_for(url, false, &s, errs);
    if (!rc) rc = sdk_state_restore(s, json, len, restored, errs);
    sdk_store_close(s);
    free(json);
    return rc;
}
