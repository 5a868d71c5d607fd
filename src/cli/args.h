/*
 * Command-line option parsing for the delta tool. Each command declares its
 * options as a table; cli_parse() checks argv against it and reports the
 * first problem as one line naming the command and the option, so every
 * command rejects bad flags the same way (exit status 2).
 */
#ifndef DELTA_CLI_ARGS_H
#define DELTA_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define CLI_MAX_VALUES 64

enum cli_arg_kind {
    CLI_FLAG,     /* --name               */
    CLI_VALUE,    /* --name VALUE or --name=VALUE, once */
    CLI_REPEATED  /* --name VALUE, any number of times */
};

typedef struct cli_opt {
    const char *name; /* without the leading dashes */
    enum cli_arg_kind kind;
} cli_opt;

typedef struct cli_args {
    const char *positional[CLI_MAX_VALUES];
    size_t npositional;
    /* Parallel to the option table: how often each option was given and
     * the values (the last for CLI_VALUE, all for CLI_REPEATED). */
    const char *values[32][CLI_MAX_VALUES];
    size_t counts[32];
    const cli_opt *opts;
    size_t nopts;
} cli_args;

/* Parses argv[0..argc) (after the command name). On error prints
 * "delta CMD: ..." to stderr and returns 2; returns 0 on success. */
int cli_parse(cli_args *out, const char *cmd, int argc, char **argv, const cli_opt *opts,
              size_t nopts);

/* The value of option `name` (NULL when absent), whether a flag was given,
 * and the values of a repeated option. */
const char *cli_get(const cli_args *a, const char *name);
bool cli_has(const cli_args *a, const char *name);
size_t cli_get_all(const cli_args *a, const char *name, const char ***values);

#endif
