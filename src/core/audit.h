/*
 * audit.h - the tamper-evident audit log.
 *
 * Each row's hash is SHA-256 over its fields (length-prefixed, so no two
 * different rows serialise alike) and the previous row's hash. audit_append
 * must run inside the caller's write transaction, so the row commits or
 * rolls back with the change it records, and rows are chained in commit
 * order. audit_verify walks the whole log and reports the first row whose
 * link or content does not match: an edited, deleted or inserted row.
 * Cutting rows off the end leaves a valid shorter chain; `audit verify`
 * prints the head hash so that it can be kept elsewhere and compared.
 */
#ifndef WG_AUDIT_H
#define WG_AUDIT_H

#include "store/store.h"

typedef struct {
    int64_t actor_id;        /* 0: no account (a failed login, the CLI) */
    const char *actor;       /* login, or "cli:<user>", or the attempted login */
    const char *action;      /* "user.create", "login.failure", "pii.read", ... */
    const char *resource;    /* what was acted on, e.g. "/api/users/li" */
    const char *request_id;  /* may be NULL */
    const char *client_addr; /* may be NULL */
    const char *detail;      /* free text, capped; may be NULL */
} audit_event;

/* Append one row (inside the caller's transaction). */
wg_err audit_append(store *s, const audit_event *ev);

/* Begin, append, commit: for events that are not part of another write. */
wg_err audit_record(store *s, const audit_event *ev);

typedef struct {
    int64_t rows;         /* rows checked */
    int64_t first_bad_id; /* 0 when the chain is intact */
    char why[160];
    char head[65];        /* hash of the last row */
} audit_report;

/* Check the whole chain. Returns WG_OK with rep->first_bad_id set when a
 * break is found; an error only when the log cannot be read. */
wg_err audit_verify(store *s, audit_report *rep);

/* The hash of a row from its fields and prev_hash. */
void audit_row_hash(const store_audit_row *r, char out[65]);

#endif
