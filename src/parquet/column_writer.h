/*
 * Parquet column writer: encodes one leaf column's levels and values into
 * the pages of a column chunk, held in memory until the row group ends.
 *
 * Input is the shape a reader produces: num_levels entries of definition
 * and repetition levels (def NULL when max_def == 0, rep NULL when
 * max_rep == 0) and the dense non-null values, one per entry whose
 * definition level is max_def:
 *   BOOLEAN 1 byte 0/1, INT32/FLOAT 4 bytes, INT64/DOUBLE 8, INT96 12,
 *   FIXED_LEN_BYTE_ARRAY type_length bytes, all in host order;
 *   BYTE_ARRAY: `values` is the data and `offsets` num_values+1 int32
 *   offsets into it (value i is data[offsets[i] .. offsets[i+1])).
 * A write may end in the middle of a row; the next one continues it.
 *
 * Pages: a page ends, at the next row boundary, once its estimated
 * encoded size reaches page_size_bytes or it holds page_max_rows rows, so
 * pages always start at a row (as page indexes and v2 pages require).
 * Levels use the RLE/bit-packed hybrid (with the 4-byte length prefix in
 * v1 pages, uncompressed and unprefixed in v2 pages).
 *
 * Dictionary: every type but BOOLEAN starts dictionary encoded
 * (RLE_DICTIONARY data pages plus one PLAIN dictionary page written first
 * in the chunk), with one open-addressing table per physical type keyed by
 * the value bits (so -0.0/+0.0 and distinct NaNs are distinct entries).
 * When the first page is flushed the writer checks whether the dictionary
 * pays off (dictionary plus indices smaller than PLAIN); if not, that page
 * is re-encoded PLAIN and the chunk carries no dictionary. When the
 * dictionary outgrows dictionary_size_limit later, the current page ends
 * at the next row boundary and the rest of the chunk is PLAIN. Every new
 * chunk starts with a fresh dictionary.
 *
 * Statistics (stats.h) are kept per page (page headers and the page index)
 * and per chunk (column metadata).
 *
 * Errors are sticky: after a failure every call returns the same code.
 * Messages name the file key and the column path.
 */
#ifndef DELTA_PARQUET_COLUMN_WRITER_H
#define DELTA_PARQUET_COLUMN_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "parquet/meta.h"
#include "parquet/schema.h"

/*
 * Options of the Parquet writer (shared by the file and column writers).
 * Initialise with PQ_WRITER_OPTIONS_INIT and change what you need; new
 * fields are only ever appended. Zero sizes mean the default.
 */
typedef struct pq_writer_options {
    unsigned version;             /* PQ_WRITER_OPTIONS_VERSION */
    int codec;                    /* enum pq_codec; default SNAPPY */
    int level;                    /* codec level, 0 = the codec's default */
    uint64_t row_group_size_rows; /* default 1M rows */
    uint64_t row_group_size_bytes; /* default 128 MiB of encoded chunks */
    size_t page_size_bytes;       /* default 1 MiB (uncompressed estimate) */
    size_t dictionary_size_limit; /* default 1 MiB of PLAIN dictionary */
    bool data_page_v2;            /* default false: v1 data pages */
    bool write_page_index;        /* default true: ColumnIndex + OffsetIndex */
    size_t stats_truncate_len;    /* BYTE_ARRAY bounds longer are cut; default 64 */
    const char *created_by;       /* default "libdelta version X.Y.Z" */
    const char *const *kv_keys;   /* key-value metadata, num_kv pairs */
    const char *const *kv_values; /* a NULL value writes the key alone */
    size_t num_kv;
    size_t page_max_rows;         /* default 20000 rows per page */
    bool no_dictionary;           /* true: PLAIN only */
} pq_writer_options;

#define PQ_WRITER_OPTIONS_VERSION 1
#define PQ_WRITER_DEFAULT_PAGE_SIZE ((size_t)1 << 20)
#define PQ_WRITER_DEFAULT_PAGE_ROWS ((size_t)20000)
#define PQ_WRITER_DEFAULT_DICT_LIMIT ((size_t)1 << 20)
#define PQ_WRITER_DEFAULT_TRUNCATE ((size_t)64)
#define PQ_WRITER_DEFAULT_RG_ROWS ((uint64_t)1 << 20)
#define PQ_WRITER_DEFAULT_RG_BYTES ((uint64_t)128 << 20)

#define PQ_WRITER_OPTIONS_INIT                                                                 \
    {PQ_WRITER_OPTIONS_VERSION,                                                                \
     1 /* PQ_CODEC_SNAPPY */,                                                                  \
     0,                                                                                        \
     PQ_WRITER_DEFAULT_RG_ROWS,                                                                \
     PQ_WRITER_DEFAULT_RG_BYTES,                                                               \
     PQ_WRITER_DEFAULT_PAGE_SIZE,                                                              \
     PQ_WRITER_DEFAULT_DICT_LIMIT,                                                             \
     false,                                                                                    \
     true,                                                                                     \
     PQ_WRITER_DEFAULT_TRUNCATE,                                                               \
     NULL,                                                                                     \
     NULL,                                                                                     \
     NULL,                                                                                     \
     0,                                                                                        \
     PQ_WRITER_DEFAULT_PAGE_ROWS,                                                              \
     false}

/* Copies in (or the defaults when NULL) to o, replacing zero sizes and
 * row counts by their defaults. */
void pq_writer_options_resolve(pq_writer_options *o, const pq_writer_options *in);

typedef struct pq_column_writer pq_column_writer;

/*
 * Creates a writer for the leaf `leaf` of a built schema (which must
 * outlive the writer). file_key is only used in messages and is copied.
 * opts may be NULL (defaults). Codecs this build cannot compress are
 * DELTA_EUNSUPPORTED.
 */
int pq_column_writer_new(pq_column_writer **out, const pq_schema_node *leaf,
                         const pq_writer_options *opts, const char *file_key);
void pq_column_writer_free(pq_column_writer *cw);

/*
 * Appends num_levels entries (see the top of this file). Levels out of
 * range, a missing level array, a first entry of a chunk with a nonzero
 * repetition level, or BYTE_ARRAY values without offsets are DELTA_EINVAL.
 */
int pq_column_writer_write(pq_column_writer *cw, size_t num_levels, const int16_t *def,
                           const int16_t *rep, const void *values, const int32_t *offsets);

/* Rows (entries with repetition level 0) and level entries written to the
 * current chunk so far, including the unfinished page. */
uint64_t pq_column_writer_rows(const pq_column_writer *cw);
uint64_t pq_column_writer_levels(const pq_column_writer *cw);
/* Encoded bytes held for the current chunk (pages plus the estimate of
 * the unfinished page and the dictionary). */
size_t pq_column_writer_buffered_bytes(const pq_column_writer *cw);
/* 0, or the sticky error of an earlier failed call. */
int pq_column_writer_error(const pq_column_writer *cw);
/* The dotted column path ("a.b.c"), valid while the writer lives. */
const char *pq_column_writer_path(const pq_column_writer *cw);

/* A finished chunk's bytes, valid until pq_column_writer_reset/free. */
typedef struct pq_chunk_bytes {
    const uint8_t *dict_page; /* dictionary page (header + body), or NULL */
    size_t dict_page_len;
    const uint8_t *data_pages; /* the data pages, back to back */
    size_t data_pages_len;
    const uint8_t *column_index; /* encoded ColumnIndex, or NULL when none */
    size_t column_index_len;
    const uint8_t *offset_index; /* encoded OffsetIndex, or NULL when none */
    size_t offset_index_len;
} pq_chunk_bytes;

/*
 * Ends the chunk: flushes the last page and builds the dictionary page and
 * the page index for a chunk that will start at byte `file_offset` of the
 * file (dictionary page first, then the data pages). Fills `meta` (every
 * field but path_in_schema and key_value_metadata; arrays and statistics
 * allocated from `arena`) and `bytes`. A chunk may be empty (0 rows).
 */
int pq_column_writer_finish(pq_column_writer *cw, int64_t file_offset, darena *arena,
                            pq_column_meta *meta, pq_chunk_bytes *bytes);
/* Forgets the finished chunk and starts a new one (keeps its memory). */
void pq_column_writer_reset(pq_column_writer *cw);

#endif
