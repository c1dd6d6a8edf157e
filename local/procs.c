/* Records of the task process groups a local cluster started, so that the next local cluster
 * on the same work dir can kill what a killed one left behind.
 *
 * A supervisor (local/launch.c) kills its task's processes when the local cluster dies, but a
 * SIGKILL of the supervisor itself (or of both at once) runs no handler anywhere. So every
 * spawned supervisor is recorded in <workdir>/procs/<pgid> as "<start time> <boot id>": pgid is
 * also its session id (it calls setsid), start time is field 22 of /proc/<pid>/stat (clock ticks
 * since boot). A record is removed when its supervisor is reaped. At start, lc_procs_cleanup
 * kills every process that is still in a recorded session or process group and started no
 * earlier than the recorded leader, on the same boot: "still ours" - a reused pid leading an
 * unrelated group would have to also reuse the session id within the same boot, after ours
 * was gone, which the start-time test does not exclude, so the residual risk is a process of
 * the same user that became a session leader with a recycled pid of ours. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util/log.h"
#include "core/util/str.h"
#include "local/lc.h"

#define MOD "localcluster"

typedef struct {
    long pgrp, session;
    unsigned long long start;
    char state;
} proc_stat;

static int stat_read(long pid, proc_stat *ps) {
    char path[64], *text = NULL;
    size_t len;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (sdk_read_file_new(path, &text, &len) != 0) return -1;
    char *p = strrchr(text, ')'); /* the command name may hold spaces and parentheses */
    int rc = -1;
    if (p) {
        /* fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
         * cutime cstime priority nice threads itrealvalue starttime */
        long ppid;
        if (sscanf(p + 1, " %c %ld %ld %ld %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
                   &ps->state, &ppid, &ps->pgrp, &ps->session, &ps->start) == 5)
            rc = 0;
    }
    free(text);
    return rc;
}

static char *boot_id_new(void) {
    char *id = NULL;
    size_t len;
    if (sdk_read_file_new("/proc/sys/kernel/random/boot_id", &id, &len) != 0) return sdk_xstrdup("?");
    id[strcspn(id, "\n")] = 0;
    return id;
}

static char *record_path_new(const lc_cluster *c, long pgid) {
    return sdk_asprintf_new("%s/procs/%ld", c->opt.workdir, pgid);
}

void lc_procs_add(lc_cluster *c, pid_t pgid) {
    proc_stat ps;
    if (stat_read(pgid, &ps) != 0) return; /* already gone and reaped: nothing to protect */
    char *dir = sdk_asprintf_new("%s/procs", c->opt.workdir), *path = record_path_new(c, pgid), *boot = boot_id_new();
    lc_mkdirs(dir);
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%llu %s\n", ps.start, boot) < 0 || fclose(f) != 0)
        SDK_WARN(MOD, "%s: cannot record the task process group: %s (a kill -9 may leave it behind)", path, strerror(errno));
    free(boot);
    free(path);
    free(dir);
}

void lc_procs_remove(lc_cluster *c, pid_t pgid) {
    char *path = record_path_new(c, pgid);
    unlink(path);
    free(path);
}

typedef struct {
    long pgid;
    unsigned long long start;
} record;

int lc_procs_cleanup(lc_cluster *c) {
    char *dir = sdk_asprintf_new("%s/procs", c->opt.workdir), *boot = boot_id_new();
    DIR *d = opendir(dir);
    record *recs = NULL;
    size_t n = 0;
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_name[0] == '.') continue;
        char *path = sdk_asprintf_new("%s/%s", dir, de->d_name), *text = NULL, *end;
        size_t len;
        long pgid = strtol(de->d_name, &end, 10);
        if (!*end && pgid > 1 && sdk_read_file_new(path, &text, &len) == 0) {
            unsigned long long start;
            char b[64] = "";
            if (sscanf(text, "%llu %63s", &start, b) == 2 && !strcmp(b, boot)) {
                recs = sdk_xrealloc(recs, (n + 1) * sizeof *recs);
                recs[n++] = (record){pgid, start};
            }
        }
        free(text);
        unlink(path);
        free(path);
    }
    if (d) closedir(d);
    int killed = 0;
    DIR *pd = n ? opendir("/proc") : NULL;
    for (struct dirent *de; pd && (de = readdir(pd));) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        proc_stat ps;
        if (*end || pid <= 1 || pid == (long)getpid() || stat_read(pid, &ps) != 0 || ps.state == 'Z') continue;
        for (size_t i = 0; i < n; i++)
            if ((ps.pgrp == recs[i].pgid || ps.session == recs[i].pgid) && ps.start >= recs[i].start) {
                if (kill((pid_t)pid, SIGKILL) == 0) killed++;
                break;
            }
    }
    if (pd) closedir(pd);
    if (killed)
        SDK_WARN(MOD, "killed %d process(es) left behind by a previous local cluster on this work dir (%zu task process group(s))",
                 killed, n);
    free(recs);
    free(boot);
    free(dir);
    return killed;
}
