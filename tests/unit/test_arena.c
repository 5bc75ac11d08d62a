#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/arena.h"

static void test_initial_storage_then_heap(void **state)
{
    (void)state;
    char first[256];
    arena a;
    arena_init(&a, first, sizeof(first), 0);
    char *p = arena_alloc(&a, 100);
    assert_true(p >= first && p < first + sizeof(first));
    assert_int_equal(a.used, 0);
    char *q = arena_alloc(&a, 1000); /* does not fit: heap */
    assert_true(q < first || q >= first + sizeof(first));
    assert_true(a.used > 0);
    memset(q, 1, 1000);
    arena_reset(&a);
    assert_int_equal(a.used, 0);
    /* Usable again after reset, from the initial storage. */
    p = arena_alloc(&a, 10);
    assert_true(p >= first && p < first + sizeof(first));
    arena_free(&a);
}

static void test_alignment(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, NULL, 0, 0);
    for (int i = 1; i < 50; i++) {
        void *p = arena_alloc(&a, (size_t)i);
        assert_int_equal((uintptr_t)p % 16, 0);
    }
    arena_free(&a);
}

static void test_cap_is_enforced(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, NULL, 0, 64 * 1024);
    assert_non_null(arena_alloc(&a, 20 * 1024));
    assert_null(arena_alloc(&a, 100 * 1024));
    arena_free(&a);
}

static int calls[3];
static int order;
static void note(void *p)
{
    calls[(intptr_t)p] = ++order;
}

static void test_cleanups_run_last_first(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, NULL, 0, 0);
    memset(calls, 0, sizeof(calls));
    order = 0;
    assert_true(arena_defer(&a, note, (void *)0));
    assert_true(arena_defer(&a, note, (void *)1));
    assert_true(arena_defer(&a, note, (void *)2));
    arena_reset(&a);
    assert_int_equal(calls[2], 1);
    assert_int_equal(calls[1], 2);
    assert_int_equal(calls[0], 3);
    /* Not run twice. */
    arena_free(&a);
    assert_int_equal(order, 3);
}

static void test_strings(void **state)
{
    (void)state;
    arena a;
    arena_init(&a, NULL, 0, 0);
    assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
    assert_string_equal(arena_strdup(&a, "网格"), "网格");
    assert_string_equal(arena_printf(&a, "%d-%s", 42, "x"), "42-x");
    char *z = arena_calloc(&a, 10, 4);
    for (int i = 0; i < 40; i++)
        assert_int_equal(z[i], 0);
    assert_null(arena_calloc(&a, SIZE_MAX / 2, 4));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_storage_then_heap),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_cap_is_enforced),
        cmocka_unit_test(test_cleanups_run_last_first),
        cmocka_unit_test(test_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
