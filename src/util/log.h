/*
 * log.h - leveled logging to stderr and the access-log line.
 *
 * Each call writes one whole line with one write(2), so lines from
 * different threads never interleave. Lines are JSON objects:
 *   {"t":"2026-11-29T10:00:00.123Z","level":"info","msg":"..."}
 */
#ifndef WG_LOG_H
#define WG_LOG_H

#include "util/common.h"

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF } log_level;

/* Threshold for log_msg (default LOG_INFO). */
void log_set_level(log_level lv);
log_level log_get_level(void);
/* Parse "debug|info|warn|error|off". */
bool log_parse_level(const char *s, log_level *out);

/* Where lines go: an fd (default 2). */
void log_set_fd(int fd);

void log_msg(log_level lv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Write "YYYY-MM-DDTHH:MM:SS.mmmZ" for the current time into out (>= 25
 * bytes); returns the length. */
size_t log_timestamp(char *out, size_t cap);

/* Write one raw, already formatted line (must end in '\n') to fd. */
void log_write_line(int fd, const char *line, size_t len);

/* Monotonic microseconds, for durations. */
uint64_t log_now_us(void);

#endif
