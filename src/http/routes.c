/*
 * routes.c - the routes table: every path the server answers.
 *
 * {methods, pattern, handler, body, max_body (0 = configured default),
 *  permission, audit action, audit failures too, write late}. The first
 * row whose pattern and method match wins; a path that matches only with
 * other methods gets 405 with Allow. A row with an audit action is a
 * write: its handler runs in one transaction with the audit row. A "write
 * late" row's handler checks and computes without the write lock and
 * hands its write over (req_write_then); such a row audits no failures.
 */
#include "http/handlers.h"
#include "http/server.h"

#define KB(n) ((size_t)(n) * 1024)

const http_route http_routes[] = {
    /* operations */
    {HTTP_GET, "/healthz", h_healthz, BODY_NONE, 0, PERM_PUBLIC, NULL, false},
    {HTTP_GET, "/metrics", h_metrics, BODY_NONE, 0, PERM_PUBLIC, NULL, false},
    {HTTP_GET, "/api/version", h_version, BODY_NONE, 0, PERM_PUBLIC, NULL, false},

    /* the console: web/ and its npm libraries (h_web.c) */
    {HTTP_GET, "/", h_web_index, BODY_NONE, 0, PERM_PUBLIC, NULL, false},
    {HTTP_GET, "/app/{file*}", h_web_file, BODY_NONE, 0, PERM_PUBLIC, NULL, false},
    {HTTP_GET, "/vendor/leaflet/{leaflet*}", h_web_file, BODY_NONE, 0, PERM_PUBLIC, NULL, false},
    {HTTP_GET, "/vendor/echarts/{echarts*}", h_web_file, BODY_NONE, 0, PERM_PUBLIC, NULL, false},

    /* sessions (login writes and audits by itself: see h_auth.c) */
    {HTTP_POST, "/api/login", h_login, BODY_JSON, KB(4), PERM_PUBLIC, NULL, false},
    {HTTP_POST, "/api/logout", h_logout, BODY_JSON, KB(1), PERM_SELF, "logout", false},
    {HTTP_GET, "/api/me", h_me, BODY_NONE, 0, PERM_SELF, NULL, false},

    /* accounts */
    {HTTP_GET, "/api/users", h_users_list, BODY_NONE, 0, PERM_USERS_READ, NULL, false},
    {HTTP_POST, "/api/users", h_user_create, BODY_JSON, KB(16), PERM_USERS_WRITE, "user.create",
     false},
    {HTTP_GET, "/api/users/{login}", h_user_get, BODY_NONE, 0, PERM_USERS_READ, NULL, false},
    {HTTP_PUT, "/api/users/{login}", h_user_update, BODY_JSON, KB(4), PERM_USERS_WRITE,
     "user.update", false},
    {HTTP_PUT, "/api/users/{login}/roles", h_user_roles, BODY_JSON, KB(16), PERM_USERS_WRITE,
     "user.roles", false},
    /* password: checks and hashes before its own transaction (h_users.c) */
    {HTTP_POST, "/api/users/{login}/password", h_user_password, BODY_JSON, KB(4), PERM_SELF,
     NULL, false},
    {HTTP_POST, "/api/users/{login}/disable", h_user_disable, BODY_JSON, KB(1), PERM_USERS_WRITE,
     "user.disable", false},
    {HTTP_POST, "/api/users/{login}/enable", h_user_enable, BODY_JSON, KB(1), PERM_USERS_WRITE,
     "user.enable", false},
    {HTTP_POST, "/api/users/{login}/revoke-sessions", h_user_revoke_sessions, BODY_JSON, KB(1),
     PERM_USERS_WRITE, "user.revoke_sessions", false},
    {HTTP_GET, "/api/users/{login}/api-keys", h_apikeys_list, BODY_NONE, 0, PERM_USERS_READ, NULL,
     false},
    {HTTP_POST, "/api/users/{login}/api-keys", h_apikey_create, BODY_JSON, KB(4),
     PERM_USERS_WRITE, "apikey.create", false},
    {HTTP_DELETE, "/api/users/{login}/api-keys/{id}", h_apikey_revoke, BODY_NONE, 0,
     PERM_USERS_WRITE, "apikey.revoke", false},

    /* audit */
    {HTTP_GET, "/api/audit", h_audit_list, BODY_NONE, 0, PERM_AUDIT_READ, NULL, false},

    /* grids */
    {HTTP_GET, "/api/grids", h_grids_list, BODY_NONE, 0, PERM_GRIDS_READ, NULL, false},
    {HTTP_POST, "/api/grids", h_grid_create, BODY_JSON, 16 * WG_MIB, PERM_GRIDS_WRITE,
     "grid.create", false},
    {HTTP_GET, "/api/grids/{code}", h_grid_get, BODY_NONE, 0, PERM_GRIDS_READ, NULL, false},
    {HTTP_PUT, "/api/grids/{code}", h_grid_update, BODY_JSON, 16 * WG_MIB, PERM_GRIDS_WRITE,
     "grid.update", false},
    {HTTP_DELETE, "/api/grids/{code}", h_grid_delete, BODY_NONE, 0, PERM_GRIDS_WRITE,
     "grid.delete", false},
    {HTTP_GET, "/api/grids/{code}/children", h_grid_children, BODY_NONE, 0, PERM_GRIDS_READ, NULL,
     false},
    {HTTP_GET, "/api/grids/{code}/geojson", h_grid_geojson, BODY_NONE, 0, PERM_GRIDS_READ, NULL,
     false},
    {HTTP_GET, "/api/grids/{code}/staff", h_grid_staff_get, BODY_NONE, 0, PERM_GRIDS_READ, NULL,
     false},
    {HTTP_PUT, "/api/grids/{code}/staff", h_grid_staff_put, BODY_JSON, KB(64), PERM_GRIDS_STAFF,
     "grid.staff", false},
    {HTTP_GET, "/api/grids/{code}/parties", h_grid_parties_get, BODY_NONE, 0, PERM_GRIDS_READ,
     NULL, false},
    {HTTP_PUT, "/api/grids/{code}/parties", h_grid_parties_put, BODY_JSON, KB(64),
     PERM_GRIDS_STAFF, "grid.parties", false},
    {HTTP_GET, "/api/locate", h_locate, BODY_NONE, 0, PERM_LOCATE, NULL, false},
    {HTTP_POST, "/api/locate", h_locate_batch, BODY_JSON, 2 * WG_MIB, PERM_LOCATE, NULL, false},

    /* the case loop */
    {HTTP_GET, "/api/categories", h_categories, BODY_NONE, 0, PERM_SELF, NULL, false},
    {HTTP_PUT, "/api/categories", h_categories_import, BODY_RAW, 4 * WG_MIB, PERM_CATALOGUE_WRITE,
     "catalogue.import", false},
    {HTTP_GET, "/api/route", h_route, BODY_NONE, 0, PERM_CASES_READ, NULL, false},
    {HTTP_GET, "/api/route-rules", h_route_rules, BODY_NONE, 0, PERM_CASES_READ, NULL, false},
    {HTTP_POST, "/api/route-rules", h_route_rule_put, BODY_JSON, KB(4), PERM_CATALOGUE_WRITE,
     "route.put", false},
    {HTTP_DELETE, "/api/route-rules/{id}", h_route_rule_delete, BODY_NONE, 0,
     PERM_CATALOGUE_WRITE, "route.delete", false},
    {HTTP_GET, "/api/calendar", h_calendar, BODY_NONE, 0, PERM_SELF, NULL, false},
    {HTTP_PUT, "/api/calendar/{day}", h_calendar_put, BODY_JSON, KB(1), PERM_CATALOGUE_WRITE,
     "calendar.put", false},
    {HTTP_DELETE, "/api/calendar/{day}", h_calendar_delete, BODY_NONE, 0, PERM_CATALOGUE_WRITE,
     "calendar.delete", false},
    {HTTP_GET, "/api/cases", h_cases_list, BODY_NONE, 0, PERM_CASES_READ, NULL, false},
    {HTTP_POST, "/api/cases", h_case_report, BODY_JSON, KB(64), PERM_CASES_REPORT, "case.report",
     false, true},
    {HTTP_GET, "/api/cases/{id}", h_case_get, BODY_NONE, 0, PERM_CASES_READ, NULL, false},
    {HTTP_GET, "/api/cases/{id}/history", h_case_history, BODY_NONE, 0, PERM_CASES_READ, NULL,
     false},
    {HTTP_POST, "/api/cases/{id}/actions/{action}", h_case_act, BODY_JSON, KB(16),
     PERM_CASES_READ, "case.act", false},

    {HTTP_POST, "/api/attachments", h_attachments_upload, BODY_RAW, 64 * WG_MIB, PERM_CASES_READ,
     "attachment.upload", false},
    {HTTP_GET, "/api/attachments/{sha}", h_attachment_get, BODY_NONE, 0, PERM_CASES_READ, NULL,
     false},
    {HTTP_GET, "/api/stats/cases", h_stats_cases, BODY_NONE, 0, PERM_STATS_READ, NULL, false},
    {HTTP_GET, "/api/stats/whistles", h_stats_whistles, BODY_NONE, 0, PERM_STATS_READ, NULL,
     false},

    /* ledgers: kinds as data */
    {HTTP_GET, "/api/ledgers", h_ledgers_list, BODY_NONE, 0, PERM_LEDGERS_READ, NULL, false},
    {HTTP_GET, "/api/ledgers/{kind}", h_ledger_kind_get, BODY_NONE, 0, PERM_LEDGERS_READ, NULL,
     false},
    {HTTP_PUT, "/api/ledgers/{kind}", h_ledger_kind_put, BODY_RAW, KB(256), PERM_CATALOGUE_WRITE,
     "ledger.kind.put", false},
    {HTTP_GET, "/api/ledgers/{kind}/kpis", h_ledger_kpis, BODY_NONE, 0, PERM_LEDGERS_READ, NULL,
     false},
    {HTTP_GET, "/api/ledgers/{kind}/export", h_ledger_export, BODY_NONE, 0, PERM_LEDGERS_READ,
     NULL, false},
    {HTTP_POST, "/api/ledgers/{kind}/import", h_ledger_import, BODY_RAW, 8 * WG_MIB,
     PERM_LEDGERS_WRITE, "ledger.import", false},
    {HTTP_GET, "/api/ledgers/{kind}/records", h_ledger_records, BODY_NONE, 0, PERM_LEDGERS_READ,
     NULL, false},
    {HTTP_POST, "/api/ledgers/{kind}/records", h_ledger_record_create, BODY_JSON, KB(64),
     PERM_LEDGERS_WRITE, "ledger.create", false},
    {HTTP_GET, "/api/ledgers/{kind}/records/{id}", h_ledger_record_get, BODY_NONE, 0,
     PERM_LEDGERS_READ, NULL, false},
    {HTTP_PUT, "/api/ledgers/{kind}/records/{id}", h_ledger_record_edit, BODY_JSON, KB(64),
     PERM_LEDGERS_WRITE, "ledger.edit", false},
    {HTTP_POST, "/api/ledgers/{kind}/records/{id}/actions/{action}", h_ledger_record_act,
     BODY_JSON, KB(4), PERM_LEDGERS_WRITE, "ledger.act", false},
    {HTTP_GET, "/api/ledgers/{kind}/records/{id}/history", h_ledger_record_history, BODY_NONE, 0,
     PERM_LEDGERS_READ, NULL, false},

    /* indicators and targets */
    {HTTP_GET, "/api/indicators", h_indicators, BODY_NONE, 0, PERM_STATS_READ, NULL, false},
    {HTTP_PUT, "/api/indicators/{code}", h_indicator_put, BODY_JSON, KB(16),
     PERM_INDICATORS_WRITE, "indicator.put", false},
    {HTTP_POST, "/api/indicators/{code}/values", h_indicator_value, BODY_JSON, KB(4),
     PERM_INDICATORS_WRITE, "indicator.value", false},
    {HTTP_GET, "/api/indicators/{code}/values/{period}", h_indicator_value_history, BODY_NONE, 0,
     PERM_STATS_READ, NULL, false},

    {HTTP_GET, "/api/reports/summary", h_report_summary, BODY_NONE, 0, PERM_STATS_READ, NULL,
     false},

    /* departments */
    {HTTP_GET, "/api/departments", h_departments_list, BODY_NONE, 0, PERM_DEPTS_READ, NULL, false},
    {HTTP_POST, "/api/departments", h_department_create, BODY_JSON, KB(4), PERM_DEPTS_WRITE,
     "department.create", false},
};

const size_t http_routes_count = WG_ARRAY_LEN(http_routes);
