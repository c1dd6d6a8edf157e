/* Random version-4 UUIDs (36-char lowercase strings) from getrandom(2). */
#ifndef SDK_UTIL_UUID_H
#define SDK_UTIL_UUID_H
#include <stdbool.h>
#define SDK_UUID_STRLEN 36
/* Writes a new UUID into out (at least 37 bytes). */
void sdk_uuid_generate(char out[SDK_UUID_STRLEN + 1]);
/* Fills 16 random bytes (e.g. a status-update uuid). */
void sdk_random_bytes(void *out, unsigned n);
/* True if s is 8-4-4-4-12 hex digits. */
bool sdk_uuid_valid(const char *s);
#endif
