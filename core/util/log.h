/* Process log: one line per event on stderr, "<time> <level> <module>: message".
 * Level is set once at start (SDK_LOG=debug|info|warn|error, default info). */
#ifndef SDK_UTIL_LOG_H
#define SDK_UTIL_LOG_H
typedef enum { SDK_LOG_DEBUG = 0, SDK_LOG_INFO, SDK_LOG_WARN, SDK_LOG_ERROR } sdk_log_level;
void sdk_log_set_level(sdk_log_level l);
sdk_log_level sdk_log_get_level(void);
void sdk_log(sdk_log_level l, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define SDK_DEBUG(mod, ...) sdk_log(SDK_LOG_DEBUG, mod, __VA_ARGS__)
#define SDK_INFO(mod, ...) sdk_log(SDK_LOG_INFO, mod, __VA_ARGS__)
#define SDK_WARN(mod, ...) sdk_log(SDK_LOG_WARN, mod, __VA_ARGS__)
#define SDK_ERROR(mod, ...) sdk_log(SDK_LOG_ERROR, mod, __VA_ARGS__)
#endif
