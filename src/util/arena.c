/*
 * arena.c - see arena.h.
 */
#include "util/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_BLOCK_MIN (16 * 1024)

struct arena_block {
    arena_block *next;
    size_t size;
    /* data follows, aligned */
};

struct arena_cleanup {
    arena_cleanup *next;
    void (*fn)(void *);
    void *p;
};

static size_t align_up(size_t n)
{
    return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

static char *block_data(arena_block *b)
{
    return (char *)b + align_up(sizeof(*b));
}

void arena_init(arena *a, void *buf, size_t size, size_t cap)
{
    memset(a, 0, sizeof(*a));
    a->cap = cap;
    if (buf && size >= ARENA_ALIGN) {
        uintptr_t p = (uintptr_t)buf;
        uintptr_t q = (p + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1);
        a->first = buf;
        a->first_size = size;
        a->cur = (char *)q;
        a->end = (char *)buf + size;
    }
}

void *arena_alloc(arena *a, size_t n)
{
    n = align_up(n ? n : 1);
    if (a->cur && (size_t)(a->end - a->cur) >= n) {
        void *p = a->cur;
        a->cur += n;
        return p;
    }
    size_t want = n > ARENA_BLOCK_MIN ? n : ARENA_BLOCK_MIN;
    size_t total = align_up(sizeof(arena_block)) + want;
    if (a->cap && a->used + total > a->cap)
        return NULL;
    arena_block *b = malloc(total);
    if (!b)
        return NULL;
    b->size = total;
    b->next = a->head;
    a->head = b;
    a->used += total;
    char *d = block_data(b);
    /* A big one-off allocation gets its own block; keep bumping the old
     * block only when the new one has no room left after this request. */
    a->cur = d + n;
    a->end = d + want;
    return d;
}

void *arena_calloc(arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t len)
{
    char *p = arena_alloc(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

bool arena_defer(arena *a, void (*fn)(void *), void *p)
{
    arena_cleanup *c = arena_alloc(a, sizeof(*c));
    if (!c) {
        /* Callers go on using p, so freeing it now would be worse than
         * stopping: out of memory is fatal (STYLE.md). */
        fprintf(stderr, "arena: out of memory for a cleanup; aborting\n");
        abort();
    }
    c->fn = fn;
    c->p = p;
    c->next = a->cleanups;
    a->cleanups = c;
    return true;
}

void arena_reset(arena *a)
{
    /* Cleanups live in the arena's memory: detach the list first. */
    arena_cleanup *c = a->cleanups;
    a->cleanups = NULL;
    while (c) {
        arena_cleanup *next = c->next;
        c->fn(c->p);
        c = next;
    }
    arena_block *b = a->head;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    size_t cap = a->cap;
    arena_init(a, a->first, a->first_size, cap);
}

void arena_free(arena *a)
{
    arena_reset(a);
}
