/*
 * libFuzzer target for the Parquet reader: the input is a whole file.
 * Opens it from memory, reads the page index and every column of every
 * row group completely (levels and values, within a budget of level
 * entries per input to keep runs fast), in batches whose size comes from
 * the input so record cutting is exercised too. Inputs with an odd first
 * byte go through one reader re-targeted from chunk to chunk. Errors are
 * expected; crashes, hangs, leaks and out-of-bounds access are the bugs.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "parquet/column_reader.h"
#include "parquet/file_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pq_file *f;
    if (pq_file_open_buffer(&f, data, size, "fuzz.parquet") != 0)
        return 0;
    const pq_file_meta *m = pq_file_metadata(f);
    uint32_t leaves = pq_file_schema(f)->num_leaves;
    /* batch size from the input: small ones cut records often, but not so
     * small that million-row golden files take seconds per run */
    size_t max_records = size ? 1 + (size_t)(data[size / 2] % 32) * 257 : 1;
    uint64_t budget = 1u << 18; /* level entries per input, bounds run time */
    unsigned chunks = 0;
    pq_column_reader *reuse = NULL;
    if (size && (data[0] & 1) && m->num_row_groups && leaves &&
        pq_column_reader_open(&reuse, f, 0, 0) != 0)
        reuse = NULL;
    for (uint32_t g = 0; g < m->num_row_groups && chunks < 256; g++) {
        for (uint32_t c = 0; c < leaves && chunks < 256; c++, chunks++) {
            pq_column_index *ci = NULL;
            pq_offset_index *oi = NULL;
            if (pq_file_column_index(f, g, c, &ci) == 0)
                pq_column_index_free(ci);
            if (pq_file_offset_index(f, g, c, &oi) == 0)
                pq_offset_index_free(oi);
            /* odd inputs re-target one reader from chunk to chunk */
            pq_column_reader *r = reuse;
            if ((reuse ? pq_column_reader_reopen(r, g, c) : pq_column_reader_open(&r, f, g, c)) !=
                0)
                continue;
            pq_column_batch b = PQ_COLUMN_BATCH_INIT;
            uint64_t sum = 0;
            while (budget && pq_column_reader_read(r, max_records, &b) == 0 && b.num_records) {
                budget = b.num_levels < budget ? budget - b.num_levels : 0;
                /* touch what the batch claims to hold */
                for (size_t i = 0; i < b.num_levels; i++)
                    sum += (uint64_t)(b.def ? b.def[i] : 0) + (uint64_t)(b.rep ? b.rep[i] : 0);
                if (b.bytes.count)
                    sum += (uint64_t)b.bytes.offsets[b.bytes.count];
            }
            (void)sum;
            pq_column_batch_free(&b);
            if (!reuse)
                pq_column_reader_free(r);
        }
    }
    pq_column_reader_free(reuse);
    pq_file_free(f);
    delta_error_clear();
    return 0;
}
