/*
 * Small helpers shared by the command implementations: reporting a
 * library error as one line, and checked parsing of option values. Each
 * parser prints "delta CMD: ..." naming the option and the bad value and
 * returns nonzero, so a command can `return EXIT_USAGE` on failure.
 */
#ifndef DELTA_CLI_UTIL_H
#define DELTA_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commands.h"
#include <stdio.h>

/* Prints "delta CMD: MESSAGE" from delta_error_last() (or the code's name
 * when there is no message). */
void cli_report(const char *cmd, int rc);

/* Where TABLE lives: itself when it looks like a path or URI (it holds a
 * '/' or ':', or is "." or ".."), else LAKE/TABLE after checking TABLE is
 * a valid lake name. A malloc'd string, or NULL with the error printed. */
char *cli_table_location(const cli_global *g, const char *cmd, const char *table);

/* --format table|json (fmt NULL = table): 0 with *json set, or nonzero
 * with the error printed (a usage error). */
/* Whether `ref` names a Delta table rather than a file: a local folder
 * holding _delta_log/, or a name of a table in the lake. */
bool cli_is_table_ref(const cli_global *g, const char *ref);

int cli_parse_table_format(const char *cmd, const char *fmt, bool *json);

/* A whole non-negative decimal integer (count) or a positive one. */
int cli_parse_count(const char *cmd, const char *opt, const char *text, int64_t *out);
int cli_parse_positive(const char *cmd, const char *opt, const char *text, int64_t *out);

/* A comma-separated list of non-empty names ("a,b , c"); whitespace
 * around names is dropped. Free with cli_list_free. */
typedef struct cli_list {
    char **items;
    size_t count;
} cli_list;
int cli_split_list(const char *cmd, const char *opt, const char *text, cli_list *out);
void cli_list_free(cli_list *l);

/* An open store and the key of one object in it: a local path or store
 * URI split at its last '/' (the folder opens the store). Prints a one-line
 * error naming `cmd` and returns an exit status on failure. */
typedef struct cli_file_ref {
    struct delta_store *store;
    char *key;
} cli_file_ref;
int cli_open_file_ref(const char *cmd, cli_file_ref *out, const char *path);
void cli_close_file_ref(cli_file_ref *f);

/* Appends s as a quoted JSON string to fp. */
void cli_json_string(FILE *fp, const char *s);

#endif
