/*
 * Cron expressions: parsing into bit sets and finding the next time one
 * fires (rules in cron.h). The search walks days forward from the start
 * (month, then day checks), and within the first matching day the hours
 * and minutes, so it costs at most DOPS_CRON_HORIZON_DAYS day checks.
 */
#include "ops/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/dtime.h"
#include "core/error.h"

#define MINUTE_MS INT64_C(60000)
#define DAY_MIN INT64_C(1440)

typedef struct field_def {
    const char *name;
    int lo, hi;
    const char *const *names; /* names for lo.., or NULL */
} field_def;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const wday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const field_def fields[5] = {
    {"minute", 0, 59, NULL},           {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL},     {"month", 1, 12, month_names},
    {"day of week", 0, 7, wday_names},
};

/* A number or (for fields with names) a three-letter name at *p. */
static int parse_value(const char **p, const field_def *f, int *out)
{
    const char *s = *p;
    if (isdigit((unsigned char)*s)) {
        int v = 0;
        while (isdigit((unsigned char)*s)) {
            if (v > 1000)
                return -1;
            v = v * 10 + (*s++ - '0');
        }
        *p = s;
        *out = v;
        return 0;
    }
    if (f->names && isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
        isalpha((unsigned char)s[2]) && !isalpha((unsigned char)s[3])) {
        int count = f->names == month_names ? 12 : 7;
        for (int i = 0; i < count; i++) {
            if (strncasecmp(s, f->names[i], 3) == 0) {
                *p = s + 3;
                *out = f->names == month_names ? i + 1 : i;
                return 0;
            }
        }
    }
    return -1;
}

/* Parses one field (text of length n) into a bit set. */
static int parse_field(const char *expr, const char *text, size_t n, const field_def *f,
                       uint64_t *bits, bool *star)
{
    char buf[128];
    if (n == 0 || n >= sizeof buf)
        return delta_error_set(DELTA_EINVAL, "cron '%s': %s field is %s", expr, f->name,
                               n ? "too long" : "empty");
    memcpy(buf, text, n);
    buf[n] = '\0';
    *bits = 0;
    *star = buf[0] == '*';
    const char *p = buf;
    for (;;) {
        int lo, hi, step = 1;
        const char *item = p;
        bool range_given = false;
        if (*p == '*') {
            lo = f->lo;
            hi = f->hi == 7 ? 6 : f->hi;
            p++;
        } else {
            if (parse_value(&p, f, &lo))
                goto bad;
            hi = lo;
            if (*p == '-') {
                p++;
                if (parse_value(&p, f, &hi))
                    goto bad;
                range_given = true;
            }
        }
        if (*p == '/') {
            p++;
            if (!isdigit((unsigned char)*p))
                goto bad;
            step = 0;
            while (isdigit((unsigned char)*p)) {
                if (step > 1000)
                    goto bad;
                step = step * 10 + (*p++ - '0');
            }
            if (step == 0)
                return delta_error_set(DELTA_EINVAL, "cron '%s': %s field: step 0 in '%s'", expr,
                                       f->name, buf);
            if (item[0] != '*' && !range_given)
                hi = f->hi == 7 ? 6 : f->hi;
        }
        if (lo < f->lo || lo > f->hi || hi < f->lo || hi > f->hi)
            return delta_error_set(DELTA_EINVAL, "cron '%s': %s field: '%s' is out of range %d-%d",
                                   expr, f->name, buf, f->lo, f->hi);
        if (hi < lo)
            return delta_error_set(DELTA_EINVAL, "cron '%s': %s field: range %d-%d is reversed",
                                   expr, f->name, lo, hi);
        for (int v = lo; v <= hi; v += step)
            *bits |= UINT64_C(1) << (f->hi == 7 && v == 7 ? 0 : v);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\0')
            return 0;
        goto bad;
    }
bad:
    return delta_error_set(DELTA_EINVAL,
                           "cron '%s': %s field '%s' is not a list of values, ranges and steps "
                           "(e.g. '*', '5', '1-5', '*/15', '0,30')",
                           expr, f->name, buf);
}

int dops_cron_parse(dops_cron *out, const char *text)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return delta_error_set(DELTA_EINVAL, "cron: no expression");
    static const struct {
        const char *name, *expr;
    } macros[] = {{"@hourly", "0 * * * *"},  {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
                  {"@weekly", "0 0 * * 0"},  {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
                  {"@annually", "0 0 1 1 *"}};
    const char *src = text;
    while (*src == ' ' || *src == '\t')
        src++;
    if (*src == '@') {
        const char *found = NULL;
        for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
            if (strcasecmp(src, macros[i].name) == 0)
                found = macros[i].expr;
        if (!found)
            return delta_error_set(DELTA_EINVAL,
                                   "cron '%s': unknown shorthand (@hourly, @daily, @weekly, "
                                   "@monthly, @yearly)",
                                   text);
        src = found;
    }
    const char *starts[6];
    size_t lens[6];
    size_t nf = 0;
    const char *p = src;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (nf == 5)
            return delta_error_set(DELTA_EINVAL,
                                   "cron '%s': more than 5 fields (minute hour day-of-month "
                                   "month day-of-week)",
                                   text);
        starts[nf] = s;
        lens[nf++] = (size_t)(p - s);
    }
    if (nf != 5)
        return delta_error_set(DELTA_EINVAL,
                               "cron '%s': %zu field%s, expected 5 (minute hour day-of-month "
                               "month day-of-week)",
                               text, nf, nf == 1 ? "" : "s");
    uint64_t bits[5];
    bool star[5];
    for (size_t i = 0; i < 5; i++) {
        int rc = parse_field(text, starts[i], lens[i], &fields[i], &bits[i], &star[i]);
        if (rc)
            return rc;
    }
    out->minutes = bits[0];
    out->hours = (uint32_t)bits[1];
    out->mdays = (uint32_t)bits[2];
    out->months = (uint32_t)bits[3];
    out->wdays = (uint32_t)bits[4];
    out->mday_star = star[2];
    out->wday_star = star[4];
    if (dops_cron_next(out, 0) < 0)
        return delta_error_set(DELTA_EINVAL, "cron '%s' never fires (no such day)", text);
    return 0;
}

static bool day_matches(const dops_cron *c, int64_t days)
{
    int64_t y;
    unsigned m, d;
    dtime_civil_from_days(days, &y, &m, &d);
    if (!(c->months & (1u << m)))
        return false;
    int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    if (w < 0)
        w += 7;
    bool md = (c->mdays >> d) & 1u;
    bool wd = (c->wdays >> w) & 1u;
    if (c->mday_star || c->wday_star)
        return md && wd;
    return md || wd;
}

int64_t dops_cron_next(const dops_cron *c, int64_t after_ms)
{
    /* the first whole minute strictly after after_ms */
    int64_t minute =
        after_ms >= 0 ? after_ms / MINUTE_MS : -((-after_ms + MINUTE_MS - 1) / MINUTE_MS);
    minute += 1;
    int64_t day = minute >= 0 ? minute / DAY_MIN : -((-minute + DAY_MIN - 1) / DAY_MIN);
    int64_t mod = minute - day * DAY_MIN;
    for (int64_t i = 0; i <= DOPS_CRON_HORIZON_DAYS; i++, day++, mod = 0) {
        if (!day_matches(c, day))
            continue;
        for (int64_t t = mod; t < DAY_MIN; t++) {
            int64_t h = t / 60, mi = t % 60;
            if (!((c->hours >> h) & 1u)) {
                t = h * 60 + 59; /* next hour */
                continue;
            }
            if ((c->minutes >> mi) & 1u)
                return (day * DAY_MIN + t) * MINUTE_MS;
        }
    }
    return -1;
}
