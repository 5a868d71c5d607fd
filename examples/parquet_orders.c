/*
 * parquet_orders FOLDER: writes FOLDER/orders.parquet with the public
 * Parquet writer from Arrow arrays built by hand (order id, customer,
 * amount with a missing value), then reads it back through the public
 * reader and prints every row. Shows how Arrow C Data Interface arrays go
 * in and out of libdelta.
 */
#include <delta/delta.h>

#include <stdio.h>
#include <string.h>

/* The arrays below live in static memory: releasing them only marks them
 * released, as the Arrow C Data Interface requires. */
static void release_schema(struct ArrowSchema *s)
{
    s->release = NULL;
}

static void release_array(struct ArrowArray *a)
{
    a->release = NULL;
}

#define ROWS 5

static const int64_t order_ids[ROWS] = {1001, 1002, 1003, 1004, 1005};
static const int32_t customer_offsets[ROWS + 1] = {0, 5, 8, 14, 19, 22};
static const char customer_bytes[] = "aliceboboliviaedgarmia";
static const double amounts[ROWS] = {19.99, 250.0, 0, 42.5, 7.25};
static const uint8_t amount_valid[1] = {0x1B}; /* row 2 has no amount */

static struct ArrowSchema field_schemas[3] = {
    {"l", "order_id", NULL, 0, 0, NULL, NULL, release_schema, NULL},
    {"u", "customer", NULL, 0, 0, NULL, NULL, release_schema, NULL},
    {"g", "amount", NULL, ARROW_FLAG_NULLABLE, 0, NULL, NULL, release_schema, NULL},
};
static struct ArrowSchema *field_schema_ptrs[3] = {&field_schemas[0], &field_schemas[1],
                                                   &field_schemas[2]};

static const void *id_buffers[2] = {NULL, order_ids};
static const void *customer_buffers[3] = {NULL, customer_offsets, customer_bytes};
static const void *amount_buffers[2] = {amount_valid, amounts};
static const void *batch_buffers[1] = {NULL};

static struct ArrowArray columns[3] = {
    {ROWS, 0, 0, 2, 0, id_buffers, NULL, NULL, release_array, NULL},
    {ROWS, 0, 0, 3, 0, customer_buffers, NULL, NULL, release_array, NULL},
    {ROWS, 1, 0, 2, 0, amount_buffers, NULL, NULL, release_array, NULL},
};
static struct ArrowArray *column_ptrs[3] = {&columns[0], &columns[1], &columns[2]};

static int fail(const char *what)
{
    fprintf(stderr, "parquet_orders: %s: %s\n", what, delta_error_last());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: parquet_orders FOLDER\n");
        return 2;
    }
    delta_store *store;
    if (delta_store_open(&store, argv[1]) != 0)
        return fail(argv[1]);

    /* A batch is a struct array whose children are the columns. */
    struct ArrowSchema schema = {"+s", "", NULL, 0, 3, field_schema_ptrs, NULL,
                                 release_schema, NULL};
    struct ArrowArray batch = {ROWS, 0, 0, 1, 3, batch_buffers, column_ptrs, NULL,
                               release_array, NULL};

    delta_parquet_write_options wo = DELTA_PARQUET_WRITE_OPTIONS_INIT;
    wo.compression = "zstd";
    delta_parquet_writer *w;
    if (delta_parquet_writer_open(&w, store, "orders.parquet", &schema, &wo) != 0)
        return fail("opening the writer");
    if (delta_parquet_writer_write(w, &batch) != 0 || delta_parquet_writer_close(w) != 0) {
        delta_parquet_writer_free(w);
        return fail("writing orders.parquet");
    }
    delta_parquet_writer_free(w);
    printf("wrote orders.parquet: %d rows\n", ROWS);

    delta_parquet_reader *r;
    struct ArrowArrayStream stream;
    if (delta_parquet_reader_open(&r, store, "orders.parquet", NULL) != 0 ||
        delta_parquet_reader_stream(r, &stream) != 0)
        return fail("reading orders.parquet");
    delta_print_options po = DELTA_PRINT_OPTIONS_INIT;
    po.format = DELTA_FORMAT_CSV;
    int64_t printed = delta_print_stream(stdout, &stream, &po);
    delta_parquet_reader_free(r);
    delta_store_free(store);
    if (printed < 0)
        return fail("printing");
    return 0;
}
