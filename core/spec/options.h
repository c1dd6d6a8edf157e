/* Package options: the one description of a service's options (DESIGN.md "Options are data").
 *
 * An option is a leaf of a dcos-commons package's config.json (a nested JSON schema: "hello" ->
 * "count", type integer, default 1, minimum 1) together with the template variable it feeds, the
 * mapping a package's marathon.json.mustache makes ("HELLO_COUNT": "{{hello.count}}"; upstream
 * frameworks/helloworld/universe/). The schema comes from a plugin (ABI 1.1 option_schema, or the
 * flat 1.0 options table: string options named after their variables) or from an
 * --options-schema FILE (a config.json whose leaves may name their variable with "x-env";
 * without it the variable is the path upper-cased, '.' and '-' turned into '_').
 *
 * Rendering, validation, --help, the Cosmos-compatible endpoints and sdkctl describe all read
 * it; none keeps its own list. Values travel as text (the template variables); JSON typing
 * happens only at the edges (sdk_options_flatten_json, sdk_options_to_json_new).
 */
#ifndef SDK_SPEC_OPTIONS_H
#define SDK_SPEC_OPTIONS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/spec/spec.h"
#include "core/util/err.h"

typedef enum sdk_option_type {
    SDK_OPTION_STRING = 0,
    SDK_OPTION_INTEGER,
    SDK_OPTION_NUMBER,
    SDK_OPTION_BOOLEAN,
} sdk_option_type;

typedef struct sdk_option_def {
    char *path;          /* "hello.count" */
    char *variable;      /* "HELLO_COUNT" */
    sdk_option_type type;
    char *default_value; /* text; never NULL ("" allowed) */
    char *description;   /* never NULL */
    bool has_min, has_max;
    double min, max;
    char **enum_values;  /* allowed texts, NULL when any */
    size_t n_enum;
} sdk_option_def;

typedef struct sdk_options {
    sdk_option_def *defs; /* in declaration order */
    size_t n;
} sdk_options;

const char *sdk_option_type_name(sdk_option_type t); /* "string", "integer", ... */

sdk_options *sdk_options_new(void);
void sdk_options_free(sdk_options *o); /* NULL ok */
/* Appends one option (everything copied). min/max: NULL or a number as text; enum_values: NULL
 * or "a|b|c". Refuses (SDK_EINVAL, message naming `where` and the path) a bad path, a bad
 * variable name, a path or variable declared twice, a bad bound, or a default that does not
 * validate against the option itself. */
int sdk_options_add(sdk_options *o, const char *where, const char *path, const char *variable,
                    sdk_option_type type, const char *default_value, const char *description,
                    const char *min, const char *max, const char *enum_values, sdk_errors *errs);
/* Reads a config.json-style JSON schema file into a new schema. Every problem names the file
 * and the JSON path of the property ("config.json: properties.hello.properties.count.minimum:
 * expected a number"). */
int sdk_options_load_file_new(const char *path, sdk_options **out, sdk_errors *errs);

const sdk_option_def *sdk_options_find_path(const sdk_options *o, const char *path);
const sdk_option_def *sdk_options_find_variable(const sdk_options *o, const char *variable);

/* Checks one text value against its option; on a problem appends
 * `<path>: expected an integer >= 1, found "abc"` to errs and returns false. */
bool sdk_option_check(const sdk_option_def *d, const char *value, sdk_errors *errs);
/* Checks every variable of vars that an option feeds. SDK_EINVAL when any failed. */
int sdk_options_check_vars(const sdk_options *o, const sdk_kv *vars, size_t n, sdk_errors *errs);

/* Translates `-o` style pairs: a key that is an option path ("hello.count") becomes its variable
 * ("HELLO_COUNT"); other keys stay. A dotted key that names no option is refused (SDK_EINVAL,
 * "-o 'hello.cuont=3': hello.cuont is not an option of this service"). *out_new: new copy
 * (sdk_envfile_free). o may be NULL (keys stay). */
int sdk_options_translate_new(const sdk_options *o, const sdk_kv *in, size_t n, sdk_kv **out_new,
                              size_t *n_out, sdk_errors *errs);
/* Nested JSON options ({"world": {"count": 3}}) to variables (a top-level key may also be an
 * option's variable, {"WORLD_COUNT": 3}): each leaf must be a declared
 * option and of its type (a string holding a valid value is accepted too, as Cosmos' CLI users
 * write "3"); values become text. Unknown names, objects where a value belongs and type errors
 * are each reported with their path. *out_new: new (sdk_envfile_free). */
int sdk_options_flatten_json(const sdk_options *o, const json_t *nested, sdk_kv **out_new,
                             size_t *n_out, sdk_errors *errs);
/* The nested JSON of the options whose variables appear in vars (with all = true: every option,
 * its default when vars lacks it), typed per the schema. New reference. */
json_t *sdk_options_to_json_new(const sdk_options *o, const sdk_kv *vars, size_t n, bool all);
/* The config.json-style schema ({"type": "object", "properties": ...}). New reference. */
json_t *sdk_options_schema_json_new(const sdk_options *o);
/* The option table for --help: nested name, type, default, description (and bounds). */
void sdk_options_print_help(FILE *f, const sdk_options *o);
#endif
