/*
 * The e-commerce data generator (internal face of delta_generate_stream):
 * a stream of batches of one template's schema, filled with realistic,
 * reproducible rows.
 *
 * Invariants:
 *   - The rows depend only on (template, rows, seed): the same arguments
 *     give the same values, whatever the batch size, so the same seed gives
 *     the same bytes in every output format.
 *   - Memory is one batch at a time, whatever the row count.
 *   - Every row satisfies its template: NOT NULL columns are set, money has
 *     the column's decimal scale, and year/month/day equal the generated
 *     columns' expressions over the event time.
 *   - Entities are a fixed "world" shared by every template and seed:
 *     customer N has the same name, country and address in
 *     customer_profiles as in transactions' shipping addresses, and product
 *     N the same category, subcategory, brand and list price in
 *     product_catalog as in transactions and user_events. Transactions and
 *     events draw customers from C0000001..C00{DGEN_CUSTOMERS} and products
 *     from P000001..P{DGEN_PRODUCTS}, both skewed (a few are very popular);
 *     so a catalog of DGEN_PRODUCTS rows and profiles of DGEN_CUSTOMERS rows
 *     cover every key the facts use.
 *   - Event times run forward through DGEN_DAYS days from 2024-01-01 UTC
 *     (row i at about i/rows of the span), so a table partitioned by day
 *     receives its partitions one after the other.
 */
#ifndef DELTA_TABLE_GENERATE_H
#define DELTA_TABLE_GENERATE_H

#include <stdint.h>

#include "columnar/vector.h"

#define DGEN_CUSTOMERS 20000
#define DGEN_PRODUCTS 2000
#define DGEN_DAYS 90

/* A stream of `rows` generated rows of template `name` (the schema is the
 * template's, parsed), `batch_rows` per batch (0 = 8192). DELTA_EINVAL for
 * an unknown template or a negative row count. */
int dgen_stream_new(dstream **out, const char *name, int64_t rows, uint64_t seed,
                    int64_t batch_rows);

#endif
