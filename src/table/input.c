/*
 * Input files for writes: NDJSON, CSV and Parquet read as streams of
 * batches.
 *
 * JSON and CSV are text: their values are converted to the table's column
 * types here, value by value, so a bad value is reported where it is
 * ("rows.ndjson:12: column 'quantity': expected int, got string \"two\"").
 * Files are read in 1 MiB pieces through the store (ranged gets), and
 * batches of `batch_rows` rows are handed out as they fill, so memory
 * does not grow with the file.
 *
 * NDJSON: one JSON object per line (blank lines skipped). Keys are matched
 * to columns exactly, else ASCII case-insensitively; a key the table lacks
 * is refused unless merge_schema, in which case a first pass over the file
 * collects the new keys and types them from their values (integers long,
 * other numbers double, booleans, strings, objects structs, arrays
 * arrays; a key only ever null becomes a string); new keys inside
 * existing struct columns are added the same way. Conversions: numbers to
 * integer columns when integral and in range, to float/double and decimal
 * (rounded half-up to the scale; more integer digits than the precision
 * allows is refused); strings to date ("2024-01-31"), timestamp (ISO-8601;
 * without a zone read as UTC), timestamp_ntz (no zone), decimal and
 * string; objects to structs and maps with string keys; arrays to arrays.
 * Anything else is refused.
 *
 * CSV: RFC 4180 with a header row naming the columns (quoted fields, ""
 * escapes, CR LF or LF, newlines inside quotes). An empty unquoted field
 * is null; a quoted empty field is the empty string. Text is parsed as the
 * column's type (true/false, integers, decimals, floats with NaN/Infinity,
 * dates, timestamps); nested columns take JSON text. Columns the table
 * lacks are refused unless merge_schema (then they are strings).
 *
 * Parquet: read with the library's Parquet reader, one row group at a
 * time; the batches keep the file's types and the writer aligns them.
 */
#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "core/str.h"
#include "parquet/record_reader.h"
#include "table/write.h"

#define CHUNK (1u << 20)

int dtab_input_format_of(const char *format, const char *path, dtab_input_format *out)
{
    const char *f = format;
    if (!f) {
        const char *dot = path ? strrchr(path, '.') : NULL;
        const char *slash = path ? strrchr(path, '/') : NULL;
        if (!dot || (slash && dot < slash))
            return delta_error_set(DELTA_EINVAL,
                                   "%s: cannot tell the format from the name; give the format "
                                   "(ndjson, csv or parquet)",
                                   path ? path : "input");
        f = dot + 1;
    }
    if (!strcasecmp(f, "ndjson") || !strcasecmp(f, "json") || !strcasecmp(f, "jsonl"))
        *out = DTAB_INPUT_NDJSON;
    else if (!strcasecmp(f, "csv"))
        *out = DTAB_INPUT_CSV;
    else if (!strcasecmp(f, "parquet"))
        *out = DTAB_INPUT_PARQUET;
    else
        return delta_error_set(DELTA_EINVAL, "unknown input format '%s' (ndjson, csv or parquet)",
                               f);
    return 0;
}

/* ---- byte source ----------------------------------------------------------- */

typedef struct src {
    delta_store *store;
    const char *key;
    uint64_t size, off;
    uint8_t *buf;
    size_t len, pos;
} src;

static int src_open(src *s, delta_store *store, const char *key, const char *display)
{
    memset(s, 0, sizeof *s);
    s->store = store;
    s->key = key;
    delta_object_info info;
    int rc = delta_store_head(store, key, &info);
    if (rc)
        return delta_error_prefix(rc, "%s: ", display);
    s->size = (uint64_t)info.size;
    s->buf = delta_malloc(CHUNK);
    return s->buf ? 0 : DELTA_ENOMEM;
}

static void src_close(src *s)
{
    delta_free(s->buf);
    s->buf = NULL;
}

static void src_rewind(src *s)
{
    s->off = 0;
    s->len = s->pos = 0;
}

/* The next byte, -1 at the end, or a negative error below -1. */
static int src_getc(src *s)
{
    if (s->pos == s->len) {
        if (s->off >= s->size)
            return -1;
        size_t want = s->size - s->off < CHUNK ? (size_t)(s->size - s->off) : CHUNK;
        size_t got = 0;
        int rc = delta_store_get_range(s->store, s->key, s->off, want, s->buf, &got);
        if (rc)
            return rc < -1 ? rc : DELTA_EIO;
        if (!got)
            return -1;
        s->off += got;
        s->len = got;
        s->pos = 0;
    }
    return s->buf[s->pos++];
}

/* Reads one line (without the newline) into line; 1 when a line was read,
 * 0 at the end, or an error. */
static int src_line(src *s, dbuf *line)
{
    dbuf_reset(line);
    int c = src_getc(s);
    if (c == -1)
        return 0;
    while (c >= 0 && c != '\n') {
        /* fast path: copy the rest of the buffer up to the newline */
        dbuf_putc(line, (uint8_t)c);
        const uint8_t *p = s->buf + s->pos;
        const uint8_t *nl = memchr(p, '\n', s->len - s->pos);
        size_t n = nl ? (size_t)(nl - p) : s->len - s->pos;
        dbuf_append(line, p, n);
        s->pos += n;
        c = src_getc(s);
    }
    if (c < -1)
        return c;
    if (line->len && line->data[line->len - 1] == '\r')
        line->len--;
    if (line->err)
        return line->err;
    return 1;
}

/* ---- value conversion ------------------------------------------------------ */

typedef struct cx {
    const char *file;
    int64_t line;
    dbuf path; /* column path of the value being converted */
} cx;

static int type_name_err(cx *c, const dtype *t, const char *fmt, const char *got)
{
    dbuf tn = DBUF_INIT;
    dtype_format(t, &tn);
    int rc = delta_error_set(DELTA_ETYPE, "%s:%lld: column '%s': expected %s, %s%s", c->file,
                             (long long)c->line, dbuf_cstr(&c->path), tn.err ? "?" : dbuf_cstr(&tn),
                             fmt, got ? got : "");
    dbuf_free(&tn);
    return rc;
}

static int value_err(cx *c, int rc, const char *what)
{
    return delta_error_set(rc == DELTA_ERANGE ? DELTA_ERANGE : DELTA_ETYPE,
                           "%s:%lld: column '%s': %s", c->file, (long long)c->line,
                           dbuf_cstr(&c->path), what);
}

/* "-12.345" (optionally with an exponent) as an unscaled decimal of
 * (precision, scale), rounding half-up. */
static int parse_decimal(const char *s, unsigned precision, unsigned scale, __int128 *out)
{
    const char *p = s;
    while (*p == ' ')
        p++;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    char digits[128];
    size_t nd = 0;
    long point = -1;
    bool any = false;
    for (; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (nd >= sizeof digits - 1)
                return DELTA_ERANGE;
            if (nd == 0 && *p == '0' && point < 0) {
                any = true;
                continue; /* leading zeros */
            }
            digits[nd++] = *p;
            any = true;
        } else if (*p == '.' && point < 0) {
            point = (long)nd;
        } else {
            break;
        }
    }
    if (!any)
        return DELTA_EINVAL;
    long exp = 0;
    if (*p == 'e' || *p == 'E') {
        char *end;
        exp = strtol(p + 1, &end, 10);
        if (end == p + 1 || exp > 100 || exp < -100)
            return DELTA_EINVAL;
        p = end;
    }
    while (*p == ' ')
        p++;
    if (*p)
        return DELTA_EINVAL;
    if (point < 0)
        point = (long)nd;
    /* value = digits * 10^(exp - (nd - point)); want unscaled at `scale` */
    long shift = exp - ((long)nd - point) + (long)scale;
    __int128 v = 0;
    __int128 limit = 1;
    for (unsigned i = 0; i < precision; i++)
        limit *= 10;
    long keep = (long)nd + (shift < 0 ? shift : 0);
    for (long i = 0; i < keep; i++) {
        v = v * 10 + (digits[i] - '0');
        if (v >= limit)
            return DELTA_ERANGE;
    }
    if (shift < 0 && keep >= 0 && keep < (long)nd && digits[keep] >= '5')
        v++;
    for (long i = 0; i < shift; i++) {
        v *= 10;
        if (v >= limit)
            return DELTA_ERANGE;
    }
    if (v >= limit)
        return DELTA_ERANGE;
    *out = neg ? -v : v;
    return 0;
}

static int append_text(dvec *v, const dtype *t, const char *s, size_t n, cx *c);
static int append_json(dvec *v, const dtype *t, json_t *j, cx *c);

static int append_decimal_text(dvec *v, const dtype *t, const char *s, cx *c)
{
    __int128 d;
    int rc = parse_decimal(s, t->precision, t->scale, &d);
    if (rc == DELTA_ERANGE)
        return value_err(c, rc, "value does not fit the decimal's precision");
    if (rc)
        return type_name_err(c, t, "got ", s);
    return dvec_append_fixed(v, &d);
}

static int append_text(dvec *v, const dtype *t, const char *s, size_t n, cx *c)
{
    (void)n;
    int rc;
    switch (t->id) {
    case DT_BOOL: {
        if (!strcasecmp(s, "true"))
            return dvec_append_bool(v, true);
        if (!strcasecmp(s, "false"))
            return dvec_append_bool(v, false);
        return type_name_err(c, t, "got ", s);
    }
    case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64: {
        int64_t x;
        if (dstr_parse_i64(s, &x))
            return type_name_err(c, t, "got ", s);
        rc = dvec_append_int(v, x);
        return rc == DELTA_ERANGE ? value_err(c, rc, "value out of range") : rc;
    }
    case DT_FLOAT32: case DT_FLOAT64: {
        double x;
        if (dstr_parse_double(s, &x))
            return type_name_err(c, t, "got ", s);
        return dvec_append_double(v, x);
    }
    case DT_DECIMAL:
        return append_decimal_text(v, t, s, c);
    case DT_DATE32: {
        int32_t d;
        if (dtime_parse_date(s, &d))
            return type_name_err(c, t, "got ", s);
        return dvec_append_int(v, d);
    }
    case DT_TIMESTAMP: {
        int64_t us;
        rc = t->utc ? dtime_parse_instant(s, &us) : dtime_parse_local(s, &us);
        if (rc && t->utc) { /* no zone: UTC */
            int64_t l;
            if (dtime_parse_local(s, &l) == 0) {
                us = l;
                rc = 0;
            }
        }
        if (rc)
            return type_name_err(c, t, "got ", s);
        return dvec_append_int(v, us);
    }
    case DT_STRING:
    case DT_BINARY:
        return dvec_append_bytes(v, s, strlen(s));
    case DT_STRUCT: case DT_LIST: case DT_MAP: {
        json_error_t je;
        json_t *j = json_loads(s, JSON_DECODE_ANY, &je);
        if (!j)
            return type_name_err(c, t, "got text that is not JSON: ", s);
        rc = append_json(v, t, j, c);
        json_decref(j);
        return rc;
    }
    default:
        return type_name_err(c, t, "a type this reader cannot fill", NULL);
    }
}

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int got_err(cx *c, const dtype *t, const json_t *j)
{
    char got[96];
    if (json_is_string(j))
        snprintf(got, sizeof got, "string \"%.60s\"", json_string_value(j));
    else
        snprintf(got, sizeof got, "%s", json_kind(j));
    return type_name_err(c, t, "got ", got);
}

/* The member of object o for a field name: exact, else case-insensitive. */
static json_t *member(json_t *o, const char *name)
{
    json_t *m = json_object_get(o, name);
    if (m)
        return m;
    const char *k;
    json_t *val;
    json_object_foreach(o, k, val)
    {
        if (strcasecmp(k, name) == 0)
            return val;
    }
    return NULL;
}

static int check_keys(json_t *o, const dtype *st, cx *c)
{
    const char *k;
    json_t *val;
    json_object_foreach(o, k, val)
    {
        if (dtype_field_index(st, k, false) < 0 && dtype_field_index(st, k, true) < 0) {
            size_t mark = c->path.len;
            if (mark)
                dbuf_putc(&c->path, '.');
            dbuf_puts(&c->path, k);
            int rc = delta_error_set(DELTA_EINVAL,
                                     "%s:%lld: unknown column '%s': the table has no such "
                                     "column (--merge-schema adds it)",
                                     c->file, (long long)c->line, dbuf_cstr(&c->path));
            c->path.len = mark;
            return rc;
        }
    }
    return 0;
}

static int append_struct_fields(dvec *v, const dtype *t, json_t *o, cx *c)
{
    int rc = check_keys(o, t, c);
    for (uint32_t i = 0; i < t->num_fields && !rc; i++) {
        size_t mark = c->path.len;
        if (mark)
            dbuf_putc(&c->path, '.');
        dbuf_puts(&c->path, t->fields[i].name);
        rc = append_json(v->children[i], t->fields[i].type, member(o, t->fields[i].name), c);
        c->path.len = mark;
        if (c->path.data)
            c->path.data[mark] = 0;
    }
    return rc;
}

static int append_json(dvec *v, const dtype *t, json_t *j, cx *c)
{
    if (!j || json_is_null(j))
        return dvec_append_null(v);
    int rc;
    switch (t->id) {
    case DT_BOOL:
        if (!json_is_boolean(j))
            return got_err(c, t, j);
        return dvec_append_bool(v, json_is_true(j));
    case DT_INT8: case DT_INT16: case DT_INT32: case DT_INT64: {
        int64_t x;
        if (json_is_integer(j)) {
            x = json_integer_value(j);
        } else if (json_is_real(j)) {
            double d = json_real_value(j);
            if (d != floor(d) || fabs(d) > 9.2e18)
                return got_err(c, t, j);
            x = (int64_t)d;
        } else {
            return got_err(c, t, j);
        }
        rc = dvec_append_int(v, x);
        return rc == DELTA_ERANGE ? value_err(c, rc, "value out of range") : rc;
    }
    case DT_FLOAT32: case DT_FLOAT64:
        if (json_is_number(j))
            return dvec_append_double(v, json_number_value(j));
        if (json_is_string(j))
            return append_text(v, t, json_string_value(j), json_string_length(j), c);
        return got_err(c, t, j);
    case DT_DECIMAL: {
        char buf[64];
        if (json_is_integer(j))
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(j));
        else if (json_is_real(j))
            snprintf(buf, sizeof buf, "%.17g", json_real_value(j));
        else if (json_is_string(j))
            return append_decimal_text(v, t, json_string_value(j), c);
        else
            return got_err(c, t, j);
        return append_decimal_text(v, t, buf, c);
    }
    case DT_DATE32: case DT_TIMESTAMP:
        if (!json_is_string(j))
            return got_err(c, t, j);
        return append_text(v, t, json_string_value(j), json_string_length(j), c);
    case DT_STRING: case DT_BINARY:
        if (!json_is_string(j))
            return got_err(c, t, j);
        return dvec_append_bytes(v, json_string_value(j), json_string_length(j));
    case DT_STRUCT:
        if (!json_is_object(j))
            return got_err(c, t, j);
        if ((rc = append_struct_fields(v, t, j, c)))
            return rc;
        return dvec_end_struct(v);
    case DT_LIST: {
        if (!json_is_array(j))
            return got_err(c, t, j);
        size_t i;
        json_t *e;
        json_array_foreach(j, i, e)
        {
            if ((rc = append_json(v->children[0], t->fields[0].type, e, c)))
                return rc;
        }
        return dvec_end_list(v);
    }
    case DT_MAP: {
        const dtype *entries = t->fields[0].type;
        if (!json_is_object(j) || entries->fields[0].type->id != DT_STRING)
            return got_err(c, t, j);
        dvec *ev = v->children[0];
        const char *k;
        json_t *val;
        json_object_foreach(j, k, val)
        {
            if ((rc = dvec_append_bytes(ev->children[0], k, strlen(k))) ||
                (rc = append_json(ev->children[1], entries->fields[1].type, val, c)) ||
                (rc = dvec_end_struct(ev)))
                return rc;
        }
        return dvec_end_list(v);
    }
    default:
        return type_name_err(c, t, "a type this reader cannot fill", NULL);
    }
}

/* ---- schema inference for --merge-schema (NDJSON) -------------------------- */

static dtype *infer(json_t *j);

static dtype *infer_object(json_t *o)
{
    size_t n = json_object_size(o), i = 0;
    dfield *f = delta_calloc(n ? n : 1, sizeof *f);
    if (!f)
        return NULL;
    const char *k;
    json_t *val;
    json_object_foreach(o, k, val)
    {
        dtype *t = infer(val);
        if (!t)
            t = dtype_new(DT_NULL);
        if (!t || dfield_init(&f[i], k, t, true)) {
            for (size_t x = 0; x < i; x++)
                dfield_clear(&f[x]);
            delta_free(f);
            return NULL;
        }
        i++;
    }
    dtype *st = dtype_new_struct(f, (uint32_t)i);
    delta_free(f);
    return st;
}

static dtype *merge_observed(dtype *a, dtype *b);

/* The type of a JSON value; NULL for JSON null (unknown yet). */
static dtype *infer(json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return infer_object(j);
    case JSON_ARRAY: {
        dtype *el = NULL;
        size_t i;
        json_t *e;
        json_array_foreach(j, i, e)
        {
            dtype *t = infer(e);
            el = merge_observed(el, t);
        }
        if (!el)
            el = dtype_new(DT_NULL);
        dfield f;
        if (!el || dfield_init(&f, "element", el, true))
            return NULL;
        return dtype_new_list(f);
    }
    case JSON_STRING: return dtype_new(DT_STRING);
    case JSON_INTEGER: return dtype_new(DT_INT64);
    case JSON_REAL: return dtype_new(DT_FLOAT64);
    case JSON_TRUE:
    case JSON_FALSE: return dtype_new(DT_BOOL);
    default: return NULL;
    }
}

/* Merges two observed types (takes both references). Conflicting leaves
 * become strings... except integer/double, which become double. */
static dtype *merge_observed(dtype *a, dtype *b)
{
    if (!a || a->id == DT_NULL) {
        dtype_unref(a);
        return b;
    }
    if (!b || b->id == DT_NULL) {
        dtype_unref(b);
        return a;
    }
    dtype *r = NULL;
    if (a->id == DT_STRUCT && b->id == DT_STRUCT) {
        uint32_t n = a->num_fields + b->num_fields, k = 0;
        dfield *f = delta_calloc(n ? n : 1, sizeof *f);
        if (!f)
            goto done;
        for (uint32_t i = 0; i < a->num_fields; i++) {
            int bi = dtype_field_index(b, a->fields[i].name, false);
            dtype *t = dtype_ref(a->fields[i].type);
            if (bi >= 0)
                t = merge_observed(t, dtype_ref(b->fields[bi].type));
            if (!t || dfield_init(&f[k++], a->fields[i].name, t, true))
                goto fail;
        }
        for (uint32_t i = 0; i < b->num_fields; i++) {
            if (dtype_field_index(a, b->fields[i].name, false) >= 0)
                continue;
            if (dfield_init(&f[k++], b->fields[i].name, dtype_ref(b->fields[i].type), true))
                goto fail;
        }
        r = dtype_new_struct(f, k);
        delta_free(f);
        goto done;
    fail:
        for (uint32_t i = 0; i < k; i++)
            dfield_clear(&f[i]);
        delta_free(f);
        goto done;
    }
    if (a->id == DT_LIST && b->id == DT_LIST) {
        dtype *el = merge_observed(dtype_ref(a->fields[0].type), dtype_ref(b->fields[0].type));
        dfield f;
        if (el && dfield_init(&f, "element", el, true) == 0)
            r = dtype_new_list(f);
        goto done;
    }
    if (a->id == b->id) {
        r = dtype_ref(a);
    } else if ((a->id == DT_INT64 || a->id == DT_FLOAT64) &&
               (b->id == DT_INT64 || b->id == DT_FLOAT64)) {
        r = dtype_new(DT_FLOAT64);
    } else {
        r = dtype_new(DT_STRING);
    }
done:
    dtype_unref(a);
    dtype_unref(b);
    return r;
}

/* Replaces NULL leaves (keys only ever null) by string. */
static dtype *settle(const dtype *t)
{
    if (t->id == DT_NULL)
        return dtype_new(DT_STRING);
    if (t->id == DT_LIST) {
        dtype *el = settle(t->fields[0].type);
        dfield f;
        if (!el || dfield_init(&f, "element", el, true))
            return NULL;
        return dtype_new_list(f);
    }
    if (t->id != DT_STRUCT)
        return dtype_ref(t);
    dfield *f = delta_calloc(t->num_fields ? t->num_fields : 1, sizeof *f);
    if (!f)
        return NULL;
    for (uint32_t i = 0; i < t->num_fields; i++) {
        dtype *c = settle(t->fields[i].type);
        if (!c || dfield_init(&f[i], t->fields[i].name, c, true)) {
            for (uint32_t x = 0; x < i; x++)
                dfield_clear(&f[x]);
            delta_free(f);
            return NULL;
        }
    }
    dtype *r = dtype_new_struct(f, t->num_fields);
    delta_free(f);
    return r;
}

/* The table schema with what `obs` has and it lacks added (fields
 * matched case-insensitively; existing leaves keep the table's type). */
static int add_missing(const dtype *table, const dtype *obs, dtype **out)
{
    if (table->id == DT_LIST && obs->id == DT_LIST) {
        dtype *el;
        int rc = add_missing(table->fields[0].type, obs->fields[0].type, &el);
        if (rc)
            return rc;
        dfield f;
        if ((rc = dfield_init(&f, table->fields[0].name, el, table->fields[0].nullable)))
            return rc;
        *out = dtype_new_list(f);
        return *out ? 0 : DELTA_ENOMEM;
    }
    if (table->id != DT_STRUCT || obs->id != DT_STRUCT) {
        *out = dtype_ref(table);
        return 0;
    }
    uint32_t n = table->num_fields + obs->num_fields, k = 0;
    dfield *f = delta_calloc(n ? n : 1, sizeof *f);
    if (!f)
        return DELTA_ENOMEM;
    int rc = 0;
    for (uint32_t i = 0; i < table->num_fields && !rc; i++) {
        const dfield *tf = &table->fields[i];
        int oi = dtype_field_index(obs, tf->name, false);
        if (oi < 0)
            oi = dtype_field_index(obs, tf->name, true);
        dtype *t;
        if (oi >= 0)
            rc = add_missing(tf->type, obs->fields[oi].type, &t);
        else
            t = dtype_ref(tf->type);
        if (!rc && !(rc = dfield_init(&f[k], tf->name, t, tf->nullable))) {
            f[k].id = tf->id;
            if (tf->metadata && !(f[k].metadata = delta_strdup(tf->metadata)))
                rc = DELTA_ENOMEM;
            k++;
        }
    }
    for (uint32_t i = 0; i < obs->num_fields && !rc; i++) {
        const dfield *of = &obs->fields[i];
        if (dtype_field_index(table, of->name, true) != -1)
            continue;
        dtype *t = settle(of->type);
        if (!t)
            rc = DELTA_ENOMEM;
        else if (!(rc = dfield_init(&f[k], of->name, t, true)))
            k++;
    }
    if (!rc) {
        *out = dtype_new_struct(f, k);
        rc = *out ? 0 : delta_error_last_code();
    } else {
        for (uint32_t i = 0; i < k; i++)
            dfield_clear(&f[i]);
    }
    delta_free(f);
    return rc;
}

/* ---- CSV ------------------------------------------------------------------- */

/* Reads one record into fields (NUL-separated in buf; quoted[i] says
 * whether field i was quoted). Returns 1, 0 at the end, or an error. */
typedef struct csv_rec {
    dbuf buf;
    size_t *starts;
    bool *quoted;
    size_t n, cap;
} csv_rec;

static int csv_push(csv_rec *r, size_t start, bool q)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        size_t *s = delta_realloc(r->starts, cap * sizeof *s);
        if (!s)
            return DELTA_ENOMEM;
        r->starts = s;
        bool *qq = delta_realloc(r->quoted, cap * sizeof *qq);
        if (!qq)
            return DELTA_ENOMEM;
        r->quoted = qq;
        r->cap = cap;
    }
    r->starts[r->n] = start;
    r->quoted[r->n] = q;
    r->n++;
    return 0;
}

static int csv_read(src *s, csv_rec *r, int64_t *line, const char *file)
{
    dbuf_reset(&r->buf);
    r->n = 0;
    int c = src_getc(s);
    if (c == -1)
        return 0;
    int64_t start_line = *line + 1;
    size_t start = 0;
    bool quoted = false, in_quotes = false, after_quote = false;
    for (;;) {
        if (c < -1)
            return c;
        if (in_quotes) {
            if (c == -1)
                return delta_error_set(DELTA_EINVAL, "%s:%lld: unterminated quoted field",
                                       file, (long long)start_line);
            if (c == '"') {
                int d = src_getc(s);
                if (d == '"') {
                    dbuf_putc(&r->buf, '"');
                } else {
                    in_quotes = false;
                    after_quote = true;
                    c = d;
                    continue;
                }
            } else {
                if (c == '\n')
                    (*line)++;
                dbuf_putc(&r->buf, (uint8_t)c);
            }
            c = src_getc(s);
            continue;
        }
        if (c == ',' || c == '\n' || c == -1 || c == '\r') {
            if (c == '\r') {
                int d = src_getc(s);
                if (d != '\n' && d != -1)
                    return delta_error_set(DELTA_EINVAL, "%s:%lld: bare CR in a record", file,
                                           (long long)start_line);
                c = d == -1 ? -1 : '\n';
            }
            dbuf_putc(&r->buf, 0);
            int rc = csv_push(r, start, quoted);
            if (rc)
                return rc;
            if (c != ',') {
                (*line)++;
                return r->buf.err ? r->buf.err : 1;
            }
            start = r->buf.len;
            quoted = after_quote = false;
            c = src_getc(s);
            continue;
        }
        if (after_quote)
            return delta_error_set(DELTA_EINVAL, "%s:%lld: text after a closing quote", file,
                                   (long long)start_line);
        if (c == '"' && r->buf.len == start) {
            in_quotes = quoted = true;
        } else {
            dbuf_putc(&r->buf, (uint8_t)c);
        }
        c = src_getc(s);
    }
}

/* ---- the stream ------------------------------------------------------------ */

typedef struct in_stream {
    dstream base;
    dtype *schema;
    dtab_input_format format;
    src src;
    cx cx;
    char *display;
    int64_t batch_rows;
    bool done;
    dbuf line;
    /* CSV */
    csv_rec rec;
    int *col_field; /* header column -> field index */
    size_t ncols;
    /* Parquet */
    pq_reader *reader;
    dstream *inner;
} in_stream;

static void in_free(dstream *ds)
{
    in_stream *s = (in_stream *)ds;
    if (s->inner)
        s->inner->free(s->inner);
    pq_reader_free(s->reader);
    src_close(&s->src);
    dbuf_free(&s->line);
    dbuf_free(&s->cx.path);
    dbuf_free(&s->rec.buf);
    delta_free(s->rec.starts);
    delta_free(s->rec.quoted);
    delta_free(s->col_field);
    delta_free(s->display);
    dtype_unref(s->schema);
    delta_free(s);
}

static int ndjson_row(in_stream *s, dvec *batch)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)s->line.data, s->line.len, 0, &je);
    if (!j)
        return delta_error_set(DELTA_EINVAL, "%s:%lld: not JSON: %s (column %d)", s->display,
                               (long long)s->cx.line, je.text, je.column);
    int rc;
    if (!json_is_object(j)) {
        rc = delta_error_set(DELTA_EINVAL, "%s:%lld: expected a JSON object, got %s",
                             s->display, (long long)s->cx.line, json_kind(j));
    } else {
        dbuf_reset(&s->cx.path);
        rc = append_struct_fields(batch, s->schema, j, &s->cx);
    }
    json_decref(j);
    return rc;
}

static int csv_row(in_stream *s, dvec *batch)
{
    if (s->rec.n != s->ncols)
        return delta_error_set(DELTA_EINVAL, "%s:%lld: %zu fields, the header has %zu",
                               s->display, (long long)s->cx.line, s->rec.n, s->ncols);
    const dtype *t = s->schema;
    for (uint32_t f = 0; f < t->num_fields; f++) {
        size_t col = s->ncols;
        for (size_t k = 0; k < s->ncols; k++)
            if (s->col_field[k] == (int)f)
                col = k;
        dvec *v = batch->children[f];
        int rc;
        if (col == s->ncols) {
            rc = dvec_append_null(v);
        } else {
            const char *text = (const char *)s->rec.buf.data + s->rec.starts[col];
            dbuf_reset(&s->cx.path);
            dbuf_puts(&s->cx.path, t->fields[f].name);
            if (!*text && !s->rec.quoted[col])
                rc = dvec_append_null(v);
            else
                rc = append_text(v, t->fields[f].type, text, strlen(text), &s->cx);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int in_next(dstream *ds, dvec **out)
{
    in_stream *s = (in_stream *)ds;
    *out = NULL;
    if (s->format == DTAB_INPUT_PARQUET)
        return s->inner->next(s->inner, out);
    if (s->done)
        return 0;
    dvec *batch;
    int rc = dbatch_new(&batch, s->schema);
    if (rc)
        return rc;
    int64_t rows = 0;
    while (rows < s->batch_rows) {
        if (s->format == DTAB_INPUT_NDJSON) {
            rc = src_line(&s->src, &s->line);
            if (rc <= 0)
                break;
            s->cx.line++;
            size_t i = 0;
            while (i < s->line.len && isspace(s->line.data[i]))
                i++;
            if (i == s->line.len)
                continue;
            rc = ndjson_row(s, batch);
        } else {
            int64_t before = s->cx.line;
            rc = csv_read(&s->src, &s->rec, &s->cx.line, s->display);
            if (rc <= 0)
                break;
            s->cx.line = before + 1; /* messages name the record's first line */
            rc = csv_row(s, batch);
        }
        if (rc)
            break;
        rows++;
    }
    if (rc < 0) {
        dvec_unref(batch);
        return rc;
    }
    if (rows < s->batch_rows)
        s->done = true;
    if (!rows) {
        dvec_unref(batch);
        return 0;
    }
    if ((rc = dbatch_seal(batch))) {
        dvec_unref(batch);
        return rc;
    }
    *out = batch;
    return 0;
}

/* First pass over an NDJSON file: the merged type of its objects. */
static int ndjson_observe(in_stream *s, dtype **out)
{
    *out = NULL;
    int64_t line = 0;
    int rc;
    while ((rc = src_line(&s->src, &s->line)) == 1) {
        line++;
        size_t i = 0;
        while (i < s->line.len && isspace(s->line.data[i]))
            i++;
        if (i == s->line.len)
            continue;
        json_error_t je;
        json_t *j = json_loadb((const char *)s->line.data, s->line.len, 0, &je);
        if (!j || !json_is_object(j)) {
            json_decref(j);
            rc = delta_error_set(DELTA_EINVAL, "%s:%lld: expected a JSON object", s->display,
                                 (long long)line);
            break;
        }
        dtype *t = infer(j);
        json_decref(j);
        if (!t) {
            rc = DELTA_ENOMEM;
            break;
        }
        *out = merge_observed(*out, t);
        if (!*out) {
            rc = DELTA_ENOMEM;
            break;
        }
    }
    src_rewind(&s->src);
    if (rc < 0) {
        dtype_unref(*out);
        *out = NULL;
        return rc;
    }
    return 0;
}

static int csv_header(in_stream *s, bool merge)
{
    int rc = csv_read(&s->src, &s->rec, &s->cx.line, s->display);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return delta_error_set(DELTA_EINVAL, "%s: empty file (a CSV input needs a header row)",
                               s->display);
    rc = 0;
    s->ncols = s->rec.n;
    s->col_field = delta_calloc(s->ncols, sizeof *s->col_field);
    if (!s->col_field)
        return DELTA_ENOMEM;
    /* new columns first (strings), then map every header to a field */
    dfield *extra = delta_calloc(s->ncols, sizeof *extra);
    if (!extra)
        return DELTA_ENOMEM;
    uint32_t nextra = 0;
    for (size_t k = 0; k < s->ncols && !rc; k++) {
        const char *name = (const char *)s->rec.buf.data + s->rec.starts[k];
        if (!*name) {
            rc = delta_error_set(DELTA_EINVAL, "%s:1: column %zu of the header has no name",
                                 s->display, k + 1);
            break;
        }
        for (size_t x = 0; x < k && !rc; x++)
            if (strcasecmp(name, (const char *)s->rec.buf.data + s->rec.starts[x]) == 0)
                rc = delta_error_set(DELTA_EINVAL, "%s:1: column '%s' appears twice in the header",
                                     s->display, name);
        if (rc)
            break;
        int fi = dtype_field_index(s->schema, name, false);
        if (fi < 0)
            fi = dtype_field_index(s->schema, name, true);
        if (fi >= 0)
            continue;
        if (!merge) {
            rc = delta_error_set(DELTA_EINVAL,
                                 "%s:1: unknown column '%s': the table has no such column "
                                 "(--merge-schema adds it)",
                                 s->display, name);
            break;
        }
        dtype *st = dtype_new(DT_STRING);
        rc = st ? dfield_init(&extra[nextra], name, st, true) : DELTA_ENOMEM;
        if (!rc)
            nextra++;
    }
    if (!rc && nextra) {
        uint32_t n = s->schema->num_fields;
        dfield *all = delta_calloc(n + nextra, sizeof *all);
        if (!all) {
            rc = DELTA_ENOMEM;
        } else {
            for (uint32_t i = 0; i < n && !rc; i++) {
                const dfield *tf = &s->schema->fields[i];
                rc = dfield_init(&all[i], tf->name, dtype_ref(tf->type), tf->nullable);
                all[i].id = tf->id;
                if (!rc && tf->metadata && !(all[i].metadata = delta_strdup(tf->metadata)))
                    rc = DELTA_ENOMEM;
            }
            uint32_t added = nextra;
            for (uint32_t i = 0; i < nextra; i++) {
                all[n + i] = extra[i];
                memset(&extra[i], 0, sizeof extra[i]);
            }
            nextra = 0;
            if (!rc) {
                dtype *merged = dtype_new_struct(all, n + added);
                if (!merged) {
                    rc = delta_error_last_code();
                } else {
                    dtype_unref(s->schema);
                    s->schema = merged;
                }
            } else {
                for (uint32_t i = 0; i < n + added; i++)
                    dfield_clear(&all[i]);
            }
            delta_free(all);
        }
    }
    for (uint32_t i = 0; i < nextra; i++)
        dfield_clear(&extra[i]);
    delta_free(extra);
    if (rc)
        return rc;
    for (size_t k = 0; k < s->ncols; k++) {
        const char *name = (const char *)s->rec.buf.data + s->rec.starts[k];
        int fi = dtype_field_index(s->schema, name, false);
        if (fi < 0)
            fi = dtype_field_index(s->schema, name, true);
        s->col_field[k] = fi;
    }
    return 0;
}

int dtab_input_open(dstream **out, delta_store *store, const char *key, const char *display,
                    dtab_input_format format, const dtype *schema, bool merge_schema,
                    int64_t batch_rows)
{
    *out = NULL;
    in_stream *s = delta_calloc(1, sizeof *s);
    if (!s)
        return DELTA_ENOMEM;
    s->base.next = in_next;
    s->base.free = in_free;
    s->format = format;
    s->batch_rows = batch_rows > 0 ? batch_rows : 8192;
    s->display = delta_strdup(display);
    s->cx.file = s->display;
    int rc = s->display ? 0 : DELTA_ENOMEM;
    if (!rc && format == DTAB_INPUT_PARQUET) {
        rc = pq_reader_open(&s->reader, store, key, NULL);
        if (!rc)
            rc = pq_reader_stream(s->reader, &s->inner);
        if (!rc)
            s->schema = dtype_ref(pq_reader_schema(s->reader));
        if (rc)
            rc = delta_error_prefix(rc, "%s: ", display);
    } else if (!rc) {
        rc = src_open(&s->src, store, key, display);
        s->schema = dtype_ref(schema);
        if (!rc && merge_schema && format == DTAB_INPUT_NDJSON) {
            dtype *obs = NULL;
            rc = ndjson_observe(s, &obs);
            if (!rc && obs) {
                dtype *merged;
                rc = add_missing(schema, obs, &merged);
                if (!rc) {
                    dtype_unref(s->schema);
                    s->schema = merged;
                }
            }
            dtype_unref(obs);
        }
        if (!rc && format == DTAB_INPUT_CSV)
            rc = csv_header(s, merge_schema);
    }
    if (rc) {
        in_free(&s->base);
        return rc;
    }
    s->base.schema = s->schema;
    *out = &s->base;
    return 0;
}
