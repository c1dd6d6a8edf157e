/* libcurl through dlopen (core/loop/curl_lib.h): the preload, the callback once loaded, and
 * calls through the table reaching the library. */
#include "tests/unit/check.h"
#include "core/loop/curl_lib.h"
#include "core/loop/loop.h"

static int ran;
static void on_loaded(sdk_loop *l, void *ud) {
    (void)ud;
    ran++;
    sdk_loop_stop(l);
}

/* Preloaded on a thread; the callback arrives on the loop, once, and the functions work. */
static void test_preload_then_callback(void) {
    sdk_loop *l;
    CHECK_INT(sdk_loop_new(&l), 0);
    sdk_curl_lib_preload();
    sdk_curl_lib_preload(); /* once */
    sdk_curl_lib_when_loaded(l, on_loaded, NULL);
    uint64_t t0 = sdk_loop_now_ms(l);
    while (!ran && sdk_loop_now_ms(l) - t0 < 10000) sdk_loop_run_once(l, 100);
    CHECK_INT(ran, 1);
    const sdk_curl_lib *c = sdk_curl_lib_get();
    CHECK(c->easy_init != NULL && c->multi_init != NULL);
    CURL *e = curl_easy_init(); /* through the table (the macro) */
    CHECK(e != NULL);
    CHECK_INT(curl_easy_setopt(e, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
    CHECK_STR(curl_easy_strerror(CURLE_OK), "No error");
    curl_easy_cleanup(e);
    /* loaded already: the callback comes at the next iteration */
    sdk_curl_lib_when_loaded(l, on_loaded, NULL);
    for (int i = 0; i < 5 && ran < 2; i++) sdk_loop_run_once(l, 100);
    CHECK_INT(ran, 2);
    sdk_loop_free(l);
}

int main(void) {
    RUN(test_preload_then_callback);
    return check_summary("test_curl_lib");
}
