/*
 * h_indicators.c - /api/indicators: definitions, targets, values with
 * corrections, and the year-so-far view leaders read.
 */
#include "core/calendar.h"
#include "core/indicators.h"
#include "core/report.h"
#include "http/handlers.h"
#include "http/server.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* GET /api/indicators?to=YYYY-MM (default: this month) */
wg_err h_indicators(http_req *r)
{
    int off = calendar_utc_offset(req_calendar(r));
    char month[16];
    time_t t = time(NULL) + off * 60;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(month, sizeof(month), "%04d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100);
    const char *to = req_query(r, "to");
    ledger_env env = {.s = req_store(r),
                      .v = req_vault(r),
                      .who = REQ_WHO(r),
                      .now = (int64_t)time(NULL),
                      .utc_offset_min = off};
    json_t *j = NULL;
    wg_why why = {0};
    wg_err e = indicators_view(&env, actor_grid_scope(REQ_WHO(r), PERM_STATS_READ), to ? to : month,
                               &j, &why);
    return e ? req_fail_why(r, e, &why) : reply_json(r, 200, j);
}

/* PUT /api/indicators/{code} {definition, "targets"?: {"YYYY": n}} */
wg_err h_indicator_put(http_req *r)
{
    const char *code = req_param(r, "code");
    const char *in = json_string_value(json_object_get(r->json, "code"));
    if (!in || !code || strcmp(in, code) != 0)
        return req_fail(r, WG_ERR_INVALID, "code", "'code' is the code of the path");
    wg_why why = {0};
    wg_err e = indicator_define(req_store(r), r->json, (int64_t)time(NULL), &why);
    if (e)
        return req_fail_why(r, e, &why);
    r->audit_resource = arena_printf(&r->ar, "/api/indicators/%s", code);
    return reply_json(r, 200, json_pack("{s:s}", "code", code));
}

/* POST /api/indicators/{code}/values {"period", "value", "source_note"?, "reason"?} */
wg_err h_indicator_value(http_req *r)
{
    const char *code = req_param(r, "code"), *period = NULL, *note = NULL, *reason = NULL;
    wg_err e;
    if ((e = req_json_string(r, "period", true, 10, &period)) ||
        (e = req_json_string(r, "source_note", false, 255, &note)) ||
        (e = req_json_string(r, "reason", false, 255, &reason)))
        return e;
    const json_t *v = json_object_get(r->json, "value");
    if (!json_is_number(v))
        return req_fail(r, WG_ERR_BAD_REQUEST, "value", "'value' is a number");
    bool corrected = false;
    wg_why why = {0};
    e = indicator_enter(req_store(r), code ? code : "", period, json_number_value(v), note, reason,
                        REQ_WHO(r)->login, (int64_t)time(NULL), &corrected, &why);
    if (e)
        return req_fail_why(r, e, &why);
    r->audit_resource = arena_printf(&r->ar, "/api/indicators/%s/values/%s", code, period);
    r->audit_detail = corrected ? "correction" : "value";
    return reply_json(r, 201,
                      json_pack("{s:s, s:s, s:f, s:b}", "code", code, "period", period, "value",
                                json_number_value(v), "corrected", corrected));
}

static wg_err add_row(void *ctx, const store_indicator_value *v)
{
    json_t *items = ((void **)ctx)[0];
    http_req *r = ((void **)ctx)[1];
    char at[CAL_ISO_CAP] = "";
    calendar_format_iso(v->entered_at, calendar_utc_offset(req_calendar(r)), at, sizeof(at));
    return json_array_append_new(items,
                                 json_pack("{s:f, s:s, s:s, s:s, s:s}", "value", v->value,
                                           "source_note", v->source_note, "reason", v->reason,
                                           "entered_by", v->entered_by, "entered_at", at))
               ? WG_ERR_NOMEM
               : WG_OK;
}

/* GET /api/indicators/{code}/values/{period}: the value and every
 * correction, oldest first (the last one counts). */
wg_err h_indicator_value_history(http_req *r)
{
    const char *code = req_param(r, "code"), *period = req_param(r, "period");
    json_t *items = json_array();
    void *ctx[2] = {items, r};
    wg_err e = store_indicator_period_rows(req_store(r), code ? code : "", period ? period : "",
                                           add_row, ctx);
    if (e) {
        json_decref(items);
        return e;
    }
    if (json_array_size(items) == 0) {
        json_decref(items);
        return req_fail(r, WG_ERR_NOT_FOUND, NULL, "no value of %s for %s", code, period);
    }
    return reply_json(r, 200,
                      json_pack("{s:s, s:s, s:o}", "code", code, "period", period, "items", items));
}

/* GET /api/reports/summary?grid=&to=YYYY-MM-DD&format=json|md|html|xlsx:
 * the work report of a grid (default: the asker's), or its ledgers as an
 * .xlsx annex. */
wg_err h_report_summary(http_req *r)
{
    int off = calendar_utc_offset(req_calendar(r));
    const char *grid = req_query(r, "grid"), *to = req_query(r, "to");
    const char *format = req_query(r, "format");
    char top[STORE_GRID_CODE_MAX];
    if (!grid || !*grid)
        grid = actor_grid_scope(REQ_WHO(r), PERM_STATS_READ);
    if (!*grid && report_default_scope(req_store(r), top, sizeof(top)))
        grid = top; /* every grid in scope: the whole tree */
    if (!*grid)
        return req_fail(r, WG_ERR_BAD_REQUEST, "grid", "'grid' names the grid to report on");
    if (!actor_can_in_grid(REQ_WHO(r), PERM_STATS_READ, grid))
        return req_fail(r, WG_ERR_FORBIDDEN, "grid", "grid %s is outside your scope", grid);
    char today[16];
    time_t t = time(NULL) + off * 60;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(today, sizeof(today), "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
    ledger_env env = {.s = req_store(r),
                      .v = req_vault(r),
                      .who = REQ_WHO(r),
                      .now = (int64_t)time(NULL),
                      .utc_offset_min = off};
    wg_why why = {0};
    if (format && strcmp(format, "xlsx") == 0)
        return h_ledgers_annex(r, &env, grid);
    json_t *j = NULL;
    wg_err e = report_summary(&env, grid, to ? to : today, &j, &why);
    if (e)
        return req_fail_why(r, e, &why);
    arena_defer(&r->ar, (void (*)(void *))json_decref, j);
    if (!format || strcmp(format, "json") == 0)
        return reply_json(r, 200, json_incref(j));
    const char *text =
        json_string_value(json_object_get(j, strcmp(format, "md") == 0 ? "markdown" : "html"));
    if (strcmp(format, "md") != 0 && strcmp(format, "html") != 0)
        return req_fail(r, WG_ERR_BAD_REQUEST, "format", "'format' is json, md, html or xlsx");
    return reply_bytes(r, 200,
                       strcmp(format, "md") == 0 ? "text/markdown; charset=utf-8"
                                                 : "text/html; charset=utf-8",
                       text, strlen(text));
}
