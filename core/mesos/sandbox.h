/* Reading a task's sandbox through a Mesos agent's HTTP API, the parts that are pure text:
 * the scheduler (asynchronously, for a failed task's stderr tail) and sdkctl (`task log`) do
 * the HTTP themselves and share these.
 *
 * How a task's sandbox is found, on a real Mesos agent and on the local cluster alike:
 *   1. GET <agent>/state (the agent's state endpoint, src/slave/http.cpp) and find the task id
 *      in frameworks[] or completed_frameworks[], under executors[] or completed_executors[],
 *      in tasks[], completed_tasks[] or queued_tasks[]; that executor's "directory" is its sandbox.
 *   2. A task of a task group (the default executor, which LAUNCH_GROUP uses) has its own
 *      sandbox in <executor directory>/tasks/<task id> (src/launcher/default_executor.cpp); a
 *      command task's executor has the task's id and the executor directory is the task's.
 *   3. GET <agent>/files/read?path=<dir>/stderr&offset=-1 answers {"data": "", "offset": SIZE};
 *      then ?offset=O&length=L reads a range ({"data": ..., "offset": O}); the agent caps one read
 *      at 16 pages (src/files/files.cpp).
 * The agent's base URL comes from the offers' Offer.url (http://IP:PORT).
 */
#ifndef SDK_MESOS_SANDBOX_H
#define SDK_MESOS_SANDBOX_H
#include <stddef.h>
#include "core/util/err.h"

/* The sandbox directory of task_id in an agent's /state JSON. Returns 0 (*dir new string),
 * SDK_ENOENT (the agent does not know the task: errs says so) or SDK_EINVAL (not agent state). */
int sdk_sandbox_dir_from_state_new(const char *json, size_t len, const char *task_id, char **dir, sdk_errors *errs);
/* Parses a /files/read answer: *data (new, NUL-terminated, *n bytes) and *offset. Returns 0 or
 * SDK_EINVAL (errs names what is missing). */
int sdk_files_read_parse_new(const char *json, size_t len, char **data, size_t *n, long long *offset,
                             sdk_errors *errs);
/* The last n_lines lines of text (a final newline does not start an empty line); a new string. */
char *sdk_tail_lines_new(const char *text, size_t len, size_t n_lines);
/* "<base>/files/read?path=<escaped path>&offset=O&length=L" (length < 0: left out). New string. */
char *sdk_files_read_url_new(const char *base, const char *path, long long offset, long long length);
#endif
