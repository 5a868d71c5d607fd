#!/bin/bash
# delta create / write / list-tables end to end: every template, NDJSON,
# CSV and Parquet input, partitioned and not, append then overwrite then
# replace-where, schema evolution, and the refusals (unknown property,
# existing table, unknown column, missing NOT NULL value, wrong type,
# generated column mismatch, CHECK constraint) leaving the log unchanged.
# When node is available, the oracle's separate Delta reader (replay.mjs)
# must read every table we wrote with the same rows as `delta read`.
set -e
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../../examples/data
L=$WORK/lake
D() { "$DELTA_BIN" --lake "$L" "$@"; }

oracle=
if [ -n "${DELTA_SHARED_DIR:-}" ] && command -v node >/dev/null 2>&1; then
    oracle=$("$DELTA_ORACLE_SETUP" 2>/dev/null) || oracle=
fi
# interop NAME: replay.mjs and our read agree on the latest version
interop() {
    [ -n "$oracle" ] || return 0
    checks=$((checks + 1))
    rm -f "$WORK/o.parquet" "$WORK/ours.parquet"
    if ! node "$oracle/replay.mjs" "$L/$1" "$WORK/o.parquet" >"$WORK/oracle.out" 2>&1; then
        fail "replay.mjs $1: $(cat "$WORK/oracle.out")"
        return 0
    fi
    D read "$1" --format parquet --output "$WORK/ours.parquet"
    node "$oracle/compare.mjs" "$WORK/ours.parquet" "$WORK/o.parquet" >"$WORK/cmp.out" 2>&1 ||
        fail "oracle compare $1: $(cat "$WORK/cmp.out")"
}
# unchanged NAME: the log has exactly the files it had at the last snapshot
snap_log() { ls "$L/$1/_delta_log" >"$WORK/log.$1"; }
unchanged() {
    checks=$((checks + 1))
    ls "$L/$1/_delta_log" | cmp -s - "$WORK/log.$1" || fail "$2: the log changed"
}

expect 0 "$DELTA_BIN" create --template list
list=$OUT
for t in transactions user_events customer_profiles product_catalog; do
    contains "$list" "$t" "template list"
    expect 0 D create "$t" --template "$t"
    expect 0 D describe-table "$t" --format json
    contains "$OUT" '"version":0' "$t created"
done
contains "$OUT" '"partition_columns":["category","subcategory"]' "catalog partitions"
expect 0 D describe-table transactions --format json
contains "$OUT" '"min_writer_version":4' "generated columns need writer 4"
contains "$OUT" '"delta.autoOptimize.optimizeWrite":"true"' "template properties"

# refusals at create
expect 1 D create transactions --template transactions
contains "$ERR" "already exists" "existing table"
one_line "$ERR" "existing table"
expect 0 D create transactions --template transactions --if-not-exists
expect 1 D create t2 --template transactions --property delta.nonsense=1
contains "$ERR" "unknown table property 'delta.nonsense'" "unknown property"
[ ! -d "$L/t2/_delta_log" ] || fail "refused create left a log"
expect 1 D create t2 --template transactions --property delta.appendOnly=maybe
contains "$ERR" "delta.appendOnly" "bad property value"
expect 1 D create t2 --template nope
contains "$ERR" "unknown template 'nope'" "unknown template"
expect 1 D create "a.b" --template transactions
expect 1 D create "bad name" --template transactions
contains "$ERR" "not allowed" "bad table name"
printf '{"type":"struct","fields":[{"name":"a","type":"wat","nullable":true,"metadata":{}}]}' >"$WORK/bad.json"
expect 1 D create t2 --schema "$WORK/bad.json"
contains "$ERR" "schema" "bad schema"
expect 2 D create t2

# short property forms, minimum protocol
cat >"$WORK/s.json" <<'EOF'
{"type":"struct","fields":[
 {"name":"id","type":"long","nullable":false,"metadata":{}},
 {"name":"name","type":"string","nullable":true,"metadata":{}},
 {"name":"price","type":"decimal(10,2)","nullable":true,"metadata":{}},
 {"name":"day","type":"date","nullable":true,"metadata":{}},
 {"name":"region","type":"string","nullable":true,"metadata":{}}]}
EOF
expect 0 D create plain --schema "$WORK/s.json" --property autoOptimize.optimizeWrite=true \
    --property checkpointInterval=5 --comment "a plain table"
expect 0 D describe-table plain --format json
contains "$OUT" '"delta.autoOptimize.optimizeWrite":"true"' "short form stored under real key"
contains "$OUT" '"delta.checkpointInterval":"5"' "short form checkpointInterval"
contains "$OUT" '"min_reader_version":1,"min_writer_version":2' "minimum protocol"
expect 0 D create dv --schema "$WORK/s.json" --property delta.enableDeletionVectors=true
expect 0 D describe-table dv --format json
contains "$OUT" '"reader_features":["deletionVectors"]' "deletion vectors feature"
expect 0 D create parted --schema "$WORK/s.json" --partition-by region \
    --property delta.constraints.positive_price="price > 0"

# NDJSON into the transactions template (generated partitions)
expect 0 D write transactions --input "$data/transactions.ndjson"
contains "$OUT" "version 1: 5 rows" "write transactions"
expect 0 D read transactions --format csv --columns transaction_id,year,month,day
contains "$OUT" "tx-0002,2024,3,1" "generated partition values"
[ -d "$L/transactions/year=2024/month=3/day=2" ] || fail "hive partition folders"
interop transactions
expect 0 D history transactions --format json
contains "$OUT" '"numOutputRows":"5"' "write metrics"

# refusals leave the log unchanged
snap_log transactions
printf '{"transaction_id":"x","order_id":"o","customer_id":"c","product_id":"p","quantity":1,"unit_price":1,"total_amount":1,"currency":"USD","status":"s","transaction_timestamp":"2024-01-01T00:00:00Z","color":"red"}\n' >"$WORK/unknown.ndjson"
expect 1 D write transactions --input "$WORK/unknown.ndjson"
contains "$ERR" "unknown column 'color'" "unknown column"
one_line "$ERR" "unknown column"
unchanged transactions "unknown column"
printf '{"transaction_id":"x","order_id":"o","customer_id":"c","product_id":"p","unit_price":1,"total_amount":1,"currency":"USD","status":"s","transaction_timestamp":"2024-01-01T00:00:00Z"}\n' >"$WORK/nn.ndjson"
expect 1 D write transactions --input "$WORK/nn.ndjson"
contains "$ERR" "quantity" "NOT NULL missing"
contains "$ERR" "NOT NULL" "NOT NULL missing"
unchanged transactions "NOT NULL"
printf '{"transaction_id":"x","order_id":"o","customer_id":"c","product_id":"p","quantity":"two","unit_price":1,"total_amount":1,"currency":"USD","status":"s","transaction_timestamp":"2024-01-01T00:00:00Z"}\n' >"$WORK/type.ndjson"
expect 1 D write transactions --input "$WORK/type.ndjson"
contains "$ERR" "type.ndjson:1: column 'quantity': expected int" "type error names file, line, column"
unchanged transactions "type error"
printf '{"transaction_id":"x","order_id":"o","customer_id":"c","product_id":"p","quantity":1,"unit_price":1,"total_amount":1,"currency":"USD","status":"s","transaction_timestamp":"2024-01-01T00:00:00Z","year":2023}\n' >"$WORK/gen.ndjson"
expect 1 D write transactions --input "$WORK/gen.ndjson"
contains "$ERR" "generated" "generated column mismatch"
unchanged transactions "generated column"
find "$L/transactions" -name '*.parquet' | wc -l >"$WORK/nfiles"
[ "$(cat "$WORK/nfiles")" -eq 3 ] || fail "refused writes left data files: $(cat "$WORK/nfiles")"

# CSV into a partitioned table with a CHECK constraint
cat >"$WORK/rows.csv" <<'EOF'
id,name,price,day,region
1,"Widget, large",12.50,2024-01-01,eu
2,"say ""hi""",3,2024-01-02,us
3,,0.99,,eu
4,"",1.00,2024-01-03,
EOF
expect 0 D write parted --input "$WORK/rows.csv"
contains "$OUT" "4 rows in 3 files" "csv partitioned"
expect 0 D read parted --format ndjson --columns id,name,region
contains "$OUT" '{"id":1,"name":"Widget, large","region":"eu"}' "csv quoting"
contains "$OUT" '{"id":2,"name":"say \"hi\"","region":"us"}' "csv escaped quotes"
contains "$OUT" '{"id":3,"name":null,"region":"eu"}' "csv empty is null"
contains "$OUT" '{"id":4,"name":"","region":null}' "csv quoted empty string, null partition"
[ -d "$L/parted/region=__HIVE_DEFAULT_PARTITION__" ] || fail "null partition folder"
interop parted
snap_log parted
printf 'id,price,region\n9,-1,eu\n' >"$WORK/neg.csv"
expect 1 D write parted --input "$WORK/neg.csv"
contains "$ERR" "CHECK constraint positive_price" "check constraint"
unchanged parted "check constraint"

# overwrite, then replace-where
printf '{"id":10,"price":5,"region":"eu"}\n{"id":11,"price":6,"region":"us"}\n' >"$WORK/ow.ndjson"
expect 0 D write parted --input "$WORK/ow.ndjson" --mode overwrite
contains "$OUT" "3 files removed" "overwrite removes all"
expect 0 D read parted --format csv --columns id
[ "$OUT" = "$(printf 'id\n10\n11')" ] || fail "after overwrite: $OUT"
interop parted
printf '{"id":20,"price":7,"region":"eu"}\n' >"$WORK/rw.ndjson"
expect 0 D write parted --input "$WORK/rw.ndjson" --mode overwrite --replace-where "region = 'eu'"
contains "$OUT" "1 files removed" "replace-where removes the eu file"
expect 0 D read parted --format csv --columns id
[ "$OUT" = "$(printf 'id\n11\n20')" ] || [ "$OUT" = "$(printf 'id\n20\n11')" ] || fail "after replace-where: $OUT"
snap_log parted
printf '{"id":21,"price":7,"region":"us"}\n' >"$WORK/rw2.ndjson"
expect 1 D write parted --input "$WORK/rw2.ndjson" --mode overwrite --replace-where "region = 'eu'"
contains "$ERR" "does not match --replace-where" "replace-where refuses other rows"
unchanged parted "replace-where refusal"
expect 1 D write parted --input "$WORK/rw2.ndjson" --mode overwrite --replace-where "price > 1"
contains "$ERR" "partition columns" "replace-where on data columns"
interop parted
expect 0 D read parted --version 1 --format csv --columns id
[ "$(printf '%s\n' "$OUT" | wc -l)" -eq 5 ] || fail "time travel to before the overwrite: $OUT"

# schema evolution
printf '{"id":30,"price":1,"region":"eu","color":"red","dims":{"w":1.5,"h":2}}\n' >"$WORK/evo.ndjson"
expect 1 D write plain --input "$WORK/evo.ndjson"
expect 0 D write plain --input "$WORK/evo.ndjson" --merge-schema
contains "$OUT" "schema changed" "merge-schema"
expect 0 D describe-table plain --format json
contains "$OUT" '"name":"color","type":"string"' "new column"
contains "$OUT" 'struct<w:double,h:bigint>' "new nested column"
printf '{"id":31,"dims":{"w":1,"h":2,"d":3}}\n' >"$WORK/evo2.ndjson"
expect 0 D write plain --input "$WORK/evo2.ndjson" --merge-schema
expect 0 D read plain --format ndjson --columns id,dims
contains "$OUT" '{"id":31,"dims":{"w":1,"h":2,"d":3}}' "nested field added"
interop plain
expect 0 D write plain --input "$WORK/rows.csv" --mode overwrite --overwrite-schema
expect 0 D describe-table plain --format json
contains "$OUT" '"name":"day","type":"string"' "overwrite-schema from CSV"
interop plain

# Parquet input (our own read output) into a new table, partitioned
expect 0 D read transactions --format parquet --output "$WORK/tx.parquet"
expect 0 D create tx2 --template transactions
expect 0 D write tx2 --input "$WORK/tx.parquet"
contains "$OUT" "5 rows" "parquet input"
interop tx2

# file rolling
expect 0 D create rolled --schema "$WORK/s.json"
expect 0 D write rolled --input "$WORK/rows.csv" --max-rows-per-file 1
contains "$OUT" "4 rows in 4 files" "max rows per file"
interop rolled

# the lake
expect 0 D list-tables --format json
contains "$OUT" '"name":"transactions","version":1,"files":3' "list-tables json"
contains "$OUT" '"records":5' "list-tables records"
expect 0 D list-tables
contains "$OUT" "product_catalog" "list-tables table"
expect 0 "$DELTA_BIN" --lake "$WORK/nolake" list-tables --format json
[ "$OUT" = "[]" ] || fail "empty lake: $OUT"
finish
