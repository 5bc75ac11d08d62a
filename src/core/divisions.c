/*
 * divisions.c - see divisions.h. CSV parsing is libcsv's.
 */
#include "core/divisions.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FIELDS 8
#define FIELD_MAX 256

typedef struct {
    divisions_row_cb cb;
    void *ctx;
    int line;       /* the physical line the next row starts on */
    int newlines;   /* line breaks inside the current row's quoted fields */
    int last_term;  /* what ended the previous row */
    int nfields;
    char fields[MAX_FIELDS][FIELD_MAX];
    char *ptrs[MAX_FIELDS];
    bool too_many;
    int stop;
} csv_state;

static void on_field(void *data, size_t len, void *ctx)
{
    csv_state *st = ctx;
    if (st->nfields == MAX_FIELDS) {
        st->too_many = true;
        return;
    }
    for (size_t i = 0; data && i < len; i++)
        st->newlines += ((const char *)data)[i] == '\n';
    size_t n = len < FIELD_MAX - 1 ? len : FIELD_MAX - 1;
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

wg_err divisions_parse_csv(const char *buf, size_t len, divisions_row_cb cb, void *ctx)
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

/* One file of the package: name, code length, its level, and which column
 * holds the parent code (-1: none) and its length. */
static const struct {
    const char *file;
    int code_len;
    const char *level;
    int parent_col;
    int parent_len;
    const char *header;
} files[] = {
    {"provinces.csv", 2, "province", -1, 0, "code,name"},
    {"cities.csv", 4, "city", 2, 2, "code,name,provinceCode"},
    {"areas.csv", 6, "county", 2, 4, "code,name,cityCode,provinceCode"},
    {"streets.csv", 9, "township", 2, 6, "code,name,areaCode,provinceCode,cityCode"},
    {"villages.csv", 12, "committee", 2, 9,
     "code,name,streetCode,provinceCode,cityCode,areaCode"},
};

typedef struct {
    store *s;
    divisions_report *rep;
    size_t file;
    wg_err fatal;
} import_ctx;

static void bad(import_ctx *c, int line, const char *fmt, const char *a, const char *b)
{
    c->rep->bad++;
    if (c->rep->nmsgs == DIVISIONS_MAX_REPORTED)
        return;
    char msg[200];
    snprintf(msg, sizeof(msg), fmt, a, b);
    snprintf(c->rep->msgs[c->rep->nmsgs++], sizeof(c->rep->msgs[0]), "%s:%d: %s",
             files[c->file].file, line, msg);
}

static bool digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int on_division(void *ctx, int line, int nfields, char **f)
{
    import_ctx *c = ctx;
    const char *expect = files[c->file].header;
    if (line == 1) {
        char hdr[256] = "";
        for (int i = 0; i < nfields && i < MAX_FIELDS; i++) {
            strncat(hdr, i ? "," : "", sizeof(hdr) - strlen(hdr) - 1);
            strncat(hdr, f[i], sizeof(hdr) - strlen(hdr) - 1);
        }
        if (strcmp(hdr, expect) != 0)
            bad(c, line, "header is '%s', expected '%s'", hdr, expect);
        return 0;
    }
    c->rep->rows++;
    int want = 1;
    for (const char *p = expect; *p; p++)
        want += *p == ',';
    if (nfields != want) {
        char n[16], w[16];
        snprintf(n, sizeof(n), "%d", nfields);
        snprintf(w, sizeof(w), "%d", want);
        bad(c, line, "%s fields, expected %s", n, w);
        return 0;
    }
    int len = files[c->file].code_len;
    if (!digits(f[0], (size_t)len)) {
        char w[16];
        snprintf(w, sizeof(w), "%d", len);
        bad(c, line, "code '%s' must have %s digits", f[0], w);
        return 0;
    }
    if (!f[1][0]) {
        bad(c, line, "code %s has no name%s", f[0], "");
        return 0;
    }
    store_division d = {0};
    snprintf(d.code, sizeof(d.code), "%s", f[0]);
    snprintf(d.name, sizeof(d.name), "%s", f[1]);
    snprintf(d.level, sizeof(d.level), "%s", files[c->file].level);
    int pc = files[c->file].parent_col;
    if (pc >= 0) {
        const char *parent = f[pc];
        size_t plen = (size_t)files[c->file].parent_len;
        if (!digits(parent, plen) || strncmp(parent, f[0], plen) != 0) {
            bad(c, line, "code %s does not extend its parent code '%s'", f[0], parent);
            return 0;
        }
        store_division p;
        wg_err e = store_division_get(c->s, parent, &p);
        if (e == WG_ERR_NOT_FOUND) {
            bad(c, line, "parent %s of %s is not among the divisions", parent, f[0]);
            return 0;
        }
        if (e) {
            c->fatal = e;
            return 1;
        }
        snprintf(d.parent, sizeof(d.parent), "%s", parent);
    }
    wg_err e = store_division_put(c->s, &d);
    if (e) {
        c->fatal = e;
        return 1;
    }
    return 0;
}

#define MAX_FILE ((size_t)1 << 30)

/* The whole file, or NULL with errno set (EISDIR, EFBIG, ...). */
static char *read_file(const char *path, size_t *len)
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
        }
    }
    int saved = errno;
    fclose(f);
    errno = saved;
    return buf;
}

wg_err divisions_import(store *s, const char *dir, FILE *progress, divisions_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    import_ctx c = {.s = s, .rep = rep};
    wg_err e = store_begin(s);
    if (e)
        return e;
    for (c.file = 0; c.file < WG_ARRAY_LEN(files) && !e; c.file++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, files[c.file].file);
        size_t len = 0;
        char *buf = read_file(path, &len);
        if (!buf) {
            snprintf(rep->msgs[0], sizeof(rep->msgs[0]), "cannot read %.180s: %s", path,
                     strerror(errno));
            rep->nmsgs = 1;
            e = WG_ERR_IO;
            break;
        }
        int64_t before = rep->rows;
        wg_err pe = divisions_parse_csv(buf, len, on_division, &c);
        free(buf);
        if (c.fatal) {
            e = c.fatal;
        } else if (pe) {
            bad(&c, 0, "%s is not valid CSV%s", files[c.file].file, "");
        }
        if (progress)
            fprintf(progress, "%s: %lld rows\n", files[c.file].file, (long long)(rep->rows - before));
    }
    if (!e && rep->bad)
        e = WG_ERR_INVALID;
    if (!e)
        e = store_commit(s);
    if (e)
        store_rollback(s);
    return e;
}
