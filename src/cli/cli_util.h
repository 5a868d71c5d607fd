/*
 * Small helpers shared by the command implementations: reporting a
 * library error as one line, and checked parsing of option values. Each
 * parser prints "delta CMD: ..." naming the option and the bad value and
 * returns nonzero, so a command can `return EXIT_USAGE` on failure.
 */
#ifndef DELTA_CLI_UTIL_H
#define DELTA_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Prints "delta CMD: MESSAGE" from delta_error_last() (or the code's name
 * when there is no message). */
void cli_report(const char *cmd, int rc);

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

#endif
