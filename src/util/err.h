/*
 * err.h - the one error enum of wangge.
 *
 * Every action returns wg_err; WG_OK is zero so `if (rc)` tests failure.
 * wg_strerror() gives an English sentence; the HTTP mapping (status and code
 * word) lives in one table in src/http/reply.c.
 */
#ifndef WG_ERR_H
#define WG_ERR_H

typedef enum {
    WG_OK = 0,
    WG_ERR_NOMEM,       /* out of memory or over an arena cap */
    WG_ERR_BAD_REQUEST, /* malformed request: syntax, wrong type */
    WG_ERR_BAD_JSON,    /* body is not well-formed JSON */
    WG_ERR_INVALID,     /* well-formed but a value breaks a rule */
    WG_ERR_UNAUTHORIZED,
    WG_ERR_FORBIDDEN,
    WG_ERR_NOT_FOUND,
    WG_ERR_OUTSIDE_COVERAGE, /* a point no grid contains */
    WG_ERR_METHOD,      /* path known, method not allowed */
    WG_ERR_CONFLICT,
    WG_ERR_PRECONDITION,
    WG_ERR_TOO_LARGE,   /* body over the route's cap */
    WG_ERR_URI_TOO_LONG,
    WG_ERR_HEADERS_TOO_LARGE,
    WG_ERR_MEDIA_TYPE,
    WG_ERR_TOO_MANY,    /* throttled */
    WG_ERR_STORE,       /* the database failed */
    WG_ERR_BUSY,        /* the database is locked past the busy timeout */
    WG_ERR_SCHEMA,      /* database schema newer than this binary */
    WG_ERR_IO,          /* a file could not be read or written */
    WG_ERR_CONFIG,      /* invalid configuration */
    WG_ERR_UNAVAILABLE, /* a dependency is down */
    WG_ERR_INTERNAL,
} wg_err;

#define WG_ERR_COUNT (WG_ERR_INTERNAL + 1)

/* Why a rule refused an input: the field at fault (may be NULL) and a
 * sentence for the person who sent it. Core functions fill it; the HTTP
 * layer turns it into the error body, the CLI prints it. */
typedef struct {
    const char *field;
    char msg[256];
} wg_why;

/* Fill why and return rc: `return wg_fail(why, WG_ERR_INVALID, "login", "...")`. */
wg_err wg_fail(wg_why *why, wg_err rc, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A static English sentence for rc; never NULL. */
const char *wg_strerror(wg_err rc);

/* The stable code word for rc, e.g. "not_found"; never NULL. */
const char *wg_errcode(wg_err rc);

#endif
