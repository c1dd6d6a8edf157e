/* libFuzzer harness for the decoders of stored state: what a scheduler reads back at start.
 *
 * Byte 0 (mod 5) picks the decoder, the rest is its input:
 *   0  a stored TaskInfo (sdk_taskinfo_decode, core/service/taskinfo.c) and the fields the
 *      service derives from it (sdk_task_rec_learn); a decoded task must encode and decode again
 *   1  a stored TaskStatus (sdk_taskstatus_decode)
 *   2  a stored configuration, ServiceSpec JSON (sdk_spec_from_json); a loaded spec must
 *      serialise to JSON that loads back to an equal spec
 *   3  the file store's files (core/state/store_file.c): byte 1 flags (bit 0: keep the record
 *      CRCs as given instead of fixing them, so the fuzzer gets past them; bit 1: no snapshot
 *      file; bit 2: no log file), bytes 2-5 the snapshot's length S (little-endian), then S
 *      bytes of snapshot and the log. Opened with sdk_store_file_open, then recovered as below.
 *   4  a store's tree as records [u8 path length][path][u16 LE value length][value] put into
 *      a memory store, then recovered as below.
 * "Recovered": every node is read back, the state layout is opened for service "hello-world"
 * and a service is built on it (sdk_service_new with a fixed spec: stored tasks, statuses,
 * configurations, overrides and properties are decoded as at a scheduler start), and freed.
 * Nothing may crash, leak, hang or hit UB; decoders must fail with an error, not silently.
 *
 * `fuzz_state --make-seeds DIR` (either build) deploys the fixed spec on the simulated cluster
 * with a file store (pod pause, a plan started with parameters, a configuration update) and
 * writes seeds of every kind from what it stored into DIR: tests/fuzz/corpus/state/ was made so.
 *
 * Build: `make fuzz-build` (libFuzzer binary and replay driver, see tests/fuzz/replay.c). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/service/records.h"
#include "core/service/taskinfo.h"
#include "core/sim/cluster.h"
#include "core/spec/spec.h"
#include "core/state/layout.h"
#include "core/state/store.h"
#include "core/util/log.h"
#include "core/util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define SERVICE "hello-world"

static const char SPEC[] =
    "name: " SERVICE "\n"
    "scheduler:\n"
    "  user: root\n"
    "pods:\n"
    "  hello:\n"
    "    count: 1\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: sleep 1000\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "        volume:\n"
    "          path: data\n"
    "          type: ROOT\n"
    "          size: 16\n"
    "        ports:\n"
    "          http:\n"
    "            port: 0\n"
    "      sidecar:\n"
    "        goal: ONCE\n"
    "        cmd: echo $PLAN_PARAMETER\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "  world:\n"
    "    count: 2\n"
    "    tasks:\n"
    "      server:\n"
    "        goal: RUNNING\n"
    "        cmd: sleep 1000\n"
    "        cpus: 0.1\n"
    "        memory: 32\n"
    "plans:\n"
    "  deploy:\n"
    "    strategy: serial\n"
    "    phases:\n"
    "      hello:\n"
    "        pod: hello\n"
    "        steps:\n"
    "          - default: [[server]]\n"
    "      world:\n"
    "        pod: world\n"
    "  sidecar:\n"
    "    strategy: serial\n"
    "    phases:\n"
    "      run:\n"
    "        pod: hello\n"
    "        steps:\n"
    "          - default: [[sidecar]]\n";

static sdk_spec *spec;        /* parsed once */
static char store_dir[96];    /* the file store's directory, emptied after each input */
static pid_t dir_owner;

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "fuzz_state: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void empty_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
        char p[256];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

static void remove_dir(void) {
    if (getpid() != dir_owner) return; /* the replay driver's children exit too */
    empty_dir(store_dir);
    rmdir(store_dir);
}

/* ---------------------------------------------------------------- recovery of a whole store */

static void walk(sdk_store *st, const char *path, int depth) {
    if (depth > 64) return;
    char **names = NULL;
    size_t n = 0;
    if (sdk_store_children_new(st, path, &names, &n, NULL)) return;
    for (size_t i = 0; i < n; i++) {
        char *child = *path ? sdk_asprintf_new("%s/%s", path, names[i]) : sdk_xstrdup(names[i]);
        void *val = NULL;
        size_t len = 0;
        if (sdk_store_get_new(st, child, &val, &len, NULL) == 0 && ((char *)val)[len] != 0)
            fail("a value read back is not NUL-terminated", child);
        free(val);
        walk(st, child, depth + 1);
        free(child);
    }
    sdk_store_names_free(names, n);
}

static void recover(sdk_store *store) {
    walk(store, "", 0);
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_state *state = NULL;
    if (sdk_state_open_new(store, SERVICE, &state, &e) == 0) {
        sdk_sim_cluster sim;
        sdk_sim_init(&sim);
        sdk_service_options o = {.spec = sdk_spec_dup(spec), .state = state, .driver = sdk_sim_driver(),
                                 .driver_ctx = &sim,
                                 .backend = {.name = "the simulated cluster", .no_docker_images = true}};
        sdk_service *svc = NULL;
        int rc = sdk_service_new(&o, &svc, &e);
        if (rc && e.n == 0) fail("the service refused the stored state without saying why", NULL);
        sdk_service_free(svc);
        sdk_sim_free(&sim);
        sdk_state_free(state);
    } else if (e.n == 0) {
        fail("the state layout refused the store without saying why", NULL);
    }
    sdk_errors_free(&e);
}

/* ---------------------------------------------------------------- the file store's files */

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void set_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* Gives every whole record from `off` on the CRC the store expects (store_file.c: u32 length,
 * u32 CRC-32 of length field + payload, as zlib's crc32). */
static void fix_records(uint8_t *buf, size_t size, size_t off) {
    while (off + 8 <= size) {
        uint32_t len = get_u32(buf + off);
        if (len > size - off - 8) break;
        uLong crc = crc32(0, buf + off, 4);
        crc = crc32(crc, buf + off + 8, len);
        set_u32(buf + off + 4, (uint32_t)crc);
        off += 8 + (size_t)len;
    }
}

static void write_file(const char *name, const uint8_t *p, size_t n) {
    char path[160];
    snprintf(path, sizeof path, "%s/%s", store_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f)) fail("cannot write the store's files in", store_dir);
}

static void file_store(const uint8_t *data, size_t size) {
    if (size < 5) return;
    unsigned flags = data[0];
    size_t snap_len = get_u32(data + 1);
    data += 5, size -= 5;
    if (snap_len > size) snap_len = size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) abort();
    memcpy(buf, data, size);
    uint8_t *snap = buf, *log = buf + snap_len;
    size_t log_len = size - snap_len;
    if (!(flags & 1)) {
        if (snap_len >= 8) fix_records(snap, snap_len, 8);
        if (log_len >= 20) {
            set_u32(log + 16, (uint32_t)crc32(0, log, 16));
            fix_records(log, log_len, 20);
        }
    }
    if (!(flags & 2)) write_file("snapshot", snap, snap_len);
    if (!(flags & 4)) write_file("log", log, log_len);
    free(buf);
    sdk_store_file_options fo = {.no_sync = true};
    sdk_store *st = NULL;
    sdk_errors e;
    sdk_errors_init(&e);
    if (sdk_store_file_open(store_dir, &fo, &st, &e) == 0) recover(st);
    else if (e.n == 0) fail("the file store refused its files without saying why", NULL);
    sdk_store_close(st);
    sdk_errors_free(&e);
    empty_dir(store_dir);
}

/* ---------------------------------------------------------------- a tree in a memory store */

static void memory_store(const uint8_t *p, size_t size) {
    sdk_store *st = NULL;
    if (sdk_store_memory_open(&st)) abort();
    const uint8_t *end = p + size;
    while (p < end) {
        size_t plen = *p++;
        if (plen > (size_t)(end - p)) break;
        char *path = sdk_xstrndup((const char *)p, plen);
        p += plen;
        size_t vlen = 0;
        if (end - p >= 2) vlen = (size_t)p[0] | (size_t)p[1] << 8, p += 2;
        if (vlen > (size_t)(end - p)) vlen = (size_t)(end - p);
        sdk_store_op op = {.kind = SDK_STORE_SET, .path = path, .val = p, .len = vlen};
        (void)sdk_store_commit_ops(st, &op, 1, NULL); /* a bad path is refused: fine */
        p += vlen;
        free(path);
    }
    recover(st);
    sdk_store_close(st);
}

/* ---------------------------------------------------------------- single records */

static void task_info(const uint8_t *data, size_t size) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_task_rec rec;
    memset(&rec, 0, sizeof rec);
    sdk_task_desc d;
    sdk_executor_desc ex;
    if (sdk_taskinfo_decode(data, size, "fuzz", &d, &ex, &e) == 0) {
        sdk_task_rec_learn(&rec, &d, &ex);
        void *buf = NULL;
        size_t len = 0;
        if (sdk_taskinfo_encode_new(&d, &ex, &buf, &len)) fail("a decoded TaskInfo does not encode", NULL);
        sdk_task_desc t2;
        sdk_executor_desc ex2;
        if (sdk_taskinfo_decode(buf, len, "re-encoded", &t2, &ex2, &e))
            fail("a re-encoded TaskInfo does not decode", e.n ? e.msgs[e.n - 1] : NULL);
        sdk_task_desc_free_contents(&t2);
        sdk_executor_desc_free_contents(&ex2);
        free(buf);
    } else if (e.n == 0) {
        fail("a TaskInfo was refused without a message", NULL);
    }
    sdk_task_desc_free_contents(&d);
    sdk_executor_desc_free_contents(&ex);
    sdk_task_rec_free_contents(&rec);
    sdk_errors_free(&e);
}

static void task_status(const uint8_t *data, size_t size) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_stored_status st;
    memset(&st, 0, sizeof st);
    if (sdk_taskstatus_decode(data, size, "fuzz", &st, &e) == 0) sdk_stored_status_free_contents(&st);
    else if (e.n == 0) fail("a TaskStatus was refused without a message", NULL);
    sdk_errors_free(&e);
}

static void spec_json(const uint8_t *data, size_t size) {
    char *json = sdk_xstrndup((const char *)data, size);
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_spec *s = NULL;
    if (sdk_spec_from_json(json, &s, &e) == 0) {
        char *j1 = sdk_spec_to_json_new(s);
        sdk_spec *back = NULL;
        if (sdk_spec_from_json(j1, &back, &e)) fail("the JSON of a loaded spec does not load back", j1);
        if (!sdk_spec_equal(s, back)) fail("a spec reloaded from its own JSON differs", j1);
        char *j2 = sdk_spec_to_json_new(back);
        if (strcmp(j1, j2)) fail("the JSON of a reloaded spec differs", j2);
        free(j2);
        sdk_spec_free(back);
        free(j1);
        sdk_spec_free(s);
    } else if (e.n == 0) {
        fail("a spec JSON was refused without a message", NULL);
    }
    sdk_errors_free(&e);
    free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    switch (data[0] % 5) {
    case 0: task_info(data + 1, size - 1); break;
    case 1: task_status(data + 1, size - 1); break;
    case 2: spec_json(data + 1, size - 1); break;
    case 3: file_store(data + 1, size - 1); break;
    default: memory_store(data + 1, size - 1); break;
    }
    return 0;
}

/* ---------------------------------------------------------------- seeds */

static void add_scalar(sdk_resources *rs, const char *name, double v) {
    sdk_resource r;
    memset(&r, 0, sizeof r);
    r.name = (char *)name;
    r.type = SDK_RES_SCALAR;
    r.milli = sdk_scalar_to_milli(v);
    sdk_resources_add(rs, &r);
}

static void write_seed(const char *dir, const char *name, uint8_t kind, const void *head, size_t head_len,
                       const void *body, size_t len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) fail("cannot write", path);
    fputc(kind, f);
    if (head_len) fwrite(head, 1, head_len, f);
    if (len) fwrite(body, 1, len, f);
    fclose(f);
    printf("%s (%zu bytes)\n", path, 1 + head_len + len);
}

static void tree_records(sdk_store *st, const char *path, sdk_buf *out, const char *dir) {
    char **names = NULL;
    size_t n = 0;
    if (sdk_store_children_new(st, path, &names, &n, NULL)) return;
    for (size_t i = 0; i < n; i++) {
        char *child = *path ? sdk_asprintf_new("%s/%s", path, names[i]) : sdk_xstrdup(names[i]);
        void *val = NULL;
        size_t len = 0;
        if (sdk_store_get_new(st, child, &val, &len, NULL) == 0 && strlen(child) < 256 && len < 65536) {
            uint8_t pl = (uint8_t)strlen(child), vl[2] = {(uint8_t)len, (uint8_t)(len >> 8)};
            sdk_buf_append(out, &pl, 1);
            sdk_buf_append(out, child, pl);
            sdk_buf_append(out, vl, 2);
            sdk_buf_append(out, val, len);
            /* single-record seeds of the first task and the configurations */
            if (sdk_str_ends(child, "/TaskInfo") && strstr(child, "hello-0-server"))
                write_seed(dir, "taskinfo_hello-0-server", 0, NULL, 0, val, len);
            if (sdk_str_ends(child, "/TaskStatus") && strstr(child, "hello-0-server"))
                write_seed(dir, "taskstatus_hello-0-server", 1, NULL, 0, val, len);
            if (sdk_str_starts(child, "Configurations/")) {
                char name[64];
                snprintf(name, sizeof name, "config_%zu", i);
                write_seed(dir, name, 2, NULL, 0, val, len);
            }
        }
        free(val);
        tree_records(st, child, out, dir);
        free(child);
    }
    sdk_store_names_free(names, n);
}

static void file_seed(const char *dir, const char *name) {
    char p[160];
    char *snap = NULL, *log = NULL;
    size_t snap_len = 0, log_len = 0;
    snprintf(p, sizeof p, "%s/snapshot", store_dir);
    int has_snap = sdk_read_file_new(p, &snap, &snap_len) == 0;
    snprintf(p, sizeof p, "%s/log", store_dir);
    int has_log = sdk_read_file_new(p, &log, &log_len) == 0;
    uint8_t head[5] = {(uint8_t)((has_snap ? 0 : 2) | (has_log ? 0 : 4))};
    set_u32(head + 1, (uint32_t)snap_len);
    sdk_buf b;
    sdk_buf_init(&b);
    sdk_buf_append(&b, head, 5);
    if (snap_len) sdk_buf_append(&b, snap, snap_len);
    if (log_len) sdk_buf_append(&b, log, log_len);
    write_seed(dir, name, 3, NULL, 0, b.data, b.len);
    sdk_buf_free(&b);
    free(snap);
    free(log);
}

static void make_seeds(const char *dir) {
    sdk_errors e;
    sdk_errors_init(&e);
    sdk_store *store = NULL;
    sdk_store_file_options fo = {.no_sync = true};
    if (sdk_store_file_open(store_dir, &fo, &store, &e)) fail("open", e.n ? e.msgs[0] : NULL);
    sdk_state *state = NULL;
    if (sdk_state_open_new(store, SERVICE, &state, &e)) fail("state", e.n ? e.msgs[0] : NULL);
    sdk_sim_cluster sim;
    sdk_sim_init(&sim);
    sdk_resources rs;
    sdk_resources_init(&rs);
    add_scalar(&rs, "cpus", 8);
    add_scalar(&rs, "mem", 16384);
    add_scalar(&rs, "disk", 100000);
    sdk_resource pr;
    memset(&pr, 0, sizeof pr);
    pr.name = "ports";
    pr.type = SDK_RES_RANGES;
    sdk_range rg = {10000, 11000};
    pr.ranges = &rg;
    pr.n_ranges = 1;
    sdk_resources_add(&rs, &pr);
    sdk_sim_add_agent(&sim, "node1", &rs);
    sdk_resources_free(&rs);
    sdk_service_options o = {.spec = sdk_spec_dup(spec), .state = state, .driver = sdk_sim_driver(), .driver_ctx = &sim,
                             .backend = {.name = "the simulated cluster", .no_docker_images = true}};
    sdk_service *svc = NULL;
    if (sdk_service_new(&o, &svc, &e) || sdk_service_on_registered(svc, "fuzz-framework-0001"))
        fail("service", e.n ? e.msgs[0] : NULL);
    for (int round = 0; round < 4; round++) {
        sdk_offer of;
        sdk_sim_make_offer(&sim, &sim.agents[0], &of);
        sdk_service_on_offers(svc, &of, 1);
        sdk_offer_free_contents(&of);
        for (size_t i = 0; i < sim.n_tasks; i++) {
            sdk_sim_task *t = &sim.tasks[i];
            if (t->state == SDK_TSTATE_RUNNING) continue;
            sdk_sim_set_state(&sim, t, SDK_TSTATE_RUNNING);
            unsigned char uuid[16] = {(unsigned char)i, 9};
            sdk_status_update u = {.task_id = t->task_id, .agent_id = t->agent_id, .state = SDK_TSTATE_RUNNING,
                                   .ip = "10.0.0.2", .message = "running", .has_check_status = true,
                                   .uuid = uuid, .uuid_len = sizeof uuid};
            sdk_service_on_status(svc, &u);
        }
    }
    const char *tasks[] = {"server"};
    char **affected = NULL;
    size_t n_aff = 0;
    if (sdk_service_pod_op(svc, SDK_POD_PAUSE, "hello-0", tasks, 1, &affected, &n_aff, &e)) fail("pause", e.n ? e.msgs[0] : NULL);
    sdk_service_names_free(affected, n_aff);
    sdk_spec *cand = sdk_spec_dup(spec);
    cand->pods[1].count = 3; /* a second configuration */
    if (sdk_service_update_config(svc, cand, &e)) fail("update", e.n ? e.msgs[0] : NULL);
    sdk_service_free(svc);
    file_seed(dir, "filestore_log");
    if (sdk_store_compact(store, &e)) fail("compact", e.n ? e.msgs[0] : NULL);
    file_seed(dir, "filestore_snapshot");
    sdk_buf tree;
    sdk_buf_init(&tree);
    tree_records(store, "", &tree, dir);
    write_seed(dir, "memorystore_tree", 4, NULL, 0, tree.data, tree.len);
    sdk_buf_free(&tree);
    sdk_state_free(state);
    sdk_store_close(store);
    sdk_sim_free(&sim);
    sdk_errors_free(&e);
    empty_dir(store_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    sdk_errors e;
    sdk_errors_init(&e);
    if (sdk_spec_parse(SPEC, sizeof SPEC - 1, "fuzz_state.yml", NULL, &spec, &e)) {
        sdk_errors_print(&e, "fuzz_state: spec");
        abort();
    }
    snprintf(store_dir, sizeof store_dir, "%s/fuzz_state_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(store_dir)) fail("mkdtemp", store_dir);
    dir_owner = getpid();
    atexit(remove_dir);
    if (*argc == 3 && !strcmp((*argv)[1], "--make-seeds")) {
        make_seeds((*argv)[2]);
        exit(0);
    }
    sdk_log_set_level((sdk_log_level)(SDK_LOG_ERROR + 1)); /* corrupt state is expected: quiet */
    return 0;
}
