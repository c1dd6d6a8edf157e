/* Version of the programs (scheduler, localcluster, sdkctl): release, git commit, plugin ABI.
 *
 * The commit comes from the build: the Makefile writes $(BUILD)/gen/sdk_git_commit.h (from
 * `git describe --always --dirty`, "unknown" outside a git checkout) and only version.c includes
 * it, so a new commit recompiles this one object and relinks the three programs. */
#ifndef SDK_APP_VERSION_H
#define SDK_APP_VERSION_H
#include <stdio.h>

/* The release of the SDK (the scheduler core, local cluster and CLI move together). */
#define SDK_RELEASE "0.1.0"

/* The git commit the binary was built from ("9f0ccd7", "9f0ccd7-dirty" or "unknown"). Static. */
const char *sdk_version_commit(void);
/* Prints "<program> (stateful-sdk) RELEASE, commit COMMIT, plugin ABI MAJOR.MINOR\n" to f. */
void sdk_version_print(FILE *f, const char *program);
#endif
