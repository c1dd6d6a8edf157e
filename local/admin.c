/* Fault injection and inspection for tests: /localcluster/... (documented in
 * docs/localcluster.md). Not part of any Mesos API. */
#include <jansson.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/log.h"
#include "core/util/str.h"
#include "local/lc.h"
#include "mesos/pbjson.h"
#include "mesos/resources_pb.h"

#define MOD "localcluster"

static void respond_json(lc_req *req, int status, json_t *j) {
    char *s = json_dumps(j, JSON_INDENT(2));
    lc_req_respond(req, status, "application/json", s, strlen(s), NULL, NULL);
    free(s);
    json_decref(j);
}

static json_t *resources_json(const sdk_resources *rs) {
    json_t *arr = json_array();
    for (size_t i = 0; i < rs->n; i++) {
        Mesos__V1__Resource *pb = NULL;
        if (sdk_resource_to_pb_new(&rs->v[i], SDK_RES_FORMAT_REFINED, &pb, NULL) != 0) continue;
        json_array_append_new(arr, sdk_pbjson_from_message_new(&pb->base));
        sdk_pb_resource_free(pb);
    }
    return arr;
}

static const char *state_name(int s) {
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&mesos__v1__task_state__descriptor, s);
    return v ? v->name : "?";
}

static json_t *state_json(lc_cluster *c) {
    json_t *root = json_object();
    json_object_set_new(root, "master_id", json_string(c->master_id));
    json_object_set_new(root, "port", json_integer(c->port));
    json_object_set_new(root, "workdir", json_string(c->opt.workdir));
    json_object_set_new(root, "simulate_tasks", json_boolean(c->opt.simulate));
    json_t *agents = json_array();
    for (size_t i = 0; i < c->n_agents; i++) {
        lc_agent *a = c->agents[i];
        json_t *ja = json_object();
        json_object_set_new(ja, "index", json_integer(a->idx));
        json_object_set_new(ja, "id", json_string(a->id));
        json_object_set_new(ja, "hostname", json_string(a->hostname));
        json_object_set_new(ja, "stopped", json_boolean(a->stopped));
        json_object_set_new(ja, "gone", json_boolean(a->gone));
        json_object_set_new(ja, "draining", json_boolean(a->draining));
        json_t *attrs = json_object();
        for (size_t k = 0; k < a->n_attrs; k++) json_object_set_new(attrs, a->attrs[k].name, json_string(a->attrs[k].text));
        json_object_set_new(ja, "attributes", attrs);
        json_object_set_new(ja, "total", resources_json(&a->total));
        json_object_set_new(ja, "used", resources_json(&a->used));
        sdk_resources resv;
        sdk_resources_init(&resv);
        json_t *vols = json_array();
        for (size_t k = 0; k < a->total.n; k++) {
            const sdk_resource *r = &a->total.v[k];
            if (r->persistence_id) {
                json_t *v = json_object();
                char *path = lc_volume_path_new(c, r);
                json_object_set_new(v, "persistence_id", json_string(r->persistence_id));
                json_object_set_new(v, "role", json_string(sdk_resource_role(r)));
                json_object_set_new(v, "container_path", json_string(r->volume_container_path ? r->volume_container_path : ""));
                json_object_set_new(v, "path", json_string(path));
                json_object_set_new(v, "in_use", json_boolean(sdk_resources_contains(&a->used, r)));
                json_array_append_new(vols, v);
                free(path);
            } else if (sdk_resource_is_dynamically_reserved(r)) sdk_resources_add(&resv, r);
        }
        json_object_set_new(ja, "reservations", resources_json(&resv));
        sdk_resources_free(&resv);
        json_object_set_new(ja, "volumes", vols);
        json_array_append_new(agents, ja);
    }
    json_object_set_new(root, "agents", agents);
    json_t *fws = json_array();
    for (lc_framework *f = c->frameworks; f; f = f->next) {
        json_t *jf = json_object();
        json_object_set_new(jf, "id", json_string(f->id));
        json_object_set_new(jf, "name", json_string(f->info && f->info->name ? f->info->name : ""));
        json_object_set_new(jf, "connected", json_boolean(f->stream != NULL));
        json_t *roles = json_array(), *supp = json_array();
        for (size_t i = 0; i < f->n_roles; i++) json_array_append_new(roles, json_string(f->roles[i]));
        for (size_t i = 0; i < f->n_suppressed; i++) json_array_append_new(supp, json_string(f->suppressed[i]));
        json_object_set_new(jf, "roles", roles);
        json_object_set_new(jf, "suppressed_roles", supp);
        json_array_append_new(fws, jf);
    }
    json_object_set_new(root, "frameworks", fws);
    json_t *offers = json_array();
    for (lc_offer *o = c->offers; o; o = o->next) {
        json_t *jo = json_object();
        json_object_set_new(jo, "id", json_string(o->id));
        json_object_set_new(jo, "framework_id", json_string(o->fw->id));
        json_object_set_new(jo, "agent_id", json_string(o->agent->id));
        json_object_set_new(jo, "role", json_string(o->role));
        json_array_append_new(offers, jo);
    }
    json_object_set_new(root, "offers", offers);
    json_t *tasks = json_array();
    for (lc_task *t = c->tasks; t; t = t->next) {
        json_t *jt = json_object();
        json_object_set_new(jt, "id", json_string(t->id));
        json_object_set_new(jt, "framework_id", json_string(t->fw_id));
        json_object_set_new(jt, "agent_id", json_string(t->agent->id));
        json_object_set_new(jt, "executor_id", json_string(t->ex->id));
        json_object_set_new(jt, "state", json_string(state_name(t->state)));
        if (t->forwarded_state >= 0) json_object_set_new(jt, "status_update_state", json_string(state_name(t->forwarded_state)));
        json_object_set_new(jt, "sandbox", json_string(t->sandbox));
        json_object_set_new(jt, "executor_sandbox", json_string(t->ex->sandbox));
        /* pid: the command's process (0 until it runs); pgid: its supervisor, the task's group */
        json_object_set_new(jt, "pid", json_integer(t->cmd_pid));
        json_object_set_new(jt, "pgid", json_integer(t->pid));
        if (t->info->n_limits) {
            /* TaskInfo.limits as given (reported, not enforced); an unlimited value (+Infinity,
             * which JSON cannot hold) is the string "infinity". */
            json_t *lim = json_object();
            for (size_t i = 0; i < t->info->n_limits; i++) {
                const Mesos__V1__TaskInfo__LimitsEntry *le = t->info->limits[i];
                if (!le->key) continue;
                double v = le->value ? le->value->value : 0;
                json_object_set_new(lim, le->key, isinf(v) && v > 0 ? json_string("infinity") : json_real(v));
            }
            json_object_set_new(jt, "limits", lim);
        }
        size_t pending = 0;
        for (lc_update *u = t->updates; u; u = u->next) pending++;
        json_object_set_new(jt, "unacknowledged_updates", json_integer((json_int_t)pending));
        json_array_append_new(tasks, jt);
    }
    json_object_set_new(root, "tasks", tasks);
    return root;
}

static lc_agent *find_agent(lc_cluster *c, const char *key) {
    for (size_t i = 0; i < c->n_agents; i++)
        if (!strcmp(c->agents[i]->id, key)) return c->agents[i];
    char *end;
    long idx = strtol(key, &end, 10);
    if (*key && !*end && idx >= 0 && (size_t)idx < c->n_agents) return c->agents[idx];
    return NULL;
}

static void agent_failure_all(lc_cluster *c, lc_agent *a) {
    for (lc_framework *f = c->frameworks; f; f = f->next) lc_send_failure(c, f->id, a->id, NULL, 0);
}

static void agent_action(lc_cluster *c, lc_req *req, lc_agent *a, const char *action) {
    if (!strcmp(action, "stop")) {
        if (!a->stopped) {
            a->stopped = true;
            lc_rescind_offers(c, a, NULL, true);
            lc_agent_tasks_lost(a, true, MESOS__V1__TASK_STATUS__REASON__REASON_EXECUTOR_TERMINATED);
        }
    } else if (!strcmp(action, "start")) {
        if (a->gone) {
            char *old = a->id;
            a->id = sdk_asprintf_new("%s-S%u", c->master_id, c->next_agent++);
            SDK_INFO(MOD, "agent %s was gone: it comes back as %s with its reservations and volumes", old, a->id);
            free(old);
            a->gone = false;
            lc_state_save(c);
        }
        a->stopped = a->draining = a->drain_mark_gone = false;
        lc_allocate_agent_soon(c, a);
    } else if (!strcmp(action, "gone")) {
        if (!a->gone) {
            a->gone = true;
            lc_rescind_offers(c, a, NULL, true);
            lc_agent_tasks_lost(a, false, MESOS__V1__TASK_STATUS__REASON__REASON_AGENT_REMOVED_BY_OPERATOR);
            agent_failure_all(c, a);
            lc_state_save(c);
        }
    } else if (!strcmp(action, "drain")) {
        const char *mg = lc_req_query(req, "mark_gone");
        const char *grace = lc_req_query(req, "max_grace_period_seconds");
        a->draining = true;
        a->drain_mark_gone = mg && (!strcmp(mg, "true") || !strcmp(mg, "1"));
        lc_rescind_offers(c, a, NULL, true);
        lc_agent_kill_all(a, grace ? (int64_t)(atof(grace) * 1000) : -1, MESOS__V1__TASK_STATUS__REASON__REASON_AGENT_DRAINING);
        if (a->drain_mark_gone) {
            a->gone = true;
            lc_state_save(c);
        }
    } else {
        char *m = sdk_asprintf_new("unknown agent action '%s': use stop, start, gone or drain", action);
        lc_req_text(req, 404, m);
        free(m);
        return;
    }
    json_t *j = json_object();
    json_object_set_new(j, "agent_id", json_string(a->id));
    json_object_set_new(j, "stopped", json_boolean(a->stopped));
    json_object_set_new(j, "gone", json_boolean(a->gone));
    json_object_set_new(j, "draining", json_boolean(a->draining));
    respond_json(req, 200, j);
}

static int parse_signal(const char *s) {
    if (!s || !*s || !strcmp(s, "KILL") || !strcmp(s, "SIGKILL")) return SIGKILL;
    if (!strcmp(s, "TERM") || !strcmp(s, "SIGTERM")) return SIGTERM;
    char *end;
    long v = strtol(s, &end, 10);
    return (!*end && v > 0 && v < 65) ? (int)v : -1;
}

void lc_admin_handle(lc_cluster *c, lc_req *req) {
    const char *path = lc_req_path(req) + strlen("/localcluster/");
    const char *method = lc_req_method(req);
    if (!strcmp(path, "state")) {
        if (strcmp(method, "GET") != 0) {
            lc_req_respond(req, 405, "text/plain; charset=utf-8", "", 0, "Allow", "GET");
            return;
        }
        respond_json(req, 200, state_json(c));
        return;
    }
    char *copy = sdk_xstrdup(path);
    char *kind = copy, *key = strchr(copy, '/'), *action = NULL;
    if (key) {
        *key++ = 0;
        action = strchr(key, '/');
        if (action) *action++ = 0;
    }
    if (!key || !action || !*key || !*action) {
        lc_req_text(req, 404, "unknown path: see docs/localcluster.md for /localcluster/ endpoints");
        goto out;
    }
    if (strcmp(method, "POST") != 0) {
        lc_req_respond(req, 405, "text/plain; charset=utf-8", "", 0, "Allow", "POST");
        goto out;
    }
    if (!strcmp(kind, "agents")) {
        lc_agent *a = find_agent(c, key);
        if (!a) {
            char *m = sdk_asprintf_new("no agent '%s' (give an agent id or an index from 0 to %zu)", key, c->n_agents - 1);
            lc_req_text(req, 404, m);
            free(m);
            goto out;
        }
        agent_action(c, req, a, action);
    } else if (!strcmp(kind, "tasks") && !strcmp(action, "signal")) {
        const char *fw = lc_req_query(req, "framework_id");
        lc_task *t = NULL;
        for (lc_task *x = c->tasks; x && !t; x = x->next)
            if (!strcmp(x->id, key) && (!fw || !strcmp(x->fw_id, fw))) t = x;
        int sig = parse_signal(lc_req_query(req, "signal"));
        if (!t) lc_req_text(req, 404, "no such task");
        else if (sig < 0) lc_req_text(req, 400, "bad signal: use KILL, TERM or a number");
        else if (lc_task_signal(t, sig) != 0) lc_req_text(req, 409, "the task has no running process (simulated or finished)");
        else lc_req_text(req, 200, "signalled");
    } else lc_req_text(req, 404, "unknown path: see docs/localcluster.md for /localcluster/ endpoints");
out:
    free(copy);
}
