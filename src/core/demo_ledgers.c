/*
 * demo_ledgers.c - the demo's ledgers (see demo_ledgers.h).
 *
 * Entries are made through the same calls as the API (ledger_record_create
 * and ledger_record_act), as the demo's community staff, on days from
 * 2023-01-03 to 2023-04-28, spread over the micro-grids.
 */
#include "core/demo_ledgers.h"
#include "core/calendar.h"
#include "core/indicators.h"
#include "core/ledgers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GRIDS 512
#define T2023 1672502400 /* 2023-01-01 00:00 +08:00 */
#define DAY 86400

typedef struct {
    char codes[MAX_GRIDS][STORE_GRID_CODE_MAX];
    int n;
} grid_list;

static wg_err add_micro(void *ctx, const store_grid *g)
{
    grid_list *l = ctx;
    if (strcmp(g->level, "micro") == 0 && l->n < MAX_GRIDS)
        snprintf(l->codes[l->n++], STORE_GRID_CODE_MAX, "%s", g->code);
    return WG_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static wg_err install_kinds(store *s, const char *dir, int *n, wg_why *why)
{
    DIR *d = opendir(dir);
    if (!d)
        return wg_fail(why, WG_ERR_IO, NULL, "cannot open %s", dir);
    char *names[64];
    int nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < 64) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
            names[nn++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof(names[0]), cmp_str);
    wg_err e = WG_OK;
    for (int i = 0; i < nn; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        FILE *f = names[i] && !e ? fopen(path, "rb") : NULL;
        char *text = NULL;
        size_t len = 0;
        if (f) {
            text = malloc(256 * 1024 + 1);
            len = text ? fread(text, 1, 256 * 1024, f) : 0;
            fclose(f);
        }
        if (!e && !text)
            e = wg_fail(why, WG_ERR_IO, NULL, "cannot read %s", path);
        if (!e) {
            text[len] = '\0';
            char code[STORE_KIND_MAX];
            if ((e = ledger_kind_install(s, text, (int64_t)T2023, code, why)) && why->msg[0]) {
                char m[sizeof(why->msg)];
                snprintf(m, sizeof(m), "%s", why->msg);
                snprintf(why->msg, sizeof(why->msg), "%.60s: %.190s", names[i], m);
            }
            if (!e)
                (*n)++;
        }
        free(text);
        free(names[i]);
    }
    return e;
}

typedef struct {
    store *s;
    const vault *v;
    actor who;
    int utc_offset_min;
    const calendar *cal; /* for deadlines in working time */
    grid_list grids;
    int made;
    wg_why *why;
} seed;

/* One entry made on `day` (days after 2023-01-01) and run through the
 * actions, one day apart. */
static wg_err entry(seed *sd, const char *kind, int i, int day, json_t *fields,
                    const char *owner_unit, const char *const *actions)
{
    ledger_kind *k = NULL;
    wg_err e = ledger_kind_load(sd->s, kind, &k, sd->why);
    if (e) {
        json_decref(fields);
        return e;
    }
    ledger_env env = {.s = sd->s,
                      .v = sd->v,
                      .who = &sd->who,
                      .now = T2023 + day * DAY + 9 * 3600,
                      .utc_offset_min = sd->utc_offset_min,
                      .cal = sd->cal};
    json_t *in = json_pack("{s:s, s:s, s:o}", "grid", sd->grids.codes[(i * 37) % sd->grids.n],
                           "owner_unit", owner_unit, "fields", fields);
    store_record *r = malloc(sizeof(*r));
    e = in && r ? ledger_record_create(&env, k, in, r, sd->why) : WG_ERR_NOMEM;
    for (int a = 0; !e && actions && actions[a]; a++) {
        env.now += DAY;
        e = ledger_record_act(&env, k, r, actions[a], "", NULL, sd->why);
    }
    if (!e)
        sd->made++;
    json_decref(in);
    free(r);
    ledger_kind_free(k);
    return e;
}

/* "2023-MM-DD" of day (days after 2023-01-01). */
static void day_name(int day, char out[16])
{
    int y, m, d;
    calendar_civil_from_days(calendar_days_from_civil(2023, 1, 1) + day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

static const char *const dispute_types[] = {"neighbour",           "family",   "labour",
                                            "property_management", "contract", "damages"};
static const char *const dispute_titles[] = {"楼上漏水邻里纠纷", "赡养老人家庭纠纷",
                                             "装修工资拖欠",     "物业费收缴纠纷",
                                             "房屋租赁合同纠纷", "电动车碰撞赔偿纠纷"};

static wg_err disputes(seed *sd)
{
    static const char *const ok[] = {"start", "succeed", "visit", NULL};
    static const char *const withdrawn[] = {"withdraw", NULL};
    static const char *const referred[] = {"start", "refer", NULL};
    static const char *const open[] = {"start", NULL};
    wg_err e = WG_OK;
    /* 199 entered: 195 mediated, 1 withdrawn, 2 referred, 1 in mediation */
    for (int i = 0; i < 199 && !e; i++) {
        const char *const *acts = i < 195 ? ok : i == 195 ? withdrawn : i < 198 ? referred : open;
        int day = 2 + i * 115 / 199;
        char occurred[16];
        day_name(day, occurred);
        json_t *f = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:[{s:s, s:s}, {s:s}]}", "title",
                              dispute_titles[i % 6], "occurred_on", occurred, "dispute_type",
                              dispute_types[i % 6], "people", 2 + i % 4, "risk",
                              i % 17 == 0 ? "orange" : "yellow", "organisation",
                              "汝河路街道人民调解委员会", "method", "people", "parties", "name",
                              "王建国", "phone", "13803710100", "name", "李秀英");
        e = entry(sd, "dispute", i, day, f, "汝河路街道综治中心", acts);
    }
    return e;
}

static wg_err hazards(seed *sd)
{
    static const char *const sectors[] = {"nine_small_shops", "fire", "gas", "construction",
                                          "hazardous_chemicals"};
    static const char *const fixed[] = {"start", "rectify", NULL};
    static const char *const fixing[] = {"start", NULL};
    wg_err e = WG_OK;
    for (int i = 0; i < 176 && !e; i++) {
        char found[16];
        day_name(3 + i * 110 / 176, found);
        json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s}", "title", "消防通道堆放杂物", "sector",
                              sectors[i % 5], "place", "汝河路沿街商铺", "level",
                              i % 40 == 0 ? "major" : "general", "found_on", found);
        e = entry(sd, "hazard", i, 3 + i * 110 / 176, f, "汝河路街道应急办",
                  i < 173 ? fixed : fixing);
    }
    return e;
}

static wg_err inspections(seed *sd)
{
    static const struct {
        const char *type;
        int n;
    } seen[] = {
        {"construction_site", 6}, {"restaurant", 320}, {"car_4s", 39},      {"boiler", 1},
        {"garbage_station", 4},   {"door_window", 18}, {"dry_cleaner", 12}, {"print_shop", 19}};
    static const char *const done[] = {"start", "finish", NULL};
    wg_err e = WG_OK;
    for (size_t i = 0; i < WG_ARRAY_LEN(seen) && !e; i++) {
        json_t *f = json_pack("{s:s, s:s, s:i, s:i, s:i, s:i}", "campaign", "大气污染防治专项检查",
                              "place_type", seen[i].type, "places_inspected", seen[i].n, "passed",
                              seen[i].n - seen[i].n / 10, "problems_found", seen[i].n / 10, "fixed",
                              seen[i].n / 10);
        e = entry(sd, "inspection", (int)i, 60 + (int)i * 5, f, "汝河路街道环保所", done);
    }
    return e;
}

/* The other kinds: a few entries each, for the forms and the lists. */
static wg_err others(seed *sd)
{
    wg_err e = WG_OK;
    static const char *const none[] = {NULL};
    static const char *const done[] = {"assign", "complete", NULL};
    for (int i = 0; i < 12 && !e; i++)
        e = entry(sd, "illegal_building", i, 10 + i * 8,
                  json_pack("{s:s, s:s, s:s, s:f}", "title", "楼顶私搭彩钢房", "address",
                            "汝河路小区", "action_type", i % 3 ? "demolish" : "rectify",
                            "floor_area", 20.0 + i * 3),
                  "汝河路街道城管中队", i < 9 ? done : none);
    static const char *const inspected[] = {"inspect", NULL};
    for (int i = 0; i < 20 && !e; i++)
        e = entry(sd, "gas_user", i, 5 + i * 5,
                  json_pack("{s:{s:s}, s:s, s:s, s:s, s:b}", "user", "name",
                            i % 2 ? "张记餐馆" : "赵丽", "user_type",
                            i % 2 ? "business" : "resident", "address", "汝河路", "supplier",
                            "郑州华润燃气", "letter_signed", i % 5 != 0),
                  "汝河路街道安监站", inspected);
    for (int i = 0; i < 5 && !e; i++)
        e = entry(sd, "risk_point", i, 20 + i * 15,
                  json_pack("{s:s, s:s, s:s}", "risk_type",
                            i % 2 ? "problem_estate" : "transition_fee", "subject",
                            i % 2 ? "某小区延期交房" : "安置房过渡费发放", "level",
                            i == 0 ? "orange" : "yellow"),
                  "汝河路街道信访办", none);
    static const char *const signed_[] = {"sign", NULL};
    if (!e)
        e = entry(sd, "project", 0, 15,
                  json_pack("{s:s, s:f, s:f, s:s}", "project_name", "黄河智谷·中原企业总部港",
                            "investment", 3.2e9, "floor_area", 440000.0, "stage", "construction"),
                  "汝河路街道招商办", signed_);
    static const struct {
        const char *building;
        int firms;
    } buildings[] = {{"索克企业中心", 12}, {"新蒲恒辉广场", 31}};
    static const char *const settled[] = {"sign", "settle", NULL};
    for (size_t i = 0; i < WG_ARRAY_LEN(buildings) && !e; i++)
        e = entry(sd, "project", 1 + (int)i, 30,
                  json_pack("{s:s, s:s, s:i}", "project_name", "楼宇招商", "building",
                            buildings[i].building, "firms_settled", buildings[i].firms),
                  "汝河路街道招商办", settled);
    static const char *const held[] = {"hold", NULL};
    for (int i = 0; i < 42 && !e; i++) {
        char on[16];
        day_name(4 + i * 2, on);
        e = entry(sd, "activity", i, 4 + i * 2,
                  json_pack("{s:s, s:s, s:s, s:i}", "activity_type", "party_lesson", "title",
                            "书记讲党课", "held_on", on, "participants", 21),
                  "汝河路街道党工委", held);
    }
    return e;
}

wg_err demo_ledgers(store *s, const vault *v, const char *dir, const calendar *cal,
                    demo_ledgers_result *out, wg_why *why)
{
    memset(out, 0, sizeof(*out));
    wg_err e = install_kinds(s, dir, &out->kinds, why);
    if (e)
        return e;
    store_record_agg any = {.kind = "dispute", .from = INT64_MIN, .to = INT64_MAX};
    int64_t n = 0;
    double sum;
    if ((e = store_record_aggregate(s, &any, &n, &sum)) || n > 0)
        return e; /* the seed is there */
    seed *sd = calloc(1, sizeof(*sd));
    if (!sd)
        return WG_ERR_NOMEM;
    sd->s = s;
    sd->v = v;
    sd->utc_offset_min = calendar_utc_offset(cal);
    sd->cal = cal;
    sd->why = why;
    snprintf(sd->who.login, sizeof(sd->who.login), "staff");
    sd->who.ngrants = 1;
    sd->who.grants[0] = (role_grant){.role = ROLE_ADMIN, .kind = SCOPE_ALL};
    e = store_grid_scan(s, NULL, false, add_micro, &sd->grids);
    if (!e && sd->grids.n == 0)
        e = wg_fail(why, WG_ERR_INVALID, NULL, "the ledgers' demo needs the demo grids");
    if (!e)
        e = disputes(sd);
    if (!e)
        e = hazards(sd);
    if (!e)
        e = inspections(sd);
    if (!e)
        e = others(sd);
    out->entries = sd->made;
    free(sd);
    return e;
}

wg_err demo_indicators(store *s, const char *path, int *n, wg_why *why)
{
    int entered = 0;
    return indicators_import(s, path, "staff", (int64_t)T2023 + 120 * DAY, n, &entered, why);
}
