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
#define PASSWORD "correct horse"
#define GENERIC "wrong login or password"

typedef struct {
    char dir[64];
    store *s;
    vault *v;
    throttle *t;
    session_policy pol;
    session_cache *cache;
    int64_t uid;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(auth_init(), WG_OK);
    fx_tmpdir(f->dir, sizeof(f->dir), "session");

    f->s = fx_store(f->dir, "t.db");
    f->v = fx_vault(f->dir);
    f->t = throttle_new();
    assert_non_null(f->t);
    f->cache = session_cache_new();
    assert_non_null(f->cache);
    f->pol = (session_policy){.ttl = 8 * 3600,
                              .idle = 1800,
                              .memlimit = MEMLIMIT,
                              .free_tries_login = 3,
                              .free_tries_addr = 10};

    /* One account "li" with a grid grant. */
    wg_why why = {0};
    store_grant g;
    assert_int_equal(users_parse_grant(f->s, "grid_member", "410102001", &g, &why), WG_OK);
    user_new in = {.login = "li",
                   .display_name = "李明",
                   .password = PASSWORD,
                   .phone = "13812345678",
                   .grants = &g,
                   .ngrants = 1};
    assert_int_equal(store_begin(f->s), WG_OK);
    if (users_create(f->s, f->v, &in, MEMLIMIT, &f->uid, &why) != WG_OK)
        fail_msg("users_create: %s", why.msg);
    assert_int_equal(store_commit(f->s), WG_OK);
    assert_true(f->uid > 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    throttle_free(f->t);
    session_cache_free(f->cache);
    vault_free(f->v);
    store_close(f->s);
    int rc = fx_rmdir(f->dir);
    free(f);
    return rc;
}

/* session_authenticate with the fixture's store, throttle and policy. */
static wg_err login(fixture *f, const char *user, const char *pw, const char *addr, int64_t now,
                    int64_t *uid, int64_t *retry, wg_why *why)
{
    *uid = -1;
    *retry = -1;
    memset(why, 0, sizeof(*why));
    return session_authenticate(f->s, f->t, &f->pol, user, pw, addr, now, uid, retry, why);
}

static session_created new_session(fixture *f, int64_t now)
{
    session_created sc;
    assert_int_equal(store_begin(f->s), WG_OK);
    assert_int_equal(session_create(f->s, &f->pol, f->uid, "127.0.0.1", now, &sc), WG_OK);
    assert_int_equal(store_commit(f->s), WG_OK);
    return sc;
}

static wg_err resolve(fixture *f, const char *token, int64_t now, actor *a,
                      char csrf[AUTH_TOKEN_MAX], wg_why *why)
{
    memset(a, 0, sizeof(*a));
    memset(why, 0, sizeof(*why));
    memset(csrf, 'Z', AUTH_TOKEN_MAX);
    /* Through the cache, as the server does: every test below resolves
     * again after each change and must see it. */
    return session_resolve_cached(f->cache, f->s, &f->pol, token, now, a, csrf, why);
}

static void test_authenticate(void **state)
{
    fixture *f = *state;
    int64_t uid, retry;
    wg_why why;

    assert_int_equal(login(f, "li", PASSWORD, "10.0.0.1", T0, &uid, &retry, &why), WG_OK);
    assert_int_equal(uid, f->uid);

    /* Every refusal looks the same. */
    assert_int_equal(login(f, "li", "wrong horse", "10.0.0.1", T0, &uid, &retry, &why),
                     WG_ERR_UNAUTHORIZED);
    assert_string_equal(why.msg, GENERIC);
    assert_null(why.field);
    assert_int_equal(uid, -1);

    assert_int_equal(login(f, "nobody", PASSWORD, "10.0.0.1", T0, &uid, &retry, &why),
                     WG_ERR_UNAUTHORIZED);
    assert_string_equal(why.msg, GENERIC);
    assert_null(why.field);
    assert_int_equal(uid, -1);

    assert_int_equal(login(f, "LI", PASSWORD, "10.0.0.1", T0, &uid, &retry, &why),
                     WG_ERR_UNAUTHORIZED);
    assert_string_equal(why.msg, GENERIC);

    wg_why w2 = {0};
    assert_int_equal(users_set_disabled(f->s, "li", true, &w2), WG_OK);
    assert_int_equal(login(f, "li", PASSWORD, "10.0.0.1", T0, &uid, &retry, &why),
                     WG_ERR_UNAUTHORIZED);
    assert_string_equal(why.msg, GENERIC);
    assert_null(why.field);
    assert_int_equal(uid, -1);

    assert_int_equal(users_set_disabled(f->s, "li", false, &w2), WG_OK);
    assert_int_equal(login(f, "li", PASSWORD, "10.0.0.1", T0, &uid, &retry, &why), WG_OK);
    assert_int_equal(uid, f->uid);
    assert_int_equal(retry, -1); /* untouched when not throttled */
}

static void test_throttle_login(void **state)
{
    fixture *f = *state;
    int64_t uid, retry;
    wg_why why;

    /* free_tries_login = 3: three failures cost nothing, the fourth one
     * makes the account wait. */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(login(f, "li", "wrong horse", "10.0.0.1", T0, &uid, &retry, &why),
                         WG_ERR_UNAUTHORIZED);
        assert_string_equal(why.msg, GENERIC);
    }
    /* Now even the right password is refused, from any address. */
    assert_int_equal(login(f, "li", PASSWORD, "10.0.0.1", T0, &uid, &retry, &why), WG_ERR_TOO_MANY);
    assert_int_equal(retry, 1);
    assert_int_equal(uid, -1);
    assert_non_null(strstr(why.msg, "too many"));
    assert_int_equal(login(f, "li", PASSWORD, "10.9.9.9", T0, &uid, &retry, &why), WG_ERR_TOO_MANY);
    assert_int_equal(retry, 1);

    /* Another account is not held back. */
    wg_why w2 = {0};
    int64_t id2 = 0;
    user_new in = {.login = "wang", .display_name = "Wang", .password = "another pass"};
    assert_int_equal(users_create(f->s, f->v, &in, MEMLIMIT, &id2, &w2), WG_OK);
    assert_int_equal(login(f, "wang", "another pass", "10.0.0.1", T0, &uid, &retry, &why), WG_OK);
    assert_int_equal(uid, id2);

    /* Once the wait is over, the right password works and resets the count. */
    assert_int_equal(login(f, "li", PASSWORD, "10.0.0.1", T0 + 1, &uid, &retry, &why), WG_OK);
    assert_int_equal(uid, f->uid);
    for (int i = 0; i < 3; i++)
        assert_int_equal(login(f, "li", "wrong horse", "10.0.0.2", T0 + 1, &uid, &retry, &why),
                         WG_ERR_UNAUTHORIZED);
    assert_int_equal(login(f, "li", PASSWORD, "10.0.0.2", T0 + 1, &uid, &retry, &why), WG_OK);

    /* Failing while throttled: refused without counting, the wait doubles
     * only with a counted failure. */
    for (int i = 0; i < 5; i++)
        login(f, "li", "wrong horse", "10.0.0.3", T0 + 2, &uid, &retry, &why);
    assert_int_equal(login(f, "li", PASSWORD, "10.0.0.3", T0 + 2, &uid, &retry, &why),
                     WG_ERR_TOO_MANY);
    assert_int_equal(retry, 1);
    assert_int_equal(login(f, "li", "wrong horse", "10.0.0.3", T0 + 3, &uid, &retry, &why),
                     WG_ERR_UNAUTHORIZED);
    assert_int_equal(login(f, "li", PASSWORD, "10.0.0.3", T0 + 3, &uid, &retry, &why),
                     WG_ERR_TOO_MANY);
    assert_int_equal(retry, 2);
}

static void test_throttle_addr(void **state)
{
    fixture *f = *state;
    int64_t uid, retry;
    wg_why why;
    /* free_tries_addr = 10: eleven failures with different logins from one
     * address make that address wait, even for a right password. */
    char name[32];
    for (int i = 0; i < 11; i++) {
        snprintf(name, sizeof(name), "guess%d", i);
        assert_int_equal(login(f, name, PASSWORD, "192.0.2.1", T0, &uid, &retry, &why),
                         WG_ERR_UNAUTHORIZED);
    }
    assert_int_equal(login(f, "li", PASSWORD, "192.0.2.1", T0, &uid, &retry, &why),
                     WG_ERR_TOO_MANY);
    assert_int_equal(retry, 1);
    /* The account itself is fine from elsewhere. */
    assert_int_equal(login(f, "li", PASSWORD, "192.0.2.2", T0, &uid, &retry, &why), WG_OK);
    /* A NULL address is its own key. */
    assert_int_equal(login(f, "li", PASSWORD, NULL, T0, &uid, &retry, &why), WG_OK);
}

static void test_create_resolve(void **state)
{
    fixture *f = *state;
    session_created sc = new_session(f, T0);
    assert_int_equal(strncmp(sc.token, AUTH_SESSION_PREFIX, 4), 0);
    assert_int_equal(strlen(sc.token), 4 + 43);
    assert_int_equal(strlen(sc.csrf), 43);
    assert_string_not_equal(sc.csrf, sc.token + 4);
    assert_int_equal(sc.expires_at, T0 + f->pol.ttl);
    assert_int_equal(sc.user_id, f->uid);
    assert_true(sc.session_id > 0);

    /* Only the token's hash is stored. */
    store_session ss;
    char h[65];
    auth_token_hash(sc.token, h);
    assert_int_equal(store_session_get(f->s, h, &ss), WG_OK);
    assert_int_equal(ss.id, sc.session_id);
    assert_int_equal(ss.user_id, f->uid);
    assert_int_equal(ss.expires_at, T0 + f->pol.ttl);
    assert_string_equal(ss.csrf, sc.csrf);
    assert_int_equal(store_session_get(f->s, sc.token, &ss), WG_ERR_NOT_FOUND);

    actor a;
    char csrf[AUTH_TOKEN_MAX];
    wg_why why;
    assert_int_equal(resolve(f, sc.token, T0 + 10, &a, csrf, &why), WG_OK);
    assert_int_equal(a.user_id, f->uid);
    assert_string_equal(a.login, "li");
    assert_int_equal(a.session_id, sc.session_id);
    assert_int_equal(a.api_key_id, 0);
    assert_int_equal(a.ngrants, 1);
    assert_int_equal(a.grants[0].role, ROLE_GRID_MEMBER);
    assert_int_equal(a.grants[0].kind, SCOPE_GRID);
    assert_string_equal(a.grants[0].scope, "410102001");
    assert_string_equal(csrf, sc.csrf);
    assert_true(actor_can_in_grid(&a, PERM_DEPTS_READ, "410102001002"));

    /* Two sessions are distinct. */
    session_created sc2 = new_session(f, T0);
    assert_string_not_equal(sc.token, sc2.token);
    assert_string_not_equal(sc.csrf, sc2.csrf);
    assert_int_not_equal(sc.session_id, sc2.session_id);
    assert_int_equal(resolve(f, sc2.token, T0 + 10, &a, csrf, &why), WG_OK);
    assert_int_equal(a.session_id, sc2.session_id);
    assert_string_equal(csrf, sc2.csrf);

    /* Unknown and malformed tokens. */
    char forged[AUTH_TOKEN_MAX];
    snprintf(forged, sizeof(forged), "%s", sc.token);
    forged[10] = forged[10] == 'A' ? 'B' : 'A';
    const char *bad[] = {"", "wgs_", "wgk_", "garbage", sc.csrf};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(resolve(f, bad[i], T0 + 10, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
        assert_string_equal(csrf, "");
    }
    assert_int_equal(resolve(f, forged, T0 + 10, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
    assert_non_null(strstr(why.msg, "not logged in"));
    /* A session token presented as an API key is unknown. */
    memcpy(forged, sc.token, sizeof(forged));
    memcpy(forged, "wgk_", 4);
    assert_int_equal(resolve(f, forged, T0 + 10, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
}

static void test_expiry_idle(void **state)
{
    fixture *f = *state;
    actor a;
    char csrf[AUTH_TOKEN_MAX];
    wg_why why;

    /* Lifetime: valid until expires_at, not at it. */
    f->pol.ttl = 1000;
    f->pol.idle = 100000;
    session_created sc = new_session(f, T0);
    assert_int_equal(sc.expires_at, T0 + 1000);
    assert_int_equal(resolve(f, sc.token, T0 + 999, &a, csrf, &why), WG_OK);
    assert_int_equal(resolve(f, sc.token, T0 + 1000, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
    assert_non_null(strstr(why.msg, "expired"));
    assert_string_equal(csrf, "");
    assert_int_equal(resolve(f, sc.token, T0 + 5000, &a, csrf, &why), WG_ERR_UNAUTHORIZED);

    /* Idle: refused when more than `idle` seconds passed since last seen. */
    f->pol.ttl = 100000;
    f->pol.idle = 300;
    sc = new_session(f, T0);
    assert_int_equal(resolve(f, sc.token, T0 + 300, &a, csrf, &why), WG_OK); /* touches */
    store_session ss;
    char h[65];
    auth_token_hash(sc.token, h);
    assert_int_equal(store_session_get(f->s, h, &ss), WG_OK);
    assert_int_equal(ss.last_seen, T0 + 300);
    assert_int_equal(resolve(f, sc.token, T0 + 600, &a, csrf, &why), WG_OK);
    assert_int_equal(resolve(f, sc.token, T0 + 901, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
    assert_non_null(strstr(why.msg, "expired"));

    /* Touched at most once a minute. */
    sc = new_session(f, T0);
    auth_token_hash(sc.token, h);
    assert_int_equal(resolve(f, sc.token, T0 + 30, &a, csrf, &why), WG_OK);
    assert_int_equal(store_session_get(f->s, h, &ss), WG_OK);
    assert_int_equal(ss.last_seen, T0);
    assert_int_equal(resolve(f, sc.token, T0 + 60, &a, csrf, &why), WG_OK);
    assert_int_equal(store_session_get(f->s, h, &ss), WG_OK);
    assert_int_equal(ss.last_seen, T0 + 60);
}

static void test_revoked(void **state)
{
    fixture *f = *state;
    actor a;
    char csrf[AUTH_TOKEN_MAX];
    wg_why why;
    session_created sc = new_session(f, T0);
    session_created other = new_session(f, T0);
    assert_int_equal(resolve(f, sc.token, T0 + 1, &a, csrf, &why), WG_OK);
    assert_int_equal(store_session_revoke(f->s, sc.session_id), WG_OK);
    assert_int_equal(resolve(f, sc.token, T0 + 2, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
    assert_string_equal(csrf, "");
    assert_non_null(strstr(why.msg, "ended"));
    /* Only that one. */
    assert_int_equal(resolve(f, other.token, T0 + 2, &a, csrf, &why), WG_OK);
}

/* The cache serves a resolved session until anything about who may do
 * what changes: here its account's roles. */
static void test_cache_roles(void **state)
{
    fixture *f = *state;
    actor a;
    char csrf[AUTH_TOKEN_MAX];
    wg_why why = {0};
    session_created sc = new_session(f, T0);
    assert_int_equal(resolve(f, sc.token, T0 + 1, &a, csrf, &why), WG_OK);
    assert_int_equal(resolve(f, sc.token, T0 + 2, &a, csrf, &why), WG_OK); /* a hit */
    assert_int_equal(a.ngrants, 1);
    assert_string_equal(a.grants[0].scope, "410102001");
    store_grant g[2];
    assert_int_equal(users_parse_grant(f->s, "grid_member", "410102001", &g[0], &why), WG_OK);
    assert_int_equal(users_parse_grant(f->s, "grid_member", "410102002", &g[1], &why), WG_OK);
    assert_int_equal(store_grants_replace(f->s, f->uid, g, 2), WG_OK);
    assert_int_equal(resolve(f, sc.token, T0 + 3, &a, csrf, &why), WG_OK);
    assert_int_equal(a.ngrants, 2);
    /* Idle too long: refused even though nothing changed. */
    assert_int_equal(resolve(f, sc.token, T0 + 3 + f->pol.idle + 1, &a, csrf, &why),
                     WG_ERR_UNAUTHORIZED);
}

static void test_apikey(void **state)
{
    fixture *f = *state;
    actor a;
    char csrf[AUTH_TOKEN_MAX];
    wg_why why = {0};
    session_created k;

    assert_int_equal(session_apikey_create(f->s, "li", "backup job", T0, &k, &why), WG_OK);
    assert_int_equal(strncmp(k.token, AUTH_APIKEY_PREFIX, 4), 0);
    assert_int_equal(strlen(k.token), 4 + 43);
    assert_int_equal(k.user_id, f->uid);
    assert_true(k.session_id > 0); /* the key's id */

    assert_int_equal(resolve(f, k.token, T0 + 5, &a, csrf, &why), WG_OK);
    assert_string_equal(csrf, "");
    assert_int_equal(a.user_id, f->uid);
    assert_string_equal(a.login, "li");
    assert_int_equal(a.api_key_id, k.session_id);
    assert_int_equal(a.session_id, 0);
    assert_int_equal(a.ngrants, 1);
    assert_int_equal(a.grants[0].role, ROLE_GRID_MEMBER);

    /* Stored by hash, with a short prefix for display; use is recorded. */
    char h[65];
    store_apikey sk;
    auth_token_hash(k.token, h);
    assert_int_equal(store_apikey_get(f->s, h, &sk), WG_OK);
    assert_int_equal(sk.id, k.session_id);
    assert_string_equal(sk.name, "backup job");
    assert_int_equal(strlen(sk.prefix), 10);
    assert_memory_equal(sk.prefix, k.token, 10);
    assert_int_equal(sk.last_used, T0 + 5);
    assert_int_equal(store_apikey_get(f->s, k.token, &sk), WG_ERR_NOT_FOUND);

    /* An API key presented with the session prefix is not a session. */
    char forged[AUTH_TOKEN_MAX];
    memcpy(forged, k.token, sizeof(forged));
    memcpy(forged, "wgs_", 4);
    assert_int_equal(resolve(f, forged, T0 + 5, &a, csrf, &why), WG_ERR_UNAUTHORIZED);

    /* Bad names and unknown accounts. */
    session_created bad;
    memset(&why, 0, sizeof(why));
    assert_int_equal(session_apikey_create(f->s, "li", "", T0, &bad, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "name");
    assert_int_equal(session_apikey_create(f->s, "li", NULL, T0, &bad, &why), WG_ERR_INVALID);
    char longname[200];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[STORE_NAME_MAX] = '\0'; /* 128 bytes: one too many */
    assert_int_equal(session_apikey_create(f->s, "li", longname, T0, &bad, &why), WG_ERR_INVALID);
    longname[STORE_NAME_MAX - 1] = '\0';
    assert_int_equal(session_apikey_create(f->s, "li", longname, T0, &bad, &why), WG_OK);
    assert_int_equal(session_apikey_create(f->s, "nobody", "x", T0, &bad, &why), WG_ERR_NOT_FOUND);
    assert_non_null(strstr(why.msg, "nobody"));

    /* Revoked: refused; revoking again, or as another user, finds nothing. */
    assert_int_equal(store_apikey_revoke(f->s, f->uid + 1, k.session_id), WG_ERR_NOT_FOUND);
    assert_int_equal(resolve(f, k.token, T0 + 6, &a, csrf, &why), WG_OK);
    assert_int_equal(store_apikey_revoke(f->s, f->uid, k.session_id), WG_OK);
    assert_int_equal(resolve(f, k.token, T0 + 7, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
    assert_non_null(strstr(why.msg, "revoked"));
    assert_int_equal(store_apikey_revoke(f->s, f->uid, k.session_id), WG_ERR_NOT_FOUND);
    /* The other key still works. */
    assert_int_equal(resolve(f, bad.token, T0 + 7, &a, csrf, &why), WG_OK);
    assert_int_equal(a.api_key_id, bad.session_id);
}

static void test_disabled_user(void **state)
{
    fixture *f = *state;
    actor a;
    char csrf[AUTH_TOKEN_MAX];
    wg_why why = {0};
    session_created sc = new_session(f, T0);
    session_created k;
    assert_int_equal(session_apikey_create(f->s, "li", "robot", T0, &k, &why), WG_OK);
    assert_int_equal(resolve(f, sc.token, T0 + 1, &a, csrf, &why), WG_OK);
    assert_int_equal(resolve(f, k.token, T0 + 1, &a, csrf, &why), WG_OK);

    assert_int_equal(users_set_disabled(f->s, "li", true, &why), WG_OK);
    assert_int_equal(resolve(f, sc.token, T0 + 2, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
    assert_int_equal(resolve(f, k.token, T0 + 2, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
    assert_non_null(strstr(why.msg, "disabled"));
    assert_int_equal(a.user_id, 0); /* no actor filled */

    /* A session created for a disabled account does not resolve either. */
    session_created sc2 = new_session(f, T0 + 3);
    assert_int_equal(resolve(f, sc2.token, T0 + 4, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
    assert_non_null(strstr(why.msg, "disabled"));

    /* Enabled again: the API key works, the sessions ended for good when
     * the account was disabled (sc), sc2 was created after and works. */
    assert_int_equal(users_set_disabled(f->s, "li", false, &why), WG_OK);
    assert_int_equal(resolve(f, k.token, T0 + 5, &a, csrf, &why), WG_OK);
    assert_int_equal(resolve(f, sc.token, T0 + 5, &a, csrf, &why), WG_ERR_UNAUTHORIZED);
    assert_int_equal(resolve(f, sc2.token, T0 + 5, &a, csrf, &why), WG_OK);
    assert_string_equal(csrf, sc2.csrf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_authenticate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_addr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apikey, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disabled_user, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
