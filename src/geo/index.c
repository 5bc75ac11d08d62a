/*
 * index.c - see index.h.
 *
 * The grid. Cell (c, r) covers [ox + c*cw, ox + (c+1)*cw) x [oy + r*ch,
 * oy + (r+1)*ch); a point goes to the cell floor((x - ox) / cw), floor((y -
 * oy) / ch). Rounding can put a point a hair outside its cell, so the build
 * reasons about the cell grown by GEO_SLACK on every side, which is far
 * larger than any rounding error involved.
 *
 * The reduction. A shape contains p when the ray from p towards +x crosses
 * an odd number of its edges (geo_edge_crosses). For p in cell (c, r) and
 * an edge that overlaps the row's y band:
 *   - edge left of the grown cell: never crosses, dropped;
 *   - edge right of the grown cell: crosses iff ay <= py < by, which is
 *     [py >= ay] xor [py >= by]; each term is a constant over the band or a
 *     threshold inside it, so the edge becomes up to two thresholds t (the
 *     parity flips when py >= t) and a constant bit. Equal thresholds cancel,
 *     so a boundary passing monotonically through the band leaves nothing;
 *   - otherwise the edge is stored and tested as is.
 * Stored edges are tested with the same expression and the same operands
 * as geo_shape_contains() uses, so the answer is identical bit for bit.
 *
 * Storage. cells[] holds one uint32 per cell: CELL_DIRECT | id when the
 * cell lies inside exactly one shape with nothing varying, CELL_NONE when no
 * shape can contain a point of it, else an offset into blob[], an array of
 * 8-byte words. A cell's data starts with a head word
 *   nrec | ne << 32 | nt << 48
 * and comes in one of two formats:
 *   - masked (ne + nt <= 31, nearly every cell): the cell's distinct
 *     tests, ne edges (ax, ay, by, dxdy: 4 words each) then nt thresholds
 *     (1 word each), then nrec words id | mask << 32, ascending ids. The
 *     lookup computes one bit per test (bit k for edge k, bit ne + k for
 *     threshold k, bit 31 always set) and a shape contains the point when
 *     its mask picks an odd number of set bits (bit 31 of a mask is the
 *     constant parity). An edge two neighbours share is tested once.
 *   - plain (ne == 0xffff): nrec records, ascending ids, each
 *       id | parity << 32,  nedges | nthresholds << 32,
 *       nedges x (ax, ay, by, dxdy),  nthresholds x t
 * No allocation per cell: the build appends plain records shape by shape
 * to one buffer, groups them by cell with a counting sort, encodes each
 * cell, and copies the result into the final blob (2 MB aligned and
 * offered to transparent huge pages: random lookups over tens of MB would
 * otherwise miss the TLB on nearly every call).
 */
#include "geo/index.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef union {
    double d;
    uint64_t u;
} ix_word;

#define CELL_DIRECT 0x80000000u
#define CELL_NONE 0xffffffffu
#define CELLS_PER_SHAPE 8u
#define MAX_CELLS (1u << 24)
#define MAX_BLOB_WORDS 0x7fffffffu
#define MASK_TESTS 31u
#define FORMAT_PLAIN 0xffffu

struct geo_index {
    uint32_t n;            /* shapes */
    uint32_t ncols, nrows; /* 0 x 0 when empty */
    double fcols, frows;   /* the same as doubles, for the range test */
    double ox, oy;         /* grid origin */
    double cw, ch;         /* cell size */
    double inv_cw, inv_ch;
    uint32_t *cells; /* ncols * nrows, row-major */
    ix_word *blob;
    size_t nwords;
};

/* ---- build --------------------------------------------------------------- */

/* A non-horizontal edge, lower end first, with its x extent and shape. */
typedef struct {
    double ax, ay, by, dxdy, xmin, xmax;
    uint32_t shape;
} bedge;

/* The grid slots a shape's grown bbox reaches. */
typedef struct {
    uint32_t cx0, cx1, ry0, ry1;
} span;

/* A test of the masked format: an edge as geo_edge_crosses takes it. */
typedef struct {
    double ax, ay, by, dxdy;
} cedge;

/* A record of the masked format before encoding: which of the cell's
 * edges and thresholds the shape uses, and its constant parity. */
typedef struct {
    uint32_t id, emask, tmask;
    unsigned parity;
} mrecord;

/* What one edge does to the cells of one row. */
typedef enum { IT_EDGE, IT_FLIP, IT_THRESH } item_kind;
typedef struct {
    uint32_t col;   /* relative to the shape's first column */
    item_kind kind;
    uint32_t edge; /* IT_EDGE: index into b->e */
    double t;      /* IT_THRESH */
} item;

/* Build state; all arrays grow and are freed by builder_free(). */
typedef struct {
    geo_index *ix;
    bool too_big; /* a limit was hit, as opposed to malloc failing */
    /* all shapes */
    bedge *e; /* every non-horizontal edge, shape after shape */
    size_t ne, cape;
    span *spans;       /* per shape */
    size_t *rowstart;  /* nrows + 1: incidences of each row */
    uint32_t *inc;     /* edge indexes by row, ascending within a row */
    /* the row being built */
    item *it, *its; /* items of a (row, shape), and sorted by column */
    size_t nit, capit, capits;
    uint32_t *colcnt; /* columns of the shape + 1 */
    size_t capcolcnt;
    double *thr; /* thresholds in force during the sweep */
    size_t nthr, capthr;
    uint32_t *ex; /* stored edges of the current cell */
    size_t nex, capex;
    ix_word *w; /* plain records of the row, shape after shape */
    size_t nw, capw;
    uint32_t *rcol; /* column of each record */
    size_t *roff;   /* offset of each record in w */
    size_t nrec, caprec, caproff;
    uint32_t *order; /* records grouped by column */
    size_t caporder;
    uint32_t *colstart; /* ncols + 1 */
    /* encoding */
    ix_word *out; /* the blob being encoded */
    size_t nout, capout;
    cedge uedge[MASK_TESTS]; /* distinct tests of the cell being encoded */
    double uthr[MASK_TESTS];
    uint32_t nuedge, nuthr;
    mrecord *mrec; /* its records in the masked format */
    size_t nmrec, capmrec;
} builder;

/*
 * Make the array whose pointer is at pp (any T **) hold at least `need`
 * elements of `size` bytes, growing by doubling. The pointer is read and
 * written with memcpy so that T * need not alias void *. Returns false if
 * memory runs out (the array is then unchanged).
 */
static bool grow(void *pp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / size)
            return false;
        ncap *= 2;
    }
    void *old;
    memcpy(&old, pp, sizeof(old));
    void *np = realloc(old, ncap * size);
    if (!np)
        return false;
    memcpy(pp, &np, sizeof(np));
    *cap = ncap;
    return true;
}

static void builder_free(builder *b)
{
    free(b->e);
    free(b->spans);
    free(b->rowstart);
    free(b->inc);
    free(b->it);
    free(b->its);
    free(b->colcnt);
    free(b->thr);
    free(b->ex);
    free(b->w);
    free(b->rcol);
    free(b->roff);
    free(b->order);
    free(b->colstart);
    free(b->out);
    free(b->mrec);
}

/*
 * malloc for the two big lookup arrays. Random lookups touch a new page
 * nearly every time, so past a few MB the arrays are aligned to 2 MB and
 * offered to transparent huge pages (a hint: if the kernel says no, the
 * memory is simply used as is). Free with free(). NULL on no memory.
 */
static void *big_alloc(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    if (n < 2 * huge)
        return malloc(n ? n : 1);
    void *p = NULL;
    const size_t rounded = (n + huge - 1) / huge * huge;
    if (posix_memalign(&p, huge, rounded))
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
    return p;
}

/* Lower and upper bound of grid slot k grown by GEO_SLACK; every test in
 * the build uses these two so that the same numbers decide everywhere. */
static double slot_lo(double o, double size, uint32_t k)
{
    return o + (double)k * size - GEO_SLACK;
}

static double slot_hi(double o, double size, uint32_t k)
{
    return o + (double)(k + 1) * size + GEO_SLACK;
}

/* Smallest k in [0, n) with slot_hi(k) > v, or with >= v when `incl`;
 * n - 1 if none. */
static uint32_t first_hi_above(double o, double size, uint32_t n, double v, bool incl)
{
    double g = floor((v - o) / size) - 1;
    uint32_t k = g <= 0 ? 0 : g >= n - 1 ? n - 1 : (uint32_t)g;
    while (k > 0 && (incl ? slot_hi(o, size, k - 1) >= v : slot_hi(o, size, k - 1) > v))
        k--;
    while (k < n - 1 && !(incl ? slot_hi(o, size, k) >= v : slot_hi(o, size, k) > v))
        k++;
    return k;
}

/* Largest k in [0, n) with slot_lo(k) < v, or with <= v when `incl`; 0 if
 * none. */
static uint32_t last_lo_below(double o, double size, uint32_t n, double v, bool incl)
{
    double g = floor((v - o) / size) + 1;
    uint32_t k = g <= 0 ? 0 : g >= n - 1 ? n - 1 : (uint32_t)g;
    while (k < n - 1 && (incl ? slot_lo(o, size, k + 1) <= v : slot_lo(o, size, k + 1) < v))
        k++;
    while (k > 0 && !(incl ? slot_lo(o, size, k) <= v : slot_lo(o, size, k) < v))
        k--;
    return k;
}

/*
 * Collect the non-horizontal edges of every shape into b->e (with their
 * shape id) and each shape's span of grid slots into b->spans. False on no
 * memory or over the limit.
 */
static bool collect_edges(builder *b, const geo_shape *const *shapes, uint32_t n)
{
    const geo_index *ix = b->ix;
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += geo_shape_point_count(shapes[i]);
    if (total > UINT32_MAX) {
        b->too_big = true;
        return false;
    }
    b->spans = malloc((size_t)n * sizeof(*b->spans));
    if (!b->spans || !grow(&b->e, &b->cape, (size_t)total, sizeof(*b->e)))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        const geo_shape *s = shapes[i];
        const geo_bbox bb = geo_shape_bbox(s);
        b->spans[i] = (span){first_hi_above(ix->ox, ix->cw, ix->ncols, bb.min_x, true),
                             last_lo_below(ix->ox, ix->cw, ix->ncols, bb.max_x, true),
                             first_hi_above(ix->oy, ix->ch, ix->nrows, bb.min_y, true),
                             last_lo_below(ix->oy, ix->ch, ix->nrows, bb.max_y, true)};
        for (uint32_t r = 0; r < geo_shape_ring_count(s); r++) {
            uint32_t np;
            const geo_pt *p = geo_shape_ring(s, r, &np);
            for (uint32_t k = 0, j = np - 1; k < np; j = k++) {
                geo_pt a = p[j], c = p[k];
                if (a.y == c.y)
                    continue; /* never crosses */
                if (a.y > c.y) {
                    geo_pt t = a;
                    a = c;
                    c = t;
                }
                /* dxdy exactly as geo_shape_contains() computes it */
                b->e[b->ne++] = (bedge){a.x,
                                        a.y,
                                        c.y,
                                        (c.x - a.x) / (c.y - a.y),
                                        a.x < c.x ? a.x : c.x,
                                        a.x < c.x ? c.x : a.x,
                                        i};
            }
        }
    }
    return true;
}

/*
 * Bucket the edges by the grid rows they overlap (ay < slot_hi, by >
 * slot_lo), within their shape's rows: b->inc[b->rowstart[r] ..
 * b->rowstart[r + 1]) lists row r's edges, ascending, hence grouped by
 * shape in id order. False on no memory.
 */
static bool bucket_rows(builder *b)
{
    const geo_index *ix = b->ix;
    b->rowstart = calloc((size_t)ix->nrows + 1, sizeof(*b->rowstart));
    if (!b->rowstart)
        return false;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < b->ne; k++) {
            const bedge *e = &b->e[k];
            const span *sp = &b->spans[e->shape];
            uint32_t lo = first_hi_above(ix->oy, ix->ch, ix->nrows, e->ay, false);
            uint32_t hi = last_lo_below(ix->oy, ix->ch, ix->nrows, e->by, false);
            lo = lo < sp->ry0 ? sp->ry0 : lo;
            hi = hi > sp->ry1 ? sp->ry1 : hi;
            for (uint32_t r = lo; r <= hi; r++) {
                if (pass == 0)
                    b->rowstart[r + 1]++;
                else
                    b->inc[b->rowstart[r]++] = (uint32_t)k;
            }
        }
        if (pass == 0) {
            for (uint32_t r = 0; r < ix->nrows; r++)
                b->rowstart[r + 1] += b->rowstart[r];
            /* rowstart[r] is now the start of row r */
            b->inc = malloc((b->rowstart[ix->nrows] ? b->rowstart[ix->nrows] : 1) *
                            sizeof(*b->inc));
            if (!b->inc)
                return false;
        }
    }
    /* the filling pass moved each start to the row's end: shift back */
    memmove(b->rowstart + 1, b->rowstart, (size_t)ix->nrows * sizeof(*b->rowstart));
    b->rowstart[0] = 0;
    return true;
}

/* Append one item to the row list. False on no memory. */
static bool push_item(builder *b, uint32_t col, item_kind kind, uint32_t edge, double t)
{
    if (!grow(&b->it, &b->capit, b->nit + 1, sizeof(*b->it)))
        return false;
    b->it[b->nit++] = (item){col, kind, edge, t};
    return true;
}

/* Add t to the threshold set, or remove it if present (two equal
 * thresholds flip the parity twice). False on no memory. */
static bool toggle_thresh(builder *b, double t)
{
    for (size_t i = 0; i < b->nthr; i++) {
        if (b->thr[i] == t) {
            b->thr[i] = b->thr[--b->nthr];
            return true;
        }
    }
    if (!grow(&b->thr, &b->capthr, b->nthr + 1, sizeof(*b->thr)))
        return false;
    b->thr[b->nthr++] = t;
    return true;
}

/* Append the record of shape `id` for column `col` of the current row
 * from the sweep state, unless it is empty (no edge, no threshold, even
 * parity: the shape cannot contain a point of the cell). False on no
 * memory or over the limit. */
static bool emit_record(builder *b, uint32_t col, uint32_t id, unsigned parity)
{
    if (b->nex == 0 && b->nthr == 0 && !parity)
        return true;
    size_t len = 2 + 4 * b->nex + b->nthr;
    if (b->nw + len > MAX_BLOB_WORDS) {
        b->too_big = true;
        return false;
    }
    if (!grow(&b->w, &b->capw, b->nw + len, sizeof(*b->w)) ||
        !grow(&b->rcol, &b->caprec, b->nrec + 1, sizeof(*b->rcol)) ||
        !grow(&b->roff, &b->caproff, b->nrec + 1, sizeof(*b->roff)))
        return false;
    ix_word *w = b->w + b->nw;
    w[0].u = (uint64_t)id | (uint64_t)parity << 32;
    w[1].u = (uint64_t)b->nex | (uint64_t)b->nthr << 32;
    w += 2;
    for (size_t k = 0; k < b->nex; k++, w += 4) {
        const bedge *e = &b->e[b->ex[k]];
        w[0].d = e->ax;
        w[1].d = e->ay;
        w[2].d = e->by;
        w[3].d = e->dxdy;
    }
    for (size_t k = 0; k < b->nthr; k++)
        w[k].d = b->thr[k];
    b->rcol[b->nrec] = col;
    b->roff[b->nrec++] = b->nw;
    b->nw += len;
    return true;
}

/*
 * One row of one shape: turn the row's edges into items per column (see
 * the reduction at the top), sort them by column, and sweep the columns
 * right to left emitting one record per cell. Edge indexes of the row are
 * edges[0..nedges). Returns false on no memory or over the limit.
 */
static bool build_row(builder *b, uint32_t id, uint32_t row, uint32_t cx0, uint32_t cx1,
                      const uint32_t *edges, uint32_t nedges)
{
    const geo_index *ix = b->ix;
    const double y0 = slot_lo(ix->oy, ix->ch, row), y1 = slot_hi(ix->oy, ix->ch, row);
    const uint32_t width = cx1 - cx0 + 1;
    b->nit = 0;
    for (uint32_t k = 0; k < nedges; k++) {
        const bedge *e = &b->e[edges[k]];
        /* cells the edge reaches: slot_hi >= xmin and slot_lo <= xmax */
        uint32_t lo = first_hi_above(ix->ox, ix->cw, ix->ncols, e->xmin, true);
        uint32_t hi = last_lo_below(ix->ox, ix->cw, ix->ncols, e->xmax, true);
        /* lo <= cx1 and hi >= cx0 since the edge lies in the shape's bbox;
         * the clamps only keep that true whatever happens */
        lo = lo < cx0 ? cx0 : lo > cx1 + 1 ? cx1 + 1 : lo;
        hi = hi > cx1 ? cx1 : hi;
        for (uint32_t c = lo; c <= hi; c++)
            if (!push_item(b, c - cx0, IT_EDGE, edges[k], 0))
                return false;
        if (lo > cx0) { /* cells left of the edge: it lies to their right */
            uint32_t c = lo - 1 - cx0;
            if (!(e->ay <= y0 ? push_item(b, c, IT_FLIP, 0, 0)
                              : push_item(b, c, IT_THRESH, 0, e->ay)))
                return false;
            if (e->by < y1 && !push_item(b, c, IT_THRESH, 0, e->by))
                return false;
        }
    }
    /* counting sort by column */
    if (!grow(&b->colcnt, &b->capcolcnt, (size_t)width + 1, sizeof(*b->colcnt)) ||
        !grow(&b->its, &b->capits, b->nit, sizeof(*b->its)))
        return false;
    memset(b->colcnt, 0, ((size_t)width + 1) * sizeof(*b->colcnt));
    for (size_t k = 0; k < b->nit; k++)
        b->colcnt[b->it[k].col + 1]++;
    for (uint32_t c = 0; c < width; c++)
        b->colcnt[c + 1] += b->colcnt[c];
    for (size_t k = 0; k < b->nit; k++)
        b->its[b->colcnt[b->it[k].col]++] = b->it[k];
    /* colcnt[c] is now the end of column c; its start is colcnt[c - 1] */
    unsigned parity = 0;
    b->nthr = 0;
    for (uint32_t c = width; c-- > 0;) {
        const size_t start = c ? b->colcnt[c - 1] : 0, end = b->colcnt[c];
        b->nex = 0;
        for (size_t k = start; k < end; k++) {
            const item *t = &b->its[k];
            switch (t->kind) {
            case IT_FLIP:
                parity ^= 1;
                break;
            case IT_THRESH:
                if (!toggle_thresh(b, t->t))
                    return false;
                break;
            case IT_EDGE:
                if (!grow(&b->ex, &b->capex, b->nex + 1, sizeof(*b->ex)))
                    return false;
                b->ex[b->nex++] = t->edge;
                break;
            }
        }
        if (!emit_record(b, cx0 + c, id, parity))
            return false;
    }
    return true;
}

/*
 * Choose the grid: about CELLS_PER_SHAPE cells per shape or one per edge,
 * whichever is more, capped at MAX_CELLS, over the union bbox grown by two
 * slacks, with the cell aspect of the average shape.
 */
static void choose_grid(geo_index *ix, const geo_shape *const *shapes, uint32_t n)
{
    geo_bbox u = geo_shape_bbox(shapes[0]);
    double sumw = 0, sumh = 0;
    uint64_t edges = 0;
    for (uint32_t i = 0; i < n; i++) {
        const geo_bbox bb = geo_shape_bbox(shapes[i]);
        u.min_x = fmin(u.min_x, bb.min_x);
        u.min_y = fmin(u.min_y, bb.min_y);
        u.max_x = fmax(u.max_x, bb.max_x);
        u.max_y = fmax(u.max_y, bb.max_y);
        sumw += bb.max_x - bb.min_x;
        sumh += bb.max_y - bb.min_y;
        edges += geo_shape_point_count(shapes[i]);
    }
    uint64_t target = (uint64_t)CELLS_PER_SHAPE * n;
    if (edges > target)
        target = edges;
    if (target > MAX_CELLS)
        target = MAX_CELLS;
    const double w = u.max_x - u.min_x + 4 * GEO_SLACK, h = u.max_y - u.min_y + 4 * GEO_SLACK;
    double aspect = sumw > 0 && sumh > 0 ? sumw / sumh : 1.0; /* cell width / height */
    aspect = fmin(fmax(aspect, 1.0 / 16), 16.0);
    const double cw = sqrt(w * h / (double)target * aspect);
    double nc = fmin(fmax(ceil(w / cw), 1), MAX_CELLS);
    double nrw = fmin(fmax(ceil(h / (cw / aspect)), 1), floor(MAX_CELLS / nc));
    ix->ncols = (uint32_t)nc;
    ix->nrows = (uint32_t)nrw;
    ix->fcols = nc;
    ix->frows = nrw;
    ix->ox = u.min_x - 2 * GEO_SLACK;
    ix->oy = u.min_y - 2 * GEO_SLACK;
    ix->cw = w / nc;
    ix->ch = h / nrw;
    ix->inv_cw = 1 / ix->cw;
    ix->inv_ch = 1 / ix->ch;
}

/* The record at w: its length in words. */
static size_t record_len(const ix_word *w)
{
    return 2 + 4 * (size_t)(uint32_t)w[1].u + (size_t)(w[1].u >> 32);
}

/* Append n words to b->out, returning where they go, or NULL on no memory
 * or over the limit. */
static ix_word *out_take(builder *b, size_t n)
{
    if (b->nout + n > MAX_BLOB_WORDS) {
        b->too_big = true;
        return NULL;
    }
    if (!grow(&b->out, &b->capout, b->nout + n, sizeof(*b->out)))
        return NULL;
    b->nout += n;
    return b->out + b->nout - n;
}

/* Find e among the cell's unique edges or add it; *bit gets its bit in
 * the edge mask. False when the cell would need more than MASK_TESTS
 * tests (use the plain format). */
static bool uniq_edge(builder *b, cedge e, uint32_t *bit)
{
    uint32_t k = 0;
    while (k < b->nuedge && !(b->uedge[k].ax == e.ax && b->uedge[k].ay == e.ay &&
                              b->uedge[k].by == e.by && b->uedge[k].dxdy == e.dxdy))
        k++;
    if (k == b->nuedge) {
        if (b->nuedge + b->nuthr == MASK_TESTS)
            return false;
        b->uedge[b->nuedge++] = e;
    }
    *bit = (uint32_t)1 << k;
    return true;
}

/* The same for a threshold; *bit is its bit in the threshold mask. */
static bool uniq_thresh(builder *b, double t, uint32_t *bit)
{
    uint32_t k = 0;
    while (k < b->nuthr && b->uthr[k] != t)
        k++;
    if (k == b->nuthr) {
        if (b->nuedge + b->nuthr == MASK_TESTS)
            return false;
        b->uthr[b->nuthr++] = t;
    }
    *bit = (uint32_t)1 << k;
    return true;
}

/*
 * Try the masked format for the records recs[0..n) of one cell: collect
 * the cell's unique edges and thresholds into b->uedge and b->uthr, and for
 * each record the tests it uses into b->mrec (records whose tests cancel
 * out are dropped). Returns false if more than MASK_TESTS tests are needed,
 * or on no memory (then *oom is set).
 */
static bool try_masked(builder *b, const uint32_t *recs, uint32_t n, bool *oom)
{
    b->nuedge = 0;
    b->nuthr = 0;
    b->nmrec = 0;
    if (!grow(&b->mrec, &b->capmrec, n, sizeof(*b->mrec))) {
        *oom = true;
        return false;
    }
    for (uint32_t k = 0; k < n; k++) {
        const ix_word *w = b->w + b->roff[recs[k]];
        const uint32_t ne = (uint32_t)w[1].u, nt = (uint32_t)(w[1].u >> 32);
        mrecord m = {(uint32_t)w[0].u, 0, 0, (unsigned)(w[0].u >> 32) & 1};
        uint32_t bit;
        const ix_word *e = w + 2;
        for (uint32_t i = 0; i < ne; i++, e += 4) {
            if (!uniq_edge(b, (cedge){e[0].d, e[1].d, e[2].d, e[3].d}, &bit))
                return false;
            m.emask ^= bit;
        }
        for (uint32_t i = 0; i < nt; i++, e++) {
            if (!uniq_thresh(b, e->d, &bit))
                return false;
            m.tmask ^= bit;
        }
        if (m.emask || m.tmask || m.parity) /* else the tests cancel out */
            b->mrec[b->nmrec++] = m;
    }
    return true;
}

/*
 * Encode cell c from its records recs[0..n) (ascending ids): set
 * ix->cells[c] and append its data to b->out. Returns false on no memory
 * or over the limit.
 */
static bool encode_cell(builder *b, size_t c, const uint32_t *recs, uint32_t n)
{
    geo_index *ix = b->ix;
    bool oom = false;
    if (n == 0) {
        ix->cells[c] = CELL_NONE;
        return true;
    }
    if (try_masked(b, recs, n, &oom)) {
        if (b->nmrec == 0) {
            ix->cells[c] = CELL_NONE;
            return true;
        }
        const mrecord *m = b->mrec;
        if (b->nmrec == 1 && !m->emask && !m->tmask) {
            /* one shape, odd parity whatever the point: inside it */
            ix->cells[c] = CELL_DIRECT | m->id;
            return true;
        }
        ix_word *w = out_take(b, 1 + 4 * (size_t)b->nuedge + b->nuthr + b->nmrec);
        if (!w)
            return false;
        ix->cells[c] = (uint32_t)(w - b->out);
        w[0].u = (uint64_t)b->nmrec | (uint64_t)b->nuedge << 32 | (uint64_t)b->nuthr << 48;
        w++;
        for (uint32_t k = 0; k < b->nuedge; k++, w += 4) {
            w[0].d = b->uedge[k].ax;
            w[1].d = b->uedge[k].ay;
            w[2].d = b->uedge[k].by;
            w[3].d = b->uedge[k].dxdy;
        }
        for (uint32_t k = 0; k < b->nuthr; k++, w++)
            w->d = b->uthr[k];
        for (uint32_t k = 0; k < b->nmrec; k++, m++) {
            const uint32_t mask = m->emask | m->tmask << b->nuedge | (uint32_t)m->parity << 31;
            w[k].u = (uint64_t)m->id | (uint64_t)mask << 32;
        }
        return true;
    }
    if (oom)
        return false;
    size_t len = 1;
    for (uint32_t k = 0; k < n; k++)
        len += record_len(b->w + b->roff[recs[k]]);
    ix_word *w = out_take(b, len);
    if (!w)
        return false;
    ix->cells[c] = (uint32_t)(w - b->out);
    w[0].u = (uint64_t)n | (uint64_t)FORMAT_PLAIN << 32;
    w++;
    for (uint32_t k = 0; k < n; k++) {
        const ix_word *r = b->w + b->roff[recs[k]];
        const size_t rl = record_len(r);
        memcpy(w, r, rl * sizeof(*w));
        w += rl;
    }
    return true;
}

/*
 * Encode the cells of grid row `row` from the records b->w holds for it:
 * group them by column (a stable counting sort, so ids stay ascending)
 * and encode each cell. False on no memory or over the limit.
 */
static bool encode_row(builder *b, uint32_t row)
{
    const geo_index *ix = b->ix;
    const uint32_t ncols = ix->ncols;
    memset(b->colstart, 0, ((size_t)ncols + 1) * sizeof(*b->colstart));
    if (!grow(&b->order, &b->caporder, b->nrec, sizeof(*b->order)))
        return false;
    for (size_t k = 0; k < b->nrec; k++)
        b->colstart[b->rcol[k] + 1]++;
    for (uint32_t c = 0; c < ncols; c++)
        b->colstart[c + 1] += b->colstart[c];
    for (size_t k = 0; k < b->nrec; k++)
        b->order[b->colstart[b->rcol[k]]++] = (uint32_t)k;
    /* colstart[c] is now the end of column c's records */
    for (uint32_t c = 0; c < ncols; c++) {
        const uint32_t first = c ? b->colstart[c - 1] : 0;
        if (!encode_cell(b, (size_t)row * ncols + c, b->order + first,
                         b->colstart[c] - first))
            return false;
    }
    return true;
}

/*
 * Build the grid row by row: for each row, each shape with edges in it
 * (ascending id) adds its records, then the row's cells are encoded. At
 * the end the blob moves to its final, huge-page friendly home. False on
 * no memory or over the limit.
 */
static bool build_rows(builder *b)
{
    geo_index *ix = b->ix;
    const size_t ncell = (size_t)ix->ncols * ix->nrows;
    ix->cells = big_alloc(ncell * sizeof(*ix->cells));
    b->colstart = malloc(((size_t)ix->ncols + 1) * sizeof(*b->colstart));
    if (!ix->cells || !b->colstart)
        return false;
    for (uint32_t r = 0; r < ix->nrows; r++) {
        b->nw = 0;
        b->nrec = 0;
        const size_t end = b->rowstart[r + 1];
        for (size_t j = b->rowstart[r]; j < end;) {
            const uint32_t id = b->e[b->inc[j]].shape;
            size_t k = j;
            while (k < end && b->e[b->inc[k]].shape == id)
                k++;
            const span *sp = &b->spans[id];
            if (!build_row(b, id, r, sp->cx0, sp->cx1, b->inc + j, (uint32_t)(k - j)))
                return false;
            j = k;
        }
        if (!encode_row(b, r))
            return false;
    }
    ix->nwords = b->nout;
    ix->blob = big_alloc(b->nout * sizeof(*ix->blob));
    if (!ix->blob)
        return false;
    if (b->nout)
        memcpy(ix->blob, b->out, b->nout * sizeof(*ix->blob));
    return true;
}

geo_index *geo_index_build(const geo_shape *const *shapes, uint32_t n, wg_why *why)
{
    if (n > GEO_INDEX_MAX_SHAPES) {
        wg_fail(why, WG_ERR_INVALID, "shapes", "more than %u shapes", GEO_INDEX_MAX_SHAPES);
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (!shapes[i]) {
            wg_fail(why, WG_ERR_INVALID, "shapes", "shape %u is missing", i);
            return NULL;
        }
    }
    geo_index *ix = calloc(1, sizeof(*ix));
    if (!ix) {
        wg_fail(why, WG_ERR_NOMEM, "shapes", "out of memory building the index");
        return NULL;
    }
    ix->n = n;
    if (n == 0)
        return ix; /* 0 x 0 grid: every point is outside */
    choose_grid(ix, shapes, n);
    builder b = {.ix = ix};
    const bool ok = collect_edges(&b, shapes, n) && bucket_rows(&b) && build_rows(&b);
    const bool too_big = b.too_big;
    builder_free(&b);
    if (!ok) {
        if (too_big)
            wg_fail(why, WG_ERR_INVALID, "shapes", "the shapes are too complex to index");
        else
            wg_fail(why, WG_ERR_NOMEM, "shapes", "out of memory building the index");
        geo_index_free(ix);
        return NULL;
    }
    return ix;
}

void geo_index_free(geo_index *ix)
{
    if (!ix)
        return;
    free(ix->cells);
    free(ix->blob);
    free(ix);
}

/* ---- lookups ------------------------------------------------------------- */

/* The cell entry for (lon, lat), or CELL_NONE outside the grid or for NaN
 * and infinities (the negated test catches them). */
static inline uint32_t cell_entry(const geo_index *ix, double lon, double lat)
{
    const double fx = (lon - ix->ox) * ix->inv_cw;
    const double fy = (lat - ix->oy) * ix->inv_ch;
    if (!(fx >= 0 && fy >= 0 && fx < ix->fcols && fy < ix->frows))
        return CELL_NONE;
    return ix->cells[(size_t)(uint32_t)fy * ix->ncols + (uint32_t)fx];
}

/* Parity of one plain-format record at (lon, lat); *wp moves past it. */
static inline unsigned record_parity(const ix_word **wp, double lon, double lat)
{
    const ix_word *w = *wp;
    const uint64_t h1 = w[1].u;
    unsigned par = (unsigned)(w[0].u >> 32);
    const uint32_t ne = (uint32_t)h1, nt = (uint32_t)(h1 >> 32);
    w += 2;
    for (uint32_t k = 0; k < ne; k++, w += 4)
        par ^= geo_edge_crosses(w[0].d, w[1].d, w[2].d, w[3].d, lon, lat);
    for (uint32_t k = 0; k < nt; k++, w++)
        par ^= lat >= w->d;
    *wp = w;
    return par & 1;
}

/*
 * Masked format: the mask of the cell's tests that (lon, lat) passes, bit
 * k for edge k, bit ne + k for threshold k, bit 31 always set (it stands
 * for the records' constant parity). *wp moves to the records.
 */
static inline uint32_t cell_mask(const ix_word **wp, uint64_t head, double lon, double lat)
{
    const ix_word *w = *wp;
    const uint32_t ne = (uint32_t)(head >> 32) & 0xffff, nt = (uint32_t)(head >> 48);
    uint32_t mask = (uint32_t)1 << 31;
    for (uint32_t k = 0; k < ne; k++, w += 4)
        mask |= (uint32_t)geo_edge_crosses(w[0].d, w[1].d, w[2].d, w[3].d, lon, lat) << k;
    for (uint32_t k = 0; k < nt; k++, w++)
        mask |= (uint32_t)(lat >= w->d) << (ne + k);
    *wp = w;
    return mask;
}

/* True if the cell data at w (past its head word) is in the plain format. */
static inline bool is_plain(uint64_t head)
{
    return ((head >> 32) & 0xffff) == FORMAT_PLAIN;
}

int32_t geo_index_locate(const geo_index *ix, double lon, double lat)
{
    const uint32_t e = cell_entry(ix, lon, lat);
    if (e & CELL_DIRECT)
        return e == CELL_NONE ? -1 : (int32_t)(e & ~CELL_DIRECT);
    const ix_word *w = ix->blob + e;
    __builtin_prefetch(w + 8); /* the cell's second line, in parallel */
    const uint64_t head = w->u;
    const uint32_t nrec = (uint32_t)head;
    w++;
    if (!is_plain(head)) {
        const uint32_t mask = cell_mask(&w, head, lon, lat);
        for (uint32_t r = 0; r < nrec; r++)
            if (__builtin_parity((uint32_t)(w[r].u >> 32) & mask))
                return (int32_t)(uint32_t)w[r].u;
        return -1;
    }
    for (uint32_t r = 0; r < nrec; r++) {
        const uint32_t id = (uint32_t)w->u;
        if (record_parity(&w, lon, lat))
            return (int32_t)id;
    }
    return -1;
}

uint32_t geo_index_locate_all(const geo_index *ix, double lon, double lat, int32_t *out,
                              uint32_t cap)
{
    const uint32_t e = cell_entry(ix, lon, lat);
    if (e & CELL_DIRECT) {
        if (e == CELL_NONE)
            return 0;
        if (cap > 0)
            out[0] = (int32_t)(e & ~CELL_DIRECT);
        return 1;
    }
    const ix_word *w = ix->blob + e;
    const uint64_t head = w->u;
    const uint32_t nrec = (uint32_t)head;
    uint32_t found = 0;
    w++;
    if (!is_plain(head)) {
        const uint32_t mask = cell_mask(&w, head, lon, lat);
        for (uint32_t r = 0; r < nrec; r++) {
            if (__builtin_parity((uint32_t)(w[r].u >> 32) & mask)) {
                if (found < cap)
                    out[found] = (int32_t)(uint32_t)w[r].u;
                found++;
            }
        }
        return found;
    }
    for (uint32_t r = 0; r < nrec; r++) {
        const uint32_t id = (uint32_t)w->u;
        if (record_parity(&w, lon, lat)) {
            if (found < cap)
                out[found] = (int32_t)id;
            found++;
        }
    }
    return found;
}

uint32_t geo_index_count(const geo_index *ix)
{
    return ix->n;
}

size_t geo_index_bytes(const geo_index *ix)
{
    return sizeof(*ix) + (size_t)ix->ncols * ix->nrows * sizeof(*ix->cells) +
           ix->nwords * sizeof(*ix->blob);
}
