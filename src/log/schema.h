/*
 * Delta table schemas (metaData.schemaString) to and from column types.
 *
 * The Delta schema is Spark's JSON schema: a "struct" of fields, each with
 * a name, a type (a primitive name, or a struct/array/map object), a
 * nullable flag and a metadata object. It maps onto dtype as:
 *
 *   string -> STRING          long -> INT64       integer -> INT32
 *   short -> INT16            byte -> INT8        float -> FLOAT32
 *   double -> FLOAT64         boolean -> BOOL     binary -> BINARY
 *   date -> DATE32            decimal(p,s) -> DECIMAL(p,s) (bare "decimal"
 *                             is decimal(10,0), as in Spark)
 *   timestamp -> TIMESTAMP(MICRO, utc)   timestamp_ntz -> TIMESTAMP(MICRO, local)
 *   void -> NULL (Spark's null type, found in old tables)
 *   array -> LIST (element "element", nullable = containsNull)
 *   map -> MAP (value nullable = valueContainsNull)
 *
 * Field metadata is kept verbatim as compact JSON text in dfield.metadata
 * (NULL when empty), and "delta.columnMapping.id" also lands in dfield.id
 * (else -1). A type name not listed above (e.g. variant) is refused with
 * DELTA_EUNSUPPORTED naming the field path; malformed JSON is
 * DELTA_ECORRUPT.
 */
#ifndef DELTA_LOG_SCHEMA_H
#define DELTA_LOG_SCHEMA_H

#include <stddef.h>

#include "columnar/types.h"
#include "core/buf.h"
#include "log/actions.h"

/* Parses schema JSON into a new STRUCT type (release with dtype_unref). */
int dlog_schema_parse(dtype **out, const char *json, size_t len);

/* Appends the Delta schema JSON of a STRUCT type (compact, one line). Types
 * Delta has no name for (unsigned integers, other timestamp units, ...)
 * are DELTA_EUNSUPPORTED naming the field. */
int dlog_schema_serialize(const dtype *schema, dbuf *out);

/* The physical name of a field: its "delta.columnMapping.physicalName"
 * metadata when present, else its name. A new string (delta_free), or
 * NULL on allocation failure. */
char *dlog_field_physical_name(const dfield *f);

/* Column mapping mode of a table's configuration. */
typedef enum dlog_cm_mode {
    DLOG_CM_NONE = 0,
    DLOG_CM_ID,
    DLOG_CM_NAME
} dlog_cm_mode;

/* Reads "delta.columnMapping.mode" (absent = none); an unknown value is
 * DELTA_EUNSUPPORTED naming it. */
int dlog_column_mapping_mode(const dlog_map *configuration, dlog_cm_mode *out);

#endif
