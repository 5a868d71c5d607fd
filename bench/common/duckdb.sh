# Shared by bench/*/run.sh (sourced): locates the DuckDB peer and offers
# helpers to run it. DuckDB comes from the npm registry through
# ../shared/tools/duckdb-oracle/setup; scripts are copied next to its
# node_modules so they can import it.
bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
project_root=$(cd "$bench_root/.." && pwd)
oracle_setup="$project_root/../shared/tools/duckdb-oracle/setup"

duckdb_dir() {
    if [ ! -x "$oracle_setup" ]; then
        echo "bench: ../shared/tools/duckdb-oracle is absent: cannot run the DuckDB peer" >&2
        return 1
    fi
    local d
    d=$("$oracle_setup") || return 1
    cp "$bench_root/common/duckdb_run.mjs" "$d/"
    echo "$d"
}

# peak_rss_kb CMD...: runs CMD, prints "SECONDS PEAK_RSS_KB" of it on fd 3.
peak_rss() {
    local out
    out=$(mktemp)
    /usr/bin/time -f "%e %M" -o "$out" "$@"
    cat "$out" >&3
    rm -f "$out"
}
