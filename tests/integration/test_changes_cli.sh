#!/bin/bash
# delta changes end to end.
#  - Our tables (created with delta.enableChangeDataFeed=true): appends
#    give their rows as inserts, an overwrite gives the previous version's
#    rows as deletes and the new rows as inserts (compared with
#    `delta read --version N`), OPTIMIZE gives nothing, and every row's
#    _commit_version/_commit_timestamp are those `delta history` shows.
#  - Refusals: the feed not enabled (version named), ranges after the
#    latest version or reversed, a commit cleaned from the log; nothing
#    printed on stdout then.
#  - The Spark-written ../shared/extra/cdf-table (insert, UPDATE, UPDATE,
#    DELETE with change data files): the feed equals, as a multiset, the
#    rows DuckDB reads from the data files version 0 added and from the
#    change data files of versions 1-3 (skipped without ../shared or the
#    oracle).
set -e
. "$(dirname "$0")/lib.sh"
L=$WORK/lake
D() { "$DELTA_BIN" --lake "$L" "$@"; }

# feed TABLE ARGS...: the feed as sorted NDJSON lines
feed() { D changes "$@" --format ndjson | sort; }
# of TYPE VERSION: lines of $WORK/feed with that change type and version,
# the feed columns stripped (so they compare with `delta read` lines)
of() {
    grep "\"_change_type\":\"$1\",\"_commit_version\":$2," "$WORK/feed" |
        sed 's/,"_change_type".*$/}/' | sort || true
}
same() {
    checks=$((checks + 1))
    if ! cmp -s "$1" "$2"; then
        fail "$3: $(diff "$1" "$2" | head -6)"
    fi
}

printf '%s' '{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},{"name":"name","type":"string","nullable":true,"metadata":{}},{"name":"amount","type":"decimal(10,2)","nullable":true,"metadata":{}},{"name":"part","type":"string","nullable":true,"metadata":{}}]}' >"$WORK/s.json"
gen() { # gen FIRST COUNT: NDJSON rows over three partitions, some nulls
    local i
    for ((i = $1; i < $1 + $2; i++)); do
        if [ $((i % 7)) -eq 0 ]; then
            printf '{"id":%d,"name":null,"amount":null,"part":"p%d"}\n' "$i" $((i % 3))
        else
            printf '{"id":%d,"name":"n%d","amount":"%d.%02d","part":"p%d"}\n' "$i" "$i" "$i" $((i % 100)) $((i % 3))
        fi
    done
}
gen 0 40 >"$WORK/a.ndjson"
gen 40 25 >"$WORK/b.ndjson"
gen 100 30 >"$WORK/c.ndjson"

expect 0 D create t --schema "$WORK/s.json" --partition-by part --property delta.enableChangeDataFeed=true
expect 0 D write t --input "$WORK/a.ndjson"                  # v1
expect 0 D write t --input "$WORK/b.ndjson"                  # v2
expect 0 D write t --input "$WORK/c.ndjson" --mode overwrite # v3
expect 0 D write t --input "$WORK/a.ndjson"                  # v4
expect 0 D optimize t                                        # v5 (dataChange false)
expect 0 D changes t --from-version 5 --format ndjson
checks=$((checks + 1))
[ -z "$OUT" ] || fail "optimize gave changes: $OUT"

feed t --from-version 0 >"$WORK/feed"
D read t --version 1 --format ndjson | sort >"$WORK/r1"
D read t --version 2 --format ndjson | sort >"$WORK/r2"
D read t --version 3 --format ndjson | sort >"$WORK/r3"
D read t --version 4 --format ndjson | sort >"$WORK/r4"
of insert 1 >"$WORK/got"
same "$WORK/r1" "$WORK/got" "v1 inserts are the rows of version 1"
of insert 2 >"$WORK/got"
sort "$WORK/r2" | comm -23 - "$WORK/r1" >"$WORK/want"
same "$WORK/want" "$WORK/got" "v2 inserts are the appended rows"
of delete 3 >"$WORK/got"
same "$WORK/r2" "$WORK/got" "v3 (overwrite) deletes every row of version 2"
of insert 3 >"$WORK/got"
same "$WORK/r3" "$WORK/got" "v3 (overwrite) inserts the new rows"
of insert 4 >"$WORK/got"
comm -23 "$WORK/r4" "$WORK/r3" >"$WORK/want"
same "$WORK/want" "$WORK/got" "v4 inserts"
checks=$((checks + 1))
n=$(wc -l <"$WORK/feed")
[ "$n" -eq $((40 + 25 + 65 + 30 + 40)) ] || fail "feed has $n rows"
checks=$((checks + 1))
grep -q '"_commit_version":[05],' "$WORK/feed" && fail "create/optimize commits gave rows"

# timestamps and versions: those of the history
D history t --format json | sed -n 's/^{"version":\([0-9]*\),"timestamp":"\([^"]*\)".*/\1 \2/p' |
    sort >"$WORK/hist"
sed 's/.*"_commit_version":\([0-9]*\),"_commit_timestamp":"\([^"]*\)".*/\1 \2/' "$WORK/feed" |
    sort -u >"$WORK/ts"
join "$WORK/ts" "$WORK/hist" -a1 >"$WORK/joined" || true
checks=$((checks + 1))
if awk 'NF != 3 || $2 != $3 { bad = 1 } END { exit !bad }' "$WORK/joined"; then
    fail "commit timestamps differ from history: $(cat "$WORK/joined")"
fi

# a sub-range, every output format
expect 0 D changes t --from-version 2 --to-version 2 --format csv
contains "$OUT" "id,name,amount,part,_change_type,_commit_version,_commit_timestamp" "csv header"
checks=$((checks + 1))
[ "$(printf '%s\n' "$OUT" | grep -c ',insert,2,')" -eq 25 ] || fail "v2 csv rows: $OUT"
expect 0 D changes t --from-version 2 --to-version 2 --format json
contains "$OUT" '"_change_type":"insert"' "json"
expect 0 D changes t --from-version 3 --to-version 3
contains "$OUT" "| delete " "table format"
expect 0 D changes t --from-version 1 --to-version 2 --format parquet --output "$WORK/c.parquet"
checks=$((checks + 1))
[ -s "$WORK/c.parquet" ] || fail "parquet output missing"

# refusals
expect 1 D changes t --from-version 9
contains "$ERR" "from version 9 is after the latest version 5" "from after latest"
one_line "$ERR" "from after latest"
checks=$((checks + 1))
[ -z "$OUT" ] || fail "a refusal printed rows: $OUT"
expect 1 D changes t --from-version 1 --to-version 6
contains "$ERR" "to version 6 is after the latest version 5" "to after latest"
expect 2 D changes t --from-version 3 --to-version 2
contains "$ERR" "--from-version 3 is after --to-version 2" "reversed range"
expect 2 D changes t
contains "$ERR" "--from-version is required" "no --from-version"
expect 2 D changes t --from-version -1
expect 2 D changes t --from-version x
expect 2 D changes t --from-version 0 --format xml
expect 1 D changes nosuch --from-version 0

expect 0 D create plain --schema "$WORK/s.json"
expect 0 D write plain --input "$WORK/a.ndjson"
expect 1 D changes plain --from-version 1
contains "$ERR" "change data feed is not enabled at version 1" "not enabled"
one_line "$ERR" "not enabled"

# a commit cleaned from the log: reading from it is refused, later
# versions (from the checkpoint on) still work
cp -r "$L/t" "$L/t2"
expect 0 D checkpoint t2
rm "$L/t2/_delta_log/00000000000000000000.json" "$L/t2/_delta_log/00000000000000000001.json"
expect 1 D changes t2 --from-version 1
contains "$ERR" "no longer in the log" "cleaned commit"
expect 0 D changes t2 --from-version 5 --format csv

# the Spark-written table with change data files, against DuckDB
shared=${DELTA_SHARED_DIR:-}
T=$shared/extra/cdf-table
oracle=
if [ -d "$T" ] && command -v node >/dev/null 2>&1; then
    oracle=$("$DELTA_ORACLE_SETUP" 2>/dev/null) || oracle=
fi
if [ -z "$oracle" ]; then
    echo "note: ../shared/extra/cdf-table or the oracle (node + duckdb-oracle) absent; Spark table checks skipped"
else
    # files KIND VERSION: SQL list of the files of that kind in the commit
    files() {
        grep -o "\"$1\":{\"path\":\"[^\"]*\"" "$T/_delta_log/$(printf '%020d' "$2").json" |
            sed "s|.*\"path\":\"\\([^\"]*\\)\"|'$T/\\1'|" | paste -sd, -
    }
    q="SELECT id, name, CAST(birthday AS DATE) AS birthday, 'insert' AS _change_type, 0::BIGINT AS _commit_version FROM read_parquet([$(files add 0)], hive_partitioning = true)"
    for v in 1 2 3; do
        q="$q UNION ALL SELECT id, name, CAST(birthday AS DATE), _change_type, $v::BIGINT FROM read_parquet([$(files cdc $v)], hive_partitioning = true)"
    done
    checks=$((checks + 1))
    if ! node "$oracle/sql.mjs" "COPY ($q) TO '$WORK/want.parquet' (FORMAT PARQUET)" >"$WORK/sql.out" 2>&1; then
        fail "duckdb: $(cat "$WORK/sql.out")"
    fi
    expect 0 "$DELTA_BIN" changes "$T" --from-version 0 --format parquet --output "$WORK/got.parquet"
    checks=$((checks + 1))
    node "$oracle/compare.mjs" "$WORK/want.parquet" "$WORK/got.parquet" >"$WORK/cmp.out" 2>&1 ||
        fail "cdf-table feed vs DuckDB: $(cat "$WORK/cmp.out")"
    expect 0 "$DELTA_BIN" changes "$T" --from-version 2 --to-version 3 --format csv
    checks=$((checks + 1))
    [ "$(printf '%s\n' "$OUT" | grep -c ',update_preimage,2,')" -eq 3 ] || fail "v2 preimages: $OUT"
    contains "$OUT" "7,Dennis,2023-12-29,delete,3," "v3 delete"
fi
finish
