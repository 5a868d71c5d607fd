/*
 * Unit tests for the expression parser (src/expr/parse.c) and its SQL
 * rendering (format.c): precedence, every literal form with Spark's
 * literal typing, quoting, predicates, CASE/CAST/functions, and syntax
 * errors naming the position, what was expected and what was found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "expr/expr.h"

/* Parses text and checks its fully parenthesised rendering. */
static void check(const char *text, const char *want)
{
    expr *e = NULL;
    int rc = expr_parse(&e, text);
    if (rc)
        fail_msg("parse '%s': %s", text, delta_error_last());
    dbuf b = DBUF_INIT;
    expr_node_format(e->root, &b);
    if (strcmp(dbuf_cstr(&b), want) != 0)
        fail_msg("parse '%s': got '%s', want '%s'", text, dbuf_cstr(&b), want);
    /* the rendering parses back to the same rendering */
    expr *e2 = NULL;
    if (expr_parse(&e2, dbuf_cstr(&b)))
        fail_msg("reparse '%s': %s", dbuf_cstr(&b), delta_error_last());
    dbuf b2 = DBUF_INIT;
    expr_node_format(e2->root, &b2);
    assert_string_equal(dbuf_cstr(&b2), want);
    dbuf_free(&b2);
    expr_free(e2);
    dbuf_free(&b);
    expr_free(e);
}

static void check_error(const char *text, const char *msg)
{
    expr *e = NULL;
    int rc = expr_parse(&e, text);
    if (rc == 0)
        fail_msg("parse '%s' succeeded, expected error '%s'", text, msg);
    assert_int_equal(rc, DELTA_EINVAL);
    assert_null(e);
    if (!strstr(delta_error_last(), msg))
        fail_msg("parse '%s': error '%s' does not contain '%s'", text, delta_error_last(), msg);
}

static const expr_node *lit(const char *text, expr **keep)
{
    if (expr_parse(keep, text))
        fail_msg("parse '%s': %s", text, delta_error_last());
    assert_int_equal((*keep)->root->kind, EX_LIT);
    return (*keep)->root;
}

static void test_precedence(void **state)
{
    (void)state;
    check("a + b * c", "(a + (b * c))");
    check("a * b + c", "((a * b) + c)");
    check("a - b - c", "((a - b) - c)");
    check("a || b + c", "((a || b) + c)");
    check("a = 1 AND b = 2 OR c = 3", "(((a = 1) AND (b = 2)) OR (c = 3))");
    check("a = 1 OR b = 2 AND c = 3", "((a = 1) OR ((b = 2) AND (c = 3)))");
    check("NOT a = 1 AND b", "((NOT (a = 1)) AND b)");
    check("NOT NOT a", "(NOT (NOT a))");
    check("(a + b) * c", "((a + b) * c)");
    check("-a * b", "((- a) * b)");
    check("- - a", "(- (- a))");
    check("+a", "a");
    check("a % 3 = 1", "((a % 3) = 1)");
    check("a / b", "(a / b)");
    check("a <=> b", "(a <=> b)");
    check("a != b", "(a <> b)");
    check("a == b", "(a = b)");
    check("a <> b", "(a <> b)");
    check("a<=b AND a>=c AND a<b AND a>c", "((((a <= b) AND (a >= c)) AND (a < b)) AND (a > c))");
    check("a - -1", "(a - -1)");
    check("a--1\n+ 2", "(a + 2)"); /* -- starts a comment */
    check("a /* c */ + 2", "(a + 2)");
}

static void test_predicates(void **state)
{
    (void)state;
    check("a IS NULL", "(a IS NULL)");
    check("a is not null", "(a IS NOT NULL)");
    check("a IN (1, 2, 3)", "(a IN (1, 2, 3))");
    check("a NOT IN ('x')", "(a NOT IN ('x'))");
    check("a BETWEEN 1 AND 2 AND b", "((a BETWEEN 1 AND 2) AND b)");
    check("a NOT BETWEEN b + 1 AND c", "(a NOT BETWEEN (b + 1) AND c)");
    check("a LIKE 'x%'", "(a LIKE 'x%')");
    check("a NOT LIKE 'x!%%' ESCAPE '!'", "(a NOT LIKE 'x!%%' ESCAPE '!')");
    check("a IS DISTINCT FROM b", "(NOT (a <=> b))");
    check("a IS NOT DISTINCT FROM b", "(a <=> b)");
    check("a IS TRUE", "(a <=> TRUE)");
    check("a IS NOT FALSE", "(NOT (a <=> FALSE))");
    check("NOT a IN (1)", "(NOT (a IN (1)))");
    check("a = 1 IS NULL", "((a = 1) IS NULL)");
}

static void test_literals(void **state)
{
    (void)state;
    expr *e;
    const expr_node *n;

    n = lit("42", &e);
    assert_int_equal(n->ts.id, DT_INT32);
    assert_int_equal(n->val.i, 42);
    expr_free(e);
    n = lit("-2147483648", &e);
    assert_int_equal(n->ts.id, DT_INT32);
    assert_int_equal(n->val.i, INT32_MIN);
    expr_free(e);
    n = lit("2147483648", &e);
    assert_int_equal(n->ts.id, DT_INT64);
    expr_free(e);
    n = lit("-9223372036854775808", &e);
    assert_int_equal(n->ts.id, DT_INT64);
    assert_true(n->val.i == INT64_MIN);
    expr_free(e);
    n = lit("9223372036854775808", &e);
    assert_int_equal(n->ts.id, DT_DECIMAL);
    assert_int_equal(n->ts.precision, 19);
    assert_int_equal(n->ts.scale, 0);
    expr_free(e);
    n = lit("1.50", &e);
    assert_int_equal(n->ts.id, DT_DECIMAL);
    assert_int_equal(n->ts.precision, 3);
    assert_int_equal(n->ts.scale, 2);
    assert_true(n->val.dec == 150);
    expr_free(e);
    n = lit("0.05", &e);
    assert_int_equal(n->ts.precision, 2);
    assert_int_equal(n->ts.scale, 2);
    expr_free(e);
    n = lit("-.5", &e);
    assert_int_equal(n->ts.id, DT_DECIMAL);
    assert_true(n->val.dec == -5);
    assert_int_equal(n->ts.scale, 1);
    expr_free(e);
    n = lit("1e3", &e);
    assert_int_equal(n->ts.id, DT_FLOAT64);
    assert_true(n->val.d == 1000.0);
    expr_free(e);
    n = lit("2.5E-1", &e);
    assert_true(n->val.d == 0.25);
    expr_free(e);
    n = lit("10L", &e);
    assert_int_equal(n->ts.id, DT_INT64);
    expr_free(e);
    n = lit("10Y", &e);
    assert_int_equal(n->ts.id, DT_INT8);
    expr_free(e);
    n = lit("10S", &e);
    assert_int_equal(n->ts.id, DT_INT16);
    expr_free(e);
    n = lit("1.5D", &e);
    assert_int_equal(n->ts.id, DT_FLOAT64);
    expr_free(e);
    n = lit("1.5F", &e);
    assert_int_equal(n->ts.id, DT_FLOAT32);
    expr_free(e);
    n = lit("7BD", &e);
    assert_int_equal(n->ts.id, DT_DECIMAL);
    assert_int_equal(n->ts.precision, 1);
    expr_free(e);
    n = lit("12345678901234567890123456789012345678", &e);
    assert_int_equal(n->ts.id, DT_DECIMAL);
    assert_int_equal(n->ts.precision, 38);
    expr_free(e);
    n = lit("1234567890123456789012345678901234567.89", &e); /* 39 digits: double */
    assert_int_equal(n->ts.id, DT_FLOAT64);
    expr_free(e);

    n = lit("'it''s'", &e);
    assert_int_equal(n->ts.id, DT_STRING);
    assert_int_equal(n->val.len, 4);
    assert_memory_equal(n->val.bytes, "it's", 4);
    expr_free(e);
    n = lit("'a\\tb\\'c'", &e);
    assert_int_equal(n->val.len, 5);
    assert_memory_equal(n->val.bytes, "a\tb'c", 5);
    expr_free(e);
    n = lit("''", &e);
    assert_int_equal(n->val.len, 0);
    expr_free(e);
    n = lit("'h\xc3\xa9llo \xe2\x82\xac'", &e);
    assert_int_equal(n->val.len, 10);
    expr_free(e);
    n = lit("X'00fF10'", &e);
    assert_int_equal(n->ts.id, DT_BINARY);
    assert_int_equal(n->val.len, 3);
    assert_memory_equal(n->val.bytes, "\x00\xff\x10", 3);
    expr_free(e);
    n = lit("true", &e);
    assert_int_equal(n->ts.id, DT_BOOL);
    assert_true(n->val.b);
    expr_free(e);
    n = lit("FaLsE", &e);
    assert_false(n->val.b);
    expr_free(e);
    n = lit("null", &e);
    assert_int_equal(n->ts.id, DT_NULL);
    assert_true(n->val.is_null);
    expr_free(e);
    n = lit("DATE '2024-02-29'", &e);
    assert_int_equal(n->ts.id, DT_DATE32);
    assert_int_equal(n->val.i, 19782);
    expr_free(e);
    n = lit("date '1970-01-01'", &e);
    assert_int_equal(n->val.i, 0);
    expr_free(e);
    n = lit("TIMESTAMP '2024-01-31 10:20:30.5'", &e);
    assert_int_equal(n->ts.id, DT_TIMESTAMP);
    assert_true(n->ts.utc);
    assert_int_equal(n->val.i, INT64_C(1706696430500000));
    expr_free(e);
    n = lit("TIMESTAMP '2024-01-31T10:20:30+01:00'", &e);
    assert_int_equal(n->val.i, INT64_C(1706692830000000));
    expr_free(e);
    n = lit("TIMESTAMP_NTZ '2024-01-31 10:20:30'", &e);
    assert_false(n->ts.utc);
    assert_int_equal(n->val.i, INT64_C(1706696430000000));
    expr_free(e);

    check("1.50", "1.50");
    check("-0.05", "-0.05");
    check("'a''b'", "'a''b'");
    check("X'0a'", "X'0A'");
    check("DATE '2024-02-29'", "DATE '2024-02-29'");
    check("TIMESTAMP_NTZ '2024-01-31 10:20:30'", "TIMESTAMP_NTZ '2024-01-31 10:20:30'");
    check("10L", "10L");
    check("3000000000", "3000000000");
    check("1e3", "1000D");
}

static void test_columns(void **state)
{
    (void)state;
    check("`weird name`", "`weird name`");
    check("\"Quoted\"\"x\"", "`Quoted\"x`");
    check("`a``b`", "`a``b`");
    check("a.b.c", "a.b.c");
    check("source.x = target.x", "(source.x = target.x)");
    check("`case`.`from`", "`case`.`from`");
    check("`a.b`", "`a.b`");
    expr *e;
    assert_int_equal(expr_parse(&e, "Tbl.`Col 1`.x"), 0);
    assert_int_equal(e->root->kind, EX_COL);
    assert_int_equal(e->root->nnames, 3);
    assert_string_equal(e->root->names[0], "Tbl");
    assert_string_equal(e->root->names[1], "Col 1");
    assert_int_equal(e->root->pos, 1);
    expr_free(e);
    assert_int_equal(expr_parse(&e, "  x + y"), 0);
    assert_int_equal(e->root->pos, 5);
    assert_int_equal(e->root->args[0]->pos, 3);
    assert_int_equal(e->root->args[1]->pos, 7);
    expr_free(e);
}

static void test_case_cast_functions(void **state)
{
    (void)state;
    check("CASE WHEN a > 1 THEN 'x' WHEN a > 0 THEN 'y' ELSE 'z' END",
          "CASE WHEN (a > 1) THEN 'x' WHEN (a > 0) THEN 'y' ELSE 'z' END");
    check("case a when 1 then 2 end", "CASE WHEN (a = 1) THEN 2 END");
    check("CAST(a AS decimal(10, 2))", "CAST(a AS decimal(10,2))");
    check("cast(a as DECIMAL)", "CAST(a AS decimal(10,0))");
    check("CAST(a AS varchar(20))", "CAST(a AS string)");
    check("CAST(x AS timestamp_ntz)", "CAST(x AS timestamp_ntz)");
    check("CAST('1' AS bigint) + 1", "(CAST('1' AS bigint) + 1)");
    check("lower(name)", "lower(name)");
    check("concat(a, 'x', b)", "concat(a, 'x', b)");
    check("current_date", "current_date()");
    check("current_timestamp()", "current_timestamp()");
    check("coalesce(a, b, 0)", "coalesce(a, b, 0)");
    check("if(a > 0, 1, 2)", "if((a > 0), 1, 2)");
    check("date_add(d, 1) > DATE '2024-01-01'", "(date_add(d, 1) > DATE '2024-01-01')");
    check("f()", "f()");
}

static void test_keywords_case_insensitive(void **state)
{
    (void)state;
    check("a iS nOt NuLl AnD b Or NoT c", "(((a IS NOT NULL) AND b) OR (NOT c))");
    check("a not between 1 and 2", "(a NOT BETWEEN 1 AND 2)");
}

static void test_errors(void **state)
{
    (void)state;
    check_error("", "at position 1: expected an expression, found end of input");
    check_error("a +", "at position 4: expected an expression, found end of input");
    check_error("a = = b", "at position 5: expected an expression, found '='");
    check_error("(a", "at position 3: expected ')', found end of input");
    check_error("a b", "at position 3: expected an operator or end of input, found 'b'");
    check_error("'abc", "at position 1: expected a closing quote");
    check_error("`abc", "at position 1: expected a closing `");
    check_error("a IN 1", "at position 6: expected '(', found '1'");
    check_error("a BETWEEN 1 OR 2", "expected AND, found 'OR'");
    check_error("CAST(a AS blob)", "at position 11: expected a type name");
    check_error("CAST(a AS decimal(39,0))", "expected decimal precision 1..38");
    check_error("CAST(a AS decimal(5,6))", "found decimal(5,6)");
    check_error("CASE END", "expected WHEN, found 'END'");
    check_error("CASE WHEN a THEN 1", "expected END, found end of input");
    check_error("a LIKE 'x' ESCAPE 'ab'", "expected a one-character string after ESCAPE");
    check_error("X'abc'", "expected an even number of hex digits");
    check_error("X'zz'", "at position 3: expected a hex digit, found 'z'");
    check_error("a # b", "at position 3: expected an expression, found unexpected character '#'");
    check_error("a IS 5", "expected NULL, NOT NULL, TRUE, FALSE or DISTINCT FROM after IS");
    check_error("DATE '2024-02-30'", "at position 6");
    check_error("12abc", "expected a number");
    check_error("300Y", "expected a value in range [-128, 127]");
    check_error("123456789012345678901234567890123456789", "at most 38 digits");
    check_error("1e999", "expected a number in the range of double");
    check_error("and", "expected an expression, found 'and'");
    check_error("a.", "expected a column or field name, found end of input");
    check_error("f(a,)", "at position 5: expected an expression, found ')'");
    check_error("/* x", "expected */");
    /* deep nesting is refused, not a stack overflow */
    char deep[2000];
    memset(deep, '(', 1000);
    memcpy(deep + 1000, "a", 2);
    check_error(deep, "nested at most");
}

static void test_out_of_memory(void **state)
{
    (void)state;
    const char *text = "CASE WHEN a.b IN (1, 2, 3) AND lower(s) LIKE 'x%' THEN 1.5 ELSE -2 END "
                       "+ coalesce(c, 0) * 2";
    for (long n = 1;; n++) {
        expr *e = NULL;
        delta_alloc_fail_after(n);
        int rc = expr_parse(&e, text);
        long injected = delta_alloc_injected_failures();
        delta_alloc_fail_after(0);
        if (rc == 0) {
            expr_free(e);
            if (injected == 0)
                break;
            continue;
        }
        assert_int_equal(rc, DELTA_ENOMEM);
        assert_null(e);
        assert_true(n < 1000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_predicates),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_case_cast_functions),
        cmocka_unit_test(test_keywords_case_insensitive),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
