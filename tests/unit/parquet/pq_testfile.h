/*
 * A small Parquet file builder for the reader tests: schema elements,
 * column chunks made of hand-encoded pages (any page type, codec and
 * encoding, including malformed ones), row groups and the footer, all with
 * the library's own encoders. Page bodies are given uncompressed; the
 * builder compresses them with the chunk's codec as the page type
 * requires (v2 pages keep their levels uncompressed).
 *
 * Header-only (static inline) so each test executable takes what it uses.
 */
#ifndef PQ_TESTFILE_H
#define PQ_TESTFILE_H

#include <string.h>

#include "core/buf.h"
#include "parquet/codec.h"
#include "parquet/encoding.h"
#include "parquet/meta.h"
#include "parquet/schema.h"

#define TB_MAX_ELEMS 16
#define TB_MAX_LEAVES 8
#define TB_MAX_GROUPS 4
#define TB_MAX_DEPTH 6

typedef struct tb {
    dbuf file;
    pq_file_meta meta;
    pq_schema_element elems[TB_MAX_ELEMS];
    pq_schema *schema;
    pq_row_group groups[TB_MAX_GROUPS];
    pq_column_chunk chunks[TB_MAX_GROUPS][TB_MAX_LEAVES];
    pq_str paths[TB_MAX_LEAVES][TB_MAX_DEPTH];
    int32_t encodings[3];
    /* the chunk being written */
    int rg, leaf, codec;
    int64_t chunk_start, dict_off, data_off, num_values;
    bool set_dict_off;           /* record dictionary_page_offset in the metadata */
    int64_t num_values_override; /* >= 0: written instead of the count */
    size_t footer_at;            /* where tb_finish wrote the footer */
} tb;

static inline void tb_init(tb *t)
{
    memset(t, 0, sizeof *t);
    t->file = (dbuf)DBUF_INIT;
    dbuf_append(&t->file, "PAR1", 4);
    t->meta.version = 1;
    t->meta.schema = t->elems;
    t->meta.row_groups = t->groups;
    t->encodings[0] = PQ_ENC_PLAIN;
    t->encodings[1] = PQ_ENC_RLE;
    t->encodings[2] = PQ_ENC_RLE_DICTIONARY;
}

static inline void tb_free(tb *t)
{
    dbuf_free(&t->file);
    pq_schema_free(t->schema);
    t->schema = NULL;
}

/* Appends a schema element: type < 0 for a group (with children),
 * rep < 0 for the root. */
static inline pq_schema_element *tb_elem(tb *t, const char *name, int rep, int type,
                                         int type_length, int children)
{
    pq_schema_element *e = &t->elems[t->meta.num_schema++];
    memset(e, 0, sizeof *e);
    e->name = (pq_str){name, strlen(name)};
    if (rep >= 0) {
        e->repetition_type = rep;
        e->has_repetition_type = true;
    }
    if (type >= 0) {
        e->type = type;
        e->has_type = true;
        if (type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY) {
            e->type_length = type_length;
            e->has_type_length = true;
        }
    } else {
        e->num_children = children;
        e->has_num_children = true;
    }
    return e;
}

/* Builds the schema tree from the elements added so far. */
static inline int tb_schema_done(tb *t)
{
    int rc = pq_schema_build(&t->schema, t->elems, t->meta.num_schema);
    if (rc)
        return rc;
    for (uint32_t c = 0; c < t->schema->num_leaves && c < TB_MAX_LEAVES; c++) {
        const char *names[TB_MAX_DEPTH];
        uint32_t d = pq_schema_node_path(t->schema->leaves[c], names, TB_MAX_DEPTH);
        for (uint32_t k = 0; k < d && k < TB_MAX_DEPTH; k++)
            t->paths[c][k] = (pq_str){names[k], strlen(names[k])};
    }
    return 0;
}

static inline void tb_chunk_begin(tb *t, int rg, int leaf, int codec)
{
    t->rg = rg;
    t->leaf = leaf;
    t->codec = codec;
    t->chunk_start = (int64_t)t->file.len;
    t->dict_off = -1;
    t->data_off = -1;
    t->num_values = 0;
    t->set_dict_off = true;
    t->num_values_override = -1;
}

/* Writes one page. `body` is the uncompressed page body; for v2 pages the
 * first lv_len bytes are the levels (never compressed). The header's
 * sizes are filled in unless size_override is set (then h's sizes are
 * written as they are and the body is stored uncompressed). */
static inline int tb_page(tb *t, pq_page_header *h, const uint8_t *body, size_t len, size_t lv_len,
                          bool size_override)
{
    dbuf packed = DBUF_INIT;
    int rc = 0;
    bool compress = t->codec != PQ_CODEC_UNCOMPRESSED && !size_override;
    if (h->type == PQ_PAGE_DATA_V2) {
        if (!h->data_page_header_v2.is_compressed)
            compress = false;
    } else {
        lv_len = 0;
    }
    dbuf_append(&packed, body, lv_len);
    if (compress)
        rc = pq_compress(t->codec, 0, body + lv_len, len - lv_len, &packed);
    else
        dbuf_append(&packed, body + lv_len, len - lv_len);
    if (rc || packed.err) {
        dbuf_free(&packed);
        return rc ? rc : packed.err;
    }
    if (!size_override) {
        h->uncompressed_page_size = (int32_t)len;
        h->compressed_page_size = (int32_t)packed.len;
    }
    int64_t at = (int64_t)t->file.len;
    if (h->type == PQ_PAGE_DICTIONARY && t->dict_off < 0)
        t->dict_off = at;
    if ((h->type == PQ_PAGE_DATA || h->type == PQ_PAGE_DATA_V2) && t->data_off < 0)
        t->data_off = at;
    if (h->type == PQ_PAGE_DATA)
        t->num_values += h->data_page_header.num_values;
    if (h->type == PQ_PAGE_DATA_V2)
        t->num_values += h->data_page_header_v2.num_values;
    rc = pq_page_header_encode(&t->file, h);
    dbuf_append(&t->file, packed.data, packed.len);
    dbuf_free(&packed);
    return rc ? rc : t->file.err;
}

static inline int tb_dict_page(tb *t, const dbuf *plain, int32_t count)
{
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DICTIONARY;
    h.has_dictionary_page_header = true;
    h.dictionary_page_header.num_values = count;
    h.dictionary_page_header.encoding = PQ_ENC_PLAIN;
    return tb_page(t, &h, plain->data, plain->len, 0, false);
}

/* A v1 data page: RLE levels with length prefixes (rep then def, each only
 * when its max is > 0), then the values. */
static inline int tb_v1_page(tb *t, int32_t n, const uint32_t *def, const uint32_t *rep,
                             int32_t encoding, const dbuf *values)
{
    const pq_schema_node *leaf = t->schema->leaves[t->leaf];
    dbuf body = DBUF_INIT;
    if (leaf->max_rep)
        pq_rle_encode_prefixed(&body, rep, (size_t)n, pq_bit_width32((uint32_t)leaf->max_rep));
    if (leaf->max_def)
        pq_rle_encode_prefixed(&body, def, (size_t)n, pq_bit_width32((uint32_t)leaf->max_def));
    dbuf_append(&body, values->data, values->len);
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA;
    h.has_data_page_header = true;
    h.data_page_header.num_values = n;
    h.data_page_header.encoding = encoding;
    h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
    h.data_page_header.repetition_level_encoding = PQ_ENC_RLE;
    int rc = body.err ? body.err : tb_page(t, &h, body.data, body.len, 0, false);
    dbuf_free(&body);
    return rc;
}

/* A v2 data page: levels without length prefixes, then the values
 * (compressed when `compressed`). */
static inline int tb_v2_page(tb *t, int32_t n, const uint32_t *def, const uint32_t *rep,
                             int32_t encoding, const dbuf *values, bool compressed)
{
    const pq_schema_node *leaf = t->schema->leaves[t->leaf];
    dbuf body = DBUF_INIT;
    int32_t nulls = 0, rows = n;
    if (leaf->max_rep && rep) {
        pq_rle_encode(&body, rep, (size_t)n, pq_bit_width32((uint32_t)leaf->max_rep));
        rows = 0;
        for (int32_t i = 0; i < n; i++)
            rows += rep[i] == 0;
    }
    size_t rl = body.len;
    if (leaf->max_def) {
        pq_rle_encode(&body, def, (size_t)n, pq_bit_width32((uint32_t)leaf->max_def));
        for (int32_t i = 0; i < n; i++)
            nulls += def[i] != (uint32_t)leaf->max_def;
    }
    size_t dl = body.len - rl;
    dbuf_append(&body, values->data, values->len);
    pq_page_header h;
    memset(&h, 0, sizeof h);
    h.type = PQ_PAGE_DATA_V2;
    h.has_data_page_header_v2 = true;
    pq_data_page_header_v2 *v = &h.data_page_header_v2;
    v->num_values = n;
    v->num_nulls = nulls;
    v->num_rows = rows;
    v->encoding = encoding;
    v->repetition_levels_byte_length = (int32_t)rl;
    v->definition_levels_byte_length = (int32_t)dl;
    v->is_compressed = compressed;
    v->has_is_compressed = true;
    int rc = body.err ? body.err : tb_page(t, &h, body.data, body.len, rl + dl, false);
    dbuf_free(&body);
    return rc;
}

static inline void tb_chunk_end(tb *t)
{
    pq_column_chunk *cc = &t->chunks[t->rg][t->leaf];
    pq_column_meta *cm = &cc->meta_data;
    const pq_schema_node *leaf = t->schema->leaves[t->leaf];
    cc->has_meta_data = true;
    cc->file_offset = t->chunk_start;
    cm->type = leaf->elem->type;
    cm->encodings = t->encodings;
    cm->num_encodings = 3;
    cm->path_in_schema = t->paths[t->leaf];
    cm->num_path_in_schema = pq_schema_node_path(leaf, NULL, 0);
    cm->codec = t->codec;
    cm->num_values = t->num_values_override >= 0 ? t->num_values_override : t->num_values;
    cm->total_compressed_size = (int64_t)t->file.len - t->chunk_start;
    cm->total_uncompressed_size = cm->total_compressed_size;
    /* Without dictionary_page_offset the chunk is found from the data page
     * offset, which then points at the dictionary page (as some writers
     * do). */
    cm->data_page_offset =
        t->data_off >= 0 && (t->dict_off < 0 || t->set_dict_off) ? t->data_off : t->chunk_start;
    if (t->dict_off >= 0 && t->set_dict_off) {
        cm->has_dictionary_page_offset = true;
        cm->dictionary_page_offset = t->dict_off;
    }
}

static inline void tb_row_group_end(tb *t, int rg, int64_t num_rows)
{
    pq_row_group *g = &t->groups[rg];
    g->columns = t->chunks[rg];
    g->num_columns = t->schema->num_leaves;
    g->num_rows = num_rows;
    if ((uint32_t)rg + 1 > t->meta.num_row_groups)
        t->meta.num_row_groups = (uint32_t)rg + 1;
    t->meta.num_rows = 0;
    for (uint32_t i = 0; i < t->meta.num_row_groups; i++)
        t->meta.num_rows += t->groups[i].num_rows;
}

/* Writes the footer; the file is then complete in t->file. To change the
 * metadata afterwards, set t->file.len = t->footer_at and finish again. */
static inline int tb_finish(tb *t)
{
    size_t at = t->footer_at = t->file.len;
    int rc = pq_file_meta_encode(&t->file, &t->meta);
    if (rc)
        return rc;
    uint32_t mlen = (uint32_t)(t->file.len - at);
    uint8_t trailer[8] = {(uint8_t)mlen,
                          (uint8_t)(mlen >> 8),
                          (uint8_t)(mlen >> 16),
                          (uint8_t)(mlen >> 24),
                          'P',
                          'A',
                          'R',
                          '1'};
    dbuf_append(&t->file, trailer, 8);
    return t->file.err;
}

#endif
