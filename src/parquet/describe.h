/*
 * Human- and machine-readable descriptions of a Parquet file's schema and
 * metadata, for `delta parquet schema|meta` and for diagnostics.
 *
 * The text schema is the message syntax other Parquet tools print
 * ("message spark_schema { optional binary name (STRING); ... }"). The
 * metadata description lists the file (version, writer, rows, key-value
 * metadata), each row group and each column chunk: type, codec, encodings,
 * value count, sizes, page offsets and statistics. Statistics are shown
 * as values of the column's logical type (dates, timestamps, decimals,
 * strings, unsigned integers), not as raw bytes.
 *
 * JSON output is one object, stable for scripts; its shape is documented
 * in docs/cli.md.
 */
#ifndef DELTA_PARQUET_DESCRIBE_H
#define DELTA_PARQUET_DESCRIBE_H

#include <stdbool.h>

#include "core/buf.h"
#include "parquet/meta.h"
#include "parquet/schema.h"

/* Appends the schema of s (text or JSON) to out. Returns out's sticky
 * error or DELTA_ENOMEM. */
int pq_describe_schema(const pq_schema *s, bool json, dbuf *out);

/* Appends the description of the file metadata m (whose schema is s) to
 * out. */
int pq_describe_meta(const pq_file_meta *m, const pq_schema *s, bool json, dbuf *out);

/* Appends one statistics value (min/max bytes as stored) of the column
 * `leaf`, converted to the column's type as data values are and printed
 * as `delta parquet cat` prints them: as text, or with `quote` as a JSON
 * value. Values whose length does not fit the physical type are shown as
 * "<invalid: N bytes>". */
void pq_describe_stat_value(const pq_schema_node *leaf, const uint8_t *v, size_t len, bool quote,
                            dbuf *out);

#endif
