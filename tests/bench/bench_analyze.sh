#!/usr/bin/env bash
# Times `sealwatch analyze` on a year of 1-minute data for 32 meters (docs/performance.md).
#   tests/bench/bench_analyze.sh [BUILD_DIR] [DATA_DIR]
# BUILD_DIR defaults to build/release; the data (~1.3 GB) is generated once into DATA_DIR
# (default build/bench-data) and reused.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-build/release}/bin/sealwatch
data=${2:-build/bench-data}
if [ ! -s "$data/year.csv" ]; then
    echo "generating $data/year.csv ..."
    python3 tests/bench/gen_analyze_year.py "$data"
fi
rows=$(( $(wc -l < "$data/year.csv") - 1 ))
echo "input: $rows rows, $(du -h "$data/year.csv" | cut -f1)"
cat "$data/year.csv" > /dev/null   # warm the page cache: measure parsing and detection, not the disk
for run in 1 2 3; do
    start=$(date +%s.%N)
    "$bin" analyze --config "$data/bench.toml" --csv "$data/year.csv" --stats > "$data/events.jsonl"
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" -v r="$rows" \
        'BEGIN { printf "run %d: %.2f s wall, %.2f M readings/s\n", '"$run"', e - s, r / (e - s) / 1e6 }'
done
echo "events: $(wc -l < "$data/events.jsonl") ($(cut -d'"' -f8 "$data/events.jsonl" | sort | uniq -c | tr '\n' ' '))"
