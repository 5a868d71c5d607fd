/*
 * String helpers: comparisons, trimming, splitting, strict number parsing
 * and RFC 3986 percent-encoding.
 *
 * Parsing is strict on purpose: a number is the whole string or it is an
 * error, never a prefix. Nothing here depends on the process locale (the
 * decimal point is always '.'), and no function reads past the terminating
 * NUL of its input. Error messages quote the offending text, cut to a
 * bounded length so hostile input cannot flood the message.
 */
#include "core/str.h"

#include "core/alloc.h"
#include "core/error.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Longest quoted input in an error message. */
#define QUOTE_MAX 64

/* printf arguments quoting s: "%.*s%s" with an ellipsis when cut. */
#define QUOTE_ARGS(s) (int)strnlen((s), QUOTE_MAX), (s), (strnlen((s), QUOTE_MAX + 1) > QUOTE_MAX ? "..." : "")

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static unsigned char to_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

bool dstr_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

bool dstr_ieq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    for (;; x++, y++) {
        if (to_lower(*x) != to_lower(*y))
            return false;
        if (!*x)
            return true;
    }
}

bool dstr_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool dstr_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return m <= n && memcmp(s + n - m, suffix, m) == 0;
}

char *dstr_trim(char *s)
{
    size_t start = 0, end = strlen(s);
    while (start < end && is_space((unsigned char)s[start]))
        start++;
    while (end > start && is_space((unsigned char)s[end - 1]))
        end--;
    if (start)
        memmove(s, s + start, end - start);
    s[end - start] = '\0';
    return s;
}

void dstr_list_free(char **list)
{
    if (!list)
        return;
    for (char **p = list; *p; p++)
        delta_free(*p);
    delta_free(list);
}

int dstr_split(char ***out, size_t *count, const char *s, char sep)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        if (*p == sep)
            n++;

    char **list = delta_calloc(n + 1, sizeof *list);
    if (!list)
        return DELTA_ENOMEM;
    const char *field = s;
    for (size_t i = 0; i < n; i++) {
        const char *end = strchr(field, sep);
        size_t len = end ? (size_t)(end - field) : strlen(field);
        list[i] = delta_strndup(field, len);
        if (!list[i]) {
            dstr_list_free(list);
            return DELTA_ENOMEM;
        }
        field += len + 1;
    }
    *out = list;
    if (count)
        *count = n;
    return 0;
}

/* Parses an optional sign and the digits of s as a magnitude <= limit.
 * Returns 0, DELTA_EINVAL or DELTA_ERANGE (message names `what` and s). */
static int parse_magnitude(const char *s, const char *what, uint64_t limit_pos,
                           uint64_t limit_neg, bool *neg, uint64_t *mag)
{
    *neg = false;
    *mag = 0;
    if (!s)
        return delta_error_set(DELTA_EINVAL, "invalid %s: missing text", what);
    const char *p = s;
    if (*p == '+' || *p == '-')
        *neg = *p++ == '-';
    if (!is_digit((unsigned char)*p))
        return delta_error_set(DELTA_EINVAL, "invalid %s '%.*s%s': expected a digit at position %zu",
                               what, QUOTE_ARGS(s), (size_t)(p - s));
    uint64_t limit = *neg ? limit_neg : limit_pos;
    uint64_t v = 0;
    bool overflow = false;
    for (; is_digit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > limit || v > (limit - d) / 10)
            overflow = true; /* keep scanning: junk after the digits is EINVAL */
        else
            v = v * 10 + d;
    }
    if (*p)
        return delta_error_set(DELTA_EINVAL, "invalid %s '%.*s%s': unexpected character at position %zu",
                               what, QUOTE_ARGS(s), (size_t)(p - s));
    if (overflow)
        return delta_error_set(DELTA_ERANGE, "%s '%.*s%s' out of range", what, QUOTE_ARGS(s));
    *mag = v;
    return 0;
}

int dstr_parse_i64(const char *s, int64_t *out)
{
    bool neg;
    uint64_t mag;
    int rc = parse_magnitude(s, "integer", (uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1, &neg, &mag);
    if (rc)
        return rc;
    /* Negation in unsigned arithmetic, then a well-defined conversion. */
    if (neg)
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return 0;
}

int dstr_parse_u64(const char *s, uint64_t *out)
{
    bool neg;
    uint64_t mag;
    /* "-0" is zero; any other negative value is out of range. */
    int rc = parse_magnitude(s, "unsigned integer", UINT64_MAX, 0, &neg, &mag);
    if (rc)
        return rc;
    *out = mag;
    return 0;
}

/* A C-locale handle so '.' is the decimal point whatever setlocale() the
 * host program made. Created once; kept for the life of the process. */
static locale_t c_numeric_locale(void)
{
    static _Atomic(locale_t) cached;
    locale_t loc = atomic_load(&cached);
    if (loc)
        return loc;
    loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!loc)
        return (locale_t)0;
    locale_t expected = (locale_t)0;
    if (!atomic_compare_exchange_strong(&cached, &expected, loc)) {
        freelocale(loc);
        loc = expected;
    }
    return loc;
}

/* Case-insensitive match of the whole of s against word. */
static bool word_is(const char *s, const char *word)
{
    return dstr_ieq(s, word);
}

int dstr_parse_double(const char *s, double *out)
{
    if (!s)
        return delta_error_set(DELTA_EINVAL, "invalid number: missing text");
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';

    /* Special values, as Spark and JSON writers spell them. */
    if (word_is(p, "nan")) {
        *out = neg ? -NAN : NAN;
        return 0;
    }
    if (word_is(p, "inf") || word_is(p, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }

    /* Grammar check: digits [. digits] [e [sign] digits], at least one
     * mantissa digit. strtod alone would accept hex, whitespace, "nan(...)". */
    size_t mant = 0;
    while (is_digit((unsigned char)*p))
        p++, mant++;
    if (*p == '.') {
        p++;
        while (is_digit((unsigned char)*p))
            p++, mant++;
    }
    if (!mant)
        return delta_error_set(DELTA_EINVAL, "invalid number '%.*s%s': expected a digit at position %zu",
                               QUOTE_ARGS(s), (size_t)(p - s));
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!is_digit((unsigned char)*p))
            return delta_error_set(DELTA_EINVAL,
                                   "invalid number '%.*s%s': expected an exponent digit at position %zu",
                                   QUOTE_ARGS(s), (size_t)(p - s));
        while (is_digit((unsigned char)*p))
            p++;
    }
    if (*p)
        return delta_error_set(DELTA_EINVAL, "invalid number '%.*s%s': unexpected character at position %zu",
                               QUOTE_ARGS(s), (size_t)(p - s));

    locale_t loc = c_numeric_locale();
    char *end = NULL;
    errno = 0;
    double v = loc ? strtod_l(s, &end, loc) : strtod(s, &end);
    if (end != p)
        return delta_error_set(DELTA_EINVAL, "invalid number '%.*s%s'", QUOTE_ARGS(s));
    /* Overflow is an error; underflow rounds to the nearest (sub)normal. */
    if (errno == ERANGE && isinf(v))
        return delta_error_set(DELTA_ERANGE, "number '%.*s%s' out of range for a double", QUOTE_ARGS(s));
    *out = v;
    return 0;
}

int dstr_parse_bool(const char *s, bool *out)
{
    if (!s)
        return delta_error_set(DELTA_EINVAL, "invalid boolean: missing text");
    if (dstr_ieq(s, "true")) {
        *out = true;
        return 0;
    }
    if (dstr_ieq(s, "false")) {
        *out = false;
        return 0;
    }
    return delta_error_set(DELTA_EINVAL, "invalid boolean '%.*s%s': expected true or false", QUOTE_ARGS(s));
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = to_lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int dstr_percent_decode(dbuf *out, const char *s)
{
    if (out->err)
        return out->err;
    size_t start_len = out->len;
    const char *run = s; /* start of the literal run not yet copied */
    const char *p = s;
    for (; *p; p++) {
        if (*p != '%')
            continue;
        int hi = hex_value((unsigned char)p[1]);
        int lo = hi < 0 ? -1 : hex_value((unsigned char)p[2]);
        if (hi < 0 || lo < 0) {
            out->len = start_len;
            if (out->data)
                out->data[out->len] = '\0';
            return delta_error_set(DELTA_EINVAL, "invalid percent-encoding in '%.*s%s' at position %zu",
                                   QUOTE_ARGS(s), (size_t)(p - s));
        }
        if (hi == 0 && lo == 0) {
            out->len = start_len;
            if (out->data)
                out->data[out->len] = '\0';
            return delta_error_set(DELTA_EINVAL, "invalid percent-encoding in '%.*s%s': %%00 at position %zu",
                                   QUOTE_ARGS(s), (size_t)(p - s));
        }
        dbuf_append(out, run, (size_t)(p - run));
        dbuf_putc(out, (uint8_t)(hi << 4 | lo));
        p += 2;
        run = p + 1;
    }
    dbuf_append(out, run, (size_t)(p - run));
    return out->err;
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

int dstr_percent_encode(dbuf *out, const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *run = s;
    const char *p = s;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (is_unreserved(c) || (keep && strchr(keep, c)))
            continue;
        dbuf_append(out, run, (size_t)(p - run));
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        dbuf_append(out, esc, sizeof esc);
        run = p + 1;
    }
    dbuf_append(out, run, (size_t)(p - run));
    return out->err;
}

int dstr_json_quote(dbuf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    dbuf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        dbuf_append(out, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': dbuf_puts(out, "\\\""); break;
        case '\\': dbuf_puts(out, "\\\\"); break;
        case '\n': dbuf_puts(out, "\\n"); break;
        case '\r': dbuf_puts(out, "\\r"); break;
        case '\t': dbuf_puts(out, "\\t"); break;
        case '\b': dbuf_puts(out, "\\b"); break;
        case '\f': dbuf_puts(out, "\\f"); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            dbuf_append(out, esc, sizeof esc);
        }
        }
    }
    dbuf_append(out, s + run, len - run);
    dbuf_putc(out, '"');
    return out->err;
}
