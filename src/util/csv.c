/*
 * csv.c - see csv.h. The parsing itself is libcsv's.
 */
#include "util/csv.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    csv_row_cb cb;
    void *ctx;
    int line;      /* the physical line the next row starts on */
    int newlines;  /* line breaks inside the current row's quoted fields */
    int last_term; /* what ended the previous row */
    int nfields;
    char fields[CSV_MAX_FIELDS][CSV_FIELD_MAX];
    char *ptrs[CSV_MAX_FIELDS];
    bool too_many;
    int stop;
} csv_state;

static void on_field(void *data, size_t len, void *ctx)
{
    csv_state *st = ctx;
    if (st->nfields == CSV_MAX_FIELDS) {
        st->too_many = true;
        return;
    }
    for (size_t i = 0; data && i < len; i++)
        st->newlines += ((const char *)data)[i] == '\n';
    size_t n = len < CSV_FIELD_MAX - 1 ? len : CSV_FIELD_MAX - 1;
    memcpy(st->fields[st->nfields], data ? data : "", n);
    st->fields[st->nfields][n] = '\0';
    st->nfields++;
}

/* With CSV_REPALL_NL libcsv reports every line break outside a record as
 * an empty row: count those as lines (a CRLF pair once) and skip them. */
static void on_row(int term, void *ctx)
{
    csv_state *st = ctx;
    bool empty = st->nfields == 0;
    bool crlf_tail = empty && term == '\n' && st->last_term == '\r';
    st->last_term = term;
    if (empty) {
        if (!crlf_tail && term != -1)
            st->line++;
        return;
    }
    int line = st->line;
    if (!st->stop) {
        for (int i = 0; i < st->nfields; i++)
            st->ptrs[i] = st->fields[i];
        st->stop = st->cb(st->ctx, line, st->too_many ? -1 : st->nfields, st->ptrs);
    }
    st->line += 1 + st->newlines;
    st->newlines = 0;
    st->nfields = 0;
    st->too_many = false;
}

wg_err csv_each(const char *buf, size_t len, csv_row_cb cb, void *ctx)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL | CSV_APPEND_NULL |
                         CSV_EMPTY_IS_NULL) != 0)
        return WG_ERR_NOMEM;
    csv_state *st = calloc(1, sizeof(*st));
    if (!st) {
        csv_free(&p);
        return WG_ERR_NOMEM;
    }
    st->cb = cb;
    st->ctx = ctx;
    st->line = 1;
    wg_err e = WG_OK;
    if (csv_parse(&p, buf, len, on_field, on_row, st) != len || csv_fini(&p, on_field, on_row, st))
        e = WG_ERR_INVALID;
    csv_free(&p);
    free(st);
    return e;
}

#define MAX_FILE ((size_t)1 << 30)

/* The whole file, or NULL with errno set (EISDIR, EFBIG, ...). */
char *csv_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fileno(f), &st) != 0) {
        /* errno set */
    } else if (!S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    } else if ((size_t)st.st_size > MAX_FILE) {
        errno = EFBIG;
    } else if ((buf = malloc((size_t)st.st_size + 1))) {
        *len = fread(buf, 1, (size_t)st.st_size, f);
        if (*len != (size_t)st.st_size) {
            free(buf);
            buf = NULL;
            errno = EIO;
        } else {
            buf[*len] = '\0'; /* as csv.h promises */
        }
    }
    int saved = errno;
    fclose(f);
    errno = saved;
    return buf;
}
