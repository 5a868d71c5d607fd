/*
 * MERGE: upserts from a source into a table (rules in delta/dml.h, engine
 * in dml.h).
 *
 * The source is read once into memory: its rows as one batch, and a hash
 * of its join keys. The join keys are the top-level conjuncts of the ON
 * condition of the form T = S where T names only the target and S only
 * the source; without any, every target row is compared with every
 * source row (in bounded chunks). Candidate pairs from the hash are then
 * checked with the whole ON condition, so hash collisions and the other
 * conjuncts cost nothing in correctness.
 *
 * Target files are chosen by a predicate made from the source's keys
 * (their range per key column, or the list of values for a partition
 * column), so files that cannot hold a match are neither read nor
 * rewritten; with WHEN NOT MATCHED BY SOURCE clauses every file is a
 * candidate. Pass 1 (probe) reads the candidates' join and condition
 * columns, marks the source rows that matched, finds the files that
 * change and refuses a target row matched by several source rows (unless
 * the only WHEN MATCHED clause is an unconditional DELETE, or there is
 * none). Pass 2 rewrites those files; the
 * source rows no target row matched then go through the WHEN NOT MATCHED
 * clauses.
 *
 * Scopes: the ON condition and WHEN MATCHED clauses see the target (scope
 * 0) and the source (scope 1); WHEN NOT MATCHED clauses the source only;
 * WHEN NOT MATCHED BY SOURCE clauses the target only (Delta's rules).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <delta/dml.h>

#include "columnar/vector.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/hashmap.h"
#include "core/str.h"
#include "expr/expr.h"
#include "expr/expr_internal.h"
#include "log/actions.h"
#include "log/schema.h"
#include "log/snapshot.h"
#include "ops/dml.h"
#include "table/conform.h"
#include "table/predicate.h"
#include "table/scan.h"
#include "table/write.h"

/* Candidate pairs checked with the ON condition at a time. */
#define PAIR_CHUNK 65536

typedef struct mclause {
    delta_merge_when when;
    delta_merge_action action;
    expr *cond; /* or NULL */
    expr **set; /* UPDATE, INSERT: per target column, or NULL */
} mclause;

typedef struct merge_op {
    const dlog_snapshot *snap;
    const char *uri;
    const char *talias, *salias;
    dtype *sschema;
    dvec *src; /* every source row */
    int64_t nsrc;
    expr *on;
    uint32_t nkeys;
    const expr_node **tkey, **skey;
    int64_t *head, *next; /* hash chains over source rows */
    uint64_t mask;
    uint8_t *matched; /* per source row */
    mclause *cl;
    size_t ncl;
    bool has_matched, has_nmbs, has_insert, delete_only_matched;
    bool *needed;          /* target columns the probe reads */
    bool *on_tgt, *on_src; /* columns the ON condition names */
    bool *use_src;         /* source columns WHEN MATCHED clauses name */
    bool *partition;
    dml_job *job;
    dtab_pred pred;
    bool has_pred;
    char *pred_text;
    /* per decide call scratch */
    int64_t *first, *count;
    size_t cap;
} merge_op;

/* ---- source ------------------------------------------------------------- */

static int load_source(merge_op *o, dstream *in)
{
    o->sschema = dtype_ref(in->schema);
    int rc = dbatch_new(&o->src, in->schema);
    while (!rc) {
        dvec *b = NULL;
        if ((rc = in->next(in, &b)) || !b)
            break;
        rc = dvec_append_range(o->src, b, 0, b->length);
        dvec_unref(b);
    }
    if (rc)
        return delta_error_prefix(rc, "MERGE into %s: reading the source: ", o->uri);
    o->nsrc = o->src->length;
    return 0;
}

/* Schema evolution: the source's top-level columns the table lacks,
 * appended (nullable) to a copy of the table schema; *out stays NULL
 * when there are none. */
static int evolve_schema(merge_op *o, dtype **out)
{
    *out = NULL;
    const dtype *st = o->snap->schema, *ss = o->sschema;
    uint32_t n = st->num_fields, extra = 0;
    for (uint32_t i = 0; i < ss->num_fields; i++)
        if (dtype_field_index(st, ss->fields[i].name, true) < 0)
            extra++;
    if (!extra)
        return 0;
    dfield *f = delta_calloc(n + extra, sizeof *f);
    if (!f)
        return DELTA_ENOMEM;
    int rc = 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n && !rc; i++, k++) {
        const dfield *src = &st->fields[i];
        if (!(rc = dfield_init(&f[k], src->name, dtype_ref(src->type), src->nullable))) {
            f[k].id = src->id;
            if (src->metadata && !(f[k].metadata = delta_strdup(src->metadata)))
                rc = DELTA_ENOMEM;
        }
    }
    for (uint32_t i = 0; i < ss->num_fields && !rc; i++) {
        const dfield *src = &ss->fields[i];
        if (dtype_field_index(st, src->name, true) >= 0)
            continue;
        if (src->type->id == DT_NULL) {
            rc = delta_error_set(DELTA_EINVAL,
                                 "MERGE into %s: new source column '%s' has no "
                                 "type (every value is null)",
                                 o->uri, src->name);
            break;
        }
        rc = dfield_init(&f[k++], src->name, dtype_ref(src->type), true);
    }
    dtype *t = rc ? NULL : dtype_new_struct(f, k);
    if (!rc && !t)
        rc = delta_error_last_code();
    if (rc) {
        for (uint32_t i = 0; i < k; i++)
            dfield_clear(&f[i]);
    }
    delta_free(f);
    *out = t;
    return rc;
}

static int open_source(merge_op *o, const delta_merge_options *mo, dstream **in, delta_store **fs,
                       delta_store **ts, dlog_snapshot **ssnap)
{
    int rc;
    if (mo->source_path) {
        dtab_input_format fmt;
        if ((rc = dtab_input_format_of(mo->source_format, mo->source_path, &fmt)))
            return delta_error_prefix(rc, "MERGE into %s: source %s: ", o->uri, mo->source_path);
        const char *path = mo->source_path;
        const char *slash = strrchr(path, '/');
        char *dir = slash ? delta_strndup(path, (size_t)(slash - path + 1)) : delta_strdup(".");
        if (!dir)
            return DELTA_ENOMEM;
        rc = delta_store_open(fs, dir);
        delta_free(dir);
        /* text formats take the table's types for its columns, other
         * columns typed from their values */
        if (!rc)
            rc = dtab_input_open(in, *fs, slash ? slash + 1 : path, path, fmt, o->snap->schema,
                                 true, 8192);
        return rc;
    }
    if (!mo->source_table)
        return delta_error_set(DELTA_EINVAL, "MERGE into %s: no source (a file or a table)",
                               o->uri);
    if ((rc = delta_store_open(ts, delta_table_uri(mo->source_table))) ||
        (rc = dlog_snapshot_open(ssnap, *ts, NULL)))
        return delta_error_prefix(rc, "MERGE into %s: source table: ", o->uri);
    dtab_scan_opts so = DTAB_SCAN_OPTS_INIT;
    return dtab_scan_open(in, *ssnap, &so);
}

/* ---- binding ------------------------------------------------------------ */

static bool refs_scope(const expr_node *n, int32_t scope)
{
    if (n->kind == EX_COL && n->scope == scope)
        return true;
    for (uint32_t i = 0; i < n->nargs; i++)
        if (refs_scope(n->args[i], scope))
            return true;
    return false;
}

static void mark_columns(const expr_node *n, int32_t scope, bool *needed)
{
    if (n->kind == EX_COL && n->scope == scope && n->depth > 0)
        needed[n->path[0]] = true;
    for (uint32_t i = 0; i < n->nargs; i++)
        mark_columns(n->args[i], scope, needed);
}

/* The join keys: top-level conjuncts T = S. */
static int find_keys(merge_op *o, const expr_node *n)
{
    if (n->kind == EX_AND) {
        int rc = find_keys(o, n->args[0]);
        return rc ? rc : find_keys(o, n->args[1]);
    }
    if (n->kind != EX_EQ)
        return 0;
    const expr_node *a = n->args[0], *b = n->args[1];
    bool at = refs_scope(a, 0), as = refs_scope(a, 1), bt = refs_scope(b, 0), bs = refs_scope(b, 1);
    const expr_node *t = NULL, *s = NULL;
    if (at && !as && bs && !bt) {
        t = a;
        s = b;
    } else if (bt && !bs && as && !at) {
        t = b;
        s = a;
    } else {
        return 0;
    }
    const expr_node **nt = delta_realloc(o->tkey, (o->nkeys + 1) * sizeof *nt);
    if (!nt)
        return DELTA_ENOMEM;
    o->tkey = nt;
    const expr_node **ns = delta_realloc(o->skey, (o->nkeys + 1) * sizeof *ns);
    if (!ns)
        return DELTA_ENOMEM;
    o->skey = ns;
    o->tkey[o->nkeys] = t;
    o->skey[o->nkeys] = s;
    o->nkeys++;
    return 0;
}

static int bind_cond(merge_op *o, const char *text, const char *what, const expr_scope *sc,
                     uint32_t nsc, expr **out)
{
    int rc = expr_parse(out, text);
    if (!rc)
        rc = expr_bind(*out, sc, nsc);
    if (!rc && (*out)->root->type->id != DT_BOOL && (*out)->root->type->id != DT_NULL)
        rc = delta_error_set(DELTA_ETYPE, "'%s' is not a boolean condition", text);
    if (rc)
        return delta_error_prefix(rc == DELTA_ENOMEM ? rc : DELTA_EINVAL,
                                  "MERGE into %s: %s: ", o->uri, what);
    return 0;
}

static void quote_ident(dbuf *b, const char *s)
{
    dbuf_putc(b, '`');
    for (; *s; s++) {
        if (*s == '`')
            dbuf_putc(b, '`');
        dbuf_putc(b, *s);
    }
    dbuf_putc(b, '`');
}

/* "`col` = `source`.`col`, ..." for the target columns the source has. */
static int all_assignments(merge_op *o, dbuf *out)
{
    const dtype *st = o->snap->schema;
    size_t n = 0;
    for (uint32_t i = 0; i < st->num_fields; i++) {
        int k = dtype_field_index(o->sschema, st->fields[i].name, false);
        if (k < 0)
            k = dtype_field_index(o->sschema, st->fields[i].name, true);
        if (k < 0)
            continue;
        if (n++)
            dbuf_puts(out, ", ");
        quote_ident(out, st->fields[i].name);
        dbuf_puts(out, " = ");
        quote_ident(out, o->salias);
        dbuf_putc(out, '.');
        quote_ident(out, o->sschema->fields[k].name);
    }
    if (!n)
        return delta_error_set(DELTA_EINVAL,
                               "MERGE into %s: the source has none of the target's "
                               "columns (for an *-all clause)",
                               o->uri);
    return out->err;
}

static const char *clause_name(const delta_merge_clause *c)
{
    static const char *names[3][5] = {
        {"WHEN MATCHED UPDATE", "WHEN MATCHED UPDATE *", "WHEN MATCHED DELETE",
         "WHEN MATCHED INSERT", "WHEN MATCHED INSERT *"},
        {"WHEN NOT MATCHED UPDATE", "WHEN NOT MATCHED UPDATE *", "WHEN NOT MATCHED DELETE",
         "WHEN NOT MATCHED INSERT", "WHEN NOT MATCHED INSERT *"},
        {"WHEN NOT MATCHED BY SOURCE UPDATE", "WHEN NOT MATCHED BY SOURCE UPDATE *",
         "WHEN NOT MATCHED BY SOURCE DELETE", "WHEN NOT MATCHED BY SOURCE INSERT",
         "WHEN NOT MATCHED BY SOURCE INSERT *"}};
    return names[c->when][c->action];
}

static int bind_clauses(merge_op *o, const delta_merge_options *mo)
{
    const dtype *st = o->snap->schema;
    expr_scope both[2] = {{o->talias, st}, {o->salias, o->sschema}};
    expr_scope tgt[1] = {{o->talias, st}};
    expr_scope src[1] = {{o->salias, o->sschema}};
    o->cl = delta_calloc(mo->num_clauses, sizeof *o->cl);
    if (!o->cl)
        return DELTA_ENOMEM;
    int rc = 0;
    size_t matched_conds = 0, matched_n = 0;
    for (size_t i = 0; i < mo->num_clauses && !rc; i++) {
        const delta_merge_clause *c = &mo->clauses[i];
        mclause *m = &o->cl[o->ncl++];
        m->when = c->when;
        m->action = c->action;
        bool ok =
            c->when <= DELTA_WHEN_NOT_MATCHED_BY_SOURCE && c->action <= DELTA_MERGE_INSERT_ALL;
        if (ok && c->when == DELTA_WHEN_NOT_MATCHED)
            ok = c->action == DELTA_MERGE_INSERT || c->action == DELTA_MERGE_INSERT_ALL;
        else if (ok && c->when == DELTA_WHEN_MATCHED)
            ok = c->action <= DELTA_MERGE_DELETE;
        else if (ok)
            ok = c->action == DELTA_MERGE_UPDATE || c->action == DELTA_MERGE_DELETE;
        if (!ok) {
            rc = delta_error_set(DELTA_EINVAL,
                                 "MERGE into %s: clause %zu: this action does not "
                                 "apply to this kind of row",
                                 o->uri, i + 1);
            break;
        }
        const expr_scope *sc = c->when == DELTA_WHEN_MATCHED       ? both
                               : c->when == DELTA_WHEN_NOT_MATCHED ? src
                                                                   : tgt;
        uint32_t nsc = c->when == DELTA_WHEN_MATCHED ? 2 : 1;
        char what[96];
        snprintf(what, sizeof what, "clause %zu (%s)", i + 1, clause_name(c));
        if (c->condition && (rc = bind_cond(o, c->condition, what, sc, nsc, &m->cond)))
            break;
        bool assigns = c->action == DELTA_MERGE_UPDATE || c->action == DELTA_MERGE_INSERT;
        bool all = c->action == DELTA_MERGE_UPDATE_ALL || c->action == DELTA_MERGE_INSERT_ALL;
        if (assigns && (!c->assignments || !*c->assignments)) {
            rc = delta_error_set(DELTA_EINVAL, "MERGE into %s: %s needs assignments", o->uri, what);
            break;
        }
        if (assigns || all) {
            dbuf text = DBUF_INIT;
            if (all)
                rc = all_assignments(o, &text);
            if (!rc)
                rc = dml_bind_assignments(o->snap, all ? dbuf_cstr(&text) : c->assignments, sc, nsc,
                                          o->talias, "MERGE", &m->set);
            dbuf_free(&text);
            if (rc) {
                rc = delta_error_prefix(rc, "%s: ", what);
                break;
            }
        }
        if (c->when == DELTA_WHEN_MATCHED) {
            o->has_matched = true;
            matched_n++;
            matched_conds += m->cond ? 1 : 0;
        } else if (c->when == DELTA_WHEN_NOT_MATCHED) {
            o->has_insert = true;
        } else {
            o->has_nmbs = true;
        }
        /* the target columns the probe needs, the source columns pairs
         * carry */
        if (m->cond && c->when != DELTA_WHEN_NOT_MATCHED)
            mark_columns(m->cond->root, 0, o->needed);
        if (c->when == DELTA_WHEN_MATCHED) {
            if (m->cond)
                mark_columns(m->cond->root, 1, o->use_src);
            for (uint32_t k = 0; m->set && k < st->num_fields; k++)
                if (m->set[k])
                    mark_columns(m->set[k]->root, 1, o->use_src);
        }
    }
    o->delete_only_matched = matched_n == 1 && matched_conds == 0;
    for (size_t i = 0; i < o->ncl && o->delete_only_matched; i++)
        if (o->cl[i].when == DELTA_WHEN_MATCHED && o->cl[i].action != DELTA_MERGE_DELETE)
            o->delete_only_matched = false;
    return rc;
}

/* ---- hashing ------------------------------------------------------------ */

static uint64_t value_hash(const dtype *t, const expr_value *v)
{
    switch (t->id) {
    case DT_STRING:
    case DT_BINARY: return dhash_bytes(v->bytes, v->len, 7);
    case DT_FLOAT32:
    case DT_FLOAT64: {
        double d = v->d == 0 ? 0 : v->d; /* -0.0 equals 0.0 */
        if (d != d)
            d = __builtin_nan("");
        return dhash_bytes(&d, sizeof d, 11);
    }
    case DT_DECIMAL: return dhash_bytes(&v->dec, sizeof v->dec, 13);
    case DT_BOOL: return v->b ? 17 : 19;
    default: return dhash_bytes(&v->i, sizeof v->i, 23);
    }
}

/* Key hashes of the rows of vectors keys[0..nkeys); false in ok[r] when a
 * key is null (such a row matches nothing through =). */
static void key_hashes(uint32_t nkeys, dvec *const *keys, int64_t n, uint64_t *h, bool *ok)
{
    for (int64_t r = 0; r < n; r++) {
        uint64_t x = 0x9e3779b97f4a7c15ULL;
        ok[r] = true;
        for (uint32_t k = 0; k < nkeys && ok[r]; k++) {
            expr_value v;
            if (!expr_vec_get(keys[k], r, &v)) {
                ok[r] = false;
                break;
            }
            x = (x ^ value_hash(keys[k]->type, &v)) * 0x100000001b3ULL;
            x ^= x >> 29;
        }
        h[r] = x;
    }
}

static int eval_keys(const expr_node *const *nodes, uint32_t nkeys, const expr_input *in,
                     dvec **out)
{
    for (uint32_t k = 0; k < nkeys; k++) {
        int rc = expr_eval(nodes[k], in, NULL, in->nrows, &out[k]);
        if (rc)
            return rc;
    }
    return 0;
}

static int build_hash(merge_op *o)
{
    if (!o->nkeys || !o->nsrc)
        return 0;
    dvec **keys = delta_calloc(o->nkeys, sizeof *keys);
    uint64_t *h = delta_malloc((size_t)o->nsrc * sizeof *h);
    bool *ok = delta_malloc((size_t)o->nsrc);
    uint64_t nb = 16;
    while (nb < (uint64_t)o->nsrc * 2)
        nb <<= 1;
    o->mask = nb - 1;
    o->head = delta_malloc(nb * sizeof *o->head);
    o->next = delta_malloc((size_t)o->nsrc * sizeof *o->next);
    int rc = keys && h && ok && o->head && o->next ? 0 : DELTA_ENOMEM;
    const dvec *bs[2] = {NULL, o->src};
    expr_input in = {bs, 2, o->nsrc};
    if (!rc)
        rc = eval_keys(o->skey, o->nkeys, &in, keys);
    if (!rc) {
        key_hashes(o->nkeys, keys, o->nsrc, h, ok);
        memset(o->head, 0xff, nb * sizeof *o->head);
        /* insert in reverse so chains list source rows in order */
        for (int64_t r = o->nsrc - 1; r >= 0; r--) {
            if (!ok[r])
                continue;
            uint64_t b = h[r] & o->mask;
            o->next[r] = o->head[b];
            o->head[b] = r;
        }
    }
    for (uint32_t k = 0; keys && k < o->nkeys; k++)
        dvec_unref(keys[k]);
    delta_free(keys);
    delta_free(h);
    delta_free(ok);
    return rc;
}

/* ---- file selection from the source's keys ------------------------------ */

/* A predicate over the target's key columns that every matching target
 * row satisfies: per key that is a plain top-level target column, the
 * source's value range, or for a partition column its list of values. */
static int key_predicate(merge_op *o, dbuf *out)
{
    if (!o->nkeys || !o->nsrc)
        return 0;
    int rc = 0;
    const dvec *bs[2] = {NULL, o->src};
    expr_input in = {bs, 2, o->nsrc};
    for (uint32_t k = 0; k < o->nkeys && !rc; k++) {
        const expr_node *t = o->tkey[k];
        if (t->kind != EX_COL || t->depth != 1 || !dtype_equal(t->type, o->skey[k]->type))
            continue;
        dtype_id id = t->type->id;
        if (!(id == DT_INT8 || id == DT_INT16 || id == DT_INT32 || id == DT_INT64 ||
              id == DT_DATE32 || id == DT_TIMESTAMP || id == DT_STRING || id == DT_DECIMAL))
            continue;
        dvec *v = NULL;
        if ((rc = expr_eval(o->skey[k], &in, NULL, o->nsrc, &v)))
            break;
        expr_value lo = {0}, hi = {0}, x;
        bool any = false;
        for (int64_t r = 0; r < o->nsrc; r++) {
            if (!expr_vec_get(v, r, &x))
                continue;
            if (!any || expr_value_cmp(v->type, &x, &lo) < 0)
                lo = x;
            if (!any || expr_value_cmp(v->type, &x, &hi) > 0)
                hi = x;
            any = true;
        }
        const char *name = o->snap->schema->fields[t->path[0]].name;
        expr_typespec ts = {0};
        ts.id = id;
        ts.precision = t->type->precision;
        ts.scale = t->type->scale;
        ts.utc = t->type->utc;
        if (out->len)
            dbuf_puts(out, " AND ");
        if (!any) {
            dbuf_puts(out, "false");
        } else if (o->partition[t->path[0]]) {
            /* a partition column: its distinct values prune exactly */
            dmap *seen = NULL;
            dbuf lit = DBUF_INIT;
            if ((rc = dmap_new(&seen, 64))) {
                dvec_unref(v);
                break;
            }
            quote_ident(out, name);
            dbuf_puts(out, " IN (");
            size_t nv = 0;
            for (int64_t r = 0; r < o->nsrc && !rc; r++) {
                if (!expr_vec_get(v, r, &x))
                    continue;
                dbuf_reset(&lit);
                expr_format_value(&lit, &ts, &x);
                if (dmap_sget(seen, dbuf_cstr(&lit), NULL))
                    continue;
                if ((rc = dmap_sput(seen, dbuf_cstr(&lit), NULL, NULL)))
                    break;
                dbuf_printf(out, "%s%s", nv++ ? ", " : "", dbuf_cstr(&lit));
            }
            dbuf_putc(out, ')');
            dbuf_free(&lit);
            dmap_free(seen);
        } else {
            quote_ident(out, name);
            dbuf_puts(out, " BETWEEN ");
            expr_format_value(out, &ts, &lo);
            dbuf_puts(out, " AND ");
            expr_format_value(out, &ts, &hi);
        }
        dvec_unref(v);
    }
    return rc ? rc : out->err;
}

/* ---- deciding ----------------------------------------------------------- */

static int ensure_cap(merge_op *o, size_t n)
{
    if (n <= o->cap)
        return 0;
    int64_t *f = delta_realloc(o->first, n * sizeof *f);
    if (!f)
        return DELTA_ENOMEM;
    o->first = f;
    int64_t *c = delta_realloc(o->count, n * sizeof *c);
    if (!c)
        return DELTA_ENOMEM;
    o->count = c;
    o->cap = n;
    return 0;
}

/* A growing list of candidate pairs. */
typedef struct pairs {
    uint32_t *t, *s;
    size_t n, cap;
} pairs;

static int pairs_add(pairs *p, uint32_t t, uint32_t s)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        uint32_t *a = delta_realloc(p->t, cap * sizeof *a);
        if (!a)
            return DELTA_ENOMEM;
        p->t = a;
        uint32_t *b = delta_realloc(p->s, cap * sizeof *b);
        if (!b)
            return DELTA_ENOMEM;
        p->s = b;
        p->cap = cap;
    }
    p->t[p->n] = t;
    p->s[p->n] = s;
    p->n++;
    return 0;
}

/* The rows sel[0..n) of `b` as a new batch of its type; only the columns
 * `cols` marks (all when NULL) are copied, the others are nulls. */
static int gather(const dvec *b, const uint32_t *sel, int64_t n, const bool *cols, dvec **out)
{
    if (!cols) {
        int rc = dbatch_new(out, b->type);
        if (!rc)
            rc = dvec_append_take(*out, b, sel, n);
        if (rc) {
            dvec_unref(*out);
            *out = NULL;
        }
        return rc;
    }
    dvec *g;
    int rc = dbatch_new(&g, b->type);
    for (uint32_t i = 0; !rc && i < b->type->num_fields; i++) {
        dvec *c = NULL;
        const dtype *t = b->type->fields[i].type;
        if (!cols[i])
            rc = dtab_nulls(t, n, &c);
        else if (!(rc = dvec_new(&c, t)))
            rc = dvec_append_take(c, b->children[i], sel, n);
        if (rc) {
            dvec_unref(c);
            break;
        }
        dvec_unref(g->children[i]);
        g->children[i] = c;
    }
    if (rc) {
        dvec_unref(g);
        return rc;
    }
    dvec_set_length(g, n);
    *out = g;
    return 0;
}

/* Checks a chunk of candidate pairs with the ON condition: for each
 * target row counts its matches and keeps the first source row; marks
 * matched source rows. Empties the chunk. */
static int check_pairs(merge_op *o, const dvec *rows, pairs *p)
{
    if (!p->n)
        return 0;
    dvec *tb = NULL, *sb = NULL;
    int rc = gather(rows, p->t, (int64_t)p->n, o->on_tgt, &tb);
    if (!rc)
        rc = gather(o->src, p->s, (int64_t)p->n, o->on_src, &sb);
    uint32_t *sel = rc ? NULL : delta_malloc(p->n * sizeof *sel);
    if (!rc && !sel)
        rc = DELTA_ENOMEM;
    int64_t ns = 0;
    if (!rc) {
        const dvec *bs[2] = {tb, sb};
        expr_input in = {bs, 2, (int64_t)p->n};
        rc = expr_select(o->on->root, &in, NULL, (int64_t)p->n, sel, &ns);
    }
    for (int64_t i = 0; !rc && i < ns; i++) {
        uint32_t t = p->t[sel[i]], s = p->s[sel[i]];
        if (o->count[t]++ == 0)
            o->first[t] = s;
        o->matched[s] = 1;
    }
    delta_free(sel);
    dvec_unref(tb);
    dvec_unref(sb);
    p->n = 0;
    return rc;
}

/* Adds a candidate pair, checking the chunk when it is full. */
static int candidate(merge_op *o, const dvec *rows, pairs *p, uint32_t t, uint32_t s)
{
    int rc = pairs_add(p, t, s);
    if (!rc && p->n >= PAIR_CHUNK)
        rc = check_pairs(o, rows, p);
    return rc;
}

/* The pieces of new values of one decide call, merged in row order. */
typedef struct upd_piece {
    dvec *b;
    uint32_t *rows; /* target rows, ascending */
    int64_t n;
} upd_piece;

static int merge_pieces(upd_piece *pc, size_t np, const dtype *schema, const uint8_t *act,
                        int64_t nrows, dvec **out)
{
    *out = NULL;
    size_t nonempty = 0, last = 0;
    for (size_t i = 0; i < np; i++)
        if (pc[i].n) {
            nonempty++;
            last = i;
        }
    if (!nonempty)
        return 0;
    if (nonempty == 1) {
        *out = dvec_ref(pc[last].b);
        return 0;
    }
    int rc = dbatch_new(out, schema);
    int64_t *at = delta_calloc(np, sizeof *at);
    if (!at)
        rc = rc ? rc : DELTA_ENOMEM;
    for (int64_t r = 0; r < nrows && !rc; r++) {
        if (act[r] != DML_UPDATE)
            continue;
        for (size_t i = 0; i < np; i++) {
            if (at[i] < pc[i].n && pc[i].rows[at[i]] == (uint32_t)r) {
                rc = dvec_append_from(*out, pc[i].b, at[i]++);
                break;
            }
        }
    }
    delta_free(at);
    if (rc) {
        dvec_unref(*out);
        *out = NULL;
    }
    return rc;
}

/* The rows of rest[0..*nrest) (ascending) where clause m's condition
 * holds (all of them without one) into hit[0..*nh); they leave rest, so a
 * later clause of the kind does not see them. */
static int take_clause(const mclause *m, const expr_input *in, uint32_t *rest, int64_t *nrest,
                       uint32_t *hit, int64_t *nh)
{
    *nh = *nrest;
    if (m->cond) {
        int rc = expr_select(m->cond->root, in, rest, *nrest, hit, nh);
        if (rc)
            return rc;
    } else {
        memcpy(hit, rest, (size_t)*nrest * sizeof *hit);
    }
    int64_t k = 0, j = 0;
    for (int64_t i = 0; i < *nrest; i++) {
        if (j < *nh && rest[i] == hit[j])
            j++;
        else
            rest[k++] = rest[i];
    }
    *nrest = k;
    return 0;
}

/* One kind of target-row clauses (WHEN MATCHED over gathered pairs, WHEN
 * NOT MATCHED BY SOURCE over the batch's rows) applied in order. */
typedef struct clause_run {
    merge_op *o;
    delta_merge_when when;
    const expr_input *in; /* the rows the clauses see */
    const dvec *target;   /* their target values */
    const uint32_t *map;  /* in's row -> the batch's row (NULL: the same) */
    bool probe;
    uint8_t *act;   /* per batch row */
    upd_piece *pcs; /* new values, one piece per UPDATE clause that acted */
    size_t *npc;
    int64_t updated, deleted;
} clause_run;

static int act_clauses(clause_run *r, uint32_t *rest, int64_t nrest, uint32_t *hit)
{
    merge_op *o = r->o;
    int rc = 0;
    for (size_t c = 0; c < o->ncl && nrest && !rc; c++) {
        mclause *m = &o->cl[c];
        if (m->when != r->when)
            continue;
        int64_t nh;
        if ((rc = take_clause(m, r->in, rest, &nrest, hit, &nh)) || !nh)
            continue;
        bool del = m->action == DELTA_MERGE_DELETE;
        for (int64_t i = 0; i < nh; i++)
            r->act[r->map ? r->map[hit[i]] : hit[i]] = del ? DML_DELETE : DML_UPDATE;
        if (del) {
            r->deleted += nh;
            continue;
        }
        r->updated += nh;
        if (r->probe)
            continue;
        upd_piece *pc = &r->pcs[(*r->npc)++];
        memset(pc, 0, sizeof *pc);
        if ((rc = dml_assign(r->target->type, m->set, r->in, r->target, hit, nh, &pc->b)))
            break;
        pc->n = nh;
        if (!(pc->rows = delta_malloc((size_t)nh * sizeof *pc->rows))) {
            rc = DELTA_ENOMEM;
            break;
        }
        for (int64_t i = 0; i < nh; i++)
            pc->rows[i] = r->map ? r->map[hit[i]] : hit[i];
    }
    return rc;
}

static int decide(void *ctx, const dlog_live_file *lf, const dvec *rows, const int64_t *pos,
                  bool probe, uint8_t *act, dvec **updated)
{
    merge_op *o = ctx;
    int64_t n = rows->length;
    *updated = NULL;
    memset(act, DML_KEEP, (size_t)n);
    int rc = ensure_cap(o, (size_t)(n ? n : 1));
    if (rc)
        return rc;
    for (int64_t r = 0; r < n; r++) {
        o->first[r] = -1;
        o->count[r] = 0;
    }
    pairs p = {0};
    dvec *tb = NULL, *sb = NULL;
    dvec **tkeys = NULL;
    uint64_t *h = NULL;
    bool *ok = NULL;
    upd_piece *pcs = delta_calloc(o->ncl ? o->ncl : 1, sizeof *pcs);
    size_t npc = 0;
    if (!pcs)
        return DELTA_ENOMEM;
    uint32_t *rest = NULL, *hit = NULL;
    int64_t mu = 0, md = 0, nu = 0, nd = 0;

    /* 1. candidate pairs, checked with the ON condition */
    if (o->nkeys && o->nsrc) {
        tkeys = delta_calloc(o->nkeys, sizeof *tkeys);
        h = delta_malloc((size_t)(n ? n : 1) * sizeof *h);
        ok = delta_malloc((size_t)(n ? n : 1));
        if (!tkeys || !h || !ok) {
            rc = DELTA_ENOMEM;
            goto done;
        }
        const dvec *bs[2] = {rows, NULL};
        expr_input in = {bs, 2, n};
        if ((rc = eval_keys(o->tkey, o->nkeys, &in, tkeys)))
            goto done;
        key_hashes(o->nkeys, tkeys, n, h, ok);
        for (int64_t r = 0; r < n && !rc; r++) {
            if (!ok[r])
                continue;
            for (int64_t s = o->head[h[r] & o->mask]; s >= 0 && !rc; s = o->next[s])
                rc = candidate(o, rows, &p, (uint32_t)r, (uint32_t)s);
        }
    } else {
        /* no join key: every pair */
        for (int64_t r = 0; r < n && !rc; r++)
            for (int64_t s = 0; s < o->nsrc && !rc; s++)
                rc = candidate(o, rows, &p, (uint32_t)r, (uint32_t)s);
    }
    if (!rc)
        rc = check_pairs(o, rows, &p);
    /* the first match of each matched target row, as gathered pairs */
    for (int64_t r = 0; r < n && !rc; r++)
        if (o->count[r] > 0)
            rc = pairs_add(&p, (uint32_t)r, (uint32_t)o->first[r]);
    /* clauses and new values need every target column (probing: those
     * read) and the source columns the clauses name */
    if (!rc && p.n && o->has_matched) {
        rc = gather(rows, p.t, (int64_t)p.n, probe ? o->needed : NULL, &tb);
        if (!rc)
            rc = gather(o->src, p.s, (int64_t)p.n, o->use_src, &sb);
    }
    if (rc)
        goto done;

    /* 2. two source rows for one target row */
    if (o->has_matched && !o->delete_only_matched) {
        for (int64_t r = 0; r < n; r++) {
            if (o->count[r] > 1) {
                rc = delta_error_set(DELTA_EINVAL,
                                     "MERGE into %s: %s: the target row at position %lld "
                                     "matched %lld source rows; each target row may match at "
                                     "most one source row when a WHEN MATCHED clause can change "
                                     "it (deduplicate the source or narrow the ON condition)",
                                     o->uri, lf->add.path, (long long)pos[r],
                                     (long long)o->count[r]);
                goto done;
            }
        }
    }

    rest = delta_malloc((size_t)(n ? n : 1) * sizeof *rest);
    hit = delta_malloc((size_t)(n ? n : 1) * sizeof *hit);
    if (!rest || !hit) {
        rc = DELTA_ENOMEM;
        goto done;
    }

    /* 3. WHEN MATCHED on the first pair of each matched row */
    if (o->has_matched) {
        int64_t nrest = (int64_t)p.n;
        for (int64_t i = 0; i < nrest; i++)
            rest[i] = (uint32_t)i; /* pair indices; pair i is target row p.t[i] */
        const dvec *bs[2] = {tb, sb};
        expr_input in = {bs, 2, tb ? tb->length : 0};
        clause_run cr = {o, DELTA_WHEN_MATCHED, &in, tb, p.t, probe, act, pcs, &npc, 0, 0};
        rc = act_clauses(&cr, rest, nrest, hit);
        mu = cr.updated;
        md = cr.deleted;
    }

    /* 4. WHEN NOT MATCHED BY SOURCE on the unmatched target rows */
    if (o->has_nmbs && !rc) {
        int64_t nrest = 0;
        for (int64_t r = 0; r < n; r++)
            if (o->count[r] == 0)
                rest[nrest++] = (uint32_t)r;
        const dvec *bs[1] = {rows};
        expr_input in = {bs, 1, n};
        clause_run cr = {
            o, DELTA_WHEN_NOT_MATCHED_BY_SOURCE, &in, rows, NULL, probe, act, pcs, &npc, 0, 0};
        rc = act_clauses(&cr, rest, nrest, hit);
        nu = cr.updated;
        nd = cr.deleted;
    }
    if (!rc && !probe) {
        rc = merge_pieces(pcs, npc, rows->type, act, n, updated);
        dml_count_merge(o->job, mu, md, nu, nd);
    }
done:
    for (size_t i = 0; i < npc; i++) {
        dvec_unref(pcs[i].b);
        delta_free(pcs[i].rows);
    }
    delta_free(pcs);
    for (uint32_t k = 0; tkeys && k < o->nkeys; k++)
        dvec_unref(tkeys[k]);
    delta_free(tkeys);
    delta_free(h);
    delta_free(ok);
    delta_free(p.t);
    delta_free(p.s);
    dvec_unref(tb);
    dvec_unref(sb);
    delta_free(rest);
    delta_free(hit);
    return rc;
}

/* ---- the operation ------------------------------------------------------ */

/* The source rows no target row matched, through WHEN NOT MATCHED. */
static int insert_unmatched(merge_op *o)
{
    if (!o->has_insert || !o->nsrc)
        return 0;
    int64_t n = o->nsrc;
    uint32_t *rest = delta_malloc((size_t)n * sizeof *rest);
    uint32_t *hit = delta_malloc((size_t)n * sizeof *hit);
    int rc = rest && hit ? 0 : DELTA_ENOMEM;
    int64_t nrest = 0;
    for (int64_t r = 0; r < n && !rc; r++)
        if (!o->matched[r])
            rest[nrest++] = (uint32_t)r;
    const dvec *bs[1] = {o->src};
    expr_input in = {bs, 1, n};
    for (size_t c = 0; c < o->ncl && nrest && !rc; c++) {
        mclause *m = &o->cl[c];
        if (m->when != DELTA_WHEN_NOT_MATCHED)
            continue;
        int64_t nh;
        if ((rc = take_clause(m, &in, rest, &nrest, hit, &nh)))
            break;
        /* in chunks, so the new rows are never all in memory at once */
        for (int64_t from = 0; from < nh && !rc; from += 65536) {
            int64_t cnt = nh - from < 65536 ? nh - from : 65536;
            dvec *b = NULL;
            rc = dml_assign(o->snap->schema, m->set, &in, NULL, hit + from, cnt, &b);
            if (!rc)
                rc = dml_insert(o->job, b);
            dvec_unref(b);
        }
    }
    delta_free(rest);
    delta_free(hit);
    return rc;
}

/* operationParameters as Delta writes them for MERGE. */
static char *merge_params(const delta_merge_options *mo)
{
    static const char *kinds[] = {"update", "update", "delete", "insert", "insert"};
    json_t *pj = json_object();
    json_object_set_new(pj, "predicate", json_string(mo->on));
    const char *keys[3] = {"matchedPredicates", "notMatchedPredicates",
                           "notMatchedBySourcePredicates"};
    for (int w = 0; w < 3; w++) {
        json_t *arr = json_array();
        for (size_t i = 0; i < mo->num_clauses; i++) {
            const delta_merge_clause *c = &mo->clauses[i];
            if ((int)c->when != w)
                continue;
            json_t *e = json_object();
            if (c->condition)
                json_object_set_new(e, "predicate", json_string(c->condition));
            json_object_set_new(e, "actionType", json_string(kinds[c->action]));
            json_array_append_new(arr, e);
        }
        char *t = dlog_json_text(arr);
        json_decref(arr);
        json_object_set_new(pj, keys[w], json_string(t ? t : "[]"));
        delta_free(t);
    }
    char *t = dlog_json_text(pj);
    json_decref(pj);
    return t;
}

static void merge_op_clear(merge_op *o)
{
    for (size_t i = 0; i < o->ncl; i++) {
        expr_free(o->cl[i].cond);
        for (uint32_t c = 0; o->cl[i].set && c < o->snap->schema->num_fields; c++)
            expr_free(o->cl[i].set[c]);
        delta_free(o->cl[i].set);
    }
    delta_free(o->cl);
    expr_free(o->on);
    delta_free(o->tkey);
    delta_free(o->skey);
    delta_free(o->head);
    delta_free(o->next);
    delta_free(o->matched);
    delta_free(o->needed);
    delta_free(o->on_tgt);
    delta_free(o->on_src);
    delta_free(o->use_src);
    delta_free(o->partition);
    delta_free(o->first);
    delta_free(o->count);
    if (o->has_pred)
        dtab_pred_clear(&o->pred);
    dvec_unref(o->src);
    dtype_unref(o->sschema);
}

int dops_merge(delta_store *table, const dlog_snapshot *snap, const delta_merge_options *mo,
               const dlog_tx_opts *tx_opts, delta_dml_result *out)
{
    if (out) {
        memset(out, 0, sizeof *out);
        out->version = -1;
        out->read_version = snap->version;
    }
    merge_op o;
    memset(&o, 0, sizeof o);
    o.snap = snap;
    o.uri = delta_store_uri(table);
    if (!mo || mo->version < 1 || mo->version > DELTA_MERGE_OPTIONS_VERSION)
        return delta_error_set(DELTA_EINVAL, "MERGE into %s: no options or unknown version", o.uri);
    if (!mo->on || !*mo->on)
        return delta_error_set(DELTA_EINVAL, "MERGE into %s: no ON condition", o.uri);
    if (!mo->num_clauses || !mo->clauses)
        return delta_error_set(DELTA_EINVAL, "MERGE into %s: no WHEN clause", o.uri);
    if (!snap->schema)
        return delta_error_set(DELTA_EINVAL, "MERGE into %s: the table has no schema", o.uri);
    o.talias = mo->target_alias && *mo->target_alias ? mo->target_alias : "target";
    o.salias = mo->source_alias && *mo->source_alias ? mo->source_alias : "source";
    if (dstr_ieq(o.talias, o.salias))
        return delta_error_set(DELTA_EINVAL,
                               "MERGE into %s: target and source have the same "
                               "alias '%s'",
                               o.uri, o.talias);
    dstream *in = NULL;
    delta_store *fs = NULL, *ts = NULL;
    dlog_snapshot *ssnap = NULL;
    dml_job *j = NULL;
    const dlog_live_file **all = NULL, **cand = NULL;
    size_t nall = 0, ncand = 0;
    char *params = NULL;
    dbuf kp = DBUF_INIT, sj = DBUF_INIT;
    dtype *evolved_schema = NULL;
    dlog_snapshot evolved;
    int rc = 0;

    /* the source, once */
    if ((rc = open_source(&o, mo, &in, &fs, &ts, &ssnap)) || (rc = load_source(&o, in)))
        goto cleanup;
    in->free(in);
    in = NULL;
    /* schema evolution: the operation then sees the table with the new
     * columns (old files read with them null) and commits the metaData */
    if (mo->merge_schema && (rc = evolve_schema(&o, &evolved_schema)))
        goto cleanup;
    if (evolved_schema) {
        if ((rc = dlog_schema_serialize(evolved_schema, &sj)) || (rc = sj.err) ||
            (rc = dtab_check_schema_protocol(snap, evolved_schema))) {
            rc = delta_error_prefix(rc, "MERGE into %s: schema evolution: ", o.uri);
            goto cleanup;
        }
        evolved = *snap;
        evolved.schema = evolved_schema;
        evolved.metadata.schema_string = (char *)dbuf_cstr(&sj);
        o.snap = &evolved;
        snap = &evolved;
    }
    const dtype *st = snap->schema;
    uint32_t nf = st->num_fields;
    o.needed = delta_calloc(nf ? nf : 1, sizeof *o.needed);
    o.partition = delta_calloc(nf ? nf : 1, sizeof *o.partition);
    if (!o.needed || !o.partition) {
        rc = DELTA_ENOMEM;
        goto cleanup;
    }
    for (uint32_t i = 0; i < nf; i++)
        for (size_t p = 0; p < snap->metadata.num_partition_columns; p++)
            if (dstr_ieq(snap->metadata.partition_columns[p], st->fields[i].name))
                o.partition[i] = true;
    if (!(o.matched = delta_calloc((size_t)(o.nsrc ? o.nsrc : 1), 1))) {
        rc = DELTA_ENOMEM;
        goto cleanup;
    }

    /* conditions, keys, clauses */
    expr_scope both[2] = {{o.talias, st}, {o.salias, o.sschema}};
    if ((rc = bind_cond(&o, mo->on, "ON condition", both, 2, &o.on)))
        goto cleanup;
    uint32_t nsf = o.sschema->num_fields;
    o.on_tgt = delta_calloc(nf ? nf : 1, sizeof *o.on_tgt);
    o.on_src = delta_calloc(nsf ? nsf : 1, sizeof *o.on_src);
    o.use_src = delta_calloc(nsf ? nsf : 1, sizeof *o.use_src);
    if (!o.on_tgt || !o.on_src || !o.use_src) {
        rc = DELTA_ENOMEM;
        goto cleanup;
    }
    mark_columns(o.on->root, 0, o.needed);
    mark_columns(o.on->root, 0, o.on_tgt);
    mark_columns(o.on->root, 1, o.on_src);
    if ((rc = find_keys(&o, o.on->root)) || (rc = bind_clauses(&o, mo)) || (rc = build_hash(&o)))
        goto cleanup;

    /* the candidate files */
    if ((rc = dml_job_new(&j, table, snap, "MERGE", tx_opts)))
        goto cleanup;
    o.job = j;
    if (evolved_schema && (rc = dml_job_stage_metadata(j, &snap->metadata)))
        goto cleanup;
    dml_set_source_rows(j, o.nsrc);
    if (!o.has_nmbs && (rc = key_predicate(&o, &kp)))
        goto cleanup;
    if (kp.len) {
        if ((rc = dtab_pred_init(&o.pred, dbuf_cstr(&kp), st, o.partition, snap->column_mapping)))
            goto cleanup;
        o.has_pred = true;
        rc = dlog_tx_read_predicate(dml_job_tx(j), dml_pred_reads, &o.pred, dbuf_cstr(&kp));
    } else {
        dlog_tx_read_whole_table(dml_job_tx(j));
    }
    if (rc || (rc = dml_sorted_files(snap, &all, &nall)))
        goto cleanup;
    if (!(cand = delta_calloc(nall ? nall : 1, sizeof *cand))) {
        rc = DELTA_ENOMEM;
        goto cleanup;
    }
    int64_t skipped = 0;
    bool probe_needed = o.nsrc > 0 || o.has_nmbs;
    for (size_t i = 0; i < nall && !rc && probe_needed; i++) {
        if (o.has_pred) {
            dtab_verdict v;
            if ((rc = dtab_pred_file(&o.pred, all[i], &v)))
                break;
            if (v != DTAB_FILE_READ) {
                skipped++;
                continue;
            }
        }
        cand[ncand++] = all[i];
    }
    if (!probe_needed)
        skipped = (int64_t)nall;

    /* pass 1: matches and the files that change; pass 2: rewrite them */
    dml_decider d = {decide, &o, o.needed, false, true};
    size_t ntouched = 0;
    for (size_t i = 0; i < ncand && !rc; i++) {
        bool changes;
        if (!(rc = dml_probe(j, cand[i], &d, &changes)) && changes)
            cand[ntouched++] = cand[i]; /* in place: i >= ntouched */
    }
    if (!rc)
        dml_count_files(j, (int64_t)ntouched, skipped + (int64_t)(ncand - ntouched));
    for (size_t i = 0; i < ntouched && !rc; i++)
        rc = dml_apply(j, cand[i], &d);
    if (!rc)
        rc = insert_unmatched(&o);
    if (!rc && !(params = merge_params(mo)))
        rc = DELTA_ENOMEM;
    if (!rc)
        rc = dml_commit(j, params, out);
cleanup:
    if (in)
        in->free(in);
    dml_job_free(j);
    dlog_snapshot_free(ssnap);
    delta_store_free(ts);
    delta_store_free(fs);
    delta_free(all);
    delta_free(cand);
    delta_free(params);
    dbuf_free(&kp);
    merge_op_clear(&o);
    dtype_unref(evolved_schema);
    dbuf_free(&sj);
    if (rc && out)
        out->version = -1;
    return rc;
}

int delta_table_merge(delta_table *t, const delta_merge_options *opts, delta_dml_result *out)
{
    delta_store *s = NULL;
    dlog_snapshot *snap = NULL;
    int rc = dml_open_latest(t, "MERGE", &s, &snap, out);
    if (!rc)
        rc = dops_merge(s, snap, opts, NULL, out);
    dlog_snapshot_free(snap);
    delta_store_free(s);
    return rc;
}
