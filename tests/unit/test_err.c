#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/err.h"

/* Every error has a distinct code word and a message. */
static void test_every_error_named(void **state)
{
    (void)state;
    for (int i = 0; i < WG_ERR_COUNT; i++) {
        assert_non_null(wg_strerror((wg_err)i));
        assert_string_not_equal(wg_errcode((wg_err)i), "unknown");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(wg_errcode((wg_err)i), wg_errcode((wg_err)j));
    }
    assert_string_equal(wg_errcode(WG_ERR_NOT_FOUND), "not_found");
    assert_string_equal(wg_errcode((wg_err)999), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_error_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
