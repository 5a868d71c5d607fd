/*
 * Descriptions of a Parquet file's schema and metadata (describe.h).
 *
 * Everything here only reads decoded metadata; nothing touches page data.
 * Statistics values are rendered through the leaf's logical type (or its
 * legacy converted type) so that a user sees "2024-01-31" rather than the
 * four bytes of an INT32 day count.
 */
#include "parquet/describe.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "columnar/format.h"
#include "core/error.h"
#include "core/str.h"
#include "parquet/assemble.h"
#include "parquet/logical.h"

/* ------------------------------------------------------------------ */
/* Logical type names                                                  */
/* ------------------------------------------------------------------ */

static const char *unit_name(int32_t unit)
{
    switch (unit) {
    case PQ_UNIT_MILLIS: return "MILLIS";
    case PQ_UNIT_MICROS: return "MICROS";
    case PQ_UNIT_NANOS: return "NANOS";
    default: return "?";
    }
}

static const char *converted_name(int32_t ct)
{
    static const char *const names[] = {
        "UTF8",       "MAP",         "MAP_KEY_VALUE",    "LIST",
        "ENUM",       "DECIMAL",     "DATE",             "TIME_MILLIS",
        "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8",
        "UINT_16",    "UINT_32",     "UINT_64",          "INT_8",
        "INT_16",     "INT_32",      "INT_64",           "JSON",
        "BSON",       "INTERVAL"};
    if (ct < 0 || (size_t)ct >= sizeof names / sizeof names[0])
        return NULL;
    return names[ct];
}

/* Appends the annotation of e ("STRING", "DECIMAL(10,2)", ...); nothing
 * when there is none. */
static void annotation(const pq_schema_element *e, dbuf *out)
{
    if (e->has_logical_type) {
        const pq_logical_type *lt = &e->logical_type;
        switch (lt->kind) {
        case PQ_LT_STRING: dbuf_puts(out, "STRING"); return;
        case PQ_LT_MAP: dbuf_puts(out, "MAP"); return;
        case PQ_LT_LIST: dbuf_puts(out, "LIST"); return;
        case PQ_LT_ENUM: dbuf_puts(out, "ENUM"); return;
        case PQ_LT_DECIMAL:
            dbuf_printf(out, "DECIMAL(%" PRId32 ",%" PRId32 ")", lt->precision, lt->scale);
            return;
        case PQ_LT_DATE: dbuf_puts(out, "DATE"); return;
        case PQ_LT_TIME:
            dbuf_printf(out, "TIME(%s,%s)", unit_name(lt->unit),
                        lt->is_adjusted_to_utc ? "true" : "false");
            return;
        case PQ_LT_TIMESTAMP:
            dbuf_printf(out, "TIMESTAMP(%s,%s)", unit_name(lt->unit),
                        lt->is_adjusted_to_utc ? "true" : "false");
            return;
        case PQ_LT_INTEGER:
            dbuf_printf(out, "INTEGER(%d,%s)", lt->bit_width, lt->is_signed ? "true" : "false");
            return;
        case PQ_LT_UNKNOWN: dbuf_puts(out, "UNKNOWN"); return;
        case PQ_LT_JSON: dbuf_puts(out, "JSON"); return;
        case PQ_LT_BSON: dbuf_puts(out, "BSON"); return;
        case PQ_LT_UUID: dbuf_puts(out, "UUID"); return;
        case PQ_LT_FLOAT16: dbuf_puts(out, "FLOAT16"); return;
        case PQ_LT_VARIANT: dbuf_puts(out, "VARIANT"); return;
        case PQ_LT_GEOMETRY: dbuf_puts(out, "GEOMETRY"); return;
        case PQ_LT_GEOGRAPHY: dbuf_puts(out, "GEOGRAPHY"); return;
        case PQ_LT_VECTOR: dbuf_puts(out, "VECTOR"); return;
        default: dbuf_printf(out, "LOGICAL_TYPE_%" PRId32, lt->kind); return;
        }
    }
    if (e->has_converted_type) {
        const char *n = converted_name(e->converted_type);
        if (!n)
            dbuf_printf(out, "CONVERTED_TYPE_%" PRId32, e->converted_type);
        else if (e->converted_type == PQ_CT_DECIMAL)
            dbuf_printf(out, "DECIMAL(%" PRId32 ",%" PRId32 ")", e->precision, e->scale);
        else
            dbuf_puts(out, n);
    }
}

static const char *repetition_name(int32_t r)
{
    switch (r) {
    case PQ_REP_REQUIRED: return "required";
    case PQ_REP_OPTIONAL: return "optional";
    case PQ_REP_REPEATED: return "repeated";
    default: return "?";
    }
}

/* Type names as the message syntax spells them ("int64", "binary",
 * "fixed_len_byte_array(16)"). */
static void lower_type_name(const pq_schema_element *e, dbuf *out)
{
    const char *n = e->type == PQ_TYPE_BYTE_ARRAY ? "binary" : pq_type_name(e->type);
    for (const char *p = n; *p; p++)
        dbuf_putc(out, (uint8_t)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p));
    if (e->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY)
        dbuf_printf(out, "(%" PRId32 ")", e->type_length);
}

/* ------------------------------------------------------------------ */
/* Schema                                                              */
/* ------------------------------------------------------------------ */

static void schema_text(const pq_schema_node *n, unsigned indent, dbuf *out)
{
    const pq_schema_element *e = n->elem;
    for (unsigned i = 0; i < indent; i++)
        dbuf_puts(out, "  ");
    if (n->parent)
        dbuf_printf(out, "%s ", repetition_name(n->repetition));
    if (n->leaf_index >= 0)
        lower_type_name(e, out);
    else
        dbuf_puts(out, n->parent ? "group" : "message");
    dbuf_putc(out, ' ');
    dbuf_append(out, e->name.ptr, e->name.len);
    size_t mark = out->len;
    dbuf_puts(out, " (");
    size_t before = out->len;
    annotation(e, out);
    if (out->len == before)
        out->len = mark;
    else
        dbuf_putc(out, ')');
    if (e->has_field_id)
        dbuf_printf(out, " = %" PRId32, e->field_id);
    if (n->leaf_index >= 0) {
        dbuf_puts(out, ";\n");
        return;
    }
    dbuf_puts(out, " {\n");
    for (uint32_t i = 0; i < n->num_children; i++)
        schema_text(n->children[i], indent + 1, out);
    for (unsigned i = 0; i < indent; i++)
        dbuf_puts(out, "  ");
    dbuf_puts(out, "}\n");
}

static void schema_json(const pq_schema_node *n, dbuf *out)
{
    const pq_schema_element *e = n->elem;
    dbuf_puts(out, "{\"name\":");
    dstr_json_quote(out, e->name.ptr, e->name.len);
    if (n->parent)
        dbuf_printf(out, ",\"repetition\":\"%s\"", repetition_name(n->repetition));
    if (n->leaf_index >= 0) {
        dbuf_printf(out, ",\"type\":\"%s\"", pq_type_name(e->type));
        if (e->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY)
            dbuf_printf(out, ",\"type_length\":%" PRId32, e->type_length);
    }
    dbuf b = DBUF_INIT;
    annotation(e, &b);
    if (b.len) {
        dbuf_puts(out, ",\"annotation\":");
        dstr_json_quote(out, (const char *)b.data, b.len);
    }
    if (b.err)
        out->err = b.err;
    dbuf_free(&b);
    if (e->has_field_id)
        dbuf_printf(out, ",\"field_id\":%" PRId32, e->field_id);
    if (n->leaf_index >= 0) {
        dbuf_printf(out, ",\"column\":%" PRId32 ",\"max_definition_level\":%d"
                         ",\"max_repetition_level\":%d}",
                    n->leaf_index, n->max_def, n->max_rep);
        return;
    }
    dbuf_puts(out, ",\"fields\":[");
    for (uint32_t i = 0; i < n->num_children; i++) {
        if (i)
            dbuf_putc(out, ',');
        schema_json(n->children[i], out);
    }
    dbuf_puts(out, "]}");
}

int pq_describe_schema(const pq_schema *s, bool json, dbuf *out)
{
    if (json) {
        schema_json(s->root, out);
        dbuf_putc(out, '\n');
    } else {
        schema_text(s->root, 0, out);
    }
    return out->err;
}

/* ------------------------------------------------------------------ */
/* Statistics values                                                   */
/* ------------------------------------------------------------------ */

/* A statistics value is converted to the leaf's column type exactly as
 * the reader converts data values (pq_assemble_value), then printed as
 * `delta parquet cat` prints values, so both always agree. */
void pq_describe_stat_value(const pq_schema_node *leaf, const uint8_t *v, size_t len, bool quote,
                            dbuf *out)
{
    const pq_schema_element *e = leaf->elem;
    pq_node n;
    memset(&n, 0, sizeof n);
    dtype *t = NULL;
    dvec *vec = NULL;
    if (pq_primitive_dtype(e, NULL, e->name.ptr, &t, &n.conv) == 0 && dvec_new(&vec, t) == 0) {
        n.kind = PQ_NODE_LEAF;
        n.type = t;
        n.physical = e->type;
        n.type_length = e->type == PQ_TYPE_INT96 ? 12 : e->type_length;
        n.name = e->name.ptr;
        if (pq_assemble_value(&n, v, len, vec) == 0) {
            dvec_format_value(vec, 0, quote ? DFMT_JSON : DFMT_TEXT, out);
            dvec_unref(vec);
            dtype_unref(t);
            return;
        }
    }
    delta_error_clear();
    dvec_unref(vec);
    dtype_unref(t);
    if (quote)
        dbuf_printf(out, "\"<invalid: %zu bytes>\"", len);
    else
        dbuf_printf(out, "<invalid: %zu bytes>", len);
}

/* ------------------------------------------------------------------ */
/* Metadata                                                            */
/* ------------------------------------------------------------------ */

/* The min and max to show: the exact-order fields when present, else the
 * deprecated signed-order ones (only meaningful for signed types). */
static void stat_bounds(const pq_statistics *st, const pq_bin **min, const pq_bin **max)
{
    *min = st->has_min_value ? &st->min_value : st->has_min ? &st->min : NULL;
    *max = st->has_max_value ? &st->max_value : st->has_max ? &st->max : NULL;
}

static void column_path(const pq_column_meta *cm, dbuf *out)
{
    for (uint32_t i = 0; i < cm->num_path_in_schema; i++) {
        if (i)
            dbuf_putc(out, '.');
        dbuf_append(out, cm->path_in_schema[i].ptr, cm->path_in_schema[i].len);
    }
}

static void meta_text(const pq_file_meta *m, const pq_schema *s, dbuf *out)
{
    dbuf_printf(out, "version: %" PRId32 "\n", m->version);
    if (m->has_created_by)
        dbuf_printf(out, "created by: %s\n", m->created_by.ptr);
    dbuf_printf(out, "rows: %" PRId64 "\nrow groups: %" PRIu32 "\ncolumns: %" PRIu32 "\n",
                m->num_rows, m->num_row_groups, s->num_leaves);
    if (m->has_key_value_metadata && m->num_key_value_metadata) {
        dbuf_puts(out, "key-value metadata:\n");
        for (uint32_t i = 0; i < m->num_key_value_metadata; i++) {
            const pq_key_value *kv = &m->key_value_metadata[i];
            dbuf_printf(out, "  %s", kv->key.ptr);
            if (kv->has_value) {
                size_t n = kv->value.len > 200 ? 200 : kv->value.len;
                dbuf_puts(out, " = ");
                dbuf_append(out, kv->value.ptr, n);
                if (n < kv->value.len)
                    dbuf_printf(out, "... (%zu bytes)", kv->value.len);
            }
            dbuf_putc(out, '\n');
        }
    }
    for (uint32_t g = 0; g < m->num_row_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        dbuf_printf(out, "row group %" PRIu32 ": %" PRId64 " rows, %" PRId64 " bytes", g,
                    rg->num_rows, rg->total_byte_size);
        if (rg->has_total_compressed_size)
            dbuf_printf(out, " (%" PRId64 " compressed)", rg->total_compressed_size);
        dbuf_putc(out, '\n');
        for (uint32_t c = 0; c < rg->num_columns; c++) {
            const pq_column_meta *cm = &rg->columns[c].meta_data;
            dbuf_puts(out, "  column ");
            column_path(cm, out);
            dbuf_printf(out, " %s %s, %" PRId64 " values, %" PRId64 " -> %" PRId64 " bytes\n",
                        pq_type_name(cm->type), pq_codec_name(cm->codec), cm->num_values,
                        cm->total_uncompressed_size, cm->total_compressed_size);
            dbuf_puts(out, "    encodings:");
            for (uint32_t i = 0; i < cm->num_encodings; i++)
                dbuf_printf(out, " %s", pq_encoding_name(cm->encodings[i]));
            if (cm->has_dictionary_page_offset)
                dbuf_printf(out, "; dictionary page at %" PRId64, cm->dictionary_page_offset);
            dbuf_printf(out, "; data page at %" PRId64 "\n", cm->data_page_offset);
            if (!cm->has_statistics)
                continue;
            const pq_statistics *st = &cm->statistics;
            const pq_bin *mn, *mx;
            stat_bounds(st, &mn, &mx);
            dbuf_puts(out, "    statistics:");
            if (mn) {
                dbuf_puts(out, " min ");
                pq_describe_stat_value(s->leaves[c], mn->ptr, mn->len, false, out);
            }
            if (mx) {
                dbuf_puts(out, " max ");
                pq_describe_stat_value(s->leaves[c], mx->ptr, mx->len, false, out);
            }
            if (st->has_null_count)
                dbuf_printf(out, " nulls %" PRId64, st->null_count);
            if (st->has_distinct_count)
                dbuf_printf(out, " distinct %" PRId64, st->distinct_count);
            if (!mn && !mx && !st->has_null_count && !st->has_distinct_count)
                dbuf_puts(out, " none");
            dbuf_putc(out, '\n');
        }
    }
}

static void meta_json(const pq_file_meta *m, const pq_schema *s, dbuf *out)
{
    dbuf_printf(out, "{\"version\":%" PRId32, m->version);
    if (m->has_created_by) {
        dbuf_puts(out, ",\"created_by\":");
        dstr_json_quote(out, m->created_by.ptr, m->created_by.len);
    }
    dbuf_printf(out, ",\"num_rows\":%" PRId64 ",\"num_columns\":%" PRIu32, m->num_rows,
                s->num_leaves);
    dbuf_puts(out, ",\"key_value_metadata\":{");
    for (uint32_t i = 0; m->has_key_value_metadata && i < m->num_key_value_metadata; i++) {
        const pq_key_value *kv = &m->key_value_metadata[i];
        if (i)
            dbuf_putc(out, ',');
        dstr_json_quote(out, kv->key.ptr, kv->key.len);
        dbuf_putc(out, ':');
        if (kv->has_value)
            dstr_json_quote(out, kv->value.ptr, kv->value.len);
        else
            dbuf_puts(out, "null");
    }
    dbuf_puts(out, "},\"row_groups\":[");
    for (uint32_t g = 0; g < m->num_row_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        if (g)
            dbuf_putc(out, ',');
        dbuf_printf(out, "{\"num_rows\":%" PRId64 ",\"total_byte_size\":%" PRId64, rg->num_rows,
                    rg->total_byte_size);
        if (rg->has_total_compressed_size)
            dbuf_printf(out, ",\"total_compressed_size\":%" PRId64, rg->total_compressed_size);
        dbuf_puts(out, ",\"columns\":[");
        for (uint32_t c = 0; c < rg->num_columns; c++) {
            const pq_column_meta *cm = &rg->columns[c].meta_data;
            if (c)
                dbuf_putc(out, ',');
            dbuf b = DBUF_INIT;
            column_path(cm, &b);
            dbuf_puts(out, "{\"path\":");
            dstr_json_quote(out, (const char *)b.data, b.len);
            if (b.err)
                out->err = b.err;
            dbuf_free(&b);
            dbuf_printf(out, ",\"type\":\"%s\",\"codec\":\"%s\",\"encodings\":[",
                        pq_type_name(cm->type), pq_codec_name(cm->codec));
            for (uint32_t i = 0; i < cm->num_encodings; i++)
                dbuf_printf(out, "%s\"%s\"", i ? "," : "", pq_encoding_name(cm->encodings[i]));
            dbuf_printf(out,
                        "],\"num_values\":%" PRId64 ",\"total_uncompressed_size\":%" PRId64
                        ",\"total_compressed_size\":%" PRId64 ",\"data_page_offset\":%" PRId64,
                        cm->num_values, cm->total_uncompressed_size, cm->total_compressed_size,
                        cm->data_page_offset);
            if (cm->has_dictionary_page_offset)
                dbuf_printf(out, ",\"dictionary_page_offset\":%" PRId64,
                            cm->dictionary_page_offset);
            if (cm->has_statistics) {
                const pq_statistics *st = &cm->statistics;
                const pq_bin *mn, *mx;
                stat_bounds(st, &mn, &mx);
                dbuf_puts(out, ",\"statistics\":{");
                const char *sep = "";
                if (mn) {
                    dbuf_puts(out, "\"min\":");
                    pq_describe_stat_value(s->leaves[c], mn->ptr, mn->len, true, out);
                    sep = ",";
                }
                if (mx) {
                    dbuf_printf(out, "%s\"max\":", sep);
                    pq_describe_stat_value(s->leaves[c], mx->ptr, mx->len, true, out);
                    sep = ",";
                }
                if (st->has_null_count) {
                    dbuf_printf(out, "%s\"null_count\":%" PRId64, sep, st->null_count);
                    sep = ",";
                }
                if (st->has_distinct_count)
                    dbuf_printf(out, "%s\"distinct_count\":%" PRId64, sep, st->distinct_count);
                dbuf_putc(out, '}');
            }
            dbuf_putc(out, '}');
        }
        dbuf_puts(out, "]}");
    }
    dbuf_puts(out, "]}\n");
}

int pq_describe_meta(const pq_file_meta *m, const pq_schema *s, bool json, dbuf *out)
{
    if (json)
        meta_json(m, s, out);
    else
        meta_text(m, s, out);
    return out->err;
}
