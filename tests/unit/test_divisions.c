#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "core/divisions.h"
#include "util/csv.h"
#include "store/store.h"

typedef struct {
    char dir[64];
    char src[96]; /* the CSV files */
    store *s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    fx_tmpdir(f->dir, sizeof(f->dir), "divisions");
    snprintf(f->src, sizeof(f->src), "%s/dist", f->dir);
    f->s = fx_store(f->dir, "t.db");
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

/* ---- parsing ---- */

#define MAX_ROWS 16

typedef struct {
    int n;
    int line[MAX_ROWS];
    int nfields[MAX_ROWS];
    char fields[MAX_ROWS][CSV_MAX_FIELDS][64];
    int stop_after; /* 0: never */
} rows;

static int collect(void *ctx, int line, int nfields, char **f)
{
    rows *r = ctx;
    assert_true(r->n < MAX_ROWS);
    r->line[r->n] = line;
    r->nfields[r->n] = nfields;
    for (int i = 0; i < nfields && i < CSV_MAX_FIELDS; i++)
        snprintf(r->fields[r->n][i], sizeof(r->fields[0][0]), "%s", f[i]);
    r->n++;
    return r->stop_after && r->n >= r->stop_after;
}

static wg_err parse(const char *text, rows *r)
{
    memset(r, 0, sizeof(*r));
    return csv_each(text, strlen(text), collect, r);
}

static void test_parse_quotes(void **state)
{
    (void)state;
    rows r;
    const char *text = "code,name\n"
                       "41,\"河南省, 郑州\"\n"
                       "42,\"say \"\"hi\"\"\",x\n"
                       "43,,\"\"\n"
                       "\"44\",\"a,\"\"b\"\",c\"";
    assert_int_equal(parse(text, &r), WG_OK);
    assert_int_equal(r.n, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(r.line[i], i + 1);
    assert_int_equal(r.nfields[0], 2);
    assert_string_equal(r.fields[0][0], "code");
    assert_string_equal(r.fields[0][1], "name");
    assert_int_equal(r.nfields[1], 2);
    assert_string_equal(r.fields[1][0], "41");
    assert_string_equal(r.fields[1][1], "河南省, 郑州");
    assert_int_equal(r.nfields[2], 3);
    assert_string_equal(r.fields[2][1], "say \"hi\"");
    assert_string_equal(r.fields[2][2], "x");
    /* Empty fields, quoted or not, are empty strings. */
    assert_int_equal(r.nfields[3], 3);
    assert_string_equal(r.fields[3][1], "");
    assert_string_equal(r.fields[3][2], "");
    /* The last row needs no newline. */
    assert_int_equal(r.nfields[4], 2);
    assert_string_equal(r.fields[4][0], "44");
    assert_string_equal(r.fields[4][1], "a,\"b\",c");

    /* CRLF line ends. */
    assert_int_equal(parse("code,name\r\n41,\"河南省\"\r\n42,x\r\n", &r), WG_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.line[2], 3);
    assert_string_equal(r.fields[1][1], "河南省");
    assert_string_equal(r.fields[2][1], "x");

    /* Empty input: no rows. */
    assert_int_equal(parse("", &r), WG_OK);
    assert_int_equal(r.n, 0);
}

static void test_parse_limits(void **state)
{
    (void)state;
    rows r;
    /* More than CSV_MAX_FIELDS fields: reported as -1; exactly that many
     * is fine. */
    char wide[512] = "a,b\n", exact[512] = "";
    for (int i = 1; i <= CSV_MAX_FIELDS + 1; i++)
        snprintf(wide + strlen(wide), sizeof(wide) - strlen(wide), "%d%s", i,
                 i <= CSV_MAX_FIELDS ? "," : "\nc,d\n");
    for (int i = 1; i <= CSV_MAX_FIELDS; i++)
        snprintf(exact + strlen(exact), sizeof(exact) - strlen(exact), "%d%s", i,
                 i < CSV_MAX_FIELDS ? "," : "\n");
    assert_int_equal(parse(wide, &r), WG_OK);
    assert_int_equal(r.n, 3);
    assert_int_equal(r.nfields[1], -1);
    assert_int_equal(r.nfields[2], 2);
    assert_string_equal(r.fields[2][0], "c");
    assert_int_equal(parse(exact, &r), WG_OK);
    assert_int_equal(r.nfields[0], CSV_MAX_FIELDS);
    assert_string_equal(r.fields[0][7], "8");

    /* A non-zero return stops the rows. */
    memset(&r, 0, sizeof(r));
    r.stop_after = 2;
    const char *t = "a\nb\nc\nd\n";
    assert_int_equal(csv_each(t, strlen(t), collect, &r), WG_OK);
    assert_int_equal(r.n, 2);

    /* Broken CSV: a quote inside a bare field; text after a closing quote. */
    assert_int_equal(parse("a,b\n41,河\"南\n", &r), WG_ERR_INVALID);
    assert_int_equal(parse("a,b\n41,\"河南\"省\n", &r), WG_ERR_INVALID);

    /* A long field is cut, not overrun. */
    static char big[CSV_FIELD_MAX + 200];
    memset(big, 'x', CSV_FIELD_MAX + 100);
    memcpy(big + CSV_FIELD_MAX + 100, ",y\n", 4);
    assert_int_equal(parse(big, &r), WG_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.nfields[0], 2);
    assert_string_equal(r.fields[0][1], "y");
}

/* divisions.h: the callback gets "its line number", and the import's
 * messages are "file:line". A blank line or a quoted line break must not
 * shift the numbers of the rows after it. */
static void test_parse_line_numbers(void **state)
{
    (void)state;
    rows r;
    assert_int_equal(parse("code,name\n41,a\n\n42,b\n", &r), WG_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.fields[2][0], "42");
    int blank = r.line[2];
    assert_int_equal(parse("code,name\n41,\"a\nb\"\n42,c\n", &r), WG_OK);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.fields[1][1], "a\nb");
    assert_string_equal(r.fields[2][0], "42");
    int quoted = r.line[2];
    assert_int_equal(blank, 4);
    assert_int_equal(quoted, 4);
}

/* ---- importing ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

#define VILLAGES_HEADER "code,name,streetCode,provinceCode,cityCode,areaCode\n"
#define VILLAGES_OK                                                                                 \
    VILLAGES_HEADER "410102008004,\"汝河小区社区居民委员会\",410102008,41,4101,410102\n" \
                    "410102008017,\"澜景社区\",410102008,41,4101,410102\n"

/* The package's layout, a slice of the real tables (tests/api/import). */
static void fixture_files(fixture *f, const char *villages)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s", f->src);
    assert_int_equal(system(cmd), 0);
    write_file(f->src, "provinces.csv", "code,name\n41,\"河南省\"\n");
    write_file(f->src, "cities.csv", "code,name,provinceCode\n4101,\"郑州市\",41\n");
    write_file(f->src, "areas.csv", "code,name,cityCode,provinceCode\n410102,\"中原区\",4101,41\n");
    write_file(f->src, "streets.csv",
               "code,name,areaCode,provinceCode,cityCode\n"
               "410102008,\"汝河路街道\",410102,41,4101\n"
               "410102009,\"桐柏路街道\",410102,41,4101\n");
    write_file(f->src, "villages.csv", villages);
}

static int64_t count(fixture *f)
{
    int64_t n = -1;
    assert_int_equal(store_division_count(f->s, &n), WG_OK);
    return n;
}

static bool has_msg(const divisions_report *rep, const char *text)
{
    for (int i = 0; i < rep->nmsgs; i++)
        if (strcmp(rep->msgs[i], text) == 0)
            return true;
    return false;
}

static void test_import(void **state)
{
    fixture *f = *state;
    fixture_files(f, VILLAGES_OK);
    divisions_report rep;
    char *out = NULL;
    size_t outlen = 0;
    FILE *progress = open_memstream(&out, &outlen);
    assert_non_null(progress);
    assert_int_equal(divisions_import(f->s, f->src, progress, &rep), WG_OK);
    fclose(progress);
    assert_int_equal(rep.rows, 7);
    assert_int_equal(rep.bad, 0);
    assert_int_equal(rep.nmsgs, 0);
    assert_int_equal(count(f), 7);
    assert_non_null(strstr(out, "provinces.csv: 1 rows\n"));
    assert_non_null(strstr(out, "streets.csv: 2 rows\n"));
    assert_non_null(strstr(out, "villages.csv: 2 rows\n"));
    free(out);

    static const struct {
        const char *code, *name, *level, *parent;
    } want[] = {
        {"41", "河南省", "province", ""},
        {"4101", "郑州市", "city", "41"},
        {"410102", "中原区", "county", "4101"},
        {"410102008", "汝河路街道", "township", "410102"},
        {"410102009", "桐柏路街道", "township", "410102"},
        {"410102008004", "汝河小区社区居民委员会", "committee", "410102008"},
        {"410102008017", "澜景社区", "committee", "410102008"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        store_division d;
        assert_int_equal(store_division_get(f->s, want[i].code, &d), WG_OK);
        assert_string_equal(d.name, want[i].name);
        assert_string_equal(d.level, want[i].level);
        assert_string_equal(d.parent, want[i].parent);
    }

    /* Again, with a renamed committee: names change, nothing else. */
    fixture_files(f, VILLAGES_HEADER "410102008004,\"汝河小区社区\",410102008,41,4101,410102\n"
                                     "410102008017,\"澜景社区\",410102008,41,4101,410102\n");
    assert_int_equal(divisions_import(f->s, f->src, NULL, &rep), WG_OK);
    assert_int_equal(rep.rows, 7);
    assert_int_equal(count(f), 7);
    store_division d;
    assert_int_equal(store_division_get(f->s, "410102008004", &d), WG_OK);
    assert_string_equal(d.name, "汝河小区社区");
    assert_string_equal(d.parent, "410102008");
    assert_int_equal(store_begin(f->s), WG_OK); /* no transaction left open */
    assert_int_equal(store_commit(f->s), WG_OK);
}

static void test_import_bad_rows(void **state)
{
    fixture *f = *state;
    fixture_files(f, VILLAGES_OK "41010200801,\"短代码\",410102008,41,4101,410102\n"
                                 "410102099001,\"没有上级\",410102099,41,4101,410102\n"
                                 "410102009001,\"不相符\",410102008,41,4101,410102\n"
                                 "410102008020,,410102008,41,4101,410102\n"
                                 "410102008021,\"少一列\",410102008,41,4101\n"
                                 "410102008022,\"多\",410102008,41,4101,410102,x\n"
                                 "4101020080a3,\"字母\",410102008,41,4101,410102\n");
    divisions_report rep;
    memset(&rep, 0x55, sizeof(rep));
    assert_int_equal(divisions_import(f->s, f->src, NULL, &rep), WG_ERR_INVALID);
    assert_int_equal(rep.rows, 14);
    assert_int_equal(rep.bad, 7);
    assert_int_equal(rep.nmsgs, 7);
    static const char *msgs[] = {
        "villages.csv:4: code '41010200801' must have 12 digits",
        "villages.csv:5: parent 410102099 of 410102099001 is not among the divisions",
        "villages.csv:6: code 410102009001 does not extend its parent code '410102008'",
        "villages.csv:7: code 410102008020 has no name",
        "villages.csv:8: 5 fields, expected 6",
        "villages.csv:9: 7 fields, expected 6",
        "villages.csv:10: code '4101020080a3' must have 12 digits",
    };
    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
        if (!has_msg(&rep, msgs[i]))
            fail_msg("missing \"%s\" (first: \"%s\")", msgs[i], rep.nmsgs ? rep.msgs[0] : "");
    /* Nothing at all was imported, not even the good files. */
    assert_int_equal(count(f), 0);
    store_division d;
    assert_int_equal(store_division_get(f->s, "41", &d), WG_ERR_NOT_FOUND);
    assert_int_equal(store_begin(f->s), WG_OK);
    assert_int_equal(store_commit(f->s), WG_OK);
}

static void test_import_many_bad(void **state)
{
    fixture *f = *state;
    char villages[8192];
    size_t n = (size_t)snprintf(villages, sizeof(villages), "%s", VILLAGES_HEADER);
    for (int i = 0; i < DIVISIONS_MAX_REPORTED + 5; i++)
        n += (size_t)snprintf(villages + n, sizeof(villages) - n,
                              "41010200%04d,\"x\",410102008,41,4101,410102\n", i);
    fixture_files(f, villages);
    divisions_report rep;
    assert_int_equal(divisions_import(f->s, f->src, NULL, &rep), WG_ERR_INVALID);
    assert_int_equal(rep.bad, DIVISIONS_MAX_REPORTED + 5);
    assert_int_equal(rep.nmsgs, DIVISIONS_MAX_REPORTED);
    assert_int_equal(rep.rows, 5 + DIVISIONS_MAX_REPORTED + 5);
    assert_string_equal(rep.msgs[0],
                        "villages.csv:2: code 410102000000 does not extend its parent code "
                        "'410102008'");
    assert_int_equal(count(f), 0);
}

static void test_import_headers_and_csv(void **state)
{
    fixture *f = *state;
    divisions_report rep;
    /* A wrong header. */
    fixture_files(f, "code,name,street,provinceCode,cityCode,areaCode\n"
                     "410102008004,\"汝河\",410102008,41,4101,410102\n");
    assert_int_equal(divisions_import(f->s, f->src, NULL, &rep), WG_ERR_INVALID);
    assert_int_equal(rep.bad, 1);
    assert_string_equal(rep.msgs[0], "villages.csv:1: header is "
                                     "'code,name,street,provinceCode,cityCode,areaCode', expected "
                                     "'code,name,streetCode,provinceCode,cityCode,areaCode'");
    assert_int_equal(count(f), 0);

    /* Broken CSV. */
    fixture_files(f, VILLAGES_OK "410102008030,\"汝河\"路,410102008,41,4101,410102\n");
    assert_int_equal(divisions_import(f->s, f->src, NULL, &rep), WG_ERR_INVALID);
    assert_true(rep.bad >= 1);
    bool found = false;
    for (int i = 0; i < rep.nmsgs; i++)
        found |= strstr(rep.msgs[i], "villages.csv is not valid CSV") != NULL;
    assert_true(found);
    assert_int_equal(count(f), 0);

    /* A missing parent further up: a city whose province is not there. */
    fixture_files(f, VILLAGES_OK);
    write_file(f->src, "cities.csv",
               "code,name,provinceCode\n4101,\"郑州市\",41\n4201,\"武汉市\",42\n");
    assert_int_equal(divisions_import(f->s, f->src, NULL, &rep), WG_ERR_INVALID);
    assert_int_equal(rep.bad, 1);
    assert_string_equal(rep.msgs[0], "cities.csv:3: parent 42 of 4201 is not among the divisions");
    assert_int_equal(count(f), 0);
}

static void test_import_missing(void **state)
{
    fixture *f = *state;
    divisions_report rep;
    char nowhere[128];
    snprintf(nowhere, sizeof(nowhere), "%s/nowhere", f->dir);
    assert_int_equal(divisions_import(f->s, nowhere, NULL, &rep), WG_ERR_IO);
    assert_int_equal(rep.nmsgs, 1);
    assert_non_null(strstr(rep.msgs[0], "cannot read"));
    assert_non_null(strstr(rep.msgs[0], "nowhere/provinces.csv"));
    assert_int_equal(count(f), 0);

    /* The last file missing: the first four are not kept either. */
    fixture_files(f, VILLAGES_OK);
    char path[160];
    snprintf(path, sizeof(path), "%s/villages.csv", f->src);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(divisions_import(f->s, f->src, NULL, &rep), WG_ERR_IO);
    assert_non_null(strstr(rep.msgs[0], "villages.csv"));
    assert_int_equal(count(f), 0);
    assert_int_equal(store_begin(f->s), WG_OK);
    assert_int_equal(store_commit(f->s), WG_OK);
}

/* A quoted field left open at the end of a file is broken CSV (a cut-off
 * download), not a field that runs to the end. */
static void test_unterminated_quote(void **state)
{
    fixture *f = *state;
    rows r;
    wg_err parsed = parse("a,b\n41,\"河南省\n", &r);

    /* In the import: the open quote is in a column nobody checks. */
    fixture_files(f, VILLAGES_OK "410102008030,\"x\",410102008,41,4101,\"410102\n");
    divisions_report rep;
    wg_err imported = divisions_import(f->s, f->src, NULL, &rep);
    int64_t n = count(f);
    assert_int_equal(parsed, WG_ERR_INVALID);
    assert_int_equal(imported, WG_ERR_INVALID);
    assert_int_equal(n, 0);
}

/* A directory where villages.csv should be: a read error naming the file
 * and saying why. (read_file takes ftell's LONG_MAX for a directory as its
 * size and asks malloc for 8 EiB: "Cannot allocate memory", and under ASan
 * an abort, which is why this test runs last.) */
static void test_import_dir_as_file(void **state)
{
    fixture *f = *state;
    fixture_files(f, VILLAGES_OK);
    char path[160];
    snprintf(path, sizeof(path), "%s/villages.csv", f->src);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    divisions_report rep;
    memset(&rep, 0, sizeof(rep));
    assert_int_equal(divisions_import(f->s, f->src, NULL, &rep), WG_ERR_IO);
    assert_int_equal(count(f), 0);
    assert_non_null(strstr(rep.msgs[0], "villages.csv"));
    if (!strstr(rep.msgs[0], "irectory"))
        fail_msg("the message does not say it is a directory: %s", rep.msgs[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_quotes),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_parse_line_numbers),
        cmocka_unit_test_setup_teardown(test_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_bad_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_many_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_headers_and_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unterminated_quote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_dir_as_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
