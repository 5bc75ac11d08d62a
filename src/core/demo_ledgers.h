/*
 * demo_ledgers.h - the demo's ledgers: every kind declared in a directory
 * (share/ledgers, every .json file) installed, and the seed's figures as entries of
 * 2023 up to the end of April: 199 disputes (195 mediated, 1 withdrawn),
 * 176 hazards (173 rectified), the air-pollution inspections, gas users,
 * illegal buildings, risk points, projects and activities.
 */
#ifndef WG_DEMO_LEDGERS_H
#define WG_DEMO_LEDGERS_H

#include "core/vault.h"
#include "core/calendar.h"
#include "store/store.h"

typedef struct {
    int kinds;   /* declarations installed */
    int entries; /* entries added (0 when there were some already) */
} demo_ledgers_result;

wg_err demo_ledgers(store *s, const vault *v, const char *dir, const calendar *cal,
                    demo_ledgers_result *out, wg_why *why);

/* The indicators declared in `path` (share/indicators.json: definitions,
 * targets, monthly values), defined or redefined; their values are entered
 * when the first indicator has none yet. *n gets how many are defined. */
wg_err demo_indicators(store *s, const char *path, int *n, wg_why *why);

#endif
