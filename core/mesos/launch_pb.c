/* sdk_operation -> mesos.v1.Offer.Operation (see launch_pb.h). */
#include "core/mesos/launch_pb.h"

#include <stdlib.h>
#include <string.h>

#include "core/mapping/taskinfo.h"
#include "core/util/str.h"
#include "mesos/resources_pb.h"

static int resources(const sdk_resources *rs, const char *what, Mesos__V1__Resource ***out, size_t *n,
                     sdk_errors *errs) {
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_resources_to_pb_new(rs, SDK_RES_FORMAT_REFINED, out, n, &e);
    if (rc) sdk_errors_addf(errs, "%s: %s", what, e.n ? e.msgs[0] : "resources cannot be encoded");
    sdk_errors_free(&e);
    return rc ? SDK_EINVAL : 0;
}

/* TaskInfo for one task of the group: the stored encoding, unpacked again so that the group
 * carries exactly the bytes the state store holds (minus the executor). */
static int task_pb(const sdk_task_desc *t, const sdk_executor_desc *ex, const char *agent_id,
                   Mesos__V1__TaskInfo **out, sdk_errors *errs) {
    void *buf = NULL;
    size_t len = 0;
    *out = NULL;
    if (sdk_taskinfo_encode_new(t, ex, &buf, &len) != 0) {
        sdk_errors_addf(errs, "LAUNCH_GROUP task '%s': TaskInfo cannot be encoded (resources?)", t->name);
        free(buf);
        return SDK_EINVAL;
    }
    Mesos__V1__TaskInfo *ti = mesos__v1__task_info__unpack(NULL, len, buf);
    free(buf);
    if (!ti) {
        sdk_errors_addf(errs, "LAUNCH_GROUP task '%s': encoded TaskInfo does not decode", t->name);
        return SDK_EINVAL;
    }
    if (agent_id && *agent_id) {
        free(ti->agent_id->value);
        ti->agent_id->value = sdk_xstrdup(agent_id);
    }
    *out = ti;
    return 0;
}

static int launch_group(const sdk_operation *op, const char *agent_id, const char *framework_id,
                        Mesos__V1__Offer__Operation *o, sdk_errors *errs) {
    if (!op->executor || !op->executor->executor_id || op->n_tasks == 0) {
        sdk_errors_addf(errs, "LAUNCH_GROUP: needs an executor with an id and at least one task");
        return SDK_EINVAL;
    }
    Mesos__V1__Offer__Operation__LaunchGroup *lg = sdk_xmalloc(sizeof *lg);
    mesos__v1__offer__operation__launch_group__init(lg);
    o->launch_group = lg;
    lg->task_group = sdk_xmalloc(sizeof *lg->task_group);
    mesos__v1__task_group_info__init(lg->task_group);
    lg->task_group->tasks = sdk_xcalloc(op->n_tasks, sizeof *lg->task_group->tasks);
    for (size_t i = 0; i < op->n_tasks; i++) {
        Mesos__V1__TaskInfo *ti = NULL;
        if (task_pb(&op->tasks[i], i == 0 ? op->executor : NULL, agent_id, &ti, errs)) return SDK_EINVAL;
        lg->task_group->tasks[lg->task_group->n_tasks++] = ti;
        if (i == 0) {
            lg->executor = ti->executor;
            ti->executor = NULL;
        }
    }
    if (!lg->executor) {
        sdk_errors_addf(errs, "LAUNCH_GROUP: executor '%s' cannot be encoded", op->executor->executor_id);
        return SDK_EINVAL;
    }
    if (!lg->executor->framework_id && framework_id && *framework_id) {
        lg->executor->framework_id = sdk_xmalloc(sizeof *lg->executor->framework_id);
        mesos__v1__framework_id__init(lg->executor->framework_id);
        lg->executor->framework_id->value = sdk_xstrdup(framework_id);
    }
    return 0;
}

int sdk_mesos_operation_pb_new(const sdk_operation *op, const char *agent_id, const char *framework_id,
                               Mesos__V1__Offer__Operation **out, sdk_errors *errs) {
    Mesos__V1__Offer__Operation *o = sdk_xmalloc(sizeof *o);
    mesos__v1__offer__operation__init(o);
    o->has_type = 1;
    int rc = 0;
    switch (op->type) {
    case SDK_OP_RESERVE:
        o->type = MESOS__V1__OFFER__OPERATION__TYPE__RESERVE;
        o->reserve = sdk_xmalloc(sizeof *o->reserve);
        mesos__v1__offer__operation__reserve__init(o->reserve);
        rc = resources(&op->resources, "RESERVE", &o->reserve->resources, &o->reserve->n_resources, errs);
        break;
    case SDK_OP_UNRESERVE:
        o->type = MESOS__V1__OFFER__OPERATION__TYPE__UNRESERVE;
        o->unreserve = sdk_xmalloc(sizeof *o->unreserve);
        mesos__v1__offer__operation__unreserve__init(o->unreserve);
        rc = resources(&op->resources, "UNRESERVE", &o->unreserve->resources, &o->unreserve->n_resources, errs);
        break;
    case SDK_OP_CREATE:
        o->type = MESOS__V1__OFFER__OPERATION__TYPE__CREATE;
        o->create = sdk_xmalloc(sizeof *o->create);
        mesos__v1__offer__operation__create__init(o->create);
        rc = resources(&op->resources, "CREATE", &o->create->volumes, &o->create->n_volumes, errs);
        break;
    case SDK_OP_DESTROY:
        o->type = MESOS__V1__OFFER__OPERATION__TYPE__DESTROY;
        o->destroy = sdk_xmalloc(sizeof *o->destroy);
        mesos__v1__offer__operation__destroy__init(o->destroy);
        rc = resources(&op->resources, "DESTROY", &o->destroy->volumes, &o->destroy->n_volumes, errs);
        break;
    case SDK_OP_LAUNCH_GROUP:
        o->type = MESOS__V1__OFFER__OPERATION__TYPE__LAUNCH_GROUP;
        rc = launch_group(op, agent_id, framework_id, o, errs);
        break;
    default:
        sdk_errors_addf(errs, "operation type %d is not supported", (int)op->type);
        rc = SDK_EINVAL;
    }
    if (rc) {
        protobuf_c_message_free_unpacked(&o->base, NULL);
        *out = NULL;
        return SDK_EINVAL;
    }
    *out = o;
    return 0;
}
