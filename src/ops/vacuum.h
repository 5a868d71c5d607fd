/*
 * VACUUM over a table's store (the public face is delta_table_vacuum in
 * delta/vacuum.h, which documents the rules).
 *
 * Invariant: a file is deleted only when the latest snapshot does not
 * reference it (as a live file or a live file's deletion vector), no
 * remove inside the retention window references it, its name is not
 * hidden (no '_' or '.' segment other than partition folders and
 * `_change_data`, never `_delta_log/`), and it was last modified before
 * the window. So a vacuum interrupted at any point - an error, a crash
 * between two deletes - leaves every file of every version inside the
 * window in place, and the table readable.
 *
 * Order of work: replay the latest snapshot and check its protocol for
 * writing; collect the references; find candidates (a recursive listing
 * of the root, or for `lite` the expired removes of the log, each checked
 * with a head); then, unless a dry run, commit VACUUM START, delete the
 * candidates in key order, remove folders left empty (local roots), and
 * commit VACUUM END (status FAILED when a delete failed, best effort).
 */
#ifndef DELTA_OPS_VACUUM_H
#define DELTA_OPS_VACUUM_H

#include <delta/storage.h>
#include <delta/vacuum.h>

/* Vacuums the table whose root is `table` (see delta_table_vacuum). */
int dops_vacuum(delta_store *table, const delta_vacuum_options *opts, delta_vacuum_result *out);

/* Whether vacuum leaves a key alone because of its name: `_delta_log/`,
 * and any file or folder starting with '_' or '.', except folders
 * "COL=..." of a partition column COL and a top-level `_change_data/`. */
bool dops_vacuum_hidden(const char *key, char *const *partition_columns, size_t num_partition_columns);

#endif
