/*
 * store_walvfs.c - the write-ahead log written in one piece per commit.
 *
 * SQLite writes each WAL frame as two pwrite calls (its 24-byte header,
 * then the page), so a commit of a batch of 40 pages made 80 system
 * calls, each costly on a virtual machine, all under the write lock. This
 * VFS wraps the platform's and, for WAL files only, gathers consecutive
 * writes in memory and hands them to the kernel in one pwrite when SQLite
 * syncs the log, reads it, asks its size, truncates it, or a write does
 * not follow on (and past WALVFS_CAP bytes). Every other file goes
 * straight to the platform VFS.
 *
 * A commit makes its frames visible to other connections (the wal-index
 * header) right after its sync of the log, so the frames must be in the
 * file by then: connections run with synchronous=FULL, whose commit sync
 * is where the gathered frames are written. A pool (store_sqlite.c) syncs
 * the log itself, once for a group of commits, off the write lock: around
 * its COMMIT it calls store_walvfs_defer_sync(true), and the log's sync
 * then only writes the frames out. Any other sync (a checkpoint's, a
 * command-line connection's) is a real one.
 */
#include "store/store_internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WALVFS_NAME "wangge-wal"
#define WALVFS_CAP (8u << 20) /* gathered bytes past which they are written */
#define WALVFS_PIECE (120u << 10) /* bytes per write call (under 128 KiB) */

typedef struct {
    sqlite3_file base;   /* methods: wal_io */
    sqlite3_file *real;  /* the platform's file, right after this struct */
    unsigned char *buf;  /* gathered bytes, for offsets [at, at + len) */
    size_t len, cap;
    sqlite3_int64 at;
} wal_file;

static sqlite3_vfs *parent;
static sqlite3_vfs walvfs;
static sqlite3_io_methods wal_io;
static __thread bool defer_sync;

void store_walvfs_defer_sync(bool on)
{
    defer_sync = on;
}

/* Hand the gathered bytes to the kernel, in pieces the platform VFS
 * takes (its unix write masks the length to 17 bits). */
static int flush(wal_file *f)
{
    int rc = SQLITE_OK;
    for (size_t done = 0; done < f->len && rc == SQLITE_OK; done += WALVFS_PIECE) {
        size_t n = f->len - done < WALVFS_PIECE ? f->len - done : WALVFS_PIECE;
        rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n,
                                       f->at + (sqlite3_int64)done);
    }
    f->len = 0;
    return rc;
}

static int wal_close(sqlite3_file *file)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    f->cap = 0;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wal_read(sqlite3_file *file, void *out, int n, sqlite3_int64 off)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, n, off);
}

static int wal_write(sqlite3_file *file, const void *data, int n, sqlite3_int64 off)
{
    wal_file *f = (wal_file *)file;
    size_t un = (size_t)n;
    /* Inside what is gathered (SQLite rewrites a frame of the open
     * transaction when its page changes again): patch it. */
    if (f->len && off >= f->at && off + n <= f->at + (sqlite3_int64)f->len) {
        memcpy(f->buf + (off - f->at), data, un);
        return SQLITE_OK;
    }
    if (f->len && off != f->at + (sqlite3_int64)f->len) {
        int rc = flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (f->len + un > WALVFS_CAP) {
        int rc = flush(f);
        if (rc != SQLITE_OK)
            return rc;
        if (un > WALVFS_PIECE)
            return f->real->pMethods->xWrite(f->real, data, n, off);
    }
    if (f->len + un > f->cap) {
        size_t cap = f->cap ? f->cap : 64 * 1024;
        while (cap < f->len + un)
            cap *= 2;
        unsigned char *b = realloc(f->buf, cap);
        if (!b) {
            int rc = flush(f);
            return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, data, n, off);
        }
        f->buf = b;
        f->cap = cap;
    }
    if (!f->len)
        f->at = off;
    memcpy(f->buf + f->len, data, un);
    f->len += un;
    return SQLITE_OK;
}

static int wal_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wal_sync(sqlite3_file *file, int flags)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    if (rc != SQLITE_OK || defer_sync)
        return rc;
    return f->real->pMethods->xSync(f->real, flags);
}

static int wal_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

/* The rest passes through (after writing out what is gathered where the
 * file is looked at). */
static int wal_lock(sqlite3_file *file, int level)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int wal_unlock(sqlite3_file *file, int level)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int wal_check_reserved(sqlite3_file *file, int *out)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wal_file_control(sqlite3_file *file, int op, void *arg)
{
    wal_file *f = (wal_file *)file;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wal_sector_size(sqlite3_file *file)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int wal_device(sqlite3_file *file)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int wal_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, pp);
}

static int wal_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void wal_shm_barrier(sqlite3_file *file)
{
    wal_file *f = (wal_file *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static int wal_shm_unmap(sqlite3_file *file, int del)
{
    wal_file *f = (wal_file *)file;
    return f->real->pMethods->xShmUnmap(f->real, del);
}

/* Memory-mapped reads (not used on a WAL file: NULL means read instead). */
static int wal_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **pp)
{
    (void)file;
    (void)off;
    (void)n;
    *pp = NULL;
    return SQLITE_OK;
}

static int wal_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    (void)file;
    (void)off;
    (void)p;
    return SQLITE_OK;
}

static int walvfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                       int *out_flags)
{
    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL))
        return parent->xOpen(parent, name, file, flags, out_flags);
    wal_file *f = (wal_file *)file;
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)(f + 1);
    int rc = parent->xOpen(parent, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        file->pMethods = NULL; /* SQLite closes nothing then */
        return rc;
    }
    file->pMethods = &wal_io;
    return SQLITE_OK;
}

static sqlite3_io_methods wal_io = {
    .iVersion = 3,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device,
    .xShmMap = wal_shm_map,
    .xShmLock = wal_shm_lock,
    .xShmBarrier = wal_shm_barrier,
    .xShmUnmap = wal_shm_unmap,
    .xFetch = wal_fetch,
    .xUnfetch = wal_unfetch,
};

/* The platform VFS's other calls, through. */
#define PASS(name, ret, params, args)                                                             \
    static ret walvfs_##name params                                                               \
    {                                                                                             \
        (void)vfs;                                                                                \
        return parent->name args;                                                                 \
    }
PASS(xDelete, int, (sqlite3_vfs * vfs, const char *name, int sync), (parent, name, sync))
PASS(xAccess, int, (sqlite3_vfs * vfs, const char *name, int flags, int *out),
     (parent, name, flags, out))
PASS(xFullPathname, int, (sqlite3_vfs * vfs, const char *name, int n, char *out),
     (parent, name, n, out))
PASS(xRandomness, int, (sqlite3_vfs * vfs, int n, char *out), (parent, n, out))
PASS(xSleep, int, (sqlite3_vfs * vfs, int us), (parent, us))
PASS(xCurrentTime, int, (sqlite3_vfs * vfs, double *out), (parent, out))
PASS(xGetLastError, int, (sqlite3_vfs * vfs, int n, char *out), (parent, n, out))
PASS(xCurrentTimeInt64, int, (sqlite3_vfs * vfs, sqlite3_int64 *out), (parent, out))
PASS(xDlOpen, void *, (sqlite3_vfs * vfs, const char *name), (parent, name))
PASS(xDlError, void, (sqlite3_vfs * vfs, int n, char *out), (parent, n, out))
PASS(xDlClose, void, (sqlite3_vfs * vfs, void *h), (parent, h))

typedef void (*dl_fn)(void);
static dl_fn walvfs_xDlSym(sqlite3_vfs *vfs, void *h, const char *sym)
{
    (void)vfs;
    return parent->xDlSym(parent, h, sym);
}

int store_walvfs_register(void)
{
    parent = sqlite3_vfs_find(NULL);
    if (!parent)
        return SQLITE_ERROR;
    walvfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(wal_file) + parent->szOsFile,
        .mxPathname = parent->mxPathname,
        .zName = WALVFS_NAME,
        .xOpen = walvfs_open,
        .xDelete = walvfs_xDelete,
        .xAccess = walvfs_xAccess,
        .xFullPathname = walvfs_xFullPathname,
        .xDlOpen = walvfs_xDlOpen,
        .xDlError = walvfs_xDlError,
        .xDlSym = walvfs_xDlSym,
        .xDlClose = walvfs_xDlClose,
        .xRandomness = walvfs_xRandomness,
        .xSleep = walvfs_xSleep,
        .xCurrentTime = walvfs_xCurrentTime,
        .xGetLastError = walvfs_xGetLastError,
        .xCurrentTimeInt64 = walvfs_xCurrentTimeInt64,
    };
    return sqlite3_vfs_register(&walvfs, 1);
}
