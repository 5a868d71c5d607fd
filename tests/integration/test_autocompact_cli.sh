#!/bin/bash
# delta.autoOptimize.autoCompact end to end: 50 small appends (Delta's
# default threshold of small files) into a table with the property end
# with one file per partition; the write that reaches the threshold says
# so; the rows are those of the same writes into a table without it;
# history shows the OPTIMIZE with auto true after the WRITE; a failed
# compaction is a warning and the write stands.
set -e
. "$(dirname "$0")/lib.sh"
L=$WORK/lake
D() { "$DELTA_BIN" --lake "$L" "$@"; }
nfiles() {
    D describe-table "$1" --format json | sed -n 's/.*"num_files":\([0-9]*\).*/\1/p'
}
cat >"$WORK/s.json" <<'J'
{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},
{"name":"cat","type":"string","nullable":true,"metadata":{}}]}
J
expect 0 D create auto --schema "$WORK/s.json" --partition-by cat \
    --property delta.autoOptimize.autoCompact=true
expect 0 D create plain --schema "$WORK/s.json" --partition-by cat
for i in $(seq 1 50); do
    printf '{"id":%d,"cat":"a"}\n{"id":%d,"cat":null}\n' "$i" $((i + 1000)) >"$WORK/in.json"
    expect 0 D write plain --input "$WORK/in.json"
    expect 0 D write auto --input "$WORK/in.json"
    if [ "$i" -eq 49 ]; then
        checks=$((checks + 1))
        case "$OUT" in *"auto compaction"*) fail "compacted before the threshold: $OUT" ;; esac
        checks=$((checks + 1))
        [ "$(nfiles auto)" -eq 98 ] || fail "49 writes: $(nfiles auto) files, want 98"
    fi
done
contains "$OUT" "auto compaction: version 51: 100 small files rewritten into 2 files" \
    "the 50th write reports the compaction"
checks=$((checks + 1))
[ "$(nfiles auto)" -eq 2 ] || fail "after compaction: $(nfiles auto) files, want 2"
checks=$((checks + 1))
[ "$(nfiles plain)" -eq 100 ] || fail "without the property: $(nfiles plain) files, want 100"
D read plain --format ndjson | sort >"$WORK/want"
D read auto --format ndjson | sort >"$WORK/got"
checks=$((checks + 1))
cmp -s "$WORK/want" "$WORK/got" || fail "rows differ: $(diff "$WORK/want" "$WORK/got" | head -5)"
expect 0 D history auto --limit 2 --format json
contains "$OUT" '"operation":"OPTIMIZE"' "history: the compaction"
contains "$OUT" '"auto":true' "history: auto parameter"
contains "$OUT" '"operation":"WRITE"' "history: the write before it"

# a compaction that fails is a warning: the write is committed, exit 0
# (delta.targetFileSize edited into the log as a non-size: the writer
# falls back to its default, OPTIMIZE refuses it)
expect 0 D create bad --schema "$WORK/s.json" --partition-by cat \
    --property delta.autoOptimize.autoCompact=true
sed -i 's/"delta.autoOptimize.autoCompact":"true"/&,"delta.targetFileSize":"lots"/' \
    "$L/bad/_delta_log/00000000000000000000.json"
expect 0 D write bad --input "$WORK/in.json"
contains "$OUT" "version 1: 2 rows" "the write is committed"
contains "$ERR" "warning: auto compaction of" "the failure is a warning"
contains "$ERR" "delta.targetFileSize" "the warning names the cause"
finish
