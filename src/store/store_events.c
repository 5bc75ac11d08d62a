/*
 * store_events.c - append-only history rows (store_event), the same for
 * every table of them: case_history (store_cases.c) and record_history
 * (store_ledgers.c) each pass their own two statements.
 */
#include "store/store_internal.h"

#include <string.h>

wg_err store_event_insert(store *s, const char *sql, store_event *ev)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, ev->record_id);
    sqlite3_bind_int64(st, 2, ev->at);
    const char *t[] = {ev->actor,     ev->action, ev->from_status,
                       ev->to_status, ev->note,   ev->data[0] ? ev->data : "{}"};
    for (int i = 0; i < 6; i++)
        sqlite3_bind_text(st, 3 + i, t[i], -1, SQLITE_TRANSIENT);
    wg_err e = stmt_exec(st);
    if (!e)
        ev->id = sqlite3_last_insert_rowid(sqlite3_db_handle(st));
    return e;
}

static void read_event(sqlite3_stmt *st, store_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->id = sqlite3_column_int64(st, 0);
    ev->record_id = sqlite3_column_int64(st, 1);
    ev->at = sqlite3_column_int64(st, 2);
    stmt_col_text(st, 3, ev->actor, sizeof(ev->actor));
    stmt_col_text(st, 4, ev->action, sizeof(ev->action));
    stmt_col_text(st, 5, ev->from_status, sizeof(ev->from_status));
    stmt_col_text(st, 6, ev->to_status, sizeof(ev->to_status));
    stmt_col_text(st, 7, ev->note, sizeof(ev->note));
    stmt_col_text(st, 8, ev->data, sizeof(ev->data));
}

STORE_EACH(event, store_event, read_event)

wg_err store_events_of(store *s, const char *sql, int64_t record_id,
                       wg_err (*cb)(void *ctx, const store_event *ev), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, record_id);
    return stmt_each(st, event_row, &(event_each){cb, ctx});
}
