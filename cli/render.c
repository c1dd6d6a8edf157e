/* Text renderings for humans: the pod status trees of the dcos CLI (§6.11) and the watch
 * progress line. The plan tree itself is sdk_plan_tree_new (core/plan/plan_text.c). */
#include <stdlib.h>
#include <string.h>

#include "cli/sdkctl.h"
#include "core/util/str.h"

/* A non-empty string member, else "<UNKNOWN>" (the dcos CLI's placeholder). */
static const char *str_or_unknown(const json_t *o, const char *key) {
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : "<UNKNOWN>";
}

static const json_t *array_member(const json_t *o, const char *key, size_t *n) {
    const json_t *a = json_is_object(o) ? json_object_get(o, key) : NULL;
    *n = json_is_array(a) ? json_array_size(a) : 0;
    return a;
}

static void put_tasks(sdk_buf *b, const json_t *instance, const char *prefix) {
    size_t n;
    const json_t *tasks = array_member(instance, "tasks", &n);
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(tasks, i);
        sdk_buf_printf(b, "%s%s %s (%s)\n", prefix, i + 1 == n ? "└─" : "├─", str_or_unknown(t, "name"),
                       str_or_unknown(t, "status"));
    }
}

static char *take_trimmed(sdk_buf *b) {
    while (b->len && b->data[b->len - 1] == '\n') b->data[--b->len] = '\0';
    return sdk_buf_take(b);
}

char *sdkctl_pod_tree_new(const json_t *status) {
    sdk_buf b;
    sdk_buf_init(&b);
    const json_t *svc = json_is_object(status) ? json_object_get(status, "service") : NULL;
    sdk_buf_printf(&b, "%s\n", json_is_string(svc) ? json_string_value(svc) : "");
    size_t np;
    const json_t *pods = array_member(status, "pods", &np);
    for (size_t i = 0; i < np; i++) {
        const json_t *pod = json_array_get(pods, i);
        bool last_pod = i + 1 == np;
        sdk_buf_printf(&b, "%s %s\n", last_pod ? "└─" : "├─", str_or_unknown(pod, "name"));
        const char *p1 = last_pod ? "   " : "│  ";
        size_t ni;
        const json_t *insts = array_member(pod, "instances", &ni);
        for (size_t k = 0; k < ni; k++) {
            const json_t *inst = json_array_get(insts, k);
            bool last_inst = k + 1 == ni;
            sdk_buf_printf(&b, "%s%s %s\n", p1, last_inst ? "└─" : "├─", str_or_unknown(inst, "name"));
            char *p2 = sdk_asprintf_new("%s%s", p1, last_inst ? "   " : "│  ");
            put_tasks(&b, inst, p2);
            free(p2);
        }
    }
    return take_trimmed(&b);
}

char *sdkctl_instance_tree_new(const json_t *instance) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_printf(&b, "%s\n", str_or_unknown(instance, "name"));
    put_tasks(&b, instance, "");
    return take_trimmed(&b);
}

char *sdkctl_progress_line_new(const char *plan, const json_t *plan_json) {
    size_t total = 0, done = 0, np;
    const json_t *phases = array_member(plan_json, "phases", &np);
    for (size_t i = 0; i < np; i++) {
        size_t ns;
        const json_t *steps = array_member(json_array_get(phases, i), "steps", &ns);
        for (size_t k = 0; k < ns; k++) {
            total++;
            if (!strcmp(str_or_unknown(json_array_get(steps, k), "status"), "COMPLETE")) done++;
        }
    }
    return sdk_asprintf_new("%s: %zu/%zu steps complete (%s)", plan, done, total, str_or_unknown(plan_json, "status"));
}
