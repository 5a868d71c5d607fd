/*
 * libdelta columnar output: printing Arrow streams (scan results, history,
 * listings) as a text table, CSV, NDJSON or one JSON array, the formats of
 * the CLI's --format option.
 *
 * Value forms: integers and decimals as exact digits, floats as the
 * shortest text that reads back to the same value (NaN, Infinity and
 * -Infinity as JSON strings), dates as 2024-01-31, timestamps in ISO-8601
 * (2024-01-31T10:20:30.123456Z for instants, no Z for timestamp_ntz,
 * nanoseconds kept), binary as base64 in CSV/JSON and hex in tables,
 * nested values as JSON. Nulls: NULL in tables, an empty field in CSV
 * (an empty string is written ""), null in JSON.
 */
#ifndef DELTA_COLUMNAR_PUBLIC_H
#define DELTA_COLUMNAR_PUBLIC_H

#include <stdint.h>
#include <stdio.h>

#include "delta/arrow.h"
#include "delta/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Output formats. */
enum delta_format {
    DELTA_FORMAT_TABLE = 0,  /**< aligned, boxed text table for people */
    DELTA_FORMAT_CSV = 1,    /**< RFC 4180 with a header line, LF line ends */
    DELTA_FORMAT_NDJSON = 2, /**< one JSON object per line */
    DELTA_FORMAT_JSON = 3,   /**< one JSON array of objects */
    DELTA_FORMAT_PARQUET = 4 /**< recognised by delta_format_parse; not printable */
};

/** Options of delta_print_stream; initialise with DELTA_PRINT_OPTIONS_INIT. */
typedef struct delta_print_options {
    unsigned version; /**< 1 */
    int format;       /**< DELTA_FORMAT_TABLE, _CSV, _NDJSON or _JSON */
    int64_t limit;    /**< print at most this many rows; -1 = all */
} delta_print_options;

#define DELTA_PRINT_OPTIONS_INIT                                                                   \
    {                                                                                              \
        1, DELTA_FORMAT_TABLE, -1                                                                  \
    }

/**
 * Parses a format name ("table", "csv", "ndjson", "json", "parquet";
 * case-insensitive) into *out. Returns 0, or DELTA_EINVAL naming the
 * unknown format.
 */
DELTA_EXTERN int delta_format_parse(const char *name, int *out);

/**
 * Prints every batch of `stream` to fp in opts->format (opts NULL = the
 * defaults), stopping after opts->limit rows. The stream must carry record
 * batches (struct schema). Batches are read without copying.
 *
 * The stream is consumed: it is released before returning, also on
 * failure. A table is sized from its first 1000 rows; later longer cells
 * are cut with "...".
 *
 * Returns the number of rows printed, or a negative DELTA_E* code
 * (DELTA_EIO when writing to fp failed, DELTA_EUNSUPPORTED for a column
 * type or format that cannot be printed, DELTA_ECORRUPT for a malformed
 * array).
 */
DELTA_EXTERN int64_t delta_print_stream(FILE *fp, struct ArrowArrayStream *stream,
                                        const delta_print_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* DELTA_COLUMNAR_PUBLIC_H */
