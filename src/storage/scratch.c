/*
 * Scratch folders for spill files (see scratch.h).
 */
#include "storage/scratch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"

int dscratch_open(dscratch *s, const char *parent, const char *prefix, const char *what)
{
    if (s->store)
        return 0;
    if (!parent || !*parent)
        parent = getenv("TMPDIR");
    if (!parent || !*parent)
        parent = "/tmp";
    dbuf path = DBUF_INIT;
    dbuf_printf(&path, "%s/%s-XXXXXX", parent, prefix); /* the mkdtemp template */
    if (path.err)
        return path.err;
    s->dir = dbuf_detach(&path, NULL);
    if (!s->dir)
        return DELTA_ENOMEM;
    if (!mkdtemp(s->dir)) {
        int rc = delta_error_set(DELTA_EIO, "%s: cannot make a spill folder under %s: %s", what,
                                 parent, strerror(errno));
        delta_free(s->dir);
        s->dir = NULL;
        return rc;
    }
    int rc = delta_store_open(&s->store, s->dir);
    if (rc)
        dscratch_close(s);
    return rc;
}

void dscratch_close(dscratch *s)
{
    if (s->store) {
        delta_object_list l;
        memset(&l, 0, sizeof l);
        if (delta_store_list(s->store, "", NULL, 0, &l) == 0)
            for (size_t i = 0; i < l.count; i++)
                delta_store_delete(s->store, l.items[i].key);
        delta_object_list_free(&l);
        delta_store_free(s->store);
    }
    if (s->dir)
        rmdir(s->dir);
    delta_free(s->dir);
    s->dir = NULL;
    s->store = NULL;
}
