/*
 * Filter benchmark: a 3-term predicate over N in-memory rows (default 10
 * million) in batches of 64Ki rows, through the vectorized evaluator's
 * selection path (expr_select), as a scan would run it. The data follows
 * integer formulas that bench/expr/run.sh reproduces in DuckDB, so both
 * engines filter the same rows and must agree on the count:
 *
 *   id      bigint  = i
 *   price   double  = ((i * 7919) % 100003) / 100
 *   qty     int     = (i * 13) % 10
 *   country string  = ['DE','FR','US','GB','NL','IT','ES'][(i * 31) % 7]
 *
 *   bench_expr [ROWS] [PREDICATE]
 *
 * Prints the matching count, "seconds=S" (best of 3 passes over the data,
 * data generation excluded) and rows/s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "columnar/vector.h"
#include "core/alloc.h"
#include "core/error.h"
#include "expr/expr.h"

#define BATCH 65536

static const char *const countries[] = {"DE", "FR", "US", "GB", "NL", "IT", "ES"};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void check(int rc, const char *what)
{
    if (rc) {
        fprintf(stderr, "bench_expr: %s: %s\n", what, delta_error_last());
        exit(1);
    }
}

static dtype *make_schema(void)
{
    dfield f[4];
    check(dfield_init(&f[0], "id", dtype_new(DT_INT64), false), "schema");
    check(dfield_init(&f[1], "price", dtype_new(DT_FLOAT64), false), "schema");
    check(dfield_init(&f[2], "qty", dtype_new(DT_INT32), false), "schema");
    check(dfield_init(&f[3], "country", dtype_new(DT_STRING), false), "schema");
    return dtype_new_struct(f, 4);
}

static dvec *make_batch(const dtype *schema, int64_t first, int64_t n)
{
    dvec *b;
    check(dbatch_new(&b, schema), "batch");
    for (uint32_t c = 0; c < 4; c++)
        check(dvec_reserve(b->children[c], n), "reserve");
    check(dvec_reserve_data(b->children[3], 2 * n), "reserve");
    int64_t *id = b->children[0]->values;
    double *price = b->children[1]->values;
    int32_t *qty = b->children[2]->values;
    dvec *cv = b->children[3];
    cv->offsets[0] = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t i = first + k;
        id[k] = i;
        price[k] = (double)((i * 7919) % 100003) / 100.0;
        qty[k] = (int32_t)((i * 13) % 10);
        memcpy(cv->data + 2 * k, countries[(i * 31) % 7], 2);
        cv->offsets[k + 1] = (int32_t)(2 * (k + 1));
    }
    for (uint32_t c = 0; c < 4; c++)
        dvec_set_length(b->children[c], n);
    check(dbatch_seal(b), "seal");
    return b;
}

int main(int argc, char **argv)
{
    int64_t rows = argc > 1 ? atoll(argv[1]) : 10000000;
    const char *pred = argc > 2 ? argv[2] : "price > 500 AND qty >= 3 AND country = 'DE'";
    dtype *schema = make_schema();
    int64_t nb = (rows + BATCH - 1) / BATCH;
    dvec **batches = malloc(sizeof(dvec *) * (size_t)(nb ? nb : 1));
    for (int64_t b = 0; b < nb; b++) {
        int64_t first = b * BATCH;
        batches[b] = make_batch(schema, first, rows - first < BATCH ? rows - first : BATCH);
    }
    expr *e;
    check(expr_parse(&e, pred), "parse");
    expr_scope sc = {NULL, schema};
    check(expr_bind(e, &sc, 1), "bind");
    uint32_t *sel = malloc(sizeof(uint32_t) * BATCH);
    double best = 1e30;
    int64_t count = 0;
    for (int pass = 0; pass < 3; pass++) {
        double t0 = now();
        count = 0;
        for (int64_t b = 0; b < nb; b++) {
            const dvec *bs[1] = {batches[b]};
            expr_input in = {bs, 1, batches[b]->length};
            int64_t m;
            check(expr_select(e->root, &in, NULL, 0, sel, &m), "select");
            count += m;
        }
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    printf("count=%lld\n", (long long)count);
    printf("seconds=%.3f\n", best);
    printf("rows/s=%.0f\n", (double)rows / best);
    free(sel);
    expr_free(e);
    for (int64_t b = 0; b < nb; b++)
        dvec_unref(batches[b]);
    free(batches);
    dtype_unref(schema);
    return 0;
}
