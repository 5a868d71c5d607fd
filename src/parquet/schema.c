/*
 * Builds the Parquet schema tree from the flat depth-first SchemaElement
 * list, and cross-checks file metadata against it (see schema.h).
 *
 * The build is iterative (an explicit stack bounded by
 * PQ_SCHEMA_MAX_DEPTH), so hostile nesting cannot exhaust the C stack.
 * Invariants of a built schema: nodes[i].elem == &elems[i]; children of a
 * node are in list order; every element belongs to the root's subtree; the
 * children slices partition nodes 1..n-1 (so their total is n-1); leaves
 * are numbered 0.. in list order.
 */
#include "parquet/schema.h"

#include "core/alloc.h"
#include "core/error.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pq_schema_free(pq_schema *s)
{
    if (!s)
        return;
    /* All children arrays are slices of one block, the root's. */
    delta_free(s->root ? s->root->children : NULL);
    delta_free(s->nodes);
    delta_free(s->leaves);
    delta_free(s);
}

static const char *ename(const pq_schema_element *e)
{
    return e->name.ptr ? e->name.ptr : "";
}

static int bad(uint32_t i, const pq_schema_element *e, const char *what)
{
    return delta_error_set(DELTA_ECORRUPT, "Parquet schema element %u ('%s'): %s", i, ename(e),
                           what);
}

/* Is the element a group (inner node)? */
static bool is_group(const pq_schema_element *e)
{
    return e->has_num_children && (e->num_children > 0 || !e->has_type);
}

static int check_leaf(uint32_t i, const pq_schema_element *e)
{
    if (!e->has_type)
        return bad(i, e, "leaf without a physical type");
    if (e->type < PQ_TYPE_BOOLEAN || e->type > PQ_TYPE_FIXED_LEN_BYTE_ARRAY)
        return delta_error_set(DELTA_ECORRUPT,
                               "Parquet schema element %u ('%s'): unknown physical type %" PRId32,
                               i, ename(e), e->type);
    if (e->type == PQ_TYPE_FIXED_LEN_BYTE_ARRAY && (!e->has_type_length || e->type_length < 0))
        return bad(i, e, "FIXED_LEN_BYTE_ARRAY without a valid type_length");
    return 0;
}

static int check_repetition(uint32_t i, const pq_schema_element *e)
{
    if (!e->has_repetition_type)
        return bad(i, e, "repetition_type missing");
    if (e->repetition_type == PQ_REP_VECTOR)
        return delta_error_set(DELTA_EUNSUPPORTED,
                               "Parquet schema element %u ('%s'): VECTOR repetition is not "
                               "supported",
                               i, ename(e));
    if (e->repetition_type < PQ_REP_REQUIRED || e->repetition_type > PQ_REP_REPEATED)
        return delta_error_set(DELTA_ECORRUPT,
                               "Parquet schema element %u ('%s'): invalid repetition_type %" PRId32,
                               i, ename(e), e->repetition_type);
    return 0;
}

int pq_schema_build(pq_schema **out, const pq_schema_element *elems, uint32_t n)
{
    *out = NULL;
    if (n == 0 || !elems)
        return delta_error_set(DELTA_ECORRUPT, "Parquet schema is empty (no root element)");

    const pq_schema_element *re = &elems[0];
    if (!re->has_num_children && re->has_type)
        return bad(0, re, "the root must be a group");
    if (re->has_num_children && re->num_children < 0)
        return bad(0, re, "negative num_children");
    uint32_t root_nc = re->has_num_children ? (uint32_t)re->num_children : 0;
    if (root_nc > n - 1)
        return delta_error_set(DELTA_ECORRUPT,
                               "Parquet schema root ('%s') declares %u children but only %u "
                               "elements follow",
                               ename(re), root_nc, n - 1);

    int rc = DELTA_ENOMEM;
    pq_schema *s = delta_calloc(1, sizeof *s);
    pq_schema_node **kids = delta_calloc(n, sizeof *kids);
    if (!s || !kids)
        goto fail;
    s->nodes = delta_calloc(n, sizeof *s->nodes);
    s->leaves = delta_calloc(n, sizeof *s->leaves);
    if (!s->nodes || !s->leaves)
        goto fail;
    s->num_nodes = n;

    pq_schema_node *root = &s->nodes[0];
    root->elem = re;
    root->index = 0;
    root->leaf_index = -1;
    root->repetition = PQ_REP_REQUIRED;
    root->children = kids;
    root->num_children = root_nc;
    s->root = root;
    uint32_t used_kids = root_nc; /* slots of `kids` handed out */

    /* Stack of open groups with the count of children attached so far. */
    pq_schema_node *stack[PQ_SCHEMA_MAX_DEPTH + 1];
    uint32_t filled[PQ_SCHEMA_MAX_DEPTH + 1];
    uint32_t sp = 0;
    stack[sp] = root;
    filled[sp++] = 0;

    uint32_t pos = 1;
    while (sp) {
        pq_schema_node *top = stack[sp - 1];
        if (filled[sp - 1] == top->num_children) {
            sp--;
            continue;
        }
        if (pos >= n) {
            rc = delta_error_set(DELTA_ECORRUPT,
                                 "Parquet schema element %u ('%s') declares %u children but the "
                                 "list ends after %u",
                                 top->index, ename(top->elem), top->num_children, filled[sp - 1]);
            goto fail;
        }
        const pq_schema_element *e = &elems[pos];
        pq_schema_node *node = &s->nodes[pos];
        node->elem = e;
        node->index = pos;
        node->parent = top;
        node->depth = top->depth + 1;
        top->children[filled[sp - 1]++] = node;
        if (node->depth > PQ_SCHEMA_MAX_DEPTH) {
            rc = bad(pos, e, "nested deeper than 255 levels");
            goto fail;
        }
        if ((rc = check_repetition(pos, e)))
            goto fail;
        node->repetition = e->repetition_type;
        node->max_def = (int16_t)(top->max_def + (e->repetition_type != PQ_REP_REQUIRED));
        node->max_rep = (int16_t)(top->max_rep + (e->repetition_type == PQ_REP_REPEATED));

        if (is_group(e)) {
            node->leaf_index = -1;
            if (e->num_children < 0) {
                rc = bad(pos, e, "negative num_children");
                goto fail;
            }
            if (e->num_children == 0) {
                rc = delta_error_set(DELTA_EUNSUPPORTED,
                                     "Parquet schema element %u ('%s'): group with no children "
                                     "is not supported",
                                     pos, ename(e));
                goto fail;
            }
            uint32_t nc = (uint32_t)e->num_children;
            if (nc > n - 1 - used_kids) {
                rc = delta_error_set(DELTA_ECORRUPT,
                                     "Parquet schema element %u ('%s') declares %u children, "
                                     "more than the %u elements left",
                                     pos, ename(e), nc, n - 1 - used_kids);
                goto fail;
            }
            node->children = kids + used_kids;
            node->num_children = nc;
            used_kids += nc;
            stack[sp] = node;
            filled[sp++] = 0;
        } else {
            if ((rc = check_leaf(pos, e)))
                goto fail;
            node->leaf_index = (int32_t)s->num_leaves;
            s->leaves[s->num_leaves++] = node;
        }
        pos++;
    }
    if (pos != n) {
        rc = delta_error_set(DELTA_ECORRUPT,
                             "Parquet schema has %u elements but the root's tree covers only %u", n,
                             pos);
        goto fail;
    }
    *out = s;
    return 0;

fail:
    if (rc == DELTA_ENOMEM)
        delta_error_oom();
    if (s) {
        delta_free(s->nodes);
        delta_free(s->leaves);
        delta_free(s);
    }
    delta_free(kids);
    return rc;
}

uint32_t pq_schema_node_path(const pq_schema_node *node, const char **names, uint32_t cap)
{
    uint32_t len = node->depth;
    if (cap < len)
        return len;
    for (const pq_schema_node *p = node; p && p->parent; p = p->parent)
        names[p->depth - 1] = ename(p->elem);
    return len;
}

void pq_schema_node_path_str(const pq_schema_node *node, dbuf *out)
{
    if (!node->parent)
        return;
    if (node->parent->parent) {
        pq_schema_node_path_str(node->parent, out);
        dbuf_putc(out, '.');
    }
    dbuf_append(out, node->elem->name.ptr, node->elem->name.len);
}

/* Does the chunk's path_in_schema name exactly the leaf's path? */
static bool path_matches(const pq_column_meta *c, const pq_schema_node *leaf)
{
    if (c->num_path_in_schema != leaf->depth)
        return false;
    for (const pq_schema_node *p = leaf; p->parent; p = p->parent) {
        const pq_str *a = &c->path_in_schema[p->depth - 1];
        const pq_str *b = &p->elem->name;
        if (a->len != b->len || (a->len && memcmp(a->ptr, b->ptr, a->len) != 0))
            return false;
    }
    return true;
}

static int chunk_err(uint32_t g, const pq_schema_node *leaf, const char *fmt, ...)
    DELTA_PRINTF(3, 4);

static int chunk_err(uint32_t g, const pq_schema_node *leaf, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    dbuf path = DBUF_INIT;
    pq_schema_node_path_str(leaf, &path);
    int rc = delta_error_set(DELTA_ECORRUPT, "Parquet row group %u, column '%s': %s", g,
                             dbuf_cstr(&path), what);
    dbuf_free(&path);
    return rc;
}

int pq_file_meta_validate(const pq_file_meta *m, const pq_schema *s, uint64_t data_end)
{
    if (m->num_rows < 0)
        return delta_error_set(DELTA_ECORRUPT, "Parquet metadata: negative num_rows %" PRId64,
                               m->num_rows);
    if (m->has_column_orders && m->num_column_orders != s->num_leaves)
        return delta_error_set(DELTA_ECORRUPT,
                               "Parquet metadata: %u column_orders for %u leaf columns",
                               m->num_column_orders, s->num_leaves);
    for (uint32_t g = 0; g < m->num_row_groups; g++) {
        const pq_row_group *rg = &m->row_groups[g];
        if (rg->num_rows < 0)
            return delta_error_set(DELTA_ECORRUPT,
                                   "Parquet row group %u: negative num_rows %" PRId64, g,
                                   rg->num_rows);
        if (rg->num_columns != s->num_leaves)
            return delta_error_set(DELTA_ECORRUPT,
                                   "Parquet row group %u has %u column chunks for %u leaf "
                                   "columns",
                                   g, rg->num_columns, s->num_leaves);
        for (uint32_t c = 0; c < rg->num_columns; c++) {
            const pq_column_chunk *cc = &rg->columns[c];
            const pq_schema_node *leaf = s->leaves[c];
            const pq_column_meta *cm = &cc->meta_data;
            if (!cc->has_meta_data)
                return chunk_err(g, leaf, "column chunk has no meta_data");
            if (cm->type != leaf->elem->type)
                return chunk_err(g, leaf, "chunk type %s differs from schema type %s",
                                 pq_type_name(cm->type), pq_type_name(leaf->elem->type));
            if (!path_matches(cm, leaf))
                return chunk_err(g, leaf, "path_in_schema does not match the schema");
            if (cm->num_values < 0 || cm->total_compressed_size < 0 ||
                cm->total_uncompressed_size < 0)
                return chunk_err(
                    g, leaf, "negative num_values (%" PRId64 ") or compressed size (%" PRId64 ")",
                    cm->num_values, cm->total_compressed_size);
            int64_t start = cm->data_page_offset;
            if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
                cm->dictionary_page_offset < start)
                start = cm->dictionary_page_offset;
            if (start < 4)
                return chunk_err(g, leaf, "chunk starts at byte %" PRId64 ", inside the magic",
                                 start);
            /* A chunk stored in another file (file_path) has offsets there. */
            if (data_end && !cc->has_file_path &&
                ((uint64_t)start > data_end ||
                 (uint64_t)cm->total_compressed_size > data_end - (uint64_t)start))
                return chunk_err(g, leaf,
                                 "chunk at byte %" PRId64 " with %" PRId64
                                 " bytes runs past the column data",
                                 start, cm->total_compressed_size);
        }
    }
    return 0;
}
