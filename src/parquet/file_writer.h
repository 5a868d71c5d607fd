/*
 * Parquet file writer: streams a Parquet file into an object store.
 *
 * Layout written: "PAR1", then each row group's column chunks in column
 * order (each chunk: dictionary page if any, then its data pages), then
 * (when write_page_index is on) every ColumnIndex followed by every
 * OffsetIndex, then the FileMetaData footer, its 4-byte length and "PAR1".
 *
 * Usage:
 *
 *     pq_file_writer *w;
 *     pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
 *     rc = pq_file_writer_open(&w, store, "part-0.parquet", 0, schema, n, &o);
 *     pq_file_writer_start_row_group(w);
 *     for each batch:
 *         for each leaf i: pq_column_writer_write(pq_file_writer_column(w, i), ...);
 *         if (pq_file_writer_row_group_full(w)) {
 *             pq_file_writer_end_row_group(w, rows_in_group);
 *             pq_file_writer_start_row_group(w);
 *         }
 *     pq_file_writer_end_row_group(w, rows_in_group);
 *     rc = pq_file_writer_close(w);   // publishes the object
 *     pq_file_writer_free(w);
 *
 * Memory is bounded by one row group: each column chunk's pages are held
 * encoded (and compressed) until the row group ends, then written in
 * column order and dropped. Nothing is visible in the store before
 * pq_file_writer_close succeeds; after any failure the writer is stuck in
 * that error and close aborts the object.
 */
#ifndef DELTA_PARQUET_FILE_WRITER_H
#define DELTA_PARQUET_FILE_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include <delta/storage.h>

#include "parquet/column_writer.h"
#include "parquet/meta.h"

typedef struct pq_file_writer pq_file_writer;

/*
 * Opens a writer for `key` in `store` (which must outlive the writer);
 * put_flags are delta_put_flags (DELTA_PUT_IF_ABSENT makes close fail with
 * DELTA_EEXIST when the key exists). schema is the flat depth-first
 * SchemaElement list, root first; it is copied. opts may be NULL
 * (PQ_WRITER_OPTIONS_INIT); its strings are copied.
 * Errors: DELTA_EINVAL (schema without columns, malformed schema),
 * DELTA_EUNSUPPORTED (codec), storage errors.
 */
int pq_file_writer_open(pq_file_writer **out, delta_store *store, const char *key,
                        unsigned put_flags, const pq_schema_element *schema,
                        uint32_t num_elements, const pq_writer_options *opts);

/* Number of leaf columns, and the column writer of leaf `leaf` (NULL when
 * out of range); owned by the file writer. */
uint32_t pq_file_writer_num_columns(const pq_file_writer *w);
pq_column_writer *pq_file_writer_column(pq_file_writer *w, uint32_t leaf);
/* The schema tree built from the copied elements (borrowed). */
const pq_schema *pq_file_writer_schema(const pq_file_writer *w);

/* Starts a row group. Writing to the columns also starts one implicitly;
 * starting while rows are buffered is DELTA_EINVAL. */
int pq_file_writer_start_row_group(pq_file_writer *w);
/* True when the buffered row group reached row_group_size_rows rows or
 * row_group_size_bytes encoded bytes. */
bool pq_file_writer_row_group_full(const pq_file_writer *w);
/* Ends the row group: every column must hold exactly num_rows rows
 * (DELTA_EINVAL naming the column otherwise). Writes its chunks to the
 * store. A row group of 0 rows is dropped. */
int pq_file_writer_end_row_group(pq_file_writer *w, uint64_t num_rows);

/* Ends a row group still open (when its columns agree on the row count),
 * writes the page indexes and the footer and publishes the object. After
 * success pq_file_writer_metadata is available. On failure nothing
 * becomes visible. Calling it twice is DELTA_EINVAL. */
int pq_file_writer_close(pq_file_writer *w);
/* Discards the object; nothing becomes visible. */
void pq_file_writer_abort(pq_file_writer *w);
/* Frees the writer (aborting the object if it was neither closed nor
 * aborted). NULL is fine. */
void pq_file_writer_free(pq_file_writer *w);

/* The footer written by a successful close (NULL before): borrowed, valid
 * until pq_file_writer_free. */
const pq_file_meta *pq_file_writer_metadata(const pq_file_writer *w);
/* Rows in the row groups ended so far. */
uint64_t pq_file_writer_num_rows(const pq_file_writer *w);
/* Bytes written to the store so far. */
uint64_t pq_file_writer_bytes_written(const pq_file_writer *w);
/* Encoded bytes of the open row group, held in memory until it ends. */
uint64_t pq_file_writer_buffered_bytes(const pq_file_writer *w);

#endif
