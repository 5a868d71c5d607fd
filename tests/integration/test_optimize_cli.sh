#!/bin/bash
# delta optimize end to end: small files of each partition are combined,
# the rows stay exactly the same (`delta read` before and after, and the
# oracle's separate Delta reader, replay.mjs, reads the optimized table
# with the rows `delta read` gives); --where selects partitions and
# refuses other columns (log unchanged); --target-size rolls files; the
# history shows OPTIMIZE with its parameters and metrics; a second run
# has nothing to do; --max-concurrent-tasks gives the same layout.
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
rows() { D read "$1" --format ndjson | sort; }
same_rows() {
    checks=$((checks + 1))
    rows "$1" >"$WORK/got"
    cmp -s "$WORK/want.$1" "$WORK/got" ||
        fail "$2: rows differ: $(diff "$WORK/want.$1" "$WORK/got" | head -5)"
}
# files NAME [SUBDIR]: live data files of the table (by describe-table)
nfiles() {
    D describe-table "$1" --format json | sed -n 's/.*"num_files":\([0-9]*\).*/\1/p'
}

cat >"$WORK/s.json" <<'J'
{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},
{"name":"amount","type":"double","nullable":true,"metadata":{}},
{"name":"day","type":"date","nullable":true,"metadata":{}},
{"name":"cat","type":"string","nullable":true,"metadata":{}}]}
J
for i in 1 2 3 4 5 6; do
    : >"$WORK/v$i.json"
    for k in 0 1 2 3 4 5 6 7 8; do
        id=$((i * 100 + k))
        case $((k % 3)) in 0) cat='"a"' ;; 1) cat='"b/c"' ;; *) cat=null ;; esac
        printf '{"id":%d,"amount":%d.25,"day":"2024-01-0%d","cat":%s}\n' \
            $id $((id * 3)) $((k % 2 + 1)) "$cat" >>"$WORK/v$i.json"
    done
done

for part in "--partition-by cat,day" "--partition-by cat" ""; do
    rm -rf "$L"
    # shellcheck disable=SC2086
    expect 0 D create t --schema "$WORK/s.json" $part
    for i in 1 2 3 4 5 6; do expect 0 D write t --input "$WORK/v$i.json"; done
    rows t >"$WORK/want.t"
    before=$(nfiles t)

    # a predicate on a data column is refused, naming it; log unchanged
    snap_log t
    expect 2 D optimize t --where "id > 3"
    if [ -n "$part" ]; then
        contains "$ERR" "column 'id' is not a partition column" "where refusal ($part)"
    else
        contains "$ERR" "not partitioned" "where refusal ($part)"
    fi
    one_line "$ERR" "where refusal message ($part)"
    unchanged t "refused optimize ($part)"

    if [ -n "$part" ]; then
        # only the partitions --where selects
        expect 0 D optimize t --where "cat = 'a'" --format json
        contains "$OUT" '"committed":true' "where optimize ($part)"
        same_rows t "after --where optimize ($part)"
        interop t
        expect 0 D history t --limit 1 --format json
        contains "$OUT" '"operation":"OPTIMIZE"' "history operation ($part)"
        contains "$OUT" "cat = 'a'" "history predicate ($part)"
    fi

    # partitions rewritten by 3 threads: one file per partition all the same
    tasks=
    [ -n "$part" ] && tasks="--max-concurrent-tasks 3"
    # shellcheck disable=SC2086
    expect 0 D optimize t $tasks
    contains "$OUT" "optimized $L/t as version" "optimize text ($part)"
    same_rows t "after optimize ($part)"
    interop t
    after=$(nfiles t)
    checks=$((checks + 1))
    # one file per partition: (cat, day) pairs, cats, or the whole table
    case "$part" in
    *day*) want=$(rows t | sed 's/.*"day":"\([^"]*\)".*"cat":\([^}]*\)}.*/\1 \2/' | sort -u | wc -l) ;;
    *cat*) want=3 ;;
    *) want=1 ;;
    esac
    [ "$after" -eq "$want" ] || fail "optimize ($part): $after files, want $want (before: $before)"
    expect 0 D history t --limit 1 --format json
    contains "$OUT" '"operation":"OPTIMIZE"' "history ($part)"
    contains "$OUT" 'zOrderBy' "history parameters ($part)"
    contains "$OUT" 'numAddedFiles' "history metrics ($part)"
    contains "$OUT" 'numRemovedBytes' "history metrics ($part)"
    contains "$OUT" 'partitionsOptimized' "history metrics ($part)"

    # nothing left: nothing committed
    snap_log t
    expect 0 D optimize t
    contains "$OUT" "nothing to optimize" "second optimize ($part)"
    unchanged t "second optimize ($part)"
done

# --target-size: many small files of distinct rows rolled into several
# files near it
rm -rf "$L"
expect 0 D create big --schema "$WORK/s.json"
for f in $(seq 1 18); do
    awk -v f="$f" 'BEGIN { srand(f); for (k = 0; k < 40; k++)
        printf "{\"id\":%d,\"amount\":%.6f,\"day\":\"2024-02-%02d\",\"cat\":\"%x%x\"}\n",
            f * 1000 + k, rand() * 100000, k % 28 + 1, int(rand() * 2^31), int(rand() * 2^31) }' \
        >"$WORK/r$f.json"
    expect 0 D write big --input "$WORK/r$f.json"
done
rows big >"$WORK/want.big"
expect 0 D optimize big --target-size 3000 --format json
contains "$OUT" '"target_size":3000' "target size json"
contains "$OUT" '"num_files_removed":18' "all small files rewritten"
added=$(printf '%s' "$OUT" | sed -n 's/.*"num_files_added":\([0-9]*\).*/\1/p')
checks=$((checks + 1))
[ "$added" -ge 2 ] && [ "$added" -lt 18 ] || fail "target size: $added files added"
same_rows big "after --target-size"
interop big

# tables Spark wrote (deletion vector files, partition values of many
# types, change data feed): the same rows after optimize, replay agrees
if [ -n "${DELTA_SHARED_DIR:-}" ] && [ -d "$DELTA_SHARED_DIR/golden" ]; then
    for src in extra/table-with-dv-small extra/with-short-dv extra/basic_partitioned \
        extra/cdf-table golden/data-skipping-partition-and-data-column/delta \
        golden/time-travel-partition-changes-a/delta golden/data-reader-date-types-utc/delta; do
        [ -d "$DELTA_SHARED_DIR/$src" ] || continue
        name=$(printf '%s' "$src" | tr '/' '_')
        cp -r "$DELTA_SHARED_DIR/$src" "$L/$name"
        chmod -R u+w "$L/$name"
        rows "$name" >"$WORK/want.$name"
        expect 0 D optimize "$name" --format json
        contains "$OUT" '"committed":true' "optimize of $src"
        same_rows "$name" "optimize of $src"
        interop "$name"
    done
    expect 0 D optimize extra_table-with-dv-small --format json
    contains "$OUT" '"committed":false' "second optimize of a DV table"
else
    echo "note: shared tables absent; optimize of Spark tables skipped"
fi

# usage errors
expect 2 D optimize big --target-size 0
expect 2 D optimize big --target-size abc
expect 2 D optimize big --max-concurrent-tasks 0
expect 2 D optimize big --max-concurrent-tasks 257
expect 2 D optimize
expect 2 D optimize big --z-order nope
contains "$ERR" "column 'nope' is not a column" "z-order of an unknown column"
expect 1 D optimize missing
finish
