/*
 * indicators.h - indicators and targets: definitions, values per period
 * with corrections, and what leaders read: the year so far, completion of
 * the year's target and change year on year.
 *
 * A value is entered per period ("2023-04", "2023-Q2", "2023"); entering a
 * period that has a value is a correction and needs a reason; the old value
 * stays as history. The year so far at the end of month M: the sum, mean
 * or last of the year's periods up to M (the indicator's "cumulate"); the
 * same for the year before gives the change year on year. An indicator
 * whose source is "ledger:<kind>:<kpi>" or "cases:<rate>" (on_time_rate,
 * closure_rate, satisfaction_rate) is computed from the records instead.
 */
#ifndef WG_INDICATORS_H
#define WG_INDICATORS_H

#include <jansson.h>

#include "core/ledgers.h"

/* Create or replace a definition from {"code", "name", "unit", "period",
 * "direction", "cumulate", "source"?, "position"?, "note"?, "targets"?:
 * {"2023": 35150}}. */
wg_err indicator_define(store *s, const json_t *in, int64_t now, wg_why *why);

/* Enter the value of a period: *corrected tells whether it replaced one
 * (then reason is required). */
wg_err indicator_enter(store *s, const char *code, const char *period, double value,
                       const char *source_note, const char *reason, const char *who,
                       int64_t now, bool *corrected, wg_why *why);

/* Load a file of indicators ({"source_note"?, "indicators": [definition +
 * "values"?: {"2023-04": n, ...}]}, as share/indicators.json): every
 * definition and target is written; a value is entered for each period that
 * has none yet (one that has one is left alone: correct it with a reason).
 * *defined and *entered get the counts. */
wg_err indicators_import(store *s, const char *path, const char *who, int64_t now, int *defined,
                         int *entered, wg_why *why);

/* Every indicator at the end of month `to` ("2023-04"): the year so far,
 * last year's, the change, the target and its completion, the periods. */
wg_err indicators_view(const ledger_env *env, const char *grid, const char *to, json_t **out,
                       wg_why *why);

#endif
