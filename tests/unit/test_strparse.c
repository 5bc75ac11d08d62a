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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i64),  cmocka_unit_test(test_size),
        cmocka_unit_test(test_bool), cmocka_unit_test(test_double),
        cmocka_unit_test(test_hostport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
