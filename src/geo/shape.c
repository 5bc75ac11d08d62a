/*
 * shape.c - see shape.h.
 *
 * Layout: one malloc holds the struct, then the points, then the two index
 * arrays (ring -> first point, polygon -> first ring), each with one extra
 * entry so that ring r spans [ring_pt[r], ring_pt[r + 1]).
 */
#include "geo/shape.h"

#include <geodesic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct geo_shape {
    uint32_t npoly, nring, npt;
    geo_bbox bbox;
    geo_pt *pts;         /* npt points, rings open and back to back */
    uint32_t *ring_pt;   /* nring + 1: first point of each ring */
    uint32_t *poly_ring; /* npoly + 1: first ring of each polygon */
};

/* WGS84 ellipsoid, as PROJ and EPSG:4326 define it. */
#define WGS84_A 6378137.0
#define WGS84_F (1 / 298.257223563)

/*
 * Allocate an empty shape with room for the given counts; the index
 * arrays and the bbox are left for the caller to fill. Returns NULL if
 * memory runs out (or, on 32-bit, the size overflows); free with
 * geo_shape_free().
 */
static geo_shape *shape_alloc(uint32_t npoly, uint32_t nring, uint32_t npt)
{
    size_t head = sizeof(geo_shape);
    size_t pts = (size_t)npt * sizeof(geo_pt);
    size_t idx = ((size_t)nring + 1 + (size_t)npoly + 1) * sizeof(uint32_t);
#if SIZE_MAX < UINT64_MAX
    if ((uint64_t)npt * sizeof(geo_pt) + ((uint64_t)nring + npoly + 2) * 4 > SIZE_MAX / 2)
        return NULL;
#endif
    geo_shape *s = malloc(head + pts + idx);
    if (!s)
        return NULL;
    s->npoly = npoly;
    s->nring = nring;
    s->npt = npt;
    /* struct geo_shape's size is a multiple of 8 (it holds doubles), so
     * the points that follow it are aligned. */
    s->pts = (geo_pt *)(void *)((char *)s + head);
    s->ring_pt = (uint32_t *)(void *)((char *)s + head + pts);
    s->poly_ring = s->ring_pt + nring + 1;
    return s;
}

/* Recompute s->bbox from its points (npt >= 1). */
static void shape_set_bbox(geo_shape *s)
{
    geo_bbox b = {s->pts[0].x, s->pts[0].y, s->pts[0].x, s->pts[0].y};
    for (uint32_t i = 1; i < s->npt; i++) {
        const geo_pt p = s->pts[i];
        if (p.x < b.min_x)
            b.min_x = p.x;
        if (p.x > b.max_x)
            b.max_x = p.x;
        if (p.y < b.min_y)
            b.min_y = p.y;
        if (p.y > b.max_y)
            b.max_y = p.y;
    }
    s->bbox = b;
}

geo_shape *geo_shape_from_rings(const geo_pt *pts, const uint32_t *ring_len, uint32_t nring,
                                const uint32_t *poly_nring, uint32_t npoly)
{
    if (!pts || !ring_len || !poly_nring || npoly == 0 || nring < npoly)
        return NULL;
    uint64_t rings = 0, npt = 0;
    for (uint32_t p = 0; p < npoly; p++) {
        if (poly_nring[p] == 0)
            return NULL;
        rings += poly_nring[p];
    }
    if (rings != nring)
        return NULL;
    for (uint32_t r = 0; r < nring; r++) {
        if (ring_len[r] < 3)
            return NULL;
        npt += ring_len[r];
    }
    if (npt > UINT32_MAX - 1)
        return NULL;
    for (uint64_t i = 0; i < npt; i++) {
        if (!(fabs(pts[i].x) <= GEO_COORD_MAX) || !(fabs(pts[i].y) <= GEO_COORD_MAX))
            return NULL; /* also catches NaN */
    }
    geo_shape *s = shape_alloc(npoly, nring, (uint32_t)npt);
    if (!s)
        return NULL;
    memcpy(s->pts, pts, (size_t)npt * sizeof(*pts));
    s->ring_pt[0] = 0;
    for (uint32_t r = 0; r < nring; r++)
        s->ring_pt[r + 1] = s->ring_pt[r] + ring_len[r];
    s->poly_ring[0] = 0;
    for (uint32_t p = 0; p < npoly; p++)
        s->poly_ring[p + 1] = s->poly_ring[p] + poly_nring[p];
    shape_set_bbox(s);
    return s;
}

geo_shape *geo_shape_from_ring(const geo_pt *pts, uint32_t n)
{
    const uint32_t one = 1;
    return geo_shape_from_rings(pts, &n, 1, &one, 1);
}

void geo_shape_free(geo_shape *s)
{
    free(s);
}

geo_bbox geo_shape_bbox(const geo_shape *s)
{
    return s->bbox;
}

uint32_t geo_shape_polygon_count(const geo_shape *s)
{
    return s->npoly;
}

uint32_t geo_shape_ring_count(const geo_shape *s)
{
    return s->nring;
}

uint32_t geo_shape_point_count(const geo_shape *s)
{
    return s->npt;
}

uint32_t geo_shape_polygon_rings(const geo_shape *s, uint32_t poly, uint32_t *first)
{
    *first = s->poly_ring[poly];
    return s->poly_ring[poly + 1] - s->poly_ring[poly];
}

const geo_pt *geo_shape_ring(const geo_shape *s, uint32_t ring, uint32_t *n)
{
    *n = s->ring_pt[ring + 1] - s->ring_pt[ring];
    return s->pts + s->ring_pt[ring];
}

/* ---- GeoJSON in ---------------------------------------------------------- */

/* Where the reader is, for messages; poly/ring/pos are 0-based. */
typedef struct {
    uint32_t poly, ring, pos;
} where;

/* Counts gathered by the validating pass. */
typedef struct {
    uint32_t npoly, nring, npt; /* npt: open points */
    uint32_t positions;         /* as sent, closing points included */
} counts;

/*
 * Check one position and read its lon/lat into *pt. Returns WG_OK or
 * WG_ERR_INVALID with why filled.
 */
static wg_err read_position(const json_t *pos, where w, geo_pt *pt, wg_why *why)
{
    if (!json_is_array(pos) || json_array_size(pos) < 2 || json_array_size(pos) > 3)
        return wg_fail(why, WG_ERR_INVALID, "geometry",
                       "polygon %u, ring %u, position %u: not an array of 2 or 3 numbers",
                       w.poly, w.ring, w.pos);
    double v[3];
    for (size_t i = 0; i < json_array_size(pos); i++) {
        const json_t *n = json_array_get(pos, i);
        if (!json_is_number(n))
            return wg_fail(why, WG_ERR_INVALID, "geometry",
                           "polygon %u, ring %u, position %u: coordinate %zu is not a number",
                           w.poly, w.ring, w.pos, i);
        v[i] = json_number_value(n);
        if (!isfinite(v[i]))
            return wg_fail(why, WG_ERR_INVALID, "geometry",
                           "polygon %u, ring %u, position %u: coordinate %zu is not finite",
                           w.poly, w.ring, w.pos, i);
    }
    if (v[0] < -180.0 || v[0] > 180.0)
        return wg_fail(why, WG_ERR_INVALID, "geometry",
                       "polygon %u, ring %u, position %u: longitude out of range", w.poly,
                       w.ring, w.pos);
    if (v[1] < -90.0 || v[1] > 90.0)
        return wg_fail(why, WG_ERR_INVALID, "geometry",
                       "polygon %u, ring %u, position %u: latitude out of range", w.poly,
                       w.ring, w.pos);
    pt->x = v[0];
    pt->y = v[1];
    return WG_OK;
}

/*
 * Validate one ring (array of positions). When dst is not NULL the open
 * points are also copied there. Adds to c. Returns WG_OK or
 * WG_ERR_INVALID with why filled.
 */
static wg_err read_ring(const json_t *ring, where w, counts *c, geo_pt *dst, wg_why *why)
{
    if (!json_is_array(ring))
        return wg_fail(why, WG_ERR_INVALID, "geometry",
                       "polygon %u, ring %u: not an array of positions", w.poly, w.ring);
    size_t n = json_array_size(ring);
    if (n < GEO_MIN_RING_POSITIONS)
        return wg_fail(why, WG_ERR_INVALID, "geometry",
                       "polygon %u, ring %u: %zu positions, a ring needs at least %u", w.poly,
                       w.ring, n, GEO_MIN_RING_POSITIONS);
    if (n > GEO_MAX_POSITIONS - c->positions)
        return wg_fail(why, WG_ERR_INVALID, "geometry",
                       "polygon %u, ring %u: more than %u positions in total", w.poly, w.ring,
                       GEO_MAX_POSITIONS);
    geo_pt first = {0, 0}, pt = {0, 0};
    for (size_t i = 0; i < n; i++) {
        w.pos = (uint32_t)i;
        wg_err rc = read_position(json_array_get(ring, i), w, &pt, why);
        if (rc)
            return rc;
        if (i == 0)
            first = pt;
        if (dst && i + 1 < n)
            dst[i] = pt;
    }
    if (pt.x != first.x || pt.y != first.y)
        return wg_fail(why, WG_ERR_INVALID, "geometry",
                       "polygon %u, ring %u: not closed (the last position differs from the first)",
                       w.poly, w.ring);
    c->positions += (uint32_t)n;
    c->npt += (uint32_t)(n - 1);
    c->nring++;
    return WG_OK;
}

/*
 * Walk one polygon (array of rings). With s NULL only validate and count;
 * with s set, also fill its points and index arrays at the positions c
 * says (c then counts what was written so far). Returns WG_OK or
 * WG_ERR_INVALID with why filled.
 */
static wg_err read_polygon(const json_t *poly, uint32_t pi, counts *c, geo_shape *s, wg_why *why)
{
    if (!json_is_array(poly))
        return wg_fail(why, WG_ERR_INVALID, "geometry", "polygon %u: not an array of rings", pi);
    size_t nr = json_array_size(poly);
    if (nr == 0)
        return wg_fail(why, WG_ERR_INVALID, "geometry", "polygon %u: has no rings", pi);
    if (s)
        s->poly_ring[c->npoly] = c->nring;
    for (size_t r = 0; r < nr; r++) {
        where w = {pi, (uint32_t)r, 0};
        if (s)
            s->ring_pt[c->nring] = c->npt;
        wg_err rc = read_ring(json_array_get(poly, r), w, c, s ? s->pts + c->npt : NULL, why);
        if (rc)
            return rc;
    }
    c->npoly++;
    return WG_OK;
}

/*
 * Walk the coordinates of a Polygon (multi false) or MultiPolygon; see
 * read_polygon() for the meaning of s.
 */
static wg_err read_coordinates(const json_t *coords, bool multi, counts *c, geo_shape *s,
                               wg_why *why)
{
    if (!multi)
        return read_polygon(coords, 0, c, s, why);
    size_t np = json_array_size(coords);
    if (np == 0)
        return wg_fail(why, WG_ERR_INVALID, "geometry", "a MultiPolygon needs at least one polygon");
    for (size_t p = 0; p < np; p++) {
        wg_err rc = read_polygon(json_array_get(coords, p), (uint32_t)p, c, s, why);
        if (rc)
            return rc;
    }
    return WG_OK;
}

wg_err geo_shape_from_geojson(const json_t *geometry, geo_shape **out, wg_why *why)
{
    if (!json_is_object(geometry))
        return wg_fail(why, WG_ERR_INVALID, "geometry", "not a GeoJSON geometry object");
    const char *type = json_string_value(json_object_get(geometry, "type"));
    bool multi;
    if (type && strcmp(type, "Polygon") == 0)
        multi = false;
    else if (type && strcmp(type, "MultiPolygon") == 0)
        multi = true;
    else
        return wg_fail(why, WG_ERR_INVALID, "geometry",
                       "type must be \"Polygon\" or \"MultiPolygon\"");
    const json_t *coords = json_object_get(geometry, "coordinates");
    if (!json_is_array(coords))
        return wg_fail(why, WG_ERR_INVALID, "geometry", "coordinates must be an array");

    counts c = {0};
    wg_err rc = read_coordinates(coords, multi, &c, NULL, why);
    if (rc)
        return rc;
    geo_shape *s = shape_alloc(c.npoly, c.nring, c.npt);
    if (!s)
        return wg_fail(why, WG_ERR_NOMEM, "geometry", "out of memory reading the geometry");
    counts fill = {0};
    rc = read_coordinates(coords, multi, &fill, s, why); /* validated: cannot fail */
    if (rc) {
        free(s);
        return rc;
    }
    s->ring_pt[s->nring] = s->npt;
    s->poly_ring[s->npoly] = s->nring;
    shape_set_bbox(s);
    *out = s;
    return WG_OK;
}

/* ---- GeoJSON out --------------------------------------------------------- */

/* Twice the signed planar area of an open ring in degrees; > 0 when the
 * ring is counter-clockwise. Coordinates are taken relative to the first
 * point to keep the products small. */
static double ring_signed_area2(const geo_pt *p, uint32_t n)
{
    double sum = 0;
    const double x0 = p[0].x, y0 = p[0].y;
    for (uint32_t i = 1; i + 1 < n; i++)
        sum += (p[i].x - x0) * (p[i + 1].y - y0) - (p[i + 1].x - x0) * (p[i].y - y0);
    return sum;
}

/*
 * One ring as a closed GeoJSON array, reversed when `reverse`. Returns a new
 * reference or NULL if memory runs out.
 */
static json_t *ring_to_json(const geo_pt *p, uint32_t n, bool reverse)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (uint32_t k = 0; k <= n; k++) {
        uint32_t i = k % n;
        if (reverse)
            i = (n - i) % n; /* keeps the first point first */
        json_t *pos = json_pack("[f, f]", p[i].x, p[i].y);
        if (!pos || json_array_append_new(arr, pos)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* Polygon `pi` of s as an array of closed rings, outer ring CCW, holes CW.
 * Returns a new reference or NULL if memory runs out. */
static json_t *polygon_to_json(const geo_shape *s, uint32_t pi)
{
    json_t *rings = json_array();
    if (!rings)
        return NULL;
    for (uint32_t r = s->poly_ring[pi]; r < s->poly_ring[pi + 1]; r++) {
        uint32_t n;
        const geo_pt *p = geo_shape_ring(s, r, &n);
        double a2 = ring_signed_area2(p, n);
        bool outer = r == s->poly_ring[pi];
        bool reverse = outer ? a2 < 0 : a2 > 0;
        json_t *ring = ring_to_json(p, n, reverse);
        if (!ring || json_array_append_new(rings, ring)) {
            json_decref(rings);
            return NULL;
        }
    }
    return rings;
}

json_t *geo_shape_to_geojson(const geo_shape *s)
{
    json_t *coords;
    if (s->npoly == 1) {
        coords = polygon_to_json(s, 0);
    } else {
        coords = json_array();
        for (uint32_t p = 0; coords && p < s->npoly; p++) {
            json_t *poly = polygon_to_json(s, p);
            if (!poly || json_array_append_new(coords, poly)) {
                json_decref(coords);
                coords = NULL;
            }
        }
    }
    if (!coords)
        return NULL;
    /* "o" steals the reference to coords, also on failure. */
    return json_pack("{s:s, s:o}", "type", s->npoly == 1 ? "Polygon" : "MultiPolygon",
                     "coordinates", coords);
}

/* ---- predicates and measures --------------------------------------------- */

bool geo_shape_contains(const geo_shape *s, double lon, double lat)
{
    /* Outside the bbox by more than the rounding bound: outside under the
     * crossing rule too (shape.h), so the shortcut changes no answer. The
     * negated tests also send NaN home. */
    const geo_bbox b = s->bbox;
    if (!(lon >= b.min_x - GEO_SLACK && lon <= b.max_x + GEO_SLACK && lat >= b.min_y - GEO_SLACK &&
          lat <= b.max_y + GEO_SLACK))
        return false;
    bool in = false;
    for (uint32_t r = 0; r < s->nring; r++) {
        const geo_pt *p = s->pts + s->ring_pt[r];
        const uint32_t n = s->ring_pt[r + 1] - s->ring_pt[r];
        for (uint32_t i = 0, j = n - 1; i < n; j = i++) {
            geo_pt a = p[j], c = p[i];
            if (a.y == c.y)
                continue;
            if (a.y > c.y) {
                geo_pt t = a;
                a = c;
                c = t;
            }
            if (lat < a.y || lat >= c.y)
                continue;
            if (geo_edge_crosses(a.x, a.y, c.y, (c.x - a.x) / (c.y - a.y), lon, lat))
                in = !in;
        }
    }
    return in;
}

/* Absolute geodesic area of one open ring in m². */
static double ring_area_m2(const struct geod_geodesic *g, const geo_pt *p, uint32_t n)
{
    struct geod_polygon poly;
    double area = 0;
    geod_polygon_init(&poly, 0);
    for (uint32_t i = 0; i < n; i++)
        geod_polygon_addpoint(g, &poly, p[i].y, p[i].x);
    /* sign = 1: a clockwise ring gives a negative area rather than the
     * rest of the earth. */
    geod_polygon_compute(g, &poly, 0, 1, &area, NULL);
    return fabs(area);
}

double geo_shape_area_m2(const geo_shape *s)
{
    struct geod_geodesic g;
    geod_init(&g, WGS84_A, WGS84_F);
    double total = 0;
    for (uint32_t pi = 0; pi < s->npoly; pi++) {
        for (uint32_t r = s->poly_ring[pi]; r < s->poly_ring[pi + 1]; r++) {
            uint32_t n;
            const geo_pt *p = geo_shape_ring(s, r, &n);
            double a = ring_area_m2(&g, p, n);
            total += r == s->poly_ring[pi] ? a : -a;
        }
    }
    return total;
}
