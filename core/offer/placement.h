/* Placement rules: the Marathon constraint language of svc.yml `placement:` (sdk-behaviour.md
 * §1.13) plus extension rules (plugin placement hooks, HDFS "avoid pod types").
 *
 * A rule is parsed once from the pod's placement text and evaluated many times against an agent
 * (hostname, attributes, zone, region) and a view of the service's existing tasks. Counting
 * operators (UNIQUE, MAX_PER, GROUP_BY) count only tasks of the pod type being placed, and
 * ignore tasks of the pod instance being placed (they are the ones being replaced).
 *
 * Threading: none; all objects belong to the caller's (event loop) thread.
 */
#ifndef SDK_OFFER_PLACEMENT_H
#define SDK_OFFER_PLACEMENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/offer/offer.h"

/* The agent a rule is evaluated against. All borrowed. zone/region NULL when unknown. */
typedef struct sdk_placement_agent {
    const char *hostname;
    const sdk_attr *attrs;
    size_t n_attrs;
    const char *zone, *region;
} sdk_placement_agent;

/* One existing task (borrowed by sdk_placement_view_add, which copies it). task_name is the full
 * "<pod>-<index>-<task>" name; pod_type its pod type. */
typedef struct sdk_placement_task {
    const char *task_name;
    const char *pod_type;
    const char *hostname;
    const sdk_attr *attrs;
    size_t n_attrs;
    const char *zone, *region;
} sdk_placement_task;

/* ---- the view of existing tasks: an indexed, append-only set (O(1) counting) ---- */
typedef struct sdk_placement_view sdk_placement_view;
sdk_placement_view *sdk_placement_view_new(void);
void sdk_placement_view_free(sdk_placement_view *v);               /* NULL ok */
void sdk_placement_view_add(sdk_placement_view *v, const sdk_placement_task *t); /* copies t */
size_t sdk_placement_view_size(const sdk_placement_view *v);
/* The i-th task added (pointers stay valid until the view is freed). */
const sdk_placement_task *sdk_placement_view_task(const sdk_placement_view *v, size_t i);

/* ---- rules ---- */
typedef struct sdk_placement_rule sdk_placement_rule;

/* Extension rule: returns true to accept the agent. On rejection it may set *reason to a new
 * malloc'd string (freed by the caller); reason may be NULL when the caller does not want one. */
typedef bool (*sdk_placement_fn)(void *user, const char *pod_type, int64_t index,
                                 const sdk_placement_agent *agent, const sdk_placement_view *view,
                                 char **reason);

/* Parses a constraint in any of the three forms (flat JSON list, nested JSON list, UI text with
 * `\,` and `\:` escapes). NULL, "", blank and "[]" give an empty rule that passes everything.
 * Never fails: a parse problem gives an "invalid rule" that rejects every agent and reports
 * the problem through sdk_placement_rule_error(). Free with sdk_placement_rule_free(). */
sdk_placement_rule *sdk_placement_parse_new(const char *text);
void sdk_placement_rule_free(sdk_placement_rule *r);               /* NULL ok */
/* The rule parsed from text, from a small per-thread cache keyed by the text itself (not its
 * address): the offer evaluator asks for the pod's rule at every step evaluation, and parsing
 * compiles LIKE/UNLIKE regular expressions. A spec update that changes a pod's placement
 * changes the text, so it is parsed anew. Borrowed: valid until the next call on this thread
 * (an entry is replaced when the cache is full). NULL text: NULL. */
const sdk_placement_rule *sdk_placement_rule_cached(const char *text);
/* NULL for a valid rule; otherwise "invalid placement rule '<input>': <problem>" (owned by r). */
const char *sdk_placement_rule_error(const sdk_placement_rule *r);
/* True when the rule has no constraint rows and no extension rules. */
bool sdk_placement_rule_is_empty(const sdk_placement_rule *r);
/* True if some row uses the field ("@zone", "@region", "hostname", or an attribute name). */
bool sdk_placement_rule_mentions(const sdk_placement_rule *r, const char *field);
/* Canonical text of the parsed rows ("[[\"hostname\",\"MAX_PER\",\"2\"]]"). New string. */
char *sdk_placement_rule_to_string_new(const sdk_placement_rule *r);
/* ANDs an extension rule (name is copied, user is borrowed and must outlive r). */
void sdk_placement_rule_add_extra(sdk_placement_rule *r, const char *name, sdk_placement_fn fn, void *user);

/* Evaluates r (NULL = empty rule) for placing instance `index` of `pod_type` on agent.
 * view may be NULL (no tasks). Returns true on pass. If reason is non-NULL it receives a new
 * string saying why it failed (or "placement rules satisfied"). */
bool sdk_placement_evaluate(const sdk_placement_rule *r, const char *pod_type, int64_t index,
                            const sdk_placement_agent *agent, const sdk_placement_view *view,
                            char **reason);
#endif
