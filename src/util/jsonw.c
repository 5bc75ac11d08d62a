/*
 * jsonw.c - JSON text written straight into a buffer (jsonw.h).
 */
#include "util/jsonw.h"
#include "util/strparse.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void jsonw_init(jsonw *w, wg_buf *b)
{
    memset(w, 0, sizeof(*w));
    w->b = b;
}

static void put(jsonw *w, const char *s, size_t n)
{
    if (!w->err)
        w->err = buf_append(w->b, s, n);
}

/* Before a key or a value: does a comma go first? (Not after a key.) */
static bool comma_first(jsonw *w)
{
    if (w->keyed) {
        w->keyed = false;
        return false;
    }
    bool comma = w->comma[w->depth];
    w->comma[w->depth] = true;
    return comma;
}

static void before_value(jsonw *w)
{
    if (comma_first(w))
        put(w, ",", 1);
}

static void open_with(jsonw *w, char open, char close)
{
    before_value(w);
    if (w->depth + 1 >= JSONW_DEPTH && !w->err)
        w->err = WG_ERR_TOO_LARGE;
    if (w->err)
        return;
    put(w, &open, 1);
    w->depth++;
    w->comma[w->depth] = false;
    w->closes[w->depth] = close;
}

void jsonw_object(jsonw *w)
{
    open_with(w, '{', '}');
}

void jsonw_array(jsonw *w)
{
    open_with(w, '[', ']');
}

void jsonw_end(jsonw *w)
{
    if (w->err || w->depth == 0)
        return;
    put(w, &w->closes[w->depth], 1);
    w->depth--;
}

/* s quoted and escaped, after the comma it needs (before a value) and
 * with `trail` after it (':' for a key, else 0). The usual string has
 * nothing to escape: it goes in with one copy; one that has goes through
 * buf_json_escape. */
static void quoted(jsonw *w, const char *s, char trail)
{
    bool comma = comma_first(w);
    if (w->err)
        return;
    size_t n = strlen(s);
    wg_buf *b = w->b;
    if ((w->err = buf_reserve(b, comma + n + 2 + (trail != 0))))
        return;
    char *p = b->ptr + b->len;
    if (comma)
        *p++ = ',';
    *p++ = '"';
    size_t plain = 0;
    while (plain < n) {
        unsigned char c = (unsigned char)s[plain];
        size_t len =
            c < 0x80 ? (c >= 0x20 && c != '"' && c != '\\') : utf8_valid(s + plain, n - plain);
        if (!len)
            break;
        plain += len;
    }
    memcpy(p, s, plain);
    p += plain;
    if (plain == n) { /* room for the tail is reserved */
        *p++ = '"';
        if (trail)
            *p++ = trail;
        *p = '\0';
        b->len = (size_t)(p - b->ptr);
        return;
    }
    b->len = (size_t)(p - b->ptr);
    if ((w->err = buf_json_escape(b, s + plain, n - plain)))
        return;
    char tail[2] = {'"', trail};
    w->err = buf_append(b, tail, trail ? 2 : 1);
}

void jsonw_key(jsonw *w, const char *key)
{
    quoted(w, key, ':');
    w->keyed = true;
}

void jsonw_str(jsonw *w, const char *s)
{
    if (!s) {
        jsonw_null(w);
        return;
    }
    quoted(w, s, 0);
}

/* Decimal digits of v, right-aligned in t[24]; returns where they start. */
static char *digits(char t[24], uint64_t v)
{
    char *p = t + 24;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10));
    return p;
}

void jsonw_int(jsonw *w, int64_t v)
{
    char t[24];
    char *p = digits(t, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    before_value(w);
    put(w, p, (size_t)(t + 24 - p));
}

/* v with at most 7 decimals when that reads back as exactly v: t/10^k
 * for an integer t below 2^53 is the double nearest that decimal (IEEE
 * division is correctly rounded), as strtod reads it. Writes into t[40];
 * returns the length, or 0 when v needs more digits. */
static int short_real(double v, char t[40])
{
    static const double p10[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};
    if (!(fabs(v) < 1e8))
        return 0;
    for (int k = 0; k < 8; k++) {
        double m = nearbyint(v * p10[k]);
        if (m / p10[k] != v || fabs(m) >= 9007199254740992.0)
            continue;
        uint64_t u = (uint64_t)fabs(m);
        char d[24];
        char *p = digits(d, u);
        int nd = (int)(d + 24 - p), n = 0;
        if (signbit(v))
            t[n++] = '-';
        if (nd <= k) { /* 0.00ddd */
            t[n++] = '0';
            t[n++] = '.';
            for (int z = 0; z < k - nd; z++)
                t[n++] = '0';
            memcpy(t + n, p, (size_t)nd);
            n += nd;
        } else {
            memcpy(t + n, p, (size_t)(nd - k));
            n += nd - k;
            t[n++] = '.';
            if (k) {
                memcpy(t + n, p + nd - k, (size_t)k);
                n += k;
            } else {
                t[n++] = '0';
            }
        }
        t[n] = '\0';
        return n;
    }
    return 0;
}

void jsonw_real(jsonw *w, double v)
{
    if (!isfinite(v)) { /* JSON has no NaN or infinity */
        jsonw_null(w);
        return;
    }
    char t[40];
    int n = short_real(v, t);
    if (n) {
        before_value(w);
        put(w, t, (size_t)n);
        return;
    }
    n = snprintf(t, sizeof(t), "%.17g", v);
    char *e = strchr(t, 'e');
    if (!e && !strchr(t, '.')) {
        n += snprintf(t + n, sizeof(t) - (size_t)n, ".0");
    } else if (e) { /* "e+05" -> "e5", "e-05" -> "e-5" */
        char *d = e + 1, *from = e + 1;
        if (*from == '-')
            *d++ = *from++;
        else if (*from == '+')
            from++;
        while (*from == '0' && from[1])
            from++;
        memmove(d, from, strlen(from) + 1);
        n = (int)strlen(t);
    }
    before_value(w);
    put(w, t, (size_t)n);
}

void jsonw_bool(jsonw *w, bool v)
{
    before_value(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(jsonw *w)
{
    before_value(w);
    put(w, "null", 4);
}
