/* Blocking HTTP requests to the scheduler (libcurl easy interface) and error reporting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/sdkctl.h"
#include "core/util/str.h"

static size_t on_write(char *p, size_t sz, size_t n, void *ud) {
    sdk_buf_append(ud, p, sz * n);
    return sz * n;
}

char *sdkctl_escape_new(const char *s) {
    char *e = curl_easy_escape(NULL, s ? s : "", 0);
    if (!e) abort();
    char *out = sdk_xstrdup(e);
    curl_free(e);
    return out;
}

int sdkctl_request(const sdkctl_ctx *c, const char *method, const char *path, const char *body, sdkctl_resp *r) {
    memset(r, 0, sizeof *r);
    CURL *e = curl_easy_init();
    if (!e) abort();
    char *url = sdk_asprintf_new("%s%s", c->url, path);
    char errbuf[CURL_ERROR_SIZE] = "";
    sdk_buf out;
    sdk_buf_init(&out);
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json, text/plain, */*");
    char *auth = NULL;
    if (c->token) {
        auth = sdk_asprintf_new("Authorization: Bearer %s", c->token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, c->timeout_s > 0 ? c->timeout_s : 60L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "sdkctl");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* every coding curl can decode (plans come gzipped) */
    if (c->cacert) curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
    if (!strcmp(method, "POST") || !strcmp(method, "PUT")) {
        /* A POST always carries a body (possibly empty) so curl sends Content-Length: 0. */
        const char *b = body ? body : "";
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, b);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(b));
        /* Without a body, drop the form content type curl would announce. */
        hdrs = curl_slist_append(hdrs, body ? "Content-Type: application/json" : "Content-Type:");
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    CURLcode res = curl_easy_perform(e);
    int rc = 0;
    if (res != CURLE_OK) {
        if (c->peer)
            fprintf(stderr, "sdkctl: cannot reach %s at %s: %s\n", c->peer, c->url, errbuf[0] ? errbuf : curl_easy_strerror(res));
        else
            fprintf(stderr, "sdkctl: cannot reach the scheduler at %s: %s (is it running? set --url or SDK_URL)\n",
                    c->url, errbuf[0] ? errbuf : curl_easy_strerror(res));
        rc = SDKCTL_EXIT_USAGE;
    } else {
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
    }
    r->len = out.len;
    sdk_buf_putc(&out, 0);
    r->body = sdk_buf_take(&out);
    if (!rc && r->len) r->json = json_loadb(r->body, r->len, 0, NULL);
    curl_slist_free_all(hdrs);
    free(auth);
    free(url);
    curl_easy_cleanup(e);
    return rc;
}

void sdkctl_resp_free(sdkctl_resp *r) {
    if (!r) return;
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

static const char *reason_phrase(long status) {
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 417: return "Expectation Failed";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "unexpected status";
    }
}

/* Body text without trailing whitespace; new string. */
static char *trimmed_new(const char *s, size_t len) {
    while (len && strchr(" \t\r\n", s[len - 1])) len--;
    return sdk_xstrndup(s, len);
}

int sdkctl_report_http_error(const sdkctl_resp *r, const char *method, const char *path, const char *fallback) {
    const json_t *m = json_is_object(r->json) ? json_object_get(r->json, "message") : NULL;
    char *text = json_is_string(m) && *json_string_value(m) ? sdk_xstrdup(json_string_value(m))
                 : r->json && json_is_object(r->json)  ? NULL
                                                       : trimmed_new(r->body ? r->body : "", r->len);
    if (text && !*text) {
        free(text);
        text = NULL;
    }
    fprintf(stderr, "sdkctl: %s (HTTP %ld from %s %s)\n", text ? text : fallback ? fallback : reason_phrase(r->status), r->status, method,
            path);
    const json_t *errs = json_is_object(r->json) ? json_object_get(r->json, "errors") : NULL;
    for (size_t i = 0; json_is_array(errs) && i < json_array_size(errs); i++) {
        const json_t *e = json_array_get(errs, i);
        if (json_is_string(e)) fprintf(stderr, "- %s\n", json_string_value(e));
    }
    if (r->status == 401) fprintf(stderr, "sdkctl: the scheduler wants a token: set --token or SDK_TOKEN\n");
    free(text);
    return SDKCTL_EXIT_SERVER;
}

int sdkctl_report_already(void) {
    fprintf(stderr, "sdkctl: Cannot execute command. Command has already been issued or the plan has completed\n");
    return SDKCTL_EXIT_SERVER;
}

void sdkctl_print_body(const sdkctl_resp *r) {
    char *t = trimmed_new(r->body ? r->body : "", r->len);
    printf("%s\n", t);
    free(t);
}
