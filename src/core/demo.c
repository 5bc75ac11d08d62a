/*
 * demo.c - see demo.h.
 */
#include "core/demo.h"
#include "core/pii.h"
#include "geo/geos.h"
#include "util/log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names and codes built here fit their fields by construction; where GCC
 * cannot prove it, a cut name is harmless (and codes are checked by
 * grids_save). */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define N_L2 14
#define N_L3 76
#define N_MICRO 436
#define N_DEDICATED 25

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int rnd_int(int lo, int hi)
{
    return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

static double rnd_unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static const char *const surnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                       "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗",
                                       "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "萧"};
static const char *const given[] = {"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军",
                                    "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
                                    "平", "刚", "桂英", "建国", "志强", "海燕", "红梅", "晓东",
                                    "文博", "雪梅", "建华", "玉兰", "国庆", "春生", "淑珍"};

static void person(char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", surnames[rnd() % WG_ARRAY_LEN(surnames)],
             given[rnd() % WG_ARRAY_LEN(given)]);
}

static void phone(char *out, size_t cap)
{
    static const char *const prefixes[] = {"138", "139", "137", "136", "150", "151", "158", "186",
                                           "187", "135"};
    snprintf(out, cap, "%s%04d%04d", prefixes[rnd() % WG_ARRAY_LEN(prefixes)], rnd_int(0, 9999),
             rnd_int(0, 9999));
}

/* The places of the dedicated grids: the seed's office buildings and
 * others of the kinds it names. */
static const struct {
    const char *name, *kind;
} places[N_DEDICATED] = {
    {"索克企业中心", "office_building"},
    {"新蒲恒辉广场", "office_building"},
    {"黄河智谷·中原企业总部港", "enterprise_park"},
    {"汝河路小学", "school"},
    {"淮河路第一小学", "school"},
    {"郑州市第九十六中学", "school"},
    {"中原区实验幼儿园", "school"},
    {"汝河新区幼儿园", "school"},
    {"郑州市第三人民医院汝河路院区", "hospital"},
    {"汝河路社区卫生服务中心", "hospital"},
    {"华山路农贸市场", "market"},
    {"淮河路菜市场", "market"},
    {"桐淮便民市场", "market"},
    {"永威城", "estate"},
    {"澜景苑", "estate"},
    {"金苑小区", "estate"},
    {"航海西路电力小区", "estate"},
    {"市委家属院", "estate"},
    {"汝河路派出所", "government"},
    {"中原区汝河路街道办事处", "government"},
    {"郑密路加油站", "enterprise"},
    {"华润燃气汝河路调压站", "enterprise"},
    {"汝河路垃圾中转站", "public_facility"},
    {"淮河路文化广场", "public_facility"},
    {"汝河公园", "park"},
};

static const char *const merchants[] = {"惠民超市", "爱心理发店", "便民药房", "好邻居早餐店",
                                        "家政服务部", "修车铺", "鲜果屋", "社区书屋"};
static const char *const property_cos[] = {"正商物业", "永威物业", "建业物业", "绿城物业",
                                           "鑫苑物业", "康桥物业"};

/* ---- boundary ---- */

static geo_shape *load_boundary(const char *path, wg_why *why)
{
    json_error_t je;
    json_t *fc = json_load_file(path, 0, &je);
    if (!fc) {
        wg_fail(why, WG_ERR_IO, NULL, "cannot read the boundary %s: %s", path, je.text);
        return NULL;
    }
    json_t *features = json_object_get(fc, "features"), *f;
    size_t i;
    geo_shape *s = NULL;
    json_array_foreach(features, i, f)
    {
        json_t *id = json_object_get(f, "id");
        bool match = (json_is_string(id) && strcmp(json_string_value(id), "410102") == 0) ||
                     (json_is_integer(id) && json_integer_value(id) == 410102);
        if (!match)
            continue;
        if (geo_shape_from_geojson(json_object_get(f, "geometry"), &s, why))
            s = NULL;
        break;
    }
    json_decref(fc);
    if (!s && !why->msg[0])
        wg_fail(why, WG_ERR_INVALID, NULL, "%s has no feature 410102 (中原区)", path);
    return s;
}

/* An irregular 12-gon of exactly DEMO_AREA_M2 inside the district. */
static geo_shape *make_l1(const geo_shape *district, wg_why *why)
{
    geo_pt c = {113.612, 34.738}; /* about where 汝河路街道 lies */
    geo_pt pts[12];
    double r[12];
    for (int i = 0; i < 12; i++)
        r[i] = 0.85 + 0.3 * rnd_unit();
    geo_shape *s = NULL;
    for (int attempt = 0; attempt < 40; attempt++) {
        for (int i = 0; i < 12; i++) {
            double a = 2 * M_PI * i / 12.0;
            /* degrees: ~1.2 km radius, longitude stretched for the latitude */
            pts[i].x = c.x + 0.0131 * r[i] * cos(a);
            pts[i].y = c.y + 0.0108 * r[i] * sin(a);
        }
        geo_shape_free(s);
        s = geo_shape_from_ring(pts, 12);
        if (!s)
            break;
        /* Scale to the area: area grows with the square of the factor. */
        for (int k = 0; k < 3; k++) {
            double f = sqrt(DEMO_AREA_M2 / geo_shape_area_m2(s));
            geo_shape *t = geo_scale(s, f);
            geo_shape_free(s);
            s = t;
            if (!s)
                break;
        }
        if (s && geo_area_outside(s, district) < 1.0)
            return s;
        /* Not inside: move towards the district's middle and try again. */
        geo_pt m = geo_centroid(district);
        c.x += (m.x - c.x) * 0.1;
        c.y += (m.y - c.y) * 0.1;
    }
    geo_shape_free(s);
    wg_fail(why, WG_ERR_INTERNAL, NULL, "could not place 汝河路街道 inside 中原区");
    return NULL;
}

/* Split `total` into n parts proportional to weights, each >= least
 * (largest remainder). */
static void apportion(const double *w, int n, int total, int least, int *out)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += w[i];
    int given_out = 0;
    double rem[256];
    for (int i = 0; i < n; i++) {
        double exact = least + (total - least * n) * w[i] / sum;
        out[i] = (int)floor(exact);
        rem[i] = exact - out[i];
        given_out += out[i];
    }
    while (given_out < total) {
        int best = 0;
        for (int i = 1; i < n; i++)
            if (rem[i] > rem[best])
                best = i;
        out[best]++;
        rem[best] = -1;
        given_out++;
    }
}

/* ---- writing ---- */

typedef struct {
    store *s;
    const vault *v;
    grid_policy policy;
    demo_result *res;
    wg_why *why;
} demo_ctx;

static wg_err save(demo_ctx *d, const char *code, const char *name, grid_level lv,
                   const char *parent, const char *division, const char *kind, int64_t households,
                   const geo_shape *shape)
{
    json_t *gj = geo_shape_to_geojson(shape);
    if (!gj)
        return WG_ERR_NOMEM;
    grid_input in = {.code = code, .name = name, .level = grids_level_name(lv), .parent = parent,
                     .division_code = division, .kind = kind, .households = households,
                     .geometry = gj};
    grid_report rep = {0};
    wg_err e = grids_save(d->s, &d->policy, &in, true, &rep, d->why);
    json_decref(gj);
    grids_report_free(&rep);
    if (!e)
        d->res->count[lv]++;
    return e;
}

static wg_err seal_phone(demo_ctx *d, store_grid_staff *x, const char *num)
{
    char norm[PII_PHONE_CAP];
    const char *why = NULL;
    if (!pii_phone_valid(num, norm, sizeof(norm), &why))
        return WG_ERR_INTERNAL;
    wg_err e = vault_encrypt(d->v, norm, strlen(norm), "grid_staff.phone", x->phone_sealed,
                             sizeof(x->phone_sealed), &x->phone_sealed_len);
    if (e)
        return e;
    vault_blind_index(d->v, "phone", norm, x->phone_bidx);
    pii_mask_phone(norm, x->phone_masked, sizeof(x->phone_masked));
    return WG_OK;
}

/* Staff and 1+3+N parties of one grid. */
static wg_err people(demo_ctx *d, const char *code, const char *community, grid_level lv)
{
    store_grid_staff st[3];
    memset(st, 0, sizeof(st));
    int nst = lv == GRID_MICRO ? 2 : 3;
    char num[16];
    for (int i = 0; i < nst; i++) {
        snprintf(st[i].role, sizeof(st[i].role), "%s", i == 0 ? "grid_chief" : "grid_member");
        person(st[i].name, sizeof(st[i].name));
        phone(num, sizeof(num));
        wg_err e = seal_phone(d, &st[i], num);
        if (e)
            return e;
    }
    wg_err e = store_grid_staff_replace(d->s, code, st, nst);
    if (e)
        return e;
    store_grid_party p[10];
    memset(p, 0, sizeof(p));
    int n = 0;
    char who[64];
    snprintf(p[n].role, sizeof(p[n].role), "lead_party_org");
    snprintf(p[n++].name, sizeof(p[0].name), "%s党委", community);
    snprintf(p[n].role, sizeof(p[n].role), "grid_duty");
    snprintf(p[n].name, sizeof(p[0].name), "网格长 %s", st[0].name);
    snprintf(p[n++].contact, sizeof(p[0].contact), "%s", st[0].phone_masked);
    person(who, sizeof(who));
    snprintf(p[n].role, sizeof(p[n].role), "community_duty");
    snprintf(p[n++].name, sizeof(p[0].name), "%s 社区干部 %s", community, who);
    snprintf(p[n].role, sizeof(p[n].role), "property_duty");
    snprintf(p[n++].name, sizeof(p[0].name), "%s汝河项目部",
             property_cos[rnd() % WG_ARRAY_LEN(property_cos)]);
    static const struct {
        const char *type, *fmt;
    } forces[] = {
        {"police", "汝河路派出所 社区民警 %s"},
        {"urban_management", "中原区城管执法中队 %s"},
        {"health_service", "汝河路社区卫生服务中心 家庭医生 %s"},
        {"caring_merchant", "%s"},
        {"social_organisation", "汝河邻里互助会 %s"},
        {"volunteers", "汝河红马甲志愿服务队 队长 %s"},
    };
    for (size_t i = 0; i < WG_ARRAY_LEN(forces); i++) {
        snprintf(p[n].role, sizeof(p[n].role), "force");
        snprintf(p[n].force_type, sizeof(p[n].force_type), "%s", forces[i].type);
        if (strcmp(forces[i].type, "caring_merchant") == 0)
            snprintf(who, sizeof(who), "%s", merchants[rnd() % WG_ARRAY_LEN(merchants)]);
        else
            person(who, sizeof(who));
        snprintf(p[n++].name, sizeof(p[0].name), forces[i].fmt, who);
    }
    return store_grid_parties_replace(d->s, code, p, n);
}

typedef struct {
    char code[16];
    char name[STORE_NAME_MAX];
} community;

typedef struct {
    community *items;
    int n;
} community_list;

/* Communities of 汝河路街道, in code order, from the division table. */
static wg_err communities(store *s, community_list *out, wg_why *why)
{
    out->items = calloc(400, sizeof(*out->items));
    out->n = 0;
    if (!out->items)
        return WG_ERR_NOMEM;
    for (int i = 1; i <= 399; i++) {
        char code[16];
        snprintf(code, sizeof(code), "%s%03d", DEMO_L1_CODE, i);
        store_division d;
        if (store_division_get(s, code, &d) != WG_OK)
            continue;
        community *c = &out->items[out->n++];
        snprintf(c->code, sizeof(c->code), "%s", code);
        /* "汝河小区社区居民委员会" -> "汝河小区社区" */
        snprintf(c->name, sizeof(c->name), "%s", d.name);
        char *cut = strstr(c->name, "居民委员会");
        if (!cut)
            cut = strstr(c->name, "居委会");
        if (cut)
            *cut = '\0';
    }
    if (out->n < 2)
        return wg_fail(why, WG_ERR_INVALID, NULL,
                       "the communities of 汝河路街道 (%s...) are not in the division table: "
                       "import them first (wangge import divisions)",
                       DEMO_L1_CODE);
    return WG_OK;
}

static int cmp_area_desc(const void *a, const void *b, void *ctx)
{
    const double *area = ctx;
    double x = area[*(const int *)a], y = area[*(const int *)b];
    return x < y ? 1 : x > y ? -1 : 0;
}

/* A rectangle of w x h metres centred on c, turned by angle radians. */
static geo_shape *rect(geo_pt c, double w, double h, double angle)
{
    double mx = 1.0 / (111320.0 * cos(c.y * M_PI / 180.0)), my = 1.0 / 110574.0;
    geo_pt pts[4];
    static const double sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
    for (int i = 0; i < 4; i++) {
        double x = sx[i] * w / 2, y = sy[i] * h / 2;
        double rx = x * cos(angle) - y * sin(angle), ry = x * sin(angle) + y * cos(angle);
        pts[i] = (geo_pt){c.x + rx * mx, c.y + ry * my};
    }
    return geo_shape_from_ring(pts, 4);
}

typedef struct {
    geo_shape *shape;
    int parent; /* index in the level above */
    int64_t households;
    char code[STORE_GRID_CODE_MAX];
    char name[STORE_NAME_MAX];
} piece;

static void free_pieces(piece *p, int n)
{
    for (int i = 0; p && i < n; i++)
        geo_shape_free(p[i].shape);
    free(p);
}

/* Cut each parent into per[i] pieces appended to out (parent = i). */
static wg_err cut(piece *parents, int np, const int *per, piece *out, int *nout)
{
    *nout = 0;
    for (int i = 0; i < np; i++) {
        geo_shape *parts[128];
        wg_err e = geo_partition(parents[i].shape, (uint32_t)per[i], rnd(), parts);
        if (e)
            return e;
        for (int j = 0; j < per[i]; j++) {
            memset(&out[*nout], 0, sizeof(out[0]));
            out[*nout].shape = parts[j];
            out[*nout].parent = i;
            (*nout)++;
        }
    }
    return WG_OK;
}

static void shares(piece *p, int n, int total, int least, int *per)
{
    double *w = malloc((size_t)n * sizeof(*w));
    if (!w)
        return;
    for (int i = 0; i < n; i++)
        w[i] = geo_shape_area_m2(p[i].shape);
    apportion(w, n, total, least, per);
    free(w);
}

wg_err demo_grids(store *s, const vault *v, const char *boundary_path, demo_result *res,
                  wg_why *why)
{
    memset(res, 0, sizeof(*res));
    store_grid existing;
    if (store_grid_get(s, DEMO_L1_CODE, false, &existing) == WG_OK) {
        res->existed = true;
        return WG_OK;
    }
    rng_state = 20230430; /* the seed's date: the same tree every time */
    demo_ctx d = {.s = s, .v = v, .res = res, .why = why,
                  .policy = {.outside_is_error = true, .overlap_is_error = true,
                             .gap_is_error = false, .tolerance_m2 = 1.0}};
    community_list cl = {0};
    geo_shape *district = NULL, *l1 = NULL;
    piece *l2 = calloc(N_L2, sizeof(*l2)), *l3 = calloc(N_L3, sizeof(*l3));
    piece *micro = calloc(N_MICRO, sizeof(*micro));
    geo_shape *cells[N_L2] = {0};
    int ncells = 0, n3 = 0, nm = 0;
    int comm_of[N_L2];
    wg_err e = WG_OK;
    if (!l2 || !l3 || !micro) {
        e = WG_ERR_NOMEM;
        goto out;
    }
    if ((e = communities(s, &cl, why)))
        goto out;
    if (!(district = load_boundary(boundary_path, why))) {
        e = why->msg[0] ? WG_ERR_INVALID : WG_ERR_NOMEM;
        goto out;
    }
    if (!(l1 = make_l1(district, why))) {
        e = WG_ERR_INTERNAL;
        goto out;
    }
    res->l1_area_m2 = geo_shape_area_m2(l1);

    /* l2: one cell per community; the largest cell is split in two so that
     * the 13 communities make the seed's 14 second-level grids. */
    ncells = cl.n < N_L2 ? cl.n : N_L2;
    if ((e = geo_partition(l1, (uint32_t)ncells, rnd(), cells)))
        goto out;
    double area[N_L2];
    int order[N_L2];
    for (int i = 0; i < ncells; i++) {
        area[i] = geo_shape_area_m2(cells[i]);
        order[i] = i;
    }
    qsort_r(order, (size_t)ncells, sizeof(int), cmp_area_desc, area);
    int split = ncells < N_L2 ? order[0] : -1, n2 = 0;
    for (int i = 0; i < ncells; i++) {
        community *cm = &cl.items[i];
        int parts = i == split ? 2 : 1;
        geo_shape *halves[2] = {cells[i], NULL};
        if (parts == 2 && (e = geo_partition(cells[i], 2, rnd(), halves)))
            goto out;
        for (int h = 0; h < parts; h++) {
            l2[n2].shape = halves[h];
            comm_of[n2] = i;
            snprintf(l2[n2].code, sizeof(l2[n2].code), "%s%02d", cm->code, h + 1);
            snprintf(l2[n2].name, sizeof(l2[n2].name), "%s%s网格", cm->name,
                     parts == 1 ? "" : h ? "二" : "一");
            n2++;
        }
        if (parts == 2) {
            geo_shape_free(cells[i]);
        }
        cells[i] = NULL;
    }

    /* l3 and micro: counts by area, at least 3 children each. */
    int per2[N_L2], per3[N_L3];
    shares(l2, n2, N_L3, 3, per2);
    if ((e = cut(l2, n2, per2, l3, &n3)))
        goto out;
    shares(l3, n3, N_MICRO, 3, per3);
    if ((e = cut(l3, n3, per3, micro, &nm)))
        goto out;
    int seq = 0;
    for (int i = 0; i < n3; i++) {
        seq = i > 0 && l3[i].parent == l3[i - 1].parent ? seq + 1 : 1;
        snprintf(l3[i].code, sizeof(l3[i].code), "%s%02d", l2[l3[i].parent].code, seq);
        snprintf(l3[i].name, sizeof(l3[i].name), "%s第%d网格", cl.items[comm_of[l3[i].parent]].name,
                 seq);
    }
    for (int i = 0; i < nm; i++) {
        seq = i > 0 && micro[i].parent == micro[i - 1].parent ? seq + 1 : 1;
        snprintf(micro[i].code, sizeof(micro[i].code), "%s%02d", l3[micro[i].parent].code, seq);
        snprintf(micro[i].name, sizeof(micro[i].name), "%s%d号微网格", l3[micro[i].parent].name,
                 seq);
        micro[i].households = rnd_int(50, 70);
        l3[micro[i].parent].households += micro[i].households;
    }
    int64_t total = 0;
    for (int i = 0; i < n3; i++)
        l2[l3[i].parent].households += l3[i].households;
    for (int i = 0; i < n2; i++)
        total += l2[i].households;

    /* Write top down, each grid checked against its parent and siblings. */
    if ((e = save(&d, DEMO_L1_CODE, "汝河路街道", GRID_L1, NULL, DEMO_L1_CODE, "", total, l1)) ||
        (e = people(&d, DEMO_L1_CODE, "汝河路街道", GRID_L1)))
        goto out;
    for (int i = 0; i < n2 && !e; i++) {
        community *cm = &cl.items[comm_of[i]];
        if (!(e = save(&d, l2[i].code, l2[i].name, GRID_L2, DEMO_L1_CODE, cm->code, "",
                       l2[i].households, l2[i].shape)))
            e = people(&d, l2[i].code, cm->name, GRID_L2);
    }
    for (int i = 0; i < n3 && !e; i++) {
        community *cm = &cl.items[comm_of[l3[i].parent]];
        if (!(e = save(&d, l3[i].code, l3[i].name, GRID_L3, l2[l3[i].parent].code, "", "",
                       l3[i].households, l3[i].shape)))
            e = people(&d, l3[i].code, cm->name, GRID_L3);
    }
    for (int i = 0; i < nm && !e; i++) {
        community *cm = &cl.items[comm_of[l3[micro[i].parent].parent]];
        if (!(e = save(&d, micro[i].code, micro[i].name, GRID_MICRO, l3[micro[i].parent].code, "",
                       "", micro[i].households, micro[i].shape)))
            e = people(&d, micro[i].code, cm->name, GRID_MICRO);
    }
    /* Dedicated grids: small sites inside the subdistrict, apart from one
     * another. */
    geo_bbox bb = geo_shape_bbox(l1);
    geo_shape *placed[N_DEDICATED] = {0};
    int nplaced = 0;
    for (int tries = 0; nplaced < N_DEDICATED && tries < 5000 && !e; tries++) {
        geo_pt c = {bb.min_x + (bb.max_x - bb.min_x) * rnd_unit(),
                    bb.min_y + (bb.max_y - bb.min_y) * rnd_unit()};
        bool big = strcmp(places[nplaced].kind, "enterprise_park") == 0 ||
                   strcmp(places[nplaced].kind, "estate") == 0 ||
                   strcmp(places[nplaced].kind, "park") == 0;
        double w = big ? 180 + 120 * rnd_unit() : 60 + 90 * rnd_unit();
        double h = big ? 150 + 100 * rnd_unit() : 50 + 70 * rnd_unit();
        geo_shape *r = rect(c, w, h, (rnd_unit() - 0.5) * 0.6);
        bool ok = r && geo_area_outside(r, l1) < 0.01;
        for (int j = 0; ok && j < nplaced; j++)
            ok = geo_area_overlap(r, placed[j]) <= 0.0;
        if (!ok) {
            geo_shape_free(r);
            continue;
        }
        char code[STORE_GRID_CODE_MAX];
        snprintf(code, sizeof(code), "%s9%04d", DEMO_L1_CODE, nplaced + 1);
        if (!(e = save(&d, code, places[nplaced].name, GRID_DEDICATED, DEMO_L1_CODE, "",
                       places[nplaced].kind, rnd_int(0, 400), r)))
            e = people(&d, code, "汝河路街道", GRID_DEDICATED);
        placed[nplaced++] = r;
    }
    for (int j = 0; j < nplaced; j++)
        geo_shape_free(placed[j]);
    if (!e && nplaced < N_DEDICATED)
        e = wg_fail(why, WG_ERR_INTERNAL, NULL, "could place only %d dedicated grids", nplaced);
out:
    for (int i = 0; i < N_L2; i++)
        geo_shape_free(cells[i]);
    free_pieces(l2, N_L2);
    free_pieces(l3, N_L3);
    free_pieces(micro, N_MICRO);
    geo_shape_free(l1);
    geo_shape_free(district);
    free(cl.items);
    return e;
}
