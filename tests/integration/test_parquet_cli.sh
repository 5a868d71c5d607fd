#!/bin/bash
# `delta parquet` as a user meets it: schema, meta, cat in every format,
# projection and limits, rewrite with each codec read back equal, and bad
# input refused with one line naming what was wrong (exit 1 for a failed
# operation, 2 for a usage error) without creating any output.
set -e
. "$(dirname "$0")/lib.sh"

src="${DELTA_SHARED_DIR:-}/golden/parquet-all-types/delta/part-00000-bf6680d4-5e83-4fce-8ebb-d2b60d7e69c9-c000.snappy.parquet"
if [ ! -f "$src" ]; then
    echo "skipped: $src is absent (../shared not beside the project)"
    exit 77
fi
f="$WORK/all types.parquet"
cp "$src" "$f"

expect 0 "$DELTA_BIN" parquet schema "$f"
contains "$OUT" "message spark_schema {" "schema text"
contains "$OUT" "optional group map_of_prims (MAP) {" "schema text map"
expect 0 "$DELTA_BIN" parquet schema "$f" --format json
contains "$OUT" '"name":"spark_schema"' "schema json"

expect 0 "$DELTA_BIN" parquet meta "$f"
contains "$OUT" "rows: 200" "meta rows"
contains "$OUT" "row group 0: 200 rows" "meta row group"
contains "$OUT" "statistics: min -128 max 127 nulls 3" "meta statistics by logical type"
expect 0 "$DELTA_BIN" parquet meta "$f" --format json
contains "$OUT" '"num_rows":200' "meta json"

expect 0 "$DELTA_BIN" parquet cat "$f" --columns ByteType,StringType --limit 3 --format csv
want=$'ByteType,StringType\n,\n1,1\n2,2'
[ "$OUT" = "$want" ] || fail "cat csv: got '$OUT'"
expect 0 "$DELTA_BIN" parquet cat "$f" --columns nested_struct --limit 2 --format ndjson
want=$'{"nested_struct":null}\n{"nested_struct":{"aa":"1","ac":{"aca":1}}}'
[ "$OUT" = "$want" ] || fail "cat ndjson nested: got '$OUT'"
expect 0 "$DELTA_BIN" parquet cat "$f" --limit 0 --format json
[ "$OUT" = "[]" ] || fail "cat json limit 0: got '$OUT'"
expect 0 "$DELTA_BIN" parquet cat "$f" --format ndjson
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 200 ] || fail "cat prints every row"
expect 0 "$DELTA_BIN" parquet cat "$f" --limit 2
contains "$OUT" "| ByteType |" "cat table header"

for codec in snappy zstd gzip lz4 lz4_raw brotli none; do
    expect 0 "$DELTA_BIN" parquet rewrite "$f" "$WORK/out-$codec.parquet" --compression "$codec" \
        --row-group-size 64 --page-size 512
    expect 0 "$DELTA_BIN" parquet cat "$WORK/out-$codec.parquet" --format ndjson
    [ "$OUT" = "$("$DELTA_BIN" parquet cat "$f" --format ndjson)" ] || fail "rewrite $codec changed rows"
done
expect 0 "$DELTA_BIN" parquet meta "$WORK/out-zstd.parquet"
contains "$OUT" "row groups: 4" "rewrite honours --row-group-size"
contains "$OUT" " ZSTD, " "rewrite honours --compression"

# Failures: one line, the file named, nothing created.
expect 1 "$DELTA_BIN" parquet cat "$WORK/missing.parquet"
contains "$ERR" "missing.parquet" "missing file named"
one_line "$ERR" "missing file"
printf 'not parquet at all' > "$WORK/text.parquet"
expect 1 "$DELTA_BIN" parquet meta "$WORK/text.parquet"
contains "$ERR" "text.parquet" "non-Parquet file named"
one_line "$ERR" "non-Parquet file"
head -c 5000 "$f" > "$WORK/truncated.parquet"
expect 1 "$DELTA_BIN" parquet rewrite "$WORK/truncated.parquet" "$WORK/never.parquet"
contains "$ERR" "truncated.parquet" "truncated file named"
one_line "$ERR" "truncated file"
[ ! -e "$WORK/never.parquet" ] || fail "a failed rewrite left an output file"
expect 1 "$DELTA_BIN" parquet cat "$f" --columns NoSuchColumn
contains "$ERR" "NoSuchColumn" "unknown column named"
expect 1 "$DELTA_BIN" parquet rewrite "$f" "$WORK/never.parquet" --compression lzo
one_line "$ERR" "unavailable codec"
[ ! -e "$WORK/never.parquet" ] || fail "a refused codec left an output file"

# Usage errors.
expect 2 "$DELTA_BIN" parquet
expect 2 "$DELTA_BIN" parquet frobnicate "$f"
contains "$ERR" "unknown subcommand 'frobnicate'" "unknown subcommand"
expect 2 "$DELTA_BIN" parquet cat
expect 2 "$DELTA_BIN" parquet cat "$f" --limit -3
contains "$ERR" "--limit" "bad limit named"
expect 2 "$DELTA_BIN" parquet cat "$f" --format xml
expect 2 "$DELTA_BIN" parquet cat "$f" --columns "a,,b"
expect 2 "$DELTA_BIN" parquet rewrite "$f"
expect 2 "$DELTA_BIN" parquet rewrite "$f" "$WORK/x.parquet" --row-group-size 0
expect 2 "$DELTA_BIN" parquet meta "$f" --format yaml

finish
