#!/bin/bash
# The demo tour (make demo): runs what the engine can do today on a fresh
# folder, with readable output. Usage: scripts/demo.sh PATH/TO/delta
set -euo pipefail
delta=${1:-build/delta}
bindir=$(cd "$(dirname "$delta")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/delta-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "The delta command"
"$delta" --version
"$delta" --help | sed -n '1,12p'
echo "  ..."

step "Storage: how a Delta commit is published atomically"
echo "Two writers race to publish version 0 of a table; put_if_absent lets exactly one win."
"$bindir/examples/storage_basics" "$work/demo-table"

step "Parquet: write Arrow arrays to a file, read them back"
"$bindir/examples/parquet_orders" "$work"

step "Parquet: inspect and rewrite the file with the delta command"
"$delta" parquet schema "$work/orders.parquet"
"$delta" parquet meta "$work/orders.parquet" | sed -n '1,14p'
"$delta" parquet rewrite "$work/orders.parquet" "$work/orders-snappy.parquet" --compression snappy
"$delta" parquet cat "$work/orders-snappy.parquet" --columns order_id,amount

step "Tables: create a lake table from the e-commerce 'transactions' template"
here=$(cd "$(dirname "$0")/.." && pwd)
lake="$work/lake"
"$delta" --lake "$lake" create --template list | sed -n '1,4p'
"$delta" --lake "$lake" create transactions --template transactions

step "Tables: write rows from NDJSON (partitions year/month/day are generated columns)"
"$delta" --lake "$lake" write transactions --input "$here/examples/data/transactions.ndjson"
(cd "$lake/transactions" && find . -name '*.parquet' | sort | sed 's/-[0-9a-f-]*\.c000/-UUID.c000/')

step "Tables: read it back, list the lake, show the history"
"$delta" --lake "$lake" read transactions --columns transaction_id,customer_id,total_amount,status,year,month,day
"$delta" --lake "$lake" list-tables
"$delta" --lake "$lake" history transactions

step "Done"
echo "Next: 'delta help COMMAND' for any command; docs/ for the architecture and CLI."
