/* Garbage collection of reservations nobody claims (sdk-behaviour.md §8.5). Contract in evaluate.h. */
#include "core/offer/evaluate.h"
#include "core/util/str.h"
#include <stdlib.h>
#include <string.h>

static bool claimed_id(const char *const *claimed, size_t n, const char *rid) {
    for (size_t i = 0; i < n; i++)
        if (claimed[i] && !strcmp(claimed[i], rid)) return true;
    return false;
}

static void push(sdk_operation **ops, size_t *n, sdk_op_type t, const sdk_resource *r) {
    *ops = sdk_xrealloc(*ops, (*n + 1) * sizeof **ops);
    sdk_operation *op = &(*ops)[(*n)++];
    memset(op, 0, sizeof *op);
    op->type = t;
    sdk_resources_add(&op->resources, r);
}

int sdk_offer_gc(const sdk_offer *offer, const char *const *claimed, size_t n_claimed, const char *framework_id,
                 sdk_operation **ops, size_t *n_ops) {
    *ops = NULL;
    *n_ops = 0;
    sdk_resources unres;
    sdk_resources_init(&unres);
    for (size_t i = 0; i < offer->resources.n; i++) {
        const sdk_resource *r = &offer->resources.v[i];
        if (!sdk_resource_is_dynamically_reserved(r)) continue;
        const char *rid = sdk_resource_label(r, "resource_id");
        if (!rid || claimed_id(claimed, n_claimed, rid)) continue;
        const char *fw = sdk_resource_label(r, "framework_id");
        if (framework_id && fw && strcmp(fw, framework_id) != 0) continue;
        if (r->persistence_id) {
            push(ops, n_ops, SDK_OP_DESTROY, r);
            sdk_resource plain;
            sdk_resource_copy(&plain, r);
            free(plain.persistence_id);
            free(plain.persistence_principal);
            free(plain.volume_container_path);
            plain.persistence_id = plain.persistence_principal = plain.volume_container_path = NULL;
            plain.volume_read_only = false;
            sdk_resources_add(&unres, &plain);
            sdk_resource_free_contents(&plain);
        } else {
            sdk_resources_add(&unres, r);
        }
    }
    for (size_t i = 0; i < unres.n; i++) push(ops, n_ops, SDK_OP_UNRESERVE, &unres.v[i]);
    sdk_resources_free(&unres);
    return 0;
}
