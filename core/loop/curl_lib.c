/* libcurl through dlopen: see curl_lib.h. */
#define SDK_CURL_LIB_IMPL
#include "core/loop/curl_lib.h"

#include "core/loop/loop.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The soname the build links against (-lcurl resolves to it). */
#define CURL_SONAME "libcurl.so.4"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t loader;
static bool loader_started, loaded;
static void *handle;
static char *load_error; /* dlerror() text when the preload failed */
static sdk_curl_lib lib;
static sdk_loop *when_loop; /* sdk_curl_lib_when_loaded's pending call */
static sdk_loop_post_cb when_cb;
static void *when_ud;

static void *load_thread(void *arg) {
    (void)arg;
    void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    const char *e = h ? NULL : dlerror();
    pthread_mutex_lock(&mu);
    handle = h;
    if (!h) load_error = strdup(e ? e : "unknown error");
    if (when_cb) sdk_loop_post(when_loop, when_cb, when_ud);
    when_cb = NULL;
    pthread_mutex_unlock(&mu);
    return NULL;
}

void sdk_curl_lib_when_loaded(sdk_loop *loop, void (*cb)(sdk_loop *l, void *ud), void *ud) {
    pthread_mutex_lock(&mu);
    /* still loading: the thread posts cb when done; else now (handle set: it finished) */
    bool loading = loader_started && !handle && !load_error;
    if (loading) {
        when_loop = loop;
        when_cb = cb;
        when_ud = ud;
    }
    pthread_mutex_unlock(&mu);
    if (!loading) sdk_loop_post(loop, cb, ud);
}

void sdk_curl_lib_preload(void) {
    pthread_mutex_lock(&mu);
    if (!loader_started && !loaded && pthread_create(&loader, NULL, load_thread, NULL) == 0)
        loader_started = true;
    pthread_mutex_unlock(&mu);
}

static void *sym(const char *name) {
    void *p = dlsym(handle, name);
    if (!p) {
        fprintf(stderr, "scheduler: %s has no %s (%s): reinstall libcurl 4\n", CURL_SONAME, name, dlerror());
        exit(1);
    }
    return p;
}

const sdk_curl_lib *sdk_curl_lib_get(void) {
    if (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) return &lib;
    /* the loading thread takes mu at its end: join it without holding mu */
    pthread_mutex_lock(&mu);
    bool join = loader_started;
    loader_started = false;
    pthread_mutex_unlock(&mu);
    if (join) pthread_join(loader, NULL);
    pthread_mutex_lock(&mu);
    if (!loaded) {
        if (!handle && !load_error) {
            handle = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
            if (!handle) {
                const char *e = dlerror();
                load_error = strdup(e ? e : "unknown error");
            }
        }
        if (!handle) {
            fprintf(stderr, "scheduler: cannot load %s (%s): install libcurl 4 (Debian: libcurl4)\n", CURL_SONAME,
                    load_error);
            exit(1);
        }
        *(void **)&lib.global_init = sym("curl_global_init");
        *(void **)&lib.easy_init = sym("curl_easy_init");
        *(void **)&lib.easy_setopt = sym("curl_easy_setopt");
        *(void **)&lib.easy_getinfo = sym("curl_easy_getinfo");
        *(void **)&lib.easy_cleanup = sym("curl_easy_cleanup");
        *(void **)&lib.easy_strerror = sym("curl_easy_strerror");
        *(void **)&lib.slist_append = sym("curl_slist_append");
        *(void **)&lib.slist_free_all = sym("curl_slist_free_all");
        *(void **)&lib.multi_init = sym("curl_multi_init");
        *(void **)&lib.multi_setopt = sym("curl_multi_setopt");
        *(void **)&lib.multi_add_handle = sym("curl_multi_add_handle");
        *(void **)&lib.multi_remove_handle = sym("curl_multi_remove_handle");
        *(void **)&lib.multi_socket_action = sym("curl_multi_socket_action");
        *(void **)&lib.multi_info_read = sym("curl_multi_info_read");
        *(void **)&lib.multi_cleanup = sym("curl_multi_cleanup");
        __atomic_store_n(&loaded, true, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&mu);
    return &lib;
}
