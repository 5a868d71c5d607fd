/*
 * Parquet record writer: record batches (dvec STRUCT vectors of one dtype
 * schema) -> a Parquet file in an object store. The dtype schema is mapped
 * to SchemaElements (logical.h: logical + converted types, field ids), each
 * batch is shredded (shred.h) and fed to the column writers of
 * file_writer.h; row groups end at opts->row_group_size_rows rows or when
 * the file writer reports the row group full (row_group_size_bytes).
 *
 * Memory: one row group of encoded pages plus the levels of at most
 * PQ_WRITER_SHRED_ROWS rows at a time. Nothing is visible in the store
 * before pq_writer_close succeeds. Errors are sticky.
 */
#ifndef DELTA_PARQUET_RECORD_WRITER_H
#define DELTA_PARQUET_RECORD_WRITER_H

#include <stdint.h>

#include <delta/storage.h>

#include "columnar/vector.h"
#include "parquet/column_writer.h"
#include "parquet/meta.h"

/* Rows shredded per step when a batch is large. */
#define PQ_WRITER_SHRED_ROWS 65536

typedef struct pq_writer pq_writer;

/*
 * Opens a writer of `schema` (a STRUCT; a reference is taken) to `key`.
 * put_flags are delta_put_flags; opts may be NULL (PQ_WRITER_OPTIONS_INIT;
 * its key-value metadata is written to the footer). Errors: those of
 * pq_plan_from_dtype (a type Parquet cannot hold) and pq_file_writer_open.
 */
int pq_writer_open(pq_writer **out, delta_store *store, const char *key, unsigned put_flags,
                   const dtype *schema, const pq_writer_options *opts);

/* Writes the rows of batch (a record batch of exactly the writer's schema:
 * DELTA_ETYPE otherwise). The batch is only read. */
int pq_writer_write(pq_writer *w, const dvec *batch);

/* Writes every batch of a stream (whose schema must equal the writer's). */
int pq_writer_write_stream(pq_writer *w, dstream *s);

/* Ends the last row group, writes the footer and publishes the file. */
int pq_writer_close(pq_writer *w);

/* Frees the writer; without a successful close nothing is published. */
void pq_writer_free(pq_writer *w);

const dtype *pq_writer_schema(const pq_writer *w);
/* Rows written so far (in ended and open row groups). */
int64_t pq_writer_num_rows(const pq_writer *w);
/* The footer after a successful close (borrowed, valid until free). */
const pq_file_meta *pq_writer_metadata(const pq_writer *w);
/* Bytes of the file (after close: its size). */
uint64_t pq_writer_bytes_written(const pq_writer *w);
/* Encoded bytes of the open row group, held in memory until it ends. */
uint64_t pq_writer_buffered_bytes(const pq_writer *w);
/* Ends the open row group now (when it holds rows), writing it out: a
 * caller keeping many files open bounds their memory this way. */
int pq_writer_flush(pq_writer *w);

#endif
