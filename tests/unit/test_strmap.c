/* core/util/strmap: insert, lookup, replace, delete (with cluster repair), growth. */
#include "check.h"
#include "core/util/strmap.h"
#include <stdint.h>
#include "core/util/str.h"

static void test_basic(void) {
    sdk_strmap m;
    sdk_strmap_init(&m);
    CHECK(!sdk_strmap_has(&m, "a"));
    CHECK(sdk_strmap_get(&m, "a") == NULL);
    int x = 1, y = 2;
    sdk_strmap_put(&m, "a", &x);
    sdk_strmap_put(&m, "b", &y);
    CHECK(sdk_strmap_get(&m, "a") == &x);
    CHECK(sdk_strmap_get(&m, "b") == &y);
    sdk_strmap_put(&m, "a", &y);
    CHECK(sdk_strmap_get(&m, "a") == &y);
    CHECK_INT(m.n, 2);
    bool created = true;
    sdk_strmap_slot(&m, "a", &created);
    CHECK(!created);
    CHECK(sdk_strmap_del(&m, "a"));
    CHECK(!sdk_strmap_del(&m, "a"));
    CHECK(!sdk_strmap_has(&m, "a"));
    CHECK(sdk_strmap_has(&m, "b"));
    sdk_strmap_clear(&m);
    CHECK(!sdk_strmap_has(&m, "b"));
    sdk_strmap_free(&m);
}

static void test_many_with_deletes(void) {
    enum { N = 5000 };
    char **keys = sdk_xcalloc(N, sizeof *keys);
    sdk_strmap m;
    sdk_strmap_init(&m);
    for (int i = 0; i < N; i++) {
        keys[i] = sdk_asprintf_new("hello-%d-server", i);
        sdk_strmap_put(&m, keys[i], (void *)(intptr_t)(i + 1));
    }
    CHECK_INT(m.n, N);
    for (int i = 0; i < N; i += 3) CHECK(sdk_strmap_del(&m, keys[i]));
    int bad = 0;
    for (int i = 0; i < N; i++) {
        void *v = sdk_strmap_get(&m, keys[i]);
        if (i % 3 == 0 ? v != NULL : v != (void *)(intptr_t)(i + 1)) bad++;
    }
    CHECK_INT(bad, 0);
    for (int i = 0; i < N; i++) free(keys[i]);
    free(keys);
    sdk_strmap_free(&m);
}

int main(void) {
    RUN(test_basic);
    RUN(test_many_with_deletes);
    return check_summary("test_strmap");
}
