/*
 * Lexer and recursive-descent parser of the SQL expression language.
 *
 * The text is tokenized completely first (so the parser can look ahead,
 * e.g. `NOT IN`, `DATE '...'`, `f(`), then parsed by precedence, loosest
 * first, as Spark's grammar:
 *
 *   OR < AND < NOT < predicates (= <> != < <= > >= <=> IS IN BETWEEN LIKE)
 *      < + - || < * / % < unary - + < primary
 *
 * Keywords are case-insensitive and, unquoted, cannot name a column
 * (quote with backticks or double quotes). Numbers follow Spark's literal
 * typing: an integer is INT when it fits, else BIGINT, else DECIMAL(p,0);
 * a number with a point is DECIMAL(p,s) (DOUBLE beyond 38 digits); one
 * with an exponent is DOUBLE; suffixes Y S L F D BD pick tinyint,
 * smallint, bigint, float, double, decimal. A minus sign directly before a
 * number is folded into the literal, so -2147483648 is an INT and
 * -9223372036854775808 a BIGINT.
 *
 * Every node records the 1-based byte position of its first token; errors
 * are DELTA_EINVAL "at position N: expected X, found Y".
 */
#include "expr/expr.h"

#include "core/alloc.h"
#include "core/dtime.h"
#include "core/error.h"
#include "core/str.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum tok_type {
    T_EOF = 0,
    T_IDENT,  /* unquoted identifier or keyword */
    T_QIDENT, /* `quoted` or "quoted" identifier */
    T_NUMBER,
    T_STRING,
    T_BINARY, /* X'..' */
    T_OP      /* operator or punctuation */
} tok_type;

typedef struct token {
    tok_type type;
    uint32_t pos;      /* 1-based */
    const char *start; /* in the source text */
    size_t len;
    char *str;         /* T_QIDENT, T_STRING, T_BINARY: decoded (arena) */
    size_t str_len;
} token;

typedef struct parser {
    expr *e;
    const char *text;
    token *toks;
    size_t ntoks;
    size_t cap;
    size_t i;
    int depth;
} parser;

#define MAX_DEPTH 200

static const char *const keywords[] = {
    "AND", "OR", "NOT", "IS", "NULL", "IN", "BETWEEN", "LIKE", "ESCAPE", "CASE", "WHEN",
    "THEN", "ELSE", "END", "CAST", "AS", "TRUE", "FALSE", "DISTINCT", "FROM", NULL};

bool expr_is_keyword(const char *s, size_t n)
{
    for (int k = 0; keywords[k]; k++)
        if (strlen(keywords[k]) == n && strncasecmp(keywords[k], s, n) == 0)
            return true;
    return false;
}

/* ---- lexer --------------------------------------------------------------- */

static int tok_push(parser *p, token t)
{
    if (p->ntoks == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        token *n = delta_reallocarray(p->toks, cap, sizeof(token));
        if (!n)
            return DELTA_ENOMEM;
        p->toks = n;
        p->cap = cap;
    }
    p->toks[p->ntoks++] = t;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes a '...' string starting at s[0] == '\''. Spark's rules: '' is a
 * quote; backslash escapes \' \" \\ \n \t \r \b \0 \Z; \% and \_ stay as
 * written (LIKE escapes); any other \c is c. */
static int lex_string(parser *p, const char *s, size_t *consumed, token *t)
{
    size_t i = 1;
    dbuf b = DBUF_INIT;
    for (;;) {
        char c = s[i];
        if (c == '\0') {
            dbuf_free(&b);
            return delta_error_set(DELTA_EINVAL,
                                   "at position %u: expected a closing quote ', found end of input",
                                   t->pos);
        }
        if (c == '\'') {
            if (s[i + 1] == '\'') {
                dbuf_putc(&b, '\'');
                i += 2;
                continue;
            }
            i++;
            break;
        }
        if (c == '\\' && s[i + 1] != '\0') {
            char d = s[i + 1];
            switch (d) {
            case 'n': dbuf_putc(&b, '\n'); break;
            case 't': dbuf_putc(&b, '\t'); break;
            case 'r': dbuf_putc(&b, '\r'); break;
            case 'b': dbuf_putc(&b, '\b'); break;
            case '0': dbuf_putc(&b, '\0'); break;
            case 'Z': dbuf_putc(&b, 26); break;
            case '%':
            case '_':
                dbuf_putc(&b, '\\');
                dbuf_putc(&b, (uint8_t)d);
                break;
            default: dbuf_putc(&b, (uint8_t)d); break;
            }
            i += 2;
            continue;
        }
        dbuf_putc(&b, (uint8_t)c);
        i++;
    }
    if (b.err) {
        dbuf_free(&b);
        return DELTA_ENOMEM;
    }
    t->str = darena_alloc(&p->e->arena, b.len + 1);
    if (!t->str) {
        dbuf_free(&b);
        return DELTA_ENOMEM;
    }
    if (b.len)
        memcpy(t->str, b.data, b.len);
    t->str[b.len] = '\0';
    t->str_len = b.len;
    dbuf_free(&b);
    *consumed = i;
    return 0;
}

static int lex(parser *p)
{
    const char *s = p->text;
    size_t i = 0;
    for (;;) {
        while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f')
            i++;
        /* comments: -- to end of line, and C style */
        if (s[i] == '-' && s[i + 1] == '-') {
            while (s[i] && s[i] != '\n')
                i++;
            continue;
        }
        if (s[i] == '/' && s[i + 1] == '*') {
            const char *end = strstr(s + i + 2, "*/");
            if (!end)
                return delta_error_set(DELTA_EINVAL,
                                       "at position %zu: expected */ closing the comment, found end of input",
                                       i + 1);
            i = (size_t)(end - s) + 2;
            continue;
        }
        token t = {0};
        t.pos = (uint32_t)(i + 1);
        t.start = s + i;
        unsigned char c = (unsigned char)s[i];
        if (c == '\0') {
            t.type = T_EOF;
            return tok_push(p, t);
        }
        if ((c == 'x' || c == 'X') && s[i + 1] == '\'') {
            size_t j = i + 2;
            dbuf b = DBUF_INIT;
            while (s[j] && s[j] != '\'')
                j++;
            if (!s[j])
                return delta_error_set(DELTA_EINVAL,
                                       "at position %u: expected a closing quote ' of the binary literal, found end of input",
                                       t.pos);
            size_t nhex = j - (i + 2);
            if (nhex % 2)
                return delta_error_set(DELTA_EINVAL,
                                       "at position %u: expected an even number of hex digits in X'...', found %zu",
                                       t.pos, nhex);
            for (size_t k = i + 2; k < j; k += 2) {
                int h = hexval(s[k]), l = hexval(s[k + 1]);
                if (h < 0 || l < 0) {
                    dbuf_free(&b);
                    return delta_error_set(DELTA_EINVAL,
                                           "at position %zu: expected a hex digit, found '%c'",
                                           (h < 0 ? k : k + 1) + 1, h < 0 ? s[k] : s[k + 1]);
                }
                dbuf_putc(&b, (uint8_t)(h * 16 + l));
            }
            if (b.err)
                return DELTA_ENOMEM;
            t.type = T_BINARY;
            t.str_len = b.len;
            t.str = darena_alloc(&p->e->arena, b.len + 1);
            if (!t.str) {
                dbuf_free(&b);
                return DELTA_ENOMEM;
            }
            if (b.len)
                memcpy(t.str, b.data, b.len);
            dbuf_free(&b);
            t.len = j + 1 - i;
            i = j + 1;
        } else if (isalpha(c) || c == '_' || c >= 0x80) {
            size_t j = i;
            while (isalnum((unsigned char)s[j]) || s[j] == '_' || (unsigned char)s[j] >= 0x80)
                j++;
            t.type = T_IDENT;
            t.len = j - i;
            i = j;
        } else if (isdigit(c) || (c == '.' && isdigit((unsigned char)s[i + 1]))) {
            size_t j = i;
            while (isdigit((unsigned char)s[j]))
                j++;
            if (s[j] == '.') {
                j++;
                while (isdigit((unsigned char)s[j]))
                    j++;
            }
            if ((s[j] == 'e' || s[j] == 'E') &&
                (isdigit((unsigned char)s[j + 1]) ||
                 ((s[j + 1] == '+' || s[j + 1] == '-') && isdigit((unsigned char)s[j + 2])))) {
                j += 2;
                while (isdigit((unsigned char)s[j]))
                    j++;
            }
            /* suffixes */
            if ((s[j] == 'B' || s[j] == 'b') && (s[j + 1] == 'D' || s[j + 1] == 'd'))
                j += 2;
            else if (strchr("YySsLlFfDd", s[j]) && s[j])
                j++;
            if (isalnum((unsigned char)s[j]) || s[j] == '_')
                return delta_error_set(DELTA_EINVAL,
                                       "at position %u: expected a number, found '%.*s'", t.pos,
                                       (int)(j + 1 - i), s + i);
            t.type = T_NUMBER;
            t.len = j - i;
            i = j;
        } else if (c == '\'') {
            size_t n = 0;
            int rc = lex_string(p, s + i, &n, &t);
            if (rc)
                return rc;
            t.type = T_STRING;
            t.len = n;
            i += n;
        } else if (c == '`' || c == '"') {
            size_t j = i + 1;
            dbuf b = DBUF_INIT;
            for (;;) {
                if (!s[j]) {
                    dbuf_free(&b);
                    return delta_error_set(DELTA_EINVAL,
                                           "at position %u: expected a closing %c, found end of input",
                                           t.pos, c);
                }
                if ((unsigned char)s[j] == c) {
                    if ((unsigned char)s[j + 1] == c) { /* doubled quote */
                        dbuf_putc(&b, c);
                        j += 2;
                        continue;
                    }
                    break;
                }
                dbuf_putc(&b, (uint8_t)s[j]);
                j++;
            }
            if (b.err)
                return DELTA_ENOMEM;
            if (b.len == 0)
                return delta_error_set(DELTA_EINVAL,
                                       "at position %u: expected a column name, found an empty quoted name",
                                       t.pos);
            t.type = T_QIDENT;
            t.str = darena_strndup(&p->e->arena, (const char *)b.data, b.len);
            t.str_len = b.len;
            dbuf_free(&b);
            if (!t.str)
                return DELTA_ENOMEM;
            t.len = j + 1 - i;
            i = j + 1;
        } else {
            static const char *const ops[] = {"<=>", "<>", "!=", "<=", ">=", "==", "||", "=",
                                              "<",   ">",  "+",  "-",  "*",  "/",  "%",  "(",
                                              ")",   ",",  ".",  NULL};
            size_t n = 0;
            for (int k = 0; ops[k]; k++) {
                size_t l = strlen(ops[k]);
                if (strncmp(s + i, ops[k], l) == 0) {
                    n = l;
                    break;
                }
            }
            if (!n)
                return delta_error_set(DELTA_EINVAL,
                                       "at position %u: expected an expression, found unexpected character '%c'",
                                       t.pos, c);
            t.type = T_OP;
            t.len = n;
            i += n;
        }
        int rc = tok_push(p, t);
        if (rc)
            return rc;
    }
}

/* ---- parser helpers ---------------------------------------------------- */

static const token *peek(const parser *p, size_t ahead)
{
    size_t k = p->i + ahead;
    return k < p->ntoks ? &p->toks[k] : &p->toks[p->ntoks - 1];
}

static bool tok_is_kw(const token *t, const char *kw)
{
    return t->type == T_IDENT && strlen(kw) == t->len && strncasecmp(t->start, kw, t->len) == 0;
}

static bool tok_is_op(const token *t, const char *op)
{
    return t->type == T_OP && strlen(op) == t->len && strncmp(t->start, op, t->len) == 0;
}

static bool accept_kw(parser *p, const char *kw)
{
    if (tok_is_kw(peek(p, 0), kw)) {
        p->i++;
        return true;
    }
    return false;
}

static bool accept_op(parser *p, const char *op)
{
    if (tok_is_op(peek(p, 0), op)) {
        p->i++;
        return true;
    }
    return false;
}

static int fail_expected(const parser *p, const char *what)
{
    const token *t = peek(p, 0);
    if (t->type == T_EOF)
        return delta_error_set(DELTA_EINVAL, "at position %u: expected %s, found end of input",
                               t->pos, what);
    return delta_error_set(DELTA_EINVAL, "at position %u: expected %s, found '%.*s'", t->pos,
                           what, (int)(t->len > 40 ? 40 : t->len), t->start);
}

static int expect_kw(parser *p, const char *kw)
{
    if (accept_kw(p, kw))
        return 0;
    char what[16];
    size_t k = 0;
    for (; kw[k] && k + 1 < sizeof what; k++)
        what[k] = (char)toupper((unsigned char)kw[k]);
    what[k] = '\0';
    return fail_expected(p, what);
}

static int expect_op(parser *p, const char *op)
{
    if (accept_op(p, op))
        return 0;
    char what[8];
    snprintf(what, sizeof what, "'%s'", op);
    return fail_expected(p, what);
}

static expr_node *node_new(parser *p, expr_kind kind, uint32_t pos, uint32_t nargs)
{
    expr_node *n = darena_calloc(&p->e->arena, 1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->pos = pos;
    n->scope = -1;
    n->escape = '\\';
    n->nargs = nargs;
    if (nargs) {
        n->args = darena_calloc(&p->e->arena, nargs, sizeof(expr_node *));
        if (!n->args)
            return NULL;
    }
    return n;
}

static int node2(parser *p, expr_kind kind, uint32_t pos, expr_node *a, expr_node *b,
                 expr_node **out)
{
    expr_node *n = node_new(p, kind, pos, 2);
    if (!n)
        return DELTA_ENOMEM;
    n->args[0] = a;
    n->args[1] = b;
    *out = n;
    return 0;
}

/* A growable list of nodes during parsing (moved into the arena after). */
typedef struct nlist {
    expr_node **v;
    uint32_t n, cap;
} nlist;

static int nlist_push(nlist *l, expr_node *x)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        expr_node **v = delta_reallocarray(l->v, cap, sizeof *v);
        if (!v)
            return DELTA_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return 0;
}

static int nlist_to_node(parser *p, nlist *l, expr_kind kind, uint32_t pos, expr_node **out)
{
    expr_node *n = node_new(p, kind, pos, l->n);
    if (!n)
        return DELTA_ENOMEM;
    for (uint32_t k = 0; k < l->n; k++)
        n->args[k] = l->v[k];
    *out = n;
    return 0;
}

static int parse_expr(parser *p, expr_node **out);
static int parse_additive(parser *p, expr_node **out);
static int parse_unary(parser *p, expr_node **out);

/* ---- numbers ------------------------------------------------------------ */

static unsigned digits_of(expr_i128 v)
{
    unsigned d = 1;
    if (v < 0)
        v = -v;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

static int set_double(parser *p, const token *t, const char *text, bool neg, expr_node *n)
{
    char buf[128];
    size_t l = strlen(text);
    if (l >= sizeof buf - 2)
        l = sizeof buf - 2;
    buf[0] = '-';
    memcpy(buf + 1, text, l);
    buf[l + 1] = '\0';
    errno = 0;
    char *end;
    double d = strtod(neg ? buf : buf + 1, &end);
    if (*end || isinf(d)) /* underflow rounds to a subnormal or zero */
        return delta_error_set(DELTA_EINVAL,
                               "at position %u: expected a number in the range of double, found '%.*s'",
                               t->pos, (int)t->len, t->start);
    n->ts.id = DT_FLOAT64;
    n->val.d = d;
    (void)p;
    return 0;
}

/* Parses the number token t (with a folded sign) into literal n. */
static int number_literal(parser *p, const token *t, bool neg, expr_node *n)
{
    char text[128];
    size_t len = t->len;
    if (len >= sizeof text)
        return delta_error_set(DELTA_EINVAL, "at position %u: expected a number, found a %zu-character token",
                               t->pos, len);
    memcpy(text, t->start, len);
    text[len] = '\0';
    /* suffix */
    char suffix = 0;
    if (len >= 2 && strcasecmp(text + len - 2, "bd") == 0) {
        suffix = 'B';
        text[len - 2] = '\0';
    } else if (len >= 1 && strchr("YySsLlFfDd", text[len - 1])) {
        suffix = (char)toupper((unsigned char)text[len - 1]);
        text[len - 1] = '\0';
    }
    bool has_exp = strpbrk(text, "eE") != NULL;
    bool has_point = strchr(text, '.') != NULL;
    n->kind = EX_LIT;
    if (suffix == 'D' || suffix == 'F' || (has_exp && suffix != 'B')) {
        int rc = set_double(p, t, text, neg, n);
        if (rc)
            return rc;
        if (suffix == 'F') {
            n->ts.id = DT_FLOAT32;
            if (fabs(n->val.d) >= 3.4028235677973366e38) /* rounds to infinity */
                return delta_error_set(DELTA_EINVAL, "at position %u: expected a float, found '%s' out of range",
                                       t->pos, text);
            n->val.d = (double)(float)n->val.d;
        }
        return 0;
    }
    if (has_exp) /* BD with exponent */
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "at position %u: decimal literal with an exponent is not supported: '%.*s'",
                               t->pos, (int)t->len, t->start);
    /* digits, optional point: unscaled value and scale */
    expr_i128 v = 0;
    unsigned scale = 0, ndig = 0;
    bool after = false, too_big = false;
    for (const char *c = text; *c; c++) {
        if (*c == '.') {
            after = true;
            continue;
        }
        if (v > 0 || *c != '0')
            ndig++;
        if (ndig > 38) {
            too_big = true;
            break;
        }
        v = v * 10 + (*c - '0');
        if (after)
            scale++;
    }
    if (too_big) {
        if (has_point || suffix == 0) {
            if (suffix == 0 && !has_point)
                return delta_error_set(DELTA_EINVAL,
                                       "at position %u: expected a number of at most 38 digits, found '%s'",
                                       t->pos, text);
            return set_double(p, t, text, neg, n); /* Spark: too precise -> double */
        }
        return delta_error_set(DELTA_EINVAL,
                               "at position %u: expected a number of at most 38 digits, found '%s'",
                               t->pos, text);
    }
    if (neg)
        v = -v;
    if (has_point || suffix == 'B') {
        unsigned prec = digits_of(v);
        if (prec < scale)
            prec = scale;
        if (prec == 0)
            prec = 1;
        n->ts.id = DT_DECIMAL;
        n->ts.precision = (uint8_t)prec;
        n->ts.scale = (uint8_t)scale;
        n->val.dec = v;
        return 0;
    }
    int64_t lo, hi;
    dtype_id id;
    switch (suffix) {
    case 'Y': id = DT_INT8, lo = INT8_MIN, hi = INT8_MAX; break;
    case 'S': id = DT_INT16, lo = INT16_MIN, hi = INT16_MAX; break;
    case 'L': id = DT_INT64, lo = INT64_MIN, hi = INT64_MAX; break;
    default:
        if (v >= INT32_MIN && v <= INT32_MAX) {
            id = DT_INT32;
        } else if (v >= INT64_MIN && v <= INT64_MAX) {
            id = DT_INT64;
        } else {
            n->ts.id = DT_DECIMAL;
            n->ts.precision = (uint8_t)digits_of(v);
            n->ts.scale = 0;
            n->val.dec = v;
            return 0;
        }
        lo = INT64_MIN, hi = INT64_MAX;
        break;
    }
    if (v < lo || v > hi)
        return delta_error_set(DELTA_EINVAL,
                               "at position %u: expected a value in range [%lld, %lld] for the %c suffix, found '%s%s'",
                               t->pos, (long long)lo, (long long)hi, suffix, neg ? "-" : "", text);
    n->ts.id = id;
    n->val.i = (int64_t)v;
    return 0;
}

/* ---- types -------------------------------------------------------------- */

static int parse_type(parser *p, expr_typespec *ts)
{
    const token *t = peek(p, 0);
    if (t->type != T_IDENT)
        return fail_expected(p, "a type name");
    static const struct {
        const char *name;
        dtype_id id;
    } names[] = {{"boolean", DT_BOOL},   {"bool", DT_BOOL},        {"tinyint", DT_INT8},
                 {"byte", DT_INT8},      {"smallint", DT_INT16},   {"short", DT_INT16},
                 {"int", DT_INT32},      {"integer", DT_INT32},    {"bigint", DT_INT64},
                 {"long", DT_INT64},     {"float", DT_FLOAT32},    {"real", DT_FLOAT32},
                 {"double", DT_FLOAT64}, {"decimal", DT_DECIMAL},  {"dec", DT_DECIMAL},
                 {"numeric", DT_DECIMAL}, {"string", DT_STRING},   {"varchar", DT_STRING},
                 {"char", DT_STRING},    {"binary", DT_BINARY},    {"date", DT_DATE32},
                 {"timestamp", DT_TIMESTAMP}, {"timestamp_ltz", DT_TIMESTAMP},
                 {"timestamp_ntz", DT_TIMESTAMP}, {NULL, DT_NULL}};
    int k;
    for (k = 0; names[k].name; k++)
        if (tok_is_kw(t, names[k].name))
            break;
    if (!names[k].name)
        return fail_expected(p, "a type name (boolean, tinyint, smallint, int, bigint, float, "
                                "double, decimal(p,s), string, binary, date, timestamp, "
                                "timestamp_ntz)");
    memset(ts, 0, sizeof *ts);
    ts->id = names[k].id;
    ts->utc = !tok_is_kw(t, "timestamp_ntz");
    bool is_char = tok_is_kw(t, "varchar") || tok_is_kw(t, "char");
    p->i++;
    if (ts->id == DT_DECIMAL) {
        unsigned prec = 10, scale = 0;
        if (accept_op(p, "(")) {
            const token *a = peek(p, 0);
            if (a->type != T_NUMBER || a->len > 2 || !isdigit((unsigned char)a->start[0]) ||
                (a->len == 2 && !isdigit((unsigned char)a->start[1])))
                return fail_expected(p, "a decimal precision 1..38");
            prec = (unsigned)atoi(a->start);
            p->i++;
            if (accept_op(p, ",")) {
                a = peek(p, 0);
                if (a->type != T_NUMBER || a->len > 2 || !isdigit((unsigned char)a->start[0]) ||
                    (a->len == 2 && !isdigit((unsigned char)a->start[1])))
                    return fail_expected(p, "a decimal scale");
                scale = (unsigned)atoi(a->start);
                p->i++;
            }
            int rc = expect_op(p, ")");
            if (rc)
                return rc;
            if (prec < 1 || prec > 38 || scale > prec)
                return delta_error_set(DELTA_EINVAL,
                                       "at position %u: expected decimal precision 1..38 and scale 0..precision, found decimal(%u,%u)",
                                       t->pos, prec, scale);
        }
        ts->precision = (uint8_t)prec;
        ts->scale = (uint8_t)scale;
    } else if (is_char) {
        if (accept_op(p, "(")) {
            if (peek(p, 0)->type != T_NUMBER)
                return fail_expected(p, "a length");
            p->i++;
            int rc = expect_op(p, ")");
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* ---- primary ------------------------------------------------------------ */

static int typed_literal(parser *p, const token *kw, const token *str, expr_node **out)
{
    expr_node *n = node_new(p, EX_LIT, kw->pos, 0);
    if (!n)
        return DELTA_ENOMEM;
    const char *s = str->str;
    if (strlen(s) != str->str_len)
        return delta_error_set(DELTA_EINVAL, "at position %u: expected a date or timestamp, found a NUL byte",
                               str->pos);
    int rc;
    if (tok_is_kw(kw, "date")) {
        int32_t days;
        rc = dtime_parse_date(s, &days);
        if (rc)
            return delta_error_prefix(rc, "at position %u: ", str->pos);
        n->ts.id = DT_DATE32;
        n->val.i = days;
    } else if (tok_is_kw(kw, "timestamp_ntz")) {
        int64_t us;
        rc = dtime_parse_local(s, &us);
        if (rc)
            return delta_error_prefix(rc, "at position %u: ", str->pos);
        n->ts.id = DT_TIMESTAMP;
        n->ts.utc = false;
        n->val.i = us;
    } else {
        /* TIMESTAMP: an instant; without an offset the session time zone,
         * which is UTC in this engine */
        int64_t us;
        rc = dtime_parse_instant(s, &us);
        if (rc)
            return delta_error_prefix(rc, "at position %u: ", str->pos);
        n->ts.id = DT_TIMESTAMP;
        n->ts.utc = true;
        n->val.i = us;
    }
    *out = n;
    return 0;
}

static int parse_case(parser *p, uint32_t pos, expr_node **out)
{
    nlist l = {0};
    expr_node *operand = NULL, *x;
    int rc = 0;
    if (tok_is_kw(peek(p, 0), "end") || tok_is_kw(peek(p, 0), "else"))
        return fail_expected(p, "WHEN");
    if (!tok_is_kw(peek(p, 0), "when")) {
        rc = parse_expr(p, &operand);
        if (rc)
            goto done;
    }
    if (!tok_is_kw(peek(p, 0), "when")) {
        rc = fail_expected(p, "WHEN");
        goto done;
    }
    while (accept_kw(p, "when")) {
        uint32_t wpos = peek(p, 0)->pos;
        if ((rc = parse_expr(p, &x)))
            goto done;
        if (operand && (rc = node2(p, EX_EQ, wpos, operand, x, &x)))
            goto done;
        if ((rc = nlist_push(&l, x)) || (rc = expect_kw(p, "then")) || (rc = parse_expr(p, &x)) ||
            (rc = nlist_push(&l, x)))
            goto done;
    }
    if (accept_kw(p, "else")) {
        if ((rc = parse_expr(p, &x)) || (rc = nlist_push(&l, x)))
            goto done;
    }
    if ((rc = expect_kw(p, "end")))
        goto done;
    rc = nlist_to_node(p, &l, EX_CASE, pos, out);
done:
    delta_free(l.v);
    return rc;
}

static int parse_primary(parser *p, expr_node **out)
{
    const token *t = peek(p, 0);
    expr_node *n;
    int rc;
    switch (t->type) {
    case T_NUMBER:
        n = node_new(p, EX_LIT, t->pos, 0);
        if (!n)
            return DELTA_ENOMEM;
        p->i++;
        if ((rc = number_literal(p, t, false, n)))
            return rc;
        *out = n;
        return 0;
    case T_STRING:
    case T_BINARY:
        n = node_new(p, EX_LIT, t->pos, 0);
        if (!n)
            return DELTA_ENOMEM;
        n->ts.id = t->type == T_STRING ? DT_STRING : DT_BINARY;
        n->val.bytes = (const uint8_t *)t->str;
        n->val.len = t->str_len;
        p->i++;
        *out = n;
        return 0;
    case T_OP:
        if (tok_is_op(t, "(")) {
            p->i++;
            if ((rc = parse_expr(p, out)))
                return rc;
            return expect_op(p, ")");
        }
        return fail_expected(p, "an expression");
    case T_EOF:
        return fail_expected(p, "an expression");
    default:
        break;
    }
    /* identifiers and keywords */
    if (t->type == T_IDENT) {
        if (tok_is_kw(t, "null") || tok_is_kw(t, "true") || tok_is_kw(t, "false")) {
            n = node_new(p, EX_LIT, t->pos, 0);
            if (!n)
                return DELTA_ENOMEM;
            if (tok_is_kw(t, "null")) {
                n->ts.id = DT_NULL;
                n->val.is_null = true;
            } else {
                n->ts.id = DT_BOOL;
                n->val.b = tok_is_kw(t, "true");
            }
            p->i++;
            *out = n;
            return 0;
        }
        if ((tok_is_kw(t, "date") || tok_is_kw(t, "timestamp") || tok_is_kw(t, "timestamp_ntz") ||
             tok_is_kw(t, "timestamp_ltz")) &&
            peek(p, 1)->type == T_STRING) {
            const token *str = peek(p, 1);
            p->i += 2;
            return typed_literal(p, t, str, out);
        }
        if (tok_is_kw(t, "case")) {
            p->i++;
            return parse_case(p, t->pos, out);
        }
        if (tok_is_kw(t, "cast")) {
            p->i++;
            if ((rc = expect_op(p, "(")))
                return rc;
            n = node_new(p, EX_CAST, t->pos, 1);
            if (!n)
                return DELTA_ENOMEM;
            if ((rc = parse_expr(p, &n->args[0])) || (rc = expect_kw(p, "as")) ||
                (rc = parse_type(p, &n->ts)) || (rc = expect_op(p, ")")))
                return rc;
            *out = n;
            return 0;
        }
        if (expr_is_keyword(t->start, t->len))
            return fail_expected(p, "an expression");
        /* function call */
        if (tok_is_op(peek(p, 1), "(")) {
            nlist l = {0};
            p->i += 2;
            rc = 0;
            if (!tok_is_op(peek(p, 0), ")")) {
                do {
                    expr_node *a;
                    if ((rc = parse_expr(p, &a)) || (rc = nlist_push(&l, a)))
                        break;
                } while (accept_op(p, ","));
            }
            if (!rc)
                rc = expect_op(p, ")");
            if (!rc)
                rc = nlist_to_node(p, &l, EX_FUNC, t->pos, &n);
            delta_free(l.v);
            if (rc)
                return rc;
            n->name = darena_strndup(&p->e->arena, t->start, t->len);
            if (!n->name)
                return DELTA_ENOMEM;
            *out = n;
            return 0;
        }
        if (tok_is_kw(t, "current_date") || tok_is_kw(t, "current_timestamp")) {
            n = node_new(p, EX_FUNC, t->pos, 0);
            if (!n || !(n->name = darena_strndup(&p->e->arena, t->start, t->len)))
                return DELTA_ENOMEM;
            p->i++;
            *out = n;
            return 0;
        }
    }
    /* column reference: name ( . name )* */
    if (t->type != T_IDENT && t->type != T_QIDENT)
        return fail_expected(p, "an expression");
    char *names[64];
    uint32_t nn = 0;
    for (;;) {
        const token *c = peek(p, 0);
        if (c->type == T_QIDENT) {
            names[nn] = c->str;
        } else if (c->type == T_IDENT && !expr_is_keyword(c->start, c->len)) {
            names[nn] = darena_strndup(&p->e->arena, c->start, c->len);
            if (!names[nn])
                return DELTA_ENOMEM;
        } else {
            return fail_expected(p, "a column or field name");
        }
        nn++;
        p->i++;
        if (!tok_is_op(peek(p, 0), "."))
            break;
        if (nn == 64)
            return delta_error_set(DELTA_EINVAL, "at position %u: expected at most 64 nested names",
                                   t->pos);
        p->i++;
    }
    n = node_new(p, EX_COL, t->pos, 0);
    if (!n)
        return DELTA_ENOMEM;
    n->names = darena_calloc(&p->e->arena, nn, sizeof(char *));
    if (!n->names)
        return DELTA_ENOMEM;
    memcpy(n->names, names, nn * sizeof(char *));
    n->nnames = nn;
    *out = n;
    return 0;
}

static int parse_unary(parser *p, expr_node **out)
{
    const token *t = peek(p, 0);
    int rc;
    if (++p->depth > MAX_DEPTH)
        return delta_error_set(DELTA_EINVAL, "at position %u: expected an expression nested at most %d deep",
                               t->pos, MAX_DEPTH);
    if (tok_is_op(t, "-") || tok_is_op(t, "+")) {
        bool neg = tok_is_op(t, "-");
        const token *num = peek(p, 1);
        if (num->type == T_NUMBER) {
            expr_node *n = node_new(p, EX_LIT, t->pos, 0);
            if (!n)
                return DELTA_ENOMEM;
            p->i += 2;
            rc = number_literal(p, num, neg, n);
            *out = n;
            p->depth--;
            return rc;
        }
        p->i++;
        expr_node *x;
        if ((rc = parse_unary(p, &x)))
            return rc;
        if (neg) {
            expr_node *n = node_new(p, EX_NEG, t->pos, 1);
            if (!n)
                return DELTA_ENOMEM;
            n->args[0] = x;
            x = n;
        }
        *out = x;
        p->depth--;
        return 0;
    }
    rc = parse_primary(p, out);
    p->depth--;
    return rc;
}

static int parse_multiplicative(parser *p, expr_node **out)
{
    expr_node *l, *r;
    int rc = parse_unary(p, &l);
    if (rc)
        return rc;
    for (;;) {
        const token *t = peek(p, 0);
        expr_kind k;
        if (tok_is_op(t, "*"))
            k = EX_MUL;
        else if (tok_is_op(t, "/"))
            k = EX_DIV;
        else if (tok_is_op(t, "%"))
            k = EX_MOD;
        else
            break;
        p->i++;
        if ((rc = parse_unary(p, &r)) || (rc = node2(p, k, t->pos, l, r, &l)))
            return rc;
    }
    *out = l;
    return 0;
}

static int parse_additive(parser *p, expr_node **out)
{
    expr_node *l, *r;
    int rc = parse_multiplicative(p, &l);
    if (rc)
        return rc;
    for (;;) {
        const token *t = peek(p, 0);
        expr_kind k;
        if (tok_is_op(t, "+"))
            k = EX_ADD;
        else if (tok_is_op(t, "-"))
            k = EX_SUB;
        else if (tok_is_op(t, "||"))
            k = EX_CONCAT;
        else
            break;
        p->i++;
        if ((rc = parse_multiplicative(p, &r)) || (rc = node2(p, k, t->pos, l, r, &l)))
            return rc;
    }
    *out = l;
    return 0;
}

static int wrap_not(parser *p, uint32_t pos, expr_node **x)
{
    expr_node *n = node_new(p, EX_NOT, pos, 1);
    if (!n)
        return DELTA_ENOMEM;
    n->args[0] = *x;
    *x = n;
    return 0;
}

static int parse_predicate(parser *p, expr_node **out)
{
    expr_node *l, *r;
    int rc = parse_additive(p, &l);
    if (rc)
        return rc;
    for (;;) {
        const token *t = peek(p, 0);
        static const struct {
            const char *op;
            expr_kind k;
        } cmps[] = {{"=", EX_EQ}, {"==", EX_EQ}, {"<>", EX_NE}, {"!=", EX_NE}, {"<", EX_LT},
                    {"<=", EX_LE}, {">", EX_GT}, {">=", EX_GE}, {"<=>", EX_EQNS}, {NULL, EX_LIT}};
        int k;
        for (k = 0; cmps[k].op; k++)
            if (tok_is_op(t, cmps[k].op))
                break;
        if (cmps[k].op) {
            p->i++;
            if ((rc = parse_additive(p, &r)) || (rc = node2(p, cmps[k].k, t->pos, l, r, &l)))
                return rc;
            continue;
        }
        if (tok_is_kw(t, "is")) {
            p->i++;
            bool neg = accept_kw(p, "not");
            if (accept_kw(p, "null")) {
                expr_node *n = node_new(p, EX_ISNULL, t->pos, 1);
                if (!n)
                    return DELTA_ENOMEM;
                n->args[0] = l;
                n->negated = neg;
                l = n;
                continue;
            }
            if (accept_kw(p, "distinct")) {
                if ((rc = expect_kw(p, "from")) || (rc = parse_additive(p, &r)) ||
                    (rc = node2(p, EX_EQNS, t->pos, l, r, &l)))
                    return rc;
                if (!neg && (rc = wrap_not(p, t->pos, &l)))
                    return rc;
                continue;
            }
            if (tok_is_kw(peek(p, 0), "true") || tok_is_kw(peek(p, 0), "false")) {
                /* x IS [NOT] TRUE  ==  (x <=> TRUE) [negated] */
                const token *b = peek(p, 0);
                expr_node *lit = node_new(p, EX_LIT, b->pos, 0);
                if (!lit)
                    return DELTA_ENOMEM;
                lit->ts.id = DT_BOOL;
                lit->val.b = tok_is_kw(b, "true");
                p->i++;
                if ((rc = node2(p, EX_EQNS, t->pos, l, lit, &l)))
                    return rc;
                if (neg && (rc = wrap_not(p, t->pos, &l)))
                    return rc;
                continue;
            }
            return fail_expected(p, "NULL, NOT NULL, TRUE, FALSE or DISTINCT FROM after IS");
        }
        bool neg = false;
        size_t save = p->i;
        if (tok_is_kw(t, "not")) {
            const token *n2 = peek(p, 1);
            if (tok_is_kw(n2, "in") || tok_is_kw(n2, "between") || tok_is_kw(n2, "like")) {
                neg = true;
                p->i++;
            }
        }
        const token *kw = peek(p, 0);
        if (tok_is_kw(kw, "in")) {
            p->i++;
            nlist lst = {0};
            rc = nlist_push(&lst, l);
            if (!rc)
                rc = expect_op(p, "(");
            if (!rc) {
                do {
                    expr_node *a;
                    if ((rc = parse_expr(p, &a)) || (rc = nlist_push(&lst, a)))
                        break;
                } while (accept_op(p, ","));
            }
            if (!rc)
                rc = expect_op(p, ")");
            if (!rc)
                rc = nlist_to_node(p, &lst, EX_IN, t->pos, &l);
            delta_free(lst.v);
            if (rc)
                return rc;
            l->negated = neg;
            continue;
        }
        if (tok_is_kw(kw, "between")) {
            p->i++;
            expr_node *lo, *hi;
            if ((rc = parse_additive(p, &lo)) || (rc = expect_kw(p, "and")) ||
                (rc = parse_additive(p, &hi)))
                return rc;
            expr_node *n = node_new(p, EX_BETWEEN, t->pos, 3);
            if (!n)
                return DELTA_ENOMEM;
            n->args[0] = l;
            n->args[1] = lo;
            n->args[2] = hi;
            n->negated = neg;
            l = n;
            continue;
        }
        if (tok_is_kw(kw, "like")) {
            p->i++;
            expr_node *pat;
            if ((rc = parse_additive(p, &pat)) || (rc = node2(p, EX_LIKE, t->pos, l, pat, &l)))
                return rc;
            l->negated = neg;
            if (accept_kw(p, "escape")) {
                const token *e = peek(p, 0);
                if (e->type != T_STRING || e->str_len != 1)
                    return fail_expected(p, "a one-character string after ESCAPE");
                l->escape = (uint8_t)e->str[0];
                p->i++;
            }
            continue;
        }
        p->i = save;
        break;
    }
    *out = l;
    return 0;
}

static int parse_not(parser *p, expr_node **out)
{
    const token *t = peek(p, 0);
    if (tok_is_kw(t, "not")) {
        p->i++;
        if (++p->depth > MAX_DEPTH)
            return delta_error_set(DELTA_EINVAL, "at position %u: expected an expression nested at most %d deep",
                                   t->pos, MAX_DEPTH);
        expr_node *x;
        int rc = parse_not(p, &x);
        p->depth--;
        if (rc || (rc = wrap_not(p, t->pos, &x)))
            return rc;
        *out = x;
        return 0;
    }
    return parse_predicate(p, out);
}

static int parse_and(parser *p, expr_node **out)
{
    expr_node *l, *r;
    int rc = parse_not(p, &l);
    if (rc)
        return rc;
    for (;;) {
        const token *t = peek(p, 0);
        if (!tok_is_kw(t, "and"))
            break;
        p->i++;
        if ((rc = parse_not(p, &r)) || (rc = node2(p, EX_AND, t->pos, l, r, &l)))
            return rc;
    }
    *out = l;
    return 0;
}

static int parse_expr(parser *p, expr_node **out)
{
    expr_node *l, *r;
    if (++p->depth > MAX_DEPTH)
        return delta_error_set(DELTA_EINVAL, "at position %u: expected an expression nested at most %d deep",
                               peek(p, 0)->pos, MAX_DEPTH);
    int rc = parse_and(p, &l);
    if (rc)
        return rc;
    for (;;) {
        const token *t = peek(p, 0);
        if (!tok_is_kw(t, "or"))
            break;
        p->i++;
        if ((rc = parse_and(p, &r)) || (rc = node2(p, EX_OR, t->pos, l, r, &l)))
            return rc;
    }
    p->depth--;
    *out = l;
    return 0;
}

int expr_parse(expr **out, const char *text)
{
    *out = NULL;
    if (!text)
        return delta_error_set(DELTA_EINVAL, "expression: text is NULL");
    expr *e = delta_calloc(1, sizeof *e);
    if (!e)
        return DELTA_ENOMEM;
    parser p = {0};
    p.e = e;
    int rc;
    e->text = darena_strdup(&e->arena, text);
    if (!e->text) {
        rc = DELTA_ENOMEM;
        goto fail;
    }
    p.text = e->text;
    if ((rc = lex(&p)))
        goto fail;
    if (peek(&p, 0)->type == T_EOF) {
        rc = delta_error_set(DELTA_EINVAL, "at position 1: expected an expression, found end of input");
        goto fail;
    }
    if ((rc = parse_expr(&p, &e->root)))
        goto fail;
    if (peek(&p, 0)->type != T_EOF) {
        rc = fail_expected(&p, "an operator or end of input");
        goto fail;
    }
    delta_free(p.toks);
    *out = e;
    return 0;
fail:
    delta_free(p.toks);
    darena_free(&e->arena);
    delta_free(e);
    return rc;
}

void expr_node_release(expr_node *n)
{
    if (!n)
        return;
    for (uint32_t k = 0; k < n->nargs; k++)
        expr_node_release(n->args[k]);
    if (n->type) {
        dtype_unref(n->type);
        n->type = NULL;
    }
}

void expr_free(expr *e)
{
    if (!e)
        return;
    if (e->bound)
        expr_node_release(e->root);
    darena_free(&e->arena);
    delta_free(e);
}
