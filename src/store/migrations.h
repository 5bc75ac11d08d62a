/*
 * migrations.h - the schema migrations compiled into the binary.
 *
 * Generated from sql/NNN_name.sql by scripts/embed_sql.py at build time;
 * entry i has version i + 1.
 */
#ifndef WG_MIGRATIONS_H
#define WG_MIGRATIONS_H

typedef struct {
    int version;
    const char *name;
    const char *sql;
} store_migration;

extern const store_migration store_migrations[];
extern const int store_migrations_count;

#endif
