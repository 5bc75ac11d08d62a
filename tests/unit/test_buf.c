#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/buf.h"

static void test_heap_append_and_cap(void **state)
{
    (void)state;
    wg_buf b;
    buf_init(&b, NULL, 10);
    assert_int_equal(buf_puts(&b, "hello"), WG_OK);
    assert_int_equal(buf_puts(&b, "world"), WG_OK);
    assert_string_equal(b.ptr, "helloworld");
    /* One byte over: refused, contents unchanged. */
    assert_int_equal(buf_putc(&b, '!'), WG_ERR_TOO_LARGE);
    assert_string_equal(b.ptr, "helloworld");
    assert_int_equal(b.len, 10);
    buf_free(&b);
}

static void test_arena_growth(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, NULL, 0, 0);
    wg_buf b;
    buf_init(&b, &a, 1 << 20);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_printf(&b, "%04d", i), WG_OK);
    assert_int_equal(b.len, 4000);
    assert_memory_equal(b.ptr + 3996, "0999", 4);
    arena_free(&a);
}

static void test_printf_long(void **state)
{
    (void)state;
    wg_buf b;
    buf_init(&b, NULL, 4096);
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(buf_printf(&b, "[%s]", big), WG_OK);
    assert_int_equal(b.len, 1001);
    assert_int_equal(buf_printf(&b, "%s%s%s%s", big, big, big, big), WG_ERR_TOO_LARGE);
    assert_int_equal(b.len, 1001);
    buf_free(&b);
}

static void test_json_escape(void **state)
{
    (void)state;
    wg_buf b;
    buf_init(&b, NULL, 1024);
    const char in[] = "a\"b\\c\nd\te\x01网";
    assert_int_equal(buf_json_escape(&b, in, sizeof(in) - 1), WG_OK);
    assert_string_equal(b.ptr, "a\\\"b\\\\c\\nd\\te\\u0001网");
    buf_free(&b);
}

/* Bytes that are not well-formed UTF-8 come out as \ufffd, one each: a
 * stray byte, a sequence cut short (also at the end), an overlong form, a
 * surrogate, a code point past U+10FFFF; the characters around them stay. */
static void test_json_escape_bad_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a\xff" "b", "a\\ufffdb"},
        {"网\xe4\xb8", "网\\ufffd\\ufffd"},
        {"\xe4\xb8x", "\\ufffd\\ufffdx"},
        {"\xc0\xaf", "\\ufffd\\ufffd"},
        {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},
        {"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"},
        {"\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf", "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wg_buf b;
        buf_init(&b, NULL, 1024);
        assert_int_equal(buf_json_escape(&b, cases[i].in, strlen(cases[i].in)), WG_OK);
        assert_string_equal(b.ptr, cases[i].out);
        buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap_append_and_cap),
        cmocka_unit_test(test_arena_growth),
        cmocka_unit_test(test_printf_long),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_json_escape_bad_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
