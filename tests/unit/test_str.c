/* core/util/str.c: string helpers. */
#include "core/util/str.h"
#include "check.h"
#include <stdlib.h>
#include <string.h>

static void test_strcat_new(void) {
    char *s = sdk_strcat_new("insufficient ", "mem", "", ": need ", "4096", (char *)NULL);
    CHECK_STR(s, "insufficient mem: need 4096");
    free(s);
    s = sdk_strcat_new("", (char *)NULL);
    CHECK_STR(s, "");
    free(s);
    /* more arguments than the lengths it keeps */
    s = sdk_strcat_new("a", "bb", "c", "dd", "e", "ff", "g", "hh", "i", "jj", "k", "ll", "m", "nn", "o", "pp", "q",
                       "rr", "s", (char *)NULL);
    CHECK_STR(s, "abbcddeffghhijjkllmnnoppqrrs");
    free(s);
    s = sdk_strcat_new("alone", (char *)NULL);
    CHECK_STR(s, "alone");
    free(s);
}

static void test_i64_str(void) {
    char b[SDK_I64_STRLEN];
    CHECK_STR(sdk_i64_str(0, b), "0");
    CHECK_STR(sdk_i64_str(7, b), "7");
    CHECK_STR(sdk_i64_str(-42, b), "-42");
    CHECK_STR(sdk_i64_str(1234567890123LL, b), "1234567890123");
    CHECK_STR(sdk_i64_str(9223372036854775807LL, b), "9223372036854775807");
    CHECK_STR(sdk_i64_str(-9223372036854775807LL - 1, b), "-9223372036854775808");
}

int main(void) {
    RUN(test_strcat_new);
    RUN(test_i64_str);
    return check_summary("test_str");
}
