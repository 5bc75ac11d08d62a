#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "store/store.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    fx_tmpdir(dir, sizeof(dir), "store");
    snprintf(path, sizeof(path), "%s/t.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fx_rmdir(dir);
}

static const store_opts opts = {.busy_timeout_ms = 1000, .create = true};

static void test_create_migrate_reopen(void **state)
{
    (void)state;
    char err[512];
    store *s = NULL;
    assert_int_equal(store_open(path, &opts, &s, err, sizeof(err)), WG_OK);
    assert_int_equal(store_schema_version(s), 0);
    int from = -1, to = -1;
    assert_int_equal(store_migrate(s, &from, &to, err, sizeof(err)), WG_OK);
    assert_int_equal(from, 0);
    assert_int_equal(to, store_schema_latest());
    assert_int_equal(store_ping(s), WG_OK);
    char id[64];
    assert_int_equal(store_meta_get(s, "instance_id", id, sizeof(id)), WG_OK);
    assert_int_equal(strlen(id), 32);
    assert_int_equal(store_meta_get(s, "nope", id, sizeof(id)), WG_ERR_NOT_FOUND);
    int64_t size = 0;
    assert_int_equal(store_db_size(s, &size), WG_OK);
    assert_true(size > 0);
    store_close(s);

    /* Again: nothing to do. */
    assert_int_equal(store_open(path, &opts, &s, err, sizeof(err)), WG_OK);
    assert_int_equal(store_migrate(s, &from, &to, err, sizeof(err)), WG_OK);
    assert_int_equal(from, to);
    store_close(s);
}

static void test_missing_without_create(void **state)
{
    (void)state;
    char err[512];
    store *s = NULL;
    store_opts o = opts;
    o.create = false;
    char p[160];
    snprintf(p, sizeof(p), "%s/absent.db", dir);
    assert_int_equal(store_open(p, &o, &s, err, sizeof(err)), WG_ERR_IO);
    assert_non_null(strstr(err, p));
    assert_null(s);
}

static void test_unwritable_dir(void **state)
{
    (void)state;
    char err[512];
    store *s = NULL;
    assert_int_equal(store_open("/nonexistent-dir/x.db", &opts, &s, err, sizeof(err)), WG_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent-dir/x.db"));
}

static void test_not_a_database(void **state)
{
    (void)state;
    char p[160];
    snprintf(p, sizeof(p), "%s/junk.db", dir);
    FILE *f = fopen(p, "w");
    for (int i = 0; i < 200; i++)
        fputs("this is not a database file at all. ", f);
    fclose(f);
    char err[512];
    store *s = NULL;
    assert_int_equal(store_open(p, &opts, &s, err, sizeof(err)), WG_ERR_STORE);
    assert_non_null(strstr(err, "not a database"));
}

static void test_foreign_database(void **state)
{
    (void)state;
    char p[160];
    snprintf(p, sizeof(p), "%s/foreign.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[512];
    store *s = NULL;
    assert_int_equal(store_open(p, &opts, &s, err, sizeof(err)), WG_ERR_STORE);
    assert_non_null(strstr(err, "none of wangge's"));
}

static void test_newer_schema_refused(void **state)
{
    (void)state;
    char err[512];
    store *s = NULL;
    assert_int_equal(store_open(path, &opts, &s, err, sizeof(err)), WG_OK);
    assert_int_equal(store_migrate(s, NULL, NULL, err, sizeof(err)), WG_OK);
    store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[200];
    snprintf(sql, sizeof(sql),
             "INSERT INTO schema_migrations VALUES (%d, 'from_the_future', 'now')",
             store_schema_latest() + 1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(store_open(path, &opts, &s, err, sizeof(err)), WG_ERR_SCHEMA);
    assert_non_null(strstr(err, "newer"));
}

static void test_failed_migration_leaves_nothing(void **state)
{
    (void)state;
    /* A database whose "meta" table already exists (made by hand) makes
     * migration 001 fail: the schema must stay at 0 and no half of the
     * migration may remain. */
    char p[160];
    snprintf(p, sizeof(p), "%s/half.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                                  " name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT;"
                                  "CREATE TABLE meta(x);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    char err[512];
    store *s = NULL;
    assert_int_equal(store_open(p, &opts, &s, err, sizeof(err)), WG_OK);
    assert_int_not_equal(store_migrate(s, NULL, NULL, err, sizeof(err)), WG_OK);
    assert_non_null(strstr(err, "001_init"));
    assert_int_equal(store_schema_version(s), 0);
    store_close(s);
}

static void test_transactions(void **state)
{
    (void)state;
    char err[512];
    store *s = NULL;
    assert_int_equal(store_open(path, &opts, &s, err, sizeof(err)), WG_OK);
    assert_int_equal(store_begin(s), WG_OK);
    assert_int_equal(store_begin(s), WG_ERR_STORE); /* no nesting */
    assert_int_equal(store_commit(s), WG_OK);
    assert_int_equal(store_begin(s), WG_OK);
    store_rollback(s);
    store_rollback(s); /* harmless outside a transaction */
    store_close(s);
}

static void *pool_thread(void *arg)
{
    store_pool *p = arg;
    store *a = store_pool_get(p);
    store *b = store_pool_get(p);
    return a && a == b && store_ping(a) == WG_OK ? a : NULL;
}

static void test_pool_one_connection_per_thread(void **state)
{
    (void)state;
    char err[512];
    store_pool *p = NULL;
    assert_int_equal(store_pool_new(path, &opts, &p, err, sizeof(err)), WG_OK);
    store *mine = store_pool_get(p);
    assert_non_null(mine);
    pthread_t t1, t2;
    void *r1, *r2;
    pthread_create(&t1, NULL, pool_thread, p);
    pthread_create(&t2, NULL, pool_thread, p);
    pthread_join(t1, &r1);
    pthread_join(t2, &r2);
    assert_non_null(r1);
    assert_non_null(r2);
    assert_ptr_not_equal(r1, r2);
    assert_ptr_not_equal(r1, mine);
    store_pool_free(p);
}

/* Group commit: writers on the pool's writer connection share batches; a
 * rollback undoes only its own work, synchronous and asynchronous commits
 * both end durable, and a thread writing on its own connection meanwhile
 * neither waits for the batch's lock nor loses anything. */
#define BATCH_THREADS 6
#define BATCH_ROUNDS 40

typedef struct {
    store_pool *p;
    int id;
    int failures;
} batch_arg;

typedef struct {
    sem_t done;
    wg_err e;
} async_wait;

static void async_done(void *ctx, wg_err e)
{
    async_wait *w = ctx;
    w->e = e;
    sem_post(&w->done);
}

static bool kept(int round)
{
    return round % 5 != 0; /* every fifth write is rolled back */
}

static void *batch_thread(void *arg)
{
    batch_arg *a = arg;
    for (int i = 0; i < BATCH_ROUNDS; i++) {
        bool own = a->id == 0; /* thread 0 writes on its own connection */
        store *s = own ? store_pool_get(a->p) : store_pool_writer(a->p);
        char key[32];
        snprintf(key, sizeof(key), "k-%d-%d", a->id, i);
        if (!s || store_begin(s) != WG_OK || store_meta_set(s, key, "v") != WG_OK) {
            a->failures++;
            continue;
        }
        if (!kept(i)) {
            store_rollback(s);
        } else if (i % 2) {
            async_wait w;
            sem_init(&w.done, 0, 0);
            store_commit_async(s, async_done, &w);
            sem_wait(&w.done);
            sem_destroy(&w.done);
            a->failures += w.e != WG_OK;
        } else {
            a->failures += store_commit(s) != WG_OK;
        }
    }
    return NULL;
}

static void test_pool_group_commit(void **state)
{
    (void)state;
    char err[512];
    store_pool *p = NULL;
    assert_int_equal(store_pool_new(path, &opts, &p, err, sizeof(err)), WG_OK);
    pthread_t t[BATCH_THREADS];
    batch_arg a[BATCH_THREADS];
    for (int i = 0; i < BATCH_THREADS; i++) {
        a[i] = (batch_arg){p, i, 0};
        pthread_create(&t[i], NULL, batch_thread, &a[i]);
    }
    for (int i = 0; i < BATCH_THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].failures, 0);
    }
    store_pool_free(p);
    store *s = NULL;
    assert_int_equal(store_open(path, &opts, &s, err, sizeof(err)), WG_OK);
    for (int i = 0; i < BATCH_THREADS; i++)
        for (int j = 0; j < BATCH_ROUNDS; j++) {
            char key[32], v[8];
            snprintf(key, sizeof(key), "k-%d-%d", i, j);
            assert_int_equal(store_meta_get(s, key, v, sizeof(v)),
                             kept(j) ? WG_OK : WG_ERR_NOT_FOUND);
        }
    store_close(s);
}

/* Writes handed over whole (store_pool_submit) run on the pool's runner
 * thread, beside writers that take the mutex: each job's done is called
 * once; a failing job's work is undone and nobody else's; the rest is
 * durable. */
#define JOB_THREADS 4
#define JOB_ROUNDS 50

typedef struct {
    store_job job;
    sem_t done;
    wg_err run_err, commit_err;
    int calls;
    char key[32];
    bool fail;
} test_job;

static wg_err job_write(store *w, void *ctx)
{
    test_job *t = ctx;
    wg_err e = store_meta_set(w, t->key, "v");
    return e ? e : t->fail ? WG_ERR_INVALID : WG_OK;
}

static void job_finished(void *ctx, wg_err run_err, wg_err commit_err)
{
    test_job *t = ctx;
    t->run_err = run_err;
    t->commit_err = commit_err;
    t->calls++;
    sem_post(&t->done);
}

static bool job_fails(int round)
{
    return round % 4 == 1;
}

static void *job_thread(void *arg)
{
    batch_arg *a = arg;
    for (int i = 0; i < JOB_ROUNDS; i++) {
        char key[32];
        snprintf(key, sizeof(key), "j-%d-%d", a->id, i);
        if (a->id == 0) { /* a writer taking the mutex meanwhile */
            store *s = store_pool_writer(a->p);
            if (!s || store_begin(s) || store_meta_set(s, key, "v") || store_commit(s))
                a->failures++;
            continue;
        }
        test_job t = {.job = {.run = job_write, .done = job_finished}, .fail = job_fails(i)};
        t.job.ctx = &t;
        snprintf(t.key, sizeof(t.key), "%s", key);
        sem_init(&t.done, 0, 0);
        if (!store_pool_submit(a->p, &t.job)) {
            a->failures++;
            continue;
        }
        sem_wait(&t.done);
        sem_destroy(&t.done);
        bool ok = t.calls == 1 && (t.fail ? t.run_err == WG_ERR_INVALID && !t.commit_err
                                          : !t.run_err && !t.commit_err);
        a->failures += !ok;
    }
    return NULL;
}

static void test_pool_jobs(void **state)
{
    (void)state;
    char err[512];
    store_pool *p = NULL;
    assert_int_equal(store_pool_new(path, &opts, &p, err, sizeof(err)), WG_OK);
    store_job none = {0};
    assert_non_null(store_pool_writer(p)); /* starts the committer and the runner */
    pthread_t t[JOB_THREADS];
    batch_arg a[JOB_THREADS];
    for (int i = 0; i < JOB_THREADS; i++) {
        a[i] = (batch_arg){p, i, 0};
        pthread_create(&t[i], NULL, job_thread, &a[i]);
    }
    for (int i = 0; i < JOB_THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(a[i].failures, 0);
    }
    store_pool_free(p);
    assert_false(store_pool_submit(NULL, &none));
    store *s = NULL;
    assert_int_equal(store_open(path, &opts, &s, err, sizeof(err)), WG_OK);
    for (int i = 0; i < JOB_THREADS; i++)
        for (int j = 0; j < JOB_ROUNDS; j++) {
            char key[32], v[8];
            snprintf(key, sizeof(key), "j-%d-%d", i, j);
            assert_int_equal(store_meta_get(s, key, v, sizeof(v)),
                             i > 0 && job_fails(j) ? WG_ERR_NOT_FOUND : WG_OK);
        }
    store_close(s);
}

/* The WAL frames store_walvfs.c gathers are in the file before a commit is
 * visible: a reader on a connection of its own, polling while a pool
 * commits batches of large rows (one of them past the 8 MiB the wrapper
 * gathers, all past the 128 KiB one write call may carry), only ever sees
 * whole commits, and everything is there after reopening. */
#define WAL_COMMITS 40
#define WAL_VALUE 3000

typedef struct {
    atomic_int writing;
    int torn, reads, errors;
} wal_watch;

static void *wal_reader(void *arg)
{
    wal_watch *w = arg;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        w->errors++;
        return NULL;
    }
    sqlite3_busy_timeout(db, 1000);
    /* Every commit writes its rows r-<c>-<n> and the marker d-<c> = count. */
    const char *sql = "SELECT (SELECT count(*) FROM meta WHERE key LIKE 'r-%'),"
                      " (SELECT coalesce(sum(CAST(value AS INTEGER)), 0) FROM meta"
                      "  WHERE key LIKE 'd-%'),"
                      " (SELECT count(*) FROM meta WHERE key LIKE 'r-%' AND length(value) != 3000)";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        w->errors++;
    while (st && atomic_load(&w->writing)) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            w->reads++;
            if (sqlite3_column_int64(st, 0) != sqlite3_column_int64(st, 1) ||
                sqlite3_column_int64(st, 2) != 0)
                w->torn++;
        } else if (rc != SQLITE_BUSY) {
            w->errors++;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return NULL;
}

static void test_wal_gathered_commits(void **state)
{
    (void)state;
    char err[512];
    store_pool *p = NULL;
    assert_int_equal(store_pool_new(path, &opts, &p, err, sizeof(err)), WG_OK);
    store *w = store_pool_writer(p);
    assert_non_null(w);
    wal_watch watch = {.writing = 1};
    pthread_t reader;
    pthread_create(&reader, NULL, wal_reader, &watch);
    char *value = malloc(WAL_VALUE + 1);
    assert_non_null(value);
    int expected = 0;
    for (int c = 0; c < WAL_COMMITS; c++) {
        memset(value, 'a' + c % 26, WAL_VALUE);
        value[WAL_VALUE] = '\0';
        int rows = c == WAL_COMMITS / 2 ? 3000 : 1 + c % 40; /* 3000 rows: ~9 MB */
        assert_int_equal(store_begin(w), WG_OK);
        for (int n = 0; n < rows; n++) {
            char key[32];
            snprintf(key, sizeof(key), "r-%d-%d", c, n);
            assert_int_equal(store_meta_set(w, key, value), WG_OK);
        }
        char key[32], count[16];
        snprintf(key, sizeof(key), "d-%d", c);
        snprintf(count, sizeof(count), "%d", rows);
        assert_int_equal(store_meta_set(w, key, count), WG_OK);
        assert_int_equal(store_commit(w), WG_OK);
        expected += rows;
    }
    atomic_store(&watch.writing, 0);
    pthread_join(reader, NULL);
    free(value);
    assert_int_equal(watch.errors, 0);
    assert_int_equal(watch.torn, 0);
    assert_true(watch.reads > 0);
    store_pool_free(p);

    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT (SELECT count(*) FROM meta WHERE key LIKE 'r-%'),"
                                        " (SELECT quick_check FROM pragma_quick_check)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), expected);
    assert_string_equal((const char *)sqlite3_column_text(st, 1), "ok");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_migrate_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_without_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_migration_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_one_connection_per_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_gathered_commits, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
