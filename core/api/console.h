/* The web console's files (console/), compiled into the scheduler at build time by
 * scripts/gen-console.c (build/gen/console_files.c), and the rule for which paths are public.
 *
 * Served by routes_console.c at "/" (index.html) and "/console/<file>", with their ETag and, to
 * clients that accept it, their gzip copy made at build time. Nothing is read from disk or
 * fetched at run time.
 */
#ifndef SDK_API_CONSOLE_H
#define SDK_API_CONSOLE_H
#include <stdbool.h>
#include <stddef.h>

typedef struct sdk_console_file {
    const char *name;         /* "app.js" (base name in console/) */
    const char *content_type; /* "text/javascript; charset=utf-8" */
    const unsigned char *data;
    size_t len;
    const unsigned char *gz;  /* gzip of data (RFC 1952) */
    size_t gz_len;
    const char *etag;         /* strong, quoted: "\"0123456789abcdef\"" */
} sdk_console_file;

extern const sdk_console_file sdk_console_files[];
extern const size_t sdk_console_n_files;

/* The console file served at this request path ("/" or "/console/NAME"), or NULL. */
const sdk_console_file *sdk_console_file_for(const char *path);
/* For sdk_http_server_opts.open_path: true for the console's files, which hold no service data
 * and so are served without the API token (the page then asks for the token and sends it with
 * every API request). */
bool sdk_console_open_path(const char *path);
#endif
