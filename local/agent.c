#include <arpa/inet.h>
/* The agents' side: default-executor semantics (mesos-v1-protocol.md §6.2, §6.3).
 *
 * Executors are sandboxes plus charged resources; each task is a process group led by its
 * supervisor (local/launch.h), which sets up the container (local/container.c) and runs
 * `/bin/sh -c <command>` (or argv when shell=false) in the task's sandbox; the supervisor is
 * watched through a pidfd and its status pipe on the loop (never a blocking wait, except to
 * reap a child just sent SIGKILL). TASK_RUNNING is sent when the supervisor reports the
 * command started; a launch failure it reports ends the task TASK_FAILED.
 * In --simulate-tasks mode no process exists: STARTING then RUNNING at once, checks pass,
 * kills finish immediately as TASK_KILLED, and no sandbox or volume directory is made.
 *
 * Status updates: every executor update gets a random uuid and joins the task's queue; only
 * the head is forwarded, retried 10 s doubling to 10 min, and popped by an ACK carrying its
 * uuid. The task record is removed when its terminal update is acknowledged. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util/log.h"
#include "core/util/str.h"
#include "core/util/uuid.h"
#include "local/launch.h"
#include "local/lc.h"

#define MOD "localcluster"
#define MAX_RETRY_MS (600u * 1000u)

static void *pb_new(const ProtobufCMessageDescriptor *d) {
    void *m = sdk_xmalloc(d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

typedef struct {
    ProtobufCMessage base;
    char *value;
} pb_id;

static void *id_new(const ProtobufCMessageDescriptor *d, const char *v) {
    pb_id *x = pb_new(d);
    x->value = sdk_xstrdup(v);
    return x;
}

bool lc_state_is_terminal(int s) {
    switch (s) {
    case MESOS__V1__TASK_STATE__TASK_FINISHED:
    case MESOS__V1__TASK_STATE__TASK_FAILED:
    case MESOS__V1__TASK_STATE__TASK_KILLED:
    case MESOS__V1__TASK_STATE__TASK_ERROR:
    case MESOS__V1__TASK_STATE__TASK_LOST:
    case MESOS__V1__TASK_STATE__TASK_DROPPED:
    case MESOS__V1__TASK_STATE__TASK_GONE:
    case MESOS__V1__TASK_STATE__TASK_GONE_BY_OPERATOR:
        return true;
    default:
        return false;
    }
}

/* ------------------------------------------------------------------ task index */

static size_t hash_key(const char *fw, const char *task) {
    size_t h = 1469598103934665603ull;
    for (const char *p = fw; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 1) * 1099511628211ull;
    for (const char *p = task; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

static void index_grow(lc_cluster *c) {
    size_t nb = c->n_buckets ? c->n_buckets * 2 : 256;
    lc_task **v = sdk_xcalloc(nb, sizeof *v);
    for (size_t i = 0; i < c->n_buckets; i++)
        for (lc_task *t = c->task_index[i], *n; t; t = n) {
            n = t->hnext;
            size_t b = hash_key(t->fw_id, t->id) % nb;
            t->hnext = v[b];
            v[b] = t;
        }
    free(c->task_index);
    c->task_index = v;
    c->n_buckets = nb;
}

lc_task *lc_task_find(lc_cluster *c, const char *fw_id, const char *task_id) {
    if (!c->n_buckets || !fw_id || !task_id) return NULL;
    for (lc_task *t = c->task_index[hash_key(fw_id, task_id) % c->n_buckets]; t; t = t->hnext)
        if (!strcmp(t->id, task_id) && !strcmp(t->fw_id, fw_id)) return t;
    return NULL;
}

static void index_add(lc_cluster *c, lc_task *t) {
    if (c->n_tasks + 1 > c->n_buckets * 2) index_grow(c);
    size_t b = hash_key(t->fw_id, t->id) % c->n_buckets;
    t->hnext = c->task_index[b];
    c->task_index[b] = t;
    c->n_tasks++;
}

static void index_del(lc_cluster *c, lc_task *t) {
    for (lc_task **pp = &c->task_index[hash_key(t->fw_id, t->id) % c->n_buckets]; *pp; pp = &(*pp)->hnext)
        if (*pp == t) {
            *pp = t->hnext;
            c->n_tasks--;
            return;
        }
}

/* ------------------------------------------------------------------ executors */

lc_executor *lc_executor_find(lc_cluster *c, const char *fw_id, const lc_agent *a, const char *ex_id) {
    (void)c;
    for (lc_executor *e = a->executors; e; e = e->next)
        if (!e->exited && !strcmp(e->id, ex_id) && !strcmp(e->fw_id, fw_id)) return e;
    return NULL;
}

static void link_volumes(lc_cluster *c, const sdk_resources *res, const char *dir) {
    for (size_t i = 0; i < res->n; i++) {
        const sdk_resource *r = &res->v[i];
        if (!r->persistence_id || !r->volume_container_path) continue;
        char *target = lc_volume_path_new(c, r);
        lc_mkdirs(target);
        char *link = sdk_asprintf_new("%s/%s", dir, r->volume_container_path);
        char *parent = sdk_xstrdup(link);
        char *slash = strrchr(parent, '/');
        if (slash) {
            *slash = 0;
            lc_mkdirs(parent);
        }
        unlink(link);
        if (symlink(target, link) != 0) SDK_WARN(MOD, "cannot link volume %s at %s: %s", target, link, strerror(errno));
        free(parent);
        free(link);
        free(target);
    }
}

lc_executor *lc_executor_new(lc_cluster *c, lc_framework *fw, lc_agent *a, const Mesos__V1__ExecutorInfo *ei,
                             const sdk_resources *res) {
    lc_executor *e = sdk_xcalloc(1, sizeof *e);
    e->c = c;
    e->id = sdk_xstrdup(ei->executor_id->value);
    e->fw_id = sdk_xstrdup(fw->id);
    e->agent = a;
    e->info_len = protobuf_c_message_get_packed_size(&ei->base);
    e->info_bytes = sdk_xmalloc(e->info_len + 1);
    protobuf_c_message_pack(&ei->base, e->info_bytes);
    sdk_resources_copy(&e->res, res);
    sdk_resources_add_all(&a->used, res);
    lc_agent_free_take(a, res);
    char uuid[SDK_UUID_STRLEN + 1];
    sdk_uuid_generate(uuid);
    e->container_id = sdk_xstrdup(uuid);
    e->sandbox = sdk_asprintf_new("%s/slaves/%s/frameworks/%s/executors/%s/runs/%s", c->opt.workdir, a->id, fw->id,
                                  e->id, e->container_id);
    if (!c->opt.simulate) {
        lc_mkdirs(e->sandbox);
        link_volumes(c, res, e->sandbox);
    }
    e->next = a->executors;
    a->executors = e;
    return e;
}

static void executor_unref(lc_executor *e) {
    if (--e->refs > 0 || !e->exited) return;
    free(e->id);
    free(e->fw_id);
    free(e->info_bytes);
    sdk_resources_free(&e->res);
    free(e->sandbox);
    free(e->container_id);
    free(e);
}

/* The executor has no live task left: it exits, its resources return, FAILURE is sent. */
static void executor_exit(lc_executor *e, int wait_status, bool notify) {
    lc_cluster *c = e->c;
    if (e->exited) return;
    e->exited = true;
    for (size_t i = 0; i < e->res.n; i++) sdk_resources_subtract(&e->agent->used, &e->res.v[i]);
    lc_agent_free_give(e->agent, &e->res);
    for (lc_executor **pp = &e->agent->executors; *pp; pp = &(*pp)->next)
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    if (notify) lc_send_failure(c, e->fw_id, e->agent->id, e->id, wait_status);
    lc_allocate_agent_soon(c, e->agent);
    e->refs++;
    executor_unref(e);
}

/* ------------------------------------------------------------------ status updates */

static void check_status_fill(const lc_task *t, Mesos__V1__TaskStatus *s) {
    if (!t->has_check) return;
    Mesos__V1__CheckStatusInfo *cs = pb_new(&mesos__v1__check_status_info__descriptor);
    cs->has_type = true;
    cs->type = MESOS__V1__CHECK_INFO__TYPE__COMMAND;
    cs->command = pb_new(&mesos__v1__check_status_info__command__descriptor);
    if (t->check.has_result && !t->check.result_timed_out) {
        cs->command->has_exit_code = true;
        cs->command->exit_code = t->check.exit_code;
    }
    s->check_status = cs;
}

static void forward_head(lc_task *t);

static void on_retry(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_task *t = ud;
    t->retry_timer = 0;
    t->retry_ms = t->retry_ms * 2 > MAX_RETRY_MS ? MAX_RETRY_MS : t->retry_ms * 2;
    forward_head(t);
}

static void forward_head(lc_task *t) {
    if (!t->updates) return;
    lc_framework *fw = lc_framework_find(t->c, t->fw_id);
    if (fw) lc_send_status(fw, t->updates->status);
    t->forwarded_state = t->updates->status->state;
    if (t->retry_timer) sdk_loop_timer_cancel(t->c->loop, t->retry_timer);
    sdk_loop_timer_add(t->c->loop, t->retry_ms, on_retry, t, &t->retry_timer);
}

static void task_release_q(lc_task *t, bool notify) {
    if (t->terminal_released) return;
    t->terminal_released = true;
    for (size_t i = 0; i < t->res.n; i++) sdk_resources_subtract(&t->agent->used, &t->res.v[i]);
    lc_agent_free_give(t->agent, &t->res);
    if (--t->ex->live_tasks == 0) executor_exit(t->ex, 0, notify);
    lc_allocate_agent_soon(t->c, t->agent);
}

static void task_release(lc_task *t) { task_release_q(t, true); }

static void task_free(lc_task *t) {
    lc_cluster *c = t->c;
    lc_files_task_gone(t);
    if (t->retry_timer) sdk_loop_timer_cancel(c->loop, t->retry_timer);
    if (t->kill_timer) sdk_loop_timer_cancel(c->loop, t->kill_timer);
    if (t->max_timer) sdk_loop_timer_cancel(c->loop, t->max_timer);
    index_del(c, t);
    if (t->prev) t->prev->next = t->next;
    else c->tasks = t->next;
    if (t->next) t->next->prev = t->prev;
    for (lc_update *u = t->updates, *n; u; u = n) {
        n = u->next;
        protobuf_c_message_free_unpacked(&u->status->base, NULL);
        free(u);
    }
    protobuf_c_message_free_unpacked(&t->info->base, NULL);
    sdk_resources_free(&t->res);
    free(t->health.cmd);
    free(t->check.cmd);
    free(t->id);
    free(t->fw_id);
    free(t->role);
    if (t->status_fd >= 0) {
        sdk_loop_unwatch_fd(c->loop, t->status_fd);
        close(t->status_fd);
    }
    free(t->launch_error);
    free(t->sandbox);
    free(t->container_id);
    executor_unref(t->ex);
    free(t);
}

static void group_done(lc_cluster *c, pid_t pid);

static void stop_check(lc_check *k, lc_cluster *c) {
    if (k->timer) sdk_loop_timer_cancel(c->loop, k->timer);
    if (k->timeout_timer) sdk_loop_timer_cancel(c->loop, k->timeout_timer);
    k->timer = k->timeout_timer = 0;
    if (k->pid > 0) {
        kill(-k->pid, SIGKILL);
        sdk_loop_unwatch_fd(c->loop, k->pidfd);
        close(k->pidfd);
        waitpid(k->pid, NULL, 0);
        group_done(c, k->pid);
        k->pid = 0;
    }
}

/* An agent- or executor-sourced update (with uuid). healthy: -1 unset, 0/1. */
/* The address of the agent's "container": its hostname when that is an IPv4 address (agents are
 * 127.0.0.N by default), else loopback. Schedulers read it from TaskStatus (replace_address). */
const char *lc_agent_ip(const lc_agent *a) {
    struct in_addr in;
    return a->hostname && inet_pton(AF_INET, a->hostname, &in) == 1 ? a->hostname : "127.0.0.1";
}

static void task_update_from(lc_task *t, int source, int state, int reason, const char *msg, int healthy) {
    Mesos__V1__TaskStatus *s = lc_status_new(t->id, state, source, reason, msg, t->agent->id);
    s->executor_id = id_new(&mesos__v1__executor_id__descriptor, t->ex->id);
    s->has_uuid = true;
    s->uuid.len = 16;
    s->uuid.data = sdk_xmalloc(16);
    sdk_random_bytes(s->uuid.data, 16);
    if (healthy >= 0) {
        s->has_healthy = true;
        s->healthy = healthy == 1;
        t->healthy = healthy;
    }
    check_status_fill(t, s);
    s->container_status = pb_new(&mesos__v1__container_status__descriptor);
    s->container_status->container_id = id_new(&mesos__v1__container_id__descriptor, t->container_id);
    s->container_status->container_id->parent = id_new(&mesos__v1__container_id__descriptor, t->ex->container_id);
    if (state == MESOS__V1__TASK_STATE__TASK_RUNNING || state == MESOS__V1__TASK_STATE__TASK_STARTING) {
        Mesos__V1__NetworkInfo *ni = pb_new(&mesos__v1__network_info__descriptor);
        Mesos__V1__NetworkInfo__IPAddress *ip = pb_new(&mesos__v1__network_info__ipaddress__descriptor);
        ip->ip_address = sdk_xstrdup(lc_agent_ip(t->agent));
        ni->n_ip_addresses = 1;
        ni->ip_addresses = sdk_xcalloc(1, sizeof *ni->ip_addresses);
        ni->ip_addresses[0] = ip;
        s->container_status->n_network_infos = 1;
        s->container_status->network_infos = sdk_xcalloc(1, sizeof *s->container_status->network_infos);
        s->container_status->network_infos[0] = ni;
    }
    lc_update *u = sdk_xcalloc(1, sizeof *u);
    u->status = s;
    bool was_empty = t->updates == NULL;
    if (t->updates_tail) t->updates_tail->next = u;
    else t->updates = u;
    t->updates_tail = u;
    t->state = state;
    if (lc_state_is_terminal(state)) {
        stop_check(&t->health, t->c);
        stop_check(&t->check, t->c);
        if (t->kill_timer) sdk_loop_timer_cancel(t->c->loop, t->kill_timer);
        if (t->max_timer) sdk_loop_timer_cancel(t->c->loop, t->max_timer);
        t->kill_timer = t->max_timer = 0;
        task_release(t);
    }
    if (was_empty) {
        t->retry_ms = t->c->opt.retry_ms;
        forward_head(t);
    }
}

static void task_update(lc_task *t, int state, int reason, const char *msg, int healthy) {
    task_update_from(t, MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR, state, reason, msg, healthy);
}

bool lc_task_ack(lc_task *t, const uint8_t *uuid) {
    lc_update *h = t->updates;
    if (!h || memcmp(h->status->uuid.data, uuid, 16) != 0) return false;
    t->updates = h->next;
    if (!t->updates) t->updates_tail = NULL;
    bool terminal = lc_state_is_terminal(h->status->state);
    protobuf_c_message_free_unpacked(&h->status->base, NULL);
    free(h);
    if (t->retry_timer) sdk_loop_timer_cancel(t->c->loop, t->retry_timer);
    t->retry_timer = 0;
    if (t->updates) {
        t->retry_ms = t->c->opt.retry_ms;
        forward_head(t);
    } else if (terminal) task_free(t);
    return true;
}

void lc_resend_updates(lc_cluster *c, lc_framework *fw) {
    for (lc_task *t = c->tasks; t; t = t->next)
        if (t->updates && !strcmp(t->fw_id, fw->id)) {
            t->retry_ms = c->opt.retry_ms;
            forward_head(t);
        }
}

/* ------------------------------------------------------------------ processes */

/* Starts a supervisor (local/launch.h) running cmd for t: the task itself when setup (its
 * container is set up, stdout/stderr in the sandbox, a status pipe in *status_fd), else a check
 * (output discarded, status_fd NULL). Returns the supervisor's pid (its process group) and a
 * pidfd, or -1 with *msg (new string) saying why the task cannot be launched. */
static pid_t spawn(lc_task *t, const Mesos__V1__CommandInfo *cmd, bool setup, int *pidfd, int *status_fd, char **msg) {
    lc_launch_spec spec;
    *msg = NULL;
    if (lc_container_spec(t, cmd, setup ? "stdout" : NULL, setup, &spec, msg) != 0) return -1;
    int sp[2] = {-1, -1};
    if (status_fd && pipe2(sp, O_CLOEXEC | O_NONBLOCK) != 0) {
        lc_launch_spec_free(&spec);
        *msg = sdk_asprintf_new("cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = lc_launch(&spec, sp[1], pidfd);
    lc_launch_spec_free(&spec);
    if (sp[1] >= 0) close(sp[1]);
    if (pid < 0) {
        if (sp[0] >= 0) close(sp[0]);
        *msg = sdk_xstrdup("Failed to launch the task process");
        return -1;
    }
    lc_procs_add(t->c, pid);
    if (status_fd) *status_fd = sp[0];
    return pid;
}

/* Kills what is left of a reaped supervisor's process group and forgets its record. */
static void group_done(lc_cluster *c, pid_t pid) {
    kill(-pid, SIGKILL);
    lc_procs_remove(c, pid);
}

static void group_policy(lc_task *t) {
    for (lc_task *s = t->c->tasks; s; s = s->next)
        if (s != t && s->group == t->group && !lc_state_is_terminal(s->state) && !s->killing) lc_task_kill(s, 3000, -1);
}

static void setup_checks(lc_task *t);

static void status_close(lc_task *t) {
    if (t->status_fd < 0) return;
    sdk_loop_unwatch_fd(t->c->loop, t->status_fd);
    close(t->status_fd);
    t->status_fd = -1;
}

/* Reads what the supervisor reported so far (local/launch.h): "R" -> TASK_RUNNING once the
 * command runs (and its checks start), "E <message>" -> the launch failed (reported when the
 * supervisor exits). Both are single writes shorter than PIPE_BUF, so they arrive whole. */
static void status_drain(lc_task *t) {
    char buf[4097];
    while (t->status_fd >= 0) {
        ssize_t n = read(t->status_fd, buf, sizeof buf - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            status_close(t);
            return;
        }
        buf[n] = 0;
        for (char *line = buf, *nl; *line; line = nl) {
            nl = line + strcspn(line, "\n");
            if (*nl) *nl++ = 0;
            if (line[0] == 'R' && !t->running_sent) {
                t->running_sent = true;
                t->cmd_pid = (pid_t)atoi(line + 1);
                if (!t->killing && !lc_state_is_terminal(t->state)) {
                    task_update(t, MESOS__V1__TASK_STATE__TASK_RUNNING, -1, NULL, -1);
                    setup_checks(t);
                }
            } else if (line[0] == 'E' && line[1] == ' ') {
                free(t->launch_error);
                t->launch_error = sdk_xstrdup(line + 2);
            }
        }
    }
}

static void on_status(sdk_loop *l, int fd, int events, void *ud) {
    (void)l, (void)fd, (void)events;
    status_drain(ud);
}

static void on_task_exit(sdk_loop *l, int fd, int events, void *ud) {
    (void)events;
    lc_task *t = ud;
    int st = 0;
    pid_t r = waitpid(t->pid, &st, WNOHANG);
    if (r == 0) return;
    sdk_loop_unwatch_fd(l, fd);
    close(fd);
    t->pid = 0;
    t->pidfd = -1;
    status_drain(t); /* the supervisor is gone: everything it wrote is there, then EOF */
    t->cmd_pid = 0;
    status_close(t);
    int state, reason = -1, healthy = -1;
    char *msg = NULL;
    if (t->launch_error && !t->killing && !t->max_time_killed) {
        /* as a Mesos agent whose containerizer failed to launch the container */
        state = MESOS__V1__TASK_STATE__TASK_FAILED;
        reason = MESOS__V1__TASK_STATUS__REASON__REASON_CONTAINER_LAUNCH_FAILED;
        msg = sdk_asprintf_new("Failed to launch container: %s", t->launch_error);
        SDK_WARN(MOD, "task %s: %s", t->id, msg);
    } else if (t->max_time_killed) {
        state = MESOS__V1__TASK_STATE__TASK_FAILED;
        reason = MESOS__V1__TASK_STATUS__REASON__REASON_MAX_COMPLETION_TIME_REACHED;
        msg = sdk_xstrdup("Task exceeded its maximum completion time");
    } else if (t->killing) {
        state = MESOS__V1__TASK_STATE__TASK_KILLED;
        reason = t->kill_reason;
        msg = sdk_xstrdup(t->health_killed ? "Task was killed since health check failed" : "Command terminated with signal");
        if (t->health_killed) healthy = 0;
        if (t->agent->draining && t->agent->drain_mark_gone) state = MESOS__V1__TASK_STATE__TASK_GONE_BY_OPERATOR;
    } else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        state = MESOS__V1__TASK_STATE__TASK_FINISHED;
        msg = sdk_xstrdup("Command exited with status 0");
    } else {
        state = MESOS__V1__TASK_STATE__TASK_FAILED;
        msg = WIFEXITED(st) ? sdk_asprintf_new("Command exited with status %d", WEXITSTATUS(st))
                            : sdk_asprintf_new("Command terminated with signal %s", strsignal(WTERMSIG(st)));
    }
    group_done(t->c, r); /* leftovers of the group */
    task_update(t, state, reason, msg, healthy);
    free(msg);
    if (state == MESOS__V1__TASK_STATE__TASK_FAILED || state == MESOS__V1__TASK_STATE__TASK_KILLED) group_policy(t);
}

/* ------------------------------------------------------------------ checks */

static void schedule_check(lc_check *k, uint64_t delay);

static void check_result(lc_check *k, bool ok, bool timed_out, int code) {
    lc_task *t = k->task;
    lc_cluster *c = t->c;
    if (t->killing || lc_state_is_terminal(t->state)) return;
    if (!k->health) {
        bool changed = !k->has_result || k->result_timed_out != timed_out || (!timed_out && k->exit_code != code);
        k->has_result = true;
        k->result_timed_out = timed_out;
        k->exit_code = code;
        if (changed)
            task_update(t, MESOS__V1__TASK_STATE__TASK_RUNNING, MESOS__V1__TASK_STATUS__REASON__REASON_TASK_CHECK_STATUS_UPDATED,
                        NULL, t->healthy);
    } else if (ok) {
        k->failures = 0;
        k->seen_success = true;
        if (k->last_health != 1) {
            k->last_health = 1;
            task_update(t, MESOS__V1__TASK_STATE__TASK_RUNNING,
                        MESOS__V1__TASK_STATUS__REASON__REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, NULL, 1);
        }
    } else {
        uint64_t now = sdk_loop_now_ms(c->loop);
        if (!k->seen_success && now - k->started_ms < k->grace_ms) goto next;
        k->failures++;
        k->last_health = 0;
        task_update(t, MESOS__V1__TASK_STATE__TASK_RUNNING,
                    MESOS__V1__TASK_STATUS__REASON__REASON_TASK_HEALTH_CHECK_STATUS_UPDATED,
                    timed_out ? "Health check timed out" : "Health check failed", 0);
        if (k->failures >= k->max_failures) {
            SDK_INFO(MOD, "task %s: %u consecutive failed health checks: killing it", t->id, k->failures);
            t->health_killed = true;
            lc_task_kill(t, -1, -1);
            return;
        }
    }
next:
    schedule_check(k, k->interval_ms);
}

static void on_check_exit(sdk_loop *l, int fd, int events, void *ud) {
    (void)events;
    lc_check *k = ud;
    int st = 0;
    if (waitpid(k->pid, &st, WNOHANG) == 0) return;
    sdk_loop_unwatch_fd(l, fd);
    close(fd);
    group_done(k->task->c, k->pid);
    k->pid = 0;
    if (k->timeout_timer) sdk_loop_timer_cancel(l, k->timeout_timer);
    k->timeout_timer = 0;
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    check_result(k, code == 0, false, code);
}

static void on_check_timeout(sdk_loop *l, uint64_t id, void *ud) {
    (void)id;
    lc_check *k = ud;
    k->timeout_timer = 0;
    if (k->pid > 0) {
        kill(-k->pid, SIGKILL);
        sdk_loop_unwatch_fd(l, k->pidfd);
        close(k->pidfd);
        waitpid(k->pid, NULL, 0);
        group_done(k->task->c, k->pid);
        k->pid = 0;
    }
    check_result(k, false, true, -1);
}

static void on_check_timer(sdk_loop *l, uint64_t id, void *ud) {
    (void)id;
    lc_check *k = ud;
    k->timer = 0;
    lc_task *t = k->task;
    if (t->killing || lc_state_is_terminal(t->state)) return;
    if (t->c->opt.simulate) {
        check_result(k, true, false, 0);
        return;
    }
    Mesos__V1__CommandInfo ci = MESOS__V1__COMMAND_INFO__INIT;
    const Mesos__V1__CommandInfo *src = k->health ? t->info->health_check->command : t->info->check->command->command;
    ci = *src;
    int pidfd;
    char *msg;
    pid_t pid = spawn(t, &ci, false, &pidfd, NULL, &msg);
    if (pid < 0) {
        SDK_WARN(MOD, "task %s: cannot run its %s: %s", t->id, k->health ? "health check" : "check", msg);
        free(msg);
        check_result(k, false, false, 127);
        return;
    }
    k->pid = pid;
    k->pidfd = pidfd;
    sdk_loop_watch_fd(l, pidfd, SDK_LOOP_READ, on_check_exit, k);
    sdk_loop_timer_add(l, k->timeout_ms, on_check_timeout, k, &k->timeout_timer);
}

static void schedule_check(lc_check *k, uint64_t delay) {
    lc_cluster *c = k->task->c;
    if (k->timer) sdk_loop_timer_cancel(c->loop, k->timer);
    sdk_loop_timer_add(c->loop, delay, on_check_timer, k, &k->timer);
}

static uint64_t secs_ms(double s) { return s <= 0 ? 0 : (uint64_t)(s * 1000.0 + 0.5); }

static void setup_checks(lc_task *t) {
    const Mesos__V1__HealthCheck *h = t->info->health_check;
    if (h && h->command) {
        t->has_health = true;
        lc_check *k = &t->health;
        k->task = t;
        k->health = true;
        k->delay_ms = secs_ms(h->delay_seconds);
        k->interval_ms = secs_ms(h->interval_seconds);
        k->timeout_ms = secs_ms(h->timeout_seconds);
        k->grace_ms = secs_ms(h->grace_period_seconds);
        k->max_failures = h->consecutive_failures ? h->consecutive_failures : 1;
        k->last_health = -1;
        k->started_ms = sdk_loop_now_ms(t->c->loop);
        if (!k->interval_ms) k->interval_ms = 1;
        schedule_check(k, k->delay_ms);
    }
    const Mesos__V1__CheckInfo *ck = t->info->check;
    if (ck && ck->command && ck->command->command) {
        t->has_check = true;
        lc_check *k = &t->check;
        k->task = t;
        k->delay_ms = secs_ms(ck->delay_seconds);
        k->interval_ms = secs_ms(ck->interval_seconds);
        k->timeout_ms = secs_ms(ck->timeout_seconds);
        k->started_ms = sdk_loop_now_ms(t->c->loop);
        if (!k->interval_ms) k->interval_ms = 1;
        schedule_check(k, k->delay_ms);
    }
}

/* ------------------------------------------------------------------ launch and kill */

static void on_max_time(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_task *t = ud;
    t->max_timer = 0;
    t->max_time_killed = true;
    lc_task_kill(t, 0, -1);
}

void lc_task_launch(lc_cluster *c, lc_framework *fw, lc_agent *a, lc_executor *ex, const Mesos__V1__TaskInfo *info,
                    const sdk_resources *res, const char *role, unsigned group) {
    lc_task *t = sdk_xcalloc(1, sizeof *t);
    t->c = c;
    t->id = sdk_xstrdup(info->task_id->value);
    t->fw_id = sdk_xstrdup(fw->id);
    t->agent = a;
    t->ex = ex;
    ex->refs++;
    ex->live_tasks++;
    size_t n = protobuf_c_message_get_packed_size(&info->base);
    uint8_t *buf = sdk_xmalloc(n + 1);
    protobuf_c_message_pack(&info->base, buf);
    t->info = mesos__v1__task_info__unpack(NULL, n, buf);
    free(buf);
    sdk_resources_copy(&t->res, res);
    sdk_resources_add_all(&a->used, res);
    lc_agent_free_take(a, res);
    t->role = sdk_xstrdup(role);
    t->group = group;
    t->forwarded_state = -1;
    t->state = MESOS__V1__TASK_STATE__TASK_STAGING;
    t->healthy = -1;
    t->pidfd = -1;
    t->status_fd = -1;
    t->kill_reason = -1;
    t->health.pidfd = t->check.pidfd = -1;
    char uuid[SDK_UUID_STRLEN + 1];
    sdk_uuid_generate(uuid);
    t->container_id = sdk_xstrdup(uuid);
    t->sandbox = sdk_asprintf_new("%s/containers/%s", ex->sandbox, t->container_id);
    t->next = c->tasks;
    if (c->tasks) c->tasks->prev = t;
    c->tasks = t;
    index_add(c, t);
    if (info->check && info->check->command) t->has_check = true; /* check_status from the first update on */
    task_update(t, MESOS__V1__TASK_STATE__TASK_STARTING, -1, NULL, -1);
    if (c->opt.simulate) {
        if (t->has_check) {
            t->check.has_result = true;
            t->check.exit_code = 0;
        }
        task_update(t, MESOS__V1__TASK_STATE__TASK_RUNNING, -1, NULL, t->info->health_check ? 1 : -1);
        return;
    }
    lc_mkdirs(t->sandbox);
    char *tasks_dir = sdk_asprintf_new("%s/tasks", ex->sandbox), *link = sdk_asprintf_new("%s/%s", tasks_dir, t->id);
    lc_mkdirs(tasks_dir);
    if (symlink(t->sandbox, link) != 0 && errno != EEXIST) SDK_WARN(MOD, "cannot link %s: %s", link, strerror(errno));
    free(tasks_dir);
    free(link);
    link_volumes(c, res, t->sandbox);
    /* SANDBOX_PATH volumes of type PARENT: the executor's directory seen from the task. */
    if (info->container)
        for (size_t i = 0; i < info->container->n_volumes; i++) {
            const Mesos__V1__Volume *v = info->container->volumes[i];
            if (!v->source || !v->source->sandbox_path || !v->container_path) continue;
            const Mesos__V1__Volume__Source__SandboxPath *sp = v->source->sandbox_path;
            bool parent = sp->has_type && sp->type == MESOS__V1__VOLUME__SOURCE__SANDBOX_PATH__TYPE__PARENT;
            char *target = sdk_asprintf_new("%s/%s", parent ? ex->sandbox : t->sandbox, sp->path);
            char *l2 = sdk_asprintf_new("%s/%s", t->sandbox, v->container_path);
            lc_mkdirs(target);
            unlink(l2);
            if (symlink(target, l2) != 0) SDK_WARN(MOD, "cannot link %s: %s", l2, strerror(errno));
            free(target);
            free(l2);
        }
    Mesos__V1__CommandInfo empty = MESOS__V1__COMMAND_INFO__INIT;
    const Mesos__V1__CommandInfo *cmd = t->info->command ? t->info->command : &empty;
    int pidfd, status_fd = -1;
    char *msg = NULL;
    pid_t pid = (cmd->value || cmd->n_arguments) ? spawn(t, cmd, true, &pidfd, &status_fd, &msg) : -1;
    if (pid < 0) {
        char *m = msg ? sdk_asprintf_new("Failed to launch container: %s", msg) : sdk_xstrdup("Task has no command to run");
        SDK_WARN(MOD, "task %s: %s", t->id, m);
        task_update(t, MESOS__V1__TASK_STATE__TASK_FAILED, MESOS__V1__TASK_STATUS__REASON__REASON_CONTAINER_LAUNCH_FAILED, m, -1);
        free(m);
        free(msg);
        group_policy(t);
        return;
    }
    t->pid = pid;
    t->pidfd = pidfd;
    t->status_fd = status_fd;
    sdk_loop_watch_fd(c->loop, pidfd, SDK_LOOP_READ, on_task_exit, t);
    /* TASK_RUNNING (and the checks) when the supervisor reports the command started */
    sdk_loop_watch_fd(c->loop, status_fd, SDK_LOOP_READ, on_status, t);
    if (t->info->max_completion_time)
        sdk_loop_timer_add(c->loop, (uint64_t)(t->info->max_completion_time->nanoseconds / 1000000), on_max_time, t,
                           &t->max_timer);
}

static void on_kill_grace(sdk_loop *l, uint64_t id, void *ud) {
    (void)l, (void)id;
    lc_task *t = ud;
    t->kill_timer = 0;
    if (t->pid > 0) kill(-t->pid, SIGKILL);
}

void lc_task_kill(lc_task *t, int64_t grace_ms, int reason) {
    if (lc_state_is_terminal(t->state) || t->killing) return;
    t->killing = true;
    t->kill_reason = reason;
    stop_check(&t->health, t->c);
    stop_check(&t->check, t->c);
    if (grace_ms < 0)
        grace_ms = t->info->kill_policy && t->info->kill_policy->grace_period
                       ? t->info->kill_policy->grace_period->nanoseconds / 1000000 : 3000;
    if (grace_ms < 0) grace_ms = 0;
    lc_framework *fw = lc_framework_find(t->c, t->fw_id);
    if (fw && fw->killing_state) task_update(t, MESOS__V1__TASK_STATE__TASK_KILLING, reason, NULL, -1);
    if (t->pid <= 0) { /* simulated, or never started */
        int state = t->max_time_killed ? MESOS__V1__TASK_STATE__TASK_FAILED
                    : (t->agent->draining && t->agent->drain_mark_gone) ? MESOS__V1__TASK_STATE__TASK_GONE_BY_OPERATOR
                                                                         : MESOS__V1__TASK_STATE__TASK_KILLED;
        task_update(t, state, t->max_time_killed ? MESOS__V1__TASK_STATUS__REASON__REASON_MAX_COMPLETION_TIME_REACHED : reason,
                    NULL, t->health_killed ? 0 : -1);
        if (state != MESOS__V1__TASK_STATE__TASK_GONE_BY_OPERATOR) group_policy(t);
        return;
    }
    kill(-t->pid, grace_ms ? SIGTERM : SIGKILL);
    if (grace_ms) sdk_loop_timer_add(t->c->loop, (uint64_t)grace_ms, on_kill_grace, t, &t->kill_timer);
}

int lc_task_signal(lc_task *t, int sig) {
    if (t->pid <= 0) return SDK_ESTATE;
    return kill(-t->pid, sig) == 0 ? 0 : SDK_EIO;
}

/* Kills the process of t at once and reaps it (no update). */
static void task_reap_now(lc_task *t) {
    stop_check(&t->health, t->c);
    stop_check(&t->check, t->c);
    if (t->pid > 0) {
        kill(-t->pid, SIGKILL);
        sdk_loop_unwatch_fd(t->c->loop, t->pidfd);
        close(t->pidfd);
        waitpid(t->pid, NULL, 0);
        group_done(t->c, t->pid);
        t->pid = 0;
        t->pidfd = -1;
    }
}

void lc_framework_drop_tasks(lc_cluster *c, const char *fw_id) {
    for (lc_task *t = c->tasks, *n; t; t = n) {
        n = t->next;
        if (strcmp(t->fw_id, fw_id) != 0) continue;
        task_reap_now(t);
        t->state = MESOS__V1__TASK_STATE__TASK_KILLED;
        task_release_q(t, false);
    }
    /* task_release may have freed executors through the list: restart after each removal */
    for (lc_task *t = c->tasks, *n; t; t = n) {
        n = t->next;
        if (!strcmp(t->fw_id, fw_id)) task_free(t);
    }
}

void lc_agent_tasks_lost(lc_agent *a, bool agent_sourced, int reason) {
    lc_cluster *c = a->c;
    /* Executors die first (FAILURE with SIGKILL's wait status when the agent reports it). */
    for (lc_executor *e = a->executors, *n; e; e = n) {
        n = e->next;
        executor_exit(e, agent_sourced ? SIGKILL : 0, agent_sourced);
    }
    for (lc_task *t = c->tasks, *n; t; t = n) {
        n = t->next;
        if (t->agent != a) continue;
        if (lc_state_is_terminal(t->state)) {
            if (!agent_sourced) task_free(t);
            continue;
        }
        task_reap_now(t);
        lc_framework *fw = lc_framework_find(c, t->fw_id);
        bool pa = fw && fw->partition_aware;
        if (agent_sourced) {
            /* The executor died with the agent process: the agent reports it (with uuid). */
            int state = pa ? MESOS__V1__TASK_STATE__TASK_GONE : MESOS__V1__TASK_STATE__TASK_LOST;
            task_update_from(t, MESOS__V1__TASK_STATUS__SOURCE__SOURCE_AGENT, state, reason,
                             "Executor terminated: the agent was stopped", -1);
        } else {
            int state = pa ? MESOS__V1__TASK_STATE__TASK_GONE_BY_OPERATOR : MESOS__V1__TASK_STATE__TASK_LOST;
            Mesos__V1__TaskStatus *s = lc_status_new(t->id, state, MESOS__V1__TASK_STATUS__SOURCE__SOURCE_MASTER,
                                                     pa ? reason : MESOS__V1__TASK_STATUS__REASON__REASON_AGENT_REMOVED,
                                                     "Agent was marked gone by the operator", a->id);
            if (fw) lc_send_status(fw, s);
            protobuf_c_message_free_unpacked(&s->base, NULL);
            t->state = state;
            task_release(t);
            task_free(t);
        }
    }
}

void lc_agent_kill_all(lc_agent *a, int64_t grace_ms, int reason) {
    for (lc_task *t = a->c->tasks, *n; t; t = n) {
        n = t->next;
        if (t->agent == a && !lc_state_is_terminal(t->state)) lc_task_kill(t, grace_ms, reason);
    }
}

void lc_agent_free_all(lc_cluster *c) {
    lc_executor *list = NULL;
    for (size_t i = 0; i < c->n_agents; i++) { /* held until every task is gone */
        for (lc_executor *e = c->agents[i]->executors, *n; e; e = n) {
            n = e->next;
            e->exited = true;
            e->refs++;
            e->next = list;
            list = e;
        }
        c->agents[i]->executors = NULL;
    }
    for (lc_task *t = c->tasks; t; t = t->next) task_reap_now(t);
    while (c->tasks) task_free(c->tasks);
    for (lc_executor *e = list, *n; e; e = n) {
        n = e->next;
        executor_unref(e);
    }
    free(c->task_index);
    c->task_index = NULL;
    c->n_buckets = c->n_tasks = 0;
}
