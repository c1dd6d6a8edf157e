/* HTTP route table: method + path pattern -> an opaque target, with {param} segments.
 *
 * Patterns are absolute paths of '/'-separated segments; a segment is either a literal or a
 * whole-segment parameter "{name}" matching any one non-empty segment. When several patterns
 * match a path, the one with a literal at the first segment where they differ wins
 * ("/v1/plans/deploy" beats "/v1/plans/{plan}"). A single trailing slash in a request path is
 * ignored. HEAD requests match GET routes. No I/O, no allocation of the targets: pure matching,
 * so it is testable without sockets.
 */
#ifndef SDK_API_ROUTER_H
#define SDK_API_ROUTER_H
#include <stddef.h>

#include "core/util/err.h"

typedef struct sdk_router sdk_router;

typedef struct sdk_route_match {
    int status;            /* 200 found, 404 no pattern matches the path, 405 path matches other methods */
    void *target;          /* the target given to sdk_router_add (status 200) */
    const char *pattern;   /* the matched pattern (owned by the router) */
    size_t nparams;
    char **names, **values; /* path parameters, owned by the match (status 200) */
    char *allow;           /* status 405: "GET, POST" (owned by the match), else NULL */
} sdk_route_match;

void sdk_router_new(sdk_router **out);
void sdk_router_free(sdk_router *r);
/* Adds a route. method: an upper-case token ("GET", "POST", ...). Returns 0; SDK_EINVAL for a bad
 * method or pattern (not starting with '/', empty segment, unbalanced or empty "{}", a duplicate
 * parameter name) with a message naming the pattern in errs; SDK_EEXIST if the same method has a
 * pattern of the same shape (same literals, parameters at the same places). Changes nothing on
 * error. */
int sdk_router_add(sdk_router *r, const char *method, const char *pattern, void *target, sdk_errors *errs);
/* Matches a request (path without the query string). Always fills *m (clear it with
 * sdk_route_match_clear). */
void sdk_router_match(const sdk_router *r, const char *method, const char *path, sdk_route_match *m);
/* Value of path parameter `name` in a successful match, or NULL. */
const char *sdk_route_match_param(const sdk_route_match *m, const char *name);
void sdk_route_match_clear(sdk_route_match *m);
#endif
