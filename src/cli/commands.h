/*
 * The delta command table: every command of the command-line contract
 * (docs/cli.md), with its synopsis and summary. A command whose `run` is
 * NULL is not built yet: invoking it says so and exits 3.
 */
#ifndef DELTA_CLI_COMMANDS_H
#define DELTA_CLI_COMMANDS_H

/* Exit statuses of the delta command. */
enum {
    EXIT_OK = 0,
    EXIT_FAILURE_RUNTIME = 1, /* the operation failed (message on stderr) */
    EXIT_USAGE = 2,           /* unknown command, bad flag or argument */
    EXIT_NOT_BUILT = 3        /* the command exists in the contract but not yet here */
};

/* Options that apply to every command, parsed before the command name. */
typedef struct cli_global {
    const char *lake; /* --lake URI, else $DELTA_LAKE, else "./lake" */
} cli_global;

typedef struct cli_command {
    const char *name;
    const char *synopsis; /* usage lines, each starting with "delta NAME" */
    const char *summary;  /* one line for the command list */
    const char *details;  /* paragraph for 'delta help NAME' (may be NULL) */
    int (*run)(const cli_global *g, int argc, char **argv);
} cli_command;

/* Command implementations (cmd_*.c). */
int cmd_parquet(const cli_global *g, int argc, char **argv);
int cmd_read(const cli_global *g, int argc, char **argv);
int cmd_history(const cli_global *g, int argc, char **argv);
int cmd_describe_table(const cli_global *g, int argc, char **argv);
int cmd_create(const cli_global *g, int argc, char **argv);
int cmd_write(const cli_global *g, int argc, char **argv);
int cmd_list_tables(const cli_global *g, int argc, char **argv);
int cmd_checkpoint(const cli_global *g, int argc, char **argv);
int cmd_vacuum(const cli_global *g, int argc, char **argv);
int cmd_optimize(const cli_global *g, int argc, char **argv);
int cmd_generate(const cli_global *g, int argc, char **argv);
int cmd_restore(const cli_global *g, int argc, char **argv);
int cmd_constraint(const cli_global *g, int argc, char **argv);
int cmd_delete(const cli_global *g, int argc, char **argv);
int cmd_update(const cli_global *g, int argc, char **argv);
int cmd_merge(const cli_global *g, int argc, char **argv);
int cmd_changes(const cli_global *g, int argc, char **argv);
int cmd_maintenance(const cli_global *g, int argc, char **argv);

extern const cli_command cli_commands[];
extern const unsigned cli_command_count;

const cli_command *cli_find_command(const char *name);

#endif
