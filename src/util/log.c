/*
 * log.c - see log.h.
 */
#include "util/log.h"
#include "util/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static log_level g_level = LOG_INFO;
static int g_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(log_level lv)
{
    g_level = lv;
}

log_level log_get_level(void)
{
    return g_level;
}

bool log_parse_level(const char *s, log_level *out)
{
    for (size_t i = 0; i < WG_ARRAY_LEN(level_names); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (log_level)i;
            return true;
        }
    }
    return false;
}

void log_set_fd(int fd)
{
    g_fd = fd;
}

size_t log_timestamp(char *out, size_t cap)
{
    /* gmtime_r once per second per thread; the milliseconds change. */
    static __thread time_t cached_sec = -1;
    static __thread char cached[24];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = ts.tv_sec;
    }
    int n = snprintf(out, cap, "%s.%03ldZ", cached, ts.tv_nsec / 1000000);
    return n < 0 ? 0 : ((size_t)n < cap ? (size_t)n : cap - 1);
}

void log_write_line(int fd, const char *line, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, line, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* nowhere left to report it */
        }
        line += n;
        len -= (size_t)n;
    }
}

void log_msg(log_level lv, const char *fmt, ...)
{
    if (lv < g_level || lv >= LOG_OFF)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t mlen = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;

    wg_buf b;
    buf_init(&b, NULL, 16 * 1024); /* 2 KiB of message escapes to at most 12 KiB */
    char ts[32];
    log_timestamp(ts, sizeof(ts));
    buf_printf(&b, "{\"t\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[lv]);
    buf_json_escape(&b, msg, mlen);
    buf_puts(&b, "\"}\n");
    if (b.ptr)
        log_write_line(g_fd, b.ptr, b.len);
    buf_free(&b);
}

uint64_t log_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
