/*
 * `delta parquet`: inspect, print and rewrite single Parquet files with the
 * library's own reader and writer (include/delta/parquet.h).
 *
 *   delta parquet schema FILE [--format text|json]
 *   delta parquet meta FILE [--format text|json]
 *   delta parquet cat FILE [--columns a,b] [--limit N] [--format table|csv|ndjson|json]
 *   delta parquet rewrite IN OUT [--compression C] [--row-group-size ROWS] [--page-size BYTES]
 *
 * FILE is a local path or a store URI (file://, memory://); the folder part
 * opens the store and the last segment is the object key. `rewrite`
 * decodes every value of IN and encodes it again into OUT (replacing OUT
 * atomically when it exists), keeping the schema, logical types, field ids
 * and key-value metadata.
 */
#include <delta/delta.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli_util.h"
#include "commands.h"

static int describe(const char *what_name, int what, int argc, char **argv)
{
    static const cli_opt opts[] = {{"format", CLI_VALUE}};
    cli_args a;
    char cmd[32];
    snprintf(cmd, sizeof cmd, "parquet %s", what_name);
    if (cli_parse(&a, cmd, argc, argv, opts, 1))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one FILE (see 'delta help parquet')\n", cmd);
        return EXIT_USAGE;
    }
    const char *fmt = cli_get(&a, "format");
    bool json = false;
    if (fmt && strcmp(fmt, "json") == 0)
        json = true;
    else if (fmt && strcmp(fmt, "text") != 0) {
        fprintf(stderr, "delta %s: unknown format '%s' (text or json)\n", cmd, fmt);
        return EXIT_USAGE;
    }
    cli_file_ref f;
    int status = cli_open_file_ref("parquet", &f, a.positional[0]);
    if (status)
        return status;
    delta_parquet_reader *r = NULL;
    char *text = NULL;
    int rc = delta_parquet_reader_open(&r, f.store, f.key, NULL);
    if (!rc)
        rc = delta_parquet_reader_describe(r, what, json, &text);
    if (rc) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
    } else {
        fputs(text, stdout);
    }
    delta_free(text);
    delta_parquet_reader_free(r);
    cli_close_file_ref(&f);
    return status;
}

static int cat(int argc, char **argv)
{
    static const cli_opt opts[] = {
        {"columns", CLI_VALUE}, {"limit", CLI_VALUE}, {"format", CLI_VALUE}};
    cli_args a;
    if (cli_parse(&a, "parquet cat", argc, argv, opts, 3))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta parquet cat: expected one FILE (see 'delta help parquet')\n");
        return EXIT_USAGE;
    }
    delta_print_options po = DELTA_PRINT_OPTIONS_INIT;
    const char *fmt = cli_get(&a, "format");
    if (fmt && (delta_format_parse(fmt, &po.format) || po.format == DELTA_FORMAT_PARQUET)) {
        fprintf(stderr, "delta parquet cat: unknown format '%s' (table, csv, ndjson or json)\n",
                fmt);
        return EXIT_USAGE;
    }
    const char *limit = cli_get(&a, "limit");
    if (limit && cli_parse_count("parquet cat", "--limit", limit, &po.limit))
        return EXIT_USAGE;
    cli_list cols = {0};
    const char *columns = cli_get(&a, "columns");
    if (columns && cli_split_list("parquet cat", "--columns", columns, &cols))
        return EXIT_USAGE;

    cli_file_ref f;
    int status = cli_open_file_ref("parquet", &f, a.positional[0]);
    if (status) {
        cli_list_free(&cols);
        return status;
    }
    delta_parquet_read_options ro = DELTA_PARQUET_READ_OPTIONS_INIT;
    ro.columns = (const char *const *)cols.items;
    ro.num_columns = cols.count;
    delta_parquet_reader *r = NULL;
    struct ArrowArrayStream s;
    int rc = delta_parquet_reader_open(&r, f.store, f.key, columns ? &ro : NULL);
    if (!rc)
        rc = delta_parquet_reader_stream(r, &s);
    if (!rc) {
        int64_t n = delta_print_stream(stdout, &s, &po);
        if (n < 0)
            rc = (int)n;
    }
    if (rc) {
        cli_report("parquet cat", rc);
        status = EXIT_FAILURE_RUNTIME;
    }
    delta_parquet_reader_free(r);
    cli_close_file_ref(&f);
    cli_list_free(&cols);
    return status;
}

static int rewrite(int argc, char **argv)
{
    static const cli_opt opts[] = {
        {"compression", CLI_VALUE}, {"row-group-size", CLI_VALUE}, {"page-size", CLI_VALUE}};
    cli_args a;
    if (cli_parse(&a, "parquet rewrite", argc, argv, opts, 3))
        return EXIT_USAGE;
    if (a.npositional != 2) {
        fprintf(stderr, "delta parquet rewrite: expected IN and OUT (see 'delta help parquet')\n");
        return EXIT_USAGE;
    }
    delta_parquet_write_options wo = DELTA_PARQUET_WRITE_OPTIONS_INIT;
    wo.compression = cli_get(&a, "compression");
    const char *v;
    if ((v = cli_get(&a, "row-group-size")) &&
        cli_parse_positive("parquet rewrite", "--row-group-size", v, &wo.row_group_rows))
        return EXIT_USAGE;
    if ((v = cli_get(&a, "page-size")) &&
        cli_parse_positive("parquet rewrite", "--page-size", v, &wo.page_size))
        return EXIT_USAGE;

    cli_file_ref in, out;
    int status = cli_open_file_ref("parquet", &in, a.positional[0]);
    if (status)
        return status;
    if ((status = cli_open_file_ref("parquet", &out, a.positional[1]))) {
        cli_close_file_ref(&in);
        return status;
    }
    delta_parquet_reader *r = NULL;
    delta_parquet_writer *w = NULL;
    struct ArrowSchema schema = {0};
    struct ArrowArrayStream s;
    int rc = delta_parquet_reader_open(&r, in.store, in.key, NULL);
    if (!rc)
        rc = delta_parquet_reader_metadata(r, &wo.kv_keys, &wo.kv_values, &wo.num_kv);
    if (!rc)
        rc = delta_parquet_reader_schema(r, &schema);
    if (!rc)
        rc = delta_parquet_writer_open(&w, out.store, out.key, &schema, &wo);
    if (!rc)
        rc = delta_parquet_reader_stream(r, &s);
    if (!rc)
        rc = delta_parquet_writer_write_stream(w, &s);
    if (!rc)
        rc = delta_parquet_writer_close(w);
    if (rc) {
        cli_report("parquet rewrite", rc);
        status = EXIT_FAILURE_RUNTIME;
    }
    delta_parquet_writer_free(w); /* without a successful close, nothing is published */
    if (schema.release)
        schema.release(&schema);
    delta_parquet_reader_free(r);
    cli_close_file_ref(&out);
    cli_close_file_ref(&in);
    return status;
}

int cmd_parquet(const cli_global *g, int argc, char **argv)
{
    (void)g;
    if (argc < 1) {
        fprintf(stderr, "delta parquet: expected schema, meta, cat or rewrite "
                        "(see 'delta help parquet')\n");
        return EXIT_USAGE;
    }
    const char *sub = argv[0];
    if (strcmp(sub, "schema") == 0)
        return describe("schema", DELTA_PARQUET_DESCRIBE_SCHEMA, argc - 1, argv + 1);
    if (strcmp(sub, "meta") == 0)
        return describe("meta", DELTA_PARQUET_DESCRIBE_META, argc - 1, argv + 1);
    if (strcmp(sub, "cat") == 0)
        return cat(argc - 1, argv + 1);
    if (strcmp(sub, "rewrite") == 0)
        return rewrite(argc - 1, argv + 1);
    fprintf(stderr, "delta parquet: unknown subcommand '%s' (schema, meta, cat or rewrite)\n",
            sub);
    return EXIT_USAGE;
}
