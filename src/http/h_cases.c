/*
 * h_cases.c - the case loop over HTTP: the catalogue, routing, the working
 * calendar, cases, their actions and history.
 *
 * A case outside the asker's scope answers 404, exactly like a case that
 * does not exist: lists filter by scope in the query, so nothing outside
 * it is returned, counted or hinted at.
 */
#include "core/attach.h"
#include "core/calendar.h"
#include "core/cases.h"
#include "core/catalogue.h"
#include "core/kpi.h"
#include "core/locator.h"
#include "core/record.h"
#include "http/handlers.h"
#include "http/server.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/csv.h"
#include "util/strparse.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static case_env env_of(http_req *r)
{
    const wg_config *cfg = req_config(r);
    return (case_env){.cal = req_calendar(r),
                      .now = (int64_t)time(NULL),
                      .duplicate_radius_m = (double)cfg->duplicate_radius_m,
                      .duplicate_window_s = cfg->duplicate_window_hours * 3600,
                      .duplicate_limit = (int)cfg->duplicate_limit};
}

/* ---- catalogue ---- */

static wg_err add_category(void *ctx, const store_category *k)
{
    json_t *limits = json_object();
    for (int i = 0; i < STEP_COUNT; i++)
        json_object_set_new(limits, catalogue_step_name((case_step)i), json_string(k->limit[i]));
    json_array_append_new(ctx, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:i}",
                                         "code", k->code, "kind", k->kind, "major", k->major,
                                         "minor", k->minor, "fine", k->fine, "name_zh", k->name_zh,
                                         "name_en", k->name_en, "department", k->department,
                                         "limits", limits, "urgent_percent", k->urgent_percent));
    return WG_OK;
}

/* GET /api/categories[?format=csv] */
wg_err h_categories(http_req *r)
{
    const char *fmt = req_query(r, "format");
    if (fmt && strcmp(fmt, "csv") == 0) {
        wg_buf b;
        buf_init(&b, &r->ar, 16 * WG_MIB);
        wg_err e = catalogue_export(req_store(r), &b);
        if (e)
            return e;
        reply_header(r, "Content-Disposition", "attachment; filename=\"catalogue.csv\"");
        return reply_bytes(r, 200, "text/csv; charset=utf-8", b.ptr, b.len);
    }
    if (fmt && strcmp(fmt, "json") != 0)
        return req_fail(r, WG_ERR_BAD_REQUEST, "format", "'format' is json or csv");
    json_t *items = json_array();
    wg_err e = store_category_list(req_store(r), add_category, items);
    if (e) {
        json_decref(items);
        return e;
    }
    return reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* PUT /api/categories (text/csv): import a catalogue, all or nothing. */
wg_err h_categories_import(http_req *r)
{
    catalogue_report rep;
    wg_err e = catalogue_import(req_store(r), r->body ? r->body : "", r->body_len, &rep);
    if (e == WG_ERR_INVALID) {
        json_t *msgs = json_array();
        for (int i = 0; i < rep.nmsgs; i++)
            json_array_append_new(msgs, json_string(rep.msgs[i]));
        r->err_details =
            json_pack("{s:i, s:i, s:o}", "rows", rep.rows, "bad", rep.bad, "issues", msgs);
        arena_defer(&r->ar, (void (*)(void *))json_decref, r->err_details);
        return req_fail(r, e, "catalogue", "%d bad row(s); nothing was imported: %s", rep.bad,
                        rep.nmsgs ? rep.msgs[0] : "");
    }
    if (e)
        return e;
    r->audit_detail = arena_printf(&r->ar, "%d categories", rep.rows);
    return reply_json(r, 200, json_pack("{s:i}", "imported", rep.rows));
}

/* GET /api/route?category=&lon=&lat= (or &grid=): who answers, and why. */
wg_err h_route(http_req *r)
{
    const char *category = req_query(r, "category"), *grid = req_query(r, "grid");
    if (!category)
        return req_fail(r, WG_ERR_BAD_REQUEST, "category", "'category' is required");
    char code[STORE_GRID_CODE_MAX] = "";
    if (!grid) {
        const char *lon_s = req_query(r, "lon"), *lat_s = req_query(r, "lat");
        double lon, lat;
        if (!lon_s || !parse_double(lon_s, strlen(lon_s), -180, 180, &lon))
            return req_fail(r, WG_ERR_BAD_REQUEST, "lon",
                            "'lon' (with 'lat') or 'grid' is required");
        if (!lat_s || !parse_double(lat_s, strlen(lat_s), -90, 90, &lat))
            return req_fail(r, WG_ERR_BAD_REQUEST, "lat", "'lat' must be from -90 to 90");
        locator *l = locsvc_acquire(req_locator(r));
        loc_hit hit;
        bool in = l && locator_find(l, lon, lat, &hit);
        if (in)
            snprintf(code, sizeof(code), "%s", locator_grid(l, hit.chain[0])->code);
        locsvc_release(req_locator(r), l);
        if (!in)
            return req_fail(r, WG_ERR_OUTSIDE_COVERAGE, NULL, "no grid contains that point");
        grid = code;
    } else {
        locator *l = locsvc_acquire(req_locator(r));
        if (!l)
            return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the grid index is not built yet");
        bool known = locator_find_code(l, grid) >= 0;
        locsvc_release(req_locator(r), l);
        if (!known)
            return req_fail(r, WG_ERR_INVALID, "grid", "no grid %s", grid);
    }
    case_route route;
    wg_why why = {0};
    wg_err e = cases_route(req_store(r), category, grid, &route, &why);
    if (e)
        return req_fail_why(r, e, &why);
    return reply_json(r, 200,
                      json_pack("{s:s, s:s, s:s, s:o, s:s}", "category", category, "grid", grid,
                                "department", route.department, "rule",
                                route.rule_id ? json_integer(route.rule_id) : json_null(),
                                "explanation", route.why));
}

static wg_err add_rule(void *ctx, const store_route_rule *x)
{
    json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)x->id,
                                         "category", x->category, "grid_prefix", x->grid_prefix,
                                         "department", x->department, "note", x->note));
    return WG_OK;
}

/* GET /api/route-rules */
wg_err h_route_rules(http_req *r)
{
    json_t *items = json_array();
    wg_err e = store_route_list(req_store(r), add_rule, items);
    if (e) {
        json_decref(items);
        return e;
    }
    return reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* POST /api/route-rules {"category"?, "grid_prefix"?, "department", "note"?} */
wg_err h_route_rule_put(http_req *r)
{
    const char *cat = "", *grid = "", *dept = NULL, *note = "";
    wg_err e;
    if ((e = req_json_string(r, "category", false, 15, &cat)) ||
        (e = req_json_string(r, "grid_prefix", false, STORE_GRID_CODE_MAX - 1, &grid)) ||
        (e = req_json_string(r, "department", true, STORE_CODE_MAX - 1, &dept)) ||
        (e = req_json_string(r, "note", false, STORE_NAME_MAX - 1, &note)))
        return e;
    store *db = req_store(r);
    store_category k;
    if (*cat && store_category_get(db, cat, &k) != WG_OK)
        return req_fail(r, WG_ERR_INVALID, "category", "no category %s", cat);
    for (const char *p = grid; *p; p++)
        if (*p < '0' || *p > '9')
            return req_fail(r, WG_ERR_INVALID, "grid_prefix", "'grid_prefix' is digits");
    store_department d;
    if (store_department_get(db, dept, &d) != WG_OK)
        return req_fail(r, WG_ERR_INVALID, "department", "no department %s", dept);
    store_route_rule x = {0};
    snprintf(x.category, sizeof(x.category), "%s", cat);
    snprintf(x.grid_prefix, sizeof(x.grid_prefix), "%s", grid);
    snprintf(x.department, sizeof(x.department), "%s", dept);
    snprintf(x.note, sizeof(x.note), "%s", note);
    if ((e = store_route_put(db, &x, &x.id)))
        return e;
    r->audit_detail =
        arena_printf(&r->ar, "%s / %s -> %s", *cat ? cat : "*", *grid ? grid : "*", dept);
    json_t *items = json_array();
    add_rule(items, &x);
    json_t *one = json_incref(json_array_get(items, 0));
    json_decref(items);
    return reply_json(r, 201, one);
}

/* DELETE /api/route-rules/{id} */
wg_err h_route_rule_delete(http_req *r)
{
    const char *ids = req_param(r, "id");
    int64_t id;
    if (!ids || !parse_i64(ids, strlen(ids), 1, INT64_MAX, &id))
        return req_fail(r, WG_ERR_NOT_FOUND, NULL, "no such rule");
    wg_err e = store_route_delete(req_store(r), id);
    if (e == WG_ERR_NOT_FOUND)
        return req_fail(r, e, NULL, "no rule %lld", (long long)id);
    return e ? e : reply_json(r, 200, json_pack("{s:s}", "status", "deleted"));
}

/* ---- calendar ---- */

static wg_err add_day(void *ctx, const char *day, const char *kind, const char *note)
{
    json_array_append_new(ctx,
                          json_pack("{s:s, s:s, s:s}", "day", day, "kind", kind, "note", note));
    return WG_OK;
}

/* GET /api/calendar: the working periods and the day overrides. */
wg_err h_calendar(http_req *r)
{
    json_t *days = json_array();
    wg_err e = store_calendar_list(req_store(r), add_day, days);
    if (e) {
        json_decref(days);
        return e;
    }
    const wg_config *cfg = req_config(r);
    return reply_json(r, 200,
                      json_pack("{s:s, s:I, s:s, s:o}", "work_periods", cfg->work_periods,
                                "utc_offset_minutes", (json_int_t)cfg->utc_offset_minutes,
                                "weekdays", "Mon-Fri", "days", days));
}

/* The write stands even when this fails: it is logged, not answered. */
static wg_err reload_calendar(http_req *r)
{
    wg_why why = {0};
    if (server_reload_calendar(r->srv, req_store(r), &why))
        log_error("calendar: reload failed: %s", why.msg);
    return WG_OK;
}

/* PUT /api/calendar/{day} {"kind": "holiday"|"workday", "note"?} */
wg_err h_calendar_put(http_req *r)
{
    const char *day = req_param(r, "day"), *kind = NULL, *note = "";
    wg_err e;
    if ((e = req_json_string(r, "kind", true, 10, &kind)) ||
        (e = req_json_string(r, "note", false, 200, &note)))
        return e;
    int64_t d;
    if (!day || !calendar_parse_date(day, strlen(day), &d))
        return req_fail(r, WG_ERR_INVALID, "day", "the day is YYYY-MM-DD, a real date");
    if (strcmp(kind, "holiday") != 0 && strcmp(kind, "workday") != 0)
        return req_fail(r, WG_ERR_INVALID, "kind", "'kind' is holiday or workday");
    if ((e = store_calendar_put(req_store(r), day, kind, note)))
        return e;
    r->after_commit = reload_calendar;
    return reply_json(r, 200, json_pack("{s:s, s:s, s:s}", "day", day, "kind", kind, "note", note));
}

/* DELETE /api/calendar/{day} */
wg_err h_calendar_delete(http_req *r)
{
    const char *day = req_param(r, "day");
    wg_err e = store_calendar_delete(req_store(r), day ? day : "");
    if (e == WG_ERR_NOT_FOUND)
        return req_fail(r, e, NULL, "no override for %s", day ? day : "");
    if (e)
        return e;
    r->after_commit = reload_calendar;
    return reply_json(r, 200, json_pack("{s:s}", "status", "deleted"));
}

/* ---- cases ---- */

static wg_err load_case(http_req *r, store_case *c)
{
    const char *ids = req_param(r, "id");
    int64_t id;
    wg_err e = ids && parse_i64(ids, strlen(ids), 1, INT64_MAX, &id)
                   ? store_case_get(req_store(r), id, c)
                   : WG_ERR_NOT_FOUND;
    /* Out of scope is the same answer as absent. */
    if (e == WG_ERR_NOT_FOUND || (!e && !cases_visible(req_store(r), c, REQ_WHO(r))))
        return req_fail(r, WG_ERR_NOT_FOUND, NULL, "no case %s", ids ? ids : "");
    return e;
}

/* A case reply, written straight (no jansson tree): the case (k: its
 * category, or NULL to look it up), the actions the asker may take, and
 * then, when given, possible duplicates and "replayed". */
typedef struct {
    const store_category *k;
    const case_dup *dups;
    size_t ndups;
    bool replayed;
} case_reply;

static wg_err reply_case_with(http_req *r, int status, const store_case *c, const case_reply *x)
{
    store_category own;
    const store_category *k = x->k;
    if (!k && store_category_get(req_store(r), c->category, &own) == WG_OK)
        k = &own;
    wg_buf b;
    buf_init(&b, &r->ar, 64 * WG_MIB);
    jsonw w;
    jsonw_init(&w, &b);
    jsonw_object(&w);
    cases_json_write(&w, c, k, req_calendar(r));
    jsonw_key(&w, "allowed_actions");
    cases_allowed_write(&w, cases_allowed(req_store(r), c, REQ_WHO(r)));
    if (x->dups) {
        jsonw_key(&w, "possible_duplicates");
        cases_duplicates_write(&w, x->dups, x->ndups);
    }
    if (x->replayed) {
        jsonw_key(&w, "replayed");
        jsonw_bool(&w, true);
    }
    jsonw_end(&w);
    if (w.err || (w.err = buf_putc(&b, '\n')))
        return w.err;
    char *etag = arena_printf(&r->ar, "\"%lld\"", (long long)c->version);
    if (etag)
        reply_header(r, "ETag", etag);
    return reply_bytes(r, status, "application/json", b.ptr, b.len);
}

static wg_err reply_case(http_req *r, int status, const store_case *c)
{
    return reply_case_with(r, status, c, &(case_reply){0});
}

/* The body's "attachments" (sha256 of uploaded files), checked, as JSON
 * text in the arena for the history row; *out stays NULL without them. */
static wg_err case_attachments(http_req *r, const char **out)
{
    json_t *att = json_object_get(r->json, "attachments");
    if (!att)
        return WG_OK;
    wg_why why = {0};
    wg_err e = attach_check_list(req_store(r), att, &why);
    if (e)
        return req_fail_why(r, e, &why);
    char *txt = json_dumps(att, JSON_COMPACT);
    if (!txt)
        return WG_ERR_NOMEM;
    *out = arena_strdup(&r->ar, txt);
    free(txt);
    return *out ? WG_OK : WG_ERR_NOMEM;
}

/* A case report between the handler and its reply. */
typedef struct {
    case_input in;
    case_env env;
    case_draft d;
    case_dup *dups; /* possible duplicates, cases_duplicates_cap(&env) of room */
    size_t ndups;
} report_job;

/* The reply, built after the commit (without the write lock). */
static wg_err reply_reported(http_req *r)
{
    report_job *rj = r->after_ctx;
    nearidx_put(req_nearidx(r), &rj->d.c);
    return reply_case_with(r, 201, &rj->d.c,
                           &(case_reply){.k = &rj->d.k, .dups = rj->dups, .ndups = rj->ndups});
}

/* The write (on the store pool's runner thread, in the transaction): a
 * retry's first case, or the new case with its history row. */
static wg_err report_write(http_req *r)
{
    report_job *rj = r->after_ctx;
    store *w = req_store(r);
    const char *key = rj->in.idempotency_key;
    int64_t id;
    store_case first;
    if (key && store_case_by_key(w, key, &id) == WG_OK && store_case_get(w, id, &first) == WG_OK) {
        if (strcmp(first.reporter_login, REQ_WHO(r)->login) != 0)
            return req_fail(r, WG_ERR_CONFLICT, "Idempotency-Key",
                            "this Idempotency-Key was used by someone else");
        r->audit_detail = "idempotent retry";
        return reply_case_with(r, 200, &first, &(case_reply){.replayed = true});
    }
    wg_why why = {0};
    wg_err e = cases_insert(w, REQ_WHO(r), &rj->in, &rj->d, &why);
    if (e)
        return req_fail_why(r, e, &why);
    char *loc = arena_printf(&r->ar, "/api/cases/%lld", (long long)rj->d.c.id);
    r->audit_resource = loc;
    if (loc)
        reply_header(r, "Location", loc);
    r->after_commit = reply_reported;
    return WG_OK;
}

/* POST /api/cases: report a case. With an Idempotency-Key header a retry
 * returns the first case instead of creating another. Checking, locating,
 * routing and the deadline are done here, without the write lock (a
 * write_late route); the insert is report_write's. */
wg_err h_case_report(http_req *r)
{
    const char *key = req_header(r, "Idempotency-Key");
    if (key && (strlen(key) < 8 || strlen(key) > 64))
        return req_fail(r, WG_ERR_BAD_REQUEST, "Idempotency-Key",
                        "an Idempotency-Key has 8 to 64 characters");
    report_job *rj = arena_alloc(&r->ar, sizeof(*rj));
    if (!rj)
        return WG_ERR_NOMEM;
    memset(rj, 0, sizeof(*rj));
    case_input *in = &rj->in;
    in->idempotency_key = key;
    r->after_ctx = rj;
    int64_t first;
    if (key && store_case_by_key(req_store(r), key, &first) == WG_OK) {
        req_write_then(r, report_write); /* a retry: it answers with the first case */
        return WG_OK;
    }
    wg_err e;
    json_t *jlon = json_object_get(r->json, "lon"), *jlat = json_object_get(r->json, "lat");
    if ((e = req_json_string(r, "category", true, 15, &in->category)) ||
        (e = req_json_string(r, "urgency", false, 8, &in->urgency)) ||
        (e = req_json_string(r, "source", false, 16, &in->source)) ||
        (e = req_json_string(r, "description", true, 4000, &in->description)) ||
        (e = req_json_string(r, "address", false, 255, &in->address)) ||
        (e = req_json_string(r, "grid", false, STORE_GRID_CODE_MAX - 1, &in->grid)))
        return e;
    if (jlon || jlat) {
        if (!json_is_number(jlon))
            return req_fail(r, WG_ERR_BAD_REQUEST, "lon", "'lon' must be a number");
        if (!json_is_number(jlat))
            return req_fail(r, WG_ERR_BAD_REQUEST, "lat", "'lat' must be a number");
        in->lon = json_number_value(jlon);
        in->lat = json_number_value(jlat);
        if (in->lon < -180 || in->lon > 180)
            return req_fail(r, WG_ERR_INVALID, "lon", "'lon' must be from -180 to 180");
        if (in->lat < -90 || in->lat > 90)
            return req_fail(r, WG_ERR_INVALID, "lat", "'lat' must be from -90 to 90");
        in->has_point = true;
    }
    if ((e = case_attachments(r, &in->attachments)))
        return e;
    json_t *rep = json_object_get(r->json, "reporter");
    if (rep && !json_is_null(rep)) {
        if (!json_is_object(rep))
            return req_fail(r, WG_ERR_BAD_REQUEST, "reporter",
                            "'reporter' is {\"name\", \"phone\"}");
        in->reporter_name = json_string_value(json_object_get(rep, "name"));
        in->reporter_phone = json_string_value(json_object_get(rep, "phone"));
    }
    locator *l = locsvc_acquire(req_locator(r));
    if (!l)
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the grid index is not built yet");
    rj->env = env_of(r);
    wg_why why = {0};
    store *db = req_store(r);
    if (!db || (e = store_snapshot(db))) {
        locsvc_release(req_locator(r), l);
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the database does not answer");
    }
    /* The category and the routing rules from memory, when current. */
    rj->env.cat = req_catalogue(r);
    e = cases_draft(db, req_vault(r), l, &rj->env, REQ_WHO(r), in, &rj->d, &why);
    req_catalogue_release(r, rj->env.cat);
    rj->env.cat = NULL;
    locsvc_release(req_locator(r), l);
    /* Looked up here, off the runner's path: a case committed by now is
     * seen, one in the same batch is not. */
    if (!e && !(rj->dups = arena_alloc(&r->ar, cases_duplicates_cap(&rj->env) * sizeof(case_dup))))
        e = WG_ERR_NOMEM;
    /* A reload that fails leaves no cases held until it succeeds (tried
     * again a second later): a suggestion is no reason to refuse a report. */
    if (!e && nearidx_refresh(req_nearidx(r), db, rj->env.now))
        log_warn("cases: cannot reload the recent cases for possible duplicates");
    if (!e)
        rj->ndups = cases_possible_duplicates(req_nearidx(r), &rj->env, &rj->d.c, rj->dups);
    store_snapshot_end(db);
    if (e)
        return req_fail_why(r, e, &why);
    req_write_then(r, report_write);
    return WG_OK;
}

/* GET /api/cases/{id} */
wg_err h_case_get(http_req *r)
{
    store_case c;
    wg_err e = load_case(r, &c);
    return e ? e : reply_case(r, 200, &c);
}

static wg_err add_event(void *ctx, const store_event *ev)
{
    http_req *r = ((void **)ctx)[0];
    json_t *items = ((void **)ctx)[1];
    return json_array_append_new(items,
                                 record_event_json(ev, calendar_utc_offset(req_calendar(r))))
               ? WG_ERR_NOMEM
               : WG_OK;
}

/* GET /api/cases/{id}/history */
wg_err h_case_history(http_req *r)
{
    store_case c;
    wg_err e = load_case(r, &c);
    if (e)
        return e;
    json_t *items = json_array();
    void *ctx[2] = {r, items};
    if ((e = store_case_events(req_store(r), c.id, add_event, ctx))) {
        json_decref(items);
        return e;
    }
    return reply_json(r, 200, json_pack("{s:I, s:o}", "case", (json_int_t)c.id, "items", items));
}

static wg_err note_acted(http_req *r)
{
    nearidx_put(req_nearidx(r), r->after_ctx);
    return WG_OK;
}

/* POST /api/cases/{id}/actions/{action} {"note"?, ...}; If-Match: "<version>"
 * makes a stale write fail with 412. */
wg_err h_case_act(http_req *r)
{
    store_case c;
    wg_err e = load_case(r, &c);
    if (e)
        return e;
    const char *name = req_param(r, "action");
    case_action a;
    if (!name || !cases_action_parse(name, &a))
        return req_fail(r, WG_ERR_NOT_FOUND, "action", "no action '%s'", name ? name : "");
    if ((e = req_if_match(r, "case", c.id, c.version)))
        return e;
    case_act_input in = {0};
    int64_t into = 0, rating = 0, days = 0;
    if ((e = req_json_string(r, "note", false, 1000, &in.note)) ||
        (e = req_json_string(r, "department", false, STORE_CODE_MAX - 1, &in.department)) ||
        (e = req_json_string(r, "reason", false, 32, &in.reason)) ||
        (e = req_json_string(r, "rate_department", false, STORE_CODE_MAX - 1,
                             &in.rate_department)) ||
        (e = req_json_int(r, "into", false, 1, INT64_MAX, &into)) ||
        (e = req_json_int(r, "rating", false, 1, 5, &rating)) ||
        (e = req_json_int(r, "days", false, 1, 60, &days)))
        return e;
    in.into = into;
    in.rating = (int)rating;
    in.extend_days = (int)days;
    json_t *depts = json_object_get(r->json, "departments");
    const char *dl[10];
    if (depts) {
        if (!json_is_array(depts) || json_array_size(depts) > 10)
            return req_fail(r, WG_ERR_INVALID, "departments", "'departments' is a list of 1 to 10");
        for (size_t i = 0; i < json_array_size(depts); i++) {
            dl[i] = json_string_value(json_array_get(depts, i));
            if (!dl[i])
                return req_fail(r, WG_ERR_BAD_REQUEST, "departments", "departments are codes");
        }
        in.departments = dl;
        in.ndepartments = (int)json_array_size(depts);
    }
    if ((e = case_attachments(r, &in.attachments)))
        return e;
    case_env env = env_of(r);
    wg_why why = {0};
    if ((e = cases_act(req_store(r), &env, REQ_WHO(r), &c, a, &in, &why))) {
        if (e == WG_ERR_CONFLICT && why.field && !strcmp(why.field, "action")) {
            r->err_details =
                json_pack("{s:o}", "allowed_actions",
                          cases_allowed_json(cases_allowed(req_store(r), &c, REQ_WHO(r))));
            arena_defer(&r->ar, (void (*)(void *))json_decref, r->err_details);
        }
        return req_fail_why(r, e, &why);
    }
    r->audit_resource = arena_printf(&r->ar, "/api/cases/%lld", (long long)c.id);
    r->audit_detail = arena_printf(&r->ar, "%s -> %s", name, c.status);
    /* Committed, the duplicates index hears of the case's new status. */
    store_case *done = arena_alloc(&r->ar, sizeof(*done));
    if (!done)
        return WG_ERR_NOMEM;
    *done = c;
    r->after_ctx = done;
    r->after_commit = note_acted;
    return reply_case(r, 200, &c);
}

typedef struct {
    http_req *r;
    jsonw *w;
    int64_t last;
    int n;
    store_category k; /* the last case's category, looked up once per run of them */
    bool have_k;
} list_ctx;

static wg_err add_case(void *ctx, const store_case *c)
{
    list_ctx *l = ctx;
    if (strcmp(l->k.code, c->category) != 0) {
        l->have_k = store_category_get(req_store(l->r), c->category, &l->k) == WG_OK;
        snprintf(l->k.code, sizeof(l->k.code), "%s", c->category);
    }
    jsonw_object(l->w);
    cases_json_write(l->w, c, l->have_k ? &l->k : NULL, req_calendar(l->r));
    jsonw_end(l->w);
    l->last = c->id;
    l->n++;
    return l->w->err;
}

/* GET /api/cases?status=&category=&grid=&department=&source=&overdue=
 * &from=&to=&q=&before=&limit= : newest first, only what the asker may see;
 * "next" is the `before` of the following page. */
wg_err h_cases_list(http_req *r)
{
    const actor *a = REQ_WHO(r);
    store_case_filter f = {.overdue = -1, .limit = 50};
    const char *grids[ACTOR_MAX_GRANTS], *depts[ACTOR_MAX_GRANTS];
    for (int i = 0; i < a->ngrants; i++) {
        const role_grant *g = &a->grants[i];
        if (g->role == ROLE_ADMIN || g->role == ROLE_AUDITOR)
            f.all = true;
        else if (g->kind == SCOPE_GRID)
            grids[f.ngrid++] = g->scope;
        else if (g->kind == SCOPE_DEPARTMENT)
            depts[f.ndept++] = g->scope;
    }
    f.grid_prefixes = grids;
    f.departments = depts;
    f.reporter = a->login;
    f.status = req_query(r, "status");
    f.category = req_query(r, "category");
    f.grid = req_query(r, "grid");
    f.department = req_query(r, "department");
    f.source = req_query(r, "source");
    f.text = req_query(r, "q");
    /* status=a,b,c: any of them */
    const char *statuses[CS_COUNT];
    if (f.status) {
        char *list = arena_strdup(&r->ar, f.status), *save = NULL;
        if (!list)
            return WG_ERR_NOMEM;
        for (char *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
            case_status st;
            if (!cases_status_parse(s, &st))
                return req_fail(r, WG_ERR_BAD_REQUEST, "status", "unknown status '%s'", s);
            if (f.nstatus == CS_COUNT)
                return req_fail(r, WG_ERR_BAD_REQUEST, "status", "too many statuses");
            statuses[f.nstatus++] = s;
        }
        if (!f.nstatus)
            return req_fail(r, WG_ERR_BAD_REQUEST, "status", "'status' names no status");
        f.status = NULL;
        f.statuses = statuses;
    }
    const char *v;
    if ((v = req_query(r, "whistle"))) {
        if (strcmp(v, "pending") != 0)
            return req_fail(r, WG_ERR_BAD_REQUEST, "whistle",
                            "'whistle' is pending (whistled to your department, not yet "
                            "acknowledged)");
        f.whistle_pending = true;
    }
    if ((v = req_query(r, "overdue"))) {
        bool b;
        if (!parse_bool(v, strlen(v), &b))
            return req_fail(r, WG_ERR_BAD_REQUEST, "overdue", "'overdue' is true or false");
        f.overdue = b;
    }
    int64_t n;
    if ((v = req_query(r, "limit"))) {
        if (!parse_i64(v, strlen(v), 1, 500, &n))
            return req_fail(r, WG_ERR_BAD_REQUEST, "limit", "'limit' is 1 to 500");
        f.limit = (int)n;
    }
    if ((v = req_query(r, "before"))) {
        if (!parse_i64(v, strlen(v), 1, INT64_MAX, &n))
            return req_fail(r, WG_ERR_BAD_REQUEST, "before", "'before' is a case id");
        f.before_id = n;
    }
    static const char *const range[] = {"from", "to"};
    for (int i = 0; i < 2; i++) {
        if (!(v = req_query(r, range[i])))
            continue;
        wg_why why = {0};
        int64_t t;
        if (!calendar_parse_iso(v, strlen(v), calendar_utc_offset(req_calendar(r)), &t, &why))
            return req_fail(r, WG_ERR_BAD_REQUEST, range[i],
                            "'%s' is an ISO 8601 date or time (%s)", range[i], why.msg);
        *(i ? &f.to : &f.from) = t;
    }
    wg_buf b;
    buf_init(&b, &r->ar, 64 * WG_MIB);
    jsonw w;
    jsonw_init(&w, &b);
    jsonw_object(&w);
    jsonw_key(&w, "items");
    jsonw_array(&w);
    list_ctx l = {.r = r, .w = &w};
    wg_err e = store_case_list(req_store(r), &f, add_case, &l);
    if (e)
        return e;
    jsonw_end(&w);
    jsonw_key(&w, "next");
    if (l.n == f.limit)
        jsonw_int(&w, l.last);
    else
        jsonw_null(&w);
    jsonw_end(&w);
    if (w.err || (w.err = buf_putc(&b, '\n')))
        return w.err;
    return reply_bytes(r, 200, "application/json", b.ptr, b.len);
}

/* ---- KPIs ---- */

/* from/to query parameters: ISO 8601 (default: the last 365 days up to
 * now). */
static wg_err period(http_req *r, int64_t *from, int64_t *to)
{
    /* By default the last 365 days and today, from and to local midnight
     * (whole days are what the KPI counters answer). */
    int64_t now = (int64_t)time(NULL);
    int64_t off = calendar_utc_offset(req_calendar(r)) * 60;
    int64_t today = now + off - ((now + off) % 86400 + 86400) % 86400 - off;
    *to = today + 86400;
    *from = today - 365 * 86400;
    static const char *const names[] = {"from", "to"};
    for (int i = 0; i < 2; i++) {
        const char *v = req_query(r, names[i]);
        wg_why why = {0};
        if (v && !calendar_parse_iso(v, strlen(v), calendar_utc_offset(req_calendar(r)),
                                     i ? to : from, &why))
            return req_fail(r, WG_ERR_BAD_REQUEST, names[i],
                            "'%s' is an ISO 8601 date or time (%s)", names[i], why.msg);
    }
    if (*to <= *from)
        return req_fail(r, WG_ERR_BAD_REQUEST, "to", "'to' must be after 'from'");
    return WG_OK;
}

/* GET /api/stats/cases?group=grid|grid_l2|grid_l3|department|category|member&from=&to= */
wg_err h_stats_cases(http_req *r)
{
    static const struct {
        const char *param, *column;
    } groups[] = {{"all", ""},
                  {"grid", "grid_l2"},
                  {"grid_l1", "grid_l1"},
                  {"grid_l2", "grid_l2"},
                  {"grid_l3", "grid_l3"},
                  {"micro", "grid"},
                  {"department", "department"},
                  {"category", "category"},
                  {"member", "reporter_login"}};
    const char *g = req_query(r, "group");
    const char *col = NULL;
    for (size_t i = 0; i < WG_ARRAY_LEN(groups); i++)
        if (!g ? i == 0 : strcmp(g, groups[i].param) == 0)
            col = groups[i].column;
    if (!col)
        return req_fail(r, WG_ERR_BAD_REQUEST, "group",
                        "'group' is all, grid, grid_l1, grid_l2, grid_l3, micro, department, "
                        "category or member");
    int64_t from, to;
    wg_err e = period(r, &from, &to);
    if (e)
        return e;
    wg_buf b;
    buf_init(&b, &r->ar, 64 * WG_MIB);
    e = buf_printf(&b, "{\"group\":\"%s\",\"exclude_deferred\":%s,", g ? g : "all",
                   req_config(r)->kpi_exclude_deferred ? "true" : "false");
    kpisvc *ks = req_kpis(r);
    store *db = req_store(r);
    if (!db)
        return req_fail(r, WG_ERR_UNAVAILABLE, NULL, "the database does not answer");
    kpi *k = kpisvc_acquire(ks, db, req_pool(r));
    if (!e)
        e = cases_stats(req_store(r), k, col, actor_grid_scope(REQ_WHO(r), PERM_STATS_READ), from,
                        to, (int64_t)time(NULL), req_config(r)->kpi_exclude_deferred, &b);
    if (k)
        kpisvc_release(ks);
    if (!e)
        e = buf_puts(&b, "}\n");
    return e ? e : reply_bytes(r, 200, "application/json", b.ptr, b.len);
}

/* GET /api/stats/whistles?from=&to= */
wg_err h_stats_whistles(http_req *r)
{
    int64_t from, to;
    wg_err e = period(r, &from, &to);
    json_t *j = NULL;
    if (e || (e = cases_whistle_stats(req_store(r), from, to, &j)))
        return e;
    return reply_json(r, 200, j);
}

/* ---- attachments ---- */

#define UPLOAD_FILES 64 /* files in one upload at most */

typedef struct {
    http_req *r;
    char dir[1100];
    wg_buf cur; /* the file being received */
    bool in_file;
    /* The files received, kept until every one has passed: a refused one
     * stores none of them, so that no file is left without its row. */
    struct {
        const char *data;
        size_t len;
    } files[UPLOAD_FILES];
    size_t nfiles;
    wg_err err;
    wg_why why;
} upload_ctx;

/* Check the file just received and keep it for later. */
static void finish_file(upload_ctx *u)
{
    if (!u->in_file || u->err)
        return;
    u->in_file = false;
    size_t len = u->cur.len;
    char *copy = len ? arena_alloc(&u->r->ar, len) : NULL;
    if (!attach_sniff(u->cur.ptr ? u->cur.ptr : "", len))
        u->err = wg_fail(&u->why, WG_ERR_MEDIA_TYPE, "file",
                         "only JPEG, PNG, WebP and PDF files are accepted");
    else if (u->nfiles == UPLOAD_FILES)
        u->err = wg_fail(&u->why, WG_ERR_TOO_LARGE, "file", "at most %d files in one upload",
                         UPLOAD_FILES);
    else if (len && !copy)
        u->err = WG_ERR_NOMEM;
    if (!u->err) {
        if (len)
            memcpy(copy, u->cur.ptr, len);
        u->files[u->nfiles].data = copy ? copy : "";
        u->files[u->nfiles++].len = len;
    }
    buf_reset(&u->cur);
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    (void)kind;
    (void)key;
    (void)content_type;
    (void)transfer_encoding;
    upload_ctx *u = cls;
    if (!filename)
        return MHD_YES; /* plain fields are ignored */
    if (off == 0) {
        finish_file(u);
        u->in_file = true;
    }
    if (u->err)
        return MHD_NO;
    if (size && buf_append(&u->cur, data, size)) {
        u->err = wg_fail(&u->why, WG_ERR_TOO_LARGE, "file", "a file is larger than %zu bytes",
                         u->cur.cap);
        return MHD_NO;
    }
    return MHD_YES;
}

/* POST /api/attachments (multipart/form-data, one or more files): store
 * them; answers their SHA-256 for use in case actions ("attachments"). */
wg_err h_attachments_upload(http_req *r)
{
    const char *ct = req_header(r, "Content-Type");
    if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0)
        return req_fail(r, WG_ERR_MEDIA_TYPE, "Content-Type",
                        "upload files as multipart/form-data");
    upload_ctx *u = arena_alloc(&r->ar, sizeof(*u));
    if (!u)
        return WG_ERR_NOMEM;
    memset(u, 0, sizeof(*u));
    u->r = r;
    config_attachment_dir(req_config(r), u->dir, sizeof(u->dir));
    buf_init(&u->cur, &r->ar, (size_t)req_config(r)->max_attachment);
    struct MHD_PostProcessor *pp = MHD_create_post_processor(r->conn, 64 * 1024, on_part, u);
    if (!pp)
        return req_fail(r, WG_ERR_BAD_REQUEST, "Content-Type", "malformed multipart body");
    enum MHD_Result ok = MHD_post_process(pp, r->body ? r->body : "", r->body_len);
    MHD_destroy_post_processor(pp);
    finish_file(u);
    if (u->err)
        return req_fail_why(r, u->err, &u->why);
    if (ok != MHD_YES || u->nfiles == 0)
        return req_fail(r, WG_ERR_BAD_REQUEST, "file", "no file in the upload");
    json_t *out = json_array();
    for (size_t i = 0; i < u->nfiles; i++) {
        char sha[65];
        const char *type = NULL;
        wg_err e = attach_store(req_store(r), u->dir, u->files[i].data, u->files[i].len,
                                (int64_t)time(NULL), sha, &type, &u->why);
        if (e) {
            json_decref(out);
            return req_fail_why(r, e, &u->why);
        }
        json_array_append_new(out, json_pack("{s:s, s:s, s:I}", "sha256", sha, "media_type",
                                             type, "size", (json_int_t)u->files[i].len));
    }
    r->audit_detail = arena_printf(&r->ar, "%zu file(s)", u->nfiles);
    return reply_json(r, 201, json_pack("{s:o}", "items", out));
}

/* GET /api/attachments/{sha256}: the bytes, with their media type. */
wg_err h_attachment_get(http_req *r)
{
    const char *sha = req_param(r, "sha");
    char type[64], dir[1100], path[1300];
    int64_t size;
    if (!attach_sha_ok(sha) || store_attachment_get(req_store(r), sha, type, sizeof(type), &size))
        return req_fail(r, WG_ERR_NOT_FOUND, NULL, "no attachment %s", sha ? sha : "");
    config_attachment_dir(req_config(r), dir, sizeof(dir));
    attach_path(dir, sha, path, sizeof(path));
    size_t len = 0;
    char *data = csv_read_file(path, &len);
    if (!data)
        return req_fail(r, WG_ERR_IO, NULL, "the file of attachment %s is missing", sha);
    arena_defer(&r->ar, free, data);
    reply_header(r, "Cache-Control", "private, max-age=31536000, immutable");
    return reply_bytes(r, 200, arena_strdup(&r->ar, type), data, len);
}
