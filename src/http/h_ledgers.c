/*
 * h_ledgers.c - /api/ledgers: kinds (declared as data), their entries,
 * actions, history and KPIs.
 */
#include "core/calendar.h"
#include "core/ledger_xlsx.h"
#include "core/ledgers.h"
#include "core/record.h"
#include "http/handlers.h"
#include "http/server.h"
#include "store/store.h"
#include "util/strparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static ledger_env env_of(http_req *r)
{
    return (ledger_env){.s = req_store(r),
                        .v = req_vault(r),
                        .who = REQ_WHO(r),
                        .now = (int64_t)time(NULL),
                        .utc_offset_min = calendar_utc_offset(req_calendar(r)),
                        .cal = req_calendar(r)};
}

/* The kind named in the path, parsed; the caller frees it. */
static wg_err load_kind(http_req *r, ledger_kind **k)
{
    const char *code = req_param(r, "kind");
    wg_why why = {0};
    wg_err e = ledger_kind_load(req_store(r), code ? code : "", k, &why);
    return e ? req_fail_why(r, e, &why) : WG_OK;
}

/* The kind and the entry of the path (in the request's arena), visible to
 * the asker (else 404). */
static wg_err load_record(http_req *r, ledger_kind **k, store_record **out)
{
    store_record *rec = *out = arena_alloc(&r->ar, sizeof(*rec));
    if (!rec)
        return WG_ERR_NOMEM;
    wg_err e = load_kind(r, k);
    if (e)
        return e;
    const char *ids = req_param(r, "id");
    int64_t id = 0;
    if (!ids || !parse_i64(ids, strlen(ids), 1, INT64_MAX, &id) ||
        (e = store_record_get(req_store(r), id, rec)) == WG_ERR_NOT_FOUND ||
        (!e && (strcmp(rec->kind, ledger_kind_code(*k)) != 0 ||
                !ledger_record_visible(REQ_WHO(r), rec)))) {
        ledger_kind_free(*k);
        *k = NULL;
        return req_fail(r, WG_ERR_NOT_FOUND, NULL, "no entry %s in this ledger", ids ? ids : "");
    }
    if (e) {
        ledger_kind_free(*k);
        *k = NULL;
    }
    return e;
}

/* "/api/ledgers/{kind}/records/{id}" of an entry, in the request's arena. */
static const char *entry_path(http_req *r, const store_record *rec)
{
    return arena_printf(&r->ar, "/api/ledgers/%s/records/%lld", rec->kind, (long long)rec->id);
}

static wg_err reply_record(http_req *r, int status, const ledger_kind *k, const store_record *rec)
{
    ledger_env env = env_of(r);
    char *etag = arena_printf(&r->ar, "\"%lld\"", (long long)rec->version);
    if (etag)
        reply_header(r, "ETag", etag);
    return reply_json(r, status, ledger_record_json(&env, k, rec));
}

static wg_err add_kind(void *ctx, const char *code, const char *name, const char *spec)
{
    (void)code;
    (void)name;
    json_error_t je;
    json_t *j = json_loads(spec, 0, &je);
    return j ? (json_array_append_new(ctx, j) ? WG_ERR_NOMEM : WG_OK) : WG_ERR_STORE;
}

/* GET /api/ledgers: every kind's declaration. */
wg_err h_ledgers_list(http_req *r)
{
    json_t *items = json_array();
    wg_err e = store_ledger_kinds(req_store(r), add_kind, items);
    if (e) {
        json_decref(items);
        return e;
    }
    return reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* PUT /api/ledgers/{kind}: add or replace a kind (its JSON declaration). */
wg_err h_ledger_kind_put(http_req *r)
{
    char *text = arena_alloc(&r->ar, r->body_len + 1);
    if (!text)
        return WG_ERR_NOMEM;
    if (r->body_len)
        memcpy(text, r->body, r->body_len);
    text[r->body_len] = '\0';
    char code[STORE_KIND_MAX];
    wg_why why = {0};
    wg_err e = ledger_kind_install(req_store(r), text, (int64_t)time(NULL), code, &why);
    if (e)
        return req_fail_why(r, e, &why);
    const char *want = req_param(r, "kind");
    if (!want || strcmp(want, code) != 0)
        return req_fail(r, WG_ERR_INVALID, "code", "the declaration's code is %s, the path's %s",
                        code, want ? want : "");
    r->audit_resource = arena_printf(&r->ar, "/api/ledgers/%s", code);
    return reply_json(r, 200, json_pack("{s:s}", "code", code));
}

/* GET /api/ledgers/{kind}/kinds: the declaration. */
wg_err h_ledger_kind_get(http_req *r)
{
    ledger_kind *k = NULL;
    wg_err e = load_kind(r, &k);
    if (e)
        return e;
    e = reply_json(r, 200, json_deep_copy(ledger_kind_spec(k)));
    ledger_kind_free(k);
    return e;
}

typedef struct {
    ledger_env env;
    const ledger_kind *k;
    json_t *items;
    int64_t last;
} list_ctx;

static wg_err add_record(void *ctx, const store_record *rec)
{
    list_ctx *l = ctx;
    l->last = rec->id;
    return json_array_append_new(l->items, ledger_record_json(&l->env, l->k, rec)) ? WG_ERR_NOMEM
                                                                                   : WG_OK;
}

/* The entries the asker may see (its grid scopes), and the filters of the
 * query (status, grid, overdue). */
static void scope_filter(http_req *r, store_record_filter *f, const char **grids)
{
    const actor *a = REQ_WHO(r);
    f->overdue = -1;
    f->now = (int64_t)time(NULL);
    for (int i = 0; i < a->ngrants; i++) {
        const role_grant *g = &a->grants[i];
        if (g->kind == SCOPE_ALL)
            f->all = true;
        else if (g->kind == SCOPE_GRID)
            grids[f->ngrid++] = g->scope;
    }
    f->grid_prefixes = grids;
    f->status = req_query(r, "status");
    f->grid = req_query(r, "grid");
}

/* GET /api/ledgers/{kind}/records?status=&grid=&q=&overdue=&before=&limit= */
wg_err h_ledger_records(http_req *r)
{
    ledger_kind *k = NULL;
    wg_err e = load_kind(r, &k);
    if (e)
        return e;
    store_record_filter f = {.kind = ledger_kind_code(k), .limit = 50};
    const char *grids[ACTOR_MAX_GRANTS];
    scope_filter(r, &f, grids);
    const char *v;
    int64_t n;
    bool b;
    f.text = req_query(r, "q");
    if (f.status && !ledger_kind_has_state(k, f.status))
        e = req_fail(r, WG_ERR_BAD_REQUEST, "status", "%s has no state '%s'", ledger_kind_code(k),
                     f.status);
    else if (f.text && strlen(f.text) > 200)
        e = req_fail(r, WG_ERR_BAD_REQUEST, "q", "'q' is at most 200 bytes");
    else if ((v = req_query(r, "overdue")) && !parse_bool(v, strlen(v), &b))
        e = req_fail(r, WG_ERR_BAD_REQUEST, "overdue", "'overdue' is true or false");
    else if (v)
        f.overdue = b;
    if (!e && (v = req_query(r, "limit"))) {
        if (!parse_i64(v, strlen(v), 1, 500, &n))
            e = req_fail(r, WG_ERR_BAD_REQUEST, "limit", "'limit' is 1 to 500");
        f.limit = (int)n;
    }
    if (!e && (v = req_query(r, "before"))) {
        if (!parse_i64(v, strlen(v), 1, INT64_MAX, &n))
            e = req_fail(r, WG_ERR_BAD_REQUEST, "before", "'before' is an entry id");
        f.before_id = n;
    }
    list_ctx l = {.env = env_of(r), .k = k, .items = json_array()};
    if (!e)
        e = store_record_list(req_store(r), &f, add_record, &l);
    ledger_kind_free(k);
    if (e) {
        json_decref(l.items);
        return e;
    }
    json_t *next = (int)json_array_size(l.items) == f.limit ? json_integer(l.last) : json_null();
    return reply_json(r, 200, json_pack("{s:o, s:o}", "items", l.items, "next", next));
}

/* POST /api/ledgers/{kind}/records {"grid", "owner_unit"?, "owner_person"?, "fields"} */
wg_err h_ledger_record_create(http_req *r)
{
    ledger_kind *k = NULL;
    wg_err e = load_kind(r, &k);
    if (e)
        return e;
    ledger_env env = env_of(r);
    store_record *rec = arena_alloc(&r->ar, sizeof(*rec));
    wg_why why = {0};
    e = rec ? ledger_record_create(&env, k, r->json, rec, &why) : WG_ERR_NOMEM;
    if (!e) {
        r->audit_resource = entry_path(r, rec);
        if (r->audit_resource)
            reply_header(r, "Location", r->audit_resource);
        e = reply_record(r, 201, k, rec);
    } else {
        e = req_fail_why(r, e, &why);
    }
    ledger_kind_free(k);
    return e;
}

/* GET /api/ledgers/{kind}/records/{id} */
wg_err h_ledger_record_get(http_req *r)
{
    ledger_kind *k = NULL;
    store_record *rec = NULL;
    wg_err e = load_record(r, &k, &rec);
    if (e)
        return e;
    e = reply_record(r, 200, k, rec);
    ledger_kind_free(k);
    return e;
}

/* PUT /api/ledgers/{kind}/records/{id}: change fields (only those given). */
wg_err h_ledger_record_edit(http_req *r)
{
    ledger_kind *k = NULL;
    store_record *rec = NULL;
    wg_err e = load_record(r, &k, &rec);
    if (e)
        return e;
    ledger_env env = env_of(r);
    wg_why why = {0};
    if (!actor_can_in_grid(env.who, PERM_LEDGERS_WRITE, rec->grid))
        e = req_fail(r, WG_ERR_FORBIDDEN, NULL, "this entry is outside your scope");
    else if (!(e = req_if_match(r, "entry", rec->id, rec->version)) &&
             (e = ledger_record_edit(&env, k, rec, r->json, &why)))
        e = req_fail_why(r, e, &why);
    if (!e) {
        r->audit_resource = entry_path(r, rec);
        e = reply_record(r, 200, k, rec);
    }
    ledger_kind_free(k);
    return e;
}

/* POST /api/ledgers/{kind}/records/{id}/actions/{action}
 * {"note"?, "attachments"?: [sha256, ...]} */
wg_err h_ledger_record_act(http_req *r)
{
    ledger_kind *k = NULL;
    store_record *rec = NULL;
    wg_err e = load_record(r, &k, &rec);
    if (e)
        return e;
    const char *action = req_param(r, "action"), *note = NULL;
    ledger_env env = env_of(r);
    wg_why why = {0};
    if (!(e = req_if_match(r, "entry", rec->id, rec->version)) &&
        !(e = req_json_string(r, "note", false, 1000, &note))) {
        e = ledger_record_act(&env, k, rec, action ? action : "", note,
                              json_object_get(r->json, "attachments"), &why);
        if (e == WG_ERR_CONFLICT) {
            json_t *j = ledger_record_json(&env, k, rec);
            r->err_details =
                json_pack("{s:O}", "allowed_actions", json_object_get(j, "allowed_actions"));
            json_decref(j);
            arena_defer(&r->ar, (void (*)(void *))json_decref, r->err_details);
        }
        if (e)
            e = req_fail_why(r, e, &why);
    }
    if (!e) {
        r->audit_resource = entry_path(r, rec);
        r->audit_detail = arena_printf(&r->ar, "%s -> %s", action, rec->status);
        e = reply_record(r, 200, k, rec);
    }
    ledger_kind_free(k);
    return e;
}

static wg_err add_event(void *ctx, const store_event *ev)
{
    http_req *r = ((void **)ctx)[0];
    json_t *items = ((void **)ctx)[1];
    return json_array_append_new(items, record_event_json(ev, calendar_utc_offset(req_calendar(r))))
               ? WG_ERR_NOMEM
               : WG_OK;
}

/* GET /api/ledgers/{kind}/records/{id}/history */
wg_err h_ledger_record_history(http_req *r)
{
    ledger_kind *k = NULL;
    store_record *rec = NULL;
    wg_err e = load_record(r, &k, &rec);
    if (e)
        return e;
    ledger_kind_free(k);
    json_t *items = json_array();
    void *ctx[2] = {r, items};
    if ((e = store_record_events(req_store(r), rec->id, add_event, ctx))) {
        json_decref(items);
        return e;
    }
    return reply_json(r, 200,
                      json_pack("{s:I, s:o}", "entry", (json_int_t)rec->id, "items", items));
}

/* GET /api/ledgers/{kind}/kpis?from=&to=&grid= (default: this year so far) */
wg_err h_ledger_kpis(http_req *r)
{
    ledger_kind *k = NULL;
    wg_err e = load_kind(r, &k);
    if (e)
        return e;
    ledger_env env = env_of(r);
    int off = env.utc_offset_min;
    /* this year so far: from local 1 January to the end of today */
    time_t lt = (time_t)(env.now + (int64_t)off * 60);
    struct tm tm;
    gmtime_r(&lt, &tm);
    char jan1[24];
    snprintf(jan1, sizeof(jan1), "%04d-01-01", tm.tm_year + 1900);
    wg_why why = {0};
    int64_t from = 0, to = env.now + 1;
    calendar_parse_iso(jan1, strlen(jan1), off, &from, &why);
    static const char *const names[] = {"from", "to"};
    for (int i = 0; i < 2 && !e; i++) {
        const char *v = req_query(r, names[i]);
        if (v && !calendar_parse_iso(v, strlen(v), off, i ? &to : &from, &why))
            e = req_fail(r, WG_ERR_BAD_REQUEST, names[i], "'%s' is an ISO 8601 date or time (%s)",
                         names[i], why.msg);
    }
    const char *scope = actor_grid_scope(REQ_WHO(r), PERM_LEDGERS_READ);
    const char *grid = req_query(r, "grid");
    if (!e && grid && !actor_can_in_grid(REQ_WHO(r), PERM_LEDGERS_READ, grid))
        e = req_fail(r, WG_ERR_FORBIDDEN, "grid", "grid %s is outside your scope", grid);
    json_t *kpis = NULL;
    if (!e)
        e = ledger_kpis(&env, k, grid ? grid : scope, from, to, &kpis);
    char f[CAL_ISO_CAP] = "", t[CAL_ISO_CAP] = "";
    calendar_format_iso(from, off, f, sizeof(f));
    calendar_format_iso(to, off, t, sizeof(t));
    if (!e)
        e = reply_json(r, 200,
                       json_pack("{s:s, s:s, s:s, s:s, s:o}", "kind", ledger_kind_code(k), "grid",
                                 grid ? grid : scope, "from", f, "to", t, "kpis", kpis));
    ledger_kind_free(k);
    return e;
}

/* GET /api/ledgers/{kind}/export?status=&grid=: the entries the asker may
 * see as an .xlsx workbook with Chinese headers. */
wg_err h_ledger_export(http_req *r)
{
    ledger_kind *k = NULL;
    wg_err e = load_kind(r, &k);
    if (e)
        return e;
    store_record_filter f = {0};
    const char *grids[ACTOR_MAX_GRANTS];
    scope_filter(r, &f, grids);
    ledger_env env = env_of(r);
    const char *tmp = getenv("TMPDIR");
    char *xlsx = NULL;
    size_t len = 0;
    wg_why why = {0};
    const ledger_kind *kinds[] = {k};
    e = ledger_xlsx(&env, kinds, 1, &f, tmp && *tmp ? tmp : "/tmp", &xlsx, &len, &why);
    if (!e) {
        arena_defer(&r->ar, free, xlsx);
        char *cd = arena_printf(&r->ar, "attachment; filename=\"%s.xlsx\"", ledger_kind_code(k));
        if (cd)
            reply_header(r, "Content-Disposition", cd);
        e = reply_bytes(r, 200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        xlsx, len);
    } else {
        e = req_fail_why(r, e, &why);
    }
    ledger_kind_free(k);
    return e;
}

typedef struct {
    ledger_kind *kinds[64];
    int n;
} kinds_ctx;

static wg_err parse_kind(void *ctx, const char *code, const char *name, const char *spec)
{
    (void)code;
    (void)name;
    kinds_ctx *c = ctx;
    wg_why why = {0};
    return c->n < 64 ? ledger_kind_parse(spec, &c->kinds[c->n++], &why) : WG_OK;
}

/* Every ledger of the grid's subtree in one workbook, a sheet per kind. */
wg_err h_ledgers_annex(http_req *r, const ledger_env *env, const char *grid)
{
    kinds_ctx c = {.n = 0};
    wg_err e = store_ledger_kinds(req_store(r), parse_kind, &c);
    if (e && c.n)
        c.kinds[--c.n] = NULL; /* the one that failed */
    store_record_filter f = {.overdue = -1, .now = env->now};
    const char *g[1] = {grid};
    f.grid_prefixes = g;
    f.ngrid = 1;
    const char *tmp = getenv("TMPDIR");
    char *xlsx = NULL;
    size_t len = 0;
    wg_why why = {0};
    if (!e)
        e = ledger_xlsx(env, (const ledger_kind *const *)c.kinds, c.n, &f,
                        tmp && *tmp ? tmp : "/tmp", &xlsx, &len, &why);
    for (int i = 0; i < c.n; i++)
        ledger_kind_free(c.kinds[i]);
    if (e)
        return req_fail_why(r, e, &why);
    arena_defer(&r->ar, free, xlsx);
    reply_header(r, "Content-Disposition", "attachment; filename=\"ledgers.xlsx\"");
    return reply_bytes(r, 200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       xlsx, len);
}

/* POST /api/ledgers/{kind}/import (text/csv): all rows or none; every bad
 * row is reported with its line. */
wg_err h_ledger_import(http_req *r)
{
    ledger_kind *k = NULL;
    wg_err e = load_kind(r, &k);
    if (e)
        return e;
    ledger_env env = env_of(r);
    int imported = 0;
    json_t *errors = NULL;
    e = ledger_import_csv(&env, k, r->body ? r->body : "", r->body_len, &imported, &errors);
    ledger_kind_free(k);
    if (e)
        return e;
    size_t bad = json_array_size(errors);
    if (bad) {
        const json_t *first = json_array_get(errors, 0);
        r->err_details = json_pack("{s:o}", "errors", errors);
        arena_defer(&r->ar, (void (*)(void *))json_decref, r->err_details);
        return req_fail(r, WG_ERR_INVALID, "csv",
                        "%zu problem(s), nothing imported; the first, line %d: %s", bad,
                        (int)json_integer_value(json_object_get(first, "line")),
                        json_string_value(json_object_get(first, "message")));
    }
    json_decref(errors);
    r->audit_detail = arena_printf(&r->ar, "%d entries", imported);
    return reply_json(r, 201, json_pack("{s:i}", "imported", imported));
}
