#include "core/app/run.h"
#include "core/loop/curl_lib.h"
#include "core/mapping/mapping.h"
#include "core/mapping/task.h" /* sdk_mapping_scheduler_host_new */
#include "core/api/console.h"
#include "core/api/sdk_api.h"
#include "core/api/server.h"
#include "core/app/progress.h"
#include "core/events/events.h"
#include "core/events/planwatch.h"
#include <jansson.h>
#include "core/loop/loop.h"
#include "core/mesos/agent_files.h"
#include "core/mesos/client.h"
#include "core/service/service.h"
#include "core/spec/envfile.h"
#include "core/state/layout.h"
#include "core/state/store.h"
#include "core/state/store_zk.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Options applied by live updates are stored here and win over -o at later starts, so a
 * supervisor restart with the original command line never rolls an update back. */
#define UPDATE_OPTIONS_PROPERTY "update-options"

typedef struct runner {
    sdk_loop *loop;
    sdk_store *store;
    sdk_store_zk_stats zk_stats; /* with a zk:// state: its requests, for /v1/metrics */
    sdk_state *state;
    sdk_service *svc;
    sdk_mesos_client *client;
    sdk_http_server *http;
    sdk_api *api;
    sdk_events *events;      /* the operator event stream: terminal, log and /v1/events read it */
    sdk_plan_watch *watch;   /* plan changes -> events */
    sdk_progress *progress;  /* the terminal printer */
    sdk_agent_files *files;  /* agents' URLs (from offers) and sandbox reads */
    sdk_assembly *as;
    const sdk_assembly_input *in;
    sdk_kv *live;        /* options of accepted live updates, in order */
    size_t n_live;
    sdk_errors notes;    /* stored configuration set aside at start: logged, and on GET /v1/update */
    pid_t cluster_pid;   /* local cluster we started (stopped at exit); 0 otherwise */
    int exit_code;
    uint64_t continue_id; /* pending timer for the next round of held offers; 0 = none */
    uint64_t flush_id;    /* pending timer storing held statuses no offer cycle carried; 0 = none */
    uint64_t flush_at;    /* when it fires (sdk_loop_now_ms) */
    /* failing state writes (store_watch) */
    int store_retries;        /* recoveries allowed before exiting */
    int store_attempts;       /* recoveries tried since the last successful commit */
    uint64_t store_commits;   /* the store's commit count when the attempts started */
    uint64_t store_next_ms;   /* loop time of the next recovery */
} runner;

static int mkdir_p(const char *path) {
    char *p = sdk_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) && errno != EEXIST) { free(p); return -1; }
        *s = '/';
    }
    int rc = mkdir(p, 0755) && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

static bool port_answers(unsigned port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

static unsigned read_port(const char *file) {
    FILE *f = fopen(file, "r");
    if (!f) return 0;
    unsigned port = 0;
    if (fscanf(f, "%u", &port) != 1) port = 0;
    fclose(f);
    return port;
}

/* Starts bin/localcluster (next to this program) in DIR, or reuses one already serving it
 * (a scheduler restarted after a crash finds its cluster still running). */
static char *local_master(runner *r, const char *workdir, const sdk_args *a, const char *argv0) {
    int agents = a->agents;
    char *dir = sdk_asprintf_new("%s/cluster", workdir);
    char *portfile = sdk_asprintf_new("%s/port", dir);
    char *url = NULL;
    unsigned port = read_port(portfile);
    if (port && port_answers(port)) {
        url = sdk_asprintf_new("http://127.0.0.1:%u", port);
        printf("Using the local cluster already running at %s (work dir %s)\n", url, dir);
        if (a->secrets_dir || a->ignore_images || a->ignore_networks || a->ignore_uris || a->n_agent_resources)
            printf("Note: --secrets-dir, --ignore-images, --ignore-networks, --ignore-uris and --agent-resources apply "
                   "when the local cluster starts; stop it to change them\n");
        goto out;
    }
    if (mkdir_p(dir)) {
        fprintf(stderr, "scheduler: cannot create %s: %s\n", dir, strerror(errno));
        goto out;
    }
    unlink(portfile);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) snprintf(self, sizeof self, "%s", argv0);
    else self[n] = 0;
    char *bindir = sdk_xstrdup(dirname(self));
    char *lc = sdk_asprintf_new("%s/localcluster", bindir);
    free(bindir);
    if (access(lc, X_OK)) {
        fprintf(stderr, "scheduler: %s not found: build it with `make`, or give --master URL\n", lc);
        free(lc);
        goto out;
    }
    char *log = sdk_asprintf_new("%s/localcluster.log", dir);
    char agents_s[16];
    snprintf(agents_s, sizeof agents_s, "%d", agents > 0 ? agents : 3);
    pid_t pid = fork();
    if (pid == 0) {
        /* Its own session: Ctrl-C on the terminal goes to the scheduler, which stops it. And
         * the default signal mask (the scheduler blocks SIGINT/SIGTERM for its signalfd). */
        setsid();
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
        const char **av = sdk_xcalloc(16 + 2 * a->n_agent_resources, sizeof *av);
        size_t n = 0;
        const char *fixed[] = {lc, "--port", "0", "--workdir", dir, "--agents", agents_s};
        for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) av[n++] = fixed[i];
        for (size_t i = 0; i < a->n_agent_resources; i++) {
            av[n++] = "--agent-resources";
            av[n++] = a->agent_resources[i];
        }
        if (a->secrets_dir) {
            av[n++] = "--secrets-dir";
            av[n++] = a->secrets_dir;
        }
        if (a->ignore_images) av[n++] = "--ignore-images";
        if (a->ignore_networks) av[n++] = "--ignore-networks";
        if (a->ignore_uris) av[n++] = "--ignore-uris";
        execv(lc, (char *const *)av);
        _exit(127);
    }
    free(lc);
    if (pid < 0) {
        fprintf(stderr, "scheduler: cannot start the local cluster: %s\n", strerror(errno));
        free(log);
        goto out;
    }
    r->cluster_pid = pid;
    for (int i = 0; i < 200; i++) { /* up to 10 s */
        port = read_port(portfile);
        if (port && port_answers(port)) break;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            r->cluster_pid = 0;
            fprintf(stderr, "scheduler: the local cluster exited at start; see %s\n", log);
            free(log);
            goto out;
        }
        usleep(50000);
        port = 0;
    }
    if (!port) {
        fprintf(stderr, "scheduler: the local cluster did not start within 10 s; see %s\n", log);
        free(log);
        goto out;
    }
    url = sdk_asprintf_new("http://127.0.0.1:%u", port);
    printf("Started the local cluster at %s: %s agents, work dir %s, log %s\n", url, agents_s, dir, log);
    free(log);
out:
    free(dir);
    free(portfile);
    return url;
}

static void stop_cluster(runner *r) {
    if (!r->cluster_pid) return;
    kill(r->cluster_pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(r->cluster_pid, NULL, WNOHANG) == r->cluster_pid) { r->cluster_pid = 0; return; }
        usleep(50000);
    }
    kill(r->cluster_pid, SIGKILL);
    waitpid(r->cluster_pid, NULL, 0);
    r->cluster_pid = 0;
}

/* ---- client callbacks: everything goes to the service, then the terminal shows progress ---- */
/* Which plans the terminal follows: the deploy (or update) plan, recovery and decommission, and
 * a custom plan from the moment it runs (a plan nobody started is no news). */
static bool watched(sdk_plan *p, size_t i) {
    if (i == 0 || !strcmp(p->name, "recovery") || !strcmp(p->name, "decommission")) return true;
    sdk_status s = sdk_plan_status(p);
    return s != SDK_STATUS_PENDING && s != SDK_STATUS_COMPLETE && s != SDK_STATUS_WAITING;
}

static void show(runner *r) {
    size_t n = 0;
    sdk_plan *const *plans = sdk_service_plans(r->svc, &n);
    for (size_t i = 0; i < n; i++)
        if (watched(plans[i], i) || sdk_plan_watch_knows(r->watch, plans[i]->name))
            sdk_plan_watch_update(r->watch, plans[i]);
    if (sdk_service_uninstalled(r->svc)) {
        printf("Uninstall complete: tasks killed, volumes destroyed, reservations released, state wiped, "
               "framework removed\n");
        sdk_loop_stop(r->loop);
    }
}

static void cb_subscribed(void *ud, const char *fwid) {
    runner *r = ud;
    sdk_events_publish(r->events, SDK_EV_LEADER, "framework_id", fwid, NULL);
    sdk_service_drop_held_offers(r->svc, NULL); /* from an earlier subscription, if any */
    if (sdk_service_on_registered(r->svc, fwid)) {
        fprintf(stderr, "scheduler: cannot store the framework id; stopping without sending anything\n");
        r->exit_code = 1;
        sdk_loop_stop(r->loop);
    }
    show(r);
}
static void cb_offers(void *ud, const sdk_offer *offers, size_t n) {
    runner *r = ud;
    sdk_agent_files_note_offers(r->files, offers, n);
    sdk_service_on_offers(r->svc, offers, n);
}
static void cb_rescind(void *ud, const char *offer_id) {
    runner *r = ud;
    sdk_service_drop_held_offers(r->svc, offer_id);
}
static void cb_status(void *ud, const sdk_status_update *u) {
    runner *r = ud;
    sdk_service_on_status(r->svc, u);
}
static void cb_error(void *ud, const char *msg) {
    runner *r = ud;
    fprintf(stderr, "scheduler: the Mesos master ended this framework: %s\n"
                    "scheduler: stopping; the stored state is untouched\n", msg);
    r->exit_code = 3;
    sdk_loop_stop(r->loop);
}
/* A failed task's stderr tail for its task-output event, read through the agent's files API. */
static void read_stderr(void *ctx, const char *agent_id, const char *task_id, sdk_task_output_done done, void *arg) {
    sdk_agent_files_tail(ctx, agent_id, task_id, "stderr", 10, done, arg);
}

/* After each run of offers and updates (not after each one: the progress lines show where every
 * step got to, and a thousand-pod deploy would otherwise redraw its plan a few thousand times). */
static void schedule_continue(runner *r);

/* The next round of a batch of offers that hit the launch cap (the ACCEPTs of the previous round
 * went out in between). */
static void on_continue(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    runner *r = ud;
    r->continue_id = 0;
    sdk_service_continue_offers(r->svc);
    sdk_service_settle(r->svc);
    show(r);
    schedule_continue(r);
}

static void schedule_continue(runner *r) {
    if (sdk_service_offers_held(r->svc) && !r->continue_id)
        sdk_loop_timer_add(r->loop, 0, on_continue, r, &r->continue_id);
}

/* Statuses held for the next commit (sdk_service_group_statuses) that no offer cycle carried
 * are stored once the oldest is SDK_STATUS_GROUP_MAX_AGE_S old (SDK_STATUS_GROUP_IDLE_AGE_S
 * while offers are suppressed). */
static void schedule_status_flush(runner *r);
static void on_status_flush(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    runner *r = ud;
    r->flush_id = 0;
    schedule_status_flush(r);
}

static void schedule_status_flush(runner *r) {
    double age = sdk_service_is_suppressed(r->svc) ? SDK_STATUS_GROUP_IDLE_AGE_S : SDK_STATUS_GROUP_MAX_AGE_S;
    double due = sdk_service_flush_statuses_due(r->svc, age);
    uint64_t at = due >= 0 ? sdk_loop_now_ms(r->loop) + (uint64_t)(due * 1000) + 1 : 0;
    if (r->flush_id && (!at || at < r->flush_at)) { /* nothing held any more, or due sooner (suppressed) */
        sdk_loop_timer_cancel(r->loop, r->flush_id);
        r->flush_id = 0;
    }
    if (at && !r->flush_id) {
        r->flush_at = at;
        sdk_loop_timer_add(r->loop, at - sdk_loop_now_ms(r->loop), on_status_flush, r, &r->flush_id);
    }
}

static void cb_events_done(void *ud) {
    runner *r = ud;
    sdk_service_settle(r->svc);
    show(r);
    schedule_continue(r);
    schedule_status_flush(r);
}
static void cb_disconnected(void *ud, const char *reason) {
    runner *r = ud;
    sdk_service_drop_held_offers(r->svc, NULL); /* offers die with the subscription */
    SDK_WARN("scheduler", "disconnected from the Mesos master (%s); reconnecting", reason);
}

static void live_set(runner *r, const char *k, const char *v) {
    for (size_t i = 0; i < r->n_live; i++)
        if (!strcmp(r->live[i].key, k)) { free(r->live[i].value); r->live[i].value = sdk_xstrdup(v); return; }
    r->live = sdk_xrealloc(r->live, (r->n_live + 1) * sizeof *r->live);
    r->live[r->n_live].key = sdk_xstrdup(k);
    r->live[r->n_live++].value = sdk_xstrdup(v);
}

static int store_live(runner *r, sdk_errors *errs) {
    json_t *o = json_object();
    for (size_t i = 0; i < r->n_live; i++) json_object_set_new(o, r->live[i].key, json_string(r->live[i].value));
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    int rc = sdk_state_put_property(r->state, UPDATE_OPTIONS_PROPERTY, text, strlen(text), errs);
    free(text);
    return rc;
}

/* Reads the stored live-update options (a JSON object) into r->live. */
static int load_live(runner *r, sdk_errors *errs) {
    void *buf = NULL;
    size_t len = 0;
    int rc = sdk_state_property_get_new(r->state, UPDATE_OPTIONS_PROPERTY, &buf, &len, NULL);
    if (rc == SDK_ENOENT) return 0;
    if (rc) return rc;
    json_error_t je;
    json_t *o = json_loadb(buf, len, 0, &je);
    free(buf);
    if (!json_is_object(o)) {
        json_decref(o);
        sdk_errors_addf(errs, "Properties/%s: not a JSON object of options (%s); refusing to guess",
                        UPDATE_OPTIONS_PROPERTY, je.text);
        return SDK_ECORRUPT;
    }
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) if (json_is_string(v)) live_set(r, k, json_string_value(v));
    json_decref(o);
    return 0;
}

/* POST /v1/update */
static int on_update(void *ud, const sdk_kv *opts, size_t n, bool replace, bool *bad_input, sdk_errors *errs) {
    runner *r = ud;
    if (sdk_options_check_known(r->as, r->in, opts, n, "options of the update", errs)) { /* nothing stored */
        *bad_input = true;
        return SDK_EINVAL;
    }
    /* the new options on top of the ones already applied live (replace: instead of them) */
    size_t n_kept = replace ? 0 : r->n_live;
    sdk_kv *all = sdk_xcalloc(n_kept + n + 1, sizeof *all);
    if (n_kept) memcpy(all, r->live, n_kept * sizeof *all);
    if (n) memcpy(all + n_kept, opts, n * sizeof *all);
    sdk_spec *spec = NULL;
    size_t n_saved = 0;
    sdk_kv *saved = sdk_assembly_vars_dup(r->as, &n_saved);
    int rc = sdk_assembly_rebuild_new(r->as, r->in, all, n_kept + n, &spec, errs);
    free(all);
    if (rc) {
        *bad_input = true;
        for (size_t i = 0; i < n_saved; i++) { free(saved[i].key); free(saved[i].value); }
        free(saved);
        return SDK_EINVAL;
    }
    /* The options are stored BEFORE the new target: a crash in between restarts with them (and
     * validates them again), never silently with the old ones. A refused update restores them. */
    sdk_kv *before = sdk_xcalloc(r->n_live + 1, sizeof *before);
    size_t n_before = r->n_live;
    for (size_t i = 0; i < n_before; i++) {
        before[i].key = sdk_xstrdup(r->live[i].key);
        before[i].value = sdk_xstrdup(r->live[i].value);
    }
    if (replace) {
        for (size_t i = 0; i < r->n_live; i++) { free(r->live[i].key); free(r->live[i].value); }
        free(r->live);
        r->live = NULL;
        r->n_live = 0;
    }
    for (size_t i = 0; i < n; i++) live_set(r, opts[i].key, opts[i].value);
    rc = store_live(r, errs);
    if (!rc) rc = sdk_service_update_config(r->svc, spec, errs);
    else sdk_spec_free(spec);
    if (rc) {
        /* refused: the plugin goes back to the options the running configuration was made with */
        sdk_assembly_rollback(r->as, saved, n_saved);
        for (size_t i = 0; i < r->n_live; i++) { free(r->live[i].key); free(r->live[i].value); }
        free(r->live);
        r->live = before;
        r->n_live = n_before;
        if (store_live(r, NULL))
            SDK_ERROR("scheduler", "restoring the previous update options failed: a restart may render the refused ones");
        return rc;
    }
    for (size_t i = 0; i < n_before; i++) { free(before[i].key); free(before[i].value); }
    free(before);
    for (size_t i = 0; i < n_saved; i++) { free(saved[i].key); free(saved[i].value); }
    free(saved);
    printf("Configuration updated: %zu option(s) changed\n", n);
    show(r);
    return 0;
}

/* Cosmos describe: the user-provided options (-o of the command line, translated to variables,
 * then the accepted live updates) and the variables in force. */
static void cosmos_current(void *ud, sdk_kv **user, size_t *nu, sdk_kv **vars, size_t *nv) {
    runner *r = ud;
    sdk_kv *tr = NULL;
    size_t ntr = 0;
    sdk_errors e; /* cannot fail: the same overrides were translated at start */
    sdk_errors_init(&e);
    if (sdk_options_translate_new(r->as->options, r->in->overrides, r->in->n_overrides, &tr, &ntr, &e)) ntr = 0;
    sdk_errors_free(&e);
    *user = sdk_xcalloc(ntr + r->n_live + 1, sizeof **user);
    for (size_t i = 0; i < ntr; i++) (*user)[i] = tr[i]; /* taken */
    free(tr);
    for (size_t i = 0; i < r->n_live; i++) {
        (*user)[ntr + i].key = sdk_xstrdup(r->live[i].key);
        (*user)[ntr + i].value = sdk_xstrdup(r->live[i].value);
    }
    *nu = ntr + r->n_live;
    *vars = sdk_assembly_vars_dup(r->as, nv);
}

/* For the web console's variable list: only what the service reads (sdk_options_check_known's
 * rule), never the rest of the scheduler's environment. */
static bool console_var_used(void *ud, const char *name) {
    runner *r = ud;
    sdk_kv kv = {.key = (char *)name, .value = ""};
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_options_check_known(r->as, r->in, &kv, 1, "console", &e);
    sdk_errors_free(&e);
    return rc == 0;
}

/* Cosmos update dry run: the candidate of on_update's rebuild, then everything put back. */
static int cosmos_preview(void *ud, const sdk_kv *opts, size_t n, sdk_spec **cand, sdk_errors *errs) {
    runner *r = ud;
    sdk_kv *all = sdk_xcalloc(r->n_live + n + 1, sizeof *all);
    if (r->n_live) memcpy(all, r->live, r->n_live * sizeof *all);
    if (n) memcpy(all + r->n_live, opts, n * sizeof *all);
    size_t n_saved = 0;
    sdk_kv *saved = sdk_assembly_vars_dup(r->as, &n_saved);
    int rc = sdk_assembly_rebuild_new(r->as, r->in, all, r->n_live + n, cand, errs);
    free(all);
    if (rc) sdk_envfile_free(saved, n_saved);
    else sdk_assembly_rollback(r->as, saved, n_saved);
    return rc ? SDK_EINVAL : 0;
}

/* ZooKeeper session lost: nothing more may be sent (another scheduler may own the state now).
 * Exit non-zero and let the supervisor start us again; the state is consistent by design. */
static void on_state_lost(void *ud, const char *why) {
    runner *r = ud;
    fprintf(stderr, "scheduler: the ZooKeeper session holding the state was lost (%s): stopping at once; "
                    "a supervisor should start the scheduler again\n", why);
    r->exit_code = 4;
    if (r->client) sdk_mesos_client_stop(r->client);
    sdk_loop_stop(r->loop);
}

/* Failing state writes (a full disk, an I/O error, ZooKeeper unreachable): nothing the service
 * learns can be recorded, so nothing is acknowledged or launched (record before send) and
 * /v1/health says why. Recover with backoff (1 s, 2 s, 4 s ... 16 s); the failed work is
 * retried by its owners (Mesos resends unacknowledged updates, offers come again). The attempts
 * are only forgiven by a real successful commit, so a disk that passes the recovery probe but
 * still fails real writes also ends here: after store_retries attempts, exit 5 so a supervisor
 * restarts the scheduler (which reloads whatever is durable). */
#define STATE_EXIT_CODE 5
static void store_watch(runner *r) {
    sdk_store_health h;
    sdk_store_get_health(r->store, &h);
    uint64_t now = sdk_loop_now_ms(r->loop);
    if (r->store_attempts && sdk_store_commits(r->store) != r->store_commits) {
        printf("State writes work again (%s)\n", sdk_store_describe(r->store));
        r->store_attempts = 0;
    }
    if (!h.failing) {
        if (!r->store_attempts) r->store_next_ms = 0;
        return;
    }
    if (!r->store_attempts && !r->store_next_ms) {
        fprintf(stderr, "scheduler: state writes are failing: %s\n", h.why ? h.why : "?");
        r->store_next_ms = now + 1000;
    }
    if (now < r->store_next_ms) return;
    if (r->store_attempts >= r->store_retries) {
        fprintf(stderr, "scheduler: state writes have failed for %.0f s and %d recovery attempt(s): %s\n"
                        "scheduler: stopping (exit %d) so that a supervisor restarts the scheduler; "
                        "the stored state is what was last written successfully\n",
                h.failing_for_s, r->store_attempts, h.why ? h.why : "?", STATE_EXIT_CODE);
        r->exit_code = STATE_EXIT_CODE;
        if (r->client) sdk_mesos_client_stop(r->client);
        sdk_loop_stop(r->loop);
        return;
    }
    if (!r->store_attempts) r->store_commits = sdk_store_commits(r->store);
    r->store_attempts++;
    sdk_errors e;
    sdk_errors_init(&e);
    int rc = sdk_store_recover(r->store, &e);
    if (rc == 0)
        printf("State store accepts writes again (recovery %d of %d); waiting for a write to succeed\n",
               r->store_attempts, r->store_retries);
    else if (rc != SDK_ESTATE)
        fprintf(stderr, "scheduler: state recovery %d of %d failed: %s\n", r->store_attempts,
                r->store_retries, e.n ? e.msgs[0] : "?");
    sdk_errors_free(&e);
    uint64_t backoff = 1000u << (r->store_attempts < 5 ? r->store_attempts : 4);
    r->store_next_ms = now + (backoff > 16000 ? 16000 : backoff);
}

static void on_tick(sdk_loop *l, uint64_t id, void *ud) {
    (void)l;
    (void)id;
    runner *r = ud;
    store_watch(r);
    if (r->exit_code == STATE_EXIT_CODE) return;
    sdk_service_tick(r->svc);
    show(r);
    /* A big round of launches allocates and frees megabytes at once; hand the free pages back
     * (glibc keeps them otherwise, behind chunks still in use), so that a deployed service's
     * footprint is what it holds, not what its busiest second needed. */
    malloc_trim(0);
}

/* Runs the loop until the Mesos client has sent every pending call, for up to ms. */
static void drain_calls(runner *r, uint64_t ms) {
    uint64_t until = sdk_loop_now_ms(r->loop) + ms;
    while (sdk_mesos_client_pending_calls(r->client) && sdk_loop_now_ms(r->loop) < until)
        sdk_loop_run_once(r->loop, 50);
}

/* Posted once libcurl has loaded (sdk_curl_lib_when_loaded): subscribes to the master. A
 * failure stops the scheduler with status 1, as it did before the loop ran. */
static void start_client(sdk_loop *l, void *ud) {
    runner *r = ud;
    if (sdk_mesos_client_start(r->client)) {
        fprintf(stderr, "scheduler: cannot start the Mesos client\n");
        r->exit_code = 1;
        sdk_loop_stop(l);
    }
}

/* The first line of FILE, without surrounding blanks; refuses an unreadable or empty file. */
static int read_token(const char *file, char **out) {
    char *text = NULL;
    size_t len = 0;
    if (sdk_read_file_new(file, &text, &len)) {
        fprintf(stderr, "scheduler: --api-token: cannot read %s: %s\n", file, strerror(errno));
        return SDK_EIO;
    }
    char *p = text;
    while (*p == ' ' || *p == '\t') p++;
    size_t n = strcspn(p, "\r\n");
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (!n) {
        fprintf(stderr, "scheduler: --api-token: %s holds no token on its first line\n", file);
        free(text);
        return SDK_EINVAL;
    }
    *out = sdk_xstrndup(p, n);
    free(text);
    return 0;
}

int sdk_run(const sdk_args *a, sdk_assembly *as, const sdk_assembly_input *in, const char *argv0,
            sdk_loop *loop, sdk_live_backend *backend) {
    runner r;
    memset(&r, 0, sizeof r);
    sdk_errors_init(&r.notes);
    r.exit_code = 1;
    r.store_retries = a->state_retries_set ? a->state_retries : SDK_ARGS_STATE_RETRIES;
    sdk_errors errs;
    sdk_errors_init(&errs);
    const char *workdir = a->workdir ? a->workdir : "sdk-work";
    char *state_url = a->state ? sdk_xstrdup(a->state) : sdk_asprintf_new("file:%s/state", workdir);
    char *master = NULL;
    char **roles = NULL;
    size_t n_roles = 0;
    sdk_spec *spec = as->spec;
    as->spec = NULL;
    char *token = NULL;

    /* REST API credentials before anything starts: a bad file changes nothing. */
    if (a->api_token_file && read_token(a->api_token_file, &token)) goto out;
    const char *api_bind = a->api ? a->api : "127.0.0.1:8080";
    if (sdk_http_bind_check(api_bind, token != NULL, a->insecure_api, &errs)) {
        for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "scheduler: %s\n", errs.msgs[i]);
        goto out;
    }
    if (a->api_tls_cert && (access(a->api_tls_cert, R_OK) || access(a->api_tls_key, R_OK))) {
        const char *bad = access(a->api_tls_cert, R_OK) ? a->api_tls_cert : a->api_tls_key;
        fprintf(stderr, "scheduler: --api-tls: cannot read %s: %s\n", bad, strerror(errno));
        goto out;
    }
    if (a->api_tls_cert && !sdk_http_tls_supported()) {
        fprintf(stderr, "scheduler: --api-tls: this libmicrohttpd was built without TLS support\n");
        goto out;
    }

    if (mkdir_p(workdir)) {
        fprintf(stderr, "scheduler: cannot create the work dir %s: %s\n", workdir, strerror(errno));
        goto out;
    }
    /* State first: a second scheduler for the same state stops here, before touching anything. */
    r.loop = loop;
    int src;
    if (!strncmp(state_url, "zk://", 5)) {
        sdk_store_zk_options zo = {.service_name = spec->name, .loop = loop, .on_lost = on_state_lost,
                                   .on_lost_ud = &r, .stats = &r.zk_stats,
                                   .session_timeout_ms = a->zk_session_s * 1000,
                                   .reset_state = a->reset_state};
        src = sdk_store_zk_open(state_url, &zo, &r.store, &errs);
    } else {
        src = sdk_store_open_url_reset(state_url, a->reset_state, &r.store, &errs);
    }
    if (src || sdk_state_open_new(r.store, spec->name, &r.state, &errs) ||
        (!a->reset_state && sdk_state_check_complete(r.state, &errs))) {
        for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "scheduler: %s\n", errs.msgs[i]);
        goto out;
    }
    printf("State: %s\n", state_url);
    r.as = as;
    r.in = in;
    /* Options of earlier live updates win over the command line (see UPDATE_OPTIONS_PROPERTY). */
    if (load_live(&r, &errs)) {
        for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "scheduler: %s\n", errs.msgs[i]);
        goto out;
    }
    if (r.n_live) {
        sdk_spec *updated = NULL;
        sdk_errors bad;
        sdk_errors_init(&bad);
        if (sdk_assembly_rebuild_new(as, in, r.live, r.n_live, &updated, &bad)) {
            /* Stored by an older build, or no longer valid (a lowered limit, a changed plugin):
             * they never become the target. The service runs with the command line's
             * configuration, which is what they were last applied on top of, until an update
             * that validates replaces them. */
            for (size_t i = 0; i < bad.n; i++) {
                fprintf(stderr, "scheduler: stored update options set aside: %s\n", bad.msgs[i]);
                sdk_errors_addf(&r.notes, "stored update options set aside: %s", bad.msgs[i]);
            }
            sdk_errors_addf(&r.notes, "running with the command line's options; a valid POST /v1/update replaces "
                                      "the stored ones");
            for (size_t i = 0; i < r.n_live; i++) { free(r.live[i].key); free(r.live[i].value); }
            free(r.live);
            r.live = NULL;
            r.n_live = 0;
        } else {
            sdk_spec_free(spec);
            spec = updated;
            printf("Applied %zu option(s) from earlier live updates (they win over -o)\n", r.n_live);
        }
        sdk_errors_free(&bad);
    }
    master = a->master ? sdk_xstrdup(a->master) : local_master(&r, workdir, a, argv0);
    if (!master) goto out;

    sdk_loop_handle_signals(r.loop, NULL, NULL);
    if (backend) sdk_live_backend_attach_state(backend, r.state);

    char *service_role = sdk_spec_role_new(spec);
    roles = sdk_xcalloc(spec->n_pods + 1, sizeof *roles);
    roles[n_roles++] = service_role;
    for (size_t i = 0; i < spec->n_pods; i++) {
        char *pr = sdk_pod_role_new(spec, &spec->pods[i]);
        bool dup = false;
        for (size_t j = 0; j < n_roles && !dup; j++) dup = !strcmp(roles[j], pr);
        if (dup) free(pr);
        else roles[n_roles++] = pr;
    }
    void *fw = NULL;
    size_t fwlen = 0;
    char *fwid = NULL;
    if (sdk_state_framework_id_get_new(r.state, &fw, &fwlen, NULL) == 0) fwid = sdk_xstrndup(fw, fwlen);
    free(fw);
    sdk_mesos_client_options co = {
        .master = master, .name = spec->name, .user = spec->user, .principal = spec->principal,
        /* Our own local cluster needs no protection from frequent revives. */
        .revive_min_interval_ms = a->master ? 0 : 1000,
        .roles = (const char *const *)roles, .n_roles = n_roles, .framework_id = fwid, .webui_url = spec->web_url,
        /* dcos-commons FrameworkRunner: GPU_RESOURCES only when a pod asks for GPUs */
        .gpu_resources = sdk_mapping_uses_gpus(spec),
        .cb = {.ud = &r, .on_subscribed = cb_subscribed, .on_offers = cb_offers, .on_rescind = cb_rescind,
               .on_status = cb_status, .on_error = cb_error, .on_disconnected = cb_disconnected,
               .on_events_done = cb_events_done},
    };
    /* The event stream before anything can publish: the terminal shows it from the start. */
    r.events = sdk_events_new(0, NULL, NULL);
    r.watch = sdk_plan_watch_new(r.events);
    r.progress = sdk_progress_new(stdout, r.events);
    r.files = sdk_agent_files_new(r.loop);
    sdk_events_subscribe(r.events, sdk_events_log_cb, NULL);
    int rc = sdk_mesos_client_new(r.loop, &co, &r.client, &errs);
    free(fwid);
    if (rc) {
        for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "scheduler: %s\n", errs.msgs[i]);
        goto out;
    }
    sdk_service_options so0 = {0};
    if (sdk_service_policy_from_vars(&so0, as->vars, as->n_vars, &errs)) {
        for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "scheduler: %s\n", errs.msgs[i]);
        goto out;
    }
    sdk_service_options so = {
        .spec = spec, .state = r.state, .env = as->vars, .n_env = as->n_vars,
        .driver = sdk_mesos_client_driver(), .driver_ctx = r.client,
        /* The local cluster decides what it can run (it fails a task whose container it cannot
         * honour, naming the field, or runs it on the host with --ignore-images): the scheduler
         * sends the image, as to any Mesos master. */
        .backend = {.name = a->master ? NULL : "the local cluster"},
        .uninstall = a->uninstall,
        .backoff = so0.backoff,
        .permanent_failure_timeout_s = so0.permanent_failure_timeout_s,
        .events = r.events, .read_stderr = read_stderr, .read_stderr_ctx = r.files,
    };
    so.plugin = as->inst;
    spec = NULL; /* taken by the service, even on failure */
    if (sdk_service_new(&so, &r.svc, &errs)) {
        for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "scheduler: %s\n", errs.msgs[i]);
        goto out;
    }
    const sdk_errors *set_aside = sdk_service_start_notes(r.svc);
    for (size_t i = 0; i < set_aside->n; i++) {
        fprintf(stderr, "scheduler: %s\n", set_aside->msgs[i]);
        sdk_errors_addf(&r.notes, "%s", set_aside->msgs[i]);
    }
    sdk_service_defer_interest(r.svc, true); /* settled once per run of Mesos events */
    sdk_service_group_statuses(r.svc, true); /* their writes join the next offer cycle's commit */
    sdk_service_hold_offers(r.svc, true);    /* capped rounds continue from a 0 ms timer */
    if (backend) sdk_live_backend_attach_service(backend, r.svc);
    /* the names clients use: --api-host, and the one tasks and the fetcher are given */
    char *sched_host = sdk_mapping_scheduler_host_new(sdk_service_target_spec(r.svc)->name, as->vars, as->n_vars);
    const char **hosts = sdk_xcalloc(a->n_api_hosts + 2, sizeof *hosts);
    if (a->n_api_hosts) memcpy(hosts, a->api_hosts, a->n_api_hosts * sizeof *hosts);
    hosts[a->n_api_hosts] = sched_host;
    sdk_http_server_opts ho = {.bind = api_bind, .token = token, .insecure = a->insecure_api,
                               .allowed_hosts = hosts,
                               .tls_cert_file = a->api_tls_cert, .tls_key_file = a->api_tls_key,
                               .open_path = sdk_console_open_path};
    const sdk_plugin_descriptor *pd = as->inst ? sdk_plugin_instance_descriptor(as->inst) : NULL;
    sdk_api_cosmos cosmos = {.options = as->options, .package_name = sdk_service_target_spec(r.svc)->name,
                             .package_version = pd ? pd->version : NULL, .current = cosmos_current,
                             .preview = cosmos_preview, .var_used = console_var_used};
    sdk_api_options ao = {.service = r.svc, .state = r.state, .plugin = as->inst, .update = on_update,
                          .cosmos = &cosmos,
                          .zk_stats = !strncmp(state_url, "zk://", 5) ? &r.zk_stats : NULL,
                          .events = r.events, .loop = r.loop, .agents = r.files,
                          .master_url = master, .state_url = state_url,
                          .update_ud = &r, .start_notes = &r.notes};
    int hrc = sdk_http_server_new(r.loop, &ho, &errs, &r.http); /* it copies the names */
    free(hosts);
    free(sched_host);
    if (hrc || sdk_api_new(r.http, &ao, &r.api, &errs)) {
        for (size_t i = 0; i < errs.n; i++) fprintf(stderr, "scheduler: REST API on %s: %s\n", ho.bind, errs.msgs[i]);
        fprintf(stderr, "scheduler: choose another address with --api 127.0.0.1:PORT (port 0 picks a free one)\n");
        goto out;
    }
    const char *scheme = a->api_tls_cert ? "https" : "http";
    printf("REST API: %s://127.0.0.1:%u  (e.g. curl %s%s://127.0.0.1:%u/v1/plans/deploy)%s\n", scheme,
           sdk_http_server_port(r.http), token ? "-H 'Authorization: Bearer ...' " : "", scheme,
           sdk_http_server_port(r.http), token ? "; every request needs the token" : "");
    printf("Console: %s://127.0.0.1:%u/  (open it in a browser)\n", scheme, sdk_http_server_port(r.http));
    printf("%s %s on %s (Ctrl-C stops the scheduler)\n", a->uninstall ? "Uninstalling" : "Deploying",
           sdk_service_target_spec(r.svc)->name, master);
    show(&r);
    uint64_t tick_id = 0;
    sdk_loop_timer_every(r.loop, 1000, on_tick, &r, &tick_id);
    r.exit_code = 0;
    /* The Mesos client starts once libcurl has loaded (main.c loads it on a thread while the
     * spec, state and plans are made): the REST API answers from the first loop iteration. */
    sdk_curl_lib_when_loaded(r.loop, start_client, &r);
    sdk_loop_run(r.loop);
    if (r.svc && sdk_service_uninstalled(r.svc)) /* let the TEARDOWN (and any call before it) go out */
        drain_calls(&r, 5000);
    if (r.svc && r.exit_code == 0 && !sdk_service_uninstalled(r.svc)) {
        /* A clean stop stores the statuses still held and lets their acknowledgements go out
         * (up to 1 s), so the next start is not sent them all again. */
        sdk_service_group_statuses(r.svc, false);
        drain_calls(&r, 1000);
    }
    if (r.exit_code == 0 && !(r.svc && sdk_service_uninstalled(r.svc)))
        printf("\nStopping: the service keeps its state in %s\n", state_url);

out:
    if (r.http) sdk_http_server_free(r.http); /* before the routes' owner */
    sdk_api_free(r.api);
    if (r.client) sdk_mesos_client_stop(r.client);
    if (r.client) sdk_mesos_client_free(r.client);
    if (backend) {
        sdk_live_backend_attach_service(backend, NULL);
        sdk_live_backend_attach_state(backend, NULL);
    }
    sdk_service_free(r.svc);
    sdk_agent_files_free(r.files); /* its pending reads publish their last events first */
    sdk_progress_free(r.progress);
    sdk_plan_watch_free(r.watch);
    sdk_events_free(r.events);
    stop_cluster(&r);
    sdk_state_free(r.state);
    if (r.store) sdk_store_close(r.store);
    sdk_spec_free(spec);
    for (size_t i = 0; i < r.n_live; i++) { free(r.live[i].key); free(r.live[i].value); }
    free(r.live);
    sdk_errors_free(&r.notes);
    for (size_t i = 0; i < n_roles; i++) free(roles[i]);
    free(roles);
    free(master);
    free(state_url);
    free(token);
    sdk_errors_free(&errs);
    return r.exit_code;
}
