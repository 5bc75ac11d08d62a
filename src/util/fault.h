/*
 * fault.h - named failure points for tests (sqlite's test_fault, curl's
 * torture tests).
 *
 * In a build with -Dfault_injection=true, fault_hit("store_ping") is true
 * when the environment variable WANGGE_FAULTS lists that name
 * (comma-separated). In every other build it is a constant false and
 * costs nothing.
 */
#ifndef WG_FAULT_H
#define WG_FAULT_H

#include <stdbool.h>

#ifdef WG_FAULT_INJECTION
bool fault_hit(const char *name);
#else
static inline bool fault_hit(const char *name)
{
    (void)name;
    return false;
}
#endif

#endif
