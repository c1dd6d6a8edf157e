/* libcurl, loaded with dlopen instead of at exec.
 *
 * Why: libcurl brings 33 shared libraries (OpenSSL, GnuTLS, Kerberos, LDAP, ...); loading them at
 * exec was about 8 ms of the scheduler's start (docs/performance.md, "Cold start"), before it
 * could answer anything. The scheduler is not linked with -lcurl: sdk_curl_lib_preload starts
 * loading it on a thread of its own while the main thread renders the spec, opens the state and
 * builds the plans; the first call of a curl function waits for that load (or loads it then).
 * Other programs (the local cluster, sdkctl, tests) link -lcurl as before: dlopen then finds the
 * library already loaded, and both name the same functions.
 *
 * Use: include this header after <curl/curl.h> in a file that calls libcurl; the calls below
 * then go through the loaded library. Add a function here (and in curl_lib.c) before using a
 * new one in such a file. */
#ifndef SDK_LOOP_CURL_LIB_H
#define SDK_LOOP_CURL_LIB_H
#include <curl/curl.h>

typedef struct sdk_curl_lib {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *h, CURLoption o, ...);
    CURLcode (*easy_getinfo)(CURL *h, CURLINFO i, ...);
    void (*easy_cleanup)(CURL *h);
    const char *(*easy_strerror)(CURLcode c);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_setopt)(CURLM *m, CURLMoption o, ...);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
    CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev, int *running);
    CURLMsg *(*multi_info_read)(CURLM *m, int *left);
    CURLMcode (*multi_cleanup)(CURLM *m);
} sdk_curl_lib;

/* Starts loading libcurl on a new thread (once; later calls do nothing). Call it after the
 * process's signal mask is set (the thread inherits it). Without it, the first use loads. */
void sdk_curl_lib_preload(void);
/* Runs cb on loop once libcurl is loaded (posted by the loading thread), or at the loop's next
 * iteration when it is loaded already or no preload runs (cb then loads it). Once per process:
 * a later call replaces an earlier pending one. */
struct sdk_loop;
void sdk_curl_lib_when_loaded(struct sdk_loop *loop, void (*cb)(struct sdk_loop *l, void *ud), void *ud);
/* The loaded library's functions, waiting for the preload or loading now. A library that cannot
 * be loaded is fatal: the message names it and the process exits with status 1. Loop thread. */
const sdk_curl_lib *sdk_curl_lib_get(void);

#ifndef SDK_CURL_LIB_IMPL
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init(...) (sdk_curl_lib_get()->global_init(__VA_ARGS__))
#define curl_easy_init(...) (sdk_curl_lib_get()->easy_init(__VA_ARGS__))
#define curl_easy_setopt(...) (sdk_curl_lib_get()->easy_setopt(__VA_ARGS__))
#define curl_easy_getinfo(...) (sdk_curl_lib_get()->easy_getinfo(__VA_ARGS__))
#define curl_easy_cleanup(...) (sdk_curl_lib_get()->easy_cleanup(__VA_ARGS__))
#define curl_easy_strerror(...) (sdk_curl_lib_get()->easy_strerror(__VA_ARGS__))
#define curl_slist_append(...) (sdk_curl_lib_get()->slist_append(__VA_ARGS__))
#define curl_slist_free_all(...) (sdk_curl_lib_get()->slist_free_all(__VA_ARGS__))
#define curl_multi_init(...) (sdk_curl_lib_get()->multi_init(__VA_ARGS__))
#define curl_multi_setopt(...) (sdk_curl_lib_get()->multi_setopt(__VA_ARGS__))
#define curl_multi_add_handle(...) (sdk_curl_lib_get()->multi_add_handle(__VA_ARGS__))
#define curl_multi_remove_handle(...) (sdk_curl_lib_get()->multi_remove_handle(__VA_ARGS__))
#define curl_multi_socket_action(...) (sdk_curl_lib_get()->multi_socket_action(__VA_ARGS__))
#define curl_multi_info_read(...) (sdk_curl_lib_get()->multi_info_read(__VA_ARGS__))
#define curl_multi_cleanup(...) (sdk_curl_lib_get()->multi_cleanup(__VA_ARGS__))
#endif
#endif
