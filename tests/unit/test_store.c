/* The store contract, run against every embedded backend through one table: each case runs on
 * "memory:" and on a fresh "file:DIR"; for the file backend `reopen` closes and reopens the store
 * mid-case so every assertion after it also checks what was made durable. */
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/state/store.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "tests/unit/check.h"

typedef struct backend {
    const char *name;
    sdk_store *s;
    char *dir; /* file backend only */
} backend;

static void rm_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *p = sdk_asprintf_new("%s/%s", dir, e->d_name);
        unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
    { /* the marker a file store leaves beside its directory (store.h) */
        char *m_ = sdk_asprintf_new("%s.sdk-state", dir);
        unlink(m_);
        free(m_);
    }
}

static void be_open(backend *b, bool file) {
    memset(b, 0, sizeof *b);
    sdk_errors errs;
    sdk_errors_init(&errs);
    if (file) {
        char tmpl[] = "/tmp/sdk-test-store-XXXXXX";
        b->dir = sdk_xstrdup(mkdtemp(tmpl));
        b->name = "file";
        char *url = sdk_asprintf_new("file:%s", b->dir);
        int rc = sdk_store_open_url(url, &b->s, &errs);
        CHECK_INT(rc, 0);
        free(url);
    } else {
        b->name = "memory";
        CHECK_INT(sdk_store_open_url("memory:", &b->s, &errs), 0);
    }
    if (errs.n) sdk_errors_print(&errs, "open");
    sdk_errors_free(&errs);
}

/* Closes and reopens a file store (its durable state must equal its in-memory state). */
static void be_reopen(backend *b) {
    if (!b->dir) return;
    size_t limit = sdk_store_max_value(b->s);
    sdk_store_close(b->s);
    b->s = NULL;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_store_file_open(b->dir, NULL, &b->s, &errs), 0);
    if (errs.n) sdk_errors_print(&errs, "reopen");
    sdk_errors_free(&errs);
    if (b->s) sdk_store_set_max_value(b->s, limit);
}

static void be_close(backend *b) {
    sdk_store_close(b->s);
    if (b->dir) rm_dir(b->dir);
    free(b->dir);
}

/* Returns a new copy of path's value as a string, or NULL when absent. */
static char *get(sdk_store *s, const char *path) {
    void *v = NULL;
    size_t len;
    if (!s || sdk_store_get_new(s, path, &v, &len, NULL) != 0) return NULL;
    return v;
}

static bool exists(sdk_store *s, const char *path) {
    bool e = false;
    if (s) CHECK_INT(sdk_store_exists(s, path, &e, NULL), 0);
    return e;
}

/* Children of path joined by ',' ("" when none), or "ENOENT". New string. */
static char *kids(sdk_store *s, const char *path) {
    char **names;
    size_t n;
    if (!s) return sdk_xstrdup("(no store)");
    int rc = sdk_store_children_new(s, path, &names, &n, NULL);
    if (rc == SDK_ENOENT) return sdk_xstrdup("ENOENT");
    if (rc) return sdk_xstrdup("ERROR");
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) sdk_buf_printf(&b, "%s%s", i ? "," : "", names[i]);
    sdk_store_names_free(names, n);
    return sdk_buf_take(&b);
}

static int set1(sdk_store *s, const char *path, const char *val, sdk_errors *errs) {
    sdk_store_op op = {SDK_STORE_SET, path, val, strlen(val)};
    return sdk_store_commit_ops(s, &op, 1, errs);
}

#define CHECK_GET(s, path, want) do { char *g_ = get(s, path); CHECK_STR(g_, want); free(g_); } while (0)
#define CHECK_ABSENT(s, path) do { char *g_ = get(s, path); CHECK_MSG(g_ == NULL, "%s = '%s'", path, g_); free(g_); } while (0)
#define CHECK_KIDS(s, path, want) do { char *k_ = kids(s, path); CHECK_STR(k_, want); free(k_); } while (0)

/* ---- cases, each run on every backend ---- */

static void case_set_get_ancestors(backend *b) {
    CHECK_INT(set1(b->s, "Tasks/hello-0-server/TaskInfo", "info", NULL), 0);
    be_reopen(b);
    CHECK_GET(b->s, "Tasks/hello-0-server/TaskInfo", "info");
    /* Ancestors exist with empty data, as in ZooKeeper. */
    CHECK(exists(b->s, "Tasks"));
    CHECK(exists(b->s, "Tasks/hello-0-server"));
    CHECK_GET(b->s, "Tasks/hello-0-server", "");
    CHECK(!exists(b->s, "Tasks/hello-1-server"));
    CHECK(exists(b->s, ""));
    void *v = (void *)1;
    size_t len = 7;
    CHECK_INT(sdk_store_get_new(b->s, "Tasks/nope", &v, &len, NULL), SDK_ENOENT);
    CHECK(v == NULL);
    CHECK_INT(len, 0);
    /* Replacing a value and binary values with NULs. */
    const char bin[] = {'a', 0, 'b', 0, (char)0xff};
    sdk_store_op op = {SDK_STORE_SET, "Tasks/hello-0-server/TaskInfo", bin, sizeof bin};
    CHECK_INT(sdk_store_commit_ops(b->s, &op, 1, NULL), 0);
    be_reopen(b);
    CHECK_INT(sdk_store_get_new(b->s, "Tasks/hello-0-server/TaskInfo", &v, &len, NULL), 0);
    CHECK_INT(len, sizeof bin);
    CHECK(v && memcmp(v, bin, sizeof bin) == 0);
    free(v);
    /* An empty value is a value. */
    CHECK_INT(set1(b->s, "FrameworkID", "", NULL), 0);
    CHECK_GET(b->s, "FrameworkID", "");
}

static void case_children(backend *b) {
    CHECK_INT(set1(b->s, "Tasks/b/TaskInfo", "1", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a/TaskInfo", "2", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a-1/TaskInfo", "3", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a/TaskStatus", "4", NULL), 0);
    CHECK_INT(set1(b->s, "Properties/x", "5", NULL), 0);
    be_reopen(b);
    CHECK_KIDS(b->s, "", "Properties,Tasks");
    CHECK_KIDS(b->s, "Tasks", "a,a-1,b"); /* grandchildren are not children */
    CHECK_KIDS(b->s, "Tasks/a", "TaskInfo,TaskStatus");
    CHECK_KIDS(b->s, "Tasks/a/TaskInfo", "");
    CHECK_KIDS(b->s, "Nothing", "ENOENT");
}

static void case_delete(backend *b) {
    CHECK_INT(set1(b->s, "Tasks/a/TaskInfo", "1", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a/TaskStatus", "2", NULL), 0);
    sdk_errors errs;
    sdk_errors_init(&errs);
    /* A node with children cannot be deleted alone: error names it, nothing changes. */
    sdk_store_op del = {SDK_STORE_DELETE, "Tasks/a", NULL, 0};
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "'Tasks/a'"));
    CHECK(sdk_errors_contains(&errs, "children"));
    be_reopen(b);
    CHECK_GET(b->s, "Tasks/a/TaskInfo", "1");
    /* Leaf delete keeps the parent (ZooKeeper semantics). */
    del.path = "Tasks/a/TaskInfo";
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, NULL), 0);
    CHECK_ABSENT(b->s, "Tasks/a/TaskInfo");
    CHECK_GET(b->s, "Tasks/a/TaskStatus", "2");
    CHECK(exists(b->s, "Tasks/a"));
    /* Deleting something absent is a no-op, not an error. */
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, NULL), 0);
    be_reopen(b);
    CHECK_ABSENT(b->s, "Tasks/a/TaskInfo");
    CHECK_KIDS(b->s, "Tasks/a", "TaskStatus");
    sdk_errors_free(&errs);
}

static void case_delete_tree(backend *b) {
    CHECK_INT(set1(b->s, "Tasks/a/TaskInfo", "1", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a/Metadata/override-status", "PENDING", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a-1/TaskInfo", "2", NULL), 0); /* shares the prefix "Tasks/a" */
    CHECK_INT(set1(b->s, "Tasks/a0", "3", NULL), 0);
    CHECK_INT(set1(b->s, "Tasksx", "4", NULL), 0);
    sdk_store_op del = {SDK_STORE_DELETE_TREE, "Tasks/a", NULL, 0};
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, NULL), 0);
    be_reopen(b);
    CHECK(!exists(b->s, "Tasks/a"));
    CHECK(!exists(b->s, "Tasks/a/Metadata/override-status"));
    CHECK_GET(b->s, "Tasks/a-1/TaskInfo", "2");
    CHECK_GET(b->s, "Tasks/a0", "3");
    CHECK_KIDS(b->s, "Tasks", "a-1,a0");
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, NULL), 0); /* absent: no-op */
    del.path = "Tasks";
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, NULL), 0);
    CHECK_KIDS(b->s, "", "Tasksx");
}

static void case_txn_multi(backend *b) {
    CHECK_INT(set1(b->s, "Tasks/old/TaskInfo", "x", NULL), 0);
    sdk_store_txn *t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "Tasks/p-0/TaskInfo", "i0");
    sdk_store_txn_set_str(t, "Tasks/p-1/TaskInfo", "i1");
    sdk_store_txn_delete_tree(t, "Tasks/old");
    sdk_store_txn_set_str(t, "Tasks/p-0/TaskInfo", "i0b"); /* later ops see earlier ones */
    CHECK_INT(sdk_store_txn_count(t), 4);
    CHECK_INT(sdk_store_txn_commit(b->s, t, NULL), 0);
    sdk_store_txn_free(t);
    be_reopen(b);
    CHECK_GET(b->s, "Tasks/p-0/TaskInfo", "i0b");
    CHECK_GET(b->s, "Tasks/p-1/TaskInfo", "i1");
    CHECK_KIDS(b->s, "Tasks", "p-0,p-1");
    CHECK_INT(sdk_store_commit_ops(b->s, NULL, 0, NULL), 0); /* empty txn */
}

static void case_txn_over_limit_changes_nothing(backend *b) {
    CHECK_INT(set1(b->s, "Properties/keep", "old", NULL), 0);
    sdk_store_set_max_value(b->s, 16);
    CHECK_INT(sdk_store_max_value(b->s), 16);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_store_txn *t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "Properties/keep", "new");
    sdk_store_txn_set_str(t, "Tasks/t/TaskInfo", "small");
    sdk_store_txn_set_str(t, "Tasks/t/TaskStatus", "this value is too big");
    CHECK_INT(sdk_store_txn_commit(b->s, t, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "'Tasks/t/TaskStatus'"));
    CHECK(sdk_errors_contains(&errs, "21 bytes"));
    CHECK(sdk_errors_contains(&errs, "16 bytes"));
    sdk_store_txn_free(t);
    be_reopen(b);
    CHECK_GET(b->s, "Properties/keep", "old");
    CHECK(!exists(b->s, "Tasks"));
    /* At the limit is fine. */
    CHECK_INT(set1(b->s, "Tasks/t/TaskStatus", "0123456789abcdef", NULL), 0);
    sdk_errors_free(&errs);
}

static void case_txn_backend_failure_rolls_back(backend *b) {
    /* The failing op is found only while applying (a delete of a node that has children): the
     * earlier ops of the txn, including ancestors they created, must be undone. */
    CHECK_INT(set1(b->s, "Configurations/c1", "{}", NULL), 0);
    CHECK_INT(set1(b->s, "ConfigTarget", "c1", NULL), 0);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_store_txn *t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "ConfigTarget", "c2");
    sdk_store_txn_set_str(t, "Tasks/new/TaskInfo", "i");
    sdk_store_txn_delete_tree(t, "Configurations/c1");
    sdk_store_txn_delete(t, "Tasks"); /* has children (created above) */
    CHECK_INT(sdk_store_txn_commit(b->s, t, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "'Tasks'"));
    sdk_store_txn_free(t);
    CHECK_GET(b->s, "ConfigTarget", "c1");
    CHECK_GET(b->s, "Configurations/c1", "{}");
    CHECK(!exists(b->s, "Tasks"));
    be_reopen(b);
    CHECK_GET(b->s, "ConfigTarget", "c1");
    CHECK_GET(b->s, "Configurations/c1", "{}");
    CHECK(!exists(b->s, "Tasks"));
    CHECK_KIDS(b->s, "", "ConfigTarget,Configurations");
    sdk_errors_free(&errs);
}

static void case_bad_paths(backend *b) {
    const char *bad[] = {"", "/Tasks", "Tasks/", "Tasks//a", "Tasks/./a", "Tasks/..", "a\nb"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sdk_errors errs;
        sdk_errors_init(&errs);
        CHECK_INT(set1(b->s, bad[i], "v", &errs), SDK_EINVAL);
        CHECK_MSG(sdk_errors_contains(&errs, "invalid path"), "path '%s'", bad[i]);
        void *v;
        size_t len;
        CHECK_INT(sdk_store_get_new(b->s, bad[i], &v, &len, NULL), SDK_EINVAL);
        sdk_errors_free(&errs);
    }
    /* A bad op anywhere refuses the whole batch. */
    sdk_store_op ops[] = {{SDK_STORE_SET, "Good", "v", 1}, {SDK_STORE_SET, "bad/", "v", 1}};
    CHECK_INT(sdk_store_commit_ops(b->s, ops, 2, NULL), SDK_EINVAL);
    be_reopen(b);
    CHECK_KIDS(b->s, "", "");
}

/* sdk_store_peek: the stored bytes without a copy, NUL after them, the same as get_new; absent
 * and bad paths answer as get_new does. */
static void case_peek(backend *b) {
    CHECK_INT(set1(b->s, "Tasks/t1/TaskInfo", "info-bytes", NULL), 0);
    be_reopen(b);
    const void *v = NULL;
    size_t len = 0;
    CHECK_INT(sdk_store_peek(b->s, "Tasks/t1/TaskInfo", &v, &len, NULL), 0);
    CHECK_INT(len, 10);
    CHECK(v && !memcmp(v, "info-bytes", 11));
    CHECK_INT(sdk_store_peek(b->s, "Tasks/t1/TaskStatus", &v, &len, NULL), SDK_ENOENT);
    CHECK(v == NULL && len == 0);
    CHECK_INT(sdk_store_peek(b->s, "bad//path", &v, &len, NULL), SDK_EINVAL);
}

typedef struct {
    const char *name;
    void (*fn)(backend *);
} store_case;

static const store_case cases[] = {
    {"set_get_ancestors", case_set_get_ancestors},
    {"children", case_children},
    {"delete", case_delete},
    {"delete_tree", case_delete_tree},
    {"txn_multi", case_txn_multi},
    {"txn_over_limit_changes_nothing", case_txn_over_limit_changes_nothing},
    {"txn_backend_failure_rolls_back", case_txn_backend_failure_rolls_back},
    {"bad_paths", case_bad_paths},
    {"peek", case_peek},
};

static void run_table(bool file) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int before = check_cur_failed_;
        backend b;
        be_open(&b, file);
        if (b.s) cases[i].fn(&b);
        if (check_cur_failed_ != before)
            fprintf(stderr, "  (in case %s on the %s backend)\n", cases[i].name, b.name);
        be_close(&b);
    }
}

static void test_memory_backend(void) { run_table(false); }
static void test_file_backend(void) { run_table(true); }

static void test_open_url(void) {
    sdk_store *s = (sdk_store *)1;
    sdk_errors errs;
    sdk_errors_init(&errs);
    /* zk:// is the ZooKeeper backend (tests/unit/test_store_zk.c); without a path and without a
     * service name there is no root to use */
    CHECK_INT(sdk_store_open_url("zk://127.0.0.1:1", &s, &errs), SDK_EINVAL);
    CHECK(s == NULL);
    CHECK(sdk_errors_contains(&errs, "names no root path"));
    CHECK_INT(sdk_store_open_url("etcd://x", &s, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "unknown store URL 'etcd://x'"));
    CHECK_INT(sdk_store_open_url("file:", &s, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "names no directory"));
    CHECK_INT(sdk_store_open_url("memory:", &s, &errs), 0);
    CHECK_STR(sdk_store_describe(s), "memory");
    CHECK_INT(sdk_store_max_value(s), 1000000);
    sdk_store_close(s);
    sdk_errors_free(&errs);
}

int main(void) {
    sdk_log_set_level(SDK_LOG_ERROR);
    RUN(test_memory_backend);
    RUN(test_file_backend);
    RUN(test_open_url);
    return check_summary("test_store");
}
