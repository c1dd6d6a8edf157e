/* The Cosmos-compatible endpoints end to end, as the upstream dcos-commons service CLI drives
 * them (cli/client/cosmos.go: POST with Cosmos' vendor media types; cli/queries/package.go:
 * describe reads resolvedOptions, update sends {"appId", "options": {nested}, "replace"}): the
 * hello plugin on the local cluster, started with -o world.count=1; describe -> refused updates
 * (a type error, an unknown option) change nothing -> a dry run lists the pod that would launch
 * and applies nothing -> update with nested options -> the deploy plan completes with world-1
 * running and describe shows the new options. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/str.h"
#include "tests/unit/check.h"
#include "tests/unit/e2e_support.h"

#define MT "application/vnd.dcos.service."
#define MT_V1 "+json;charset=utf-8;version=v1"

static size_t collect(char *p, size_t sz, size_t n, void *ud) {
    sdk_buf_append(ud, p, sz * n);
    return sz * n;
}

/* POST <api>/cosmos/service/<what>[?query] with the headers the upstream CLI sends. Returns the
 * status; *body (free) and *ctype (free) get the answer. */
static long cosmos_post(e2e_world *w, const char *what, const char *query, const char *body, char **resp,
                        char **ctype) {
    CURL *c = curl_easy_init();
    char *url = sdk_asprintf_new("%s/cosmos/service/%s%s%s", w->api_url, what, query ? "?" : "", query ? query : "");
    char *accept = sdk_asprintf_new("Accept: " MT "%s-response" MT_V1, what);
    char *ct = sdk_asprintf_new("Content-Type: " MT "%s-request" MT_V1, what);
    struct curl_slist *h = curl_slist_append(NULL, accept);
    h = curl_slist_append(h, ct);
    sdk_buf b;
    sdk_buf_init(&b);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        char *t = NULL;
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &t);
        if (ctype) *ctype = sdk_xstrdup(t ? t : "");
    } else if (ctype) {
        *ctype = sdk_xstrdup("");
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(url);
    free(accept);
    free(ct);
    *resp = sdk_buf_take(&b);
    return code;
}

static json_t *describe(e2e_world *w) {
    char *body = NULL, *ct = NULL;
    long code = cosmos_post(w, "describe", NULL, "{\"appId\": \"/hello-world\"}", &body, &ct);
    CHECK_INT(code, 200);
    CHECK_STR(ct, MT "describe-response" MT_V1);
    json_t *j = json_loads(body ? body : "", 0, NULL);
    if (!j) fprintf(stderr, "describe answered: %s\n", body ? body : "(nothing)");
    free(body);
    free(ct);
    return j;
}

static json_int_t int_at(json_t *j, const char *a, const char *b, const char *c) {
    json_t *v = json_object_get(json_object_get(json_object_get(j, a), b), c);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

static void test_describe_update_status(void) {
    e2e_world w;
    e2e_world_init(&w);
    const char *extra[] = {"-o", "world.count=1", "-o", "service.sleep=1000", NULL};
    e2e_start_scheduler(&w, "plugins/hello/hello.so", NULL, extra);
    CHECK(e2e_wait_plan_complete(&w, "deploy", 90));

    json_t *d = describe(&w);
    CHECK_INT(int_at(d, "resolvedOptions", "world", "count"), 1);
    CHECK_INT(int_at(d, "resolvedOptions", "hello", "count"), 1);  /* the default */
    CHECK_INT(int_at(d, "userProvidedOptions", "world", "count"), 1);
    CHECK(json_object_get(json_object_get(d, "userProvidedOptions"), "hello") == NULL);
    CHECK_STR(json_string_value(json_object_get(json_object_get(d, "package"), "name")), "hello-world");
    CHECK(json_is_array(json_object_get(d, "upgradesTo")));
    /* the package's config.json: world.count is an integer with its description */
    json_t *cfg = json_object_get(json_object_get(d, "package"), "config");
    json_t *wc = json_object_get(json_object_get(json_object_get(json_object_get(cfg, "properties"), "world"),
                                                 "properties"), "count");
    CHECK_STR(json_string_value(json_object_get(wc, "type")), "integer");
    json_decref(d);

    /* a refused update names the option and changes nothing */
    char *body = NULL, *ct = NULL;
    CHECK_INT(cosmos_post(&w, "update", NULL, "{\"appId\": \"hello-world\", \"options\": {\"world\": {\"count\": \"abc\"}}}",
                          &body, &ct), 400);
    CHECK_CONTAINS(body, "JsonSchemaMismatch");
    CHECK_CONTAINS(body, "world.count: expected an integer >= 0, found \\\"abc\\\"");
    CHECK_STR(ct, "application/vnd.dcos.package.error+json;charset=utf-8;version=v1");
    free(body);
    free(ct);
    CHECK_INT(cosmos_post(&w, "update", NULL, "{\"appId\": \"hello-world\", \"options\": {\"world\": {\"cuont\": 2}}}",
                          &body, &ct), 400);
    CHECK_CONTAINS(body, "world.cuont: not an option of this service");
    free(body);
    free(ct);
    CHECK_INT(cosmos_post(&w, "update", NULL, "{\"appId\": \"other\", \"options\": {}}", &body, &ct), 400);
    CHECK_CONTAINS(body, "MarathonAppNotFound");
    free(body);
    free(ct);

    /* a dry run shows the change and the pod that would launch, and applies nothing */
    CHECK_INT(cosmos_post(&w, "update", "dryRun=true",
                          "{\"appId\": \"hello-world\", \"options\": {\"world\": {\"count\": 2}}}", &body, &ct), 200);
    json_t *dr = json_loads(body, 0, NULL);
    CHECK(json_is_true(json_object_get(dr, "valid")));
    CHECK_STR(json_string_value(json_array_get(json_object_get(dr, "podsToLaunch"), 0)), "world-1");
    CHECK_INT(json_array_size(json_object_get(dr, "podsToRestart")), 0);
    json_t *change = json_array_get(json_object_get(dr, "optionsDiff"), 0);
    CHECK_STR(json_string_value(json_object_get(change, "option")), "world.count");
    CHECK_STR(json_string_value(json_object_get(change, "from")), "1");
    CHECK_STR(json_string_value(json_object_get(change, "to")), "2");
    json_decref(dr);
    free(body);
    free(ct);
    d = describe(&w);
    CHECK_INT(int_at(d, "resolvedOptions", "world", "count"), 1);
    json_decref(d);

    /* sdkctl: describe, and a dry run of a nested options file (nothing applied) */
    char *cmd = sdk_asprintf_new("%s/sdkctl --url %s describe 2>&1", e2e_bin_dir(), w.api_url);
    char *out = e2e_sh(cmd);
    CHECK_CONTAINS(out, "Resolved options:");
    CHECK_CONTAINS(out, "User-provided options:");
    CHECK_CONTAINS(out, "\"count\": 1");
    free(out);
    free(cmd);
    cmd = sdk_asprintf_new("printf '{\"world\": {\"count\": 2}}' > %s/opts.json && %s/sdkctl --url %s update start "
                           "--options %s/opts.json --dry-run 2>&1", w.dir, e2e_bin_dir(), w.api_url, w.dir);
    out = e2e_sh(cmd);
    CHECK_CONTAINS(out, "Dry run: nothing was applied.");
    CHECK_CONTAINS(out, "world.count: \"1\" -> \"2\"");
    CHECK_CONTAINS(out, "Pods that would launch: world-1");
    CHECK_CONTAINS(out, "Pods that would restart: none");
    free(out);
    free(cmd);

    /* the update itself, nested options merged over the user-provided ones */
    CHECK_INT(cosmos_post(&w, "update", NULL, "{\"appId\": \"hello-world\", \"options\": {\"world\": {\"count\": 2}}, "
                                              "\"replace\": false}", &body, &ct), 200);
    CHECK_STR(ct, MT "update-response" MT_V1);
    json_t *u = json_loads(body, 0, NULL);
    CHECK_INT(int_at(u, "resolvedOptions", "world", "count"), 2);
    CHECK(json_string_length(json_object_get(u, "marathonDeploymentId")) > 0);
    json_decref(u);
    free(body);
    free(ct);

    /* update status: the deploy plan rolls out world-1 */
    CHECK(e2e_wait_plan_complete(&w, "deploy", 90));
    char *id = e2e_task_id(&w, "world-1", "world-1-server");
    CHECK(id != NULL);
    free(id);
    char *st = e2e_step_status(&w, "deploy", "world-1:[server]");
    CHECK_STR(st, "COMPLETE");
    free(st);
    d = describe(&w);
    CHECK_INT(int_at(d, "userProvidedOptions", "world", "count"), 2);
    CHECK_INT(int_at(d, "userProvidedOptions", "service", "sleep"), 1000);
    json_decref(d);
    e2e_cleanup(&w);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    RUN(test_describe_update_status);
    curl_global_cleanup();
    return check_summary("test_e2e_cosmos");
}
