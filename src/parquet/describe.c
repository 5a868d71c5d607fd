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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtime.h"
#include "core/str.h"

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

static int32_t load_i32(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    return (int32_t)v;
}

static int64_t load_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* Appends the decimal text of an unscaled value with `scale` digits after
 * the point. */
static void put_decimal(dbuf *out, __int128 v, int32_t scale)
{
    char digits[48];
    int n = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (scale < 0 || scale > 38)
        scale = 0;
    while (n <= scale)
        digits[n++] = '0';
    if (neg)
        dbuf_putc(out, '-');
    for (int i = n - 1; i >= 0; i--) {
        dbuf_putc(out, (uint8_t)digits[i]);
        if (i == scale && i)
            dbuf_putc(out, '.');
    }
}

/* Big-endian two's complement of up to 16 bytes. */
static bool load_be_int128(const uint8_t *p, size_t len, __int128 *out)
{
    if (len == 0 || len > 16)
        return false;
    unsigned __int128 u = (p[0] & 0x80) ? ~(unsigned __int128)0 : 0;
    for (size_t i = 0; i < len; i++)
        u = u << 8 | p[i];
    *out = (__int128)u;
    return true;
}

static void put_double(dbuf *out, double d)
{
    if (isnan(d)) {
        dbuf_puts(out, "NaN");
        return;
    }
    if (isinf(d)) {
        dbuf_puts(out, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    dbuf_puts(out, buf);
}

static double half_to_double(uint16_t h)
{
    int exp = (h >> 10) & 0x1f;
    double mant = h & 0x3ff;
    double v;
    if (exp == 0)
        v = ldexp(mant, -24);
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexp(mant + 1024, exp - 25);
    return (h & 0x8000) ? -v : v;
}

static void put_hex(dbuf *out, const uint8_t *v, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    dbuf_puts(out, "0x");
    for (size_t i = 0; i < len; i++) {
        dbuf_putc(out, (uint8_t)hex[v[i] >> 4]);
        dbuf_putc(out, (uint8_t)hex[v[i] & 15]);
    }
}

/* Timestamps in `unit` as ISO-8601, with as many fraction digits as the
 * unit has (none when the fraction is zero). */
static void put_timestamp(dbuf *out, int64_t v, int32_t unit, bool utc)
{
    int64_t per_sec = unit == PQ_UNIT_MILLIS ? 1000 : unit == PQ_UNIT_NANOS ? 1000000000 : 1000000;
    int digits = unit == PQ_UNIT_MILLIS ? 3 : unit == PQ_UNIT_NANOS ? 9 : 6;
    int64_t sec = v / per_sec, frac = v % per_sec;
    if (frac < 0) {
        frac += per_sec;
        sec--;
    }
    if (sec > INT64_MAX / 1000000 || sec < INT64_MIN / 1000000) {
        dbuf_printf(out, "%" PRId64, v);
        return;
    }
    if (utc)
        dtime_format_instant(out, sec * 1000000);
    else
        dtime_format_local(out, sec * 1000000);
    if (out->err)
        return;
    if (utc)
        out->len--; /* the 'Z', put back after the fraction */
    if (frac)
        dbuf_printf(out, ".%0*" PRId64, digits, frac);
    if (utc)
        dbuf_putc(out, 'Z');
}

/* The effective logical kind of a leaf: its LogicalType, else the one its
 * converted type implies. Fills decimal/unit parameters. */
typedef struct leaf_kind {
    int kind;        /* enum pq_logical_kind */
    int32_t scale;
    int32_t unit;
    bool utc;
    bool is_signed;
} leaf_kind;

static leaf_kind leaf_kind_of(const pq_schema_element *e)
{
    leaf_kind k = {PQ_LT_NONE, 0, 0, true, true};
    if (e->has_logical_type) {
        k.kind = e->logical_type.kind;
        k.scale = e->logical_type.scale;
        k.unit = e->logical_type.unit;
        k.utc = e->logical_type.is_adjusted_to_utc;
        k.is_signed = e->logical_type.is_signed;
        return k;
    }
    if (!e->has_converted_type)
        return k;
    switch (e->converted_type) {
    case PQ_CT_UTF8: k.kind = PQ_LT_STRING; break;
    case PQ_CT_ENUM: k.kind = PQ_LT_ENUM; break;
    case PQ_CT_JSON: k.kind = PQ_LT_JSON; break;
    case PQ_CT_BSON: k.kind = PQ_LT_BSON; break;
    case PQ_CT_DECIMAL:
        k.kind = PQ_LT_DECIMAL;
        k.scale = e->scale;
        break;
    case PQ_CT_DATE: k.kind = PQ_LT_DATE; break;
    case PQ_CT_TIME_MILLIS:
    case PQ_CT_TIME_MICROS:
        k.kind = PQ_LT_TIME;
        k.unit = e->converted_type == PQ_CT_TIME_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS;
        break;
    case PQ_CT_TIMESTAMP_MILLIS:
    case PQ_CT_TIMESTAMP_MICROS:
        k.kind = PQ_LT_TIMESTAMP;
        k.unit = e->converted_type == PQ_CT_TIMESTAMP_MILLIS ? PQ_UNIT_MILLIS : PQ_UNIT_MICROS;
        break;
    case PQ_CT_UINT_8:
    case PQ_CT_UINT_16:
    case PQ_CT_UINT_32:
    case PQ_CT_UINT_64:
        k.kind = PQ_LT_INTEGER;
        k.is_signed = false;
        break;
    default: break;
    }
    return k;
}

void pq_describe_stat_value(const pq_schema_node *leaf, const uint8_t *v, size_t len, bool quote,
                            dbuf *out)
{
    const pq_schema_element *e = leaf->elem;
    leaf_kind k = leaf_kind_of(e);
    dbuf text = DBUF_INIT;
    bool is_text = true;

    switch (e->type) {
    case PQ_TYPE_BOOLEAN:
        if (len != 1)
            goto invalid;
        dbuf_puts(&text, v[0] ? "true" : "false");
        is_text = false;
        break;
    case PQ_TYPE_INT32: {
        if (len != 4)
            goto invalid;
        int32_t x = load_i32(v);
        is_text = false;
        if (k.kind == PQ_LT_DATE) {
            dtime_format_date(&text, x);
            is_text = true;
        } else if (k.kind == PQ_LT_DECIMAL) {
            put_decimal(&text, x, k.scale);
        } else if (k.kind == PQ_LT_INTEGER && !k.is_signed) {
            dbuf_printf(&text, "%" PRIu32, (uint32_t)x);
        } else {
            dbuf_printf(&text, "%" PRId32, x);
        }
        break;
    }
    case PQ_TYPE_INT64: {
        if (len != 8)
            goto invalid;
        int64_t x = load_i64(v);
        is_text = false;
        if (k.kind == PQ_LT_TIMESTAMP) {
            put_timestamp(&text, x, k.unit, k.utc);
            is_text = true;
        } else if (k.kind == PQ_LT_DECIMAL) {
            put_decimal(&text, x, k.scale);
        } else if (k.kind == PQ_LT_INTEGER && !k.is_signed) {
            dbuf_printf(&text, "%" PRIu64, (uint64_t)x);
        } else {
            dbuf_printf(&text, "%" PRId64, x);
        }
        break;
    }
    case PQ_TYPE_FLOAT: {
        if (len != 4)
            goto invalid;
        float f;
        uint32_t bits = (uint32_t)load_i32(v);
        memcpy(&f, &bits, sizeof f);
        put_double(&text, f);
        is_text = !isfinite(f);
        break;
    }
    case PQ_TYPE_DOUBLE: {
        if (len != 8)
            goto invalid;
        double d;
        uint64_t bits = (uint64_t)load_i64(v);
        memcpy(&d, &bits, sizeof d);
        put_double(&text, d);
        is_text = !isfinite(d);
        break;
    }
    case PQ_TYPE_FIXED_LEN_BYTE_ARRAY:
    case PQ_TYPE_BYTE_ARRAY: {
        __int128 x;
        if (e->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY && (int64_t)len != e->type_length)
            goto invalid;
        if (k.kind == PQ_LT_DECIMAL && load_be_int128(v, len, &x)) {
            put_decimal(&text, x, k.scale);
            is_text = false;
        } else if (k.kind == PQ_LT_STRING || k.kind == PQ_LT_ENUM || k.kind == PQ_LT_JSON) {
            dbuf_append(&text, v, len);
        } else if (k.kind == PQ_LT_UUID && len == 16) {
            for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                    dbuf_putc(&text, '-');
                dbuf_printf(&text, "%02x", v[i]);
            }
        } else if (k.kind == PQ_LT_FLOAT16 && len == 2) {
            double d = half_to_double((uint16_t)(v[0] | v[1] << 8));
            put_double(&text, d);
            is_text = !isfinite(d);
        } else {
            put_hex(&text, v, len);
        }
        break;
    }
    default:
        put_hex(&text, v, len);
        break;
    }
    if (text.err) {
        out->err = text.err;
    } else if (quote && is_text) {
        dstr_json_quote(out, (const char *)text.data, text.len);
    } else {
        dbuf_append(out, text.data, text.len);
    }
    dbuf_free(&text);
    return;

invalid:
    dbuf_free(&text);
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
