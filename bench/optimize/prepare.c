/*
 * bench_optimize_prepare TABLE_DIR INPUT.parquet ROWS_PER_FILE
 *
 * Lays out the input of bench/optimize: creates TABLE_DIR as an
 * unpartitioned table with the transactions template's schema and writes
 * the rows of INPUT.parquet (from `delta generate transactions`) into it
 * in one commit as files of at most ROWS_PER_FILE rows each, so 10 million
 * rows become 10,000 small files. Prints the files written. Only the
 * public API (delta/delta.h) is used.
 */
#include <delta/delta.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s TABLE_DIR INPUT.parquet ROWS_PER_FILE\n", argv[0]);
        return 2;
    }
    long long per_file = atoll(argv[3]);
    if (per_file <= 0) {
        fprintf(stderr, "%s: ROWS_PER_FILE must be > 0\n", argv[0]);
        return 2;
    }
    static const char *const no_partitions[1] = {NULL};
    delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
    co.template_name = "transactions";
    co.partition_columns = no_partitions; /* not the template's year/month/day */
    co.num_partition_columns = 0;
    /* the template turns auto compaction on, which would compact the
     * small files this lays out right after writing them */
    static const char *const keys[1] = {"delta.autoOptimize.autoCompact"};
    static const char *const values[1] = {"false"};
    co.property_keys = keys;
    co.property_values = values;
    co.num_properties = 1;
    bool created;
    int rc = delta_table_create(argv[1], &co, &created);
    delta_table *t = NULL;
    if (!rc)
        rc = delta_table_open(&t, argv[1]);
    delta_write_options wo = DELTA_WRITE_OPTIONS_INIT;
    wo.max_rows_per_file = per_file;
    delta_write_result wr;
    if (!rc)
        rc = delta_table_write_file(t, argv[2], "parquet", &wo, &wr);
    if (rc) {
        fprintf(stderr, "%s: %s\n", argv[0], delta_error_last());
        delta_table_free(t);
        return 1;
    }
    printf("%lld files, %lld rows\n", (long long)wr.num_files, (long long)wr.num_rows);
    delta_table_free(t);
    return 0;
}
