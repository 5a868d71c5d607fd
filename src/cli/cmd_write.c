/*
 * Table writing commands, on the public API (include/delta/table.h):
 *
 *   delta create TABLE (--template NAME | --schema FILE.json) [--partition-by a,b]
 *                [--property key=value]... [--comment TEXT] [--if-not-exists]
 *   delta create --template list
 *   delta write TABLE --input FILE [--format ndjson|csv|parquet] [--mode append|overwrite]
 *               [--replace-where EXPR] [--merge-schema] [--overwrite-schema]
 *   delta list-tables [--format table|json]
 *
 * TABLE resolves as the read commands do: with a '/' or ':' it is a path
 * or URI, else a name in the lake (checked: letters, digits, '_', '-').
 */
#include <delta/delta.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli_util.h"
#include "commands.h"

static char *read_text_file(const char *cmd, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "delta %s: cannot read '%s'\n", cmd, path);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = 0;
    return buf;
}

static void list_templates(void)
{
    for (size_t i = 0; i < delta_template_count(); i++) {
        const delta_template *t = delta_template_at(i);
        printf("%s\n  %s\n  partitioned by: ", t->name, t->description);
        for (size_t k = 0; k < t->num_partition_columns; k++)
            printf("%s%s", k ? ", " : "", t->partition_columns[k]);
        printf("\n  properties: ");
        for (size_t k = 0; k < t->num_properties; k++)
            printf("%s%s=%s", k ? ", " : "", t->property_keys[k], t->property_values[k]);
        printf("\n  z-order hint: ");
        for (size_t k = 0; k < t->num_zorder_columns; k++)
            printf("%s%s", k ? ", " : "", t->zorder_columns[k]);
        printf("\n");
    }
}

int cmd_create(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"template", CLI_VALUE},     {"schema", CLI_VALUE},
                                   {"partition-by", CLI_VALUE}, {"property", CLI_REPEATED},
                                   {"comment", CLI_VALUE},      {"if-not-exists", CLI_FLAG}};
    const char *cmd = "create";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    const char *tpl = cli_get(&a, "template");
    const char *schema_file = cli_get(&a, "schema");
    if (tpl && strcmp(tpl, "list") == 0 && a.npositional == 0) {
        list_templates();
        return EXIT_OK;
    }
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help create')\n", cmd);
        return EXIT_USAGE;
    }
    if (!tpl == !schema_file) {
        fprintf(stderr, "delta %s: give --template NAME or --schema FILE.json\n", cmd);
        return EXIT_USAGE;
    }
    const char **props = NULL;
    size_t nprops = cli_get_all(&a, "property", &props);
    const char *keys[CLI_MAX_VALUES], *values[CLI_MAX_VALUES];
    char *copies[CLI_MAX_VALUES] = {0};
    int status = EXIT_OK;
    for (size_t i = 0; i < nprops; i++) {
        copies[i] = strdup(props[i]);
        char *eq = copies[i] ? strchr(copies[i], '=') : NULL;
        if (!eq || eq == copies[i]) {
            fprintf(stderr, "delta %s: --property '%s': expected key=value\n", cmd, props[i]);
            status = EXIT_USAGE;
            goto done;
        }
        *eq = 0;
        keys[i] = copies[i];
        values[i] = eq + 1;
    }
    cli_list parts = {0};
    const char *pb = cli_get(&a, "partition-by");
    if (pb && cli_split_list(cmd, "--partition-by", pb, &parts)) {
        status = EXIT_USAGE;
        goto done;
    }
    char *schema = NULL;
    if (schema_file && !(schema = read_text_file(cmd, schema_file))) {
        status = EXIT_FAILURE_RUNTIME;
        cli_list_free(&parts);
        goto done;
    }
    char *loc = cli_table_location(g, cmd, a.positional[0]);
    if (!loc) {
        status = EXIT_FAILURE_RUNTIME;
    } else {
        delta_create_options co = DELTA_CREATE_OPTIONS_INIT;
        co.template_name = tpl;
        co.schema_json = schema;
        if (pb) {
            co.partition_columns = (const char *const *)parts.items;
            co.num_partition_columns = parts.count;
        }
        co.property_keys = keys;
        co.property_values = values;
        co.num_properties = nprops;
        co.comment = cli_get(&a, "comment");
        co.if_not_exists = cli_has(&a, "if-not-exists");
        const char *slash = strrchr(a.positional[0], '/');
        co.name = slash ? (slash[1] ? slash + 1 : NULL) : a.positional[0];
        bool created = false;
        int rc = delta_table_create(loc, &co, &created);
        if (rc) {
            cli_report(cmd, rc);
            status = EXIT_FAILURE_RUNTIME;
        } else if (created) {
            printf("created table %s at %s (version 0)\n", a.positional[0], loc);
        } else {
            printf("table %s already exists at %s (left unchanged)\n", a.positional[0], loc);
        }
    }
    free(loc);
    free(schema);
    cli_list_free(&parts);
done:
    for (size_t i = 0; i < nprops; i++)
        free(copies[i]);
    return status;
}

/* --mode merge: the seed's upsert. Rows of the input matching a row of the
 * table by --merge-condition update it (the --update assignments, else
 * every column); the others are inserted (--insert-all, the default). */
static int write_merge(const cli_global *g, const cli_args *a)
{
    const char *cmd = "write";
    const char *on = cli_get(a, "merge-condition");
    if (!on) {
        fprintf(stderr, "delta %s: --mode merge needs --merge-condition EXPR "
                        "(e.g. target.id = source.id)\n",
                cmd);
        return EXIT_USAGE;
    }
    if (cli_get(a, "replace-where") || cli_has(a, "overwrite-schema") ||
        cli_get(a, "target-file-size") || cli_get(a, "max-rows-per-file")) {
        fprintf(stderr, "delta %s: --mode merge takes --merge-condition, --update, --insert-all "
                        "and --format only\n",
                cmd);
        return EXIT_USAGE;
    }
    const char *update = cli_get(a, "update");
    delta_merge_clause cl[2] = {
        {update ? DELTA_MERGE_UPDATE : DELTA_MERGE_UPDATE_ALL, DELTA_WHEN_MATCHED, NULL, update},
        {DELTA_MERGE_INSERT_ALL, DELTA_WHEN_NOT_MATCHED, NULL, NULL}};
    delta_merge_options mo = DELTA_MERGE_OPTIONS_INIT;
    mo.source_path = cli_get(a, "input");
    mo.source_format = cli_get(a, "format");
    mo.on = on;
    mo.clauses = cl;
    mo.num_clauses = 2;
    mo.merge_schema = cli_has(a, "merge-schema");
    char *loc = cli_table_location(g, cmd, a->positional[0]);
    if (!loc)
        return EXIT_FAILURE_RUNTIME;
    delta_table *t = NULL;
    delta_dml_result r;
    int rc = delta_table_open(&t, loc);
    if (!rc)
        rc = delta_table_merge(t, &mo, &r);
    int status = EXIT_OK;
    if (rc) {
        cli_report(cmd, rc);
        status = rc == DELTA_EINVAL || rc == DELTA_ETYPE ? EXIT_USAGE : EXIT_FAILURE_RUNTIME;
    } else if (r.version < 0) {
        printf("merge changed nothing (version %" PRId64 ")\n", r.read_version);
    } else {
        printf("version %" PRId64 ": merged %" PRId64 " rows: %" PRId64 " updated, %" PRId64
               " inserted (%" PRId64 " files added, %" PRId64 " removed)\n",
               r.version, r.num_source_rows, r.num_rows_updated, r.num_rows_inserted,
               r.num_files_added, r.num_files_removed);
    }
    delta_table_free(t);
    free(loc);
    return status;
}

int cmd_write(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"input", CLI_VALUE},         {"format", CLI_VALUE},
                                   {"mode", CLI_VALUE},          {"replace-where", CLI_VALUE},
                                   {"merge-schema", CLI_FLAG},   {"overwrite-schema", CLI_FLAG},
                                   {"merge-condition", CLI_VALUE}, {"update", CLI_VALUE},
                                   {"insert-all", CLI_FLAG},     {"target-file-size", CLI_VALUE},
                                   {"max-rows-per-file", CLI_VALUE}};
    const char *cmd = "write";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, sizeof opts / sizeof opts[0]))
        return EXIT_USAGE;
    if (a.npositional != 1) {
        fprintf(stderr, "delta %s: expected one TABLE (see 'delta help write')\n", cmd);
        return EXIT_USAGE;
    }
    const char *input = cli_get(&a, "input");
    if (!input) {
        fprintf(stderr, "delta %s: --input FILE is required\n", cmd);
        return EXIT_USAGE;
    }
    delta_write_options wo = DELTA_WRITE_OPTIONS_INIT;
    const char *mode = cli_get(&a, "mode");
    if (mode && strcmp(mode, "merge") == 0)
        return write_merge(g, &a);
    if (cli_get(&a, "merge-condition") || cli_get(&a, "update") || cli_has(&a, "insert-all")) {
        fprintf(stderr, "delta %s: --merge-condition/--update/--insert-all need --mode merge\n",
                cmd);
        return EXIT_USAGE;
    }
    if (mode && strcmp(mode, "overwrite") == 0) {
        wo.mode = DELTA_WRITE_OVERWRITE;
    } else if (mode && strcmp(mode, "append") != 0) {
        fprintf(stderr, "delta %s: unknown mode '%s' (append, overwrite or merge)\n", cmd, mode);
        return EXIT_USAGE;
    }
    wo.replace_where = cli_get(&a, "replace-where");
    wo.merge_schema = cli_has(&a, "merge-schema");
    wo.overwrite_schema = cli_has(&a, "overwrite-schema");
    if ((wo.replace_where || wo.overwrite_schema) && wo.mode != DELTA_WRITE_OVERWRITE) {
        fprintf(stderr, "delta %s: %s needs --mode overwrite\n", cmd,
                wo.replace_where ? "--replace-where" : "--overwrite-schema");
        return EXIT_USAGE;
    }
    const char *tfs = cli_get(&a, "target-file-size");
    if (tfs && cli_parse_positive(cmd, "--target-file-size", tfs, &wo.target_file_size))
        return EXIT_USAGE;
    const char *mrf = cli_get(&a, "max-rows-per-file");
    if (mrf && cli_parse_positive(cmd, "--max-rows-per-file", mrf, &wo.max_rows_per_file))
        return EXIT_USAGE;
    const char *fmt = cli_get(&a, "format");
    if (fmt && strcmp(fmt, "ndjson") && strcmp(fmt, "json") && strcmp(fmt, "csv") &&
        strcmp(fmt, "parquet")) {
        fprintf(stderr, "delta %s: unknown format '%s' (ndjson, csv or parquet)\n", cmd, fmt);
        return EXIT_USAGE;
    }
    char *loc = cli_table_location(g, cmd, a.positional[0]);
    if (!loc)
        return EXIT_FAILURE_RUNTIME;
    delta_table *t = NULL;
    delta_write_result r;
    int rc = delta_table_open(&t, loc);
    if (!rc)
        rc = delta_table_write_file(t, input, fmt, &wo, &r);
    int status = EXIT_OK;
    if (rc) {
        cli_report(cmd, rc);
        status = EXIT_FAILURE_RUNTIME;
    } else {
        printf("version %" PRId64 ": %" PRId64 " rows in %" PRId64 " files (%" PRId64
               " bytes)%s",
               r.version, r.num_rows, r.num_files, r.num_bytes,
               r.schema_changed ? ", schema changed" : "");
        if (wo.mode == DELTA_WRITE_OVERWRITE)
            printf(", %" PRId64 " files removed", r.num_removed_files);
        printf("\n");
        if (r.auto_compact_version >= 0)
            printf("auto compaction: version %" PRId64 ": %" PRId64
                   " small files rewritten into %" PRId64 " files\n",
                   r.auto_compact_version, r.auto_compact_files_removed,
                   r.auto_compact_files_added);
        else if (r.auto_compact_error)
            fprintf(stderr, "delta %s: warning: %s\n", cmd, delta_error_last());
    }
    delta_table_free(t);
    free(loc);
    return status;
}

int cmd_list_tables(const cli_global *g, int argc, char **argv)
{
    static const cli_opt opts[] = {{"format", CLI_VALUE}};
    const char *cmd = "list-tables";
    cli_args a;
    if (cli_parse(&a, cmd, argc, argv, opts, 1))
        return EXIT_USAGE;
    if (a.npositional) {
        fprintf(stderr, "delta %s: takes no TABLE (the lake is --lake)\n", cmd);
        return EXIT_USAGE;
    }
    bool json;
    if (cli_parse_table_format(cmd, cli_get(&a, "format"), &json))
        return EXIT_USAGE;
    delta_lake_list l;
    int rc = delta_lake_list_tables(g->lake, &l);
    if (rc) {
        cli_report(cmd, rc);
        return EXIT_FAILURE_RUNTIME;
    }
    if (json) {
        fputs("[", stdout);
        for (size_t i = 0; i < l.count; i++) {
            const delta_lake_entry *e = &l.items[i];
            printf("%s\n{\"name\":", i ? "," : "");
            cli_json_string(stdout, e->name);
            printf(",\"version\":%" PRId64 ",\"files\":%" PRId64 ",\"size_bytes\":%" PRId64
                   ",\"records\":",
                   e->version, e->num_files, e->size_bytes);
            if (e->num_records >= 0)
                printf("%" PRId64, e->num_records);
            else
                fputs("null", stdout);
            fputs(",\"error\":", stdout);
            if (e->error)
                cli_json_string(stdout, e->error);
            else
                fputs("null", stdout);
            fputs("}", stdout);
        }
        fputs(l.count ? "\n]\n" : "]\n", stdout);
    } else {
        printf("%-24s %8s %8s %14s %12s\n", "NAME", "VERSION", "FILES", "SIZE", "RECORDS");
        for (size_t i = 0; i < l.count; i++) {
            const delta_lake_entry *e = &l.items[i];
            if (e->version < 0) {
                printf("%-24s %8s  (%s)\n", e->name, "-", e->error ? e->error : "unreadable");
                continue;
            }
            char rec[32];
            if (e->num_records >= 0)
                snprintf(rec, sizeof rec, "%" PRId64, e->num_records);
            else
                snprintf(rec, sizeof rec, "unknown");
            printf("%-24s %8" PRId64 " %8" PRId64 " %14" PRId64 " %12s\n", e->name, e->version,
                   e->num_files, e->size_bytes, rec);
        }
    }
    delta_lake_list_free(&l);
    return EXIT_OK;
}
