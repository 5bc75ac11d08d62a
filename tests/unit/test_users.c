#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "core/auth.h"
#include "core/session.h"
#include "core/users.h"
#include "core/vault.h"
#include "store/store.h"

/* Small argon2id memory so that the tests run fast. */
#define MEMLIMIT (8192 * 4)
#define T0 ((int64_t)1700000000)

typedef struct {
    char dir[64];
    store *s;
    vault *v;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(auth_init(), WG_OK);
    fx_tmpdir(f->dir, sizeof(f->dir), "users");
    f->s = fx_store(f->dir, "t.db");
    f->v = fx_vault(f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    vault_free(f->v);
    store_close(f->s);
    int rc = fx_rmdir(f->dir);
    free(f);
    return rc;
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

/* Create an account in a transaction; returns users_create's result. */
static wg_err create(fixture *f, const char *login, const char *name, const char *pw,
                     const char *phone, const store_grant *g, int n, int64_t *id, wg_why *why)
{
    user_new in = {.login = login,
                   .display_name = name,
                   .password = pw,
                   .phone = phone,
                   .grants = g,
                   .ngrants = n};
    memset(why, 0, sizeof(*why));
    assert_int_equal(store_begin(f->s), WG_OK);
    wg_err e = users_create(f->s, f->v, &in, MEMLIMIT, id, why);
    if (e)
        store_rollback(f->s);
    else
        assert_int_equal(store_commit(f->s), WG_OK);
    return e;
}

static void add_department(fixture *f, const char *code, const char *kind)
{
    store_department d;
    memset(&d, 0, sizeof(d));
    snprintf(d.code, sizeof(d.code), "%s", code);
    snprintf(d.name, sizeof(d.name), "dept %s", code);
    snprintf(d.kind, sizeof(d.kind), "%s", kind);
    int64_t id = 0;
    assert_int_equal(store_department_insert(f->s, &d, &id), WG_OK);
    assert_true(id > 0);
}

static void test_login_ok(void **state)
{
    (void)state;
    static const char *good[] = {
        "li",  "a1",  "0abc", "wang.fang", "x-y_z",
        "li.", "li-", "a_",   "9-",        "abcdefghijklmnopqrstuvwxyz012345", /* 32 */
    };
    static const char *bad[] = {
        "",     "a",         "abcdefghijklmnopqrstuvwxyz0123456", /* 33 */
        "Li",   "LI",        ".li",
        "_li",  "-li",       "li wang",
        "li@x", "li/x",      "li+1",
        "网格", "l\xc3\xa9", " li",
        "li ",  "li\n",      "li:x",
    };
    wg_why why;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!users_login_ok(good[i], &why))
            fail_msg("refused login '%s': %s", good[i], why.msg);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&why, 0, sizeof(why));
        if (users_login_ok(bad[i], &why))
            fail_msg("accepted login '%s'", bad[i]);
        assert_non_null(why.field);
        assert_string_equal(why.field, "login");
        assert_true(why.msg[0] != '\0');
    }
}

static void test_parse_grant(void **state)
{
    fixture *f = *state;
    store_grant g;
    wg_why why;

    memset(&why, 0, sizeof(why));
    assert_int_equal(users_parse_grant(f->s, "boss", NULL, &g, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "role");
    assert_non_null(strstr(why.msg, "boss"));
    assert_int_equal(users_parse_grant(f->s, NULL, NULL, &g, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "role");
    assert_int_equal(users_parse_grant(f->s, "", NULL, &g, &why), WG_ERR_INVALID);
    assert_int_equal(users_parse_grant(f->s, "Admin", NULL, &g, &why), WG_ERR_INVALID);

    /* Grid roles need a grid code: 6 to 24 digits. */
    static const char *grid_roles[] = {"leader", "community_staff", "grid_chief", "grid_member"};
    static const char *bad_codes[] = {
        "",
        "12345",
        "1234567890123456789012345",
        "41010a",
        "410102 ",
        " 410102",
        "４１０１０２",
        "-410102",
        "police",
    };
    for (size_t r = 0; r < 4; r++) {
        memset(&why, 0, sizeof(why));
        assert_int_equal(users_parse_grant(f->s, grid_roles[r], NULL, &g, &why), WG_ERR_INVALID);
        assert_string_equal(why.field, "scope");
        for (size_t i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++) {
            memset(&why, 0, sizeof(why));
            if (users_parse_grant(f->s, grid_roles[r], bad_codes[i], &g, &why) != WG_ERR_INVALID)
                fail_msg("%s accepted scope '%s'", grid_roles[r], bad_codes[i]);
            assert_string_equal(why.field, "scope");
        }
        assert_int_equal(users_parse_grant(f->s, grid_roles[r], "410102", &g, &why), WG_OK);
        assert_string_equal(g.role, grid_roles[r]);
        assert_string_equal(g.scope_kind, "grid");
        assert_string_equal(g.scope, "410102");
    }
    assert_int_equal(users_parse_grant(f->s, "grid_member", "123456789012345678901234", &g, &why),
                     WG_OK);
    assert_string_equal(g.scope, "123456789012345678901234");

    /* Roles with scope 'all' take none. */
    static const char *all_roles[] = {"admin", "citizen", "auditor"};
    for (size_t r = 0; r < 3; r++) {
        memset(&why, 0, sizeof(why));
        assert_int_equal(users_parse_grant(f->s, all_roles[r], "410102", &g, &why), WG_ERR_INVALID);
        assert_string_equal(why.field, "scope");
        assert_int_equal(users_parse_grant(f->s, all_roles[r], NULL, &g, &why), WG_OK);
        assert_string_equal(g.role, all_roles[r]);
        assert_string_equal(g.scope_kind, "all");
        assert_string_equal(g.scope, "");
        assert_int_equal(users_parse_grant(f->s, all_roles[r], "", &g, &why), WG_OK);
        assert_string_equal(g.scope, "");
    }

    /* Department roles need an existing department. */
    memset(&why, 0, sizeof(why));
    assert_int_equal(users_parse_grant(f->s, "department_staff", NULL, &g, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "scope");
    assert_int_equal(users_parse_grant(f->s, "department_staff", "", &g, &why), WG_ERR_INVALID);
    assert_int_equal(users_parse_grant(f->s, "department_staff", "police", &g, &why),
                     WG_ERR_INVALID);
    assert_string_equal(why.field, "scope");
    add_department(f, "police", "force");
    add_department(f, "water", "department");
    assert_int_equal(users_parse_grant(f->s, "department_staff", "police", &g, &why), WG_OK);
    assert_string_equal(g.role, "department_staff");
    assert_string_equal(g.scope_kind, "department");
    assert_string_equal(g.scope, "police");
    assert_int_equal(users_parse_grant(f->s, "department_staff", "water", &g, &why), WG_OK);
    assert_string_equal(g.scope, "water");
    assert_int_equal(users_parse_grant(f->s, "department_staff", "Police", &g, &why),
                     WG_ERR_INVALID);
    assert_int_equal(users_parse_grant(f->s, "department_staff", "polic", &g, &why),
                     WG_ERR_INVALID);
}

static void test_create(void **state)
{
    fixture *f = *state;
    wg_why why;
    int64_t id = 0, id2 = 0;
    store_grant g;
    assert_int_equal(users_parse_grant(f->s, "admin", NULL, &g, &why), WG_OK);
    assert_int_equal(create(f, "li", "李明", "correct horse", NULL, &g, 1, &id, &why), WG_OK);
    assert_true(id > 0);

    store_user u;
    assert_int_equal(store_user_get(f->s, "li", &u), WG_OK);
    assert_int_equal(u.id, id);
    assert_string_equal(u.display_name, "李明");
    assert_false(u.disabled);
    assert_int_equal(strncmp(u.password_hash, "$argon2id$", 10), 0);
    assert_true(auth_password_verify(u.password_hash, "correct horse"));
    assert_int_equal(u.phone_sealed_len, 0);
    assert_string_equal(u.phone_masked, "");
    assert_string_equal(u.phone_bidx, "");
    assert_int_equal(strlen(u.created_at), 24);
    assert_string_equal(u.created_at, u.updated_at);
    char out[32];
    assert_int_equal(users_reveal_phone(f->v, &u, out, sizeof(out)), WG_ERR_NOT_FOUND);

    /* Taken login. */
    assert_int_equal(create(f, "li", "Other", "another pass", NULL, NULL, 0, &id2, &why),
                     WG_ERR_CONFLICT);
    assert_string_equal(why.field, "login");
    assert_non_null(strstr(why.msg, "li"));
    assert_int_equal(store_user_get(f->s, "li", &u), WG_OK);
    assert_string_equal(u.display_name, "李明");

    /* Refused input, field by field; nothing is stored. */
    static const struct {
        const char *login, *name, *pw, *phone, *field;
    } bad[] = {
        {NULL, "N", "good pass 1", NULL, "login"},
        {"B", "N", "good pass 1", NULL, "login"},
        {"b", "N", "good pass 1", NULL, "login"},
        {"bo", NULL, "good pass 1", NULL, "display_name"},
        {"bo", "", "good pass 1", NULL, "display_name"},
        {"bo", "a\tb", "good pass 1", NULL, "display_name"},
        {"bo", "a\nb", "good pass 1", NULL, "display_name"},
        {"bo", "N", NULL, NULL, "password"},
        {"bo", "N", "short", NULL, "password"},
        {"bo", "N", "zzzzzzzzzz", NULL, "password"},
        {"bo", "N", "good pass 1", "12345", "phone"},
        {"bo", "N", "good pass 1", "2381234567", "phone"},
        {"bo", "N", "good pass 1", "138123456789", "phone"},
        {"bo", "N", "good pass 1", "+86 138 1234 567", "phone"},
        {"bo", "N", "good pass 1", "phone", "phone"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wg_err e =
            create(f, bad[i].login, bad[i].name, bad[i].pw, bad[i].phone, NULL, 0, &id2, &why);
        if (e != WG_ERR_INVALID)
            fail_msg("case %zu: got %d, want WG_ERR_INVALID", i, (int)e);
        if (!why.field || strcmp(why.field, bad[i].field) != 0)
            fail_msg("case %zu: field %s, want %s", i, why.field ? why.field : "(null)",
                     bad[i].field);
        assert_true(why.msg[0] != '\0');
    }
    assert_int_equal(store_user_get(f->s, "bo", &u), WG_ERR_NOT_FOUND);
    int64_t count = 0;
    assert_int_equal(store_user_count(f->s, &count), WG_OK);
    assert_int_equal(count, 1);

    /* A display name of 127 bytes fits, 128 does not. */
    char name[200];
    memset(name, 'n', sizeof(name));
    name[STORE_NAME_MAX] = '\0';
    assert_int_equal(create(f, "bo", name, "good pass 1", NULL, NULL, 0, &id2, &why),
                     WG_ERR_INVALID);
    assert_string_equal(why.field, "display_name");
    name[STORE_NAME_MAX - 1] = '\0';
    assert_int_equal(create(f, "bo", name, "good pass 1", NULL, NULL, 0, &id2, &why), WG_OK);
    assert_int_not_equal(id2, id);
}

static void test_phone(void **state)
{
    fixture *f = *state;
    wg_why why;
    int64_t id = 0;
    assert_int_equal(create(f, "wang", "Wang", "correct horse", "13812345678", NULL, 0, &id, &why),
                     WG_OK);
    store_user u;
    assert_int_equal(store_user_get(f->s, "wang", &u), WG_OK);
    assert_int_equal(u.phone_sealed_len, 11 + VAULT_OVERHEAD);
    assert_null(memmem(u.phone_sealed, u.phone_sealed_len, "13812345678", 11));
    assert_null(memmem(u.phone_sealed, u.phone_sealed_len, "5678", 4));
    assert_string_equal(u.phone_masked, "138****5678");
    assert_true(is_hex64(u.phone_bidx));
    char bidx[65];
    vault_blind_index(f->v, "phone", "13812345678", bidx);
    assert_string_equal(u.phone_bidx, bidx);
    char out[32];
    memset(out, 'Z', sizeof(out));
    assert_int_equal(users_reveal_phone(f->v, &u, out, sizeof(out)), WG_OK);
    assert_string_equal(out, "13812345678");
    /* Too small an output buffer is refused. */
    char small[8];
    assert_int_not_equal(users_reveal_phone(f->v, &u, small, sizeof(small)), WG_OK);

    /* The same number written with +86 seals to the same index. */
    int64_t id2 = 0;
    assert_int_equal(
        create(f, "zhao", "Zhao", "correct horse", "+8613812345678", NULL, 0, &id2, &why), WG_OK);
    store_user u2;
    assert_int_equal(store_user_get(f->s, "zhao", &u2), WG_OK);
    assert_string_equal(u2.phone_bidx, u.phone_bidx);
    assert_string_equal(u2.phone_masked, "138****5678");
    assert_memory_not_equal(u2.phone_sealed, u.phone_sealed, u.phone_sealed_len);
    assert_int_equal(users_reveal_phone(f->v, &u2, out, sizeof(out)), WG_OK);
    assert_string_equal(out, "13812345678");

    /* A landline. */
    int64_t id3 = 0;
    assert_int_equal(create(f, "sun", "Sun", "correct horse", "0371-67181234", NULL, 0, &id3, &why),
                     WG_OK);
    store_user u3;
    assert_int_equal(store_user_get(f->s, "sun", &u3), WG_OK);
    assert_string_equal(u3.phone_masked, "0371******34");
    assert_int_equal(users_reveal_phone(f->v, &u3, out, sizeof(out)), WG_OK);
    assert_string_equal(out, "037167181234");

    /* Another key cannot open it. */
    char path[128], err[256];
    vault *other = NULL;
    snprintf(path, sizeof(path), "%s/other.key", f->dir);
    assert_int_equal(vault_create_key(path, err, sizeof(err)), WG_OK);
    assert_int_equal(vault_open(path, &other, err, sizeof(err)), WG_OK);
    assert_int_equal(users_reveal_phone(other, &u, out, sizeof(out)), WG_ERR_INVALID);
    vault_free(other);
}

static void test_update(void **state)
{
    fixture *f = *state;
    wg_why why;
    int64_t id = 0;
    assert_int_equal(create(f, "li", "Li", "correct horse", "13812345678", NULL, 0, &id, &why),
                     WG_OK);
    store_user before, u;
    assert_int_equal(store_user_get(f->s, "li", &before), WG_OK);

    /* Name only: the phone stays as it was. */
    memset(&why, 0, sizeof(why));
    assert_int_equal(users_update(f->s, f->v, "li", "李明", NULL, NULL, &why), WG_OK);
    assert_int_equal(store_user_get(f->s, "li", &u), WG_OK);
    assert_string_equal(u.display_name, "李明");
    assert_int_equal(u.phone_sealed_len, before.phone_sealed_len);
    assert_memory_equal(u.phone_sealed, before.phone_sealed, u.phone_sealed_len);
    assert_string_equal(u.phone_masked, "138****5678");
    assert_string_equal(u.password_hash, before.password_hash);
    assert_string_equal(u.created_at, before.created_at);
    assert_true(strcmp(u.updated_at, before.updated_at) >= 0);

    /* A new phone. */
    assert_int_equal(users_update(f->s, f->v, "li", NULL, "13987654321", NULL, &why), WG_OK);
    assert_int_equal(store_user_get(f->s, "li", &u), WG_OK);
    assert_string_equal(u.display_name, "李明");
    assert_string_equal(u.phone_masked, "139****4321");
    char out[32];
    assert_int_equal(users_reveal_phone(f->v, &u, out, sizeof(out)), WG_OK);
    assert_string_equal(out, "13987654321");

    /* Refused changes leave everything as it was. */
    memset(&why, 0, sizeof(why));
    assert_int_equal(users_update(f->s, f->v, "li", NULL, "12345", NULL, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "phone");
    memset(&why, 0, sizeof(why));
    assert_int_equal(users_update(f->s, f->v, "li", "", NULL, NULL, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "display_name");
    assert_int_equal(users_update(f->s, f->v, "li", "x\x01y", NULL, NULL, &why), WG_ERR_INVALID);
    assert_int_equal(store_user_get(f->s, "li", &u), WG_OK);
    assert_string_equal(u.display_name, "李明");
    assert_string_equal(u.phone_masked, "139****4321");

    /* "" removes the phone. */
    assert_int_equal(users_update(f->s, f->v, "li", NULL, "", NULL, &why), WG_OK);
    assert_int_equal(store_user_get(f->s, "li", &u), WG_OK);
    assert_int_equal(u.phone_sealed_len, 0);
    assert_string_equal(u.phone_masked, "");
    assert_string_equal(u.phone_bidx, "");
    assert_string_equal(u.display_name, "李明");
    assert_int_equal(users_reveal_phone(f->v, &u, out, sizeof(out)), WG_ERR_NOT_FOUND);

    /* Unknown account. */
    memset(&why, 0, sizeof(why));
    assert_int_equal(users_update(f->s, f->v, "nobody", "X", NULL, NULL, &why), WG_ERR_NOT_FOUND);
    assert_non_null(strstr(why.msg, "nobody"));
}

static void test_set_password(void **state)
{
    fixture *f = *state;
    wg_why why;
    int64_t id = 0;
    assert_int_equal(create(f, "li", "Li", "correct horse", NULL, NULL, 0, &id, &why), WG_OK);
    session_policy pol = {.ttl = 3600,
                          .idle = 1800,
                          .memlimit = MEMLIMIT,
                          .free_tries_login = 100,
                          .free_tries_addr = 100};
    session_created sc;
    assert_int_equal(session_create(f->s, &pol, id, "127.0.0.1", T0, &sc), WG_OK);
    session_created sc2;
    assert_int_equal(session_create(f->s, &pol, id, "127.0.0.1", T0, &sc2), WG_OK);

    /* Refused: too short, unknown account. Nothing changes. */
    memset(&why, 0, sizeof(why));
    assert_int_equal(users_set_password(f->s, "li", "short", MEMLIMIT, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "password");
    memset(&why, 0, sizeof(why));
    assert_int_equal(users_set_password(f->s, "nobody", "new password 1", MEMLIMIT, &why),
                     WG_ERR_NOT_FOUND);
    assert_non_null(strstr(why.msg, "nobody"));
    store_user u;
    assert_int_equal(store_user_get(f->s, "li", &u), WG_OK);
    assert_true(auth_password_verify(u.password_hash, "correct horse"));
    actor a;
    char csrf[AUTH_TOKEN_MAX];
    assert_int_equal(session_resolve(f->s, &pol, sc.token, T0 + 1, &a, csrf, &why), WG_OK);

    assert_int_equal(users_set_password(f->s, "li", "new password 1", MEMLIMIT, &why), WG_OK);
    assert_int_equal(store_user_get(f->s, "li", &u), WG_OK);
    assert_false(auth_password_verify(u.password_hash, "correct horse"));
    assert_true(auth_password_verify(u.password_hash, "new password 1"));

    /* Through the login path too. */
    throttle *t = throttle_new();
    assert_non_null(t);
    int64_t uid = 0, retry = 0;
    assert_int_equal(session_authenticate(f->s, t, &pol, "li", "correct horse", "127.0.0.1", T0,
                                          &uid, &retry, &why),
                     WG_ERR_UNAUTHORIZED);
    assert_int_equal(session_authenticate(f->s, t, &pol, "li", "new password 1", "127.0.0.1", T0,
                                          &uid, &retry, &why),
                     WG_OK);
    assert_int_equal(uid, id);
    throttle_free(t);

    /* Every old session has ended. */
    store_session ss;
    char h[65];
    auth_token_hash(sc.token, h);
    assert_int_equal(store_session_get(f->s, h, &ss), WG_OK);
    assert_true(ss.revoked);
    auth_token_hash(sc2.token, h);
    assert_int_equal(store_session_get(f->s, h, &ss), WG_OK);
    assert_true(ss.revoked);
    assert_int_equal(session_resolve(f->s, &pol, sc.token, T0 + 2, &a, csrf, &why),
                     WG_ERR_UNAUTHORIZED);
}

static void test_set_disabled(void **state)
{
    fixture *f = *state;
    wg_why why;
    int64_t id = 0;
    assert_int_equal(create(f, "li", "Li", "correct horse", NULL, NULL, 0, &id, &why), WG_OK);
    session_policy pol = {.ttl = 3600, .idle = 1800, .memlimit = MEMLIMIT};
    session_created sc;
    assert_int_equal(session_create(f->s, &pol, id, "127.0.0.1", T0, &sc), WG_OK);

    store_user u;
    assert_int_equal(users_set_disabled(f->s, "li", true, &why), WG_OK);
    assert_int_equal(store_user_get(f->s, "li", &u), WG_OK);
    assert_true(u.disabled);
    store_session ss;
    char h[65];
    auth_token_hash(sc.token, h);
    assert_int_equal(store_session_get(f->s, h, &ss), WG_OK);
    assert_true(ss.revoked);

    /* Disabling twice is fine. */
    assert_int_equal(users_set_disabled(f->s, "li", true, &why), WG_OK);
    assert_int_equal(users_set_disabled(f->s, "li", false, &why), WG_OK);
    assert_int_equal(store_user_get(f->s, "li", &u), WG_OK);
    assert_false(u.disabled);
    assert_true(auth_password_verify(u.password_hash, "correct horse"));

    memset(&why, 0, sizeof(why));
    assert_int_equal(users_set_disabled(f->s, "nobody", true, &why), WG_ERR_NOT_FOUND);
    assert_non_null(strstr(why.msg, "nobody"));
}

static void test_grants(void **state)
{
    fixture *f = *state;
    wg_why why;
    int64_t id = 0;
    store_grant g[ACTOR_MAX_GRANTS + 1];
    add_department(f, "police", "force");
    assert_int_equal(users_parse_grant(f->s, "grid_member", "410102001", &g[0], &why), WG_OK);
    assert_int_equal(create(f, "li", "Li", "correct horse", NULL, g, 1, &id, &why), WG_OK);

    actor a;
    memset(&a, 0x55, sizeof(a));
    assert_int_equal(users_load_actor(f->s, id, &a), WG_OK);
    assert_int_equal(a.user_id, id);
    assert_string_equal(a.login, "li");
    assert_int_equal(a.ngrants, 1);
    assert_int_equal(a.grants[0].role, ROLE_GRID_MEMBER);
    assert_int_equal(a.grants[0].kind, SCOPE_GRID);
    assert_string_equal(a.grants[0].scope, "410102001");
    assert_int_equal(a.session_id, 0);
    assert_int_equal(a.api_key_id, 0);
    assert_false(a.by_cookie);

    /* Replace with three others, in order. */
    assert_int_equal(users_parse_grant(f->s, "grid_chief", "410103", &g[0], &why), WG_OK);
    assert_int_equal(users_parse_grant(f->s, "department_staff", "police", &g[1], &why), WG_OK);
    assert_int_equal(users_parse_grant(f->s, "auditor", NULL, &g[2], &why), WG_OK);
    assert_int_equal(users_set_grants(f->s, "li", g, 3, &why), WG_OK);
    assert_int_equal(users_load_actor(f->s, id, &a), WG_OK);
    assert_int_equal(a.ngrants, 3);
    assert_int_equal(a.grants[0].role, ROLE_GRID_CHIEF);
    assert_int_equal(a.grants[0].kind, SCOPE_GRID);
    assert_string_equal(a.grants[0].scope, "410103");
    assert_int_equal(a.grants[1].role, ROLE_DEPARTMENT_STAFF);
    assert_int_equal(a.grants[1].kind, SCOPE_DEPARTMENT);
    assert_string_equal(a.grants[1].scope, "police");
    assert_int_equal(a.grants[2].role, ROLE_AUDITOR);
    assert_int_equal(a.grants[2].kind, SCOPE_ALL);
    assert_string_equal(a.grants[2].scope, "");
    assert_false(actor_can_in_grid(&a, PERM_CASES_REPORT, "410102001")); /* old grant gone */
    assert_true(actor_can_in_grid(&a, PERM_DEPTS_READ, "410103002"));
    assert_true(actor_can_in_department(&a, PERM_DEPTS_READ, "police"));
    assert_true(actor_can(&a, PERM_AUDIT_READ));

    /* Duplicates collapse. */
    g[1] = g[0];
    assert_int_equal(users_set_grants(f->s, "li", g, 2, &why), WG_OK);
    assert_int_equal(users_load_actor(f->s, id, &a), WG_OK);
    assert_int_equal(a.ngrants, 1);

    /* At most ACTOR_MAX_GRANTS: exactly that many is fine, one more is not. */
    for (int i = 0; i <= ACTOR_MAX_GRANTS; i++) {
        char code[16];
        snprintf(code, sizeof(code), "4101%04d", i);
        assert_int_equal(users_parse_grant(f->s, "grid_member", code, &g[i], &why), WG_OK);
    }
    memset(&why, 0, sizeof(why));
    assert_int_equal(users_set_grants(f->s, "li", g, ACTOR_MAX_GRANTS + 1, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "roles");
    assert_int_equal(users_load_actor(f->s, id, &a), WG_OK);
    assert_int_equal(a.ngrants, 1); /* unchanged */
    assert_int_equal(users_set_grants(f->s, "li", g, ACTOR_MAX_GRANTS, &why), WG_OK);
    assert_int_equal(users_load_actor(f->s, id, &a), WG_OK);
    assert_int_equal(a.ngrants, ACTOR_MAX_GRANTS);
    assert_string_equal(a.grants[ACTOR_MAX_GRANTS - 1].scope, "41010015");

    /* None. */
    assert_int_equal(users_set_grants(f->s, "li", NULL, 0, &why), WG_OK);
    assert_int_equal(users_load_actor(f->s, id, &a), WG_OK);
    assert_int_equal(a.ngrants, 0);
    assert_true(actor_can(&a, PERM_SELF));
    assert_false(actor_can(&a, PERM_DEPTS_READ));

    memset(&why, 0, sizeof(why));
    assert_int_equal(users_set_grants(f->s, "nobody", g, 1, &why), WG_ERR_NOT_FOUND);
    assert_non_null(strstr(why.msg, "nobody"));
    assert_int_equal(users_load_actor(f->s, id + 1000, &a), WG_ERR_NOT_FOUND);
}

/* A citizen ID number: validated, sealed, masked, found by blind index,
 * revealed only through the vault. */
static void test_id_number(void **state)
{
    fixture *f = *state;
    wg_why why = {0};
    int64_t id;
    user_new in = {.login = "idn", .display_name = "x", .password = "pw-idn-123456",
                   .id_number = "11010519491231002x"};
    assert_int_equal(users_create(f->s, f->v, &in, MEMLIMIT, &id, &why), WG_OK);
    store_user u;
    assert_int_equal(store_user_get(f->s, "idn", &u), WG_OK);
    assert_true(u.id_sealed_len > 0);
    assert_string_equal(u.id_masked, "1101**********002X");
    char clear[32];
    assert_int_equal(users_reveal_id(f->v, &u, clear, sizeof(clear)), WG_OK);
    assert_string_equal(clear, "11010519491231002X");
    store_user found;
    assert_int_equal(users_find(f->s, f->v, "id", "11010519491231002X", &found, &why), WG_OK);
    assert_string_equal(found.login, "idn");
    assert_int_equal(users_find(f->s, f->v, "id", "440524188001010014", &found, &why),
                     WG_ERR_NOT_FOUND);
    assert_int_equal(users_find(f->s, f->v, "id", "11010519491231002Y", &found, &why),
                     WG_ERR_INVALID);
    assert_string_equal(why.field, "id_number");
    user_new bad = {.login = "idn2", .display_name = "x", .password = "pw-idn-123456",
                    .id_number = "110105194912310021"};
    assert_int_equal(users_create(f->s, f->v, &bad, MEMLIMIT, &id, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "id_number");
    assert_int_equal(users_update(f->s, f->v, "idn", NULL, NULL, "", &why), WG_OK);
    assert_int_equal(store_user_get(f->s, "idn", &u), WG_OK);
    assert_int_equal(u.id_sealed_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_ok),
        cmocka_unit_test_setup_teardown(test_parse_grant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_phone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_disabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id_number, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
