/*
 * reply.c - the error table and the ways a handler answers.
 */
#include "http/req.h"
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The one table from wg_err to HTTP status. No default: a new error value
 * must be placed here or the build fails. */
int http_status_of(wg_err rc)
{
    switch (rc) {
    case WG_OK:
        return 200;
    case WG_ERR_BAD_REQUEST:
        return 400;
    case WG_ERR_BAD_JSON:
        return 400;
    case WG_ERR_INVALID:
        return 422;
    case WG_ERR_UNAUTHORIZED:
        return 401;
    case WG_ERR_FORBIDDEN:
        return 403;
    case WG_ERR_NOT_FOUND:
        return 404;
    case WG_ERR_OUTSIDE_COVERAGE:
        return 404;
    case WG_ERR_METHOD:
        return 405;
    case WG_ERR_CONFLICT:
        return 409;
    case WG_ERR_PRECONDITION:
        return 412;
    case WG_ERR_TOO_LARGE:
        return 413;
    case WG_ERR_URI_TOO_LONG:
        return 414;
    case WG_ERR_MEDIA_TYPE:
        return 415;
    case WG_ERR_TOO_MANY:
        return 429;
    case WG_ERR_HEADERS_TOO_LARGE:
        return 431;
    case WG_ERR_NOMEM:
        return 500;
    case WG_ERR_STORE:
        return 500;
    case WG_ERR_IO:
        return 500;
    case WG_ERR_CONFIG:
        return 500;
    case WG_ERR_INTERNAL:
        return 500;
    case WG_ERR_SCHEMA:
        return 500;
    case WG_ERR_BUSY:
        return 503;
    case WG_ERR_UNAVAILABLE:
        return 503;
    }
    return 500;
}

wg_err req_fail(http_req *r, wg_err rc, const char *field, const char *fmt, ...)
{
    /* A copy: the name may live in data freed before the reply is written
     * (a ledger declaration's field names). */
    r->err_field = field ? arena_strdup(&r->ar, field) : NULL;
    if (fmt) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        r->err_msg = arena_strdup(&r->ar, msg);
    }
    return rc;
}

wg_err req_fail_why(http_req *r, wg_err rc, const wg_why *why)
{
    return why->msg[0] ? req_fail(r, rc, why->field, "%s", why->msg) : rc;
}

wg_err req_if_match(http_req *r, const char *what, int64_t id, int64_t version)
{
    const char *im = req_header(r, "If-Match");
    char want[32];
    snprintf(want, sizeof(want), "\"%lld\"", (long long)version);
    if (im && strcmp(im, want) != 0 && strcmp(im, "*") != 0)
        return req_fail(r, WG_ERR_PRECONDITION, "If-Match", "%s %lld is at version %lld, not %s",
                        what, (long long)id, (long long)version, im);
    return WG_OK;
}

void reply_error(http_req *r, wg_err rc)
{
    /* A failed request sets no cookie, whatever the handler did before. */
    int k = 0;
    for (int i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, "Set-Cookie") != 0)
            r->headers[k++] = r->headers[i];
    r->nheaders = k;
    static const char fallback[] =
        "{\"error\":{\"code\":\"out_of_memory\",\"message\":\"out of memory\"}}";
    const char *msg = r->err_msg ? r->err_msg : wg_strerror(rc);
    wg_buf b;
    buf_init(&b, &r->ar, 8 * 1024);
    wg_err e = buf_printf(&b, "{\"error\":{\"code\":\"%s\",\"message\":\"", wg_errcode(rc));
    if (!e)
        e = buf_json_escape(&b, msg, strlen(msg));
    if (!e && r->err_field) {
        e = buf_puts(&b, "\",\"field\":\"");
        if (!e)
            e = buf_json_escape(&b, r->err_field, strlen(r->err_field));
    }
    if (!e)
        e = buf_puts(&b, "\"");
    if (!e && r->err_details) {
        char *d = json_dumps(r->err_details, JSON_COMPACT);
        e = d ? buf_printf(&b, ",\"details\":%s", d) : WG_ERR_NOMEM;
        free(d);
    }
    if (!e)
        e = buf_puts(&b, "}}\n");
    r->status = http_status_of(rc);
    r->ctype = "application/json";
    if (e) {
        r->out = fallback;
        r->out_len = sizeof(fallback) - 1;
    } else {
        r->out = b.ptr;
        r->out_len = b.len;
    }
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
    return buf_append(data, buffer, size) ? -1 : 0;
}

wg_err reply_json(http_req *r, int status, json_t *j)
{
    if (!j)
        return WG_ERR_NOMEM;
    wg_buf b;
    buf_init(&b, &r->ar, 64 * WG_MIB);
    int rc = json_dump_callback(j, dump_cb, &b, JSON_COMPACT);
    json_decref(j);
    if (rc != 0 || buf_putc(&b, '\n'))
        return WG_ERR_NOMEM;
    r->status = status;
    r->ctype = "application/json";
    r->out = b.ptr;
    r->out_len = b.len;
    return WG_OK;
}

wg_err reply_bytes(http_req *r, int status, const char *ctype, const char *body, size_t len)
{
    r->status = status;
    r->ctype = ctype;
    r->out = body;
    r->out_len = len;
    return WG_OK;
}

wg_err reply_header(http_req *r, const char *name, const char *value)
{
    if (r->nheaders == REQ_MAX_HEADERS)
        return WG_ERR_INTERNAL;
    r->headers[r->nheaders].name = name;
    r->headers[r->nheaders].value = value;
    r->nheaders++;
    return WG_OK;
}

wg_err req_parse_json(const char *body, size_t len, json_t **out, char *msg, size_t cap)
{
    json_error_t jerr;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        snprintf(msg, cap, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return WG_ERR_BAD_JSON;
    }
    *out = j;
    return WG_OK;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

static wg_err field_value(http_req *r, const char *field, bool required, json_t **v)
{
    *v = NULL;
    if (!json_is_object(r->json))
        return req_fail(r, WG_ERR_BAD_REQUEST, NULL, "the body must be a JSON object");
    *v = json_object_get(r->json, field);
    if ((!*v || json_is_null(*v)) && required)
        return req_fail(r, WG_ERR_INVALID, field, "'%s' is required", field);
    if (*v && json_is_null(*v))
        *v = NULL;
    return WG_OK;
}

wg_err req_json_string(http_req *r, const char *field, bool required, size_t maxlen,
                       const char **out)
{
    json_t *v;
    wg_err rc = field_value(r, field, required, &v);
    if (rc || !v)
        return rc;
    if (!json_is_string(v))
        return req_fail(r, WG_ERR_BAD_REQUEST, field, "'%s' must be a string, not %s", field,
                        json_type_name(v));
    if (json_string_length(v) > maxlen)
        return req_fail(r, WG_ERR_INVALID, field, "'%s' is longer than %zu bytes", field, maxlen);
    if (strlen(json_string_value(v)) != json_string_length(v))
        return req_fail(r, WG_ERR_INVALID, field, "'%s' must not contain NUL", field);
    *out = json_string_value(v);
    return WG_OK;
}

wg_err req_json_int(http_req *r, const char *field, bool required, int64_t min, int64_t max,
                    int64_t *out)
{
    json_t *v;
    wg_err rc = field_value(r, field, required, &v);
    if (rc || !v)
        return rc;
    if (!json_is_integer(v))
        return req_fail(r, WG_ERR_BAD_REQUEST, field, "'%s' must be an integer, not %s", field,
                        json_type_name(v));
    json_int_t n = json_integer_value(v);
    if (n < min || n > max)
        return req_fail(r, WG_ERR_INVALID, field, "'%s' must be from %lld to %lld", field,
                        (long long)min, (long long)max);
    *out = n;
    return WG_OK;
}
