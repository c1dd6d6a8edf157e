/* libcurl's multi interface driven by sdk_loop (CURLMOPT_SOCKETFUNCTION + CURLMOPT_TIMERFUNCTION
 * + curl_multi_socket_action): any number of transfers, no threads, nothing blocks the loop.
 *
 * The caller configures each easy handle as usual (URL, headers, CURLOPT_WRITEFUNCTION for
 * streaming bodies such as the Mesos event stream, ...) except CURLOPT_PRIVATE, which the glue
 * uses. Write/header callbacks run on the loop thread inside curl and must not call
 * sdk_curl_add/sdk_curl_cancel/sdk_curl_free; to abort a transfer from a write callback return
 * a short count (the done callback then reports CURLE_WRITE_ERROR).
 *
 * All functions: loop thread only.
 */
#ifndef SDK_LOOP_CURL_GLUE_H
#define SDK_LOOP_CURL_GLUE_H
#include <curl/curl.h>

#include "core/loop/loop.h"

typedef struct sdk_curl sdk_curl;

/* Called once per transfer, after it has been removed from the multi handle. The callback owns
 * `easy` again: clean it up or re-add it. It may call sdk_curl_add / sdk_curl_cancel. */
typedef void (*sdk_curl_done_cb)(sdk_curl *c, CURL *easy, CURLcode result, void *ud);

/* Creates a multi handle driven by loop. Returns 0, or SDK_ENOMEM if curl refuses. */
int sdk_curl_new(sdk_loop *loop, sdk_curl **out);
/* Aborts transfers still running (each done callback is called with CURLE_ABORTED_BY_CALLBACK so
 * owners can free their handles), then frees the multi handle. NULL is a no-op. Not callable
 * from a curl or done callback. */
void sdk_curl_free(sdk_curl *c);
/* The multi handle, for options such as CURLMOPT_MAX_HOST_CONNECTIONS. Do not add handles
 * to it directly. */
CURLM *sdk_curl_multi(sdk_curl *c);
/* Starts a transfer; the glue holds `easy` until done is called (or it is cancelled).
 * Returns 0, SDK_EINVAL (NULL easy/done) or SDK_EBUSY (easy already running). */
int sdk_curl_add(sdk_curl *c, CURL *easy, sdk_curl_done_cb done, void *ud);
/* Stops a running transfer without calling its done callback; the caller owns easy again.
 * Returns 0 or SDK_ENOENT (not running here). */
int sdk_curl_cancel(sdk_curl *c, CURL *easy);
/* Number of transfers running. */
unsigned sdk_curl_running(const sdk_curl *c);
#endif
