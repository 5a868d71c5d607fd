/*
 * Calendar arithmetic, strict ISO-8601 parsing and formatting, clocks.
 *
 * The calendar is the proleptic Gregorian one with a year 0 (ISO 8601,
 * as Java's java.time and Spark use), computed with the "days from civil"
 * method: years are shifted to start on March 1st so the leap day is the
 * last day of the year, then split into 400-year eras of 146097 days.
 * Both directions are exact for every year whose day count fits in an
 * int64_t.
 *
 * Parsing never reads past the NUL and accepts only the forms listed in
 * dtime.h; every rejection names the text and the 0-based position of the
 * offending character. Values that parse but do not fit the result type
 * are DELTA_ERANGE. Years are four digits, or a sign and 4 to 7 digits
 * (ISO expanded years, e.g. "-0044-03-15", "+10000-01-01"), which covers
 * the whole int32 day range (about -5877641 to 5881580) and so the int64
 * microsecond range (about -290308 to 294247).
 */
#include "core/dtime.h"

#include "core/error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_SEC)
#define QUOTE_MAX 64

int64_t dtime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                        /* [0, 399] */
    int64_t mp = (int64_t)(m + 9) % 12;                 /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;  /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void dtime_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                    /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                  /* [0, 11] */
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* ------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------ */

enum parse_kind { KIND_INSTANT, KIND_LOCAL, KIND_DATE };

typedef struct parser {
    const char *s;
    size_t pos;
    enum parse_kind kind;
} parser;

static const char *kind_name(enum parse_kind k)
{
    return k == KIND_DATE ? "date" : "timestamp";
}

/* Copies at most QUOTE_MAX bytes of s for a message, non-printable bytes
 * shown as '?', with "..." when cut. */
static void quote(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    for (; s[n] && n < QUOTE_MAX && n + 4 < cap; n++) {
        unsigned char c = (unsigned char)s[n];
        dst[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (s[n]) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
}

static int fail_code(const parser *ps, int code, size_t pos, const char *fmt, ...) DELTA_PRINTF(4, 5);

static int fail_code(const parser *ps, int code, size_t pos, const char *fmt, ...)
{
    char text[QUOTE_MAX + 8];
    char detail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    quote(text, sizeof text, ps->s);
    if (pos == SIZE_MAX)
        return delta_error_set(code, "invalid %s '%s': %s", kind_name(ps->kind), text, detail);
    return delta_error_set(code, "invalid %s '%s': %s at position %zu", kind_name(ps->kind), text, detail,
                           pos);
}

#define FAIL(ps, pos, ...) fail_code((ps), DELTA_EINVAL, (pos), __VA_ARGS__)

static char peek(const parser *ps)
{
    return ps->s[ps->pos];
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reports what sits at the current position when it is not what the
 * grammar wants. */
static int unexpected(const parser *ps, const char *expected)
{
    char c = peek(ps);
    if (!c)
        return FAIL(ps, ps->pos, "expected %s, found end of text", expected);
    if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
        return FAIL(ps, ps->pos, "expected %s, found '%c'", expected, c);
    return FAIL(ps, ps->pos, "expected %s, found byte 0x%02x", expected, (unsigned char)c);
}

/* Exactly n digits. */
static int digits(parser *ps, int n, const char *field, int64_t *out)
{
    int64_t v = 0;
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(peek(ps))) {
            char what[64];
            snprintf(what, sizeof what, "a digit of the %s", field);
            return unexpected(ps, what);
        }
        v = v * 10 + (peek(ps) - '0');
        ps->pos++;
    }
    *out = v;
    return 0;
}

static int expect(parser *ps, char c)
{
    if (peek(ps) != c) {
        char what[8] = {'\'', c, '\'', '\0'};
        return unexpected(ps, what);
    }
    ps->pos++;
    return 0;
}

static int parse_year(parser *ps, int64_t *year)
{
    char sign = peek(ps);
    *year = 0;
    if (sign != '+' && sign != '-')
        return digits(ps, 4, "year", year);
    ps->pos++;
    size_t start = ps->pos;
    int64_t v = 0;
    while (is_digit(peek(ps)) && ps->pos - start < 7)
        v = v * 10 + (ps->s[ps->pos++] - '0');
    size_t n = ps->pos - start;
    if (n < 4)
        return unexpected(ps, "a digit of the year (a signed year has 4 to 7 digits)");
    if (is_digit(peek(ps)))
        return FAIL(ps, start, "year has more than 7 digits");
    *year = sign == '-' ? -v : v;
    return 0;
}

static int parse_date_part(parser *ps, int64_t *days)
{
    int64_t y, mo, d;
    int rc;
    if ((rc = parse_year(ps, &y)) || (rc = expect(ps, '-')))
        return rc;
    size_t mpos = ps->pos;
    if ((rc = digits(ps, 2, "month", &mo)))
        return rc;
    if (mo < 1 || mo > 12)
        return FAIL(ps, mpos, "month %d out of range", (int)mo);
    if ((rc = expect(ps, '-')))
        return rc;
    size_t dpos = ps->pos;
    if ((rc = digits(ps, 2, "day", &d)))
        return rc;
    unsigned dim = days_in_month(y, (unsigned)mo);
    if (d < 1 || d > (int64_t)dim)
        return FAIL(ps, dpos, "day %d out of range (month %d of %lld has %u days)", (int)d, (int)mo,
                    (long long)y, dim);
    *days = dtime_days_from_civil(y, (unsigned)mo, (unsigned)d);
    return 0;
}

/* HH:MM[:SS[.fffffffff]] into microseconds of the day. */
static int parse_time_part(parser *ps, int64_t *tod)
{
    int64_t h, mi, sec = 0, frac = 0;
    int rc;
    size_t pos = ps->pos;
    if ((rc = digits(ps, 2, "hour", &h)))
        return rc;
    if (h > 23)
        return FAIL(ps, pos, "hour %d out of range", (int)h);
    if ((rc = expect(ps, ':')))
        return rc;
    pos = ps->pos;
    if ((rc = digits(ps, 2, "minute", &mi)))
        return rc;
    if (mi > 59)
        return FAIL(ps, pos, "minute %d out of range", (int)mi);
    if (peek(ps) == ':') {
        ps->pos++;
        pos = ps->pos;
        if ((rc = digits(ps, 2, "second", &sec)))
            return rc;
        if (sec > 59)
            return FAIL(ps, pos, "second %d out of range", (int)sec);
        if (peek(ps) == '.') {
            ps->pos++;
            size_t start = ps->pos;
            int64_t scale = 100000;
            while (is_digit(peek(ps))) {
                if (ps->pos - start == 9)
                    return FAIL(ps, ps->pos, "more than 9 fraction digits");
                frac += (peek(ps) - '0') * scale; /* digits past the 6th: scale 0, truncated */
                scale /= 10;
                ps->pos++;
            }
            if (ps->pos == start)
                return unexpected(ps, "a fraction digit");
        }
    }
    *tod = ((h * 60 + mi) * 60 + sec) * US_PER_SEC + frac;
    return 0;
}

/* Z | +HH | +HHMM | +HH:MM (or '-') into an offset in microseconds east. */
static int parse_zone(parser *ps, int64_t *offset)
{
    char c = peek(ps);
    if (c == 'Z' || c == 'z') {
        ps->pos++;
        *offset = 0;
        return 0;
    }
    ps->pos++; /* '+' or '-', checked by the caller */
    int64_t h, mi = 0;
    size_t pos = ps->pos;
    int rc;
    if ((rc = digits(ps, 2, "zone hours", &h)))
        return rc;
    if (h > 18)
        return FAIL(ps, pos, "zone offset hour %d out of range", (int)h);
    if (peek(ps) == ':' || is_digit(peek(ps))) {
        if (peek(ps) == ':')
            ps->pos++;
        pos = ps->pos;
        if ((rc = digits(ps, 2, "zone minutes", &mi)))
            return rc;
        if (mi > 59)
            return FAIL(ps, pos, "zone offset minute %d out of range", (int)mi);
    }
    int64_t off = (h * 60 + mi) * 60 * US_PER_SEC;
    if (off > 18 * 3600 * US_PER_SEC)
        return FAIL(ps, pos, "zone offset beyond 18 hours");
    *offset = c == '-' ? -off : off;
    return 0;
}

/* days * US_PER_DAY + x without overflowing on the way to a result that
 * fits; false when the result does not fit. */
static bool combine(int64_t days, int64_t x, int64_t *out)
{
    int64_t q = x / US_PER_DAY, r = x % US_PER_DAY;
    if (r < 0)
        r += US_PER_DAY, q--;
    if (__builtin_add_overflow(days, q, &days))
        return false;
    if (days < 0) {
        days++;
        r -= US_PER_DAY; /* (days+1)*D lies between the result and 0 */
    }
    int64_t base, sum;
    if (__builtin_mul_overflow(days, US_PER_DAY, &base) || __builtin_add_overflow(base, r, &sum))
        return false;
    *out = sum;
    return true;
}

static int parse_epoch_millis(parser *ps, int64_t *out)
{
    int64_t ms = 0;
    for (const char *p = ps->s; *p; p++) {
        int dgt = *p - '0';
        if (ms > (INT64_MAX - dgt) / 10)
            return fail_code(ps, DELTA_ERANGE, SIZE_MAX, "epoch milliseconds out of range");
        ms = ms * 10 + dgt;
    }
    if (ms > INT64_MAX / 1000)
        return fail_code(ps, DELTA_ERANGE, SIZE_MAX, "epoch milliseconds out of the microsecond range");
    *out = ms * 1000;
    return 0;
}

static int parse_timestamp(const char *s, enum parse_kind kind, int64_t *out)
{
    parser ps = {s ? s : "", 0, kind};
    if (!s || !*s)
        return FAIL(&ps, SIZE_MAX, "empty text");
    if (kind == KIND_INSTANT) {
        size_t n = strspn(s, "0123456789");
        if (!s[n])
            return parse_epoch_millis(&ps, out);
    }

    int64_t days, tod = 0, offset = 0;
    int rc = parse_date_part(&ps, &days);
    if (rc)
        return rc;
    char c = peek(&ps);
    if (c == 'T' || c == 't' || c == ' ') {
        ps.pos++;
        if ((rc = parse_time_part(&ps, &tod)))
            return rc;
        c = peek(&ps);
        if (c == 'Z' || c == 'z' || c == '+' || c == '-') {
            if (kind == KIND_LOCAL)
                return FAIL(&ps, ps.pos, "a time zone is not allowed in a timestamp without time zone");
            if ((rc = parse_zone(&ps, &offset)))
                return rc;
        }
    }
    if (peek(&ps))
        return unexpected(&ps, "end of text");
    if (!combine(days, tod - offset, out))
        return fail_code(&ps, DELTA_ERANGE, SIZE_MAX, "out of the int64 microsecond range");
    return 0;
}

int dtime_parse_instant(const char *s, int64_t *out_micros)
{
    return parse_timestamp(s, KIND_INSTANT, out_micros);
}

int dtime_parse_local(const char *s, int64_t *out_micros)
{
    return parse_timestamp(s, KIND_LOCAL, out_micros);
}

int dtime_parse_date(const char *s, int32_t *out_days)
{
    parser ps = {s ? s : "", 0, KIND_DATE};
    if (!s || !*s)
        return FAIL(&ps, SIZE_MAX, "empty text");
    int64_t days;
    int rc = parse_date_part(&ps, &days);
    if (rc)
        return rc;
    if (peek(&ps))
        return unexpected(&ps, "end of text");
    if (days < INT32_MIN || days > INT32_MAX)
        return fail_code(&ps, DELTA_ERANGE, SIZE_MAX, "out of the int32 day range");
    *out_days = (int32_t)days;
    return 0;
}

/* ------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------ */

static void format_ymd(dbuf *out, int64_t days)
{
    int64_t y;
    unsigned m, d;
    dtime_civil_from_days(days, &y, &m, &d);
    if (y > 9999)
        dbuf_printf(out, "+%lld", (long long)y);
    else if (y < 0)
        dbuf_printf(out, "-%04lld", -(long long)y);
    else
        dbuf_printf(out, "%04lld", (long long)y);
    dbuf_printf(out, "-%02u-%02u", m, d);
}

static int format_timestamp(dbuf *out, int64_t micros, char sep, bool zulu)
{
    int64_t days = micros / US_PER_DAY, rem = micros % US_PER_DAY;
    if (rem < 0)
        rem += US_PER_DAY, days--;
    format_ymd(out, days);
    int64_t secs = rem / US_PER_SEC, us = rem % US_PER_SEC;
    dbuf_printf(out, "%c%02d:%02d:%02d", sep, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    if (us % 1000 == 0 && us)
        dbuf_printf(out, ".%03d", (int)(us / 1000));
    else if (us)
        dbuf_printf(out, ".%06d", (int)us);
    if (zulu)
        dbuf_putc(out, 'Z');
    return out->err;
}

int dtime_format_instant(dbuf *out, int64_t micros)
{
    return format_timestamp(out, micros, 'T', true);
}

int dtime_format_local(dbuf *out, int64_t micros)
{
    return format_timestamp(out, micros, ' ', false);
}

int dtime_format_date(dbuf *out, int64_t days)
{
    format_ymd(out, days);
    return out->err;
}

/* ------------------------------------------------------------------------
 * Clocks
 * ------------------------------------------------------------------------ */

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t dtime_now_ms(void)
{
    return clock_us(CLOCK_REALTIME) / 1000;
}

int64_t dtime_now_us(void)
{
    return clock_us(CLOCK_REALTIME);
}

int64_t dtime_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
