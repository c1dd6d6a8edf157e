#include "core/util/log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int level = -1;

static void init_level(void) {
    const char *e = getenv("SDK_LOG");
    level = SDK_LOG_INFO;
    if (!e) return;
    if (!strcmp(e, "debug")) level = SDK_LOG_DEBUG;
    else if (!strcmp(e, "warn")) level = SDK_LOG_WARN;
    else if (!strcmp(e, "error")) level = SDK_LOG_ERROR;
}
void sdk_log_set_level(sdk_log_level l) { level = (int)l; }
sdk_log_level sdk_log_get_level(void) { if (level < 0) init_level(); return (sdk_log_level)level; }

void sdk_log(sdk_log_level l, const char *module, const char *fmt, ...) {
    if (level < 0) init_level();
    if ((int)l < level) return;
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03ld %-5s %s: %s\n", when, ts.tv_nsec / 1000000, names[l], module, msg);
}
