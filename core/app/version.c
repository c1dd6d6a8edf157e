#include "core/app/version.h"

#include "abi/sdk_plugin.h"
#include "sdk_git_commit.h" /* generated: SDK_GIT_COMMIT (see the Makefile) */

const char *sdk_version_commit(void) { return SDK_GIT_COMMIT; }

void sdk_version_print(FILE *f, const char *program) {
    fprintf(f, "%s (stateful-sdk) %s, commit %s, plugin ABI %d.%d\n", program, SDK_RELEASE, SDK_GIT_COMMIT,
            SDK_PLUGIN_ABI_MAJOR, SDK_PLUGIN_ABI_MINOR);
}
