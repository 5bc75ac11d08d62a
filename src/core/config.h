/*
 * config.h - wangge's settings: one table, three sources.
 *
 * Every key is declared once in the table in config.c with its type, range,
 * default and help text; the example file, `serve --help`, the environment
 * names and the README all come from that table. Sources apply in order:
 * defaults, then the file (`key = value` lines, `#` comments), then the
 * environment (WANGGE_<KEY>), then command-line flags (--key-name VALUE).
 * A bad value is rejected with a message naming the key and where it came
 * from.
 */
#ifndef WG_CONFIG_H
#define WG_CONFIG_H

#include "util/common.h"
#include "util/err.h"

#define CONFIG_STR_MAX 1024

typedef struct {
    char db[CONFIG_STR_MAX];
    char listen[256];
    int64_t threads;
    int64_t max_connections;
    int64_t connection_timeout;
    uint64_t max_body;
    uint64_t max_uri;
    uint64_t max_header_bytes;
    int64_t busy_timeout_ms;
    bool access_log;
    char log_level[16];
    int64_t shutdown_grace;
    char key_file[CONFIG_STR_MAX];
    int64_t session_ttl;
    int64_t session_idle;
    uint64_t password_memlimit;
    bool cookie_secure;
    int64_t login_free_tries;
    int64_t addr_free_tries;
    char grid_gap[8];
    char grid_overlap[8];
    char grid_outside[8];
    int64_t grid_tolerance_m2;
    char work_periods[128];
    int64_t utc_offset_minutes;
    int64_t duplicate_radius_m;
    int64_t duplicate_window_hours;
    int64_t duplicate_limit;
    int64_t escalation_interval;
    bool kpi_exclude_deferred;
    char attachment_dir[CONFIG_STR_MAX];
    uint64_t max_attachment;
    char web_root[CONFIG_STR_MAX];
    char web_npm_root[CONFIG_STR_MAX];
    char map_tiles[CONFIG_STR_MAX];
} wg_config;

typedef enum {
    CFG_STRING,
    CFG_INT,
    CFG_SIZE,
    CFG_BOOL,
    CFG_LISTEN,
    CFG_LOGLEVEL,
    CFG_SEVERITY /* "error" or "warning" */
} config_type;

typedef struct {
    const char *name;  /* file key; flag is --name with '_' as '-' */
    config_type type;
    size_t offset;     /* into wg_config */
    size_t size;       /* of the field, for strings */
    const char *def;   /* default, as text */
    int64_t min, max;  /* for ints and sizes; min is the least length of a string */
    const char *help;
} config_key;

/* The table, and its length in *n. */
const config_key *config_keys(size_t *n);

/* Find a key by file name ("max_body") or flag name ("max-body"). */
const config_key *config_find(const char *name);

/* Fill c with the defaults. */
void config_defaults(wg_config *c);

/* Set one key from text. `origin` says where the text came from (for the
 * message). On error writes "invalid value for 'key' (origin): why" into
 * err and returns WG_ERR_CONFIG. */
wg_err config_set(wg_config *c, const config_key *k, const char *value, const char *origin,
                  char *err, size_t errcap);

/* Read a `key = value` file. Unknown keys are errors (typos must not pass
 * silently). */
wg_err config_load_file(wg_config *c, const char *path, char *err, size_t errcap);

/* Apply WANGGE_* variables from the process environment. */
wg_err config_load_env(wg_config *c, char *err, size_t errcap);

/* The key file: cfg->key_file, or "<db>.key" beside the database. */
void config_key_path(const wg_config *c, char *out, size_t cap);

/* The attachments directory: cfg->attachment_dir, or "<db>.files". */
void config_attachment_dir(const wg_config *c, char *out, size_t cap);

/* Write the commented example file (every key, default, help). */
void config_write_example(int fd);

#endif
