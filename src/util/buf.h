/*
 * buf.h - growable byte buffer with a hard cap (curl's dynbuf).
 *
 * A buf grows from its arena when it has one (the memory then dies with the
 * arena), else from the heap (free with buf_free). Growing past `cap` fails
 * with WG_ERR_TOO_LARGE and leaves the contents as they were. The contents
 * are always NUL-terminated after a successful append.
 */
#ifndef WG_BUF_H
#define WG_BUF_H

#include "util/arena.h"
#include "util/err.h"

typedef struct {
    char *ptr;
    size_t len;
    size_t size; /* allocated bytes */
    size_t cap;  /* maximum len */
    arena *ar;   /* NULL: heap */
} wg_buf;

void buf_init(wg_buf *b, arena *ar, size_t cap);
wg_err buf_append(wg_buf *b, const void *p, size_t n);

/* Room for n more bytes and the terminating NUL (within the cap), for a
 * caller that writes into ptr + len itself and then moves len. */
wg_err buf_reserve(wg_buf *b, size_t n);
wg_err buf_puts(wg_buf *b, const char *s);
wg_err buf_putc(wg_buf *b, char c);
wg_err buf_printf(wg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as the inside of a JSON string (quotes not included): quote,
 * backslash and control bytes escaped, well-formed UTF-8 as it is, any
 * other byte as \ufffd (U+FFFD), so that every JSON parser takes it. */
wg_err buf_json_escape(wg_buf *b, const char *s, size_t n);
void buf_reset(wg_buf *b);
/* Heap buffers only: release memory. */
void buf_free(wg_buf *b);

#endif
