#!/bin/bash
# The programs in examples/ build and do what their comments say.
set -e
. "$(dirname "$0")/lib.sh"
: "${DELTA_EXAMPLES_DIR:?DELTA_EXAMPLES_DIR must point at the built examples}"

expect 0 "$DELTA_EXAMPLES_DIR/storage_basics" "$WORK/table"
contains "$OUT" "published _delta_log/00000000000000000000.json" "first publish"
contains "$OUT" "second writer of the same version: EEXIST" "second publish loses"
contains "$OUT" "_delta_log/00000000000000000000.json  44 bytes" "listing"
checks=$((checks + 1))
grep -q "CREATE TABLE" "$WORK/table/_delta_log/00000000000000000000.json" ||
    fail "the first writer's content must be the one stored"

expect 0 "$DELTA_EXAMPLES_DIR/parquet_orders" "$WORK"
contains "$OUT" "wrote orders.parquet: 5 rows" "parquet write"
contains "$OUT" $'order_id,customer,amount\n1001,alice,19.99\n1002,bob,250\n1003,olivia,\n1004,edgar,42.5\n1005,mia,7.25' "parquet read back"
expect 0 "$DELTA_BIN" parquet meta "$WORK/orders.parquet"
contains "$OUT" "column amount DOUBLE ZSTD" "the example's codec"
contains "$OUT" "nulls 1" "the example's missing amount"

finish
