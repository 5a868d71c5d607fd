#!/bin/bash
# delta read / time-travel / history / describe-table end to end on the
# shared golden tables: output formats, time travel, projection, limits,
# lake names, and the refusals (one line, exit 1; usage exit 2; --where
# exit 3 until expressions are built).
set -e
. "$(dirname "$0")/lib.sh"
shared=${DELTA_SHARED_DIR:-}
if [ ! -d "$shared/golden" ]; then
    echo "skipped: ../shared (golden tables) is absent"
    exit 77
fi
T=$shared/golden/basic-with-inserts-overwrite-restore/delta
D=$shared/extra/table-with-dv-small

expect 0 "$DELTA_BIN" read "$D" --format csv
[ "$OUT" = "$(printf 'value\n1\n2\n3\n4\n5\n6\n7\n8')" ] || fail "dv table csv: $OUT"
expect 0 "$DELTA_BIN" read "$D" --format ndjson --limit 2
[ "$OUT" = "$(printf '{"value":1}\n{"value":2}')" ] || fail "ndjson limit: $OUT"
expect 0 "$DELTA_BIN" --lake "$shared/extra" read table-with-dv-small --format json --limit 1
contains "$OUT" '"value":1' "lake name"
expect 0 "$DELTA_BIN" time-travel "$T" --version 0 --format csv
v0=$(printf '%s\n' "$OUT" | wc -l)
expect 0 "$DELTA_BIN" read "$T" --format csv --columns id
contains "$OUT" "id" "projection header"
expect 1 "$DELTA_BIN" read "$T" --timestamp 1970-01-01T00:00:00Z
one_line "$ERR" "timestamp before the first commit"
[ "$v0" -gt 1 ] || fail "version 0 has rows"
expect 0 "$DELTA_BIN" read "$D" --format parquet --output "$WORK/out.parquet"
expect 0 "$DELTA_BIN" parquet cat "$WORK/out.parquet" --format csv
[ "$OUT" = "$(printf 'value\n1\n2\n3\n4\n5\n6\n7\n8')" ] || fail "parquet output: $OUT"
expect 0 "$DELTA_BIN" read "$D" --format csv --output "$WORK/out.csv"
[ "$(cat "$WORK/out.csv" | wc -l)" -eq 9 ] || fail "csv to --output"

expect 1 "$DELTA_BIN" read "$T" --version 99
one_line "$ERR" "missing version"
contains "$ERR" "99" "missing version"
expect 1 "$DELTA_BIN" read "$shared/golden/no-delta-log-folder/delta"
contains "$ERR" "not a Delta table" "not a table"
expect 1 "$DELTA_BIN" read "$D" --columns value,nope
contains "$ERR" "unknown column 'nope'" "unknown column"
one_line "$ERR" "unknown column"
expect 2 "$DELTA_BIN" read "$D" --format parquet
expect 2 "$DELTA_BIN" read "$D" --version 1 --timestamp 2024-01-01
expect 2 "$DELTA_BIN" read "$D" --format xml
expect 2 "$DELTA_BIN" read
expect 3 "$DELTA_BIN" read "$D" --where "value > 3"

expect 0 "$DELTA_BIN" history "$T" --limit 1 --format json
contains "$OUT" '"version":' "history json"
[ "$(printf '%s\n' "$OUT" | grep -c '"version"')" -eq 1 ] || fail "history --limit 1: $OUT"
expect 0 "$DELTA_BIN" history "$T"
contains "$OUT" "VERSION" "history table"
expect 1 "$DELTA_BIN" history "$shared/golden/no-delta-log-folder/delta"
expect 0 "$DELTA_BIN" describe-table "$D"
contains "$OUT" "records           8" "describe records after deletion vector"
expect 0 "$DELTA_BIN" describe-table "$D" --format json
contains "$OUT" '"num_records":8' "describe json"
contains "$OUT" '"reader_features":["deletionVectors"]' "describe features"
finish
