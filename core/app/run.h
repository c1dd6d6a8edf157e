/* Running a service for real: the event loop, the durable state, the Mesos master (the embedded
 * local cluster unless --master is given), the Mesos client, the service core, the REST API and
 * the progress shown on the terminal. */
#ifndef SDK_APP_RUN_H
#define SDK_APP_RUN_H
#include "core/app/args.h"
#include "core/loop/loop.h"
#include "core/plugin/live_backend.h"
#include "core/service/assemble.h"

/* Runs until Ctrl-C / SIGTERM (returns 0) or a fatal error (returns non-zero after saying why).
 * `as` is the assembled service definition (made from `in`, which must stay valid: live updates
 * re-render from it); its spec is taken. `argv0` locates bin/localcluster.
 * `loop` (borrowed) runs everything; `backend` (borrowed) is the plugin's host backend, to which
 * the state and the service are attached here. */
int sdk_run(const sdk_args *a, sdk_assembly *as, const sdk_assembly_input *in, const char *argv0,
            sdk_loop *loop, sdk_live_backend *backend);
#endif
