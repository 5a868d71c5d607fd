/*
 * libdelta expressions: the SQL expression language every command uses
 * for predicates and values (read --where, CHECK constraints, MERGE
 * conditions, UPDATE SET values), with Spark SQL semantics.
 *
 * Life of an expression:
 *
 *     delta_expr *e;
 *     if (delta_expr_parse(&e, "price * qty > 100 AND country IN ('DE', 'FR')"))
 *         fprintf(stderr, "%s\n", delta_error_last());
 *     delta_expr_bind(e, &schema);          // ArrowSchema of the batches ("+s")
 *     delta_expr_select(e, &batch, &rows, &n);   // rows where it is TRUE
 *     delta_free(rows);
 *     delta_expr_free(e);
 *
 * Language: literals (42, 3000000000, 1.50 as decimal(3,2), 1e3 as double,
 * 'text' with '' escapes, TRUE/FALSE/NULL, DATE '2024-01-31', TIMESTAMP
 * '...', TIMESTAMP_NTZ '...', X'CAFE'), columns (case-insensitive; quote
 * with backticks or double quotes; nested a.b.c), = <> != < <= > >= <=>,
 * IS [NOT] NULL, [NOT] IN, [NOT] BETWEEN, [NOT] LIKE [ESCAPE], AND OR NOT,
 * + - * / %, ||, CASE, CAST(x AS type) and the functions lower, upper,
 * trim, ltrim, rtrim, substring, concat, length, abs, round, floor, ceil,
 * year, month, day, hour, date_trunc, date_add, datediff, current_date,
 * current_timestamp, to_date, to_timestamp (with an optional pattern such
 * as 'dd/MM/yyyy'), coalesce, nullif, if.
 *
 * Semantics: three-valued logic; implicit widening casts as Spark;
 * integer and decimal overflow are errors (DELTA_ERANGE naming the
 * expression, like Spark's ANSI mode); division or modulo by zero is
 * NULL; a string that does not parse in a CAST is NULL; timestamps
 * without a zone are read as UTC.
 *
 * A bound expression is read-only: several threads may evaluate it at the
 * same time.
 *
 * Errors name the position (1-based byte offset), the column or function
 * and what was expected, e.g.
 *   at position 7: column 'pirce' not found; expected one of: price, qty
 */
#ifndef DELTA_EXPR_PUBLIC_H
#define DELTA_EXPR_PUBLIC_H

#include <stdint.h>

#include "delta/arrow.h"
#include "delta/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A parsed (and, once bound, type-checked) expression. */
typedef struct delta_expr delta_expr;

/**
 * Parses `text` into a new expression (*out; free with delta_expr_free).
 * Returns 0, DELTA_EINVAL for a syntax error ("at position N: expected X,
 * found Y") or DELTA_ENOMEM.
 */
DELTA_EXTERN int delta_expr_parse(delta_expr **out, const char *text);

/**
 * Resolves columns against `schema` (a struct "+s" ArrowSchema describing
 * the batches to evaluate on; borrowed, not released) and checks types.
 * An expression is bound once. Returns 0, DELTA_ENOTFOUND (unknown column
 * or function), DELTA_ETYPE (type mismatch), DELTA_EINVAL (ambiguous
 * column, wrong argument count, already bound), DELTA_EUNSUPPORTED (a
 * schema type Arrow export cannot describe).
 */
DELTA_EXTERN int delta_expr_bind(delta_expr *e, const struct ArrowSchema *schema);

/**
 * The type of a bound expression's values as an ArrowSchema named
 * "result" (the caller releases it). Returns 0 or a negative code.
 */
DELTA_EXTERN int delta_expr_result_schema(const delta_expr *e, struct ArrowSchema *out);

/**
 * Evaluates a bound expression over every row of `batch` (a struct array
 * of the bound schema; borrowed, not released, and must stay alive for
 * the call only). *out receives a new array of the result type with one
 * value per row; the caller releases it. Returns 0, DELTA_ERANGE
 * (overflow, naming the expression), DELTA_EINVAL or DELTA_ECORRUPT (the
 * batch does not match the schema), DELTA_ENOMEM.
 */
DELTA_EXTERN int delta_expr_eval(const delta_expr *e, const struct ArrowArray *batch,
                                 struct ArrowArray *out);

/**
 * Filters `batch` with a bound boolean expression: *rows receives the
 * indices (ascending) of the rows where it is TRUE (not FALSE, not NULL)
 * and *count how many. *rows is allocated even when empty; free it with
 * delta_free. Errors as delta_expr_eval, plus DELTA_ETYPE when the
 * expression is not boolean.
 */
DELTA_EXTERN int delta_expr_select(const delta_expr *e, const struct ArrowArray *batch,
                                   uint32_t **rows, int64_t *count);

/** The text the expression was parsed from; valid until delta_expr_free. */
DELTA_EXTERN const char *delta_expr_text(const delta_expr *e);

/** Frees an expression (NULL is ignored). */
DELTA_EXTERN void delta_expr_free(delta_expr *e);

#ifdef __cplusplus
}
#endif

#endif /* DELTA_EXPR_PUBLIC_H */
