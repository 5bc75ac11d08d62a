/*
 * store_sqlite.c - the SQLite implementation of store.h.
 *
 * Connections run in WAL mode with foreign keys on and a busy timeout.
 * Statements are prepared once per connection, on first use (store_stmt:
 * a small table keyed by the address of each module's `static const char
 * SQL_...[]` text) and reused (bind -> step -> reset). A pool (the server)
 * adds the writer's batches of savepoints with group commit, and a
 * checkpointer thread (see "Checkpoints" below).
 */
#include "store/store.h"
#include "store/migrations.h"
#include "store/store_internal.h"
#include "util/fault.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_PING[] = "SELECT count(*) > 0 FROM meta";
static const char SQL_PAGE_COUNT[] = "PRAGMA page_count";
static const char SQL_PAGE_SIZE[] = "PRAGMA page_size";
static const char SQL_META_GET[] = "SELECT value FROM meta WHERE key = ?1";
static const char SQL_META_SET[] = "INSERT INTO meta (key, value) VALUES (?1, ?2)"
                                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value";
static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_BEGIN_READ[] = "BEGIN";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

/* The one place where SQLite result codes become wg_err. */
wg_err store_map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return WG_OK;
    case SQLITE_NOMEM:
        return WG_ERR_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return WG_ERR_BUSY;
    case SQLITE_CONSTRAINT:
        return WG_ERR_CONFLICT;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PERM:
        return WG_ERR_IO;
    case SQLITE_TOOBIG:
        return WG_ERR_TOO_LARGE;
    default:
        return WG_ERR_STORE;
    }
}

sqlite3_stmt *store_stmt(store *s, const char *sql)
{
    size_t h = ((uintptr_t)sql >> 3) % STORE_STMT_SLOTS;
    for (size_t i = 0; i < STORE_STMT_SLOTS; i++) {
        size_t k = (h + i) % STORE_STMT_SLOTS;
        if (s->cache[k].sql == sql)
            return s->cache[k].st;
        if (!s->cache[k].sql) {
            sqlite3_stmt *st = NULL;
            int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
            if (rc != SQLITE_OK) {
                log_error("store: prepare failed: %s: %s", sqlite3_errmsg(s->db), sql);
                return NULL;
            }
            s->cache[k].sql = sql;
            s->cache[k].st = st;
            return st;
        }
    }
    log_error("store: statement cache full");
    return NULL;
}

void stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

wg_err stmt_exec(sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    stmt_done(st);
    return rc == SQLITE_DONE ? WG_OK : store_map_rc(rc);
}

wg_err stmt_each(sqlite3_stmt *st, wg_err (*row)(sqlite3_stmt *st, void *ctx), void *ctx)
{
    int rc = SQLITE_DONE;
    wg_err e = WG_OK;
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW)
        e = row(st, ctx);
    if (!e && rc != SQLITE_DONE)
        e = store_map_rc(rc);
    stmt_done(st);
    return e;
}

wg_err stmt_one(sqlite3_stmt *st, void (*read)(sqlite3_stmt *st, void *out), void *out)
{
    int rc = sqlite3_step(st);
    wg_err e = WG_OK;
    if (rc == SQLITE_ROW)
        read(st, out);
    else
        e = rc == SQLITE_DONE ? WG_ERR_NOT_FOUND : store_map_rc(rc);
    stmt_done(st);
    return e;
}

void stmt_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

void stmt_col_blob(sqlite3_stmt *st, int i, unsigned char *out, size_t cap, size_t *len)
{
    int n = sqlite3_column_bytes(st, i);
    *len = 0;
    if (n > 0 && (size_t)n <= cap) {
        memcpy(out, sqlite3_column_blob(st, i), (size_t)n);
        *len = (size_t)n;
    }
}

void stmt_col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (!cap)
        return;
    if (n >= cap)
        n = cap - 1; /* cut as snprintf would */
    if (n)
        memcpy(out, t, n);
    out[n] = '\0';
}

/* Run a cached statement that returns no rows (or ignores them). */
wg_err store_run(store *s, const char *sql)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    return st ? stmt_exec(st) : WG_ERR_STORE;
}

wg_err store_get_one(store *s, const char *sql, const char *key,
                     void (*read)(sqlite3_stmt *st, void *out), void *out)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    return stmt_one(st, read, out);
}

wg_err store_query_i64(store *s, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = store_stmt(s, sql);
    if (!st)
        return WG_ERR_STORE;
    int rc = sqlite3_step(st);
    wg_err e = WG_OK;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        e = rc == SQLITE_DONE ? WG_ERR_NOT_FOUND : store_map_rc(rc);
    stmt_done(st);
    return e;
}

static wg_err exec_sql(sqlite3 *db, const char *sql, char *err, size_t errcap)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, errcap, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return store_map_rc(rc);
    }
    return WG_OK;
}

int store_schema_latest(void)
{
    return store_migrations_count;
}

/* Version recorded in schema_migrations, 0 if the table is absent; -1 and a
 * message when the file is not a wangge database. */
static int read_version(sqlite3 *db, char *err, size_t errcap, wg_err *e)
{
    sqlite3_stmt *st = NULL;
    *e = WG_OK;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT (SELECT count(*) FROM sqlite_schema),"
                                " (SELECT count(*) FROM sqlite_schema"
                                "  WHERE type = 'table' AND name = 'schema_migrations')",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        snprintf(err, errcap, "%s", sqlite3_errmsg(db));
        *e = rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT ? WG_ERR_STORE : store_map_rc(rc);
        sqlite3_finalize(st);
        return -1;
    }
    int64_t objects = sqlite3_column_int64(st, 0);
    int64_t ours = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    if (!ours) {
        if (objects) {
            snprintf(err, errcap, "it holds tables but none of wangge's (no schema_migrations)");
            *e = WG_ERR_STORE;
            return -1;
        }
        return 0;
    }
    int version = -1;
    rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1, &st,
                            NULL);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    else {
        snprintf(err, errcap, "%s", sqlite3_errmsg(db));
        *e = WG_ERR_STORE;
    }
    sqlite3_finalize(st);
    return version;
}

int store_schema_version(store *s)
{
    char err[256];
    wg_err e;
    int v = read_version(s->db, err, sizeof(err), &e);
    return v < 0 ? 0 : v;
}

/* SQLite keeps memory statistics behind one global mutex taken on every
 * malloc and free, which every thread's connection then queues on; nothing
 * here reads them. Set before SQLite initializes, once per process. */
static void configure_sqlite(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (store_walvfs_register() != SQLITE_OK)
        log_warn("store: the WAL-gathering VFS is not registered: each frame is written alone");
}

wg_err store_open(const char *path, const store_opts *o, store **out, char *err, size_t errcap)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_sqlite);
    char why[512] = "";
    wg_err e = WG_OK;
    store *s = calloc(1, sizeof(*s));
    if (!s)
        return WG_ERR_NOMEM;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (o->create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        /* errno tells more than SQLite's "unable to open database file". */
        int sys = sqlite3_system_errno(s->db);
        snprintf(why, sizeof(why), "%s%s%s", s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc),
                 sys ? ": " : "", sys ? strerror(sys) : "");
        e = WG_ERR_IO;
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, o->busy_timeout_ms);
    s->busy_timeout_ms = o->busy_timeout_ms;

    int version = read_version(s->db, why, sizeof(why), &e);
    if (version < 0)
        goto out;
    if (version > store_schema_latest()) {
        snprintf(why, sizeof(why),
                 "its schema version %d is newer than this wangge knows (%d): "
                 "upgrade wangge, do not downgrade a database",
                 version, store_schema_latest());
        e = WG_ERR_SCHEMA;
        goto out;
    }
    /* WAL needs to create the -wal file: this is where a read-only
     * directory or file shows up. */
    if ((e = exec_sql(s->db,
                      "PRAGMA journal_mode = WAL;"
                      "PRAGMA synchronous = FULL;"
                      "PRAGMA foreign_keys = ON;"
                      "PRAGMA temp_store = MEMORY;"
                      /* No mmap: after every commit each other
                       * connection's next read transaction unmaps the
                       * whole file (SQLite does so when the WAL has
                       * changed), a TLB shootdown on every core. Under
                       * bench/intake that munmap was 14% of the
                       * server's time; pread instead gave +25%. */
                      "PRAGMA mmap_size = 0;"
                      "PRAGMA cache_size = -65536;",
                      why, sizeof(why))))
        goto out;
    char mode[16] = "";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (strcmp(mode, "wal") != 0) {
        snprintf(why, sizeof(why),
                 "cannot switch to WAL mode (is the file or its directory "
                 "read-only?)");
        e = WG_ERR_IO;
        goto out;
    }
out:
    if (e) {
        snprintf(err, errcap, "database %s: %s", path, why);
        store_close(s);
        return e;
    }
    *out = s;
    return WG_OK;
}

void store_close(store *s)
{
    if (!s)
        return;
    for (int i = 0; i < STORE_STMT_SLOTS; i++)
        sqlite3_finalize(s->cache[i].st);
    sqlite3_close(s->db);
    free(s);
}

wg_err store_migrate(store *s, int *from, int *to, char *err, size_t errcap)
{
    char why[512] = "";
    wg_err e = exec_sql(s->db,
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version INTEGER PRIMARY KEY,"
                        " name TEXT NOT NULL,"
                        " applied_at TEXT NOT NULL) STRICT",
                        why, sizeof(why));
    int start = -1;
    while (!e) {
        /* Re-read inside the write lock: another process may have migrated
         * between our read and our BEGIN. */
        if ((e = exec_sql(s->db, "BEGIN IMMEDIATE", why, sizeof(why))))
            break;
        int v = read_version(s->db, why, sizeof(why), &e);
        if (start < 0)
            start = v;
        if (e || v >= store_schema_latest()) {
            exec_sql(s->db, e ? "ROLLBACK" : "COMMIT", why, sizeof(why));
            break;
        }
        const store_migration *m = &store_migrations[v];
        char ins[256];
        snprintf(ins, sizeof(ins),
                 "INSERT INTO schema_migrations (version, name, applied_at) VALUES "
                 "(%d, '%s', strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now'))",
                 m->version, m->name);
        if ((e = exec_sql(s->db, m->sql, why, sizeof(why))) ||
            (e = exec_sql(s->db, ins, why, sizeof(why))) ||
            (e = exec_sql(s->db, "COMMIT", why, sizeof(why)))) {
            char rb[64];
            exec_sql(s->db, "ROLLBACK", rb, sizeof(rb));
            snprintf(err, errcap, "migration %03d_%s failed: %s", m->version, m->name, why);
            return e;
        }
        log_info("store: applied migration %03d_%s", m->version, m->name);
    }
    if (e) {
        snprintf(err, errcap, "migration failed: %s", why);
        return e;
    }
    if (from)
        *from = start < 0 ? 0 : start;
    if (to)
        *to = store_schema_version(s);
    return WG_OK;
}

wg_err store_ping(store *s)
{
    if (fault_hit("store_ping"))
        return WG_ERR_IO;
    int64_t one = 0;
    wg_err e = store_query_i64(s, SQL_PING, &one);
    return e ? e : (one == 1 ? WG_OK : WG_ERR_STORE);
}

wg_err store_db_size(store *s, int64_t *bytes)
{
    int64_t pages = 0, size = 0;
    wg_err e = store_query_i64(s, SQL_PAGE_COUNT, &pages);
    if (!e)
        e = store_query_i64(s, SQL_PAGE_SIZE, &size);
    if (!e)
        *bytes = pages * size;
    return e;
}

wg_err store_meta_get(store *s, const char *key, char *out, size_t cap)
{
    sqlite3_stmt *st = store_stmt(s, SQL_META_GET);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    wg_err e = WG_OK;
    if (rc == SQLITE_ROW)
        stmt_col_text(st, 0, out, cap);
    else
        e = rc == SQLITE_DONE ? WG_ERR_NOT_FOUND : store_map_rc(rc);
    stmt_done(st);
    return e;
}

wg_err store_meta_set(store *s, const char *key, const char *value)
{
    sqlite3_stmt *st = store_stmt(s, SQL_META_SET);
    if (!st)
        return WG_ERR_STORE;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return stmt_exec(st);
}

/* ---- writers ----
 *
 * Writers of one process queue on the pool's mutex instead of polling
 * SQLite's lock (its busy handler sleeps and retries: unfair, with latency
 * spikes under load). SQLite's own lock still orders other processes.
 *
 * Group commit on the pool's shared writer connection: each caller's
 * transaction is a SAVEPOINT inside one open SQLite transaction, the batch.
 * A caller releases its savepoint into the batch, hands the mutex on and
 * waits; the pool's committer thread commits the batch, syncs the WAL
 * (without the mutex, so that the next batch fills meanwhile) and tells the
 * waiters how it went. One caller's rollback undoes only its savepoint.
 * The cases of a batch share their pages (the tables' and most indexes'
 * rightmost leaves, the full-text segment) and one fsync, which cuts the
 * WAL written and the syncs per case several-fold under load, and costs a
 * lone writer one thread wake-up. Any other connection of the pool commits
 * the open batch before it starts its own transaction, so that it never
 * waits on SQLite's lock for it.
 *
 * A writer may also hand its write over whole (store_pool_submit): the
 * pool's runner thread runs such jobs, each in a savepoint of the batch,
 * so that the writer's thread neither waits for the mutex nor holds it,
 * and the work runs on one thread with the writer's cache warm. Under
 * bench/intake this gave +20-30% over writers taking the mutex: their
 * threads (the HTTP server's) stopped blocking, so suspended connections
 * were resumed sooner, and the mutex changed hands once per batch of jobs
 * instead of once per write. */

#define OUTCOMES 1024

/* Checkpoints. Pool connections never checkpoint in their own commits: a
 * checkpoint syncs the WAL, copies pages into the database file and syncs
 * that, and SQLite's automatic one ran inside the writer's COMMIT, with
 * the write lock held all along. A WAL hook counts the WAL's frames; every
 * CKPT_FRAMES the pool's checkpointer thread runs a PASSIVE checkpoint on
 * a connection of its own, beside the writers. Writers append meanwhile,
 * so it never quite catches up, and SQLite starts the WAL over only at the
 * first write after a checkpoint of all of it: past CKPT_RESTART_FRAMES
 * (and then every CKPT_FRAMES more), the writer checkpoints what is left
 * right after a commit, still holding the write lock, which copies only
 * what the checkpointer has not. That stalls every writer for a few
 * milliseconds (7 on average under bench/intake), so it should be rare:
 * at 4,000 frames it ran 9 times a second there, and 16,000 (a WAL of
 * about 64 MB before it starts over) gave +6-9% intake. Each checkpoint
 * syncs the WAL and the database file, beside the writers' own syncs of
 * the WAL, which then wait longer: every 4,000 frames rather than every
 * 1,000 gave about +10% intake at 16 connections (bench/intake, where a
 * commit's sync bounds the rate), and no loss at 64. */
#define CKPT_FRAMES 4000
#define CKPT_RESTART_FRAMES 16000

typedef struct {
    void (*fn)(void *ctx, wg_err e);
    void *ctx;
} store_done;

static const char SQL_SAVEPOINT[] = "SAVEPOINT w";
static const char SQL_RELEASE[] = "RELEASE w";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO w";

struct store_pool {
    char *path;
    store_opts opts;
    pthread_key_t key;
    pthread_mutex_t lock;
    pthread_mutex_t write; /* one writer of this process at a time */
    /* Jobs for the runner thread; under jobs_lock. */
    pthread_mutex_t jobs_lock;
    pthread_cond_t jobs_cond;
    store_job *jobs, **jobs_tail;
    bool runner_running, runner_stopping;
    pthread_t runner;
    /* The writer connection's open batch; under `write`. */
    pthread_cond_t batch_ready; /* a batch has members; with `write` */
    bool batch_open;
    int batch_members;  /* savepoints released into it */
    uint64_t batch_seq; /* its number */
    /* Members that asked to be called back (store_commit_async) instead of
     * waiting; the committer takes the list with the batch. */
    store_done *done;
    size_t ndone, done_cap;
    bool stopping;
    bool committer_running;
    pthread_t committer;
    /* Pool connections commit without fsync (store_walvfs_defer_sync) and
     * then wait until one fsync of the WAL file covers their commit; one leader
     * fsyncs for all who committed before it started. Under sync_lock,
     * with the outcome of recent batches. */
    pthread_mutex_t sync_lock;
    pthread_cond_t synced;
    uint64_t committed, durable;
    bool syncing;
    struct {
        uint64_t seq;
        wg_err err;
    } outcome[OUTCOMES];
    int wal_fd;
    /* A sync of the WAL failed: what was written may not be on disk, and
     * the kernel may have dropped the dirty pages, so a later sync proves
     * nothing (PostgreSQL panics here). Writes are refused until restart. */
    atomic_bool broken;
    /* The checkpointer; frame counts under ckpt_lock. */
    pthread_mutex_t ckpt_lock;
    pthread_cond_t ckpt_wake;
    pthread_t checkpointer;
    bool ckpt_running, ckpt_stopping;
    int wal_frames; /* in the WAL after the last commit */
    int ckpt_at;    /* wal_frames when the checkpointer last ran */
    int restart_at; /* wal_frames when the writer last caught up */
    int index_pending; /* cases of batches since the last catch-up; under `write` */
    store *writer;
    store *all; /* every connection opened, for store_pool_free */
};

/* Per thread: whether it holds its pool's write mutex, and whether its
 * transaction is a savepoint of the writer's batch (and which). */
static __thread bool holds_write;
static __thread bool in_batch;
static __thread uint64_t my_batch;

static void write_lock(store *s)
{
    if (s->write_mutex && !holds_write) {
        pthread_mutex_lock(s->write_mutex);
        holds_write = true;
    }
}

static void write_unlock(store *s)
{
    if (s->write_mutex && holds_write) {
        holds_write = false;
        pthread_mutex_unlock(s->write_mutex);
    }
}

static bool is_writer(const store *s)
{
    return s->pool && __atomic_load_n(&s->pool->writer, __ATOMIC_ACQUIRE) == s;
}

static wg_err group_sync(store_pool *p);

/* After a commit, with the write lock: when the WAL has grown past
 * CKPT_RESTART_FRAMES, checkpoint the rest of it, so that the next write
 * starts it over. Tried again only CKPT_FRAMES later (a reader on an old
 * snapshot, or the checkpointer at work, may keep it from finishing). */
static void catch_up(store_pool *p, store *w)
{
    if (!p->ckpt_running)
        return;
    pthread_mutex_lock(&p->ckpt_lock);
    bool due = p->wal_frames >= CKPT_RESTART_FRAMES && p->wal_frames - p->restart_at >= CKPT_FRAMES;
    if (due)
        p->restart_at = p->wal_frames;
    pthread_mutex_unlock(&p->ckpt_lock);
    if (due)
        sqlite3_wal_checkpoint_v2(w->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

/* SQLite's call after each commit of a pool connection, with the WAL's
 * size in frames. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int frames)
{
    (void)db;
    (void)name;
    store_pool *p = arg;
    pthread_mutex_lock(&p->ckpt_lock);
    if (frames < p->wal_frames) /* started over */
        p->ckpt_at = p->restart_at = 0;
    p->wal_frames = frames;
    if (frames - p->ckpt_at >= CKPT_FRAMES)
        pthread_cond_signal(&p->ckpt_wake);
    pthread_mutex_unlock(&p->ckpt_lock);
    return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
    store_pool *p = arg;
    pthread_setname_np(pthread_self(), "wg-checkpoint");
    store *c = NULL;
    char err[512];
    if (store_open(p->path, &p->opts, &c, err, sizeof(err)))
        log_error("store: the checkpointer cannot open the database: %s", err);
    pthread_mutex_lock(&p->ckpt_lock);
    while (!p->ckpt_stopping) {
        if (p->wal_frames - p->ckpt_at < CKPT_FRAMES || !c) {
            pthread_cond_wait(&p->ckpt_wake, &p->ckpt_lock);
            continue;
        }
        p->ckpt_at = p->wal_frames;
        pthread_mutex_unlock(&p->ckpt_lock);
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_warn("store: checkpoint: %s", sqlite3_errmsg(c->db));
        pthread_mutex_lock(&p->ckpt_lock);
    }
    pthread_mutex_unlock(&p->ckpt_lock);
    store_close(c);
    return NULL;
}

static wg_err await_outcome(store_pool *p, uint64_t seq)
{
    pthread_mutex_lock(&p->sync_lock);
    while (p->outcome[seq % OUTCOMES].seq < seq)
        pthread_cond_wait(&p->synced, &p->sync_lock);
    wg_err e = p->outcome[seq % OUTCOMES].seq == seq ? p->outcome[seq % OUTCOMES].err : WG_OK;
    pthread_mutex_unlock(&p->sync_lock);
    return e;
}

/* Tell a batch's members how it went. */
static void batch_outcome(store_pool *p, uint64_t seq, wg_err e, store_done *done, size_t ndone)
{
    pthread_mutex_lock(&p->sync_lock);
    p->outcome[seq % OUTCOMES].seq = seq;
    p->outcome[seq % OUTCOMES].err = e;
    pthread_cond_broadcast(&p->synced);
    pthread_mutex_unlock(&p->sync_lock);
    for (size_t i = 0; i < ndone; i++)
        done[i].fn(done[i].ctx, e);
    free(done);
}

/* Commit the writer's open batch (the caller holds `write` and gives it
 * up before the sync when `unlock`), sync it and tell its members how it
 * went. An empty batch is just closed. */
static wg_err close_batch(store_pool *p, bool unlock)
{
    store *w = p->writer;
    uint64_t seq = p->batch_seq;
    int members = p->batch_members;
    store_done *done = p->done;
    size_t ndone = p->ndone;
    p->done = NULL;
    p->ndone = p->done_cap = 0;
    /* A failed catch-up leaves the cases after the mark, where queries
     * read them anyway: tried again at the next batch. */
    if (members && p->index_pending >= STORE_INDEX_BATCH) {
        if (store_cases_catch_up(w) == WG_OK)
            p->index_pending = 0;
        else
            log_warn("store: cannot index the cases taken in: %s", sqlite3_errmsg(w->db));
    }
    store_walvfs_defer_sync(true); /* group_sync syncs, after the unlock */
    wg_err e = store_run(w, members ? SQL_COMMIT : SQL_ROLLBACK);
    store_walvfs_defer_sync(false);
    if (e && !sqlite3_get_autocommit(w->db))
        store_run(w, SQL_ROLLBACK);
    if (!e && members)
        catch_up(p, w);
    p->batch_open = false;
    p->batch_members = 0;
    if (unlock)
        write_unlock(w);
    if (!members) {
        free(done); /* an async commit that failed before it joined */
        return WG_OK;
    }
    if (!e)
        e = group_sync(p); /* the batch is durable when this returns */
    batch_outcome(p, seq, e, done, ndone);
    return e;
}

static void job_committed(void *ctx, wg_err e)
{
    store_job *j = ctx;
    j->done(j->ctx, WG_OK, e);
}

/* Room for one more callback in the batch's list. */
static bool reserve_done(store_pool *p)
{
    if (p->ndone < p->done_cap)
        return true;
    size_t cap = p->done_cap ? p->done_cap * 2 : 16;
    store_done *d = realloc(p->done, cap * sizeof(*d));
    if (!d)
        return false;
    p->done = d;
    p->done_cap = cap;
    return true;
}

/* The writer's batch, open (with `write` held): begun if there is none,
 * and begun anew if SQLite rolled the last one back (an I/O error, a full
 * disk), whose members then hear the error. */
static wg_err open_batch(store_pool *p)
{
    store *w = p->writer;
    if (p->batch_open && sqlite3_get_autocommit(w->db))
        close_batch(p, false);
    if (p->batch_open)
        return WG_OK;
    wg_err e = store_run(w, SQL_BEGIN);
    if (!e) {
        p->batch_open = true;
        p->batch_seq++;
    }
    return e;
}

/* Run the jobs (the runner, holding `write`), each in a savepoint of the
 * open batch. */
static void run_jobs(store_pool *p, store_job *j)
{
    store *w = p->writer;
    while (j) {
        store_job *next = j->next;
        wg_err e = atomic_load(&p->broken) ? WG_ERR_UNAVAILABLE : WG_OK;
        if (!e && !reserve_done(p))
            e = WG_ERR_NOMEM;
        if (!e)
            e = open_batch(p);
        if (!e && !(e = store_run(w, SQL_SAVEPOINT))) {
            in_batch = true;
            my_batch = p->batch_seq;
            e = j->run(w, j->ctx);
            in_batch = false;
            if (!e)
                e = store_run(w, SQL_RELEASE);
            if (e) {
                store_run(w, SQL_ROLLBACK_TO);
                store_run(w, SQL_RELEASE);
            }
        }
        if (e) {
            if (p->batch_open && (p->batch_members == 0 || sqlite3_get_autocommit(w->db)))
                close_batch(p, false);
            j->done(j->ctx, e, WG_OK);
        } else {
            p->done[p->ndone++] = (store_done){job_committed, j};
            if (p->batch_members++ == 0)
                pthread_cond_signal(&p->batch_ready);
        }
        j = next;
    }
}


static void *committer_main(void *arg)
{
    store_pool *p = arg;
    pthread_setname_np(pthread_self(), "wg-committer");
    pthread_mutex_lock(&p->write);
    for (;;) {
        while (!p->stopping && p->batch_members == 0)
            pthread_cond_wait(&p->batch_ready, &p->write);
        if (p->batch_members == 0)
            break;
        holds_write = true;
        close_batch(p, true);
        pthread_mutex_lock(&p->write);
    }
    pthread_mutex_unlock(&p->write);
    return NULL;
}

/* The runner: runs the jobs handed over, into the batch. */
static void *runner_main(void *arg)
{
    store_pool *p = arg;
    pthread_setname_np(pthread_self(), "wg-runner");
    pthread_mutex_lock(&p->jobs_lock);
    for (;;) {
        while (!p->jobs && !p->runner_stopping)
            pthread_cond_wait(&p->jobs_cond, &p->jobs_lock);
        store_job *jobs = p->jobs;
        if (!jobs)
            break;
        p->jobs = NULL;
        p->jobs_tail = &p->jobs;
        pthread_mutex_unlock(&p->jobs_lock);
        pthread_mutex_lock(&p->write);
        holds_write = true;
        run_jobs(p, jobs);
        holds_write = false;
        pthread_mutex_unlock(&p->write);
        pthread_mutex_lock(&p->jobs_lock);
    }
    pthread_mutex_unlock(&p->jobs_lock);
    return NULL;
}

bool store_pool_submit(store_pool *p, store_job *j)
{
    if (!p || !p->runner_running)
        return false;
    pthread_mutex_lock(&p->jobs_lock);
    bool ok = !p->runner_stopping;
    if (ok) {
        j->next = NULL;
        *p->jobs_tail = j;
        p->jobs_tail = &j->next;
        pthread_cond_signal(&p->jobs_cond);
    }
    pthread_mutex_unlock(&p->jobs_lock);
    return ok;
}

/* The caller is done with its savepoint: released into the batch when
 * `member` (then it waits for the batch's outcome), else rolled back. */
static wg_err leave_batch(store *s, bool member)
{
    store_pool *p = s->pool;
    in_batch = false;
    uint64_t seq = my_batch;
    if (member) {
        if (p->batch_members++ == 0)
            pthread_cond_signal(&p->batch_ready);
        write_unlock(s);
        return await_outcome(p, seq);
    }
    /* Close it when nobody else's work is in it, or when SQLite rolled the
     * whole transaction back (an I/O error, a full disk): then the
     * members' work is gone and they must hear so, and nobody may join a
     * batch that is no longer a transaction. */
    if (p->batch_members == 0 || sqlite3_get_autocommit(s->db))
        close_batch(p, false);
    write_unlock(s);
    return WG_OK;
}

bool store_batch_defer_index(store *s)
{
    if (!in_batch || !is_writer(s))
        return false;
    s->pool->index_pending++;
    return true;
}

bool store_pool_broken(store_pool *p)
{
    return p && atomic_load(&p->broken);
}

wg_err store_begin(store *s)
{
    if (s->pool && atomic_load(&s->pool->broken))
        return WG_ERR_UNAVAILABLE;
    if (is_writer(s) && in_batch) {
        log_error("store: a transaction inside a transaction on the writer connection");
        return WG_ERR_STORE;
    }
    write_lock(s);
    wg_err e;
    if (is_writer(s)) {
        store_pool *p = s->pool;
        if ((e = open_batch(p))) {
            write_unlock(s);
            return e;
        }
        my_batch = p->batch_seq;
        in_batch = true;
        if ((e = store_run(s, SQL_SAVEPOINT)))
            leave_batch(s, false);
        return e;
    }
    if (s->pool && s->pool->batch_open)
        close_batch(s->pool, false);
    if ((e = store_run(s, SQL_BEGIN)))
        write_unlock(s);
    return e;
}

wg_err store_snapshot(store *s)
{
    if (is_writer(s) || !sqlite3_get_autocommit(s->db)) {
        log_error("store: a snapshot inside a transaction");
        return WG_ERR_STORE;
    }
    return store_run(s, SQL_BEGIN_READ);
}

void store_snapshot_end(store *s)
{
    if (!is_writer(s) && !sqlite3_get_autocommit(s->db))
        store_run(s, SQL_COMMIT);
}

void store_commit_async(store *s, void (*done)(void *ctx, wg_err e), void *ctx)
{
    store_pool *p = s->pool;
    if (!in_batch || !is_writer(s)) {
        done(ctx, store_commit(s));
        return;
    }
    if (!reserve_done(p)) {
        done(ctx, store_commit(s)); /* wait instead */
        return;
    }
    wg_err e = store_run(s, SQL_RELEASE);
    if (e) {
        store_run(s, SQL_ROLLBACK_TO);
        store_run(s, SQL_RELEASE);
        leave_batch(s, false);
        done(ctx, e);
        return;
    }
    p->done[p->ndone++] = (store_done){done, ctx};
    in_batch = false;
    if (p->batch_members++ == 0)
        pthread_cond_signal(&p->batch_ready);
    write_unlock(s);
}

wg_err store_commit(store *s)
{
    if (in_batch && is_writer(s)) {
        wg_err e = store_run(s, SQL_RELEASE);
        if (e) {
            store_run(s, SQL_ROLLBACK_TO);
            store_run(s, SQL_RELEASE);
            leave_batch(s, false);
            return e;
        }
        return leave_batch(s, true);
    }
    store_walvfs_defer_sync(s->pool != NULL); /* group_sync syncs */
    wg_err e = store_run(s, SQL_COMMIT);
    store_walvfs_defer_sync(false);
    if (!e) {
        write_unlock(s);
        if (s->pool)
            e = group_sync(s->pool); /* the commit is durable when this returns */
    }
    return e;
}

void store_rollback(store *s)
{
    if (is_writer(s)) {
        /* Only the thread in the batch may touch the shared connection. */
        if (in_batch) {
            store_run(s, SQL_ROLLBACK_TO);
            store_run(s, SQL_RELEASE);
            leave_batch(s, false);
        }
        return;
    }
    if (!sqlite3_get_autocommit(s->db))
        store_run(s, SQL_ROLLBACK);
    write_unlock(s);
}

const char *store_engine(void)
{
    static char name[32];
    if (!name[0])
        snprintf(name, sizeof(name), "sqlite %s", sqlite3_libversion());
    return name;
}

/* ---- pool ---- */

/* A pool connection writes through the pool's mutex and commits with the
 * pool's group fsync instead of its own. */
static void join_pool(store_pool *p, store *s)
{
    s->write_mutex = &p->write;
    s->pool = p;
    /* synchronous stays FULL: its sync of the WAL at each commit is where
     * store_walvfs.c writes the frames out; around a commit the pool
     * makes that sync write only, and syncs the file itself. */
    if (p->ckpt_running)
        sqlite3_wal_hook(s->db, on_wal, p); /* instead of checkpoints in commits */
}

/* Wait until a WAL fsync covers everything this thread committed. */
static wg_err group_sync(store_pool *p)
{
    wg_err e = WG_OK;
    pthread_mutex_lock(&p->sync_lock);
    uint64_t mine = ++p->committed;
    while (p->durable < mine) {
        if (p->syncing) {
            pthread_cond_wait(&p->synced, &p->sync_lock);
            continue;
        }
        p->syncing = true;
        uint64_t target = p->committed;
        pthread_mutex_unlock(&p->sync_lock);
        if (p->wal_fd < 0) {
            char wal[4096];
            snprintf(wal, sizeof(wal), "%s-wal", p->path);
            p->wal_fd = open(wal, O_RDONLY | O_CLOEXEC);
        }
        bool ok = !fault_hit("store_fsync") && p->wal_fd >= 0 && fdatasync(p->wal_fd) == 0;
        if (!ok && !atomic_exchange(&p->broken, true))
            log_error("store: cannot sync the write-ahead log of %s: writes are refused until "
                      "the server restarts (check the disk first)",
                      p->path);
        pthread_mutex_lock(&p->sync_lock);
        p->syncing = false;
        if (ok)
            p->durable = target;
        else
            e = WG_ERR_IO;
        pthread_cond_broadcast(&p->synced);
        if (!ok)
            break;
    }
    pthread_mutex_unlock(&p->sync_lock);
    if (e)
        log_error("store: cannot fsync the write-ahead log of %s", p->path);
    return e;
}

wg_err store_pool_new(const char *path, const store_opts *o, store_pool **out, char *err,
                      size_t errcap)
{
    store *first = NULL;
    wg_err e = store_open(path, o, &first, err, errcap);
    if (e)
        return e;
    if ((e = store_migrate(first, NULL, NULL, err, errcap))) {
        store_close(first);
        return e;
    }
    store_pool *p = calloc(1, sizeof(*p));
    if (!p || !(p->path = strdup(path)) || pthread_key_create(&p->key, NULL) != 0) {
        if (p)
            free(p->path);
        free(p);
        store_close(first);
        return WG_ERR_NOMEM;
    }
    p->opts = *o;
    p->opts.create = false; /* exists now; a vanished file is an error */
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->write, NULL);
    pthread_mutex_init(&p->sync_lock, NULL);
    pthread_cond_init(&p->synced, NULL);
    pthread_cond_init(&p->batch_ready, NULL);
    pthread_mutex_init(&p->jobs_lock, NULL);
    pthread_cond_init(&p->jobs_cond, NULL);
    p->jobs_tail = &p->jobs;
    pthread_mutex_init(&p->ckpt_lock, NULL);
    pthread_cond_init(&p->ckpt_wake, NULL);
    p->wal_fd = -1;
    if (pthread_create(&p->checkpointer, NULL, checkpointer_main, p) == 0)
        p->ckpt_running = true;
    else
        log_warn("store: no checkpointer thread: commits checkpoint as they go");
    join_pool(p, first);
    p->all = first;
    pthread_setspecific(p->key, first);
    *out = p;
    return WG_OK;
}

store *store_pool_writer(store_pool *p)
{
    pthread_mutex_lock(&p->lock);
    if (!p->writer) {
        char err[512];
        store *s = NULL;
        if (store_open(p->path, &p->opts, &s, err, sizeof(err)) == WG_OK) {
            /* The cases a previous server (or the command line) left
             * after the mark count towards the first catch-up. */
            int64_t unindexed = 0;
            if (store_cases_unindexed(s, &unindexed) == WG_OK)
                p->index_pending = unindexed > INT_MAX ? INT_MAX : (int)unindexed;
            join_pool(p, s);
            s->next_in_pool = p->all;
            p->all = s;
            __atomic_store_n(&p->writer, s, __ATOMIC_RELEASE);
            if (pthread_create(&p->committer, NULL, committer_main, p) == 0)
                p->committer_running = true;
            else
                log_error("store: cannot start the committer thread");
            if (p->committer_running &&
                pthread_create(&p->runner, NULL, runner_main, p) == 0)
                p->runner_running = true;
            else
                log_warn("store: no runner thread: writes are not handed over");
        } else {
            log_error("store: %s", err);
        }
    }
    store *w = p->committer_running ? p->writer : NULL;
    pthread_mutex_unlock(&p->lock);
    return w;
}

store *store_pool_get(store_pool *p)
{
    store *s = pthread_getspecific(p->key);
    if (s)
        return s;
    char err[512];
    if (store_open(p->path, &p->opts, &s, err, sizeof(err))) {
        log_error("store: %s", err);
        return NULL;
    }
    join_pool(p, s);
    pthread_mutex_lock(&p->lock);
    s->next_in_pool = p->all;
    p->all = s;
    pthread_mutex_unlock(&p->lock);
    pthread_setspecific(p->key, s);
    return s;
}

void store_pool_flush(store_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->write);
    holds_write = true;
    if (p->batch_open) {
        close_batch(p, true);
    } else {
        holds_write = false;
        pthread_mutex_unlock(&p->write);
    }
}

void store_pool_free(store_pool *p)
{
    if (!p)
        return;
    if (p->runner_running) { /* first: it runs what is queued */
        pthread_mutex_lock(&p->jobs_lock);
        p->runner_stopping = true;
        pthread_cond_signal(&p->jobs_cond);
        pthread_mutex_unlock(&p->jobs_lock);
        pthread_join(p->runner, NULL);
    }
    if (p->committer_running) {
        pthread_mutex_lock(&p->write);
        p->stopping = true;
        pthread_cond_signal(&p->batch_ready);
        pthread_mutex_unlock(&p->write);
        pthread_join(p->committer, NULL);
    }
    if (p->ckpt_running) {
        pthread_mutex_lock(&p->ckpt_lock);
        p->ckpt_stopping = true;
        pthread_cond_signal(&p->ckpt_wake);
        pthread_mutex_unlock(&p->ckpt_lock);
        pthread_join(p->checkpointer, NULL);
    }
    store *s = p->all;
    while (s) {
        store *next = s->next_in_pool;
        store_close(s);
        s = next;
    }
    pthread_key_delete(p->key);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->write);
    pthread_mutex_destroy(&p->sync_lock);
    pthread_cond_destroy(&p->synced);
    pthread_cond_destroy(&p->batch_ready);
    pthread_mutex_destroy(&p->jobs_lock);
    pthread_cond_destroy(&p->jobs_cond);
    pthread_mutex_destroy(&p->ckpt_lock);
    pthread_cond_destroy(&p->ckpt_wake);
    free(p->done);
    if (p->wal_fd >= 0)
        close(p->wal_fd);
    free(p->path);
    free(p);
}
