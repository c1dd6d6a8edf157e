#include "core/mesos/sandbox.h"
#include "core/util/str.h"
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static bool has_task(json_t *ex, const char *task_id) {
    static const char *const lists[] = {"tasks", "completed_tasks", "queued_tasks"};
    for (size_t l = 0; l < 3; l++) {
        json_t *arr = json_object_get(ex, lists[l]), *t;
        size_t i;
        json_array_foreach(arr, i, t) {
            const char *id = json_string_value(json_object_get(t, "id"));
            if (id && !strcmp(id, task_id)) return true;
        }
    }
    return false;
}

/* The directory of the executor running task_id among one framework's executors, or NULL. */
static const char *find_in_framework(json_t *fw, const char *task_id, const char **ex_id) {
    static const char *const lists[] = {"executors", "completed_executors"};
    for (size_t l = 0; l < 2; l++) {
        json_t *arr = json_object_get(fw, lists[l]), *ex;
        size_t i;
        json_array_foreach(arr, i, ex) {
            if (!has_task(ex, task_id)) continue;
            *ex_id = json_string_value(json_object_get(ex, "id"));
            return json_string_value(json_object_get(ex, "directory"));
        }
    }
    return NULL;
}

int sdk_sandbox_dir_from_state_new(const char *json, size_t len, const char *task_id, char **dir, sdk_errors *errs) {
    *dir = NULL;
    json_error_t je;
    json_t *st = json_loadb(json, len, 0, &je);
    if (!json_is_object(st) || !json_is_array(json_object_get(st, "frameworks"))) {
        sdk_errors_addf(errs, "agent state: not a Mesos agent's /state answer (%s)", st ? "no frameworks array" : je.text);
        json_decref(st);
        return SDK_EINVAL;
    }
    static const char *const lists[] = {"frameworks", "completed_frameworks"};
    const char *found = NULL, *ex_id = NULL;
    for (size_t l = 0; l < 2 && !found; l++) {
        json_t *arr = json_object_get(st, lists[l]), *fw;
        size_t i;
        json_array_foreach(arr, i, fw) {
            found = find_in_framework(fw, task_id, &ex_id);
            if (found) break;
        }
    }
    int rc = 0;
    if (!found) {
        const char *agent = json_string_value(json_object_get(st, "id"));
        sdk_errors_addf(errs, "agent %s knows no task %s (its sandbox may have been garbage-collected)",
                        agent ? agent : "?", task_id);
        rc = SDK_ENOENT;
    } else if (ex_id && !strcmp(ex_id, task_id)) {
        *dir = sdk_xstrdup(found); /* a command task: its executor's sandbox is its own */
    } else {
        *dir = sdk_asprintf_new("%s/tasks/%s", found, task_id);
    }
    json_decref(st);
    return rc;
}

int sdk_files_read_parse_new(const char *json, size_t len, char **data, size_t *n, long long *offset,
                             sdk_errors *errs) {
    *data = NULL;
    *n = 0;
    json_error_t je;
    json_t *j = json_loadb(json, len, 0, &je);
    json_t *d = json_object_get(j, "data"), *o = json_object_get(j, "offset");
    if (!json_is_string(d) || !json_is_integer(o)) {
        sdk_errors_addf(errs, "files/read: expected {\"data\": string, \"offset\": number}, got %.*s",
                        (int)(len > 200 ? 200 : len), json);
        json_decref(j);
        return SDK_EINVAL;
    }
    *n = json_string_length(d);
    *data = sdk_xstrndup(json_string_value(d), *n);
    *offset = json_integer_value(o);
    json_decref(j);
    return 0;
}

char *sdk_tail_lines_new(const char *text, size_t len, size_t n_lines) {
    size_t end = len;
    if (end && text[end - 1] == '\n') end--;
    size_t start = end, seen = 0;
    while (start > 0) {
        if (text[start - 1] == '\n' && ++seen == n_lines) break;
        start--;
    }
    return sdk_xstrndup(text + start, end - start);
}

char *sdk_files_read_url_new(const char *base, const char *path, long long offset, long long length) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_printf(&b, "%s/files/read?path=", base);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-_.~/", *p))
            sdk_buf_putc(&b, (char)*p);
        else sdk_buf_printf(&b, "%%%02X", *p);
    }
    sdk_buf_printf(&b, "&offset=%lld", offset);
    if (length >= 0) sdk_buf_printf(&b, "&length=%lld", length);
    return sdk_buf_take(&b);
}
