#include "core/util/crashpoint.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sdk_crash_point(const char *name) {
    static int checked, hits, want;
    static char point[64];
    if (!checked) {
        checked = 1;
        const char *e = getenv("SDK_CRASH_AT");
        if (e && *e) {
            snprintf(point, sizeof point, "%s", e);
            char *colon = strchr(point, ':');
            want = 1;
            if (colon) {
                *colon = 0;
                want = atoi(colon + 1) > 0 ? atoi(colon + 1) : 1;
            }
        }
    }
    if (!point[0] || strcmp(point, name)) return;
    if (++hits < want) return;
    fprintf(stderr, "SDK_CRASH_AT: killing the process at '%s' (pass %d)\n", name, hits);
    fflush(stderr);
    kill(getpid(), SIGKILL);
}
