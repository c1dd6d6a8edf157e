/* Uninstall (sdk-behaviour.md §4.11): the deploy plan becomes the uninstall plan — kill every
 * task; release every reservation and volume (garbage collection with nothing claimed: DESTROY
 * before UNRESERVE); then deregister: wipe the state and tear the framework down. The intent is
 * stored first (property "uninstalling"), so a scheduler killed mid-way continues when started
 * again with --uninstall, and refuses to start as a normal scheduler. */
#include "core/service/service_internal.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include <stdlib.h>
#include <string.h>

int svc_uninstall_begin(sdk_service *s, sdk_errors *errs) {
    void *buf = NULL;
    size_t len = 0;
    if (sdk_state_property_get_new(s->state, SVC_UNINSTALL_PROPERTY, &buf, &len, NULL) == 0) {
        free(buf);
        SDK_INFO("uninstall", "continuing the uninstall recorded earlier");
        return 0;
    }
    return sdk_state_put_property(s->state, SVC_UNINSTALL_PROPERTY, "true", 4, errs);
}

static sdk_task_rec *rec_by_id(sdk_service *s, const char *task_id) {
    return task_id ? svc_find_task_id(s, task_id) : NULL;
}

static bool kills_done(sdk_service *s) {
    sdk_plan *p = s->n_plans ? s->plans[0] : NULL;
    if (!p) return true;
    for (size_t i = 0; i < p->n_phases; i++)
        for (size_t j = 0; j < p->phases[i]->n_steps; j++) {
            sdk_step *st = p->phases[i]->steps[j];
            if (st->action == SDK_ACTION_KILL_TASK && st->status != SDK_STATUS_COMPLETE) return false;
        }
    return true;
}

void svc_uninstall_step(sdk_service *s, sdk_step *st) {
    switch (st->action) {
    case SDK_ACTION_KILL_TASK: {
        sdk_task_rec *r = rec_by_id(s, st->target);
        if (r && sdk_task_rec_alive(r)) {
            svc_kill_task(s, r->desc.task_id, r->desc.agent_id);
            sdk_step_set_status(st, SDK_STATUS_STARTING);
        } else {
            sdk_step_set_status(st, SDK_STATUS_COMPLETE);
        }
        break;
    }
    case SDK_ACTION_TLS_CLEANUP:
        sdk_step_set_status(st, SDK_STATUS_COMPLETE); /* no TLS artifacts outside DC/OS */
        break;
    case SDK_ACTION_DEREGISTER: {
        sdk_errors e;
        sdk_errors_init(&e);
        if (sdk_state_wipe(s->state, &e)) {
            SDK_ERROR("uninstall", "wiping the state failed (%s); will retry", e.n ? e.msgs[0] : "?");
            sdk_errors_free(&e);
            break;
        }
        sdk_errors_free(&e);
        if (s->drv->teardown) s->drv->teardown(s->dctx);
        sdk_step_set_status(st, SDK_STATUS_COMPLETE);
        s->uninstalled = true;
        SDK_INFO("uninstall", "uninstall complete: state wiped, framework torn down");
        break;
    }
    default:
        break; /* UNRESERVE: completed from what offers show (below) */
    }
}

/* An unreserve step is done once its reservation is gone: released now by GC (mark_released),
 * or absent from an offer of its agent after every task was killed — an uninstall resumed after
 * a crash finds some already released, which would otherwise wait for ever. */
void svc_uninstall_offers_seen(sdk_service *s, const sdk_offer *offers, size_t n) {
    if (!s->uninstall || !s->n_plans || !kills_done(s)) return;
    sdk_plan *p = s->plans[0];
    static const char prefix[] = "unreserve-resources-";
    for (size_t i = 0; i < p->n_phases; i++) {
        sdk_phase *ph = p->phases[i];
        if (strncmp(ph->name, prefix, sizeof prefix - 1)) continue;
        const char *host = ph->name + sizeof prefix - 1;
        const sdk_offer *o = NULL;
        for (size_t k = 0; k < n && !o; k++)
            if (offers[k].hostname && !strcmp(offers[k].hostname, host)) o = &offers[k];
        if (!o) continue;
        for (size_t j = 0; j < ph->n_steps; j++) {
            sdk_step *st = ph->steps[j];
            if (st->status == SDK_STATUS_COMPLETE || !st->target) continue;
            bool present = false;
            for (size_t r = 0; r < o->resources.n && !present; r++) {
                const char *id = sdk_resource_label(&o->resources.v[r], "resource_id");
                present = id && !strcmp(id, st->target);
            }
            if (!present) sdk_step_set_status(st, SDK_STATUS_COMPLETE);
        }
    }
}

bool sdk_service_uninstalled(const sdk_service *s) { return s->uninstalled; }
bool sdk_service_uninstalling(const sdk_service *s) { return s->uninstall; }
