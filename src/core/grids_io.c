/*
 * grids_io.c - grids to and from GeoJSON FeatureCollections (the import
 * and export commands; the API's /geojson uses the same feature shape).
 */
#include "core/grids_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *grids_feature(const store_grid *g)
{
    json_error_t je;
    json_t *geom = json_loadb(g->geometry ? g->geometry : "", g->geometry_len, 0, &je);
    if (!geom)
        return NULL;
    json_t *props = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:f, s:I}", "code", g->code,
                              "name", g->name, "level", g->level, "parent",
                              g->parent[0] ? g->parent : NULL, "division_code",
                              g->division_code[0] ? g->division_code : NULL, "kind",
                              g->kind[0] ? g->kind : NULL, "area_m2", g->area_m2, "households",
                              (json_int_t)g->households);
    return json_pack("{s:s, s:s, s:o, s:o}", "type", "Feature", "id", g->code, "geometry", geom,
                     "properties", props);
}

static wg_err add(void *ctx, const store_grid *g)
{
    json_t *f = grids_feature(g);
    if (!f)
        return WG_ERR_STORE;
    json_array_append_new(ctx, f);
    return WG_OK;
}

wg_err grids_export(store *s, const char *root, json_t **out)
{
    json_t *features = json_array();
    if (!features)
        return WG_ERR_NOMEM;
    wg_err e = root ? store_grid_scan_subtree(s, root, true, add, features)
                    : store_grid_scan(s, NULL, true, add, features);
    if (e) {
        json_decref(features);
        return e;
    }
    *out = json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", features);
    return *out ? WG_OK : WG_ERR_NOMEM;
}

static int level_rank(const char *level)
{
    grid_level lv;
    if (!level || !grids_level_parse(level, &lv))
        return 99;
    static const int rank[GRID_LEVELS] = {[GRID_L1] = 0, [GRID_L2] = 1, [GRID_L3] = 2,
                                          [GRID_MICRO] = 3, [GRID_DEDICATED] = 1};
    return rank[lv];
}

static int by_level(const void *a, const void *b)
{
    json_t *fa = *(json_t *const *)a, *fb = *(json_t *const *)b;
    const char *la = json_string_value(json_object_get(json_object_get(fa, "properties"), "level"));
    const char *lb = json_string_value(json_object_get(json_object_get(fb, "properties"), "level"));
    return level_rank(la) - level_rank(lb);
}

static const char *prop(json_t *props, const char *k)
{
    return json_string_value(json_object_get(props, k));
}

wg_err grids_import(store *s, const grid_policy *p, const json_t *fc, grids_import_result *res)
{
    memset(res, 0, sizeof(*res));
    json_t *features = json_object_get(fc, "features");
    if (!json_is_object(fc) || !json_is_array(features) ||
        strcmp(json_string_value(json_object_get(fc, "type")) ?: "", "FeatureCollection") != 0) {
        snprintf(res->msg, sizeof(res->msg), "expected a GeoJSON FeatureCollection");
        return WG_ERR_INVALID;
    }
    size_t n = json_array_size(features);
    json_t **order = malloc((n ? n : 1) * sizeof(*order));
    if (!order)
        return WG_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        order[i] = json_array_get(features, i);
    /* Parents first: a stable order by level keeps the file's order within
     * a level. */
    qsort(order, n, sizeof(*order), by_level);
    wg_err e = WG_OK;
    for (size_t i = 0; i < n && !e; i++) {
        json_t *f = order[i], *props = json_object_get(f, "properties");
        json_t *hh = json_object_get(props, "households");
        grid_input in = {.code = prop(props, "code"), .name = prop(props, "name"),
                         .level = prop(props, "level"), .parent = prop(props, "parent"),
                         .division_code = prop(props, "division_code"),
                         .kind = prop(props, "kind"),
                         .households = json_is_integer(hh) ? json_integer_value(hh) : 0,
                         .geometry = json_object_get(f, "geometry")};
        if (!json_is_object(props)) {
            snprintf(res->msg, sizeof(res->msg), "feature %zu has no properties", i);
            e = WG_ERR_INVALID;
            break;
        }
        store_grid old;
        bool exists = in.code && store_grid_get(s, in.code, false, &old) == WG_OK;
        wg_why why = {0};
        e = grids_save(s, p, &in, !exists, &res->report, &why);
        if (e) {
            snprintf(res->msg, sizeof(res->msg), "grid %s: %s", in.code ? in.code : "(no code)",
                     why.msg[0] ? why.msg : wg_strerror(e));
            break;
        }
        if (exists)
            res->updated++;
        else
            res->created++;
    }
    free(order);
    return e;
}
