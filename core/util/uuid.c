#include "core/util/uuid.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

void sdk_uuid_generate(char out[SDK_UUID_STRLEN + 1]) {
    unsigned char b[16];
    sdk_random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, SDK_UUID_STRLEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
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
