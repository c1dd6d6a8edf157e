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
static void collect_ids(const sdk_resources *rs, const char ***ids, size_t *n, size_t *cap) {
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
    }
}

void sdk_task_rec_learn(sdk_task_rec *rec, const sdk_task_desc *d, const sdk_executor_desc *ex) {
    free(rec->block);
    const char *type = sdk_kv_get(d->labels, d->n_labels, "task_type");
    const char *idx = sdk_kv_get(d->labels, d->n_labels, "index");
    if (!type) type = "";
    rec->index = idx ? strtoll(idx, NULL, 10) : 0;
    char *pod_instance = sdk_asprintf_new("%s-%lld", type, (long long)rec->index);
    const char *spec_task = d->spec_task;
    if (!spec_task) {
        size_t pl = strlen(pod_instance);
        spec_task = strlen(d->name) > pl + 1 ? d->name + pl + 1 : d->name;
    }
    const char *attrs = sdk_kv_get(d->labels, d->n_labels, "offer_attributes");
    const char *pf = sdk_kv_get(d->labels, d->n_labels, "permanently-failed");
    rec->permanently_failed = pf && !strcmp(pf, "true");
    rec->desc.goal = d->goal;
    /* Every string field, in the order of the pointers they go to (NULL stays NULL). */
    const char *src[] = {d->name, type, spec_task, pod_instance,
                         sdk_kv_get(d->labels, d->n_labels, "target_configuration"),
                         sdk_kv_get(d->labels, d->n_labels, "offer_hostname"),
                         attrs && *attrs ? attrs : NULL,
                         sdk_kv_get(d->labels, d->n_labels, "offer_zone"),
                         sdk_kv_get(d->labels, d->n_labels, "offer_region"),
                         d->task_id, d->agent_id};
    char **dst[] = {&rec->name, &rec->pod_type, &rec->spec_task, &rec->pod_instance, &rec->config_id,
                    &rec->hostname, &rec->offer_attrs, &rec->offer_zone, &rec->offer_region,
                    &rec->desc.task_id, &rec->desc.agent_id};
    const size_t n_str = sizeof src / sizeof *src;
    const char **ids = NULL;
    size_t n_ids = 0, cap = 0, bytes = 0;
    collect_ids(&d->resources, &ids, &n_ids, &cap);
    if (ex) collect_ids(&ex->resources, &ids, &n_ids, &cap);
    for (size_t i = 0; i < n_str; i++) bytes += src[i] ? strlen(src[i]) + 1 : 0;
    for (size_t i = 0; i < n_ids; i++) bytes += strlen(ids[i]) + 1;
    /* One allocation: the resource id pointers, then every string (a record is read for its
     * lifetime and replaced whole, and one block costs one malloc header instead of a dozen). */
    rec->block = sdk_xmalloc(n_ids * sizeof(char *) + bytes);
    rec->resource_ids = n_ids ? (char **)rec->block : NULL;
    rec->n_resource_ids = n_ids;
    char *p = (char *)rec->block + n_ids * sizeof(char *);
    for (size_t i = 0; i < n_str + n_ids; i++) {
        const char *from = i < n_str ? src[i] : ids[i - n_str];
        char **to = i < n_str ? dst[i] : &rec->resource_ids[i - n_str];
        if (!from) {
            *to = NULL;
            continue;
        }
        size_t l = strlen(from) + 1;
        memcpy(p, from, l);
        *to = p;
        p += l;
    }
    free(ids);
    free(pod_instance);
}

void sdk_task_rec_free_contents(sdk_task_rec *rec) {
    free(rec->block);
    free(rec->ip);
    memset(rec, 0, sizeof *rec);
}
