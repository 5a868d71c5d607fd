/*
 * A Parquet file opened for reading: its footer decoded, its schema built
 * and the two cross-checked, with column chunk bytes fetched on demand.
 *
 * A pq_file reads from a delta_store through ranged gets (the file's size
 * from a head, the footer from one tail read, re-read once when the
 * metadata is larger than the guess) or from a caller's buffer. Nothing
 * else is read at open time: column chunks are fetched by
 * pq_file_read_chunk (one ranged get per chunk, done by the column reader
 * when it opens) and the page index on demand, so a reader of a few
 * projected columns never touches the others.
 *
 * Invariants after a successful open: the metadata passed
 * pq_file_meta_validate against the schema, so every row group has one
 * chunk per leaf with matching type and path, and every chunk's byte range
 * lies inside the column data (after the leading magic, before the footer).
 */
#ifndef DELTA_PARQUET_FILE_READER_H
#define DELTA_PARQUET_FILE_READER_H

#include <stddef.h>
#include <stdint.h>

#include <delta/storage.h>

#include "parquet/meta.h"
#include "parquet/schema.h"

typedef struct pq_file pq_file;

/* Bytes read from the end of the file in the first footer read. */
#define PQ_FOOTER_GUESS (64u * 1024u)

/*
 * Opens the Parquet object `key` of `store` (which must outlive the file).
 * Errors: DELTA_ENOTFOUND (no such object), DELTA_EIO (storage),
 * DELTA_ECORRUPT (not Parquet, bad footer or metadata; the message names
 * the key), DELTA_EUNSUPPORTED (encrypted footer, unsupported schema).
 */
int pq_file_open(pq_file **out, delta_store *store, const char *key);

/*
 * Opens a Parquet file held in memory. The buffer is borrowed, not copied:
 * it must stay unchanged until pq_file_free, and column chunks point into
 * it. `name` (copied) is used in messages.
 */
int pq_file_open_buffer(pq_file **out, const uint8_t *data, size_t len, const char *name);

/* Frees the file (NULL is fine). Column readers opened on it must be freed
 * first. */
void pq_file_free(pq_file *f);

/* The decoded metadata (pq_file_meta is its type name, hence
 * pq_file_metadata) and schema (borrowed, valid until pq_file_free). */
const pq_file_meta *pq_file_metadata(const pq_file *f);
const pq_schema *pq_file_schema(const pq_file *f);
/* The key or buffer name, for messages. */
const char *pq_file_name(const pq_file *f);
/* Size of the whole file in bytes. */
uint64_t pq_file_size(const pq_file *f);

/*
 * The byte range [*start, *start + *len) of one column chunk: from its
 * dictionary page (when dictionary_page_offset is set and precedes the
 * first data page) or first data page, total_compressed_size long.
 * DELTA_EINVAL for an out-of-range row group or leaf; DELTA_EUNSUPPORTED
 * for a chunk stored in another file (file_path).
 */
int pq_file_chunk_range(const pq_file *f, uint32_t row_group, uint32_t leaf, uint64_t *start,
                        uint64_t *len);

/*
 * Fetches the bytes of one column chunk. *data points at them. When the
 * file is a buffer it points into that buffer and the caller's block is
 * untouched; otherwise the bytes are read into the caller's block *buf of
 * *buf_cap bytes, which is replaced by a larger one (free with delta_free)
 * when too small - so a reader moving from chunk to chunk reuses one block.
 * A short read is DELTA_ECORRUPT.
 */
int pq_file_read_chunk(pq_file *f, uint32_t row_group, uint32_t leaf, const uint8_t **data,
                       uint8_t **buf, size_t *buf_cap, uint64_t *start, size_t *len);

/*
 * Reads the page index of one column chunk. *out is set to a new object
 * (free with pq_column_index_free / pq_offset_index_free) or to NULL when
 * the chunk has none. A range outside the column data or undecodable
 * bytes are DELTA_ECORRUPT.
 */
int pq_file_column_index(pq_file *f, uint32_t row_group, uint32_t leaf, pq_column_index **out);
int pq_file_offset_index(pq_file *f, uint32_t row_group, uint32_t leaf, pq_offset_index **out);

/* Appends "FILE, row group G, column a.b.c" to out (for messages). */
void pq_file_describe_chunk(const pq_file *f, uint32_t row_group, uint32_t leaf, dbuf *out);

#endif
