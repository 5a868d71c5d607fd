/*
 * Time parsing and formatting. Delta stores instants as epoch milliseconds
 * (commit timestamps) or microseconds (timestamp columns), dates as days
 * since 1970-01-01. Users type ISO-8601 or epoch milliseconds.
 *
 * Accepted by dtime_parse_instant (all UTC unless an offset is given):
 *   2024-01-31                      midnight UTC
 *   2024-01-31T10:20:30[.ffffff]    'T' or ' ' separator, 0-9 fraction digits
 *   ...Z | ...+02:00 | ...-0530     zone designators
 *   1706700000000                   epoch milliseconds (all digits)
 * Also: 'T'/'t', 'Z'/'z', HH:MM without seconds, zone +HH, and years as a
 * sign and 4 to 7 digits ("-0044-03-15", "+10000-01-01"); the calendar is
 * proleptic Gregorian with a year 0. More than 6 fraction digits are
 * truncated to microseconds.
 * Malformed text is DELTA_EINVAL naming the text and the position, e.g.
 *   invalid timestamp '2024-13-01': month 13 out of range at position 5
 * Well-formed values outside the result type are DELTA_ERANGE.
 */
#ifndef DELTA_CORE_DTIME_H
#define DELTA_CORE_DTIME_H

#include <stdint.h>

#include "core/buf.h"

/* Days since epoch for a proleptic Gregorian civil date (any year whose
 * day count fits in int64, |y| < 2.5e16; m in 1..12, d in 1..31). */
int64_t dtime_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Inverse of dtime_days_from_civil (|days| < 9.2e18 - 719468). */
void dtime_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Parses an instant (formats above) into microseconds since epoch (UTC). */
int dtime_parse_instant(const char *s, int64_t *out_micros);
/* Parses a timestamp without zone ("2024-01-31 10:20:30.5"); an offset or
 * 'Z' is refused. Microseconds since epoch as if UTC. */
int dtime_parse_local(const char *s, int64_t *out_micros);
/* Parses "YYYY-MM-DD" (strict) into days since epoch. */
int dtime_parse_date(const char *s, int32_t *out_days);

/* Formats micros as "2024-01-31T10:20:30.123456Z" (fraction trimmed to
 * .SSS or .SSSSSS or omitted when zero). Years beyond 9999 get a '+',
 * negative years a '-' (ISO expanded form), so the output parses back.
 * Appends to out; returns out's sticky error. */
int dtime_format_instant(dbuf *out, int64_t micros);
/* Same without the trailing 'Z' and with a ' ' separator (timestamp_ntz,
 * and Delta partition values). */
int dtime_format_local(dbuf *out, int64_t micros);
/* "YYYY-MM-DD" of a day count (years beyond 9999 with a '+', negative
 * years with a '-', as dtime_format_instant). */
int dtime_format_date(dbuf *out, int64_t days);

/* Current wall-clock time in milliseconds / microseconds since epoch. */
int64_t dtime_now_ms(void);
int64_t dtime_now_us(void);
/* Monotonic clock in nanoseconds, for durations. */
int64_t dtime_mono_ns(void);

#endif
