#include "core/plugin/loader.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/log.h"
#include "core/util/str.h"

struct sdk_plugin_lib {
    char *path;
    void *dl;
    int refs;
    sdk_plugin_descriptor desc; /* normalised copy (see sdk_plugin_lib_descriptor) */
};

_Static_assert(SDK_PLUGIN_DESCRIPTOR_SIZE_1_0 <= sizeof(sdk_plugin_descriptor),
               "the 1.0 descriptor cannot be larger than the current one");

static const char *REBUILD = "rebuild the plugin against this scheduler's abi/sdk_plugin.h";

static bool valid_name(const char *s) {
    if (!s || !*s || strlen(s) > 64) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return false;
    return true;
}

/* Checks a descriptor (the refusals of abi/ABI.md) and returns a new lib holding its normalised
 * copy, or NULL with one message naming `path` in errs. */
static sdk_plugin_lib *check_descriptor(const char *path, const sdk_plugin_descriptor *d,
                                        sdk_errors *errs) {
    if (d->abi_major != SDK_PLUGIN_ABI_MAJOR) {
        sdk_errors_addf(errs, "%s: plugin ABI %u.%u is not supported by this scheduler (ABI %d.%d): %s",
                        path, d->abi_major, d->abi_minor, SDK_PLUGIN_ABI_MAJOR,
                        SDK_PLUGIN_ABI_MINOR, REBUILD);
        return NULL;
    }
    if (d->abi_minor > SDK_PLUGIN_ABI_MINOR) {
        sdk_errors_addf(errs, "%s: plugin ABI %u.%u is newer than this scheduler's (ABI %d.%d): "
                        "upgrade the scheduler, or %s", path, d->abi_major, d->abi_minor,
                        SDK_PLUGIN_ABI_MAJOR, SDK_PLUGIN_ABI_MINOR, REBUILD);
        return NULL;
    }
    if (d->size < SDK_PLUGIN_DESCRIPTOR_SIZE_1_0) {
        sdk_errors_addf(errs, "%s: plugin descriptor is %u bytes, smaller than the %u bytes of ABI "
                        "1.0 (the plugin claims ABI %u.%u, this scheduler has ABI %d.%d): the "
                        "descriptor was not built from abi/sdk_plugin.h; %s", path, d->size,
                        SDK_PLUGIN_DESCRIPTOR_SIZE_1_0, d->abi_major, d->abi_minor,
                        SDK_PLUGIN_ABI_MAJOR, SDK_PLUGIN_ABI_MINOR, REBUILD);
        return NULL;
    }
    sdk_plugin_lib *lib = sdk_xcalloc(1, sizeof *lib);
    /* Older plugins have shorter descriptors: copy what they have, the rest stays NULL/0. */
    memcpy(&lib->desc, d, d->size < sizeof lib->desc ? d->size : sizeof lib->desc);
    if (!valid_name(lib->desc.name)) {
        sdk_errors_addf(errs, "%s: plugin descriptor has no valid name (got %s%s%s; expected "
                        "[a-z0-9_-]{1,64}): fix the plugin's descriptor", path,
                        lib->desc.name ? "'" : "", lib->desc.name ? lib->desc.name : "NULL",
                        lib->desc.name ? "'" : "");
        free(lib);
        return NULL;
    }
    if (lib->desc.n_options && !lib->desc.options) {
        sdk_errors_addf(errs, "%s: plugin descriptor has n_options %u but no options table", path,
                        lib->desc.n_options);
        free(lib);
        return NULL;
    }
    if (lib->desc.n_option_schema && !lib->desc.option_schema) {
        sdk_errors_addf(errs, "%s: plugin descriptor has n_option_schema %u but no option_schema table", path,
                        lib->desc.n_option_schema);
        free(lib);
        return NULL;
    }
    if (lib->desc.n_routes && !lib->desc.routes) {
        sdk_errors_addf(errs, "%s: plugin descriptor has n_routes %u but no routes table", path,
                        lib->desc.n_routes);
        free(lib);
        return NULL;
    }
    for (uint32_t i = 0; i < lib->desc.n_routes; i++) {
        const sdk_plugin_route *r = &lib->desc.routes[i];
        if (!r->method || !r->path || !r->handler || r->path[0] != '/') {
            sdk_errors_addf(errs, "%s: plugin route %u is incomplete (needs method, a path "
                            "starting with '/', and a handler)", path, i);
            free(lib);
            return NULL;
        }
    }
    lib->path = sdk_xstrdup(path);
    lib->refs = 1;
    return lib;
}

int sdk_plugin_lib_open(const char *path, sdk_plugin_lib **out, sdk_errors *errs) {
    *out = NULL;
    if (!path || !*path) {
        sdk_errors_addf(errs, "plugin path is empty: give --plugin <file.so>");
        return SDK_EINVAL;
    }
    if (access(path, R_OK) != 0) {
        sdk_errors_addf(errs, "%s: plugin file not found or not readable: check the path "
                        "(build it with `make`)", path);
        return SDK_ENOENT;
    }
    /* dlopen searches the library path for names without a slash; a plugin is always a file. */
    char *open_path = strchr(path, '/') ? sdk_xstrdup(path) : sdk_asprintf_new("./%s", path);
    dlerror();
    void *dl = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
    free(open_path);
    if (!dl) {
        const char *e = dlerror();
        sdk_errors_addf(errs, "%s: cannot load plugin: %s: a plugin is a shared object built "
                        "against abi/sdk_plugin.h with -shared -fPIC", path, e ? e : "dlopen failed");
        return SDK_EIO;
    }
    int rc = SDK_EINVAL;
    dlerror();
    void *sym = dlsym(dl, "sdk_plugin_entry");
    if (!sym) {
        sdk_errors_addf(errs, "%s: not a Stateful SDK plugin: it does not export the symbol "
                        "sdk_plugin_entry: define `SDK_PLUGIN_EXPORT const sdk_plugin_descriptor "
                        "*sdk_plugin_entry(void)` (see abi/ABI.md)", path);
        goto fail_dl;
    }
    const sdk_plugin_descriptor *(*entry)(void);
    /* POSIX guarantees object-pointer to function-pointer conversion works for dlsym results. */
    memcpy(&entry, &sym, sizeof entry);
    const sdk_plugin_descriptor *d = entry();
    if (!d) {
        sdk_errors_addf(errs, "%s: sdk_plugin_entry() returned NULL: the plugin refused to load "
                        "(see its log lines above)", path);
        goto fail_dl;
    }
    sdk_plugin_lib *lib = check_descriptor(path, d, errs);
    if (!lib) goto fail_dl;
    lib->dl = dl;
    SDK_INFO("plugin", "%s: loaded plugin '%s' %s (ABI %u.%u)", path, lib->desc.name,
             lib->desc.version ? lib->desc.version : "", d->abi_major, d->abi_minor);
    *out = lib;
    return SDK_OK;

fail_dl:
    dlclose(dl);
    return rc;
}

int sdk_plugin_lib_static(const sdk_plugin_descriptor *d, const char *label, sdk_plugin_lib **out,
                          sdk_errors *errs) {
    *out = NULL;
    if (!d) {
        sdk_errors_addf(errs, "%s: no plugin descriptor", label ? label : "(static)");
        return SDK_EINVAL;
    }
    sdk_plugin_lib *lib = check_descriptor(label ? label : "(static)", d, errs);
    if (!lib) return SDK_EINVAL;
    *out = lib;
    return SDK_OK;
}

void sdk_plugin_lib_ref(sdk_plugin_lib *lib) { lib->refs++; }

void sdk_plugin_lib_close(sdk_plugin_lib *lib) {
    if (!lib || --lib->refs > 0) return;
    /* Keep the code mapped under the sanitizers so leak reports can still name plugin frames. */
    if (lib->dl && !getenv("SDK_PLUGIN_NO_DLCLOSE")) dlclose(lib->dl);
    free(lib->path);
    free(lib);
}

const sdk_plugin_descriptor *sdk_plugin_lib_descriptor(const sdk_plugin_lib *lib) {
    return &lib->desc;
}
const char *sdk_plugin_lib_path(const sdk_plugin_lib *lib) { return lib->path; }
