#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "core/config.h"
#include "core/grids.h"
#include "geo/shape.h"
#include "store/store.h"

#define L1 "410102008"
#define L2W "41010200800401"
#define L2E "41010200800402"
#define DED "41010200890001"

typedef struct {
    char dir[64];
    store *s;
    grid_policy pol;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    fx_tmpdir(f->dir, sizeof(f->dir), "grids");
    f->s = fx_store(f->dir, "t.db");
    f->pol = (grid_policy){.outside_is_error = true,
                           .overlap_is_error = true,
                           .gap_is_error = false,
                           .tolerance_m2 = 1.0};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    store_close(f->s);
    int rc = fx_rmdir(f->dir);
    free(f);
    return rc;
}

/* m² of a lon/lat box of dx by dy degrees around latitude lat (WGS84 radii
 * of curvature). */
static double box_m2(double dx, double dy, double lat)
{
    const double a = 6378137.0, e2 = 0.00669437999014;
    double s = sin(lat * M_PI / 180.0), w = sqrt(1 - e2 * s * s);
    double mlat = a * (1 - e2) / (w * w * w) * M_PI / 180.0;
    double mlon = a / w * cos(lat * M_PI / 180.0) * M_PI / 180.0;
    return dx * mlon * dy * mlat;
}

static json_t *box(double x0, double y0, double x1, double y1)
{
    json_t *j = json_pack("{s:s, s:[[[f,f],[f,f],[f,f],[f,f],[f,f]]]}", "type", "Polygon",
                          "coordinates", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
    assert_non_null(j);
    return j;
}

static json_t *bowtie(void)
{
    json_error_t je;
    json_t *j = json_loads("{\"type\":\"Polygon\",\"coordinates\":[[[113.601,34.701],"
                           "[113.604,34.704],[113.604,34.701],[113.601,34.704],"
                           "[113.601,34.701]]]}",
                           0, &je);
    assert_non_null(j);
    return j;
}

static void near_rel(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%s: got %.3f, want %.3f within %.3f%%", what, got, want, rel * 100);
}

/* Save a grid in its own transaction; takes the geometry reference. rep is
 * emptied first; the caller frees it. */
static wg_err save(fixture *f, const grid_policy *p, const char *code, const char *level,
                   const char *parent, json_t *geom, bool create, grid_report *rep, wg_why *why)
{
    grid_input in = {.code = code,
                     .name = code,
                     .level = level,
                     .parent = parent,
                     .kind = "",
                     .households = 10,
                     .geometry = geom};
    memset(rep, 0, sizeof(*rep));
    memset(why, 0, sizeof(*why));
    assert_int_equal(store_begin(f->s), WG_OK);
    wg_err e = grids_save(f->s, p ? p : &f->pol, &in, create, rep, why);
    if (e)
        store_rollback(f->s);
    else
        assert_int_equal(store_commit(f->s), WG_OK);
    json_decref(geom);
    return e;
}

/* Save that must succeed without issues. */
static void save_ok(fixture *f, const char *code, const char *level, const char *parent,
                    json_t *geom)
{
    grid_report rep;
    wg_why why;
    wg_err e = save(f, NULL, code, level, parent, geom, true, &rep, &why);
    if (e != WG_OK || rep.n != 0)
        fail_msg("saving %s: %d (%s), %d issue(s): %s", code, (int)e, why.msg, rep.n,
                 rep.n ? rep.items[0].msg : "");
    grids_report_free(&rep);
}

/* l1 and its two halves, west and east. */
static void tree(fixture *f, bool with_east)
{
    save_ok(f, L1, "l1", NULL, box(113.60, 34.70, 113.61, 34.71));
    save_ok(f, L2W, "l2", L1, box(113.60, 34.70, 113.605, 34.71));
    if (with_east)
        save_ok(f, L2E, "l2", L1, box(113.605, 34.70, 113.61, 34.71));
}

static bool exists(fixture *f, const char *code)
{
    store_grid g;
    wg_err e = store_grid_get(f->s, code, false, &g);
    assert_true(e == WG_OK || e == WG_ERR_NOT_FOUND);
    return e == WG_OK;
}

static void test_levels(void **state)
{
    (void)state;
    static const char *names[GRID_LEVELS] = {"l1", "l2", "l3", "micro", "dedicated"};
    static const grid_level parents[GRID_LEVELS] = {GRID_LEVELS, GRID_L1, GRID_L2, GRID_L3,
                                                    GRID_L1};
    for (int i = 0; i < GRID_LEVELS; i++) {
        grid_level lv = GRID_LEVELS;
        assert_true(grids_level_parse(names[i], &lv));
        assert_int_equal(lv, i);
        assert_string_equal(grids_level_name((grid_level)i), names[i]);
        assert_int_equal(grids_parent_level((grid_level)i), parents[i]);
        const char *zh = grids_level_zh((grid_level)i);
        assert_non_null(zh);
        assert_true(strlen(zh) > 0 && strcmp(zh, "?") != 0);
        assert_non_null(strstr(zh, "网格"));
    }
    assert_string_equal(grids_level_zh(GRID_L1), "一级网格");
    assert_string_equal(grids_level_zh(GRID_MICRO), "微网格");
    assert_string_equal(grids_level_zh(GRID_DEDICATED), "专属网格");
    static const char *bad[] = {"", "L1", "l4", "micro ", " l2", "dedicate", "level1", "网格"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        grid_level lv = GRID_L3;
        if (grids_level_parse(bad[i], &lv))
            fail_msg("parsed level '%s'", bad[i]);
        assert_int_equal(lv, GRID_L3);
    }
    grid_level lv = GRID_L3;
    assert_false(grids_level_parse(NULL, &lv));
    assert_string_equal(grids_level_name(GRID_LEVELS), "?");
    assert_string_equal(grids_level_zh(GRID_LEVELS), "?");
    assert_int_equal(grids_parent_level(GRID_LEVELS), GRID_LEVELS);
}

static void test_code_ok(void **state)
{
    (void)state;
    static const struct {
        const char *code;
        grid_level lv;
        const char *parent;
        bool ok;
    } cases[] = {
        /* l1: nine digits, no parent needed */
        {"410102008", GRID_L1, NULL, true},
        {"410102008", GRID_L1, "", true},
        {"000000001", GRID_L1, NULL, true},
        {"41010200", GRID_L1, NULL, false},
        {"4101020081", GRID_L1, NULL, false},
        {"41010200a", GRID_L1, NULL, false},
        {"", GRID_L1, NULL, false},
        {" 41010200", GRID_L1, NULL, false},
        {"４10102008", GRID_L1, NULL, false},
        /* l2: l1 + community 001-399 + seq 01-99 */
        {"41010200800401", GRID_L2, L1, true},
        {"41010200800101", GRID_L2, L1, true},
        {"41010200839999", GRID_L2, L1, true},
        {"41010200800001", GRID_L2, L1, false}, /* community 000 */
        {"41010200840001", GRID_L2, L1, false}, /* community 400 */
        {"41010200890001", GRID_L2, L1, false}, /* community 900: dedicated */
        {"41010200800400", GRID_L2, L1, false}, /* seq 00 */
        {"41010200900401", GRID_L2, L1, false}, /* another l1 */
        {"41010200800401", GRID_L2, "410102009", false},
        {"41010200800401", GRID_L2, NULL, false},
        {"41010200800401", GRID_L2, "", false},
        {"41010200800401", GRID_L2, "41010200", false}, /* parent too short */
        {"4101020080040", GRID_L2, L1, false},
        {"410102008004011", GRID_L2, L1, false},
        {"4101020080040x", GRID_L2, L1, false},
        /* l3: l2 + 01-99 */
        {"4101020080040101", GRID_L3, L2W, true},
        {"4101020080040199", GRID_L3, L2W, true},
        {"4101020080040100", GRID_L3, L2W, false},
        {"4101020080040201", GRID_L3, L2W, false},
        {"4101020080040101", GRID_L3, L1, false},
        {"410102008004010", GRID_L3, L2W, false},
        /* micro: l3 + 01-99 */
        {"410102008004010101", GRID_MICRO, "4101020080040101", true},
        {"410102008004010199", GRID_MICRO, "4101020080040101", true},
        {"410102008004010100", GRID_MICRO, "4101020080040101", false},
        {"410102008004010201", GRID_MICRO, "4101020080040101", false},
        {"41010200800401010", GRID_MICRO, "4101020080040101", false},
        {"410102008004010101", GRID_MICRO, L2W, false},
        /* dedicated: l1 + 9 + 0001-9999 */
        {"41010200890001", GRID_DEDICATED, L1, true},
        {"41010200899999", GRID_DEDICATED, L1, true},
        {"41010200890000", GRID_DEDICATED, L1, false}, /* seq 0000 */
        {"41010200800401", GRID_DEDICATED, L1, false}, /* no 9 */
        {"41010200880001", GRID_DEDICATED, L1, false},
        {"41010200990001", GRID_DEDICATED, L1, false}, /* another l1 */
        {"4101020089001", GRID_DEDICATED, L1, false},
        {"41010200890001", GRID_DEDICATED, NULL, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        wg_why why;
        memset(&why, 0, sizeof(why));
        bool ok = grids_code_ok(cases[i].code, cases[i].lv, cases[i].parent, &why);
        if (ok != cases[i].ok)
            fail_msg("case %zu: %s %s (parent %s): got %d, want %d (%s)", i, cases[i].code,
                     grids_level_name(cases[i].lv), cases[i].parent ? cases[i].parent : "NULL", ok,
                     cases[i].ok, why.msg);
        if (!ok) {
            assert_non_null(why.field);
            assert_string_equal(why.field, "code");
            assert_true(why.msg[0] != '\0');
        }
    }
    /* The messages say what is wrong. */
    wg_why why;
    assert_false(grids_code_ok("4101", GRID_L3, L2W, &why));
    assert_non_null(strstr(why.msg, "16 digits"));
    assert_false(grids_code_ok("41010200900401", GRID_L2, L1, &why));
    assert_non_null(strstr(why.msg, "extend"));
    assert_false(grids_code_ok("41010200840001", GRID_L2, L1, &why));
    assert_non_null(strstr(why.msg, "41010200840001"));
}

static void test_policy(void **state)
{
    (void)state;
    wg_config c;
    config_defaults(&c);
    grid_policy p = grids_policy(&c);
    assert_true(p.outside_is_error);
    assert_true(p.overlap_is_error);
    assert_false(p.gap_is_error);
    assert_true(p.tolerance_m2 == 1.0);
    snprintf(c.grid_gap, sizeof(c.grid_gap), "error");
    snprintf(c.grid_overlap, sizeof(c.grid_overlap), "warning");
    snprintf(c.grid_outside, sizeof(c.grid_outside), "warning");
    c.grid_tolerance_m2 = 25;
    p = grids_policy(&c);
    assert_false(p.outside_is_error);
    assert_false(p.overlap_is_error);
    assert_true(p.gap_is_error);
    assert_true(p.tolerance_m2 == 25.0);
}

static void test_save_tree(void **state)
{
    fixture *f = *state;
    grid_report rep;
    wg_why why;

    save_ok(f, L1, "l1", NULL, box(113.60, 34.70, 113.61, 34.71));
    store_grid g;
    assert_int_equal(store_grid_get(f->s, L1, true, &g), WG_OK);
    assert_string_equal(g.level, "l1");
    assert_string_equal(g.parent, "");
    assert_string_equal(g.division_code, "");
    assert_int_equal(g.households, 10);
    near_rel(g.area_m2, box_m2(0.01, 0.01, 34.705), 1e-3, "l1 area");
    assert_true(g.area_m2 > 1.0e6 && g.area_m2 < 1.03e6);
    assert_true(g.min_lon == 113.60 && g.max_lon == 113.61);
    assert_true(g.min_lat == 34.70 && g.max_lat == 34.71);
    assert_int_equal(strlen(g.created_at), 24);
    assert_string_equal(g.created_at, g.updated_at);
    /* The stored geometry is GeoJSON that reads back to the same box. */
    json_error_t je;
    json_t *gj = json_loads(g.geometry, 0, &je);
    assert_non_null(gj);
    geo_shape *sh = NULL;
    assert_int_equal(geo_shape_from_geojson(gj, &sh, &why), WG_OK);
    geo_bbox bb = geo_shape_bbox(sh);
    assert_true(bb.min_x == 113.60 && bb.max_x == 113.61 && bb.min_y == 34.70 && bb.max_y == 34.71);
    geo_shape_free(sh);
    json_decref(gj);
    free((char *)g.geometry);

    save_ok(f, L2W, "l2", L1, box(113.60, 34.70, 113.605, 34.71));
    assert_int_equal(store_grid_get(f->s, L2W, false, &g), WG_OK);
    assert_string_equal(g.parent, L1);
    near_rel(g.area_m2, box_m2(0.005, 0.01, 34.705), 1e-3, "l2 area");
    assert_true(g.min_lon == 113.60 && g.max_lon == 113.605);

    /* A child reaching 0.002° east of its parent: refused, nothing written. */
    assert_int_equal(
        save(f, NULL, L2E, "l2", L1, box(113.605, 34.70, 113.612, 34.71), true, &rep, &why),
        WG_ERR_INVALID);
    assert_int_equal(rep.errors, 1);
    assert_int_equal(rep.n, 1);
    assert_true(rep.items[0].error);
    assert_string_equal(rep.items[0].check, "outside_parent");
    assert_string_equal(rep.items[0].grid, L2E);
    assert_string_equal(rep.items[0].other, L1);
    near_rel(rep.items[0].area_m2, box_m2(0.002, 0.01, 34.705), 0.01, "outside area");
    assert_string_equal(why.field, "geometry");
    assert_non_null(strstr(why.msg, "outside"));
    assert_false(exists(f, L2E));
    grids_report_free(&rep);

    /* The east half fits. */
    save_ok(f, L2E, "l2", L1, box(113.605, 34.70, 113.61, 34.71));

    /* A sibling inside the west half overlaps it. */
    const char *l2x = "41010200800403";
    assert_int_equal(
        save(f, NULL, l2x, "l2", L1, box(113.601, 34.701, 113.603, 34.703), true, &rep, &why),
        WG_ERR_INVALID);
    assert_int_equal(rep.errors, 1);
    assert_int_equal(rep.n, 1);
    assert_string_equal(rep.items[0].check, "overlap");
    assert_true(rep.items[0].error);
    assert_string_equal(rep.items[0].grid, l2x);
    assert_string_equal(rep.items[0].other, L2W);
    near_rel(rep.items[0].area_m2, box_m2(0.002, 0.002, 34.702), 0.01, "overlap area");
    assert_string_equal(why.field, "geometry");
    assert_false(exists(f, l2x));
    grids_report_free(&rep);

    /* The same code twice. */
    assert_int_equal(
        save(f, NULL, L2W, "l2", L1, box(113.60, 34.70, 113.605, 34.71), true, &rep, &why),
        WG_ERR_CONFLICT);
    assert_string_equal(why.field, "code");
    assert_non_null(strstr(why.msg, L2W));
    grids_report_free(&rep);
    assert_int_equal(
        save(f, NULL, L1, "l1", NULL, box(113.60, 34.70, 113.61, 34.71), true, &rep, &why),
        WG_ERR_CONFLICT);
    grids_report_free(&rep);

    /* A self-intersecting polygon. */
    assert_int_equal(save(f, NULL, "4101020080040101", "l3", L2W, bowtie(), true, &rep, &why),
                     WG_ERR_INVALID);
    assert_true(rep.errors >= 1);
    assert_string_equal(rep.items[0].check, "invalid");
    assert_true(rep.items[0].error);
    assert_string_equal(rep.items[0].grid, "4101020080040101");
    assert_non_null(strstr(rep.items[0].msg, "Self-intersection"));
    assert_string_equal(why.field, "geometry");
    assert_false(exists(f, "4101020080040101"));
    grids_report_free(&rep);

    /* A dedicated grid may lie over the l2s; an l3 cannot hang under it. */
    save_ok(f, DED, "dedicated", L1, box(113.603, 34.703, 113.607, 34.707));
    assert_int_equal(save(f, NULL, "4101020089000101", "l3", DED,
                          box(113.604, 34.704, 113.605, 34.705), true, &rep, &why),
                     WG_ERR_INVALID);
    assert_string_equal(why.field, "parent");
    assert_non_null(strstr(why.msg, "dedicated"));
    assert_false(exists(f, "4101020089000101"));
    grids_report_free(&rep);

    /* Dedicated grids do not overlap one another; nor stick out of the l1. */
    assert_int_equal(save(f, NULL, "41010200890002", "dedicated", L1,
                          box(113.606, 34.706, 113.608, 34.708), true, &rep, &why),
                     WG_ERR_INVALID);
    assert_string_equal(rep.items[0].check, "overlap");
    assert_string_equal(rep.items[0].other, DED);
    grids_report_free(&rep);
    assert_int_equal(save(f, NULL, "41010200890003", "dedicated", L1,
                          box(113.609, 34.709, 113.611, 34.711), true, &rep, &why),
                     WG_ERR_INVALID);
    assert_string_equal(rep.items[0].check, "outside_parent");
    grids_report_free(&rep);
    save_ok(f, "41010200890002", "dedicated", L1, box(113.608, 34.708, 113.609, 34.709));

    /* A parent that does not exist, a level mismatch on the parent. */
    assert_int_equal(save(f, NULL, "4101020080040501", "l3", "41010200800405",
                          box(113.601, 34.701, 113.602, 34.702), true, &rep, &why),
                     WG_ERR_INVALID);
    assert_string_equal(why.field, "parent");
    grids_report_free(&rep);

    /* A MultiPolygon works: two pieces of the west half. */
    json_t *mp = json_pack("{s:s, s:[[[[f,f],[f,f],[f,f],[f,f],[f,f]]], [[[f,f],[f,f],[f,f],"
                           "[f,f],[f,f]]]]}",
                           "type", "MultiPolygon", "coordinates", 113.60, 34.70, 113.601, 34.70,
                           113.601, 34.701, 113.60, 34.701, 113.60, 34.70, 113.602, 34.702, 113.603,
                           34.702, 113.603, 34.703, 113.602, 34.703, 113.602, 34.702);
    assert_non_null(mp);
    save_ok(f, "4101020080040101", "l3", L2W, mp);
    assert_int_equal(store_grid_get(f->s, "4101020080040101", false, &g), WG_OK);
    near_rel(g.area_m2, 2 * box_m2(0.001, 0.001, 34.7015), 1e-3, "multipolygon area");
    assert_true(g.min_lon == 113.60 && g.max_lon == 113.603);
    assert_true(g.min_lat == 34.70 && g.max_lat == 34.703);

    /* The tree as saved is sound (the l3 leaves most of the west half). */
    grid_report tr = {0};
    assert_int_equal(grids_check_tree(f->s, &f->pol, NULL, &tr), WG_OK);
    assert_int_equal(tr.grids, 6);
    assert_int_equal(tr.errors, 0);
    assert_int_equal(tr.warnings, 1);
    assert_string_equal(tr.items[0].check, "gap");
    assert_string_equal(tr.items[0].grid, L2W);
    grids_report_free(&tr);
}

static void test_save_fields(void **state)
{
    fixture *f = *state;
    tree(f, false);
    static const struct {
        const char *code, *name, *level, *parent, *kind, *field;
        int64_t households;
        bool geometry;
    } bad[] = {
        {NULL, "n", "l2", L1, NULL, "code", 0, true},
        {"", "n", "l2", L1, NULL, "code", 0, true},
        {L2E, NULL, "l2", L1, NULL, "name", 0, true},
        {L2E, "", "l2", L1, NULL, "name", 0, true},
        {L2E, "n", NULL, L1, NULL, "level", 0, true},
        {L2E, "n", "l5", L1, NULL, "level", 0, true},
        {L2E, "n", "l2", NULL, NULL, "parent", 0, true},
        {L2E, "n", "l2", "", NULL, "parent", 0, true},
        {"410102009", "n", "l1", L1, NULL, "parent", 0, true},
        {"41010200840001", "n", "l2", L1, NULL, "code", 0, true},
        {"4101020080040101", "n", "l2", L1, NULL, "code", 0, true},
        {L2E, "n", "l2", L1, NULL, "households", -1, true},
        {L2E, "n", "l2", L1, NULL, "households", 1000001, true},
        {L2E, "n", "l2", L1, "abcdefghijklmnopqrstuvwxyz012345", "kind", 0, true},
        {L2E, "n", "l2", L1, NULL, "geometry", 0, false},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        grid_input in = {.code = bad[i].code,
                         .name = bad[i].name,
                         .level = bad[i].level,
                         .parent = bad[i].parent,
                         .kind = bad[i].kind,
                         .households = bad[i].households};
        json_t *geom = bad[i].geometry ? box(113.605, 34.70, 113.61, 34.71) : NULL;
        in.geometry = geom;
        grid_report rep = {0};
        wg_why why;
        memset(&why, 0, sizeof(why));
        wg_err e = grids_save(f->s, &f->pol, &in, true, &rep, &why);
        if (e != WG_ERR_INVALID)
            fail_msg("case %zu: got %d, want WG_ERR_INVALID", i, (int)e);
        if (!why.field || strcmp(why.field, bad[i].field) != 0)
            fail_msg("case %zu: field %s, want %s (%s)", i, why.field ? why.field : "(null)",
                     bad[i].field, why.msg);
        assert_true(why.msg[0] != '\0');
        grids_report_free(&rep);
        json_decref(geom);
    }
    assert_false(exists(f, L2E));
    assert_false(exists(f, "410102009"));

    /* A name of 127 bytes fits; 128 does not. */
    char name[200];
    memset(name, 'n', sizeof(name));
    name[STORE_NAME_MAX] = '\0';
    json_t *geom = box(113.605, 34.70, 113.61, 34.71);
    grid_input in = {.code = L2E, .name = name, .level = "l2", .parent = L1, .geometry = geom};
    grid_report rep = {0};
    wg_why why;
    assert_int_equal(grids_save(f->s, &f->pol, &in, true, &rep, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "name");
    name[STORE_NAME_MAX - 1] = '\0';
    assert_int_equal(grids_save(f->s, &f->pol, &in, true, &rep, &why), WG_OK);
    grids_report_free(&rep);

    /* A division code that is not among the divisions; then one that is. */
    in.code = "41010200800403";
    in.name = "x";
    json_decref(geom);
    geom = box(113.601, 34.701, 113.602, 34.702);
    in.geometry = geom;
    in.division_code = "410102008004";
    assert_int_equal(grids_save(f->s, &f->pol, &in, true, &rep, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "division_code");
    grids_report_free(&rep);
    json_decref(geom);

    /* A geometry that is not a polygon. */
    geom = json_pack("{s:s, s:[f,f]}", "type", "Point", "coordinates", 113.6, 34.7);
    in.geometry = geom;
    in.division_code = NULL;
    assert_int_equal(grids_save(f->s, &f->pol, &in, true, &rep, &why), WG_ERR_INVALID);
    assert_string_equal(why.field, "geometry");
    grids_report_free(&rep);
    json_decref(geom);
}

static void test_update(void **state)
{
    fixture *f = *state;
    tree(f, true);
    grid_report rep;
    wg_why why;
    store_grid before, after;
    assert_int_equal(store_grid_get(f->s, L1, false, &before), WG_OK);
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, NULL);

    /* Grow the l1: its children are still inside. */
    assert_int_equal(
        save(f, NULL, L1, "l1", NULL, box(113.60, 34.70, 113.61, 34.72), false, &rep, &why), WG_OK);
    assert_int_equal(rep.errors, 0);
    grids_report_free(&rep);
    assert_int_equal(store_grid_get(f->s, L1, false, &after), WG_OK);
    assert_string_equal(after.created_at, before.created_at);
    assert_string_not_equal(after.updated_at, before.updated_at);
    assert_true(strcmp(after.updated_at, before.updated_at) > 0);
    near_rel(after.area_m2, box_m2(0.01, 0.02, 34.71), 1e-3, "grown area");
    assert_true(after.max_lat == 34.72);

    /* Shrinking it so that the east half sticks out is refused. */
    assert_int_equal(
        save(f, NULL, L1, "l1", NULL, box(113.60, 34.70, 113.608, 34.72), false, &rep, &why),
        WG_ERR_INVALID);
    assert_true(rep.errors >= 1);
    assert_string_equal(rep.items[0].check, "outside_parent");
    assert_string_equal(rep.items[0].grid, L2E);
    assert_string_equal(rep.items[0].other, L1);
    near_rel(rep.items[0].area_m2, box_m2(0.002, 0.01, 34.705), 0.01, "sticking out");
    grids_report_free(&rep);
    store_grid now;
    assert_int_equal(store_grid_get(f->s, L1, false, &now), WG_OK);
    assert_true(now.max_lon == 113.61);
    assert_string_equal(now.updated_at, after.updated_at);

    /* Moving the east half onto the west one is refused; moving it within
     * its own room is fine (it is not compared with itself). */
    assert_int_equal(
        save(f, NULL, L2E, "l2", L1, box(113.603, 34.70, 113.608, 34.71), false, &rep, &why),
        WG_ERR_INVALID);
    assert_string_equal(rep.items[0].check, "overlap");
    assert_string_equal(rep.items[0].other, L2W);
    grids_report_free(&rep);
    assert_int_equal(
        save(f, NULL, L2E, "l2", L1, box(113.605, 34.70, 113.61, 34.709), false, &rep, &why),
        WG_OK);
    assert_int_equal(rep.n, 0);
    grids_report_free(&rep);

    /* Not there; a changed level; a changed parent. */
    assert_int_equal(save(f, NULL, "41010200800409", "l2", L1, box(113.60, 34.70, 113.601, 34.701),
                          false, &rep, &why),
                     WG_ERR_NOT_FOUND);
    grids_report_free(&rep);
    assert_int_equal(save(f, NULL, "41010200890001", "dedicated", L1,
                          box(113.601, 34.701, 113.602, 34.702), true, &rep, &why),
                     WG_OK);
    grids_report_free(&rep);
    assert_int_equal(save(f, NULL, L2W, "l2", "410102009", box(113.60, 34.70, 113.605, 34.71),
                          false, &rep, &why),
                     WG_ERR_INVALID);
    assert_string_equal(why.field, "code");
    grids_report_free(&rep);
}

static void test_warnings(void **state)
{
    fixture *f = *state;
    tree(f, false);
    grid_report rep;
    wg_why why;
    grid_policy lax = f->pol;
    lax.outside_is_error = false;
    lax.overlap_is_error = false;

    /* Outside as a warning: saved, with the warning in the report. */
    assert_int_equal(
        save(f, &lax, L2E, "l2", L1, box(113.605, 34.70, 113.612, 34.71), true, &rep, &why), WG_OK);
    assert_int_equal(rep.errors, 0);
    assert_int_equal(rep.warnings, 1);
    assert_false(rep.items[0].error);
    assert_string_equal(rep.items[0].check, "outside_parent");
    assert_true(exists(f, L2E));
    grids_report_free(&rep);

    /* Overlap as a warning: saved. */
    assert_int_equal(save(f, &lax, "41010200800403", "l2", L1,
                          box(113.601, 34.701, 113.602, 34.702), true, &rep, &why),
                     WG_OK);
    assert_int_equal(rep.warnings, 1);
    assert_string_equal(rep.items[0].check, "overlap");
    grids_report_free(&rep);

    /* Under the tolerance: nothing to say. */
    grid_policy wide = f->pol;
    wide.tolerance_m2 = 1e9;
    assert_int_equal(save(f, &wide, "41010200800404", "l2", L1,
                          box(113.601, 34.701, 113.62, 34.702), true, &rep, &why),
                     WG_OK);
    assert_int_equal(rep.n, 0);
    grids_report_free(&rep);
}

/* A warning first, then an error: why must name the error, the reason the
 * grid was refused. */
static void test_why_names_the_error(void **state)
{
    fixture *f = *state;
    tree(f, false);
    grid_report rep;
    wg_why why;
    grid_policy p = f->pol;
    p.outside_is_error = false; /* sticking out: a warning */
    /* Reaches out of the l1 (west) and over the west half. */
    assert_int_equal(
        save(f, &p, L2E, "l2", L1, box(113.59, 34.701, 113.601, 34.702), true, &rep, &why),
        WG_ERR_INVALID);
    int errors = rep.errors, warnings = rep.warnings;
    grid_issue err = {0};
    for (int i = 0; i < rep.n; i++)
        if (rep.items[i].error && !err.check[0])
            err = rep.items[i];
    grids_report_free(&rep);
    assert_int_equal(errors, 1);
    assert_int_equal(warnings, 1);
    assert_string_equal(err.check, "overlap");
    assert_false(exists(f, L2E));
    assert_string_equal(why.msg, err.msg);
}

static void test_check_tree(void **state)
{
    fixture *f = *state;
    tree(f, false);
    grid_report rep = {0};

    /* One l2 covers half of the l1: a gap of half its area. */
    assert_int_equal(grids_check_tree(f->s, &f->pol, NULL, &rep), WG_OK);
    assert_int_equal(rep.grids, 2);
    assert_int_equal(rep.errors, 0);
    assert_int_equal(rep.warnings, 1);
    assert_int_equal(rep.n, 1);
    assert_false(rep.items[0].error);
    assert_string_equal(rep.items[0].check, "gap");
    assert_string_equal(rep.items[0].grid, L1);
    assert_string_equal(rep.items[0].other, "");
    near_rel(rep.items[0].area_m2, box_m2(0.005, 0.01, 34.705), 0.01, "gap area");
    assert_non_null(strstr(rep.items[0].msg, L1));
    grids_report_free(&rep);

    grid_policy strict = f->pol;
    strict.gap_is_error = true;
    assert_int_equal(grids_check_tree(f->s, &strict, NULL, &rep), WG_OK);
    assert_int_equal(rep.errors, 1);
    assert_int_equal(rep.warnings, 0);
    assert_true(rep.items[0].error);
    assert_string_equal(rep.items[0].check, "gap");
    grids_report_free(&rep);

    /* A subtree: the l2 alone has no children, so nothing to say. */
    assert_int_equal(grids_check_tree(f->s, &strict, L2W, &rep), WG_OK);
    assert_int_equal(rep.grids, 1);
    assert_int_equal(rep.n, 0);
    grids_report_free(&rep);

    /* With the east half too, and a dedicated grid over both (which is not
     * a sibling of theirs and covers nothing): sound. */
    save_ok(f, L2E, "l2", L1, box(113.605, 34.70, 113.61, 34.71));
    save_ok(f, DED, "dedicated", L1, box(113.603, 34.703, 113.607, 34.707));
    assert_int_equal(grids_check_tree(f->s, &strict, NULL, &rep), WG_OK);
    assert_int_equal(rep.grids, 4);
    if (rep.n)
        fail_msg("unexpected: %s", rep.items[0].msg);
    assert_int_equal(rep.errors + rep.warnings, 0);
    grids_report_free(&rep);

    /* Written behind grids_save's back: an overlap, an overhang and a broken
     * polygon are all found. */
    store_grid g;
    memset(&g, 0, sizeof(g));
    snprintf(g.code, sizeof(g.code), "41010200800403");
    snprintf(g.name, sizeof(g.name), "bad");
    snprintf(g.level, sizeof(g.level), "l2");
    snprintf(g.parent, sizeof(g.parent), L1);
    g.geometry = "{\"type\":\"Polygon\",\"coordinates\":[[[113.609,34.709],[113.612,34.709],"
                 "[113.612,34.712],[113.609,34.712],[113.609,34.709]]]}";
    g.geometry_len = strlen(g.geometry);
    snprintf(g.created_at, sizeof(g.created_at), "2024-01-01T00:00:00.000Z");
    snprintf(g.updated_at, sizeof(g.updated_at), "2024-01-01T00:00:00.000Z");
    assert_int_equal(store_grid_insert(f->s, &g), WG_OK);
    snprintf(g.code, sizeof(g.code), "41010200800404");
    g.geometry = "{\"type\":\"Polygon\",\"coordinates\":[[[113.601,34.701],[113.604,34.704],"
                 "[113.604,34.701],[113.601,34.704],[113.601,34.701]]]}";
    g.geometry_len = strlen(g.geometry);
    assert_int_equal(store_grid_insert(f->s, &g), WG_OK);
    assert_int_equal(grids_check_tree(f->s, &f->pol, NULL, &rep), WG_OK);
    assert_int_equal(rep.grids, 6);
    bool invalid = false, outside = false, overlap = false;
    for (int i = 0; i < rep.n; i++) {
        const grid_issue *x = &rep.items[i];
        if (strcmp(x->check, "invalid") == 0 && strcmp(x->grid, "41010200800404") == 0)
            invalid = true;
        if (strcmp(x->check, "outside_parent") == 0 && strcmp(x->grid, "41010200800403") == 0) {
            outside = true;
            near_rel(x->area_m2, box_m2(0.003, 0.003, 34.7105) - box_m2(0.001, 0.001, 34.7095),
                     0.01, "overhang");
        }
        if (strcmp(x->check, "overlap") == 0 &&
            (strcmp(x->grid, "41010200800403") == 0 || strcmp(x->other, "41010200800403") == 0))
            overlap = true;
    }
    assert_true(invalid && outside && overlap);
    assert_true(rep.errors >= 3);
    grids_report_free(&rep);
}

static void test_count_under(void **state)
{
    fixture *f = *state;
    tree(f, true);
    save_ok(f, DED, "dedicated", L1, box(113.603, 34.703, 113.607, 34.707));
    save_ok(f, "4101020080040101", "l3", L2W, box(113.60, 34.70, 113.605, 34.705));
    save_ok(f, "4101020080040102", "l3", L2W, box(113.60, 34.705, 113.605, 34.71));
    save_ok(f, "410102008004010101", "micro", "4101020080040101",
            box(113.60, 34.70, 113.605, 34.705));
    grid_counts c;
    assert_int_equal(grids_count_under(f->s, L1, &c), WG_OK);
    assert_int_equal(c.count[GRID_L1], 0);
    assert_int_equal(c.count[GRID_L2], 2);
    assert_int_equal(c.count[GRID_L3], 2);
    assert_int_equal(c.count[GRID_MICRO], 1);
    assert_int_equal(c.count[GRID_DEDICATED], 1);
    assert_int_equal(grids_count_under(f->s, L2W, &c), WG_OK);
    assert_int_equal(c.count[GRID_L1] + c.count[GRID_L2], 0);
    assert_int_equal(c.count[GRID_L3], 2);
    assert_int_equal(c.count[GRID_MICRO], 1);
    assert_int_equal(c.count[GRID_DEDICATED], 0);
    assert_int_equal(grids_count_under(f->s, L2E, &c), WG_OK);
    for (int i = 0; i < GRID_LEVELS; i++)
        assert_int_equal(c.count[i], 0);
    assert_int_equal(grids_count_under(f->s, "410102008004010101", &c), WG_OK);
    for (int i = 0; i < GRID_LEVELS; i++)
        assert_int_equal(c.count[i], 0);
    assert_int_equal(grids_count_under(f->s, "999999999", &c), WG_OK);
    for (int i = 0; i < GRID_LEVELS; i++)
        assert_int_equal(c.count[i], 0);
}

static void test_report_json(void **state)
{
    (void)state;
    grid_report r = {0};
    json_t *j = grids_report_json(&r);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "errors")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "warnings")), 0);
    assert_true(json_is_array(json_object_get(j, "issues")));
    assert_int_equal(json_array_size(json_object_get(j, "issues")), 0);
    assert_int_equal(json_object_size(j), 3);
    json_decref(j);

    grid_issue items[2];
    memset(items, 0, sizeof(items));
    items[0].error = true;
    snprintf(items[0].check, sizeof(items[0].check), "outside_parent");
    snprintf(items[0].grid, sizeof(items[0].grid), L2E);
    snprintf(items[0].other, sizeof(items[0].other), L1);
    items[0].area_m2 = 1234.5;
    snprintf(items[0].msg, sizeof(items[0].msg), "sticks \"out\"");
    snprintf(items[1].check, sizeof(items[1].check), "gap");
    snprintf(items[1].grid, sizeof(items[1].grid), L1);
    items[1].area_m2 = 0.25;
    snprintf(items[1].msg, sizeof(items[1].msg), "a gap");
    r = (grid_report){.items = items, .n = 2, .cap = 2, .errors = 1, .warnings = 1, .grids = 3};
    j = grids_report_json(&r);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "errors")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "warnings")), 1);
    json_t *is = json_object_get(j, "issues");
    assert_int_equal(json_array_size(is), 2);
    json_t *a = json_array_get(is, 0), *b = json_array_get(is, 1);
    assert_string_equal(json_string_value(json_object_get(a, "severity")), "error");
    assert_string_equal(json_string_value(json_object_get(a, "check")), "outside_parent");
    assert_string_equal(json_string_value(json_object_get(a, "grid")), L2E);
    assert_string_equal(json_string_value(json_object_get(a, "other")), L1);
    assert_true(json_is_real(json_object_get(a, "area_m2")));
    assert_true(json_real_value(json_object_get(a, "area_m2")) == 1234.5);
    assert_string_equal(json_string_value(json_object_get(a, "message")), "sticks \"out\"");
    assert_int_equal(json_object_size(a), 6);
    assert_string_equal(json_string_value(json_object_get(b, "severity")), "warning");
    assert_string_equal(json_string_value(json_object_get(b, "check")), "gap");
    assert_null(json_object_get(b, "other"));
    assert_int_equal(json_object_size(b), 5);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"errors\":1"));
    free(text);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_code_ok),
        cmocka_unit_test(test_policy),
        cmocka_unit_test_setup_teardown(test_save_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_why_names_the_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_under, setup, teardown),
        cmocka_unit_test(test_report_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
