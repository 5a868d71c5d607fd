#!/bin/bash
# delta generate end to end: for every template, generated NDJSON, CSV and
# Parquet load with `delta write` into a table created from the template
# and read back with the row count written; the same seed gives the same
# bytes and another seed other bytes; the refusals (unknown template,
# missing or bad --rows, bad format, parquet without --output) exit 2 with
# one line naming the problem, and an unwritable --output exits 1.
set -e
. "$(dirname "$0")/lib.sh"
L=$WORK/lake
D() { "$DELTA_BIN" --lake "$L" "$@"; }

for t in transactions user_events customer_profiles product_catalog; do
    expect 0 D create "$t" --template "$t"
    expect 0 D generate "$t" --rows 1500 --seed 5 --output "$WORK/$t.ndjson"
    checks=$((checks + 1))
    [ "$(wc -l <"$WORK/$t.ndjson")" -eq 1500 ] || fail "$t: ndjson has $(wc -l <"$WORK/$t.ndjson") lines"
    expect 0 D write "$t" --input "$WORK/$t.ndjson"
    contains "$OUT" "1500 rows" "$t ndjson write"
    expect 0 D generate "$t" --rows 700 --seed 6 --format csv --output "$WORK/$t.csv"
    expect 0 D write "$t" --input "$WORK/$t.csv"
    contains "$OUT" "700 rows" "$t csv write"
    expect 0 D generate "$t" --rows 300 --output "$WORK/$t.parquet"
    expect 0 D write "$t" --input "$WORK/$t.parquet"
    contains "$OUT" "300 rows" "$t parquet write"
    expect 0 D read "$t" --format csv --columns "$(head -c 200 "$WORK/$t.csv" | head -1 | cut -d, -f1)"
    checks=$((checks + 1))
    [ "$(printf '%s\n' "$OUT" | wc -l)" -eq 2501 ] || fail "$t: read back $(printf '%s\n' "$OUT" | wc -l) lines, want 2501"
    # same seed, same bytes (stdout and file); another seed differs
    a=$("$DELTA_BIN" generate "$t" --rows 400 --seed 9 | md5sum)
    b=$("$DELTA_BIN" generate "$t" --rows 400 --seed 9 | md5sum)
    c=$("$DELTA_BIN" generate "$t" --rows 400 --seed 10 | md5sum)
    checks=$((checks + 1))
    [ "$a" = "$b" ] || fail "$t: same seed gave different output"
    checks=$((checks + 1))
    [ "$a" != "$c" ] || fail "$t: another seed gave the same output"
done

# the default seed is fixed; a prefix of a longer run is not required, but
# the default output is NDJSON objects with the template's columns
expect 0 "$DELTA_BIN" generate transactions --rows 2
contains "$OUT" '"transaction_id":"txn_' "ndjson output"
contains "$OUT" '"total_amount":' "decimal column"
expect 0 "$DELTA_BIN" generate transactions --rows 0
checks=$((checks + 1))
[ -z "$OUT" ] || fail "--rows 0 printed: $OUT"

expect 2 "$DELTA_BIN" generate orders --rows 10
contains "$ERR" "unknown template 'orders'" "bad template"
one_line "$ERR" "bad template"
expect 2 "$DELTA_BIN" generate transactions
contains "$ERR" "--rows" "missing rows"
expect 2 "$DELTA_BIN" generate transactions --rows -5
contains "$ERR" "--rows" "negative rows"
expect 2 "$DELTA_BIN" generate transactions --rows ten
contains "$ERR" "--rows" "bad rows"
expect 2 "$DELTA_BIN" generate transactions --rows 5 --format xml
contains "$ERR" "unknown format 'xml'" "bad format"
expect 2 "$DELTA_BIN" generate transactions --rows 5 --format parquet
contains "$ERR" "--output" "parquet without output"
expect 2 "$DELTA_BIN" generate
expect 1 "$DELTA_BIN" generate transactions --rows 5 --output "$WORK/no/such/dir/x.ndjson"
contains "$ERR" "cannot write" "unwritable output"
expect 0 "$DELTA_BIN" help generate
contains "$OUT" "delta generate TEMPLATE --rows N" "help"

finish
