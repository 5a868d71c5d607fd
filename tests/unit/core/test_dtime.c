/*
 * Unit tests for core/dtime.c: calendar conversions (known values, an
 * independent day-by-day reference, random round trips over a wide range),
 * strict parsing with its error messages, formatting, and the int64
 * microsecond limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/dtime.h"

#define SEED UINT64_C(0x5eed0003)
#define US_PER_DAY (INT64_C(86400000000))

static uint64_t rng_state;

static uint64_t rng(void)
{
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

static int64_t rand_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1));
}

static bool leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned dim(int64_t y, unsigned m)
{
    static const unsigned d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

static void assert_error_mentions(const char *needle)
{
    if (!strstr(delta_error_last(), needle))
        fail_msg("error '%s' does not mention '%s'", delta_error_last(), needle);
}

/* ---- calendar ------------------------------------------------------------ */

static void test_known_days(void **state)
{
    (void)state;
    static const struct {
        int64_t y;
        unsigned m, d;
        int64_t days;
    } known[] = {
        {1970, 1, 1, 0},        {1969, 12, 31, -1},     {2000, 3, 1, 11017},  {2024, 2, 29, 19782},
        {2024, 3, 1, 19783},    {1, 1, 1, -719162},     {9999, 12, 31, 2932896}, {0, 3, 1, -719468},
        {0, 1, 1, -719528},     {-1, 12, 31, -719529},  {1900, 3, 1, -25508}, {1600, 2, 29, -135081},
        {2038, 1, 19, 24855},   {-4713, 11, 24, -2440588}, /* Julian day 0, proleptic Gregorian */
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        int64_t days = dtime_days_from_civil(known[i].y, known[i].m, known[i].d);
        if (days != known[i].days)
            fail_msg("%" PRId64 "-%02u-%02u: got %" PRId64 ", want %" PRId64, known[i].y, known[i].m, known[i].d,
                     days, known[i].days);
        int64_t y;
        unsigned m, d;
        dtime_civil_from_days(known[i].days, &y, &m, &d);
        assert_true(y == known[i].y);
        assert_int_equal(m, known[i].m);
        assert_int_equal(d, known[i].d);
    }
}

/* An independent reference: walk month by month from year -2400 with the
 * leap-year rule, and compare every first of the month; then walk days and
 * check each converts to the successor of the previous date. */
static void test_calendar_walk(void **state)
{
    (void)state;
    int64_t y0 = -2400;
    int64_t running = dtime_days_from_civil(y0, 1, 1);
    /* Anchor the walk independently: 4400 Gregorian years from -2400 to
     * 2000 hold 11 full 400-year cycles of 146097 days; 2000-01-01 is day
     * 10957. */
    assert_true(running == 10957 - 11 * INT64_C(146097));
    for (int64_t y = y0; y <= 6000; y++) {
        for (unsigned m = 1; m <= 12; m++) {
            assert_true(dtime_days_from_civil(y, m, 1) == running);
            running += dim(y, m);
        }
    }

    int64_t py;
    unsigned pm, pd;
    dtime_civil_from_days(-800000, &py, &pm, &pd);
    for (int64_t days = -800000 + 1; days <= 1500000; days++) {
        int64_t y;
        unsigned m, d;
        dtime_civil_from_days(days, &y, &m, &d);
        bool next_day = y == py && m == pm && d == pd + 1;
        bool next_month = y == py && m == pm + 1 && d == 1 && pd == dim(py, pm);
        bool next_year = y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31;
        if (!(next_day || next_month || next_year))
            fail_msg("day %" PRId64 ": %" PRId64 "-%u-%u after %" PRId64 "-%u-%u", days, y, m, d, py, pm, pd);
        py = y, pm = m, pd = d;
    }
}

static void test_calendar_random_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        int64_t days = rand_range(-INT64_C(1000000000000), INT64_C(1000000000000));
        int64_t y;
        unsigned m, d;
        dtime_civil_from_days(days, &y, &m, &d);
        assert_true(m >= 1 && m <= 12);
        assert_true(d >= 1 && d <= dim(y, m));
        assert_true(dtime_days_from_civil(y, m, d) == days);

        y = rand_range(-1000000000, 1000000000);
        m = (unsigned)rand_range(1, 12);
        d = (unsigned)rand_range(1, dim(y, m));
        int64_t y2;
        unsigned m2, d2;
        dtime_civil_from_days(dtime_days_from_civil(y, m, d), &y2, &m2, &d2);
        assert_true(y2 == y);
        assert_int_equal(m2, m);
        assert_int_equal(d2, d);
    }
}

/* ---- parsing ------------------------------------------------------------- */

static int64_t instant(const char *s)
{
    int64_t v = 0;
    int rc = dtime_parse_instant(s, &v);
    if (rc)
        fail_msg("parsing '%s': %s", s, delta_error_last());
    return v;
}

static void test_parse_known(void **state)
{
    (void)state;
    assert_true(instant("1970-01-01T00:00:00Z") == 0);
    assert_true(instant("1970-01-01") == 0);
    assert_true(instant("2024-02-29") == 19782 * US_PER_DAY);
    assert_true(instant("1969-12-31T23:59:59.999999Z") == -1);
    assert_true(instant("0001-01-01T00:00:00Z") == INT64_C(-62135596800000000));
    assert_true(instant("9999-12-31T23:59:59.999999Z") == INT64_C(253402300799999999));
    assert_true(instant("2024-01-31T10:20:30Z") == INT64_C(1706696430000000));
    assert_true(instant("2024-01-31 10:20:30") == INT64_C(1706696430000000));
    assert_true(instant("2024-01-31t10:20:30z") == INT64_C(1706696430000000));
    assert_true(instant("2024-01-31T10:20") == INT64_C(1706696400000000));
    assert_true(instant("2024-01-31T10:20:30.5") == INT64_C(1706696430500000));
    assert_true(instant("2024-01-31T10:20:30.123456789Z") == INT64_C(1706696430123456)); /* truncated */
    assert_true(instant("2024-01-31T10:20:30.000000999Z") == INT64_C(1706696430000000));
    assert_true(instant("1706700000000") == INT64_C(1706700000000000)); /* epoch millis */
    assert_true(instant("0") == 0);
    assert_true(instant("2024") == 2024000); /* all digits: epoch millis, not a year */
    assert_true(instant("-0044-03-15") == dtime_days_from_civil(-44, 3, 15) * US_PER_DAY);
    assert_true(instant("+10000-01-01") == dtime_days_from_civil(10000, 1, 1) * US_PER_DAY);

    /* Zone offsets. */
    int64_t utc = instant("2024-01-31T08:20:30Z");
    assert_true(instant("2024-01-31T10:20:30+02:00") == utc);
    assert_true(instant("2024-01-31T10:20:30+0200") == utc);
    assert_true(instant("2024-01-31T10:20:30+02") == utc);
    assert_true(instant("2024-01-31T02:50:30-0530") == utc);
    assert_true(instant("2024-01-31T08:20:30-00:00") == utc);
    assert_true(instant("2024-01-01T00:00:00+18:00") == instant("2023-12-31T06:00:00Z"));
    assert_true(instant("2024-01-01T00:00:00-18:00") == instant("2024-01-01T18:00:00Z"));

    int64_t v = 0;
    assert_int_equal(dtime_parse_local("2024-01-31 10:20:30.5", &v), 0);
    assert_true(v == INT64_C(1706696430500000));
    assert_int_equal(dtime_parse_local("2024-01-31", &v), 0);
    assert_true(v == 19753 * US_PER_DAY);

    int32_t days = 0;
    assert_int_equal(dtime_parse_date("2024-02-29", &days), 0);
    assert_int_equal(days, 19782);
    assert_int_equal(dtime_parse_date("-0001-12-31", &days), 0);
    assert_int_equal(days, -719529);
    assert_int_equal(dtime_parse_date("+10000-01-01", &days), 0);
    assert_int_equal(days, 2932897);
}

/* The ends of the int64 microsecond range parse exactly; one past them is
 * DELTA_ERANGE (the arithmetic must not overflow on the way). */
static void test_parse_limits(void **state)
{
    (void)state;
    assert_true(instant("+294247-01-10T04:00:54.775807Z") == INT64_MAX);
    assert_true(instant("+294247-01-10T05:00:54.775807+01:00") == INT64_MAX);
    assert_true(instant("-290308-12-21T19:59:05.224192Z") == INT64_MIN);
    assert_true(instant("-290308-12-21T18:59:05.224192-01:00") == INT64_MIN);

    static const char *const range[] = {
        "+294247-01-10T04:00:54.775808Z", "-290308-12-21T19:59:05.224191Z",
        "+294247-01-10T03:00:54.775808-01:00", "+300000-01-01", "-300000-01-01T00:00:00Z",
        "99999999999999999999", "9223372036854775807", "9223372036854776",
        "+9999999-12-31",
    };
    for (size_t i = 0; i < sizeof range / sizeof range[0]; i++) {
        int64_t v = 42;
        int rc = dtime_parse_instant(range[i], &v);
        if (rc != DELTA_ERANGE)
            fail_msg("'%s': rc %d (%s)", range[i], rc, delta_error_last());
        assert_true(v == 42);
        assert_error_mentions(range[i]);
    }
    /* The largest epoch millis that fits in micros. */
    assert_true(instant("9223372036854775") == INT64_C(9223372036854775000));

    int32_t d = 7;
    assert_int_equal(dtime_parse_date("+5881580-07-11", &d), 0);
    assert_int_equal(d, INT32_MAX);
    assert_int_equal(dtime_parse_date("-5877641-06-23", &d), 0);
    assert_int_equal(d, INT32_MIN);
    assert_int_equal(dtime_parse_date("+5881580-07-12", &d), DELTA_ERANGE);
    assert_int_equal(dtime_parse_date("-5877641-06-22", &d), DELTA_ERANGE);
}

static void check_error(int (*fn)(const char *, int64_t *), const char *s, const char *want)
{
    int64_t v = 99;
    int rc = fn(s, &v);
    if (rc != DELTA_EINVAL)
        fail_msg("'%s': expected EINVAL, got %d (%s)", s, rc, delta_error_last());
    assert_true(v == 99);
    if (strcmp(delta_error_last(), want) != 0)
        fail_msg("'%s':\n  got  %s\n  want %s", s, delta_error_last(), want);
}

static void test_parse_errors(void **state)
{
    (void)state;
    int (*inst)(const char *, int64_t *) = dtime_parse_instant;
    check_error(inst, "2024-13-01", "invalid timestamp '2024-13-01': month 13 out of range at position 5");
    check_error(inst, "2024-00-01", "invalid timestamp '2024-00-01': month 0 out of range at position 5");
    check_error(inst, "2023-02-29",
                "invalid timestamp '2023-02-29': day 29 out of range (month 2 of 2023 has 28 days) at position 8");
    check_error(inst, "1900-02-29",
                "invalid timestamp '1900-02-29': day 29 out of range (month 2 of 1900 has 28 days) at position 8");
    check_error(inst, "2024-04-31",
                "invalid timestamp '2024-04-31': day 31 out of range (month 4 of 2024 has 30 days) at position 8");
    check_error(inst, "2024-1-01",
                "invalid timestamp '2024-1-01': expected a digit of the month, found '-' at position 6");
    check_error(inst, "2024-01-01T25:00", "invalid timestamp '2024-01-01T25:00': hour 25 out of range at position 11");
    check_error(inst, "2024-01-01T10:60",
                "invalid timestamp '2024-01-01T10:60': minute 60 out of range at position 14");
    check_error(inst, "2024-01-01T10:20:60",
                "invalid timestamp '2024-01-01T10:20:60': second 60 out of range at position 17");
    check_error(inst, "2024-01-01T10:20:30.1234567890Z",
                "invalid timestamp '2024-01-01T10:20:30.1234567890Z': more than 9 fraction digits at position 29");
    check_error(inst, "2024-01-01T10:20:30.",
                "invalid timestamp '2024-01-01T10:20:30.': expected a fraction digit, found end of text at position 20");
    check_error(inst, "2024-01-01T",
                "invalid timestamp '2024-01-01T': expected a digit of the hour, found end of text at position 11");
    check_error(inst, "2024-01-01Z", "invalid timestamp '2024-01-01Z': expected end of text, found 'Z' at position 10");
    check_error(inst, "2024-01-01T10:20:30Zx",
                "invalid timestamp '2024-01-01T10:20:30Zx': expected end of text, found 'x' at position 20");
    check_error(inst, "2024-01-01T10:20:30+19:00",
                "invalid timestamp '2024-01-01T10:20:30+19:00': zone offset hour 19 out of range at position 20");
    check_error(inst, "2024-01-01T10:20:30+18:30",
                "invalid timestamp '2024-01-01T10:20:30+18:30': zone offset beyond 18 hours at position 23");
    check_error(inst, "2024-01-01T10:20:30+02:60",
                "invalid timestamp '2024-01-01T10:20:30+02:60': zone offset minute 60 out of range at position 23");
    check_error(inst, "2024-01-01T10:20:30+2",
                "invalid timestamp '2024-01-01T10:20:30+2': expected a digit of the zone hours, found end of text at position 21");
    check_error(inst, "", "invalid timestamp '': empty text");
    check_error(inst, "abc", "invalid timestamp 'abc': expected a digit of the year, found 'a' at position 0");
}

static void test_parse_errors_more(void **state)
{
    (void)state;
    int (*inst)(const char *, int64_t *) = dtime_parse_instant;
    int (*local)(const char *, int64_t *) = dtime_parse_local;
    check_error(inst, "-12-01-01",
                "invalid timestamp '-12-01-01': expected a digit of the year (a signed year has 4 to 7 digits), "
                "found '-' at position 3");
    check_error(inst, "+12345678-01-01",
                "invalid timestamp '+12345678-01-01': year has more than 7 digits at position 1");
    check_error(inst, "2024-01-01\n", "invalid timestamp '2024-01-01?': expected end of text, found byte 0x0a at position 10");
    check_error(local, "2024-01-31 10:20:30Z",
                "invalid timestamp '2024-01-31 10:20:30Z': a time zone is not allowed in a timestamp without time "
                "zone at position 19");
    check_error(local, "2024-01-31 10:20:30+01:00",
                "invalid timestamp '2024-01-31 10:20:30+01:00': a time zone is not allowed in a timestamp without "
                "time zone at position 19");
    check_error(local, "1706700000000",
                "invalid timestamp '1706700000000': expected '-', found '7' at position 4");

    int32_t d = 5;
    assert_int_equal(dtime_parse_date("2024-02-29T00:00", &d), DELTA_EINVAL);
    assert_string_equal(delta_error_last(), "invalid date '2024-02-29T00:00': expected end of text, found 'T' at position 10");
    assert_int_equal(dtime_parse_date("2024-02-30", &d), DELTA_EINVAL);
    assert_int_equal(dtime_parse_date("", &d), DELTA_EINVAL);
    assert_int_equal(dtime_parse_date("20240229", &d), DELTA_EINVAL);
    assert_int_equal(d, 5);

    /* Long hostile text is quoted in part only. */
    char big[3000];
    memset(big, '9', sizeof big - 1);
    big[0] = 'x';
    big[sizeof big - 1] = '\0';
    int64_t v;
    assert_int_equal(dtime_parse_instant(big, &v), DELTA_EINVAL);
    assert_true(strlen(delta_error_last()) < 300);
    assert_error_mentions("...");
    assert_int_equal(dtime_parse_instant(NULL, &v), DELTA_EINVAL);
}

/* Every prefix and random single-character mutations of valid texts:
 * never a crash, and either a clean error or a value that formats and
 * parses back to itself. */
static void test_parse_mutations(void **state)
{
    (void)state;
    static const char *const valid[] = {
        "2024-01-31T10:20:30.123456789+05:30", "2024-02-29 23:59:59.5", "-0044-03-15T12:00Z",
        "+10000-01-01T00:00:00-0100", "1706700000000",
    };
    static const char alphabet[] = "0123456789-+:.TZtz x\xff";
    char buf[64];
    for (size_t vi = 0; vi < sizeof valid / sizeof valid[0]; vi++) {
        size_t n = strlen(valid[vi]);
        for (int round = 0; round < 3000; round++) {
            memcpy(buf, valid[vi], n + 1);
            size_t len = n;
            if (round < (int)n + 1) {
                len = (size_t)round; /* prefix */
                buf[len] = '\0';
            } else {
                size_t pos = (size_t)(rng() % n);
                char c = alphabet[rng() % (sizeof alphabet - 1)];
                switch (rng() % 3) {
                case 0: /* replace */
                    buf[pos] = c;
                    break;
                case 1: /* delete */
                    memmove(buf + pos, buf + pos + 1, n - pos);
                    break;
                default: /* insert */
                    memmove(buf + pos + 1, buf + pos, n - pos + 1);
                    buf[pos] = c;
                    break;
                }
            }
            int64_t v = 0;
            int rc = dtime_parse_instant(buf, &v);
            if (rc) {
                assert_true(rc == DELTA_EINVAL || rc == DELTA_ERANGE);
                assert_int_equal(strncmp(delta_error_last(), "invalid timestamp '", 19), 0);
                continue;
            }
            dbuf out = DBUF_INIT;
            assert_int_equal(dtime_format_instant(&out, v), 0);
            int64_t back = 0;
            assert_int_equal(dtime_parse_instant(dbuf_cstr(&out), &back), 0);
            assert_true(back == v);
            dbuf_free(&out);
        }
    }
}

/* ---- formatting ---------------------------------------------------------- */

static void check_format(int (*fn)(dbuf *, int64_t), int64_t v, const char *want)
{
    dbuf b = DBUF_INIT;
    assert_int_equal(fn(&b, v), 0);
    assert_string_equal(dbuf_cstr(&b), want);
    dbuf_free(&b);
}

static void test_format(void **state)
{
    (void)state;
    int (*inst)(dbuf *, int64_t) = dtime_format_instant;
    int (*local)(dbuf *, int64_t) = dtime_format_local;
    check_format(inst, 0, "1970-01-01T00:00:00Z");
    check_format(inst, -1, "1969-12-31T23:59:59.999999Z");
    check_format(inst, 1500000, "1970-01-01T00:00:01.500Z");
    check_format(inst, 1000, "1970-01-01T00:00:00.001Z");
    check_format(inst, 120000, "1970-01-01T00:00:00.120Z");
    check_format(inst, 123456, "1970-01-01T00:00:00.123456Z");
    check_format(inst, INT64_C(1706696430000000), "2024-01-31T10:20:30Z");
    check_format(inst, INT64_C(-62135596800000000), "0001-01-01T00:00:00Z");
    check_format(inst, INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z");
    check_format(inst, INT64_C(253402300800000000), "+10000-01-01T00:00:00Z");
    check_format(inst, INT64_MAX, "+294247-01-10T04:00:54.775807Z");
    check_format(inst, INT64_MIN, "-290308-12-21T19:59:05.224192Z");
    check_format(local, 0, "1970-01-01 00:00:00");
    check_format(local, INT64_C(1706696430500000), "2024-01-31 10:20:30.500");

    static const struct {
        int32_t days;
        const char *s;
    } dates[] = {
        {0, "1970-01-01"},          {19782, "2024-02-29"},      {-719528, "0000-01-01"},
        {-719529, "-0001-12-31"},   {2932896, "9999-12-31"},    {2932897, "+10000-01-01"},
        {INT32_MAX, "+5881580-07-11"}, {INT32_MIN, "-5877641-06-23"},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        dbuf b = DBUF_INIT;
        assert_int_equal(dtime_format_date(&b, dates[i].days), 0);
        assert_string_equal(dbuf_cstr(&b), dates[i].s);
        dbuf_free(&b);
    }

    /* Appends to what is there. */
    dbuf b = DBUF_INIT;
    dbuf_puts(&b, "ts=");
    dtime_format_instant(&b, 0);
    assert_string_equal(dbuf_cstr(&b), "ts=1970-01-01T00:00:00Z");
    dbuf_free(&b);
}

static void test_format_parse_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < 100000; i++) {
        int64_t v = (int64_t)rng();
        switch (i % 4) {
        case 1: v -= v % 1000; break;    /* millisecond precision */
        case 2: v -= v % 1000000; break; /* whole seconds */
        case 3: v = rand_range(INT64_C(-62135596800000000), INT64_C(253402300799999999)); break;
        default: break;
        }
        dbuf b = DBUF_INIT;
        int64_t back = 0;
        assert_int_equal(dtime_format_instant(&b, v), 0);
        if (dtime_parse_instant(dbuf_cstr(&b), &back))
            fail_msg("'%s': %s", dbuf_cstr(&b), delta_error_last());
        assert_true(back == v);
        dbuf_reset(&b);
        assert_int_equal(dtime_format_local(&b, v), 0);
        assert_int_equal(dtime_parse_local(dbuf_cstr(&b), &back), 0);
        assert_true(back == v);
        dbuf_reset(&b);
        int32_t days = (int32_t)(uint32_t)rng(), dback = 0;
        assert_int_equal(dtime_format_date(&b, days), 0);
        assert_int_equal(dtime_parse_date(dbuf_cstr(&b), &dback), 0);
        assert_int_equal(dback, days);
        dbuf_free(&b);
    }
}

/* ---- clocks -------------------------------------------------------------- */

static void test_clocks(void **state)
{
    (void)state;
    int64_t ms = dtime_now_ms();
    int64_t us = dtime_now_us();
    assert_true(ms > INT64_C(1577836800000));  /* after 2020-01-01 */
    assert_true(ms < INT64_C(4102444800000));  /* before 2100-01-01 */
    assert_true(us / 1000 - ms >= 0 && us / 1000 - ms < 60000);
    int64_t a = dtime_mono_ns();
    int64_t b = dtime_mono_ns();
    assert_true(b >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_days),
        cmocka_unit_test(test_calendar_walk),
        cmocka_unit_test_setup(test_calendar_random_round_trip, setup_seed),
        cmocka_unit_test(test_parse_known),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_errors_more),
        cmocka_unit_test_setup(test_parse_mutations, setup_seed),
        cmocka_unit_test(test_format),
        cmocka_unit_test_setup(test_format_parse_round_trip, setup_seed),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
