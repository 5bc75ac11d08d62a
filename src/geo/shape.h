/*
 * shape.h - polygons in WGS84 longitude/latitude (the grid boundaries).
 *
 * A geo_shape is a MultiPolygon: one or more polygons, each an outer ring
 * followed by zero or more holes. Rings are stored open (without the
 * repeated closing point) in one flat point array; the shape also keeps its
 * bounding box. The whole shape is a single heap block: geo_shape_free()
 * releases it, nothing inside it is owned separately, and every pointer an
 * accessor returns lives exactly as long as the shape.
 *
 * A shape is immutable once built, so any number of threads may read it.
 *
 * Containment (geo_shape_contains) is the even-odd rule over all rings of
 * the shape with a half-open crossing rule, written down once in
 * geo_edge_crosses() below so that the point index (geo/index.h) answers
 * bit for bit the same. The rule, for a ray cast from the point towards +x:
 *   - an edge counts if its lower end y <= py < its upper end y (horizontal
 *     edges never count), and px < the edge's x at py (strictly);
 *   - the edge's x at py is computed from the lower end with the slope of
 *     the edge, so an edge shared by two polygons gives the same number in
 *     both whatever direction each ring walks it.
 * Consequences: an axis-aligned rectangle contains [minx, maxx) x
 * [miny, maxy); a point on an edge or vertex shared by the polygons of a
 * tiling belongs to exactly one of them (the one to its right, or above on
 * a horizontal edge); a point on a boundary nobody shares belongs to the
 * polygon when the polygon lies to its right (above, for a horizontal
 * edge), so a tiling keeps its left and bottom border and loses its right
 * and top one. (Within rounding distance, ~1e-13 degrees, of a vertex
 * where three or more edges meet, floating point could in principle give
 * such a point to none or two; the index then says what this rule says.)
 * Bit-for-bit agreement with the index assumes the compiler does not fuse
 * the multiply-add in geo_edge_crosses differently in the two places
 * (GCC's default under -std=c17 is -ffp-contract=off, and x86-64 without
 * -march has no FMA anyway).
 */
#ifndef WG_GEO_SHAPE_H
#define WG_GEO_SHAPE_H

#include <jansson.h>

#include "util/common.h"
#include "util/err.h"

/* A position: x = longitude, y = latitude, in degrees. */
typedef struct {
    double x, y;
} geo_pt;

/* An axis-aligned box in degrees (edges included). */
typedef struct {
    double min_x, min_y, max_x, max_y;
} geo_bbox;

typedef struct geo_shape geo_shape;

/* Rounding bound: a point farther than this (degrees) outside a shape's
 * bounding box is outside the shape under the crossing rule, because
 * geo_edge_crosses errs by less than 1e-12 for |coordinates| <= 360. The
 * index and the bbox shortcut of geo_shape_contains rely on it. */
#define GEO_SLACK 1e-9

/* Coordinates geo_shape_from_rings accepts: finite, |x| and |y| <= this. */
#define GEO_COORD_MAX 360.0

/* Limits of the GeoJSON reader: total positions as sent (closing points
 * included), and the fewest positions of a ring as sent. */
#define GEO_MAX_POSITIONS 1000000u
#define GEO_MIN_RING_POSITIONS 4u

/*
 * Build a shape from open rings.
 *   pts        all ring points one after the other, without closing points;
 *              copied, the caller keeps ownership
 *   ring_len   number of points of each ring (each >= 3), nring entries
 *   poly_nring number of rings of each polygon (each >= 1; the first ring of
 *              a polygon is its outer ring, the rest are holes), npoly >= 1
 *              entries whose sum is nring
 * Winding is free. Coordinates must be finite with |x|, |y| <=
 * GEO_COORD_MAX; the stricter WGS84 ranges are the GeoJSON reader's job.
 * Returns a new shape the caller frees with geo_shape_free(), or NULL if the
 * arguments are inconsistent or memory runs out.
 */
geo_shape *geo_shape_from_rings(const geo_pt *pts, const uint32_t *ring_len, uint32_t nring,
                                const uint32_t *poly_nring, uint32_t npoly);

/* Convenience: a one-polygon shape from a single open outer ring of n >= 3
 * points. Same ownership and failure as geo_shape_from_rings(). */
geo_shape *geo_shape_from_ring(const geo_pt *pts, uint32_t n);

/*
 * Read a GeoJSON geometry object of type "Polygon" or "MultiPolygon".
 * Checks: numbers only (a third coordinate, the altitude, is allowed and
 * ignored), finite, longitude in [-180, 180], latitude in [-90, 90], every
 * ring closed (first position == last) with at least 4 positions, at least
 * one polygon and one ring per polygon, at most GEO_MAX_POSITIONS positions.
 * On success *out is a new shape the caller frees with geo_shape_free().
 * Returns WG_OK; WG_ERR_INVALID with why->field = "geometry" and a message
 * naming the place ("polygon 1, ring 0, position 3: latitude out of range");
 * WG_ERR_NOMEM if memory runs out. *out is untouched on failure.
 */
wg_err geo_shape_from_geojson(const json_t *geometry, geo_shape **out, wg_why *why);

/*
 * Write s as RFC 7946 GeoJSON: "Polygon" when s has one polygon, else
 * "MultiPolygon"; rings closed; outer rings counter-clockwise and holes
 * clockwise (rings are reversed in the output as needed, s is unchanged).
 * Returns a new reference the caller releases with json_decref(), or NULL
 * if memory runs out.
 */
json_t *geo_shape_to_geojson(const geo_shape *s);

/* Release s; NULL is allowed. */
void geo_shape_free(geo_shape *s);

/* Bounding box of all points. */
geo_bbox geo_shape_bbox(const geo_shape *s);

/* Counts: polygons, rings (outer rings and holes), stored points (open
 * rings, so a GeoJSON ring of 5 positions counts 4). */
uint32_t geo_shape_polygon_count(const geo_shape *s);
uint32_t geo_shape_ring_count(const geo_shape *s);
uint32_t geo_shape_point_count(const geo_shape *s);

/* Rings of polygon `poly` are the flat ring indexes [*first, *first + n);
 * returns n. poly must be < geo_shape_polygon_count(s). */
uint32_t geo_shape_polygon_rings(const geo_shape *s, uint32_t poly, uint32_t *first);

/* Points of flat ring `ring` (< geo_shape_ring_count(s)), open; *n gets the
 * count. The pointer lives as long as s. */
const geo_pt *geo_shape_ring(const geo_shape *s, uint32_t ring, uint32_t *n);

/* Even-odd containment over all rings, with the half-open rule described
 * at the top of this file. NaN coordinates are never contained. */
bool geo_shape_contains(const geo_shape *s, double lon, double lat);

/* Geodesic area on the WGS84 ellipsoid in square metres (PROJ geodesic
 * routines): per polygon |outer| - sum |holes|, summed over polygons, so
 * winding does not matter. */
double geo_shape_area_m2(const geo_shape *s);

/*
 * The crossing rule, shared with the index. The edge is given by its lower
 * end (ax, ay), the y of its upper end by (> ay) and dxdy = (bx - ax) /
 * (by - ay), computed exactly so. True if the ray from (px, py) towards +x
 * crosses the edge under the half-open rule.
 */
static inline bool geo_edge_crosses(double ax, double ay, double by, double dxdy, double px,
                                    double py)
{
    return ay <= py && py < by && px < ax + (py - ay) * dxdy;
}

#endif
