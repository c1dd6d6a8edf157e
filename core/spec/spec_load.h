/* From a svc.yml template and its variables to a parsed spec: render (mustache), then parse.
 * The one path used by the scheduler, `--validate` and the simulation runner. */
#ifndef SDK_SPEC_LOAD_H
#define SDK_SPEC_LOAD_H
#include "core/spec/spec.h"

/* Renders `tmpl` with vars (strict: every missing {{VAR}} is an error listing its line) and
 * parses the result. `name` labels errors ("svc.yml:12:5: ..."); `dir` is where config
 * templates are read (NULL: not read). Render errors are prefixed with name. Returns 0, or
 * SDK_EINVAL with every problem in errs and *out NULL. */
int sdk_spec_load_new(const char *tmpl, const char *name, const char *dir, const sdk_kv *vars,
                      size_t n_vars, bool strict, sdk_spec **out, sdk_errors *errs);
/* Same, reading the template from a file; dir defaults to the file's directory. */
int sdk_spec_load_file_new(const char *path, const sdk_kv *vars, size_t n_vars, bool strict,
                           sdk_spec **out, sdk_errors *errs);
#endif
