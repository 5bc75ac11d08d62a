/*
 * ledger_xlsx.c - ledgers as .xlsx (see ledger_xlsx.h).
 *
 * libxlsxwriter writes to a file: the workbook goes to a private temporary
 * file that is read back and removed.
 */
#include "core/ledger_xlsx.h"
#include "util/log.h"
#include "util/strparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define PAGE 500

static const char *const lead[] = {"编号", "网格", "责任单位", "责任人", "状态"};
static const char *const tail[] = {"期限", "办结时间", "回访次数", "录入人", "录入时间"};

typedef struct {
    const ledger_env *env;
    const ledger_kind *k;
    lxw_worksheet *ws;
    lxw_row_t row;
    int64_t last;
    int n;
} sheet_ctx;

static void cell(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const json_t *v)
{
    if (json_is_integer(v) || json_is_real(v))
        worksheet_write_number(ws, r, c, json_number_value(v), NULL);
    else if (json_is_string(v))
        worksheet_write_string(ws, r, c, json_string_value(v), NULL);
    else if (json_is_boolean(v))
        worksheet_write_string(ws, r, c, json_is_true(v) ? "是" : "否", NULL);
}

static const char *enum_label(const json_t *field, const char *code)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(field, "values"), i, p)
    {
        if (code && strcmp(json_string_value(json_array_get(p, 0)), code) == 0)
            return json_string_value(json_array_get(p, 1));
    }
    return code;
}

static wg_err add_row(void *ctx, const store_record *r)
{
    sheet_ctx *c = ctx;
    json_t *j = ledger_record_json(c->env, c->k, r);
    if (!j)
        return WG_ERR_NOMEM;
    lxw_row_t row = ++c->row;
    lxw_col_t col = 0;
    worksheet_write_number(c->ws, row, col++, (double)r->id, NULL);
    const char *first[] = {r->grid, r->owner_unit, r->owner_person,
                           json_string_value(json_object_get(j, "status_label"))};
    for (size_t i = 0; i < WG_ARRAY_LEN(first); i++)
        worksheet_write_string(c->ws, row, col++, first[i] ? first[i] : "", NULL);
    const json_t *fields = json_object_get(j, "fields");
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(ledger_kind_spec(c->k), "fields"), i, f)
    {
        const char *name = json_string_value(json_object_get(f, "name"));
        const json_t *v = json_object_get(fields, name);
        const char *type = json_string_value(json_object_get(f, "type"));
        if (v && strcmp(type, "enum") == 0)
            worksheet_write_string(c->ws, row, col, enum_label(f, json_string_value(v)), NULL);
        else if (v)
            cell(c->ws, row, col, v);
        col++;
    }
    const char *last[] = {"due_at", "done_at"};
    for (size_t k = 0; k < WG_ARRAY_LEN(last); k++)
        cell(c->ws, row, col++, json_object_get(j, last[k]));
    worksheet_write_number(c->ws, row, col++, r->visits, NULL);
    worksheet_write_string(c->ws, row, col++, r->created_by, NULL);
    cell(c->ws, row, col++, json_object_get(j, "created_at"));
    json_decref(j);
    c->last = r->id;
    c->n++;
    return WG_OK;
}

/* `name` as Excel takes a sheet's name: none of []:*?/\ (each becomes
 * '_'), no quote at either end, at most 31 characters (cut whole). */
static void sheet_clean(const char *name, char out[128])
{
    static const char bad[] = "[]:*?/\\";
    size_t o = 0, chars = 0;
    for (const char *p = name; *p && chars < 31 && o + 4 < 128; chars++) {
        size_t len = utf8_valid(p, 4);
        if (!len) { /* not UTF-8: the name is stored as sent */
            p++;
            continue;
        }
        if (len == 1 && strchr(bad, *p)) {
            out[o++] = '_';
        } else {
            memcpy(out + o, p, len);
            o += len;
        }
        p += len;
    }
    while (o && out[o - 1] == '\'')
        o--;
    out[o] = '\0';
    size_t quotes = strspn(out, "'");
    memmove(out, out + quotes, o - quotes + 1);
}

/* The kind's sheet: named by its name, else (taken already, or nothing
 * left of it) by its code, else "kind N". */
static lxw_worksheet *add_sheet(lxw_workbook *wb, const ledger_kind *k)
{
    char name[128];
    sheet_clean(ledger_kind_name(k), name);
    if (!*name || workbook_validate_sheet_name(wb, name) != LXW_NO_ERROR)
        sheet_clean(ledger_kind_code(k), name);
    for (int n = 2; !*name || workbook_validate_sheet_name(wb, name) != LXW_NO_ERROR; n++) {
        if (n > 1000)
            return NULL;
        snprintf(name, sizeof(name), "kind %d", n);
    }
    return workbook_add_worksheet(wb, name);
}

static wg_err sheet(const ledger_env *env, const ledger_kind *k, lxw_workbook *wb, lxw_format *bold,
                    store_record_filter *f)
{
    lxw_worksheet *ws = add_sheet(wb, k);
    if (!ws) {
        log_error("ledgers: no sheet for the kind %s", ledger_kind_code(k));
        return WG_ERR_INTERNAL;
    }
    lxw_col_t col = 0;
    for (size_t i = 0; i < WG_ARRAY_LEN(lead); i++)
        worksheet_write_string(ws, 0, col++, lead[i], bold);
    size_t i;
    json_t *fd;
    json_array_foreach(json_object_get(ledger_kind_spec(k), "fields"), i, fd)
        worksheet_write_string(ws, 0, col++, json_string_value(json_object_get(fd, "label")), bold);
    for (size_t j = 0; j < WG_ARRAY_LEN(tail); j++)
        worksheet_write_string(ws, 0, col++, tail[j], bold);
    worksheet_set_column(ws, 0, col, 16, NULL);
    worksheet_freeze_panes(ws, 1, 0);
    sheet_ctx c = {.env = env, .k = k, .ws = ws};
    f->kind = ledger_kind_code(k);
    f->limit = PAGE;
    f->before_id = 0;
    for (;;) {
        int before = c.n;
        wg_err e = store_record_list(env->s, f, add_row, &c);
        if (e)
            return e;
        if (c.n - before < PAGE)
            return WG_OK;
        f->before_id = c.last;
    }
}

wg_err ledger_xlsx(const ledger_env *env, const ledger_kind *const *kinds, int n,
                   store_record_filter *f, const char *tmpdir, char **out, size_t *len, wg_why *why)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/wangge-xlsx-XXXXXX", tmpdir);
    int fd = mkstemp(path);
    if (fd < 0)
        return wg_fail(why, WG_ERR_IO, NULL, "cannot create a file in %s", tmpdir);
    close(fd);
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = (char *)tmpdir};
    lxw_workbook *wb = workbook_new_opt(path, &opt);
    wg_err e = wb ? WG_OK : WG_ERR_IO;
    lxw_format *bold = wb ? workbook_add_format(wb) : NULL;
    if (bold)
        format_set_bold(bold);
    for (int i = 0; i < n && !e; i++)
        e = sheet(env, kinds[i], wb, bold, f);
    if (wb && workbook_close(wb) != LXW_NO_ERROR && !e)
        e = wg_fail(why, WG_ERR_IO, NULL, "cannot write the workbook");
    FILE *in = e ? NULL : fopen(path, "rb");
    if (!e && !in)
        e = WG_ERR_IO;
    if (in) {
        fseek(in, 0, SEEK_END);
        long sz = ftell(in);
        fseek(in, 0, SEEK_SET);
        *out = sz > 0 ? malloc((size_t)sz) : NULL;
        if (!*out || fread(*out, 1, (size_t)sz, in) != (size_t)sz) {
            free(*out);
            *out = NULL;
            e = WG_ERR_IO;
        } else {
            *len = (size_t)sz;
        }
        fclose(in);
    }
    unlink(path);
    return e;
}
