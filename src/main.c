/*
 * main.c - `wangge`: dispatch to a subcommand.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"init", cmd_init, "create or migrate a database"},
    {"serve", cmd_serve, "serve the API and console over HTTP"},
    {"demo", cmd_demo, "fill a database with the 汝河路街道 demo"},
    {"case", cmd_case, "the case loop: report, show, act, list"},
    {"grids", cmd_grids, "check the grid tree"},
    {"locate", cmd_locate, "which grids contain a point"},
    {"import", cmd_import, "import data: divisions, grids"},
    {"export", cmd_export, "export data: grids as GeoJSON"},
    {"user", cmd_user, "manage accounts: add, passwd, role, disable, enable, list"},
    {"audit", cmd_audit, "verify the audit log's hash chain"},
    {"config", cmd_config, "print an example configuration or check one"},
    {"version", cmd_version, "print version information"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: wangge COMMAND [options]\n\n"
               "wangge - grid-based grassroots governance platform.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'wangge COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "wangge: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
