/*
 * Column statistics for the Parquet writer: min/max/null_count of a page or
 * a column chunk, in the sort order the specification defines for the
 * leaf's physical and logical type (parquet.thrift, ColumnOrder
 * TYPE_DEFINED_ORDER):
 *
 *  - INT32/INT64: signed, unless the logical type is INTEGER(bits, false)
 *    or the converted type UINT_8/16/32/64 (unsigned);
 *  - FLOAT/DOUBLE (and FLOAT16 in a 2-byte FIXED_LEN_BYTE_ARRAY): numeric;
 *    NaN never becomes a bound (all NaN: no min/max); a zero minimum is
 *    written as -0.0 and a zero maximum as +0.0;
 *  - BOOLEAN: false < true;
 *  - BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY: unsigned byte-wise (shorter prefix
 *    first), except DECIMAL, which compares as signed big-endian two's
 *    complement integers (of any length);
 *  - INT96, INTERVAL, GEOMETRY, GEOGRAPHY and VARIANT have no defined
 *    order: no min/max is kept (null_count still is).
 *
 * Bounds are the PLAIN encoding of one value without a length prefix.
 * BYTE_ARRAY bounds may be truncated to a length limit when exported:
 * the minimum is cut to a prefix, the maximum is cut and its last byte
 * that can be incremented is incremented (for UTF-8 strings, cuts fall on
 * character boundaries and only an ASCII character is incremented, so the
 * bound stays valid UTF-8); such bounds are marked inexact. A maximum that
 * cannot be shortened that way is kept whole.
 *
 * The deprecated signed-order fields (min/max) are filled only for the
 * types whose order they were defined with: BOOLEAN, signed INT32/INT64,
 * FLOAT and DOUBLE.
 *
 * A pq_stats owns copies of its bounds, so the values it was fed may be
 * released right after pq_stats_update returns.
 */
#ifndef DELTA_PARQUET_STATS_H
#define DELTA_PARQUET_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "parquet/meta.h"

/* How values of a leaf compare. */
typedef enum pq_sort_kind {
    PQ_SORT_NONE = 0, /* undefined order: no min/max */
    PQ_SORT_BOOL,
    PQ_SORT_INT32,
    PQ_SORT_UINT32,
    PQ_SORT_INT64,
    PQ_SORT_UINT64,
    PQ_SORT_FLOAT,
    PQ_SORT_DOUBLE,
    PQ_SORT_FLOAT16,    /* 2-byte FIXED_LEN_BYTE_ARRAY, little-endian half */
    PQ_SORT_BYTES,      /* unsigned byte-wise (BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY) */
    PQ_SORT_DECIMAL_BE  /* signed big-endian two's complement bytes */
} pq_sort_kind;

/* The sort order for a leaf schema element. */
pq_sort_kind pq_sort_kind_for(const pq_schema_element *leaf);

/* True when the leaf holds UTF-8 text (STRING/ENUM/JSON or UTF8), where
 * truncated bounds must stay valid UTF-8. */
bool pq_leaf_is_utf8(const pq_schema_element *leaf);

/*
 * Compares two PLAIN-encoded bounds of the given kind (as stored in
 * statistics): <0, 0, >0. NaN floats compare as equal to everything; use
 * only on bounds this module produced.
 */
int pq_stats_compare(pq_sort_kind kind, const uint8_t *a, size_t alen, const uint8_t *b,
                     size_t blen);

typedef struct pq_stats {
    pq_sort_kind kind;
    int32_t physical_type; /* enum pq_type */
    size_t width;          /* FIXED_LEN_BYTE_ARRAY type_length */
    bool utf8;             /* truncate on character boundaries */
    bool has_minmax;       /* at least one ordered (non-NaN) value seen */
    int64_t null_count;
    int64_t num_values;    /* non-null values seen */
    /* Numeric bounds (kinds BOOL..FLOAT16) */
    union {
        int64_t i;
        uint64_t u;
        double d;
    } min, max;
    /* Byte bounds (BYTES, DECIMAL_BE; FLOAT16 keeps its 2 raw bytes too) */
    dbuf bmin, bmax;
    /* Export buffers for pq_stats_export */
    uint8_t emin[8], emax[8];
    dbuf tmin, tmax;
} pq_stats;

/* Starts empty statistics for a leaf. */
void pq_stats_init(pq_stats *s, const pq_schema_element *leaf);
/* Forgets every value, keeping the kind and the memory. */
void pq_stats_reset(pq_stats *s);
void pq_stats_free(pq_stats *s);

/*
 * Adds n dense non-null values in the writer's input layout (BOOLEAN one
 * byte 0/1, INT32/FLOAT 4 bytes, INT64/DOUBLE 8, INT96 12,
 * FIXED_LEN_BYTE_ARRAY `width` bytes, BYTE_ARRAY: value i is
 * data[offsets[i] .. offsets[i+1]) with `values` the data). Returns 0 or
 * DELTA_ENOMEM.
 */
int pq_stats_update(pq_stats *s, const void *values, const int32_t *offsets, size_t n);
static inline void pq_stats_add_nulls(pq_stats *s, int64_t n)
{
    s->null_count += n;
}
/* Folds src (same leaf) into dst. */
int pq_stats_merge(pq_stats *dst, const pq_stats *src);

/*
 * Fills *out with null_count and, when known, min_value/max_value (and the
 * deprecated min/max where safe), truncating BYTES bounds longer than
 * truncate_len (0 = never). out's binaries point into s and stay valid
 * until s changes. Returns 0 or DELTA_ENOMEM.
 */
int pq_stats_export(pq_stats *s, size_t truncate_len, pq_statistics *out);

/*
 * Truncation helpers (exposed for tests): write into out a bound of at most
 * limit bytes for v. Return true when the result differs from v (inexact);
 * the max form returns false and copies v whole when no shorter upper
 * bound exists.
 */
bool pq_truncate_min(const uint8_t *v, size_t len, size_t limit, bool utf8, dbuf *out);
bool pq_truncate_max(const uint8_t *v, size_t len, size_t limit, bool utf8, dbuf *out);

#endif
