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
    s = sdk_strcat_new("alone", (char *)NULL);
    CHECK_STR(s, "alone");
    free(s);
}

int main(void) {
    RUN(test_strcat_new);
    return check_summary("test_str");
}
