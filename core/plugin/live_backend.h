/* The plugin host backend of the running scheduler (host_backend.h implemented for real):
 *
 *  - properties live in the state store as Properties/plugin.<plugin>.<key>, so a plugin can
 *    neither read nor clobber core properties (e.g. "<task>:task-status") or another plugin's;
 *    each set or delete is one state transaction, durable when it returns 0;
 *  - timers are loop timers; commands run through core/loop/proc (never blocking the loop);
 *  - task queries are answered from an sdk_service attached after creation (the plugin is
 *    initialised before the service exists); until then pod_tasks gives SDK_ESTATE and the
 *    string queries NULL ("not available");
 *  - log lines go to core/util/log.h under the module "plugin:<name>".
 *
 * Lifetimes: the loop, the state and the attached service are borrowed and must outlive the
 * backend (or be detached first, for the service). The backend must outlive every plugin
 * instance created with its vtable (sdk_plugin_instance_free cancels through it).
 * Threading: loop thread only.
 */
#ifndef SDK_PLUGIN_LIVE_BACKEND_H
#define SDK_PLUGIN_LIVE_BACKEND_H
#include <stddef.h>
#include <stdint.h>
#include "core/loop/loop.h"
#include "core/plugin/host_backend.h"
#include "core/service/service.h"
#include "core/state/layout.h"

typedef struct sdk_live_backend sdk_live_backend;

typedef struct sdk_live_backend_options {
    size_t max_output;      /* bytes of stdout/stderr kept per command; 0 = proc.h's default */
    uint64_t kill_grace_ms; /* timeout: SIGTERM -> SIGKILL delay; 0 = proc.h's default */
} sdk_live_backend_options;

/* Creates a backend on loop (required) and state (NULL: every property call gives SDK_ESTATE).
 * opts may be NULL for defaults. Returns 0 or SDK_EINVAL (NULL loop or out). */
int sdk_live_backend_new(sdk_loop *loop, sdk_state *state, const sdk_live_backend_options *opts,
                         sdk_live_backend **out);
/* Cancels pending timers and kills running commands (their callbacks never run), frees the
 * backend. NULL ok. Not from inside one of its own callbacks. */
void sdk_live_backend_free(sdk_live_backend *b);

/* Makes task queries answer from svc (borrowed); NULL detaches (queries: not available again). */
void sdk_live_backend_attach_service(sdk_live_backend *b, sdk_service *svc);
/* Attaches (or with NULL detaches) the state used for plugin properties. The scheduler loads the
 * plugin before it can open the state (the service name comes from the plugin's spec); property
 * calls before this answer SDK_ESTATE. */
void sdk_live_backend_attach_state(sdk_live_backend *b, sdk_state *state);

/* The vtable, ctx = b. Copy it into sdk_plugin_instance_new. */
sdk_plugin_backend sdk_live_backend_vtable(sdk_live_backend *b);

/* Timers and commands started through the vtable and not yet fired, completed or cancelled. */
size_t sdk_live_backend_pending(const sdk_live_backend *b);
#endif
