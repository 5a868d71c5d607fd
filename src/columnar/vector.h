/*
 * Column vectors and record batches.
 *
 * A dvec holds `length` values of one dtype in Arrow's layout (see
 * types.h), so it can be handed out as an Arrow C Data Interface array
 * without copying:
 *
 *   validity  bitmap, bit i set = value i present; NULL means no nulls.
 *             Always NULL for DT_NULL (every value is null anyway).
 *   values    fixed-width values (BOOL: a bitmap), `length` of them
 *   offsets   STRING/BINARY/LIST/MAP: length+1 int32 offsets, offsets[0]
 *             is 0, non-decreasing
 *   data      STRING/BINARY bytes, data_len of them
 *   children  STRUCT: one per field, each of this vector's length;
 *             LIST/MAP: one, of length offsets[length]
 *
 * A null slot still has a value: the append functions write zero for
 * fixed width and an empty range for variable width and lists; STRUCT
 * children hold a (null) entry for it. Arrays imported from Arrow may hold
 * anything in null slots (Arrow allows it), so readers must look at the
 * validity bit first and never rely on a null slot's contents.
 *
 * Vectors are reference counted (an exported Arrow array keeps its vector
 * alive) and mutable only while one reference exists. Buffers are either
 * owned (allocated with delta_malloc, growable) or borrowed from an
 * imported Arrow array that the vector releases with its last reference.
 *
 * Building: dvec_new(), then the append functions, which grow the buffers
 * (amortised doubling; dvec_reserve avoids repeated growth) and keep
 * length and null_count right. Producers that fill buffers directly (the
 * Parquet reader) reserve, write values/validity/offsets/data themselves,
 * then call dvec_set_length(). Every function that can fail returns 0 or a
 * negative DELTA_E* code; after a failure the vector may have grown but
 * still holds its earlier rows correctly.
 *
 * A record batch is a STRUCT vector without a validity bitmap whose fields
 * are the columns (Arrow streams carry batches the same way).
 */
#ifndef DELTA_COLUMNAR_VECTOR_H
#define DELTA_COLUMNAR_VECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "columnar/types.h"
#include "core/buf.h"

typedef struct dvec dvec;

struct dvec {
    dtype *type; /* one reference held */
    int64_t length;
    int64_t null_count;
    uint8_t *validity;
    void *values;
    int32_t *offsets;
    uint8_t *data;
    int64_t data_len;
    uint32_t num_children;
    dvec **children;
    /* private */
    int32_t refcount;
    int64_t cap;      /* rows the buffers have room for */
    int64_t data_cap; /* bytes of data allocated */
    void (*release)(void *owner); /* borrowed buffers: called at the end */
    void *owner;
};

/* Bit helpers for validity and BOOL bitmaps (LSB first, as Arrow). */
static inline bool dbit_get(const uint8_t *bits, int64_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void dbit_set(uint8_t *bits, int64_t i)
{
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static inline void dbit_clear(uint8_t *bits, int64_t i)
{
    bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}
static inline bool dvec_is_valid(const dvec *v, int64_t i)
{
    return v->type->id != DT_NULL && (v->validity == NULL || dbit_get(v->validity, i));
}

/* A new empty vector of type t (takes a new reference to t), with its
 * children for nested types. */
int dvec_new(dvec **out, const dtype *t);
dvec *dvec_ref(dvec *v);
void dvec_unref(dvec *v);

/* Room for `rows` more rows (values, validity if present, offsets), and
 * for `bytes` more bytes of data (STRING/BINARY). Children are not
 * reserved (their lengths are unknown for lists). */
int dvec_reserve(dvec *v, int64_t rows);
int dvec_reserve_data(dvec *v, int64_t bytes);
/* Allocates the validity bitmap (all valid so far) if it is missing. */
int dvec_ensure_validity(dvec *v);
/* After filling buffers directly: sets length and recounts null_count
 * from the bitmap. The caller guarantees the buffers hold `length` rows. */
void dvec_set_length(dvec *v, int64_t length);
/* Forgets all rows (recursively), keeping the memory. */
void dvec_clear(dvec *v);
/* True when the caller's reference is the only one to v and to every
 * vector below it, and all their buffers are owned: v may then be cleared
 * and refilled in place (producers recycle batches their consumers have
 * released this way, instead of allocating new buffers per batch). */
bool dvec_is_exclusive(const dvec *v);
/* About how many bytes v's rows occupy (validity, offsets, values, child
 * vectors; not spare capacity): what a budget of held rows counts. */
int64_t dvec_payload_bytes(const dvec *v);

/* Appends one value. Each checks the vector's type family and returns
 * DELTA_ETYPE when called on the wrong one. */
int dvec_append_null(dvec *v); /* any type; STRUCT children get a null too */
int dvec_append_nulls(dvec *v, int64_t n);
int dvec_append_bool(dvec *v, bool x);
int dvec_append_int(dvec *v, int64_t x);   /* INT8..INT64, DATE32, TIME*, TIMESTAMP; DELTA_ERANGE if it does not fit */
int dvec_append_uint(dvec *v, uint64_t x); /* UINT8..UINT64 */
int dvec_append_double(dvec *v, double x); /* FLOAT32, FLOAT64 */
int dvec_append_fixed(dvec *v, const void *value); /* any fixed-width type, raw bytes */
int dvec_append_bytes(dvec *v, const void *p, size_t len); /* STRING, BINARY, FIXED_BINARY (len must equal width) */
/* Nested rows: append the row's entries to the child(ren) first, then
 * close the row. LIST/MAP: the row spans child rows from the previous
 * offset to the child's current length. STRUCT: every child must have
 * grown by exactly one row. */
int dvec_end_list(dvec *v);
int dvec_end_struct(dvec *v);

/* Appends row `row` of src to dst (same type; deep for nested types). */
int dvec_append_from(dvec *dst, const dvec *src, int64_t row);
/* Appends rows [from, from+n) of src to dst. */
int dvec_append_range(dvec *dst, const dvec *src, int64_t from, int64_t n);
/* Appends the rows of src listed in sel[0..n) (a selection vector). */
int dvec_append_take(dvec *dst, const dvec *src, const uint32_t *sel, int64_t n);

/* Typed access to fixed-width values (no checks beyond a debug assert). */
static inline const int32_t *dvec_i32(const dvec *v) { return (const int32_t *)v->values; }
static inline const int64_t *dvec_i64(const dvec *v) { return (const int64_t *)v->values; }
static inline const double *dvec_f64(const dvec *v) { return (const double *)v->values; }
/* Bytes of a STRING/BINARY value. */
static inline const uint8_t *dvec_bytes(const dvec *v, int64_t i, size_t *len)
{
    *len = (size_t)(v->offsets[i + 1] - v->offsets[i]);
    return v->data + v->offsets[i];
}

/* Checks every invariant above (offsets, lengths, null_count, child
 * lengths, UTF-8 of STRING when `check_utf8`); DELTA_ECORRUPT naming the
 * first violation. Used on imported arrays and in tests. */
int dvec_validate(const dvec *v, bool check_utf8);

/* Value equality of rows (nulls equal nulls; floats bitwise except NaN ==
 * NaN and -0.0 == 0.0). On the first difference returns false and, when
 * why is not NULL, appends a description (row, field path, both values). */
bool dvec_equal(const dvec *a, const dvec *b, dbuf *why);

/* ---- record batches -------------------------------------------------- */

/* A batch of the STRUCT type `schema` with empty columns. */
int dbatch_new(dvec **out, const dtype *schema);
static inline int64_t dbatch_num_rows(const dvec *b) { return b->length; }
static inline dvec *dbatch_column(const dvec *b, uint32_t i) { return b->children[i]; }
/* After appending the same number of rows to every column: sets the
 * batch length (DELTA_EINVAL naming the column if they differ). */
int dbatch_seal(dvec *b);

/* ---- streams of batches ---------------------------------------------- */

/* A pull iterator of batches of one schema: how scans and readers hand
 * out rows, and what writers consume. next() stores a new reference in
 * *out, or NULL at the end. */
typedef struct dstream dstream;
struct dstream {
    const dtype *schema; /* STRUCT; valid for the stream's lifetime */
    int (*next)(dstream *s, dvec **out);
    void (*free)(dstream *s);
};

/* A stream handing out `batches` in order (each of type `schema`). Takes
 * the caller's reference to every batch, also on failure; takes a new
 * reference to schema. For tests and for producers that hold everything
 * in memory. */
int dstream_from_batches(dstream **out, const dtype *schema, dvec **batches, size_t n);

#endif
