/*
 * store_ledgers.c - ledger kinds, entries and their history in SQLite.
 */
#include "store/store.h"
#include "store/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_KIND_PUT[] =
    "INSERT INTO ledger_kinds (code, name, spec, updated_at) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (code) DO UPDATE SET name = excluded.name, spec = excluded.spec,"
    " updated_at = excluded.updated_at";
static const char SQL_KIND_GET[] = "SELECT spec FROM ledger_kinds WHERE code = ?1";
static const char SQL_KINDS[] = "SELECT code, name, spec FROM ledger_kinds ORDER BY code";

#define RECORD_COLS                                                                                \
    "id, kind, grid, owner_unit, owner_person, status, data, coalesce(due_at, 0),"                 \
    " coalesce(done_at, 0), visits, created_by, created_at, updated_at, version"

static const char SQL_RECORD_INSERT[] =
    "INSERT INTO records (kind, grid, owner_unit, owner_person, status, data, due_at, done_at,"
    " visits, created_by, created_at, updated_at, version)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, 0), nullif(?8, 0), ?9, ?10, ?11, ?12, 1)";
static const char SQL_RECORD_GET[] = "SELECT " RECORD_COLS " FROM records WHERE id = ?1";
static const char SQL_RECORD_UPDATE[] =
    "UPDATE records SET grid = ?2, owner_unit = ?3, owner_person = ?4, status = ?5, data = ?6,"
    " due_at = nullif(?7, 0), done_at = nullif(?8, 0), visits = ?9, updated_at = ?10,"
    " version = ?11 WHERE id = ?1 AND version = ?11 - 1";
static const char SQL_RECORD_LIST[] =
    "SELECT " RECORD_COLS " FROM records WHERE kind = ?1"
    " AND (?2 = 1 OR EXISTS (SELECT 1 FROM json_each(?3) p"
    "      WHERE grid >= p.value AND grid < p.value || char(127)))"
    " AND (?4 IS NULL OR status = ?4)"
    " AND (?5 IS NULL OR (grid >= ?5 AND grid < ?5 || char(127)))"
    " AND (?6 = 0 OR (done_at IS NULL AND due_at IS NOT NULL AND due_at < ?7))"
    " AND (?8 = 0 OR id < ?8)"
    " AND (?10 IS NULL OR instr(owner_unit, ?10) > 0 OR EXISTS (SELECT 1 FROM json_each(data) d"
    "      WHERE d.type = 'text' AND instr(d.value, ?10) > 0))"
    " ORDER BY id DESC LIMIT ?9";
static const char SQL_EVENT_ADD[] =
    "INSERT INTO record_history (record_id, at, actor, action, from_status, to_status, note, data)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_EVENTS[] =
    "SELECT id, record_id, at, actor, action, from_status, to_status, note, data"
    " FROM record_history WHERE record_id = ?1 ORDER BY id";
static const char SQL_AGG[] =
    "SELECT count(*), coalesce(sum(json_extract(data, ?12)), 0) FROM records"
    " WHERE kind = ?1 AND created_at >= ?2 AND created_at < ?3"
    " AND (?4 = '' OR (grid >= ?4 AND grid < ?4 || char(127)))"
    " AND (?5 IS NULL OR status IN (SELECT value FROM json_each(?5)))"
    " AND (?6 IS NULL OR json_extract(data, ?6) = ?7)"
    " AND (?8 = 0 OR (done_at IS NOT NULL AND due_at IS NOT NULL AND done_at <= due_at))"
    " AND (?9 = 0 OR (done_at IS NULL AND due_at IS NOT NULL AND due_at < ?10))"
    " AND (?11 = 0 OR visits > 0)";

wg_err store_ledger_kind_put(store *s, const char *code, const char *name, const char *spec,
                             int64_t now)
{
    sqlite3_stmt *st = store_stmt(s, SQL_KIND_PUT);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, spec, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    return stmt_exec(st);
}

wg_err store_ledger_kind_get(store *s, const char *code, char **spec)
{
    sqlite3_stmt *st = store_stmt(s, SQL_KIND_GET);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    wg_err e = WG_OK;
    if (rc == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (!(*spec = strdup(v ? v : "")))
            e = WG_ERR_NOMEM;
    } else {
        e = rc == SQLITE_DONE ? WG_ERR_NOT_FOUND : store_map_rc(rc);
    }
    stmt_done(st);
    return e;
}

wg_err store_ledger_kinds(store *s,
                          wg_err (*cb)(void *ctx, const char *code, const char *name,
                                       const char *spec),
                          void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_KINDS);
    if (!st)
        return WG_ERR_STORE;
    int rc = SQLITE_DONE;
    wg_err e = WG_OK;
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW)
        e = cb(ctx, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2));
    if (!e && rc != SQLITE_DONE)
        e = store_map_rc(rc);
    stmt_done(st);
    return e;
}

static void read_record(sqlite3_stmt *st, store_record *r)
{
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(st, 0);
    stmt_col_text(st, 1, r->kind, sizeof(r->kind));
    stmt_col_text(st, 2, r->grid, sizeof(r->grid));
    stmt_col_text(st, 3, r->owner_unit, sizeof(r->owner_unit));
    stmt_col_text(st, 4, r->owner_person, sizeof(r->owner_person));
    stmt_col_text(st, 5, r->status, sizeof(r->status));
    stmt_col_text(st, 6, r->data, sizeof(r->data));
    r->due_at = sqlite3_column_int64(st, 7);
    r->done_at = sqlite3_column_int64(st, 8);
    r->visits = sqlite3_column_int(st, 9);
    stmt_col_text(st, 10, r->created_by, sizeof(r->created_by));
    r->created_at = sqlite3_column_int64(st, 11);
    r->updated_at = sqlite3_column_int64(st, 12);
    r->version = sqlite3_column_int64(st, 13);
}

static void read_record_v(sqlite3_stmt *st, void *out)
{
    read_record(st, out);
}

STORE_EACH(record, store_record, read_record)

wg_err store_record_insert(store *s, store_record *r)
{
    sqlite3_stmt *st = store_stmt(s, SQL_RECORD_INSERT);
    if (!st)
        return WG_ERR_STORE;
    const char *t[] = {r->kind, r->grid, r->owner_unit, r->owner_person, r->status, r->data};
    for (int i = 0; i < 6; i++)
        sqlite3_bind_text(st, i + 1, t[i], -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, r->due_at);
    sqlite3_bind_int64(st, 8, r->done_at);
    sqlite3_bind_int(st, 9, r->visits);
    sqlite3_bind_text(st, 10, r->created_by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 11, r->created_at);
    sqlite3_bind_int64(st, 12, r->updated_at);
    wg_err e = stmt_exec(st);
    if (!e) {
        r->id = sqlite3_last_insert_rowid(sqlite3_db_handle(st));
        r->version = 1;
    }
    return e;
}

wg_err store_record_get(store *s, int64_t id, store_record *out)
{
    sqlite3_stmt *st = store_stmt(s, SQL_RECORD_GET);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    return stmt_one(st, read_record_v, out);
}

wg_err store_record_update(store *s, const store_record *r)
{
    sqlite3_stmt *st = store_stmt(s, SQL_RECORD_UPDATE);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, r->id);
    const char *t[] = {r->grid, r->owner_unit, r->owner_person, r->status, r->data};
    for (int i = 0; i < 5; i++)
        sqlite3_bind_text(st, i + 2, t[i], -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, r->due_at);
    sqlite3_bind_int64(st, 8, r->done_at);
    sqlite3_bind_int(st, 9, r->visits);
    sqlite3_bind_int64(st, 10, r->updated_at);
    sqlite3_bind_int64(st, 11, r->version);
    wg_err e = stmt_exec(st);
    if (!e && sqlite3_changes(sqlite3_db_handle(st)) == 0)
        e = WG_ERR_PRECONDITION;
    return e;
}

wg_err store_record_list(store *s, const store_record_filter *f,
                         wg_err (*cb)(void *ctx, const store_record *r), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_RECORD_LIST);
    if (!st)
        return WG_ERR_STORE;
    /* The grid scopes as a JSON array of strings (codes: digits only). */
    char scopes[1024] = "[";
    size_t n = 1;
    for (int i = 0; i < f->ngrid && n + STORE_GRID_CODE_MAX + 4 < sizeof(scopes); i++)
        n += (size_t)snprintf(scopes + n, sizeof(scopes) - n, "%s\"%s\"", i ? "," : "",
                              f->grid_prefixes[i]);
    snprintf(scopes + n, sizeof(scopes) - n, "]");
    sqlite3_bind_text(st, 1, f->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, f->all);
    sqlite3_bind_text(st, 3, scopes, -1, SQLITE_TRANSIENT);
    stmt_bind_text(st, 4, f->status);
    stmt_bind_text(st, 5, f->grid);
    sqlite3_bind_int(st, 6, f->overdue == 1);
    sqlite3_bind_int64(st, 7, f->now);
    sqlite3_bind_int64(st, 8, f->before_id);
    sqlite3_bind_int(st, 9, f->limit > 0 ? f->limit : 50);
    stmt_bind_text(st, 10, f->text && *f->text ? f->text : NULL);
    return stmt_each(st, record_row, &(record_each){cb, ctx});
}

wg_err store_record_event_add(store *s, store_event *ev)
{
    return store_event_insert(s, SQL_EVENT_ADD, ev);
}

wg_err store_record_events(store *s, int64_t record_id,
                           wg_err (*cb)(void *ctx, const store_event *ev), void *ctx)
{
    return store_events_of(s, SQL_EVENTS, record_id, cb, ctx);
}

wg_err store_record_aggregate(store *s, const store_record_agg *q, int64_t *count, double *sum)
{
    sqlite3_stmt *st = store_stmt(s, SQL_AGG);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, q->kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, q->from);
    sqlite3_bind_int64(st, 3, q->to);
    sqlite3_bind_text(st, 4, q->grid_prefix ? q->grid_prefix : "", -1, SQLITE_TRANSIENT);
    stmt_bind_text(st, 5, q->statuses_json);
    stmt_bind_text(st, 6, q->field_path);
    if (q->field_text)
        sqlite3_bind_text(st, 7, q->field_text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(st, 7, q->field_int);
    sqlite3_bind_int(st, 8, q->on_time);
    sqlite3_bind_int(st, 9, q->overdue);
    sqlite3_bind_int64(st, 10, q->now);
    sqlite3_bind_int(st, 11, q->visited);
    stmt_bind_text(st, 12, q->sum_path);
    int rc = sqlite3_step(st);
    wg_err e = WG_OK;
    if (rc == SQLITE_ROW) {
        *count = sqlite3_column_int64(st, 0);
        *sum = sqlite3_column_double(st, 1);
    } else {
        e = store_map_rc(rc);
    }
    stmt_done(st);
    return e;
}
