/* State store faults, caused for real: a full disk (a small tmpfs filled up) under the file
 * store, and state that went missing while something says it existed (file and ZooKeeper
 * backends). End-to-end versions with a running scheduler are in test_e2e_faults.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/state/layout.h"
#include "core/state/store.h"
#include "core/state/store_zk.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "tests/unit/check.h"
#include "tests/unit/e2e_support.h"
#include "tests/unit/fault_support.h"
#include "tests/unit/zk_server.h"

static off_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static int put(sdk_store *s, const char *path, size_t len, char fill, sdk_errors *e) {
    char *v = sdk_xmalloc(len);
    memset(v, fill, len);
    sdk_store_op op = {SDK_STORE_SET, path, v, len};
    int rc = sdk_store_commit_ops(s, &op, 1, e);
    free(v);
    return rc;
}

/* A disk that fills up under the file store: the commit fails with the reason, nothing of it is
 * in memory or on disk (the log ends exactly where the last good record ended), health says so,
 * recovery fails while the disk is full and succeeds once space is freed, and a reopen sees
 * exactly the committed transactions. */
static void test_file_store_disk_full(void) {
    char mnt[64];
    if (!fault_tmpfs_mount(mnt, 256 << 10, "test_file_store_disk_full")) return;
    char *dir = sdk_asprintf_new("%s/state", mnt), *log = sdk_asprintf_new("%s/log", dir);
    char *filler = sdk_asprintf_new("%s/filler", mnt);
    sdk_store *s = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(sdk_store_file_open(dir, NULL, &s, &e), 0);
    if (!s) goto out;
    CHECK_INT(put(s, "a", 1000, 'a', &e), 0);
    CHECK_INT(put(s, "b", 1000, 'b', &e), 0);
    sdk_store_health h;
    sdk_store_get_health(s, &h);
    CHECK(!h.failing);
    off_t good = file_size(log);
    CHECK(fault_fill(filler) > 0);

    CHECK_INT(put(s, "c", 16000, 'c', &e), SDK_EIO);
    CHECK_MSG(e.n && strstr(e.msgs[0], "No space left on device"), "%s", e.n ? e.msgs[0] : "(no message)");
    CHECK_INT(file_size(log), good); /* never a half-written record */
    bool ex = true;
    sdk_store_exists(s, "c", &ex, NULL);
    CHECK(!ex);
    sdk_store_get_health(s, &h);
    CHECK(h.failing);
    CHECK_INT(h.failures, 1);
    CHECK_CONTAINS(h.why, "No space left on device");
    /* refused while broken, even a small write that would fit; the reason is kept */
    sdk_errors_free(&e);
    CHECK_INT(put(s, "d", 10, 'd', &e), SDK_EIO);
    CHECK_CONTAINS(e.n ? e.msgs[0] : NULL, "No space left on device");
    sdk_store_get_health(s, &h);
    CHECK_INT(h.failures, 2);
    sdk_errors_free(&e);
    CHECK_INT(sdk_store_recover(s, &e), SDK_EIO); /* still full */
    CHECK_CONTAINS(e.n ? e.msgs[0] : NULL, "still cannot be written");
    CHECK_INT(file_size(log), good);
    sdk_store_get_health(s, &h);
    CHECK(h.failing);

    unlink(filler);
    sdk_errors_free(&e);
    CHECK_INT(sdk_store_recover(s, &e), 0);
    CHECK_INT(file_size(log), good);
    sdk_store_get_health(s, &h);
    CHECK(!h.failing);
    CHECK_INT(put(s, "c", 16000, 'c', &e), 0);
    sdk_store_close(s);
    s = NULL;

    CHECK_INT(sdk_store_file_open(dir, NULL, &s, &e), 0);
    if (!s) goto out;
    char **names = NULL;
    size_t n = 0;
    CHECK_INT(sdk_store_children_new(s, "", &names, &n, NULL), 0);
    CHECK_INT(n, 3); /* a, b, c: not d */
    sdk_store_names_free(names, n);
    void *v = NULL;
    size_t len = 0;
    CHECK_INT(sdk_store_get_new(s, "c", &v, &len, NULL), 0);
    CHECK_INT(len, 16000);
    free(v);
out:
    sdk_store_close(s);
    sdk_errors_free(&e);
    free(dir);
    free(log);
    free(filler);
    fault_tmpfs_unmount(mnt);
}

/* ---- state that went missing ---- */

static void rm_state_files(const char *dir, bool lock_too) {
    const char *files[] = {"log", "snapshot", "lock"};
    for (int i = 0; i < (lock_too ? 3 : 2); i++) {
        char *p = sdk_asprintf_new("%s/%s", dir, files[i]);
        unlink(p);
        free(p);
    }
    if (lock_too) rmdir(dir);
}

/* A state written through the layout (SchemaVersion, servicename, a framework id). */
static void make_state(sdk_store *s) {
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "hello-world", &st, NULL), 0);
    CHECK_INT(sdk_state_set_framework_id(st, "fw-old", 6, NULL), 0);
    sdk_state_free(st);
}

static int open_file(const char *dir, bool reset, sdk_store **s, sdk_errors *e) {
    sdk_store_file_options o = {.reset_state = reset};
    return sdk_store_file_open(dir, &o, s, e);
}

static void test_file_state_missing_is_refused(void) {
    char tmpl[] = "/tmp/sdk-test-missing-XXXXXX";
    char *parent = mkdtemp(tmpl);
    char *dir = sdk_asprintf_new("%s/state", parent), *log = sdk_asprintf_new("%s/log", dir);
    char *marker = sdk_asprintf_new("%s.sdk-state", dir);
    sdk_store *s = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(open_file(dir, false, &s, &e), 0); /* a first start: nothing existed */
    if (!s) goto out;
    make_state(s);
    sdk_store_close(s);
    s = NULL;
    CHECK(access(marker, F_OK) == 0);

    /* the data files deleted, the lock left: refused, nothing written */
    rm_state_files(dir, false);
    CHECK_INT(open_file(dir, false, &s, &e), SDK_ESTATE);
    CHECK(s == NULL);
    CHECK_CONTAINS(e.n ? e.msgs[0] : NULL, "the state is missing");
    CHECK_CONTAINS(e.n ? e.msgs[0] : NULL, "--reset-state");
    CHECK(access(log, F_OK) != 0);
    /* the whole directory deleted: the marker beside it still says it existed */
    rm_state_files(dir, true);
    sdk_errors_free(&e);
    CHECK_INT(open_file(dir, false, &s, &e), SDK_ESTATE);
    CHECK_CONTAINS(e.n ? e.msgs[0] : NULL, marker);
    CHECK(access(log, F_OK) != 0);
    /* the operator's choice: empty, once; from then on it is a state like any other */
    sdk_errors_free(&e);
    CHECK_INT(open_file(dir, true, &s, &e), 0);
    if (!s) goto out;
    char **names = NULL;
    size_t n = 9;
    CHECK_INT(sdk_store_children_new(s, "", &names, &n, NULL), 0);
    CHECK_INT(n, 0);
    sdk_store_names_free(names, n);
    make_state(s);
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "hello-world", &st, NULL), 0);
    CHECK_INT(sdk_state_wipe(st, NULL), 0); /* an uninstall: emptied on purpose */
    sdk_state_free(st);
    sdk_store_close(s);
    s = NULL;
    CHECK_INT(open_file(dir, false, &s, &e), 0);
    st = NULL;
    CHECK_INT(sdk_state_open_new(s, "other", &st, NULL), 0);
    sdk_state_free(st);
    sdk_store_close(s);
    s = NULL;
    /* everything deleted, marker included: a deliberate fresh start */
    rm_state_files(dir, true);
    unlink(marker);
    CHECK_INT(open_file(dir, false, &s, &e), 0);
out:
    sdk_store_close(s);
    sdk_errors_free(&e);
    rm_state_files(dir, true);
    unlink(marker);
    rmdir(parent);
    free(dir);
    free(log);
    free(marker);
}

/* A scheduler killed after taking the lock but before creating its log left only DIR/lock: no
 * state ever existed, so the next start is a first start, not a refusal (it used to be refused
 * for good: test_store_file's kill -9 rounds hit that window). */
static void test_lock_alone_is_no_trace(void) {
    char parent[] = "/tmp/sdk-test-lockonly-XXXXXX";
    CHECK(mkdtemp(parent) != NULL);
    char *dir = sdk_asprintf_new("%s/state", parent), *lock = sdk_asprintf_new("%s/lock", dir);
    char *marker = sdk_asprintf_new("%s.sdk-state", dir);
    CHECK_INT(mkdir(dir, 0755), 0);
    FILE *f = fopen(lock, "w");
    CHECK(f != NULL);
    if (f) fclose(f);
    sdk_store *s = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(open_file(dir, false, &s, &e), 0);
    CHECK(access(marker, F_OK) == 0); /* from now on it is a state */
    sdk_store_close(s);
    sdk_errors_free(&e);
    rm_state_files(dir, true);
    unlink(marker);
    rmdir(parent);
    free(dir);
    free(lock);
    free(marker);
}

/* The scheduler itself: a deleted state directory stops it before anything starts (no local
 * cluster, no framework), with the way out in the message. */
static void test_scheduler_refuses_missing_state(void) {
    char tmpl[] = "/tmp/sdk-test-missing-XXXXXX";
    char *work = mkdtemp(tmpl);
    char *dir = sdk_asprintf_new("%s/state", work), *marker = sdk_asprintf_new("%s.sdk-state", dir);
    sdk_store *s = NULL;
    CHECK_INT(open_file(dir, false, &s, NULL), 0);
    if (s) make_state(s);
    sdk_store_close(s);
    rm_state_files(dir, true);
    const char *bin = getenv("SDK_BIN_DIR") ? getenv("SDK_BIN_DIR") : "bin";
    char *cmd = sdk_asprintf_new("%s/scheduler --plugin plugins/hello/hello.so --workdir %s --api 127.0.0.1:0 "
                                 "</dev/null 2>&1; echo rc=$?", bin, work);
    char *out = e2e_sh(cmd);
    CHECK_CONTAINS(out, "the state is missing");
    CHECK_CONTAINS(out, "--reset-state");
    CHECK_CONTAINS(out, "rc=1");
    char *cluster = sdk_asprintf_new("%s/cluster", work);
    CHECK(access(cluster, F_OK) != 0);
    CHECK(access(dir, F_OK) != 0 || access(marker, F_OK) == 0);
    free(out);
    /* part of it deleted: the framework id left, its target configuration gone */
    rm_state_files(dir, true);
    unlink(marker);
    s = NULL;
    CHECK_INT(open_file(dir, false, &s, NULL), 0);
    if (s) make_state(s);
    sdk_store_close(s);
    out = e2e_sh(cmd);
    CHECK_CONTAINS(out, "part of the state was deleted");
    CHECK_CONTAINS(out, "rc=1");
    CHECK(access(cluster, F_OK) != 0);
    free(out);
    free(cmd);
    free(cluster);
    rm_state_files(dir, true);
    unlink(marker);
    rmdir(work);
    free(dir);
    free(marker);
}

/* Part of a state deleted: a framework id without the target configuration it was registered
 * with, tasks without a framework id. */
static void test_partial_state_is_refused(void) {
    sdk_store *s = NULL;
    CHECK_INT(sdk_store_memory_open(&s), 0);
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "hello-world", &st, NULL), 0);
    if (!st) goto out;
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(sdk_state_check_complete(st, &e), 0); /* fresh */
    CHECK_INT(sdk_state_set_framework_id(st, "fw-old", 6, NULL), 0);
    CHECK_INT(sdk_state_check_complete(st, &e), SDK_ESTATE);
    CHECK_CONTAINS(e.n ? e.msgs[0] : NULL, "no target configuration");
    CHECK_CONTAINS(e.n ? e.msgs[0] : NULL, "--reset-state");
    sdk_errors_free(&e);
    CHECK_INT(sdk_state_set_config_target(st, "3f0b5a7e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", NULL), 0);
    CHECK_INT(sdk_state_check_complete(st, &e), 0);
    sdk_state_txn *t = sdk_state_txn_new(st);
    sdk_state_txn_put_task_info(t, "hello-0-server", "info", 4);
    sdk_state_txn_delete_framework_id(t);
    CHECK_INT(sdk_state_txn_commit(t, NULL), 0);
    sdk_state_txn_free(t);
    CHECK_INT(sdk_state_check_complete(st, &e), SDK_ESTATE);
    CHECK_CONTAINS(e.n ? e.msgs[0] : NULL, "tasks are stored but no framework id");
    sdk_errors_free(&e);
    sdk_state_free(st);
out:
    sdk_store_close(s);
}

static zk_server Z;

static int open_zk(const char *url, bool reset, sdk_store **s, sdk_errors *e) {
    sdk_store_zk_options o = {.session_timeout_ms = 2000, .op_timeout_ms = 5000, .lock_wait_ms = 4000,
                              .reset_state = reset};
    return sdk_store_zk_open(url, &o, s, e);
}

/* Deletes every child of root but the lock (another session's, or none). */
static void zk_delete_state(zhandle_t *zh, const char *root) {
    struct String_vector sv = {0};
    if (zoo_get_children(zh, root, 0, &sv) != ZOK) return;
    for (int i = 0; i < sv.count; i++) {
        if (!strcmp(sv.data[i], "lock")) continue;
        char *p = sdk_asprintf_new("%s/%s", root, sv.data[i]);
        zk_delete_state(zh, p);
        zoo_delete(zh, p, -1);
        free(p);
    }
    deallocate_String_vector(&sv);
}

static void test_zk_state_missing_is_refused(void) {
    if (!Z.pid) {
        CHECK_MSG(false, "no ZooKeeper server (see above)");
        return;
    }
    zhandle_t *raw = zk_server_connect(&Z);
    if (!raw) return;
    char *url = sdk_asprintf_new("zk://%s/missing-test", Z.connect);
    sdk_store *s = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    CHECK_INT(open_zk(url, false, &s, &e), 0);
    if (!s) goto out;
    make_state(s);
    sdk_store_close(s);
    s = NULL;

    zk_delete_state(raw, "/missing-test");
    struct Stat before, after;
    CHECK_INT(zoo_exists(raw, "/missing-test", 0, &before), ZOK);
    CHECK_INT(open_zk(url, false, &s, &e), SDK_ESTATE);
    CHECK(s == NULL);
    CHECK_CONTAINS(e.n ? e.msgs[0] : NULL, "the state is missing");
    CHECK_CONTAINS(e.n ? e.msgs[0] : NULL, "/missing-test");
    CHECK_INT(zoo_exists(raw, "/missing-test", 0, &after), ZOK);
    CHECK_INT(after.version, before.version); /* nothing written */
    CHECK_INT(after.numChildren, 0);          /* and the lock went with the session */

    sdk_errors_free(&e);
    CHECK_INT(open_zk(url, true, &s, &e), 0);
    if (!s) goto out;
    make_state(s);
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "hello-world", &st, NULL), 0);
    CHECK_INT(sdk_state_wipe(st, NULL), 0); /* an uninstall: emptied on purpose */
    sdk_state_free(st);
    sdk_store_close(s);
    s = NULL;
    CHECK_INT(open_zk(url, false, &s, &e), 0);
    sdk_store_close(s);
    s = NULL;
    /* the root itself deleted: a deliberate fresh start */
    zk_delete_state(raw, "/missing-test");
    CHECK_INT(zoo_delete(raw, "/missing-test", -1), ZOK);
    CHECK_INT(open_zk(url, false, &s, &e), 0);
out:
    sdk_store_close(s);
    sdk_errors_free(&e);
    free(url);
    zookeeper_close(raw);
}

int main(void) {
    sdk_log_set_level(SDK_LOG_ERROR);
    zoo_set_debug_level((ZooLogLevel)0);
    RUN(test_file_store_disk_full);
    RUN(test_file_state_missing_is_refused);
    RUN(test_lock_alone_is_no_trace);
    RUN(test_scheduler_refuses_missing_state);
    RUN(test_partial_state_is_refused);
    if (!zk_server_start(&Z)) Z.pid = 0;
    RUN(test_zk_state_missing_is_refused);
    zk_server_destroy(&Z);
    return check_summary("test_state_faults");
}
