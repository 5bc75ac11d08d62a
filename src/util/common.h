/*
 * common.h - the few things every module needs: sizes, string views, macros.
 *
 * Kept small on purpose (STYLE.md: per-module headers plus one small
 * common.h, no umbrella header).
 */
#ifndef WG_COMMON_H
#define WG_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define WG_KIB ((size_t)1024)
#define WG_MIB ((size_t)1024 * 1024)

/* A string that does not own its bytes and need not be NUL-terminated. */
typedef struct {
    const char *ptr;
    size_t len;
} wg_str;

#define WG_STR(lit) ((wg_str){(lit), sizeof(lit) - 1})

static inline bool wg_str_eq(wg_str a, const char *lit, size_t litlen)
{
    if (a.len != litlen)
        return false;
    for (size_t i = 0; i < litlen; i++)
        if (a.ptr[i] != lit[i])
            return false;
    return true;
}

#endif
