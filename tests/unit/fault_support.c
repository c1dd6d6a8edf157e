#include "tests/unit/fault_support.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

bool fault_tmpfs_mount(char *dir, size_t bytes, const char *test) {
    snprintf(dir, 64, "/tmp/sdk-fault-XXXXXX");
    if (!mkdtemp(dir)) {
        printf("SKIP %s: cannot create a temporary directory: %s\n", test, strerror(errno));
        dir[0] = 0;
        return false;
    }
    char opts[64];
    snprintf(opts, sizeof opts, "size=%zu,mode=0755", bytes);
    if (mount("tmpfs", dir, "tmpfs", 0, opts) != 0) {
        printf("SKIP %s: cannot mount a %zu-byte tmpfs to fill up (%s); run as root or with "
               "CAP_SYS_ADMIN to test a full disk\n", test, bytes, strerror(errno));
        rmdir(dir);
        dir[0] = 0;
        return false;
    }
    return true;
}

void fault_tmpfs_unmount(char *dir) {
    if (!dir || !dir[0]) return;
    if (umount(dir) != 0) umount2(dir, MNT_DETACH);
    rmdir(dir);
    dir[0] = 0;
}

size_t fault_fill(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return 0;
    static const char zeros[4096];
    size_t total = 0;
    for (size_t chunk = sizeof zeros; chunk > 0; chunk /= 2) /* fill the last partial page too */
        for (;;) {
            ssize_t w = write(fd, zeros, chunk);
            if (w <= 0) break;
            total += (size_t)w;
        }
    close(fd);
    return total;
}
