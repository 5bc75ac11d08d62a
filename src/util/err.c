/*
 * err.c - messages and code words for wg_err.
 *
 * Both functions switch without `default:` so that -Wswitch (an error under
 * -Werror) catches a new enum value that has no text yet.
 */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

wg_err wg_fail(wg_why *why, wg_err rc, const char *field, const char *fmt, ...)
{
    if (!why)
        return rc;
    why->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->msg, sizeof(why->msg), fmt, ap);
    va_end(ap);
    return rc;
}

const char *wg_strerror(wg_err rc)
{
    switch (rc) {
    case WG_OK: return "success";
    case WG_ERR_NOMEM: return "out of memory";
    case WG_ERR_BAD_REQUEST: return "the request is malformed";
    case WG_ERR_BAD_JSON: return "the body is not valid JSON";
    case WG_ERR_INVALID: return "a value is not valid";
    case WG_ERR_UNAUTHORIZED: return "authentication is required";
    case WG_ERR_FORBIDDEN: return "not allowed";
    case WG_ERR_NOT_FOUND: return "not found";
    case WG_ERR_OUTSIDE_COVERAGE: return "the point lies outside every grid";
    case WG_ERR_METHOD: return "method not allowed on this path";
    case WG_ERR_CONFLICT: return "conflicts with the current state";
    case WG_ERR_PRECONDITION: return "the resource has changed since it was read";
    case WG_ERR_TOO_LARGE: return "the body is too large";
    case WG_ERR_URI_TOO_LONG: return "the URI is too long";
    case WG_ERR_HEADERS_TOO_LARGE: return "the request headers are too large";
    case WG_ERR_MEDIA_TYPE: return "unsupported media type";
    case WG_ERR_TOO_MANY: return "too many requests";
    case WG_ERR_STORE: return "the database failed";
    case WG_ERR_BUSY: return "the database is busy";
    case WG_ERR_SCHEMA: return "the database schema is newer than this program";
    case WG_ERR_IO: return "input/output error";
    case WG_ERR_CONFIG: return "invalid configuration";
    case WG_ERR_UNAVAILABLE: return "service unavailable";
    case WG_ERR_INTERNAL: return "internal error";
    }
    return "unknown error";
}

const char *wg_errcode(wg_err rc)
{
    switch (rc) {
    case WG_OK: return "ok";
    case WG_ERR_NOMEM: return "out_of_memory";
    case WG_ERR_BAD_REQUEST: return "bad_request";
    case WG_ERR_BAD_JSON: return "malformed_json";
    case WG_ERR_INVALID: return "invalid";
    case WG_ERR_UNAUTHORIZED: return "unauthorized";
    case WG_ERR_FORBIDDEN: return "forbidden";
    case WG_ERR_NOT_FOUND: return "not_found";
    case WG_ERR_OUTSIDE_COVERAGE: return "outside_coverage";
    case WG_ERR_METHOD: return "method_not_allowed";
    case WG_ERR_CONFLICT: return "conflict";
    case WG_ERR_PRECONDITION: return "precondition_failed";
    case WG_ERR_TOO_LARGE: return "body_too_large";
    case WG_ERR_URI_TOO_LONG: return "uri_too_long";
    case WG_ERR_HEADERS_TOO_LARGE: return "headers_too_large";
    case WG_ERR_MEDIA_TYPE: return "unsupported_media_type";
    case WG_ERR_TOO_MANY: return "too_many_requests";
    case WG_ERR_STORE: return "store_error";
    case WG_ERR_BUSY: return "busy";
    case WG_ERR_SCHEMA: return "schema_too_new";
    case WG_ERR_IO: return "io_error";
    case WG_ERR_CONFIG: return "invalid_config";
    case WG_ERR_UNAVAILABLE: return "unavailable";
    case WG_ERR_INTERNAL: return "internal";
    }
    return "unknown";
}
