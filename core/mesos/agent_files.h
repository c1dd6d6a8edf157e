/* The agents the scheduler has heard of (from offers: Offer.url) and asynchronous reads of a
 * task's sandbox through their HTTP API (core/mesos/sandbox.h says how). Loop thread only;
 * nothing here blocks: each read is a short chain of libcurl transfers on the loop.
 *
 * No authentication is sent: agents that require HTTP authentication (DC/OS strict mode) answer
 * 401, and the read reports that. */
#ifndef SDK_MESOS_AGENT_FILES_H
#define SDK_MESOS_AGENT_FILES_H
#include <stddef.h>
#include "core/loop/loop.h"
#include "core/offer/offer.h"

typedef struct sdk_agent_files sdk_agent_files;

/* Answer of sdk_agent_files_tail: text (NULL: unavailable, why says why). Called exactly once
 * per request, on the loop thread, never before the request returns. */
typedef void (*sdk_agent_tail_done)(void *arg, const char *text, const char *why);

sdk_agent_files *sdk_agent_files_new(sdk_loop *loop);
/* Pending reads are answered (text NULL, "the scheduler is stopping") before it returns. */
void sdk_agent_files_free(sdk_agent_files *f);
/* Learns the agents' URLs from offers (an offer without Offer.url teaches nothing). */
void sdk_agent_files_note_offers(sdk_agent_files *f, const sdk_offer *offers, size_t n);
/* "http://IP:PORT" of an agent, or NULL when no offer named it. Borrowed. */
const char *sdk_agent_files_url(const sdk_agent_files *f, const char *agent_id);
/* Reads the last n_lines of FILE ("stderr", "stdout") in the sandbox of task_id on agent_id. */
void sdk_agent_files_tail(sdk_agent_files *f, const char *agent_id, const char *task_id, const char *file,
                          size_t n_lines, sdk_agent_tail_done done, void *arg);
#endif
