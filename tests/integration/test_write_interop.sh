#!/bin/bash
# Tables written by `delta create/write` pass the independent checks, at
# every version: the oracle's separate Delta reader (replay.mjs) replays
# each version to the same rows as `delta read --version`, partitioned and
# not, after appends, overwrite, replace-where and schema evolution; and
# the statistics of every data file equal what DuckDB computes from the
# file (stats-check.mjs).
set -e
. "$(dirname "$0")/lib.sh"

shared=${DELTA_SHARED_DIR:-}
if [ ! -x "$shared/tools/duckdb-oracle/setup" ]; then
    echo "skipped: ../shared/tools/duckdb-oracle is absent"
    exit 77
fi
if ! command -v node >/dev/null || ! oracle=$("$DELTA_ORACLE_SETUP"); then
    echo "skipped: the DuckDB oracle could not be set up (node/npm missing?)"
    exit 77
fi
L=$WORK/lake
D() { "$DELTA_BIN" --lake "$L" "$@"; }

# rows FIRST COUNT DAY: transactions as NDJSON, every few with a null
# discount or a missing address, spread over a few hours of DAY.
rows() {
    local i
    for ((i = $1; i < $1 + $2; i++)); do
        local disc="\"discount_amount\":\"$((i % 7)).50\","
        [ $((i % 5)) -eq 0 ] && disc=""
        local addr=",\"shipping_address\":{\"street\":\"$i Main St\",\"city\":\"City$((i % 9))\",\"postal_code\":\"$((10000 + i))\",\"country\":\"US\"}"
        [ $((i % 4)) -eq 0 ] && addr=""
        printf '{"transaction_id":"tx-%05d","order_id":"ord-%05d","customer_id":"cust-%03d","product_id":"prod-%d","quantity":%d,"unit_price":"%d.99",%s"tax_amount":"1.%02d","total_amount":"%d.%02d","currency":"USD","payment_method":"%s","status":"%s","channel":"web"%s,"transaction_timestamp":"%sT%02d:%02d:00Z"}\n' \
            "$i" "$i" $((i * 7 % 113)) $((i % 17)) $((1 + i % 4)) $((i % 300)) "$disc" $((i % 100)) $((i % 500)) $((i % 100)) \
            "$([ $((i % 3)) -eq 0 ] && echo paypal || echo card)" \
            "$([ $((i % 10)) -eq 0 ] && echo refunded || echo completed)" "$addr" "$3" $((i % 24)) $((i % 60))
    done
}

rows 0 400 2024-03-01 >"$WORK/a.ndjson"
rows 400 300 2024-03-02 >"$WORK/b.ndjson"
rows 700 200 2024-03-01 >"$WORK/c.ndjson"
rows 900 100 2024-03-03 | sed 's/"channel":"web"/"channel":"web","gift_note":"thanks"/' >"$WORK/d.ndjson"

# Partitioned by generated year/month/day: append, append, replace one
# day, evolve the schema.
expect 0 D create tx --template transactions
expect 0 D write tx --input "$WORK/a.ndjson"
expect 0 D write tx --input "$WORK/b.ndjson"
expect 0 D write tx --input "$WORK/c.ndjson" --mode overwrite --replace-where "day = 1"
expect 0 D write tx --input "$WORK/d.ndjson" --merge-schema
# Not partitioned: the same rows, then a full overwrite.
printf '%s' '{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},{"name":"name","type":"string","nullable":true,"metadata":{}},{"name":"amount","type":"decimal(12,2)","nullable":true,"metadata":{}},{"name":"at","type":"timestamp","nullable":true,"metadata":{}},{"name":"ok","type":"boolean","nullable":true,"metadata":{}},{"name":"d","type":"date","nullable":true,"metadata":{}}]}' >"$WORK/flat.json"
expect 0 D create flat --schema "$WORK/flat.json"
for part in 0 1 2; do
    : >"$WORK/f$part.ndjson"
    for ((i = part * 50; i < part * 50 + 50; i++)); do
        if [ $((i % 6)) -eq 0 ]; then
            printf '{"id":%d,"name":null,"amount":null,"at":null,"ok":null,"d":null}\n' "$i"
        else
            printf '{"id":%d,"name":"n%03d","amount":"%d.%02d","at":"2024-0%d-1%dT10:00:%02dZ","ok":%s,"d":"2024-01-%02d"}\n' \
                "$i" "$i" $((i * 37 % 1000 - 300)) $((i % 100)) $((1 + i % 9)) $((i % 10)) $((i % 60)) \
                "$([ $((i % 2)) -eq 0 ] && echo true || echo false)" $((1 + i % 28))
        fi
    done >>"$WORK/f$part.ndjson"
done
expect 0 D write flat --input "$WORK/f0.ndjson"
expect 0 D write flat --input "$WORK/f1.ndjson"
expect 0 D write flat --input "$WORK/f2.ndjson" --mode overwrite

pairs=$WORK/pairs.tsv
: >"$pairs"
for t in tx flat; do
    last=$(ls "$L/$t/_delta_log" | grep -c '\.json$')
    for ((v = 0; v < last; v++)); do
        checks=$((checks + 1))
        if ! node "$oracle/replay.mjs" "$L/$t" "$WORK/$t-o$v.parquet" "$v" >"$WORK/replay.out" 2>&1; then
            fail "replay.mjs $t version $v: $(cat "$WORK/replay.out")"
            continue
        fi
        expect 0 D read "$t" --version "$v" --format parquet --output "$WORK/$t-ours$v.parquet"
        printf '%s\t%s\n' "$WORK/$t-o$v.parquet" "$WORK/$t-ours$v.parquet" >>"$pairs"
    done
    checks=$((checks + 1))
    node "$oracle/stats-check.mjs" "$L/$t" >"$WORK/stats.out" 2>&1 ||
        fail "statistics of $t differ from DuckDB's: $(tail -5 "$WORK/stats.out")"
    tail -1 "$WORK/stats.out"
done
checks=$((checks + 1))
node "$oracle/compare_many.mjs" <"$pairs" >"$WORK/cmp.out" 2>&1 ||
    fail "replay.mjs and delta read differ: $(grep FAIL "$WORK/cmp.out" | head -5)"
tail -1 "$WORK/cmp.out"
finish
