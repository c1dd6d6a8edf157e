/* Plain offer values: see offer.h. */
#include "core/offer/offer.h"
#include "core/util/str.h"
#include <stdlib.h>
#include <string.h>

void sdk_offer_free_contents(sdk_offer *o) {
    if (!o) return;
    free(o->id);
    free(o->agent_id);
    free(o->hostname);
    for (size_t i = 0; i < o->n_attrs; i++) { free(o->attrs[i].name); free(o->attrs[i].value); }
    free(o->attrs);
    free(o->zone);
    free(o->region);
    free(o->agent_url);
    sdk_resources_free(&o->resources);
    memset(o, 0, sizeof *o);
}

void sdk_offer_copy(sdk_offer *dst, const sdk_offer *src) {
    memset(dst, 0, sizeof *dst);
    dst->id = sdk_xstrdup(src->id);
    dst->agent_id = sdk_xstrdup(src->agent_id);
    dst->hostname = sdk_xstrdup(src->hostname);
    for (size_t i = 0; i < src->n_attrs; i++) sdk_offer_add_attr(dst, src->attrs[i].name, src->attrs[i].value);
    dst->zone = sdk_xstrdup(src->zone);
    dst->region = sdk_xstrdup(src->region);
    dst->agent_url = sdk_xstrdup(src->agent_url);
    sdk_resources_copy(&dst->resources, &src->resources);
}

void sdk_offer_add_attr(sdk_offer *o, const char *name, const char *value) {
    o->attrs = sdk_xrealloc(o->attrs, (o->n_attrs + 1) * sizeof *o->attrs);
    o->attrs[o->n_attrs].name = sdk_xstrdup(name ? name : "");
    o->attrs[o->n_attrs].value = sdk_xstrdup(value ? value : "");
    o->n_attrs++;
}

char *sdk_attrs_text_new(const sdk_attr *attrs, size_t n) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++)
        sdk_buf_printf(&b, "%s%s:%s", i ? ";" : "", attrs[i].name, attrs[i].value);
    return sdk_buf_take(&b);
}
