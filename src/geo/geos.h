/*
 * geos.h - what wangge asks of GEOS: validity, and the areas by which
 * shapes overlap, stick out of or fail to cover one another; and cutting a
 * shape into pieces (the demo's grids).
 *
 * Shapes come and go as geo_shape (geo/shape.h); GEOS geometries never
 * leave this module. Areas are geodesic square metres (the GEOS result is
 * converted back and measured with geo_shape_area_m2). Every function uses
 * its own GEOS context, so all are safe to call from any thread.
 */
#ifndef WG_GEO_GEOS_H
#define WG_GEO_GEOS_H

#include "geo/shape.h"

/* Is s a valid polygon or multipolygon (OGC rules: rings simple, holes
 * inside, polygons not overlapping)? When not, reason gets GEOS's words
 * ("Self-intersection[113.62 34.73]"). */
bool geo_valid(const geo_shape *s, char *reason, size_t cap);

/* Area of a minus b (what of a lies outside b), in m². Negative on a GEOS
 * failure. */
double geo_area_outside(const geo_shape *a, const geo_shape *b);

/* Area of a intersected with b, in m². Negative on failure. */
double geo_area_overlap(const geo_shape *a, const geo_shape *b);

/* Area of parent not covered by any of the n children, in m². Negative on
 * failure. */
double geo_area_gap(const geo_shape *parent, const geo_shape *const *children, uint32_t n);

/* Cut parent into k pieces of similar size: a centroidal Voronoi diagram of
 * k points placed inside parent (deterministic for a seed, with a few
 * Lloyd iterations), each cell clipped to parent. The pieces tile parent
 * without overlap, up to rounding. out[i] are new shapes the caller frees,
 * ordered north to south in rows, west to east within a row. */
wg_err geo_partition(const geo_shape *parent, uint32_t k, uint64_t seed, geo_shape **out);

/* Scale s about its centroid by factor f (a new shape). */
geo_shape *geo_scale(const geo_shape *s, double f);

/* The intersection of a and b as a new shape, NULL when empty or on
 * failure. */
geo_shape *geo_intersection(const geo_shape *a, const geo_shape *b);

/* Centroid of s. */
geo_pt geo_centroid(const geo_shape *s);

#endif
