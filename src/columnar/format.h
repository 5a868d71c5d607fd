/*
 * Values as text, for people (tables) and for programs (CSV, JSON), and a
 * printer that writes batches in one of the output formats of the CLI.
 *
 * Text forms, shared by every style unless noted:
 *   integers   decimal; floats: text that reads back to the same value,
 *              the shortest of %.15g..%.17g for doubles (%.6g..%.9g for
 *              floats, shortest for halves): "0.1", "1e+20"; NaN, Infinity, -Infinity
 *              (JSON: as strings, since JSON has no such numbers)
 *   decimal    exact digits with the scale's fraction ("-0.05", "123.40")
 *   date       2024-01-31 (years past 9999 as +10000, before 0 as -0001)
 *   time       10:20:30, with a fraction trimmed as for timestamps
 *   timestamp  2024-01-31T10:20:30.123456Z for instants (utc), without
 *              the Z for wall-clock (ntz) timestamps; the fraction is
 *              trimmed to 3, 6 or 9 digits and omitted when zero
 *   binary     TEXT: 0x0102ff hex; CSV and JSON: base64
 *   uuid       8-4-4-4-12 lower-case hex
 *   nested     JSON (struct -> object, list -> array, map -> object when
 *              the keys are strings, else an array of {"key","value"}),
 *              also inside TEXT and CSV cells
 *   null       TEXT "NULL", CSV an empty field, JSON null
 * CSV quotes a field (RFC 4180, doubling quotes) when it holds a comma, a
 * quote, CR or LF, or is an empty string (so "" differs from a null).
 */
#ifndef DELTA_COLUMNAR_FORMAT_H
#define DELTA_COLUMNAR_FORMAT_H

#include <stdint.h>
#include <stdio.h>

#include "columnar/vector.h"
#include "core/buf.h"

typedef enum dfmt_style {
    DFMT_TEXT = 0, /* table cells: strings raw, NULL as "NULL" */
    DFMT_CSV,      /* one RFC 4180 field, null = empty */
    DFMT_JSON      /* one JSON value */
} dfmt_style;

/* Appends row `row` of v in the given style. Errors stay in out->err. */
void dvec_format_value(const dvec *v, int64_t row, dfmt_style style, dbuf *out);

/* Appends s as a quoted JSON string (control characters escaped, invalid
 * UTF-8 replaced by U+FFFD). */
void dfmt_json_string(dbuf *out, const void *s, size_t n);
/* Appends s as one CSV field, quoted when needed. */
void dfmt_csv_field(dbuf *out, const void *s, size_t n);
/* Length of the valid UTF-8 sequence starting at s (n >= 1 bytes left),
 * or 0 when it is not valid UTF-8 (overlong, surrogate, > U+10FFFF). */
size_t dutf8_seq(const uint8_t *s, size_t n);
/* Offset of the first byte of s[0..n) that does not start a valid UTF-8
 * sequence, or -1 when all of it is valid. ASCII runs are checked eight
 * bytes at a time. */
int64_t dutf8_invalid_at(const uint8_t *s, size_t n);

/* ---- printer ----------------------------------------------------------- */

typedef enum dprint_kind {
    DPRINT_TABLE = 0, /* aligned boxed text table */
    DPRINT_CSV,       /* header line, then one line per row */
    DPRINT_NDJSON,    /* one JSON object per line */
    DPRINT_JSON       /* one JSON array of objects */
} dprint_kind;

typedef struct dprinter dprinter;

/* A printer of batches of the STRUCT type `schema` to fp (not closed).
 * TABLE buffers up to 1000 rows to size its columns, then prints them and
 * keeps those widths for later rows, cutting long cells with "...", so
 * memory stays bounded whatever the row count. */
int dprinter_new(dprinter **out, dprint_kind kind, const dtype *schema, FILE *fp);
/* Prints every row of batch (a STRUCT vector of the printer's schema). */
int dprinter_write(dprinter *p, const dvec *batch);
/* Prints rows [from, from+n) of batch. */
int dprinter_write_range(dprinter *p, const dvec *batch, int64_t from, int64_t n);
/* Writes what is still buffered and the closing lines, then frees p.
 * DELTA_EIO when writing to fp failed at any point. */
int dprinter_finish(dprinter *p);
/* Frees p without printing anything more (error paths). */
void dprinter_free(dprinter *p);

#endif
