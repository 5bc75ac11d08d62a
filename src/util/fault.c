/*
 * fault.c - see fault.h.
 */
#include "util/fault.h"

#ifdef WG_FAULT_INJECTION
#include <stdlib.h>
#include <string.h>

bool fault_hit(const char *name)
{
    const char *list = getenv("WANGGE_FAULTS");
    size_t n = strlen(name);
    while (list && *list) {
        const char *end = strchr(list, ',');
        size_t len = end ? (size_t)(end - list) : strlen(list);
        if (len == n && memcmp(list, name, n) == 0)
            return true;
        list = end ? end + 1 : NULL;
    }
    return false;
}
#endif
