/*
 * catalogue.c - see catalogue.h.
 */
#include "core/catalogue.h"
#include "util/csv.h"
#include "util/strparse.h"

#include <stdio.h>
#include <string.h>

static const char *const steps[STEP_COUNT] = {"file", "dispatch", "acknowledge", "handle",
                                              "verify"};

static const char header[] = "code,kind,major,minor,fine,name_zh,name_en,department,file,"
                             "dispatch,acknowledge,handle,verify,urgent_percent";

const char *catalogue_step_name(case_step s)
{
    return (unsigned)s < STEP_COUNT ? steps[s] : "?";
}

bool catalogue_limit_parse(const char *s, cat_limit *out)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 2)
        return false;
    char unit = s[n - 1];
    if (unit != 'm' && unit != 'h' && unit != 'd')
        return false;
    int64_t v;
    if (!parse_i64(s, n - 1, 1, 9999, &v))
        return false;
    out->n = (int)v;
    out->unit = unit;
    return true;
}

typedef struct {
    store *s;
    catalogue_report *rep;
    wg_err fatal;
} import_ctx;

static void bad(import_ctx *c, int line, const char *fmt, const char *a)
{
    c->rep->bad++;
    if (c->rep->nmsgs == CATALOGUE_MAX_REPORTED)
        return;
    char msg[200];
    snprintf(msg, sizeof(msg), fmt, a);
    snprintf(c->rep->msgs[c->rep->nmsgs++], sizeof(c->rep->msgs[0]), "line %d: %s", line, msg);
}

static bool code_ok(const char *code, const char *kind)
{
    size_t n = strlen(code);
    if (n < 3 || n > 15 || (code[0] != 'C' && code[0] != 'E'))
        return false;
    if ((code[0] == 'C') != (strcmp(kind, "component") == 0))
        return false;
    for (size_t i = 1; i < n; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return true;
}

static int on_row(void *ctx, int line, int nf, char **f)
{
    import_ctx *c = ctx;
    if (line == 1 && nf > 0 && strcmp(f[0], "code") == 0) {
        char hdr[512] = "";
        for (int i = 0; i < nf; i++) {
            strncat(hdr, i ? "," : "", sizeof(hdr) - strlen(hdr) - 1);
            strncat(hdr, f[i], sizeof(hdr) - strlen(hdr) - 1);
        }
        if (strcmp(hdr, header) != 0)
            bad(c, line, "the header must be: %s", header);
        return 0;
    }
    c->rep->rows++;
    if (nf != 14) {
        bad(c, line, "expected 14 fields (%s)", header);
        return 0;
    }
    store_category k = {0};
    if (strcmp(f[1], "component") != 0 && strcmp(f[1], "event") != 0) {
        bad(c, line, "kind '%s' is neither component nor event", f[1]);
        return 0;
    }
    if (!code_ok(f[0], f[1])) {
        bad(c, line, "code '%s' must be C (component) or E (event) and 2 to 14 digits", f[0]);
        return 0;
    }
    for (int i = 2; i <= 7; i++) {
        if (i != 4 && !f[i][0]) {
            static const char *const names[] = {"", "", "major", "minor", "fine", "name_zh",
                                                "name_en", "department"};
            bad(c, line, "%s is empty", names[i]);
            return 0;
        }
    }
    static const struct {
        int field;
        const char *name;
        size_t max;
    } sizes[] = {{0, "code", sizeof(k.code)},       {2, "major", sizeof(k.major)},
                 {3, "minor", sizeof(k.minor)},     {4, "fine", sizeof(k.fine)},
                 {5, "name_zh", sizeof(k.name_zh)}, {6, "name_en", sizeof(k.name_en)},
                 {7, "department", sizeof(k.department)}};
    for (size_t i = 0; i < WG_ARRAY_LEN(sizes); i++) {
        if (strlen(f[sizes[i].field]) >= sizes[i].max) {
            char what[64];
            snprintf(what, sizeof(what), "%s is longer than %zu bytes", sizes[i].name,
                     sizes[i].max - 1);
            bad(c, line, "%s", what);
            return 0;
        }
    }
    store_department d;
    wg_err e = store_department_get(c->s, f[7], &d);
    if (e == WG_ERR_NOT_FOUND) {
        bad(c, line, "department '%s' does not exist (add it first)", f[7]);
        return 0;
    }
    if (e) {
        c->fatal = e;
        return 1;
    }
    for (int i = 0; i < STEP_COUNT; i++) {
        cat_limit lim;
        if (!catalogue_limit_parse(f[8 + i], &lim)) {
            bad(c, line, "time limit '%s' is not like 30m, 4h or 3d", f[8 + i]);
            return 0;
        }
        snprintf(k.limit[i], sizeof(k.limit[i]), "%s", f[8 + i]);
    }
    int64_t pct;
    if (!parse_i64(f[13], strlen(f[13]), 1, 100, &pct)) {
        bad(c, line, "urgent_percent '%s' must be 1 to 100", f[13]);
        return 0;
    }
    snprintf(k.code, sizeof(k.code), "%s", f[0]);
    snprintf(k.kind, sizeof(k.kind), "%s", f[1]);
    snprintf(k.major, sizeof(k.major), "%s", f[2]);
    snprintf(k.minor, sizeof(k.minor), "%s", f[3]);
    snprintf(k.fine, sizeof(k.fine), "%s", f[4]);
    snprintf(k.name_zh, sizeof(k.name_zh), "%s", f[5]);
    snprintf(k.name_en, sizeof(k.name_en), "%s", f[6]);
    snprintf(k.department, sizeof(k.department), "%s", f[7]);
    k.urgent_percent = (int)pct;
    if ((e = store_category_put(c->s, &k))) {
        c->fatal = e;
        return 1;
    }
    return 0;
}

wg_err catalogue_import(store *s, const char *csv, size_t len, catalogue_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    import_ctx c = {.s = s, .rep = rep};
    wg_err e = csv_each(csv, len, on_row, &c);
    if (c.fatal)
        return c.fatal;
    if (e) {
        rep->bad++;
        if (rep->nmsgs < CATALOGUE_MAX_REPORTED)
            snprintf(rep->msgs[rep->nmsgs++], sizeof(rep->msgs[0]), "not valid CSV");
    }
    return rep->bad ? WG_ERR_INVALID : WG_OK;
}

/* One CSV field, quoted when it must be. */
static wg_err field(wg_buf *b, const char *v, bool last)
{
    wg_err e;
    if (strpbrk(v, ",\"\n\r")) {
        e = buf_putc(b, '"');
        for (const char *p = v; !e && *p; p++)
            e = *p == '"' ? buf_puts(b, "\"\"") : buf_putc(b, *p);
        if (!e)
            e = buf_putc(b, '"');
    } else {
        e = buf_puts(b, v);
    }
    return e ? e : buf_putc(b, last ? '\n' : ',');
}

static wg_err write_row(void *ctx, const store_category *k)
{
    wg_buf *b = ctx;
    char pct[8];
    snprintf(pct, sizeof(pct), "%d", k->urgent_percent);
    const char *v[] = {k->code,     k->kind,     k->major,    k->minor,    k->fine,
                       k->name_zh,  k->name_en,  k->department, k->limit[0], k->limit[1],
                       k->limit[2], k->limit[3], k->limit[4], pct};
    wg_err e = WG_OK;
    for (size_t i = 0; !e && i < WG_ARRAY_LEN(v); i++)
        e = field(b, v[i], i + 1 == WG_ARRAY_LEN(v));
    return e;
}

wg_err catalogue_export(store *s, wg_buf *out)
{
    wg_err e = buf_puts(out, header);
    if (!e)
        e = buf_putc(out, '\n');
    return e ? e : store_category_list(s, write_row, out);
}
