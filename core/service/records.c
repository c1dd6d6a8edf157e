#include "core/service/records.h"
#include "core/util/str.h"
#include <stdlib.h>
#include <string.h>

bool sdk_tstate_terminal(sdk_tstate s) {
    switch (s) {
    case SDK_TSTATE_FINISHED: case SDK_TSTATE_FAILED: case SDK_TSTATE_KILLED: case SDK_TSTATE_ERROR:
    case SDK_TSTATE_LOST: case SDK_TSTATE_DROPPED: case SDK_TSTATE_GONE:
    case SDK_TSTATE_GONE_BY_OPERATOR: case SDK_TSTATE_UNREACHABLE:
        return true;
    default:
        return false;
    }
}

bool sdk_task_rec_alive(const sdk_task_rec *rec) {
    if (!rec->desc.task_id || !rec->desc.task_id[0]) return false;
    if (!rec->has_status) return true; /* launched, no answer yet: assume it may run */
    return !sdk_tstate_terminal(rec->state);
}

/* Collects the distinct resource_id labels of rs into ids (borrowed from rs). */
static void collect_ids(const sdk_resources *rs, const char ***ids, size_t *n, size_t *cap, size_t *bytes) {
    for (size_t i = 0; rs && i < rs->n; i++) {
        const char *id = sdk_resource_label(&rs->v[i], "resource_id");
        if (!id) continue;
        bool dup = false;
        for (size_t j = 0; j < *n && !dup; j++) dup = !strcmp((*ids)[j], id);
        if (dup) continue;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            *ids = sdk_xrealloc(*ids, *cap * sizeof **ids);
        }
        (*ids)[(*n)++] = id;
        *bytes += strlen(id) + 1;
    }
}

/* The resource ids of the task and its executor, as one block: the pointer array followed by
 * the strings (one allocation per record instead of one per id: 10,000 tasks hold 60,000). */
static void set_ids(sdk_task_rec *rec, const sdk_task_desc *d, const sdk_executor_desc *ex) {
    const char **ids = NULL;
    size_t n = 0, cap = 0, bytes = 0;
    collect_ids(&d->resources, &ids, &n, &cap, &bytes);
    if (ex) collect_ids(&ex->resources, &ids, &n, &cap, &bytes);
    rec->resource_ids = NULL;
    rec->n_resource_ids = n;
    if (n) {
        rec->resource_ids = sdk_xmalloc(n * sizeof(char *) + bytes);
        char *p = (char *)(rec->resource_ids + n);
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(ids[i]) + 1;
            memcpy(p, ids[i], l);
            rec->resource_ids[i] = p;
            p += l;
        }
    }
    free(ids);
}

/* A copy of s, or NULL when s is NULL or empty. */
static char *dup_nonempty(const char *s) { return s && *s ? sdk_xstrdup(s) : NULL; }

static void free_desc_fields(sdk_task_rec *rec) {
    free(rec->name); free(rec->pod_type); free(rec->spec_task); free(rec->pod_instance);
    free(rec->config_id); free(rec->hostname);
    free(rec->offer_attrs); free(rec->offer_zone); free(rec->offer_region);
    free(rec->desc.task_id); free(rec->desc.agent_id);
    free(rec->resource_ids);
}

void sdk_task_rec_learn(sdk_task_rec *rec, const sdk_task_desc *d, const sdk_executor_desc *ex) {
    free_desc_fields(rec);
    rec->desc.task_id = sdk_xstrdup(d->task_id ? d->task_id : "");
    rec->desc.agent_id = d->agent_id ? sdk_xstrdup(d->agent_id) : NULL;
    rec->desc.goal = d->goal;
    rec->name = sdk_xstrdup(d->name);
    rec->spec_task = sdk_xstrdup(d->spec_task);
    const char *type = sdk_kv_get(d->labels, d->n_labels, "task_type");
    const char *idx = sdk_kv_get(d->labels, d->n_labels, "index");
    rec->pod_type = sdk_xstrdup(type ? type : "");
    rec->index = idx ? strtoll(idx, NULL, 10) : 0;
    rec->pod_instance = sdk_asprintf_new("%s-%lld", rec->pod_type, (long long)rec->index);
    if (!rec->spec_task) {
        size_t pl = strlen(rec->pod_instance);
        rec->spec_task = sdk_xstrdup(strlen(d->name) > pl + 1 ? d->name + pl + 1 : d->name);
    }
    rec->config_id = sdk_xstrdup(sdk_kv_get(d->labels, d->n_labels, "target_configuration"));
    rec->hostname = sdk_xstrdup(sdk_kv_get(d->labels, d->n_labels, "offer_hostname"));
    rec->offer_attrs = dup_nonempty(sdk_kv_get(d->labels, d->n_labels, "offer_attributes"));
    rec->offer_zone = sdk_xstrdup(sdk_kv_get(d->labels, d->n_labels, "offer_zone"));
    rec->offer_region = sdk_xstrdup(sdk_kv_get(d->labels, d->n_labels, "offer_region"));
    const char *pf = sdk_kv_get(d->labels, d->n_labels, "permanently-failed");
    rec->permanently_failed = pf && !strcmp(pf, "true");
    set_ids(rec, d, ex);
}

void sdk_task_rec_free_contents(sdk_task_rec *rec) {
    free_desc_fields(rec);
    free(rec->ip);
    memset(rec, 0, sizeof *rec);
}
