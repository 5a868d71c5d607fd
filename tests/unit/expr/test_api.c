/*
 * Unit tests for the public expression API (include/delta/expr.h): parse,
 * bind against an ArrowSchema, evaluate an ArrowArray into an ArrowArray,
 * select rows, and the errors a caller sees (syntax, unknown column,
 * unbound, non-boolean filter, released batch).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "columnar/arrow.h"
#include "delta/expr.h"
#include "exprtest.h"

static const char *const cells[] = {
    "1", "apple", "1.50", "2", "banana", "-2.25", NULL, NULL, NULL, "4", "cherry", "10.00",
};

static void make_inputs(struct ArrowSchema *schema, struct ArrowArray *array)
{
    dtype *t = et_schema("id int, name string, price decimal(10,2)");
    dvec *b = et_batch(t, cells, 4);
    assert_non_null(b);
    assert_int_equal(dtype_export(t, "", false, schema), 0);
    assert_int_equal(dvec_export(b, array), 0);
    dvec_unref(b);
    dtype_unref(t);
}

static void test_select_and_eval(void **state)
{
    (void)state;
    struct ArrowSchema schema;
    struct ArrowArray array;
    make_inputs(&schema, &array);

    delta_expr *e;
    assert_int_equal(delta_expr_parse(&e, "price > 1 AND NAME <> 'cherry' OR id IS NULL"), 0);
    assert_string_equal(delta_expr_text(e), "price > 1 AND NAME <> 'cherry' OR id IS NULL");
    assert_int_equal(delta_expr_bind(e, &schema), 0);
    uint32_t *rows;
    int64_t n;
    assert_int_equal(delta_expr_select(e, &array, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0], 0);
    assert_int_equal(rows[1], 2);
    delta_free(rows);
    /* the batch is borrowed: still usable */
    assert_non_null(array.release);

    struct ArrowArray out;
    assert_int_equal(delta_expr_eval(e, &array, &out), 0);
    assert_int_equal(out.length, 4);
    assert_int_equal(out.null_count, 0);
    out.release(&out);
    struct ArrowSchema rs;
    assert_int_equal(delta_expr_result_schema(e, &rs), 0);
    assert_string_equal(rs.format, "b");
    rs.release(&rs);
    /* a boolean filter is required for select */
    assert_int_equal(delta_expr_bind(e, &schema), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "already bound"));
    delta_expr_free(e);

    assert_int_equal(delta_expr_parse(&e, "price * 2"), 0);
    assert_int_equal(delta_expr_bind(e, &schema), 0);
    assert_int_equal(delta_expr_result_schema(e, &rs), 0);
    assert_string_equal(rs.format, "d:12,2");
    rs.release(&rs);
    assert_int_equal(delta_expr_eval(e, &array, &out), 0);
    assert_int_equal(out.length, 4);
    assert_int_equal(out.null_count, 1);
    /* import the result back to read it */
    dtype *dt = dtype_new_decimal(12, 2);
    dvec *v;
    assert_int_equal(dvec_import(&out, dt, &v), 0);
    dbuf txt = DBUF_INIT;
    for (int64_t i = 0; i < v->length; i++) {
        if (i)
            dbuf_putc(&txt, '|');
        et_format_row(v, i, &txt);
    }
    assert_string_equal(dbuf_cstr(&txt), "3.00|-4.50|NULL|20.00");
    dbuf_free(&txt);
    dvec_unref(v);
    dtype_unref(dt);
    assert_int_equal(delta_expr_select(e, &array, &rows, &n), DELTA_ETYPE);
    assert_non_null(strstr(delta_error_last(), "a filter must be a boolean expression, found decimal(12,2)"));
    delta_expr_free(e);

    array.release(&array);
    schema.release(&schema);
}

static void test_errors(void **state)
{
    (void)state;
    struct ArrowSchema schema;
    struct ArrowArray array;
    make_inputs(&schema, &array);
    delta_expr *e = NULL;
    assert_int_equal(delta_expr_parse(&e, "id = = 1"), DELTA_EINVAL);
    assert_null(e);
    assert_string_equal(delta_error_last(), "at position 6: expected an expression, found '='");
    assert_int_equal(delta_expr_parse(&e, "pirce > 1"), 0);
    assert_int_equal(delta_expr_bind(e, &schema), DELTA_ENOTFOUND);
    assert_string_equal(delta_error_last(),
                        "at position 1: column 'pirce' not found; expected one of: id, name, price");
    delta_expr_free(e);
    assert_int_equal(delta_expr_parse(&e, "id > 1"), 0);
    uint32_t *rows;
    int64_t n;
    assert_int_equal(delta_expr_select(e, &array, &rows, &n), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "is not bound"));
    assert_int_equal(delta_expr_bind(e, &schema), 0);
    struct ArrowArray released = array;
    released.release = NULL;
    assert_int_equal(delta_expr_select(e, &released, &rows, &n), DELTA_EINVAL);
    delta_expr_free(e);
    delta_expr_free(NULL);
    /* a schema that is not a struct */
    struct ArrowSchema col;
    dtype *it = dtype_new(DT_INT32);
    assert_int_equal(dtype_export(it, "x", true, &col), 0);
    assert_int_equal(delta_expr_parse(&e, "x > 1"), 0);
    assert_int_equal(delta_expr_bind(e, &col), DELTA_EINVAL);
    assert_non_null(strstr(delta_error_last(), "expected a struct schema"));
    delta_expr_free(e);
    col.release(&col);
    dtype_unref(it);
    array.release(&array);
    schema.release(&schema);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_and_eval),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
