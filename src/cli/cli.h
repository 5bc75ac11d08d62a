/*
 * cli.h - the subcommands of `wangge` and what they share.
 *
 * Each command is a function taking its own argv (argv[0] is the command
 * name) and returning the process exit code: 0 success, 1 failure at run
 * time (bad configuration, unusable database), 2 usage error.
 */
#ifndef WG_CLI_H
#define WG_CLI_H

#include "core/config.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_config(int argc, char **argv);

/* Settle the configuration for a command that accepts the config keys
 * listed in `keys` (NULL-terminated; NULL for all) as --flags, plus --config FILE and
 * --help. Applies defaults, file, environment, flags in that order.
 * Returns -1 to go on (with *first_arg the index of the first positional
 * argument), or an exit code to return at once (after --help, a usage
 * error or an invalid value, each already reported). */
int cli_config(int argc, char **argv, const char *synopsis, const char *summary,
               const char *const *keys, wg_config *cfg, int *first_arg);

/* Print "wangge CMD: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
