#!/bin/bash
# delta optimize --z-order end to end: a table of many files of random
# (x, y) rows is Z-ordered by x,y; its rows are the same multiset before
# and after (`delta read`, and DuckDB reading the rows the oracle's own
# Delta reader, replay.mjs, finds after against the rows read before);
# `delta read --explain` of a range predicate on x and y reads strictly
# fewer files after (counts asserted); a tiny --sort-memory spills sorted
# runs and gives the same rows; history shows zOrderBy and zOrderStats;
# partition columns, columns without statistics and bad option values
# are refused with the log unchanged.
set -e
. "$(dirname "$0")/lib.sh"
L=$WORK/lake
D() { "$DELTA_BIN" --lake "$L" "$@"; }

oracle=
if [ -n "${DELTA_SHARED_DIR:-}" ] && command -v node >/dev/null 2>&1; then
    oracle=$("$DELTA_ORACLE_SETUP" 2>/dev/null) || oracle=
fi
[ -n "$oracle" ] || echo "note: oracle (node + duckdb-oracle) absent; DuckDB checks skipped"

rows() { D read "$1" --format ndjson | sort; }
same_rows() {
    checks=$((checks + 1))
    rows "$1" >"$WORK/got"
    cmp -s "$WORK/want.$1" "$WORK/got" ||
        fail "$2: rows differ: $(diff "$WORK/want.$1" "$WORK/got" | head -5)"
}
# oracle_same NAME: DuckDB finds in replay.mjs's reading of the table the
# rows `delta read` gave before the optimize (before.NAME.parquet)
oracle_same() {
    [ -n "$oracle" ] || return 0
    checks=$((checks + 1))
    rm -f "$WORK/o.parquet"
    if ! node "$oracle/replay.mjs" "$L/$1" "$WORK/o.parquet" >"$WORK/oracle.out" 2>&1; then
        fail "replay.mjs $1: $(cat "$WORK/oracle.out")"
        return 0
    fi
    node "$oracle/compare.mjs" "$WORK/before.$1.parquet" "$WORK/o.parquet" >"$WORK/cmp.out" 2>&1 ||
        fail "oracle compare $1: $(cat "$WORK/cmp.out")"
}
explain_read() { D read "$1" --where "$2" --explain | sed -n 's/^files read *\([0-9]*\)$/\1/p'; }
snap_log() { ls "$L/$1/_delta_log" >"$WORK/log.$1"; }
unchanged() {
    checks=$((checks + 1))
    ls "$L/$1/_delta_log" | cmp -s - "$WORK/log.$1" || fail "$2: the log changed"
}

cat >"$WORK/s.json" <<'J'
{"type":"struct","fields":[{"name":"x","type":"long","nullable":true,"metadata":{}},
{"name":"y","type":"double","nullable":true,"metadata":{}},
{"name":"name","type":"string","nullable":true,"metadata":{}},
{"name":"ok","type":"boolean","nullable":true,"metadata":{}},
{"name":"day","type":"date","nullable":true,"metadata":{}},
{"name":"region","type":"string","nullable":true,"metadata":{}}]}
J
for f in $(seq 1 30); do
    awk -v f="$f" 'BEGIN { srand(f); for (k = 0; k < 400; k++) {
        x = int(rand() * 10000); y = rand() * 1000
        printf "{\"x\":%s,\"y\":%.4f,\"name\":\"n%05d\",\"ok\":%s,\"day\":\"2024-03-%02d\",\"region\":\"%s\"}\n",
            (k % 23 == 0 ? "null" : x), y, x, (x % 2 ? "true" : "false"), k % 28 + 1,
            (f % 2 ? "eu" : "us") } }' >"$WORK/r$f.json"
done
RANGE="x BETWEEN 2000 AND 3000 AND y BETWEEN 100 AND 200"

for part in "" "--partition-by region"; do
    rm -rf "$L"
    # shellcheck disable=SC2086
    expect 0 D create t --schema "$WORK/s.json" $part
    for f in $(seq 1 30); do expect 0 D write t --input "$WORK/r$f.json"; done
    rows t >"$WORK/want.t"
    D read t --format parquet --output "$WORK/before.t.parquet"
    before=$(explain_read t "$RANGE")
    checks=$((checks + 1))
    [ "$before" -eq 30 ] || fail "before z-order ($part): the range reads $before files, want 30"

    # refusals: log unchanged, one line naming the column
    snap_log t
    expect 2 D optimize t --z-order x,ok
    contains "$ERR" "column 'ok' has no statistics" "boolean refused ($part)"
    one_line "$ERR" "boolean refusal ($part)"
    expect 2 D optimize t --z-order x,nope
    contains "$ERR" "'nope' is not a column" "unknown refused ($part)"
    if [ -n "$part" ]; then
        expect 2 D optimize t --z-order x,region
        contains "$ERR" "'region' is a partition column" "partition column refused"
    fi
    unchanged t "refused z-order ($part)"

    expect 0 D optimize t --z-order x,y --target-size 12000 --format json
    contains "$OUT" '"committed":true' "z-order ($part)"
    contains "$OUT" '"num_files_removed":30' "every file rewritten ($part)"
    contains "$OUT" '"zorder_by":["x","y"]' "json z-order columns ($part)"
    same_rows t "after z-order ($part)"
    oracle_same t
    after=$(explain_read t "$RANGE")
    total=$(D describe-table t --format json | sed -n 's/.*"num_files":\([0-9]*\).*/\1/p')
    echo "z-order ($part): the range reads $after of $total files (before: $before of 30)"
    checks=$((checks + 1))
    [ "$after" -lt "$before" ] && [ $((after * 2)) -le "$total" ] ||
        fail "after z-order ($part): the range reads $after of $total files (before $before)"

    expect 0 D history t --limit 1 --format json
    contains "$OUT" 'zOrderBy' "history parameters ($part)"
    contains "$OUT" '[\"x\",\"y\"]' "history z-order columns ($part)"
    contains "$OUT" 'zOrderStats' "history metrics ($part)"
    contains "$OUT" 'numOutputCubes' "history cubes ($part)"

    # again with a tiny sort budget: runs spilled, the same rows, and the
    # same files (the order is a function of the rows)
    expect 0 D optimize t --z-order x,y --target-size 12000 --sort-memory 30000
    contains "$OUT" "sorted runs spilled to disk" "spill ($part)"
    contains "$OUT" "z-ordered by x,y" "z-order text ($part)"
    same_rows t "after spilled z-order ($part)"
    oracle_same t
    checks=$((checks + 1))
    [ "$(explain_read t "$RANGE")" -eq "$after" ] || fail "spilled z-order ($part): other files"
done

# Z-order over every kind of key (decimals short and long, timestamps
# with and without zone, dates, ints, floats, strings; nulls), a nested
# and a list column carried along, partitions, spilled runs
cat >"$WORK/m.json" <<'J'
{"type":"struct","fields":[{"name":"d","type":"decimal(12,2)","nullable":true,"metadata":{}},
{"name":"big","type":"decimal(30,4)","nullable":true,"metadata":{}},
{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},
{"name":"tsn","type":"timestamp_ntz","nullable":true,"metadata":{}},
{"name":"day","type":"date","nullable":true,"metadata":{}},
{"name":"i","type":"integer","nullable":true,"metadata":{}},
{"name":"f","type":"float","nullable":true,"metadata":{}},
{"name":"s","type":"string","nullable":true,"metadata":{}},
{"name":"addr","type":{"type":"struct","fields":[{"name":"city","type":"string","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
{"name":"tags","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}},
{"name":"p","type":"string","nullable":true,"metadata":{}}]}
J
expect 0 D create m --schema "$WORK/m.json" --partition-by p
for f in 1 2 3 4; do
    awk -v f="$f" 'function n(v) { return rand() < 0.05 ? "null" : v }
    BEGIN { srand(100 + f); for (k = 0; k < 500; k++)
        printf "{\"d\":%s,\"big\":%s,\"ts\":%s,\"tsn\":%s,\"day\":%s,\"i\":%s,\"f\":%s,\"s\":%s,\"addr\":{\"city\":\"c%d\"},\"tags\":[\"a\",\"b%d\"],\"p\":\"%s\"}\n",
            n(sprintf("%.2f", rand() * 1e6 - 5e5)), n(sprintf("%.4f", rand() * 1e20)),
            n(sprintf("\"2024-0%d-1%dT10:%02d:00.123456Z\"", int(rand() * 9) + 1, int(rand() * 10), int(rand() * 60))),
            n(sprintf("\"2024-01-1%dT10:00:%02d\"", int(rand() * 10), int(rand() * 60))),
            n(sprintf("\"2023-1%d-0%d\"", int(rand() * 3), int(rand() * 9) + 1)),
            n(int(rand() * 2000) - 1000), n(sprintf("%.3f", rand() * 100 - 50)),
            n(sprintf("\"name-%d\"", int(rand() * 1000))), k, k, (k % 2 ? "x" : "y") }' >"$WORK/m$f.json"
    expect 0 D write m --input "$WORK/m$f.json"
done
rows m >"$WORK/want.m"
D read m --format parquet --output "$WORK/before.m.parquet"
expect 0 D optimize m --z-order d,big,ts,tsn,day,i,f,s --sort-memory 20000 --target-size 20000
contains "$OUT" "sorted runs spilled to disk" "spill of every key type"
same_rows m "z-order of every key type"
oracle_same m
expect 2 D optimize m --z-order addr
contains "$ERR" "'addr' has no statistics" "struct refused"
expect 2 D optimize m --z-order tags
contains "$ERR" "'tags' has no statistics" "list refused"

# usage errors
expect 2 D optimize t --z-order ","
contains "$ERR" "an empty column name" "empty z-order column"
expect 2 D optimize t --z-order x --sort-memory 0
expect 2 D optimize t --z-order x --sort-memory abc
expect 0 D help optimize
contains "$OUT" "--z-order" "help mentions --z-order"
contains "$OUT" "--sort-memory" "help mentions --sort-memory"
finish
