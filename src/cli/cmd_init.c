/*
 * cmd_init.c - `wangge init`: create or migrate a database.
 */
#include "cli/cli.h"
#include "store/store.h"

#include <stdio.h>

int cmd_init(int argc, char **argv)
{
    static const char *const keys[] = {"db", "busy_timeout_ms", "log_level", NULL};
    wg_config cfg;
    int first;
    int rc = cli_config(argc, argv, "wangge init --db PATH [options]",
                        "Create the database at PATH if absent, and apply every schema migration "
                        "it lacks.\nRunning it again on an up-to-date database changes nothing.",
                        keys, &cfg, &first);
    if (rc >= 0)
        return rc;
    if (first < argc) {
        cli_error("init", "unexpected argument '%s' (see 'wangge init --help')", argv[first]);
        return EXIT_USAGE;
    }
    char err[1024];
    store *s = NULL;
    store_opts o = {.busy_timeout_ms = (int)cfg.busy_timeout_ms, .create = true};
    int from = 0, to = 0;
    if (store_open(cfg.db, &o, &s, err, sizeof(err)) ||
        store_migrate(s, &from, &to, err, sizeof(err))) {
        cli_error("init", "%s", err);
        store_close(s);
        return EXIT_FAIL;
    }
    store_close(s);
    if (from == to)
        printf("database %s is up to date (schema %d)\n", cfg.db, to);
    else
        printf("database %s migrated from schema %d to %d\n", cfg.db, from, to);
    return EXIT_OK;
}
