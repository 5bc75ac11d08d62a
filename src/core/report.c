/*
 * report.c - the work report (see report.h).
 */
#include "core/report.h"
#include "core/calendar.h"
#include "core/indicators.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARA_MAX 4096

typedef struct {
    char s[PARA_MAX];
    size_t n;
} para;

static void cat(para *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cat(para *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (p->n < sizeof(p->s)) {
        int k = vsnprintf(p->s + p->n, sizeof(p->s) - p->n, fmt, ap);
        if (k > 0)
            p->n = p->n + (size_t)k < sizeof(p->s) ? p->n + (size_t)k : sizeof(p->s) - 1;
    }
    va_end(ap);
}

/* A figure the shortest way: 2.64, 2875.5, 50401. */
static const char *num(double x, char buf[32])
{
    double r = round(x * 10000.0) / 10000.0;
    snprintf(buf, 32, "%.10g", r);
    return buf;
}

/* A ratio as a percentage with one decimal: 0.7511 -> 75.1%. */
static const char *pct(double x, char buf[32])
{
    snprintf(buf, 32, "%.1f%%", round(x * 1000.0) / 10.0);
    return buf;
}

static double jnum(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static bool has(const json_t *o, const char *k)
{
    return json_is_number(json_object_get(o, k));
}

/* One indicator as a clause: "财政税收完成2.64亿元，占目标任务的75.1%". */
static void clause(para *p, const json_t *it)
{
    char a[32], b[32];
    const char *name = json_string_value(json_object_get(it, "name"));
    const char *unit = json_string_value(json_object_get(it, "unit"));
    bool lower = strcmp(json_string_value(json_object_get(it, "direction")), "lower") == 0;
    bool target = has(it, "target");
    double v = jnum(it, "year_to_date");
    if (*unit == '\0') /* a rate */
        cat(p, "%s%s", name, pct(v, a));
    else
        cat(p, "%s%s%s%s", name, target && !lower ? "完成" : "", num(v, a), unit);
    if (target && lower)
        cat(p, "（年度目标%s，%s）", num(jnum(it, "target"), b),
            json_is_true(json_object_get(it, "target_met")) ? "达标" : "未达标");
    else if (target && *unit && has(it, "completion"))
        cat(p, "，%s%s",
            json_is_true(json_object_get(it, "target_met")) ? "已完成年度目标，达" : "占目标任务的",
            pct(jnum(it, "completion"), b));
    else if (target && !*unit)
        cat(p, "（年度目标%s）", pct(jnum(it, "target"), b));
    if (has(it, "change_year_on_year")) {
        double c = jnum(it, "change_year_on_year");
        cat(p, "，同比%s%s", c >= 0 ? "增长" : "下降", pct(fabs(c), b));
    }
}

/* The indicators of one section as a paragraph. */
static bool section(para *p, const json_t *items, const char *sec, const char *lead)
{
    size_t i, k = 0;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *s = json_string_value(json_object_get(it, "section"));
        if (!s || strcmp(s, sec) != 0 || !has(it, "year_to_date"))
            continue;
        cat(p, "%s", k++ ? "；" : lead);
        clause(p, it);
    }
    if (k)
        cat(p, "。");
    return k > 0;
}

typedef struct {
    const ledger_env *env;
    const char *grid;
    int64_t from, to;
} scope;

/* A ledger's KPIs over the period, or NULL when there is no such ledger. */
static json_t *kpis(const scope *sc, const char *kind, ledger_kind **k)
{
    wg_why why = {0};
    json_t *out = NULL;
    if (ledger_kind_load(sc->env->s, kind, k, &why))
        return NULL;
    if (ledger_kpis(sc->env, *k, sc->grid, sc->from, sc->to, &out)) {
        ledger_kind_free(*k);
        *k = NULL;
        return NULL;
    }
    return out;
}

static double kv(const json_t *kp, const char *name)
{
    return jnum(json_object_get(kp, name), "value");
}

static bool disputes(const scope *sc, para *p)
{
    ledger_kind *k = NULL;
    json_t *kp = kpis(sc, "dispute", &k);
    bool ok = kp && kv(kp, "entered") > 0;
    if (ok) {
        char a[32];
        cat(p, "共排查出各类矛盾纠纷%.0f起，录入%.0f起，成功调处%.0f起", kv(kp, "entered"),
            kv(kp, "entered"), kv(kp, "succeeded"));
        if (kv(kp, "withdrawn") > 0)
            cat(p, "，撤回调解%.0f起", kv(kp, "withdrawn"));
        const json_t *rate = json_object_get(json_object_get(kp, "success_rate"), "value");
        if (json_is_number(rate))
            cat(p, "，矛盾纠纷成功调处率达%s", pct(json_number_value(rate), a));
        cat(p, "。");
    }
    json_decref(kp);
    ledger_kind_free(k);
    return ok;
}

typedef struct {
    const scope *sc;
    const ledger_kind *k;
    para *p;
    int n;
    json_t *clauses; /* newest first, as the entries are listed */
} list_ctx;

/* Add a clause; emit() writes them oldest first. */
static void clause_add(list_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void clause_add(list_ctx *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    json_array_append_new(c->clauses, json_string(buf));
    c->n++;
}

static void emit(list_ctx *c, const char *sep)
{
    for (size_t i = json_array_size(c->clauses); i > 0; i--)
        cat(c->p, "%s%s", i < json_array_size(c->clauses) ? sep : "",
            json_string_value(json_array_get(c->clauses, i - 1)));
    json_decref(c->clauses);
    c->clauses = NULL;
}

static const json_t *field_decl(const ledger_kind *k, const char *name)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(ledger_kind_spec(k), "fields"), i,
                       f) if (strcmp(json_string_value(json_object_get(f, "name")), name) ==
                              0) return f;
    return NULL;
}

/* "餐饮店320家": an inspection entry of the period. */
static wg_err inspection_row(void *ctx, const store_record *r)
{
    list_ctx *c = ctx;
    if (r->created_at < c->sc->from || r->created_at >= c->sc->to)
        return WG_OK;
    json_error_t je;
    json_t *d = json_loads(r->data, 0, &je);
    const char *type = json_string_value(json_object_get(d, "place_type"));
    const json_t *values = json_object_get(field_decl(c->k, "place_type"), "values");
    size_t i;
    json_t *v;
    json_array_foreach(values, i,
                       v) if (type && strcmp(json_string_value(json_array_get(v, 0)), type) == 0)
    {
        const char *mw = json_string_value(json_array_get(v, 2));
        clause_add(c, "%s%.0f%s", json_string_value(json_array_get(v, 1)),
                   jnum(d, "places_inspected"), mw ? mw : "处");
    }
    json_decref(d);
    return WG_OK;
}

static void each_entry(const scope *sc, const char *kind, ledger_kind *k,
                       wg_err (*row)(void *, const store_record *), list_ctx *c)
{
    store_record_filter f = {.kind = kind, .overdue = -1, .limit = 500, .now = sc->env->now};
    const char *g[1] = {sc->grid};
    f.all = !*sc->grid;
    f.grid_prefixes = g;
    f.ngrid = *sc->grid ? 1 : 0;
    c->k = k;
    c->clauses = json_array();
    store_record_list(sc->env->s, &f, row, c);
}

static bool safety(const scope *sc, para *p)
{
    ledger_kind *k = NULL;
    json_t *kp = kpis(sc, "hazard", &k);
    bool any = false;
    if (kp && kv(kp, "found") > 0) {
        cat(p, "排查各类安全隐患%.0f处，已整改%.0f处", kv(kp, "found"), kv(kp, "rectified"));
        any = true;
    }
    json_decref(kp);
    ledger_kind_free(k);
    k = NULL;
    if ((kp = kpis(sc, "inspection", &k)) && kv(kp, "entries") > 0) {
        cat(p, "%s开展大气污染防治专项检查，检查", any ? "；" : "");
        list_ctx c = {.sc = sc, .p = p};
        each_entry(sc, "inspection", k, inspection_row, &c);
        emit(&c, "、");
        any = true;
    }
    if (any)
        cat(p, "。");
    json_decref(kp);
    ledger_kind_free(k);
    return any;
}

static wg_err case_row(void *ctx, const store_case_stats *r)
{
    para *p = ctx;
    char a[32];
    if (r->reported > 0) {
        cat(p, "网格上报各类事件%lld件，已办结%lld件", (long long)r->reported,
            (long long)r->closed);
        if (r->due > 0)
            cat(p, "，按期办结率%s", pct((double)r->closed_on_time / (double)r->due, a));
        cat(p, "。");
    }
    return WG_OK;
}

static bool activities(const scope *sc, para *p)
{
    ledger_kind *k = NULL;
    json_t *kp = kpis(sc, "activity", &k);
    bool ok = kp && kv(kp, "party_lessons") > 0;
    if (ok) {
        cat(p, "书记讲党课%.0f次，参与%.0f人次", kv(kp, "party_lessons"), kv(kp, "participants"));
        if (kv(kp, "volunteers") > 0)
            cat(p, "，志愿者%.0f人次", kv(kp, "volunteers"));
        cat(p, "。");
    }
    json_decref(kp);
    ledger_kind_free(k);
    return ok;
}

/* "黄河智谷·中原企业总部港总投资32亿元、规划建筑面积44万平方米" and
 * "索克企业中心入驻企业12家". */
static wg_err project_row(void *ctx, const store_record *r)
{
    list_ctx *c = ctx;
    if (r->created_at >= c->sc->to) /* not entered yet by then */
        return WG_OK;
    json_error_t je;
    json_t *d = json_loads(r->data, 0, &je);
    char a[32], b[32];
    const char *name = json_string_value(json_object_get(d, "project_name"));
    const char *building = json_string_value(json_object_get(d, "building"));
    if (has(d, "investment") && name && has(d, "floor_area"))
        clause_add(c, "%s总投资%s亿元、规划建筑面积%s万平方米", name,
                   num(jnum(d, "investment") / 1e8, a), num(jnum(d, "floor_area") / 1e4, b));
    else if (has(d, "investment") && name)
        clause_add(c, "%s总投资%s亿元", name, num(jnum(d, "investment") / 1e8, a));
    else if (building && has(d, "firms_settled"))
        clause_add(c, "%s入驻企业%.0f家", building, jnum(d, "firms_settled"));
    json_decref(d);
    return WG_OK;
}

static bool projects(const scope *sc, para *p)
{
    ledger_kind *k = NULL;
    wg_why why = {0};
    if (ledger_kind_load(sc->env->s, "project", &k, &why))
        return false;
    list_ctx c = {.sc = sc, .p = p};
    each_entry(sc, "project", k, project_row, &c);
    emit(&c, "；");
    ledger_kind_free(k);
    if (c.n)
        cat(p, "。");
    return c.n > 0;
}

/* Append s to html, with <, > and & escaped. */
static size_t html_text(char *html, size_t h, size_t cap, const char *s)
{
    for (; *s && h + 8 < cap; s++) {
        const char *e = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" : NULL;
        if (e) {
            memcpy(html + h, e, strlen(e));
            h += strlen(e);
        } else {
            html[h++] = *s;
        }
    }
    html[h] = '\0';
    return h;
}

static void md_html(json_t *paras, const char *title, json_t *out)
{
    size_t cap = 64 * 1024, n = 0, h = 0;
    char *md = malloc(cap), *html = malloc(cap);
    if (!md || !html) {
        free(md);
        free(html);
        return;
    }
    n += (size_t)snprintf(md + n, cap - n, "# %s\n", title);
    h += (size_t)snprintf(
        html, cap, "<!doctype html>\n<html lang=\"zh-CN\">\n<meta charset=\"utf-8\">\n<title>");
    h = html_text(html, h, cap, title);
    h += (size_t)snprintf(html + h, cap - h, "</title>\n<h1>");
    h = html_text(html, h, cap, title);
    h += (size_t)snprintf(html + h, cap - h, "</h1>\n");
    size_t i;
    json_t *pj;
    json_array_foreach(paras, i, pj)
    {
        const char *s = json_string_value(pj);
        if (n < cap)
            n += (size_t)snprintf(md + n, cap - n, "\n%s\n", s);
        if (h + 16 < cap) {
            h += (size_t)snprintf(html + h, cap - h, "<p>");
            h = html_text(html, h, cap, s);
            if (h + 8 < cap)
                h += (size_t)snprintf(html + h, cap - h, "</p>\n");
        }
    }
    json_object_set_new(out, "markdown", json_string(md));
    json_object_set_new(out, "html", json_string(html));
    free(md);
    free(html);
}

static wg_err any_grid(void *ctx, const store_grid *g)
{
    (void)g;
    *(bool *)ctx = true;
    return WG_ERR_CONFLICT; /* stop: one is enough */
}

/* The name of what a report covers: a grid, or a division (a community, as
 * community staff's scope is) with grids under its code. */
static wg_err report_scope_name(store *s, const char *code, store_grid *out)
{
    if (store_grid_get(s, code, false, out) == WG_OK)
        return WG_OK;
    store_division d;
    bool some = false;
    if (store_division_get(s, code, &d) != WG_OK)
        return WG_ERR_NOT_FOUND;
    store_grid_scan_subtree(s, code, false, any_grid, &some);
    if (!some)
        return WG_ERR_NOT_FOUND;
    memset(out, 0, sizeof(*out));
    snprintf(out->code, sizeof(out->code), "%s", d.code);
    snprintf(out->name, sizeof(out->name), "%s", d.name);
    return WG_OK;
}

typedef struct {
    char level[12], code[STORE_GRID_CODE_MAX];
    int n; /* grids at the top level */
} top_level;

/* Grids come parent before child, by level: count those of the first. */
static wg_err first_level(void *ctx, const store_grid *g)
{
    top_level *t = ctx;
    if (t->n && strcmp(g->level, t->level) != 0)
        return WG_ERR_CONFLICT; /* past the top level: stop */
    snprintf(t->level, sizeof(t->level), "%s", g->level);
    snprintf(t->code, sizeof(t->code), "%s", g->code);
    t->n++;
    return WG_OK;
}

bool report_default_scope(store *s, char *out, size_t cap)
{
    top_level t = {0};
    store_grid_scan(s, NULL, false, first_level, &t);
    if (t.n != 1)
        return false;
    snprintf(out, cap, "%s", t.code);
    return true;
}

wg_err report_summary(const ledger_env *env, const char *grid, const char *to, json_t **out,
                      wg_why *why)
{
    int64_t day;
    if (!to || !calendar_parse_date(to, strlen(to), &day))
        return wg_fail(why, WG_ERR_BAD_REQUEST, "to", "'to' is a date YYYY-MM-DD");
    store_grid g;
    if (!grid || report_scope_name(env->s, grid, &g))
        return wg_fail(why, WG_ERR_INVALID, "grid",
                       "'grid' is the code of a grid, or of a division with grids");
    int y = atoi(to), m = atoi(to + 5), d = atoi(to + 8);
    char jan1[16], month[16];
    snprintf(jan1, sizeof(jan1), "%04d-01-01", y % 10000);
    snprintf(month, sizeof(month), "%04d-%02d", y % 10000, m % 100);
    scope sc = {.env = env, .grid = grid};
    if (!calendar_parse_iso(jan1, strlen(jan1), env->utc_offset_min, &sc.from, why))
        return WG_ERR_INVALID;
    sc.to = (day + 1) * 86400 - (int64_t)env->utc_offset_min * 60;
    json_t *view = NULL;
    wg_err e = indicators_view(env, grid, month, &view, why);
    if (e)
        return e;
    json_t *paras = json_array();
    /* "截至4月底" at a month's last day, else "截至4月12日" */
    bool month_end = !calendar_date_valid(y, m, d + 1);
    char lead[256];
    if (month_end)
        snprintf(lead, sizeof(lead), "截至%d月底，%s", m, g.name);
    else
        snprintf(lead, sizeof(lead), "截至%d月%d日，%s", m, d, g.name);
    const json_t *items = json_object_get(view, "items");
    static const struct {
        const char *section, *lead;
    } secs[] = {
        {"economy", NULL}, {"employment", "民生就业方面，"}, {"environment", "大气污染防治方面，"}};
    for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
        para p = {0};
        if (section(&p, items, secs[i].section, secs[i].lead ? secs[i].lead : lead))
            json_array_append_new(paras, json_string(p.s));
    }
    json_decref(view);
    bool (*const parts[])(const scope *, para *) = {disputes, safety};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        para p = {0};
        if (parts[i](&sc, &p))
            json_array_append_new(paras, json_string(p.s));
    }
    para cp = {0};
    if (store_case_stats_by(env->s, "", grid, sc.from, sc.to, env->now, case_row, &cp) == WG_OK &&
        cp.n)
        json_array_append_new(paras, json_string(cp.s));
    bool (*const more[])(const scope *, para *) = {activities, projects};
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
        para p = {0};
        if (more[i](&sc, &p))
            json_array_append_new(paras, json_string(p.s));
    }
    char title[256];
    snprintf(title, sizeof(title), "%s工作情况（截至%d年%d月%d日）", g.name, y, m, d);
    *out = json_pack("{s:s, s:s, s:s, s:s, s:o}", "grid", grid, "name", g.name, "to", to, "title",
                     title, "paragraphs", paras);
    if (!*out)
        return WG_ERR_NOMEM;
    md_html(paras, title, *out);
    return WG_OK;
}
