/* The embedded durable backend ("file:DIR"): crash-only, single writer.
 *
 * DIR/lock      flock(LOCK_EX) held while open; holds the owner's pid (text) for messages.
 * DIR/snapshot  "SDKSNAP1" + one record whose payload is u64 generation + the whole tree as SET
 *               ops in path order. Written as snapshot.tmp, fsync'd, renamed, dir fsync'd.
 * DIR/log       header "SDKLOG01" + u64 generation + u32 CRC of those 16 bytes, then one record
 *               per committed transaction, appended and fdatasync'd before commit returns.
 * record        u32 payload length, u32 CRC-32 of (length field + payload), payload.
 * ops payload   u32 count, then per op: u8 kind, u32 path length, path bytes, NUL,
 *               and for SET: u32 value length, value bytes. All integers little-endian.
 *
 * Generations tie the two files together: a log applies on top of the snapshot with the same
 * generation. Compaction writes snapshot G+1 and then replaces the log with an empty log G+1; a
 * crash between the two leaves a log of generation G, which the snapshot already contains, so
 * open discards it. A log newer than the snapshot cannot happen and is refused as corruption.
 *
 * Only the last record can be torn (each commit is appended after the previous one is durable
 * and open truncates a torn tail), so a bad record is a torn tail iff no valid record follows
 * it; otherwise it is corruption in the middle of the log and open refuses, naming the file and
 * offset, rather than guess which transactions to keep. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/state/store.h"
#include "core/state/tree.h"
#include "core/util/log.h"
#include "core/util/str.h"

#define MOD "state"
#define SNAP_MAGIC "SDKSNAP1"
#define LOG_MAGIC "SDKLOG01"
#define LOG_HDR 20u
#define REC_HDR 8u
#define DEFAULT_COMPACT ((size_t)16 << 20)

typedef struct {
    char *dir, *lock_path, *log_path, *snap_path;
    int lock_fd, log_fd;
    uint64_t gen;
    uint64_t log_size; /* bytes of the log known durable; the next record goes here */
    size_t compact_bytes;
    bool no_sync;
    bool broken; /* a failed write left the files in an unknown state: refuse further writes
                  * until file_recover proves they can be written again */
    char *broken_why; /* why it broke (for the refusals that follow) */
    bool stale_log; /* broken by a compaction that wrote snapshot gen but not its empty log */
    sdk_tree tree;
    sdk_buf enc; /* reused encoding buffer */
} file_store;

/* ---- CRC-32 (IEEE 802.3, reflected): zlib's, which the build already links ----
 * crc32_z takes a size_t length (zlib >= 1.2.9), so no record needs splitting. The stored
 * checksums are the same values the former hand-written table produced. */

static uint32_t crc32_update(uint32_t crc, const void *p, size_t n) {
    return (uint32_t)crc32_z(crc, p, n);
}

/* ---- little-endian encoding ---- */

static void set_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16),
    p[3] = (unsigned char)(v >> 24);
}
static void put_u32(sdk_buf *b, uint32_t v) {
    unsigned char x[4];
    set_u32(x, v);
    sdk_buf_append(b, x, 4);
}
static void put_u64(sdk_buf *b, uint64_t v) {
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}
static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const unsigned char *p) {
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* Starts a record in b (header placeholder); returns its offset for rec_end. */
static size_t rec_begin(sdk_buf *b) {
    size_t at = b->len;
    put_u32(b, 0);
    put_u32(b, 0);
    return at;
}

/* Fills in the record header started at `at`. Returns SDK_EINVAL if the payload is too big. */
static int rec_end(sdk_buf *b, size_t at) {
    size_t len = b->len - at - REC_HDR;
    if (len > UINT32_MAX - REC_HDR) return SDK_EINVAL;
    unsigned char *h = (unsigned char *)b->data + at;
    set_u32(h, (uint32_t)len);
    uint32_t crc = crc32_update(0, h, 4);
    crc = crc32_update(crc, h + REC_HDR, len);
    set_u32(h + 4, crc);
    return 0;
}

static void put_op(sdk_buf *b, sdk_store_op_kind kind, const char *path, const void *val,
                   size_t len) {
    sdk_buf_putc(b, (char)kind);
    size_t pl = strlen(path);
    put_u32(b, (uint32_t)pl);
    sdk_buf_append(b, path, pl + 1);
    if (kind == SDK_STORE_SET) {
        put_u32(b, (uint32_t)len);
        if (len) sdk_buf_append(b, val, len);
    }
}

/* Checks the record at buf[off..size): 0 if complete with a matching CRC (*payload, *plen set),
 * else a short reason. */
static const char *rec_check(const unsigned char *buf, size_t size, size_t off,
                             const unsigned char **payload, size_t *plen) {
    if (size - off < REC_HDR) return "incomplete record header";
    uint32_t len = get_u32(buf + off);
    if ((uint64_t)len > size - off - REC_HDR) return "record runs past the end of the file";
    uint32_t crc = crc32_update(crc32_update(0, buf + off, 4), buf + off + REC_HDR, len);
    if (crc != get_u32(buf + off + 4)) return "checksum mismatch";
    *payload = buf + off + REC_HDR;
    *plen = len;
    return NULL;
}

/* Decodes an ops payload into a new array pointing into p (which must outlive it). Returns the
 * reason on failure. */
static const char *decode_ops_new(const unsigned char *p, size_t len, sdk_store_op **ops,
                                  size_t *nops) {
    *ops = NULL;
    *nops = 0;
    if (len < 4) return "payload shorter than its op count";
    uint32_t n = get_u32(p);
    size_t at = 4;
    if (n > len / 7) return "op count larger than the payload can hold";
    sdk_store_op *o = sdk_xcalloc(n ? n : 1, sizeof *o);
    for (uint32_t i = 0; i < n; i++) {
        if (len - at < 5) goto trunc;
        unsigned kind = p[at];
        uint32_t pl = get_u32(p + at + 1);
        at += 5;
        if (kind < SDK_STORE_SET || kind > SDK_STORE_DELETE_TREE) {
            free(o);
            return "unknown op kind";
        }
        if ((uint64_t)pl + 1 > len - at) goto trunc;
        const char *path = (const char *)p + at;
        if (path[pl] != '\0' || strlen(path) != pl || !sdk_store_path_valid(path)) {
            free(o);
            return "invalid path";
        }
        at += pl + 1;
        o[i].kind = (sdk_store_op_kind)kind;
        o[i].path = path;
        if (kind == SDK_STORE_SET) {
            if (len - at < 4) goto trunc;
            uint32_t vl = get_u32(p + at);
            at += 4;
            if (vl > len - at) goto trunc;
            o[i].val = p + at;
            o[i].len = vl;
            at += vl;
        }
    }
    if (at != len) {
        free(o);
        return "trailing bytes after the last op";
    }
    *ops = o;
    *nops = n;
    return NULL;
trunc:
    free(o);
    return "op runs past the end of the payload";
}

/* ---- file helpers ---- */

static int write_all_at(int fd, const void *p, size_t n, off_t off) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = pwrite(fd, c, n, off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        c += w, n -= (size_t)w, off += w;
    }
    return 0;
}

static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static int mkdir_p(const char *dir) {
    char *d = sdk_xstrdup(dir);
    for (char *s = d + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(d, 0755) != 0 && errno != EEXIST) {
            free(d);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(d, 0755) != 0 && errno != EEXIST ? -1 : 0;
    free(d);
    return rc;
}

/* Writes data to path via path.tmp + fsync + rename + fsync(dir). */
static int write_file_atomic(file_store *f, const char *path, const void *data, size_t len,
                             sdk_errors *errs) {
    char *tmp = sdk_asprintf_new("%s.tmp", path);
    const char *what = "create";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) goto fail;
    what = "write";
    if (write_all_at(fd, data, len, 0) != 0) goto fail_fd;
    what = "fsync";
    if (!f->no_sync && fsync(fd) != 0) goto fail_fd;
    close(fd);
    fd = -1;
    what = "rename";
    if (rename(tmp, path) != 0) goto fail;
    what = "fsync the directory of";
    if (!f->no_sync && fsync_dir(f->dir) != 0) goto fail;
    free(tmp);
    return 0;
fail_fd: {
    int e = errno;
    close(fd);
    errno = e;
}
fail: {
    int e = errno;
    if (errs) sdk_errors_addf(errs, "state: cannot %s %s: %s", what, tmp, strerror(e));
    unlink(tmp);
    free(tmp);
    return SDK_EIO;
}
}

static void log_header(sdk_buf *b, uint64_t gen) {
    sdk_buf_append(b, LOG_MAGIC, 8);
    put_u64(b, gen);
    put_u32(b, crc32_update(0, b->data + b->len - 16, 16));
}

/* Replaces the log with an empty one of generation gen and reopens f->log_fd on it. */
static int reset_log(file_store *f, uint64_t gen, sdk_errors *errs) {
    sdk_buf b;
    sdk_buf_init(&b);
    log_header(&b, gen);
    int rc = write_file_atomic(f, f->log_path, b.data, b.len, errs);
    sdk_buf_free(&b);
    if (rc) return rc;
    int fd = open(f->log_path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errs) sdk_errors_addf(errs, "state: cannot open %s: %s", f->log_path, strerror(errno));
        return SDK_EIO;
    }
    if (f->log_fd >= 0) close(f->log_fd);
    f->log_fd = fd;
    f->log_size = LOG_HDR;
    return 0;
}

/* ---- loading ---- */

static int corrupt(sdk_errors *errs, const char *file, size_t off, const char *why) {
    if (errs)
        sdk_errors_addf(errs,
                        "state: %s is corrupt at offset %zu (%s); refusing to open rather than "
                        "guess: restore the state directory from a backup, or inspect the file",
                        file, off, why);
    return SDK_ECORRUPT;
}

/* Maps a whole file read-only for loading (*data NULL when empty). Loading reads it once and
 * copies what it keeps into the tree: mapping the page cache avoids reading 10,000 tasks' worth
 * of snapshot into a growing heap buffer first (a third of the open's time at 10,000 tasks).
 * SDK_ENOENT when absent, SDK_EIO (errno set) otherwise. Release with unmap_file. */
static int map_file(const char *path, char **data, size_t *size) {
    *data = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? SDK_ENOENT : SDK_EIO;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = SDK_EIO;
    } else if (st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m == MAP_FAILED) rc = SDK_EIO;
        else *data = m, *size = (size_t)st.st_size;
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static void unmap_file(char *data, size_t size) {
    if (data) munmap(data, size);
}

static int load_snapshot(file_store *f, sdk_errors *errs) {
    char *data = NULL;
    size_t size = 0;
    int rc = map_file(f->snap_path, &data, &size);
    if (rc == SDK_ENOENT) {
        f->gen = 0;
        return 0;
    }
    if (rc) {
        if (errs) sdk_errors_addf(errs, "state: cannot read %s: %s", f->snap_path, strerror(errno));
        return SDK_EIO;
    }
    const unsigned char *u = (const unsigned char *)data, *payload;
    size_t plen;
    sdk_store_op *ops = NULL;
    size_t nops = 0;
    const char *why;
    if (size < 8 || memcmp(data, SNAP_MAGIC, 8) != 0) {
        rc = corrupt(errs, f->snap_path, 0, "not a snapshot: bad magic");
        goto out;
    }
    if ((why = rec_check(u, size, 8, &payload, &plen)) != NULL) {
        rc = corrupt(errs, f->snap_path, 8, why);
        goto out;
    }
    if (8 + REC_HDR + plen != size) {
        rc = corrupt(errs, f->snap_path, 8 + REC_HDR + plen, "trailing bytes after the snapshot");
        goto out;
    }
    if (plen < 8 || (why = decode_ops_new(payload + 8, plen - 8, &ops, &nops)) != NULL) {
        rc = corrupt(errs, f->snap_path, 8 + REC_HDR, why ? why : "payload too short");
        goto out;
    }
    for (size_t i = 0; i < nops; i++)
        if (ops[i].kind != SDK_STORE_SET) {
            rc = corrupt(errs, f->snap_path, 8 + REC_HDR, "snapshot holds a delete");
            goto out;
        }
    f->gen = get_u64(payload);
    sdk_tree_undo undo;
    if (sdk_tree_apply(&f->tree, ops, nops, &undo, errs) != 0) {
        rc = corrupt(errs, f->snap_path, 8 + REC_HDR, "entries do not apply");
        goto out;
    }
    sdk_tree_undo_free(&undo);
out:
    free(ops);
    unmap_file(data, size);
    return rc;
}

/* True if a valid, decodable record starts anywhere in (from, size). */
static bool valid_record_after(const unsigned char *buf, size_t size, size_t from) {
    for (size_t p = from + 1; p + REC_HDR + 11 <= size; p++) {
        /* Cheap plausibility first (op count, first op kind) so scanning a large torn tail
         * does not checksum at every byte. */
        uint32_t len = get_u32(buf + p), nops = get_u32(buf + p + REC_HDR);
        unsigned kind = buf[p + REC_HDR + 4];
        if (len < 11 || len > size - p - REC_HDR || nops == 0 || nops > len / 7 ||
            kind < SDK_STORE_SET || kind > SDK_STORE_DELETE_TREE)
            continue;
        const unsigned char *payload;
        size_t plen;
        if (rec_check(buf, size, p, &payload, &plen)) continue;
        sdk_store_op *ops;
        size_t n;
        if (decode_ops_new(payload, plen, &ops, &n) == NULL && n > 0) {
            free(ops);
            return true;
        }
    }
    return false;
}

static int load_log(file_store *f, sdk_errors *errs) {
    char *data = NULL;
    size_t size = 0;
    int rc = map_file(f->log_path, &data, &size);
    if (rc == SDK_ENOENT) {
        if (f->gen != 0) SDK_WARN(MOD, "%s missing: starting an empty log on the snapshot", f->log_path);
        return reset_log(f, f->gen, errs);
    }
    if (rc) {
        if (errs) sdk_errors_addf(errs, "state: cannot read %s: %s", f->log_path, strerror(errno));
        return SDK_EIO;
    }
    const unsigned char *u = (const unsigned char *)data;
    if (size < LOG_HDR || memcmp(data, LOG_MAGIC, 8) != 0 ||
        crc32_update(0, u, 16) != get_u32(u + 16)) {
        rc = corrupt(errs, f->log_path, 0, "bad log header");
        goto out;
    }
    uint64_t lgen = get_u64(u + 8);
    if (lgen < f->gen) {
        /* A compaction wrote the snapshot but died before replacing the log: the snapshot already
         * holds everything in it. */
        SDK_INFO(MOD, "%s is generation %" PRIu64 ", older than the snapshot (%" PRIu64
                      "): discarding it (an interrupted compaction)",
                 f->log_path, lgen, f->gen);
        unmap_file(data, size);
        return reset_log(f, f->gen, errs);
    }
    if (lgen > f->gen) {
        char why[160];
        snprintf(why, sizeof why,
                 "log generation %" PRIu64 " is newer than the snapshot's %" PRIu64
                 ": the snapshot is missing or old",
                 lgen, f->gen);
        rc = corrupt(errs, f->log_path, 8, why);
        goto out;
    }
    size_t off = LOG_HDR;
    while (off < size) {
        const unsigned char *payload;
        size_t plen;
        const char *why = rec_check(u, size, off, &payload, &plen);
        if (why) {
            if (valid_record_after(u, size, off)) {
                rc = corrupt(errs, f->log_path, off, why);
                goto out;
            }
            SDK_WARN(MOD, "%s: discarding a torn tail of %zu bytes at offset %zu (%s): the last "
                          "transaction was not completely written before a crash",
                     f->log_path, size - off, off, why);
            break;
        }
        sdk_store_op *ops;
        size_t nops;
        if ((why = decode_ops_new(payload, plen, &ops, &nops)) != NULL) {
            rc = corrupt(errs, f->log_path, off, why);
            goto out;
        }
        sdk_tree_undo undo;
        sdk_errors aerr;
        sdk_errors_init(&aerr);
        int arc = sdk_tree_apply(&f->tree, ops, nops, &undo, &aerr);
        free(ops);
        if (arc != 0) {
            char why2[512];
            snprintf(why2, sizeof why2, "transaction does not apply: %s",
                     aerr.n ? aerr.msgs[0] : "?");
            sdk_errors_free(&aerr);
            rc = corrupt(errs, f->log_path, off, why2);
            goto out;
        }
        sdk_errors_free(&aerr);
        sdk_tree_undo_free(&undo);
        off += REC_HDR + plen;
    }
    f->log_fd = open(f->log_path, O_WRONLY | O_CLOEXEC);
    if (f->log_fd < 0) {
        if (errs) sdk_errors_addf(errs, "state: cannot open %s: %s", f->log_path, strerror(errno));
        rc = SDK_EIO;
        goto out;
    }
    if (off < size) {
        if (ftruncate(f->log_fd, (off_t)off) != 0 || (!f->no_sync && fdatasync(f->log_fd) != 0)) {
            if (errs)
                sdk_errors_addf(errs, "state: cannot truncate the torn tail of %s: %s", f->log_path,
                                strerror(errno));
            rc = SDK_EIO;
            goto out;
        }
    }
    f->log_size = off;
out:
    unmap_file(data, size);
    return rc;
}

/* ---- vtable ---- */

static int file_get(void *impl, const char *path, void **val, size_t *len, sdk_errors *errs) {
    (void)errs;
    const sdk_tree_entry *e = sdk_tree_find(&((file_store *)impl)->tree, path);
    if (!e) return SDK_ENOENT;
    char *v = sdk_xmalloc(e->len + 1);
    memcpy(v, e->val, e->len + 1);
    *val = v;
    *len = e->len;
    return 0;
}

static int file_peek(void *impl, const char *path, const void **val, size_t *len, sdk_errors *errs) {
    (void)errs;
    const sdk_tree_entry *e = sdk_tree_find(&((file_store *)impl)->tree, path);
    if (!e) return SDK_ENOENT;
    *val = e->val; /* the tree keeps a NUL after each value */
    *len = e->len;
    return 0;
}

static int file_exists(void *impl, const char *path, bool *exists, sdk_errors *errs) {
    (void)errs;
    *exists = sdk_tree_find(&((file_store *)impl)->tree, path) != NULL;
    return 0;
}

static int file_children(void *impl, const char *path, char ***names, size_t *n,
                         sdk_errors *errs) {
    (void)errs;
    return sdk_tree_children_new(&((file_store *)impl)->tree, path, names, n);
}

/* Encoded size of one op in a record payload (see put_op). */
static uint64_t op_size(const sdk_store_op *op) {
    uint64_t n = 1 + 4 + (uint64_t)strlen(op->path) + 1;
    if (op->kind == SDK_STORE_SET) n += 4 + (uint64_t)op->len;
    return n;
}

/* A commit's record is encoded and written in pieces of about ENC_CHUNK bytes: the payload after
 * the header's place, then the header (its CRC covers the whole payload), then one fdatasync.
 * A launch cycle commits a thousand TaskInfos in one transaction; encoding all of it at once held
 * megabytes (and kept them as the reused buffer) for no gain. A torn write is a torn record, cut
 * off as before. */
#define ENC_CHUNK ((size_t)64 << 10)

typedef struct {
    int fd;
    uint64_t off;  /* where the buffered bytes go */
    uint32_t crc;
    int err;       /* errno of the first failed write; 0 */
} rec_writer;

static void rec_flush(rec_writer *w, sdk_buf *b) {
    if (b->len && !w->err) {
        w->crc = crc32_update(w->crc, b->data, b->len);
        if (write_all_at(w->fd, b->data, b->len, (off_t)w->off) != 0) w->err = errno ? errno : EIO;
        w->off += b->len;
    }
    sdk_buf_reset(b);
}

/* The reused buffer keeps at most a chunk and a bit between commits. */
static void enc_shrink(sdk_buf *b) {
    if (b->cap > 2 * ENC_CHUNK) sdk_buf_free(b);
    else sdk_buf_reset(b);
}

static int file_compact(void *impl, sdk_errors *errs) {
    file_store *f = impl;
    if (f->broken) {
        if (errs)
            sdk_errors_addf(errs, "state: %s: not written since an earlier write failed (%s); "
                                  "writes resume once a recovery succeeds, or restart the scheduler",
                            f->dir, f->broken_why ? f->broken_why : "?");
        return SDK_EIO;
    }
    sdk_buf *b = &f->enc;
    sdk_buf_reset(b);
    sdk_buf_append(b, SNAP_MAGIC, 8);
    size_t at = rec_begin(b);
    put_u64(b, f->gen + 1);
    put_u32(b, (uint32_t)f->tree.n);
    for (size_t i = 0; i < f->tree.n; i++)
        put_op(b, SDK_STORE_SET, f->tree.e[i].path, f->tree.e[i].val, f->tree.e[i].len);
    if (rec_end(b, at) != 0) {
        if (errs) sdk_errors_addf(errs, "state: %s: the store is too large for one snapshot", f->dir);
        return SDK_EINVAL;
    }
    int rc = write_file_atomic(f, f->snap_path, b->data, b->len, errs);
    size_t snap_len = b->len;
    enc_shrink(b);
    if (rc) return rc; /* the old snapshot and log still describe the state */
    f->gen++;
    rc = reset_log(f, f->gen, errs);
    if (rc) {
        /* The new snapshot is in place but appends to the old log would be ignored on reopen. */
        f->broken = true;
        f->stale_log = true;
        free(f->broken_why);
        f->broken_why = sdk_xstrdup("the log could not be replaced after a compaction");
        return rc;
    }
    SDK_DEBUG(MOD, "%s: compacted to generation %" PRIu64 " (%zu nodes, %zu-byte snapshot)", f->dir,
              f->gen, f->tree.n, snap_len);
    return 0;
}

static int file_commit(void *impl, const sdk_store_op *ops, size_t n, sdk_errors *errs) {
    file_store *f = impl;
    if (f->broken) {
        if (errs)
            sdk_errors_addf(errs, "state: %s: not written since an earlier write failed (%s); "
                                  "writes resume once a recovery succeeds, or restart the scheduler",
                            f->dir, f->broken_why ? f->broken_why : "?");
        return SDK_EIO;
    }
    uint64_t plen = 4;
    for (size_t i = 0; i < n; i++) plen += op_size(&ops[i]);
    if (plen > UINT32_MAX - REC_HDR) {
        if (errs)
            sdk_errors_addf(errs, "state: %s: transaction too large (%" PRIu64 " bytes)", f->dir,
                            plen + REC_HDR);
        return SDK_EINVAL;
    }
    sdk_tree_undo undo;
    int rc = sdk_tree_apply(&f->tree, ops, n, &undo, errs);
    if (rc) return rc;
    unsigned char h[REC_HDR];
    set_u32(h, (uint32_t)plen);
    rec_writer w = {.fd = f->log_fd, .off = f->log_size + REC_HDR, .crc = crc32_update(0, h, 4)};
    sdk_buf *b = &f->enc;
    sdk_buf_reset(b);
    put_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n && !w.err; i++) {
        put_op(b, ops[i].kind, ops[i].path, ops[i].val, ops[i].len);
        if (b->len >= ENC_CHUNK) rec_flush(&w, b);
    }
    rec_flush(&w, b);
    enc_shrink(b);
    const char *what = "write";
    if (w.err) {
        errno = w.err;
        goto fail;
    }
    set_u32(h + 4, w.crc);
    if (write_all_at(f->log_fd, h, REC_HDR, (off_t)f->log_size) != 0) goto fail;
    what = "fdatasync";
    if (!f->no_sync && fdatasync(f->log_fd) != 0) goto fail;
    f->log_size += REC_HDR + plen;
    sdk_tree_undo_free(&undo);
    if (f->log_size > f->compact_bytes) {
        sdk_errors cerr;
        sdk_errors_init(&cerr);
        if (file_compact(f, &cerr) != 0)
            SDK_WARN(MOD, "compaction failed (the data is safe in the log): %s",
                     cerr.n ? cerr.msgs[0] : "?");
        sdk_errors_free(&cerr);
    }
    return 0;
fail: {
    int e = errno;
    sdk_tree_rollback(&f->tree, &undo);
    /* After a failed write or fsync the file's contents are unknown; cut the partial record off
     * and stop writing: a restart re-reads whatever is durable. */
    if (ftruncate(f->log_fd, (off_t)f->log_size) != 0) SDK_ERROR(MOD, "cannot truncate %s", f->log_path);
    f->broken = true;
    free(f->broken_why);
    f->broken_why = sdk_asprintf_new("cannot %s %s: %s", what, f->log_path, strerror(e));
    if (errs)
        sdk_errors_addf(errs, "state: cannot %s %s: %s; the transaction was not applied and the "
                              "store refuses further writes until it recovers",
                        what, f->log_path, strerror(e));
    return SDK_EIO;
}
}

/* How much free space recovery insists on: a typical transaction fits, so that a disk with a
 * few bytes left does not flap between "recovered" and "failing". */
#define PROBE_BYTES ((size_t)64 << 10)

/* After a failed write: the log's durable part ends at log_size (everything before it was
 * fdatasync'd); what lies past it is the failed record or nothing. Cut it off, prove that
 * PROBE_BYTES can be written and synced there, cut the probe off again and accept writes. A
 * crash during this leaves a tail that is not a valid record (zeros: its checksum fails), which
 * open discards as a torn tail. A compaction that failed after its snapshot gets its empty log
 * written again instead. */
static int file_recover(void *impl, sdk_errors *errs) {
    file_store *f = impl;
    if (!f->broken) return 0;
    if (f->stale_log) {
        int rc = reset_log(f, f->gen, errs);
        if (rc) return rc;
        f->stale_log = false;
        f->broken = false;
        SDK_INFO(MOD, "%s: writable again (the log of generation %" PRIu64 " is in place)", f->dir, f->gen);
        return 0;
    }
    const char *what = "truncate";
    char *zeros = NULL;
    if (ftruncate(f->log_fd, (off_t)f->log_size) != 0) goto fail;
    what = "write a probe into";
    zeros = sdk_xcalloc(1, PROBE_BYTES);
    if (write_all_at(f->log_fd, zeros, PROBE_BYTES, (off_t)f->log_size) != 0) goto fail;
    what = "fdatasync";
    if (!f->no_sync && fdatasync(f->log_fd) != 0) goto fail;
    what = "truncate";
    if (ftruncate(f->log_fd, (off_t)f->log_size) != 0) goto fail;
    what = "fdatasync";
    if (!f->no_sync && fdatasync(f->log_fd) != 0) goto fail;
    free(zeros);
    f->broken = false;
    SDK_INFO(MOD, "%s: writable again (a %zu-byte probe was written and synced)", f->dir, PROBE_BYTES);
    return 0;
fail: {
    int e = errno;
    free(zeros);
    if (ftruncate(f->log_fd, (off_t)f->log_size) != 0) SDK_ERROR(MOD, "cannot truncate %s", f->log_path);
    if (errs)
        sdk_errors_addf(errs, "state: %s still cannot be written (cannot %s %s: %s)", f->dir, what,
                        f->log_path, strerror(e));
    return SDK_EIO;
}
}

static void file_close(void *impl) {
    file_store *f = impl;
    if (f->log_fd >= 0) close(f->log_fd);
    if (f->lock_fd >= 0) close(f->lock_fd); /* releases the flock */
    sdk_tree_free(&f->tree);
    sdk_buf_free(&f->enc);
    free(f->broken_why);
    free(f->dir);
    free(f->lock_path);
    free(f->log_path);
    free(f->snap_path);
    free(f);
}

static const sdk_store_vtable file_vtable = {
    .get_new = file_get,
    .peek = file_peek,
    .exists = file_exists,
    .children_new = file_children,
    .commit = file_commit,
    .compact = file_compact,
    .close = file_close,
    .recover = file_recover,
};

/* Takes DIR/lock or explains who holds it. Writes nothing when the lock is held elsewhere. */
static int take_lock(file_store *f, sdk_errors *errs) {
    f->lock_fd = open(f->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f->lock_fd < 0) {
        if (errs) sdk_errors_addf(errs, "state: cannot open %s: %s", f->lock_path, strerror(errno));
        return SDK_EIO;
    }
    if (flock(f->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            char pid[32] = "";
            ssize_t r = pread(f->lock_fd, pid, sizeof pid - 1, 0);
            pid[r > 0 ? r : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            if (errs)
                sdk_errors_addf(errs,
                                "state: directory %s is in use by process %s (lock %s); only one "
                                "scheduler may use a state directory: stop the other one first",
                                f->dir, *pid ? pid : "(unknown pid)", f->lock_path);
            return SDK_EBUSY;
        }
        if (errs) sdk_errors_addf(errs, "state: cannot lock %s: %s", f->lock_path, strerror(e));
        return SDK_EIO;
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f->lock_fd, 0) != 0 || write_all_at(f->lock_fd, pid, (size_t)n, 0) != 0) {
        if (errs) sdk_errors_addf(errs, "state: cannot write %s: %s", f->lock_path, strerror(errno));
        return SDK_EIO;
    }
    return 0;
}

int sdk_store_file_open(const char *dir, const sdk_store_file_options *opts, sdk_store **out,
                        sdk_errors *errs) {
    *out = NULL;
    if (!dir || !*dir) {
        if (errs) sdk_errors_addf(errs, "state: no directory given for the file store");
        return SDK_EINVAL;
    }
    sdk_store_file_options o = opts ? *opts : (sdk_store_file_options){0};
    if (mkdir_p(dir) != 0) {
        if (errs) sdk_errors_addf(errs, "state: cannot create directory %s: %s", dir, strerror(errno));
        return SDK_EIO;
    }
    file_store *f = sdk_xcalloc(1, sizeof *f);
    f->dir = sdk_xstrdup(dir);
    f->lock_path = sdk_asprintf_new("%s/lock", dir);
    f->log_path = sdk_asprintf_new("%s/log", dir);
    f->snap_path = sdk_asprintf_new("%s/snapshot", dir);
    f->lock_fd = f->log_fd = -1;
    f->compact_bytes = o.compact_bytes ? o.compact_bytes : DEFAULT_COMPACT;
    f->no_sync = o.no_sync;
    sdk_tree_init(&f->tree);
    sdk_buf_init(&f->enc);

    /* The trace of an earlier state: the marker beside the directory, written once the log
     * exists. The lock file alone is no trace: it is created before the log, so a scheduler
     * killed between the two would otherwise be refused at every start that follows. */
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    char *marker = sdk_asprintf_new("%.*s.sdk-state", (int)dl, dir);
    bool marker_existed = access(marker, F_OK) == 0;
    int rc = take_lock(f, errs);
    if (rc) goto fail_marker;
    if (access(f->log_path, F_OK) != 0 && access(f->snap_path, F_OK) != 0 && marker_existed) {
        const char *trace = marker;
        if (!o.reset_state) {
            if (errs)
                sdk_errors_addf(errs,
                                "state (file:%s): the state is missing (no %s, no %s) but %s says "
                                "it existed: it was deleted. Starting empty would register a new "
                                "framework, orphan the old one's tasks and garbage-collect its "
                                "reservations and volumes as unclaimed (their data destroyed). "
                                "Restore the directory from a backup, or start with "
                                "--reset-state to abandon the old state",
                                dir, f->log_path, f->snap_path, trace);
            rc = SDK_ESTATE;
            goto fail_marker;
        }
        SDK_WARN(MOD, "%s: the state is missing although %s says it existed; starting empty as "
                      "--reset-state asks (the old framework is abandoned; its volumes will be destroyed as unclaimed when offered)",
                 dir, trace);
    }
    /* Leftovers of an interrupted compaction: never renamed, so never part of the state. */
    char *tmp = sdk_asprintf_new("%s.tmp", f->snap_path);
    unlink(tmp);
    free(tmp);
    tmp = sdk_asprintf_new("%s.tmp", f->log_path);
    unlink(tmp);
    free(tmp);
    if ((rc = load_snapshot(f, errs)) != 0) goto fail_marker;
    if ((rc = load_log(f, errs)) != 0) goto fail_marker;
    if (!marker_existed) {
        char *text = sdk_asprintf_new("A Stateful SDK state store lives in %s (created by process "
                                      "%ld). While this file exists, a scheduler refuses to start "
                                      "on that directory if its state was deleted; see --reset-state.\n",
                                      dir, (long)getpid());
        int mfd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (mfd < 0 || write_all_at(mfd, text, strlen(text), 0) != 0 || (!f->no_sync && fsync(mfd) != 0))
            SDK_WARN(MOD, "cannot write %s (%s): a deleted state directory would not be noticed", marker,
                     strerror(errno));
        if (mfd >= 0) close(mfd);
        free(text);
    }
    free(marker);

    char *desc = sdk_asprintf_new("file:%s", dir);
    *out = sdk_store_new(&file_vtable, f, desc, o.max_value);
    free(desc);
    return 0;
fail_marker:
    free(marker);
    file_close(f);
    return rc;
}
