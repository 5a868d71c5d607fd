/*
 * bench_parquet_decode FILE: decodes every value of every column of a
 * Parquet file through the public reader (delta/parquet.h), one Arrow
 * batch at a time, and prints the rows and the wall time of the decode
 * ("seconds=S", what bench/parquet/run.sh reads). Batches are released
 * unread: the measured work is the reader's (I/O, decompression,
 * decoding, assembly into Arrow layout).
 */
#define _POSIX_C_SOURCE 200809L

#include <delta/delta.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_parquet_decode FILE\n");
        return 2;
    }
    const char *path = argv[1];
    const char *slash = strrchr(path, '/');
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
    const char *key = slash ? slash + 1 : path;

    double t0 = now();
    delta_store *store = NULL;
    delta_parquet_reader *r = NULL;
    struct ArrowArrayStream s;
    int64_t rows = 0;
    int rc = delta_store_open(&store, dir);
    if (!rc)
        rc = delta_parquet_reader_open(&r, store, key, NULL);
    if (!rc)
        rc = delta_parquet_reader_stream(r, &s);
    if (!rc) {
        struct ArrowArray batch;
        while ((rc = s.get_next(&s, &batch)) == 0 && batch.release) {
            rows += batch.length;
            batch.release(&batch);
        }
        if (rc)
            fprintf(stderr, "bench_parquet_decode: %s\n", s.get_last_error(&s));
        s.release(&s);
    } else {
        fprintf(stderr, "bench_parquet_decode: %s\n", delta_error_last());
    }
    double t = now() - t0;
    delta_parquet_reader_free(r);
    delta_store_free(store);
    if (rc)
        return 1;
    printf("rows=%lld\nseconds=%.3f\n", (long long)rows, t);
    return 0;
}
