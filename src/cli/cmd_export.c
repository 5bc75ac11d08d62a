/*
 * cmd_export.c - `wangge export grids [--root CODE]`.
 */
#include "cli/cli.h"
#include "core/grids_io.h"
#include "core/vault.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int on_root(int val, const char *arg, void *ctx)
{
    if (val != 'r')
        return EXIT_USAGE;
    *(const char **)ctx = arg;
    return 0;
}

int cmd_export(int argc, char **argv)
{
    static const char *const keys[] = {"db", "key_file", "busy_timeout_ms", "log_level", NULL};
    static const struct option extra[] = {{"root", required_argument, NULL, 'r'},
                                          {NULL, 0, NULL, 0}};
    if (argc < 2 || strcmp(argv[1], "grids") != 0) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            printf("usage: wangge export grids [--root CODE] [--db PATH]\n\nWrite the grids "
                   "(or the subtree under CODE) to stdout as a GeoJSON FeatureCollection.\n");
            return EXIT_OK;
        }
        cli_error("export", "expected 'grids' (see 'wangge export --help')");
        return EXIT_USAGE;
    }
    argv[1] = "export grids";
    const char *root = NULL;
    wg_config cfg;
    int first;
    int rc = cli_config_ex(argc - 1, argv + 1, "wangge export grids [--root CODE] [options]",
                           "Write grids as a GeoJSON FeatureCollection (RFC 7946) to stdout.", keys,
                           extra, "  --root CODE   only this grid and its subtree\n", on_root,
                           &root, &cfg, &first);
    if (rc >= 0)
        return rc;
    if (first < argc - 1) {
        cli_error("export", "unexpected argument '%s'", argv[first + 1]);
        return EXIT_USAGE;
    }
    store *s;
    vault *v;
    if ((rc = cli_open("export", &cfg, false, &s, &v)))
        return rc;
    json_t *fc = NULL;
    wg_err e = grids_export(s, root, &fc);
    if (e) {
        cli_error("export", "%s", wg_strerror(e));
        rc = EXIT_FAIL;
    } else if (json_dumpf(fc, stdout, JSON_COMPACT | JSON_REAL_PRECISION(15)) != 0) {
        cli_error("export", "cannot write");
        rc = EXIT_FAIL;
    } else {
        putchar('\n');
    }
    json_decref(fc);
    vault_free(v);
    store_close(s);
    return rc;
}
