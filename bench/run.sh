#!/usr/bin/env bash
# Measures `dragnet hunt` against jq and DuckDB on the same synthetic UDM JSON lines, in one
# run. Prints a Markdown table of each tool's wall-clock seconds, events per second, CPU
# seconds and peak memory, and dragnet's wall-clock time as a ratio of jq's and DuckDB's.
# CPU seconds (user plus system) are less disturbed by other load on the machine.
#
# Workloads:
#   single     bench/rules/okta_admin_login.yaral, a single-event rule;
#   pack       the UNC6040 pack in rules/unc6040 with the demo lists and ASN table;
#   community  the community rules of the corpus beside the checkout (COMMUNITY_RULES);
#   pack, wide the pack over the same events with fields added that exported UDM carries and
#              the rules do not read (`bench/gen.py --wide`).
# `single` and `pack` also run on an input SCALE times larger, to show peak memory staying
# flat as the input grows, and on a Parquet file that DuckDB writes from the JSON lines
# (nested struct columns), against DuckDB's query over the same Parquet file.
#
# Settings (environment): EVENTS (default 200000), SCALE (10), USERS (1000), DENSITY
# (0.0001 intrusions per event), RUNS (3 runs of each command, of which the medians are
# shown), WORK (a scratch folder, default /tmp/dragnet-bench), COMMUNITY_RULES,
# PARQUET_ONLY (1 runs only the Parquet workloads).
set -euo pipefail
cd "$(dirname "$0")/.."

EVENTS=${EVENTS:-200000}
SCALE=${SCALE:-10}
USERS=${USERS:-1000}
DENSITY=${DENSITY:-0.0001}
WORK=${WORK:-/tmp/dragnet-bench}
RUNS=${RUNS:-3}
COMMUNITY_RULES=${COMMUNITY_RULES:-../shared/corpus/yaral/chronicle-detection-rules/rules/community}

# The baselines come from Debian's jq and PyPI's duckdb wheel.
if ! command -v jq >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq jq >/dev/null
fi
if ! python3 -c 'import duckdb' >/dev/null 2>&1; then
    pip install -q duckdb || pip install -q --break-system-packages duckdb
fi
if [ ! -x /usr/bin/time ]; then
    apt-get update -qq && apt-get install -y -qq time >/dev/null
fi

cargo build --release -q -p dragnet --features parquet
DRAGNET=$PWD/target/release/dragnet
mkdir -p "$WORK"

SMALL=$WORK/events-$EVENTS.jsonl
LARGE=$WORK/events-$((EVENTS * SCALE)).jsonl
[ -s "$SMALL" ] || python3 bench/gen.py --events "$EVENTS" --users "$USERS" \
    --attack-density "$DENSITY" --output "$SMALL"
[ -s "$LARGE" ] || python3 bench/gen.py --events $((EVENTS * SCALE)) --users "$USERS" \
    --attack-density "$DENSITY" --days "$SCALE" --output "$LARGE"
WIDE=$WORK/events-$EVENTS-wide.jsonl
[ -s "$WIDE" ] || python3 bench/gen.py --events "$EVENTS" --users "$USERS" \
    --attack-density "$DENSITY" --wide --output "$WIDE"

JQ_SINGLE='select(.metadata.eventType == "USER_LOGIN" and .metadata.logType == "OKTA"
    and ((.principal.user.userid // "") | test("^adm"; "i")))'
JQ_PACK='select(.metadata.logType == "SALESFORCE" and .metadata.eventType == "USER_RESOURCE_ACCESS"
    and (.metadata.productEventType // "" | test("^(ApiEvent|ReportEvent|ListViewEvent|BulkApiResultEvent|API|RestApi|BulkApi|BulkApi2|Report|ReportExport)$")))'

# measure NAME COMMAND...: runs the command RUNS times, with its output in $WORK/NAME.out.
# It records "wall_seconds peak_kib user_seconds system_seconds" in $WORK/NAME.time. These are
# the median wall-clock time, the median peak memory, and the user and system time of the run
# whose CPU time (their sum) is the median.
measure() {
    local name=$1
    shift
    rm -f "$WORK/$name.runs"
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %M %U %S" -o "$WORK/$name.run" "$@" >"$WORK/$name.out" \
            2>"$WORK/$name.err"
        cat "$WORK/$name.run" >>"$WORK/$name.runs"
    done
    python3 - "$WORK/$name.runs" >"$WORK/$name.time" <<'PY'
import statistics, sys
runs = [line.split() for line in open(sys.argv[1]) if line.strip()]
wall = statistics.median_low(float(r[0]) for r in runs)
peak = statistics.median_low(int(r[1]) for r in runs)
by_cpu = sorted(runs, key=lambda r: float(r[2]) + float(r[3]))
middle = by_cpu[(len(by_cpu) - 1) // 2]
print(f"{wall} {peak} {middle[2]} {middle[3]}")
PY
}

HUNT=("$DRAGNET" hunt --no-progress --output jsonl)

lines() {
    wc -l <"$1" | tr -d ' '
}

# row WORKLOAD TOOL NAME EVENTS JQ_NAME DUCKDB_NAME RESULT
row() {
    local workload=$1 tool=$2 name=$3 events=$4 jq_name=$5 duck_name=$6 result=$7
    read -r seconds kib user system <"$WORK/$name.time"
    local rate cpu cpu_rate vs_jq="" vs_duck=""
    rate=$(python3 -c "print(f'{$events / max($seconds, 0.01) / 1000:,.0f} k')")
    cpu=$(python3 -c "print(f'{$user + $system:.2f}')")
    cpu_rate=$(python3 -c "print(f'{$events / max($user + $system, 0.01) / 1000:,.0f} k')")
    if [ -n "$jq_name" ]; then
        read -r jq_seconds _ <"$WORK/$jq_name.time"
        vs_jq=$(python3 -c "print(f'{$jq_seconds / max($seconds, 0.01):.1f}x')")
    fi
    if [ -n "$duck_name" ]; then
        read -r duck_seconds _ <"$WORK/$duck_name.time"
        vs_duck=$(python3 -c "print(f'{$duck_seconds / max($seconds, 0.01):.1f}x')")
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$workload" "$tool" \
        "$events" "$seconds" "$rate" "$cpu" "$cpu_rate" "$((kib / 1024))" "$vs_jq" "$vs_duck" \
        "$result"
}

small_events=$(lines "$SMALL")
large_events=$(lines "$LARGE")
threads=$(nproc)

PARQUET=$WORK/events-$EVENTS.parquet
[ -s "$PARQUET" ] || python3 bench/duckdb_query.py "$SMALL" write-parquet "$PARQUET"
PACK_ARGS=(--lists examples/lists --asn-db examples/asn.tsv)
measure duck-single-parquet python3 bench/duckdb_query.py "$PARQUET" single-parquet
measure dragnet-single-parquet "${HUNT[@]}" --rules bench/rules/okta_admin_login.yaral "$PARQUET"
measure duck-pack-parquet python3 bench/duckdb_query.py "$PARQUET" pack-parquet
measure dragnet-pack-parquet "${HUNT[@]}" "${PACK_ARGS[@]}" "$PARQUET"

parquet_rows() {
    row "single, Parquet" DuckDB duck-single-parquet "$small_events" "" "" \
        "$(cat "$WORK/duck-single-parquet.out") events"
    row "single, Parquet" "dragnet, $threads threads" dragnet-single-parquet "$small_events" \
        "" duck-single-parquet "$(lines "$WORK/dragnet-single-parquet.out") detections"
    row "pack, Parquet" "DuckDB (one rule)" duck-pack-parquet "$small_events" "" "" \
        "$(cat "$WORK/duck-pack-parquet.out") groups"
    row "pack, Parquet" "dragnet, $threads threads" dragnet-pack-parquet "$small_events" "" \
        duck-pack-parquet "$(lines "$WORK/dragnet-pack-parquet.out") detections"
}

table_header() {
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end, medians of $RUNS runs"
    echo "tools: $("$DRAGNET" --version 2>/dev/null || echo dragnet), $(jq --version)," \
        "duckdb $(python3 -c 'import duckdb; print(duckdb.__version__)')"
    echo "input: $SMALL ($(du -h "$SMALL" | cut -f1)), $LARGE ($(du -h "$LARGE" | cut -f1))," \
        "$PARQUET ($(du -h "$PARQUET" | cut -f1))"
    echo
    echo "| workload | tool | events | seconds | events/s | CPU s | events/CPU-s | peak MiB |" \
        "jq time / this | DuckDB time / this | result |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
}

if [ "${PARQUET_ONLY:-0}" = 1 ]; then
    table_header
    parquet_rows
    exit 0
fi

measure jq-single jq -c "$JQ_SINGLE" "$SMALL"
measure duck-single python3 bench/duckdb_query.py "$SMALL" single
measure dragnet-single "${HUNT[@]}" --rules bench/rules/okta_admin_login.yaral "$SMALL"
measure dragnet-single-1 "${HUNT[@]}" --threads 1 --rules bench/rules/okta_admin_login.yaral "$SMALL"
measure dragnet-single-udm "${HUNT[@]}" --format udm --rules bench/rules/okta_admin_login.yaral "$SMALL"
measure dragnet-single-udm-1 "${HUNT[@]}" --format udm --threads 1 \
    --rules bench/rules/okta_admin_login.yaral "$SMALL"

measure jq-pack jq -c "$JQ_PACK" "$SMALL"
measure duck-pack python3 bench/duckdb_query.py "$SMALL" pack
measure dragnet-pack "${HUNT[@]}" "${PACK_ARGS[@]}" "$SMALL"
measure dragnet-pack-1 "${HUNT[@]}" --threads 1 "${PACK_ARGS[@]}" "$SMALL"

measure duck-pack-wide python3 bench/duckdb_query.py "$WIDE" pack
measure dragnet-pack-wide "${HUNT[@]}" "${PACK_ARGS[@]}" "$WIDE"
measure dragnet-pack-wide-full "${HUNT[@]}" --projected-read never "${PACK_ARGS[@]}" "$WIDE"

measure jq-parse jq -c empty "$SMALL"
measure duck-parse python3 bench/duckdb_query.py "$SMALL" parse
if [ -d "$COMMUNITY_RULES" ]; then
    measure dragnet-community "${HUNT[@]}" --rules "$COMMUNITY_RULES" "$SMALL"
fi

measure jq-single-large jq -c "$JQ_SINGLE" "$LARGE"
measure duck-single-large python3 bench/duckdb_query.py "$LARGE" single
measure dragnet-single-large "${HUNT[@]}" --rules bench/rules/okta_admin_login.yaral "$LARGE"
measure dragnet-single-udm-large "${HUNT[@]}" --format udm \
    --rules bench/rules/okta_admin_login.yaral "$LARGE"
measure dragnet-pack-large "${HUNT[@]}" "${PACK_ARGS[@]}" "$LARGE"

table_header
row single jq jq-single "$small_events" "" "" "$(lines "$WORK/jq-single.out") events"
row single DuckDB duck-single "$small_events" "" "" "$(cat "$WORK/duck-single.out") events"
row single "dragnet, $threads threads" dragnet-single "$small_events" jq-single duck-single \
    "$(lines "$WORK/dragnet-single.out") detections"
row single "dragnet, 1 thread" dragnet-single-1 "$small_events" jq-single duck-single \
    "$(lines "$WORK/dragnet-single-1.out") detections"
row single "dragnet --format udm, $threads threads" dragnet-single-udm "$small_events" \
    jq-single duck-single "$(lines "$WORK/dragnet-single-udm.out") detections"
row single "dragnet --format udm, 1 thread" dragnet-single-udm-1 "$small_events" \
    jq-single duck-single "$(lines "$WORK/dragnet-single-udm-1.out") detections"
row pack "jq (filter only)" jq-pack "$small_events" "" "" "$(lines "$WORK/jq-pack.out") events"
row pack "DuckDB (one rule)" duck-pack "$small_events" "" "" "$(cat "$WORK/duck-pack.out") groups"
row pack "dragnet, $threads threads" dragnet-pack "$small_events" jq-pack duck-pack \
    "$(lines "$WORK/dragnet-pack.out") detections"
row pack "dragnet, 1 thread" dragnet-pack-1 "$small_events" jq-pack duck-pack \
    "$(lines "$WORK/dragnet-pack-1.out") detections"
row "pack, wide" "DuckDB (one rule)" duck-pack-wide "$small_events" "" "" \
    "$(cat "$WORK/duck-pack-wide.out") groups"
row "pack, wide" "dragnet, $threads threads" dragnet-pack-wide "$small_events" "" duck-pack-wide \
    "$(lines "$WORK/dragnet-pack-wide.out") detections"
row "pack, wide" "dragnet, every line read whole" dragnet-pack-wide-full "$small_events" "" \
    duck-pack-wide "$(lines "$WORK/dragnet-pack-wide-full.out") detections"
row parse "jq (parse only)" jq-parse "$small_events" "" "" ""
row parse "DuckDB (count)" duck-parse "$small_events" "" "" "$(cat "$WORK/duck-parse.out") events"
if [ -d "$COMMUNITY_RULES" ]; then
    rules=$(grep -o '[0-9]* loaded' "$WORK/dragnet-community.err" | head -1)
    row community "dragnet, $threads threads" dragnet-community "$small_events" jq-parse \
        duck-parse "$(lines "$WORK/dragnet-community.out") detections, $rules rules"
fi
row "single, ${SCALE}x" jq jq-single-large "$large_events" "" "" \
    "$(lines "$WORK/jq-single-large.out") events"
row "single, ${SCALE}x" DuckDB duck-single-large "$large_events" "" "" \
    "$(cat "$WORK/duck-single-large.out") events"
row "single, ${SCALE}x" "dragnet, $threads threads" dragnet-single-large "$large_events" \
    jq-single-large duck-single-large "$(lines "$WORK/dragnet-single-large.out") detections"
row "single, ${SCALE}x" "dragnet --format udm, $threads threads" dragnet-single-udm-large \
    "$large_events" jq-single-large duck-single-large \
    "$(lines "$WORK/dragnet-single-udm-large.out") detections"
row "pack, ${SCALE}x" "dragnet, $threads threads" dragnet-pack-large "$large_events" "" "" \
    "$(lines "$WORK/dragnet-pack-large.out") detections"
parquet_rows
