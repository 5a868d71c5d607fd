/*
 * The SQL expression layer (internal side; include/delta/expr.h is the
 * public one). One expression language serves every command that takes a
 * predicate or a value: read --where, replace-where, CHECK constraints,
 * MERGE conditions, UPDATE's SET, OPTIMIZE's partition filter.
 *
 * Pipeline:
 *   expr_parse()   text -> AST (expr_node tree in the expr's arena); no
 *                  types yet, columns are unresolved name chains.
 *   expr_bind()    resolves columns against one or more STRUCT schemas
 *                  ("scopes", each with an optional qualifier such as
 *                  `source`/`target`), type-checks, inserts implicit casts
 *                  (EX_CAST nodes marked `implicit`) following Spark's
 *                  rules, resolves functions, sets every node's `type`.
 *   expr_eval()    evaluates a bound node over a batch (one STRUCT vector
 *                  per scope, all of the same length) for the rows of a
 *                  selection, vectorized: each node computes all selected
 *                  rows before its parent runs.
 *   expr_select()  the rows of a selection where a boolean node is TRUE
 *                  (not FALSE, not NULL); AND narrows the selection for its
 *                  right side, OR only evaluates its right side on rows the
 *                  left did not select.
 *   expr_may_match() data skipping against per-file statistics.
 *
 * Semantics (Spark SQL, with these documented choices):
 *   - three-valued logic; comparisons with NULL are NULL;
 *   - integer and decimal overflow raise DELTA_ERANGE naming the
 *     expression (Spark's ANSI mode), as do casts that do not fit;
 *   - division and modulo by zero give NULL (Spark's default, non-ANSI);
 *   - a string that does not parse as the target of a CAST gives NULL
 *     (Spark's default, non-ANSI);
 *   - `/` on integers divides as doubles (Spark), on decimals exactly with
 *     Spark's result precision/scale and half-up rounding.
 *
 * Selections are arrays of uint32 row indices in strictly increasing order;
 * NULL with a count stands for "all rows 0..nrows-1". Result vectors of
 * expr_eval() are positional: they have the batch's length and hold
 * defined values at the selected rows (other rows are null or zero).
 */
#ifndef DELTA_EXPR_EXPR_H
#define DELTA_EXPR_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "columnar/types.h"
#include "core/arena.h"
#include "core/buf.h"

__extension__ typedef __int128 expr_i128;

typedef enum expr_kind {
    EX_LIT = 0,
    EX_COL,
    EX_NEG,
    EX_NOT,
    EX_ISNULL,    /* negated: IS NOT NULL */
    EX_EQ,
    EX_NE,
    EX_LT,
    EX_LE,
    EX_GT,
    EX_GE,
    EX_EQNS,      /* <=> null-safe equality */
    EX_AND,
    EX_OR,
    EX_ADD,
    EX_SUB,
    EX_MUL,
    EX_DIV,
    EX_MOD,
    EX_CONCAT,    /* || */
    EX_IN,        /* args[0] IN (args[1..]); negated: NOT IN */
    EX_BETWEEN,   /* args[0] BETWEEN args[1] AND args[2]; negated */
    EX_LIKE,      /* args[0] LIKE args[1]; negated; `escape` */
    EX_CASE,      /* args: when1, then1, when2, then2, ..., [else] */
    EX_CAST,      /* args[0]; target in `ts` */
    EX_FUNC       /* name(args...) */
} expr_kind;

/* A type as written in SQL (CAST targets, literals), before it becomes a
 * dtype at bind time. */
typedef struct expr_typespec {
    dtype_id id;       /* DT_NULL for the NULL literal */
    uint8_t precision; /* DECIMAL */
    uint8_t scale;     /* DECIMAL */
    bool utc;          /* TIMESTAMP: true = timestamp, false = timestamp_ntz */
} expr_typespec;

/* One value of a known type (literals, statistics, partition values). */
typedef struct expr_value {
    bool is_null;
    bool b;             /* BOOL */
    int64_t i;          /* integers, DATE32 (days), TIMESTAMP (micros) */
    double d;           /* FLOAT32, FLOAT64 */
    expr_i128 dec;      /* DECIMAL unscaled */
    const uint8_t *bytes; /* STRING, BINARY (not NUL-terminated) */
    size_t len;
} expr_value;

/* Functions known to the binder. */
typedef enum expr_fn {
    EF_NONE = 0,
    EF_LOWER,
    EF_UPPER,
    EF_TRIM,
    EF_LTRIM,
    EF_RTRIM,
    EF_SUBSTRING,
    EF_CONCAT,
    EF_LENGTH,
    EF_ABS,
    EF_ROUND,
    EF_FLOOR,
    EF_CEIL,
    EF_YEAR,
    EF_MONTH,
    EF_DAY,
    EF_HOUR,
    EF_DATE_TRUNC,
    EF_DATE_ADD,
    EF_DATEDIFF,
    EF_CURRENT_DATE,
    EF_CURRENT_TIMESTAMP,
    EF_TO_DATE,
    EF_TO_TIMESTAMP,
    EF_COALESCE,
    EF_NULLIF,
    EF_IF
} expr_fn;

typedef struct expr_node expr_node;
struct expr_node {
    expr_kind kind;
    uint32_t pos;  /* 1-based byte position of the node's first token */
    bool negated;  /* NOT IN, NOT BETWEEN, NOT LIKE, IS NOT NULL */
    bool implicit; /* EX_CAST inserted by the binder */
    uint32_t nargs;
    expr_node **args;

    /* EX_LIT: value and its type; EX_CAST: target type */
    expr_typespec ts;
    expr_value val;

    /* EX_COL: the name chain as written (a.b.c), then where it resolved:
     * the scope, and field indices from the scope's schema down. */
    char **names;
    uint32_t nnames;
    int32_t scope;
    uint32_t depth;
    int32_t *path;

    /* EX_FUNC */
    char *name;
    expr_fn fn;

    /* EX_LIKE: escape character (default '\\') */
    uint8_t escape;

    /* set by expr_bind(): one reference, released by expr_node_release() */
    dtype *type;
};

/* A parsed expression: the tree and the text it came from, in one arena. */
typedef struct expr {
    darena arena;
    char *text;
    expr_node *root;
    bool bound;
} expr;

/* Parses text into a new expr (free with expr_free). Syntax errors are
 * DELTA_EINVAL "at position N: expected X, found Y". */
int expr_parse(expr **out, const char *text);
void expr_free(expr *e);
/* Whether s[0..n) is a reserved word (AND, CASE, NULL, ...): such a
 * column name must be quoted. */
bool expr_is_keyword(const char *s, size_t n);

/* Releases the dtype references a bound tree holds (the nodes themselves
 * live in the arena). */
void expr_node_release(expr_node *n);

/* Appends a readable SQL rendering of a node (used in error messages). */
void expr_node_format(const expr_node *n, dbuf *out);
/* A value as a SQL literal of its type ("1.50", "DATE '2024-01-31'"). */
void expr_format_value(dbuf *out, const expr_typespec *ts, const expr_value *v);
/* A decimal from its unscaled value and scale, plain notation ("-0.05"). */
void expr_format_decimal(dbuf *out, expr_i128 v, unsigned scale);

/* ---- binding ---------------------------------------------------------- */

typedef struct expr_scope {
    const char *qualifier; /* e.g. "source", "target"; NULL = none */
    const dtype *schema;   /* STRUCT */
} expr_scope;

/* Resolves and type-checks e's tree. Errors (DELTA_EINVAL, DELTA_ETYPE,
 * DELTA_ENOTFOUND) name the position, the column or function and what was
 * expected. Binding twice is DELTA_EINVAL. */
int expr_bind(expr *e, const expr_scope *scopes, uint32_t nscopes);
/* Makes a bound expression's value one of type `to`, as an assignment
 * stores it (UPDATE's SET, MERGE's assignments): the root is wrapped in a
 * cast unless it already has that type; a value that does not fit is
 * then DELTA_ERANGE at evaluation. Types no cast connects are
 * DELTA_ETYPE naming `what` (e.g. the column) and both types. */
int expr_bind_coerce(expr *e, const dtype *to, const char *what);
/* Makes a dtype from a typespec (TIMESTAMP in microseconds). */
dtype *expr_typespec_dtype(const expr_typespec *ts);

/* Spark's decimal type of an integer type (int -> decimal(10,0), ...). */
bool expr_decimal_of_int(dtype_id id, uint8_t *precision);

/* ---- evaluation ------------------------------------------------------- */

typedef struct dvec dvec;

typedef struct expr_input {
    const dvec *const *batches; /* one STRUCT vector per scope */
    uint32_t nbatches;
    int64_t nrows;              /* length of every batch */
} expr_input;

/* Evaluates a bound node for the rows in sel (NULL = all rows); *out
 * receives a new vector of the node's type and length nrows (positional). */
int expr_eval(const expr_node *n, const expr_input *in, const uint32_t *sel, int64_t nsel,
              dvec **out);

/* Stores into out (room for nsel entries, or nrows when sel is NULL) the
 * rows of sel where the boolean node n is TRUE; *nout their count. */
int expr_select(const expr_node *n, const expr_input *in, const uint32_t *sel, int64_t nsel,
                uint32_t *out, int64_t *nout);

/* ---- statistics and skipping ------------------------------------------ */

/* Statistics of one column (a top-level or nested field of scope 0's
 * schema) for one file. Absent pieces have their has_* flag false. min and
 * max are in the column's type. */
typedef struct expr_col_stats {
    bool has_min, has_max, has_null_count;
    expr_value min, max;
    int64_t null_count;
} expr_col_stats;

/* Looks up the statistics of the column at `path` (field indices into
 * scope 0's schema, `depth` of them); returns NULL when unknown. */
typedef const expr_col_stats *(*expr_stats_fn)(void *ctx, const int32_t *path, uint32_t depth);

typedef struct expr_file_stats {
    int64_t num_records; /* -1 when unknown */
    expr_stats_fn column;
    void *ctx;
} expr_file_stats;

/* Whether a file with these statistics may hold a row where the bound
 * predicate n is TRUE. Conservative: true unless the statistics prove no
 * row matches. Strings: max values are treated as possibly truncated
 * (Spark truncates string statistics to 32 characters). */
bool expr_may_match(const expr_node *n, const expr_file_stats *fs);

/* Partition pruning: whether a file whose partition values are `row` (a
 * 1-row batch of scope 0's schema; known[i] says whether top-level column
 * i holds a known value, i.e. is a partition column) may match. The
 * predicate's top-level conjuncts that reference only known columns are
 * evaluated on the row: FALSE prunes, TRUE or NULL keeps. */
int expr_partition_may_match(const expr_node *n, const dvec *row, const bool *known,
                             bool *keep);

/* Builds the 1-row batch of `schema` for expr_partition_may_match from
 * Delta partition values as text (the add action's partitionValues):
 * values[i] is column i's text, NULL for a null partition value; columns
 * with known[i] false are not partition columns and are left null. Text
 * that is not a value of the column's type is DELTA_ECORRUPT naming the
 * column and the text. */
int expr_partition_row(const dtype *schema, const char *const *values, const bool *known,
                       dvec **out);

#endif
