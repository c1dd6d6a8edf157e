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

int main(void) {
    sdk_log_set_level(SDK_LOG_ERROR);
    RUN(test_file_store_disk_full);
    return check_summary("test_state_faults");
}
