/*
 * The mapping between a Parquet schema and a column type tree (dtype), in
 * both directions, as a "plan": a tree of pq_node that mirrors the dtype
 * tree and records, for every value, the Parquet levels that encode it and,
 * for every leaf, how its physical values convert to the dtype's layout.
 * The record assembler (assemble.h) and shredder (shred.h) only follow a
 * plan; every decision about types is taken here.
 *
 * Reading (pq_plan_from_schema): physical type + LogicalType (preferred)
 * or the legacy ConvertedType give the dtype:
 *
 *   BOOLEAN -> BOOL;  FLOAT -> FLOAT32;  DOUBLE -> FLOAT64
 *   INT32 -> INT32, INTEGER(8/16/32, signed or not) -> INT8..UINT32,
 *            DATE -> DATE32, TIME(MILLIS) -> TIME32(ms), DECIMAL -> DECIMAL
 *   INT64 -> INT64, INTEGER(64) -> INT64/UINT64, TIME(MICROS/NANOS) ->
 *            TIME64, TIMESTAMP(unit, isAdjustedToUTC) -> TIMESTAMP(unit,
 *            utc) (legacy TIMESTAMP_MILLIS/MICROS are UTC), DECIMAL
 *   INT96 -> TIMESTAMP(NANO, utc) annotated DT_ANNOT_INT96
 *   BYTE_ARRAY -> BINARY (STRING with binary_as_string), STRING/UTF8 ->
 *            STRING, ENUM/JSON -> STRING annotated, BSON -> BINARY
 *            annotated, DECIMAL -> DECIMAL
 *   FIXED_LEN_BYTE_ARRAY(n) -> FIXED_BINARY(n), UUID -> FIXED_BINARY(16)
 *            annotated, FLOAT16 -> FLOAT16, DECIMAL -> DECIMAL
 *   UNKNOWN (null type) on any physical type -> NULL
 *   groups -> STRUCT; LIST -> LIST (the standard 3-level form and every
 *            legacy 2-level form of LogicalTypes.md's backward-
 *            compatibility rules); MAP / MAP_KEY_VALUE -> MAP; a repeated
 *            field outside a LIST or MAP -> a non-null LIST of non-null
 *            elements.
 *   field_id -> dfield.id; OPTIONAL -> nullable.
 *
 * List elements are always named "element" in the dtype, whatever the file
 * called them, so the same logical schema reads the same from any writer.
 *
 * Writing (pq_plan_from_dtype): the inverse, producing SchemaElements with
 * both the LogicalType and the matching ConvertedType (for old readers):
 * 3-level lists "list"/"element", maps "key_value"/"key"/"value",
 * DECIMAL as INT32 (precision <= 9), INT64 (<= 18) or the smallest
 * FIXED_LEN_BYTE_ARRAY, timestamps as INT64 in their unit (seconds are
 * written as milliseconds; annotated INT96 ones as INT96), TIME32(s) as
 * TIME(MILLIS), UUID as FIXED_LEN_BYTE_ARRAY(16), NULL as an optional INT32
 * annotated UNKNOWN. pq_dtype_after_roundtrip() gives the type a column
 * has when read back.
 *
 * Levels. For each value of the plan (a node):
 *   rep       a level entry starts a new slot of this value when its
 *             repetition level is <= rep ...
 *   slot_def  ... and its definition level is >= slot_def (below, an
 *             enclosing list is empty or null: no slot at all);
 *   def       the value is non-null when the definition level is >= def;
 *   elem_def  LIST/MAP: the list has at least one element at >= elem_def
 *             (the element's slot_def); its elements repeat at elem_rep.
 * A MAP is planned like a LIST whose element is its entries STRUCT.
 */
#ifndef DELTA_PARQUET_LOGICAL_H
#define DELTA_PARQUET_LOGICAL_H

#include <stdbool.h>
#include <stdint.h>

#include "columnar/types.h"
#include "core/arena.h"
#include "parquet/meta.h"
#include "parquet/schema.h"

/* How a leaf's Parquet values become dtype values (and back). */
typedef enum pq_conv {
    PQ_CONV_NULL = 0,  /* DT_NULL: no values at all */
    PQ_CONV_BOOL,      /* BOOLEAN bytes 0/1 <-> bitmap */
    PQ_CONV_COPY,      /* same width and bits: INT32, INT64, FLOAT, DOUBLE,
                          FLBA -> FIXED_BINARY/FLOAT16, unsigned as stored */
    PQ_CONV_I32_TO_8,  /* INT32 <-> INT8/UINT8 (sign/zero extended on write) */
    PQ_CONV_I32_TO_16, /* INT32 <-> INT16/UINT16 */
    PQ_CONV_I32_DEC,   /* INT32 <-> DECIMAL (16-byte) */
    PQ_CONV_I64_DEC,   /* INT64 <-> DECIMAL */
    PQ_CONV_BE_DEC,    /* big-endian two's complement FLBA/BYTE_ARRAY <-> DECIMAL */
    PQ_CONV_INT96,     /* INT96 <-> TIMESTAMP (nanoseconds) */
    PQ_CONV_X1000,     /* write only: seconds -> milliseconds (TIME32, TIMESTAMP) */
    PQ_CONV_BYTES      /* BYTE_ARRAY <-> STRING/BINARY */
} pq_conv;

typedef enum pq_node_kind {
    PQ_NODE_LEAF = 0,
    PQ_NODE_STRUCT,
    PQ_NODE_LIST /* LIST and MAP */
} pq_node_kind;

typedef struct pq_node {
    pq_node_kind kind;
    const dtype *type; /* borrowed from the plan's schema */
    bool nullable;
    int16_t rep, slot_def, def;
    int16_t elem_rep, elem_def; /* PQ_NODE_LIST */
    uint32_t num_children;
    struct pq_node *children; /* STRUCT: fields; LIST: the element */
    uint32_t first_leaf;      /* plan index of the first leaf below (or self) */
    uint32_t num_leaves;      /* leaves below (1 for a leaf) */
    /* PQ_NODE_LEAF */
    int16_t max_def, max_rep; /* the Parquet leaf's levels */
    int32_t column;           /* Parquet leaf (column chunk) index */
    int32_t physical;         /* enum pq_type */
    int32_t type_length;      /* FIXED_LEN_BYTE_ARRAY, INT96 (12) */
    pq_conv conv;
    const char *name; /* reading: the Parquet element's name (borrowed) */
} pq_node;

typedef struct pq_plan {
    dtype *schema;     /* STRUCT of the (projected) columns; one reference */
    pq_node root;      /* STRUCT over schema's fields, levels 0 */
    uint32_t num_leaves;
    pq_node **leaves;  /* depth-first order = the Parquet column order */
} pq_plan;

typedef struct pq_map_options {
    bool binary_as_string; /* unannotated BYTE_ARRAY -> STRING (Spark's option) */
} pq_map_options;

/*
 * Plans reading `s`. `columns` (may be NULL = every column) lists n names
 * of top-level columns or dotted paths through structs ("a.b" keeps only
 * field b of struct a); a name matches exactly, else ASCII case-
 * insensitively when that is unique; a name that is itself a top-level
 * column wins over a dotted path. Projected columns keep the file's order.
 * Errors: DELTA_ENOTFOUND (unknown column), DELTA_EUNSUPPORTED (type this
 * engine cannot represent, e.g. DECIMAL precision > 38), DELTA_ECORRUPT
 * (annotation not valid for its physical type or shape), naming the column.
 */
int pq_plan_from_schema(pq_plan *out, const pq_schema *s, const pq_map_options *opts,
                        const char *const *columns, uint32_t n);

/* The Parquet schema for a STRUCT of columns, produced by pq_plan_from_dtype.
 * Names live in `arena`. */
typedef struct pq_schema_out {
    pq_schema_element *elems; /* depth-first, elems[0] the root "schema" */
    uint32_t num_elems;
    darena arena;
} pq_schema_out;

/*
 * Plans writing `schema` (a STRUCT): fills *out (which takes a reference to
 * schema) and *elems. Leaves get consecutive column indices. Errors:
 * DELTA_EUNSUPPORTED (empty struct, a type Parquet cannot hold),
 * DELTA_EINVAL naming the column.
 */
int pq_plan_from_dtype(pq_plan *out, pq_schema_out *elems, const dtype *schema);
void pq_schema_out_free(pq_schema_out *e);

void pq_plan_free(pq_plan *p);

/* The type a value of type t has after a Parquet write and read (seconds
 * become milliseconds, list elements are named "element"). New reference,
 * or NULL with DELTA_ENOMEM. */
dtype *pq_dtype_after_roundtrip(const dtype *t);

/* The dtype of one primitive Parquet element (used for statistics too);
 * *conv receives the conversion. DELTA_ECORRUPT / DELTA_EUNSUPPORTED as
 * above; `what` names the column in messages. */
int pq_primitive_dtype(const pq_schema_element *e, const pq_map_options *opts, const char *what,
                       dtype **out, pq_conv *conv);

#endif
