/*
 * Cron expressions (src/ops/cron.c): parsing of the five fields (lists,
 * ranges, steps, names, shorthands), refusal of malformed ones with a
 * message naming the field, and the next firing time, checked on known
 * dates and, for seeded random expressions, against a minute-by-minute
 * scan using the C library's calendar.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <delta/maintenance.h>

#include "core/error.h"
#include "ops/cron.h"

#define MIN_MS INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
#define T2030 INT64_C(1893456000000) /* 2030-01-01T00:00:00Z, a Tuesday */

static int64_t at(int y, int mo, int d, int h, int mi)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return (int64_t)timegm(&tm) * 1000;
}

static int64_t next_of(const char *expr, int64_t after)
{
    dops_cron c;
    int rc = dops_cron_parse(&c, expr);
    if (rc)
        fail_msg("%s: %s", expr, delta_error_last());
    return dops_cron_next(&c, after);
}

static void test_known_times(void **state)
{
    (void)state;
    assert_int_equal(at(2030, 1, 1, 0, 0), T2030);
    /* every 15 minutes: strictly after, on the minute */
    assert_int_equal(next_of("*/15 * * * *", T2030 + 7 * MIN_MS), T2030 + 15 * MIN_MS);
    assert_int_equal(next_of("*/15 * * * *", T2030 + 15 * MIN_MS), T2030 + 30 * MIN_MS);
    assert_int_equal(next_of("*/15 * * * *", T2030 + 15 * MIN_MS - 1), T2030 + 15 * MIN_MS);
    /* daily at 02:00 */
    assert_int_equal(next_of("0 2 * * *", at(2030, 1, 1, 5, 0)), at(2030, 1, 2, 2, 0));
    assert_int_equal(next_of("0 2 * * *", at(2030, 1, 1, 1, 59)), at(2030, 1, 1, 2, 0));
    /* weekly, Sunday 03:00: the 6th of January 2030 */
    assert_int_equal(next_of("0 3 * * 0", T2030), at(2030, 1, 6, 3, 0));
    assert_int_equal(next_of("0 3 * * 7", T2030), at(2030, 1, 6, 3, 0));
    assert_int_equal(next_of("0 3 * * SUN", T2030), at(2030, 1, 6, 3, 0));
    /* lists, ranges and steps */
    assert_int_equal(next_of("5,10-12,20-40/10 * * * *", T2030), T2030 + 5 * MIN_MS);
    assert_int_equal(next_of("5,10-12,20-40/10 * * * *", T2030 + 10 * MIN_MS), T2030 + 11 * MIN_MS);
    assert_int_equal(next_of("5,10-12,20-40/10 * * * *", T2030 + 12 * MIN_MS), T2030 + 20 * MIN_MS);
    assert_int_equal(next_of("5,10-12,20-40/10 * * * *", T2030 + 40 * MIN_MS),
                     T2030 + HOUR_MS + 5 * MIN_MS);
    assert_int_equal(next_of("30/15 * * * *", T2030), T2030 + 30 * MIN_MS);
    assert_int_equal(next_of("30/15 * * * *", T2030 + 45 * MIN_MS), T2030 + HOUR_MS + 30 * MIN_MS);
    /* names: weekdays of July only */
    assert_int_equal(next_of("0 9 * jul Mon-Fri", T2030), at(2030, 7, 1, 9, 0));
    /* month boundary and year end */
    assert_int_equal(next_of("0 0 1 * *", at(2030, 1, 31, 23, 0)), at(2030, 2, 1, 0, 0));
    assert_int_equal(next_of("59 23 31 12 *", T2030), at(2030, 12, 31, 23, 59));
    /* 29 February */
    assert_int_equal(next_of("0 0 29 2 *", T2030), at(2032, 2, 29, 0, 0));
    /* day of month and day of week both restricted: either matches */
    assert_int_equal(next_of("0 0 13 * 5", T2030), at(2030, 1, 4, 0, 0)); /* Friday 4th */
    assert_int_equal(next_of("0 0 13 * 5", at(2030, 1, 11, 0, 0)), at(2030, 1, 13, 0, 0));
    /* a restricted day of month with '*' day of week: only those days */
    assert_int_equal(next_of("0 0 13 * *", T2030), at(2030, 1, 13, 0, 0));
    /* shorthands */
    assert_int_equal(next_of("@daily", T2030), T2030 + DAY_MS);
    assert_int_equal(next_of("@hourly", T2030), T2030 + HOUR_MS);
    assert_int_equal(next_of("@weekly", T2030), at(2030, 1, 6, 0, 0));
    assert_int_equal(next_of("@monthly", T2030), at(2030, 2, 1, 0, 0));
    assert_int_equal(next_of("@yearly", T2030), at(2031, 1, 1, 0, 0));
    /* before 1970 too */
    assert_int_equal(next_of("0 0 * * *", -1), 0);
    assert_int_equal(next_of("0 12 * * *", -DAY_MS), -DAY_MS + 12 * HOUR_MS);

    /* the public helper */
    int64_t out = 0;
    assert_int_equal(delta_maintenance_cron_next("0 2 * * *", T2030, &out), 0);
    assert_int_equal(out, T2030 + 2 * HOUR_MS);
    assert_int_equal(delta_maintenance_cron_next("0 2 * *", T2030, &out), DELTA_EINVAL);
}

static void expect_bad(const char *expr, const char *fragment)
{
    dops_cron c;
    int rc = dops_cron_parse(&c, expr);
    if (rc != DELTA_EINVAL)
        fail_msg("'%s' was accepted", expr);
    if (!strstr(delta_error_last(), fragment))
        fail_msg("'%s': message '%s' does not mention '%s'", expr, delta_error_last(), fragment);
}

static void test_refused(void **state)
{
    (void)state;
    expect_bad("", "0 fields");
    expect_bad("* * * *", "4 fields");
    expect_bad("* * * * * *", "more than 5");
    expect_bad("60 * * * *", "minute field");
    expect_bad("* 24 * * *", "hour field");
    expect_bad("* * 0 * *", "day of month field");
    expect_bad("* * 32 * *", "out of range");
    expect_bad("* * * 13 *", "month field");
    expect_bad("* * * * 8", "day of week field");
    expect_bad("*/0 * * * *", "step 0");
    expect_bad("5-1 * * * *", "reversed");
    expect_bad("a * * * *", "minute field");
    expect_bad("1,,2 * * * *", "minute field");
    expect_bad("1- * * * *", "minute field");
    expect_bad("* * * foo *", "month field");
    expect_bad("*/ * * * *", "minute field");
    expect_bad("0 0 30 2 *", "never fires");
    expect_bad("0 0 31 4,6,9,11 *", "never fires");
    expect_bad("@often", "unknown shorthand");
}

/* ---- seeded random expressions against a brute-force scan ---------------- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33) % n;
}

/* A random field: a star, a star with a step, N, N-M, N-M/S or a list of those. */
static void rand_field(char *out, size_t cap, int lo, int hi)
{
    size_t len = 0;
    int items = 1 + (int)rnd(3);
    if (rnd(3) == 0) {
        snprintf(out, cap, "%s", rnd(2) ? "*" : "*/2");
        if (out[1] == '/')
            snprintf(out, cap, "*/%d", 1 + (int)rnd((uint32_t)(hi - lo + 1)));
        return;
    }
    for (int i = 0; i < items; i++) {
        int a = lo + (int)rnd((uint32_t)(hi - lo + 1));
        int b = a + (int)rnd((uint32_t)(hi - a + 1));
        int kind = (int)rnd(3);
        len += (size_t)snprintf(out + len, cap - len, "%s", i ? "," : "");
        if (kind == 0)
            len += (size_t)snprintf(out + len, cap - len, "%d", a);
        else if (kind == 1)
            len += (size_t)snprintf(out + len, cap - len, "%d-%d", a, b);
        else
            len += (size_t)snprintf(out + len, cap - len, "%d-%d/%d", a, b, 1 + (int)rnd(5));
    }
}

static bool in_field(const char *f, int v, int lo, int hi)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", f);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        int a = lo, b = hi, s = 1;
        char *slash = strchr(item, '/');
        if (slash) {
            s = atoi(slash + 1);
            *slash = '\0';
        }
        if (strcmp(item, "*") != 0) {
            char *dash = strchr(item, '-');
            a = atoi(item);
            b = dash ? atoi(dash + 1) : a;
        }
        for (int x = a; x <= b; x += s)
            if (x == v || (hi == 7 && x == 7 && v == 0))
                return true;
    }
    return false;
}

static void test_random_against_scan(void **state)
{
    (void)state;
    rng_state = 20301;
    for (int n = 0; n < 60; n++) {
        char f[5][128];
        rand_field(f[0], sizeof f[0], 0, 59);
        rand_field(f[1], sizeof f[1], 0, 23);
        rand_field(f[2], sizeof f[2], 1, 28);
        snprintf(f[3], sizeof f[3], "*");
        rand_field(f[4], sizeof f[4], 0, 6);
        char expr[700];
        snprintf(expr, sizeof expr, "%s %s %s %s %s", f[0], f[1], f[2], f[3], f[4]);
        int64_t start =
            T2030 + (int64_t)rnd(400) * DAY_MS + (int64_t)rnd(1440) * MIN_MS + (int64_t)rnd(60000);
        int64_t got = next_of(expr, start);
        /* scan minute by minute for up to 40 days */
        int64_t want = -1;
        int64_t first = (start / MIN_MS + 1) * MIN_MS;
        bool mstar = f[2][0] == '*', wstar = f[4][0] == '*';
        for (int64_t t = first; t < first + 40 * DAY_MS && want < 0; t += MIN_MS) {
            time_t s = (time_t)(t / 1000);
            struct tm tm;
            gmtime_r(&s, &tm);
            if (!in_field(f[0], tm.tm_min, 0, 59) || !in_field(f[1], tm.tm_hour, 0, 23))
                continue;
            bool md = in_field(f[2], tm.tm_mday, 1, 31), wd = in_field(f[4], tm.tm_wday, 0, 7);
            bool day = (mstar || wstar) ? (md && wd) : (md || wd);
            if (day)
                want = t;
        }
        if (want < 0)
            assert_true(got >= first + 40 * DAY_MS);
        else if (got != want)
            fail_msg("'%s' after %lld: got %lld, scan found %lld", expr, (long long)start,
                     (long long)got, (long long)want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_times),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_random_against_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
