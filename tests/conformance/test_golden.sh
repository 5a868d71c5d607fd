#!/bin/bash
# Conformance: the golden Delta tables of ../shared/golden and the extra
# tables of ../shared/extra, read with `delta read` and checked by DuckDB
# (../shared/tools/duckdb-oracle), an independent reader.
#
# - Every golden case with expected/: `delta read CASE/delta --format parquet`
#   equals expected/*.parquet as a multiset (compare_many.mjs: DuckDB reads
#   both, hive_partitioning off, columns by name cast to the expected types).
# - data-reader-partition-values: the protocol quirk below.
# - hive/delta/*: each table reads, with as many rows as its statistics say.
# - Negative cases are refused (exit 1) with the right one-line error.
# - Log-only cases: versions and live file counts from describe-table;
#   deltalog-commit-info's commitInfo fields through history.
# - extra/: deletion vectors applied, type widening read as the current
#   schema's types, timestamp_ntz, v2 checkpoints with sidecars, app txns,
#   log compaction; checked against the oracle's replay.mjs where it reads
#   the table, else against the row counts the protocol implies.
#
# Log-only cases whose table is not readable as a table (no schema at
# all: data-reader-absolute-paths-escaped-chars has no metaData,
# update-deleted-directory's checkpoint metaData has no schemaString) are
# checked by tests/unit/log (test_golden.c), not here.
set -e
. "$(dirname "$0")/../integration/lib.sh"

shared=${DELTA_SHARED_DIR:-}
if [ ! -d "$shared/golden" ] || [ ! -x "$shared/tools/duckdb-oracle/setup" ]; then
    echo "skipped: ../shared (golden tables and the DuckDB oracle) is absent"
    exit 77
fi
if ! command -v node >/dev/null || ! oracle=$("$DELTA_ORACLE_SETUP"); then
    echo "skipped: the DuckDB oracle could not be set up (node/npm missing?)"
    exit 77
fi
G=$shared/golden
E=$shared/extra
sql() { node "$oracle/sql.mjs" "$1"; }

# ---- golden cases with expected rows ------------------------------------
pairs="$WORK/pairs.tsv"
: > "$pairs"
passed_cases=()
for dir in "$G"/*/; do
    c=$(basename "$dir")
    [ -d "$G/$c/expected" ] || continue
    [ "$c" = data-reader-partition-values ] && continue
    out="$WORK/$c.parquet"
    if ! err=$("$DELTA_BIN" read "$G/$c/delta" --format parquet --output "$out" 2>&1); then
        checks=$((checks + 1))
        fail "golden $c: read failed: $err"
        continue
    fi
    printf '%s\t%s\n' "$G/$c/expected/*.parquet" "$out" >> "$pairs"
    passed_cases+=("$c")
done
n=$(wc -l < "$pairs")
checks=$((checks + n))
node "$oracle/compare_many.mjs" < "$pairs" > "$WORK/compare.log" || true
while IFS= read -r line; do
    case "$line" in FAIL*) failures=$((failures + 1)); echo "FAIL: golden $line" ;; esac
done < "$WORK/compare.log"
echo "golden with expected rows: $(tail -1 "$WORK/compare.log")"

# ---- data-reader-partition-values: the timestamp partition quirk --------
# The log stores as_timestamp as "2021-09-08 11:11:11" (no zone). The
# protocol reads such a value in the writer's time zone, which the log does
# not record; this reader takes it as UTC (as the other native readers
# do), so it reads 2021-09-08T11:11:11Z. The expected file was written by
# Spark in America/Los_Angeles and holds 18:11:11Z. Decision: by the
# protocol's UTC reading; every other column must match exactly and
# as_timestamp must be the log's text read as UTC.
c=data-reader-partition-values
out="$WORK/$c.parquet"
checks=$((checks + 1))
if ! err=$("$DELTA_BIN" read "$G/$c/delta" --format parquet --output "$out" 2>&1); then
    fail "golden $c: read failed: $err"
else
    cols="as_int, as_long, as_byte, as_short, as_boolean, as_float, as_double, as_string,
          as_string_lit_null, as_date, as_big_decimal, as_list_of_records, as_nested_struct, value"
    diff=$(sql "SELECT (SELECT count(*) FROM (SELECT $cols FROM read_parquet('$G/$c/expected/*.parquet')
                 EXCEPT ALL SELECT $cols FROM read_parquet('$out')))
              + (SELECT count(*) FROM (SELECT $cols FROM read_parquet('$out')
                 EXCEPT ALL SELECT $cols FROM read_parquet('$G/$c/expected/*.parquet'))) AS d")
    ts=$(sql "SELECT count(*) AS n FROM read_parquet('$out')
              WHERE as_timestamp = TIMESTAMPTZ '2021-09-08 11:11:11+00' OR
                    (as_timestamp IS NULL AND value = '2')")
    case "$diff$ts" in
        *'"d":"0"'*'"n":"3"'*) echo "golden $c: OK (as_timestamp read as UTC, see the comment)" ;;
        *) fail "golden $c: $diff $ts" ;;
    esac
fi

# ---- hive tables --------------------------------------------------------
for dir in "$G"/hive/delta/*/; do
    h=$(basename "$dir")
    checks=$((checks + 1))
    out="$WORK/hive-$h.parquet"
    if ! err=$("$DELTA_BIN" read "$dir" --format parquet --output "$out" 2>&1); then
        fail "hive $h: read failed: $err"
        continue
    fi
    want=$("$DELTA_BIN" describe-table "$dir" --format json | sed -n 's/.*"num_records": *\([0-9]*\).*/\1/p')
    got=$(sql "SELECT count(*) AS n FROM read_parquet('$out')" | sed 's/[^0-9]//g')
    if [ -n "$want" ] && [ "$want" != "$got" ]; then
        fail "hive $h: $got rows, statistics say $want"
    fi
done
echo "hive tables read"

# ---- negative cases -----------------------------------------------------
refused() { # CASE MESSAGE
    expect 1 "$DELTA_BIN" read "$G/$1/delta"
    one_line "$ERR" "golden $1"
    contains "$ERR" "$2" "golden $1 refusal"
}
refused deltalog-invalid-protocol-version "reader version 99"
refused deltalog-state-reconstruction-without-metadata "no metaData"
refused deltalog-state-reconstruction-without-protocol "no protocol"
refused deltalog-state-reconstruction-from-checkpoint-missing-metadata "no metaData"
refused no-delta-log-folder "not a Delta table"
refused versions-not-contiguous "00000000000000000001.json is missing"
expect 1 "$DELTA_BIN" read "$G/basic-decimal-table/delta" --version 99
contains "$ERR" "99" "version that does not exist"
expect 1 "$DELTA_BIN" read "$G/basic-decimal-table/delta" --columns nope
contains "$ERR" "unknown column 'nope'" "unknown column"

# ---- log-only cases -----------------------------------------------------
state() { # CASE VERSION FILES
    expect 0 "$DELTA_BIN" describe-table "$G/$1/delta" --format json
    contains "$OUT" "\"version\":$2," "golden $1 version"
    contains "$OUT" "\"num_files\":$3," "golden $1 live files"
}
for c in canonicalized-paths-normal-a canonicalized-paths-normal-b \
         canonicalized-paths-special-a canonicalized-paths-special-b; do
    state "$c" 1 0
done
state checkpoint 14 1
state delete-re-add-same-file-different-transactions 3 2
state log-replay-special-characters-b 0 1
expect 0 "$DELTA_BIN" history "$G/deltalog-commit-info/delta" --format json
for field in '"userName":"username_0"' '"operation":"WRITE"' '"operationParameters":{"test":"test"}' \
             '"jobName":"job_name_0"' '"notebookId":"notebook_id_0"' '"clusterId":"cluster_id_0"' \
             '"isolationLevel":"default"' '"operationMetrics":{"test":"test"}' '"userMetadata":"foo"'; do
    contains "$OUT" "$field" "deltalog-commit-info commitInfo"
done

# ---- extra tables -------------------------------------------------------
rows() { sql "SELECT count(*) AS n FROM read_parquet('$1')" | sed 's/[^0-9]//g'; }
for dir in "$E"/*/; do
    x=$(basename "$dir")
    out="$WORK/extra-$x.parquet"
    checks=$((checks + 1))
    if ! err=$("$DELTA_BIN" read "$dir" --format parquet --output "$out" 2>&1); then
        fail "extra $x: read failed: $err"
        continue
    fi
    case "$x" in
    table-with-dv-small)  # 10 rows, a DV file deletes 2
        got=$(sql "SELECT string_agg(value::VARCHAR, ',' ORDER BY value) AS v FROM read_parquet('$out')")
        [ "$got" = '{"v":"1,2,3,4,5,6,7,8"}' ] || fail "extra $x: $got" ;;
    with-short-dv)        # 2 files of 5 rows, DVs delete 3
        [ "$(rows "$out")" = 7 ] || fail "extra $x: $(rows "$out") rows, want 7" ;;
    compacted-log-files-table) # the oracle does not read compactions
        [ "$(rows "$out")" = 5 ] || fail "extra $x: $(rows "$out") rows, want 5" ;;
    v2-classic-checkpoint-parquet)
        # the checkpoint names a sidecar that is absent; the commits give
        # the 4 files of 5 rows (the oracle trusts the checkpoint: 0 rows)
        [ "$(rows "$out")" = 20 ] || fail "extra $x: $(rows "$out") rows, want 20" ;;
    *)
        if node "$oracle/replay.mjs" "$dir" "$WORK/replay-$x.parquet" >/dev/null 2>&1; then
            r=$(node "$oracle/compare.mjs" "$WORK/replay-$x.parquet" "$out" 2>&1) ||
                fail "extra $x: differs from the oracle's replay: $r"
        else
            fail "extra $x: the oracle could not replay it"
        fi ;;
    esac
done
# type widening: columns come out as the current schema's types
types=$(sql "SELECT string_agg(column_type, ',') AS t FROM (DESCRIBE SELECT * FROM read_parquet('$WORK/extra-type-widening.parquet'))")
checks=$((checks + 1))
want='BIGINT,BIGINT,DOUBLE,DOUBLE,DOUBLE,DOUBLE,DECIMAL(20,2),DECIMAL(20,5),DECIMAL(4,1),DECIMAL(6,1),DECIMAL(11,1),DECIMAL(21,1),TIMESTAMP'
[ "$types" = "{\"t\":\"$want\"}" ] || fail "extra type-widening types: $types"
echo "extra tables read"
finish
