/* Private to core/offer: the evaluation state shared by evaluate.c (resource stages) and
 * launch.c (task descriptions). Not for use outside this folder. */
#ifndef SDK_OFFER_EVAL_INTERNAL_H
#define SDK_OFFER_EVAL_INTERNAL_H
#include "core/offer/evaluate.h"

typedef struct sdk_ev {
    const sdk_eval_request *q;
    const sdk_pod_spec *pod;
    const sdk_offer *offer;
    const char *pod_role;        /* owned by the caller of the per-offer pass */
    const char *pre_role;        /* NULL when the pod has no pre-reserved role */
    bool relaunch;
    sdk_resources pool;          /* what is left of the offer */
    sdk_resources reserves, creates, unreserves;
    sdk_resources exec_res;
    char *executor_id;
    bool executor_new;
    sdk_resources *set_res;      /* per pod resource set */
    sdk_port_assignment **set_ports;
    size_t *n_set_ports;
    bool *set_needed;
    char **matched;              /* resource ids of the previous launch that were reused */
    size_t n_matched, cap_matched;
    /* Deferred work, done only when the offer wins (ev_commit in evaluate.c), so that an offer
     * that fails a stage allocates no reservation and copies nothing into the per-set lists
     * (most offers fail: a step is evaluated against every offer until one fits):
     * - res_pending[i]: reserves.v[i] is still the unreserved (or pre-reserved) slice of the
     *   offer; our DYNAMIC reservation with a fresh resource_id is pushed onto it at commit;
     * - adds: the additions to exec_res / set_res[], replayed in order at commit (the order of
     *   a resource list is what the TaskInfo shows). */
    bool *res_pending;
    size_t cap_pending;
    struct sdk_ev_add *adds;
    size_t n_adds, cap_adds;
    sdk_resources held;          /* owned resources that an entry of adds points to */
} sdk_ev;

/* evaluate.c: writes a fresh version-4 UUID (36 chars + NUL), sdk_uuid_generate (e is unused:
 * kept for the mapping's uuid callback signature). */
void sdk_ev_uuid(sdk_ev *e, char out[37]);

/* launch.c */
/* Builds the description of spec task t (launched: mints a TaskID). */
void sdk_ev_build_task(sdk_ev *e, const sdk_task_spec *t, bool launched, sdk_task_desc *out);
#endif
