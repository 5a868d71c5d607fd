/*
 * The file backend: the shared checks on a root that does not exist yet,
 * plus what is special to local files (URIs and plain paths, temporary
 * files, durability caps, directories and files in the way, symlinks,
 * error messages naming paths).
 */
#include "storage/store_checks.h"
#include "storage/store_internal.h"
#include "storage/tmpdir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>

typedef struct fixture {
    delta_store *s; /* the store under test, also put in *state */
    char *dir;      /* the temporary directory */
    char *root;     /* dir/root, the store root (absent at start) */
} fixture;

static fixture *current;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->dir = tmpdir_make("file");
    f->root = f->dir ? tmpdir_join(f->dir, "root/nested") : NULL;
    if (!f->root || delta_store_open(&f->s, f->root) != 0) {
        fprintf(stderr, "setup: %s\n", delta_error_last());
        return -1;
    }
    current = f;
    *state = f->s;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fixture *f = current;
    delta_store_free(f->s);
    free(f->root);
    tmpdir_remove(f->dir);
    free(f);
    current = NULL;
    return 0;
}

static char *path_of(const char *key)
{
    return tmpdir_join(current->root, key);
}

static int temp_files;
static int count_temp(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    if (store_file_is_temp_name(path + ftw->base))
        temp_files++;
    return 0;
}

/* Number of temporary files anywhere under the root. */
static int temp_debris(void)
{
    temp_files = 0;
    nftw(current->root, count_temp, 16, FTW_PHYS);
    return temp_files;
}

static void write_raw(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_temp_names(void **state)
{
    (void)state;
    assert_true(store_file_is_temp_name(".a.tmp.1.0123456789abcdef"));
    assert_true(store_file_is_temp_name(".00000000000000000001.json.tmp.4242.fedcba9876543210"));
    assert_false(store_file_is_temp_name("a.tmp.1.0123456789abcdef"));
    assert_false(store_file_is_temp_name(".a.tmp..0123456789abcdef"));
    assert_false(store_file_is_temp_name(".a.tmp.1.0123456789abcdeF"));
    assert_false(store_file_is_temp_name(".a.tmp.1.0123456789abcde"));
    assert_false(store_file_is_temp_name(".tmp.1.0123456789abcdef"));
    assert_false(store_file_is_temp_name(".a.tmpx1.0123456789abcdef"));
    assert_false(store_file_is_temp_name("part-0.parquet"));
    assert_false(store_file_is_temp_name(".hidden"));
    assert_false(store_file_is_temp_name(""));
}

static void test_root_created_on_write(void **state)
{
    delta_store *s = *state;
    struct stat st;
    assert_int_equal(stat(current->root, &st), -1);
    /* reading a missing root is "not found" / empty, not an error */
    expect_missing(s, "x");
    static const char *const none[] = {NULL};
    expect_list(s, "", NULL, DELTA_LIST_RECURSIVE, none);
    assert_int_equal(stat(current->root, &st), -1);

    assert_int_equal(delta_store_put(s, "t/_delta_log/0.json", "{}", 2), 0);
    assert_int_equal(stat(current->root, &st), 0);
    assert_true(S_ISDIR(st.st_mode));

    /* the bytes are on disk under root/key */
    char *p = path_of("t/_delta_log/0.json");
    FILE *fp = fopen(p, "rb");
    assert_non_null(fp);
    char buf[8] = {0};
    assert_int_equal(fread(buf, 1, sizeof buf, fp), 2);
    fclose(fp);
    assert_string_equal(buf, "{}");
    /* head's mtime is the file's */
    assert_int_equal(stat(p, &st), 0);
    delta_object_info info;
    assert_int_equal(delta_store_head(s, "t/_delta_log/0.json", &info), 0);
    assert_int_equal(info.mtime_ms,
                     (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
    free(p);
}

static void test_caps_durable(void **state)
{
    assert_int_equal(delta_store_caps(*state),
                     DELTA_STORE_CAP_ATOMIC_PUT_IF_ABSENT | DELTA_STORE_CAP_SORTED_LIST |
                         DELTA_STORE_CAP_DURABLE | DELTA_STORE_CAP_RANGED_GET);
}

static void test_no_temp_debris(void **state)
{
    delta_store *s = *state;
    delta_store_writer *w = NULL;
    assert_int_equal(delta_store_put(s, "a/k", "1", 1), 0);
    assert_int_equal(delta_store_put(s, "a/k", "2", 1), 0);
    assert_int_equal(delta_store_put_if_absent(s, "a/p", "1", 1), 0);
    assert_int_equal(delta_store_put_if_absent(s, "a/p", "2", 1), DELTA_EEXIST);
    assert_int_equal(delta_store_writer_open(s, "a/w", DELTA_PUT_IF_ABSENT, &w), 0);
    assert_int_equal(delta_store_writer_write(s, w, "x", 1), 0);
    /* an open writer's temporary file exists but is never listed */
    assert_int_equal(temp_debris(), 1);
    static const char *const two[] = {"a/k", "a/p", NULL};
    expect_list(s, "a/", NULL, 0, two);
    expect_list(s, "", NULL, DELTA_LIST_RECURSIVE, two);
    assert_int_equal(delta_store_writer_commit(s, w), 0);
    assert_int_equal(delta_store_writer_open(s, "a/w", DELTA_PUT_IF_ABSENT, &w), 0);
    assert_int_equal(delta_store_writer_commit(s, w), DELTA_EEXIST);
    assert_int_equal(delta_store_writer_open(s, "a/gone", 0, &w), 0);
    assert_int_equal(delta_store_writer_write(s, w, "x", 1), 0);
    delta_store_writer_abort(s, w);
    assert_int_equal(temp_debris(), 0);
    char *dir = path_of("a");
    assert_int_equal(tmpdir_count(dir), 3);
    free(dir);
}

static void test_foreign_files_in_listing(void **state)
{
    delta_store *s = *state;
    assert_int_equal(delta_store_put(s, "t/x", "1", 1), 0);
    char *p;
    /* a crash leftover: invisible */
    p = path_of("t/.x.tmp.77.0123456789abcdef");
    write_raw(p, "partial");
    free(p);
    /* names that are not valid keys: invisible */
    p = path_of("t/back\\slash");
    write_raw(p, "b");
    free(p);
    p = path_of("t/new\nline");
    write_raw(p, "c");
    free(p);
    /* a hidden file that is not ours: listed */
    p = path_of("t/.x.crc");
    write_raw(p, "crc");
    free(p);
    /* a symlink to a file is an object; one to a directory is not followed */
    char *target = path_of("t/x");
    p = path_of("t/link");
    assert_int_equal(symlink(target, p), 0);
    free(p);
    free(target);
    target = path_of("t");
    p = path_of("t/loop");
    assert_int_equal(symlink(target, p), 0);
    free(p);
    free(target);
    /* a FIFO is not an object (and must not block a reader) */
    p = path_of("t/fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    free(p);
    expect_missing(s, "t/fifo");

    static const char *const want[] = {"t/.x.crc", "t/link", "t/x", NULL};
    expect_list(s, "t/", NULL, 0, want);
    expect_list(s, "", NULL, DELTA_LIST_RECURSIVE, want);
    expect_object(s, "t/link", "1", 1);
}

static void test_directories_and_files_in_the_way(void **state)
{
    delta_store *s = *state;
    assert_int_equal(delta_store_put(s, "d/inner", "1", 1), 0);
    /* a directory is not an object */
    expect_missing(s, "d");
    delta_object_info info;
    assert_int_equal(delta_store_head(s, "d", &info), DELTA_ENOTFOUND);
    assert_int_equal(delta_store_delete(s, "d"), DELTA_ENOTFOUND);
    uint8_t b[1];
    size_t got;
    assert_int_equal(delta_store_get_range(s, "d", 0, 1, b, &got), DELTA_ENOTFOUND);
    /* writing over a directory fails, naming the path */
    int rc = delta_store_put(s, "d", "x", 1);
    assert_true(rc < 0);
    assert_non_null(strstr(delta_error_last(), current->root));
    assert_int_equal(delta_store_put_if_absent(s, "d", "x", 1), DELTA_EEXIST);
    /* a file where a directory should be */
    rc = delta_store_put(s, "d/inner/deeper", "x", 1);
    assert_int_equal(rc, DELTA_EIO);
    assert_non_null(strstr(delta_error_last(), "in the way"));
    assert_int_equal(delta_store_put(s, "d/inner/deeper/still", "x", 1), DELTA_EIO);
    assert_non_null(strstr(delta_error_last(), "d/inner"));
    expect_missing(s, "d/inner/deeper");
    expect_object(s, "d/inner", "1", 1);
    assert_int_equal(temp_debris(), 0);
}

static void test_reserved_temp_names(void **state)
{
    delta_store *s = *state;
    delta_store_writer *w = NULL;
    const char *k = "t/.x.tmp.1.0123456789abcdef";
    assert_int_equal(delta_store_put(s, k, "x", 1), DELTA_EPERM);
    assert_non_null(strstr(delta_error_last(), "reserved"));
    assert_int_equal(delta_store_put_if_absent(s, ".a.tmp.2.0123456789abcdef/x", "x", 1),
                     DELTA_EPERM);
    assert_int_equal(delta_store_writer_open(s, k, 0, &w), DELTA_EPERM);
    assert_null(w);
    assert_int_equal(delta_store_put(s, "t/.x.tmp", "x", 1), 0);
}

static void test_error_names_path(void **state)
{
    delta_store *s = *state;
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(delta_store_get(s, "some/missing.json", &data, &len), DELTA_ENOTFOUND);
    char *p = path_of("some/missing.json");
    assert_non_null(strstr(delta_error_last(), p));
    free(p);
}

static void test_unwritable(void **state)
{
    delta_store *s = *state;
    if (geteuid() == 0) {
        printf("test_unwritable: skipped, running as root (permissions are not enforced)\n");
        skip();
        return;
    }
    assert_int_equal(delta_store_put(s, "ro/x", "1", 1), 0);
    char *dir = path_of("ro");
    assert_int_equal(chmod(dir, 0500), 0);
    int rc = delta_store_put(s, "ro/y", "1", 1);
    const char *msg = delta_error_last();
    chmod(dir, 0700);
    assert_int_equal(rc, DELTA_EPERM);
    assert_non_null(strstr(msg, dir));
    assert_non_null(strstr(msg, strerror(EACCES)));
    free(dir);
}

static void test_uris(void **state)
{
    (void)state;
    char *dir = tmpdir_make("uri");
    assert_non_null(dir);
    delta_store *a = NULL, *b = NULL, *c = NULL, *d = NULL;

    /* file:///abs, file:/abs, file://localhost/abs and the plain path agree */
    char uri[PATH_MAX + 64];
    snprintf(uri, sizeof uri, "file://%s/", dir);
    assert_int_equal(delta_store_open(&a, uri), 0);
    uri[strlen(uri) - 1] = '\0';
    assert_string_equal(delta_store_uri(a), uri);
    snprintf(uri, sizeof uri, "file:%s", dir);
    assert_int_equal(delta_store_open(&b, uri), 0);
    snprintf(uri, sizeof uri, "FILE://localhost%s", dir);
    assert_int_equal(delta_store_open(&c, uri), 0);
    assert_int_equal(delta_store_open(&d, dir), 0);
    assert_int_equal(delta_store_put(a, "k", "v", 1), 0);
    expect_object(b, "k", "v", 1);
    expect_object(c, "k", "v", 1);
    expect_object(d, "k", "v", 1);
    delta_store_free(a);
    delta_store_free(b);
    delta_store_free(c);
    delta_store_free(d);

    /* percent escapes are decoded in file URIs, not in plain paths */
    snprintf(uri, sizeof uri, "file://%s/a%%20b", dir);
    assert_int_equal(delta_store_open(&a, uri), 0);
    assert_int_equal(delta_store_put(a, "k", "v", 1), 0);
    delta_store_free(a);
    char *spaced = tmpdir_join(dir, "a b/k");
    struct stat st;
    assert_int_equal(stat(spaced, &st), 0);
    free(spaced);
    snprintf(uri, sizeof uri, "file://%s/bad%%2", dir);
    assert_int_equal(delta_store_open(&a, uri), DELTA_EINVAL);
    snprintf(uri, sizeof uri, "file://%s/nul%%00", dir);
    assert_int_equal(delta_store_open(&a, uri), DELTA_EINVAL);
    snprintf(uri, sizeof uri, "%s/x%%20y", dir);
    assert_int_equal(delta_store_open(&a, uri), 0);
    assert_int_equal(delta_store_put(a, "k", "v", 1), 0);
    delta_store_free(a);
    spaced = tmpdir_join(dir, "x%20y/k");
    assert_int_equal(stat(spaced, &st), 0);
    free(spaced);

    /* a relative path is relative to the working directory */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    int rc1 = delta_store_open(&a, "rel/tbl");
    int rc2 = rc1 ? rc1 : delta_store_put(a, "k", "rel", 3);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc1, 0);
    assert_int_equal(rc2, 0);
    delta_store_free(a);
    char *rel = tmpdir_join(dir, "rel/tbl");
    assert_int_equal(delta_store_open(&a, rel), 0);
    expect_object(a, "k", "rel", 3);
    delta_store_free(a);
    free(rel);

    /* bad file URIs */
    assert_int_equal(delta_store_open(&a, "file:relative/x"), DELTA_EINVAL);
    assert_null(a);
    assert_int_equal(delta_store_open(&a, "file://"), DELTA_EINVAL);
    assert_int_equal(delta_store_open(&a, "file://otherhost/x"), DELTA_EUNSUPPORTED);
    assert_non_null(strstr(delta_error_last(), "otherhost"));
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_CHECKS(setup, teardown),
        cmocka_unit_test(test_temp_names),
        cmocka_unit_test_setup_teardown(test_root_created_on_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caps_durable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_temp_debris, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_files_in_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directories_and_files_in_the_way, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_temp_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_names_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable, setup, teardown),
        cmocka_unit_test(test_uris),
    };
    return cmocka_run_group_tests_name("storage/file", tests, NULL, NULL);
}
