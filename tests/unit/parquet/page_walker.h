/*
 * Test-only Parquet page walker: decodes what the writer produced with the
 * low-level metadata and encoding decoders (independently of any reader
 * layer) and asserts the file's structure along the way:
 *  - footer and trailer parse, the metadata validates against its schema;
 *  - each chunk's pages are contiguous and exactly fill
 *    total_compressed_size; dictionary page first when announced;
 *    uncompressed sizes add up to total_uncompressed_size;
 *  - page headers agree with the levels (num_values, v2 num_nulls and
 *    num_rows), every data page starts a row;
 *  - the offset index lists exactly the data pages with their offsets,
 *    sizes and first row indexes; the column index (when present) has one
 *    entry per page with the right null pages and null counts.
 * The decoded column is returned in the writer's input shape.
 * Include in one test file only; every function is static inline.
 */
#ifndef TEST_PAGE_WALKER_H
#define TEST_PAGE_WALKER_H

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/codec.h"
#include "parquet/encoding.h"
#include "parquet/meta.h"
#include "parquet/schema.h"

#include <string.h>

typedef struct tw_column {
    int16_t *def, *rep;
    size_t nlevels, cap;
    dbuf values;        /* fixed-size values back to back, host order */
    pq_bytes_out bytes; /* BYTE_ARRAY values */
    size_t nvalues;
    uint64_t rows;
    size_t data_pages, dict_pages, dict_encoded_pages, plain_pages, v2_pages;
    size_t ci_pages;    /* pages in the column index (0: none) */
    int32_t boundary_order;
} tw_column;

static inline void tw_column_free(tw_column *c)
{
    free(c->def);
    free(c->rep);
    dbuf_free(&c->values);
    pq_bytes_free(&c->bytes);
    memset(c, 0, sizeof *c);
}

static inline void tw_ok(int rc)
{
    if (rc)
        fail_msg("rc %d: %s", rc, delta_error_last());
}

static inline size_t tw_width(const pq_schema_element *e)
{
    switch (e->type) {
    case PQ_TYPE_BOOLEAN:
        return 1;
    case PQ_TYPE_INT32:
    case PQ_TYPE_FLOAT:
        return 4;
    case PQ_TYPE_INT64:
    case PQ_TYPE_DOUBLE:
        return 8;
    case PQ_TYPE_INT96:
        return 12;
    case PQ_TYPE_FIXED_LEN_BYTE_ARRAY:
        return (size_t)e->type_length;
    default:
        return 0;
    }
}

/* Decodes n PLAIN values of the leaf's type, appending to the column. */
static inline size_t tw_plain(tw_column *c, const pq_schema_element *e, const uint8_t *src,
                              size_t len, size_t n)
{
    size_t used = 0;
    if (e->type == PQ_TYPE_BYTE_ARRAY) {
        tw_ok(pq_plain_decode_byte_array(src, len, n, &c->bytes, &used));
        return used;
    }
    size_t w = tw_width(e);
    uint8_t *dst = dbuf_grow(&c->values, n * w + 1);
    assert_non_null(dst);
    c->values.len -= 1;
    switch (e->type) {
    case PQ_TYPE_BOOLEAN:
        tw_ok(pq_plain_decode_bool(src, len, n, dst, &used));
        return used;
    case PQ_TYPE_INT32:
        tw_ok(pq_plain_decode_int32(src, len, n, (int32_t *)(void *)dst));
        break;
    case PQ_TYPE_INT64:
        tw_ok(pq_plain_decode_int64(src, len, n, (int64_t *)(void *)dst));
        break;
    case PQ_TYPE_FLOAT:
        tw_ok(pq_plain_decode_float(src, len, n, (float *)(void *)dst));
        break;
    case PQ_TYPE_DOUBLE:
        tw_ok(pq_plain_decode_double(src, len, n, (double *)(void *)dst));
        break;
    default:
        tw_ok(pq_plain_decode_fixed(src, len, n, w, dst));
        break;
    }
    return n * w;
}

static inline void tw_levels(int16_t **arr, size_t at, pq_rle_dec *d, size_t n)
{
    uint32_t *tmp = malloc((n + 1) * sizeof *tmp);
    assert_non_null(tmp);
    tw_ok(pq_rle_read_exact(d, tmp, n));
    for (size_t i = 0; i < n; i++)
        (*arr)[at + i] = (int16_t)tmp[i];
    free(tmp);
}

/* Walks column `col` of every row group of a whole file in memory. */
static inline void tw_read_column(const uint8_t *file, size_t file_len, uint32_t col,
                                  tw_column *out)
{
    memset(out, 0, sizeof *out);
    uint32_t meta_len;
    assert_true(file_len >= 12);
    assert_memory_equal(file, "PAR1", 4);
    tw_ok(pq_footer_parse(file + file_len - 8, 8, file_len, &meta_len));
    pq_file_meta *m;
    tw_ok(pq_file_meta_decode(&m, file + file_len - 8 - meta_len, meta_len));
    pq_schema *s;
    tw_ok(pq_schema_build(&s, m->schema, m->num_schema));
    tw_ok(pq_file_meta_validate(m, s, file_len - 8 - meta_len));
    assert_true(col < s->num_leaves);
    const pq_schema_node *leaf = s->leaves[col];
    const pq_schema_element *e = leaf->elem;
    size_t w = tw_width(e);
    int64_t total_rows = 0;

    for (uint32_t g = 0; g < m->num_row_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        const pq_column_chunk *cc = &rg->columns[col];
        const pq_column_meta *cm = &cc->meta_data;
        int64_t start = cm->has_dictionary_page_offset ? cm->dictionary_page_offset
                                                       : cm->data_page_offset;
        int64_t end = start + cm->total_compressed_size;
        assert_true(end <= (int64_t)file_len);
        int64_t pos = start, uncompressed = 0, levels = 0;
        uint64_t rg_rows = 0;
        /* dictionary, decoded */
        dbuf dict = DBUF_INIT;
        pq_bytes_out dict_bytes = PQ_BYTES_OUT_INIT;
        size_t dict_n = 0;
        bool have_dict = false;
        /* data page locations, for the offset index */
        int64_t page_off[4096];
        int32_t page_size[4096];
        int64_t page_first[4096];
        int64_t page_nulls[4096];
        bool page_null[4096];
        size_t npages = 0;
        while (pos < end) {
            pq_page_header h;
            size_t hlen;
            tw_ok(pq_page_header_decode(&h, file + pos, (size_t)(end - pos), &hlen));
            const uint8_t *body = file + pos + hlen;
            size_t stored = (size_t)h.compressed_page_size;
            assert_true(pos + (int64_t)hlen + (int64_t)stored <= end);
            uncompressed += (int64_t)hlen + h.uncompressed_page_size;
            uint8_t *raw = malloc((size_t)h.uncompressed_page_size + 1);
            assert_non_null(raw);
            if (h.type == PQ_PAGE_DICTIONARY) {
                assert_false(have_dict);
                assert_int_equal(pos, start);
                assert_true(cm->has_dictionary_page_offset);
                tw_ok(pq_decompress(cm->codec, body, stored, raw,
                                    (size_t)h.uncompressed_page_size));
                dict_n = (size_t)h.dictionary_page_header.num_values;
                assert_int_equal(h.dictionary_page_header.encoding, PQ_ENC_PLAIN);
                tw_column tmp = {0};
                tw_plain(&tmp, e, raw, (size_t)h.uncompressed_page_size, dict_n);
                dict = tmp.values;
                dict_bytes = tmp.bytes;
                have_dict = true;
                out->dict_pages++;
            } else {
                assert_true(h.type == PQ_PAGE_DATA || h.type == PQ_PAGE_DATA_V2);
                if (npages == 0)
                    assert_int_equal(pos, cm->data_page_offset);
                assert_true(npages < 4096);
                page_off[npages] = pos;
                page_size[npages] = (int32_t)(hlen + stored);
                page_first[npages] = (int64_t)rg_rows;
                size_t n, nrep_len = 0, ndef_len = 0;
                int32_t enc;
                const uint8_t *p;
                size_t plen;
                bool v2 = h.type == PQ_PAGE_DATA_V2;
                if (!v2) {
                    n = (size_t)h.data_page_header.num_values;
                    enc = h.data_page_header.encoding;
                    tw_ok(pq_decompress(cm->codec, body, stored, raw,
                                        (size_t)h.uncompressed_page_size));
                    p = raw;
                    plen = (size_t)h.uncompressed_page_size;
                } else {
                    const pq_data_page_header_v2 *d = &h.data_page_header_v2;
                    n = (size_t)d->num_values;
                    enc = d->encoding;
                    nrep_len = (size_t)d->repetition_levels_byte_length;
                    ndef_len = (size_t)d->definition_levels_byte_length;
                    memcpy(raw, body, nrep_len + ndef_len);
                    size_t vlen = (size_t)h.uncompressed_page_size - nrep_len - ndef_len;
                    if (d->is_compressed)
                        tw_ok(pq_decompress(cm->codec, body + nrep_len + ndef_len,
                                            stored - nrep_len - ndef_len,
                                            raw + nrep_len + ndef_len, vlen));
                    else
                        memcpy(raw + nrep_len + ndef_len, body + nrep_len + ndef_len, vlen);
                    p = raw;
                    plen = (size_t)h.uncompressed_page_size;
                    out->v2_pages++;
                }
                if (out->nlevels + n > out->cap) {
                    size_t cap = (out->nlevels + n) * 2;
                    out->def = realloc(out->def, cap * sizeof *out->def);
                    out->rep = realloc(out->rep, cap * sizeof *out->rep);
                    assert_non_null(out->def);
                    assert_non_null(out->rep);
                    out->cap = cap;
                }
                size_t at = out->nlevels;
                pq_rle_dec d;
                if (leaf->max_rep) {
                    size_t used;
                    if (!v2) {
                        tw_ok(pq_rle_init_prefixed(&d, p, plen,
                                                   pq_bit_width32((uint32_t)leaf->max_rep),
                                                   &used));
                    } else {
                        tw_ok(pq_rle_init(&d, p, nrep_len,
                                          pq_bit_width32((uint32_t)leaf->max_rep)));
                        used = nrep_len;
                    }
                    tw_levels(&out->rep, at, &d, n);
                    p += used;
                    plen -= used;
                } else {
                    for (size_t i = 0; i < n; i++)
                        out->rep[at + i] = 0;
                }
                if (leaf->max_def) {
                    size_t used;
                    if (!v2) {
                        tw_ok(pq_rle_init_prefixed(&d, p, plen,
                                                   pq_bit_width32((uint32_t)leaf->max_def),
                                                   &used));
                    } else {
                        tw_ok(pq_rle_init(&d, p, ndef_len,
                                          pq_bit_width32((uint32_t)leaf->max_def)));
                        used = ndef_len;
                    }
                    tw_levels(&out->def, at, &d, n);
                    p += used;
                    plen -= used;
                } else {
                    for (size_t i = 0; i < n; i++)
                        out->def[at + i] = 0;
                }
                assert_int_equal(out->rep[at], 0); /* pages start rows */
                size_t nv = 0;
                uint64_t page_rows = 0;
                for (size_t i = 0; i < n; i++) {
                    nv += out->def[at + i] == leaf->max_def;
                    page_rows += out->rep[at + i] == 0;
                }
                if (v2) {
                    assert_int_equal(h.data_page_header_v2.num_nulls, n - nv);
                    assert_int_equal(h.data_page_header_v2.num_rows, page_rows);
                }
                page_nulls[npages] = (int64_t)(n - nv);
                page_null[npages] = nv == 0;
                if (enc == PQ_ENC_PLAIN) {
                    tw_plain(out, e, p, plen, nv);
                    out->plain_pages++;
                } else {
                    assert_int_equal(enc, PQ_ENC_RLE_DICTIONARY);
                    assert_true(have_dict);
                    pq_rle_dec dd;
                    tw_ok(pq_rle_init_dict(&dd, p, plen));
                    uint32_t *idx = malloc((nv + 1) * sizeof *idx);
                    assert_non_null(idx);
                    tw_ok(pq_rle_read_exact(&dd, idx, nv));
                    if (e->type == PQ_TYPE_BYTE_ARRAY) {
                        pq_bytes_view *views = malloc((dict_n + 1) * sizeof *views);
                        assert_non_null(views);
                        for (size_t i = 0; i < dict_n; i++)
                            views[i] = (pq_bytes_view){
                                dict_bytes.data.data + dict_bytes.offsets[i],
                                (uint32_t)(dict_bytes.offsets[i + 1] - dict_bytes.offsets[i])};
                        tw_ok(pq_dict_gather_bytes(views, dict_n, idx, nv, &out->bytes));
                        free(views);
                    } else {
                        uint8_t *dst = dbuf_grow(&out->values, nv * w + 1);
                        assert_non_null(dst);
                        out->values.len -= 1;
                        tw_ok(pq_dict_gather(dict.data, dict_n, w, idx, nv, dst));
                    }
                    free(idx);
                    out->dict_encoded_pages++;
                }
                out->nvalues += nv;
                out->nlevels += n;
                levels += (int64_t)n;
                rg_rows += page_rows;
                out->data_pages++;
                npages++;
            }
            free(raw);
            pos += (int64_t)(hlen + stored);
        }
        assert_int_equal(pos, end);
        assert_int_equal(uncompressed, cm->total_uncompressed_size);
        assert_int_equal(levels, cm->num_values);
        assert_int_equal(rg_rows, rg->num_rows);
        total_rows += rg->num_rows;
        /* page index */
        if (cc->has_offset_index_offset) {
            pq_offset_index *oi;
            tw_ok(pq_offset_index_decode(&oi, file + cc->offset_index_offset,
                                         (size_t)cc->offset_index_length));
            assert_int_equal(oi->num_pages, npages);
            for (size_t i = 0; i < npages; i++) {
                assert_int_equal(oi->page_locations[i].offset, page_off[i]);
                assert_int_equal(oi->page_locations[i].compressed_page_size, page_size[i]);
                assert_int_equal(oi->page_locations[i].first_row_index, page_first[i]);
            }
            pq_offset_index_free(oi);
        }
        if (cc->has_column_index_offset) {
            pq_column_index *ci;
            tw_ok(pq_column_index_decode(&ci, file + cc->column_index_offset,
                                         (size_t)cc->column_index_length));
            assert_int_equal(ci->num_pages, npages);
            assert_true(ci->has_null_counts);
            for (size_t i = 0; i < npages; i++) {
                assert_int_equal(ci->null_pages[i], page_null[i]);
                assert_int_equal(ci->null_counts[i], page_nulls[i]);
            }
            out->ci_pages += ci->num_pages;
            out->boundary_order = ci->boundary_order;
            pq_column_index_free(ci);
        }
        dbuf_free(&dict);
        pq_bytes_free(&dict_bytes);
        (void)have_dict;
    }
    assert_int_equal(total_rows, m->num_rows);
    for (size_t i = 0; i < out->nlevels; i++)
        out->rows += out->rep[i] == 0;
    pq_schema_free(s);
    pq_file_meta_free(m);
}

/* Decodes the footer of a whole file in memory. */
static inline pq_file_meta *tw_footer(const uint8_t *file, size_t file_len)
{
    uint32_t meta_len;
    tw_ok(pq_footer_parse(file + file_len - 8, 8, file_len, &meta_len));
    pq_file_meta *m;
    tw_ok(pq_file_meta_decode(&m, file + file_len - 8 - meta_len, meta_len));
    return m;
}

#endif
