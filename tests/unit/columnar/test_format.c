/*
 * Unit tests for columnar/format.c and the public printing API: the exact
 * text of every type in each style (TEXT, CSV, JSON), nested values, the
 * four printer formats on golden output (including empty results, cut
 * cells after the sizing window, and the row limit), and allocation
 * failure while printing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columnar/arrow.h"
#include "columnar/format.h"
#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "delta/columnar.h"
#include "support/dgen.h"

static int reset_injection(void **state)
{
    (void)state;
    delta_alloc_fail_after(0);
    return 0;
}

static void check(int rc)
{
    if (rc)
        fail_msg("rc %d: %s", rc, delta_error_last());
}

static dvec *new_vec(dtype *t)
{
    dvec *v;
    assert_non_null(t);
    check(dvec_new(&v, t));
    dtype_unref(t);
    return v;
}

/* Asserts the three renderings of row `row`. */
static void expect3(const dvec *v, int64_t row, const char *text, const char *csv, const char *json)
{
    const char *want[3] = {text, csv, json};
    for (int s = 0; s < 3; s++) {
        dbuf b = DBUF_INIT;
        dvec_format_value(v, row, (dfmt_style)s, &b);
        assert_int_equal(b.err, 0);
        if (strcmp(dbuf_cstr(&b), want[s]) != 0)
            fail_msg("row %lld style %d: got [%s] want [%s]", (long long)row, s, dbuf_cstr(&b),
                     want[s]);
        dbuf_free(&b);
    }
}

static void test_numbers(void **state)
{
    (void)state;
    dvec *v = new_vec(dtype_new(DT_INT64));
    dvec_append_int(v, INT64_MIN);
    dvec_append_null(v);
    expect3(v, 0, "-9223372036854775808", "-9223372036854775808", "-9223372036854775808");
    expect3(v, 1, "NULL", "", "null");
    dvec_unref(v);

    v = new_vec(dtype_new(DT_UINT64));
    dvec_append_uint(v, UINT64_MAX);
    expect3(v, 0, "18446744073709551615", "18446744073709551615", "18446744073709551615");
    dvec_unref(v);

    v = new_vec(dtype_new(DT_BOOL));
    dvec_append_bool(v, true);
    dvec_append_bool(v, false);
    expect3(v, 0, "true", "true", "true");
    expect3(v, 1, "false", "false", "false");
    dvec_unref(v);

    v = new_vec(dtype_new(DT_FLOAT64));
    double xs[] = {0.1,
                   1.0 / 3,
                   1e20,
                   123.0,
                   -0.0,
                   5e-324,
                   1.7976931348623157e308,
                   NAN,
                   INFINITY,
                   -INFINITY,
                   0.30000000000000004};
    const char *txt[] = {"0.1",
                         "0.3333333333333333",
                         "1e+20",
                         "123",
                         "-0",
                         "4.94065645841247e-324",
                         "1.7976931348623157e+308",
                         "NaN",
                         "Infinity",
                         "-Infinity",
                         "0.30000000000000004"};
    for (int i = 0; i < 11; i++)
        dvec_append_double(v, xs[i]);
    for (int i = 0; i < 11; i++) {
        char json[64];
        snprintf(json, sizeof json, i >= 7 && i <= 9 ? "\"%s\"" : "%s", txt[i]);
        expect3(v, i, txt[i], txt[i], json);
        if (i < 7 || i == 10)
            assert_true(strtod(txt[i], NULL) == xs[i]);
    }
    dvec_unref(v);

    v = new_vec(dtype_new(DT_FLOAT32));
    dvec_append_double(v, 0.1);
    dvec_append_double(v, 3.4028234663852886e38);
    dvec_append_double(v, 16777216.0);
    expect3(v, 0, "0.1", "0.1", "0.1");
    expect3(v, 1, "3.4028235e+38", "3.4028235e+38", "3.4028235e+38");
    expect3(v, 2, "16777216", "16777216", "16777216");
    dvec_unref(v);

    v = new_vec(dtype_new(DT_FLOAT16));
    uint16_t hs[] = {0x3c00, 0xc000, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x3555, 0x7bff, 0x8000};
    for (int i = 0; i < 9; i++)
        dvec_append_fixed(v, &hs[i]);
    expect3(v, 0, "1", "1", "1");
    expect3(v, 1, "-2", "-2", "-2");
    expect3(v, 2, "Infinity", "Infinity", "\"Infinity\"");
    expect3(v, 3, "-Infinity", "-Infinity", "\"-Infinity\"");
    expect3(v, 4, "NaN", "NaN", "\"NaN\"");
    expect3(v, 5, "6e-08", "6e-08", "6e-08");
    expect3(v, 6, "0.3333", "0.3333", "0.3333");
    expect3(v, 7, "6.55e+04", "6.55e+04", "6.55e+04"); /* shortest: halves are 32 apart there */
    expect3(v, 8, "-0", "-0", "-0");
    dvec_unref(v);
}

static void put_dec(dvec *v, int64_t lo, int64_t hi)
{
    uint8_t b[16];
    memcpy(b, &lo, 8);
    memcpy(b + 8, &hi, 8);
    check(dvec_append_fixed(v, b));
}

static void test_decimals(void **state)
{
    (void)state;
    dvec *v = new_vec(dtype_new_decimal(10, 2));
    put_dec(v, 12345, 0);
    put_dec(v, -5, -1);
    put_dec(v, 0, 0);
    put_dec(v, -12345, -1);
    expect3(v, 0, "123.45", "123.45", "123.45");
    expect3(v, 1, "-0.05", "-0.05", "-0.05");
    expect3(v, 2, "0.00", "0.00", "0.00");
    expect3(v, 3, "-123.45", "-123.45", "-123.45");
    dvec_unref(v);

    /* 10^38 - 1 = 0x4b3b4ca85a86c47a098a223fffffffff */
    v = new_vec(dtype_new_decimal(38, 38));
    put_dec(v, (int64_t)UINT64_C(0x098a223fffffffff), INT64_C(0x4b3b4ca85a86c47a));
    expect3(v, 0, "0.99999999999999999999999999999999999999",
            "0.99999999999999999999999999999999999999", "0.99999999999999999999999999999999999999");
    dvec_unref(v);
    v = new_vec(dtype_new_decimal(38, 0));
    put_dec(v, (int64_t)UINT64_C(0x098a223fffffffff), INT64_C(0x4b3b4ca85a86c47a));
    /* -(10^38 - 1) */
    put_dec(v, (int64_t)UINT64_C(0xf675ddc000000001), (int64_t)UINT64_C(0xb4c4b357a5793b85));
    put_dec(v, 7, 0);
    expect3(v, 0, "99999999999999999999999999999999999999",
            "99999999999999999999999999999999999999", "99999999999999999999999999999999999999");
    expect3(v, 1, "-99999999999999999999999999999999999999",
            "-99999999999999999999999999999999999999", "-99999999999999999999999999999999999999");
    expect3(v, 2, "7", "7", "7");
    dvec_unref(v);
}

static void test_calendar(void **state)
{
    (void)state;
    dvec *v = new_vec(dtype_new(DT_DATE32));
    int64_t days[] = {0, -719162, 2932896, 2932897, -719528, -719529, 19753};
    const char *want[] = {"1970-01-01", "0001-01-01",  "9999-12-31", "+10000-01-01",
                          "0000-01-01", "-0001-12-31", "2024-01-31"};
    for (int i = 0; i < 7; i++)
        dvec_append_int(v, days[i]);
    for (int i = 0; i < 7; i++) {
        char json[32];
        snprintf(json, sizeof json, "\"%s\"", want[i]);
        expect3(v, i, want[i], want[i], json);
    }
    dvec_unref(v);

    struct {
        dtime_unit u;
        int64_t x;
        const char *want;
    } times[] = {
        {DT_UNIT_SECOND, 3723, "01:02:03"},
        {DT_UNIT_MILLI, 3723004, "01:02:03.004"},
        {DT_UNIT_MICRO, INT64_C(3723000005), "01:02:03.000005"},
        {DT_UNIT_NANO, INT64_C(3723000000007), "01:02:03.000000007"},
        {DT_UNIT_NANO, INT64_C(3723100000000), "01:02:03.100"},
        {DT_UNIT_SECOND, 0, "00:00:00"},
    };
    for (int i = 0; i < 6; i++) {
        v = new_vec(dtype_new_time(times[i].u));
        dvec_append_int(v, times[i].x);
        char json[40];
        snprintf(json, sizeof json, "\"%s\"", times[i].want);
        expect3(v, 0, times[i].want, times[i].want, json);
        dvec_unref(v);
    }

    struct {
        dtime_unit u;
        bool utc;
        int64_t x;
        const char *want;
    } ts[] = {
        {DT_UNIT_MICRO, true, INT64_C(1706700000123456), "2024-01-31T11:20:00.123456Z"},
        {DT_UNIT_MICRO, false, INT64_C(1706700000123456), "2024-01-31T11:20:00.123456"},
        {DT_UNIT_NANO, false, 1, "1970-01-01T00:00:00.000000001"},
        {DT_UNIT_MICRO, false, -1, "1969-12-31T23:59:59.999999"},
        {DT_UNIT_SECOND, true, 0, "1970-01-01T00:00:00Z"},
        {DT_UNIT_MILLI, true, 1500, "1970-01-01T00:00:01.500Z"},
        {DT_UNIT_NANO, true, INT64_C(1706700000123456789), "2024-01-31T11:20:00.123456789Z"},
        {DT_UNIT_MICRO, true, INT64_MIN, "-290308-12-21T19:59:05.224192Z"},
        {DT_UNIT_MICRO, true, INT64_MAX, "+294247-01-10T04:00:54.775807Z"},
    };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        v = new_vec(dtype_new_timestamp(ts[i].u, ts[i].utc));
        dvec_append_int(v, ts[i].x);
        char json[48];
        snprintf(json, sizeof json, "\"%s\"", ts[i].want);
        expect3(v, 0, ts[i].want, ts[i].want, json);
        dvec_unref(v);
    }
    /* microsecond instants read back with the core parser */
    int64_t back;
    check(dtime_parse_instant("2024-01-31T11:20:00.123456Z", &back));
    assert_int_equal(back, INT64_C(1706700000123456));
}

static void test_strings_binary(void **state)
{
    (void)state;
    dvec *v = new_vec(dtype_new(DT_STRING));
    const char *in[] = {"plain",   "a,b",         "say \"hi\"",
                        "",        "line\nbreak", "a\"b\\c\n\x01\xc3\xa9",
                        "bad\xff", "tab\there"};
    for (int i = 0; i < 8; i++)
        dvec_append_bytes(v, in[i], strlen(in[i]));
    dvec_append_null(v);
    expect3(v, 0, "plain", "plain", "\"plain\"");
    expect3(v, 1, "a,b", "\"a,b\"", "\"a,b\"");
    expect3(v, 2, "say \"hi\"", "\"say \"\"hi\"\"\"", "\"say \\\"hi\\\"\"");
    expect3(v, 3, "", "\"\"", "\"\"");
    expect3(v, 4, "line\nbreak", "\"line\nbreak\"", "\"line\\nbreak\"");
    expect3(v, 5, "a\"b\\c\n\x01\xc3\xa9", "\"a\"\"b\\c\n\x01\xc3\xa9\"",
            "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
    expect3(v, 6, "bad\xff", "bad\xff", "\"bad\\ufffd\"");
    expect3(v, 7, "tab\there", "tab\there", "\"tab\\there\"");
    expect3(v, 8, "NULL", "", "null");
    dvec_unref(v);

    v = new_vec(dtype_new(DT_BINARY));
    dvec_append_bytes(v, "\x01\x02\x03\xff", 4);
    dvec_append_bytes(v, "\0", 1);
    dvec_append_bytes(v, "\0\0", 2);
    dvec_append_bytes(v, "", 0);
    expect3(v, 0, "0x010203ff", "AQID/w==", "\"AQID/w==\"");
    expect3(v, 1, "0x00", "AA==", "\"AA==\"");
    expect3(v, 2, "0x0000", "AAA=", "\"AAA=\"");
    expect3(v, 3, "0x", "\"\"", "\"\"");
    dvec_unref(v);

    dtype *fb = dtype_new_fixed_binary(16);
    v = new_vec(dtype_with_annot(fb, DT_ANNOT_UUID));
    const uint8_t u[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                           0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    dvec_append_bytes(v, u, 16);
    expect3(v, 0, "00112233-4455-6677-8899-aabbccddeeff", "00112233-4455-6677-8899-aabbccddeeff",
            "\"00112233-4455-6677-8899-aabbccddeeff\"");
    dvec_unref(v);
    v = new_vec(fb);
    dvec_append_bytes(v, u, 16);
    expect3(v, 0, "0x00112233445566778899aabbccddeeff",
            "ABEiM0RVZneImaq7zN3u/w==", "\"ABEiM0RVZneImaq7zN3u/w==\"");
    dvec_unref(v);

    v = new_vec(dtype_new(DT_NULL));
    dvec_append_null(v);
    expect3(v, 0, "NULL", "", "null");
    dvec_unref(v);
}

static void test_nested(void **state)
{
    (void)state;
    dfield el, f[3];
    dfield_init(&el, "element", dtype_new(DT_STRING), true);
    dfield_init(&f[0], "a", dtype_new(DT_INT32), true);
    dfield_init(&f[1], "b", dtype_new_list(el), true);
    dfield_init(&f[2], "m", dtype_new_map(dtype_new(DT_INT32), dtype_new(DT_STRING), true), true);
    dvec *v = new_vec(dtype_new_struct(f, 3));
    dvec *e = v->children[2]->children[0];
    /* {a:1, b:["x", null, "q\""], m:{1:"one", 2:null}} */
    dvec_append_int(v->children[0], 1);
    dvec_append_bytes(v->children[1]->children[0], "x", 1);
    dvec_append_null(v->children[1]->children[0]);
    dvec_append_bytes(v->children[1]->children[0], "q\"", 2);
    dvec_end_list(v->children[1]);
    dvec_append_int(e->children[0], 1);
    dvec_append_bytes(e->children[1], "one", 3);
    dvec_end_struct(e);
    dvec_append_int(e->children[0], 2);
    dvec_append_null(e->children[1]);
    dvec_end_struct(e);
    dvec_end_list(v->children[2]);
    check(dvec_end_struct(v));
    dvec_append_null(v);
    const char *json = "{\"a\":1,\"b\":[\"x\",null,\"q\\\"\"],\"m\":[{\"key\":1,\"value\":\"one\"},"
                       "{\"key\":2,\"value\":null}]}";
    char csv[256];
    /* CSV: the JSON text, quoted with its quotes doubled */
    size_t k = 0;
    csv[k++] = '"';
    for (const char *p = json; *p; p++) {
        if (*p == '"')
            csv[k++] = '"';
        csv[k++] = *p;
    }
    csv[k++] = '"';
    csv[k] = 0;
    expect3(v, 0, json, csv, json);
    expect3(v, 1, "NULL", "", "null");
    /* a child alone */
    expect3(v->children[1], 0, "[\"x\",null,\"q\\\"\"]", "\"[\"\"x\"\",null,\"\"q\\\"\"\"\"]\"",
            "[\"x\",null,\"q\\\"\"]");
    dvec_unref(v);

    /* string keys make an object */
    dvec *m = new_vec(dtype_new_map(dtype_new(DT_STRING), dtype_new(DT_FLOAT64), true));
    e = m->children[0];
    dvec_append_bytes(e->children[0], "k\n", 2);
    dvec_append_double(e->children[1], NAN);
    dvec_end_struct(e);
    dvec_end_list(m);
    dvec_end_list(m);
    expect3(m, 0, "{\"k\\n\":\"NaN\"}", "\"{\"\"k\\n\"\":\"\"NaN\"\"}\"", "{\"k\\n\":\"NaN\"}");
    expect3(m, 1, "{}", "{}", "{}");
    dvec_unref(m);
}

/* ---- printer ------------------------------------------------------------------ */

static dtype *people_schema(void)
{
    dfield f[3];
    dfield_init(&f[0], "id", dtype_new(DT_INT64), false);
    dfield_init(&f[1], "name", dtype_new(DT_STRING), true);
    dfield_init(&f[2], "score", dtype_new(DT_FLOAT64), true);
    return dtype_new_struct(f, 3);
}

static dvec *people(const dtype *schema)
{
    dvec *b;
    check(dbatch_new(&b, schema));
    int64_t ids[] = {1, 22, 333};
    const char *names[] = {"alice", NULL, "bob"};
    for (int i = 0; i < 3; i++) {
        dvec_append_int(b->children[0], ids[i]);
        if (names[i])
            dvec_append_bytes(b->children[1], names[i], strlen(names[i]));
        else
            dvec_append_null(b->children[1]);
    }
    dvec_append_double(b->children[2], 1.5);
    dvec_append_double(b->children[2], NAN);
    dvec_append_null(b->children[2]);
    check(dbatch_seal(b));
    return b;
}

static char *print_batches(dprint_kind kind, const dtype *schema, dvec **b, int n, int *rc)
{
    char *out = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&out, &len);
    dprinter *p;
    *rc = dprinter_new(&p, kind, schema, fp);
    if (!*rc) {
        for (int i = 0; i < n && !*rc; i++)
            *rc = dprinter_write(p, b[i]);
        if (*rc)
            dprinter_free(p);
        else
            *rc = dprinter_finish(p);
    }
    fclose(fp);
    return out;
}

static void expect_print(dprint_kind kind, const dtype *schema, dvec **b, int n, const char *want)
{
    int rc;
    char *got = print_batches(kind, schema, b, n, &rc);
    check(rc);
    if (strcmp(got, want) != 0)
        fail_msg("kind %d:\n--- got ---\n%s--- want ---\n%s", (int)kind, got, want);
    free(got);
}

static void test_printer(void **state)
{
    (void)state;
    dtype *schema = people_schema();
    dvec *b = people(schema);
    expect_print(DPRINT_TABLE, schema, &b, 1,
                 "+-----+-------+-------+\n"
                 "| id  | name  | score |\n"
                 "+-----+-------+-------+\n"
                 "|   1 | alice |   1.5 |\n"
                 "|  22 | NULL  |   NaN |\n"
                 "| 333 | bob   |  NULL |\n"
                 "+-----+-------+-------+\n");
    expect_print(DPRINT_CSV, schema, &b, 1,
                 "id,name,score\n"
                 "1,alice,1.5\n"
                 "22,,NaN\n"
                 "333,bob,\n");
    expect_print(DPRINT_NDJSON, schema, &b, 1,
                 "{\"id\":1,\"name\":\"alice\",\"score\":1.5}\n"
                 "{\"id\":22,\"name\":null,\"score\":\"NaN\"}\n"
                 "{\"id\":333,\"name\":\"bob\",\"score\":null}\n");
    dvec *two[2] = {b, b};
    expect_print(DPRINT_JSON, schema, two, 2,
                 "[\n"
                 "{\"id\":1,\"name\":\"alice\",\"score\":1.5},\n"
                 "{\"id\":22,\"name\":null,\"score\":\"NaN\"},\n"
                 "{\"id\":333,\"name\":\"bob\",\"score\":null},\n"
                 "{\"id\":1,\"name\":\"alice\",\"score\":1.5},\n"
                 "{\"id\":22,\"name\":null,\"score\":\"NaN\"},\n"
                 "{\"id\":333,\"name\":\"bob\",\"score\":null}\n"
                 "]\n");
    /* empty results */
    expect_print(DPRINT_TABLE, schema, NULL, 0,
                 "+----+------+-------+\n"
                 "| id | name | score |\n"
                 "+----+------+-------+\n"
                 "+----+------+-------+\n");
    expect_print(DPRINT_CSV, schema, NULL, 0, "id,name,score\n");
    expect_print(DPRINT_NDJSON, schema, NULL, 0, "");
    expect_print(DPRINT_JSON, schema, NULL, 0, "[]\n");

    /* control characters and multi-byte text in table cells */
    dvec *c;
    check(dbatch_new(&c, schema));
    dvec_append_int(c->children[0], 5);
    dvec_append_bytes(c->children[1], "a\nb\xc3\xa9", 5);
    dvec_append_double(c->children[2], -0.25);
    check(dbatch_seal(c));
    expect_print(DPRINT_TABLE, schema, &c, 1,
                 "+----+-------+-------+\n"
                 "| id | name  | score |\n"
                 "+----+-------+-------+\n"
                 "|  5 | a\\nb\xc3\xa9 | -0.25 |\n"
                 "+----+-------+-------+\n");
    /* a batch of another schema is refused */
    dprinter *p;
    FILE *fp = fopen("/dev/null", "w");
    check(dprinter_new(&p, DPRINT_CSV, schema, fp));
    dvec *other;
    dtype *os = dtype_new_struct(NULL, 0);
    check(dbatch_new(&other, os));
    assert_int_equal(dprinter_write(p, other), DELTA_ETYPE);
    assert_int_equal(dprinter_write_range(p, b, 2, 5), DELTA_EINVAL);
    check(dprinter_write_range(p, b, 1, 2));
    check(dprinter_finish(p));
    fclose(fp);
    dvec_unref(other);
    dtype_unref(os);
    dvec_unref(c);
    dvec_unref(b);
    dtype_unref(schema);
}

static void test_table_window(void **state)
{
    (void)state;
    dfield f[1];
    dfield_init(&f[0], "s", dtype_new(DT_STRING), true);
    dtype *schema = dtype_new_struct(f, 1);
    dvec *b;
    check(dbatch_new(&b, schema));
    for (int i = 0; i < 1000; i++)
        dvec_append_bytes(b->children[0], "abcd", 4);
    check(dbatch_seal(b));
    dvec *late;
    check(dbatch_new(&late, schema));
    dvec_append_bytes(late->children[0], "abcdefgh", 8);
    dvec_append_bytes(late->children[0], "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10);
    dvec_append_bytes(late->children[0], "ab", 2);
    check(dbatch_seal(late));
    dvec *both[2] = {b, late};
    int rc;
    char *out = print_batches(DPRINT_TABLE, schema, both, 2, &rc);
    check(rc);
    const char *tail = "| a... |\n| \xc3\xa9... |\n| ab   |\n+------+\n";
    size_t n = strlen(out), t = strlen(tail);
    assert_true(n > t);
    assert_string_equal(out + n - t, tail);
    assert_true(strncmp(out, "+------+\n| s    |\n+------+\n| abcd |\n", 36) == 0);
    free(out);

    /* cells wider than the cap are cut in the first window too */
    dvec *wide;
    check(dbatch_new(&wide, schema));
    char big[100];
    memset(big, 'x', sizeof big);
    dvec_append_bytes(wide->children[0], big, sizeof big);
    check(dbatch_seal(wide));
    out = print_batches(DPRINT_TABLE, schema, &wide, 1, &rc);
    check(rc);
    char want[200];
    snprintf(want, sizeof want, "| %.*s... |\n", 45, big);
    assert_non_null(strstr(out, want));
    free(out);
    dvec_unref(wide);
    dvec_unref(late);
    dvec_unref(b);
    dtype_unref(schema);
}

static void test_public_print(void **state)
{
    (void)state;
    int fmt;
    check(delta_format_parse("NDJSON", &fmt));
    assert_int_equal(fmt, DELTA_FORMAT_NDJSON);
    check(delta_format_parse("table", &fmt));
    assert_int_equal(fmt, DELTA_FORMAT_TABLE);
    check(delta_format_parse("csv", &fmt));
    assert_int_equal(fmt, DELTA_FORMAT_CSV);
    check(delta_format_parse("json", &fmt));
    assert_int_equal(fmt, DELTA_FORMAT_JSON);
    check(delta_format_parse("parquet", &fmt));
    assert_int_equal(fmt, DELTA_FORMAT_PARQUET);
    assert_int_equal(delta_format_parse("xml", &fmt), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "'xml'"));

    dtype *schema = people_schema();
    for (int64_t limit = -1; limit <= 7; limit++) {
        dvec *bs[3] = {people(schema), people(schema), people(schema)};
        dstream *s;
        check(dstream_from_batches(&s, schema, bs, 3));
        struct ArrowArrayStream st;
        check(dstream_export(s, &st));
        char *out = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&out, &len);
        delta_print_options opts = DELTA_PRINT_OPTIONS_INIT;
        opts.format = DELTA_FORMAT_CSV;
        opts.limit = limit;
        int64_t rows = delta_print_stream(fp, &st, &opts);
        fclose(fp);
        assert_null(st.release);
        int64_t want = limit < 0 ? 9 : limit;
        assert_int_equal(rows, want);
        int lines = 0;
        for (char *p = out; *p; p++)
            lines += *p == '\n';
        assert_int_equal(lines, want + 1);
        free(out);
    }
    /* PARQUET cannot be printed; the stream is still consumed */
    dvec *one = people(schema);
    dstream *s;
    check(dstream_from_batches(&s, schema, &one, 1));
    struct ArrowArrayStream st;
    check(dstream_export(s, &st));
    delta_print_options opts = DELTA_PRINT_OPTIONS_INIT;
    opts.format = DELTA_FORMAT_PARQUET;
    assert_int_equal(delta_print_stream(stdout, &st, &opts), DELTA_EUNSUPPORTED);
    assert_null(st.release);
    /* default options: a table */
    one = people(schema);
    check(dstream_from_batches(&s, schema, &one, 1));
    check(dstream_export(s, &st));
    char *out = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&out, &len);
    assert_int_equal(delta_print_stream(fp, &st, NULL), 3);
    fclose(fp);
    assert_true(strncmp(out, "+-----+", 7) == 0);
    free(out);
    dtype_unref(schema);
}

/* Random data of every type prints in every format without error, and
 * JSON output of random rows is accepted by a strict-enough scan. */
static void test_random_print(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        dgen g;
        dgen_init(&g, seed, 0);
        dtype *schema = dgen_schema(&g, 4);
        dvec *b;
        check(dgen_batch(&g, schema, 25, &b));
        for (int k = 0; k < 4; k++) {
            int rc;
            char *out = print_batches((dprint_kind)k, schema, &b, 1, &rc);
            check(rc);
            if (k == DPRINT_NDJSON) {
                int lines = 0;
                for (char *p = out; *p; p++) {
                    lines += *p == '\n';
                    assert_true((unsigned char)*p >= 0x20 || *p == '\n');
                }
                assert_int_equal(lines, 25);
            }
            free(out);
        }
        dvec_unref(b);
        dtype_unref(schema);
    }
}

static void test_oom(void **state)
{
    (void)state;
    dgen g;
    dgen_init(&g, 8, 0);
    dtype *schema = dgen_schema(&g, 4);
    dvec *b;
    check(dgen_batch(&g, schema, 40, &b));
    for (int k = 0; k < 4; k++) {
        bool done = false;
        for (long n = 1; n < 500 && !done; n++) {
            FILE *fp = fopen("/dev/null", "w");
            delta_alloc_fail_after(n);
            dprinter *p;
            int rc = dprinter_new(&p, (dprint_kind)k, schema, fp);
            if (!rc) {
                rc = dprinter_write(p, b);
                if (rc)
                    dprinter_free(p);
                else
                    rc = dprinter_finish(p);
            }
            long failures = delta_alloc_injected_failures();
            delta_alloc_fail_after(0);
            fclose(fp);
            if (rc)
                assert_int_equal(rc, DELTA_ENOMEM);
            else if (failures == 0)
                done = true;
        }
        assert_true(done);
    }
    dvec_unref(b);
    dtype_unref(schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_numbers, reset_injection),
        cmocka_unit_test_teardown(test_decimals, reset_injection),
        cmocka_unit_test_teardown(test_calendar, reset_injection),
        cmocka_unit_test_teardown(test_strings_binary, reset_injection),
        cmocka_unit_test_teardown(test_nested, reset_injection),
        cmocka_unit_test_teardown(test_printer, reset_injection),
        cmocka_unit_test_teardown(test_table_window, reset_injection),
        cmocka_unit_test_teardown(test_public_print, reset_injection),
        cmocka_unit_test_teardown(test_random_print, reset_injection),
        cmocka_unit_test_teardown(test_oom, reset_injection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
