/*
 * Value formatting and the batch printer (format.h).
 *
 * Every value is written straight into the caller's dbuf (no temporary
 * strings), so formatting a column costs no allocation once the buffer has
 * grown. The TABLE printer keeps at most TABLE_BUFFER_ROWS rows of cell
 * text to size its columns; after that it prints each row as it comes with
 * the widths fixed, so memory does not grow with the row count.
 */
#include "columnar/format.h"

#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_BUFFER_ROWS 1000
#define TABLE_MAX_WIDTH 48

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* ---- text helpers ----------------------------------------------------------- */

size_t dutf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

int64_t dutf8_invalid_at(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) {
                i += 8;
                continue;
            }
        }
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = dutf8_seq(s + i, n - i);
        if (!l)
            return (int64_t)i;
        i += l;
    }
    return -1;
}

void dfmt_json_string(dbuf *out, const void *sv, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *s = sv;
    dbuf_putc(out, '"');
    size_t run = 0; /* start of the pending run of bytes copied as they are */
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        const char *esc = NULL;
        char ubuf[8];
        size_t adv = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c < 0x20) {
            switch (c) {
            case '\n': esc = "\\n"; break;
            case '\r': esc = "\\r"; break;
            case '\t': esc = "\\t"; break;
            case '\b': esc = "\\b"; break;
            case '\f': esc = "\\f"; break;
            default:
                memcpy(ubuf, "\\u00", 4);
                ubuf[4] = hex[c >> 4];
                ubuf[5] = hex[c & 15];
                ubuf[6] = '\0';
                esc = ubuf;
            }
        } else if (c >= 0x80) {
            adv = dutf8_seq(s + i, n - i);
            if (!adv) {
                esc = "\\ufffd";
                adv = 1;
            }
        }
        if (esc) {
            dbuf_append(out, s + run, i - run);
            dbuf_puts(out, esc);
            run = i + adv;
        }
        i += adv;
    }
    dbuf_append(out, s + run, n - run);
    dbuf_putc(out, '"');
}

static bool csv_needs_quotes(const uint8_t *s, size_t n)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            return true;
    return false;
}

void dfmt_csv_field(dbuf *out, const void *sv, size_t n)
{
    const uint8_t *s = sv;
    if (!csv_needs_quotes(s, n)) {
        dbuf_append(out, s, n);
        return;
    }
    dbuf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            dbuf_append(out, s + run, i + 1 - run);
            dbuf_putc(out, '"');
            run = i + 1;
        }
    }
    dbuf_append(out, s + run, n - run);
    dbuf_putc(out, '"');
}

/* Quotes, in place, the CSV field written at out[start..len). */
static void csv_quote_from(dbuf *out, size_t start)
{
    if (out->err || !csv_needs_quotes(out->data + start, out->len - start))
        return;
    size_t n = out->len - start, quotes = 0;
    for (size_t i = 0; i < n; i++)
        quotes += out->data[start + i] == '"';
    if (!dbuf_grow(out, quotes + 2))
        return;
    uint8_t *s = out->data + start;
    size_t w = n + quotes + 2;
    s[--w] = '"';
    for (size_t i = n; i-- > 0;) {
        s[--w] = s[i];
        if (s[i] == '"')
            s[--w] = '"';
    }
    s[0] = '"';
}

static void base64(dbuf *out, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t *o = dbuf_grow(out, (n + 2) / 3 * 4);
    if (!o)
        return;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t x = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = (uint8_t)tab[x >> 18];
        *o++ = (uint8_t)tab[(x >> 12) & 63];
        *o++ = (uint8_t)tab[(x >> 6) & 63];
        *o++ = (uint8_t)tab[x & 63];
    }
    if (i < n) {
        uint32_t x = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = (uint8_t)tab[x >> 18];
        *o++ = (uint8_t)tab[(x >> 12) & 63];
        *o++ = i + 1 < n ? (uint8_t)tab[(x >> 6) & 63] : '=';
        *o++ = '=';
    }
}

static void hex_bytes(dbuf *out, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t *o = dbuf_grow(out, 2 + 2 * n);
    if (!o)
        return;
    *o++ = '0';
    *o++ = 'x';
    for (size_t i = 0; i < n; i++) {
        *o++ = (uint8_t)hex[p[i] >> 4];
        *o++ = (uint8_t)hex[p[i] & 15];
    }
}

static void uuid_text(dbuf *out, const uint8_t *p)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t *o = dbuf_grow(out, 36);
    if (!o)
        return;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = (uint8_t)hex[p[i] >> 4];
        *o++ = (uint8_t)hex[p[i] & 15];
    }
}

/* ---- numbers ------------------------------------------------------------------- */

static void fmt_double(dbuf *out, double x, dfmt_style style)
{
    if (!isfinite(x)) {
        const char *s = isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
        dbuf_printf(out, style == DFMT_JSON ? "\"%s\"" : "%s", s);
        return;
    }
    char buf[40];
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    dbuf_puts(out, buf);
}

static void fmt_float(dbuf *out, float x, dfmt_style style)
{
    if (!isfinite(x)) {
        fmt_double(out, x, style);
        return;
    }
    char buf[32];
    for (int p = 6; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)x);
        if (strtof(buf, NULL) == x)
            break;
    }
    dbuf_puts(out, buf);
}

static float half_to_float(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)man, -24);
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexpf((float)(man | 0x400), exp - 25);
    return sign ? -v : v;
}

/* Nearest half (round to nearest, ties to even) of a float. */
static uint16_t float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t e8 = (x >> 23) & 0xff, man = x & 0x7fffff;
    if (e8 == 0xff)
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
    int32_t exp = (int32_t)e8 - 127 + 15;
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10)
            return sign;
        man |= 0x800000;
        unsigned shift = (unsigned)(14 - exp);
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)exp << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++; /* a carry into the exponent gives the right result, up to infinity */
    return (uint16_t)(sign | h);
}

/* Shortest text that reads back to the same half. */
static void fmt_half(dbuf *out, uint16_t h, dfmt_style style)
{
    float x = half_to_float(h);
    if (!isfinite(x)) {
        fmt_double(out, x, style);
        return;
    }
    char buf[32];
    for (int p = 1; p <= 9; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, (double)x);
        if (float_to_half(strtof(buf, NULL)) == h)
            break;
    }
    dbuf_puts(out, buf);
}

static void fmt_decimal(dbuf *out, const uint8_t *p, unsigned scale)
{
    u128 u = 0;
    for (int i = 15; i >= 0; i--)
        u = (u << 8) | p[i];
    i128 v = (i128)u;
    bool neg = v < 0;
    u128 mag = neg ? (u128)0 - u : u;
    char digits[48];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    } while (mag);
    while (nd <= (int)scale)
        digits[nd++] = '0';
    char buf[52];
    int k = 0;
    if (neg)
        buf[k++] = '-';
    for (int i = nd - 1; i >= 0; i--) {
        buf[k++] = digits[i];
        if (i == (int)scale && scale)
            buf[k++] = '.';
    }
    dbuf_append(out, buf, (size_t)k);
}

/* ---- calendar ------------------------------------------------------------------- */

/* Splits a count of `unit` into whole seconds (floor) and nanoseconds. */
static void split_unit(int64_t v, dtime_unit unit, int64_t *secs, int64_t *nanos)
{
    int64_t per = unit == DT_UNIT_SECOND  ? 1
                  : unit == DT_UNIT_MILLI ? 1000
                  : unit == DT_UNIT_MICRO ? 1000000
                                          : 1000000000;
    int64_t s = v / per, r = v % per;
    if (r < 0)
        r += per, s--;
    *secs = s;
    *nanos = r * (1000000000 / per);
}

static void fmt_clock(dbuf *out, int64_t sod, int64_t nanos)
{
    dbuf_printf(out, "%02lld:%02d:%02d", (long long)(sod / 3600), (int)(sod / 60 % 60),
                (int)(sod % 60));
    if (nanos == 0)
        return;
    if (nanos % 1000000 == 0)
        dbuf_printf(out, ".%03d", (int)(nanos / 1000000));
    else if (nanos % 1000 == 0)
        dbuf_printf(out, ".%06d", (int)(nanos / 1000));
    else
        dbuf_printf(out, ".%09d", (int)nanos);
}

static void fmt_timestamp(dbuf *out, int64_t v, dtime_unit unit, bool utc)
{
    int64_t secs, nanos;
    split_unit(v, unit, &secs, &nanos);
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0)
        sod += 86400, days--;
    dtime_format_date(out, days);
    dbuf_putc(out, 'T');
    fmt_clock(out, sod, nanos);
    if (utc)
        dbuf_putc(out, 'Z');
}

static void fmt_time(dbuf *out, int64_t v, dtime_unit unit)
{
    int64_t secs, nanos;
    split_unit(v, unit, &secs, &nanos);
    if (secs < 0) {
        dbuf_putc(out, '-');
        /* negative times are not valid times of day; show the magnitude */
        if (nanos) {
            secs += 1;
            nanos = 1000000000 - nanos;
        }
        secs = -secs;
    }
    fmt_clock(out, secs, nanos);
}

/* ---- values --------------------------------------------------------------------- */

static void json_value(const dvec *v, int64_t row, dbuf *out);

static int64_t fixed_int(const dvec *v, int64_t row)
{
    const void *p = v->values;
    switch (v->type->id) {
    case DT_INT8: return ((const int8_t *)p)[row];
    case DT_INT16: return ((const int16_t *)p)[row];
    case DT_INT32:
    case DT_DATE32:
    case DT_TIME32: return ((const int32_t *)p)[row];
    default: return ((const int64_t *)p)[row];
    }
}

static uint64_t fixed_uint(const dvec *v, int64_t row)
{
    const void *p = v->values;
    switch (v->type->id) {
    case DT_UINT8: return ((const uint8_t *)p)[row];
    case DT_UINT16: return ((const uint16_t *)p)[row];
    case DT_UINT32: return ((const uint32_t *)p)[row];
    default: return ((const uint64_t *)p)[row];
    }
}

/* A non-null scalar; `quoted` wraps text values in JSON quotes. */
static void scalar_value(const dvec *v, int64_t row, dfmt_style style, dbuf *out)
{
    const dtype *t = v->type;
    bool json = style == DFMT_JSON;
    switch (t->id) {
    case DT_BOOL: dbuf_puts(out, dbit_get(v->values, row) ? "true" : "false"); break;
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64: dbuf_printf(out, "%lld", (long long)fixed_int(v, row)); break;
    case DT_UINT8:
    case DT_UINT16:
    case DT_UINT32:
    case DT_UINT64: dbuf_printf(out, "%llu", (unsigned long long)fixed_uint(v, row)); break;
    case DT_FLOAT16: fmt_half(out, ((const uint16_t *)v->values)[row], style); break;
    case DT_FLOAT32: fmt_float(out, ((const float *)v->values)[row], style); break;
    case DT_FLOAT64: fmt_double(out, dvec_f64(v)[row], style); break;
    case DT_DECIMAL: fmt_decimal(out, (const uint8_t *)v->values + row * 16, t->scale); break;
    case DT_DATE32:
    case DT_TIME32:
    case DT_TIME64:
    case DT_TIMESTAMP:
        if (json)
            dbuf_putc(out, '"');
        if (t->id == DT_DATE32)
            dtime_format_date(out, fixed_int(v, row));
        else if (t->id == DT_TIMESTAMP)
            fmt_timestamp(out, fixed_int(v, row), t->unit, t->utc);
        else
            fmt_time(out, fixed_int(v, row), t->unit);
        if (json)
            dbuf_putc(out, '"');
        break;
    case DT_STRING: {
        size_t n;
        const uint8_t *p = dvec_bytes(v, row, &n);
        if (json)
            dfmt_json_string(out, p, n);
        else if (style == DFMT_CSV)
            dfmt_csv_field(out, p, n);
        else
            dbuf_append(out, p, n);
        break;
    }
    case DT_BINARY:
    case DT_FIXED_BINARY: {
        size_t n;
        const uint8_t *p;
        if (t->id == DT_BINARY) {
            p = dvec_bytes(v, row, &n);
        } else {
            n = (size_t)t->width;
            p = (const uint8_t *)v->values + (size_t)row * n;
        }
        if (json)
            dbuf_putc(out, '"');
        if (t->annot == DT_ANNOT_UUID && n == 16)
            uuid_text(out, p);
        else if (style == DFMT_TEXT)
            hex_bytes(out, p, n);
        else if (n == 0 && style == DFMT_CSV)
            dbuf_puts(out, "\"\"");
        else
            base64(out, p, n);
        if (json)
            dbuf_putc(out, '"');
        break;
    }
    default: break;
    }
}

static void json_value(const dvec *v, int64_t row, dbuf *out)
{
    if (!dvec_is_valid(v, row)) {
        dbuf_puts(out, "null");
        return;
    }
    const dtype *t = v->type;
    switch (t->id) {
    case DT_STRUCT:
        dbuf_putc(out, '{');
        for (uint32_t i = 0; i < v->num_children; i++) {
            if (i)
                dbuf_putc(out, ',');
            dfmt_json_string(out, t->fields[i].name, strlen(t->fields[i].name));
            dbuf_putc(out, ':');
            json_value(v->children[i], row, out);
        }
        dbuf_putc(out, '}');
        break;
    case DT_LIST: {
        const dvec *c = v->children[0];
        dbuf_putc(out, '[');
        for (int32_t k = v->offsets[row]; k < v->offsets[row + 1]; k++) {
            if (k > v->offsets[row])
                dbuf_putc(out, ',');
            json_value(c, k, out);
        }
        dbuf_putc(out, ']');
        break;
    }
    case DT_MAP: {
        const dvec *e = v->children[0];
        const dvec *keys = e->children[0], *vals = e->children[1];
        bool obj = keys->type->id == DT_STRING;
        dbuf_putc(out, obj ? '{' : '[');
        for (int32_t k = v->offsets[row]; k < v->offsets[row + 1]; k++) {
            if (k > v->offsets[row])
                dbuf_putc(out, ',');
            if (obj) {
                json_value(keys, k, out);
                dbuf_putc(out, ':');
                json_value(vals, k, out);
            } else {
                dbuf_puts(out, "{\"key\":");
                json_value(keys, k, out);
                dbuf_puts(out, ",\"value\":");
                json_value(vals, k, out);
                dbuf_putc(out, '}');
            }
        }
        dbuf_putc(out, obj ? '}' : ']');
        break;
    }
    default: scalar_value(v, row, DFMT_JSON, out);
    }
}

void dvec_format_value(const dvec *v, int64_t row, dfmt_style style, dbuf *out)
{
    if (style == DFMT_JSON) {
        json_value(v, row, out);
        return;
    }
    if (!dvec_is_valid(v, row)) {
        if (style == DFMT_TEXT)
            dbuf_puts(out, "NULL");
        return;
    }
    if (dtype_is_nested(v->type)) {
        size_t start = out->len;
        json_value(v, row, out);
        if (style == DFMT_CSV)
            csv_quote_from(out, start);
        return;
    }
    scalar_value(v, row, style, out);
}

/* ---- printer -------------------------------------------------------------------- */

struct dprinter {
    dprint_kind kind;
    dtype *schema;
    FILE *fp;
    int err;
    bool started;
    int64_t rows;
    dbuf line;
    /* TABLE */
    uint32_t ncols;
    bool *right;
    size_t *width;
    bool widths_fixed;
    dbuf cell;        /* one cell's cleaned text */
    dbuf cells;       /* buffered cell text, back to back */
    size_t *cell_end; /* end of each buffered cell in `cells` */
    int64_t buffered; /* rows in `cells` */
};

static void emit(dprinter *p, dbuf *b)
{
    if (b->err) {
        if (!p->err)
            p->err = b->err;
    } else if (b->len && fwrite(b->data, 1, b->len, p->fp) != b->len && !p->err) {
        p->err = delta_error_set(DELTA_EIO, "writing output failed");
    }
    dbuf_reset(b);
}

int dprinter_new(dprinter **out, dprint_kind kind, const dtype *schema, FILE *fp)
{
    *out = NULL;
    if (!schema || schema->id != DT_STRUCT)
        return delta_error_set(DELTA_EINVAL, "printer schema must be a struct");
    if ((unsigned)kind > DPRINT_JSON)
        return delta_error_set(DELTA_EINVAL, "unknown output format %d", (int)kind);
    dprinter *p = delta_calloc(1, sizeof *p);
    if (!p)
        return DELTA_ENOMEM;
    p->kind = kind;
    p->schema = dtype_ref(schema);
    p->fp = fp;
    p->ncols = schema->num_fields;
    if (kind == DPRINT_TABLE) {
        size_t nc = p->ncols ? p->ncols : 1;
        p->right = delta_calloc(nc, sizeof *p->right);
        p->width = delta_calloc(nc, sizeof *p->width);
        p->cell_end = delta_malloc(sizeof *p->cell_end * nc * TABLE_BUFFER_ROWS);
        if (!p->right || !p->width || !p->cell_end) {
            dprinter_free(p);
            return DELTA_ENOMEM;
        }
        for (uint32_t i = 0; i < p->ncols; i++) {
            const dtype *t = schema->fields[i].type;
            p->right[i] = dtype_is_integer(t) || t->id == DT_FLOAT16 || t->id == DT_FLOAT32 ||
                          t->id == DT_FLOAT64 || t->id == DT_DECIMAL;
        }
    }
    *out = p;
    return 0;
}

void dprinter_free(dprinter *p)
{
    if (!p)
        return;
    dtype_unref(p->schema);
    dbuf_free(&p->line);
    dbuf_free(&p->cells);
    dbuf_free(&p->cell);
    delta_free(p->right);
    delta_free(p->width);
    delta_free(p->cell_end);
    delta_free(p);
}

/* Display width: code points (each counted as one column). */
static size_t text_width(const uint8_t *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += (s[i] & 0xc0) != 0x80;
    return w;
}

/* Appends a cell's text to b with control characters made visible. */
static void table_cell_text(dbuf *b, const dbuf *raw)
{
    const uint8_t *s = raw->data;
    for (size_t i = 0; i < raw->len; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c != 0x7f)
            dbuf_putc(b, c);
        else if (c == '\n')
            dbuf_puts(b, "\\n");
        else if (c == '\r')
            dbuf_puts(b, "\\r");
        else if (c == '\t')
            dbuf_puts(b, "\\t");
        else
            dbuf_printf(b, "\\x%02x", c);
    }
}

static void table_border(dprinter *p, dbuf *b)
{
    for (uint32_t i = 0; i < p->ncols; i++) {
        dbuf_putc(b, '+');
        uint8_t *o = dbuf_grow(b, p->width[i] + 2);
        if (o)
            memset(o, '-', p->width[i] + 2);
    }
    dbuf_puts(b, p->ncols ? "+\n" : "\n");
}

static void table_pad(dbuf *b, size_t n)
{
    uint8_t *o = dbuf_grow(b, n);
    if (o)
        memset(o, ' ', n);
}

/* One cell padded or cut to the column width. */
static void table_cell(dprinter *p, dbuf *b, uint32_t col, const uint8_t *s, size_t n)
{
    size_t width = p->width[col], w = text_width(s, n);
    dbuf_puts(b, " ");
    if (w > width) {
        size_t keep = width > 3 ? width - 3 : 0, i = 0, cps = 0;
        while (i < n && cps < keep) {
            i++;
            while (i < n && (s[i] & 0xc0) == 0x80)
                i++;
            cps++;
        }
        dbuf_append(b, s, i);
        dbuf_append(b, "...", width - keep < 3 ? width - keep : 3);
    } else {
        if (p->right[col])
            table_pad(b, width - w);
        dbuf_append(b, s, n);
        if (!p->right[col])
            table_pad(b, width - w);
    }
    dbuf_puts(b, " |");
}

static void table_row_start(dbuf *b)
{
    dbuf_putc(b, '|');
}

static void table_header(dprinter *p, dbuf *b)
{
    table_border(p, b);
    table_row_start(b);
    for (uint32_t i = 0; i < p->ncols; i++) {
        const char *name = p->schema->fields[i].name;
        bool r = p->right[i];
        p->right[i] = false;
        table_cell(p, b, i, (const uint8_t *)name, strlen(name));
        p->right[i] = r;
    }
    dbuf_putc(b, '\n');
    table_border(p, b);
}

static const uint8_t *cells_at(const dprinter *p, size_t start)
{
    return p->cells.data ? p->cells.data + start : (const uint8_t *)"";
}

/* Sizes the columns from the header and the buffered rows, prints them. */
static void table_flush(dprinter *p)
{
    for (uint32_t c = 0; c < p->ncols; c++) {
        const char *name = p->schema->fields[c].name;
        size_t w = text_width((const uint8_t *)name, strlen(name));
        for (int64_t r = 0; r < p->buffered; r++) {
            size_t k = (size_t)r * p->ncols + c;
            size_t start = k ? p->cell_end[k - 1] : 0;
            size_t cw = text_width(cells_at(p, start), p->cell_end[k] - start);
            if (cw > w)
                w = cw;
        }
        p->width[c] = w > TABLE_MAX_WIDTH ? TABLE_MAX_WIDTH : w;
    }
    p->widths_fixed = true;
    table_header(p, &p->line);
    emit(p, &p->line);
    for (int64_t r = 0; r < p->buffered; r++) {
        table_row_start(&p->line);
        for (uint32_t c = 0; c < p->ncols; c++) {
            size_t k = (size_t)r * p->ncols + c;
            size_t start = k ? p->cell_end[k - 1] : 0;
            table_cell(p, &p->line, c, cells_at(p, start), p->cell_end[k] - start);
        }
        dbuf_putc(&p->line, '\n');
        emit(p, &p->line);
    }
    p->buffered = 0;
    dbuf_free(&p->cells);
}

static void table_row(dprinter *p, const dvec *batch, int64_t row, dbuf *tmp)
{
    if (p->widths_fixed) {
        table_row_start(&p->line);
        for (uint32_t c = 0; c < p->ncols; c++) {
            dbuf_reset(tmp);
            dvec_format_value(batch->children[c], row, DFMT_TEXT, tmp);
            dbuf_reset(&p->cell);
            table_cell_text(&p->cell, tmp);
            if (tmp->err && !p->cell.err)
                p->cell.err = tmp->err;
            if (p->cell.err && !p->err)
                p->err = p->cell.err;
            table_cell(p, &p->line, c, p->cell.data ? p->cell.data : (const uint8_t *)"",
                       p->cell.len);
        }
        dbuf_putc(&p->line, '\n');
        emit(p, &p->line);
        return;
    }
    for (uint32_t c = 0; c < p->ncols; c++) {
        dbuf_reset(tmp);
        dvec_format_value(batch->children[c], row, DFMT_TEXT, tmp);
        table_cell_text(&p->cells, tmp);
        if (tmp->err && !p->cells.err)
            p->cells.err = tmp->err;
        p->cell_end[(size_t)p->buffered * p->ncols + c] = p->cells.len;
    }
    p->buffered++;
    if (p->buffered == TABLE_BUFFER_ROWS)
        table_flush(p);
}

static void start(dprinter *p)
{
    if (p->started)
        return;
    p->started = true;
    if (p->kind == DPRINT_CSV) {
        for (uint32_t i = 0; i < p->ncols; i++) {
            if (i)
                dbuf_putc(&p->line, ',');
            const char *name = p->schema->fields[i].name;
            dfmt_csv_field(&p->line, name, strlen(name));
        }
        dbuf_putc(&p->line, '\n');
        emit(p, &p->line);
    } else if (p->kind == DPRINT_JSON) {
        dbuf_putc(&p->line, '[');
        emit(p, &p->line);
    }
}

static void json_row(dprinter *p, const dvec *batch, int64_t row)
{
    dbuf *b = &p->line;
    if (p->kind == DPRINT_JSON)
        dbuf_puts(b, p->rows ? ",\n" : "\n");
    dbuf_putc(b, '{');
    for (uint32_t c = 0; c < p->ncols; c++) {
        if (c)
            dbuf_putc(b, ',');
        const char *name = p->schema->fields[c].name;
        dfmt_json_string(b, name, strlen(name));
        dbuf_putc(b, ':');
        dvec_format_value(batch->children[c], row, DFMT_JSON, b);
    }
    dbuf_putc(b, '}');
    if (p->kind == DPRINT_NDJSON)
        dbuf_putc(b, '\n');
    emit(p, b);
}

int dprinter_write_range(dprinter *p, const dvec *batch, int64_t from, int64_t n)
{
    if (p->err)
        return p->err;
    if (!dtype_equal(batch->type, p->schema))
        return delta_error_set(DELTA_ETYPE, "batch does not have the printer's schema");
    if (from < 0 || n < 0 || from > batch->length || n > batch->length - from)
        return delta_error_set(DELTA_EINVAL, "rows [%lld, +%lld) outside a batch of %lld rows",
                               (long long)from, (long long)n, (long long)batch->length);
    start(p);
    dbuf tmp = DBUF_INIT;
    for (int64_t r = from; r < from + n && !p->err; r++) {
        switch (p->kind) {
        case DPRINT_TABLE: table_row(p, batch, r, &tmp); break;
        case DPRINT_CSV:
            for (uint32_t c = 0; c < p->ncols; c++) {
                if (c)
                    dbuf_putc(&p->line, ',');
                dvec_format_value(batch->children[c], r, DFMT_CSV, &p->line);
            }
            dbuf_putc(&p->line, '\n');
            emit(p, &p->line);
            break;
        case DPRINT_NDJSON:
        case DPRINT_JSON: json_row(p, batch, r); break;
        }
        if (p->cells.err && !p->err)
            p->err = p->cells.err;
        p->rows++;
    }
    if (tmp.err && !p->err)
        p->err = tmp.err;
    dbuf_free(&tmp);
    return p->err;
}

int dprinter_write(dprinter *p, const dvec *batch)
{
    return dprinter_write_range(p, batch, 0, batch->length);
}

int dprinter_finish(dprinter *p)
{
    start(p);
    if (p->kind == DPRINT_TABLE) {
        if (!p->widths_fixed)
            table_flush(p);
        table_border(p, &p->line);
        emit(p, &p->line);
    } else if (p->kind == DPRINT_JSON) {
        dbuf_puts(&p->line, p->rows ? "\n]\n" : "]\n");
        emit(p, &p->line);
    }
    if (!p->err && (fflush(p->fp) != 0 || ferror(p->fp)))
        p->err = delta_error_set(DELTA_EIO, "writing output failed");
    int rc = p->err;
    dprinter_free(p);
    return rc;
}
