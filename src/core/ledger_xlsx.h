/*
 * ledger_xlsx.h - a ledger as an .xlsx workbook (libxlsxwriter): one sheet
 * per kind, Chinese headers from the declaration, one row per entry
 * (personal fields masked, enums by their labels).
 */
#ifndef WG_LEDGER_XLSX_H
#define WG_LEDGER_XLSX_H

#include "core/ledgers.h"

/* Write the entries of each kind in kinds[0..n) that f selects (f->kind is
 * set per kind) into one workbook; *out is malloc'ed (the caller frees it),
 * *len its size. tmpdir holds the file while it is written. */
wg_err ledger_xlsx(const ledger_env *env, const ledger_kind *const *kinds, int n,
                   store_record_filter *f, const char *tmpdir, char **out, size_t *len,
                   wg_why *why);

#endif
