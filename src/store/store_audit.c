/*
 * store_audit.c - the audit log rows. The hash chain itself is computed in
 * core/audit.c; this file only reads and appends rows.
 */
#include "store/store_internal.h"

#include <string.h>

static const char SQL_AUDIT_LAST[] = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1";
static const char SQL_AUDIT_INSERT[] =
    "INSERT INTO audit_log (id, at, actor_id, actor, action, resource, request_id, client_addr,"
    " detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
/* Each filter is "unset or matches"; action ending in '*' is a prefix. */
static const char SQL_AUDIT_SCAN[] =
    "SELECT id, at, coalesce(actor_id, 0), actor, action, resource, request_id, client_addr,"
    " detail, prev_hash, hash FROM audit_log"
    " WHERE id > ?1"
    "   AND (?2 IS NULL OR actor = ?2)"
    "   AND (?3 IS NULL OR action = ?3 OR (substr(?3, -1) = '*'"
    "        AND substr(action, 1, length(?3) - 1) = substr(?3, 1, length(?3) - 1)))"
    "   AND (?4 IS NULL OR at >= ?4)"
    "   AND (?5 IS NULL OR at < ?5)"
    " ORDER BY id LIMIT ?6";

wg_err store_audit_last(store *s, int64_t *id, char hash[65])
{
    sqlite3_stmt *st = store_stmt(s, SQL_AUDIT_LAST);
    if (!st)
        return WG_ERR_STORE;
    int rc = sqlite3_step(st);
    *id = 0;
    hash[0] = '\0';
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        stmt_col_text(st, 1, hash, 65);
    }
    stmt_done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? WG_OK : store_map_rc(rc);
}

wg_err store_audit_insert(store *s, const store_audit_row *r)
{
    sqlite3_stmt *st = store_stmt(s, SQL_AUDIT_INSERT);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_text(st, 2, r->at, -1, SQLITE_TRANSIENT);
    if (r->actor_id)
        sqlite3_bind_int64(st, 3, r->actor_id);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_text(st, 4, r->actor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, r->action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, r->resource, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, r->request_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, r->client_addr, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, r->detail, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, r->prev_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 11, r->hash, -1, SQLITE_TRANSIENT);
    return stmt_exec(st);
}

static void read_audit(sqlite3_stmt *st, store_audit_row *r)
{
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(st, 0);
    stmt_col_text(st, 1, r->at, sizeof(r->at));
    r->actor_id = sqlite3_column_int64(st, 2);
    stmt_col_text(st, 3, r->actor, sizeof(r->actor));
    stmt_col_text(st, 4, r->action, sizeof(r->action));
    stmt_col_text(st, 5, r->resource, sizeof(r->resource));
    stmt_col_text(st, 6, r->request_id, sizeof(r->request_id));
    stmt_col_text(st, 7, r->client_addr, sizeof(r->client_addr));
    stmt_col_text(st, 8, r->detail, sizeof(r->detail));
    stmt_col_text(st, 9, r->prev_hash, sizeof(r->prev_hash));
    stmt_col_text(st, 10, r->hash, sizeof(r->hash));
}

STORE_EACH(audit, store_audit_row, read_audit)

wg_err store_audit_scan(store *s, const store_audit_filter *f,
                        wg_err (*cb)(void *ctx, const store_audit_row *r), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_AUDIT_SCAN);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, f->after_id);
    stmt_bind_text(st, 2, f->actor);
    stmt_bind_text(st, 3, f->action);
    stmt_bind_text(st, 4, f->from);
    stmt_bind_text(st, 5, f->to);
    sqlite3_bind_int64(st, 6, f->limit > 0 ? f->limit : -1);
    return stmt_each(st, audit_row, &(audit_each){cb, ctx});
}
