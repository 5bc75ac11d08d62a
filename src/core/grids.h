/*
 * grids.h - the grid tree's rules: levels, the code scheme, and the checks
 * that keep the tree sound (valid polygons, children inside their parent,
 * siblings not overlapping, siblings covering their parent, dedicated grids
 * inside the subdistrict).
 *
 * Code scheme (digits only; each code extends its parent's, so a subtree
 * is a code prefix):
 *   l1         9   the subdistrict's township code          410102008
 *   l2        14   l1 + community (3, 001-399) + seq (2)    41010200800401
 *   l3        16   l2 + seq (2, 01-99)                      4101020080040101
 *   micro     18   l3 + seq (2, 01-99)                      410102008004010101
 *   dedicated 14   l1 + '9' + seq (4, 0001-9999)            41010200890001
 * Communities' committee codes are 001-399, so dedicated codes (9xx) never
 * collide with an l2. The 12-digit prefix of an l2 is its community's
 * statistical code (CJ/T 213's 14-digit unit-grid code has this shape).
 */
#ifndef WG_GRIDS_H
#define WG_GRIDS_H

#include <jansson.h>

#include "core/config.h"
#include "geo/shape.h"
#include "store/store.h"

typedef enum { GRID_L1, GRID_L2, GRID_L3, GRID_MICRO, GRID_DEDICATED, GRID_LEVELS } grid_level;

const char *grids_level_name(grid_level lv);
bool grids_level_parse(const char *name, grid_level *out);
/* The level a parent of lv must have; GRID_LEVELS for l1 (no parent). */
grid_level grids_parent_level(grid_level lv);
/* Chinese name of a level, for people. */
const char *grids_level_zh(grid_level lv);

/* Does code fit the scheme for its level and parent (NULL or "" for l1)? */
bool grids_code_ok(const char *code, grid_level lv, const char *parent, wg_why *why);

/* What counts as an error and what as a warning, and how small an area is
 * rounding (m²). Invalid polygons are always errors. */
typedef struct {
    bool outside_is_error; /* child outside parent, dedicated outside l1 */
    bool overlap_is_error; /* siblings overlapping */
    bool gap_is_error;     /* siblings not covering their parent */
    double tolerance_m2;
} grid_policy;

/* The policy the configuration asks for (grid_gap, grid_overlap,
 * grid_outside, grid_tolerance_m2). */
grid_policy grids_policy(const wg_config *cfg);

typedef struct {
    bool error;         /* else a warning */
    char check[24];     /* invalid, outside_parent, overlap, gap */
    char grid[STORE_GRID_CODE_MAX];
    char other[STORE_GRID_CODE_MAX]; /* the parent or sibling involved */
    double area_m2;
    char msg[256];
} grid_issue;

typedef struct {
    grid_issue *items; /* malloc'd; grids_report_free */
    int n, cap;
    int errors, warnings;
    int grids; /* grids checked */
} grid_report;

void grids_report_free(grid_report *r);
/* The report as {"errors":n,"warnings":n,"issues":[...]} (new reference). */
json_t *grids_report_json(const grid_report *r);

typedef struct {
    const char *code, *name, *level, *parent, *division_code, *kind;
    int64_t households;
    const json_t *geometry; /* GeoJSON Polygon or MultiPolygon */
} grid_input;

/* Validate and write one grid (create or update) in the caller's
 * transaction: its fields, its code, its polygon (valid), its place in the
 * tree (inside its parent, no overlap with siblings) and, for a parent, its
 * children still inside it. Issues go to rep; with any error nothing is
 * written and WG_ERR_INVALID is returned (why names the first). Computes
 * the geodesic area and the bounding box. */
wg_err grids_save(store *s, const grid_policy *p, const grid_input *in, bool create,
                  grid_report *rep, wg_why *why);

/* Check the whole tree (or the subtree under root, when not NULL). */
wg_err grids_check_tree(store *s, const grid_policy *p, const char *root, grid_report *rep);

/* Counts of grids per level under code (itself excluded) and the total
 * area of the grid itself. */
typedef struct {
    int64_t count[GRID_LEVELS];
} grid_counts;
wg_err grids_count_under(store *s, const char *code, grid_counts *out);

#endif
