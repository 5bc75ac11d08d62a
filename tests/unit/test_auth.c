#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/auth.h"

/* Small argon2id memory so that the tests run fast. */
#define MEMLIMIT (8192 * 4)

static int setup(void **state)
{
    (void)state;
    return auth_init() == WG_OK ? 0 : -1;
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

static void test_password_ok(void **state)
{
    (void)state;
    wg_why why;
    memset(&why, 0, sizeof(why));
    assert_false(auth_password_ok("", &why));
    assert_string_equal(why.field, "password");
    assert_non_null(strstr(why.msg, "at least 8"));
    assert_false(auth_password_ok("short12", &why)); /* 7 */
    assert_non_null(strstr(why.msg, "at least 8"));
    assert_true(auth_password_ok("short123", &why)); /* 8 */

    char pw[1100];
    memset(pw, 'a', sizeof(pw));
    pw[0] = 'b';
    pw[1024] = '\0';
    assert_true(auth_password_ok(pw, &why)); /* 1024 */
    pw[1024] = 'a';
    pw[1025] = '\0';
    memset(&why, 0, sizeof(why));
    assert_false(auth_password_ok(pw, &why)); /* 1025 */
    assert_string_equal(why.field, "password");
    assert_non_null(strstr(why.msg, "at most 1024"));

    memset(&why, 0, sizeof(why));
    assert_false(auth_password_ok("aaaaaaaa", &why));
    assert_string_equal(why.field, "password");
    assert_non_null(strstr(why.msg, "repeat"));
    assert_false(auth_password_ok("1111111111111111", &why));
    memset(pw, 'x', 1024);
    pw[1024] = '\0';
    assert_false(auth_password_ok(pw, &why));
    assert_non_null(strstr(why.msg, "repeat"));
    /* One different character anywhere is enough. */
    assert_true(auth_password_ok("aaaaaaab", &why));
    assert_true(auth_password_ok("baaaaaaa", &why));
    assert_true(auth_password_ok("correct horse", &why));
    assert_true(auth_password_ok("密码密码密码密码", &why)); /* 8 characters, 24 bytes */
}

/* auth.h: "not all one character". A character outside ASCII is several
 * bytes, and repeating it is still one character repeated. */
static void test_password_repeated_multibyte(void **state)
{
    (void)state;
    wg_why why;
    /* Eight or more of one multi-byte character: refused as a repeat. */
    static const char *const same[] = {
        "网网网网网网网网",
        "éééééééééé",
        "\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91"
        "\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91", /* 8 x U+1F511 */
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        memset(&why, 0, sizeof(why));
        if (auth_password_ok(same[i], &why))
            fail_msg("accepted '%s': one character repeated", same[i]);
        assert_string_equal(why.field, "password");
        assert_non_null(strstr(why.msg, "repeat"));
    }
    /* Length counts characters, not bytes: 3 characters are 9 bytes. */
    memset(&why, 0, sizeof(why));
    assert_false(auth_password_ok("网网网", &why));
    assert_non_null(strstr(why.msg, "at least 8 characters"));
    assert_false(auth_password_ok("网格网格网格", &why));
    /* Different characters of the same lead byte are fine. */
    assert_true(auth_password_ok("网格网格网格网格", &why));
    assert_true(auth_password_ok("网网网网网网网x", &why));
}

static void test_password_hash_verify(void **state)
{
    (void)state;
    char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX];
    assert_int_equal(auth_password_hash("correct horse", MEMLIMIT, h1), WG_OK);
    assert_int_equal(strncmp(h1, "$argon2id$", 10), 0);
    assert_true(strlen(h1) < AUTH_HASH_MAX);
    assert_null(strstr(h1, "correct horse"));
    assert_true(auth_password_verify(h1, "correct horse"));
    assert_false(auth_password_verify(h1, "correct horsE"));
    assert_false(auth_password_verify(h1, "correct horse "));
    assert_false(auth_password_verify(h1, "correct hors"));
    assert_false(auth_password_verify(h1, ""));

    /* Salted: the same password hashes differently, both verify. */
    assert_int_equal(auth_password_hash("correct horse", MEMLIMIT, h2), WG_OK);
    assert_string_not_equal(h1, h2);
    assert_true(auth_password_verify(h2, "correct horse"));

    /* Garbage hashes never verify. */
    assert_false(auth_password_verify("", "correct horse"));
    assert_false(auth_password_verify("$argon2id$nonsense", "correct horse"));

    /* The dummy does not crash and takes the same inputs. */
    auth_password_dummy("whatever123", MEMLIMIT);
}

static void test_tokens(void **state)
{
    (void)state;
    static char seen[100][AUTH_TOKEN_MAX];
    const size_t plen = strlen(AUTH_SESSION_PREFIX);
    assert_string_equal(AUTH_SESSION_PREFIX, "wgs_");
    assert_string_equal(AUTH_APIKEY_PREFIX, "wgk_");
    for (int i = 0; i < 100; i++) {
        char *t = seen[i];
        auth_token_new(AUTH_SESSION_PREFIX, t);
        assert_int_equal(strlen(t), plen + 43);
        assert_memory_equal(t, AUTH_SESSION_PREFIX, plen);
        for (size_t j = plen; j < strlen(t); j++)
            if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", t[j]))
                fail_msg("token %s: byte %zu not base64url", t, j);
        for (int k = 0; k < i; k++)
            if (strcmp(seen[k], t) == 0)
                fail_msg("token %d repeats token %d", i, k);
    }
    char k[AUTH_TOKEN_MAX], bare[AUTH_TOKEN_MAX];
    auth_token_new(AUTH_APIKEY_PREFIX, k);
    assert_int_equal(strlen(k), 4 + 43);
    assert_memory_equal(k, "wgk_", 4);
    auth_token_new("", bare);
    assert_int_equal(strlen(bare), 43);
}

static void test_token_hash(void **state)
{
    (void)state;
    char h1[65], h2[65], h3[65];
    auth_token_hash("wgs_abc", h1);
    auth_token_hash("wgs_abc", h2);
    auth_token_hash("wgs_abd", h3);
    assert_true(is_hex64(h1));
    assert_string_equal(h1, h2);
    assert_string_not_equal(h1, h3);
    /* It is plain SHA-256. */
    auth_token_hash("", h1);
    assert_string_equal(h1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    auth_token_hash("abc", h1);
    assert_string_equal(h1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_equal(void **state)
{
    (void)state;
    assert_true(auth_equal("", ""));
    assert_true(auth_equal("csrf-token", "csrf-token"));
    assert_false(auth_equal("csrf-token", "csrf-tokem"));
    assert_false(auth_equal("csrf-token", "csrf-toke"));
    assert_false(auth_equal("csrf-toke", "csrf-token"));
    assert_false(auth_equal("", "x"));
    assert_false(auth_equal("x", ""));
    assert_false(auth_equal("Abc", "abc"));
}

static void test_throttle_backoff(void **state)
{
    (void)state;
    throttle *t = throttle_new();
    assert_non_null(t);
    const int64_t t0 = 1700000000;
    assert_int_equal(throttle_wait(t, "u:li", t0), 0); /* unknown key */

    /* Three free tries. */
    for (int i = 0; i < 3; i++) {
        throttle_fail(t, "u:li", t0, 3);
        assert_int_equal(throttle_wait(t, "u:li", t0), 0);
    }
    /* Then 1, 2, 4, ... seconds. */
    throttle_fail(t, "u:li", t0, 3);
    assert_int_equal(throttle_wait(t, "u:li", t0), 1);
    assert_int_equal(throttle_wait(t, "u:li", t0 + 1), 0);
    throttle_fail(t, "u:li", t0 + 1, 3);
    assert_int_equal(throttle_wait(t, "u:li", t0 + 1), 2);
    assert_int_equal(throttle_wait(t, "u:li", t0 + 2), 1);
    assert_int_equal(throttle_wait(t, "u:li", t0 + 3), 0);
    throttle_fail(t, "u:li", t0 + 3, 3);
    assert_int_equal(throttle_wait(t, "u:li", t0 + 3), 4);
    assert_int_equal(throttle_wait(t, "u:li", t0 + 6), 1);
    assert_int_equal(throttle_wait(t, "u:li", t0 + 7), 0);
    throttle_fail(t, "u:li", t0 + 7, 3);
    assert_int_equal(throttle_wait(t, "u:li", t0 + 7), 8);

    /* Keep failing: 16, 32, ..., 512, then capped at 900. */
    int64_t now = t0 + 7;
    int64_t want = 8;
    for (int i = 0; i < 6; i++) {
        now += 10;
        throttle_fail(t, "u:li", now, 3);
        want *= 2;
        assert_int_equal(throttle_wait(t, "u:li", now), want);
    }
    assert_int_equal(want, 512);
    for (int i = 0; i < 40; i++) {
        now += 10;
        throttle_fail(t, "u:li", now, 3);
        assert_int_equal(throttle_wait(t, "u:li", now), 900);
    }

    /* Other keys are independent. */
    assert_int_equal(throttle_wait(t, "u:wang", now), 0);
    assert_int_equal(throttle_wait(t, "a:10.0.0.1", now), 0);
    throttle_fail(t, "u:wang", now, 0); /* no free tries */
    assert_int_equal(throttle_wait(t, "u:wang", now), 1);
    assert_int_equal(throttle_wait(t, "u:li", now), 900);

    /* Reset forgets the key, and counting starts afresh. */
    throttle_reset(t, "u:li");
    assert_int_equal(throttle_wait(t, "u:li", now), 0);
    throttle_fail(t, "u:li", now, 3);
    throttle_fail(t, "u:li", now, 3);
    throttle_fail(t, "u:li", now, 3);
    assert_int_equal(throttle_wait(t, "u:li", now), 0);
    throttle_fail(t, "u:li", now, 3);
    assert_int_equal(throttle_wait(t, "u:li", now), 1);
    assert_int_equal(throttle_wait(t, "u:wang", now), 1); /* untouched */
    throttle_reset(t, "u:nobody");                        /* absent: no effect */
    assert_int_equal(throttle_wait(t, "u:wang", now), 1);
    throttle_free(t);
    throttle_free(NULL);
}

static void test_throttle_forget(void **state)
{
    (void)state;
    throttle *t = throttle_new();
    assert_non_null(t);
    const int64_t t0 = 1700000000;
    for (int i = 0; i < 25; i++)
        throttle_fail(t, "a:192.0.2.7", t0, 5);
    assert_int_equal(throttle_wait(t, "a:192.0.2.7", t0), 900);
    assert_int_equal(throttle_wait(t, "a:192.0.2.7", t0 + 899), 1);
    assert_int_equal(throttle_wait(t, "a:192.0.2.7", t0 + 900), 0);

    /* Less than an hour later the count is kept: one more failure waits
     * the maximum again. */
    throttle_fail(t, "a:192.0.2.7", t0 + 1800, 5);
    assert_int_equal(throttle_wait(t, "a:192.0.2.7", t0 + 1800), 900);

    /* More than an hour after the last failure, it is forgotten: the free
     * tries are back. */
    int64_t later = t0 + 1800 + 3601;
    assert_int_equal(throttle_wait(t, "a:192.0.2.7", later), 0);
    for (int i = 0; i < 5; i++) {
        throttle_fail(t, "a:192.0.2.7", later, 5);
        assert_int_equal(throttle_wait(t, "a:192.0.2.7", later), 0);
    }
    throttle_fail(t, "a:192.0.2.7", later, 5);
    assert_int_equal(throttle_wait(t, "a:192.0.2.7", later), 1);

    /* Same, with the failure counted right after the quiet hour (no wait
     * call in between). */
    later += 3601;
    throttle_fail(t, "a:192.0.2.7", later, 5);
    assert_int_equal(throttle_wait(t, "a:192.0.2.7", later), 0);
    throttle_free(t);
}

static void test_throttle_many_keys(void **state)
{
    (void)state;
    throttle *t = throttle_new();
    assert_non_null(t);
    const int64_t t0 = 1700000000;
    /* A throttled key survives a flood of other keys that fail later,
     * as long as the table has room. */
    throttle_fail(t, "u:target", t0, 0);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "u:flood%d", i);
        throttle_fail(t, key, t0 + 1, 3);
    }
    assert_int_equal(throttle_wait(t, "u:target", t0), 1);
    snprintf(key, sizeof(key), "u:flood%d", 999);
    assert_int_equal(throttle_wait(t, key, t0 + 1), 0);
    throttle_fail(t, key, t0 + 1, 3);
    throttle_fail(t, key, t0 + 1, 3);
    throttle_fail(t, key, t0 + 1, 3);
    assert_int_equal(throttle_wait(t, key, t0 + 1), 1);
    throttle_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_ok),
        cmocka_unit_test(test_password_repeated_multibyte),
        cmocka_unit_test(test_password_hash_verify),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_token_hash),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_throttle_backoff),
        cmocka_unit_test(test_throttle_forget),
        cmocka_unit_test(test_throttle_many_keys),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
