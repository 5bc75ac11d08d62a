/*
 * index.h - which shapes contain a point: the fast locator over many shapes.
 *
 * geo_index_build() takes n shapes (ids 0..n-1, in general overlapping) and
 * builds an immutable grid index; the index owns all its memory and keeps
 * no pointer to the shapes, which the caller may free right after the
 * build. Lookups never allocate and never write, so any number of threads
 * may query one index at once; geo_index_free() must wait for them.
 *
 * Answers agree exactly with geo_shape_contains() on every shape (the same
 * even-odd, half-open crossing rule: see geo/shape.h), so on a tiling a
 * point on a shared edge or vertex is found in exactly one shape.
 *
 * Design: a uniform grid over the shapes' bounding box, with about eight
 * cells per shape (one per edge when shapes have more edges than that, at
 * most 16M cells). For each cell and each shape whose box reaches the
 * cell, the build reduces the ray test to what varies inside the cell: the
 * edges that pass through the cell, the y values of edge ends to the right
 * of the cell (where the ray's crossing count changes with the point's y),
 * and one constant parity bit for the edges right of the cell spanning its
 * whole row. A cell stores its distinct tests once and one bit mask per
 * shape, so a lookup is one cell-table read plus, unless the cell lies
 * inside a single shape, one short contiguous read of a few tests.
 * Memory: about 600 bytes per shape for a city tiling of quadrilaterals
 * (42 MB for 70,818 of them); build about 0.5 s per 70,000 such shapes.
 * The cells are uniform over the data bounding box, so widely scattered
 * shapes waste cells, and where a boundary is far denser than the average
 * (a detailed river bank among city blocks) a cell holds many edges: the
 * index suits one city or region at a time.
 */
#ifndef WG_GEO_INDEX_H
#define WG_GEO_INDEX_H

#include "geo/shape.h"
#include "util/common.h"
#include "util/err.h"

typedef struct geo_index geo_index;

/* Most shapes one index takes (ids must fit an int32 with room for a
 * marker). */
#define GEO_INDEX_MAX_SHAPES 0x7ffffffeu

/*
 * Build an index over shapes[0..n-1]; shape i gets id i. n may be 0 (every
 * lookup then answers -1). The shapes are read, not kept.
 * Returns a new index the caller frees with geo_index_free(), or NULL with
 * why filled (WG_ERR_NOMEM when memory runs out, WG_ERR_INVALID when n is
 * over GEO_INDEX_MAX_SHAPES, a shape is NULL, or the index would pass its
 * size limit).
 */
geo_index *geo_index_build(const geo_shape *const *shapes, uint32_t n, wg_why *why);

/* Release ix; NULL is allowed. */
void geo_index_free(geo_index *ix);

/* The smallest id of a shape containing (lon, lat), or -1 if none does
 * (also for NaN or infinite input). */
int32_t geo_index_locate(const geo_index *ix, double lon, double lat);

/* How many shapes contain (lon, lat); their ids, ascending, go to out[0..]
 * up to cap of them (out may be NULL when cap is 0). The return value may
 * exceed cap; the ids past cap are then not written. */
uint32_t geo_index_locate_all(const geo_index *ix, double lon, double lat, int32_t *out,
                              uint32_t cap);

/* Number of shapes the index was built over. */
uint32_t geo_index_count(const geo_index *ix);

/* Heap bytes the index holds, its struct included. */
size_t geo_index_bytes(const geo_index *ix);

#endif
