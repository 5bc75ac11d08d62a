/*
 * config.c - see config.h.
 */
#include "core/config.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/strparse.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F(field) offsetof(wg_config, field), sizeof(((wg_config *)0)->field)

static const config_key keys[] = {
    {"db", CFG_STRING, F(db), "wangge.db", 1, 0,
     "Path of the SQLite database file (created if absent)."},
    {"listen", CFG_LISTEN, F(listen), "127.0.0.1:8080", 0, 0,
     "Address to serve on, HOST:PORT or [IPv6]:PORT; port 0 picks a free one."},
    {"threads", CFG_INT, F(threads), "0", 0, 256,
     "Worker threads; 0 means one per CPU core."},
    {"max_connections", CFG_INT, F(max_connections), "1024", 1, 100000,
     "Most concurrent client connections."},
    {"connection_timeout", CFG_INT, F(connection_timeout), "30", 1, 3600,
     "Seconds an idle connection is kept open."},
    {"max_body", CFG_SIZE, F(max_body), "1M", 0, 1024LL * 1024 * 1024,
     "Default cap on a request body (routes may set their own); K/M/G suffixes."},
    {"max_uri", CFG_SIZE, F(max_uri), "8K", 256, 32 * 1024,
     "Longest request URI accepted; longer gets 414."},
    {"max_header_bytes", CFG_SIZE, F(max_header_bytes), "24K", 1024, 48 * 1024,
     "Most bytes of request headers accepted; more gets 431."},
    {"busy_timeout_ms", CFG_INT, F(busy_timeout_ms), "5000", 0, 600000,
     "How long a database write waits for a lock before giving up (ms)."},
    {"access_log", CFG_BOOL, F(access_log), "true", 0, 0,
     "Write one JSON line per request to stderr."},
    {"log_level", CFG_LOGLEVEL, F(log_level), "info", 0, 0,
     "Least severe log level written: debug, info, warn, error or off."},
    {"shutdown_grace", CFG_INT, F(shutdown_grace), "10", 0, 600,
     "Seconds in-flight requests get to finish after SIGINT/SIGTERM."},
    {"key_file", CFG_STRING, F(key_file), "", 0, 0,
     "Key file for personal data at rest; empty means <db>.key beside the database."},
    {"session_ttl", CFG_INT, F(session_ttl), "43200", 60, 30 * 86400,
     "Seconds a login session lives at most."},
    {"session_idle", CFG_INT, F(session_idle), "1800", 1, 86400,
     "Seconds a session may go unused before it ends."},
    {"password_memlimit", CFG_SIZE, F(password_memlimit), "64M", 8 * 1024, 1024LL * 1024 * 1024,
     "Memory argon2id uses per password hash (K/M/G)."},
    {"cookie_secure", CFG_BOOL, F(cookie_secure), "false", 0, 0,
     "Mark the session cookie Secure (set when serving behind HTTPS)."},
    {"login_free_tries", CFG_INT, F(login_free_tries), "5", 1, 1000,
     "Failed logins per account before each further try must wait (1 s, 2 s, 4 s, ... 15 min)."},
    {"addr_free_tries", CFG_INT, F(addr_free_tries), "20", 1, 100000,
     "Failed logins per client address before each further try must wait."},
    {"grid_gap", CFG_SEVERITY, F(grid_gap), "warning", 0, 0,
     "Children of a grid leaving part of it uncovered: error or warning."},
    {"grid_overlap", CFG_SEVERITY, F(grid_overlap), "error", 0, 0,
     "Sibling grids overlapping: error or warning."},
    {"grid_outside", CFG_SEVERITY, F(grid_outside), "error", 0, 0,
     "A grid reaching outside its parent (a dedicated grid outside the subdistrict): error or "
     "warning."},
    {"grid_tolerance_m2", CFG_INT, F(grid_tolerance_m2), "1", 0, 1000000,
     "Overlaps, gaps and overhangs up to this many m² are rounding, not issues."},
    {"work_periods", CFG_STRING, F(work_periods), "08:30-12:00,13:30-18:00", 1, 0,
     "Working hours of a working day (Monday to Friday unless the calendar says otherwise)."},
    {"utc_offset_minutes", CFG_INT, F(utc_offset_minutes), "480", -840, 840,
     "Local time of the deployment as minutes east of UTC (China: 480)."},
    {"duplicate_radius_m", CFG_INT, F(duplicate_radius_m), "50", 0, 10000,
     "Open cases of the same category this close are offered as possible duplicates."},
    {"duplicate_window_hours", CFG_INT, F(duplicate_window_hours), "72", 0, 8760,
     "... if reported within this many hours."},
    {"duplicate_limit", CFG_INT, F(duplicate_limit), "10", 1, 50,
     "... at most this many, the newest first."},
    {"escalation_interval", CFG_INT, F(escalation_interval), "60", 0, 86400,
     "Seconds between scans for overdue steps (each gets an escalation entry); 0 turns it off."},
    {"kpi_exclude_deferred", CFG_BOOL, F(kpi_exclude_deferred), "false", 0, 0,
     "Leave deferred cases (缓办) out of the closure and on-time denominators, as some cities do."},
    {"attachment_dir", CFG_STRING, F(attachment_dir), "", 0, 0,
     "Where attachments are stored (by SHA-256); empty means <db>.files beside the database."},
    {"max_attachment", CFG_SIZE, F(max_attachment), "10M", 1024, 1024LL * 1024 * 1024,
     "Largest attachment accepted; larger gets 413."},
    {"web_root", CFG_STRING, F(web_root), "web", 1, 0,
     "The console's files, served at / and /app/ (relative to the working directory)."},
    {"web_npm_root", CFG_STRING, F(web_npm_root), "node_modules", 1, 0,
     "Where npm installed the console's libraries (Leaflet, ECharts), served at /vendor/."},
    {"map_tiles", CFG_STRING, F(map_tiles), "", 0, 0,
     "Base map tiles under the console's grids, a Leaflet URL template such as "
     "https://tiles.example/{z}/{x}/{y}.png (the tile host must be allowed by the "
     "page's CSP: serve them from this host); empty: the grids are the map."},
};

const config_key *config_keys(size_t *n)
{
    *n = WG_ARRAY_LEN(keys);
    return keys;
}

const config_key *config_find(const char *name)
{
    for (size_t i = 0; i < WG_ARRAY_LEN(keys); i++) {
        const char *a = keys[i].name, *b = name;
        while (*a && (*a == *b || (*a == '_' && *b == '-'))) {
            a++;
            b++;
        }
        if (!*a && !*b)
            return &keys[i];
    }
    return NULL;
}

static wg_err fail(char *err, size_t errcap, const config_key *k, const char *origin,
                   const char *why)
{
    snprintf(err, errcap, "invalid value for '%s' (%s): %s", k->name, origin, why);
    return WG_ERR_CONFIG;
}

wg_err config_set(wg_config *c, const config_key *k, const char *value, const char *origin,
                  char *err, size_t errcap)
{
    char *field = (char *)c + k->offset;
    size_t len = strlen(value);
    char why[160];
    switch (k->type) {
    case CFG_STRING:
        if (len < (size_t)k->min)
            return fail(err, errcap, k, origin, "must not be empty");
        if (len >= k->size)
            return fail(err, errcap, k, origin, "too long");
        memcpy(field, value, len + 1);
        return WG_OK;
    case CFG_LISTEN: {
        char host[256];
        uint16_t port;
        if (len >= k->size || !parse_hostport(value, host, sizeof(host), &port))
            return fail(err, errcap, k, origin, "expected HOST:PORT, e.g. 127.0.0.1:8080");
        memcpy(field, value, len + 1);
        return WG_OK;
    }
    case CFG_INT: {
        int64_t v;
        if (!parse_i64(value, len, k->min, k->max, &v)) {
            snprintf(why, sizeof(why), "expected an integer from %lld to %lld",
                     (long long)k->min, (long long)k->max);
            return fail(err, errcap, k, origin, why);
        }
        memcpy(field, &v, sizeof(v));
        return WG_OK;
    }
    case CFG_SIZE: {
        uint64_t v;
        if (!parse_size(value, len, (uint64_t)k->min, (uint64_t)k->max, &v)) {
            snprintf(why, sizeof(why), "expected a size from %lld to %lld bytes (K, M, G allowed)",
                     (long long)k->min, (long long)k->max);
            return fail(err, errcap, k, origin, why);
        }
        memcpy(field, &v, sizeof(v));
        return WG_OK;
    }
    case CFG_BOOL: {
        bool v;
        if (!parse_bool(value, len, &v))
            return fail(err, errcap, k, origin, "expected true or false");
        memcpy(field, &v, sizeof(v));
        return WG_OK;
    }
    case CFG_SEVERITY:
        if (strcmp(value, "error") != 0 && strcmp(value, "warning") != 0)
            return fail(err, errcap, k, origin, "expected error or warning");
        memcpy(field, value, len + 1);
        return WG_OK;
    case CFG_LOGLEVEL: {
        log_level lv;
        if (!log_parse_level(value, &lv))
            return fail(err, errcap, k, origin, "expected debug, info, warn, error or off");
        memcpy(field, value, len + 1);
        return WG_OK;
    }
    }
    return fail(err, errcap, k, origin, "unknown type");
}

void config_defaults(wg_config *c)
{
    char err[256];
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < WG_ARRAY_LEN(keys); i++) {
        if (config_set(c, &keys[i], keys[i].def, "default", err, sizeof(err))) {
            /* A bad default is a programming error: the unit test catches it. */
            log_error("%s", err);
            abort();
        }
    }
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

wg_err config_load_file(wg_config *c, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errcap, "cannot read config file %s: %s", path, strerror(errno));
        return WG_ERR_CONFIG;
    }
    char line[CONFIG_STR_MAX + 256];
    char origin[CONFIG_STR_MAX + 32];
    unsigned lineno = 0;
    wg_err rc = WG_OK;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        snprintf(origin, sizeof(origin), "%s:%u", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errcap, "%s: line too long", origin);
            rc = WG_ERR_CONFIG;
            break;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errcap, "%s: expected 'key = value'", origin);
            rc = WG_ERR_CONFIG;
            break;
        }
        *eq = '\0';
        char *key = trim(s);
        char *value = trim(eq + 1);
        /* Optional double quotes around the value. */
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        const config_key *k = config_find(key);
        if (!k || strchr(key, '-')) {
            snprintf(err, errcap, "%s: unknown key '%s'", origin, key);
            rc = WG_ERR_CONFIG;
            break;
        }
        if ((rc = config_set(c, k, value, origin, err, errcap)))
            break;
    }
    fclose(f);
    return rc;
}

wg_err config_load_env(wg_config *c, char *err, size_t errcap)
{
    for (size_t i = 0; i < WG_ARRAY_LEN(keys); i++) {
        char name[64] = "WANGGE_";
        size_t n = strlen(name);
        for (const char *p = keys[i].name; *p && n + 1 < sizeof(name); p++)
            name[n++] = (char)toupper((unsigned char)*p);
        name[n] = '\0';
        const char *v = getenv(name);
        if (!v)
            continue;
        char origin[80];
        snprintf(origin, sizeof(origin), "environment %s", name);
        wg_err rc = config_set(c, &keys[i], v, origin, err, errcap);
        if (rc)
            return rc;
    }
    return WG_OK;
}

void config_key_path(const wg_config *c, char *out, size_t cap)
{
    if (c->key_file[0])
        snprintf(out, cap, "%s", c->key_file);
    else
        snprintf(out, cap, "%s.key", c->db);
}

void config_attachment_dir(const wg_config *c, char *out, size_t cap)
{
    if (c->attachment_dir[0])
        snprintf(out, cap, "%s", c->attachment_dir);
    else
        snprintf(out, cap, "%s.files", c->db);
}

void config_write_example(int fd)
{
    wg_buf b;
    buf_init(&b, NULL, 64 * 1024);
    buf_puts(&b, "# wangge configuration. Each key may also be set as WANGGE_<KEY> in the\n"
                 "# environment or as --key-name on the command line; flags win over the\n"
                 "# environment, which wins over this file.\n");
    for (size_t i = 0; i < WG_ARRAY_LEN(keys); i++)
        buf_printf(&b, "\n# %s\n# %s = %s\n", keys[i].help, keys[i].name, keys[i].def);
    if (b.ptr)
        log_write_line(fd, b.ptr, b.len);
    buf_free(&b);
}
