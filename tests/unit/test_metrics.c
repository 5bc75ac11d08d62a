#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/metrics.h"

static void test_counts_and_exposition(void **state)
{
    (void)state;
    static const char *const names[] = {"/a", "/b"};
    metrics *m = metrics_new(names, 2);
    metrics_observe(m, 0, 200, 50);
    metrics_observe(m, 0, 200, 3000);
    metrics_observe(m, 0, 404, 10);
    metrics_observe(m, 2, 404, 10);    /* unmatched */
    metrics_observe(m, 99, 999, 10);   /* clamps to unmatched, status other */
    metrics_inflight(m, 2);
    metrics_inflight(m, -1);
    assert_int_equal(metrics_count(m, 0), 3);
    assert_int_equal(metrics_count(m, 1), 0);
    assert_int_equal(metrics_count(m, 2), 2);

    wg_buf b;
    buf_init(&b, NULL, 1 << 20);
    assert_int_equal(metrics_render(m, &b, 4096, "9.9", "sqlite x"), WG_OK);
    assert_non_null(strstr(b.ptr, "wangge_http_requests_total{route=\"/a\",status=\"200\"} 2\n"));
    assert_non_null(strstr(b.ptr, "wangge_http_requests_total{route=\"/a\",status=\"404\"} 1\n"));
    assert_non_null(strstr(b.ptr, "{route=\"unmatched\",status=\"other\"} 1\n"));
    assert_null(strstr(b.ptr, "route=\"/b\""));
    /* Cumulative buckets: 50us is under 100us, 3000us under 5ms. */
    assert_non_null(strstr(b.ptr, "_bucket{route=\"/a\",le=\"0.0001\"} 2\n"));
    assert_non_null(strstr(b.ptr, "_bucket{route=\"/a\",le=\"0.005\"} 3\n"));
    assert_non_null(strstr(b.ptr, "_bucket{route=\"/a\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(b.ptr, "_count{route=\"/a\"} 3\n"));
    assert_non_null(strstr(b.ptr, "_sum{route=\"/a\"} 0.003060\n"));
    assert_non_null(strstr(b.ptr, "wangge_http_requests_in_flight 1\n"));
    assert_non_null(strstr(b.ptr, "wangge_db_size_bytes 4096\n"));
    assert_non_null(strstr(b.ptr, "wangge_build_info{version=\"9.9\",engine=\"sqlite x\"} 1\n"));
    buf_free(&b);
    metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_exposition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
