/*
 * cmd_grids.c - `wangge grids check`, `wangge locate LON LAT`.
 */
#include "cli/cli.h"
#include "core/grids.h"
#include "core/locator.h"
#include "core/vault.h"
#include "store/store.h"
#include "util/strparse.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const keys[] = {"db", "key_file", "busy_timeout_ms", "log_level",
                                   "grid_gap", "grid_overlap", "grid_outside",
                                   "grid_tolerance_m2", NULL};

static int on_root(int val, const char *arg, void *ctx)
{
    if (val != 'r')
        return EXIT_USAGE;
    *(const char **)ctx = arg;
    return 0;
}

static int grids_check(int argc, char **argv)
{
    static const struct option extra[] = {{"root", required_argument, NULL, 'r'},
                                          {NULL, 0, NULL, 0}};
    const char *root = NULL;
    wg_config cfg;
    int first;
    int rc = cli_config_ex(argc, argv, "wangge grids check [--root CODE] [options]",
                           "Check every grid (or the subtree under CODE): valid polygons, children "
                           "inside their parent,\nsiblings not overlapping and covering their "
                           "parent, dedicated grids inside the subdistrict.\nPrints one line per "
                           "issue with its area; exit 1 when any is an error.",
                           keys, extra, "  --root CODE   check only the subtree under this grid\n",
                           on_root, &root, &cfg, &first);
    if (rc >= 0)
        return rc;
    if (first < argc) {
        cli_error("grids", "unexpected argument '%s'", argv[first]);
        return EXIT_USAGE;
    }
    store *s;
    vault *v;
    if ((rc = cli_open("grids", &cfg, false, &s, &v)))
        return rc;
    grid_policy p = grids_policy(&cfg);
    grid_report rep = {0};
    wg_err e = grids_check_tree(s, &p, root, &rep);
    if (e) {
        cli_error("grids", "%s", wg_strerror(e));
        rc = EXIT_FAIL;
    } else {
        for (int i = 0; i < rep.n; i++)
            printf("%-7s %-14s %s\n", rep.items[i].error ? "error" : "warning", rep.items[i].check,
                   rep.items[i].msg);
        printf("%d grid(s) checked: %d error(s), %d warning(s)\n", rep.grids, rep.errors,
               rep.warnings);
        rc = rep.errors ? EXIT_FAIL : EXIT_OK;
    }
    grids_report_free(&rep);
    vault_free(v);
    store_close(s);
    return rc;
}

int cmd_grids(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: wangge grids check [--root CODE] [options]\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0) {
        argv[1] = "grids check";
        return grids_check(argc - 1, argv + 1);
    }
    cli_error("grids", "unknown subcommand '%s' (see 'wangge grids --help')", argv[1]);
    return EXIT_USAGE;
}

int cmd_locate(int argc, char **argv)
{
    static const char *const lkeys[] = {"db", "key_file", "busy_timeout_ms", "log_level", NULL};
    wg_config cfg;
    int first;
    int rc = cli_config(argc, argv, "wangge locate LON LAT [--db PATH]",
                        "Print the grids containing a point (WGS84 longitude and latitude) as "
                        "JSON, the same as\nGET /api/locate: the chain from the micro-grid up to "
                        "the first-level grid, the divisions\nabove it, and the dedicated grids.",
                        lkeys, &cfg, &first);
    if (rc >= 0)
        return rc;
    if (argc - first != 2) {
        cli_error("locate", "expected LON LAT (see 'wangge locate --help')");
        return EXIT_USAGE;
    }
    double lon, lat;
    if (!parse_double(argv[first], strlen(argv[first]), -180, 180, &lon)) {
        cli_error("locate", "LON must be a number from -180 to 180");
        return EXIT_USAGE;
    }
    if (!parse_double(argv[first + 1], strlen(argv[first + 1]), -90, 90, &lat)) {
        cli_error("locate", "LAT must be a number from -90 to 90");
        return EXIT_USAGE;
    }
    store *s;
    vault *v;
    if ((rc = cli_open("locate", &cfg, false, &s, &v)))
        return rc;
    locator *l = NULL;
    wg_why why = {0};
    wg_err e = locator_build(s, &l, &why);
    if (e) {
        cli_error("locate", "cannot build the index: %s", why.msg[0] ? why.msg : wg_strerror(e));
        rc = EXIT_FAIL;
    } else {
        loc_hit hit;
        bool in = locator_find(l, lon, lat, &hit);
        json_t *j = locator_hit_json(l, &hit, in);
        if (j && in)
            json_object_set_new(j, "parties", grids_parties_json(s, l, &hit));
        char *text = json_dumps(j, JSON_INDENT(2));
        puts(text ? text : "{}");
        free(text);
        json_decref(j);
        rc = in ? EXIT_OK : EXIT_FAIL;
    }
    locator_free(l);
    vault_free(v);
    store_close(s);
    return rc;
}
