/*
 * grids.c - see grids.h.
 */
#include "core/grids.h"
#include "geo/geos.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name, *zh;
    int code_len;
    grid_level parent;
} levels[GRID_LEVELS] = {
    [GRID_L1] = {"l1", "一级网格", 9, GRID_LEVELS},
    [GRID_L2] = {"l2", "二级网格", 14, GRID_L1},
    [GRID_L3] = {"l3", "三级网格", 16, GRID_L2},
    [GRID_MICRO] = {"micro", "微网格", 18, GRID_L3},
    [GRID_DEDICATED] = {"dedicated", "专属网格", 14, GRID_L1},
};

const char *grids_level_name(grid_level lv)
{
    return (unsigned)lv < GRID_LEVELS ? levels[lv].name : "?";
}

const char *grids_level_zh(grid_level lv)
{
    return (unsigned)lv < GRID_LEVELS ? levels[lv].zh : "?";
}

bool grids_level_parse(const char *name, grid_level *out)
{
    for (int i = 0; name && i < GRID_LEVELS; i++)
        if (strcmp(levels[i].name, name) == 0) {
            *out = (grid_level)i;
            return true;
        }
    return false;
}

grid_level grids_parent_level(grid_level lv)
{
    return (unsigned)lv < GRID_LEVELS ? levels[lv].parent : GRID_LEVELS;
}

static bool all_digits(const char *s)
{
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* The number in s[from, from+n). */
static int num(const char *s, int from, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[from + i] - '0');
    return v;
}

bool grids_code_ok(const char *code, grid_level lv, const char *parent, wg_why *why)
{
    int want = levels[lv].code_len;
    if (!all_digits(code) || (int)strlen(code) != want) {
        wg_fail(why, WG_ERR_INVALID, "code", "a %s grid's code has %d digits", levels[lv].name,
                want);
        return false;
    }
    if (lv == GRID_L1)
        return true;
    size_t pl = parent ? strlen(parent) : 0;
    if (!pl || strncmp(code, parent, pl) != 0 || (int)pl != levels[levels[lv].parent].code_len) {
        wg_fail(why, WG_ERR_INVALID, "code", "the code %s must extend its parent's code %s", code,
                parent ? parent : "(none)");
        return false;
    }
    bool ok = true;
    switch (lv) {
    case GRID_L2:
        ok = num(code, 9, 3) >= 1 && num(code, 9, 3) <= 399 && num(code, 12, 2) >= 1;
        break;
    case GRID_L3:
    case GRID_MICRO:
        ok = num(code, want - 2, 2) >= 1;
        break;
    case GRID_DEDICATED:
        ok = code[9] == '9' && num(code, 10, 4) >= 1;
        break;
    case GRID_L1:
    case GRID_LEVELS:
        break;
    }
    if (!ok)
        wg_fail(why, WG_ERR_INVALID, "code",
                "the code %s does not follow the scheme (l2: community 001-399 + 01-99; l3, "
                "micro: + 01-99; dedicated: l1 + 9 + 0001-9999)",
                code);
    return ok;
}

grid_policy grids_policy(const wg_config *cfg)
{
    return (grid_policy){.outside_is_error = strcmp(cfg->grid_outside, "error") == 0,
                         .overlap_is_error = strcmp(cfg->grid_overlap, "error") == 0,
                         .gap_is_error = strcmp(cfg->grid_gap, "error") == 0,
                         .tolerance_m2 = (double)cfg->grid_tolerance_m2};
}

/* ---- report ---- */

void grids_report_free(grid_report *r)
{
    free(r->items);
    memset(r, 0, sizeof(*r));
}

static void issue(grid_report *r, bool error, const char *check, const char *grid,
                  const char *other, double area, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void issue(grid_report *r, bool error, const char *check, const char *grid,
                  const char *other, double area, const char *fmt, ...)
{
    if (error)
        r->errors++;
    else
        r->warnings++;
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        grid_issue *p = realloc(r->items, (size_t)cap * sizeof(*p));
        if (!p)
            return; /* counted, not detailed */
        r->items = p;
        r->cap = cap;
    }
    grid_issue *x = &r->items[r->n++];
    memset(x, 0, sizeof(*x));
    x->error = error;
    snprintf(x->check, sizeof(x->check), "%s", check);
    snprintf(x->grid, sizeof(x->grid), "%s", grid);
    snprintf(x->other, sizeof(x->other), "%s", other ? other : "");
    x->area_m2 = area;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
    va_end(ap);
}

json_t *grids_report_json(const grid_report *r)
{
    json_t *items = json_array();
    for (int i = 0; items && i < r->n; i++) {
        const grid_issue *x = &r->items[i];
        json_t *o = json_pack("{s:s, s:s, s:s, s:f, s:s}", "severity", x->error ? "error" : "warning",
                              "check", x->check, "grid", x->grid, "area_m2", x->area_m2, "message",
                              x->msg);
        if (o && x->other[0])
            json_object_set_new(o, "other", json_string(x->other));
        json_array_append_new(items, o);
    }
    return json_pack("{s:i, s:i, s:o}", "errors", r->errors, "warnings", r->warnings, "issues",
                     items ? items : json_array());
}

/* ---- loading shapes ---- */

static geo_shape *shape_of(const store_grid *g)
{
    json_error_t je;
    json_t *j = json_loadb(g->geometry ? g->geometry : "", g->geometry_len, 0, &je);
    geo_shape *s = NULL;
    if (j) {
        wg_why why;
        if (geo_shape_from_geojson(j, &s, &why))
            s = NULL;
        json_decref(j);
    }
    return s;
}

typedef struct {
    char code[STORE_GRID_CODE_MAX];
    char level[12];
    char parent[STORE_GRID_CODE_MAX];
    geo_shape *shape;
} loaded;

typedef struct {
    loaded *items;
    int n, cap;
    bool oom;
} loaded_list;

static wg_err collect(void *ctx, const store_grid *g)
{
    loaded_list *l = ctx;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        loaded *p = realloc(l->items, (size_t)cap * sizeof(*p));
        if (!p)
            return WG_ERR_NOMEM;
        l->items = p;
        l->cap = cap;
    }
    loaded *x = &l->items[l->n];
    snprintf(x->code, sizeof(x->code), "%s", g->code);
    snprintf(x->level, sizeof(x->level), "%s", g->level);
    snprintf(x->parent, sizeof(x->parent), "%s", g->parent);
    x->shape = g->geometry ? shape_of(g) : NULL;
    l->n++;
    return WG_OK;
}

static void loaded_free(loaded_list *l)
{
    for (int i = 0; i < l->n; i++)
        geo_shape_free(l->items[i].shape);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* ---- checks ---- */

/* Is `shape` inside `parent`? */
static void check_inside(const grid_policy *p, grid_report *r, const char *code, const char *level,
                         const geo_shape *shape, const char *parent_code,
                         const geo_shape *parent)
{
    double out = geo_area_outside(shape, parent);
    if (out > p->tolerance_m2)
        issue(r, p->outside_is_error, "outside_parent", code, parent_code, out,
              "%s grid %s lies %.1f m² outside its parent %s", level, code, out, parent_code);
    else if (out < 0)
        issue(r, true, "outside_parent", code, parent_code, 0,
              "cannot compare grid %s with its parent %s", code, parent_code);
}

static void check_overlap(const grid_policy *p, grid_report *r, const char *a,
                          const geo_shape *sa, const char *b, const geo_shape *sb)
{
    double ov = geo_area_overlap(sa, sb);
    if (ov > p->tolerance_m2)
        issue(r, p->overlap_is_error, "overlap", a, b, ov, "grids %s and %s overlap by %.1f m²", a,
              b, ov);
}

static void check_gap(const grid_policy *p, grid_report *r, const char *code,
                      const geo_shape *parent, const geo_shape *const *children, uint32_t n)
{
    double gap = geo_area_gap(parent, children, n);
    if (gap > p->tolerance_m2)
        issue(r, p->gap_is_error, "gap", code, NULL, gap,
              "the children of %s leave %.1f m² of it uncovered", code, gap);
}

static bool is_dedicated(const char *level)
{
    return strcmp(level, "dedicated") == 0;
}

wg_err grids_check_tree(store *s, const grid_policy *p, const char *root, grid_report *rep)
{
    loaded_list l = {0};
    wg_err e = root ? store_grid_scan_subtree(s, root, true, collect, &l)
                    : store_grid_scan(s, NULL, true, collect, &l);
    if (e) {
        loaded_free(&l);
        return e;
    }
    rep->grids = l.n;
    for (int i = 0; i < l.n; i++) {
        loaded *x = &l.items[i];
        char reason[256];
        if (!x->shape)
            issue(rep, true, "invalid", x->code, NULL, 0, "grid %s has no readable polygon",
                  x->code);
        else if (!geo_valid(x->shape, reason, sizeof(reason)))
            issue(rep, true, "invalid", x->code, NULL, 0, "grid %s: invalid polygon: %s", x->code,
                  reason);
    }
    /* Parent relations and siblings: group by parent. The list is ordered
     * parent level before child level, so a linear search finds parents. */
    const geo_shape **kids = calloc((size_t)l.n + 1, sizeof(*kids));
    if (!kids) {
        loaded_free(&l);
        return WG_ERR_NOMEM;
    }
    for (int i = 0; i < l.n; i++) {
        loaded *par = &l.items[i];
        if (!par->shape)
            continue;
        uint32_t nk = 0;
        int first_kid = -1;
        for (int j = 0; j < l.n; j++) {
            loaded *c = &l.items[j];
            if (strcmp(c->parent, par->code) != 0 || !c->shape)
                continue;
            check_inside(p, rep, c->code, c->level, c->shape, par->code, par->shape);
            /* Siblings of the ordinary tree must not overlap; dedicated
             * grids overlay it and are compared only among themselves. */
            for (int k = first_kid < 0 ? l.n : first_kid; k < j; k++) {
                loaded *o = &l.items[k];
                if (strcmp(o->parent, par->code) == 0 && o->shape &&
                    is_dedicated(o->level) == is_dedicated(c->level))
                    check_overlap(p, rep, o->code, o->shape, c->code, c->shape);
            }
            if (first_kid < 0)
                first_kid = j;
            if (!is_dedicated(c->level))
                kids[nk++] = c->shape;
        }
        if (nk)
            check_gap(p, rep, par->code, par->shape, kids, nk);
    }
    free(kids);
    loaded_free(&l);
    return WG_OK;
}

/* ---- saving one grid ---- */

typedef struct {
    const char *skip; /* the grid being saved */
    const char *level;
    loaded_list list;
} sib_ctx;

static wg_err collect_sibling(void *ctx, const store_grid *g)
{
    sib_ctx *c = ctx;
    if (strcmp(g->code, c->skip) == 0 || is_dedicated(g->level) != is_dedicated(c->level))
        return WG_OK;
    return collect(&c->list, g);
}

static wg_err collect_child(void *ctx, const store_grid *g)
{
    return collect(ctx, g);
}

static wg_err need_str(const char *v, const char *field, size_t max, wg_why *why)
{
    if (!v || !*v)
        return wg_fail(why, WG_ERR_INVALID, field, "'%s' is required", field);
    if (strlen(v) >= max)
        return wg_fail(why, WG_ERR_INVALID, field, "'%s' is longer than %zu bytes", field, max - 1);
    return WG_OK;
}

wg_err grids_save(store *s, const grid_policy *p, const grid_input *in, bool create,
                  grid_report *rep, wg_why *why)
{
    grid_level lv;
    wg_err e;
    if ((e = need_str(in->code, "code", STORE_GRID_CODE_MAX, why)) ||
        (e = need_str(in->name, "name", STORE_NAME_MAX, why)))
        return e;
    if (!in->level || !grids_level_parse(in->level, &lv))
        return wg_fail(why, WG_ERR_INVALID, "level",
                       "'level' is one of l1, l2, l3, micro, dedicated");
    const char *parent = in->parent && *in->parent ? in->parent : NULL;
    if (lv == GRID_L1 && parent)
        return wg_fail(why, WG_ERR_INVALID, "parent", "a first-level grid has no parent");
    if (lv != GRID_L1 && !parent)
        return wg_fail(why, WG_ERR_INVALID, "parent", "a %s grid needs a parent", in->level);
    if (!grids_code_ok(in->code, lv, parent, why))
        return WG_ERR_INVALID;
    if (in->households < 0 || in->households > 1000000)
        return wg_fail(why, WG_ERR_INVALID, "households", "'households' must be 0 to 1000000");
    if (in->kind && strlen(in->kind) >= 32)
        return wg_fail(why, WG_ERR_INVALID, "kind", "'kind' is longer than 31 bytes");
    if (in->division_code && *in->division_code) {
        store_division d;
        e = store_division_get(s, in->division_code, &d);
        if (e == WG_ERR_NOT_FOUND)
            return wg_fail(why, WG_ERR_INVALID, "division_code", "no division %s",
                           in->division_code);
        if (e)
            return e;
    }
    if (!in->geometry)
        return wg_fail(why, WG_ERR_INVALID, "geometry", "'geometry' is required");
    geo_shape *shape = NULL;
    if ((e = geo_shape_from_geojson(in->geometry, &shape, why)))
        return e;

    store_grid g = {0}, old = {0}, par = {0};
    geo_shape *pshape = NULL;
    sib_ctx sibs = {.skip = in->code, .level = in->level};
    loaded_list kids = {0};
    char *text = NULL;
    char reason[256];

    e = store_grid_get(s, in->code, false, &old);
    if (create && e == WG_OK) {
        e = wg_fail(why, WG_ERR_CONFLICT, "code", "grid %s exists", in->code);
        goto out;
    }
    if (!create && e == WG_ERR_NOT_FOUND) {
        wg_fail(why, e, NULL, "no grid %s", in->code);
        goto out;
    }
    if (e && e != WG_ERR_NOT_FOUND)
        goto out;
    if (!create && strcmp(old.level, in->level) != 0) {
        e = wg_fail(why, WG_ERR_INVALID, "level", "a grid's level cannot change (%s)", old.level);
        goto out;
    }
    if (!create && strcmp(old.parent, parent ? parent : "") != 0) {
        e = wg_fail(why, WG_ERR_INVALID, "parent", "a grid cannot move to another parent");
        goto out;
    }
    e = WG_OK;
    if (!geo_valid(shape, reason, sizeof(reason)))
        issue(rep, true, "invalid", in->code, NULL, 0, "invalid polygon: %s", reason);
    if (parent) {
        if ((e = store_grid_get(s, parent, true, &par)) == WG_ERR_NOT_FOUND) {
            wg_fail(why, WG_ERR_INVALID, "parent", "no grid %s", parent);
            e = WG_ERR_INVALID;
            goto out;
        }
        if (e)
            goto out;
        grid_level plv;
        if (!grids_level_parse(par.level, &plv) || plv != grids_parent_level(lv)) {
            e = wg_fail(why, WG_ERR_INVALID, "parent", "the parent of a %s grid must be %s, not %s",
                        in->level, grids_level_name(grids_parent_level(lv)), par.level);
            goto out;
        }
        pshape = shape_of(&par);
        if (pshape && !rep->errors)
            check_inside(p, rep, in->code, in->level, shape, parent, pshape);
        if ((e = store_grid_scan(s, parent, true, collect_sibling, &sibs)))
            goto out;
        for (int i = 0; i < sibs.list.n && !rep->errors; i++)
            if (sibs.list.items[i].shape)
                check_overlap(p, rep, in->code, shape, sibs.list.items[i].code,
                              sibs.list.items[i].shape);
    }
    if (!create && (e = store_grid_scan(s, in->code, true, collect_child, &kids)))
        goto out;
    for (int i = 0; i < kids.n && !rep->errors; i++)
        if (kids.items[i].shape)
            check_inside(p, rep, kids.items[i].code, kids.items[i].level, kids.items[i].shape,
                         in->code, shape);
    if (rep->errors) {
        /* Name the first error, not a warning that came before it. */
        const char *msg = "the grid fails a check";
        for (int i = 0; i < rep->n; i++)
            if (rep->items[i].error) {
                msg = rep->items[i].msg;
                break;
            }
        e = wg_fail(why, WG_ERR_INVALID, "geometry", "%s", msg);
        goto out;
    }

    json_t *gj = geo_shape_to_geojson(shape);
    text = gj ? json_dumps(gj, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(gj);
    if (!text) {
        e = WG_ERR_NOMEM;
        goto out;
    }
    geo_bbox bb = geo_shape_bbox(shape);
    snprintf(g.code, sizeof(g.code), "%s", in->code);
    snprintf(g.name, sizeof(g.name), "%s", in->name);
    snprintf(g.level, sizeof(g.level), "%s", in->level);
    snprintf(g.parent, sizeof(g.parent), "%s", parent ? parent : "");
    snprintf(g.division_code, sizeof(g.division_code), "%s",
             in->division_code ? in->division_code : "");
    snprintf(g.kind, sizeof(g.kind), "%s", in->kind ? in->kind : "");
    g.households = in->households;
    g.geometry = text;
    g.geometry_len = strlen(text);
    g.area_m2 = geo_shape_area_m2(shape);
    g.min_lon = bb.min_x;
    g.min_lat = bb.min_y;
    g.max_lon = bb.max_x;
    g.max_lat = bb.max_y;
    log_timestamp(g.updated_at, sizeof(g.updated_at));
    memcpy(g.created_at, create ? g.updated_at : old.created_at, sizeof(g.created_at));
    e = create ? store_grid_insert(s, &g) : store_grid_update(s, &g);
    if (e == WG_ERR_CONFLICT)
        wg_fail(why, e, "code", "grid %s exists", in->code);
out:
    free(text);
    free((char *)par.geometry);
    geo_shape_free(pshape);
    geo_shape_free(shape);
    loaded_free(&sibs.list);
    loaded_free(&kids);
    return e;
}

typedef struct {
    grid_counts *c;
} count_ctx;

static wg_err count_one(void *ctx, const store_grid *g)
{
    count_ctx *c = ctx;
    grid_level lv;
    if (grids_level_parse(g->level, &lv))
        c->c->count[lv]++;
    return WG_OK;
}

wg_err grids_count_under(store *s, const char *code, grid_counts *out)
{
    memset(out, 0, sizeof(*out));
    count_ctx c = {out};
    wg_err e = store_grid_scan_subtree(s, code, false, count_one, &c);
    /* the grid itself is in its own subtree */
    store_grid g;
    if (!e && store_grid_get(s, code, false, &g) == WG_OK) {
        grid_level lv;
        if (grids_level_parse(g.level, &lv) && out->count[lv] > 0)
            out->count[lv]--;
    }
    return e;
}
