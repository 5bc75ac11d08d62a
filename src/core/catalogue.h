/*
 * catalogue.h - the categories of cases, as data.
 *
 * A deployment loads its catalogue from CSV (share/catalogue.csv is the
 * default): code, kind (component | event), major, minor, fine, name_zh,
 * name_en, department (the code of the department that answers by default),
 * then the time limits of the five steps (file, dispatch, acknowledge,
 * handle, verify) in working time ("30m", "4h", "3d": minutes, hours,
 * working days), and urgent_percent (urgent cases get that share of each
 * limit). Import checks every row and writes all or nothing.
 */
#ifndef WG_CATALOGUE_H
#define WG_CATALOGUE_H

#include "store/store.h"
#include "util/buf.h"

typedef enum { STEP_FILE, STEP_DISPATCH, STEP_ACKNOWLEDGE, STEP_HANDLE, STEP_VERIFY, STEP_COUNT } case_step;

const char *catalogue_step_name(case_step s);

typedef struct {
    int n;     /* how many */
    char unit; /* 'm' minutes, 'h' hours, 'd' working days */
} cat_limit;

/* Parse "30m", "4h", "3d" (1..9999). */
bool catalogue_limit_parse(const char *s, cat_limit *out);

#define CATALOGUE_MAX_REPORTED 20

typedef struct {
    int rows, bad, nmsgs;
    char msgs[CATALOGUE_MAX_REPORTED][256]; /* "line 12: ..." */
} catalogue_report;

/* Check and write every row of a catalogue CSV (in the caller's
 * transaction). WG_ERR_INVALID when rows are bad: rep says which; the
 * caller then rolls back. */
wg_err catalogue_import(store *s, const char *csv, size_t len, catalogue_report *rep);

/* The catalogue as CSV, in the same columns (import reads what this
 * writes). */
wg_err catalogue_export(store *s, wg_buf *out);

#endif
