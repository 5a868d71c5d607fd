/*
 * Seeded random types and vectors for property tests (header-only).
 *
 *     dgen g;
 *     dgen_init(&g, seed, DGEN_DELTA_TYPES);   // only what Delta can store
 *     dtype *schema = dgen_schema(&g, 5);      // struct of 5 random columns
 *     dvec *batch;
 *     dgen_batch(&g, schema, 1000, &batch);    // 1000 random rows
 *
 * The same seed and flags give the same types and values on every
 * platform. Values lean on the edges: nulls (in every nullable position),
 * empty strings, lists and maps, INT64_MIN/MAX and friends, NaN, -0.0 and
 * infinities, decimals of full precision, dates and timestamps far from
 * 1970, strings with quotes, commas, newlines and multi-byte UTF-8. Map
 * keys are never null but may repeat within a row.
 *
 * Flags restrict the types to what a consumer supports; the knobs in
 * struct dgen (set after dgen_init) bound the shapes.
 */
#ifndef DELTA_TEST_DGEN_H
#define DELTA_TEST_DGEN_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "columnar/types.h"
#include "columnar/vector.h"

enum {
    DGEN_NO_NESTED = 1 << 0,       /* no STRUCT, LIST, MAP (except dgen_schema's struct) */
    DGEN_NO_MAP = 1 << 1,          /* no MAP */
    DGEN_NO_UNSIGNED = 1 << 2,     /* no UINT8..UINT64 */
    DGEN_NO_FLOAT16 = 1 << 3,      /* no FLOAT16 */
    DGEN_NO_TIME = 1 << 4,         /* no TIME32/TIME64 */
    DGEN_NO_FIXED_BINARY = 1 << 5, /* no FIXED_BINARY */
    DGEN_NO_NULL_TYPE = 1 << 6,    /* no DT_NULL columns */
    DGEN_NO_ANNOT = 1 << 7,        /* no annotations (JSON, UUID, ...) */
    DGEN_NO_NANO = 1 << 8,         /* timestamps in microseconds only */
    DGEN_NO_NULLS = 1 << 9,        /* no null values anywhere */
    DGEN_NO_LIST = 1 << 10,        /* no LIST */
    DGEN_NO_TIME_NANO = 1 << 11,   /* no TIME64 in nanoseconds (other TIME units stay) */
    /* timestamps in seconds and milliseconds (edges included) stay within
     * what int64 microseconds can hold */
    DGEN_TS_FIT_MICROS = 1 << 12,
    /* strings annotated JSON hold JSON texts (a string literal of the
     * usual random text); without it they hold any text */
    DGEN_JSON_TEXT = 1 << 13,
    /* no UTC-adjusted timestamps in nanoseconds (so no INT96 either);
     * wall-clock ones in nanoseconds stay */
    DGEN_NO_UTC_NANO = 1 << 14,
    DGEN_NO_BSON = 1 << 15,        /* no BSON annotation (other annotations stay) */
    /* Delta Lake's types only: boolean, byte..long, float, double,
     * decimal, date, timestamp and timestamp_ntz (us), string, binary,
     * struct, array, map. */
    DGEN_DELTA_TYPES = DGEN_NO_UNSIGNED | DGEN_NO_FLOAT16 | DGEN_NO_TIME | DGEN_NO_FIXED_BINARY |
                       DGEN_NO_NULL_TYPE | DGEN_NO_ANNOT | DGEN_NO_NANO
};

typedef struct dgen {
    uint64_t state;
    unsigned flags;
    int max_depth;  /* nesting levels below the top (default 3) */
    int max_fields; /* fields per generated struct (default 4) */
    int max_list;   /* entries per list/map row (default 4) */
    int max_string; /* bytes per string/binary value, about (default 24) */
    int null_pct;   /* percent of nulls in nullable positions (default 15) */
    int edge_pct;   /* percent of edge values (default 15) */
} dgen;

static inline void dgen_init(dgen *g, uint64_t seed, unsigned flags)
{
    /* The seed is mixed (splitmix64's finaliser) so that neighbouring
     * seeds start unrelated sequences, not the same one a draw apart. */
    uint64_t z = seed + 0x632be59bd9b4e019ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    g->state = z ^ (z >> 31);
    g->flags = flags;
    g->max_depth = 3;
    g->max_fields = 4;
    g->max_list = 4;
    g->max_string = 24;
    g->null_pct = 15;
    g->edge_pct = 15;
}

/* splitmix64 */
static inline uint64_t dgen_u64(dgen *g)
{
    uint64_t z = (g->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0). */
static inline uint64_t dgen_below(dgen *g, uint64_t n)
{
    return dgen_u64(g) % n;
}

static inline int64_t dgen_range(dgen *g, int64_t lo, int64_t hi)
{
    return lo + (int64_t)dgen_below(g, (uint64_t)(hi - lo) + 1);
}

static inline int dgen_pct(dgen *g, int pct)
{
    return (int)dgen_below(g, 100) < pct;
}

/* ---- types --------------------------------------------------------------- */

static inline dtype *dgen__type(dgen *g, int depth);

static inline dtype *dgen__leaf(dgen *g)
{
    unsigned f = g->flags;
    for (;;) {
        switch (dgen_below(g, 16)) {
        case 0:
            if (f & DGEN_NO_NULL_TYPE)
                continue;
            return dtype_new(DT_NULL);
        case 1: return dtype_new(DT_BOOL);
        case 2: return dtype_new((dtype_id)(DT_INT8 + dgen_below(g, 4)));
        case 3:
            if (f & DGEN_NO_UNSIGNED)
                continue;
            return dtype_new((dtype_id)(DT_UINT8 + dgen_below(g, 4)));
        case 4:
            if (f & DGEN_NO_FLOAT16)
                continue;
            return dtype_new(DT_FLOAT16);
        case 5: return dtype_new(dgen_below(g, 2) ? DT_FLOAT32 : DT_FLOAT64);
        case 6: {
            unsigned p = (unsigned)dgen_range(g, 1, 38);
            if (dgen_pct(g, 30))
                p = dgen_below(g, 2) ? 38 : 18;
            return dtype_new_decimal(p, (unsigned)dgen_range(g, 0, p));
        }
        case 7: return dtype_new(DT_DATE32);
        case 8: {
            if (f & DGEN_NO_TIME)
                continue;
            dtime_unit u = (dtime_unit)dgen_below(g, 4);
            if (u == DT_UNIT_NANO && (f & DGEN_NO_TIME_NANO))
                continue;
            return dtype_new_time(u);
        }
        case 9: {
            dtime_unit u = (f & DGEN_NO_NANO) ? DT_UNIT_MICRO : (dtime_unit)dgen_below(g, 4);
            bool utc = dgen_below(g, 2);
            if (u == DT_UNIT_NANO && utc && (f & DGEN_NO_UTC_NANO))
                continue;
            dtype *t = dtype_new_timestamp(u, utc);
            if (t && u == DT_UNIT_NANO && t->utc && !(f & DGEN_NO_ANNOT) && dgen_pct(g, 30)) {
                dtype *a = dtype_with_annot(t, DT_ANNOT_INT96);
                dtype_unref(t);
                t = a;
            }
            return t;
        }
        case 10:
        case 11: {
            dtype *t = dtype_new(DT_STRING);
            if (t && !(f & DGEN_NO_ANNOT) && dgen_pct(g, 20)) {
                dtype *a = dtype_with_annot(t, dgen_below(g, 2) ? DT_ANNOT_JSON : DT_ANNOT_ENUM);
                dtype_unref(t);
                t = a;
            }
            return t;
        }
        case 12: {
            dtype *t = dtype_new(DT_BINARY);
            if (t && !(f & DGEN_NO_ANNOT) && dgen_pct(g, 15) && !(f & DGEN_NO_BSON)) {
                dtype *a = dtype_with_annot(t, DT_ANNOT_BSON);
                dtype_unref(t);
                t = a;
            }
            return t;
        }
        case 13: {
            if (f & DGEN_NO_FIXED_BINARY)
                continue;
            bool uuid = !(f & DGEN_NO_ANNOT) && dgen_pct(g, 30);
            dtype *t = dtype_new_fixed_binary(uuid ? 16 : (int32_t)dgen_range(g, 1, 20));
            if (t && uuid) {
                dtype *a = dtype_with_annot(t, DT_ANNOT_UUID);
                dtype_unref(t);
                t = a;
            }
            return t;
        }
        case 14: return dtype_new(DT_INT64);
        default: return dtype_new(DT_STRING);
        }
    }
}

static inline dtype *dgen__struct(dgen *g, int depth, uint32_t n, const char *prefix)
{
    dfield fields[64];
    if (n > 64)
        n = 64;
    for (uint32_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "%s%u", prefix, i);
        dtype *t = dgen__type(g, depth);
        if (!t || dfield_init(&fields[i], name, t, dgen_pct(g, 75))) {
            for (uint32_t j = 0; j < i; j++)
                dfield_clear(&fields[j]);
            return NULL;
        }
    }
    return dtype_new_struct(fields, n);
}

static inline dtype *dgen__type(dgen *g, int depth)
{
    unsigned f = g->flags;
    if ((f & DGEN_NO_NESTED) || depth >= g->max_depth || !dgen_pct(g, 30))
        return dgen__leaf(g);
    for (;;) {
        switch (dgen_below(g, 3)) {
        case 0: return dgen__struct(g, depth + 1, (uint32_t)dgen_range(g, 1, g->max_fields), "f");
        case 1: {
            if (f & DGEN_NO_LIST)
                continue;
            dtype *e = dgen__type(g, depth + 1);
            dfield el;
            if (!e || dfield_init(&el, "element", e, dgen_pct(g, 75)))
                return NULL;
            return dtype_new_list(el);
        }
        default: {
            if (f & DGEN_NO_MAP)
                continue;
            /* keys: a leaf that is never DT_NULL (keys cannot be null) */
            dtype *k;
            do {
                k = dgen__leaf(g);
            } while (k && k->id == DT_NULL && (dtype_unref(k), 1));
            dtype *v = k ? dgen__type(g, depth + 1) : NULL;
            if (!v) {
                dtype_unref(k);
                return NULL;
            }
            return dtype_new_map(k, v, dgen_pct(g, 75));
        }
        }
    }
}

/* A random type (nested up to g->max_depth levels unless DGEN_NO_NESTED). */
static inline dtype *dgen_type(dgen *g)
{
    return dgen__type(g, 0);
}

/* A batch schema: a STRUCT of ncols random columns named c0, c1, ... */
static inline dtype *dgen_schema(dgen *g, uint32_t ncols)
{
    return dgen__struct(g, 0, ncols, "c");
}

/* ---- values ---------------------------------------------------------------- */

static inline int dgen__bytes(dgen *g, dvec *v, bool text)
{
    static const char *const pieces[] = {"a",
                                         "Z",
                                         "0",
                                         " ",
                                         ",",
                                         "\"",
                                         "\n",
                                         "\\",
                                         "\t",
                                         "\xc3\xa9",
                                         "\xe4\xb8\xad",
                                         "\xf0\x9f\x98\x80",
                                         "'",
                                         "{",
                                         "x",
                                         "NULL"};
    uint8_t buf[512];
    size_t n = 0, want = (size_t)dgen_below(g, (uint64_t)g->max_string + 1);
    if (dgen_pct(g, 10))
        want = 0;
    if (text) {
        while (n < want && n + 8 < sizeof buf) {
            const char *p = pieces[dgen_below(g, sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(p);
            memcpy(buf + n, p, l);
            n += l;
        }
    } else {
        for (; n < want && n < sizeof buf; n++)
            buf[n] = (uint8_t)dgen_u64(g);
    }
    if (text && v->type->annot == DT_ANNOT_JSON && (g->flags & DGEN_JSON_TEXT)) {
        uint8_t lit[sizeof buf * 6 + 2];
        size_t m = 0;
        lit[m++] = '"';
        for (size_t i = 0; i < n; i++) {
            if (buf[i] == '"' || buf[i] == '\\') {
                lit[m++] = '\\';
                lit[m++] = buf[i];
            } else if (buf[i] < 0x20) {
                m += (size_t)snprintf((char *)lit + m, 7, "\\u%04x", buf[i]);
            } else {
                lit[m++] = buf[i];
            }
        }
        lit[m++] = '"';
        return dvec_append_bytes(v, lit, m);
    }
    return dvec_append_bytes(v, buf, n);
}

static inline int dgen__value(dgen *g, dvec *v, bool nullable);

static inline int dgen__int(dgen *g, dvec *v, int64_t lo, int64_t hi)
{
    int64_t x;
    if (dgen_pct(g, g->edge_pct)) {
        int64_t edges[] = {lo, hi, 0, -1, 1};
        x = edges[dgen_below(g, 5)];
        if (x < lo || x > hi)
            x = lo;
    } else {
        x = (int64_t)dgen_u64(g);
        if (lo != INT64_MIN || hi != INT64_MAX)
            x = dgen_range(g, lo, hi);
        else if (dgen_pct(g, 50))
            x = dgen_range(g, -100000, 100000);
    }
    return dvec_append_int(v, x);
}

static inline int dgen__value(dgen *g, dvec *v, bool nullable)
{
    const dtype *t = v->type;
    if (t->id == DT_NULL || (nullable && !(g->flags & DGEN_NO_NULLS) && dgen_pct(g, g->null_pct)))
        return dvec_append_null(v);
    bool edge = dgen_pct(g, g->edge_pct);
    switch (t->id) {
    case DT_BOOL: return dvec_append_bool(v, dgen_below(g, 2));
    case DT_INT8: return dgen__int(g, v, INT8_MIN, INT8_MAX);
    case DT_INT16: return dgen__int(g, v, INT16_MIN, INT16_MAX);
    case DT_INT32: return dgen__int(g, v, INT32_MIN, INT32_MAX);
    case DT_INT64: return dgen__int(g, v, INT64_MIN, INT64_MAX);
    case DT_UINT8:
    case DT_UINT16:
    case DT_UINT32:
    case DT_UINT64: {
        unsigned bits = 8u << (t->id - DT_UINT8);
        uint64_t max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
        uint64_t x = edge ? (dgen_below(g, 2) ? max : 0) : dgen_u64(g) & max;
        return dvec_append_uint(v, x);
    }
    case DT_FLOAT16: {
        uint16_t h = (uint16_t)dgen_u64(g);
        if (edge) {
            static const uint16_t e[] = {0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x7bff, 0x0001};
            h = e[dgen_below(g, 7)];
        }
        return dvec_append_fixed(v, &h);
    }
    case DT_FLOAT32:
    case DT_FLOAT64: {
        double x;
        if (edge) {
            const double e[] = {
                NAN, -0.0, 0.0, INFINITY, -INFINITY, 1e-310, -1.7976931348623157e308, 0.1, 1e300};
            x = e[dgen_below(g, 9)];
            if (t->id == DT_FLOAT32 && isfinite(x) && fabs(x) > 3.4e38)
                x = x > 0 ? 3.4028234663852886e38 : -3.4028234663852886e38;
        } else if (dgen_pct(g, 50)) {
            x = (double)dgen_range(g, -1000000, 1000000) / 1000.0;
        } else {
            uint64_t bits = dgen_u64(g);
            memcpy(&x, &bits, 8);
            if (!isfinite(x))
                x = 1.5;
            if (t->id == DT_FLOAT32)
                x = (double)(float)ldexp((double)(int32_t)dgen_u64(g), (int)dgen_range(g, -60, 60));
        }
        return dvec_append_double(v, x);
    }
    case DT_DECIMAL: {
        __extension__ typedef unsigned __int128 dgen_u128;
        dgen_u128 x = 0;
        unsigned digits = edge ? t->precision : (unsigned)dgen_range(g, 0, t->precision);
        for (unsigned i = 0; i < digits; i++)
            x = x * 10 + (edge ? 9u : (unsigned)dgen_below(g, 10));
        if (dgen_below(g, 2))
            x = (dgen_u128)0 - x; /* two's complement negation */
        uint8_t b[16];
        for (int i = 0; i < 16; i++)
            b[i] = (uint8_t)(x >> (8 * i));
        return dvec_append_fixed(v, b);
    }
    case DT_DATE32:
        if (edge) {
            const int64_t e[] = {
                -719162 /* 0001-01-01 */, 2932896 /* 9999-12-31 */, 0, -1, INT32_MIN, INT32_MAX};
            return dvec_append_int(v, e[dgen_below(g, 6)]);
        }
        return dvec_append_int(v, dgen_range(g, -30000, 60000));
    case DT_TIME32:
        return dvec_append_int(v, dgen_range(g, 0, t->unit == DT_UNIT_SECOND ? 86399 : 86399999));
    case DT_TIME64:
        return dvec_append_int(v, dgen_range(g, 0,
                                             t->unit == DT_UNIT_MICRO ? INT64_C(86399999999)
                                                                      : INT64_C(86399999999999)));
    case DT_TIMESTAMP: {
        int64_t fit = 1;
        if ((g->flags & DGEN_TS_FIT_MICROS) && t->unit < DT_UNIT_MICRO)
            fit = t->unit == DT_UNIT_SECOND ? 1000000 : 1000;
        if (edge) {
            const int64_t e[] = {INT64_MIN, INT64_MAX, 0, -1, 1};
            return dvec_append_int(v, e[dgen_below(g, 5)] / fit);
        }
        return dvec_append_int(v, dgen_range(g, -(INT64_C(1) << 55), INT64_C(1) << 55) /
                                      (t->unit == DT_UNIT_SECOND ? 1000000 : fit));
    }
    case DT_STRING: return dgen__bytes(g, v, true);
    case DT_BINARY: return dgen__bytes(g, v, false);
    case DT_FIXED_BINARY: {
        uint8_t b[64];
        for (int32_t i = 0; i < t->width && i < 64; i++)
            b[i] = (uint8_t)dgen_u64(g);
        return dvec_append_bytes(v, b, (size_t)t->width);
    }
    case DT_STRUCT:
        for (uint32_t i = 0; i < v->num_children; i++) {
            int rc = dgen__value(g, v->children[i], t->fields[i].nullable);
            if (rc)
                return rc;
        }
        return dvec_end_struct(v);
    case DT_LIST:
    case DT_MAP: {
        int64_t n = edge ? 0 : dgen_range(g, 0, g->max_list);
        for (int64_t i = 0; i < n; i++) {
            int rc = dgen__value(g, v->children[0], t->fields[0].nullable);
            if (rc)
                return rc;
        }
        return dvec_end_list(v);
    }
    default: return dvec_append_null(v);
    }
}

/* Appends `rows` random values to v (top-level values may be null unless
 * DGEN_NO_NULLS). */
static inline int dgen_append(dgen *g, dvec *v, int64_t rows)
{
    for (int64_t r = 0; r < rows; r++) {
        int rc = dgen__value(g, v, true);
        if (rc)
            return rc;
    }
    return 0;
}

/* A new vector of type t with `rows` random values. */
static inline int dgen_vector(dgen *g, const dtype *t, int64_t rows, dvec **out)
{
    int rc = dvec_new(out, t);
    if (!rc && (rc = dgen_append(g, *out, rows))) {
        dvec_unref(*out);
        *out = NULL;
    }
    return rc;
}

/* A sealed batch of schema with `rows` random rows (columns respect their
 * fields' nullability). */
static inline int dgen_batch(dgen *g, const dtype *schema, int64_t rows, dvec **out)
{
    int rc = dbatch_new(out, schema);
    for (uint32_t c = 0; !rc && c < schema->num_fields; c++)
        for (int64_t r = 0; !rc && r < rows; r++)
            rc = dgen__value(g, (*out)->children[c], schema->fields[c].nullable);
    for (int64_t r = 0; !rc && schema->num_fields == 0 && r < rows; r++)
        rc = dvec_end_struct(*out);
    if (!rc)
        rc = dbatch_seal(*out);
    if (rc) {
        dvec_unref(*out);
        *out = NULL;
    }
    return rc;
}

#endif
