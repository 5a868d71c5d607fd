/*
 * Reading one Parquet column chunk as definition levels, repetition levels
 * and densely packed physical values, whole records at a time.
 *
 * The reader fetches the chunk's compressed bytes with one ranged get when
 * it opens, then walks its pages in order: an optional dictionary page
 * (found through dictionary_page_offset or as the first page when that is
 * missing), data pages v1 and v2 with any codec and any of the encodings
 * PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY, RLE (booleans),
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT, levels as RLE or legacy BIT_PACKED. Index pages and
 * page types it does not know are skipped.
 *
 * Memory: the chunk's compressed bytes, one decompressed data page (plus
 * the decompressed dictionary page), that page's levels, and the batch.
 *
 * Everything read from the file is checked: page sizes against the chunk,
 * decompressed sizes against a cap and the codec's largest possible
 * expansion, value counts against levels and the chunk metadata,
 * levels against their maximum, dictionary indices against the dictionary,
 * and that the chunk starts a record. Failures are DELTA_ECORRUPT (or
 * DELTA_EUNSUPPORTED for valid features not handled) with a message naming
 * the file, row group, column path and page offset. A reader that failed
 * stays failed: later reads return the same code.
 */
#ifndef DELTA_PARQUET_COLUMN_READER_H
#define DELTA_PARQUET_COLUMN_READER_H

#include <stddef.h>
#include <stdint.h>

#include "parquet/encoding.h"
#include "parquet/file_reader.h"

/* Largest decompressed page accepted. */
#define PQ_MAX_PAGE_SIZE (1024u * 1024u * 1024u)
/* Pages up to this size may expand from any compressed size; larger ones
 * must respect the codec's maximum expansion ratio. */
#define PQ_PAGE_RATIO_FREE (64u * 1024u * 1024u)

/* Most level entries one data page may hold (they are decoded in full). */
#define PQ_MAX_PAGE_VALUES (1u << 26)

typedef struct pq_column_reader pq_column_reader;

/* Output of one read. Initialise with PQ_COLUMN_BATCH_INIT (or zeros);
 * the reader reuses its buffers from call to call. */
typedef struct pq_column_batch {
    size_t num_levels;  /* level entries produced */
    size_t num_values;  /* non-null values = entries with def == max_def */
    size_t num_records; /* records (entries with rep == 0) produced */
    int16_t *def;       /* num_levels entries; NULL when max_def == 0 */
    int16_t *rep;       /* num_levels entries; NULL when max_rep == 0 */
    /* Values, densely packed (nulls take no slot): BOOLEAN one byte 0/1
     * each; INT32/FLOAT 4 bytes; INT64/DOUBLE 8; INT96 12;
     * FIXED_LEN_BYTE_ARRAY type_length; in host byte order for numbers. */
    void *values;
    pq_bytes_out bytes; /* BYTE_ARRAY values (offsets + data) */
    /* private */
    size_t def_cap, rep_cap; /* entries */
    size_t values_cap;       /* bytes */
    int16_t *def_buf, *rep_buf;
} pq_column_batch;

#define PQ_COLUMN_BATCH_INIT                                                                       \
    {                                                                                              \
        0, 0, 0, NULL, NULL, NULL, PQ_BYTES_OUT_INIT, 0, 0, 0, NULL, NULL                          \
    }

/*
 * Opens a reader over the column chunk of leaf `leaf` (schema column
 * order) in row group `row_group` of f, which must outlive it. Fetches the
 * chunk's bytes. DELTA_EINVAL for indexes out of range; DELTA_EUNSUPPORTED
 * for a codec this build lacks or a chunk in another file.
 */
int pq_column_reader_open(pq_column_reader **out, pq_file *f, uint32_t row_group, uint32_t leaf);

/*
 * Points r at another column chunk of the same file (any row group and
 * leaf), as pq_column_reader_open would, but keeps its page buffers: a scan
 * reading one column across row groups reuses one reader and so avoids
 * allocating (and faulting in) a fresh page buffer per chunk. On failure
 * the reader stays failed until a reopen succeeds.
 */
int pq_column_reader_reopen(pq_column_reader *r, uint32_t row_group, uint32_t leaf);

/*
 * Reads up to max_records whole records (a record ends before the next
 * entry with rep == 0) into b, replacing what it held; the batch stays
 * valid until the next read or pq_column_batch_free. Records never split
 * across calls. b->num_records == 0 means the chunk is finished. When the
 * byte-array data of a batch would pass 1 GiB the batch ends early, at a
 * record boundary.
 */
int pq_column_reader_read(pq_column_reader *r, size_t max_records, pq_column_batch *b);

/* The leaf being read (borrowed from the file's schema). */
const pq_schema_node *pq_column_reader_leaf(const pq_column_reader *r);
/* Level entries handed out so far. */
uint64_t pq_column_reader_levels_read(const pq_column_reader *r);

void pq_column_batch_free(pq_column_batch *b);
void pq_column_reader_free(pq_column_reader *r);

#endif
