/* A hash map from strings to pointers (open addressing, FNV-1a). Keys are BORROWED: the caller
 * keeps each key's string alive and unchanged while it is in the map. Used where the scheduler
 * would otherwise compare every task or step name with every other one per event. */
#ifndef SDK_UTIL_STRMAP_H
#define SDK_UTIL_STRMAP_H
#include <stdbool.h>
#include <stddef.h>

typedef struct sdk_strmap {
    const char **keys;
    void **vals;
    size_t cap, n;
} sdk_strmap;

void sdk_strmap_init(sdk_strmap *m);
void sdk_strmap_free(sdk_strmap *m);
/* Removes every entry, keeping the memory. */
void sdk_strmap_clear(sdk_strmap *m);
/* Inserts key (value NULL) when absent; returns the value's slot either way. *created (may be
 * NULL) tells which. The slot is valid until the next insertion. */
void **sdk_strmap_slot(sdk_strmap *m, const char *key, bool *created);
void sdk_strmap_put(sdk_strmap *m, const char *key, void *val);
/* The value, or NULL when absent (use sdk_strmap_has for maps that store NULL). */
void *sdk_strmap_get(const sdk_strmap *m, const char *key);
bool sdk_strmap_has(const sdk_strmap *m, const char *key);
/* Removes key; returns true when it was there. */
bool sdk_strmap_del(sdk_strmap *m, const char *key);
#endif
