/* Replay driver for the fuzz harnesses when they are built without libFuzzer: runs
 * LLVMFuzzerTestOneInput once per input file, each in a child process of its own, so one input
 * that crashes, leaks (LeakSanitizer exits non-zero) or hangs is counted as failed without
 * hiding the others. Arguments are files or directories (their regular files, not recursive).
 * LLVMFuzzerInitialize, when the harness has one, runs once in the parent before the first input.
 *
 * Prints "FAIL <file>: <why>" for each failure, then "<program name>: N passed, N failed" (the
 * summary line scripts/run-tests.sh adds up); exits 1 when an input failed. The environment
 * variable FUZZ_REPLAY_TIMEOUT (seconds, default 20) bounds each input. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return 2;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) abort();
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0) break;
        len += n;
    }
    fclose(f);
    /* libFuzzer hands the harness a buffer of exactly `size` bytes: so does the replay, so that
     * a read past the end is caught here too. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) abort();
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

/* 1 when the input passed, 0 when it failed (reason printed). */
static int replay_one(const char *path, unsigned timeout_s) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fork: %s\n", strerror(errno));
        return 0;
    }
    if (pid == 0) {
        alarm(timeout_s); /* a hang dies of SIGALRM */
        exit(run_file(path));
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 1;
    if (WIFSIGNALED(st))
        printf("FAIL %s: %s\n", path, WTERMSIG(st) == SIGALRM ? "timed out (hang)" : strsignal(WTERMSIG(st)));
    else printf("FAIL %s: exit status %d (sanitizer report above)\n", path, WEXITSTATUS(st));
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    const char *t = getenv("FUZZ_REPLAY_TIMEOUT");
    unsigned timeout_s = t && atoi(t) > 0 ? (unsigned)atoi(t) : 20;
    size_t passed = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            printf("FAIL %s: %s\n", argv[i], strerror(errno));
            failed++;
            continue;
        }
        if (!S_ISDIR(sb.st_mode)) {
            if (replay_one(argv[i], timeout_s)) passed++;
            else failed++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (!d) {
            printf("FAIL %s: %s\n", argv[i], strerror(errno));
            failed++;
            continue;
        }
        char **names = NULL;
        size_t n = 0;
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            char **nn = realloc(names, (n + 1) * sizeof *names);
            if (!nn) abort();
            names = nn;
            size_t len = strlen(argv[i]) + strlen(e->d_name) + 2;
            names[n] = malloc(len);
            if (!names[n]) abort();
            snprintf(names[n++], len, "%s/%s", argv[i], e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp_str); /* same order every run */
        for (size_t k = 0; k < n; k++) {
            if (stat(names[k], &sb) == 0 && S_ISREG(sb.st_mode)) {
                if (replay_one(names[k], timeout_s)) passed++;
                else failed++;
            }
            free(names[k]);
        }
        free(names);
    }
    const char *name = strrchr(argv[0], '/');
    name = name ? name + 1 : argv[0];
    printf("%s: %zu passed, %zu failed\n", name, passed, failed);
    return failed ? 1 : 0;
}
