#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "core/catalogue.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/log.h"

#define HEADER                                                                                     \
    "code,kind,major,minor,fine,name_zh,name_en,department,file,dispatch,acknowledge,handle,"      \
    "verify,urgent_percent\n"

typedef struct {
    char dir[64];
    store *s;
} fixture;

static void department(store *s, const char *code, const char *name)
{
    store_department d;
    memset(&d, 0, sizeof(d));
    snprintf(d.code, sizeof(d.code), "%s", code);
    snprintf(d.name, sizeof(d.name), "%s", name);
    snprintf(d.kind, sizeof(d.kind), "department");
    int64_t id = 0;
    assert_int_equal(store_department_insert(s, &d, &id), WG_OK);
    assert_true(id > 0);
}

/* A fresh, migrated store at dir/name with the departments the catalogues
 * below name. */
static store *open_store(const char *dir, const char *name)
{
    store *s = fx_store(dir, name);
    department(s, "chengguan", "城管局");
    department(s, "wuye", "物业");
    department(s, "gongan", "公安");
    department(s, "zhujian", "住建局");
    return s;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    fx_tmpdir(f->dir, sizeof(f->dir), "catalogue");
    f->s = open_store(f->dir, "t.db");
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

static int64_t count(store *s)
{
    int64_t n = -1;
    assert_int_equal(store_category_count(s, &n), WG_OK);
    return n;
}

/* Import csv in one transaction, committed when good and rolled back when
 * not, as the CLI does. */
static wg_err import(store *s, const char *csv, catalogue_report *rep)
{
    assert_int_equal(store_begin(s), WG_OK);
    wg_err e = catalogue_import(s, csv, strlen(csv), rep);
    if (e)
        store_rollback(s);
    else
        assert_int_equal(store_commit(s), WG_OK);
    return e;
}

/* Message i of rep must start "line N: ". */
static void expect_line(const catalogue_report *rep, int i, int line)
{
    char prefix[16];
    snprintf(prefix, sizeof(prefix), "line %d: ", line);
    if (i >= rep->nmsgs || strncmp(rep->msgs[i], prefix, strlen(prefix)) != 0)
        fail_msg("message %d: '%s', want it to start '%s'", i, i < rep->nmsgs ? rep->msgs[i] : "-",
                 prefix);
}

/* ---- limits ---- */

static void test_limit_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int n;
        char unit;
    } good[] = {{"30m", 30, 'm'}, {"4h", 4, 'h'},       {"3d", 3, 'd'},
                {"1m", 1, 'm'},   {"9999d", 9999, 'd'}, {"015m", 15, 'm'}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cat_limit l = {0};
        if (!catalogue_limit_parse(good[i].in, &l))
            fail_msg("'%s' refused", good[i].in);
        assert_int_equal(l.n, good[i].n);
        assert_int_equal(l.unit, good[i].unit);
    }
    static const char *const bad[] = {"",    "m",   "4x",  "4",  "0m",   "10000m", "-1h", "4H",
                                      "4 h", " 4h", "4hh", "h4", "1.5h", "0d",     "4s",  "99999d"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cat_limit l = {.n = 77, .unit = 'q'};
        if (catalogue_limit_parse(bad[i], &l))
            fail_msg("'%s' accepted as %d%c", bad[i], l.n, l.unit);
    }
    cat_limit l;
    assert_false(catalogue_limit_parse(NULL, &l));
}

static void test_step_names(void **state)
{
    (void)state;
    assert_string_equal(catalogue_step_name(STEP_FILE), "file");
    assert_string_equal(catalogue_step_name(STEP_DISPATCH), "dispatch");
    assert_string_equal(catalogue_step_name(STEP_ACKNOWLEDGE), "acknowledge");
    assert_string_equal(catalogue_step_name(STEP_HANDLE), "handle");
    assert_string_equal(catalogue_step_name(STEP_VERIFY), "verify");
    assert_string_equal(catalogue_step_name(STEP_COUNT), "?");
    assert_string_equal(catalogue_step_name((case_step)-1), "?");
}

/* ---- import ---- */

static const char good_csv[] =
    HEADER "E0504,event,05,04,,暴露垃圾,\"Exposed garbage, street\",chengguan,30m,30m,1h,4h,1h,25\n"
           "C0101,component,01,01,03,井盖,Manhole cover,zhujian,10m,10m,30m,2h,1h,50\n"
           "E0404,event,04,04,,乱堆物堆料,Piled materials,chengguan,30m,30m,1h,2d,2h,100\n";

static void test_import_good(void **state)
{
    fixture *f = *state;
    catalogue_report rep;
    memset(&rep, 0x5a, sizeof(rep));
    assert_int_equal(import(f->s, good_csv, &rep), WG_OK);
    assert_int_equal(rep.rows, 3);
    assert_int_equal(rep.bad, 0);
    assert_int_equal(rep.nmsgs, 0);
    assert_int_equal(count(f->s), 3);

    store_category k;
    assert_int_equal(store_category_get(f->s, "E0504", &k), WG_OK);
    assert_string_equal(k.code, "E0504");
    assert_string_equal(k.kind, "event");
    assert_string_equal(k.major, "05");
    assert_string_equal(k.minor, "04");
    assert_string_equal(k.fine, "");
    assert_string_equal(k.name_zh, "暴露垃圾");
    /* The quoted field keeps its comma. */
    assert_string_equal(k.name_en, "Exposed garbage, street");
    assert_string_equal(k.department, "chengguan");
    assert_string_equal(k.limit[STEP_FILE], "30m");
    assert_string_equal(k.limit[STEP_DISPATCH], "30m");
    assert_string_equal(k.limit[STEP_ACKNOWLEDGE], "1h");
    assert_string_equal(k.limit[STEP_HANDLE], "4h");
    assert_string_equal(k.limit[STEP_VERIFY], "1h");
    assert_int_equal(k.urgent_percent, 25);

    assert_int_equal(store_category_get(f->s, "C0101", &k), WG_OK);
    assert_string_equal(k.kind, "component");
    assert_string_equal(k.fine, "03");
    assert_string_equal(k.department, "zhujian");
    assert_int_equal(k.urgent_percent, 50);
    assert_int_equal(store_category_get(f->s, "E0404", &k), WG_OK);
    assert_string_equal(k.limit[STEP_HANDLE], "2d");
    assert_int_equal(k.urgent_percent, 100);
    assert_int_equal(store_category_get(f->s, "E9999", &k), WG_ERR_NOT_FOUND);
}

static void test_import_upsert(void **state)
{
    fixture *f = *state;
    catalogue_report rep;
    assert_int_equal(import(f->s, good_csv, &rep), WG_OK);
    assert_int_equal(count(f->s), 3);
    /* The same codes again, changed: updated in place, nothing added. */
    static const char again[] =
        HEADER "E0504,event,05,04,01,暴露垃圾（更新）,Exposed garbage,wuye,10m,20m,2h,1d,3h,50\n";
    assert_int_equal(import(f->s, again, &rep), WG_OK);
    assert_int_equal(rep.rows, 1);
    assert_int_equal(count(f->s), 3);
    store_category k;
    assert_int_equal(store_category_get(f->s, "E0504", &k), WG_OK);
    assert_string_equal(k.fine, "01");
    assert_string_equal(k.name_zh, "暴露垃圾（更新）");
    assert_string_equal(k.name_en, "Exposed garbage");
    assert_string_equal(k.department, "wuye");
    assert_string_equal(k.limit[STEP_FILE], "10m");
    assert_string_equal(k.limit[STEP_DISPATCH], "20m");
    assert_string_equal(k.limit[STEP_ACKNOWLEDGE], "2h");
    assert_string_equal(k.limit[STEP_HANDLE], "1d");
    assert_string_equal(k.limit[STEP_VERIFY], "3h");
    assert_int_equal(k.urgent_percent, 50);
    /* The others are untouched. */
    assert_int_equal(store_category_get(f->s, "C0101", &k), WG_OK);
    assert_string_equal(k.name_en, "Manhole cover");
}

static void test_import_header_only(void **state)
{
    fixture *f = *state;
    catalogue_report rep;
    assert_int_equal(import(f->s, HEADER, &rep), WG_OK);
    assert_int_equal(rep.rows, 0);
    assert_int_equal(rep.bad, 0);
    assert_int_equal(count(f->s), 0);
    /* Empty input: nothing to do, nothing wrong. */
    assert_int_equal(import(f->s, "", &rep), WG_OK);
    assert_int_equal(rep.rows, 0);
    assert_int_equal(count(f->s), 0);
}

/* Every bad row is reported with its line, and nothing is written: the
 * good row on line 2 goes with the rollback. */
static void test_import_bad_rows(void **state)
{
    fixture *f = *state;
    static const char csv[] = HEADER                                 /* 1 */
        "E0101,event,01,01,,甲,A,chengguan,30m,30m,1h,4h,1h,25\n"    /* 2 */
        "E0102,incident,01,02,,乙,B,chengguan,30m,30m,1h,4h,1h,25\n" /* 3 */
        "X0103,event,01,03,,丙,C,chengguan,30m,30m,1h,4h,1h,25\n"    /* 4 */
        "E0104,event,01,04,,丁,D,,30m,30m,1h,4h,1h,25\n"             /* 5 */
        "E0105,event,01,05,,戊,E,nosuch,30m,30m,1h,4h,1h,25\n"       /* 6 */
        "E0106,event,01,06,,己,F,chengguan,30m,30m,1h,4x,1h,25\n"    /* 7 */
        "E0107,event,01,07,,庚,G,chengguan,30m,30m,1h,4h,1h,0\n"     /* 8 */
        "C0108,event,01,08,,辛,H,chengguan,30m,30m,1h,4h,1h,25\n"    /* 9 */
        "E1,event,01,09,,壬,I,chengguan,30m,30m,1h,4h,1h,25\n"       /* 10 */
        "E0110,event,,10,,癸,J,chengguan,30m,30m,1h,4h,1h,25\n"      /* 11 */
        "E0111,event,01,11,,子,K,chengguan,30m,30m,1h,4h,1h,101\n"   /* 12 */
        "E0112,event,01,12,,丑,L,chengguan,30m,30m,1h,4h,1h\n"       /* 13 */
        "E0113,event,01,13,,寅,,chengguan,30m,30m,1h,4h,1h,25\n";    /* 14 */
    static const struct {
        int line;
        const char *has;
    } want[] = {
        {3, "kind 'incident'"},
        {4, "code 'X0103'"},
        {5, "department is empty"},
        {6, "'nosuch' does not exist"},
        {7, "'4x'"},
        {8, "urgent_percent '0'"},
        {9, "code 'C0108'"},
        {10, "code 'E1'"},
        {11, "major is empty"},
        {12, "urgent_percent '101'"},
        {13, "expected 14 fields"},
        {14, "name_en is empty"},
    };
    const int nwant = (int)(sizeof(want) / sizeof(want[0]));
    catalogue_report rep;
    assert_int_equal(store_begin(f->s), WG_OK);
    wg_err e = catalogue_import(f->s, csv, strlen(csv), &rep);
    store_rollback(f->s);
    assert_int_equal(e, WG_ERR_INVALID);
    assert_int_equal(rep.rows, 13);
    assert_int_equal(rep.bad, nwant);
    assert_int_equal(rep.nmsgs, nwant);
    for (int i = 0; i < nwant; i++) {
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "line %d: ", want[i].line);
        if (strncmp(rep.msgs[i], prefix, strlen(prefix)) != 0 || !strstr(rep.msgs[i], want[i].has))
            fail_msg("message %d: '%s', want '%s...%s'", i, rep.msgs[i], prefix, want[i].has);
    }
    assert_int_equal(count(f->s), 0);
    store_category k;
    assert_int_equal(store_category_get(f->s, "E0101", &k), WG_ERR_NOT_FOUND);
}

/* One bad row among good ones: still nothing written once rolled back, and
 * the earlier catalogue stays as it was. */
static void test_import_all_or_nothing(void **state)
{
    fixture *f = *state;
    catalogue_report rep;
    assert_int_equal(import(f->s, good_csv, &rep), WG_OK);
    static const char csv[] = HEADER "E0504,event,05,04,,改名,Renamed,wuye,30m,30m,1h,4h,1h,25\n"
                                     "E0601,event,06,01,,新,New,chengguan,30m,30m,1h,4h,1h,25\n"
                                     "E0602,event,06,02,,坏,Bad,chengguan,30m,30m,1h,4h,1h,0\n";
    assert_int_equal(import(f->s, csv, &rep), WG_ERR_INVALID);
    assert_int_equal(rep.bad, 1);
    assert_int_equal(rep.nmsgs, 1);
    expect_line(&rep, 0, 4);
    assert_int_equal(count(f->s), 3);
    store_category k;
    assert_int_equal(store_category_get(f->s, "E0504", &k), WG_OK);
    assert_string_equal(k.name_zh, "暴露垃圾");
    assert_string_equal(k.department, "chengguan");
    assert_int_equal(store_category_get(f->s, "E0601", &k), WG_ERR_NOT_FOUND);
}

static void test_import_header(void **state)
{
    fixture *f = *state;
    catalogue_report rep;
    /* Columns out of order: the header is refused, on line 1. */
    static const char csv[] =
        "code,major,kind,minor,fine,name_zh,name_en,department,file,dispatch,acknowledge,handle,"
        "verify,urgent_percent\n"
        "E0101,event,01,01,,甲,A,chengguan,30m,30m,1h,4h,1h,25\n";
    assert_int_equal(import(f->s, csv, &rep), WG_ERR_INVALID);
    assert_true(rep.nmsgs >= 1);
    expect_line(&rep, 0, 1);
    assert_non_null(strstr(rep.msgs[0], "header"));
    assert_int_equal(count(f->s), 0);
}

/* Lines are physical lines: a quoted field spanning two lines and a blank
 * line both count. */
static void test_import_line_numbers(void **state)
{
    fixture *f = *state;
    static const char csv[] = HEADER                                             /* 1 */
        "E0201,event,02,01,,两行,\"two\nlines\",chengguan,30m,30m,1h,4h,1h,25\n" /* 2-3 */
        "E0202,event,02,02,,坏,Bad,chengguan,30m,30m,1h,4h,1h,0\n"               /* 4 */
        "\n"                                                                     /* 5 */
        "E0203,event,02,03,,坏,Bad,chengguan,30m,30m,1h,4h,1h,-5\n";             /* 6 */
    catalogue_report rep;
    assert_int_equal(import(f->s, csv, &rep), WG_ERR_INVALID);
    assert_int_equal(rep.rows, 3);
    assert_int_equal(rep.bad, 2);
    assert_int_equal(rep.nmsgs, 2);
    expect_line(&rep, 0, 4);
    expect_line(&rep, 1, 6);
    assert_int_equal(count(f->s), 0);

    /* CRLF line ends and a good multi-line field. */
    static const char crlf[] =
        "code,kind,major,minor,fine,name_zh,name_en,department,file,dispatch,acknowledge,handle,"
        "verify,urgent_percent\r\n"
        "E0201,event,02,01,,两行,\"two\r\nlines\",chengguan,30m,30m,1h,4h,1h,25\r\n"
        "E0202,event,02,02,,坏,Bad,chengguan,30m,30m,1h,4h,1h,0\r\n";
    assert_int_equal(import(f->s, crlf, &rep), WG_ERR_INVALID);
    assert_int_equal(rep.nmsgs, 1);
    expect_line(&rep, 0, 4);
}

static void test_import_not_csv(void **state)
{
    fixture *f = *state;
    static const char csv[] =
        HEADER "E0101,event,01,01,,甲,\"unclosed,chengguan,30m,30m,1h,4h,1h,25\n";
    catalogue_report rep;
    assert_int_equal(import(f->s, csv, &rep), WG_ERR_INVALID);
    assert_true(rep.bad >= 1);
    assert_true(rep.nmsgs >= 1);
    assert_non_null(strstr(rep.msgs[rep.nmsgs - 1], "not valid CSV"));
    assert_int_equal(count(f->s), 0);
}

/* More bad rows than the report holds: all are counted, the first
 * CATALOGUE_MAX_REPORTED are told. */
static void test_import_many_bad(void **state)
{
    fixture *f = *state;
    char csv[8192];
    size_t n = (size_t)snprintf(csv, sizeof(csv), "%s", HEADER);
    for (int i = 0; i < 25; i++)
        n += (size_t)snprintf(csv + n, sizeof(csv) - n,
                              "E09%02d,event,09,%02d,,坏,Bad,chengguan,30m,30m,1h,4h,1h,0\n", i, i);
    assert_true(n < sizeof(csv));
    catalogue_report rep;
    assert_int_equal(import(f->s, csv, &rep), WG_ERR_INVALID);
    assert_int_equal(rep.rows, 25);
    assert_int_equal(rep.bad, 25);
    assert_int_equal(rep.nmsgs, CATALOGUE_MAX_REPORTED);
    expect_line(&rep, 0, 2);
    expect_line(&rep, CATALOGUE_MAX_REPORTED - 1, 21);
    assert_int_equal(count(f->s), 0);
}

/* The report full, then the CSV turns out malformed: the "not valid CSV"
 * note must not be written past msgs[CATALOGUE_MAX_REPORTED - 1]. The
 * report sits in a larger struct with a guard after it, so an overrun shows
 * as a changed guard (rather than an ASan abort of the whole run). */
static void test_import_full_report_then_bad_csv(void **state)
{
    fixture *f = *state;
    char csv[8192];
    size_t n = (size_t)snprintf(csv, sizeof(csv), "%s", HEADER);
    for (int i = 0; i < CATALOGUE_MAX_REPORTED + 2; i++)
        n += (size_t)snprintf(csv + n, sizeof(csv) - n,
                              "E09%02d,event,09,%02d,,坏,Bad,chengguan,30m,30m,1h,4h,1h,0\n", i, i);
    n += (size_t)snprintf(csv + n, sizeof(csv) - n, "E0999,event,\"unclosed\n");
    assert_true(n < sizeof(csv));
    struct {
        catalogue_report rep;
        unsigned char guard[512];
    } *g = calloc(1, sizeof(*g));
    assert_non_null(g);
    memset(g->guard, 0xa5, sizeof(g->guard));
    assert_int_equal(store_begin(f->s), WG_OK);
    wg_err e = catalogue_import(f->s, csv, strlen(csv), &g->rep);
    store_rollback(f->s);
    size_t changed = sizeof(g->guard);
    for (size_t i = 0; changed == sizeof(g->guard) && i < sizeof(g->guard); i++)
        if (g->guard[i] != 0xa5)
            changed = i;
    int nmsgs = g->rep.nmsgs, nbad = g->rep.bad;
    free(g);
    assert_int_equal(e, WG_ERR_INVALID);
    if (changed < sizeof(g->guard) || nmsgs > CATALOGUE_MAX_REPORTED)
        fail_msg("catalogue_import wrote past msgs[%d] (guard byte %zu changed): nmsgs %d",
                 CATALOGUE_MAX_REPORTED - 1, changed, nmsgs);
    assert_true(nbad >= CATALOGUE_MAX_REPORTED + 2);
}

/* A field longer than its column holds must be refused with its line, not
 * cut silently (a cut can also split a UTF-8 character). */
static void test_import_overlong_field(void **state)
{
    fixture *f = *state;
    char name[256] = "";
    for (int i = 0; i < 50; i++)
        strcat(name, "长"); /* 150 bytes; name_zh holds 127 */
    char csv[1024];
    snprintf(csv, sizeof(csv), HEADER "E0701,event,07,01,,%s,Long,chengguan,30m,30m,1h,4h,1h,25\n",
             name);
    catalogue_report rep;
    wg_err e = import(f->s, csv, &rep);
    if (e == WG_OK) {
        store_category k;
        assert_int_equal(store_category_get(f->s, "E0701", &k), WG_OK);
        if (strcmp(k.name_zh, name) != 0)
            fail_msg("name_zh of %zu bytes accepted but stored cut to %zu bytes", strlen(name),
                     strlen(k.name_zh));
    } else {
        assert_int_equal(e, WG_ERR_INVALID);
        expect_line(&rep, 0, 2);
        assert_int_equal(count(f->s), 0);
    }
}

/* ---- export ---- */

static void test_export_exact(void **state)
{
    fixture *f = *state;
    catalogue_report rep;
    static const char csv[] = HEADER
        "E0504,event,05,04,,暴露垃圾,\"Exposed garbage, street\",chengguan,30m,30m,1h,4h,1h,25\n"
        "C0101,component,01,01,03,井盖,\"Say \"\"hi\"\"\",zhujian,10m,10m,30m,2h,1h,50\n";
    assert_int_equal(import(f->s, csv, &rep), WG_OK);
    store_category k;
    assert_int_equal(store_category_get(f->s, "C0101", &k), WG_OK);
    assert_string_equal(k.name_en, "Say \"hi\"");
    wg_buf b;
    buf_init(&b, NULL, 1 << 20);
    assert_int_equal(catalogue_export(f->s, &b), WG_OK);
    /* Ordered by code; fields quoted only when they must be. */
    assert_string_equal(
        b.ptr, HEADER
        "C0101,component,01,01,03,井盖,\"Say \"\"hi\"\"\",zhujian,10m,10m,30m,2h,1h,50\n"
        "E0504,event,05,04,,暴露垃圾,\"Exposed garbage, street\",chengguan,30m,30m,1h,4h,1h,25\n");
    buf_free(&b);

    /* An empty catalogue exports its header. */
    store *s2 = open_store(f->dir, "empty.db");
    buf_init(&b, NULL, 1 << 20);
    assert_int_equal(catalogue_export(s2, &b), WG_OK);
    assert_string_equal(b.ptr, HEADER);
    buf_free(&b);
    store_close(s2);
}

/* Export, import the export elsewhere, export again: the same text. */
static void test_export_round_trip(void **state)
{
    fixture *f = *state;
    catalogue_report rep;
    static const char csv[] = HEADER
        "E0504,event,05,04,,暴露垃圾,\"Exposed garbage, street\",chengguan,30m,30m,1h,4h,1h,25\n"
        "C0101,component,01,01,03,井盖,\"Say \"\"hi\"\", then, go\",zhujian,10m,10m,30m,2h,1h,50\n"
        "E0404,event,04,04,,\"乱堆物堆料,杂物\",\"two\nlines\",chengguan,30m,30m,1h,2d,2h,100\n";
    assert_int_equal(import(f->s, csv, &rep), WG_OK);
    wg_buf a, b;
    buf_init(&a, NULL, 1 << 20);
    buf_init(&b, NULL, 1 << 20);
    assert_int_equal(catalogue_export(f->s, &a), WG_OK);

    store *s2 = open_store(f->dir, "copy.db");
    assert_int_equal(import(s2, a.ptr, &rep), WG_OK);
    assert_int_equal(rep.rows, 3);
    assert_int_equal(count(s2), 3);
    assert_int_equal(catalogue_export(s2, &b), WG_OK);
    assert_string_equal(a.ptr, b.ptr);
    store_category k1, k2;
    static const char *const codes[] = {"E0504", "C0101", "E0404"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(store_category_get(f->s, codes[i], &k1), WG_OK);
        assert_int_equal(store_category_get(s2, codes[i], &k2), WG_OK);
        assert_memory_equal(&k1, &k2, sizeof(k1));
    }
    assert_int_equal(store_category_get(s2, "E0404", &k2), WG_OK);
    assert_string_equal(k2.name_zh, "乱堆物堆料,杂物");
    assert_string_equal(k2.name_en, "two\nlines");

    /* And back into the first store: an upsert of the same rows. */
    assert_int_equal(import(f->s, b.ptr, &rep), WG_OK);
    assert_int_equal(count(f->s), 3);
    buf_reset(&a);
    assert_int_equal(catalogue_export(f->s, &a), WG_OK);
    assert_string_equal(a.ptr, b.ptr);
    buf_free(&a);
    buf_free(&b);
    store_close(s2);
}

int main(void)
{
    log_set_level(LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_parse),
        cmocka_unit_test(test_step_names),
        cmocka_unit_test_setup_teardown(test_import_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_header_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_bad_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_line_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_not_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_many_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_full_report_then_bad_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_overlong_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
