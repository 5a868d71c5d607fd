/*
 * The e-commerce data generator: the same seed gives the same rows whatever
 * the batch size, another seed other rows; every template's rows have
 * exactly its schema, no nulls in NOT NULL columns, valid UTF-8, and load
 * into a table created from the template (generated columns and NOT NULL
 * checks pass); amounts add up, time partitions match the timestamps,
 * sessions move forward in time, customers and products agree across
 * templates, and sales are skewed towards a few products.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <delta/table.h>

#include "columnar/arrow.h"
#include "core/dtime.h"
#include "core/error.h"
#include "log/schema.h"
#include "table/generate.h"

static const char *const templates[] = {"transactions", "user_events", "customer_profiles",
                                        "product_catalog"};

/* All rows of a generated stream as one batch. */
static dvec *collect(const char *tpl, int64_t rows, uint64_t seed, int64_t batch_rows)
{
    dstream *s;
    assert_int_equal(dgen_stream_new(&s, tpl, rows, seed, batch_rows), 0);
    dvec *all;
    assert_int_equal(dbatch_new(&all, s->schema), 0);
    dvec *b;
    for (;;) {
        assert_int_equal(s->next(s, &b), 0);
        if (!b)
            break;
        assert_true(b->length <= batch_rows);
        for (uint32_t i = 0; i < b->num_children; i++)
            assert_int_equal(dvec_append_range(all->children[i], b->children[i], 0, b->length),
                             0);
        dvec_unref(b);
    }
    assert_int_equal(dbatch_seal(all), 0);
    s->free(s);
    assert_int_equal(all->length, rows);
    return all;
}

static int col(const dvec *b, const char *name)
{
    int i = dtype_field_index(b->type, name, false);
    assert_true(i >= 0);
    return i;
}

static const char *str_at(const dvec *v, int64_t row, char *buf, size_t cap)
{
    size_t n;
    const uint8_t *p = dvec_bytes(v, row, &n);
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

static int64_t cents_at(const dvec *v, int64_t row)
{
    int64_t x;
    memcpy(&x, (const uint8_t *)v->values + 16 * row, 8);
    return x;
}

static void test_deterministic(void **state)
{
    (void)state;
    for (size_t t = 0; t < 4; t++) {
        dvec *a = collect(templates[t], 3000, 11, 1000);
        dvec *b = collect(templates[t], 3000, 11, 777);
        dvec *c = collect(templates[t], 3000, 12, 1000);
        dbuf why = {0};
        if (!dvec_equal(a, b, &why))
            fail_msg("%s: same seed, other batch size differs: %.*s", templates[t],
                     (int)why.len, (const char *)why.data);
        assert_false(dvec_equal(a, c, NULL));
        dbuf_free(&why);
        dvec_unref(a);
        dvec_unref(b);
        dvec_unref(c);
    }
}

static void test_schema_conformance(void **state)
{
    (void)state;
    for (size_t t = 0; t < 4; t++) {
        const delta_template *tpl = delta_template_find(templates[t]);
        dtype *want;
        assert_int_equal(dlog_schema_parse(&want, tpl->schema_json, strlen(tpl->schema_json)),
                         0);
        /* the public stream's Arrow schema is the template's */
        struct ArrowArrayStream s;
        assert_int_equal(delta_generate_stream(templates[t], 10, 1, &s), 0);
        struct ArrowSchema as;
        assert_int_equal(s.get_schema(&s, &as), 0);
        dfield f;
        assert_int_equal(dtype_import(&as, &f), 0);
        assert_true(dtype_equal(f.type, want));
        dfield_clear(&f);
        as.release(&as);
        s.release(&s);

        dvec *b = collect(templates[t], 5000, 5, 4096);
        assert_true(dtype_equal(b->type, want));
        assert_int_equal(dvec_validate(b, true), 0);
        for (uint32_t i = 0; i < want->num_fields; i++)
            if (!want->fields[i].nullable && b->children[i]->null_count != 0)
                fail_msg("%s.%s is NOT NULL but has %lld nulls", templates[t],
                         want->fields[i].name, (long long)b->children[i]->null_count);
        dvec_unref(b);
        dtype_unref(want);
    }
    struct ArrowArrayStream s;
    assert_int_equal(delta_generate_stream("orders", 10, 1, &s), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "orders"));
    assert_int_equal(delta_generate_stream("transactions", -1, 1, &s), DELTA_EINVAL);
}

/* year/month/day are the timestamp's; times lie in the 90 days from
 * 2024-01-01 and run forward. */
static void check_time_partitions(const dvec *b, const char *ts_name)
{
    const dvec *ts = b->children[col(b, ts_name)];
    const dvec *y = b->children[col(b, "year")], *m = b->children[col(b, "month")],
               *d = b->children[col(b, "day")];
    int64_t lo = dtime_days_from_civil(2024, 1, 1) * 86400000000LL;
    int64_t hi = lo + (int64_t)DGEN_DAYS * 86400000000LL + 86400000000LL; /* a session may run on */
    for (int64_t i = 0; i < b->length; i++) {
        int64_t us = dvec_i64(ts)[i];
        assert_true(us >= lo && us < hi);
        int64_t yy;
        unsigned mm, dd;
        dtime_civil_from_days(us / 86400000000LL, &yy, &mm, &dd);
        assert_int_equal(dvec_i32(y)[i], yy);
        assert_int_equal(dvec_i32(m)[i], mm);
        assert_int_equal(dvec_i32(d)[i], dd);
    }
}

static void test_transactions(void **state)
{
    (void)state;
    dvec *b = collect("transactions", 20000, 3, 8192);
    check_time_partitions(b, "transaction_timestamp");
    const dvec *qty = b->children[col(b, "quantity")], *unit = b->children[col(b, "unit_price")],
               *disc = b->children[col(b, "discount_amount")],
               *tax = b->children[col(b, "tax_amount")],
               *total = b->children[col(b, "total_amount")],
               *status = b->children[col(b, "status")],
               *prod = b->children[col(b, "product_id")];
    int completed = 0;
    static int64_t counts[DGEN_PRODUCTS + 1];
    memset(counts, 0, sizeof counts);
    int64_t best = 0;
    for (int64_t i = 0; i < b->length; i++) {
        int64_t d = dvec_is_valid(disc, i) ? cents_at(disc, i) : 0;
        assert_true(dvec_i32(qty)[i] >= 1);
        assert_true(cents_at(unit, i) > 0 && d >= 0 && cents_at(tax, i) >= 0);
        assert_int_equal(cents_at(total, i),
                         cents_at(unit, i) * dvec_i32(qty)[i] - d + cents_at(tax, i));
        char buf[64];
        completed += strcmp(str_at(status, i, buf, sizeof buf), "completed") == 0;
        int p = atoi(str_at(prod, i, buf, sizeof buf) + 1);
        assert_true(p >= 1 && p <= DGEN_PRODUCTS);
        if (++counts[p] > best)
            best = counts[p];
    }
    /* most orders complete; a few products sell far above the average */
    assert_true(completed > b->length * 3 / 4 && completed < b->length * 95 / 100);
    assert_true(best > 10 * b->length / DGEN_PRODUCTS);
    assert_int_equal(unit->type->scale, 2);
    assert_int_equal(total->type->scale, 2);
    dvec_unref(b);
}

static void test_user_events_sessions(void **state)
{
    (void)state;
    dvec *b = collect("user_events", 20000, 4, 5000);
    check_time_partitions(b, "event_timestamp");
    const dvec *sess = b->children[col(b, "session_id")], *ts = b->children[col(b, "event_timestamp")];
    int64_t sessions = 1;
    for (int64_t i = 1; i < b->length; i++) {
        char p[64], c[64];
        if (strcmp(str_at(sess, i - 1, p, sizeof p), str_at(sess, i, c, sizeof c)) == 0)
            assert_true(dvec_i64(ts)[i] > dvec_i64(ts)[i - 1]);
        else
            sessions++;
    }
    /* several events per session on average */
    assert_true(sessions * 3 < b->length);
    dvec_unref(b);
}

/* Product N and customer N are the same in every template. */
static void test_consistent_entities(void **state)
{
    (void)state;
    dvec *cat = collect("product_catalog", DGEN_PRODUCTS, 9, 8192);
    dvec *tx = collect("transactions", 5000, 10, 8192);
    const dvec *pid = cat->children[col(cat, "product_id")],
               *price = cat->children[col(cat, "price")],
               *sku = cat->children[col(cat, "sku")], *c = cat->children[col(cat, "category")],
               *sc = cat->children[col(cat, "subcategory")];
    for (int64_t i = 0; i < cat->length; i++) {
        char a[64], b[64], s[64];
        str_at(sku, i, s, sizeof s);
        str_at(c, i, a, sizeof a);
        str_at(sc, i, b, sizeof b);
        /* the SKU names category and subcategory */
        assert_true(strncasecmp(s, a, 3) == 0 && strncasecmp(s + 4, b, 3) == 0);
    }
    const dvec *tpid = tx->children[col(tx, "product_id")],
               *tunit = tx->children[col(tx, "unit_price")],
               *cur = tx->children[col(tx, "currency")];
    int usd = 0;
    for (int64_t i = 0; i < tx->length; i++) {
        char p[64], k[8];
        if (strcmp(str_at(cur, i, k, sizeof k), "USD") != 0)
            continue;
        usd++;
        int n = atoi(str_at(tpid, i, p, sizeof p) + 1);
        assert_true(n >= 1 && n <= DGEN_PRODUCTS);
        char q[64];
        assert_string_equal(str_at(pid, n - 1, q, sizeof q), p);
        assert_int_equal(cents_at(tunit, i), cents_at(price, n - 1));
    }
    assert_true(usd > 0);
    dvec_unref(cat);
    dvec_unref(tx);
}

/* Every template's rows load into a table created from the template. */
static void test_write_into_templates(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    char base[512];
    snprintf(base, sizeof base, "%s/delta-gen-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(base));
    for (size_t t = 0; t < 4; t++) {
        char uri[600];
        snprintf(uri, sizeof uri, "%s/%s", base, templates[t]);
        delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
        co.template_name = templates[t];
        assert_int_equal(delta_table_create(uri, &co, NULL), 0);
        delta_table *tab;
        assert_int_equal(delta_table_open(&tab, uri), 0);
        struct ArrowArrayStream s;
        assert_int_equal(delta_generate_stream(templates[t], 2000, 77, &s), 0);
        delta_write_result res;
        int rc = delta_table_write(tab, &s, NULL, &res);
        if (rc)
            fail_msg("%s: %s", templates[t], delta_error_last());
        assert_int_equal(res.num_rows, 2000);
        delta_table_free(tab);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),        cmocka_unit_test(test_schema_conformance),
        cmocka_unit_test(test_transactions),         cmocka_unit_test(test_user_events_sessions),
        cmocka_unit_test(test_consistent_entities),  cmocka_unit_test(test_write_into_templates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
