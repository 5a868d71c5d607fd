/*
 * Robustness property of the whole pipeline: seeded random token soups
 * and random well-formed expressions are parsed, bound and evaluated;
 * every step either succeeds or fails with a DELTA_E* code and a message
 * (never a crash, leak or sanitizer report), and whatever parses renders
 * to SQL that parses back to the same rendering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>

#include "exprtest.h"
#include "support/dgen.h"

static const char *const tokens[] = {
    "i", "l", "s", "d", "dt", "ts", "f", "b", "`s`", "\"d\"", "x.y", "nope",
    "1", "0", "-1", "2147483647", "9223372036854775807", "1.5", "0.001", "1e3", "10L", "3Y",
    "'a'", "''", "'x%'", "X'00'", "TRUE", "FALSE", "NULL", "DATE '2024-02-29'",
    "TIMESTAMP '2024-01-01 00:00:00'", "+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=",
    ">", ">=", "<=>", "AND", "OR", "NOT", "IS", "NULL", "IN", "(", ")", ",", "BETWEEN",
    "LIKE", "ESCAPE", "CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "AS", "int", "string",
    "decimal(10,2)", "double", "date", "lower(", "upper(", "substring(", "coalesce(",
    "abs(", "round(", "year(", "date_trunc('month',", "if(", "nullif(", "concat(", "length(",
    "date_add(", "datediff(", "floor(", "to_date(",
};

static dvec *g_batch;

static const char *const rows[] = {
    "1", "10", "apple", "1.50", "2024-02-29", "2024-02-29 10:20:30", "1.5", "true",
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    "2147483647", "-9223372036854775808", "", "-99999999.99", "0001-01-01", "1970-01-01 00:00:00", "NaN", "false",
};

static void run_one(const char *text, int *parsed, int *bound, int *evaluated)
{
    expr *e;
    int rc = expr_parse(&e, text);
    if (rc) {
        if (rc != DELTA_EINVAL && rc != DELTA_EUNSUPPORTED)
            fail_msg("parse '%s': unexpected code %d (%s)", text, rc, delta_error_last());
        if (!*delta_error_last())
            fail_msg("parse '%s': no message", text);
        return;
    }
    (*parsed)++;
    /* rendering round trip */
    dbuf r1 = DBUF_INIT, r2 = DBUF_INIT;
    expr_node_format(e->root, &r1);
    expr *e2;
    if (expr_parse(&e2, dbuf_cstr(&r1)))
        fail_msg("'%s' renders as '%s', which does not parse: %s", text, dbuf_cstr(&r1),
                 delta_error_last());
    expr_node_format(e2->root, &r2);
    if (strcmp(dbuf_cstr(&r1), dbuf_cstr(&r2)) != 0)
        fail_msg("'%s': rendering '%s' reparses as '%s'", text, dbuf_cstr(&r1), dbuf_cstr(&r2));
    expr_free(e2);
    dbuf_free(&r1);
    dbuf_free(&r2);

    expr_scope sc = {NULL, g_batch->type};
    rc = expr_bind(e, &sc, 1);
    if (rc) {
        if (rc != DELTA_EINVAL && rc != DELTA_ETYPE && rc != DELTA_ENOTFOUND && rc != DELTA_ERANGE)
            fail_msg("bind '%s': unexpected code %d (%s)", text, rc, delta_error_last());
        expr_free(e);
        return;
    }
    (*bound)++;
    const dvec *bs[1] = {g_batch};
    expr_input in = {bs, 1, g_batch->length};
    dvec *v;
    rc = expr_eval(e->root, &in, NULL, 0, &v);
    if (rc == 0) {
        (*evaluated)++;
        if (dvec_validate(v, true))
            fail_msg("eval '%s': invalid result: %s", text, delta_error_last());
        assert_int_equal(v->length, g_batch->length);
        dvec_unref(v);
    } else if (rc != DELTA_ERANGE) {
        fail_msg("eval '%s': unexpected code %d (%s)", text, rc, delta_error_last());
    }
    if (e->root->type->id == DT_BOOL) {
        uint32_t sel[8];
        int64_t n;
        rc = expr_select(e->root, &in, NULL, 0, sel, &n);
        if (rc && rc != DELTA_ERANGE)
            fail_msg("select '%s': unexpected code %d (%s)", text, rc, delta_error_last());
    }
    expr_free(e);
}

static void test_token_soup(void **state)
{
    (void)state;
    dgen g;
    uint64_t seed = 0x5eed0e3;
    if (getenv("EXPR_SEED")) /* explore other seeds: EXPR_SEED=n */
        seed = strtoull(getenv("EXPR_SEED"), NULL, 0);
    print_message("seed 0x%" PRIx64 "\n", seed);
    dgen_init(&g, seed, 0);
    int parsed = 0, bound = 0, evaluated = 0;
    const size_t ntok = sizeof tokens / sizeof tokens[0];
    for (int k = 0; k < 6000; k++) {
        dbuf t = DBUF_INIT;
        unsigned n = (unsigned)dgen_range(&g, 1, 9);
        for (unsigned j = 0; j < n; j++) {
            if (j)
                dbuf_putc(&t, ' ');
            dbuf_puts(&t, tokens[dgen_below(&g, ntok)]);
        }
        run_one(dbuf_cstr(&t), &parsed, &bound, &evaluated);
        dbuf_free(&t);
    }
    print_message("%d parsed, %d bound, %d evaluated\n", parsed, bound, evaluated);
    assert_true(parsed > 300 && bound > 100 && evaluated > 50);
}

/* Random well-formed expressions: operators over operands of any type. */
static void gen(dgen *g, int depth, dbuf *out)
{
    static const char *const leaves[] = {"i", "l", "s", "d", "dt", "ts", "f", "b", "1", "-7",
                                         "2.5", "'2024-01-01'", "NULL", "TRUE", "1e2",
                                         "DATE '2000-02-29'", "'abc'", "0", "X'00ff'",
                                         "TIMESTAMP '2024-01-31 10:00:00'", "CAST(NULL AS int)",
                                         "-9223372036854775808", "99999999999999999999.99",
                                         "TIMESTAMP_NTZ '2024-01-01 00:00:00'", "'NaN'"};
    static const char *const bin[] = {"+", "-", "*", "/", "%", "||", "=", "<>", "<", ">=",
                                      "<=>", "AND", "OR"};
    if (depth == 0 || dgen_pct(g, 30)) {
        dbuf_puts(out, leaves[dgen_below(g, sizeof leaves / sizeof leaves[0])]);
        return;
    }
    switch (dgen_below(g, 9)) {
    case 8: {
        static const char *const f2[] = {"substring(@, 2)", "date_trunc('hour', @)",
                                          "date_add(@, 1)", "datediff(@, @)", "if(@, @, @)",
                                          "to_date(@)", "hour(@)", "trim(@)", "round(@, -1)",
                                          "ceil(@)", "to_timestamp(@)", "month(@)", "@ LIKE @",
                                          "@ IS NULL", "@ BETWEEN @ AND @", "CASE @ WHEN @ THEN @ END"};
        const char *f = f2[dgen_below(g, sizeof f2 / sizeof f2[0])];
        dbuf_putc(out, '(');
        for (const char *c = f; *c; c++) {
            if (*c == '@')
                gen(g, depth - 1, out);
            else
                dbuf_putc(out, (uint8_t)*c);
        }
        dbuf_putc(out, ')');
        return;
    }
    case 0:
        dbuf_puts(out, "NOT (");
        gen(g, depth - 1, out);
        dbuf_putc(out, ')');
        return;
    case 1:
        dbuf_puts(out, "CASE WHEN ");
        gen(g, depth - 1, out);
        dbuf_puts(out, " THEN ");
        gen(g, depth - 1, out);
        dbuf_puts(out, " ELSE ");
        gen(g, depth - 1, out);
        dbuf_puts(out, " END");
        return;
    case 2: {
        static const char *const fns[] = {"coalesce", "abs", "lower", "length", "round",
                                          "year", "nullif", "concat", "floor", "upper"};
        const char *f = fns[dgen_below(g, 10)];
        dbuf_printf(out, "%s(", f);
        gen(g, depth - 1, out);
        if (!strcmp(f, "coalesce") || !strcmp(f, "nullif") || !strcmp(f, "concat")) {
            dbuf_puts(out, ", ");
            gen(g, depth - 1, out);
        }
        dbuf_putc(out, ')');
        return;
    }
    case 3: {
        static const char *const types[] = {"int", "bigint", "string", "double", "decimal(10,2)",
                                            "date", "timestamp", "boolean", "tinyint"};
        dbuf_puts(out, "CAST(");
        gen(g, depth - 1, out);
        dbuf_printf(out, " AS %s)", types[dgen_below(g, 9)]);
        return;
    }
    case 4: {
        bool in = dgen_below(g, 2);
        dbuf_putc(out, '(');
        gen(g, depth - 1, out);
        dbuf_puts(out, in ? " IN (" : " NOT BETWEEN ");
        gen(g, depth - 1, out);
        dbuf_puts(out, in ? ", " : " AND ");
        gen(g, depth - 1, out);
        dbuf_puts(out, in ? "))" : ")");
        return;
    }
    default:
        dbuf_putc(out, '(');
        gen(g, depth - 1, out);
        dbuf_printf(out, " %s ", bin[dgen_below(g, sizeof bin / sizeof bin[0])]);
        gen(g, depth - 1, out);
        dbuf_putc(out, ')');
        return;
    }
}

static void test_random_expressions(void **state)
{
    (void)state;
    dgen g;
    uint64_t seed = 0x5eed0e4;
    if (getenv("EXPR_SEED")) /* explore other seeds: EXPR_SEED=n */
        seed = strtoull(getenv("EXPR_SEED"), NULL, 0);
    print_message("seed 0x%" PRIx64 "\n", seed);
    dgen_init(&g, seed, 0);
    int parsed = 0, bound = 0, evaluated = 0;
    for (int k = 0; k < 4000; k++) {
        dbuf t = DBUF_INIT;
        gen(&g, 4, &t);
        run_one(dbuf_cstr(&t), &parsed, &bound, &evaluated);
        dbuf_free(&t);
    }
    print_message("%d parsed, %d bound, %d evaluated\n", parsed, bound, evaluated);
    assert_true(bound > 1000 && evaluated > 500);
}

static int setup(void **state)
{
    (void)state;
    dtype *s = et_schema("i int, l bigint, s string, d decimal(10,2), dt date, ts timestamp, "
                         "f double, b boolean");
    g_batch = et_batch(s, rows, 3);
    dtype_unref(s);
    return g_batch ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dvec_unref(g_batch);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_soup),
        cmocka_unit_test(test_random_expressions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
