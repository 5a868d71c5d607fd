/*
 * Parquet record reader: a Parquet file -> a stream of record batches
 * (dvec STRUCT vectors) of its (projected) columns, mapped to dtypes by
 * logical.h and assembled by assemble.h.
 *
 * Memory stays bounded: a stream opens the column readers of one row group
 * at a time (only the projected leaves' chunks are fetched) and asks each
 * for batch_rows whole records; batches never span row groups.
 */
#ifndef DELTA_PARQUET_RECORD_READER_H
#define DELTA_PARQUET_RECORD_READER_H

#include <stdbool.h>
#include <stdint.h>

#include <delta/storage.h>

#include "columnar/vector.h"
#include "parquet/file_reader.h"
#include "parquet/logical.h"

#define PQ_READER_DEFAULT_BATCH_ROWS 65536

typedef struct pq_reader_options {
    const char *const *columns; /* NULL = all; see pq_plan_from_schema */
    uint32_t num_columns;
    int64_t batch_rows;         /* 0 = PQ_READER_DEFAULT_BATCH_ROWS */
    bool binary_as_string;
} pq_reader_options;

typedef struct pq_reader pq_reader;

/* Opens `key` of `store` (which must outlive the reader). opts may be NULL.
 * Errors: those of pq_file_open and pq_plan_from_schema, prefixed with the
 * file's key. */
int pq_reader_open(pq_reader **out, delta_store *store, const char *key,
                   const pq_reader_options *opts);
/* The same over an open file, which the reader takes (also on failure). */
int pq_reader_open_file(pq_reader **out, pq_file *f, const pq_reader_options *opts);

/* The schema of the batches (a STRUCT; borrowed, valid while r lives). */
const dtype *pq_reader_schema(const pq_reader *r);
/* The file's footer and its whole (unprojected) schema tree (borrowed). */
const pq_file_meta *pq_reader_metadata(const pq_reader *r);
const pq_schema *pq_reader_file_schema(const pq_reader *r);
const pq_plan *pq_reader_plan(const pq_reader *r);
int64_t pq_reader_num_rows(const pq_reader *r);

/* A new stream over every row group (free it with s->free before the
 * reader). Any number of streams may be open; each reads independently. */
int pq_reader_stream(pq_reader *r, dstream **out);
/* A stream over row groups [first, first+count) only. */
int pq_reader_stream_row_groups(pq_reader *r, uint32_t first, uint32_t count, dstream **out);

/* A stream over the row groups whose keep[] entry is true (one entry per
 * row group of the file; copied), for row-group skipping. */
int pq_reader_stream_select(pq_reader *r, const bool *keep, dstream **out);
/* The position in the file (row index from 0) of the first row of the
 * batch that stream s, made by this reader, returned last; rows of
 * skipped row groups count. Deletion vectors address rows this way. */
int64_t pq_reader_stream_row(const dstream *s);

/* Reads the records of one row group into a new batch (batch_rows is
 * ignored: the whole row group). */
int pq_reader_read_row_group(pq_reader *r, uint32_t row_group, dvec **out);

/* Statistics of one top-level column in one row group, as values of the
 * column's type (what row-group skipping compares a predicate against). */
typedef struct pq_column_bounds {
    dvec *min, *max;    /* one-row vectors of the column's type, or NULL */
    int64_t null_count; /* -1 when unknown */
} pq_column_bounds;

/*
 * Fills *out for top-level column `col` (an index into pq_reader_schema)
 * of row group rg. As the specification says, FLOAT and DOUBLE bounds
 * leave NaN values out: a caller whose predicates can be TRUE on NaN must
 * not rely on them. Bounds come from min_value/max_value, or from the
 * deprecated min/max only where those were written in the same (signed
 * numeric) order; nested columns, INT96, columns without a defined order
 * and NaN bounds give none. Statistics that do not convert (a wrong
 * length) give none rather than an error: they only ever let a reader
 * skip less. Release with pq_column_bounds_clear.
 */
int pq_reader_column_bounds(pq_reader *r, uint32_t rg, uint32_t col, pq_column_bounds *out);
void pq_column_bounds_clear(pq_column_bounds *b);

void pq_reader_free(pq_reader *r);

#endif
