/*
 * strparse.h - cursor parsers for untrusted text (curl's STRPARSE).
 *
 * No atoi/sscanf on input: each parser takes the whole string, checks every
 * byte and the range, and returns false on any excess or overflow without
 * touching *out.
 */
#ifndef WG_STRPARSE_H
#define WG_STRPARSE_H

#include "util/common.h"

/* Decimal integer, optional leading '-', within [min, max]. */
bool parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

/* "true/false/yes/no/on/off/1/0", case-insensitive. */
bool parse_bool(const char *s, size_t len, bool *out);

/* A byte size: digits with optional K, M or G suffix (powers of 1024),
 * within [min, max]. */
bool parse_size(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);

/* A finite decimal number (optional sign, fraction, exponent) within
 * [min, max]. */
bool parse_double(const char *s, size_t len, double min, double max, double *out);

/* "HOST:PORT" or "[V6]:PORT" into host (NUL-terminated, capped by
 * hostcap) and port 0..65535. */
bool parse_hostport(const char *s, char *host, size_t hostcap, uint16_t *port);

/* The length (1-4) of the well-formed UTF-8 sequence at p, of at most n
 * bytes, or 0: no overlong forms, surrogates or code points past U+10FFFF,
 * as strict JSON parsers require. A NUL ends a sequence, so for a
 * NUL-terminated string n may be anything from 4 up. */
size_t utf8_valid(const char *p, size_t n);

/* Copy src into dst (cap bytes, NUL-terminated) as valid UTF-8: bytes that
 * are not become '?', and a sequence that does not fit whole is left out,
 * never cut. */
void str_copy_utf8(char *dst, size_t cap, const char *src);

#endif
