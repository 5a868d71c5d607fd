/*
 * Helpers shared by the files of the expression layer: reading and
 * appending single values of a vector, casts, exact decimal arithmetic on
 * 128-bit integers (with 256-bit intermediates), calendar helpers and the
 * total order of values used by comparisons and statistics.
 */
#ifndef DELTA_EXPR_INTERNAL_H
#define DELTA_EXPR_INTERNAL_H

#include "columnar/vector.h"
#include "expr/expr.h"

/* Types the evaluator computes on: NULL, BOOL, INT8..INT64, FLOAT32/64,
 * DECIMAL, DATE32, TIMESTAMP in microseconds, STRING, BINARY. */
bool expr_type_evaluable(const dtype *t);

/* ---- values ---------------------------------------------------------------- */

/* Reads row i of v (types the evaluator computes on, plus unsigned,
 * float16-less fixed types widened); false when the row is null. STRING
 * and BINARY values point into v. */
bool expr_vec_get(const dvec *v, int64_t i, expr_value *out);
/* Appends x (or a null) to v, whose type is evaluable. */
int expr_vec_put(dvec *v, const expr_value *x);

/* Total order of two non-null values of one evaluable type: -1, 0, 1.
 * Floats: NaN equals NaN and is greater than every other value, -0.0
 * equals 0.0 (Spark). Strings and binary: unsigned bytes (code points
 * for UTF-8). */
int expr_value_cmp(const dtype *t, const expr_value *a, const expr_value *b);

/* ---- casts ----------------------------------------------------------------- */

bool expr_can_cast(const dtype *from, const dtype *to);
/* Casts one value. Text that does not parse as the target gives NULL
 * (Spark's default); a value out of the target's range is DELTA_ERANGE.
 * String results point into `scratch` (valid until it changes). */
int expr_cast_value(const dtype *from, const expr_value *in, const dtype *to, expr_value *out,
                    dbuf *scratch);

/* ---- decimals ------------------------------------------------------------- */

/* 10^k for k in 0..38 */
expr_i128 expr_pow10(unsigned k);
/* Whether |v| < 10^precision. */
bool expr_dec_fits(expr_i128 v, unsigned precision);
/* v * 10^(to - from) with half-up rounding when scaling down; false on
 * overflow of 128 bits. */
bool expr_dec_rescale(expr_i128 v, int from, int to, expr_i128 *out);
/* (a * b) / 10^down, half-up; false when the result overflows 128 bits. */
bool expr_dec_mul(expr_i128 a, expr_i128 b, unsigned down, expr_i128 *out);
/* (a * 10^up) / b, half-up; b != 0; false when the result overflows. */
bool expr_dec_div(expr_i128 a, expr_i128 b, unsigned up, expr_i128 *out);
/* Parses decimal text ("-12.345", "1e3" not accepted) into scale `scale`
 * with half-up rounding; false when malformed or beyond `precision`. */
bool expr_dec_parse(const char *s, size_t n, unsigned precision, unsigned scale, expr_i128 *out);

/* ---- dates ----------------------------------------------------------------- */

enum { TRUNC_YEAR, TRUNC_QUARTER, TRUNC_MONTH, TRUNC_WEEK, TRUNC_DAY, TRUNC_HOUR, TRUNC_MINUTE,
       TRUNC_SECOND, TRUNC_MILLISECOND, TRUNC_MICROSECOND };
/* The date_trunc unit named by s (case-insensitive), or -1. */
int expr_trunc_unit(const char *s, size_t n);
int64_t expr_trunc_micros(int unit, int64_t us);
/* Spark datetime patterns for to_date/to_timestamp with a format: y
 * (yyyy exactly 4 digits, yy 2 digits as 20yy, y any), M/MM, d/dd, H/HH,
 * m/mm, s/ss (one letter: 1-2 digits; two: exactly 2), S..S fraction
 * digits, 'quoted text', and punctuation/space matched literally. */
bool expr_datetime_pattern_ok(const char *fmt, size_t n);
/* Parses text with a pattern into microseconds since the epoch (UTC);
 * false when it does not match or names an invalid date. */
bool expr_parse_datetime(const uint8_t *s, size_t n, const uint8_t *fmt, size_t fn, int64_t *us);

/* Floor division helpers for calendar math. */
static inline int64_t expr_floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* ---- binder checks ---------------------------------------------------------- */

/* Refuses columns of types the evaluator cannot compute on anywhere but
 * directly under IS [NOT] NULL or as the whole expression. */
int expr_check_evaluable(const expr_node *n, bool allowed);

#endif
