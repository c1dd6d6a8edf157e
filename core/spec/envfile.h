/* Environment files: the scheduler environment used to render a svc.yml template
 * (format of shared/examples/dcos-commons/README.md):
 *   KEY=VALUE   one per line; VALUE is everything after the first '=', taken literally
 *               (no quotes, escapes or $-expansion; a trailing '\r' is dropped)
 *   # comment   lines whose first non-blank character is '#'
 *   blank lines are ignored.
 * KEY must match [A-Za-z_][A-Za-z0-9_]*. A NUL byte anywhere refuses the whole file. A key given twice keeps its first position and its
 * last value (as a shell sourcing the file would end up with).
 */
#ifndef SDK_SPEC_ENVFILE_H
#define SDK_SPEC_ENVFILE_H
#include <stddef.h>
#include "core/spec/spec.h"
#include "core/util/err.h"

/* Parses `len` bytes of env-file text. `file` names the source in errors
 * ("svc.env:7: line has no '=' (expected KEY=VALUE)"). Returns 0 with a new array in
 * *out / *n_out (free with sdk_envfile_free; NULL and 0 for an empty file), or SDK_EINVAL with
 * *out = NULL, *n_out = 0 and every bad line appended to errs. */
int sdk_envfile_parse_new(const char *text, size_t len, const char *file, sdk_kv **out,
                          size_t *n_out, sdk_errors *errs);
/* Reads and parses the file at `path` (named by its path in errors). SDK_EIO/SDK_ENOENT when
 * it cannot be read (an error naming the path is appended), else as sdk_envfile_parse_new. */
int sdk_envfile_read_new(const char *path, sdk_kv **out, size_t *n_out, sdk_errors *errs);
/* Frees an array returned by the functions above, or any array of n owned sdk_kv. NULL ok. */
void sdk_envfile_free(sdk_kv *kv, size_t n);
/* A new array of copies of kv[0..n) (NULL when n is 0; a NULL key or value stays NULL); free
 * with sdk_envfile_free. */
sdk_kv *sdk_kv_copy_new(const sdk_kv *kv, size_t n);
#endif
