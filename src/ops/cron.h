/*
 * Cron expressions for the maintenance schedule (delta/maintenance.h).
 *
 * The standard five fields "minute hour day-of-month month day-of-week",
 * each a comma-separated list of items; an item is '*', a number N, a
 * range N-M, or one of those followed by "/STEP" (every STEP-th value;
 * "N/STEP" runs from N to the field's maximum). Months may be written
 * JAN..DEC and days of the week SUN..SAT (any case); day of week 0 and 7
 * are both Sunday. The shorthands @hourly, @daily (= @midnight), @weekly,
 * @monthly, @yearly (= @annually) are accepted. Times are UTC.
 *
 * As in Vixie cron (the cron of most Linux systems): when both the day of
 * month and the day of week are restricted (the field does not start with
 * '*'), a day matches when EITHER matches; otherwise both must.
 *
 * Invariant: a parsed expression fires at least once within
 * DOPS_CRON_HORIZON_DAYS of any time (dops_cron_parse refuses one that
 * never does, such as "0 0 30 2 *"), so dops_cron_next always finds a
 * time for a valid expression.
 */
#ifndef DELTA_OPS_CRON_H
#define DELTA_OPS_CRON_H

#include <stdbool.h>
#include <stdint.h>

/* How far ahead dops_cron_next searches: 28 years (the day-of-week cycle
 * of the Gregorian calendar within a century, so "29 Feb on a Monday" is
 * found). */
#define DOPS_CRON_HORIZON_DAYS (28 * 366 + 1)

typedef struct dops_cron {
    uint64_t minutes; /* bit m: minute m (0-59) */
    uint32_t hours;   /* bit h: hour h (0-23) */
    uint32_t mdays;   /* bit d: day of month d (1-31) */
    uint32_t months;  /* bit m: month m (1-12) */
    uint32_t wdays;   /* bit w: weekday w (0 = Sunday .. 6) */
    bool mday_star;   /* the day-of-month field starts with '*' */
    bool wday_star;   /* the day-of-week field starts with '*' */
} dops_cron;

/* Parses `text`. 0, or DELTA_EINVAL with a message naming the expression,
 * the field and what is wrong (a value out of range, a step of 0, a
 * reversed range, a wrong number of fields, an expression that never
 * fires). */
int dops_cron_parse(dops_cron *out, const char *text);

/* The first time strictly after `after_ms` (epoch milliseconds) at which
 * the expression fires: a whole minute, in epoch milliseconds; -1 when it
 * does not fire within DOPS_CRON_HORIZON_DAYS. */
int64_t dops_cron_next(const dops_cron *c, int64_t after_ms);

#endif
