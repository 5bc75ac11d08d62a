/*
 * cmd_config.c - `wangge config example|check`.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

int cmd_config(int argc, char **argv)
{
    static const char usage[] =
        "usage: wangge config example\n"
        "       wangge config check [--config FILE] [--KEY VALUE ...]\n\n"
        "example: print a commented configuration file with every key and its default.\n"
        "check:   apply file, environment and flags as `serve` would and print the result,\n"
        "         or the first invalid value (exit 1).\n";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "example") == 0 && argc == 2) {
        fflush(stdout);
        config_write_example(1);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0) {
        wg_config cfg;
        int first;
        argv[1] = "config check";
        int rc = cli_config(argc - 1, argv + 1, "wangge config check [options]",
                            "Check a configuration.", NULL, &cfg, &first);
        if (rc >= 0)
            return rc;
        if (first < argc - 1) {
            cli_error("config", "unexpected argument '%s'", argv[first + 1]);
            return EXIT_USAGE;
        }
        size_t n;
        const config_key *keys = config_keys(&n);
        for (size_t i = 0; i < n; i++) {
            const char *p = (const char *)&cfg + keys[i].offset;
            switch (keys[i].type) {
            case CFG_STRING:
            case CFG_LISTEN:
            case CFG_SEVERITY:
            case CFG_LOGLEVEL: printf("%s = %s\n", keys[i].name, p); break;
            case CFG_INT: printf("%s = %lld\n", keys[i].name, (long long)*(const int64_t *)p); break;
            case CFG_SIZE:
                printf("%s = %llu\n", keys[i].name, (unsigned long long)*(const uint64_t *)p);
                break;
            case CFG_BOOL: printf("%s = %s\n", keys[i].name, *(const bool *)p ? "true" : "false"); break;
            }
        }
        return EXIT_OK;
    }
    cli_error("config", "unknown subcommand '%s' (see 'wangge config --help')", argv[1]);
    return EXIT_USAGE;
}
