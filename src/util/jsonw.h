/*
 * jsonw.h - JSON text written straight into a buffer.
 *
 * For replies on hot paths (a case report, a list of cases), where building
 * a jansson tree and dumping it cost more than the rest of the request. The
 * writer puts the commas; the first error sticks (w->err), later calls do
 * nothing, so a caller checks once at the end. Nesting is capped at
 * JSONW_DEPTH. Strings are escaped as jansson does (quote, backslash and
 * control characters). A real is written with the fewest decimals (up to
 * 7) that read back as the same double, else as jansson's default dump
 * writes it ("%.17g", exponent without "+" or leading zeros; ".0" when it
 * reads as an integer): 113.6025, not 113.60250000000001.
 */
#ifndef WG_JSONW_H
#define WG_JSONW_H

#include "util/buf.h"

#include <stdbool.h>
#include <stdint.h>

#define JSONW_DEPTH 16

typedef struct {
    wg_buf *b;
    wg_err err;
    int depth;
    bool comma[JSONW_DEPTH]; /* a member or element is already written */
    char closes[JSONW_DEPTH]; /* '}' or ']' for what is open at each depth */
    bool keyed;              /* a key was written: its value follows */
} jsonw;

void jsonw_init(jsonw *w, wg_buf *b);
void jsonw_object(jsonw *w); /* { */
void jsonw_array(jsonw *w);  /* [ */
void jsonw_end(jsonw *w);    /* } or ], as opened */
void jsonw_key(jsonw *w, const char *key);
void jsonw_str(jsonw *w, const char *s); /* NULL: null */
void jsonw_int(jsonw *w, int64_t v);
void jsonw_real(jsonw *w, double v);
void jsonw_bool(jsonw *w, bool v);
void jsonw_null(jsonw *w);

#endif
