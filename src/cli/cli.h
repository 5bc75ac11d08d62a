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

/* The same, with command-specific options besides the config keys: each
 * `extra` option (terminated by a zeroed entry, val < 256 and neither 'c'
 * nor 'h', which --config and --help use) is passed to
 * on_extra(val, optarg, ctx), which returns 0 or an exit code. extra_help
 * is printed under the options. */
struct option;
int cli_config_ex(int argc, char **argv, const char *synopsis, const char *summary,
                  const char *const *keys, const struct option *extra, const char *extra_help,
                  int (*on_extra)(int val, const char *arg, void *ctx), void *ctx, wg_config *cfg,
                  int *first_arg);

typedef struct store store;
typedef struct vault vault;

/* Open the database (created and migrated when create is set) and its key
 * file: created with the database; a database that has personal data
 * refuses a missing or foreign key. On failure reports and returns
 * EXIT_FAIL; else 0 and the caller closes both. */
int cli_open(const char *cmd, const wg_config *cfg, bool create, store **s, vault **v);

/* Check the key file against the database (creating it for a database
 * that has none yet). Reports and returns EXIT_FAIL on a mismatch. */
int cli_check_key(const char *cmd, const wg_config *cfg, store *s, vault **v);

/* Read a password: the first line of stdin with --password-stdin, else
 * $WANGGE_PASSWORD, else a new random one (then *generated is set). */
int cli_password(const char *cmd, bool from_stdin, char *out, size_t cap, bool *generated);

/* "cli:<unix user>" for audit rows written from the command line. */
const char *cli_actor(void);

int cmd_user(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_grids(int argc, char **argv);
int cmd_locate(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_case(int argc, char **argv);

/* Print "wangge CMD: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
