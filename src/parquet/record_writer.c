/*
 * Parquet record writer (see record_writer.h). A batch is cut into steps
 * that never cross a row-group boundary and hold at most
 * PQ_WRITER_SHRED_ROWS rows; each step is shredded into the per-leaf
 * buffers (reused from step to step) and handed to the column writers.
 */
#include "parquet/record_writer.h"

#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "parquet/file_writer.h"
#include "parquet/logical.h"
#include "parquet/shred.h"

struct pq_writer {
    pq_file_writer *fw;
    pq_plan plan;
    pq_schema_out elems;
    pq_shred_leaf *leaves;
    pq_writer_options o;
    uint64_t rows_in_group;
    int64_t rows;
    char *key;
    int err;
};

static int fail(pq_writer *w, int rc)
{
    if (!w->err)
        w->err = rc;
    return w->err;
}

int pq_writer_open(pq_writer **out, delta_store *store, const char *key, unsigned put_flags,
                   const dtype *schema, const pq_writer_options *opts)
{
    *out = NULL;
    pq_writer *w = delta_calloc(1, sizeof(*w));
    if (!w)
        return DELTA_ENOMEM;
    pq_writer_options_resolve(&w->o, opts);
    int rc = DELTA_ENOMEM;
    w->key = delta_strdup(key);
    if (!w->key)
        goto fail;
    if ((rc = pq_plan_from_dtype(&w->plan, &w->elems, schema))) {
        delta_error_prefix(rc, "writing Parquet file '%s': ", key);
        goto fail;
    }
    w->leaves = delta_calloc(w->plan.num_leaves, sizeof(pq_shred_leaf));
    rc = DELTA_ENOMEM;
    if (!w->leaves)
        goto fail;
    rc = pq_file_writer_open(&w->fw, store, key, put_flags, w->elems.elems, w->elems.num_elems,
                             &w->o);
    if (rc)
        goto fail;
    *out = w;
    return 0;
fail:
    pq_writer_free(w);
    return rc;
}

static int write_step(pq_writer *w, const dvec *batch, int64_t from, int64_t n)
{
    int rc = pq_shred(&w->plan, batch, from, n, w->leaves);
    if (rc)
        return delta_error_prefix(rc, "writing Parquet file '%s': ", w->key);
    for (uint32_t i = 0; i < w->plan.num_leaves; i++) {
        const pq_leaf_data *d = &w->leaves[i].data;
        pq_column_writer *cw = pq_file_writer_column(w->fw, (uint32_t)w->plan.leaves[i]->column);
        if (!cw)
            return delta_error_set(DELTA_EINVAL, "writing Parquet file '%s': no column %d",
                                   w->key, w->plan.leaves[i]->column);
        rc = pq_column_writer_write(cw, (size_t)d->num_levels, d->def, d->rep, d->values,
                                    d->offsets);
        if (rc)
            return rc;
    }
    w->rows_in_group += (uint64_t)n;
    w->rows += n;
    if (w->rows_in_group >= w->o.row_group_size_rows || pq_file_writer_row_group_full(w->fw)) {
        rc = pq_file_writer_end_row_group(w->fw, w->rows_in_group);
        w->rows_in_group = 0;
        if (rc == 0)
            rc = pq_file_writer_start_row_group(w->fw);
    }
    return rc;
}

int pq_writer_write(pq_writer *w, const dvec *batch)
{
    if (w->err)
        return w->err;
    if (!dtype_equal(batch->type, w->plan.schema)) {
        dbuf a = DBUF_INIT, b = DBUF_INIT;
        dtype_format(batch->type, &a);
        dtype_format(w->plan.schema, &b);
        int rc = delta_error_set(DELTA_ETYPE,
                                 "writing Parquet file '%s': batch of type %s, the file holds %s",
                                 w->key, dbuf_cstr(&a), dbuf_cstr(&b));
        dbuf_free(&a);
        dbuf_free(&b);
        return rc; /* not sticky: nothing was written */
    }
    int64_t from = 0, len = batch->length;
    while (from < len) {
        uint64_t room = w->o.row_group_size_rows - w->rows_in_group;
        int64_t n = len - from;
        if ((uint64_t)n > room)
            n = (int64_t)room;
        if (n > PQ_WRITER_SHRED_ROWS)
            n = PQ_WRITER_SHRED_ROWS;
        int rc = write_step(w, batch, from, n);
        if (rc)
            return fail(w, rc);
        from += n;
    }
    return 0;
}

int pq_writer_write_stream(pq_writer *w, dstream *s)
{
    for (;;) {
        dvec *b = NULL;
        int rc = s->next(s, &b);
        if (rc)
            return rc;
        if (!b)
            return 0;
        rc = pq_writer_write(w, b);
        dvec_unref(b);
        if (rc)
            return rc;
    }
}

int pq_writer_close(pq_writer *w)
{
    if (w->err)
        return w->err;
    int rc = 0;
    if (w->rows_in_group)
        rc = pq_file_writer_end_row_group(w->fw, w->rows_in_group);
    w->rows_in_group = 0;
    if (rc == 0)
        rc = pq_file_writer_close(w->fw);
    return rc ? fail(w, rc) : 0;
}

void pq_writer_free(pq_writer *w)
{
    if (!w)
        return;
    pq_file_writer_free(w->fw);
    if (w->leaves)
        pq_shred_leaves_free(w->leaves, w->plan.num_leaves);
    delta_free(w->leaves);
    pq_plan_free(&w->plan);
    pq_schema_out_free(&w->elems);
    delta_free(w->key);
    delta_free(w);
}

const dtype *pq_writer_schema(const pq_writer *w)
{
    return w->plan.schema;
}

int64_t pq_writer_num_rows(const pq_writer *w)
{
    return w->rows;
}

const pq_file_meta *pq_writer_metadata(const pq_writer *w)
{
    return pq_file_writer_metadata(w->fw);
}

uint64_t pq_writer_bytes_written(const pq_writer *w)
{
    return pq_file_writer_bytes_written(w->fw);
}

uint64_t pq_writer_buffered_bytes(const pq_writer *w)
{
    return pq_file_writer_buffered_bytes(w->fw);
}

int pq_writer_flush(pq_writer *w)
{
    if (w->err)
        return w->err;
    if (w->rows_in_group == 0)
        return 0;
    int rc = pq_file_writer_end_row_group(w->fw, w->rows_in_group);
    w->rows_in_group = 0;
    if (rc == 0)
        rc = pq_file_writer_start_row_group(w->fw);
    return rc ? fail(w, rc) : 0;
}
