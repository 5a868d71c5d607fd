/*
 * Parquet record reader (see record_reader.h). A stream walks its row
 * groups in order; for the current one it holds a column reader and a
 * column batch per projected leaf, asks every leaf for the same number of
 * records and assembles them into a new batch.
 */
#include "parquet/record_reader.h"

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "parquet/assemble.h"
#include "parquet/column_reader.h"
#include "parquet/stats.h"

struct pq_reader {
    pq_file *f;
    pq_plan plan;
    int64_t batch_rows;
};

int pq_reader_open_file(pq_reader **out, pq_file *f, const pq_reader_options *opts)
{
    *out = NULL;
    pq_reader *r = delta_calloc(1, sizeof(*r));
    if (!r) {
        pq_file_free(f);
        return DELTA_ENOMEM;
    }
    r->f = f;
    r->batch_rows = opts && opts->batch_rows > 0 ? opts->batch_rows
                                                 : PQ_READER_DEFAULT_BATCH_ROWS;
    pq_map_options mo = {opts ? opts->binary_as_string : false};
    int rc = pq_plan_from_schema(&r->plan, pq_file_schema(f), &mo, opts ? opts->columns : NULL,
                                 opts ? opts->num_columns : 0);
    if (rc) {
        delta_error_prefix(rc, "reading Parquet file '%s': ", pq_file_name(f));
        pq_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int pq_reader_open(pq_reader **out, delta_store *store, const char *key,
                   const pq_reader_options *opts)
{
    pq_file *f = NULL;
    *out = NULL;
    int rc = pq_file_open(&f, store, key);
    if (rc)
        return rc;
    return pq_reader_open_file(out, f, opts);
}

void pq_reader_free(pq_reader *r)
{
    if (!r)
        return;
    pq_plan_free(&r->plan);
    pq_file_free(r->f);
    delta_free(r);
}

const dtype *pq_reader_schema(const pq_reader *r)
{
    return r->plan.schema;
}

const pq_file_meta *pq_reader_metadata(const pq_reader *r)
{
    return pq_file_metadata(r->f);
}

const pq_schema *pq_reader_file_schema(const pq_reader *r)
{
    return pq_file_schema(r->f);
}

const pq_plan *pq_reader_plan(const pq_reader *r)
{
    return &r->plan;
}

int64_t pq_reader_num_rows(const pq_reader *r)
{
    return pq_file_metadata(r->f)->num_rows;
}

/* ---- streams ---------------------------------------------------------- */

typedef struct rstream {
    dstream base;
    pq_reader *r;
    uint32_t rg, rg_end;
    bool open;           /* column readers of row group rg are open */
    int64_t rows_left;   /* in the current row group */
    pq_column_reader **cols;
    pq_column_batch *batches;
    pq_leaf_data *data;
    dvec *spare;         /* the last batch handed out, refilled once released */
    bool *keep;          /* per row group, or NULL for all */
    int64_t next_row;    /* file position of the next row to hand out */
    int64_t last_row;    /* file position of the last batch's first row */
    int err;
} rstream;

/* Column readers stay open from row group to row group: moving one to the
 * next chunk (pq_column_reader_reopen) keeps its chunk and page buffers. */
static void free_readers(rstream *s)
{
    for (uint32_t i = 0; i < s->r->plan.num_leaves; i++) {
        pq_column_reader_free(s->cols[i]);
        s->cols[i] = NULL;
    }
    s->open = false;
}

static int open_group(rstream *s)
{
    const pq_file_meta *m = pq_file_metadata(s->r->f);
    for (uint32_t i = 0; i < s->r->plan.num_leaves; i++) {
        uint32_t leaf = (uint32_t)s->r->plan.leaves[i]->column;
        int rc = s->cols[i] ? pq_column_reader_reopen(s->cols[i], s->rg, leaf)
                            : pq_column_reader_open(&s->cols[i], s->r->f, s->rg, leaf);
        if (rc)
            return rc;
    }
    s->rows_left = m->row_groups[s->rg].num_rows;
    s->open = true;
    return 0;
}

/* Reads n records of every leaf and assembles them into a new batch. */
static int read_records(rstream *s, int64_t n, dvec **out)
{
    const pq_plan *p = &s->r->plan;
    for (uint32_t i = 0; i < p->num_leaves; i++) {
        pq_column_batch *b = &s->batches[i];
        int rc = pq_column_reader_read(s->cols[i], (size_t)n, b);
        if (rc)
            return rc;
        if ((int64_t)b->num_records != n) {
            dbuf path = DBUF_INIT;
            pq_schema_node_path_str(pq_column_reader_leaf(s->cols[i]), &path);
            rc = delta_error_set(
                (int64_t)b->num_records < n && b->num_records > 0 ? DELTA_EUNSUPPORTED
                                                                  : DELTA_ECORRUPT,
                "reading Parquet file '%s': row group %u, column '%s': %zu records where %lld "
                "were expected%s",
                pq_file_name(s->r->f), s->rg, dbuf_cstr(&path), b->num_records, (long long)n,
                b->num_records > 0 ? " (over 1 GiB of values in one batch: use fewer rows "
                                     "per batch)"
                                   : "");
            dbuf_free(&path);
            return rc;
        }
        pq_leaf_data *d = &s->data[i];
        d->num_levels = (int64_t)b->num_levels;
        d->num_values = (int64_t)b->num_values;
        d->def = b->def;
        d->rep = b->rep;
        if (p->leaves[i]->physical == PQ_TYPE_BYTE_ARRAY) {
            d->values = b->bytes.data.data;
            d->offsets = b->bytes.offsets;
            if (!d->offsets) {
                static const int32_t zero = 0;
                d->offsets = &zero;
            }
        } else {
            d->values = b->values;
            d->offsets = NULL;
        }
    }
    /* Refill the previous batch when its consumer has let go of it: no
     * allocation and no fresh pages per batch in the steady state. */
    dvec *batch = s->spare;
    s->spare = NULL;
    int rc = 0;
    if (batch && dvec_is_exclusive(batch)) {
        dvec_clear(batch);
    } else {
        dvec_unref(batch);
        batch = NULL;
        if ((rc = dbatch_new(&batch, p->schema)))
            return rc;
    }
    if (p->num_leaves == 0) {
        dvec_set_length(batch, batch->length + n);
    } else if ((rc = pq_assemble(p, s->data, n, batch))) {
        delta_error_prefix(rc, "reading Parquet file '%s', row group %u: ",
                           pq_file_name(s->r->f), s->rg);
        dvec_unref(batch);
        return rc;
    }
    s->spare = dvec_ref(batch);
    *out = batch;
    return 0;
}

static int rstream_next(dstream *ds, dvec **out)
{
    rstream *s = (rstream *)ds;
    *out = NULL;
    if (s->err)
        return s->err;
    const pq_file_meta *m = pq_file_metadata(s->r->f);
    while (s->rg < s->rg_end) {
        int rc;
        if (!s->open && s->keep && !s->keep[s->rg]) {
            s->next_row += m->row_groups[s->rg].num_rows;
            s->rg++;
            continue;
        }
        if (!s->open && (rc = open_group(s)))
            return s->err = rc;
        if (s->rows_left <= 0) {
            s->open = false;
            s->rg++;
            continue;
        }
        int64_t n = s->rows_left < s->r->batch_rows ? s->rows_left : s->r->batch_rows;
        if ((rc = read_records(s, n, out)))
            return s->err = rc;
        s->rows_left -= n;
        s->last_row = s->next_row;
        s->next_row += n;
        return 0;
    }
    return 0;
}

static void rstream_free(dstream *ds)
{
    rstream *s = (rstream *)ds;
    if (!s)
        return;
    dvec_unref(s->spare);
    if (s->cols)
        free_readers(s);
    if (s->batches)
        for (uint32_t i = 0; i < s->r->plan.num_leaves; i++)
            pq_column_batch_free(&s->batches[i]);
    delta_free(s->cols);
    delta_free(s->batches);
    delta_free(s->data);
    delta_free(s->keep);
    delta_free(s);
}

int pq_reader_stream_row_groups(pq_reader *r, uint32_t first, uint32_t count, dstream **out)
{
    *out = NULL;
    const pq_file_meta *m = pq_file_metadata(r->f);
    if (first > m->num_row_groups || count > m->num_row_groups - first)
        return delta_error_set(DELTA_EINVAL,
                               "Parquet file '%s': row groups [%u, %u) outside the %u it has",
                               pq_file_name(r->f), first, first + count, m->num_row_groups);
    rstream *s = delta_calloc(1, sizeof(*s));
    if (!s)
        return DELTA_ENOMEM;
    s->r = r;
    s->rg = first;
    s->rg_end = first + count;
    for (uint32_t g = 0; g < first; g++)
        s->next_row += m->row_groups[g].num_rows;
    uint32_t nl = r->plan.num_leaves ? r->plan.num_leaves : 1;
    s->cols = delta_calloc(nl, sizeof(*s->cols));
    s->batches = delta_calloc(nl, sizeof(*s->batches));
    s->data = delta_calloc(nl, sizeof(*s->data));
    s->base.schema = r->plan.schema;
    s->base.next = rstream_next;
    s->base.free = rstream_free;
    if (!s->cols || !s->batches || !s->data) {
        rstream_free(&s->base);
        return DELTA_ENOMEM;
    }
    *out = &s->base;
    return 0;
}

int pq_reader_stream_select(pq_reader *r, const bool *keep, dstream **out)
{
    uint32_t n = pq_file_metadata(r->f)->num_row_groups;
    int rc = pq_reader_stream_row_groups(r, 0, n, out);
    if (rc)
        return rc;
    rstream *s = (rstream *)*out;
    if (!(s->keep = delta_malloc(n ? n * sizeof *keep : 1))) {
        rstream_free(*out);
        *out = NULL;
        return DELTA_ENOMEM;
    }
    if (n)
        memcpy(s->keep, keep, n * sizeof *keep);
    return 0;
}

int64_t pq_reader_stream_row(const dstream *ds)
{
    return ((const rstream *)ds)->last_row;
}

int pq_reader_stream(pq_reader *r, dstream **out)
{
    return pq_reader_stream_row_groups(r, 0, pq_file_metadata(r->f)->num_row_groups, out);
}

int pq_reader_read_row_group(pq_reader *r, uint32_t row_group, dvec **out)
{
    *out = NULL;
    dstream *ds;
    int rc = pq_reader_stream_row_groups(r, row_group, 1, &ds);
    if (rc)
        return rc;
    rstream *s = (rstream *)ds;
    if ((rc = open_group(s)) == 0) {
        int64_t n = s->rows_left;
        rc = read_records(s, n, out);
    }
    ds->free(ds);
    return rc;
}

/* ---- row-group statistics ------------------------------------------------- */

static bool legacy_order_usable(pq_sort_kind k)
{
    return k == PQ_SORT_INT32 || k == PQ_SORT_INT64 || k == PQ_SORT_FLOAT || k == PQ_SORT_DOUBLE;
}

static bool is_nan_bound(pq_sort_kind k, const pq_bin *b)
{
    if (k == PQ_SORT_FLOAT && b->len == 4) {
        float f;
        memcpy(&f, b->ptr, 4);
        return f != f;
    }
    if (k == PQ_SORT_DOUBLE && b->len == 8) {
        double d;
        memcpy(&d, b->ptr, 8);
        return d != d;
    }
    return false;
}

static dvec *bound_vector(const pq_node *leaf, const pq_bin *b)
{
    dvec *v = NULL;
    if (dvec_new(&v, leaf->type) != 0)
        return NULL;
    if (pq_assemble_value(leaf, b->ptr, b->len, v) != 0) {
        dvec_unref(v);
        delta_error_clear();
        return NULL;
    }
    return v;
}

int pq_reader_column_bounds(pq_reader *r, uint32_t rg, uint32_t col, pq_column_bounds *out)
{
    out->min = out->max = NULL;
    out->null_count = -1;
    const pq_file_meta *m = pq_file_metadata(r->f);
    if (rg >= m->num_row_groups || col >= r->plan.root.num_children)
        return delta_error_set(DELTA_EINVAL, "Parquet file '%s': no row group %u column %u",
                               pq_file_name(r->f), rg, col);
    const pq_node *leaf = &r->plan.root.children[col];
    if (leaf->kind != PQ_NODE_LEAF || leaf->max_rep || leaf->conv == PQ_CONV_NULL)
        return 0;
    const pq_column_meta *cm = &m->row_groups[rg].columns[leaf->column].meta_data;
    if (!cm->has_statistics)
        return 0;
    const pq_statistics *st = &cm->statistics;
    if (st->has_null_count && st->null_count >= 0)
        out->null_count = st->null_count;
    const pq_schema_element *e = pq_file_schema(r->f)->leaves[leaf->column]->elem;
    pq_sort_kind kind = pq_sort_kind_for(e);
    if (kind == PQ_SORT_NONE)
        return 0;
    const pq_bin *mn = st->has_min_value                                  ? &st->min_value
                       : st->has_min && legacy_order_usable(kind) ? &st->min
                                                                          : NULL;
    const pq_bin *mx = st->has_max_value                                  ? &st->max_value
                       : st->has_max && legacy_order_usable(kind) ? &st->max
                                                                          : NULL;
    if (mn && !is_nan_bound(kind, mn))
        out->min = bound_vector(leaf, mn);
    if (mx && !is_nan_bound(kind, mx))
        out->max = bound_vector(leaf, mx);
    return 0;
}

void pq_column_bounds_clear(pq_column_bounds *b)
{
    dvec_unref(b->min);
    dvec_unref(b->max);
    b->min = b->max = NULL;
    b->null_count = -1;
}
