/*
 * Single values: reading and appending one row of a vector, the total
 * order used by comparisons and statistics, casts between the types the
 * evaluator computes on (Spark's CAST, non-ANSI for unparsable text which
 * gives NULL, checked for values out of the target's range), text forms
 * of values (Spark's: "1.0", "1.0E10", "2024-01-31 10:20:30.5") and
 * date_trunc units.
 */
#include "expr/expr_internal.h"

#include "core/dtime.h"
#include "core/error.h"
#include "core/str.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool expr_type_evaluable(const dtype *t)
{
    switch (t->id) {
    case DT_NULL:
    case DT_BOOL:
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64:
    case DT_FLOAT32:
    case DT_FLOAT64:
    case DT_DECIMAL:
    case DT_DATE32:
    case DT_STRING:
    case DT_BINARY: return true;
    case DT_TIMESTAMP: return t->unit == DT_UNIT_MICRO;
    default: return false;
    }
}

bool expr_vec_get(const dvec *v, int64_t i, expr_value *out)
{
    memset(out, 0, sizeof *out);
    if (!dvec_is_valid(v, i)) {
        out->is_null = true;
        return false;
    }
    const void *p = v->values;
    switch (v->type->id) {
    case DT_BOOL: out->b = dbit_get(p, i); break;
    case DT_INT8: out->i = ((const int8_t *)p)[i]; break;
    case DT_INT16: out->i = ((const int16_t *)p)[i]; break;
    case DT_INT32:
    case DT_DATE32:
    case DT_TIME32: out->i = ((const int32_t *)p)[i]; break;
    case DT_INT64:
    case DT_TIME64:
    case DT_TIMESTAMP: out->i = ((const int64_t *)p)[i]; break;
    case DT_UINT8: out->i = ((const uint8_t *)p)[i]; break;
    case DT_UINT16: out->i = ((const uint16_t *)p)[i]; break;
    case DT_UINT32: out->i = ((const uint32_t *)p)[i]; break;
    case DT_UINT64: out->i = (int64_t)((const uint64_t *)p)[i]; break;
    case DT_FLOAT32: out->d = ((const float *)p)[i]; break;
    case DT_FLOAT64: out->d = ((const double *)p)[i]; break;
    case DT_DECIMAL: memcpy(&out->dec, (const uint8_t *)p + 16 * i, 16); break;
    case DT_STRING:
    case DT_BINARY: out->bytes = dvec_bytes(v, i, &out->len); break;
    case DT_FIXED_BINARY:
        out->bytes = (const uint8_t *)p + (size_t)v->type->width * (size_t)i;
        out->len = (size_t)v->type->width;
        break;
    default: break;
    }
    return true;
}

int expr_vec_put(dvec *v, const expr_value *x)
{
    if (x->is_null)
        return dvec_append_null(v);
    switch (v->type->id) {
    case DT_NULL: return dvec_append_null(v);
    case DT_BOOL: return dvec_append_bool(v, x->b);
    case DT_FLOAT32:
    case DT_FLOAT64: return dvec_append_double(v, x->d);
    case DT_DECIMAL: return dvec_append_fixed(v, &x->dec);
    case DT_STRING:
    case DT_BINARY:
    case DT_FIXED_BINARY: return dvec_append_bytes(v, x->bytes, x->len);
    default: return dvec_append_int(v, x->i);
    }
}

static int cmp_double(double a, double b)
{
    bool na = isnan(a), nb = isnan(b);
    if (na || nb)
        return na && nb ? 0 : na ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
}

int expr_value_cmp(const dtype *t, const expr_value *a, const expr_value *b)
{
    switch (t->id) {
    case DT_BOOL: return (int)a->b - (int)b->b;
    case DT_FLOAT32:
    case DT_FLOAT64: return cmp_double(a->d, b->d);
    case DT_DECIMAL: return a->dec < b->dec ? -1 : a->dec > b->dec ? 1 : 0;
    case DT_STRING:
    case DT_BINARY:
    case DT_FIXED_BINARY: {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->bytes, b->bytes, n) : 0;
        if (c)
            return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
    }
    default: return a->i < b->i ? -1 : a->i > b->i ? 1 : 0;
    }
}

/* ---- text forms ------------------------------------------------------------- */

/* Java's Double.toString / Float.toString: shortest digits that read back,
 * plain between 1e-3 and 1e7, else d.dddE±n; always a fraction digit. */
static void format_floating(dbuf *out, double d, bool is_float)
{
    if (isnan(d)) {
        dbuf_puts(out, "NaN");
        return;
    }
    if (isinf(d)) {
        dbuf_puts(out, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    if (d == 0) {
        dbuf_puts(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    char buf[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        double back = strtod(buf, NULL);
        if (is_float ? (float)back == (float)d : back == d)
            break;
    }
    /* buf: [-]d.ddde[+-]XX */
    char digits[32];
    int nd = 0;
    const char *c = buf;
    bool neg = *c == '-';
    if (neg)
        c++;
    for (; *c && *c != 'e'; c++)
        if (isdigit((unsigned char)*c))
            digits[nd++] = *c;
    int exp10 = atoi(c + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        dbuf_putc(out, '-');
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e7) {
        if (exp10 >= 0) {
            for (int k = 0; k <= exp10; k++)
                dbuf_putc(out, k < nd ? (uint8_t)digits[k] : '0');
            dbuf_putc(out, '.');
            if (nd > exp10 + 1)
                dbuf_append(out, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
            else
                dbuf_putc(out, '0');
        } else {
            dbuf_puts(out, "0.");
            for (int k = 0; k < -exp10 - 1; k++)
                dbuf_putc(out, '0');
            dbuf_append(out, digits, (size_t)nd);
        }
        return;
    }
    dbuf_putc(out, (uint8_t)digits[0]);
    dbuf_putc(out, '.');
    if (nd > 1)
        dbuf_append(out, digits + 1, (size_t)(nd - 1));
    else
        dbuf_putc(out, '0');
    dbuf_printf(out, "E%d", exp10);
}

static void format_timestamp(dbuf *out, int64_t us)
{
    size_t start = out->len;
    dtime_format_local(out, us);
    if (out->err)
        return;
    /* trim trailing zeros of the fraction (Spark prints .5, not .500) */
    char *s = (char *)out->data + start;
    char *dot = strchr(s, '.');
    if (dot) {
        size_t len = out->len - start;
        while (len > 0 && s[len - 1] == '0')
            len--;
        if (s + len - 1 == dot)
            len--;
        out->len = start + len;
        out->data[out->len] = '\0';
    }
}

static void format_value_text(dbuf *out, const dtype *t, const expr_value *v)
{
    switch (t->id) {
    case DT_BOOL: dbuf_puts(out, v->b ? "true" : "false"); break;
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64: dbuf_printf(out, "%" PRId64, v->i); break;
    case DT_FLOAT32: format_floating(out, v->d, true); break;
    case DT_FLOAT64: format_floating(out, v->d, false); break;
    case DT_DECIMAL: expr_format_decimal(out, v->dec, t->scale); break;
    case DT_DATE32: dtime_format_date(out, (int32_t)v->i); break;
    case DT_TIMESTAMP: format_timestamp(out, v->i); break;
    case DT_STRING:
    case DT_BINARY: dbuf_append(out, v->bytes, v->len); break;
    default: break;
    }
}

/* ---- parsing text ------------------------------------------------------------ */

static void trim_span(const uint8_t **p, size_t *n)
{
    while (*n && isspace(**p)) {
        (*p)++;
        (*n)--;
    }
    while (*n && isspace((*p)[*n - 1]))
        (*n)--;
}

/* "[+-]digits[.digits]" truncated toward zero; false when malformed or
 * out of int64. */
static bool parse_int_text(const uint8_t *p, size_t n, int64_t *out)
{
    trim_span(&p, &n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    if (i == n)
        return false;
    uint64_t v = 0;
    bool any = false;
    for (; i < n && isdigit(p[i]); i++) {
        any = true;
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (i < n && p[i] == '.') {
        i++;
        for (; i < n && isdigit(p[i]); i++)
            any = true;
    }
    if (i != n || !any)
        return false;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = (int64_t)(0 - v);
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

static bool parse_date_text(const uint8_t *p, size_t n, int64_t *days)
{
    trim_span(&p, &n);
    size_t i = 0;
    int64_t y = 0;
    unsigned m = 1, d = 1;
    int nd = 0;
    bool neg = false;
    if (i < n && (p[i] == '-' || p[i] == '+'))
        neg = p[i++] == '-';
    for (; i < n && isdigit(p[i]) && nd < 7; i++, nd++)
        y = y * 10 + (p[i] - '0');
    if (nd < 4)
        return false;
    if (neg)
        y = -y;
    if (i < n && p[i] == '-') {
        i++;
        nd = 0;
        m = 0;
        for (; i < n && isdigit(p[i]) && nd < 2; i++, nd++)
            m = m * 10 + (unsigned)(p[i] - '0');
        if (nd == 0)
            return false;
        if (i < n && p[i] == '-') {
            i++;
            nd = 0;
            d = 0;
            for (; i < n && isdigit(p[i]) && nd < 2; i++, nd++)
                d = d * 10 + (unsigned)(p[i] - '0');
            if (nd == 0)
                return false;
        }
    }
    if (i < n && p[i] != ' ' && p[i] != 'T')
        return false;
    if (m < 1 || m > 12 || d < 1)
        return false;
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    unsigned maxd = mdays[m - 1] + (m == 2 && leap ? 1 : 0);
    if (d > maxd)
        return false;
    *days = dtime_days_from_civil(y, m, d);
    return true;
}

static bool parse_ts_text(const uint8_t *p, size_t n, bool utc, int64_t *us)
{
    trim_span(&p, &n);
    char buf[96];
    if (n == 0 || n >= sizeof buf || memchr(p, 0, n))
        return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    int64_t v;
    int rc = utc ? dtime_parse_instant(buf, &v) : dtime_parse_local(buf, &v);
    if (rc == 0 && strspn(buf, "0123456789") != n) { /* all digits = epoch ms there; refuse */
        *us = v;
        return true;
    }
    int64_t days;
    if (parse_date_text(p, n, &days) && !memchr(p, ' ', n) && !memchr(p, 'T', n)) {
        *us = days * 86400000000LL;
        return true;
    }
    delta_error_clear();
    return false;
}

/* ---- UTF-8 ------------------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at p[0..n), or 0. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t min;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    uint32_t cp = c & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

static bool utf8_valid(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(p + i, n - i);
        if (!l)
            return false;
        i += l;
    }
    return true;
}

static void utf8_sanitize(const uint8_t *p, size_t n, dbuf *out)
{
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(p + i, n - i);
        if (l) {
            dbuf_append(out, p + i, l);
            i += l;
        } else {
            dbuf_puts(out, "\xef\xbf\xbd");
            i++;
        }
    }
}

/* ---- casts -------------------------------------------------------------------- */

static bool is_int_id(dtype_id id)
{
    return id == DT_INT8 || id == DT_INT16 || id == DT_INT32 || id == DT_INT64;
}

static bool is_num_id(dtype_id id)
{
    return is_int_id(id) || id == DT_FLOAT32 || id == DT_FLOAT64 || id == DT_DECIMAL;
}

bool expr_can_cast(const dtype *from, const dtype *to)
{
    dtype_id f = from->id, t = to->id;
    if (f == DT_NULL)
        return expr_type_evaluable(to);
    if (!expr_type_evaluable(to))
        return false;
    if (f == DT_TIMESTAMP) /* any unit */
        return t == DT_TIMESTAMP || t == DT_DATE32 || t == DT_STRING || is_int_id(t) ||
               t == DT_FLOAT64;
    if (!expr_type_evaluable(from))
        return false;
    if (f == t)
        return true;
    switch (t) {
    case DT_STRING: return true;
    case DT_BINARY: return f == DT_STRING;
    case DT_BOOL: return f == DT_STRING || is_num_id(f);
    case DT_DATE32: return f == DT_STRING;
    case DT_TIMESTAMP: return f == DT_STRING || f == DT_DATE32 || is_int_id(f);
    default: /* numeric */ return f == DT_STRING || f == DT_BOOL || is_num_id(f);
    }
}

static int64_t ts_to_micros(const dtype *t, int64_t v, bool *ok)
{
    *ok = true;
    int64_t r;
    switch (t->unit) {
    case DT_UNIT_SECOND:
        if (__builtin_mul_overflow(v, 1000000, &r))
            *ok = false;
        return r;
    case DT_UNIT_MILLI:
        if (__builtin_mul_overflow(v, 1000, &r))
            *ok = false;
        return r;
    case DT_UNIT_NANO: return expr_floordiv(v, 1000);
    default: return v;
    }
}

static void int_range(dtype_id id, int64_t *lo, int64_t *hi)
{
    switch (id) {
    case DT_INT8: *lo = INT8_MIN, *hi = INT8_MAX; break;
    case DT_INT16: *lo = INT16_MIN, *hi = INT16_MAX; break;
    case DT_INT32: *lo = INT32_MIN, *hi = INT32_MAX; break;
    default: *lo = INT64_MIN, *hi = INT64_MAX; break;
    }
}

static int range_error(const dtype *from, const expr_value *in, const dtype *to)
{
    dbuf a = DBUF_INIT, b = DBUF_INIT;
    format_value_text(&a, from, in);
    dtype_format(to, &b);
    int rc = delta_error_set(DELTA_ERANGE, "value %s is out of the range of %s", dbuf_cstr(&a),
                             dbuf_cstr(&b));
    dbuf_free(&a);
    dbuf_free(&b);
    return rc;
}

/* double -> int64 truncating, false when out of range or NaN */
static bool double_to_i64(double d, int64_t *out)
{
    if (isnan(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
        return false;
    *out = (int64_t)d;
    return true;
}

/* Through the shortest decimal text of d, as Spark's BigDecimal(d.toString). */
static bool double_to_dec(double d, unsigned precision, unsigned scale, expr_i128 *out)
{
    if (!isfinite(d))
        return false;
    char buf[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* plain digits: %.*f with enough fraction digits for the shortest form */
    char *e = strchr(buf, 'e');
    int exp10 = e ? atoi(e + 1) : 0;
    int frac = prec - 1 - exp10;
    if (frac < 0)
        frac = 0;
    if (exp10 > 40 || frac > 340)
        return false;
    char plain[512];
    snprintf(plain, sizeof plain, "%.*f", frac, d);
    return expr_dec_parse(plain, strlen(plain), precision, scale, out);
}

int expr_cast_value(const dtype *from, const expr_value *in, const dtype *to, expr_value *out,
                    dbuf *scratch)
{
    memset(out, 0, sizeof *out);
    if (in->is_null || from->id == DT_NULL) {
        out->is_null = true;
        return 0;
    }
    dtype_id f = from->id, t = to->id;
    expr_value x = *in;
    /* timestamps of other units are micros first */
    if (f == DT_TIMESTAMP && from->unit != DT_UNIT_MICRO) {
        bool ok;
        x.i = ts_to_micros(from, in->i, &ok);
        if (!ok)
            return range_error(from, in, to);
    }
    if (t == DT_STRING) {
        if (f == DT_STRING || (f == DT_BINARY && utf8_valid(x.bytes, x.len))) {
            out->bytes = x.bytes;
            out->len = x.len;
            return 0;
        }
        if (f == DT_BINARY) {
            /* bytes that are not UTF-8 become U+FFFD, as Java decodes them */
            dbuf_reset(scratch);
            utf8_sanitize(x.bytes, x.len, scratch);
            if (scratch->err)
                return scratch->err;
            out->bytes = scratch->data ? scratch->data : (const uint8_t *)"";
            out->len = scratch->len;
            return 0;
        }
        dbuf_reset(scratch);
        format_value_text(scratch, from, &x);
        if (scratch->err)
            return scratch->err;
        out->bytes = scratch->data ? scratch->data : (const uint8_t *)"";
        out->len = scratch->len;
        return 0;
    }
    if (t == DT_BINARY) {
        out->bytes = x.bytes;
        out->len = x.len;
        return 0;
    }
    if (f == DT_STRING) {
        const uint8_t *p = x.bytes;
        size_t n = x.len;
        switch (t) {
        case DT_BOOL: {
            trim_span(&p, &n);
            static const char *const yes[] = {"t", "true", "y", "yes", "1", NULL};
            static const char *const no[] = {"f", "false", "n", "no", "0", NULL};
            for (int k = 0; yes[k]; k++)
                if (strlen(yes[k]) == n && strncasecmp(yes[k], (const char *)p, n) == 0) {
                    out->b = true;
                    return 0;
                }
            for (int k = 0; no[k]; k++)
                if (strlen(no[k]) == n && strncasecmp(no[k], (const char *)p, n) == 0) {
                    out->b = false;
                    return 0;
                }
            out->is_null = true;
            return 0;
        }
        case DT_INT8:
        case DT_INT16:
        case DT_INT32:
        case DT_INT64: {
            int64_t v, lo, hi;
            int_range(t, &lo, &hi);
            if (!parse_int_text(p, n, &v) || v < lo || v > hi)
                out->is_null = true;
            else
                out->i = v;
            return 0;
        }
        case DT_FLOAT32:
        case DT_FLOAT64: {
            trim_span(&p, &n);
            char buf[128];
            double d;
            if (n == 0 || n >= sizeof buf || memchr(p, 0, n)) {
                out->is_null = true;
                return 0;
            }
            memcpy(buf, p, n);
            buf[n] = '\0';
            if (dstr_parse_double(buf, &d)) {
                delta_error_clear();
                out->is_null = true;
                return 0;
            }
            out->d = t == DT_FLOAT32 ? (double)(float)d : d;
            return 0;
        }
        case DT_DECIMAL:
            if (!expr_dec_parse((const char *)p, n, to->precision, to->scale, &out->dec))
                out->is_null = true;
            return 0;
        case DT_DATE32: {
            int64_t days;
            if (!parse_date_text(p, n, &days))
                out->is_null = true;
            else
                out->i = days;
            return 0;
        }
        case DT_TIMESTAMP: {
            int64_t us;
            if (!parse_ts_text(p, n, to->utc, &us))
                out->is_null = true;
            else
                out->i = us;
            return 0;
        }
        default: break;
        }
        return delta_error_set(DELTA_ETYPE, "cannot cast string to this type");
    }
    switch (t) {
    case DT_BOOL:
        switch (f) {
        case DT_BOOL: out->b = x.b; return 0;
        case DT_FLOAT32:
        case DT_FLOAT64: out->b = x.d != 0; return 0;
        case DT_DECIMAL: out->b = x.dec != 0; return 0;
        default: out->b = x.i != 0; return 0;
        }
    case DT_INT8:
    case DT_INT16:
    case DT_INT32:
    case DT_INT64: {
        int64_t v, lo, hi;
        int_range(t, &lo, &hi);
        switch (f) {
        case DT_BOOL: v = x.b; break;
        case DT_FLOAT32:
        case DT_FLOAT64:
            if (!double_to_i64(x.d, &v))
                return range_error(from, in, to);
            break;
        case DT_DECIMAL: {
            expr_i128 q = x.dec / expr_pow10(from->scale); /* truncates toward zero */
            if (q < INT64_MIN || q > INT64_MAX)
                return range_error(from, in, to);
            v = (int64_t)q;
            break;
        }
        case DT_TIMESTAMP: v = expr_floordiv(x.i, 1000000); break;
        default: v = x.i; break;
        }
        if (v < lo || v > hi)
            return range_error(from, in, to);
        out->i = v;
        return 0;
    }
    case DT_FLOAT32:
    case DT_FLOAT64: {
        double d;
        switch (f) {
        case DT_BOOL: d = x.b; break;
        case DT_FLOAT32:
        case DT_FLOAT64: d = x.d; break;
        case DT_DECIMAL: {
            /* exact text conversion gives the correctly rounded double */
            char buf[64];
            dbuf tb = DBUF_INIT;
            expr_format_decimal(&tb, x.dec, from->scale);
            snprintf(buf, sizeof buf, "%s", dbuf_cstr(&tb));
            dbuf_free(&tb);
            d = strtod(buf, NULL);
            break;
        }
        case DT_TIMESTAMP: d = (double)x.i / 1e6; break;
        default: d = (double)x.i; break;
        }
        if (t == DT_FLOAT32) {
            if (isfinite(d) && fabs(d) >= 3.4028235677973366e38) /* rounds to infinity */
                return range_error(from, in, to);
            d = (double)(float)d;
        }
        out->d = d;
        return 0;
    }
    case DT_DECIMAL: {
        expr_i128 v;
        switch (f) {
        case DT_BOOL: v = x.b ? expr_pow10(to->scale) : 0; break;
        case DT_FLOAT32:
        case DT_FLOAT64:
            if (!double_to_dec(x.d, to->precision, to->scale, &v))
                return range_error(from, in, to);
            break;
        case DT_DECIMAL:
            if (!expr_dec_rescale(x.dec, from->scale, to->scale, &v))
                return range_error(from, in, to);
            break;
        default:
            if (!expr_dec_rescale((expr_i128)x.i, 0, to->scale, &v))
                return range_error(from, in, to);
            break;
        }
        if (!expr_dec_fits(v, to->precision))
            return range_error(from, in, to);
        out->dec = v;
        return 0;
    }
    case DT_DATE32:
        if (f == DT_DATE32)
            out->i = x.i;
        else /* timestamp */
            out->i = expr_floordiv(x.i, 86400000000LL);
        return 0;
    case DT_TIMESTAMP:
        if (f == DT_TIMESTAMP) {
            out->i = x.i;
            return 0;
        }
        if (f == DT_DATE32) {
            out->i = x.i * 86400000000LL;
            return 0;
        }
        /* integers: seconds since the epoch */
        if (__builtin_mul_overflow(x.i, 1000000, &out->i))
            return range_error(from, in, to);
        return 0;
    default: break;
    }
    return delta_error_set(DELTA_ETYPE, "unsupported cast");
}

/* ---- datetime patterns ------------------------------------------------------------ */

bool expr_datetime_pattern_ok(const char *fmt, size_t n)
{
    for (size_t i = 0; i < n;) {
        char c = fmt[i];
        if (c == '\'') {
            const char *end = memchr(fmt + i + 1, '\'', n - i - 1);
            if (!end)
                return false;
            i = (size_t)(end - fmt) + 1;
            continue;
        }
        if (isalpha((unsigned char)c) && !strchr("yMdHmsS", c))
            return false;
        size_t j = i;
        while (j < n && fmt[j] == c)
            j++;
        if (c == 'S' && j - i > 6)
            return false;
        if (strchr("MdHms", c) && j - i > 2)
            return false;
        if (c == 'y' && j - i == 3)
            return false;
        i = j;
    }
    return n > 0;
}

bool expr_parse_datetime(const uint8_t *s, size_t n, const uint8_t *fmt, size_t fn, int64_t *us)
{
    int64_t year = 1970, f[6] = {1, 1, 0, 0, 0, 0}; /* month day hour minute second micros */
    size_t si = 0;
    for (size_t i = 0; i < fn;) {
        uint8_t c = fmt[i];
        if (c == '\'') {
            size_t j = i + 1;
            while (j < fn && fmt[j] != '\'') {
                if (si >= n || s[si] != fmt[j])
                    return false;
                si++;
                j++;
            }
            i = j + 1;
            continue;
        }
        size_t cnt = 0;
        while (i + cnt < fn && fmt[i + cnt] == c)
            cnt++;
        i += cnt;
        if (!strchr("yMdHmsS", c)) {
            for (size_t k = 0; k < cnt; k++) {
                if (si >= n || s[si] != c)
                    return false;
                si++;
            }
            continue;
        }
        size_t mind = cnt, maxd = cnt;
        if (cnt == 1) {
            mind = 1;
            maxd = c == 'y' ? 9 : 2;
        }
        if (c == 'S') {
            mind = 1;
            maxd = cnt;
        }
        int64_t v = 0;
        size_t d = 0;
        bool neg = false;
        if (c == 'y' && cnt == 1 && si < n && s[si] == '-') {
            neg = true;
            si++;
        }
        while (d < maxd && si < n && isdigit(s[si])) {
            v = v * 10 + (s[si] - '0');
            si++;
            d++;
        }
        if (d < mind)
            return false;
        switch (c) {
        case 'y': year = cnt == 2 ? 2000 + v : (neg ? -v : v); break;
        case 'M': f[0] = v; break;
        case 'd': f[1] = v; break;
        case 'H': f[2] = v; break;
        case 'm': f[3] = v; break;
        case 's': f[4] = v; break;
        default: /* fraction: scale to microseconds */
            for (size_t k = d; k < 6; k++)
                v *= 10;
            f[5] = v;
            break;
        }
    }
    if (si != n)
        return false;
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (f[0] < 1 || f[0] > 12 || f[1] < 1 || f[2] > 23 || f[3] > 59 || f[4] > 59)
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (f[1] > (int64_t)(mdays[f[0] - 1] + (f[0] == 2 && leap ? 1 : 0)))
        return false;
    int64_t days = dtime_days_from_civil(year, (unsigned)f[0], (unsigned)f[1]);
    *us = days * 86400000000LL + ((f[2] * 60 + f[3]) * 60 + f[4]) * 1000000LL + f[5];
    return true;
}

/* ---- date_trunc ----------------------------------------------------------------- */

int expr_trunc_unit(const char *s, size_t n)
{
    static const struct {
        const char *name;
        int unit;
    } units[] = {{"year", TRUNC_YEAR},       {"yyyy", TRUNC_YEAR},
                 {"yy", TRUNC_YEAR},         {"quarter", TRUNC_QUARTER},
                 {"month", TRUNC_MONTH},     {"mm", TRUNC_MONTH},
                 {"mon", TRUNC_MONTH},       {"week", TRUNC_WEEK},
                 {"day", TRUNC_DAY},         {"dd", TRUNC_DAY},
                 {"hour", TRUNC_HOUR},       {"minute", TRUNC_MINUTE},
                 {"second", TRUNC_SECOND},   {"millisecond", TRUNC_MILLISECOND},
                 {"microsecond", TRUNC_MICROSECOND}, {NULL, 0}};
    for (int k = 0; units[k].name; k++)
        if (strlen(units[k].name) == n && strncasecmp(units[k].name, s, n) == 0)
            return units[k].unit;
    return -1;
}

int64_t expr_trunc_micros(int unit, int64_t us)
{
    const int64_t day = 86400000000LL;
    int64_t days = expr_floordiv(us, day);
    switch (unit) {
    case TRUNC_MICROSECOND: return us;
    case TRUNC_MILLISECOND: return expr_floordiv(us, 1000) * 1000;
    case TRUNC_SECOND: return expr_floordiv(us, 1000000) * 1000000;
    case TRUNC_MINUTE: return expr_floordiv(us, 60000000) * 60000000;
    case TRUNC_HOUR: return expr_floordiv(us, 3600000000LL) * 3600000000LL;
    case TRUNC_DAY: return days * day;
    case TRUNC_WEEK: {
        /* 1970-01-01 was a Thursday; weeks start on Monday */
        int64_t dow = expr_floordiv(days + 3, 7) * 7 - 3;
        return dow * day;
    }
    default: {
        int64_t y;
        unsigned m, d;
        dtime_civil_from_days(days, &y, &m, &d);
        if (unit == TRUNC_YEAR)
            m = 1;
        else if (unit == TRUNC_QUARTER)
            m = (m - 1) / 3 * 3 + 1;
        return dtime_days_from_civil(y, m, 1) * day;
    }
    }
}

int expr_check_evaluable(const expr_node *n, bool allowed)
{
    if (n->kind == EX_COL && !allowed && !expr_type_evaluable(n->type)) {
        dbuf t = DBUF_INIT, s = DBUF_INIT;
        dtype_format(n->type, &t);
        expr_node_format(n, &s);
        int rc = delta_error_set(DELTA_ETYPE,
                                 "at position %u: column %s of type %s can only be tested with IS [NOT] NULL here",
                                 n->pos, dbuf_cstr(&s), dbuf_cstr(&t));
        dbuf_free(&t);
        dbuf_free(&s);
        return rc;
    }
    for (uint32_t k = 0; k < n->nargs; k++) {
        bool ok = n->kind == EX_ISNULL ||
                  (n->kind == EX_CAST && n->args[k]->type->id == DT_TIMESTAMP);
        int rc = expr_check_evaluable(n->args[k], ok);
        if (rc)
            return rc;
    }
    return 0;
}
