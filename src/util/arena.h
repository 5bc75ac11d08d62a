/*
 * arena.h - per-request bump allocator with a hard cap (nginx's ngx_pool_t).
 *
 * Everything allocated from an arena dies with arena_reset()/arena_free();
 * callers never free individual blocks. Cleanups registered with
 * arena_defer() run (last registered first) when the arena is reset, which is
 * how foreign objects (jansson values, sqlite statements) tie their lifetime
 * to a request.
 *
 * The first block may be caller-provided storage (e.g. inside a request
 * context) so that small requests allocate nothing. Over the cap, allocation
 * returns NULL; callers map that to WG_ERR_NOMEM / 413.
 */
#ifndef WG_ARENA_H
#define WG_ARENA_H

#include "util/common.h"

typedef struct arena_block arena_block;
typedef struct arena_cleanup arena_cleanup;

typedef struct {
    arena_block *head;     /* current block (list of malloc'd blocks) */
    char *cur, *end;       /* free space in the current block */
    char *first;           /* caller's initial storage, not freed */
    size_t first_size;
    size_t used;           /* bytes taken from malloc'd blocks */
    size_t cap;            /* maximum bytes taken from malloc, 0 = none */
    arena_cleanup *cleanups;
} arena;

/* Set up `a` over optional initial storage `buf` of `size` bytes (may be
 * NULL/0) with a cap on further heap memory. */
void arena_init(arena *a, void *buf, size_t size, size_t cap);

/* Allocate n bytes aligned for any type; NULL over the cap. */
void *arena_alloc(arena *a, size_t n);

/* Allocate and zero. */
void *arena_calloc(arena *a, size_t count, size_t size);

/* Copy len bytes and add a NUL. */
char *arena_strndup(arena *a, const char *s, size_t len);
char *arena_strdup(arena *a, const char *s);

/* printf into the arena; NULL over the cap. */
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run fn(p) when the arena is reset or freed. Out of memory here aborts
 * the process (the caller keeps using p, so there is no safe way back). */
bool arena_defer(arena *a, void (*fn)(void *), void *p);

/* Run cleanups and release all memory but the initial storage; the arena
 * can be used again. */
void arena_reset(arena *a);

/* Same as reset; the arena must be re-initialised before further use. */
void arena_free(arena *a);

#endif
