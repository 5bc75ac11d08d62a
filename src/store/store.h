/*
 * store.h - wangge's storage, behind one interface.
 *
 * Callers see domain-level functions and wg_err codes only; no SQLite type
 * leaks out, so that a PostgreSQL implementation can replace store_sqlite.c
 * without touching callers. All SQL of the program lives under src/store/.
 *
 * A `store` is one connection and must be used by one thread at a time.
 * A `store_pool` hands each thread its own connection, opened on first use
 * and closed by store_pool_free().
 */
#ifndef WG_STORE_H
#define WG_STORE_H

#include "util/common.h"
#include "util/err.h"

typedef struct store store;
typedef struct store_pool store_pool;

typedef struct {
    int busy_timeout_ms; /* wait this long for a lock */
    bool create;         /* create the file if absent */
} store_opts;

/* Open the database at path and check that it is a wangge database whose
 * schema this binary knows (an empty or new file is fine). On failure
 * writes a message naming the path into err and returns WG_ERR_IO (cannot
 * open/write), WG_ERR_STORE (not a database / not ours) or WG_ERR_SCHEMA
 * (newer schema). The caller owns *out and frees it with store_close. */
wg_err store_open(const char *path, const store_opts *o, store **out, char *err, size_t errcap);
void store_close(store *s);

/* Apply pending migrations, one transaction each. *from and *to receive the
 * schema version before and after (may be NULL). */
wg_err store_migrate(store *s, int *from, int *to, char *err, size_t errcap);

/* The schema version of the open database (0 for an empty one). */
int store_schema_version(store *s);

/* The newest schema version this binary knows. */
int store_schema_latest(void);

/* Check that the database answers a trivial query. */
wg_err store_ping(store *s);

/* Size of the database file in bytes (pages in use times page size). */
wg_err store_db_size(store *s, int64_t *bytes);

/* Read a row of the meta table into out (NUL-terminated). */
wg_err store_meta_get(store *s, const char *key, char *out, size_t cap);

/* Transactions: one per request that writes. */
wg_err store_begin(store *s);
wg_err store_commit(store *s);
void store_rollback(store *s);

/* The library name and version, e.g. "sqlite 3.40.1". */
const char *store_engine(void);

/* A pool of per-thread connections to one database. Opening the pool opens
 * (and migrates) one connection to check the file; later connections are
 * opened by store_pool_get on each thread's first call. */
wg_err store_pool_new(const char *path, const store_opts *o, store_pool **out, char *err,
                      size_t errcap);
/* This thread's connection, or NULL if it could not be opened (logged). */
store *store_pool_get(store_pool *p);
/* Close every connection; no thread may use the pool afterwards. */
void store_pool_free(store_pool *p);

#endif
