/* Minimal test harness shared by every test binary under tests/unit.
 *
 * Contract: a test file defines functions `static void test_xxx(void)` and a main() that calls
 * RUN(test_xxx) for each, then `return check_summary("name");`. CHECK* macros record a failure
 * with file:line and keep going; the summary prints "name: N passed, N failed" and returns
 * non-zero when anything failed. scripts/run-tests.sh adds the per-binary counts.
 */
#ifndef SDK_TESTS_CHECK_H
#define SDK_TESTS_CHECK_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <inttypes.h>

static int check_passed_, check_failed_, check_cur_failed_;
static const char *check_cur_name_;

#define CHECK(cond) do { if (!(cond)) { check_cur_failed_++; \
    fprintf(stderr, "  FAIL %s:%d in %s: %s\n", __FILE__, __LINE__, check_cur_name_, #cond); } } while (0)
#define CHECK_MSG(cond, ...) do { if (!(cond)) { check_cur_failed_++; \
    fprintf(stderr, "  FAIL %s:%d in %s: %s: ", __FILE__, __LINE__, check_cur_name_, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); if (a_ != b_) { \
    check_cur_failed_++; fprintf(stderr, "  FAIL %s:%d in %s: %s == %s (%lld != %lld)\n", \
    __FILE__, __LINE__, check_cur_name_, #a, #b, a_, b_); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); \
    if (!a_ || !b_ || strcmp(a_, b_) != 0) { check_cur_failed_++; \
    fprintf(stderr, "  FAIL %s:%d in %s: %s == %s (\"%s\" != \"%s\")\n", __FILE__, __LINE__, \
    check_cur_name_, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)
#define CHECK_CONTAINS(hay, needle) do { const char *h_ = (hay), *n_ = (needle); \
    if (!h_ || !strstr(h_, n_)) { check_cur_failed_++; \
    fprintf(stderr, "  FAIL %s:%d in %s: \"%s\" should contain \"%s\"\n", __FILE__, __LINE__, \
    check_cur_name_, h_ ? h_ : "(null)", n_); } } while (0)

#define RUN(fn) do { check_cur_name_ = #fn; check_cur_failed_ = 0; fn(); \
    if (check_cur_failed_) { check_failed_++; fprintf(stderr, "not ok %s\n", #fn); } \
    else { check_passed_++; if (getenv("CHECK_VERBOSE")) fprintf(stderr, "ok %s\n", #fn); } } while (0)

static inline int check_summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, check_passed_, check_failed_);
    fflush(stdout);
    return check_failed_ ? 1 : 0;
}

/* Path of a file in ../shared (the steering repo's shared folder beside this checkout);
 * SDK_SHARED overrides it. */
static inline const char *check_shared_dir(void) {
    const char *s = getenv("SDK_SHARED");
    return s && *s ? s : "../shared";
}
#endif
