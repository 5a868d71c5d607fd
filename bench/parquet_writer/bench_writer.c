/*
 * Micro-benchmark for the Parquet writer: builds N rows (default 10M) of
 * e-commerce-like columns in memory, shaped like bench/parquet's
 * transactions.sql (unique int64 ids, skewed int64 customer and int32
 * product keys, 20 categories, decimal(12,2) amounts as INT64 cents,
 * double amounts, increasing timestamps, 10 weighted statuses and a
 * nullable double), then times encoding them into one Parquet file with
 * the default options (snappy, 1M-row row groups, dictionary, page index).
 * Only the writing is timed, not the data generation.
 *
 *   bench_parquet_writer [rows] [out.parquet] [codec]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <delta/storage.h>

#include "core/error.h"
#include "parquet/codec.h"
#include "parquet/file_writer.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static double unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

static double clock_secs(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "bench_parquet_writer: %s: %s\n", what, delta_error_last());
        exit(1);
    }
}

static pq_schema_element leaf(const char *name, int32_t type, int32_t rep)
{
    pq_schema_element e = {0};
    e.name = (pq_str){name, strlen(name)};
    e.type = type;
    e.has_type = true;
    e.repetition_type = rep;
    e.has_repetition_type = true;
    return e;
}

static const char *const categories[] = {
    "electronics", "books", "home", "garden", "toys", "sports", "beauty",
    "fashion", "grocery", "automotive", "health", "music", "movies", "office",
    "pets", "tools", "jewelry", "baby", "outdoors", "games"};
static const char *const statuses[] = {"completed", "completed", "completed", "completed",
                                       "shipped",   "shipped",   "pending",   "cancelled",
                                       "refunded",  "failed"};

/* A string column: offsets into one data buffer. */
typedef struct strcol {
    int32_t *off;
    char *data;
} strcol;

static void fill_strings(strcol *c, size_t n, const char *const *words, size_t nwords)
{
    size_t cap = n * 12 + 64, len = 0;
    c->off = malloc((n + 1) * sizeof *c->off);
    c->data = malloc(cap);
    c->off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const char *w = words[rnd() % nwords];
        size_t l = strlen(w);
        memcpy(c->data + len, w, l);
        len += l;
        c->off[i + 1] = (int32_t)len;
    }
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    const char *out = argc > 2 ? argv[2] : "/tmp/bench_parquet_writer.parquet";
    pq_codec codec = PQ_CODEC_SNAPPY;
    if (argc > 3)
        check(pq_codec_parse(argv[3], &codec), "codec");

    /* Data, column by column. */
    int64_t *id = malloc(rows * 8), *cust = malloc(rows * 8), *amount = malloc(rows * 8);
    int64_t *ts = malloc(rows * 8);
    int32_t *prod = malloc(rows * 4);
    double *usd = malloc(rows * 8), *disc = malloc(rows * 8);
    int16_t *disc_def = malloc(rows * 2);
    strcol cat, status;
    size_t ndisc = 0;
    for (size_t i = 0; i < rows; i++) {
        id[i] = (int64_t)i;
        cust[i] = (int64_t)floor(pow(unit(), 3) * 200000);
        prod[i] = (int32_t)floor(pow(unit(), 2) * 50000);
        amount[i] = (int64_t)(rnd() % 5000000);
        usd[i] = (double)(rnd() % 10000000) / 97.0;
        ts[i] = INT64_C(1704067200000000) + (int64_t)i * 3000000 + (int64_t)(rnd() % 3000000);
        if (rnd() % 4 == 0) {
            disc_def[i] = 0;
        } else {
            disc_def[i] = 1;
            disc[ndisc++] = (double)(rnd() % 5000) / 100.0;
        }
    }
    fill_strings(&cat, rows, categories, 20);
    fill_strings(&status, rows, statuses, 10);

    pq_schema_element schema[10];
    memset(schema, 0, sizeof schema);
    schema[0].name = (pq_str){"schema", 6};
    schema[0].num_children = 9;
    schema[0].has_num_children = true;
    schema[1] = leaf("transaction_id", PQ_TYPE_INT64, PQ_REP_OPTIONAL);
    schema[2] = leaf("customer_id", PQ_TYPE_INT64, PQ_REP_OPTIONAL);
    schema[3] = leaf("product_id", PQ_TYPE_INT32, PQ_REP_OPTIONAL);
    schema[4] = leaf("category", PQ_TYPE_BYTE_ARRAY, PQ_REP_OPTIONAL);
    schema[4].has_logical_type = true;
    schema[4].logical_type.kind = PQ_LT_STRING;
    schema[5] = leaf("amount", PQ_TYPE_INT64, PQ_REP_OPTIONAL);
    schema[5].has_logical_type = true;
    schema[5].logical_type.kind = PQ_LT_DECIMAL;
    schema[5].logical_type.precision = 12;
    schema[5].logical_type.scale = 2;
    schema[6] = leaf("amount_usd", PQ_TYPE_DOUBLE, PQ_REP_OPTIONAL);
    schema[7] = leaf("transaction_ts", PQ_TYPE_INT64, PQ_REP_OPTIONAL);
    schema[7].has_logical_type = true;
    schema[7].logical_type.kind = PQ_LT_TIMESTAMP;
    schema[7].logical_type.unit = PQ_UNIT_MICROS;
    schema[7].logical_type.is_adjusted_to_utc = true;
    schema[8] = leaf("status", PQ_TYPE_BYTE_ARRAY, PQ_REP_OPTIONAL);
    schema[8].has_logical_type = true;
    schema[8].logical_type.kind = PQ_LT_STRING;
    schema[9] = leaf("discount", PQ_TYPE_DOUBLE, PQ_REP_OPTIONAL);
    /* all nullable like DuckDB's output, so definition levels are written */
    int16_t *ones = malloc(rows * 2);
    for (size_t i = 0; i < rows; i++)
        ones[i] = 1;

    char dir[1024];
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    const char *key = out;
    if (slash) {
        *slash = 0;
        key = slash + 1;
    } else {
        snprintf(dir, sizeof dir, ".");
    }
    delta_store *store;
    check(delta_store_open(&store, dir[0] ? dir : "/"), "store");

    pq_writer_options o = PQ_WRITER_OPTIONS_INIT;
    o.codec = codec;
    double t0 = now(), c0 = clock_secs(CLOCK_PROCESS_CPUTIME_ID);
    pq_file_writer *w;
    check(pq_file_writer_open(&w, store, key, 0, schema, 10, &o), "open");
    const size_t batch = 65536;
    size_t dpos = 0;
    uint64_t rg_rows = 0;
    for (size_t r = 0; r < rows; r += batch) {
        size_t n = rows - r < batch ? rows - r : batch;
        size_t nd = 0;
        for (size_t i = r; i < r + n; i++)
            nd += disc_def[i];
        check(pq_column_writer_write(pq_file_writer_column(w, 0), n, ones, NULL, id + r, NULL), "write");
        check(pq_column_writer_write(pq_file_writer_column(w, 1), n, ones, NULL, cust + r, NULL), "write");
        check(pq_column_writer_write(pq_file_writer_column(w, 2), n, ones, NULL, prod + r, NULL), "write");
        check(pq_column_writer_write(pq_file_writer_column(w, 3), n, ones, NULL, cat.data, cat.off + r), "write");
        check(pq_column_writer_write(pq_file_writer_column(w, 4), n, ones, NULL, amount + r, NULL), "write");
        check(pq_column_writer_write(pq_file_writer_column(w, 5), n, ones, NULL, usd + r, NULL), "write");
        check(pq_column_writer_write(pq_file_writer_column(w, 6), n, ones, NULL, ts + r, NULL), "write");
        check(pq_column_writer_write(pq_file_writer_column(w, 7), n, ones, NULL, status.data, status.off + r), "write");
        check(pq_column_writer_write(pq_file_writer_column(w, 8), n, disc_def + r, NULL, disc + dpos, NULL), "write");
        dpos += nd;
        rg_rows += n;
        if (pq_file_writer_row_group_full(w)) {
            check(pq_file_writer_end_row_group(w, rg_rows), "end row group");
            rg_rows = 0;
        }
    }
    check(pq_file_writer_end_row_group(w, rg_rows), "end row group");
    check(pq_file_writer_close(w), "close");
    double secs = now() - t0, cpu = clock_secs(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("parquet writer: %zu rows, %s, %.1f MB in %.3f s wall, %.3f s CPU (%.1f Mrows/s)\n",
           rows, pq_codec_name(codec), (double)pq_file_writer_bytes_written(w) / 1e6, secs, cpu,
           (double)rows / secs / 1e6);
    pq_file_writer_free(w);
    delta_store_free(store);
    return 0;
}
