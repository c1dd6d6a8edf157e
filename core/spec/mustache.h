/* Mustache rendering of svc.yml templates against the scheduler environment
 * (sdk-behaviour.md §2.1). The subset dcos-commons specs use:
 *   {{X}}          value, HTML-escaped: & (unless it already starts an entity such as &amp; or
 *                  &#39;), <, >, " and ' become &amp; &lt; &gt; &quot; &#39;
 *   {{{X}}} {{&X}} value, raw
 *   {{#X}}..{{/X}} rendered once when X is true or a non-empty string
 *   {{^X}}..{{/X}} rendered when X is missing, false or empty
 *   {{! text}}     comment
 * Values equal to "true"/"false" (any case) are booleans: {{X}} prints them in lower case.
 * Section, inverted, closing and comment tags alone on a line remove that whole line (mustache
 * "standalone" rule), so they do not leave blank lines in the YAML.
 * Partials ({{>x}}) and delimiter changes ({{=<% %>=}}) are not supported: an error.
 */
#ifndef SDK_SPEC_MUSTACHE_H
#define SDK_SPEC_MUSTACHE_H
#include <stdbool.h>
#include <stddef.h>
#include "core/spec/spec.h"
#include "core/util/err.h"

/* Renders the NUL-terminated template `tmpl` against vars[0..n_vars) (when a key appears more
 * than once the last one wins). A missing {{X}} renders as empty text; with `strict` it is an
 * error instead, and every missing variable of the rendered output is listed, one message
 * each: "line 12: missing variable HELLO_COUNT" (a section over a missing name is never
 * "missing"). Unclosed tags, unclosed or mismatched sections are errors in both modes
 * ("line 3: section 'X' is never closed").
 * Returns 0 and *out = a new string (free()), or SDK_EINVAL with *out = NULL and every
 * problem appended to errs. */
int sdk_mustache_render_new(const char *tmpl, const sdk_kv *vars, size_t n_vars, bool strict,
                            char **out, sdk_errors *errs);
/* The variable names the template refers to ({{X}}, {{{X}}}, {{&X}}, {{#X}}, {{^X}}), each once,
 * in order of first use, as a new array of new strings (free with sdk_mustache_names_free).
 * Tags of a template that does not tokenize are still collected up to the first unclosed tag
 * (rendering reports those errors). */
void sdk_mustache_names_new(const char *tmpl, char ***names, size_t *n);
void sdk_mustache_names_free(char **names, size_t n);
#endif
