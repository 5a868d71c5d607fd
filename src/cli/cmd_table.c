/*
 * Table reading commands, on the public table API (include/delta/table.h):
 *
 *   delta read TABLE [--version N | --timestamp TS] [--columns a,b] [--where EXPR]
 *              [--limit N] [--format table|csv|ndjson|json|parquet] [--output FILE]
 *   delta time-travel ...          (the same command)
 *   delta history TABLE [--limit N] [--format table|json]
 *   delta describe-table TABLE [--version N | --timestamp TS] [--format table|json]
 *
 * TABLE is a path or URI of a table; a bare name (no '/' or ':') is a table
 * of the lake (--lake URI): LAKE/NAME. Failures print one line naming
 * what is wrong and exit 1; usage errors exit 2; --where exits 3 until
 * the expression language is built.
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

/* The location of TABLE: itself when it looks like a path or URI, else
 * LAKE/TABLE. Returns a malloc'd string or NULL (message printed). */
static char *table_location(const cli_global *g, const char *cmd, const char *table)
{
    char *out;
    if (strchr(table, '/') || strchr(table, ':') || strcmp(table, ".") == 0 ||
        strcmp(table, "..") == 0) {
        out = strdup(table);
    } else {
        size_t n = strlen(g->lake);
        bool slash = n > 0 && g->lake[n - 1] == '/';
        if (asprintf(&out, "%s%s%s", g->lake, slash ? "" : "/", table) < 0)
            out = NULL;
    }
    if (!out)
        fprintf(stderr, "delta %s: out of memory\n", cmd);
    return out;
}

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
    char *loc = table_location(g, cmd, table);
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

int cmd_read(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"version", CLI_VALUE}, {"timestamp", CLI_VALUE},
                                   {"columns", CLI_VALUE}, {"where", CLI_VALUE},
                                   {"limit", CLI_VALUE},   {"format", CLI_VALUE},
                                   {"output", CLI_VALUE}};
    const char *cmd = "read";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help read')\n", cmd);
        return EXIT_USAGE;
    }
    delta_print_options po = DELTA_PRINT_OPTIONS_INIT;
    const char *fmt = cli_get(&a, "format");
    if (fmt && delta_format_parse(fmt, &po.format)) {
        fprintf(stderr, "delta %s: unknown format '%s' (table, csv, ndjson, json or parquet)\n",
                cmd, fmt);
        return EXIT_USAGE;
    }
    const char *output = cli_get(&a, "output");
    if (po.format == DELTA_FORMAT_PARQUET && !output) {
        fprintf(stderr, "delta %s: --format parquet needs --output FILE\n", cmd);
        return EXIT_USAGE;
    }
    const char *limit = cli_get(&a, "limit");
    delta_scan_options so = DELTA_SCAN_OPTIONS_INIT;
    if (limit && cli_parse_count(cmd, "--limit", limit, &so.limit))
        return EXIT_USAGE;
    cli_list cols = {0};
    const char *columns = cli_get(&a, "columns");
    if (columns && cli_split_list(cmd, "--columns", columns, &cols))
        return EXIT_USAGE;
    if (cli_get(&a, "where")) {
        fprintf(stderr, "delta %s: --where is not built yet in this version (%s)\n", cmd,
                delta_version());
        cli_list_free(&cols);
        return EXIT_NOT_BUILT;
    }
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
    struct ArrowArrayStream s;
    int rc = delta_snapshot_scan(snap, &so, &s);
    if (rc) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
    } else if (po.format == DELTA_FORMAT_PARQUET) {
        status = write_parquet(cmd, output, &s);
    } else {
        FILE *fp = stdout;
        if (output && !(fp = fopen(output, "w"))) {
            fprintf(stderr, "delta %s: cannot write '%s'\n", cmd, output);
            s.release(&s);
            status = EXIT_FAILURE_RUNTIME;
        } else {
            int64_t n = delta_print_stream(fp, &s, &po);
            if (n < 0) {
                cli_report(cmd, (int)n);
                status = EXIT_FAILURE_RUNTIME;
            }
            if (fp != stdout && fclose(fp) != 0 && !status) {
                fprintf(stderr, "delta %s: error writing '%s'\n", cmd, output);
                status = EXIT_FAILURE_RUNTIME;
            }
        }
    }
    delta_snapshot_free(snap);
    delta_table_free(t);
    cli_list_free(&cols);
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
    const char *fmt = cli_get(&a, "format");
    bool json = fmt && strcmp(fmt, "json") == 0;
    if (fmt && !json && strcmp(fmt, "table") != 0) {
        fprintf(stderr, "delta %s: unknown format '%s' (table or json)\n", cmd, fmt);
        return EXIT_USAGE;
    }
    int64_t limit = -1;
    const char *ls = cli_get(&a, "limit");
    if (ls && cli_parse_count(cmd, "--limit", ls, &limit))
        return EXIT_USAGE;
    char *loc = table_location(g, cmd, a.positional[0]);
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
    const char *fmt = cli_get(&a, "format");
    bool json = fmt && strcmp(fmt, "json") == 0;
    if (fmt && !json && strcmp(fmt, "table") != 0) {
        fprintf(stderr, "delta %s: unknown format '%s' (table or json)\n", cmd, fmt);
        return EXIT_USAGE;
    }
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
