#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "util/jsonw.h"

#include <jansson.h>

typedef struct {
    wg_buf b;
    jsonw w;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    buf_init(&f->b, NULL, 1 << 20);
    jsonw_init(&f->w, &f->b);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    buf_free(&f->b);
    free(f);
    return 0;
}

/* Commas between members and elements, none after a key or an opening. */
static void test_commas_and_nesting(void **state)
{
    fx *f = *state;
    jsonw *w = &f->w;
    jsonw_object(w);
    jsonw_key(w, "a");
    jsonw_int(w, 1);
    jsonw_key(w, "b");
    jsonw_array(w);
    jsonw_int(w, -2);
    jsonw_str(w, "x");
    jsonw_null(w);
    jsonw_bool(w, true);
    jsonw_bool(w, false);
    jsonw_object(w);
    jsonw_end(w);
    jsonw_array(w);
    jsonw_end(w);
    jsonw_end(w);
    jsonw_key(w, "c");
    jsonw_str(w, NULL);
    jsonw_end(w);
    assert_int_equal(w->err, WG_OK);
    assert_string_equal(f->b.ptr, "{\"a\":1,\"b\":[-2,\"x\",null,true,false,{},[]],\"c\":null}");
}

/* Strings read back as they were: quotes, backslashes, control bytes and
 * UTF-8 (left as it is). */
static void test_strings(void **state)
{
    fx *f = *state;
    const char *s = "他说\"你好\"\\ \n\t\r\x01/end";
    jsonw_array(&f->w);
    jsonw_str(&f->w, s);
    jsonw_end(&f->w);
    assert_int_equal(f->w.err, WG_OK);
    json_t *j = json_loadb(f->b.ptr, f->b.len, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_array_get(j, 0)), s);
    json_decref(j);
}

/* Keys and strings with and without escapes, side by side: each after
 * its comma, a key's colon after its closing quote. A buffer capped at
 * exactly the text's length takes it. */
static void test_keys_and_escapes(void **state)
{
    fx *f = *state;
    jsonw *w = &f->w;
    jsonw_object(w);
    jsonw_key(w, "plain");
    jsonw_str(w, "a\"b");
    jsonw_key(w, "k\"ey");
    jsonw_str(w, "飞线\n充电");
    jsonw_key(w, "");
    jsonw_str(w, "");
    jsonw_end(w);
    assert_int_equal(w->err, WG_OK);
    assert_string_equal(f->b.ptr,
                        "{\"plain\":\"a\\\"b\",\"k\\\"ey\":\"飞线\\n充电\",\"\":\"\"}");
    wg_buf b;
    buf_init(&b, NULL, 7);
    jsonw x;
    jsonw_init(&x, &b);
    jsonw_array(&x);
    jsonw_str(&x, "abc");
    jsonw_end(&x);
    assert_int_equal(x.err, WG_OK);
    assert_string_equal(b.ptr, "[\"abc\"]");
    buf_free(&b);
    /* A byte that is not UTF-8, in a key and in a string: U+FFFD. */
    buf_init(&b, NULL, 1024);
    jsonw_init(&x, &b);
    jsonw_object(&x);
    jsonw_key(&x, "k\xff");
    jsonw_str(&x, "网\xe4\xb8");
    jsonw_end(&x);
    assert_int_equal(x.err, WG_OK);
    assert_string_equal(b.ptr, "{\"k\\ufffd\":\"网\\ufffd\\ufffd\"}");
    json_t *j = json_loadb(b.ptr, b.len, 0, NULL);
    assert_non_null(j);
    json_decref(j);
    buf_free(&b);
}

/* Reals: the fewest decimals that read back as the same double; else as
 * jansson dumps them (17 digits); no NaN or infinity in JSON. */
static void test_reals(void **state)
{
    fx *f = *state;
    const double v[] = {113.6025, 34.705, 42.0, 0.0, -0.0, 29.9, 0.1, 1e-7, -12.5, 1e300,
                        -2.5e-7, 1.0 / 3};
    jsonw_array(&f->w);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        jsonw_real(&f->w, v[i]);
    jsonw_real(&f->w, NAN);
    jsonw_real(&f->w, -INFINITY);
    jsonw_end(&f->w);
    assert_int_equal(f->w.err, WG_OK);
    assert_string_equal(f->b.ptr, "[113.6025,34.705,42.0,0.0,-0.0,29.9,0.1,0.0000001,-12.5,"
                                  "1.0000000000000001e300,-2.4999999999999999e-7,"
                                  "0.33333333333333331,null,null]");
    /* Every one reads back as itself. */
    json_t *j = json_loadb(f->b.ptr, f->b.len, 0, NULL);
    assert_non_null(j);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_true(json_real_value(json_array_get(j, i)) == v[i]);
    json_decref(j);
}

/* Many doubles of the kind stored (coordinates, distances): each written
 * reads back as the same double. */
static void test_reals_read_back(void **state)
{
    fx *f = *state;
    unsigned s = 12345;
    jsonw_array(&f->w);
    double v[2000];
    for (size_t i = 0; i < 2000; i++) {
        s = s * 1103515245u + 12345u;
        double x = (s >> 8) / 16777216.0;
        v[i] = i % 4 == 0   ? 113.5 + x * 0.2                     /* any longitude */
               : i % 4 == 1 ? round((34.6 + x * 0.2) * 1e6) / 1e6 /* six decimals */
               : i % 4 == 2 ? round(x * 5000) / 10                /* a distance */
                            : -x * 1e-3;
        jsonw_real(&f->w, v[i]);
    }
    jsonw_end(&f->w);
    json_t *j = json_loadb(f->b.ptr, f->b.len, 0, NULL);
    assert_non_null(j);
    for (size_t i = 0; i < 2000; i++)
        if (json_number_value(json_array_get(j, i)) != v[i])
            fail_msg("%.17g was written as something else", v[i]);
    json_decref(j);
}

/* Integers, the extremes too. */
static void test_ints(void **state)
{
    fx *f = *state;
    jsonw_array(&f->w);
    jsonw_int(&f->w, 0);
    jsonw_int(&f->w, -7);
    jsonw_int(&f->w, INT64_MAX);
    jsonw_int(&f->w, INT64_MIN);
    jsonw_end(&f->w);
    assert_string_equal(f->b.ptr, "[0,-7,9223372036854775807,-9223372036854775808]");
}

/* The first error sticks: a full buffer stops the writing. */
static void test_error_sticks(void **state)
{
    (void)state;
    wg_buf b;
    buf_init(&b, NULL, 8);
    jsonw w;
    jsonw_init(&w, &b);
    jsonw_array(&w);
    jsonw_str(&w, "0123456789");
    assert_int_equal(w.err, WG_ERR_TOO_LARGE);
    size_t len = b.len;
    jsonw_int(&w, 1);
    jsonw_end(&w);
    assert_int_equal(b.len, len);
    buf_free(&b);
    /* Too deep: refused as well. */
    buf_init(&b, NULL, 1 << 10);
    jsonw_init(&w, &b);
    for (int i = 0; i < JSONW_DEPTH + 2; i++)
        jsonw_array(&w);
    assert_int_equal(w.err, WG_ERR_TOO_LARGE);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_commas_and_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_and_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reals_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ints, setup, teardown),
        cmocka_unit_test(test_error_sticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
