/*
 * The public Parquet API (include/delta/parquet.h): thin wrappers that
 * translate options and move data across the Arrow C interfaces, around
 * the record reader and writer (record_reader.h, record_writer.h).
 */
#include <delta/parquet.h>

#include <string.h>

#include "columnar/arrow.h"
#include "core/alloc.h"
#include "core/error.h"
#include "parquet/codec.h"
#include "parquet/describe.h"
#include "parquet/record_reader.h"
#include "parquet/record_writer.h"

struct delta_parquet_reader {
    pq_reader *r;
    const char **kv_keys, **kv_values; /* built on first request */
    size_t num_kv;
};

struct delta_parquet_writer {
    pq_writer *w;
};

/* ---- reading ------------------------------------------------------------ */

int delta_parquet_reader_open(delta_parquet_reader **out, delta_store *store, const char *key,
                              const delta_parquet_read_options *opts)
{
    if (!out || !store || !key)
        return delta_error_set(DELTA_EINVAL, "delta_parquet_reader_open: NULL argument");
    *out = NULL;
    if (opts && opts->version != DELTA_PARQUET_READ_OPTIONS_VERSION)
        return delta_error_set(DELTA_EINVAL, "delta_parquet_read_options version %u unknown",
                               opts->version);
    if (opts && opts->batch_rows < 0)
        return delta_error_set(DELTA_EINVAL, "batch_rows %lld is negative",
                               (long long)opts->batch_rows);
    if (opts && opts->num_columns > UINT32_MAX)
        return delta_error_set(DELTA_EINVAL, "too many columns requested");
    pq_reader_options o = {NULL, 0, 0, false};
    if (opts) {
        o.columns = opts->columns;
        o.num_columns = (uint32_t)opts->num_columns;
        o.batch_rows = opts->batch_rows;
        o.binary_as_string = opts->binary_as_string;
    }
    delta_parquet_reader *r = delta_calloc(1, sizeof(*r));
    if (!r)
        return DELTA_ENOMEM;
    int rc = pq_reader_open(&r->r, store, key, &o);
    if (rc) {
        delta_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int delta_parquet_reader_schema(delta_parquet_reader *r, struct ArrowSchema *out)
{
    if (!r || !out)
        return delta_error_set(DELTA_EINVAL, "delta_parquet_reader_schema: NULL argument");
    return dtype_export(pq_reader_schema(r->r), "", false, out);
}

int delta_parquet_reader_stream(delta_parquet_reader *r, struct ArrowArrayStream *out)
{
    if (!r || !out)
        return delta_error_set(DELTA_EINVAL, "delta_parquet_reader_stream: NULL argument");
    dstream *s = NULL;
    int rc = pq_reader_stream(r->r, &s);
    if (rc)
        return rc;
    return dstream_export(s, out);
}

int64_t delta_parquet_reader_num_rows(const delta_parquet_reader *r)
{
    return r ? pq_reader_num_rows(r->r) : 0;
}

int delta_parquet_reader_metadata(delta_parquet_reader *r, const char *const **keys,
                                  const char *const **values, size_t *num_kv)
{
    if (!r || !keys || !values || !num_kv)
        return delta_error_set(DELTA_EINVAL, "delta_parquet_reader_metadata: NULL argument");
    const pq_file_meta *m = pq_reader_metadata(r->r);
    if (!r->kv_keys && m->num_key_value_metadata) {
        size_t n = m->num_key_value_metadata;
        const char **k = delta_calloc(n, sizeof(*k)), **v = delta_calloc(n, sizeof(*v));
        if (!k || !v) {
            delta_free(k);
            delta_free(v);
            return DELTA_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            const pq_key_value *kv = &m->key_value_metadata[i];
            k[i] = kv->key.ptr ? kv->key.ptr : "";
            v[i] = kv->has_value ? (kv->value.ptr ? kv->value.ptr : "") : NULL;
        }
        r->kv_keys = k;
        r->kv_values = v;
        r->num_kv = n;
    }
    *keys = r->kv_keys;
    *values = r->kv_values;
    *num_kv = r->num_kv;
    return 0;
}

int delta_parquet_reader_describe(delta_parquet_reader *r, int what, bool json, char **out)
{
    if (!r || !out)
        return delta_error_set(DELTA_EINVAL, "delta_parquet_reader_describe: NULL argument");
    *out = NULL;
    const pq_schema *s = pq_reader_file_schema(r->r);
    dbuf b = DBUF_INIT;
    int rc;
    if (what == DELTA_PARQUET_DESCRIBE_SCHEMA)
        rc = pq_describe_schema(s, json, &b);
    else if (what == DELTA_PARQUET_DESCRIBE_META)
        rc = pq_describe_meta(pq_reader_metadata(r->r), s, json, &b);
    else
        return delta_error_set(DELTA_EINVAL, "delta_parquet_reader_describe: unknown kind %d",
                               what);
    if (!rc && !(*out = dbuf_detach(&b, NULL)))
        rc = b.err ? b.err : DELTA_ENOMEM;
    dbuf_free(&b);
    return rc ? delta_error_set(rc, "describing the Parquet file: out of memory") : 0;
}

void delta_parquet_reader_free(delta_parquet_reader *r)
{
    if (!r)
        return;
    delta_free(r->kv_keys);
    delta_free(r->kv_values);
    pq_reader_free(r->r);
    delta_free(r);
}

/* ---- writing ------------------------------------------------------------ */

int delta_parquet_writer_open(delta_parquet_writer **out, delta_store *store, const char *key,
                              const struct ArrowSchema *schema,
                              const struct delta_parquet_write_options *opts)
{
    if (!out || !store || !key || !schema)
        return delta_error_set(DELTA_EINVAL, "delta_parquet_writer_open: NULL argument");
    *out = NULL;
    if (opts && opts->version != DELTA_PARQUET_WRITE_OPTIONS_VERSION)
        return delta_error_set(DELTA_EINVAL, "delta_parquet_write_options version %u unknown",
                               opts->version);
    pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
    unsigned flags = 0;
    if (opts) {
        if (opts->row_group_rows < 0 || opts->row_group_bytes < 0 || opts->page_size < 0)
            return delta_error_set(DELTA_EINVAL, "negative row group or page size");
        if (opts->compression) {
            pq_codec c;
            int rc = pq_codec_parse(opts->compression, &c);
            if (rc)
                return rc;
            if (!pq_codec_supported(c))
                return delta_error_set(DELTA_EUNSUPPORTED,
                                       "compression '%s' is not available in this build",
                                       opts->compression);
            o.codec = c;
        }
        o.level = opts->compression_level;
        o.row_group_size_rows = (uint64_t)opts->row_group_rows;
        o.row_group_size_bytes = (uint64_t)opts->row_group_bytes;
        o.page_size_bytes = (size_t)opts->page_size;
        o.no_dictionary = opts->dictionary_off;
        o.data_page_v2 = opts->data_page_v2;
        o.write_page_index = !opts->no_page_index;
        o.kv_keys = opts->kv_keys;
        o.kv_values = opts->kv_values;
        o.num_kv = opts->num_kv;
        if (opts->if_absent)
            flags |= DELTA_PUT_IF_ABSENT;
    }
    dfield f;
    memset(&f, 0, sizeof(f));
    int rc = dtype_import(schema, &f);
    if (rc)
        return rc;
    if (f.type->id != DT_STRUCT) {
        dfield_clear(&f);
        return delta_error_set(DELTA_EINVAL,
                               "Parquet writer schema must be a struct of columns");
    }
    delta_parquet_writer *w = delta_calloc(1, sizeof(*w));
    if (!w) {
        dfield_clear(&f);
        return DELTA_ENOMEM;
    }
    rc = pq_writer_open(&w->w, store, key, flags, f.type, &o);
    dfield_clear(&f);
    if (rc) {
        delta_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int delta_parquet_writer_write(delta_parquet_writer *w, struct ArrowArray *batch)
{
    if (!w || !batch) {
        if (batch && batch->release)
            batch->release(batch);
        return delta_error_set(DELTA_EINVAL, "delta_parquet_writer_write: NULL argument");
    }
    dvec *v = NULL;
    int rc = dvec_import(batch, pq_writer_schema(w->w), &v);
    if (rc)
        return rc;
    rc = pq_writer_write(w->w, v);
    dvec_unref(v);
    return rc;
}

int delta_parquet_writer_write_stream(delta_parquet_writer *w, struct ArrowArrayStream *stream)
{
    if (!w || !stream)
        return delta_error_set(DELTA_EINVAL, "delta_parquet_writer_write_stream: NULL argument");
    dstream *s = NULL;
    int rc = dstream_import(stream, &s);
    if (rc)
        return rc;
    rc = pq_writer_write_stream(w->w, s);
    s->free(s);
    return rc;
}

int delta_parquet_writer_close(delta_parquet_writer *w)
{
    if (!w)
        return delta_error_set(DELTA_EINVAL, "delta_parquet_writer_close: NULL argument");
    return pq_writer_close(w->w);
}

void delta_parquet_writer_free(delta_parquet_writer *w)
{
    if (!w)
        return;
    pq_writer_free(w->w);
    delta_free(w);
}
