/*
 * locator.h - which grids a point lies in: the in-memory index over every
 * grid polygon, and the service that rebuilds and swaps it.
 *
 * A locator is built from the store in one go and never changes: readers
 * need no lock. The service holds the current one; a rebuild makes a new
 * locator while readers keep using the old, then swaps the pointer under a
 * short mutex. A reader acquires a reference and releases it when done,
 * so the old locator is freed only after its last reader.
 */
#ifndef WG_LOCATOR_H
#define WG_LOCATOR_H

#include <jansson.h>

#include "core/grids.h"
#include "store/store.h"

typedef struct locator locator;

typedef struct {
    char code[STORE_GRID_CODE_MAX];
    char name[STORE_NAME_MAX];
    grid_level level;
    int32_t parent; /* position of the parent, -1 for none */
    char division_code[16];
    char kind[32]; /* dedicated grids: school, hospital, ... */
} loc_grid;

typedef struct {
    char code[16];
    char name[STORE_NAME_MAX];
    char level[12];
} loc_division;

#define LOC_MAX_DEDICATED 16

typedef struct {
    int32_t chain[GRID_LEVELS]; /* deepest first: micro, l3, l2, l1 */
    int nchain;
    int32_t dedicated[LOC_MAX_DEDICATED];
    int ndedicated;
} loc_hit;

/* Build from every grid in the store. */
wg_err locator_build(store *s, locator **out, wg_why *why);
void locator_free(locator *l);

/* Locate a point; false when no ordinary grid contains it (dedicated grids
 * are found only inside the ordinary tree's coverage... and also outside:
 * hit->ndedicated is filled either way). */
bool locator_find(const locator *l, double lon, double lat, loc_hit *hit);

const loc_grid *locator_grid(const locator *l, int32_t i);
uint32_t locator_count(const locator *l);
/* The index of the grid `code`, or -1 when there is none. */
int32_t locator_find_code(const locator *l, const char *code);
size_t locator_bytes(const locator *l);

/* The divisions above grid i's first-level grid, township first, up to
 * the province; returns how many (*out points into the locator). */
int locator_divisions(const locator *l, int32_t i, const loc_division **out);

/* The answer as JSON: {"chain":[{"code","name","level"}... micro to l1,
 * then the divisions above (county, city)], "dedicated":[{"code","name",
 * "kind"}]}; a new reference. */
json_t *locator_hit_json(const locator *l, const loc_hit *hit, bool inside);

/* The "1+3+N" parties of every grid of the chain, keyed by grid code:
 * {"<code>": {"lead_party_org", "grid_duty", "community_duty",
 * "property_duty", "forces":[{"type","name","contact"}]}}. */
json_t *grids_parties_json(store *s, const locator *l, const loc_hit *hit);

typedef struct locsvc locsvc;

locsvc *locsvc_new(void);
void locsvc_free(locsvc *v);
/* Build a new locator from s and make it current (serialised). */
wg_err locsvc_rebuild(locsvc *v, store *s, wg_why *why);
/* The current locator with a reference held, or NULL before the first
 * build. Release it with locsvc_release. */
locator *locsvc_acquire(locsvc *v);
void locsvc_release(locsvc *v, locator *l);

#endif
