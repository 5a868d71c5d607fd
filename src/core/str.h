/*
 * String helpers shared by every layer: comparisons, splitting, trimming,
 * number parsing with full validation, and percent-encoding (Delta paths).
 */
#ifndef DELTA_CORE_STR_H
#define DELTA_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

bool dstr_eq(const char *a, const char *b);
/* ASCII case-insensitive equality (Delta column names resolve this way). */
bool dstr_ieq(const char *a, const char *b);
bool dstr_starts_with(const char *s, const char *prefix);
bool dstr_ends_with(const char *s, const char *suffix);

/* Trims ASCII whitespace in place at both ends; returns s. */
char *dstr_trim(char *s);

/* Splits s at every `sep` into a NULL-terminated array of new strings
 * (empty fields kept: "" gives one empty field, "a," gives "a" and "").
 * count may be NULL. *out and each string are freed with dstr_list_free.
 * Returns 0 or DELTA_ENOMEM. */
int dstr_split(char ***out, size_t *count, const char *s, char sep);
void dstr_list_free(char **list);

/* Strict decimal parsing of the whole string: optional sign, digits, no
 * whitespace or trailing junk; out-of-range values are DELTA_ERANGE, junk
 * is DELTA_EINVAL (message names the text). For u64 a negative value is
 * DELTA_ERANGE ("-0" is 0). Doubles take digits[.digits][e[sign]digits]
 * (no hex, no whitespace), plus NaN, Inf and Infinity in any case with an
 * optional sign; '.' is the decimal point whatever the locale; overflow
 * is DELTA_ERANGE, underflow rounds to the nearest representable value. */
int dstr_parse_i64(const char *s, int64_t *out);
int dstr_parse_u64(const char *s, uint64_t *out);
int dstr_parse_double(const char *s, double *out);
/* "true"/"false" (case-insensitive) */
int dstr_parse_bool(const char *s, bool *out);

/* Percent-decodes s (RFC 3986 %XX; '+' is literal). DELTA_EINVAL on a
 * malformed escape, and on %00 (results are used as C strings, so a NUL
 * would silently cut a path). The result is appended to out; on error out
 * is left as it was. */
int dstr_percent_decode(dbuf *out, const char *s);
/* Percent-encodes (upper-case hex) every byte outside the unreserved set
 * (ALPHA DIGIT - . _ ~) and outside `keep` (e.g. "/" to keep path
 * separators; NULL for none), appending to out. Returns out's sticky
 * error. */
int dstr_percent_encode(dbuf *out, const char *s, const char *keep);

/* Appends s[0..len) as a JSON string literal with its quotes: the quote,
 * the backslash and control characters are escaped (\n, \t, ... or
 * \u00XX); other bytes, UTF-8 included, are copied as they are. Returns
 * out's sticky error. */
int dstr_json_quote(dbuf *out, const char *s, size_t len);

#endif
