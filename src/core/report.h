/*
 * report.h - the subdistrict's work report (工作情况), written from data.
 *
 * Paragraph by paragraph, in Chinese, like the monthly summaries leaders
 * sign: the indicators by section (economy, employment, environment) with
 * completion of target and change year on year, then disputes, safety and
 * inspections, cases, party activities and projects from the ledgers and
 * the case KPIs. Every number comes from the database for the year up to
 * and including the day `to`, within the grid's subtree. A paragraph whose
 * data is missing is left out, not filled with zeros.
 */
#ifndef WG_REPORT_H
#define WG_REPORT_H

#include <jansson.h>

#include "core/ledgers.h"

/* {"grid", "name", "to", "title", "paragraphs": [...], "markdown", "html"} */
/* What an asker who may see every grid reports on by default: the one grid
 * at the top of the tree (false when there are none or several). */
bool report_default_scope(store *s, char *out, size_t cap);

wg_err report_summary(const ledger_env *env, const char *grid, const char *to, json_t **out,
                      wg_why *why);

#endif
