/* Finding the plugin file for `--plugin ARG`.
 *
 * ARG holding a '/' or ending in ".so" is a path and is used as given. Otherwise ARG is a plugin
 * name ([a-z][a-z0-9_-]*, as `make new-plugin` makes them) and is looked up, first hit wins, in:
 *   1. EXEDIR/../lib/stateful-sdk/plugins/NAME.so   the prefix the binary is installed in,
 *                                                   wherever it is (make install PREFIX=...,
 *                                                   DESTDIR, dpkg --root, a copied tree)
 *   2. EXEDIR/../plugins/NAME/NAME.so               a source checkout (bin/scheduler)
 *   3. plugins/NAME/NAME.so                         a checkout, from the current directory
 *   4. /usr/local/lib/stateful-sdk/plugins/NAME.so  plugins installed system-wide, for a
 *   5. /usr/lib/stateful-sdk/plugins/NAME.so        scheduler run from elsewhere
 * The prefix is not compiled in: the same binary works wherever the tree is unpacked.
 * EXEDIR is the directory of the running executable (/proc/self/exe). When nothing is found,
 * the error names every place that was tried. */
#ifndef SDK_PLUGIN_RESOLVE_H
#define SDK_PLUGIN_RESOLVE_H
#include <stdbool.h>
#include "core/util/err.h"

/* True when `arg` is a bare plugin name rather than a path. */
bool sdk_plugin_arg_is_name(const char *arg);

/* Sets *out to a newly allocated path to load for `arg` (free() it). `exe` is the running
 * executable's path, or NULL to read /proc/self/exe. Returns 0, or SDK_ENOENT with one message
 * in errs listing the places tried (and *out = NULL). */
int sdk_plugin_resolve_new(const char *arg, const char *exe, char **out, sdk_errors *errs);
#endif
