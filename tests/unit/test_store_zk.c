/* The ZooKeeper state backend against a real ZooKeeper server (tests/unit/zk_server.h, one
 * server for the whole binary): the store contract of test_store.c, large values, journaled
 * transactions seen by a concurrent reader, the single-writer lock, bad input, session loss and
 * recovery after a server restart, dump/restore between file: and zk: stores, and loading big
 * trees (helper sessions, every shape the loader's guesses miss, nodes deleted mid-load). */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "core/loop/loop.h"
#include "core/state/dump.h"
#include "core/state/layout.h"
#include "core/state/store.h"
#include "core/state/store_zk.h"
#include "core/util/log.h"
#include "core/util/str.h"
#include "tests/unit/zk_server.h"

static zk_server Z;
static bool Z_up;
static zhandle_t *RAW; /* the test's own session */
static int root_seq;

/* A fresh root URL for one case. */
static char *new_url(const char *tag, char **root) {
    *root = sdk_asprintf_new("/t%d-%s", ++root_seq, tag);
    return sdk_asprintf_new("zk://%s%s", Z.connect, *root);
}

static sdk_store *open_zk(const char *url, const sdk_store_zk_options *o) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_store *s = NULL;
    sdk_store_zk_options d = {.session_timeout_ms = 2000, .op_timeout_ms = 5000, .lock_wait_ms = 4000};
    int rc = sdk_store_zk_open(url, o ? o : &d, &s, &errs);
    CHECK_MSG(rc == 0, "open %s: %d %s", url, rc, errs.n ? errs.msgs[0] : "");
    sdk_errors_free(&errs);
    return s;
}

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The raw znode tree under root as "path=hexdata\n" lines (lock and blobs included). */
static void raw_walk(const char *path, sdk_buf *b) {
    char data[4096];
    int len = sizeof data;
    struct Stat st;
    if (zoo_get(RAW, path, 0, data, &len, &st) != ZOK) return;
    sdk_buf_printf(b, "%s=", path);
    for (int i = 0; i < len; i++) sdk_buf_printf(b, "%02x", (unsigned char)data[i]);
    sdk_buf_printf(b, " v%d\n", st.version);
    struct String_vector sv = {0};
    if (zoo_get_children(RAW, path, 0, &sv) != ZOK) return;
    qsort(sv.data, (size_t)sv.count, sizeof *sv.data, str_cmp);
    for (int i = 0; i < sv.count; i++) {
        char *c = sdk_asprintf_new("%s/%s", path, sv.data[i]);
        raw_walk(c, b);
        free(c);
    }
    deallocate_String_vector(&sv);
}

static char *raw_tree_new(const char *root) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    raw_walk(root, &b);
    return sdk_buf_take(&b);
}

static int raw_children(const char *path) {
    struct String_vector sv = {0};
    if (zoo_get_children(RAW, path, 0, &sv) != ZOK) return -1;
    int n = sv.count;
    deallocate_String_vector(&sv);
    return n;
}

/* ---- the store contract (as test_store.c), each case on a fresh root ---- */

typedef struct be {
    sdk_store *s;
    char *url, *root;
} be;

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
    return s ? sdk_store_commit_ops(s, &op, 1, errs) : SDK_EIO;
}

#define CHECK_GET(s, path, want) do { char *g_ = get(s, path); CHECK_STR(g_, want); free(g_); } while (0)
#define CHECK_ABSENT(s, path) do { char *g_ = get(s, path); CHECK_MSG(g_ == NULL, "%s = '%s'", path, g_); free(g_); } while (0)
#define CHECK_KIDS(s, path, want) do { char *k_ = kids(s, path); CHECK_STR(k_, want); free(k_); } while (0)

/* Closes and reopens: every later assertion checks what ZooKeeper holds. */
static void reopen(be *b) {
    size_t limit = b->s ? sdk_store_max_value(b->s) : 0;
    sdk_store_close(b->s);
    b->s = open_zk(b->url, NULL);
    if (b->s && limit) sdk_store_set_max_value(b->s, limit);
}

static void case_set_get_ancestors(be *b) {
    CHECK_INT(set1(b->s, "Tasks/hello-0-server/TaskInfo", "info", NULL), 0);
    reopen(b);
    CHECK_GET(b->s, "Tasks/hello-0-server/TaskInfo", "info");
    CHECK(exists(b->s, "Tasks/hello-0-server"));
    CHECK_GET(b->s, "Tasks/hello-0-server", "");
    CHECK(!exists(b->s, "Tasks/hello-1-server"));
    CHECK(exists(b->s, ""));
    const char bin[] = {'a', 0, 'b', 0, (char)0xff};
    sdk_store_op op = {SDK_STORE_SET, "Tasks/hello-0-server/TaskInfo", bin, sizeof bin};
    CHECK_INT(sdk_store_commit_ops(b->s, &op, 1, NULL), 0);
    reopen(b);
    void *v = NULL;
    size_t len = 0;
    CHECK_INT(sdk_store_get_new(b->s, "Tasks/hello-0-server/TaskInfo", &v, &len, NULL), 0);
    CHECK(len == sizeof bin && v && memcmp(v, bin, sizeof bin) == 0);
    free(v);
    CHECK_INT(set1(b->s, "FrameworkID", "", NULL), 0);
    reopen(b);
    CHECK_GET(b->s, "FrameworkID", "");
    /* The lock and blob znodes are not part of the logical tree. */
    CHECK_KIDS(b->s, "", "FrameworkID,Tasks");
}

static void case_children(be *b) {
    CHECK_INT(set1(b->s, "Tasks/b/TaskInfo", "1", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a/TaskInfo", "2", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a-1/TaskInfo", "3", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a/TaskStatus", "4", NULL), 0);
    CHECK_INT(set1(b->s, "Properties/x", "5", NULL), 0);
    reopen(b);
    CHECK_KIDS(b->s, "", "Properties,Tasks");
    CHECK_KIDS(b->s, "Tasks", "a,a-1,b");
    CHECK_KIDS(b->s, "Tasks/a", "TaskInfo,TaskStatus");
    CHECK_KIDS(b->s, "Nothing", "ENOENT");
}

static void case_delete(be *b) {
    CHECK_INT(set1(b->s, "Tasks/a/TaskInfo", "1", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a/TaskStatus", "2", NULL), 0);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_store_op del = {SDK_STORE_DELETE, "Tasks/a", NULL, 0};
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "'Tasks/a'"));
    reopen(b);
    CHECK_GET(b->s, "Tasks/a/TaskInfo", "1");
    del.path = "Tasks/a/TaskInfo";
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, NULL), 0);
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, NULL), 0); /* absent: no-op */
    reopen(b);
    CHECK_ABSENT(b->s, "Tasks/a/TaskInfo");
    CHECK_KIDS(b->s, "Tasks/a", "TaskStatus");
    sdk_errors_free(&errs);
}

static void case_delete_tree(be *b) {
    CHECK_INT(set1(b->s, "Tasks/a/TaskInfo", "1", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a/Metadata/override-status", "PENDING", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a-1/TaskInfo", "2", NULL), 0);
    CHECK_INT(set1(b->s, "Tasksx", "4", NULL), 0);
    CHECK_INT(set1(b->s, "Tasks/a0", "3", NULL), 0); /* data where the loader guesses a directory */
    CHECK_INT(set1(b->s, "Properties/p/q", "5", NULL), 0); /* children where it guesses a leaf */
    sdk_store_op del = {SDK_STORE_DELETE_TREE, "Tasks/a", NULL, 0};
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, NULL), 0);
    reopen(b);
    CHECK(!exists(b->s, "Tasks/a"));
    CHECK_GET(b->s, "Tasks/a-1/TaskInfo", "2");
    CHECK_GET(b->s, "Tasks/a0", "3");
    CHECK_GET(b->s, "Properties/p/q", "5");
    CHECK_KIDS(b->s, "Tasks", "a-1,a0");
    del.path = "Tasks";
    CHECK_INT(sdk_store_commit_ops(b->s, &del, 1, NULL), 0);
    reopen(b);
    CHECK_KIDS(b->s, "", "Properties,Tasksx");
}

static void case_txn_multi(be *b) {
    CHECK_INT(set1(b->s, "Tasks/old/TaskInfo", "x", NULL), 0);
    sdk_store_txn *t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "Tasks/p-0/TaskInfo", "i0");
    sdk_store_txn_set_str(t, "Tasks/p-1/TaskInfo", "i1");
    sdk_store_txn_delete_tree(t, "Tasks/old");
    sdk_store_txn_set_str(t, "Tasks/p-0/TaskInfo", "i0b");
    sdk_store_txn_delete_tree(t, "Tasks/p-1"); /* created and removed in one txn */
    sdk_store_txn_set_str(t, "Tasks/p-1/TaskStatus", "s1");
    CHECK_INT(sdk_store_txn_commit(b->s, t, NULL), 0);
    sdk_store_txn_free(t);
    reopen(b);
    CHECK_GET(b->s, "Tasks/p-0/TaskInfo", "i0b");
    CHECK_GET(b->s, "Tasks/p-1/TaskStatus", "s1");
    CHECK_KIDS(b->s, "Tasks", "p-0,p-1");
    CHECK_KIDS(b->s, "Tasks/p-1", "TaskStatus");
}

static void case_over_limit_and_failures_change_nothing(be *b) {
    CHECK_INT(set1(b->s, "Properties/keep", "old", NULL), 0);
    CHECK_INT(set1(b->s, "ConfigTarget", "c1", NULL), 0);
    char *before = raw_tree_new(b->root);
    sdk_store_set_max_value(b->s, 16);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_store_txn *t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "Properties/keep", "new");
    sdk_store_txn_set_str(t, "Tasks/t/TaskStatus", "this value is too big");
    CHECK_INT(sdk_store_txn_commit(b->s, t, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "21 bytes"));
    sdk_store_txn_free(t);
    /* A failure found while applying (delete of a node with children) undoes everything. */
    t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "ConfigTarget", "c2");
    sdk_store_txn_set_str(t, "Tasks/new/TaskInfo", "i");
    sdk_store_txn_delete(t, "Tasks");
    CHECK_INT(sdk_store_txn_commit(b->s, t, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "'Tasks'"));
    sdk_store_txn_free(t);
    /* Reserved names and bad paths. */
    CHECK_INT(set1(b->s, "lock", "x", &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "reserved"));
    CHECK_INT(set1(b->s, "__sdk_blobs/x", "x", &errs), SDK_EINVAL);
    CHECK_INT(set1(b->s, "Tasks//a", "x", &errs), SDK_EINVAL);
    CHECK_GET(b->s, "ConfigTarget", "c1");
    CHECK(!exists(b->s, "Tasks"));
    char *after = raw_tree_new(b->root);
    CHECK_STR(after, before);
    free(before);
    free(after);
    sdk_errors_free(&errs);
}

typedef struct {
    const char *name;
    void (*fn)(be *);
} zk_case;

static const zk_case cases[] = {
    {"set_get_ancestors", case_set_get_ancestors},
    {"children", case_children},
    {"delete", case_delete},
    {"delete_tree", case_delete_tree},
    {"txn_multi", case_txn_multi},
    {"over_limit_and_failures_change_nothing", case_over_limit_and_failures_change_nothing},
};

static void test_store_contract(void) {
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int before = check_cur_failed_;
        be b = {0};
        b.url = new_url(cases[i].name, &b.root);
        b.s = open_zk(b.url, NULL);
        if (b.s) cases[i].fn(&b);
        if (check_cur_failed_ != before) fprintf(stderr, "  (in case %s)\n", cases[i].name);
        sdk_store_close(b.s);
        free(b.url);
        free(b.root);
    }
}

/* ---- large values ---- */

static void test_three_megabyte_value_is_chunked(void) {
    char *root, *url = new_url("big", &root);
    sdk_store *s = open_zk(url, NULL);
    size_t n = 3u << 20;
    unsigned char *big = malloc(n);
    for (size_t i = 0; i < n; i++) big[i] = (unsigned char)(i * 2654435761u >> 13);
    sdk_store_op op = {SDK_STORE_SET, "Properties/file-big", big, n};
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_store_commit_ops(s, &op, 1, &errs), 0);
    sdk_store_close(s);
    /* In ZooKeeper: a pointer plus one blob of 7 chunks of at most 512000 bytes. */
    char *blobs = sdk_asprintf_new("%s/__sdk_blobs", root);
    CHECK_INT(raw_children(blobs), 1);
    s = open_zk(url, NULL);
    void *v = NULL;
    size_t len = 0;
    CHECK_INT(sdk_store_get_new(s, "Properties/file-big", &v, &len, NULL), 0);
    CHECK_INT(len, n);
    CHECK(v && memcmp(v, big, n) == 0);
    free(v);
    /* Replacing it with a small value deletes the blob. */
    CHECK_INT(set1(s, "Properties/file-big", "small", NULL), 0);
    CHECK_INT(raw_children(blobs), 0);
    /* A small value that looks like a pointer is stored as a blob, and reads back as itself. */
    const char fake[] = "\0sdk-blob-v1\0nonsense";
    op = (sdk_store_op){SDK_STORE_SET, "Properties/tricky", fake, sizeof fake - 1};
    CHECK_INT(sdk_store_commit_ops(s, &op, 1, NULL), 0);
    sdk_store_close(s);
    s = open_zk(url, NULL);
    CHECK_INT(sdk_store_get_new(s, "Properties/tricky", &v, &len, NULL), 0);
    CHECK(len == sizeof fake - 1 && v && memcmp(v, fake, len) == 0);
    free(v);
    CHECK_GET(s, "Properties/file-big", "small");
    sdk_store_close(s);
    free(big);
    free(blobs);
    free(url);
    free(root);
    sdk_errors_free(&errs);
}

/* ---- a transaction split over several requests: a reader never sees half of it ---- */

typedef struct reader_probe {
    const char *url;
    int calls, mixed, old_seen, new_seen;
} reader_probe;

static void probe_reader(void *ud) {
    reader_probe *p = ud;
    p->calls++;
    sdk_store_zk_options ro = {.read_only = true, .op_timeout_ms = 5000};
    sdk_store *r = NULL;
    if (sdk_store_zk_open(p->url, &ro, &r, NULL) != 0) {
        p->mixed++;
        return;
    }
    int olds = 0, news = 0;
    for (int i = 0; i < 40; i++) {
        char path[64];
        snprintf(path, sizeof path, "Tasks/t-%02d/TaskInfo", i);
        char *v = get(r, path);
        if (v && v[0] == 'o') olds++;
        if (v && v[0] == 'n') news++;
        free(v);
    }
    bool gone = exists(r, "Tasks/doomed");
    if (olds == 40 && news == 0 && gone) p->old_seen++;
    else if (news == 40 && olds == 0 && !gone) p->new_seen++;
    else p->mixed++;
    sdk_store_close(r);
}

static void test_split_transaction_is_never_half_visible(void) {
    char *root, *url = new_url("split", &root);
    reader_probe p = {.url = url};
    sdk_store_zk_options o = {.session_timeout_ms = 2000, .op_timeout_ms = 5000, .lock_wait_ms = 4000,
                              .max_request = 8192, .after_request = probe_reader,
                              .after_request_ud = &p};
    sdk_store *s = open_zk(url, &o);
    char val[1001];
    sdk_store_txn *t = sdk_store_txn_new();
    for (int i = 0; i < 40; i++) {
        char path[64];
        snprintf(path, sizeof path, "Tasks/t-%02d/TaskInfo", i);
        memset(val, 'o', 1000);
        val[1000] = 0;
        sdk_store_txn_set_str(t, path, val);
    }
    sdk_store_txn_set_str(t, "Tasks/doomed/TaskInfo", "x");
    CHECK_INT(sdk_store_txn_commit(s, t, NULL), 0);
    sdk_store_txn_free(t);
    p = (reader_probe){.url = url};
    t = sdk_store_txn_new();
    for (int i = 0; i < 40; i++) {
        char path[64];
        snprintf(path, sizeof path, "Tasks/t-%02d/TaskInfo", i);
        memset(val, 'n', 1000);
        sdk_store_txn_set_str(t, path, val);
    }
    sdk_store_txn_delete_tree(t, "Tasks/doomed");
    CHECK_INT(sdk_store_txn_commit(s, t, NULL), 0);
    sdk_store_txn_free(t);
    /* 40 KB in 8 KB requests: journal blob, flip, several batches, clear, journal deletion. */
    CHECK_MSG(p.calls >= 6, "requests: %d", p.calls);
    CHECK_INT(p.mixed, 0);
    CHECK(p.old_seen >= 1); /* while the journal blob was written */
    CHECK(p.new_seen >= 4); /* from the flip on */
    sdk_store_close(s);
    /* Afterwards nothing is left over: the root is clean and no blob remains. */
    char data[64];
    int dl = sizeof data;
    CHECK_INT(zoo_get(RAW, root, 0, data, &dl, NULL), ZOK);
    CHECK_INT(dl, 0);
    char *blobs = sdk_asprintf_new("%s/__sdk_blobs", root);
    CHECK_INT(raw_children(blobs), 0);
    free(blobs);
    s = open_zk(url, NULL);
    CHECK_KIDS(s, "Tasks", "t-00,t-01,t-02,t-03,t-04,t-05,t-06,t-07,t-08,t-09,t-10,t-11,t-12,t-13,"
                           "t-14,t-15,t-16,t-17,t-18,t-19,t-20,t-21,t-22,t-23,t-24,t-25,t-26,t-27,"
                           "t-28,t-29,t-30,t-31,t-32,t-33,t-34,t-35,t-36,t-37,t-38,t-39");
    sdk_store_close(s);
    free(url);
    free(root);
}

/* ---- single writer ---- */

static void test_second_writer_is_refused_and_writes_nothing(void) {
    char *root, *url = new_url("lock", &root);
    sdk_store *a = open_zk(url, NULL);
    CHECK_INT(set1(a, "FrameworkID", "fw-1", NULL), 0);
    CHECK_INT(set1(a, "Tasks/x/TaskInfo", "i", NULL), 0);
    char *before = raw_tree_new(root);
    sdk_store_zk_options o = {.session_timeout_ms = 2000, .op_timeout_ms = 5000, .lock_wait_ms = 600};
    sdk_store *b = (sdk_store *)1;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_store_zk_open(url, &o, &b, &errs), SDK_EBUSY);
    CHECK(b == NULL);
    char pid[32];
    snprintf(pid, sizeof pid, "pid=%ld", (long)getpid());
    CHECK(sdk_errors_contains(&errs, root));
    CHECK(sdk_errors_contains(&errs, pid));
    CHECK(sdk_errors_contains(&errs, "locked"));
    char *after = raw_tree_new(root);
    CHECK_STR(after, before);
    /* A reader may still look; the holder keeps working; after close the lock is free. */
    sdk_store_zk_options ro = {.read_only = true};
    sdk_store *r = NULL;
    CHECK_INT(sdk_store_zk_open(url, &ro, &r, NULL), 0);
    CHECK_GET(r, "FrameworkID", "fw-1");
    sdk_errors_free(&errs);
    sdk_errors_init(&errs);
    CHECK_INT(set1(r, "FrameworkID", "no", &errs), SDK_ESTATE);
    CHECK(sdk_errors_contains(&errs, "read-only"));
    sdk_store_close(r);
    CHECK_INT(set1(a, "FrameworkID", "fw-2", NULL), 0);
    sdk_store_close(a);
    b = open_zk(url, &o);
    CHECK_GET(b, "FrameworkID", "fw-2");
    sdk_store_close(b);
    free(before);
    free(after);
    free(url);
    free(root);
    sdk_errors_free(&errs);
}

/* ---- bad input ---- */

static void test_bad_urls_and_unreachable_server(void) {
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_store *s = (sdk_store *)1;
    CHECK_INT(sdk_store_zk_open("zk://", NULL, &s, &errs), SDK_EINVAL);
    CHECK(s == NULL);
    CHECK_INT(sdk_store_zk_open("zk://h:x/p", NULL, &s, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "zk://h:x/p"));
    CHECK_INT(sdk_store_zk_open("zk://h:1/a//b", NULL, &s, &errs), SDK_EINVAL);
    CHECK_INT(sdk_store_open_url("zk://h:1", &s, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "names no root path"));
    char *root = NULL;
    CHECK_INT(sdk_store_zk_root_new("zk://u:p@h:1,g:2", "a/b", &root, NULL), 0);
    CHECK_STR(root, "/dcos-service-a__b");
    free(root);
    CHECK_INT(sdk_store_zk_root_new("zk://h:1/x/y/", "a", &root, NULL), 0);
    CHECK_STR(root, "/x/y");
    free(root);
    /* Nobody listens on port 1: a clear error within the bound. */
    sdk_errors_free(&errs);
    sdk_errors_init(&errs);
    sdk_store_zk_options o = {.op_timeout_ms = 1500};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT(sdk_store_zk_open("zk://127.0.0.1:1/dcos-service-x", &o, &s, &errs), SDK_EIO);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK_MSG(secs < 3.0, "took %.1f s", secs);
    CHECK(sdk_errors_contains(&errs, "cannot reach ZooKeeper at 127.0.0.1:1"));
    CHECK(s == NULL);
    sdk_errors_free(&errs);
}

static void test_newer_schema_is_refused(void) {
    char *root, *url = new_url("schema", &root);
    sdk_store *s = open_zk(url, NULL);
    CHECK_INT(set1(s, "SchemaVersion", "7", NULL), 0);
    CHECK_INT(set1(s, "servicename", "hello", NULL), 0);
    char *before = raw_tree_new(root);
    sdk_errors errs;
    sdk_errors_init(&errs);
    sdk_state *st = NULL;
    CHECK_INT(sdk_state_open_new(s, "hello", &st, &errs), SDK_ESTATE);
    CHECK(sdk_errors_contains(&errs, "7"));
    CHECK(sdk_errors_contains(&errs, "1"));
    char *after = raw_tree_new(root);
    CHECK_STR(after, before);
    sdk_state_free(st);
    sdk_store_close(s);
    free(before);
    free(after);
    sdk_errors_free(&errs);
    free(url);
    free(root);
}

static void test_digest_auth(void) {
    char *root = sdk_asprintf_new("/t%d-auth", ++root_seq);
    char *url = sdk_asprintf_new("zk://alice:secret@%s%s", Z.connect, root);
    sdk_store *s = open_zk(url, NULL);
    CHECK_INT(set1(s, "FrameworkID", "fw", NULL), 0);
    char *p = sdk_asprintf_new("%s/FrameworkID", root);
    char data[16];
    int dl = sizeof data;
    CHECK_INT(zoo_get(RAW, p, 0, data, &dl, NULL), ZNOAUTH); /* anonymous clients cannot read */
    sdk_store_close(s);
    s = open_zk(url, NULL);
    CHECK_GET(s, "FrameworkID", "fw");
    sdk_store_close(s);
    free(p);
    free(url);
    free(root);
}

/* ---- loading big trees ---- */

/* Every node the store holds as "path=value\n" lines, depth first, children sorted. Values
 * longer than 64 bytes appear as their length and first byte. */
static void store_walk(sdk_store *s, const char *path, sdk_buf *b) {
    if (*path) {
        void *v = NULL;
        size_t len = 0;
        if (sdk_store_get_new(s, path, &v, &len, NULL) != 0) sdk_buf_printf(b, "%s=(unreadable)\n", path);
        else if (len > 64) sdk_buf_printf(b, "%s=(%zu bytes, %c...)\n", path, len, *(char *)v);
        else sdk_buf_printf(b, "%s=%s\n", path, (char *)v);
        free(v);
    }
    char **names;
    size_t n;
    if (sdk_store_children_new(s, path, &names, &n, NULL) != 0) return;
    for (size_t i = 0; i < n; i++) {
        char *c = *path ? sdk_asprintf_new("%s/%s", path, names[i]) : sdk_xstrdup(names[i]);
        store_walk(s, c, b);
        free(c);
    }
    sdk_store_names_free(names, n);
}

static char *store_dump_new(sdk_store *s) {
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_puts(&b, "");
    if (s) store_walk(s, "", &b);
    return sdk_buf_take(&b);
}

/* Writes n tasks Tasks/<prefix>-<i>/{TaskInfo,TaskStatus} (and override-status for every
 * third) in transactions of 200 tasks; TaskInfo holds tag. */
static int put_tasks(sdk_store *s, const char *prefix, int n, const char *tag) {
    for (int base = 0; base < n; base += 200) {
        sdk_store_txn *t = sdk_store_txn_new();
        for (int i = base; i < n && i < base + 200; i++) {
            char p[96], v[64];
            snprintf(p, sizeof p, "Tasks/%s-%04d/TaskInfo", prefix, i);
            snprintf(v, sizeof v, "%s-info-%d", tag, i);
            sdk_store_txn_set_str(t, p, v);
            snprintf(p, sizeof p, "Tasks/%s-%04d/TaskStatus", prefix, i);
            snprintf(v, sizeof v, "status-%d", i);
            sdk_store_txn_set_str(t, p, v);
            if (i % 3 == 0) {
                snprintf(p, sizeof p, "Tasks/%s-%04d/Metadata/override-status", prefix, i);
                sdk_store_txn_set_str(t, p, "COMPLETE");
            }
        }
        sdk_errors errs;
        sdk_errors_init(&errs);
        int rc = sdk_store_txn_commit(s, t, &errs);
        CHECK_MSG(rc == 0, "commit: %s", errs.n ? errs.msgs[0] : "?");
        sdk_errors_free(&errs);
        sdk_store_txn_free(t);
        if (rc) return rc;
    }
    return 0;
}

#if !defined(__SANITIZE_ADDRESS__) /* (see the frozen server below) */
static double now_secs(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *freeze_main(void *ud) {
    (void)ud;
    usleep(150000);
    kill(Z.pid, SIGSTOP);
    return NULL;
}
#endif

/* A tree big enough for a node-by-node load to use helper sessions (and with digest auth, which
 * they and the bulk reader's connection must add too), with every shape the loader's guesses can
 * miss: a task directory with data, a leaf with children, an empty leaf where a directory is
 * expected, a deep chain, a blob. The load in bulk, through one session, through helpers, and
 * read-only must all give the same tree. */
static void test_big_load_with_helper_sessions(void) {
    char *root = sdk_asprintf_new("/t%d-bigload", ++root_seq);
    char *url = sdk_asprintf_new("zk://bob:pw@%s%s", Z.connect, root);
    sdk_store *s = open_zk(url, NULL);
    if (!s) goto out;
    CHECK_INT(put_tasks(s, "t", 2400, "a"), 0);
    sdk_store_txn *t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "Tasks/t-0000", "dir-with-data");
    sdk_store_txn_set_str(t, "Tasks/empty", "");
    sdk_store_txn_set_str(t, "FrameworkID", "fw");
    sdk_store_txn_set_str(t, "FrameworkID/odd", "leaf-with-child");
    sdk_store_txn_set_str(t, "Deep/a/b/c/d/e/f/g/h", "deep");
    sdk_store_txn_set_str(t, "Configurations/abc", "{}");
    sdk_store_txn_set_str(t, "Configurations/abc/x", "y");
    size_t bn = 700000;
    char *big = malloc(bn + 1);
    memset(big, 'B', bn);
    big[bn] = 0;
    sdk_store_txn_set(t, "Properties/big", big, bn);
    free(big);
    CHECK_INT(sdk_store_txn_commit(s, t, NULL), 0);
    sdk_store_txn_free(t);
    char *want = store_dump_new(s);
    sdk_store_close(s);
    CHECK_CONTAINS(want, "\nTasks/t-0000=dir-with-data\n");
    CHECK_CONTAINS(want, "\nTasks/t-2399/TaskStatus=status-2399\n");
    CHECK_CONTAINS(want, "\nProperties/big=(700000 bytes, B...)\n");

    /* In bulk (read-only multis, the default), and read-only in bulk. */
    sdk_store_zk_stats st = {0};
    for (int ro = 0; ro < 2; ro++) {
        st = (sdk_store_zk_stats){0};
        sdk_store_zk_options bulk = {.session_timeout_ms = 4000, .op_timeout_ms = 10000,
                                     .lock_wait_ms = 4000, .read_only = ro, .stats = &st};
        s = open_zk(url, &bulk);
        char *got = store_dump_new(s);
        CHECK_STR(got, want);
        free(got);
        sdk_store_close(s);
        CHECK_INT(st.load_sessions, 1);
        CHECK_MSG(st.read_ops > 8000 && st.read_requests * 50 < st.read_ops, "%llu requests, %llu reads",
                  (unsigned long long)st.read_requests, (unsigned long long)st.read_ops);
    }

    /* Node by node, through the store's session only. */
    st = (sdk_store_zk_stats){0};
    sdk_store_zk_options one = {.session_timeout_ms = 4000, .op_timeout_ms = 10000, .lock_wait_ms = 4000,
                                .bulk_read = -1, .load_helpers = -1, .stats = &st};
    s = open_zk(url, &one);
    char *got = store_dump_new(s);
    CHECK_STR(got, want);
    CHECK_INT(st.load_sessions, 1);
    CHECK_MSG(st.read_requests > 8000, "%llu requests", (unsigned long long)st.read_requests);
    free(got);
    sdk_store_close(s);

    /* Helpers connect while the walk runs: a slow start may leave them unused, so up to three
     * tries must see at least one in use; every load must give the same tree. */
    uint64_t most = 0;
    for (int attempt = 0; attempt < 3 && most < 2; attempt++) {
        sdk_store_zk_options many = one;
        many.load_helpers = 0;
        many.read_only = attempt == 1;
        st = (sdk_store_zk_stats){0};
        many.stats = &st;
        s = open_zk(url, &many);
        got = store_dump_new(s);
        CHECK_STR(got, want);
        free(got);
        sdk_store_close(s);
        if (st.load_sessions > most) most = st.load_sessions;
    }
    CHECK_MSG(most >= 2, "sessions used by the load: %llu", (unsigned long long)most);
    free(want);

    /* The server stops answering in the middle of a load: the open fails after about
     * op_timeout_ms, with the helpers closed. Not under the sanitizers: libzookeeper_mt 3.8 never
     * calls the completions of requests still outstanding at zookeeper_close (it queues them for
     * a completion thread it has already stopped), so those requests and the walk they hold
     * stay allocated and LeakSanitizer would report them. */
#if !defined(__SANITIZE_ADDRESS__)
    pthread_t fz;
    pthread_create(&fz, NULL, freeze_main, NULL);
    sdk_store_zk_options quick = {.session_timeout_ms = 4000, .op_timeout_ms = 1000,
                                  .lock_wait_ms = 4000, .bulk_read = -1};
    sdk_errors errs;
    sdk_errors_init(&errs);
    s = NULL;
    double t0 = now_secs();
    int rc = sdk_store_zk_open(url, &quick, &s, &errs);
    double secs = now_secs() - t0;
    pthread_join(fz, NULL);
    kill(Z.pid, SIGCONT);
    if (rc == 0) {
        fprintf(stderr, "  (the load finished before the server was frozen)\n");
        sdk_store_close(s);
    } else {
        CHECK_INT(rc, SDK_EIO);
        CHECK_MSG(secs < 10.0, "took %.1f s", secs);
        if (getenv("CHECK_VERBOSE"))
            fprintf(stderr, "  frozen server: %.1f s, %s\n", secs, errs.n ? errs.msgs[0] : "");
    }
    sdk_errors_free(&errs);
#endif
out:
    free(url);
    free(root);
}

/* A writer deletes and re-creates 50 tasks 60 times while readers load 1,000 others plus
 * those: every load that succeeds sees all 50 of one generation or none (a node vanishing
 * mid-load or a root version change makes it start again); a load may give up only with "kept
 * changing", and the load after the writer stopped must succeed. */
typedef struct flipper {
    char *url;
    sdk_store *s;
    atomic_int done;
    int flips, errors;
} flipper;

static void *flip_main(void *ud) {
    flipper *f = ud;
    for (int gen = 0; gen < 60; gen++) {
        sdk_store_txn *t = sdk_store_txn_new();
        if (gen % 2 == 0) {
            for (int i = 0; i < 50; i++) {
                char p[64];
                snprintf(p, sizeof p, "Tasks/flip-%02d", i);
                sdk_store_txn_delete_tree(t, p);
            }
        } else {
            for (int i = 0; i < 50; i++) {
                char p[64], v[32];
                snprintf(p, sizeof p, "Tasks/flip-%02d/TaskInfo", i);
                snprintf(v, sizeof v, "gen-%d", gen);
                sdk_store_txn_set_str(t, p, v);
                snprintf(p, sizeof p, "Tasks/flip-%02d/Metadata/override-status", i);
                sdk_store_txn_set_str(t, p, v);
            }
        }
        if (sdk_store_txn_commit(f->s, t, NULL)) f->errors++;
        else f->flips++;
        sdk_store_txn_free(t);
        usleep(10000);
    }
    atomic_store(&f->done, 1);
    return NULL;
}

static void test_load_during_concurrent_deletes(void) {
    char *root;
    flipper f = {.url = new_url("flip", &root)};
    f.s = open_zk(f.url, NULL);
    if (!f.s) goto out;
    CHECK_INT(put_tasks(f.s, "keep", 1000, "k"), 0);
    pthread_t th;
    pthread_create(&th, NULL, flip_main, &f);
    int ok = 0, changing = 0, mixed = 0;
    uint64_t retries = 0;
    for (int i = 0, last = 0; i < 40 && !last; i++) {
        last = atomic_load(&f.done); /* this load starts after the writer stopped */
        sdk_store_zk_stats st = {0};
        sdk_store_zk_options o = {.session_timeout_ms = 4000, .op_timeout_ms = 10000,
                                  .read_only = true, .stats = &st};
        sdk_errors errs;
        sdk_errors_init(&errs);
        sdk_store *r = NULL;
        int rc = sdk_store_zk_open(f.url, &o, &r, &errs);
        retries += st.load_retries;
        if (rc) {
            CHECK_MSG(!last && errs.n && strstr(errs.msgs[0], "kept changing"), "open: %d %s", rc,
                      errs.n ? errs.msgs[0] : "");
            changing++;
            sdk_errors_free(&errs);
            continue;
        }
        sdk_errors_free(&errs);
        char **names;
        size_t n;
        CHECK_INT(sdk_store_children_new(r, "Tasks", &names, &n, NULL), 0);
        size_t flips = 0;
        for (size_t k = 0; k < n; k++) flips += !strncmp(names[k], "flip-", 5);
        CHECK_INT(n - flips, 1000);
        sdk_store_names_free(names, n);
        /* all 50 of the same generation, both nodes of each, or none */
        char *gen0 = flips ? get(r, "Tasks/flip-00/TaskInfo") : NULL;
        bool same = flips == 0 || (flips == 50 && gen0);
        for (int k = 0; same && flips && k < 50; k++) {
            char p[64];
            snprintf(p, sizeof p, "Tasks/flip-%02d/TaskInfo", k);
            char *a = get(r, p);
            snprintf(p, sizeof p, "Tasks/flip-%02d/Metadata/override-status", k);
            char *b = get(r, p);
            same = a && b && !strcmp(a, gen0) && !strcmp(b, gen0);
            free(a);
            free(b);
        }
        free(gen0);
        if (same) ok++;
        else mixed++;
        sdk_store_close(r);
    }
    pthread_join(th, NULL);
    CHECK_INT(mixed, 0);
    CHECK_INT(f.errors, 0);
    CHECK_MSG(ok >= 1, "no load succeeded (%d gave up)", changing);
    if (getenv("CHECK_VERBOSE"))
        fprintf(stderr, "  %d loads, %d gave up, %llu retries, %d flips\n", ok, changing,
                (unsigned long long)retries, f.flips);
    sdk_store_close(f.s);
out:
    free(f.url);
    free(root);
}

/* ---- dump and restore ---- */

static void rm_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
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

/* The "nodes" part of a dump (the "store" field names the backend and differs). */
static char *nodes_of(const char *dump) {
    const char *n = dump ? strstr(dump, "\"nodes\"") : NULL;
    return sdk_xstrdup(n ? n : "(none)");
}

static void test_dump_restore_round_trip(void) {
    char tmpl[] = "/tmp/sdk-test-zkdump-XXXXXX";
    char *dir = mkdtemp(tmpl);
    char *furl = sdk_asprintf_new("file:%s", dir);
    sdk_store *f = NULL;
    CHECK_INT(sdk_store_open_url(furl, &f, NULL), 0);
    const unsigned char bin[] = {0x0a, 0x05, 'f', 'w', 0x00, 0xff, 0x80};
    sdk_store_txn *t = sdk_store_txn_new();
    sdk_store_txn_set_str(t, "SchemaVersion", "1");
    sdk_store_txn_set(t, "FrameworkID", bin, sizeof bin);
    sdk_store_txn_set_str(t, "Configurations/0b0e0b0e-0000-4000-8000-000000000001", "{\"name\": \"hello ✓\"}");
    sdk_store_txn_set_str(t, "Tasks/hello-0-server/Metadata/override-status", "PENDING");
    sdk_store_txn_set_str(t, "Properties/empty", "");
    CHECK_INT(sdk_store_txn_commit(f, t, NULL), 0);
    sdk_store_txn_free(t);
    char *d1 = NULL;
    CHECK_INT(sdk_state_dump_new(f, &d1, NULL), 0);
    CHECK_CONTAINS(d1, "\"base64\": \"CgVmdwD/gA==\"");
    CHECK_CONTAINS(d1, "hello ✓");
    CHECK_CONTAINS(d1, "\"Tasks/hello-0-server/Metadata\": \"\"");

    char *root, *url = new_url("restore", &root);
    sdk_store *z = open_zk(url, NULL);
    size_t n = 0;
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(sdk_state_restore(z, d1, strlen(d1), &n, &errs), 0);
    CHECK_INT(n, 10);
    sdk_store_close(z);
    z = open_zk(url, NULL);
    char *d2 = NULL;
    CHECK_INT(sdk_state_dump_new(z, &d2, NULL), 0);
    char *n1 = nodes_of(d1), *n2 = nodes_of(d2);
    CHECK_STR(n2, n1);
    /* Restore refuses a non-empty store, and a malformed dump, changing nothing. */
    char *before = raw_tree_new(root);
    CHECK_INT(sdk_state_restore(z, d1, strlen(d1), NULL, &errs), SDK_ESTATE);
    CHECK(sdk_errors_contains(&errs, "not empty"));
    CHECK_INT(sdk_state_restore(f, "{\"format\":\"sdk-state-dump\",\"version\":1,\"nodes\":{\"a//b\":\"x\"}}",
                                60, NULL, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "'a//b'"));
    CHECK_INT(sdk_state_restore(z, "{oops", 5, NULL, &errs), SDK_EINVAL);
    CHECK(sdk_errors_contains(&errs, "line 1"));
    char *after = raw_tree_new(root);
    CHECK_STR(after, before);
    sdk_store_close(z);
    sdk_store_close(f);
    rm_dir(dir);
    free(before);
    free(after);
    free(n1);
    free(n2);
    free(d1);
    free(d2);
    free(furl);
    free(url);
    free(root);
    sdk_errors_free(&errs);
}

/* ---- session loss and recovery (stops and restarts the server: run last) ---- */

static int lost_calls;
static char lost_why[128];
static void on_lost(void *ud, const char *why) {
    (void)ud;
    lost_calls++;
    snprintf(lost_why, sizeof lost_why, "%s", why);
}

static void test_session_loss_refuses_commits_and_restart_recovers(void) {
    char *root, *url = new_url("loss", &root);
    sdk_loop *l = NULL;
    CHECK_INT(sdk_loop_new(&l), 0);
    sdk_store_zk_options o = {.session_timeout_ms = 2000, .op_timeout_ms = 3000, .lock_wait_ms = 6000,
                              .loop = l, .on_lost = on_lost};
    lost_calls = 0;
    sdk_store *s = open_zk(url, &o);
    CHECK_INT(set1(s, "FrameworkID", "fw-kept", NULL), 0);
    zookeeper_close(RAW);
    RAW = NULL;
    zk_server_stop(&Z);
    for (int i = 0; i < 100 && !lost_calls; i++) sdk_loop_run_once(l, 50);
    CHECK_INT(lost_calls, 1);
    CHECK_CONTAINS(lost_why, "longer than the session timeout");
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(set1(s, "FrameworkID", "fw-lost", &errs), SDK_EIO);
    CHECK(sdk_errors_contains(&errs, "ZooKeeper session lost"));
    sdk_store_close(s);
    CHECK(zk_server_restart(&Z));
    RAW = zk_server_connect(&Z);
    /* A new writer gets the lock once the old session is gone, and sees the committed data. */
    o.loop = NULL;
    o.on_lost = NULL;
    s = open_zk(url, &o);
    CHECK_GET(s, "FrameworkID", "fw-kept");
    CHECK_INT(set1(s, "FrameworkID", "fw-new", NULL), 0);
    sdk_store_close(s);
    sdk_loop_free(l);
    sdk_errors_free(&errs);
    free(url);
    free(root);
}

/* Sends SIGCONT to the server after `ud` milliseconds (a thread, while the test blocks). */
static void *thaw_main(void *ud) {
    usleep((useconds_t)(uintptr_t)ud * 1000);
    kill(Z.pid, SIGCONT);
    return NULL;
}

static void run_loop_ms(sdk_loop *l, int ms) {
    for (int i = 0; i < ms / 50; i++) sdk_loop_run_once(l, 50);
}

/* A connection loss (the server frozen with SIGSTOP) shorter than the session: nothing is lost,
 * the lock stays ours, a commit made meanwhile waits and lands once, exactly. One longer than
 * the session: lost, once, with the reason, and commits are refused. */
static void test_connection_loss_is_not_session_loss(void) {
    char *root, *url = new_url("connloss", &root);
    sdk_loop *l = NULL;
    CHECK_INT(sdk_loop_new(&l), 0);
    lost_calls = 0;
    sdk_store_zk_options o = {.session_timeout_ms = 4000, .op_timeout_ms = 10000, .lock_wait_ms = 6000,
                              .loop = l, .on_lost = on_lost};
    sdk_store *s = open_zk(url, &o);
    if (!s) goto out;
    CHECK_INT(set1(s, "FrameworkID", "fw-1", NULL), 0);
    char *lock = sdk_asprintf_new("%s/lock", root);
    struct Stat before, after;
    CHECK_INT(zoo_exists(RAW, lock, 0, &before), ZOK);

    /* frozen ~3 s (the client notices after ~2.7 s of silence), a commit meanwhile */
    kill(Z.pid, SIGSTOP);
    pthread_t th;
    pthread_create(&th, NULL, thaw_main, (void *)(uintptr_t)3000);
    run_loop_ms(l, 1000);
    CHECK_INT(set1(s, "Tasks/a/TaskInfo", "t-a", NULL), 0); /* waits for the server */
    pthread_join(th, NULL);
    CHECK_INT(set1(s, "Tasks/b/TaskInfo", "t-b", NULL), 0);
    kill(Z.pid, SIGSTOP); /* a second freeze, long enough to be noticed as a lost connection */
    pthread_create(&th, NULL, thaw_main, (void *)(uintptr_t)3500);
    run_loop_ms(l, 3000);
    CHECK_INT(set1(s, "Tasks/c/TaskInfo", "t-c", NULL), 0);
    pthread_join(th, NULL);
    run_loop_ms(l, 1000);
    CHECK_INT(lost_calls, 0);
    CHECK_INT(zoo_exists(RAW, lock, 0, &after), ZOK);
    CHECK(after.ephemeralOwner == before.ephemeralOwner); /* the same session holds the lock */
    char *tree = raw_tree_new(root);
    CHECK_CONTAINS(tree, "/Tasks/a/TaskInfo=742d61");
    CHECK_CONTAINS(tree, "/Tasks/c/TaskInfo=742d63");
    free(tree);

    /* frozen longer than the session: given up (on_lost once), commits refused */
    kill(Z.pid, SIGSTOP);
    time_t t0 = time(NULL);
    for (int i = 0; i < 300 && !lost_calls; i++) sdk_loop_run_once(l, 50);
    CHECK_INT(lost_calls, 1);
    CHECK_CONTAINS(lost_why, "longer than the session timeout");
    fprintf(stderr, "  connection loss: session given up about %ld s after the server froze\n",
            (long)(time(NULL) - t0));
    sdk_errors errs;
    sdk_errors_init(&errs);
    CHECK_INT(set1(s, "FrameworkID", "fw-2", &errs), SDK_EIO);
    CHECK(sdk_errors_contains(&errs, "ZooKeeper session lost"));
    sdk_errors_free(&errs);
    kill(Z.pid, SIGCONT);
    sdk_store_close(s);
    /* the next writer sees what was committed */
    o.loop = NULL;
    o.on_lost = NULL;
    s = open_zk(url, &o);
    CHECK_GET(s, "FrameworkID", "fw-1");
    CHECK_GET(s, "Tasks/c/TaskInfo", "t-c");
    sdk_store_close(s);
    free(lock);
out:
    sdk_loop_free(l);
    free(url);
    free(root);
}

int main(void) {
    if (!getenv("SDK_LOG")) sdk_log_set_level(SDK_LOG_ERROR);
    zoo_set_debug_level((ZooLogLevel)0);
    Z_up = zk_server_start(&Z);
    RAW = Z_up ? zk_server_connect(&Z) : NULL;
    if (!Z_up || !RAW) {
        fprintf(stderr, "test_store_zk: FAILED: no ZooKeeper server (see above)\n");
        zk_server_destroy(&Z);
        return 1;
    }
    RUN(test_store_contract);
    RUN(test_three_megabyte_value_is_chunked);
    RUN(test_split_transaction_is_never_half_visible);
    RUN(test_second_writer_is_refused_and_writes_nothing);
    RUN(test_bad_urls_and_unreachable_server);
    RUN(test_newer_schema_is_refused);
    RUN(test_digest_auth);
    RUN(test_big_load_with_helper_sessions);
    RUN(test_load_during_concurrent_deletes);
    RUN(test_dump_restore_round_trip);
    RUN(test_connection_loss_is_not_session_loss);
    RUN(test_session_loss_refuses_commits_and_restart_recovers);
    if (RAW) zookeeper_close(RAW);
    zk_server_destroy(&Z);
    return check_summary("test_store_zk");
}
