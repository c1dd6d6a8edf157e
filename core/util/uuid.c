#include "core/util/uuid.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/random.h>

void sdk_random_bytes(void *out, unsigned n) {
    unsigned char *p = out;
    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r <= 0) { perror("getrandom"); abort(); }
        p += r;
        n -= (unsigned)r;
    }
}

/* Random bytes for UUIDs, taken from getrandom(2) 4 KiB at a time rather than 16 bytes per
 * call: building a 1,000-step plan made 1,000 system calls, a tenth of the scheduler's start-up.
 * The pool lives in its own page marked MADV_WIPEONFORK, so a forked child finds it empty (its
 * `left` reads 0) and never hands out the parent's bytes again; a mutex serialises threads. */
#define UUID_POOL_BYTES (4096 - 64)
typedef struct uuid_pool {
    unsigned left;                        /* unused bytes at the end of buf */
    unsigned char buf[UUID_POOL_BYTES];
} uuid_pool;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static uuid_pool *pool; /* NULL: not mapped (yet, or mapping failed: then unpooled) */
static bool pool_tried;

static void uuid_random16(unsigned char b[16]) {
    pthread_mutex_lock(&pool_mu);
    if (!pool_tried) {
        pool_tried = true;
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED && madvise(p, 4096, MADV_WIPEONFORK) == 0) pool = p;
        else if (p != MAP_FAILED) munmap(p, 4096); /* without the fork guarantee: no pool */
    }
    if (!pool) {
        pthread_mutex_unlock(&pool_mu);
        sdk_random_bytes(b, 16);
        return;
    }
    if (pool->left < 16) {
        sdk_random_bytes(pool->buf, UUID_POOL_BYTES);
        pool->left = UUID_POOL_BYTES;
    }
    unsigned char *src = pool->buf + UUID_POOL_BYTES - pool->left;
    memcpy(b, src, 16);
    memset(src, 0, 16); /* handed out once */
    pool->left -= 16;
    pthread_mutex_unlock(&pool_mu);
}

void sdk_uuid_generate(char out[SDK_UUID_STRLEN + 1]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    uuid_random16(b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = 0;
}

bool sdk_uuid_valid(const char *s) {
    if (!s || strlen(s) != SDK_UUID_STRLEN) return false;
    for (int i = 0; i < SDK_UUID_STRLEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}
