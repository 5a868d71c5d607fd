/*
 * delta delete TABLE --where EXPR
 * delta update TABLE --set "col=EXPR,..." [--where EXPR]
 * delta merge TABLE --source FILE|TABLE [--source-format F] --on EXPR CLAUSE... [--merge-schema]
 *
 * On the public API (delta/dml.h). Each prints what it did (rows deleted,
 * updated, inserted, files added and removed, the version) or that
 * nothing changed; --format json prints the same figures as one object.
 * MERGE's clauses keep their order on the command line; `--if EXPR`
 * gives the clause before it a condition. A predicate, assignment or
 * clause the library refuses exits 2 with its message.
 */
#include <delta/delta.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli_util.h"
#include "commands.h"

static void print_result(const char *loc, const char *op, const delta_dml_result *r, bool json)
{
    if (json) {
        printf("{\"operation\":\"%s\",\"version\":%" PRId64 ",\"read_version\":%" PRId64
               ",\"committed\":%s,\"num_source_rows\":%" PRId64 ",\"num_rows_inserted\":%" PRId64
               ",\"num_rows_updated\":%" PRId64 ",\"num_rows_deleted\":%" PRId64
               ",\"num_rows_copied\":%" PRId64 ",\"num_files_added\":%" PRId64
               ",\"num_files_removed\":%" PRId64 ",\"num_bytes_added\":%" PRId64
               ",\"num_bytes_removed\":%" PRId64 ",\"num_deletion_vectors_added\":%" PRId64
               ",\"num_deletion_vectors_updated\":%" PRId64 ",\"num_change_files\":%" PRId64
               ",\"num_files_touched\":%" PRId64 ",\"num_files_skipped\":%" PRId64
               ",\"execution_ms\":%" PRId64 "}\n",
               op, r->version, r->read_version, r->version >= 0 ? "true" : "false",
               r->num_source_rows, r->num_rows_inserted, r->num_rows_updated,
               r->num_rows_deleted, r->num_rows_copied, r->num_files_added, r->num_files_removed,
               r->num_bytes_added, r->num_bytes_removed, r->num_dvs_added, r->num_dvs_updated,
               r->num_cdc_files, r->num_files_touched, r->num_files_skipped, r->execution_ms);
        return;
    }
    if (r->version < 0) {
        printf("%s changed nothing in %s (version %" PRId64 ")\n", op, loc, r->read_version);
        return;
    }
    printf("%s of %s committed as version %" PRId64 ": ", op, loc, r->version);
    if (!strcmp(op, "MERGE"))
        printf("%" PRId64 " source rows; ", r->num_source_rows);
    printf("%" PRId64 " rows inserted, %" PRId64 " updated, %" PRId64 " deleted, %" PRId64
           " copied; %" PRId64 " files added, %" PRId64 " removed",
           r->num_rows_inserted, r->num_rows_updated, r->num_rows_deleted, r->num_rows_copied,
           r->num_files_added, r->num_files_removed);
    if (r->num_dvs_added || r->num_dvs_updated)
        printf("; %" PRId64 " deletion vectors added, %" PRId64 " updated", r->num_dvs_added,
               r->num_dvs_updated);
    if (r->num_cdc_files)
        printf("; %" PRId64 " change data files", r->num_cdc_files);
    printf("\n");
}

static int finish(const char *cmd, const char *op, const char *loc, int rc,
                  const delta_dml_result *r, bool json)
{
    if (rc) {
        cli_report(cmd, rc);
        /* a predicate, assignment or clause refused, or a column, table or
         * source that does not exist, is a usage error; a conflict or a
         * failing read or write is a failure */
        return rc == DELTA_EINVAL || rc == DELTA_ETYPE || rc == DELTA_ENOTFOUND
                   ? EXIT_USAGE
                   : EXIT_FAILURE_RUNTIME;
    }
    print_result(loc, op, r, json);
    return EXIT_OK;
}

static int predicate_command(const cli_global *g, const char *cmd, int argc, char **argv)
{
    static const cli_opt opts[] = {{"where", CLI_VALUE}, {"set", CLI_VALUE}, {"format", CLI_VALUE}};
    bool update = !strcmp(cmd, "update");
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help %s')\n", cmd, cmd);
        return EXIT_USAGE;
    }
    bool json;
    if (cli_parse_table_format(cmd, cli_get(&a, "format"), &json))
        return EXIT_USAGE;
    const char *where = cli_get(&a, "where"), *set = cli_get(&a, "set");
    if (update && !set) {
        fprintf(stderr, "delta %s: --set col=EXPR[,col=EXPR...] is required\n", cmd);
        return EXIT_USAGE;
    }
    if (!update && set) {
        fprintf(stderr, "delta %s: --set belongs to 'delta update'\n", cmd);
        return EXIT_USAGE;
    }
    if (!update && !where) {
        fprintf(stderr, "delta %s: --where EXPR is required (--where true deletes every row)\n",
                cmd);
        return EXIT_USAGE;
    }
    char *loc = cli_table_location(g, cmd, a.positional[0]);
    if (!loc)
        return EXIT_FAILURE_RUNTIME;
    delta_table *t = NULL;
    delta_dml_result r;
    int rc = delta_table_open(&t, loc);
    if (!rc)
        rc = update ? delta_table_update(t, set, where, &r) : delta_table_delete(t, where, &r);
    int status = finish(cmd, update ? "UPDATE" : "DELETE", loc, rc, &r, json);
    delta_table_free(t);
    free(loc);
    return status;
}

int cmd_delete(const cli_global *g, int argc, char **argv)
{
    return predicate_command(g, "delete", argc, argv);
}

int cmd_update(const cli_global *g, int argc, char **argv)
{
    return predicate_command(g, "update", argc, argv);
}

/* ---- merge -------------------------------------------------------------- */

typedef struct clause_flag {
    const char *flag;
    delta_merge_when when;
    delta_merge_action action;
    bool takes_value;
} clause_flag;

static const clause_flag clause_flags[] = {
    {"--when-matched-update", DELTA_WHEN_MATCHED, DELTA_MERGE_UPDATE, true},
    {"--when-matched-update-all", DELTA_WHEN_MATCHED, DELTA_MERGE_UPDATE_ALL, false},
    {"--when-matched-delete", DELTA_WHEN_MATCHED, DELTA_MERGE_DELETE, false},
    {"--when-not-matched-insert", DELTA_WHEN_NOT_MATCHED, DELTA_MERGE_INSERT, true},
    {"--when-not-matched-insert-all", DELTA_WHEN_NOT_MATCHED, DELTA_MERGE_INSERT_ALL, false},
    {"--when-not-matched-by-source-update", DELTA_WHEN_NOT_MATCHED_BY_SOURCE, DELTA_MERGE_UPDATE,
     true},
    {"--when-not-matched-by-source-delete", DELTA_WHEN_NOT_MATCHED_BY_SOURCE, DELTA_MERGE_DELETE,
     false},
};

/* The value of a "--name VALUE" or "--name=VALUE" argument at argv[*i]
 * when it is `name`; advances *i past the value. */
static bool value_of(int argc, char **argv, int *i, const char *name, const char **out,
                     bool *missing)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return false;
    if (argv[*i][n] == '=') {
        *out = argv[*i] + n + 1;
        return true;
    }
    if (argv[*i][n] != 0)
        return false;
    if (*i + 1 >= argc) {
        *missing = true;
        return true;
    }
    *out = argv[++*i];
    return true;
}

int cmd_merge(const cli_global *g, int argc, char **argv)
{
    const char *cmd = "merge";
    const char *table = NULL, *format = NULL;
    delta_merge_options mo = DELTA_MERGE_OPTIONS_INIT;
    delta_merge_clause clauses[64];
    size_t nc = 0;
    const char *source = NULL;
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        bool missing = false, matched = false;
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] != '-') {
            if (table) {
                fprintf(stderr, "delta %s: unexpected argument '%s' (one TABLE)\n", cmd, arg);
                return EXIT_USAGE;
            }
            table = arg;
            continue;
        }
        if (!strcmp(arg, "--merge-schema")) {
            mo.merge_schema = true;
            continue;
        }
        for (size_t k = 0; k < sizeof clause_flags / sizeof clause_flags[0]; k++) {
            const clause_flag *cf = &clause_flags[k];
            bool hit = cf->takes_value ? value_of(argc, argv, &i, cf->flag, &v, &missing)
                                       : !strcmp(arg, cf->flag);
            if (!hit)
                continue;
            matched = true;
            if (missing)
                break;
            if (nc == sizeof clauses / sizeof clauses[0]) {
                fprintf(stderr, "delta %s: too many clauses (at most 64)\n", cmd);
                return EXIT_USAGE;
            }
            clauses[nc++] = (delta_merge_clause){cf->action, cf->when, NULL, v};
            break;
        }
        if (!matched) {
            if (value_of(argc, argv, &i, "--source", &v, &missing))
                source = v;
            else if (value_of(argc, argv, &i, "--source-format", &v, &missing))
                mo.source_format = v;
            else if (value_of(argc, argv, &i, "--on", &v, &missing))
                mo.on = v;
            else if (value_of(argc, argv, &i, "--format", &v, &missing))
                format = v;
            else if (value_of(argc, argv, &i, "--target-alias", &v, &missing))
                mo.target_alias = v;
            else if (value_of(argc, argv, &i, "--source-alias", &v, &missing))
                mo.source_alias = v;
            else if (value_of(argc, argv, &i, "--if", &v, &missing)) {
                if (!missing && (nc == 0 || clauses[nc - 1].condition)) {
                    fprintf(stderr, "delta %s: --if must follow a --when-... clause (once)\n", cmd);
                    return EXIT_USAGE;
                }
                if (!missing)
                    clauses[nc - 1].condition = v;
            } else {
                fprintf(stderr, "delta %s: unknown option '%s' (see 'delta help merge')\n", cmd,
                        arg);
                return EXIT_USAGE;
            }
        }
        if (missing) {
            fprintf(stderr, "delta %s: %s needs a value\n", cmd, arg);
            return EXIT_USAGE;
        }
    }
    if (!table || !source || !mo.on || nc == 0) {
        fprintf(stderr, "delta %s: TABLE, --source, --on and at least one --when-... clause are "
                        "required (see 'delta help merge')\n",
                cmd);
        return EXIT_USAGE;
    }
    bool json;
    if (cli_parse_table_format(cmd, format, &json))
        return EXIT_USAGE;
    mo.clauses = clauses;
    mo.num_clauses = nc;

    char *loc = cli_table_location(g, cmd, table);
    if (!loc)
        return EXIT_FAILURE_RUNTIME;
    /* a source that is a Delta table (a folder with _delta_log, or a lake
     * name) is read as a table, anything else as a file */
    delta_table *t = NULL, *st = NULL;
    char *sloc = NULL;
    int rc = 0;
    if (cli_is_table_ref(g, source)) {
        if (!(sloc = cli_table_location(g, cmd, source))) {
            free(loc);
            return EXIT_FAILURE_RUNTIME;
        }
        rc = delta_table_open(&st, sloc);
        mo.source_table = st;
    } else {
        mo.source_path = source;
    }
    delta_dml_result r;
    if (!rc)
        rc = delta_table_open(&t, loc);
    if (!rc)
        rc = delta_table_merge(t, &mo, &r);
    int status = finish(cmd, "MERGE", loc, rc, &r, json);
    delta_table_free(t);
    delta_table_free(st);
    free(sloc);
    free(loc);
    return status;
}
