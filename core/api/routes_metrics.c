/* Metrics, three renderings of one collection (metrics_collect below):
 *  - GET /v1/metrics: the dcos-commons Dropwizard registry JSON (sdk-behaviour.md §6.8);
 *  - GET /v1/metrics/prometheus: dcos-commons' Prometheus path, its names with dots as
 *    underscores, kept as it was;
 *  - GET /metrics: Prometheus text exposition format 0.0.4 for a Prometheus server: every family
 *    has # HELP and # TYPE, counters end in _total, what dcos-commons encodes in names (plan,
 *    operation, task state) is a label, plus the standard process_* metrics.
 * Each scrape walks plans and stored tasks once; nothing is kept between scrapes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/api/sdk_api.h"
#include "core/util/str.h"

#define N_STATUSES (SDK_STATUS_PAUSED + 1) /* sdk_status values */

/* One counter sample. `name` is the dcos-commons name ("declines.short"); family, label and
 * value say where the sample goes in /metrics ("sdk_offer_declines_total", kind="short"). */
typedef struct metric {
    char *name;
    const char *family, *help;
    const char *label;     /* NULL: no label */
    char *label_value;
    uint64_t value;
} metric;

typedef struct metrics {
    metric *v;
    size_t n, cap;
} metrics;

static void add(metrics *m, const char *name, const char *family, const char *help, const char *label,
                const char *label_value, uint64_t value) {
    if (m->n == m->cap) m->v = sdk_xrealloc(m->v, (m->cap = m->cap ? 2 * m->cap : 32) * sizeof *m->v);
    m->v[m->n++] = (metric){sdk_xstrdup(name), family, help, label, sdk_xstrdup(label_value), value};
}

static void metrics_free(metrics *m) {
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].name);
        free(m->v[i].label_value);
    }
    free(m->v);
}

/* The service's counters in a fixed order, members of one /metrics family next to each other;
 * task_status.* only once a status of that state was counted; state.zk.* only with the
 * ZooKeeper backend. */
static void metrics_collect(const sdk_api *api, metrics *out) {
    const sdk_service_metrics *m = sdk_service_get_metrics(api->svc);
    memset(out, 0, sizeof *out);
    static const char H_OFFERS[] = "Offers received from Mesos.";
    static const char H_PROCESSED[] = "Offers evaluated against the plans' work.";
    static const char H_DECLINES[] = "Offers declined, by refuse duration (short: work may come soon; long: none).";
    static const char H_REVIVES[] = "REVIVE calls sent to Mesos.";
    static const char H_SUPPRESSES[] = "SUPPRESS calls sent to Mesos.";
    static const char H_OPS[] = "Offer operations and kills sent to Mesos, by operation.";
    static const char H_TXN[] = "State store transactions committed.";
    static const char H_ZKREQ[] = "Write requests sent to ZooKeeper by the state store.";
    static const char H_ZKBYTES[] = "Bytes written to ZooKeeper by the state store.";
    static const char H_STATUS[] = "Task status updates received, by Mesos task state.";
    add(out, "offers.received", "sdk_offers_received_total", H_OFFERS, NULL, NULL, m->offers_received);
    add(out, "offers.processed", "sdk_offers_processed_total", H_PROCESSED, NULL, NULL, m->offers_processed);
    add(out, "declines.short", "sdk_offer_declines_total", H_DECLINES, "kind", "short", m->declines_short);
    add(out, "declines.long", "sdk_offer_declines_total", H_DECLINES, "kind", "long", m->declines_long);
    add(out, "revives", "sdk_revives_total", H_REVIVES, NULL, NULL, m->revives);
    add(out, "suppresses", "sdk_suppresses_total", H_SUPPRESSES, NULL, NULL, m->suppresses);
    add(out, "operation.reserve", "sdk_operations_total", H_OPS, "operation", "reserve", m->ops_reserve);
    add(out, "operation.unreserve", "sdk_operations_total", H_OPS, "operation", "unreserve", m->ops_unreserve);
    add(out, "operation.create", "sdk_operations_total", H_OPS, "operation", "create", m->ops_create);
    add(out, "operation.destroy", "sdk_operations_total", H_OPS, "operation", "destroy", m->ops_destroy);
    add(out, "operation.launch_group", "sdk_operations_total", H_OPS, "operation", "launch_group",
        m->ops_launch_group);
    add(out, "operation.kill", "sdk_operations_total", H_OPS, "operation", "kill", m->kills);
    add(out, "state.transactions", "sdk_state_transactions_total", H_TXN, NULL, NULL,
        sdk_store_commits(sdk_state_store(api->state)));
    if (api->zk_stats) {
        add(out, "state.zk.write_requests", "sdk_state_zk_write_requests_total", H_ZKREQ, NULL, NULL,
            api->zk_stats->write_requests);
        add(out, "state.zk.write_bytes", "sdk_state_zk_write_bytes_total", H_ZKBYTES, NULL, NULL,
            api->zk_stats->write_bytes);
    }
    for (int s = 0; s < 14; s++) {
        if (!m->task_status[s]) continue;
        const char *state = sdk_tstate_name((sdk_tstate)s); /* "TASK_RUNNING" */
        char *nm = sdk_asprintf_new("task_status.%s", state);
        for (char *p = nm; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        add(out, nm, "sdk_task_statuses_total", H_STATUS, "state", state, m->task_status[s]);
        free(nm);
    }
}

/* plan_status gauge value; false for DELAYED (unmapped: the gauge reports an error). */
static bool plan_gauge(sdk_status s, int *out) {
    switch (s) {
    case SDK_STATUS_ERROR: *out = -1; return true;
    case SDK_STATUS_COMPLETE: *out = 0; return true;
    case SDK_STATUS_WAITING:
    case SDK_STATUS_PENDING: *out = 1; return true;
    case SDK_STATUS_IN_PROGRESS:
    case SDK_STATUS_PREPARED:
    case SDK_STATUS_STARTING:
    case SDK_STATUS_STARTED: *out = 2; return true;
    default: return false;
    }
}

/* ---- GET /v1/metrics ---- */

static void h_metrics(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    json_t *gauges = json_object(), *counters = json_object();
    json_object_set_new(gauges, "is_suppressed", json_pack("{s:b}", "value", sdk_service_is_suppressed(api->svc)));
    json_object_set_new(gauges, "is_registered", json_pack("{s:b}", "value", sdk_service_registered(api->svc)));
    json_object_set_new(gauges, "reconciliation.pending_tasks",
                        json_pack("{s:I}", "value", (json_int_t)sdk_service_reconciling(api->svc)));
    size_t np = 0;
    sdk_plan *const *plans = sdk_service_plans(api->svc, &np);
    for (size_t i = 0; i < np; i++) {
        char *nm = sdk_asprintf_new("plan_status.%s", plans[i]->name);
        sdk_status st = sdk_plan_status(plans[i]);
        int v;
        if (plan_gauge(st, &v)) {
            json_object_set_new(gauges, nm, json_pack("{s:i}", "value", v));
        } else {
            char *e = sdk_asprintf_new("plan status %s has no gauge value", sdk_status_name(st));
            json_object_set_new(gauges, nm, json_pack("{s:s}", "error", e));
            free(e);
        }
        free(nm);
    }
    metrics c;
    metrics_collect(api, &c);
    for (size_t i = 0; i < c.n; i++)
        json_object_set_new(counters, c.v[i].name, json_pack("{s:I}", "count", (json_int_t)c.v[i].value));
    metrics_free(&c);
    json_t *j = json_object();
    json_object_set_new(j, "version", json_string("4.0.0"));
    json_object_set_new(j, "gauges", gauges);
    json_object_set_new(j, "counters", counters);
    json_object_set_new(j, "histograms", json_object());
    json_object_set_new(j, "meters", json_object());
    const sdk_service_metrics *sm = sdk_service_get_metrics(api->svc);
    json_t *timers = json_object();
    json_object_set_new(timers, "offers.process",
                        json_pack("{s:I,s:f,s:f,s:f,s:f,s:s}", "count", (json_int_t)sm->offer_batches,
                                  "mean", sm->offer_batches ? sm->offer_ms_total / (double)sm->offer_batches : 0.0,
                                  "max", sm->offer_ms_max, "p50", sdk_service_offer_ms_percentile(api->svc, 50),
                                  "p99", sdk_service_offer_ms_percentile(api->svc, 99), "duration_units",
                                  "milliseconds"));
    json_object_set_new(j, "timers", timers);
    sdk_api_respond_json_take(req, 200, j);
}

/* ---- GET /v1/metrics/prometheus (dcos-commons' names) ---- */

/* Prometheus metric name: dots (and anything else outside [A-Za-z0-9_:]) become underscores. */
static void prom_name(sdk_buf *b, const char *name) {
    for (const char *p = name; *p; p++) {
        char ch = *p;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                  ch == ':';
        sdk_buf_putc(b, ok ? ch : '_');
    }
}

static void prom_line(sdk_buf *b, const char *name, const char *type, long long v) {
    sdk_buf_puts(b, "# TYPE ");
    prom_name(b, name);
    sdk_buf_printf(b, " %s\n", type);
    prom_name(b, name);
    sdk_buf_printf(b, " %lld\n", v);
}

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static void h_metrics_prom(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    sdk_buf b;
    sdk_buf_init(&b);
    metrics c;
    metrics_collect(api, &c);
    for (size_t i = 0; i < c.n; i++) prom_line(&b, c.v[i].name, "counter", (long long)c.v[i].value);
    metrics_free(&c);
    prom_line(&b, "is_suppressed", "gauge", sdk_service_is_suppressed(api->svc) ? 1 : 0);
    prom_line(&b, "is_registered", "gauge", sdk_service_registered(api->svc) ? 1 : 0);
    prom_line(&b, "reconciliation.pending_tasks", "gauge", (long long)sdk_service_reconciling(api->svc));
    size_t np = 0;
    sdk_plan *const *plans = sdk_service_plans(api->svc, &np);
    for (size_t i = 0; i < np; i++) {
        int v;
        if (!plan_gauge(sdk_plan_status(plans[i]), &v)) continue;
        char *nm = sdk_asprintf_new("plan_status.%s", plans[i]->name);
        prom_line(&b, nm, "gauge", v);
        free(nm);
    }
    size_t len = b.len;
    sdk_http_respond(req, sdk_http_response_take(200, PROM_CONTENT_TYPE, sdk_buf_take(&b), len));
}

/* ---- GET /metrics (exposition format 0.0.4) ---- */

/* A label value with the format's escapes: backslash, double quote and newline. */
static void put_label_value(sdk_buf *b, const char *v) {
    for (const char *p = v; *p; p++) {
        if (*p == '\\') sdk_buf_puts(b, "\\\\");
        else if (*p == '"') sdk_buf_puts(b, "\\\"");
        else if (*p == '\n') sdk_buf_puts(b, "\\n");
        else sdk_buf_putc(b, *p);
    }
}

/* HELP and TYPE of a family; the caller writes its samples right after (a family's samples
 * must be contiguous). */
static void family(sdk_buf *b, const char *name, const char *type, const char *help) {
    sdk_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: name{k1="v1",k2="v2"} value. labels: NULL-terminated key, value pairs. */
static void sample(sdk_buf *b, const char *name, const char *const *labels, double value) {
    sdk_buf_puts(b, name);
    if (labels && labels[0]) {
        sdk_buf_putc(b, '{');
        for (size_t i = 0; labels[i]; i += 2) {
            sdk_buf_printf(b, "%s%s=\"", i ? "," : "", labels[i]);
            put_label_value(b, labels[i + 1]);
            sdk_buf_putc(b, '"');
        }
        sdk_buf_putc(b, '}');
    }
    /* counts print as integers; other values with 15 significant digits (as exact as a double
     * needs for what is measured here, without 0.10000000000000001) */
    if (value == (double)(int64_t)value && value > -9e15 && value < 9e15) sdk_buf_printf(b, " %lld\n", (long long)value);
    else sdk_buf_printf(b, " %.15g\n", value);
}

/* process_* metrics of this process from /proc (Linux), as Prometheus client libraries name
 * them. A value that cannot be read is left out with its family. */
static void process_metrics(sdk_buf *b) {
    long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    char *stat = NULL;
    size_t len = 0;
    if (tick > 0 && page > 0 && sdk_read_file_new("/proc/self/stat", &stat, &len) == 0) {
        /* Fields after the command name, which is in parentheses and may hold spaces:
         * 3 state ... 14 utime 15 stime ... 22 starttime 23 vsize 24 rss (proc(5)). */
        const char *p = strrchr(stat, ')');
        unsigned long long f[25] = {0};
        int field = 3;
        if (p) {
            p += 2;
            while (*p && field <= 24) {
                if (field >= 14) f[field] = strtoull(p, NULL, 10);
                p = strchr(p, ' ');
                if (!p) break;
                p++;
                field++;
            }
        }
        double boot = 0;
        char *pstat = NULL;
        size_t plen = 0;
        if (sdk_read_file_new("/proc/stat", &pstat, &plen) == 0) {
            const char *bt = strstr(pstat, "\nbtime ");
            if (bt) boot = strtod(bt + 7, NULL);
            free(pstat);
        }
        if (field > 24) {
            family(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
            sample(b, "process_cpu_seconds_total", NULL, (double)(f[14] + f[15]) / (double)tick);
            family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
            sample(b, "process_virtual_memory_bytes", NULL, (double)f[23]);
            family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
            sample(b, "process_resident_memory_bytes", NULL, (double)f[24] * (double)page);
            if (boot > 0) {
                family(b, "process_start_time_seconds", "gauge",
                       "Start time of the process since unix epoch in seconds.");
                sample(b, "process_start_time_seconds", NULL, boot + (double)f[22] / (double)tick);
            }
        }
        free(stat);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        size_t n = 0;
        for (struct dirent *e; (e = readdir(d));)
            if (e->d_name[0] != '.') n++;
        closedir(d);
        family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
        sample(b, "process_open_fds", NULL, (double)(n ? n - 1 : 0)); /* minus the one reading the dir */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        family(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        sample(b, "process_max_fds", NULL, (double)rl.rlim_cur);
    }
}

/* Task state label of a stored task: the Mesos state, or "NONE" before any status. */
static const char *task_state_label(const sdk_task_view *t) {
    return t->has_status ? sdk_tstate_name(t->state) : "NONE";
}

typedef struct task_key {
    const char *pod_type, *state;
} task_key;

static int task_key_cmp(const void *a, const void *b) {
    const task_key *x = a, *y = b;
    int c = strcmp(x->pod_type, y->pod_type);
    return c ? c : strcmp(x->state, y->state);
}

static void h_metrics_exposition(sdk_http_req *req, void *ud) {
    sdk_api *api = ud;
    sdk_buf b;
    sdk_buf_init(&b);
    metrics c;
    metrics_collect(api, &c);
    for (size_t i = 0; i < c.n; i++) {
        if (i == 0 || strcmp(c.v[i].family, c.v[i - 1].family)) family(&b, c.v[i].family, "counter", c.v[i].help);
        const char *labels[] = {c.v[i].label, c.v[i].label_value, NULL};
        sample(&b, c.v[i].family, c.v[i].label ? labels : NULL, (double)c.v[i].value);
    }
    metrics_free(&c);

    family(&b, "sdk_suppressed", "gauge", "1 while offers are suppressed (the service has no work for them).");
    sample(&b, "sdk_suppressed", NULL, sdk_service_is_suppressed(api->svc) ? 1 : 0);
    family(&b, "sdk_registered", "gauge", "1 once subscribed to a Mesos master.");
    sample(&b, "sdk_registered", NULL, sdk_service_registered(api->svc) ? 1 : 0);
    family(&b, "sdk_reconciliation_pending_tasks", "gauge", "Stored tasks whose reconciliation is not answered yet.");
    sample(&b, "sdk_reconciliation_pending_tasks", NULL, (double)sdk_service_reconciling(api->svc));

    size_t np = 0;
    sdk_plan *const *plans = sdk_service_plans(api->svc, &np);
    family(&b, "sdk_plan_status", "gauge",
           "Plan status as dcos-commons' plan_status gauge: -1 ERROR, 0 COMPLETE, 1 WAITING or PENDING, "
           "2 running; a DELAYED plan is left out.");
    for (size_t i = 0; i < np; i++) {
        int v;
        if (!plan_gauge(sdk_plan_status(plans[i]), &v)) continue;
        const char *labels[] = {"plan", plans[i]->name, NULL};
        sample(&b, "sdk_plan_status", labels, v);
    }
    family(&b, "sdk_plan_steps", "gauge", "Steps of each plan phase, by step status.");
    for (size_t i = 0; i < np; i++) {
        for (size_t k = 0; k < plans[i]->n_phases; k++) {
            sdk_phase *ph = plans[i]->phases[k];
            size_t count[N_STATUSES] = {0};
            for (size_t s = 0; s < ph->n_steps; s++) count[sdk_step_status(ph->steps[s])]++;
            for (int st = 0; st < N_STATUSES; st++) {
                if (!count[st]) continue;
                const char *labels[] = {"plan", plans[i]->name, "phase", ph->name,
                                        "status", sdk_status_name((sdk_status)st), NULL};
                sample(&b, "sdk_plan_steps", labels, (double)count[st]);
            }
        }
    }
    /* Stored tasks by pod type and latest task state: sorted by (pod type, state), then one
     * sample per run, so a scrape costs n log n in the number of tasks. */
    family(&b, "sdk_tasks", "gauge", "Stored tasks, by pod type and latest Mesos task state (NONE: no status yet).");
    const sdk_task_views *tv = sdk_service_task_views(api->svc);
    size_t n = tv ? tv->n : 0;
    task_key *keys = sdk_xcalloc(n ? n : 1, sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = (task_key){tv->v[i].pod_type ? tv->v[i].pod_type : "", task_state_label(&tv->v[i])};
    qsort(keys, n, sizeof *keys, task_key_cmp);
    for (size_t i = 0, run = 1; i < n; i++, run++) {
        if (i + 1 < n && !task_key_cmp(&keys[i], &keys[i + 1])) continue;
        const char *labels[] = {"pod_type", keys[i].pod_type, "state", keys[i].state, NULL};
        sample(&b, "sdk_tasks", labels, (double)run);
        run = 0;
    }
    free(keys);

    const sdk_service_metrics *sm = sdk_service_get_metrics(api->svc);
    family(&b, "sdk_offer_processing_seconds", "summary",
           "Wall-clock time spent on one batch of offers (quantiles over the last 1,024 batches).");
    const char *q50[] = {"quantile", "0.5", NULL}, *q99[] = {"quantile", "0.99", NULL};
    sample(&b, "sdk_offer_processing_seconds", q50, sdk_service_offer_ms_percentile(api->svc, 50) / 1000.0);
    sample(&b, "sdk_offer_processing_seconds", q99, sdk_service_offer_ms_percentile(api->svc, 99) / 1000.0);
    sample(&b, "sdk_offer_processing_seconds_sum", NULL, sm->offer_ms_total / 1000.0);
    sample(&b, "sdk_offer_processing_seconds_count", NULL, (double)sm->offer_batches);

    process_metrics(&b);
    size_t len = b.len;
    sdk_http_respond(req, sdk_http_response_take(200, PROM_CONTENT_TYPE, sdk_buf_take(&b), len));
}

const sdk_api_route sdk_api_metrics_routes[] = {
    {"GET", "/v1/metrics", h_metrics, 0},
    {"GET", "/v1/metrics/prometheus", h_metrics_prom, 0},
    {"GET", "/metrics", h_metrics_exposition, 0},
};
const size_t sdk_api_n_metrics_routes = sizeof sdk_api_metrics_routes / sizeof sdk_api_metrics_routes[0];
