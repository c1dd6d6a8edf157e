/* Support for fault tests: a small tmpfs to fill up (a full disk, for real). Linked into every
 * test binary (tests/unit/ files not named test_*), so it stays small. */
#ifndef SDK_TESTS_FAULT_SUPPORT_H
#define SDK_TESTS_FAULT_SUPPORT_H
#include <stdbool.h>
#include <stddef.h>

/* Mounts a tmpfs of `bytes` on a new temporary directory, written to dir (>= 64 bytes). Returns
 * false, having printed "SKIP <test>: ..." with the reason, when mounting is not permitted
 * (not root, no CAP_SYS_ADMIN, in a container without it); the caller then skips. */
bool fault_tmpfs_mount(char *dir, size_t bytes, const char *test);
/* Unmounts (lazily if busy) and removes the directory. Safe with dir[0] == 0. */
void fault_tmpfs_unmount(char *dir);
/* Writes zeros to PATH until the filesystem is full. Returns the bytes written. */
size_t fault_fill(const char *path);
#endif
