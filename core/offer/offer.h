/* A resource offer as the offer code sees it: no protobuf, no HTTP. The Mesos layer converts
 * a mesos.v1.Offer into this (attributes already rendered as text per mesos-v1-protocol.md §3.6:
 * scalars "%.3f", ranges "[b-e,b-e]", sets "{a,b}", text verbatim).
 *
 * Ownership: an sdk_offer owns every string and its resources; sdk_offer_free_contents()
 * releases them. */
#ifndef SDK_OFFER_OFFER_H
#define SDK_OFFER_OFFER_H
#include <stddef.h>
#include "mesos/resources.h"

typedef struct sdk_attr {
    char *name;
    char *value;   /* rendered text, never NULL */
} sdk_attr;

typedef struct sdk_offer {
    char *id;
    char *agent_id;
    char *hostname;
    sdk_attr *attrs;
    size_t n_attrs;
    char *zone;    /* fault domain zone name, NULL if the agent has no domain */
    char *region;  /* fault domain region name, NULL if none */
    /* The agent's HTTP base URL from Offer.url, "http://IP:PORT" (its /state and /files/...
     * endpoints live there); NULL when the offer has none. */
    char *agent_url;
    sdk_resources resources;
} sdk_offer;

void sdk_offer_free_contents(sdk_offer *o);
/* Deep copy into dst (dst is overwritten, not freed first). */
void sdk_offer_copy(sdk_offer *dst, const sdk_offer *src);
/* Appends an attribute (copies both strings). */
void sdk_offer_add_attr(sdk_offer *o, const char *name, const char *value);
/* "name:value;name:value" in offer order (the offer_attributes TaskInfo label). New string. */
char *sdk_attrs_text_new(const sdk_attr *attrs, size_t n);
#endif
