/*
 * Unit tests for core/str.c: comparisons, trim, split (with allocation
 * failures), strict number parsing, percent encoding and decoding, with
 * seeded random round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/str.h"

#define SEED UINT64_C(0x5eed0001)

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int setup_seed(void **state)
{
    (void)state;
    rng_state = SEED;
    print_message("seed 0x%" PRIx64 "\n", SEED);
    return 0;
}

static int reset_injection(void **state)
{
    (void)state;
    delta_alloc_fail_after(0);
    return 0;
}

static void assert_error_mentions(const char *needle)
{
    if (!strstr(delta_error_last(), needle))
        fail_msg("error '%s' does not mention '%s'", delta_error_last(), needle);
}

static void test_compare(void **state)
{
    (void)state;
    assert_true(dstr_eq("abc", "abc"));
    assert_false(dstr_eq("abc", "abd"));
    assert_false(dstr_eq("abc", "ab"));
    assert_true(dstr_eq(NULL, NULL));
    assert_false(dstr_eq("a", NULL));

    assert_true(dstr_ieq("Customer_ID", "customer_id"));
    assert_true(dstr_ieq("", ""));
    assert_false(dstr_ieq("abc", "abcd"));
    assert_false(dstr_ieq("abcd", "abc"));
    assert_false(dstr_ieq("a", "b"));
    /* ASCII only: bytes >= 0x80 compare exactly. */
    assert_false(dstr_ieq("\xc3\xa9", "\xc3\x89"));
    assert_false(dstr_ieq(NULL, "a"));

    assert_true(dstr_starts_with("part-0001.parquet", "part-"));
    assert_true(dstr_starts_with("abc", ""));
    assert_false(dstr_starts_with("ab", "abc"));
    assert_true(dstr_ends_with("part-0001.parquet", ".parquet"));
    assert_true(dstr_ends_with("abc", ""));
    assert_false(dstr_ends_with("c", "abc"));
    assert_false(dstr_ends_with("abc.json", ".parquet"));
}

static void test_trim(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"  a b  ", "a b"}, {"", ""},         {"   ", ""},       {"\t\n x\r\n", "x"},
        {"x", "x"},         {"x  ", "x"},     {"  x", "x"},      {"\v\fa\v\f", "a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        strcpy(buf, cases[i].in);
        char *r = dstr_trim(buf);
        assert_ptr_equal(r, buf);
        assert_string_equal(r, cases[i].out);
    }
}

static void check_split(const char *s, char sep, size_t n, const char *const *want)
{
    char **list = NULL;
    size_t count = 0;
    assert_int_equal(dstr_split(&list, &count, s, sep), 0);
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(list[i], want[i]);
    assert_null(list[n]);
    dstr_list_free(list);
}

static void test_split(void **state)
{
    (void)state;
    check_split("a,b,,c", ',', 4, (const char *const[]){"a", "b", "", "c"});
    check_split("", ',', 1, (const char *const[]){""});
    check_split(",", ',', 2, (const char *const[]){"", ""});
    check_split("abc", ',', 1, (const char *const[]){"abc"});
    check_split("a,", ',', 2, (const char *const[]){"a", ""});
    check_split("x=1", '=', 2, (const char *const[]){"x", "1"});

    char **list = NULL;
    assert_int_equal(dstr_split(&list, NULL, "p/q", '/'), 0);
    assert_string_equal(list[0], "p");
    assert_string_equal(list[1], "q");
    dstr_list_free(list);
    dstr_list_free(NULL);
}

static void test_split_oom(void **state)
{
    (void)state;
    int done = 0;
    for (long n = 1; n <= 10 && !done; n++) {
        char **list = (char **)(uintptr_t)1; /* must stay untouched on failure */
        size_t count = 77;
        delta_alloc_fail_after(n);
        int rc = dstr_split(&list, &count, "a,b,c,d", ',');
        delta_alloc_fail_after(0);
        if (rc) {
            assert_int_equal(rc, DELTA_ENOMEM);
            assert_ptr_equal(list, (char **)(uintptr_t)1);
            assert_int_equal(count, 77);
        } else {
            assert_int_equal(n, 6); /* array + 4 strings succeeded */
            assert_int_equal(count, 4);
            dstr_list_free(list);
            done = 1;
        }
    }
    assert_true(done);
}

static void test_parse_i64(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t v;
    } ok[] = {
        {"0", 0},
        {"-0", 0},
        {"+5", 5},
        {"42", 42},
        {"-42", -42},
        {"007", 7},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = 1;
        assert_int_equal(dstr_parse_i64(ok[i].s, &v), 0);
        assert_true(v == ok[i].v);
    }

    static const char *const range[] = {"9223372036854775808", "-9223372036854775809",
                                        "99999999999999999999999", "+18446744073709551616"};
    for (size_t i = 0; i < sizeof range / sizeof range[0]; i++) {
        int64_t v = 123;
        assert_int_equal(dstr_parse_i64(range[i], &v), DELTA_ERANGE);
        assert_int_equal(v, 123);
        assert_error_mentions(range[i]);
    }

    static const char *const junk[] = {"", "-", "+", " 1", "1 ", "12a", "0x10", "1.0", "--1", "1e3",
                                       "99999999999999999999999x", "\xff"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        int64_t v = 123;
        assert_int_equal(dstr_parse_i64(junk[i], &v), DELTA_EINVAL);
        assert_int_equal(v, 123);
        assert_error_mentions(junk[i]);
    }
    assert_int_equal(dstr_parse_i64(NULL, &(int64_t){0}), DELTA_EINVAL);

    /* The message quotes the text and the position. */
    dstr_parse_i64("12a", &(int64_t){0});
    assert_string_equal(delta_error_last(), "invalid integer '12a': unexpected character at position 2");

    /* Hostile long text is quoted only in part. */
    char big[2000];
    memset(big, '7', sizeof big - 2);
    big[sizeof big - 2] = 'x';
    big[sizeof big - 1] = '\0';
    assert_int_equal(dstr_parse_i64(big, &(int64_t){0}), DELTA_EINVAL);
    assert_true(strlen(delta_error_last()) < 200);
    assert_error_mentions("...");
}

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(dstr_parse_u64("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(dstr_parse_u64("+1", &v), 0);
    assert_true(v == 1);
    assert_int_equal(dstr_parse_u64("-0", &v), 0);
    assert_true(v == 0);
    assert_int_equal(dstr_parse_u64("18446744073709551616", &v), DELTA_ERANGE);
    assert_int_equal(dstr_parse_u64("-1", &v), DELTA_ERANGE);
    assert_error_mentions("-1");
    assert_int_equal(dstr_parse_u64("-1x", &v), DELTA_EINVAL);
    assert_int_equal(dstr_parse_u64("", &v), DELTA_EINVAL);
    assert_int_equal(dstr_parse_u64("1_000", &v), DELTA_EINVAL);
}

static void test_parse_int_random(void **state)
{
    (void)state;
    char text[32];
    for (int i = 0; i < 20000; i++) {
        uint64_t r = rng();
        int shift = (int)(rng() % 64);
        int64_t x = (int64_t)(r >> shift) * ((rng() & 1) ? -1 : 1);
        snprintf(text, sizeof text, "%" PRId64, x);
        int64_t got;
        assert_int_equal(dstr_parse_i64(text, &got), 0);
        assert_true(got == x);

        uint64_t u = r >> shift;
        snprintf(text, sizeof text, "%" PRIu64, u);
        uint64_t ugot;
        assert_int_equal(dstr_parse_u64(text, &ugot), 0);
        assert_true(ugot == u);
    }
}

static void test_parse_double(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        double v;
    } ok[] = {
        {"1.5", 1.5},   {"-0.25", -0.25}, {"1e3", 1000.0}, {"1E-3", 0.001}, {".5", 0.5},
        {"5.", 5.0},    {"+7", 7.0},      {"0", 0.0},      {"1e+2", 100.0}, {"123456789012345678901234567890", 1.2345678901234568e29},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -1;
        assert_int_equal(dstr_parse_double(ok[i].s, &v), 0);
        assert_true(v == ok[i].v);
    }
    double v;
    assert_int_equal(dstr_parse_double("NaN", &v), 0);
    assert_true(isnan(v));
    assert_int_equal(dstr_parse_double("-inf", &v), 0);
    assert_true(isinf(v) && v < 0);
    assert_int_equal(dstr_parse_double("Infinity", &v), 0);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(dstr_parse_double("-0", &v), 0);
    assert_true(v == 0 && signbit(v));
    /* Underflow rounds to the nearest representable value. */
    assert_int_equal(dstr_parse_double("1e-400", &v), 0);
    assert_true(v == 0);
    assert_int_equal(dstr_parse_double("4.9e-324", &v), 0);
    assert_true(v > 0);

    assert_int_equal(dstr_parse_double("1e400", &v), DELTA_ERANGE);
    assert_error_mentions("1e400");
    assert_int_equal(dstr_parse_double("-1e400", &v), DELTA_ERANGE);

    static const char *const junk[] = {"", "-", ".", "e5", "1e", "1e+", " 1", "1 ", "1.5x", "0x1p3", "nan(1)",
                                       "infinit", "1..2", "1,5", "++1"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        v = 123;
        assert_int_equal(dstr_parse_double(junk[i], &v), DELTA_EINVAL);
        assert_true(v == 123);
        assert_error_mentions(junk[i]);
    }
}

static void test_parse_double_random(void **state)
{
    (void)state;
    char text[64];
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = rng();
        double x;
        memcpy(&x, &bits, sizeof x);
        if (!isfinite(x))
            continue;
        snprintf(text, sizeof text, "%.17g", x);
        double got;
        assert_int_equal(dstr_parse_double(text, &got), 0);
        assert_memory_equal(&got, &x, sizeof x); /* bit-exact */
    }
}

/* The decimal point is '.' whatever locale the host program chose. */
static void test_parse_double_locale(void **state)
{
    (void)state;
    const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "C.UTF-8"};
    const char *set = NULL;
    for (size_t i = 0; i < 4 && !set; i++)
        set = setlocale(LC_NUMERIC, names[i]);
    print_message("LC_NUMERIC for the test: %s\n", set ? set : "C (no other locale installed)");
    double v = 0;
    int rc = dstr_parse_double("1.5", &v);
    int rc2 = dstr_parse_double("1,5", &(double){0});
    setlocale(LC_NUMERIC, "C");
    assert_int_equal(rc, 0);
    assert_true(v == 1.5);
    assert_int_equal(rc2, DELTA_EINVAL);
}

static void test_parse_bool(void **state)
{
    (void)state;
    bool b = false;
    assert_int_equal(dstr_parse_bool("true", &b), 0);
    assert_true(b);
    assert_int_equal(dstr_parse_bool("FALSE", &b), 0);
    assert_false(b);
    assert_int_equal(dstr_parse_bool("True", &b), 0);
    assert_true(b);
    assert_int_equal(dstr_parse_bool("yes", &b), DELTA_EINVAL);
    assert_error_mentions("yes");
    assert_int_equal(dstr_parse_bool("", &b), DELTA_EINVAL);
    assert_int_equal(dstr_parse_bool("true ", &b), DELTA_EINVAL);
    assert_int_equal(dstr_parse_bool("1", &b), DELTA_EINVAL);
}

static void check_decode(const char *in, const char *want)
{
    dbuf b = DBUF_INIT;
    assert_int_equal(dstr_percent_decode(&b, in), 0);
    assert_string_equal(dbuf_cstr(&b), want);
    dbuf_free(&b);
}

static void test_percent_decode(void **state)
{
    (void)state;
    check_decode("a%20b", "a b");
    check_decode("%41%42", "AB");
    check_decode("a+b", "a+b");
    check_decode("%e4%B8%AD", "\xe4\xb8\xad");
    check_decode("", "");
    check_decode("plain/path.parquet", "plain/path.parquet");
    check_decode("date=2024-01-01%2000%3A00%3A00", "date=2024-01-01 00:00:00");
    check_decode("%25", "%");
    check_decode("%2541", "%41"); /* decoded once only */

    static const struct {
        const char *in;
        const char *pos;
    } bad[] = {
        {"%G1", "position 0"}, {"a%2", "position 1"}, {"ab%", "position 2"},
        {"%1G", "position 0"}, {"%%", "position 0"},  {"x%00y", "position 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dbuf b = DBUF_INIT;
        dbuf_puts(&b, "prefix:");
        assert_int_equal(dstr_percent_decode(&b, bad[i].in), DELTA_EINVAL);
        /* out is left as it was */
        assert_string_equal(dbuf_cstr(&b), "prefix:");
        assert_int_equal(b.err, 0);
        assert_error_mentions(bad[i].in);
        assert_error_mentions(bad[i].pos);
        dbuf_free(&b);
    }
}

static void check_encode(const char *in, const char *keep, const char *want)
{
    dbuf b = DBUF_INIT;
    assert_int_equal(dstr_percent_encode(&b, in, keep), 0);
    assert_string_equal(dbuf_cstr(&b), want);
    dbuf_free(&b);
}

static void test_percent_encode(void **state)
{
    (void)state;
    check_encode("a b", NULL, "a%20b");
    check_encode("dir/a b", "/", "dir/a%20b");
    check_encode("dir/a b", NULL, "dir%2Fa%20b");
    check_encode("AZaz09-._~", NULL, "AZaz09-._~");
    check_encode("\xc3\xa9", NULL, "%C3%A9");
    check_encode("%", NULL, "%25");
    check_encode("a=1:2", "=", "a=1%3A2");
    check_encode("", NULL, "");

    /* Sticky error under allocation failure. */
    dbuf b = DBUF_INIT;
    delta_alloc_fail_after(1);
    assert_int_equal(dstr_percent_encode(&b, "a b", NULL), DELTA_ENOMEM);
    delta_alloc_fail_after(0);
    assert_int_equal(dstr_percent_decode(&b, "x"), DELTA_ENOMEM);
    dbuf_free(&b);
}

static bool encoded_char_ok(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~%/", c);
}

static void test_percent_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 5000; i++) {
        char in[64];
        size_t n = rng() % (sizeof in);
        for (size_t j = 0; j < n; j++)
            in[j] = (char)(1 + rng() % 255);
        in[n] = '\0';

        dbuf enc = DBUF_INIT, dec = DBUF_INIT;
        assert_int_equal(dstr_percent_encode(&enc, in, "/"), 0);
        for (size_t j = 0; j < enc.len; j++)
            assert_true(encoded_char_ok(enc.data[j]));
        assert_int_equal(dstr_percent_decode(&dec, dbuf_cstr(&enc)), 0);
        assert_int_equal(dec.len, n);
        assert_memory_equal(dbuf_cstr(&dec), in, n);
        dbuf_free(&enc);
        dbuf_free(&dec);
    }
}

static void test_json_quote(void **state)
{
    (void)state;
    dbuf b = DBUF_INIT;
    const char in[] = "a\"b\\c\n\t\x01\x1f" "\xc3\xa9" "\0z";
    assert_int_equal(dstr_json_quote(&b, in, sizeof in - 1), 0);
    assert_string_equal(dbuf_cstr(&b), "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\xc3\xa9\\u0000z\"");
    dbuf_reset(&b);
    assert_int_equal(dstr_json_quote(&b, "", 0), 0);
    assert_string_equal(dbuf_cstr(&b), "\"\"");
    dbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_split),
        cmocka_unit_test_teardown(test_split_oom, reset_injection),
        cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test_setup(test_parse_int_random, setup_seed),
        cmocka_unit_test(test_parse_double),
        cmocka_unit_test_setup(test_parse_double_random, setup_seed),
        cmocka_unit_test(test_parse_double_locale),
        cmocka_unit_test(test_parse_bool),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_json_quote),
        cmocka_unit_test_teardown(test_percent_encode, reset_injection),
        cmocka_unit_test_setup(test_percent_round_trip, setup_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
