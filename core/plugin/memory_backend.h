/* An in-memory sdk_plugin_backend for tests and offline tools: properties in a list, a task table
 * the caller fills, timers and commands that never run by themselves (the caller fires them).
 * Not thread-safe; everything on the caller's thread.
 */
#ifndef SDK_PLUGIN_MEMORY_BACKEND_H
#define SDK_PLUGIN_MEMORY_BACKEND_H
#include "core/plugin/host_backend.h"

typedef struct sdk_memory_backend sdk_memory_backend;

sdk_memory_backend *sdk_memory_backend_new(void);
void sdk_memory_backend_free(sdk_memory_backend *m); /* NULL ok; pending callbacks are dropped */
/* A vtable whose ctx is m (copy it into sdk_plugin_instance_new). */
sdk_plugin_backend sdk_memory_backend_vtable(sdk_memory_backend *m);

/* Adds or updates a task "<pod>-<index>-<task>" (strings copied; NULL leaves a field as it was). */
void sdk_memory_backend_set_task(sdk_memory_backend *m, const char *pod, int64_t index,
                                 const char *task_name, const char *state, const char *ip,
                                 const char *agent);

/* Timers: how many are pending; fire the one that was started earliest (returns false if none). */
size_t sdk_memory_backend_timers_pending(const sdk_memory_backend *m);
bool sdk_memory_backend_fire_next_timer(sdk_memory_backend *m);

/* Commands: how many are running, the argv[i] of the oldest one (NULL past the end), and
 * completing the oldest with a result (strings copied during the call). */
size_t sdk_memory_backend_commands_pending(const sdk_memory_backend *m);
const char *sdk_memory_backend_command_arg(const sdk_memory_backend *m, size_t i);
bool sdk_memory_backend_complete_command(sdk_memory_backend *m, int exit_code, const char *out,
                                         const char *err);

/* Log lines received ("<plugin> <LEVEL> <msg>"), for assertions. */
size_t sdk_memory_backend_log_count(const sdk_memory_backend *m);
const char *sdk_memory_backend_log_line(const sdk_memory_backend *m, size_t i);
#endif
