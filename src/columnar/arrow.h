/*
 * Columnar data across the Arrow C Data and C Stream Interfaces
 * (include/delta/arrow.h): dtypes to and from ArrowSchema, vectors to and
 * from ArrowArray without copying, dstreams to and from ArrowArrayStream.
 *
 * Formats (Arrow's format strings):
 *   n b c s i l C S I L e f g      null, bool, int8..int64, uint8..uint64,
 *                                  float16/32/64
 *   d:P,S (also d:P,S,128)         decimal128
 *   tdD  tts ttm ttu ttn           date32, time32 s/ms, time64 us/ns
 *   tss: tsm: tsu: tsn:            timestamp without zone (timestamp_ntz);
 *                                  with any zone it is an instant (utc),
 *                                  exported with zone "UTC"
 *   u z w:N                        string, binary, fixed-size binary
 *   +s +l +m                       struct, list, map
 * Others (large/view types, dictionaries, unions, ...) are
 * DELTA_EUNSUPPORTED naming the format string and the column.
 * The UUID and JSON annotations travel as Arrow's canonical extension types
 * (ARROW:extension:name arrow.uuid / arrow.json); a field's id travels as
 * the PARQUET:field_id metadata key, as pyarrow writes it.
 *
 * Ownership follows the Arrow specification: an exported struct holds its
 * own references (to the vector, to the stream) and is released by the
 * consumer, children independently in any order. Imports take the struct
 * (moved: the caller's copy has release == NULL afterwards, also when the
 * import fails).
 */
#ifndef DELTA_COLUMNAR_ARROW_H
#define DELTA_COLUMNAR_ARROW_H

#include <stdbool.h>

#include "columnar/types.h"
#include "columnar/vector.h"
#include "delta/arrow.h"

/* Schema of one field; a STRUCT (a batch schema) exports as "+s" with one
 * child per column. */
int dtype_export(const dtype *t, const char *name, bool nullable, struct ArrowSchema *out);
/* The field described by s (s is not released; the caller keeps it). The
 * field is filled on success; release it with dfield_clear. */
int dtype_import(const struct ArrowSchema *s, dfield *out);

/* Zero-copy: the array holds a new reference to v (and its children to
 * theirs). */
int dvec_export(dvec *v, struct ArrowArray *out);
/* A vector of type t over the array's buffers. Buffers are borrowed where
 * the layout allows; a validity or BOOL bitmap starting mid-byte is copied
 * and offsets not starting at 0 are rebased into a copy, so the result
 * always starts at row 0. The result is checked with dvec_validate
 * (without the UTF-8 scan); DELTA_ECORRUPT names the first problem. */
int dvec_import(struct ArrowArray *in, const dtype *t, dvec **out);

/* Takes s (freed when the Arrow stream is released). */
int dstream_export(dstream *s, struct ArrowArrayStream *out);
/* Takes in; the stream's schema must be a struct (a record batch). */
int dstream_import(struct ArrowArrayStream *in, dstream **out);

#endif
