/*
 * storage_basics: the object-store API in a few lines. Opens a store on a
 * folder, publishes an object with put_if_absent (the primitive every
 * Delta commit uses), shows that a second publish of the same key loses
 * with DELTA_EEXIST, then lists what is there.
 *
 *   storage_basics DIR
 */
#include <delta/delta.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: storage_basics DIR\n");
        return 2;
    }
    delta_store *store = NULL;
    if (delta_store_open(&store, argv[1]) != 0) {
        fprintf(stderr, "storage_basics: %s\n", delta_error_last());
        return 1;
    }
    int status = 1;
    const char *key = "_delta_log/00000000000000000000.json";
    const char *first = "{\"commitInfo\":{\"operation\":\"CREATE TABLE\"}}\n";
    const char *second = "{\"commitInfo\":{\"operation\":\"WRITE\"}}\n";

    if (delta_store_put_if_absent(store, key, first, strlen(first)) != 0) {
        fprintf(stderr, "storage_basics: %s\n", delta_error_last());
        goto done;
    }
    printf("published %s\n", key);
    int rc = delta_store_put_if_absent(store, key, second, strlen(second));
    printf("second writer of the same version: %s (%s)\n", delta_error_name(rc),
           rc ? delta_error_last() : "unexpectedly won");
    if (rc != DELTA_EEXIST)
        goto done;

    delta_object_list list = {0};
    if (delta_store_list(store, "_delta_log/", NULL, 0, &list) != 0) {
        fprintf(stderr, "storage_basics: %s\n", delta_error_last());
        goto done;
    }
    for (size_t i = 0; i < list.count; i++)
        printf("%s  %lld bytes\n", list.items[i].key, (long long)list.items[i].size);
    delta_object_list_free(&list);
    status = 0;
done:
    delta_store_free(store);
    return status;
}
