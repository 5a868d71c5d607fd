/*
 * Column types: the logical types of the columnar layer, as a tree.
 *
 * One type system serves every layer above: Parquet values are read into
 * it, Delta schemas map onto it, expressions are typed with it and batches
 * cross the public API as Arrow arrays of the matching Arrow type. The ids
 * therefore follow Arrow's physical layouts, so export is zero-copy:
 *
 *   BOOL                 bitmap, bit i = value i
 *   INT8..UINT64, FLOAT16 (IEEE half in a uint16_t), FLOAT32, FLOAT64,
 *   DATE32 (days since 1970-01-01), TIME32 (s or ms), TIME64 (us or ns),
 *   TIMESTAMP (int64 in `unit`; `utc` true = an instant (Delta timestamp),
 *              false = wall-clock time (Delta timestamp_ntz))
 *                        fixed-width little-endian values
 *   DECIMAL              16-byte little-endian two's complement (Arrow
 *                        decimal128), precision 1..38, scale 0..precision
 *   STRING, BINARY       int32 offsets (length+1) and a byte buffer
 *   FIXED_BINARY         `width` bytes per value
 *   STRUCT               one child per field, each of the parent's length
 *   LIST                 int32 offsets into one child ("element")
 *   MAP                  int32 offsets into one child: a non-null STRUCT
 *                        "entries" of fields "key" (non-null) and "value"
 *   NULL                 no buffers; every value is null
 *
 * `annot` keeps what the storage format said about a value's meaning when
 * the layout alone does not (a STRING holding JSON, a FIXED_BINARY(16)
 * holding a UUID), so that a Parquet file read and written again keeps its
 * logical types.
 *
 * Types are immutable once built and reference counted: vectors, batches
 * and schemas share them freely. A constructor that fails returns NULL
 * with the error recorded (DELTA_ENOMEM or DELTA_EINVAL).
 */
#ifndef DELTA_COLUMNAR_TYPES_H
#define DELTA_COLUMNAR_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef enum dtype_id {
    DT_NULL = 0,
    DT_BOOL,
    DT_INT8,
    DT_INT16,
    DT_INT32,
    DT_INT64,
    DT_UINT8,
    DT_UINT16,
    DT_UINT32,
    DT_UINT64,
    DT_FLOAT16,
    DT_FLOAT32,
    DT_FLOAT64,
    DT_DECIMAL,
    DT_DATE32,
    DT_TIME32,
    DT_TIME64,
    DT_TIMESTAMP,
    DT_STRING,
    DT_BINARY,
    DT_FIXED_BINARY,
    DT_STRUCT,
    DT_LIST,
    DT_MAP
} dtype_id;

typedef enum dtime_unit {
    DT_UNIT_SECOND = 0,
    DT_UNIT_MILLI,
    DT_UNIT_MICRO,
    DT_UNIT_NANO
} dtime_unit;

/* What a value means beyond its layout (kept through Parquet round trips). */
typedef enum dtype_annot {
    DT_ANNOT_NONE = 0,
    DT_ANNOT_JSON, /* STRING holding JSON */
    DT_ANNOT_ENUM, /* STRING from a Parquet ENUM */
    DT_ANNOT_BSON, /* BINARY holding BSON */
    DT_ANNOT_UUID, /* FIXED_BINARY(16) holding a UUID */
    DT_ANNOT_INT96 /* TIMESTAMP(NANO) stored as a Parquet INT96 (Spark) */
} dtype_annot;

typedef struct dtype dtype;

/* A named child of a STRUCT (and the single child of LIST and MAP). */
typedef struct dfield {
    char *name;     /* owned, NUL-terminated, UTF-8 */
    dtype *type;    /* one reference owned by the field */
    bool nullable;
    int32_t id;     /* Parquet field_id / Delta column-mapping id, -1 none */
    char *metadata; /* owned JSON object text (Delta field metadata), or NULL */
} dfield;

struct dtype {
    dtype_id id;
    dtype_annot annot;
    int32_t refcount;   /* private: use dtype_ref/dtype_unref */
    uint8_t precision;  /* DECIMAL */
    uint8_t scale;      /* DECIMAL */
    dtime_unit unit;    /* TIME32 (SECOND, MILLI), TIME64 (MICRO, NANO), TIMESTAMP */
    bool utc;           /* TIMESTAMP: instant (true) or wall-clock (false) */
    int32_t width;      /* FIXED_BINARY: bytes per value (>= 1) */
    uint32_t num_fields;
    dfield *fields;     /* STRUCT: num_fields; LIST, MAP: exactly one */
};

/* Types without parameters: NULL, BOOL, ints, floats, DATE32, STRING,
 * BINARY. Others are DELTA_EINVAL here. */
dtype *dtype_new(dtype_id id);
dtype *dtype_new_decimal(unsigned precision, unsigned scale);
dtype *dtype_new_time(dtime_unit unit);                 /* TIME32 or TIME64 by unit */
dtype *dtype_new_timestamp(dtime_unit unit, bool utc);
dtype *dtype_new_fixed_binary(int32_t width);
/* Same type with a different annotation (a new type; t is not changed). */
dtype *dtype_with_annot(const dtype *t, dtype_annot annot);

/* Nested constructors TAKE the fields' contents (names, metadata and one
 * reference to each type), also on failure; the dfield array itself stays
 * the caller's. Field names of a STRUCT must be unique (exact match). */
dtype *dtype_new_struct(dfield *fields, uint32_t num_fields);
dtype *dtype_new_list(dfield element);
/* MAP of key (never null) to value; the entries struct is built here. */
dtype *dtype_new_map(dtype *key, dtype *value, bool value_nullable);

/* Fills a field (copies name and metadata, takes the type reference) for
 * the nested constructors; 0 or DELTA_ENOMEM (then type is released). */
int dfield_init(dfield *f, const char *name, dtype *type, bool nullable);
void dfield_clear(dfield *f);

dtype *dtype_ref(const dtype *t);
void dtype_unref(dtype *t);

/* Structural equality: ids, parameters, annotations, field names,
 * nullability and children; field ids and metadata are ignored. */
bool dtype_equal(const dtype *a, const dtype *b);

/* Bytes per value for fixed-width types (1/2/4/8/16/width); 0 for BOOL
 * (bits), variable-width, nested and NULL. */
size_t dtype_byte_width(const dtype *t);
bool dtype_is_nested(const dtype *t);      /* STRUCT, LIST, MAP */
bool dtype_is_integer(const dtype *t);     /* INT8..UINT64 */
bool dtype_is_variable(const dtype *t);    /* STRING, BINARY */

/* Field index by exact name, or -1. With `ci`, ASCII case-insensitively
 * (Delta resolves columns that way); -2 when that is ambiguous. */
int dtype_field_index(const dtype *st, const char *name, bool ci);

/* Appends a readable SQL-style name: "int", "bigint", "decimal(10,2)",
 * "timestamp", "timestamp_ntz", "timestamp(ns)", "string",
 * "struct<a:int,b:array<string>>", "map<string,int>", ... */
void dtype_format(const dtype *t, dbuf *out);

#endif
