/*
 * Commands that change a table without writing data, on the public table
 * API (include/delta/table.h):
 *
 *   delta restore TABLE (--version N | --timestamp TS) [--format table|json]
 *   delta constraint add TABLE NAME EXPR [--format table|json]
 *   delta constraint drop TABLE NAME [--if-exists] [--format table|json]
 *
 * TABLE is a path or URI of a table, or a name in the lake (--lake).
 * Refusals print one line naming what is wrong, commit nothing and exit 1;
 * usage errors exit 2.
 */
#include <delta/delta.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli_util.h"
#include "commands.h"

/* Opens the table named by `name`; prints the error and returns nonzero. */
static int open_table(const cli_global *g, const char *cmd, const char *name, delta_table **t)
{
    *t = NULL;
    char *loc = cli_table_location(g, cmd, name);
    if (!loc)
        return EXIT_FAILURE_RUNTIME;
    int rc = delta_table_open(t, loc);
    free(loc);
    if (rc) {
        cli_report(cmd, rc);
        return rc == DELTA_EINVAL ? EXIT_USAGE : EXIT_FAILURE_RUNTIME;
    }
    return 0;
}

int cmd_restore(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {
        {"version", CLI_VALUE}, {"timestamp", CLI_VALUE}, {"format", CLI_VALUE}};
    const char *cmd = "restore";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help restore')\n", cmd);
        return EXIT_USAGE;
    }
    bool json;
    if (cli_parse_table_format(cmd, cli_get(&a, "format"), &json))
        return EXIT_USAGE;
    const char *vs = cli_get(&a, "version"), *ts = cli_get(&a, "timestamp");
    if (!vs == !ts) {
        fprintf(stderr, "delta %s: give --version N or --timestamp TS (one of them)\n", cmd);
        return EXIT_USAGE;
    }
    int64_t version = -1;
    if (vs && cli_parse_count(cmd, "--version", vs, &version))
        return EXIT_USAGE;
    delta_table *t;
    int status = open_table(g, cmd, a.positional[0], &t);
    if (status)
        return status;
    delta_restore_result r;
    int rc = delta_table_restore(t, version, ts, &r);
    delta_table_free(t);
    if (rc) {
        cli_report(cmd, rc);
        return rc == DELTA_EINVAL && ts ? EXIT_USAGE : EXIT_FAILURE_RUNTIME;
    }
    if (json)
        printf("{\"version\":%" PRId64 ",\"restored_version\":%" PRId64
               ",\"committed\":%s,\"table_size_after_restore\":%" PRId64
               ",\"num_of_files_after_restore\":%" PRId64 ",\"num_removed_files\":%" PRId64
               ",\"num_restored_files\":%" PRId64 ",\"removed_files_size\":%" PRId64
               ",\"restored_files_size\":%" PRId64 "}\n",
               r.version, r.restored_version, r.committed ? "true" : "false",
               r.table_size_after, r.num_files_after, r.num_removed_files,
               r.num_restored_files, r.removed_files_size, r.restored_files_size);
    else if (!r.committed)
        printf("version %" PRId64 " already has the state of version %" PRId64
               ": nothing committed\n",
               r.version, r.restored_version);
    else
        printf("restored version %" PRId64 " as version %" PRId64 ": %" PRId64
               " files removed (%" PRId64 " bytes), %" PRId64 " files restored (%" PRId64
               " bytes); %" PRId64 " files, %" PRId64 " bytes now\n",
               r.restored_version, r.version, r.num_removed_files, r.removed_files_size,
               r.num_restored_files, r.restored_files_size, r.num_files_after,
               r.table_size_after);
    return EXIT_OK;
}

int cmd_constraint(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"if-exists", CLI_FLAG}, {"format", CLI_VALUE}};
    const char *cmd = "constraint";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    bool json;
    if (cli_parse_table_format(cmd, cli_get(&a, "format"), &json))
        return EXIT_USAGE;
    const char *action = a.npositional ? a.positional[0] : "";
    bool add = strcmp(action, "add") == 0, drop = strcmp(action, "drop") == 0;
    if (!add && !drop) {
        fprintf(stderr, "delta %s: expected 'add TABLE NAME EXPR' or 'drop TABLE NAME'\n", cmd);
        return EXIT_USAGE;
    }
    if ((add && a.npositional != 4) || (drop && a.npositional != 3)) {
        fprintf(stderr, "delta %s: %s takes %s (see 'delta help constraint')\n", cmd, action,
                add ? "TABLE NAME EXPR" : "TABLE NAME");
        return EXIT_USAGE;
    }
    if (add && cli_has(&a, "if-exists")) {
        fprintf(stderr, "delta %s: --if-exists is an option of drop\n", cmd);
        return EXIT_USAGE;
    }
    const char *name = a.positional[2];
    delta_table *t;
    int status = open_table(g, cmd, a.positional[1], &t);
    if (status)
        return status;
    int64_t version = -1;
    int rc = add ? delta_table_add_constraint(t, name, a.positional[3], &version)
                 : delta_table_drop_constraint(t, name, cli_has(&a, "if-exists"), &version);
    delta_table_free(t);
    if (rc) {
        cli_report(cmd, rc);
        return EXIT_FAILURE_RUNTIME;
    }
    if (json) {
        printf("{\"action\":\"%s\",\"name\":", action);
        cli_json_string(stdout, name);
        printf(",\"committed\":%s,\"version\":", version >= 0 ? "true" : "false");
        if (version >= 0)
            printf("%" PRId64 "}\n", version);
        else
            fputs("null}\n", stdout);
    } else if (version < 0) {
        printf("no constraint '%s': nothing committed\n", name);
    } else {
        printf("%s constraint '%s' at version %" PRId64 "\n", add ? "added" : "dropped", name,
               version);
    }
    return EXIT_OK;
}
