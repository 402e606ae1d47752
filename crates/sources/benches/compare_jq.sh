#!/usr/bin/env bash
# Compares Dragnet's normalisation throughput per source with `jq -c .` over the same files.
#
# Runs the `normalize` criterion benchmark, which writes its synthetic input files to
# target/bench-data/sources/ (or $DRAGNET_BENCH_DATA), then times `jq -c .` over each file,
# best of three runs, and prints records per second for both. jq only re-serialises the JSON,
# so it is a floor for "read every record", not a normaliser. jq has no CSV reader, so the
# EventLogFile CSV is measured by Dragnet only.
#
# Usage: crates/sources/benches/compare_jq.sh [extra criterion arguments]
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
data="${DRAGNET_BENCH_DATA:-$root/target/bench-data/sources}"
export DRAGNET_BENCH_DATA="$data"

if ! command -v jq >/dev/null || ! command -v bc >/dev/null; then
    echo "jq and bc are needed; install them (apt-get install jq bc) to compare" >&2
    exit 2
fi

echo "== Dragnet (criterion, records per second = thrpt)"
(cd "$root" && cargo bench -p sources --bench normalize -- "$@") 2>&1 \
    | grep -E '^normalize/|thrpt:.*elem/s' | sed 's/^ */  /'

echo
echo "== jq -c . over the same files (best of 3)"
for file in "$data"/*.jsonl; do
    records=$(wc -l < "$file")
    best=""
    for _ in 1 2 3; do
        start=$(date +%s.%N)
        jq -c . "$file" > /dev/null
        end=$(date +%s.%N)
        elapsed=$(echo "$end - $start" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$elapsed < $best" | bc -l)" = 1 ]; then
            best=$elapsed
        fi
    done
    rate=$(echo "$records / $best" | bc -l)
    printf '  %-24s %8d records  %8.3f s  %10.0f records/s\n' \
        "$(basename "$file" .jsonl)" "$records" "$best" "$rate"
done
