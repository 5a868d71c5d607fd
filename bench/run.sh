#!/bin/bash
# Runs every benchmark (make bench): each bench/<name>/run.sh, given the
# build folder. Results are printed and recorded by hand in bench/RESULTS.md.
set -euo pipefail
build=${1:-build-bench}
here=$(cd "$(dirname "$0")" && pwd)
found=0
for script in "$here"/*/run.sh; do
    [ -e "$script" ] || continue
    found=1
    echo "== $(basename "$(dirname "$script")")"
    bash "$script" "$build"
done
if [ "$found" -eq 0 ]; then
    echo "bench: no benchmarks are built yet (bench/<name>/run.sh)" >&2
    exit 3
fi
