/*
 * locator.c - see locator.h.
 */
#include "core/locator.h"
#include "geo/index.h"
#include "util/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIVS 6

struct locator {
    loc_grid *grids;
    uint32_t n;
    geo_index *ix[GRID_LEVELS];
    int32_t *pos[GRID_LEVELS]; /* index id -> grid position */
    loc_division (*divs)[MAX_DIVS]; /* per grid position (l1 only) */
    uint8_t *ndivs;
    _Atomic int refs;
};

typedef struct {
    locator *l;
    geo_shape **shapes;
    char (*parents)[STORE_GRID_CODE_MAX];
    uint32_t cap;
} build_ctx;

static wg_err add_grid(void *ctx, const store_grid *g)
{
    build_ctx *b = ctx;
    locator *l = b->l;
    if (l->n == b->cap) {
        uint32_t cap = b->cap ? b->cap * 2 : 256;
        loc_grid *ng = realloc(l->grids, (size_t)cap * sizeof(*ng));
        if (!ng)
            return WG_ERR_NOMEM;
        l->grids = ng;
        geo_shape **ns = realloc(b->shapes, (size_t)cap * sizeof(*ns));
        if (!ns)
            return WG_ERR_NOMEM;
        b->shapes = ns;
        char(*np)[STORE_GRID_CODE_MAX] = realloc(b->parents, (size_t)cap * sizeof(*np));
        if (!np)
            return WG_ERR_NOMEM;
        b->parents = np;
        b->cap = cap;
    }
    loc_grid *x = &l->grids[l->n];
    memset(x, 0, sizeof(*x));
    snprintf(x->code, sizeof(x->code), "%s", g->code);
    snprintf(x->name, sizeof(x->name), "%s", g->name);
    snprintf(x->division_code, sizeof(x->division_code), "%s", g->division_code);
    snprintf(x->kind, sizeof(x->kind), "%s", g->kind);
    if (!grids_level_parse(g->level, &x->level))
        return WG_ERR_STORE;
    /* The parent's code is resolved after the scan. */
    x->parent = -1;
    b->shapes[l->n] = NULL;
    json_error_t je;
    json_t *j = json_loadb(g->geometry ? g->geometry : "", g->geometry_len, 0, &je);
    wg_why why;
    if (!j || geo_shape_from_geojson(j, &b->shapes[l->n], &why)) {
        json_decref(j);
        log_warn("locator: grid %s has an unreadable polygon; it is left out", g->code);
        return WG_OK;
    }
    json_decref(j);
    snprintf(b->parents[l->n], sizeof(b->parents[0]), "%s", g->parent);
    l->n++;
    return WG_OK;
}

static int by_code(const void *a, const void *b, void *ctx)
{
    const locator *l = ctx;
    return strcmp(l->grids[*(const int32_t *)a].code, l->grids[*(const int32_t *)b].code);
}

/* Resolve parent codes to positions with a sorted index and bsearch. */
static wg_err link_parents(locator *l, char (*parents)[STORE_GRID_CODE_MAX])
{
    int32_t *order = malloc((l->n ? l->n : 1) * sizeof(*order));
    if (!order)
        return WG_ERR_NOMEM;
    for (uint32_t i = 0; i < l->n; i++)
        order[i] = (int32_t)i;
    qsort_r(order, l->n, sizeof(*order), by_code, l);
    for (uint32_t i = 0; i < l->n; i++) {
        if (!parents[i][0])
            continue;
        uint32_t lo = 0, hi = l->n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            int c = strcmp(l->grids[order[mid]].code, parents[i]);
            if (c == 0) {
                l->grids[i].parent = order[mid];
                break;
            }
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    free(order);
    return WG_OK;
}

static void load_divisions(store *s, locator *l, int32_t i)
{
    const char *code = l->grids[i].division_code[0] ? l->grids[i].division_code : l->grids[i].code;
    char cur[STORE_GRID_CODE_MAX];
    snprintf(cur, sizeof(cur), "%s", code);
    int n = 0;
    while (cur[0] && n < MAX_DIVS) {
        store_division d;
        if (store_division_get(s, cur, &d) != WG_OK)
            break;
        loc_division *x = &l->divs[i][n++];
        snprintf(x->code, sizeof(x->code), "%s", d.code);
        snprintf(x->name, sizeof(x->name), "%s", d.name);
        snprintf(x->level, sizeof(x->level), "%s", d.level);
        snprintf(cur, sizeof(cur), "%s", d.parent);
    }
    l->ndivs[i] = (uint8_t)n;
}

wg_err locator_build(store *s, locator **out, wg_why *why)
{
    locator *l = calloc(1, sizeof(*l));
    if (!l)
        return WG_ERR_NOMEM;
    build_ctx b = {.l = l};
    wg_err e = store_grid_scan(s, NULL, true, add_grid, &b);
    if (!e)
        e = link_parents(l, b.parents);
    if (!e) {
        l->divs = calloc(l->n ? l->n : 1, sizeof(*l->divs));
        l->ndivs = calloc(l->n ? l->n : 1, sizeof(*l->ndivs));
        if (!l->divs || !l->ndivs)
            e = WG_ERR_NOMEM;
    }
    for (uint32_t i = 0; !e && i < l->n; i++)
        if (l->grids[i].level == GRID_L1)
            load_divisions(s, l, (int32_t)i);
    for (int lv = 0; !e && lv < GRID_LEVELS; lv++) {
        uint32_t k = 0;
        for (uint32_t i = 0; i < l->n; i++)
            k += l->grids[i].level == (grid_level)lv;
        const geo_shape **shapes = calloc(k ? k : 1, sizeof(*shapes));
        l->pos[lv] = calloc(k ? k : 1, sizeof(*l->pos[lv]));
        if (!shapes || !l->pos[lv]) {
            free(shapes);
            e = WG_ERR_NOMEM;
            break;
        }
        k = 0;
        for (uint32_t i = 0; i < l->n; i++)
            if (l->grids[i].level == (grid_level)lv) {
                shapes[k] = b.shapes[i];
                l->pos[lv][k++] = (int32_t)i;
            }
        l->ix[lv] = geo_index_build(shapes, k, why);
        free(shapes);
        if (!l->ix[lv])
            e = why->msg[0] ? WG_ERR_INVALID : WG_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < l->n; i++)
        geo_shape_free(b.shapes[i]);
    free(b.shapes);
    free(b.parents);
    if (e) {
        locator_free(l);
        return e;
    }
    atomic_init(&l->refs, 1);
    *out = l;
    return WG_OK;
}

void locator_free(locator *l)
{
    if (!l)
        return;
    for (int lv = 0; lv < GRID_LEVELS; lv++) {
        geo_index_free(l->ix[lv]);
        free(l->pos[lv]);
    }
    free(l->grids);
    free(l->divs);
    free(l->ndivs);
    free(l);
}

bool locator_find(const locator *l, double lon, double lat, loc_hit *hit)
{
    hit->nchain = 0;
    hit->ndedicated = 0;
    int32_t at = -1;
    static const grid_level order[] = {GRID_MICRO, GRID_L3, GRID_L2, GRID_L1};
    for (size_t k = 0; k < WG_ARRAY_LEN(order) && at < 0; k++) {
        int32_t id = geo_index_locate(l->ix[order[k]], lon, lat);
        if (id >= 0)
            at = l->pos[order[k]][id];
    }
    for (int32_t i = at; i >= 0 && hit->nchain < GRID_LEVELS; i = l->grids[i].parent)
        hit->chain[hit->nchain++] = i;
    int32_t ids[LOC_MAX_DEDICATED];
    uint32_t n = geo_index_locate_all(l->ix[GRID_DEDICATED], lon, lat, ids, LOC_MAX_DEDICATED);
    for (uint32_t i = 0; i < n && i < LOC_MAX_DEDICATED; i++)
        hit->dedicated[hit->ndedicated++] = l->pos[GRID_DEDICATED][ids[i]];
    return at >= 0;
}

const loc_grid *locator_grid(const locator *l, int32_t i)
{
    return i >= 0 && (uint32_t)i < l->n ? &l->grids[i] : NULL;
}

uint32_t locator_count(const locator *l)
{
    return l->n;
}

int32_t locator_find_code(const locator *l, const char *code)
{
    for (uint32_t i = 0; l && i < locator_count(l); i++)
        if (strcmp(locator_grid(l, (int32_t)i)->code, code) == 0)
            return (int32_t)i;
    return -1;
}

size_t locator_bytes(const locator *l)
{
    size_t b = sizeof(*l) + (size_t)l->n * (sizeof(loc_grid) + sizeof(*l->divs) + 1);
    for (int lv = 0; lv < GRID_LEVELS; lv++)
        b += geo_index_bytes(l->ix[lv]) + (size_t)geo_index_count(l->ix[lv]) * sizeof(int32_t);
    return b;
}

int locator_divisions(const locator *l, int32_t i, const loc_division **out)
{
    while (i >= 0 && l->grids[i].level != GRID_L1)
        i = l->grids[i].parent;
    if (i < 0) {
        *out = NULL;
        return 0;
    }
    *out = l->divs[i];
    return l->ndivs[i];
}

json_t *locator_hit_json(const locator *l, const loc_hit *hit, bool inside)
{
    json_t *chain = json_array(), *ded = json_array();
    for (int i = 0; i < hit->nchain; i++) {
        const loc_grid *g = &l->grids[hit->chain[i]];
        json_array_append_new(chain, json_pack("{s:s, s:s, s:s}", "code", g->code, "name", g->name,
                                               "level", grids_level_name(g->level)));
    }
    if (hit->nchain) {
        const loc_division *d;
        int n = locator_divisions(l, hit->chain[0], &d);
        const char *l1 = l->grids[hit->chain[hit->nchain - 1]].code;
        for (int i = 0; i < n; i++) {
            if (strcmp(d[i].code, l1) == 0)
                continue; /* the first-level grid is that township itself */
            json_array_append_new(chain, json_pack("{s:s, s:s, s:s}", "code", d[i].code, "name",
                                                   d[i].name, "level", d[i].level));
            if (strcmp(d[i].level, "city") == 0)
                break;
        }
    }
    for (int i = 0; i < hit->ndedicated; i++) {
        const loc_grid *g = &l->grids[hit->dedicated[i]];
        json_array_append_new(ded, json_pack("{s:s, s:s, s:s, s:s}", "code", g->code, "name",
                                             g->name, "level", "dedicated", "kind", g->kind));
    }
    return json_pack("{s:b, s:o, s:o}", "inside", inside, "chain", chain, "dedicated", ded);
}

static wg_err add_party(void *ctx, const store_grid_party *p)
{
    json_t *o = ctx;
    if (strcmp(p->role, "force") == 0)
        json_array_append_new(json_object_get(o, "forces"),
                              json_pack("{s:s, s:s, s:s}", "type", p->force_type, "name", p->name,
                                        "contact", p->contact));
    else
        json_object_set_new(o, p->role, json_pack("{s:s, s:s}", "name", p->name, "contact",
                                                  p->contact));
    return WG_OK;
}

json_t *grids_parties_json(store *s, const locator *l, const loc_hit *hit)
{
    json_t *all = json_object();
    for (int i = 0; all && i < hit->nchain + hit->ndedicated; i++) {
        int32_t at = i < hit->nchain ? hit->chain[i] : hit->dedicated[i - hit->nchain];
        const loc_grid *g = &l->grids[at];
        json_t *o = json_pack("{s:o}", "forces", json_array());
        if (o && store_grid_parties_list(s, g->code, add_party, o) == WG_OK)
            json_object_set_new(all, g->code, o);
        else
            json_decref(o);
    }
    return all;
}

/* ---- the service ---- */

struct locsvc {
    pthread_mutex_t swap;    /* guards cur and its refcount hand-off */
    pthread_mutex_t rebuild; /* one rebuild at a time */
    locator *cur;
};

locsvc *locsvc_new(void)
{
    locsvc *v = calloc(1, sizeof(*v));
    if (v) {
        pthread_mutex_init(&v->swap, NULL);
        pthread_mutex_init(&v->rebuild, NULL);
    }
    return v;
}

void locsvc_free(locsvc *v)
{
    if (!v)
        return;
    if (v->cur)
        locsvc_release(v, v->cur);
    pthread_mutex_destroy(&v->swap);
    pthread_mutex_destroy(&v->rebuild);
    free(v);
}

locator *locsvc_acquire(locsvc *v)
{
    pthread_mutex_lock(&v->swap);
    locator *l = v->cur;
    if (l)
        atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&v->swap);
    return l;
}

void locsvc_release(locsvc *v, locator *l)
{
    (void)v;
    if (l && atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) == 1)
        locator_free(l);
}

wg_err locsvc_rebuild(locsvc *v, store *s, wg_why *why)
{
    pthread_mutex_lock(&v->rebuild);
    locator *l = NULL;
    wg_err e = locator_build(s, &l, why);
    if (!e) {
        pthread_mutex_lock(&v->swap);
        locator *old = v->cur;
        v->cur = l; /* the service's own reference */
        pthread_mutex_unlock(&v->swap);
        locsvc_release(v, old);
    }
    pthread_mutex_unlock(&v->rebuild);
    return e;
}
