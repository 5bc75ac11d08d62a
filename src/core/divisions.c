/*
 * divisions.c - see divisions.h. CSV parsing is libcsv's.
 */
#include "core/divisions.h"

#include "util/csv.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
        for (int i = 0; i < nfields && i < CSV_MAX_FIELDS; i++) {
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
        char *buf = csv_read_file(path, &len);
        if (!buf) {
            snprintf(rep->msgs[0], sizeof(rep->msgs[0]), "cannot read %.180s: %s", path,
                     strerror(errno));
            rep->nmsgs = 1;
            e = WG_ERR_IO;
            break;
        }
        int64_t before = rep->rows;
        wg_err pe = csv_each(buf, len, on_division, &c);
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
