/*
 * cmd_version.c - `wangge version`.
 */
#include "cli/cli.h"
#include "store/store.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

int cmd_version(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: wangge version\n\nPrint the version of wangge, its schema and its "
               "libraries.\n");
        return EXIT_OK;
    }
    if (argc > 1) {
        cli_error("version", "takes no arguments (see 'wangge version --help')");
        return EXIT_USAGE;
    }
    printf("wangge %s (schema %d; %s, libmicrohttpd %s, jansson %s)\n", WG_VERSION,
           store_schema_latest(), store_engine(), MHD_get_version(), jansson_version_str());
    return EXIT_OK;
}
