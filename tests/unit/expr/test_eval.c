/*
 * Unit tests for binding and evaluation (src/expr/bind.c, eval.c,
 * value.c, decimal.c): every operator and function with NULLs and edge
 * values (INT64_MIN, overflow, decimal limits, NaN, leap days, empty and
 * multi-byte strings), Spark's result types, three-valued logic,
 * selections, and the binder's error messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "exprtest.h"

static dvec *g_batch;   /* the table below */

static const char *const rows[] = {
    /* i        l                       s          d         dt            ts                           f       b       */
    "1",    "10",                   "apple",   "1.50",   "2024-02-29", "2024-02-29 10:20:30",      "1.5",  "true",
    "2",    "-9223372036854775808", "Banana",  "-2.25",  "2023-12-31", "1970-01-01 00:00:00",      "NaN",  "false",
    NULL,   NULL,                   NULL,      NULL,     NULL,         NULL,                       NULL,   NULL,
    "-7",   "9223372036854775807",  "",        "0.00",   "1969-12-31", "1969-12-31 23:59:59.999999", "-0.0", "true",
    "2147483647", "3",              "h\xc3\xa9llo w\xc3\xb6rld", "99999999.99", "0001-01-01", "2024-01-31 23:00:00", "1e300", "false",
};

static int setup(void **state)
{
    (void)state;
    dtype *s = et_schema("i int, l bigint, s string, d decimal(10,2), dt date, ts timestamp, "
                         "f double, b boolean");
    assert_non_null(s);
    g_batch = et_batch(s, rows, 5);
    assert_non_null(g_batch);
    dtype_unref(s);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dvec_unref(g_batch);
    return 0;
}

#define EV(text, want) ev_check(__LINE__, text, want)
static void ev_check(int line, const char *text, const char *want)
{
    dbuf b = DBUF_INIT;
    int rc = et_eval(g_batch, text, &b);
    if (rc)
        fail_msg("line %d: '%s' failed: %s", line, text, delta_error_last());
    if (strcmp(dbuf_cstr(&b), want) != 0)
        fail_msg("line %d: '%s'\n  got  %s\n  want %s", line, text, dbuf_cstr(&b), want);
    dbuf_free(&b);
}

#define SEL(text, want) sel_check(__LINE__, text, want)
static void sel_check(int line, const char *text, const char *want)
{
    dbuf b = DBUF_INIT;
    int rc = et_select(g_batch, text, &b);
    if (rc)
        fail_msg("line %d: '%s' failed: %s", line, text, delta_error_last());
    if (strcmp(dbuf_cstr(&b), want) != 0)
        fail_msg("line %d: select '%s'\n  got  %s\n  want %s", line, text, dbuf_cstr(&b), want);
    dbuf_free(&b);
}

#define ERR(text, code, msg) err_check(__LINE__, text, code, msg)
static void err_check(int line, const char *text, int code, const char *msg)
{
    dbuf b = DBUF_INIT;
    int rc = et_eval(g_batch, text, &b);
    if (rc == 0)
        fail_msg("line %d: '%s' succeeded (%s), expected error '%s'", line, text, dbuf_cstr(&b),
                 msg);
    if (rc != code)
        fail_msg("line %d: '%s': code %d, want %d (%s)", line, text, rc, code, delta_error_last());
    if (!strstr(delta_error_last(), msg))
        fail_msg("line %d: '%s': error '%s' does not contain '%s'", line, text, delta_error_last(),
                 msg);
    dbuf_free(&b);
}

/* the bound type of an expression */
#define TY(text, want) type_check(__LINE__, text, want)
static void type_check(int line, const char *text, const char *want)
{
    expr *e;
    if (expr_parse(&e, text))
        fail_msg("line %d: %s", line, delta_error_last());
    expr_scope sc = {NULL, g_batch->type};
    if (expr_bind(e, &sc, 1))
        fail_msg("line %d: '%s': %s", line, text, delta_error_last());
    dbuf b = DBUF_INIT;
    dtype_format(e->root->type, &b);
    if (strcmp(dbuf_cstr(&b), want) != 0)
        fail_msg("line %d: type of '%s' is %s, want %s", line, text, dbuf_cstr(&b), want);
    dbuf_free(&b);
    expr_free(e);
}

static void test_columns_and_literals(void **state)
{
    (void)state;
    EV("i", "1|2|NULL|-7|2147483647");
    EV("I", "1|2|NULL|-7|2147483647");
    EV("`s`", "apple|Banana|NULL||h\xc3\xa9llo w\xc3\xb6rld");
    EV("d", "1.50|-2.25|NULL|0.00|99999999.99");
    EV("dt", "2024-02-29|2023-12-31|NULL|1969-12-31|0001-01-01");
    EV("ts", "2024-02-29 10:20:30|1970-01-01 00:00:00|NULL|1969-12-31 23:59:59.999999|2024-01-31 23:00:00");
    EV("f", "1.5|NaN|NULL|-0.0|1.0E300");
    EV("42", "42|42|42|42|42");
    EV("NULL", "NULL|NULL|NULL|NULL|NULL");
    EV("'x'", "x|x|x|x|x");
    EV("X'00ff'", "00ff|00ff|00ff|00ff|00ff");
    EV("DATE '2024-02-29'", "2024-02-29|2024-02-29|2024-02-29|2024-02-29|2024-02-29");
}

static void test_comparisons(void **state)
{
    (void)state;
    EV("i = 2", "false|true|NULL|false|false");
    EV("i <> 2", "true|false|NULL|true|true");
    EV("i != 2", "true|false|NULL|true|true");
    EV("i < 2", "true|false|NULL|true|false");
    EV("i <= 2", "true|true|NULL|true|false");
    EV("i > 1", "false|true|NULL|false|true");
    EV("i >= 1", "true|true|NULL|false|true");
    EV("2 > i", "true|false|NULL|true|false");
    EV("i = NULL", "NULL|NULL|NULL|NULL|NULL");
    EV("i <=> NULL", "false|false|true|false|false");
    EV("i <=> 2", "false|true|false|false|false");
    EV("i < l", "true|false|NULL|true|false");
    EV("l = -9223372036854775808", "false|true|NULL|false|false");
    EV("l > 3000000000", "false|false|NULL|true|false");
    EV("s = 'apple'", "true|false|NULL|false|false");
    EV("s < 'b'", "true|true|NULL|true|false");
    EV("s > ''", "true|true|NULL|false|true");
    EV("s >= s", "true|true|NULL|true|true");
    EV("d = 1.5", "true|false|NULL|false|false");
    EV("d > 1", "true|false|NULL|false|true");
    EV("d < 0.001", "false|true|NULL|true|false");
    EV("dt = DATE '2024-02-29'", "true|false|NULL|false|false");
    EV("dt < '2000-01-01'", "false|false|NULL|true|true");
    EV("ts >= TIMESTAMP '2024-01-01'", "true|false|NULL|false|true");
    EV("dt < ts", "true|false|NULL|true|true");
    /* NaN is equal to itself and greater than everything */
    EV("f = CAST('NaN' AS double)", "false|true|NULL|false|false");
    EV("f > 1e308", "false|true|NULL|false|false");
    EV("f < 2", "true|false|NULL|true|false");
    EV("f = 0", "false|false|NULL|true|false");
    EV("b = true", "true|false|NULL|true|false");
    EV("i = '2'", "false|true|NULL|false|false");
    EV("1 = 1", "true|true|true|true|true");
}

static void test_logic(void **state)
{
    (void)state;
    /* three-valued logic */
    EV("b AND i = 1", "true|false|NULL|false|false");
    EV("b OR i = 2", "true|true|NULL|true|false");
    EV("NOT b", "false|true|NULL|false|true");
    EV("NULL AND false", "false|false|false|false|false");
    EV("NULL AND true", "NULL|NULL|NULL|NULL|NULL");
    EV("NULL OR true", "true|true|true|true|true");
    EV("NULL OR false", "NULL|NULL|NULL|NULL|NULL");
    EV("NOT NULL", "NULL|NULL|NULL|NULL|NULL");
    EV("i > 0 AND s IS NOT NULL", "true|true|false|false|true");
    EV("i IS NULL OR i > 1", "false|true|true|false|true");
    EV("NOT (i > 1 AND b)", "true|true|NULL|true|true");
    EV("i IS NULL", "false|false|true|false|false");
    EV("s IS NOT NULL", "true|true|false|true|true");
    SEL("b", "0,3");
    SEL("NOT b", "1,4");
    SEL("i > 0 AND b", "0");
    SEL("i > 1 OR b", "0,1,3,4");
    SEL("NOT (i > 1 OR b)", "");
    SEL("NOT (i > 1) OR b", "0,3");
    SEL("i IS NULL", "2");
    SEL("NOT i IS NULL", "0,1,3,4");
    SEL("true", "0,1,2,3,4");
    SEL("NULL", "");
    SEL("i = 1 OR i = 2 OR i = -7", "0,1,3");
}

static void test_in_between_like(void **state)
{
    (void)state;
    EV("i IN (1, 2)", "true|true|NULL|false|false");
    EV("i NOT IN (1, 2)", "false|false|NULL|true|true");
    EV("i IN (1, NULL)", "true|NULL|NULL|NULL|NULL");
    EV("i NOT IN (1, NULL)", "false|NULL|NULL|NULL|NULL");
    EV("s IN ('apple', 'x')", "true|false|NULL|false|false");
    EV("d IN (1.5, 0)", "true|false|NULL|true|false");
    EV("i IN (l, 2)", "false|true|NULL|false|false");
    EV("i BETWEEN 1 AND 2", "true|true|NULL|false|false");
    EV("i NOT BETWEEN 1 AND 2", "false|false|NULL|true|true");
    EV("dt BETWEEN '2023-01-01' AND '2024-12-31'", "true|true|NULL|false|false");
    EV("s LIKE 'a%'", "true|false|NULL|false|false");
    EV("s LIKE '%an%'", "false|true|NULL|false|false");
    EV("s LIKE '_pple'", "true|false|NULL|false|false");
    EV("s LIKE 'h_llo%'", "false|false|NULL|false|true"); /* _ is one character: é */
    EV("s LIKE ''", "false|false|NULL|true|false");
    EV("s LIKE '%'", "true|true|NULL|true|true");
    EV("s NOT LIKE 'a%'", "false|true|NULL|true|true");
    EV("'a%b' LIKE 'a\\%b'", "true|true|true|true|true");
    EV("'axb' LIKE 'a\\%b'", "false|false|false|false|false");
    EV("'a_b' LIKE 'a!_b' ESCAPE '!'", "true|true|true|true|true");
    EV("'aXb' LIKE 'a!_b' ESCAPE '!'", "false|false|false|false|false");
    EV("'aaa' LIKE '%a%a%a%'", "true|true|true|true|true");
    EV("'ab' LIKE '%a%a%'", "false|false|false|false|false");
    EV("s LIKE NULL", "NULL|NULL|NULL|NULL|NULL");
    SEL("s LIKE 'B%' OR s LIKE 'a%'", "0,1");
    /* long literal lists are searched in sorted order */
    EV("i IN (0, 3, 4, 5, 6, 7, 8, 9, 10, 2147483647, -7)", "false|false|NULL|true|true");
    EV("i IN (0, 3, 4, 5, 6, 7, 8, 9, 10, NULL, 1)", "true|NULL|NULL|NULL|NULL");
    EV("i NOT IN (0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1)", "false|true|NULL|true|true");
    EV("s IN ('x', 'y', 'z', 'w', 'v', 'u', 't', 'r', 'q', 'Banana', 'apple')",
       "true|true|NULL|false|false");
    EV("f IN (1, 2, 3, 4, 5, 6, 7, 8, 9, CAST('NaN' AS double))", "false|true|NULL|false|false");
    SEL("i IN (2, 2147483647)", "1,4");
}

static void test_arithmetic(void **state)
{
    (void)state;
    EV("i + CAST(1 AS bigint)", "2|3|NULL|-6|2147483648");
    EV("i - 1", "0|1|NULL|-8|2147483646");
    EV("i * -1", "-1|-2|NULL|7|-2147483647");
    EV("-i", "-1|-2|NULL|7|-2147483647");
    EV("i / 2", "0.5|1.0|NULL|-3.5|1.0737418235E9");
    EV("i / 0", "NULL|NULL|NULL|NULL|NULL");
    EV("i % 3", "1|2|NULL|-1|1");
    EV("i % 0", "NULL|NULL|NULL|NULL|NULL");
    EV("l % -1", "0|0|NULL|0|0");
    EV("l / 2", "5.0|-4.611686018427388E18|NULL|4.611686018427388E18|1.5");
    EV("d + 1", "2.50|-1.25|NULL|1.00|100000000.99");
    EV("d - d", "0.00|0.00|NULL|0.00|0.00");
    EV("d * d", "2.2500|5.0625|NULL|0.0000|9999999998000000.0001");
    EV("d / 3", "0.500000|-0.750000|NULL|0.000000|33333333.330000");
    EV("d / 0", "NULL|NULL|NULL|NULL|NULL");
    EV("2.0 / 3", "0.666667|0.666667|0.666667|0.666667|0.666667");
    EV("-2.0 / 3", "-0.666667|-0.666667|-0.666667|-0.666667|-0.666667");
    EV("d % 1", "0.50|-0.25|NULL|0.00|0.99");
    EV("d + i", "2.50|-0.25|NULL|-7.00|2247483646.99");
    EV("d + f", "3.0|NaN|NULL|0.0|1.0E300");
    EV("f * 0", "0.0|NaN|NULL|-0.0|0.0");
    EV("f / 0", "NULL|NULL|NULL|NULL|NULL");
    EV("dt + 1", "2024-03-01|2024-01-01|NULL|1970-01-01|0001-01-02");
    EV("dt - 366", "2023-02-28|2022-12-30|NULL|1968-12-30|0000-01-01");
    EV("CAST(d AS decimal(38,18)) + CAST(d AS decimal(38,18))",
       "3.00000000000000000|-4.50000000000000000|NULL|0.00000000000000000|199999999.98000000000000000");
    EV("CAST(d AS decimal(38,18)) * CAST(d AS decimal(38,18))",
       "2.250000|5.062500|NULL|0.000000|9999999998000000.000100");
    EV("CAST('1.000000000000000001' AS decimal(38,18)) / 3",
       "0.333333333333333334|0.333333333333333334|0.333333333333333334|0.333333333333333334|0.333333333333333334");
    EV("1 + 2 * 3 - 4 % 3", "6|6|6|6|6");
    EV("s || '!'", "apple!|Banana!|NULL|!|h\xc3\xa9llo w\xc3\xb6rld!");
    EV("i || s", "1apple|2Banana|NULL|-7|2147483647h\xc3\xa9llo w\xc3\xb6rld");
    EV("-d", "-1.50|2.25|NULL|0.00|-99999999.99");
    EV("-f", "-1.5|NaN|NULL|0.0|-1.0E300");
}

static void test_overflow_errors(void **state)
{
    (void)state;
    ERR("i + 1", DELTA_ERANGE, "integer overflow (result does not fit int) in (i + 1) at position 3");
    ERR("l + 1", DELTA_ERANGE, "integer overflow (result does not fit bigint) in (l + 1L)");
    ERR("l - 1", DELTA_ERANGE, "integer overflow");
    ERR("l * 2", DELTA_ERANGE, "integer overflow");
    ERR("-l", DELTA_ERANGE, "integer overflow (result does not fit bigint) in (- l) at position 1");
    ERR("abs(l)", DELTA_ERANGE, "in abs(l)");
    ERR("CAST(1 AS tinyint) * 200Y", DELTA_EINVAL, "expected a value in range [-128, 127]");
    ERR("CAST(100 AS tinyint) + CAST(100 AS tinyint)", DELTA_ERANGE, "does not fit tinyint");
    ERR("CAST(i AS tinyint)", DELTA_ERANGE,
        "in CAST(i AS tinyint) at position 1: value 2147483647 is out of the range of tinyint");
    ERR("CAST('99999999999999999999999999999999999999' AS decimal(38,0)) + 1", DELTA_ERANGE,
        "decimal overflow (result does not fit decimal(38,0))");
    ERR("CAST(i AS decimal(5,1))", DELTA_ERANGE, "out of the range of decimal(5,1)");
    ERR("CAST(f AS decimal(5,2))", DELTA_ERANGE, "value NaN is out of the range of decimal(5,2)");
    ERR("CAST(1e300 AS decimal(38,0))", DELTA_ERANGE, "out of the range of decimal(38,0)");
    ERR("floor(f)", DELTA_ERANGE, "in floor(f)");
    ERR("date_add(dt, 2147483647)", DELTA_ERANGE, "date out of range");
    /* an overflowing branch that no row takes is not evaluated */
    EV("CASE WHEN i = 2147483647 THEN 0 ELSE i + 1 END", "2|3|NULL|-6|0");
    EV("if(i < 2147483647, i + 1, -1)", "2|3|-1|-6|-1"); /* NULL condition: else */
    SEL("i < 100 AND i + 1 > 0", "0,1");
}

static void test_functions(void **state)
{
    (void)state;
    EV("lower(s)", "apple|banana|NULL||h\xc3\xa9llo w\xc3\xb6rld");
    EV("upper(s)", "APPLE|BANANA|NULL||H\xc3\x89LLO W\xc3\x96RLD");
    EV("trim('  a b  ')", "a b|a b|a b|a b|a b");
    EV("ltrim('  a ') || '|'", "a ||a ||a ||a ||a |");
    EV("rtrim('  a ') || '|'", "  a||  a||  a||  a||  a|");
    EV("substring(s, 2, 3)", "ppl|ana|NULL||\xc3\xa9ll");
    EV("substring(s, -3)", "ple|ana|NULL||rld");
    EV("substr(s, 0, 2)", "ap|Ba|NULL||h\xc3\xa9");
    EV("substring(s, 10)", "||NULL||ld");
    EV("substring(s, 2, -1)", "||NULL||");
    EV("concat(s, '-', i)", "apple-1|Banana-2|NULL|--7|h\xc3\xa9llo w\xc3\xb6rld-2147483647");
    EV("length(s)", "5|6|NULL|0|11");
    EV("length(X'0001')", "2|2|2|2|2");
    EV("abs(i)", "1|2|NULL|7|2147483647");
    EV("abs(d)", "1.50|2.25|NULL|0.00|99999999.99");
    EV("abs(f)", "1.5|NaN|NULL|0.0|1.0E300");
    EV("round(d, 1)", "1.5|-2.3|NULL|0.0|100000000.0");
    EV("round(d)", "2|-2|NULL|0|100000000");
    EV("round(f)", "2.0|NaN|NULL|-0.0|1.0E300");
    EV("round(CAST(2.675 AS double), 2)", "2.68|2.68|2.68|2.68|2.68");
    EV("round(2.675, 2)", "2.68|2.68|2.68|2.68|2.68");
    EV("round(CAST(i AS bigint), -1)", "0|0|NULL|-10|2147483650");
    EV("round(-15, -1)", "-20|-20|-20|-20|-20");
    EV("floor(d)", "1|-3|NULL|0|99999999");
    EV("ceil(d)", "2|-2|NULL|0|100000000");
    EV("floor(i / 2)", "0|1|NULL|-4|1073741823");
    EV("ceil(i / 2)", "1|1|NULL|-3|1073741824");
    EV("year(dt)", "2024|2023|NULL|1969|1");
    EV("month(dt)", "2|12|NULL|12|1");
    EV("day(dt)", "29|31|NULL|31|1");
    EV("year(ts)", "2024|1970|NULL|1969|2024");
    EV("hour(ts)", "10|0|NULL|23|23");
    EV("day('2024-02-29')", "29|29|29|29|29");
    EV("date_trunc('MONTH', ts)",
       "2024-02-01 00:00:00|1970-01-01 00:00:00|NULL|1969-12-01 00:00:00|2024-01-01 00:00:00");
    EV("date_trunc('week', ts)",
       "2024-02-26 00:00:00|1969-12-29 00:00:00|NULL|1969-12-29 00:00:00|2024-01-29 00:00:00");
    EV("date_trunc('hour', ts)",
       "2024-02-29 10:00:00|1970-01-01 00:00:00|NULL|1969-12-31 23:00:00|2024-01-31 23:00:00");
    EV("date_trunc('quarter', ts)",
       "2024-01-01 00:00:00|1970-01-01 00:00:00|NULL|1969-10-01 00:00:00|2024-01-01 00:00:00");
    EV("date_trunc('year', dt)",
       "2024-01-01 00:00:00|2023-01-01 00:00:00|NULL|1969-01-01 00:00:00|0001-01-01 00:00:00");
    EV("date_add(dt, 1)", "2024-03-01|2024-01-01|NULL|1970-01-01|0001-01-02");
    EV("date_add(dt, -365)", "2023-03-01|2022-12-31|NULL|1968-12-31|0000-01-02");
    EV("datediff(dt, DATE '2024-01-01')", "59|-1|NULL|-19724|-738885");
    EV("to_date(s)", "NULL|NULL|NULL|NULL|NULL");
    EV("to_date(ts)", "2024-02-29|1970-01-01|NULL|1969-12-31|2024-01-31");
    EV("to_date('2024-2-5')", "2024-02-05|2024-02-05|2024-02-05|2024-02-05|2024-02-05");
    EV("to_timestamp('2024-01-31 10:00:00')",
       "2024-01-31 10:00:00|2024-01-31 10:00:00|2024-01-31 10:00:00|2024-01-31 10:00:00|2024-01-31 10:00:00");
    EV("to_date('31/01/2024', 'dd/MM/yyyy')", "2024-01-31|2024-01-31|2024-01-31|2024-01-31|2024-01-31");
    EV("to_date('2024-2-29', 'yyyy-M-d')", "2024-02-29|2024-02-29|2024-02-29|2024-02-29|2024-02-29");
    EV("to_date('2023-02-29', 'yyyy-MM-dd')", "NULL|NULL|NULL|NULL|NULL");
    EV("to_date('2024-1-5', 'yyyy-MM-dd')", "NULL|NULL|NULL|NULL|NULL");
    EV("to_timestamp('2024-01-31T10:20:30.5', 'yyyy-MM-dd''T''HH:mm:ss.S')",
       "2024-01-31 10:20:30.5|2024-01-31 10:20:30.5|2024-01-31 10:20:30.5|2024-01-31 10:20:30.5|2024-01-31 10:20:30.5");
    EV("to_timestamp(s, 'yyyy')", "NULL|NULL|NULL|NULL|NULL");
    EV("coalesce(i, 0)", "1|2|0|-7|2147483647");
    EV("coalesce(l, 7, 1.5)", "10.0|-9223372036854775808.0|7.0|9223372036854775807.0|3.0");
    EV("coalesce(NULL, s, 'z')", "apple|Banana|z||h\xc3\xa9llo w\xc3\xb6rld");
    EV("coalesce(NULL, NULL)", "NULL|NULL|NULL|NULL|NULL");
    EV("nullif(i, 2)", "1|NULL|NULL|-7|2147483647");
    EV("if(b, 'y', 'n')", "y|n|n|y|n");
    EV("CASE WHEN i > 1 THEN 'big' WHEN i > 0 THEN 'one' ELSE 'neg' END", "one|big|neg|neg|big");
    EV("CASE i WHEN 1 THEN 'a' WHEN 2 THEN 'b' END", "a|b|NULL|NULL|NULL");
    EV("CASE WHEN b THEN d ELSE i END", "1.50|2.00|NULL|0.00|2147483647.00");
    EV("CASE WHEN NULL THEN 1 ELSE 2 END", "2|2|2|2|2");
    EV("current_date() = current_date", "true|true|true|true|true");
    EV("current_timestamp() > TIMESTAMP '2020-01-01'", "true|true|true|true|true");
}

static void test_casts(void **state)
{
    (void)state;
    EV("CAST(s AS int)", "NULL|NULL|NULL|NULL|NULL");
    EV("CAST(' 12 ' AS int)", "12|12|12|12|12");
    EV("CAST('1.9' AS int)", "1|1|1|1|1");
    EV("CAST('-9223372036854775808' AS bigint)",
       "-9223372036854775808|-9223372036854775808|-9223372036854775808|-9223372036854775808|-9223372036854775808");
    EV("CAST('9223372036854775808' AS bigint)", "NULL|NULL|NULL|NULL|NULL");
    EV("CAST(d AS int)", "1|-2|NULL|0|99999999");
    EV("CAST(f AS string)", "1.5|NaN|NULL|-0.0|1.0E300");
    EV("CAST(d AS double)", "1.5|-2.25|NULL|0.0|9.999999999E7");
    EV("CAST(i AS decimal(12,1))", "1.0|2.0|NULL|-7.0|2147483647.0");
    EV("CAST(ts AS date)", "2024-02-29|1970-01-01|NULL|1969-12-31|2024-01-31");
    EV("CAST(dt AS timestamp)",
       "2024-02-29 00:00:00|2023-12-31 00:00:00|NULL|1969-12-31 00:00:00|0001-01-01 00:00:00");
    EV("CAST(b AS int)", "1|0|NULL|1|0");
    EV("CAST(i AS boolean)", "true|true|NULL|true|true");
    EV("CAST('yes' AS boolean)", "true|true|true|true|true");
    EV("CAST(s AS boolean)", "NULL|NULL|NULL|NULL|NULL");
    EV("CAST('2024-02-30' AS date)", "NULL|NULL|NULL|NULL|NULL");
    EV("CAST('2023-02-29' AS date)", "NULL|NULL|NULL|NULL|NULL");
    EV("CAST('2024-02-29T12:00:00Z' AS date)", "2024-02-29|2024-02-29|2024-02-29|2024-02-29|2024-02-29");
    EV("CAST(1.5 AS string)", "1.5|1.5|1.5|1.5|1.5");
    EV("CAST(1e7 AS string)", "1.0E7|1.0E7|1.0E7|1.0E7|1.0E7");
    EV("CAST(0.001D AS string)", "0.001|0.001|0.001|0.001|0.001");
    EV("CAST(1234567.5D AS string)", "1234567.5|1234567.5|1234567.5|1234567.5|1234567.5");
    EV("CAST('1.005' AS decimal(4,2))", "1.01|1.01|1.01|1.01|1.01");
    EV("CAST('-1.005' AS decimal(4,2))", "-1.01|-1.01|-1.01|-1.01|-1.01");
    EV("CAST('abc' AS decimal(4,2))", "NULL|NULL|NULL|NULL|NULL");
    EV("CAST(0.1D AS decimal(5,3))", "0.100|0.100|0.100|0.100|0.100");
    EV("CAST(2.675D AS decimal(5,2))", "2.68|2.68|2.68|2.68|2.68");
    EV("CAST(-1e-310D AS decimal(5,2))", "0.00|0.00|0.00|0.00|0.00");
    EV("CAST(abs(f) < 2 AS int)", "1|0|NULL|1|0");
    EV("CAST(ts AS bigint)", "1709202030|0|NULL|-1|1706742000");
    EV("CAST(X'41ff42' AS string)", "A\xef\xbf\xbd" "B|A\xef\xbf\xbd" "B|A\xef\xbf\xbd" "B|A\xef\xbf\xbd" "B|A\xef\xbf\xbd" "B");
    EV("CAST(s AS binary)", "6170706c65|42616e616e61|NULL||68c3a96c6c6f2077c3b6726c64");
    EV("CAST(TIMESTAMP_NTZ '2024-01-01 00:00:00' AS string)",
       "2024-01-01 00:00:00|2024-01-01 00:00:00|2024-01-01 00:00:00|2024-01-01 00:00:00|2024-01-01 00:00:00");
}

static void test_bind_errors(void **state)
{
    (void)state;
    ERR("nope + 1", DELTA_ENOTFOUND,
        "at position 1: column 'nope' not found; expected one of: i, l, s, d, dt, ts, f, b");
    ERR("i + b", DELTA_ETYPE,
        "at position 3: operator + expects numeric operands, found int and boolean in (i + b)");
    ERR("b AND i", DELTA_ETYPE, "at position 3: AND expects a boolean operand, found i of type int");
    ERR("NOT s", DELTA_ETYPE, "NOT expects a boolean operand");
    ERR("b = dt", DELTA_ETYPE, "at position 3: operator = cannot compare boolean with date in (b = dt)");
    ERR("foo(i)", DELTA_ENOTFOUND, "at position 1: unknown function 'foo'");
    ERR("substring(s)", DELTA_EINVAL, "at position 1: function substring expects 2 to 3 arguments, found 1");
    ERR("lower(b)", DELTA_ETYPE, "function lower expects a string as argument 1, found boolean");
    ERR("year(i)", DELTA_ETYPE, "function year expects a date as argument 1, found int");
    ERR("CAST(b AS date)", DELTA_ETYPE, "at position 1: cannot cast boolean to date");
    ERR("i.x", DELTA_ETYPE, "cannot take field 'x' of column 'i' of type int: expected a struct");
    ERR("date_trunc('fortnight', ts)", DELTA_ETYPE, "expects a unit");
    ERR("round(d, i)", DELTA_ETYPE, "integer literal");
    ERR("CASE WHEN i THEN 1 END", DELTA_ETYPE, "CASE WHEN expects a boolean operand");
    ERR("if(b, 1, dt)", DELTA_ETYPE, "expected arguments of one type, found int and date");
    ERR("i IN (1, dt)", DELTA_ETYPE, "IN expects list values comparable with int, found date");
    ERR("s LIKE 1", DELTA_ETYPE, "LIKE expects string operands, found int");
    ERR("to_date(s, 'yyyy-QQ')", DELTA_ETYPE, "function to_date expects a datetime pattern");
    ERR("to_date(s, s)", DELTA_ETYPE, "expects a pattern string literal as argument 2");
    ERR("current_date(1)", DELTA_EINVAL, "function current_date expects 0 arguments, found 1");
    ERR("CASE WHEN b THEN 1 ELSE dt END", DELTA_ETYPE, "CASE expects branches of one type");
}

static dtype *field_struct(const char *n1, dtype *t1, const char *n2, dtype *t2)
{
    dfield f[2];
    uint32_t n = 0;
    dfield_init(&f[n++], n1, t1, true);
    if (n2)
        dfield_init(&f[n++], n2, t2, true);
    return dtype_new_struct(f, n);
}

static void test_scopes_and_nesting(void **state)
{
    (void)state;
    /* nested: p struct<q int, r struct<s string>>, plus case variants */
    dtype *r = field_struct("s", dtype_new(DT_STRING), NULL, NULL);
    dtype *p = field_struct("q", dtype_new(DT_INT32), "r", r);
    dtype *schema = field_struct("p", p, "Amb", dtype_new(DT_INT32));
    assert_non_null(schema);
    dvec *b;
    assert_int_equal(dbatch_new(&b, schema), 0);
    dvec *pv = b->children[0], *rv = pv->children[1];
    /* row 0: p = {1, {"x"}}, row 1: p = NULL, row 2: p = {NULL, NULL} */
    assert_int_equal(dvec_append_int(pv->children[0], 1), 0);
    assert_int_equal(dvec_append_bytes(rv->children[0], "x", 1), 0);
    assert_int_equal(dvec_end_struct(rv), 0);
    assert_int_equal(dvec_end_struct(pv), 0);
    assert_int_equal(dvec_append_null(pv), 0);
    assert_int_equal(dvec_append_null(pv->children[0]), 0);
    assert_int_equal(dvec_append_null(rv), 0);
    assert_int_equal(dvec_end_struct(pv), 0);
    for (int k = 0; k < 3; k++)
        assert_int_equal(dvec_append_int(b->children[1], k), 0);
    assert_int_equal(dbatch_seal(b), 0);

    dbuf out = DBUF_INIT;
    assert_int_equal(et_eval(b, "p.q", &out), 0);
    assert_string_equal(dbuf_cstr(&out), "1|NULL|NULL");
    dbuf_reset(&out);
    assert_int_equal(et_eval(b, "P.R.S || '!'", &out), 0);
    assert_string_equal(dbuf_cstr(&out), "x!|NULL|NULL");
    dbuf_reset(&out);
    assert_int_equal(et_eval(b, "p IS NULL", &out), 0);
    assert_string_equal(dbuf_cstr(&out), "false|true|false");
    dbuf_reset(&out);
    assert_int_equal(et_eval(b, "amb + 1", &out), 0);
    assert_string_equal(dbuf_cstr(&out), "1|2|3");
    dbuf_reset(&out);
    assert_int_equal(et_eval(b, "p.nope", &out), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "field 'nope' not found; expected one of: q, r"));
    assert_int_equal(et_eval(b, "p + 1", &out), DELTA_ETYPE);
    assert_non_null(strstr(delta_error_last(), "operator + expects numeric operands, found struct<"));
    dbuf_free(&out);
    dvec_unref(b);
    dtype_unref(schema);

    /* case-insensitive ambiguity */
    dtype *amb = field_struct("a", dtype_new(DT_INT32), "A", dtype_new(DT_STRING));
    expr *e;
    assert_int_equal(expr_parse(&e, "a = 1"), 0);
    expr_scope sc = {NULL, amb};
    assert_int_equal(expr_bind(e, &sc, 1), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "at position 1: column reference 'a' is ambiguous"));
    expr_free(e);
    dtype_unref(amb);

    /* MERGE scopes: source and target */
    dtype *src = field_struct("id", dtype_new(DT_INT64), "v", dtype_new(DT_STRING));
    dtype *tgt = field_struct("id", dtype_new(DT_INT64), "w", dtype_new(DT_INT32));
    expr_scope scopes[2] = {{"source", src}, {"target", tgt}};
    assert_int_equal(expr_parse(&e, "source.id = target.id AND w > 0 AND v IS NOT NULL"), 0);
    assert_int_equal(expr_bind(e, scopes, 2), 0);
    /* evaluate over two batches */
    dvec *sb, *tb;
    assert_int_equal(dbatch_new(&sb, src), 0);
    assert_int_equal(dbatch_new(&tb, tgt), 0);
    int64_t sid[] = {1, 2, 3}, tid[] = {1, 5, 3}, tw[] = {4, 4, -1};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(dvec_append_int(sb->children[0], sid[k]), 0);
        assert_int_equal(dvec_append_bytes(sb->children[1], "v", 1), 0);
        assert_int_equal(dvec_append_int(tb->children[0], tid[k]), 0);
        assert_int_equal(dvec_append_int(tb->children[1], tw[k]), 0);
    }
    assert_int_equal(dbatch_seal(sb), 0);
    assert_int_equal(dbatch_seal(tb), 0);
    const dvec *bs[2] = {sb, tb};
    expr_input in = {bs, 2, 3};
    uint32_t sel[3];
    int64_t n;
    assert_int_equal(expr_select(e->root, &in, NULL, 0, sel, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sel[0], 0);
    /* a selection narrows the rows looked at */
    uint32_t only[1] = {2};
    assert_int_equal(expr_select(e->root, &in, only, 1, sel, &n), 0);
    assert_int_equal(n, 0);
    expr_free(e);
    dvec_unref(sb);
    dvec_unref(tb);

    assert_int_equal(expr_parse(&e, "id = 1"), 0);
    assert_int_equal(expr_bind(e, scopes, 2), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(),
                           "column reference 'id' is ambiguous: it is in both source and target; qualify it"));
    expr_free(e);
    assert_int_equal(expr_parse(&e, "source.w = 1"), 0);
    assert_int_equal(expr_bind(e, scopes, 2), DELTA_ENOTFOUND);
    assert_non_null(strstr(delta_error_last(), "column 'w' not found in source; expected one of: id, v"));
    expr_free(e);
    dtype_unref(src);
    dtype_unref(tgt);
}

static void test_bind_out_of_memory(void **state)
{
    (void)state;
    const char *text = "CASE WHEN i BETWEEN 1 AND 5 THEN d * 2 ELSE coalesce(d, 0) END > 1.5 "
                       "AND s LIKE 'a%' AND dt < '2024-01-01'";
    for (long n = 1;; n++) {
        expr *e = NULL;
        assert_int_equal(expr_parse(&e, text), 0);
        expr_scope sc = {NULL, g_batch->type};
        delta_alloc_fail_after(n);
        int rc = expr_bind(e, &sc, 1);
        const dvec *bs[1] = {g_batch};
        expr_input in = {bs, 1, g_batch->length};
        uint32_t sel[8];
        int64_t m;
        if (rc == 0)
            rc = expr_select(e->root, &in, NULL, 0, sel, &m);
        long injected = delta_alloc_injected_failures();
        delta_alloc_fail_after(0);
        expr_free(e);
        if (injected == 0) {
            assert_int_equal(rc, 0);
            break;
        }
        if (rc)
            assert_int_equal(rc, DELTA_ENOMEM);
        assert_true(n < 5000);
    }
}

static void test_decimal_limits(void **state)
{
    (void)state;
    const char *max38 = "CAST('99999999999999999999999999999999999999' AS decimal(38,0))";
    dbuf q = DBUF_INIT;
    dbuf_printf(&q, "%s * 1 = %s", max38, max38);
    EV(dbuf_cstr(&q), "true|true|true|true|true");
    dbuf_reset(&q);
    dbuf_printf(&q, "%s + -%s", max38, max38);
    EV(dbuf_cstr(&q), "0|0|0|0|0");
    dbuf_reset(&q);
    dbuf_printf(&q, "-%s - 1", max38);
    ERR(dbuf_cstr(&q), DELTA_ERANGE, "decimal overflow");
    dbuf_free(&q);
    /* products beyond 38 digits go through 256 bits, then round */
    TY("CAST('12345678901234567890.1234567890' AS decimal(38,10)) * CAST('2' AS decimal(38,10))",
       "decimal(38,6)");
    EV("CAST('12345678901234567890.1234567890' AS decimal(38,10)) * CAST('2' AS decimal(38,10))",
       "24691357802469135780.246914|24691357802469135780.246914|24691357802469135780.246914|"
       "24691357802469135780.246914|24691357802469135780.246914");
    EV("CAST('-0.0000005' AS decimal(38,10)) * CAST('1' AS decimal(38,10))",
       "-0.000001|-0.000001|-0.000001|-0.000001|-0.000001");
    TY("CAST(1 AS decimal(38,0)) / CAST(3 AS decimal(38,0))", "decimal(38,6)");
    EV("CAST(1 AS decimal(38,0)) / CAST(3 AS decimal(38,0))",
       "0.333333|0.333333|0.333333|0.333333|0.333333");
    EV("CAST(1 AS decimal(38,18)) / CAST(3 AS decimal(38,18))",
       "0.333333|0.333333|0.333333|0.333333|0.333333");
    /* a scaled dividend beyond 10^38 (1 * 10^44 / 5 * 10^37) */
    EV("CAST(1 AS decimal(38,0)) / CAST('0.5' AS decimal(38,38))",
       "2.000000|2.000000|2.000000|2.000000|2.000000");
    ERR("CAST('99999999999999999999999999999999' AS decimal(38,0)) / CAST('0.00000000000000000000000000000000001' AS decimal(38,38))",
        DELTA_ERANGE, "decimal overflow");
    EV("CAST(-7 AS decimal(5,0)) / 2", "-3.500000|-3.500000|-3.500000|-3.500000|-3.500000");
    EV("CAST(2 AS decimal(5,0)) / 3", "0.666667|0.666667|0.666667|0.666667|0.666667");
    EV("CAST(-2 AS decimal(5,0)) / 3", "-0.666667|-0.666667|-0.666667|-0.666667|-0.666667");
    EV("CAST('-7.5' AS decimal(5,1)) % 2", "-1.5|-1.5|-1.5|-1.5|-1.5");
    EV("CAST(d AS decimal(38,2)) < CAST('99999999999999999999999999999999999.99' AS decimal(38,2))",
       "true|true|NULL|true|true");
    /* integers against INT64_MIN */
    ERR("l * -1", DELTA_ERANGE, "integer overflow");
    EV("l / -1", "-10.0|9.223372036854776E18|NULL|-9.223372036854776E18|-3.0");
    EV("CAST(l AS decimal(20,0)) - 1",
       "9|-9223372036854775809|NULL|9223372036854775806|2");
    EV("CAST(l AS double)", "10.0|-9.223372036854776E18|NULL|9.223372036854776E18|3.0");
}

static void test_dates(void **state)
{
    (void)state;
    EV("DATE '2024-02-29' + 365", "2025-02-28|2025-02-28|2025-02-28|2025-02-28|2025-02-28");
    EV("date_add('2023-02-28', 1)", "2023-03-01|2023-03-01|2023-03-01|2023-03-01|2023-03-01");
    EV("CAST('1900-02-29' AS date)", "NULL|NULL|NULL|NULL|NULL");
    EV("CAST('2000-02-29' AS date)", "2000-02-29|2000-02-29|2000-02-29|2000-02-29|2000-02-29");
    EV("datediff('2024-03-01', '2024-02-28')", "2|2|2|2|2");
    EV("datediff('2023-03-01', '2023-02-28')", "1|1|1|1|1");
    EV("day(date_add(dt, 1))", "1|1|NULL|1|2");
    EV("dt = '2024-02-29'", "true|false|NULL|false|false");
    EV("ts < '2024-02-29'", "false|true|NULL|true|true");
    EV("ts = '1970-01-01'", "false|true|NULL|false|false");
    EV("TIMESTAMP '2024-02-29 23:59:59.999999' < DATE '2024-03-01'",
       "true|true|true|true|true");
}

static void test_empty_batch(void **state)
{
    (void)state;
    dtype *s = et_schema("i int, s string");
    dvec *b = et_batch(s, NULL, 0);
    assert_non_null(b);
    dbuf out = DBUF_INIT;
    assert_int_equal(et_eval(b, "CASE WHEN i > 1 THEN s ELSE upper(s) END", &out), 0);
    assert_string_equal(dbuf_cstr(&out), "");
    assert_int_equal(et_select(b, "i > 1 OR s LIKE 'a%'", &out), 0);
    assert_string_equal(dbuf_cstr(&out), "");
    dbuf_free(&out);
    dvec_unref(b);
    dtype_unref(s);
}

static void test_eval_out_of_memory(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "CASE WHEN i > 1 THEN upper(s) WHEN i < 0 THEN s || 'x' ELSE substring(s, 2) END",
        "coalesce(CAST(i AS string), s, 'z')",
        "nullif(d * 2, 3.00) + i",
        "if(b, concat(s, '-', i), lower(s))",
        "(i IN (1, 2, NULL) OR s LIKE '%an%') AND NOT (f > 1)",
        "date_trunc('month', ts) < CAST(dt AS timestamp)",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        expr *e;
        assert_int_equal(expr_parse(&e, texts[t]), 0);
        expr_scope sc = {NULL, g_batch->type};
        assert_int_equal(expr_bind(e, &sc, 1), 0);
        const dvec *bs[1] = {g_batch};
        expr_input in = {bs, 1, g_batch->length};
        for (long n = 1;; n++) {
            dvec *v = NULL;
            delta_alloc_fail_after(n);
            int rc = expr_eval(e->root, &in, NULL, 0, &v);
            long injected = delta_alloc_injected_failures();
            delta_alloc_fail_after(0);
            if (rc == 0)
                dvec_unref(v);
            if (injected == 0) {
                if (rc)
                    fail_msg("'%s': %s", texts[t], delta_error_last());
                break;
            }
            if (rc)
                assert_int_equal(rc, DELTA_ENOMEM);
            assert_true(n < 5000);
        }
        expr_free(e);
    }
}

static void test_arithmetic_types(void **state)
{
    (void)state;
    TY("i + 1", "int");
    TY("i + l", "bigint");
    TY("i / 2", "double");
    TY("i % 2", "int");
    TY("d + 1", "decimal(11,2)");
    TY("d + d", "decimal(11,2)");
    TY("d * d", "decimal(21,4)");
    TY("d / d", "decimal(23,13)");
    TY("d + i", "decimal(13,2)");
    TY("d + f", "double");
    TY("d + 1.5", "decimal(11,2)");
    TY("CAST(d AS decimal(38,18)) + CAST(d AS decimal(38,18))", "decimal(38,17)");
    TY("CAST(d AS decimal(38,10)) * CAST(d AS decimal(38,10))", "decimal(38,6)");
    TY("i + '1'", "double");
    TY("dt + 1", "date");
    TY("CAST(1 AS tinyint) + CAST(1 AS tinyint)", "tinyint");
    TY("CASE WHEN b THEN i ELSE l END", "bigint");
    TY("CASE WHEN b THEN i ELSE 'x' END", "string");
    TY("coalesce(i, d)", "decimal(12,2)");
    TY("coalesce(l, 7, 1.5)", "decimal(21,1)");
    TY("CASE WHEN b THEN l WHEN b THEN 7 ELSE 1.5 END", "decimal(21,1)");
    TY("if(b, dt, ts)", "timestamp");
    TY("round(d, 1)", "decimal(10,1)");
    TY("floor(d)", "decimal(9,0)");
    TY("floor(f)", "bigint");
    TY("length(s)", "int");
    TY("year(ts)", "int");
    TY("current_date()", "date");
    TY("current_timestamp", "timestamp");
    TY("s || i", "string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns_and_literals),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_logic),
        cmocka_unit_test(test_in_between_like),
        cmocka_unit_test(test_arithmetic),
        cmocka_unit_test(test_arithmetic_types),
        cmocka_unit_test(test_decimal_limits),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_empty_batch),
        cmocka_unit_test(test_eval_out_of_memory),
        cmocka_unit_test(test_overflow_errors),
        cmocka_unit_test(test_functions),
        cmocka_unit_test(test_casts),
        cmocka_unit_test(test_bind_errors),
        cmocka_unit_test(test_scopes_and_nesting),
        cmocka_unit_test(test_bind_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
