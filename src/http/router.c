/*
 * router.c - see router.h.
 */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    http_method m;
} methods[] = {
    {"GET", HTTP_GET},       {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
    {"PUT", HTTP_PUT},       {"DELETE", HTTP_DELETE}, {"PATCH", HTTP_PATCH},
    {"OPTIONS", HTTP_OPTIONS},
};

unsigned router_method(const char *name)
{
    for (size_t i = 0; i < WG_ARRAY_LEN(methods); i++)
        if (strcmp(name, methods[i].name) == 0)
            return methods[i].m;
    return 0;
}

void router_allow_header(unsigned mask, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < WG_ARRAY_LEN(methods); i++) {
        if (!(mask & methods[i].m))
            continue;
        int w = snprintf(out + n, cap - n, "%s%s", n ? ", " : "", methods[i].name);
        if (w < 0 || (size_t)w >= cap - n)
            return;
        n += (size_t)w;
    }
}

bool router_path_matches(const char *pattern, const char *path, route_match *m)
{
    const char *p = pattern, *s = path;
    m->nparams = 0;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close || m->nparams == ROUTE_MAX_PARAMS)
                return false;
            /* {name*} takes the rest of the path, slashes and all */
            bool rest = close > p + 1 && close[-1] == '*';
            const char *end = rest ? NULL : strchr(s, '/');
            if (!end)
                end = s + strlen(s);
            if (end == s)
                return false;
            m->params[m->nparams].name = (wg_str){p + 1, (size_t)(close - p - 1 - rest)};
            m->params[m->nparams].value = (wg_str){s, (size_t)(end - s)};
            m->nparams++;
            p = close + 1;
            s = end;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}
