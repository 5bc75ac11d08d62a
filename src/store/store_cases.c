/*
 * store_cases.c - cases and their history.
 */
#include "store/store_internal.h"
#include "util/fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE_COLS                                                                                  \
    "id, category, status, urgency, source, description, address, lon, lat, grid, grid_l1,"        \
    " grid_l2, grid_l3, dedicated, department, coalesce(route_rule, 0), reporter_login,"           \
    " reporter_name, reporter_phone_sealed, reporter_phone_masked, reported_at,"                   \
    " coalesce(filed_at, 0), coalesce(dispatched_at, 0), coalesce(acknowledged_at, 0),"            \
    " coalesce(started_at, 0), coalesce(fed_back_at, 0), coalesce(verified_at, 0),"                \
    " coalesce(closed_at, 0), coalesce(due_at, 0), coalesce(handle_due_at, 0),"                    \
    " coalesce(escalated_at, 0), due_step, overdue, extension_requested, deferred, extensions,"    \
    " reworks, whistles, coalesce(merged_into, 0), coalesce(satisfaction, 0),"                     \
    " coalesce(closed_on_time, -1), coalesce(idempotency_key, ''), version, updated_at"

static const char SQL_CASE_INSERT[] =
    "INSERT INTO cases (category, status, urgency, source, description, address, lon, lat, grid,"
    " grid_l1, grid_l2, grid_l3, dedicated, department, route_rule, reporter_login, reporter_name,"
    " reporter_phone_sealed, reporter_phone_masked, reported_at, due_at, due_step,"
    " idempotency_key, version, updated_at, summary)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, nullif(?15, 0), ?16,"
    " ?17, ?18, ?19, ?20, nullif(?21, 0), ?22, nullif(?23, ''), 1, ?24, substr(?5, 1, 80))";
static const char SQL_CASE_GET[] = "SELECT " CASE_COLS " FROM cases WHERE id = ?1";
static const char SQL_CASE_UPDATE[] =
    "UPDATE cases SET status = ?3, department = ?4, route_rule = nullif(?5, 0),"
    " filed_at = nullif(?6, 0), dispatched_at = nullif(?7, 0), acknowledged_at = nullif(?8, 0),"
    " started_at = nullif(?9, 0), fed_back_at = nullif(?10, 0), verified_at = nullif(?11, 0),"
    " closed_at = nullif(?12, 0), due_at = nullif(?13, 0), handle_due_at = nullif(?14, 0),"
    " escalated_at = nullif(?15, 0), due_step = ?16, overdue = ?17, extension_requested = ?18,"
    " deferred = ?19, extensions = ?20, reworks = ?21, whistles = ?22,"
    " merged_into = nullif(?23, 0), satisfaction = nullif(?24, 0),"
    " closed_on_time = nullif(?25, -1), version = version + 1, updated_at = ?26"
    " WHERE id = ?1 AND version = ?2";
static const char SQL_CASE_BY_KEY[] = "SELECT id FROM cases WHERE idempotency_key = ?1";
static const char SQL_EVENT_ADD[] =
    "INSERT INTO case_history (case_id, at, actor, action, from_status, to_status, note, data)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_EVENTS[] =
    "SELECT id, case_id, at, actor, action, from_status, to_status, note, data FROM case_history"
    " WHERE case_id = ?1 ORDER BY id";
static const char SQL_CASES_NEAR_SINCE[] =
    "SELECT id, category, status, summary, lon, lat, reported_at, version FROM cases"
    " WHERE reported_at >= ?1 AND lat IS NOT NULL AND lon IS NOT NULL ORDER BY id";
static const char SQL_CASE_GENERATION[] = "SELECT n FROM case_generation";
static const char SQL_CASE_GENERATION_BUMP[] = "UPDATE case_generation SET n = n + 1";

/* The catch-up (sql/016_case_grid_batched.sql, 017_case_text_batched.sql):
 * the cases after the mark into the grid table, sorted, and into the
 * full-text index, then the mark moved to the newest case. */
static const char SQL_CASES_INDEX_GRIDS[] =
    "INSERT OR IGNORE INTO case_grid_index SELECT grid, id FROM cases"
    " WHERE id > (SELECT upto FROM case_indexed) ORDER BY grid, id";
static const char SQL_CASES_INDEX_TEXT[] =
    "INSERT INTO cases_fts (rowid, description, address)"
    " SELECT id, description, address FROM cases WHERE id > (SELECT upto FROM case_indexed)";
static const char SQL_CASES_INDEX_MARK[] =
    "UPDATE case_indexed SET upto = (SELECT coalesce(max(id), 0) FROM cases)";
static const char SQL_CASES_INDEXED_UPTO[] = "SELECT upto FROM case_indexed";
static const char SQL_CASES_UNINDEXED[] =
    "SELECT coalesce(max(id), 0) - (SELECT upto FROM case_indexed) FROM cases";
static const char SQL_CASES_INDEX_BEGIN[] = "SAVEPOINT catch_up";
static const char SQL_CASES_INDEX_END[] = "RELEASE catch_up";
static const char SQL_CASES_INDEX_UNDO[] = "ROLLBACK TO catch_up";

static void read_case(sqlite3_stmt *st, store_case *c)
{
    memset(c, 0, sizeof(*c));
    int i = 0;
    c->id = sqlite3_column_int64(st, i++);
    stmt_col_text(st, i++, c->category, sizeof(c->category));
    stmt_col_text(st, i++, c->status, sizeof(c->status));
    stmt_col_text(st, i++, c->urgency, sizeof(c->urgency));
    stmt_col_text(st, i++, c->source, sizeof(c->source));
    stmt_col_text(st, i++, c->description, sizeof(c->description));
    stmt_col_text(st, i++, c->address, sizeof(c->address));
    c->has_point = sqlite3_column_type(st, i) != SQLITE_NULL;
    c->lon = sqlite3_column_double(st, i++);
    c->lat = sqlite3_column_double(st, i++);
    stmt_col_text(st, i++, c->grid, sizeof(c->grid));
    stmt_col_text(st, i++, c->grid_l1, sizeof(c->grid_l1));
    stmt_col_text(st, i++, c->grid_l2, sizeof(c->grid_l2));
    stmt_col_text(st, i++, c->grid_l3, sizeof(c->grid_l3));
    stmt_col_text(st, i++, c->dedicated, sizeof(c->dedicated));
    stmt_col_text(st, i++, c->department, sizeof(c->department));
    c->route_rule = sqlite3_column_int64(st, i++);
    stmt_col_text(st, i++, c->reporter_login, sizeof(c->reporter_login));
    stmt_col_text(st, i++, c->reporter_name, sizeof(c->reporter_name));
    stmt_col_blob(st, i++, c->reporter_phone_sealed, sizeof(c->reporter_phone_sealed),
                  &c->reporter_phone_sealed_len);
    stmt_col_text(st, i++, c->reporter_phone_masked, sizeof(c->reporter_phone_masked));
    int64_t *times[] = {&c->reported_at, &c->filed_at,      &c->dispatched_at, &c->acknowledged_at,
                        &c->started_at,  &c->fed_back_at,   &c->verified_at,   &c->closed_at,
                        &c->due_at,      &c->handle_due_at, &c->escalated_at};
    for (size_t k = 0; k < WG_ARRAY_LEN(times); k++)
        *times[k] = sqlite3_column_int64(st, i++);
    stmt_col_text(st, i++, c->due_step, sizeof(c->due_step));
    c->overdue = sqlite3_column_int(st, i++) != 0;
    c->extension_requested = sqlite3_column_int(st, i++) != 0;
    c->deferred = sqlite3_column_int(st, i++) != 0;
    c->extensions = sqlite3_column_int(st, i++);
    c->reworks = sqlite3_column_int(st, i++);
    c->whistles = sqlite3_column_int(st, i++);
    c->merged_into = sqlite3_column_int64(st, i++);
    c->satisfaction = sqlite3_column_int(st, i++);
    c->closed_on_time = sqlite3_column_int(st, i++);
    stmt_col_text(st, i++, c->idempotency_key, sizeof(c->idempotency_key));
    c->version = sqlite3_column_int64(st, i++);
    c->updated_at = sqlite3_column_int64(st, i++);
}

static void read_case_any(sqlite3_stmt *st, void *out)
{
    read_case(st, out);
}

STORE_EACH(case, store_case, read_case)

static void read_near(sqlite3_stmt *st, store_case_near_row *c)
{
    c->id = sqlite3_column_int64(st, 0);
    stmt_col_text(st, 1, c->category, sizeof(c->category));
    stmt_col_text(st, 2, c->status, sizeof(c->status));
    stmt_col_text(st, 3, c->summary, sizeof(c->summary));
    c->lon = sqlite3_column_double(st, 4);
    c->lat = sqlite3_column_double(st, 5);
    c->reported_at = sqlite3_column_int64(st, 6);
    c->version = sqlite3_column_int64(st, 7);
}

STORE_EACH(near, store_case_near_row, read_near)

wg_err store_cases_near_since(store *s, int64_t since,
                              wg_err (*cb)(void *ctx, const store_case_near_row *c), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CASES_NEAR_SINCE);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, since);
    return stmt_each(st, near_row, &(near_each){cb, ctx});
}

wg_err store_case_generation(store *s, int64_t *out)
{
    return store_query_i64(s, SQL_CASE_GENERATION, out);
}

/* A case written outside a server's pool: tell the server (015). */
static wg_err outside_write(store *s)
{
    return s->pool ? WG_OK : store_run(s, SQL_CASE_GENERATION_BUMP);
}

/* All or nothing: a text index that took cases the mark does not cover
 * would take them again at the next catch-up. */
wg_err store_cases_catch_up(store *s)
{
    const char *steps[] = {SQL_CASES_INDEX_TEXT, SQL_CASES_INDEX_GRIDS, SQL_CASES_INDEX_MARK};
    wg_err e = store_run(s, SQL_CASES_INDEX_BEGIN);
    if (e)
        return e;
    for (size_t i = 0; i < WG_ARRAY_LEN(steps) && !e; i++)
        e = i == 1 && fault_hit("store_catch_up") ? WG_ERR_IO : store_run(s, steps[i]);
    if (e)
        store_run(s, SQL_CASES_INDEX_UNDO);
    store_run(s, SQL_CASES_INDEX_END);
    return e;
}

wg_err store_cases_unindexed(store *s, int64_t *n)
{
    return store_query_i64(s, SQL_CASES_UNINDEXED, n);
}

/* Outside a server's batch (the command line, an import): catch up once
 * enough cases wait, in the caller's transaction. */
static wg_err catch_up_now(store *s, int64_t id)
{
    int64_t upto = 0;
    wg_err e = store_query_i64(s, SQL_CASES_INDEXED_UPTO, &upto);
    return !e && id - upto >= STORE_INDEX_BATCH ? store_cases_catch_up(s) : e;
}

wg_err store_case_insert(store *s, store_case *c)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CASE_INSERT);
    if (!st)
        return WG_ERR_STORE;
    const char *t[] = {c->category, c->status, c->urgency, c->source, c->description, c->address};
    for (int i = 0; i < 6; i++)
        sqlite3_bind_text(st, i + 1, t[i], -1, SQLITE_TRANSIENT);
    if (c->has_point) {
        sqlite3_bind_double(st, 7, c->lon);
        sqlite3_bind_double(st, 8, c->lat);
    } else {
        sqlite3_bind_null(st, 7);
        sqlite3_bind_null(st, 8);
    }
    const char *g[] = {c->grid, c->grid_l1, c->grid_l2, c->grid_l3, c->dedicated, c->department};
    for (int i = 0; i < 6; i++)
        sqlite3_bind_text(st, 9 + i, g[i], -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 15, c->route_rule);
    sqlite3_bind_text(st, 16, c->reporter_login, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 17, c->reporter_name, -1, SQLITE_TRANSIENT);
    if (c->reporter_phone_sealed_len)
        sqlite3_bind_blob(st, 18, c->reporter_phone_sealed, (int)c->reporter_phone_sealed_len,
                          SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, 18);
    sqlite3_bind_text(st, 19, c->reporter_phone_masked, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 20, c->reported_at);
    sqlite3_bind_int64(st, 21, c->due_at);
    sqlite3_bind_text(st, 22, c->due_step, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 23, c->idempotency_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 24, c->updated_at);
    wg_err e = stmt_exec(st);
    if (!e) {
        c->id = sqlite3_last_insert_rowid(s->db);
        c->version = 1;
        if (!store_batch_defer_index(s)) /* in a batch: counted for its commit */
            e = catch_up_now(s, c->id);
    }
    return e ? e : outside_write(s);
}

wg_err store_case_get(store *s, int64_t id, store_case *out)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CASE_GET);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    return stmt_one(st, read_case_any, out);
}

wg_err store_case_update(store *s, store_case *c)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CASE_UPDATE);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int64(st, 2, c->version);
    sqlite3_bind_text(st, 3, c->status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, c->department, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, c->route_rule);
    int64_t t[] = {c->filed_at,      c->dispatched_at, c->acknowledged_at, c->started_at,
                   c->fed_back_at,   c->verified_at,   c->closed_at,       c->due_at,
                   c->handle_due_at, c->escalated_at};
    for (int i = 0; i < 10; i++)
        sqlite3_bind_int64(st, 6 + i, t[i]);
    sqlite3_bind_text(st, 16, c->due_step, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 17, c->overdue);
    sqlite3_bind_int(st, 18, c->extension_requested);
    sqlite3_bind_int(st, 19, c->deferred);
    sqlite3_bind_int(st, 20, c->extensions);
    sqlite3_bind_int(st, 21, c->reworks);
    sqlite3_bind_int(st, 22, c->whistles);
    sqlite3_bind_int64(st, 23, c->merged_into);
    sqlite3_bind_int(st, 24, c->satisfaction);
    sqlite3_bind_int(st, 25, c->closed_on_time);
    sqlite3_bind_int64(st, 26, c->updated_at);
    wg_err e = stmt_exec(st);
    if (!e && sqlite3_changes(s->db) == 0)
        return WG_ERR_PRECONDITION;
    if (!e)
        c->version++;
    return e ? e : outside_write(s);
}

wg_err store_case_by_key(store *s, const char *key, int64_t *id)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CASE_BY_KEY);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    stmt_done(st);
    return rc == SQLITE_ROW ? WG_OK : rc == SQLITE_DONE ? WG_ERR_NOT_FOUND : store_map_rc(rc);
}

wg_err store_case_event_add(store *s, store_event *ev)
{
    return store_event_insert(s, SQL_EVENT_ADD, ev);
}

wg_err store_case_events(store *s, int64_t case_id,
                         wg_err (*cb)(void *ctx, const store_event *ev), void *ctx)
{
    return store_events_of(s, SQL_EVENTS, case_id, cb, ctx);
}

/* The list query is built from the filter (only the clauses in use), so it
 * is prepared per call rather than cached. Every value is bound. */
wg_err store_case_list(store *s, const store_case_filter *f,
                       wg_err (*cb)(void *ctx, const store_case *c), void *ctx)
{
    char sql[4096];
    size_t n = (size_t)snprintf(sql, sizeof(sql), "SELECT " CASE_COLS " FROM cases WHERE 1");
#define ADD(...) (n += (size_t)snprintf(sql + n, sizeof(sql) - n, __VA_ARGS__))
    const char *binds[64];
    int nb = 0;
    if (!f->all) {
        ADD(" AND (0");
        for (int i = 0; i < f->ngrid && nb < 40; i++) {
            ADD(" OR grid >= ?%d AND grid < ?%d || char(127)", nb + 1, nb + 1);
            binds[nb++] = f->grid_prefixes[i];
        }
        for (int i = 0; i < f->ndept && nb < 40; i++) {
            ADD(" OR (department = ?%d AND dispatched_at IS NOT NULL) OR id IN (SELECT w.case_id"
                " FROM whistles w JOIN"
                " whistle_departments d ON d.whistle_id = w.id WHERE d.department = ?%d)",
                nb + 1, nb + 1);
            binds[nb++] = f->departments[i];
        }
        if (f->reporter && *f->reporter) {
            ADD(" OR reporter_login = ?%d", nb + 1);
            binds[nb++] = f->reporter;
        }
        ADD(")");
    }
    struct {
        const char *value, *clause;
    } eq[] = {{f->status, "status"},
              {f->category, "category"},
              {f->department, "department"},
              {f->source, "source"}};
    for (size_t i = 0; i < WG_ARRAY_LEN(eq); i++)
        if (eq[i].value) {
            ADD(" AND %s = ?%d", eq[i].clause, nb + 1);
            binds[nb++] = eq[i].value;
        }
    if (f->nstatus > 0) {
        ADD(" AND status IN (");
        for (int i = 0; i < f->nstatus && nb < 60; i++) {
            ADD("%s?%d", i ? ", " : "", nb + 1);
            binds[nb++] = f->statuses[i];
        }
        ADD(")");
    }
    if (f->whistle_pending) {
        ADD(" AND id IN (SELECT w.case_id FROM whistles w JOIN whistle_departments d"
            " ON d.whistle_id = w.id WHERE d.acknowledged_at IS NULL");
        if (!f->all) {
            ADD(" AND d.department IN (''");
            for (int i = 0; i < f->ndept && nb < 60; i++) {
                ADD(", ?%d", nb + 1);
                binds[nb++] = f->departments[i];
            }
            ADD(")");
        }
        ADD(")");
    }
    if (f->grid) {
        /* The grid table up to its mark, the cases after it as they are
         * (sql/016_case_grid_batched.sql). */
        ADD(" AND grid >= ?%d AND grid < ?%d || char(127) AND id IN (SELECT id FROM"
            " case_grid_index WHERE grid >= ?%d AND grid < ?%d || char(127) UNION ALL"
            " SELECT id FROM cases WHERE id > (SELECT upto FROM case_indexed))",
            nb + 1, nb + 1, nb + 1, nb + 1);
        binds[nb++] = f->grid;
    }
    char phrase[600];
    if (f->text) {
        /* The trigram index needs 3+ characters; shorter text falls back to
         * a substring scan. The text goes in as one quoted phrase, so FTS
         * syntax in it is just text. */
        size_t chars = 0, q = 0;
        for (const unsigned char *c = (const unsigned char *)f->text; *c; c++)
            chars += (*c & 0xC0) != 0x80;
        if (chars >= 3 && strlen(f->text) < 290) {
            phrase[q++] = '"';
            for (const char *c = f->text; *c; c++) {
                if (*c == '"')
                    phrase[q++] = '"';
                phrase[q++] = *c;
            }
            phrase[q++] = '"';
            phrase[q] = '\0';
            /* The index up to its mark, the cases after it as they are
             * (sql/017_case_text_batched.sql): a substring, ASCII letters
             * in any case, as the trigram index matches. */
            ADD(" AND id IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ?%d UNION ALL"
                " SELECT id FROM cases WHERE id > (SELECT upto FROM case_indexed) AND"
                " (instr(lower(description), lower(?%d)) > 0 OR"
                " instr(lower(address), lower(?%d)) > 0))",
                nb + 1, nb + 2, nb + 2);
            binds[nb++] = phrase;
            binds[nb++] = f->text;
        } else {
            /* ASCII letters in any case, as above. */
            ADD(" AND (instr(lower(description), lower(?%d)) > 0 OR"
                " instr(lower(address), lower(?%d)) > 0)",
                nb + 1, nb + 1);
            binds[nb++] = f->text;
        }
    }
    if (f->overdue >= 0)
        ADD(" AND overdue = %d", f->overdue ? 1 : 0);
    if (f->from)
        ADD(" AND reported_at >= %lld", (long long)f->from);
    if (f->to)
        ADD(" AND reported_at < %lld", (long long)f->to);
    if (f->due_before)
        ADD(" AND due_at IS NOT NULL AND due_at < %lld", (long long)f->due_before);
    if (f->unescalated)
        ADD(" AND (escalated_at IS NULL OR escalated_at < due_at)");
    if (f->before_id)
        ADD(" AND id < %lld", (long long)f->before_id);
    ADD(" ORDER BY id DESC LIMIT %d", f->limit > 0 ? f->limit : 100);
#undef ADD
    if (n >= sizeof(sql))
        return WG_ERR_TOO_LARGE;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return WG_ERR_STORE;
    for (int i = 0; i < nb; i++)
        sqlite3_bind_text(st, i + 1, binds[i], -1, SQLITE_TRANSIENT);
    wg_err e = stmt_each(st, case_row, &(case_each){cb, ctx});
    sqlite3_finalize(st);
    return e;
}

/* ---- whistles ---- */

static const char SQL_WHISTLE_ADD[] = "INSERT INTO whistles (case_id, whistler, reason, note, "
                                      "created_at) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_WHISTLE_DEPT_ADD[] =
    "INSERT INTO whistle_departments (whistle_id, department, ack_due_at) VALUES (?1, ?2, ?3)";
static const char SQL_WHISTLE_PARTS[] =
    "SELECT w.id, w.case_id, w.created_at, w.whistler, w.reason, w.note, d.department,"
    " d.ack_due_at, coalesce(d.acknowledged_at, 0), coalesce(d.arrived_at, 0), d.part,"
    " coalesce(d.rating, 0) FROM whistles w JOIN whistle_departments d ON d.whistle_id = w.id"
    " WHERE w.case_id = ?1 ORDER BY w.id, d.department";
static const char SQL_WHISTLE_PART_UPDATE[] =
    "UPDATE whistle_departments SET acknowledged_at = nullif(?3, 0), arrived_at = nullif(?4, 0),"
    " part = ?5, rating = nullif(?6, 0) WHERE whistle_id = ?1 AND department = ?2";

wg_err store_whistle_add(store *s, int64_t case_id, const char *whistler, const char *reason,
                         const char *note, int64_t now, int64_t *whistle_id)
{
    sqlite3_stmt *st = store_stmt(s, SQL_WHISTLE_ADD);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, case_id);
    sqlite3_bind_text(st, 2, whistler, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, note ? note : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now);
    wg_err e = stmt_exec(st);
    if (!e)
        *whistle_id = sqlite3_last_insert_rowid(s->db);
    return e;
}

wg_err store_whistle_department_add(store *s, int64_t whistle_id, const char *department,
                                    int64_t ack_due_at)
{
    sqlite3_stmt *st = store_stmt(s, SQL_WHISTLE_DEPT_ADD);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, whistle_id);
    sqlite3_bind_text(st, 2, department, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, ack_due_at);
    return stmt_exec(st);
}

static void read_part(sqlite3_stmt *st, store_whistle_part *p)
{
    memset(p, 0, sizeof(*p));
    p->whistle_id = sqlite3_column_int64(st, 0);
    p->case_id = sqlite3_column_int64(st, 1);
    p->created_at = sqlite3_column_int64(st, 2);
    stmt_col_text(st, 3, p->whistler, sizeof(p->whistler));
    stmt_col_text(st, 4, p->reason, sizeof(p->reason));
    stmt_col_text(st, 5, p->note, sizeof(p->note));
    stmt_col_text(st, 6, p->department, sizeof(p->department));
    p->ack_due_at = sqlite3_column_int64(st, 7);
    p->acknowledged_at = sqlite3_column_int64(st, 8);
    p->arrived_at = sqlite3_column_int64(st, 9);
    stmt_col_text(st, 10, p->part, sizeof(p->part));
    p->rating = sqlite3_column_int(st, 11);
}

STORE_EACH(part, store_whistle_part, read_part)

wg_err store_whistle_parts(store *s, int64_t case_id,
                           wg_err (*cb)(void *ctx, const store_whistle_part *p), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_WHISTLE_PARTS);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, case_id);
    return stmt_each(st, part_row, &(part_each){cb, ctx});
}

wg_err store_whistle_part_update(store *s, const store_whistle_part *p)
{
    sqlite3_stmt *st = store_stmt(s, SQL_WHISTLE_PART_UPDATE);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, p->whistle_id);
    sqlite3_bind_text(st, 2, p->department, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, p->acknowledged_at);
    sqlite3_bind_int64(st, 4, p->arrived_at);
    sqlite3_bind_text(st, 5, p->part, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 6, p->rating);
    return stmt_exec(st);
}

/* ---- KPI counters ---- */

#define CONTRIB_COLS                                                                               \
    "case_id, counted, reported_at, grid, grid_l1, grid_l2, grid_l3, department, category,"        \
    " reporter_login, filed, dispatched, acknowledged, disposed, closed, closed_on_time,"          \
    " reworked, extended, deferred, overdue, rated, satisfied, satisfaction, whistles,"            \
    " ack_seconds, ack_counted, close_seconds, open_due"

static const char SQL_CONTRIB_ALL[] = "SELECT 0, 1, " CONTRIB_COLS " FROM case_contrib";
static const char SQL_CONTRIB_SINCE[] =
    "SELECT seq, sign, " CONTRIB_COLS " FROM case_count_log WHERE seq > ?1 ORDER BY seq LIMIT ?2";
static const char SQL_CONTRIB_LAST[] = "SELECT coalesce(max(seq), 0) FROM case_count_log";
/* The newest row stays: the log's rowids must keep growing past what the
 * counters applied (an empty table would hand out 1 again). */
static const char SQL_CONTRIB_TRIM[] = "DELETE FROM case_count_log WHERE seq < ?1";

static void read_contrib(sqlite3_stmt *st, store_case_contrib *c)
{
    memset(c, 0, sizeof(*c));
    c->seq = sqlite3_column_int64(st, 0);
    c->sign = sqlite3_column_int(st, 1);
    c->case_id = sqlite3_column_int64(st, 2);
    c->counted = sqlite3_column_int(st, 3) != 0;
    c->reported_at = sqlite3_column_int64(st, 4);
    char *text[] = {c->grid,       c->grid_l1,  c->grid_l2,       c->grid_l3,
                    c->department, c->category, c->reporter_login};
    size_t caps[] = {sizeof(c->grid),          sizeof(c->grid_l1),    sizeof(c->grid_l2),
                     sizeof(c->grid_l3),       sizeof(c->department), sizeof(c->category),
                     sizeof(c->reporter_login)};
    for (int i = 0; i < 7; i++)
        stmt_col_text(st, 5 + i, text[i], caps[i]);
    for (int i = 0; i < CONTRIB_N; i++)
        c->v[i] = sqlite3_column_int64(st, 12 + i);
    c->open_due = sqlite3_column_int64(st, 12 + CONTRIB_N);
}

STORE_EACH(contrib, store_case_contrib, read_contrib)

wg_err store_case_contrib_all(store *s, int64_t *last_seq,
                              wg_err (*cb)(void *ctx, const store_case_contrib *c), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CONTRIB_ALL);
    if (!st)
        return WG_ERR_STORE;
    /* One snapshot: the log's last row and the cases agree. */
    wg_err e = store_snapshot(s);
    if (e)
        return e;
    e = store_query_i64(s, SQL_CONTRIB_LAST, last_seq);
    if (!e)
        e = stmt_each(st, contrib_row, &(contrib_each){cb, ctx});
    store_snapshot_end(s);
    return e;
}

wg_err store_case_contrib_since(store *s, int64_t after, int limit,
                                wg_err (*cb)(void *ctx, const store_case_contrib *c), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CONTRIB_SINCE);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, limit);
    return stmt_each(st, contrib_row, &(contrib_each){cb, ctx});
}

wg_err store_case_contrib_trim(store *s, int64_t seq)
{
    sqlite3_stmt *st = store_stmt(s, SQL_CONTRIB_TRIM);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, seq);
    return stmt_exec(st);
}

/* ---- statistics ---- */

static const char *const stat_groups[] = {"grid_l1",    "grid_l2",  "grid_l3",       "grid",
                                          "department", "category", "reporter_login"};

wg_err store_case_stats_by(store *s, const char *group, const char *grid_prefix, int64_t from,
                           int64_t to, int64_t now,
                           wg_err (*cb)(void *ctx, const store_case_stats *row), void *ctx)
{
    const char *col = "''";
    for (size_t i = 0; group && *group && i < WG_ARRAY_LEN(stat_groups); i++)
        if (strcmp(group, stat_groups[i]) == 0)
            col = stat_groups[i];
    if (group && *group && strcmp(col, "''") == 0)
        return WG_ERR_INVALID;
    char sql[2048];
    /* The column name comes from the fixed list above, never from input. */
    snprintf(sql, sizeof(sql),
             "SELECT %s AS k, count(*),"
             " count(filed_at), count(dispatched_at), count(acknowledged_at), count(fed_back_at),"
             " sum(closed_at IS NOT NULL OR (handle_due_at IS NOT NULL AND handle_due_at <= ?3)),"
             " count(closed_at), coalesce(sum(closed_on_time = 1), 0), sum(reworks > 0),"
             " sum(extensions > 0), sum(deferred), sum(overdue), count(satisfaction),"
             " coalesce(sum(satisfaction >= 4), 0), coalesce(sum(satisfaction), 0), sum(whistles),"
             " coalesce(sum(acknowledged_at - dispatched_at), 0),"
             " sum(acknowledged_at IS NOT NULL AND dispatched_at IS NOT NULL),"
             " coalesce(sum(closed_at - reported_at), 0)"
             " FROM cases WHERE reported_at >= ?1 AND reported_at < ?2"
             " AND status NOT IN ('merged', 'not_filed')"
             " AND (?4 = '' OR (grid >= ?4 AND grid < ?4 || char(127)))"
             " GROUP BY k ORDER BY k",
             col);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    sqlite3_bind_int64(st, 3, now < to ? now : to);
    sqlite3_bind_text(st, 4, grid_prefix ? grid_prefix : "", -1, SQLITE_TRANSIENT);
    int rc = SQLITE_DONE;
    wg_err e = WG_OK;
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_case_stats r;
        memset(&r, 0, sizeof(r));
        stmt_col_text(st, 0, r.key, sizeof(r.key));
        int64_t *v[] = {&r.reported, &r.filed,   &r.dispatched,     &r.acknowledged, &r.disposed,
                        &r.due,      &r.closed,  &r.closed_on_time, &r.reworked,     &r.extended,
                        &r.deferred, &r.overdue, &r.rated,          &r.satisfied};
        for (size_t i = 0; i < WG_ARRAY_LEN(v); i++)
            *v[i] = sqlite3_column_int64(st, 1 + (int)i);
        r.satisfaction_sum = sqlite3_column_double(st, 15);
        r.whistles = sqlite3_column_int64(st, 16);
        r.ack_seconds_sum = sqlite3_column_double(st, 17);
        r.ack_count = sqlite3_column_int64(st, 18);
        r.close_seconds_sum = sqlite3_column_double(st, 19);
        e = cb(ctx, &r);
    }
    if (!e && rc != SQLITE_DONE)
        e = store_map_rc(rc);
    sqlite3_finalize(st);
    return e;
}

static const char SQL_WHISTLE_STATS[] =
    "SELECT d.department, count(*), count(d.acknowledged_at),"
    " coalesce(sum(d.acknowledged_at <= d.ack_due_at), 0), count(d.rating),"
    " coalesce(sum(d.acknowledged_at - w.created_at), 0), coalesce(sum(d.rating), 0)"
    " FROM whistle_departments d JOIN whistles w ON w.id = d.whistle_id"
    " WHERE w.created_at >= ?1 AND w.created_at < ?2 GROUP BY d.department ORDER BY d.department";

static void read_wstats(sqlite3_stmt *st, store_whistle_stats *w)
{
    memset(w, 0, sizeof(*w));
    stmt_col_text(st, 0, w->department, sizeof(w->department));
    w->parts = sqlite3_column_int64(st, 1);
    w->acknowledged = sqlite3_column_int64(st, 2);
    w->on_time = sqlite3_column_int64(st, 3);
    w->rated = sqlite3_column_int64(st, 4);
    w->ack_seconds_sum = sqlite3_column_double(st, 5);
    w->rating_sum = sqlite3_column_double(st, 6);
}

STORE_EACH(wstats, store_whistle_stats, read_wstats)

wg_err store_whistle_stats_by(store *s, int64_t from, int64_t to,
                              wg_err (*cb)(void *ctx, const store_whistle_stats *row), void *ctx)
{
    sqlite3_stmt *st = store_stmt(s, SQL_WHISTLE_STATS);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    return stmt_each(st, wstats_row, &(wstats_each){cb, ctx});
}

/* ---- attachments ---- */

static const char SQL_ATT_PUT[] =
    "INSERT INTO attachments (sha256, media_type, size, created_at) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (sha256) DO NOTHING";
static const char SQL_ATT_GET[] = "SELECT media_type, size FROM attachments WHERE sha256 = ?1";

wg_err store_attachment_put(store *s, const char *sha, const char *media_type, int64_t size,
                            int64_t now)
{
    sqlite3_stmt *st = store_stmt(s, SQL_ATT_PUT);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, media_type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, size);
    sqlite3_bind_int64(st, 4, now);
    return stmt_exec(st);
}

wg_err store_attachment_get(store *s, const char *sha, char *type, size_t cap, int64_t *size)
{
    sqlite3_stmt *st = store_stmt(s, SQL_ATT_GET);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, sha, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        stmt_col_text(st, 0, type, cap);
        *size = sqlite3_column_int64(st, 1);
    }
    stmt_done(st);
    return rc == SQLITE_ROW ? WG_OK : rc == SQLITE_DONE ? WG_ERR_NOT_FOUND : store_map_rc(rc);
}
