/*
 * strparse.c - see strparse.h.
 */
#include "util/strparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (len == 0)
        return false;
    if (s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == len)
        return false;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    int64_t r = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    if (r < min || r > max)
        return false;
    *out = r;
    return true;
}

bool parse_bool(const char *s, size_t len, bool *out)
{
    static const struct {
        const char *word;
        bool value;
    } words[] = {
        {"true", true}, {"yes", true},  {"on", true},  {"1", true},
        {"false", false}, {"no", false}, {"off", false}, {"0", false},
    };
    for (size_t i = 0; i < WG_ARRAY_LEN(words); i++) {
        if (strlen(words[i].word) == len && strncasecmp(words[i].word, s, len) == 0) {
            *out = words[i].value;
            return true;
        }
    }
    return false;
}

bool parse_size(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t mult = 1;
    if (len > 0) {
        switch (s[len - 1]) {
        case 'k': case 'K': mult = 1024; len--; break;
        case 'm': case 'M': mult = 1024 * 1024; len--; break;
        case 'g': case 'G': mult = 1024 * 1024 * 1024; len--; break;
        default: break;
        }
    }
    int64_t v;
    if (!parse_i64(s, len, 0, INT64_MAX, &v) || (s[0] == '-'))
        return false;
    if ((uint64_t)v > UINT64_MAX / mult)
        return false;
    uint64_t r = (uint64_t)v * mult;
    if (r < min || r > max)
        return false;
    *out = r;
    return true;
}

bool parse_double(const char *s, size_t len, double min, double max, double *out)
{
    char tmp[64];
    if (len == 0 || len >= sizeof(tmp))
        return false;
    /* Only the characters of a plain decimal number: no hex, inf, nan,
     * leading spaces or locale surprises. */
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
            return false;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end = NULL;
    double v = strtod(tmp, &end);
    if (end != tmp + len || !isfinite(v) || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool parse_hostport(const char *s, char *host, size_t hostcap, uint16_t *port)
{
    const char *colon;
    const char *hs = s;
    size_t hl;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return false;
        hs = s + 1;
        hl = (size_t)(close - hs);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return false;
        hl = (size_t)(colon - s);
        if (memchr(s, ':', hl))
            return false; /* bare IPv6 needs brackets */
    }
    if (hl == 0 || hl >= hostcap)
        return false;
    int64_t p;
    if (!parse_i64(colon + 1, strlen(colon + 1), 0, 65535, &p))
        return false;
    memcpy(host, hs, hl);
    host[hl] = '\0';
    *port = (uint16_t)p;
    return true;
}

size_t utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    if (n == 0)
        return 0;
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* the second byte's range */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing past U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

void str_copy_utf8(char *dst, size_t cap, const char *src)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)(src ? src : "");
    if (!cap)
        return;
    while (*p) {
        size_t n = utf8_valid((const char *)p, 4);
        if (o + (n ? n : 1) >= cap)
            break;
        if (n) {
            memcpy(dst + o, p, n);
            o += n;
            p += n;
        } else {
            dst[o++] = '?';
            p++;
        }
    }
    dst[o] = '\0';
}
