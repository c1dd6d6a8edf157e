#include "e2e_support.h"
#include "core/util/str.h"
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *e2e_bin_dir(void) {
    const char *b = getenv("SDK_BIN_DIR");
    return b && *b ? b : "bin";
}

unsigned e2e_free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa)) {}
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

double e2e_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t collect(char *p, size_t sz, size_t n, void *ud) {
    sdk_buf_append(ud, p, sz * n);
    return sz * n;
}

long e2e_http(const char *method, const char *url, const char *body, char **resp) {
    CURL *c = curl_easy_init();
    sdk_buf b;
    sdk_buf_init(&b);
    struct curl_slist *h = NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "POST") || !strcmp(method, "PUT")) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
    long code = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (resp) *resp = sdk_buf_take(&b);
    else sdk_buf_free(&b);
    return code;
}

json_t *e2e_get_json(const char *url, long *code) {
    char *body = NULL;
    long c = e2e_http("GET", url, NULL, &body);
    if (code) *code = c;
    json_t *j = c ? json_loads(body, 0, NULL) : NULL;
    free(body);
    return j;
}

pid_t e2e_spawn(char *const argv[], const char *log) { return e2e_spawn_in(argv, log, NULL); }

pid_t e2e_spawn_in(char *const argv[], const char *log, const char *cwd) {
    pid_t pid = fork();
    if (pid == 0) {
        if (cwd && chdir(cwd) != 0) _exit(126);
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a killed or timed-out test leaves nothing behind (SIGTERM: the child cleans up) */
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); }
        setenv("SDK_LOG", "info", 0); /* unless the caller chose (benchmarks: warn) */
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

void e2e_stop(pid_t pid, int sig) {
    if (pid <= 0) return;
    kill(pid, sig);
    for (int i = 0; i < 150; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) return;
        usleep(100000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

void e2e_world_init(e2e_world *w) {
    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/sdk-e2e-XXXXXX");
    if (!mkdtemp(w->dir)) perror("mkdtemp");
    w->api = e2e_free_port();
    snprintf(w->api_url, sizeof w->api_url, "http://127.0.0.1:%u", w->api);
}

void e2e_start_scheduler(e2e_world *w, const char *plugin, const char *master, const char *const *extra) {
    char here[4096] = "";
    if (!getcwd(here, sizeof here)) here[0] = 0;
    const char *bin = e2e_bin_dir();
    /* relative: paths from here made absolute, the work dir relative to DIR (the README's way) */
    char *exe = w->relative && bin[0] != '/' ? sdk_asprintf_new("%s/%s/scheduler", here, bin)
                                             : sdk_asprintf_new("%s/scheduler", bin);
    char *plug = w->relative && plugin[0] != '/' ? sdk_asprintf_new("%s/%s", here, plugin) : sdk_xstrdup(plugin);
    plugin = plug;
    char *work = w->relative ? sdk_xstrdup("sched") : sdk_asprintf_new("%s/sched", w->dir);
    char *api = sdk_asprintf_new("127.0.0.1:%u", w->api);
    char *log = sdk_asprintf_new("%s/scheduler.log", w->dir);
    const char *argv[40] = {exe, "--plugin", plugin, "--workdir", work, "--api", api, "--agents", "2"};
    size_t n = 9;
    if (master) { argv[n++] = "--master"; argv[n++] = master; }
    for (size_t i = 0; extra && extra[i] && n < 38; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    w->sched = e2e_spawn_in((char *const *)argv, log, w->relative ? w->dir : NULL);
    free(exe); free(plug); free(work); free(api); free(log);
}

void e2e_show_log(const e2e_world *w, const char *name) {
    char *p = sdk_asprintf_new("%s/%s", w->dir, name), *text = NULL;
    if (sdk_read_file_new(p, &text, NULL) == 0) {
        size_t n = strlen(text);
        fprintf(stderr, "---- last of %s ----\n%s\n----\n", p, n > 3000 ? text + n - 3000 : text);
    }
    free(text);
    free(p);
}

bool e2e_wait_plan_complete(e2e_world *w, const char *plan, double timeout_s) {
    char *url = sdk_asprintf_new("%s/v1/plans/%s", w->api_url, plan);
    double end = e2e_now() + timeout_s;
    bool ok = false;
    while (e2e_now() < end && !ok) {
        ok = e2e_http("GET", url, NULL, NULL) == 200;
        if (!ok) usleep(200000);
    }
    free(url);
    if (!ok) { e2e_show_log(w, "scheduler.log"); e2e_show_log(w, "work/cluster/localcluster.log"); }
    return ok;
}

char *e2e_step_status(e2e_world *w, const char *plan, const char *step) {
    char *url = sdk_asprintf_new("%s/v1/plans/%s", w->api_url, plan);
    json_t *p = e2e_get_json(url, NULL);
    free(url);
    char *out = NULL;
    size_t i, j;
    json_t *ph, *st;
    json_array_foreach(json_object_get(p, "phases"), i, ph) json_array_foreach(json_object_get(ph, "steps"), j, st)
        if (!strcmp(json_string_value(json_object_get(st, "name")), step))
            out = sdk_xstrdup(json_string_value(json_object_get(st, "status")));
    json_decref(p);
    return out;
}

char *e2e_task_id(e2e_world *w, const char *pod, const char *task) {
    char *url = sdk_asprintf_new("%s/v1/pod/%s/info", w->api_url, pod);
    json_t *arr = e2e_get_json(url, NULL);
    free(url);
    char *out = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        json_t *info = json_object_get(e, "info");
        if (!strcmp(json_string_value(json_object_get(info, "name")), task))
            out = sdk_xstrdup(json_string_value(json_object_get(json_object_get(info, "taskId"), "value")));
    }
    json_decref(arr);
    return out;
}

char *e2e_framework_id(e2e_world *w) {
    char *url = sdk_asprintf_new("%s/v1/state/frameworkId", w->api_url);
    json_t *j = e2e_get_json(url, NULL);
    free(url);
    char *id = json_is_array(j) ? sdk_xstrdup(json_string_value(json_array_get(j, 0))) : NULL;
    json_decref(j);
    return id;
}

json_t *e2e_cluster_state(e2e_world *w) {
    char *pf = sdk_asprintf_new("%s/sched/cluster/port", w->dir), *text = NULL;
    json_t *j = NULL;
    if (sdk_read_file_new(pf, &text, NULL) == 0) {
        char *url = sdk_asprintf_new("http://127.0.0.1:%d/localcluster/state", atoi(text));
        j = e2e_get_json(url, NULL);
        free(url);
    }
    free(text);
    free(pf);
    return j;
}

int e2e_sh_status(const char *cmd, char **out) {
    FILE *p = popen(cmd, "r");
    sdk_buf b;
    sdk_buf_init(&b);
    char tmp[4096];
    size_t n;
    while (p && (n = fread(tmp, 1, sizeof tmp, p)) > 0) sdk_buf_append(&b, tmp, n);
    int st = p ? pclose(p) : -1;
    if (out) *out = sdk_buf_take(&b);
    else sdk_buf_free(&b);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *e2e_sh(const char *cmd) {
    char *out = NULL;
    e2e_sh_status(cmd, &out);
    return out;
}

void e2e_cleanup(e2e_world *w) {
    e2e_stop(w->sched, SIGINT);
    w->sched = 0;
    /* a cluster left running: by its work dir, or (relative work dir) by its current directory */
    char *cmd = sdk_asprintf_new("pkill -f -- '[-]-workdir %s/sched/cluster' 2>/dev/null; "
                                 "for p in $(pgrep -x localcluster); do [ \"$(readlink /proc/$p/cwd)\" = %s ] && "
                                 "kill $p; done; rm -rf %s", w->dir, w->dir, w->dir);
    if (system(cmd)) {}
    free(cmd);
}
