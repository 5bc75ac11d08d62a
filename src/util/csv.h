/*
 * csv.h - reading CSV (RFC 4180, UTF-8) row by row, with line numbers for
 * error reports.
 *
 * A thin layer over libcsv: strict quoting (an unclosed quote is an error),
 * blank lines skipped but counted, and the line reported for a row is the
 * physical line it starts on, also when quoted fields hold line breaks.
 * Fields longer than CSV_FIELD_MAX - 1 bytes are cut; rows with more than
 * CSV_MAX_FIELDS fields are reported with nfields = -1.
 */
#ifndef WG_CSV_H
#define WG_CSV_H

#include "util/common.h"
#include "util/err.h"

#define CSV_MAX_FIELDS 32
#define CSV_FIELD_MAX 16384

/* Called for each row with its fields (NUL-terminated, "" when empty) and
 * the line it starts on; non-zero stops the parse. */
typedef int (*csv_row_cb)(void *ctx, int line, int nfields, char **fields);

/* Parse buf; WG_ERR_INVALID when it is not valid CSV. */
wg_err csv_each(const char *buf, size_t len, csv_row_cb cb, void *ctx);

/* Read a whole regular file (at most 1 GiB) into a malloc'd, NUL-terminated
 * buffer the caller frees; NULL with errno set (EISDIR, EFBIG, ...). */
char *csv_read_file(const char *path, size_t *len);

#endif
