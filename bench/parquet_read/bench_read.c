/*
 * Decodes every column of every row group of the given Parquet files with
 * the column reader (batches of 65536 records, or -b N), REPEAT times, and prints
 * the best wall time with throughput in values and compressed bytes per
 * second. Files are read into memory first, so storage is not measured.
 * -c NAME restricts decoding to one top-level column.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "parquet/column_reader.h"
#include "parquet/file_reader.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Decodes one file; adds to the level and value counts. */
static const char *only;             /* -c NAME: decode only this top-level column */
static size_t batch_records = 65536; /* -b N */

static int decode(const uint8_t *data, size_t len, const char *name, uint64_t *levels,
                  uint64_t *values)
{
    pq_file *f;
    int rc = pq_file_open_buffer(&f, data, len, name);
    if (rc)
        return rc;
    const pq_file_meta *m = pq_file_metadata(f);
    pq_column_batch b = PQ_COLUMN_BATCH_INIT;
    /* one reader per column, re-targeted from row group to row group */
    for (uint32_t c = 0; c < pq_file_schema(f)->num_leaves && rc == 0; c++) {
        const pq_schema_node *leaf = pq_file_schema(f)->leaves[c];
        const char *top = NULL;
        pq_schema_node_path(leaf, &top, 1);
        if (only && strcmp(top, only) != 0)
            continue;
        pq_column_reader *r = NULL;
        for (uint32_t g = 0; g < m->num_row_groups && rc == 0; g++) {
            rc = r ? pq_column_reader_reopen(r, g, c) : pq_column_reader_open(&r, f, g, c);
            while (rc == 0 && (rc = pq_column_reader_read(r, batch_records, &b)) == 0 &&
                   b.num_records) {
                *levels += b.num_levels;
                *values += b.num_values;
            }
        }
        pq_column_reader_free(r);
    }
    pq_column_batch_free(&b);
    pq_file_free(f);
    return rc;
}

int main(int argc, char **argv)
{
    int repeat = 5, first = 1;
    while (first + 1 < argc && argv[first][0] == '-') {
        if (strcmp(argv[first], "-n") == 0)
            repeat = atoi(argv[first + 1]);
        else if (strcmp(argv[first], "-c") == 0)
            only = argv[first + 1];
        else if (strcmp(argv[first], "-b") == 0)
            batch_records = (size_t)atol(argv[first + 1]);
        first += 2;
    }
    if (first >= argc) {
        fprintf(stderr,
                "usage: bench_parquet_read [-n REPEAT] [-c COLUMN] [-b BATCH_RECORDS] FILE...\n");
        return 2;
    }
    size_t nfiles = (size_t)(argc - first), total = 0;
    uint8_t **bufs = calloc(nfiles, sizeof *bufs);
    size_t *lens = calloc(nfiles, sizeof *lens);
    for (size_t i = 0; i < nfiles; i++) {
        bufs[i] = slurp(argv[first + (int)i], &lens[i]);
        if (!bufs[i]) {
            fprintf(stderr, "cannot read %s\n", argv[first + (int)i]);
            return 1;
        }
        total += lens[i];
    }
    double best = 1e30;
    uint64_t levels = 0, values = 0;
    for (int k = 0; k < repeat; k++) {
        levels = values = 0;
        double t0 = now();
        for (size_t i = 0; i < nfiles; i++) {
            int rc = decode(bufs[i], lens[i], argv[first + (int)i], &levels, &values);
            if (rc) {
                fprintf(stderr, "%s\n", delta_error_last());
                return 1;
            }
        }
        double t = now() - t0;
        best = t < best ? t : best;
    }
    printf("files=%zu bytes=%zu levels=%llu values=%llu best_seconds=%.4f "
           "Mvalues_per_s=%.1f MB_per_s=%.1f\n",
           nfiles, total, (unsigned long long)levels, (unsigned long long)values, best,
           (double)levels / best / 1e6, (double)total / best / 1e6);
    for (size_t i = 0; i < nfiles; i++)
        free(bufs[i]);
    free(bufs);
    free(lens);
    return 0;
}
