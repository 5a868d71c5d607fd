#!/bin/bash
# Prints a folder holding the DuckDB oracle's scripts (from
# ../shared/tools/duckdb-oracle, plus tests/integration/compare_many.mjs)
# for tests to run with node. The oracle's own `setup` installs DuckDB once
# and rewrites its scripts in the cache on every call, which would race
# with tests running those scripts in parallel; so setup runs under a lock
# here, and the scripts are copied once into a folder named by their
# content, which nothing rewrites afterwards. node finds the oracle's
# node_modules from that sub-folder. Exit 1 (with a message) when the
# oracle or node is absent; tests then skip.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shared=${DELTA_SHARED_DIR:-$here/../../shared}
tools=$shared/tools/duckdb-oracle
if [ ! -x "$tools/setup" ]; then
    echo "oracle-setup: $tools/setup is absent" >&2
    exit 1
fi
if ! command -v node >/dev/null 2>&1; then
    echo "oracle-setup: node is not installed" >&2
    exit 1
fi
cache=${XDG_CACHE_HOME:-$HOME/.cache}
mkdir -p "$cache"
exec 9>"$cache/delta-duckdb-oracle.lock"
flock 9
d=$("$tools/setup")
scripts=("$tools"/*.mjs "$here/integration/compare_many.mjs")
sum=$(cat "${scripts[@]}" | md5sum | cut -c1-16)
v=$d/scripts-$sum
if [ ! -d "$v" ]; then
    tmp=$(mktemp -d "$d/.scripts.XXXXXX")
    cp "${scripts[@]}" "$tmp/"
    mv -T "$tmp" "$v"
fi
echo "$v"
