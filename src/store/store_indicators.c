/*
 * store_indicators.c - indicators, targets and values in SQLite.
 */
#include "store/store.h"
#include "store/store_internal.h"

#include <string.h>

#define IND_COLS                                                                                   \
    "code, name, unit, period, direction, cumulate, source, position, note, updated_at, section"
#define VAL_COLS "id, code, period, value, source_note, reason, entered_by, entered_at"

static const char SQL_IND_PUT[] =
    "INSERT INTO indicators (" IND_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit = excluded.unit,"
    " period = excluded.period, direction = excluded.direction, cumulate = excluded.cumulate,"
    " source = excluded.source, position = excluded.position, note = excluded.note,"
    " updated_at = excluded.updated_at, section = excluded.section";
static const char SQL_IND_GET[] = "SELECT " IND_COLS " FROM indicators WHERE code = ?1";
static const char SQL_INDS[] = "SELECT " IND_COLS " FROM indicators ORDER BY position, code";
static const char SQL_TARGET_PUT[] =
    "INSERT INTO indicator_targets (code, year, target) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (code, year) DO UPDATE SET target = excluded.target";
static const char SQL_TARGET_GET[] =
    "SELECT target FROM indicator_targets WHERE code = ?1 AND year = ?2";
static const char SQL_VAL_ADD[] =
    "INSERT INTO indicator_values (code, period, value, source_note, reason, entered_by,"
    " entered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_VALS[] =
    "SELECT " VAL_COLS " FROM indicator_values v WHERE code = ?1 AND period >= ?2"
    " AND period < ?2 || char(127) AND id = (SELECT max(id) FROM indicator_values w"
    " WHERE w.code = v.code AND w.period = v.period) ORDER BY period";
static const char SQL_PERIOD_ROWS[] =
    "SELECT " VAL_COLS " FROM indicator_values WHERE code = ?1 AND period = ?2 ORDER BY id";

static void read_ind(sqlite3_stmt *st, store_indicator *d)
{
    memset(d, 0, sizeof(*d));
    char *t[] = {d->code, d->name, d->unit, d->period, d->direction, d->cumulate, d->source};
    size_t c[] = {sizeof(d->code),      sizeof(d->name),     sizeof(d->unit),  sizeof(d->period),
                  sizeof(d->direction), sizeof(d->cumulate), sizeof(d->source)};
    for (int i = 0; i < 7; i++)
        stmt_col_text(st, i, t[i], c[i]);
    d->position = sqlite3_column_int(st, 7);
    stmt_col_text(st, 8, d->note, sizeof(d->note));
    d->updated_at = sqlite3_column_int64(st, 9);
    stmt_col_text(st, 10, d->section, sizeof(d->section));
}

static void read_ind_v(sqlite3_stmt *st, void *out)
{
    read_ind(st, out);
}

STORE_EACH(ind, store_indicator, read_ind)

static void read_val(sqlite3_stmt *st, store_indicator_value *v)
{
    memset(v, 0, sizeof(*v));
    v->id = sqlite3_column_int64(st, 0);
    stmt_col_text(st, 1, v->code, sizeof(v->code));
    stmt_col_text(st, 2, v->period, sizeof(v->period));
    v->value = sqlite3_column_double(st, 3);
    stmt_col_text(st, 4, v->source_note, sizeof(v->source_note));
    stmt_col_text(st, 5, v->reason, sizeof(v->reason));
    stmt_col_text(st, 6, v->entered_by, sizeof(v->entered_by));
    v->entered_at = sqlite3_column_int64(st, 7);
}

STORE_EACH(val, store_indicator_value, read_val)

wg_err store_indicator_put(store *s, const store_indicator *d)
{
    sqlite3_stmt *st = store_stmt(s, SQL_IND_PUT);
    if (!st)
        return WG_ERR_STORE;
    const char *t[] = {d->code, d->name, d->unit, d->period, d->direction, d->cumulate, d->source};
    for (int i = 0; i < 7; i++)
        sqlite3_bind_text(st, i + 1, t[i], -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 8, d->position);
    sqlite3_bind_text(st, 9, d->note, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 10, d->updated_at);
    sqlite3_bind_text(st, 11, d->section, -1, SQLITE_TRANSIENT);
    return stmt_exec(st);
}

wg_err store_indicator_get(store *s, const char *code, store_indicator *out)
{
    return store_get_one(s, SQL_IND_GET, code, read_ind_v, out);
}

wg_err store_indicators(store *s, wg_err (*cb)(void *ctx, const store_indicator *d), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_INDS);
    return st ? stmt_each(st, ind_row, &(ind_each){cb, ctx}) : WG_ERR_STORE;
}

wg_err store_indicator_target_put(store *s, const char *code, int year, double target)
{
    sqlite3_stmt *st = store_stmt(s, SQL_TARGET_PUT);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, year);
    sqlite3_bind_double(st, 3, target);
    return stmt_exec(st);
}

wg_err store_indicator_target(store *s, const char *code, int year, double *target)
{
    sqlite3_stmt *st = store_stmt(s, SQL_TARGET_GET);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, year);
    int rc = sqlite3_step(st);
    wg_err e = WG_OK;
    if (rc == SQLITE_ROW)
        *target = sqlite3_column_double(st, 0);
    else
        e = rc == SQLITE_DONE ? WG_ERR_NOT_FOUND : store_map_rc(rc);
    stmt_done(st);
    return e;
}

wg_err store_indicator_value_add(store *s, store_indicator_value *v)
{
    sqlite3_stmt *st = store_stmt(s, SQL_VAL_ADD);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, v->code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, v->period, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(st, 3, v->value);
    sqlite3_bind_text(st, 4, v->source_note, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, v->reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, v->entered_by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, v->entered_at);
    wg_err e = stmt_exec(st);
    if (!e)
        v->id = sqlite3_last_insert_rowid(sqlite3_db_handle(st));
    return e;
}

wg_err store_indicator_values(store *s, const char *code, const char *prefix,
                              wg_err (*cb)(void *ctx, const store_indicator_value *v), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_VALS);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, prefix, -1, SQLITE_TRANSIENT);
    return stmt_each(st, val_row, &(val_each){cb, ctx});
}

wg_err store_indicator_period_rows(store *s, const char *code, const char *period,
                                   wg_err (*cb)(void *ctx, const store_indicator_value *v),
                                   void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_PERIOD_ROWS);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, period, -1, SQLITE_TRANSIENT);
    return stmt_each(st, val_row, &(val_each){cb, ctx});
}
