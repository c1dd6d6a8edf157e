/* Error lists: every validating function appends human-readable messages here instead of
 * printing, so a caller can show every problem at once ("what and where"), and tests can
 * assert on them. Messages are owned by the list. */
#ifndef SDK_UTIL_ERR_H
#define SDK_UTIL_ERR_H
#include <stddef.h>
#include <stdbool.h>

/* Negative error codes used by core functions (0 = success). */
enum {
    SDK_OK = 0,
    SDK_EINVAL = -1,   /* bad input: see the error list */
    SDK_ENOMEM = -2,
    SDK_EIO = -3,      /* file or network I/O failed */
    SDK_ENOENT = -4,   /* not found */
    SDK_EEXIST = -5,   /* already exists */
    SDK_ECORRUPT = -6, /* stored data failed validation */
    SDK_EBUSY = -7,    /* held by someone else (lock) */
    SDK_ESTATE = -8,   /* not allowed in the current state */
};

typedef struct sdk_errors {
    char **msgs;
    size_t n, cap;
} sdk_errors;

void sdk_errors_init(sdk_errors *e);
void sdk_errors_free(sdk_errors *e);
/* Appends a printf-formatted message. Never fails (aborts on out of memory). */
void sdk_errors_addf(sdk_errors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends all messages of src (copies). */
void sdk_errors_extend(sdk_errors *e, const sdk_errors *src);
static inline bool sdk_errors_any(const sdk_errors *e) { return e->n > 0; }
/* True if some message contains needle (for tests). */
bool sdk_errors_contains(const sdk_errors *e, const char *needle);
/* Prints each message as "prefix: msg\n" to stderr. */
void sdk_errors_print(const sdk_errors *e, const char *prefix);
#endif
