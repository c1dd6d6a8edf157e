#include "core/spec/spec_load.h"
#include "core/spec/mustache.h"
#include "core/util/str.h"
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

int sdk_spec_load_new(const char *tmpl, const char *name, const char *dir, const sdk_kv *vars,
                      size_t n_vars, bool strict, sdk_spec **out, sdk_errors *errs) {
    *out = NULL;
    char *yaml = NULL;
    sdk_errors rerr;
    sdk_errors_init(&rerr);
    int rc = sdk_mustache_render_new(tmpl, vars, n_vars, strict, &yaml, &rerr);
    if (rc) {
        for (size_t i = 0; i < rerr.n; i++) sdk_errors_addf(errs, "%s: %s", name, rerr.msgs[i]);
        sdk_errors_free(&rerr);
        return SDK_EINVAL;
    }
    sdk_errors_free(&rerr);
    rc = sdk_spec_parse(yaml, strlen(yaml), name, dir, out, errs);
    free(yaml);
    return rc ? SDK_EINVAL : 0;
}

int sdk_spec_load_file_new(const char *path, const sdk_kv *vars, size_t n_vars, bool strict,
                           sdk_spec **out, sdk_errors *errs) {
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = sdk_read_file_new(path, &text, &len);
    if (rc) {
        sdk_errors_addf(errs, "%s: cannot read the service spec (%s)", path,
                        rc == SDK_ENOENT ? "no such file" : "I/O error");
        return SDK_EINVAL;
    }
    /* Checked before rendering: the template is handled as a C string from here on, so a NUL
     * would silently cut it, and rendering a huge file is wasted work (sdk_spec_parse checks
     * the rendered text again). */
    if (!sdk_spec_check_text(text, len, path, errs)) {
        free(text);
        return SDK_EINVAL;
    }
    char *copy = sdk_xstrdup(path);
    rc = sdk_spec_load_new(text, path, dirname(copy), vars, n_vars, strict, out, errs);
    free(copy);
    free(text);
    return rc;
}
