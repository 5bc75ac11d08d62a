#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "core/grids.h"
#include "core/locator.h"
#include "store/store.h"

#define L1 "410102008"
#define DED "41010200890001"

typedef struct {
    char dir[64];
    store *s;
} fixture;

/* The tree: l1 over [113.60, 113.62] x [34.70, 34.72]; l2 west and east
 * halves; each cut into a south and a north l3; each l3 into a west and an
 * east micro. A dedicated grid (a school) lies across the two micros of the
 * first l3. */
static const struct {
    const char *code, *level, *parent;
    double x0, y0, x1, y1;
} grids[] = {
    {L1, "l1", NULL, 113.60, 34.70, 113.62, 34.72},
    {"41010200800401", "l2", L1, 113.60, 34.70, 113.61, 34.72},
    {"41010200800402", "l2", L1, 113.61, 34.70, 113.62, 34.72},
    {"4101020080040101", "l3", "41010200800401", 113.60, 34.70, 113.61, 34.71},
    {"4101020080040102", "l3", "41010200800401", 113.60, 34.71, 113.61, 34.72},
    {"4101020080040201", "l3", "41010200800402", 113.61, 34.70, 113.62, 34.71},
    {"4101020080040202", "l3", "41010200800402", 113.61, 34.71, 113.62, 34.72},
    {"410102008004010101", "micro", "4101020080040101", 113.60, 34.70, 113.605, 34.71},
    {"410102008004010102", "micro", "4101020080040101", 113.605, 34.70, 113.61, 34.71},
    {"410102008004010201", "micro", "4101020080040102", 113.60, 34.71, 113.605, 34.72},
    {"410102008004010202", "micro", "4101020080040102", 113.605, 34.71, 113.61, 34.72},
    {"410102008004020101", "micro", "4101020080040201", 113.61, 34.70, 113.615, 34.71},
    {"410102008004020102", "micro", "4101020080040201", 113.615, 34.70, 113.62, 34.71},
    {"410102008004020201", "micro", "4101020080040202", 113.61, 34.71, 113.615, 34.72},
    {"410102008004020202", "micro", "4101020080040202", 113.615, 34.71, 113.62, 34.72},
    {DED, "dedicated", L1, 113.603, 34.703, 113.607, 34.707},
};
#define NGRIDS ((int)(sizeof(grids) / sizeof(grids[0])))

static json_t *box(double x0, double y0, double x1, double y1)
{
    json_t *j = json_pack("{s:s, s:[[[f,f],[f,f],[f,f],[f,f],[f,f]]]}", "type", "Polygon",
                          "coordinates", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
    assert_non_null(j);
    return j;
}

static wg_err add(store *s, const grid_policy *p, const char *code, const char *level,
                  const char *parent, double x0, double y0, double x1, double y1)
{
    json_t *geom = box(x0, y0, x1, y1);
    char name[64];
    snprintf(name, sizeof(name), "grid %s", code);
    grid_input in = {.code = code,
                     .name = name,
                     .level = level,
                     .parent = parent,
                     .kind = strcmp(level, "dedicated") == 0 ? "school" : "",
                     .geometry = geom};
    grid_report rep = {0};
    wg_why why = {0};
    assert_int_equal(store_begin(s), WG_OK);
    wg_err e = grids_save(s, p, &in, true, &rep, &why);
    if (e)
        store_rollback(s);
    else
        assert_int_equal(store_commit(s), WG_OK);
    if (e)
        print_error("saving %s: %s\n", code, why.msg);
    grids_report_free(&rep);
    json_decref(geom);
    return e;
}

static const grid_policy strict = {
    .outside_is_error = true, .overlap_is_error = true, .gap_is_error = true, .tolerance_m2 = 1};

static void division(store *s, const char *code, const char *name, const char *level,
                     const char *parent)
{
    store_division d;
    memset(&d, 0, sizeof(d));
    snprintf(d.code, sizeof(d.code), "%s", code);
    snprintf(d.name, sizeof(d.name), "%s", name);
    snprintf(d.level, sizeof(d.level), "%s", level);
    snprintf(d.parent, sizeof(d.parent), "%s", parent);
    assert_int_equal(store_division_put(s, &d), WG_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    fx_tmpdir(f->dir, sizeof(f->dir), "locator");
    f->s = fx_store(f->dir, "t.db");
    division(f->s, "41", "河南省", "province", "");
    division(f->s, "4101", "郑州市", "city", "41");
    division(f->s, "410102", "中原区", "county", "4101");
    division(f->s, L1, "汝河路街道", "township", "410102");
    for (int i = 0; i < NGRIDS; i++)
        assert_int_equal(add(f->s, &strict, grids[i].code, grids[i].level, grids[i].parent,
                             grids[i].x0, grids[i].y0, grids[i].x1, grids[i].y1),
                         WG_OK);
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

static locator *build(fixture *f)
{
    locator *l = NULL;
    wg_why why = {0};
    if (locator_build(f->s, &l, &why) != WG_OK)
        fail_msg("locator_build: %s", why.msg);
    assert_non_null(l);
    return l;
}

static const char *code_at(const locator *l, int32_t i)
{
    const loc_grid *g = locator_grid(l, i);
    assert_non_null(g);
    return g->code;
}

/* The point must lie in the grid `deepest`, and the chain must climb from
 * it through the parents as the tree has them, up to the l1. */
static void expect_chain(const locator *l, double lon, double lat, const char *deepest, int nchain)
{
    loc_hit hit;
    memset(&hit, 0x5a, sizeof(hit));
    if (!locator_find(l, lon, lat, &hit))
        fail_msg("(%.4f, %.4f): not found", lon, lat);
    if (hit.nchain != nchain || strcmp(code_at(l, hit.chain[0]), deepest) != 0)
        fail_msg("(%.4f, %.4f): %d grids from %s, want %d from %s", lon, lat, hit.nchain,
                 code_at(l, hit.chain[0]), nchain, deepest);
    static const grid_level want_level[] = {GRID_MICRO, GRID_L3, GRID_L2, GRID_L1};
    for (int k = 0; k < hit.nchain; k++) {
        const loc_grid *g = locator_grid(l, hit.chain[k]);
        assert_non_null(g);
        assert_int_equal(g->level, want_level[4 - nchain + k]);
        /* Each code extends the next one's (its parent). */
        if (k + 1 < hit.nchain) {
            const char *up = code_at(l, hit.chain[k + 1]);
            assert_int_equal(g->parent, hit.chain[k + 1]);
            assert_int_equal(strncmp(g->code, up, strlen(up)), 0);
        } else {
            assert_int_equal(g->parent, -1);
            assert_string_equal(g->code, L1);
        }
    }
}

static void test_find(void **state)
{
    fixture *f = *state;
    locator *l = build(f);
    assert_int_equal(locator_count(l), NGRIDS);
    assert_true(locator_bytes(l) > NGRIDS * sizeof(loc_grid));

    /* The middle of every micro-grid. */
    int micros = 0;
    for (int i = 0; i < NGRIDS; i++) {
        if (strcmp(grids[i].level, "micro") != 0)
            continue;
        double x = (grids[i].x0 + grids[i].x1) / 2, y = (grids[i].y0 + grids[i].y1) / 2;
        expect_chain(l, x, y, grids[i].code, 4);
        loc_hit hit;
        assert_true(locator_find(l, x, y, &hit));
        assert_string_equal(code_at(l, hit.chain[1]), grids[i].parent);
        assert_string_equal(code_at(l, hit.chain[3]), L1);
        assert_int_equal(hit.ndedicated, 0);
        micros++;
    }
    assert_int_equal(micros, 8);
    loc_hit hit;
    assert_true(locator_find(l, 113.6175, 34.7175, &hit));
    assert_string_equal(code_at(l, hit.chain[0]), "410102008004020202");
    assert_string_equal(code_at(l, hit.chain[1]), "4101020080040202");
    assert_string_equal(code_at(l, hit.chain[2]), "41010200800402");
    assert_string_equal(code_at(l, hit.chain[3]), L1);

    /* In the school: both micros under it list it. */
    assert_true(locator_find(l, 113.604, 34.705, &hit));
    assert_string_equal(code_at(l, hit.chain[0]), "410102008004010101");
    assert_int_equal(hit.ndedicated, 1);
    assert_string_equal(code_at(l, hit.dedicated[0]), DED);
    assert_int_equal(locator_grid(l, hit.dedicated[0])->level, GRID_DEDICATED);
    assert_string_equal(code_at(l, locator_grid(l, hit.dedicated[0])->parent), L1);
    assert_true(locator_find(l, 113.606, 34.706, &hit));
    assert_string_equal(code_at(l, hit.chain[0]), "410102008004010102");
    assert_int_equal(hit.ndedicated, 1);
    assert_string_equal(code_at(l, hit.dedicated[0]), DED);
    /* Just beside it: not. */
    assert_true(locator_find(l, 113.602, 34.705, &hit));
    assert_int_equal(hit.ndedicated, 0);

    /* Outside everything. */
    memset(&hit, 0x5a, sizeof(hit));
    assert_false(locator_find(l, 113.5, 34.5, &hit));
    assert_int_equal(hit.nchain, 0);
    assert_int_equal(hit.ndedicated, 0);
    assert_false(locator_find(l, 113.6201, 34.71, &hit));
    assert_false(locator_find(l, 113.61, 34.7201, &hit));

    /* Shared edges belong to one side (the east, the north); the l1 keeps
     * its west and south border and loses its east and north one. */
    expect_chain(l, 113.605, 34.705, "410102008004010102", 4);
    expect_chain(l, 113.61, 34.705, "410102008004020101", 4);
    expect_chain(l, 113.6025, 34.71, "410102008004010201", 4);
    expect_chain(l, 113.61, 34.71, "410102008004020201", 4);
    expect_chain(l, 113.60, 34.70, "410102008004010101", 4);
    assert_false(locator_find(l, 113.62, 34.705, &hit));
    assert_false(locator_find(l, 113.605, 34.72, &hit));

    /* Divisions above the l1: township first, up to the province. */
    assert_true(locator_find(l, 113.604, 34.705, &hit));
    const loc_division *d = NULL;
    assert_int_equal(locator_divisions(l, hit.chain[0], &d), 4);
    assert_non_null(d);
    assert_string_equal(d[0].code, L1);
    assert_string_equal(d[0].level, "township");
    assert_string_equal(d[1].code, "410102");
    assert_string_equal(d[1].name, "中原区");
    assert_string_equal(d[2].code, "4101");
    assert_string_equal(d[3].code, "41");
    assert_string_equal(d[3].level, "province");
    assert_int_equal(locator_divisions(l, hit.chain[3], &d), 4);

    assert_null(locator_grid(l, -1));
    assert_null(locator_grid(l, NGRIDS));
    locator_free(l);
    locator_free(NULL);
}

static void test_dedicated_outside(void **state)
{
    fixture *f = *state;
    /* A dedicated grid reaching out of the l1 (allowed as a warning). */
    grid_policy lax = strict;
    lax.outside_is_error = false;
    assert_int_equal(
        add(f->s, &lax, "41010200890002", "dedicated", L1, 113.619, 34.719, 113.625, 34.725),
        WG_OK);
    locator *l = build(f);
    loc_hit hit;
    assert_false(locator_find(l, 113.622, 34.722, &hit));
    assert_int_equal(hit.nchain, 0);
    assert_int_equal(hit.ndedicated, 1);
    assert_string_equal(code_at(l, hit.dedicated[0]), "41010200890002");
    assert_true(locator_find(l, 113.6195, 34.7195, &hit));
    assert_string_equal(code_at(l, hit.chain[0]), "410102008004020202");
    assert_int_equal(hit.ndedicated, 1);
    json_t *j = locator_hit_json(l, &hit, true);
    assert_non_null(j);
    json_decref(j);
    assert_false(locator_find(l, 113.622, 34.722, &hit));
    j = locator_hit_json(l, &hit, false);
    assert_non_null(j);
    assert_true(json_is_false(json_object_get(j, "inside")));
    assert_int_equal(json_array_size(json_object_get(j, "chain")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "dedicated")), 1);
    json_decref(j);
    locator_free(l);
}

static void test_l3_without_micro(void **state)
{
    fixture *f = *state;
    assert_int_equal(store_grid_delete(f->s, "410102008004020201"), WG_OK);
    assert_int_equal(store_grid_delete(f->s, "410102008004020202"), WG_OK);
    locator *l = build(f);
    assert_int_equal(locator_count(l), NGRIDS - 2);
    expect_chain(l, 113.615, 34.715, "4101020080040202", 3);
    expect_chain(l, 113.6125, 34.7125, "4101020080040202", 3);
    /* Its neighbours still reach their micros. */
    expect_chain(l, 113.6175, 34.705, "410102008004020102", 4);
    loc_hit hit;
    assert_true(locator_find(l, 113.615, 34.715, &hit));
    json_t *j = locator_hit_json(l, &hit, true);
    json_t *chain = json_object_get(j, "chain");
    assert_string_equal(json_string_value(json_object_get(json_array_get(chain, 0), "code")),
                        "4101020080040202");
    assert_string_equal(json_string_value(json_object_get(json_array_get(chain, 0), "level")),
                        "l3");
    assert_string_equal(json_string_value(json_object_get(json_array_get(chain, 2), "code")), L1);
    /* then the county and the city */
    assert_int_equal(json_array_size(chain), 5);
    json_decref(j);
    locator_free(l);
}

static void test_hit_json(void **state)
{
    fixture *f = *state;
    locator *l = build(f);
    loc_hit hit;
    assert_true(locator_find(l, 113.604, 34.705, &hit));
    json_t *j = locator_hit_json(l, &hit, true);
    assert_non_null(j);
    assert_true(json_is_true(json_object_get(j, "inside")));
    json_t *chain = json_object_get(j, "chain");
    assert_true(json_is_array(chain));
    static const char *codes[] = {
        "410102008004010101", "4101020080040101", "41010200800401", L1, "410102", "4101"};
    static const char *levels[] = {"micro", "l3", "l2", "l1", "county", "city"};
    static const char *names[] = {"grid 410102008004010101",
                                  "grid 4101020080040101",
                                  "grid 41010200800401",
                                  "grid 410102008",
                                  "中原区",
                                  "郑州市"};
    assert_int_equal(json_array_size(chain), 6);
    for (size_t i = 0; i < 6; i++) {
        json_t *x = json_array_get(chain, i);
        assert_string_equal(json_string_value(json_object_get(x, "code")), codes[i]);
        assert_string_equal(json_string_value(json_object_get(x, "level")), levels[i]);
        assert_string_equal(json_string_value(json_object_get(x, "name")), names[i]);
        assert_int_equal(json_object_size(x), 3);
    }
    json_t *ded = json_object_get(j, "dedicated");
    assert_true(json_is_array(ded));
    assert_int_equal(json_array_size(ded), 1);
    json_t *x = json_array_get(ded, 0);
    assert_string_equal(json_string_value(json_object_get(x, "code")), DED);
    assert_string_equal(json_string_value(json_object_get(x, "name")), "grid " DED);
    json_decref(j);

    /* No dedicated grid: an empty array, not a missing key. */
    assert_true(locator_find(l, 113.6175, 34.7175, &hit));
    j = locator_hit_json(l, &hit, true);
    assert_int_equal(json_array_size(json_object_get(j, "dedicated")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "chain")), 6);
    json_decref(j);

    /* Outside: an empty chain. */
    assert_false(locator_find(l, 113.5, 34.5, &hit));
    j = locator_hit_json(l, &hit, false);
    assert_true(json_is_false(json_object_get(j, "inside")));
    assert_int_equal(json_array_size(json_object_get(j, "chain")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "dedicated")), 0);
    json_decref(j);
    locator_free(l);
}

/* locator.h: "dedicated":[{"code","name","kind"}]: the kind of the
 * dedicated grid (school, hospital, market) is part of the answer. */
static void test_hit_json_dedicated_kind(void **state)
{
    fixture *f = *state;
    locator *l = build(f);
    loc_hit hit;
    assert_true(locator_find(l, 113.604, 34.705, &hit));
    json_t *j = locator_hit_json(l, &hit, true);
    json_t *x = json_array_get(json_object_get(j, "dedicated"), 0);
    const char *kind = json_string_value(json_object_get(x, "kind"));
    char got[64];
    snprintf(got, sizeof(got), "%s", kind ? kind : "(missing)");
    json_decref(j);
    locator_free(l);
    assert_string_equal(got, "school");
}

static void test_parties_json(void **state)
{
    fixture *f = *state;
    store_grid_party p[3];
    memset(p, 0, sizeof(p));
    snprintf(p[0].role, sizeof(p[0].role), "lead_party_org");
    snprintf(p[0].name, sizeof(p[0].name), "社区党委");
    snprintf(p[0].contact, sizeof(p[0].contact), "0371-1");
    snprintf(p[1].role, sizeof(p[1].role), "force");
    snprintf(p[1].force_type, sizeof(p[1].force_type), "police");
    snprintf(p[1].name, sizeof(p[1].name), "派出所");
    snprintf(p[1].contact, sizeof(p[1].contact), "110");
    snprintf(p[2].role, sizeof(p[2].role), "force");
    snprintf(p[2].force_type, sizeof(p[2].force_type), "volunteers");
    snprintf(p[2].name, sizeof(p[2].name), "志愿者队");
    snprintf(p[2].contact, sizeof(p[2].contact), "119");
    assert_int_equal(store_grid_parties_replace(f->s, "41010200800401", p, 3), WG_OK);
    locator *l = build(f);
    loc_hit hit;
    assert_true(locator_find(l, 113.604, 34.705, &hit));
    json_t *j = grids_parties_json(f->s, l, &hit);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 5); /* four of the chain and the school */
    json_t *l2 = json_object_get(j, "41010200800401");
    assert_non_null(l2);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(l2, "lead_party_org"), "name")),
        "社区党委");
    json_t *forces = json_object_get(l2, "forces");
    assert_int_equal(json_array_size(forces), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(forces, 0), "type")),
                        "police");
    assert_string_equal(json_string_value(json_object_get(json_array_get(forces, 1), "contact")),
                        "119");
    json_t *micro = json_object_get(j, "410102008004010101");
    assert_non_null(micro);
    assert_int_equal(json_array_size(json_object_get(micro, "forces")), 0);
    assert_non_null(json_object_get(j, DED));
    json_decref(j);
    locator_free(l);
}

static void test_empty_store(void **state)
{
    (void)state;
    char dir[64];
    fx_tmpdir(dir, sizeof(dir), "locator");
    store *s = fx_store(dir, "t.db");
    locator *l = NULL;
    wg_why why = {0};
    assert_int_equal(locator_build(s, &l, &why), WG_OK);
    assert_int_equal(locator_count(l), 0);
    loc_hit hit;
    assert_false(locator_find(l, 113.6, 34.7, &hit));
    assert_int_equal(hit.nchain, 0);
    assert_int_equal(hit.ndedicated, 0);
    locator_free(l);
    store_close(s);
    assert_int_equal(fx_rmdir(dir), 0);
}

static void test_service(void **state)
{
    fixture *f = *state;
    locsvc *v = locsvc_new();
    assert_non_null(v);
    assert_null(locsvc_acquire(v));
    wg_why why = {0};
    assert_int_equal(locsvc_rebuild(v, f->s, &why), WG_OK);
    locator *a = locsvc_acquire(v);
    assert_non_null(a);
    assert_int_equal(locator_count(a), NGRIDS);
    locator *a2 = locsvc_acquire(v);
    assert_ptr_equal(a, a2);
    locsvc_release(v, a2);

    /* A new dedicated grid: visible after a rebuild to new readers only. */
    assert_int_equal(
        add(f->s, &strict, "41010200890003", "dedicated", L1, 113.611, 34.711, 113.612, 34.712),
        WG_OK);
    assert_int_equal(locsvc_rebuild(v, f->s, &why), WG_OK);
    locator *b = locsvc_acquire(v);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_int_equal(locator_count(b), NGRIDS + 1);
    loc_hit hit;
    assert_true(locator_find(b, 113.6115, 34.7115, &hit));
    assert_int_equal(hit.ndedicated, 1);
    assert_string_equal(code_at(b, hit.dedicated[0]), "41010200890003");

    /* The old one still answers as it did. */
    assert_int_equal(locator_count(a), NGRIDS);
    assert_true(locator_find(a, 113.6115, 34.7115, &hit));
    assert_int_equal(hit.ndedicated, 0);
    expect_chain(a, 113.6115, 34.7115, "410102008004020201", 4);
    json_t *j = locator_hit_json(a, &hit, true);
    assert_int_equal(json_array_size(json_object_get(j, "chain")), 6);
    json_decref(j);
    locsvc_release(v, a); /* its last reader: freed now */

    /* Another rebuild while b is held: b lives on. */
    assert_int_equal(locsvc_rebuild(v, f->s, &why), WG_OK);
    expect_chain(b, 113.604, 34.705, "410102008004010101", 4);
    assert_int_equal(locator_count(b), NGRIDS + 1);
    locator *c = locsvc_acquire(v);
    assert_ptr_not_equal(c, b);
    locsvc_release(v, b);
    expect_chain(c, 113.604, 34.705, "410102008004010101", 4);
    locsvc_release(v, c);
    locsvc_release(v, NULL);
    locsvc_free(v);
    locsvc_free(NULL);
}

typedef struct {
    locsvc *v;
    atomic_bool stop;
    atomic_int lookups, failures;
} race;

static void *reader(void *arg)
{
    race *r = arg;
    while (!atomic_load(&r->stop)) {
        locator *l = locsvc_acquire(r->v);
        if (!l)
            continue;
        loc_hit hit;
        if (!locator_find(l, 113.604, 34.705, &hit) || hit.nchain != 4 ||
            strcmp(locator_grid(l, hit.chain[0])->code, "410102008004010101") != 0 ||
            hit.ndedicated != 1)
            atomic_fetch_add(&r->failures, 1);
        json_t *j = locator_hit_json(l, &hit, true);
        json_decref(j);
        locsvc_release(r->v, l);
        atomic_fetch_add(&r->lookups, 1);
    }
    return NULL;
}

static void test_service_concurrent(void **state)
{
    fixture *f = *state;
    race r = {.v = locsvc_new()};
    assert_non_null(r.v);
    wg_why why = {0};
    assert_int_equal(locsvc_rebuild(r.v, f->s, &why), WG_OK);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, &r), 0);
    for (int i = 0; i < 25; i++)
        assert_int_equal(locsvc_rebuild(r.v, f->s, &why), WG_OK);
    while (atomic_load(&r.lookups) < 100)
        usleep(1000);
    atomic_store(&r.stop, true);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&r.failures), 0);
    locsvc_free(r.v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dedicated_outside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_l3_without_micro, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hit_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hit_json_dedicated_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parties_json, setup, teardown),
        cmocka_unit_test(test_empty_store),
        cmocka_unit_test_setup_teardown(test_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service_concurrent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
