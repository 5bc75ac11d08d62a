/* test_nearidx.c - the in-memory cases of the duplicate window: lookups
 * against a brute-force model, versions, the window, and reloads when
 * another process writes cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nearidx.h"
#include "fixture.h"

#define WINDOW (72 * 3600)
#define T0 1700000000

static store_case a_case(int64_t id, const char *cat, double lon, double lat, int64_t at,
                         const char *status, int64_t version)
{
    store_case c;
    memset(&c, 0, sizeof(c));
    c.id = id;
    c.has_point = true;
    c.lon = lon;
    c.lat = lat;
    c.reported_at = at;
    c.updated_at = at;
    c.version = version;
    snprintf(c.category, sizeof(c.category), "%s", cat);
    snprintf(c.status, sizeof(c.status), "%s", status);
    snprintf(c.description, sizeof(c.description), "case %lld", (long long)id);
    return c;
}

typedef struct {
    int64_t ids[4096];
    size_t n, want; /* want: stop after so many (0: all) */
} ids;

static bool collect(void *ctx, const nearidx_row *r)
{
    ids *g = ctx;
    if (g->n < 4096)
        g->ids[g->n++] = r->id;
    return g->n != g->want;
}

/* The first `want` only. */
static ids first(nearidx *x, const char *cat, int64_t since, int64_t below, double lon0,
                 double lat0, double lon1, double lat1, size_t want)
{
    ids g = {.want = want};
    nearidx_each(x, cat, since, below, lon0, lat0, lon1, lat1, collect, &g);
    return g;
}

static ids each(nearidx *x, const char *cat, int64_t since, int64_t below, double lon0,
                double lat0, double lon1, double lat1)
{
    ids g = {0};
    nearidx_each(x, cat, since, below, lon0, lat0, lon1, lat1, collect, &g);
    return g;
}

static bool is_open(const char *s)
{
    return strcmp(s, "closed") && strcmp(s, "not_filed") && strcmp(s, "merged");
}

static double rnd(unsigned *seed, double lo, double hi)
{
    return lo + (hi - lo) * (rand_r(seed) / (double)RAND_MAX);
}

/* 6,000 cases over three categories in a small box, reported over ten
 * days (so the window moves on and rebuilds drop the old), a third of them
 * changed later; every lookup answers exactly what a scan of the model
 * does, newest first. */
static void test_matches_a_scan(void **state)
{
    (void)state;
    enum { N = 6000 };
    static store_case model[N];
    const char *cats[] = {"E0101", "E0504", "C0201"};
    const char *statuses[] = {"reported", "dispatched", "closed", "not_filed", "merged"};
    unsigned seed = 7;
    nearidx *x = nearidx_new(50, WINDOW);
    assert_non_null(x);
    int64_t now = T0;
    for (int i = 0; i < N; i++) {
        now += 144; /* ten days over N cases */
        model[i] = a_case(i + 1, cats[rand_r(&seed) % 3], rnd(&seed, 113.60, 113.62),
                          rnd(&seed, 34.70, 34.72), now, "reported", 1);
        nearidx_put(x, &model[i]);
        if (i > 10 && rand_r(&seed) % 3 == 0) { /* a change to an earlier case */
            store_case *c = &model[rand_r(&seed) % (unsigned)i];
            c->version++;
            c->updated_at = now;
            snprintf(c->status, sizeof(c->status), "%s", statuses[rand_r(&seed) % 5]);
            nearidx_put(x, c);
        }
        if (i % 50 != 0)
            continue;
        double lon = rnd(&seed, 113.60, 113.62), lat = rnd(&seed, 34.70, 34.72);
        double r = rnd(&seed, 0.0001, 0.003);
        const char *cat = cats[rand_r(&seed) % 3];
        int64_t below = rand_r(&seed) % 4 ? INT64_MAX : i / 2 + 1;
        ids got = each(x, cat, now - WINDOW, below, lon - r, lat - r, lon + r, lat + r);
        ids want = {0};
        for (int k = i; k >= 0; k--) {
            const store_case *c = &model[k];
            if (!strcmp(c->category, cat) && c->reported_at >= now - WINDOW && c->id < below &&
                c->lon >= lon - r && c->lon <= lon + r && c->lat >= lat - r &&
                c->lat <= lat + r && is_open(c->status))
                want.ids[want.n++] = c->id;
        }
        assert_int_equal(got.n, want.n);
        for (size_t k = 0; k < got.n; k++)
            assert_int_equal(got.ids[k], want.ids[k]);
        /* Asked for three: the newest three. */
        got = first(x, cat, now - WINDOW, below, lon - r, lat - r, lon + r, lat + r, 3);
        assert_int_equal(got.n, want.n < 3 ? want.n : 3);
        for (size_t k = 0; k < got.n; k++)
            assert_int_equal(got.ids[k], want.ids[k]);
    }
    /* Ten days of cases went in, three days' are kept. */
    size_t held = nearidx_count(x);
    if (held > N * 4 / 10)
        fail_msg("%zu cases held; three days of ten are about %d", held, N * 3 / 10);
    nearidx_free(x);
}

/* New cases told out of order (the commits of one batch are): still
 * newest first, through a rebuild too. */
static void test_cases_out_of_order(void **state)
{
    (void)state;
    enum { N = 300 };
    int64_t order[N];
    for (int i = 0; i < N; i++)
        order[i] = i + 1;
    unsigned seed = 3;
    for (int i = N - 1; i > 0; i--) {
        int j = (int)(rand_r(&seed) % (unsigned)(i + 1));
        int64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    nearidx *x = nearidx_new(50, WINDOW);
    for (int i = 0; i < N; i++) {
        store_case c = a_case(order[i], "E0504", 113.6 + (order[i] % 3) * 1e-4, 34.7, T0,
                              "reported", 1);
        nearidx_put(x, &c);
    }
    ids g = each(x, "E0504", 0, INT64_MAX, 113.5995, 34.6995, 113.6005, 34.7005);
    assert_int_equal(g.n, N);
    for (int i = 0; i < N; i++)
        assert_int_equal(g.ids[i], N - i);
    g = first(x, "E0504", 0, 101, 113.5995, 34.6995, 113.6005, 34.7005, 5);
    assert_int_equal(g.n, 5);
    assert_int_equal(g.ids[0], 100);
    assert_int_equal(g.ids[4], 96);
    nearidx_free(x);
}

/* Changes told out of order: an older version never undoes a newer. */
static void test_versions(void **state)
{
    (void)state;
    nearidx *x = nearidx_new(50, WINDOW);
    store_case v1 = a_case(1, "E0504", 113.6, 34.7, T0, "reported", 1);
    store_case v2 = v1, v3 = v1;
    snprintf(v2.status, sizeof(v2.status), "closed");
    v2.version = 2;
    nearidx_put(x, &v2); /* the close is heard first */
    nearidx_put(x, &v1);
    assert_int_equal(each(x, "E0504", 0, INT64_MAX, 113.5, 34.6, 113.7, 34.8).n, 0);
    snprintf(v3.status, sizeof(v3.status), "reported"); /* reopened */
    v3.version = 3;
    nearidx_put(x, &v3);
    nearidx_put(x, &v2);
    ids g = each(x, "E0504", 0, INT64_MAX, 113.5, 34.6, 113.7, 34.8);
    assert_int_equal(g.n, 1);
    /* Another category, a box beside it, a case after `below`: nothing. */
    assert_int_equal(each(x, "E0101", 0, INT64_MAX, 113.5, 34.6, 113.7, 34.8).n, 0);
    assert_int_equal(each(x, "E0504", 0, INT64_MAX, 113.61, 34.6, 113.7, 34.8).n, 0);
    assert_int_equal(each(x, "E0504", 0, 1, 113.5, 34.6, 113.7, 34.8).n, 0);
    /* A box of no size, or NaN: nothing, no crash. */
    assert_int_equal(each(x, "E0504", 0, INT64_MAX, 113.7, 34.6, 113.5, 34.8).n, 0);
    assert_int_equal(each(x, "E0504", 0, INT64_MAX, 0.0 / 0.0, 34.6, 113.5, 34.8).n, 0);
    /* A box much larger than a cell is answered too (by a scan). */
    assert_int_equal(each(x, "E0504", 0, INT64_MAX, -180, -90, 180, 90).n, 1);
    nearidx_free(x);
}

typedef struct {
    char summary[400];
} first_row;

static bool keep_first(void *ctx, const nearidx_row *r)
{
    snprintf(((first_row *)ctx)->summary, sizeof(((first_row *)ctx)->summary), "%s", r->summary);
    return false;
}

/* The summary is the description's first 80 characters, as SQLite's
 * substr counts them (not bytes). */
static void test_summary(void **state)
{
    (void)state;
    nearidx *x = nearidx_new(50, WINDOW);
    store_case c = a_case(1, "E0504", 113.6, 34.7, T0, "reported", 1);
    c.description[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(c.description, i % 2 ? "垃" : "a");
    nearidx_put(x, &c);
    first_row r = {{0}};
    nearidx_each(x, "E0504", 0, INT64_MAX, 113.5, 34.6, 113.7, 34.8, keep_first, &r);
    assert_int_equal(strlen(r.summary), 40 * 1 + 40 * 3);
    assert_memory_equal(r.summary, c.description, strlen(r.summary));
    nearidx_free(x);
}

/* From the store: loaded at start; a case written by another process (a
 * connection outside a server's pool moves the case generation) is seen
 * at the next refresh one second on, not before. */
static void test_reload_on_outside_write(void **state)
{
    (void)state;
    char dir[256];
    fx_tmpdir(dir, sizeof(dir), "nearidx");
    store *s = fx_store(dir, "n.db");
    store_category k;
    memset(&k, 0, sizeof(k));
    snprintf(k.code, sizeof(k.code), "E0504");
    snprintf(k.kind, sizeof(k.kind), "event");
    snprintf(k.major, sizeof(k.major), "05");
    snprintf(k.minor, sizeof(k.minor), "04");
    snprintf(k.name_zh, sizeof(k.name_zh), "暴露垃圾");
    snprintf(k.name_en, sizeof(k.name_en), "Exposed rubbish");
    snprintf(k.department, sizeof(k.department), "cgj");
    for (int i = 0; i < 5; i++)
        snprintf(k.limit[i], sizeof(k.limit[i]), "1d");
    k.urgent_percent = 25;
    assert_int_equal(store_category_put(s, &k), WG_OK);
    int64_t g0, g1;
    assert_int_equal(store_case_generation(s, &g0), WG_OK);
    store_case a = a_case(0, "E0504", 113.6, 34.7, T0, "reported", 1);
    snprintf(a.grid, sizeof(a.grid), "410102008001");
    snprintf(a.urgency, sizeof(a.urgency), "normal");
    snprintf(a.source, sizeof(a.source), "citizen");
    assert_int_equal(store_case_insert(s, &a), WG_OK);
    assert_int_equal(store_case_generation(s, &g1), WG_OK);
    assert_int_equal(g1, g0 + 1);
    /* Reported before the window: not loaded. */
    store_case old = a;
    old.reported_at = T0 - WINDOW - 1;
    assert_int_equal(store_case_insert(s, &old), WG_OK);

    nearidx *x = nearidx_new(50, WINDOW);
    assert_int_equal(nearidx_load(x, s, T0 + 10), WG_OK);
    assert_int_equal(nearidx_count(x), 1);
    ids g = each(x, "E0504", 0, INT64_MAX, 113.5, 34.6, 113.7, 34.8);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.ids[0], a.id);

    store_case b = a;
    b.reported_at = T0 + 5;
    assert_int_equal(store_case_insert(s, &b), WG_OK);
    assert_int_equal(nearidx_refresh(x, s, T0 + 10), WG_OK); /* the same second */
    assert_int_equal(nearidx_count(x), 1);
    assert_int_equal(nearidx_refresh(x, s, T0 + 11), WG_OK);
    assert_int_equal(nearidx_count(x), 2);
    /* Closed by the other process: gone from the answers at the next look. */
    snprintf(b.status, sizeof(b.status), "closed");
    b.updated_at = T0 + 12;
    assert_int_equal(store_case_update(s, &b), WG_OK);
    assert_int_equal(nearidx_refresh(x, s, T0 + 12), WG_OK);
    g = each(x, "E0504", 0, INT64_MAX, 113.5, 34.6, 113.7, 34.8);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.ids[0], a.id);
    /* Nothing moved: no reload (a put since stays). */
    store_case c = a_case(99, "E0504", 113.6, 34.7, T0 + 13, "reported", 1);
    nearidx_put(x, &c);
    assert_int_equal(nearidx_refresh(x, s, T0 + 14), WG_OK);
    assert_int_equal(nearidx_count(x), 3);
#ifdef WG_FAULT_INJECTION
    /* A reload that fails holds nothing, and is tried again a second on. */
    store_case d = a;
    d.reported_at = T0 + 15;
    assert_int_equal(store_case_insert(s, &d), WG_OK);
    setenv("WANGGE_FAULTS", "nearidx_load", 1);
    assert_int_not_equal(nearidx_refresh(x, s, T0 + 15), WG_OK);
    assert_int_equal(nearidx_count(x), 0);
    unsetenv("WANGGE_FAULTS");
    assert_int_equal(nearidx_refresh(x, s, T0 + 15), WG_OK); /* the same second */
    assert_int_equal(nearidx_count(x), 0);
    assert_int_equal(nearidx_refresh(x, s, T0 + 16), WG_OK);
    assert_int_equal(nearidx_count(x), 3); /* a, b (closed) and d */
#endif
    nearidx_free(x);
    store_close(s);
    assert_int_equal(fx_rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_a_scan),
        cmocka_unit_test(test_cases_out_of_order),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_reload_on_outside_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
