/*
 * Scratch folders: a new local folder for temporary spill files (sort
 * runs, rows grouped by partition), opened as a store, and removed with
 * everything in it when done. A crash leaves the folder behind under the
 * temporary directory, never inside a table.
 */
#ifndef DELTA_STORAGE_SCRATCH_H
#define DELTA_STORAGE_SCRATCH_H

#include <delta/storage.h>

typedef struct dscratch {
    char *dir;          /* the folder, or NULL before it is made */
    delta_store *store; /* the folder as a store */
} dscratch;

/* Makes PARENT/PREFIX-XXXXXX (mkdtemp; parent NULL or "": $TMPDIR, else
 * /tmp) and opens it. `what` names the user in the error (DELTA_EIO
 * naming the parent and the reason). Nothing to do when s is open. */
int dscratch_open(dscratch *s, const char *parent, const char *prefix, const char *what);

/* Deletes every file of the folder, then the folder; s is closed. */
void dscratch_close(dscratch *s);

#endif
