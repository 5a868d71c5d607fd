/*
 * Conforming vectors read from a data file to the table's schema.
 *
 * A data file holds columns under their physical names (column mapping
 * "name" mode), with Parquet field ids (mapping "id" mode), or under the
 * logical names; it may lack columns added to the table after it was
 * written, and its types may be older or stored differently than the
 * table's current schema says (type widening: byte/short/int -> long,
 * float -> double, integers -> double or decimal, decimal precision and
 * scale increases, date -> timestamp_ntz; timestamps stored as INT96 or in
 * milliseconds; strings stored as binary). A conform map (dtab_cmap) is
 * built once per scan from the table schema; dtab_conform() then turns a
 * file's vector into one of the table type, at every nesting level:
 *
 *   struct fields  matched by field id (id mode), then physical name,
 *                  then physical name ignoring ASCII case; missing fields
 *                  become nulls; output in the table's field order under
 *                  the logical names
 *   list, map      offsets and validity copied, elements (keys, values)
 *                  conformed
 *   leaves         the same vector when the types are equal, else cast
 *                  value by value (DELTA_ETYPE naming the column when no
 *                  lossless cast exists)
 */
#ifndef DELTA_TABLE_CONFORM_H
#define DELTA_TABLE_CONFORM_H

#include "columnar/vector.h"
#include "log/schema.h"

typedef struct dtab_cmap {
    const dtype *type;  /* the table type (borrowed from the schema) */
    char *name;         /* logical name (NULL for the root, elements) */
    char *physical;     /* name in data files */
    int32_t id;         /* column mapping id, or -1 */
    uint32_t num_children;
    struct dtab_cmap *children; /* STRUCT: fields; LIST: element; MAP: key, value */
} dtab_cmap;

/* Builds the map of `type` (named `name`, physical name from `field` when
 * given). cm NONE ignores physical-name metadata. */
int dtab_cmap_build(dtab_cmap *out, const dtype *type, const dfield *field, dlog_cm_mode cm);
void dtab_cmap_free(dtab_cmap *m);

/* Index of the field of struct type `st` that node m reads from, or -1. */
int dtab_cmap_find(const dtab_cmap *m, const dtype *st, dlog_cm_mode cm);

/* A vector of m->type from src (a new reference in *out). `column` names
 * the column in messages. */
int dtab_conform(const dvec *src, const dtab_cmap *m, dlog_cm_mode cm, const char *column,
                 dvec **out);

/* A vector of `n` nulls of type t. */
int dtab_nulls(const dtype *t, int64_t n, dvec **out);

#endif
