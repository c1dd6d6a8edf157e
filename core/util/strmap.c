#include "core/util/strmap.h"
#include "core/util/str.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void sdk_strmap_init(sdk_strmap *m) { memset(m, 0, sizeof *m); }

void sdk_strmap_free(sdk_strmap *m) {
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

void sdk_strmap_clear(sdk_strmap *m) {
    if (m->cap) {
        memset(m->keys, 0, m->cap * sizeof *m->keys);
        memset(m->vals, 0, m->cap * sizeof *m->vals);
    }
    m->n = 0;
}

/* Index of key's slot, or of the empty slot where it would go. cap is a power of two. */
static size_t find(const sdk_strmap *m, const char *key) {
    size_t mask = m->cap - 1, i = (size_t)hash(key) & mask;
    while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & mask;
    return i;
}

static void grow(sdk_strmap *m) {
    sdk_strmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 16;
    m->keys = sdk_xcalloc(m->cap, sizeof *m->keys);
    m->vals = sdk_xcalloc(m->cap, sizeof *m->vals);
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.keys[i]) continue;
        size_t j = find(m, old.keys[i]);
        m->keys[j] = old.keys[i];
        m->vals[j] = old.vals[i];
        m->n++;
    }
    free(old.keys);
    free(old.vals);
}

void **sdk_strmap_slot(sdk_strmap *m, const char *key, bool *created) {
    if ((m->n + 1) * 4 > m->cap * 3) grow(m); /* load factor <= 0.75 */
    size_t i = find(m, key);
    bool fresh = !m->keys[i];
    if (fresh) {
        m->keys[i] = key;
        m->vals[i] = NULL;
        m->n++;
    }
    if (created) *created = fresh;
    return &m->vals[i];
}

void sdk_strmap_put(sdk_strmap *m, const char *key, void *val) { *sdk_strmap_slot(m, key, NULL) = val; }

void *sdk_strmap_get(const sdk_strmap *m, const char *key) {
    if (!m->cap) return NULL;
    size_t i = find(m, key);
    return m->keys[i] ? m->vals[i] : NULL;
}

bool sdk_strmap_has(const sdk_strmap *m, const char *key) {
    return m->cap && m->keys[find(m, key)] != NULL;
}

bool sdk_strmap_del(sdk_strmap *m, const char *key) {
    if (!m->cap) return false;
    size_t mask = m->cap - 1, i = find(m, key);
    if (!m->keys[i]) return false;
    m->keys[i] = NULL;
    m->vals[i] = NULL;
    m->n--;
    /* re-insert the rest of the cluster so lookups never stop at the hole */
    for (size_t j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
        const char *k = m->keys[j];
        void *v = m->vals[j];
        m->keys[j] = NULL;
        m->vals[j] = NULL;
        size_t t = find(m, k);
        m->keys[t] = k;
        m->vals[t] = v;
    }
    return true;
}
