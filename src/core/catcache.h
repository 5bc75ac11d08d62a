/*
 * catcache.h - the catalogue (categories and routing rules) in memory,
 * for the reports a server takes in.
 *
 * A snapshot holds every category and every rule as of a catalogue
 * generation (sql/018_catalogue_generation.sql: bumped by every change to
 * either table, in any process). The caller reads the generation first
 * (store_generations, in the statement that also reads the actor
 * generation) and asks for the snapshot of that generation: the one held
 * serves while it is of that generation, else one is loaded from the
 * store. Rows loaded after the generation was read are at least as new as
 * it, so a snapshot is never older than its stamp; a newer stamp only
 * loads again.
 *
 * Snapshots are immutable and counted: one acquired stays valid until it
 * is released, whatever loads meanwhile. Thread-safe: one mutex.
 */
#ifndef WG_CATCACHE_H
#define WG_CATCACHE_H

#include "store/store.h"

typedef struct catcache catcache;
typedef struct catsnap catsnap;

catcache *catcache_new(void);
void catcache_free(catcache *c); /* every snapshot released first */

/* The catalogue as of `generation`, loaded from s (in the caller's
 * transaction, if any) when the one held is of another. NULL when it
 * cannot be loaded (out of memory, the store fails): the caller reads the
 * store instead. */
const catsnap *catcache_acquire(catcache *c, store *s, int64_t generation);
void catcache_release(catcache *c, const catsnap *k);

/* Loads so far (for tests). */
uint64_t catcache_loads(catcache *c);

/* The category `code` into out: false when there is none. */
bool catsnap_category(const catsnap *k, const char *code, store_category *out);

/* The rules that match a case of `category` in `grid`, as
 * store_route_matching gives them: of the category or of any, whose grid
 * prefix is empty or begins `grid`. cb's error stops the walk. */
wg_err catsnap_routes(const catsnap *k, const char *category, const char *grid,
                      wg_err (*cb)(void *ctx, const store_route_rule *r), void *ctx);

#endif
