#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/auth.h"
#include "store/store.h"

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    if (auth_init() != WG_OK)
        return -1;
    snprintf(dir, sizeof(dir), "/tmp/wg-test-audit-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static const store_opts opts = {.busy_timeout_ms = 1000, .create = true};

/* Path of database `name` in the test directory. */
static const char *db_path(const char *name)
{
    static char p[192];
    snprintf(p, sizeof(p), "%s/%s.db", dir, name);
    return p;
}

static store *open_db(const char *name)
{
    char err[512] = "";
    store *s = NULL;
    if (store_open(db_path(name), &opts, &s, err, sizeof(err)) != WG_OK)
        fail_msg("open %s: %s", name, err);
    if (store_migrate(s, NULL, NULL, err, sizeof(err)) != WG_OK)
        fail_msg("migrate %s: %s", name, err);
    return s;
}

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return false;
    return true;
}

/* Append row number i (1-based) in its own transaction. */
static void append_one(store *s, int i)
{
    char res[64], det[64];
    snprintf(res, sizeof(res), "/api/users/u%d", i);
    snprintf(det, sizeof(det), "detail %d", i);
    audit_event ev = {
        .actor_id = i,
        .actor = "admin",
        .action = "user.create",
        .resource = res,
        .request_id = "req-1",
        .client_addr = "127.0.0.1",
        .detail = det,
    };
    assert_int_equal(store_begin(s), WG_OK);
    assert_int_equal(audit_append(s, &ev), WG_OK);
    assert_int_equal(store_commit(s), WG_OK);
}

typedef struct {
    int n;
    store_audit_row rows[8];
} rows_ctx;

static wg_err collect(void *ctx, const store_audit_row *r)
{
    rows_ctx *c = ctx;
    if (c->n < 8)
        c->rows[c->n] = *r;
    c->n++;
    return WG_OK;
}

static void scan_all(store *s, rows_ctx *c)
{
    memset(c, 0, sizeof(*c));
    store_audit_filter f = {0};
    assert_int_equal(store_audit_scan(s, &f, collect, c), WG_OK);
}

/* A database `name` with three chained rows, closed again; hashes of the
 * rows into h (may be NULL). */
static void make_three(const char *name, char h[3][65])
{
    store *s = open_db(name);
    for (int i = 1; i <= 3; i++)
        append_one(s, i);
    rows_ctx c;
    scan_all(s, &c);
    assert_int_equal(c.n, 3);
    if (h)
        for (int i = 0; i < 3; i++)
            memcpy(h[i], c.rows[i].hash, 65);
    store_close(s);
}

/* Run SQL on the database file directly, as someone with file access
 * would; returns sqlite3_exec's code. */
static int raw_exec(const char *name, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path(name), &db), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    sqlite3_close(db);
    return rc;
}

static void drop_triggers(const char *name)
{
    assert_int_equal(raw_exec(name, "DROP TRIGGER audit_log_no_update;"
                                    "DROP TRIGGER audit_log_no_delete;"),
                     SQLITE_OK);
}

static void verify(const char *name, audit_report *rep)
{
    store *s = open_db(name);
    assert_int_equal(audit_verify(s, rep), WG_OK);
    store_close(s);
}

static void test_empty(void **state)
{
    (void)state;
    store *s = open_db("empty");
    audit_report rep;
    memset(&rep, 0x55, sizeof(rep));
    assert_int_equal(audit_verify(s, &rep), WG_OK);
    assert_int_equal(rep.rows, 0);
    assert_int_equal(rep.first_bad_id, 0);
    assert_string_equal(rep.why, "");
    assert_string_equal(rep.head, ZERO64);
    store_close(s);
}

static void test_append_verify(void **state)
{
    (void)state;
    store *s = open_db("intact");
    for (int i = 1; i <= 3; i++)
        append_one(s, i);

    audit_report rep;
    assert_int_equal(audit_verify(s, &rep), WG_OK);
    assert_int_equal(rep.rows, 3);
    assert_int_equal(rep.first_bad_id, 0);
    assert_string_equal(rep.why, "");
    assert_true(is_hex64(rep.head));
    assert_string_not_equal(rep.head, ZERO64);

    rows_ctx c;
    scan_all(s, &c);
    assert_int_equal(c.n, 3);
    for (int i = 0; i < 3; i++) {
        store_audit_row *r = &c.rows[i];
        char want[64], h[65];
        assert_int_equal(r->id, i + 1);
        assert_int_equal(r->actor_id, i + 1);
        assert_string_equal(r->actor, "admin");
        assert_string_equal(r->action, "user.create");
        snprintf(want, sizeof(want), "/api/users/u%d", i + 1);
        assert_string_equal(r->resource, want);
        snprintf(want, sizeof(want), "detail %d", i + 1);
        assert_string_equal(r->detail, want);
        assert_string_equal(r->request_id, "req-1");
        assert_string_equal(r->client_addr, "127.0.0.1");
        assert_int_equal(strlen(r->at), 24); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
        assert_true(is_hex64(r->hash));
        assert_string_equal(r->prev_hash, i == 0 ? ZERO64 : c.rows[i - 1].hash);
        audit_row_hash(r, h);
        assert_string_equal(h, r->hash);
    }
    assert_string_equal(rep.head, c.rows[2].hash);
    assert_string_not_equal(c.rows[0].hash, c.rows[1].hash);

    /* The hash covers each field: change any one and it differs. */
    char base[65], h[65];
    store_audit_row r = c.rows[1];
    audit_row_hash(&r, base);
    r.id = 3;
    audit_row_hash(&r, h);
    assert_string_not_equal(h, base);
    r = c.rows[1];
    r.actor_id = 99;
    audit_row_hash(&r, h);
    assert_string_not_equal(h, base);
    r = c.rows[1];
    r.detail[0] = 'D';
    audit_row_hash(&r, h);
    assert_string_not_equal(h, base);
    r = c.rows[1];
    r.prev_hash[0] = r.prev_hash[0] == 'a' ? 'b' : 'a';
    audit_row_hash(&r, h);
    assert_string_not_equal(h, base);
    /* Length prefixes: moving a byte between fields changes the hash. */
    r = c.rows[1];
    snprintf(r.actor, sizeof(r.actor), "ab");
    snprintf(r.action, sizeof(r.action), "c");
    audit_row_hash(&r, base);
    snprintf(r.actor, sizeof(r.actor), "a");
    snprintf(r.action, sizeof(r.action), "bc");
    audit_row_hash(&r, h);
    assert_string_not_equal(h, base);
    store_close(s);
}

static void test_defaults_and_rollback(void **state)
{
    (void)state;
    store *s = open_db("defaults");
    /* NULLs become "-", "-", "" and "". */
    audit_event ev = {.action = "login.failure", .resource = "/api/login"};
    assert_int_equal(audit_record(s, &ev), WG_OK);

    /* A row appended in a transaction that rolls back is gone, and the
     * chain stays intact. */
    audit_event ev2 = {.actor = "x", .action = "user.delete", .resource = "/api/users/x"};
    assert_int_equal(store_begin(s), WG_OK);
    assert_int_equal(audit_append(s, &ev2), WG_OK);
    store_rollback(s);

    rows_ctx c;
    scan_all(s, &c);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.rows[0].actor_id, 0);
    assert_string_equal(c.rows[0].actor, "-");
    assert_string_equal(c.rows[0].request_id, "-");
    assert_string_equal(c.rows[0].client_addr, "");
    assert_string_equal(c.rows[0].detail, "");
    assert_string_equal(c.rows[0].action, "login.failure");

    assert_int_equal(audit_record(s, &ev2), WG_OK);
    audit_report rep;
    assert_int_equal(audit_verify(s, &rep), WG_OK);
    assert_int_equal(rep.rows, 2);
    assert_int_equal(rep.first_bad_id, 0);
    store_close(s);
}

static void test_record_commits(void **state)
{
    (void)state;
    store *s = open_db("record");
    audit_event ev = {.actor = "cli:root", .action = "user.create", .resource = "/u/a"};
    assert_int_equal(audit_record(s, &ev), WG_OK);
    assert_int_equal(audit_record(s, &ev), WG_OK);
    /* Committed: a second connection sees both rows at once. */
    store *other = open_db("record");
    rows_ctx c;
    scan_all(other, &c);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.rows[1].actor, "cli:root");
    store_close(other);
    /* And no transaction is left open: a new one can begin. */
    assert_int_equal(store_begin(s), WG_OK);
    assert_int_equal(store_commit(s), WG_OK);
    store_close(s);
}

static void test_triggers_refuse(void **state)
{
    (void)state;
    char h[3][65];
    make_three("triggers", h);
    assert_int_not_equal(raw_exec("triggers", "UPDATE audit_log SET detail = 'x' WHERE id = 2"),
                         SQLITE_OK);
    assert_int_not_equal(raw_exec("triggers", "DELETE FROM audit_log WHERE id = 2"), SQLITE_OK);
    assert_int_not_equal(raw_exec("triggers", "DELETE FROM audit_log"), SQLITE_OK);
    audit_report rep;
    verify("triggers", &rep);
    assert_int_equal(rep.rows, 3);
    assert_int_equal(rep.first_bad_id, 0);
    assert_string_equal(rep.head, h[2]);
}

static void test_tamper_update(void **state)
{
    (void)state;
    char h[3][65];
    make_three("t_update", h);
    drop_triggers("t_update");
    assert_int_equal(raw_exec("t_update", "UPDATE audit_log SET detail = 'nothing' WHERE id = 2"),
                     SQLITE_OK);
    audit_report rep;
    verify("t_update", &rep);
    assert_int_equal(rep.first_bad_id, 2);
    assert_int_equal(rep.rows, 2);
    assert_non_null(strstr(rep.why, "row 2"));
    assert_non_null(strstr(rep.why, "changed"));
    assert_string_equal(rep.head, h[0]); /* the last good row */
}

static void test_tamper_delete(void **state)
{
    (void)state;
    char h[3][65];
    make_three("t_delete", h);
    drop_triggers("t_delete");
    assert_int_equal(raw_exec("t_delete", "DELETE FROM audit_log WHERE id = 2"), SQLITE_OK);
    audit_report rep;
    verify("t_delete", &rep);
    assert_int_equal(rep.first_bad_id, 3);
    assert_non_null(strstr(rep.why, "deleted"));
    assert_string_equal(rep.head, h[0]);

    /* Deleting the first row is caught at the second. */
    make_three("t_delete1", NULL);
    drop_triggers("t_delete1");
    assert_int_equal(raw_exec("t_delete1", "DELETE FROM audit_log WHERE id = 1"), SQLITE_OK);
    verify("t_delete1", &rep);
    assert_int_equal(rep.first_bad_id, 2);
    assert_string_equal(rep.head, ZERO64);
}

static void test_tamper_insert(void **state)
{
    (void)state;
    char h[3][65], sql[1024];

    /* A forged row at the end whose prev_hash is not the last row's hash. */
    make_three("t_insert", h);
    drop_triggers("t_insert");
    snprintf(sql, sizeof(sql),
             "INSERT INTO audit_log (id, at, actor_id, actor, action, resource, request_id,"
             " client_addr, detail, prev_hash, hash) VALUES (4, '2024-01-01T00:00:00.000Z', 1,"
             " 'admin', 'user.create', '/x', '-', '', '', '%s', '%s')",
             ZERO64, h[2]);
    assert_int_equal(raw_exec("t_insert", sql), SQLITE_OK);
    audit_report rep;
    verify("t_insert", &rep);
    assert_int_equal(rep.first_bad_id, 4);
    assert_int_equal(rep.rows, 4);
    assert_non_null(strstr(rep.why, "link"));
    assert_string_equal(rep.head, h[2]);

    /* A forged row that links correctly but whose hash is made up. Even
     * with the triggers in place an INSERT is allowed. */
    make_three("t_insert2", h);
    snprintf(sql, sizeof(sql),
             "INSERT INTO audit_log (id, at, actor_id, actor, action, resource, request_id,"
             " client_addr, detail, prev_hash, hash) VALUES (4, '2024-01-01T00:00:00.000Z', 1,"
             " 'admin', 'user.create', '/x', '-', '', '', '%s', '%s')",
             h[2], "abababababababababababababababababababababababababababababababab");
    assert_int_equal(raw_exec("t_insert2", sql), SQLITE_OK);
    verify("t_insert2", &rep);
    assert_int_equal(rep.first_bad_id, 4);
    assert_non_null(strstr(rep.why, "hash"));
    assert_string_equal(rep.head, h[2]);

    /* A replaced middle row: deleted, and re-inserted under the same id
     * with the right prev_hash but other content and its old hash. */
    make_three("t_replace", h);
    drop_triggers("t_replace");
    snprintf(sql, sizeof(sql),
             "DELETE FROM audit_log WHERE id = 2;"
             "INSERT INTO audit_log (id, at, actor_id, actor, action, resource, request_id,"
             " client_addr, detail, prev_hash, hash) VALUES (2, '2024-01-01T00:00:00.000Z', 1,"
             " 'admin', 'user.create', '/forged', '-', '', '', '%s', '%s')",
             h[0], h[1]);
    assert_int_equal(raw_exec("t_replace", sql), SQLITE_OK);
    verify("t_replace", &rep);
    assert_int_equal(rep.first_bad_id, 2);
}

static void test_long_detail(void **state)
{
    (void)state;
    store *s = open_db("long");
    /* 2100 bytes of three-byte characters, and the same shifted by one
     * ASCII byte so that the cap falls inside a character. */
    char big[2200], shifted[2201];
    size_t n = 0;
    for (int i = 0; i < 700; i++) {
        memcpy(big + n, "网", 3);
        n += 3;
    }
    big[n] = '\0';
    snprintf(shifted, sizeof(shifted), "a%s", big);
    char actor_long[200];
    memset(actor_long, 'z', sizeof(actor_long) - 1);
    actor_long[sizeof(actor_long) - 1] = '\0';

    audit_event ev = {.actor = "admin", .action = "note", .resource = "/n", .detail = big};
    assert_int_equal(audit_record(s, &ev), WG_OK);
    ev.detail = shifted;
    ev.actor = actor_long; /* an attempted login of any length */
    assert_int_equal(audit_record(s, &ev), WG_OK);
    append_one(s, 3);

    audit_report rep;
    assert_int_equal(audit_verify(s, &rep), WG_OK);
    assert_int_equal(rep.first_bad_id, 0);
    assert_int_equal(rep.rows, 3);

    rows_ctx c;
    scan_all(s, &c);
    assert_int_equal(c.n, 3);
    /* 1023 bytes fit: 341 whole characters. */
    assert_int_equal(strlen(c.rows[0].detail), 1023);
    assert_memory_equal(c.rows[0].detail, big, 1023);
    /* 1 + 340 * 3 = 1021: the character cut by the cap is dropped whole. */
    assert_int_equal(strlen(c.rows[1].detail), 1021);
    assert_memory_equal(c.rows[1].detail, shifted, 1021);
    assert_memory_equal(c.rows[1].detail + 1018, "网", 3);
    assert_int_equal(strlen(c.rows[1].actor), STORE_LOGIN_MAX - 1);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_append_verify),
        cmocka_unit_test(test_defaults_and_rollback),
        cmocka_unit_test(test_record_commits),
        cmocka_unit_test(test_triggers_refuse),
        cmocka_unit_test(test_tamper_update),
        cmocka_unit_test(test_tamper_delete),
        cmocka_unit_test(test_tamper_insert),
        cmocka_unit_test(test_long_detail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
