/* The scheduler side of the plugin host table: everything a plugin can reach that is owned by the
 * running scheduler (durable properties, task records, timers and child processes).
 * core/plugin/host.c turns the ABI's calls into calls of this vtable, so the host layer
 * knows nothing about the event loop, the state store or the offer cycle. (Mustache rendering
 * needs no backend: the host calls core/spec/mustache directly.)
 *
 * The scheduler service implements it; core/plugin/memory_backend.h is an in-memory version for
 * tests and offline tools. Every function runs on the loop thread. Any member may be NULL: the
 * plugin then gets SDK_PLUGIN_ENOTSUP (or NULL/empty for the query functions).
 * Return values are 0 or a negative SDK_E* code (core/util/err.h).
 */
#ifndef SDK_PLUGIN_HOST_BACKEND_H
#define SDK_PLUGIN_HOST_BACKEND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/spec/spec.h"
#include "core/util/err.h"
#include "core/util/log.h"

/* A command to run, owned by the caller for the duration of command_start() only. */
typedef struct sdk_plugin_backend_command {
    const char *const *argv;    /* NULL-terminated, argv[0] looked up in PATH */
    const char *const *env;     /* NULL-terminated "K=V", or NULL = inherit the scheduler's env */
    const char *cwd;            /* NULL = inherit */
    uint64_t timeout_ms;        /* 0 = none; on expiry kill the process group, timed_out = true */
} sdk_plugin_backend_command;

typedef struct sdk_plugin_backend_result {
    int exit_code;              /* -1 when killed by a signal or never started */
    bool timed_out;
    const char *out;            /* NUL-terminated; borrowed for the callback */
    size_t out_len;
    const char *err;
    size_t err_len;
} sdk_plugin_backend_result;

typedef void (*sdk_plugin_backend_timer_fn)(void *arg);
typedef void (*sdk_plugin_backend_command_fn)(void *arg, const sdk_plugin_backend_result *res);

typedef struct sdk_plugin_backend {
    void *ctx; /* passed first to every function */

    /* Log line from plugin `plugin`. NULL: the host writes it with sdk_log(). */
    void (*log)(void *ctx, const char *plugin, sdk_log_level level, const char *msg);

    /* Plugin-scoped properties: (plugin, key) -> bytes. get: *value_new is malloc'd, a NUL after
     * len bytes; SDK_ENOENT if absent. set copies. delete: SDK_ENOENT if absent. */
    int (*property_get)(void *ctx, const char *plugin, const char *key, char **value_new,
                        size_t *len);
    int (*property_set)(void *ctx, const char *plugin, const char *key, const void *value,
                        size_t len);
    int (*property_delete)(void *ctx, const char *plugin, const char *key);

    /* Stored task names of pod instance pod-index (index -1: all instances of the pod type).
     * *names_new: malloc'd array of malloc'd strings (caller frees each and the array). */
    int (*pod_tasks)(void *ctx, const char *pod, int64_t index, char ***names_new, size_t *n);
    /* Borrowed strings, valid until control returns to the loop. NULL if unknown. */
    const char *(*task_state)(void *ctx, const char *task_name);
    const char *(*task_ip)(void *ctx, const char *task_name);
    const char *(*task_agent)(void *ctx, const char *task_name);

    /* One-shot timer: fn(arg) runs once after delay_ms unless cancelled first. Ids are > 0 and
     * never reused. cancel: SDK_ENOENT if it already fired or is unknown. */
    int (*timer_start)(void *ctx, uint64_t delay_ms, sdk_plugin_backend_timer_fn fn, void *arg,
                       uint64_t *id);
    int (*timer_cancel)(void *ctx, uint64_t id);

    /* Runs a command without blocking; fn(arg, result) runs exactly once on the loop thread when
     * it exits, times out or fails to start, unless command_cancel() was called first (which
     * kills it; fn is then never called). Ids > 0, never reused. */
    int (*command_start)(void *ctx, const sdk_plugin_backend_command *cmd,
                         sdk_plugin_backend_command_fn fn, void *arg, uint64_t *id);
    int (*command_cancel)(void *ctx, uint64_t id);
} sdk_plugin_backend;
#endif
