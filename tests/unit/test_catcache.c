#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "core/catcache.h"
#include "store/store.h"
#include "util/log.h"

typedef struct {
    char dir[64];
    store *s;
    catcache *c;
} fixture;

static void department(store *s, const char *code)
{
    store_department d;
    memset(&d, 0, sizeof(d));
    snprintf(d.code, sizeof(d.code), "%s", code);
    snprintf(d.name, sizeof(d.name), "%s", code);
    snprintf(d.kind, sizeof(d.kind), "department");
    int64_t id = 0;
    assert_int_equal(store_department_insert(s, &d, &id), WG_OK);
}

static void category(store *s, const char *code, const char *dept, const char *file_limit)
{
    store_category k;
    memset(&k, 0, sizeof(k));
    snprintf(k.code, sizeof(k.code), "%s", code);
    snprintf(k.kind, sizeof(k.kind), "event");
    snprintf(k.name_zh, sizeof(k.name_zh), "类%s", code);
    snprintf(k.department, sizeof(k.department), "%s", dept);
    snprintf(k.major, sizeof(k.major), "市容环境");
    snprintf(k.minor, sizeof(k.minor), "%s", code);
    snprintf(k.name_en, sizeof(k.name_en), "Class %s", code);
    snprintf(k.limit[0], sizeof(k.limit[0]), "%s", file_limit);
    for (int i = 1; i < 5; i++)
        snprintf(k.limit[i], sizeof(k.limit[i]), "1d");
    k.urgent_percent = 50;
    assert_int_equal(store_category_put(s, &k), WG_OK);
}

static int64_t rule(store *s, const char *cat, const char *prefix, const char *dept)
{
    store_route_rule r;
    memset(&r, 0, sizeof(r));
    snprintf(r.category, sizeof(r.category), "%s", cat);
    snprintf(r.grid_prefix, sizeof(r.grid_prefix), "%s", prefix);
    snprintf(r.department, sizeof(r.department), "%s", dept);
    int64_t id = 0;
    assert_int_equal(store_route_put(s, &r, &id), WG_OK);
    return id;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    fx_tmpdir(f->dir, sizeof(f->dir), "catcache");
    f->s = fx_store(f->dir, "t.db");
    const char *depts[] = {"chengguan", "wuye", "gongan", "zhujian"};
    for (size_t i = 0; i < 4; i++)
        department(f->s, depts[i]);
    category(f->s, "E0504", "chengguan", "30m");
    category(f->s, "E0101", "wuye", "2h");
    category(f->s, "C0201", "zhujian", "1d");
    rule(f->s, "", "", "chengguan");               /* any case anywhere */
    rule(f->s, "", "4101020080", "wuye");          /* any case in a community */
    rule(f->s, "E0504", "", "gongan");             /* a category anywhere */
    rule(f->s, "E0504", "41010200800401", "zhujian"); /* a category in a grid */
    assert_non_null(f->c = catcache_new());
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    catcache_free(f->c);
    store_close(f->s);
    int rc = fx_rmdir(f->dir);
    free(f);
    return rc;
}

static int64_t catalogue_gen(fixture *f)
{
    int64_t a = -1, c = -1;
    assert_int_equal(store_generations(f->s, &a, &c), WG_OK);
    return c;
}

static int64_t actor_gen(fixture *f)
{
    int64_t a = -1, c = -1;
    assert_int_equal(store_generations(f->s, &a, &c), WG_OK);
    return a;
}

/* Every change to categories and routing rules moves the catalogue
 * generation, and nothing else does; the actor generation stays. */
static void test_generation_moves(void **state)
{
    fixture *f = *state;
    int64_t g = catalogue_gen(f), a = actor_gen(f);
    category(f->s, "E0999", "wuye", "1h");
    assert_true(catalogue_gen(f) > g);
    g = catalogue_gen(f);
    category(f->s, "E0999", "gongan", "1h"); /* changed */
    assert_true(catalogue_gen(f) > g);
    g = catalogue_gen(f);
    int64_t id = rule(f->s, "E0999", "41", "wuye");
    assert_true(catalogue_gen(f) > g);
    g = catalogue_gen(f);
    assert_int_equal(store_route_delete(f->s, id), WG_OK);
    assert_true(catalogue_gen(f) > g);
    g = catalogue_gen(f);
    department(f->s, "shichang"); /* not the catalogue */
    assert_int_equal(catalogue_gen(f), g);
    assert_int_equal(actor_gen(f), a);
}

/* Categories by code, as the store has them. */
static void test_category(void **state)
{
    fixture *f = *state;
    const catsnap *k = catcache_acquire(f->c, f->s, catalogue_gen(f));
    assert_non_null(k);
    store_category got, want;
    const char *codes[] = {"E0504", "E0101", "C0201"};
    for (size_t i = 0; i < 3; i++) {
        assert_true(catsnap_category(k, codes[i], &got));
        assert_int_equal(store_category_get(f->s, codes[i], &want), WG_OK);
        assert_memory_equal(&got, &want, sizeof(got));
    }
    assert_false(catsnap_category(k, "E0000", &got));
    assert_false(catsnap_category(k, "", &got));
    assert_false(catsnap_category(k, "E0504E0504E0504E0504", &got)); /* too long */
    catcache_release(f->c, k);
}

static wg_err keep_id(void *ctx, const store_route_rule *r)
{
    int64_t *ids = ctx;
    ids[++ids[0]] = r->id;
    return WG_OK;
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The rules that match a case are those the store's query gives, for
 * categories with and without rules of their own, grids inside and outside
 * the prefixes, and a grid shorter than a prefix. */
static void test_routes_as_the_store(void **state)
{
    fixture *f = *state;
    const catsnap *k = catcache_acquire(f->c, f->s, catalogue_gen(f));
    assert_non_null(k);
    const char *cats[] = {"E0504", "E0101", "C0201", "E0000"};
    const char *grids[] = {"4101020080040101", "41010200800401", "4101020080", "410102008",
                           "4101020090010101", ""};
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 6; j++) {
            int64_t mem[16] = {0}, sql[16] = {0};
            assert_int_equal(catsnap_routes(k, cats[i], grids[j], keep_id, mem), WG_OK);
            assert_int_equal(store_route_matching(f->s, cats[i], grids[j], keep_id, sql), WG_OK);
            assert_int_equal(mem[0], sql[0]);
            qsort(mem + 1, (size_t)mem[0], sizeof(int64_t), by_value);
            qsort(sql + 1, (size_t)sql[0], sizeof(int64_t), by_value);
            assert_memory_equal(mem, sql, sizeof(mem));
        }
    /* The most specific grid: all four rules match E0504 there. */
    int64_t ids[16] = {0};
    assert_int_equal(catsnap_routes(k, "E0504", "4101020080040101", keep_id, ids), WG_OK);
    assert_int_equal(ids[0], 4);
    catcache_release(f->c, k);
}

/* One load serves while the generation stands; a change loads once more,
 * and a snapshot held from before stays readable until released. */
static void test_reuse_and_reload(void **state)
{
    fixture *f = *state;
    int64_t g = catalogue_gen(f);
    const catsnap *a = catcache_acquire(f->c, f->s, g);
    const catsnap *b = catcache_acquire(f->c, f->s, g);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_int_equal(catcache_loads(f->c), 1);
    category(f->s, "E0101", "gongan", "4h");
    const catsnap *c = catcache_acquire(f->c, f->s, catalogue_gen(f));
    assert_non_null(c);
    assert_ptr_not_equal(c, a);
    assert_int_equal(catcache_loads(f->c), 2);
    store_category k;
    assert_true(catsnap_category(c, "E0101", &k));
    assert_string_equal(k.department, "gongan");
    assert_true(catsnap_category(a, "E0101", &k)); /* the old one, still held */
    assert_string_equal(k.department, "wuye");
    catcache_release(f->c, a);
    catcache_release(f->c, b);
    const catsnap *d = catcache_acquire(f->c, f->s, catalogue_gen(f));
    assert_ptr_equal(d, c);
    assert_int_equal(catcache_loads(f->c), 2);
    catcache_release(f->c, c);
    catcache_release(f->c, d);
}

int main(void)
{
    log_set_level(LOG_WARN);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_generation_moves),
        T(test_category),
        T(test_routes_as_the_store),
        T(test_reuse_and_reload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
