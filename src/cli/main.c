/*
 * The delta command: global options, dispatch to a command, help and
 * version. Uses only the public libdelta API (include/delta/).
 *
 *   delta [--lake URI] COMMAND [ARGS...]
 *   delta --help | --version | help [COMMAND]
 */
#include <delta/delta.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static void print_usage(FILE *f)
{
    fprintf(f,
            "usage: delta [--lake URI] COMMAND [ARGS...]\n"
            "       delta --help | --version | help COMMAND\n"
            "\n"
            "A native Delta Lake engine: tables readable and writable by Spark, Trino,\n"
            "DuckDB and delta-rs. TABLE is a name in the lake (--lake URI, env\n"
            "DELTA_LAKE, default ./lake) or a path or URI of a table.\n"
            "\n"
            "commands:\n");
    for (unsigned i = 0; i < cli_command_count; i++) {
        const cli_command *c = &cli_commands[i];
        fprintf(f, "  %-15s %s%s\n", c->name, c->summary, c->run ? "" : " [not built yet]");
    }
    fprintf(f, "\n'delta help COMMAND' shows a command's options. Exit status: 0 success,\n"
               "1 failure, 2 usage error, 3 command not built yet.\n");
}

static int print_command_help(const char *name)
{
    const cli_command *c = cli_find_command(name);
    if (!c) {
        fprintf(stderr, "delta help: unknown command '%s' (see 'delta --help')\n", name);
        return EXIT_USAGE;
    }
    printf("usage: %s\n\n%s\n", c->synopsis, c->summary);
    if (c->details)
        printf("\n%s\n", c->details);
    if (!c->run)
        printf("\nThis command is not built yet: it exits with status 3.\n");
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    cli_global g = {0};
    int i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage(stdout);
            return EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            printf("delta %s\n", delta_version());
            return EXIT_OK;
        }
        if (strcmp(a, "--lake") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "delta: option '--lake' needs a value\n");
                return EXIT_USAGE;
            }
            g.lake = argv[++i];
        } else if (strncmp(a, "--lake=", 7) == 0) {
            g.lake = a + 7;
        } else {
            fprintf(stderr, "delta: unknown option '%s' (see 'delta --help')\n", a);
            return EXIT_USAGE;
        }
    }
    if (!g.lake)
        g.lake = getenv("DELTA_LAKE");
    if (!g.lake || !*g.lake)
        g.lake = "./lake";

    if (i >= argc) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[i];
    if (strcmp(name, "help") == 0) {
        if (i + 1 >= argc) {
            print_usage(stdout);
            return EXIT_OK;
        }
        return print_command_help(argv[i + 1]);
    }
    const cli_command *c = cli_find_command(name);
    if (!c) {
        fprintf(stderr, "delta: unknown command '%s' (see 'delta --help')\n", name);
        return EXIT_USAGE;
    }
    if (!c->run) {
        fprintf(stderr, "delta %s: not built yet in this version (%s)\n", name, delta_version());
        return EXIT_NOT_BUILT;
    }
    return c->run(&g, argc - i - 1, argv + i + 1);
}
