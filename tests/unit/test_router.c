#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http/router.h"

static void test_literal(void **state)
{
    (void)state;
    route_match m;
    assert_true(router_path_matches("/api/version", "/api/version", &m));
    assert_int_equal(m.nparams, 0);
    assert_false(router_path_matches("/api/version", "/api/version/", &m));
    assert_false(router_path_matches("/api/version", "/api/versio", &m));
    assert_false(router_path_matches("/api/version", "/api", &m));
}

static void test_placeholders(void **state)
{
    (void)state;
    route_match m;
    assert_true(router_path_matches("/api/grids/{code}/children", "/api/grids/410102008/children",
                                    &m));
    assert_int_equal(m.nparams, 1);
    assert_int_equal(m.params[0].name.len, 4);
    assert_memory_equal(m.params[0].name.ptr, "code", 4);
    assert_int_equal(m.params[0].value.len, 9);
    assert_memory_equal(m.params[0].value.ptr, "410102008", 9);
    assert_false(router_path_matches("/api/grids/{code}/children", "/api/grids//children", &m));
    assert_false(router_path_matches("/api/grids/{code}", "/api/grids/a/b", &m));
    assert_true(router_path_matches("/api/cases/{id}/actions/{action}",
                                    "/api/cases/17/actions/verify", &m));
    assert_int_equal(m.nparams, 2);
    assert_memory_equal(m.params[1].value.ptr, "verify", 6);
}

static void test_rest(void **state)
{
    (void)state;
    route_match m;
    assert_true(router_path_matches("/app/{file*}", "/app/js/pages/map.js", &m));
    assert_int_equal(m.nparams, 1);
    assert_int_equal(m.params[0].name.len, 4);
    assert_memory_equal(m.params[0].name.ptr, "file", 4);
    assert_int_equal(m.params[0].value.len, strlen("js/pages/map.js"));
    assert_memory_equal(m.params[0].value.ptr, "js/pages/map.js", m.params[0].value.len);
    assert_true(router_path_matches("/app/{file*}", "/app/a", &m));
    assert_false(router_path_matches("/app/{file*}", "/app/", &m));
    assert_false(router_path_matches("/app/{file*}", "/ap", &m));
}

static void test_methods(void **state)
{
    (void)state;
    assert_int_equal(router_method("GET"), HTTP_GET);
    assert_int_equal(router_method("DELETE"), HTTP_DELETE);
    assert_int_equal(router_method("get"), 0);
    assert_int_equal(router_method("BREW"), 0);
    char allow[64];
    router_allow_header(HTTP_GET | HTTP_HEAD | HTTP_POST, allow, sizeof(allow));
    assert_string_equal(allow, "GET, HEAD, POST");
    router_allow_header(0, allow, sizeof(allow));
    assert_string_equal(allow, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal),
        cmocka_unit_test(test_placeholders),
        cmocka_unit_test(test_rest),
        cmocka_unit_test(test_methods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
