/*
 * Parquet file writer (see file_writer.h for the layout and contract).
 *
 * All footer metadata (schema copy, row groups, column metadata, their
 * statistics) lives in one arena freed with the writer; the footer struct
 * `meta` points into it. `offset` is always the number of bytes handed to
 * the store writer, so it is the file offset of the next byte. Page index
 * structures are encoded when their row group ends (page offsets are known
 * then) and kept in two buffers until close; the chunks record offsets
 * relative to those buffers, fixed up to file offsets when they are
 * written. Errors are sticky in `err`.
 */
#include "parquet/file_writer.h"

#include "parquet/schema.h"

#include "core/alloc.h"
#include "core/error.h"

#include <stdio.h>
#include <string.h>

#ifndef DELTA_VERSION_STRING
#define DELTA_VERSION_STRING "0.0.0"
#endif

struct pq_file_writer {
    delta_store *store;
    delta_store_writer *sw; /* NULL once committed or aborted */
    char *key;
    pq_writer_options o;
    darena arena;
    pq_schema_element *schema;
    uint32_t nschema;
    pq_schema *tree;
    pq_column_writer **cols;
    uint32_t ncols;
    pq_str **paths;
    uint32_t *path_lens;
    uint64_t offset;
    pq_row_group *rgs;
    uint32_t nrg, rg_cap;
    uint64_t num_rows;
    dbuf pidx_ci, pidx_oi;
    pq_file_meta meta;
    bool closed;
    int err;
};

static int fw_fail(pq_file_writer *w, int rc)
{
    if (!w->err) {
        delta_error_prefix(rc, "writing Parquet file '%s': ", w->key);
        w->err = rc;
    }
    return w->err;
}

static int fw_write(pq_file_writer *w, const void *p, size_t n)
{
    if (!n)
        return 0;
    int rc = delta_store_writer_write(w->store, w->sw, p, n);
    if (rc)
        return fw_fail(w, rc);
    w->offset += n;
    return 0;
}

static int copy_str(darena *a, pq_str *s)
{
    if (!s->ptr)
        return 0;
    char *c = darena_strndup(a, s->ptr, s->len);
    if (!c)
        return DELTA_ENOMEM;
    s->ptr = c;
    return 0;
}

int pq_file_writer_open(pq_file_writer **out, delta_store *store, const char *key,
                        unsigned put_flags, const pq_schema_element *schema,
                        uint32_t num_elements, const pq_writer_options *opts)
{
    *out = NULL;
    if (!store || !key || !schema || num_elements == 0)
        return delta_error_set(DELTA_EINVAL, "Parquet writer: store, key and schema are required");
    pq_file_writer *w = delta_calloc(1, sizeof *w);
    if (!w)
        return DELTA_ENOMEM;
    int rc = 0;
    w->store = store;
    pq_writer_options_resolve(&w->o, opts);
    w->key = delta_strdup(key);
    if (!w->key) {
        rc = DELTA_ENOMEM;
        goto fail;
    }
    darena *a = &w->arena;

    /* Copies: schema elements with their strings, options' strings. */
    w->schema = darena_alloc(a, num_elements * sizeof *w->schema);
    if (!w->schema) {
        rc = DELTA_ENOMEM;
        goto fail;
    }
    memcpy(w->schema, schema, num_elements * sizeof *w->schema);
    w->nschema = num_elements;
    for (uint32_t i = 0; i < num_elements && !rc; i++) {
        rc = copy_str(a, &w->schema[i].name);
        if (!rc && w->schema[i].logical_type.has_crs)
            rc = copy_str(a, &w->schema[i].logical_type.crs);
    }
    if (rc)
        goto fail;
    char created[64];
    snprintf(created, sizeof created, "libdelta version %s", DELTA_VERSION_STRING);
    w->o.created_by = darena_strdup(a, w->o.created_by ? w->o.created_by : created);
    if (!w->o.created_by) {
        rc = DELTA_ENOMEM;
        goto fail;
    }
    if (w->o.num_kv) {
        if (!w->o.kv_keys) {
            rc = delta_error_set(DELTA_EINVAL, "key-value metadata without keys");
            goto fail;
        }
        pq_key_value *kv = darena_calloc(a, w->o.num_kv, sizeof *kv);
        if (!kv) {
            rc = DELTA_ENOMEM;
            goto fail;
        }
        for (size_t i = 0; i < w->o.num_kv; i++) {
            const char *k = w->o.kv_keys[i];
            const char *v = w->o.kv_values ? w->o.kv_values[i] : NULL;
            if (!k) {
                rc = delta_error_set(DELTA_EINVAL, "key-value metadata key %zu is NULL", i);
                goto fail;
            }
            kv[i].key = (pq_str){darena_strdup(a, k), strlen(k)};
            if (v) {
                kv[i].value = (pq_str){darena_strdup(a, v), strlen(v)};
                kv[i].has_value = true;
                if (!kv[i].value.ptr)
                    rc = DELTA_ENOMEM;
            }
            if (!kv[i].key.ptr)
                rc = DELTA_ENOMEM;
        }
        if (rc)
            goto fail;
        w->meta.key_value_metadata = kv;
        w->meta.num_key_value_metadata = (uint32_t)w->o.num_kv;
        w->meta.has_key_value_metadata = true;
    }

    if ((rc = pq_schema_build(&w->tree, w->schema, w->nschema))) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", delta_error_last());
        rc = delta_error_set(DELTA_EINVAL, "invalid schema: %s", msg);
        goto fail;
    }
    w->ncols = w->tree->num_leaves;
    if (w->ncols == 0) {
        rc = delta_error_set(DELTA_EINVAL, "the schema has no columns");
        goto fail;
    }
    w->cols = delta_calloc(w->ncols, sizeof *w->cols);
    w->paths = darena_calloc(a, w->ncols, sizeof *w->paths);
    w->path_lens = darena_calloc(a, w->ncols, sizeof *w->path_lens);
    int32_t *orders = darena_calloc(a, w->ncols, sizeof *orders);
    if (!w->cols || !w->paths || !w->path_lens || !orders) {
        rc = DELTA_ENOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < w->ncols; i++) {
        const pq_schema_node *leaf = w->tree->leaves[i];
        if ((rc = pq_column_writer_new(&w->cols[i], leaf, &w->o, key)))
            goto fail;
        uint32_t depth = pq_schema_node_path(leaf, NULL, 0);
        const char **names = darena_calloc(a, depth ? depth : 1, sizeof *names);
        pq_str *path = darena_calloc(a, depth ? depth : 1, sizeof *path);
        if (!names || !path) {
            rc = DELTA_ENOMEM;
            goto fail;
        }
        pq_schema_node_path(leaf, names, depth);
        for (uint32_t j = 0; j < depth; j++)
            path[j] = (pq_str){names[j], strlen(names[j])};
        w->paths[i] = path;
        w->path_lens[i] = depth;
        orders[i] = PQ_ORDER_TYPE_DEFINED;
    }
    w->meta.column_orders = orders;
    w->meta.num_column_orders = w->ncols;
    w->meta.has_column_orders = true;

    if ((rc = delta_store_writer_open(store, key, put_flags, &w->sw)))
        goto fail;
    if ((rc = fw_write(w, "PAR1", 4))) {
        pq_file_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
fail:
    delta_error_prefix(rc, "Parquet file '%s': ", key);
    pq_file_writer_free(w);
    return rc;
}

uint32_t pq_file_writer_num_columns(const pq_file_writer *w)
{
    return w->ncols;
}

pq_column_writer *pq_file_writer_column(pq_file_writer *w, uint32_t leaf)
{
    return leaf < w->ncols ? w->cols[leaf] : NULL;
}

const pq_schema *pq_file_writer_schema(const pq_file_writer *w)
{
    return w->tree;
}

static uint64_t buffered_rows(const pq_file_writer *w)
{
    uint64_t rows = 0;
    for (uint32_t i = 0; i < w->ncols; i++) {
        uint64_t r = pq_column_writer_rows(w->cols[i]);
        rows = r > rows ? r : rows;
    }
    return rows;
}

/* A column that failed poisons the file. */
static int column_error(pq_file_writer *w)
{
    for (uint32_t i = 0; i < w->ncols; i++) {
        int rc = pq_column_writer_error(w->cols[i]);
        if (rc) {
            w->err = rc; /* the column's message already names file and column */
            return rc;
        }
    }
    return 0;
}

static bool anything_buffered(const pq_file_writer *w)
{
    for (uint32_t i = 0; i < w->ncols; i++)
        if (pq_column_writer_levels(w->cols[i]))
            return true;
    return false;
}

int pq_file_writer_start_row_group(pq_file_writer *w)
{
    if (w->err)
        return w->err;
    if (w->closed || !w->sw)
        return delta_error_set(DELTA_EINVAL, "Parquet file '%s': writer is closed", w->key);
    if (anything_buffered(w))
        return delta_error_set(DELTA_EINVAL,
                               "Parquet file '%s': a row group is still open (end it first)",
                               w->key);
    return 0;
}

uint64_t pq_file_writer_buffered_bytes(const pq_file_writer *w)
{
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < w->ncols; i++)
        bytes += pq_column_writer_buffered_bytes(w->cols[i]);
    return bytes;
}

bool pq_file_writer_row_group_full(const pq_file_writer *w)
{
    if (buffered_rows(w) >= w->o.row_group_size_rows)
        return true;
    return pq_file_writer_buffered_bytes(w) >= w->o.row_group_size_bytes;
}

static int page_index_append(dbuf *b, const uint8_t *p, size_t len, int64_t *off, int32_t *olen)
{
    *off = (int64_t)b->len;
    *olen = (int32_t)len;
    return dbuf_append(b, p, len);
}

int pq_file_writer_end_row_group(pq_file_writer *w, uint64_t num_rows)
{
    if (w->err || column_error(w))
        return w->err;
    if (w->closed || !w->sw)
        return delta_error_set(DELTA_EINVAL, "Parquet file '%s': writer is closed", w->key);
    for (uint32_t i = 0; i < w->ncols; i++) {
        uint64_t r = pq_column_writer_rows(w->cols[i]);
        if (r != num_rows)
            return fw_fail(w, delta_error_set(DELTA_EINVAL,
                                              "column '%s' holds %llu rows, the row group "
                                              "%llu",
                                              pq_column_writer_path(w->cols[i]),
                                              (unsigned long long)r,
                                              (unsigned long long)num_rows));
    }
    if (num_rows == 0)
        return 0;
    if (w->nrg == w->rg_cap) {
        uint32_t cap = w->rg_cap ? w->rg_cap * 2 : 8;
        pq_row_group *g = delta_reallocarray(w->rgs, cap, sizeof *g);
        if (!g)
            return fw_fail(w, DELTA_ENOMEM);
        w->rgs = g;
        w->rg_cap = cap;
    }
    pq_row_group *rg = &w->rgs[w->nrg];
    memset(rg, 0, sizeof *rg);
    rg->columns = darena_calloc(&w->arena, w->ncols, sizeof *rg->columns);
    if (!rg->columns)
        return fw_fail(w, DELTA_ENOMEM);
    rg->num_columns = w->ncols;
    rg->num_rows = (int64_t)num_rows;
    rg->file_offset = (int64_t)w->offset;
    rg->has_file_offset = true;
    int rc;
    for (uint32_t i = 0; i < w->ncols; i++) {
        pq_column_chunk *cc = &rg->columns[i];
        pq_chunk_bytes b;
        int64_t start = (int64_t)w->offset;
        if ((rc = pq_column_writer_finish(w->cols[i], start, &w->arena, &cc->meta_data, &b)))
            return fw_fail(w, rc);
        cc->has_meta_data = true;
        cc->file_offset = start;
        cc->meta_data.path_in_schema = w->paths[i];
        cc->meta_data.num_path_in_schema = w->path_lens[i];
        if ((rc = fw_write(w, b.dict_page, b.dict_page_len)) ||
            (rc = fw_write(w, b.data_pages, b.data_pages_len)))
            return rc;
        if (b.column_index_len) {
            page_index_append(&w->pidx_ci, b.column_index, b.column_index_len,
                              &cc->column_index_offset, &cc->column_index_length);
            cc->has_column_index_offset = cc->has_column_index_length = true;
        }
        if (b.offset_index_len) {
            page_index_append(&w->pidx_oi, b.offset_index, b.offset_index_len,
                              &cc->offset_index_offset, &cc->offset_index_length);
            cc->has_offset_index_offset = cc->has_offset_index_length = true;
        }
        if (w->pidx_ci.err || w->pidx_oi.err)
            return fw_fail(w, DELTA_ENOMEM);
        rg->total_byte_size += cc->meta_data.total_uncompressed_size;
        rg->total_compressed_size += cc->meta_data.total_compressed_size;
        pq_column_writer_reset(w->cols[i]);
    }
    rg->has_total_compressed_size = true;
    if (w->nrg <= INT16_MAX) {
        rg->ordinal = (int16_t)w->nrg;
        rg->has_ordinal = true;
    }
    w->nrg++;
    w->num_rows += num_rows;
    return 0;
}

int pq_file_writer_close(pq_file_writer *w)
{
    if (w->closed || !w->sw)
        return delta_error_set(DELTA_EINVAL, "Parquet file '%s': writer already closed",
                               w->key);
    int rc = w->err ? w->err : column_error(w);
    if (!rc && anything_buffered(w))
        rc = pq_file_writer_end_row_group(w, buffered_rows(w));
    if (rc)
        goto abort;

    /* Page indexes: every ColumnIndex, then every OffsetIndex. */
    uint64_t ci_base = w->offset;
    if ((rc = fw_write(w, w->pidx_ci.data, w->pidx_ci.len)))
        goto abort;
    uint64_t oi_base = w->offset;
    if ((rc = fw_write(w, w->pidx_oi.data, w->pidx_oi.len)))
        goto abort;
    for (uint32_t g = 0; g < w->nrg; g++) {
        for (uint32_t i = 0; i < w->rgs[g].num_columns; i++) {
            pq_column_chunk *cc = &w->rgs[g].columns[i];
            if (cc->has_column_index_offset)
                cc->column_index_offset += (int64_t)ci_base;
            if (cc->has_offset_index_offset)
                cc->offset_index_offset += (int64_t)oi_base;
        }
    }

    pq_file_meta *m = &w->meta;
    m->version = 2;
    m->schema = w->schema;
    m->num_schema = w->nschema;
    m->num_rows = (int64_t)w->num_rows;
    m->row_groups = w->rgs;
    m->num_row_groups = w->nrg;
    m->created_by = (pq_str){w->o.created_by, strlen(w->o.created_by)};
    m->has_created_by = true;
    dbuf foot = DBUF_INIT;
    rc = pq_file_meta_encode(&foot, m);
    if (!rc && foot.len > UINT32_MAX)
        rc = delta_error_set(DELTA_ERANGE, "footer of %zu bytes is too large", foot.len);
    if (!rc) {
        uint8_t tail[8];
        uint32_t len = (uint32_t)foot.len;
        for (int i = 0; i < 4; i++)
            tail[i] = (uint8_t)(len >> (8 * i));
        memcpy(tail + 4, "PAR1", 4);
        dbuf_append(&foot, tail, 8);
        rc = foot.err;
    }
    if (!rc)
        rc = fw_write(w, foot.data, foot.len);
    dbuf_free(&foot);
    if (rc)
        goto abort;
    delta_store_writer *sw = w->sw;
    w->sw = NULL;
    if ((rc = delta_store_writer_commit(w->store, sw))) {
        fw_fail(w, rc);
        return w->err;
    }
    w->closed = true;
    return 0;
abort:
    fw_fail(w, rc);
    pq_file_writer_abort(w);
    return w->err;
}

void pq_file_writer_abort(pq_file_writer *w)
{
    if (w && w->sw) {
        delta_store_writer_abort(w->store, w->sw);
        w->sw = NULL;
    }
}

void pq_file_writer_free(pq_file_writer *w)
{
    if (!w)
        return;
    pq_file_writer_abort(w);
    if (w->cols)
        for (uint32_t i = 0; i < w->ncols; i++)
            pq_column_writer_free(w->cols[i]);
    delta_free(w->cols);
    pq_schema_free(w->tree);
    delta_free(w->rgs);
    dbuf_free(&w->pidx_ci);
    dbuf_free(&w->pidx_oi);
    darena_free(&w->arena);
    delta_free(w->key);
    delta_free(w);
}

const pq_file_meta *pq_file_writer_metadata(const pq_file_writer *w)
{
    return w->closed ? &w->meta : NULL;
}

uint64_t pq_file_writer_num_rows(const pq_file_writer *w)
{
    return w->num_rows;
}

uint64_t pq_file_writer_bytes_written(const pq_file_writer *w)
{
    return w->offset;
}
