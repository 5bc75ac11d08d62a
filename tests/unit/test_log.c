#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static void test_levels(void **state)
{
    (void)state;
    log_level lv;
    assert_true(log_parse_level("warn", &lv));
    assert_int_equal(lv, LOG_WARN);
    assert_false(log_parse_level("loud", &lv));
}

/* A line is one JSON object with the message escaped, and lines under the
 * threshold are not written. */
static void test_line_is_json(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    log_set_fd(fds[1]);
    log_set_level(LOG_INFO);
    log_debug("hidden");
    log_info("quote \" and newline \n and 网格 %d", 7);
    close(fds[1]);
    char out[1024] = "";
    ssize_t n = read(fds[0], out, sizeof(out) - 1);
    close(fds[0]);
    log_set_fd(2);
    assert_true(n > 0);
    out[n] = '\0';
    assert_null(strstr(out, "hidden"));
    assert_non_null(strchr(out, '\n'));
    json_error_t e;
    json_t *j = json_loads(out, JSON_DISABLE_EOF_CHECK, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "msg")),
                        "quote \" and newline \n and 网格 7");
    json_decref(j);
}

static void test_timestamp_shape(void **state)
{
    (void)state;
    char ts[32];
    size_t n = log_timestamp(ts, sizeof(ts));
    assert_int_equal(n, 24);
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[23], 'Z');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_line_is_json),
        cmocka_unit_test(test_timestamp_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
