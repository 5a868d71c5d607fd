/*
 * Opening Parquet files: footer, metadata, schema, and ranged reads of
 * column chunks and page indexes (see file_reader.h).
 *
 * A file has one of two sources: a store and key (every read is a ranged
 * get, checked to return exactly the bytes asked for: the object may have
 * changed or been truncated since the head), or a borrowed buffer (reads
 * are pointer arithmetic). `data_end` is where the footer metadata begins;
 * every chunk and page index range must end by it.
 */
#include "parquet/file_reader.h"

#include <inttypes.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"

struct pq_file {
    delta_store *store;  /* NULL for a buffer */
    char *name;          /* key or buffer name */
    const uint8_t *data; /* buffer source */
    uint64_t size;
    uint64_t data_end; /* start of the footer metadata */
    pq_file_meta *meta;
    pq_schema *schema;
};

/* Reads exactly len bytes at offset into dst. */
static int read_exact(pq_file *f, uint64_t offset, size_t len, uint8_t *dst)
{
    if (offset > f->size || len > f->size - offset)
        return delta_error_set(DELTA_ECORRUPT,
                               "%s: read of %zu bytes at offset %" PRIu64
                               " runs past the end of the %" PRIu64 "-byte file",
                               f->name, len, offset, f->size);
    if (!f->store) {
        if (len)
            memcpy(dst, f->data + offset, len);
        return 0;
    }
    size_t got = 0;
    int rc = delta_store_get_range(f->store, f->name, offset, len, dst, &got);
    if (rc)
        return delta_error_prefix(rc, "%s: ", f->name);
    if (got != len)
        return delta_error_set(DELTA_ECORRUPT,
                               "%s: file truncated: read %zu of %zu bytes at offset %" PRIu64,
                               f->name, got, len, offset);
    return 0;
}

/* Decodes footer, schema and checks; f->size and the source are set. */
static int load_footer(pq_file *f)
{
    int rc = 0;
    uint8_t *tail = NULL;
    if (f->size < 12) {
        rc =
            delta_error_set(DELTA_ECORRUPT, "%s: %" PRIu64 " bytes is too small for a Parquet file",
                            f->name, f->size);
        goto cleanup;
    }
    size_t tail_len = f->size < PQ_FOOTER_GUESS ? (size_t)f->size : PQ_FOOTER_GUESS;
    const uint8_t *tp;
    if (f->store) {
        tail = delta_malloc(tail_len);
        if (!tail) {
            rc = DELTA_ENOMEM;
            goto cleanup;
        }
        rc = read_exact(f, f->size - tail_len, tail_len, tail);
        if (rc)
            goto cleanup;
        tp = tail;
    } else {
        tp = f->data + (f->size - tail_len);
    }
    uint32_t meta_len = 0;
    rc = pq_footer_parse(tp, tail_len, f->size, &meta_len);
    if (rc) {
        rc = delta_error_prefix(rc, "%s: ", f->name);
        goto cleanup;
    }
    f->data_end = f->size - 8 - meta_len;
    const uint8_t *mp;
    if ((uint64_t)meta_len + 8 <= tail_len) {
        mp = tp + (tail_len - 8 - meta_len);
    } else if (f->store) {
        delta_free(tail);
        tail = delta_malloc(meta_len);
        if (!tail) {
            rc = DELTA_ENOMEM;
            goto cleanup;
        }
        rc = read_exact(f, f->data_end, meta_len, tail);
        if (rc)
            goto cleanup;
        mp = tail;
    } else {
        mp = f->data + f->data_end;
    }
    rc = pq_file_meta_decode(&f->meta, mp, meta_len);
    if (rc) {
        rc = delta_error_prefix(rc, "%s: footer metadata: ", f->name);
        goto cleanup;
    }
    rc = pq_schema_build(&f->schema, f->meta->schema, f->meta->num_schema);
    if (rc) {
        rc = delta_error_prefix(rc, "%s: schema: ", f->name);
        goto cleanup;
    }
    rc = pq_file_meta_validate(f->meta, f->schema, f->data_end);
    if (rc)
        rc = delta_error_prefix(rc, "%s: ", f->name);
cleanup:
    delta_free(tail);
    return rc;
}

static int file_new(pq_file **out, const char *name)
{
    pq_file *f = delta_calloc(1, sizeof *f);
    if (!f)
        return DELTA_ENOMEM;
    f->name = delta_strdup(name ? name : "(buffer)");
    if (!f->name) {
        delta_free(f);
        return DELTA_ENOMEM;
    }
    *out = f;
    return 0;
}

int pq_file_open(pq_file **out, delta_store *store, const char *key)
{
    *out = NULL;
    pq_file *f;
    int rc = file_new(&f, key);
    if (rc)
        return rc;
    f->store = store;
    delta_object_info info;
    memset(&info, 0, sizeof info);
    rc = delta_store_head(store, key, &info);
    if (rc) {
        rc = delta_error_prefix(rc, "opening Parquet file %s: ", key);
        goto fail;
    }
    if (info.size < 0) {
        rc = delta_error_set(DELTA_EIO, "%s: negative object size", key);
        goto fail;
    }
    f->size = (uint64_t)info.size;
    rc = load_footer(f);
    if (rc)
        goto fail;
    *out = f;
    return 0;
fail:
    pq_file_free(f);
    return rc;
}

int pq_file_open_buffer(pq_file **out, const uint8_t *data, size_t len, const char *name)
{
    *out = NULL;
    pq_file *f;
    int rc = file_new(&f, name);
    if (rc)
        return rc;
    static const uint8_t empty[1];
    f->data = data ? data : empty;
    f->size = data ? len : 0;
    rc = load_footer(f);
    if (rc) {
        pq_file_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

void pq_file_free(pq_file *f)
{
    if (!f)
        return;
    pq_schema_free(f->schema); /* borrows the metadata's elements */
    pq_file_meta_free(f->meta);
    delta_free(f->name);
    delta_free(f);
}

const pq_file_meta *pq_file_metadata(const pq_file *f)
{
    return f->meta;
}

const pq_schema *pq_file_schema(const pq_file *f)
{
    return f->schema;
}

const char *pq_file_name(const pq_file *f)
{
    return f->name;
}

uint64_t pq_file_size(const pq_file *f)
{
    return f->size;
}

void pq_file_describe_chunk(const pq_file *f, uint32_t row_group, uint32_t leaf, dbuf *out)
{
    dbuf_printf(out, "%s, row group %" PRIu32 ", column ", f->name, row_group);
    if (leaf < f->schema->num_leaves)
        pq_schema_node_path_str(f->schema->leaves[leaf], out);
    else
        dbuf_printf(out, "#%" PRIu32, leaf);
}

static int chunk_lookup(const pq_file *f, uint32_t row_group, uint32_t leaf,
                        const pq_column_chunk **out)
{
    if (row_group >= f->meta->num_row_groups || leaf >= f->schema->num_leaves)
        return delta_error_set(DELTA_EINVAL,
                               "%s: no column chunk for row group %" PRIu32 ", leaf %" PRIu32
                               " (%" PRIu32 " row groups, %" PRIu32 " leaves)",
                               f->name, row_group, leaf, f->meta->num_row_groups,
                               f->schema->num_leaves);
    const pq_column_chunk *cc = &f->meta->row_groups[row_group].columns[leaf];
    if (cc->has_file_path) {
        dbuf d = DBUF_INIT;
        pq_file_describe_chunk(f, row_group, leaf, &d);
        int rc = delta_error_set(DELTA_EUNSUPPORTED, "%s: column chunk stored in another file (%s)",
                                 dbuf_cstr(&d), cc->file_path.ptr ? cc->file_path.ptr : "");
        dbuf_free(&d);
        return rc;
    }
    *out = cc;
    return 0;
}

int pq_file_chunk_range(const pq_file *f, uint32_t row_group, uint32_t leaf, uint64_t *start,
                        uint64_t *len)
{
    const pq_column_chunk *cc = NULL;
    int rc = chunk_lookup(f, row_group, leaf, &cc);
    if (rc)
        return rc;
    const pq_column_meta *cm = &cc->meta_data;
    int64_t s = cm->data_page_offset;
    if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
        cm->dictionary_page_offset < s)
        s = cm->dictionary_page_offset;
    /* pq_file_meta_validate checked 4 <= s and s + size <= data_end. */
    *start = (uint64_t)s;
    *len = (uint64_t)cm->total_compressed_size;
    return 0;
}

int pq_file_read_chunk(pq_file *f, uint32_t row_group, uint32_t leaf, const uint8_t **data,
                       uint8_t **buf, size_t *buf_cap, uint64_t *start, size_t *len)
{
    uint64_t s, n;
    *data = NULL;
    int rc = pq_file_chunk_range(f, row_group, leaf, &s, &n);
    if (rc)
        return rc;
    if (s > f->data_end || n > f->data_end - s || n > SIZE_MAX - 1) {
        dbuf d = DBUF_INIT;
        pq_file_describe_chunk(f, row_group, leaf, &d);
        rc = delta_error_set(DELTA_ECORRUPT, "%s: chunk range runs past the column data",
                             dbuf_cstr(&d));
        dbuf_free(&d);
        return rc;
    }
    *start = s;
    *len = (size_t)n;
    if (!f->store) {
        *data = f->data + s;
        return 0;
    }
    if (*buf_cap < n || !*buf) {
        delta_free(*buf);
        *buf_cap = 0;
        if (!(*buf = delta_malloc(n ? (size_t)n : 1)))
            return DELTA_ENOMEM;
        *buf_cap = (size_t)n;
    }
    if ((rc = read_exact(f, s, (size_t)n, *buf)))
        return rc;
    *data = *buf;
    return 0;
}

/* Reads [offset, offset+length) of the column data into a new block. */
static int read_index_bytes(pq_file *f, uint32_t row_group, uint32_t leaf, const char *what,
                            int64_t offset, int32_t length, uint8_t **out)
{
    *out = NULL;
    if (offset < 4 || length < 0 || (uint64_t)offset > f->data_end ||
        (uint64_t)length > f->data_end - (uint64_t)offset) {
        dbuf d = DBUF_INIT;
        pq_file_describe_chunk(f, row_group, leaf, &d);
        int rc = delta_error_set(DELTA_ECORRUPT,
                                 "%s: %s at offset %" PRId64 " with %" PRId32
                                 " bytes lies outside the column data",
                                 dbuf_cstr(&d), what, offset, length);
        dbuf_free(&d);
        return rc;
    }
    uint8_t *buf = delta_malloc(length ? (size_t)length : 1);
    if (!buf)
        return DELTA_ENOMEM;
    int rc = read_exact(f, (uint64_t)offset, (size_t)length, buf);
    if (rc) {
        delta_free(buf);
        return rc;
    }
    *out = buf;
    return 0;
}

int pq_file_column_index(pq_file *f, uint32_t row_group, uint32_t leaf, pq_column_index **out)
{
    *out = NULL;
    const pq_column_chunk *cc = NULL;
    int rc = chunk_lookup(f, row_group, leaf, &cc);
    if (rc)
        return rc;
    if (!cc->has_column_index_offset || !cc->has_column_index_length)
        return 0;
    uint8_t *buf;
    rc = read_index_bytes(f, row_group, leaf, "column index", cc->column_index_offset,
                          cc->column_index_length, &buf);
    if (rc)
        return rc;
    rc = pq_column_index_decode(out, buf, (size_t)cc->column_index_length);
    delta_free(buf);
    if (rc) {
        dbuf d = DBUF_INIT;
        pq_file_describe_chunk(f, row_group, leaf, &d);
        rc = delta_error_prefix(rc, "%s: column index: ", dbuf_cstr(&d));
        dbuf_free(&d);
    }
    return rc;
}

int pq_file_offset_index(pq_file *f, uint32_t row_group, uint32_t leaf, pq_offset_index **out)
{
    *out = NULL;
    const pq_column_chunk *cc = NULL;
    int rc = chunk_lookup(f, row_group, leaf, &cc);
    if (rc)
        return rc;
    if (!cc->has_offset_index_offset || !cc->has_offset_index_length)
        return 0;
    uint8_t *buf;
    rc = read_index_bytes(f, row_group, leaf, "offset index", cc->offset_index_offset,
                          cc->offset_index_length, &buf);
    if (rc)
        return rc;
    rc = pq_offset_index_decode(out, buf, (size_t)cc->offset_index_length);
    delta_free(buf);
    if (rc) {
        dbuf d = DBUF_INIT;
        pq_file_describe_chunk(f, row_group, leaf, &d);
        rc = delta_error_prefix(rc, "%s: offset index: ", dbuf_cstr(&d));
        dbuf_free(&d);
    }
    return rc;
}
