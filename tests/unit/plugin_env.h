/* A service plugin loaded for a unit test: its .so through the loader, its options merged from
 * defaults, the test's base options and overrides, over the in-memory backend. Linked into every
 * test binary (tests/unit files not named test_*.c). */
#ifndef SDK_TESTS_PLUGIN_ENV_H
#define SDK_TESTS_PLUGIN_ENV_H
#include <stdbool.h>
#include <stddef.h>
#include "core/plugin/memory_backend.h"
#include "core/plugin/plugin.h"
#include "core/spec/spec.h"
#include "core/util/err.h"

typedef struct plugin_env {
    sdk_memory_backend *m;
    sdk_plugin_instance *in;
    sdk_kv *opts; /* merged options */
    size_t n_opts;
    sdk_errors e; /* what failed, for the test to check or print */
    const char *so;
} plugin_env;

/* Loads `so` with the options base then over (a later key wins). Returns 0; 1 when the plugin's
 * init refused (h->e says why); -1 when the library or its options could not be loaded (printed).
 * It asserts nothing itself (check.h counts per test file): the caller CHECKs. */
int plugin_env_open(plugin_env *h, const char *so, const sdk_kv *base, size_t n_base, const sdk_kv *over,
                     size_t n_over);
void plugin_env_close(plugin_env *h);
/* The plugin's default spec rendered strictly with its options and parsed; NULL (the errors
 * printed) when either fails. */
sdk_spec *plugin_env_spec(plugin_env *h);
/* A task's environment variable, or NULL (t may be NULL). */
const char *plugin_env_task_env(const sdk_task_spec *t, const char *key);
#endif
