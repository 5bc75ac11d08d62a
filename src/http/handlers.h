/*
 * handlers.h - every route handler, for the routes table in routes.c.
 *
 * Handlers translate a request into core calls and the result into a
 * reply; rules live in src/core.
 */
#ifndef WG_HANDLERS_H
#define WG_HANDLERS_H

#include "core/ledgers.h"
#include "http/req.h"
#include "store/store.h"

/* ops.c */
wg_err h_healthz(http_req *r);
wg_err h_metrics(http_req *r);
wg_err h_version(http_req *r);

/* the console (h_web.c) */
wg_err h_web_index(http_req *r);
wg_err h_web_file(http_req *r);
/* Drop the cached files (at shutdown). */
void web_cache_free(void);

/* h_auth.c */
wg_err h_login(http_req *r);
wg_err h_logout(http_req *r);
wg_err h_me(http_req *r);

/* h_users.c */
json_t *user_json(http_req *r, store *db, const store_user *u);
wg_err h_users_list(http_req *r);
wg_err h_user_create(http_req *r);
wg_err h_user_get(http_req *r);
wg_err h_user_update(http_req *r);
wg_err h_user_roles(http_req *r);
wg_err h_user_password(http_req *r);
wg_err h_user_disable(http_req *r);
wg_err h_user_enable(http_req *r);
wg_err h_user_revoke_sessions(http_req *r);
wg_err h_apikeys_list(http_req *r);
wg_err h_apikey_create(http_req *r);
wg_err h_apikey_revoke(http_req *r);

/* h_audit.c */
wg_err h_audit_list(http_req *r);

/* h_grids.c */
wg_err h_grids_list(http_req *r);
wg_err h_grid_create(http_req *r);
wg_err h_grid_get(http_req *r);
wg_err h_grid_update(http_req *r);
wg_err h_grid_delete(http_req *r);
wg_err h_grid_children(http_req *r);
wg_err h_grid_geojson(http_req *r);
wg_err h_grid_staff_get(http_req *r);
wg_err h_grid_staff_put(http_req *r);
wg_err h_grid_parties_get(http_req *r);
wg_err h_grid_parties_put(http_req *r);
wg_err h_locate(http_req *r);
wg_err h_locate_batch(http_req *r);

/* h_cases.c */
wg_err h_categories(http_req *r);
wg_err h_categories_import(http_req *r);
wg_err h_route(http_req *r);
wg_err h_route_rules(http_req *r);
wg_err h_route_rule_put(http_req *r);
wg_err h_route_rule_delete(http_req *r);
wg_err h_calendar(http_req *r);
wg_err h_calendar_put(http_req *r);
wg_err h_calendar_delete(http_req *r);
wg_err h_case_report(http_req *r);
wg_err h_case_get(http_req *r);
wg_err h_case_history(http_req *r);
wg_err h_case_act(http_req *r);
wg_err h_cases_list(http_req *r);
wg_err h_stats_cases(http_req *r);
wg_err h_stats_whistles(http_req *r);
wg_err h_attachments_upload(http_req *r);
wg_err h_attachment_get(http_req *r);

/* h_departments.c */
wg_err h_departments_list(http_req *r);
wg_err h_department_create(http_req *r);

/* ledgers (h_ledgers.c) */
wg_err h_ledgers_list(http_req *r);
wg_err h_ledger_kind_get(http_req *r);
wg_err h_ledger_kind_put(http_req *r);
wg_err h_ledger_records(http_req *r);
wg_err h_ledger_record_create(http_req *r);
wg_err h_ledger_record_get(http_req *r);
wg_err h_ledger_record_edit(http_req *r);
wg_err h_ledger_record_act(http_req *r);
wg_err h_ledger_record_history(http_req *r);
wg_err h_ledger_kpis(http_req *r);
wg_err h_ledger_export(http_req *r);
wg_err h_ledger_import(http_req *r);

/* indicators (h_indicators.c) */
wg_err h_indicators(http_req *r);
wg_err h_indicator_put(http_req *r);
wg_err h_indicator_value(http_req *r);
wg_err h_indicator_value_history(http_req *r);
wg_err h_report_summary(http_req *r);
/* The ledgers of a grid's subtree as one .xlsx (the report's annex). */
wg_err h_ledgers_annex(http_req *r, const ledger_env *env, const char *grid);

#endif
