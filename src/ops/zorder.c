/*
 * Z-order sort for OPTIMIZE: Morton keys over the chosen columns and an
 * external merge sort of a partition's rows (rules in zorder.h).
 *
 * Runs hold scan batches by reference plus one (key, batch, row) entry a
 * row; a sorted run is gathered row by row into output batches of
 * OUT_ROWS rows, which go to the table writer (one run) or to the run's
 * spill file. Spill files have the scan's schema (every table column, in
 * order), so a merged row's key is recomputed from its values exactly as
 * it was computed when the row was first read.
 */
#include "ops/zorder.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <delta/storage.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"
#include "expr/expr_internal.h"
#include "log/schema.h"
#include "parquet/codec.h"
#include "parquet/record_reader.h"
#include "parquet/record_writer.h"
#include "storage/scratch.h"
#include "table/predicate.h"
#include "table/scan.h"

__extension__ typedef unsigned __int128 zu128;

#define SIGN_BIT ((uint64_t)1 << 63)
#define SORT_BATCH_ROWS 8192 /* rows a scan or spill batch holds, at most */
#define MIN_BATCH_ROWS 64
#define MAX_FANIN 64    /* runs merged at once */
#define OUT_ROWS 1024   /* rows of a gathered output batch (files roll between batches) */
#define ROW_OVERHEAD 24 /* bytes of a run entry */

typedef struct zcol {
    uint32_t field; /* index in the table schema (and in scan batches) */
    const dtype *type;
    char *stats_name; /* the key of its statistics in add.stats */
    uint64_t lo, hi;  /* the partition's range of ukeys */
} zcol;

struct dops_zorder {
    const dlog_snapshot *snap;
    const char *uri;
    zcol *cols;
    size_t k;
    unsigned bits; /* per column */
    int64_t memory;
    int64_t batch_rows; /* of scan, spill and merge batches: smaller under small budgets */
    char *spill_parent;
};

typedef struct zrow {
    uint64_t hi, lo;
    uint32_t batch, row;
} zrow;

typedef struct run {
    dvec **batches;
    size_t nb, cap_b;
    zrow *rows;
    size_t nrows, cap_rows;
    int64_t bytes;
} run;

typedef struct spill {
    dscratch scratch; /* the temporary folder, once made */
    size_t nruns;
} spill;

/* ---- keys ---------------------------------------------------------------------------- */

uint64_t dops_zorder_ukey(const dtype *t, const expr_value *v)
{
    switch (t->id) {
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64:
    case DT_DATE32:
    case DT_TIMESTAMP: return (uint64_t)v->i ^ SIGN_BIT;
    case DT_FLOAT32:
    case DT_FLOAT64: {
        double d = v->d;
        if (isnan(d))
            return UINT64_MAX; /* NaN sorts above every number */
        if (d == 0)
            d = 0; /* -0.0 and 0.0 are one value */
        uint64_t b;
        memcpy(&b, &d, sizeof b);
        return (b & SIGN_BIT) ? ~b : b | SIGN_BIT;
    }
    case DT_DECIMAL: {
        expr_i128 x = v->dec;
        int64_t i = x > INT64_MAX ? INT64_MAX : x < INT64_MIN ? INT64_MIN : (int64_t)x;
        return (uint64_t)i ^ SIGN_BIT;
    }
    case DT_STRING:
    case DT_BINARY: {
        uint64_t u = 0;
        for (size_t i = 0; i < 8; i++)
            u = (u << 8) | (i < v->len ? v->bytes[i] : 0);
        return u;
    }
    default: return 0;
    }
}

void dops_zorder_interleave(const uint32_t *vals, size_t k, unsigned bits, uint64_t out[2])
{
    zu128 key = 0;
    unsigned n = 0;
    for (unsigned j = bits; j-- > 0;)
        for (size_t c = 0; c < k; c++) {
            key = (key << 1) | ((vals[c] >> j) & 1u);
            n++;
        }
    if (n == 0)
        key = 0;
    else if (n < 128)
        key <<= 128 - n;
    out[0] = (uint64_t)(key >> 64);
    out[1] = (uint64_t)key;
}

/* A ukey scaled from the column's range onto [1, 2^bits - 1]. */
static uint32_t scale(const zcol *c, uint64_t u, unsigned bits)
{
    if (u < c->lo)
        u = c->lo;
    if (u > c->hi)
        u = c->hi;
    uint64_t range = c->hi - c->lo;
    if (range == 0)
        return 1;
    uint64_t top = ((uint64_t)1 << bits) - 2;
    return 1 + (uint32_t)(((zu128)(u - c->lo) * top) / range);
}

static void row_key(const dops_zorder *z, const dvec *b, int64_t i, uint64_t out[2])
{
    uint32_t vals[DOPS_ZORDER_MAX_COLUMNS];
    for (size_t c = 0; c < z->k; c++) {
        expr_value v;
        const zcol *zc = &z->cols[c];
        vals[c] = expr_vec_get(b->children[zc->field], i, &v)
                      ? scale(zc, dops_zorder_ukey(zc->type, &v), z->bits)
                      : 0;
    }
    dops_zorder_interleave(vals, z->k, z->bits, out);
}

/* ---- columns ------------------------------------------------------------------------- */

static bool is_partition_column(const dlog_snapshot *s, const char *name)
{
    for (size_t p = 0; p < s->metadata.num_partition_columns; p++)
        if (dstr_ieq(s->metadata.partition_columns[p], name))
            return true;
    return false;
}

static bool has_minmax(const dtype *t)
{
    switch (t->id) {
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64:
    case DT_FLOAT32:
    case DT_FLOAT64:
    case DT_DECIMAL:
    case DT_DATE32:
    case DT_TIMESTAMP:
    case DT_STRING: return true;
    default: return false;
    }
}

static int64_t leaves(const dtype *t)
{
    if (t->id != DT_STRUCT)
        return 1;
    int64_t n = 0;
    for (uint32_t i = 0; i < t->num_fields; i++)
        n += leaves(t->fields[i].type);
    return n;
}

/* The schema field a name stands for: exact, else unique case-insensitive. */
static int find_field(const dtype *st, const char *name, uint32_t *out)
{
    for (uint32_t i = 0; i < st->num_fields; i++)
        if (strcmp(st->fields[i].name, name) == 0) {
            *out = i;
            return 0;
        }
    int found = 0;
    for (uint32_t i = 0; i < st->num_fields; i++)
        if (dstr_ieq(st->fields[i].name, name)) {
            *out = i;
            found++;
        }
    return found == 1 ? 0 : DELTA_ENOTFOUND;
}

/* Whether delta.dataSkippingStatsColumns (a comma-separated list) names col. */
static bool in_stats_columns(const char *list, const char *col)
{
    size_t n = strlen(col);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *q = e;
        while (q > p && q[-1] == ' ')
            q--;
        if ((size_t)(q - p) == n && strncasecmp(p, col, n) == 0)
            return true;
        p = e;
    }
    return false;
}

static int check_column(const dops_zorder *z, const char *name, uint32_t *field)
{
    const dlog_snapshot *s = z->snap;
    const dtype *st = s->schema;
    if (find_field(st, name, field)) {
        dbuf cols = DBUF_INIT;
        for (uint32_t i = 0; i < st->num_fields; i++)
            dbuf_printf(&cols, "%s%s", i ? ", " : "", st->fields[i].name);
        int rc = delta_error_set(DELTA_EINVAL,
                                 "optimize of %s: --z-order column '%s' is not a column of the "
                                 "table (columns: %s)",
                                 z->uri, name, cols.err ? "?" : dbuf_cstr(&cols));
        dbuf_free(&cols);
        return rc;
    }
    const dfield *f = &st->fields[*field];
    if (is_partition_column(s, f->name))
        return delta_error_set(DELTA_EINVAL,
                               "optimize of %s: --z-order column '%s' is a partition column; "
                               "every file holds one value of it, so Z-ordering by it does "
                               "nothing (use --where to choose partitions)",
                               z->uri, f->name);
    if (!has_minmax(f->type)) {
        dbuf tn = DBUF_INIT;
        dtype_format(f->type, &tn);
        int rc = delta_error_set(DELTA_EINVAL,
                                 "optimize of %s: --z-order column '%s' has no statistics: its "
                                 "type %s has no min/max statistics, so data skipping cannot "
                                 "use its order (Z-order numbers, decimals, dates, timestamps "
                                 "or strings)",
                                 z->uri, f->name, tn.err ? "?" : dbuf_cstr(&tn));
        dbuf_free(&tn);
        return rc;
    }
    const char *list = dlog_snapshot_property(s, "delta.dataSkippingStatsColumns");
    if (list) {
        if (!in_stats_columns(list, f->name))
            return delta_error_set(DELTA_EINVAL,
                                   "optimize of %s: --z-order column '%s' has no statistics: "
                                   "delta.dataSkippingStatsColumns ('%s') does not name it",
                                   z->uri, f->name, list);
        return 0;
    }
    int64_t num_indexed = 32;
    const char *ni = dlog_snapshot_property(s, "delta.dataSkippingNumIndexedCols");
    if (ni && dstr_parse_i64(ni, &num_indexed))
        delta_error_clear();
    if (num_indexed < 0)
        return 0;
    int64_t before = 0; /* data leaf columns before this one */
    for (uint32_t i = 0; i < *field; i++)
        if (!is_partition_column(s, st->fields[i].name))
            before += leaves(st->fields[i].type);
    if (before >= num_indexed)
        return delta_error_set(DELTA_EINVAL,
                               "optimize of %s: --z-order column '%s' has no statistics: it is "
                               "data column %lld and delta.dataSkippingNumIndexedCols is %lld "
                               "(only the first %lld get statistics)",
                               z->uri, f->name, (long long)before + 1, (long long)num_indexed,
                               (long long)num_indexed);
    return 0;
}

int dops_zorder_new(dops_zorder **out, const dlog_snapshot *snap, const char *const *columns,
                    size_t ncolumns, int64_t memory, const char *spill_dir, const char *uri)
{
    *out = NULL;
    if (ncolumns == 0)
        return delta_error_set(DELTA_EINVAL, "optimize of %s: --z-order names no column", uri);
    if (ncolumns > DOPS_ZORDER_MAX_COLUMNS)
        return delta_error_set(DELTA_EINVAL,
                               "optimize of %s: --z-order names %zu columns; at most %d", uri,
                               ncolumns, DOPS_ZORDER_MAX_COLUMNS);
    dops_zorder *z = delta_calloc(1, sizeof *z);
    if (!z)
        return DELTA_ENOMEM;
    z->snap = snap;
    z->uri = uri;
    z->k = ncolumns;
    z->bits = 128 / (unsigned)ncolumns > 32 ? 32 : 128 / (unsigned)ncolumns;
    z->memory = memory > 0 ? memory : DOPS_ZORDER_DEFAULT_MEMORY;
    z->batch_rows = z->memory / 512;
    if (z->batch_rows > SORT_BATCH_ROWS)
        z->batch_rows = SORT_BATCH_ROWS;
    if (z->batch_rows < MIN_BATCH_ROWS)
        z->batch_rows = MIN_BATCH_ROWS;
    const char *tmp = spill_dir ? spill_dir : getenv("TMPDIR");
    z->spill_parent = delta_strdup(tmp && *tmp ? tmp : "/tmp");
    z->cols = delta_calloc(ncolumns, sizeof *z->cols);
    int rc = z->cols && z->spill_parent ? 0 : DELTA_ENOMEM;
    for (size_t c = 0; !rc && c < ncolumns; c++) {
        zcol *zc = &z->cols[c];
        if ((rc = check_column(z, columns[c], &zc->field)))
            break;
        for (size_t d = 0; d < c; d++)
            if (z->cols[d].field == zc->field) {
                rc = delta_error_set(DELTA_EINVAL,
                                     "optimize of %s: --z-order names column '%s' twice", uri,
                                     snap->schema->fields[zc->field].name);
                break;
            }
        if (rc)
            break;
        const dfield *f = &snap->schema->fields[zc->field];
        zc->type = f->type;
        zc->stats_name = snap->column_mapping == DLOG_CM_NONE ? delta_strdup(f->name)
                                                              : dlog_field_physical_name(f);
        if (!zc->stats_name)
            rc = DELTA_ENOMEM;
    }
    if (rc) {
        dops_zorder_free(z);
        return rc;
    }
    *out = z;
    return 0;
}

void dops_zorder_free(dops_zorder *z)
{
    if (!z)
        return;
    for (size_t c = 0; z->cols && c < z->k; c++)
        delta_free(z->cols[c].stats_name);
    delta_free(z->cols);
    delta_free(z->spill_parent);
    delta_free(z);
}

const char *dops_zorder_column(const dops_zorder *z, size_t i)
{
    return i < z->k ? z->snap->schema->fields[z->cols[i].field].name : NULL;
}

size_t dops_zorder_num_columns(const dops_zorder *z)
{
    return z->k;
}

/* The partition's range of each column: the smallest minimum and the
 * largest maximum of its files' statistics (everything when none). */
static void set_ranges(dops_zorder *z, const dlog_live_file *const *files, size_t n)
{
    bool has_lo[DOPS_ZORDER_MAX_COLUMNS] = {false}, has_hi[DOPS_ZORDER_MAX_COLUMNS] = {false};
    for (size_t c = 0; c < z->k; c++) {
        z->cols[c].lo = UINT64_MAX;
        z->cols[c].hi = 0;
    }
    for (size_t i = 0; i < n; i++) {
        const char *text = files[i]->add.stats;
        json_t *j = text ? json_loads(text, 0, NULL) : NULL;
        json_t *mins = json_is_object(j) ? json_object_get(j, "minValues") : NULL;
        json_t *maxs = json_is_object(j) ? json_object_get(j, "maxValues") : NULL;
        for (size_t c = 0; c < z->k; c++) {
            zcol *zc = &z->cols[c];
            expr_value v;
            if (json_is_object(mins) &&
                dtab_pred_stats_value(zc->type, json_object_get(mins, zc->stats_name), false, &v)) {
                uint64_t u = dops_zorder_ukey(zc->type, &v);
                zc->lo = u < zc->lo ? u : zc->lo;
                has_lo[c] = true;
            }
            if (json_is_object(maxs) &&
                dtab_pred_stats_value(zc->type, json_object_get(maxs, zc->stats_name), true, &v)) {
                uint64_t u = dops_zorder_ukey(zc->type, &v);
                zc->hi = u > zc->hi ? u : zc->hi;
                has_hi[c] = true;
            }
        }
        json_decref(j);
    }
    for (size_t c = 0; c < z->k; c++) {
        zcol *zc = &z->cols[c];
        if (!has_lo[c])
            zc->lo = 0;
        if (!has_hi[c])
            zc->hi = UINT64_MAX;
        if (zc->lo > zc->hi) {
            zc->lo = 0;
            zc->hi = UINT64_MAX;
        }
    }
}

/* ---- runs ---------------------------------------------------------------------------- */

static void run_clear(run *r)
{
    for (size_t i = 0; i < r->nb; i++)
        dvec_unref(r->batches[i]);
    r->nb = 0;
    r->nrows = 0;
    r->bytes = 0;
}

static void run_free(run *r)
{
    run_clear(r);
    delta_free(r->batches);
    delta_free(r->rows);
}

/* Adds batch b (the caller's reference is taken, also on failure). */
static int run_add(const dops_zorder *z, run *r, dvec *b)
{
    if (r->nb == r->cap_b) {
        size_t cap = r->cap_b ? r->cap_b * 2 : 16;
        dvec **n = delta_realloc(r->batches, cap * sizeof *n);
        if (!n) {
            dvec_unref(b);
            return DELTA_ENOMEM;
        }
        r->batches = n;
        r->cap_b = cap;
    }
    size_t need = r->nrows + (size_t)b->length;
    if (need > r->cap_rows) {
        size_t cap = r->cap_rows ? r->cap_rows : 1024;
        while (cap < need)
            cap *= 2;
        zrow *n = delta_realloc(r->rows, cap * sizeof *n);
        if (!n) {
            dvec_unref(b);
            return DELTA_ENOMEM;
        }
        r->rows = n;
        r->cap_rows = cap;
    }
    uint32_t bi = (uint32_t)r->nb;
    r->batches[r->nb++] = b;
    for (int64_t i = 0; i < b->length; i++) {
        zrow *e = &r->rows[r->nrows++];
        uint64_t key[2];
        row_key(z, b, i, key);
        e->hi = key[0];
        e->lo = key[1];
        e->batch = bi;
        e->row = (uint32_t)i;
    }
    r->bytes += dvec_payload_bytes(b) + b->length * ROW_OVERHEAD;
    return 0;
}

static int cmp_rows(const void *a, const void *b)
{
    const zrow *x = a, *y = b;
    if (x->hi != y->hi)
        return x->hi < y->hi ? -1 : 1;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    if (x->batch != y->batch)
        return x->batch < y->batch ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Where sorted rows go: the table writer or a spill file. */
typedef struct sink {
    dtab_writer *w;
    const dlog_map *pv;
    pq_writer *pw;
} sink;

static int sink_write(const sink *k, const dvec *b)
{
    return k->pw ? pq_writer_write(k->pw, b) : dtab_writer_write(k->w, k->pv, b);
}

static int append_row(dvec *out, const dvec *src, int64_t row)
{
    for (uint32_t c = 0; c < out->num_children; c++) {
        int rc = dvec_append_from(out->children[c], src->children[c], row);
        if (rc)
            return rc;
    }
    return 0;
}

/* Sorts the run and writes its rows to k in key order. */
static int run_emit(run *r, const sink *k)
{
    if (r->nrows == 0)
        return 0;
    qsort(r->rows, r->nrows, sizeof *r->rows, cmp_rows);
    const dtype *t = r->batches[0]->type;
    int rc = 0;
    for (size_t i = 0; !rc && i < r->nrows; i += OUT_ROWS) {
        size_t end = i + OUT_ROWS < r->nrows ? i + OUT_ROWS : r->nrows;
        dvec *out = NULL;
        rc = dbatch_new(&out, t);
        for (size_t j = i; !rc && j < end; j++)
            rc = append_row(out, r->batches[r->rows[j].batch], r->rows[j].row);
        if (!rc)
            rc = dbatch_seal(out);
        if (!rc)
            rc = sink_write(k, out);
        dvec_unref(out);
    }
    return rc;
}

/* ---- spill files --------------------------------------------------------------------- */

static void run_key(size_t i, char *buf, size_t n)
{
    snprintf(buf, n, "run-%06zu.parquet", i);
}

/* Deletes everything in the spill folder, then the folder. */
static void spill_free(spill *sp)
{
    dscratch_close(&sp->scratch);
    sp->nruns = 0;
}

static int spill_open(const dops_zorder *z, spill *sp)
{
    char what[600];
    snprintf(what, sizeof what, "optimize of %s: Z-order", z->uri);
    return dscratch_open(&sp->scratch, z->spill_parent, "delta-zorder", what);
}

/* Sorts the run into the next spill file and empties it. */
static int spill_run(const dops_zorder *z, run *r, spill *sp, const dtype *schema)
{
    int rc = spill_open(z, sp);
    if (rc)
        return rc;
    char key[64];
    run_key(sp->nruns, key, sizeof key);
    pq_writer_options po = PQ_WRITER_OPTIONS_INIT;
    po.codec = PQ_CODEC_SNAPPY;
    po.row_group_size_rows = (uint64_t)z->batch_rows;
    po.write_page_index = false;
    sink k = {NULL, NULL, NULL};
    rc = pq_writer_open(&k.pw, sp->scratch.store, key, 0, schema, &po);
    if (!rc)
        rc = run_emit(r, &k);
    if (!rc)
        rc = pq_writer_close(k.pw);
    pq_writer_free(k.pw);
    if (rc)
        return delta_error_prefix(rc, "optimize of %s: Z-order spill file %s/%s: ", z->uri,
                                  sp->scratch.dir, key);
    sp->nruns++;
    run_clear(r);
    return 0;
}

/* ---- merge --------------------------------------------------------------------------- */

typedef struct zsrc {
    pq_reader *r;
    dstream *s;
    dvec *b;        /* the current batch, or NULL at the end */
    uint64_t *keys; /* two a row of b */
    size_t cap;
    int64_t pos;
} zsrc;

/* Loads the source's next non-empty batch and its keys (b NULL at the end). */
static int src_next(const dops_zorder *z, zsrc *s)
{
    dvec_unref(s->b);
    s->b = NULL;
    s->pos = 0;
    for (;;) {
        dvec *b = NULL;
        int rc = s->s->next(s->s, &b);
        if (rc || !b)
            return rc;
        if (b->length == 0) {
            dvec_unref(b);
            continue;
        }
        if ((size_t)b->length * 2 > s->cap) {
            uint64_t *n = delta_realloc(s->keys, (size_t)b->length * 2 * sizeof *n);
            if (!n) {
                dvec_unref(b);
                return DELTA_ENOMEM;
            }
            s->keys = n;
            s->cap = (size_t)b->length * 2;
        }
        for (int64_t i = 0; i < b->length; i++)
            row_key(z, b, i, &s->keys[2 * i]);
        s->b = b;
        return 0;
    }
}

static bool src_less(const zsrc *srcs, size_t a, size_t b)
{
    const uint64_t *x = &srcs[a].keys[2 * srcs[a].pos], *y = &srcs[b].keys[2 * srcs[b].pos];
    if (x[0] != y[0])
        return x[0] < y[0];
    if (x[1] != y[1])
        return x[1] < y[1];
    return a < b; /* earlier runs first: the input order */
}

static void sift_down(const zsrc *srcs, size_t *heap, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && src_less(srcs, heap[l], heap[m]))
            m = l;
        if (l + 1 < n && src_less(srcs, heap[l + 1], heap[m]))
            m = l + 1;
        if (m == i)
            return;
        size_t t = heap[i];
        heap[i] = heap[m];
        heap[m] = t;
        i = m;
    }
}

/* Merges runs [first, first + count) into k. */
static int merge(const dops_zorder *z, spill *sp, size_t first, size_t count, const sink *k)
{
    zsrc *srcs = delta_calloc(count, sizeof *srcs);
    size_t *heap = delta_calloc(count, sizeof *heap);
    size_t n = 0;
    dvec *out = NULL;
    int rc = srcs && heap ? 0 : DELTA_ENOMEM;
    pq_reader_options ro = {NULL, 0, z->batch_rows, false};
    for (size_t i = 0; !rc && i < count; i++) {
        char key[64];
        run_key(first + i, key, sizeof key);
        rc = pq_reader_open(&srcs[i].r, sp->scratch.store, key, &ro);
        if (!rc)
            rc = pq_reader_stream(srcs[i].r, &srcs[i].s);
        if (!rc)
            rc = src_next(z, &srcs[i]);
        if (!rc && srcs[i].b)
            heap[n++] = i;
    }
    for (size_t i = n / 2; !rc && i-- > 0;)
        sift_down(srcs, heap, n, i);
    while (!rc && n > 0) {
        zsrc *s = &srcs[heap[0]];
        if (!out && (rc = dbatch_new(&out, s->b->type)))
            break;
        if ((rc = append_row(out, s->b, s->pos)))
            break;
        if (++s->pos == s->b->length && (rc = src_next(z, s)))
            break;
        if (!s->b)
            heap[0] = heap[--n];
        sift_down(srcs, heap, n, 0);
        if (out->children[0]->length >= (k->pw ? z->batch_rows : OUT_ROWS) || n == 0) {
            if (!(rc = dbatch_seal(out)))
                rc = sink_write(k, out);
            dvec_unref(out);
            out = NULL;
        }
    }
    dvec_unref(out);
    for (size_t i = 0; srcs && i < count; i++) {
        dvec_unref(srcs[i].b);
        if (srcs[i].s)
            srcs[i].s->free(srcs[i].s);
        pq_reader_free(srcs[i].r);
        delta_free(srcs[i].keys);
    }
    delta_free(srcs);
    delta_free(heap);
    if (rc)
        return delta_error_prefix(rc, "optimize of %s: merging Z-order spill files in %s: ", z->uri,
                                  sp->scratch.dir);
    return 0;
}

/* Merges every run into k: while there are more than MAX_FANIN runs, the
 * oldest MAX_FANIN are merged into a new run (and deleted), so memory is
 * at most MAX_FANIN runs' batches whatever the number of runs. */
static int merge_all(const dops_zorder *z, spill *sp, const sink *k)
{
    size_t first = 0;
    int rc = 0;
    while (!rc && sp->nruns - first > MAX_FANIN) {
        char key[64];
        run_key(sp->nruns, key, sizeof key);
        /* the runs' own schema as read back: merged batches have it */
        pq_reader *r = NULL;
        char key0[64];
        run_key(first, key0, sizeof key0);
        rc = pq_reader_open(&r, sp->scratch.store, key0, NULL);
        pq_writer_options po = PQ_WRITER_OPTIONS_INIT;
        po.codec = PQ_CODEC_SNAPPY;
        po.row_group_size_rows = (uint64_t)z->batch_rows;
        po.write_page_index = false;
        sink mk = {NULL, NULL, NULL};
        if (!rc)
            rc = pq_writer_open(&mk.pw, sp->scratch.store, key, 0, pq_reader_schema(r), &po);
        pq_reader_free(r);
        if (!rc)
            rc = merge(z, sp, first, MAX_FANIN, &mk);
        if (!rc)
            rc = pq_writer_close(mk.pw);
        pq_writer_free(mk.pw);
        for (size_t i = 0; !rc && i < MAX_FANIN; i++) {
            run_key(first + i, key0, sizeof key0);
            rc = delta_store_delete(sp->scratch.store, key0);
        }
        if (!rc) {
            first += MAX_FANIN;
            sp->nruns++;
        }
    }
    return rc ? rc : merge(z, sp, first, sp->nruns - first, k);
}

/* ---- the sort ------------------------------------------------------------------------ */

int dops_zorder_rewrite(dops_zorder *z, dtab_writer *w, const dlog_live_file *const *files,
                        size_t nfiles, const dlog_map *pv, int64_t *rows, int64_t *spilled)
{
    set_ranges(z, files, nfiles);
    dtab_scan_opts so = DTAB_SCAN_OPTS_INIT;
    so.files = files;
    so.num_files = nfiles;
    so.batch_rows = z->batch_rows;
    dstream *s = NULL;
    run r;
    spill sp;
    memset(&r, 0, sizeof r);
    memset(&sp, 0, sizeof sp);
    sink k = {w, pv, NULL};
    int rc = dtab_scan_open(&s, z->snap, &so);
    while (!rc) {
        dvec *b = NULL;
        rc = s->next(s, &b);
        if (rc || !b)
            break;
        if (b->length == 0) {
            dvec_unref(b);
            continue;
        }
        *rows += b->length;
        rc = run_add(z, &r, b);
        if (!rc && r.bytes >= z->memory)
            rc = spill_run(z, &r, &sp, s->schema);
    }
    size_t input_runs = 0;
    if (!rc && sp.nruns == 0)
        rc = run_emit(&r, &k);
    else if (!rc) {
        if (r.nrows)
            rc = spill_run(z, &r, &sp, s->schema);
        input_runs = sp.nruns;
        run_clear(&r); /* the merge's memory is the runs' batches instead */
        if (!rc)
            rc = merge_all(z, &sp, &k);
    }
    *spilled += (int64_t)input_runs;
    run_free(&r);
    if (s)
        s->free(s);
    if (!rc)
        rc = dtab_writer_finish(w);
    if (rc) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", delta_error_last());
        spill_free(&sp);
        delta_error_set(rc, "%s", msg);
    } else {
        spill_free(&sp);
    }
    return rc;
}
