/* Test-only fault injection for crash-recovery tests: SDK_CRASH_AT=<point>[:<n>] makes the
 * process SIGKILL itself the n-th time (default 1st) it passes the named point. Unset (always,
 * outside tests): a cheap check that does nothing. Points are documented where they are placed:
 *   before-record     offers matched to launches, nothing recorded nor sent yet
 *   after-record      launch recorded in the state store, ACCEPT not sent yet
 *   after-accept      ACCEPT sent, no status received yet
 *   after-target      a new target configuration stored, tasks not re-labelled yet
 *   after-status      task status update(s) stored, not acknowledged yet */
#ifndef SDK_UTIL_CRASHPOINT_H
#define SDK_UTIL_CRASHPOINT_H
void sdk_crash_point(const char *name);
#endif
