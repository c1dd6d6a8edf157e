/* A dry run of the mapping (see preview.h): the real offer evaluation against one made-up offer
 * large enough for the pod, and the LAUNCH_GROUP encoded exactly as the Mesos client does. */
#include "core/mapping/preview.h"
#include "core/mesos/launch_pb.h"
#include "core/offer/evaluate.h"
#include "core/util/str.h"
#include "mesos/pbjson.h"
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Finds "<pod>-<index>-<task>" in spec. Pod types may contain '-', so every pod is tried. */
static bool find_task(const sdk_spec *spec, const char *name, const sdk_pod_spec **pod, int64_t *index,
                      const sdk_task_spec **task) {
    for (size_t i = 0; i < spec->n_pods; i++) {
        const sdk_pod_spec *p = &spec->pods[i];
        size_t tl = strlen(p->type);
        if (strncmp(name, p->type, tl) != 0 || name[tl] != '-' || !isdigit((unsigned char)name[tl + 1])) continue;
        char *end = NULL;
        long long idx = strtoll(name + tl + 1, &end, 10);
        if (*end != '-' || idx < 0 || idx >= p->count) continue;
        const sdk_task_spec *t = sdk_pod_task(p, end + 1);
        if (!t) continue;
        *pod = p;
        *index = idx;
        *task = t;
        return true;
    }
    return false;
}

static void add_res(sdk_resources *rs, const char *name, double v, const char *pre_role, sdk_disk_source src,
                    const char *profile) {
    sdk_resource r = {0};
    r.name = (char *)name;
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    sdk_reservation st = {SDK_RESV_STATIC, (char *)pre_role, NULL, NULL, 0, false};
    if (pre_role) {
        r.reservations = &st;
        r.n_reservations = 1;
    }
    r.disk_source = src;
    if (src == SDK_DISK_MOUNT) r.disk_source_root = (char *)"/mnt/<mount-disk>";
    r.disk_profile = (char *)profile;
    sdk_resources_add(rs, &r);
}

/* One offer that fits the whole pod instance: the sums of its resource sets plus the executor's
 * overhead, every port, a MOUNT disk per MOUNT volume, reserved to the pre-reserved role when
 * the pod has one. */
static void make_offer(const sdk_pod_spec *p, sdk_offer *o) {
    memset(o, 0, sizeof *o);
    o->id = sdk_xstrdup("<offer-id>");
    o->agent_id = sdk_xstrdup("<agent-id>");
    o->hostname = sdk_xstrdup("<agent-hostname>");
    const char *pre = p->pre_reserved_role && strcmp(p->pre_reserved_role, "*") ? p->pre_reserved_role : NULL;
    double cpus = SDK_EXECUTOR_CPUS_MILLI / 1000.0, mem = SDK_EXECUTOR_MEM_MB, disk = SDK_EXECUTOR_DISK_MB, gpus = 0;
    for (size_t i = 0; i < p->n_volumes; i++)
        if (p->volumes[i].type == SDK_VOLUME_ROOT) disk += (double)p->volumes[i].size_mb;
        else add_res(&o->resources, "disk", (double)p->volumes[i].size_mb, pre, SDK_DISK_MOUNT,
                     p->volumes[i].n_profiles ? p->volumes[i].profiles[0] : NULL);
    for (size_t s = 0; s < p->n_resource_sets; s++) {
        const sdk_resource_set *rs = &p->resource_sets[s];
        cpus += rs->cpus;
        mem += rs->memory_mb;
        gpus += rs->gpus;
        for (size_t v = 0; v < rs->n_volumes; v++)
            if (rs->volumes[v].type == SDK_VOLUME_ROOT) disk += (double)rs->volumes[v].size_mb;
            else add_res(&o->resources, "disk", (double)rs->volumes[v].size_mb, pre, SDK_DISK_MOUNT,
                         rs->volumes[v].n_profiles ? rs->volumes[v].profiles[0] : NULL);
    }
    add_res(&o->resources, "cpus", cpus, pre, SDK_DISK_ROOT, NULL);
    add_res(&o->resources, "mem", mem, pre, SDK_DISK_ROOT, NULL);
    add_res(&o->resources, "disk", disk, pre, SDK_DISK_ROOT, NULL);
    if (gpus > 0) add_res(&o->resources, "gpus", gpus, pre, SDK_DISK_ROOT, NULL);
    sdk_range rg = {1, 65535};
    sdk_resource r = {0};
    r.name = (char *)"ports";
    r.type = SDK_RES_RANGES;
    r.ranges = &rg;
    r.n_ranges = 1;
    sdk_reservation st = {SDK_RESV_STATIC, (char *)pre, NULL, NULL, 0, false};
    if (pre) {
        r.reservations = &st;
        r.n_reservations = 1;
    }
    sdk_resources_add(&o->resources, &r);
}

static bool is_uuid_at(const char *s) {
    static const char pat[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    for (size_t i = 0; i < sizeof pat - 1; i++) {
        if (pat[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i])) return false;
    }
    return true;
}

/* text with each distinct UUID replaced by "<uuid-N>" (N in order of first appearance). */
static char *placeholders_new(const char *text) {
    char **seen = NULL;
    size_t n_seen = 0;
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    for (const char *p = text; *p;) {
        if (strlen(p) >= 36 && is_uuid_at(p)) {
            size_t k = 0;
            while (k < n_seen && strncmp(seen[k], p, 36)) k++;
            if (k == n_seen) {
                seen = sdk_xrealloc(seen, (n_seen + 1) * sizeof *seen);
                seen[n_seen++] = sdk_xstrndup(p, 36);
            }
            sdk_buf_printf(&b, "<uuid-%zu>", k + 1);
            p += 36;
        } else {
            sdk_buf_putc(&b, *p++);
        }
    }
    for (size_t k = 0; k < n_seen; k++) free(seen[k]);
    free(seen);
    return sdk_buf_take(&b);
}

/* "hello-<0..2>-server, world-<0..1>-server" */
static char *task_list_new(const sdk_spec *spec) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    for (size_t i = 0; i < spec->n_pods; i++) {
        const sdk_pod_spec *p = &spec->pods[i];
        for (size_t t = 0; t < p->n_tasks; t++) {
            if (b.len) sdk_buf_puts(&b, ", ");
            if (p->count == 1) sdk_buf_printf(&b, "%s-0-%s", p->type, p->tasks[t].name);
            else if (p->count > 1)
                sdk_buf_printf(&b, "%s-<0..%lld>-%s", p->type, (long long)p->count - 1, p->tasks[t].name);
        }
    }
    if (!b.len) sdk_buf_puts(&b, "none (every pod has count 0)");
    return sdk_buf_take(&b);
}

int sdk_mapping_preview_new(const sdk_spec *spec, const sdk_kv *env, size_t n_env, const char *name,
                            sdk_mapping_preview *out, sdk_errors *errs) {
    memset(out, 0, sizeof *out);
    const sdk_pod_spec *pod = NULL;
    const sdk_task_spec *task = NULL;
    int64_t index = 0;
    if (!name || !find_task(spec, name, &pod, &index, &task)) {
        char *list = task_list_new(spec);
        sdk_errors_addf(errs, "--print-taskinfo: no task '%s' in service '%s' (expected POD-INDEX-TASK; the tasks are: %s)",
                        name ? name : "", spec->name ? spec->name : "", list);
        free(list);
        return SDK_EINVAL;
    }
    sdk_offer offer;
    make_offer(pod, &offer);
    char *role = sdk_spec_role_new(spec);
    const char *tasks[] = {task->name};
    sdk_eval_request q = {
        .spec = spec, .pod_type = pod->type, .index = index, .tasks = tasks, .n_tasks = 1,
        .role = role, .principal = spec->principal, .framework_id = "<framework-id>",
        .target_config_id = "<target-config-id>", .sched_env = env, .n_sched_env = n_env,
    };
    int rc = sdk_offer_evaluate(&q, &offer, 1, &out->result, errs);
    if (!rc && !out->result.matched) {
        const sdk_offer_outcome *oc = out->result.n_outcomes ? &out->result.outcomes[0] : NULL;
        const sdk_stage_outcome *st = oc && oc->n_stages ? &oc->stages[oc->n_stages - 1] : NULL;
        sdk_errors_addf(errs, "--print-taskinfo %s: the pod does not fit an offer made for it (%s: %s)", name,
                        st ? st->stage : "?", st && st->reason ? st->reason : "?");
        rc = SDK_EINVAL;
    }
    const sdk_operation *lg = NULL;
    for (size_t i = 0; !rc && i < out->result.n_ops; i++)
        if (out->result.ops[i].type == SDK_OP_LAUNCH_GROUP) lg = &out->result.ops[i];
    if (!rc && !lg) {
        sdk_errors_addf(errs, "--print-taskinfo %s: the evaluation launched nothing", name);
        rc = SDK_EINVAL;
    }
    if (!rc) rc = sdk_mesos_operation_pb_new(lg, offer.agent_id, "<framework-id>", &out->operation, errs);
    if (!rc) {
        out->executor = lg->executor;
        for (size_t i = 0; i < lg->n_tasks; i++)
            if (!strcmp(lg->tasks[i].name, name)) out->task = &lg->tasks[i];
        Mesos__V1__TaskGroupInfo *g = out->operation->launch_group->task_group;
        for (size_t i = 0; i < g->n_tasks; i++)
            if (!strcmp(g->tasks[i]->name, name)) out->task_info = g->tasks[i];
        out->executor_info = out->operation->launch_group->executor;
    }
    sdk_offer_free_contents(&offer);
    free(role);
    if (rc || !out->task || !out->task_info) {
        if (!rc) sdk_errors_addf(errs, "--print-taskinfo %s: the task is not in the launch", name);
        sdk_mapping_preview_free(out);
        return SDK_EINVAL;
    }
    return 0;
}

void sdk_mapping_preview_free(sdk_mapping_preview *p) {
    if (p->operation) protobuf_c_message_free_unpacked(&p->operation->base, NULL);
    sdk_eval_result_free(&p->result);
    memset(p, 0, sizeof *p);
}

char *sdk_mapping_preview_text_new(const sdk_mapping_preview *p) {
    json_t *root = json_object();
    json_object_set_new(root, "executor_info", sdk_pbjson_from_message_new(&p->executor_info->base));
    json_object_set_new(root, "task_info", sdk_pbjson_from_message_new(&p->task_info->base));
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    char *clean = placeholders_new(text ? text : "{}");
    free(text);
    json_decref(root);
    return clean;
}
