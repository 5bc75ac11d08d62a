#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/strparse.h"

#define S(x) x, strlen(x)

static void test_i64(void **state)
{
    (void)state;
    int64_t v = -1;
    assert_true(parse_i64(S("0"), 0, 10, &v));
    assert_int_equal(v, 0);
    assert_true(parse_i64(S("-42"), -100, 100, &v));
    assert_int_equal(v, -42);
    assert_true(parse_i64(S("9223372036854775807"), INT64_MIN, INT64_MAX, &v));
    assert_true(v == INT64_MAX);
    assert_true(parse_i64(S("-9223372036854775808"), INT64_MIN, INT64_MAX, &v));
    assert_true(v == INT64_MIN);
    v = 5;
    assert_false(parse_i64(S("9223372036854775808"), INT64_MIN, INT64_MAX, &v));
    assert_false(parse_i64(S(""), 0, 10, &v));
    assert_false(parse_i64(S("-"), -10, 10, &v));
    assert_false(parse_i64(S(" 1"), 0, 10, &v));
    assert_false(parse_i64(S("1 "), 0, 10, &v));
    assert_false(parse_i64(S("1e3"), 0, 10000, &v));
    assert_false(parse_i64(S("11"), 0, 10, &v));
    assert_false(parse_i64(S("+1"), 0, 10, &v));
    assert_int_equal(v, 5); /* untouched on failure */
}

static void test_size(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(parse_size(S("1M"), 0, UINT64_MAX, &v));
    assert_int_equal(v, 1048576);
    assert_true(parse_size(S("24k"), 0, UINT64_MAX, &v));
    assert_int_equal(v, 24576);
    assert_true(parse_size(S("100"), 0, UINT64_MAX, &v));
    assert_int_equal(v, 100);
    assert_false(parse_size(S("M"), 0, UINT64_MAX, &v));
    assert_false(parse_size(S("-1K"), 0, UINT64_MAX, &v));
    assert_false(parse_size(S("2G"), 0, 1024, &v));
    assert_false(parse_size(S("99999999999999G"), 0, UINT64_MAX, &v));
}

static void test_bool(void **state)
{
    (void)state;
    bool b = false;
    assert_true(parse_bool(S("TRUE"), &b));
    assert_true(b);
    assert_true(parse_bool(S("off"), &b));
    assert_false(b);
    assert_false(parse_bool(S("maybe"), &b));
    assert_false(parse_bool(S("tru"), &b));
}

static void test_double(void **state)
{
    (void)state;
    double d;
    assert_true(parse_double(S("113.6254"), -180, 180, &d));
    assert_true(d > 113.62 && d < 113.63);
    assert_true(parse_double(S("-3.5e1"), -180, 180, &d));
    assert_false(parse_double(S("181"), -180, 180, &d));
    assert_false(parse_double(S("nan"), -180, 180, &d));
    assert_false(parse_double(S("inf"), -1e300, 1e300, &d));
    assert_false(parse_double(S("0x10"), -180, 180, &d));
    assert_false(parse_double(S("1.2.3"), -180, 180, &d));
    assert_false(parse_double(S(""), -180, 180, &d));
}

static void test_hostport(void **state)
{
    (void)state;
    char host[64];
    uint16_t port;
    assert_true(parse_hostport("127.0.0.1:8080", host, sizeof(host), &port));
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8080);
    assert_true(parse_hostport("[::1]:0", host, sizeof(host), &port));
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    assert_true(parse_hostport("localhost:65535", host, sizeof(host), &port));
    assert_false(parse_hostport("localhost:65536", host, sizeof(host), &port));
    assert_false(parse_hostport("::1:80", host, sizeof(host), &port));
    assert_false(parse_hostport(":80", host, sizeof(host), &port));
    assert_false(parse_hostport("host", host, sizeof(host), &port));
    assert_false(parse_hostport("host:", host, sizeof(host), &port));
    assert_false(parse_hostport("[::1]80", host, sizeof(host), &port));
}

/* Well-formed UTF-8 only, each sequence's length; within n bytes. */
static void test_utf8_valid(void **state)
{
    (void)state;
    assert_int_equal(utf8_valid("a", 1), 1);
    assert_int_equal(utf8_valid("\xc2\xa9", 2), 2);
    assert_int_equal(utf8_valid("网", 3), 3);
    assert_int_equal(utf8_valid("\xf0\x9f\x98\x80", 4), 4);
    assert_int_equal(utf8_valid("\xf4\x8f\xbf\xbf", 4), 4); /* U+10FFFF */
    assert_int_equal(utf8_valid("\xee\x80\x80", 3), 3);     /* past the surrogates */
    assert_int_equal(utf8_valid("网", 2), 0);                    /* cut by n */
    assert_int_equal(utf8_valid("\xe4\xb8", 4), 0);           /* cut by the NUL */
    assert_int_equal(utf8_valid("\x80", 1), 0);
    assert_int_equal(utf8_valid("\xc1\xbf", 2), 0);           /* overlong */
    assert_int_equal(utf8_valid("\xe0\x9f\xbf", 3), 0);      /* overlong */
    assert_int_equal(utf8_valid("\xf0\x8f\xbf\xbf", 4), 0); /* overlong */
    assert_int_equal(utf8_valid("\xed\xa0\x80", 3), 0);      /* a surrogate */
    assert_int_equal(utf8_valid("\xf4\x90\x80\x80", 4), 0); /* past U+10FFFF */
    assert_int_equal(utf8_valid("\xf5\x80\x80\x80", 4), 0);
    assert_int_equal(utf8_valid("\xff", 1), 0);
    assert_int_equal(utf8_valid("", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i64),  cmocka_unit_test(test_size),
        cmocka_unit_test(test_bool), cmocka_unit_test(test_double),
        cmocka_unit_test(test_hostport), cmocka_unit_test(test_utf8_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
