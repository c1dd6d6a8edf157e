/* Loading a plugin shared object and checking its ABI (abi/ABI.md "Loading").
 *
 * sdk_plugin_lib_open() dlopens with RTLD_NOW | RTLD_LOCAL, resolves the one exported symbol
 * sdk_plugin_entry, calls it and checks the descriptor: major equal to SDK_PLUGIN_ABI_MAJOR,
 * minor not newer than SDK_PLUGIN_ABI_MINOR, size at least the 1.0 size, a name. Each refusal
 * names the file, the versions involved and what to do. Instances are created from a lib with
 * sdk_plugin_instance_new() (core/plugin/plugin.h); a lib may serve several instances.
 */
#ifndef SDK_PLUGIN_LOADER_H
#define SDK_PLUGIN_LOADER_H
#include <stddef.h>
#include "abi/sdk_plugin.h"
#include "core/util/err.h"

/* sizeof(sdk_plugin_descriptor) in ABI 1.0: the smallest descriptor any 1.x plugin may have. */
#define SDK_PLUGIN_DESCRIPTOR_SIZE_1_0 ((uint32_t)(offsetof(sdk_plugin_descriptor, task_status) + \
                                                   sizeof(void (*)(void))))
/* sizeof(sdk_host_api) in ABI 1.0. */
#define SDK_HOST_API_SIZE_1_0 ((uint32_t)(offsetof(sdk_host_api, command_cancel) + \
                                          sizeof(void (*)(void))))

typedef struct sdk_plugin_lib sdk_plugin_lib;

/* Loads and checks the plugin at `path`. On success *out owns the dlopen handle; on failure
 * returns SDK_EINVAL (refused) or SDK_EIO/SDK_ENOENT (cannot be loaded), appends one message
 * naming `path` to errs, and sets *out = NULL. */
int sdk_plugin_lib_open(const char *path, sdk_plugin_lib **out, sdk_errors *errs);
/* The same checks for a descriptor linked into the process (tests, statically built plugins);
 * `label` stands for the file name in messages. */
int sdk_plugin_lib_static(const sdk_plugin_descriptor *d, const char *label, sdk_plugin_lib **out,
                          sdk_errors *errs);
/* Drops the caller's reference; the object is dlclosed when the last instance is freed too.
 * NULL ok. */
void sdk_plugin_lib_close(sdk_plugin_lib *lib);

/* The descriptor, normalised to this scheduler's layout: fields the plugin's (older, shorter)
 * descriptor lacks read as NULL/0. Borrowed, valid while lib is referenced. */
const sdk_plugin_descriptor *sdk_plugin_lib_descriptor(const sdk_plugin_lib *lib);
const char *sdk_plugin_lib_path(const sdk_plugin_lib *lib);

/* Reference counting used by plugin.c: an instance keeps its lib loaded. */
void sdk_plugin_lib_ref(sdk_plugin_lib *lib);
#endif
