/*
 * The command table. Synopses follow docs/cli.md; keep the two in step.
 * Commands are listed in the order `delta --help` shows them.
 */
#include "commands.h"

#include <string.h>

const cli_command cli_commands[] = {
    {"create",
     "delta create TABLE (--template NAME | --schema FILE.json) [--partition-by a,b]\n"
     "             [--property key=value]... [--comment TEXT] [--if-not-exists]",
     "create a table from an e-commerce template or a Delta schema",
     "Templates: transactions, user_events, customer_profiles, product_catalog\n"
     "('delta create --template list' shows them). Properties take the real Delta\n"
     "keys or the short forms (autoOptimize.optimizeWrite); unknown delta.* keys\n"
     "are refused. Time partitions of the templates are generated columns.",
     cmd_create},
    {"write",
     "delta write TABLE --input FILE [--format ndjson|csv|parquet] [--mode append|overwrite|merge]\n"
     "            [--replace-where EXPR] [--merge-schema] [--overwrite-schema]\n"
     "            [--merge-condition EXPR --update col=EXPR,... --insert-all]",
     "append, overwrite or upsert rows from a file",
     "Columns are matched by name and cast safely; unknown columns, wrong types and\n"
     "missing NOT NULL values are refused and nothing is committed. --replace-where\n"
     "takes a predicate over partition columns. --mode merge upserts: input rows\n"
     "matching a table row by --merge-condition (target.col / source.col) update it\n"
     "(--update assignments, else every column), the others are inserted; it is\n"
     "'delta merge' with those two clauses.\n"
     "\n"
     "With delta.autoOptimize.optimizeWrite=true (partitioned tables) rows are\n"
     "grouped by partition first (held in memory up to 128 MiB, beyond it spilled\n"
     "to temporary files under $TMPDIR), so each partition gets files near the\n"
     "target instead of many small ones.\n"
     "With delta.autoOptimize.autoCompact=true, each partition the write added\n"
     "files to that then holds 50 or more small files is compacted in an\n"
     "OPTIMIZE commit (auto true) right after the write's; it is reported on a\n"
     "second line, and its failure is a warning, not the write's failure.",
     cmd_write},
    {"read",
     "delta read TABLE [--version N | --timestamp TS] [--columns a,b] [--where EXPR]\n"
     "           [--limit N] [--format table|csv|ndjson|json|parquet] [--output FILE]\n"
     "           [--explain]",
     "read a table, optionally at an earlier version (alias: time-travel)",
     "TABLE is a path or URI of a table, or a name in the lake (--lake). TS is\n"
     "ISO-8601 (2024-01-31T10:00:00Z) or epoch milliseconds: the newest version\n"
     "committed at or before it. --format parquet writes one Parquet file to\n"
     "--output; other formats print (or write to --output). --where EXPR keeps\n"
     "the rows where the SQL predicate is TRUE (files ruled out by partition\n"
     "values or statistics are not read). --explain prints which files the read\n"
     "would open instead of rows (--format json: one object).",
     cmd_read},
    {"time-travel", "delta time-travel TABLE (--version N | --timestamp TS) [read options]",
     "read a table as of a version or timestamp (same as read)", NULL, cmd_read},
    {"merge",
     "delta merge TABLE --source FILE|TABLE [--source-format F] --on EXPR CLAUSE...\n"
     "            [--merge-schema] [--target-alias A] [--source-alias A] [--format table|json]\n"
     "  CLAUSE: --when-matched-update \"col=EXPR,...\" | --when-matched-update-all\n"
     "          | --when-matched-delete | --when-not-matched-insert \"col=EXPR,...\"\n"
     "          | --when-not-matched-insert-all | --when-not-matched-by-source-update \"col=EXPR,...\"\n"
     "          | --when-not-matched-by-source-delete, each optionally followed by --if EXPR",
     "upsert rows from a source into a table",
     "The source is an NDJSON, CSV or Parquet file, or a Delta table (a folder with\n"
     "_delta_log or a lake name). Columns are qualified target.col and source.col\n"
     "(unqualified names resolve when only one side has them). Clauses are tried in\n"
     "order within their kind; the first whose --if holds acts. A target row matched\n"
     "by two source rows is an error and nothing changes. Only files holding a\n"
     "changed row are rewritten (delta.enableDeletionVectors: rows are marked deleted\n"
     "instead); with delta.enableChangeDataFeed the changes go to _change_data/.\n"
     "--merge-schema adds the source's new top-level columns to the table.",
     cmd_merge},
    {"update", "delta update TABLE --set \"col=EXPR[,col=EXPR...]\" [--where EXPR] [--format table|json]",
     "change the rows matching a predicate",
     "Values are SQL over the row's current values, stored as a write would cast\n"
     "them; NOT NULL and CHECK constraints hold for the new rows. Setting a partition\n"
     "column moves the row. Files without a matching row are not rewritten.",
     cmd_update},
    {"delete", "delta delete TABLE --where EXPR [--format table|json]",
     "delete the rows matching a predicate",
     "--where true deletes every row. A predicate on partition columns only removes\n"
     "whole files, decided by their partition values; otherwise the files holding matching rows\n"
     "are rewritten without them (or get deletion vectors when the table has\n"
     "delta.enableDeletionVectors=true).",
     cmd_delete},
    {"changes",
     "delta changes TABLE --from-version A [--to-version B]\n"
     "              [--format table|csv|ndjson|json|parquet] [--output FILE]",
     "read the change data feed between versions",
     "Rows changed by commits A..B (B: the latest), oldest first: the table's\n"
     "columns (schema of version B), then _change_type (insert, delete,\n"
     "update_preimage, update_postimage), _commit_version and _commit_timestamp.\n"
     "Commits with change data files give those files' rows; other commits give\n"
     "their added files' rows as inserts and removed files' rows as deletes;\n"
     "OPTIMIZE gives nothing. delta.enableChangeDataFeed must have been true at\n"
     "every version of the range (the refusal names the first where it was not).",
     cmd_changes},
    {"list-tables", "delta list-tables [--format table|json]",
     "list the tables of the lake with version, files, size and records", NULL,
     cmd_list_tables},
    {"describe-table",
     "delta describe-table TABLE [--version N | --timestamp TS] [--format table|json]",
     "show a table's schema, partitioning, properties, protocol and size",
     "Records are the sum of the files' numRecords statistics less deleted rows.",
     cmd_describe_table},
    {"history", "delta history TABLE [--limit N] [--format table|json]",
     "show a table's commits: version, time, operation, parameters, metrics",
     "Newest first; commits cleaned up from the log are not shown.", cmd_history},
    {"optimize",
     "delta optimize TABLE [--where PARTITION_PREDICATE] [--z-order COL,COL,...]\n"
     "               [--target-size BYTES] [--sort-memory BYTES] [--max-concurrent-tasks N]\n"
     "               [--format table|json]",
     "compact small files into files near the target size, optionally in Z-order",
     "Within each partition, files smaller than the target (--target-size, else\n"
     "delta.targetFileSize, else 128 MiB) are read with their deletion vectors\n"
     "applied and rewritten into as few files as possible; bigger files and\n"
     "partitions with a single small file (without deletion vector) are left\n"
     "alone. One OPTIMIZE commit with dataChange=false removes and adds, so\n"
     "rows do not change. --where takes a predicate on partition columns only.\n"
     "Concurrent appends do not make it fail; a concurrent commit removing a\n"
     "file it rewrites does (the table is left as it was).\n"
     "\n"
     "--max-concurrent-tasks N rewrites up to N partitions at once on N threads\n"
     "(default 1: one after the other), bin-packing and Z-order alike (the\n"
     "--sort-memory budget is shared out between them). A partition is never\n"
     "split; the commit is the one the serial run makes (adds in path order).\n"
     "\n"
     "--z-order x,y rewrites every file of each selected partition (big ones\n"
     "too) with its rows sorted by a Morton (bit-interleaved) key over the\n"
     "columns, rolled at the target size, so each file covers a narrow range\n"
     "of every column and predicates on them skip most files. Columns must\n"
     "be data columns with min/max statistics (numbers, decimals, dates,\n"
     "timestamps, strings - by their first 8 bytes - within\n"
     "delta.dataSkippingNumIndexedCols); nulls sort first. The sort holds at\n"
     "most --sort-memory bytes of rows (default 256 MiB) and spills sorted runs\n"
     "to a temporary folder under $TMPDIR (removed afterwards), so a partition\n"
     "larger than memory still Z-orders.",
     cmd_optimize},
    {"vacuum",
     "delta vacuum TABLE [--retention-hours H] [--dry-run] [--lite] [--force-unsafe-retention]",
     "delete files no longer referenced by any retained version",
     "Deletes files under the table that neither the latest version nor a version\n"
     "inside the retention window (delta.deletedFileRetentionDuration, default\n"
     "168 hours) references and that are older than it: removed files, orphans of\n"
     "failed writes, old _change_data/ and deletion vector files. _delta_log/ and\n"
     "hidden files ('_' or '.') are never touched. --dry-run lists path, size and\n"
     "age and deletes nothing; --lite finds files from the log only (no listing).\n"
     "A retention below the table's setting is refused unless\n"
     "--force-unsafe-retention.",
     cmd_vacuum},
    {"restore", "delta restore TABLE (--version N | --timestamp TS) [--format table|json]",
     "roll a table back to an earlier version as a new commit",
     "One RESTORE commit removes the files added since the version and adds back\n"
     "the files removed since, restores its schema and properties, and never\n"
     "downgrades the protocol. Refused when a file of the version was deleted\n"
     "(VACUUM) or the version was cleaned up from the log.",
     cmd_restore},
    {"checkpoint", "delta checkpoint TABLE [--format table|json]",
     "write a checkpoint of the table's log now",
     "Writes a classic checkpoint of the latest version and _last_checkpoint,\n"
     "then prints the version, the number of actions and files, and the size.",
     cmd_checkpoint},
    {"constraint",
     "delta constraint add TABLE NAME EXPR [--format table|json]\n"
     "delta constraint drop TABLE NAME [--if-exists] [--format table|json]",
     "add or drop a CHECK constraint",
     "Stored as the table property delta.constraints.NAME (NAME lower-cased) and\n"
     "enforced on every write. 'add' refuses an expression that is not boolean or\n"
     "that existing rows violate (FALSE or NULL), naming how many.",
     cmd_constraint},
    {"generate",
     "delta generate TEMPLATE --rows N [--seed S] [--output FILE] [--format ndjson|csv|parquet]",
     "generate realistic e-commerce rows for a template",
     "Rows have exactly the template's schema and load with 'delta write' into a\n"
     "table created from it. The same seed (default 42) gives the same bytes.\n"
     "NDJSON goes to stdout unless --output is given; an --output ending in .csv\n"
     "or .parquet picks that format; --format parquet needs --output. Customers\n"
     "(C0000001..C0020000) and products (P000001..P002000) are shared by all\n"
     "templates, so generated facts join with generated profiles and catalog.",
     cmd_generate},
    {"maintenance",
     "delta maintenance optimize --all-tables [--format table|json]\n"
     "delta maintenance vacuum [--retention-hours H] [--dry-run] [--format table|json]\n"
     "delta maintenance checkpoint [--format table|json]\n"
     "delta maintenance metrics [--format table|json] [--recent N]\n"
     "delta maintenance schedule [--enable | --disable] [--optimize CRON] [--vacuum CRON]\n"
     "                           [--checkpoint CRON]\n"
     "delta maintenance run [--once [--now TS]] [--format table|json]",
     "run and schedule optimize, vacuum and checkpoints across the lake",
     "optimize/vacuum/checkpoint run on every table of the lake now, one job per\n"
     "table (checkpoint skips tables already checkpointed at their latest version).\n"
     "Each job takes the table's lock (_maintenance/locks/) and is recorded in the\n"
     "job log (_maintenance/jobs/); a failed job does not stop the others, and the\n"
     "command exits 1 when one failed. 'schedule' edits _maintenance/config.json\n"
     "(CRON: 5 fields 'min hour dom month dow' in UTC, or 'off'; defaults: optimize\n"
     "'0 2 * * *' when >= 10 small files, vacuum '0 3 * * 0', checkpoint '0 * * * *'\n"
     "when delta.checkpointInterval versions are not checkpointed). 'run --once'\n"
     "runs the jobs due now; 'run' keeps running until interrupted. 'metrics' shows\n"
     "per-table health (files, small-file ratio, average size, versions since the\n"
     "checkpoint, bytes a vacuum would reclaim) and the job history. Table\n"
     "properties maintenance.* override the lake's policy (docs/cli.md).",
     cmd_maintenance},
    {"streaming",
     "delta streaming start NAME --source kafka|file|stdin|generator ... --table TABLE\n"
     "delta streaming status | stop NAME | stop-all | health-check",
     "manage streaming ingestion into tables", NULL, NULL},
    {"sql", "delta sql \"SELECT ...\"", "run SQL over the lake's tables", NULL, NULL},
    {"serve", "delta serve [--config FILE]",
     "run the daemon: streaming, maintenance schedule, HTTP health and metrics", NULL, NULL},
    {"parquet",
     "delta parquet schema FILE [--format text|json]\n"
     "delta parquet meta FILE [--format text|json]\n"
     "delta parquet cat FILE [--columns a,b] [--limit N] [--format table|csv|ndjson|json]\n"
     "delta parquet rewrite IN OUT [--compression snappy|zstd|gzip|lz4|lz4_raw|brotli|none]\n"
     "                             [--row-group-size ROWS] [--page-size BYTES]",
     "inspect, print and rewrite Parquet files",
     "FILE is a path or a store URI. 'meta' lists row groups and column chunks with\n"
     "types, codecs, encodings, sizes and statistics. 'rewrite' decodes every value\n"
     "of IN and encodes it again into OUT (replaced atomically if it exists),\n"
     "keeping types, field ids and key-value metadata; the default codec is snappy.",
     cmd_parquet},
};

const unsigned cli_command_count = sizeof cli_commands / sizeof cli_commands[0];

const cli_command *cli_find_command(const char *name)
{
    for (unsigned i = 0; i < cli_command_count; i++)
        if (strcmp(cli_commands[i].name, name) == 0)
            return &cli_commands[i];
    return NULL;
}
