/*
 * grids_io.h - grids as GeoJSON FeatureCollections, for `wangge import
 * grids` and `wangge export grids`.
 *
 * A feature is {"type":"Feature","id":code,"geometry":...,"properties":
 * {"code","name","level","parent","division_code","kind","area_m2",
 * "households"}}; export writes what import reads.
 */
#ifndef WG_GRIDS_IO_H
#define WG_GRIDS_IO_H

#include <jansson.h>

#include "core/grids.h"

/* One grid as a Feature (new reference; NULL on a broken geometry). */
json_t *grids_feature(const store_grid *g);

/* Every grid, or the subtree under root, as a FeatureCollection. */
wg_err grids_export(store *s, const char *root, json_t **out);

typedef struct {
    int created, updated;
    grid_report report;
    char msg[320]; /* the first refusal */
} grids_import_result;

/* Create or update every feature's grid, parents before children, each
 * checked like an edit (in the caller's transaction: roll back on error).
 * The caller frees res->report with grids_report_free. */
wg_err grids_import(store *s, const grid_policy *p, const json_t *fc, grids_import_result *res);

#endif
