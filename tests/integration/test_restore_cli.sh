#!/bin/bash
# delta restore / delta constraint / describe-table's template end to end:
# restores after appends, a schema change and an overwrite give exactly
# the rows `delta read --version N` gives for the version restored (and
# the oracle's separate Delta reader, replay.mjs, reads the same rows);
# refusals (a version that does not exist, one whose files were deleted,
# a constraint that existing rows violate, ...) leave the log unchanged.
set -e
. "$(dirname "$0")/lib.sh"
L=$WORK/lake
D() { "$DELTA_BIN" --lake "$L" "$@"; }

oracle=
if [ -n "${DELTA_SHARED_DIR:-}" ] && command -v node >/dev/null 2>&1; then
    oracle=$("$DELTA_ORACLE_SETUP" 2>/dev/null) || oracle=
fi
[ -n "$oracle" ] || echo "note: oracle (node + duckdb-oracle) absent; replay checks skipped"
# interop NAME: replay.mjs and our read agree on the latest version
interop() {
    [ -n "$oracle" ] || return 0
    checks=$((checks + 1))
    rm -f "$WORK/o.parquet" "$WORK/ours.parquet"
    if ! node "$oracle/replay.mjs" "$L/$1" "$WORK/o.parquet" >"$WORK/oracle.out" 2>&1; then
        # the oracle declines some features (column mapping): not a failure
        if grep -q '^SKIP' "$WORK/oracle.out"; then
            echo "note: replay.mjs $1: $(head -1 "$WORK/oracle.out")"
            return 0
        fi
        fail "replay.mjs $1: $(cat "$WORK/oracle.out")"
        return 0
    fi
    D read "$1" --format parquet --output "$WORK/ours.parquet"
    node "$oracle/compare.mjs" "$WORK/ours.parquet" "$WORK/o.parquet" >"$WORK/cmp.out" 2>&1 ||
        fail "oracle compare $1: $(cat "$WORK/cmp.out")"
}
snap_log() { ls "$L/$1/_delta_log" >"$WORK/log.$1"; }
unchanged() {
    checks=$((checks + 1))
    ls "$L/$1/_delta_log" | cmp -s - "$WORK/log.$1" || fail "$2: the log changed"
}
# rows NAME [read options]: the rows as sorted NDJSON
rows() { local t=$1; shift; D read "$t" --format ndjson "$@" | sort; }
# same_as NAME VERSION: the latest rows are those of VERSION
same_as() {
    checks=$((checks + 1))
    rows "$1" --version "$2" >"$WORK/want"
    rows "$1" >"$WORK/got"
    cmp -s "$WORK/want" "$WORK/got" ||
        fail "restore of $1 to $2: rows differ: $(diff "$WORK/want" "$WORK/got" | head -5)"
}

cat >"$WORK/s.json" <<'J'
{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},
{"name":"amount","type":"double","nullable":true,"metadata":{}},
{"name":"cat","type":"string","nullable":true,"metadata":{}}]}
J
printf '{"id":1,"amount":10.5,"cat":"a"}\n{"id":2,"amount":20,"cat":"b"}\n' >"$WORK/v1.json"
printf '{"id":3,"amount":-5,"cat":"a"}\n{"id":4,"amount":null,"cat":null}\n' >"$WORK/v2.json"
printf '{"id":5,"amount":7,"cat":"c","note":"new"}\n' >"$WORK/v3.json"
printf '{"id":6,"amount":1,"cat":"a","note":"x"}\n' >"$WORK/v4.json"

for part in "--partition-by cat" ""; do
    rm -rf "$L"
    # shellcheck disable=SC2086
    expect 0 D create t --schema "$WORK/s.json" $part
    expect 0 D write t --input "$WORK/v1.json"
    expect 0 D write t --input "$WORK/v2.json"
    expect 0 D write t --input "$WORK/v3.json" --merge-schema
    expect 0 D write t --input "$WORK/v4.json" --mode overwrite
    # back over the overwrite and the schema change
    expect 0 D restore t --version 2
    contains "$OUT" "restored version 2 as version 5" "restore text ($part)"
    same_as t 2
    expect 0 D describe-table t --format json
    case "$OUT" in *'"name":"note"'*) fail "schema of v2 not restored ($part)" ;; esac
    interop t
    # forward to the schema change
    expect 0 D restore t --version 3 --format json
    contains "$OUT" '"version":6,"restored_version":3,"committed":true' "restore json ($part)"
    contains "$OUT" '"num_restored_files":1' "only v3's file comes back ($part)"
    contains "$OUT" '"num_removed_files":0' "nothing removed ($part)"
    same_as t 3
    interop t
    # the restored table takes writes, and restores again to the overwrite
    expect 0 D write t --input "$WORK/v4.json"
    expect 0 D restore t --version 4
    same_as t 4
    interop t
    # history records RESTORE with Delta's parameters and metrics
    expect 0 D history t --limit 1 --format json
    contains "$OUT" '"operation":"RESTORE"' "history operation"
    contains "$OUT" 'numRestoredFiles' "history metrics"
    contains "$OUT" 'tableSizeAfterRestore' "history metrics"
    # already in that state: nothing committed
    snap_log t
    expect 0 D restore t --version 8
    contains "$OUT" "nothing committed" "no-op restore"
    unchanged t "no-op restore"
    # by timestamp: the rows time travel gives for the same time
    expect 0 D describe-table t --version 1 --format json
    ts=$(printf '%s' "$OUT" | sed 's/.*"timestamp":"\([^"]*\)".*/\1/')
    rows t --timestamp "$ts" >"$WORK/want_ts"
    expect 0 D restore t --timestamp "$ts"
    rows t >"$WORK/got_ts"
    checks=$((checks + 1))
    cmp -s "$WORK/want_ts" "$WORK/got_ts" || fail "restore --timestamp $ts ($part)"
    [ -s "$WORK/got_ts" ] || fail "restore --timestamp $ts: no rows ($part)"
    interop t
done

# deletion vectors and column mapping (a Spark table): files come back
# with their older deletion vectors (the oracle declines column mapping)
if [ -n "${DELTA_SHARED_DIR:-}" ] && [ -d "$DELTA_SHARED_DIR/golden/dv-with-columnmapping/delta" ]; then
    mkdir -p "$L"
    cp -r "$DELTA_SHARED_DIR/golden/dv-with-columnmapping/delta" "$L/dv"
    expect 0 D restore dv --version 1
    same_as dv 1
    interop dv
    expect 0 D restore dv --version 3
    same_as dv 3
    interop dv
fi
if [ -n "${DELTA_SHARED_DIR:-}" ] && [ -d "$DELTA_SHARED_DIR/extra/table-with-dv-small" ]; then
    mkdir -p "$L"
    cp -r "$DELTA_SHARED_DIR/extra/table-with-dv-small" "$L/dvs"
    expect 0 D restore dvs --version 0
    same_as dvs 0
    interop dvs
    expect 0 D restore dvs --version 1
    same_as dvs 1
    interop dvs
fi

# refusals leave the log unchanged
rm -rf "$L"
expect 0 D create r --schema "$WORK/s.json" --partition-by cat
expect 0 D write r --input "$WORK/v1.json"
expect 0 D write r --input "$WORK/v4.json" --mode overwrite --merge-schema
snap_log r
expect 1 D restore r --version 7
contains "$ERR" "version 7 does not exist" "missing version"
one_line "$ERR" "missing version"
expect 1 D restore r --timestamp 2000-01-01
contains "$ERR" "2000-01-01" "time before the first commit"
expect 2 D restore r
expect 2 D restore r --version 1 --timestamp 2024-01-01
expect 2 D restore r --version x
expect 2 D restore r --timestamp "not a time"
unchanged r "refused restores"
rm -rf "$L/r/cat=b"
expect 1 D restore r --version 1
contains "$ERR" "no longer exists" "vacuumed file"
contains "$ERR" "cat=b/part-" "vacuumed file named"
unchanged r "restore of a vacuumed version"

# constraints
rm -rf "$L"
expect 0 D create c --schema "$WORK/s.json" --partition-by cat
expect 0 D write c --input "$WORK/v1.json"
expect 0 D write c --input "$WORK/v2.json"
snap_log c
expect 1 D constraint add c pos "amount > 0"
contains "$ERR" "violated by 2 existing rows" "existing rows (-5 and NULL)"
one_line "$ERR" "constraint violation"
expect 1 D constraint add c bad "amount + 1"
contains "$ERR" "not a boolean" "non-boolean"
expect 1 D constraint add c bad "nope > 1"
contains "$ERR" "nope" "unknown column"
expect 1 D constraint drop c missing
contains "$ERR" "no constraint 'missing'" "drop missing"
expect 2 D constraint add c
expect 2 D constraint frob c x
unchanged c "refused constraints"
expect 0 D constraint drop c missing --if-exists
contains "$OUT" "nothing committed" "drop --if-exists"
unchanged c "drop --if-exists"
expect 0 D constraint add c Id_Pos "id > 0" --format json
contains "$OUT" '"committed":true,"version":3' "constraint added"
expect 0 D describe-table c --format json
contains "$OUT" '"delta.constraints.id_pos":"id > 0"' "stored lower-cased"
contains "$OUT" '"min_writer_version":3' "writer 3"
expect 1 D constraint add c id_pos "id > 1"
contains "$ERR" "already exists" "name taken"
printf '{"id":0,"amount":1,"cat":"a"}\n' >"$WORK/bad.json"
snap_log c
expect 1 D write c --input "$WORK/bad.json"
contains "$ERR" "id_pos" "later write violating"
unchanged c "violating write"
expect 0 D constraint drop c ID_POS
contains "$OUT" "dropped constraint" "drop"
expect 0 D write c --input "$WORK/bad.json"
expect 0 D history c --limit 2 --format json
contains "$OUT" '"operation":"DROP CONSTRAINT"' "history drop"
interop c

# describe-table shows the template's recommendations
expect 0 D create tx --template transactions
expect 0 D describe-table tx
contains "$OUT" "template          transactions" "template text"
contains "$OUT" "partition strategy  year, month, day" "partition strategy"
contains "$OUT" "delta.autoOptimize.optimizeWrite = true" "recommended properties"
expect 0 D describe-table tx --format json
contains "$OUT" '"template":{"name":"transactions"' "template json"
contains "$OUT" '"zorder_columns":["customer_id"]' "z-order hint json"
expect 0 D describe-table c --format json
contains "$OUT" '"template":null' "no template"

finish
