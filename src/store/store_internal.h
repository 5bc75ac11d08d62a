/*
 * store_internal.h - what the SQLite store's files share; nothing outside
 * src/store/ includes this.
 *
 * Statements are cached per connection, keyed by the address of their
 * static SQL text: a file declares `static const char SQL_X[] = "...";`
 * and calls store_stmt(s, SQL_X), which prepares it on first use and
 * returns it reset and unbound afterwards (use stmt_done()).
 */
#ifndef WG_STORE_INTERNAL_H
#define WG_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "store/store.h"

#define STORE_STMT_SLOTS 256

struct store {
    sqlite3 *db;
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[STORE_STMT_SLOTS];
    store *next_in_pool;
    int busy_timeout_ms;
    pthread_mutex_t *write_mutex; /* the pool's, NULL outside a pool */
    store_pool *pool;             /* NULL outside a pool */
};

/* The cached prepared statement for sql (a static string); NULL on a
 * prepare error (logged). */
sqlite3_stmt *store_stmt(store *s, const char *sql);

/* The VFS that writes each commit's WAL frames in one piece
 * (store_walvfs.c): registered as the default, once, before any open.
 * With defer_sync on, this thread's syncs of a WAL only write out (the
 * pool syncs the file itself). */
int store_walvfs_register(void);
void store_walvfs_defer_sync(bool on);

/* Reset and clear a statement after use. */
void stmt_done(sqlite3_stmt *st);

/* SQLite result code to wg_err: the one mapping. */
wg_err store_map_rc(int rc);

/* Run a statement that returns no rows, then reset it. */
wg_err stmt_exec(sqlite3_stmt *st);

/* Step st through its rows: row(st, ctx) for each, which reads the row
 * and returns non-zero to stop; then reset st. Returns the first non-zero
 * answer of row or the mapped SQLite error. */
wg_err stmt_each(sqlite3_stmt *st, wg_err (*row)(sqlite3_stmt *st, void *ctx), void *ctx);

/* Step st once: read(st, out) on a row, WG_ERR_NOT_FOUND on none; then
 * reset st. */
wg_err stmt_one(sqlite3_stmt *st, void (*read)(sqlite3_stmt *st, void *out), void *out);

/* Define NAME_row, the stmt_each row function that reads a TYPE with
 * READER(st, &x) and hands it to a typed callback, and NAME_each, the
 * {cb, ctx} it takes: `return stmt_each(st, NAME_row, &(NAME_each){cb, ctx});` */
#define STORE_EACH(NAME, TYPE, READER)                                                            \
    typedef struct {                                                                              \
        wg_err (*cb)(void *ctx, const TYPE *row);                                                 \
        void *ctx;                                                                                \
    } NAME##_each;                                                                                \
    static wg_err NAME##_row(sqlite3_stmt *st, void *p)                                           \
    {                                                                                             \
        NAME##_each *c = p;                                                                       \
        TYPE x;                                                                                   \
        READER(st, &x);                                                                           \
        return c->cb(c->ctx, &x);                                                                 \
    }

/* History rows (store_events.c): insert one with `sql` (?1 record id, ?2
 * at, ?3..?8 actor, action, from, to, note, data; sets ev->id), or list
 * those of a record with `sql` (?1 record id; columns id, record id, at,
 * actor, action, from, to, note, data). */
wg_err store_event_insert(store *s, const char *sql, store_event *ev);
wg_err store_events_of(store *s, const char *sql, int64_t record_id,
                       wg_err (*cb)(void *ctx, const store_event *ev), void *ctx);

/* The grid table and the full-text index of cases (sql/016, 017): the
 * cases after their mark go in a few thousand at a time. A server's batch
 * catches up just before it commits once STORE_INDEX_BATCH cases wait,
 * the command line likewise inside its insert's transaction; queries read
 * the cases after the mark directly. */
#define STORE_INDEX_BATCH 4096
wg_err store_cases_catch_up(store *s);

/* How many cases lie after the mark (the newest id less the mark's). */
wg_err store_cases_unindexed(store *s, int64_t *n);

/* On the pool's writer inside a batch: count a case inserted by this
 * batch towards the next catch-up and return true. Otherwise false. */
bool store_batch_defer_index(store *s);

/* Run a cached statement that returns no rows (or ignores them). */
wg_err store_run(store *s, const char *sql);

/* The one integer of a query without parameters (a count). */
wg_err store_query_i64(store *s, const char *sql, int64_t *out);

/* Run sql with one text parameter and read its one row: stmt_one. */
wg_err store_get_one(store *s, const char *sql, const char *key,
                     void (*read)(sqlite3_stmt *st, void *out), void *out);

/* Bind a text that may be NULL. */
void stmt_bind_text(sqlite3_stmt *st, int i, const char *v);

/* Copy column i as a blob into out (cap bytes); *len gets its size, 0 when
 * NULL or larger than cap. */
void stmt_col_blob(sqlite3_stmt *st, int i, unsigned char *out, size_t cap, size_t *len);

/* Copy column i as text into out (cap bytes, NUL-terminated; "" for NULL). */
void stmt_col_text(sqlite3_stmt *st, int i, char *out, size_t cap);

#endif
