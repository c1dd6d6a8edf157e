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

static void add_ids(sdk_task_rec *rec, const sdk_resources *rs) {
    for (size_t i = 0; i < rs->n; i++) {
        const char *id = sdk_resource_label(&rs->v[i], "resource_id");
        if (!id) continue;
        bool dup = false;
        for (size_t j = 0; j < rec->n_resource_ids && !dup; j++) dup = !strcmp(rec->resource_ids[j], id);
        if (dup) continue;
        rec->resource_ids = sdk_xrealloc(rec->resource_ids, (rec->n_resource_ids + 1) * sizeof(char *));
        rec->resource_ids[rec->n_resource_ids++] = sdk_xstrdup(id);
    }
}

void sdk_task_rec_derive(sdk_task_rec *rec) {
    free(rec->name); free(rec->pod_type); free(rec->spec_task); free(rec->pod_instance);
    free(rec->config_id); free(rec->hostname);
    for (size_t i = 0; i < rec->n_resource_ids; i++) free(rec->resource_ids[i]);
    free(rec->resource_ids);
    rec->resource_ids = NULL;
    rec->n_resource_ids = 0;
    const sdk_task_desc *d = &rec->desc;
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
    const char *pf = sdk_kv_get(d->labels, d->n_labels, "permanently-failed");
    rec->permanently_failed = pf && !strcmp(pf, "true");
    add_ids(rec, &d->resources);
    add_ids(rec, &rec->exec.resources);
}

void sdk_task_rec_free_contents(sdk_task_rec *rec) {
    free(rec->name); free(rec->pod_type); free(rec->spec_task); free(rec->pod_instance);
    free(rec->config_id); free(rec->hostname); free(rec->ip);
    for (size_t i = 0; i < rec->n_resource_ids; i++) free(rec->resource_ids[i]);
    free(rec->resource_ids);
    sdk_task_desc_free_contents(&rec->desc);
    sdk_executor_desc_free_contents(&rec->exec);
    memset(rec, 0, sizeof *rec);
}
