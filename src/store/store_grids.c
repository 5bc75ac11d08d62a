/*
 * store_grids.c - divisions, grids, grid staff and "1+3+N" parties.
 */
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

static const char SQL_DIV_PUT[] =
    "INSERT INTO divisions (code, name, level, parent) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,"
    " parent = excluded.parent";
static const char SQL_DIV_GET[] = "SELECT code, name, level, coalesce(parent, '') FROM divisions"
                                  " WHERE code = ?1";
static const char SQL_DIV_COUNT[] = "SELECT count(*) FROM divisions";

#define GRID_COLS                                                                                 \
    "code, name, level, coalesce(parent, ''), coalesce(division_code, ''), kind, households,"    \
    " area_m2, min_lon, min_lat, max_lon, max_lat, created_at, updated_at"
static const char SQL_GRID_INSERT[] =
    "INSERT INTO grids (code, name, level, parent, division_code, kind, households, geometry,"
    " area_m2, min_lon, min_lat, max_lon, max_lat, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, nullif(?4, ''), nullif(?5, ''), ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
    " ?14, ?15)";
static const char SQL_GRID_UPDATE[] =
    "UPDATE grids SET name = ?2, level = ?3, parent = nullif(?4, ''),"
    " division_code = nullif(?5, ''), kind = ?6, households = ?7, geometry = ?8, area_m2 = ?9,"
    " min_lon = ?10, min_lat = ?11, max_lon = ?12, max_lat = ?13, updated_at = ?15"
    " WHERE code = ?1";
static const char SQL_GRID_DELETE[] = "DELETE FROM grids WHERE code = ?1";
static const char SQL_GRID_GET[] = "SELECT " GRID_COLS ", NULL FROM grids WHERE code = ?1";
static const char SQL_GRID_GET_GEOM[] = "SELECT " GRID_COLS ", geometry FROM grids WHERE code = ?1";
#define LEVEL_ORDER                                                                               \
    " ORDER BY CASE level WHEN 'l1' THEN 1 WHEN 'l2' THEN 2 WHEN 'l3' THEN 3 WHEN 'micro' THEN 4" \
    " ELSE 5 END, code"
static const char SQL_GRID_ALL[] = "SELECT " GRID_COLS ", NULL FROM grids" LEVEL_ORDER;
static const char SQL_GRID_ALL_GEOM[] = "SELECT " GRID_COLS ", geometry FROM grids" LEVEL_ORDER;
static const char SQL_GRID_CHILDREN[] =
    "SELECT " GRID_COLS ", NULL FROM grids WHERE parent = ?1" LEVEL_ORDER;
static const char SQL_GRID_CHILDREN_GEOM[] =
    "SELECT " GRID_COLS ", geometry FROM grids WHERE parent = ?1" LEVEL_ORDER;
/* A prefix range that uses the primary key: code >= p AND code < p || x'7f'. */
static const char SQL_GRID_SUBTREE[] = "SELECT " GRID_COLS ", NULL FROM grids"
                                       " WHERE code >= ?1 AND code < ?1 || char(127)" LEVEL_ORDER;
static const char SQL_GRID_SUBTREE_GEOM[] =
    "SELECT " GRID_COLS ", geometry FROM grids WHERE code >= ?1 AND code < ?1 || char(127)"
    LEVEL_ORDER;
static const char SQL_GRID_NCHILD[] = "SELECT count(*) FROM grids WHERE parent = ?1";
static const char SQL_GRIDS_VERSION[] =
    "SELECT count(*), coalesce(max(updated_at), '') FROM grids";

static const char SQL_STAFF_DEL[] = "DELETE FROM grid_staff WHERE grid_code = ?1";
static const char SQL_STAFF_INS[] =
    "INSERT INTO grid_staff (grid_code, role, name, phone_sealed, phone_bidx, phone_masked,"
    " user_login) VALUES (?1, ?2, ?3, ?4, nullif(?5, ''), nullif(?6, ''), nullif(?7, ''))";
static const char SQL_STAFF_LIST[] =
    "SELECT id, grid_code, role, name, phone_sealed, coalesce(phone_bidx, ''),"
    " coalesce(phone_masked, ''), coalesce(user_login, '') FROM grid_staff WHERE grid_code = ?1"
    " ORDER BY CASE role WHEN 'grid_chief' THEN 1 WHEN 'grid_member' THEN 2 ELSE 3 END, id";
static const char SQL_PARTY_DEL[] = "DELETE FROM grid_parties WHERE grid_code = ?1";
static const char SQL_PARTY_INS[] =
    "INSERT INTO grid_parties (grid_code, role, force_type, name, contact)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_PARTY_LIST[] =
    "SELECT id, grid_code, role, force_type, name, contact FROM grid_parties WHERE grid_code = ?1"
    " ORDER BY CASE role WHEN 'lead_party_org' THEN 1 WHEN 'grid_duty' THEN 2"
    " WHEN 'community_duty' THEN 3 WHEN 'property_duty' THEN 4 ELSE 5 END, id";

/* ---- divisions ---- */

wg_err store_division_put(store *s, const store_division *d)
{
    sqlite3_stmt *st = store_stmt(s, SQL_DIV_PUT);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, d->code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, d->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, d->level, -1, SQLITE_TRANSIENT);
    stmt_bind_text(st, 4, d->parent[0] ? d->parent : NULL);
    return stmt_exec(st);
}

static void read_division(sqlite3_stmt *st, void *p)
{
    store_division *out = p;
    stmt_col_text(st, 0, out->code, sizeof(out->code));
    stmt_col_text(st, 1, out->name, sizeof(out->name));
    stmt_col_text(st, 2, out->level, sizeof(out->level));
    stmt_col_text(st, 3, out->parent, sizeof(out->parent));
}

wg_err store_division_get(store *s, const char *code, store_division *out)
{
    return store_get_one(s, SQL_DIV_GET, code, read_division, out);
}

wg_err store_division_count(store *s, int64_t *n)
{
    return store_query_i64(s, SQL_DIV_COUNT, n);
}

/* ---- grids ---- */

static void bind_grid(sqlite3_stmt *st, const store_grid *g)
{
    sqlite3_bind_text(st, 1, g->code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, g->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, g->level, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, g->parent, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, g->division_code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, g->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, g->households);
    sqlite3_bind_text(st, 8, g->geometry, (int)g->geometry_len, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 9, g->area_m2);
    sqlite3_bind_double(st, 10, g->min_lon);
    sqlite3_bind_double(st, 11, g->min_lat);
    sqlite3_bind_double(st, 12, g->max_lon);
    sqlite3_bind_double(st, 13, g->max_lat);
    sqlite3_bind_text(st, 14, g->created_at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 15, g->updated_at, -1, SQLITE_TRANSIENT);
}

wg_err store_grid_insert(store *s, const store_grid *g)
{
    sqlite3_stmt *st = store_stmt(s, SQL_GRID_INSERT);
    if (!st)
        return WG_ERR_STORE;
    bind_grid(st, g);
    return stmt_exec(st);
}

wg_err store_grid_update(store *s, const store_grid *g)
{
    sqlite3_stmt *st = store_stmt(s, SQL_GRID_UPDATE);
    if (!st)
        return WG_ERR_STORE;
    bind_grid(st, g);
    wg_err e = stmt_exec(st);
    if (!e && sqlite3_changes(s->db) == 0)
        e = WG_ERR_NOT_FOUND;
    return e;
}

wg_err store_grid_delete(store *s, const char *code)
{
    int64_t n = 0;
    wg_err e = store_grid_count_children(s, code, &n);
    if (e)
        return e;
    if (n)
        return WG_ERR_CONFLICT;
    sqlite3_stmt *st = store_stmt(s, SQL_GRID_DELETE);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    e = stmt_exec(st);
    if (!e && sqlite3_changes(s->db) == 0)
        e = WG_ERR_NOT_FOUND;
    return e;
}

/* Read the GRID_COLS (+ geometry at column 14) of the current row. The
 * geometry pointer is SQLite's and lives until the next step. */
static void read_grid(sqlite3_stmt *st, store_grid *g)
{
    memset(g, 0, sizeof(*g));
    stmt_col_text(st, 0, g->code, sizeof(g->code));
    stmt_col_text(st, 1, g->name, sizeof(g->name));
    stmt_col_text(st, 2, g->level, sizeof(g->level));
    stmt_col_text(st, 3, g->parent, sizeof(g->parent));
    stmt_col_text(st, 4, g->division_code, sizeof(g->division_code));
    stmt_col_text(st, 5, g->kind, sizeof(g->kind));
    g->households = sqlite3_column_int64(st, 6);
    g->area_m2 = sqlite3_column_double(st, 7);
    g->min_lon = sqlite3_column_double(st, 8);
    g->min_lat = sqlite3_column_double(st, 9);
    g->max_lon = sqlite3_column_double(st, 10);
    g->max_lat = sqlite3_column_double(st, 11);
    stmt_col_text(st, 12, g->created_at, sizeof(g->created_at));
    stmt_col_text(st, 13, g->updated_at, sizeof(g->updated_at));
    g->geometry = (const char *)sqlite3_column_text(st, 14);
    g->geometry_len = (size_t)sqlite3_column_bytes(st, 14);
}

wg_err store_grid_get(store *s, const char *code, bool with_geometry, store_grid *out)
{
    sqlite3_stmt *st = store_stmt(s, with_geometry ? SQL_GRID_GET_GEOM : SQL_GRID_GET);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    wg_err e = WG_OK;
    if (rc == SQLITE_ROW) {
        read_grid(st, out);
        if (with_geometry) {
            char *copy = malloc(out->geometry_len + 1);
            if (copy) {
                memcpy(copy, out->geometry ? out->geometry : "", out->geometry_len);
                copy[out->geometry_len] = '\0';
            } else {
                e = WG_ERR_NOMEM;
            }
            out->geometry = copy;
        }
    } else {
        e = rc == SQLITE_DONE ? WG_ERR_NOT_FOUND : store_map_rc(rc);
    }
    stmt_done(st);
    return e;
}

STORE_EACH(grid, store_grid, read_grid)

static wg_err scan(sqlite3_stmt *st, wg_err (*cb)(void *ctx, const store_grid *g), void *ctx)
{
    return stmt_each(st, grid_row, &(grid_each){cb, ctx});
}

wg_err store_grid_scan(store *s, const char *parent, bool with_geometry,
                       wg_err (*cb)(void *ctx, const store_grid *g), void *ctx)
{
    const char *sql = parent ? (with_geometry ? SQL_GRID_CHILDREN_GEOM : SQL_GRID_CHILDREN)
                             : (with_geometry ? SQL_GRID_ALL_GEOM : SQL_GRID_ALL);
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return WG_ERR_STORE;
    if (parent)
        sqlite3_bind_text(st, 1, parent, -1, SQLITE_TRANSIENT);
    return scan(st, cb, ctx);
}

wg_err store_grid_scan_subtree(store *s, const char *prefix, bool with_geometry,
                               wg_err (*cb)(void *ctx, const store_grid *g), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, with_geometry ? SQL_GRID_SUBTREE_GEOM : SQL_GRID_SUBTREE);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
    return scan(st, cb, ctx);
}

wg_err store_grid_count_children(store *s, const char *code, int64_t *n)
{
    sqlite3_stmt *st = store_stmt(s, SQL_GRID_NCHILD);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    stmt_done(st);
    return rc == SQLITE_ROW ? WG_OK : store_map_rc(rc);
}

wg_err store_grids_version(store *s, int64_t *v)
{
    /* SQLite's data_version changes on commits by other connections; the
     * count and newest update time catch this connection's own writes. */
    sqlite3_stmt *st = store_stmt(s, SQL_GRIDS_VERSION);
    if (!st)
        return WG_ERR_STORE;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        uint64_t h = 1469598103934665603ULL;
        const unsigned char *t = sqlite3_column_text(st, 1);
        for (; t && *t; t++)
            h = (h ^ *t) * 1099511628211ULL;
        *v = (int64_t)(h ^ (uint64_t)sqlite3_column_int64(st, 0));
    }
    stmt_done(st);
    return rc == SQLITE_ROW ? WG_OK : store_map_rc(rc);
}

/* ---- staff and parties ---- */

static wg_err delete_for(store *s, const char *sql, const char *grid)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, grid, -1, SQLITE_TRANSIENT);
    return stmt_exec(st);
}

wg_err store_grid_staff_replace(store *s, const char *grid, const store_grid_staff *x, int n)
{
    wg_err e = delete_for(s, SQL_STAFF_DEL, grid);
    sqlite3_stmt *st = store_stmt(s, SQL_STAFF_INS);
    if (!st)
        return WG_ERR_STORE;
    for (int i = 0; !e && i < n; i++) {
        sqlite3_bind_text(st, 1, grid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, x[i].role, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, x[i].name, -1, SQLITE_TRANSIENT);
        if (x[i].phone_sealed_len)
            sqlite3_bind_blob(st, 4, x[i].phone_sealed, (int)x[i].phone_sealed_len,
                              SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(st, 4);
        sqlite3_bind_text(st, 5, x[i].phone_bidx, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, x[i].phone_masked, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 7, x[i].user_login, -1, SQLITE_TRANSIENT);
        e = stmt_exec(st);
    }
    return e;
}

wg_err store_grid_parties_replace(store *s, const char *grid, const store_grid_party *p, int n)
{
    wg_err e = delete_for(s, SQL_PARTY_DEL, grid);
    sqlite3_stmt *st = store_stmt(s, SQL_PARTY_INS);
    if (!st)
        return WG_ERR_STORE;
    for (int i = 0; !e && i < n; i++) {
        sqlite3_bind_text(st, 1, grid, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, p[i].role, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, p[i].force_type, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, p[i].name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, p[i].contact, -1, SQLITE_TRANSIENT);
        e = stmt_exec(st);
    }
    return e;
}

static void read_staff(sqlite3_stmt *st, store_grid_staff *x)
{
    memset(x, 0, sizeof(*x));
    x->id = sqlite3_column_int64(st, 0);
    stmt_col_text(st, 1, x->grid_code, sizeof(x->grid_code));
    stmt_col_text(st, 2, x->role, sizeof(x->role));
    stmt_col_text(st, 3, x->name, sizeof(x->name));
    stmt_col_blob(st, 4, x->phone_sealed, sizeof(x->phone_sealed), &x->phone_sealed_len);
    stmt_col_text(st, 5, x->phone_bidx, sizeof(x->phone_bidx));
    stmt_col_text(st, 6, x->phone_masked, sizeof(x->phone_masked));
    stmt_col_text(st, 7, x->user_login, sizeof(x->user_login));
}

static void read_party(sqlite3_stmt *st, store_grid_party *p)
{
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(st, 0);
    stmt_col_text(st, 1, p->grid_code, sizeof(p->grid_code));
    stmt_col_text(st, 2, p->role, sizeof(p->role));
    stmt_col_text(st, 3, p->force_type, sizeof(p->force_type));
    stmt_col_text(st, 4, p->name, sizeof(p->name));
    stmt_col_text(st, 5, p->contact, sizeof(p->contact));
}

STORE_EACH(staff, store_grid_staff, read_staff)
STORE_EACH(party, store_grid_party, read_party)

wg_err store_grid_staff_list(store *s, const char *grid,
                             wg_err (*cb)(void *ctx, const store_grid_staff *x), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_STAFF_LIST);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, grid, -1, SQLITE_TRANSIENT);
    return stmt_each(st, staff_row, &(staff_each){cb, ctx});
}

wg_err store_grid_parties_list(store *s, const char *grid,
                               wg_err (*cb)(void *ctx, const store_grid_party *p), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_PARTY_LIST);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, grid, -1, SQLITE_TRANSIENT);
    return stmt_each(st, party_row, &(party_each){cb, ctx});
}
