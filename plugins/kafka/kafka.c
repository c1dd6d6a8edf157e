/* kafka: the Apache Kafka service plugin (sdk-behaviour.md §10.3).
 *   - default svc.yml (kafka_spec.c): pod `kafka` (BROKER_COUNT), task `broker` (broker id = pod
 *     index, listener on the reserved port KAFKA_BROKER_PORT, persistent log volume), readiness
 *     from the broker's "started" log line, a `leader-election` maintenance plan (parameters TOPIC,
 *     PARTITIONS);
 *   - mutate_spec: KAFKA_ZOOKEEPER_URI (the chroot under the service's ZooKeeper node) into the env
 *     of every task; endpoint `zookeeper` serves it;
 *   - validate_config: at least one broker, default replication not above the broker count;
 *   - routes /v1/brokers and /v1/topics: run ZooKeeper's and Kafka's command line tools (from
 *     KAFKA_TOOLS_HOME/bin) through the host's asynchronous command runner and answer in JSON;
 *   - pre_decommission: refuses while the broker leads a partition or holds an under-replicated
 *     one (asks `kafka-topics.sh --describe`, PENDING while it runs).
 * All state lives in the struct returned by init (two instances can coexist). */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "../common/text_buf.h"

#define KAFKA_MAX_IDS 256

typedef struct decom_check decom_check;
typedef struct job job;

typedef struct kafka_state {
    const sdk_host_api *api;
    sdk_plugin_host *host;
    char *zk_uri;       /* KAFKA_ZOOKEEPER_URI: connect string + chroot */
    job *jobs;          /* commands in flight (freed by fini when cancelled) */
    decom_check *checks;
} kafka_state;

/* Sends b as the JSON body with status; frees b. */
static void send_json(kafka_state *s, sdk_plugin_response *resp, int status, text_buf *b) {
    if (b->oom) {
        status = 500;
        b->len = 0;
    }
    s->api->response_set_status(resp, status);
    s->api->response_set_content_type(resp, "application/json");
    s->api->response_set_body(resp, b->s ? b->s : "", b->len);
    free(b->s);
    memset(b, 0, sizeof *b);
}

/* {"message": text} with status. */
static void send_message(kafka_state *s, sdk_plugin_response *resp, int status, const char *text) {
    text_buf b = {0};
    tb_puts(&b, "{\"message\": ");
    tb_json_str(&b, text);
    tb_puts(&b, "}");
    send_json(s, resp, status, &b);
}

/* ---- options and names --------------------------------------------------------------------- */

static const char *opt(const kafka_state *s, const char *name, const char *dflt) {
    const char *v = s->api->option(s->host, name);
    return v && *v ? v : dflt;
}

/* Parses a whole decimal integer in [lo, hi]. */
static bool parse_int(const char *t, long lo, long hi, long *out) {
    if (!t || !*t) return false;
    char *end = NULL;
    errno = 0;
    long v = strtol(t, &end, 10);
    if (errno || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* "/dcos-service-<name>" with '/' in the name written "__" and a leading '/' dropped (the SDK's
 * escaping of service names in ZooKeeper). Returns malloc'd text or NULL. */
static char *chroot_for_new(const char *service) {
    while (*service == '/') service++;
    size_t n = strlen(service);
    char *out = malloc(strlen("/dcos-service-") + 2 * n + 1);
    if (!out) return NULL;
    char *p = out + sprintf(out, "/dcos-service-");
    for (const char *c = service; *c; c++) {
        if (*c == '/') {
            *p++ = '_';
            *p++ = '_';
        } else {
            *p++ = *c;
        }
    }
    *p = 0;
    return out;
}

/* Recomputes s->zk_uri from KAFKA_ZOOKEEPER_URI (verbatim when set) or KAFKA_ZOOKEEPER + chroot. */
static int compute_zk_uri(kafka_state *s, const char *service) {
    const char *explicit_uri = opt(s, "KAFKA_ZOOKEEPER_URI", NULL);
    char *uri = NULL;
    if (explicit_uri) {
        uri = strdup(explicit_uri);
    } else {
        char *chroot = chroot_for_new(service);
        const char *zk = opt(s, "KAFKA_ZOOKEEPER", "master.mesos:2181");
        if (chroot && (uri = malloc(strlen(zk) + strlen(chroot) + 1)))
            sprintf(uri, "%s%s", zk, chroot);
        free(chroot);
    }
    if (!uri) return SDK_PLUGIN_ENOMEM;
    free(s->zk_uri);
    s->zk_uri = uri;
    return SDK_PLUGIN_OK;
}

/* A topic name Kafka accepts: [A-Za-z0-9._-]{1,249}, not "." or "..". */
static bool valid_topic(const char *t) {
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > 249 || !strcmp(t, ".") || !strcmp(t, "..")) return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)t[i]) && t[i] != '.' && t[i] != '_' && t[i] != '-') return false;
    return true;
}

/* ---- asynchronous jobs: one or more tool runs answering one request or one check ----------- */

typedef enum job_kind {
    JOB_BROKERS,        /* zookeeper-shell ls /brokers/ids */
    JOB_BROKER,         /* zookeeper-shell get /brokers/ids/<id> */
    JOB_TOPIC_LIST,     /* kafka-topics --list */
    JOB_TOPIC_DESCRIBE, /* kafka-topics --describe --topic t */
    JOB_TOPIC_MESSAGE,  /* any kafka-topics run answered as {"message": "Output: ..."} */
    JOB_TOPIC_DELETE,   /* like MESSAGE, 202 when deletion is disabled */
    JOB_OFFSETS,        /* ls ids -> get first id -> GetOffsetShell */
    JOB_PRODUCER_TEST,  /* ls ids -> get first id -> kafka-producer-perf-test */
    JOB_DECOMMISSION,   /* kafka-topics --describe for the pre-decommission check */
} job_kind;

struct job {
    job *next;
    kafka_state *s;
    job_kind kind;
    int stage;
    sdk_plugin_response *resp; /* NULL for decommission checks */
    char topic[256];
    char arg[64];              /* broker id, offsets time, message count */
    uint32_t index;            /* decommission: broker id */
};

typedef enum check_phase { CHECK_RUNNING, CHECK_DONE } check_phase;

struct decom_check {
    decom_check *next;
    uint32_t index;
    check_phase phase;
    sdk_plugin_decision decision;
    char reason[512];
};

static void job_done(void *state, uint64_t id, void *arg, const sdk_plugin_command_result *r);

static void job_unlink_free(kafka_state *s, job *j) {
    for (job **p = &s->jobs; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            break;
        }
    free(j);
}

static job *job_new(kafka_state *s, job_kind kind, sdk_plugin_response *resp) {
    job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->s = s;
    j->kind = kind;
    j->resp = resp;
    j->next = s->jobs;
    s->jobs = j;
    return j;
}

/* Runs <KAFKA_TOOLS_HOME>/bin/<tool> args... for job j. Returns the run_command code. */
static int job_run(kafka_state *s, job *j, const char *tool, const char *const *args) {
    const char *home = opt(s, "KAFKA_TOOLS_HOME", "kafka_2.12-2.4.1");
    char path[1024];
    snprintf(path, sizeof path, "%s/bin/%s", home, tool);
    const char *argv[24];
    size_t n = 0;
    argv[n++] = path;
    for (size_t i = 0; args[i] && n < 23; i++) argv[n++] = args[i];
    argv[n] = NULL;
    long timeout_s = 60;
    parse_int(opt(s, "KAFKA_TOOLS_TIMEOUT", "60"), 1, 3600, &timeout_s);
    sdk_plugin_command cmd = {.size = sizeof cmd, .timeout_ms = (uint32_t)(timeout_s * 1000),
                              .argv = argv};
    int rc = s->api->run_command(s->host, &cmd, job_done, j, NULL);
    if (rc != SDK_PLUGIN_OK)
        s->api->log(s->host, SDK_PLUGIN_LOG_WARN, "cannot run %s (code %d)", path, rc);
    return rc;
}

/* Starts a job answering resp: suspends resp on success; on failure frees the job and answers 500
 * at once. Always returns 0 (the handler's return value). */
static int job_start(kafka_state *s, job *j, const char *tool, const char *const *args) {
    if (job_run(s, j, tool, args) != SDK_PLUGIN_OK) {
        sdk_plugin_response *resp = j->resp;
        job_unlink_free(s, j);
        char msg[300];
        snprintf(msg, sizeof msg, "cannot run %s: see the scheduler log", tool);
        send_message(s, resp, 500, msg);
        return 0;
    }
    return s->api->response_suspend(j->resp);
}

/* Finishes j's response with {"message": "Output: <out>[ Error: <err>]"}. */
static void finish_message(kafka_state *s, job *j, int status, const sdk_plugin_command_result *r) {
    text_buf b = {0};
    size_t out_len = r->out_len, err_len = r->err_len;
    while (out_len && (r->out[out_len - 1] == '\n' || r->out[out_len - 1] == ' ')) out_len--;
    while (err_len && (r->err[err_len - 1] == '\n' || r->err[err_len - 1] == ' ')) err_len--;
    text_buf text = {0};
    tb_puts(&text, "Output: ");
    tb_put(&text, r->out, out_len);
    if (err_len) {
        tb_puts(&text, " Error: ");
        tb_put(&text, r->err, err_len);
    }
    if (r->timed_out) tb_puts(&text, " (timed out)");
    tb_puts(&b, "{\"message\": ");
    tb_json_strn(&b, text.s ? text.s : "", text.len);
    tb_puts(&b, "}");
    free(text.s);
    send_json(s, j->resp, status, &b);
    s->api->response_finish(j->resp);
}

/* Answers j's response with a plain message and finishes it. */
static void finish_text(kafka_state *s, job *j, int status, const char *text) {
    send_message(s, j->resp, status, text);
    s->api->response_finish(j->resp);
}

static bool contains(const sdk_plugin_command_result *r, const char *needle) {
    return (r->out && strstr(r->out, needle)) || (r->err && strstr(r->err, needle));
}

/* ---- parsing tool output ------------------------------------------------------------------- */

/* The last line of zookeeper-shell's `ls` output that is a bracketed list "[0, 1, 2]": fills ids
 * (up to max) and *n. Returns false when there is no such line. */
static bool parse_id_list(const char *out, long *ids, size_t max, size_t *n) {
    const char *best = NULL, *best_end = NULL;
    for (const char *line = out; line && *line;) {
        const char *end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        const char *e = end;
        while (e > line && (e[-1] == '\r' || e[-1] == ' ')) e--;
        if (e > line && *line == '[' && e[-1] == ']') {
            best = line;
            best_end = e;
        }
        line = *end ? end + 1 : end;
    }
    if (!best) return false;
    *n = 0;
    const char *p = best + 1;
    while (p < best_end - 1) {
        while (p < best_end && (*p == ' ' || *p == ',')) p++;
        if (p >= best_end - 1) break;
        char *q = NULL;
        long v = strtol(p, &q, 10);
        if (q == p) return false;
        if (*n < max) ids[(*n)++] = v;
        p = q;
    }
    return true;
}

/* The first line of zookeeper-shell's `get` output that is a JSON object; *len its length. */
static const char *find_json_line(const char *out, size_t *len) {
    for (const char *line = out; line && *line;) {
        const char *end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        const char *e = end;
        while (e > line && (e[-1] == '\r' || e[-1] == ' ')) e--;
        if (e > line && *line == '{' && e[-1] == '}') {
            *len = (size_t)(e - line);
            return line;
        }
        line = *end ? end + 1 : end;
    }
    return NULL;
}

/* "host:port" of a broker registration: its first PLAINTEXT endpoint, else "host" and "port". */
static bool broker_address(const char *json, size_t len, char *out, size_t out_sz) {
    char buf[4096];
    if (len >= sizeof buf) len = sizeof buf - 1;
    memcpy(buf, json, len);
    buf[len] = 0;
    const char *ep = strstr(buf, "PLAINTEXT://");
    if (ep) {
        ep += strlen("PLAINTEXT://");
        size_t n = strcspn(ep, "\",] ");
        if (n && n < out_sz) {
            memcpy(out, ep, n);
            out[n] = 0;
            return true;
        }
    }
    const char *h = strstr(buf, "\"host\":\""), *p = strstr(buf, "\"port\":");
    if (!h || !p) return false;
    h += strlen("\"host\":\"");
    size_t hn = strcspn(h, "\"");
    long port = strtol(p + strlen("\"port\":"), NULL, 10);
    if (!hn || port <= 0) return false;
    snprintf(out, out_sz, "%.*s:%ld", (int)hn, h, port);
    return true;
}

/* Value after "<key>:" (optional spaces) in a kafka-topics --describe line, up to whitespace. */
static bool field(const char *line, const char *key, char *out, size_t out_sz) {
    const char *p = line;
    size_t kl = strlen(key);
    while ((p = strstr(p, key))) {
        if ((p == line || p[-1] == ' ' || p[-1] == '\t') && p[kl] == ':') break;
        p += kl;
    }
    if (!p) return false;
    p += kl + 1;
    while (*p == ' ') p++;
    size_t n = strcspn(p, " \t\r\n");
    if (n >= out_sz) n = out_sz - 1;
    memcpy(out, p, n);
    out[n] = 0;
    return true;
}

typedef struct partition_row {
    char topic[256];
    long partition, leader;
    long replicas[64], isr[64];
    size_t n_replicas, n_isr;
} partition_row;

static size_t parse_ids_csv(const char *t, long *ids, size_t max) {
    size_t n = 0;
    while (*t && n < max) {
        char *end = NULL;
        long v = strtol(t, &end, 10);
        if (end == t) break;
        ids[n++] = v;
        t = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* One partition line of `kafka-topics.sh --describe` ("Topic: t Partition: 0 Leader: 1
 * Replicas: 1,2,0 Isr: 1,2"). A leader written "none" reads -1. */
static bool parse_partition_line(const char *line, partition_row *row) {
    char part[32], leader[32], reps[512], isr[512];
    if (!field(line, "Partition", part, sizeof part)) return false;
    if (!field(line, "Topic", row->topic, sizeof row->topic)) return false;
    row->partition = strtol(part, NULL, 10);
    row->leader = field(line, "Leader", leader, sizeof leader) && isdigit((unsigned char)leader[0])
                      ? strtol(leader, NULL, 10)
                      : -1;
    row->n_replicas = field(line, "Replicas", reps, sizeof reps) ? parse_ids_csv(reps, row->replicas, 64) : 0;
    row->n_isr = field(line, "Isr", isr, sizeof isr) ? parse_ids_csv(isr, row->isr, 64) : 0;
    return true;
}

/* Calls fn on each partition line of out; stops early when fn returns false. */
static void for_each_partition(const char *out, bool (*fn)(const partition_row *, void *), void *ctx) {
    for (const char *line = out; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char buf[2048];
        if (n < sizeof buf) {
            memcpy(buf, line, n);
            buf[n] = 0;
            partition_row row;
            memset(&row, 0, sizeof row);
            if (parse_partition_line(buf, &row) && !fn(&row, ctx)) return;
        }
        line = end ? end + 1 : NULL;
    }
}

static void jb_ids(text_buf *b, const long *ids, size_t n) {
    tb_puts(b, "[");
    for (size_t i = 0; i < n; i++) tb_printf(b, "%s%ld", i ? ", " : "", ids[i]);
    tb_puts(b, "]");
}

typedef struct describe_ctx {
    text_buf *b;
    size_t n;
} describe_ctx;

static bool describe_row(const partition_row *row, void *arg) {
    describe_ctx *c = arg;
    tb_printf(c->b, "%s{\"%ld\": {\"leader\": %ld, \"replicas\": ", c->n++ ? ", " : "", row->partition,
              row->leader);
    jb_ids(c->b, row->replicas, row->n_replicas);
    tb_puts(c->b, ", \"isr\": ");
    jb_ids(c->b, row->isr, row->n_isr);
    tb_puts(c->b, "}}");
    return true;
}

typedef struct decom_ctx {
    long id;
    char reason[320];
    size_t leads, urp;
} decom_ctx;

static bool decom_row(const partition_row *row, void *arg) {
    decom_ctx *c = arg;
    bool replica = false;
    for (size_t i = 0; i < row->n_replicas; i++) replica |= row->replicas[i] == c->id;
    bool under = row->n_isr < row->n_replicas;
    if (row->leader == c->id) {
        if (!c->leads && !c->urp)
            snprintf(c->reason, sizeof c->reason, "it leads partition %.200s-%ld", row->topic, row->partition);
        c->leads++;
    } else if (replica && under) {
        if (!c->leads && !c->urp)
            snprintf(c->reason, sizeof c->reason,
                     "it holds partition %.200s-%ld, which is under-replicated (%zu of %zu replicas in sync)",
                     row->topic, row->partition, row->n_isr, row->n_replicas);
        c->urp++;
    }
    return true;
}

/* ---- decommission checks ------------------------------------------------------------------- */

static decom_check *check_find(kafka_state *s, uint32_t index) {
    for (decom_check *c = s->checks; c; c = c->next)
        if (c->index == index) return c;
    return NULL;
}

static void check_remove(kafka_state *s, decom_check *c) {
    for (decom_check **p = &s->checks; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    free(c);
}

static void decommission_result(kafka_state *s, job *j, const sdk_plugin_command_result *r) {
    decom_check *c = check_find(s, j->index);
    if (!c) return;
    c->phase = CHECK_DONE;
    if (r->exit_code != 0) {
        size_t n = r->err_len ? r->err_len : r->out_len;
        const char *t = r->err_len ? r->err : r->out;
        while (n && t[n - 1] == '\n') n--;
        c->decision = SDK_PLUGIN_DECOMMISSION_VETO;
        snprintf(c->reason, sizeof c->reason,
                 "cannot tell whether broker %u still leads or holds under-replicated partitions: "
                 "kafka-topics.sh --describe %s (%.*s)",
                 j->index, r->timed_out ? "timed out" : "failed", (int)(n > 300 ? 300 : n), t);
        return;
    }
    decom_ctx d = {.id = j->index};
    for_each_partition(r->out, decom_row, &d);
    if (d.leads || d.urp) {
        c->decision = SDK_PLUGIN_DECOMMISSION_VETO;
        char first[320];
        snprintf(first, sizeof first, "%.300s", d.reason);
        snprintf(c->reason, sizeof c->reason,
                 "broker %u leads %zu partition(s) and holds %zu under-replicated one(s): %.300s; move "
                 "its partitions to other brokers (kafka-reassign-partitions.sh) first",
                 j->index, d.leads, d.urp, first);
    } else {
        c->decision = SDK_PLUGIN_DECOMMISSION_ALLOW;
    }
}

static int kafka_pre_decommission(void *state, const char *pod, uint32_t index,
                                  sdk_plugin_decision *decision, sdk_plugin_errors *reason) {
    kafka_state *s = state;
    if (strcmp(pod, "kafka") != 0) {
        *decision = SDK_PLUGIN_DECOMMISSION_ALLOW;
        return SDK_PLUGIN_OK;
    }
    decom_check *c = check_find(s, index);
    if (c && c->phase == CHECK_RUNNING) {
        *decision = SDK_PLUGIN_DECOMMISSION_PENDING;
        return SDK_PLUGIN_OK;
    }
    if (c && c->phase == CHECK_DONE) {
        /* One answer per check: the next question starts a fresh one. */
        *decision = c->decision;
        if (c->decision == SDK_PLUGIN_DECOMMISSION_VETO) s->api->error(reason, "%s", c->reason);
        check_remove(s, c);
        return SDK_PLUGIN_OK;
    }
    c = calloc(1, sizeof *c);
    job *j = c ? job_new(s, JOB_DECOMMISSION, NULL) : NULL;
    if (!j) {
        free(c);
        return SDK_PLUGIN_ENOMEM;
    }
    c->index = index;
    c->phase = CHECK_RUNNING;
    c->next = s->checks;
    s->checks = c;
    j->index = index;
    const char *args[] = {"--zookeeper", s->zk_uri, "--describe", NULL};
    if (job_run(s, j, "kafka-topics.sh", args) != SDK_PLUGIN_OK) {
        job_unlink_free(s, j);
        check_remove(s, c);
        *decision = SDK_PLUGIN_DECOMMISSION_VETO;
        s->api->error(reason, "cannot run kafka-topics.sh to check broker %u's partitions (see the "
                              "scheduler log); set KAFKA_TOOLS_HOME to Kafka's directory", index);
        return SDK_PLUGIN_OK;
    }
    *decision = SDK_PLUGIN_DECOMMISSION_PENDING;
    return SDK_PLUGIN_OK;
}

/* ---- the job state machine ----------------------------------------------------------------- */

/* Stage 0 of offsets / producer-test: ls ids done -> get the first broker's registration. */
static void chain_get_first_broker(kafka_state *s, job *j, const sdk_plugin_command_result *r) {
    long ids[KAFKA_MAX_IDS];
    size_t n = 0;
    if (r->exit_code != 0 || !parse_id_list(r->out, ids, KAFKA_MAX_IDS, &n) || n == 0) {
        if (r->exit_code != 0) finish_message(s, j, 500, r);
        else finish_text(s, j, 503, "no broker is registered in ZooKeeper yet");
        job_unlink_free(s, j);
        return;
    }
    char path[64];
    snprintf(path, sizeof path, "/brokers/ids/%ld", ids[0]);
    const char *args[] = {s->zk_uri, "get", path, NULL};
    j->stage = 1;
    if (job_run(s, j, "zookeeper-shell.sh", args) != SDK_PLUGIN_OK) {
        finish_text(s, j, 500, "cannot run zookeeper-shell.sh: see the scheduler log");
        job_unlink_free(s, j);
    }
}

/* Stage 1 of offsets / producer-test: registration read -> run the tool against that broker. */
static void chain_run_tool(kafka_state *s, job *j, const sdk_plugin_command_result *r) {
    size_t len = 0;
    const char *json = r->exit_code == 0 ? find_json_line(r->out, &len) : NULL;
    char addr[300];
    if (!json || !broker_address(json, len, addr, sizeof addr)) {
        finish_message(s, j, 500, r);
        job_unlink_free(s, j);
        return;
    }
    j->stage = 2;
    int rc;
    if (j->kind == JOB_OFFSETS) {
        const char *args[] = {"kafka.tools.GetOffsetShell", "--broker-list", addr, "--topic",
                              j->topic, "--time", j->arg, NULL};
        rc = job_run(s, j, "kafka-run-class.sh", args);
    } else {
        char props[340];
        snprintf(props, sizeof props, "bootstrap.servers=%s", addr);
        const char *args[] = {"--topic", j->topic, "--num-records", j->arg, "--record-size", "1024",
                              "--throughput", "-1", "--producer-props", props, NULL};
        rc = job_run(s, j, "kafka-producer-perf-test.sh", args);
    }
    if (rc != SDK_PLUGIN_OK) {
        finish_text(s, j, 500, "cannot run the Kafka tool: see the scheduler log");
        job_unlink_free(s, j);
    }
}

/* GetOffsetShell prints "topic:partition:offset" per line -> [{"0": "123"}, ...]. */
static void finish_offsets(kafka_state *s, job *j, const sdk_plugin_command_result *r) {
    if (r->exit_code != 0) {
        finish_message(s, j, 500, r);
        return;
    }
    text_buf b = {0};
    tb_puts(&b, "[");
    size_t n = 0, tl = strlen(j->topic);
    for (const char *line = r->out; line && *line;) {
        const char *end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        if (!strncmp(line, j->topic, tl) && line[tl] == ':') {
            const char *p = line + tl + 1;
            const char *colon = memchr(p, ':', (size_t)(end - p));
            if (colon) {
                const char *o = colon + 1, *oe = end;
                while (oe > o && (oe[-1] == '\r' || oe[-1] == ' ')) oe--;
                tb_puts(&b, n++ ? ", {" : "{");
                tb_json_strn(&b, p, (size_t)(colon - p));
                tb_puts(&b, ": ");
                tb_json_strn(&b, o, (size_t)(oe - o));
                tb_puts(&b, "}");
            }
        }
        line = *end ? end + 1 : end;
    }
    tb_puts(&b, "]");
    if (n == 0) {
        free(b.s);
        finish_message(s, j, 404, r);
        return;
    }
    send_json(s, j->resp, 200, &b);
    s->api->response_finish(j->resp);
}

static void job_done(void *state, uint64_t id, void *arg, const sdk_plugin_command_result *r) {
    (void)id;
    kafka_state *s = state;
    job *j = arg;
    text_buf b = {0};
    switch (j->kind) {
    case JOB_DECOMMISSION:
        decommission_result(s, j, r);
        break;
    case JOB_BROKERS: {
        long ids[KAFKA_MAX_IDS];
        size_t n = 0;
        if (contains(r, "Node does not exist") || contains(r, "NoNode")) {
            n = 0;
        } else if (r->exit_code != 0 || !parse_id_list(r->out, ids, KAFKA_MAX_IDS, &n)) {
            finish_message(s, j, 500, r);
            break;
        }
        tb_puts(&b, "[");
        for (size_t i = 0; i < n; i++) tb_printf(&b, "%s\"%ld\"", i ? ", " : "", ids[i]);
        tb_puts(&b, "]");
        send_json(s, j->resp, 200, &b);
        s->api->response_finish(j->resp);
        break;
    }
    case JOB_BROKER: {
        size_t len = 0;
        const char *json = r->exit_code == 0 ? find_json_line(r->out, &len) : NULL;
        if (contains(r, "Node does not exist") || contains(r, "NoNode")) {
            char msg[128];
            snprintf(msg, sizeof msg, "broker %s is not registered in ZooKeeper", j->arg);
            finish_text(s, j, 404, msg);
        } else if (!json) {
            finish_message(s, j, 500, r);
        } else {
            tb_put(&b, json, len);
            send_json(s, j->resp, 200, &b);
            s->api->response_finish(j->resp);
        }
        break;
    }
    case JOB_TOPIC_LIST:
        if (r->exit_code != 0) {
            finish_message(s, j, 500, r);
            break;
        }
        tb_puts(&b, "[");
        {
            size_t n = 0;
            for (const char *line = r->out; line && *line;) {
                const char *end = strchr(line, '\n');
                if (!end) end = line + strlen(line);
                const char *e = end;
                const char *mark = NULL;
                for (const char *q = line; q + 22 <= e; q++)
                    if (!strncmp(q, " - marked for deletion", 22)) mark = q;
                if (mark) e = mark;
                while (e > line && (e[-1] == '\r' || e[-1] == ' ')) e--;
                bool name = e > line;
                for (const char *q = line; q < e && name; q++)
                    name = isalnum((unsigned char)*q) || *q == '.' || *q == '_' || *q == '-';
                if (name) {
                    if (n++) tb_puts(&b, ", ");
                    tb_json_strn(&b, line, (size_t)(e - line));
                }
                line = *end ? end + 1 : end;
            }
        }
        tb_puts(&b, "]");
        send_json(s, j->resp, 200, &b);
        s->api->response_finish(j->resp);
        break;
    case JOB_TOPIC_DESCRIBE: {
        describe_ctx c = {.b = &b};
        tb_puts(&b, "{\"partitions\": [");
        if (r->exit_code == 0) for_each_partition(r->out, describe_row, &c);
        tb_puts(&b, "]}");
        if (r->exit_code != 0 || c.n == 0) {
            free(b.s);
            bool missing = contains(r, "does not exist") || (r->exit_code == 0 && c.n == 0);
            if (missing) {
                char msg[320];
                snprintf(msg, sizeof msg, "topic '%s' does not exist", j->topic);
                finish_text(s, j, 404, msg);
            } else {
                finish_message(s, j, 500, r);
            }
            break;
        }
        send_json(s, j->resp, 200, &b);
        s->api->response_finish(j->resp);
        break;
    }
    case JOB_TOPIC_MESSAGE:
        finish_message(s, j, r->exit_code == 0 ? 200 : 500, r);
        break;
    case JOB_TOPIC_DELETE: {
        const char *en = opt(s, "KAFKA_DELETE_TOPIC_ENABLE", "true");
        int status = r->exit_code != 0 ? 500 : strcmp(en, "true") != 0 ? 202 : 200;
        finish_message(s, j, status, r);
        break;
    }
    case JOB_OFFSETS:
    case JOB_PRODUCER_TEST:
        if (j->stage == 0) {
            chain_get_first_broker(s, j, r);
            return;
        }
        if (j->stage == 1) {
            chain_run_tool(s, j, r);
            return;
        }
        if (j->kind == JOB_OFFSETS) finish_offsets(s, j, r);
        else finish_message(s, j, r->exit_code == 0 ? 200 : 500, r);
        break;
    }
    job_unlink_free(s, j);
}

/* ---- routes -------------------------------------------------------------------------------- */

static int route_brokers(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    kafka_state *s = state;
    job *j = job_new(s, JOB_BROKERS, resp);
    if (!j) return SDK_PLUGIN_ENOMEM;
    const char *args[] = {s->zk_uri, "ls", "/brokers/ids", NULL};
    return job_start(s, j, "zookeeper-shell.sh", args);
}

static int route_broker(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    kafka_state *s = state;
    const char *id = s->api->request_param(req, "id");
    long v;
    if (!parse_int(id, 0, 1000000000L, &v)) {
        char msg[200];
        snprintf(msg, sizeof msg, "broker id '%.64s' is not a broker id: use a non-negative integer",
                 id ? id : "");
        send_message(s, resp, 400, msg);
        return 0;
    }
    job *j = job_new(s, JOB_BROKER, resp);
    if (!j) return SDK_PLUGIN_ENOMEM;
    snprintf(j->arg, sizeof j->arg, "%ld", v);
    char path[64];
    snprintf(path, sizeof path, "/brokers/ids/%ld", v);
    const char *args[] = {s->zk_uri, "get", path, NULL};
    return job_start(s, j, "zookeeper-shell.sh", args);
}

/* The {name} parameter if it is a valid topic name; otherwise answers 400 and returns NULL. */
static const char *topic_param(kafka_state *s, sdk_plugin_request *req, sdk_plugin_response *resp) {
    const char *t = s->api->request_param(req, "name");
    if (valid_topic(t)) return t;
    char msg[400];
    snprintf(msg, sizeof msg,
             "topic name '%.200s' is not valid: use 1 to 249 characters from [A-Za-z0-9._-]",
             t ? t : "");
    send_message(s, resp, 400, msg);
    return NULL;
}

/* Reads integer query argument `name` in [lo, hi] (dflt when absent). On a bad value answers 400
 * naming it and returns false. */
/* Value of `name` in a form-encoded body ("partitions=3&replication=2") into buf; NULL if absent.
 * The routes read their parameters from the query string first, then from such a body. */
static const char *body_param(kafka_state *s, sdk_plugin_request *req, const char *name, char *buf,
                              size_t buf_sz) {
    size_t len = 0;
    const char *b = s->api->request_body(req, &len);
    size_t nl = strlen(name);
    for (const char *p = b; p && p < b + len;) {
        const char *amp = memchr(p, '&', (size_t)(b + len - p));
        const char *end = amp ? amp : b + len;
        if ((size_t)(end - p) > nl && !strncmp(p, name, nl) && p[nl] == '=') {
            size_t vl = (size_t)(end - p) - nl - 1;
            while (vl && (p[nl + vl] == '\n' || p[nl + vl] == '\r')) vl--;
            if (vl >= buf_sz) vl = buf_sz - 1;
            memcpy(buf, p + nl + 1, vl);
            buf[vl] = 0;
            return buf;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

static const char *param(kafka_state *s, sdk_plugin_request *req, const char *name, char *buf,
                         size_t buf_sz) {
    const char *t = s->api->request_query(req, name);
    return t ? t : body_param(s, req, name, buf, buf_sz);
}

static bool query_int(kafka_state *s, sdk_plugin_request *req, sdk_plugin_response *resp,
                      const char *name, long lo, long hi, long dflt, long *out) {
    char buf[64];
    const char *t = param(s, req, name, buf, sizeof buf);
    if (!t) {
        *out = dflt;
        return true;
    }
    if (parse_int(t, lo, hi, out)) return true;
    char msg[300];
    snprintf(msg, sizeof msg, "%s '%.40s' is not valid: use an integer from %ld to %ld", name, t, lo,
             hi);
    send_message(s, resp, 400, msg);
    return false;
}

static long broker_count(const kafka_state *s) {
    long n = 3;
    parse_int(opt(s, "BROKER_COUNT", "3"), 0, 1000000, &n);
    return n;
}

static int route_topics_list(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    kafka_state *s = state;
    job *j = job_new(s, JOB_TOPIC_LIST, resp);
    if (!j) return SDK_PLUGIN_ENOMEM;
    const char *args[] = {"--zookeeper", s->zk_uri, "--list", NULL};
    return job_start(s, j, "kafka-topics.sh", args);
}

static int route_topic_describe(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    kafka_state *s = state;
    const char *t = topic_param(s, req, resp);
    if (!t) return 0;
    job *j = job_new(s, JOB_TOPIC_DESCRIBE, resp);
    if (!j) return SDK_PLUGIN_ENOMEM;
    snprintf(j->topic, sizeof j->topic, "%s", t);
    const char *args[] = {"--zookeeper", s->zk_uri, "--describe", "--topic", j->topic, NULL};
    return job_start(s, j, "kafka-topics.sh", args);
}

/* PUT /v1/topics/{name}?partitions=N&replication=R (defaults 1 and min(3, brokers)). */
static int route_topic_create(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    kafka_state *s = state;
    const char *t = topic_param(s, req, resp);
    if (!t) return 0;
    long brokers = broker_count(s), partitions, replication;
    if (!query_int(s, req, resp, "partitions", 1, 100000, 1, &partitions)) return 0;
    if (!query_int(s, req, resp, "replication", 1, 1000, brokers < 3 ? brokers : 3, &replication))
        return 0;
    if (replication > brokers) {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "replication %ld is above the broker count %ld: use a replication of at most %ld "
                 "(or add brokers with BROKER_COUNT)", replication, brokers, brokers);
        send_message(s, resp, 400, msg);
        return 0;
    }
    job *j = job_new(s, JOB_TOPIC_MESSAGE, resp);
    if (!j) return SDK_PLUGIN_ENOMEM;
    snprintf(j->topic, sizeof j->topic, "%s", t);
    char p[24], r[24];
    snprintf(p, sizeof p, "%ld", partitions);
    snprintf(r, sizeof r, "%ld", replication);
    const char *args[] = {"--zookeeper", s->zk_uri, "--create", "--topic", j->topic,
                          "--partitions", p, "--replication-factor", r, NULL};
    return job_start(s, j, "kafka-topics.sh", args);
}

static int route_topic_delete(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    kafka_state *s = state;
    const char *t = topic_param(s, req, resp);
    if (!t) return 0;
    job *j = job_new(s, JOB_TOPIC_DELETE, resp);
    if (!j) return SDK_PLUGIN_ENOMEM;
    snprintf(j->topic, sizeof j->topic, "%s", t);
    const char *args[] = {"--zookeeper", s->zk_uri, "--delete", "--topic", j->topic, NULL};
    return job_start(s, j, "kafka-topics.sh", args);
}

/* PUT /v1/topics/{name}/operation/{op}: partitions (partitions=N), producer-test (messages=N). */
static int route_topic_operation(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    kafka_state *s = state;
    const char *t = topic_param(s, req, resp);
    if (!t) return 0;
    const char *op = s->api->request_param(req, "op");
    if (op && !strcmp(op, "partitions")) {
        long partitions;
        char buf[64];
        if (!param(s, req, "partitions", buf, sizeof buf)) {
            send_message(s, resp, 400, "partitions is missing: give the new partition count, "
                                       "e.g. ?partitions=6");
            return 0;
        }
        if (!query_int(s, req, resp, "partitions", 1, 100000, 1, &partitions)) return 0;
        job *j = job_new(s, JOB_TOPIC_MESSAGE, resp);
        if (!j) return SDK_PLUGIN_ENOMEM;
        snprintf(j->topic, sizeof j->topic, "%s", t);
        char p[24];
        snprintf(p, sizeof p, "%ld", partitions);
        const char *args[] = {"--zookeeper", s->zk_uri, "--alter", "--topic", j->topic,
                              "--partitions", p, NULL};
        return job_start(s, j, "kafka-topics.sh", args);
    }
    if (op && !strcmp(op, "producer-test")) {
        long messages;
        if (!query_int(s, req, resp, "messages", 1, 100000000L, 1000, &messages)) return 0;
        job *j = job_new(s, JOB_PRODUCER_TEST, resp);
        if (!j) return SDK_PLUGIN_ENOMEM;
        snprintf(j->topic, sizeof j->topic, "%s", t);
        snprintf(j->arg, sizeof j->arg, "%ld", messages);
        const char *args[] = {s->zk_uri, "ls", "/brokers/ids", NULL};
        return job_start(s, j, "zookeeper-shell.sh", args);
    }
    char msg[200];
    snprintf(msg, sizeof msg, "Unrecognized operation: %.64s (use partitions or producer-test)",
             op ? op : "");
    send_message(s, resp, 400, msg);
    return 0;
}

/* GET /v1/topics/{name}/offsets?time=-1|-2|<ms> */
static int route_topic_offsets(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    kafka_state *s = state;
    const char *t = topic_param(s, req, resp);
    if (!t) return 0;
    long time;
    if (!query_int(s, req, resp, "time", -2, 9000000000000000000L, -1, &time)) return 0;
    job *j = job_new(s, JOB_OFFSETS, resp);
    if (!j) return SDK_PLUGIN_ENOMEM;
    snprintf(j->topic, sizeof j->topic, "%s", t);
    snprintf(j->arg, sizeof j->arg, "%ld", time);
    const char *args[] = {s->zk_uri, "ls", "/brokers/ids", NULL};
    return job_start(s, j, "zookeeper-shell.sh", args);
}

static int route_unavailable(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    kafka_state *s = state;
    job *j = job_new(s, JOB_TOPIC_MESSAGE, resp);
    if (!j) return SDK_PLUGIN_ENOMEM;
    const char *args[] = {"--zookeeper", s->zk_uri, "--describe", "--unavailable-partitions", NULL};
    return job_start(s, j, "kafka-topics.sh", args);
}

static int route_under_replicated(void *state, sdk_plugin_request *req, sdk_plugin_response *resp) {
    (void)req;
    kafka_state *s = state;
    job *j = job_new(s, JOB_TOPIC_MESSAGE, resp);
    if (!j) return SDK_PLUGIN_ENOMEM;
    const char *args[] = {"--zookeeper", s->zk_uri, "--describe", "--under-replicated-partitions",
                          NULL};
    return job_start(s, j, "kafka-topics.sh", args);
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static int kafka_init(const sdk_host_api *api, sdk_plugin_host *host, void **state,
                      sdk_plugin_errors *errs) {
    kafka_state *s = calloc(1, sizeof *s);
    if (!s) return SDK_PLUGIN_ENOMEM;
    s->api = api;
    s->host = host;
    const char *zk = opt(s, "KAFKA_ZOOKEEPER", "");
    if (!*zk && !opt(s, "KAFKA_ZOOKEEPER_URI", NULL)) {
        api->error(errs, "KAFKA_ZOOKEEPER is empty: set it to the ZooKeeper connect string Kafka "
                         "uses (e.g. -o KAFKA_ZOOKEEPER=zk-1:2181,zk-2:2181)");
        free(s);
        return SDK_PLUGIN_EINVAL;
    }
    if (strchr(zk, '/')) {
        api->error(errs, "KAFKA_ZOOKEEPER '%s' has a path: give only host:port[,host:port] (the "
                         "plugin adds the chroot /dcos-service-<name>), or set KAFKA_ZOOKEEPER_URI "
                         "to the full connect string with its chroot", zk);
        free(s);
        return SDK_PLUGIN_EINVAL;
    }
    if (compute_zk_uri(s, opt(s, "FRAMEWORK_NAME", "kafka")) != SDK_PLUGIN_OK) {
        free(s);
        return SDK_PLUGIN_ENOMEM;
    }
    *state = s;
    api->log(host, SDK_PLUGIN_LOG_INFO, "kafka plugin ready, ZooKeeper chroot %s", s->zk_uri);
    return SDK_PLUGIN_OK;
}

static void kafka_fini(void *state) {
    kafka_state *s = state;
    while (s->jobs) {
        job *j = s->jobs;
        s->jobs = j->next;
        free(j);
    }
    while (s->checks) {
        decom_check *c = s->checks;
        s->checks = c->next;
        free(c);
    }
    free(s->zk_uri);
    free(s);
}

static int kafka_mutate(void *state, sdk_plugin_spec *spec, sdk_plugin_errors *errs) {
    kafka_state *s = state;
    const char *name = s->api->spec_name(spec);
    int rc = compute_zk_uri(s, name && *name ? name : opt(s, "FRAMEWORK_NAME", "kafka"));
    if (rc == SDK_PLUGIN_OK) rc = s->api->spec_set_env(spec, NULL, NULL, "KAFKA_ZOOKEEPER_URI", s->zk_uri);
    if (rc != SDK_PLUGIN_OK) s->api->error(errs, "cannot set KAFKA_ZOOKEEPER_URI on the tasks (code %d)", rc);
    return rc;
}

static int kafka_validate(void *state, const sdk_plugin_spec *old_spec,
                          const sdk_plugin_spec *new_spec, sdk_plugin_errors *errs) {
    kafka_state *s = state;
    const sdk_host_api *api = s->api;
    int64_t count = 0;
    if (api->spec_pod_get_count(new_spec, "kafka", &count) != SDK_PLUGIN_OK) {
        api->error(errs, "pods.kafka: the Kafka service needs a pod type 'kafka' with a task 'broker'");
        return SDK_PLUGIN_OK;
    }
    if (count < 1) {
        int64_t before = -1;
        if (old_spec && api->spec_pod_get_count(old_spec, "kafka", &before) == SDK_PLUGIN_OK)
            api->error(errs, "pods.kafka.count: %lld => %lld: a Kafka service needs at least one "
                             "broker (set BROKER_COUNT >= 1)", (long long)before, (long long)count);
        else
            api->error(errs, "pods.kafka.count: %lld: a Kafka service needs at least one broker (set "
                             "BROKER_COUNT >= 1)", (long long)count);
        return SDK_PLUGIN_OK;
    }
    const char *rf = api->spec_task_env(new_spec, "kafka", "broker", "KAFKA_DEFAULT_REPLICATION_FACTOR");
    long v;
    if (rf && (!parse_int(rf, 1, 1000, &v) || v > count))
        api->error(errs, "pods.kafka.tasks.broker.env.KAFKA_DEFAULT_REPLICATION_FACTOR: '%s' must be "
                         "an integer from 1 to the broker count %lld (set "
                         "KAFKA_DEFAULT_REPLICATION_FACTOR <= BROKER_COUNT)", rf, (long long)count);
    const char *mir = api->spec_task_env(new_spec, "kafka", "broker", "KAFKA_MIN_INSYNC_REPLICAS");
    if (mir && (!parse_int(mir, 1, 1000, &v) || v > count))
        api->error(errs, "pods.kafka.tasks.broker.env.KAFKA_MIN_INSYNC_REPLICAS: '%s' must be an "
                         "integer from 1 to the broker count %lld", mir, (long long)count);
    return SDK_PLUGIN_OK;
}

static int kafka_endpoints(void *state, sdk_plugin_endpoints *out) {
    kafka_state *s = state;
    return s->api->endpoint_add(out, "zookeeper", "text/plain", s->zk_uri, strlen(s->zk_uri));
}

/* ---- tables -------------------------------------------------------------------------------- */

static const sdk_plugin_option kafka_options[] = {
    {"FRAMEWORK_NAME", "kafka", "service name (Mesos framework name; names the ZooKeeper chroot)"},
    {"FRAMEWORK_USER", "root", "user running the brokers"},
    {"BROKER_COUNT", "3", "number of brokers (at least 1)"},
    {"BROKER_CPUS", "1.0", "cpus of each broker"},
    {"BROKER_MEM", "2048", "memory (MB) of each broker"},
    {"BROKER_HEAP_MB", "512", "JVM heap (MB) of each broker (KAFKA_HEAP_OPTS)"},
    {"BROKER_DISK", "5000", "size (MB) of each broker's persistent log volume"},
    {"BROKER_DISK_TYPE", "ROOT", "volume type: ROOT or MOUNT"},
    {"BROKER_DISK_PATH", "kafka-broker-data", "volume path in the sandbox (log.dirs)"},
    {"BROKER_PORT", "0", "broker listener port (0: any port the offer has)"},
    {"BROKER_KILL_GRACE_PERIOD", "30", "seconds between SIGTERM and SIGKILL for a broker"},
    {"PLACEMENT_CONSTRAINT", "[[\"hostname\", \"MAX_PER\", \"1\"]]",
     "placement of brokers (Marathon syntax); default one broker per host"},
    {"DEPLOY_STRATEGY", "serial", "strategy of the deploy phase: serial or parallel"},
    {"KAFKA_HOME", "kafka_2.12-2.4.1", "Kafka's directory, relative to the task sandbox or absolute"},
    {"KAFKA_URI", "https://archive.apache.org/dist/kafka/2.4.1/kafka_2.12-2.4.1.tgz",
     "Kafka artifact fetched into each pod's sandbox"},
    {"KAFKA_TOOLS_HOME", "kafka_2.12-2.4.1",
     "Kafka's directory on the scheduler's machine (bin/kafka-topics.sh, bin/zookeeper-shell.sh)"},
    {"KAFKA_TOOLS_TIMEOUT", "60", "seconds a Kafka tool run by the scheduler may take"},
    {"KAFKA_ZOOKEEPER", "master.mesos:2181", "ZooKeeper connect string (host:port[,host:port])"},
    {"KAFKA_ZOOKEEPER_URI", "",
     "full zookeeper.connect with chroot; empty: KAFKA_ZOOKEEPER + /dcos-service-<name>"},
    {"KAFKA_DELETE_TOPIC_ENABLE", "true", "delete.topic.enable"},
    {"KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true", "auto.create.topics.enable"},
    {"KAFKA_NUM_PARTITIONS", "1", "num.partitions"},
    {"KAFKA_DEFAULT_REPLICATION_FACTOR", "1", "default.replication.factor (<= BROKER_COUNT)"},
    {"KAFKA_MIN_INSYNC_REPLICAS", "1", "min.insync.replicas (<= BROKER_COUNT)"},
    {"KAFKA_LOG_RETENTION_HOURS", "168", "log.retention.hours"},
};

/* The package options (ABI 1.1): the names of upstream Kafka package options (brokers.*, kafka.*, service.*; the Kafka package lives outside dcos-commons), each
 * feeding the template variable of the 1.0 table above (kept for 1.0 schedulers). */
static const sdk_plugin_option_schema kafka_option_schema[] = {
    {"service.name", "FRAMEWORK_NAME", SDK_PLUGIN_OPTION_STRING, 0, "kafka",
     "service name (Mesos framework name; names the ZooKeeper chroot)", NULL, NULL, NULL},
    {"service.user", "FRAMEWORK_USER", SDK_PLUGIN_OPTION_STRING, 0, "root",
     "user running the brokers", NULL, NULL, NULL},
    {"brokers.count", "BROKER_COUNT", SDK_PLUGIN_OPTION_INTEGER, 0, "3",
     "number of brokers (at least 1)", NULL, NULL, NULL},
    {"brokers.cpus", "BROKER_CPUS", SDK_PLUGIN_OPTION_NUMBER, 0, "1.0",
     "cpus of each broker", "0.01", NULL, NULL},
    {"brokers.mem", "BROKER_MEM", SDK_PLUGIN_OPTION_INTEGER, 0, "2048",
     "memory (MB) of each broker", "1", NULL, NULL},
    {"brokers.heap.size", "BROKER_HEAP_MB", SDK_PLUGIN_OPTION_INTEGER, 0, "512",
     "JVM heap (MB) of each broker (KAFKA_HEAP_OPTS)", "1", NULL, NULL},
    {"brokers.disk", "BROKER_DISK", SDK_PLUGIN_OPTION_INTEGER, 0, "5000",
     "size (MB) of each broker's persistent log volume", "1", NULL, NULL},
    {"brokers.disk_type", "BROKER_DISK_TYPE", SDK_PLUGIN_OPTION_STRING, 0, "ROOT",
     "volume type: ROOT or MOUNT", NULL, NULL, "ROOT|MOUNT"},
    {"brokers.disk_path", "BROKER_DISK_PATH", SDK_PLUGIN_OPTION_STRING, 0, "kafka-broker-data",
     "volume path in the sandbox (log.dirs)", NULL, NULL, NULL},
    {"brokers.port", "BROKER_PORT", SDK_PLUGIN_OPTION_INTEGER, 0, "0",
     "broker listener port (0: any port the offer has)", "0", "65535", NULL},
    {"brokers.kill_grace_period", "BROKER_KILL_GRACE_PERIOD", SDK_PLUGIN_OPTION_INTEGER, 0, "30",
     "seconds between SIGTERM and SIGKILL for a broker", "0", NULL, NULL},
    {"service.placement_constraint", "PLACEMENT_CONSTRAINT", SDK_PLUGIN_OPTION_STRING, 0, "[[\"hostname\", \"MAX_PER\", \"1\"]]",
     "placement of brokers (Marathon syntax); default one broker per host", NULL, NULL, NULL},
    {"service.deploy_strategy", "DEPLOY_STRATEGY", SDK_PLUGIN_OPTION_STRING, 0, "serial",
     "strategy of the deploy phase: serial or parallel", NULL, NULL, "serial|parallel"},
    {"kafka.home", "KAFKA_HOME", SDK_PLUGIN_OPTION_STRING, 0, "kafka_2.12-2.4.1",
     "Kafka's directory, relative to the task sandbox or absolute", NULL, NULL, NULL},
    {"kafka.uri", "KAFKA_URI", SDK_PLUGIN_OPTION_STRING, 0, "https://archive.apache.org/dist/kafka/2.4.1/kafka_2.12-2.4.1.tgz",
     "Kafka artifact fetched into each pod's sandbox", NULL, NULL, NULL},
    {"kafka.tools_home", "KAFKA_TOOLS_HOME", SDK_PLUGIN_OPTION_STRING, 0, "kafka_2.12-2.4.1",
     "Kafka's directory on the scheduler's machine (bin/kafka-topics.sh, bin/zookeeper-shell.sh)", NULL, NULL, NULL},
    {"kafka.tools_timeout", "KAFKA_TOOLS_TIMEOUT", SDK_PLUGIN_OPTION_INTEGER, 0, "60",
     "seconds a Kafka tool run by the scheduler may take", "1", NULL, NULL},
    {"kafka.kafka_zookeeper", "KAFKA_ZOOKEEPER", SDK_PLUGIN_OPTION_STRING, 0, "master.mesos:2181",
     "ZooKeeper connect string (host:port[,host:port])", NULL, NULL, NULL},
    {"kafka.kafka_zookeeper_uri", "KAFKA_ZOOKEEPER_URI", SDK_PLUGIN_OPTION_STRING, 0, "",
     "full zookeeper.connect with chroot; empty: KAFKA_ZOOKEEPER + /dcos-service-<name>", NULL, NULL, NULL},
    {"kafka.delete_topic_enable", "KAFKA_DELETE_TOPIC_ENABLE", SDK_PLUGIN_OPTION_BOOLEAN, 0, "true",
     "delete.topic.enable", NULL, NULL, NULL},
    {"kafka.auto_create_topics_enable", "KAFKA_AUTO_CREATE_TOPICS_ENABLE", SDK_PLUGIN_OPTION_BOOLEAN, 0, "true",
     "auto.create.topics.enable", NULL, NULL, NULL},
    {"kafka.num_partitions", "KAFKA_NUM_PARTITIONS", SDK_PLUGIN_OPTION_INTEGER, 0, "1",
     "num.partitions", "1", NULL, NULL},
    {"kafka.default_replication_factor", "KAFKA_DEFAULT_REPLICATION_FACTOR", SDK_PLUGIN_OPTION_INTEGER, 0, "1",
     "default.replication.factor (<= BROKER_COUNT)", "1", NULL, NULL},
    {"kafka.min_insync_replicas", "KAFKA_MIN_INSYNC_REPLICAS", SDK_PLUGIN_OPTION_INTEGER, 0, "1",
     "min.insync.replicas (<= BROKER_COUNT)", "1", NULL, NULL},
    {"kafka.log_retention_hours", "KAFKA_LOG_RETENTION_HOURS", SDK_PLUGIN_OPTION_INTEGER, 0, "168",
     "log.retention.hours", "1", NULL, NULL},
};

static const sdk_plugin_route kafka_routes[] = {
    {"GET", "/v1/brokers", route_brokers},
    {"GET", "/v1/brokers/{id}", route_broker},
    {"GET", "/v1/topics", route_topics_list},
    {"GET", "/v1/topics/unavailable_partitions", route_unavailable},
    {"GET", "/v1/topics/under_replicated_partitions", route_under_replicated},
    {"GET", "/v1/topics/{name}", route_topic_describe},
    {"PUT", "/v1/topics/{name}", route_topic_create},
    {"DELETE", "/v1/topics/{name}", route_topic_delete},
    {"GET", "/v1/topics/{name}/offsets", route_topic_offsets},
    {"PUT", "/v1/topics/{name}/operation/{op}", route_topic_operation},
};

static const sdk_plugin_descriptor KAFKA = {
    SDK_PLUGIN_DESCRIPTOR_HEADER,
    .name = "kafka",
    .version = "1.0.0",
    .description = "Apache Kafka: pod kafka (task broker), topics and brokers over REST",
    .spec_template = kafka_spec_template,
    .options = kafka_options,
    .n_options = sizeof kafka_options / sizeof kafka_options[0],
    .option_schema = kafka_option_schema,
    .n_option_schema = sizeof kafka_option_schema / sizeof kafka_option_schema[0],
    .routes = kafka_routes,
    .n_routes = sizeof kafka_routes / sizeof kafka_routes[0],
    .init = kafka_init,
    .fini = kafka_fini,
    .mutate_spec = kafka_mutate,
    .validate_config = kafka_validate,
    .pre_decommission = kafka_pre_decommission,
    .endpoints = kafka_endpoints,
};

SDK_PLUGIN_EXPORT const sdk_plugin_descriptor *sdk_plugin_entry(void) { return &KAFKA; }
