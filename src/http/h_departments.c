/*
 * h_departments.c - departments and forces (the case loop adds routing).
 */
#include "http/handlers.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static json_t *dept_json(const store_department *d)
{
    return json_pack("{s:s, s:s, s:s}", "code", d->code, "name", d->name, "kind", d->kind);
}

static wg_err add_dept(void *ctx, const store_department *d)
{
    json_array_append_new(ctx, dept_json(d));
    return WG_OK;
}

/* GET /api/departments */
wg_err h_departments_list(http_req *r)
{
    json_t *items = json_array();
    wg_err e = store_department_list(req_store(r), add_dept, items);
    if (e) {
        json_decref(items);
        return e;
    }
    return reply_json(r, 200, json_pack("{s:o}", "items", items));
}

/* POST /api/departments {"code","name","kind"?} */
wg_err h_department_create(http_req *r)
{
    const char *code = NULL, *name = NULL, *kind = "department";
    wg_err e;
    if ((e = req_json_string(r, "code", true, STORE_CODE_MAX - 1, &code)) ||
        (e = req_json_string(r, "name", true, STORE_NAME_MAX - 1, &name)) ||
        (e = req_json_string(r, "kind", false, 15, &kind)))
        return e;
    size_t n = strlen(code);
    if (n < 2)
        return req_fail(r, WG_ERR_INVALID, "code", "'code' needs at least 2 characters");
    for (size_t i = 0; i < n; i++) {
        char c = code[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return req_fail(r, WG_ERR_INVALID, "code", "'code' may hold only a-z, 0-9, _ and -");
    }
    if (!*name)
        return req_fail(r, WG_ERR_INVALID, "name", "'name' must not be empty");
    if (strcmp(kind, "department") != 0 && strcmp(kind, "force") != 0)
        return req_fail(r, WG_ERR_INVALID, "kind", "'kind' is department or force");
    store_department d = {0};
    snprintf(d.code, sizeof(d.code), "%s", code);
    snprintf(d.name, sizeof(d.name), "%s", name);
    snprintf(d.kind, sizeof(d.kind), "%s", kind);
    e = store_department_insert(req_store(r), &d, NULL);
    if (e == WG_ERR_CONFLICT)
        return req_fail(r, e, "code", "a department with code '%s' exists", code);
    if (e)
        return e;
    r->audit_resource = arena_printf(&r->ar, "/api/departments/%s", code);
    return reply_json(r, 201, dept_json(&d));
}
