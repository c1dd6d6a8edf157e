/* The `plan show` tree of the CLI (§6.11), rendered from plan JSON as a client receives it. */
#include <jansson.h>
#include <string.h>
#include "core/plan/plan.h"
#include "core/util/str.h"

static const char *str_or_unknown(const json_t *o, const char *key) {
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : "<UNKNOWN>";
}

char *sdk_plan_tree_new(const char *plan_name, const json_t *plan) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_printf(&b, "%s (%s strategy) (%s)\n", plan_name ? plan_name : "<UNKNOWN>",
                   str_or_unknown(plan, "strategy"), str_or_unknown(plan, "status"));
    const json_t *phases = json_is_object(plan) ? json_object_get(plan, "phases") : NULL;
    size_t np = json_is_array(phases) ? json_array_size(phases) : 0;
    for (size_t i = 0; i < np; i++) {
        const json_t *ph = json_array_get(phases, i);
        bool last_ph = i + 1 == np;
        sdk_buf_printf(&b, "%s %s (%s strategy) (%s)\n", last_ph ? "└─" : "├─", str_or_unknown(ph, "name"),
                       str_or_unknown(ph, "strategy"), str_or_unknown(ph, "status"));
        const json_t *steps = json_is_object(ph) ? json_object_get(ph, "steps") : NULL;
        size_t ns = json_is_array(steps) ? json_array_size(steps) : 0;
        for (size_t j = 0; j < ns; j++) {
            const json_t *st = json_array_get(steps, j);
            sdk_buf_printf(&b, "%s%s %s (%s)\n", last_ph ? "   " : "│  ", j + 1 == ns ? "└─" : "├─",
                           str_or_unknown(st, "name"), str_or_unknown(st, "status"));
        }
    }
    const json_t *errors = json_is_object(plan) ? json_object_get(plan, "errors") : NULL;
    if (json_is_array(errors) && json_array_size(errors) > 0) {
        sdk_buf_puts(&b, "\nErrors:\n");
        for (size_t i = 0; i < json_array_size(errors); i++) {
            const json_t *e = json_array_get(errors, i);
            sdk_buf_printf(&b, "- %s\n", json_is_string(e) ? json_string_value(e) : "<UNKNOWN>");
        }
    }
    while (b.len && b.data[b.len - 1] == '\n') b.data[--b.len] = '\0';
    return sdk_buf_take(&b);
}
