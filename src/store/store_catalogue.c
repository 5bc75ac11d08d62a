/*
 * store_catalogue.c - categories, calendar days and routing rules.
 */
#include "store/store_internal.h"

#include <stdio.h>
#include <string.h>

static const char SQL_CAT_PUT[] =
    "INSERT INTO categories (code, kind, major, minor, fine, name_zh, name_en, department,"
    " limit_file, limit_dispatch, limit_acknowledge, limit_handle, limit_verify, urgent_percent)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    " ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, major = excluded.major,"
    " minor = excluded.minor, fine = excluded.fine, name_zh = excluded.name_zh,"
    " name_en = excluded.name_en, department = excluded.department,"
    " limit_file = excluded.limit_file, limit_dispatch = excluded.limit_dispatch,"
    " limit_acknowledge = excluded.limit_acknowledge, limit_handle = excluded.limit_handle,"
    " limit_verify = excluded.limit_verify, urgent_percent = excluded.urgent_percent";
#define CAT_COLS                                                                                  \
    "code, kind, major, minor, fine, name_zh, name_en, department, limit_file, limit_dispatch,"   \
    " limit_acknowledge, limit_handle, limit_verify, urgent_percent"
static const char SQL_CAT_GET[] = "SELECT " CAT_COLS " FROM categories WHERE code = ?1";
static const char SQL_CAT_COUNT[] = "SELECT count(*) FROM categories";
static const char SQL_CAT_LIST[] = "SELECT " CAT_COLS " FROM categories ORDER BY code";

static const char SQL_CAL_PUT[] =
    "INSERT INTO calendar_days (day, kind, note) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, note = excluded.note";
static const char SQL_CAL_DEL[] = "DELETE FROM calendar_days WHERE day = ?1";
static const char SQL_CAL_LIST[] = "SELECT day, kind, note FROM calendar_days ORDER BY day";

static const char SQL_ROUTE_PUT[] =
    "INSERT INTO route_rules (category, grid_prefix, department, note) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (category, grid_prefix) DO UPDATE SET department = excluded.department,"
    " note = excluded.note RETURNING id";
static const char SQL_ROUTE_DEL[] = "DELETE FROM route_rules WHERE id = ?1";
#define ROUTE_COLS "id, category, grid_prefix, department, note"
static const char SQL_ROUTE_MATCH[] =
    "SELECT " ROUTE_COLS " FROM route_rules WHERE (category = ?1 OR category = '')"
    " AND (grid_prefix = '' OR substr(?2, 1, length(grid_prefix)) = grid_prefix)";
static const char SQL_ROUTE_LIST[] =
    "SELECT " ROUTE_COLS " FROM route_rules ORDER BY category, grid_prefix";

static void read_category(sqlite3_stmt *st, store_category *c)
{
    memset(c, 0, sizeof(*c));
    stmt_col_text(st, 0, c->code, sizeof(c->code));
    stmt_col_text(st, 1, c->kind, sizeof(c->kind));
    stmt_col_text(st, 2, c->major, sizeof(c->major));
    stmt_col_text(st, 3, c->minor, sizeof(c->minor));
    stmt_col_text(st, 4, c->fine, sizeof(c->fine));
    stmt_col_text(st, 5, c->name_zh, sizeof(c->name_zh));
    stmt_col_text(st, 6, c->name_en, sizeof(c->name_en));
    stmt_col_text(st, 7, c->department, sizeof(c->department));
    for (int i = 0; i < 5; i++)
        stmt_col_text(st, 8 + i, c->limit[i], sizeof(c->limit[i]));
    c->urgent_percent = sqlite3_column_int(st, 13);
}

static void read_category_any(sqlite3_stmt *st, void *out)
{
    read_category(st, out);
}

STORE_EACH(category, store_category, read_category)

wg_err store_category_put(store *s, const store_category *c)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CAT_PUT);
    if (!st)
        return WG_ERR_STORE;
    const char *v[] = {c->code, c->kind, c->major, c->minor, c->fine, c->name_zh, c->name_en,
                       c->department, c->limit[0], c->limit[1], c->limit[2], c->limit[3],
                       c->limit[4]};
    for (int i = 0; i < 13; i++)
        sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 14, c->urgent_percent);
    return stmt_exec(st);
}

wg_err store_category_get(store *s, const char *code, store_category *out)
{
    return store_get_one(s, SQL_CAT_GET, code, read_category_any, out);
}

wg_err store_category_count(store *s, int64_t *n)
{
    return store_query_i64(s, SQL_CAT_COUNT, n);
}

wg_err store_category_list(store *s, wg_err (*cb)(void *ctx, const store_category *c), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CAT_LIST);
    return st ? stmt_each(st, category_row, &(category_each){cb, ctx}) : WG_ERR_STORE;
}

wg_err store_calendar_put(store *s, const char *day, const char *kind, const char *note)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CAL_PUT);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, note ? note : "", -1, SQLITE_TRANSIENT);
    return stmt_exec(st);
}

wg_err store_calendar_delete(store *s, const char *day)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CAL_DEL);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, day, -1, SQLITE_TRANSIENT);
    wg_err e = stmt_exec(st);
    return !e && sqlite3_changes(s->db) == 0 ? WG_ERR_NOT_FOUND : e;
}

typedef struct {
    wg_err (*cb)(void *ctx, const char *day, const char *kind, const char *note);
    void *ctx;
} cal_each;

static wg_err cal_row(sqlite3_stmt *st, void *p)
{
    cal_each *c = p;
    return c->cb(c->ctx, (const char *)sqlite3_column_text(st, 0),
                 (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
}

wg_err store_calendar_list(store *s, wg_err (*cb)(void *ctx, const char *day, const char *kind,
                                                  const char *note),
                           void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CAL_LIST);
    return st ? stmt_each(st, cal_row, &(cal_each){cb, ctx}) : WG_ERR_STORE;
}

static void read_route(sqlite3_stmt *st, store_route_rule *r)
{
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(st, 0);
    stmt_col_text(st, 1, r->category, sizeof(r->category));
    stmt_col_text(st, 2, r->grid_prefix, sizeof(r->grid_prefix));
    stmt_col_text(st, 3, r->department, sizeof(r->department));
    stmt_col_text(st, 4, r->note, sizeof(r->note));
}

STORE_EACH(route, store_route_rule, read_route)

wg_err store_route_put(store *s, const store_route_rule *r, int64_t *id)
{
    sqlite3_stmt *st = store_stmt(s, SQL_ROUTE_PUT);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, r->category, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, r->grid_prefix, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r->department, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, r->note, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && id)
        *id = sqlite3_column_int64(st, 0);
    stmt_done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? WG_OK : store_map_rc(rc);
}

wg_err store_route_delete(store *s, int64_t id)
{
    sqlite3_stmt *st = store_stmt(s, SQL_ROUTE_DEL);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    wg_err e = stmt_exec(st);
    return !e && sqlite3_changes(s->db) == 0 ? WG_ERR_NOT_FOUND : e;
}

wg_err store_route_matching(store *s, const char *category, const char *grid,
                            wg_err (*cb)(void *ctx, const store_route_rule *r), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_ROUTE_MATCH);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, category, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, grid, -1, SQLITE_TRANSIENT);
    return stmt_each(st, route_row, &(route_each){cb, ctx});
}

wg_err store_route_list(store *s, wg_err (*cb)(void *ctx, const store_route_rule *r), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_ROUTE_LIST);
    return st ? stmt_each(st, route_row, &(route_each){cb, ctx}) : WG_ERR_STORE;
}
