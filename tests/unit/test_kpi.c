#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/kpi.h"

#define DAY 86400
#define OFF 480 /* UTC+8 */
/* 2024-01-31 00:00 +08:00: a leap year, the last day of a month. */
#define JAN31 1706630400

static store_case_contrib one(int64_t id, int64_t at, const char *grid, const char *dept)
{
    store_case_contrib c;
    memset(&c, 0, sizeof(c));
    c.sign = 1;
    c.case_id = id;
    c.counted = true;
    c.reported_at = at;
    snprintf(c.grid, sizeof(c.grid), "%s", grid);
    snprintf(c.grid_l1, sizeof(c.grid_l1), "%.9s", grid);
    snprintf(c.grid_l2, sizeof(c.grid_l2), "%.14s", grid);
    snprintf(c.grid_l3, sizeof(c.grid_l3), "%.16s", grid);
    snprintf(c.department, sizeof(c.department), "%s", dept);
    snprintf(c.category, sizeof(c.category), "E0101");
    snprintf(c.reporter_login, sizeof(c.reporter_login), "m");
    c.v[CONTRIB_FILED] = 1;
    return c;
}

typedef struct {
    int n;
    store_case_stats rows[8];
} got;

static wg_err keep(void *ctx, const store_case_stats *r)
{
    got *g = ctx;
    if (g->n < 8)
        g->rows[g->n++] = *r;
    return WG_OK;
}

static got ask(kpi *k, const char *group, const char *prefix, int64_t from, int64_t to,
               int64_t now, bool *answered)
{
    got g = {0};
    assert_int_equal(kpi_query(k, group, prefix, from, to, now, answered, keep, &g), WG_OK);
    return g;
}

/* Cases on days either side of month ends: every period sums exactly the
 * cases reported in it, whole months or loose days alike. */
static void test_periods_across_months(void **state)
{
    (void)state;
    kpi *k = NULL;
    assert_int_equal(kpi_new(OFF, &k), WG_OK);
    /* one case a day from 2024-01-01 to 2024-03-31 (91 days), 23:59 local */
    int64_t jan1 = JAN31 - 30 * DAY;
    for (int i = 0; i < 91; i++) {
        store_case_contrib c = one(i + 1, jan1 + i * DAY + DAY - 60, "410102008004010101", "a");
        assert_int_equal(kpi_apply(k, &c), WG_OK);
    }
    bool ok;
    struct {
        int from, to; /* days after 2024-01-01 */
    } p[] = {{0, 91}, {0, 31}, {31, 60}, {30, 31}, {29, 62}, {15, 75}, {60, 91}, {90, 200}, {-5, 1}};
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
        got g = ask(k, "", "", jan1 + p[i].from * DAY, jan1 + p[i].to * DAY, jan1 + 400 * DAY, &ok);
        assert_true(ok);
        int lo = p[i].from < 0 ? 0 : p[i].from, hi = p[i].to > 91 ? 91 : p[i].to;
        assert_int_equal(g.n, 1);
        assert_int_equal(g.rows[0].reported, hi - lo);
        assert_int_equal(g.rows[0].filed, hi - lo);
    }
    /* not on local midnight: the counters do not answer */
    ask(k, "", "", jan1 + 3600, jan1 + 10 * DAY, jan1, &ok);
    assert_false(ok);
    kpi_free(k);
}

/* Taking a contribution away undoes it; groups are sorted; a grid scope
 * answers inside it, and gives way to SQL where it cuts a group. */
static void test_groups_signs_and_scope(void **state)
{
    (void)state;
    kpi *k = NULL;
    assert_int_equal(kpi_new(OFF, &k), WG_OK);
    store_case_contrib a = one(1, JAN31, "410102008004010101", "b-dept");
    store_case_contrib b = one(2, JAN31, "410102008005010101", "a-dept");
    store_case_contrib c = one(3, JAN31, "410102008005010102", "a-dept");
    assert_int_equal(kpi_apply(k, &a), WG_OK);
    assert_int_equal(kpi_apply(k, &b), WG_OK);
    assert_int_equal(kpi_apply(k, &c), WG_OK);
    c.sign = -1; /* c changes: the old version goes, the new one comes */
    assert_int_equal(kpi_apply(k, &c), WG_OK);
    c.sign = 1;
    c.v[CONTRIB_CLOSED] = 1;
    assert_int_equal(kpi_apply(k, &c), WG_OK);
    assert_int_equal(kpi_cases(k), 3);
    bool ok;
    got g = ask(k, "department", "", JAN31, JAN31 + DAY, JAN31 + DAY, &ok);
    assert_true(ok);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.rows[0].key, "a-dept");
    assert_int_equal(g.rows[0].reported, 2);
    assert_int_equal(g.rows[0].closed, 1);
    assert_string_equal(g.rows[1].key, "b-dept");
    g = ask(k, "grid_l2", "410102008005", JAN31, JAN31 + DAY, JAN31 + DAY, &ok);
    assert_true(ok);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.rows[0].key, "41010200800501");
    g = ask(k, "", "41010200800501", JAN31, JAN31 + DAY, JAN31 + DAY, &ok);
    assert_true(ok);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.rows[0].key, "");
    assert_int_equal(g.rows[0].reported, 2);
    /* an l3 scope cuts through l2 groups; departments are not scoped */
    ask(k, "grid_l2", "4101020080050101", JAN31, JAN31 + DAY, JAN31, &ok);
    assert_false(ok);
    ask(k, "department", "410102008005", JAN31, JAN31 + DAY, JAN31, &ok);
    assert_false(ok);
    /* merged or not filed: counted for nothing */
    store_case_contrib m = one(4, JAN31, "410102008005010101", "a-dept");
    m.counted = false;
    assert_int_equal(kpi_apply(k, &m), WG_OK);
    assert_int_equal(kpi_cases(k), 3);
    kpi_free(k);
}

/* due = closed, or open past the disposal deadline by min(to, now). */
static void test_due_depends_on_time(void **state)
{
    (void)state;
    kpi *k = NULL;
    assert_int_equal(kpi_new(OFF, &k), WG_OK);
    store_case_contrib a = one(1, JAN31, "410102008004010101", "d");
    a.open_due = JAN31 + 2 * DAY;
    assert_int_equal(kpi_apply(k, &a), WG_OK);
    bool ok;
    got g = ask(k, "", "", JAN31, JAN31 + 10 * DAY, JAN31 + DAY, &ok);
    assert_int_equal(g.rows[0].due, 0); /* not yet */
    g = ask(k, "", "", JAN31, JAN31 + 10 * DAY, JAN31 + 3 * DAY, &ok);
    assert_int_equal(g.rows[0].due, 1); /* past it */
    g = ask(k, "", "", JAN31, JAN31 + DAY, JAN31 + 3 * DAY, &ok);
    assert_int_equal(g.rows[0].due, 0); /* the period ended before it */
    /* closed: the open entry goes, closed counts */
    a.sign = -1;
    assert_int_equal(kpi_apply(k, &a), WG_OK);
    a.sign = 1;
    a.open_due = 0;
    a.v[CONTRIB_CLOSED] = 1;
    assert_int_equal(kpi_apply(k, &a), WG_OK);
    g = ask(k, "", "", JAN31, JAN31 + 10 * DAY, JAN31 + 3 * DAY, &ok);
    assert_int_equal(g.rows[0].due, 1);
    assert_int_equal(g.rows[0].closed, 1);
    kpi_free(k);
}

/* Cases that open and close again and again: the table of open cases
 * holds the open ones, it does not grow with every case ever open. */
static void test_open_cases_do_not_pile_up(void **state)
{
    (void)state;
    kpi *k = NULL;
    assert_int_equal(kpi_new(OFF, &k), WG_OK);
    size_t first = 0;
    int64_t id = 1;
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 2000; i++, id++) {
            store_case_contrib c = one(id, JAN31, "410102008004010101", "d");
            c.open_due = JAN31 + DAY;
            assert_int_equal(kpi_apply(k, &c), WG_OK);
            c.sign = -1;
            assert_int_equal(kpi_apply(k, &c), WG_OK);
            c.sign = 1;
            c.open_due = 0;
            c.v[CONTRIB_CLOSED] = 1;
            assert_int_equal(kpi_apply(k, &c), WG_OK);
        }
        if (round == 0)
            first = kpi_bytes(k);
    }
    assert_true(kpi_bytes(k) < first * 2);
    bool ok;
    got g = ask(k, "", "", JAN31, JAN31 + DAY, JAN31 + 2 * DAY, &ok);
    assert_int_equal(g.rows[0].reported, 80000);
    assert_int_equal(g.rows[0].due, 80000); /* all closed */
    kpi_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods_across_months),
        cmocka_unit_test(test_groups_signs_and_scope),
        cmocka_unit_test(test_due_depends_on_time),
        cmocka_unit_test(test_open_cases_do_not_pile_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
