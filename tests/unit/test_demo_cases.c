#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "core/calendar.h"
#include "core/cases.h"
#include "core/catalogue.h"
#include "core/demo_cases.h"
#include "core/grids.h"
#include "core/locator.h"
#include "core/vault.h"
#include "store/store.h"

/* Friday 2024-10-11 17:30 in Beijing (UTC+8). */
#define NOW ((int64_t)1728639000)
#define SPAN (90 * (int64_t)86400)
#define N 120

/* A small tree: l1 over [113.60, 113.62] x [34.70, 34.72]; its west half
 * the community 汝河小区社区 (004, where the demo accounts work), its east
 * half 淮西社区 (006); each cut into a south and a north l3, each l3 into
 * a west and an east micro-grid. An estate (dedicated) in the east. */
static const struct {
    const char *code, *name, *level, *parent, *kind;
    double x0, y0, x1, y1;
} grids[] = {
    {"410102008", "汝河路街道", "l1", NULL, "", 113.60, 34.70, 113.62, 34.72},
    {"41010200800401", "汝河小区社区网格", "l2", "410102008", "", 113.60, 34.70, 113.61, 34.72},
    {"41010200800601", "淮西社区网格", "l2", "410102008", "", 113.61, 34.70, 113.62, 34.72},
    {"4101020080040101", "汝河小区社区第1网格", "l3", "41010200800401", "", 113.60, 34.70, 113.61,
     34.71},
    {"4101020080040102", "汝河小区社区第2网格", "l3", "41010200800401", "", 113.60, 34.71, 113.61,
     34.72},
    {"4101020080060101", "淮西社区第1网格", "l3", "41010200800601", "", 113.61, 34.70, 113.62,
     34.71},
    {"4101020080060102", "淮西社区第2网格", "l3", "41010200800601", "", 113.61, 34.71, 113.62,
     34.72},
    {"410102008004010101", "1号微网格", "micro", "4101020080040101", "", 113.60, 34.70, 113.605,
     34.71},
    {"410102008004010102", "2号微网格", "micro", "4101020080040101", "", 113.605, 34.70, 113.61,
     34.71},
    {"410102008004010201", "1号微网格", "micro", "4101020080040102", "", 113.60, 34.71, 113.605,
     34.72},
    {"410102008004010202", "2号微网格", "micro", "4101020080040102", "", 113.605, 34.71, 113.61,
     34.72},
    {"410102008006010101", "1号微网格", "micro", "4101020080060101", "", 113.61, 34.70, 113.615,
     34.71},
    {"410102008006010102", "2号微网格", "micro", "4101020080060101", "", 113.615, 34.70, 113.62,
     34.71},
    {"410102008006010201", "1号微网格", "micro", "4101020080060102", "", 113.61, 34.71, 113.615,
     34.72},
    {"410102008006010202", "2号微网格", "micro", "4101020080060102", "", 113.615, 34.71, 113.62,
     34.72},
    {"41010200890001", "永威城", "dedicated", "410102008", "estate", 113.612, 34.712, 113.618,
     34.718},
};

static const char *const departments[] = {"gongan", "chengguan", "shichang", "weijian", "zhujian",
                                          "ranqi",  "yingji",    "huanbao",  "wuye",    "zhiyuan"};

/* Some of share/catalogue.csv, and one category the demo has no texts for. */
static const char catalogue_csv[] =
    "code,kind,major,minor,fine,name_zh,name_en,department,file,dispatch,acknowledge,handle,"
    "verify,urgent_percent\n"
    "E0101,event,市容环境,暴露垃圾,,暴露垃圾,exposed garbage,chengguan,30m,30m,1h,4h,1h,25\n"
    "E0102,event,市容环境,乱堆物堆料,,杂物堆放,clutter,chengguan,30m,30m,1h,1d,1h,25\n"
    "E0301,event,施工管理,违法建设,,违法建设,illegal building,chengguan,30m,30m,1h,15d,1d,25\n"
    "E0401,event,突发事件,燃气隐患,,燃气隐患,gas hazard,ranqi,10m,10m,30m,4h,1h,25\n"
    "E0404,event,突发事件,飞线充电,,飞线充电,flying-wire charging,yingji,30m,30m,1h,1d,1h,25\n"
    "E0504,event,街面秩序,非机动车乱停放,,乱停乱放,bicycle parking,chengguan,30m,30m,1h,4h,1h,25\n"
    "E0505,event,街面秩序,矛盾纠纷,,矛盾纠纷,dispute,gongan,30m,30m,1h,3d,1d,25\n"
    "C0101,component,公用设施,井盖,井盖破损,井盖破损,damaged manhole cover,zhujian,10m,10m,30m,2h,"
    "1h,25\n"
    "E0999,event,其他,其他,,宠物扰民,pets,zhiyuan,30m,30m,1h,2d,1h,25\n";

typedef struct {
    char dir[64];
    store *s;
    vault *v;
    locator *l;
    calendar *cal;
} fixture;

static json_t *box(double x0, double y0, double x1, double y1)
{
    json_t *j = json_pack("{s:s, s:[[[f,f],[f,f],[f,f],[f,f],[f,f]]]}", "type", "Polygon",
                          "coordinates", x0, y0, x1, y0, x1, y1, x0, y1, x0, y0);
    assert_non_null(j);
    return j;
}

static const grid_policy policy = {
    .outside_is_error = true, .overlap_is_error = true, .gap_is_error = false, .tolerance_m2 = 1};

static void add_grid(store *s, size_t i)
{
    json_t *geom = box(grids[i].x0, grids[i].y0, grids[i].x1, grids[i].y1);
    grid_input in = {.code = grids[i].code,
                     .name = grids[i].name,
                     .level = grids[i].level,
                     .parent = grids[i].parent,
                     .kind = grids[i].kind,
                     .geometry = geom};
    grid_report rep = {0};
    wg_why why = {0};
    wg_err e = grids_save(s, &policy, &in, true, &rep, &why);
    grids_report_free(&rep);
    json_decref(geom);
    if (e)
        fail_msg("saving grid %s: %s", grids[i].code, why.msg);
}

/* A fresh store with departments, grids and (when with_catalogue) the
 * catalogue and the demo's routing rules; the locator and calendar. */
static fixture *fixture_new(bool with_catalogue)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    fx_tmpdir(f->dir, sizeof(f->dir), "demo-cases");
    f->s = fx_store(f->dir, "t.db");
    f->v = fx_vault(f->dir);
    assert_int_equal(store_begin(f->s), WG_OK);
    for (size_t i = 0; i < sizeof(departments) / sizeof(departments[0]); i++) {
        store_department d;
        memset(&d, 0, sizeof(d));
        snprintf(d.code, sizeof(d.code), "%s", departments[i]);
        snprintf(d.name, sizeof(d.name), "部门 %s", departments[i]);
        snprintf(d.kind, sizeof(d.kind), "department");
        assert_int_equal(store_department_insert(f->s, &d, NULL), WG_OK);
    }
    if (with_catalogue) {
        catalogue_report rep;
        if (catalogue_import(f->s, catalogue_csv, strlen(catalogue_csv), &rep) != WG_OK)
            fail_msg("catalogue: %s", rep.nmsgs ? rep.msgs[0] : "?");
        static const char *const wuye[] = {"E0404", "E0102"};
        for (size_t i = 0; i < 2; i++) {
            store_route_rule r;
            memset(&r, 0, sizeof(r));
            snprintf(r.category, sizeof(r.category), "%s", wuye[i]);
            snprintf(r.grid_prefix, sizeof(r.grid_prefix), "410102008004");
            snprintf(r.department, sizeof(r.department), "wuye");
            assert_int_equal(store_route_put(f->s, &r, NULL), WG_OK);
        }
    }
    for (size_t i = 0; i < sizeof(grids) / sizeof(grids[0]); i++)
        add_grid(f->s, i);
    assert_int_equal(store_commit(f->s), WG_OK);
    wg_why why = {0};
    if (locator_build(f->s, &f->l, &why) != WG_OK)
        fail_msg("locator_build: %s", why.msg);
    assert_int_equal(cases_calendar(f->s, "08:30-12:00,13:30-18:00", 480, &f->cal, &why), WG_OK);
    return f;
}

static void fixture_free(fixture *f)
{
    calendar_free(f->cal);
    locator_free(f->l);
    vault_free(f->v);
    store_close(f->s);
    assert_int_equal(fx_rmdir(f->dir), 0);
    free(f);
}

/* demo_cases in one transaction, committed when good. */
static wg_err run(fixture *f, int n, demo_cases_result *res, wg_why *why)
{
    memset(why, 0, sizeof(*why));
    assert_int_equal(store_begin(f->s), WG_OK);
    wg_err e = demo_cases(f->s, f->v, f->l, f->cal, NOW, n, res, why);
    if (e)
        store_rollback(f->s);
    else
        assert_int_equal(store_commit(f->s), WG_OK);
    return e;
}

static void run_ok(fixture *f, int n, demo_cases_result *res)
{
    wg_why why;
    wg_err e = run(f, n, res, &why);
    if (e)
        fail_msg("demo_cases: %s (%s)", wg_errcode(e), why.msg);
}

/* Every case, oldest id first. */
typedef struct {
    store_case *items;
    int n;
} case_list;

static wg_err collect(void *ctx, const store_case *c)
{
    case_list *l = ctx;
    assert_true(l->n < 2 * N);
    l->items[l->n++] = *c;
    return WG_OK;
}

static case_list all_cases(fixture *f)
{
    case_list l = {calloc(2 * N, sizeof(store_case)), 0};
    assert_non_null(l.items);
    store_case_filter flt = {.all = true, .overdue = -1, .limit = 2 * N};
    assert_int_equal(store_case_list(f->s, &flt, collect, &l), WG_OK);
    /* newest first: turn it round */
    for (int i = 0; i < l.n / 2; i++) {
        store_case t = l.items[i];
        l.items[i] = l.items[l.n - 1 - i];
        l.items[l.n - 1 - i] = t;
    }
    return l;
}

typedef struct {
    int n;
    char first[32];
    int64_t prev_at;
    bool ordered, in_span;
    bool returned, extended, whistle_late, whistle_on_time, whistle_rated;
} history;

static wg_err add_event(void *ctx, const store_event *ev)
{
    history *h = ctx;
    if (h->n++ == 0)
        snprintf(h->first, sizeof(h->first), "%s", ev->action);
    h->ordered &= ev->at >= h->prev_at;
    h->in_span &= ev->at >= NOW - SPAN && ev->at <= NOW;
    h->prev_at = ev->at;
    h->returned |= strcmp(ev->action, "return") == 0;
    h->extended |= strcmp(ev->action, "approve_extension") == 0;
    h->whistle_late |= strstr(ev->data, "\"late\":true") != NULL;
    h->whistle_on_time |= strstr(ev->data, "\"late\":false") != NULL;
    h->whistle_rated |= strstr(ev->data, "\"rated\":") != NULL;
    return WG_OK;
}

static void test_every_state(void **state)
{
    (void)state;
    fixture *f = fixture_new(true);
    demo_cases_result res;
    run_ok(f, N, &res);
    assert_false(res.existed);
    assert_int_equal(res.total, N);
    int sum = 0;
    for (int st = 0; st < CS_COUNT; st++) {
        if (res.count[st] < 1)
            fail_msg("no case ends %s", cases_status_name((case_status)st));
        sum += res.count[st];
    }
    assert_int_equal(sum, N);
    for (int st = 0; st < CS_COUNT; st++)
        if (st != CS_CLOSED)
            assert_true(res.count[CS_CLOSED] > res.count[st]);
    assert_true(res.whistles >= 1);
    assert_true(res.reworks >= 1);
    assert_true(res.rated >= 1);
    assert_true(res.overdue_open >= 1);
    assert_true(res.returns >= 1);
    assert_true(res.extensions >= 1);

    /* The store agrees, and every history is the loop's own. */
    case_list l = all_cases(f);
    assert_int_equal(l.n, N);
    int count[CS_COUNT] = {0}, overdue = 0, whistled = 0, reworked = 0, rated = 0, urgent = 0,
        with_point = 0, sources = 0;
    bool returned = false, extended = false, late = false, on_time = false, wrated = false;
    unsigned seen_sources = 0;
    static const char *const src[] = {"grid_member", "citizen", "hotline", "platform",
                                      "inspection"};
    for (int i = 0; i < l.n; i++) {
        const store_case *c = &l.items[i];
        case_status st;
        assert_true(cases_status_parse(c->status, &st));
        count[st]++;
        overdue += c->due_at && c->due_at < NOW && c->overdue;
        whistled += c->whistles > 0;
        reworked += c->reworks > 0;
        rated += c->satisfaction > 0;
        urgent += strcmp(c->urgency, "urgent") == 0;
        with_point += c->has_point;
        for (unsigned k = 0; k < 5; k++)
            if (strcmp(c->source, src[k]) == 0)
                seen_sources |= 1u << k;
        assert_true(c->reported_at >= NOW - SPAN && c->reported_at <= NOW);
        assert_true(strncmp(c->grid, "410102008", 9) == 0);
        assert_true(c->description[0] && !strchr(c->description, '#'));
        if (c->satisfaction)
            assert_string_equal(c->status, "closed");
        if (strcmp(c->category, "E0404") == 0 && strncmp(c->grid, "410102008004", 12) == 0 &&
            strcmp(c->status, "not_filed") != 0 && strcmp(c->status, "merged") != 0 &&
            !c->dispatched_at && strcmp(c->status, "reported") != 0 &&
            strcmp(c->status, "filed") != 0 && strcmp(c->status, "deferred") != 0)
            fail_msg("case %lld: E0404 in 004 not dispatched", (long long)c->id);
        if (i > 0)
            assert_true(c->reported_at >= l.items[i - 1].reported_at);
        history h = {.ordered = true, .in_span = true};
        assert_int_equal(store_case_events(f->s, c->id, add_event, &h), WG_OK);
        assert_true(h.n >= 1);
        assert_string_equal(h.first, "report");
        if (!h.ordered || !h.in_span)
            fail_msg("case %lld: history out of order or outside the 90 days", (long long)c->id);
        returned |= h.returned;
        extended |= h.extended;
        late |= h.whistle_late;
        on_time |= h.whistle_on_time;
        wrated |= h.whistle_rated;
    }
    for (int st = 0; st < CS_COUNT; st++)
        assert_int_equal(count[st], res.count[st]);
    for (unsigned k = 0; k < 5; k++)
        sources += (seen_sources >> k) & 1;
    assert_int_equal(sources, 5);
    assert_true(overdue >= 1);
    assert_true(whistled >= 1);
    assert_true(reworked >= 1);
    assert_true(rated >= 1);
    assert_true(urgent >= 1);
    assert_true(with_point >= N * 9 / 10);
    assert_true(returned && extended);
    assert_true(on_time);
    assert_true(late || wrated);
    free(l.items);

    /* Once is enough: a second run leaves the cases alone. */
    demo_cases_result again;
    run_ok(f, N, &again);
    assert_true(again.existed);
    assert_int_equal(again.total, 0);
    l = all_cases(f);
    assert_int_equal(l.n, N);
    free(l.items);
    fixture_free(f);
}

static void test_deterministic(void **state)
{
    (void)state;
    fixture *a = fixture_new(true), *b = fixture_new(true);
    demo_cases_result ra, rb;
    run_ok(a, N, &ra);
    run_ok(b, N, &rb);
    assert_memory_equal(ra.count, rb.count, sizeof(ra.count));
    assert_int_equal(ra.whistles, rb.whistles);
    assert_int_equal(ra.overdue, rb.overdue);
    assert_int_equal(ra.reworks, rb.reworks);
    case_list la = all_cases(a), lb = all_cases(b);
    assert_int_equal(la.n, lb.n);
    for (int i = 0; i < la.n; i++) {
        const store_case *x = &la.items[i], *y = &lb.items[i];
        assert_int_equal(x->id, y->id);
        assert_string_equal(x->status, y->status);
        assert_string_equal(x->category, y->category);
        assert_string_equal(x->grid, y->grid);
        assert_string_equal(x->department, y->department);
        assert_string_equal(x->description, y->description);
        assert_int_equal(x->reported_at, y->reported_at);
        assert_int_equal(x->updated_at, y->updated_at);
        assert_int_equal(x->satisfaction, y->satisfaction);
    }
    free(la.items);
    free(lb.items);
    fixture_free(a);
    fixture_free(b);
}

static void test_refusals(void **state)
{
    (void)state;
    fixture *f = fixture_new(false);
    demo_cases_result res;
    wg_why why;
    assert_int_equal(run(f, 0, &res, &why), WG_ERR_INVALID);
    assert_int_equal(run(f, DEMO_CASES_MAX + 1, &res, &why), WG_ERR_INVALID);
    /* No catalogue: nothing to report. */
    assert_int_equal(run(f, 10, &res, &why), WG_ERR_INVALID);
    assert_non_null(strstr(why.msg, "catalogue"));
    fixture_free(f);
}

/* A small n still makes every state. */
static void test_small(void **state)
{
    (void)state;
    fixture *f = fixture_new(true);
    demo_cases_result res;
    run_ok(f, 30, &res);
    assert_int_equal(res.total, 30);
    for (int st = 0; st < CS_COUNT; st++)
        if (res.count[st] < 1)
            fail_msg("n = 30: no case ends %s", cases_status_name((case_status)st));
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_state),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
