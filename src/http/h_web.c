/*
 * h_web.c - the console's files: web/ and the npm libraries it uses.
 *
 * Owns the mounts (URL prefix -> directory), the file cache and the
 * content types. A file is read on its first request and kept in memory
 * with its ETag; later requests answer from memory (compared with the disk
 * at most once a second: a file changed there is read again, so web/ can
 * be updated without a restart), or 304 when the browser already has that version. A replaced
 * version stays allocated (a request may still be sending it) until
 * shutdown; past WEB_CACHE_MAX, files are read per request. Text files
 * are also kept gzipped (zlib, once per version) and sent so to browsers
 * that accept it: ECharts is 1 MB as it is, a third of that gzipped, which
 * matters to a grid member on a phone. Paths are checked before any file
 * is opened: only [A-Za-z0-9._-] segments, none starting with '.', so
 * nothing outside a mount can be named.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "http/handlers.h"

#define WEB_FILE_MAX (8u * WG_MIB)   /* the largest file served */
#define WEB_CACHE_MAX (64u * WG_MIB) /* beyond this, files are read each time */
#define WEB_PATH_MAX 512

typedef enum { ROOT_WEB, ROOT_NPM } web_root;

/* URL prefix -> directory under web_root or web_npm_root. */
static const struct {
    const char *param; /* the route's placeholder */
    const char *url;   /* route prefix, for the cache key */
    web_root root;
    const char *dir;
    const char *cache; /* Cache-Control */
} mounts[] = {
    {"file", "/app/", ROOT_WEB, "", "no-cache"},
    {"leaflet", "/vendor/leaflet/", ROOT_NPM, "leaflet/dist/", "public, max-age=86400"},
    {"echarts", "/vendor/echarts/", ROOT_NPM, "echarts/dist/", "public, max-age=86400"},
};

static const struct {
    const char *ext;
    const char *type;
    bool text; /* worth gzipping */
} types[] = {
    {".html", "text/html; charset=utf-8", true},
    {".js", "text/javascript; charset=utf-8", true},
    {".mjs", "text/javascript; charset=utf-8", true},
    {".css", "text/css; charset=utf-8", true},
    {".json", "application/json", true},
    {".svg", "image/svg+xml", true},
    {".png", "image/png", false},
    {".ico", "image/x-icon", false},
    {".webmanifest", "application/manifest+json", true},
    {".map", "application/json", true},
    {".txt", "text/plain; charset=utf-8", true},
};

#define GZIP_MIN 1024 /* smaller files go as they are */

typedef struct web_file {
    struct web_file *next;
    char *key; /* the URL path */
    char *body;
    size_t len;
    const char *type;
    char etag[24];
    char *gz; /* the body gzipped, or NULL */
    size_t gz_len;
    char gz_etag[28];
    struct timespec mtime;
    off_t size;
    _Atomic int64_t checked; /* when the disk was last compared (s) */
    bool stale;              /* replaced by a newer version */
} web_file;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static web_file *cache;
static size_t cache_bytes;

static int type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < WG_ARRAY_LEN(types); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return (int)i;
    return -1;
}

/* f->body gzipped into f->gz, when that saves a tenth or more. */
static void gzip_body(web_file *f)
{
    if (f->len < GZIP_MIN)
        return;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return;
    uLong cap = deflateBound(&z, (uLong)f->len);
    char *out = malloc(cap);
    z.next_in = (Bytef *)f->body;
    z.avail_in = (uInt)f->len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = out ? deflate(&z, Z_FINISH) : Z_MEM_ERROR;
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || n > f->len - f->len / 10) {
        free(out);
        return;
    }
    f->gz = out;
    f->gz_len = n;
    snprintf(f->gz_etag, sizeof(f->gz_etag), "\"%.16s-gz\"", f->etag + 1);
}

/* Does an Accept-Encoding header take gzip (and not with q=0)? */
static bool takes_gzip(const char *ae)
{
    /* one comma-separated coding at a time: name [; q=value] */
    for (const char *p = ae; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ",;");
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        bool gzip = n == 4 && strncasecmp(p, "gzip", 4) == 0;
        const char *end = p + strcspn(p, ",");
        const char *q = p + strcspn(p, ";");
        double weight = 1;
        for (; q < end; q += strcspn(q + 1, ";") + 1) {
            const char *v = q + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=')
                weight = strtod(v + 2, NULL);
        }
        if (gzip)
            return weight > 0;
        p = end;
    }
    return false;
}

/* Relative path made only of plain segments. */
static bool safe_path(const char *p)
{
    if (!*p || strlen(p) >= WEB_PATH_MAX)
        return false;
    bool seg_start = true;
    for (const char *c = p; *c; c++) {
        if (*c == '/') {
            if (seg_start) /* "//" or a leading '/' */
                return false;
            seg_start = true;
            continue;
        }
        if (seg_start && *c == '.')
            return false; /* ".", "..", hidden files */
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-';
        if (!ok)
            return false;
        seg_start = false;
    }
    return !seg_start;
}

static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    return h;
}

/* Read a regular file of at most WEB_FILE_MAX bytes. */
static wg_err read_file(const char *path, char **out, size_t *len, struct stat *stp)
{
    /* O_NONBLOCK: a FIFO put under a mount must not hang a worker */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? WG_ERR_NOT_FOUND : WG_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > WEB_FILE_MAX) {
        close(fd);
        return WG_ERR_NOT_FOUND;
    }
    *stp = st;
    size_t n = (size_t)st.st_size;
    char *b = malloc(n ? n : 1);
    size_t got = 0;
    while (b && got < n) {
        ssize_t k = read(fd, b + got, n - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (!b || got != n) {
        free(b);
        return b ? WG_ERR_IO : WG_ERR_NOMEM;
    }
    *out = b;
    *len = n;
    return WG_OK;
}

static web_file *cache_find(const char *key)
{
    for (web_file *f = cache; f; f = f->next)
        if (!f->stale && strcmp(f->key, key) == 0)
            return f;
    return NULL;
}

static bool same_file(const web_file *f, const char *disk)
{
    struct stat st;
    return stat(disk, &st) == 0 && st.st_size == f->size && st.st_mtim.tv_sec == f->mtime.tv_sec &&
           st.st_mtim.tv_nsec == f->mtime.tv_nsec;
}

static void file_free(web_file *f)
{
    if (!f)
        return;
    free(f->key);
    free(f->body);
    free(f->gz);
    free(f);
}

/* The file for key (a URL path) read from disk, cached when there is
 * room. *owned tells the caller it must free it after the request. */
static wg_err load(const char *key, const char *disk, web_file **out, bool *owned)
{
    *owned = false;
    pthread_mutex_lock(&cache_mu);
    web_file *f = cache_find(key);
    pthread_mutex_unlock(&cache_mu);
    /* Compare with the disk at most once a second per file: a stat per
     * request costs more than the rest of answering from memory. */
    int64_t now = (int64_t)time(NULL);
    if (f &&
        (atomic_load_explicit(&f->checked, memory_order_relaxed) == now || same_file(f, disk))) {
        atomic_store_explicit(&f->checked, now, memory_order_relaxed);
        *out = f;
        return WG_OK;
    }
    int type = type_of(disk);
    if (type < 0)
        return WG_ERR_NOT_FOUND;
    f = calloc(1, sizeof(*f));
    if (!f)
        return WG_ERR_NOMEM;
    f->key = strdup(key);
    struct stat st;
    wg_err e = f->key ? read_file(disk, &f->body, &f->len, &st) : WG_ERR_NOMEM;
    if (e) {
        file_free(f);
        return e;
    }
    f->type = types[type].type;
    f->mtime = st.st_mtim;
    f->size = st.st_size;
    snprintf(f->etag, sizeof(f->etag), "\"%016llx\"", (unsigned long long)fnv1a(f->body, f->len));
    if (types[type].text)
        gzip_body(f);
    pthread_mutex_lock(&cache_mu);
    web_file *other = cache_find(key); /* another thread was quicker? */
    if (other && !same_file(other, disk)) {
        other->stale = true; /* an older version */
        other = NULL;
    }
    bool cached = false; /* decided under the lock: another thread may add next */
    if (!other && cache_bytes + f->len + f->gz_len <= WEB_CACHE_MAX) {
        f->next = cache;
        cache = f;
        cache_bytes += f->len + f->gz_len;
        cached = true;
    }
    pthread_mutex_unlock(&cache_mu);
    if (other) {
        file_free(f);
        f = other;
    } else if (!cached) {
        *owned = true;
    }
    *out = f;
    return WG_OK;
}

static void free_file(void *p)
{
    file_free(p);
}

static wg_err serve(http_req *r, size_t mount, const char *rel)
{
    const wg_config *cfg = req_config(r);
    if (!safe_path(rel))
        return req_fail(r, WG_ERR_NOT_FOUND, NULL, "no such file: %s", r->path);
    const char *root = mounts[mount].root == ROOT_WEB ? cfg->web_root : cfg->web_npm_root;
    char disk[CONFIG_STR_MAX + WEB_PATH_MAX + 64];
    int n = snprintf(disk, sizeof(disk), "%s/%s%s", root, mounts[mount].dir, rel);
    if (n < 0 || (size_t)n >= sizeof(disk))
        return req_fail(r, WG_ERR_NOT_FOUND, NULL, "no such file: %s", r->path);
    char key[WEB_PATH_MAX + 64];
    snprintf(key, sizeof(key), "%s%s", mounts[mount].url, rel);

    web_file *f;
    bool owned;
    wg_err e = load(key, disk, &f, &owned);
    if (e == WG_ERR_NOT_FOUND)
        return req_fail(r, e, NULL, "no such file: %s", r->path);
    if (e)
        return req_fail(r, e, NULL, "cannot read %s", r->path);
    if (owned)
        arena_defer(&r->ar, free_file, f);
    else
        r->out_lasting = true; /* cached files are freed only after the daemon stops */
    bool gz = f->gz && takes_gzip(req_header(r, "Accept-Encoding"));
    const char *etag = gz ? f->gz_etag : f->etag; /* one per representation */
    reply_header(r, "ETag", etag);
    reply_header(r, "Cache-Control", mounts[mount].cache);
    if (f->gz)
        reply_header(r, "Vary", "Accept-Encoding");
    const char *inm = req_header(r, "If-None-Match");
    if (inm && strstr(inm, etag))
        return reply_bytes(r, 304, f->type, "", 0);
    if (!gz)
        return reply_bytes(r, 200, f->type, f->body, f->len);
    reply_header(r, "Content-Encoding", "gzip");
    return reply_bytes(r, 200, f->type, f->gz, f->gz_len);
}

/* GET / : the console's page. */
wg_err h_web_index(http_req *r)
{
    return serve(r, 0, "index.html");
}

/* GET /app/{file*}, /vendor/leaflet/{leaflet*}, /vendor/echarts/{echarts*} */
wg_err h_web_file(http_req *r)
{
    for (size_t i = 0; i < WG_ARRAY_LEN(mounts); i++) {
        const char *rel = req_param(r, mounts[i].param);
        if (rel)
            return serve(r, i, rel);
    }
    return req_fail(r, WG_ERR_NOT_FOUND, NULL, "no such file: %s", r->path);
}

void web_cache_free(void)
{
    pthread_mutex_lock(&cache_mu);
    while (cache) {
        web_file *f = cache;
        cache = f->next;
        file_free(f);
    }
    cache_bytes = 0;
    pthread_mutex_unlock(&cache_mu);
}
