/*
 * libdelta Parquet files: read any Parquet file of an object store as a
 * stream of Arrow record batches, and write Arrow record batches to a new
 * Parquet file.
 *
 * Types map both ways between Parquet and Arrow: every logical type of the
 * Parquet specification and the legacy converted types (strings, enums,
 * JSON, BSON, UUID, signed and unsigned integers, decimals in every
 * physical type, dates, times, timestamps with their UTC flag, INT96
 * timestamps, half floats), structs, lists in the standard and in every
 * legacy form, and maps, with nulls at every level. Parquet field ids are
 * exported as the Arrow field metadata key "PARQUET:field_id" and written
 * back from it, so a file read and written again keeps its logical types
 * and field ids.
 *
 * Example:
 *
 *     delta_parquet_reader *r;
 *     struct ArrowArrayStream s;
 *     if (delta_parquet_reader_open(&r, store, "part-0.parquet", NULL) == 0 &&
 *         delta_parquet_reader_stream(r, &s) == 0) {
 *         struct ArrowArray batch;
 *         while (s.get_next(&s, &batch) == 0 && batch.release) {
 *             ... use batch ...
 *             batch.release(&batch);
 *         }
 *         s.release(&s);
 *     }
 *     delta_parquet_reader_free(r);
 */
#ifndef DELTA_PARQUET_H
#define DELTA_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "delta/arrow.h"
#include "delta/common.h"
#include "delta/storage.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reading ------------------------------------------------------------ */

/** Options of delta_parquet_reader_open. Initialise with
 *  DELTA_PARQUET_READ_OPTIONS_INIT; fields are only ever appended. */
typedef struct delta_parquet_read_options {
    unsigned version; /**< DELTA_PARQUET_READ_OPTIONS_VERSION */
    /** Columns to read (NULL = all): names of top-level columns or dotted
     *  paths through structs ("a.b" keeps field b of struct a). Names match
     *  exactly, else ASCII case-insensitively when unique. The result keeps
     *  the file's column order. */
    const char *const *columns;
    size_t num_columns;
    /** Rows per batch (0 = 65536). */
    int64_t batch_rows;
    /** Read un-annotated BYTE_ARRAY columns as strings (Spark's
     *  binaryAsString) instead of binary. */
    bool binary_as_string;
} delta_parquet_read_options;

#define DELTA_PARQUET_READ_OPTIONS_VERSION 1
#define DELTA_PARQUET_READ_OPTIONS_INIT {DELTA_PARQUET_READ_OPTIONS_VERSION, NULL, 0, 0, false}

/** An open Parquet file with its (projected) schema. */
typedef struct delta_parquet_reader delta_parquet_reader;

/**
 * Opens the Parquet object `key` of `store` and reads its footer.
 *
 * @param out    receives the reader (free with delta_parquet_reader_free)
 * @param store  the store; must outlive the reader and its streams
 * @param key    object key of the file
 * @param opts   options, or NULL for the defaults
 * @return 0, DELTA_ENOTFOUND (no such object, or an unknown column),
 *         DELTA_ECORRUPT (not a Parquet file, malformed metadata),
 *         DELTA_EUNSUPPORTED (a type or feature this library cannot read),
 *         DELTA_EIO, DELTA_ENOMEM.
 */
DELTA_EXTERN int delta_parquet_reader_open(delta_parquet_reader **out, delta_store *store,
                                           const char *key,
                                           const delta_parquet_read_options *opts);

/**
 * Exports the Arrow schema of the batches (a struct of the projected
 * columns). The caller owns *out and releases it.
 */
DELTA_EXTERN int delta_parquet_reader_schema(delta_parquet_reader *r, struct ArrowSchema *out);

/**
 * Starts a stream of record batches: every row group in file order, at
 * most batch_rows rows per batch (a batch never spans row groups). Only
 * the projected column chunks are read, one row group at a time, so memory
 * stays bounded by one row group's projected chunks plus one batch. The
 * caller owns *out and releases it; a stream may be started more than
 * once, each time from the first row. Errors while streaming come back
 * from get_next with a message from get_last_error.
 */
DELTA_EXTERN int delta_parquet_reader_stream(delta_parquet_reader *r,
                                             struct ArrowArrayStream *out);

/** Rows in the file (from its footer). */
DELTA_EXTERN int64_t delta_parquet_reader_num_rows(const delta_parquet_reader *r);

/**
 * The file's key-value metadata, as arrays shaped like the kv_keys,
 * kv_values and num_kv of delta_parquet_write_options (so a rewrite can
 * pass them on unchanged). A key without a value has a NULL value. The
 * arrays and strings are borrowed: valid until delta_parquet_reader_free.
 */
DELTA_EXTERN int delta_parquet_reader_metadata(delta_parquet_reader *r,
                                               const char *const **keys,
                                               const char *const **values, size_t *num_kv);

/** What delta_parquet_reader_describe describes. */
enum delta_parquet_describe {
    DELTA_PARQUET_DESCRIBE_SCHEMA = 1, /**< the file's whole schema tree */
    DELTA_PARQUET_DESCRIBE_META = 2    /**< file, row groups, column chunks, statistics */
};

/**
 * Describes the file for people (json false: the Parquet message syntax
 * for the schema; an indented listing of row groups and column chunks with
 * types, codecs, encodings, sizes, page offsets and statistics rendered by
 * logical type) or for scripts (json true: one JSON object, whose shape
 * docs/cli.md documents).
 *
 * @param out  receives a NUL-terminated string; free it with delta_free
 * @return 0, DELTA_EINVAL (unknown `what`), DELTA_ENOMEM.
 */
DELTA_EXTERN int delta_parquet_reader_describe(delta_parquet_reader *r, int what, bool json,
                                               char **out);

/** Frees the reader (NULL is fine). Streams started from it must be
 *  released first. */
DELTA_EXTERN void delta_parquet_reader_free(delta_parquet_reader *r);

/* ---- writing ------------------------------------------------------------ */

/** Options of delta_parquet_writer_open. Initialise with
 *  DELTA_PARQUET_WRITE_OPTIONS_INIT; fields are only ever appended. */
typedef struct delta_parquet_write_options {
    unsigned version; /**< DELTA_PARQUET_WRITE_OPTIONS_VERSION */
    /** Compression: "snappy" (NULL = default), "none"/"uncompressed",
     *  "gzip", "zstd", "lz4", "lz4_raw", "brotli". */
    const char *compression;
    int compression_level;  /**< 0 = the codec's default */
    int64_t row_group_rows; /**< rows per row group, 0 = 1048576 */
    int64_t row_group_bytes; /**< encoded bytes per row group, 0 = 128 MiB */
    int64_t page_size;      /**< bytes per data page, 0 = 1 MiB */
    bool dictionary_off;    /**< true: PLAIN encoding only */
    bool data_page_v2;      /**< true: v2 data pages */
    bool no_page_index;     /**< true: no ColumnIndex/OffsetIndex */
    bool if_absent;         /**< true: fail with DELTA_EEXIST if key exists */
    /** Key-value metadata written to the footer: num_kv pairs (a NULL
     *  value writes the key alone). */
    const char *const *kv_keys;
    const char *const *kv_values;
    size_t num_kv;
} delta_parquet_write_options;

#define DELTA_PARQUET_WRITE_OPTIONS_VERSION 1
#define DELTA_PARQUET_WRITE_OPTIONS_INIT                                                       \
    {DELTA_PARQUET_WRITE_OPTIONS_VERSION, NULL, 0, 0, 0, 0, false, false, false, false, NULL,  \
     NULL, 0}

/** A Parquet file being written. */
typedef struct delta_parquet_writer delta_parquet_writer;

/**
 * Opens a writer of a new Parquet object `key` with the columns of
 * `schema` (an Arrow struct schema; it is only read). Nothing is visible
 * in the store before delta_parquet_writer_close succeeds.
 *
 * @return 0, DELTA_EINVAL (bad options or schema), DELTA_EUNSUPPORTED (an
 *         Arrow type Parquet cannot hold, e.g. a struct without fields, or
 *         an unavailable codec), DELTA_EIO, DELTA_ENOMEM.
 */
DELTA_EXTERN int delta_parquet_writer_open(delta_parquet_writer **out, delta_store *store,
                                           const char *key, const struct ArrowSchema *schema,
                                           const struct delta_parquet_write_options *opts);

/**
 * Writes one record batch (a struct array of the writer's schema). The
 * batch is consumed: it is released whether or not the call succeeds.
 * @return 0, DELTA_ETYPE (not of the writer's schema), DELTA_EINVAL (a null
 *         in a non-nullable column, malformed array), DELTA_EIO, ...
 */
DELTA_EXTERN int delta_parquet_writer_write(delta_parquet_writer *w, struct ArrowArray *batch);

/** Writes every batch of a stream of the writer's schema. The stream is
 *  consumed: read to its end and released, also on failure. */
DELTA_EXTERN int delta_parquet_writer_write_stream(delta_parquet_writer *w,
                                                   struct ArrowArrayStream *stream);

/** Writes the footer and publishes the file. After a failure nothing is
 *  published. */
DELTA_EXTERN int delta_parquet_writer_close(delta_parquet_writer *w);

/** Frees the writer (NULL is fine); without a successful close nothing is
 *  published. */
DELTA_EXTERN void delta_parquet_writer_free(delta_parquet_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* DELTA_PARQUET_H */
