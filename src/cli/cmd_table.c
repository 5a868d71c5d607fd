/*
 * Table reading commands, on the public table API (include/delta/table.h):
 *
 *   delta read TABLE [--version N | --timestamp TS] [--columns a,b] [--where EXPR]
 *              [--limit N] [--format table|csv|ndjson|json|parquet] [--output FILE]
 *              [--explain]
 *   delta time-travel ...          (the same command)
 *   delta changes TABLE --from-version A [--to-version B]
 *                 [--format table|csv|ndjson|json|parquet] [--output FILE]
 *   delta history TABLE [--limit N] [--format table|json]
 *   delta describe-table TABLE [--version N | --timestamp TS] [--format table|json]
 *   delta checkpoint TABLE [--format table|json]
 *
 * TABLE is a path or URI of a table; a bare name (no '/' or ':') is a table
 * of the lake (--lake URI): LAKE/NAME. Failures print one line naming
 * what is wrong and exit 1; usage errors exit 2.
 */
#include <delta/delta.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cli_util.h"
#include "commands.h"

/* Opens TABLE and loads its snapshot (version/timestamp may be absent). */
static int open_snapshot(const cli_global *g, const char *cmd, const char *table,
                         const char *version, const char *timestamp, delta_table **t,
                         delta_snapshot **snap)
{
    *t = NULL;
    *snap = NULL;
    int64_t v = -1;
    if (version && cli_parse_count(cmd, "--version", version, &v))
        return EXIT_USAGE;
    if (version && timestamp) {
        fprintf(stderr, "delta %s: give --version or --timestamp, not both\n", cmd);
        return EXIT_USAGE;
    }
    char *loc = cli_table_location(g, cmd, table);
    if (!loc)
        return EXIT_FAILURE_RUNTIME;
    int rc = delta_table_open(t, loc);
    if (!rc)
        rc = delta_table_snapshot(snap, *t, v, timestamp);
    free(loc);
    if (rc) {
        cli_report(cmd, rc);
        delta_table_free(*t);
        *t = NULL;
        return rc == DELTA_EINVAL && timestamp ? EXIT_USAGE : EXIT_FAILURE_RUNTIME;
    }
    return EXIT_OK;
}

static int write_parquet(const char *cmd, const char *path, struct ArrowArrayStream *s)
{
    cli_file_ref out;
    int status = cli_open_file_ref(cmd, &out, path);
    if (status) {
        s->release(s);
        return status;
    }
    struct ArrowSchema schema = {0};
    delta_parquet_writer *w = NULL;
    int rc = s->get_schema(s, &schema);
    if (rc) {
        const char *msg = s->get_last_error(s);
        fprintf(stderr, "delta %s: %s\n", cmd, msg ? msg : "cannot read the schema");
        s->release(s);
        cli_close_file_ref(&out);
        return EXIT_FAILURE_RUNTIME;
    }
    rc = delta_parquet_writer_open(&w, out.store, out.key, &schema, NULL);
    if (!rc)
        rc = delta_parquet_writer_write_stream(w, s); /* consumes s */
    else
        s->release(s);
    if (!rc)
        rc = delta_parquet_writer_close(w);
    if (rc) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
    }
    delta_parquet_writer_free(w);
    if (schema.release)
        schema.release(&schema);
    cli_close_file_ref(&out);
    return status;
}

/* Prints rows (or writes them to a Parquet file): --format and --output
 * of `delta read` and `delta changes`. Consumes s. */
static int output_rows(const char *cmd, struct ArrowArrayStream *s,
                       const delta_print_options *po, const char *output)
{
    if (po->format == DELTA_FORMAT_PARQUET)
        return write_parquet(cmd, output, s);
    FILE *fp = stdout;
    if (output && !(fp = fopen(output, "w"))) {
        fprintf(stderr, "delta %s: cannot write '%s'\n", cmd, output);
        s->release(s);
        return EXIT_FAILURE_RUNTIME;
    }
    int status = EXIT_OK;
    int64_t n = delta_print_stream(fp, s, po);
    if (n < 0) {
        cli_report(cmd, (int)n);
        status = EXIT_FAILURE_RUNTIME;
    }
    if (fp != stdout && fclose(fp) != 0 && !status) {
        fprintf(stderr, "delta %s: error writing '%s'\n", cmd, output);
        status = EXIT_FAILURE_RUNTIME;
    }
    return status;
}

/* Parses --format (table|csv|ndjson|json|parquet) and checks that parquet
 * has --output. 0, or a usage error printed. */
static int parse_rows_format(const char *cmd, const char *fmt, const char *output,
                             bool explain, delta_print_options *po)
{
    if (fmt && delta_format_parse(fmt, &po->format)) {
        fprintf(stderr, "delta %s: unknown format '%s' (table, csv, ndjson, json or parquet)\n",
                cmd, fmt);
        return EXIT_USAGE;
    }
    if (po->format == DELTA_FORMAT_PARQUET && !output && !explain) {
        fprintf(stderr, "delta %s: --format parquet needs --output FILE\n", cmd);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* --explain: which files the scan would read, and why the others not. */
static int print_plan(const char *cmd, delta_snapshot *snap, const delta_scan_options *so,
                      bool json)
{
    delta_scan_plan p;
    int rc = delta_snapshot_scan_plan(snap, so, &p);
    if (rc) {
        cli_report(cmd, rc);
        return EXIT_FAILURE_RUNTIME;
    }
    if (json) {
        printf("{\"version\":%" PRId64 ",\"where\":", delta_snapshot_version(snap));
        if (so->where)
            cli_json_string(stdout, so->where);
        else
            fputs("null", stdout);
        printf(",\"files_total\":%zu,\"files_pruned\":%zu,\"files_skipped\":%zu,"
               "\"files_read\":%zu,\"bytes_total\":%" PRId64 ",\"bytes_read\":%" PRId64 "}\n",
               p.files_total, p.files_pruned, p.files_skipped, p.files_selected, p.bytes_total,
               p.bytes_selected);
    } else {
        printf("version                %" PRId64 "\n", delta_snapshot_version(snap));
        printf("where                  %s\n", so->where ? so->where : "-");
        printf("files total            %zu\n", p.files_total);
        printf("pruned by partition    %zu\n", p.files_pruned);
        printf("skipped by statistics  %zu\n", p.files_skipped);
        printf("files read             %zu\n", p.files_selected);
        printf("bytes total            %" PRId64 "\n", p.bytes_total);
        printf("bytes read             %" PRId64 "\n", p.bytes_selected);
    }
    return EXIT_OK;
}

int cmd_read(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"version", CLI_VALUE}, {"timestamp", CLI_VALUE},
                                   {"columns", CLI_VALUE}, {"where", CLI_VALUE},
                                   {"limit", CLI_VALUE},   {"format", CLI_VALUE},
                                   {"output", CLI_VALUE},  {"explain", CLI_FLAG}};
    const char *cmd = "read";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help read')\n", cmd);
        return EXIT_USAGE;
    }
    delta_print_options po = DELTA_PRINT_OPTIONS_INIT;
    const char *output = cli_get(&a, "output");
    bool explain = cli_has(&a, "explain");
    if (parse_rows_format(cmd, cli_get(&a, "format"), output, explain, &po))
        return EXIT_USAGE;
    const char *limit = cli_get(&a, "limit");
    delta_scan_options so = DELTA_SCAN_OPTIONS_INIT;
    if (limit && cli_parse_count(cmd, "--limit", limit, &so.limit))
        return EXIT_USAGE;
    cli_list cols = {0};
    const char *columns = cli_get(&a, "columns");
    if (columns && cli_split_list(cmd, "--columns", columns, &cols))
        return EXIT_USAGE;
    so.where = cli_get(&a, "where");
    so.columns = (const char *const *)cols.items;
    so.num_columns = cols.count;

    delta_table *t;
    delta_snapshot *snap;
    int status = open_snapshot(g, cmd, a.positional[0], cli_get(&a, "version"),
                               cli_get(&a, "timestamp"), &t, &snap);
    if (status) {
        cli_list_free(&cols);
        return status;
    }
    if (explain) {
        status = print_plan(cmd, snap, &so, po.format == DELTA_FORMAT_JSON ||
                                                po.format == DELTA_FORMAT_NDJSON);
        delta_snapshot_free(snap);
        delta_table_free(t);
        cli_list_free(&cols);
        return status;
    }
    struct ArrowArrayStream s;
    int rc = delta_snapshot_scan(snap, &so, &s);
    if (rc) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
    } else {
        status = output_rows(cmd, &s, &po, output);
    }
    delta_snapshot_free(snap);
    delta_table_free(t);
    cli_list_free(&cols);
    return status;
}

/* delta changes: the change data feed of a version range. */
int cmd_changes(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"from-version", CLI_VALUE},
                                   {"to-version", CLI_VALUE},
                                   {"format", CLI_VALUE},
                                   {"output", CLI_VALUE}};
    const char *cmd = "changes";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help changes')\n", cmd);
        return EXIT_USAGE;
    }
    const char *from = cli_get(&a, "from-version"), *to = cli_get(&a, "to-version");
    if (!from) {
        fprintf(stderr, "delta %s: --from-version is required\n", cmd);
        return EXIT_USAGE;
    }
    delta_changes_options co = DELTA_CHANGES_OPTIONS_INIT;
    if (cli_parse_count(cmd, "--from-version", from, &co.from_version) ||
        (to && cli_parse_count(cmd, "--to-version", to, &co.to_version)))
        return EXIT_USAGE;
    if (to && co.from_version > co.to_version) {
        fprintf(stderr, "delta %s: --from-version %s is after --to-version %s\n", cmd, from, to);
        return EXIT_USAGE;
    }
    delta_print_options po = DELTA_PRINT_OPTIONS_INIT;
    const char *output = cli_get(&a, "output");
    if (parse_rows_format(cmd, cli_get(&a, "format"), output, false, &po))
        return EXIT_USAGE;
    char *loc = cli_table_location(g, cmd, a.positional[0]);
    if (!loc)
        return EXIT_FAILURE_RUNTIME;
    delta_table *t = NULL;
    struct ArrowArrayStream s;
    int rc = delta_table_open(&t, loc);
    free(loc);
    if (!rc)
        rc = delta_table_changes(t, &co, &s);
    int status;
    if (rc) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
    } else {
        status = output_rows(cmd, &s, &po, output);
    }
    delta_table_free(t);
    return status;
}

static void format_time(char *buf, size_t cap, int64_t ms)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    int frac = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%03dZ", frac);
}

int cmd_history(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"limit", CLI_VALUE}, {"format", CLI_VALUE}};
    const char *cmd = "history";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, 2))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help history')\n", cmd);
        return EXIT_USAGE;
    }
    bool json;
    if (cli_parse_table_format(cmd, cli_get(&a, "format"), &json))
        return EXIT_USAGE;
    int64_t limit = -1;
    const char *ls = cli_get(&a, "limit");
    if (ls && cli_parse_count(cmd, "--limit", ls, &limit))
        return EXIT_USAGE;
    char *loc = cli_table_location(g, cmd, a.positional[0]);
    if (!loc)
        return EXIT_FAILURE_RUNTIME;
    delta_table *t = NULL;
    delta_history *h = NULL;
    int rc = delta_table_open(&t, loc);
    if (!rc)
        rc = delta_table_history(&h, t, limit);
    free(loc);
    int status = EXIT_OK;
    if (rc) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
        goto done;
    }
    if (json)
        fputs("[", stdout);
    else
        printf("%-8s %-24s %-20s %s\n", "VERSION", "TIMESTAMP", "OPERATION",
               "PARAMETERS / METRICS");
    delta_commit c;
    int n = 0;
    while ((rc = delta_history_next(h, &c)) == 1) {
        char ts[64];
        format_time(ts, sizeof ts, c.timestamp);
        if (json) {
            printf("%s\n{\"version\":%" PRId64 ",\"timestamp\":\"%s\",\"operation\":", n ? "," : "",
                   c.version, ts);
            if (c.operation)
                cli_json_string(stdout, c.operation);
            else
                fputs("null", stdout);
            printf(",\"parameters\":%s,\"metrics\":%s,\"commitInfo\":%s}",
                   c.parameters ? c.parameters : "null", c.metrics ? c.metrics : "null",
                   c.commit_info ? c.commit_info : "null");
        } else {
            printf("%-8" PRId64 " %-24s %-20s %s%s%s\n", c.version, ts,
                   c.operation ? c.operation : "-", c.parameters ? c.parameters : "",
                   c.parameters && c.metrics ? " " : "", c.metrics ? c.metrics : "");
        }
        n++;
    }
    if (json)
        fputs(n ? "\n]\n" : "]\n", stdout);
    if (rc < 0) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
    }
done:
    delta_history_free(h);
    delta_table_free(t);
    return status;
}

int cmd_describe_table(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {
        {"format", CLI_VALUE}, {"version", CLI_VALUE}, {"timestamp", CLI_VALUE}};
    const char *cmd = "describe-table";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, 3))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help describe-table')\n", cmd);
        return EXIT_USAGE;
    }
    bool json;
    if (cli_parse_table_format(cmd, cli_get(&a, "format"), &json))
        return EXIT_USAGE;
    delta_table *t;
    delta_snapshot *snap;
    int status = open_snapshot(g, cmd, a.positional[0], cli_get(&a, "version"),
                               cli_get(&a, "timestamp"), &t, &snap);
    if (status)
        return status;
    char *text = NULL;
    int rc = delta_snapshot_describe(snap, json, &text);
    if (rc) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
    } else {
        fputs(text, stdout);
    }
    delta_free(text);
    delta_snapshot_free(snap);
    delta_table_free(t);
    return status;
}

int cmd_checkpoint(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"format", CLI_VALUE}};
    const char *cmd = "checkpoint";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, 1))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help checkpoint')\n", cmd);
        return EXIT_USAGE;
    }
    bool json;
    if (cli_parse_table_format(cmd, cli_get(&a, "format"), &json))
        return EXIT_USAGE;
    char *loc = cli_table_location(g, cmd, a.positional[0]);
    if (!loc)
        return EXIT_FAILURE_RUNTIME;
    delta_table *t = NULL;
    delta_checkpoint_info ci;
    int rc = delta_table_open(&t, loc);
    if (!rc)
        rc = delta_table_checkpoint(t, &ci);
    free(loc);
    delta_table_free(t);
    if (rc) {
        cli_report(cmd, rc);
        return EXIT_FAILURE_RUNTIME;
    }
    if (json)
        printf("{\"version\":%" PRId64 ",\"actions\":%" PRId64 ",\"size_bytes\":%" PRId64
               ",\"files\":%" PRId64 ",\"tombstones\":%" PRId64 "}\n",
               ci.version, ci.num_actions, ci.size_bytes, ci.num_files, ci.num_tombstones);
    else
        printf("checkpoint at version %" PRId64 ": %" PRId64 " actions (%" PRId64
               " files, %" PRId64 " tombstones), %" PRId64 " bytes\n",
               ci.version, ci.num_actions, ci.num_files, ci.num_tombstones, ci.size_bytes);
    return EXIT_OK;
}
