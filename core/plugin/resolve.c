#include "core/plugin/resolve.h"
#include "core/util/str.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool sdk_plugin_arg_is_name(const char *arg) {
    if (!arg || !(*arg >= 'a' && *arg <= 'z')) return false;
    for (const char *p = arg; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')) return false;
    return true;
}

/* The directory of the executable, newly allocated, or NULL when it cannot be known. */
static char *exe_dir_new(const char *exe) {
    char buf[PATH_MAX];
    if (!exe) {
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n <= 0) return NULL;
        buf[n] = '\0';
        exe = buf;
    }
    const char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    return sdk_xstrndup(exe, slash == exe ? 1 : (size_t)(slash - exe));
}

int sdk_plugin_resolve_new(const char *arg, const char *exe, char **out, sdk_errors *errs) {
    *out = NULL;
    if (!sdk_plugin_arg_is_name(arg)) {
        *out = sdk_xstrdup(arg);
        return 0;
    }
    char *dir = exe_dir_new(exe);
    char *tried[5];
    size_t n = 0;
    if (dir) tried[n++] = sdk_asprintf_new("%s/../lib/stateful-sdk/plugins/%s.so", dir, arg);
    if (dir) tried[n++] = sdk_asprintf_new("%s/../plugins/%s/%s.so", dir, arg, arg);
    tried[n++] = sdk_asprintf_new("plugins/%s/%s.so", arg, arg);
    tried[n++] = sdk_asprintf_new("/usr/local/lib/stateful-sdk/plugins/%s.so", arg);
    tried[n++] = sdk_asprintf_new("/usr/lib/stateful-sdk/plugins/%s.so", arg);
    free(dir);
    int rc = SDK_ENOENT;
    for (size_t i = 0; i < n; i++) {
        if (rc && access(tried[i], R_OK) == 0) {
            *out = tried[i];
            tried[i] = NULL;
            rc = 0;
        }
    }
    if (rc) {
        sdk_buf b;
        sdk_buf_init(&b);
        sdk_buf_printf(&b, "--plugin %s: no plugin named '%s'; looked for", arg, arg);
        for (size_t i = 0; i < n; i++) sdk_buf_printf(&b, "%s %s", i ? "," : "", tried[i]);
        sdk_buf_puts(&b, " (give a path to a .so, or install the plugin there)");
        sdk_errors_addf(errs, "%s", b.data);
        sdk_buf_free(&b);
    }
    for (size_t i = 0; i < n; i++) free(tried[i]);
    return rc;
}
