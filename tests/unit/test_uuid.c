/* UUIDs: version-4 shape, no repeats, and no bytes shared with a forked child (the random pool). */
#include "tests/unit/check.h"
#include "core/util/uuid.h"
#include <sys/wait.h>
#include <unistd.h>

static void test_shape_and_unique(void) {
    enum { N = 2000 }; /* more than one pool refill (252 per 4 KiB) */
    static char ids[N][SDK_UUID_STRLEN + 1];
    for (int i = 0; i < N; i++) {
        sdk_uuid_generate(ids[i]);
        CHECK_MSG(sdk_uuid_valid(ids[i]), "%s", ids[i]);
        CHECK(ids[i][14] == '4');                       /* version 4 */
        CHECK(strchr("89ab", ids[i][19]) != NULL);      /* RFC 4122 variant */
    }
    int dups = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) dups += !strcmp(ids[i], ids[j]);
    CHECK_INT(dups, 0);
}

/* A child forked after the pool was filled must not hand out the parent's next UUID. */
static void test_fork_does_not_repeat(void) {
    char before[SDK_UUID_STRLEN + 1], mine[SDK_UUID_STRLEN + 1], theirs[SDK_UUID_STRLEN + 1] = "";
    sdk_uuid_generate(before); /* the pool now holds bytes for the next ones */
    int fd[2];
    CHECK(pipe(fd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        char c[SDK_UUID_STRLEN + 1];
        sdk_uuid_generate(c);
        ssize_t w = write(fd[1], c, SDK_UUID_STRLEN);
        _exit(w == SDK_UUID_STRLEN ? 0 : 1);
    }
    close(fd[1]);
    sdk_uuid_generate(mine);
    CHECK(read(fd[0], theirs, SDK_UUID_STRLEN) == SDK_UUID_STRLEN);
    close(fd[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(sdk_uuid_valid(theirs));
    CHECK_MSG(strcmp(mine, theirs) != 0, "parent and child both made %s", mine);
}

int main(void) {
    RUN(test_shape_and_unique);
    RUN(test_fork_does_not_repeat);
    return check_summary("test_uuid");
}
