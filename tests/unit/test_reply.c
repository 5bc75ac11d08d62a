#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/req.h"

static void new_req(http_req *r, const char *body)
{
    memset(r, 0, sizeof(*r));
    arena_init(&r->ar, NULL, 0, 0);
    if (body) {
        char msg[128];
        assert_int_equal(req_parse_json(body, strlen(body), &r->json, msg, sizeof(msg)), WG_OK);
        arena_defer(&r->ar, (void (*)(void *))json_decref, r->json);
    }
}

static void test_status_table(void **state)
{
    (void)state;
    assert_int_equal(http_status_of(WG_ERR_NOT_FOUND), 404);
    assert_int_equal(http_status_of(WG_ERR_METHOD), 405);
    assert_int_equal(http_status_of(WG_ERR_TOO_LARGE), 413);
    assert_int_equal(http_status_of(WG_ERR_URI_TOO_LONG), 414);
    assert_int_equal(http_status_of(WG_ERR_HEADERS_TOO_LARGE), 431);
    assert_int_equal(http_status_of(WG_ERR_INVALID), 422);
    assert_int_equal(http_status_of(WG_ERR_BAD_JSON), 400);
    assert_int_equal(http_status_of(WG_ERR_UNAVAILABLE), 503);
    /* Every error is a 4xx or 5xx. */
    for (int i = 1; i < WG_ERR_COUNT; i++)
        assert_true(http_status_of((wg_err)i) >= 400 && http_status_of((wg_err)i) < 600);
}

static void test_error_body(void **state)
{
    (void)state;
    http_req r;
    new_req(&r, NULL);
    wg_err rc = req_fail(&r, WG_ERR_INVALID, "lon", "'lon' must be from %d to %d", -180, 180);
    reply_error(&r, rc);
    assert_int_equal(r.status, 422);
    json_t *j = json_loadb(r.out, r.out_len, 0, NULL);
    assert_non_null(j);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "invalid");
    assert_string_equal(json_string_value(json_object_get(e, "message")),
                        "'lon' must be from -180 to 180");
    assert_string_equal(json_string_value(json_object_get(e, "field")), "lon");
    json_decref(j);
    arena_free(&r.ar);

    /* Without a field or message: the default text, no "field". */
    new_req(&r, NULL);
    reply_error(&r, WG_ERR_NOT_FOUND);
    j = json_loadb(r.out, r.out_len, 0, NULL);
    e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "message")), "not found");
    assert_null(json_object_get(e, "field"));
    json_decref(j);
    arena_free(&r.ar);
}

static void test_parse_json_says_where(void **state)
{
    (void)state;
    json_t *j = NULL;
    char msg[128];
    assert_int_equal(req_parse_json("{\n  \"a\": 1,\n  \"b\": }", 21, &j, msg, sizeof(msg)),
                     WG_ERR_BAD_JSON);
    assert_non_null(strstr(msg, "line 3"));
    assert_non_null(strstr(msg, "column"));
    assert_int_equal(req_parse_json("{\"a\":1,\"a\":2}", 13, &j, msg, sizeof(msg)),
                     WG_ERR_BAD_JSON);
    assert_int_equal(req_parse_json("[1]", 3, &j, msg, sizeof(msg)), WG_OK);
    json_decref(j);
}

static void test_field_readers(void **state)
{
    (void)state;
    http_req r;
    new_req(&r, "{\"name\":\"网格\",\"n\":5,\"s\":7,\"big\":99,\"nul\":null}");
    const char *s = NULL;
    int64_t n = 0;
    assert_int_equal(req_json_string(&r, "name", true, 100, &s), WG_OK);
    assert_string_equal(s, "网格");
    assert_int_equal(req_json_string(&r, "name", true, 3, &s), WG_ERR_INVALID);
    assert_string_equal(r.err_field, "name");
    assert_int_equal(req_json_string(&r, "s", true, 10, &s), WG_ERR_BAD_REQUEST);
    assert_string_equal(r.err_field, "s");
    assert_non_null(strstr(r.err_msg, "an integer"));
    assert_int_equal(req_json_string(&r, "missing", true, 10, &s), WG_ERR_INVALID);
    assert_string_equal(r.err_field, "missing");
    s = "kept";
    assert_int_equal(req_json_string(&r, "missing", false, 10, &s), WG_OK);
    assert_string_equal(s, "kept");
    assert_int_equal(req_json_string(&r, "nul", true, 10, &s), WG_ERR_INVALID);
    assert_int_equal(req_json_int(&r, "n", true, 0, 10, &n), WG_OK);
    assert_int_equal(n, 5);
    assert_int_equal(req_json_int(&r, "big", true, 0, 10, &n), WG_ERR_INVALID);
    assert_int_equal(req_json_int(&r, "name", true, 0, 10, &n), WG_ERR_BAD_REQUEST);
    arena_free(&r.ar);

    new_req(&r, "[1,2]");
    assert_int_equal(req_json_string(&r, "name", true, 10, &s), WG_ERR_BAD_REQUEST);
    assert_null(r.err_field);
    arena_free(&r.ar);
}

static void test_reply_json_and_headers(void **state)
{
    (void)state;
    http_req r;
    new_req(&r, NULL);
    assert_int_equal(reply_json(&r, 201, json_pack("{s:s}", "k", "值")), WG_OK);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.ctype, "application/json");
    assert_memory_equal(r.out, "{\"k\":\"值\"}\n", r.out_len);
    for (int i = 0; i < REQ_MAX_HEADERS; i++)
        assert_int_equal(reply_header(&r, "X-A", "b"), WG_OK);
    assert_int_equal(reply_header(&r, "X-A", "b"), WG_ERR_INTERNAL);
    assert_int_equal(reply_json(&r, 200, NULL), WG_ERR_NOMEM);
    arena_free(&r.ar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_table),
        cmocka_unit_test(test_error_body),
        cmocka_unit_test(test_parse_json_says_where),
        cmocka_unit_test(test_field_readers),
        cmocka_unit_test(test_reply_json_and_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
