#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ledgers.h"

/* Every declaration shipped in share/ledgers is accepted. */
static void test_shipped_kinds_parse(void **state)
{
    (void)state;
    const char *root = getenv("WG_SOURCE_ROOT");
    assert_non_null(root);
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/share/ledgers", root);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char text[256 * 1024];
        size_t len = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[len] = '\0';
        ledger_kind *k = NULL;
        wg_why why = {0};
        if (ledger_kind_parse(text, &k, &why) != WG_OK)
            fail_msg("%s: %s", de->d_name, why.msg);
        char want[64];
        snprintf(want, sizeof(want), "%.*s", (int)(l - 5), de->d_name);
        assert_string_equal(ledger_kind_code(k), want);
        ledger_kind_free(k);
        n++;
    }
    closedir(d);
    assert_true(n >= 8);
}

#define BASE                                                                                      \
    "\"code\": \"t\", \"name\": \"测试\","                                                          \
    " \"fields\": [{\"name\": \"n\", \"label\": \"数\", \"type\": \"number\"},"                     \
    " {\"name\": \"on\", \"label\": \"日\", \"type\": \"date\"},"                                   \
    " {\"name\": \"e\", \"label\": \"类\", \"type\": \"enum\", \"values\": [[\"a\", \"甲\"]]}],"      \
    " \"states\": [[\"s1\", \"一\"], [\"s2\", \"二\"]], \"initial\": \"s1\", \"done\": [\"s2\"]"

/* A declaration that breaks a rule is refused, naming the part. */
static void test_bad_declarations(void **state)
{
    (void)state;
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"[1]", NULL},
        {"{\"code\": \"T!\", \"name\": \"x\"}", "code"},
        {"{" BASE ", \"actions\": [{\"action\": \"go\", \"label\": \"走\", \"from\": [\"s1\"],"
         " \"to\": \"s3\", \"roles\": [\"admin\"]}]}",
         "actions"},
        {"{" BASE ", \"actions\": [{\"action\": \"go\", \"label\": \"走\", \"from\": [\"s1\"],"
         " \"to\": \"s2\", \"roles\": [\"wizard\"]}]}",
         "actions"},
        {"{" BASE ", \"actions\": [], \"deadline\": {\"field\": \"n\"}}", "deadline"},
        {"{" BASE ", \"actions\": [], \"kpis\": [{\"name\": \"k\", \"label\": \"k\", \"sum\": \"e\"}]}",
         "kpis"},
        {"{" BASE ", \"actions\": [], \"kpis\": [{\"name\": \"r\", \"label\": \"r\", \"ratio\":"
         " {\"num\": \"c\", \"den\": [\"c\"]}}, {\"name\": \"c\", \"label\": \"c\", \"count\": {}}]}",
         "kpis"},
        {"{" BASE ", \"actions\": [], \"kpis\": [{\"name\": \"c\", \"label\": \"c\", \"count\":"
         " {\"status\": \"s9\"}}]}",
         "kpis"},
        {"{\"code\": \"t\", \"name\": \"t\", \"fields\": [{\"name\": \"n\", \"label\": \"n\","
         " \"type\": \"text\"}], \"states\": [[\"s1\", \"一\"]], \"initial\": \"s9\","
         " \"done\": [], \"actions\": []}",
         "initial"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ledger_kind *k = NULL;
        wg_why why = {0};
        wg_err e = ledger_kind_parse(bad[i].json, &k, &why);
        if (e == WG_OK)
            fail_msg("accepted: %s", bad[i].json);
        assert_null(k);
        if (bad[i].field)
            assert_string_equal(why.field ? why.field : "", bad[i].field);
    }
    /* and the same with its parts right is accepted */
    ledger_kind *k = NULL;
    wg_why why = {0};
    const char *good =
        "{" BASE ", \"deadline\": {\"field\": \"on\", \"days\": 3}, \"actions\": [{\"action\":"
        " \"go\", \"label\": \"走\", \"from\": [\"s1\"], \"to\": \"s2\", \"roles\": [\"admin\"]},"
        " {\"action\": \"visit\", \"label\": \"回访\", \"from\": [\"s2\"], \"to\": null, \"roles\":"
        " [\"grid_member\"]}], \"kpis\": [{\"name\": \"c\", \"label\": \"c\", \"count\": {}},"
        " {\"name\": \"d\", \"label\": \"d\", \"count\": {\"status\": [\"s2\"], \"field\": {\"e\":"
        " \"a\"}}}, {\"name\": \"r\", \"label\": \"r\", \"ratio\": {\"num\": \"d\", \"den\":"
        " [\"c\", \"-d\"]}}]}";
    if (ledger_kind_parse(good, &k, &why) != WG_OK)
        fail_msg("refused: %s", why.msg);
    assert_string_equal(ledger_kind_name(k), "测试");
    ledger_kind_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_kinds_parse),
        cmocka_unit_test(test_bad_declarations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
