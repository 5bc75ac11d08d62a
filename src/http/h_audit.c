/*
 * h_audit.c - reading the audit log (auditors).
 */
#include "core/audit.h"
#include "http/handlers.h"
#include "util/strparse.h"

#include <string.h>

typedef struct {
    json_t *items;
    int64_t last;
    int n;
} audit_ctx;

static wg_err add_row(void *ctx, const store_audit_row *row)
{
    audit_ctx *c = ctx;
    json_array_append_new(
        c->items,
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)row->id, "at",
                  row->at, "actor", row->actor, "action", row->action, "resource", row->resource,
                  "request_id", row->request_id, "client_addr", row->client_addr, "detail",
                  row->detail, "hash", row->hash));
    c->last = row->id;
    c->n++;
    return WG_OK;
}

static bool iso_ok(const char *s)
{
    /* YYYY-MM-DD, optionally followed by THH:MM[:SS[.fff]][Z] */
    size_t n = strlen(s);
    if (n < 10 || n > 24)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool digit = c >= '0' && c <= '9';
        bool ok = (i == 4 || i == 7) ? c == '-'
                  : i == 10          ? c == 'T'
                  : (i == 13 || i == 16) ? c == ':'
                  : i == 19          ? c == '.' || c == 'Z'
                  : i == n - 1 && n > 10 ? digit || c == 'Z'
                                         : digit;
        if (!ok)
            return false;
    }
    return true;
}

/* GET /api/audit?actor=&action=(prefix*)&from=&to=&after=&limit= -> rows in
 * id order, with "next" = the id to pass as `after` for the next page. */
wg_err h_audit_list(http_req *r)
{
    store_audit_filter f = {0};
    f.actor = req_query(r, "actor");
    f.action = req_query(r, "action");
    f.from = req_query(r, "from");
    f.to = req_query(r, "to");
    const char *after = req_query(r, "after"), *limit = req_query(r, "limit");
    int64_t n = 100;
    if (after && !parse_i64(after, strlen(after), 0, INT64_MAX, &f.after_id))
        return req_fail(r, WG_ERR_BAD_REQUEST, "after", "'after' must be a row id");
    if (limit && !parse_i64(limit, strlen(limit), 1, 1000, &n))
        return req_fail(r, WG_ERR_BAD_REQUEST, "limit", "'limit' must be from 1 to 1000");
    if (f.from && !iso_ok(f.from))
        return req_fail(r, WG_ERR_BAD_REQUEST, "from", "'from' must be an ISO 8601 date or time");
    if (f.to && !iso_ok(f.to))
        return req_fail(r, WG_ERR_BAD_REQUEST, "to", "'to' must be an ISO 8601 date or time");
    f.limit = (int)n;
    audit_ctx c = {.items = json_array()};
    wg_err e = store_audit_scan(req_store(r), &f, add_row, &c);
    if (e) {
        json_decref(c.items);
        return e;
    }
    return reply_json(r, 200, json_pack("{s:o, s:o}", "items", c.items, "next",
                                        c.n == n ? json_integer(c.last) : json_null()));
}
