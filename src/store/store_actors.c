/*
 * store_actors.c - users, role grants, sessions, API keys, departments.
 */
#include "store/store_internal.h"

#include <string.h>

static const char SQL_USER_INSERT[] =
    "INSERT INTO users (login, display_name, password_hash, phone_sealed, phone_bidx,"
    " phone_masked, disabled, id_sealed, id_bidx, id_masked, created_at, updated_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
static const char SQL_USER_UPDATE[] =
    "UPDATE users SET login = ?2, display_name = ?3, password_hash = ?4, phone_sealed = ?5,"
    " phone_bidx = ?6, phone_masked = ?7, disabled = ?8, id_sealed = ?9, id_bidx = ?10,"
    " id_masked = ?11, updated_at = ?12 WHERE id = ?1";
#define USER_COLS                                                                                 \
    "id, login, display_name, password_hash, phone_sealed, phone_bidx, phone_masked, disabled,"  \
    " created_at, updated_at, id_sealed, id_bidx, id_masked"
static const char SQL_USER_BY_LOGIN[] = "SELECT " USER_COLS " FROM users WHERE login = ?1";
static const char SQL_USER_BY_ID[] = "SELECT " USER_COLS " FROM users WHERE id = ?1";
static const char SQL_USER_LIST[] =
    "SELECT " USER_COLS " FROM users WHERE login > ?1 ORDER BY login LIMIT ?2";
static const char SQL_USER_COUNT[] = "SELECT count(*) FROM users";
static const char SQL_USER_BY_PHONE[] = "SELECT " USER_COLS " FROM users WHERE phone_bidx = ?1";
static const char SQL_USER_BY_ID_NUMBER[] = "SELECT " USER_COLS " FROM users WHERE id_bidx = ?1";

static const char SQL_GRANTS_GET[] =
    "SELECT role, scope_kind, scope FROM role_assignments WHERE user_id = ?1 ORDER BY id";
static const char SQL_GRANTS_DELETE[] = "DELETE FROM role_assignments WHERE user_id = ?1";
static const char SQL_GRANT_INSERT[] =
    "INSERT INTO role_assignments (user_id, role, scope_kind, scope) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT DO NOTHING";

static const char SQL_SESSION_INSERT[] =
    "INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen, expires_at,"
    " client_addr) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)";
static const char SQL_SESSION_GET[] =
    "SELECT id, user_id, created_at, last_seen, expires_at, revoked, csrf FROM sessions"
    " WHERE token_hash = ?1";
static const char SQL_SESSION_TOUCH[] = "UPDATE sessions SET last_seen = ?2 WHERE id = ?1";
static const char SQL_ACTOR_GENERATION[] = "SELECT n FROM actor_generation";
static const char SQL_GENERATIONS[] =
    "SELECT (SELECT n FROM actor_generation), (SELECT n FROM catalogue_generation)";
static const char SQL_SESSION_REVOKE[] = "UPDATE sessions SET revoked = 1 WHERE id = ?1";
static const char SQL_SESSIONS_REVOKE_USER[] =
    "UPDATE sessions SET revoked = 1 WHERE user_id = ?1 AND revoked = 0";

static const char SQL_APIKEY_INSERT[] =
    "INSERT INTO api_keys (key_hash, prefix, user_id, name, created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
#define APIKEY_COLS "id, user_id, created_at, coalesce(last_used, 0), revoked, prefix, name"
static const char SQL_APIKEY_GET[] = "SELECT " APIKEY_COLS " FROM api_keys WHERE key_hash = ?1";
static const char SQL_APIKEY_TOUCH[] = "UPDATE api_keys SET last_used = ?2 WHERE id = ?1";
static const char SQL_APIKEY_REVOKE[] =
    "UPDATE api_keys SET revoked = 1 WHERE id = ?2 AND user_id = ?1 AND revoked = 0";
static const char SQL_APIKEY_LIST[] =
    "SELECT " APIKEY_COLS " FROM api_keys WHERE user_id = ?1 ORDER BY id";

static const char SQL_DEPT_INSERT[] = "INSERT INTO departments (code, name, kind) VALUES (?1, ?2, ?3)";
static const char SQL_DEPT_GET[] = "SELECT id, code, name, kind FROM departments WHERE code = ?1";
static const char SQL_DEPT_LIST[] = "SELECT id, code, name, kind FROM departments ORDER BY code";

/* ---- users ---- */

static void bind_user(sqlite3_stmt *st, const store_user *u, int first)
{
    /* Columns in the order of SQL_USER_INSERT, starting at parameter first. */
    sqlite3_bind_text(st, first, u->login, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, first + 1, u->display_name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, first + 2, u->password_hash, -1, SQLITE_TRANSIENT);
    if (u->phone_sealed_len) {
        sqlite3_bind_blob(st, first + 3, u->phone_sealed, (int)u->phone_sealed_len,
                          SQLITE_TRANSIENT);
        sqlite3_bind_text(st, first + 4, u->phone_bidx, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, first + 5, u->phone_masked, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(st, first + 3);
        sqlite3_bind_null(st, first + 4);
        sqlite3_bind_null(st, first + 5);
    }
    sqlite3_bind_int(st, first + 6, u->disabled);
    if (u->id_sealed_len) {
        sqlite3_bind_blob(st, first + 7, u->id_sealed, (int)u->id_sealed_len, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, first + 8, u->id_bidx, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, first + 9, u->id_masked, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(st, first + 7);
        sqlite3_bind_null(st, first + 8);
        sqlite3_bind_null(st, first + 9);
    }
}

static void read_user(sqlite3_stmt *st, void *out)
{
    store_user *u = out;
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(st, 0);
    stmt_col_text(st, 1, u->login, sizeof(u->login));
    stmt_col_text(st, 2, u->display_name, sizeof(u->display_name));
    stmt_col_text(st, 3, u->password_hash, sizeof(u->password_hash));
    stmt_col_blob(st, 4, u->phone_sealed, sizeof(u->phone_sealed), &u->phone_sealed_len);
    stmt_col_text(st, 5, u->phone_bidx, sizeof(u->phone_bidx));
    stmt_col_text(st, 6, u->phone_masked, sizeof(u->phone_masked));
    u->disabled = sqlite3_column_int(st, 7) != 0;
    stmt_col_text(st, 8, u->created_at, sizeof(u->created_at));
    stmt_col_text(st, 9, u->updated_at, sizeof(u->updated_at));
    stmt_col_blob(st, 10, u->id_sealed, sizeof(u->id_sealed), &u->id_sealed_len);
    stmt_col_text(st, 11, u->id_bidx, sizeof(u->id_bidx));
    stmt_col_text(st, 12, u->id_masked, sizeof(u->id_masked));
}

STORE_EACH(user, store_user, read_user)

wg_err store_user_insert(store *s, const store_user *u, int64_t *id)
{
    sqlite3_stmt *st = store_stmt(s, SQL_USER_INSERT);
    if (!st)
        return WG_ERR_STORE;
    bind_user(st, u, 1);
    sqlite3_bind_text(st, 11, u->created_at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 12, u->updated_at, -1, SQLITE_TRANSIENT);
    wg_err e = stmt_exec(st);
    if (!e && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return e;
}

wg_err store_user_update(store *s, const store_user *u)
{
    sqlite3_stmt *st = store_stmt(s, SQL_USER_UPDATE);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, u->id);
    bind_user(st, u, 2);
    sqlite3_bind_text(st, 12, u->updated_at, -1, SQLITE_TRANSIENT);
    wg_err e = stmt_exec(st);
    if (!e && sqlite3_changes(s->db) == 0)
        e = WG_ERR_NOT_FOUND;
    return e;
}

static wg_err get_one_user(store *s, const char *sql, const char *login, int64_t id,
                           store_user *out)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return WG_ERR_STORE;
    if (login)
        sqlite3_bind_text(st, 1, login, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_int64(st, 1, id);
    return stmt_one(st, read_user, out);
}

wg_err store_user_get(store *s, const char *login, store_user *out)
{
    return get_one_user(s, SQL_USER_BY_LOGIN, login, 0, out);
}

wg_err store_user_get_by_id(store *s, int64_t id, store_user *out)
{
    return get_one_user(s, SQL_USER_BY_ID, NULL, id, out);
}

wg_err store_user_find_bidx(store *s, const char *what, const char *bidx, store_user *out)
{
    const char *sql = strcmp(what, "id") == 0 ? SQL_USER_BY_ID_NUMBER : SQL_USER_BY_PHONE;
    return get_one_user(s, sql, bidx, 0, out);
}

wg_err store_user_count(store *s, int64_t *n)
{
    return store_query_i64(s, SQL_USER_COUNT, n);
}

wg_err store_user_list(store *s, const char *after, int limit,
                       wg_err (*cb)(void *ctx, const store_user *u), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_USER_LIST);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, after ? after : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, limit);
    return stmt_each(st, user_row, &(user_each){cb, ctx});
}

/* ---- grants ---- */

wg_err store_grants_get(store *s, int64_t user_id, store_grant *out, int cap, int *n)
{
    sqlite3_stmt *st = store_stmt(s, SQL_GRANTS_GET);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, user_id);
    int rc, k = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && k < cap) {
        stmt_col_text(st, 0, out[k].role, sizeof(out[k].role));
        stmt_col_text(st, 1, out[k].scope_kind, sizeof(out[k].scope_kind));
        stmt_col_text(st, 2, out[k].scope, sizeof(out[k].scope));
        k++;
    }
    stmt_done(st);
    *n = k;
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? WG_OK : store_map_rc(rc);
}

wg_err store_grants_replace(store *s, int64_t user_id, const store_grant *g, int n)
{
    sqlite3_stmt *del = store_stmt(s, SQL_GRANTS_DELETE);
    sqlite3_stmt *ins = store_stmt(s, SQL_GRANT_INSERT);
    if (!del || !ins)
        return WG_ERR_STORE;
    sqlite3_bind_int64(del, 1, user_id);
    wg_err e = stmt_exec(del);
    for (int i = 0; !e && i < n; i++) {
        sqlite3_bind_int64(ins, 1, user_id);
        sqlite3_bind_text(ins, 2, g[i].role, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, g[i].scope_kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 4, g[i].scope, -1, SQLITE_TRANSIENT);
        e = stmt_exec(ins);
    }
    return e;
}

/* ---- sessions ---- */

wg_err store_session_insert(store *s, const char *token_hash, int64_t user_id, const char *csrf,
                            int64_t now, int64_t expires_at, const char *addr, int64_t *id)
{
    sqlite3_stmt *st = store_stmt(s, SQL_SESSION_INSERT);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_text(st, 3, csrf, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, expires_at);
    sqlite3_bind_text(st, 6, addr ? addr : "", -1, SQLITE_TRANSIENT);
    wg_err e = stmt_exec(st);
    if (!e && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return e;
}

static void read_session(sqlite3_stmt *st, void *p)
{
    store_session *out = p;
    out->id = sqlite3_column_int64(st, 0);
    out->user_id = sqlite3_column_int64(st, 1);
    out->created_at = sqlite3_column_int64(st, 2);
    out->last_seen = sqlite3_column_int64(st, 3);
    out->expires_at = sqlite3_column_int64(st, 4);
    out->revoked = sqlite3_column_int(st, 5) != 0;
    stmt_col_text(st, 6, out->csrf, sizeof(out->csrf));
}

wg_err store_session_get(store *s, const char *token_hash, store_session *out)
{
    return store_get_one(s, SQL_SESSION_GET, token_hash, read_session, out);
}

static wg_err exec_id_i64(store *s, const char *sql, int64_t a, int64_t b, bool two)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, a);
    if (two)
        sqlite3_bind_int64(st, 2, b);
    return stmt_exec(st);
}

/* Best effort, never waiting for the write lock: a read must not stall
 * behind someone else's transaction just to note the time. */
static wg_err touch(store *s, const char *sql, int64_t id, int64_t now)
{
    sqlite3_busy_timeout(s->db, 0);
    wg_err e = exec_id_i64(s, sql, id, now, true);
    sqlite3_busy_timeout(s->db, s->busy_timeout_ms);
    return e;
}

wg_err store_session_touch(store *s, int64_t id, int64_t now)
{
    return touch(s, SQL_SESSION_TOUCH, id, now);
}

wg_err store_session_revoke(store *s, int64_t id)
{
    return exec_id_i64(s, SQL_SESSION_REVOKE, id, 0, false);
}

wg_err store_sessions_revoke_user(store *s, int64_t user_id, int *n)
{
    wg_err e = exec_id_i64(s, SQL_SESSIONS_REVOKE_USER, user_id, 0, false);
    if (!e && n)
        *n = sqlite3_changes(s->db);
    return e;
}

/* ---- API keys ---- */

wg_err store_apikey_insert(store *s, const char *key_hash, const char *prefix, int64_t user_id,
                           const char *name, int64_t now, int64_t *id)
{
    sqlite3_stmt *st = store_stmt(s, SQL_APIKEY_INSERT);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, key_hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, prefix, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, user_id);
    sqlite3_bind_text(st, 4, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now);
    wg_err e = stmt_exec(st);
    if (!e && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return e;
}

static void read_apikey(sqlite3_stmt *st, void *out)
{
    store_apikey *k = out;
    memset(k, 0, sizeof(*k));
    k->id = sqlite3_column_int64(st, 0);
    k->user_id = sqlite3_column_int64(st, 1);
    k->created_at = sqlite3_column_int64(st, 2);
    k->last_used = sqlite3_column_int64(st, 3);
    k->revoked = sqlite3_column_int(st, 4) != 0;
    stmt_col_text(st, 5, k->prefix, sizeof(k->prefix));
    stmt_col_text(st, 6, k->name, sizeof(k->name));
}

STORE_EACH(apikey, store_apikey, read_apikey)

wg_err store_apikey_get(store *s, const char *key_hash, store_apikey *out)
{
    return store_get_one(s, SQL_APIKEY_GET, key_hash, read_apikey, out);
}

wg_err store_apikey_touch(store *s, int64_t id, int64_t now)
{
    return touch(s, SQL_APIKEY_TOUCH, id, now);
}

wg_err store_apikey_revoke(store *s, int64_t user_id, int64_t id)
{
    wg_err e = exec_id_i64(s, SQL_APIKEY_REVOKE, user_id, id, true);
    if (!e && sqlite3_changes(s->db) == 0)
        e = WG_ERR_NOT_FOUND;
    return e;
}

wg_err store_apikey_list(store *s, int64_t user_id,
                         wg_err (*cb)(void *ctx, const store_apikey *k), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_APIKEY_LIST);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, user_id);
    return stmt_each(st, apikey_row, &(apikey_each){cb, ctx});
}

/* ---- departments ---- */

wg_err store_department_insert(store *s, const store_department *d, int64_t *id)
{
    sqlite3_stmt *st = store_stmt(s, SQL_DEPT_INSERT);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, d->code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, d->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, d->kind, -1, SQLITE_TRANSIENT);
    wg_err e = stmt_exec(st);
    if (!e && id)
        *id = sqlite3_last_insert_rowid(s->db);
    return e;
}

static void read_dept(sqlite3_stmt *st, void *out)
{
    store_department *d = out;
    d->id = sqlite3_column_int64(st, 0);
    stmt_col_text(st, 1, d->code, sizeof(d->code));
    stmt_col_text(st, 2, d->name, sizeof(d->name));
    stmt_col_text(st, 3, d->kind, sizeof(d->kind));
}

STORE_EACH(dept, store_department, read_dept)

wg_err store_department_get(store *s, const char *code, store_department *out)
{
    return store_get_one(s, SQL_DEPT_GET, code, read_dept, out);
}

wg_err store_department_list(store *s, wg_err (*cb)(void *ctx, const store_department *d),
                             void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_DEPT_LIST);
    if (!st)
        return WG_ERR_STORE;
    return stmt_each(st, dept_row, &(dept_each){cb, ctx});
}

wg_err store_actor_generation(store *s, int64_t *out)
{
    return store_query_i64(s, SQL_ACTOR_GENERATION, out);
}

static void read_generations(sqlite3_stmt *st, void *out)
{
    int64_t *g = out;
    g[0] = sqlite3_column_int64(st, 0);
    g[1] = sqlite3_column_int64(st, 1);
}

wg_err store_generations(store *s, int64_t *actor, int64_t *catalogue)
{
    sqlite3_stmt *st = store_stmt(s, SQL_GENERATIONS);
    int64_t g[2];
    wg_err e = st ? stmt_one(st, read_generations, g) : WG_ERR_STORE;
    if (!e) {
        *actor = g[0];
        *catalogue = g[1];
    }
    return e;
}
