/* The file backend's crash behaviour: reopen, torn tails, corruption refusal, the single-writer
 * lock, compaction, and the kill test (SIGKILL a committing child, reopen, check atomicity). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/state/store.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "tests/unit/check.h"

#define LOG_HDR 20

static char *new_dir(void) {
    char tmpl[] = "/tmp/sdk-test-fstore-XXXXXX";
    return sdk_xstrdup(mkdtemp(tmpl));
}

static void rm_dir(char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char *p = sdk_asprintf_new("%s/%s", dir, e->d_name);
            unlink(p);
            free(p);
        }
        closedir(d);
    }
    rmdir(dir);
    { /* the marker a file store leaves beside its directory (store.h) */
        char *m_ = sdk_asprintf_new("%s.sdk-state", dir);
        unlink(m_);
        free(m_);
    }
    free(dir);
}

static char *path_in(const char *dir, const char *name) { return sdk_asprintf_new("%s/%s", dir, name); }

/* Reads dir/name into a new buffer (NULL if missing). */
static char *slurp(const char *dir, const char *name, size_t *len) {
    char *p = path_in(dir, name), *data = NULL;
    *len = 0;
    if (sdk_read_file_new(p, &data, len) != 0) data = NULL;
    free(p);
    return data;
}

static void spit(const char *dir, const char *name, const char *data, size_t len) {
    char *p = path_in(dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, data, len) == (ssize_t)len);
    close(fd);
    free(p);
}

static off_t file_size(const char *dir, const char *name) {
    char *p = path_in(dir, name);
    struct stat st;
    off_t sz = stat(p, &st) == 0 ? st.st_size : -1;
    free(p);
    return sz;
}

static sdk_store *open_ok(const char *dir, const sdk_store_file_options *o) {
    sdk_store *s = NULL;
    sdk_errors errs;
    sdk_errors_init(&errs);
    int rc = sdk_store_file_open(dir, o, &s, &errs);
    CHECK_INT(rc, 0);
    if (rc) sdk_errors_print(&errs, "open");
    sdk_errors_free(&errs);
    return s;
}

static int set1(sdk_store *s, const char *path, const char *val) {
    sdk_store_op op = {SDK_STORE_SET, path, val, strlen(val)};
    return s ? sdk_store_commit_ops(s, &op, 1, NULL) : -100;
}

static char *get(sdk_store *s, const char *path) {
    void *v = NULL;
    size_t len;
    if (!s || sdk_store_get_new(s, path, &v, &len, NULL) != 0) return NULL;
    return v;
}

#define CHECK_GET(s, path, want) do { char *g_ = get(s, path); CHECK_STR(g_, want); free(g_); } while (0)
#define CHECK_ABSENT(s, path) do { char *g_ = get(s, path); CHECK_MSG(g_ == NULL, "%s = '%s'", path, g_); free(g_); } while (0)

static void test_reopen_sees_data_and_describes(void) {
    char *dir = new_dir();
    sdk_store *s = open_ok(dir, NULL);
    CHECK_INT(set1(s, "Tasks/a/TaskInfo", "one"), 0);
    CHECK_INT(set1(s, "FrameworkID", "fw"), 0);
    char *want = sdk_asprintf_new("file:%s", dir);
    CHECK_STR(s ? sdk_store_describe(s) : NULL, want);
    free(want);
    sdk_store_close(s);
    s = open_ok(dir, NULL);
    CHECK_GET(s, "Tasks/a/TaskInfo", "one");
    CHECK_GET(s, "FrameworkID", "fw");
    /* The lock file names the holder. */
    size_t len;
    char *pid = slurp(dir, "lock", &len);
    char mine[32];
    snprintf(mine, sizeof mine, "%ld\n", (long)getpid());
    CHECK_STR(pid, mine);
    free(pid);
    sdk_store_close(s);
    rm_dir(dir);
}

/* Commits txns 1..3 and returns the log sizes after each. */
static void three_txns(const char *dir, off_t sizes[4]) {
    sdk_store *s = open_ok(dir, NULL);
    sizes[0] = file_size(dir, "log");
    CHECK_INT(set1(s, "k/one", "1"), 0);
    sizes[1] = file_size(dir, "log");
    CHECK_INT(set1(s, "k/two", "2"), 0);
    sizes[2] = file_size(dir, "log");
    sdk_store_txn *t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "k/three", "3");
    sdk_store_txn_delete(t, "k/one");
    CHECK_INT(sdk_store_txn_commit(s, t, NULL), 0);
    sdk_store_txn_free(t);
    sizes[3] = file_size(dir, "log");
    sdk_store_close(s);
}

static void test_torn_tail_discarded_at_every_cut(void) {
    char *dir = new_dir();
    off_t sz[4];
    three_txns(dir, sz);
    CHECK_INT(sz[0], LOG_HDR);
    size_t len;
    char *log = slurp(dir, "log", &len);
    CHECK_INT(len, sz[3]);
    /* Every prefix that cuts the last record must open as the first two txns, truncated there. */
    for (off_t cut = sz[2]; log && cut < sz[3]; cut++) {
        spit(dir, "log", log, (size_t)cut);
        sdk_store *s = open_ok(dir, NULL);
        CHECK_GET(s, "k/one", "1");
        CHECK_GET(s, "k/two", "2");
        CHECK_ABSENT(s, "k/three");
        CHECK_INT(file_size(dir, "log"), sz[2]);
        sdk_store_close(s);
    }
    /* Zero-filled and garbage tails (a torn append the filesystem padded) are discarded too. */
    char *junk = sdk_xmalloc(len + 300);
    memcpy(junk, log, len);
    memset(junk + len, 0, 300);
    spit(dir, "log", junk, len + 300);
    sdk_store *s = open_ok(dir, NULL);
    CHECK_GET(s, "k/three", "3");
    CHECK_INT(file_size(dir, "log"), sz[3]);
    /* New commits append after the truncation point and survive reopen. */
    CHECK_INT(set1(s, "k/four", "4"), 0);
    sdk_store_close(s);
    s = open_ok(dir, NULL);
    CHECK_GET(s, "k/four", "4");
    CHECK_GET(s, "k/three", "3");
    sdk_store_close(s);
    for (int i = 0; i < 300; i++) junk[len + (size_t)i] = (char)(i * 37 + 11);
    spit(dir, "log", junk, len + 300);
    s = open_ok(dir, NULL);
    CHECK_GET(s, "k/three", "3");
    CHECK_ABSENT(s, "k/four");
    sdk_store_close(s);
    free(junk);
    free(log);
    rm_dir(dir);
}

static void test_mid_log_corruption_refused(void) {
    char *dir = new_dir();
    off_t sz[4];
    three_txns(dir, sz);
    size_t len;
    char *log = slurp(dir, "log", &len);
    /* Flip one byte inside the first record's payload: later records are valid, so this is not
     * a torn tail. */
    log[LOG_HDR + 10] ^= 0x40;
    spit(dir, "log", log, len);
    sdk_store *s = (sdk_store *)1;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_store_file_open(dir, NULL, &s, &errs), SDK_ECORRUPT);
    CHECK(s == NULL);
    char *where = sdk_asprintf_new("%s/log is corrupt at offset %d", dir, LOG_HDR);
    CHECK_MSG(sdk_errors_contains(&errs, where), "want '%s'", where);
    CHECK(sdk_errors_contains(&errs, "checksum mismatch"));
    free(where);
    /* Refusing changed nothing on disk. */
    size_t len2;
    char *after = slurp(dir, "log", &len2);
    CHECK(after && len2 == len && memcmp(after, log, len) == 0);
    free(after);
    /* A corrupted length field in the middle is caught the same way. */
    log[LOG_HDR + 10] ^= 0x40;
    log[sz[1] + 1] = 0x7f; /* second record's length becomes huge */
    spit(dir, "log", log, len);
    sdk_errors_free(&errs);
    sdk_errors_init(&errs);
    CHECK_INT(sdk_store_file_open(dir, NULL, &s, &errs), SDK_ECORRUPT);
    where = sdk_asprintf_new("log is corrupt at offset %lld", (long long)sz[1]);
    CHECK_MSG(sdk_errors_contains(&errs, where), "want '%s'", where);
    free(where);
    sdk_errors_free(&errs);
    free(log);
    rm_dir(dir);
}

static void test_second_opener_busy_changes_nothing(void) {
    char *dir = new_dir();
    sdk_store *a = open_ok(dir, NULL);
    CHECK_INT(set1(a, "k", "v"), 0);
    size_t l1, l2, k1, k2;
    char *log1 = slurp(dir, "log", &l1), *lock1 = slurp(dir, "lock", &k1);
    sdk_store *b = (sdk_store *)1;
    sdk_errors errs;
    sdk_errors_init(&errs);
    char *url = sdk_asprintf_new("file:%s", dir);
    CHECK_INT(sdk_store_open_url(url, &b, &errs), SDK_EBUSY);
    free(url);
    CHECK(b == NULL);
    char *who = sdk_asprintf_new("directory %s is in use by process %ld", dir, (long)getpid());
    CHECK_MSG(sdk_errors_contains(&errs, who), "want '%s'", who);
    free(who);
    char *log2 = slurp(dir, "log", &l2), *lock2 = slurp(dir, "lock", &k2);
    CHECK(log1 && log2 && l1 == l2 && memcmp(log1, log2, l1) == 0);
    CHECK(lock1 && lock2 && k1 == k2 && memcmp(lock1, lock2, k1) == 0);
    /* The holder keeps working; after it closes, the directory can be opened again. */
    CHECK_INT(set1(a, "k2", "v2"), 0);
    sdk_store_close(a);
    b = open_ok(dir, NULL);
    CHECK_GET(b, "k2", "v2");
    sdk_store_close(b);
    free(log1), free(log2), free(lock1), free(lock2);
    sdk_errors_free(&errs);
    rm_dir(dir);
}

static void test_compaction_preserves_data(void) {
    char *dir = new_dir();
    sdk_store_file_options o = {.compact_bytes = 4096};
    sdk_store *s = open_ok(dir, &o);
    char path[64], val[128];
    for (int i = 0; s && i < 300; i++) {
        snprintf(path, sizeof path, "Tasks/t-%d/TaskInfo", i % 50);
        snprintf(val, sizeof val, "value %d %0100d", i, i);
        CHECK_INT(set1(s, path, val), 0);
        if (i % 7 == 0) {
            snprintf(path, sizeof path, "Tasks/t-%d", (i + 3) % 50);
            sdk_store_op del = {SDK_STORE_DELETE_TREE, path, NULL, 0};
            CHECK_INT(sdk_store_commit_ops(s, &del, 1, NULL), 0);
        }
    }
    CHECK(file_size(dir, "snapshot") > 0);
    CHECK(file_size(dir, "log") <= 4096 + 400);
    /* Snapshot of what the live store holds, to compare with after reopen. */
    char *before[50];
    for (int i = 0; i < 50; i++) {
        snprintf(path, sizeof path, "Tasks/t-%d/TaskInfo", i);
        before[i] = get(s, path);
    }
    CHECK_INT(sdk_store_compact(s, NULL), 0);
    CHECK_INT(file_size(dir, "log"), LOG_HDR);
    CHECK_INT(set1(s, "after", "compaction"), 0);
    sdk_store_close(s);
    s = open_ok(dir, &o);
    for (int i = 0; i < 50; i++) {
        snprintf(path, sizeof path, "Tasks/t-%d/TaskInfo", i);
        char *now = get(s, path);
        CHECK_MSG(sdk_streq(now, before[i]), "%s: '%s' vs '%s'", path, now, before[i]);
        free(now);
        free(before[i]);
    }
    CHECK_GET(s, "after", "compaction");
    sdk_store_close(s);
    rm_dir(dir);
}

static void test_interrupted_compaction_and_bad_snapshot(void) {
    char *dir = new_dir();
    sdk_store *s = open_ok(dir, NULL);
    CHECK_INT(set1(s, "a/x", "1"), 0);
    CHECK_INT(set1(s, "a/y", "2"), 0);
    sdk_store_op del = {SDK_STORE_DELETE, "a/x", NULL, 0};
    CHECK_INT(s ? sdk_store_commit_ops(s, &del, 1, NULL) : -1, 0);
    CHECK_INT(set1(s, "a/x/child", "3"), 0); /* replaying "delete a/x" on top would now fail */
    size_t oldlen;
    char *oldlog = slurp(dir, "log", &oldlen);
    CHECK_INT(sdk_store_compact(s, NULL), 0);
    sdk_store_close(s);
    /* A crash after the snapshot rename but before the log reset leaves the old log behind: it
     * is already in the snapshot and must be ignored, not replayed. */
    spit(dir, "log", oldlog, oldlen);
    s = open_ok(dir, NULL);
    CHECK_GET(s, "a/x/child", "3");
    CHECK_GET(s, "a/y", "2");
    CHECK_INT(file_size(dir, "log"), LOG_HDR);
    sdk_store_close(s);
    /* A damaged snapshot is refused with file and offset. */
    size_t slen;
    char *snap = slurp(dir, "snapshot", &slen);
    CHECK(snap && slen > 40);
    if (snap && slen > 40) snap[slen - 3] ^= 1;
    spit(dir, "snapshot", snap, slen);
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_store_file_open(dir, NULL, &s, &errs), SDK_ECORRUPT);
    char *where = sdk_asprintf_new("%s/snapshot is corrupt at offset 8", dir);
    CHECK_MSG(sdk_errors_contains(&errs, where), "want '%s'", where);
    free(where);
    /* A log newer than the snapshot (the snapshot was lost) is refused too. */
    char *sp = path_in(dir, "snapshot");
    unlink(sp);
    free(sp);
    sdk_errors_free(&errs);
    sdk_errors_init(&errs);
    CHECK_INT(sdk_store_file_open(dir, NULL, &s, &errs), SDK_ECORRUPT);
    CHECK(sdk_errors_contains(&errs, "newer than the snapshot"));
    sdk_errors_free(&errs);
    free(snap);
    free(oldlog);
    rm_dir(dir);
}

/* ---- the kill test ---- */

#define KILL_KEYS 12
#define KILL_ROUNDS 12

static void child_loop(const char *dir, int wfd) {
    sdk_store_file_options o = {.compact_bytes = 64 * 1024};
    sdk_store *s = NULL;
    if (sdk_store_file_open(dir, &o, &s, NULL) != 0) _exit(3);
    long n = 0;
    char *cur = get(s, "c/k0");
    if (cur) n = atol(cur);
    free(cur);
    char path[32];
    char *val = sdk_xmalloc(1100);
    for (;;) {
        n++;
        sdk_store_txn *t = sdk_store_txn_new();
        int len = snprintf(val, 1100, "%ld:", n);
        memset(val + len, 'x', 1000); /* ~12 KB per txn so kills land inside writes too */
        for (int k = 0; k < KILL_KEYS; k++) {
            snprintf(path, sizeof path, "c/k%d", k);
            sdk_store_txn_set(t, path, val, (size_t)len + 1000);
        }
        sdk_store_txn_delete_tree(t, "c/scratch");
        snprintf(path, sizeof path, "c/scratch/%ld", n);
        sdk_store_txn_set(t, path, val, (size_t)len);
        if (sdk_store_txn_commit(s, t, NULL) != 0) _exit(4);
        sdk_store_txn_free(t);
        if (write(wfd, &n, sizeof n) != (ssize_t)sizeof n) _exit(5);
    }
}

static void test_kill_during_commits_is_atomic(void) {
    char *dir = new_dir();
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    long last_seen = 0, total_reported = 0;
    for (int round = 0; round < KILL_ROUNDS; round++) {
        int p[2];
        CHECK_INT(pipe(p), 0);
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            child_loop(dir, p[1]);
        }
        close(p[1]);
        struct timespec ts = {0, (long)(5 + rand_r(&seed) % 60) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "round %d: child exited by itself (status %d)", round, status);
        long reported = last_seen, v;
        while (read(p[0], &v, sizeof v) == (ssize_t)sizeof v) reported = v, total_reported++;
        close(p[0]);

        sdk_errors errs;
        sdk_errors_init(&errs);
        sdk_store *s = NULL;
        int rc = sdk_store_file_open(dir, NULL, &s, &errs);
        CHECK_MSG(rc == 0, "round %d: reopen failed: %s", round, errs.n ? errs.msgs[0] : "?");
        sdk_errors_free(&errs);
        if (rc) break;
        long n0 = -1;
        char path[32];
        for (int k = 0; k < KILL_KEYS; k++) {
            snprintf(path, sizeof path, "c/k%d", k);
            char *g = get(s, path);
            long n = g ? atol(g) : 0;
            if (k == 0) n0 = n;
            CHECK_MSG(n == n0, "round %d: key %s holds %ld but c/k0 holds %ld", round, path, n, n0);
            CHECK(g == NULL || strlen(g) == (size_t)snprintf(NULL, 0, "%ld:", n) + 1000);
            free(g);
        }
        /* Every commit the child saw return is there; at most the one in flight is extra. */
        CHECK_MSG(n0 >= reported && n0 <= reported + 1, "round %d: stored %ld, child reported %ld",
                  round, n0, reported);
        char **names;
        size_t nn;
        if (n0 > 0 && sdk_store_children_new(s, "c/scratch", &names, &nn, NULL) == 0) {
            CHECK_INT(nn, 1);
            snprintf(path, sizeof path, "%ld", n0);
            CHECK_STR(nn ? names[0] : NULL, path);
            sdk_store_names_free(names, nn);
        }
        last_seen = n0;
        sdk_store_close(s);
    }
    CHECK_MSG(total_reported > KILL_ROUNDS, "children committed only %ld txns", total_reported);
    if (getenv("CHECK_VERBOSE"))
        fprintf(stderr, "  kill test: %ld commits over %d rounds, final counter %ld\n",
                total_reported, KILL_ROUNDS, last_seen);
    rm_dir(dir);
}

int main(void) {
    sdk_log_set_level(SDK_LOG_ERROR);
    RUN(test_reopen_sees_data_and_describes);
    RUN(test_torn_tail_discarded_at_every_cut);
    RUN(test_mid_log_corruption_refused);
    RUN(test_second_opener_busy_changes_nothing);
    RUN(test_compaction_preserves_data);
    RUN(test_interrupted_compaction_and_bad_snapshot);
    RUN(test_kill_during_commits_is_atomic);
    return check_summary("test_store_file");
}
