/* The Cosmos-compatible service endpoints, served by the scheduler itself so the dcos-commons
 * service CLI's `describe`, `update start --options` and `update package-versions` work unchanged
 * against it (its cosmos URL pointed at the scheduler; upstream cli/client/cosmos.go posts to
 * <cosmos>/service/<name> and <dcos>/cosmos/service/<name>, cli/queries/package.go reads the
 * answers):
 *
 *   POST /cosmos/service/describe  {"appId"} (optional here: one service) ->  {"package": {name, version, config: <schema>},
 *        "upgradesTo": [], "downgradesTo": [], "resolvedOptions": {nested}, "userProvidedOptions":
 *        {nested}}
 *   POST /cosmos/service/update    {"appId", "options": {nested}, "replace": bool, "packageVersion"}
 *        -> {"marathonDeploymentId", "package", "resolvedOptions"}; the new options are merged over
 *        the user-provided ones (replace: true makes them the whole set of updated options, so an
 *        option an earlier update gave and this one does not goes back to what the command line or
 *        its default says) and go through the one validated update path (sdk_api.update, the same as
 *        POST /v1/update). Query ?dryRun=true: nothing is applied; the answer lists the option
 *        changes and the pods that would restart, launch or be decommissioned.
 * (also at /service/describe and /service/update, the paths under a configured cosmos_url)
 *
 * Media types as Cosmos defines them (upstream cosmos MediaTypes.scala, and the CLI's
 * createCosmosHTTPJSONRequest): request application/vnd.dcos.service.<name>-request+json;
 * charset=utf-8;version=v1, response ...-response+json..., errors
 * application/vnd.dcos.package.error+json;charset=utf-8;version=v1 with {"type", "message",
 * "data"}. A request may also come as plain application/json (curl); another vendor type is 415.
 * Both are JSON types, which the server's JSON-only rule for mutating requests accepts.
 *
 * Differences: one package version only (upgradesTo/downgradesTo are empty, another
 * packageVersion is a BadVersionUpdate); the Accept header is not negotiated (the answer is
 * always the v1 response type). */
#include "core/api/sdk_api.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/spec/envfile.h"
#include "core/util/str.h"
#include "core/util/uuid.h"

#define MT_PREFIX "application/vnd.dcos.service."
#define MT_SUFFIX "+json;charset=utf-8;version=v1"
#define MT_ERROR "application/vnd.dcos.package.error+json;charset=utf-8;version=v1"

static void respond_typed(sdk_http_req *req, int status, const char *ct, json_t *j) {
    char *body = sdk_json_pretty_new(j);
    json_decref(j);
    sdk_http_respond(req, sdk_http_response_take(status, ct, body, strlen(body)));
}

/* Cosmos' error shape; `data` taken (may be NULL). */
static void respond_error(sdk_http_req *req, int status, const char *type, const char *msg, json_t *data) {
    json_t *j = json_pack("{s:s, s:s}", "type", type, "message", msg);
    if (data) json_object_set_new(j, "data", data);
    respond_typed(req, status, MT_ERROR, j);
}

/* The request's media type must be JSON: application/json or this endpoint's Cosmos type. */
static bool media_type_ok(sdk_http_req *req, const char *endpoint) {
    const char *ct = sdk_http_req_header(req, "Content-Type");
    if (!ct) return true;
    size_t n = strcspn(ct, "; \t");
    if (n == 16 && !strncasecmp(ct, "application/json", 16)) return true;
    char *want = sdk_asprintf_new(MT_PREFIX "%s-request+json", endpoint);
    bool ok = n == strlen(want) && !strncasecmp(ct, want, n);
    if (!ok) {
        char *msg = sdk_asprintf_new("Unsupported media type %.100s: send %s;charset=utf-8;version=v1 or "
                                     "application/json", ct, want);
        respond_error(req, 415, "UnsupportedContentType", msg, NULL);
        free(msg);
    }
    free(want);
    return ok;
}

/* The JSON body with a matching appId, or NULL (answered). */
static json_t *read_request(sdk_http_req *req, sdk_api *api, const char *endpoint) {
    if (!api->cosmos || !api->update) {
        respond_error(req, 404, "NotImplemented",
                      "this scheduler has no package options: the Cosmos service endpoints need a plugin or "
                      "--options-schema",
                      NULL);
        return NULL;
    }
    if (!media_type_ok(req, endpoint)) return NULL;
    size_t len = 0;
    const char *body = sdk_http_req_body(req, &len);
    json_error_t je;
    json_t *j = body && len ? json_loadb(body, len, 0, &je) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        respond_error(req, 400, "JsonParsingError", "the body must be a JSON object with \"appId\"", NULL);
        return NULL;
    }
    /* Cosmos serves many services and needs the appId; this scheduler serves one, so a request
     * without it (sdkctl's) means this one. A wrong one is refused as Cosmos refuses it. */
    const char *app = json_string_value(json_object_get(j, "appId"));
    const char *name = sdk_api_service_name(api);
    const char *bare = app && *app == '/' ? app + 1 : app;
    if (json_object_get(j, "appId") && (!bare || strcmp(bare, name))) {
        char *msg = sdk_asprintf_new("Unable to locate service with marathon appId: '%s' (this scheduler runs "
                                     "'/%s')", app ? app : "(none)", name);
        respond_error(req, 400, "MarathonAppNotFound", msg, json_pack("{s:s}", "appId", app ? app : ""));
        free(msg);
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *package_new(sdk_api *api) {
    const sdk_api_cosmos *c = api->cosmos;
    return json_pack("{s:s, s:s, s:b, s:o}", "name", c->package_name ? c->package_name : sdk_api_service_name(api),
                     "version", c->package_version ? c->package_version : "", "framework", 1, "config",
                     sdk_options_schema_json_new(c->options));
}

static void h_describe(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    json_t *j = read_request(req, api, "describe");
    if (!j) return;
    json_decref(j);
    sdk_kv *user = NULL, *vars = NULL;
    size_t nu = 0, nv = 0;
    api->cosmos->current(api->update_ud, &user, &nu, &vars, &nv);
    json_t *out = json_pack("{s:o, s:[], s:[], s:o, s:o}", "package", package_new(api), "upgradesTo",
                            "downgradesTo", "resolvedOptions",
                            sdk_options_to_json_new(api->cosmos->options, vars, nv, true), "userProvidedOptions",
                            sdk_options_to_json_new(api->cosmos->options, user, nu, false));
    sdk_envfile_free(user, nu);
    sdk_envfile_free(vars, nv);
    respond_typed(req, 200, MT_PREFIX "describe-response" MT_SUFFIX, out);
}

static const char *value_of(const sdk_kv *kv, size_t n, const char *key) {
    const char *v = NULL;
    for (size_t i = 0; i < n; i++) /* later entries win */
        if (!strcmp(kv[i].key, key)) v = kv[i].value;
    return v;
}

/* Pods whose instances would restart, launch or go, from the target to the candidate. */
static void pod_changes(const sdk_spec *old, const sdk_spec *cand, json_t *restart, json_t *launch, json_t *gone) {
    for (size_t i = 0; cand && i < cand->n_pods; i++) {
        const sdk_pod_spec *np = &cand->pods[i];
        const sdk_pod_spec *op = old ? sdk_spec_pod(old, np->type) : NULL;
        int64_t oc = op ? op->count : 0;
        bool same = op && sdk_pod_equivalent(op, np);
        for (int64_t k = 0; k < np->count; k++) {
            char *name = sdk_asprintf_new("%s-%lld", np->type, (long long)k);
            if (k >= oc) json_array_append_new(launch, json_string(name));
            else if (!same) json_array_append_new(restart, json_string(name));
            free(name);
        }
        for (int64_t k = np->count; k < oc; k++) {
            char *name = sdk_asprintf_new("%s-%lld", np->type, (long long)k);
            json_array_append_new(gone, json_string(name));
            free(name);
        }
    }
    for (size_t i = 0; old && i < old->n_pods; i++)
        if (!cand || !sdk_spec_pod(cand, old->pods[i].type))
            for (int64_t k = 0; k < old->pods[i].count; k++) {
                char *name = sdk_asprintf_new("%s-%lld", old->pods[i].type, (long long)k);
                json_array_append_new(gone, json_string(name));
                free(name);
            }
}

/* The dry run: what the update would change, applying nothing. */
static void respond_dry_run(sdk_http_req *req, sdk_api *api, const sdk_kv *opts, size_t n, const sdk_kv *user,
                            size_t nu, const sdk_kv *vars, size_t nv) {
    const sdk_options *o = api->cosmos->options;
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_spec *cand = NULL;
    int rc = api->cosmos->preview(api->update_ud, opts, n, &cand, &e);
    const sdk_spec *target = sdk_service_target_spec(api->svc);
    if (!rc) {
        bool fatal = false;
        sdk_spec_validate_update(target, cand, false, &e, &fatal);
        if (api->plugin) sdk_plugin_validate_config(api->plugin, target, cand, &e);
    }
    json_t *diff = json_array();
    for (size_t i = 0; i < n; i++) {
        const sdk_option_def *d = sdk_options_find_variable(o, opts[i].key);
        const char *was = value_of(vars, nv, opts[i].key);
        if (was && !strcmp(was, opts[i].value)) continue;
        json_array_append_new(diff, json_pack("{s:s, s:s, s:s?, s:s}", "option", d ? d->path : opts[i].key,
                                              "variable", opts[i].key, "from", was, "to", opts[i].value));
    }
    json_t *restart = json_array(), *launch = json_array(), *gone = json_array();
    if (!rc) pod_changes(target, cand, restart, launch, gone);
    json_t *errs = json_array();
    for (size_t i = 0; i < e.n; i++) json_array_append_new(errs, json_string(e.msgs[i]));
    /* the user-provided options as they would be */
    sdk_kv *after = sdk_xcalloc(nu + n + 1, sizeof *after);
    if (nu) memcpy(after, user, nu * sizeof *after);
    if (n) memcpy(after + nu, opts, n * sizeof *after);
    json_t *out = json_pack("{s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o}", "dryRun", 1, "valid", e.n == 0, "optionsDiff",
                            diff, "podsToRestart", restart, "podsToLaunch", launch, "podsToDecommission", gone,
                            "userProvidedOptions", sdk_options_to_json_new(o, after, nu + n, false), "errors", errs);
    free(after);
    sdk_spec_free(cand);
    sdk_errors_free(&e);
    respond_typed(req, 200, MT_PREFIX "update-response" MT_SUFFIX, out);
}

static void h_update(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    json_t *j = read_request(req, api, "update");
    if (!j) return;
    const sdk_api_cosmos *c = api->cosmos;
    const char *version = json_string_value(json_object_get(j, "packageVersion"));
    if (version && strcmp(version, c->package_version ? c->package_version : "")) {
        char *msg = sdk_asprintf_new("Unable to update %s to version %s: this scheduler runs version %s only",
                                     sdk_api_service_name(api), version, c->package_version ? c->package_version : "");
        respond_error(req, 400, "BadVersionUpdate", msg,
                      json_pack("{s:s, s:[s]}", "updateVersion", version, "validVersions",
                                c->package_version ? c->package_version : ""));
        free(msg);
        json_decref(j);
        return;
    }
    json_t *options = json_object_get(j, "options");
    json_t *replace = json_object_get(j, "replace");
    if ((options && !json_is_object(options)) || (replace && !json_is_boolean(replace))) {
        respond_error(req, 400, "JsonSchemaMismatch",
                      options && !json_is_object(options) ? "options: expected a JSON object of options"
                                                          : "replace: expected true or false",
                      NULL);
        json_decref(j);
        return;
    }
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_kv *opts = NULL;
    size_t n = 0;
    if (options && sdk_options_flatten_json(c->options, options, &opts, &n, &e)) {
        json_t *errs = json_array();
        for (size_t i = 0; i < e.n; i++) json_array_append_new(errs, json_string(e.msgs[i]));
        char *msg = sdk_asprintf_new("Options JSON failed validation: %s", e.msgs[0]);
        respond_error(req, 400, "JsonSchemaMismatch", msg, json_pack("{s:o}", "errors", errs));
        free(msg);
        sdk_errors_free(&e);
        json_decref(j);
        return;
    }
    sdk_kv *user = NULL, *vars = NULL;
    size_t nu = 0, nv = 0;
    c->current(api->update_ud, &user, &nu, &vars, &nv);
    const char *dry = sdk_http_req_query(req, "dryRun");
    bool dry_run = dry && !strcmp(dry, "true");
    if (json_is_true(replace) && dry_run) {
        /* Cosmos' replace: the given options are the whole user-provided set; an option the user
         * provided before and not now goes back to its default. The preview merges over the
         * current options, so it is shown those defaults; the update itself replaces the set. */
        for (size_t i = 0; i < nu; i++) {
            const sdk_option_def *d = sdk_options_find_variable(c->options, user[i].key);
            if (!d || value_of(opts, n, d->variable)) continue;
            opts = sdk_xrealloc(opts, (n + 1) * sizeof *opts);
            opts[n].key = sdk_xstrdup(d->variable);
            opts[n++].value = sdk_xstrdup(d->default_value);
        }
    }
    if (dry_run) {
        respond_dry_run(req, api, opts, n, user, nu, vars, nv);
    } else {
        bool bad_input = false;
        int rc = api->update(api->update_ud, opts, n, json_is_true(replace), &bad_input, &e);
        if (rc) {
            json_t *errs = json_array();
            for (size_t i = 0; i < e.n; i++) json_array_append_new(errs, json_string(e.msgs[i]));
            char *msg = sdk_asprintf_new("%s: %s", bad_input ? "the options do not give a valid service spec"
                                                             : "configuration update refused; the previous "
                                                               "configuration keeps running",
                                         e.n ? e.msgs[0] : "no detail");
            respond_error(req, bad_input ? 400 : 409, bad_input ? "JsonSchemaMismatch" : "ServiceUpdateRefused", msg,
                          json_pack("{s:o}", "errors", errs));
            free(msg);
        } else {
            sdk_envfile_free(vars, nv);
            sdk_envfile_free(user, nu);
            c->current(api->update_ud, &user, &nu, &vars, &nv);
            /* no Marathon here: the id names this configuration change (the new target) */
            const char *target = sdk_service_target_id(api->svc);
            json_t *out = json_pack("{s:s, s:o, s:o}", "marathonDeploymentId", target ? target : "", "package",
                                    package_new(api), "resolvedOptions",
                                    sdk_options_to_json_new(c->options, vars, nv, true));
            respond_typed(req, 200, MT_PREFIX "update-response" MT_SUFFIX, out);
        }
    }
    sdk_envfile_free(user, nu);
    sdk_envfile_free(vars, nv);
    sdk_envfile_free(opts, n);
    sdk_errors_free(&e);
    json_decref(j);
}

const sdk_api_route sdk_api_cosmos_routes[] = {
    {"POST", "/cosmos/service/describe", h_describe, 0},
    {"POST", "/cosmos/service/update", h_update, 0},
    {"POST", "/service/describe", h_describe, 0},
    {"POST", "/service/update", h_update, 0},
};
const size_t sdk_api_n_cosmos_routes = sizeof sdk_api_cosmos_routes / sizeof sdk_api_cosmos_routes[0];
