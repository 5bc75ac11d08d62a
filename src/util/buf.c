/*
 * buf.c - see buf.h.
 */
#include "util/buf.h"
#include "util/strparse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(wg_buf *b, arena *ar, size_t cap)
{
    memset(b, 0, sizeof(*b));
    b->ar = ar;
    b->cap = cap;
}

static wg_err buf_grow(wg_buf *b, size_t need)
{
    if (need > b->cap)
        return WG_ERR_TOO_LARGE;
    if (need + 1 <= b->size)
        return WG_OK;
    size_t size = b->size ? b->size : 256;
    while (size < need + 1)
        size *= 2;
    if (size > b->cap + 1)
        size = b->cap + 1;
    char *p;
    if (b->ar) {
        p = arena_alloc(b->ar, size);
        if (p && b->len)
            memcpy(p, b->ptr, b->len);
    } else {
        p = realloc(b->ptr, size);
    }
    if (!p)
        return WG_ERR_NOMEM;
    b->ptr = p;
    b->size = size;
    return WG_OK;
}

wg_err buf_reserve(wg_buf *b, size_t n)
{
    if (n > b->cap - b->len)
        return WG_ERR_TOO_LARGE;
    return buf_grow(b, b->len + n);
}

wg_err buf_append(wg_buf *b, const void *p, size_t n)
{
    wg_err rc = buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return WG_OK;
}

wg_err buf_puts(wg_buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

wg_err buf_putc(wg_buf *b, char c)
{
    return buf_append(b, &c, 1);
}

wg_err buf_printf(wg_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return WG_ERR_INTERNAL;
    if ((size_t)n < sizeof(small))
        return buf_append(b, small, (size_t)n);
    if ((size_t)n > b->cap - b->len)
        return WG_ERR_TOO_LARGE;
    wg_err rc = buf_grow(b, b->len + (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return WG_OK;
}

wg_err buf_json_escape(wg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* start of the pending run of plain bytes */
    wg_err rc = WG_OK;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            /* Well-formed UTF-8 goes as it is; any other byte as U+FFFD,
             * so that the text is JSON every parser takes. */
            size_t len = utf8_valid(s + i, n - i);
            if (len) {
                i += len - 1;
                continue;
            }
            if ((rc = buf_append(b, s + run, i - run)) || (rc = buf_append(b, "\\ufffd", 6)))
                return rc;
            run = i + 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if ((rc = buf_append(b, s + run, i - run)))
            return rc;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') {
            char two[2] = {'\\', (char)c};
            rc = buf_append(b, two, 2);
        } else if (c == '\n') {
            rc = buf_append(b, "\\n", 2);
        } else if (c == '\t') {
            rc = buf_append(b, "\\t", 2);
        } else {
            rc = buf_append(b, esc, 6);
        }
        if (rc)
            return rc;
        run = i + 1;
    }
    return buf_append(b, s + run, n - run);
}

void buf_reset(wg_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

void buf_free(wg_buf *b)
{
    if (!b->ar)
        free(b->ptr);
    b->ptr = NULL;
    b->len = b->size = 0;
}
